//! `GET /api/openapi.json`: the OpenAPI 3.0 definition of sightmap's own API (`/api/...` and
//! `/health`; the OGC API - Features has its own at `/ogc/api`).
//!
//! Schemas state what the server checks and no more, so that a client generated from them
//! (or schemathesis, in `scripts/schemathesis.sh`) sends what the server accepts and expects
//! what it answers. Errors are RFC 9457 problem documents.

use axum::Json;
use serde_json::{Map, Value, json};
use sightmap_core::domain::model::fields::{Input, QUERY_OUTPUTS, REPORT_FIELDS};
use sightmap_core::domain::model::{Kind, SourceType, Status};
use sightmap_core::engine::query::{MAX_LIMIT, MAX_NEAREST};

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn required_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": true, "description": description, "schema": schema})
}

fn id_param(description: &str) -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": description,
           "schema": {"type": "string"}})
}

/// `/api/reports`'s query parameters: the report filters and the page.
/// `as_of`, which every read of reports takes.
pub(super) fn as_of_param() -> Value {
    query_param(
        "as_of",
        "The data as the server knew it at this moment (RFC 3339, or a date for the end of that day, UTC), from the revision history: the reports that existed then with the fields they had then; what was private then or since stays coarsened. Not in the future.",
        json!({"type": "string"}),
    )
}

fn report_filters() -> Vec<Value> {
    let number = || json!({"type": "number"});
    let text = || json!({"type": "string"});
    vec![
        query_param(
            "lat",
            "Centre latitude, WGS84 degrees (with lon and radius_km or nearest).",
            json!({"type": "number", "minimum": -90, "maximum": 90}),
        ),
        query_param(
            "lon",
            "Centre longitude, WGS84 degrees.",
            json!({"type": "number", "minimum": -180, "maximum": 180}),
        ),
        query_param(
            "radius_km",
            "Geodesic radius in km; answers nearest first with distance_km.",
            number(),
        ),
        query_param(
            "include_uncertain",
            "With radius_km: also reports whose uncertainty circle reaches into the circle.",
            json!({"type": "boolean"}),
        ),
        query_param(
            "nearest",
            "The k nearest reports to lat/lon.",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_NEAREST}),
        ),
        query_param("bbox", "minLon,minLat,maxLon,maxLat (WGS84).", text()),
        query_param(
            "since",
            "Observed at or after (RFC 3339 or a date).",
            text(),
        ),
        query_param(
            "until",
            "Observed at or before (RFC 3339 or a date).",
            text(),
        ),
        query_param(
            "kind",
            &format!("Comma-separated kinds: {}.", Kind::allowed()),
            text(),
        ),
        query_param(
            "status",
            &format!("Comma-separated statuses: {}.", Status::allowed()),
            text(),
        ),
        query_param(
            "source_type",
            &format!("Comma-separated source types: {}.", SourceType::allowed()),
            text(),
        ),
        query_param("tag", "Comma-separated tags (any of them).", text()),
        query_param(
            "q",
            "Words that must all appear in the description.",
            text(),
        ),
        query_param(
            "border_within_km",
            "At most this far from the nearest land border.",
            number(),
        ),
        query_param(
            "coast_within_km",
            "At most this far from the coast.",
            number(),
        ),
        query_param(
            "border_country",
            "Comma-separated ISO codes of the neighbour across the nearest border.",
            text(),
        ),
        query_param("province", "Comma-separated province names.", text()),
        query_param(
            "country",
            "Comma-separated ISO 3166-1 alpha-2 codes.",
            text(),
        ),
        query_param(
            "in_sea",
            "At sea (true) or on land (false).",
            json!({"type": "boolean"}),
        ),
        as_of_param(),
        query_param(
            "limit",
            "Reports per page.",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
        ),
        query_param(
            "offset",
            "Reports to skip.",
            json!({"type": "integer", "minimum": 0}),
        ),
    ]
}

/// A report as a client sends it: flat fields (or a nested `location`), as the table of report
/// fields describes them. Fields the server sets or computes are accepted and ignored, as in
/// an export read back.
fn report_input() -> Value {
    let mut properties = Map::new();
    let mut location = Map::new();
    for field in REPORT_FIELDS {
        match field.input {
            Input::Accepted(schema, nested) => {
                properties.insert(field.name.into(), schema());
                if let Some(name) = nested {
                    location.insert(name.into(), schema());
                }
            }
            Input::Ignored => {
                properties.insert(field.name.into(), json!({}));
            }
            Input::Undescribed => {}
        }
    }
    for name in QUERY_OUTPUTS {
        properties.insert(name.into(), json!({}));
    }
    properties.insert(
        "location".into(),
        json!({"type": "object", "additionalProperties": false, "properties": location}),
    );
    properties.insert(
        "observed".into(),
        json!({
            "type": "object",
            "required": ["from"],
            "additionalProperties": false,
            "properties": {"from": {"type": "string"}, "to": {"type": "string"}},
        }),
    );
    json!({
        "type": "object",
        "required": ["kind", "description", "observed"],
        "additionalProperties": false,
        "example": {
            "kind": "drone",
            "description": "drones heard low over the coast road",
            "lat": 37.28,
            "lon": 49.58,
            "public_precision": "place",
            "observed": {"from": "2025-06-13T20:00:00Z", "to": "2025-06-13T21:00:00Z"},
            "sources": [{"name": "a resident", "type": "civilian", "stance": "asserts"}],
            "tags": ["night"],
        },
        "properties": properties,
    })
}

fn feature() -> Value {
    json!({
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {
                "type": "object",
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"type": "string", "enum": ["Point"]},
                    "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                },
            },
            "properties": {
                "type": "object",
                "required": ["kind", "status", "description", "precision", "uncertainty_m", "sources", "observed_from", "observed_to"],
            },
        },
    })
}

fn collection() -> Value {
    json!({
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"type": "object"}},
            "numberMatched": {"type": "integer"},
            "numberReturned": {"type": "integer"},
        },
    })
}

/// `/api/layers`: the region and the layer catalogue. A layer's `feature_count` and `bbox`
/// are null where only building the layer could tell them.
fn layer_catalogue() -> Value {
    let bbox = json!({"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4});
    let mut nullable_bbox = bbox.clone();
    nullable_bbox["nullable"] = json!(true);
    nullable_bbox["description"] = json!(
        "A box holding the layer's features at its default parameters (for a layer drawn from the reports perhaps larger than needed); null where only building the layer could tell"
    );
    json!({
        "type": "object",
        "required": ["region", "layers"],
        "properties": {
            "region": {"type": "object", "required": ["name", "bbox"], "properties": {
                "name": {"type": "string"}, "bbox": bbox}},
            "layers": {"type": "array", "items": {
                "type": "object",
                "required": ["id", "title", "description", "params", "takes_report_filters", "href", "type", "feature_count", "bbox"],
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "params": {"type": "array", "items": {"type": "string"}},
                    "takes_report_filters": {"type": "boolean"},
                    "ogc_collection": {"type": "string", "nullable": true},
                    "href": {"type": "string"},
                    "type": {"type": "string"},
                    "feature_count": {"type": "integer", "minimum": 0, "nullable": true,
                        "description": "How many features the layer has at its default parameters, from the region's data or what the index keeps up to date; null where only building it could tell (density, links)"},
                    "bbox": nullable_bbox,
                },
            }},
        },
    })
}

fn content(media_type: &str, schema: Value) -> Value {
    json!({ media_type: {"schema": schema} })
}

fn ok(description: &str, media_type: &str, schema: Value) -> Value {
    json!({"description": description, "content": content(media_type, schema)})
}

/// Every operation answers errors as problem documents.
fn responses(mut good: serde_json::Map<String, Value>) -> Value {
    good.insert(
        "default".into(),
        json!({"description": "An RFC 9457 problem: what is wrong and how to fix it",
               "content": content("application/problem+json", json!({"$ref": "#/components/schemas/Problem"}))}),
    );
    Value::Object(good)
}

fn one(status: &str, response: Value) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(status.into(), response);
    responses(map)
}

/// The definition.
pub fn document() -> Value {
    const GEO: &str = "application/geo+json";
    const JSON: &str = "application/json";
    let object = || json!({"type": "object"});
    let layers: Vec<&str> = sightmap_core::formats::layers::Layer::ALL
        .iter()
        .map(|l| l.id())
        .collect();
    let exports: Vec<Value> = sightmap_core::formats::export::Format::NAMES
        .iter()
        .map(|name| json!(name))
        .collect();
    let export_types = {
        let mut map = serde_json::Map::new();
        for name in sightmap_core::formats::export::Format::NAMES {
            if let Some(format) = sightmap_core::formats::export::Format::parse(name) {
                map.insert(format.media_type().into(), json!({"schema": {}}));
            }
        }
        Value::Object(map)
    };
    let mut export_params = report_filters();
    export_params.retain(|p| p["name"] != "limit" && p["name"] != "offset");
    export_params.push(query_param(
        "format",
        "The file format.",
        json!({"type": "string", "enum": exports}),
    ));
    export_params.push(query_param(
        "exact_locations",
        "true: private reports at their exact points (reviewer or admin token); else what the public sees.",
        json!({"type": "boolean"}),
    ));
    export_params.push(query_param(
        "events",
        "true: each report also carries event_id, event_suggested_grade and event_asserting_origins (its event, if the viewer may know it; see /api/events).",
        json!({"type": "boolean"}),
    ));
    let point = || {
        vec![
            required_param(
                "lat",
                "Latitude, WGS84 degrees.",
                json!({"type": "number", "minimum": -90, "maximum": 90}),
            ),
            required_param(
                "lon",
                "Longitude, WGS84 degrees.",
                json!({"type": "number", "minimum": -180, "maximum": 180}),
            ),
        ]
    };
    let mut event_params = report_filters();
    event_params.push(query_param(
        "grade",
        "Only events of these suggested grades (comma-separated ids). The former words corroborated, partly corroborated, single source and contested are still taken for the grades they became.",
        json!({"type": "string", "enum": sightmap_core::engine::events::summary::Grade::ALL.map(|g| g.as_str())}),
    ));
    event_params.push(query_param(
        "format",
        "geojson (a FeatureCollection, the default, paged by limit and offset) or csv (every matching event, a row each, the footprint as WKT, streamed; limit and offset are refused with it).",
        json!({"type": "string", "enum": ["geojson", "csv"]}),
    ));
    event_params.push(query_param(
        "min_origins",
        "Only events with at least this many independent asserting origins.",
        json!({"type": "integer", "minimum": 0, "maximum": super::events::MAX_MIN_ORIGINS}),
    ));
    let mut timeline_params = event_params.clone();
    timeline_params
        .retain(|p| !["limit", "offset", "format"].contains(&p["name"].as_str().unwrap_or("")));
    timeline_params.push(query_param(
        "of",
        "reports (the default: counts by status) or events (counts by suggested grade; grade and min_origins apply).",
        json!({"type": "string", "enum": ["reports", "events"]}),
    ));
    timeline_params.push(query_param(
        "bin",
        "The bins' width; auto (the default) takes the narrowest that gives at most 400 bins over the span.",
        json!({"type": "string", "enum": ["auto", "1h", "6h", "1d", "7d"]}),
    ));
    timeline_params.push(query_param(
        "utc_offset",
        "The viewer's time zone as an offset from UTC (+03:30, -05:00, Z): days start at its midnight, weeks on its Monday.",
        json!({"type": "string", "pattern": "^(Z|[+-]([01][0-9]|1[0-8]):?[0-5][0-9])$"}),
    ));
    let timeline_answer = json!({
        "type": "object", "required": ["of", "utc_offset", "matched", "categories", "weight_note", "weight_note_message", "bins"],
        "properties": {
            "weight_note": {"type": "string"},
            "weight_note_message": {"$ref": "#/components/schemas/Message"},
            "grade_note": {"type": "string", "description": "With of=events"},
            "grade_note_message": {"$ref": "#/components/schemas/Message"},
            "matched": {"type": "integer", "minimum": 0},
            "categories": {"type": "array", "items": {"type": "string"}},
            "bins": {"type": "array", "items": {"type": "object", "required": ["start", "end", "total", "counts"],
                "properties": {"start": {"type": "string"}, "end": {"type": "string"},
                    "total": {"type": "number", "minimum": 0}, "counts": {"type": "object"}}}}}});
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "sightmap API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Sighting reports as claims: who says what, where and when, how sure the place is, and how far it has been checked. Send a token as 'Authorization: Bearer <token>' (see the README's Access tokens); reviewers and admins see private locations exactly.",
        },
        "paths": {
            "/health": {"get": {"operationId": "health", "summary": "Whether the server is up and how many reports it holds",
                "responses": one("200", ok("Up", JSON, object()))}},
            "/api/reports": {
                "get": {"operationId": "listReports", "summary": "A page of matching reports", "parameters": report_filters(),
                    "responses": one("200", ok("A FeatureCollection", GEO, collection()))},
                "post": {"operationId": "createReport", "summary": "Store a new report (reporter token, or none while no token exists)",
                    "requestBody": {"required": true, "content": content(JSON, report_input())},
                    "responses": one("201", {
                        let mut created = ok("The report as stored, as the caller may see it", GEO, feature());
                        created["headers"] = json!({"Location": {"schema": {"type": "string"}}});
                        let by_id = |operation: &str| json!({"operationId": operation, "parameters": {"id": "$response.body#/id"}});
                        created["links"] = json!({
                            "GetReport": by_id("getReport"),
                            "UpdateReport": by_id("updateReport"),
                            "ReportHistory": by_id("reportHistory"),
                            "DeleteReport": by_id("deleteReport"),
                        });
                        created
                    })},
            },
            "/api/reports/{id}": {
                "get": {"operationId": "getReport", "summary": "One report", "parameters": [id_param("The report's id (UUID)"), as_of_param()],
                    "responses": one("200", ok("A Feature", GEO, feature()))},
                "patch": {"operationId": "updateReport", "summary": "A JSON merge patch of the report's fields (reviewer token)",
                    "parameters": [id_param("The report's id (UUID)")],
                    "requestBody": {"required": true, "content": {
                        "application/merge-patch+json": {"schema": object()}, JSON: {"schema": object()}}},
                    "responses": one("200", ok("The report as edited", GEO, feature()))},
                "delete": {"operationId": "deleteReport", "summary": "Hide a report, keeping it and its history (admin token)",
                    "parameters": [id_param("The report's id (UUID)")],
                    "responses": one("204", json!({"description": "Deleted"}))},
            },
            "/api/reports/{id}/history": {"get": {"operationId": "reportHistory", "summary": "Every revision: who, when, what changed",
                "parameters": [id_param("The report's id (UUID)")],
                "responses": one("200", ok("The revisions, oldest first", JSON, json!({
                    "type": "object", "required": ["id", "deleted", "revisions"],
                    "properties": {"revisions": {"type": "array", "items": {"type": "object", "required": ["version", "at", "by", "action", "changes"]}}}})))}},
            "/api/geocode": {"get": {"operationId": "geocode", "summary": "Readings of a place text, best first",
                "parameters": [
                    required_param("q", "The place text.", json!({"type": "string", "minLength": 1, "maxLength": 500})),
                    query_param("limit", "Candidates at most.", json!({"type": "integer", "minimum": 1, "maximum": sightmap_core::geospatial::geocode::MAX_LIMIT})),
                ],
                "responses": one("200", ok("A FeatureCollection of candidates", GEO, collection()))}},
            "/api/reverse": {"get": {"operationId": "reverse", "summary": "Province, country and nearest place of a point",
                "parameters": point(), "responses": one("200", ok("A Feature: what lies there", GEO, object()))}},
            "/api/relate": {"get": {"operationId": "relate", "summary": "A point relative to the land borders and the coast",
                "parameters": point(), "responses": one("200", ok("Borders within 500 km and the coast", JSON, object()))}},
            "/api/export": {"get": {"operationId": "export", "summary": "Every matching report as a file, streamed",
                "parameters": export_params,
                "responses": one("200", json!({"description": "The file", "content": export_types}))}},
            "/api/vocabulary": {"get": {"operationId": "getVocabulary", "summary": "The report model's vocabularies (kinds, statuses, precisions, source types, stances) and the suggested grades with the map's colours and marks; the message catalogue; the region's home country, focus neighbour and initial view",
                "responses": one("200", ok("The vocabularies", JSON, super::vocabulary::schema()))}},
            "/api/events": {"get": {"operationId": "listEvents",
                "summary": "Events: groups of reports that may describe one occurrence, with counts of independent origins and a suggested grade (never a verdict), newest first",
                "parameters": event_params,
                "responses": one("200", {
                    let mut answer = ok("A FeatureCollection of event footprints (each with grade_reasons and grade_note in English and, beside them, grade_reason_messages and grade_note_message: the same sentences as messages of the catalogue), or, with format=csv, every matching event as CSV (a download)", GEO, collection());
                    answer["content"]["text/csv; charset=utf-8"] = json!({"schema": {"type": "string"}});
                    answer
                })}},
            "/api/timeline": {"get": {"operationId": "timeline",
                "summary": "How many matching reports (by status) or events (by suggested grade) were observed in each bin of time; an interval counts in every bin it covers, weighted so that each report adds one in all",
                "parameters": timeline_params,
                "responses": one("200", ok("The bins, in the viewer's zone", JSON, timeline_answer))}},
            "/api/events/{id}": {"get": {"operationId": "getEvent", "summary": "One event with its members as Features",
                "parameters": [{"name": "id", "in": "path", "required": true, "description": "The event's id ('ev-' and a UUID)",
                    "schema": {"type": "string"}}, as_of_param()],
                "responses": one("200", ok("A Feature: the footprint, with the members", GEO, feature()))}},
            "/api/possible-duplicates": {"post": {"operationId": "possibleDuplicates",
                "summary": "The stored reports a report (sent as to POST /api/reports) may duplicate: compatible kind, overlapping circles, observation intervals within the events' time gap (--event-gap-h) of each other, those sharing an origin first; nothing is stored",
                "requestBody": {"required": true, "content": content(JSON, report_input())},
                "responses": one("200", ok("The possible duplicates", JSON, json!({
                    "type": "object", "required": ["note", "note_message", "possible_duplicates"],
                    "properties": {"note": {"type": "string"}, "note_message": {"$ref": "#/components/schemas/Message"},
                        "possible_duplicates": {"type": "array", "items": {
                        "type": "object", "required": ["id", "distance_km", "shares_origin"]}}}})))}},
            "/api/layers": {"get": {"operationId": "listLayers", "summary": "The map layers and what each takes",
                "responses": one("200", ok("The layer catalogue; listing it builds no layer", JSON, layer_catalogue()))}},
            "/api/layers/{id}": {"get": {"operationId": "getLayer", "summary": "One layer as a FeatureCollection",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "enum": layers}}, as_of_param()],
                "responses": one("200", ok("A FeatureCollection", GEO, collection()))}},
            "/api/tokens": {
                "get": {"operationId": "listTokens", "summary": "Every token, never a secret (admin token)",
                    "responses": one("200", ok("Tokens", JSON, json!({
                        "type": "object", "required": ["tokens"],
                        "properties": {"tokens": {"type": "array", "items": {
                            "type": "object", "required": ["id", "name", "role", "created_at"]}}}})))},
                "post": {"operationId": "createToken", "summary": "A new token; its secret is shown once (admin token)",
                    "requestBody": {"required": true, "content": content(JSON, json!({
                        "type": "object", "required": ["name", "role"], "additionalProperties": false,
                        "properties": {"name": {"type": "string", "minLength": 1},
                                       "role": {"type": "string", "enum": ["reader", "reporter", "reviewer", "admin"]}}}))},
                    "responses": one("201", ok("The token with its secret", JSON, object()))},
            },
            "/api/tokens/{id}": {"delete": {"operationId": "revokeToken", "summary": "Revoke a token (admin token)",
                "parameters": [id_param("The token's id")],
                "responses": one("204", json!({"description": "Revoked"}))}},
            "/api/openapi.json": {"get": {"operationId": "openapi", "summary": "This definition",
                "responses": one("200", ok("OpenAPI 3.0", JSON, object()))}},
        },
        "components": {"schemas": {"Message": {
            "type": "object",
            "description": "A sentence of the API: its code in the message catalogue (GET /api/vocabulary, messages), its parameters and its English text",
            "required": ["code", "params", "text"],
            "properties": {
                "code": {"type": "string", "enum": sightmap_core::domain::messages::MessageCode::ALL.iter().map(|m| m.code()).collect::<Vec<_>>()},
                "params": {"type": "object"}, "text": {"type": "string"},
            },
        }, "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            },
        }, "FieldError": {
            "type": "object",
            "description": "One field at fault: its path, the message of the catalogue saying what is wrong (code and parameters, which always hold field) and that message in English (detail)",
            "required": ["field", "code", "params", "detail"],
            "properties": {
                "field": {"type": "string", "description": "The field's path, such as sources[1].stance, or the query parameter"},
                "code": {"type": "string", "enum": sightmap_core::domain::messages::MessageCode::ALL.iter().map(|m| m.code()).filter(|c| c.starts_with("field.")).collect::<Vec<_>>()},
                "params": {"type": "object", "required": ["field"], "additionalProperties": true,
                    "description": "The message's parameters by name: strings, numbers or arrays of strings (lists)"},
                "detail": {"type": "string", "description": "The message in English"},
            },
        }}},
    });
    list_past_busy(&mut doc, json!({"$ref": "#/components/schemas/Problem"}));
    doc
}

/// Lists, on every operation that takes `as_of`, the 503 it gets when its moment needs a
/// rebuild and every place for one is taken (`/problems/past-busy`, with `Retry-After`);
/// `problem` is the document's schema of a problem.
pub(super) fn list_past_busy(doc: &mut Value, problem: Value) {
    let busy = json!({
        "description": "Reading this past moment needs a rebuild of its state and the server is rebuilding as many as it may (/problems/past-busy): retry after Retry-After, or read a moment already asked for",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}},
        "content": content("application/problem+json", problem),
    });
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for operation in paths.values_mut().filter_map(Value::as_object_mut) {
        for operation in operation.values_mut() {
            let takes_as_of = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == super::as_of::AS_OF));
            if takes_as_of && let Some(responses) = operation["responses"].as_object_mut() {
                responses.insert("503".into(), busy.clone());
            }
        }
    }
}

/// `GET /api/openapi.json`.
pub async fn api() -> Json<Value> {
    Json(document())
}
