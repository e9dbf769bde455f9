//! A gradient summed back to the shape of an operand that NumPy's broadcasting stretched (the
//! shape rule itself, [`broadcast_shape`], is the kernels').

use ndarray::{ArrayD, ArrayViewD, Axis, CowArray, IxDyn};

use crate::error::{TensorError, fail};
use crate::kernels::{Element, broadcast_shape};

/// Sums `grad`, the gradient of a broadcast result, back to `shape`, the shape of the operand
/// that was broadcast: leading axes the operand lacked are summed away and axes where it had
/// size 1 are summed with `keepdims`. This is the original design's helper of the same name.
///
/// `grad` may be borrowed (`&array`, a view) or owned; an owned gradient that already has
/// `shape` is returned as it is, without a copy.
///
/// ```
/// use ferrograd::broadcast_grad_accumulate;
/// use ndarray::array;
/// let grad = array![[1.0, 4.0, 7.0], [2.0, 1.0, 6.0]].into_dyn();
/// let summed = broadcast_grad_accumulate(&[1, 3], &grad);
/// assert_eq!(summed, array![[3.0, 5.0, 13.0]].into_dyn());
/// ```
///
/// # Panics
/// When `shape` does not broadcast to `grad`'s shape.
#[track_caller]
pub fn broadcast_grad_accumulate<'a, T: Element>(
    shape: &[usize],
    grad: impl Into<CowArray<'a, T, IxDyn>>,
) -> ArrayD<T> {
    let grad = grad.into();
    if grad.shape() == shape {
        return grad.into_owned();
    }
    let fits = broadcast_shape(shape, grad.shape()).is_some_and(|s| s == grad.shape());
    if !fits {
        fail(TensorError::GradShape {
            op: "broadcast_grad_accumulate",
            grad: grad.shape().to_vec(),
            shape: shape.to_vec(),
        });
    }
    if grad.is_empty() {
        // Sums of nothing. Summing axis by axis would build arrays far larger than either shape
        // holds: a [4294967296, 0] gradient summed over its last axis is 2³² zeros.
        return ArrayD::zeros(IxDyn(shape));
    }
    let extra = grad.ndim() - shape.len();
    let mut summed = grad;
    // From the last axis down, so that the axes still to sum keep their index.
    for axis in (0..summed.ndim()).rev() {
        let keep = axis >= extra && shape[axis - extra] == 1 && summed.shape()[axis] != 1;
        if axis < extra || keep {
            let sum = match axis {
                0 => sum_rows(&summed.view()),
                _ => None,
            }
            .unwrap_or_else(|| summed.sum_axis(Axis(axis)));
            summed = if keep {
                sum.insert_axis(Axis(axis))
            } else {
                sum
            }
            .into();
        }
    }
    summed.into_owned()
}

/// `x` summed over its first axis when `x` is contiguous with rows of at least 2 elements (a
/// bias's gradient): the rows added in order in one loop, which gives `sum_axis`'s bits without
/// its one array operation per row.
fn sum_rows<T: Element>(x: &ArrayViewD<T>) -> Option<ArrayD<T>> {
    let row_shape = x.shape().get(1..)?;
    let row_len: usize = row_shape.iter().product();
    let values = x.as_slice().filter(|_| row_len > 1)?;
    let mut sum = vec![T::zero(); row_len];
    for row in values.chunks_exact(row_len) {
        sum.iter_mut().zip(row).for_each(|(s, &x)| *s += x);
    }
    ArrayD::from_shape_vec(row_shape, sum).ok()
}

#[cfg(test)]
mod tests {
    use ndarray::{Array, IxDyn};

    use super::*;

    #[test]
    fn summing_the_first_axis_gives_sum_axis_bits() {
        for dims in [&[32, 256][..], &[7, 3], &[5, 2, 3], &[0, 4], &[3, 1, 2]] {
            let mut seed = 1u32;
            let grad = Array::from_shape_simple_fn(IxDyn(dims), || {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                f64::from(seed >> 8) / f64::from(1 << 24) - 0.5
            });
            let expected = grad.sum_axis(Axis(0));
            let kept = &dims[1..];
            assert_eq!(sum_rows(&grad.view()), Some(expected.clone()), "{dims:?}");
            assert_eq!(broadcast_grad_accumulate(kept, &grad), expected, "{dims:?}");
            let with_one: Vec<usize> = [1].iter().chain(kept).copied().collect();
            let expected = expected.insert_axis(Axis(0));
            assert_eq!(
                broadcast_grad_accumulate(&with_one, &grad),
                expected,
                "{dims:?}"
            );
        }
    }
}
