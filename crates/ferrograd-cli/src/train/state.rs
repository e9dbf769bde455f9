//! The run's record, `state.txt`: the settings, every finished epoch's numbers and the hash of
//! the weights, as JSON whose numbers read back exactly.

use std::path::{Path, PathBuf};

use ferrograd::eval::Evaluation;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use super::settings::Settings;
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

    /// Reads back [`to_text`](Self::to_text)'s output, read from `path` in the folder `out`.
    pub(super) fn parse(out: &Path, path: &Path, text: &str) -> Result<Run, CliError> {
        let run = from_json(text)
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
        s.check()?;
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

/// Whether `data` cannot be written: none, or not UTF-8.
fn not_utf8(data: &Option<PathBuf>) -> bool {
    data.as_deref().and_then(Path::to_str).is_none()
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use ferrograd::nn::Activation;
    use serde_json::{Value, json};

    use super::super::settings::OptimizerKind;
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
                &["SGD: lr must be a finite number >= 0, got -0.1"],
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
                &["--epochs must be at least 1"],
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
}
