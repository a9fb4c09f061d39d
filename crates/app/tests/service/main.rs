//! Service tests (being written).
