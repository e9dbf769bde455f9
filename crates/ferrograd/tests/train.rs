//! Tests of `ferrograd::train`: the step in two halves, the gradients as one buffer, and the
//! shares of a batch that data-parallel processes train on.

mod common;

use common::idx_header;
use ferrograd::Tensor;
use ferrograd::data::Dataset;
use ferrograd::nn::{Activation, Mlp, Module};
use ferrograd::optim::{Optimizer, Sgd};
use ferrograd::train::{Learner, gradients_len, read_gradients, recipe, write_gradients};

/// `n` 2×2 images whose label is the brightest pixel.
fn dataset(n: usize) -> Dataset {
    let mut images = idx_header(0x803, &[n as u32, 2, 2]);
    let mut labels = idx_header(0x801, &[n as u32]);
    for i in 0..n {
        let label = (i * 3) % 4;
        let mut image = [(i * 37 % 100) as u8; 4];
        image[label] = 255;
        images.extend(image);
        labels.push(label as u8);
    }
    Dataset::from_idx_bytes("images", &images, "labels", &labels, 4).expect("valid IDX")
}

fn learner(seed: u64) -> Learner<Mlp<f32>, Sgd<f32>> {
    let model = Mlp::new(&[4, 6, 4], Activation::Tanh, seed);
    let sgd = Sgd::new(model.parameters(), 0.5);
    Learner::new(model, sgd)
}

fn weights(learner: &Learner<Mlp<f32>, Sgd<f32>>) -> Vec<Vec<f32>> {
    let parameters = learner.model().parameters();
    parameters
        .iter()
        .map(|p| p.data().iter().copied().collect())
        .collect()
}

#[test]
fn a_step_is_the_two_halves_and_the_loss_falls() {
    let data = dataset(64);
    let (mut whole, mut halves) = (learner(1), learner(1));
    let (x, mut labels) = (Tensor::<f32>::zeros(&[0, 0]), Vec::new());
    let mut losses = Vec::new();
    for epoch in 1..=20 {
        let mut batches = data.batches::<f32>(16, Some(epoch)).drop_last(true);
        while batches.next_into_tensor(&x, &mut labels) {
            let before = weights(&halves);
            let loss = halves.compute_gradients(&x, &labels);
            assert_eq!(
                weights(&halves),
                before,
                "computing gradients changes no weight"
            );
            halves.apply_update();
            assert_eq!(whole.step(&x, &labels), loss);
            losses.push(loss);
        }
    }
    assert_eq!(weights(&whole), weights(&halves));
    assert!(losses[losses.len() - 1] < losses[0] / 4.0, "{losses:?}");
}

#[test]
fn gradients_go_through_one_buffer_in_the_parameters_order() {
    let mut learner = learner(2);
    let x = Tensor::from_array(ndarray::array![
        [1.0f32, 0.0, 0.5, 0.25],
        [0.0, 1.0, 0.0, 0.0]
    ]);
    learner.compute_gradients(&x, &[0, 1]);
    let parameters = learner.parameters().to_vec();
    assert_eq!(gradients_len(&parameters), 4 * 6 + 6 + 6 * 4 + 4);
    let expected: Vec<f32> = parameters
        .iter()
        .flat_map(|p| {
            p.grad()
                .unwrap()
                .iter()
                .map(|g| g * 0.25)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut buffer = vec![f32::NAN; gradients_len(&parameters)];
    read_gradients(&parameters, &mut buffer, 0.25);
    assert_eq!(buffer, expected);

    // Written back, the buffer is what the update uses.
    let doubled: Vec<f32> = buffer.iter().map(|g| g * 8.0).collect();
    write_gradients(&parameters, &doubled);
    let mut read_back = vec![0.0; buffer.len()];
    read_gradients(&parameters, &mut read_back, 1.0);
    assert_eq!(read_back, doubled);
    let before = parameters[0].to_array();
    learner.apply_update();
    let moved = &before - &parameters[0].to_array();
    let first = &doubled[..parameters[0].len()];
    for (m, g) in moved.iter().zip(first) {
        assert!((m - 0.5 * g).abs() <= 1e-6 * (1.0 + g.abs()), "{m} vs {g}");
    }
}

#[test]
fn written_gradients_do_not_reach_a_tensor_that_shared_the_buffer() {
    let a = Tensor::<f32>::ones(&[3]).requires_grad();
    (&a * 2.0).sum_all().backward();
    let lent = a.shared_grad().unwrap();
    write_gradients(std::slice::from_ref(&a), &[7.0, 8.0, 9.0]);
    assert_eq!(lent.iter().copied().collect::<Vec<_>>(), [2.0, 2.0, 2.0]);
    assert_eq!(
        a.grad().unwrap().into_raw_vec_and_offset().0,
        [7.0, 8.0, 9.0]
    );
}

#[test]
#[should_panic(expected = "read_gradients: a buffer of 3 elements for gradients of 2")]
fn a_buffer_of_the_wrong_length_is_refused() {
    let a = Tensor::<f32>::ones(&[2]).requires_grad();
    read_gradients(&[a], &mut [0.0; 3], 1.0);
}

#[test]
fn shares_of_a_batch_make_the_batch() {
    let data = dataset(50);
    for count in [1, 2, 3, 7] {
        let whole: Vec<_> = data.batches::<f32>(10, Some(3)).collect();
        let shares: Vec<Vec<_>> = (0..count)
            .map(|i| data.batches::<f32>(10, Some(3)).share(i, count).collect())
            .collect();
        for (b, batch) in whole.iter().enumerate() {
            let labels: Vec<usize> = shares.iter().flat_map(|s| s[b].labels.clone()).collect();
            assert_eq!(labels, batch.labels, "{count} shares");
            let rows: Vec<f32> = shares
                .iter()
                .flat_map(|s| s[b].images.iter().copied().collect::<Vec<_>>())
                .collect();
            assert_eq!(rows, batch.images.iter().copied().collect::<Vec<_>>());
            let sizes: Vec<usize> = shares.iter().map(|s| s[b].labels.len()).collect();
            assert!(
                sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
                "{sizes:?}"
            );
        }
    }
}

/// Two processes, each computing the gradients of its half of every batch, then summing the
/// halves' gradients (each weighted by its share) and applying the same update, train as one
/// process on the whole batches, up to rounding.
#[test]
fn halves_of_each_batch_summed_train_as_the_whole_batch() {
    let data = dataset(64);
    let mut one = learner(5);
    let mut ranks = [learner(5), learner(5)];
    let x = Tensor::<f32>::zeros(&[0, 0]);
    let mut labels = Vec::new();
    let len = gradients_len(one.parameters());
    for epoch in 1..=5 {
        let mut whole = data.batches::<f32>(16, Some(epoch)).drop_last(true);
        while whole.next_into_tensor(&x, &mut labels) {
            one.step(&x, &labels);
        }
        let mut sum = vec![0.0; len];
        let mut shares: Vec<_> = (0..2)
            .map(|r| {
                data.batches::<f32>(16, Some(epoch))
                    .drop_last(true)
                    .share(r, 2)
            })
            .collect();
        loop {
            sum.fill(0.0);
            let mut buffer = vec![0.0; len];
            let mut more = false;
            for (rank, share) in ranks.iter_mut().zip(&mut shares) {
                more = share.next_into_tensor(&x, &mut labels);
                if !more {
                    break;
                }
                rank.compute_gradients(&x, &labels);
                read_gradients(rank.parameters(), &mut buffer, labels.len() as f32 / 16.0);
                sum.iter_mut().zip(&buffer).for_each(|(s, g)| *s += g);
            }
            if !more {
                break;
            }
            for rank in &mut ranks {
                write_gradients(rank.parameters(), &sum);
                rank.apply_update();
            }
        }
    }
    assert_eq!(
        weights(&ranks[0]),
        weights(&ranks[1]),
        "the ranks hold the same bits"
    );
    for (a, b) in weights(&one)
        .iter()
        .flatten()
        .zip(weights(&ranks[0]).iter().flatten())
    {
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
    }
}

#[test]
fn the_recipe_is_the_original_assignment() {
    assert_eq!(recipe::SIZES, [784, 256, 256, 10]);
    assert_eq!(
        (recipe::BATCH_SIZE, recipe::LEARNING_RATE, recipe::EPOCHS),
        (32, 0.1, 5)
    );
    assert_eq!(recipe::ACTIVATION, Activation::Tanh);
}

#[test]
fn a_boxed_optimizer_is_an_optimizer() {
    let model = Mlp::<f32>::new(&[4, 4], Activation::Tanh, 0);
    let boxed: Box<dyn Optimizer> = Box::new(Sgd::new(model.parameters(), 0.1));
    let mut learner = Learner::new(model, boxed);
    let x = Tensor::from_array(ndarray::array![[1.0f32, 0.0, 0.0, 0.0]]);
    let first = learner.step(&x, &[2]);
    assert!(learner.step(&x, &[2]) < first);
}
