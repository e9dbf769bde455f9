//! Lending a tensor's buffer to NumPy without copying it, and without it ever dangling.
//!
//! The library keeps a tensor's data and gradient in reference-counted, copy-on-write buffers
//! (`ndarray::ArcArray`). A NumPy array handed out by `.array` or `.grad` is a view of such a
//! buffer whose base object is a [`SharedBuffer`] holding one more reference to it:
//!
//! - the buffer lives as long as the view, whatever happens to the tensor: its data replaced by
//!   an array of another shape, the tensor and its graph dropped;
//! - it never moves: a shared `ArcArray` is never reallocated in place; a library write to a
//!   shared buffer first copies it (copy-on-write) and leaves the view's buffer as it was;
//! - NumPy writes into the view (`param.array -= lr * param.grad`) go straight into the buffer, so
//!   they update the tensor as long as the tensor still uses that buffer, as the original's
//!   in-place updates do.
//!
//! The library reads a buffer only inside a call from Python, with the GIL held by the calling
//! thread, so Python code cannot write into the view during such a read. (As with any NumPy array,
//! another thread running a NumPy loop that released the GIL over the same memory would race;
//! tensors themselves refuse other threads, see `thread_bound`.)

use ndarray::{ArcArray, IxDyn};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::dtype::{Dtyped, Family, Float, dispatch};

/// The base object of a NumPy array that views a tensor's buffer: a reference to the buffer,
/// which keeps it alive and in place for as long as the array exists.
#[pyclass(module = "ferrograd", frozen)]
pub struct SharedBuffer {
    buffer: Dtyped<Buffers>,
}

/// The family of tensor buffers.
struct Buffers;

impl Family for Buffers {
    type Of<T: Float> = ArcArray<T, IxDyn>;
}

#[pymethods]
impl SharedBuffer {
    fn __repr__(&self) -> String {
        let len = dispatch!(&self.buffer, a => a.len());
        format!("<ferrograd buffer of {len} {}>", self.buffer.name())
    }
}

/// A writeable NumPy view of `array`'s buffer, without copying it.
pub fn lend<T: Float>(py: Python<'_>, array: ArcArray<T, IxDyn>) -> PyResult<Bound<'_, PyAny>> {
    let base = Bound::new(
        py,
        SharedBuffer {
            buffer: T::wrap(array.clone()),
        },
    )?;
    // SAFETY: `borrow_from_array` needs the memory `array` addresses to stay allocated and in
    // place until the base object `base` is dropped. `base` holds a clone of `array`, a second
    // reference to the same buffer with the same first element and strides: the buffer is freed
    // only when its last reference is dropped, and `base` keeps one until NumPy drops the view's
    // base. It is never reallocated in place while shared: every write through another reference
    // (the tensor's) goes through `ArcArray`'s copy-on-write, which moves that reference to a new
    // buffer and leaves this one where it is, and `base` is frozen and never writes to its own.
    let view = unsafe { PyArrayDyn::<T>::borrow_from_array(&array, base.into_any()) };
    Ok(view.into_any())
}

/// Whether `value` is a NumPy array of `T` that views exactly `array`'s elements (the same first
/// element, shape and strides): assigning it back, as Python does after `t.array -= x`, changes
/// nothing.
pub fn is_view_of<T: Float>(value: &Bound<'_, PyAny>, array: &ArcArray<T, IxDyn>) -> bool {
    let Ok(view) = value.cast::<PyArrayDyn<T>>() else {
        return false;
    };
    let size = std::mem::size_of::<T>() as isize;
    std::ptr::eq(view.data().cast_const(), array.as_ptr())
        && view.shape() == array.shape()
        && view
            .strides()
            .iter()
            .zip(array.strides())
            .all(|(&bytes, &elements)| bytes == elements * size || array.len() <= 1)
}
