//! The pieces of the `ferrograd` command-line trainer.
#![warn(missing_docs)]

pub mod atomic;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod data_source;
pub mod download;
pub mod error;
pub mod malloc;
pub mod plot;
pub mod serve;
pub mod train;
