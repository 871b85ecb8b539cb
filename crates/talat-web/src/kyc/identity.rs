//! Identity verification behind a provider trait, with a simulator (stub: being written).
