//! `GET /api/relate?lat=&lon=`: where a point lies relative to the land borders and the coast.

use super::AppState;
use super::extract::QueryPairs;
use super::geocode::point_params;
use super::problem::Problem;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use sightmap_core::formats::coords;

/// Kilometres, to the metre.
fn km(metres: f64) -> f64 {
    metres.round() / 1000.0
}

/// `GET /api/relate`: country, province, whether at sea, each neighbour's border within
/// 500 km (nearest first, with the nearest point and the bearing to it) and the coast.
pub async fn relate(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Value>, Problem> {
    let (lon, lat) = point_params(&pairs)?;
    let r = state.atlas.geography.relate(lon, lat);
    let point = |p: [f64; 2]| coords::point(p[0], p[1]);
    Ok(Json(json!({
        "lon": coords::round(lon),
        "lat": coords::round(lat),
        "country": r.country,
        "province": r.province,
        "in_sea": r.in_sea,
        "water": r.water,
        "borders": r.borders.iter().map(|b| json!({
            "country": b.country,
            "distance_km": km(b.distance_m),
            "nearest": point(b.nearest),
            "bearing_deg": (b.bearing_deg * 10.0).round() / 10.0,
        })).collect::<Vec<_>>(),
        "coast": r.coast.map(|c| json!({
            "distance_km": km(c.distance_m),
            "nearest": point(c.nearest),
        })),
    })))
}
