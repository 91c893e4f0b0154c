//! Events as a viewer sees them: the index finds and sums them up
//! ([`crate::engine::index::ViewIndex::event_page`]), the store supplies an event's members, and
//! possible duplicates of a new report.

use super::*;
use crate::domain::model::{EventId, Kind, Testimony};
use crate::engine::index::{EventFilter, EventPage, EventView, Extent};

impl ReportService {
    /// The events with a member matching the query's place and report filters (as `viewer`
    /// sees the reports) that pass `filter`, newest first, one page of the query's paging.
    pub async fn events(
        &self,
        query: &ReportQuery,
        filter: &EventFilter,
        viewer: Viewer,
    ) -> Result<EventPage, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        self.read_index(|index| index.event_page(query, text_matches.as_ref(), filter, viewer))
            .await
    }

    /// Every event [`Self::events`] would page through, newest first, in chunks of `chunk`
    /// events on a task of its own, `ahead` chunks ahead of the receiver: for a download of
    /// every event. Holds the matching ids (16 bytes an event) and a chunk of events at a
    /// time; an event regrouped away while the download runs is left out.
    pub fn events_stream(
        self: &Arc<Self>,
        query: ReportQuery,
        filter: EventFilter,
        chunk: usize,
        ahead: usize,
        viewer: Viewer,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<EventView>, ServiceError>> {
        let (tx, rx) = tokio::sync::mpsc::channel(ahead.max(1));
        let service = self.clone();
        tokio::spawn(async move {
            let ids = match service.text_matches(&query).await {
                Ok(text_matches) => {
                    service
                        .read_index(|index| {
                            index.event_order(&query, text_matches.as_ref(), &filter, viewer)
                        })
                        .await
                }
                Err(e) => Err(e.into()),
            };
            let ids = match ids {
                Ok(ids) => ids,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            for ids in ids.chunks(chunk.max(1)) {
                let views = service
                    .read_index(|index| index.event_views(ids, viewer))
                    .await;
                let failed = views.is_err();
                if tx.send(views).await.is_err() || failed {
                    return; // The receiver went away.
                }
            }
        });
        rx
    }

    /// A box `[min_lon, min_lat, max_lon, max_lat]` holding every event's footprint as
    /// `viewer` sees it, and the span of their observations; `None` without reports. What the
    /// OGC collection `events` advertises as its extent: the reports' extent (the points
    /// `viewer` sees) grown by the widest uncertainty circle, since footprints reach past
    /// their members' points by their circles. Read from what the index keeps, with no pass
    /// over the events.
    pub fn event_extent(&self, viewer: Viewer) -> Option<Extent> {
        self.read_index_now(|index| index.event_extent(viewer))
    }

    /// One event as `viewer` sees it, with the members the viewer may see listed, core
    /// first; `None` if there is no such event.
    pub async fn event(
        &self,
        id: EventId,
        viewer: Viewer,
    ) -> Result<Option<(EventView, Vec<Report>)>, ServiceError> {
        let found = self
            .read_index(|index| index.event_views(&[id], viewer).pop())
            .await?;
        let Some(found) = found else {
            return Ok(None);
        };
        let ids: Vec<ReportId> = found.core.iter().chain(&found.support).copied().collect();
        let reports = self.get_many(ids, viewer).await?;
        Ok(Some((found, reports)))
    }

    /// The event of each report as `viewer` may know it, with its suggested grade and
    /// independent asserting origins, in the reports' order: for exports.
    pub fn events_of(&self, reports: &[ReportId], viewer: Viewer) -> Vec<Option<ReportEvent>> {
        self.read_index_now(|index| {
            reports
                .iter()
                .map(|report| {
                    let id = index.event_seen_by(report, viewer)?;
                    let summary = index.event_summary(&id)?;
                    Some(ReportEvent {
                        id,
                        grade: summary.grade,
                        asserting_origins: summary.origins.asserting,
                    })
                })
                .collect()
        })
    }

    /// How many events there are.
    pub fn event_count(&self) -> usize {
        self.read_index_now(|index| index.event_count())
    }

    /// The event a report belongs to as `viewer` may know it (see
    /// [`ViewIndex::event_seen_by`]).
    pub fn event_of(&self, report: &ReportId, viewer: Viewer) -> Option<EventId> {
        self.read_index_now(|index| index.event_seen_by(report, viewer))
    }
}

/// A report's event as an export names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportEvent {
    /// The event.
    pub id: EventId,
    /// Its suggested grade.
    pub grade: crate::engine::events::summary::Grade,
    /// Its independent asserting origins.
    pub asserting_origins: usize,
}

/// How far apart, in seconds, two observation intervals may lie and still be possible
/// duplicates: the events' time gap, as events link reports.
fn duplicate_gap_s(settings: &crate::engine::events::EventSettings) -> i64 {
    (settings.gap_h * 3_600.0).floor() as i64
}

/// How many possible duplicates a new report is shown at most.
pub const MAX_DUPLICATES: usize = 10;

/// A stored report that may be the same report as a new one.
#[derive(Debug, Clone)]
pub struct PossibleDuplicate {
    /// The stored report, as the viewer may see it.
    pub report: Report,
    /// Geodesic distance between the two points, metres.
    pub distance_m: f64,
    /// Whether the two share an origin (a source of one folded name): the likeliest
    /// duplicates.
    pub shares_origin: bool,
    /// The stored report's event, as the viewer may know it.
    pub event: Option<EventId>,
}

impl ReportService {
    /// Validates a report as [`ReportService::create`] would (its pin too), without storing
    /// it: for showing possible duplicates before the reporter sends it.
    pub fn check(&self, input: ReportInput) -> Result<Report, ServiceError> {
        let report = input
            .into_report(Origin::Client, None, self.now(), self.gazetteer.as_deref())
            .map_err(ServiceError::Invalid)?;
        self.check_pin(&report, crate::domain::model::EventReview::Auto)?;
        Ok(report)
    }

    /// The stored reports that may be the same report as `report`: of a compatible kind,
    /// their uncertainty circles overlapping its own and their observation intervals within
    /// the events' time gap of its own (`--event-gap-h`, as events link them: two accounts
    /// of one sighting seldom give the same minute); those sharing one of its origins first,
    /// then the nearest.
    pub async fn possible_duplicates(
        &self,
        report: &Report,
        viewer: Viewer,
    ) -> Result<Vec<PossibleDuplicate>, ServiceError> {
        let gap_s = duplicate_gap_s(self.index.read().events().settings());
        let kinds: Vec<Kind> = Kind::ALL
            .iter()
            .copied()
            .filter(|k| crate::engine::events::compatible(*k, report.kind))
            .collect();
        let query = ReportQuery {
            spatial: crate::engine::query::Spatial::Radius {
                lon: report.location.lon,
                lat: report.location.lat,
                radius_m: report.location.uncertainty_m,
                include_uncertain: true,
            },
            filter: crate::engine::query::Filter {
                since: Some(Timestamp(report.observed.from.0.saturating_sub(gap_s))),
                until: Some(Timestamp(report.observed.to.0.saturating_add(gap_s))),
                kinds: Some(kinds),
                ..Default::default()
            },
            page: crate::engine::query::Page {
                limit: 1_000,
                offset: 0,
            },
        };
        let names: Vec<u64> = Testimony::of(&report.sources)
            .keys()
            .iter()
            .map(|k| k.name)
            .collect();
        let mut found: Vec<(bool, f64, ReportId, Option<EventId>)> = {
            let index = self.index.read();
            index
                .query(&query, None, viewer)
                .hits
                .iter()
                .filter(|hit| hit.id != report.id)
                .map(|hit| {
                    let shares = index.events().member(&hit.id).is_some_and(|m| {
                        m.testimony.keys().iter().any(|k| names.contains(&k.name))
                    });
                    let event = index.event_seen_by(&hit.id, viewer);
                    (shares, hit.distance_m.unwrap_or(0.0), hit.id, event)
                })
                .collect()
        };
        found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
        found.truncate(MAX_DUPLICATES);
        let reports = self
            .get_many(found.iter().map(|f| f.2).collect(), viewer)
            .await?;
        Ok(found
            .into_iter()
            .filter_map(|(shares_origin, distance_m, id, event)| {
                let report = reports.iter().find(|r| r.id == id)?.clone();
                Some(PossibleDuplicate {
                    report,
                    distance_m,
                    shares_origin,
                    event,
                })
            })
            .collect())
    }
}
