//! Location privacy through every endpoint and export: a report with `public_precision` is
//! seen by the public at the province's (or nearest place's) point, never at its exact point,
//! not in a distance, a filter, a layer, an export, an OGC item or its history; reviewers and
//! admins see the exact point. Reporter contact details are refused, never stored.

use crate::support::{App, Reply, ids_of, places, report_at};
use geographiclib_rs::{Geodesic, InverseGeodesic};
use serde_json::{Value, json};
use std::sync::Arc;

const ADMIN: &str = "admin-secret";

/// The exact point: distinctive digits that no coarsened answer can contain by chance.
pub(crate) const LON: f64 = 49.612347;
pub(crate) const LAT: f64 = 37.305129;

fn geodesic_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    InverseGeodesic::<f64>::inverse(&Geodesic::wgs84(), lat1, lon1, lat2, lon2)
}

/// A private report at the exact point, whose own place text spells the point out.
fn private_report(level: &str) -> Value {
    let mut report = report_at(LON, LAT);
    report["location_text"] = json!(format!("my street, {LAT}, {LON}"));
    report["public_precision"] = json!(level);
    report["description"] = json!("drones low over the rooftops");
    report
}

/// Fails if the bytes hold the exact point in any form sightmap writes: decimal text
/// (JSON, CSV, KML) or IEEE 754 doubles (FlatGeobuf). A JSON answer's links, which repeat
/// the query the client sent, are left out.
#[track_caller]
pub(crate) fn assert_no_exact_point(what: &str, reply: &Reply) {
    assert!(reply.status.is_success(), "{what}: {}", reply.body);
    let mut body = reply.body.clone();
    let bytes = match body.as_object_mut() {
        Some(object) => {
            object.remove("links");
            serde_json::to_vec(&body).unwrap()
        }
        None => reply.bytes.to_vec(),
    };
    let text = String::from_utf8_lossy(&bytes);
    for digits in ["612347", "305129"] {
        assert!(
            !text.contains(digits),
            "{what} shows the exact point ({digits}): {text:.2000}"
        );
    }
    for value in [LON, LAT] {
        let le = value.to_le_bytes();
        assert!(
            !bytes.windows(8).any(|w| w == le),
            "{what} holds the exact point as a double"
        );
    }
}

/// The feature with this id in a FeatureCollection.
fn feature<'a>(collection: &'a Value, id: &str) -> &'a Value {
    collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id || f["properties"]["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing from {collection}"))
}

fn point_of(feature: &Value) -> (f64, f64) {
    let c = &feature["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

struct Setup {
    app: App,
    reviewer: String,
    reader: String,
    /// The private report (province level) and an ordinary one beside it.
    private_id: String,
    public_id: String,
    /// Gilan's representative point, where the public sees the private report, as every
    /// output writes it (to 7 decimals).
    province_point: (f64, f64),
    /// The same point as the region data holds it.
    province_stored: (f64, f64),
}

async fn setup() -> Setup {
    let app = App::new(Some(ADMIN)).await;
    let (_, reporter) = app.make_token(ADMIN, "field desk", "reporter").await;
    let (_, reviewer) = app.make_token(ADMIN, "verification", "reviewer").await;
    let (_, reader) = app.make_token(ADMIN, "newsroom", "reader").await;
    let created = app
        .as_token(
            &reporter,
            "POST",
            "/api/reports",
            Some(&private_report("province")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    // The reporter holds no reviewer token: the answer is what the public sees.
    assert_no_exact_point("the POST answer to a reporter", &created);
    let private_id = created.body["id"].as_str().unwrap().to_string();
    let public = app
        .as_token(
            &reporter,
            "POST",
            "/api/reports",
            Some(&report_at(49.62, 37.31)),
        )
        .await;
    assert_eq!(public.status, 201);
    let places = places();
    let gilan = places.region.province_at(LON, LAT).unwrap();
    assert_eq!(gilan.name, "Gilan");
    Setup {
        app,
        reviewer,
        reader,
        private_id,
        public_id: public.body["id"].as_str().unwrap().to_string(),
        province_point: {
            let [lon, lat] = sightmap_core::formats::coords::point(
                gilan.representative.0,
                gilan.representative.1,
            );
            (lon, lat)
        },
        province_stored: gilan.representative,
    }
}

#[tokio::test]
async fn reviewers_see_the_exact_point_and_the_public_the_provinces() {
    let s = setup().await;
    let uri = format!("/api/reports/{}", s.private_id);
    // A reviewer reads first: nothing it is shown may be kept for the public.
    let exact = s.app.as_token(&s.reviewer, "GET", &uri, None).await;
    assert_eq!(exact.status, 200);
    assert_eq!(point_of(&exact.body), (LON, LAT));
    let p = &exact.body["properties"];
    assert_eq!(p["public_precision"], "province");
    assert_eq!(p["precision"], "exact");
    assert!(p.get("location_coarsened").is_none());
    let list = s
        .app
        .as_token(&s.reviewer, "GET", "/api/reports", None)
        .await;
    assert_eq!(point_of(feature(&list.body, &s.private_id)), (LON, LAT));

    for (who, reply) in [
        ("anonymous", s.app.get(&uri).await),
        (
            "a reader",
            s.app.as_token(&s.reader, "GET", &uri, None).await,
        ),
    ] {
        assert_no_exact_point(who, &reply);
        assert_eq!(point_of(&reply.body), s.province_point, "{who}");
        let p = &reply.body["properties"];
        assert_eq!(p["precision"], "province", "{who}");
        assert_eq!(p["location_coarsened"], true, "{who}");
        assert_eq!(p["public_precision"], "province", "{who}");
        assert_eq!(p["location_text"], "Gilan", "{who}");
        assert_eq!(p["province"], "Gilan", "{who}");
        // The public circle holds the exact point.
        let reach = geodesic_m(s.province_point.0, s.province_point.1, LON, LAT);
        assert!(p["uncertainty_m"].as_f64().unwrap() >= reach, "{who}: {p}");
        // Distances to border and coast are the province point's, not the exact one's.
        let relate = s
            .app
            .get(&format!(
                "/api/relate?lat={}&lon={}",
                s.province_stored.1, s.province_stored.0
            ))
            .await;
        assert_eq!(relate.status, 200, "{}", relate.body);
        assert_eq!(
            p["coast_distance_km"], relate.body["coast"]["distance_km"],
            "{who}: {p} against {}",
            relate.body
        );
    }
    s.app
        .as_token("smt_nonsense", "GET", &uri, None)
        .await
        .assert_problem(401, "not valid");
    let headers = s.app.get(&uri).await.headers;
    assert!(
        headers
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().contains("Authorization")),
        "answers that differ by token say Vary: Authorization"
    );
}

#[tokio::test]
async fn queries_never_place_a_private_report_at_its_exact_point_for_the_public() {
    let s = setup().await;
    // A small circle around the exact point: the reviewer finds the report there, the
    // public does not (else circles would locate it).
    let near = format!("/api/reports?lat={LAT}&lon={LON}&radius_km=0.5");
    let reviewer = s.app.as_token(&s.reviewer, "GET", &near, None).await;
    assert_eq!(ids_of(&reviewer.body), vec![s.private_id.clone()]);
    assert_eq!(
        reviewer.body["features"][0]["properties"]["distance_km"],
        0.0
    );
    let public = s.app.get(&near).await;
    assert!(ids_of(&public.body).is_empty(), "{}", public.body);
    assert_eq!(public.body["numberMatched"], 0);

    // Around the province's point the public finds it, at the public point's distance.
    let (plon, plat) = s.province_stored;
    let around = format!("/api/reports?lat={plat}&lon={plon}&radius_km=1");
    let public = s.app.get(&around).await;
    assert_no_exact_point("a radius query", &public);
    assert_eq!(ids_of(&public.body), vec![s.private_id.clone()]);
    assert_eq!(public.body["features"][0]["properties"]["distance_km"], 0.0);
    let reviewer = s.app.as_token(&s.reviewer, "GET", &around, None).await;
    assert!(ids_of(&reviewer.body).is_empty(), "{}", reviewer.body);

    // Nearest from the exact point: the distance is to the public point.
    let nearest = format!("/api/reports?lat={LAT}&lon={LON}&nearest=2");
    let public = s.app.get(&nearest).await;
    assert_no_exact_point("a nearest query", &public);
    let shown = feature(&public.body, &s.private_id)["properties"]["distance_km"]
        .as_f64()
        .unwrap();
    let expected = geodesic_m(LON, LAT, plon, plat) / 1000.0;
    assert!((shown - expected).abs() < 1e-3, "{shown} vs {expected}");
    let reviewer = s.app.as_token(&s.reviewer, "GET", &nearest, None).await;
    assert_eq!(ids_of(&reviewer.body)[0], s.private_id);
    assert_eq!(
        reviewer.body["features"][0]["properties"]["distance_km"],
        0.0
    );

    // Uncertainty overlaps are the public circle's.
    let overlap = format!("/api/reports?lat={LAT}&lon={LON}&radius_km=0.5&include_uncertain=true");
    let public = s.app.get(&overlap).await;
    assert_no_exact_point("an uncertainty query", &public);
    let f = feature(&public.body, &s.private_id);
    assert_eq!(f["properties"]["within_radius"], false);

    // A box around the exact point only.
    let bbox = format!(
        "/api/reports?bbox={},{},{},{}",
        LON - 0.01,
        LAT - 0.01,
        LON + 0.01,
        LAT + 0.01
    );
    let public = s.app.get(&bbox).await;
    assert!(!ids_of(&public.body).contains(&s.private_id));
    let reviewer = s.app.as_token(&s.reviewer, "GET", &bbox, None).await;
    assert!(ids_of(&reviewer.body).contains(&s.private_id));

    // Paging a reviewer's answer merges both indexes in order.
    let all = s
        .app
        .as_token(&s.reviewer, "GET", "/api/reports?limit=1&offset=1", None)
        .await;
    assert_eq!(all.body["numberMatched"], 2);
    let first = s
        .app
        .as_token(&s.reviewer, "GET", "/api/reports?limit=1", None)
        .await;
    let mut both = ids_of(&first.body);
    both.extend(ids_of(&all.body));
    both.sort();
    let mut expected = vec![s.private_id.clone(), s.public_id.clone()];
    expected.sort();
    assert_eq!(both, expected);

    // Whole lists, filters and the reports layer.
    for uri in [
        "/api/reports",
        "/api/reports?province=Gilan",
        "/api/reports?q=rooftops",
        "/api/reports?coast_within_km=500",
        "/api/layers/reports",
    ] {
        let public = s.app.get(uri).await;
        assert_no_exact_point(uri, &public);
        assert_eq!(
            point_of(feature(&public.body, &s.private_id)),
            s.province_point,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn layers_exports_and_ogc_hold_only_the_public_point() {
    let s = setup().await;
    // A reviewer's reads first, to warm every cache with exact points.
    for uri in ["/api/reports", "/api/layers/points", "/api/export"] {
        let reply = s.app.as_token(&s.reviewer, "GET", uri, None).await;
        assert_eq!(reply.status, 200, "{uri}");
    }
    for layer in ["points", "density", "uncertainty", "links", "provinces"] {
        let uri = format!("/api/layers/{layer}");
        assert_no_exact_point(&uri, &s.app.get(&uri).await);
    }
    let points = s.app.get("/api/layers/points").await;
    let shown = feature(&points.body, &s.private_id);
    assert_eq!(point_of(shown), s.province_point);

    for format in ["geojson", "geojsonseq", "csv", "kml", "fgb"] {
        let uri = format!("/api/export?format={format}");
        let public = s.app.get(&uri).await;
        assert_no_exact_point(&uri, &public);
        // A reviewer's export is the public's too, unless it asks for exact locations.
        let reviewer = s.app.as_token(&s.reviewer, "GET", &uri, None).await;
        assert_no_exact_point(&format!("{uri} for a reviewer"), &reviewer);
    }
    let exact = s
        .app
        .as_token(
            &s.reviewer,
            "GET",
            "/api/export?format=csv&exact_locations=true",
            None,
        )
        .await;
    assert_eq!(exact.status, 200);
    assert!(String::from_utf8_lossy(&exact.bytes).contains("49.612347"));
    s.app
        .get("/api/export?exact_locations=true")
        .await
        .assert_problem(401, "reviewer");
    s.app
        .as_token(&s.reader, "GET", "/api/export?exact_locations=true", None)
        .await
        .assert_problem(403, "reviewer");

    let items = "/ogc/collections/reports/items";
    assert_no_exact_point(items, &s.app.get(items).await);
    let item = format!("{items}/{}", s.private_id);
    let public = s.app.get(&item).await;
    assert_no_exact_point(&item, &public);
    assert_eq!(point_of(&public.body), s.province_point);
    let exact = s.app.as_token(&s.reviewer, "GET", &item, None).await;
    assert_eq!(point_of(&exact.body), (LON, LAT));
    // A CQL2 spatial filter and a bbox around the exact point find nothing for the public.
    let around = format!(
        "{},{},{},{}",
        LON - 0.01,
        LAT - 0.01,
        LON + 0.01,
        LAT + 0.01
    );
    for uri in [
        format!("{items}?filter=S_INTERSECTS(geometry,BBOX({around}))"),
        format!("{items}?bbox={around}"),
    ] {
        let public = s.app.get(&uri).await;
        assert_eq!(public.status, 200, "{uri}: {}", public.body);
        assert!(!ids_of(&public.body).contains(&s.private_id), "{uri}");
        let reviewer = s.app.as_token(&s.reviewer, "GET", &uri, None).await;
        assert!(ids_of(&reviewer.body).contains(&s.private_id), "{uri}");
    }
}

#[tokio::test]
async fn history_shows_the_public_no_exact_point_even_from_before_it_was_hidden() {
    let app = App::new(Some(ADMIN)).await;
    let (_, reviewer) = app.make_token(ADMIN, "verification", "reviewer").await;
    // Created in the open at the exact point, then hidden, then moved.
    let created = app
        .as_token(
            &reviewer,
            "POST",
            "/api/reports",
            Some(&report_at(LON, LAT)),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let uri = format!("/api/reports/{id}");
    for patch in [
        json!({"public_precision": "place"}),
        json!({"status": "disputed"}),
    ] {
        let edited = app.as_token(&reviewer, "PATCH", &uri, Some(&patch)).await;
        assert_eq!(edited.status, 200, "{}", edited.body);
    }
    let history = format!("{uri}/history");
    let public = app.get(&history).await;
    assert_no_exact_point("the history", &public);
    assert_eq!(public.body["revisions"].as_array().unwrap().len(), 3);
    let exact = app.as_token(&reviewer, "GET", &history, None).await;
    assert!(String::from_utf8_lossy(&exact.bytes).contains("49.612347"));

    // At place precision the public sees the nearest town's point and name.
    let shown = app.get(&uri).await;
    assert_no_exact_point("a place-level report", &shown);
    let places = places();
    let nearest = places.region.nearest_place(LON, LAT).unwrap().place;
    assert_eq!(point_of(&shown.body), (nearest.lon, nearest.lat));
    assert_eq!(shown.body["properties"]["location_text"], nearest.name);
    assert_eq!(shown.body["properties"]["precision"], "place");

    // Made public again, the report shows its point; its hidden past stays hidden.
    let reopened = app
        .as_token(
            &reviewer,
            "PATCH",
            &uri,
            Some(&json!({"public_precision": null})),
        )
        .await;
    assert_eq!(reopened.status, 200);
    assert_eq!(point_of(&app.get(&uri).await.body), (LON, LAT));
}

#[tokio::test]
async fn bad_public_precision_and_contact_details_are_refused() {
    let app = App::new(None).await;
    let mut report = report_at(LON, LAT);
    report["public_precision"] = json!("exact");
    app.json("POST", "/api/reports", &report)
        .await
        .assert_problem(422, "public_precision");
    report["public_precision"] = json!("street");
    app.json("POST", "/api/reports", &report)
        .await
        .assert_problem(422, "public_precision");
    // Far out at sea no province holds the point.
    let mut at_sea = report_at(51.0, 39.0);
    at_sea["public_precision"] = json!("province");
    app.json("POST", "/api/reports", &at_sea)
        .await
        .assert_problem(422, "public_precision");
    // sightmap keeps no reporter contact details: a report that carries them is refused,
    // naming the field, so nothing of them is stored or shown.
    for (field, value) in [
        ("contact", json!("+98 912 000 0000")),
        ("email", json!("witness@example.org")),
        ("phone", json!("+98 912 000 0000")),
    ] {
        let mut report = report_at(LON, LAT);
        report[field] = value;
        app.json("POST", "/api/reports", &report)
            .await
            .assert_problem(422, field);
    }
    let mut report = report_at(LON, LAT);
    report["sources"][0]["contact"] = json!("witness@example.org");
    app.json("POST", "/api/reports", &report)
        .await
        .assert_problem(422, "contact");
    assert!(ids_of(&app.get("/api/reports").await.body).is_empty());
}

#[tokio::test]
async fn an_exact_export_imported_elsewhere_keeps_reports_private() {
    let s = setup().await;
    for (format, import_format) in [
        (
            "geojson",
            sightmap_core::formats::import::Format::FeatureCollection,
        ),
        ("csv", sightmap_core::formats::import::Format::Csv),
    ] {
        let exact = s
            .app
            .as_token(
                &s.reviewer,
                "GET",
                &format!("/api/export?format={format}&exact_locations=true"),
                None,
            )
            .await;
        assert_eq!(exact.status, 200);
        let other = App::new(None).await;
        let options = sightmap_core::formats::import::Options {
            gazetteer: Some(places()),
            ..Default::default()
        };
        let summary = sightmap_core::formats::import::import(
            Some(Arc::new(other.state.reports.store().unwrap().clone())),
            std::io::Cursor::new(exact.bytes.to_vec()),
            import_format,
            options,
        )
        .await
        .unwrap();
        assert_eq!(summary.imported, 2, "{format}: {summary:?}");
        // A store opened on what was imported serves the public the province's point.
        let reopened = App::on_store(other.state.reports.store().unwrap().clone()).await;
        let shown = reopened
            .get(&format!("/api/reports/{}", s.private_id))
            .await;
        assert_no_exact_point(&format!("{format} imported"), &shown);
        assert_eq!(point_of(&shown.body), s.province_point, "{format}");
    }
}

/// `GET uri` with a token, or as anonymous.
async fn as_viewer(app: &App, token: Option<&String>, uri: &str) -> Reply {
    match token {
        Some(t) => app.as_token(t, "GET", uri, None).await,
        None => app.get(uri).await,
    }
}

#[tokio::test]
async fn events_count_a_private_report_but_never_place_it_for_the_public() {
    let s = setup().await;
    // The private report and the ordinary one beside it may describe one occurrence.
    let as_reviewer = s
        .app
        .as_token(&s.reviewer, "GET", "/api/events", None)
        .await;
    let event = as_reviewer.body["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["properties"]["core"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == &s.private_id)
        })
        .unwrap_or_else(|| panic!("no event holds the private report: {}", as_reviewer.body))
        .clone();
    let id = event["id"].as_str().unwrap();
    assert_eq!(event["properties"]["reports"], 2);
    let detail = s
        .app
        .as_token(&s.reviewer, "GET", &format!("/api/events/{id}"), None)
        .await;
    assert_eq!(
        detail.body["properties"]["members"]["features"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    for (who, token) in [("anonymous", None), ("a reader", Some(&s.reader))] {
        // Counted, but neither listed nor shaping the footprint.
        let list = as_viewer(&s.app, token, "/api/events").await;
        assert_no_exact_point(&format!("/api/events to {who}"), &list);
        let seen = feature(&list.body, id);
        assert_eq!(seen["properties"]["reports"], 2, "{who}");
        assert_eq!(seen["properties"]["private_reports"], 1, "{who}");
        assert!(
            !seen["properties"]["core"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m == &s.private_id),
            "{who} sees the private report listed"
        );
        let one = as_viewer(&s.app, token, &format!("/api/events/{id}")).await;
        assert_no_exact_point(&format!("/api/events/{{id}} to {who}"), &one);
        let members = one.body["properties"]["members"]["features"]
            .as_array()
            .unwrap();
        assert_eq!(members.len(), 1, "{who}");
        assert_eq!(members[0]["id"], s.public_id.as_str());
        // Nor is the public told which event the private report is in: that would place it.
        let report = as_viewer(&s.app, token, &format!("/api/reports/{}", s.private_id)).await;
        assert!(report.body["properties"].get("event_id").is_none(), "{who}");
    }
    let report = s
        .app
        .as_token(
            &s.reviewer,
            "GET",
            &format!("/api/reports/{}", s.private_id),
            None,
        )
        .await;
    assert_eq!(report.body["properties"]["event_id"], id);
}
