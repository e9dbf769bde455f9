//! [`Settings`]: the flags that decide what a run computes. clap reads them from the command
//! line and `state.txt` keeps them for `--resume`, both through this one struct, and one
//! [`check`](Settings::check) holds their rules for both.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, ValueEnum};
use ferrograd::Tensor;
use ferrograd::nn::Activation;
use ferrograd::optim::{Adam, AdamConfig, OptimError, Optimizer, Sgd, SgdConfig};
use ferrograd::train::recipe;
use serde::{Deserialize, Serialize};

/// The run's settings: the flags of `train` that `--resume` takes from the run's folder
/// instead. `--threads` is not one: results do not depend on it.
#[derive(Clone, Debug, PartialEq, Args, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Passes over the training set.
    #[arg(long, conflicts_with = "resume", default_value_t = recipe::EPOCHS)]
    pub epochs: usize,
    /// Images per gradient step.
    #[arg(long, conflicts_with = "resume", default_value_t = recipe::BATCH_SIZE)]
    pub batch_size: usize,
    /// Learning rate.
    #[arg(long, conflicts_with = "resume", default_value_t = recipe::LEARNING_RATE, allow_negative_numbers = true)]
    pub lr: f64,
    /// Units in each hidden layer.
    #[arg(long, conflicts_with = "resume", default_value_t = recipe::HIDDEN)]
    pub hidden: usize,
    /// Number of hidden layers.
    #[arg(long, conflicts_with = "resume", default_value_t = recipe::LAYERS)]
    pub layers: usize,
    /// Activation after each hidden layer (recorded in model.safetensors).
    #[arg(long, conflicts_with = "resume", value_name = "NAME", default_value_t = recipe::ACTIVATION, value_parser = activation_names(), ignore_case = true)]
    #[serde(with = "activation_name")]
    pub activation: Activation,
    /// Optimizer.
    #[arg(long, conflicts_with = "resume", value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,
    /// Seed for the initial weights and the batch order.
    #[arg(long, conflicts_with = "resume", default_value_t = recipe::SEED)]
    pub seed: u64,
}

/// The optimizers `train` offers, by the names `--optimizer` takes (also in `state.txt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain stochastic gradient descent.
    Sgd,
    /// Adam with PyTorch's defaults (betas 0.9, 0.999).
    Adam,
}

impl Settings {
    /// `Ok` when every setting is in its range: the counts at least 1, and the learning rate
    /// as the library's optimizer takes it; else the message naming the setting.
    pub fn check(&self) -> Result<(), String> {
        for (flag, value) in [
            ("--epochs", self.epochs),
            ("--batch-size", self.batch_size),
            ("--hidden", self.hidden),
        ] {
            if value == 0 {
                return Err(format!("{flag} must be at least 1, got 0"));
            }
        }
        self.optimizer(Vec::new())
            .map(drop)
            .map_err(|error| error.to_string())
    }

    /// The optimizer of these settings over `parameters`.
    ///
    /// # Errors
    /// When the learning rate is out of the optimizer's range.
    pub fn optimizer(
        &self,
        parameters: Vec<Tensor<f32>>,
    ) -> Result<Box<dyn Optimizer>, OptimError> {
        let lr = self.lr as f32;
        Ok(match self.optimizer {
            OptimizerKind::Sgd => Box::new(Sgd::try_new(parameters, SgdConfig::new(lr))?),
            OptimizerKind::Adam => Box::new(Adam::try_new(parameters, AdamConfig::new(lr))?),
        })
    }

    /// The layer sizes for data with `features` pixels per image and `classes` classes.
    pub fn sizes(&self, features: usize, classes: usize) -> Vec<usize> {
        let mut sizes = vec![features];
        sizes.extend(std::iter::repeat_n(self.hidden, self.layers));
        sizes.push(classes);
        sizes
    }
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

/// The activations by name, which `--help` lists.
pub(crate) fn activation_names() -> impl TypedValueParser<Value = Activation> {
    PossibleValuesParser::new(Activation::ALL.map(Activation::name))
        .map(|name| name.parse().expect("a name of Activation::ALL"))
}
