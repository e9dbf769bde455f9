//! ferrograd in the browser: the calls the page in `web/` makes, as a thin skin over the library.
//!
//! The logic lives in plain Rust modules, tested natively: [`preprocess`] (a drawing into the
//! network's 28×28 input), [`trainer`] (the recipe a few steps at a time) and [`graph`] (the
//! sigmoid's graph with values and gradients). This file converts at the edge: typed arrays in
//! and out, errors as JavaScript `Error`s with the library's message.
#![warn(missing_docs)]

pub mod graph;
pub mod preprocess;
pub mod trainer;

use ferrograd::Tensor;
use ferrograd::data::{Dataset, Mnist};
use ferrograd::eval::predictions;
use ferrograd::nn::{Mlp, Module, to_bytes};
use ferrograd::no_grad;
use ferrograd::train::recipe;
use wasm_bindgen::prelude::*;

/// An error for JavaScript, with the Rust error's message.
fn js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}

/// The recipe's model (784-256-256-10, tanh until weights of another activation are loaded), for
/// predictions.
#[wasm_bindgen]
pub struct Model {
    mlp: Mlp<f32>,
}

#[wasm_bindgen]
impl Model {
    /// An untrained model, initialised from `seed` as `ferrograd train --seed` does.
    #[wasm_bindgen(constructor)]
    pub fn new(seed: u32) -> Model {
        Model {
            mlp: Mlp::new(&recipe::SIZES, recipe::ACTIVATION, u64::from(seed)),
        }
    }

    /// Replaces the network with the one in the safetensors file `bytes` called `name` (a file
    /// `ferrograd train` wrote, or the page's download): the recipe's sizes, with the
    /// activation the file records. Returns, in words, what was assumed of a file that records
    /// no architecture. Nothing changes on error.
    pub fn load(&mut self, name: &str, bytes: &[u8]) -> Result<Option<String>, JsError> {
        let loaded = trainer::recipe_network(name, bytes).map_err(js_error)?;
        self.mlp = loaded.mlp;
        Ok(loaded.assumed.map(|assumed| assumed.to_string()))
    }

    /// The network, as `784-256-256-10 tanh float32`.
    pub fn architecture(&self) -> String {
        self.mlp.architecture().expect("an MLP has one").to_string()
    }

    /// The weights as a safetensors file.
    pub fn save(&self) -> Result<Vec<u8>, JsError> {
        to_bytes(&self.mlp).map_err(js_error)
    }

    /// The ten class probabilities for one image of 784 pixels in `[0, 1]`.
    pub fn predict(&self, pixels: Vec<f32>) -> Result<Vec<f32>, JsError> {
        let x = Tensor::from_vec(pixels, &[1, recipe::SIZES[0]]).map_err(js_error)?;
        Ok(no_grad(|| self.mlp.forward(&x).softmax(1))
            .data()
            .iter()
            .copied()
            .collect())
    }

    /// The predicted class of every image of `set`, in order.
    pub fn classify(&self, set: &ImageSet) -> Vec<u8> {
        let mut out = Vec::with_capacity(set.data.len());
        let mut batch = ferrograd::data::Batch::<f32>::default();
        let mut batches = set.data.batches::<f32>(1000, None);
        while batches.next_into(&mut batch) {
            let x = Tensor::from_array(batch.images.clone());
            let logits = no_grad(|| self.mlp.forward(&x));
            out.extend(predictions(&logits).into_iter().map(|p| p as u8));
        }
        out
    }
}

/// A labelled image set of MNIST (its training or test split), parsed from its two IDX files.
#[wasm_bindgen]
pub struct ImageSet {
    data: Dataset,
}

#[wasm_bindgen]
impl ImageSet {
    /// Parses the images and labels files (gzip if the name ends in `.gz`).
    #[wasm_bindgen(constructor)]
    pub fn new(
        images_name: &str,
        images: &[u8],
        labels_name: &str,
        labels: &[u8],
    ) -> Result<ImageSet, JsError> {
        let data =
            Dataset::from_idx_bytes(images_name, images, labels_name, labels, Mnist::CLASSES)
                .map_err(js_error)?;
        Ok(ImageSet { data })
    }

    /// The number of images.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The pixels of image `i` (`0..=255`), or an error past the end.
    pub fn image(&self, i: usize) -> Result<Vec<u8>, JsError> {
        self.check(i)?;
        Ok(self.data.image(i).to_vec())
    }

    /// Image `i` as the network's input, pixels in `[0, 1]`.
    pub fn input(&self, i: usize) -> Result<Vec<f32>, JsError> {
        self.check(i)?;
        Ok(self
            .data
            .image(i)
            .iter()
            .map(|&p| f32::from(p) / 255.0)
            .collect())
    }

    /// The label of image `i`.
    pub fn label(&self, i: usize) -> Result<u8, JsError> {
        self.check(i)?;
        Ok(self.data.label(i))
    }

    fn check(&self, i: usize) -> Result<(), JsError> {
        if i < self.data.len() {
            Ok(())
        } else {
            Err(JsError::new(&format!(
                "image {i} is past the end: the set has {} images",
                self.data.len()
            )))
        }
    }
}

/// The recipe's trainer, run a few steps at a time from a Web Worker.
#[wasm_bindgen]
pub struct Trainer {
    inner: trainer::Trainer,
}

#[wasm_bindgen]
impl Trainer {
    /// A new model from `seed`, to train on `train` and measure on `test` (both taken over:
    /// their JavaScript objects are spent).
    #[wasm_bindgen(constructor)]
    pub fn new(train: ImageSet, test: ImageSet, seed: u32) -> Trainer {
        Trainer {
            inner: trainer::Trainer::new(train.data, test.data, u64::from(seed)),
        }
    }

    /// Runs up to `steps` steps, stopping at the end of the epoch; returns their losses (empty
    /// when the epoch had ended: the next call starts the next one).
    pub fn run(&mut self, steps: usize) -> Vec<f32> {
        self.inner.run(steps)
    }

    /// Epochs completed.
    pub fn epoch(&self) -> usize {
        self.inner.epoch()
    }

    /// Batches done in the current epoch.
    pub fn batch(&self) -> usize {
        self.inner.batch()
    }

    /// Steps done in all.
    pub fn steps(&self) -> f64 {
        self.inner.steps() as f64
    }

    /// Steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.inner.steps_per_epoch()
    }

    /// Test accuracy in `[0, 1]`.
    pub fn test_accuracy(&self) -> f64 {
        self.inner.evaluate().accuracy
    }

    /// The weights as a safetensors file.
    pub fn save(&self) -> Result<Vec<u8>, JsError> {
        to_bytes(self.inner.model()).map_err(js_error)
    }

    /// Replaces the network with a safetensors file's (see [`Model::load`]); training goes on
    /// from it.
    pub fn load(&mut self, name: &str, bytes: &[u8]) -> Result<(), JsError> {
        self.inner.load_weights(name, bytes).map_err(js_error)?;
        Ok(())
    }
}

/// The 28×28 input (784 values in `[0, 1]`) for a `width × height` drawing given as ink
/// intensities `0..=255`, made as the MNIST digits were (see [`preprocess`]).
#[wasm_bindgen]
pub fn mnist_input(ink: &[u8], width: usize, height: usize) -> Result<Vec<f32>, JsError> {
    if ink.len() != width * height {
        return Err(JsError::new(&format!(
            "the drawing has {} pixels, not {width}×{height}",
            ink.len()
        )));
    }
    Ok(preprocess::mnist_input(ink, width, height))
}

/// The sigmoid's graph as JSON (see [`graph::Graph`]).
#[wasm_bindgen]
pub fn sigmoid_graph() -> Result<String, JsError> {
    serde_json::to_string(&graph::sigmoid()).map_err(js_error)
}
