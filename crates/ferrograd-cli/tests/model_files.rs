//! Model files say what network they hold: a run trained with `--activation relu` is evaluated
//! as relu without being told, an `--activation` that contradicts the file is refused naming
//! both, a file that records nothing (older ferrograd, another tool) is read as before with one
//! line saying what was assumed, and `--resume` goes on from either kind.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{Fixture, assert_one_line_error, ferrograd, s, train, without_metadata};
use ferrograd::data::sha256_file;
use ferrograd::nn::{Activation, Mlp};

/// `ferrograd train` for `epochs` epochs of a small relu network on `fixture`'s data, into
/// `fixture/name`; returns its output.
fn train_relu(fixture: &Fixture, name: &str, epochs: &str) -> Output {
    let flags = [
        "--activation",
        "relu",
        "--epochs",
        epochs,
        "--hidden",
        "16",
        "--layers",
        "1",
        "--batch-size",
        "16",
    ];
    train(fixture, name, &flags)
}

/// `ferrograd eval` of `model` on `fixture`'s data, with `flags`.
fn eval(fixture: &Fixture, model: &Path, flags: &[&str]) -> Output {
    let data = fixture.data();
    let mut args = vec!["eval", "--data", s(&data), "--model", s(model)];
    args.extend(flags);
    ferrograd(&args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `Test Acc: 12.50% | Test Loss: 2.3026`: the numbers of `eval`'s line, to compare with the
/// last epoch's `Val Loss` and `Test Acc` in `train`'s output.
fn eval_numbers(output: &Output) -> (String, String) {
    let out = stdout(output);
    assert!(output.status.success(), "{output:?}");
    let number = |after: &str| {
        let rest = &out[out
            .find(after)
            .unwrap_or_else(|| panic!("{after} in {out}"))
            + after.len()..];
        rest.split(|c: char| c != '.' && !c.is_ascii_digit())
            .next()
            .unwrap()
            .to_string()
    };
    (number("Test Acc: "), number("Test Loss: "))
}

/// The last epoch's `(Test Acc, Val Loss)` from `train`'s output.
fn train_numbers(output: &Output) -> (String, String) {
    let out = stdout(output);
    let line = out.lines().rfind(|l| l.starts_with("Epoch ")).unwrap();
    let field = |name: &str| {
        let rest = &line[line.find(name).unwrap() + name.len()..];
        rest.split([' ', '%']).next().unwrap().to_string()
    };
    (field("Test Acc: "), field("Val Loss: "))
}

#[test]
fn a_relu_run_is_evaluated_as_relu_without_being_told() {
    let fixture = Fixture::new(96, 48);
    let trained = train_relu(&fixture, "relu", "2");
    let model = fixture.path("relu/model.safetensors");
    let expected = train_numbers(&trained);
    for flags in [
        &[][..],
        &["--activation", "relu"],
        &["--activation", "RELU"],
    ] {
        let output = eval(&fixture, &model, flags);
        let (accuracy, loss) = eval_numbers(&output);
        assert_eq!((accuracy, loss), expected, "{flags:?}");
        assert_eq!(stderr(&output), "", "{flags:?}: nothing was assumed");
    }
    let output = eval(&fixture, &model, &["--activation", "tanh"]);
    let line = assert_one_line_error(&output, 2, &["--activation tanh", s(&model), "relu"]);
    assert!(line.contains("records relu"), "{line}");
}

#[test]
fn a_file_without_metadata_is_read_as_before_with_a_note() {
    let fixture = Fixture::new(16, 48);
    let model = Mlp::<f32>::new(&[784, 8, 10], Activation::Relu, 3);
    let old = fixture.path("old.safetensors");
    fs::write(&old, without_metadata(&model)).unwrap();
    let described = fixture.path("described.safetensors");
    ferrograd::nn::save(&model, &described).unwrap();

    // Read as tanh, as ferrograd always did, and said so in one line.
    let output = eval(&fixture, &old, &[]);
    let as_tanh = eval_numbers(&output);
    let note = stderr(&output);
    assert_eq!(note.lines().count(), 1, "{note}");
    for needle in [
        "ferrograd: note: ",
        s(&old),
        "does not record its architecture",
        "784-8-10 tanh float32",
        "pass --activation",
    ] {
        assert!(note.contains(needle), "`{needle}` missing: {note}");
    }
    // With --activation: that one, still noted, with nothing to suggest.
    let output = eval(&fixture, &old, &["--activation", "relu"]);
    let as_relu = eval_numbers(&output);
    let note = stderr(&output);
    assert_eq!(note.lines().count(), 1, "{note}");
    assert!(note.contains("784-8-10 relu float32") && !note.contains("pass --activation"));
    assert_ne!(as_relu, as_tanh);
    // The same weights in a file that records relu.
    assert_eq!(eval_numbers(&eval(&fixture, &described, &[])), as_relu);
}

#[test]
fn resume_goes_on_from_files_with_and_without_metadata() {
    let fixture = Fixture::new(96, 48);
    train_relu(&fixture, "whole", "2");
    let whole = fs::read(fixture.path("whole/model.safetensors")).unwrap();

    for strip in [false, true] {
        let name = if strip { "old" } else { "new" };
        train_relu(&fixture, name, "1");
        let run = fixture.path(name);
        let (model, state) = (run.join("model.safetensors"), run.join("state.txt"));
        let mut text = fs::read_to_string(&state).unwrap();
        if strip {
            // What ferrograd wrote before files recorded their architecture.
            let recorded = sha256_file(&model).unwrap();
            let loaded = Mlp::<f32>::from_safetensors(&model, None).unwrap().mlp;
            fs::write(&model, without_metadata(&loaded)).unwrap();
            text = text.replace(&recorded, &sha256_file(&model).unwrap());
        }
        fs::write(&state, text.replace("\"epochs\": 1,", "\"epochs\": 2,")).unwrap();
        let output = ferrograd(&["train", "--resume", s(&run)]);
        assert!(output.status.success(), "{name}: {output:?}");
        assert_eq!(
            fs::read(&model).unwrap(),
            whole,
            "{name}: the weights of one run"
        );
    }
}
