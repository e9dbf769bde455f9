//! The matrix product.

use ndarray::{ArrayView2, Ix2};

use crate::error::{TensorError, unwrap_or_fail};
use crate::gemm::mat_mul;
use crate::op::OpKind;
use crate::{Element, Tensor};

impl<T: Element> Tensor<T> {
    /// The matrix product of a `(p, q)` and a `(q, r)` tensor, giving `(p, r)`.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let a = Tensor::from_array(ndarray::array![[1.0f32, 2.0]]);
    /// let b = Tensor::from_array(ndarray::array![[3.0f32], [4.0]]);
    /// assert_eq!(a.matmul(&b).item(), 11.0);
    /// ```
    ///
    /// # Panics
    /// When either operand is not 2-d or the inner sizes differ; the message names both shapes.
    #[track_caller]
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        unwrap_or_fail(self.try_matmul(other))
    }

    /// [`matmul`](Self::matmul), returning [`TensorError::Matmul`] instead of panicking.
    pub fn try_matmul(&self, other: &Tensor<T>) -> Result<Tensor<T>, TensorError> {
        let (a, b) = (self.data(), other.data());
        let error = || TensorError::Matmul {
            lhs: a.shape().to_vec(),
            rhs: b.shape().to_vec(),
        };
        let lhs: ArrayView2<T> = a.view().into_dimensionality::<Ix2>().map_err(|_| error())?;
        let rhs: ArrayView2<T> = b.view().into_dimensionality::<Ix2>().map_err(|_| error())?;
        if lhs.ncols() != rhs.nrows() {
            return Err(error());
        }
        let product = mat_mul(lhs, rhs).into_dyn();
        Ok(Tensor::from_op(product, OpKind::Matmul, &[self, other]))
    }
}
