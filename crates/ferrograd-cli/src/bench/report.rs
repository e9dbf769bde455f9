//! The results, as JSON (`--json`) or as a table.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// Everything one `ferrograd bench` measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// `release` or `debug` (debug numbers mean nothing).
    pub build: String,
    /// The vector instruction set the kernels run on, as `ferrograd::kernels::simd` detects it
    /// (`avx512f`, `avx2+fma` or `baseline`).
    pub cpu_features: Vec<String>,
    /// Logical CPUs available to the process.
    pub cpus: usize,
    /// `pinned` (mmap 32 MiB, trim 256 MiB) or `default` (glibc's adaptive thresholds).
    pub malloc: String,
    /// Whether this was a `--quick` run.
    pub quick: bool,
    /// The recipe whose step is measured.
    pub recipe: Recipe,
    /// One entry per thread count, in the order measured.
    pub runs: Vec<Run>,
}

/// The seed recipe: what one epoch of it costs in matrix-product work.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recipe {
    /// Layer sizes, input first.
    pub sizes: Vec<usize>,
    /// The activation between layers.
    pub activation: String,
    /// Images per step.
    pub batch: usize,
    /// Matrix-product work of one step (forward and backward), in MFLOP.
    pub mflop_per_step: f64,
    /// Steps in one 60,000-image epoch.
    pub steps_per_epoch: usize,
    /// Matrix-product work of one epoch, in GFLOP.
    pub gflop_per_epoch: f64,
}

/// The measurements with one thread count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run {
    /// Threads the matrix products are split over (`ferrograd::set_num_threads`).
    pub threads: usize,
    /// The rate of large square products.
    pub gemm: Vec<GemmResult>,
    /// The best of `gemm`, in GFLOP/s (absent with `--recipe-only`).
    pub gemm_peak_gflops: Option<f64>,
    /// The recipe's training step (batch 32, hidden 256).
    pub recipe: StepResult,
    /// The training step over hidden sizes and batch sizes (the recipe's cell included).
    pub sweep: Vec<StepResult>,
}

/// One square product size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GemmResult {
    /// The matrices are `n×n`.
    pub n: usize,
    /// Products per timed repetition.
    pub calls_per_rep: usize,
    /// Timed repetitions.
    pub reps: usize,
    /// Median milliseconds per product.
    pub ms: f64,
    /// `2n³` over the median time, in GFLOP/s.
    pub gflops: f64,
}

/// One training-step configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    /// Images per step.
    pub batch: usize,
    /// Units in each of the two hidden layers.
    pub hidden: usize,
    /// Matrix-product work per step, in MFLOP.
    pub mflop_per_step: f64,
    /// Steps per timed repetition.
    pub steps_per_rep: usize,
    /// Timed repetitions.
    pub reps: usize,
    /// Median microseconds per step.
    pub us_per_step: f64,
    /// Fastest repetition's microseconds per step.
    pub us_per_step_min: f64,
    /// Images per second at the median.
    pub samples_per_s: f64,
    /// Matrix-product work per second at the median, in GFLOP/s.
    pub gflops: f64,
    /// `gflops` over the GEMM peak with the same threads (absent with `--recipe-only`).
    pub fraction_of_peak: Option<f64>,
    /// Implied seconds for a 60,000-image epoch (`60000 / batch` steps).
    pub epoch_s: f64,
    /// Median microseconds of the step's eight matrix products alone, on the same shapes.
    pub gemm_only_us_per_step: f64,
    /// `gemm_only_us_per_step / us_per_step`: the share of the step the products need.
    pub gemm_share: f64,
    /// The loss of the last step timed (a sanity check: finite).
    pub final_loss: f64,
}

impl Report {
    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report is plain data")
    }

    /// The report as a table for people.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let r = &self.recipe;
        let _ = writeln!(
            out,
            "ferrograd bench: {} build, {} CPUs ({}), GEMM = ferrograd::kernels::matmul \
             (squares: matrixmultiply sgemm; a short side: ferrograd's AVX-512/AVX2 kernel; split \
             over the run's threads), malloc {}",
            self.build,
            self.cpus,
            self.cpu_features.join(" "),
            self.malloc,
        );
        if self.build != "release" {
            let _ = writeln!(out, "warning: a debug build; these numbers mean nothing");
        }
        let _ = writeln!(
            out,
            "recipe: MLP {} {}, batch {}, f32, SGD: {:.2} MFLOP per step, {} steps = {:.2} GFLOP \
             per 60,000-image epoch",
            join(&r.sizes, "-"),
            r.activation,
            r.batch,
            r.mflop_per_step,
            r.steps_per_epoch,
            r.gflop_per_epoch,
        );
        for run in &self.runs {
            write_run(&mut out, run);
        }
        if let [one, two, ..] = &self.runs[..] {
            write_speedups(&mut out, one, two);
        }
        out
    }
}

/// One thread count's GEMM rates and step table.
fn write_run(out: &mut String, run: &Run) {
    let plural = if run.threads == 1 { "" } else { "s" };
    let _ = writeln!(
        out,
        "\n== matrix products on {} thread{plural} ==",
        run.threads
    );
    if !run.gemm.is_empty() {
        let sizes: Vec<String> = run
            .gemm
            .iter()
            .map(|g| format!("n={} {:.2} ms {:.1} GFLOP/s", g.n, g.ms, g.gflops))
            .collect();
        let _ = writeln!(out, "GEMM f32 n×n (median): {}", sizes.join(" | "));
    }
    if let Some(peak) = run.gemm_peak_gflops {
        let _ = writeln!(out, "GEMM peak: {peak:.1} GFLOP/s");
    }
    let _ = writeln!(
        out,
        "{:>5} {:>6} {:>10} {:>10} {:>10} {:>11} {:>8} {:>8} {:>10} {:>6} {:>9}",
        "batch",
        "hidden",
        "MFLOP/step",
        "µs/step",
        "(min)",
        "samples/s",
        "GFLOP/s",
        "of peak",
        "GEMM µs",
        "GEMM%",
        "epoch s"
    );
    let rows = if run.sweep.is_empty() {
        std::slice::from_ref(&run.recipe)
    } else {
        &run.sweep[..]
    };
    for s in rows {
        let peak = s
            .fraction_of_peak
            .map_or_else(|| "-".to_string(), |f| format!("{:.1}%", f * 100.0));
        let mark = if (s.batch, s.hidden) == (run.recipe.batch, run.recipe.hidden) {
            "  <- recipe"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{:>5} {:>6} {:>10.1} {:>10.1} {:>10.1} {:>11.0} {:>8.2} {:>8} {:>10.1} {:>5.0}% {:>9.2}{mark}",
            s.batch,
            s.hidden,
            s.mflop_per_step,
            s.us_per_step,
            s.us_per_step_min,
            s.samples_per_s,
            s.gflops,
            peak,
            s.gemm_only_us_per_step,
            s.gemm_share * 100.0,
            s.epoch_s,
        );
    }
}

/// How much the second thread count speeds up each configuration over the first.
fn write_speedups(out: &mut String, one: &Run, two: &Run) {
    let _ = writeln!(
        out,
        "\n== {} vs {} threads (median µs/step; >1 means more threads are faster) ==",
        two.threads, one.threads
    );
    if let (Some(a), Some(b)) = (one.gemm_peak_gflops, two.gemm_peak_gflops) {
        let _ = writeln!(out, "GEMM peak: x{:.2}", b / a);
    }
    let pairs: Vec<(&StepResult, &StepResult)> = if one.sweep.is_empty() || two.sweep.is_empty() {
        vec![(&one.recipe, &two.recipe)]
    } else {
        one.sweep.iter().zip(&two.sweep).collect()
    };
    for (a, b) in pairs {
        let _ = writeln!(
            out,
            "batch {:>3} hidden {:>4}: {:>10.1} -> {:>10.1} µs  x{:.2}   (GEMM alone: x{:.2})",
            a.batch,
            a.hidden,
            a.us_per_step,
            b.us_per_step,
            a.us_per_step / b.us_per_step,
            a.gemm_only_us_per_step / b.gemm_only_us_per_step,
        );
    }
}

fn join(values: &[usize], sep: &str) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

/// `release`, or `debug` (whose numbers mean nothing).
pub(super) fn build_profile() -> String {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    profile.into()
}
