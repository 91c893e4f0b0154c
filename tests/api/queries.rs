//! Queries over HTTP: the shape of a FeatureCollection, paging, and each kind of query and
//! filter on a small known dataset. (The index's correctness on random data is in
//! tests/index.rs.)

use crate::support::{App, ids_of, report_at};
use serde_json::json;
use sightmap_core::geospatial::geodesy::geodesic_distance_m;

/// Rasht, Lahijan, Ardabil, Astara (Iran) and Baku, with distinct kinds, times and sources.
async fn seeded() -> (App, Vec<String>) {
    let app = App::new(None).await;
    let places = [
        (
            "rasht",
            49.5832,
            37.2808,
            "strike",
            "2025-06-13T22:00:00Z",
            "civilian",
            "disputed",
            "a strike in the city",
        ),
        (
            "lahijan",
            50.0041,
            37.2071,
            "sound",
            "2025-06-14T01:00:00Z",
            "media",
            "unverified",
            "loud jets overhead",
        ),
        (
            "ardabil",
            48.2933,
            38.2498,
            "drone",
            "2025-06-20T10:00:00Z",
            "civilian",
            "unverified",
            "drones behind the mountains",
        ),
        (
            "astara",
            48.8700,
            38.4310,
            "drone",
            "2025-06-22T10:00:00Z",
            "social",
            "corroborated",
            "drones near the river",
        ),
        (
            "baku",
            49.8671,
            40.4093,
            "light",
            "2025-07-01T10:00:00Z",
            "official",
            "unverified",
            "a light over the bay",
        ),
    ];
    let mut ids = Vec::new();
    for (tag, lon, lat, kind, at, source, status, text) in places {
        let mut r = report_at(lon, lat);
        r["kind"] = json!(kind);
        r["observed"] = json!({"from": at});
        r["sources"][0]["type"] = json!(source);
        r["status"] = json!(status);
        r["tags"] = json!([tag]);
        r["description"] = json!(text);
        ids.push(app.create(&r).await["id"].as_str().unwrap().to_string());
    }
    (app, ids)
}

#[tokio::test]
async fn a_collection_is_rfc7946_with_paging_members() {
    let (app, ids) = seeded().await;
    let reply = app.get("/api/reports?limit=2").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/geo+json");
    let body = &reply.body;
    assert_eq!(body["type"], "FeatureCollection");
    assert!(body.get("crs").is_none());
    assert_eq!(body["numberMatched"], 5);
    assert_eq!(body["numberReturned"], 2);
    // Newest first.
    assert_eq!(ids_of(body), vec![ids[4].clone(), ids[3].clone()]);
    let next = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("a next link");
    let href = next["href"].as_str().unwrap();
    assert!(
        href.contains("offset=2") && href.contains("limit=2"),
        "{href}"
    );
    let last = app.get("/api/reports?limit=2&offset=4").await.body;
    assert_eq!(ids_of(&last), vec![ids[0].clone()]);
    assert!(
        last["links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["rel"] != "next"),
        "no next link on the last page"
    );
    // The last page links back to the one before it, with the same parameters.
    let prev = last["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "prev")
        .expect("a prev link after the first page");
    let href = prev["href"].as_str().unwrap();
    assert!(
        href.contains("offset=2") && href.contains("limit=2"),
        "{href}"
    );
    let before = app.get(&href[href.find("/api/").unwrap()..]).await.body;
    assert_eq!(ids_of(&before), vec![ids[2].clone(), ids[1].clone()]);
}

#[tokio::test]
async fn radius_is_geodesic_and_nearest_first() {
    let (app, ids) = seeded().await;
    let body = app
        .get("/api/reports?lat=37.25&lon=49.7&radius_km=40")
        .await
        .body;
    assert_eq!(
        ids_of(&body),
        vec![ids[0].clone(), ids[1].clone()],
        "Rasht then Lahijan"
    );
    for (f, (lon, lat)) in body["features"]
        .as_array()
        .unwrap()
        .iter()
        .zip([(49.5832, 37.2808), (50.0041, 37.2071)])
    {
        let want = geodesic_distance_m(49.7, 37.25, lon, lat) / 1000.0;
        let got = f["properties"]["distance_km"].as_f64().unwrap();
        assert!((got - want).abs() <= want * 1e-3, "{got} vs {want}");
    }
    // Lahijan is about 27 km from the centre: a 20 km circle leaves it out.
    assert_eq!(
        ids_of(
            &app.get("/api/reports?lat=37.25&lon=49.7&radius_km=20")
                .await
                .body
        ),
        vec![ids[0].clone()]
    );
}

#[tokio::test]
async fn bbox_and_nearest() {
    let (app, ids) = seeded().await;
    let body = app.get("/api/reports?bbox=48,38,49,38.5").await.body;
    assert_eq!(
        ids_of(&body),
        vec![ids[3].clone(), ids[2].clone()],
        "Astara and Ardabil, newest first"
    );
    let body = app.get("/api/reports?lat=40&lon=49.5&nearest=2").await.body;
    assert_eq!(
        ids_of(&body),
        vec![ids[4].clone(), ids[3].clone()],
        "Baku, then Astara"
    );
    assert!(
        body["features"][0]["properties"]["distance_km"]
            .as_f64()
            .unwrap()
            > 40.0
    );
}

#[tokio::test]
async fn filters_combine() {
    let (app, ids) = seeded().await;
    let q = |query: &str| {
        let app = &app;
        let query = query.to_string();
        async move { ids_of(&app.get(&format!("/api/reports?{query}")).await.body) }
    };
    assert_eq!(q("kind=drone").await, vec![ids[3].clone(), ids[2].clone()]);
    assert_eq!(
        q("kind=strike,light").await,
        vec![ids[4].clone(), ids[0].clone()]
    );
    assert_eq!(
        q("status=disputed,corroborated").await,
        vec![ids[3].clone(), ids[0].clone()]
    );
    assert_eq!(q("source_type=official").await, vec![ids[4].clone()]);
    assert_eq!(
        q("tag=rasht,baku").await,
        vec![ids[4].clone(), ids[0].clone()]
    );
    assert_eq!(
        q("since=2025-06-20&until=2025-06-30").await,
        vec![ids[3].clone(), ids[2].clone()]
    );
    assert_eq!(
        q("until=2025-06-13").await,
        vec![ids[0].clone()],
        "a bare until date includes its day"
    );
    assert_eq!(q("q=drones").await, vec![ids[3].clone(), ids[2].clone()]);
    assert_eq!(
        q("q=drones%20river").await,
        vec![ids[3].clone()],
        "every word must appear"
    );
    assert_eq!(
        q("q=%22unbalanced").await,
        Vec::<String>::new(),
        "quotes are words, not syntax"
    );
    assert_eq!(
        q("kind=drone&lat=38.4&lon=48.9&radius_km=10").await,
        vec![ids[3].clone()]
    );
    assert_eq!(q("bbox=44,35,55,42&kind=sound").await, vec![ids[1].clone()]);
}

#[tokio::test]
async fn an_observation_interval_matches_any_overlapping_range() {
    let app = App::new(None).await;
    let mut r = report_at(49.0, 37.0);
    r["observed"] = json!({"from": "2025-06-13", "to": "2025-06-24"});
    app.create(&r).await;
    for (query, matched) in [
        ("since=2025-06-20&until=2025-06-21", 1),
        ("since=2025-06-24T23:00:00Z", 1),
        ("until=2025-06-12", 0),
        ("since=2025-06-25", 0),
    ] {
        assert_eq!(
            app.get(&format!("/api/reports?{query}")).await.body["numberMatched"],
            matched,
            "{query}"
        );
    }
}

/// A report placed "near Lahijan" with a 10 km uncertainty lies 27 km from the centre: a 20 km
/// search leaves it out, and `include_uncertain` brings it in with the overlap it has.
#[tokio::test]
async fn include_uncertain_adds_overlapping_circles_and_says_by_how_much() {
    let (app, ids) = seeded().await;
    let mut vague = report_at(50.0041, 37.2071);
    vague["uncertainty_m"] = json!(10_000.0);
    vague["precision"] = json!("near");
    let vague_id = app.create(&vague).await["id"].as_str().unwrap().to_string();
    let url = "/api/reports?lat=37.25&lon=49.7&radius_km=20";
    assert_eq!(ids_of(&app.get(url).await.body), vec![ids[0].clone()]);

    let body = app.get(&format!("{url}&include_uncertain=true")).await.body;
    assert_eq!(ids_of(&body), vec![ids[0].clone(), vague_id]);
    let [rasht, vague] = [&body["features"][0], &body["features"][1]];
    assert_eq!(rasht["properties"]["within_radius"], true);
    assert_eq!(vague["properties"]["within_radius"], false);
    let d_km = geodesic_distance_m(49.7, 37.25, 50.0041, 37.2071) / 1000.0;
    let depth = vague["properties"]["uncertainty_overlap_km"]
        .as_f64()
        .unwrap();
    assert!((depth - (20.0 + 10.0 - d_km)).abs() < 0.01, "{depth}");
    let share = vague["properties"]["uncertainty_overlap_share"]
        .as_f64()
        .unwrap();
    assert!(share > 0.0 && share < 0.5, "{share}");
    // Lahijan itself, at a point with the default uncertainty, stays out.
    assert!(!ids_of(&body).contains(&ids[1]));

    app.get("/api/reports?include_uncertain=true")
        .await
        .assert_problem(400, "include_uncertain");
    app.get(&format!("{url}&include_uncertain=maybe"))
        .await
        .assert_problem(400, "include_uncertain");
}
