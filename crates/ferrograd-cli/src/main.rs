//! `ferrograd`: train, evaluate and inspect an MLP on MNIST.

use clap::Parser;
use ferrograd_cli::cli::{Cli, Command};
use ferrograd_cli::{commands, train};

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Train(args) => train::run(args),
        Command::Eval(args) => commands::eval(args),
        Command::Show(args) => commands::show(args),
    };
    if let Err(error) = result {
        eprintln!("ferrograd: error: {error}");
        std::process::exit(error.exit_code());
    }
}
