//! Leadership against a real etcd, one throwaway server per test (`etcd_server`). Without the
//! `etcd` binary these tests fail, naming scripts/continuity-env.

use std::net::TcpListener;
use std::time::Duration;
use talat_continuity::etcd::{CoordError, Etcd, EtcdConfig, Leadership};
use talat_continuity::etcd_server::EtcdServer;
use tempfile::TempDir;

const LEASE_TTL_S: u64 = 2;
/// Waiting for a lease to expire: etcd checks expiry about twice a second, so a 2 s lease is
/// gone within a few seconds; the bound only keeps a broken etcd from hanging the test.
const EXPIRY_POLLS_MAX: u32 = 100;
const EXPIRY_POLL_INTERVAL_MS: u64 = 200;

/// Fields drop in order: the server is killed before its directory is removed.
struct Fixture {
    server: EtcdServer,
    _dir: TempDir,
}

fn etcd() -> Fixture {
    let dir = tempfile::Builder::new().prefix("talat-etcd-").tempdir().expect("a temporary directory");
    let server = EtcdServer::start(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    Fixture { server, _dir: dir }
}

fn config(endpoint: &str, node_id: &str) -> EtcdConfig {
    EtcdConfig { endpoint: endpoint.into(), cluster: "talat".into(), node_id: node_id.into(), lease_ttl_s: LEASE_TTL_S, request_timeout_ms: 1_000 }
}

impl Fixture {
    fn node(&self, node_id: &str) -> Etcd {
        Etcd::new(config(self.server.endpoint(), node_id)).unwrap()
    }
}

/// Campaigns until the previous leader's lease has expired and this node wins.
async fn campaign_until_won(node: &Etcd, min_epoch: u32) -> Leadership {
    for _ in 0..EXPIRY_POLLS_MAX {
        if let Some(leadership) = node.campaign(min_epoch).await.unwrap() {
            return leadership;
        }
        tokio::time::sleep(Duration::from_millis(EXPIRY_POLL_INTERVAL_MS)).await;
    }
    panic!("no campaign won in {EXPIRY_POLLS_MAX} tries {EXPIRY_POLL_INTERVAL_MS} ms apart: the old lease never expired");
}

#[tokio::test]
async fn the_first_campaigner_wins_epoch_1_and_the_second_loses() {
    let etcd = etcd();
    let (a, b) = (etcd.node("a"), etcd.node("b"));
    assert_eq!(a.leader().await.unwrap(), None);
    assert_eq!(a.epoch().await.unwrap(), 0);

    let won = a.campaign(0).await.unwrap().expect("nobody leads yet, so A wins");
    assert_eq!(won.epoch, 1);
    assert_eq!(b.campaign(0).await.unwrap(), None);
    assert_eq!(a.campaign(0).await.unwrap(), None, "not even the leader wins again");
    assert_eq!(b.leader().await.unwrap(), Some(("a".to_string(), 1)));
    assert_eq!(b.epoch().await.unwrap(), 1);
    assert!(a.keep_alive(&won).await.unwrap());
    // Another node renewing A's lease does not make that node the leader.
    assert!(!b.keep_alive(&won).await.unwrap());
}

#[tokio::test]
async fn when_the_leader_stops_renewing_its_lease_expires_and_another_wins_the_next_epoch() {
    let etcd = etcd();
    let (a, b) = (etcd.node("a"), etcd.node("b"));
    let a_won = a.campaign(0).await.unwrap().unwrap();
    assert_eq!(a_won.epoch, 1);

    // A goes silent: no keep-alive from here on.
    let b_won = campaign_until_won(&b, 0).await;
    assert_eq!(b_won.epoch, 2);
    assert!(!a.keep_alive(&a_won).await.unwrap(), "A's lease expired");
    assert!(b.keep_alive(&b_won).await.unwrap());
    assert_eq!(a.leader().await.unwrap(), Some(("b".to_string(), 2)));
}

#[tokio::test]
async fn min_epoch_lifts_the_new_epoch_above_what_the_journal_knows() {
    let etcd = etcd();
    let (a, b) = (etcd.node("a"), etcd.node("b"));
    let a_won = a.campaign(7).await.unwrap().unwrap();
    assert_eq!(a_won.epoch, 8);
    assert_eq!(a.epoch().await.unwrap(), 8);
    a.resign(&a_won).await.unwrap();
    // etcd's counter is now above the caller's minimum, so it wins.
    assert_eq!(b.campaign(3).await.unwrap().unwrap().epoch, 9);
}

#[tokio::test]
async fn resigning_lets_another_win_at_once() {
    let etcd = etcd();
    let (a, b) = (etcd.node("a"), etcd.node("b"));
    let a_won = a.campaign(0).await.unwrap().unwrap();
    a.resign(&a_won).await.unwrap();
    assert_eq!(a.leader().await.unwrap(), None);
    a.resign(&a_won).await.unwrap(); // The lease is already gone: still fine.
    assert!(!a.keep_alive(&a_won).await.unwrap());

    let b_won = b.campaign(0).await.unwrap().expect("nobody leads after A resigned");
    assert_eq!(b_won.epoch, 2);
    assert_eq!(a.leader().await.unwrap(), Some(("b".to_string(), 2)));
}

#[tokio::test]
async fn concurrent_campaigners_elect_exactly_one() {
    let etcd = etcd();
    let nodes = [etcd.node("node-0"), etcd.node("node-1"), etcd.node("node-2"), etcd.node("node-3")];
    for round in 1..=3 {
        // Interleaved on this task, so their reads and claims race; the losers' claims fail.
        let (r0, r1, r2, r3) = tokio::join!(nodes[0].campaign(0), nodes[1].campaign(0), nodes[2].campaign(0), nodes[3].campaign(0));
        let outcomes = [r0, r1, r2, r3].map(Result::unwrap);
        let winners: Vec<(usize, Leadership)> = outcomes.iter().enumerate().filter_map(|(i, o)| Some((i, (*o)?))).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one winner, got {winners:?}");
        let (i, won) = winners[0];
        assert_eq!(won.epoch, round);
        assert_eq!(nodes[0].leader().await.unwrap(), Some((format!("node-{i}"), round)));
        nodes[i].resign(&won).await.unwrap();
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported_as_unreachable() {
    // A port nothing listens on: bound, then released.
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap().port();
    let node = Etcd::new(EtcdConfig { request_timeout_ms: 300, ..config(&format!("http://127.0.0.1:{port}"), "a") }).unwrap();
    let leadership = Leadership { epoch: 1, lease_id: 1 };
    for error in [
        node.campaign(0).await.unwrap_err(),
        node.keep_alive(&leadership).await.unwrap_err(),
        node.leader().await.unwrap_err(),
        node.epoch().await.unwrap_err(),
        node.resign(&leadership).await.unwrap_err(),
    ] {
        assert!(matches!(&error, CoordError::Unreachable(why) if why.contains(&port.to_string())), "{error}");
    }
}
