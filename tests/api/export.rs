//! `/api/export` from a server whose feature cache is warm sends the same features as one that
//! reads them from the store.

use crate::support::{App, report_at};
use serde_json::{Value, json};

/// The export's features as text, sorted by id (the warm path sends them in id order, the
/// cold one in storage order).
fn features_of(reply_body: &Value) -> Vec<String> {
    let collection: Value = match reply_body {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    };
    let mut features: Vec<String> = collection["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.to_string())
        .collect();
    features.sort();
    features
}

/// A GeoJSON text sequence's records, sorted.
fn records_of(reply_body: &Value) -> Vec<String> {
    let mut records: Vec<String> = reply_body
        .as_str()
        .unwrap()
        .split('\u{1e}')
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    records.sort();
    records
}

#[tokio::test]
async fn a_warm_cache_exports_the_same_features() {
    let app = App::new(None).await;
    for i in 0..30 {
        let mut report = report_at(48.5 + f64::from(i) * 0.1, 37.0 + f64::from(i) * 0.03);
        report["description"] = json!(format!("report {i}: \"quoted\", <tag> & شرق گیلان"));
        if i % 3 == 0 {
            report["status"] = json!("disputed");
        }
        app.create(&report).await;
    }
    let queries = ["format=geojson", "format=geojson&status=disputed"];
    let cold: Vec<Vec<String>> = {
        let mut out = Vec::new();
        for q in queries {
            out.push(features_of(
                &app.get(&format!("/api/export?{q}")).await.body,
            ));
        }
        out
    };
    let cold_seq = records_of(&app.get("/api/export?format=geojsonseq").await.body);
    assert_eq!(cold[0].len(), 30);
    assert_eq!(cold[1].len(), 10);
    // Queries fill the cache with every report.
    let page = app.get("/api/reports?limit=1000").await;
    assert_eq!(page.body["numberReturned"], 30);
    for (q, cold) in queries.iter().zip(&cold) {
        let warm = features_of(&app.get(&format!("/api/export?{q}")).await.body);
        assert_eq!(&warm, cold, "{q}");
    }
    assert_eq!(
        records_of(&app.get("/api/export?format=geojsonseq").await.body),
        cold_seq
    );
    // An edit shows in the next export.
    let id = page.body["features"][0]["id"].as_str().unwrap().to_string();
    app.json(
        "PATCH",
        &format!("/api/reports/{id}"),
        &json!({"description": "edited"}),
    )
    .await;
    let after = features_of(&app.get("/api/export?format=geojson").await.body);
    assert_eq!(after.iter().filter(|f| f.contains("\"edited\"")).count(), 1);
}
