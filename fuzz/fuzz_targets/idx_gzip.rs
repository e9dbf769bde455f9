//! The IDX reader on a gzip file. The first byte chooses what the rest is: even, the `.gz` file
//! itself (the gzip framing and deflate stream under mutation); odd, an IDX file that is
//! compressed here and then cut at the length the next two bytes give (the IDX parser behind a
//! valid stream, and streams that end early).
#![no_main]

use std::io::Write;

use ferrograd_fuzz::oracles::IdxOracle;
use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static ORACLE: IdxOracle = IdxOracle::new();
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    ORACLE.with(|oracle| {
        if mode % 2 == 0 {
            oracle.check("fuzz-idx.gz", rest);
        } else if let Some((cut, idx)) = rest.split_first_chunk::<2>() {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder.write_all(idx).unwrap();
            let mut gz = encoder.finish().unwrap();
            gz.truncate(usize::from(u16::from_le_bytes(*cut)));
            oracle.check("fuzz-idx.gz", &gz);
        }
    });
});
