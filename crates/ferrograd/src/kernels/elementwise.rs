//! Element-wise loops over two arrays with NumPy broadcasting, compiled for the CPU's vector
//! instructions where the layout allows: two operands of one shape, both row-major, or one
//! operand of a single element (`2 * t`, `t / 32`). Any other pair (a bias row added to every
//! row, say) goes through ndarray's broadcasting `Zip`. Each element is `f(a, b)` either way, so
//! the path taken never changes the bits.
//!
//! Float64 division through `Zip` took 5.8 µs on 32×256 and 2.6 µs here; a product with a
//! one-element array 3.2 and 1.2 µs (AVX-512, one thread).

use ndarray::{ArrayBase, ArrayD, ArrayViewD, Data, DataMut, IxDyn, Zip};

use super::element::Element;
use super::platform::vectorised;

/// The shape `lhs` and `rhs` broadcast to under NumPy's rules (align from the right; each pair
/// of sizes must be equal or contain a 1), or `None` when they are incompatible.
///
/// ```
/// use ferrograd::broadcast_shape;
/// assert_eq!(broadcast_shape(&[2, 1, 4], &[3, 1]), Some(vec![2, 3, 4]));
/// assert_eq!(broadcast_shape(&[2, 3], &[2]), None);
/// ```
pub fn broadcast_shape(lhs: &[usize], rhs: &[usize]) -> Option<Vec<usize>> {
    let ndim = lhs.len().max(rhs.len());
    let size =
        |shape: &[usize], i: usize| (i + shape.len()).checked_sub(ndim).map_or(1, |j| shape[j]);
    (0..ndim)
        .map(|i| match (size(lhs, i), size(rhs, i)) {
            (a, b) if a == b || b == 1 => Some(a),
            (1, b) => Some(b),
            _ => None,
        })
        .collect()
}

/// `f(a, b)` for each pair of elements of `a` and `b` broadcast to `shape`, which must be the
/// shape they broadcast to.
///
/// # Panics
/// When `a` or `b` does not broadcast to `shape`.
pub(crate) fn zip_map<T: Element, A: Data<Elem = T>, B: Data<Elem = T>>(
    a: &ArrayBase<A, IxDyn>,
    b: &ArrayBase<B, IxDyn>,
    shape: &[usize],
    f: impl Fn(T, T) -> T,
) -> ArrayD<T> {
    let collect = |values: Vec<T>| ArrayD::from_shape_vec(shape, values).expect("same shape");
    match (a.as_slice(), b.as_slice()) {
        (Some(x), Some(y)) if a.shape() == shape && b.shape() == shape => {
            collect(vectorised(|| {
                x.iter().zip(y).map(|(&x, &y)| f(x, y)).collect()
            }))
        }
        (Some(x), Some(&[y])) if a.shape() == shape => {
            collect(vectorised(|| x.iter().map(|&x| f(x, y)).collect()))
        }
        (Some(&[x]), Some(y)) if b.shape() == shape => {
            collect(vectorised(|| y.iter().map(|&y| f(x, y)).collect()))
        }
        _ => {
            let (a, b) = (broadcast(a, shape), broadcast(b, shape));
            Zip::from(&a).and(&b).map_collect(|&a, &b| f(a, b))
        }
    }
}

/// `*g = f(*g, o)` for each element `g` of `grad` and `o` of `other` broadcast to `grad`'s shape.
///
/// # Panics
/// When `other` does not broadcast to `grad`'s shape.
pub(crate) fn zip_assign<T: Element, G: DataMut<Elem = T>, O: Data<Elem = T>>(
    grad: &mut ArrayBase<G, IxDyn>,
    other: &ArrayBase<O, IxDyn>,
    f: impl Fn(T, T) -> T,
) {
    let same_shape = grad.shape() == other.shape();
    let fewer_axes = other.ndim() <= grad.ndim();
    match (other.as_slice(), grad.as_slice_mut()) {
        (Some(o), Some(g)) if same_shape => {
            vectorised(|| g.iter_mut().zip(o).for_each(|(g, &o)| *g = f(*g, o)));
        }
        (Some(&[o]), Some(g)) if fewer_axes => {
            vectorised(|| g.iter_mut().for_each(|g| *g = f(*g, o)));
        }
        _ => {
            let other = broadcast(other, grad.shape());
            Zip::from(grad).and(&other).for_each(|g, &o| *g = f(*g, o));
        }
    }
}

/// `x` as a view of `shape`.
fn broadcast<'a, T, S: Data<Elem = T>>(
    x: &'a ArrayBase<S, IxDyn>,
    shape: &[usize],
) -> ArrayViewD<'a, T> {
    x.broadcast(shape).unwrap_or_else(|| {
        panic!(
            "an operand of shape {:?} does not broadcast to {shape:?}",
            x.shape()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, array};

    /// Every path (same shape, a one-element operand on either side, a broadcast row, a
    /// transposed operand) against ndarray's own broadcasting arithmetic.
    #[test]
    fn every_path_equals_ndarrays_broadcasting() {
        let m = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as f64 * 0.37 - 1.1);
        let n = m.mapv(|x| x * x + 0.5);
        let scalar = ndarray::arr0(-2.5f64).into_dyn();
        let single = array![[3.25f64]].into_dyn();
        let row = array![[1.0f64, -2.0, 0.5, 4.0]].into_dyn();
        let column = array![[1.5f64], [-1.0], [2.0]].into_dyn();
        let transposed = n.t().to_owned();
        let cases: [(&ArrayD<f64>, &ArrayD<f64>); 8] = [
            (&m, &n),
            (&m, &scalar),
            (&scalar, &m),
            (&single, &m),
            (&m, &row),
            (&column, &m),
            (&row, &column),
            (&transposed.t().to_owned(), &m),
        ];
        for (a, b) in cases {
            let shape = broadcast_shape(a.shape(), b.shape()).unwrap();
            let divided = zip_map(a, b, &shape, |x, y| x / y);
            assert_eq!(divided, a / b, "{:?} / {:?}", a.shape(), b.shape());
        }
        // In place, and on a strided view.
        for other in [&n, &scalar, &row, &single] {
            let mut g = m.clone();
            zip_assign(&mut g, other, |g, o| g - o * 2.0);
            assert_eq!(g, &m - &(other * 2.0));
        }
        let mut strided = m.clone();
        let mut view = strided.slice_mut(ndarray::s![.., ..;2]).into_dyn();
        let other = view.to_owned().mapv(|x| x + 1.0);
        zip_assign(&mut view, &other, |g, o| g * o);
        assert_eq!(strided[[1, 2]], m[[1, 2]] * (m[[1, 2]] + 1.0));
        assert_eq!(strided[[1, 1]], m[[1, 1]]);
    }

    #[test]
    #[should_panic(expected = "an operand of shape [3] does not broadcast to [2, 4]")]
    fn an_operand_that_does_not_broadcast_panics_with_both_shapes() {
        let a = ArrayD::<f64>::zeros(IxDyn(&[2, 4]));
        let b = ArrayD::<f64>::zeros(IxDyn(&[3]));
        zip_map(&a, &b, &[2, 4], |x, y| x + y);
    }
}
