//! Each report's GeoJSON Feature, serialised once and kept in memory within a byte budget, so
//! that a page of query results is a copy of bytes instead of a store read and a serialisation
//! per report (about 12 µs a report before; see BENCHMARKS.md).
//!
//! Correctness against writes: every write forgets the report's entry *after* the store has
//! made it durable, and bumps a write counter. A reader notes the counter before it reads the
//! store, and its entries are kept only if no write happened meanwhile; so a read that raced a
//! write can never leave the old version in the cache.

use crate::domain::model::ReportId;
use foldhash::HashMap;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Shards, so that concurrent requests seldom wait on the same lock.
const SHARDS: usize = 16;
/// Bytes an entry costs besides its JSON: map slot, queue slot, reference count.
const ENTRY_OVERHEAD: usize = 80;

/// The serialised features of recently read reports, evicted oldest first beyond the budget.
pub struct FeatureCache {
    shards: Box<[Mutex<Shard>]>,
    budget_per_shard: usize,
    writes: AtomicU64,
}

#[derive(Default)]
struct Shard {
    features: HashMap<ReportId, Arc<[u8]>>,
    /// Insertion order, for eviction; may name ids forgotten since.
    order: VecDeque<ReportId>,
    bytes: usize,
}

impl Shard {
    fn remove(&mut self, id: &ReportId) {
        if let Some(old) = self.features.remove(id) {
            self.bytes -= old.len() + ENTRY_OVERHEAD;
        }
    }
}

impl FeatureCache {
    /// A cache of at most about `budget_bytes`; 0 keeps nothing.
    pub fn new(budget_bytes: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            budget_per_shard: budget_bytes / SHARDS,
            writes: AtomicU64::new(0),
        }
    }

    fn shard(&self, id: &ReportId) -> &Mutex<Shard> {
        // Ids are UUIDs whose last bytes are random.
        let bytes = id.0.as_bytes();
        &self.shards[bytes[15] as usize % SHARDS]
    }

    /// Whether the cache keeps anything.
    pub fn is_enabled(&self) -> bool {
        self.budget_per_shard > 0
    }

    /// The write counter: read it before reading reports from the store, and pass it to
    /// [`FeatureCache::put`].
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// A report's cached feature.
    pub fn get(&self, id: &ReportId) -> Option<Arc<[u8]>> {
        self.shard(id).lock().features.get(id).cloned()
    }

    /// Keeps a report's feature, read from the store after [`FeatureCache::writes`] returned
    /// `writes_before`; dropped if any write happened since.
    pub fn put(&self, id: ReportId, feature: Arc<[u8]>, writes_before: u64) {
        let cost = feature.len() + ENTRY_OVERHEAD;
        if cost > self.budget_per_shard {
            return;
        }
        let mut shard = self.shard(&id).lock();
        // Checked under the shard's lock, which `forget` also takes: a write to this report
        // either bumped the counter before this check, or forgets the entry after it.
        if self.writes.load(Ordering::Acquire) != writes_before {
            return;
        }
        shard.remove(&id);
        shard.features.insert(id, feature);
        shard.order.push_back(id);
        shard.bytes += cost;
        while shard.bytes > self.budget_per_shard {
            let Some(oldest) = shard.order.pop_front() else {
                break;
            };
            shard.remove(&oldest);
        }
        if shard.order.len() > 2 * shard.features.len() + 64 {
            // Forgotten ids pile up in the queue under many writes: drop them.
            let Shard {
                features, order, ..
            } = &mut *shard;
            order.retain(|id| features.contains_key(id));
        }
    }

    /// Forgets a report after a write to it was made durable (or may have been).
    pub fn forget(&self, id: &ReportId) {
        let mut shard = self.shard(id).lock();
        shard.remove(id);
        self.writes.fetch_add(1, Ordering::AcqRel);
    }

    /// How many features are held.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().features.len()).sum()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, with the entries' overhead.
    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ReportId {
        let mut bytes = [0u8; 16];
        bytes[0] = n;
        bytes[15] = n;
        ReportId(uuid::Uuid::from_bytes(bytes))
    }

    fn feature(len: usize) -> Arc<[u8]> {
        vec![b'x'; len].into()
    }

    #[test]
    fn keeps_what_was_put_and_forgets_on_write() {
        let cache = FeatureCache::new(1 << 20);
        let before = cache.writes();
        cache.put(id(1), feature(100), before);
        assert_eq!(cache.get(&id(1)).map(|f| f.len()), Some(100));
        cache.forget(&id(1));
        assert!(cache.get(&id(1)).is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_read_that_raced_a_write_is_not_kept() {
        let cache = FeatureCache::new(1 << 20);
        let before = cache.writes();
        // A write to any report lands between the read of the store and the put.
        cache.forget(&id(2));
        cache.put(id(1), feature(100), before);
        assert!(cache.get(&id(1)).is_none());
        cache.put(id(1), feature(100), cache.writes());
        assert!(cache.get(&id(1)).is_some());
    }

    #[test]
    fn stays_within_its_budget_evicting_the_oldest() {
        // 16 shards of 1,000 bytes; ids 0, 16, 32… share shard 0.
        let cache = FeatureCache::new(16 * 1000);
        let w = cache.writes();
        for n in [0u8, 16, 32, 48, 64] {
            cache.put(id(n), feature(300), w);
        }
        // 380 bytes each: two fit in 1,000.
        assert!(cache.bytes() <= 1000);
        assert!(cache.get(&id(64)).is_some() && cache.get(&id(48)).is_some());
        assert!(cache.get(&id(0)).is_none());
    }

    #[test]
    fn a_zero_budget_keeps_nothing() {
        let cache = FeatureCache::new(0);
        assert!(!cache.is_enabled());
        cache.put(id(1), feature(10), cache.writes());
        assert!(cache.get(&id(1)).is_none());
    }
}
