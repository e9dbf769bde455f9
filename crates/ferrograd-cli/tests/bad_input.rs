//! Bad input of every kind makes the binary print one line, `ferrograd: error: ...`, naming
//! the file or flag and what is wrong, and exit with status 2: never a panic or a usage dump.

mod common;

use std::fs;
use std::path::Path;

use common::{
    FILES, Fixture, assert_one_line_error, ferrograd, gzip, idx_header, idx_images,
    idx_labels_from, s, safetensors, train,
};
use ferrograd::nn::{Activation, Mlp, save};

/// A fixture whose data folder is about to be broken: 64 training and 16 test images.
fn data_fixture() -> Fixture {
    Fixture::new(64, 16)
}

/// `ferrograd eval` with a valid model on `fixture`'s data; only the data is under test.
fn eval_data(fixture: &Fixture) -> std::process::Output {
    let model = fixture.path("model.safetensors");
    if !model.exists() {
        save(&Mlp::<f32>::new(&[784, 8, 10], Activation::Tanh, 0), &model).unwrap();
    }
    ferrograd(&["eval", "--data", s(&fixture.data()), "--model", s(&model)])
}

/// `ferrograd train` for one tiny epoch on `fixture`'s data.
fn train_data(fixture: &Fixture) -> std::process::Output {
    let out = fixture.path("run");
    ferrograd(&[
        "train",
        "--data",
        s(&fixture.data()),
        "--epochs",
        "1",
        "--hidden",
        "4",
        "--layers",
        "1",
        "--batch-size",
        "16",
        "--out",
        s(&out),
    ])
}

/// Breaks `file` of a fresh data folder with `damage`, and checks that `train`, `eval` and
/// `show` all reject it with one line containing the file's name and `needles`.
fn assert_data_rejected(file: usize, damage: impl Fn(&Path), needles: &[&str]) {
    let fixture = data_fixture();
    damage(&fixture.data().join(FILES[file]));
    let mut expected = needles.to_vec();
    let name = FILES[file];
    expected.push(name);
    assert_one_line_error(&train_data(&fixture), 2, &expected);
    assert_one_line_error(&eval_data(&fixture), 2, &expected);
    let png = fixture.path("digit.png");
    let show = ferrograd(&["show", "--data", s(&fixture.data()), "--out", s(&png)]);
    assert_one_line_error(&show, 2, &expected);
    assert!(
        !fixture.path("run").exists(),
        "no run folder is made for bad data"
    );
}

#[test]
fn missing_data_folder() {
    let fixture = data_fixture();
    let missing = fixture.path("nowhere");
    let output = ferrograd(&["train", "--data", s(&missing), "--epochs", "1"]);
    assert_one_line_error(&output, 2, &[s(&missing), "does not exist"]);
}

#[test]
fn missing_file() {
    assert_data_rejected(3, |p| fs::remove_file(p).unwrap(), &["missing data file"]);
}

#[test]
fn empty_file() {
    assert_data_rejected(0, |p| fs::write(p, b"").unwrap(), &["is empty"]);
}

#[test]
fn truncated_in_the_header() {
    let cut = |p: &Path| {
        let bytes = fs::read(p).unwrap();
        fs::write(p, &bytes[..10]).unwrap();
    };
    assert_data_rejected(0, cut, &["truncated", "header needs 16 bytes"]);
}

#[test]
fn truncated_in_the_pixels() {
    let cut = |p: &Path| {
        let bytes = fs::read(p).unwrap();
        fs::write(p, &bytes[..bytes.len() / 2]).unwrap();
    };
    assert_data_rejected(2, cut, &["truncated", "declares"]);
}

#[test]
fn named_gz_but_not_gzip() {
    let rename = |p: &Path| {
        let mut gz = p.as_os_str().to_owned();
        gz.push(".gz");
        fs::rename(p, gz).unwrap();
    };
    assert_data_rejected(1, rename, &["not gzip"]);
}

#[test]
fn corrupt_gzip() {
    let corrupt = |p: &Path| {
        let mut compressed = gzip(&fs::read(p).unwrap());
        let middle = compressed.len() / 2;
        for byte in &mut compressed[middle..middle + 8] {
            *byte ^= 0x5a;
        }
        let mut gz = p.as_os_str().to_owned();
        gz.push(".gz");
        fs::write(gz, compressed).unwrap();
        fs::remove_file(p).unwrap();
    };
    assert_data_rejected(0, corrupt, &["corrupt"]);
}

#[test]
fn gzip_cut_short() {
    let cut = |p: &Path| {
        let compressed = gzip(&fs::read(p).unwrap());
        let mut gz = p.as_os_str().to_owned();
        gz.push(".gz");
        fs::write(gz, &compressed[..compressed.len() * 2 / 3]).unwrap();
        fs::remove_file(p).unwrap();
    };
    assert_data_rejected(2, cut, &["corrupt or incomplete gzip"]);
}

#[test]
fn wrong_idx_magic() {
    // A labels file where the images should be.
    let swap = |p: &Path| fs::write(p, idx_labels_from(&[1; 64])).unwrap();
    assert_data_rejected(0, swap, &["magic number 0x00000801", "expected 0x00000803"]);
}

#[test]
fn zero_sized_images() {
    let zero = |p: &Path| fs::write(p, idx_header(0x0803, &[64, 0, 28])).unwrap();
    assert_data_rejected(0, zero, &["wrong dimensions"]);
}

#[test]
fn image_count_differs_from_label_count() {
    let fewer = |p: &Path| fs::write(p, idx_labels_from(&[3; 63])).unwrap();
    assert_data_rejected(
        1,
        fewer,
        &["holds 64 images but", "holds 63 labels", FILES[0]],
    );
}

#[test]
fn label_out_of_range() {
    let mut labels = vec![0u8; 16];
    labels[5] = 10;
    let bad = move |p: &Path| fs::write(p, idx_labels_from(&labels)).unwrap();
    assert_data_rejected(3, bad, &["label 10 at index 5", "0..=9"]);
}

#[test]
fn test_images_of_another_size_than_the_training_images() {
    let fixture = data_fixture();
    fs::write(fixture.data().join(FILES[2]), idx_images(16, 20, 20, 9)).unwrap();
    let expected = [FILES[2], "wrong dimensions", "20×20", "28×28"];
    assert_one_line_error(&train_data(&fixture), 2, &expected);
}

#[test]
fn a_784_input_model_on_20_by_20_images() {
    let fixture = Fixture::new(8, 8);
    common::write_dataset(&fixture.data(), 8, 8, 20, 20);
    let output = eval_data(&fixture);
    assert_one_line_error(
        &output,
        2,
        &["model.safetensors", "784 inputs", "400 pixels (20×20)"],
    );
}

// ---------------------------------------------------------------------------- model files

/// `ferrograd eval` of the model file `bytes` on valid data; checks the one-line error.
fn assert_model_rejected(bytes: Option<&[u8]>, needles: &[&str]) {
    let fixture = Fixture::new(8, 8);
    let model = fixture.path("model.safetensors");
    if let Some(bytes) = bytes {
        fs::write(&model, bytes).unwrap();
    }
    let output = ferrograd(&["eval", "--data", s(&fixture.data()), "--model", s(&model)]);
    let mut expected = needles.to_vec();
    expected.push("model.safetensors");
    assert_one_line_error(&output, 2, &expected);
}

/// `train`, `eval` and `show` as the README writes them, with no `--data`, no `$MNIST_DIR`, an
/// empty cache folder and no network (two mirrors that refuse the connection): one line naming
/// the four files, each mirror's answer and the two ways out, and no cache folder left behind.
#[test]
fn without_data_each_command_names_the_four_files_each_mirror_and_the_ways_out() {
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache");
    let refusing = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/mnist/", listener.local_addr().unwrap())
    };
    let mirrors = [refusing(), refusing()];
    let model = home.path().join("model.safetensors");
    fs::write(&model, valid_model()).unwrap();
    let commands: [&[&str]; 3] = [
        &["train", "--epochs", "1", "--out", "run"],
        &["eval", "--model", s(&model)],
        &["show", "--index", "0", "--out", "d.png"],
    ];
    for args in commands {
        let output = common::command(args)
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CACHE_HOME", &cache)
            .env("FERROGRAD_MNIST_MIRRORS", mirrors.join(" "))
            .output()
            .unwrap();
        let folder = cache.join("ferrograd").join("mnist");
        let mut expected = vec![
            format!("MNIST could not be downloaded into {}", folder.display()),
            "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
             t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
                .to_string(),
            "put the four files in a folder yourself and pass `--data DIR`, or set MNIST_DIR"
                .to_string(),
        ];
        expected.extend(
            mirrors
                .iter()
                .map(|mirror| format!("{mirror}train-images-idx3-ubyte.gz: ")),
        );
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_one_line_error(&output, 2, &expected);
        let left: Vec<_> = fs::read_dir(home.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(left, ["model.safetensors"], "{args:?}");
    }
}

/// A valid model file for 28×28 images.
fn valid_model() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.safetensors");
    save(&Mlp::<f32>::new(&[784, 8, 10], Activation::Relu, 3), &path).unwrap();
    fs::read(path).unwrap()
}

#[test]
fn model_file_missing() {
    assert_model_rejected(None, &["cannot read", "No such file"]);
}

#[test]
fn model_file_truncated() {
    let bytes = valid_model();
    assert_model_rejected(Some(&bytes[..bytes.len() - 100]), &["truncated"]);
    assert_model_rejected(Some(&bytes[..5]), &["truncated"]);
}

#[test]
fn model_file_not_safetensors() {
    assert_model_rejected(
        Some(b"this is a text file, not weights\n\n\n"),
        &["not a safetensors file"],
    );
    assert_model_rejected(Some(&[]), &["safetensors"]);
}

#[test]
fn model_file_missing_a_tensor() {
    let bytes = safetensors(&[
        ("fc1.weight", "F32", &[784, 8]),
        ("fc1.bias", "F32", &[1, 8]),
        ("fc2.weight", "F32", &[8, 10]),
    ]);
    assert_model_rejected(Some(&bytes), &["has no tensor `fc2.bias`"]);
}

#[test]
fn model_file_with_a_tensor_of_the_wrong_shape() {
    let bytes = safetensors(&[
        ("fc1.weight", "F32", &[784, 8]),
        ("fc1.bias", "F32", &[1, 8]),
        ("fc2.weight", "F32", &[9, 10]),
        ("fc2.bias", "F32", &[1, 10]),
    ]);
    assert_model_rejected(Some(&bytes), &["`fc2.weight` has shape [9, 10]"]);
}

#[test]
fn model_file_with_a_tensor_of_the_wrong_dtype() {
    let bytes = safetensors(&[
        ("fc1.weight", "F64", &[784, 8]),
        ("fc1.bias", "F64", &[1, 8]),
        ("fc2.weight", "F64", &[8, 10]),
        ("fc2.bias", "F64", &[1, 10]),
    ]);
    assert_model_rejected(Some(&bytes), &["dtype float64, expected float32"]);
    let bytes = safetensors(&[
        ("fc1.weight", "F32", &[784, 8]),
        ("fc1.bias", "I32", &[1, 8]),
        ("fc2.weight", "F32", &[8, 10]),
        ("fc2.bias", "F32", &[1, 10]),
    ]);
    assert_model_rejected(Some(&bytes), &["`fc1.bias` has dtype int32"]);
}

#[test]
fn model_file_with_the_wrong_number_of_classes() {
    let bytes = safetensors(&[
        ("fc1.weight", "F32", &[784, 8]),
        ("fc1.bias", "F32", &[1, 8]),
    ]);
    assert_model_rejected(Some(&bytes), &["gives 8 class scores", "10 classes"]);
}

// ---------------------------------------------------------------------------- arguments

/// `ferrograd train` on valid data with `flags`; checks the one-line error.
fn assert_train_flags_rejected(flags: &[&str], needles: &[&str]) {
    let fixture = Fixture::new(64, 8);
    let out = fixture.path("run");
    let data = fixture.data();
    let mut args = vec!["train", "--data", s(&data), "--layers", "1"];
    if !flags.contains(&"--hidden") {
        args.extend_from_slice(&["--hidden", "4"]);
    }
    args.extend_from_slice(flags);
    if !flags.contains(&"--out") {
        args.extend_from_slice(&["--out", s(&out)]);
    }
    assert_one_line_error(&ferrograd(&args), 2, needles);
    assert!(!out.exists(), "{flags:?} made a run folder");
}

#[test]
fn learning_rate_must_be_finite_and_not_negative() {
    // The library's rule and message (`ferrograd::optim::OptimError`), for each optimizer.
    for optimizer in ["sgd", "adam"] {
        let name = if optimizer == "sgd" { "SGD" } else { "Adam" };
        let rule = format!("{name}: lr must be a finite number >= 0");
        for (lr, shown) in [
            ("-1", "got -1"),
            ("-0.5", "got -0.5"),
            ("NaN", "got NaN"),
            ("inf", "got inf"),
            ("1e300", "got inf"), // beyond f32, in which the model trains
        ] {
            let flags = ["--optimizer", optimizer, "--lr", lr];
            assert_train_flags_rejected(&flags, &[&rule, shown]);
        }
        let flags = ["--optimizer", optimizer, "--lr=-inf"];
        assert_train_flags_rejected(&flags, &[&rule, "got -inf"]);
    }
    assert_train_flags_rejected(&["--lr", "fast"], &["--lr", "'fast'"]);
}

#[test]
fn counts_must_be_at_least_one() {
    for flag in ["--batch-size", "--epochs", "--hidden"] {
        assert_train_flags_rejected(&[flag, "0"], &[flag, "must be at least 1"]);
        assert_train_flags_rejected(&[flag, "-2"], &["'-2'"]);
        assert_train_flags_rejected(&[flag, "many"], &[flag, "'many'"]);
    }
}

#[test]
fn batch_larger_than_the_data_set() {
    assert_train_flags_rejected(
        &["--batch-size", "65"],
        &[
            "--batch-size 65",
            "larger than the training set (64 images)",
        ],
    );
}

#[test]
fn unknown_flags_and_values() {
    assert_train_flags_rejected(&["--learning-rate", "1"], &["--learning-rate"]);
    assert_train_flags_rejected(&["--activation", "gelu"], &["--activation", "gelu"]);
    assert_train_flags_rejected(&["--optimizer", "lbfgs"], &["--optimizer", "lbfgs"]);
    let output = ferrograd(&["eval", "--data", "x"]);
    assert_one_line_error(&output, 2, &["--model"]);
    let output = ferrograd(&["fly"]);
    assert_one_line_error(&output, 2, &["fly"]);
}

#[test]
fn help_and_version_still_work() {
    let help = ferrograd(&["train", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--resume"));
    let version = ferrograd(&["--version"]);
    assert_eq!(version.status.code(), Some(0));
}

#[test]
fn out_is_a_file() {
    let fixture = Fixture::new(64, 8);
    let file = fixture.path("a-file");
    fs::write(&file, b"keep me").unwrap();
    assert_train_flags_rejected(&["--out", s(&file)], &[s(&file), "is a file, not a folder"]);
    let below = file.join("run");
    assert_train_flags_rejected(
        &["--out", s(&below)],
        &[s(&below), "cannot create the output folder"],
    );
    assert_eq!(fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn out_cannot_be_written() {
    if !Path::new("/proc/self").is_dir() {
        eprintln!("skipping: no /proc");
        return;
    }
    // Root may write anywhere a permission says no, but not into /proc.
    assert_train_flags_rejected(
        &["--out", "/proc/ferrograd-run"],
        &["/proc/ferrograd-run", "cannot create the output folder"],
    );
    assert_train_flags_rejected(
        &["--out", "/proc"],
        &["output folder /proc cannot be written"],
    );
}

#[test]
fn show_index_out_of_range_and_unwritable_png() {
    let fixture = Fixture::new(8, 8);
    let data = fixture.data();
    let png = fixture.path("d.png");
    let output = ferrograd(&["show", "--data", s(&data), "--index", "8", "--out", s(&png)]);
    assert_one_line_error(&output, 2, &["--index 8", "8 images"]);
    let file = fixture.path("file");
    fs::write(&file, b"").unwrap();
    let below = file.join("d.png");
    let output = ferrograd(&["show", "--data", s(&data), "--out", s(&below)]);
    assert_one_line_error(&output, 2, &[s(&below)]);
}

// ---------------------------------------------------------------------------- --resume

#[test]
fn resume_from_a_folder_that_is_not_a_run() {
    let fixture = Fixture::new(8, 8);
    let missing = fixture.path("nowhere");
    let output = ferrograd(&["train", "--resume", s(&missing)]);
    assert_one_line_error(&output, 2, &[s(&missing), "no such folder"]);
    let output = ferrograd(&["train", "--resume", s(&fixture.data())]);
    assert_one_line_error(&output, 2, &["has no state.txt"]);
}

#[test]
fn resume_with_settings_is_refused() {
    let output = ferrograd(&["train", "--resume", "run", "--lr", "0.5"]);
    assert_one_line_error(&output, 2, &["--resume", "--lr"]);
    let output = ferrograd(&["train", "--resume", "run", "--out", "other"]);
    assert_one_line_error(&output, 2, &["--resume", "--out"]);
}

/// A finished one-epoch run on `fixture`'s data in `fixture/run`, its `state.txt` rewritten
/// to ask for `epochs` epochs so that it can be resumed.
fn stopped_run(fixture: &Fixture, optimizer: &str) -> std::path::PathBuf {
    let flags = [
        "--epochs",
        "1",
        "--hidden",
        "4",
        "--layers",
        "1",
        "--batch-size",
        "16",
        "--optimizer",
        optimizer,
    ];
    train(fixture, "run", &flags);
    let out = fixture.path("run");
    let state = out.join("state.txt");
    let text = fs::read_to_string(&state).unwrap();
    fs::write(&state, text.replace("\"epochs\": 1,", "\"epochs\": 3,")).unwrap();
    out
}

#[test]
fn resume_checks_its_state_and_weights() {
    let fixture = Fixture::new(64, 8);
    let run = stopped_run(&fixture, "sgd");
    let state = run.join("state.txt");
    let good = fs::read_to_string(&state).unwrap();
    let resume = || ferrograd(&["train", "--resume", s(&run)]);

    fs::write(&state, good.replace("\"lr\": ", "\"lr\": x")).unwrap();
    assert_one_line_error(&resume(), 2, &["state.txt", "line", "lr"]);
    fs::write(&state, good.replace("\"hidden\": 4,", "\"hidden\": 5,")).unwrap();
    assert_one_line_error(&resume(), 2, &["state.txt", "sizes"]);
    fs::write(&state, format!("{good}garbage\n")).unwrap();
    assert_one_line_error(&resume(), 2, &["state.txt", "trailing characters"]);
    let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
    json["run"]["settings"]
        .as_object_mut()
        .unwrap()
        .remove("seed");
    fs::write(&state, json.to_string()).unwrap();
    assert_one_line_error(&resume(), 2, &["state.txt", "missing field `seed`"]);
    fs::write(&state, &good).unwrap();

    // Weights that are not the ones the state records.
    let model = run.join("model.safetensors");
    let weights = fs::read(&model).unwrap();
    save(&Mlp::<f32>::new(&[784, 4, 10], Activation::Tanh, 9), &model).unwrap();
    assert_one_line_error(&resume(), 2, &["model.safetensors", "weights of epoch 1"]);
    fs::remove_file(&model).unwrap();
    assert_one_line_error(&resume(), 2, &["model.safetensors", "weights of epoch 1"]);
    fs::write(&model, &weights).unwrap();

    // Other data than the run was trained on.
    let other = fixture.path("other");
    common::write_dataset(&other, 64, 8, 20, 20);
    let output = ferrograd(&["train", "--resume", s(&run), "--data", s(&other)]);
    assert_one_line_error(&output, 2, &["784 inputs", "20×20 = 400-pixel"]);
    common::write_dataset(&other, 32, 8, 28, 28);
    let output = ferrograd(&["train", "--resume", s(&run), "--data", s(&other)]);
    assert_one_line_error(&output, 2, &["64 training", "has 32"]);

    // And with everything back in place, it resumes.
    let output = resume();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("Epoch 3/3"));
}

#[test]
fn adam_runs_cannot_be_resumed_and_the_folder_is_left_as_it_was() {
    let fixture = Fixture::new(64, 8);
    let run = stopped_run(&fixture, "adam");
    // As a run killed between recording its weights and renaming them leaves it: the weights
    // still under their next name, a temporary file, metrics.csv one epoch behind.
    fs::rename(
        run.join("model.safetensors"),
        run.join("model.next.safetensors"),
    )
    .unwrap();
    fs::write(run.join("metrics.csv.tmp-99"), b"half").unwrap();
    fs::write(
        run.join("metrics.csv"),
        "epoch,train_loss,val_loss,test_acc,seconds\n",
    )
    .unwrap();
    let before = folder_contents(&run);
    let output = ferrograd(&["train", "--resume", s(&run)]);
    assert_one_line_error(&output, 2, &[s(&run), "--optimizer adam"]);
    assert_eq!(
        folder_contents(&run),
        before,
        "the refused resume changed the folder"
    );
}

/// Every file in `dir` with its bytes, by name.
fn folder_contents(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            (name, fs::read(entry.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Started by mpirun as one of several processes, a build without MPI refuses to train, rather
/// than train as many separate runs into one folder.
#[test]
fn several_processes_need_the_mpi_build() {
    if cfg!(feature = "mpi") {
        return; // this build joins the job instead (.ci/mpi.sh checks it)
    }
    let fixture = Fixture::new(64, 8);
    let out = fixture.path("run");
    let output = common::command(&["train", "--data", s(&fixture.data()), "--out", s(&out)])
        .env("OMPI_COMM_WORLD_SIZE", "2")
        .output()
        .unwrap();
    assert_one_line_error(&output, 2, &["one of 2 processes", "--features mpi"]);
    assert!(!out.exists());
}
