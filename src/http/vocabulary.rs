//! `GET /api/vocabulary`: the closed vocabularies of the report model (kinds, statuses,
//! precisions, source types, stances) with how the web map draws them, so that the page
//! copies none of them.

use axum::Json;
use serde_json::{Value, json};
use sightmap_core::domain::model::{Kind, Precision, SourceType, Stance, Status};

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
pub async fn vocabulary() -> Json<Value> {
    Json(json!({
        "kinds": Kind::ALL.iter().map(|&k| json!({"id": k.as_str(), "mark": kind_mark(k)})).collect::<Vec<_>>(),
        "statuses": Status::ALL.iter().map(|&s| json!({"id": s.as_str(), "colour": status_colour(s)})).collect::<Vec<_>>(),
        "precisions": words(Precision::ALL, Precision::as_str),
        "source_types": words(SourceType::ALL, SourceType::as_str),
        "stances": words(Stance::ALL, Stance::as_str),
    }))
}
