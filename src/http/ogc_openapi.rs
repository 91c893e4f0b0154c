//! `GET /ogc/api`: the OpenAPI 3.0 definition of the OGC API – Features, its collections
//! read from the layer catalogue.

use super::ogc::{DEFAULT_ITEMS, OPENAPI};
use super::reports::GEO_JSON;
use axum::Json;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sightmap_core::engine::query::MAX_LIMIT;
use sightmap_core::formats::layers::Layer;

/// `GET /ogc/api`: the OpenAPI 3.0 definition.
pub async fn api(headers: HeaderMap) -> Response {
    let base = super::base_url(&headers);
    let param = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema});
    // `limit` is a shared component referenced from every items path: QGIS reads its page size
    // from `components.parameters.limit` and GDAL (3.8 and later) from the `$ref` on each
    // collection's own items path; both take min(max(1000, default), maximum). A larger limit
    // is served as the maximum, as OGC API - Features requires (not an error).
    let limit = json!({
        "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
        "description": format!("Features per page (default {DEFAULT_ITEMS}, at most {MAX_LIMIT}; a larger value is served as {MAX_LIMIT})."),
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_ITEMS},
    });
    let item_params = vec![
        json!({"$ref": "#/components/parameters/limit"}),
        param(
            "offset",
            "Features to skip (the next link sets it).",
            json!({"type": "integer", "minimum": 0}),
        ),
        {
            // Comma-separated, as OGC API - Features Part 1 declares it (form style, not
            // exploded: bbox=1,2,3,4, never bbox=1&bbox=2...).
            let mut bbox = param(
                "bbox",
                "minLon,minLat,maxLon,maxLat in CRS84.",
                json!({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}),
            );
            bbox["style"] = json!("form");
            bbox["explode"] = json!(false);
            bbox
        },
        param(
            "datetime",
            "An instant or interval (start/end, '..' for open), matched against the observation interval.",
            json!({"type": "string"}),
        ),
        param(
            "filter",
            "A CQL2 text filter over the queryables.",
            json!({"type": "string", "minLength": 1}),
        ),
        param(
            "filter-lang",
            "cql2-text",
            json!({"type": "string", "enum": ["cql2-text"]}),
        ),
    ];
    // The reports take the API's filters too; the region's collections only the standard ones.
    let mut report_params = item_params.clone();
    for (name, description) in [
        ("kind", "Kinds, comma-separated (reports and events)."),
        (
            "status",
            "Verification statuses, comma-separated (reports and events).",
        ),
        (
            "source_type",
            "Source types, comma-separated (reports and events).",
        ),
        ("tag", "Tags, comma-separated (reports and events)."),
        (
            "q",
            "Words that must all appear in the description (reports and events).",
        ),
        (
            "border_within_km",
            "At most this far from the nearest land border (reports and events).",
        ),
        (
            "coast_within_km",
            "At most this far from the coast (reports and events).",
        ),
        (
            "border_country",
            "Nearest border with these countries (reports and events).",
        ),
        ("province", "In these provinces (reports and events)."),
        ("country", "In these countries (reports and events)."),
    ] {
        report_params.push(param(name, description, json!({"type": "string"})));
    }
    report_params.push(super::openapi::as_of_param());
    let mut event_params = report_params.clone();
    event_params.push(param(
        "grade",
        "Suggested grades, comma-separated ids: several_origins, several_origins_placed_vaguely, one_origin, asserted_and_denied, no_assertion (events only; the former words corroborated, partly corroborated, single source and contested are still taken).",
        json!({"type": "string"}),
    ));
    event_params.push(param(
        "min_origins",
        "At least this many independent asserting origins (events only).",
        json!({"type": "integer", "minimum": 0, "maximum": crate::http::events::MAX_MIN_ORIGINS}),
    ));
    let collection_id = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string", "enum": Layer::ogc_collections().map(|(l, _)| l.id()).collect::<Vec<_>>()}});
    let ok = |description: &str, media: &str| json!({"200": {"description": description, "content": {media: {"schema": {"type": "object"}}}}, "404": {"description": "Not found"}, "400": {"description": "Invalid parameter (application/problem+json)"}});
    // Each collection's items at its own path (GDAL looks its page size up there).
    let items_paths = Layer::ogc_collections().map(|(layer, collection)| {
        let id = layer.id();
        let (params, operation) = match layer {
            Layer::Reports => (report_params.clone(), "getReports".to_string()),
            Layer::Events => (event_params.clone(), "getEvents".to_string()),
            _ => (item_params.clone(), format!("getFeatures_{id}")),
        };
        let get = json!({"summary": collection.title, "operationId": operation, "parameters": params, "responses": ok("A page of features", GEO_JSON)});
        (format!("/collections/{id}/items"), json!({ "get": get }))
    });
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "sightmap OGC API – Features", "version": env!("CARGO_PKG_VERSION"), "description": "Unverified sighting reports, the events they may describe (suggested), and the region's borders, coast, sea and provinces."},
        "servers": [{"url": format!("{base}/ogc")}],
        "paths": {
            "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage", "responses": ok("The landing page", "application/json")}},
            "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformance", "responses": ok("The conformance classes", "application/json")}},
            "/api": {"get": {"summary": "This definition", "operationId": "getApi", "responses": ok("The API definition", OPENAPI)}},
            "/collections": {"get": {"summary": "The collections", "operationId": "getCollections", "responses": ok("The collections", "application/json")}},
            "/collections/{collectionId}": {"get": {"summary": "One collection", "operationId": "describeCollection", "parameters": [collection_id], "responses": ok("The collection", "application/json")}},
            "/collections/{collectionId}/queryables": {"get": {"summary": "What a filter may use", "operationId": "getQueryables", "parameters": [collection_id], "responses": ok("A JSON Schema", "application/schema+json")}},
            "/collections/{collectionId}/items/{featureId}": {"get": {"summary": "One feature", "operationId": "getFeature", "parameters": [collection_id, {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": ok("The feature", GEO_JSON)}},
        },
        "components": {"parameters": {"limit": limit}},
    });
    doc["paths"]
        .as_object_mut()
        .expect("paths is an object")
        .extend(items_paths);
    super::openapi::list_past_busy(&mut doc, json!({"type": "object"}));
    let mut response = Json(doc).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(OPENAPI));
    response
}
