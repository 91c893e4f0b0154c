//! Timelines: what the index knows of the matching reports' or events' times, for
//! [`crate::engine::timeline`] to count.

use super::*;
use crate::engine::index::EventFilter;
use crate::engine::timeline::Observed;

/// What a timeline counts.
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineOf {
    /// Reports, by status.
    Reports,
    /// Events, by suggested grade, filtered by grade and origins.
    Events(EventFilter),
}

impl ReportService {
    /// The observation time and category of every report (by status) or event (by
    /// suggested grade) matching the query's place and filters, as `viewer` sees them, from
    /// the index alone.
    pub async fn observed(
        &self,
        query: &ReportQuery,
        of: &TimelineOf,
        viewer: Viewer,
    ) -> Result<Vec<Observed>, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        self.read_index(|index| match of {
            TimelineOf::Reports => index.observed_reports(query, text_matches.as_ref(), viewer),
            TimelineOf::Events(filter) => {
                index.observed_events(query, text_matches.as_ref(), filter, viewer)
            }
        })
        .await
    }
}
