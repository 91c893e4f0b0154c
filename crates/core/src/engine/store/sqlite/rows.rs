//! Reading SQLite rows: the cells [`StoredRow`] asks for, without allocating where a row can
//! lend, and binding [`Value`]s.

use super::super::StoreError;
use super::super::columns::{self, StoredRow, Value};
use crate::domain::model::{Report, ReportId};

pub(super) fn corrupt(column: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{column}: {e}").into(),
    )
}

/// A report id from a blob column, read without allocating.
pub(super) fn id_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<ReportId> {
    let bytes = row.get_ref(index)?.as_blob().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Blob, e.into())
    })?;
    uuid::Uuid::from_slice(bytes)
        .map(ReportId)
        .map_err(|e| corrupt("id", e))
}

/// A text column, borrowed from the row (no allocation).
pub(super) fn text_ref<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(index)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
    })
}

/// A report from a row of [`REPORT_COLUMNS`], for rusqlite's row closures.
pub(super) fn report_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Report> {
    columns::report_from(row).map_err(|e| corrupt("report", e))
}

impl StoredRow for rusqlite::Row<'_> {
    columns::stored_cells!(get);

    fn id(&self, i: usize) -> Result<ReportId, StoreError> {
        Ok(id_at(self, i)?)
    }

    fn text(&self, i: usize) -> Result<&str, StoreError> {
        Ok(text_ref(self, i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        self.get_ref(i)?.as_str_or_null().map_err(|e| {
            StoreError::corrupt(super::super::Failure::caused(format!("column {i}"), e))
        })
    }

    fn bits(&self, i: usize) -> Result<u16, StoreError> {
        Ok(self.get(i)?)
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(v) => v.to_sql(),
            Value::OptText(v) => v.to_sql(),
            Value::Owned(v) => v.to_sql(),
            Value::OptOwned(v) => v.to_sql(),
            Value::Real(v) => v.to_sql(),
            Value::OptReal(v) => v.to_sql(),
            Value::Int(v) => v.to_sql(),
            Value::Bits(v) => v.to_sql(),
            Value::Bool(v) => v.to_sql(),
        }
    }
}
