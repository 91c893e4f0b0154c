//! What the first read of a past moment costs with a number of changes since: opens a data
//! directory as `sightmap serve` does (from its index snapshot), makes changes (half of them
//! new reports near old ones, a tenth deletions of those, the rest edits of older reports'
//! statuses), then times the first `as_of` read of the moment before the changes and counts,
//! by the allocator, the memory its state holds.
//!
//! Usage: `cargo run --release --example past_at_a_million -- DATA_DIR [CHANGES] [--whole]
//! [--moves]` (`--whole`: rebuild the past from the revision history instead, as before;
//! `--moves`: a tenth of the edits move older reports, which re-groups their events;
//! `--at TIME`: no changes, the first read of that moment).

#[path = "shared/counting.rs"]
mod counting;
use counting::held;

use serde_json::json;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{DayEnd, Gazetteer, Timestamp};
use sightmap_core::engine::events::EventSettings;
use sightmap_core::engine::query::{Page, ReportQuery};
use sightmap_core::engine::service::ReportService;
use sightmap_core::engine::store::sqlite::SqliteStore;
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const MB: f64 = (1 << 20) as f64;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(args.first().expect("usage: past_at_a_million DATA_DIR"));
    let changes: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1_000);
    let whole = args.iter().any(|a| a == "--whole");
    let moves = args.iter().any(|a| a == "--moves");
    // `--at TIME`: read that moment instead, with no changes made.
    let given_at = args
        .iter()
        .position(|a| a == "--at")
        .and_then(|i| args.get(i + 1))
        .map(|t| Timestamp::parse(t, DayEnd::Start).expect("--at takes an RFC 3339 time"));
    let store = Arc::new(SqliteStore::open(&dir).expect("the store opens"));
    let places: Arc<dyn Gazetteer> =
        Arc::new(Atlas::load(RegionFiles::embedded()).expect("the region loads"));
    let started = Instant::now();
    let live = ReportService::open_with_snapshot(
        store,
        Some(places),
        &dir.join("index.snapshot"),
        EventSettings::default(),
    )
    .await
    .expect("the service opens");
    live.wait_for_background();
    println!(
        "opened {} reports in {:.2} s",
        live.len(),
        started.elapsed().as_secs_f64()
    );
    // Reports to change, spread over the store.
    let mut ids = Vec::new();
    let step = (live.len() / changes.max(1)).max(1);
    for k in 0..changes {
        let query = ReportQuery {
            page: Page {
                limit: 1,
                offset: k * step,
            },
            ..Default::default()
        };
        let page = live.query(&query, Viewer::Exact).await.expect("a page");
        ids.extend(page.reports.iter().map(|r| r.report.id));
    }
    let at = given_at.unwrap_or_else(|| live.now());
    if given_at.is_some() {
        ids.clear();
    }
    // Revisions are stamped to the second: the changes come after the moment.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let started = Instant::now();
    let mut created = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let patch = match k % 10 {
            // Half new reports near old ones, as a night of reports comes in.
            0..5 => {
                let old = live.get(*id, Viewer::Exact).await.expect("a report");
                let input = json!({
                    "kind": "drone",
                    "description": "drones heard again over the town",
                    "lat": old.location.lat + 0.002,
                    "lon": old.location.lon,
                    "observed": {"from": "2025-07-01T20:00:00Z", "to": "2025-07-01T20:10:00Z"},
                    "sources": [{"name": "a resident", "type": "civilian", "stance": "asserts"}],
                });
                let input = serde_json::from_value(input).expect("an input");
                created.push(live.create(input, "bench").await.expect("a report").id);
                continue;
            }
            // One in ten of those deleted again.
            5 if !created.is_empty() => {
                let new = created.swap_remove(k % created.len());
                live.delete(new, "bench").await.expect("a delete");
                continue;
            }
            // An older report moved (`--moves`): its whole component re-grouped.
            6 if moves => json!({"lat": 37.3 + (k % 97) as f64 * 0.001, "lon": 49.6}),
            _ => json!({"status": "confirmed"}),
        };
        let one = Instant::now();
        live.update(*id, patch.as_object().unwrap(), "bench")
            .await
            .expect("an edit");
        if std::env::var_os("VERBOSE").is_some() {
            println!("edit {k}: {:.1} ms", one.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!(
        "changed {} reports in {:.2} s",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    live.read_past_through(!whole);
    let before = held();
    let started = Instant::now();
    let past = live.as_of(at).await.expect("the past");
    let first = started.elapsed();
    let page = past
        .query(&ReportQuery::default(), Viewer::Public)
        .await
        .expect("a page");
    let with_page = started.elapsed();
    println!(
        "as of {at} ({}): {} reports; state made in {:.1} ms, first page of {} read by {:.1} ms; the state holds {:.1} MB",
        if past.reads_through_the_present() {
            "read through the present"
        } else {
            "rebuilt whole"
        },
        past.len(),
        first.as_secs_f64() * 1e3,
        page.reports.len(),
        with_page.as_secs_f64() * 1e3,
        (held() as f64 - before as f64) / MB
    );
    let started = Instant::now();
    let again = past
        .query(&ReportQuery::default(), Viewer::Public)
        .await
        .expect("a page");
    println!(
        "the next read of the same page: {:.2} ms ({} reports)",
        started.elapsed().as_secs_f64() * 1e3,
        again.reports.len()
    );
}
