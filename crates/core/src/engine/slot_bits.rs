//! One bit per slot of a table (live, private): small enough to stay in cache, so a walk over
//! thousands of slots asks it instead of reading their records.

/// A bit per slot, unset beyond the last one set.
#[derive(Debug, Clone, Default)]
pub struct SlotBits(Vec<u64>);

impl SlotBits {
    /// `len` slots, each set where `on` says so.
    pub fn from_fn(len: usize, mut on: impl FnMut(usize) -> bool) -> Self {
        let mut bits = Self(vec![0; len.div_ceil(64)]);
        for slot in (0..len).filter(|&slot| on(slot)) {
            bits.0[slot / 64] |= 1 << (slot % 64);
        }
        bits
    }

    /// `len` slots, every one set.
    pub fn all(len: usize) -> Self {
        Self(vec![u64::MAX; len.div_ceil(64)])
    }

    /// Makes room for `n` more slots than the bits hold now.
    pub fn reserve(&mut self, n: usize) {
        self.0.reserve(n.div_ceil(64));
    }

    /// Whether a slot's bit is set.
    #[inline]
    pub fn get(&self, slot: usize) -> bool {
        self.0
            .get(slot / 64)
            .is_some_and(|word| word & (1 << (slot % 64)) != 0)
    }

    /// Sets or clears a slot's bit.
    pub fn set(&mut self, slot: usize, on: bool) {
        let word = slot / 64;
        if word >= self.0.len() {
            if !on {
                return;
            }
            self.0.resize(word + 1, 0);
        }
        match on {
            true => self.0[word] |= 1 << (slot % 64),
            false => self.0[word] &= !(1 << (slot % 64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_read_back_as_set() {
        let mut bits = SlotBits::from_fn(130, |slot| slot % 3 == 0);
        assert!((0..130).all(|slot| bits.get(slot) == (slot % 3 == 0)));
        assert!(!bits.get(1_000));
        bits.set(1_000, true);
        bits.set(0, false);
        bits.set(5_000, false);
        assert!(bits.get(1_000) && !bits.get(0) && !bits.get(999) && !bits.get(5_000));
        assert!((0..70).all(|slot| SlotBits::all(70).get(slot)));
    }
}
