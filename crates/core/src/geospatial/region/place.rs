//! The gazetteer: populated places from GeoNames.

use super::RegionError;

/// A populated place.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// GeoNames id.
    pub geonameid: u32,
    /// The main name.
    pub name: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// The id of its province, if one holds it.
    pub province: Option<String>,
    /// Inhabitants.
    pub population: u64,
    /// Other names: spellings, transliterations, other scripts.
    pub alternate_names: Vec<String>,
}

impl Place {
    /// How far the place reaches from its point, in metres: a town's built-up area grows
    /// roughly with the square root of its population (about 1.2 km for a village of 500,
    /// about 9 km for a city of 700,000).
    pub fn radius_m(&self) -> f64 {
        (1_000.0 + 10.0 * (self.population as f64).sqrt()).min(20_000.0)
    }

    /// `geonames:<id>`.
    pub fn source_id(&self) -> String {
        format!("geonames:{}", self.geonameid)
    }
}

/// Parses `places.tsv`: a header, then `geonameid name lat lon country province population
/// alternatenames`, tab-separated, alternate names comma-separated.
pub(super) fn parse_places(text: &str) -> Result<Vec<Place>, RegionError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h).unwrap_or_default();
    if !header.starts_with("geonameid\tname\tlat\tlon\tcountry\tprovince\tpopulation") {
        return Err(RegionError::new("places.tsv", "unexpected header"));
    }
    lines
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let bad =
                |what: &str| RegionError::new("places.tsv", format!("line {}: {what}", n + 1));
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 7 {
                return Err(bad("too few columns"));
            }
            let number = |i: usize, what: &str| f[i].parse::<f64>().map_err(|_| bad(what));
            Ok(Place {
                geonameid: f[0].parse().map_err(|_| bad("geonameid"))?,
                name: f[1].to_string(),
                lat: number(2, "lat")?,
                lon: number(3, "lon")?,
                country: f[4].to_string(),
                province: Some(f[5]).filter(|p| !p.is_empty()).map(str::to_string),
                population: f[6].parse().map_err(|_| bad("population"))?,
                alternate_names: f
                    .get(7)
                    .map(|names| {
                        names
                            .split(',')
                            .map(str::trim)
                            .filter(|n| !n.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}
