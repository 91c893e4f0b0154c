//! `/api/layers` and `/api/layers/{id}`: the map's layers, with ETags.
//!
//! Layers that depend only on the region (lines, areas, buffers) are cached by their
//! parameters; layers drawn from reports are computed from the index on each request. Every
//! answer carries an ETag (a hash of its body) and a matching `If-None-Match` gets a 304.

use super::AppState;
use super::as_of::{AS_OF, Reading};
use super::extract::QueryPairs;
use super::problem::Problem;
use super::reports::{self, GEO_JSON};
use crate::http::params::{REPORT_QUERY_PARAMS, parse_codes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::{Map, Value, json};
use sightmap_core::domain::model::FieldError;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::formats::layers::{self, Layer, Source};
use sightmap_core::geospatial::geography::buffer::MAX_BUFFER_M;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Region-only layer bodies kept at most.
const CACHE_ENTRIES: usize = 64;
/// Default buffer distance, km.
const DEFAULT_BUFFER_KM: f64 = 20.0;
/// Default density cell, km.
const DEFAULT_CELL_KM: f64 = 25.0;

/// Bodies of region-only layers by id and parameters, and the features of the region's OGC
/// collections (the region does not change while the server runs).
#[derive(Debug, Default)]
pub struct LayerCache {
    bodies: Mutex<HashMap<String, Arc<Body>>>,
    /// Each region collection's features, numbered from 1, built on first use.
    pub(super) collections: Mutex<HashMap<Layer, Arc<Vec<Value>>>>,
}

/// A layer's body with its ETag.
#[derive(Debug)]
struct Body {
    bytes: Vec<u8>,
    etag: String,
}

impl Body {
    fn new(value: &Value) -> Result<Self, Problem> {
        Ok(Self::from_bytes(
            serde_json::to_vec(value).map_err(Problem::internal)?,
        ))
    }

    fn from_bytes(bytes: Vec<u8>) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        Self {
            etag: format!("\"{:016x}-{:x}\"", hasher.finish(), bytes.len()),
            bytes,
        }
    }

    /// 200 with the body, or 304 if the client holds this version.
    fn respond(&self, headers: &HeaderMap, content_type: &'static str) -> Response {
        let etag = HeaderValue::from_str(&self.etag).expect("an ETag is ASCII");
        let fresh = headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == self.etag);
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (StatusCode::OK, self.bytes.clone()).into_response()
        };
        let h = response.headers_mut();
        h.insert(header::ETAG, etag);
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if !fresh {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        response
    }
}

/// A layer's own parameters, taken out of the query before the report filters are read.
#[derive(Debug, Default)]
struct LayerParams {
    km: Option<f64>,
    cell_km: Option<f64>,
    simplify_m: Option<f64>,
}

/// Whether a layer takes a parameter: one of its own, or a report filter of a layer drawn
/// from the reports (see [`Layer::params`]).
fn accepts(layer: Layer, key: &str) -> bool {
    // `as_of` is read by the `Reading` extractor: the region's layers do not change with
    // time, so a cited link's as_of is taken by every layer.
    key == AS_OF
        || layer.params().contains(&key)
        || (layer.takes_report_filters() && REPORT_QUERY_PARAMS.contains(&key))
}

/// Splits the query into the layer's parameters and the report filters, naming every
/// parameter that does not belong.
fn read_params(
    layer: Layer,
    pairs: &[(String, String)],
) -> Result<(LayerParams, Vec<(String, String)>), Problem> {
    let mut errors = Vec::new();
    let mut params = LayerParams::default();
    let mut rest = Vec::new();
    for (key, value) in pairs {
        if !accepts(layer, key) {
            errors.push(FieldError::new(
                key.clone(),
                format!(
                    "layer '{}' does not take '{key}'; see /api/layers for what each takes",
                    layer.id()
                ),
            ));
            continue;
        }
        let number = |min: f64, max: f64, unit: &str, errors: &mut Vec<FieldError>| match value
            .trim()
            .parse::<f64>()
        {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            _ => {
                errors.push(FieldError::new(
                    key.clone(),
                    format!("{key} must be a number of {unit} from {min} to {max}, not '{value}'"),
                ));
                None
            }
        };
        match key.as_str() {
            "km" => params.km = number(0.1, MAX_BUFFER_M / 1000.0, "kilometres", &mut errors),
            "cell_km" => params.cell_km = number(1.0, 500.0, "kilometres", &mut errors),
            "simplify_m" => params.simplify_m = number(0.0, 100_000.0, "metres", &mut errors),
            AS_OF => {}
            _ => rest.push((key.clone(), value.clone())),
        }
    }
    if errors.is_empty() {
        Ok((params, rest))
    } else {
        Err(Problem::invalid_query(errors))
    }
}

/// The value of a report-filter parameter, if given.
fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `GET /api/layers`: every layer with its id, title, description, link, feature count and
/// bbox (at its default parameters).
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let base = super::base_url(&headers);
    let mut entries = Vec::new();
    for layer in Layer::ALL {
        let (count, bbox) = if matches!(layer, Layer::Reports | Layer::Points | Layer::Events) {
            // One feature per live report or event: the index knows how many and where.
            let bbox = state.reports.extent().map(|(b, _)| json!(b));
            let count = match layer {
                Layer::Events => state.reports.event_count(),
                _ => state.reports.len(),
            };
            (Some(count as u64), bbox)
        } else {
            let body = build(&state, layer, &[], Viewer::Public).await?;
            let value: Value = serde_json::from_slice(&body.bytes).map_err(Problem::internal)?;
            let count = value["features"].as_array().map(|f| f.len() as u64);
            (count, value.get("bbox").cloned())
        };
        entries.push(json!({
            "id": layer.id(),
            "title": layer.title(),
            "description": layer.description(),
            "params": layer.params(),
            "takes_report_filters": layer.takes_report_filters(),
            "ogc_collection": layer.ogc().map(|_| format!("{base}/ogc/collections/{}", layer.id())),
            "href": format!("{base}/api/layers/{}", layer.id()),
            "type": GEO_JSON,
            "feature_count": count,
            "bbox": bbox,
        }));
    }
    let meta = &state.atlas.region.meta;
    let body = Body::new(&json!({
        "region": {
            "name": meta.name,
            "bbox": meta.bbox,
            "home_country": meta.home_country,
            "neighbours": meta.neighbours,
            "focus_neighbour": meta.focus_neighbour,
        },
        "layers": entries,
    }))?;
    Ok(body.respond(&headers, "application/json"))
}

/// `GET /api/layers/{id}`: one layer as a FeatureCollection.
pub async fn get(
    Reading(state): Reading,
    viewer: Viewer,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let Some(layer) = Layer::from_id(&id) else {
        let ids: Vec<&str> = Layer::ALL.iter().map(|l| l.id()).collect();
        return Err(Problem::not_found(format!(
            "no layer '{id}'; the layers are {}",
            ids.join(", ")
        )));
    };
    if layer == Layer::Reports {
        return reports::list(Reading(state), viewer, uri, headers, QueryPairs(pairs)).await;
    }
    if layer == Layer::Events {
        return super::events::list(Reading(state), viewer, uri, headers, QueryPairs(pairs)).await;
    }
    if layer == Layer::Points {
        let (_, filters) = read_params(layer, &pairs)?;
        let query = crate::http::params::report_query(&filters).map_err(Problem::invalid_query)?;
        let bytes = state
            .reports
            .with_matches(&query, viewer, layers::points)
            .await?
            .map_err(Problem::internal)?;
        return Ok(Body::from_bytes(bytes).respond(&headers, GEO_JSON));
    }
    let body = build(&state, layer, &pairs, viewer).await?;
    Ok(body.respond(&headers, GEO_JSON))
}

/// Builds (or fetches from the cache) a layer's body.
async fn build(
    state: &AppState,
    layer: Layer,
    pairs: &[(String, String)],
    viewer: Viewer,
) -> Result<Arc<Body>, Problem> {
    let (params, filters) = read_params(layer, pairs)?;
    let simplify_m = params.simplify_m.unwrap_or(0.0);
    let places = state.atlas.clone();
    let geography = &places.geography;
    let region_only = layer.source() == Source::Region;
    let cache_key = {
        // Without as_of, which the region's layers do not depend on.
        let mut sorted: Vec<_> = pairs.iter().filter(|(k, _)| k != AS_OF).cloned().collect();
        sorted.sort();
        format!(
            "{}?{}",
            layer.id(),
            serde_urlencoded::to_string(&sorted).unwrap_or_default()
        )
    };
    if region_only && let Some(body) = state.layer_cache.bodies.lock().get(&cache_key).cloned() {
        return Ok(body);
    }
    let value = match layer {
        Layer::Countries => {
            let codes = country_codes(&filters, "country")?;
            layers::areas(
                places
                    .region
                    .countries
                    .iter()
                    .filter(|c| codes.as_ref().is_none_or(|k| k.contains(&c.id))),
                None,
                simplify_m,
            )
        }
        Layer::Sea => layers::water(&geography.water, simplify_m),
        Layer::Places => layers::places(&places.region),
        Layer::Coast => layers::lines(&geography.coast, |_| true, simplify_m),
        Layer::Border => {
            let wanted = country_codes(&filters, "border_country")?;
            layers::lines(
                &geography.borders,
                |l| {
                    wanted
                        .as_ref()
                        .is_none_or(|w| l.country.as_ref().is_some_and(|c| w.contains(c)))
                },
                simplify_m,
            )
        }
        Layer::BorderBuffer | Layer::CoastBuffer => {
            let km = params.km.unwrap_or(DEFAULT_BUFFER_KM);
            let neighbour = match layer {
                Layer::BorderBuffer => Some(border_neighbour(state, &filters)?),
                _ => None,
            };
            let places = places.clone();
            tokio::task::spawn_blocking(move || {
                let g = &places.geography;
                let mut props = Map::new();
                props.insert("km".into(), json!(km));
                let shape = match &neighbour {
                    Some(code) => {
                        props.insert("border_country".into(), json!(code));
                        let lines = g
                            .borders
                            .iter()
                            .filter(|b| b.country.as_ref() == Some(code))
                            .map(|b| b.coordinates.as_slice());
                        layers::land_buffer(g, lines, km * 1000.0)
                    }
                    None => {
                        let lines = g.coast.iter().map(|c| c.coordinates.as_slice());
                        layers::land_buffer(g, lines, km * 1000.0)
                    }
                };
                layers::buffer(&shape, props, simplify_m)
            })
            .await
            .map_err(Problem::internal)?
        }
        Layer::Points | Layer::Reports | Layer::Events => {
            return Err(Problem::internal(format!(
                "layer {} is answered from the index, not built as a body",
                layer.id()
            )));
        }
        Layer::Provinces | Layer::Density | Layer::Uncertainty | Layer::Links => {
            let query =
                crate::http::params::report_query(&filters).map_err(Problem::invalid_query)?;
            let links_to = param(&filters, "border_country").map(|c| c.trim().to_ascii_uppercase());
            let cell_km = params.cell_km.unwrap_or(DEFAULT_CELL_KM);
            let region = places.region.clone();
            let provinces = query.filter.provinces.clone();
            let countries = query.filter.countries.clone();
            state
                .reports
                .with_matches(&query, viewer, |matches| match layer {
                    Layer::Provinces => {
                        let counts = layers::province_counts(matches);
                        let listed = region.provinces.iter().filter(|p| {
                            provinces
                                .as_ref()
                                .is_none_or(|w| w.iter().any(|n| n.eq_ignore_ascii_case(&p.name)))
                                && countries.as_ref().is_none_or(|w| {
                                    w.iter().any(|c| c.eq_ignore_ascii_case(&p.country))
                                })
                        });
                        layers::areas(listed, Some(&counts), simplify_m)
                    }
                    Layer::Density => layers::density(matches, cell_km),
                    Layer::Uncertainty => layers::uncertainty(matches),
                    // Only the four report layers reach here: the links.
                    _ => layers::links(matches, geography, links_to.as_deref()),
                })
                .await?
        }
    };
    let body = Arc::new(Body::new(&value)?);
    if region_only {
        let mut cache = state.layer_cache.bodies.lock();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(cache_key, body.clone());
    }
    Ok(body)
}

/// The country codes of a parameter, read as `/api/reports` reads them: a 400 names a
/// malformed one.
fn country_codes(
    filters: &[(String, String)],
    field: &str,
) -> Result<Option<Vec<String>>, Problem> {
    let mut errors = Vec::new();
    let codes = parse_codes(param(filters, field), field, &mut errors);
    if errors.is_empty() {
        Ok(codes)
    } else {
        Err(Problem::invalid_query(errors))
    }
}

/// The neighbour whose border a border buffer surrounds: `border_country`, or the region's
/// focus neighbour.
fn border_neighbour(state: &AppState, filters: &[(String, String)]) -> Result<String, Problem> {
    let g = &state.atlas.geography;
    let meta = &state.atlas.region.meta;
    let code = match param(filters, "border_country") {
        Some(c) => c.trim().to_ascii_uppercase(),
        None => meta
            .focus_neighbour
            .clone()
            .or_else(|| g.neighbours().next().map(str::to_string))
            .unwrap_or_default(),
    };
    if g.neighbours().any(|n| n == code) {
        Ok(code)
    } else {
        let known: Vec<&str> = g.neighbours().collect();
        Err(Problem::invalid_query(vec![FieldError::new(
            "border_country",
            format!(
                "border_country must be one of the neighbours whose border the region holds ({}), not '{code}'",
                known.join(", ")
            ),
        )]))
    }
}
