//! A leaf's gradient buffer: accumulation across uses and passes, and `zero_grad`, including the
//! path where a matrix product writes its weight gradient straight into the buffer.

use ferrograd::Tensor;
use ndarray::{ArrayD, array};

fn weight_grad_after(passes: usize, zero_first: bool, w: &Tensor<f64>) -> ArrayD<f64> {
    let x = Tensor::from_array(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]);
    if zero_first {
        w.zero_grad();
    }
    for _ in 0..passes {
        // w is used by two products: dL/dw = 2·xᵀ·1 = 2·[[9, 9], [12, 12]]
        let loss = x.matmul(w).sum(None, false) + x.matmul(w).sum(None, false);
        loss.backward();
    }
    w.grad().unwrap()
}

#[test]
fn matmul_weight_gradients_sum_over_uses_and_passes_until_zero_grad() {
    let w = Tensor::from_array(array![[0.5, -1.0], [2.0, 0.0]]).requires_grad();
    let once = array![[18.0, 18.0], [24.0, 24.0]].into_dyn();
    assert_eq!(weight_grad_after(1, false, &w), once);
    assert_eq!(weight_grad_after(1, false, &w), &once * 2.0);
    w.zero_grad();
    assert_eq!(w.grad().unwrap(), ArrayD::<f64>::zeros(vec![2, 2]));
    assert_eq!(*w.grad_ref().unwrap(), ArrayD::<f64>::zeros(vec![2, 2]));
    assert_eq!(weight_grad_after(1, true, &w), once);
    assert_eq!(weight_grad_after(2, true, &w), &once * 2.0);
}

#[test]
fn a_leaf_on_both_sides_of_a_product_gets_both_gradients() {
    // L = Σ (x·x) for x 2×2: dL/dx = 1·xᵀ + xᵀ·1
    let x = Tensor::from_array(array![[1.0, 2.0], [3.0, 4.0]]).requires_grad();
    x.matmul(&x).sum(None, false).backward();
    // 1·xᵀ = [[3, 7], [3, 7]], xᵀ·1 = [[4, 4], [6, 6]]
    assert_eq!(
        x.grad().unwrap(),
        array![[7.0, 11.0], [9.0, 13.0]].into_dyn()
    );
}

#[test]
fn zero_grad_then_elementwise_gradient_overwrites_the_buffer() {
    let x = Tensor::from_array(array![1.0f32, 2.0]).requires_grad();
    (&x * 3.0).sum(None, false).backward();
    (&x * 3.0).sum(None, false).backward();
    assert_eq!(x.grad().unwrap(), array![6.0f32, 6.0].into_dyn());
    x.zero_grad();
    (&x * 5.0).sum(None, false).backward();
    assert_eq!(x.grad().unwrap(), array![5.0f32, 5.0].into_dyn());
}
