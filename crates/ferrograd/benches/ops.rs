//! Criterion benchmarks of each operation (being written).

use criterion::{Criterion, criterion_group, criterion_main};

fn ops(_c: &mut Criterion) {}

criterion_group!(benches, ops);
criterion_main!(benches);
