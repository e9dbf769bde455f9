//! The original assignment's recipe, the defaults of `ferrograd train` and what the page trains:
//! an MLP 784-256-256-10 with tanh, softmax cross-entropy, plain SGD with learning rate 0.1,
//! batches of 32, 5 epochs, seed 0.

use crate::nn::Activation;

/// Pixels per MNIST image (28×28): the model's inputs.
pub const INPUTS: usize = 784;
/// Units in each hidden layer.
pub const HIDDEN: usize = 256;
/// Hidden layers.
pub const LAYERS: usize = 2;
/// Digit classes: the model's outputs.
pub const CLASSES: usize = 10;
/// The layer sizes, input first.
pub const SIZES: [usize; LAYERS + 2] = [INPUTS, HIDDEN, HIDDEN, CLASSES];
/// The activation after each hidden layer.
pub const ACTIVATION: Activation = Activation::Tanh;
/// Images per gradient step.
pub const BATCH_SIZE: usize = 32;
/// SGD's learning rate.
pub const LEARNING_RATE: f64 = 0.1;
/// Passes over the training set.
pub const EPOCHS: usize = 5;
/// The seed of the initial weights and the batch order.
pub const SEED: u64 = 0;
