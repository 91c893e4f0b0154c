//! A past moment read through the live index (what `as_of` answers with when few reports
//! changed since) answers every read exactly as the same moment rebuilt whole from the
//! revision history, the reference: pages of reports for both viewers, events, timelines,
//! map layers, exports, single reports and events, figures and extents. The reports crowd
//! a few places on a few nights, so that they group into events, and change in every way a
//! report can: moved, re-dated, confirmed, made private, pinned, kept out of events,
//! deleted, created. On both stores: the PostgreSQL case needs `SIGHTMAP_TEST_POSTGRES`
//! (`scripts/test.sh` makes it; a plain `cargo test` lists it as ignored, saying why).

mod common;

use serde_json::{Map, Value, json};
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{ReportId, ReportInput, Timestamp};
use sightmap_core::engine::clock::{Clock, ManualClock};
use sightmap_core::engine::index::EventFilter;
use sightmap_core::engine::query::{BBox, Filter, Page, ReportQuery, Spatial};
use sightmap_core::engine::service::{ReportService, TimelineOf};
use sightmap_core::engine::store::Store;
use sightmap_core::engine::store::postgres::PostgresStore;
use sightmap_core::engine::store::sqlite::SqliteStore;
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::sync::Arc;

/// Centres of the crowded places: Rasht, Ardabil, Astara.
const PLACES: [(f64, f64); 3] = [(49.58, 37.28), (48.29, 38.25), (48.87, 38.42)];
const NIGHT: i64 = 1_749_841_200; // 2025-06-13T19:00:00Z

/// Numbers uniform in [0, 1) from a seed.
fn uniform(mut seed: u64) -> impl FnMut() -> f64 {
    move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn iso(t: i64) -> String {
    Timestamp(t).to_string()
}

/// A report near one of the places on one of three nights; some vague in place or time.
fn input(r: &mut impl FnMut() -> f64) -> ReportInput {
    let (lon, lat) = PLACES[(r() * 3.0) as usize];
    let night = NIGHT + 86_400 * (r() * 3.0) as i64;
    let from = night + (r() * 4.0 * 3_600.0) as i64;
    let vague_time = r() < 0.1;
    let to = if vague_time {
        from + 3 * 86_400
    } else {
        from + 600
    };
    let mut value = json!({
        "kind": if r() < 0.8 { "drone" } else { "explosion" },
        "description": format!("drones heard over the town {}", (r() * 5.0) as u32),
        "lat": lat + (r() - 0.5) * 0.2,
        "lon": lon + (r() - 0.5) * 0.2,
        "uncertainty_m": if r() < 0.2 { 0.0 } else { 500.0 + r() * 3_000.0 },
        "observed": {"from": iso(from), "to": iso(to)},
        "sources": [{
            "name": format!("resident {}", (r() * 40.0) as u32),
            "type": if r() < 0.7 { "civilian" } else { "media" },
            "stance": if r() < 0.9 { "asserts" } else { "denies" },
        }],
    });
    if r() < 0.1 {
        value["precision"] = json!("province");
    }
    if r() < 0.1 {
        value["public_precision"] = json!("province");
    }
    serde_json::from_value(value).unwrap()
}

/// A random change to a report.
fn patch(r: &mut impl FnMut() -> f64, events: &[String]) -> Map<String, Value> {
    let value = match (r() * 7.0) as u32 {
        0 => {
            let (lon, lat) = PLACES[(r() * 3.0) as usize];
            json!({"lat": lat + (r() - 0.5) * 0.2, "lon": lon + (r() - 0.5) * 0.2})
        }
        1 => {
            let from = NIGHT + 86_400 * (r() * 3.0) as i64 + (r() * 14_400.0) as i64;
            json!({"observed": {"from": iso(from), "to": iso(from + 900)}})
        }
        2 => {
            let status = ["confirmed", "disputed", "unverified"][(r() * 3.0) as usize];
            json!({ "status": status })
        }
        3 => json!({"public_precision": "province"}),
        4 if !events.is_empty() => {
            json!({"event_review": events[(r() * events.len() as f64) as usize]})
        }
        5 => json!({"event_review": "exclude"}),
        _ => json!({"event_review": "auto", "description": "drones seen again, lower"}),
    };
    value.as_object().unwrap().clone()
}

fn queries() -> Vec<ReportQuery> {
    let page = |limit, offset| Page { limit, offset };
    let mut out = vec![
        ReportQuery::default(),
        ReportQuery {
            page: page(7, 5),
            ..Default::default()
        },
    ];
    for (lon, lat) in PLACES {
        out.push(ReportQuery {
            spatial: Spatial::Radius {
                lon,
                lat,
                radius_m: 8_000.0,
                include_uncertain: false,
            },
            page: page(10, 3),
            ..Default::default()
        });
        out.push(ReportQuery {
            spatial: Spatial::Radius {
                lon,
                lat,
                radius_m: 5_000.0,
                include_uncertain: true,
            },
            page: page(1_000, 0),
            ..Default::default()
        });
        out.push(ReportQuery {
            spatial: Spatial::Nearest { lon, lat, k: 12 },
            ..Default::default()
        });
        out.push(ReportQuery {
            spatial: Spatial::BBox(BBox {
                min_lon: lon - 0.06,
                min_lat: lat - 0.06,
                max_lon: lon + 0.06,
                max_lat: lat + 0.06,
            }),
            filter: Filter {
                since: Some(Timestamp(NIGHT + 86_400)),
                ..Default::default()
            },
            page: page(1_000, 0),
        });
    }
    out.push(ReportQuery {
        filter: Filter {
            text: Some("town 3".into()),
            ..Default::default()
        },
        page: page(1_000, 0),
        ..Default::default()
    });
    out.push(ReportQuery {
        filter: Filter {
            until: Some(Timestamp(NIGHT + 86_400)),
            statuses: Some(vec!["confirmed".parse().unwrap()]),
            ..Default::default()
        },
        page: page(1_000, 0),
        ..Default::default()
    });
    out
}

/// Everything the two services answer, as text to compare.
async fn answers(service: &Arc<ReportService>) -> Vec<String> {
    let mut out = vec![
        format!("{} {:?}", service.len(), service.extent()),
        format!("{:?} {}", service.figures(), service.event_count()),
    ];
    for viewer in [Viewer::Public, Viewer::Exact] {
        out.push(format!("{:?}", service.event_extent(viewer)));
        for query in queries() {
            let page = service.query(&query, viewer).await.unwrap();
            out.push(format!(
                "{query:?} {viewer:?}: {} {}",
                page.matched,
                page.reports
                    .iter()
                    .map(|r| format!("{} {:?}", json!(r.report), r.distance_m))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
            let events = service
                .events(&query, &EventFilter::default(), viewer)
                .await
                .unwrap();
            out.push(format!("{} {:?}", events.matched, events.events));
            let mut observed = service
                .observed(&query, &TimelineOf::Reports, viewer)
                .await
                .unwrap();
            observed.sort_by_key(|o| (o.from, o.to, o.category));
            out.push(format!("{observed:?}"));
            let mut observed = service
                .observed(&query, &TimelineOf::Events(EventFilter::default()), viewer)
                .await
                .unwrap();
            observed.sort_by_key(|o| (o.from, o.to, o.category));
            out.push(format!("{observed:?}"));
            let points = service
                .with_matches(&query, viewer, |points| format!("{points:?}"))
                .await
                .unwrap();
            out.push(points);
            let mut export = Vec::new();
            let mut cursor = service.export(&query, 50, viewer).await.unwrap();
            while let Some(chunk) = service.next_chunk(&mut cursor).await.unwrap() {
                export.extend(chunk.iter().map(|r| json!(r).to_string()));
            }
            out.push(export.join("\n"));
        }
        let all = service
            .events(
                &ReportQuery {
                    page: Page {
                        limit: 100_000,
                        offset: 0,
                    },
                    ..Default::default()
                },
                &EventFilter::default(),
                viewer,
            )
            .await
            .unwrap();
        for event in &all.events {
            let (view, members) = service.event(event.id, viewer).await.unwrap().unwrap();
            out.push(format!("{view:?} {}", json!(members)));
        }
        let mut cursor = service
            .export(&ReportQuery::default(), 1_000, viewer)
            .await
            .unwrap();
        let mut ids: Vec<ReportId> = Vec::new();
        while let Some(chunk) = service.next_chunk(&mut cursor).await.unwrap() {
            ids.extend(chunk.iter().map(|r| r.id));
        }
        out.push(format!("{:?}", service.events_of(&ids, viewer)));
        for id in ids.iter().take(40) {
            out.push(json!(service.get(*id, viewer).await.unwrap()).to_string());
        }
    }
    out
}

/// Both ways of reading `at` answer alike, also when the present changed after the state
/// read through it was made (`then`: a write made meanwhile).
async fn assert_alike(live: &ReportService, at: Timestamp, then: impl std::future::Future) {
    live.read_past_through(true);
    let through = live.as_of(at).await.unwrap();
    assert!(through.reads_through_the_present(), "as of {at}");
    then.await;
    live.read_past_through(false);
    let whole = live.as_of(at).await.unwrap();
    assert!(!whole.reads_through_the_present());
    let whole = answers(&whole).await;
    let through = answers(&through).await;
    assert_eq!(whole.len(), through.len());
    for (i, (a, b)) in whole.iter().zip(&through).enumerate() {
        assert_eq!(
            a, b,
            "as of {at}, answer {i}: rebuilt whole, then read through the present"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_read_through_the_present_answers_as_the_past_rebuilt_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    through_and_whole_alike(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
async fn on_postgres_a_past_read_through_the_present_answers_as_the_past_rebuilt_whole() {
    let url = common::postgres::fresh_store(&common::postgres::database());
    let store = Arc::new(PostgresStore::open(&url).await.unwrap());
    through_and_whole_alike(store).await;
}

async fn through_and_whole_alike(store: Arc<dyn Store>) {
    let places = Arc::new(Atlas::load(RegionFiles::embedded()).unwrap());
    let clock = Arc::new(ManualClock::at(Timestamp(NIGHT + 10 * 86_400)));
    let live = ReportService::open(store, Some(places))
        .await
        .unwrap()
        .with_clock(clock.clone());
    let mut r = uniform(7);
    let mut ids: Vec<ReportId> = Vec::new();
    let mut moments = Vec::new();
    for round in 0..4 {
        for _ in 0..if round == 0 { 240 } else { 40 } {
            clock.advance(1);
            // Near the border a point may have no province to be shown at: refused, as a
            // client would be told.
            if let Ok(report) = live.create(input(&mut r), "test").await {
                ids.push(report.id);
            }
        }
        let events: Vec<String> = live
            .events(
                &ReportQuery::default(),
                &EventFilter::default(),
                Viewer::Exact,
            )
            .await
            .unwrap()
            .events
            .iter()
            .map(|e| e.id.to_string())
            .collect();
        for _ in 0..60 {
            clock.advance(1);
            let id = ids[(r() * ids.len() as f64) as usize];
            if r() < 0.1 {
                let _ = live.delete(id, "test").await;
                continue;
            }
            // A pin to an event that has gone since is refused: a change like any other.
            let _ = live.update(id, &patch(&mut r, &events), "test").await;
        }
        clock.advance(1);
        moments.push(clock.now());
        clock.advance(1);
    }
    let live = Arc::new(live);
    let before = answers(&live).await;
    moments.insert(0, Timestamp(NIGHT));
    for at in moments.clone() {
        assert_alike(&live, at, async {}).await;
    }
    assert_eq!(before, answers(&live).await, "the present is as it was");
    for at in moments {
        let id = ids[(r() * ids.len() as f64) as usize];
        let change = patch(&mut r, &[]);
        assert_alike(&live, at, async {
            clock.advance(1);
            let _ = live.update(id, &change, "test").await;
        })
        .await;
    }
}
