//! The run's record, `state.txt`: the settings, every finished epoch's numbers and the hash of
//! the weights, written so that they read back exactly.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use ferrograd::eval::Evaluation;
use ferrograd::nn::Activation;

use crate::cli::{OptimizerKind, RUN_SETTINGS, TrainArgs};
use crate::error::CliError;

/// The version of the `state.txt` format.
const STATE_FORMAT: u32 = 1;

/// One finished epoch, as written to `metrics.csv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct EpochRecord {
    pub(super) train_loss: f64,
    pub(super) test: Evaluation,
    pub(super) seconds: f64,
}

/// The flags that decide what a run computes, kept in `state.txt` for `--resume`.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Settings {
    pub(super) epochs: usize,
    pub(super) batch_size: usize,
    pub(super) lr: f64,
    pub(super) hidden: usize,
    pub(super) layers: usize,
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
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Run {
    pub(super) out: PathBuf,
    pub(super) settings: Settings,
    /// The model's layer sizes, input first.
    pub(super) sizes: Vec<usize>,
    /// The data folder, when one was named (`--data` or `$MNIST_DIR`).
    pub(super) data: Option<PathBuf>,
    pub(super) train_images: usize,
    pub(super) test_images: usize,
    /// The finished epochs, first to last.
    pub(super) history: Vec<EpochRecord>,
    /// SHA-256 of the weights of the last finished epoch (none before the first).
    pub(super) model_sha256: Option<String>,
}

impl Run {
    /// The contents of `state.txt`: `key=value` lines, floats printed so that they read back
    /// exactly.
    pub(super) fn to_text(&self) -> String {
        let s = &self.settings;
        let mut text = format!(
            "# ferrograd train: the run's settings and finished epochs, for `ferrograd train --resume`\n\
             format={STATE_FORMAT}\n\
             epochs={}\nbatch_size={}\nlr={:?}\nhidden={}\nlayers={}\nactivation={}\n\
             optimizer={}\nseed={}\n",
            s.epochs,
            s.batch_size,
            s.lr,
            s.hidden,
            s.layers,
            s.activation,
            optimizer_name(s.optimizer),
            s.seed,
        );
        let sizes: Vec<String> = self.sizes.iter().map(ToString::to_string).collect();
        let _ = writeln!(text, "sizes={}", sizes.join(","));
        if let Some(data) = self.data.as_deref().and_then(Path::to_str)
            && !data.contains(['\n', '\r'])
        {
            let _ = writeln!(text, "data={data}");
        }
        let _ = writeln!(text, "train_images={}", self.train_images);
        let _ = writeln!(text, "test_images={}", self.test_images);
        let _ = writeln!(
            text,
            "model_sha256={}",
            self.model_sha256.as_deref().unwrap_or("")
        );
        for (i, r) in self.history.iter().enumerate() {
            let _ = writeln!(
                text,
                "epoch={},{:?},{:?},{:?},{:?}",
                i + 1,
                r.train_loss,
                r.test.loss,
                r.test.accuracy,
                r.seconds
            );
        }
        text
    }

    /// Reads back [`to_text`](Self::to_text)'s output, read from `path` in the folder `out`.
    pub(super) fn parse(out: &Path, path: &Path, text: &str) -> Result<Run, CliError> {
        let bad = |line: usize, reason: String| CliError::Resume {
            path: path.to_path_buf(),
            reason: if line == 0 {
                reason
            } else {
                format!("line {line}: {reason}")
            },
        };
        let mut values: Vec<(&str, (usize, &str))> = Vec::new();
        let mut history = Vec::new();
        for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(bad(number, format!("`{line}` is not key=value")));
            };
            if key == "epoch" {
                let record = parse_epoch(value, history.len() + 1).ok_or_else(|| {
                    bad(
                        number,
                        format!("`{line}` is not epoch {}'s numbers", history.len() + 1),
                    )
                })?;
                history.push(record);
            } else if values.iter().any(|(k, _)| *k == key) {
                return Err(bad(number, format!("`{key}` is given twice")));
            } else {
                values.push((key, (number, value)));
            }
        }
        let get = |key: &str| -> Result<(usize, &str), CliError> {
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v)
                .ok_or_else(|| bad(0, format!("`{key}` is missing")))
        };
        fn number<T: std::str::FromStr>(
            bad: &dyn Fn(usize, String) -> CliError,
            (line, value): (usize, &str),
            key: &str,
        ) -> Result<T, CliError> {
            value
                .parse()
                .map_err(|_| bad(line, format!("{key} `{value}` is not a valid number")))
        }
        let at_least_one = |(line, value): (usize, &str), key: &str| -> Result<usize, CliError> {
            match number::<usize>(&bad, (line, value), key)? {
                0 => Err(bad(line, format!("{key} must be at least 1"))),
                n => Ok(n),
            }
        };
        if let Some((key, (line, _))) = values
            .iter()
            .find(|(k, _)| !RUN_SETTINGS.contains(k) && !RECORD_KEYS.contains(k))
        {
            return Err(bad(*line, format!("unknown key `{key}`")));
        }
        let format: u32 = number(&bad, get("format")?, "format")?;
        if format != STATE_FORMAT {
            return Err(bad(
                get("format")?.0,
                format!("format {format} is not the supported {STATE_FORMAT}"),
            ));
        }
        let lr: f64 = number(&bad, get("lr")?, "lr")?;
        if !(lr.is_finite() && lr > 0.0) {
            return Err(bad(
                get("lr")?.0,
                format!("lr {lr} is not a finite number above 0"),
            ));
        }
        let (activation_line, activation) = get("activation")?;
        let activation = activation
            .parse::<Activation>()
            .map_err(|e| bad(activation_line, e.to_string()))?;
        let (optimizer_line, optimizer) = get("optimizer")?;
        let optimizer = OptimizerKind::from_str(optimizer, true)
            .map_err(|_| bad(optimizer_line, format!("unknown optimizer `{optimizer}`")))?;
        let settings = Settings {
            epochs: at_least_one(get("epochs")?, "epochs")?,
            batch_size: at_least_one(get("batch_size")?, "batch_size")?,
            lr,
            hidden: at_least_one(get("hidden")?, "hidden")?,
            layers: number(&bad, get("layers")?, "layers")?,
            activation,
            optimizer,
            seed: number(&bad, get("seed")?, "seed")?,
        };
        let (sizes_line, sizes_text) = get("sizes")?;
        let sizes: Vec<usize> = sizes_text
            .split(',')
            .map(|s| s.trim().parse::<usize>().ok().filter(|&n| n > 0))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                bad(
                    sizes_line,
                    format!("sizes `{sizes_text}` are not positive numbers"),
                )
            })?;
        if sizes.len() < 2 || sizes != settings.sizes(sizes[0], sizes[sizes.len() - 1]) {
            return Err(bad(
                sizes_line,
                format!("sizes `{sizes_text}` do not match hidden and layers"),
            ));
        }
        if history.len() > settings.epochs {
            return Err(bad(
                0,
                format!("it records {} epochs of {}", history.len(), settings.epochs),
            ));
        }
        let (hash_line, hash) = get("model_sha256")?;
        let model_sha256 = match (hash, history.is_empty()) {
            ("", true) => None,
            (hash, false) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(hash.to_ascii_lowercase())
            }
            _ => {
                return Err(bad(
                    hash_line,
                    "model_sha256 must be 64 hex digits after the first epoch, empty before".into(),
                ));
            }
        };
        Ok(Run {
            out: out.to_path_buf(),
            settings,
            sizes,
            data: get("data").ok().map(|(_, d)| PathBuf::from(d)),
            train_images: number(&bad, get("train_images")?, "train_images")?,
            test_images: number(&bad, get("test_images")?, "test_images")?,
            history,
            model_sha256,
        })
    }
}

/// The keys of `state.txt` besides `epoch` and the settings ([`RUN_SETTINGS`]).
const RECORD_KEYS: [&str; 6] = [
    "format",
    "sizes",
    "data",
    "train_images",
    "test_images",
    "model_sha256",
];

/// `N,train_loss,val_loss,accuracy,seconds` for epoch `expected`.
fn parse_epoch(value: &str, expected: usize) -> Option<EpochRecord> {
    let mut fields = value.split(',').map(str::trim);
    if fields.next()?.parse::<usize>().ok()? != expected {
        return None;
    }
    let mut next = || fields.next()?.parse::<f64>().ok();
    let record = EpochRecord {
        train_loss: next()?,
        test: Evaluation {
            loss: next()?,
            accuracy: next()?,
        },
        seconds: next()?,
    };
    fields.next().is_none().then_some(record)
}

/// The name `--optimizer` takes for `kind`.
fn optimizer_name(kind: OptimizerKind) -> String {
    kind.to_possible_value()
        .map_or_else(|| format!("{kind:?}"), |v| v.get_name().to_string())
}

#[cfg(test)]
mod tests {
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
    fn damaged_state_is_an_error_naming_the_line() {
        let text = sample_run().to_text();
        let cases = [
            (text.replace("lr=0.1", "lr=-0.1"), "line 5: lr -0.1"),
            (text.replace("epoch=2,", "epoch=3,"), "epoch 2's numbers"),
            (
                text.replace("epochs=5", "epochs=1"),
                "records 2 epochs of 1",
            ),
            (text.replace("activation=relu", "activation=gelu"), "gelu"),
            (
                text.replace("optimizer=sgd", "optimizer=rmsprop"),
                "rmsprop",
            ),
            (
                text.replace("sizes=784,16,16,10", "sizes=784,16,10"),
                "sizes",
            ),
            (text.replace("format=1", "format=2"), "format 2"),
            (text.replace(&"ab".repeat(32), "abc"), "model_sha256"),
            (format!("{text}seed=1\n"), "`seed` is given twice"),
            (format!("{text}colour=blue\n"), "unknown key `colour`"),
            (text.replace("layers=2\n", ""), "`layers` is missing"),
        ];
        for (text, expected) in cases {
            let message = parse(&text).unwrap_err().to_string();
            assert!(message.contains("runs/x/state.txt"), "{message}");
            assert!(message.contains(expected), "{expected}: {message}");
        }
    }
}
