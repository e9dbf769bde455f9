//! Long training runs do not leak: every step's graph is freed when its loss is dropped (no
//! `Rc` cycles), so the tensor nodes alive after a step are exactly the parameters, the heap in
//! use is the same after every epoch, and the peak resident memory after epoch 5 is within 10%
//! of the peak after epoch 1.
//!
//! A counting global allocator measures the heap this thread holds.

mod common;

use std::path::PathBuf;

use ferrograd::data::{Batch, Dataset};
use ferrograd::eval::evaluate;
use ferrograd::nn::{Activation, Mlp, Module, cross_entropy};
use ferrograd::optim::{Adam, Optimizer, Sgd, SgdConfig};
use ferrograd::{Tensor, live_tensors};

use common::{Counting, held, take_peak};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `VmHWM`, the peak resident memory of the process, in kB (`None` without `/proc`).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// A data set of `len` pseudo-random `side × side` images, written as IDX files under the temp
/// folder and read back.
fn synthetic(len: u32, side: u32, name: &str) -> Dataset {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("ferrograd-leaks-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut images = [0x0803u32, len, side, side]
        .iter()
        .flat_map(|d| d.to_be_bytes())
        .collect::<Vec<u8>>();
    images.extend((0..len * side * side).map(|_| next() as u8));
    let mut labels = [0x0801u32, len]
        .iter()
        .flat_map(|d| d.to_be_bytes())
        .collect::<Vec<u8>>();
    labels.extend((0..len).map(|_| (next() % 10) as u8));
    let (images_path, labels_path) = (dir.join("images"), dir.join("labels"));
    std::fs::write(&images_path, images).unwrap();
    std::fs::write(&labels_path, labels).unwrap();
    let dataset = Dataset::load(&images_path, &labels_path, 10).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    dataset
}

/// One epoch of the CLI's training loop; checks after every step that the only tensor nodes
/// left are the `params` ones.
fn train_epoch(
    model: &Mlp<f32>,
    optimizer: &mut dyn Optimizer,
    data: &Dataset,
    seed: u64,
    params: usize,
) {
    let mut batches = data.batches::<f32>(32, Some(seed)).drop_last(true);
    let mut batch = Batch::<f32>::default();
    while batches.next_into(&mut batch) {
        let x = Tensor::from_array(batch.images.clone());
        let loss = cross_entropy(&model.forward(&x), &batch.labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        assert!(loss.item().is_finite());
        drop((x, loss));
        assert_eq!(live_tensors(), params, "tensor nodes left after a step");
    }
}

/// Builds an optimizer over the given parameters.
type MakeOptimizer = fn(Vec<Tensor<f32>>) -> Box<dyn Optimizer>;

#[test]
fn a_training_step_leaves_only_the_parameters_alive() {
    // Tiny 4×4 images: this test runs beside the memory one and must not move its peak.
    let data = synthetic(96, 4, "nodes");
    let start = live_tensors();
    for activation in [Activation::Tanh, Activation::Relu, Activation::Sigmoid] {
        let optimizers: [MakeOptimizer; 3] = [
            |p| Box::new(Sgd::new(p, 0.1)),
            |p| {
                let config = SgdConfig {
                    momentum: 0.9,
                    ..SgdConfig::new(0.1)
                };
                Box::new(Sgd::try_new(p, config).unwrap())
            },
            |p| Box::new(Adam::new(p, 0.01)),
        ];
        for make in optimizers {
            let model = Mlp::<f32>::new(&[16, 8, 8, 10], activation, 1);
            let params = live_tensors();
            assert_eq!(params - start, model.parameters().len());
            let mut optimizer = make(model.parameters());
            assert_eq!(
                live_tensors(),
                params,
                "the optimizer shares the parameters"
            );
            for epoch in 0..2 {
                train_epoch(&model, optimizer.as_mut(), &data, epoch, params);
            }
            let result = evaluate(&model, &data, 40);
            assert!(result.loss.is_finite());
            assert_eq!(live_tensors(), params, "tensor nodes left by evaluate");
            drop((model, optimizer));
            assert_eq!(live_tensors(), start, "tensor nodes left after the model");
        }
    }
}

#[test]
fn memory_is_flat_over_five_epochs() {
    let train = synthetic(512, 28, "train");
    let test = synthetic(128, 28, "test");
    let model = Mlp::<f32>::new(&[784, 64, 64, 10], Activation::Tanh, 0);
    let params = live_tensors();
    let mut optimizer = Adam::new(model.parameters(), 1e-3);
    let mut after = Vec::new();
    take_peak();
    for epoch in 1..=5 {
        train_epoch(&model, &mut optimizer, &train, epoch, params);
        let result = evaluate(&model, &test, 1000);
        assert!(result.loss.is_finite());
        after.push((held(), take_peak(), peak_rss_kb()));
    }
    eprintln!("after each epoch (held bytes, peak bytes, peak RSS kB): {after:?}");
    let ((held_1, peak_1, rss_1), (held_5, peak_5, rss_5)) = (after[0], after[4]);
    // From the second epoch on, every epoch ends holding exactly the same heap, with the same
    // peak (the first one sets up a few lazily allocated buffers).
    assert!(
        after[1..]
            .iter()
            .all(|&(held, peak, _)| (held, peak) == (held_5, peak_5)),
        "the heap changes from epoch to epoch"
    );
    assert!(
        held_5 as f64 <= held_1 as f64 * 1.01 && peak_5 as f64 <= peak_1 as f64 * 1.01,
        "heap held / peak grew from {held_1} / {peak_1} after epoch 1 to {held_5} / {peak_5}"
    );
    // Under AddressSanitizer (`.ci/proof.sh`) freed memory is held in a quarantine of up to
    // 256 MB before it is reused, so the resident set grows every epoch whatever the program
    // does: there, only the heap counts above are checked, not the peak RSS.
    let rss_is_the_program_s = !cfg!(ferrograd_sanitizer = "address");
    if let (Some(rss_1), Some(rss_5), true) = (rss_1, rss_5, rss_is_the_program_s) {
        assert!(
            rss_5 as f64 <= rss_1 as f64 * 1.10,
            "peak RSS grew from {rss_1} kB after epoch 1 to {rss_5} kB after epoch 5"
        );
    }
}
