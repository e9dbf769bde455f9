//! Element-wise functions of one tensor.

use ndarray::ArrayD;

use crate::autograd::{OpKind, Tensor};
use crate::kernels::{Element, vectorised};

impl<T: Element> Tensor<T> {
    fn map(&self, kind: OpKind<T>, f: impl Fn(T) -> T) -> Tensor<T> {
        let x = self.data();
        let data = match x.as_slice() {
            Some(values) => {
                // Writing into a zeroed buffer vectorises; `collect` from the same map did not
                // (criterion tanh_32x256/forward: 3.4 against 10.1 µs).
                let mut out = vec![T::zero(); values.len()];
                vectorised(|| out.iter_mut().zip(values).for_each(|(y, &x)| *y = f(x)));
                ArrayD::from_shape_vec(x.raw_dim(), out).expect("same shape")
            }
            None => x.mapv(f),
        };
        drop(x);
        Tensor::from_op(data, kind, &[self])
    }

    /// `-self`.
    pub fn neg(&self) -> Tensor<T> {
        self.map(OpKind::Neg, |x| -x)
    }

    /// `e^x`, element-wise (for `f64`, within 2 ulp of libm's `exp`; see
    /// [`Element::exp_fast`]).
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let x = Tensor::<f64>::ones(&[2]).requires_grad();
    /// x.exp().sum(None, false).backward(); // d/dx e^x = e^x
    /// assert!((x.grad().unwrap()[0] - std::f64::consts::E).abs() <= f64::EPSILON * 2.0);
    /// ```
    pub fn exp(&self) -> Tensor<T> {
        self.map(OpKind::Exp, T::exp_fast)
    }

    /// The natural logarithm, element-wise.
    pub fn log(&self) -> Tensor<T> {
        self.map(OpKind::Log, T::ln)
    }

    /// The hyperbolic tangent, element-wise.
    pub fn tanh(&self) -> Tensor<T> {
        self.map(OpKind::Tanh, T::tanh_fast)
    }

    /// `max(x, 0)`, element-wise; its derivative at 0 is taken as 0.
    pub fn relu(&self) -> Tensor<T> {
        self.map(OpKind::Relu, |x| x.max(T::zero()))
    }

    /// The logistic function `1 / (1 + e^-x)`, element-wise.
    pub fn sigmoid(&self) -> Tensor<T> {
        self.map(OpKind::Sigmoid, |x| T::one() / (T::one() + (-x).exp()))
    }

    /// `x^exponent`, element-wise.
    ///
    /// ```
    /// use ferrograd::Tensor;
    /// let x = Tensor::from_array(ndarray::array![3.0f64]).requires_grad();
    /// x.powf(2.0).sum(None, false).backward(); // d/dx x² = 2x
    /// assert_eq!(x.grad().unwrap()[0], 6.0);
    /// ```
    pub fn powf(&self, exponent: T) -> Tensor<T> {
        self.map(OpKind::Powf(exponent), |x| x.powf(exponent))
    }
}
