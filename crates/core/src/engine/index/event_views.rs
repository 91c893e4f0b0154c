//! Events as each viewer sees them: the events of the reports a query matches, summed up,
//! filtered by grade and origins, and paged; footprints from public placements for the
//! public.

use super::ViewIndex;
use crate::domain::model::privacy::Viewer;
use crate::domain::model::{EventId, ReportId};
use crate::engine::events::summary::{EventSummary, Grade};
use crate::engine::events::{Event, EventIndex};
use crate::engine::query::{Filter, ReportQuery, Spatial};
use std::collections::HashSet;

/// What an event list keeps beyond the report filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Only events of these suggested grades.
    pub grades: Option<Vec<Grade>>,
    /// Only events with at least this many independent asserting origins.
    pub min_origins: Option<usize>,
}

impl EventFilter {
    /// Whether an event of this summary passes.
    pub fn keeps(&self, summary: &EventSummary) -> bool {
        self.grades
            .as_ref()
            .is_none_or(|g| g.contains(&summary.grade))
            && self
                .min_origins
                .is_none_or(|n| summary.origins.asserting >= n)
    }
}

/// One event as a viewer sees it.
#[derive(Debug, Clone)]
pub struct EventView {
    /// Its id.
    pub id: EventId,
    /// Its counts and suggested grade.
    pub summary: EventSummary,
    /// Its footprint (from public placements for the public).
    pub footprint: geo::MultiPolygon<f64>,
    /// The core members the viewer may see listed, by id.
    pub core: Vec<ReportId>,
    /// The supporting members the viewer may see listed, by id.
    pub support: Vec<ReportId>,
}

/// A page of events.
#[derive(Debug, Clone)]
pub struct EventPage {
    /// Events matching, across all pages.
    pub matched: usize,
    /// This page, newest observation first.
    pub events: Vec<EventView>,
}

impl EventView {
    /// An event as `viewer` sees it. The public sees the footprint of public placements and
    /// does not see which private reports are members (they are counted).
    pub fn of(events: &EventIndex, event: &Event, viewer: Viewer) -> EventView {
        let public = viewer == Viewer::Public;
        let member = |id: &ReportId| events.member(id).expect("an event's member is kept");
        let listed = |ids: &[ReportId]| -> Vec<ReportId> {
            ids.iter()
                .filter(|id| !(public && member(id).public.is_some()))
                .copied()
                .collect()
        };
        EventView {
            id: event.id,
            summary: events.summary(event).clone(),
            footprint: events.footprint(event, public).clone(),
            core: listed(&event.core),
            support: listed(&event.support),
        }
    }
}

impl ViewIndex {
    /// The events with a member in the query's box (as `viewer` sees the members' points),
    /// found from the events' own boxes, when the query holds nothing but a box and a time
    /// range; `None` for any other query.
    pub(super) fn events_in_box(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Option<Vec<EventId>> {
        let Spatial::BBox(bbox) = &query.spatial else {
            return None;
        };
        let (since, until) = (query.filter.since, query.filter.until);
        let time_only = Filter {
            since,
            until,
            ..Filter::default()
        };
        if query.filter != time_only || text_matches.is_some() {
            return None;
        }
        let public = viewer == Viewer::Public;
        let events = self.events();
        let mut found: foldhash::HashSet<EventId> = foldhash::HashSet::default();
        for part in bbox.split_at_antimeridian() {
            let near = events
                .events_near_or_inside([part.min_lon, part.min_lat], [part.max_lon, part.max_lat]);
            for (id, inside) in near {
                if inside && since.is_none() && until.is_none() {
                    found.insert(id);
                    continue;
                }
                let Some(event) = events.event(&id) else {
                    continue;
                };
                let inside = event.members().filter_map(|m| events.member(m)).any(|m| {
                    let point = m.placement(public).point;
                    part.contains(point.lon, point.lat)
                        && since.is_none_or(|s| m.to >= s.0)
                        && until.is_none_or(|u| m.from <= u.0)
                });
                if inside {
                    found.insert(id);
                }
            }
        }
        Some(found.into_iter().collect())
    }

    /// The events with a member matching the query's place and report filters (as `viewer`
    /// sees the reports) that pass `filter`, in no particular order.
    pub(super) fn matching_events(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Vec<EventId> {
        let events = self.events();
        let in_box = match self.events_by_box {
            true => self.events_in_box(query, text_matches, viewer),
            false => None,
        };
        let ids: Vec<EventId> = match in_box {
            Some(ids) => ids,
            None => match self.matching_ids_in_any_order(query, text_matches, viewer) {
                Some(reports) => {
                    // Far fewer events than reports: set them apart rather than sort the reports'.
                    let ids: foldhash::HashSet<EventId> =
                        reports.iter().filter_map(|r| events.event_of(r)).collect();
                    ids.into_iter().collect()
                }
                None => events.events().map(|e| e.id).collect(),
            },
        };
        if filter.grades.is_none() && filter.min_origins.is_none() {
            return ids;
        }
        ids.into_iter()
            .filter(|id| {
                events
                    .event(id)
                    .is_some_and(|event| filter.keeps(events.summary(event)))
            })
            .collect()
    }

    /// The ids of the events with a member matching the query's place and report filters (as
    /// `viewer` sees the reports) that pass `filter`, newest first (the query's paging
    /// ignored): the order [`super::IndexRead::event_page`] pages through, and a list held for a download
    /// of every event (16 bytes an event).
    pub fn event_order(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Vec<EventId> {
        let events = self.events();
        newest_first(
            self.matching_events(query, text_matches, filter, viewer),
            |id| Some(events.summary(events.event(id)?).to),
        )
    }

    /// These events as `viewer` sees them, in this order; an id that names no event now (it
    /// was regrouped since it was listed) is left out.
    pub fn event_views<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a EventId>,
        viewer: Viewer,
    ) -> Vec<EventView> {
        let events = self.events();
        ids.into_iter()
            .filter_map(|id| Some(EventView::of(events, events.event(id)?, viewer)))
            .collect()
    }
}

/// Events newest first (by the end of their observations, then id), leaving out those
/// `end` finds none for: the order event pages go through.
pub(super) fn newest_first(
    ids: Vec<EventId>,
    end: impl Fn(&EventId) -> Option<i64>,
) -> Vec<EventId> {
    let mut kept: Vec<(i64, EventId)> = ids
        .into_iter()
        .filter_map(|id| Some((end(&id)?, id)))
        .collect();
    kept.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    kept.into_iter().map(|(_, id)| id).collect()
}
