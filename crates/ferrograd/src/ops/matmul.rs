//! The matrix product, alone or with a bias added.

use ndarray::{ArcArray, ArrayView2, Ix2, IxDyn};

use crate::autograd::{OpKind, Tensor};
use crate::error::{TensorError, unwrap_or_fail};
use crate::kernels::{Element, matmul, matmul_into};

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
        let (lhs, rhs) = matrices(&a, &b)?;
        let product = matmul(lhs, rhs).into_dyn();
        Ok(Tensor::from_op(product, OpKind::Matmul, &[self, other]))
    }

    /// `self·other + bias` in one operation, as a linear layer computes it (PyTorch's `addmm`):
    /// the product is accumulated onto `bias`, broadcast to its rows, instead of a second pass
    /// adding it. The numbers are those of `self.matmul(other) + bias` (bit for bit for `f32`
    /// products with a short side; see [`kernels`](crate::kernels)).
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let x = Tensor::from_array(ndarray::array![[1.0f32, 2.0]]);
    /// let w = Tensor::from_array(ndarray::array![[3.0f32], [4.0]]);
    /// let b = Tensor::from_array(ndarray::array![0.5f32]);
    /// assert_eq!(x.matmul_add(&w, &b).item(), 11.5);
    /// ```
    ///
    /// # Panics
    /// When the product's shapes do not fit, as [`matmul`](Self::matmul), or `bias` does not
    /// broadcast to the product's shape; the message names the shapes.
    #[track_caller]
    pub fn matmul_add(&self, other: &Tensor<T>, bias: &Tensor<T>) -> Tensor<T> {
        unwrap_or_fail(self.try_matmul_add(other, bias))
    }

    /// [`matmul_add`](Self::matmul_add), returning [`TensorError::Matmul`] or
    /// [`TensorError::Broadcast`] instead of panicking.
    pub fn try_matmul_add(
        &self,
        other: &Tensor<T>,
        bias: &Tensor<T>,
    ) -> Result<Tensor<T>, TensorError> {
        let (a, b, c) = (self.data(), other.data(), bias.data());
        let (lhs, rhs) = matrices(&a, &b)?;
        let shape = [lhs.nrows(), rhs.ncols()];
        let rows = c.broadcast(shape).ok_or_else(|| TensorError::Broadcast {
            op: "matmul_add",
            lhs: shape.to_vec(),
            rhs: c.shape().to_vec(),
        })?;
        let mut sum = rows.as_standard_layout().into_owned();
        matmul_into(lhs, rhs, T::one(), sum.view_mut());
        Ok(Tensor::from_op(
            sum.into_dyn(),
            OpKind::MatmulAdd,
            &[self, other, bias],
        ))
    }
}

/// The operands of a matrix product as matrices, or [`TensorError::Matmul`] naming both shapes.
fn matrices<'a, T: Element>(
    a: &'a ArcArray<T, IxDyn>,
    b: &'a ArcArray<T, IxDyn>,
) -> Result<(ArrayView2<'a, T>, ArrayView2<'a, T>), TensorError> {
    let error = || TensorError::Matmul {
        lhs: a.shape().to_vec(),
        rhs: b.shape().to_vec(),
    };
    let lhs: ArrayView2<T> = a.view().into_dimensionality::<Ix2>().map_err(|_| error())?;
    let rhs: ArrayView2<T> = b.view().into_dimensionality::<Ix2>().map_err(|_| error())?;
    if lhs.ncols() != rhs.nrows() {
        return Err(error());
    }
    Ok((lhs, rhs))
}
