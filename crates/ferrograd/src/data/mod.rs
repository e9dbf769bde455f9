//! Data sets (placeholder, being written).
