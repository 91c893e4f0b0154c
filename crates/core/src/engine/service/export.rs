//! Exports: every matching report, streamed in chunks, from the feature cache when it is
//! warm and from the store otherwise.

use super::*;

/// Where an export has got to.
#[derive(Debug)]
pub struct ExportCursor {
    /// The matching ids, sorted; `None` when every report matches.
    ids: Option<Vec<ReportId>>,
    /// Whether to read the matches by id rather than scan the store.
    by_id: bool,
    /// The index into `ids`, or the store's scan position.
    position: i64,
    chunk: usize,
    /// Who the export is for.
    viewer: Viewer,
}

/// Chunks of serialised features, as an export reads them.
pub type FeatureChunks = tokio::sync::mpsc::Receiver<Result<Vec<Arc<[u8]>>, ServiceError>>;

/// The share of an export's reports the feature cache must hold for the export to be served
/// from it.
const WARM_EXPORT_SHARE: f64 = 0.9;

impl ReportService {
    /// Starts an export of every report matching the query (its page ignored): read it
    /// with [`ReportService::next_chunk`]. Holds the matching ids (16 bytes a report), and one
    /// chunk at a time.
    pub async fn export(
        &self,
        query: &ReportQuery,
        chunk: usize,
        viewer: Viewer,
    ) -> Result<ExportCursor, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let (ids, len) = self
            .read_index(|index| {
                let ids = index.matching_ids(query, text_matches.as_ref(), viewer);
                (ids, index.len())
            })
            .await?;
        // A past moment read through the present is read by id, in id order, as a past
        // rebuilt whole is scanned.
        let (ids, by_id) = match (ids, &self.through) {
            (None, Some(_)) => (Some(self.read_index(|index| index.all_ids()).await?), true),
            (ids, Some(_)) => (ids, true),
            (ids, None) => {
                let by_id = ids.as_ref().is_some_and(|ids| ids.len() < len / 20);
                (ids, by_id)
            }
        };
        Ok(ExportCursor {
            ids,
            by_id,
            position: 0,
            chunk: chunk.max(1),
            viewer,
        })
    }

    /// Runs an export on a task of its own, `ahead` chunks ahead of the receiver, so that
    /// reading the store overlaps with whatever the receiver does with each chunk (writing a
    /// file, serving a download).
    pub fn export_stream(
        self: &Arc<Self>,
        query: ReportQuery,
        chunk: usize,
        ahead: usize,
        viewer: Viewer,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<Report>, ServiceError>> {
        let (tx, rx) = tokio::sync::mpsc::channel(ahead.max(1));
        let service = self.clone();
        tokio::spawn(async move {
            let mut cursor = match service.export(&query, chunk, viewer).await {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            loop {
                let next = service.next_chunk(&mut cursor).await;
                let done = matches!(next, Ok(None) | Err(_));
                let sent = match next {
                    Ok(Some(batch)) => tx.send(Ok(batch)).await,
                    Ok(None) => Ok(()),
                    Err(e) => tx.send(Err(e)).await,
                };
                if done || sent.is_err() {
                    return;
                }
            }
        });
        rx
    }

    /// Starts an export of serialised features when the feature cache holds nearly every
    /// matching report (a server that has been answering queries); `None` otherwise, when
    /// reading the store in its order ([`ReportService::export_stream`]) is faster. Runs on a
    /// task of its own, `ahead` chunks ahead of the receiver; the features come in id order;
    /// the few the cache lacks are read from the store (and not cached: an export must not
    /// evict what queries use).
    pub async fn export_features_stream(
        self: &Arc<Self>,
        query: ReportQuery,
        chunk: usize,
        ahead: usize,
        viewer: Viewer,
        encode: FeatureEncoder,
    ) -> Result<Option<FeatureChunks>, ServiceError> {
        if !self.features.is_enabled() {
            return Ok(None);
        }
        let text_matches = self.text_matches(&query).await?;
        let ids = self
            .read_index(|index| {
                index
                    .matching_ids(&query, text_matches.as_ref(), viewer)
                    .unwrap_or_else(|| index.all_ids())
            })
            .await?;
        if (self.features.len() as f64) < WARM_EXPORT_SHARE * ids.len() as f64 {
            return Ok(None);
        }
        let (tx, rx) = tokio::sync::mpsc::channel(ahead.max(1));
        let service = self.clone();
        tokio::spawn(async move {
            for ids in ids.chunks(chunk.max(1)) {
                let features = service
                    .cached_or_read(ids, false, viewer, encode)
                    .await
                    .map(|f| f.into_iter().flatten().collect());
                let failed = features.is_err();
                if tx.send(features).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Some(rx))
    }

    /// The features of `ids` as `viewer` may see them, in that order, from the cache or else
    /// the store (`None` for a report deleted meanwhile). With `keep`, what is read from the
    /// store is cached, unless a write raced the read or the report is private (the cache
    /// holds only features that every viewer sees alike).
    pub(super) async fn cached_or_read(
        &self,
        ids: &[ReportId],
        keep: bool,
        viewer: Viewer,
        encode: FeatureEncoder,
    ) -> Result<Vec<Option<Arc<[u8]>>>, ServiceError> {
        let mut features: Vec<Option<Arc<[u8]>>> =
            ids.iter().map(|id| self.features.get(id)).collect();
        let missing: Vec<ReportId> = ids
            .iter()
            .zip(&features)
            .filter(|(_, f)| f.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let writes_before = self.features.writes();
            let mut read: HashMap<ReportId, Arc<[u8]>> = self
                .store
                .reader()
                .get_many(missing)
                .await?
                .iter()
                .map(|report| {
                    let json: Arc<[u8]> = encode(&report.seen_by(viewer)).into();
                    if keep && !report.is_private() {
                        self.features.put(report.id, json.clone(), writes_before);
                    }
                    (report.id, json)
                })
                .collect();
            for (id, slot) in ids.iter().zip(features.iter_mut()) {
                if slot.is_none() {
                    *slot = read.remove(id);
                }
            }
        }
        Ok(features)
    }

    /// The next chunk of an export, in storage order (or id order when few reports match);
    /// `None` at the end.
    pub async fn next_chunk(
        &self,
        cursor: &mut ExportCursor,
    ) -> Result<Option<Vec<Report>>, ServiceError> {
        if cursor.by_id {
            // A few matches: read just those.
            let ids = cursor.ids.as_deref().unwrap_or_default();
            let start = cursor.position as usize;
            if start >= ids.len() {
                return Ok(None);
            }
            let end = (start + cursor.chunk).min(ids.len());
            cursor.position = end as i64;
            let reports = self
                .store
                .reader()
                .get_many(ids[start..end].to_vec())
                .await?;
            return Ok(Some(seen_by(reports, cursor.viewer)));
        }
        // Many (or all): one pass over the store in its order, keeping the matches.
        loop {
            let rows = self
                .store
                .reader()
                .scan(cursor.position, cursor.chunk)
                .await?;
            let Some(&(last, _)) = rows.last() else {
                return Ok(None);
            };
            cursor.position = last;
            let reports: Vec<Report> = rows
                .into_iter()
                .map(|(_, r)| r)
                .filter(|r| {
                    cursor
                        .ids
                        .as_ref()
                        .is_none_or(|ids| ids.binary_search(&r.id).is_ok())
                })
                .map(|r| r.into_seen_by(cursor.viewer))
                .collect();
            if !reports.is_empty() {
                return Ok(Some(reports));
            }
        }
    }
}
