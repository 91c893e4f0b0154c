//! Who stands behind a claim: a report's sources reduced to their *origins*, so that ten
//! outlets repeating one resident count as one voice, not ten.
//!
//! The rule (the README's "Origins and independence" says it for users):
//! - A source's name is folded ([`crate::domain::text::fold`]: case, diacritics, punctuation,
//!   Persian and Arabic letter forms), so "Tehran Times", "TEHRAN TIMES." and "tehran-times"
//!   are one name, and sources of one folded name are one origin wherever they appear.
//! - A source with a `via` ("Residents of Gilan province" via "Tehran Times") is its own
//!   origin; the `via` is an *outlet*, not an origin.
//! - Relaying is decided *within each report*: in a report where an outlet appears as a
//!   source with the stance of someone that report relays through it, the outlet is merely
//!   relaying there and adds no origin for that stance. Tehran Times asserting what it relays
//!   from residents is the residents' account, once. In a report where nobody is relayed
//!   through it with that stance, the outlet's own statement makes it an origin like any
//!   other, whatever it relays in other reports.
//! - Origins are then counted distinct over the reports counted together (an event), per
//!   stance (asserting, denying, investigating); one origin may be counted under two stances
//!   if it said both.
//! - The *outlets* are the distinct `via`s and the media sources named without one.
//!
//! Names are kept as 64-bit FNV-1a hashes of their folded form ([`name_key`]): the same on
//! every instance and in every snapshot, and small enough to hold for a million reports. Only
//! the outlets' names are also kept as written (few reports name one), so that a sentence can
//! name the outlet every account came through.

use super::{Source, SourceType, Stance};
use crate::domain::text::fold;

/// The key of a folded name: its FNV-1a hash (never 0, which marks "no `via`").
pub fn name_key(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in fold(name).bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash.max(1)
}

/// One source as it counts for independence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SourceKey {
    /// [`name_key`] of the source's name.
    pub name: u64,
    /// [`name_key`] of the outlet that relayed it, 0 for none.
    pub via: u64,
    /// What the source says.
    pub stance: Stance,
    /// Whether the source is itself a media outlet.
    pub media: bool,
}

impl SourceKey {
    /// The key of one source.
    pub fn of(source: &Source) -> Self {
        Self {
            name: name_key(&source.name),
            via: source.via.as_deref().map_or(0, name_key),
            stance: source.stance,
            media: source.source_type == SourceType::Media,
        }
    }
}

/// A report's sources as keys, in the report's order, and the names of the outlets its
/// sources came through, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Testimony {
    keys: Box<[SourceKey]>,
    /// One name per distinct `via`, the first spelling met; `None` when no source has a
    /// `via` (most reports), so that those pay one word for it.
    outlets: Option<Box<OutletNames>>,
}

/// The names of a report's outlets, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct OutletNames(Vec<Box<str>>);

impl Testimony {
    /// The testimony of a report's sources.
    pub fn of(sources: &[Source]) -> Self {
        Self::new(
            sources.iter().map(SourceKey::of).collect(),
            sources.iter().filter_map(|s| s.via.as_deref()),
        )
    }

    /// A testimony of these keys and the outlets' names as written (one per distinct `via`
    /// is kept, the first of each folded name).
    pub fn new<'a>(keys: Vec<SourceKey>, outlet_names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<Box<str>> = Vec::new();
        let mut seen: Vec<u64> = Vec::new();
        for name in outlet_names {
            let key = name_key(name);
            if !seen.contains(&key) {
                seen.push(key);
                names.push(name.into());
            }
        }
        Self {
            keys: keys.into_boxed_slice(),
            outlets: (!names.is_empty()).then(|| Box::new(OutletNames(names))),
        }
    }

    /// A testimony of keys alone, its outlets unnamed (tests and benches).
    pub fn from_keys(keys: Vec<SourceKey>) -> Self {
        Self::new(keys, [])
    }

    /// The sources' keys.
    pub fn keys(&self) -> &[SourceKey] {
        &self.keys
    }

    /// The outlets' names as written, one per distinct `via`.
    pub fn outlet_names(&self) -> impl Iterator<Item = &str> {
        self.outlets.iter().flat_map(|o| o.0.iter().map(|n| &**n))
    }

    /// The name, as written here, of the outlet whose [`name_key`] is `key`.
    pub fn outlet_name(&self, key: u64) -> Option<&str> {
        self.outlet_names().find(|n| name_key(n) == key)
    }
}

/// How many independent origins stand behind a set of reports, by stance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OriginCount {
    /// Origins of which some source asserts the claim.
    pub asserting: usize,
    /// Origins of which some source denies it.
    pub denying: usize,
    /// Origins of which some source is investigating it.
    pub investigating: usize,
    /// Distinct outlets: the `via`s and the media sources named directly.
    pub outlets: usize,
}

/// Whether a source of a report only relays, with its stance, what another source of the
/// same report says through it (and so adds no origin in that report). `report` holds that
/// report's sources; other reports do not matter.
pub fn merely_relays<'a>(key: &SourceKey, report: impl IntoIterator<Item = &'a SourceKey>) -> bool {
    key.via == 0
        && report
            .into_iter()
            .any(|k| k.via == key.name && k.stance == key.stance)
}

/// The origins of a set of reports, gathered report by report ([`Origins::add_report`])
/// and counted distinct over all of them ([`Origins::count`]).
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Each origin's source as it counted: name, stance and the `via` it came through, in
    /// no order, repeats kept until counted.
    origins: Vec<SourceKey>,
    /// The outlets met: the `via`s and the media sources named directly.
    outlets: Vec<u64>,
}

impl Origins {
    /// No reports yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one report's sources (those that count: the caller leaves out what does not,
    /// such as a retracted report's assertions). An outlet relaying with its stance someone
    /// of *this* report is no origin here ([`merely_relays`]).
    pub fn add_report<'a>(&mut self, report: impl IntoIterator<Item = &'a SourceKey> + Clone) {
        for key in report.clone() {
            if key.via != 0 {
                self.outlets.push(key.via);
            } else if key.media {
                self.outlets.push(key.name);
            }
            if !merely_relays(key, report.clone()) {
                self.origins.push(*key);
            }
        }
    }

    /// The distinct origins by stance, and the distinct outlets.
    pub fn count(&self) -> OriginCount {
        let distinct = |stance: Stance| {
            let mut names: Vec<u64> = self
                .origins
                .iter()
                .filter(|k| k.stance == stance)
                .map(|k| k.name)
                .collect();
            names.sort_unstable();
            names.dedup();
            names.len()
        };
        let mut outlets = self.outlets.clone();
        outlets.sort_unstable();
        outlets.dedup();
        OriginCount {
            asserting: distinct(Stance::Asserts),
            denying: distinct(Stance::Denies),
            investigating: distinct(Stance::Investigating),
            outlets: outlets.len(),
        }
    }

    /// The one outlet ([`name_key`]) that every asserting origin came through, in every
    /// report where it asserts; `None` if nobody asserts, or some asserting origin spoke
    /// directly or through another outlet.
    pub fn sole_asserting_outlet(&self) -> Option<u64> {
        let mut vias = self
            .origins
            .iter()
            .filter(|k| k.stance == Stance::Asserts)
            .map(|k| k.via);
        let first = vias.next()?;
        (first != 0 && vias.all(|v| v == first)).then_some(first)
    }
}

/// Counts the independent origins of a set of reports (each item one report's sources) by
/// stance, and their outlets, by the rule of this module.
pub fn count_origins<'a>(reports: impl IntoIterator<Item = &'a [SourceKey]>) -> OriginCount {
    let mut origins = Origins::new();
    for report in reports {
        origins.add_report(report);
    }
    origins.count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, via: Option<&str>, stance: Stance, kind: SourceType) -> SourceKey {
        SourceKey::of(&Source {
            name: name.into(),
            url: None,
            source_type: kind,
            stance,
            statement: None,
            via: via.map(Into::into),
        })
    }

    fn civilian(name: &str, via: Option<&str>) -> SourceKey {
        source(name, via, Stance::Asserts, SourceType::Civilian)
    }

    fn outlet(name: &str, stance: Stance) -> SourceKey {
        source(name, None, stance, SourceType::Media)
    }

    /// The origins of reports, each a slice of sources.
    fn count(reports: &[&[SourceKey]]) -> OriginCount {
        count_origins(reports.iter().copied())
    }

    #[test]
    fn names_fold_case_diacritics_punctuation_and_persian_forms() {
        assert_eq!(name_key("Tehran Times"), name_key("TEHRAN  TIMES."));
        assert_eq!(name_key("Tehran-Times"), name_key("tehran times"));
        assert_eq!(name_key("Gīlān residents"), name_key("Gilan Residents"));
        // Arabic yeh and kaf against the Persian letters, and the zero-width non-joiner.
        assert_eq!(name_key("خبرگزاري فارس"), name_key("خبرگزاری فارس"));
        assert_eq!(name_key("كيهان"), name_key("کیهان"));
        assert_eq!(name_key("همشهری\u{200c}آنلاین"), name_key("همشهری آنلاین"));
        assert_ne!(name_key("Tehran Times"), name_key("Tehran Post"));
    }

    #[test]
    fn the_same_name_twice_is_one_origin() {
        let one = [civilian("A resident", None)];
        let again = [civilian("a resident!", None)];
        assert_eq!(count(&[&one, &again]).asserting, 1);
        let other = [civilian("Another", None)];
        assert_eq!(count(&[&one, &other]).asserting, 2);
    }

    #[test]
    fn an_outlet_relaying_a_source_in_its_report_is_that_source_s_origin() {
        // Residents via Tehran Times, and Tehran Times asserting in the same report.
        let report = [
            civilian("Residents of Gilan province", Some("Tehran Times")),
            outlet("Tehran Times", Stance::Asserts),
        ];
        let counted = count(&[&report]);
        assert_eq!(counted.asserting, 1);
        assert_eq!(counted.outlets, 1);
        assert!(merely_relays(&report[1], &report));
    }

    /// Issue 16, item 3: relays were pooled over the event, so an outlet's own report was
    /// dropped because it relayed someone in another report.
    #[test]
    fn an_outlet_asserting_in_its_own_report_is_an_origin_wherever_else_it_relays() {
        let first = [outlet("Outlet One", Stance::Asserts)];
        let second = [outlet("Outlet Two", Stance::Asserts)];
        let shepherd_one = [
            civilian("A shepherd", Some("Outlet One")),
            outlet("Outlet One", Stance::Asserts),
        ];
        let shepherd_two = [
            civilian("A shepherd", Some("Outlet Two")),
            outlet("Outlet Two", Stance::Asserts),
        ];
        let counted = count(&[&first, &second, &shepherd_one, &shepherd_two]);
        // The two outlets on their own, and the shepherd: three origins, two outlets.
        assert_eq!((counted.asserting, counted.outlets), (3, 2));
        assert!(!merely_relays(&first[0], &first));
        assert!(merely_relays(&shepherd_one[1], &shepherd_one));
        // Without their own reports, the outlets only relay the shepherd.
        assert_eq!(count(&[&shepherd_one, &shepherd_two]).asserting, 1);
    }

    #[test]
    fn two_people_relayed_by_one_outlet_stay_two_origins() {
        let a = [civilian(
            "A resident of eastern Gilan",
            Some("Tehran Times"),
        )];
        let b = [civilian("Residents of Mazandaran", Some("Tehran Times"))];
        let c = [civilian("D", Some("E"))];
        let counted = count(&[&a, &b, &c]);
        assert_eq!(counted.asserting, 3);
        assert_eq!(counted.outlets, 2);
    }

    #[test]
    fn an_outlet_asserting_while_relaying_another_stance_is_an_origin() {
        // Tehran Times relays an official who investigates, and itself asserts: nothing it
        // relays in this report asserts, so its assertion is its own.
        let report = [
            source(
                "Spokesman",
                Some("Tehran Times"),
                Stance::Investigating,
                SourceType::Official,
            ),
            outlet("Tehran Times", Stance::Asserts),
        ];
        let counted = count(&[&report]);
        assert_eq!((counted.asserting, counted.investigating), (1, 1));
        assert!(!merely_relays(&report[1], &report));
    }

    #[test]
    fn stances_count_per_origin() {
        let a = [civilian("A resident", None)];
        let b = [
            source("Army", None, Stance::Denies, SourceType::Official),
            source("army", None, Stance::Denies, SourceType::Official),
        ];
        let c = [source(
            "Monitor",
            None,
            Stance::Investigating,
            SourceType::Other,
        )];
        let counted = count(&[&a, &b, &c]);
        assert_eq!(
            (counted.asserting, counted.denying, counted.investigating),
            (1, 1, 1)
        );
    }

    #[test]
    fn the_sole_asserting_outlet_is_found_only_when_every_assertion_came_through_it() {
        let gilan = [
            civilian("Residents of Gilan province", Some("Tehran Times")),
            outlet("Tehran Times", Stance::Asserts),
        ];
        let her = [civilian(
            "A resident of eastern Gilan",
            Some("tehran times."),
        )];
        let mut origins = Origins::new();
        origins.add_report(&gilan);
        origins.add_report(&her);
        assert_eq!(origins.count().asserting, 2);
        assert_eq!(
            origins.sole_asserting_outlet(),
            Some(name_key("Tehran Times"))
        );
        // A denial through another outlet does not matter; an assertion made directly does.
        origins.add_report(&[source(
            "Army",
            Some("Argumentum"),
            Stance::Denies,
            SourceType::Official,
        )]);
        assert_eq!(
            origins.sole_asserting_outlet(),
            Some(name_key("Tehran Times"))
        );
        origins.add_report(&[civilian("A farmer", None)]);
        assert_eq!(origins.sole_asserting_outlet(), None);
        assert_eq!(Origins::new().sole_asserting_outlet(), None);
    }

    #[test]
    fn a_testimony_keeps_one_name_per_outlet_as_first_written() {
        let sources: Vec<Source> = [
            ("A", Some("Tehran Times")),
            ("B", Some("TEHRAN TIMES.")),
            ("C", None),
            ("D", Some("Argumentum")),
        ]
        .into_iter()
        .map(|(name, via)| Source::new(name, SourceType::Civilian, Stance::Asserts).via(via))
        .collect();
        let testimony = Testimony::of(&sources);
        assert_eq!(testimony.keys().len(), 4);
        assert_eq!(
            testimony.outlet_names().collect::<Vec<_>>(),
            ["Tehran Times", "Argumentum"]
        );
        assert_eq!(
            testimony.outlet_name(name_key("tehran-times")),
            Some("Tehran Times")
        );
        assert_eq!(Testimony::of(&sources[2..3]).outlet_names().count(), 0);
    }
}
