//! The pieces of the `ferrograd` command-line trainer.
pub mod download;
pub mod plot;
