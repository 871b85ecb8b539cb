//! Attempts per client address and per email (governor): logins per minute, sign-ups per hour.
//! Keys are bounded: the maps are pruned of idle keys once they pass a size.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Past this many keys, idle ones are dropped before the next check.
const PRUNE_AT: usize = 100_000;

pub struct LoginLimits {
    ip: DefaultKeyedRateLimiter<IpAddr>,
    email: DefaultKeyedRateLimiter<String>,
}

impl LoginLimits {
    pub fn new(per_ip_per_min: u32, per_email_per_min: u32) -> LoginLimits {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"));
        LoginLimits { ip: RateLimiter::keyed(quota(per_ip_per_min)), email: RateLimiter::keyed(quota(per_email_per_min)) }
    }

    /// The same limits counted per hour (sign-ups).
    pub fn per_hour(per_ip_per_hour: u32, per_email_per_hour: u32) -> LoginLimits {
        let quota = |n: u32| Quota::per_hour(NonZeroU32::new(n.max(1)).expect("at least 1"));
        LoginLimits { ip: RateLimiter::keyed(quota(per_ip_per_hour)), email: RateLimiter::keyed(quota(per_email_per_hour)) }
    }

    /// Spends one attempt of the address and of the email; false when either is used up.
    pub fn allow(&self, ip: IpAddr, email: &str) -> bool {
        if self.ip.len() > PRUNE_AT {
            self.ip.retain_recent();
        }
        if self.email.len() > PRUNE_AT {
            self.email.retain_recent();
        }
        let ip_ok = self.ip.check_key(&ip).is_ok();
        let email_ok = self.email.check_key(&email.to_string()).is_ok();
        ip_ok && email_ok
    }
}
