//! One text match for every store: the embedded store (SQLite FTS5), the shared store
//! (PostgreSQL full text) and the past (in memory) answer the same `q` with the same ids, on
//! descriptions with diacritics, Arabic and Persian letter forms, hyphens, punctuation,
//! digits, mixed case and phrases; and an embedded store written by the schema before the
//! search words opens, fills them in and answers text queries.
//!
//! The PostgreSQL case needs `SIGHTMAP_TEST_POSTGRES` (a PostGIS database URL, which
//! `scripts/test.sh` makes): a plain `cargo test` lists it as ignored, saying why.

mod common;

use serde_json::json;
use sightmap_core::domain::model::{Origin, Report, ReportId, ReportInput, Timestamp};
use sightmap_core::engine::store::past::PastStore;
use sightmap_core::engine::store::postgres::PostgresStore;
use sightmap_core::engine::store::sqlite::SqliteStore;
use sightmap_core::engine::store::{ReportReader, ReportWriter, Store};
use std::collections::BTreeSet;

/// The descriptions stored, by number (the expectations below name them by it).
const DESCRIPTIONS: &[&str] = &[
    "Drones over eastern Gīlān, near Rasht's airport",
    "DRONE seen near Rasht-airport at 03:40",
    "پهپاد بر فراز لاهيجان دیده شد",
    "پهپاد بر فراز لاهیجان",
    "انفجار در كرج",
    "Shahed-136 drones, ۳ عدد over Karaj",
    "Explosion heard in Tabriz; 2 missiles (unconfirmed)",
    "Naïve café report: Ümit saw lights",
    "37.5 km north of Rasht",
    "Strike on Bandar-e Anzali port",
    "صدای انفجار می\u{200c}روند",
];

/// Each query and the descriptions it must find.
const EXPECTED: &[(&str, &[usize])] = &[
    ("rasht", &[0, 1, 8]),
    ("RASHT", &[0, 1, 8]),
    ("Rasht's", &[0]),
    ("rasht airport", &[0, 1]),
    ("rasht-airport", &[1]),
    ("airport rasht", &[0, 1]),
    ("gilan", &[0]),
    ("Gīlān,", &[0]),
    ("eastern-gilan", &[0]),
    ("لاهیجان", &[2, 3]),
    ("لاهيجان", &[2, 3]),
    ("کرج", &[4]),
    ("كرج", &[4]),
    ("انفجار", &[4, 10]),
    ("136", &[5]),
    ("shahed-136", &[5]),
    ("shahed136", &[]),
    ("3", &[5]),
    ("۳", &[5]),
    ("03:40", &[1]),
    ("37.5", &[8]),
    ("37", &[8]),
    ("naive cafe", &[7]),
    ("NAÏVE", &[7]),
    ("umit", &[7]),
    ("missiles tabriz", &[6]),
    ("(unconfirmed)", &[6]),
    ("bandar-e anzali", &[9]),
    ("anzali bandar", &[9]),
    ("می روند", &[10]),
    ("میروند", &[]),
    ("drone", &[1]),
    ("drones", &[0, 5]),
    ("placeholder", &[]),
    ("deleted", &[]),
    ("", &[]),
    ("-- ,", &[]),
];

fn report(n: usize, description: &str) -> Report {
    let input: ReportInput = serde_json::from_value(json!({
        "kind": "drone",
        "description": description,
        "lat": 37.28 + n as f64 * 0.001,
        "lon": 49.58,
        "observed": {"from": "2025-06-13T20:00:00Z", "to": "2025-06-13T21:00:00Z"},
        "sources": [{"name": "a resident", "type": "civilian", "stance": "asserts"}],
    }))
    .unwrap();
    input
        .into_report(Origin::Client, None, Timestamp(1_750_000_000), None)
        .unwrap()
}

/// The reports: each description, the first written with other text and then edited to its
/// own, and one more deleted (neither the old text nor the deleted report may match).
async fn fill(store: &dyn Store) -> Vec<Report> {
    let reports: Vec<Report> = DESCRIPTIONS
        .iter()
        .enumerate()
        .map(|(n, d)| report(n, d))
        .collect();
    let mut first = reports[0].clone();
    first.description = "placeholder text".into();
    let deleted = report(99, "a deleted report near Rasht");
    let mut all = vec![first, deleted.clone()];
    all.extend(reports[1..].iter().cloned());
    store.insert(all, "t").await.unwrap();
    let (_, version) = store.get(reports[0].id).await.unwrap().unwrap();
    store
        .update(reports[0].clone(), version, "t")
        .await
        .unwrap()
        .unwrap();
    store
        .delete(deleted.id, Timestamp(1_750_000_100), "t")
        .await
        .unwrap()
        .unwrap();
    reports
}

/// Checks every query of [`EXPECTED`] against `reader`.
async fn check(reader: &dyn ReportReader, reports: &[Report], what: &str) {
    let ids: Vec<ReportId> = reports.iter().map(|r| r.id).collect();
    let mut wrong = Vec::new();
    for (query, expected) in EXPECTED {
        let found: BTreeSet<usize> = reader
            .text_matches(query.to_string())
            .await
            .unwrap()
            .iter()
            .map(|id| ids.iter().position(|i| i == id).expect("a stored report"))
            .collect();
        let expected: BTreeSet<usize> = expected.iter().copied().collect();
        if found != expected {
            wrong.push(format!("{query:?}: found {found:?}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{what}:\n{}", wrong.join("\n"));
}

fn past(reports: &[Report]) -> PastStore {
    PastStore::new(
        Timestamp(1_750_000_200),
        "t",
        reports.iter().cloned().zip(1..).collect(),
    )
}

#[tokio::test]
async fn the_embedded_store_and_the_past_match_text_alike() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let reports = fill(&store).await;
    check(&store, &reports, "SQLite").await;
    check(&past(&reports), &reports, "the past").await;
    // Reopened, the index still answers (nothing is rebuilt at start).
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    check(&store, &reports, "SQLite reopened").await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL/PostGIS (scripts/test.sh)"]
async fn the_shared_store_matches_text_as_the_others() {
    let url = common::postgres::fresh_store(&common::postgres::database());
    let store = PostgresStore::open(&url).await.unwrap();
    let reports = fill(&store).await;
    check(&store, &reports, "PostgreSQL").await;
    drop(store);

    // Back to schema version 3, as it was before the search words: it opens, fills them in
    // and answers alike.
    common::postgres::psql(
        &url,
        "DROP INDEX reports_words; ALTER TABLE reports DROP COLUMN search_words; \
         CREATE INDEX reports_text ON reports USING gin (to_tsvector('simple', description)) \
         WHERE deleted_at IS NULL; \
         UPDATE sightmap_meta SET value = '3' WHERE key = 'schema_version'",
    );
    let store = PostgresStore::open(&url).await.unwrap();
    check(&store, &reports, "PostgreSQL upgraded from version 3").await;
    let indexes = common::postgres::psql(
        &url,
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes \
         WHERE schemaname = current_schema() AND tablename = 'reports' AND indexname LIKE '%text%' \
         OR indexname = 'reports_words' AND schemaname = current_schema()",
    );
    assert_eq!(indexes, "reports_words");
}

/// More reports than the upgrade fills in one batch.
const FILLERS: usize = 10_001;

/// A word of three letters for each filler (shorter than any word the queries look for).
fn filler_word(n: usize) -> String {
    [n / 676, n / 26 % 26, n % 26]
        .iter()
        .map(|&i| char::from(b'a' + i as u8))
        .collect()
}

/// An embedded store as schema version 5 left it (no search words; the full-text table on the
/// descriptions) opens, fills the search words in batches and answers as a new store.
#[tokio::test]
async fn an_embedded_store_of_the_schema_before_opens_and_matches_text() {
    let dir = tempfile::tempdir().unwrap();
    let reports = {
        let store = SqliteStore::open(dir.path()).unwrap();
        let reports = fill(&store).await;
        let fillers: Vec<Report> = (0..FILLERS)
            .map(|n| report(100 + n % 1000, &format!("filler {}", filler_word(n))))
            .collect();
        store.insert(fillers, "t").await.unwrap();
        reports
    };
    // Back to version 5, as that schema wrote it.
    let conn = rusqlite::Connection::open(dir.path().join("sightmap.db")).unwrap();
    conn.execute_batch(
        "DROP TABLE report_words;
         ALTER TABLE reports DROP COLUMN search_words;
         CREATE VIRTUAL TABLE report_text
             USING fts5 (description, content = '', contentless_delete = 1);
         INSERT INTO report_text (rowid, description)
             SELECT rowid, description FROM reports WHERE deleted_at IS NULL;
         PRAGMA user_version = 5;",
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(dir.path()).unwrap();
    check(&store, &reports, "SQLite upgraded from version 5").await;
    let fillers = store.text_matches("filler".into()).await.unwrap();
    assert_eq!(fillers.len(), FILLERS);
    let last = format!("filler {}", filler_word(FILLERS - 1));
    assert_eq!(store.text_matches(last).await.unwrap().len(), 1);
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("sightmap.db")).unwrap();
    let (version, old_table, unfilled): (i64, bool, i64) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), \
                    EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'report_text'), \
                    (SELECT count(*) FROM reports WHERE search_words = '')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((version, old_table, unfilled), (6, false, 0));
}
