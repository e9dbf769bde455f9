//! Dropping a graph frees it: after the last handle to a graph is dropped, the thread holds
//! exactly the tensors ([`live_tensors`]) and the bytes it held before. Bytes are counted per
//! thread by a wrapping global allocator, so arrays leaked outside a node are caught too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ferrograd::{Tensor, live_tensors};
use ndarray::{ArrayD, IxDyn};

thread_local! {
    /// Bytes allocated and not yet freed by this thread (graphs live on one thread).
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: allocations during thread teardown are not counted.
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; only a counter is updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: our caller's promises about `layout` (`GlobalAlloc::alloc`) are `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: every block came from `System`, as this allocator forwards all of them to it;
        // our caller promises that `ptr` is live and was allocated with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: as for `dealloc`, and our caller promises a valid `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live_bytes() -> isize {
    LIVE.with(Cell::get)
}

fn leaf(len: usize) -> Tensor<f64> {
    Tensor::from_array(ArrayD::from_elem(IxDyn(&[len]), 0.5)).requires_grad()
}

#[test]
fn dropping_the_root_frees_the_graph_but_not_the_leaves() {
    let x = leaf(10_000);
    let w = leaf(10_000);
    // A first pass allocates the leaves' gradient buffers, which stay with the leaves.
    (&x * &w).sum_all().backward();
    let before = live_bytes();

    let y = ((&x * &w).exp() + 1.0).tanh().mean_all();
    y.backward();
    assert!(
        live_bytes() > before + 4 * 80_000,
        "the graph holds four 10,000-element arrays"
    );
    drop(y);
    assert_eq!(
        live_bytes(),
        before,
        "bytes still held after dropping the graph"
    );

    // Gradients accumulated into the leaves' existing buffers.
    assert_eq!(x.grad().unwrap().len(), 10_000);
}

#[test]
fn an_intermediate_handle_keeps_its_part_of_the_graph() {
    let x = leaf(10_000);
    let (before, tensors) = (live_bytes(), live_tensors());
    let h = &x * 2.0;
    let after_h = live_bytes();
    let y = h.exp().sum_all();
    drop(y);
    assert_eq!(live_bytes(), after_h, "only the part above `h` is freed");
    // h and its constant 2 stay alive.
    assert_eq!(live_tensors(), tensors + 2);
    assert_eq!(h.parents().len(), 2);
    drop(h);
    assert_eq!(live_tensors(), tensors);
    assert_eq!(live_bytes(), before);
}

#[test]
fn dropping_a_long_chain_frees_every_node() {
    let x = leaf(4);
    (&x * 1.0).sum_all().backward();
    let before = live_bytes();
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = &y * 1.0;
    }
    y.backward();
    assert!(
        live_bytes() > before + 100_000 * 4 * 8,
        "the chain holds its nodes"
    );
    drop(y);
    assert_eq!(
        live_bytes(),
        before,
        "bytes still held after dropping the chain"
    );
    // d(x·1·1···)/dx = 1, added to the first pass's 1.
    assert_eq!(x.grad().unwrap(), ArrayD::from_elem(IxDyn(&[4]), 2.0));
}
