//! The floating-point types a tensor can hold.

use std::fmt::{Debug, Display, LowerExp};

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, NumAssignOps};

/// An element type of a [`Tensor`](crate::Tensor): `f32` (the default) or `f64`.
///
/// The trait is sealed: the derivatives and the kernels are written and tested for these two.
pub trait Element:
    Float
    + NumAssignOps
    + LinalgScalar
    + ScalarOperand
    + Default
    + Debug
    + Display
    + LowerExp
    + Send
    + Sync
    + sealed::Sealed
    + 'static
{
    /// Converts an `f64` constant to this type (rounding for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Widens this value to `f64`.
    fn to_f64(self) -> f64;
    /// The hyperbolic tangent as the `tanh` operation computes it: for `f32` a rational
    /// approximation within 8 ulp (relative error below 5e-7) of the correctly rounded value,
    /// which the compiler can vectorise (libm's `tanhf` took a quarter of a training step); for
    /// `f64`, libm's.
    fn tanh_fast(self) -> Self;
    /// `e^x` as the `exp` operation computes it: for `f32` libm's; for `f64` a polynomial within
    /// 2 ulp of libm's that the compiler can vectorise (libm's `exp` took a quarter
    /// of a float64 training step written from `exp`, as the original notebook's tanh is).
    fn exp_fast(self) -> Self;
}

impl Element for f32 {
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn tanh_fast(self) -> Self {
        tanh_f32(self)
    }
    #[inline]
    fn exp_fast(self) -> Self {
        self.exp()
    }
}

impl Element for f64 {
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn tanh_fast(self) -> Self {
        self.tanh()
    }
    #[inline]
    fn exp_fast(self) -> Self {
        exp_f64(self)
    }
}

/// e^x for `f64` without branches or calls, so that a loop of it vectorises: x = n·ln 2 + r with
/// |r| ≤ ln 2 / 2, e^r from its Taylor polynomial of degree 13 (the first term left out is below
/// 2^-60 of the sum), and 2^n applied as two exactly representable powers of two so that
/// subnormal results and overflow to infinity come out as libm's. Within 2 ulp of libm's `exp`
/// (tested); NaN gives NaN, -inf 0 and +inf +inf.
#[inline]
pub(crate) fn exp_f64(x: f64) -> f64 {
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    // ln 2 split so that n·LN2_HI is exact for |n| < 2^11 (fdlibm's ln2HI and ln2LO).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // 1.5·2^52: adding it rounds to an integer held in the low bits of the mantissa.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    // 1/k! for k = 13 down to 3.
    const INVERSE_FACTORIALS: [f64; 11] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
    ];
    // Beyond these e^x is +inf or 0 in f64; clamping keeps n's exponents in range (NaN stays NaN).
    let x = x.clamp(-746.0, 710.0);
    let shifted = x * LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let q = INVERSE_FACTORIALS.iter().fold(0.0, |acc, &c| acc * r + c);
    // e^r = 1 + (r + r²(1/2 + r·q)): the small part first, so that 1 + it rounds once.
    let e_r = 1.0 + (r + r * r * (0.5 + r * q));
    // n as an integer, from the low mantissa bits of `shifted`, split into two halves so that
    // each power of two is a normal number: n1 = floor(n / 2), n2 = n - n1.
    let n = (shifted.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let n1 = n >> 1;
    let n2 = n - n1;
    let scale = |k: i64| f64::from_bits(((k + 1023) as u64) << 52);
    e_r * scale(n1) * scale(n2)
}

/// tanh(x) for `f32` as a [13/6] minimax rational function of x on [-7.905, 7.905] (the range
/// outside which tanh rounds to ±1 in `f32`); the classic formulation used by Eigen and XLA.
/// Odd polynomial p(x) = x(α1 + α3x² + ... + α13x¹²), even q(x) = β0 + β2x² + ... + β6x⁶.
#[inline]
fn tanh_f32(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const ALPHA: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619_3e-4,
        1.485_722_4e-5,
        5.122_297e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_5e-16,
    ];
    const BETA: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347e-4, 1.198_258_4e-6];
    let clamped = x.clamp(-CLAMP, CLAMP);
    let x2 = clamped * clamped;
    let p = ALPHA.iter().rev().fold(0.0, |acc, &a| acc * x2 + a) * clamped;
    let q = BETA.iter().rev().fold(0.0, |acc, &b| acc * x2 + b);
    // Near 0, tanh(x) = x - x³/3 + ... and x³/3 is below half an ulp of x.
    if x.abs() < 4e-4 { x } else { p / q }
}

#[cfg(test)]
mod tests {
    use super::{exp_f64, tanh_f32};

    /// The distance between two finite `f64`s in units in the last place.
    fn ulps64(a: f64, b: f64) -> u64 {
        let key = |x: f64| {
            let bits = x.to_bits() as i64;
            if bits < 0 { i64::MIN - bits } else { bits }
        };
        key(a).abs_diff(key(b))
    }

    #[test]
    fn exp_f64_is_within_2_ulp_of_libm() {
        let mut worst = (0, 0.0f64);
        let mut check = |x: f64| {
            let error = ulps64(exp_f64(x), x.exp());
            if error > worst.0 {
                worst = (error, x);
            }
        };
        for i in -1_500_000..=1_500_000 {
            check(i as f64 * 4.8e-4 + 1e-7); // -720 to 720
            check(i as f64 * 1e-6); // around 0
        }
        for x in [
            -745.13,
            -745.0,
            -744.5,
            -708.4,
            -708.39,
            709.78,
            709.782_712_893_383_9,
            1e-300,
        ] {
            check(x);
        }
        assert!(worst.0 <= 2, "{} ulp at x = {}", worst.0, worst.1);
    }

    #[test]
    fn exp_f64_edge_values() {
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(710.0), f64::INFINITY);
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_f64(-746.0), 0.0);
        assert_eq!(exp_f64(-1e300), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        assert!(ulps64(exp_f64(1.0), std::f64::consts::E) <= 1);
    }

    /// The distance between two finite `f32`s in units in the last place.
    fn ulps(a: f32, b: f32) -> u32 {
        let key = |x: f32| {
            let bits = x.to_bits() as i32;
            if bits < 0 { i32::MIN - bits } else { bits }
        };
        key(a).abs_diff(key(b))
    }

    #[test]
    fn tanh_f32_is_within_8_ulp_of_the_correctly_rounded_value() {
        let mut worst = (0, 0.0f32);
        for i in -2_000_000..=2_000_000 {
            let x = i as f32 * 1e-5 * (1.0 + (i as f32).abs() * 1e-6);
            let error = ulps(tanh_f32(x), (x as f64).tanh() as f32);
            if error > worst.0 {
                worst = (error, x);
            }
        }
        assert!(worst.0 <= 8, "{} ulp at x = {}", worst.0, worst.1);
        assert_eq!(tanh_f32(20.0), 1.0);
        assert_eq!(tanh_f32(-20.0), -1.0);
        assert_eq!(tanh_f32(0.0), 0.0);
        assert!(tanh_f32(f32::NAN).is_nan());
    }
}

pub(crate) mod sealed {
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

    /// Seals [`Element`](super::Element) to `f32` and `f64`.
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

    impl Sealed for f32 {
        fn product<'a>(
            a: ArrayView2<'a, f32>,
            b: ArrayView2<'a, f32>,
            beta: f32,
            c: ArrayViewMut2<'a, f32>,
            _: Private,
        ) -> Product<'a> {
            Product::F32(a, b, beta, c)
        }
    }

    impl Sealed for f64 {
        fn product<'a>(
            a: ArrayView2<'a, f64>,
            b: ArrayView2<'a, f64>,
            beta: f64,
            c: ArrayViewMut2<'a, f64>,
            _: Private,
        ) -> Product<'a> {
            Product::F64(a, b, beta, c)
        }
    }
}
