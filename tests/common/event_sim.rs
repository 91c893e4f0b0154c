//! A seeded simulator of occurrences and of the people who report them, and the scores of
//! the events' grouping against that known truth. Shared by the evaluation test
//! (`tests/event_eval.rs`, small scenarios) and the printing tool (`benches/event_eval.rs`, the
//! table in BENCHMARKS.md) with `#[path]`, so it needs no public API in the library.
//!
//! **Occurrences**: strikes at a point, explosions at a point, and drones flying a straight
//! track of tens of km over about an hour. **People**: each occurrence has witnesses (a
//! strike or an explosion is heard up to `hearing_km` away; a drone is seen or heard from
//! beside its track as it passes), and each witness files one report or more:
//! - what they say it was: a strike, an explosion, a sound, a light, a drone (or a missile:
//!   drones are mistaken for them);
//! - where, at a precision from exact to province: coordinates, the nearest town (or their
//!   village), "near" a town, part of a province ("eastern Gilan"), or the province, placed at
//!   the province's centre-like point with its covering radius, as the geocoder places them;
//! - when: to the minute, rounded to the hour (sometimes the wrong one), to the day, or
//!   "during the war" (the scenario's war, twelve days);
//! - through whom: directly, or relayed by an outlet (`via`), which names them or only
//!   "residents of" their town or province, and may also appear as a source of its own;
//! - how often: some repeat themselves (another report, differently worded), some report
//!   several occurrences (in one city on an attack night, the same people hear many);
//! - and some occurrences are denied by their province's officials.
//!
//! Nothing here knows a region: the provinces and towns are parameters ([`Region`]), and
//! [`caspian`] gives real ones (Iran's Gilan, Mazandaran and Ardabil). The scores read the
//! engine through its public API only (`EventIndex::build`, `events()`, `summary()`), and the
//! grades by their words (`grade.as_str()`), whatever they are.

#![allow(dead_code)] // the test and the printing tool each use their own part

use sightmap_core::domain::model::{
    EventReview, IndexRecord, Kind, Precision, Relation, ReportId, SourceKey, Stance, Status,
    Testimony, Timestamp, WordSet,
};
use sightmap_core::engine::events::{EventIndex, EventSettings};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// Seconds in an hour.
pub const HOUR: i64 = 3_600;
/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Iran's offset from UTC (+03:30), by which hours and days are rounded.
pub const IRAN_UTC_OFFSET_S: i64 = 12_600;
/// 2025-06-13 00:00 in Iran: the first day of the twelve-day war.
pub const WAR_START: i64 = 1_749_760_200;
/// The war's length.
pub const WAR_LENGTH: i64 = 12 * DAY;
/// Kilometres in a degree of latitude (and of longitude at the equator).
const KM_PER_DEGREE: f64 = 111.32;

/// Source names are keys ([`SourceKey::name`]); the simulator's are numbers in disjoint
/// ranges, never 0 (which means "no `via`").
const PERSON: u64 = 1 << 40;
const OUTLET: u64 = 2 << 40;
const RESIDENTS_OF_PROVINCE: u64 = 3 << 40;
const A_RESIDENT_OF_TOWN: u64 = 4 << 40;
const OFFICIALS_OF_PROVINCE: u64 = 5 << 40;

/// splitmix64, as `benches/synthetic.rs`: small, fast, and the same on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + self.unit() * (hi - lo)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Exponentially distributed with this mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -(1.0 - self.unit()).ln() * mean
    }

    /// One of the values, with probability proportional to its weight.
    pub fn pick<T: Copy>(&mut self, weighted: &[(T, f64)]) -> T {
        let total: f64 = weighted.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for &(value, weight) in weighted {
            if x < weight {
                return value;
            }
            x -= weight;
        }
        weighted.last().expect("something to pick").0
    }
}

/// A point, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

impl Point {
    /// The point at this longitude and latitude.
    pub const fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }

    /// The point `east_km` east and `north_km` north of this one (on a local plane: good to
    /// a few metres over tens of km, which is all a simulator needs).
    pub fn offset(self, east_km: f64, north_km: f64) -> Point {
        Point {
            lon: self.lon + east_km / (KM_PER_DEGREE * self.lat.to_radians().cos()),
            lat: self.lat + north_km / KM_PER_DEGREE,
        }
    }

    /// How far east and north `other` lies, km (on the same local plane).
    pub fn towards(self, other: Point) -> (f64, f64) {
        let mid = ((self.lat + other.lat) / 2.0).to_radians().cos();
        (
            (other.lon - self.lon) * KM_PER_DEGREE * mid,
            (other.lat - self.lat) * KM_PER_DEGREE,
        )
    }

    /// The distance to `other`, km.
    pub fn km(self, other: Point) -> f64 {
        let (east, north) = self.towards(other);
        east.hypot(north)
    }

    /// A point uniformly inside the disc of `radius_km` around this one.
    pub fn somewhere_within(self, radius_km: f64, rng: &mut Rng) -> Point {
        let r = radius_km * rng.unit().sqrt();
        let angle = rng.uniform(0.0, std::f64::consts::TAU);
        self.offset(r * angle.cos(), r * angle.sin())
    }
}

/// A province as a report of "somewhere in the province" is placed: a centre-like point and
/// a radius that covers it.
#[derive(Debug, Clone)]
pub struct Province {
    /// Its name.
    pub name: String,
    /// Where a province-level report is placed.
    pub centre: Point,
    /// A radius that covers the province from `centre`, km.
    pub radius_km: f64,
}

/// A town that people name.
#[derive(Debug, Clone)]
pub struct Town {
    /// Its name.
    pub name: String,
    /// Its point.
    pub at: Point,
    /// Inhabitants: how far the town reaches, and how often things happen near it.
    pub population: u64,
    /// Its province, an index into [`Region::provinces`].
    pub province: usize,
}

impl Town {
    /// How far the town reaches from its point, km: the geocoder's rule (1 km plus 10 m per
    /// square root of inhabitants, at most 20 km), so a report naming it is placed as the
    /// service would place it.
    pub fn radius_km(&self) -> f64 {
        (1.0 + 0.01 * (self.population as f64).sqrt()).min(20.0)
    }
}

/// The provinces and towns occurrences happen in and people name.
#[derive(Debug, Clone)]
pub struct Region {
    /// Provinces.
    pub provinces: Vec<Province>,
    /// Towns, each in one of the provinces.
    pub towns: Vec<Town>,
}

impl Region {
    /// The town nearest to a point, and its index.
    pub fn nearest_town(&self, p: Point) -> (usize, &Town) {
        self.towns
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.at.km(p).total_cmp(&b.1.at.km(p)))
            .expect("a region has towns")
    }

    /// The town of this name.
    pub fn town(&self, name: &str) -> Option<&Town> {
        self.towns.iter().find(|t| t.name == name)
    }
}

/// Iran's Caspian provinces, Gilan, Mazandaran and Ardabil, with their towns of 35,000 people
/// or more (GeoNames, as in `data/region/places.tsv`), each province placed at the centre of
/// its box in `data/region/provinces.geojson` with the radius that covers it from there.
pub fn caspian() -> Region {
    let provinces = vec![
        Province {
            name: "Gilan".into(),
            centre: Point::new(49.52, 37.50),
            radius_km: 127.0,
        },
        Province {
            name: "Mazandaran".into(),
            centre: Point::new(52.21, 36.38),
            radius_km: 174.0,
        },
        Province {
            name: "Ardabil".into(),
            centre: Point::new(47.72, 38.43),
            radius_km: 170.0,
        },
    ];
    let towns: &[(&str, f64, f64, u64, usize)] = &[
        ("Rasht", 49.58862, 37.27611, 594_590, 0),
        ("Bandar-e Anzali", 49.45785, 37.47318, 118_564, 0),
        ("Lahijan", 50.00919, 37.20416, 101_073, 0),
        ("Langarud", 50.15263, 37.19548, 68_148, 0),
        ("Rudsar", 50.29174, 37.13696, 47_502, 0),
        ("Sowme'eh Sara", 49.31504, 37.30134, 47_083, 0),
        ("Hashtpar", 48.90521, 37.79658, 45_305, 0),
        ("Astaneh-ye Ashrafiyeh", 49.94325, 37.26318, 44_941, 0),
        ("Astara", 48.86994, 38.43084, 39_065, 0),
        ("Fuman", 49.3125, 37.224, 35_841, 0),
        ("Sari", 53.06009, 36.56332, 255_396, 1),
        ("Amol", 52.35072, 36.46961, 237_528, 1),
        ("Qa'em Shahr", 52.86762, 36.46671, 204_953, 1),
        ("Babol", 52.6786, 36.55102, 202_796, 1),
        ("Chalus", 51.4204, 36.655, 107_490, 1),
        ("Behshahr", 53.55262, 36.69235, 94_702, 1),
        ("Neka", 53.29905, 36.65079, 60_991, 1),
        ("Babolsar", 52.65011, 36.69929, 48_051, 1),
        ("Nowshahr", 51.49621, 36.64852, 40_000, 1),
        ("Tonekabon", 50.87376, 36.81626, 37_501, 1),
        ("Ramsar", 50.64802, 36.91796, 35_997, 1),
        ("Ardabil", 48.2933, 38.2498, 410_753, 2),
        ("Parsabad", 47.9174, 39.6482, 102_996, 2),
        ("Meshgin Shahr", 47.682, 38.399, 74_109, 2),
        ("Khalkhal", 48.52928, 37.61837, 51_024, 2),
    ];
    Region {
        provinces,
        towns: towns
            .iter()
            .map(|&(name, lon, lat, population, province)| Town {
                name: name.into(),
                at: Point::new(lon, lat),
                population,
                province,
            })
            .collect(),
    }
}

/// What truly happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum What {
    /// A strike on a place.
    Strike,
    /// An explosion.
    Explosion,
    /// A drone flying a track.
    Drone,
}

impl What {
    /// Its words in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            What::Strike => "strike",
            What::Explosion => "explosion",
            What::Drone => "drone",
        }
    }
}

/// One true occurrence.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// What it was.
    pub what: What,
    /// Where it began (a strike's or an explosion's point).
    pub from: Point,
    /// Where it ended (the same point but for a drone).
    pub to: Point,
    /// When it began, epoch seconds.
    pub start: i64,
    /// When it ended.
    pub end: i64,
}

/// Where occurrences happen.
#[derive(Debug, Clone, Copy)]
pub enum Area {
    /// Anywhere in the region: near a town drawn by the square root of its population,
    /// within this many km of it.
    Towns {
        /// How far from the town, km.
        within_km: f64,
    },
    /// Within `radius_km` of one point (a drone's track is centred there and reaches out).
    Around {
        /// The centre.
        centre: Point,
        /// The radius, km.
        radius_km: f64,
    },
}

/// How precisely a witness says when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timing {
    /// Within a few minutes.
    Minutes,
    /// The (local) hour; sometimes the wrong one.
    Hour,
    /// The (local) day.
    Day,
    /// "During the war": the scenario's war (a day for an occurrence outside it).
    War,
}

impl Timing {
    /// Its words in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::Minutes => "minutes",
            Timing::Hour => "hour",
            Timing::Day => "day",
            Timing::War => "the war",
        }
    }
}

/// How people report: every share is a probability, every list a set of weights.
#[derive(Debug, Clone)]
pub struct People {
    /// How precisely they say where.
    pub precision: Vec<(Precision, f64)>,
    /// How precisely they say when.
    pub timing: Vec<(Timing, f64)>,
    /// Of those who give the hour, the share who give the one before or after.
    pub wrong_hour: f64,
    /// Of those who say "strike" or "explosion", the share who place what they saw or heard
    /// (the rest place themselves).
    pub place_what_they_saw: f64,
    /// After each report, the chance that the witness files another (at most 4 in all).
    pub repeat: f64,
    /// The share of reports relayed by an outlet.
    pub relayed: f64,
    /// How many outlets relay.
    pub outlets: u64,
    /// Of relayed reports, the share where the outlet names no one ("residents of Gilan", "a
    /// resident of Rasht").
    pub anonymous: f64,
    /// Of relayed reports, the share where the outlet is also a source of its own.
    pub outlet_as_source: f64,
    /// The share of witnesses who have reported something else in the scenario before (and
    /// live within 15 km of where they are now).
    pub known: f64,
    /// The share of occurrences that the province's officials deny.
    pub denied: f64,
}

impl Default for People {
    fn default() -> Self {
        Self {
            precision: vec![
                (Precision::Exact, 0.15),
                (Precision::Place, 0.40),
                (Precision::Near, 0.15),
                (Precision::Region, 0.10),
                (Precision::Province, 0.20),
            ],
            timing: vec![
                (Timing::Minutes, 0.30),
                (Timing::Hour, 0.40),
                (Timing::Day, 0.22),
                (Timing::War, 0.08),
            ],
            wrong_hour: 0.15,
            place_what_they_saw: 0.6,
            repeat: 0.25,
            relayed: 0.3,
            outlets: 8,
            anonymous: 0.5,
            outlet_as_source: 0.5,
            known: 0.05,
            denied: 0.1,
        }
    }
}

/// A density of occurrences and how they are reported.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name in the tables.
    pub name: String,
    /// The seed of everything drawn.
    pub seed: u64,
    /// How many occurrences.
    pub occurrences: usize,
    /// Where they happen.
    pub area: Area,
    /// When the first may begin, epoch seconds.
    pub start: i64,
    /// Over how many seconds they begin.
    pub span_s: i64,
    /// The war that "during the war" means: [from, to], epoch seconds.
    pub war: (i64, i64),
    /// The local offset from UTC by which hours and days are rounded, seconds.
    pub utc_offset_s: i64,
    /// How often each kind of occurrence happens.
    pub mix: Vec<(What, f64)>,
    /// Witnesses of an occurrence, on average (at least one; exponentially distributed).
    pub witnesses_mean: f64,
    /// How far a strike or an explosion is heard, km.
    pub hearing_km: f64,
    /// How far beside its track a drone is seen or heard, km.
    pub beside_track_km: f64,
    /// A drone's track, km: shortest and longest.
    pub track_km: (f64, f64),
    /// A drone's speed, km/h: slowest and fastest.
    pub speed_kmh: (f64, f64),
    /// How people report.
    pub people: People,
}

impl Scenario {
    /// A quiet density: `occurrences` spread over the region's towns and the twelve days of
    /// the war, a few witnesses each.
    pub fn quiet(seed: u64, occurrences: usize) -> Self {
        Self {
            name: "quiet".into(),
            seed,
            occurrences,
            area: Area::Towns { within_km: 20.0 },
            start: WAR_START,
            span_s: WAR_LENGTH,
            war: (WAR_START, WAR_START + WAR_LENGTH),
            utc_offset_s: IRAN_UTC_OFFSET_S,
            mix: vec![
                (What::Strike, 0.3),
                (What::Explosion, 0.3),
                (What::Drone, 0.4),
            ],
            witnesses_mean: 4.0,
            hearing_km: 12.0,
            beside_track_km: 4.0,
            track_km: (20.0, 80.0),
            speed_kmh: (40.0, 120.0),
            people: People::default(),
        }
    }

    /// An attack night: `occurrences` within 10 km of `centre` in two hours (from 01:00 on
    /// the war's fourth night), many witnesses each, many of whom report several.
    pub fn attack_night(seed: u64, occurrences: usize, centre: Point) -> Self {
        Self {
            name: "attack night".into(),
            area: Area::Around {
                centre,
                radius_km: 10.0,
            },
            start: WAR_START + 3 * DAY + HOUR,
            span_s: 2 * HOUR,
            mix: vec![
                (What::Strike, 0.4),
                (What::Explosion, 0.2),
                (What::Drone, 0.4),
            ],
            witnesses_mean: 10.0,
            people: People {
                known: 0.3,
                denied: 0.05,
                ..People::default()
            },
            ..Self::quiet(seed, occurrences)
        }
    }
}

/// The truth of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truth {
    /// The occurrence it describes, an index into [`Simulated::occurrences`].
    pub occurrence: usize,
    /// Who truly made it (a witness, or an official who denies), whatever name it carries.
    pub person: u64,
    /// What they say.
    pub stance: Stance,
    /// How precisely they said when.
    pub timing: Timing,
}

/// A simulated scenario: the occurrences, and the reports in the order the server stored
/// them (ids increasing), each with its truth.
#[derive(Debug, Clone)]
pub struct Simulated {
    /// The scenario's name.
    pub name: String,
    /// What truly happened.
    pub occurrences: Vec<Occurrence>,
    /// The reports as the index keeps them.
    pub records: Vec<IndexRecord>,
    /// Each report's truth, in the order of `records`.
    pub truth: Vec<Truth>,
}

/// A report before it is stored.
struct Draft {
    stored_at: i64,
    point: Point,
    uncertainty_m: f64,
    precision: Precision,
    kind: Kind,
    from: i64,
    to: i64,
    testimony: Vec<SourceKey>,
    truth: Truth,
}

/// What a witness says an occurrence was.
fn kinds_of(what: What) -> &'static [(Kind, f64)] {
    match what {
        What::Strike => &[
            (Kind::Strike, 0.35),
            (Kind::Explosion, 0.35),
            (Kind::Sound, 0.25),
            (Kind::Light, 0.05),
        ],
        What::Explosion => &[
            (Kind::Explosion, 0.55),
            (Kind::Sound, 0.35),
            (Kind::Light, 0.10),
        ],
        What::Drone => &[
            (Kind::Drone, 0.45),
            (Kind::Sound, 0.30),
            (Kind::Light, 0.20),
            (Kind::Missile, 0.05),
        ],
    }
}

/// The record of one report: the one place that names every field of [`IndexRecord`].
fn record(n: usize, draft: &Draft) -> IndexRecord {
    IndexRecord {
        id: ReportId(uuid::Uuid::from_u128(
            0x0190_0000_0000_7000_8000_0000_0000_0000 + n as u128,
        )),
        version: n as i64 + 1,
        lon: draft.point.lon,
        lat: draft.point.lat,
        uncertainty_m: draft.uncertainty_m,
        precision: draft.precision,
        kind: draft.kind,
        status: Status::Unverified,
        source_types: WordSet::default(),
        observed_from: Timestamp(draft.from),
        observed_to: Timestamp(draft.to),
        tags: Vec::new(),
        province: None,
        country: None,
        relation: Relation::default(),
        testimony: Testimony::from_keys(draft.testimony.clone()),
        event_review: EventReview::Auto,
        exact: None,
    }
}

/// The simulator's state while it draws.
struct Drawing<'a> {
    region: &'a Region,
    scenario: &'a Scenario,
    rng: Rng,
    /// Everyone who has reported: where they were first, and who.
    people: Vec<(Point, u64)>,
    drafts: Vec<Draft>,
}

impl Drawing<'_> {
    /// Where an occurrence happens.
    fn site(&mut self) -> Point {
        match self.scenario.area {
            Area::Towns { within_km } => {
                let weights: Vec<(usize, f64)> = self
                    .region
                    .towns
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (i, (t.population as f64).sqrt()))
                    .collect();
                let town = self.rng.pick(&weights);
                self.region.towns[town]
                    .at
                    .somewhere_within(within_km, &mut self.rng)
            }
            Area::Around { centre, radius_km } => centre.somewhere_within(radius_km, &mut self.rng),
        }
    }

    /// One occurrence.
    fn occurrence(&mut self) -> Occurrence {
        let s = self.scenario;
        let what = self.rng.pick(&s.mix);
        let centre = self.site();
        let start = s.start + self.rng.uniform(0.0, s.span_s as f64) as i64;
        match what {
            What::Drone => {
                let length = self.rng.uniform(s.track_km.0, s.track_km.1);
                let speed = self.rng.uniform(s.speed_kmh.0, s.speed_kmh.1);
                let heading = self.rng.uniform(0.0, std::f64::consts::TAU);
                let (east, north) = (length / 2.0 * heading.cos(), length / 2.0 * heading.sin());
                Occurrence {
                    what,
                    from: centre.offset(-east, -north),
                    to: centre.offset(east, north),
                    start,
                    end: start + (length / speed * HOUR as f64) as i64,
                }
            }
            _ => Occurrence {
                what,
                from: centre,
                to: centre,
                start,
                end: start + self.rng.uniform(0.0, 120.0) as i64,
            },
        }
    }

    /// Where and when a witness perceived an occurrence.
    fn perceive(&mut self, o: &Occurrence) -> (Point, i64) {
        let s = self.scenario;
        match o.what {
            What::Drone => {
                let f = self.rng.unit();
                let (east, north) = o.from.towards(o.to);
                let length = east.hypot(north).max(1e-9);
                let beside = self.rng.uniform(-s.beside_track_km, s.beside_track_km);
                let at = o.from.offset(
                    east * f - north / length * beside,
                    north * f + east / length * beside,
                );
                (at, o.start + ((o.end - o.start) as f64 * f) as i64)
            }
            _ => {
                let r = s.hearing_km * self.rng.unit();
                let angle = self.rng.uniform(0.0, std::f64::consts::TAU);
                (
                    o.from.offset(r * angle.cos(), r * angle.sin()),
                    self.rng.uniform(o.start as f64, o.end as f64) as i64,
                )
            }
        }
    }

    /// Who the witness at `at` is: someone who reported before, or someone new.
    fn witness(&mut self, at: Point) -> u64 {
        if self.rng.chance(self.scenario.people.known) {
            let recent = self.people.len().saturating_sub(200);
            let near: Vec<u64> = self.people[recent..]
                .iter()
                .filter(|(home, _)| home.km(at) <= 15.0)
                .map(|&(_, person)| person)
                .collect();
            if !near.is_empty() {
                return near[self.rng.below(near.len())];
            }
        }
        let person = PERSON + self.people.len() as u64 + 1;
        self.people.push((at, person));
        person
    }

    /// Where a report places `p` at a precision: its point, radius (m) and precision.
    fn place(&mut self, p: Point, precision: Precision) -> (Point, f64, Precision) {
        let (_, town) = self.region.nearest_town(p);
        // A town names where it reaches; farther out people name their village.
        let (named, radius_km) = if town.at.km(p) <= town.radius_km() + 2.0 {
            (town.at, town.radius_km())
        } else {
            (
                p.offset(self.rng.uniform(-1.0, 1.0), self.rng.uniform(-1.0, 1.0)),
                1.5,
            )
        };
        let province = &self.region.provinces[town.province];
        match precision {
            Precision::Exact => (
                p.offset(self.rng.uniform(-0.1, 0.1), self.rng.uniform(-0.1, 0.1)),
                self.rng.uniform(30.0, 500.0),
                precision,
            ),
            Precision::Place => (named, radius_km * 1_000.0, precision),
            Precision::Near => (named, (radius_km + 10.0) * 1_000.0, precision),
            Precision::Region => {
                // A part of the province ("eastern Gilan"): its centre-like point moved half
                // the radius towards one of eight directions, or the middle.
                let r = province.radius_km;
                let (east, north) = province.centre.towards(p);
                if east.hypot(north) < r / 4.0 {
                    (province.centre, r / 2.0 * 1_000.0, precision)
                } else {
                    let eighth = std::f64::consts::FRAC_PI_4;
                    let bearing = (north.atan2(east) / eighth).round() * eighth;
                    (
                        province
                            .centre
                            .offset(r / 2.0 * bearing.cos(), r / 2.0 * bearing.sin()),
                        r * 0.6 * 1_000.0,
                        precision,
                    )
                }
            }
            _ => (province.centre, province.radius_km * 1_000.0, precision),
        }
    }

    /// The interval a report gives for a moment `t`, and how long after `t` it is stored.
    fn interval(&mut self, t: i64, timing: Timing) -> ((i64, i64), i64) {
        let s = self.scenario;
        let off = s.utc_offset_s;
        let hours = |rng: &mut Rng, lo: f64, hi: f64| (rng.uniform(lo, hi) * HOUR as f64) as i64;
        let day = |t: i64| (t + off).div_euclid(DAY) * DAY - off;
        match timing {
            Timing::Minutes => (
                (
                    t - self.rng.uniform(0.0, 600.0) as i64,
                    t + self.rng.uniform(0.0, 600.0) as i64,
                ),
                hours(&mut self.rng, 0.05, 3.0),
            ),
            Timing::Hour => {
                let mut hour = (t + off).div_euclid(HOUR) * HOUR - off;
                if self.rng.chance(s.people.wrong_hour) {
                    hour += if self.rng.chance(0.5) { HOUR } else { -HOUR };
                }
                ((hour, hour + HOUR), hours(&mut self.rng, 0.5, 12.0))
            }
            Timing::War if (s.war.0..=s.war.1).contains(&t) => {
                ((s.war.0, s.war.1), hours(&mut self.rng, 24.0, 720.0))
            }
            Timing::Day | Timing::War => ((day(t), day(t) + DAY), hours(&mut self.rng, 6.0, 48.0)),
        }
    }

    /// Who the report names, and through whom: the witness directly, or an outlet relaying
    /// them (by name, or as a resident of their town or province).
    fn testimony(&mut self, person: u64, at: Point) -> (Vec<SourceKey>, i64) {
        let people = &self.scenario.people;
        let key = |name, via, media| SourceKey {
            name,
            via,
            stance: Stance::Asserts,
            media,
        };
        if !self.rng.chance(people.relayed) {
            return (vec![key(person, 0, false)], 0);
        }
        let outlet = OUTLET + 1 + self.rng.next_u64() % people.outlets.max(1);
        let (town_index, town) = self.region.nearest_town(at);
        let name = if !self.rng.chance(people.anonymous) {
            person
        } else if self.rng.chance(0.5) {
            RESIDENTS_OF_PROVINCE + town.province as u64
        } else {
            A_RESIDENT_OF_TOWN + town_index as u64
        };
        let mut keys = vec![key(name, outlet, false)];
        if self.rng.chance(people.outlet_as_source) {
            keys.push(key(outlet, 0, true));
        }
        let delay = (self.rng.uniform(1.0, 12.0) * HOUR as f64) as i64;
        (keys, delay)
    }

    /// The reports of one occurrence.
    fn report(&mut self, index: usize, o: &Occurrence) {
        let s = self.scenario;
        let witnesses = 1 + self.rng.exponential(s.witnesses_mean - 1.0) as usize;
        for _ in 0..witnesses {
            let (at, t) = self.perceive(o);
            let person = self.witness(at);
            let mut filed = 0;
            loop {
                let kind = self.rng.pick(kinds_of(o.what));
                let placed = if matches!(kind, Kind::Strike | Kind::Explosion)
                    && o.what != What::Drone
                    && self.rng.chance(s.people.place_what_they_saw)
                {
                    o.from
                        .offset(self.rng.uniform(-0.5, 0.5), self.rng.uniform(-0.5, 0.5))
                } else {
                    at
                };
                let precision = self.rng.pick(&s.people.precision);
                let (point, uncertainty_m, precision) = self.place(placed, precision);
                let timing = self.rng.pick(&s.people.timing);
                let ((from, to), delay) = self.interval(t, timing);
                let (testimony, relay_delay) = self.testimony(person, at);
                self.drafts.push(Draft {
                    stored_at: t + delay + relay_delay,
                    point,
                    uncertainty_m,
                    precision,
                    kind,
                    from,
                    to,
                    testimony,
                    truth: Truth {
                        occurrence: index,
                        person,
                        stance: Stance::Asserts,
                        timing,
                    },
                });
                filed += 1;
                if filed == 4 || !self.rng.chance(s.people.repeat) {
                    break;
                }
            }
        }
        if self.rng.chance(s.people.denied) {
            self.deny(index, o);
        }
    }

    /// The province's officials deny an occurrence: at its town or its province, on its day
    /// or hour.
    fn deny(&mut self, index: usize, o: &Occurrence) {
        let (_, town) = self.region.nearest_town(o.from);
        let official = OFFICIALS_OF_PROVINCE + town.province as u64;
        let kind = match o.what {
            What::Strike => Kind::Strike,
            What::Explosion => Kind::Explosion,
            What::Drone => Kind::Drone,
        };
        let precision = if self.rng.chance(0.6) {
            Precision::Place
        } else {
            Precision::Province
        };
        let (point, uncertainty_m, precision) = self.place(o.from, precision);
        let timing = if self.rng.chance(0.6) {
            Timing::Day
        } else {
            Timing::Hour
        };
        let ((from, to), _) = self.interval(o.start, timing);
        self.drafts.push(Draft {
            stored_at: o.start + (self.rng.uniform(2.0, 36.0) * HOUR as f64) as i64,
            point,
            uncertainty_m,
            precision,
            kind,
            from,
            to,
            testimony: vec![SourceKey {
                name: official,
                via: 0,
                stance: Stance::Denies,
                media: false,
            }],
            truth: Truth {
                occurrence: index,
                person: official,
                stance: Stance::Denies,
                timing,
            },
        });
    }
}

/// Draws a scenario: its occurrences, then every report, stored in the order they were
/// filed (ids increase with it, as the server's UUIDv7 ids do).
pub fn simulate(region: &Region, scenario: &Scenario) -> Simulated {
    let mut drawing = Drawing {
        region,
        scenario,
        rng: Rng::new(scenario.seed),
        people: Vec::new(),
        drafts: Vec::new(),
    };
    let mut occurrences: Vec<Occurrence> = (0..scenario.occurrences)
        .map(|_| drawing.occurrence())
        .collect();
    occurrences.sort_by_key(|o| o.start);
    for (index, o) in occurrences.iter().enumerate() {
        drawing.report(index, o);
    }
    let mut drafts = drawing.drafts;
    drafts.sort_by_key(|d| d.stored_at);
    Simulated {
        name: scenario.name.clone(),
        occurrences,
        records: drafts
            .iter()
            .enumerate()
            .map(|(n, d)| record(n, d))
            .collect(),
        truth: drafts.iter().map(|d| d.truth).collect(),
    }
}

/// Event settings with these bounds, and the engine's defaults for anything else it may
/// come to have.
#[allow(clippy::needless_update)] // so that a new field of the settings needs no change here
pub fn settings(gap_km: f64, gap_h: f64, max_km: f64, max_h: f64) -> EventSettings {
    EventSettings {
        gap_km,
        gap_h,
        max_km,
        max_h,
        ..EventSettings::default()
    }
}

/// What the events of one grade were, truly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GradeTruth {
    /// Events of the grade.
    pub events: usize,
    /// Their reports.
    pub reports: usize,
    /// Events among whose reports two or more distinct true people assert one occurrence.
    pub two_witnesses: usize,
    /// Events whose reports describe more than one occurrence.
    pub mixed: usize,
    /// Asserting origins the engine counted, summed over the events.
    pub counted_origins: usize,
    /// Distinct true people asserting the event's main occurrence, summed over the events.
    pub true_witnesses: usize,
}

/// B-cubed precision and recall of the reports of one class (what was true, how precisely
/// it was placed, how precisely timed, what was said).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassScore {
    /// Reports of the class.
    pub reports: usize,
    /// The sum of their B-cubed precisions.
    pub precision_sum: f64,
    /// The sum of their B-cubed recalls.
    pub recall_sum: f64,
}

impl ClassScore {
    /// B-cubed precision over the class.
    pub fn precision(&self) -> f64 {
        self.precision_sum / self.reports.max(1) as f64
    }

    /// B-cubed recall over the class.
    pub fn recall(&self) -> f64 {
        self.recall_sum / self.reports.max(1) as f64
    }
}

/// How the events of one grouping compare with the truth.
#[derive(Debug, Clone)]
pub struct Scores {
    /// The settings grouped by.
    pub settings: EventSettings,
    /// Reports.
    pub reports: usize,
    /// True occurrences (each has at least one report).
    pub occurrences: usize,
    /// Events.
    pub events: usize,
    /// B-cubed precision: for each report, the share of its event that describes its
    /// occurrence, averaged over reports.
    pub b3_precision: f64,
    /// B-cubed recall: for each report, the share of its occurrence's reports in its event,
    /// averaged over reports.
    pub b3_recall: f64,
    /// Pairwise precision: of the pairs of reports put in one event, the share that describe
    /// one occurrence.
    pub pair_precision: f64,
    /// Pairwise recall: of the pairs that describe one occurrence, the share put in one event.
    pub pair_recall: f64,
    /// B-cubed by class of report: "what: drone", "where: province", "when: day", …
    pub classes: BTreeMap<String, ClassScore>,
    /// By the grade's words.
    pub grades: BTreeMap<String, GradeTruth>,
    /// Events the engine counts two or more asserting origins for, whatever their grade.
    pub two_origins: usize,
    /// Of those, the events that truly had two or more witnesses of one occurrence.
    pub two_origins_true: usize,
    /// How long `EventIndex::build` took, seconds.
    pub build_s: f64,
}

impl Scores {
    /// Of the events the engine counts two or more asserting origins for, the share that
    /// truly had two or more witnesses of one occurrence (1 if there is none).
    pub fn two_origins_share(&self) -> f64 {
        if self.two_origins == 0 {
            1.0
        } else {
            self.two_origins_true as f64 / self.two_origins as f64
        }
    }

    /// The harmonic mean of B-cubed precision and recall.
    pub fn b3_f1(&self) -> f64 {
        harmonic(self.b3_precision, self.b3_recall)
    }

    /// The harmonic mean of pairwise precision and recall.
    pub fn pair_f1(&self) -> f64 {
        harmonic(self.pair_precision, self.pair_recall)
    }
}

fn harmonic(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn pairs(n: usize) -> f64 {
    (n * n.saturating_sub(1) / 2) as f64
}

/// Scores a partition of the reports (each an index into `sim.records`, each in exactly one
/// cluster) against the true occurrences; no grades.
pub fn score(sim: &Simulated, clusters: &[Vec<usize>], settings: EventSettings) -> Scores {
    let mut occurrence_size: HashMap<usize, usize> = HashMap::new();
    for truth in &sim.truth {
        *occurrence_size.entry(truth.occurrence).or_default() += 1;
    }
    let n = sim.records.len();
    let (mut b3_p, mut b3_r, mut together, mut grouped) = (0.0, 0.0, 0.0, 0.0);
    let mut classes: BTreeMap<String, ClassScore> = BTreeMap::new();
    for cluster in clusters {
        let mut by_occurrence: HashMap<usize, usize> = HashMap::new();
        for &m in cluster {
            *by_occurrence.entry(sim.truth[m].occurrence).or_default() += 1;
        }
        for &m in cluster {
            let truth = sim.truth[m];
            let k = by_occurrence[&truth.occurrence] as f64;
            let (p, r) = (
                k / cluster.len() as f64,
                k / occurrence_size[&truth.occurrence] as f64,
            );
            b3_p += p;
            b3_r += r;
            let record = &sim.records[m];
            for class in [
                format!("what: {}", sim.occurrences[truth.occurrence].what.as_str()),
                format!("where: {}", record.precision.as_str()),
                format!("when: {}", truth.timing.as_str()),
                format!("said: {}", record.kind.as_str()),
            ] {
                let c = classes.entry(class).or_default();
                c.reports += 1;
                c.precision_sum += p;
                c.recall_sum += r;
            }
        }
        together += by_occurrence.values().map(|&k| pairs(k)).sum::<f64>();
        grouped += pairs(cluster.len());
    }
    let truly_together: f64 = occurrence_size.values().map(|&k| pairs(k)).sum();
    let share = |a: f64, b: f64| if b == 0.0 { 1.0 } else { a / b };
    Scores {
        settings,
        reports: n,
        occurrences: occurrence_size.len(),
        events: clusters.len(),
        b3_precision: share(b3_p, n as f64),
        b3_recall: share(b3_r, n as f64),
        pair_precision: share(together, grouped),
        pair_recall: share(together, truly_together),
        classes,
        grades: BTreeMap::new(),
        two_origins: 0,
        two_origins_true: 0,
        build_s: 0.0,
    }
}

/// Groups a simulated scenario's reports with `EventIndex::build` and scores the events
/// against the true occurrences, and each grade's events against their true witnesses. A
/// report in no event (none here: nobody excludes) counts as an event of its own.
pub fn evaluate(sim: &Simulated, settings: EventSettings) -> Scores {
    let started = Instant::now();
    let index = EventIndex::build(settings, &sim.records);
    let build_s = started.elapsed().as_secs_f64();
    let position: HashMap<ReportId, usize> = sim
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();

    let mut clusters: Vec<Vec<usize>> = Vec::new();
    let mut grades: BTreeMap<String, GradeTruth> = BTreeMap::new();
    let mut placed = vec![false; sim.records.len()];
    let (mut two_origins, mut two_origins_true) = (0, 0);
    for event in index.events() {
        let members: Vec<usize> = event.members().map(|id| position[id]).collect();
        for &m in &members {
            placed[m] = true;
        }
        // The distinct true people asserting each occurrence the event's reports describe.
        let mut asserting: HashMap<usize, HashSet<u64>> = HashMap::new();
        for &m in &members {
            let truth = sim.truth[m];
            let people = asserting.entry(truth.occurrence).or_default();
            if truth.stance == Stance::Asserts {
                people.insert(truth.person);
            }
        }
        let witnesses = asserting.values().map(HashSet::len).max().unwrap_or(0);
        let summary = index.summary(event);
        let row = grades
            .entry(summary.grade.as_str().to_string())
            .or_default();
        row.events += 1;
        row.reports += members.len();
        row.two_witnesses += usize::from(witnesses >= 2);
        row.mixed += usize::from(asserting.len() > 1);
        row.counted_origins += summary.origins.asserting;
        row.true_witnesses += witnesses;
        if summary.origins.asserting >= 2 {
            two_origins += 1;
            two_origins_true += usize::from(witnesses >= 2);
        }
        clusters.push(members);
    }
    clusters.extend(
        placed
            .iter()
            .enumerate()
            .filter(|(_, placed)| !**placed)
            .map(|(i, _)| vec![i]),
    );
    Scores {
        grades,
        two_origins,
        two_origins_true,
        build_s,
        ..score(sim, &clusters, settings)
    }
}

/// The reference partitions: every report alone (precision 1), and every report of a day
/// (local) in one event (what a map of the day's reports shows), as (name, scores).
pub fn references(sim: &Simulated, utc_offset_s: i64) -> Vec<(&'static str, Scores)> {
    let settings = EventSettings::default();
    let alone: Vec<Vec<usize>> = (0..sim.records.len()).map(|i| vec![i]).collect();
    let mut by_day: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, r) in sim.records.iter().enumerate() {
        by_day
            .entry((r.observed_from.0 + utc_offset_s).div_euclid(DAY))
            .or_default()
            .push(i);
    }
    let by_day: Vec<Vec<usize>> = by_day.into_values().collect();
    vec![
        ("every report alone", score(sim, &alone, settings)),
        ("one event a day", score(sim, &by_day, settings)),
    ]
}

/// The header of the scores' table (Markdown).
pub fn table_header() -> String {
    "| scenario | gap_km | gap_h | max_km | max_h | reports | occurrences | events | B³ precision | B³ recall | B³ F1 | pair precision | pair recall | build |\n\
     | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        .to_string()
}

/// One row of the scores' table; `mark` follows the scenario's name (such as "(defaults)").
pub fn table_row(name: &str, scores: &Scores, mark: &str) -> String {
    let s = &scores.settings;
    format!(
        "| {name}{mark} | {} | {} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} s |",
        s.gap_km,
        s.gap_h,
        s.max_km,
        s.max_h,
        scores.reports,
        scores.occurrences,
        scores.events,
        scores.b3_precision,
        scores.b3_recall,
        scores.b3_f1(),
        scores.pair_precision,
        scores.pair_recall,
        scores.build_s,
    )
}

/// The grades' table (Markdown): for each grade, how many of its events truly had two or
/// more independent witnesses of one occurrence.
pub fn grade_table(name: &str, scores: &Scores) -> String {
    let mut out = String::from(
        "| scenario | grade | events | reports | truly ≥ 2 witnesses | mixing occurrences | asserting origins counted (mean) | true witnesses (mean) |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (grade, row) in &scores.grades {
        let of = |k: usize| 100.0 * k as f64 / row.events.max(1) as f64;
        let mean = |k: usize| k as f64 / row.events.max(1) as f64;
        out.push_str(&format!(
            "| {name} | {grade} | {} | {} | {:.1} % | {:.1} % | {:.2} | {:.2} |\n",
            row.events,
            row.reports,
            of(row.two_witnesses),
            of(row.mixed),
            mean(row.counted_origins),
            mean(row.true_witnesses),
        ));
    }
    out.push_str(&format!(
        "| {name} | any, with two or more asserting origins counted | {} | | {:.1} % | | | |\n",
        scores.two_origins,
        100.0 * scores.two_origins_share()
    ));
    out
}

/// A row of the scores' table for a reference partition, which no bounds made.
pub fn reference_row(name: &str, label: &str, scores: &Scores) -> String {
    format!(
        "| {name}: {label} | – | – | – | – | {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | |",
        scores.reports,
        scores.occurrences,
        scores.events,
        scores.b3_precision,
        scores.b3_recall,
        scores.b3_f1(),
        scores.pair_precision,
        scores.pair_recall,
    )
}

/// B-cubed precision and recall by class of report (Markdown): what truly happened, how
/// precisely it was placed and timed, and what the report said it was.
pub fn class_table(name: &str, scores: &Scores) -> String {
    let mut out = String::from(
        "| scenario | reports of | reports | B³ precision | B³ recall |\n\
         | --- | --- | ---: | ---: | ---: |\n",
    );
    for (class, c) in &scores.classes {
        out.push_str(&format!(
            "| {name} | {class} | {} | {:.3} | {:.3} |\n",
            c.reports,
            c.precision(),
            c.recall()
        ));
    }
    out
}

/// The scores of one grouping over several runs (seeds) as one: precision, recall and the
/// counts of reports, occurrences and events averaged; the grades and classes pooled.
pub fn pooled(runs: &[Scores]) -> Scores {
    let first = runs.first().expect("at least one run");
    let k = runs.len() as f64;
    let mean = |f: fn(&Scores) -> f64| runs.iter().map(f).sum::<f64>() / k;
    let count =
        |f: fn(&Scores) -> usize| (runs.iter().map(f).sum::<usize>() as f64 / k).round() as usize;
    let mut grades: BTreeMap<String, GradeTruth> = BTreeMap::new();
    let mut classes: BTreeMap<String, ClassScore> = BTreeMap::new();
    for run in runs {
        for (grade, g) in &run.grades {
            let row = grades.entry(grade.clone()).or_default();
            row.events += g.events;
            row.reports += g.reports;
            row.two_witnesses += g.two_witnesses;
            row.mixed += g.mixed;
            row.counted_origins += g.counted_origins;
            row.true_witnesses += g.true_witnesses;
        }
        for (class, c) in &run.classes {
            let row = classes.entry(class.clone()).or_default();
            row.reports += c.reports;
            row.precision_sum += c.precision_sum;
            row.recall_sum += c.recall_sum;
        }
    }
    Scores {
        settings: first.settings,
        reports: count(|s| s.reports),
        occurrences: count(|s| s.occurrences),
        events: count(|s| s.events),
        b3_precision: mean(|s| s.b3_precision),
        b3_recall: mean(|s| s.b3_recall),
        pair_precision: mean(|s| s.pair_precision),
        pair_recall: mean(|s| s.pair_recall),
        classes,
        grades,
        two_origins: runs.iter().map(|s| s.two_origins).sum(),
        two_origins_true: runs.iter().map(|s| s.two_origins_true).sum(),
        build_s: mean(|s| s.build_s),
    }
}
