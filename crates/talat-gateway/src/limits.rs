//! Rate limits (reference §14): per user and endpoint for signed calls, per IP for public ones.
//! Over the limit, the caller is blocked for `rate_block_s` and gets 429 `{"error":30}`.
//!
//! Token buckets come from `governor` (GCRA); the block is kept beside them. Memory is bounded:
//! entries of idle callers are swept by [`RateLimits::sweep`], and the number of tracked callers
//! is capped (a flood of fresh IPs cannot grow it without end).

use crate::error::ApiError;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// The endpoint classes of the reference's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Ticker,
    Depth,
    Symbols,
    Trades,
    Bids,
    Asks,
    OrderInfo,
    MyOpenOrders,
    MyOrderHistory,
    PlaceBid,
    PlaceAsk,
    CancelOrder,
    Balances,
    Wallet,
    ServerTime,
    Status,
    Fiat,
    User,
    TradingView,
    Crypto,
    /// talat's own additions (amend, cancel-all, …): the place-order budget.
    Extension,
}

impl Endpoint {
    /// (requests, per seconds) from the reference's table.
    pub fn quota(self) -> (u32, u64) {
        use Endpoint::*;
        match self {
            Ticker | Symbols | Trades | Bids | Asks | OrderInfo | MyOrderHistory | Status | TradingView => (100, 1),
            Depth => (10, 1),
            MyOpenOrders | PlaceBid | PlaceAsk | Balances | Wallet | Extension => (150, 1),
            CancelOrder => (200, 1),
            ServerTime => (2_000, 10),
            Fiat | User => (20, 1),
            Crypto => (250, 10),
        }
    }

    fn index(self) -> u8 {
        self as u8
    }
}

/// Who is counted: a user (signed calls) or an address (public ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Caller {
    User(u32),
    Ip(IpAddr),
}

/// Most callers tracked for blocks; beyond it the oldest blocks are dropped first.
const BLOCKED_MAX: usize = 100_000;

pub struct RateLimits {
    enabled: bool,
    block: Duration,
    limiters: FxHashMap<u8, DefaultKeyedRateLimiter<Caller>>,
    public_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Read on every request, written only when someone is blocked or unblocked.
    blocked: RwLock<FxHashMap<(Caller, u8), Instant>>,
}

impl RateLimits {
    pub fn new(enabled: bool, block_s: u32, public_per_ip_per_s: u32) -> RateLimits {
        use Endpoint::*;
        let all = [
            Ticker,
            Depth,
            Symbols,
            Trades,
            Bids,
            Asks,
            OrderInfo,
            MyOpenOrders,
            MyOrderHistory,
            PlaceBid,
            PlaceAsk,
            CancelOrder,
            Balances,
            Wallet,
            ServerTime,
            Status,
            Fiat,
            User,
            TradingView,
            Crypto,
            Extension,
        ];
        let limiters = all
            .into_iter()
            .map(|e| {
                let (n, per_s) = e.quota();
                let n = NonZeroU32::new(n).expect("quotas are positive");
                let quota = Quota::with_period(Duration::from_secs(per_s) / n.get()).expect("positive period").allow_burst(n);
                (e.index(), RateLimiter::keyed(quota))
            })
            .collect();
        let per_ip = NonZeroU32::new(public_per_ip_per_s.max(1)).expect("positive");
        RateLimits {
            enabled,
            block: Duration::from_secs(block_s as u64),
            limiters,
            public_per_ip: RateLimiter::keyed(Quota::per_second(per_ip)),
            blocked: RwLock::new(FxHashMap::default()),
        }
    }

    /// Counts one request; refuses it if the caller is blocked or over the endpoint's limit.
    pub fn check(&self, caller: Caller, endpoint: Endpoint) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let key = (caller, endpoint.index());
        let now = Instant::now();
        let until = self.blocked.read().get(&key).copied();
        if let Some(until) = until {
            if until > now {
                return Err(ApiError::rate_limited(remaining_s(until - now)));
            }
            self.blocked.write().remove(&key);
        }
        let over_endpoint = self.limiters[&endpoint.index()].check_key(&caller).is_err();
        let over_ip = match caller {
            Caller::Ip(ip) => self.public_per_ip.check_key(&ip).is_err(),
            Caller::User(_) => false,
        };
        if over_endpoint || over_ip {
            let mut blocked = self.blocked.write();
            if blocked.len() >= BLOCKED_MAX {
                blocked.retain(|_, until| *until > now);
            }
            if blocked.len() < BLOCKED_MAX {
                blocked.insert(key, now + self.block);
            }
            metrics::counter!("talat_api_rate_limited_total").increment(1);
            return Err(ApiError::rate_limited(remaining_s(self.block)));
        }
        Ok(())
    }

    /// Forgets idle callers (run every few seconds).
    pub fn sweep(&self) {
        for limiter in self.limiters.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.public_per_ip.retain_recent();
        self.public_per_ip.shrink_to_fit();
        let instant = Instant::now();
        self.blocked.write().retain(|_, until| *until > instant);
    }
}

fn remaining_s(d: Duration) -> u32 {
    d.as_secs().max(1).min(u32::MAX as u64) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limit_blocks_for_the_block_time() {
        let limits = RateLimits::new(true, 30, 1_000);
        let caller = Caller::User(7);
        // Depth allows 10 a second.
        for _ in 0..10 {
            limits.check(caller, Endpoint::Depth).unwrap();
        }
        let refused = limits.check(caller, Endpoint::Depth).unwrap_err();
        assert_eq!(refused.code, 30);
        assert_eq!(refused.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.retry_after_s, Some(30));
        // Blocked, not just over: still refused; other endpoints and users are unaffected.
        assert!(limits.check(caller, Endpoint::Depth).is_err());
        limits.check(caller, Endpoint::Ticker).unwrap();
        limits.check(Caller::User(8), Endpoint::Depth).unwrap();
    }

    #[test]
    fn disabled_limits_let_everything_through() {
        let limits = RateLimits::new(false, 30, 1);
        for _ in 0..1_000 {
            limits.check(Caller::User(1), Endpoint::Depth).unwrap();
        }
    }
}
