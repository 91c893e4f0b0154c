//! What CQL2 reads of the things it filters: a report's exported fields, its event and its
//! point, and a GeoJSON feature's properties and geometry.

use super::{Properties, point_intersects};
use crate::domain::model::{EventId, Report};
use crate::formats::fields::{self, EVENT_ID, FieldValue};
use serde_json::Value;

/// A report as CQL2 sees it: its feature properties, its event as the viewer may know it
/// (`event_id`), and its point.
pub struct ReportProperties<'a>(pub &'a Report, pub Option<EventId>);

impl Properties for ReportProperties<'_> {
    fn get(&self, name: &str) -> Option<super::Value> {
        use super::Value as V;
        if name == EVENT_ID.name {
            return Some(self.1.map_or(V::Null, |e| V::Text(e.to_string())));
        }
        Some(match (fields::ogc_field(name)?.read)(self.0) {
            FieldValue::Null => V::Null,
            FieldValue::Text(t) => V::Text(t.into_owned()),
            FieldValue::Json(t) => V::Text(t),
            FieldValue::Number(n) => V::Number(n),
            FieldValue::Integer(n) => V::Number(n as f64),
            FieldValue::Bool(b) => V::Bool(b),
            FieldValue::Time(t) => V::Instant(t.0),
        })
    }

    fn intersects(&self, other: &geo::Geometry<f64>) -> bool {
        point_intersects(self.0.location.lon, self.0.location.lat, other)
    }
}

/// A region feature as CQL2 sees it; its geometry is read from the JSON only if a spatial test
/// asks for it.
pub struct JsonProperties<'a> {
    feature: &'a Value,
    geometry: std::cell::OnceCell<Option<geo::Geometry<f64>>>,
}

impl<'a> JsonProperties<'a> {
    /// A GeoJSON feature's properties and geometry.
    pub fn new(feature: &'a Value) -> Self {
        Self {
            feature,
            geometry: std::cell::OnceCell::new(),
        }
    }
}

impl Properties for JsonProperties<'_> {
    fn get(&self, name: &str) -> Option<super::Value> {
        use super::Value as V;
        let v = if name == "id" {
            self.feature.get("id")?
        } else {
            self.feature["properties"].get(name)?
        };
        Some(match v {
            Value::Null => V::Null,
            Value::Bool(b) => V::Bool(*b),
            Value::Number(n) => V::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => V::Text(s.clone()),
            other => V::Text(other.to_string()),
        })
    }

    fn intersects(&self, other: &geo::Geometry<f64>) -> bool {
        use geo::Intersects;
        self.geometry
            .get_or_init(|| geometry_of(self.feature))
            .as_ref()
            .is_some_and(|g| g.intersects(other))
    }
}

fn geometry_of(feature: &Value) -> Option<geo::Geometry<f64>> {
    let g: geojson::Geometry = serde_json::from_value(feature["geometry"].clone()).ok()?;
    geo::Geometry::<f64>::try_from(&g).ok()
}
