//! OGC API – Features at `/ogc`: Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 3 (Filtering
//! with CQL2 text), so that QGIS, ArcGIS and GDAL open the reports and the region's layers live.
//!
//! The `reports` collection is served from the index and the store, with the report filters of
//! `/api/reports` besides `bbox`, `datetime` and `filter`; the `events` collection from the
//! events (see [`sightmap_core::engine::events`]), flat for GIS, with the same report filters and `grade` and
//! `min_origins`; the region's collections (`border`, `coast`, `sea`, `provinces`) from the
//! data pack.

use super::AppState;
use super::as_of::{AS_OF, Reading};
use super::extract::QueryPairs;
use super::problem::Problem;
use super::reports::{GEO_JSON, geojson_response};
use crate::http::params::REPORT_QUERY_PARAMS;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{EventId, FieldError, ReportId};
use sightmap_core::engine::query::{BBox, MAX_LIMIT, Page, ReportQuery, Spatial};
use sightmap_core::engine::service::ServiceError;
use sightmap_core::formats::coords;
use sightmap_core::formats::cql2::{self, Expr, JsonProperties, ReportProperties};
use sightmap_core::formats::events::{EVENT_FIELDS, gis_feature};
use sightmap_core::formats::feature::{Link, ReportCollection, ReportFeature};
use sightmap_core::formats::fields::{self, FieldType};
use sightmap_core::formats::layers::{self, Layer, OgcCollection, geojson};
use std::sync::Arc;

/// The conformance classes this server implements.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
];

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub(super) const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
/// Events read at a time when a CQL2 filter decides which to keep.
const FILTER_CHUNK: usize = 1_000;

/// Items per page when `limit` is not given, as the standard suggests.
pub(super) const DEFAULT_ITEMS: usize = 10;

fn link(href: String, rel: &str, media_type: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": media_type, "title": title})
}

/// `GET /ogc`: the landing page.
pub async fn landing(headers: HeaderMap) -> Json<Value> {
    let base = super::base_url(&headers);
    Json(json!({
        "title": "sightmap",
        "description": "Unverified sighting reports with their sources, and the region's borders, coast and sea, as OGC API – Features.",
        "links": [
            link(format!("{base}/ogc"), "self", "application/json", "This document"),
            link(format!("{base}/ogc/api"), "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(format!("{base}/ogc/conformance"), "conformance", "application/json", "Conformance classes"),
            link(format!("{base}/ogc/collections"), "data", "application/json", "The collections"),
        ],
    }))
}

/// `GET /ogc/conformance`.
pub async fn conformance() -> Json<Value> {
    Json(json!({ "conformsTo": CONFORMANCE }))
}

/// A collection's description, with its extent: for `reports` the box of their points, for
/// `events` the box of their footprints as `viewer` sees them (which reach past the members'
/// points by their uncertainty circles), each with the span of the observations; for the
/// region's collections, the region's box.
fn collection_json(
    state: &AppState,
    viewer: Viewer,
    base: &str,
    id: &str,
    title: &str,
    description: &str,
) -> Value {
    let region = &state.atlas.region.meta;
    let extent = match id {
        "reports" => state.reports.extent(),
        "events" => state.reports.event_extent(viewer),
        _ => None,
    };
    let (bbox, interval) = match extent {
        Some((b, (from, to))) => (b, json!([[from, to]])),
        None => (region.bbox, json!([[null, null]])),
    };
    // Rounded as the features' coordinates are, so that the box still holds them.
    let bbox = bbox.map(coords::round);
    let href = format!("{base}/ogc/collections/{id}");
    json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {
            "spatial": {"bbox": [bbox], "crs": CRS84},
            "temporal": {"interval": interval, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "links": [
            link(href.clone(), "self", "application/json", title),
            link(format!("{href}/items"), "items", GEO_JSON, "Its features"),
            link(format!("{href}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", "What a filter may use"),
        ],
    })
}

/// Whether a collection is drawn from the reports, and so takes their filters.
fn takes_report_filters(collection: &str) -> bool {
    matches!(collection, "reports" | "events")
}

/// The JSON Schema type and format of a field.
fn schema_type(kind: FieldType) -> (&'static str, Option<&'static str>) {
    match kind {
        FieldType::Text | FieldType::Json => ("string", None),
        FieldType::Number => ("number", None),
        FieldType::Integer => ("integer", None),
        FieldType::Bool => ("boolean", None),
        FieldType::Time => ("string", Some("date-time")),
    }
}

/// The catalogue's collection of this id, or a 404 naming the collections there are.
fn find_collection(id: &str) -> Result<(Layer, OgcCollection), Problem> {
    Layer::from_id(id)
        .and_then(|l| l.ogc().map(|c| (l, c)))
        .ok_or_else(|| {
            let ids: Vec<&str> = Layer::ogc_collections().map(|(l, _)| l.id()).collect();
            Problem::not_found(format!(
                "no collection '{id}'; the collections are {}",
                ids.join(", ")
            ))
        })
}

/// `GET /ogc/collections`.
pub async fn collections(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Json<Value> {
    let base = super::base_url(&headers);
    let list: Vec<Value> = Layer::ogc_collections()
        .map(|(layer, c)| {
            collection_json(&state, viewer, &base, layer.id(), c.title, c.description)
        })
        .collect();
    Json(json!({
        "links": [link(format!("{base}/ogc/collections"), "self", "application/json", "The collections")],
        "collections": list,
    }))
}

/// `GET /ogc/collections/{id}`.
pub async fn collection(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    let (layer, c) = find_collection(&id)?;
    let base = super::base_url(&headers);
    Ok(Json(collection_json(
        &state,
        viewer,
        &base,
        layer.id(),
        c.title,
        c.description,
    )))
}

/// `GET /ogc/collections/{id}/queryables`: a JSON Schema of what a filter may use.
pub async fn queryables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (layer, c) = find_collection(&id)?;
    let (id, title) = (layer.id(), c.title);
    let base = super::base_url(&headers);
    let mut properties = Map::new();
    let geometry = match id {
        "reports" => "geometry-point",
        "events" => "geometry-multipolygon",
        _ => "geometry-any",
    };
    properties.insert("geometry".into(), json!({ "format": geometry }));
    let names: Vec<(String, &str, Option<&str>)> = if id == "reports" {
        fields::ogc_queryables()
            .map(|(name, field)| {
                let (kind, format) = schema_type(field);
                (name.to_string(), kind, format)
            })
            .collect()
    } else if id == "events" {
        EVENT_FIELDS
            .iter()
            .map(|field| {
                let (kind, format) = schema_type(field.kind);
                (field.name.to_string(), kind, format)
            })
            .collect()
    } else {
        property_names(&region_features(&state, layer).await?)
            .into_iter()
            .map(|(n, t)| (n, t, None))
            .collect()
    };
    for (name, kind, format) in names {
        let mut schema = json!({"type": kind});
        if let Some(f) = format {
            schema["format"] = json!(f);
        }
        properties.insert(name, schema);
    }
    let body = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/ogc/collections/{id}/queryables"),
        "type": "object",
        "title": title,
        "properties": properties,
    });
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/schema+json"),
    );
    Ok(response)
}

/// The features of a region collection, each with an id from 1: built once (by the core's
/// builder for the layer, encoded by its GeoJSON encoder), then shared.
async fn region_features(state: &AppState, layer: Layer) -> Result<Arc<Vec<Value>>, Problem> {
    if let Some(features) = state.layer_cache.collections.lock().get(&layer) {
        return Ok(features.clone());
    }
    let (atlas, cache) = (state.atlas.clone(), state.layer_cache.clone());
    let built = tokio::task::spawn_blocking(move || {
        cache.build(layer, &layers::LayerParams::default(), &atlas, None)
    })
    .await
    .map_err(Problem::internal)?
    .ok_or_else(|| {
        Problem::internal(format!(
            "collection {} is answered from the index, not built",
            layer.id()
        ))
    })?;
    let mut numbered = Vec::with_capacity(built.features.len());
    let mut bytes = Vec::new();
    for (i, f) in built.features.iter().enumerate() {
        bytes.clear();
        geojson::write_feature(f, Some(i as u64 + 1), &mut bytes);
        numbered.push(serde_json::from_slice(&bytes).map_err(Problem::internal)?);
    }
    let numbered = Arc::new(numbered);
    state
        .layer_cache
        .collections
        .lock()
        .insert(layer, numbered.clone());
    Ok(numbered)
}

/// The property names (and JSON types) of a region collection's features.
fn property_names(features: &[Value]) -> Vec<(String, &'static str)> {
    let mut names: Vec<(String, &'static str)> = Vec::new();
    if let Some(Value::Object(props)) = features.first().map(|f| &f["properties"]) {
        for (k, v) in props {
            let kind = match v {
                Value::Number(_) => "number",
                Value::Bool(_) => "boolean",
                _ => "string",
            };
            names.push((k.clone(), kind));
        }
    }
    names
}

/// The parameters of an items request, read and checked.
struct ItemsRequest {
    limit: usize,
    offset: usize,
    bbox: Option<BBox>,
    filter: Option<Expr>,
    /// For reports: the query of `/api/reports` these parameters amount to.
    report_pairs: Vec<(String, String)>,
}

impl ItemsRequest {
    /// The page asked for.
    fn page(&self) -> Page {
        Page {
            limit: self.limit,
            offset: self.offset,
        }
    }
}

/// The parameters the items of `collection` take.
fn items_params(collection: &str) -> Vec<&'static str> {
    let mut known = vec![
        "limit",
        "offset",
        "bbox",
        "datetime",
        "filter",
        "filter-lang",
        "filter-crs",
        "bbox-crs",
        "crs",
        "f",
    ];
    if takes_report_filters(collection) {
        known.extend(
            REPORT_QUERY_PARAMS
                .iter()
                .filter(|p| !matches!(**p, "since" | "until")),
        );
    } else {
        known.push(AS_OF);
    }
    if collection == "events" {
        known.extend(["grade", "min_origins"]);
    }
    known
}

fn read_items_request(
    collection: &str,
    pairs: &[(String, String)],
) -> Result<ItemsRequest, Problem> {
    let mut errors = Vec::new();
    let mut request = ItemsRequest {
        limit: DEFAULT_ITEMS,
        offset: 0,
        bbox: None,
        filter: None,
        report_pairs: Vec::new(),
    };
    let mut filter_text = None;
    for (key, value) in pairs {
        match key.as_str() {
            "limit" => match value.trim().parse::<usize>() {
                // Larger limits are cut to the maximum, as the standard allows.
                Ok(n) if n >= 1 => request.limit = n.min(MAX_LIMIT),
                _ => errors.push(FieldError::whole_number("limit", value, 1, usize::MAX)),
            },
            "offset" => match value.trim().parse::<usize>() {
                Ok(n) => request.offset = n,
                _ => errors.push(FieldError::whole_number("offset", value, 0, usize::MAX)),
            },
            "bbox" => {
                let v: Vec<f64> = value
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect();
                let b = match v.as_slice() {
                    [a, b, c, d] => Some([*a, *b, *c, *d]),
                    [a, b, _, d, e, _] => Some([*a, *b, *d, *e]),
                    _ => None,
                };
                // Six numbers are the corners with heights, which are ignored.
                match b.map(BBox::from_edges) {
                    Some(Ok(b)) => request.bbox = Some(b),
                    _ => errors.push(FieldError::not_a_bbox("bbox", value)),
                }
            }
            "datetime" => {
                let (since, until) = match value.split_once('/') {
                    Some((a, b)) => (a.trim(), b.trim()),
                    None => (value.trim(), value.trim()),
                };
                if !takes_report_filters(collection) {
                    continue;
                }
                for (name, v) in [("since", since), ("until", until)] {
                    if !v.is_empty() && v != ".." {
                        request.report_pairs.push((name.into(), v.into()));
                    }
                }
            }
            "filter" => filter_text = Some(value.clone()),
            "filter-lang" => {
                if value != "cql2-text" {
                    errors.push(FieldError::not_one_of(key.clone(), value, &["cql2-text"]));
                }
            }
            "filter-crs" | "bbox-crs" | "crs" => {
                if value != CRS84 {
                    errors.push(FieldError::not_one_of(key.clone(), value, &[CRS84]));
                }
            }
            "f" => {
                // Clients ask for JSON in several spellings (json, geojson, application/geo+json).
                if !value.to_ascii_lowercase().contains("json") {
                    errors.push(FieldError::not_one_of("f", value, &["json", "geojson"]));
                }
            }
            // Read by the `Reading` extractor; the region's collections do not change with
            // time, so a cited link's as_of is taken by them too.
            AS_OF if !takes_report_filters(collection) => {}
            other
                if takes_report_filters(collection)
                    && REPORT_QUERY_PARAMS.contains(&other)
                    && !matches!(other, "since" | "until") =>
            {
                request.report_pairs.push((key.clone(), value.clone()));
            }
            "grade" | "min_origins" if collection == "events" => {
                request.report_pairs.push((key.clone(), value.clone()));
            }
            other => errors.push(FieldError::unknown_parameter(
                other,
                &items_params(collection),
            )),
        }
    }
    if let Some(text) = filter_text {
        match Expr::parse(&text) {
            Ok(e) => request.filter = Some(e),
            Err(e) => errors.push(FieldError::unreadable("filter", e)),
        }
    }
    if errors.is_empty() {
        Ok(request)
    } else {
        Err(Problem::invalid_query(errors))
    }
}

/// Checks that a filter uses only queryable properties.
fn check_queryables(filter: &Expr, known: &[String]) -> Result<(), Problem> {
    for name in filter.properties() {
        if !known.iter().any(|k| k == name) {
            // Only the queryables may be filtered on.
            let known: Vec<&str> = known.iter().map(String::as_str).collect();
            return Err(Problem::invalid_query(vec![FieldError::not_one_of(
                "filter", name, &known,
            )]));
        }
    }
    Ok(())
}

/// The same request URL with `offset` replaced.
/// A page of features as a GeoJSON FeatureCollection with OGC API's counts and links.
fn feature_page(
    state: &AppState,
    matched: usize,
    features: &[impl serde::Serialize],
    links: &[Link],
) -> Result<Response, Problem> {
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": features.len(),
        "timeStamp": state.reports.now(),
        "links": links.iter().map(|l| json!({"href": l.href, "rel": l.rel, "type": l.r#type})).collect::<Vec<_>>(),
        "features": features,
    });
    Ok(geojson_response(
        StatusCode::OK,
        serde_json::to_vec(&body).map_err(Problem::internal)?,
    ))
}

/// `GET /ogc/collections/{id}/items`.
pub async fn items(
    Reading(state): Reading,
    viewer: Viewer,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let (layer, _) = find_collection(&id)?;
    let id = layer.id();
    let request = read_items_request(id, &pairs)?;
    let base = super::base_url(&headers);
    match id {
        "reports" => return report_items(&state, &base, &uri, &pairs, request, viewer).await,
        "events" => return event_items(&state, &base, &uri, &pairs, request, viewer).await,
        _ => {}
    }
    let features = region_features(&state, layer).await?;
    let known: Vec<String> = std::iter::once("id".to_string())
        .chain(property_names(&features).into_iter().map(|(n, _)| n))
        .collect();
    if let Some(f) = &request.filter {
        check_queryables(f, &known)?;
    }
    let bbox_shape = request.bbox.map(|b| {
        geo::Geometry::Rect(geo::Rect::new(
            (b.min_lon, b.min_lat),
            (b.max_lon, b.max_lat),
        ))
    });
    let kept: Vec<&Value> = features
        .iter()
        .filter(|f| {
            let props = JsonProperties::new(f);
            bbox_shape
                .as_ref()
                .is_none_or(|b| cql2::Properties::intersects(&props, b))
                && request.filter.as_ref().is_none_or(|e| e.matches(&props))
        })
        .collect();
    let matched = kept.len();
    let page: Vec<&Value> = kept
        .into_iter()
        .skip(request.offset)
        .take(request.limit)
        .collect();
    let links = super::paging::links(&base, &uri, &pairs, request.page(), matched);
    feature_page(&state, matched, &page, &links)
}

/// The report query of the report filters and the request's `bbox`.
fn report_query(
    report_pairs: &[(String, String)],
    bbox: Option<BBox>,
) -> Result<ReportQuery, Problem> {
    let mut query =
        crate::http::params::report_query(report_pairs).map_err(Problem::invalid_query)?;
    if let Some(bbox) = bbox {
        if query.spatial != Spatial::None {
            return Err(Problem::invalid_query(vec![FieldError::conflict(
                "bbox",
                &["lat", "lon", "radius_km", "nearest"],
            )]));
        }
        query.spatial = Spatial::BBox(bbox);
    }
    Ok(query)
}

async fn report_items(
    state: &AppState,
    base: &str,
    uri: &Uri,
    pairs: &[(String, String)],
    request: ItemsRequest,
    viewer: Viewer,
) -> Result<Response, Problem> {
    let mut query = report_query(&request.report_pairs, request.bbox)?;
    query.page = request.page();
    let page = match &request.filter {
        None => state.reports.query(&query, viewer).await?,
        Some(filter) => {
            let known: Vec<String> = fields::ogc_queryables()
                .map(|(name, _)| name.to_string())
                .collect();
            check_queryables(filter, &known)?;
            // Each report's event is looked up only for a filter that reads it.
            let reads_event = filter.properties().contains(&fields::EVENT_ID.name);
            let keep = |r: &sightmap_core::domain::model::Report| {
                let event = reads_event
                    .then(|| state.reports.event_of(&r.id, viewer))
                    .flatten();
                filter.matches(&ReportProperties(r, event))
            };
            state.reports.query_where(&query, keep, viewer).await?
        }
    };
    let ids: Vec<ReportId> = page.reports.iter().map(|f| f.report.id).collect();
    let events = state.reports.events_of(&ids, viewer);
    let features: Vec<ReportFeature> = page
        .reports
        .iter()
        .zip(events)
        .map(|(f, event)| ReportFeature::for_gis(&f.report).in_event(event.map(|e| e.id)))
        .collect();
    let links = super::paging::links(base, uri, pairs, request.page(), page.matched);
    let stamp = state.reports.now();
    let body = serde_json::to_vec(&ReportCollection::at(features, page.matched, links, stamp))
        .map_err(Problem::internal)?;
    Ok(geojson_response(StatusCode::OK, body))
}

/// The events with a member matching the report filters and `bbox`, by `grade` and
/// `min_origins`, flat for GIS; a CQL2 filter reads their fields.
async fn event_items(
    state: &AppState,
    base: &str,
    uri: &Uri,
    pairs: &[(String, String)],
    request: ItemsRequest,
    viewer: Viewer,
) -> Result<Response, Problem> {
    let (filter, _, rest) =
        super::events::event_filter(&request.report_pairs).map_err(Problem::invalid_query)?;
    let mut query = report_query(&rest, request.bbox)?;
    let (matched, features): (usize, Vec<Value>) = match &request.filter {
        None => {
            query.page = request.page();
            let page = state.reports.events(&query, &filter, viewer).await?;
            (page.matched, page.events.iter().map(gis_feature).collect())
        }
        Some(cql) => {
            let known: Vec<String> = EVENT_FIELDS.iter().map(|f| f.name.to_string()).collect();
            check_queryables(cql, &known)?;
            // Every event the other filters keep, a chunk at a time (memory stays bounded),
            // through the CQL2 filter: the page's features kept, the rest counted.
            let wanted = request.offset..request.offset.saturating_add(request.limit);
            let (mut matched, mut features) = (0, Vec::new());
            let mut offset = 0;
            loop {
                query.page = Page {
                    limit: FILTER_CHUNK,
                    offset,
                };
                let page = state.reports.events(&query, &filter, viewer).await?;
                for feature in page.events.iter().map(gis_feature) {
                    if cql.matches(&JsonProperties::new(&feature)) {
                        if wanted.contains(&matched) {
                            features.push(feature);
                        }
                        matched += 1;
                    }
                }
                offset += FILTER_CHUNK;
                if offset >= page.matched {
                    break;
                }
            }
            (matched, features)
        }
    };
    let links = super::paging::links(base, uri, pairs, request.page(), matched);
    feature_page(state, matched, &features, &links)
}

/// `GET /ogc/collections/{id}/items/{fid}`.
pub async fn item(
    Reading(state): Reading,
    viewer: Viewer,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let (layer, _) = find_collection(&id)?;
    let id = layer.id();
    let missing = || Problem::not_found(format!("no feature '{fid}' in collection '{id}'"));
    if id == "reports" {
        let report_id: ReportId = fid.parse().map_err(|_| missing())?;
        let report = state
            .reports
            .get(report_id, viewer)
            .await
            .map_err(|e| match e {
                // A store that cannot be reached is a 503, never a 404.
                ServiceError::NotFound(_) => missing(),
                other => other.into(),
            })?;
        let event = state.reports.event_of(&report.id, viewer);
        let feature = ReportFeature::for_gis(&report).in_event(event);
        let body = serde_json::to_vec(&feature).map_err(Problem::internal)?;
        return Ok(geojson_response(StatusCode::OK, body));
    }
    if id == "events" {
        let event: EventId = fid.parse().map_err(|_| missing())?;
        let (view, _) = state
            .reports
            .event(event, viewer)
            .await?
            .ok_or_else(missing)?;
        let body = serde_json::to_vec(&gis_feature(&view)).map_err(Problem::internal)?;
        return Ok(geojson_response(StatusCode::OK, body));
    }
    let index: usize = fid.parse().map_err(|_| missing())?;
    let features = region_features(&state, layer).await?;
    let feature = features
        .get(index.checked_sub(1).ok_or_else(missing)?)
        .ok_or_else(missing)?;
    Ok(geojson_response(
        StatusCode::OK,
        feature.to_string().into_bytes(),
    ))
}
