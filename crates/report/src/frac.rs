//! Exact sums of day fractions, so tier boundaries (exactly 5 %, 10 %, 20 %) and the CRDC
//! 15-day line are decided without floating-point error.

use std::cmp::Ordering;

/// A non-negative rational number, kept exact while it fits in `u128` (it always does for real
/// timetables: the denominator is the lcm of the per-day session counts) and degraded to `f64`
/// only if it would overflow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Frac {
    Exact { num: u128, den: u128 },
    Approx(f64),
}

impl Frac {
    pub(crate) const ZERO: Frac = Frac::Exact { num: 0, den: 1 };

    /// `num / den`; a zero denominator is treated as zero (no sessions, nothing absent).
    pub(crate) fn new(num: u128, den: u128) -> Frac {
        if den == 0 {
            return Frac::ZERO;
        }
        let g = gcd(num, den);
        Frac::Exact {
            num: num / g,
            den: den / g,
        }
    }

    pub(crate) fn to_f64(self) -> f64 {
        match self {
            Frac::Exact { num, den } => num as f64 / den as f64,
            Frac::Approx(x) => x,
        }
    }

    pub(crate) fn add(self, other: Frac) -> Frac {
        match (self, other) {
            (Frac::Exact { num: a, den: b }, Frac::Exact { num: c, den: d }) => {
                let exact = (|| {
                    let den = b.checked_div(gcd(b, d))?.checked_mul(d)?;
                    let left = a.checked_mul(den / b)?;
                    let right = c.checked_mul(den / d)?;
                    Some(Frac::new(left.checked_add(right)?, den))
                })();
                exact.unwrap_or(Frac::Approx(self.to_f64() + other.to_f64()))
            }
            _ => Frac::Approx(self.to_f64() + other.to_f64()),
        }
    }

    /// Compares `self / days` with `p / q` exactly (cross-multiplied).
    pub(crate) fn per_cmp(self, days: u128, p: u128, q: u128) -> Ordering {
        if let Frac::Exact { num, den } = self {
            let lhs = num.checked_mul(q);
            let rhs = p.checked_mul(den).and_then(|x| x.checked_mul(days));
            if let (Some(l), Some(r)) = (lhs, rhs) {
                return l.cmp(&r);
            }
        }
        let lhs = self.to_f64() / days as f64;
        lhs.partial_cmp(&(p as f64 / q as f64))
            .unwrap_or(Ordering::Less)
    }
}

/// A running sum of fractions `num / den`, grouped by denominator so that a year of days costs
/// one exact addition per distinct number of sessions a day, not one per day.
#[derive(Debug, Clone, Default)]
pub(crate) struct FracSum {
    /// (denominator, sum of numerators); a timetable has only a few distinct denominators.
    parts: Vec<(u32, u64)>,
}

impl FracSum {
    pub(crate) fn add(&mut self, num: u32, den: u32) {
        if num == 0 || den == 0 {
            return;
        }
        match self.parts.iter_mut().find(|(d, _)| *d == den) {
            Some((_, n)) => *n += u64::from(num),
            None => self.parts.push((den, u64::from(num))),
        }
    }

    pub(crate) fn total(&self) -> Frac {
        self.parts.iter().fold(Frac::ZERO, |acc, (d, n)| {
            acc.add(Frac::new(u128::from(*n), u128::from(*d)))
        })
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirds_sum_exactly_where_floats_do_not() {
        let third = Frac::new(1, 3);
        let sum = third.add(third).add(third);
        assert_eq!(sum, Frac::new(1, 1), "1/3 + 1/3 + 1/3 is exactly one day");
        assert_eq!(
            Frac::new(1, 1).per_cmp(20, 5, 100),
            Ordering::Equal,
            "1 of 20 is 5 %"
        );
    }

    #[test]
    fn grouped_sum_equals_the_plain_sum() {
        let mut sum = FracSum::default();
        for (n, d) in [(1, 6), (1, 3), (0, 4), (2, 5), (1, 6), (5, 5), (1, 0)] {
            sum.add(n, d);
        }
        let plain = [(1, 6), (1, 3), (2, 5), (1, 6), (5, 5)]
            .iter()
            .fold(Frac::ZERO, |acc, (n, d)| acc.add(Frac::new(*n, *d)));
        assert_eq!(sum.total(), plain);
        assert_eq!(plain, Frac::new(31, 15));
    }

    #[test]
    fn overflow_degrades_instead_of_panicking() {
        let big = Frac::new(1, u128::MAX - 1);
        let sum = big.add(Frac::new(1, u128::MAX - 2));
        assert!(matches!(sum, Frac::Approx(_)));
        assert_eq!(sum.per_cmp(10, 1, 10), Ordering::Less);
    }
}
