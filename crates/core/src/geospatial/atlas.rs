//! The region's knowledge in one handle: the data pack, its geocoder and its geography, which
//! the report model uses (as a [`Gazetteer`]) to place, name and relate every report it writes.

use crate::domain::model::privacy::CoarsePlace;
use crate::domain::model::{Gazetteer, Location, Precision, Relation, Unresolved};
use crate::geospatial::geocode::Geocoder;
use crate::geospatial::geography::Geography;
use crate::geospatial::region::{Region, RegionError, RegionFiles};
use std::sync::Arc;

/// A loaded region with its geocoder and geography.
#[derive(Debug)]
pub struct Atlas {
    /// The data pack.
    pub region: Arc<Region>,
    /// Place text to points, and points to names.
    pub geocoder: Geocoder,
    /// Borders, coast and sea.
    pub geography: Geography,
}

impl Atlas {
    /// Loads a data pack and indexes it.
    pub fn load(files: RegionFiles) -> Result<Self, RegionError> {
        let region = Arc::new(Region::load(files)?);
        Ok(Self {
            geocoder: Geocoder::new(region.clone()),
            geography: Geography::new(region.clone())?,
            region,
        })
    }
}

impl Gazetteer for Atlas {
    fn resolve(&self, text: &str) -> Result<Location, Unresolved> {
        self.geocoder.resolve(text)
    }

    fn locate(&self, lon: f64, lat: f64) -> (Option<String>, Option<String>) {
        self.geocoder.locate(lon, lat)
    }

    fn relate(&self, lon: f64, lat: f64) -> Relation {
        self.geography.relation(lon, lat)
    }

    fn coarse_place(&self, lon: f64, lat: f64, level: Precision) -> Option<CoarsePlace> {
        let area = |a: &crate::geospatial::region::Area| CoarsePlace {
            name: a.name.clone(),
            lon: a.representative.0,
            lat: a.representative.1,
            extent_m: a.cover_m,
        };
        match level {
            Precision::Place => self.region.nearest_place(lon, lat).map(|n| CoarsePlace {
                name: n.place.name.clone(),
                lon: n.place.lon,
                lat: n.place.lat,
                extent_m: n.place.radius_m(),
            }),
            Precision::Province => self.region.province_at(lon, lat).map(area),
            Precision::Country => self.region.country_at(lon, lat).map(area),
            _ => None,
        }
    }
}
