//! The evaluation harness: labelled scenarios run through the real engine, scored per detector
//! (precision, recall, false alerts per 10,000 clean orders). Being written; see the next
//! commits.
