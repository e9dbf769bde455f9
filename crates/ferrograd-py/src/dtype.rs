//! The two element types a Python tensor can hold, and the one enum through which everything of
//! either type passes: [`Dtyped`], opened by `dispatch!`.
//!
//! The library is generic (`Tensor<T>`, `Mlp<T>`, `Sgd<T>`, ...); Python picks the type at run
//! time (`dtype="float32"`, or a model file). A [`Family`] names one generic library type, and
//! `Dtyped<F>` holds its `f64` or its `f32` version: `Dtyped<Tensors>` is a tensor of either type,
//! `Dtyped<Mlps>` a model, [`Dtype`] the choice alone. Code written once for `T: Float` runs on
//! either through `dispatch!`, and [`Float::wrap`] puts its result back.

use ferrograd::{Element, Tensor};

/// An element type a Python tensor can hold: `f64` (the default) or `f32`.
pub trait Float: Element + numpy::Element {
    /// NumPy's name of the type (`float64`, `float32`), the one users see.
    const NAME: &'static str;

    /// `value` as the [`Dtyped`] of its type.
    fn wrap<F: Family>(value: F::Of<Self>) -> Dtyped<F>;

    /// The value inside `dtyped`, when it is of this type.
    fn unwrap<F: Family>(dtyped: &Dtyped<F>) -> Option<&F::Of<Self>>;
}

impl Float for f64 {
    const NAME: &'static str = "float64";
    fn wrap<F: Family>(value: F::Of<f64>) -> Dtyped<F> {
        Dtyped::F64(value)
    }
    fn unwrap<F: Family>(dtyped: &Dtyped<F>) -> Option<&F::Of<f64>> {
        match dtyped {
            Dtyped::F64(value) => Some(value),
            Dtyped::F32(_) => None,
        }
    }
}

impl Float for f32 {
    const NAME: &'static str = "float32";
    fn wrap<F: Family>(value: F::Of<f32>) -> Dtyped<F> {
        Dtyped::F32(value)
    }
    fn unwrap<F: Family>(dtyped: &Dtyped<F>) -> Option<&F::Of<f32>> {
        match dtyped {
            Dtyped::F32(value) => Some(value),
            Dtyped::F64(_) => None,
        }
    }
}

/// A generic type with one version per element type: `Of<f64>` and `Of<f32>`.
pub trait Family {
    /// The version for element type `T`.
    type Of<T: Float>;
}

/// The `f64` or the `f32` version of the family `F`, whichever Python asked for.
pub enum Dtyped<F: Family> {
    /// `float64`, the default (the original's `dtype=float`).
    F64(F::Of<f64>),
    /// `float32`, with `dtype="float32"`.
    F32(F::Of<f32>),
}

impl<F: Family> Clone for Dtyped<F>
where
    F::Of<f64>: Clone,
    F::Of<f32>: Clone,
{
    fn clone(&self) -> Self {
        dispatch!(self, <T> value => T::wrap(value.clone()))
    }
}

impl<F: Family> Dtyped<F> {
    /// NumPy's name of the element type.
    pub fn name(&self) -> &'static str {
        dispatch!(self, <T> _ => T::NAME)
    }

    /// The element type alone.
    pub fn dtype(&self) -> Dtype {
        dispatch!(self, <T> _ => T::wrap(()))
    }
}

/// `body` run with `value` bound to the value inside a [`Dtyped`], whichever its type; `<T>`, if
/// given, names that type for `body` (`T::wrap(...)` makes a `Dtyped` of the same type,
/// `Mlp::<T>::new(...)` a model of it).
///
/// ```ignore
/// let shape = dispatch!(tensor, t => t.shape());
/// let log = dispatch!(tensor, <T> t => T::wrap(t.log()));
/// let mlp = dispatch!(dtype, <T> () => T::wrap(Mlp::<T>::new(&sizes, activation, seed)));
/// ```
macro_rules! dispatch {
    ($dtyped:expr, <$T:ident> $value:pat => $body:expr) => {
        match $dtyped {
            $crate::dtype::Dtyped::F64($value) => {
                type $T = f64;
                $body
            }
            $crate::dtype::Dtyped::F32($value) => {
                type $T = f32;
                $body
            }
        }
    };
    ($dtyped:expr, $value:pat => $body:expr) => {
        match $dtyped {
            $crate::dtype::Dtyped::F64($value) => $body,
            $crate::dtype::Dtyped::F32($value) => $body,
        }
    };
}
pub(crate) use dispatch;

/// The element type alone, as a `dtype=` argument chooses it.
pub type Dtype = Dtyped<TypeOnly>;

/// The family whose values are the element type alone: [`Dtype`].
pub struct TypeOnly;

impl Family for TypeOnly {
    type Of<T: Float> = ();
}

impl Dtype {
    /// `float64`, what every tensor is unless asked otherwise.
    pub const DEFAULT: Dtype = Dtyped::F64(());
}

/// The family of tensors: `Dtyped<Tensors>` is a library tensor of either type.
pub struct Tensors;

impl Family for Tensors {
    type Of<T: Float> = Tensor<T>;
}

/// A library tensor of either element type.
pub type AnyTensor = Dtyped<Tensors>;
