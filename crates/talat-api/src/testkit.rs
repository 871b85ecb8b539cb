//! A small exchange on a temporary directory with the real node, sequencer, read models and
//! HTTP server on a free loopback port — for the gateway's tests and for other crates' tests
//! that need a live API. Not used by `talat serve`.

use crate::server;
use std::net::SocketAddr;
use std::sync::Arc;
use talat_core::{Amount, AssetId, AssetSpec, Command, Event, ExternalId, MarketSpec, Price, UserId};
use talat_gateway::auth::{MasterKey, Perms};
use talat_gateway::config::ApiConfig;
use talat_gateway::gateway::AppState;
use talat_gateway::read::ReadModel;
use talat_sequencer::{Node, NodeConfig, Sequencer, SequencerConfig, SystemClock};

pub struct TestUser {
    pub user: UserId,
    pub key: String,
    pub secret: String,
}

pub struct TestExchange {
    pub url: String,
    pub addr: SocketAddr,
    pub gateway: AppState,
    pub users: Vec<TestUser>,
    sequencer: Option<Sequencer>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// BTC_THB (price 0.01 THB, quantity 1 satoshi, opening 3,500,000 THB) and ETH_THB.
pub fn listing() -> Vec<Command> {
    let mut btc = MarketSpec::with_defaults("BTC", "THB", 2, 1, 1);
    btc.opening_price = Some(Price(350_000_000));
    let mut eth = MarketSpec::with_defaults("ETH", "THB", 2, 1, 1);
    eth.opening_price = Some(Price(12_000_000));
    vec![
        Command::ListAsset(AssetSpec { code: "THB".into(), scale: 2 }),
        Command::ListAsset(AssetSpec { code: "BTC".into(), scale: 8 }),
        Command::ListAsset(AssetSpec { code: "ETH".into(), scale: 8 }),
        Command::ListMarket(btc),
        Command::ListMarket(eth),
    ]
}

impl TestExchange {
    /// Starts an exchange with `users` funded users (10,000,000 THB, 10 BTC, 100 ETH each),
    /// each with an API key of every permission.
    pub async fn start(config: ApiConfig, users: usize, sequencer_config: SequencerConfig) -> TestExchange {
        TestExchange::start_with(config, users, sequencer_config, |_| axum::Router::new()).await
    }

    /// [`TestExchange::start`] with extra routes (built from the gateway) merged into the
    /// server's router, as `talat serve` mounts the web API.
    pub async fn start_with(
        config: ApiConfig,
        users: usize,
        sequencer_config: SequencerConfig,
        extra: impl FnOnce(AppState) -> axum::Router<AppState>,
    ) -> TestExchange {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut node_config = NodeConfig::default();
        node_config.engine.check_invariants_every_command = true;
        let mut node = Node::open(dir.path(), node_config, SystemClock).expect("a fresh node opens");
        let read = Arc::new(ReadModel::from_engine(node.engine()));
        let store = talat_store::Store::connect(&format!("sqlite://{}", dir.path().join("store.db").display())).await.expect("the store opens");
        let projector = talat_store::Projector::spawn(store.clone(), 64);
        node.set_publisher(talat_gateway::setup::read_model_publisher(Arc::clone(&read)));
        talat_gateway::projection::spawn(&node, projector.clone(), talat_gateway::projection::DEFAULT_GATHER_MS).expect("the store's follower starts");
        node.commit(listing()).expect("listing commits");
        let created = node.commit(vec![Command::CreateUser; users]).expect("users commit");
        let ids: Vec<UserId> = created
            .iter()
            .map(|o| match o.events.as_slice() {
                [Event::UserCreated { user }] => *user,
                other => panic!("creating a user: {other:?}"),
            })
            .collect();
        let mut funding = Vec::new();
        for user in &ids {
            for (asset, units) in [(0u16, 1_000_000_000u64), (1, 1_000_000_000), (2, 10_000_000_000)] {
                funding.push(Command::Deposit {
                    user: *user,
                    asset: AssetId(asset),
                    amount: Amount(units),
                    external_id: ExternalId(format!("test-{}-{asset}", user.0)),
                });
            }
        }
        node.commit(funding).expect("funding commits");
        let sequencer = node.start(sequencer_config);
        let master = MasterKey::from_hex(&"42".repeat(32)).expect("a valid key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let config = ApiConfig { listen: addr.to_string(), ..config };
        let gateway = talat_gateway::setup::gateway(config, sequencer.handle(), read, Some((store, projector)), master, None);
        let mut test_users = Vec::new();
        for user in ids {
            let (key, secret) = talat_gateway::setup::create_key(&gateway, user, Perms::ALL, Vec::new()).await.expect("a key is stored");
            test_users.push(TestUser { user, key, secret });
        }
        let extra = extra(Arc::clone(&gateway));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = Arc::clone(&gateway);
        let server = tokio::spawn(async move {
            let _ = server::serve_with(serving, extra, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        TestExchange {
            url: format!("http://{addr}"),
            addr,
            gateway,
            users: test_users,
            sequencer: Some(sequencer),
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
        }
    }

    /// The three signing headers for a request by user `i`, at the server's current time.
    pub fn sign_headers(&self, i: usize, method: &str, target: &str, body: &str) -> [(&'static str, String); 3] {
        let ts = self.gateway.now_ms().to_string();
        let user = &self.users[i];
        let sig = talat_gateway::auth::sign::sign(user.secret.as_bytes(), &ts, method, target, body.as_bytes());
        [("X-BTK-APIKEY", user.key.clone()), ("X-BTK-TIMESTAMP", ts), ("X-BTK-SIGN", sig)]
    }

    /// Stops the server and the sequencer (committing what was admitted).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(sequencer) = self.sequencer.take() {
            let node = tokio::task::spawn_blocking(move || sequencer.shutdown()).await.expect("joins").expect("clean shutdown");
            node.close().expect("closes");
        }
    }
}
