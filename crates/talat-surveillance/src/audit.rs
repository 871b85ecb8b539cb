//! The daily self-audit of each market's tape (Cong, Li, Tang and Yang, "Crypto Wash Trading"):
//! genuine trade sizes follow Benford's law in their first digit and cluster at round sizes;
//! volume printed by bots tends to do neither. Each Bangkok day and market gets one report: the
//! first-digit counts against Benford's (a χ² test, 8 degrees of freedom) and the share of
//! trades at round sizes against what sizes without clustering would give (a z-score).

use serde::{Deserialize, Serialize};

/// Benford's first-digit probabilities log10(1 + 1/d), d = 1…9.
pub const BENFORD: [f64; 9] = [std::f64::consts::LOG10_2, 0.176_091, 0.124_939, 0.096_91, 0.079_181, 0.066_947, 0.057_992, 0.051_153, 0.045_757];
/// The round-size clustering test passes at this z-score or more.
pub const ROUND_Z_MIN: f64 = 3.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TapeAudit {
    pub symbol: String,
    /// Days since 1970 of the Bangkok calendar day audited.
    pub day: u64,
    pub trades: u64,
    /// Trades whose size starts with 1, 2, … 9.
    pub first_digits: [u64; 9],
    pub benford_chi2: f64,
    /// `None` below the minimum number of trades.
    pub benford_ok: Option<bool>,
    /// The round size tested (a multiple of this many base units), and trades at it.
    pub round_unit: u64,
    pub round_trades: u64,
    /// Share of round trades expected without clustering (bps).
    pub round_expected_bps: u64,
    pub round_z: f64,
    pub round_clustering: Option<bool>,
}

/// One market's running counts for one day.
#[derive(Clone, Debug, Default)]
pub struct DayCounts {
    pub day: u64,
    pub trades: u64,
    pub first_digits: [u64; 9],
    pub round_trades: u64,
}

pub fn first_digit(mut x: u64) -> Option<usize> {
    if x == 0 {
        return None;
    }
    while x >= 10 {
        x /= 10;
    }
    Some(x as usize)
}

impl DayCounts {
    pub fn add(&mut self, qty: u64, round_unit: u64) {
        self.trades += 1;
        if let Some(d) = first_digit(qty) {
            self.first_digits[d - 1] += 1;
        }
        if round_unit > 0 && qty.is_multiple_of(round_unit) {
            self.round_trades += 1;
        }
    }

    /// The report, judged when at least `min_trades` traded. `qty_step` is the market's size
    /// grid: without clustering a size is a multiple of `round_unit` with chance step/unit.
    pub fn report(&self, symbol: &str, round_unit: u64, qty_step: u64, min_trades: usize, chi2_reject: f64) -> TapeAudit {
        let n = self.trades as f64;
        let digits_total: u64 = self.first_digits.iter().sum();
        let mut chi2 = 0.0;
        for (i, &observed) in self.first_digits.iter().enumerate() {
            let expected = BENFORD[i] * digits_total as f64;
            if expected > 0.0 {
                let d = observed as f64 - expected;
                chi2 += d * d / expected;
            }
        }
        let p = if round_unit == 0 { 0.0 } else { (qty_step.max(1) as f64 / round_unit as f64).min(1.0) };
        let expected_round = n * p;
        let sd = (n * p * (1.0 - p)).sqrt().max(1e-9);
        let z = (self.round_trades as f64 - expected_round) / sd;
        let judged = self.trades as usize >= min_trades;
        TapeAudit {
            symbol: symbol.to_string(),
            day: self.day,
            trades: self.trades,
            first_digits: self.first_digits,
            benford_chi2: chi2,
            benford_ok: judged.then_some(chi2 <= chi2_reject),
            round_unit,
            round_trades: self.round_trades,
            round_expected_bps: (p * 10_000.0) as u64,
            round_z: z,
            round_clustering: judged.then_some(z >= ROUND_Z_MIN),
        }
    }
}

/// The round size of a market: a hundredth of a base unit (0.01 BTC), or one step if coarser.
pub fn round_unit(qty_scale: u8, qty_step: u64) -> u64 {
    let hundredth = 10u64.pow(u32::from(qty_scale.saturating_sub(2)));
    hundredth.max(qty_step.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benford_sizes_pass_and_uniform_sizes_fail() {
        let mut benford = DayCounts::default();
        let mut uniform = DayCounts::default();
        // Sizes spread evenly in log scale follow Benford; sizes spread evenly do not.
        let mut x: u64 = 1_000_000;
        for i in 0..5_000u64 {
            x = x * 1_0023 / 1_0000;
            if x > 1_000_000_000 {
                x = 1_000_000;
            }
            benford.add(x, 1_000_000);
            uniform.add(1 + (i * 7_919) % 9_999, 1_000_000);
        }
        let b = benford.report("BTC_THB", 1_000_000, 1, 1_000, 20.09);
        let u = uniform.report("BTC_THB", 1_000_000, 1, 1_000, 20.09);
        assert_eq!(b.benford_ok, Some(true), "χ² {}", b.benford_chi2);
        assert_eq!(u.benford_ok, Some(false), "χ² {}", u.benford_chi2);
        assert_eq!(DayCounts::default().report("X", 1, 1, 1_000, 20.09).benford_ok, None);
    }

    #[test]
    fn round_sizes_cluster() {
        let mut human = DayCounts::default();
        for i in 0..2_000u64 {
            human.add(if i % 5 == 0 { 1_000_000 } else { 1_000_000 + 1 + i }, 1_000_000);
        }
        let r = human.report("BTC_THB", 1_000_000, 1, 1_000, 20.09);
        assert_eq!(r.round_clustering, Some(true));
        assert_eq!(first_digit(0), None);
        assert_eq!(first_digit(987), Some(9));
        assert_eq!(round_unit(8, 1), 1_000_000);
    }
}
