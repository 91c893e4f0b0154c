//! What every read needs of the index, as one trait that the live index and a past moment
//! read through it ([`super::PastView`]) share: the service answers both alike.

use super::{EventFilter, EventPage, EventView, Extent, IdPage, IndexFigures, MapPoint, ViewIndex};
use crate::domain::model::privacy::Viewer;
use crate::domain::model::{EventId, ReportId};
use crate::engine::events::summary::EventSummary;
use crate::engine::query::ReportQuery;
use crate::engine::timeline::Observed;
use std::collections::HashSet;

/// The index as reads see it. `text_matches`: the ids whose text matches the query's `q`,
/// found by the store; `None` when the query has no `q`.
pub trait IndexRead {
    /// How many reports there are.
    fn len(&self) -> usize;

    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the index keeps up to date of the reports as the public sees them.
    fn figures(&self) -> IndexFigures;

    /// The extent of every report as the public sees them.
    fn extent(&self) -> Option<Extent>;

    /// A box holding every event's footprint as `viewer` sees it, and their span.
    fn event_extent(&self, viewer: Viewer) -> Option<Extent>;

    /// How many events there are.
    fn event_count(&self) -> usize;

    /// One page of a query's answer as `viewer` sees the reports.
    fn query(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> IdPage;

    /// The sorted ids of every report matching the query, or `None` when it keeps every
    /// report.
    fn matching_ids(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Option<Vec<ReportId>>;

    /// Every report's id, sorted.
    fn all_ids(&self) -> Vec<ReportId>;

    /// Every report matching the query's place and filters, as `viewer` sees them.
    fn matches(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<MapPoint<'_>>;

    /// The event a report belongs to as `viewer` may know it.
    fn event_seen_by(&self, report: &ReportId, viewer: Viewer) -> Option<EventId>;

    /// The summary of an event, if there is one of this id.
    fn event_summary(&self, id: &EventId) -> Option<&EventSummary>;

    /// The events matching, newest first (see [`ViewIndex::event_order`]).
    fn event_order(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Vec<EventId>;

    /// These events as `viewer` sees them, in this order; an id that names no event is left
    /// out.
    fn event_views(&self, ids: &[EventId], viewer: Viewer) -> Vec<EventView>;

    /// One page of the events matching, newest first.
    fn event_page(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> EventPage {
        let kept = self.event_order(query, text_matches, filter, viewer);
        let page: Vec<EventId> = kept
            .iter()
            .skip(query.page.offset)
            .take(query.page.limit)
            .copied()
            .collect();
        EventPage {
            matched: kept.len(),
            events: self.event_views(&page, viewer),
        }
    }

    /// The observation time and status of every report matching.
    fn observed_reports(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<Observed>;

    /// The time span and suggested grade of every event matching.
    fn observed_events(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Vec<Observed> {
        self.event_order(query, text_matches, filter, viewer)
            .iter()
            .filter_map(|id| {
                let summary = self.event_summary(id)?;
                Some(Observed {
                    from: summary.from,
                    to: summary.to,
                    category: summary.grade as u8,
                })
            })
            .collect()
    }
}

impl IndexRead for ViewIndex {
    fn len(&self) -> usize {
        ViewIndex::len(self)
    }

    fn figures(&self) -> IndexFigures {
        ViewIndex::figures(self)
    }

    fn extent(&self) -> Option<Extent> {
        ViewIndex::extent(self)
    }

    fn event_extent(&self, viewer: Viewer) -> Option<Extent> {
        ViewIndex::event_extent(self, viewer)
    }

    fn event_count(&self) -> usize {
        self.events().len()
    }

    fn query(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> IdPage {
        ViewIndex::query(self, query, text_matches, viewer)
    }

    fn matching_ids(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Option<Vec<ReportId>> {
        ViewIndex::matching_ids(self, query, text_matches, viewer)
    }

    fn all_ids(&self) -> Vec<ReportId> {
        ViewIndex::all_ids(self)
    }

    fn matches(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<MapPoint<'_>> {
        ViewIndex::matches(self, query, text_matches, viewer)
    }

    fn event_seen_by(&self, report: &ReportId, viewer: Viewer) -> Option<EventId> {
        ViewIndex::event_seen_by(self, report, viewer)
    }

    fn event_summary(&self, id: &EventId) -> Option<&EventSummary> {
        let events = self.events();
        Some(events.summary(events.event(id)?))
    }

    fn event_order(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Vec<EventId> {
        ViewIndex::event_order(self, query, text_matches, filter, viewer)
    }

    fn event_views(&self, ids: &[EventId], viewer: Viewer) -> Vec<EventView> {
        ViewIndex::event_views(self, ids, viewer)
    }

    fn observed_reports(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<Observed> {
        ViewIndex::observed_reports(self, query, text_matches, viewer)
    }
}
