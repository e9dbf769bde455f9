//! `Tensor::from_vec` and the shape operations: the input spells a tensor of any shape, then
//! reshapes, transposes and broadcasting arithmetic with other tensors, then a backward pass
//! (see `oracles::check_shapes_of`).
#![no_main]

use ferrograd_fuzz::oracles::check_shapes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_shapes(data);
});
