//! Tests of `ferrograd::nn`: layer shapes and initialisation, the MLP's structure, the losses
//! against their definitions and finite differences, and checkpoints (round trips, every error,
//! fuzzing).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ferrograd::nn::{
    Activation, Architecture, CheckpointError, Linear, LossError, Mlp, Module, cross_entropy, load,
    load_bytes, mse, save, to_bytes, try_cross_entropy, try_mse,
};
use ferrograd::{Element, Tensor, gradcheck};
use ndarray::{Array2, ArrayD, IxDyn, array};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use safetensors::Dtype;
use safetensors::tensor::TensorView;

// ---------------------------------------------------------------- helpers

/// A fresh folder under the system temp dir, deleted on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("ferrograd-nn-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `bytes` to `name` in this folder and returns its path.
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn random_array(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-1.0..1.0))
}

fn parameter_arrays<T: Element>(module: &impl Module<T>) -> Vec<(String, ArrayD<T>)> {
    let params = module.named_parameters();
    params
        .into_iter()
        .map(|(name, p)| (name, p.to_array()))
        .collect()
}

fn assert_close(actual: &ArrayD<f64>, expected: &ArrayD<f64>, tolerance: f64) {
    assert_eq!(actual.shape(), expected.shape());
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < tolerance, "{actual} != {expected}");
    }
}

/// A safetensors file holding `tensors` (name, dtype, shape, little-endian bytes).
fn safetensors_bytes(tensors: &[(&str, Dtype, &[usize], Vec<u8>)]) -> Vec<u8> {
    let views = tensors.iter().map(|(name, dtype, shape, bytes)| {
        (
            *name,
            TensorView::new(*dtype, shape.to_vec(), bytes).unwrap(),
        )
    });
    safetensors::serialize(views, None).unwrap()
}

/// The parameters of `model` as a safetensors file with `metadata`, as a tool other than
/// ferrograd writes it (or, with none, ferrograd before files recorded their architecture).
fn foreign_file(model: &Mlp<f32>, metadata: &[(&str, &str)]) -> Vec<u8> {
    let params: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .named_parameters()
        .into_iter()
        .map(|(name, p)| {
            let bytes = p.data().iter().flat_map(|x| x.to_le_bytes()).collect();
            (name, p.shape(), bytes)
        })
        .collect();
    let views = params.iter().map(|(name, shape, bytes)| {
        (
            name,
            TensorView::new(Dtype::F32, shape.clone(), bytes).unwrap(),
        )
    });
    let metadata = metadata
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<HashMap<_, _>>();
    safetensors::serialize(views, (!metadata.is_empty()).then_some(metadata)).unwrap()
}

fn f32_bytes(len: usize) -> Vec<u8> {
    (0..len).flat_map(|i| (i as f32).to_le_bytes()).collect()
}

/// Asserts that `error`'s message names the file.
fn assert_names_file(error: &CheckpointError, path: &Path) {
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
}

// ---------------------------------------------------------------- layers

#[test]
fn linear_has_pytorch_shapes_and_init_bounds() {
    let layer = Linear::<f64>::new(100, 30, &mut StdRng::seed_from_u64(1));
    assert_eq!(layer.weight.shape(), [100, 30]);
    assert_eq!(layer.bias.shape(), [1, 30]);
    assert!(layer.weight.needs_grad() && layer.bias.needs_grad());
    // uniform(-0.1, 0.1): within the bounds, and spread over them.
    let weight = layer.weight.to_array();
    assert!(weight.iter().all(|w| w.abs() <= 0.1));
    assert!(weight.iter().any(|&w| w > 0.09) && weight.iter().any(|&w| w < -0.09));
    assert!(weight.mean().unwrap().abs() < 0.01);
    assert!(layer.bias.data().iter().all(|b| b.abs() <= 0.1));

    let y = layer.forward(&Tensor::ones(&[7, 100]));
    assert_eq!(y.shape(), [7, 30]);
}

#[test]
fn linear_gradients_pass_gradcheck() {
    let inputs = [
        random_array(&[4, 3], 1),
        random_array(&[3, 2], 2),
        random_array(&[1, 2], 3),
    ];
    let report = gradcheck(
        |t| {
            let layer = Linear {
                weight: t[1].clone(),
                bias: t[2].clone(),
            };
            layer.forward(&t[0]).tanh()
        },
        &inputs,
        1e-6,
    );
    assert!(report.passed(1e-6), "{report:?}");
}

#[test]
fn mlp_names_and_shapes_parameters_like_pytorch() {
    let model = Mlp::<f32>::new(&[784, 256, 256, 10], Activation::Tanh, 0);
    let shapes: Vec<(String, Vec<usize>)> = model
        .named_parameters()
        .into_iter()
        .map(|(name, p)| (name, p.shape()))
        .collect();
    let expected = [
        ("fc1.weight", vec![784, 256]),
        ("fc1.bias", vec![1, 256]),
        ("fc2.weight", vec![256, 256]),
        ("fc2.bias", vec![1, 256]),
        ("fc3.weight", vec![256, 10]),
        ("fc3.bias", vec![1, 10]),
    ]
    .map(|(name, shape)| (name.to_string(), shape));
    assert_eq!(shapes, expected);
    assert_eq!(model.parameters().len(), 6);
    assert!(model.parameters().iter().all(Tensor::needs_grad));
    assert_eq!(model.sizes(), [784, 256, 256, 10]);
    assert_eq!(model.activation(), Activation::Tanh);
    assert_eq!(model.layers().len(), 3);
    assert!(model.parameters()[0].same_node(&model.layers()[0].weight));
    assert_eq!(model.forward(&Tensor::zeros(&[5, 784])).shape(), [5, 10]);
}

#[test]
fn mlp_weights_depend_only_on_the_seed() {
    let sizes = [20, 16, 5];
    let a = parameter_arrays(&Mlp::<f64>::new(&sizes, Activation::Relu, 7));
    let b = parameter_arrays(&Mlp::<f64>::new(&sizes, Activation::Tanh, 7));
    let c = parameter_arrays(&Mlp::<f64>::new(&sizes, Activation::Relu, 8));
    assert_eq!(a, b);
    for ((_, x), (_, y)) in a.iter().zip(&c) {
        assert_ne!(x, y);
    }
    // f32 weights are the f64 ones rounded.
    let single = parameter_arrays(&Mlp::<f32>::new(&sizes, Activation::Relu, 7));
    for ((_, x), (_, y)) in a.iter().zip(&single) {
        assert_eq!(x.mapv(|v| v as f32), *y);
    }
}

#[test]
fn mlp_applies_the_activation_after_every_layer_but_the_last() {
    let x = Tensor::from_array(random_array(&[6, 3], 4));
    for activation in Activation::ALL {
        let model = Mlp::<f64>::new(&[3, 5, 4, 2], activation, 9);
        let [l1, l2, l3] = model.layers() else {
            panic!("three layers")
        };
        let expected =
            l3.forward(&activation.apply(&l2.forward(&activation.apply(&l1.forward(&x)))));
        assert_close(&model.forward(&x).to_array(), &expected.to_array(), 1e-15);
    }

    // Large weights: every hidden tanh saturates at 1, and the output is far outside [-1, 1].
    let model = Mlp::<f64>::new(&[2, 3, 1], Activation::Tanh, 0);
    for p in model.parameters() {
        p.data_mut().fill(5.0);
    }
    let out = model
        .forward(&Tensor::from_array(array![[1.0, 1.0]]))
        .item();
    let hidden = 15.0f64.tanh(); // tanh(5 + 5 + 5)
    assert!((out - (3.0 * 5.0 * hidden + 5.0)).abs() < 1e-12, "{out}");
}

#[test]
#[should_panic(expected = "at least two sizes")]
fn mlp_needs_two_sizes() {
    let _ = Mlp::<f32>::new(&[10], Activation::Relu, 0);
}

#[test]
fn activation_names_round_trip() {
    for activation in Activation::ALL {
        assert_eq!(activation.to_string().parse::<Activation>(), Ok(activation));
    }
    assert_eq!("ReLU".parse::<Activation>(), Ok(Activation::Relu));
    let error = "gelu".parse::<Activation>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown activation `gelu`: expected one of tanh, relu, sigmoid"
    );
}

// ---------------------------------------------------------------- losses

/// The original's cross-entropy: -mean(sum(onehot · log(softmax(logits) + 1e-8), axis 1)).
fn reference_cross_entropy(logits: &Tensor<f64>, labels: &[usize]) -> Tensor<f64> {
    let mut onehot = Array2::zeros((labels.len(), logits.shape()[1]));
    for (row, &label) in labels.iter().enumerate() {
        onehot[[row, label]] = 1.0;
    }
    let log_p = (logits.softmax(-1) + 1e-8).log();
    -(log_p * Tensor::from_array(onehot))
        .sum(Some(1), false)
        .mean_all()
}

#[test]
fn cross_entropy_matches_the_original_composition_and_its_gradient() {
    let labels = [3, 0, 9, 9, 4, 1, 7, 2];
    let values = random_array(&[8, 10], 5);
    let logits = Tensor::from_array(values.clone()).requires_grad();
    let reference_logits = Tensor::from_array(values).requires_grad();

    let loss = cross_entropy(&logits, &labels);
    let reference = reference_cross_entropy(&reference_logits, &labels);
    assert_eq!(loss.shape(), Vec::<usize>::new());
    assert!((loss.item() - reference.item()).abs() < 1e-6);

    loss.backward();
    reference.backward();
    assert_close(
        &logits.grad().unwrap(),
        &reference_logits.grad().unwrap(),
        1e-6,
    );
}

#[test]
fn cross_entropy_is_finite_for_extreme_logits() {
    let logits =
        Tensor::from_array(array![[1000.0f32, -1000.0], [-1000.0, 1000.0]]).requires_grad();
    let loss = cross_entropy(&logits, &[1, 1]); // (2000 + 0) / 2
    assert_eq!(loss.item(), 1000.0);
    loss.backward();
    assert_eq!(
        logits.grad().unwrap(),
        array![[0.5f32, -0.5], [0.0, 0.0]].into_dyn()
    );
}

#[test]
fn cross_entropy_passes_gradcheck() {
    let labels = [2, 0, 4, 1, 1];
    let report = gradcheck(
        |t| cross_entropy(&t[0], &labels),
        &[random_array(&[5, 6], 6) * 3.0],
        1e-6,
    );
    assert!(report.passed(1e-6), "{report:?}");
}

#[test]
fn cross_entropy_rejects_bad_arguments() {
    let logits = Tensor::<f32>::zeros(&[2, 3]);
    assert_eq!(
        try_cross_entropy(&logits, &[0]).unwrap_err(),
        LossError::LabelCount {
            labels: 1,
            batch: 2
        }
    );
    let error = try_cross_entropy(&logits, &[0, 3]).unwrap_err();
    assert_eq!(
        error,
        LossError::LabelOutOfRange {
            index: 1,
            label: 3,
            classes: 3
        }
    );
    assert_eq!(
        error.to_string(),
        "cross_entropy: label 3 at index 1 is out of range for 3 classes"
    );
    assert_eq!(
        try_cross_entropy(&Tensor::<f32>::zeros(&[3]), &[0, 0, 0]).unwrap_err(),
        LossError::LogitsRank { shape: vec![3] }
    );
}

#[test]
#[should_panic(expected = "cross_entropy: 3 labels for a batch of 2 logit rows")]
fn cross_entropy_panics_with_a_clear_message() {
    let _ = cross_entropy(&Tensor::<f32>::zeros(&[2, 3]), &[0, 1, 2]);
}

#[test]
fn mse_value_and_gradient() {
    let pred = Tensor::from_array(array![[1.0f64, 2.0], [3.0, 5.0]]).requires_grad();
    let target = Tensor::from_array(array![[1.0, 0.0], [4.0, 1.0]]);
    let loss = mse(&pred, &target); // (0 + 4 + 1 + 16) / 4
    assert_eq!(loss.item(), 21.0 / 4.0);
    loss.backward(); // d/dpred = 2 (pred - target) / 4
    assert_eq!(
        pred.grad().unwrap(),
        array![[0.0, 1.0], [-0.5, 2.0]].into_dyn()
    );

    let inputs = [random_array(&[3, 4], 7), random_array(&[3, 4], 8)];
    let report = gradcheck(|t| mse(&t[0], &t[1]), &inputs, 1e-6);
    assert!(report.passed(1e-6), "{report:?}");
}

#[test]
fn mse_refuses_to_broadcast() {
    let error = try_mse(&Tensor::<f32>::zeros(&[4, 1]), &Tensor::zeros(&[4])).unwrap_err();
    assert_eq!(
        error,
        LossError::ShapeMismatch {
            pred: vec![4, 1],
            target: vec![4]
        }
    );
}

// ---------------------------------------------------------------- checkpoints

fn round_trip<T: Element>() {
    let dir = TempDir::new();
    let path = dir.path("model.safetensors");
    let trained = Mlp::<T>::new(&[6, 5, 4, 3], Activation::Tanh, 1);
    save(&trained, &path).unwrap();
    // Only the file: the temporary one was renamed.
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["model.safetensors"]);

    let fresh = Mlp::<T>::new(&[6, 5, 4, 3], Activation::Tanh, 2);
    assert_ne!(parameter_arrays(&fresh), parameter_arrays(&trained));
    let handles = fresh.parameters();
    load(&fresh, &path).unwrap();
    assert_eq!(parameter_arrays(&fresh), parameter_arrays(&trained));
    // In place: the handles an optimizer holds see the loaded values.
    assert_eq!(handles[0].to_array(), trained.parameters()[0].to_array());

    let rebuilt = Mlp::<T>::from_safetensors(&path, None).unwrap();
    assert!(rebuilt.assumed.is_none());
    let rebuilt = rebuilt.mlp;
    assert_eq!(rebuilt.sizes(), [6, 5, 4, 3]);
    assert_eq!(rebuilt.activation(), Activation::Tanh);
    assert_eq!(parameter_arrays(&rebuilt), parameter_arrays(&trained));

    // Saving again replaces the file.
    save(&fresh, &path).unwrap();
    load(&Mlp::<T>::new(&[6, 5, 4, 3], Activation::Tanh, 3), &path).unwrap();
}

#[test]
fn save_then_load_round_trips_f32() {
    round_trip::<f32>();
}

#[test]
fn save_then_load_round_trips_f64() {
    round_trip::<f64>();
}

#[test]
fn saved_file_is_plain_safetensors() {
    let dir = TempDir::new();
    let path = dir.path("linear.safetensors");
    let layer = Linear::<f32>::new(2, 3, &mut StdRng::seed_from_u64(0));
    save(&layer, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let weight = file.tensor("weight").unwrap();
    assert_eq!((weight.dtype(), weight.shape()), (Dtype::F32, &[2, 3][..]));
    let first = f32::from_le_bytes(weight.data()[..4].try_into().unwrap());
    assert_eq!(first, layer.weight.data()[[0, 0]]);
    assert_eq!(file.tensor("bias").unwrap().shape(), [1, 3]);
}

#[test]
fn unreadable_and_unwritable_files_are_reported() {
    let dir = TempDir::new();
    let model = Mlp::<f32>::new(&[2, 2], Activation::Tanh, 0);

    let missing = dir.path("nowhere.safetensors");
    let error = load(&model, &missing).unwrap_err();
    assert!(matches!(error, CheckpointError::Read { .. }), "{error:?}");
    assert_names_file(&error, &missing);
    let error = Mlp::<f32>::from_safetensors(&missing, None).unwrap_err();
    assert!(matches!(error, CheckpointError::Read { .. }), "{error:?}");

    let in_missing_folder = dir.path("no/such/folder/model.safetensors");
    let error = save(&model, &in_missing_folder).unwrap_err();
    assert!(matches!(error, CheckpointError::Write { .. }), "{error:?}");
    assert_names_file(&error, &in_missing_folder);
}

#[test]
fn garbage_is_not_a_safetensors_file() {
    let dir = TempDir::new();
    let model = Mlp::<f32>::new(&[2, 2], Activation::Tanh, 0);
    let text = dir.write(
        "text.safetensors",
        b"this is not a safetensors file, only text\n",
    );
    let bad_json = dir.write(
        "json.safetensors",
        &[&4u64.to_le_bytes()[..], b"{{{{"].concat(),
    );
    for path in [text, bad_json] {
        let error = load(&model, &path).unwrap_err();
        assert!(
            matches!(error, CheckpointError::NotSafetensors { .. }),
            "{error:?}"
        );
        assert_names_file(&error, &path);
        assert!(error.to_string().contains("is not a safetensors file"));
    }
}

#[test]
fn truncated_files_are_reported() {
    let dir = TempDir::new();
    let model = Mlp::<f32>::new(&[3, 4, 2], Activation::Tanh, 0);
    let path = dir.path("model.safetensors");
    save(&model, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // Cut in the data, in the header, in the header's length, and empty.
    for len in [bytes.len() - 10, 20, 5, 0] {
        let cut = dir.write("cut.safetensors", &bytes[..len]);
        let error = load(&model, &cut).unwrap_err();
        assert!(
            matches!(error, CheckpointError::Truncated { len: l, .. } if l == len),
            "{len}: {error:?}"
        );
        assert_names_file(&error, &cut);
    }
}

#[test]
fn missing_unexpected_and_mismatched_tensors_are_reported() {
    let dir = TempDir::new();
    let model = Mlp::<f32>::new(&[2, 3, 2], Activation::Tanh, 0);
    let before = parameter_arrays(&model);
    let fc1: [(&str, Dtype, &[usize], Vec<u8>); 2] = [
        ("fc1.weight", Dtype::F32, &[2, 3], f32_bytes(6)),
        ("fc1.bias", Dtype::F32, &[1, 3], f32_bytes(3)),
    ];
    let with = |more: &[(&'static str, Dtype, &'static [usize], Vec<u8>)]| {
        safetensors_bytes(&[&fc1[..], more].concat())
    };

    let path = dir.write(
        "missing.safetensors",
        &with(&[("fc2.weight", Dtype::F32, &[3, 2], f32_bytes(6))]),
    );
    let error = load(&model, &path).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::MissingTensor { name, .. } if name == "fc2.bias"),
        "{error:?}"
    );
    assert_names_file(&error, &path);
    assert!(error.to_string().contains("`fc2.bias`"));
    // Nothing was copied, not even the tensors that were there.
    assert_eq!(parameter_arrays(&model), before);

    let fc2 = [
        ("fc2.weight", Dtype::F32, &[3, 2][..], f32_bytes(6)),
        ("fc2.bias", Dtype::F32, &[1, 2][..], f32_bytes(2)),
    ];
    let path = dir.write(
        "extra.safetensors",
        &with(&[
            fc2[0].clone(),
            fc2[1].clone(),
            ("extra", Dtype::F32, &[1], f32_bytes(1)),
        ]),
    );
    let error = load(&model, &path).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::UnexpectedTensor { name, .. } if name == "extra"),
        "{error:?}"
    );
    assert_names_file(&error, &path);

    let path = dir.write(
        "shape.safetensors",
        &with(&[fc2[0].clone(), ("fc2.bias", Dtype::F32, &[2], f32_bytes(2))]),
    );
    let error = load(&model, &path).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::WrongShape { name, expected, found, .. }
            if name == "fc2.bias" && *expected == [1, 2] && *found == [2]),
        "{error:?}"
    );
    assert_names_file(&error, &path);
    assert!(error.to_string().contains("has shape [2], expected [1, 2]"));

    let f64_bias = (0..2).flat_map(|i| f64::from(i).to_le_bytes()).collect();
    let path = dir.write(
        "dtype.safetensors",
        &with(&[fc2[0].clone(), ("fc2.bias", Dtype::F64, &[1, 2], f64_bias)]),
    );
    let error = load(&model, &path).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::WrongDtype { name, expected: Dtype::F32, found: Dtype::F64, .. }
            if name == "fc2.bias"),
        "{error:?}"
    );
    assert_names_file(&error, &path);
    assert_eq!(parameter_arrays(&model), before);

    // The intact file loads.
    let path = dir.write("good.safetensors", &with(&fc2));
    load(&model, &path).unwrap();
    assert_eq!(
        model.parameters()[3].to_array(),
        array![[0.0f32, 1.0]].into_dyn()
    );
}

#[test]
fn wrong_dtype_and_shape_between_models() {
    let dir = TempDir::new();
    let path = dir.path("model.safetensors");
    save(&Mlp::<f64>::new(&[4, 8, 3], Activation::Tanh, 0), &path).unwrap();

    let error = load(&Mlp::<f32>::new(&[4, 8, 3], Activation::Tanh, 0), &path).unwrap_err();
    assert!(
        matches!(
            error,
            CheckpointError::WrongDtype {
                expected: Dtype::F32,
                found: Dtype::F64,
                ..
            }
        ),
        "{error:?}"
    );
    let error = load(&Mlp::<f64>::new(&[4, 8, 2], Activation::Tanh, 0), &path).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::WrongShape { name, .. } if name == "fc2.weight"),
        "{error:?}"
    );
    let error = load(&Mlp::<f64>::new(&[4, 8, 3, 3], Activation::Tanh, 0), &path).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::MissingTensor { name, .. } if name == "fc3.weight"),
        "{error:?}"
    );
    let error = Mlp::<f32>::from_safetensors(&path, None).unwrap_err();
    assert!(
        matches!(error, CheckpointError::WrongDtype { .. }),
        "{error:?}"
    );
}

#[test]
fn from_safetensors_rejects_files_that_are_no_mlp() {
    let dir = TempDir::new();
    let cases: [(&str, Vec<u8>); 4] = [
        ("empty", safetensors_bytes(&[])),
        (
            "vector",
            safetensors_bytes(&[("fc1.weight", Dtype::F32, &[4], f32_bytes(4))]),
        ),
        (
            "zero",
            safetensors_bytes(&[("fc1.weight", Dtype::F32, &[0, 1 << 40], vec![])]),
        ),
        (
            "inconsistent",
            safetensors_bytes(&[
                ("fc1.weight", Dtype::F32, &[2, 3], f32_bytes(6)),
                ("fc1.bias", Dtype::F32, &[1, 3], f32_bytes(3)),
                ("fc2.weight", Dtype::F32, &[4, 1], f32_bytes(4)),
                ("fc2.bias", Dtype::F32, &[1, 1], f32_bytes(1)),
            ]),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.write(&format!("{name}.safetensors"), &bytes);
        let error = Mlp::<f32>::from_safetensors(&path, None).unwrap_err();
        let expected = match name {
            "empty" => {
                matches!(&error, CheckpointError::MissingTensor { name, .. } if name == "fc1.weight")
            }
            "inconsistent" => {
                matches!(&error, CheckpointError::WrongShape { name, .. } if name == "fc2.weight")
            }
            _ => matches!(error, CheckpointError::NotAnMlp { .. }),
        };
        assert!(expected, "{name}: {error:?}");
        assert_names_file(&error, &path);
    }
}

// ---------------------------------------------------------------- the architecture a file records

#[test]
fn a_saved_mlp_records_its_architecture_beside_unchanged_tensors() {
    let model = Mlp::<f32>::new(&[6, 5, 3], Activation::Relu, 4);
    let bytes = to_bytes(&model).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let metadata = header.metadata().clone().unwrap();
    let expected = [
        ("ferrograd.format", "1"),
        ("ferrograd.sizes", "6,5,3"),
        ("ferrograd.activation", "relu"),
        ("ferrograd.dtype", "float32"),
    ];
    assert_eq!(
        metadata,
        expected.map(|(k, v)| (k.to_string(), v.to_string())).into()
    );
    // The tensors, and the data section, are those of a file without metadata: what ferrograd
    // wrote before, and still reads as before (the metadata is no tensor).
    let plain = foreign_file(&model, &[]);
    let data = |file: &[u8]| {
        let header = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
        file[8 + header..].to_vec()
    };
    assert_eq!(data(&bytes), data(&plain));
    let (ours, theirs) = (
        safetensors::SafeTensors::deserialize(&bytes).unwrap(),
        safetensors::SafeTensors::deserialize(&plain).unwrap(),
    );
    let mut names = ours.names();
    names.sort_unstable();
    assert_eq!(names, ["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]);
    for name in names {
        let (a, b) = (ours.tensor(name).unwrap(), theirs.tensor(name).unwrap());
        assert_eq!(
            (a.dtype(), a.shape(), a.data()),
            (b.dtype(), b.shape(), b.data())
        );
    }
    // Aligned as safetensors aligns it, so the data stays 8-byte aligned.
    assert_eq!((bytes.len() - data(&bytes).len()) % 8, 0);
    // A module that is not a whole network records nothing.
    let layer = Linear::<f32>::new(2, 3, &mut StdRng::seed_from_u64(0));
    assert!(layer.architecture().is_none());
    let bytes = to_bytes(&layer).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    assert!(header.metadata().is_none());
}

#[test]
fn the_same_model_gives_the_same_bytes_every_time() {
    // safetensors' own writer orders metadata as a HashMap does, differently for each map.
    let model = Mlp::<f64>::new(&[3, 4, 2], Activation::Sigmoid, 0);
    let first = to_bytes(&model).unwrap();
    for _ in 0..20 {
        assert_eq!(to_bytes(&model).unwrap(), first);
    }
}

#[test]
fn a_file_says_which_activation_it_was_trained_with() {
    let dir = TempDir::new();
    let path = dir.path("relu.safetensors");
    let trained = Mlp::<f32>::new(&[4, 6, 3], Activation::Relu, 1);
    save(&trained, &path).unwrap();

    let relu_not_tanh = |error: &CheckpointError| {
        matches!(
            error,
            CheckpointError::WrongActivation {
                expected: Activation::Tanh,
                found: Activation::Relu,
                ..
            }
        )
    };
    for asked in [None, Some(Activation::Relu)] {
        let loaded = Mlp::<f32>::from_safetensors(&path, asked).unwrap();
        assert_eq!(loaded.mlp.activation(), Activation::Relu, "{asked:?}");
        assert!(loaded.assumed.is_none());
        assert_eq!(parameter_arrays(&loaded.mlp), parameter_arrays(&trained));
    }
    let error = Mlp::<f32>::from_safetensors(&path, Some(Activation::Tanh)).unwrap_err();
    assert!(relu_not_tanh(&error), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("{} records activation relu, not tanh", path.display())
    );

    // Loading into a network of another activation is refused, and copies nothing.
    let tanh = Mlp::<f32>::new(&[4, 6, 3], Activation::Tanh, 2);
    let before = parameter_arrays(&tanh);
    let error = load(&tanh, &path).unwrap_err();
    assert!(relu_not_tanh(&error), "{error:?}");
    assert_eq!(parameter_arrays(&tanh), before);
    load(&Mlp::<f32>::new(&[4, 6, 3], Activation::Relu, 2), &path).unwrap();
}

#[test]
fn a_file_without_the_architecture_is_read_as_before_and_says_what_was_assumed() {
    let model = Mlp::<f32>::new(&[4, 6, 3], Activation::Relu, 1);
    // ferrograd's files before they recorded it, and another tool's metadata.
    for metadata in [&[][..], &[("format", "pt")][..]] {
        let bytes = foreign_file(&model, metadata);
        let loaded = Mlp::<f32>::from_safetensors_bytes("old.safetensors", &bytes, None).unwrap();
        assert_eq!(loaded.mlp.activation(), Activation::Tanh);
        assert_eq!(parameter_arrays(&loaded.mlp), parameter_arrays(&model));
        let assumed = loaded.assumed.unwrap();
        assert_eq!(
            assumed.architecture,
            Architecture {
                sizes: vec![4, 6, 3],
                activation: Activation::Tanh,
                dtype: Dtype::F32
            }
        );
        assert_eq!(
            assumed.to_string(),
            "old.safetensors does not record its architecture (it has no ferrograd metadata), \
             so it was read as 4-6-3 tanh float32"
        );
        let loaded =
            Mlp::<f32>::from_safetensors_bytes("old.safetensors", &bytes, Some(Activation::Relu))
                .unwrap();
        assert_eq!(loaded.mlp.activation(), Activation::Relu);
        assert_eq!(
            loaded.assumed.unwrap().architecture.activation,
            Activation::Relu
        );
        // Into a network, as before: nothing to check its activation against.
        load_bytes(
            &Mlp::<f32>::new(&[4, 6, 3], Activation::Sigmoid, 0),
            "old",
            &bytes,
        )
        .unwrap();
    }
}

#[test]
fn bad_or_later_metadata_is_refused_naming_the_key() {
    let model = Mlp::<f32>::new(&[4, 6, 3], Activation::Tanh, 1);
    let good = [
        ("ferrograd.format", "1"),
        ("ferrograd.sizes", "4,6,3"),
        ("ferrograd.activation", "tanh"),
        ("ferrograd.dtype", "float32"),
    ];
    // (key, its value instead of the good one, or none, and what the message says)
    let cases = [
        (
            "format",
            Some("2"),
            r#"is "2", a format this ferrograd does not know"#,
        ),
        ("activation", None, "is missing"),
        ("activation", Some("gelu"), "unknown activation `gelu`"),
        ("sizes", Some("4,,3"), "not two or more positive sizes"),
        ("sizes", Some("4"), "not two or more positive sizes"),
        ("sizes", Some("4,0,3"), "not two or more positive sizes"),
        (
            "sizes",
            Some("4,7,3"),
            "is 4,7,3 but the file's tensors are those of a 4-6-3",
        ),
        (
            "dtype",
            Some("int8"),
            r#"is "int8", not float32 or float64"#,
        ),
        (
            "dtype",
            Some("float64"),
            "is float64 but the file's tensors are float32",
        ),
    ];
    for (key, value, problem) in cases {
        let key = format!("ferrograd.{key}");
        let metadata: Vec<(&str, &str)> = good
            .iter()
            .filter(|(k, _)| *k != key)
            .copied()
            .chain(value.map(|v| (key.as_str(), v)))
            .collect();
        let bytes = foreign_file(&model, &metadata);
        let target = Mlp::<f32>::new(&[4, 6, 3], Activation::Tanh, 0);
        for error in [
            Mlp::<f32>::from_safetensors_bytes("bad.safetensors", &bytes, None).unwrap_err(),
            load_bytes(&target, "bad.safetensors", &bytes).unwrap_err(),
        ] {
            assert!(
                matches!(&error, CheckpointError::BadMetadata { key: k, .. } if *k == key),
                "{key}: {error:?}"
            );
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("bad.safetensors: metadata `{key}` "))
                    && message.contains(problem),
                "{message}"
            );
        }
    }
    // The good metadata is read.
    let loaded = Mlp::<f32>::from_safetensors_bytes("good", &foreign_file(&model, &good), None);
    assert!(loaded.unwrap().assumed.is_none());
}

/// Loads `bytes` from a file every way there is; only checks that nothing panics.
fn load_everything(dir: &TempDir, bytes: &[u8]) {
    let path = dir.write("fuzz.safetensors", bytes);
    let _ = load(&Mlp::<f32>::new(&[2, 3, 2], Activation::Tanh, 0), &path);
    let _ = Mlp::<f32>::from_safetensors(&path, None);
    let _ = Mlp::<f64>::from_safetensors(&path, Some(Activation::Relu));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let dir = TempDir::new();
        load_everything(&dir, &bytes);
    }

    #[test]
    fn damaged_checkpoints_never_panic_the_loader(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let dir = TempDir::new();
        let path = dir.path("model.safetensors");
        save(&Mlp::<f32>::new(&[2, 3, 2], Activation::Tanh, 0), &path).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        for (index, value) in edits {
            let len = bytes.len();
            bytes[index % len] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        load_everything(&dir, &bytes);
    }
}
