//! The reports as they stood at a past moment, held in memory and read-only: the store under
//! the service that answers `as_of` queries (see [`crate::engine::service::ReportService::as_of`]).
//! It plays only the reading role ([`ReportReader`]), from the reports rebuilt from the
//! revision history: the past cannot change, so it has nothing to write, and the service over
//! it refuses writes in one place (`engine::service::backing`).

use super::{Change, ReportReader, StoreError};
use crate::domain::model::{IndexRecord, Report, ReportId, Timestamp};
use std::collections::{HashMap, HashSet};

/// The reports of one past moment, in id order.
pub struct PastStore {
    at: Timestamp,
    /// Each report with the version of its revision, sorted by id.
    reports: Vec<(Report, i64)>,
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
            by_id,
            identity: format!("{identity} as of {at}"),
        }
    }

    /// An estimate of the memory the reports take, in bytes.
    pub fn bytes(&self) -> usize {
        self.reports
            .iter()
            .map(|(r, _)| {
                std::mem::size_of::<Report>()
                    + r.description.len()
                    + r.location.text.as_ref().map_or(0, String::len)
                    + r.sources.len() * 128
                    + r.tags.iter().map(|t| t.len() + 24).sum::<usize>()
                    + r.public.as_ref().map_or(0, |_| 256)
            })
            .sum()
    }
}

/// The words of a text as the stores' full-text search reads them: runs of letters and
/// digits, lower-cased.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `words` holds `phrase` as consecutive words.
fn holds(words: &[String], phrase: &[String]) -> bool {
    phrase.is_empty() || words.windows(phrase.len()).any(|w| w == phrase)
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
        let phrases: Vec<Vec<String>> = text.split_whitespace().map(words).collect();
        if phrases.iter().all(Vec::is_empty) {
            return Ok(HashSet::new());
        }
        Ok(self
            .reports
            .iter()
            .filter(|(report, _)| {
                let description = words(&report.description);
                phrases.iter().all(|p| holds(&description, p))
            })
            .map(|(report, _)| report.id)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_matched_as_the_full_text_search_reads_them() {
        let description = words("Drones over eastern Gilan, near Rasht's airport");
        for (query, hit) in [
            ("drones", true),
            ("GILAN", true),
            ("eastern gilan", true),
            ("gilan,", true),
            ("rasht", true),
            ("western", false),
            ("drone", false),
        ] {
            let phrases: Vec<Vec<String>> = query.split_whitespace().map(words).collect();
            assert_eq!(
                phrases.iter().all(|p| holds(&description, p)),
                hit,
                "{query}"
            );
        }
    }
}
