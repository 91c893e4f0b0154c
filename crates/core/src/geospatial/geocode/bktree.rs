//! A BK-tree (Burkhard and Keller, 1973) over the name index's loose keys, for "did you
//! mean": every key within a few edits of an unknown word, without comparing it with every
//! key.
//!
//! Each node holds a key; its children hang off it by their Levenshtein distance from it.
//! By the triangle inequality, a key within `r` of the query lies under a child whose edge
//! `e` satisfies `|d - e| <= r`, where `d` is the query's distance from the node, so every
//! other subtree is skipped. The metric is Levenshtein distance, because the typo ranking's
//! optimal string alignment (which counts a transposition as one edit) breaks the triangle
//! inequality; a transposition is two Levenshtein edits, so a search within `r` finds every
//! name within `r` edits that needs no transposition, which is what "did you mean" asks.

/// Keys as character slices, indexed by their position in the name index.
pub type Keys = [Vec<char>];

/// One node: a key and its children by distance.
#[derive(Debug, Clone)]
struct Node {
    key: u32,
    children: Vec<(u32, u32)>,
}

/// A BK-tree over keys held elsewhere (by index).
#[derive(Debug, Clone, Default)]
pub struct BkTree {
    nodes: Vec<Node>,
}

impl BkTree {
    /// Builds the tree over every key, in order (deterministic).
    pub fn new(keys: &Keys) -> Self {
        let mut tree = Self::default();
        let mut row = Vec::new();
        for id in 0..keys.len() as u32 {
            tree.insert(keys, id, &mut row);
        }
        tree
    }

    fn insert(&mut self, keys: &Keys, id: u32, row: &mut Vec<usize>) {
        let pattern = Pattern::new(&keys[id as usize]);
        if self.nodes.is_empty() {
            self.nodes.push(Node {
                key: id,
                children: Vec::new(),
            });
            return;
        }
        let mut at = 0usize;
        loop {
            let node = &self.nodes[at];
            let d = pattern.distance(&keys[node.key as usize], row) as u32;
            if d == 0 {
                return;
            }
            match node.children.iter().find(|c| c.0 == d) {
                Some(&(_, child)) => at = child as usize,
                None => {
                    let child = self.nodes.len() as u32;
                    self.nodes.push(Node {
                        key: id,
                        children: Vec::new(),
                    });
                    self.nodes[at].children.push((d, child));
                    return;
                }
            }
        }
    }

    /// Every key within `radius` Levenshtein edits of `query`, with its distance, in no
    /// particular order.
    pub fn within(&self, keys: &Keys, query: &[char], radius: usize) -> Vec<(usize, u32)> {
        let mut found = Vec::new();
        if self.nodes.is_empty() {
            return found;
        }
        let mut row = Vec::new();
        let pattern = Pattern::new(query);
        let mut stack = vec![0u32];
        while let Some(at) = stack.pop() {
            let node = &self.nodes[at as usize];
            let d = pattern.distance(&keys[node.key as usize], &mut row);
            if d <= radius {
                found.push((d, node.key));
            }
            let (lo, hi) = (d.saturating_sub(radius) as u32, (d + radius) as u32);
            stack.extend(
                node.children
                    .iter()
                    .filter(|c| (lo..=hi).contains(&c.0))
                    .map(|c| c.1),
            );
        }
        found
    }
}

/// A word prepared for Levenshtein distances to many others: Myers' bit-parallel algorithm
/// (in Hyyrö's form) for words of up to 64 letters, one machine word per letter of the
/// other; the row-by-row dynamic programme for longer ones.
struct Pattern<'a> {
    word: &'a [char],
    /// For each ASCII letter, the positions where the word has it, as bits.
    ascii: [u64; 128],
    /// The same for other letters.
    other: Vec<(char, u64)>,
}

impl<'a> Pattern<'a> {
    fn new(word: &'a [char]) -> Self {
        let mut pattern = Self {
            word,
            ascii: [0; 128],
            other: Vec::new(),
        };
        if word.len() <= 64 {
            for (i, &c) in word.iter().enumerate() {
                let bit = 1u64 << i;
                if c.is_ascii() {
                    pattern.ascii[c as usize] |= bit;
                } else if let Some(entry) = pattern.other.iter_mut().find(|e| e.0 == c) {
                    entry.1 |= bit;
                } else {
                    pattern.other.push((c, bit));
                }
            }
        }
        pattern
    }

    fn positions(&self, c: char) -> u64 {
        if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            self.other.iter().find(|e| e.0 == c).map_or(0, |e| e.1)
        }
    }

    /// Levenshtein distance from the word to `text`.
    fn distance(&self, text: &[char], row: &mut Vec<usize>) -> usize {
        let m = self.word.len();
        if m == 0 || m > 64 {
            return levenshtein(self.word, text, row);
        }
        let high = 1u64 << (m - 1);
        let (mut pv, mut mv, mut score) = (!0u64, 0u64, m);
        for &c in text {
            let eq = self.positions(c);
            let xv = eq | mv;
            let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
            let mut ph = mv | !(xh | pv);
            let mut mh = pv & xh;
            if ph & high != 0 {
                score += 1;
            } else if mh & high != 0 {
                score -= 1;
            }
            ph = (ph << 1) | 1;
            mh <<= 1;
            pv = mh | !(xv | ph);
            mv = ph & xv;
        }
        score
    }
}

/// Levenshtein distance, one row of working memory (reused through `row`).
fn levenshtein(a: &[char], b: &[char], row: &mut Vec<usize>) -> usize {
    if a.is_empty() {
        return b.len();
    }
    row.clear();
    row.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers below `n`, from a seeded xorshift generator.
    fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    fn chars(words: &[&str]) -> Vec<Vec<char>> {
        words.iter().map(|w| w.chars().collect()).collect()
    }

    #[test]
    fn levenshtein_counts_edits() {
        let mut row = Vec::new();
        let d = |a: &str, b: &str, row: &mut Vec<usize>| {
            levenshtein(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
                row,
            )
        };
        assert_eq!(d("rasht", "rasht", &mut row), 0);
        assert_eq!(d("rasht", "rast", &mut row), 1);
        assert_eq!(d("rasht", "rahst", &mut row), 2);
        assert_eq!(d("", "abc", &mut row), 3);
        assert_eq!(d("kitten", "sitting", &mut row), 3);
        assert_eq!(d("گیلان", "گیلا", &mut row), 1);
    }

    /// The bit-parallel distance is the dynamic programme's, for random words of 0–70
    /// letters (past 64 it falls back) in Latin and Persian letters.
    #[test]
    fn the_bit_parallel_distance_is_the_dynamic_programmes() {
        let letters: Vec<char> = "abdeghiklmnorstuzرشتگیلان".chars().collect();
        let mut next = xorshift(0x2545_f491_4f6c_dd1du64);
        let mut row = Vec::new();
        for _ in 0..5_000 {
            let a: Vec<char> = (0..next(71))
                .map(|_| letters[next(letters.len() as u64) as usize])
                .collect();
            let b: Vec<char> = (0..next(40))
                .map(|_| letters[next(letters.len() as u64) as usize])
                .collect();
            let want = levenshtein(&a, &b, &mut row);
            assert_eq!(Pattern::new(&a).distance(&b, &mut row), want, "{a:?} {b:?}");
        }
    }

    /// The tree finds exactly what a scan of every key finds, for random words and radii.
    #[test]
    fn finds_what_a_scan_finds() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15u64);
        let mut word = |len: u64| -> String {
            (0..1 + next(len))
                .map(|_| char::from(b"abdeghiklmnorstuz"[next(17) as usize]))
                .collect()
        };
        let words: Vec<String> = (0..3_000).map(|_| word(12)).collect();
        let keys = chars(&words.iter().map(String::as_str).collect::<Vec<_>>());
        let tree = BkTree::new(&keys);
        let mut row = Vec::new();
        for _ in 0..200 {
            let query: Vec<char> = word(14).chars().collect();
            for radius in 0..=3 {
                let mut got: Vec<u32> = tree
                    .within(&keys, &query, radius)
                    .into_iter()
                    .map(|f| f.1)
                    .collect();
                got.sort_unstable();
                let mut want: Vec<u32> = (0..keys.len() as u32)
                    .filter(|&k| levenshtein(&query, &keys[k as usize], &mut row) <= radius)
                    .collect();
                // Equal keys are stored once, at the first of them.
                want.retain(|&k| !keys[..k as usize].contains(&keys[k as usize]));
                assert_eq!(got, want, "{query:?} within {radius}");
            }
        }
    }
}
