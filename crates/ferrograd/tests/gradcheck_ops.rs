//! Every operation's gradient against central finite differences (`ferrograd::gradcheck`, f64,
//! error below 1e-6) over shapes proptest generates: binary operations across broadcast shapes
//! of different ranks, reductions and softmaxes over every axis, and a tiny MLP end to end.

use ferrograd::{Tensor, broadcast_shape, gradcheck};
use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;

const EPS: f64 = 1e-6;
const TOLERANCE: f64 = 1e-6;
const CASES: u32 = 64;

// ---------------------------------------------------------------- strategies

/// A shape of rank 0 to `max_rank` with sizes 1 to 3.
fn shape(min_rank: usize, max_rank: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=3, min_rank..=max_rank)
}

/// An operand shape that broadcasts to `result`: some leading axes dropped, some axes set to 1.
fn operand_shape(result: Vec<usize>) -> impl Strategy<Value = Vec<usize>> {
    let rank = result.len();
    (
        0..=rank,
        prop::collection::vec(prop::bool::weighted(0.3), rank),
    )
        .prop_map(move |(dropped, to_one)| {
            result
                .iter()
                .zip(to_one)
                .skip(dropped)
                .map(|(&size, one)| if one { 1 } else { size })
                .collect()
        })
}

/// An array of `shape` with elements drawn from `element`.
fn array_of(
    shape: Vec<usize>,
    element: impl Strategy<Value = f64>,
) -> impl Strategy<Value = ArrayD<f64>> {
    let len: usize = shape.iter().product();
    prop::collection::vec(element, len)
        .prop_map(move |values| ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap())
}

/// A value in `-2..2`.
fn any_value() -> impl Strategy<Value = f64> {
    -2.0..2.0
}

/// A value with magnitude in `0.5..2` and either sign: safe to divide by.
fn away_from_zero() -> impl Strategy<Value = f64> {
    (0.5..2.0, any::<bool>()).prop_map(|(m, negative): (f64, bool)| if negative { -m } else { m })
}

/// An array of `shape` whose elements are all at least 0.1 apart, so that `max` has no ties
/// within `EPS`.
fn distinct_array(shape: Vec<usize>) -> impl Strategy<Value = ArrayD<f64>> {
    let len: usize = shape.iter().product();
    (Just((0..len).collect::<Vec<_>>()).prop_shuffle(), -1.0..1.0).prop_map(
        move |(order, offset): (Vec<usize>, f64)| {
            let values = order.iter().map(|&k| offset + 0.1 * k as f64).collect();
            ArrayD::from_shape_vec(IxDyn(&shape), values).unwrap()
        },
    )
}

/// Two operands whose shapes broadcast together, both safe to divide by: the properties also
/// swap them. (A divisor near 0, such as 0.0009, makes b/a so curved that central differences
/// with `EPS` are off by more than the tolerance: the check, not the gradient, fails.)
fn broadcast_pair() -> impl Strategy<Value = (ArrayD<f64>, ArrayD<f64>)> {
    shape(0, 4)
        .prop_flat_map(|result| (operand_shape(result.clone()), operand_shape(result)))
        .prop_flat_map(|(lhs, rhs)| {
            (
                array_of(lhs, away_from_zero()),
                array_of(rhs, away_from_zero()),
            )
        })
}

/// Every axis of a rank-`rank` tensor, counted from the front and from the back.
fn every_axis(rank: usize) -> impl Iterator<Item = isize> {
    let rank = rank as isize;
    -rank..rank
}

/// Runs `gradcheck` and fails the property with the report when an error is too large.
fn check(
    name: &str,
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[ArrayD<f64>],
) -> Result<(), TestCaseError> {
    let report = gradcheck(f, inputs, EPS);
    prop_assert!(
        report.passed(TOLERANCE),
        "{name}: {report:?} for inputs {inputs:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn binary_ops_over_broadcast_shapes((a, b) in broadcast_pair()) {
        let expected = broadcast_shape(a.shape(), b.shape()).unwrap();
        type Op = fn(&Tensor<f64>, &Tensor<f64>) -> Tensor<f64>;
        let ops: [(&str, Op); 4] = [
            ("add", |a, b| a + b),
            ("sub", |a, b| a - b),
            ("mul", |a, b| a * b),
            ("div", |a, b| a / b),
        ];
        for (name, op) in ops {
            let out = op(&Tensor::from_array(a.clone()), &Tensor::from_array(b.clone()));
            prop_assert_eq!(out.shape(), expected.clone());
            // gradcheck also asserts that each gradient has its input's shape.
            check(name, |t| op(&t[0], &t[1]), &[a.clone(), b.clone()])?;
            // Swapped, so the lower-rank operand is on the left too.
            check(name, |t| op(&t[1], &t[0]), &[a.clone(), b.clone()])?;
        }
    }

    #[test]
    fn same_tensor_on_both_sides(x in shape(0, 3).prop_flat_map(|s| array_of(s, away_from_zero()))) {
        check("x * x", |t| &t[0] * &t[0], std::slice::from_ref(&x))?;
        check("x / x + x - x", |t| &t[0] / &t[0] + &t[0] - &t[0], std::slice::from_ref(&x))?;
    }

    #[test]
    fn matmul(
        (a, b) in (1usize..=4, 1usize..=4, 1usize..=4).prop_flat_map(|(p, q, r)| {
            (array_of(vec![p, q], any_value()), array_of(vec![q, r], any_value()))
        })
    ) {
        check("matmul", |t| t[0].matmul(&t[1]), &[a, b])?;
    }

    #[test]
    fn matmul_add(
        (a, b, bias) in (1usize..=4, 1usize..=4, 1usize..=4, 0usize..3).prop_flat_map(|(p, q, r, kind)| {
            let bias = [vec![r], vec![1, r], vec![p, r]][kind].clone();
            (array_of(vec![p, q], any_value()), array_of(vec![q, r], any_value()), array_of(bias, any_value()))
        })
    ) {
        check("matmul_add", |t| t[0].matmul_add(&t[1], &t[2]), &[a, b, bias])?;
    }

    #[test]
    fn unary_ops(
        x in shape(0, 3).prop_flat_map(|s| (
            array_of(s.clone(), any_value()),
            array_of(s.clone(), 0.5..2.0),
            array_of(s, away_from_zero()),
        )),
        exponent in -2.0..3.0,
    ) {
        let (any, positive, nonzero) = x;
        let inputs = |x: &ArrayD<f64>| [x.clone()];
        check("neg", |t| -&t[0], &inputs(&any))?;
        check("exp", |t| t[0].exp(), &inputs(&any))?;
        check("tanh", |t| t[0].tanh(), &inputs(&any))?;
        check("sigmoid", |t| t[0].sigmoid(), &inputs(&any))?;
        check("log", |t| t[0].log(), &inputs(&positive))?;
        check("powf", |t| t[0].powf(exponent), &inputs(&positive))?;
        check("relu", |t| t[0].relu(), &inputs(&nonzero))?;
        check("scalars", |t| 2.0 * &t[0] - 1.0 / &t[0] + (3.0 - &t[0]) / 4.0, &inputs(&nonzero))?;
    }

    #[test]
    fn reductions_over_every_axis(
        x in shape(0, 4).prop_flat_map(distinct_array)
    ) {
        let inputs = std::slice::from_ref(&x);
        let axes = std::iter::once(None).chain(every_axis(x.ndim()).map(Some));
        for axis in axes {
            for keepdims in [false, true] {
                let sum = Tensor::from_array(x.clone()).sum(axis, keepdims);
                let rank = match (axis, keepdims) {
                    (_, true) => x.ndim(),
                    (Some(_), false) => x.ndim() - 1,
                    (None, false) => 0,
                };
                prop_assert_eq!(sum.ndim(), rank);
                check("sum", |t| t[0].sum(axis, keepdims), inputs)?;
                check("mean", |t| t[0].mean(axis, keepdims), inputs)?;
                check("max", |t| t[0].max(axis, keepdims), inputs)?;
            }
        }
    }

    #[test]
    fn softmaxes_over_every_axis(
        x in shape(1, 4).prop_flat_map(|s| array_of(s, -3.0..3.0))
    ) {
        let inputs = std::slice::from_ref(&x);
        for axis in every_axis(x.ndim()) {
            check("softmax", |t| t[0].softmax(axis), inputs)?;
            check("log_softmax", |t| t[0].log_softmax(axis), inputs)?;
        }
    }

    #[test]
    fn reshape(
        (x, target) in shape(0, 4).prop_flat_map(|s| {
            let target = Just(s.clone()).prop_shuffle();
            (array_of(s, any_value()), target)
        })
    ) {
        let flat = vec![x.len()];
        check("reshape", |t| t[0].reshape(&target), std::slice::from_ref(&x))?;
        check("reshape flat", |t| t[0].reshape(&flat), std::slice::from_ref(&x))?;
    }

    #[test]
    fn transpose(
        x in (1usize..=4, 1usize..=4).prop_flat_map(|(p, q)| array_of(vec![p, q], any_value()))
    ) {
        let inputs = std::slice::from_ref(&x);
        check("transpose", |t| t[0].transpose(), inputs)?;
        // Through a transpose's column-major result into ops that read its layout.
        let len = x.len();
        check("transpose reshape", |t| t[0].transpose().reshape(&[len]), inputs)?;
        check("transpose matmul", |t| t[0].transpose().matmul(&t[0]), inputs)?;
    }

    #[test]
    fn mlp_end_to_end(
        inputs in (1usize..=3, 1usize..=4, 1usize..=4, 2usize..=4).prop_flat_map(|(n, d, h, c)| {
            (
                array_of(vec![n, d], any_value()),
                array_of(vec![d, h], any_value()),
                array_of(vec![h], any_value()),
                array_of(vec![h, c], any_value()),
                array_of(vec![1, c], any_value()),
            )
        })
    ) {
        let (x, w1, b1, w2, b2) = inputs;
        // mean(log_softmax(tanh(x·W1 + b1)·W2 + b2))
        let mlp = |t: &[Tensor<f64>]| {
            let hidden = (t[0].matmul(&t[1]) + &t[2]).tanh();
            (hidden.matmul(&t[3]) + &t[4]).log_softmax(-1).mean(None, false)
        };
        check("mlp", mlp, &[x, w1, b1, w2, b2])?;
    }
}

/// gradcheck itself must be able to fail: a wrong derivative is caught.
#[test]
fn gradcheck_catches_a_wrong_gradient() {
    let x = ArrayD::from_shape_vec(IxDyn(&[3]), vec![0.5, 1.0, 2.0]).unwrap();
    // f(x) = x·detach(x): backward sees only one factor, so its gradient is x instead of 2x.
    let report = gradcheck(|t| &t[0] * &t[0].detach(), &[x], EPS);
    assert!(!report.passed(TOLERANCE), "{report:?}");
    assert!((report.max_error() - 0.5).abs() < 1e-6, "{report:?}");
}
