//! The real crash test: the real `talat` binary (its sequencer driver) under load from a few
//! loopback clients is killed with SIGKILL at random moments. After every kill:
//! - every command acknowledged to a client is in the journal at the seq it was acknowledged
//!   with, with the same events (replayed in-process from the data directory);
//! - every invariant holds, every checkpoint and snapshot agrees (`talat verify` passes);
//! - the next start recovers (a kill can also land during recovery itself).
//!
//! TALAT_CRASH_ITERATIONS (default 20) sets the number of kills, TALAT_CRASH_SEED the seed.
//! No wall-clock figure is asserted; the timings only shape the load.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use talat::wire::{self, Reply, Request, Response};
use talat_core::{Command, Event};
use talat_sequencer::offline::{self, VerifyOptions};
use talat_sequencer::workload::{Rng, Workload, WorkloadConfig};
use talat_sequencer::Lane;

const CLIENTS: u64 = 2;
/// Requests a client sends before reading the answers.
const BURST: usize = 16;
/// Commands a client sends per life of the driver at most (keeps the journal small).
const PER_LIFE_MAX: usize = 400;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What a client was told: engine seq → (the command it sent, the events it got back).
type Acknowledged = Arc<Mutex<BTreeMap<u64, (Command, Vec<Event>)>>>;

fn spawn_driver(data: &Path) -> Child {
    Process::new(env!("CARGO_BIN_EXE_talat"))
        .args(["sequencer-driver", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0", "--checkpoint-every", "50", "--snapshot-every", "2000", "--segment-max-bytes", "65536", "--max-batch", "256"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the talat binary starts")
}

/// Waits for "listening on ADDR" on the driver's stdout.
fn wait_ready(child: &mut Child) -> Option<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(address) = line.strip_prefix("listening on ") {
                let _ = tx.send(address.to_string());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).ok()
}

/// One client: bursts of requests, then their answers, until the connection dies or it has
/// sent its share. Acknowledged answers are recorded; everything else is just counted.
fn client(address: String, workload: Arc<Mutex<Workload>>, acked: Acknowledged, stop: Arc<AtomicBool>) -> usize {
    let Ok(stream) = TcpStream::connect(&address) else {
        return 0;
    };
    stream.set_nodelay(true).ok();
    let mut input = BufReader::new(stream.try_clone().expect("clone socket"));
    let mut output = BufWriter::new(stream);
    let mut sent = 0;
    let mut id = 0u64;
    while sent < PER_LIFE_MAX && !stop.load(Ordering::Relaxed) {
        let burst: Vec<Command> = {
            let mut workload = workload.lock().unwrap();
            (0..BURST).map(|_| workload.next_command()).collect()
        };
        for command in &burst {
            id += 1;
            let request = Request { id, lane: Lane::of(command).index() as u8, command: command.clone() };
            if wire::write_frame(&mut output, &request, wire::REQUEST_MAX_BYTES).is_err() {
                return sent;
            }
        }
        if output.flush().is_err() {
            return sent;
        }
        sent += burst.len();
        for (i, command) in burst.into_iter().enumerate() {
            let response: Response = match wire::read_frame(&mut input, wire::RESPONSE_MAX_BYTES) {
                Ok(Some(response)) => response,
                _ => return sent, // killed
            };
            assert_eq!(response.id, id - BURST as u64 + 1 + i as u64, "answers come in order");
            if let Reply::Acknowledged { seq, events, .. } = response.reply {
                workload.lock().unwrap().observe(&events);
                let previous = acked.lock().unwrap().insert(seq, (command, events));
                assert!(previous.is_none(), "engine seq {seq} acknowledged twice");
            }
        }
    }
    sent
}

/// Replays the data directory in-process and checks every acknowledged command of this life.
fn check_acknowledged(data: &Path, acked: &BTreeMap<u64, (Command, Vec<Event>)>, iteration: u64) {
    let mut found = 0;
    offline::verify(data, VerifyOptions { every_command: false }, &mut |_| {}, &mut |input, events| {
        if let Some((command, acked_events)) = acked.get(&input.seq) {
            assert_eq!(&input.command, command, "iteration {iteration}: engine seq {} holds another command", input.seq);
            assert_eq!(events, &acked_events[..], "iteration {iteration}: engine seq {} has other events", input.seq);
            found += 1;
        }
    })
    .unwrap_or_else(|e| panic!("iteration {iteration}: in-process verify failed: {e}"));
    assert_eq!(found, acked.len(), "iteration {iteration}: acknowledged commands missing after the crash");
}

fn talat_verify(data: &Path, iteration: u64) {
    let output = Process::new(env!("CARGO_BIN_EXE_talat")).args(["verify", "--data"]).arg(data).output().expect("talat verify runs");
    assert!(
        output.status.success(),
        "iteration {iteration}: talat verify failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let iterations = env_u64("TALAT_CRASH_ITERATIONS", 20);
    let seed = env_u64("TALAT_CRASH_SEED", 0x7A1A7);
    eprintln!("crash test: {iterations} kills, seed {seed} (TALAT_CRASH_ITERATIONS, TALAT_CRASH_SEED)");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut rng = Rng::new(seed);
    let workloads: Vec<Arc<Mutex<Workload>>> = (0..CLIENTS)
        .map(|i| Arc::new(Mutex::new(Workload::new(WorkloadConfig { seed: seed + i, users: 20, markets: 2, target_live_per_market: 300 }))))
        .collect();
    let mut total_acked = 0;
    let mut set_up = false;
    for iteration in 0..iterations {
        let mut child = spawn_driver(&data);
        // Now and then, kill it while it is still recovering.
        if set_up && rng.below(10) == 0 {
            std::thread::sleep(Duration::from_millis(rng.below(30)));
            child.kill().unwrap();
            child.wait().unwrap();
            talat_verify(&data, iteration);
            continue;
        }
        let address = wait_ready(&mut child).unwrap_or_else(|| panic!("iteration {iteration}: the driver never became ready"));
        let acked: Acknowledged = Arc::default();
        if !set_up {
            // The exchange is set up once, fully acknowledged, before anything is killed.
            let setup = workloads[0].lock().unwrap().setup();
            let stream = TcpStream::connect(&address).unwrap();
            let mut output = BufWriter::new(stream.try_clone().unwrap());
            let mut input = BufReader::new(stream);
            for (i, command) in setup.into_iter().enumerate() {
                let request = Request { id: i as u64, lane: Lane::of(&command).index() as u8, command: command.clone() };
                wire::write_frame(&mut output, &request, wire::REQUEST_MAX_BYTES).unwrap();
                output.flush().unwrap();
                let response: Response = wire::read_frame(&mut input, wire::RESPONSE_MAX_BYTES).unwrap().unwrap();
                let Reply::Acknowledged { seq, events, .. } = response.reply else { panic!("setup refused: {response:?}") };
                acked.lock().unwrap().insert(seq, (command, events));
            }
            set_up = true;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = workloads
            .iter()
            .map(|workload| {
                let (address, workload, acked, stop) = (address.clone(), Arc::clone(workload), Arc::clone(&acked), Arc::clone(&stop));
                std::thread::spawn(move || client(address, workload, acked, stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.below(250)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.join().expect("a client thread panicked");
        }
        let acked = std::mem::take(&mut *acked.lock().unwrap());
        check_acknowledged(&data, &acked, iteration);
        talat_verify(&data, iteration);
        total_acked += acked.len();
    }
    // A last start must recover, and `talat replay` must print the state.
    let mut child = spawn_driver(&data);
    assert!(wait_ready(&mut child).is_some(), "the driver starts after the last kill");
    child.kill().unwrap();
    child.wait().unwrap();
    let replay = Process::new(env!("CARGO_BIN_EXE_talat")).args(["replay", "--data"]).arg(&data).output().unwrap();
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    assert!(String::from_utf8_lossy(&replay.stdout).contains("state hash"));
    eprintln!("crash test: {total_acked} acknowledged commands checked across {iterations} kills");
    assert!(total_acked > 0, "the load was acknowledged at least sometimes");
}
