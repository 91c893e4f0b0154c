//! Queries: the index finds the page, the store (or the feature cache) supplies it.

use super::*;

/// Reports read at a time while a predicate decides on them.
const FILTER_BATCH: usize = 5_000;

impl ReportService {
    /// The ids whose description has every word of the query's `q`, found by the store;
    /// `None` when the query has no `q`.
    pub(super) async fn text_matches(
        &self,
        query: &ReportQuery,
    ) -> Result<Option<std::collections::HashSet<ReportId>>, StoreError> {
        match &query.filter.text {
            Some(words) => Ok(Some(
                self.store
                    .reader()
                    .text_matches(words.clone())
                    .await
                    .map_err(|e| e.during("matching text"))?,
            )),
            None => Ok(None),
        }
    }

    /// Calls `f` with every report matching the query's place and filters (paging ignored),
    /// as the index knows them and `viewer` may see them, while holding the index: for map
    /// layers drawn from many reports, which need no report text.
    pub async fn with_matches<R>(
        &self,
        query: &ReportQuery,
        viewer: Viewer,
        f: impl FnOnce(&[MapPoint<'_>]) -> R,
    ) -> Result<R, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let f = parking_lot::Mutex::new(Some(f));
        self.read_index(|index| {
            let f = f.lock().take()?;
            Some(f(&index.matches(query, text_matches.as_ref(), viewer)))
        })
        .await?
        .ok_or_else(|| StoreError::internal("a map layer was drawn twice").into())
    }

    /// Answers a query with one page of serialised features: from the feature cache where it
    /// has them, else read from the store (and cached unless a write raced the read).
    pub async fn query_features(
        &self,
        query: &ReportQuery,
        viewer: Viewer,
        encode: FeatureEncoder,
    ) -> Result<JsonFeaturePage, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let (answer, events) = self
            .read_index(|index| {
                let answer = index.query(query, text_matches.as_ref(), viewer);
                let events: Vec<Option<EventId>> = answer
                    .hits
                    .iter()
                    .map(|hit| index.event_seen_by(&hit.id, viewer))
                    .collect();
                (answer, events)
            })
            .await?;
        let ids: Vec<ReportId> = answer.hits.iter().map(|hit| hit.id).collect();
        let features = self.cached_or_read(&ids, true, viewer, encode).await?;
        // Reports deleted since the index answered are missing: left out.
        let features = answer
            .hits
            .iter()
            .zip(features)
            .zip(events)
            .filter_map(|((hit, json), event)| json.map(|json| (json, hit.distance_m, event)))
            .collect();
        Ok(JsonFeaturePage {
            matched: answer.matched,
            features,
        })
    }

    /// Answers a query with one page of reports, as `viewer` may see them.
    pub async fn query(
        &self,
        query: &ReportQuery,
        viewer: Viewer,
    ) -> Result<ReportPage, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let answer = self
            .read_index(|index| index.query(query, text_matches.as_ref(), viewer))
            .await?;
        let ids = answer.hits.iter().map(|h| h.id).collect();
        let reports = self.get_many(ids, viewer).await?;
        // Reports deleted since the index answered are missing from `reports`: walk both in step.
        let mut hits = answer.hits.iter();
        let mut found = Vec::with_capacity(reports.len());
        for report in reports {
            for hit in hits.by_ref() {
                if hit.id == report.id {
                    found.push(RankedReport {
                        distance_m: hit.distance_m,
                        report,
                    });
                    break;
                }
            }
        }
        Ok(ReportPage {
            matched: answer.matched,
            reports: found,
        })
    }

    /// Like [`Self::query`], with a predicate that decides on each report the index leaves
    /// (a compiled CQL2 filter): the index narrows by place, time and the report filters, the
    /// predicate reads every candidate, and the page is taken newest first.
    pub async fn query_where(
        &self,
        query: &ReportQuery,
        keep: impl Fn(&Report) -> bool,
        viewer: Viewer,
    ) -> Result<ReportPage, ServiceError> {
        let mut ids: Vec<ReportId> = Vec::new();
        let mut cursor = self.export(query, FILTER_BATCH, viewer).await?;
        while let Some(batch) = self.next_chunk(&mut cursor).await? {
            ids.extend(batch.iter().filter(|r| keep(r)).map(|r| r.id));
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let matched = ids.len();
        let page: Vec<ReportId> = ids
            .into_iter()
            .skip(query.page.offset)
            .take(query.page.limit)
            .collect();
        let reports = self
            .get_many(page, viewer)
            .await?
            .into_iter()
            .map(|report| RankedReport {
                report,
                distance_m: None,
            })
            .collect();
        Ok(ReportPage { matched, reports })
    }
}

impl ReportService {
    /// What the index keeps up to date of the live reports as the public sees them (how many,
    /// how many with an uncertainty circle, a box holding them): read without a pass over
    /// them, for the layer catalogue.
    pub fn figures(&self) -> crate::engine::index::IndexFigures {
        self.read_index_now(|index| index.figures())
    }
}
