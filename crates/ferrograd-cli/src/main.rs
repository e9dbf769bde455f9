//! `ferrograd`: train, evaluate and inspect an MLP on MNIST.

use clap::Parser;
use ferrograd_cli::cli::{Cli, Command};
use ferrograd_cli::{bench, commands, error, train};

fn main() {
    let cli = Cli::try_parse().unwrap_or_else(|e| error::exit_on_clap_error(e));
    let result = match &cli.command {
        Command::Train(args) => {
            args.threads.apply();
            train::run(args)
        }
        Command::Eval(args) => {
            args.threads.apply();
            commands::eval(args)
        }
        Command::Show(args) => commands::show(args),
        Command::Bench(args) => bench::run(args),
    };
    if let Err(error) = result {
        eprintln!("ferrograd: error: {error}");
        std::process::exit(error.exit_code());
    }
}
