//! Interned tags and names: each entry keeps numbers, not strings.

use super::IndexRecord;
use std::collections::HashMap;

/// A record's tag list and names as interned numbers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Interned {
    pub(super) tags: u32,
    pub(super) province: u32,
    pub(super) country: u32,
    pub(super) border_country: u32,
}

impl Interned {
    pub(super) fn of(record: &IndexRecord, tags: &mut TagInterner, names: &mut Names) -> Self {
        Self {
            tags: tags.intern(&record.tags),
            province: names.intern(NameKind::Province, record.province.as_deref()),
            country: names.intern(NameKind::Country, record.country.as_deref()),
            border_country: names
                .intern(NameKind::Country, record.relation.border_country.as_deref()),
        }
    }
}

/// Province and country names, interned: an entry keeps a number for each. Id 0 is "none".
#[derive(Debug)]
pub(super) struct Names {
    /// Folded keys (see [`Names::province_key`], [`Names::country_key`]) to ids.
    pub(super) ids: HashMap<String, u32>,
    /// Each spelling already seen, by kind, to its id: building the index looks names up here
    /// without allocating a folded key per report.
    pub(super) seen: [HashMap<String, u32>; 2],
    /// Each id's name as first seen (without the key's prefix and case folding).
    pub(super) names: Vec<String>,
}

/// Which kind of name: provinces fold case to lower, country codes to upper.
#[derive(Debug, Clone, Copy)]
pub(super) enum NameKind {
    Province = 0,
    Country = 1,
}

impl Default for Names {
    fn default() -> Self {
        Self {
            ids: HashMap::from([(String::new(), 0)]),
            seen: Default::default(),
            names: vec![String::new()],
        }
    }
}

impl Names {
    /// Provinces match whatever their case.
    pub(super) fn province_key(name: Option<&str>) -> String {
        name.map(|n| format!("p:{}", n.trim().to_lowercase()))
            .unwrap_or_default()
    }

    /// Country codes are ISO alpha-2, upper case.
    pub(super) fn country_key(code: Option<&str>) -> String {
        code.map(|c| format!("c:{}", c.trim().to_uppercase()))
            .unwrap_or_default()
    }

    /// The id of a name (0 for none), interning it if new.
    pub(super) fn intern(&mut self, kind: NameKind, name: Option<&str>) -> u32 {
        let Some(name) = name else { return 0 };
        if let Some(&id) = self.seen[kind as usize].get(name) {
            return id;
        }
        let key = match kind {
            NameKind::Province => Self::province_key(Some(name)),
            NameKind::Country => Self::country_key(Some(name)),
        };
        let next = self.ids.len() as u32;
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.names.push(name.trim().to_string());
        }
        self.seen[kind as usize].insert(name.to_string(), id);
        id
    }

    /// The name of an id, `None` for 0.
    pub(super) fn name(&self, id: u32) -> Option<&str> {
        (id != 0).then(|| self.names[id as usize].as_str())
    }

    pub(super) fn get(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }
}

/// Tags and tag lists, interned: reports share few distinct tag lists, so an entry keeps one
/// number for its list and building the index allocates nothing per report.
#[derive(Debug)]
pub(super) struct TagInterner {
    pub(super) tag_ids: HashMap<String, u32>,
    /// Every distinct list of tag ids; list 0 is the empty list.
    pub(super) lists: Vec<Box<[u32]>>,
    pub(super) list_ids: HashMap<Box<[u32]>, u32>,
    pub(super) scratch: Vec<u32>,
}

impl Default for TagInterner {
    fn default() -> Self {
        Self {
            tag_ids: HashMap::new(),
            lists: vec![Box::default()],
            list_ids: HashMap::from([(Box::default(), 0)]),
            scratch: Vec::new(),
        }
    }
}

impl TagInterner {
    /// The id of a tag list.
    pub(super) fn intern(&mut self, tags: &[String]) -> u32 {
        if tags.is_empty() {
            return 0;
        }
        self.scratch.clear();
        for tag in tags {
            let id = match self.tag_ids.get(tag.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.tag_ids.len() as u32;
                    self.tag_ids.insert(tag.clone(), id);
                    id
                }
            };
            self.scratch.push(id);
        }
        if let Some(&list) = self.list_ids.get(self.scratch.as_slice()) {
            return list;
        }
        let list = self.lists.len() as u32;
        let ids: Box<[u32]> = self.scratch.as_slice().into();
        self.lists.push(ids.clone());
        self.list_ids.insert(ids, list);
        list
    }

    /// For each tag list, whether it holds any of `wanted`.
    pub(super) fn lists_with_any(&self, wanted: &[String]) -> Vec<bool> {
        let wanted: Vec<u32> = wanted
            .iter()
            .filter_map(|t| self.tag_ids.get(t).copied())
            .collect();
        self.lists
            .iter()
            .map(|list| list.iter().any(|t| wanted.contains(t)))
            .collect()
    }
}
