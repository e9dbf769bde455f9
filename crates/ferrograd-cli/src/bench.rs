//! `ferrograd bench`: the machine's GEMM rate, the recipe's training step, and a sweep over
//! hidden and batch sizes, with the matrix products on 1 and on 2 threads.
//!
//! Each thread count is measured in this process, one after the other, with
//! [`ferrograd::set_num_threads`].

pub mod distributed;
pub mod measure;
pub mod report;

use std::io::IsTerminal;

use crate::cli::BenchArgs;
use crate::error::CliError;
use crate::malloc;
use crate::peers::Peers;
use measure::{Budget, RECIPE};
use report::{Recipe, Report, Run, StepResult, build_profile};

/// Runs the benchmarks and prints a table, or JSON with `--json`; with `--distributed`, the
/// data-parallel step on `peers` ([`distributed`]).
///
/// # Errors
/// Several processes without `--distributed`, or `--distributed`'s own errors.
pub fn run(args: &BenchArgs, peers: &dyn Peers) -> Result<(), CliError> {
    if args.distributed {
        return distributed::run(args, peers);
    }
    if peers.size() > 1 {
        return Err(CliError::Usage(
            "under mpirun, `ferrograd bench` measures only with --distributed".into(),
        ));
    }
    let malloc = if args.malloc_default || !malloc::pin() {
        "default"
    } else {
        "pinned"
    };
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let counts = match args.threads {
        Some(threads) => vec![threads],
        None if cpus == 1 => vec![1],
        None => vec![1, 2],
    };
    let runs = counts
        .into_iter()
        .map(|threads| {
            ferrograd::set_num_threads(threads);
            measure_run(args, threads)
        })
        .collect();
    let report = Report {
        build: build_profile(),
        cpu_features: cpu_features(),
        cpus,
        malloc: malloc.into(),
        quick: args.quick,
        recipe: recipe_description(),
        runs,
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}

/// Measures everything with the matrix products split over `threads` threads, the count this
/// process has been set to.
fn measure_run(args: &BenchArgs, threads: usize) -> Run {
    let quick = args.quick;
    let reps = args.reps.unwrap_or(if quick { 3 } else { 5 });
    let step_budget = Budget {
        warmup: if quick { 1 } else { 3 },
        reps,
        seconds_per_rep: if quick { 0.03 } else { 0.25 },
        iters: args.steps,
    };
    let gemm_budget = Budget {
        warmup: 1,
        reps,
        seconds_per_rep: if quick { 0.02 } else { 0.2 },
        iters: None,
    };
    let gemm_sizes: &[usize] = if quick { &[512] } else { &[1024, 2048] };
    let hidden_sizes: &[usize] = if quick {
        &[256, 1024]
    } else {
        &[256, 1024, 4096]
    };
    let batch_sizes = [32, 256];

    let progress = |what: &str| {
        if std::io::stderr().is_terminal() {
            eprintln!("bench: {threads} thread(s): {what}");
        }
    };
    let gemm: Vec<_> = if args.recipe_only {
        Vec::new()
    } else {
        gemm_sizes
            .iter()
            .map(|&n| {
                progress(&format!("GEMM {n}x{n}"));
                measure::gemm(n, gemm_budget)
            })
            .collect()
    };
    let peak = gemm.iter().map(|g| g.gflops).reduce(f64::max);

    let (batch, hidden) = RECIPE;
    progress(&format!("training step, batch {batch}, hidden {hidden}"));
    let recipe = measure::train_step(batch, hidden, step_budget, peak);
    let mut sweep: Vec<StepResult> = Vec::new();
    if !args.recipe_only {
        for &hidden in hidden_sizes {
            for batch in batch_sizes {
                if (batch, hidden) == RECIPE {
                    sweep.push(recipe.clone());
                    continue;
                }
                progress(&format!("training step, batch {batch}, hidden {hidden}"));
                sweep.push(measure::train_step(batch, hidden, step_budget, peak));
            }
        }
    }

    Run {
        threads,
        gemm,
        gemm_peak_gflops: peak,
        recipe,
        sweep,
    }
}

/// The seed recipe and its work per step and per epoch.
fn recipe_description() -> Recipe {
    let (batch, hidden) = RECIPE;
    let sizes = measure::mlp_sizes(hidden);
    let flops = measure::step_flops(batch, &sizes);
    let steps = measure::epoch_steps(batch);
    Recipe {
        sizes: sizes.to_vec(),
        activation: ferrograd::train::recipe::ACTIVATION.to_string(),
        batch,
        mflop_per_step: flops / 1e6,
        steps_per_epoch: steps,
        gflop_per_epoch: flops * steps as f64 / 1e9,
    }
}

/// The vector instructions the kernels run on, as the library detects them.
fn cpu_features() -> Vec<String> {
    vec![ferrograd::kernels::simd().to_string()]
}
