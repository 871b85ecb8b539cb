//! Uploaded documents, content-addressed on disk (stub: being written).
