//! The measured run: discovery and a credentials check, then one task per connection walking
//! its lane of the open-loop timeline, then the report (and `--verify`).

use crate::config::LoadgenConfig;
use crate::http::{self, Connection, Method, Target};
use crate::market::Market;
use crate::progress::Progress;
use crate::report::{endpoint_rows, outcome_rows, GeneratorReport, LatencySummary, Report, Totals};
use crate::schedule::{Lane, Next};
use crate::sign::now_ms;
use crate::stats::{Live, Recorder};
use crate::timer::{LaneTimer, TimerHub};
use crate::workload::{build_request, parse_code, Routes, User, Workload};
use crate::LoadgenError;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// The run starts this long after the connections are up, so the first slots are not late
/// because tasks were still being spawned.
const START_DELAY: Duration = Duration::from_millis(20);
/// Wait between attempts to reconnect a lane whose server went away.
const RECONNECT_BACKOFF: Duration = Duration::from_millis(50);

/// What every lane of the run shares.
struct RunShared {
    recorder: Recorder,
    target: Target,
    start: Instant,
    /// Slots still unsent this long after the schedule's end are dropped (counted as
    /// backlog): a server that stopped answering cannot stretch the run without end.
    stop_sending_at: Instant,
    timeout: Duration,
    timer_resolution: Duration,
}

/// How a lane's time on one connection ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Nothing left to do.
    Done,
    /// The connection failed; reconnect and go on.
    Broken,
}

/// Runs the load described by `config` against its `--url` and returns the report. Runs on the
/// caller's tokio runtime (`config.threads` is [`run_blocking`]'s business).
pub async fn run(config: LoadgenConfig, progress: Progress) -> Result<Report, LoadgenError> {
    config.validate()?;
    let target = Target::resolve(&config.url).await?;
    let timeout = Duration::from_millis(config.timeout_ms);

    let symbols = http::get_json(&target, "/api/v3/market/symbols", timeout).await?;
    let ticker = http::get_json(&target, &format!("/api/v3/market/ticker?sym={}", config.symbol), timeout).await?;
    let market = Arc::new(Market::discover(&symbols, &ticker, &config.symbol, config.reference_price.as_deref())?);
    let routes = Arc::new(Routes::new(&target.host, &market.symbol));
    check_credentials(&target, &routes, &config, timeout).await?;

    let lanes = config.effective_connections();
    let mut connections = Vec::with_capacity(lanes as usize);
    for _ in 0..lanes {
        let connection = Connection::open(&target, timeout).await.map_err(|e| LoadgenError::Connect(format!("{}: {e}", target.addr)))?;
        connections.push(connection);
    }

    let total = config.scheduled_requests();
    let backlog_per_lane = config.max_backlog.div_ceil(lanes as u64).max(1);
    let tracked = if config.verify { config.max_tracked_orders } else { 0 };
    let cpu_before = cpu_seconds();
    let start = Instant::now() + START_DELAY;
    let shared = Arc::new(RunShared {
        recorder: Recorder::new(tracked),
        target: target.clone(),
        start,
        stop_sending_at: start + Duration::from_secs_f64(config.duration_s) + timeout,
        timeout,
        timer_resolution: Duration::from_micros(config.timer_resolution_us.into()),
    });
    let timers = TimerHub::new(shared.start, shared.timer_resolution);
    let mut tasks = JoinSet::new();
    for (lane_index, connection) in connections.into_iter().enumerate() {
        let lane = Lane::new(config.rate_per_s, total, lanes as u64, lane_index as u64, backlog_per_lane);
        let work = Workload::new(&config, lanes, lane_index as u32, Arc::clone(&market), Arc::clone(&routes));
        tasks.spawn(lane_task(Arc::clone(&shared), lane, work, timers.lane(), connection));
    }

    let bar = progress.bar(total, "load");
    let bar_task = {
        let (shared, bar) = (Arc::clone(&shared), bar.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let live = &shared.recorder.live;
                let done = Live::get(&live.sent) + Live::get(&live.not_sent_backlog) + Live::get(&live.not_sent_no_connection);
                let elapsed_s = shared.start.elapsed().as_secs_f64().max(1e-3);
                bar.set_position(done);
                bar.set_message(format!(
                    "{:.0} answered/s, {} errors",
                    Live::get(&live.answered) as f64 / elapsed_s,
                    Live::get(&live.answered) - Live::get(&live.ok) + Live::get(&live.transport_errors)
                ));
            }
        })
    };

    // Lanes stop sending at `stop_sending_at` and every request ends within the timeout, so
    // this deadline only guards against a generator bug hanging the command.
    let deadline = shared.stop_sending_at + 2 * timeout + Duration::from_secs(5);
    let mut warnings = config.rate_warnings();
    let mut panicked = None;
    loop {
        match tokio::time::timeout_at(deadline.into(), tasks.join_next()).await {
            Ok(None) => break,
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => panicked = Some(e.to_string()),
            Err(_) => {
                warnings.push(format!("{} connection(s) had not finished by the deadline and were stopped", tasks.len()));
                tasks.abort_all();
                while tasks.join_next().await.is_some() {}
                break;
            }
        }
    }
    let elapsed_s = shared.start.elapsed().as_secs_f64();
    drop(timers);
    bar_task.abort();
    bar.finish_and_clear();
    if let Some(e) = panicked {
        return Err(LoadgenError::Runtime(format!("a connection task failed: {e}")));
    }
    let cpu_s = cpu_seconds().zip(cpu_before).map(|(after, before)| after - before);

    let live = &shared.recorder.live;
    let tallies = shared.recorder.take();
    let count_status = |status: u16| tallies.outcomes.iter().filter(|(k, _)| k.http_status == status).map(|(_, n)| n).sum::<u64>();
    let per_s = |n: u64| if elapsed_s > 0.0 { n as f64 / elapsed_s } else { 0.0 };
    let (sent, answered, ok) = (Live::get(&live.sent), Live::get(&live.answered), Live::get(&live.ok));
    let acked_places = Live::get(&live.acked_places);
    let totals = Totals {
        scheduled: total,
        sent,
        answered,
        ok,
        errors: answered - ok,
        transport_errors: Live::get(&live.transport_errors),
        not_sent_generator_backlog: Live::get(&live.not_sent_backlog),
        not_sent_no_connection: Live::get(&live.not_sent_no_connection),
        acked_places,
        shed_503: count_status(503),
        rate_limited_429: count_status(429),
        cancels_replaced_by_place: Live::get(&live.cancels_replaced_by_place),
        reconnects: Live::get(&live.reconnects),
        connect_failures: Live::get(&live.connect_failures),
        elapsed_s,
        answered_per_s: per_s(answered),
        ok_per_s: per_s(ok),
        acked_places_per_s: per_s(acked_places),
    };
    if totals.not_sent_generator_backlog > 0 {
        warnings.push(format!(
            "{} requests were not sent because the connections fell more than --max-backlog behind the schedule: \
             the server (or the generator) did not keep up with {} req/s",
            totals.not_sent_generator_backlog, config.rate_per_s
        ));
    }

    let verify = if config.verify {
        let untracked = tallies.untracked + Live::get(&live.acked_without_numeric_id);
        Some(crate::verify::verify(&config, &target, &routes, tallies.acked.clone(), acked_places, untracked, progress).await)
    } else {
        None
    };

    Ok(Report {
        market: market.summary(),
        totals,
        endpoints: endpoint_rows(&tallies),
        send_lag_us: LatencySummary::of(&tallies.send_lag_us),
        outcomes: outcome_rows(&tallies.outcomes),
        generator: GeneratorReport {
            threads: config.threads,
            connections: lanes,
            cpu_s,
            cpu_us_per_request: cpu_s.filter(|_| sent > 0).map(|s| s * 1e6 / sent as f64),
        },
        verify,
        warnings,
        config,
    })
}

/// Builds a tokio runtime with `config.threads` workers (a current-thread runtime for 1) and
/// runs [`run`] on it. For callers without a runtime of their own, like the CLI.
pub fn run_blocking(config: LoadgenConfig, progress: Progress) -> Result<Report, LoadgenError> {
    config.validate()?;
    let runtime = if config.threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(config.threads as usize).enable_all().build()
    }
    .map_err(|e| LoadgenError::Runtime(e.to_string()))?;
    runtime.block_on(run(config, progress))
}

/// Signs one balances request as the first and the last load user, so that a server that
/// does not know the demo credentials (or has fewer load users than `--users`) is reported
/// before the run, not as a run full of error 3.
async fn check_credentials(target: &Target, routes: &Routes, config: &LoadgenConfig, timeout: Duration) -> Result<(), LoadgenError> {
    let mut indexes = vec![0];
    if config.users > 1 {
        indexes.push(config.users - 1);
    }
    let open = || async { Connection::open(target, timeout).await.map_err(|e| LoadgenError::Connect(format!("{}: {e}", target.addr))) };
    let mut connection = open().await?;
    for index in indexes {
        // The server may close after an answer, even one that passed.
        if !connection.is_usable() {
            connection = open().await?;
        }
        let user = User::demo(index);
        let request = connection.request_buf();
        build_request(request, routes, Some(&user), Method::Post, "/api/v3/market/balances", b"{}", now_ms());
        let reply = connection.exchange().await.map_err(|e| LoadgenError::Connect(format!("balances check: {e}")))?;
        let code = parse_code(reply.body);
        if reply.status != 200 || code != Some(0) {
            let hint = if code == Some(3) {
                format!(": the server does not know load user {index}; start `talat serve` in demo mode with at least {} load users", config.users)
            } else {
                String::new()
            };
            return Err(LoadgenError::Credentials(format!(
                "load user {index}: balances answered HTTP {} {}{hint}",
                reply.status,
                String::from_utf8_lossy(reply.body)
            )));
        }
    }
    Ok(())
}

/// One connection's lane: reconnects when the connection fails, until every slot is sent
/// or dropped.
async fn lane_task(shared: Arc<RunShared>, mut lane: Lane, mut work: Workload, mut timer: LaneTimer, first: Connection) {
    timer.sleep_until(shared.start).await;
    let live = &shared.recorder.live;
    let mut connection = Some(first);
    loop {
        let mut connection = match connection.take() {
            Some(c) => c,
            None => match Connection::open(&shared.target, shared.timeout).await {
                Ok(c) => {
                    Live::add(&live.reconnects, 1);
                    c
                }
                Err(_) => {
                    Live::add(&live.connect_failures, 1);
                    // Slots that fall due without a connection are not sent, not queued.
                    Live::add(&live.not_sent_no_connection, lane.drop_due(elapsed_ns(shared.start)));
                    if lane.remaining() == 0 {
                        return;
                    }
                    tokio::time::sleep(RECONNECT_BACKOFF).await;
                    continue;
                }
            },
        };
        if drive(&shared, &mut lane, &mut work, &mut timer, &mut connection).await == End::Done {
            return;
        }
    }
}

fn elapsed_ns(start: Instant) -> u64 {
    Instant::now().saturating_duration_since(start).as_nanos() as u64
}

/// Sends the lane's slots on one connection, one at a time, each when due.
async fn drive(shared: &RunShared, lane: &mut Lane, work: &mut Workload, timer: &mut LaneTimer, connection: &mut Connection) -> End {
    let recorder = &shared.recorder;
    let live = &recorder.live;
    loop {
        // Checked before taking a slot: a connection closed while idle costs no request.
        if !connection.is_usable() {
            return End::Broken;
        }
        // One clock read for both decisions: clock reads are a visible share of the
        // generator's own CPU.
        let now = Instant::now();
        let (next, dropped) = lane.next(now.saturating_duration_since(shared.start).as_nanos() as u64);
        Live::add(&live.not_sent_backlog, dropped);
        let intended = match next {
            Next::Done => return End::Done,
            Next::Wait { until_ns } => {
                timer.sleep_until(shared.start + Duration::from_nanos(until_ns)).await;
                continue;
            }
            Next::Send { .. } if now > shared.stop_sending_at => {
                Live::add(&live.not_sent_backlog, 1 + lane.drop_remaining());
                return End::Done;
            }
            Next::Send { intended_ns, .. } => shared.start + Duration::from_nanos(intended_ns),
        };
        let planned = work.plan(live);
        work.request(&planned, now_ms(), connection.request_buf());
        let sent_at = Instant::now();
        let lag_us = sent_at.saturating_duration_since(intended).as_micros() as u64;
        Live::add(&live.sent, 1);
        let endpoint = planned.endpoint();
        match connection.exchange().await {
            Ok(reply) => {
                let latency_us = Instant::now().saturating_duration_since(intended).as_micros() as u64;
                let (code, acked) = work.settle(&planned, Some((reply.status, reply.body)), live);
                recorder.answered(endpoint, reply.status, code, latency_us, lag_us, acked);
            }
            Err(error) => {
                let _ = work.settle(&planned, None, live);
                recorder.failed(endpoint, error.transport(), lag_us);
                // The connection's state is unknown after a failure or an abandoned answer.
                return End::Broken;
            }
        }
    }
}

/// User + system CPU seconds of this process.
#[cfg(unix)]
fn cpu_seconds() -> Option<f64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete rusage into the pointer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: initialised by the successful call above.
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

#[cfg(not(unix))]
fn cpu_seconds() -> Option<f64> {
    None
}
