//! Revisions, the past, and access tokens.

use super::*;

#[async_trait::async_trait]
impl HistoryStore for PostgresStore {
    async fn reports_as_of(&self, at: Timestamp) -> Result<Vec<PastReport>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT r.version, r.report::text, \
                   (SELECT l.report::text FROM sightmap_revisions l \
                     WHERE l.report_id = r.report_id AND l.version > r.version \
                       AND l.report->'public' IS NOT NULL \
                     ORDER BY l.version DESC LIMIT 1) \
                 FROM (SELECT DISTINCT ON (report_id) report_id, version, report \
                       FROM sightmap_revisions WHERE at <= $1 \
                       ORDER BY report_id, version DESC) AS r \
                 WHERE r.report IS NOT NULL",
                &[&at.0],
            )
            .await?;
        let raw = rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Parsed as SQLite's are, on two cores, off the async threads.
        tokio::task::spawn_blocking(move || super::super::past_reports(raw))
            .await
            .map_err(|e| {
                StoreError::internal(super::super::Failure::caused("reading the past failed", e))
            })?
    }

    async fn changed_since(&self, at: Timestamp) -> Result<Vec<ReportId>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT id FROM reports \
                 WHERE greatest(reported_at, updated_at, coalesce(deleted_at, 0)) > $1",
                &[&at.0],
            )
            .await?
            .iter()
            .map(|row| Ok(ReportId(row.try_get(0)?)))
            .collect()
    }

    async fn history(&self, id: ReportId) -> Result<Vec<Revision>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT version, at, by, action, report::text FROM sightmap_revisions \
                 WHERE report_id = $1 ORDER BY version",
                &[&id.0],
            )
            .await?
            .iter()
            .map(|row| {
                let report: Option<&str> = row.try_get(4)?;
                Ok(Revision {
                    version: row.try_get(0)?,
                    at: Timestamp(row.try_get(1)?),
                    by: row.try_get(2)?,
                    action: super::super::revision_action(row.try_get(3)?)?,
                    report: report.map(|r| parse_json(r, "revision")).transpose()?,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl TokenStore for PostgresStore {
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT id, name, role, hash, created_at, revoked_at FROM sightmap_tokens \
                 ORDER BY created_at, id",
                &[],
            )
            .await?
            .iter()
            .map(|row| {
                let hash: Vec<u8> = row.try_get(3)?;
                Ok(TokenRecord {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    role: parse_word(row.try_get(2)?, "role")?,
                    hash: hash
                        .try_into()
                        .map_err(|_| StoreError::corrupt("token hash is not 32 bytes"))?,
                    created_at: Timestamp(row.try_get(4)?),
                    revoked_at: row.try_get::<_, Option<i64>>(5)?.map(Timestamp),
                })
            })
            .collect()
    }

    async fn add_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO sightmap_tokens (id, name, role, hash, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &token.id,
                    &token.name,
                    &token.role.as_str(),
                    &token.hash.as_slice(),
                    &token.created_at.0,
                    &token.revoked_at.map(|r| r.0),
                ],
            )
            .await?;
        Ok(())
    }

    async fn revoke_token(&self, id: uuid::Uuid, at: Timestamp) -> Result<bool, StoreError> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "UPDATE sightmap_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &at.0],
            )
            .await?
            == 1)
    }
}
