//! A report filter compiled against the index's interned words, tags and names.

use super::Entry;
use super::names::{Names, TagInterner};
use super::past::ChangedReports;
use crate::domain::model::{ReportId, WordSet};
use crate::engine::query::Filter;
use std::collections::HashSet;

/// A filter with its word lists turned into bit sets and tag ids.
pub(super) struct CompiledFilter<'a> {
    pub(super) since: Option<i64>,
    pub(super) until: Option<i64>,
    pub(super) kinds: Option<WordSet>,
    pub(super) statuses: Option<WordSet>,
    pub(super) source_types: Option<WordSet>,
    /// For each interned tag list, whether it holds a tag asked for.
    pub(super) tag_lists: Option<Vec<bool>>,
    pub(super) text: Option<&'a HashSet<ReportId>>,
    pub(super) border_within_m: Option<f64>,
    pub(super) coast_within_m: Option<f64>,
    pub(super) in_sea: Option<bool>,
    /// Interned names asked for; an empty list matches nothing (no report has those names).
    pub(super) provinces: Option<Vec<u32>>,
    pub(super) countries: Option<Vec<u32>>,
    pub(super) border_countries: Option<Vec<u32>>,
    /// Leave out entries that place private reports where the public sees them.
    pub(super) without_private: bool,
    /// Leave out the entries of reports changed since a past moment (see
    /// [`super::past`]).
    pub(super) without: Option<&'a ChangedReports>,
}

impl<'a> CompiledFilter<'a> {
    pub(super) fn new(
        filter: &'a Filter,
        tags: &TagInterner,
        names: &Names,
        text: Option<&'a HashSet<ReportId>>,
    ) -> Self {
        let ids = |wanted: &Option<Vec<String>>, key: fn(Option<&str>) -> String| {
            wanted.as_ref().map(|list| {
                list.iter()
                    .filter_map(|name| names.get(&key(Some(name))))
                    .collect::<Vec<u32>>()
            })
        };
        Self {
            border_within_m: filter.border_within_m,
            coast_within_m: filter.coast_within_m,
            in_sea: filter.in_sea,
            provinces: ids(&filter.provinces, Names::province_key),
            countries: ids(&filter.countries, Names::country_key),
            border_countries: ids(&filter.border_countries, Names::country_key),
            since: filter.since.map(|t| t.0),
            until: filter.until.map(|t| t.0),
            kinds: filter
                .kinds
                .clone()
                .map(|ks| ks.iter().fold(WordSet::default(), |s, k| s.with(k.bit()))),
            statuses: filter
                .statuses
                .clone()
                .map(|ss| ss.iter().fold(WordSet::default(), |s, k| s.with(k.bit()))),
            source_types: filter
                .source_types
                .clone()
                .map(|ts| ts.iter().fold(WordSet::default(), |s, k| s.with(k.bit()))),
            tag_lists: filter
                .tags
                .as_ref()
                .map(|wanted| tags.lists_with_any(wanted)),
            text,
            without_private: filter.without_private,
            without: filter.without.as_deref(),
        }
    }

    pub(super) fn has_time(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether the filter does nothing but leave out private entries.
    pub(super) fn only_leaves_out_private(&self) -> bool {
        self.without_private && self.keeps_every_report()
    }

    /// The changed reports, when leaving them out is all the filter does.
    pub(super) fn only_leaves_out_changed(&self) -> Option<&'a ChangedReports> {
        let without = self.without?;
        (!self.without_private && self.sets_no_condition()).then_some(without)
    }

    pub(super) fn is_empty(&self) -> bool {
        !self.without_private && self.keeps_every_report()
    }

    /// Whether no condition but the private flag is set.
    pub(super) fn keeps_every_report(&self) -> bool {
        self.sets_no_condition() && self.without.is_none()
    }

    /// Whether no condition on a report's fields is set (the private flag and the changed
    /// reports aside).
    fn sets_no_condition(&self) -> bool {
        !self.has_time()
            && self.kinds.is_none()
            && self.statuses.is_none()
            && self.source_types.is_none()
            && self.tag_lists.is_none()
            && self.text.is_none()
            && self.border_within_m.is_none()
            && self.coast_within_m.is_none()
            && self.in_sea.is_none()
            && self.provinces.is_none()
            && self.countries.is_none()
            && self.border_countries.is_none()
    }

    #[inline]
    pub(super) fn matches(&self, e: &Entry) -> bool {
        !(self.without_private && e.private)
            && self.since.is_none_or(|s| e.to >= s)
            && self.until.is_none_or(|u| e.from <= u)
            && self.kinds.is_none_or(|k| k.contains(e.kind.bit()))
            && self.statuses.is_none_or(|k| k.contains(e.status.bit()))
            && self
                .source_types
                .is_none_or(|k| k.intersects(e.source_types))
            && self
                .tag_lists
                .as_ref()
                .is_none_or(|lists| lists[e.tags as usize])
            && self.text.is_none_or(|ids| ids.contains(&e.id))
            && self.border_within_m.is_none_or(|m| e.border_m <= m)
            && self.coast_within_m.is_none_or(|m| e.coast_m <= m)
            && self.in_sea.is_none_or(|s| e.in_sea == s)
            && self
                .provinces
                .as_ref()
                .is_none_or(|p| p.contains(&e.province))
            && self
                .countries
                .as_ref()
                .is_none_or(|c| c.contains(&e.country))
            && self
                .border_countries
                .as_ref()
                .is_none_or(|c| c.contains(&e.border_country))
            && self.without.is_none_or(|w| !w.holds(&e.id, e.version))
    }
}
