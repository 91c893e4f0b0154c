//! `/api/geocode`, `/api/reverse`, and reports sent with place text instead of coordinates.

use crate::support::App;
use serde_json::json;
use sightmap_core::geospatial::geodesy::geodesic_distance_m;

fn km_between(feature: &serde_json::Value, lon: f64, lat: f64) -> f64 {
    let c = &feature["geometry"]["coordinates"];
    geodesic_distance_m(lon, lat, c[0].as_f64().unwrap(), c[1].as_f64().unwrap()) / 1000.0
}

#[tokio::test]
async fn geocode_answers_a_feature_collection_best_first() {
    let app = App::new(None).await;
    let reply = app.get("/api/geocode?q=Rasht").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/geo+json");
    assert_eq!(reply.body["type"], "FeatureCollection");
    assert_eq!(reply.body["ambiguous"], false);
    let best = &reply.body["features"][0];
    // GeoNames: Rasht 37.27611 N, 49.58862 E.
    assert!(km_between(best, 49.58862, 37.27611) < 1.0, "{best}");
    let p = &best["properties"];
    assert_eq!(p["precision"], "place");
    assert_eq!(p["province"], "Gilan");
    assert_eq!(p["country"], "IR");
    assert_eq!(p["matched"], "Rasht");
    assert!(p["source_id"].as_str().unwrap().starts_with("geonames:"));
    assert!(p["confidence"].as_f64().unwrap() > 0.9);
}

#[tokio::test]
async fn astara_is_ambiguous_until_context_decides() {
    let app = App::new(None).await;
    let reply = app.get("/api/geocode?q=Astara").await;
    assert_eq!(reply.body["ambiguous"], true, "{}", reply.body);
    let countries: Vec<&str> = reply.body["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["country"].as_str())
        .collect();
    assert!(
        countries.contains(&"IR") && countries.contains(&"AZ"),
        "{countries:?}"
    );
    for (q, country) in [
        ("Astara, Gilan", "IR"),
        ("Astara, Republic of Azerbaijan", "AZ"),
    ] {
        let reply = app.get(&format!("/api/geocode?q={}", urlencode(q))).await;
        assert_eq!(reply.body["ambiguous"], false, "{q}: {}", reply.body);
        assert_eq!(
            reply.body["features"][0]["properties"]["country"], country,
            "{q}"
        );
    }
}

#[tokio::test]
async fn unknown_places_get_no_features_and_blank_text_a_problem() {
    let app = App::new(None).await;
    let reply = app.get("/api/geocode?q=Xyzzyville").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["features"].as_array().unwrap().len(), 0);
    app.get("/api/geocode?q=%20%20")
        .await
        .assert_problem(400, "q");
    app.get("/api/geocode").await.assert_problem(400, "q");
    app.get("/api/geocode?q=Rasht&limit=0")
        .await
        .assert_problem(400, "limit");
    app.get("/api/geocode?q=Rasht&bogus=1")
        .await
        .assert_problem(400, "bogus");
}

#[tokio::test]
async fn reverse_names_province_country_and_nearest_place() {
    let app = App::new(None).await;
    let reply = app.get("/api/reverse?lat=37.28&lon=49.59").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/geo+json");
    let p = &reply.body["properties"];
    assert_eq!(p["province"], "Gilan");
    assert_eq!(p["country"], "IR");
    assert!(
        p["nearest_place"]["distance_km"].as_f64().unwrap() < 5.0,
        "{p}"
    );
    app.get("/api/reverse?lat=95&lon=49")
        .await
        .assert_problem(400, "lat");
    app.get("/api/reverse?lon=49")
        .await
        .assert_problem(400, "lat");
}

#[tokio::test]
async fn a_report_with_place_text_is_geocoded_and_keeps_the_text() {
    let app = App::new(None).await;
    let body = json!({"kind": "drone", "description": "drones over eastern Gilan",
        "location": {"text": "eastern Gilan"}, "observed": {"from": "2025-06-13"}});
    let created = app.create(&body).await;
    let p = &created["properties"];
    assert_eq!(p["location_text"], "eastern Gilan");
    assert_eq!(p["precision"], "region");
    assert_eq!(p["province"], "Gilan");
    assert!(p["uncertainty_m"].as_f64().unwrap() > 10_000.0);
    // Eastern Gilan lies east of Rasht.
    assert!(created["geometry"]["coordinates"][0].as_f64().unwrap() > 49.6);

    let body = json!({"kind": "strike", "description": "a strike", "location_text": "Astara",
        "observed": {"from": "2025-06-13"}});
    let created = app.create(&body).await;
    assert_eq!(created["properties"]["location_ambiguous"], true);
}

#[tokio::test]
async fn an_unknown_place_is_a_problem_with_suggestions() {
    let app = App::new(None).await;
    let body = json!({"kind": "drone", "description": "drones",
        "location": {"text": "Xyzzyville"}, "observed": {"from": "2025-06-13"}});
    let reply = app.json("POST", "/api/reports", &body).await;
    reply.assert_problem(422, "location_text");
    let body = json!({"kind": "drone", "description": "drones",
        "location": {"text": "Lahijanqq"}, "observed": {"from": "2025-06-13"}});
    let reply = app.json("POST", "/api/reports", &body).await;
    reply.assert_problem(422, "location_text");
    assert!(
        reply.body.to_string().contains("did you mean"),
        "{}",
        reply.body
    );
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_string()
}

#[tokio::test]
async fn a_geocoded_report_checks_the_clients_country_as_any_other() {
    let app = App::new(None).await;
    let body = json!({"kind": "drone", "description": "drones",
        "location": {"text": "Rasht", "country": "Iran"}, "observed": {"from": "2025-06-13"}});
    let reply = app.json("POST", "/api/reports", &body).await;
    reply.assert_problem(422, "country");
}
