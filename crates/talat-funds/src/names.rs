//! Names normalised for comparison, in Thai and Latin script: a bank writes "MR. SOMCHAI
//! JAIDEE" or "นาย สมชาย ใจดี" where KYC holds "Somchai Jaidee" or "สมชาย ใจดี".
