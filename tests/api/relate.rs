//! `/api/relate`, each report's relation to the borders and coast, and the filters on it.

use crate::support::{App, ids_of, places, report_at};
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[tokio::test]
async fn relate_describes_a_point() {
    let app = App::new(None).await;
    // Rasht (GeoNames 37.27611 N, 49.58862 E).
    let reply = app.get("/api/relate?lat=37.27611&lon=49.58862").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let b = &reply.body;
    assert_eq!(b["country"], "IR");
    assert_eq!(b["province"], "Gilan");
    assert_eq!(b["in_sea"], false);
    let coast = b["coast"]["distance_km"].as_f64().unwrap();
    assert!((19.0..25.0).contains(&coast), "{coast}");
    let first = &b["borders"][0];
    assert_eq!(first["country"], "AZ");
    let km = first["distance_km"].as_f64().unwrap();
    assert!((130.0..160.0).contains(&km), "{km}");
    // North-west, towards Astara.
    let bearing = first["bearing_deg"].as_f64().unwrap();
    assert!((300.0..350.0).contains(&bearing), "{bearing}");
    assert_eq!(first["nearest"].as_array().unwrap().len(), 2);

    let at_sea = app.get("/api/relate?lat=39&lon=51").await.body;
    assert_eq!(at_sea["in_sea"], true);
    assert_eq!(at_sea["country"], Value::Null);

    app.get("/api/relate?lat=37")
        .await
        .assert_problem(400, "lon");
    app.get("/api/relate?lat=95&lon=49")
        .await
        .assert_problem(400, "lat");
}

/// Reports at 24 gazetteer places spread over the region.
async fn spread_reports(app: &App) -> Vec<(String, f64, f64)> {
    let region = &places().region;
    let mut out = Vec::new();
    for p in region
        .places
        .iter()
        .step_by(region.places.len() / 24)
        .take(24)
    {
        let body = app.create(&report_at(p.lon, p.lat)).await;
        out.push((body["id"].as_str().unwrap().to_string(), p.lon, p.lat));
    }
    out
}

#[tokio::test]
async fn reports_carry_their_relation_and_filters_agree_with_a_direct_computation() {
    let app = App::new(None).await;
    let reports = spread_reports(&app).await;
    let g = &places().geography;
    let all = app.get("/api/reports?limit=1000").await.body;
    for f in all["features"].as_array().unwrap() {
        let p = &f["properties"];
        let c = &f["geometry"]["coordinates"];
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let border = g.nearest_border(lon, lat, None).unwrap();
        let got = p["border_distance_km"].as_f64().unwrap();
        assert!((got - border.distance_m / 1000.0).abs() < 0.01, "{p}");
        assert_eq!(p["border_country"], json!(border.country));
        assert!(p["coast_distance_km"].is_number());
        assert!(p["in_sea"].is_boolean());
    }

    for (query, keep) in [
        (
            "border_within_km=100",
            Box::new(|lon: f64, lat: f64| {
                g.nearest_border(lon, lat, None).unwrap().distance_m <= 100_000.0
            }) as Box<dyn Fn(f64, f64) -> bool>,
        ),
        (
            "coast_within_km=50",
            Box::new(|lon, lat| g.nearest_coast(lon, lat).unwrap().distance_m <= 50_000.0),
        ),
        (
            "border_country=az,tm",
            Box::new(|lon, lat| {
                let c = g.nearest_border(lon, lat, None).unwrap().country;
                c == "AZ" || c == "TM"
            }),
        ),
        (
            "country=AZ",
            Box::new(|lon, lat| g.relate(lon, lat).country.as_deref() == Some("AZ")),
        ),
        (
            "province=gilan,ARDABIL",
            Box::new(|lon, lat| {
                matches!(
                    g.relate(lon, lat).province.as_deref(),
                    Some("Gilan" | "Ardabil")
                )
            }),
        ),
    ] {
        let want: BTreeSet<String> = reports
            .iter()
            .filter(|(_, lon, lat)| keep(*lon, *lat))
            .map(|(id, _, _)| id.clone())
            .collect();
        let body = app
            .get(&format!("/api/reports?limit=1000&{query}"))
            .await
            .body;
        let got: BTreeSet<String> = ids_of(&body).into_iter().collect();
        assert_eq!(got, want, "{query}");
        // Each filter keeps some reports and drops others, so the comparison means something.
        assert!(
            !want.is_empty() && want.len() < reports.len(),
            "{query}: {}",
            want.len()
        );
    }
    app.get("/api/reports?border_within_km=-1")
        .await
        .assert_problem(400, "border_within_km");
    app.get("/api/reports?border_country=Azerbaijan")
        .await
        .assert_problem(400, "border_country");
}
