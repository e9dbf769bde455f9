//! The gradients of a list of parameters as one contiguous buffer, in the list's order: what a
//! data-parallel trainer sums over its processes between computing the gradients and applying
//! the update.

use crate::autograd::Tensor;
use crate::kernels::Element;

/// The length of the buffer that holds the gradients of `parameters`: their elements, added up.
pub fn gradients_len<T: Element>(parameters: &[Tensor<T>]) -> usize {
    parameters.iter().map(Tensor::len).sum()
}

/// Copies the gradient of every parameter, times `scale`, into `buffer`: the first parameter's
/// elements first, each in row-major order. A parameter that has no gradient yet gives zeros.
///
/// ```
/// use ferrograd::Tensor;
/// use ferrograd::train::{read_gradients, write_gradients};
///
/// let (a, b) = (Tensor::<f32>::ones(&[2]).requires_grad(), Tensor::ones(&[1]).requires_grad());
/// (&a * 3.0).sum_all().backward(); // b gets no gradient
/// let mut buffer = [9.0; 3];
/// read_gradients(&[a.clone(), b.clone()], &mut buffer, 0.5);
/// assert_eq!(buffer, [1.5, 1.5, 0.0]);
/// write_gradients(&[a.clone(), b.clone()], &[1.0, 2.0, 3.0]);
/// assert_eq!(a.grad().unwrap(), ndarray::array![1.0, 2.0].into_dyn());
/// assert_eq!(b.grad().unwrap(), ndarray::array![3.0].into_dyn());
/// ```
///
/// # Panics
/// When `buffer`'s length is not [`gradients_len`]`(parameters)`, or a gradient's shape is not
/// its parameter's (the parameter's data was replaced by data of another shape since backward).
#[track_caller]
pub fn read_gradients<T: Element>(parameters: &[Tensor<T>], buffer: &mut [T], scale: T) {
    check_len(parameters, buffer.len(), "read_gradients");
    let mut rest = buffer;
    for parameter in parameters {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(parameter.len());
        rest = tail;
        let Some(grad) = parameter.grad_ref() else {
            part.fill(T::zero());
            continue;
        };
        assert!(
            grad.len() == part.len(),
            "read_gradients: a gradient of shape {:?} for a parameter of shape {:?}",
            grad.shape(),
            parameter.shape()
        );
        match grad.as_slice() {
            Some(values) => {
                for (to, &from) in part.iter_mut().zip(values) {
                    *to = from * scale;
                }
            }
            None => {
                for (to, &from) in part.iter_mut().zip(grad.iter()) {
                    *to = from * scale;
                }
            }
        }
    }
}

/// Replaces the gradient of every parameter by its part of `buffer`, laid out as
/// [`read_gradients`] writes it, in place where the gradient has a buffer of its own.
///
/// # Panics
/// When `buffer`'s length is not [`gradients_len`]`(parameters)`.
#[track_caller]
pub fn write_gradients<T: Element>(parameters: &[Tensor<T>], buffer: &[T]) {
    check_len(parameters, buffer.len(), "write_gradients");
    let mut rest = buffer;
    for parameter in parameters {
        let (part, tail) = rest.split_at(parameter.len());
        rest = tail;
        parameter.gradient_mut().overwrite(part, &parameter.shape());
    }
}

/// Panics unless `len` is the length of the gradients of `parameters`.
#[track_caller]
fn check_len<T: Element>(parameters: &[Tensor<T>], len: usize, op: &str) {
    let expected = gradients_len(parameters);
    assert!(
        len == expected,
        "{op}: a buffer of {len} elements for gradients of {expected}"
    );
}
