//! `GET /api/geocode` and `GET /api/reverse`: the offline geocoder over HTTP.

use super::AppState;
use super::extract::QueryPairs;
use super::problem::Problem;
use super::reports::geojson_response;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};
use sightmap_core::domain::model::FieldError;
use sightmap_core::formats::coords;
use sightmap_core::geospatial::geocode::{Candidate, GeocodeError, MAX_LIMIT};

/// The longest place text looked up, in characters.
const MAX_Q_CHARS: usize = 500;

/// Candidates returned when `limit` is not given.
const DEFAULT_LIMIT: usize = 5;

/// `GET /api/geocode?q=TEXT[&limit=N]`: readings of a place text as a FeatureCollection, best
/// first, with a top-level `ambiguous`. No match is an empty collection with suggestions.
pub async fn geocode(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let mut errors = Vec::new();
    let mut q = None;
    let mut limit = DEFAULT_LIMIT;
    for (key, value) in &pairs {
        match key.as_str() {
            "q" => q = Some(value.as_str()),
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => errors.push(FieldError::whole_number("limit", value, 1, MAX_LIMIT)),
            },
            other => errors.push(FieldError::unknown_parameter(other, &["q", "limit"])),
        }
    }
    match q.map(str::trim) {
        // The place text to look up, such as q=eastern Gilan.
        None | Some("") => errors.push(FieldError::required("q")),
        // The place, not the whole report.
        Some(text) if text.chars().count() > MAX_Q_CHARS => {
            errors.push(FieldError::too_long("q", text.chars().count(), MAX_Q_CHARS))
        }
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Err(Problem::invalid_query(errors));
    }
    let answer = state
        .atlas
        .geocoder
        .geocode(q.unwrap_or_default(), limit)
        .map_err(|e| match e {
            GeocodeError::Blank => Problem::invalid_query(vec![FieldError::required("q")]),
        })?;
    let features: Vec<Value> = answer.candidates.iter().map(candidate_feature).collect();
    let body = json!({
        "type": "FeatureCollection",
        "ambiguous": answer.ambiguous,
        "suggestions": answer.suggestions,
        "features": features,
    });
    Ok(geojson_response(
        StatusCode::OK,
        body.to_string().into_bytes(),
    ))
}

fn candidate_feature(c: &Candidate) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": coords::point(c.lon, c.lat)},
        "properties": {
            "name": c.name,
            "precision": c.precision.as_str(),
            "acled_geo_precision": c.precision.acled_geo_precision(),
            "uncertainty_m": c.uncertainty_m.round(),
            "confidence": c.confidence,
            "province": c.province,
            "country": c.country,
            "matched": c.matched,
            "source_id": c.source_id,
        }
    })
}

/// `GET /api/reverse?lat=&lon=`: the province, country and nearest place at a point, as a
/// Feature.
pub async fn reverse(
    State(state): State<AppState>,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let (lon, lat) = point_params(&pairs)?;
    let r = state.atlas.geocoder.reverse(lon, lat);
    let body = json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": coords::point(lon, lat)},
        "properties": {
            "province": r.province.as_ref().map(|p| &p.1),
            "province_id": r.province.as_ref().map(|p| &p.0),
            "country": r.country,
            "nearest_place": r.nearest.as_ref().map(|n| json!({
                "name": n.name,
                "source_id": n.source_id,
                "coordinates": coords::point(n.lon, n.lat),
                "distance_km": (n.distance_m / 10.0).round() / 100.0,
            })),
        }
    });
    Ok(geojson_response(
        StatusCode::OK,
        body.to_string().into_bytes(),
    ))
}

/// Reads the `lat` and `lon` of an endpoint that takes only those, as `(lon, lat)`.
pub(super) fn point_params(pairs: &[(String, String)]) -> Result<(f64, f64), Problem> {
    let mut errors = Vec::new();
    let mut lat = None;
    let mut lon = None;
    for (key, value) in pairs {
        let (slot, limit) = match key.as_str() {
            "lat" => (&mut lat, 90.0),
            "lon" => (&mut lon, 180.0),
            other => {
                errors.push(FieldError::unknown_parameter(other, &["lat", "lon"]));
                continue;
            }
        };
        match value.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= limit => *slot = Some(v),
            _ => errors.push(FieldError::out_of_range(
                key.as_str(),
                value
                    .parse::<f64>()
                    .map_or_else(|_| json!(value), |v| json!(v)),
                -limit,
                limit,
            )),
        }
    }
    for (name, value) in [("lat", lat), ("lon", lon)] {
        if value.is_none() && !errors.iter().any(|e| e.field == name) {
            errors.push(FieldError::required(name));
        }
    }
    match (lat, lon) {
        (Some(lat), Some(lon)) if errors.is_empty() => Ok((lon, lat)),
        _ => Err(Problem::invalid_query(errors)),
    }
}
