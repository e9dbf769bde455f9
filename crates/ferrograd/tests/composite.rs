//! The fused operations give the numbers of the compositions the original design teaches:
//! `tanh` and `softmax` from `exp`, the cross-entropy from `log(softmax + 1e-8)`, and the linear
//! layer's `x·w + b` from `matmul` and `+`.

use ferrograd::Tensor;
use ferrograd::nn::{composite, cross_entropy};
use ndarray::{ArrayD, Dimension, IxDyn};
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

/// The values and the gradients of `x`, `w` and `b` for `Σ v·f(x, w, b)`, `v` a fixed weighting.
fn linear_values_and_grads<T: ferrograd::Element>(
    [x, w, b]: [&ArrayD<T>; 3],
    f: impl Fn(&Tensor<T>, &Tensor<T>, &Tensor<T>) -> Tensor<T>,
) -> [ArrayD<T>; 4] {
    let [x, w, b] = [x, w, b].map(|a| Tensor::from_array(a.clone()).requires_grad());
    let out = f(&x, &w, &b);
    let weights = ArrayD::from_shape_fn(IxDyn(&out.shape()), |i| {
        T::from_f64(1.0 + 0.25 * (i[0] * 7 + i[1]) as f64)
    });
    (out.clone() * Tensor::from_array(weights))
        .sum(None, false)
        .backward();
    [
        out.to_array(),
        x.grad().unwrap(),
        w.grad().unwrap(),
        b.grad().unwrap(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn linear_fused_equals_composite(
        (x, w, b) in (1usize..6, 1usize..6, 1usize..6, 0usize..3).prop_flat_map(|(p, q, r, kind)| {
            let values = |shape: Vec<usize>| {
                let len: usize = shape.iter().product();
                prop::collection::vec(-3.0f64..3.0, len)
                    .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap())
            };
            let bias = [vec![r], vec![1, r], vec![p, r]][kind].clone();
            (values(vec![p, q]), values(vec![q, r]), values(bias))
        })
    ) {
        let fused = linear_values_and_grads([&x, &w, &b], Tensor::matmul_add);
        let composed = linear_values_and_grads([&x, &w, &b], composite::linear);
        for (fused, composed) in fused.iter().zip(&composed) {
            prop_assert!(close(fused, composed, 1e-12));
        }
    }
}

/// At the recipe's shapes the `f32` product runs ferrograd's own kernel, whose sum plus the bias
/// is the composite's product plus the bias, bit for bit.
#[test]
fn f32_linear_fused_equals_composite_bit_for_bit_at_the_recipes_shapes() {
    let values = |shape: &[usize], seed: usize| {
        ArrayD::from_shape_fn(IxDyn(shape), |i| {
            let k = i.slice().iter().fold(seed, |k, &j| k * 31 + j);
            ((k % 97) as f32 - 48.0) / 50.0
        })
    };
    for (input, output) in [(784, 256), (256, 256), (256, 10)] {
        let (x, w, b) = (
            values(&[32, input], 1),
            values(&[input, output], 2),
            values(&[1, output], 3),
        );
        let fused = linear_values_and_grads([&x, &w, &b], Tensor::matmul_add);
        let composed = linear_values_and_grads([&x, &w, &b], composite::linear);
        assert_eq!(fused, composed, "{input} -> {output}");
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
