//! `as_of`: the data as the server knew it at a past moment, from the revision history,
//! through every read that takes it; what was hidden then or since stays hidden.

use crate::privacy::{LAT, LON, assert_no_exact_point};
use crate::support::{App, ids_of, places, report_at};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use sightmap::http::Limits;
use sightmap_core::engine::clock::{Clock, ManualClock};
use sightmap_core::engine::service::ReportService;
use std::net::SocketAddr;
use std::sync::Arc;

const ADMIN: &str = "admin-secret";

/// Now, as `as_of` takes it, a second after the last write was stamped (revisions are
/// stamped to the second) and a second before the next write's: the service's clock is moved
/// on, never waited for.
fn moment(clock: &ManualClock) -> String {
    clock.advance(1);
    let now = clock.now();
    clock.advance(1);
    now.to_string()
}

#[tokio::test]
async fn each_moment_between_edits_and_deletes_answers_as_it_was_through_every_read() {
    let (app, clock) = App::with_manual_clock(Some(ADMIN)).await;
    let (_, reviewer) = app.make_token(ADMIN, "verification", "reviewer").await;
    let before = moment(&clock);
    let mut first = report_at(LON, LAT);
    first["description"] = json!("drones low over the rooftops");
    let a = app
        .as_token(ADMIN, "POST", "/api/reports", Some(&first))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let a = a.body["id"].as_str().unwrap().to_string();
    let b = app
        .as_token(
            ADMIN,
            "POST",
            "/api/reports",
            Some(&report_at(48.29, 38.25)),
        )
        .await;
    let b = b.body["id"].as_str().unwrap().to_string();
    let created = moment(&clock);
    // A is confirmed; then B is deleted and A's location made private.
    let edit = |patch| {
        let uri = format!("/api/reports/{a}");
        let app = &app;
        let reviewer = reviewer.clone();
        async move {
            let reply = app.as_token(&reviewer, "PATCH", &uri, Some(&patch)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        }
    };
    edit(json!({"status": "confirmed"})).await;
    let confirmed = moment(&clock);
    let deleted = app
        .as_token(ADMIN, "DELETE", &format!("/api/reports/{b}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    edit(json!({"public_precision": "province"})).await;
    let hidden = moment(&clock);

    let at = |t: &str, path: &str| {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{path}{separator}as_of={}", t.replace('+', "%2B"))
    };
    // Pages of reports.
    let page = app.get(&at(&before, "/api/reports")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body["numberMatched"], 0);
    let page = app.get(&at(&created, "/api/reports")).await;
    let mut ids = ids_of(&page.body);
    ids.sort();
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(ids, both);
    let status_then = |t: &str| {
        let uri = at(t, &format!("/api/reports/{a}"));
        let app = &app;
        async move {
            let reply = app.get(&uri).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body["properties"]["status"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(status_then(&created).await, "unverified");
    assert_eq!(status_then(&confirmed).await, "confirmed");
    assert_eq!(
        app.get(&at(&hidden, "/api/reports")).await.body["numberMatched"],
        1
    );
    // A deleted report is there before its deletion, not after; and not now.
    let b_then = |t: &str| at(t, &format!("/api/reports/{b}"));
    assert_eq!(app.get(&b_then(&confirmed)).await.status, StatusCode::OK);
    assert_eq!(
        app.get(&b_then(&hidden)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/reports/{b}")).await.status,
        StatusCode::NOT_FOUND
    );

    // A was made private after `created` and `confirmed`: the public sees its exact point at
    // no moment, through no read; a reviewer sees it.
    for t in [&created, &confirmed, &hidden] {
        for path in [
            format!("/api/reports/{a}"),
            "/api/reports".to_string(),
            "/api/reports?lat=37.3&lon=49.6&radius_km=50".to_string(),
            "/api/layers/points".to_string(),
            "/api/events".to_string(),
            "/api/export?format=csv".to_string(),
            "/api/export?format=fgb".to_string(),
            "/ogc/collections/reports/items".to_string(),
            format!("/ogc/collections/reports/items/{a}"),
        ] {
            assert_no_exact_point(&at(t, &path), &app.get(&at(t, &path)).await);
        }
    }
    let exact = app
        .as_token(
            &reviewer,
            "GET",
            &at(&created, &format!("/api/reports/{a}")),
            None,
        )
        .await;
    assert!(
        String::from_utf8_lossy(&exact.bytes).contains("49.612347"),
        "{}",
        exact.body
    );

    // Events, layers, timelines, exports and OGC items answer from the same moment.
    let matched = |path: String| {
        let app = &app;
        async move {
            let reply = app.get(&path).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
            reply.body["numberMatched"]
                .as_u64()
                .or_else(|| reply.body["matched"].as_u64())
                .unwrap_or_else(|| panic!("{path}: {}", reply.body))
        }
    };
    assert_eq!(matched(at(&before, "/api/events")).await, 0);
    assert_eq!(matched(at(&confirmed, "/api/events")).await, 2);
    assert_eq!(matched(at(&hidden, "/api/events")).await, 1);
    assert_eq!(matched(at(&confirmed, "/api/timeline")).await, 2);
    assert_eq!(matched(at(&hidden, "/api/timeline")).await, 1);
    assert_eq!(
        matched(at(&confirmed, "/ogc/collections/reports/items")).await,
        2
    );
    assert_eq!(
        matched(at(&hidden, "/ogc/collections/events/items")).await,
        1
    );
    let confirmed_then = app
        .get(&at(&confirmed, "/api/timeline?status=confirmed"))
        .await;
    assert_eq!(confirmed_then.body["matched"], 1);
    assert_eq!(
        app.get(&at(&created, "/api/timeline?status=confirmed"))
            .await
            .body["matched"],
        0
    );
    let points = app.get(&at(&confirmed, "/api/layers/points")).await;
    assert_eq!(
        points.body["features"].as_array().unwrap().len(),
        2,
        "{}",
        points.body
    );
    let csv = app.get(&at(&created, "/api/export?format=csv")).await;
    let text = String::from_utf8_lossy(&csv.bytes);
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(!text.contains("confirmed"), "{text}");

    // The region's layers and collections take a cited link's as_of too.
    for path in [
        "/api/layers/coast",
        "/api/layers/provinces",
        "/ogc/collections/coast/items",
    ] {
        let reply = app.get(&at(&created, path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    }

    // The same link gives the same answer later, whatever changed since.
    let cited = app.get(&at(&confirmed, "/api/reports")).await;
    assert_eq!(
        cited.body["timeStamp"],
        json!(confirmed),
        "stamped with its moment"
    );
    let cited = cited.bytes;
    clock.advance(60);
    edit(json!({"status": "disputed"})).await;
    let again = app.get(&at(&confirmed, "/api/reports")).await.bytes;
    assert_eq!(cited, again);
}

#[tokio::test]
async fn a_bad_or_future_as_of_is_refused() {
    let app = App::new(None).await;
    for value in ["yesterday", "2999-01-01T00:00:00Z", "2025-13-01"] {
        app.get(&format!("/api/reports?as_of={value}"))
            .await
            .assert_problem(400, "as_of");
    }
    app.get("/api/reports?as_of=2025-01-01&as_of=2025-01-02")
        .await
        .assert_problem(400, "as_of");
}

/// An app whose service rebuilds one past state at a time with `waiting` more in line, its
/// clock, and three moments: after one report, after two, after three.
async fn app_rebuilding_one_at_a_time(waiting: usize) -> (Arc<App>, [String; 3]) {
    let (mut app, clock) = App::with_manual_clock(Some(ADMIN)).await;
    let store = app.state.reports.store().unwrap().clone();
    app.state.reports = Arc::new(
        ReportService::open(store, Some(places()))
            .await
            .unwrap()
            .with_clock(clock.clone())
            .with_past_rebuilds(1, waiting),
    );
    let mut moments = Vec::new();
    for lon in [48.1, 48.2, 48.3] {
        let created = app
            .as_token(ADMIN, "POST", "/api/reports", Some(&report_at(lon, 38.2)))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        moments.push(format!("/api/reports?as_of={}", moment(&clock)));
    }
    (Arc::new(app), moments.try_into().unwrap())
}

/// Lets spawned requests run until `done` holds (no sleeping: the runtime is yielded to).
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..100_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never came to pass: {what}");
}

fn spawn_get(app: &Arc<App>, uri: &str) -> tokio::task::JoinHandle<crate::support::Reply> {
    let (app, uri) = (app.clone(), uri.to_string());
    tokio::spawn(async move { app.get(&uri).await })
}

#[tokio::test]
async fn past_rebuilds_are_bounded_and_reads_of_one_moment_share_one() {
    let (app, [first, second, _]) = app_rebuilding_one_at_a_time(0).await;
    let reports = app.state.reports.clone();
    let hold = reports.pause_past_rebuilds().await;
    let a = spawn_get(&app, &first);
    until("the first moment's rebuild is admitted", || {
        reports.past_rebuilds().admitted == 1
    })
    .await;
    // The same moment waits for that rebuild and takes no place.
    let same = spawn_get(&app, &first);
    until("a second read joins it", || {
        reports.past_rebuilds().joined == 1
    })
    .await;
    // Another moment finds no place: 503 at once, with when to retry.
    let busy = app.get(&second).await;
    busy.assert_problem(503, "as_of");
    assert_eq!(busy.body["type"], "/problems/past-busy");
    let retry: u64 = busy.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1, "Retry-After {retry}");

    drop(hold);
    let (a, same) = (a.await.unwrap(), same.await.unwrap());
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["numberMatched"], 1);
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
    assert_eq!(a.bytes, same.bytes, "one answer");
    let load = reports.past_rebuilds();
    assert_eq!(
        (load.done, load.admitted, load.joined),
        (1, 0, 0),
        "one rebuild"
    );
    // The place is free again.
    let second = app.get(&second).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["numberMatched"], 2);
}

#[tokio::test]
async fn a_read_that_goes_away_while_waiting_gives_its_place_back() {
    let (app, [first, second, third]) = app_rebuilding_one_at_a_time(1).await;
    let reports = app.state.reports.clone();
    let hold = reports.pause_past_rebuilds().await;
    let running = spawn_get(&app, &first);
    until("one rebuild admitted", || {
        reports.past_rebuilds().admitted == 1
    })
    .await;
    let waiting = spawn_get(&app, &second);
    until("a second one in line", || {
        reports.past_rebuilds().admitted == 2
    })
    .await;
    app.get(&third).await.assert_problem(503, "as_of");
    // The waiting client goes away: its place is free.
    waiting.abort();
    assert!(waiting.await.is_err_and(|e| e.is_cancelled()));
    assert_eq!(reports.past_rebuilds().admitted, 1);
    let third = spawn_get(&app, &third);
    until("the third one in line", || {
        reports.past_rebuilds().admitted == 2
    })
    .await;
    drop(hold);
    assert_eq!(running.await.unwrap().status, StatusCode::OK);
    let third = third.await.unwrap();
    assert_eq!(third.status, StatusCode::OK, "{}", third.body);
    assert_eq!(third.body["numberMatched"], 3);
    assert_eq!(
        reports.past_rebuilds().done,
        2,
        "the abandoned moment never rebuilt"
    );
}

#[tokio::test]
async fn a_read_that_rebuilds_costs_its_client_more_of_the_rate_limit() {
    let (app, [first, second, _]) = app_rebuilding_one_at_a_time(2).await;
    let mut app = Arc::into_inner(app).unwrap();
    // 1 request a second, bursts of 2; a rebuild costs a cell per report (here 1 or 2 more,
    // at most the burst less the request's own).
    app.state.limits = Arc::new(Limits::new(64, 1, false).with_past_reports_per_cell(1));
    let from = |peer: &str, uri: &str| {
        let mut request = Request::get(uri).body(Body::empty()).unwrap();
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    };
    let done = || app.state.reports.past_rebuilds().done;
    // The client that rebuilt has spent its burst; a kept read costs one cell as usual.
    let rebuilt = app.send(from("203.0.113.7:40000", &first)).await;
    assert_eq!(rebuilt.status, StatusCode::OK, "{}", rebuilt.body);
    assert_eq!(done(), 1);
    app.send(from("203.0.113.7:40001", &first))
        .await
        .assert_problem(429, "rate limit");
    for _ in 0..2 {
        let kept = app.send(from("198.51.100.2:40000", &first)).await;
        assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    }
    // A client with a cell left is refused a rebuild, which is not started.
    assert_eq!(
        app.send(from("192.0.2.5:40000", &first)).await.status,
        StatusCode::OK
    );
    let refused = app.send(from("192.0.2.5:40001", &second)).await;
    refused.assert_problem(429, "as_of");
    assert!(refused.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(done(), 1, "no rebuild started");
}
