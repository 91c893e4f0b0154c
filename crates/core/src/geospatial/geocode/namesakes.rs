//! Things that share a name, found in the data pack when the geocoder starts: an area and its
//! seat (Ardabil province and the city of Ardabil, Lankaran rayon and the town of Lankaran),
//! and twin towns across a border (Astara and Astara, Bileh Savar and Bilasuvar, Jolfa and
//! Culfa).
//!
//! Names are compared by their *compact key*: the loose form ([`loose`]) without spaces, so
//! that "Bileh Savar", "Bilesavar" and "Biləsuvar" come within two letters of each other.

use super::names::{Target, allowed_edits};
use super::normalize::{edit_distance, fold, loose};
use crate::geospatial::geodesy;
use crate::geospatial::region::{Area, Place, Region};
use std::collections::HashMap;

/// Twin towns lie within this distance of each other.
const TWIN_MAX_M: f64 = 30_000.0;
/// A seat lies inside its area or within this distance of its outline (a town on a coarse
/// boundary, a city cut out of its rayon).
const SEAT_TOLERANCE_M: f64 = 5_000.0;
/// A seat has at least this share of the population of the area's largest place, so that a
/// village named after its province does not stand for it.
const SEAT_MIN_SHARE: f64 = 0.25;

/// Words that say a name is an area's, not a town's: "Lankaran District", "rayonu",
/// "استان اردبیل", "شهرستان آستارا".
pub fn is_area_word(word: &str) -> bool {
    matches!(
        word,
        "province"
            | "provinces"
            | "ostan"
            | "district"
            | "rayon"
            | "rayonu"
            | "raion"
            | "county"
            | "shahrestan"
            | "region"
            | "استان"
            | "شهرستان"
            | "ناحیه"
    )
}

/// The compact key of a name: its loose form without spaces, area words dropped.
pub fn compact_key(name: &str) -> String {
    let folded = fold(name);
    let kept: Vec<&str> = folded.split(' ').filter(|w| !is_area_word(w)).collect();
    loose(&kept.join(" ")).replace(' ', "")
}

/// How closely a text's compact key meets a name's: 0 edits for the same key, up to the
/// edits the shorter allows, `None` beyond.
fn key_distance(a: &str, b: &str) -> Option<usize> {
    let shorter = a.chars().count().min(b.chars().count());
    edit_distance(a, b, allowed_edits(shorter).min(2))
}

/// Areas with their seats, and groups of twin towns.
#[derive(Debug, Default)]
pub struct Namesakes {
    seat_of: HashMap<Target, u32>,
    twin_group: HashMap<u32, u32>,
    groups: Vec<Vec<u32>>,
}

impl Namesakes {
    /// Finds every seat and twin in a region.
    pub fn new(region: &Region) -> Self {
        let keys: Vec<Vec<String>> = region.places.iter().map(place_keys).collect();
        let by_name = places_by_name(region, &keys);
        let mut namesakes = Self::default();
        for (i, area) in region.provinces.iter().enumerate() {
            if let Some(seat) = seat(region, area, &by_name) {
                namesakes.seat_of.insert(Target::Province(i as u32), seat);
            }
        }
        namesakes.find_twins(region, &keys);
        namesakes
    }

    /// The place that an area is named after, by position in [`Region::places`].
    pub fn seat(&self, area: Target) -> Option<u32> {
        self.seat_of.get(&area).copied()
    }

    /// Every area with its seat.
    pub fn seats(&self) -> impl Iterator<Item = (Target, u32)> + '_ {
        self.seat_of.iter().map(|(&a, &p)| (a, p))
    }

    /// The twins of a place across a border, itself included; empty when it has none.
    pub fn twins(&self, place: u32) -> &[u32] {
        self.twin_group
            .get(&place)
            .map_or(&[], |&g| self.groups[g as usize].as_slice())
    }

    /// Every group of twin towns.
    pub fn twin_groups(&self) -> &[Vec<u32>] {
        &self.groups
    }

    fn find_twins(&mut self, region: &Region, keys: &[Vec<String>]) {
        let places = &region.places;
        for i in 0..places.len() {
            for j in (i + 1)..places.len() {
                let (a, b) = (&places[i], &places[j]);
                if a.country == b.country
                    || (a.lat - b.lat).abs() > 0.3
                    || (a.lon - b.lon).abs() > 0.4
                    || geodesy::geodesic_distance_m(a.lon, a.lat, b.lon, b.lat) > TWIN_MAX_M
                {
                    continue;
                }
                let alike = keys[i]
                    .iter()
                    .any(|k| keys[j].iter().any(|l| key_distance(k, l).is_some()));
                if alike {
                    self.join(i as u32, j as u32);
                }
            }
        }
    }

    fn join(&mut self, a: u32, b: u32) {
        match (
            self.twin_group.get(&a).copied(),
            self.twin_group.get(&b).copied(),
        ) {
            (Some(g), None) => {
                self.groups[g as usize].push(b);
                self.twin_group.insert(b, g);
            }
            (None, Some(g)) => {
                self.groups[g as usize].push(a);
                self.twin_group.insert(a, g);
            }
            (None, None) => {
                let g = self.groups.len() as u32;
                self.groups.push(vec![a, b]);
                self.twin_group.insert(a, g);
                self.twin_group.insert(b, g);
            }
            (Some(_), Some(_)) => {}
        }
    }
}

/// The compact keys of a place's Latin-script names (Persian names are compared exactly
/// by the name index; transliterations are what differ across a border).
fn place_keys(p: &Place) -> Vec<String> {
    let mut keys: Vec<String> = std::iter::once(&p.name)
        .chain(&p.alternate_names)
        .filter(|n| n.chars().any(|c| c.is_ascii_alphabetic()))
        .map(|n| compact_key(n))
        .filter(|k| k.chars().count() >= 4)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Every place by each of its names' compact keys and folded forms.
fn places_by_name(region: &Region, keys: &[Vec<String>]) -> HashMap<String, Vec<u32>> {
    let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, p) in region.places.iter().enumerate() {
        let folded = std::iter::once(&p.name)
            .chain(&p.alternate_names)
            .map(|n| fold(n));
        for name in keys[i].iter().cloned().chain(folded) {
            let places = by_name.entry(name).or_default();
            if places.last() != Some(&(i as u32)) {
                places.push(i as u32);
            }
        }
    }
    by_name
}

/// The largest place inside an area (or just outside its outline) whose name is the area's,
/// if it is large enough to stand for the area.
fn seat(region: &Region, area: &Area, by_name: &HashMap<String, Vec<u32>>) -> Option<u32> {
    let inside = |p: &Place| {
        p.country == area.country
            && (p.province.as_deref() == Some(area.id.as_str())
                || area.contains(p.lon, p.lat)
                || area
                    .boundary_distance_within(p.lon, p.lat, SEAT_TOLERANCE_M)
                    .is_some())
    };
    let seat = std::iter::once(&area.name)
        .chain(&area.names)
        .flat_map(|n| [compact_key(n), fold(n)])
        .filter_map(|key| by_name.get(&key))
        .flatten()
        .copied()
        .filter(|&i| inside(&region.places[i as usize]))
        .max_by_key(|&i| (region.places[i as usize].population, std::cmp::Reverse(i)))?;
    let largest = region
        .places
        .iter()
        .filter(|p| p.province.as_deref() == Some(area.id.as_str()))
        .map(|p| p.population)
        .max()
        .unwrap_or(0);
    let population = region.places[seat as usize].population;
    (population as f64 >= SEAT_MIN_SHARE * largest.max(population) as f64).then_some(seat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geospatial::region::RegionFiles;

    fn region() -> Region {
        Region::load(RegionFiles::embedded()).expect("the embedded pack")
    }

    fn place_named(region: &Region, country: &str, name: &str) -> u32 {
        region
            .places
            .iter()
            .position(|p| p.country == country && compact_key(&p.name) == compact_key(name))
            .unwrap_or_else(|| panic!("{name} in {country}")) as u32
    }

    #[test]
    fn compact_keys_meet_across_transliterations() {
        assert_eq!(compact_key("Bileh-Savar"), compact_key("Bileh Savar"));
        assert_eq!(compact_key("Lankaran District"), compact_key("Lənkəran"));
        assert_eq!(
            key_distance(&compact_key("Bilasuvar"), &compact_key("Bileh Savar")),
            Some(2)
        );
        assert_eq!(
            key_distance(&compact_key("Jolfa"), &compact_key("Julfa")),
            Some(1)
        );
        assert_eq!(
            key_distance(&compact_key("Rasht"), &compact_key("Rast")),
            None
        );
    }

    #[test]
    fn finds_the_twin_towns_of_the_border() {
        let region = region();
        let namesakes = Namesakes::new(&region);
        for (iranian, other) in [("Astara", "Astara"), ("Bileh Savar", "Biləsuvar")] {
            let ir = place_named(&region, "IR", iranian);
            let twins = namesakes.twins(ir);
            assert!(twins.len() >= 2, "{iranian} has no twin");
            assert!(
                twins
                    .iter()
                    .any(|&t| region.places[t as usize].country == "AZ"
                        && region.places[t as usize]
                            .alternate_names
                            .iter()
                            .chain(std::iter::once(&region.places[t as usize].name))
                            .any(|n| compact_key(n) == compact_key(other))),
                "{iranian}'s twins: {twins:?}"
            );
        }
        // Every group spans two countries and lies within 30 km.
        for group in namesakes.twin_groups() {
            let first = &region.places[group[0] as usize];
            assert!(
                group
                    .iter()
                    .any(|&t| region.places[t as usize].country != first.country)
            );
        }
    }

    #[test]
    fn areas_named_after_a_town_have_it_as_their_seat() {
        let region = region();
        let namesakes = Namesakes::new(&region);
        let seat_name = |id: &str| {
            let i = region.provinces.iter().position(|a| a.id == id).unwrap();
            namesakes
                .seat(Target::Province(i as u32))
                .map(|p| region.places[p as usize].name.clone())
        };
        assert_eq!(seat_name("IR.AR").as_deref(), Some("Ardabīl"));
        assert!(seat_name("AZ.LN").is_some_and(|n| compact_key(&n) == compact_key("Lankaran")));
        assert!(seat_name("AZ.MA").is_some_and(|n| compact_key(&n) == compact_key("Masally")));
        // Gilan is no town's name inside Gilan.
        assert_eq!(seat_name("IR.GI"), None);
    }
}
