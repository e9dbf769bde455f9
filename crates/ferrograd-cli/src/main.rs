//! `ferrograd`: train, evaluate and inspect an MLP on MNIST.

use clap::Parser;
use ferrograd_cli::cli::{Cli, Command, ThreadsArgs};
use ferrograd_cli::peers::{self, Peers};
use ferrograd_cli::{bench, commands, error, malloc, serve, train};

fn main() {
    let cli = Cli::try_parse().unwrap_or_else(|e| error::exit_on_clap_error(e));
    // The commands that can run as one of several processes started by `mpirun`.
    let peers = match &cli.command {
        Command::Train(_) | Command::Bench(_) => peers::connect(),
        _ => Ok(Box::new(peers::Alone) as Box<dyn Peers>),
    };
    let peers = peers.unwrap_or_else(|error| {
        eprintln!("ferrograd: error: {error}");
        std::process::exit(error.exit_code());
    });
    let result = match &cli.command {
        Command::Train(args) => {
            prepare(&args.threads);
            train::run(args, peers.as_ref())
        }
        Command::Eval(args) => {
            prepare(&args.threads);
            commands::eval(args)
        }
        Command::Show(args) => commands::show(args),
        Command::Bench(args) => bench::run(args, peers.as_ref()),
        Command::Serve(args) => serve::run(args),
    };
    // Every process has the same outcome; rank 0 says it.
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            if peers.rank() == 0 {
                eprintln!("ferrograd: error: {error}");
            }
            error.exit_code()
        }
    };
    drop(peers); // finalizes MPI, if it was started
    std::process::exit(code);
}

/// The process-wide settings of the commands that train or evaluate: the thread count, and
/// glibc's malloc thresholds pinned as `bench` and the Rust peers pin them. Unpinned, the
/// training loop's speed depends on what the allocator happened to return to the system before
/// it: in one layout of allocations, 1-thread steps took 80 µs longer, with 24 page faults each.
fn prepare(threads: &ThreadsArgs) {
    malloc::pin();
    threads.apply();
}
