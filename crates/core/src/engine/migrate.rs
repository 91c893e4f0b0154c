//! `sightmap migrate-store`: copies every live report from one store to another (the embedded
//! store and PostgreSQL/PostGIS, either way), in batches, then checks that the target holds
//! every report of the source.

use crate::engine::store::{Inserted, Store, StoreError};

/// Reports read and written at a time.
pub const BATCH: usize = 5_000;

/// What a migration did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    /// Live reports in the source.
    pub source: u64,
    /// Copied now.
    pub copied: u64,
    /// Already in the target with the same id (a migration run again), left as they were.
    pub already_there: u64,
}

/// Why a migration failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target does not hold every report of the source afterwards.
    #[error(
        "the target lacks {missing} of the source's {source_count} reports after the copy (were they deleted there meanwhile?)"
    )]
    Incomplete {
        /// Reports of the source not found in the target.
        missing: u64,
        /// Live reports in the source.
        source_count: u64,
    },
}

/// Copies every live report of `from` into `to`, calling `progress` with the number done after
/// each batch; reports whose id the target holds already are left alone. Then checks, by id,
/// that the target holds every report of the source.
pub async fn migrate(
    from: &dyn Store,
    to: &dyn Store,
    mut progress: impl FnMut(u64),
) -> Result<Moved, MigrateError> {
    let mut moved = Moved {
        source: from.count().await?,
        ..Moved::default()
    };
    let mut after = 0;
    let mut missing = 0;
    loop {
        let batch = from.scan(after, BATCH).await?;
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        after = last;
        let reports: Vec<_> = batch.into_iter().map(|(_, r)| r).collect();
        let ids: Vec<_> = reports.iter().map(|r| r.id).collect();
        for outcome in to.insert(reports, "migrate-store").await? {
            match outcome {
                Inserted::New(_) => moved.copied += 1,
                Inserted::AlreadyExists => moved.already_there += 1,
            }
        }
        let wanted = ids.len();
        missing += (wanted - to.get_many(ids).await?.len()) as u64;
        progress(moved.copied + moved.already_there);
    }
    if missing > 0 || moved.copied + moved.already_there != moved.source {
        return Err(MigrateError::Incomplete {
            missing: missing.max(
                moved
                    .source
                    .saturating_sub(moved.copied + moved.already_there),
            ),
            source_count: moved.source,
        });
    }
    Ok(moved)
}
