//! `ferrograd bench --distributed`: the data-parallel training step on the processes `mpirun`
//! started (or on this one alone), at the recipe's shapes and at compute-heavy ones, each
//! process on one thread unless `--threads` says otherwise: images per second, the time of one
//! sum of the model's gradients over the processes (the ring allreduce of `crate::peers`), and
//! the share of the step it takes.
//!
//! Alone, it also measures what a model of a ring allreduce over a network needs — the step at
//! the batch each of 8 or 64 machines would get, and the gradients' copies into and out of the
//! buffer — and prints the speed-up the model gives on 8 and 64 machines at 10 and 100 Gb/s.

use std::fmt::Write as _;

use ferrograd::train::{gradients_len, read_gradients, write_gradients};
use serde::{Deserialize, Serialize};

use super::measure::{Budget, random_batch, recipe_learner, shape_rng, time_reps};
use super::report::build_profile;
use crate::cli::BenchArgs;
use crate::error::CliError;
use crate::peers::{Alone, Peers};
use crate::train::DataParallel;

/// The shapes measured, as (hidden, global batch): the recipe's, then compute-heavy ones.
const SHAPES: [(usize, usize); 5] = [
    (256, 32),
    (1024, 256),
    (1024, 1024),
    (2048, 256),
    (2048, 1024),
];
/// The shapes of `--quick`.
const QUICK_SHAPES: [(usize, usize); 2] = [(256, 32), (1024, 256)];
/// The aim of issue 21: 2 processes at this shape reach this speed-up over one process on one
/// thread.
const AIM_SHAPE: (usize, usize) = (2048, 1024);
const AIM_SPEEDUP: f64 = 1.6;
/// The machine counts the model is evaluated for.
const MACHINES: [usize; 2] = [8, 64];
/// The links of the model: bandwidth in Gb/s and the latency assumed per message (TCP over
/// 10 Gb/s Ethernet; RDMA over 100 Gb/s InfiniBand or RoCE).
const LINKS: [(f64, f64); 2] = [(10.0, 20e-6), (100.0, 3e-6)];

/// Everything one `ferrograd bench --distributed` measured.
#[derive(Debug, Serialize, Deserialize)]
pub struct DistributedReport {
    /// `release` or `debug`.
    pub build: String,
    /// Processes that trained together.
    pub processes: usize,
    /// Threads each process's matrix products used.
    pub threads_per_process: usize,
    /// One entry per shape.
    pub shapes: Vec<ShapeResult>,
    /// The ring model's speed-ups (measured alone only).
    pub model: Vec<ModelRow>,
}

/// The data-parallel step at one shape.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShapeResult {
    /// Units in each of the two hidden layers.
    pub hidden: usize,
    /// Images per step, over all processes.
    pub batch: usize,
    /// Images per step on rank 0.
    pub per_process: usize,
    /// The gradients (and the loss) summed each step, in MB.
    pub gradient_mb: f64,
    /// Steps per timed repetition.
    pub steps_per_rep: usize,
    /// Median milliseconds per step (rank 0's clock).
    pub ms_per_step: f64,
    /// Images per second, over all processes.
    pub samples_per_s: f64,
    /// Median milliseconds of one sum of the gradients over the processes (none alone).
    pub allreduce_ms: Option<f64>,
    /// `allreduce_ms / ms_per_step`.
    pub communication_share: Option<f64>,
}

/// The ring model's estimate for one shape on `machines` machines over one link.
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelRow {
    /// Units in each hidden layer.
    pub hidden: usize,
    /// Images per step, over all machines.
    pub batch: usize,
    /// Machines, one process each.
    pub machines: usize,
    /// Link bandwidth, Gb/s.
    pub gbit_per_s: f64,
    /// Latency per message, µs.
    pub latency_us: f64,
    /// Measured: the step at `batch / machines` images, plus copying the gradients into the
    /// buffer and back, in ms.
    pub compute_ms: f64,
    /// Modelled: `2 (N-1) latency + 2 (N-1)/N bytes / bandwidth`, in ms.
    pub allreduce_ms: f64,
    /// The whole-batch step alone over `compute_ms + allreduce_ms`.
    pub speedup: f64,
}

/// Runs the benchmark and prints a table, or JSON with `--json`, on rank 0; with `--against
/// FILE` (the JSON of a one-process run), the table also gives the speed-up over it.
///
/// # Errors
/// When the `--against` file cannot be read as such a report.
pub fn run(args: &BenchArgs, peers: &dyn Peers) -> Result<(), CliError> {
    let against = args.against.as_deref().map(read_report).transpose()?;
    let threads = args.threads.unwrap_or(1);
    ferrograd::set_num_threads(threads);
    let budget = Budget {
        warmup: 1,
        reps: args.reps.unwrap_or(if args.quick { 2 } else { 3 }),
        seconds_per_rep: if args.quick { 0.05 } else { 1.0 },
        iters: args.steps,
    };
    let shapes: &[(usize, usize)] = if args.quick { &QUICK_SHAPES } else { &SHAPES };
    let results: Vec<ShapeResult> = shapes
        .iter()
        .map(|&(hidden, batch)| measure_shape(peers, hidden, batch, budget))
        .collect();
    let model = if peers.size() == 1 {
        results
            .iter()
            .flat_map(|shape| model_rows(shape, budget))
            .collect()
    } else {
        Vec::new()
    };
    let report = DistributedReport {
        build: build_profile(),
        processes: peers.size(),
        threads_per_process: threads,
        shapes: results,
        model,
    };
    if peers.rank() == 0 {
        if args.json {
            println!("{}", serde_json::to_string(&report).expect("plain data"));
        } else {
            print!("{}", report.to_table(against.as_ref()));
        }
    }
    Ok(())
}

/// The report in the JSON file at `path`.
fn read_report(path: &std::path::Path) -> Result<DistributedReport, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read --against {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "--against {} is not the JSON of `ferrograd bench --distributed --json`: {e}",
            path.display()
        ))
    })
}

/// The data-parallel step at `hidden` and `batch` on `peers`, each on its share of one fixed
/// random batch, and the sum of its gradients alone.
fn measure_shape(peers: &dyn Peers, hidden: usize, batch: usize, budget: Budget) -> ShapeResult {
    let mut learner = recipe_learner(hidden);
    let (rank, size) = (peers.rank(), peers.size());
    let share = batch * rank / size..batch * (rank + 1) / size;
    let (x, labels) = random_batch(&mut shape_rng(batch, hidden), batch, share);
    let mut together = DataParallel::new(peers, learner.parameters(), batch);
    let step = time_reps(budget, peers, || {
        together.compute_gradients(&mut learner, peers, &x, &labels);
        learner.apply_update();
    });
    let len = gradients_len(learner.parameters()) + 1;
    let allreduce = (size > 1).then(|| {
        let mut buffer = vec![0.0f32; len];
        time_reps(budget, peers, || peers.sum(&mut buffer)).median()
    });
    let seconds = step.median();
    ShapeResult {
        hidden,
        batch,
        per_process: labels.len(),
        gradient_mb: (len * 4) as f64 / 1e6,
        steps_per_rep: step.iters,
        ms_per_step: seconds * 1e3,
        samples_per_s: batch as f64 / seconds,
        allreduce_ms: allreduce.map(|s| s * 1e3),
        communication_share: allreduce.map(|s| s / seconds),
    }
}

/// The ring model for `shape` (measured alone) on each of [`MACHINES`] over each of [`LINKS`].
fn model_rows(shape: &ShapeResult, budget: Budget) -> Vec<ModelRow> {
    let mut learner = recipe_learner(shape.hidden);
    let mut buffer = vec![0.0f32; gradients_len(learner.parameters())];
    let (x, labels) = random_batch(&mut shape_rng(shape.batch, shape.hidden), shape.batch, 0..1);
    learner.step(&x, &labels);
    let copies = time_reps(budget, &Alone, || {
        read_gradients(learner.parameters(), &mut buffer, 1.0);
        write_gradients(learner.parameters(), &buffer);
    })
    .median();
    let bytes = shape.gradient_mb * 1e6;
    let mut rows = Vec::new();
    for machines in MACHINES.into_iter().filter(|&n| shape.batch >= n) {
        let per_machine = shape.batch / machines;
        let rng = &mut shape_rng(shape.batch, shape.hidden);
        let (x, labels) = random_batch(rng, shape.batch, 0..per_machine);
        let compute = time_reps(budget, &Alone, || {
            learner.step(&x, &labels);
        })
        .median()
            + copies;
        for (gbit, latency) in LINKS {
            let steps = 2.0 * (machines - 1) as f64;
            let allreduce = steps * latency + steps / machines as f64 * bytes * 8.0 / (gbit * 1e9);
            rows.push(ModelRow {
                hidden: shape.hidden,
                batch: shape.batch,
                machines,
                gbit_per_s: gbit,
                latency_us: latency * 1e6,
                compute_ms: compute * 1e3,
                allreduce_ms: allreduce * 1e3,
                speedup: shape.ms_per_step / 1e3 / (compute + allreduce),
            });
        }
    }
    rows
}

impl DistributedReport {
    /// The report as tables for people: the step at each shape (with the speed-up over
    /// `against`, a one-process report, when given), then the ring model (this report's, or
    /// `against`'s).
    pub fn to_table(&self, against: Option<&DistributedReport>) -> String {
        let mut out = String::new();
        let plural = |n: usize| if n == 1 { "" } else { "es" };
        let _ = writeln!(
            out,
            "ferrograd bench --distributed: {} process{}, {} thread(s) each, {} build; \
             gradients summed by a ring allreduce in a fixed order",
            self.processes,
            plural(self.processes),
            self.threads_per_process,
            self.build
        );
        let _ = writeln!(
            out,
            "{:>6} {:>6} {:>11} {:>12} {:>9} {:>10} {:>12} {:>13} {:>21}",
            "hidden",
            "batch",
            "per process",
            "gradient MB",
            "ms/step",
            "samples/s",
            "allreduce ms",
            "communication",
            "speed-up over 1 proc."
        );
        let optional = |x: Option<f64>, scale: f64, unit: &str| {
            x.map_or("-".to_string(), |x| format!("{:.2}{unit}", x * scale))
        };
        let mut aim = None;
        for s in &self.shapes {
            let base = against.and_then(|a| {
                a.shapes
                    .iter()
                    .find(|b| (b.hidden, b.batch) == (s.hidden, s.batch))
            });
            let speedup = base.map(|b| s.samples_per_s / b.samples_per_s);
            if (s.hidden, s.batch) == AIM_SHAPE {
                aim = speedup;
            }
            let _ = writeln!(
                out,
                "{:>6} {:>6} {:>11} {:>12.2} {:>9.2} {:>10.0} {:>12} {:>13} {:>21}",
                s.hidden,
                s.batch,
                s.per_process,
                s.gradient_mb,
                s.ms_per_step,
                s.samples_per_s,
                optional(s.allreduce_ms, 1.0, ""),
                optional(s.communication_share, 100.0, "%"),
                optional(speedup, 1.0, "x"),
            );
        }
        if let Some(speedup) = aim {
            let verdict = if speedup >= AIM_SPEEDUP {
                "met"
            } else {
                "not met"
            };
            let _ = writeln!(
                out,
                "aim: >= {AIM_SPEEDUP}x at hidden {}, batch {}: {speedup:.2}x, {verdict}",
                AIM_SHAPE.0, AIM_SHAPE.1
            );
        }
        let model = if self.model.is_empty() {
            against.map_or(&self.model, |a| &a.model)
        } else {
            &self.model
        };
        if model.is_empty() {
            return out;
        }
        let _ = writeln!(
            out,
            "\nring allreduce model, one process per machine: step(N) = the step at batch/N \
             + the gradients' copies (both measured on one process) + 2(N-1)·latency + \
             2(N-1)/N·bytes/bandwidth; speed-up = step(1) / step(N)"
        );
        let _ = writeln!(
            out,
            "{:>6} {:>6} {:>8} {:>16} {:>11} {:>13} {:>9} {:>11}",
            "hidden",
            "batch",
            "machines",
            "link",
            "compute ms",
            "allreduce ms",
            "speed-up",
            "efficiency"
        );
        for m in model {
            let link = format!("{} Gb/s, {} µs", m.gbit_per_s, m.latency_us);
            let _ = writeln!(
                out,
                "{:>6} {:>6} {:>8} {:>16} {:>11.3} {:>13.3} {:>8.1}x {:>10.0}%",
                m.hidden,
                m.batch,
                m.machines,
                link,
                m.compute_ms,
                m.allreduce_ms,
                m.speedup,
                m.speedup / m.machines as f64 * 100.0
            );
        }
        out
    }
}
