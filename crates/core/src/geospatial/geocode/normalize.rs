//! Text normalisation for matching place names.
//!
//! - [`fold`] (from [`crate::domain::text`], shared with the origins of sources) removes
//!   case, diacritics and harakat, unifies letter forms and punctuation.
//! - [`loose`] also folds common transliteration variants of Latin spellings (ou/oo → u,
//!   gh → q, e → a, ee → i, y → i, ow → o, w → v, dj → j) and drops the
//!   ezafe (`-e`, `-ye`), so "Bandar-e Anzali", "Bandar Anzali" and "Bandar-e-Anzali" meet.

pub use crate::domain::text::{Token, fold, join, tokenize};

/// The loose form of a folded text: transliteration variants folded together.
pub fn loose(folded: &str) -> String {
    let words = folded
        .split(' ')
        .filter(|w| !matches!(*w, "e" | "ye" | "i"))
        .map(loose_word);
    join(words.collect::<Vec<_>>().iter().map(String::as_str))
}

fn loose_word(word: &str) -> String {
    if !word.is_ascii() {
        return word.to_string();
    }
    let b = word.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let next = b.get(i + 1).copied();
        let after = b.get(i + 2).copied();
        let (emit, step): (&[u8], usize) = match (b[i], next) {
            (b'o', Some(b'u')) | (b'o', Some(b'o')) => (b"u", 2),
            (b'e', Some(b'e')) => (b"i", 2),
            (b'g', Some(b'h')) => (b"q", 2),
            (b'd', Some(b'j')) => (b"j", 2),
            (b't', Some(b'c')) if after == Some(b'h') => (b"", 1),
            // "ow" before a consonant or at the end, as in Nowshahr, Khowy.
            (b'o', Some(b'w')) if after.is_none_or(|a| !b"aeiou".contains(&a)) => (b"o", 2),
            (b'e', _) => (b"a", 1),
            (b'y', _) => (b"i", 1),
            (b'w', _) => (b"v", 1),
            _ => (std::slice::from_ref(&b[i]), 1),
        };
        out.extend_from_slice(emit);
        i += step;
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// Whether a folded word is written in Arabic script.
pub fn is_arabic_script(word: &str) -> bool {
    word.chars()
        .any(|c| ('\u{0600}'..='\u{06ff}').contains(&c) || ('\u{0750}'..='\u{077f}').contains(&c))
}

/// Whether a name is in a script the geocoder reads: Latin or Arabic (with digits and
/// punctuation).
pub fn is_latin_or_arabic(name: &str) -> bool {
    name.chars().filter(|c| c.is_alphabetic()).all(|c| {
        c.is_ascii_alphabetic()
            || ('\u{00c0}'..='\u{024f}').contains(&c)
            || ('\u{1e00}'..='\u{1eff}').contains(&c)
            || matches!(c, 'ə' | 'Ə' | 'ʼ' | 'ʻ' | 'ʿ' | 'ʾ')
            || ('\u{0600}'..='\u{06ff}').contains(&c)
            || ('\u{0750}'..='\u{077f}').contains(&c)
            || ('\u{fb50}'..='\u{fdff}').contains(&c)
            || ('\u{fe70}'..='\u{feff}').contains(&c)
    })
}

/// Levenshtein distance with adjacent transpositions (optimal string alignment), on
/// characters, giving up above `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; 3];
    for (j, cell) in rows[1].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
        rows[cur][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[prev][j] + 1)
                .min(rows[cur][j - 1] + 1)
                .min(rows[prev][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[prev2][j - 2] + 1);
            }
            rows[cur][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    let d = rows[a.len() % 3][b.len()];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_meets_transliteration_variants() {
        for (a, b) in [
            ("ardebil", "ardabil"),
            ("mazanderan", "mazandaran"),
            ("noshahr", "nowshahr"),
            ("ghazvin", "qazvin"),
            ("bandar e anzali", "bandar anzali"),
            ("rudsar", "roudsar"),
        ] {
            assert_eq!(loose(a), loose(b), "{a} vs {b}");
        }
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("rasht", "rahst", 2), Some(1));
        assert_eq!(edit_distance("lahijan", "lahijn", 2), Some(1));
        assert_eq!(edit_distance("abc", "xyz", 2), None);
    }
}
