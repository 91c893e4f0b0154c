//! PATCH: a JSON merge patch (RFC 7396) applied to a report's editable fields.

use super::{FieldError, Report, ReportInput};
use serde_json::{Map, Value};

/// The editable fields of a report, flat, as a PATCH applies to them.
fn editable_fields(report: &Report) -> Map<String, Value> {
    let mut map = Map::new();
    let mut put = |k: &str, v: Value| {
        map.insert(k.to_string(), v);
    };
    put("kind", report.kind.as_str().into());
    put("description", report.description.clone().into());
    if let Some(t) = &report.location.text {
        put("location_text", t.clone().into());
    }
    put("lat", report.location.lat.into());
    put("lon", report.location.lon.into());
    put("precision", report.location.precision.as_str().into());
    put("uncertainty_m", report.location.uncertainty_m.into());
    if let Some(p) = &report.location.province {
        put("province", p.clone().into());
    }
    if let Some(c) = &report.location.country {
        put("country", c.clone().into());
    }
    if let Some(level) = report.location.public_precision {
        put("public_precision", level.as_str().into());
    }
    put("observed_from", report.observed.from.to_string().into());
    put("observed_to", report.observed.to.to_string().into());
    put(
        "sources",
        serde_json::to_value(&report.sources).expect("sources serialise"),
    );
    put("status", report.status.as_str().into());
    if !report.event_review.is_auto() {
        put("event_review", report.event_review.as_text().into());
    }
    put(
        "tags",
        serde_json::to_value(&report.tags).expect("tags serialise"),
    );
    map
}

/// Applies a JSON merge patch (RFC 7396) to a report's editable fields and returns the input to
/// validate. Moving the point without naming a precision makes it `exact` again, as for a new
/// report with coordinates.
pub fn merge_patch(
    report: &Report,
    patch: &Map<String, Value>,
) -> Result<ReportInput, Vec<FieldError>> {
    let mut fields = editable_fields(report);
    let moves_point = patch.contains_key("lat") || patch.contains_key("lon");
    if moves_point && !patch.contains_key("precision") {
        fields.remove("precision");
        if !patch.contains_key("uncertainty_m") {
            fields.remove("uncertainty_m");
        }
    }
    if patch.contains_key("observed") {
        fields.remove("observed_from");
        fields.remove("observed_to");
    }
    for (key, value) in patch {
        if value.is_null() {
            fields.remove(key);
        } else {
            fields.insert(key.clone(), value.clone());
        }
    }
    serde_path_to_error::deserialize(Value::Object(fields)).map_err(|e| {
        let field = e.path().to_string();
        vec![FieldError::new(field, e.into_inner().to_string())]
    })
}
