//! `ferrograd bench --quick --json`: the report has every key, with positive numbers. Nothing
//! here asserts a speed (the test may run on a busy machine, in a debug build). Also the
//! `--threads` flag of `train` and `eval`.

mod common;

use std::process::Command;

use common::{Fixture, assert_one_line_error, ferrograd, s};

use serde_json::Value;

/// `bench --json --recipe-only` on `threads` threads, 2 steps, 1 repetition.
fn recipe_only(threads: usize) -> Value {
    let threads = threads.to_string();
    bench(&[
        "--json",
        "--threads",
        &threads,
        "--recipe-only",
        "--steps",
        "2",
        "--reps",
        "1",
    ])
}

fn bench(args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrograd"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run ferrograd");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "bench failed: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}):\n{}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn positive(value: &Value, key: &str) -> f64 {
    let x = value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("`{key}` is not a number in {value}"));
    assert!(x > 0.0 && x.is_finite(), "`{key}` = {x} in {value}");
    x
}

/// Checks one training-step entry; returns its (batch, hidden).
fn check_step(step: &Value) -> (u64, u64) {
    for key in [
        "mflop_per_step",
        "us_per_step",
        "us_per_step_min",
        "samples_per_s",
        "gflops",
        "fraction_of_peak",
        "epoch_s",
        "gemm_only_us_per_step",
        "gemm_share",
    ] {
        positive(step, key);
    }
    assert!(step["steps_per_rep"].as_u64().unwrap() >= 1);
    assert!(step["final_loss"].as_f64().unwrap().is_finite(), "{step}");
    let samples = positive(step, "samples_per_s");
    let us = positive(step, "us_per_step");
    let batch = step["batch"].as_u64().unwrap();
    let rate = batch as f64 / (us * 1e-6);
    assert!((samples / rate - 1.0).abs() < 1e-6, "{step}");
    (batch, step["hidden"].as_u64().unwrap())
}

#[test]
fn quick_json_has_every_measurement() {
    let report = bench(&["--quick", "--json"]);
    assert!(matches!(
        report["build"].as_str(),
        Some("debug" | "release")
    ));
    assert_eq!(report["quick"], Value::Bool(true));
    assert!(report["malloc"].is_string());
    assert!(report["cpus"].as_u64().unwrap() >= 1);
    assert!(report["cpu_features"].is_array());

    let recipe = &report["recipe"];
    assert_eq!(recipe["batch"], 32);
    assert_eq!(recipe["steps_per_epoch"], 1875);
    let sizes: Vec<u64> = recipe["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [784, 256, 256, 10]);
    assert!((positive(recipe, "mflop_per_step") - 38.76).abs() < 0.01);
    assert!((positive(recipe, "gflop_per_epoch") - 72.68).abs() < 0.01);

    assert!(
        report.get("gemm_threading").is_none(),
        "every build splits products over threads now: {report}"
    );
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    assert_eq!(report["cpus"].as_u64().unwrap(), cpus as u64);
    let runs = report["runs"].as_array().unwrap();
    let threads: Vec<u64> = runs
        .iter()
        .map(|r| r["threads"].as_u64().unwrap())
        .collect();
    assert_eq!(threads, if cpus >= 2 { vec![1, 2] } else { vec![1] });
    for run in runs {
        let gemm = run["gemm"].as_array().unwrap();
        assert!(!gemm.is_empty());
        for size in gemm {
            positive(size, "ms");
            positive(size, "gflops");
            assert!(size["n"].as_u64().unwrap() >= 256);
        }
        positive(run, "gemm_peak_gflops");
        assert_eq!(check_step(&run["recipe"]), (32, 256));
        let cells: Vec<(u64, u64)> = run["sweep"]
            .as_array()
            .unwrap()
            .iter()
            .map(check_step)
            .collect();
        for cell in [(32, 256), (256, 256), (32, 1024), (256, 1024)] {
            assert!(cells.contains(&cell), "{cell:?} missing from {cells:?}");
        }
        assert!(
            !cells.iter().any(|&(_, h)| h == 4096),
            "--quick skips hidden 4096"
        );
    }
}

#[test]
fn recipe_only_skips_the_gemm_peak_and_the_sweep() {
    let report = recipe_only(1);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["threads"], 1);
    assert!(run["gemm"].as_array().unwrap().is_empty());
    assert!(run["gemm_peak_gflops"].is_null());
    assert!(run["recipe"]["fraction_of_peak"].is_null());
    assert_eq!(run["recipe"]["steps_per_rep"], 2);
    assert_eq!(run["recipe"]["reps"], 1);
    positive(&run["recipe"], "us_per_step");
    assert!(run["sweep"].as_array().unwrap().is_empty());
}

#[test]
fn the_table_names_the_recipe() {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrograd"))
        .args([
            "bench",
            "--threads",
            "1",
            "--recipe-only",
            "--steps",
            "1",
            "--reps",
            "1",
        ])
        .output()
        .expect("run ferrograd");
    assert!(output.status.success());
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("784-256-256-10"), "{table}");
    assert!(table.contains("38.76 MFLOP"), "{table}");
    assert!(table.contains("<- recipe"), "{table}");
}

#[test]
fn bench_measures_two_threads_on_request() {
    let report = recipe_only(2);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let recipe = &runs[0]["recipe"];
    assert_eq!(runs[0]["threads"], 2);
    assert_eq!(
        (&recipe["batch"], &recipe["hidden"]),
        (&32.into(), &256.into())
    );
    positive(recipe, "us_per_step");
    positive(recipe, "gemm_only_us_per_step");
    assert!(
        recipe["final_loss"].as_f64().unwrap().is_finite(),
        "{recipe}"
    );
}

#[test]
fn the_table_compares_one_and_two_threads() {
    let output = Command::new(env!("CARGO_BIN_EXE_ferrograd"))
        .args(["bench", "--recipe-only", "--steps", "1", "--reps", "1"])
        .output()
        .expect("run ferrograd");
    assert!(output.status.success());
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("== matrix products on 1 thread =="),
        "{table}"
    );
    if std::thread::available_parallelism().map_or(1, usize::from) >= 2 {
        assert!(
            table.contains("== matrix products on 2 threads =="),
            "{table}"
        );
        assert!(table.contains("== 2 vs 1 threads"), "{table}");
    }
}

// ---------------------------------------------------------------------------- train/eval --threads

#[test]
fn train_and_eval_reject_zero_threads() {
    let output = ferrograd(&["train", "--threads", "0"]);
    assert_one_line_error(&output, 2, &["--threads", "must be at least 1"]);
    let output = ferrograd(&["eval", "--model", "model.safetensors", "--threads", "0"]);
    assert_one_line_error(&output, 2, &["--threads", "must be at least 1"]);
    let output = ferrograd(&["train", "--threads", "some"]);
    assert_one_line_error(&output, 2, &["--threads", "'some'"]);
}

/// Training's weights do not depend on `--threads`, and `--resume` takes `--threads` (it is not
/// a run setting): 2 threads for one epoch, then 1 for the second, equals 1 thread throughout.
#[test]
fn threads_do_not_change_training_and_resume_takes_them() {
    let fixture = Fixture::new(64, 16);
    let data = fixture.data();
    let train = |epochs: &str, threads: &str, out: &str| {
        // Large enough that the products are split over 2 threads.
        let flags = [
            "--epochs",
            epochs,
            "--hidden",
            "64",
            "--batch-size",
            "16",
            "--threads",
            threads,
        ];
        common::train(&fixture, out, &flags);
    };
    let weights = |out: &str| std::fs::read(fixture.path(out).join("model.safetensors")).unwrap();
    train("1", "1", "one");
    train("1", "2", "two");
    assert!(
        weights("one") == weights("two"),
        "the weights depend on --threads"
    );

    train("2", "1", "straight");
    let state = fixture.path("two").join("state.txt");
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(
        !text.contains("threads"),
        "threads is not a run setting: {text}"
    );
    std::fs::write(&state, text.replace("\"epochs\": 1,", "\"epochs\": 2,")).unwrap();
    let output = ferrograd(&[
        "train",
        "--resume",
        s(&fixture.path("two")),
        "--threads",
        "1",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Epoch 2/2"));
    assert!(
        weights("two") == weights("straight"),
        "the resumed weights differ"
    );

    let model = fixture.path("straight").join("model.safetensors");
    let eval = |threads: &str| {
        let output = ferrograd(&[
            "eval",
            "--data",
            s(&data),
            "--model",
            s(&model),
            "--threads",
            threads,
        ]);
        assert!(output.status.success(), "{output:?}");
        output.stdout
    };
    assert_eq!(eval("1"), eval("2"));
}

/// `bench --distributed` alone: the data-parallel step at each `--quick` shape, with no sum to
/// time, and the ring model's rows for the machine counts each batch can be shared out to; then
/// `--against` that report on the table, with the speed-up over it (1x against itself, roughly).
#[test]
fn distributed_bench_alone_reports_every_shape_and_the_model() {
    let flags = ["--distributed", "--quick", "--steps", "1", "--reps", "1"];
    let report = bench(&[&flags[..], &["--json"]].concat());
    assert_eq!(
        (
            report["processes"].as_u64(),
            report["threads_per_process"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let shapes = report["shapes"].as_array().unwrap();
    let cells: Vec<(u64, u64)> = shapes
        .iter()
        .map(|s| (s["hidden"].as_u64().unwrap(), s["batch"].as_u64().unwrap()))
        .collect();
    assert_eq!(cells, [(256, 32), (1024, 256)]);
    for shape in shapes {
        assert_eq!(
            shape["per_process"], shape["batch"],
            "alone, a process has the whole batch"
        );
        for key in ["gradient_mb", "ms_per_step", "samples_per_s"] {
            positive(shape, key);
        }
        assert!(shape["allreduce_ms"].is_null() && shape["communication_share"].is_null());
    }
    // Hidden 256: 784·256 + 256 + 256·256 + 256 + 256·10 + 10 parameters and the loss, 4 bytes each.
    let values = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10 + 1;
    assert_eq!(
        shapes[0]["gradient_mb"].as_f64(),
        Some(values as f64 * 4.0 / 1e6)
    );
    // Batch 32 goes to 8 machines but not to 64; batch 256 to both; two links each.
    let model = report["model"].as_array().unwrap();
    let rows: Vec<(u64, u64)> = model
        .iter()
        .map(|m| {
            (
                m["batch"].as_u64().unwrap(),
                m["machines"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(32, 8), (32, 8), (256, 8), (256, 8), (256, 64), (256, 64)]
    );
    for row in model {
        let (compute, allreduce) = (positive(row, "compute_ms"), positive(row, "allreduce_ms"));
        let machines = row["machines"].as_f64().unwrap();
        let (bandwidth, latency) = (
            positive(row, "gbit_per_s") * 1e9,
            positive(row, "latency_us") * 1e-6,
        );
        let mb = shapes.iter().find(|s| s["batch"] == row["batch"]).unwrap()["gradient_mb"]
            .as_f64()
            .unwrap();
        let expected = 2.0 * (machines - 1.0) * (latency + mb * 1e6 * 8.0 / machines / bandwidth);
        assert!(
            (allreduce / 1e3 - expected).abs() < 1e-9,
            "{allreduce} ms vs {expected} s"
        );
        positive(row, "speedup");
        assert!(compute > 0.0);
    }

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.json");
    std::fs::write(&file, report.to_string()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ferrograd"))
        .args(["bench", "--against", s(&file)])
        .args(flags)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("speed-up over 1 proc."), "{table}");
    assert!(table.contains("ring allreduce model"), "{table}");
    let with_speedup = table.lines().filter(|l| l.trim_end().ends_with('x'));
    assert_eq!(
        with_speedup.count(),
        2,
        "a speed-up on each shape's row: {table}"
    );

    std::fs::write(&file, "{}").unwrap();
    let output = ferrograd(&["bench", "--distributed", "--against", s(&file)]);
    assert_one_line_error(&output, 2, &["--against", "not the JSON of"]);
    let output = ferrograd(&["bench", "--against", s(&file)]);
    assert_one_line_error(&output, 2, &["--distributed"]);
}
