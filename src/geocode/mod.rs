//! The offline geocoder: place text in Latin or Persian script, vague or exact, to a point, a
//! precision and an honest uncertainty radius, with its province; and back from a point to
//! its province, country and nearest place.
//!
//! How a text is read:
//! 1. A text that is only a pair of coordinates gives that point ([`coords`]).
//! 2. Otherwise its words are folded ([`normalize`]) and the longest runs of words that name
//!    a place, province or country are found ([`names`]): exactly, by a transliteration
//!    variant, or within an edit distance of 1 (names of 5–8 letters) or 2 (9 or more).
//! 3. The most specific name is the one meant; other names give context ("Astara, Gilan").
//! 4. The words before it qualify it ([`phrase`]): "eastern", "near", "10 km north of", or
//!    "between X and Y".
//!
//! Confidence is the match's quality times the candidate's share of the prominence
//! (population for places) of every reading of the same words, so "Lahijan" is Gilan's city
//! with high confidence, and the two Astaras split it.

pub mod coords;
pub mod names;
pub mod normalize;
mod phrase;

use crate::geodesy;
use crate::model::Precision;
use crate::region::{Area, Direction, Region};
use names::{MatchKind, NameIndex, Target};
use normalize::Token;
use phrase::Qualifier;
use std::sync::Arc;

/// The most candidates an answer holds.
pub const MAX_LIMIT: usize = 50;
/// Words read from a text; the rest are ignored, which bounds the work per query.
const MAX_WORDS: usize = 100;
/// The most words a misspelt name may span.
const MAX_TYPO_WORDS: usize = 3;
/// Added to a place's radius for "near X".
const NEAR_EXTRA_M: f64 = 10_000.0;
/// How far "north of X" (with no distance) reaches beyond X's own radius.
const BESIDE_M: f64 = 5_000.0;
/// Angular vagueness of a stated offset, as a share of its distance.
const OFFSET_SPREAD: f64 = 0.2;
/// Prominence of a province, against a place's population: a province outranks any place
/// of the same name smaller than a large city.
const PROVINCE_PROMINENCE: f64 = 250_000.0;
/// Prominence of a country.
const COUNTRY_PROMINENCE: f64 = 10_000_000.0;
/// A reading that has this share of the best one's prominence is a real alternative.
const AMBIGUITY_SHARE: f64 = 0.1;

/// One reading of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// What it is, in words: "Rasht", "eastern Gilan", "10 km north of Rasht".
    pub name: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// How precise the point is.
    pub precision: Precision,
    /// Radius around the point that should hold the place meant, metres.
    pub uncertainty_m: f64,
    /// 0–1.
    pub confidence: f64,
    /// The province's name, where one holds the point.
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
    /// The words of the text that matched.
    pub matched: String,
    /// Where the point comes from: `geonames:<id>`, `province:<id>`, `country:<code>`,
    /// `coordinates`.
    pub source_id: String,
}

/// The answer to a text: readings, best first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Geocoded {
    /// Readings, best first.
    pub candidates: Vec<Candidate>,
    /// Whether several places of the text's name are real alternatives that context did not
    /// decide between.
    pub ambiguous: bool,
    /// When nothing matched: names that come close, for "did you mean".
    pub suggestions: Vec<String>,
}

/// What lies at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Reverse {
    /// The province's id and name.
    pub province: Option<(String, String)>,
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
    /// The nearest populated place: its name, GeoNames source id, point and distance.
    pub nearest: Option<NearestName>,
}

/// A nearby place, for reverse geocoding.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestName {
    /// Its name.
    pub name: String,
    /// `geonames:<id>`.
    pub source_id: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Geodesic distance from the point asked about, metres.
    pub distance_m: f64,
}

/// Why a text cannot be geocoded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeocodeError {
    /// Nothing but spaces.
    #[error("the place text is blank")]
    Blank,
}

/// A run of words that names something.
#[derive(Debug, Clone)]
struct Span {
    start: usize,
    end: usize,
    kind: MatchKind,
    targets: Vec<Target>,
}

/// A reading before qualifiers: what a name stands for.
#[derive(Debug, Clone)]
struct Base {
    target: Target,
    name: String,
    lon: f64,
    lat: f64,
    precision: Precision,
    radius_m: f64,
    prominence: f64,
    province_id: Option<String>,
    country: String,
    source_id: String,
}

/// The geocoder over one region's data pack.
pub struct Geocoder {
    region: Arc<Region>,
    names: NameIndex,
}

impl std::fmt::Debug for Geocoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geocoder")
            .field("region", &self.region.meta.name)
            .finish()
    }
}

impl Geocoder {
    /// Indexes the names of a region.
    pub fn new(region: Arc<Region>) -> Self {
        let names = NameIndex::new(&region);
        Self { region, names }
    }

    /// The region it reads.
    pub fn region(&self) -> &Arc<Region> {
        &self.region
    }

    /// Reads a place text; at most `limit` candidates, best first.
    pub fn geocode(&self, text: &str, limit: usize) -> Result<Geocoded, GeocodeError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(GeocodeError::Blank);
        }
        let limit = limit.clamp(1, MAX_LIMIT);
        if let Some((lon, lat)) = coords::parse(text) {
            return Ok(Geocoded {
                candidates: vec![self.at_coordinates(text, lon, lat)],
                ..Default::default()
            });
        }
        let mut tokens = normalize::tokenize(text);
        tokens.truncate(MAX_WORDS);
        let spans = self.spans(&tokens);
        if spans.is_empty() {
            return Ok(Geocoded {
                suggestions: self.suggestions(&tokens),
                ..Default::default()
            });
        }
        let mut answer = match self.between(text, &tokens, &spans) {
            Some(answer) => answer,
            None => self.read(text, &tokens, &spans, limit),
        };
        answer.candidates.truncate(limit);
        Ok(answer)
    }

    /// What lies at a point: province, country and the nearest place.
    pub fn reverse(&self, lon: f64, lat: f64) -> Reverse {
        let (province, country) = self.region.province_and_country_at(lon, lat);
        let country = country
            .map(|c| c.id.clone())
            .or_else(|| province.map(|p| p.country.clone()));
        Reverse {
            province: province.map(|p| (p.id.clone(), p.name.clone())),
            country,
            nearest: self.region.nearest_place(lon, lat).map(|n| NearestName {
                name: n.place.name.clone(),
                source_id: n.place.source_id(),
                lon: n.place.lon,
                lat: n.place.lat,
                distance_m: n.distance_m,
            }),
        }
    }

    fn at_coordinates(&self, text: &str, lon: f64, lat: f64) -> Candidate {
        let (province, country) = self.province_and_country(lon, lat);
        Candidate {
            name: format!("{lat:.5}, {lon:.5}"),
            lon,
            lat,
            precision: Precision::Exact,
            uncertainty_m: crate::model::default_uncertainty_m(Precision::Exact),
            confidence: 1.0,
            province,
            country,
            matched: text.to_string(),
            source_id: "coordinates".into(),
        }
    }

    fn province_and_country(&self, lon: f64, lat: f64) -> (Option<String>, Option<String>) {
        let (province, country) = self.region.province_and_country_at(lon, lat);
        let country = country
            .map(|c| c.id.clone())
            .or_else(|| province.map(|p| p.country.clone()));
        (province.map(|p| p.name.clone()), country)
    }

    /// Runs of words that name something, longest first from left to right: exactly or by a
    /// transliteration variant, or, only when nothing matches so, within the allowed edits.
    fn spans(&self, tokens: &[Token]) -> Vec<Span> {
        let exact = self.find_spans(tokens, self.names.max_words, |key| {
            self.names
                .lookup(key)
                .map(|(kind, targets)| (kind, targets.to_vec()))
        });
        if !exact.is_empty() {
            return exact;
        }
        self.find_spans(tokens, MAX_TYPO_WORDS, |key| self.names.lookup_typo(key))
    }

    fn find_spans(
        &self,
        tokens: &[Token],
        max_words: usize,
        lookup: impl Fn(&str) -> Option<(MatchKind, Vec<Target>)>,
    ) -> Vec<Span> {
        let mut spans = Vec::new();
        let mut i = 0;
        let single = tokens.len() == 1;
        while i < tokens.len() {
            let longest = max_words.min(tokens.len() - i);
            let found = (1..=longest).rev().find_map(|len| {
                let words = &tokens[i..i + len];
                if len == 1 && !single && !nameable(&words[0].text) {
                    return None;
                }
                if words[0].is_number() || words[len - 1].is_number() {
                    return None;
                }
                let key = normalize::join(words.iter().map(|t| t.text.as_str()));
                lookup(&key).map(|(kind, targets)| Span {
                    start: i,
                    end: i + len,
                    kind,
                    targets,
                })
            });
            match found {
                Some(span) => {
                    i = span.end;
                    spans.push(span);
                }
                None => i += 1,
            }
        }
        spans
    }

    /// The readings of one name, before qualifiers.
    fn base(&self, target: Target) -> Base {
        match target {
            Target::Place(i) => {
                let p = &self.region.places[i as usize];
                Base {
                    target,
                    name: p.name.clone(),
                    lon: p.lon,
                    lat: p.lat,
                    precision: Precision::Place,
                    radius_m: p.radius_m(),
                    prominence: (p.population as f64).max(1.0),
                    province_id: p.province.clone(),
                    country: p.country.clone(),
                    source_id: p.source_id(),
                }
            }
            Target::Province(i) => {
                let a = &self.region.provinces[i as usize];
                self.area_base(
                    target,
                    a,
                    Precision::Province,
                    PROVINCE_PROMINENCE,
                    "province",
                )
            }
            Target::Country(i) => {
                let a = &self.region.countries[i as usize];
                self.area_base(target, a, Precision::Country, COUNTRY_PROMINENCE, "country")
            }
        }
    }

    fn area_base(
        &self,
        target: Target,
        a: &Area,
        precision: Precision,
        prominence: f64,
        kind: &str,
    ) -> Base {
        Base {
            target,
            name: a.name.clone(),
            lon: a.representative.0,
            lat: a.representative.1,
            precision,
            radius_m: a.cover_m,
            prominence,
            province_id: matches!(target, Target::Province(_)).then(|| a.id.clone()),
            country: a.country.clone(),
            source_id: format!("{kind}:{}", a.id),
        }
    }

    fn area(&self, target: Target) -> Option<&Area> {
        match target {
            Target::Place(_) => None,
            Target::Province(i) => Some(&self.region.provinces[i as usize]),
            Target::Country(i) => Some(&self.region.countries[i as usize]),
        }
    }

    /// Whether a reading lies in an area named as context.
    fn within(&self, base: &Base, context: Target) -> bool {
        match context {
            Target::Province(i) => {
                base.province_id.as_deref() == Some(self.region.provinces[i as usize].id.as_str())
            }
            Target::Country(i) => base.country == self.region.countries[i as usize].id,
            Target::Place(_) => false,
        }
    }

    /// The readings of a span, narrowed by the areas named around it.
    fn readings(&self, span: &Span, context: &[&Span]) -> (Vec<Base>, bool) {
        let mut bases: Vec<Base> = span.targets.iter().map(|&t| self.base(t)).collect();
        let mut decided = false;
        for ctx in context {
            let narrowed: Vec<Base> = bases
                .iter()
                .filter(|b| ctx.targets.iter().any(|&t| self.within(b, t)))
                .cloned()
                .collect();
            if !narrowed.is_empty() {
                decided |= narrowed.len() < bases.len();
                bases = narrowed;
            }
        }
        // A place inside an area of the same name is that area's namesake (Ardabil in Ardabil,
        // Lankaran in Lankaran District): the name means the place.
        let areas: Vec<(Target, f64)> = bases
            .iter()
            .filter(|b| self.area(b.target).is_some())
            .map(|b| (b.target, b.prominence))
            .collect();
        for b in bases.iter_mut() {
            if matches!(b.target, Target::Place(_))
                && let Some(&(_, prominence)) = areas.iter().find(|(area, _)| self.within(b, *area))
            {
                b.prominence = b.prominence.max(prominence * 1.5);
            }
        }
        bases.sort_by(|a, b| b.prominence.total_cmp(&a.prominence));
        (bases, decided)
    }

    /// Level of detail of a span's most specific reading: places before provinces before
    /// countries.
    fn specificity(span: &Span) -> u8 {
        span.targets
            .iter()
            .map(|t| match t {
                Target::Place(_) => 0,
                Target::Province(_) => 1,
                Target::Country(_) => 2,
            })
            .min()
            .unwrap_or(3)
    }

    fn read(&self, text: &str, tokens: &[Token], spans: &[Span], limit: usize) -> Geocoded {
        let primary = spans
            .iter()
            .enumerate()
            .min_by_key(|(i, s)| (s.kind, Self::specificity(s), *i))
            .map(|(i, _)| i)
            .expect("at least one span");
        let span = &spans[primary];
        let context: Vec<&Span> = spans
            .iter()
            .enumerate()
            .filter(|(i, s)| *i != primary && s.targets.iter().any(|t| self.area(*t).is_some()))
            .map(|(_, s)| s)
            .collect();
        let (mut bases, mut decided) = self.readings(span, &context);
        // "Ardebil Province", "استان اردبیل": the area, not its namesake town.
        let next = tokens.get(span.end).map(|t| t.text.as_str());
        let before = span.start.checked_sub(1).map(|i| tokens[i].text.as_str());
        if (matches!(next, Some("province" | "ostan")) || before == Some("استان"))
            && bases
                .iter()
                .any(|b| matches!(b.target, Target::Province(_)))
        {
            bases.retain(|b| matches!(b.target, Target::Province(_)));
            decided = true;
        }
        let previous_end = spans[..primary].last().map_or(0, |s| s.end);
        let (qualifier, used) = phrase::qualifier_before(&tokens[previous_end..span.start]);
        let first_word = span.start - used;
        let matched = text[tokens[first_word].start..tokens[span.end - 1].end].to_string();
        let covered = spans.iter().map(|s| s.end - s.start).sum::<usize>() + used;
        let sentence = covered < tokens.iter().filter(|t| !is_filler_or_stop(t)).count();
        let total: f64 = bases.iter().map(|b| b.prominence).sum();
        let quality = span.kind.quality() * if sentence { 0.9 } else { 1.0 };
        let ambiguous = !decided && self.is_ambiguous(&bases);
        // Readings are in prominence order, which is confidence order: only the kept ones are
        // placed (placing a part or an offset looks up its province).
        let candidates = bases
            .iter()
            .take(limit)
            .map(|b| {
                let confidence = quality * b.prominence / total;
                self.qualify(b, qualifier, &matched, confidence)
            })
            .collect();
        Geocoded {
            candidates,
            ambiguous,
            suggestions: Vec::new(),
        }
    }

    /// Whether the best reading has a real rival: one with a tenth of its prominence or more,
    /// not inside it, and in another province or country or beyond its radius.
    fn is_ambiguous(&self, bases: &[Base]) -> bool {
        let Some(best) = bases.first() else {
            return false;
        };
        bases[1..].iter().any(|b| {
            b.prominence >= best.prominence * AMBIGUITY_SHARE
                && !self.nested(best, b)
                && (b.country != best.country
                    || b.province_id != best.province_id
                    || geodesy::geodesic_distance_m(best.lon, best.lat, b.lon, b.lat)
                        > best.radius_m.max(b.radius_m))
        })
    }

    /// Whether one reading lies inside the other (a province and its capital).
    fn nested(&self, a: &Base, b: &Base) -> bool {
        let inside = |inner: &Base, outer: &Base| {
            self.area(outer.target).is_some_and(|area| {
                area.contains(inner.lon, inner.lat) || self.within(inner, outer.target)
            })
        };
        inside(a, b) || inside(b, a)
    }

    /// Applies a qualifier to a reading.
    fn qualify(&self, b: &Base, q: Qualifier, matched: &str, confidence: f64) -> Candidate {
        let area = self.area(b.target);
        let (name, lon, lat, precision, uncertainty_m) = match q {
            Qualifier::None => (b.name.clone(), b.lon, b.lat, b.precision, b.radius_m),
            Qualifier::Near => (
                format!("near {}", b.name),
                b.lon,
                b.lat,
                if b.precision == Precision::Place {
                    Precision::Near
                } else {
                    b.precision
                },
                b.radius_m + NEAR_EXTRA_M,
            ),
            Qualifier::Part(direction) => {
                let label = part_label(direction, &b.name);
                match area {
                    Some(area) => {
                        let part = area.part(direction);
                        (label, part.lon, part.lat, Precision::Region, part.radius_m)
                    }
                    None => {
                        let (lon, lat) = match direction {
                            Some(d) => geodesy::destination(
                                b.lon,
                                b.lat,
                                d.bearing_deg(),
                                b.radius_m / 2.0,
                            ),
                            None => (b.lon, b.lat),
                        };
                        (label, lon, lat, Precision::Place, b.radius_m)
                    }
                }
            }
            Qualifier::Offset(distance, direction) => match (distance, area) {
                (None, Some(area)) => {
                    let part = area.part(Some(direction));
                    let label = part_label(Some(direction), &b.name);
                    (label, part.lon, part.lat, Precision::Region, part.radius_m)
                }
                _ => {
                    let d = distance.unwrap_or(b.radius_m + BESIDE_M);
                    let (lon, lat) = geodesy::destination(b.lon, b.lat, direction.bearing_deg(), d);
                    let label = match distance {
                        Some(d) => {
                            format!("{} km {} of {}", format_km(d), direction.as_str(), b.name)
                        }
                        None => format!("{} of {}", direction.as_str(), b.name),
                    };
                    let precision = if area.is_some() {
                        Precision::Region
                    } else {
                        Precision::Near
                    };
                    (label, lon, lat, precision, b.radius_m + OFFSET_SPREAD * d)
                }
            },
        };
        let (province, country) = if q == Qualifier::None || q == Qualifier::Near {
            let province = b
                .province_id
                .as_deref()
                .and_then(|id| self.region.province(id))
                .map(|p| p.name.clone());
            (province, Some(b.country.clone()))
        } else {
            let (province, country) = self.province_and_country(lon, lat);
            let province = match b.target {
                Target::Country(_) => None,
                _ => province,
            };
            (province, country.or(Some(b.country.clone())))
        };
        Candidate {
            name,
            lon,
            lat,
            precision,
            uncertainty_m,
            confidence: (confidence * 1000.0).round() / 1000.0,
            province: if matches!(b.target, Target::Country(_)) && q == Qualifier::None {
                None
            } else {
                province
            },
            country,
            matched: matched.to_string(),
            source_id: b.source_id.clone(),
        }
    }

    /// "between X and Y": the geodesic midpoint of the best readings of X and Y.
    fn between(&self, text: &str, tokens: &[Token], spans: &[Span]) -> Option<Geocoded> {
        let b = tokens.iter().position(|t| phrase::between_word(&t.text))?;
        let first = spans.iter().position(|s| s.start > b)?;
        let second = spans.get(first + 1)?;
        let first = &spans[first];
        let joined = tokens[first.end..second.start]
            .iter()
            .any(|t| phrase::and_word(&t.text));
        if !joined {
            return None;
        }
        let (a, _) = self.readings(first, &[]);
        let (c, _) = self.readings(second, &[]);
        let (a, c) = (a.first()?, c.first()?);
        let (lon, lat) = geodesy::midpoint(a.lon, a.lat, c.lon, c.lat);
        let apart = geodesy::geodesic_distance_m(a.lon, a.lat, c.lon, c.lat);
        let (province, country) = self.province_and_country(lon, lat);
        let quality = first.kind.quality().min(second.kind.quality());
        Some(Geocoded {
            candidates: vec![Candidate {
                name: format!("between {} and {}", a.name, c.name),
                lon,
                lat,
                precision: if a.precision == Precision::Place && c.precision == Precision::Place {
                    Precision::Near
                } else {
                    Precision::Region
                },
                uncertainty_m: a.radius_m.max(c.radius_m) + apart / 4.0,
                confidence: quality,
                province,
                country,
                matched: text[tokens[b].start..tokens[second.end - 1].end].to_string(),
                source_id: format!("{}+{}", a.source_id, c.source_id),
            }],
            ..Default::default()
        })
    }

    fn suggestions(&self, tokens: &[Token]) -> Vec<String> {
        let mut words: Vec<&Token> = tokens.iter().filter(|t| nameable(&t.text)).collect();
        words.sort_by_key(|t| std::cmp::Reverse(t.text.chars().count()));
        let mut out: Vec<String> = Vec::new();
        for word in words.into_iter().take(3) {
            for (_, targets) in self.names.suggestions(&word.text, 5) {
                for &t in targets {
                    let name = self.base(t).name;
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
        }
        out.truncate(5);
        out
    }
}

fn part_label(direction: Option<Direction>, name: &str) -> String {
    match direction {
        Some(d) => format!("{}ern {name}", d.as_str()),
        None => format!("central {name}"),
    }
}

fn format_km(metres: f64) -> String {
    let km = metres / 1000.0;
    if (km - km.round()).abs() < 1e-9 {
        format!("{}", km.round())
    } else {
        format!("{km:.1}")
    }
}

/// Whether a word may name a place by itself.
fn nameable(word: &str) -> bool {
    let letters = word.chars().count();
    let min = if normalize::is_arabic_script(word) {
        2
    } else {
        3
    };
    letters >= min && !phrase::is_stopword(word) && !word.starts_with(|c: char| c.is_ascii_digit())
}

fn is_filler_or_stop(t: &Token) -> bool {
    phrase::is_stopword(&t.text) || t.text.chars().count() < 2
}

/// What the report model needs of the geocoder (see [`crate::places::Places`]).
impl Geocoder {
    /// The best place for a report's text, or what to tell the client (with "did you mean"
    /// suggestions).
    pub fn resolve(&self, text: &str) -> Result<crate::model::ResolvedPlace, String> {
        let answer = self
            .geocode(text, 5)
            .map_err(|e| format!("{e}: give the place as text, or lat and lon"))?;
        match answer.candidates.first() {
            Some(best) => Ok(crate::model::ResolvedPlace {
                lon: best.lon,
                lat: best.lat,
                precision: best.precision,
                uncertainty_m: best.uncertainty_m,
                province: best.province.clone(),
                country: best.country.clone(),
                ambiguous: answer.ambiguous,
            }),
            None if answer.suggestions.is_empty() => Err(format!(
                "no known place matches '{text}'; check the spelling, or give lat and lon"
            )),
            None => Err(format!(
                "no known place matches '{text}'; did you mean {}? Or give lat and lon",
                answer.suggestions.join(", ")
            )),
        }
    }

    /// The province name and country code at a point.
    pub fn locate(&self, lon: f64, lat: f64) -> (Option<String>, Option<String>) {
        self.province_and_country(lon, lat)
    }
}
