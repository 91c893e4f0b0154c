//! A past moment read through the live index: the reports changed, created or deleted since
//! the moment are left out of the live index's walks (a filter, as private entries are for
//! reviewers), and their past forms sit in a small index of their own, whose answers are
//! merged in the query's order; the events that differ are read from a copy of their past
//! forms ([`crate::engine::events::past`]). So a past moment costs what changed since, not
//! what the store holds, and answers as an index built from the past's reports would.
//!
//! It stands for its moment while the live index is as it was when it was made
//! ([`PastIndex::fits`]); a write to the live index makes it stale, and the service makes
//! it again.

use super::event_views::newest_first;
use super::everything;
use super::reading::IndexRead;
use super::views::{merge, split};
use super::{
    Entry, EventFilter, EventView, Extent, IdPage, IndexFigures, MapPoint, ReportIndex, ViewIndex,
};
use crate::domain::model::privacy::Viewer;
use crate::domain::model::{EventId, IndexRecord, ReportId};
use crate::engine::events::summary::EventSummary;
use crate::engine::events::{Event, EventIndex};
use crate::engine::query::{Filter, Page, ReportQuery, Spatial};
use crate::engine::timeline::Observed;
use crate::geospatial::geodesy;
use foldhash::HashSet as FastSet;
use std::collections::HashSet;
use std::sync::Arc;

/// Reports whose live entries are not what they were at a past moment: changed, created or
/// deleted since.
#[derive(Debug, Default, PartialEq)]
pub struct ChangedReports {
    /// The lowest live version of any of them: an entry below it is none of them.
    from_version: i64,
    ids: FastSet<ReportId>,
}

impl ChangedReports {
    fn of(ids: impl IntoIterator<Item = ReportId>, live: &ViewIndex) -> Self {
        let ids: FastSet<ReportId> = ids.into_iter().collect();
        let from_version = ids
            .iter()
            .flat_map(|id| [live.public.version_of(id), live.exact.version_of(id)])
            .flatten()
            .min()
            .unwrap_or(i64::MAX);
        Self { from_version, ids }
    }

    /// Whether a live entry is one of them.
    #[inline]
    pub(super) fn holds(&self, id: &ReportId, version: i64) -> bool {
        version >= self.from_version && self.ids.contains(id)
    }

    /// Their ids.
    pub(super) fn ids(&self) -> impl Iterator<Item = &ReportId> {
        self.ids.iter()
    }

    /// Whether a report is one of them.
    pub fn contains(&self, id: &ReportId) -> bool {
        self.ids.contains(id)
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// What a count over one placement's entries gives: what a new index of them would keep.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    count: usize,
    circles: usize,
    bounds: Option<[f64; 4]>,
    max_uncertainty_m: f64,
    extent: Option<Extent>,
    /// The newest version of any of them.
    last_version: i64,
}

impl Tally {
    fn of<'a>(entries: impl Iterator<Item = &'a Entry>) -> Self {
        let mut tally = Tally::default();
        for e in entries {
            tally.count += 1;
            tally.circles += usize::from(e.uncertainty_m > 0.0);
            tally.bounds = Some(super::grown(tally.bounds, &e.point));
            tally.max_uncertainty_m = tally.max_uncertainty_m.max(e.uncertainty_m);
            tally.extent = Some(super::with_entry(tally.extent, e));
            tally.last_version = tally.last_version.max(e.version);
        }
        tally
    }

    /// The extent grown by the widest circle, as [`ViewIndex::event_extent`] grows it.
    fn grown_extent(&self) -> Option<Extent> {
        let (b, span) = self.extent?;
        Some((geodesy::box_grown_by(b, self.max_uncertainty_m), span))
    }
}

/// The entries of an index that are not of changed reports.
fn unchanged<'a>(
    index: &'a ReportIndex,
    changed: &'a ChangedReports,
) -> impl Iterator<Item = &'a Entry> {
    index
        .records
        .iter()
        .flatten()
        .filter(|e| !changed.holds(&e.id, e.version))
}

/// The index at a past moment, over the live one (see the module doc).
pub struct PastIndex {
    changed: Arc<ChangedReports>,
    /// The past forms of the changed reports that existed then, and of the events that
    /// differ.
    delta: ViewIndex,
    /// Live events that differ at the moment.
    differing: FastSet<EventId>,
    /// The live index's revision when this was made.
    live_revision: u64,
    public: Tally,
    exact: Tally,
    event_count: usize,
}

impl PastIndex {
    /// The index at a past moment at which each of these reports (every report changed,
    /// created or deleted since) had the record given (`None`: it had none). Changes the
    /// live events and puts them back (see [`EventIndex::past_events`]); `None` if the
    /// copied events did not fit together.
    pub fn new(
        live: &mut ViewIndex,
        changed: Vec<(ReportId, Option<IndexRecord>)>,
    ) -> Option<Self> {
        let past: Vec<(ReportId, Option<&IndexRecord>)> =
            changed.iter().map(|(id, r)| (*id, r.as_ref())).collect();
        let events = live.events.past_events(&past)?;
        let set = Arc::new(ChangedReports::of(changed.iter().map(|(id, _)| *id), live));
        let records: Vec<IndexRecord> = changed.into_iter().filter_map(|(_, r)| r).collect();
        let exact: Vec<IndexRecord> = records
            .iter()
            .filter_map(|r| r.exact.as_deref().cloned())
            .collect();
        let delta = ViewIndex::from_parts(ReportIndex::build(records), exact, events.events);
        let public =
            Tally::of(unchanged(&live.public, &set).chain(delta.public.records.iter().flatten()));
        let exact =
            Tally::of(unchanged(&live.exact, &set).chain(delta.exact.records.iter().flatten()));
        let live_events = live.events();
        let gone = events
            .differing
            .iter()
            .filter(|id| live_events.event(id).is_some())
            .count();
        let event_count = live_events.len() - gone + delta.events().len();
        Some(Self {
            changed: set,
            delta,
            differing: events.differing,
            live_revision: live.revision,
            public,
            exact,
            event_count,
        })
    }

    /// Whether the past of these changes costs little to work out over `live` (see
    /// [`EventIndex::past_cost`]): at most `budget` members placed again.
    pub fn is_cheap(
        live: &ViewIndex,
        changed: &[(ReportId, Option<IndexRecord>)],
        budget: usize,
    ) -> bool {
        let past: Vec<(ReportId, Option<&IndexRecord>)> =
            changed.iter().map(|(id, r)| (*id, r.as_ref())).collect();
        live.events
            .past_cost(&past)
            .is_some_and(|cost| cost <= budget)
    }

    /// Whether it still stands for its moment over `live`: nothing was written to the live
    /// index since it was made.
    pub fn fits(&self, live: &ViewIndex) -> bool {
        live.revision == self.live_revision
    }

    /// The reports changed since the moment.
    pub fn changed(&self) -> &Arc<ChangedReports> {
        &self.changed
    }

    /// The newest store version of the moment's reports' revisions (0 for none).
    pub fn last_version(&self) -> i64 {
        self.public.last_version
    }

    /// How many reports there were at the moment.
    pub fn len(&self) -> usize {
        self.public.count
    }

    /// Whether there were none.
    pub fn is_empty(&self) -> bool {
        self.public.count == 0
    }

    /// What an index of the moment's reports would keep (see [`ReportIndex::figures`]).
    pub fn figures(&self) -> IndexFigures {
        IndexFigures {
            reports: self.public.count,
            circles: self.public.circles,
            bounds: self.public.bounds,
            max_uncertainty_m: self.public.max_uncertainty_m,
        }
    }

    /// The extent of the moment's reports as the public saw them.
    pub fn extent(&self) -> Option<Extent> {
        self.public.extent
    }

    /// As [`ViewIndex::event_extent`] over the moment's reports.
    pub fn event_extent(&self, viewer: Viewer) -> Option<Extent> {
        let mut parts = vec![self.public.grown_extent()];
        if !self.public_only(viewer) {
            parts.push(self.exact.grown_extent());
        }
        parts.into_iter().flatten().reduce(super::union)
    }

    /// How many events there were.
    pub fn event_count(&self) -> usize {
        self.event_count
    }

    /// An estimate of its memory, in bytes.
    pub fn bytes(&self) -> usize {
        self.changed.len() * 48 + self.delta.len() * 700 + self.delta.events().len() * 400
    }

    fn public_only(&self, viewer: Viewer) -> bool {
        viewer == Viewer::Public || self.exact.count == 0
    }

    /// Read through `live`, which it must fit.
    pub fn over<'a>(&'a self, live: &'a ViewIndex) -> PastView<'a> {
        debug_assert!(self.fits(live));
        PastView { live, past: self }
    }

    /// Read through `live` even if it moved on since: only what the state keeps itself
    /// (counts, extents) is then as it was.
    pub fn over_any<'a>(&'a self, live: &'a ViewIndex) -> PastView<'a> {
        PastView { live, past: self }
    }
}

/// A past moment read through the live index (see the module doc).
pub struct PastView<'a> {
    live: &'a ViewIndex,
    past: &'a PastIndex,
}

/// The same query with every hit up to the end of its page on one page, to be merged.
fn widened(query: &ReportQuery) -> ReportQuery {
    let mut wide = query.clone();
    wide.page = Page {
        offset: 0,
        limit: query.page.offset.saturating_add(query.page.limit),
    };
    wide
}

/// Whether a query keeps every report.
fn keeps_every_report(query: &ReportQuery) -> bool {
    matches!(query.spatial, Spatial::None) && query.filter == Filter::default()
}

impl<'a> PastView<'a> {
    /// The query for the live index: without the changed reports.
    fn for_live(&self, query: &ReportQuery) -> ReportQuery {
        let mut q = query.clone();
        q.filter.without = Some(self.past.changed.clone());
        q
    }

    /// One placement's two indexes: the live one's (`exact` or public) and the past's.
    fn pair(&self, exact: bool) -> (&'a ReportIndex, &'a ReportIndex) {
        if exact {
            (&self.live.exact, &self.past.delta.exact)
        } else {
            (&self.live.public, &self.past.delta.public)
        }
    }

    /// A query of one placement, merged from both of its indexes.
    fn pair_query(
        &self,
        exact: bool,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> IdPage {
        let (live, past) = self.pair(exact);
        let wide = widened(query);
        merge(
            live.query(&self.for_live(&wide), text_matches),
            past.query(&wide, text_matches),
            query,
        )
    }

    /// The ids matching in one placement, in no order (`None`: every one).
    fn pair_ids(
        &self,
        exact: bool,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> Vec<ReportId> {
        let (live, past) = self.pair(exact);
        if let Spatial::Nearest { .. } = query.spatial {
            // The nearest of both together, not of each.
            return self
                .pair_query(exact, &everything(query), text_matches)
                .hits
                .iter()
                .map(|hit| hit.id)
                .collect();
        }
        let mut ids = live
            .matching_ids_in_any_order(&self.for_live(query), text_matches)
            .unwrap_or_default();
        ids.extend(
            past.matching_ids_in_any_order(query, text_matches)
                .unwrap_or_else(|| past.all_ids()),
        );
        ids
    }

    /// Every report of one placement matching, in the query's order.
    fn pair_matches(
        &self,
        exact: bool,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> Vec<MapPoint<'a>> {
        let (live, past) = self.pair(exact);
        self.pair_query(exact, &everything(query), text_matches)
            .hits
            .iter()
            .filter_map(|hit| {
                let index = if self.past.changed.contains(&hit.id) {
                    past
                } else {
                    live
                };
                index.map_point(&hit.id).map(|(point, _)| point)
            })
            .collect()
    }

    /// The events index that holds a report's event at the moment: the past's copy if its
    /// event differs, none if it was changed since and had none then, else the live one.
    fn events_of_report(&self, report: &ReportId) -> Option<&'a EventIndex> {
        let past = self.past.delta.events();
        if past.member(report).is_some() {
            Some(past)
        } else if self.past.changed.contains(report) {
            None
        } else {
            Some(self.live.events())
        }
    }

    /// An event as it was, with the index that holds its members.
    fn event(&self, id: &EventId) -> Option<(&'a EventIndex, &'a Event)> {
        let events = if self.past.differing.contains(id) {
            self.past.delta.events()
        } else {
            self.live.events()
        };
        Some((events, events.event(id)?))
    }

    /// The events with a member matching the query as `viewer` sees the reports, that pass
    /// `filter`, in no order (as [`ViewIndex::matching_events`] finds them).
    fn matching_events(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Vec<EventId> {
        let in_box = match self.live.events_by_box {
            true => self
                .live
                .events_in_box(query, text_matches, viewer)
                .zip(self.past.delta.events_in_box(query, text_matches, viewer)),
            false => None,
        };
        let ids: Vec<EventId> = match in_box {
            Some((live, past)) => live
                .into_iter()
                .filter(|id| !self.past.differing.contains(id))
                .chain(past)
                .collect(),
            None => match IndexRead::matching_ids(self, query, text_matches, viewer) {
                Some(reports) => {
                    let ids: FastSet<EventId> = reports
                        .iter()
                        .filter_map(|r| self.events_of_report(r)?.event_of(r))
                        .collect();
                    ids.into_iter().collect()
                }
                None => self
                    .live
                    .events()
                    .events()
                    .map(|e| e.id)
                    .filter(|id| !self.past.differing.contains(id))
                    .chain(self.past.delta.events().events().map(|e| e.id))
                    .collect(),
            },
        };
        if filter.grades.is_none() && filter.min_origins.is_none() {
            return ids;
        }
        ids.into_iter()
            .filter(|id| {
                self.event_summary(id)
                    .is_some_and(|summary| filter.keeps(summary))
            })
            .collect()
    }
}

impl IndexRead for PastView<'_> {
    fn len(&self) -> usize {
        self.past.len()
    }

    fn figures(&self) -> IndexFigures {
        self.past.figures()
    }

    fn extent(&self) -> Option<Extent> {
        self.past.extent()
    }

    fn event_extent(&self, viewer: Viewer) -> Option<Extent> {
        self.past.event_extent(viewer)
    }

    fn event_count(&self) -> usize {
        self.past.event_count()
    }

    fn query(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> IdPage {
        if self.past.public_only(viewer) {
            return self.pair_query(false, query, text_matches);
        }
        let (others, private) = split(query);
        merge(
            self.pair_query(false, &others, text_matches),
            self.pair_query(true, &private, text_matches),
            query,
        )
    }

    fn matching_ids(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Option<Vec<ReportId>> {
        if keeps_every_report(query) {
            return None;
        }
        let mut ids = if self.past.public_only(viewer) {
            self.pair_ids(false, query, text_matches)
        } else {
            let (others, private) = split(query);
            let mut ids = self.pair_ids(false, &others, text_matches);
            ids.extend(self.pair_ids(true, &private, text_matches));
            ids
        };
        ids.sort_unstable();
        Some(ids)
    }

    fn all_ids(&self) -> Vec<ReportId> {
        let mut ids: Vec<ReportId> = self
            .live
            .all_ids()
            .into_iter()
            .filter(|id| !self.past.changed.contains(id))
            .collect();
        ids.extend(self.past.delta.all_ids());
        ids.sort_unstable();
        ids
    }

    fn matches(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<MapPoint<'_>> {
        if self.past.public_only(viewer) {
            return self.pair_matches(false, query, text_matches);
        }
        let (others, private) = split(query);
        let mut found = self.pair_matches(false, &others, text_matches);
        found.extend(self.pair_matches(true, &private, text_matches));
        found
    }

    fn event_seen_by(&self, report: &ReportId, viewer: Viewer) -> Option<EventId> {
        self.events_of_report(report)?
            .event_shown(report, viewer == Viewer::Public)
    }

    fn event_summary(&self, id: &EventId) -> Option<&EventSummary> {
        let (events, event) = self.event(id)?;
        Some(events.summary(event))
    }

    fn event_order(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Vec<EventId> {
        newest_first(
            self.matching_events(query, text_matches, filter, viewer),
            |id| Some(self.event_summary(id)?.to),
        )
    }

    fn event_views(&self, ids: &[EventId], viewer: Viewer) -> Vec<EventView> {
        ids.iter()
            .filter_map(|id| {
                let (events, event) = self.event(id)?;
                Some(EventView::of(events, event, viewer))
            })
            .collect()
    }

    fn observed_reports(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<Observed> {
        let mut out = Vec::new();
        let pair = |exact: bool, query: &ReportQuery, out: &mut Vec<Observed>| {
            let (live, past) = self.pair(exact);
            if let Spatial::Nearest { .. } = query.spatial {
                // The nearest of both together, not of each.
                let hits = self
                    .pair_query(exact, &everything(query), text_matches)
                    .hits;
                out.extend(hits.iter().filter_map(
                    |hit| match self.past.changed.contains(&hit.id) {
                        true => past.observed_one(&hit.id),
                        false => live.observed_one(&hit.id),
                    },
                ));
                return;
            }
            live.observed(&self.for_live(query), text_matches, out);
            past.observed(query, text_matches, out);
        };
        if self.past.public_only(viewer) {
            pair(false, query, &mut out);
        } else {
            let (others, private) = split(query);
            pair(false, &others, &mut out);
            pair(true, &private, &mut out);
        }
        out
    }
}
