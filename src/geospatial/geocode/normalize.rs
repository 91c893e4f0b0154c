//! Text normalisation for matching names: one folded form for every way a name is written.
//!
//! - [`fold`] removes case, diacritics and harakat, unifies Arabic and Persian letter forms
//!   (ي ى → ی, ك → ک, ة → ه), turns the zero-width non-joiner, hyphens and other punctuation
//!   into spaces, drops apostrophes, and writes Persian and Arabic-Indic digits as ASCII.
//! - [`loose`] also folds common transliteration variants of Latin spellings (ou/oo → u,
//!   gh → q, e → a, ee → i, y → i, ow → o, w → v, dj → j) and drops the
//!   ezafe (`-e`, `-ye`), so "Bandar-e Anzali", "Bandar Anzali" and "Bandar-e-Anzali" meet.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A word of the input: its folded text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded text.
    pub text: String,
    /// Byte offset of its first character in the input.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

impl Token {
    /// Whether it is a number (ASCII digits, perhaps with one decimal point).
    pub fn is_number(&self) -> bool {
        self.number().is_some()
    }

    /// Its value, if it is a number.
    pub fn number(&self) -> Option<f64> {
        if self.text.starts_with(|c: char| c.is_ascii_digit()) {
            self.text.parse().ok()
        } else {
            None
        }
    }
}

/// What one input character becomes.
enum Folded {
    /// Part of a word: these characters (none for a removed mark).
    Word(String),
    /// A word boundary.
    Break,
}

fn fold_char(c: char) -> Folded {
    match c {
        // Apostrophes and modifier letters for ʿayn and hamza: removed within a word.
        '\'' | '’' | '‘' | 'ʼ' | 'ʻ' | 'ʿ' | 'ʾ' | '`' | '´' => {
            Folded::Word(String::new())
        }
        'ـ' => Folded::Word(String::new()), // tatweel
        '\u{200c}' | '\u{200d}' => Folded::Break,
        'ي' | 'ى' | 'ئ' => Folded::Word("ی".into()),
        'ك' => Folded::Word("ک".into()),
        'ة' => Folded::Word("ه".into()),
        '۰'..='۹' => Folded::Word(digit(c as u32 - '۰' as u32)),
        '٠'..='٩' => Folded::Word(digit(c as u32 - '٠' as u32)),
        'ə' | 'Ə' => Folded::Word("a".into()),
        'ı' => Folded::Word("i".into()),
        'đ' | 'Đ' => Folded::Word("d".into()),
        'ø' | 'Ø' => Folded::Word("o".into()),
        'ł' | 'Ł' => Folded::Word("l".into()),
        'ß' => Folded::Word("ss".into()),
        _ => {
            let mut out = String::new();
            for d in std::iter::once(c).nfkd() {
                if is_combining_mark(d) {
                    continue;
                }
                if d.is_alphanumeric() {
                    out.extend(d.to_lowercase());
                } else if out.is_empty() {
                    return Folded::Break;
                }
            }
            Folded::Word(out)
        }
    }
}

fn digit(n: u32) -> String {
    char::from_digit(n, 10).expect("a digit").to_string()
}

/// Splits text into folded words, keeping where each came from. A decimal point between
/// digits stays in its number, and digits and letters part ("10km" is "10" and "km").
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut current: Option<Token> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let end = at + c.len_utf8();
        // "37.5": the point joins the digits around it.
        let decimal_point = matches!(c, '.' | '٫')
            && current
                .as_ref()
                .is_some_and(|t| t.text.chars().all(|d| d.is_ascii_digit()) && !t.text.is_empty())
            && chars
                .peek()
                .is_some_and(|&(_, n)| n.is_ascii_digit() || ('۰'..='۹').contains(&n));
        let folded = if decimal_point {
            Folded::Word(".".into())
        } else {
            fold_char(c)
        };
        match folded {
            Folded::Break => {
                if let Some(t) = current.take() {
                    tokens.push(t);
                }
            }
            Folded::Word(w) if w.is_empty() => {
                if let Some(t) = current.as_mut() {
                    t.end = end;
                }
            }
            Folded::Word(w) => {
                let numeric = w.starts_with(|d: char| d.is_ascii_digit() || d == '.');
                if let Some(t) = current.as_mut() {
                    let was_numeric = t.text.starts_with(|d: char| d.is_ascii_digit());
                    if was_numeric != numeric {
                        tokens.push(current.take().expect("a current token"));
                    }
                }
                match current.as_mut() {
                    Some(t) => {
                        t.text.push_str(&w);
                        t.end = end;
                    }
                    None => {
                        current = Some(Token {
                            text: w,
                            start: at,
                            end,
                        })
                    }
                }
            }
        }
    }
    tokens.extend(current);
    tokens
}

/// The folded form of a whole name: its words joined by single spaces.
pub fn fold(text: &str) -> String {
    join(tokenize(text).iter().map(|t| t.text.as_str()))
}

/// Words joined by single spaces.
pub fn join<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

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
    fn folds_case_diacritics_and_punctuation() {
        assert_eq!(fold("Gīlān"), "gilan");
        assert_eq!(fold("Bandar-e Anzali"), "bandar e anzali");
        assert_eq!(fold("Ma'ku"), "maku");
        assert_eq!(fold("  Lənkəran,  "), "lankaran");
    }

    #[test]
    fn folds_persian_letter_forms() {
        // Arabic yeh and kaf against Persian; ZWNJ against space; harakat removed.
        assert_eq!(fold("لاهيجان"), fold("لاهیجان"));
        assert_eq!(fold("كرج"), fold("کرج"));
        assert_eq!(fold("بندر\u{200c}انزلی"), fold("بندر انزلی"));
        assert_eq!(fold("رَشت"), fold("رشت"));
    }

    #[test]
    fn keeps_numbers_and_splits_them_from_units() {
        let words: Vec<String> = tokenize("30km NW of Rasht, ۱۰ کیلومتری 37.5")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(
            words,
            ["30", "km", "nw", "of", "rasht", "10", "کیلومتری", "37.5"]
        );
    }

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
