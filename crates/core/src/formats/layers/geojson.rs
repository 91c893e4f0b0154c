//! GeoJSON, one encoder of a built layer: a FeatureCollection with a `bbox` member, written
//! straight to bytes a feature at a time (no intermediate JSON tree).
//!
//! Coordinates and the bbox are rounded as every output rounds them ([`crate::formats::coords`]:
//! 7 decimals, about 1 cm); members and properties
//! are written by name, as a JSON object map writes them, so that a layer's bytes (and its
//! ETag) depend only on its content.

use super::features::{LayerFeature, LayerFeatures, PropertyValue};
use crate::formats::coords::round;
use geo::{Coord, Geometry, LineString, Polygon};

/// A whole layer as a GeoJSON FeatureCollection.
pub fn to_bytes(layer: &LayerFeatures) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 256 * layer.features.len());
    write_collection(layer, &mut out);
    out
}

/// Writes a whole layer as a GeoJSON FeatureCollection.
pub fn write_collection(layer: &LayerFeatures, out: &mut Vec<u8>) {
    out.push(b'{');
    if let Some(b) = layer.bbox {
        out.extend_from_slice(b"\"bbox\":[");
        for (i, v) in b.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            number(round(*v), out);
        }
        out.extend_from_slice(b"],");
    }
    out.extend_from_slice(b"\"features\":[");
    for (i, f) in layer.features.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_feature(f, None, out);
    }
    out.extend_from_slice(b"],\"type\":\"FeatureCollection\"}");
}

/// Writes one feature, with an `id` member if given (as the OGC collections number theirs).
pub fn write_feature(feature: &LayerFeature, id: Option<u64>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"geometry\":");
    geometry(&feature.geometry, out);
    if let Some(id) = id {
        out.extend_from_slice(b",\"id\":");
        out.extend_from_slice(id.to_string().as_bytes());
    }
    out.extend_from_slice(b",\"properties\":{");
    let mut props: Vec<(&str, &PropertyValue)> = feature.properties.iter().collect();
    props.sort_by(|a, b| a.0.cmp(b.0));
    for (i, (name, value)) in props.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        text(name, out);
        out.push(b':');
        match value {
            PropertyValue::Static(s) => text(s, out),
            PropertyValue::Text(s) => text(s, out),
            PropertyValue::Count(n) => out.extend_from_slice(n.to_string().as_bytes()),
            PropertyValue::Number(v) => number(*v, out),
            PropertyValue::Null => out.extend_from_slice(b"null"),
        }
    }
    out.extend_from_slice(b"},\"type\":\"Feature\"}");
}

fn text(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, s).expect("writing to memory cannot fail");
}

/// A number as serde_json writes it (shortest round-trip form; `null` if not finite).
fn number(v: f64, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, &serde_json::Value::from(v))
        .expect("writing to memory cannot fail");
}

fn position(c: &Coord<f64>, out: &mut Vec<u8>) {
    out.push(b'[');
    number(round(c.x), out);
    out.push(b',');
    number(round(c.y), out);
    out.push(b']');
}

fn line(l: &LineString<f64>, out: &mut Vec<u8>) {
    list(&l.0, out, position);
}

fn rings(p: &Polygon<f64>, out: &mut Vec<u8>) {
    out.push(b'[');
    line(p.exterior(), out);
    for ring in p.interiors() {
        out.push(b',');
        line(ring, out);
    }
    out.push(b']');
}

fn list<T>(items: &[T], out: &mut Vec<u8>, each: impl Fn(&T, &mut Vec<u8>)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(item, out);
    }
    out.push(b']');
}

/// A GeoJSON geometry object: `{"coordinates":…,"type":…}`.
fn geometry(g: &Geometry<f64>, out: &mut Vec<u8>) {
    let member: &[u8] = match g {
        Geometry::GeometryCollection(_) => b"{\"geometries\":",
        _ => b"{\"coordinates\":",
    };
    out.extend_from_slice(member);
    let kind = match g {
        Geometry::Point(p) => {
            position(&p.0, out);
            "Point"
        }
        Geometry::MultiPoint(m) => {
            list(&m.0, out, |p, out| position(&p.0, out));
            "MultiPoint"
        }
        Geometry::Line(l) => {
            list(&[l.start, l.end], out, position);
            "LineString"
        }
        Geometry::LineString(l) => {
            line(l, out);
            "LineString"
        }
        Geometry::MultiLineString(m) => {
            list(&m.0, out, line);
            "MultiLineString"
        }
        Geometry::Polygon(p) => {
            rings(p, out);
            "Polygon"
        }
        Geometry::Rect(r) => {
            rings(&r.to_polygon(), out);
            "Polygon"
        }
        Geometry::Triangle(t) => {
            rings(&t.to_polygon(), out);
            "Polygon"
        }
        Geometry::MultiPolygon(m) => {
            list(&m.0, out, rings);
            "MultiPolygon"
        }
        Geometry::GeometryCollection(c) => {
            list(&c.0, out, geometry);
            "GeometryCollection"
        }
    };
    out.extend_from_slice(b",\"type\":");
    text(kind, out);
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::layers::features::Properties;
    use serde_json::json;

    #[test]
    fn writes_the_bytes_a_json_tree_of_the_layer_writes() {
        let mut properties = Properties::default();
        properties.set("name", "Gīlān \"north\"".to_string());
        properties.set("country", None::<String>);
        properties.set("km", 20.0);
        properties.set("reports", 3u32);
        properties.set("kind", "sea");
        let ring = LineString::from(vec![
            (49.123_456_789, 37.1),
            (50.0, 37.000_000_04),
            (49.5, 38.25),
            (49.123_456_789, 37.1),
        ]);
        let point = geo::Point::new(48.000_000_051, 38.5);
        let layer = LayerFeatures::new(vec![
            LayerFeature {
                geometry: Geometry::Polygon(Polygon::new(ring, vec![])),
                properties: properties.clone(),
            },
            LayerFeature {
                geometry: Geometry::Point(point),
                properties: Properties::default(),
            },
        ]);
        let expected = json!({
            "type": "FeatureCollection",
            "bbox": [48.0000001, 37.0, 50.0, 38.5],
            "features": [
                {"type": "Feature",
                 "geometry": {"type": "Polygon", "coordinates": [[[49.1234568, 37.1], [50.0, 37.0], [49.5, 38.25], [49.1234568, 37.1]]]},
                 "properties": {"name": "Gīlān \"north\"", "country": null, "km": 20.0, "reports": 3, "kind": "sea"}},
                {"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [48.0000001, 38.5]},
                 "properties": {}},
            ],
        });
        assert_eq!(
            String::from_utf8(to_bytes(&layer)).unwrap(),
            expected.to_string()
        );
        let mut one = Vec::new();
        write_feature(&layer.features[1], Some(7), &mut one);
        let mut feature = expected["features"][1].clone();
        feature["id"] = json!(7);
        assert_eq!(String::from_utf8(one).unwrap(), feature.to_string());
        let empty = LayerFeatures::default();
        assert_eq!(
            String::from_utf8(to_bytes(&empty)).unwrap(),
            r#"{"features":[],"type":"FeatureCollection"}"#
        );
    }
}
