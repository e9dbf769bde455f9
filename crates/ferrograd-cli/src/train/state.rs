//! The run's record, `state.txt`: the settings, every finished epoch's numbers and the hash of
//! the weights, as JSON whose numbers read back exactly. `--resume` also reads format 1, the
//! `key=value` lines that ferrograd wrote before.

use std::path::{Path, PathBuf};

use ferrograd::eval::Evaluation;
use ferrograd::nn::Activation;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value, json};

use crate::cli::{OptimizerKind, RUN_SETTINGS, TrainArgs};
use crate::error::CliError;

/// The version of the `state.txt` format.
const STATE_FORMAT: u32 = 2;

/// One finished epoch, as written to `metrics.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EpochRecord {
    pub(super) train_loss: f64,
    #[serde(with = "EvaluationFields")]
    pub(super) test: Evaluation,
    pub(super) seconds: f64,
}

/// The fields of the library's [`Evaluation`], for serde.
#[derive(Serialize, Deserialize)]
#[serde(remote = "Evaluation", deny_unknown_fields)]
struct EvaluationFields {
    loss: f64,
    accuracy: f64,
}

/// The flags that decide what a run computes, kept in `state.txt` for `--resume`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    pub(super) epochs: usize,
    pub(super) batch_size: usize,
    pub(super) lr: f64,
    pub(super) hidden: usize,
    pub(super) layers: usize,
    #[serde(with = "activation_name")]
    pub(super) activation: Activation,
    pub(super) optimizer: OptimizerKind,
    pub(super) seed: u64,
}

impl Settings {
    pub(super) fn from_args(args: &TrainArgs) -> Self {
        Settings {
            epochs: args.epochs,
            batch_size: args.batch_size,
            lr: args.lr,
            hidden: args.hidden,
            layers: args.layers,
            activation: args.activation,
            optimizer: args.optimizer,
            seed: args.seed,
        }
    }

    /// The layer sizes for data with `features` pixels per image and `classes` classes.
    pub(super) fn sizes(&self, features: usize, classes: usize) -> Vec<usize> {
        let mut sizes = vec![features];
        sizes.extend(std::iter::repeat_n(self.hidden, self.layers));
        sizes.push(classes);
        sizes
    }
}

/// A run: where it writes, what it computes and what it has finished. This is `state.txt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Run {
    /// The folder that holds `state.txt`, so not written in it.
    #[serde(skip)]
    pub(super) out: PathBuf,
    pub(super) settings: Settings,
    /// The model's layer sizes, input first.
    pub(super) sizes: Vec<usize>,
    /// The data folder, when one was named (`--data` or `$MNIST_DIR`); not written when it is
    /// not UTF-8, which JSON cannot hold.
    #[serde(default, skip_serializing_if = "not_utf8")]
    pub(super) data: Option<PathBuf>,
    pub(super) train_images: usize,
    pub(super) test_images: usize,
    /// The finished epochs, first to last.
    pub(super) history: Vec<EpochRecord>,
    /// SHA-256 of the weights of the last finished epoch (none before the first).
    pub(super) model_sha256: Option<String>,
}

/// `state.txt`: the format's version, then the run.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile<R> {
    #[serde(deserialize_with = "supported_format")]
    format: u32,
    run: R,
}

impl Run {
    /// The contents of `state.txt`: indented JSON, whose floats read back exactly.
    pub(super) fn to_text(&self) -> String {
        let file = StateFile {
            format: STATE_FORMAT,
            run: self,
        };
        let mut text = serde_json::to_string_pretty(&file).expect("a run is plain data");
        text.push('\n');
        text
    }

    /// Reads back [`to_text`](Self::to_text)'s output, or format 1, read from `path` in the
    /// folder `out`.
    pub(super) fn parse(out: &Path, path: &Path, text: &str) -> Result<Run, CliError> {
        let run = if text.trim_start().starts_with('{') {
            from_json(text)
        } else {
            format_1_as_json(text)
                .and_then(|json| serde_path_to_error::deserialize(json).map_err(|e| e.to_string()))
        };
        let run = run
            .and_then(Run::checked)
            .map_err(|reason| CliError::Resume {
                path: path.to_path_buf(),
                reason,
            })?;
        Ok(Run {
            out: out.to_path_buf(),
            ..run
        })
    }

    /// The run, if its values fit together and the hash is 64 hex digits (made lowercase).
    fn checked(mut self) -> Result<Run, String> {
        let s = &self.settings;
        for (key, value) in [
            ("epochs", s.epochs),
            ("batch_size", s.batch_size),
            ("hidden", s.hidden),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        if !(s.lr.is_finite() && s.lr > 0.0) {
            return Err(format!("lr {} is not a finite number above 0", s.lr));
        }
        let sizes = &self.sizes;
        if sizes.len() < 2 || *sizes != s.sizes(sizes[0], sizes[sizes.len() - 1]) {
            return Err(format!("sizes {sizes:?} do not match hidden and layers"));
        }
        if self.history.len() > s.epochs {
            let recorded = self.history.len();
            return Err(format!("it records {recorded} epochs of {}", s.epochs));
        }
        match (&mut self.model_sha256, self.history.is_empty()) {
            (None, true) => {}
            (Some(hash), false)
                if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                hash.make_ascii_lowercase();
            }
            _ => {
                return Err(
                    "model_sha256 must be 64 hex digits after the first epoch, none before".into(),
                );
            }
        }
        Ok(self)
    }
}

/// Reads `state.txt` in the current format.
fn from_json(text: &str) -> Result<Run, String> {
    let mut json = serde_json::Deserializer::from_str(text);
    let file: StateFile<Run> =
        serde_path_to_error::deserialize(&mut json).map_err(|e| e.to_string())?;
    json.end().map_err(|e| e.to_string())?;
    Ok(file.run)
}

/// The version number, when it is [`STATE_FORMAT`]. It comes first in the file, so a newer
/// format is reported as such rather than by its first unknown field.
fn supported_format<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    match u32::deserialize(deserializer)? {
        STATE_FORMAT => Ok(STATE_FORMAT),
        other => Err(D::Error::custom(format!(
            "{other} is not the supported {STATE_FORMAT}"
        ))),
    }
}

/// The keys of format 1 besides `format`, `epoch` and the settings ([`RUN_SETTINGS`]).
const FORMAT_1_KEYS: [&str; 5] = [
    "sizes",
    "data",
    "train_images",
    "test_images",
    "model_sha256",
];

/// Format 1, which ferrograd wrote before, as the JSON of a [`Run`], for serde to read. It has
/// one `key=value` line per field of [`Settings`] and [`Run`] (`#` starts a comment; `sizes` is
/// a comma-separated list; an empty `model_sha256` is none) and one line
/// `epoch=N,train_loss,val_loss,accuracy,seconds` per finished epoch. Numbers are read as JSON
/// reads them, so they come back exactly as format 2 reads them.
fn format_1_as_json(text: &str) -> Result<Value, String> {
    let (mut run, mut settings, mut history) = (Map::new(), Map::new(), Vec::new());
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: String| format!("line {number}: {reason}");
        let Some((key, value)) = line.split_once('=') else {
            return Err(bad(format!("`{line}` is not key=value")));
        };
        let number = |text: &str| {
            let number = text.trim().parse::<Number>();
            number
                .map(Value::Number)
                .map_err(|_| bad(format!("{key} `{value}` is not a valid number")))
        };
        let numbers = || value.split(',').map(number).collect::<Result<Vec<_>, _>>();
        let value = match key {
            "format" if value == "1" => continue,
            "format" => {
                return Err(bad(format!(
                    "format {value} is not 1, the key=value format"
                )));
            }
            "epoch" => {
                let epoch = history.len() + 1;
                match <[Value; 5]>::try_from(numbers()?) {
                    Ok([n, train_loss, loss, accuracy, seconds]) if n == epoch => {
                        history.push(json!({
                            "train_loss": train_loss,
                            "test": { "loss": loss, "accuracy": accuracy },
                            "seconds": seconds,
                        }));
                    }
                    _ => return Err(bad(format!("`{line}` is not epoch {epoch}'s numbers"))),
                }
                continue;
            }
            "activation" | "optimizer" | "data" => Value::from(value),
            "model_sha256" if value.is_empty() => Value::Null,
            "model_sha256" => Value::from(value),
            "sizes" => Value::Array(numbers()?),
            _ if RUN_SETTINGS.contains(&key) || FORMAT_1_KEYS.contains(&key) => number(value)?,
            _ => return Err(bad(format!("unknown key `{key}`"))),
        };
        let fields = if RUN_SETTINGS.contains(&key) {
            &mut settings
        } else {
            &mut run
        };
        if fields.insert(key.to_string(), value).is_some() {
            return Err(bad(format!("`{key}` is given twice")));
        }
    }
    run.insert("settings".into(), Value::Object(settings));
    run.insert("history".into(), Value::Array(history));
    Ok(Value::Object(run))
}

/// Whether `data` cannot be written: none, or not UTF-8.
fn not_utf8(data: &Option<PathBuf>) -> bool {
    data.as_deref().and_then(Path::to_str).is_none()
}

/// An [`Activation`] as its name, `tanh`, through the library's `Display` and `FromStr`.
mod activation_name {
    use ferrograd::nn::Activation;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        activation: &Activation,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(activation)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Activation, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::*;

    fn sample_run() -> Run {
        Run {
            out: PathBuf::from("runs/x"),
            settings: Settings {
                epochs: 5,
                batch_size: 32,
                lr: 0.1,
                hidden: 16,
                layers: 2,
                activation: Activation::Relu,
                optimizer: OptimizerKind::Sgd,
                seed: u64::MAX,
            },
            sizes: vec![784, 16, 16, 10],
            data: Some(PathBuf::from("/data/mnist folder")),
            train_images: 60_000,
            test_images: 10_000,
            history: vec![
                EpochRecord {
                    train_loss: 0.1 + 0.2,
                    test: Evaluation {
                        accuracy: 0.9731,
                        loss: 1.0 / 3.0,
                    },
                    seconds: 12.5,
                },
                EpochRecord {
                    train_loss: f64::MIN_POSITIVE,
                    test: Evaluation {
                        accuracy: 1.0,
                        loss: 1e-300,
                    },
                    seconds: 0.0,
                },
            ],
            model_sha256: Some("ab".repeat(32)),
        }
    }

    fn parse(text: &str) -> Result<Run, CliError> {
        Run::parse(Path::new("runs/x"), Path::new("runs/x/state.txt"), text)
    }

    /// `sample_run()` as the format-1 writer (ferrograd before format 2) wrote it.
    const FORMAT_1: &str = "\
# ferrograd train: the run's settings and finished epochs, for `ferrograd train --resume`
format=1
epochs=5
batch_size=32
lr=0.1
hidden=16
layers=2
activation=relu
optimizer=sgd
seed=18446744073709551615
sizes=784,16,16,10
data=/data/mnist folder
train_images=60000
test_images=10000
model_sha256=abababababababababababababababababababababababababababababababab
epoch=1,0.30000000000000004,0.3333333333333333,0.9731,12.5
epoch=2,2.2250738585072014e-308,1e-300,1.0,0.0
";

    /// Asserts that parsing each text fails with a message naming `state.txt` and holding each
    /// of the strings given with it.
    fn assert_errors(cases: &[(String, &[&str])]) {
        for (text, expected) in cases {
            let message = parse(text).unwrap_err().to_string();
            assert!(message.contains("runs/x/state.txt"), "{message}");
            for part in *expected {
                assert!(message.contains(part), "{part}: {message}");
            }
        }
    }

    #[test]
    fn state_reads_back_exactly() {
        let run = sample_run();
        assert_eq!(parse(&run.to_text()).unwrap(), run);
        let fresh = Run {
            history: Vec::new(),
            model_sha256: None,
            data: None,
            ..sample_run()
        };
        assert_eq!(parse(&fresh.to_text()).unwrap(), fresh);
    }

    #[test]
    fn floats_read_back_bit_for_bit() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut floats = vec![f64::from_bits(1), f64::MIN_POSITIVE, f64::MAX, -0.0, 1e23];
        floats.extend(
            std::iter::repeat_with(|| f64::from_bits(rng.random()))
                .filter(|x| x.is_finite())
                .take(4000),
        );
        let history: Vec<EpochRecord> = floats
            .chunks_exact(4)
            .map(|x| EpochRecord {
                train_loss: x[0],
                test: Evaluation {
                    loss: x[1],
                    accuracy: x[2],
                },
                seconds: x[3],
            })
            .collect();
        let run = Run {
            settings: Settings {
                epochs: history.len(),
                lr: f64::from_bits(rng.random::<u64>() >> 2),
                ..sample_run().settings
            },
            history,
            ..sample_run()
        };
        let back = parse(&run.to_text()).unwrap();
        let bits = |run: &Run| -> Vec<u64> {
            let floats = run
                .history
                .iter()
                .flat_map(|r| [r.train_loss, r.test.loss, r.test.accuracy, r.seconds]);
            floats.chain([run.settings.lr]).map(f64::to_bits).collect()
        };
        assert_eq!(bits(&back), bits(&run));
    }

    #[test]
    fn format_1_reads_as_before() {
        assert_eq!(parse(FORMAT_1).unwrap(), sample_run());
        // A run stopped before its first epoch: no hash, no epochs; and no data folder named.
        let fresh = FORMAT_1[..FORMAT_1.find("epoch=1").unwrap()]
            .replace("data=/data/mnist folder\n", "")
            .replace(&"ab".repeat(32), "");
        let expected = Run {
            history: Vec::new(),
            model_sha256: None,
            data: None,
            ..sample_run()
        };
        assert_eq!(parse(&fresh).unwrap(), expected);
        let upper = FORMAT_1.replace(&"ab".repeat(32), &"AB".repeat(32));
        assert_eq!(parse(&upper).unwrap(), sample_run());
    }

    #[test]
    fn damaged_state_is_an_error_naming_the_key() {
        let edited = |edit: &dyn Fn(&mut Value)| {
            let mut json: Value = serde_json::from_str(&sample_run().to_text()).unwrap();
            edit(&mut json);
            serde_json::to_string_pretty(&json).unwrap()
        };
        let text = sample_run().to_text();
        let cases: [(String, &[&str]); 15] = [
            (
                edited(&|j| j["run"]["settings"]["lr"] = json!(-0.1)),
                &["lr -0.1"],
            ),
            (
                text.replace("\"lr\": 0.1", "\"lr\": \"0.1\""),
                &["run.settings.lr", "line 7"],
            ),
            (
                text.replace("\"lr\": 0.1", "\"lr\": x"),
                &["run.settings.lr", "line 7"],
            ),
            (
                edited(&|j| j["run"]["history"][1]["test"] = json!({"loss": 1.0})),
                &["run.history[1].test", "accuracy"],
            ),
            (
                edited(&|j| j["run"]["settings"]["epochs"] = json!(1)),
                &["records 2 epochs of 1"],
            ),
            (
                edited(&|j| j["run"]["settings"]["epochs"] = json!(0)),
                &["epochs must be at least 1"],
            ),
            (
                edited(&|j| j["run"]["settings"]["activation"] = json!("gelu")),
                &["gelu"],
            ),
            (
                edited(&|j| j["run"]["settings"]["optimizer"] = json!("rmsprop")),
                &["rmsprop"],
            ),
            (
                edited(&|j| j["run"]["sizes"] = json!([784, 16, 10])),
                &["sizes"],
            ),
            (
                edited(&|j| j["format"] = json!(3)),
                &["format: 3 is not the supported 2"],
            ),
            (
                edited(&|j| j["run"]["model_sha256"] = json!("abc")),
                &["model_sha256"],
            ),
            (
                text.replace("\"seed\"", "\"seed\": 1, \"seed\""),
                &["duplicate field `seed`"],
            ),
            (
                edited(&|j| j["run"]["settings"]["colour"] = json!("blue")),
                &["unknown field `colour`"],
            ),
            (
                edited(&|j| {
                    j["run"]["settings"]
                        .as_object_mut()
                        .unwrap()
                        .remove("layers");
                }),
                &["missing field `layers`"],
            ),
            (format!("{text}garbage\n"), &["trailing characters"]),
        ];
        assert_errors(&cases);
    }

    #[test]
    fn damaged_state_is_an_error_naming_the_line() {
        let text = FORMAT_1;
        let cases: [(String, &[&str]); 13] = [
            (text.replace("lr=0.1", "lr=-0.1"), &["lr -0.1"]),
            (text.replace("lr=0.1", "lr=x"), &["line 5", "lr `x`"]),
            (
                text.replace("epoch=2,", "epoch=3,"),
                &["line 17", "epoch 2's numbers"],
            ),
            (
                text.replace("epochs=5", "epochs=1"),
                &["records 2 epochs of 1"],
            ),
            (
                text.replace("activation=relu", "activation=gelu"),
                &["gelu"],
            ),
            (
                text.replace("optimizer=sgd", "optimizer=rmsprop"),
                &["rmsprop"],
            ),
            (
                text.replace("sizes=784,16,16,10", "sizes=784,16,10"),
                &["sizes"],
            ),
            (
                text.replace("format=1", "format=2"),
                &["line 2", "format 2"],
            ),
            (text.replace(&"ab".repeat(32), "abc"), &["model_sha256"]),
            (
                format!("{text}seed=1\n"),
                &["line 18", "`seed` is given twice"],
            ),
            (
                format!("{text}colour=blue\n"),
                &["line 18", "unknown key `colour`"],
            ),
            (text.replace("layers=2\n", ""), &["missing field `layers`"]),
            (format!("{text}garbage\n"), &["line 18", "not key=value"]),
        ];
        assert_errors(&cases);
    }
}
