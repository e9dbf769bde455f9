//! The gradient a tensor accumulates over backward passes, cleared by `zero_grad` without a write.

use ndarray::{ArcArray, ArrayD, ArrayView2, Ix2, IxDyn};

use crate::kernels::{Element, matmul, matmul_into};

/// A tensor's accumulated gradient. `zero` only marks the buffer as zero; the next contribution
/// then overwrites it instead of adding, so clearing costs nothing and a matrix product's
/// gradient is written straight into the buffer by GEMM (`C = A·B`, then `C += A·B`).
///
/// The buffer is reference counted, so that [`Tensor::shared_grad`](crate::Tensor::shared_grad)
/// can lend it out; a write while it is lent goes to a copy (copy-on-write). Backward may store a
/// buffer that other tensors' gradients share (`shared`); [`unshared`](Self::unshared) gives
/// this tensor a copy of its own before the buffer is lent where copy-on-write does not reach
/// (the Python module's writeable NumPy views).
pub(crate) struct Gradient<T> {
    sum: Option<ArcArray<T, IxDyn>>,
    zeroed: bool,
    shared: bool,
}

impl<T: Element> Gradient<T> {
    pub(crate) fn new() -> Self {
        Gradient {
            sum: None,
            zeroed: false,
            shared: false,
        }
    }

    /// The gradient, or `None` if nothing has reached it yet.
    pub(crate) fn get(&mut self) -> Option<&ArcArray<T, IxDyn>> {
        if self.zeroed {
            if let Some(sum) = &mut self.sum {
                sum.fill(T::zero());
            }
            self.zeroed = false;
            self.shared = false; // the write above went to a buffer of its own
        }
        self.sum.as_ref()
    }

    /// [`get`](Self::get), after copying the buffer if other gradients still share it, so that
    /// writes into it reach this tensor's gradient and no other.
    pub(crate) fn unshared(&mut self) -> Option<&ArcArray<T, IxDyn>> {
        if let Some(sum) = self.sum.as_mut().filter(|_| self.shared)
            && !sum.is_unique()
        {
            *sum = sum.to_owned().into_shared();
        }
        self.shared = false;
        self.get()
    }

    /// The gradient as last read by [`get`](Self::get), which brings a zeroed buffer up to date.
    pub(crate) fn sum(&self) -> Option<&ArcArray<T, IxDyn>> {
        debug_assert!(!self.zeroed, "read through get() first");
        self.sum.as_ref()
    }

    /// Makes the gradient zero, keeping its buffer.
    pub(crate) fn zero(&mut self) {
        self.zeroed = self.sum.is_some();
    }

    /// Replaces the gradient (kept row-major).
    pub(crate) fn set(&mut self, grad: Option<ArrayD<T>>) {
        self.sum = grad.map(|g| g.as_standard_layout().into_owned().into_shared());
        self.zeroed = false;
        self.shared = false;
    }

    /// Replaces the gradient by `values`, the elements of a gradient of `shape` in row-major
    /// order, writing them into the buffer when it has that shape (copying it first while it is
    /// shared: copy-on-write).
    pub(crate) fn overwrite(&mut self, values: &[T], shape: &[usize]) {
        let buffer = self.sum.as_mut().filter(|sum| sum.shape() == shape);
        match buffer.and_then(|sum| sum.as_slice_mut()) {
            Some(slice) => slice.copy_from_slice(values),
            None => {
                let array =
                    ArrayD::from_shape_vec(shape, values.to_vec()).expect("values of shape");
                self.sum = Some(array.into_shared());
            }
        }
        self.zeroed = false;
        self.shared = false;
    }

    /// Adds `grad`, kept row-major whatever layout the derivative produced (a transpose's is not).
    /// A buffer of another shape (the tensor's data was replaced by data of another shape) is
    /// replaced rather than added to. A row-major `grad` arriving at an empty gradient is kept
    /// as it is, sharing its buffer with whoever else holds it (copy-on-write keeps them apart).
    pub(crate) fn add(&mut self, grad: ArcArray<T, IxDyn>) {
        match &mut self.sum {
            Some(sum) if sum.shape() != grad.shape() => self.sum = None,
            _ => {}
        }
        // A write into the buffer leaves it this gradient's alone (copy-on-write).
        self.shared = false;
        match &mut self.sum {
            Some(sum) if self.zeroed => sum.assign(&grad),
            Some(sum) => *sum += &grad,
            None if grad.is_standard_layout() => {
                self.shared = !grad.is_unique();
                self.sum = Some(grad);
            }
            None => self.sum = Some(grad.as_standard_layout().into_owned().into_shared()),
        }
        self.zeroed = false;
    }

    /// Adds the matrix product `a·b` without a temporary.
    pub(crate) fn add_product(&mut self, a: ArrayView2<T>, b: ArrayView2<T>) {
        let shape = [a.nrows(), b.ncols()];
        match &mut self.sum {
            Some(sum) if sum.shape() == shape => {
                let beta = if self.zeroed { T::zero() } else { T::one() };
                let c = sum.view_mut().into_dimensionality::<Ix2>().expect("2-d");
                matmul_into(a, b, beta, c);
            }
            _ => self.sum = Some(matmul(a, b).into_dyn().into_shared()),
        }
        self.zeroed = false;
        self.shared = false;
    }
}
