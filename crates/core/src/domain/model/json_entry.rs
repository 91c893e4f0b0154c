//! The JSON entry: a report sent as flat JSON or as a GeoJSON Feature, read into a
//! [`ReportInput`] with the field at fault named.

use super::{FieldError, ReportInput};
use serde_json::{Map, Value};

/// The members a GeoJSON Feature may have; the report's fields go in `properties`.
const FEATURE_MEMBERS: [&str; 5] = ["type", "id", "geometry", "properties", "bbox"];

/// Reads a report sent as flat JSON or as a GeoJSON Feature whose properties are the report's
/// fields (as sightmap writes them), naming the field at fault.
pub fn input_from_json(value: Value) -> Result<ReportInput, Vec<FieldError>> {
    let path_error = |prefix: &str, e: serde_path_to_error::Error<serde_json::Error>| {
        let path = e.path().to_string();
        let field = match (prefix, path.as_str()) {
            ("", ".") => "body".to_string(),
            ("", p) => p.to_string(),
            (pre, ".") => pre.trim_end_matches('.').to_string(),
            (pre, p) => format!("{pre}{p}"),
        };
        vec![FieldError::from_serde(&field, &e.into_inner().to_string())]
    };
    let Value::Object(mut object) = value else {
        return Err(vec![FieldError::wrong_type("body", "object")]);
    };
    if object.get("type").and_then(Value::as_str) != Some("Feature") {
        return serde_path_to_error::deserialize(Value::Object(object))
            .map_err(|e| path_error("", e));
    }
    let mut errors = Vec::new();
    for key in object.keys() {
        if !FEATURE_MEMBERS.contains(&key.as_str()) {
            errors.push(FieldError::unknown(key.clone(), &FEATURE_MEMBERS));
        }
    }
    let properties = match object.remove("properties") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(p @ Value::Object(_)) => p,
        Some(_) => {
            errors.push(FieldError::wrong_type("properties", "object"));
            Value::Object(Map::new())
        }
    };
    let mut input: ReportInput = match serde_path_to_error::deserialize(properties) {
        Ok(input) => input,
        Err(e) => {
            errors.extend(path_error("properties.", e));
            return Err(errors);
        }
    };
    match object.remove("geometry") {
        None | Some(Value::Null) => {}
        Some(geometry) => match point_coordinates(&geometry) {
            Some((lon, lat)) => {
                if input.lon.is_some() || input.lat.is_some() {
                    errors.push(FieldError::conflict("properties.lat", &["geometry"]));
                }
                input.lon = Some(lon);
                input.lat = Some(lat);
            }
            None => errors.push(FieldError::not_a_point("geometry")),
        },
    }
    match object.remove("id") {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) if input.id.is_none() => input.id = Some(id),
        Some(Value::String(_)) => {}
        Some(other) => errors.push(FieldError::not_a_uuid("id", &other.to_string())),
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

fn point_coordinates(geometry: &Value) -> Option<(f64, f64)> {
    if geometry.get("type")?.as_str()? != "Point" {
        return None;
    }
    let coordinates = geometry.get("coordinates")?.as_array()?;
    if !(2..=3).contains(&coordinates.len()) {
        return None;
    }
    Some((coordinates[0].as_f64()?, coordinates[1].as_f64()?))
}
