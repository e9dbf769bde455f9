//! The IDX reader on a raw file: the input is the file, loaded as images (beside a valid labels
//! file) and as labels (beside a valid images file).
#![no_main]

use ferrograd_fuzz::oracles::IdxOracle;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static ORACLE: IdxOracle = IdxOracle::new();
}

fuzz_target!(|data: &[u8]| {
    ORACLE.with(|oracle| oracle.check("fuzz-idx", data));
});
