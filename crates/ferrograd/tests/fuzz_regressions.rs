//! Inputs the coverage-guided fuzzers of `fuzz/` found to break a rule, each checked by the
//! same rules as there (`oracles/mod.rs`) on every `cargo test`. The fuzz targets and how to
//! run them: README, "Fuzzing". The bytes of a `shapes` input spell a program: see
//! `oracles::check_shapes_of` and the seeds in `fuzz/make_seeds.py`.

mod common;
mod oracles;

use common::{Counting, TempDir};
use oracles::{IdxOracle, check_model, check_shapes};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ------------------------------------------------------------------ found by the fuzzers

/// `shapes`, crash: `[2, 3]` reshaped to five sizes of `usize::MAX`. `try_reshape` multiplied
/// the sizes unchecked: a debug build panicked with "attempt to multiply with overflow"; a
/// release build wrapped, and then a wrapped product equal to the element count passed the
/// check (ndarray refused the shape after it). Now [`TensorError::TooLarge`].
#[test]
fn reshape_to_sizes_whose_product_overflows_is_an_error() {
    let program = [
        2, 2, 3, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    check_shapes(&program);
}

/// `shapes`, out of memory: a `[4294967296, 0]` tensor (no elements) plus a scalar, then
/// `backward`. The scalar's gradient, summed back from the empty `[4294967296, 0]` one axis
/// at a time, became 2³² zeros (16 GiB) after its last axis was summed. Now an empty gradient
/// sums to zeros of the operand's shape at once; the rules limit the program's heap to
/// `oracles::SHAPES_HEAP`, so the old code aborts at that allocation.
#[test]
fn an_empty_gradient_summed_to_a_small_operand_allocates_nothing_large() {
    let program = [2, 0, 0xfa, 0, 0x82, 0xff, 0, 0x82, 0xfa, 0x2f];
    check_shapes(&program);
}

/// `shapes`, slow unit (25 s in the fuzz build, 5 ms now): a `[1048576, 0]` tensor divided by
/// a `[4, 5, 4, 1, 1]` one, then `backward`. The result has no elements, but ndarray's
/// broadcasting arithmetic walked each of its 80 million empty rows, forward and in the
/// derivatives, and the divisor's gradient, summed back one axis at a time, became 80 million
/// zeros (320 MiB, past the rules' heap limit: the old code aborts there). Now an empty result,
/// and an empty gradient, is made as zeros at once. Then the same with `1 << 40` for `1 << 20`:
/// 8.8·10¹³ empty rows, which the old forward pass would walk for days, so a regression there
/// shows as a test that does not finish.
#[test]
fn arithmetic_on_empty_tensors_does_not_walk_their_empty_rows() {
    let found = [
        2, 0, 0xf6, 0x7e, 1, 0xf5, 3, 0x2f, 4, 0x2f, 4, 1, 1, 2, 0, 2, 4, 4, 0xff, 0xff, 2, 0x88,
        3, 0, 1, 1,
    ];
    check_shapes(&found);
    let mut larger = found;
    larger[2] = 0xfb;
    check_shapes(&larger);
}

// ------------------------------------------------------------------ the rules themselves

/// A valid program of the `shapes` target, so that the rules are exercised on success paths
/// too (the seeds of `fuzz/make_seeds.py` hold more).
#[test]
fn a_valid_shape_program_passes_the_rules() {
    // [2, 3] reshaped to [3, 2], transposed, plus a [3] row (broadcast), then backward.
    let program = [2, 2, 3, 0, 0, 2, 3, 2, 1, 2, 0, 1, 3, 0];
    assert_eq!(check_shapes(&program), 3, "operations that succeeded");
}

#[test]
fn a_valid_idx_file_passes_the_rules() {
    let oracle = IdxOracle::new();
    let images = std::fs::read(&oracle.images).unwrap();
    oracle.check("images", &images);
}

#[test]
fn an_empty_model_file_passes_the_rules() {
    check_model(&TempDir::new(), b"");
}
