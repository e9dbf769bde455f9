//! One backward step at a time (`apply_grad_fn`, the original's `out.grad_fn(upstream)`), gradients
//! kept on intermediate results (`try_backward_retaining_grads`), the check that recorded
//! shapes still fit, and `set_grad_enabled`.

use ferrograd::{Tensor, TensorError, is_grad_enabled, set_grad_enabled};
use ndarray::{ArrayD, array};

fn operands() -> (Tensor<f64>, Tensor<f64>) {
    (
        Tensor::from_array(array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad(),
        Tensor::from_array(array![[8.0, 2.0, 5.0]]).requires_grad(),
    )
}

fn upstream() -> ArrayD<f64> {
    array![[1.0, 4.0, 7.0], [2.0, 1.0, 6.0]].into_dyn()
}

#[test]
fn grad_fn_of_the_worked_examples() {
    // a + b: da = g, db = g summed over the rows b was broadcast along.
    let (a, b) = operands();
    a.add(&b).apply_grad_fn(upstream());
    assert_eq!(a.grad().unwrap(), upstream());
    assert_eq!(b.grad().unwrap(), array![[3.0, 5.0, 13.0]].into_dyn());
    // a - b: db = -Σ g.
    let (a, b) = operands();
    a.sub(&b).apply_grad_fn(upstream());
    assert_eq!(b.grad().unwrap(), array![[-3.0, -5.0, -13.0]].into_dyn());
    // a / b: da = g/b, db = -Σ g·a/b².
    let (a, b) = operands();
    a.div(&b).apply_grad_fn(upstream());
    assert_eq!(
        a.grad().unwrap(),
        array![[0.125, 2.0, 1.4], [0.25, 0.5, 1.2]].into_dyn()
    );
    assert_eq!(
        b.grad().unwrap(),
        array![[-9.0 / 64.0, -13.0 / 4.0, -57.0 / 25.0]].into_dyn()
    );
    // max over axis 1 with upstream [1, 2]: to each row's maximum.
    let x = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [6.0, 4.0, 0.0]]).requires_grad();
    x.max(Some(1), false)
        .apply_grad_fn(array![1.0, 2.0].into_dyn());
    assert_eq!(
        x.grad().unwrap(),
        array![[0.0, 0.0, 1.0], [2.0, 0.0, 0.0]].into_dyn()
    );
}

#[test]
fn grad_fn_gives_nothing_to_inputs_that_need_no_grad() {
    let (a, _) = operands();
    let constant = Tensor::from_array(array![[8.0, 2.0, 5.0]]);
    a.mul(&constant).apply_grad_fn(upstream());
    assert_eq!(
        a.grad().unwrap(),
        array![[8.0, 8.0, 35.0], [16.0, 2.0, 30.0]].into_dyn()
    );
    assert!(constant.grad().is_none());
}

#[test]
fn grad_fn_errors() {
    let (a, b) = operands();
    assert_eq!(a.try_apply_grad_fn(upstream()), Err(TensorError::NoGradFn));
    let error = a
        .add(&b)
        .try_apply_grad_fn(ArrayD::zeros(vec![3]))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "grad_fn: gradient of shape [3] does not fit a tensor of shape [2, 3]"
    );
}

#[test]
fn backward_retaining_grads_keeps_every_intermediate_gradient() {
    // s = 1 / (1 + e^-x): ds/dd = -1/d², d = 1 + e, e = e^n, n = -x.
    let x = Tensor::from_array(array![[1.0f64, 2.0], [-3.0, 0.5]]).requires_grad();
    let n = -1.0 * &x;
    let e = n.exp();
    let d = 1.0 + &e;
    let s = 1.0 / &d;
    s.try_backward_retaining_grads().unwrap();
    let d_values = d.to_array();
    let dd = d_values.mapv(|v| -1.0 / (v * v));
    assert_eq!(s.grad().unwrap(), ArrayD::<f64>::ones(vec![2, 2]));
    assert_eq!(d.grad().unwrap(), dd);
    assert_eq!(e.grad().unwrap(), dd);
    assert_eq!(n.grad().unwrap(), &dd * &e.to_array());
    let sigma = s.to_array();
    let expected = &sigma * &(1.0 - &sigma);
    let grad = x.grad().unwrap();
    assert!(
        grad.iter()
            .zip(&expected)
            .all(|(g, e)| (g - e).abs() < 1e-15)
    );
}

#[test]
fn retained_gradients_share_buffers_yet_each_tensor_keeps_its_own() {
    // `x` reaches `a` twice, `a` reaches `c` twice (through `b` and directly), and the additions
    // pass one gradient on to both inputs: the walk's shared buffers meet at every node.
    let x = Tensor::from_array(array![[0.5f64, -1.0], [2.0, 0.25]]).requires_grad();
    let a = &x + &x;
    let b = a.exp();
    let c = &b + &a;
    let loss = (&c * &c).sum_all();
    let grads = || [&x, &a, &b, &c].map(|t| t.grad().unwrap());
    loss.try_backward_retaining_grads().unwrap();
    let first = grads();
    let dc = c.to_array() * 2.0;
    assert_eq!(first[3], dc);
    assert_eq!(first[2], dc);
    assert_eq!(first[1], &dc * &b.to_array() + &dc);
    assert_eq!(first[0], &first[1] + &first[1]);
    // A second pass adds the same again into each tensor's gradient, and into nothing else's.
    loss.try_backward_retaining_grads().unwrap();
    for (twice, once) in grads().iter().zip(&first) {
        assert_eq!(twice, &(once * 2.0));
    }
    // So does a plain pass into the leaf, and writing one gradient leaves the others as they were.
    c.set_grad(None).unwrap();
    loss.try_backward().unwrap();
    assert_eq!(x.grad().unwrap(), &first[0] * 3.0);
    assert_eq!(b.grad().unwrap(), &first[2] * 2.0);
    assert_eq!(c.grad(), None);
}

#[test]
fn a_retained_gradient_lent_out_is_its_own_tensors_alone() {
    // `c = b + a` passes one gradient buffer unchanged to `b`: the two keep it shared until one is
    // lent out, which then gets a buffer of its own (the same one each time it is lent again).
    let a = Tensor::from_array(array![1.0f64, 2.0]).requires_grad();
    let b = a.exp();
    let c = &b + &a;
    (&c * &c).sum_all().try_backward_retaining_grads().unwrap();
    let (b_grad, c_grad) = (b.shared_grad().unwrap(), c.shared_grad().unwrap());
    assert_ne!(b_grad.as_ptr(), c_grad.as_ptr());
    assert_eq!(b_grad, c_grad);
    assert_eq!(b.shared_grad().unwrap().as_ptr(), b_grad.as_ptr());
    assert_eq!(c.shared_grad().unwrap().as_ptr(), c_grad.as_ptr());
}

#[test]
fn plain_backward_keeps_only_leaves_gradients_and_gives_the_same_ones() {
    let run = |retain: bool| {
        let (a, b) = operands();
        let product = a.mul(&b);
        let loss = product.exp().mul(&b).sum(Some(0), false).sum_all();
        if retain {
            loss.try_backward_retaining_grads().unwrap();
        } else {
            loss.try_backward().unwrap();
        }
        (a.grad(), b.grad(), product.grad())
    };
    let (kept, plain) = (run(true), run(false));
    assert_eq!((&kept.0, &kept.1), (&plain.0, &plain.1));
    assert!(kept.2.is_some() && plain.2.is_none());
}

#[test]
fn a_recorded_operation_whose_shapes_changed_is_an_error_not_a_panic() {
    let (a, b) = operands();
    let out = a.matmul(&b.reshape(&[3, 1]));
    *a.data_mut() = ArrayD::ones(vec![2, 4]).into_shared();
    let error = out.try_backward().unwrap_err();
    assert!(
        matches!(&error, TensorError::ShapeChanged { op: "<MatmulBackward>", inputs, output }
            if inputs == &[vec![2, 4], vec![3, 1]] && output == &[2, 1]),
        "{error:?}"
    );
    assert!(error.to_string().starts_with(
        "<MatmulBackward>: its inputs now have shapes [[2, 4], [3, 1]] and its output [2, 1]"
    ));
    assert!(matches!(
        out.try_apply_grad_fn(ArrayD::ones(vec![2, 1])),
        Err(TensorError::ShapeChanged { .. })
    ));
    for (kind, x) in [
        ("sum", Tensor::<f64>::ones(&[2, 3]).requires_grad()),
        ("tanh", Tensor::<f64>::ones(&[2, 3]).requires_grad()),
    ] {
        let y = if kind == "sum" {
            x.sum(Some(1), true)
        } else {
            x.tanh()
        };
        *x.data_mut() = ArrayD::ones(vec![4]).into_shared();
        assert!(
            matches!(y.try_backward(), Err(TensorError::ShapeChanged { .. })),
            "{kind}"
        );
    }
}

#[test]
fn set_grad_enabled_switches_recording_and_returns_the_old_state() {
    let w = Tensor::<f32>::ones(&[2]).requires_grad();
    assert!(set_grad_enabled(false));
    assert!(!(&w * 2.0).needs_grad());
    assert!(!set_grad_enabled(false));
    assert!(!set_grad_enabled(true));
    assert!(is_grad_enabled() && (&w * 2.0).needs_grad());
}
