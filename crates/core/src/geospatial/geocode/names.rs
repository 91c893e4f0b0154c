//! The name index: every name and alternate name of every place and area, found by its folded
//! form, its loose form, or within a small edit distance of its loose form.

use super::bktree::BkTree;
use super::normalize::{edit_distance, fold, is_latin_or_arabic, loose};
use crate::geospatial::region::Region;
use std::collections::HashMap;
use std::hash::BuildHasher;

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// A place, by position in [`Region::places`].
    Place(u32),
    /// A province, by position in [`Region::provinces`].
    Province(u32),
    /// A country, by position in [`Region::countries`].
    Country(u32),
}

/// How a name was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchKind {
    /// Its folded form.
    Exact,
    /// Its loose form (a transliteration variant).
    Loose,
    /// Within this many edits of its loose form.
    Typo(u8),
}

impl MatchKind {
    /// How much the match itself is worth, 0–1.
    pub fn quality(self) -> f64 {
        match self {
            Self::Exact => 1.0,
            Self::Loose => 0.9,
            Self::Typo(1) => 0.75,
            Self::Typo(_) => 0.6,
        }
    }
}

/// The farthest "did you mean" looks: names within this many edits of an unknown word.
pub const SUGGEST_EDITS: usize = 3;

/// How far "did you mean" looks for a word of this many letters: one edit beyond what a
/// typo may have (a 4-letter word within 3 edits matches nearly any short name).
pub fn suggest_edits(letters: usize) -> usize {
    (allowed_edits(letters) + 1).min(SUGGEST_EDITS)
}

/// Edits allowed for a name of this many letters: 1 from 5 letters, 2 from 9.
pub fn allowed_edits(letters: usize) -> usize {
    match letters {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Names, by folded and by loose form.
#[derive(Debug, Default)]
pub struct NameIndex {
    exact: HashMap<String, Vec<Target>>,
    loose: HashMap<String, u32>,
    loose_keys: Vec<String>,
    loose_targets: Vec<Vec<Target>>,
    /// Hash of each deletion variant of each loose key → range in `typo_keys`.
    typo_variants: HashMap<u64, (u32, u32)>,
    typo_keys: Vec<u32>,
    /// The loose keys as characters, and a BK-tree over them for "did you mean".
    key_chars: Vec<Vec<char>>,
    suggest_tree: BkTree,
    hasher: std::hash::RandomState,
    /// The most words in any name.
    pub max_words: usize,
    /// The most letters in any loose key: a longer text is too far from every name to be
    /// worth an edit distance (each edit changes the length by at most one).
    max_letters: usize,
}

impl NameIndex {
    /// Indexes every Latin- or Arabic-script name in the region, and `extra` names given to
    /// targets beside their own (an area's names in other scripts for its seat).
    pub fn new<'a>(region: &Region, extra: impl IntoIterator<Item = (Target, &'a str)>) -> Self {
        let mut index = Self::default();
        for (i, p) in region.places.iter().enumerate() {
            let target = Target::Place(i as u32);
            index.add(&p.name, target);
            for name in &p.alternate_names {
                index.add(name, target);
            }
        }
        for (i, a) in region.provinces.iter().enumerate() {
            let target = Target::Province(i as u32);
            index.add(&a.name, target);
            for name in &a.names {
                index.add(name, target);
            }
        }
        for (i, a) in region.countries.iter().enumerate() {
            let target = Target::Country(i as u32);
            index.add(&a.name, target);
            for name in &a.names {
                index.add(name, target);
            }
        }
        for (target, name) in extra {
            index.add(name, target);
        }
        index.build_typo_variants();
        index.key_chars = index
            .loose_keys
            .iter()
            .map(|k| k.chars().collect())
            .collect();
        index.suggest_tree = BkTree::new(&index.key_chars);
        index
    }

    fn add(&mut self, name: &str, target: Target) {
        if !is_latin_or_arabic(name) {
            return;
        }
        let folded = fold(name);
        if folded.chars().count() < 2 {
            return;
        }
        self.max_words = self.max_words.max(folded.split(' ').count());
        let loose_key = loose(&folded);
        push_unique(self.exact.entry(folded).or_default(), target);
        let next = self.loose_keys.len() as u32;
        let id = *self.loose.entry(loose_key.clone()).or_insert(next);
        if id == next {
            self.max_letters = self.max_letters.max(loose_key.chars().count());
            self.loose_keys.push(loose_key);
            self.loose_targets.push(Vec::new());
        }
        push_unique(&mut self.loose_targets[id as usize], target);
    }

    fn hash(&self, text: &str) -> u64 {
        self.hasher.hash_one(text)
    }

    fn build_typo_variants(&mut self) {
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        for (id, key) in self.loose_keys.iter().enumerate() {
            let letters = key.chars().count();
            for variant in deletions(key, allowed_edits(letters)) {
                pairs.push((self.hash(&variant), id as u32));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut start = 0;
        while start < pairs.len() {
            let h = pairs[start].0;
            let end = start + pairs[start..].iter().take_while(|p| p.0 == h).count();
            self.typo_variants
                .insert(h, (self.typo_keys.len() as u32, (end - start) as u32));
            self.typo_keys.extend(pairs[start..end].iter().map(|p| p.1));
            start = end;
        }
    }

    /// What a folded text names, exactly or by its loose form.
    pub fn lookup(&self, folded: &str) -> Option<(MatchKind, &[Target])> {
        if let Some(targets) = self.exact.get(folded) {
            return Some((MatchKind::Exact, targets));
        }
        let id = *self.loose.get(&loose(folded))?;
        Some((MatchKind::Loose, &self.loose_targets[id as usize]))
    }

    /// The names nearest to a folded text within the edit distance each name allows, and
    /// that distance.
    pub fn lookup_typo(&self, folded: &str) -> Option<(MatchKind, Vec<Target>)> {
        let key = loose(folded);
        let letters = key.chars().count();
        // A name of n letters allows allowed_edits(n) edits; the query may be that many
        // letters shorter than the longest name it can reach.
        let reach = allowed_edits(letters + 2);
        // Nor can it be more than 2 letters longer than the longest name; past that, the
        // deletion variants (quadratic in its length) are not even made.
        if reach == 0 || letters > self.max_letters + 2 {
            return None;
        }
        let mut found: Vec<(usize, u32)> = Vec::new();
        for variant in deletions(&key, reach) {
            let Some(&(start, len)) = self.typo_variants.get(&self.hash(&variant)) else {
                continue;
            };
            for &id in &self.typo_keys[start as usize..(start + len) as usize] {
                if found.iter().any(|f| f.1 == id) {
                    continue;
                }
                let name = &self.loose_keys[id as usize];
                let allowed = allowed_edits(name.chars().count());
                if let Some(d) = edit_distance(&key, name, allowed).filter(|&d| d > 0) {
                    found.push((d, id));
                }
            }
        }
        let nearest = found.iter().map(|f| f.0).min()?;
        let mut targets = Vec::new();
        for (_, id) in found.iter().filter(|f| f.0 == nearest) {
            for &t in &self.loose_targets[*id as usize] {
                push_unique(&mut targets, t);
            }
        }
        Some((MatchKind::Typo(nearest as u8), targets))
    }

    /// Names within [`suggest_edits`] of a folded text, for "did you mean", nearest first (by
    /// the typo distance, then by the index's order), from the BK-tree.
    pub fn suggestions(&self, folded: &str, limit: usize) -> Vec<(usize, &[Target])> {
        let loose_key = loose(folded);
        let key: Vec<char> = loose_key.chars().collect();
        if key.len() > self.max_letters + SUGGEST_EDITS {
            return Vec::new();
        }
        let radius = suggest_edits(key.len());
        let mut found = self.suggest_tree.within(&self.key_chars, &key, radius);
        for f in found.iter_mut() {
            // Rank by the typo distance, which counts a transposition as one edit.
            let name = &self.loose_keys[f.1 as usize];
            f.0 = edit_distance(&loose_key, name, radius).unwrap_or(f.0);
        }
        found.sort_unstable();
        found
            .into_iter()
            .take(limit)
            .map(|(d, id)| (d, self.loose_targets[id as usize].as_slice()))
            .collect()
    }
}

fn push_unique(v: &mut Vec<Target>, t: Target) {
    if !v.contains(&t) {
        v.push(t);
    }
}

/// The text with up to `n` characters deleted, in every way, itself included.
fn deletions(text: &str, n: usize) -> Vec<String> {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    seen.insert(text.to_string());
    let mut frontier = vec![text.to_string()];
    for _ in 0..n {
        let mut next = Vec::new();
        for word in &frontier {
            for (at, c) in word.char_indices() {
                let mut v = String::with_capacity(word.len());
                v.push_str(&word[..at]);
                v.push_str(&word[at + c.len_utf8()..]);
                if seen.insert(v.clone()) {
                    next.push(v);
                }
            }
        }
        frontier = next;
    }
    seen.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::{MatchKind, NameIndex};
    use crate::geospatial::geocode::normalize::fold;
    use crate::geospatial::region::{Region, RegionFiles};

    fn index() -> NameIndex {
        NameIndex::new(
            &Region::load(RegionFiles::embedded()).expect("the embedded pack"),
            [],
        )
    }

    /// The `geocode_query` fuzz target ran out of memory on this input: one long word made
    /// `lookup_typo` build every 1- and 2-letter deletion of it, O(n²) strings of O(n) bytes
    /// (over 2 GB for 1,500 letters), and `suggestions` copied it once per name.
    #[test]
    fn a_word_longer_than_every_name_is_not_a_typo_of_one() {
        let index = index();
        let word: String = (0..1500u32)
            .map(|i| char::from(b"bcdfghjklmnpqrstvz"[(i * 7 + i / 5) as usize % 18]))
            .collect();
        assert!(index.lookup_typo(&fold(&word)).is_none());
        assert!(index.suggestions(&fold(&word), 5).is_empty());
        // Names up to the longest still match with their typos.
        let longest = index
            .loose_keys
            .iter()
            .max_by_key(|k| k.chars().count())
            .unwrap();
        assert_eq!(longest.chars().count(), index.max_letters);
        let typo = format!("{longest}zz");
        assert!(matches!(
            index.lookup_typo(&typo),
            Some((MatchKind::Typo(2), _))
        ));
        assert!(!index.suggestions(&format!("{longest}zzz"), 5).is_empty());
    }
}
