//! The safetensors checkpoint loader: the input is the file, loaded into a fixed MLP
//! (`ferrograd::nn::load`) and as an `f32` and an `f64` MLP of the sizes it gives
//! (`Mlp::from_safetensors`).
#![no_main]

use ferrograd_fuzz::common::TempDir;
use ferrograd_fuzz::oracles::check_model;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static DIR: TempDir = TempDir::new();
}

fuzz_target!(|data: &[u8]| {
    DIR.with(|dir| check_model(dir, data));
});
