//! Text folded for matching: one form for every way a word is written, shared by the
//! geocoder (place names), the origins of sources (who says what) and the full-text search
//! of descriptions (the `q` filter).
//!
//! [`fold`] removes case, diacritics and harakat, unifies Arabic and Persian letter forms
//! (ي ى → ی, ك → ک, ة → ه), turns the zero-width non-joiner, hyphens and other punctuation
//! into spaces, drops apostrophes, and writes Persian and Arabic-Indic digits as ASCII.
//!
//! The text search folds letters the same way but keeps its words plain runs of letters and
//! digits ([`searchable_words`], [`query_phrases`], [`matches`]): every store and the past
//! match on these words, computed here, so all of them answer a query alike.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

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

/// Folds one input character onto the end of `out`: its folded characters (none for a
/// removed mark). False, with `out` unchanged, for a word boundary.
fn fold_char(c: char, out: &mut String) -> bool {
    if c.is_ascii() {
        // Most text, and the answer NFKD would give.
        return match c {
            // Apostrophes: removed within a word.
            '\'' | '`' => true,
            _ if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                true
            }
            _ => false,
        };
    }
    let folded = match c {
        // Apostrophes and modifier letters for ʿayn and hamza: removed within a word.
        '’' | '‘' | 'ʼ' | 'ʻ' | 'ʿ' | 'ʾ' | '´' => "",
        'ـ' => "", // tatweel
        '\u{200c}' | '\u{200d}' => return false,
        'ي' | 'ى' | 'ئ' => "ی",
        'ك' => "ک",
        'ة' => "ه",
        '۰'..='۹' => return push_digit(c as u32 - '۰' as u32, out),
        '٠'..='٩' => return push_digit(c as u32 - '٠' as u32, out),
        'ə' | 'Ə' => "a",
        'ı' => "i",
        'đ' | 'Đ' => "d",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'ß' => "ss",
        _ => {
            // Its compatibility decomposition (NFKD of one character; the order of the marks,
            // which NFKD would sort, does not matter as they are dropped).
            let start = out.len();
            let mut boundary = false;
            decompose_compatible(c, |d| {
                if boundary || is_combining_mark(d) {
                    return;
                }
                if d.is_alphanumeric() {
                    out.extend(d.to_lowercase());
                } else if out.len() == start {
                    boundary = true;
                }
            });
            return !boundary;
        }
    };
    out.push_str(folded);
    true
}

fn push_digit(n: u32, out: &mut String) -> bool {
    out.push(char::from_digit(n, 10).expect("a digit"));
    true
}

/// Splits text into folded words, keeping where each came from. A decimal point between
/// digits stays in its number, and digits and letters part ("10km" is "10" and "km").
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut current: Option<Token> = None;
    let mut chars = text.char_indices().peekable();
    let mut folded = String::new();
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
        folded.clear();
        let word = if decimal_point {
            folded.push('.');
            true
        } else {
            fold_char(c, &mut folded)
        };
        match (word, folded.as_str()) {
            (false, _) => {
                if let Some(t) = current.take() {
                    tokens.push(t);
                }
            }
            (true, "") => {
                if let Some(t) = current.as_mut() {
                    t.end = end;
                }
            }
            (true, w) => {
                let numeric = w.starts_with(|d: char| d.is_ascii_digit() || d == '.');
                if let Some(t) = current.as_mut() {
                    let was_numeric = t.text.starts_with(|d: char| d.is_ascii_digit());
                    if was_numeric != numeric {
                        tokens.push(current.take().expect("a current token"));
                    }
                }
                match current.as_mut() {
                    Some(t) => {
                        t.text.push_str(w);
                        t.end = end;
                    }
                    None => {
                        current = Some(Token {
                            text: w.to_string(),
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

/// Folds one character of a description or a query for the text search, as [`fold_char`]
/// but for apostrophes, which part words here ("Rasht's airport" holds "rasht", as the
/// stores' search always read it) where names drop them ("Ma'ku" is "maku").
fn search_char(c: char, out: &mut String) -> bool {
    match c {
        '\'' | '’' | '‘' | '`' | '´' => false,
        _ => fold_char(c, out),
    }
}

/// The words of a description as the text search matches them: runs of letters and digits,
/// folded as names are (case, diacritics and harakat removed, ي/ك written ی/ک, Persian and
/// Arabic-Indic digits as ASCII), joined by single spaces. Everything else parts words
/// (punctuation, hyphens, apostrophes, the zero-width non-joiner), and unlike [`tokenize`]
/// a decimal point parts its digits and digits stay with the letters beside them.
///
/// Both SQL stores keep this beside the description (the `search_words` column) and index
/// it; the past computes it in memory. So the only tokenizer is this one: the stores' own
/// split these words on their spaces and nothing else.
pub fn searchable_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word_start = 0;
    for c in text.chars() {
        if !search_char(c, &mut out) && out.len() > word_start {
            out.push(' ');
            word_start = out.len();
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The phrases of a `q` filter: each of its whitespace-separated parts as its
/// [`searchable_words`] (so "Rasht's" is the phrase "rasht s"), parts without a word left
/// out. A report matches when its words hold every phrase ([`matches`]); no phrase matches
/// nothing.
pub fn query_phrases(q: &str) -> Vec<Vec<String>> {
    q.split_whitespace()
        .map(|part| {
            searchable_words(part)
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|phrase| !phrase.is_empty())
        .collect()
}

/// Whether `words` (a [`searchable_words`] text) holds every phrase, each as consecutive
/// words; false for no phrase. The in-memory match, which the SQL stores' full-text indexes
/// answer alike on the same words.
pub fn matches(words: &str, phrases: &[Vec<String>]) -> bool {
    if phrases.is_empty() {
        return false;
    }
    let words: Vec<&str> = words.split(' ').collect();
    phrases.iter().all(|phrase| {
        phrase.is_empty()
            || words
                .windows(phrase.len())
                .any(|w| w.iter().zip(phrase).all(|(a, b)| *a == b))
    })
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
    fn searchable_words_are_folded_runs_of_letters_and_digits() {
        assert_eq!(
            searchable_words("Drones over EASTERN Gīlān, near Rasht's airport!"),
            "drones over eastern gilan near rasht s airport"
        );
        assert_eq!(
            searchable_words("Shahed-136 at 03:40, 10km; 37.5°N"),
            "shahed 136 at 03 40 10km 37 5 n"
        );
        assert_eq!(
            searchable_words("پهپاد در كرج، ۳ عدد"),
            "پهپاد در کرج 3 عدد"
        );
        assert_eq!(searchable_words("لاهيجان"), searchable_words("لاهیجان"));
        assert_eq!(searchable_words("می\u{200c}روند"), "می روند");
        assert_eq!(searchable_words("  ... "), "");
        assert_eq!(searchable_words("Ma'ku ʿAli"), "ma ku ali");
    }

    #[test]
    fn queries_are_phrases_of_the_same_words() {
        assert_eq!(
            query_phrases("Rasht's  gilan, -- ۱۳۶"),
            [vec!["rasht", "s"], vec!["gilan"], vec!["136"]]
        );
        assert!(query_phrases(" , - ").is_empty());
        let words = searchable_words("Drones over eastern Gīlān, near Rasht's airport");
        for (query, hit) in [
            ("drones", true),
            ("GILAN", true),
            ("gīlān", true),
            ("eastern gilan", true),
            ("eastern-gilan", true),
            ("gilan,", true),
            ("rasht", true),
            ("rasht's airport", true),
            ("airport rasht's", true),
            ("over-near", false),
            ("western", false),
            ("drone", false),
            ("", false),
            ("!", false),
        ] {
            assert_eq!(matches(&words, &query_phrases(query)), hit, "{query}");
        }
    }
}
