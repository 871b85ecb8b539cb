//! Attempts per client address and per (address, email) pair (governor): logins per minute,
//! sign-ups per hour; and, per email, a delay that grows with consecutive failed logins.
//! Nothing is limited per email alone: a stranger who knows an address could otherwise lock
//! its owner out. Keys are bounded: the maps are pruned of idle keys once they pass a size.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Past this many keys, idle ones are dropped before the next check.
const PRUNE_AT: usize = 100_000;

pub struct LoginLimits {
    ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Keyed by "address email": one address's guesses at one account.
    email: DefaultKeyedRateLimiter<String>,
    failures: Mutex<HashMap<String, (u32, u64)>>,
}

/// Failed logins for an email that cost nothing; each one after doubles the wait (from 250 ms,
/// at most 8 s), and a success or a quiet quarter of an hour starts over.
pub const FREE_FAILURES: u32 = 5;
pub const FIRST_DELAY_MS: u64 = 250;
pub const MAX_DELAY_MS: u64 = 8_000;
pub const FAILURES_FORGOTTEN_MS: u64 = 15 * 60 * 1000;

impl LoginLimits {
    pub fn new(per_ip_per_min: u32, per_email_per_min: u32) -> LoginLimits {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        LoginLimits { ip: RateLimiter::keyed(quota(per_ip_per_min)), email: RateLimiter::keyed(quota(per_email_per_min)), failures: Mutex::default() }
    }

    /// The same limits counted per hour (sign-ups).
    pub fn per_hour(per_ip_per_hour: u32, per_email_per_hour: u32) -> LoginLimits {
        let quota = |n: u32| Quota::per_hour(NonZeroU32::new(n.max(1)).expect("at least 1"));
        LoginLimits { ip: RateLimiter::keyed(quota(per_ip_per_hour)), email: RateLimiter::keyed(quota(per_email_per_hour)), failures: Mutex::default() }
    }

    /// How long a login for `email` waits before it is checked, after its recent failures.
    pub fn delay(&self, email: &str, now_ms: u64) -> Duration {
        let failures = self.failures.lock();
        let Some(&(count, last_ms)) = failures.get(email) else { return Duration::ZERO };
        if now_ms.saturating_sub(last_ms) > FAILURES_FORGOTTEN_MS || count <= FREE_FAILURES {
            return Duration::ZERO;
        }
        let doublings = (count - FREE_FAILURES - 1).min(16);
        Duration::from_millis((FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS))
    }

    /// Records the outcome of a checked login for `email`.
    pub fn record(&self, email: &str, succeeded: bool, now_ms: u64) {
        let mut failures = self.failures.lock();
        if succeeded {
            failures.remove(email);
            return;
        }
        if failures.len() > PRUNE_AT {
            failures.retain(|_, (_, last)| now_ms.saturating_sub(*last) <= FAILURES_FORGOTTEN_MS);
        }
        let entry = failures.entry(email.to_string()).or_insert((0, now_ms));
        if now_ms.saturating_sub(entry.1) > FAILURES_FORGOTTEN_MS {
            entry.0 = 0;
        }
        *entry = (entry.0.saturating_add(1), now_ms);
    }

    /// Spends one attempt of the address and of the (address, email) pair; false when either
    /// is used up.
    pub fn allow(&self, ip: IpAddr, email: &str) -> bool {
        if self.ip.len() > PRUNE_AT {
            self.ip.retain_recent();
        }
        if self.email.len() > PRUNE_AT {
            self.email.retain_recent();
        }
        let ip_ok = self.ip.check_key(&ip).is_ok();
        let email_ok = self.email.check_key(&format!("{ip} {email}")).is_ok();
        ip_ok && email_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_from_one_address_do_not_lock_out_another_and_failures_slow_down() {
        let l = LoginLimits::new(100, 3);
        let (attacker, owner): (IpAddr, IpAddr) = ("10.0.0.9".parse().unwrap(), "10.0.0.1".parse().unwrap());
        for _ in 0..3 {
            assert!(l.allow(attacker, "somchai@example.com"));
        }
        assert!(!l.allow(attacker, "somchai@example.com"), "the attacker's address is limited for this account");
        assert!(l.allow(owner, "somchai@example.com"), "the owner, from elsewhere, is not");
        // Failures slow every attempt down, progressively, but never shut the door.
        let ms = |d: Duration| d.as_millis() as u64;
        for _ in 0..FREE_FAILURES {
            l.record("somchai@example.com", false, 1_000);
        }
        assert_eq!(ms(l.delay("somchai@example.com", 1_000)), 0);
        let delays: Vec<u64> = (0..8)
            .map(|_| {
                l.record("somchai@example.com", false, 1_000);
                ms(l.delay("somchai@example.com", 1_000))
            })
            .collect();
        assert_eq!(delays, [250, 500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
        assert_eq!(ms(l.delay("somchai@example.com", 1_000 + FAILURES_FORGOTTEN_MS + 1)), 0, "forgotten after a quiet while");
        l.record("somchai@example.com", true, 2_000);
        assert_eq!(ms(l.delay("somchai@example.com", 2_000)), 0, "a success starts over");
    }
}
