//! `/api/timeline`: matching reports (or events) counted per bin of observation time, by
//! status (or suggested grade), in the viewer's time zone.

use crate::support::{App, new_report, report_at};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// A report at a point, observed from `from` to `to`, with a status.
fn observed(lon: f64, lat: f64, from: &str, to: &str, status: &str) -> Value {
    new_report(lon, lat)
        .observed(from, Some(to))
        .status(status)
        .json()
}

fn bin<'a>(body: &'a Value, start: &str) -> &'a Value {
    body["bins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["start"] == start)
        .unwrap_or_else(|| panic!("no bin starts at {start}: {body}"))
}

#[tokio::test]
async fn counts_by_status_spread_intervals_and_follow_the_box_and_zone() {
    let app = App::new(None).await;
    // Rasht: an instant, and a three-hour interval; Ardabil: another instant.
    app.create(&observed(
        49.58,
        37.28,
        "2025-06-13T20:10:00Z",
        "2025-06-13T20:10:00Z",
        "unverified",
    ))
    .await;
    app.create(&observed(
        49.58,
        37.28,
        "2025-06-13T21:00:00Z",
        "2025-06-14T00:00:00Z",
        "disputed",
    ))
    .await;
    app.create(&observed(
        48.29,
        38.25,
        "2025-06-13T22:30:00Z",
        "2025-06-13T22:30:00Z",
        "confirmed",
    ))
    .await;

    let all = app.get("/api/timeline?bin=1h").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let body = &all.body;
    assert_eq!(body["matched"], 3);
    assert_eq!(body["bin"], "1h");
    assert_eq!(body["utc_offset"], "Z");
    assert_eq!(body["categories"][0], "unverified");
    assert!(
        body["weight_note"]
            .as_str()
            .unwrap()
            .contains("adds one in all")
    );
    assert_eq!(
        bin(body, "2025-06-13T20:00:00Z")["counts"]["unverified"],
        1.0
    );
    // The interval adds a third to each of its three hours.
    for hour in ["21", "22", "23"] {
        let b = bin(body, &format!("2025-06-13T{hour}:00:00Z"));
        assert!(
            (b["counts"]["disputed"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-5,
            "{b}"
        );
    }
    assert_eq!(
        bin(body, "2025-06-13T22:00:00Z")["counts"]["confirmed"],
        1.0
    );
    let total: f64 = body["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["total"].as_f64().unwrap())
        .sum();
    assert!((total - 3.0).abs() < 1e-4, "{total}");

    // Days in Tehran's zone (+03:30): the first instant is on the 13th local, the rest on the 14th.
    let tehran = app.get("/api/timeline?bin=1d&utc_offset=%2B03:30").await;
    assert_eq!(tehran.status, StatusCode::OK, "{}", tehran.body);
    let day13 = bin(&tehran.body, "2025-06-13T00:00:00+03:30");
    assert_eq!(day13["total"], 1.0, "{day13}");
    let day14 = bin(&tehran.body, "2025-06-14T00:00:00+03:30");
    assert!(
        (day14["total"].as_f64().unwrap() - 2.0).abs() < 1e-5,
        "{day14}"
    );

    // The view's box and the report filters narrow what is counted.
    let rasht = app
        .get("/api/timeline?bin=1h&bbox=49,37,50,38&status=disputed")
        .await;
    assert_eq!(rasht.status, StatusCode::OK, "{}", rasht.body);
    assert_eq!(rasht.body["matched"], 1);
    // since/until set the span, and cut an interval's share outside it.
    let cut = app
        .get("/api/timeline?bin=1h&since=2025-06-13T21:00:00Z&until=2025-06-13T21:59:59Z")
        .await;
    assert_eq!(
        cut.body["bins"].as_array().unwrap().len(),
        1,
        "{}",
        cut.body
    );
    assert_eq!(cut.body["start"], "2025-06-13T21:00:00Z");

    // Events, by suggested grade.
    let events = app.get("/api/timeline?of=events&bin=6h").await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    assert_eq!(events.body["category_field"], "suggested_grade");
    assert!(
        events.body["grade_note"]
            .as_str()
            .unwrap()
            .contains("not a finding")
    );
    assert_eq!(
        events.body["grade_note_message"]["code"],
        "events.grade_note"
    );
    assert_eq!(
        events.body["weight_note_message"]["code"],
        "timeline.weighting_note"
    );
    assert_eq!(
        events.body["weight_note_message"]["text"],
        events.body["weight_note"]
    );
    assert!(events.body["matched"].as_u64().unwrap() >= 2);
}

#[tokio::test]
async fn an_empty_answer_has_no_bins() {
    let app = App::new(None).await;
    let reply = app.get("/api/timeline").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["matched"], 0);
    assert_eq!(reply.body["bins"], json!([]));
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let app = App::new(None).await;
    app.create(&report_at(49.58, 37.28)).await;
    for (uri, field) in [
        ("/api/timeline?bin=2h", "bin"),
        ("/api/timeline?utc_offset=tehran", "utc_offset"),
        ("/api/timeline?utc_offset=%2B19:00", "utc_offset"),
        ("/api/timeline?of=claims", "of"),
        ("/api/timeline?limit=5", "limit"),
        ("/api/timeline?format=csv", "format"),
        ("/api/timeline?grade=asserted_and_denied", "grade"),
        (
            "/api/timeline?bin=1h&since=2000-01-01&until=2025-01-01",
            "bin",
        ),
        ("/api/timeline?colour=red", "colour"),
    ] {
        app.get(uri).await.assert_problem(400, field);
    }
}

/// Issue 16, item 8: with `utc_offset`, the bins at the edges reach beyond since/until, and
/// counted the time there too (an interval's whole share of each edge bin).
#[tokio::test]
async fn the_edge_bins_count_only_the_time_within_since_and_until() {
    let app = App::new(None).await;
    // Eight hours, 16:00 to 24:00 UTC on 13 June.
    app.create(&observed(
        49.58,
        37.28,
        "2025-06-13T16:00:00Z",
        "2025-06-14T00:00:00Z",
        "unverified",
    ))
    .await;
    let reply = app
        .get("/api/timeline?bin=1d&utc_offset=%2B03:30&since=2025-06-13T18:00:00Z&until=2025-06-13T23:00:00Z")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert_eq!(body["matched"], 1);
    assert_eq!(body["bins"].as_array().unwrap().len(), 2, "{body}");
    // Tehran's days start at 20:30 UTC. Since 18:00 to 20:30 lies in the 13th's bin and 20:30
    // to until 23:00 in the 14th's: 2.5 of the interval's 8 hours in each, 5/8 in all. The
    // bins themselves reach from 20:30 on the 12th to 20:30 on the 14th, which holds all
    // eight hours (4.5 and 3.5).
    let share = |start: &str| {
        bin(body, start)["counts"]["unverified"]
            .as_f64()
            .unwrap_or_else(|| panic!("{body}"))
    };
    let day13 = share("2025-06-13T00:00:00+03:30");
    let day14 = share("2025-06-14T00:00:00+03:30");
    assert!((day13 - 2.5 / 8.0).abs() < 1e-6, "{day13}: {body}");
    assert!((day14 - 2.5 / 8.0).abs() < 1e-6, "{day14}: {body}");
    let total: f64 = body["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["total"].as_f64().unwrap())
        .sum();
    assert!((total - 0.625).abs() < 1e-6, "{total}");
}
