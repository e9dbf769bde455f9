//! The pieces of the `ferrograd` command-line trainer.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(
    clippy::undocumented_unsafe_blocks,
    clippy::multiple_unsafe_ops_per_block
)]

pub mod atomic;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod data_source;
pub mod error;
pub mod malloc;
pub mod model_file;
pub mod peers;
pub mod plot;
pub mod serve;
pub mod train;
