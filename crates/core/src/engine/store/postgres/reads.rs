//! Reading live reports, the index's records and the changes since a version.

use super::*;

#[async_trait::async_trait]
impl ReportReader for PostgresStore {
    async fn get(&self, id: ReportId) -> Result<Option<(Report, i64)>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {}, version FROM reports WHERE id = $1 AND deleted_at IS NULL",
                *REPORT_COLUMNS
            ))
            .await?;
        match client.query_opt(&statement, &[&id.0]).await? {
            Some(row) => Ok(Some((
                columns::report_from(&row)?,
                row.try_get(columns::REPORT.len())?,
            ))),
            None => Ok(None),
        }
    }

    async fn get_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {} FROM reports WHERE id = ANY($1) AND deleted_at IS NULL",
                *REPORT_COLUMNS
            ))
            .await?;
        let wanted: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        let mut found: HashMap<ReportId, Report> = client
            .query(&statement, &[&wanted])
            .await?
            .iter()
            .map(|row| columns::report_from(row).map(|r| (r.id, r)))
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn scan(&self, after: i64, limit: usize) -> Result<Vec<(i64, Report)>, StoreError> {
        self.rows_after(
            &format!(
                "SELECT {}, seq FROM reports WHERE seq > $1 AND deleted_at IS NULL \
                 ORDER BY seq LIMIT $2",
                *REPORT_COLUMNS
            ),
            after,
            limit,
        )
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get(columns::REPORT.len())?,
                columns::report_from(row)?,
            ))
        })
        .collect()
    }

    async fn text_matches(&self, words: String) -> Result<HashSet<ReportId>, StoreError> {
        // Every phrase of the query's search words must appear in the row's, as with the
        // embedded store: the 'simple' configuration splits both on their spaces alike (see
        // `text::matches`).
        let phrases: Vec<String> = crate::domain::text::query_phrases(&words)
            .iter()
            .map(|phrase| phrase.join(" "))
            .collect();
        if phrases.is_empty() {
            return Ok(HashSet::new());
        }
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id FROM reports WHERE deleted_at IS NULL \
                 AND to_tsvector('simple', search_words) @@ \
                 ALL (SELECT phraseto_tsquery('simple', p) FROM unnest($1::text[]) AS p)",
                &[&phrases],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(ReportId(row.try_get(0)?)))
            .collect()
    }

    async fn index_records(&self) -> Result<Vec<IndexRecord>, StoreError> {
        let client = self.client().await?;
        let count: i64 = client
            .query_one("SELECT count(*) FROM reports WHERE deleted_at IS NULL", &[])
            .await?
            .get(0);
        let rows = client
            .query_raw(
                &format!(
                    "SELECT {} FROM reports WHERE deleted_at IS NULL ORDER BY seq",
                    *INDEX_COLUMNS
                ),
                std::iter::empty::<i64>(),
            )
            .await?;
        let mut records = Vec::with_capacity(count.clamp(0, 1 << 24) as usize);
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await? {
            records.push(columns::index_record_from(&row)?);
        }
        Ok(records)
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    async fn last_version(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_one("SELECT last FROM sightmap_version", &[])
            .await?
            .get(0))
    }

    async fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.rows_after(
            &format!(
                "SELECT {}, deleted_at IS NOT NULL FROM reports WHERE version > $1 \
                 ORDER BY version LIMIT $2",
                *INDEX_COLUMNS
            ),
            after,
            limit,
        )
        .await?
        .iter()
        .map(|row| {
            Ok(match row.try_get::<_, bool>(columns::INDEX.len())? {
                true => Change::Removed {
                    id: ReportId(row.try_get(0)?),
                    version: row.try_get(1)?,
                },
                false => Change::Upserted(columns::index_record_from(row)?),
            })
        })
        .collect()
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM reports WHERE deleted_at IS NULL", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn subscribe(&self) -> Result<Option<Subscription>, StoreError> {
        self.listen().await.map(Some)
    }
}
