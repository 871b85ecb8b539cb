//! A dedicated pool (`Store::dedicated`): the projector's own connection on the same database,
//! sharing the shared pool's write lock.

mod support;

use support::*;
use talat_store::{Store, StoreError};

#[tokio::test]
async fn a_dedicated_pool_writes_what_the_shared_pool_reads_and_shares_its_write_lock() {
    let db = TestDb::sqlite();
    let shared = db.connect().await;
    let dedicated = shared.dedicated(&db.url).await.expect("a second pool on the same file");

    let mut sim = Sim::new();
    let (a, b) = (sim.rich_user(), sim.rich_user());
    sim.tick(1_000);
    sim.limit(a, talat_core::Side::Buy, 1_000_000, 50_000);
    sim.limit(b, talat_core::Side::Sell, 1_000_000, 20_000);
    assert_eq!(dedicated.project(&sim.log).await.unwrap(), sim.seq);
    // Read back through the other pool: same database, nothing cached per pool.
    assert_eq!(shared.projected_seq().await.unwrap(), sim.seq);

    // One write lock for both: while a writer holds it through one handle, the other waits.
    let guard = shared.write_lock_for_tests().await;
    sim.tick(1_000);
    sim.limit(b, talat_core::Side::Sell, 1_000_000, 10_000);
    let batch = sim.log.last().cloned().unwrap();
    let blocked = tokio::time::timeout(std::time::Duration::from_millis(200), dedicated.project(std::slice::from_ref(&batch))).await;
    assert!(blocked.is_err(), "the dedicated pool waited for the shared pool's writer");
    drop(guard);
    assert_eq!(dedicated.project(&[batch]).await.unwrap(), sim.seq);
    assert_eq!(shared.projected_seq().await.unwrap(), sim.seq);
}

#[tokio::test]
async fn a_dedicated_pool_is_refused_for_memory_and_for_another_kind_of_database() {
    let memory = Store::connect("sqlite::memory:").await.unwrap();
    assert!(matches!(memory.dedicated("sqlite::memory:").await, Err(StoreError::Dedicated(_))));
    let db = TestDb::sqlite();
    let shared = db.connect().await;
    assert!(matches!(shared.dedicated("mysql://x").await, Err(StoreError::UnsupportedUrl(_))));
}
