//! The gradient a leaf accumulates over backward passes, cleared by `zero_grad` without a write.

use ndarray::{ArrayD, ArrayView2, Ix2};

use crate::Element;
use crate::kernels::{matmul, matmul_into};

/// A leaf's accumulated gradient. `zero` only marks the buffer as zero; the next contribution
/// then overwrites it instead of adding, so clearing costs nothing and a matrix product's
/// gradient is written straight into the buffer by GEMM (`C = A·B`, then `C += A·B`).
pub(crate) struct Gradient<T> {
    sum: Option<ArrayD<T>>,
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
    pub(crate) fn get(&mut self) -> Option<&ArrayD<T>> {
        if self.zeroed {
            if let Some(sum) = &mut self.sum {
                sum.fill(T::zero());
            }
            self.zeroed = false;
        }
        self.sum.as_ref()
    }

    /// The gradient as last read by [`get`](Self::get), which brings a zeroed buffer up to date.
    pub(crate) fn sum(&self) -> Option<&ArrayD<T>> {
        debug_assert!(!self.zeroed, "read through get() first");
        self.sum.as_ref()
    }

    /// Makes the gradient zero, keeping its buffer.
    pub(crate) fn zero(&mut self) {
        self.zeroed = self.sum.is_some();
    }

    /// Adds `grad`, kept row-major whatever layout the derivative produced (a transpose's is not).
    pub(crate) fn add(&mut self, grad: ArrayD<T>) {
        match &mut self.sum {
            Some(sum) if self.zeroed => sum.assign(&grad),
            Some(sum) => *sum += &grad,
            None if grad.is_standard_layout() => self.sum = Some(grad),
            None => self.sum = Some(grad.as_standard_layout().into_owned()),
        }
        self.zeroed = false;
    }

    /// Adds the matrix product `a·b` without a temporary.
    pub(crate) fn add_product(&mut self, a: ArrayView2<T>, b: ArrayView2<T>) {
        match &mut self.sum {
            Some(sum) => {
                let beta = if self.zeroed { T::zero() } else { T::one() };
                let c = sum.view_mut().into_dimensionality::<Ix2>().expect("2-d");
                matmul_into(a, b, beta, c);
            }
            None => self.sum = Some(matmul(a, b).into_dyn()),
        }
        self.zeroed = false;
    }
}
