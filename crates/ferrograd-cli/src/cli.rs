//! The command line: subcommands and their flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ferrograd::nn::Activation;

use crate::train::settings::{Settings, activation_names};

/// Train and inspect a multilayer perceptron on MNIST (or any IDX data set), with ferrograd.
#[derive(Debug, Parser)]
#[command(name = "ferrograd", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train an MLP (defaults: the original recipe, 784-256-256-10 tanh, SGD lr 0.1, batch 32,
    /// 5 epochs) and write metrics.csv, loss.png and model.safetensors.
    Train(TrainArgs),
    /// Print the test accuracy of saved weights.
    Eval(EvalArgs),
    /// Draw one digit (or the first 64 with --grid) into a PNG.
    Show(ShowArgs),
    /// Measure the machine's GEMM rate and the training step's speed.
    Bench(BenchArgs),
    /// Serve the page (web/dist): draw a digit and see the model's answer, train in the
    /// browser, see the sigmoid's graph.
    Serve(ServeArgs),
}

/// Where the IDX files are.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Folder with the four IDX files (gzip or raw). Default: $MNIST_DIR, else the user's cache
    /// folder, downloading MNIST there if it is missing.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// How many threads the matrix products use, for the commands that train or evaluate.
#[derive(Debug, Args)]
pub struct ThreadsArgs {
    /// Threads for matrix products (default: $FERROGRAD_NUM_THREADS, else every CPU); results
    /// are identical for any count.
    #[arg(long, value_name = "N", value_parser = positive_usize)]
    pub threads: Option<usize>,
}

impl ThreadsArgs {
    /// Sets the library's thread count to `--threads`, when given (else leaves its default).
    pub fn apply(&self) {
        if let Some(threads) = self.threads {
            ferrograd::set_num_threads(threads);
        }
    }
}

/// `ferrograd train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Where the data come from.
    #[command(flatten)]
    pub data: DataArgs,
    /// What the run computes.
    #[command(flatten)]
    pub settings: Settings,
    /// Folder for metrics.csv, loss.png and model.safetensors. Default: `runs/<timestamp>`.
    #[arg(long, value_name = "DIR", conflicts_with = "resume")]
    pub out: Option<PathBuf>,
    /// Continue a run that was stopped, from the last epoch it completed in DIR, with the
    /// settings stored there.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// How many threads the matrix products use (not a run setting: `--resume` takes it too).
    #[command(flatten)]
    pub threads: ThreadsArgs,
}

/// The activation of the network in a model file, for the commands that read one.
#[derive(Debug, Args)]
pub struct ModelActivationArgs {
    /// The activation the model was trained with. Default: the one the model file records
    /// (ferrograd's files do), else tanh; a value that contradicts the file is refused.
    #[arg(long, value_name = "NAME", value_parser = activation_names(), ignore_case = true)]
    pub activation: Option<Activation>,
}

/// `ferrograd serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Weights for the page to start from (the recipe's sizes, as `train` writes them); without
    /// it the page starts untrained.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// The activation of `--model`.
    #[command(flatten)]
    pub trained_with: ModelActivationArgs,
    /// Where the MNIST files the page trains and tests on come from (never downloaded here).
    #[command(flatten)]
    pub data: DataArgs,
    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on; the default serves this machine only.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// The page's build folder. Default: web/dist of the source tree the binary was built from.
    #[arg(long, value_name = "DIR")]
    pub page: Option<PathBuf>,
}

/// `ferrograd eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Where the data come from.
    #[command(flatten)]
    pub data: DataArgs,
    /// Weights written by `train` (model.safetensors).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The activation of `--model`.
    #[command(flatten)]
    pub trained_with: ModelActivationArgs,
    /// How many threads the matrix products use.
    #[command(flatten)]
    pub threads: ThreadsArgs,
}

/// The two halves of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// The training images.
    Train,
    /// The test images.
    Test,
}

/// `ferrograd show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Where the data come from.
    #[command(flatten)]
    pub data: DataArgs,
    /// Which image to draw.
    #[arg(long, default_value_t = 0)]
    pub index: usize,
    /// Which split to draw from.
    #[arg(long, value_enum, default_value_t = SplitArg::Train)]
    pub split: SplitArg,
    /// Draw the first 64 images of the split in an 8×8 grid instead of one.
    #[arg(long)]
    pub grid: bool,
    /// The PNG to write.
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
}

/// `ferrograd bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// A short run: smaller GEMM squares, fewer repetitions and no hidden size 4096.
    #[arg(long)]
    pub quick: bool,
    /// Measure with the matrix products split over this many threads only (default: 1, then 2
    /// when there are at least 2 CPUs).
    #[arg(long, value_name = "N", value_parser = positive_usize)]
    pub threads: Option<usize>,
    /// Training steps per timed repetition (default: as many as fill a fixed time).
    #[arg(long, value_name = "N", value_parser = positive_usize)]
    pub steps: Option<usize>,
    /// Timed repetitions of each measurement; the median is reported.
    #[arg(long, value_name = "N", value_parser = positive_usize)]
    pub reps: Option<usize>,
    /// Time only the recipe's training step: no GEMM peak and no sweep (for profilers).
    #[arg(long)]
    pub recipe_only: bool,
    /// Keep glibc's adaptive malloc thresholds instead of pinning them (for comparison).
    #[arg(long)]
    pub malloc_default: bool,
    /// Time the data-parallel training step on the processes `mpirun` started (or this one
    /// alone), each on one thread unless --threads says otherwise, and the sum of the gradients
    /// over them.
    #[arg(long)]
    pub distributed: bool,
    /// With --distributed: the JSON of a one-process run (`--distributed --json`), to give the
    /// speed-up over it and its model of more machines.
    #[arg(long, value_name = "FILE", requires = "distributed")]
    pub against: Option<PathBuf>,
}

fn positive_usize(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
