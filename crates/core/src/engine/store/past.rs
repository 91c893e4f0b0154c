//! The reports as they stood at a past moment, held in memory and read-only: the store under
//! the service that answers `as_of` queries (see [`crate::engine::service::ReportService::as_of`]).
//! It plays only the reading role ([`ReportReader`]), from the reports rebuilt from the
//! revision history: the past cannot change, so it has nothing to write, and the service over
//! it refuses writes in one place (`engine::service::backing`).

use super::{Change, ReportReader, StoreError};
use crate::domain::model::{IndexRecord, Report, ReportId, Timestamp};
use crate::domain::text;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The reports of one past moment, in id order.
pub struct PastStore {
    at: Timestamp,
    /// Each report with the version of its revision, sorted by id.
    reports: Vec<(Report, i64)>,
    /// Each report's [`text::searchable_words`], in the same order (what the stores index),
    /// made at the first text query.
    words: OnceLock<Vec<String>>,
    by_id: HashMap<ReportId, usize>,
    identity: String,
}

impl PastStore {
    /// The store of the reports as they stood at `at` (as a public answer must show them:
    /// see [`crate::engine::service::ReportService::as_of`]).
    pub fn new(at: Timestamp, identity: &str, mut reports: Vec<(Report, i64)>) -> Self {
        reports.sort_unstable_by_key(|(r, _)| r.id);
        let by_id = reports
            .iter()
            .enumerate()
            .map(|(i, (r, _))| (r.id, i))
            .collect();
        Self {
            at,
            reports,
            words: OnceLock::new(),
            by_id,
            identity: format!("{identity} as of {at}"),
        }
    }

    /// An estimate of the memory the reports take, in bytes.
    pub fn bytes(&self) -> usize {
        self.reports
            .iter()
            .map(|(r, _)| {
                // The description, and its search words once a text query made them (about
                // as long).
                std::mem::size_of::<Report>()
                    + 2 * r.description.len()
                    + std::mem::size_of::<String>()
                    + r.location.text.as_ref().map_or(0, String::len)
                    + r.sources.len() * 128
                    + r.tags.iter().map(|t| t.len() + 24).sum::<usize>()
                    + r.public.as_ref().map_or(0, |_| 256)
            })
            .sum()
    }
}

#[async_trait::async_trait]
impl ReportReader for PastStore {
    async fn get(&self, id: ReportId) -> Result<Option<(Report, i64)>, StoreError> {
        Ok(self.by_id.get(&id).map(|&i| self.reports[i].clone()))
    }

    async fn get_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError> {
        Ok(ids
            .iter()
            .filter_map(|id| self.by_id.get(id).map(|&i| self.reports[i].0.clone()))
            .collect())
    }

    async fn scan(&self, after: i64, limit: usize) -> Result<Vec<(i64, Report)>, StoreError> {
        let start = usize::try_from(after).unwrap_or(0);
        Ok(self
            .reports
            .iter()
            .enumerate()
            .skip(start)
            .take(limit)
            .map(|(i, (report, _))| (i as i64 + 1, report.clone()))
            .collect())
    }

    async fn text_matches(&self, text: String) -> Result<HashSet<ReportId>, StoreError> {
        // The stores' match, on the same words: see `text::matches`.
        let phrases = text::query_phrases(&text);
        if phrases.is_empty() {
            return Ok(HashSet::new());
        }
        let words = self.words.get_or_init(|| {
            self.reports
                .iter()
                .map(|(r, _)| text::searchable_words(&r.description))
                .collect()
        });
        Ok(self
            .reports
            .iter()
            .zip(words)
            .filter(|(_, words)| text::matches(words, &phrases))
            .map(|((report, _), _)| report.id)
            .collect())
    }

    async fn index_records(&self) -> Result<Vec<IndexRecord>, StoreError> {
        Ok(self
            .reports
            .iter()
            .map(|(report, version)| IndexRecord::of(report, *version))
            .collect())
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    async fn last_version(&self) -> Result<i64, StoreError> {
        Ok(self.reports.iter().map(|(_, v)| *v).max().unwrap_or(0))
    }

    async fn changes_since(&self, _: i64, _: usize) -> Result<Vec<Change>, StoreError> {
        Ok(Vec::new())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        Ok(self.reports.len() as u64)
    }

    fn describe(&self) -> String {
        format!(
            "the reports as of {}, rebuilt from the revision history",
            self.at
        )
    }
}
