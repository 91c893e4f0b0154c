//! Names folded for matching: one form for every way a name is written, shared by the
//! geocoder (place names) and the origins of sources (who says what).
//!
//! [`fold`] removes case, diacritics and harakat, unifies Arabic and Persian letter forms
//! (ي ى → ی, ك → ک, ة → ه), turns the zero-width non-joiner, hyphens and other punctuation
//! into spaces, drops apostrophes, and writes Persian and Arabic-Indic digits as ASCII.

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
}
