//! Creating, reading, editing and deleting reports.

use crate::support::{App, report_at};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn health_counts_reports() {
    let app = App::new(None).await;
    assert_eq!(
        app.get("/health").await.body,
        json!({"status": "ok", "reports": 0})
    );
    app.create(&report_at(49.58, 37.28)).await;
    assert_eq!(
        app.get("/health").await.body,
        json!({"status": "ok", "reports": 1})
    );
}

#[tokio::test]
async fn post_returns_the_stored_feature_with_its_location() {
    let app = App::new(None).await;
    let mut body = report_at(49.5832, 37.2808);
    body["tags"] = json!(["Caspian", "night"]);
    let reply = app.json("POST", "/api/reports", &body).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.content_type, "application/geo+json");
    let id = reply.body["id"].as_str().unwrap();
    assert_eq!(
        reply.headers[header::LOCATION],
        format!("/api/reports/{id}")
    );
    let f = &reply.body;
    assert_eq!(f["type"], "Feature");
    assert!(f.get("crs").is_none());
    assert_eq!(
        f["geometry"],
        json!({"type": "Point", "coordinates": [49.5832, 37.2808]})
    );
    let p = &f["properties"];
    assert_eq!(p["kind"], "drone");
    assert_eq!(p["status"], "unverified", "a new claim is unverified");
    assert_eq!(
        p["precision"], "exact",
        "coordinates given directly are exact"
    );
    assert_eq!(p["observed_from"], "2025-06-13T20:00:00Z");
    assert_eq!(p["observed_to"], "2025-06-13T21:00:00Z");
    assert_eq!(
        p["sources"][0],
        json!({"name": "a resident", "type": "civilian", "stance": "asserts"})
    );
    assert_eq!(p["tags"], json!(["caspian", "night"]));
    assert!(p["reported_at"].as_str().unwrap().ends_with('Z'));

    let fetched = app.get(&format!("/api/reports/{id}")).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.content_type, "application/geo+json");
    // The response to the creation also lists the reports it may duplicate (none here).
    let mut created = reply.body.clone();
    let duplicates = created["properties"]
        .as_object_mut()
        .unwrap()
        .remove("possible_duplicates");
    assert_eq!(duplicates, Some(json!([])));
    assert_eq!(fetched.body, created);
}

#[tokio::test]
async fn post_accepts_a_geojson_feature() {
    let app = App::new(None).await;
    let feature = json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [48.87, 38.431]},
        "properties": {
            "kind": "sound", "description": "explosions heard", "location_text": "Astara",
            "precision": "place", "province": "Gilan", "country": "ir",
            "observed_from": "2025-06-14", "sources": [{"name": "Tehran Times", "type": "media", "stance": "asserts"}]
        }
    });
    let f = app.create(&feature).await;
    assert_eq!(f["geometry"]["coordinates"], json!([48.87, 38.431]));
    let p = &f["properties"];
    assert_eq!(p["precision"], "place");
    assert_eq!(p["country"], "IR");
    assert_eq!(p["location_text"], "Astara");
    assert_eq!(p["observed_from"], "2025-06-14T00:00:00Z");
    assert_eq!(
        p["observed_to"], "2025-06-14T23:59:59Z",
        "a bare date covers its day"
    );
    assert!(
        p["uncertainty_m"].as_f64().unwrap() > 1000.0,
        "a place is not as sure as GPS"
    );
}

#[tokio::test]
async fn patch_changes_fields_and_keeps_the_rest() {
    let app = App::new(None).await;
    let created = app.create(&report_at(49.58, 37.28)).await;
    let id = created["id"].as_str().unwrap();
    let uri = format!("/api/reports/{id}");
    let reply = app
        .json("PATCH", &uri, &json!({"status": "disputed", "sources": [
            {"name": "a resident", "type": "civilian", "stance": "asserts"},
            {"name": "a ministry", "type": "official", "stance": "denies", "statement": "nothing happened"}
        ]}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let p = &reply.body["properties"];
    assert_eq!(p["status"], "disputed");
    assert_eq!(p["sources"][1]["stance"], "denies");
    assert_eq!(p["description"], created["properties"]["description"]);
    assert_eq!(p["reported_at"], created["properties"]["reported_at"]);
    assert_eq!(app.get(&uri).await.body, reply.body, "the edit is stored");
    assert_eq!(
        app.get("/api/reports?status=disputed").await.body["numberMatched"],
        1,
        "and indexed"
    );

    // Moving the point makes it exact again unless a precision is given.
    let moved = app
        .json(
            "PATCH",
            &uri,
            &json!({"lat": 38.0, "lon": 48.0, "precision": "province"}),
        )
        .await;
    assert_eq!(moved.body["properties"]["precision"], "province");
    assert_eq!(moved.body["geometry"]["coordinates"], json!([48.0, 38.0]));
    let near = app.get("/api/reports?lat=38&lon=48&radius_km=1").await;
    assert_eq!(near.body["numberMatched"], 1, "the index follows the move");
    let old = app
        .get("/api/reports?lat=37.28&lon=49.58&radius_km=1")
        .await;
    assert_eq!(old.body["numberMatched"], 0);
}

#[tokio::test]
async fn patch_refuses_server_fields_unknown_fields_and_bad_values() {
    let app = App::new(None).await;
    let id = app.create(&report_at(49.58, 37.28)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let uri = format!("/api/reports/{id}");
    app.json("PATCH", &uri, &json!({"id": "x"}))
        .await
        .assert_problem(422, "id");
    app.json(
        "PATCH",
        &uri,
        &json!({"reported_at": "2025-01-01T00:00:00Z"}),
    )
    .await
    .assert_problem(422, "reported_at");
    app.json("PATCH", &uri, &json!({"colour": "red"}))
        .await
        .assert_problem(422, "colour");
    app.json("PATCH", &uri, &json!({"status": "true"}))
        .await
        .assert_problem(422, "status");
    app.json("PATCH", &uri, &json!({"kind": null}))
        .await
        .assert_problem(422, "kind");
    app.json("PATCH", &uri, &json!({"lat": 91}))
        .await
        .assert_problem(422, "lat");
    let missing = "/api/reports/01970000-0000-7000-8000-000000000000";
    app.json("PATCH", missing, &json!({"status": "confirmed"}))
        .await
        .assert_problem(404, "01970000");
}

#[tokio::test]
async fn query_pages_show_each_edit_and_delete_at_once() {
    // Query pages come from the feature cache once read: an edit or delete must show at once.
    let app = App::new(None).await;
    let id = app.create(&report_at(49.58, 37.28)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let uri = format!("/api/reports/{id}");
    let near = "/api/reports?lat=37.28&lon=49.58&radius_km=5";
    let before = app.get(near).await.body;
    assert_eq!(before["features"][0]["properties"]["status"], "unverified");
    assert_eq!(before["features"][0]["properties"]["distance_km"], 0.0);
    assert_eq!(
        app.get(near).await.body["features"],
        before["features"],
        "read again"
    );
    app.json(
        "PATCH",
        &uri,
        &json!({"status": "disputed", "description": "edited"}),
    )
    .await;
    let after = app.get(near).await.body;
    let p = &after["features"][0]["properties"];
    assert_eq!(
        (p["status"].as_str(), p["description"].as_str()),
        (Some("disputed"), Some("edited"))
    );
    // The page's feature is the one GET returns, plus its distance.
    let mut single = app.get(&uri).await.body;
    single["properties"]["distance_km"] = json!(0.0);
    assert_eq!(after["features"][0], single);
    app.send(Request::delete(&uri).body(Body::empty()).unwrap())
        .await;
    assert_eq!(app.get(near).await.body["numberMatched"], 0);
}

#[tokio::test]
async fn delete_hides_the_report_everywhere() {
    let app = App::new(None).await;
    let id = app.create(&report_at(49.58, 37.28)).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let uri = format!("/api/reports/{id}");
    let reply = app
        .send(Request::delete(&uri).body(Body::empty()).unwrap())
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.get(&uri).await.assert_problem(404, &id);
    assert_eq!(app.get("/api/reports").await.body["numberMatched"], 0);
    assert_eq!(app.get("/health").await.body["reports"], 0);
    let again = app
        .send(Request::delete(&uri).body(Body::empty()).unwrap())
        .await;
    again.assert_problem(404, &id);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_problems() {
    let app = App::new(None).await;
    app.get("/api/reports/01970000-0000-7000-8000-000000000000")
        .await
        .assert_problem(404, "01970000");
    app.get("/api/reports/not-an-id")
        .await
        .assert_problem(404, "not-an-id");
    app.get("/nowhere").await.assert_problem(404, "/nowhere");
}

#[tokio::test]
async fn writes_need_the_token_when_the_server_has_one() {
    let app = App::new(Some("s3cret")).await;
    let body = report_at(49.58, 37.28).to_string();
    let post = |auth: Option<&str>| {
        let mut b = Request::post("/api/reports").header(header::CONTENT_TYPE, "application/json");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::from(body.clone())).unwrap()
    };
    app.send(post(None))
        .await
        .assert_problem(401, "Authorization");
    app.send(post(Some("Bearer wrong")))
        .await
        .assert_problem(401, "token");
    let ok = app.send(post(Some("Bearer s3cret"))).await;
    assert_eq!(ok.status, StatusCode::CREATED);
    let id = ok.body["id"].as_str().unwrap();
    let delete = Request::delete(format!("/api/reports/{id}"))
        .body(Body::empty())
        .unwrap();
    app.send(delete).await.assert_problem(401, "Authorization");
    assert_eq!(
        app.get("/api/reports").await.status,
        StatusCode::OK,
        "reads stay public"
    );
}

#[tokio::test]
async fn cors_allows_reads_from_any_origin() {
    let app = App::new(None).await;
    let reply = app
        .send(
            Request::get("/api/reports")
                .header(header::ORIGIN, "https://example.org")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
}
