//! Operations that move elements without changing them: `reshape`, `transpose`.

use ndarray::IxDyn;

use crate::autograd::{OpKind, Tensor};
use crate::error::{TensorError, check_indexable, unwrap_or_fail};
use crate::kernels::Element;

impl<T: Element> Tensor<T> {
    /// The same elements, in row-major order, in a new shape with as many elements.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let t = Tensor::<f32>::zeros(&[2, 3]);
    /// assert_eq!(t.reshape(&[3, 2]).shape(), vec![3, 2]);
    /// ```
    ///
    /// # Panics
    /// When the element counts differ; see [`try_reshape`](Self::try_reshape).
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Tensor<T> {
        unwrap_or_fail(self.try_reshape(shape))
    }

    /// [`reshape`](Self::reshape), returning [`TensorError::ElementCount`] (or, for a shape no
    /// array can have, [`TensorError::TooLarge`]) instead of panicking.
    pub fn try_reshape(&self, shape: &[usize]) -> Result<Tensor<T>, TensorError> {
        check_indexable("reshape", shape)?;
        let data = self.data();
        let error = || TensorError::ElementCount {
            op: "reshape",
            len: data.len(),
            shape: shape.to_vec(),
        };
        let len = shape.iter().try_fold(1usize, |len, &d| len.checked_mul(d));
        if len != Some(data.len()) {
            return Err(error());
        }
        let reshaped = data
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order(IxDyn(shape))
            .map_err(|_| error())?;
        Ok(Tensor::from_op(reshaped, OpKind::Reshape, &[self]))
    }

    /// The transpose of a 2-d tensor.
    ///
    /// # Panics
    /// When the tensor is not 2-d; see [`try_transpose`](Self::try_transpose).
    #[track_caller]
    pub fn transpose(&self) -> Tensor<T> {
        unwrap_or_fail(self.try_transpose())
    }

    /// [`transpose`](Self::transpose), returning [`TensorError::Rank`] instead of panicking.
    pub fn try_transpose(&self) -> Result<Tensor<T>, TensorError> {
        let data = self.data();
        if data.ndim() != 2 {
            return Err(TensorError::Rank {
                op: "transpose",
                expected: 2,
                shape: data.shape().to_vec(),
            });
        }
        let transposed = data.t().as_standard_layout().into_owned();
        Ok(Tensor::from_op(transposed, OpKind::Transpose, &[self]))
    }
}
