//! The index as each viewer sees it. The main index places every report where the public
//! sees it: a private report (see [`crate::domain::model::privacy`]) at its coarsened point, flagged. Beside
//! it, a small index holds the exact placement of the private reports only. The public's
//! queries read the main index alone, so no answer to the public can be computed from an
//! exact point; a reviewer's queries read the main index without the flagged entries, and the
//! small one, and merge the two in the query's order.

use super::{Extent, IdPage, IndexRecord, MapPoint, RankedId, ReportIndex};
use crate::domain::model::privacy::Viewer;
use crate::domain::model::{EventId, Kind, Precision, ReportId, Status, Timestamp};
use crate::engine::events::{EventChanges, EventIndex, EventSettings, Member};
use crate::engine::parallel::side_by_side;
use crate::engine::query::{Filter, Page, ReportQuery, Spatial};
use crate::geospatial::geodesy;
use std::collections::HashSet;

/// A revision no index has had.
fn next_revision() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Every live report, indexed for the public and, for private reports, at the exact point.
#[derive(Debug)]
pub struct ViewIndex {
    /// Every report, private ones where the public sees them.
    pub(super) public: ReportIndex,
    /// Private reports at their exact points.
    pub(super) exact: ReportIndex,
    /// Every report's event, following every change to the two above.
    pub(super) events: EventIndex,
    /// Changes with every write: a past moment read through this index stands only while
    /// it is the one it was made at (see [`super::PastIndex`]). Unique across indexes.
    pub(super) revision: u64,
    /// Whether event pages of a box find the events by their own boxes (always, but for
    /// tests that compare both ways).
    pub(super) events_by_box: bool,
}

impl Default for ViewIndex {
    fn default() -> Self {
        Self {
            public: ReportIndex::default(),
            exact: ReportIndex::default(),
            events: EventIndex::default(),
            events_by_box: true,
            revision: next_revision(),
        }
    }
}

impl ViewIndex {
    /// Builds both from every live report's record, with events grouped by the defaults.
    pub fn build(records: Vec<IndexRecord>) -> Self {
        Self::build_grouped_by(records, EventSettings::default())
    }

    /// Builds both from every live report's record, with events grouped by `settings`: the
    /// events on a second thread while the indexes are built.
    pub fn build_grouped_by(records: Vec<IndexRecord>, settings: EventSettings) -> Self {
        let exact: Vec<IndexRecord> = records
            .iter()
            .filter_map(|r| r.exact.as_deref().cloned())
            .collect();
        let members: Vec<Member> = records.iter().map(Member::of).collect();
        let (events, (public, exact)) = side_by_side(
            || EventIndex::from_members(settings, members),
            || (ReportIndex::build(records), ReportIndex::build(exact)),
        );
        Self {
            public,
            exact,
            events,
            events_by_box: true,
            revision: next_revision(),
        }
    }

    /// The public index (loaded from a snapshot) with the exact records of its private
    /// reports and the events.
    pub fn from_parts(public: ReportIndex, exact: Vec<IndexRecord>, events: EventIndex) -> Self {
        Self {
            public,
            exact: ReportIndex::build(exact),
            events,
            events_by_box: true,
            revision: next_revision(),
        }
    }

    /// Whether event pages of a box find the events by their own boxes (true) or through
    /// the reports in the box, as for any other query: for tests that compare the two ways.
    #[doc(hidden)]
    pub fn set_events_by_box(&mut self, on: bool) {
        self.events_by_box = on;
    }

    /// Changes with every write (see [`super::PastIndex`]).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Every report's event.
    pub fn events(&self) -> &EventIndex {
        &self.events
    }

    /// The event a report belongs to (none for an excluded or unknown report). The public
    /// is not told the event of a private report, which would place it.
    pub fn event_seen_by(&self, report: &ReportId, viewer: Viewer) -> Option<EventId> {
        self.events.event_shown(report, viewer == Viewer::Public)
    }

    /// The index the public reads, which a snapshot saves.
    pub fn public(&self) -> &ReportIndex {
        &self.public
    }

    /// Adds a report or replaces its older version; returns what that did to the events.
    pub fn upsert(&mut self, record: IndexRecord) -> EventChanges {
        if !self.public.accepts(&record) {
            return EventChanges::default();
        }
        self.revision = next_revision();
        let changes = self.events.upsert(&record);
        self.upsert_placement(record);
        changes
    }

    fn upsert_placement(&mut self, record: IndexRecord) {
        match &record.exact {
            Some(exact) => self.exact.upsert(IndexRecord::clone(exact)),
            None => {
                if self
                    .exact
                    .version_of(&record.id)
                    .is_some_and(|v| v < record.version)
                {
                    // No longer private.
                    self.exact.remove(&record.id, record.version);
                }
            }
        }
        self.public.upsert(record);
    }

    /// Removes a report, as of a store version; returns what that did to the events.
    pub fn remove(&mut self, id: &ReportId, version: i64) -> EventChanges {
        self.revision = next_revision();
        let live = self.public.version_of(id).is_some_and(|v| v <= version);
        self.public.remove(id, version);
        if self.exact.contains(id) {
            self.exact.remove(id, version);
        }
        if live {
            self.events.remove(id)
        } else {
            EventChanges::default()
        }
    }

    /// How many live reports there are.
    pub fn len(&self) -> usize {
        self.public.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.public.is_empty()
    }

    /// How many reports have a private location.
    pub fn private_count(&self) -> usize {
        self.exact.len()
    }

    /// Every live report's id, sorted.
    pub fn all_ids(&self) -> Vec<ReportId> {
        self.public.all_ids()
    }

    /// What the index keeps up to date of the live reports as the public sees them.
    pub fn figures(&self) -> super::IndexFigures {
        self.public.figures()
    }

    /// The extent of every live report as the public sees them.
    pub fn extent(&self) -> Option<Extent> {
        self.public.extent()
    }

    /// A box holding every event's footprint as `viewer` sees it, and the span of their
    /// observations (see [`crate::engine::service::ReportService::event_extent`]).
    pub fn event_extent(&self, viewer: Viewer) -> Option<Extent> {
        let mut indexes = vec![&self.public];
        if !self.public_only(viewer) {
            indexes.push(&self.exact);
        }
        indexes
            .into_iter()
            .filter_map(|index| {
                let (b, span) = index.extent()?;
                let grown = geodesy::box_grown_by(b, index.figures().max_uncertainty_m);
                Some((grown, span))
            })
            .reduce(super::union)
    }

    /// Whether `viewer` reads the main index alone.
    pub(super) fn public_only(&self, viewer: Viewer) -> bool {
        viewer == Viewer::Public || self.exact.is_empty()
    }

    /// Answers a query as `viewer` sees the reports.
    pub fn query(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> IdPage {
        if self.public_only(viewer) {
            return self.public.query(query, text_matches);
        }
        let (others, private) = split(query);
        let (a, b) = (
            self.public.query(&others, text_matches),
            self.exact.query(&private, text_matches),
        );
        merge(a, b, query)
    }

    /// The sorted ids of every report matching the query as `viewer` sees the reports, or
    /// `None` when it keeps every report.
    pub fn matching_ids(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Option<Vec<ReportId>> {
        let mut ids = self.matching_ids_in_any_order(query, text_matches, viewer)?;
        ids.sort_unstable();
        Some(ids)
    }

    /// The ids of every report matching the query as `viewer` sees the reports, in no
    /// particular order, or `None` when it keeps every report.
    pub fn matching_ids_in_any_order(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Option<Vec<ReportId>> {
        if self.public_only(viewer) {
            return self.public.matching_ids_in_any_order(query, text_matches);
        }
        if matches!(query.spatial, Spatial::None) && query.filter == Filter::default() {
            return None;
        }
        let (others, private) = split(query);
        let mut ids = self
            .public
            .matching_ids_in_any_order(&others, text_matches)
            .unwrap_or_default();
        ids.extend(
            self.exact
                .matching_ids_in_any_order(&private, text_matches)
                .unwrap_or_else(|| self.exact.all_ids()),
        );
        Some(ids)
    }

    /// Every report matching the query's place and filters, as `viewer` sees them.
    pub fn matches(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
        viewer: Viewer,
    ) -> Vec<MapPoint<'_>> {
        if self.public_only(viewer) {
            return self.public.matches(query, text_matches);
        }
        let (others, private) = split(query);
        let mut found = self.public.matches(&others, text_matches);
        found.extend(self.exact.matches(&private, text_matches));
        found
    }
}

/// A report as one viewer class sees it in the index: where it is placed and what the
/// map shows of it (the change feed's before and after; see
/// [`crate::engine::service::FeedChange`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SeenReport {
    /// The store version of this state.
    pub version: i64,
    /// Longitude, degrees (for the public, a private report's coarsened point).
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Uncertainty radius, metres.
    pub uncertainty_m: f64,
    /// How precisely the point locates the claim.
    pub precision: Precision,
    /// Kind.
    pub kind: Kind,
    /// Verification status.
    pub status: Status,
    /// Province name.
    pub province: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Observation interval, epoch seconds.
    pub observed: (Timestamp, Timestamp),
}

impl SeenReport {
    fn of_point(point: &MapPoint<'_>, version: i64) -> Self {
        Self {
            version,
            lon: point.lon,
            lat: point.lat,
            uncertainty_m: point.uncertainty_m,
            precision: point.precision,
            kind: point.kind,
            status: point.status,
            province: point.province.map(str::to_string),
            country: point.country.map(str::to_string),
            observed: (Timestamp(point.from), Timestamp(point.to)),
        }
    }

    fn of_record(record: &IndexRecord) -> Self {
        Self {
            version: record.version,
            lon: record.lon,
            lat: record.lat,
            uncertainty_m: record.uncertainty_m,
            precision: record.precision,
            kind: record.kind,
            status: record.status,
            province: record.province.clone(),
            country: record.country.clone(),
            observed: (record.observed_from, record.observed_to),
        }
    }
}

/// A report as each viewer class sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportViews {
    /// As the public sees it: a private report at its coarsened point.
    pub public: SeenReport,
    /// As a reviewer sees it: at its exact point. `None` when it is the public view (the
    /// report is not private), so the views are built once.
    exact: Option<SeenReport>,
}

impl ReportViews {
    /// The views of a report's index record.
    pub fn of(record: &IndexRecord) -> Self {
        Self {
            public: SeenReport::of_record(record),
            exact: record.exact.as_deref().map(SeenReport::of_record),
        }
    }

    /// Whether the public sees the report elsewhere than it is (its location is private).
    pub fn is_private(&self) -> bool {
        self.exact.is_some()
    }

    /// The report as `viewer` sees it.
    pub fn seen_by(&self, viewer: Viewer) -> &SeenReport {
        match (&self.exact, viewer) {
            (Some(exact), Viewer::Exact) => exact,
            _ => &self.public,
        }
    }

    /// Only what the public may know: the exact view dropped.
    pub fn public_only(&self) -> Self {
        Self {
            public: self.public.clone(),
            exact: None,
        }
    }
}

impl ViewIndex {
    /// A live report as each viewer class sees it, from the index (no store read).
    pub fn views_of(&self, id: &ReportId) -> Option<ReportViews> {
        let (point, version) = self.public.map_point(id)?;
        let exact = self
            .exact
            .map_point(id)
            .map(|(point, version)| SeenReport::of_point(&point, version));
        Some(ReportViews {
            public: SeenReport::of_point(&point, version),
            exact,
        })
    }

    /// Whether the public is not told a report's event (its location is private).
    pub fn event_hidden_from_public(&self, report: &ReportId) -> bool {
        self.events
            .member(report)
            .is_some_and(|m| m.public.is_some())
    }
}

/// The query for the main index without its private entries, and for the exact index, each
/// asked for every hit up to the end of the page.
pub(super) fn split(query: &ReportQuery) -> (ReportQuery, ReportQuery) {
    let mut private = query.clone();
    private.page = Page {
        offset: 0,
        limit: query.page.offset.saturating_add(query.page.limit),
    };
    let mut others = private.clone();
    others.filter.without_private = true;
    (others, private)
}

/// Two answers merged in the query's order (by distance for radius and nearest queries,
/// else newest id first), with the query's page cut.
pub(super) fn merge(a: IdPage, b: IdPage, query: &ReportQuery) -> IdPage {
    let mut hits: Vec<RankedId> = a.hits;
    hits.extend(b.hits);
    let mut matched = a.matched + b.matched;
    match query.spatial {
        // As the walks order them: by distance to 10 µm, then id.
        Spatial::Radius { .. } | Spatial::Nearest { .. } => hits.sort_by_key(|h| {
            let d = h.distance_m.map_or(u64::MAX, super::walks::distance_key);
            (d, h.id)
        }),
        // Newest first, as the index pages them.
        _ => hits.sort_by_key(|h| std::cmp::Reverse(h.id)),
    }
    if let Spatial::Nearest { k, .. } = query.spatial {
        matched = matched.min(k);
        hits.truncate(k);
    }
    IdPage {
        matched,
        hits: hits
            .into_iter()
            .skip(query.page.offset)
            .take(query.page.limit)
            .collect(),
    }
}
