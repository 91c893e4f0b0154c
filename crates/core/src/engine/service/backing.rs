//! What a service reads from and writes to: the live store, which plays every role, or the
//! reports of a past moment, which can only be read. Reads go through [`Backing::reader`];
//! writes, history and tokens through [`Backing::live`], which refuses them for the past in
//! this one place.

use crate::engine::store::{ReportReader, Store, StoreError};
use std::sync::Arc;

/// The store under a service.
#[derive(Clone)]
pub(super) enum Backing {
    /// The live store.
    Live(Arc<dyn Store>),
    /// A past moment's reports (see [`crate::engine::store::past::PastStore`]): read only.
    Past(Arc<dyn ReportReader>),
}

impl Backing {
    /// The store's reading role.
    pub(super) fn reader(&self) -> &dyn ReportReader {
        match self {
            Backing::Live(store) => store.as_ref(),
            Backing::Past(reader) => reader.as_ref(),
        }
    }

    /// The live store, for writes, history and tokens; the past refuses them.
    pub(super) fn live(&self) -> Result<&Arc<dyn Store>, StoreError> {
        match self {
            Backing::Live(store) => Ok(store),
            Backing::Past(reader) => Err(StoreError::unavailable(format!(
                "{} is a record of the past and cannot be written",
                reader.describe()
            ))),
        }
    }
}
