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

/// Reads a GeoJSON Feature's text straight into a [`ReportInput`], without building a
/// [`Value`] first: `None` unless the text is a Feature that [`input_from_json`] would accept
/// as it is (no unknown or repeated member, a Point, no coordinates given twice, a string or
/// null id), so that the caller can fall back to `input_from_json` for everything else and
/// its errors. Where both read a text, they give the same input: the same fields are read by
/// the same deserialiser, numbers by the same parser.
pub fn feature_input_from_text(text: &str) -> Option<ReportInput> {
    let MapOnly(feature): MapOnly<TypedFeature> = serde_json::from_str(text).ok()?;
    if feature.kind != "Feature" {
        return None;
    }
    let mut input = feature.properties.map(|p| p.0).unwrap_or_default();
    if let Some(MapOnly(point)) = feature.geometry {
        if point.kind != "Point"
            || !(2..=3).contains(&point.coordinates.len())
            || input.lon.is_some()
            || input.lat.is_some()
        {
            return None;
        }
        input.lon = Some(point.coordinates[0]);
        input.lat = Some(point.coordinates[1]);
    }
    if let Some(id) = feature.id
        && input.id.is_none()
    {
        input.id = Some(id);
    }
    Some(input)
}

/// A GeoJSON Feature as [`feature_input_from_text`] reads it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TypedFeature {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    geometry: Option<MapOnly<TypedPoint>>,
    properties: Option<MapOnly<ReportInput>>,
    #[serde(rename = "bbox")]
    _bbox: Option<serde::de::IgnoredAny>,
}

/// A struct read from a JSON object only, as [`Value`]'s object members are: serde's derived
/// structs also read arrays of their fields in order, which `input_from_json` refuses.
struct MapOnly<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Object(std::marker::PhantomData))
            .map(MapOnly)
    }
}

/// A geometry as [`point_coordinates`] reads it (its other members ignored).
#[derive(serde::Deserialize)]
struct TypedPoint {
    #[serde(rename = "type")]
    kind: String,
    coordinates: Vec<f64>,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `input_from_json` reads from the text, for comparison by its debug form.
    fn through_json(text: &str) -> Option<String> {
        let value: Value = serde_json::from_str(text).ok()?;
        input_from_json(value).ok().map(|i| format!("{i:?}"))
    }

    #[test]
    fn the_typed_reading_of_a_feature_is_the_json_reading_or_none() {
        let props = r#"{"kind":"drone","description":"d","observed_from":"2025-06-13T01:02:03Z","sources":[{"name":"a","type":"civilian","stance":"asserts"}],"tags":["x"]}"#;
        let cases = [
            format!(r#"{{"type":"Feature","id":"01976696-1000-76b9-b498-82321e35049e","geometry":{{"type":"Point","coordinates":[49.23292,36.81181]}},"properties":{props}}}"#),
            format!(r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[49,36,12],"bbox":[1]}},"properties":{props},"bbox":[1,2,3,4]}}"#),
            format!(r#"{{"type":"Feature","geometry":null,"properties":{props}}}"#),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1e2,-0.5e-3]},"properties":null}"#.to_string(),
            r#"{"type":"Feature","properties":{"id":"a","kind":"drone"},"id":"b"}"#.to_string(),
            r#"{"type":"Feature","properties":{"lat":1,"lon":2},"geometry":{"type":"Point","coordinates":[1,2]}}"#.to_string(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2,"x"]}}"#.to_string(),
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}"#.to_string(),
            r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[1,2]}}"#.to_string(),
            r#"{"type":"Feature","geometry":["Point",[1,2]]}"#.to_string(),
            r#"{"type":"Feature","properties":[]}"#.to_string(),
            r#"{"type":"Feature","properties":{"kind":"drone","kind":"sound"}}"#.to_string(),
            r#"{"type":"Feature","type":"Feature"}"#.to_string(),
            r#"{"type":{"Feature":null}}"#.to_string(),
            r#"{"type":"Feature","id":7}"#.to_string(),
            r#"{"type":"Feature","extra":1}"#.to_string(),
            r#"{"type":"feature"}"#.to_string(),
            r#"["Feature",null,null,null,null]"#.to_string(),
            r#"{"kind":"drone","lat":1,"lon":2}"#.to_string(),
            r#"{"type":"Feature","properties":{"location":{"lat":1,"lon":2},"tags":[]}} x"#.to_string(),
        ];
        for text in &cases {
            let typed = feature_input_from_text(text).map(|i| format!("{i:?}"));
            if typed.is_some() {
                assert_eq!(typed, through_json(text), "{text}");
            }
        }
        // The plain ones are read the typed way.
        assert!(feature_input_from_text(&cases[0]).is_some());
        assert!(feature_input_from_text(&cases[1]).is_some());
        assert!(feature_input_from_text(&cases[3]).is_some());
        // Those the JSON reading refuses or reads otherwise are left to it.
        for i in [5, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19] {
            assert!(feature_input_from_text(&cases[i]).is_none(), "{}", cases[i]);
        }
    }
}
