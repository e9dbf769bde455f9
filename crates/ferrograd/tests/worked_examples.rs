//! The worked examples of the original design as fixed vectors, each gradient written out by
//! hand (the derivation is in the comment above it), in both `f32` and `f64`; then the rules
//! around them: ties, axes, `keepdims`, reuse, accumulation, `no_grad`, `detach`, scalars on
//! either side of every operator, broadcasting across ranks, and the stable softmax.

use ferrograd::{Element, Tensor, broadcast_grad_accumulate, broadcast_shape, no_grad};
use ndarray::{ArrayD, IxDyn, arr1, array};

// ---------------------------------------------------------------- helpers

/// A 2-d tensor of `T` from rows of `f64` literals.
fn matrix<T: Element, const N: usize>(rows: &[[f64; N]]) -> Tensor<T> {
    let values = rows.iter().flatten().map(|&v| T::from_f64(v)).collect();
    Tensor::from_vec(values, &[rows.len(), N]).unwrap()
}

/// The same as an `ArrayD<f64>`.
fn array2<const N: usize>(rows: &[[f64; N]]) -> ArrayD<f64> {
    let values = rows.iter().flatten().copied().collect();
    ArrayD::from_shape_vec(IxDyn(&[rows.len(), N]), values).unwrap()
}

/// Asserts that `actual` has `expected`'s shape and, element by element, is within a few units
/// in the last place of `T` (relative, or absolute below 1).
#[track_caller]
fn assert_close<T: Element>(actual: &ArrayD<T>, expected: &ArrayD<f64>) {
    assert_eq!(actual.shape(), expected.shape(), "shape");
    let tolerance = 4.0 * Element::to_f64(T::epsilon());
    for (&a, e) in actual.iter().zip(expected) {
        let a = Element::to_f64(a);
        assert!(
            (a - e).abs() <= tolerance * e.abs().max(1.0),
            "got {actual}, expected {expected}"
        );
    }
}

/// Asserts that `tensor`'s accumulated gradient is `expected`.
#[track_caller]
fn assert_grad<T: Element>(tensor: &Tensor<T>, expected: &ArrayD<f64>) {
    let grad = tensor.grad().expect("backward reached this tensor");
    assert_close(&grad, expected);
}

/// Runs each generic worked example once with `f32` and once with `f64`.
macro_rules! for_f32_and_f64 {
    ($($name:ident),* $(,)?) => {
        mod f32 {
            $(#[test] fn $name() { super::$name::<f32>() })*
        }
        mod f64 {
            $(#[test] fn $name() { super::$name::<f64>() })*
        }
    };
}

for_f32_and_f64!(
    sub_worked_example,
    mul_worked_example,
    div_worked_example,
    matmul_worked_example,
    log_worked_example,
    exp_worked_example,
    sum_axis_with_upstream,
    max_axis_with_upstream,
    max_ties_split_evenly,
    node_used_twice_sums_contributions,
    broadcast_across_ranks,
);

/// A = [[1,2,3],[4,5,6]], requiring grad.
fn a<T: Element>() -> Tensor<T> {
    matrix(&[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad()
}

/// B = [[8,2,5]], requiring grad; broadcasts over A's rows.
fn b<T: Element>() -> Tensor<T> {
    matrix(&[[8.0, 2.0, 5.0]]).requires_grad()
}

// ---------------------------------------------------------------- the worked examples

fn sub_worked_example<T: Element>() {
    let (a, b) = (a::<T>(), b::<T>());
    let y = &a - &b;
    assert_close(
        &y.to_array(),
        &array2(&[[-7.0, 0.0, -2.0], [-4.0, 3.0, 1.0]]),
    );
    y.backward();
    // d(a - b)/da = 1; d(a - b)/db = -1, summed over the 2 rows b was broadcast to.
    assert_grad(&a, &array2(&[[1.0; 3]; 2]));
    assert_grad(&b, &array2(&[[-2.0, -2.0, -2.0]]));
}

fn mul_worked_example<T: Element>() {
    let (a, b) = (a::<T>(), b::<T>());
    let y = &a * &b;
    assert_close(
        &y.to_array(),
        &array2(&[[8.0, 4.0, 15.0], [32.0, 10.0, 30.0]]),
    );
    y.backward();
    // d(ab)/da = b; d(ab)/db = a summed over rows: [1+4, 2+5, 3+6].
    assert_grad(&a, &array2(&[[8.0, 2.0, 5.0], [8.0, 2.0, 5.0]]));
    assert_grad(&b, &array2(&[[5.0, 7.0, 9.0]]));
}

fn div_worked_example<T: Element>() {
    let (a, b) = (a::<T>(), b::<T>());
    let y = &a / &b;
    y.backward();
    // d(a/b)/da = 1/b = [1/8, 1/2, 1/5].
    assert_grad(&a, &array2(&[[0.125, 0.5, 0.2], [0.125, 0.5, 0.2]]));
    // d(a/b)/db = -a/b², summed over rows: [-(1+4)/64, -(2+5)/4, -(3+6)/25].
    assert_grad(&b, &array2(&[[-0.078125, -1.75, -0.36]]));
}

fn matmul_worked_example<T: Element>() {
    let a: Tensor<T> = matrix(&[[1.0; 3]; 2]).requires_grad();
    let b: Tensor<T> = matrix(&[[2.0; 2]; 3]).requires_grad();
    let y = a.matmul(&b);
    assert_close(&y.to_array(), &array2(&[[6.0; 2]; 2]));
    y.backward();
    // G = ones(2×2): dA = G·Bᵀ (each entry 2 + 2), dB = Aᵀ·G (each entry 1 + 1).
    assert_grad(&a, &array2(&[[4.0; 3]; 2]));
    assert_grad(&b, &array2(&[[2.0; 2]; 3]));
}

fn log_worked_example<T: Element>() {
    let x = Tensor::<T>::ones(&[2, 3]).requires_grad();
    let y = x.log();
    assert_close(&y.to_array(), &array2(&[[0.0; 3]; 2]));
    y.backward();
    // d log x/dx = 1/x = 1.
    assert_grad(&x, &array2(&[[1.0; 3]; 2]));
}

fn exp_worked_example<T: Element>() {
    let x = Tensor::<T>::ones(&[2, 3]).requires_grad();
    x.exp().backward();
    // d eˣ/dx = eˣ = e.
    assert_grad(&x, &array2(&[[std::f64::consts::E; 3]; 2]));
}

fn sum_axis_with_upstream<T: Element>() {
    let x = Tensor::<T>::ones(&[2, 3]).requires_grad();
    let y = x.sum(Some(1), false);
    assert_close(&y.to_array(), &array![3.0, 3.0].into_dyn());
    y.backward_with(array![T::from_f64(1.0), T::from_f64(2.0)].into_dyn());
    // Each row's upstream gradient is copied to every element of the row.
    assert_grad(&x, &array2(&[[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]));
}

fn max_axis_with_upstream<T: Element>() {
    let x: Tensor<T> = matrix(&[[1.0, 2.0, 3.0], [6.0, 4.0, 0.0]]).requires_grad();
    let y = x.max(Some(1), false);
    assert_close(&y.to_array(), &array![3.0, 6.0].into_dyn());
    y.backward_with(array![T::from_f64(1.0), T::from_f64(2.0)].into_dyn());
    // Each row's upstream gradient goes to the row's maximum only.
    assert_grad(&x, &array2(&[[0.0, 0.0, 1.0], [2.0, 0.0, 0.0]]));
}

fn max_ties_split_evenly<T: Element>() {
    let x: Tensor<T> = matrix(&[[3.0, 3.0, 1.0]]).requires_grad();
    x.max(Some(1), false).backward();
    assert_grad(&x, &array2(&[[0.5, 0.5, 0.0]]));

    // Over everything: three tied maxima share the gradient in thirds.
    let x: Tensor<T> = matrix(&[[2.0, 1.0], [2.0, 2.0]]).requires_grad();
    x.max(None, false).backward();
    let third = 1.0 / 3.0;
    assert_grad(&x, &array2(&[[third, 0.0], [third, third]]));
}

fn node_used_twice_sums_contributions<T: Element>() {
    let x: Tensor<T> = matrix(&[[-1.0, 0.5, 3.0]]).requires_grad();
    // y = x·x + x, so dy/dx = 2x + 1 (x reaches y along three edges).
    let y = &(&x * &x) + &x;
    y.backward();
    assert_grad(&x, &array2(&[[-1.0, 2.0, 7.0]]));
}

fn broadcast_across_ranks<T: Element>() {
    let values = |n: usize| (1..=n).map(|v| T::from_f64(v as f64)).collect();
    let a = Tensor::<T>::from_vec(values(8), &[2, 1, 4])
        .unwrap()
        .requires_grad();
    let b = Tensor::<T>::from_vec(values(3), &[3, 1])
        .unwrap()
        .requires_grad();
    let y = &a * &b;
    assert_eq!(y.shape(), vec![2, 3, 4]);
    assert_eq!(broadcast_shape(&[2, 1, 4], &[3, 1]), Some(vec![2, 3, 4]));
    // y[i,j,k] = a[i,0,k]·b[j,0]
    assert_eq!(y.to_array()[[1, 2, 3]], T::from_f64(8.0 * 3.0));
    y.backward();
    // dy/da[i,0,k] = Σⱼ b[j] = 6; dy/db[j,0] = Σᵢₖ a[i,0,k] = 36.
    let grad_a = a.grad().unwrap();
    assert_eq!(grad_a.shape(), &[2, 1, 4]);
    assert!(grad_a.iter().all(|&g| g == T::from_f64(6.0)), "{grad_a}");
    assert_close(&b.grad().unwrap(), &array2(&[[36.0], [36.0], [36.0]]));
}

#[test]
fn broadcast_grad_accumulate_worked_example() {
    let grad = array![[1.0, 4.0, 7.0], [2.0, 1.0, 6.0]].into_dyn();
    assert_eq!(
        broadcast_grad_accumulate(&[1, 3], &grad),
        array![[3.0, 5.0, 13.0]].into_dyn()
    );
    // Leading axes the operand lacked are summed away; size-1 axes are kept.
    assert_eq!(
        broadcast_grad_accumulate(&[3], &grad),
        array![3.0, 5.0, 13.0].into_dyn()
    );
    assert_eq!(
        broadcast_grad_accumulate(&[2, 1], &grad),
        array![[12.0], [9.0]].into_dyn()
    );
    assert_eq!(
        broadcast_grad_accumulate(&[], &grad),
        ndarray::arr0(21.0).into_dyn()
    );
    assert_eq!(broadcast_grad_accumulate(&[2, 3], &grad), grad);
}

#[test]
fn sigmoid_from_operators_matches_analytic_and_op() {
    let values = array![[1.0f64, 2.0, 3.0], [6.0, 4.0, 0.0]];
    let x = Tensor::from_array(values.clone()).requires_grad();
    let s = 1.0 / (1.0 + (-1.0 * &x).exp());
    assert_eq!(s.grad_fn_name(), Some("<DivBackward>"));
    s.backward();
    // dσ/dx = σ(x)(1 - σ(x))
    let sigma = values.mapv(|v| 1.0 / (1.0 + (-v).exp())).into_dyn();
    assert_close(&s.to_array(), &sigma);
    assert_grad(&x, &(&sigma * &(1.0 - &sigma)));

    let x_op = Tensor::from_array(values).requires_grad();
    let s_op = x_op.sigmoid();
    assert_eq!(s_op.grad_fn_name(), Some("<SigmoidBackward>"));
    s_op.backward();
    assert_close(&s_op.to_array(), &sigma);
    assert_grad(&x_op, &x.grad().unwrap());
}

#[test]
fn sigmoid_from_operators_f32() {
    let x = Tensor::from_array(array![[1.0f32, 2.0, 3.0], [6.0, 4.0, 0.0]]).requires_grad();
    let s = 1.0 / (1.0 + (-1.0 * &x).exp());
    s.backward();
    let sigma = s.to_array().mapv(f64::from);
    assert_grad(&x, &(&sigma * &(1.0 - &sigma)));
}

// ---------------------------------------------------------------- axes and shapes

#[test]
fn negative_axes_count_from_the_end() {
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(
        x.sum(Some(-1), false).to_array(),
        array![6.0, 15.0].into_dyn()
    );
    assert_eq!(
        x.sum(Some(-2), false).to_array(),
        array![5.0, 7.0, 9.0].into_dyn()
    );
    assert_eq!(
        x.mean(Some(-1), false).to_array(),
        array![2.0, 5.0].into_dyn()
    );
    assert_eq!(
        x.max(Some(-2), false).to_array(),
        array![4.0, 5.0, 6.0].into_dyn()
    );
    assert_eq!(x.softmax(-1).to_array(), x.softmax(1).to_array());
    assert_eq!(x.log_softmax(-2).to_array(), x.log_softmax(0).to_array());

    let x = Tensor::<f64>::ones(&[2, 3, 4]).requires_grad();
    let y = x.sum(Some(-2), true);
    assert_eq!(y.shape(), vec![2, 1, 4]);
    assert_eq!(y.to_array(), ArrayD::from_elem(IxDyn(&[2, 1, 4]), 3.0));
    y.backward();
    assert_eq!(x.grad().unwrap(), ArrayD::<f64>::ones(IxDyn(&[2, 3, 4])));
}

#[test]
fn reduction_shapes_with_and_without_keepdims() {
    let x = Tensor::<f32>::ones(&[2, 3]);
    for (axis, keepdims, shape) in [
        (Some(0), false, vec![3]),
        (Some(0), true, vec![1, 3]),
        (Some(1), false, vec![2]),
        (Some(-1), true, vec![2, 1]),
        (None, false, vec![]),
        (None, true, vec![1, 1]),
    ] {
        assert_eq!(
            x.sum(axis, keepdims).shape(),
            shape,
            "sum {axis:?} {keepdims}"
        );
        assert_eq!(
            x.mean(axis, keepdims).shape(),
            shape,
            "mean {axis:?} {keepdims}"
        );
        assert_eq!(
            x.max(axis, keepdims).shape(),
            shape,
            "max {axis:?} {keepdims}"
        );
    }
    assert_eq!(x.sum_all().shape(), Vec::<usize>::new());
    assert_eq!(x.sum_all().item(), 6.0);
    assert_eq!(x.mean_all().item(), 1.0);
    assert_eq!(x.max_all().item(), 1.0);
}

#[test]
fn full_reductions_with_keepdims_flow_back() {
    let x = Tensor::from_array(array![[1.0f64, 5.0], [3.0, 2.0]]).requires_grad();
    let y = x.max(None, true);
    assert_eq!(y.to_array(), array![[5.0]].into_dyn());
    y.backward_with(array![[4.0]].into_dyn());
    assert_eq!(x.grad().unwrap(), array![[0.0, 4.0], [0.0, 0.0]].into_dyn());

    let x = Tensor::from_array(array![[1.0f64, 5.0], [3.0, 2.0]]).requires_grad();
    let y = x.mean(None, true);
    assert_eq!(y.to_array(), array![[2.75]].into_dyn());
    y.backward_with(array![[4.0]].into_dyn());
    // d mean/dx = 1/4 each, times the upstream 4.
    assert_eq!(x.grad().unwrap(), array![[1.0, 1.0], [1.0, 1.0]].into_dyn());
}

#[test]
fn mean_over_an_axis_divides_by_its_length() {
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad();
    let y = x.mean(Some(0), false);
    assert_eq!(y.to_array(), array![2.5, 3.5, 4.5].into_dyn());
    y.backward_with(array![2.0, 4.0, 6.0].into_dyn());
    // d mean₀/dx[i,j] = 1/2, times upstream[j].
    assert_eq!(
        x.grad().unwrap(),
        array![[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]].into_dyn()
    );
}

#[test]
fn non_scalar_root_is_seeded_with_ones() {
    let x = Tensor::from_array(array![[1.0f32, 2.0], [3.0, 4.0]]).requires_grad();
    let y = 3.0 * &x;
    y.backward();
    assert_eq!(
        x.grad().unwrap(),
        array![[3.0f32, 3.0], [3.0, 3.0]].into_dyn()
    );

    // A leaf root: its own gradient is the seed.
    let leaf = Tensor::from_array(array![7.0f32, 8.0]).requires_grad();
    leaf.backward();
    assert_eq!(leaf.grad().unwrap(), array![1.0f32, 1.0].into_dyn());
}

// ---------------------------------------------------------------- the graph's bookkeeping

#[test]
fn gradients_accumulate_until_zero_grad() {
    let x = Tensor::from_array(array![2.0f64, -1.0]).requires_grad();
    let y = (&x * &x).sum_all(); // dy/dx = 2x
    y.backward();
    assert_eq!(x.grad().unwrap(), array![4.0, -2.0].into_dyn());
    y.backward();
    assert_eq!(x.grad().unwrap(), array![8.0, -4.0].into_dyn());
    (&x * 10.0).sum_all().backward();
    assert_eq!(x.grad().unwrap(), array![18.0, 6.0].into_dyn());
    x.zero_grad();
    assert_eq!(x.grad().unwrap(), array![0.0, 0.0].into_dyn());
    y.backward();
    assert_eq!(x.grad().unwrap(), array![4.0, -2.0].into_dyn());
}

#[test]
fn intermediate_results_keep_no_gradient() {
    let x = Tensor::from_array(array![2.0f64]).requires_grad();
    let h = &x * 3.0;
    let y = &h * &h;
    y.backward();
    assert_eq!(x.grad().unwrap(), array![36.0].into_dyn()); // y = 9x², dy/dx = 18x
    assert!(h.grad().is_none());
    assert!(y.grad().is_none());
}

#[test]
fn no_graph_under_no_grad_or_without_requires_grad() {
    let x = Tensor::from_array(array![1.0f64, 2.0]).requires_grad();
    let y = no_grad(|| (&x * 2.0).exp().sum_all());
    assert!(!y.needs_grad());
    assert!(y.is_leaf());
    assert!(y.parents().is_empty());
    assert_eq!(y.grad_fn_name(), None);
    assert!(y.try_backward().is_err());
    assert!(ferrograd::is_grad_enabled());
    assert!(!no_grad(ferrograd::is_grad_enabled));

    let plain = Tensor::from_array(array![1.0f64, 2.0]);
    let z = (&plain * &plain + 1.0).tanh();
    assert!(!z.needs_grad());
    assert!(z.is_leaf());
    assert!(z.parents().is_empty());
    assert_eq!(z.grad_fn_name(), None);

    // Mixing a tracked and an untracked operand records the op; only the tracked one gets a
    // gradient.
    let w = &plain * &x;
    assert!(w.needs_grad());
    w.backward();
    assert_eq!(x.grad().unwrap(), array![1.0, 2.0].into_dyn());
    assert!(plain.grad().is_none());
}

#[test]
fn detach_cuts_the_graph() {
    let x = Tensor::from_array(array![1.0f64, 2.0, 3.0]).requires_grad();
    let y = &x * &x;
    let d = y.detach();
    assert!(!d.needs_grad());
    assert!(d.is_leaf());
    assert!(!d.same_node(&y));
    assert_eq!(d.to_array(), y.to_array());
    // z = x²(detached) · x, so dz/dx = x², not 3x².
    (&d * &x).sum_all().backward();
    assert_eq!(x.grad().unwrap(), array![1.0, 4.0, 9.0].into_dyn());
    assert!(d.grad().is_none());
}

#[test]
fn parents_and_grad_fn_names() {
    let a = Tensor::from_array(array![[1.0f64, 2.0], [3.0, 4.0]]).requires_grad();
    let b = Tensor::from_array(array![[0.5f64, 0.25], [2.0, 1.0]]);
    assert!(a.is_leaf());
    assert!(a.parents().is_empty());
    assert_eq!(a.grad_fn_name(), None);

    let sum = &a + &b;
    assert!(!sum.is_leaf());
    let parents = sum.parents();
    assert_eq!(parents.len(), 2);
    assert!(parents[0].same_node(&a));
    assert!(parents[1].same_node(&b));

    let named: [(Tensor<f64>, &str); 19] = [
        (&a + &b, "<AddBackward>"),
        (&a - &b, "<SubBackward>"),
        (&a * &b, "<MulBackward>"),
        (&a / &b, "<DivBackward>"),
        (a.matmul(&b), "<MatmulBackward>"),
        (-&a, "<NegBackward>"),
        (a.exp(), "<ExpBackward>"),
        (a.log(), "<LogBackward>"),
        (a.tanh(), "<TanhBackward>"),
        (a.relu(), "<ReluBackward>"),
        (a.sigmoid(), "<SigmoidBackward>"),
        (a.powf(2.0), "<PowBackward>"),
        (a.sum(Some(0), false), "<SumBackward>"),
        (a.mean(None, false), "<MeanBackward>"),
        (a.max(Some(1), true), "<MaxBackward>"),
        (a.reshape(&[4]), "<ReshapeBackward>"),
        (a.transpose(), "<TransposeBackward>"),
        (a.softmax(1), "<SoftmaxBackward>"),
        (a.log_softmax(0), "<LogSoftmaxBackward>"),
    ];
    for (tensor, name) in named {
        assert_eq!(tensor.grad_fn_name(), Some(name));
        assert!(tensor.needs_grad());
        assert!(tensor.parents()[0].same_node(&a), "{name}");
    }

    // A chain's parents lead back to the leaf.
    let y = (&a * 2.0).exp().sum_all();
    let exp = &y.parents()[0];
    assert_eq!(exp.grad_fn_name(), Some("<ExpBackward>"));
    let mul = &exp.parents()[0];
    assert_eq!(mul.grad_fn_name(), Some("<MulBackward>"));
    assert!(mul.parents()[0].same_node(&a));
    assert_eq!(mul.parents()[1].shape(), Vec::<usize>::new());
}

// ---------------------------------------------------------------- scalars and operators

#[test]
fn scalars_on_either_side_of_every_operator() {
    let values = array![1.0f64, 2.0, 4.0];
    // (expression, its values, its derivative), from x = [1, 2, 4].
    type Case = (fn(&Tensor<f64>) -> Tensor<f64>, [f64; 3], [f64; 3]);
    let cases: [(&str, Case); 16] = [
        ("3 + x", (|x| 3.0 + x, [4.0, 5.0, 7.0], [1.0; 3])),
        ("x + 3", (|x| x + 3.0, [4.0, 5.0, 7.0], [1.0; 3])),
        ("1 - x", (|x| 1.0 - x, [0.0, -1.0, -3.0], [-1.0; 3])),
        ("x - 1", (|x| x - 1.0, [0.0, 1.0, 3.0], [1.0; 3])),
        ("2 * x", (|x| 2.0 * x, [2.0, 4.0, 8.0], [2.0; 3])),
        ("x * 2", (|x| x * 2.0, [2.0, 4.0, 8.0], [2.0; 3])),
        // d(1/x)/dx = -1/x²
        (
            "1 / x",
            (|x| 1.0 / x, [1.0, 0.5, 0.25], [-1.0, -0.25, -0.0625]),
        ),
        ("x / 2", (|x| x / 2.0, [0.5, 1.0, 2.0], [0.5; 3])),
        ("-x", (|x| -x, [-1.0, -2.0, -4.0], [-1.0; 3])),
        // owned operands
        (
            "3 + owned",
            (|x| 3.0 + x.clone(), [4.0, 5.0, 7.0], [1.0; 3]),
        ),
        (
            "owned - 1",
            (|x| x.clone() - 1.0, [0.0, 1.0, 3.0], [1.0; 3]),
        ),
        (
            "2 * owned",
            (|x| 2.0 * x.clone(), [2.0, 4.0, 8.0], [2.0; 3]),
        ),
        (
            "1 / owned",
            (
                |x| 1.0 / x.clone(),
                [1.0, 0.5, 0.25],
                [-1.0, -0.25, -0.0625],
            ),
        ),
        ("-owned", (|x| -x.clone(), [-1.0, -2.0, -4.0], [-1.0; 3])),
        // x·x - x/x + (x+x): 2x - 0 + 2
        (
            "mixed",
            (
                |x| x * x - x / x + (x.clone() + x),
                [2.0, 7.0, 23.0],
                [4.0, 6.0, 10.0],
            ),
        ),
        (
            "owned pair",
            (|x| x.clone() * x.clone(), [1.0, 4.0, 16.0], [2.0, 4.0, 8.0]),
        ),
    ];
    for (name, (f, value, grad)) in cases {
        let x = Tensor::from_array(values.clone()).requires_grad();
        let y = f(&x);
        assert_eq!(y.to_array(), arr1(&value).into_dyn(), "{name}");
        y.backward();
        assert_eq!(x.grad().unwrap(), arr1(&grad).into_dyn(), "{name}");
    }
}

#[test]
fn scalars_on_either_side_in_f32() {
    let x = Tensor::from_array(array![2.0f32, 4.0]).requires_grad();
    // y = 2x + 1/x - (x - 1) + (3 - x)·0.5 + -x, dy/dx = 2 - 1/x² - 1 - 0.5 - 1
    let y = 2.0 * &x + 1.0 / &x - (&x - 1.0) + (3.0 - &x) * 0.5 + -&x;
    y.backward();
    assert_eq!(y.to_array(), array![2.0f32, 0.75].into_dyn());
    assert_eq!(x.grad().unwrap(), array![-0.75f32, -0.5625].into_dyn());
}

// ---------------------------------------------------------------- element-wise functions

#[test]
fn powf_gradient() {
    let x = Tensor::from_array(array![1.0f64, 2.0, 4.0]).requires_grad();
    let y = x.powf(3.0);
    assert_eq!(y.to_array(), array![1.0, 8.0, 64.0].into_dyn());
    y.backward(); // d x³/dx = 3x²
    assert_eq!(x.grad().unwrap(), array![3.0, 12.0, 48.0].into_dyn());

    let x = Tensor::from_array(array![1.0f64, 4.0, 16.0]).requires_grad();
    x.powf(0.5).backward(); // d √x/dx = 1/(2√x)
    assert_eq!(x.grad().unwrap(), array![0.5, 0.25, 0.125].into_dyn());
}

#[test]
fn relu_gradient_is_a_step_with_zero_at_zero() {
    let x = Tensor::from_array(array![-1.5f32, 0.0, 2.0, 0.25]).requires_grad();
    let y = x.relu();
    assert_eq!(y.to_array(), array![0.0f32, 0.0, 2.0, 0.25].into_dyn());
    y.backward_with(array![10.0f32, 10.0, 10.0, 3.0].into_dyn());
    assert_eq!(x.grad().unwrap(), array![0.0f32, 0.0, 10.0, 3.0].into_dyn());
}

#[test]
fn tanh_gradient() {
    let values = array![-2.0f64, 0.0, 0.5, 3.0];
    let x = Tensor::from_array(values.clone()).requires_grad();
    let y = x.tanh();
    y.backward();
    // d tanh x/dx = 1 - tanh² x
    let expected = values.mapv(|v| 1.0 - v.tanh() * v.tanh()).into_dyn();
    assert_close(&y.to_array(), &values.mapv(f64::tanh).into_dyn());
    assert_grad(&x, &expected);
}

#[test]
fn neg_exp_log_with_non_uniform_upstream() {
    let x = Tensor::from_array(array![0.5f64, 1.0, 2.0]).requires_grad();
    // y = mean(exp(-log x)) = mean(1/x), dy/dx = -1/(3x²)
    let y = (-x.log()).exp().mean_all();
    assert_close(
        &y.to_array(),
        &ndarray::arr0((2.0 + 1.0 + 0.5) / 3.0).into_dyn(),
    );
    y.backward();
    assert_grad(&x, &array![-4.0 / 3.0, -1.0 / 3.0, -1.0 / 12.0].into_dyn());
}

#[test]
fn reshape_moves_gradients_back() {
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad();
    let y = x.reshape(&[3, 2]);
    assert_eq!(
        y.to_array(),
        array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]].into_dyn()
    );
    y.backward_with(array![[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]].into_dyn());
    assert_eq!(
        x.grad().unwrap(),
        array![[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]].into_dyn()
    );
    assert_eq!(x.reshape(&[6]).shape(), vec![6]);
    assert_eq!(x.reshape(&[1, 6, 1]).shape(), vec![1, 6, 1]);
    assert_eq!(Tensor::scalar(3.0f64).reshape(&[1, 1]).shape(), vec![1, 1]);
}

#[test]
fn transpose_moves_gradients_back() {
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad();
    let y = x.transpose();
    assert_eq!(
        y.to_array(),
        array![[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]].into_dyn()
    );
    y.backward_with(array![[10.0, 40.0], [20.0, 50.0], [30.0, 60.0]].into_dyn());
    let grad = x.grad().unwrap();
    assert_eq!(
        grad,
        array![[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]].into_dyn()
    );
    // Gradients are plain row-major arrays, whatever view the op produced.
    assert_eq!(
        grad.as_slice(),
        Some(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0][..])
    );

    // A transposed result reshapes in its own (row-major) order.
    let z = x.transpose().reshape(&[6]);
    assert_eq!(
        z.to_array(),
        array![1.0, 4.0, 2.0, 5.0, 3.0, 6.0].into_dyn()
    );
}

// ---------------------------------------------------------------- softmax

#[test]
fn softmax_rows_sum_to_one() {
    let x = Tensor::from_array(array![
        [1.0f64, 2.0, 3.0],
        [6.0, 4.0, 0.0],
        [-5.0, 0.0, 5.0]
    ]);
    for axis in [0, 1, -1] {
        let p = x.softmax(axis).to_array();
        let sums = p.sum_axis(ndarray::Axis(axis.rem_euclid(2) as usize));
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-12), "{sums}");
        assert!(p.iter().all(|&v| v > 0.0 && v < 1.0));
    }
    // softmax([1, 2, 3]) = e^(x - 3) / Σ e^(x - 3)
    let total = (-2.0f64).exp() + (-1.0f64).exp() + 1.0;
    let expected = array![
        (-2.0f64).exp() / total,
        (-1.0f64).exp() / total,
        1.0 / total
    ];
    assert_close(
        &Tensor::from_array(array![1.0f64, 2.0, 3.0])
            .softmax(0)
            .to_array(),
        &expected.into_dyn(),
    );
}

#[test]
fn softmax_is_stable_for_large_logits() {
    let x = Tensor::from_array(array![[1000.0f64, 1000.0, 0.0], [-1000.0, 0.0, 1000.0]]);
    let p = x.softmax(1).to_array();
    assert_eq!(p, array![[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]].into_dyn());

    let x32 = Tensor::from_array(array![1000.0f32, 1000.0]).requires_grad();
    let p32 = x32.softmax(0);
    assert_eq!(p32.to_array(), array![0.5f32, 0.5].into_dyn());
    p32.backward_with(array![1.0f32, 0.0].into_dyn());
    // dp₀/dx = p₀(δ - p) = [0.25, -0.25]
    assert_eq!(x32.grad().unwrap(), array![0.25f32, -0.25].into_dyn());
}

#[test]
fn log_softmax_equals_log_of_softmax_and_is_finite() {
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [6.0, 4.0, 0.0]]);
    for axis in [0, 1, -2] {
        let log_p = x.log_softmax(axis).to_array();
        let p = x.softmax(axis).log().to_array();
        assert_close(&log_p, &p);
    }

    let big = Tensor::from_array(array![[1000.0f64, 0.0, -1000.0]]).requires_grad();
    let log_p = big.log_softmax(1);
    assert_eq!(log_p.to_array(), array![[0.0, -1000.0, -2000.0]].into_dyn());
    // The naive form overflows: log(softmax) gives -inf where log_softmax stays finite.
    assert!(
        big.softmax(1)
            .log()
            .to_array()
            .iter()
            .any(|v| v.is_infinite())
    );
    log_p.backward_with(array![[0.0, 1.0, 0.0]].into_dyn());
    // d log pⱼ/dx = δⱼ - p = [0, 1, 0] - [1, 0, 0]
    assert_eq!(big.grad().unwrap(), array![[-1.0, 1.0, 0.0]].into_dyn());
}
