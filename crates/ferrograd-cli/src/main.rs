//! `ferrograd`: train, evaluate and inspect an MLP on MNIST.

use clap::Parser;
use ferrograd_cli::cli::{Cli, Command, ThreadsArgs};
use ferrograd_cli::{bench, commands, error, malloc, serve, train};

fn main() {
    let cli = Cli::try_parse().unwrap_or_else(|e| error::exit_on_clap_error(e));
    let result = match &cli.command {
        Command::Train(args) => {
            prepare(&args.threads);
            train::run(args)
        }
        Command::Eval(args) => {
            prepare(&args.threads);
            commands::eval(args)
        }
        Command::Show(args) => commands::show(args),
        Command::Bench(args) => bench::run(args),
        Command::Serve(args) => serve::run(args),
    };
    if let Err(error) = result {
        eprintln!("ferrograd: error: {error}");
        std::process::exit(error.exit_code());
    }
}

/// The process-wide settings of the commands that train or evaluate: the thread count, and
/// glibc's malloc thresholds pinned as `bench` and the Rust peers pin them. Unpinned, the
/// training loop's speed depends on what the allocator happened to return to the system before
/// it: in one layout of allocations, 1-thread steps took 80 µs longer, with 24 page faults each.
fn prepare(threads: &ThreadsArgs) {
    malloc::pin();
    threads.apply();
}
