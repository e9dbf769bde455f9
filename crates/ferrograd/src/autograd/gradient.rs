//! The gradient a tensor accumulates over backward passes, cleared by `zero_grad` without a write.

use ndarray::{ArcArray, ArrayD, ArrayView2, Ix2, IxDyn};

use crate::Element;
use crate::kernels::{matmul, matmul_into};

/// A tensor's accumulated gradient. `zero` only marks the buffer as zero; the next contribution
/// then overwrites it instead of adding, so clearing costs nothing and a matrix product's
/// gradient is written straight into the buffer by GEMM (`C = A·B`, then `C += A·B`).
///
/// The buffer is reference counted, so that [`Tensor::shared_grad`](crate::Tensor::shared_grad)
/// can lend it out; a write while it is lent goes to a copy (copy-on-write).
pub(crate) struct Gradient<T> {
    sum: Option<ArcArray<T, IxDyn>>,
    zeroed: bool,
}

impl<T: Element> Gradient<T> {
    pub(crate) fn new() -> Self {
        Gradient {
            sum: None,
            zeroed: false,
        }
    }

    /// The gradient, or `None` if nothing has reached it yet.
    pub(crate) fn get(&mut self) -> Option<&ArcArray<T, IxDyn>> {
        if self.zeroed {
            if let Some(sum) = &mut self.sum {
                sum.fill(T::zero());
            }
            self.zeroed = false;
        }
        self.sum.as_ref()
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
    }

    /// Adds `grad`, kept row-major whatever layout the derivative produced (a transpose's is not).
    /// A buffer of another shape (the tensor's data was replaced by data of another shape) is
    /// replaced rather than added to.
    pub(crate) fn add(&mut self, grad: ArrayD<T>) {
        match &mut self.sum {
            Some(sum) if sum.shape() != grad.shape() => self.sum = None,
            _ => {}
        }
        match &mut self.sum {
            Some(sum) if self.zeroed => sum.assign(&grad),
            Some(sum) => *sum += &grad,
            None if grad.is_standard_layout() => self.sum = Some(grad.into_shared()),
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
    }
}
