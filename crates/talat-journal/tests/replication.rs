//! Replication over a real TCP loopback socket, following a journal that another thread is
//! still appending to.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use talat_journal::{replicate_into, send_stream, Journal, JournalConfig, Record, SendOptions, StreamEnd, StreamReceiver};

const RECORDS: u64 = 20_000;

fn segment_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| (e.file_name().into_string().unwrap(), fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn a_follower_over_tcp_ends_with_byte_identical_segments_of_a_live_journal() {
    let primary_dir = tempfile::tempdir().unwrap();
    let follower_dir = tempfile::tempdir().unwrap();
    // Small segments, so the follow crosses many segment rolls.
    let config = JournalConfig { segment_max_bytes: 64 * 1024, ..JournalConfig::default() };

    let mut primary = Journal::open(primary_dir.path(), config.clone()).unwrap();
    // Some history exists before the follower connects.
    let initial: Vec<Vec<u8>> = (1..=100u64).map(|seq| seq.to_le_bytes().repeat(8)).collect();
    let records: Vec<Record<'_>> = initial.iter().enumerate().map(|(i, p)| Record::command(i as u64 + 1, 7, p)).collect();
    primary.append_batch(&records).unwrap();
    let mut reader = primary.read_from(1).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let follower_config = config.clone();
    let follower_path = follower_dir.path().to_path_buf();
    let follower = thread::spawn(move || {
        let socket = TcpStream::connect(address).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut receiver = StreamReceiver::new(socket).unwrap();
        let mut journal = Journal::open(&follower_path, follower_config).unwrap();
        let appended = replicate_into(&mut receiver, &mut journal, 512).unwrap();
        (appended, journal.next_seq())
    });
    let (socket, _) = listener.accept().unwrap();

    // The sender follows the live journal on its own thread.
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || send_stream(&mut reader, socket, &stop, &SendOptions::default()).unwrap())
    };

    // The writer keeps appending in varied batches while the stream runs, with pauses so that
    // the sender repeatedly catches up and waits for new durable records.
    let (progress_tx, progress_rx) = mpsc::sync_channel::<u64>(1);
    let writer = thread::spawn(move || {
        let mut batch_size = 1u64;
        while primary.next_seq() <= RECORDS {
            let first = primary.next_seq();
            let n = batch_size.min(RECORDS + 1 - first);
            let payloads: Vec<Vec<u8>> = (first..first + n).map(|seq| format!("cmd-{seq}").into_bytes()).collect();
            let mut batch: Vec<Record<'_>> = payloads.iter().enumerate().map(|(i, p)| Record::command(first + i as u64, first, p)).collect();
            let hash = [first as u8; 32];
            if first % 1000 < n {
                // A checkpoint now and then, replacing the last command of this batch.
                let last = batch.len() - 1;
                batch[last] = Record::checkpoint(first + last as u64, first, &hash);
            }
            primary.append_batch(&batch).unwrap();
            batch_size = batch_size * 3 % 700 + 1;
            if first % 10 == 3 {
                thread::sleep(Duration::from_millis(1));
            }
            let _ = progress_tx.try_send(primary.next_seq());
        }
        // Dropping the journal closes it: the sender drains and ends the stream.
        drop(primary);
    });
    // Streaming genuinely started before the writer finished.
    let early = progress_rx.recv().unwrap();
    assert!(early <= RECORDS);

    writer.join().unwrap();
    let summary = sender.join().unwrap();
    assert_eq!(summary.end, StreamEnd::WriterClosed);
    assert_eq!((summary.records, summary.next_seq), (RECORDS, RECORDS + 1));
    let (appended, follower_next) = follower.join().unwrap();
    assert_eq!((appended, follower_next), (RECORDS, RECORDS + 1));

    let primary_files = segment_files(primary_dir.path());
    assert!(primary_files.len() > 3, "the follow crossed segment rolls");
    assert!(primary_files == segment_files(follower_dir.path()), "follower segments are byte-identical");
}

#[test]
fn sender_stops_at_last_seq_and_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut journal = Journal::open(dir.path(), JournalConfig::default()).unwrap();
    journal.append_batch(&[Record::command(1, 0, b"a"), Record::command(2, 0, b"b"), Record::command(3, 0, b"c")]).unwrap();

    let mut out = Vec::new();
    let stop = AtomicBool::new(false);
    let options = SendOptions { last_seq: Some(2), ..SendOptions::default() };
    let summary = send_stream(&mut journal.read_from(1).unwrap(), &mut out, &stop, &options).unwrap();
    assert_eq!((summary.end, summary.records), (StreamEnd::ReachedLastSeq, 2));
    let mut receiver = StreamReceiver::new(&out[..]).unwrap();
    assert_eq!(receiver.next_record().unwrap().unwrap().payload, b"a");
    assert_eq!(receiver.next_record().unwrap().unwrap().payload, b"b");
    assert!(receiver.next_record().unwrap().is_none());

    // Caught up and stop requested: the stream ends after one idle wait.
    let stop = AtomicBool::new(true);
    let mut out = Vec::new();
    let options = SendOptions { idle_wait_ms: 1, last_seq: None };
    let summary = send_stream(&mut journal.read_from(2).unwrap(), &mut out, &stop, &options).unwrap();
    assert_eq!((summary.end, summary.records, summary.next_seq), (StreamEnd::Stopped, 2, 4));

    // A receiver refuses a stream that does not continue its journal.
    let follower_dir = tempfile::tempdir().unwrap();
    let mut follower = Journal::open(follower_dir.path(), JournalConfig::default()).unwrap();
    let mut receiver = StreamReceiver::new(&out[..]).unwrap();
    assert!(matches!(
        replicate_into(&mut receiver, &mut follower, 16),
        Err(talat_journal::ReplicationError::StartMismatch { stream_start_seq: 2, journal_next_seq: 1 })
    ));
}
