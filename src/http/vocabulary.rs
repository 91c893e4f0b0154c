//! `GET /api/vocabulary`: the closed vocabularies of the report model (kinds, statuses,
//! precisions, source types, stances) and the events' suggested grades, with how the web map
//! draws them; the message catalogue (every sentence the API sends, by code, with its English
//! template); and the region's home country, focus neighbour and initial view, so that the
//! page copies none of them.

use super::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use sightmap_core::domain::messages;
use sightmap_core::domain::model::privacy::PUBLIC_LEVELS;
use sightmap_core::domain::model::{Kind, Precision, SourceType, Stance, Status};
use sightmap_core::engine::events::summary::Grade;

/// The colour the map gives each verification status (its points, badges and legend).
fn status_colour(status: Status) -> &'static str {
    match status {
        Status::Unverified => "#5f6b7a",
        Status::Corroborated => "#c77700",
        Status::Confirmed => "#b3261e",
        Status::Disputed => "#7b3fa0",
        Status::Retracted => "#9aa0a6",
    }
}

/// The letter the map draws on a point of each kind.
fn kind_mark(kind: Kind) -> &'static str {
    match kind {
        Kind::Drone => "D",
        Kind::Aircraft => "A",
        Kind::Missile => "M",
        Kind::Strike => "S",
        Kind::Explosion => "X",
        Kind::Sound => "♪",
        Kind::Light => "L",
        Kind::Other => "?",
    }
}

fn words<T: Copy>(all: &[T], word: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|&v| word(v)).collect()
}

/// `GET /api/vocabulary`.
pub async fn vocabulary(State(state): State<AppState>) -> Json<Value> {
    let meta = &state.atlas.region.meta;
    Json(json!({
        "kinds": Kind::ALL.iter().map(|&k| json!({"id": k.as_str(), "mark": kind_mark(k)})).collect::<Vec<_>>(),
        "statuses": Status::ALL.iter().map(|&s| json!({"id": s.as_str(), "colour": status_colour(s)})).collect::<Vec<_>>(),
        "precisions": words(Precision::ALL, Precision::as_str),
        "public_precisions": words(&PUBLIC_LEVELS, Precision::as_str),
        "source_types": words(SourceType::ALL, SourceType::as_str),
        "stances": words(Stance::ALL, Stance::as_str),
        "grades": Grade::ALL.iter().map(|&g| json!({"id": g.as_str(), "label": g.label(), "colour": g.colour()})).collect::<Vec<_>>(),
        "messages": messages::catalogue(),
        "region": {
            "name": meta.name,
            "home_country": meta.home_country,
            "focus_neighbour": meta.focus(),
            "initial_view": meta.view(),
        },
    }))
}

/// The answer's schema, for the OpenAPI document.
pub(super) fn schema() -> Value {
    let view = json!({"type": "object", "required": ["center", "zoom"], "properties": {
        "center": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2, "description": "[lon, lat]"},
        "zoom": {"type": "number"}}});
    let region = json!({"type": "object", "required": ["name", "home_country", "initial_view"], "properties": {
        "name": {"type": "string"},
        "home_country": {"type": "string", "description": "ISO 3166-1 alpha-2"},
        "focus_neighbour": {"type": "string", "nullable": true},
        "initial_view": view}});
    json!({
        "type": "object", "required": ["kinds", "statuses", "precisions", "public_precisions", "source_types", "stances", "grades", "messages", "region"],
        "properties": {
            "kinds": {"type": "array", "items": {"type": "object", "required": ["id", "mark"]}},
            "statuses": {"type": "array", "items": {"type": "object", "required": ["id", "colour"]}},
            "precisions": {"type": "array", "items": {"type": "string"}},
            "public_precisions": {"type": "array", "items": {"type": "string"}, "description": "The levels a report's location may be shown at to the public (public_precision)"},
            "source_types": {"type": "array", "items": {"type": "string"}},
            "stances": {"type": "array", "items": {"type": "string"}},
            "grades": {"type": "array", "description": "The events' suggested grades, most origins first: each id (as suggested_grade and the grade filter write it), its words as the map shows them, and the map's colour; no grade shares a word with a report status",
                "items": {"type": "object", "required": ["id", "label", "colour"], "properties": {
                    "id": {"type": "string", "enum": Grade::ALL.map(Grade::as_str)},
                    "label": {"type": "string"},
                    "colour": {"type": "string"}}}},
            "messages": {"type": "object", "description": "Every sentence the API sends, by code: its English template (an ICU MessageFormat subset: {name}, and {name, plural, =0 {…} one {…} other {…}} with # for the number)",
                "additionalProperties": {"type": "string"}},
            "region": region}})
}
