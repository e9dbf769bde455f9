//! What the fuzz targets share: the rules every input is checked by, which are the integration
//! tests' own (`crates/ferrograd/tests/oracles`, with its helpers in `tests/common`), and the
//! counting allocator those rules measure heap use with.

#[path = "../../crates/ferrograd/tests/common/mod.rs"]
pub mod common;
#[path = "../../crates/ferrograd/tests/oracles/mod.rs"]
pub mod oracles;

#[global_allocator]
static ALLOCATOR: common::Counting = common::Counting;
