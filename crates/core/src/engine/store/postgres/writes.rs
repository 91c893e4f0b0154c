//! Writing reports: each write takes its versions from the counter and notifies the other
//! instances in the same transaction.

use super::*;

#[async_trait::async_trait]
impl ReportWriter for PostgresStore {
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError> {
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        let values = reports
            .iter()
            .map(columns::write_values)
            .collect::<Result<Vec<_>, _>>()?;
        let kept = reports.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
        let mut client = self.client().await?;
        if let ([report], [values], [kept]) =
            (reports.as_slice(), values.as_slice(), kept.as_slice())
        {
            let statement = client.prepare_cached(&insert_one_sql()).await?;
            let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&report.id.0];
            params.extend(report_params(values));
            params.extend([
                &report.reported_at.0 as &(dyn tokio_postgres::types::ToSql + Sync),
                &by,
                kept,
            ]);
            return Ok(vec![match client.query_opt(&statement, &params).await? {
                Some(row) => Inserted::New(row.try_get(0)?),
                None => Inserted::AlreadyExists,
            }]);
        }
        let statement = client.prepare_cached(&insert_sql()).await?;
        let tx = client.transaction().await?;
        let first = take_versions(&tx, reports.len() as i64).await?;
        let versions: Vec<i64> = (first..first + reports.len() as i64).collect();
        // Sent together: tokio-postgres pipelines the statements on the connection.
        let inserted =
            futures_util::future::try_join_all(reports.iter().zip(&values).zip(&versions).map(
                |((r, v), version)| {
                    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&r.id.0];
                    params.extend(report_params(v));
                    params.push(version);
                    let statement = &statement;
                    let tx = &tx;
                    async move { tx.execute(statement, &params).await }
                },
            ))
            .await?;
        let revision = tx
            .prepare_cached(
                "INSERT INTO sightmap_revisions (report_id, version, at, by, action, report) \
                 VALUES ($1, $2, $3, $4, 'created', $5::text::jsonb)",
            )
            .await?;
        futures_util::future::try_join_all(
            reports
                .iter()
                .zip(&kept)
                .zip(&versions)
                .zip(&inserted)
                .filter(|(_, n)| **n == 1)
                .map(|(((r, json), version), _)| {
                    let (tx, revision) = (&tx, &revision);
                    async move {
                        tx.execute(revision, &[&r.id.0, version, &r.reported_at.0, &by, json])
                            .await
                    }
                }),
        )
        .await?;
        notify(&tx, first + reports.len() as i64 - 1).await?;
        tx.commit().await?;
        Ok(inserted
            .iter()
            .zip(versions)
            .map(|(&n, version)| match n {
                1 => Inserted::New(version),
                _ => Inserted::AlreadyExists,
            })
            .collect())
    }

    async fn update(
        &self,
        report: Report,
        expected_version: i64,
        by: &str,
    ) -> Result<Option<i64>, StoreError> {
        let values = columns::write_values(&report)?;
        let kept = to_json(&report)?;
        let client = self.client().await?;
        let statement = client.prepare_cached(&update_sql()).await?;
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&report.id.0];
        params.extend(report_params(&values));
        params.extend([
            &expected_version as &(dyn tokio_postgres::types::ToSql + Sync),
            &report.updated_at.0,
            &by,
            &kept,
        ]);
        if let Some(row) = client.query_opt(&statement, &params).await? {
            return Ok(Some(row.try_get(0)?));
        }
        let live: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM reports WHERE id = $1 AND deleted_at IS NULL)",
                &[&report.id.0],
            )
            .await?
            .get(0);
        match live {
            true => Err(StoreError::Conflict(report.id)),
            false => Ok(None),
        }
    }

    async fn delete(
        &self,
        id: ReportId,
        at: Timestamp,
        by: &str,
    ) -> Result<Option<i64>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "{NEXT_VERSION}, changed AS (UPDATE reports SET deleted_at = $2, \
                 version = (SELECT last FROM v) WHERE id = $1 AND deleted_at IS NULL RETURNING id, version), \
                 rev AS (INSERT INTO sightmap_revisions (report_id, version, at, by, action) \
                 SELECT id, version, $2, $3, 'deleted' FROM changed) {RETURN_AND_NOTIFY}"
            ))
            .await?;
        match client.query_opt(&statement, &[&id.0, &at.0, &by]).await? {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }

    async fn set_relations(&self, relations: Vec<(ReportId, Relation)>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let statement = tx
            .prepare(
                "UPDATE reports SET border_distance_m = $2, border_country = $3, coast_distance_m = $4, \
                 in_sea = $5 WHERE id = $1",
            )
            .await?;
        for (id, r) in &relations {
            tx.execute(
                &statement,
                &[
                    &id.0,
                    &r.border_distance_m,
                    &r.border_country,
                    &r.coast_distance_m,
                    &r.in_sea,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
