//! `/api/layers`: each layer's content against independent computations, filters, buffers,
//! simplification and ETags.

use crate::support::{App, places, report_at};
use geo::{Contains, Point};
use serde_json::{Value, json};
use sightmap_core::geospatial::geodesy::geodesic_distance_m;

/// Reports at Rasht (near, 8 km), Parsabad, Lahijan (disputed) and Baku.
async fn seeded() -> App {
    let app = App::new(None).await;
    for (lon, lat, status, uncertainty) in [
        (49.58862, 37.27611, "unverified", 8_000.0),
        (47.9174, 39.6482, "unverified", 1_000.0),
        (50.0041, 37.2071, "disputed", 2_000.0),
        (49.89201, 40.37767, "corroborated", 500.0),
    ] {
        let mut r = report_at(lon, lat);
        r["status"] = json!(status);
        r["uncertainty_m"] = json!(uncertainty);
        app.create(&r).await;
    }
    app
}

fn features(body: &Value) -> &Vec<Value> {
    body["features"].as_array().unwrap()
}

/// A GeoJSON (Multi)Polygon as a geo MultiPolygon.
fn shape(geometry: &Value) -> geo::MultiPolygon<f64> {
    let g: geojson::Geometry = serde_json::from_value(geometry.clone()).unwrap();
    match geo::Geometry::<f64>::try_from(&g).unwrap() {
        geo::Geometry::MultiPolygon(m) => m,
        geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
        other => panic!("not a polygon: {other:?}"),
    }
}

#[tokio::test]
async fn the_catalogue_lists_every_layer_with_count_and_bbox() {
    let app = seeded().await;
    let reply = app.get("/api/layers").await;
    assert_eq!(reply.status, 200);
    let layers = reply.body["layers"].as_array().unwrap();
    let ids: Vec<&str> = layers.iter().map(|l| l["id"].as_str().unwrap()).collect();
    for id in [
        "reports",
        "border",
        "coast",
        "sea",
        "provinces",
        "countries",
        "border-buffer",
        "coast-buffer",
        "density",
        "uncertainty",
        "links",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for l in layers {
        assert!(
            l["title"].is_string() && l["description"].is_string(),
            "{l}"
        );
        // Left out where only building the layer could tell.
        let id = l["id"].as_str().unwrap();
        if matches!(id, "density" | "links") {
            assert!(l["feature_count"].is_null(), "{l}");
        } else {
            assert!(l["feature_count"].is_u64(), "{l}");
        }
        if matches!(id, "density" | "links" | "border-buffer" | "coast-buffer") {
            assert!(l["bbox"].is_null(), "{l}");
        } else {
            assert_eq!(l["bbox"].as_array().map(Vec::len), Some(4), "{l}");
        }
    }
    let reports = layers.iter().find(|l| l["id"] == "reports").unwrap();
    assert_eq!(reports["feature_count"], 4);
}

#[tokio::test]
async fn border_coast_and_sea_come_from_the_region() {
    let app = App::new(None).await;
    let border = app.get("/api/layers/border").await;
    assert_eq!(border.content_type, "application/geo+json");
    let countries: Vec<&str> = features(&border.body)
        .iter()
        .map(|f| f["properties"]["country"].as_str().unwrap())
        .collect();
    for code in ["AZ", "AM", "TR", "TM", "IQ"] {
        assert!(countries.contains(&code), "{code}");
    }
    let az = app.get("/api/layers/border?border_country=az").await.body;
    // The mainland border and Nakhchivan's.
    assert_eq!(features(&az).len(), 2);
    assert!(
        features(&az)
            .iter()
            .all(|f| f["geometry"]["type"] == "LineString")
    );

    let sea = app.get("/api/layers/sea").await.body;
    let caspian = features(&sea)
        .iter()
        .find(|f| f["properties"]["kind"] == "sea")
        .unwrap();
    let caspian = shape(&caspian["geometry"]);
    assert!(caspian.contains(&Point::new(51.0, 39.0)));
    assert!(!caspian.contains(&Point::new(49.58862, 37.27611)), "Rasht");
    let coast = app.get("/api/layers/coast").await.body;
    assert!(features(&coast).len() >= 2);
}

#[tokio::test]
async fn the_border_buffer_holds_the_land_within_its_distance_and_nothing_else() {
    let app = App::new(None).await;
    let body = app.get("/api/layers/border-buffer?km=30").await.body;
    assert_eq!(features(&body).len(), 1);
    let props = &features(&body)[0]["properties"];
    assert_eq!(props["border_country"], "AZ");
    assert_eq!(props["km"], 30.0);
    let buffer = shape(&features(&body)[0]["geometry"]);
    let g = &places().geography;
    let mut inside = 0;
    for i in 0..400 {
        let lon = 44.5 + (i % 20) as f64 * 0.25;
        let lat = 37.8 + (i / 20) as f64 * 0.12;
        let d = g.nearest_border(lon, lat, Some("AZ")).unwrap().distance_m;
        let held = buffer.contains(&Point::new(lon, lat));
        if g.water_at(lon, lat).is_some_and(|w| w.is_sea()) {
            assert!(!held, "({lon}, {lat}) is at sea");
        } else if d < 29_500.0 {
            assert!(held, "({lon}, {lat}) is {d} m from the border");
            inside += 1;
        } else if d > 30_500.0 {
            assert!(!held, "({lon}, {lat}) is {d} m from the border");
        }
    }
    assert!(inside > 20, "{inside}");
    // Named places: Parsabad and Bileh Savar are in, Rasht and Tabriz are out.
    assert!(buffer.contains(&Point::new(47.9174, 39.6482)));
    assert!(buffer.contains(&Point::new(48.35463, 39.37961)));
    assert!(!buffer.contains(&Point::new(49.58862, 37.27611)));
    assert!(!buffer.contains(&Point::new(46.2919, 38.08)));

    app.get("/api/layers/border-buffer?km=0")
        .await
        .assert_problem(400, "km");
    app.get("/api/layers/border-buffer?border_country=FR")
        .await
        .assert_problem(400, "border_country");
}

#[tokio::test]
async fn the_coast_buffer_holds_coastal_towns_and_not_inland_ones() {
    let app = App::new(None).await;
    let body = app.get("/api/layers/coast-buffer?km=10").await.body;
    let buffer = shape(&features(&body)[0]["geometry"]);
    // Bandar-e Anzali and Astara are on the shore; Rasht is 22 km inland, Ardabil far.
    assert!(buffer.contains(&Point::new(49.45785, 37.47318)));
    assert!(buffer.contains(&Point::new(48.86994, 38.43084)));
    assert!(!buffer.contains(&Point::new(49.58862, 37.27611)));
    assert!(!buffer.contains(&Point::new(48.2933, 38.2498)));
    assert!(!buffer.contains(&Point::new(51.0, 39.0)), "mid-sea");
}

#[tokio::test]
async fn report_layers_agree_with_the_reports() {
    let app = seeded().await;
    // Provinces: counts by status, as a choropleth needs.
    let provinces = app.get("/api/layers/provinces?country=IR").await.body;
    let gilan = features(&provinces)
        .iter()
        .find(|f| f["properties"]["name"] == "Gilan")
        .unwrap();
    assert_eq!(gilan["properties"]["reports"], 2);
    assert_eq!(gilan["properties"]["reports_disputed"], 1);
    assert!(
        features(&provinces)
            .iter()
            .all(|f| f["properties"]["country"] == "IR")
    );
    let disputed = app.get("/api/layers/provinces?status=disputed").await.body;
    let total: u64 = features(&disputed)
        .iter()
        .map(|f| f["properties"]["reports"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1);

    // Density: every report counted once, in the cell that holds it.
    let density = app.get("/api/layers/density?cell_km=50").await.body;
    let cells = features(&density);
    let counted: u64 = cells
        .iter()
        .map(|f| f["properties"]["reports"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 4);
    let parsabad = cells
        .iter()
        .find(|f| shape(&f["geometry"]).contains(&Point::new(47.9174, 39.6482)))
        .unwrap();
    assert_eq!(parsabad["properties"]["reports"], 1);

    // Uncertainty circles: every vertex at the report's uncertainty from its point.
    let circles = app.get("/api/layers/uncertainty").await.body;
    assert_eq!(features(&circles).len(), 4);
    let rasht = features(&circles)
        .iter()
        .find(|f| f["properties"]["uncertainty_m"] == 8_000.0)
        .unwrap();
    assert_eq!(rasht["properties"]["status"], "unverified");
    for v in rasht["geometry"]["coordinates"][0].as_array().unwrap() {
        let d = geodesic_distance_m(
            49.58862,
            37.27611,
            v[0].as_f64().unwrap(),
            v[1].as_f64().unwrap(),
        );
        assert!((d - 8_000.0).abs() < 1.0, "{d}");
    }

    // Links end at the border, as far as each report says it is.
    let reports = app.get("/api/reports").await.body;
    let links = app.get("/api/layers/links").await.body;
    assert_eq!(features(&links).len(), 4);
    for link in features(&links) {
        let id = &link["properties"]["id"];
        let report = features(&reports).iter().find(|r| &r["id"] == id).unwrap();
        let line = link["geometry"]["coordinates"].as_array().unwrap();
        let (a, b) = (&line[0], &line[1]);
        let d = geodesic_distance_m(
            a[0].as_f64().unwrap(),
            a[1].as_f64().unwrap(),
            b[0].as_f64().unwrap(),
            b[1].as_f64().unwrap(),
        ) / 1000.0;
        let said = report["properties"]["border_distance_km"].as_f64().unwrap();
        assert!((d - said).abs() < 0.01, "{d} vs {said}");
        assert!(link["properties"]["label"].as_str().unwrap().contains("km"));
        assert!(link["properties"]["status"].is_string());
    }
    // The reports layer is /api/reports.
    let layer = app.get("/api/layers/reports?status=disputed").await.body;
    assert_eq!(features(&layer).len(), 1);
}

#[tokio::test]
async fn layers_send_etags_and_simplify() {
    let app = App::new(None).await;
    let reply = app.get("/api/layers/border").await;
    let etag = reply.headers["etag"].to_str().unwrap().to_string();
    let again = app
        .send(
            axum::http::Request::get("/api/layers/border")
                .header("if-none-match", &etag)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, 304);
    let vertices = |body: &Value| -> usize {
        features(body)
            .iter()
            .map(|f| f["geometry"]["coordinates"].as_array().unwrap().len())
            .sum()
    };
    let coarse = app.get("/api/layers/border?simplify_m=2000").await;
    assert!(vertices(&coarse.body) * 5 < vertices(&reply.body));
    assert_ne!(coarse.headers["etag"], reply.headers["etag"]);

    app.get("/api/layers/nothing")
        .await
        .assert_problem(404, "nothing");
    app.get("/api/layers/sea?cell_km=5")
        .await
        .assert_problem(400, "cell_km");
}

#[tokio::test]
async fn listing_the_catalogue_builds_no_layer() {
    let app = seeded().await;
    // A report without an uncertainty circle: the index counts the circles, not the reports.
    let mut exact = report_at(49.6, 37.3);
    exact["uncertainty_m"] = json!(0.0);
    app.create(&exact).await;
    let before = app.state.layer_cache.builds();
    let reply = app.get("/api/layers").await;
    let again = app.get("/api/layers").await;
    assert_eq!(reply.status, 200);
    assert_eq!(again.body, reply.body);
    assert_eq!(
        app.state.layer_cache.builds(),
        before,
        "listing built a layer"
    );
    let listed = |id: &str| -> Value {
        reply.body["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(listed("reports")["feature_count"], 5);
    assert_eq!(listed("points")["feature_count"], 5);
    assert_eq!(listed("uncertainty")["feature_count"], 4);
    // Only a build could tell these: left out.
    for id in ["density", "links"] {
        assert!(listed(id)["feature_count"].is_null(), "{id}");
        assert!(listed(id)["bbox"].is_null(), "{id}");
    }
    for id in ["border-buffer", "coast-buffer"] {
        assert_eq!(listed(id)["feature_count"], 1, "{id}");
        assert!(listed(id)["bbox"].is_null(), "{id}");
    }
    // What the list says is what a build gives, where it says anything.
    for id in [
        "countries",
        "provinces",
        "sea",
        "coast",
        "border",
        "places",
        "uncertainty",
        "border-buffer",
    ] {
        let body = app.get(&format!("/api/layers/{id}")).await.body;
        assert_eq!(
            listed(id)["feature_count"].as_u64(),
            Some(features(&body).len() as u64),
            "{id}"
        );
        if id == "uncertainty" {
            // The index's box of the points, grown by the largest circle: it holds them all.
            let (outer, inner) = (&listed(id)["bbox"], &body["bbox"]);
            let (o, i) = (
                |k: usize| outer[k].as_f64().unwrap(),
                |k: usize| inner[k].as_f64().unwrap(),
            );
            assert!(
                o(0) <= i(0) && o(1) <= i(1) && o(2) >= i(2) && o(3) >= i(3),
                "{outer} {inner}"
            );
        } else if !listed(id)["bbox"].is_null() {
            assert_eq!(listed(id)["bbox"], body["bbox"], "{id}");
        }
    }
    assert!(app.state.layer_cache.builds() > before);
}

#[tokio::test]
async fn an_unknown_layer_or_collection_is_a_404_everywhere() {
    let app = seeded().await;
    for uri in ["/api/layers/nothing", "/api/layers/nothing?simplify_m=10"] {
        let reply = app.get(uri).await;
        reply.assert_problem(404, "nothing");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("provinces") && detail.contains("uncertainty"),
            "{detail}"
        );
    }
    // `countries` is a layer but not a collection; nothing falls back to another collection.
    for id in ["nothing", "countries", "Provinces"] {
        for tail in ["", "/items", "/items/1", "/queryables"] {
            let reply = app.get(&format!("/ogc/collections/{id}{tail}")).await;
            reply.assert_problem(404, id);
            let detail = reply.body["detail"].as_str().unwrap();
            assert!(
                detail.contains("reports") && detail.contains("border"),
                "{detail}"
            );
        }
    }
    assert_eq!(app.state.layer_cache.builds(), 0);
}

#[tokio::test]
async fn a_report_layer_is_built_again_only_when_the_feed_publishes_a_change() {
    let app = seeded().await;
    let first = app.get("/api/layers/uncertainty").await;
    assert_eq!(first.status, 200);
    let builds = app.state.layer_cache.builds();
    // Nothing changed: the same body, not built again, with the same ETag.
    let again = app.get("/api/layers/uncertainty").await;
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(again.headers["etag"], first.headers["etag"]);
    assert_eq!(app.state.layer_cache.builds(), builds);
    let count = |reply: &crate::support::Reply| reply.body["features"].as_array().unwrap().len();
    // A write: the next request builds the layer again, with the new report.
    app.create(&report_at(49.7, 37.2)).await;
    let after = app.get("/api/layers/uncertainty").await;
    assert_eq!(app.state.layer_cache.builds(), builds + 1);
    assert_eq!(count(&after), count(&first) + 1);
    assert_ne!(after.headers["etag"], first.headers["etag"]);
    // A filter is a request of its own.
    let filtered = app.get("/api/layers/uncertainty?kind=explosion").await;
    assert_eq!(filtered.status, 200);
    assert_eq!(app.state.layer_cache.builds(), builds + 2);
}
