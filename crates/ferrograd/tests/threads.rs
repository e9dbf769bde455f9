//! Splitting matrix products over threads changes the speed, never the numbers: training on 1, 2
//! and 3 threads gives the same parameters bit for bit, for matrix products of any shape.
//!
//! The thread count is process-wide, so this file holds a single test.

use ferrograd::nn::{Activation, Mlp, Module, cross_entropy};
use ferrograd::optim::{Optimizer, Sgd};
use ferrograd::{Element, Tensor, set_num_threads};
use ndarray::{Array2, ArrayD};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The recipe's network after `steps` SGD steps on seeded random batches, with the product of
/// every layer split over `threads` threads.
fn trained_parameters(threads: usize, steps: usize) -> Vec<ArrayD<f32>> {
    set_num_threads(threads);
    let model = Mlp::<f32>::new(&[784, 256, 256, 10], Activation::Tanh, 7);
    let mut sgd = Sgd::new(model.parameters(), 0.1);
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..steps {
        let x = Array2::from_shape_fn((32, 784), |_| rng.random_range(0.0f32..1.0));
        let labels: Vec<usize> = (0..32).map(|_| rng.random_range(0..10)).collect();
        let loss = cross_entropy(&model.forward(&Tensor::from_array(x)), &labels);
        sgd.zero_grad();
        loss.backward();
        sgd.step();
    }
    model.parameters().iter().map(Tensor::to_array).collect()
}

/// `a·b` and both gradients, for `a` stored transposed when `transposed`.
fn product_and_gradients<T: Element>(
    a: &Array2<T>,
    b: &Array2<T>,
    transposed: bool,
    threads: usize,
) -> [ArrayD<T>; 3] {
    set_num_threads(threads);
    let a = if transposed {
        Tensor::from_array(a.t().to_owned()).requires_grad()
    } else {
        Tensor::from_array(a.clone()).requires_grad()
    };
    let lhs = if transposed { a.transpose() } else { a.clone() };
    let b = Tensor::from_array(b.clone()).requires_grad();
    let c = lhs.matmul(&b);
    (&c * &c).sum(None, false).backward();
    [c.to_array(), a.grad().unwrap(), b.grad().unwrap()]
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let one = trained_parameters(1, 5);
    assert_eq!(one, trained_parameters(2, 5), "2 threads");
    assert_eq!(one, trained_parameters(3, 5), "3 threads");

    let shapes = (
        1usize..300,
        1usize..100,
        1usize..300,
        any::<bool>(),
        any::<u64>(),
    );
    let mut runner = TestRunner::new(Config::with_cases(48));
    runner
        .run(&shapes, |(m, k, n, transposed, seed)| {
            let mut rng = StdRng::seed_from_u64(seed);
            let a = Array2::from_shape_fn((m, k), |_| rng.random_range(-1.0f64..1.0));
            let b = Array2::from_shape_fn((k, n), |_| rng.random_range(-1.0f64..1.0));
            let (a32, b32) = (a.mapv(|x| x as f32), b.mapv(|x| x as f32));
            let serial = product_and_gradients(&a, &b, transposed, 1);
            let serial32 = product_and_gradients(&a32, &b32, transposed, 1);
            for threads in [2, 4] {
                let split = product_and_gradients(&a, &b, transposed, threads);
                prop_assert_eq!(
                    &serial,
                    &split,
                    "f64 {}x{}x{} on {} threads",
                    m,
                    k,
                    n,
                    threads
                );
                let split = product_and_gradients(&a32, &b32, transposed, threads);
                prop_assert_eq!(
                    &serial32,
                    &split,
                    "f32 {}x{}x{} on {} threads",
                    m,
                    k,
                    n,
                    threads
                );
            }
            Ok(())
        })
        .unwrap();
}
