//! Data and gradients live in reference-counted, copy-on-write buffers (`ArcArray`): a handle
//! from `shared_data` or `shared_grad` shares the tensor's buffer without a copy, stays valid
//! whatever happens to the tensor, and keeps its values when the tensor's buffer is written.

use ferrograd::Tensor;
use ferrograd::optim::{Optimizer, Sgd};
use ndarray::{ArrayD, array};

#[test]
fn shared_data_is_the_tensors_buffer_not_a_copy() {
    let t = Tensor::from_array(array![[1.0f64, 2.0], [3.0, 4.0]]);
    let shared = t.shared_data();
    assert_eq!(shared.as_ptr(), t.data().as_ptr());
    assert_eq!(shared, t.to_array());
    let from_shared = Tensor::from_shared(shared.clone());
    assert_eq!(from_shared.data().as_ptr(), shared.as_ptr());
}

#[test]
fn writing_the_tensor_copies_the_buffer_and_leaves_the_handle_as_it_was() {
    let t = Tensor::from_array(array![1.0f64, 2.0, 3.0]);
    let shared = t.shared_data();
    t.data_mut()[1] = 20.0;
    assert_eq!(shared, array![1.0, 2.0, 3.0].into_dyn());
    assert_eq!(t.to_array(), array![1.0, 20.0, 3.0].into_dyn());
    assert_ne!(shared.as_ptr(), t.data().as_ptr());
    drop(shared);
    // Unique again: writes go to the tensor's buffer in place.
    let before = t.data().as_ptr();
    t.data_mut()[0] = 10.0;
    assert_eq!(t.data().as_ptr(), before);
}

#[test]
fn a_handle_outlives_replacing_the_data_and_dropping_the_graph() {
    let a = Tensor::from_array(array![[2.0f64, 3.0]]).requires_grad();
    let out = (&a * &a).sum_all();
    let (data, result) = (a.shared_data(), out.shared_data());
    *a.data_mut() = ArrayD::zeros(vec![5, 5]).into_shared();
    assert_eq!(a.shape(), [5, 5]);
    drop((a, out));
    assert_eq!(data, array![[2.0, 3.0]].into_dyn());
    assert_eq!(result[[]], 13.0);
}

#[test]
fn a_gradient_handle_keeps_its_values_across_later_backward_passes() {
    let w = Tensor::from_array(array![[1.0f64, 2.0], [3.0, 4.0]]).requires_grad();
    let x = Tensor::from_array(array![[1.0, 1.0]]);
    x.matmul(&w).sum_all().backward(); // d/dw = xᵀ·1 = ones
    let first = w.shared_grad().unwrap();
    assert_eq!(first, ArrayD::<f64>::ones(vec![2, 2]));
    w.zero_grad();
    (x.matmul(&w).sum_all() * 3.0).backward(); // written straight into the buffer by GEMM
    assert_eq!(first, ArrayD::<f64>::ones(vec![2, 2]));
    assert_eq!(w.grad().unwrap(), ArrayD::from_elem(vec![2, 2], 3.0));
}

#[test]
fn an_optimizer_step_does_not_touch_a_handle_to_the_old_parameter() {
    let p = Tensor::from_array(array![1.0f64, -2.0]).requires_grad();
    let mut sgd = Sgd::new(vec![p.clone()], 0.5);
    (&p * &p).sum_all().backward(); // g = 2p
    let old = p.shared_data();
    sgd.step();
    assert_eq!(old, array![1.0, -2.0].into_dyn());
    assert_eq!(p.to_array(), array![0.0, 0.0].into_dyn());
}

#[test]
fn set_grad_replaces_the_gradient_and_checks_its_shape() {
    let x = Tensor::<f32>::ones(&[2, 3]).requires_grad();
    x.set_grad(Some(ArrayD::from_elem(vec![2, 3], 1.0)))
        .unwrap();
    (&x * 2.0).sum_all().backward();
    assert_eq!(x.grad().unwrap(), ArrayD::from_elem(vec![2, 3], 3.0));
    let error = x.set_grad(Some(ArrayD::zeros(vec![3]))).unwrap_err();
    assert_eq!(
        error.to_string(),
        "set_grad: gradient of shape [3] does not fit a tensor of shape [2, 3]"
    );
    x.set_grad(None).unwrap();
    assert!(x.grad().is_none());
}

#[test]
fn a_gradient_of_an_old_shape_is_replaced_not_added_to() {
    let x = Tensor::from_array(array![1.0f64, 2.0]).requires_grad();
    (&x * 2.0).sum_all().backward();
    *x.data_mut() = array![[1.0, 1.0, 1.0]].into_dyn().into_shared();
    (&x * 5.0).sum_all().backward();
    assert_eq!(x.grad().unwrap(), array![[5.0, 5.0, 5.0]].into_dyn());
}
