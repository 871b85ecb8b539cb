//! `--verify`: after the run, every acknowledged order is looked up with `order-info` to show
//! that no acknowledged order was lost. Lookups are paced per user (under the server's
//! 100/s), spread over the same connections and users as the run, and a 429 or 503 is
//! waited out (its `Retry-After`) and retried rather than counted against the order.

use crate::config::LoadgenConfig;
use crate::http::{Connection, Method, Target};
use crate::progress::Progress;
use crate::report::{outcome_rows, LatencySummary, MissingOrder, VerifyReport};
use crate::run::End;
use crate::sign::now_ms;
use crate::stats::{AckedOrder, Endpoint, Recorder};
use crate::workload::{build_request, parse_code, Routes, User};
use indicatif::ProgressBar;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Tries per order before it is counted as unchecked (each failure, 429 or 503 is one).
const MAX_ATTEMPTS: u8 = 8;
/// Missing orders listed by id in the report.
const MISSING_SAMPLE: usize = 20;
/// Consecutive failed connects after which a lane gives up and counts the rest unchecked.
const MAX_CONNECT_FAILURES: u32 = 20;
/// Wait before retrying a 429/503 that gave no `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

struct Pending {
    id: u64,
    buy: bool,
    attempts: u8,
}

struct VerifyUser {
    user: User,
    pending: VecDeque<Pending>,
    /// Not before this: the per-user pace, or a server's `Retry-After`.
    next_allowed: Instant,
}

#[derive(Default)]
struct Counts {
    verified: u64,
    missing: u64,
    unchecked: u64,
    retries: u64,
    missing_sample: Vec<MissingOrder>,
}

struct Shared {
    target: Target,
    routes: Arc<Routes>,
    recorder: Recorder,
    timeout: Duration,
    per_user_interval: Duration,
    bar: ProgressBar,
}

/// Looks up `acked` (every tracked acknowledged order); `acked_total` and `untracked` are what
/// the run counted beyond them.
pub(crate) async fn verify(
    config: &LoadgenConfig,
    target: &Target,
    routes: &Arc<Routes>,
    acked: Vec<AckedOrder>,
    acked_total: u64,
    untracked: u64,
    progress: Progress,
) -> VerifyReport {
    let started = Instant::now();
    let lanes = config.effective_connections();
    let tracked = acked.len() as u64;
    let mut by_user: Vec<VecDeque<Pending>> = (0..config.users).map(|_| VecDeque::new()).collect();
    for order in acked {
        if let Some(queue) = by_user.get_mut(order.user as usize) {
            queue.push_back(Pending { id: order.id, buy: order.buy, attempts: 0 });
        }
    }
    let shared = Arc::new(Shared {
        target: target.clone(),
        routes: Arc::clone(routes),
        recorder: Recorder::new(0),
        timeout: Duration::from_millis(config.timeout_ms),
        per_user_interval: Duration::from_secs_f64(1.0 / config.verify_rate_per_user_per_s as f64),
        bar: progress.bar(tracked, "verify"),
    });
    let mut lane_users: Vec<Vec<VerifyUser>> = (0..lanes).map(|_| Vec::new()).collect();
    let now = Instant::now();
    for (index, pending) in by_user.into_iter().enumerate() {
        if !pending.is_empty() {
            lane_users[index % lanes as usize].push(VerifyUser { user: User::demo(index as u32), pending, next_allowed: now });
        }
    }
    let mut tasks = JoinSet::new();
    for users in lane_users.into_iter().filter(|u| !u.is_empty()) {
        tasks.spawn(verify_lane(Arc::clone(&shared), users));
    }
    let mut counts = Counts::default();
    while let Some(joined) = tasks.join_next().await {
        // A lane that panicked leaves its orders neither verified nor missing: they show up
        // as the difference, and the unchecked count below covers them.
        if let Ok(c) = joined {
            counts.verified += c.verified;
            counts.missing += c.missing;
            counts.unchecked += c.unchecked;
            counts.retries += c.retries;
            let room = MISSING_SAMPLE.saturating_sub(counts.missing_sample.len());
            counts.missing_sample.extend(c.missing_sample.into_iter().take(room));
        }
    }
    shared.bar.finish_and_clear();
    let accounted = counts.verified + counts.missing + counts.unchecked;
    let tallies = shared.recorder.take();
    VerifyReport {
        acked: acked_total,
        verified: counts.verified,
        missing: counts.missing,
        unchecked: counts.unchecked + tracked.saturating_sub(accounted),
        untracked,
        missing_sample: counts.missing_sample,
        retries: counts.retries,
        lookup_latency_us: LatencySummary::of(&tallies.latency_us[Endpoint::OrderInfo.index()]),
        outcomes: outcome_rows(&tallies.outcomes),
        elapsed_s: started.elapsed().as_secs_f64(),
    }
}

async fn verify_lane(shared: Arc<Shared>, mut users: Vec<VerifyUser>) -> Counts {
    let mut counts = Counts::default();
    let mut failures = 0;
    while users.iter().any(|u| !u.pending.is_empty()) {
        let mut connection = match Connection::open(&shared.target, shared.timeout).await {
            Ok(c) => {
                failures = 0;
                c
            }
            Err(_) => {
                failures += 1;
                if failures >= MAX_CONNECT_FAILURES {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if lookups(&shared, &mut users, &mut counts, &mut connection).await == End::Done {
            break;
        }
    }
    let left: u64 = users.iter().map(|u| u.pending.len() as u64).sum();
    counts.unchecked += left;
    shared.bar.inc(left);
    counts
}

/// Looks up orders on one connection until none are left or the connection fails.
async fn lookups(shared: &Shared, users: &mut [VerifyUser], counts: &mut Counts, connection: &mut Connection) -> End {
    loop {
        // The user whose turn comes first; users are few per connection, a scan is enough.
        let Some(slot) = (0..users.len()).filter(|&i| !users[i].pending.is_empty()).min_by_key(|&i| users[i].next_allowed) else {
            return End::Done;
        };
        let u = &mut users[slot];
        if u.next_allowed > Instant::now() {
            tokio::time::sleep_until(u.next_allowed.into()).await;
        }
        // Checked after the wait, right before sending: a connection closed while idle costs
        // no attempt.
        if !connection.is_usable() {
            return End::Broken;
        }
        let order = u.pending.front_mut().expect("chosen for having pending orders");
        let target = shared.routes.order_info(order.id, order.buy);
        build_request(connection.request_buf(), &shared.routes, Some(&u.user), Method::Get, &target, b"", now_ms());
        let sent_at = Instant::now();
        u.next_allowed = sent_at + shared.per_user_interval;
        order.attempts += 1;
        let reply = match connection.exchange().await {
            Ok(reply) => reply,
            Err(error) => {
                shared.recorder.failed(Endpoint::OrderInfo, error.transport(), 0);
                give_up_if_exhausted(shared, u, counts);
                return End::Broken;
            }
        };
        let latency_us = sent_at.elapsed().as_micros() as u64;
        let status = reply.status;
        let code = parse_code(reply.body);
        shared.recorder.answered(Endpoint::OrderInfo, status, code, latency_us, 0, None);
        let order = u.pending.front().expect("still there");
        match (status, code) {
            (429 | 503, _) => {
                // Refused before looking: wait as told, then ask again.
                counts.retries += 1;
                let wait = reply.retry_after_s.map_or(DEFAULT_RETRY_AFTER, Duration::from_secs);
                u.next_allowed = u.next_allowed.max(Instant::now() + wait);
                give_up_if_exhausted(shared, u, counts);
            }
            (200..=299, Some(0)) => {
                counts.verified += 1;
                u.pending.pop_front();
                shared.bar.inc(1);
            }
            (200, Some(21 | 24)) => {
                counts.missing += 1;
                if counts.missing_sample.len() < MISSING_SAMPLE {
                    counts.missing_sample.push(MissingOrder { user: u.user.index, id: order.id, side: if order.buy { "buy" } else { "sell" } });
                }
                u.pending.pop_front();
                shared.bar.inc(1);
            }
            _ => give_up_if_exhausted(shared, u, counts),
        }
    }
}

/// Counts the user's current order as unchecked once it has used all its attempts.
fn give_up_if_exhausted(shared: &Shared, u: &mut VerifyUser, counts: &mut Counts) {
    if u.pending.front().is_some_and(|o| o.attempts >= MAX_ATTEMPTS) {
        u.pending.pop_front();
        counts.unchecked += 1;
        shared.bar.inc(1);
    }
}
