//! The files of a data pack, embedded or read from a directory.

use super::RegionError;
use std::borrow::Cow;
use std::path::Path;

/// The text of each file of a data pack.
#[derive(Debug, Clone)]
pub struct RegionFiles {
    /// `region.json`: name, bbox, home country, neighbours, sources.
    pub region: Cow<'static, str>,
    /// `places.tsv`: the gazetteer.
    pub places: Cow<'static, str>,
    /// `provinces.geojson`: first-level divisions.
    pub provinces: Cow<'static, str>,
    /// `countries.geojson`.
    pub countries: Cow<'static, str>,
    /// `borders.geojson`: the home country's land borders.
    pub borders: Cow<'static, str>,
    /// `coast.geojson`: shorelines.
    pub coast: Cow<'static, str>,
    /// `sea.geojson`: water bodies.
    pub sea: Cow<'static, str>,
}

macro_rules! embed {
    ($file:literal) => {
        Cow::Borrowed(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/region/",
            $file
        )))
    };
}

impl RegionFiles {
    /// The pack under `data/region/`, as built into the binary.
    pub fn embedded() -> Self {
        Self {
            region: embed!("region.json"),
            places: embed!("places.tsv"),
            provinces: embed!("provinces.geojson"),
            countries: embed!("countries.geojson"),
            borders: embed!("borders.geojson"),
            coast: embed!("coast.geojson"),
            sea: embed!("sea.geojson"),
        }
    }

    /// A pack in a directory with the same layout as `data/region/`.
    pub fn from_dir(dir: &Path) -> Result<Self, RegionError> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map(Cow::Owned)
                .map_err(|e| RegionError::new(name, format!("cannot read {}: {e}", dir.display())))
        };
        Ok(Self {
            region: read("region.json")?,
            places: read("places.tsv")?,
            provinces: read("provinces.geojson")?,
            countries: read("countries.geojson")?,
            borders: read("borders.geojson")?,
            coast: read("coast.geojson")?,
            sea: read("sea.geojson")?,
        })
    }
}
