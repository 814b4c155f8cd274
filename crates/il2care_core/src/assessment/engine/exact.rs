//! Exact comparison of decimals as scaled integers, for the rules' threshold comparisons: both values are
//! brought to the larger of their two scales and their integer mantissas compared. Nothing is rounded: when
//! the rescaled mantissa could leave the integer range, the comparison falls back to `rust_decimal`'s own.
//! No rule knowledge here.

use std::cmp::Ordering;
use std::marker::PhantomData;

use rust_decimal::Decimal;

use crate::units::Measure;

/// Powers of ten up to 10^9. A decimal mantissa has at most 96 bits and 10^9 < 2^30, so a mantissa times
/// any of these stays below 2^126: the product cannot overflow an `i128`.
const POWERS_OF_TEN: [i128; 10] =
    [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/// The exact order of two decimals (the same as `Decimal::cmp`, in a few integer instructions when their
/// scales differ by at most 9, which is every threshold and value il2care compares).
#[inline(always)]
pub fn compare(left: Decimal, right: Decimal) -> Ordering {
    let (left_scale, right_scale) = (left.scale(), right.scale());
    if left_scale == right_scale {
        return left.mantissa().cmp(&right.mantissa());
    }
    let (left_scaled, right_scaled) = if left_scale < right_scale {
        match POWERS_OF_TEN.get((right_scale - left_scale) as usize) {
            Some(power) => (left.mantissa() * power, right.mantissa()),
            None => return left.cmp(&right),
        }
    } else {
        match POWERS_OF_TEN.get((left_scale - right_scale) as usize) {
            Some(power) => (left.mantissa(), right.mantissa() * power),
            None => return left.cmp(&right),
        }
    };
    left_scaled.cmp(&right_scaled)
}

/// A typed quantity ordered by [`compare`]: comparisons stay between the same quantity (a creatinine with a
/// creatinine threshold), and are exact.
#[derive(Clone, Copy, Debug)]
pub struct Exact<M>(Decimal, PhantomData<M>);

/// A quantity for an exact comparison.
#[inline(always)]
pub fn exact<M: Measure>(value: M) -> Exact<M> {
    Exact(value.canonical(), PhantomData)
}

impl<M> PartialEq for Exact<M> {
    #[inline(always)]
    fn eq(&self, other: &Exact<M>) -> bool {
        compare(self.0, other.0) == Ordering::Equal
    }
}

impl<M> Eq for Exact<M> {}

impl<M> PartialOrd for Exact<M> {
    #[inline(always)]
    fn partial_cmp(&self, other: &Exact<M>) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<M> Ord for Exact<M> {
    #[inline(always)]
    fn cmp(&self, other: &Exact<M>) -> Ordering {
        compare(self.0, other.0)
    }
}

/// A rule compares a value with its threshold as written: `value < threshold`.
impl<M: Measure> PartialEq<M> for Exact<M> {
    #[inline(always)]
    fn eq(&self, other: &M) -> bool {
        compare(self.0, other.canonical()) == Ordering::Equal
    }
}

impl<M: Measure> PartialOrd<M> for Exact<M> {
    #[inline(always)]
    fn partial_cmp(&self, other: &M) -> Option<Ordering> {
        Some(compare(self.0, other.canonical()))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::*;

    fn decimal(mantissa: i128, scale: u32) -> Decimal {
        Decimal::try_from_i128_with_scale(mantissa, scale).unwrap()
    }

    proptest! {
        #[test]
        fn orders_any_two_decimals_like_rust_decimal(
            left in -(1i128 << 96) + 1..(1i128 << 96),
            right in -(1i128 << 96) + 1..(1i128 << 96),
            left_scale in 0u32..=28,
            right_scale in 0u32..=28,
        ) {
            let (left, right) = (decimal(left, left_scale), decimal(right, right_scale));
            prop_assert_eq!(compare(left, right), left.cmp(&right));
        }

        #[test]
        fn orders_nearby_small_decimals_like_rust_decimal(
            left in -100_000i128..100_000,
            right in -100_000i128..100_000,
            left_scale in 0u32..=12,
            right_scale in 0u32..=12,
        ) {
            let (left, right) = (decimal(left, left_scale), decimal(right, right_scale));
            prop_assert_eq!(compare(left, right), left.cmp(&right));
        }
    }

    #[test]
    fn orders_exactly_like_rust_decimal() {
        let values = [
            dec!(0),
            dec!(-0),
            dec!(0.000),
            dec!(1),
            dec!(1.0),
            dec!(1.00000000001),
            dec!(0.99999999999999999999999999),
            dec!(-1.5),
            dec!(2.5),
            dec!(2.50),
            dec!(3),
            dec!(79228162514264337593543950335),
            dec!(-79228162514264337593543950335),
            dec!(7.9228162514264337593543950335),
            dec!(0.0000000000000000000000000001),
            dec!(0.1),
            dec!(90),
            dec!(89.999999999),
            dec!(90.000000001),
            Decimal::MAX,
            Decimal::MIN,
        ];
        for left in values {
            for right in values {
                assert_eq!(compare(left, right), left.cmp(&right), "{left} against {right}");
            }
        }
    }
}
