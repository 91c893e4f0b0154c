//! `/api/layers` and `/api/layers/{id}`: the map's layers, with ETags.
//!
//! Layers that depend only on the region (lines, areas, buffers) are cached by their
//! parameters; layers drawn from reports are computed from the index on each request. The
//! core builds each as typed geometry ([`layers::build`], the one place a builder is chosen)
//! and GeoJSON encodes it. Every answer carries an ETag (a hash of its body) and a matching
//! `If-None-Match` gets a 304. Listing the catalogue never builds a layer: its counts and
//! boxes come from the region's data (once) and from what the index keeps up to date.

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
use serde_json::{Value, json};
use sightmap_core::domain::model::FieldError;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::engine::index::MapPoint;
use sightmap_core::formats::coords;
use sightmap_core::formats::layers::{
    self, DEFAULT_BUFFER_KM, DEFAULT_CELL_KM, Layer, LayerFeatures, Source, Summary, geojson,
};
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::geography::buffer::MAX_BUFFER_M;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Region-only layer bodies kept at most.
const CACHE_ENTRIES: usize = 64;
/// Bytes of bodies of layers drawn from the reports kept at most (a larger body is not kept).
const REPORT_BODIES_BYTES: usize = 64 << 20;

/// Bodies of region-only layers by id and parameters, the features of the region's OGC
/// collections and what the catalogue lists of the region's layers (the region does not
/// change while the server runs).
#[derive(Debug, Default)]
pub struct LayerCache {
    bodies: Mutex<HashMap<String, Arc<Body>>>,
    /// Each region collection's features, numbered from 1, built on first use.
    pub(super) collections: Mutex<HashMap<Layer, Arc<Vec<Value>>>>,
    /// Each region layer's feature count and bbox at its default parameters, from the
    /// region's data, on first listing.
    summaries: OnceLock<HashMap<Layer, Summary>>,
    /// Layers built (not served from this cache) since the server started.
    builds: AtomicU64,
    /// Bodies of layers drawn from the live reports, by request and viewer, with the live
    /// version they were built at: a body is served again only while the change feed has
    /// published nothing since, so its ETag follows the feed.
    report_bodies: Mutex<ReportBodies>,
}

/// Bodies of report layers built at one live version.
#[derive(Debug, Default)]
struct ReportBodies {
    /// The live version and how many reports the index held (a bulk load's end changes the
    /// index but not the version).
    version: (i64, usize),
    bytes: usize,
    bodies: HashMap<String, Arc<Body>>,
}

impl ReportBodies {
    /// The body kept for `key` if nothing changed since `version`.
    fn get(&mut self, key: &str, version: (i64, usize)) -> Option<Arc<Body>> {
        if self.version != version {
            *self = ReportBodies {
                version,
                ..Default::default()
            };
            return None;
        }
        self.bodies.get(key).cloned()
    }

    /// Keeps a body built at `version`, within the budget.
    fn put(&mut self, key: String, version: (i64, usize), body: Arc<Body>) {
        if self.version != version || self.bytes + body.bytes.len() > REPORT_BODIES_BYTES {
            return;
        }
        self.bytes += body.bytes.len();
        self.bodies.insert(key, body);
    }
}

impl LayerCache {
    /// How many layers have been built (rather than served from this cache) since the server
    /// started. Listing the catalogue builds none.
    pub fn builds(&self) -> u64 {
        self.builds.load(Ordering::Relaxed)
    }

    /// Builds a layer with the core's builder for it, counting the build.
    pub(super) fn build(
        &self,
        layer: Layer,
        params: &layers::LayerParams,
        atlas: &Atlas,
        matches: Option<&[MapPoint<'_>]>,
    ) -> Option<LayerFeatures> {
        let built = layers::build(layer, params, atlas, matches);
        if built.is_some() {
            self.builds.fetch_add(1, Ordering::Relaxed);
        }
        built
    }

    /// What the region's data tells of each region layer (and `provinces`), computed once.
    fn region_summaries(&self, atlas: &Atlas) -> &HashMap<Layer, Summary> {
        self.summaries.get_or_init(|| {
            Layer::ALL
                .into_iter()
                .filter_map(|l| layers::region_summary(l, atlas).map(|s| (l, s)))
                .collect()
        })
    }
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
            // /api/layers lists what each layer takes.
            let mut known = vec![AS_OF];
            known.extend(layer.params());
            if layer.takes_report_filters() {
                known.extend(REPORT_QUERY_PARAMS.iter().filter(|p| **p != AS_OF));
            }
            errors.push(FieldError::unknown_parameter(key.clone(), &known));
            continue;
        }
        // The unit is the parameter's: `_km` or `_m`.
        let number =
            |min: f64, max: f64, errors: &mut Vec<FieldError>| match value.trim().parse::<f64>() {
                Ok(v) if (min..=max).contains(&v) => Some(v),
                _ => {
                    let given = value
                        .trim()
                        .parse::<f64>()
                        .map_or_else(|_| json!(value), |v| json!(v));
                    errors.push(FieldError::out_of_range(key.clone(), given, min, max));
                    None
                }
            };
        match key.as_str() {
            "km" => params.km = number(0.1, MAX_BUFFER_M / 1000.0, &mut errors),
            "cell_km" => params.cell_km = number(1.0, 500.0, &mut errors),
            "simplify_m" => params.simplify_m = number(0.0, 100_000.0, &mut errors),
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
/// bbox (at its default parameters). Nothing is built: the region's layers are counted from
/// the region's data (once), the report layers from what the index keeps up to date, and a
/// count or box only a build could tell is null.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let base = super::base_url(&headers);
    let region = state.layer_cache.region_summaries(&state.atlas);
    let figures = state.reports.figures();
    let events = state.reports.event_count();
    let mut entries = Vec::new();
    for layer in Layer::ALL {
        let summary = region
            .get(&layer)
            .copied()
            .or_else(|| layers::index_summary(layer, &figures, events))
            .unwrap_or_default();
        entries.push(json!({
            "id": layer.id(),
            "title": layer.title(),
            "description": layer.description(),
            "params": layer.params(),
            "takes_report_filters": layer.takes_report_filters(),
            "ogc_collection": layer.ogc().map(|_| format!("{base}/ogc/collections/{}", layer.id())),
            "href": format!("{base}/api/layers/{}", layer.id()),
            "type": GEO_JSON,
            "feature_count": summary.feature_count,
            "bbox": summary.bbox.map(|b| b.map(coords::round)),
        }));
    }
    let meta = &state.atlas.region.meta;
    let body = Body::new(&json!({
        "region": {
            "name": meta.name,
            "bbox": meta.bbox.map(coords::round),
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
    let (read, filters) = read_params(layer, pairs)?;
    let mut params = layers::LayerParams {
        simplify_m: read.simplify_m.unwrap_or(0.0),
        km: read.km.unwrap_or(DEFAULT_BUFFER_KM),
        cell_km: read.cell_km.unwrap_or(DEFAULT_CELL_KM),
        ..Default::default()
    };
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
    // A live report layer is kept until the feed publishes a change (a past one, read with
    // as_of, is not kept: its service has a version of its own).
    let report_key = (!region_only && !pairs.iter().any(|(k, _)| k == AS_OF)).then(|| {
        let version = (state.reports.live_version(), state.reports.len());
        (format!("{cache_key}|{viewer:?}"), version)
    });
    if let Some((key, version)) = &report_key
        && let Some(body) = state.layer_cache.report_bodies.lock().get(key, *version)
    {
        return Ok(body);
    }
    let not_built = || {
        Problem::internal(format!(
            "layer {} is answered from the index, not built",
            layer.id()
        ))
    };
    let built = if region_only {
        match layer {
            Layer::Countries => params.countries = country_codes(&filters, "country")?,
            Layer::Border => params.border_countries = country_codes(&filters, "border_country")?,
            Layer::BorderBuffer => params.border_country = Some(border_neighbour(state, &filters)?),
            _ => {}
        }
        let (atlas, cache) = (state.atlas.clone(), state.layer_cache.clone());
        tokio::task::spawn_blocking(move || cache.build(layer, &params, &atlas, None))
            .await
            .map_err(Problem::internal)?
            .ok_or_else(not_built)?
    } else {
        let query = crate::http::params::report_query(&filters).map_err(Problem::invalid_query)?;
        params.border_country =
            param(&filters, "border_country").map(|c| c.trim().to_ascii_uppercase());
        params.provinces = query.filter.provinces.clone();
        params.countries = query.filter.countries.clone();
        let atlas = &state.atlas;
        state
            .reports
            .with_matches(&query, viewer, |matches| {
                state
                    .layer_cache
                    .build(layer, &params, atlas, Some(matches))
            })
            .await?
            .ok_or_else(not_built)?
    };
    let body = Arc::new(Body::from_bytes(geojson::to_bytes(&built)));
    if region_only {
        let mut cache = state.layer_cache.bodies.lock();
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(cache_key, body.clone());
    } else if let Some((key, version)) = report_key {
        state
            .layer_cache
            .report_bodies
            .lock()
            .put(key, version, body.clone());
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
    let code = match param(filters, "border_country") {
        Some(c) => c.trim().to_ascii_uppercase(),
        None => layers::focus_neighbour(&state.atlas).unwrap_or_default(),
    };
    if g.neighbours().any(|n| n == code) {
        Ok(code)
    } else {
        let known: Vec<&str> = g.neighbours().collect();
        // The neighbours whose border the region holds.
        Err(Problem::invalid_query(vec![FieldError::not_one_of(
            "border_country",
            &code,
            &known,
        )]))
    }
}
