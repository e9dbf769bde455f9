//! What seals [`Element`](crate::Element) to `f32` and `f64`, and hands a product's operands to
//! the kernels with their element type named, so that the kernels can choose code per type
//! without an `unsafe` cast.

use ndarray::{ArrayView2, ArrayViewMut2};

/// A value only this crate can make, taken by [`Sealed::product`] so that nothing outside
/// the crate can call it, even through an `Element` bound.
pub struct Private(());

impl Private {
    pub(crate) fn new() -> Self {
        Private(())
    }
}

/// The operands of `c = a·b + beta·c` with their element type named, so that the kernels can
/// choose code per type without an `unsafe` cast.
pub enum Product<'a> {
    /// `f32` operands.
    F32(
        ArrayView2<'a, f32>,
        ArrayView2<'a, f32>,
        f32,
        ArrayViewMut2<'a, f32>,
    ),
    /// `f64` operands.
    F64(
        ArrayView2<'a, f64>,
        ArrayView2<'a, f64>,
        f64,
        ArrayViewMut2<'a, f64>,
    ),
}

/// Seals [`Element`](crate::Element) to `f32` and `f64`.
pub trait Sealed: Sized {
    /// The operands as they are, their type named.
    fn product<'a>(
        a: ArrayView2<'a, Self>,
        b: ArrayView2<'a, Self>,
        beta: Self,
        c: ArrayViewMut2<'a, Self>,
        _: Private,
    ) -> Product<'a>;
}

/// `Sealed` for each type, its operands in the variant of `Product` named after it.
macro_rules! sealed {
    ($($t:ty => $variant:ident),*) => {$(
        impl Sealed for $t {
            fn product<'a>(
                a: ArrayView2<'a, $t>,
                b: ArrayView2<'a, $t>,
                beta: $t,
                c: ArrayViewMut2<'a, $t>,
                _: Private,
            ) -> Product<'a> {
                Product::$variant(a, b, beta, c)
            }
        }
    )*};
}

sealed!(f32 => F32, f64 => F64);
