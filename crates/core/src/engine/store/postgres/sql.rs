//! The SQL the store sends: statements built from the column list, parameters bound from
//! [`Value`]s, rows read back through [`StoredRow`], versions taken and notified.

use super::*;

/// The select list of [`columns::REPORT`], JSON as text.
pub(super) static REPORT_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::REPORT, "::text"));
/// The select list of [`columns::INDEX`], JSON as text.
pub(super) static INDEX_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::INDEX, "::text"));

/// Takes `n` versions in the transaction; returns the first. Holds the counter's row lock
/// until the transaction ends, so commits happen in version order.
pub(super) async fn take_versions(
    tx: &tokio_postgres::Transaction<'_>,
    n: i64,
) -> Result<i64, StoreError> {
    let last: i64 = tx
        .query_one(
            "UPDATE sightmap_version SET last = last + $1 RETURNING last",
            &[&n],
        )
        .await?
        .get(0);
    Ok(last - n + 1)
}

pub(super) async fn notify(
    tx: &tokio_postgres::Transaction<'_>,
    version: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &version.to_string()],
    )
    .await?;
    Ok(())
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::internal(super::super::Failure::caused("", e)))
}

/// The parameters of a report's [`columns::WRITE`], in order.
pub(super) fn report_params<'a>(
    values: &'a [Value<'a>],
) -> impl Iterator<Item = &'a (dyn tokio_postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
}

impl Value<'_> {
    /// Calls `f` with the value as the Rust type PostgreSQL binds (the bit set as `integer`).
    fn bound<R>(&self, f: impl FnOnce(&(dyn tokio_postgres::types::ToSql + Sync)) -> R) -> R {
        match self {
            Value::Text(v) => f(v),
            Value::OptText(v) => f(v),
            Value::Owned(v) => f(v),
            Value::OptOwned(v) => f(v),
            Value::Real(v) => f(v),
            Value::OptReal(v) => f(v),
            Value::Int(v) => f(v),
            Value::Bits(v) => f(&i32::from(*v)),
            Value::Bool(v) => f(v),
        }
    }
}

impl tokio_postgres::types::ToSql for Value<'_> {
    /// As [`Self::to_sql_checked`]: the inner value checks its own type.
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.to_sql_checked(ty, out)
    }

    /// Each variant's own type decides (see [`Self::to_sql_checked`]).
    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    /// Checks the parameter's type against the variant's Rust type, as the inner value would.
    fn to_sql_checked(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.bound(|v| v.to_sql_checked(ty, out))
    }
}

/// A placeholder for each of [`columns::WRITE`], numbered from `$2` (`$1` is the id), JSON
/// columns cast.
pub(super) fn write_placeholders() -> Vec<String> {
    columns::WRITE
        .iter()
        .enumerate()
        .map(|(i, c)| match c.is_json() {
            true => format!("${}::text::jsonb", i + 2),
            false => format!("${}", i + 2),
        })
        .collect()
}

/// The parameter after the id and the columns.
pub(super) const NEXT_PARAM: usize = columns::WRITE.len() + 2;

/// Takes the next version in the statement: the counter's row lock lasts until commit.
pub(super) const NEXT_VERSION: &str =
    "WITH v AS (UPDATE sightmap_version SET last = last + 1 RETURNING last)";

/// Selects the changed row's version from CTE `changed`, and notifies followers of it.
pub(super) const RETURN_AND_NOTIFY: &str =
    "SELECT version, pg_notify('sightmap_changes', version::text)::text FROM changed";

/// A CTE that keeps the revision of each row in `changed`: `at`, `by` and the report's JSON
/// are the parameters numbered from `first`.
pub(super) fn revision_cte(action: RevisionAction, first: usize) -> String {
    format!(
        "rev AS (INSERT INTO sightmap_revisions (report_id, version, at, by, action, report) \
         SELECT id, version, ${first}, ${}, '{}', ${}::text::jsonb FROM changed)",
        first + 1,
        action.as_str(),
        first + 2
    )
}

/// One insert with its version as the last parameter, for a batch in a transaction.
pub(super) fn insert_sql() -> String {
    format!(
        "INSERT INTO reports (id, {}, version) VALUES ($1, {}, ${NEXT_PARAM}) ON CONFLICT (id) DO NOTHING",
        columns::names(&columns::WRITE),
        write_placeholders().join(", ")
    )
}

/// One insert that takes its own version and notifies, in one statement (one round trip).
pub(super) fn insert_one_sql() -> String {
    format!(
        "{NEXT_VERSION}, changed AS (INSERT INTO reports (id, {}, version) \
         VALUES ($1, {}, (SELECT last FROM v)) ON CONFLICT (id) DO NOTHING RETURNING id, version), \
         {} {RETURN_AND_NOTIFY}",
        columns::names(&columns::WRITE),
        write_placeholders().join(", "),
        revision_cte(RevisionAction::Created, NEXT_PARAM)
    )
}

/// An update of the report at the expected version (the first parameter after the columns),
/// in one statement, keeping its revision.
pub(super) fn update_sql() -> String {
    let sets: Vec<String> = columns::WRITE
        .iter()
        .zip(write_placeholders())
        .map(|(c, p)| format!("{} = {p}", c.name()))
        .collect();
    format!(
        "{NEXT_VERSION}, changed AS (UPDATE reports SET {}, version = (SELECT last FROM v) \
         WHERE id = $1 AND version = ${NEXT_PARAM} AND deleted_at IS NULL RETURNING id, version), \
         {} {RETURN_AND_NOTIFY}",
        sets.join(", "),
        revision_cte(RevisionAction::Edited, NEXT_PARAM + 1)
    )
}

pub(super) fn parse_word<T: std::str::FromStr>(text: &str, column: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::corrupt(format!("{column}: {e}")))
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    column: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::corrupt(super::super::Failure::caused(column, e)))
}

impl StoredRow for Row {
    columns::stored_cells!(try_get);

    fn id(&self, i: usize) -> Result<ReportId, StoreError> {
        Ok(ReportId(self.try_get(i)?))
    }

    fn text(&self, i: usize) -> Result<&str, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn bits(&self, i: usize) -> Result<u16, StoreError> {
        let bits: i32 = self.try_get(i)?;
        u16::try_from(bits)
            .map_err(|e| StoreError::corrupt(super::super::Failure::caused("source_types", e)))
    }
}
