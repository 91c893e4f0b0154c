//! The PostgreSQL schema and its migrations, applied under an advisory lock when a store opens.

use super::*;

/// The schema this code writes; bumped with every migration.
pub(super) const SCHEMA_VERSION: i64 = 4;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sightmap_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS sightmap_version (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    last bigint NOT NULL
);
INSERT INTO sightmap_version (one, last) VALUES (true, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS reports (
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            uuid PRIMARY KEY,
    version       bigint NOT NULL,
    kind          text NOT NULL,
    description   text NOT NULL,
    location_text text,
    lon           double precision NOT NULL,
    lat           double precision NOT NULL,
    geog          geography(Point, 4326)
                  GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED,
    precision     text NOT NULL,
    uncertainty_m double precision NOT NULL,
    province      text,
    country       text,
    location_ambiguous boolean NOT NULL DEFAULT false,
    border_distance_m double precision,
    border_country text,
    coast_distance_m double precision,
    in_sea        boolean NOT NULL DEFAULT false,
    observed_from bigint NOT NULL,
    observed_to   bigint NOT NULL,
    sources       jsonb NOT NULL,
    source_types  integer NOT NULL,
    status        text NOT NULL,
    tags          jsonb NOT NULL,
    reported_at   bigint NOT NULL,
    updated_at    bigint NOT NULL,
    deleted_at    bigint
);
-- Version 2: the public view of a private location.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS public_view jsonb;
-- Version 3: a reviewer's correction of the report's event.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS event_review text NOT NULL DEFAULT 'auto';
-- Version 4: the description's search words (domain::text::searchable_words), written by
-- sightmap, indexed below in place of the description (filled in by `fill_search_words`).
ALTER TABLE reports ADD COLUMN IF NOT EXISTS search_words text NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS sightmap_revisions (
    report_id uuid NOT NULL,
    version   bigint NOT NULL,
    at        bigint NOT NULL,
    by        text NOT NULL,
    action    text NOT NULL,
    report    jsonb,
    PRIMARY KEY (report_id, version)
);
CREATE TABLE IF NOT EXISTS sightmap_tokens (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    role       text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    revoked_at bigint
);
CREATE UNIQUE INDEX IF NOT EXISTS reports_version ON reports (version);
CREATE INDEX IF NOT EXISTS reports_geog ON reports USING gist (geog);
CREATE INDEX IF NOT EXISTS reports_touched
    ON reports ((greatest(reported_at, updated_at, coalesce(deleted_at, 0))));
";

/// The full-text index, made once the search words are in: the 'simple' configuration only
/// splits them on their spaces and keeps each word as it is (sightmap folded them).
const TEXT_INDEX: &str = "
DROP INDEX IF EXISTS reports_text;
CREATE INDEX IF NOT EXISTS reports_words ON reports
    USING gin (to_tsvector('simple', search_words)) WHERE deleted_at IS NULL;
";

/// Rows given their search words at a time while the schema is upgraded to 4.
const FILL_BATCH: i64 = 10_000;

/// Version 4: gives every row its search words, written from its description here as every
/// write writes them, a batch of rows at a time (in the upgrade's transaction), before the
/// index on them is made.
async fn fill_search_words(tx: &tokio_postgres::Transaction<'_>) -> Result<(), StoreError> {
    tx.batch_execute("DROP INDEX IF EXISTS reports_text")
        .await?;
    let read = tx
        .prepare("SELECT seq, description FROM reports WHERE seq > $1 ORDER BY seq LIMIT $2")
        .await?;
    let write = tx
        .prepare(
            "UPDATE reports AS r SET search_words = u.words \
             FROM unnest($1::bigint[], $2::text[]) AS u(seq, words) WHERE r.seq = u.seq",
        )
        .await?;
    let mut after = i64::MIN;
    loop {
        let rows = tx.query(&read, &[&after, &FILL_BATCH]).await?;
        let mut seqs = Vec::with_capacity(rows.len());
        let mut words = Vec::with_capacity(rows.len());
        for row in &rows {
            seqs.push(row.try_get::<_, i64>(0)?);
            words.push(crate::domain::text::searchable_words(row.try_get(1)?));
        }
        if !seqs.is_empty() {
            tx.execute(&write, &[&seqs, &words]).await?;
        }
        match seqs.last() {
            Some(&last) if rows.len() as i64 == FILL_BATCH => after = last,
            _ => return Ok(()),
        }
    }
}

/// Creates or upgrades the schema under an advisory lock (instances may start together);
/// returns the store's identity and whether the schema was created now.
pub(super) async fn upgrade_schema(
    client: &mut deadpool_postgres::Object,
) -> Result<(String, bool), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(7235926101)", &[])
        .await?;
    let has_postgis: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')",
            &[],
        )
        .await?
        .get(0);
    if !has_postgis {
        tx.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis")
            .await
            .map_err(|e| {
                StoreError::unavailable(format!(
                    "PostGIS is not installed in this database and cannot be created here ({e}); \
                     run CREATE EXTENSION postgis as its owner"
                ))
            })?;
    }
    let has_meta: bool = tx
        .query_one("SELECT to_regclass('sightmap_meta') IS NOT NULL", &[])
        .await?
        .get(0);
    let existing: Option<String> = match has_meta {
        true => tx
            .query_opt(
                "SELECT value FROM sightmap_meta WHERE key = 'schema_version'",
                &[],
            )
            .await?
            .map(|r| r.get(0)),
        false => None,
    };
    let existing = existing.and_then(|v| v.parse::<i64>().ok());
    if let Some(v) = existing
        && v > SCHEMA_VERSION
    {
        return Err(StoreError::corrupt(format!(
            "the database has sightmap schema version {v}, newer than this sightmap ({SCHEMA_VERSION}); upgrade sightmap"
        )));
    }
    tx.batch_execute(SCHEMA).await?;
    // A new schema's table is empty: filling it costs nothing.
    if existing.is_none_or(|v| v < 4) {
        fill_search_words(&tx).await?;
    }
    tx.batch_execute(TEXT_INDEX).await?;
    tx.execute(
        "INSERT INTO sightmap_meta (key, value) VALUES ('schema_version', $1) \
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&SCHEMA_VERSION.to_string()],
    )
    .await?;
    let created = tx
        .execute(
            "INSERT INTO sightmap_meta (key, value) VALUES ('store_id', $1) ON CONFLICT DO NOTHING",
            &[&uuid::Uuid::now_v7().to_string()],
        )
        .await?
        == 1;
    let identity = tx
        .query_one(
            "SELECT value FROM sightmap_meta WHERE key = 'store_id'",
            &[],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok((identity, created))
}
