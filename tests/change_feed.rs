//! The change feed: every path that changes the live state (create, edit, an event review,
//! delete, an import's batch, a bulk load, another instance's write read back by a catch-up)
//! publishes each store version once, in increasing order, naming its report, with what the
//! public and a reviewer could see before and after; a private report's exact point is never
//! in what the public is given.
//!
//! The PostgreSQL case needs `SIGHTMAP_TEST_POSTGRES` (a PostGIS database URL, which
//! `scripts/test.sh` makes): a plain `cargo test` lists it as ignored, saying why, and
//! `scripts/test.sh` runs it, where a missing or unreachable database fails it.

mod common;

use serde_json::{Map, Value, json};
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{Gazetteer, Origin, Report, ReportId, ReportInput};
use sightmap_core::engine::clock::ManualClock;
use sightmap_core::engine::service::{FeedChange, ReportService};
use sightmap_core::engine::store::Store;
use sightmap_core::engine::store::postgres::PostgresStore;
use sightmap_core::engine::store::sqlite::SqliteStore;
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::sync::Arc;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::TryRecvError;

const LON: f64 = 49.612347;
const LAT: f64 = 37.283451;

fn places() -> Arc<Atlas> {
    static PLACES: std::sync::OnceLock<Arc<Atlas>> = std::sync::OnceLock::new();
    PLACES
        .get_or_init(|| Arc::new(Atlas::load(RegionFiles::embedded()).unwrap()))
        .clone()
}

fn input(lon: f64, lat: f64, private: bool) -> ReportInput {
    let mut value = json!({
        "kind": "drone",
        "description": "drones heard over the coast",
        "lat": lat,
        "lon": lon,
        "observed": {"from": "2025-06-13T20:00:00Z", "to": "2025-06-13T21:00:00Z"},
        "sources": [{"name": "a resident", "type": "civilian", "stance": "asserts"}],
    });
    if private {
        value["public_precision"] = json!("province");
    }
    serde_json::from_value(value).unwrap()
}

/// A validated report, as an import makes them.
fn report(service: &ReportService, lon: f64, lat: f64) -> Report {
    let gazetteer: Arc<dyn Gazetteer> = places();
    input(lon, lat, false)
        .into_report(
            Origin::Client,
            None,
            service.now(),
            Some(gazetteer.as_ref()),
        )
        .unwrap()
}

fn patch(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

async fn service_on(store: Arc<dyn Store>) -> Arc<ReportService> {
    let service = ReportService::open(store, Some(places()))
        .await
        .unwrap()
        .with_clock(Arc::new(ManualClock::from_system()));
    Arc::new(service)
}

/// Every change received so far.
fn drain(feed: &mut Receiver<Arc<FeedChange>>) -> Vec<Arc<FeedChange>> {
    let mut changes = Vec::new();
    loop {
        match feed.try_recv() {
            Ok(change) => changes.push(change),
            Err(TryRecvError::Empty) => return changes,
            Err(e) => panic!("the feed failed: {e}"),
        }
    }
}

/// Asserts the versions run from `after + 1` without a gap or a repeat; returns the last.
#[track_caller]
fn assert_in_order(changes: &[Arc<FeedChange>], after: i64) -> i64 {
    let versions: Vec<i64> = changes.iter().map(|c| c.version).collect();
    let expected: Vec<i64> = (after + 1..=after + changes.len() as i64).collect();
    assert_eq!(versions, expected, "each version once, in order");
    after + changes.len() as i64
}

/// Asserts nothing the public is given places the report at its exact point.
#[track_caller]
fn assert_public_safe(change: &FeedChange) {
    let public = change.seen_by(Viewer::Public);
    for views in public.before.iter().chain(&public.after) {
        for viewer in [Viewer::Public, Viewer::Exact] {
            let seen = views.seen_by(viewer);
            assert!(
                (seen.lon - LON).abs() > 1e-3 || (seen.lat - LAT).abs() > 1e-3,
                "the public is given the exact point: {change:?}"
            );
        }
    }
}

#[tokio::test]
async fn every_path_publishes_each_version_once_in_order_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let service = service_on(store).await;
    let (mut feed, start) = service.subscribe().await;
    assert_eq!(start, 0);

    // Create, a private create, edit, an event review, delete.
    let a = service
        .create(input(48.29, 38.25, false), "t")
        .await
        .unwrap();
    let b = service.create(input(LON, LAT, true), "t").await.unwrap();
    service
        .update(a.id, &patch(json!({"status": "confirmed"})), "t")
        .await
        .unwrap();
    service
        .update(a.id, &patch(json!({"event_review": "exclude"})), "t")
        .await
        .unwrap();
    service.delete(b.id, "t").await.unwrap();
    let changes = drain(&mut feed);
    let last = assert_in_order(&changes, 0);
    let ids: Vec<ReportId> = changes.iter().map(|c| c.report).collect();
    assert_eq!(ids, [a.id, b.id, a.id, a.id, b.id]);
    // The views before and after.
    assert!(changes[0].before.is_none() && changes[0].after.is_some());
    let created = changes[1].after.as_ref().unwrap();
    assert!(created.is_private());
    assert!((created.seen_by(Viewer::Exact).lon - LON).abs() < 1e-9);
    let confirmed = &changes[2];
    assert_eq!(
        confirmed.before.as_ref().unwrap().public.status,
        sightmap_core::domain::model::Status::Unverified
    );
    assert_eq!(
        confirmed.after.as_ref().unwrap().public.status,
        sightmap_core::domain::model::Status::Confirmed
    );
    // The event review takes A out of every event.
    assert!(changes[3].events.moved.contains(&a.id), "{:?}", changes[3]);
    assert!(changes[4].before.is_some() && changes[4].after.is_none());
    for change in &changes {
        assert_public_safe(change);
    }
    // The public is not told a private report moved between events.
    assert!(changes[1].events.moved.contains(&b.id));
    assert!(
        !changes[1]
            .seen_by(Viewer::Public)
            .events
            .moved
            .contains(&b.id)
    );

    // An import's batch, then concurrent writes: still each version once, in order.
    let batch: Vec<Report> = (0..5)
        .map(|i| report(&service, 50.0 + f64::from(i) * 0.01, 36.5))
        .collect();
    let batch_ids: Vec<ReportId> = batch.iter().map(|r| r.id).collect();
    service.insert_batch(batch, "import").await.unwrap();
    let mut writers = Vec::new();
    for i in 0..16 {
        let service = service.clone();
        writers.push(tokio::spawn(async move {
            let made = service
                .create(input(51.0 + f64::from(i) * 0.01, 35.5, i % 3 == 0), "t")
                .await
                .unwrap();
            service
                .update(made.id, &patch(json!({"status": "disputed"})), "t")
                .await
                .unwrap();
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let changes = drain(&mut feed);
    let end = assert_in_order(&changes, last);
    assert_eq!(changes.len(), 5 + 32);
    let first: Vec<ReportId> = changes[..5].iter().map(|c| c.report).collect();
    assert_eq!(first, batch_ids);
    for change in &changes {
        assert_public_safe(change);
    }
    assert_eq!(service.applied_version().await, end);
    // A catch-up reads nothing new and publishes nothing again.
    service.catch_up().await.unwrap();
    assert!(drain(&mut feed).is_empty());
}

#[tokio::test]
async fn a_write_after_a_gap_publishes_the_missing_versions_first() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let service = service_on(store.clone()).await;
    let (mut feed, start) = service.subscribe().await;
    // Another writer (as another instance would) takes the next two versions.
    let others = vec![report(&service, 50.0, 36.5), report(&service, 50.1, 36.5)];
    let other_ids: Vec<ReportId> = others.iter().map(|r| r.id).collect();
    store.insert(others, "elsewhere").await.unwrap();
    assert!(drain(&mut feed).is_empty(), "nothing applied yet");
    // This process's write finds them missing, reads them and publishes them before its own.
    let mine = service
        .create(input(48.29, 38.25, false), "t")
        .await
        .unwrap();
    let changes = drain(&mut feed);
    assert_in_order(&changes, start);
    let ids: Vec<ReportId> = changes.iter().map(|c| c.report).collect();
    assert_eq!(ids, [other_ids[0], other_ids[1], mine.id]);
    assert_eq!(service.len(), 3);
    service.catch_up().await.unwrap();
    assert!(drain(&mut feed).is_empty(), "published once");
}

#[tokio::test]
async fn a_bulk_load_publishes_each_report_once() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let service = service_on(store).await;
    let (mut feed, start) = service.subscribe().await;
    service.begin_bulk_load();
    for round in 0..3 {
        let batch: Vec<Report> = (0..4)
            .map(|i| report(&service, 50.0 + f64::from(round * 4 + i) * 0.01, 36.5))
            .collect();
        service.insert_batch(batch, "import").await.unwrap();
    }
    service.end_bulk_load().await.unwrap();
    assert_eq!(service.len(), 12);
    let changes = drain(&mut feed);
    assert_in_order(&changes, start);
    assert_eq!(changes.len(), 12);
    assert!(
        changes
            .iter()
            .all(|c| c.before.is_none() && c.after.is_some())
    );
    // Without a subscriber nothing is built, and the versions still move on.
    drop(feed);
    let batch = vec![report(&service, 50.5, 36.5)];
    service.insert_batch(batch, "import").await.unwrap();
    assert_eq!(service.applied_version().await, start + 13);
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_learns_it_lagged() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let service = service_on(store).await;
    let (mut feed, start) = service.subscribe().await;
    let many = sightmap_core::engine::service::FEED_CAPACITY + 10;
    let batch: Vec<Report> = (0..many)
        .map(|i| report(&service, 50.0 + (i % 100) as f64 * 0.01, 36.5))
        .collect();
    service.insert_batch(batch, "import").await.unwrap();
    assert_eq!(service.live_version(), start + many as i64);
    match feed.try_recv() {
        Err(TryRecvError::Lagged(missed)) => assert_eq!(missed, 10),
        other => panic!("expected a lag, got {other:?}"),
    }
    // It reads on from the oldest change still held.
    assert_eq!(feed.try_recv().unwrap().version, start + 11);
}

#[tokio::test]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
async fn two_instances_on_postgres_each_publish_every_version_once_in_order() {
    let url = common::postgres::fresh_store(&common::postgres::database());
    let one = service_on(Arc::new(PostgresStore::open(&url).await.unwrap())).await;
    let two = service_on(Arc::new(PostgresStore::open(&url).await.unwrap())).await;
    let (mut feed_one, start_one) = one.subscribe().await;
    let (mut feed_two, start_two) = two.subscribe().await;
    assert_eq!(start_one, start_two);

    // Writes through either instance, each read back by the other (a report written twice
    // between two catch-ups would reach the other once, at its later version).
    let a = one.create(input(48.29, 38.25, false), "t").await.unwrap();
    two.catch_up().await.unwrap();
    let b = two.create(input(LON, LAT, true), "t").await.unwrap();
    one.catch_up().await.unwrap();
    one.update(a.id, &patch(json!({"status": "confirmed"})), "t")
        .await
        .unwrap();
    two.catch_up().await.unwrap();
    two.update(a.id, &patch(json!({"event_review": "exclude"})), "t")
        .await
        .unwrap();
    one.catch_up().await.unwrap();
    one.delete(b.id, "t").await.unwrap();
    let batch: Vec<Report> = (0..5)
        .map(|i| report(&one, 50.0 + f64::from(i) * 0.01, 36.5))
        .collect();
    two.insert_batch(batch, "import").await.unwrap();
    // Concurrent creates through both.
    let mut writers = Vec::new();
    for i in 0..12 {
        let service = if i % 2 == 0 { one.clone() } else { two.clone() };
        writers.push(tokio::spawn(async move {
            service
                .create(input(51.0 + f64::from(i) * 0.01, 35.5, i % 3 == 0), "t")
                .await
                .unwrap()
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    one.catch_up().await.unwrap();
    two.catch_up().await.unwrap();

    let changes_one = drain(&mut feed_one);
    let changes_two = drain(&mut feed_two);
    let last = assert_in_order(&changes_one, start_one);
    assert_eq!(assert_in_order(&changes_two, start_two), last);
    assert_eq!(changes_one.len(), 5 + 5 + 12);
    let ids = |changes: &[Arc<FeedChange>]| changes.iter().map(|c| c.report).collect::<Vec<_>>();
    assert_eq!(ids(&changes_one), ids(&changes_two));
    assert_eq!(ids(&changes_one)[..5], [a.id, b.id, a.id, a.id, b.id]);
    for (x, y) in changes_one.iter().zip(&changes_two) {
        assert_eq!(x.after, y.after, "both instances see the same state");
        assert_public_safe(x);
        assert_public_safe(y);
    }
    assert_eq!(one.len(), two.len());
}
