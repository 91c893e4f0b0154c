//! Coordinates are written to 7 decimals (about 1 cm) in every output: report points in
//! GeoJSON, the OGC API and every export, event footprints (which came with 15 to 17 digits,
//! 7 MB for 2,136 events), map layers and their boxes, collection extents, and the points of
//! the geocoder and the borders. Stored values keep what the client sent.

use crate::support::{App, report_at};
use serde_json::{Value, json};

/// Decimals allowed in a written coordinate.
const MAX_DECIMALS: usize = 7;

/// Decimals of a number as Rust writes it in full (shortest round-trip form, no exponent).
fn decimals(v: f64) -> usize {
    v.to_string().split_once('.').map_or(0, |(_, d)| d.len())
}

/// The longest decimal part of any number in a text (WKT, KML coordinates, CSV cells).
fn text_decimals(text: &str) -> usize {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|n| n.split_once('.'))
        .map(|(_, d)| d.len())
        .max()
        .unwrap_or(0)
}

/// Every number under a member that holds coordinates (`coordinates`, `bbox`, `nearest`,
/// `lon`, `lat`), wherever it is in the document, checked; how many were seen.
fn check_json(where_: &str, value: &Value) -> usize {
    fn numbers(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Number(n) => out.push(n.as_f64().unwrap()),
            Value::Array(a) => a.iter().for_each(|v| numbers(v, out)),
            Value::Object(o) => o.values().for_each(|v| numbers(v, out)),
            _ => {}
        }
    }
    let mut seen = 0;
    match value {
        Value::Object(o) => {
            for (key, v) in o {
                if matches!(
                    key.as_str(),
                    "coordinates" | "bbox" | "nearest" | "lon" | "lat"
                ) {
                    let mut found = Vec::new();
                    numbers(v, &mut found);
                    for n in &found {
                        assert!(
                            decimals(*n) <= MAX_DECIMALS,
                            "{where_}: {key} has {n} ({} decimals)",
                            decimals(*n)
                        );
                    }
                    seen += found.len();
                } else {
                    seen += check_json(where_, v);
                }
            }
        }
        Value::Array(a) => seen += a.iter().map(|v| check_json(where_, v)).sum::<usize>(),
        _ => {}
    }
    seen
}

/// A JSON answer at `uri`, checked: it must hold coordinates.
async fn check(app: &App, uri: &str) {
    let reply = app.get(uri).await;
    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
    assert!(
        check_json(uri, &reply.body) > 0,
        "{uri} holds no coordinates"
    );
}

#[tokio::test]
async fn no_output_writes_a_coordinate_with_more_than_seven_decimals() {
    let app = App::new(None).await;
    // Points and circles with every digit a double holds; two accounts of one event, a
    // private report (shown at its place) and a lone one with a wide circle.
    let (lon, lat) = (49.583_218_765_432_19, 37.281_273_612_345_67);
    let mut ids = Vec::new();
    for (i, (dlon, dlat, metres)) in [
        (0.0, 0.0, 3_000.123_456_789),
        (0.011_111_111_111_1, 0.007_777_777_777_7, 2_500.5),
        (0.9, -0.4, 30_000.0),
    ]
    .into_iter()
    .enumerate()
    {
        let mut r = report_at(lon + dlon, lat + dlat);
        r["precision"] = json!("near");
        r["uncertainty_m"] = json!(metres);
        if i == 2 {
            r["observed"] = json!({"from": "2025-06-20T12:00:00Z"});
        }
        let made = app.create(&r).await;
        ids.push(made["id"].as_str().unwrap().to_string());
    }
    let mut private = report_at(lon - 0.3, lat + 0.1);
    private["public_precision"] = json!("place");
    app.create(&private).await;

    // The store keeps what was sent: the history shows the point as given.
    let history = app.get(&format!("/api/reports/{}/history", ids[0])).await;
    assert!(
        history.body.to_string().contains("49.58321876543219"),
        "{}",
        history.body
    );

    let events = app.get("/api/events?limit=100").await.body;
    let event = events["features"][0]["id"].as_str().unwrap().to_string();
    let reverse = format!("lat={lat}&lon={lon}");
    for uri in [
        "/api/reports".to_string(),
        format!("/api/reports/{}", ids[0]),
        format!("/api/reports?{reverse}&radius_km=100"),
        format!("/api/reports?{reverse}&radius_km=5&include_uncertain=true"),
        "/api/events?limit=100".into(),
        format!("/api/events/{event}"),
        "/ogc/collections".into(),
        "/ogc/collections/events".into(),
        "/ogc/collections/reports/items?limit=100".into(),
        format!("/ogc/collections/reports/items/{}", ids[1]),
        "/ogc/collections/events/items?limit=100".into(),
        format!("/ogc/collections/events/items/{event}"),
        "/ogc/collections/coast/items?limit=3".into(),
        "/api/layers".into(),
        "/api/geocode?q=Rasht".into(),
        format!("/api/reverse?{reverse}"),
        format!("/api/relate?{reverse}"),
    ] {
        check(&app, &uri).await;
    }
    // Every layer, with its defaults.
    let catalogue = app.get("/api/layers").await.body;
    for layer in catalogue["layers"].as_array().unwrap() {
        let id = layer["id"].as_str().unwrap();
        let reply = app.get(&format!("/api/layers/{id}")).await;
        assert_eq!(reply.status, 200, "{id}: {}", reply.body);
        check_json(&format!("layer {id}"), &reply.body);
    }

    // Exports: GeoJSON, GeoJSON text sequences, CSV (lon, lat and WKT) and KML.
    let geojson = app.get("/api/export?format=geojson").await;
    assert_eq!(check_json("export geojson", &geojson.body), 4 * 2);
    let seq = app.get("/api/export?format=geojsonseq").await;
    let text = String::from_utf8(seq.bytes.to_vec()).unwrap();
    for record in text.split('\x1e').filter(|r| !r.trim().is_empty()) {
        check_json("export geojsonseq", &serde_json::from_str(record).unwrap());
    }
    for (uri, columns) in [
        ("/api/export?format=csv", &["lon", "lat", "wkt"][..]),
        ("/api/events?format=csv", &["wkt"][..]),
    ] {
        let csv = app.get(uri).await;
        assert_eq!(csv.status, 200, "{uri}");
        let mut reader = csv::Reader::from_reader(csv.bytes.as_ref());
        let headers = reader.headers().unwrap().clone();
        let mut rows = 0;
        for row in reader.records() {
            let row = row.unwrap();
            for column in columns {
                let at = headers.iter().position(|h| h == *column).unwrap();
                assert!(
                    text_decimals(&row[at]) <= MAX_DECIMALS,
                    "{uri}: {column} is {}",
                    &row[at]
                );
            }
            rows += 1;
        }
        assert!(rows > 0, "{uri}");
    }
    let kml = app.get("/api/export?format=kml").await;
    let kml = String::from_utf8(kml.bytes.to_vec()).unwrap();
    let points: Vec<&str> = kml
        .split("<coordinates>")
        .skip(1)
        .map(|rest| rest.split("</coordinates>").next().unwrap())
        .collect();
    assert_eq!(points.len(), 4);
    for point in points {
        assert!(text_decimals(point) <= MAX_DECIMALS, "KML point {point}");
    }
}
