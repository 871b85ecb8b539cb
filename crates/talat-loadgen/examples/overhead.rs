//! The generator's own cost: runs it against a trivial HTTP server (in a child process, so
//! the CPU time measured is the generator's alone) that answers every request at once —
//! `{"error":0,"result":{}}`, with an id for places — and prints the rate reached and the CPU
//! each request cost.
//!
//! ```text
//! cargo run --release -p talat-loadgen --example overhead -- [--rate 200000] [--duration 5]
//!     [--connections 64] [--threads 1] [--server-threads 1] [--mix place=70,cancel=20,read=10]
//!     [--timer-resolution-us 250]
//! ```
//!
//! Ask for more than can be reached: the answered rate is then the maximum of generator and
//! server together, and `1e6 / cpu µs per request` what one generator core could send if the
//! server cost nothing.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use talat_loadgen::{LoadgenConfig, Progress};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if args.first().map(String::as_str) == Some("serve") {
        serve(flag("--threads").map_or(1, |t| t.parse().expect("--threads")));
        return;
    }

    let server_threads = flag("--server-threads").unwrap_or_else(|| "1".into());
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .args(["serve", "--threads", &server_threads])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the trivial server");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().expect("piped")).read_line(&mut line).expect("the server's address");
    let addr = line.trim().to_string();

    let config = LoadgenConfig {
        url: format!("http://{addr}"),
        rate_per_s: flag("--rate").map_or(200_000.0, |r| r.parse().expect("--rate")),
        duration_s: flag("--duration").map_or(5.0, |d| d.parse().expect("--duration")),
        connections: flag("--connections").map_or(64, |c| c.parse().expect("--connections")),
        threads: flag("--threads").map_or(1, |t| t.parse().expect("--threads")),
        mix: flag("--mix").map_or(LoadgenConfig::default().mix, |m| m.parse().expect("--mix")),
        timer_resolution_us: flag("--timer-resolution-us").map_or(LoadgenConfig::default().timer_resolution_us, |t| t.parse().expect("--timer-resolution-us")),
        max_backlog: 1_000_000,
        ..LoadgenConfig::default()
    };
    let result = talat_loadgen::run_blocking(config, Progress::Auto);
    let server_cpu_s = process_cpu_s(child.id());
    // Closing its stdin ends the server; wait for it rather than leave it behind.
    drop(child.stdin.take());
    let _ = child.wait();
    let report = result.expect("the run completes");
    print!("{report}");
    let t = &report.totals;
    let cpu = report.generator.cpu_us_per_request.unwrap_or(f64::NAN);
    println!(
        "\nOVERHEAD threads={} connections={} answered={:.0}/s cpu={:.2}µs/request → one generator core ≈ {:.0} req/s if the server cost nothing; not sent (backlog) {}",
        report.generator.threads,
        report.generator.connections,
        t.answered_per_s,
        cpu,
        1e6 / cpu,
        t.not_sent_generator_backlog
    );
    // The server's side of the floor: what answering costs with no work behind it.
    if let (Some(cpu_s), true) = (server_cpu_s, t.answered > 0) {
        println!(
            "SERVER cpu={:.2}µs/request ({:.2} cores at {:.0} answered/s), the bare HTTP path's cost on this machine",
            cpu_s * 1e6 / t.answered as f64,
            cpu_s * t.answered_per_s / t.answered as f64,
            t.answered_per_s
        );
    }
}

/// User plus system CPU seconds a process has used (Linux `/proc/<pid>/stat`), if readable.
fn process_cpu_s(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let ticks_per_s = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (ticks_per_s > 0).then(|| ticks as f64 / ticks_per_s as f64)
}

/// The trivial server: answers at once, ids for places, nothing checked.
fn serve(threads: usize) {
    let runtime = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()
    }
    .expect("runtime");
    // The parent closes our stdin when it is done (or dies): exit then.
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("{}", listener.local_addr().expect("address"));
        let next_id = Arc::new(AtomicU64::new(0));
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            let _ = stream.set_nodelay(true);
            let next_id = Arc::clone(&next_id);
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let next_id = Arc::clone(&next_id);
                    async move { Ok::<_, std::convert::Infallible>(Response::new(Full::new(answer(request.uri().path(), &next_id)))) }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
}

fn answer(path: &str, next_id: &AtomicU64) -> Bytes {
    match path {
        "/api/v3/market/symbols" => Bytes::from_static(
            br#"{"error":0,"result":[{"symbol":"BTC_THB","price_step":"0.01","price_scale":2,"quantity_step":"0.00000001","base_asset_scale":8,"quote_asset_scale":2,"min_quote_size":10}]}"#,
        ),
        "/api/v3/market/ticker" => Bytes::from_static(br#"[{"symbol":"BTC_THB","last":"3500000","highest_bid":"3499999","lowest_ask":"3500001"}]"#),
        "/api/v3/market/place-bid" | "/api/v3/market/place-ask" => {
            let id = next_id.fetch_add(1, Ordering::Relaxed) + 1;
            Bytes::from(format!(r#"{{"error":0,"result":{{"id":"{id}"}}}}"#))
        }
        _ => Bytes::from_static(br#"{"error":0,"result":{}}"#),
    }
}
