//! PATCH: a JSON merge patch (RFC 7396) applied to a report's editable fields.

use super::fields::{Patch, REPORT_FIELDS};
use super::{FieldError, Report, ReportInput};
use serde_json::{Map, Value};

/// The editable fields of a report, flat, as a PATCH applies to them: those the table of
/// report fields marks [`Patch::Editable`], each as its reader gives it.
fn editable_fields(report: &Report) -> Map<String, Value> {
    REPORT_FIELDS
        .iter()
        .filter_map(|f| match f.patch {
            Patch::Editable(read) => read(report).map(|v| (f.name.to_string(), v)),
            _ => None,
        })
        .collect()
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
        vec![FieldError::from_serde(&field, &e.into_inner().to_string())]
    })
}
