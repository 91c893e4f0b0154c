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

mod bktree;
pub mod coords;
pub mod names;
pub mod namesakes;
pub mod normalize;
mod phrase;
mod qualify;

use crate::domain::model::Precision;
use crate::geospatial::geodesy;
use crate::geospatial::region::{Area, Direction, Region};
use names::{MatchKind, NameIndex, Target};
use namesakes::Namesakes;
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
    /// The words' folded form.
    key: String,
    kind: MatchKind,
    targets: Vec<Target>,
}

/// What the words around a name say about the kind of thing it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// Nothing: a name shared by an area and its seat means the seat.
    Any,
    /// "Ardabil province", "شهرستان آستارا": the area.
    Area,
    /// "northern Ardabil": a part of the area first, the seat's part after it.
    AreaFirst,
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
    /// How well the text meets this reading's names, 0–1.
    quality: f64,
    /// The prominence it is ranked by: its own, or its twin group's best.
    rank: f64,
    /// Whether it ranks after the others whatever its prominence: an area when its seat is
    /// also read, or the seat when the text asks for the area's part.
    demoted: bool,
}

/// The geocoder over one region's data pack.
pub struct Geocoder {
    region: Arc<Region>,
    names: NameIndex,
    namesakes: Namesakes,
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
        let namesakes = Namesakes::new(&region);
        // A seat is also called by its area's names that carry no area word (Persian
        // "لنکران" for the town of Lankaran, whose GeoNames names are Latin only).
        let seat_names: Vec<(Target, &str)> = namesakes
            .seats()
            .flat_map(|(area, seat)| {
                let area = match area {
                    Target::Province(i) => &region.provinces[i as usize],
                    _ => unreachable!("seats are of provinces"),
                };
                std::iter::once(&area.name)
                    .chain(&area.names)
                    .filter(|n| !normalize::fold(n).split(' ').any(namesakes::is_area_word))
                    .map(move |n| (Target::Place(seat), n.as_str()))
            })
            .collect();
        let names = NameIndex::new(&region, seat_names);
        Self {
            region,
            names,
            namesakes,
        }
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
            uncertainty_m: crate::domain::model::default_uncertainty_m(Precision::Exact),
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
                    key: key.clone(),
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
                    quality: 1.0,
                    rank: (p.population as f64).max(1.0),
                    demoted: false,
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
            quality: 1.0,
            rank: prominence,
            demoted: false,
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

    /// The readings of a span, narrowed by the areas named around it, best first.
    ///
    /// Ranking: readings demoted by the area–seat rule come last; the rest by prominence
    /// (twin towns by their group's best, so that they tie), then by how well the text meets
    /// their names, then the region's home country first, then their own prominence.
    fn readings(&self, span: &Span, context: &[&Span], want: Want) -> (Vec<Base>, bool) {
        let quality = span.kind.quality();
        let mut bases: Vec<Base> = span
            .targets
            .iter()
            .map(|&t| Base {
                quality,
                ..self.base(t)
            })
            .collect();
        self.add_twins(span, &mut bases);
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
        if want == Want::Area && bases.iter().any(|b| self.area(b.target).is_some()) {
            bases.retain(|b| self.area(b.target).is_some());
            decided = true;
        }
        self.demote_namesakes(&mut bases, want);
        self.rank_twins(&mut bases);
        let home = self.region.meta.home_country.as_str();
        bases.sort_by(|a, b| {
            a.demoted
                .cmp(&b.demoted)
                .then(b.rank.total_cmp(&a.rank))
                .then(b.quality.total_cmp(&a.quality))
                .then((b.country == home).cmp(&(a.country == home)))
                .then(b.prominence.total_cmp(&a.prominence))
        });
        (bases, decided)
    }

    /// Adds the twins across the border of every place read, each with the quality of the
    /// text's match to its own names: "Bileh Savar" also reads Azerbaijan's Bilasuvar, a
    /// spelling within two edits of its names.
    fn add_twins(&self, span: &Span, bases: &mut Vec<Base>) {
        let mut added = Vec::new();
        for b in bases.iter() {
            let Target::Place(i) = b.target else {
                continue;
            };
            for &twin in self.namesakes.twins(i) {
                let target = Target::Place(twin);
                if bases
                    .iter()
                    .chain(&added)
                    .any(|b: &Base| b.target == target)
                {
                    continue;
                }
                // A twin the text does not spell ("Pushkino") is no rival.
                let quality = self.match_quality(&span.key, twin);
                if quality >= MatchKind::Typo(2).quality() {
                    added.push(Base {
                        quality,
                        ..self.base(target)
                    });
                }
            }
        }
        bases.extend(added);
    }

    /// How well a folded text meets a place's names: as [`MatchKind::quality`] for the best
    /// of its names, by compact key for typos.
    fn match_quality(&self, folded: &str, place: u32) -> f64 {
        let p = &self.region.places[place as usize];
        let names = || std::iter::once(&p.name).chain(&p.alternate_names);
        if names().any(|n| normalize::fold(n) == folded) {
            return MatchKind::Exact.quality();
        }
        let loose = normalize::loose(folded);
        if names().any(|n| normalize::loose(&normalize::fold(n)) == loose) {
            return MatchKind::Loose.quality();
        }
        let key = namesakes::compact_key(folded);
        let nearest = names()
            .filter_map(|n| normalize::edit_distance(&key, &namesakes::compact_key(n), 3))
            .min()
            .unwrap_or(3);
        match nearest {
            0 => MatchKind::Loose.quality(),
            d => MatchKind::Typo(d as u8).quality() * if d > 2 { 0.8 } else { 1.0 },
        }
    }

    /// A name shared by an area and its seat means the seat ("Lankaran", "لنکران"), unless
    /// the words ask for a part of the area ("northern Ardabil"); the other reading stays, lower.
    fn demote_namesakes(&self, bases: &mut [Base], want: Want) {
        let pairs: Vec<(Target, Target)> = bases
            .iter()
            .filter_map(|b| {
                let seat = Target::Place(self.namesakes.seat(b.target)?);
                bases
                    .iter()
                    .any(|o| o.target == seat)
                    .then_some((b.target, seat))
            })
            .collect();
        for (area, seat) in pairs {
            let demoted = if want == Want::AreaFirst { seat } else { area };
            if let Some(b) = bases.iter_mut().find(|b| b.target == demoted) {
                b.demoted = true;
            }
        }
    }

    /// Twin towns rank by their group's best prominence, so that match quality and the home
    /// country decide between them, not their size.
    fn rank_twins(&self, bases: &mut [Base]) {
        for i in 0..bases.len() {
            let Target::Place(p) = bases[i].target else {
                continue;
            };
            let twins = self.namesakes.twins(p);
            if twins.is_empty() {
                continue;
            }
            let best = bases
                .iter()
                .filter(|b| matches!(b.target, Target::Place(q) if twins.contains(&q)))
                .map(|b| b.prominence)
                .fold(0.0, f64::max);
            bases[i].rank = best;
        }
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

    /// Whether one of a span's places lies in an area that another span names ("Gilan: Rasht",
    /// "Rasht (Gilan)"): then that span is the one meant and the other its context.
    fn fits_context(&self, i: usize, spans: &[Span]) -> bool {
        spans.len() > 1
            && spans[i].targets.iter().any(|&t| {
                let Target::Place(p) = t else {
                    return false;
                };
                let place = &self.region.places[p as usize];
                spans.iter().enumerate().any(|(j, other)| {
                    j != i
                        && other.targets.iter().any(|&a| match a {
                            Target::Province(k) => {
                                place.province.as_deref()
                                    == Some(self.region.provinces[k as usize].id.as_str())
                            }
                            Target::Country(k) => {
                                place.country == self.region.countries[k as usize].id
                            }
                            Target::Place(_) => false,
                        })
                })
            })
    }

    fn read(&self, text: &str, tokens: &[Token], spans: &[Span], limit: usize) -> Geocoded {
        let primary = spans
            .iter()
            .enumerate()
            .min_by_key(|(i, s)| {
                (
                    s.kind,
                    Self::specificity(s),
                    !self.fits_context(*i, spans),
                    *i,
                )
            })
            .map(|(i, _)| i)
            .expect("at least one span");
        let span = &spans[primary];
        let context: Vec<&Span> = spans
            .iter()
            .enumerate()
            .filter(|(i, s)| *i != primary && s.targets.iter().any(|t| self.area(*t).is_some()))
            .map(|(_, s)| s)
            .collect();
        let previous_end = spans[..primary].last().map_or(0, |s| s.end);
        let (qualifier, used) = phrase::qualifier_before(&tokens[previous_end..span.start]);
        // "Ardebil Province", "Lankaran rayonu", "استان اردبیل": the area, not its namesake
        // town; "northern Ardabil": the area's part first.
        let next = tokens.get(span.end).map(|t| t.text.as_str());
        let before = (previous_end..span.start)
            .rev()
            .map(|i| tokens[i].text.as_str())
            .find(|w| !phrase::is_stopword(w) || namesakes::is_area_word(w));
        let want = if next.is_some_and(namesakes::is_area_word)
            || before.is_some_and(namesakes::is_area_word)
        {
            Want::Area
        } else if matches!(qualifier, Qualifier::Part(_)) {
            Want::AreaFirst
        } else {
            Want::Any
        };
        let (bases, decided) = self.readings(span, &context, want);
        let first_word = span.start - used;
        let matched = text[tokens[first_word].start..tokens[span.end - 1].end].to_string();
        let covered = spans.iter().map(|s| s.end - s.start).sum::<usize>() + used;
        let sentence = covered < tokens.iter().filter(|t| !is_filler_or_stop(t)).count();
        let sentence_factor = if sentence { 0.9 } else { 1.0 };
        let ambiguous = !decided && self.is_ambiguous(&bases);
        // Confidence is each reading's share of the weight of all of them, in candidate order;
        // a demoted reading weighs a quarter of the best one.
        let best_weight = bases.first().map_or(1.0, |b| b.quality * b.rank);
        let weight = |b: &Base| {
            if b.demoted {
                0.25 * best_weight.min(b.quality * b.rank)
            } else {
                b.quality * b.rank
            }
        };
        let total: f64 = bases.iter().map(weight).sum();
        let mut previous = f64::INFINITY;
        // Readings are in rank order: only the kept ones are placed (placing a part or an
        // offset looks up its province).
        let candidates = bases
            .iter()
            .take(limit)
            .map(|b| {
                let confidence = (sentence_factor * b.quality * weight(b) / total).min(previous);
                previous = confidence;
                self.qualify(b, qualifier, &matched, confidence)
            })
            .collect();
        Geocoded {
            candidates,
            ambiguous,
            suggestions: Vec::new(),
        }
    }

    /// Whether the best reading has a real rival: one with a tenth of its rank or more, not
    /// demoted, not inside it, and in another province or country or beyond its radius.
    fn is_ambiguous(&self, bases: &[Base]) -> bool {
        let Some(best) = bases.first() else {
            return false;
        };
        bases[1..].iter().any(|b| {
            !b.demoted
                && b.rank >= best.rank * AMBIGUITY_SHARE
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
        let (a, _) = self.readings(first, &[], Want::Any);
        let (c, _) = self.readings(second, &[], Want::Any);
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

/// What the report model needs of the geocoder (see [`crate::geospatial::atlas::Atlas`]).
impl Geocoder {
    /// The best place for a report's text, or why there is none (with "did you mean"
    /// suggestions).
    pub fn resolve(
        &self,
        text: &str,
    ) -> Result<crate::domain::model::Location, crate::domain::model::Unresolved> {
        use crate::domain::model::Unresolved;
        let answer = self.geocode(text, 5).map_err(|e| match e {
            GeocodeError::Blank => Unresolved::Blank,
        })?;
        match answer.candidates.first() {
            Some(best) => Ok(crate::domain::model::Location {
                text: None,
                lon: best.lon,
                lat: best.lat,
                precision: best.precision,
                uncertainty_m: best.uncertainty_m,
                province: best.province.clone(),
                country: best.country.clone(),
                ambiguous: answer.ambiguous,
                public_precision: None,
                coarsened: false,
            }),
            None => Err(Unresolved::NoMatch {
                suggestions: answer.suggestions,
            }),
        }
    }

    /// The province name and country code at a point.
    pub fn locate(&self, lon: f64, lat: f64) -> (Option<String>, Option<String>) {
        self.province_and_country(lon, lat)
    }
}

#[cfg(test)]
mod tests;
