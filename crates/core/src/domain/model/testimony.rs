//! Who stands behind a claim: a report's sources reduced to their *origins*, so that ten
//! outlets repeating one resident count as one voice, not ten.
//!
//! The rule (the README's "Origins and independence" says it for users):
//! - A source's name is folded ([`crate::domain::text::fold`]: case, diacritics, punctuation,
//!   Persian and Arabic letter forms), so "Tehran Times", "TEHRAN TIMES." and "tehran-times"
//!   are one name, and sources of one folded name are one origin wherever they appear.
//! - A source with a `via` ("Residents of Gilan province" via "Tehran Times") is its own
//!   origin; the `via` is an *outlet*, not an origin.
//! - An outlet that also appears as a source with the stance of someone it relays is merely
//!   relaying them: it adds no origin of its own for that stance. Tehran Times asserting what
//!   it relays from residents is the residents' account, once. An outlet asserting with no
//!   asserting source relayed through it is an origin like any other.
//! - Origins are counted per stance (asserting, denying, investigating); one origin may be
//!   counted under two stances if it said both.
//! - The *outlets* are the distinct `via`s and the media sources named without one.
//!
//! Names are kept as 64-bit FNV-1a hashes of their folded form ([`name_key`]): the same on
//! every instance and in every snapshot, and small enough to hold for a million reports.

use super::{Source, SourceType, Stance};
use crate::domain::text::fold;
use std::collections::HashSet;

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

/// A report's sources as keys, in the report's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Testimony(pub Box<[SourceKey]>);

impl Testimony {
    /// The testimony of a report's sources.
    pub fn of(sources: &[Source]) -> Self {
        Self(sources.iter().map(SourceKey::of).collect())
    }

    /// The sources' keys.
    pub fn keys(&self) -> &[SourceKey] {
        &self.0
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

/// Counts the independent origins of a set of sources (of one report or of many counted
/// together) by stance, and their outlets, by the rule of this module.
pub fn count_origins<'a>(keys: impl IntoIterator<Item = &'a SourceKey> + Clone) -> OriginCount {
    let relays: HashSet<(u64, Stance)> = keys
        .clone()
        .into_iter()
        .filter(|k| k.via != 0)
        .map(|k| (k.via, k.stance))
        .collect();
    let mut by_stance: [Vec<u64>; 3] = Default::default();
    let mut outlets: Vec<u64> = Vec::new();
    for key in keys {
        if key.via != 0 {
            outlets.push(key.via);
        } else if key.media {
            outlets.push(key.name);
        }
        if key.via == 0 && relays.contains(&(key.name, key.stance)) {
            continue;
        }
        by_stance[key.stance as usize].push(key.name);
    }
    let distinct = |mut v: Vec<u64>| {
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let [asserting, denying, investigating] = by_stance;
    OriginCount {
        asserting: distinct(asserting),
        denying: distinct(denying),
        investigating: distinct(investigating),
        outlets: distinct(outlets),
    }
}

/// Whether a source only relays, with its stance, what another source of the set says
/// through it (and so is no origin of its own).
pub fn merely_relays(key: &SourceKey, all: &[SourceKey]) -> bool {
    key.via == 0
        && all
            .iter()
            .any(|k| k.via == key.name && k.stance == key.stance)
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
        let keys = [civilian("A resident", None), civilian("a resident!", None)];
        assert_eq!(count_origins(&keys).asserting, 1);
        let keys = [civilian("A resident", None), civilian("Another", None)];
        assert_eq!(count_origins(&keys).asserting, 2);
    }

    #[test]
    fn an_outlet_relaying_a_source_is_that_source_s_origin() {
        // One report: residents via Tehran Times; another: Tehran Times itself.
        let keys = [
            civilian("Residents of Gilan province", Some("Tehran Times")),
            source("Tehran Times", None, Stance::Asserts, SourceType::Media),
        ];
        let count = count_origins(&keys);
        assert_eq!(count.asserting, 1);
        assert_eq!(count.outlets, 1);
    }

    #[test]
    fn two_people_relayed_by_one_outlet_stay_two_origins() {
        let keys = [
            civilian("A resident of eastern Gilan", Some("Tehran Times")),
            civilian("Residents of Mazandaran", Some("Tehran Times")),
            civilian("D", Some("E")),
        ];
        let count = count_origins(&keys);
        assert_eq!(count.asserting, 3);
        assert_eq!(count.outlets, 2);
    }

    #[test]
    fn an_outlet_asserting_on_its_own_is_an_origin() {
        // Tehran Times relays an official who investigates, and itself asserts: nothing it
        // relays asserts, so its assertion is its own.
        let keys = [
            source(
                "Spokesman",
                Some("Tehran Times"),
                Stance::Investigating,
                SourceType::Official,
            ),
            source("Tehran Times", None, Stance::Asserts, SourceType::Media),
        ];
        let count = count_origins(&keys);
        assert_eq!((count.asserting, count.investigating), (1, 1));
        assert!(!merely_relays(&keys[1], &keys));
    }

    #[test]
    fn stances_count_per_origin() {
        let keys = [
            civilian("A resident", None),
            source("Army", None, Stance::Denies, SourceType::Official),
            source("army", None, Stance::Denies, SourceType::Official),
            source("Monitor", None, Stance::Investigating, SourceType::Other),
        ];
        let count = count_origins(&keys);
        assert_eq!(
            (count.asserting, count.denying, count.investigating),
            (1, 1, 1)
        );
    }
}
