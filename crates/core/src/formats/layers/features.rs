//! A layer as typed geometry: `geo` geometries with ordered, typed properties and the
//! collection's bbox. The builders make it; encoders ([`super::geojson`], vector tiles later)
//! write it.

use std::borrow::Cow;

/// A property's value.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// Text known when the program was built (a status, a kind).
    Static(&'static str),
    /// Other text (a name, an id).
    Text(String),
    /// A whole number (a count, a population).
    Count(u64),
    /// A number (a distance, a radius).
    Number(f64),
    /// No value.
    Null,
}

impl From<&'static str> for PropertyValue {
    fn from(v: &'static str) -> Self {
        PropertyValue::Static(v)
    }
}

impl From<String> for PropertyValue {
    fn from(v: String) -> Self {
        PropertyValue::Text(v)
    }
}

impl From<Option<String>> for PropertyValue {
    fn from(v: Option<String>) -> Self {
        v.map_or(PropertyValue::Null, PropertyValue::Text)
    }
}

impl From<u64> for PropertyValue {
    fn from(v: u64) -> Self {
        PropertyValue::Count(v)
    }
}

impl From<u32> for PropertyValue {
    fn from(v: u32) -> Self {
        PropertyValue::Count(u64::from(v))
    }
}

impl From<f64> for PropertyValue {
    fn from(v: f64) -> Self {
        PropertyValue::Number(v)
    }
}

/// A feature's properties, each name once, in the order they were given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties(Vec<(Cow<'static, str>, PropertyValue)>);

impl Properties {
    /// No properties yet, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// Adds a property (or replaces the value of one of that name).
    pub fn set(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<PropertyValue>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.0.push((name, value)),
        }
    }

    /// The value of a property.
    pub fn get(&self, name: &str) -> Option<&PropertyValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Every property, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &PropertyValue)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v))
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One feature of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFeature {
    /// Its geometry, lon/lat on WGS84.
    pub geometry: geo::Geometry<f64>,
    /// Its properties.
    pub properties: Properties,
}

/// A built layer: its features and the extent they cover.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerFeatures {
    /// The features, in the order the layer gives them.
    pub features: Vec<LayerFeature>,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the features (or of the region, for its
    /// places), if there are any.
    pub bbox: Option<[f64; 4]>,
}

/// The smallest box holding every box given, as `[min_lon, min_lat, max_lon, max_lat]`.
pub fn bbox_of(boxes: impl Iterator<Item = geo::Rect<f64>>) -> Option<[f64; 4]> {
    boxes
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
}

impl LayerFeatures {
    /// Features with the bbox of their geometries.
    pub fn new(features: Vec<LayerFeature>) -> Self {
        use geo::BoundingRect;
        let bbox = bbox_of(features.iter().filter_map(|f| f.geometry.bounding_rect()));
        Self { features, bbox }
    }
}
