//! `exp` for `f64` and `tanh` for `f32` written without branches or calls, so that a loop of
//! them vectorises (inside `vectorised`, for the CPU's widest instructions): what
//! [`Element::exp_fast`](crate::Element::exp_fast) and
//! [`Element::tanh_fast`](crate::Element::tanh_fast) compute for those types.

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
pub(crate) fn tanh_f32(x: f32) -> f32 {
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

    /// `x`'s bits as an integer that orders as finite `f64`s do, so that the distance between
    /// two of them in units in the last place is the difference of theirs.
    fn ordered(x: f64) -> i64 {
        let bits = x.to_bits() as i64;
        if bits < 0 { i64::MIN - bits } else { bits }
    }

    /// [`ordered`] for `f32`.
    fn ordered32(x: f32) -> i64 {
        let bits = x.to_bits() as i32;
        i64::from(if bits < 0 { i32::MIN - bits } else { bits })
    }

    /// The largest `error(x)` over `xs`, and the first `x` where it occurs.
    fn worst<X: Copy + Default>(
        xs: impl IntoIterator<Item = X>,
        error: impl Fn(X) -> u64,
    ) -> (u64, X) {
        xs.into_iter().fold((0, X::default()), |worst, x| {
            let e = error(x);
            if e > worst.0 { (e, x) } else { worst }
        })
    }

    #[test]
    fn exp_f64_is_within_2_ulp_of_libm() {
        // -720 to 720, and around 0.
        let grid =
            (-1_500_000..=1_500_000).flat_map(|i| [i as f64 * 4.8e-4 + 1e-7, i as f64 * 1e-6]);
        let edges = [
            -745.13,
            -745.0,
            -744.5,
            -708.4,
            -708.39,
            709.78,
            709.782_712_893_383_9,
            1e-300,
        ];
        let (error, x) = worst(grid.chain(edges), |x| {
            ordered(exp_f64(x)).abs_diff(ordered(x.exp()))
        });
        assert!(error <= 2, "{error} ulp at x = {x}");
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
        assert!(ordered(exp_f64(1.0)).abs_diff(ordered(std::f64::consts::E)) <= 1);
    }

    #[test]
    fn tanh_f32_is_within_8_ulp_of_the_correctly_rounded_value() {
        let xs =
            (-2_000_000..=2_000_000).map(|i| i as f32 * 1e-5 * (1.0 + (i as f32).abs() * 1e-6));
        let (error, x) = worst(xs, |x| {
            ordered32(tanh_f32(x)).abs_diff(ordered32((x as f64).tanh() as f32))
        });
        assert!(error <= 8, "{error} ulp at x = {x}");
        assert_eq!(tanh_f32(20.0), 1.0);
        assert_eq!(tanh_f32(-20.0), -1.0);
        assert_eq!(tanh_f32(0.0), 0.0);
        assert!(tanh_f32(f32::NAN).is_nan());
    }
}
