//! The fused operations give the numbers of the compositions the original design teaches:
//! `tanh` and `softmax` from `exp`, and the cross-entropy from `log(softmax + 1e-8)`.

use ferrograd::Tensor;
use ferrograd::nn::{composite, cross_entropy};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

/// Values and the gradient of `Σ w·f(x)` for a fixed non-uniform weighting `w`.
fn value_and_grad(
    x: &ArrayD<f64>,
    f: impl Fn(&Tensor<f64>) -> Tensor<f64>,
) -> (ArrayD<f64>, ArrayD<f64>) {
    let leaf = Tensor::from_array(x.clone()).requires_grad();
    let out = f(&leaf);
    let shape = out.shape();
    let count = out.len();
    let weights = ArrayD::from_shape_vec(
        IxDyn(&shape),
        (0..count).map(|k| 1.0 + 0.25 * k as f64).collect(),
    )
    .unwrap();
    let weights = Tensor::from_array(weights);
    (out.clone() * weights).sum(None, false).backward();
    (out.to_array(), leaf.grad().unwrap())
}

fn close(a: &ArrayD<f64>, b: &ArrayD<f64>, tolerance: f64) -> bool {
    a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
}

fn matrix() -> impl Strategy<Value = ArrayD<f64>> {
    (1usize..6, 1usize..6).prop_flat_map(|(r, c)| {
        prop::collection::vec(-30.0f64..30.0, r * c)
            .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&[r, c]), v).unwrap())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tanh_fused_equals_composite(x in matrix()) {
        let (fused, fused_grad) = value_and_grad(&x, Tensor::tanh);
        let (composed, composed_grad) = value_and_grad(&x, composite::tanh);
        prop_assert!(close(&fused, &composed, 1e-14));
        prop_assert!(close(&fused_grad, &composed_grad, 1e-13));
    }

    #[test]
    fn softmax_fused_equals_composite(x in matrix(), axis in 0isize..2) {
        let (fused, fused_grad) = value_and_grad(&x, |t| t.softmax(axis));
        let (composed, composed_grad) = value_and_grad(&x, |t| composite::softmax(t, axis));
        prop_assert!(close(&fused, &composed, 1e-14));
        prop_assert!(close(&fused_grad, &composed_grad, 1e-13));
    }

    #[test]
    fn cross_entropy_equals_the_originals_composition(x in matrix(), seed in 0usize..1000) {
        let (rows, classes) = (x.shape()[0], x.shape()[1]);
        let labels: Vec<usize> = (0..rows).map(|r| (r * 7 + seed) % classes).collect();
        // Small logits keep every probability above 0.05, so the 1e-8 inside the original's log
        // moves the loss by less than 1e-6.
        let x = x.mapv(|v| v / 100.0);
        let (fused, fused_grad) = value_and_grad(&x, |t| cross_entropy(t, &labels));
        let (composed, composed_grad) = value_and_grad(&x, |t| composite::cross_entropy(t, &labels));
        prop_assert!(close(&fused, &composed, 1e-6));
        prop_assert!(close(&fused_grad, &composed_grad, 1e-6));
    }
}

#[test]
fn f32_tanh_fused_stays_within_float_rounding_of_the_composite() {
    let x = ArrayD::from_shape_fn(IxDyn(&[2001]), |i| (i[0] as f32 - 1000.0) / 100.0);
    let fused = Tensor::from_array(x.clone()).tanh().to_array();
    let composed = composite::tanh(&Tensor::from_array(x)).to_array();
    let worst = fused
        .iter()
        .zip(&composed)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(worst < 1e-6, "largest difference {worst}");
}
