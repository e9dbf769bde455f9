//! `ferrograd bench`: the machine's GEMM rate, the recipe's training step, and a sweep over
//! hidden and batch sizes, with 1 and 2 GEMM threads.
//!
//! matrixmultiply (ndarray's GEMM) reads `MATMUL_NUM_THREADS` once per process and keeps it, so
//! each thread count is measured in a child process (this binary again, with
//! `bench --threads N --json` and the variable set) and the parent merges their reports.

pub mod malloc;
pub mod measure;
pub mod report;

use std::io::IsTerminal;
use std::process::Command;

use crate::cli::BenchArgs;
use crate::error::CliError;
use measure::{Budget, RECIPE};
use report::{Recipe, Report, Run, StepResult};

/// The environment variable matrixmultiply reads its thread count from.
const THREADS_VAR: &str = "MATMUL_NUM_THREADS";

/// Whether this build's GEMM can use more than one thread.
const GEMM_THREADING: bool = cfg!(feature = "threads");

/// Runs the benchmarks and prints a table, or JSON with `--json`.
pub fn run(args: &BenchArgs) -> Result<(), CliError> {
    let malloc = if args.malloc_default || !malloc::pin() {
        "default"
    } else {
        "pinned"
    };
    let report = match args.threads {
        Some(threads) => with_threads(args, threads, malloc)?,
        None => {
            let counts: &[usize] = if GEMM_THREADING { &[1, 2] } else { &[1] };
            let mut reports = counts
                .iter()
                .map(|&n| with_threads(args, n, malloc))
                .collect::<Result<Vec<_>, _>>()?;
            let mut merged = reports.remove(0);
            merged.runs.extend(reports.into_iter().flat_map(|r| r.runs));
            merged
        }
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}

/// The report for `threads` GEMM threads: measured here when this process's GEMM is set up for
/// that count, otherwise by a child process that is.
fn with_threads(args: &BenchArgs, threads: usize, malloc: &str) -> Result<Report, CliError> {
    if !GEMM_THREADING {
        if threads != 1 {
            return Err(CliError::Usage(format!(
                "--threads {threads}: this build's GEMM runs on one thread; rebuild with \
                 `--features threads` to measure more"
            )));
        }
        return Ok(measure_here(args, threads, malloc));
    }
    let set_here = std::env::var(THREADS_VAR).is_ok_and(|v| v.trim() == threads.to_string());
    if set_here && args.threads == Some(threads) {
        Ok(measure_here(args, threads, malloc))
    } else {
        in_child(args, threads)
    }
}

/// Runs `bench --threads N --json` (with this run's other flags) in a child process whose GEMM
/// uses `threads` threads, and reads its report.
fn in_child(args: &BenchArgs, threads: usize) -> Result<Report, CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Usage(format!("bench: cannot find this program to re-run: {e}")))?;
    let mut command = Command::new(&exe);
    command
        .args(["bench", "--json", "--threads", &threads.to_string()])
        .env(THREADS_VAR, threads.to_string());
    for (flag, on) in [
        ("--quick", args.quick),
        ("--recipe-only", args.recipe_only),
        ("--malloc-default", args.malloc_default),
    ] {
        if on {
            command.arg(flag);
        }
    }
    for (flag, value) in [("--steps", args.steps), ("--reps", args.reps)] {
        if let Some(value) = value {
            command.args([flag, &value.to_string()]);
        }
    }
    let output = command
        .output()
        .map_err(|e| CliError::Usage(format!("bench: cannot run {}: {e}", exe.display())))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprint!("{stderr}");
    if !output.status.success() {
        return Err(CliError::Usage(format!(
            "bench: the {threads}-thread measurement failed ({})",
            output.status
        )));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        CliError::Usage(format!(
            "bench: the {threads}-thread measurement printed no report: {e}"
        ))
    })
}

/// Measures everything in this process, whose GEMM uses `threads` threads.
fn measure_here(args: &BenchArgs, threads: usize, malloc: &str) -> Report {
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

    Report {
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .into(),
        cpu_features: cpu_features(),
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        gemm_threading: GEMM_THREADING,
        malloc: malloc.into(),
        quick,
        recipe: recipe_description(),
        runs: vec![Run {
            threads,
            gemm,
            gemm_peak_gflops: peak,
            recipe,
            sweep,
        }],
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
        activation: "tanh".into(),
        batch,
        mflop_per_step: flops / 1e6,
        steps_per_epoch: steps,
        gflop_per_epoch: flops * steps as f64 / 1e9,
    }
}

/// The x86 SIMD features the GEMM kernels choose between.
fn cpu_features() -> Vec<String> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut found = Vec::new();
        if std::arch::is_x86_feature_detected!("avx") {
            found.push("avx");
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            found.push("avx2");
        }
        if std::arch::is_x86_feature_detected!("fma") {
            found.push("fma");
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            found.push("avx512f");
        }
        found.into_iter().map(String::from).collect()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Vec::new()
    }
}
