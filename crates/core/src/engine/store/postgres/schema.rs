//! The PostgreSQL schema and its migrations, applied under an advisory lock when a store opens.

use super::*;

/// The schema this code writes; bumped with every migration.
pub(super) const SCHEMA_VERSION: i64 = 3;

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
CREATE INDEX IF NOT EXISTS reports_text ON reports
    USING gin (to_tsvector('simple', description)) WHERE deleted_at IS NULL;
";

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
    if let Some(v) = existing.and_then(|v| v.parse::<i64>().ok())
        && v > SCHEMA_VERSION
    {
        return Err(StoreError::corrupt(format!(
            "the database has sightmap schema version {v}, newer than this sightmap ({SCHEMA_VERSION}); upgrade sightmap"
        )));
    }
    tx.batch_execute(SCHEMA).await?;
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
