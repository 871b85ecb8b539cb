//! A small seeded generator (SplitMix64): the same scenario from the same seed on every run.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no value");
        self.next_u64() % n
    }

    /// True with probability `per_thousand` / 1000.
    pub fn chance(&mut self, per_thousand: u64) -> bool {
        self.below(1_000) < per_thousand
    }

    /// Spread evenly in log scale over `[lo, hi]` (the generator's sizes, not money it moves:
    /// the float only draws a number).
    pub fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(0 < lo && lo <= hi, "log_uniform needs 0 < lo <= hi");
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let x = lo as f64 * (hi as f64 / lo as f64).powf(u);
        (x as u64).clamp(lo, hi)
    }
}
