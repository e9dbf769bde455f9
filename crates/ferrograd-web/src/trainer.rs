//! The recipe trained a few steps at a time, so the page can draw between calls: MLP
//! 784-256-256-10 with tanh, softmax cross-entropy, plain SGD (lr 0.1), batches of 32 in a new
//! shuffled order each epoch.

use ferrograd::Tensor;
use ferrograd::data::{Dataset, epoch_seed};
use ferrograd::eval::{Evaluation, evaluate};
use ferrograd::nn::{Architecture, Assumption, CheckpointError, LoadedMlp, Mlp, Module};
use ferrograd::optim::Sgd;
use ferrograd::train::Learner;
use ferrograd::train::recipe::{ACTIVATION, BATCH_SIZE, LEARNING_RATE, SIZES};

/// Why a weights file cannot be used by the page.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// It is not a model file, or not a consistent one.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// It holds a network of other sizes than the recipe's, which the page runs.
    #[error(
        "{name} holds a {architecture} network, not one of the recipe's sizes, {}",
        SIZES.map(|size| size.to_string()).join("-")
    )]
    NotTheRecipe {
        /// The file's name.
        name: String,
        /// What it holds.
        architecture: Architecture,
    },
}

/// The network in the safetensors file `bytes` called `name`: of the recipe's sizes, with the
/// activation the file records (or tanh, for a file that records none, as `assumed` says).
///
/// # Errors
/// When the file is not a model file of the recipe's sizes.
pub fn recipe_network(name: &str, bytes: &[u8]) -> Result<LoadedMlp<f32>, WeightsError> {
    let loaded = Mlp::from_safetensors_bytes(name, bytes, None)?;
    if loaded.mlp.sizes() != SIZES {
        return Err(WeightsError::NotTheRecipe {
            name: name.to_string(),
            architecture: loaded.mlp.architecture().expect("an MLP has one"),
        });
    }
    Ok(loaded)
}

/// `model` with the recipe's optimiser.
fn learner(model: Mlp<f32>) -> Learner<Mlp<f32>, Sgd<f32>> {
    let sgd = Sgd::new(model.parameters(), LEARNING_RATE as f32);
    Learner::new(model, sgd)
}

/// A model, its optimiser and the data, and where in which epoch training is.
pub struct Trainer {
    learner: Learner<Mlp<f32>, Sgd<f32>>,
    train: Dataset,
    test: Dataset,
    seed: u64,
    /// Epochs completed.
    epoch: usize,
    /// Batches done in the current epoch.
    batch: usize,
    /// Steps done in all.
    steps: u64,
    /// The input tensor each batch is loaded into, and its labels.
    input: Tensor<f32>,
    labels: Vec<usize>,
}

impl Trainer {
    /// A new model initialised from `seed`, to train on `train` and measure on `test`.
    pub fn new(train: Dataset, test: Dataset, seed: u64) -> Self {
        Trainer {
            learner: learner(Mlp::new(&SIZES, ACTIVATION, seed)),
            train,
            test,
            seed,
            epoch: 0,
            batch: 0,
            steps: 0,
            input: Tensor::zeros(&[0, 0]),
            labels: Vec::new(),
        }
    }

    /// The model being trained.
    pub fn model(&self) -> &Mlp<f32> {
        self.learner.model()
    }

    /// Replaces the network with the one in the safetensors file `bytes` called `name` (see
    /// [`recipe_network`]), and training goes on from it; returns what was assumed of a file
    /// that records no architecture. Nothing changes on error.
    ///
    /// # Errors
    /// When the file is not a model file of the recipe's sizes.
    pub fn load_weights(
        &mut self,
        name: &str,
        bytes: &[u8],
    ) -> Result<Option<Assumption>, WeightsError> {
        let loaded = recipe_network(name, bytes)?;
        self.learner = learner(loaded.mlp);
        Ok(loaded.assumed)
    }

    /// Runs up to `steps` steps, stopping early at the end of the epoch, and returns each step's
    /// loss. An empty result means the epoch had ended: the next call starts the next one.
    pub fn run(&mut self, steps: usize) -> Vec<f32> {
        let mut batches = self
            .train
            // Epochs count from 1 in the seed, as in the CLI: the page's first epoch sees the
            // batches `ferrograd train` would.
            .batches::<f32>(BATCH_SIZE, Some(epoch_seed(self.seed, self.epoch + 1)))
            .drop_last(true)
            .starting_at(self.batch);
        let mut losses = Vec::with_capacity(steps);
        while losses.len() < steps && batches.next_into_tensor(&self.input, &mut self.labels) {
            losses.push(self.learner.step(&self.input, &self.labels));
            self.batch += 1;
            self.steps += 1;
        }
        if losses.is_empty() {
            self.epoch += 1;
            self.batch = 0;
        }
        losses
    }

    /// Epochs completed.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Batches done in the current epoch.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Steps done in all.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Steps in one epoch (the last, smaller batch is dropped).
    pub fn steps_per_epoch(&self) -> usize {
        self.train.len() / BATCH_SIZE
    }

    /// Accuracy and loss on the test set.
    pub fn evaluate(&self) -> Evaluation {
        evaluate(self.model(), &self.test, 1000)
    }
}

#[cfg(test)]
mod tests {
    use ferrograd::nn::Activation;

    use super::*;

    /// `n` images of 28×28 whose label is the row (0..9) where a bright bar is drawn: a task the
    /// recipe learns in a few dozen steps.
    fn bars(n: usize) -> Dataset {
        let mut images = vec![0, 0, 8, 3];
        for d in [n as u32, 28, 28] {
            images.extend(d.to_be_bytes());
        }
        let mut labels = vec![0, 0, 8, 1];
        labels.extend((n as u32).to_be_bytes());
        for i in 0..n {
            let label = (i * 7) % 10;
            let mut image = [0u8; 784];
            image[(label * 2 + 4) * 28 + 4..(label * 2 + 4) * 28 + 24].fill(255);
            images.extend(image);
            labels.push(label as u8);
        }
        Dataset::from_idx_bytes("images", &images, "labels", &labels, 10).expect("valid IDX")
    }

    #[test]
    fn runs_in_pieces_through_epochs_and_learns() {
        let mut trainer = Trainer::new(bars(32 * 10 + 5), bars(100), 0);
        assert_eq!(trainer.steps_per_epoch(), 10);
        let first = trainer.run(4);
        assert_eq!(first.len(), 4);
        assert_eq!(trainer.run(100).len(), 6, "stops at the end of the epoch");
        assert_eq!((trainer.epoch(), trainer.batch()), (0, 10));
        assert!(trainer.run(5).is_empty(), "the epoch has ended");
        assert_eq!((trainer.epoch(), trainer.batch()), (1, 0));
        let mut last = Vec::new();
        for _ in 0..5 {
            while !trainer.run(7).is_empty() {}
        }
        last.extend(trainer.run(3));
        assert_eq!(trainer.steps(), 10 * 6 + 3);
        assert!(last[2] < first[0] / 4.0, "loss {} -> {}", first[0], last[2]);
        assert!(trainer.evaluate().accuracy > 0.9);
    }

    #[test]
    fn pieces_give_the_same_weights_as_one_run() {
        let (mut a, mut b) = (
            Trainer::new(bars(32 * 6), bars(10), 3),
            Trainer::new(bars(32 * 6), bars(10), 3),
        );
        let whole = a.run(6);
        let pieces: Vec<f32> = [1, 2, 3].iter().flat_map(|&n| b.run(n)).collect();
        assert_eq!(whole, pieces);
        let weights = |t: &Trainer| ferrograd::nn::to_bytes(t.model()).expect("serialises");
        assert_eq!(weights(&a), weights(&b));
    }

    #[test]
    fn loads_weights_and_names_a_bad_file() {
        let source = Trainer::new(bars(32), bars(10), 1);
        let mut target = Trainer::new(bars(32), bars(10), 2);
        let bytes = ferrograd::nn::to_bytes(source.model()).expect("serialises");
        let assumed = target
            .load_weights("w.safetensors", &bytes)
            .expect("same shapes");
        assert!(assumed.is_none());
        assert_eq!(
            target.model().parameters()[0].to_array(),
            source.model().parameters()[0].to_array()
        );
        let small = ferrograd::nn::to_bytes(&Mlp::<f32>::new(&[784, 10], ACTIVATION, 0)).unwrap();
        let err = target
            .load_weights("small.safetensors", &small)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "small.safetensors holds a 784-10 tanh float32 network, not one of the recipe's \
             sizes, 784-256-256-10"
        );
        let err = target.load_weights("notes.txt", b"hello").unwrap_err();
        assert!(err.to_string().starts_with("notes.txt"), "{err}");
        // Nothing changed.
        assert_eq!(
            target.model().parameters()[0].to_array(),
            source.model().parameters()[0].to_array()
        );
    }

    #[test]
    fn loaded_weights_bring_their_activation_and_training_goes_on_with_it() {
        let relu = Mlp::<f32>::new(&SIZES, Activation::Relu, 4);
        let bytes = ferrograd::nn::to_bytes(&relu).unwrap();
        let mut trainer = Trainer::new(bars(32 * 4), bars(10), 2);
        assert!(
            trainer
                .load_weights("relu.safetensors", &bytes)
                .unwrap()
                .is_none()
        );
        assert_eq!(trainer.model().activation(), Activation::Relu);
        // The optimiser updates the loaded network.
        let before = trainer.model().parameters()[0].to_array();
        assert_eq!(trainer.run(3).len(), 3);
        assert_ne!(trainer.model().parameters()[0].to_array(), before);
        let saved = ferrograd::nn::to_bytes(trainer.model()).unwrap();
        let loaded = recipe_network("saved", &saved).unwrap();
        assert_eq!(loaded.mlp.activation(), Activation::Relu);
    }
}
