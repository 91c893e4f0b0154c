//! The words around a place name that change what it means: "eastern", "near", "10 km north
//! of", "between … and …", in English and Persian. Words here are in folded form
//! ([`super::normalize::fold`]).

use super::normalize::Token;
use crate::geospatial::region::Direction;

/// What the words before a name ask for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Qualifier {
    /// The name alone.
    None,
    /// "near X", "outside X", "around X".
    Near,
    /// "eastern X", "central X": a part of it (`None` for the centre).
    Part(Option<Direction>),
    /// "10 km north of X"; a distance of `None` for "north of X".
    Offset(Option<f64>, Direction),
}

/// Words that never name a place on their own: function words, the words of qualifiers and
/// of reports.
pub fn is_stopword(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "a",
        "about",
        "above",
        "across",
        "after",
        "along",
        "an",
        "and",
        "are",
        "area",
        "as",
        "at",
        "attack",
        "attacks",
        "be",
        "been",
        "behind",
        "being",
        "below",
        "between",
        "beyond",
        "by",
        "city",
        "close",
        "coming",
        "county",
        "direction",
        "district",
        "drone",
        "drones",
        "during",
        "explosion",
        "explosions",
        "flying",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "heard",
        "her",
        "his",
        "hit",
        "in",
        "into",
        "is",
        "it",
        "its",
        "light",
        "lights",
        "location",
        "missile",
        "missiles",
        "mountain",
        "mountains",
        "near",
        "nearby",
        "of",
        "on",
        "or",
        "outside",
        "outskirts",
        "over",
        "part",
        "people",
        "place",
        "province",
        "region",
        "reported",
        "reports",
        "said",
        "saw",
        "seen",
        "she",
        "sky",
        "sound",
        "sounds",
        "strike",
        "strikes",
        "struck",
        "that",
        "the",
        "their",
        "there",
        "they",
        "this",
        "to",
        "toward",
        "towards",
        "town",
        "under",
        "village",
        "vicinity",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "with",
        "within",
        "around",
        "aircraft",
        "sea",
        "coast",
        "border",
        "shore",
        "night",
        "morning",
        "evening",
        "today",
        "yesterday",
        "am",
        "pm",
        "در",
        "از",
        "به",
        "با",
        "و",
        "که",
        "این",
        "آن",
        "را",
        "تا",
        "بر",
        "شهر",
        "استان",
        "روستا",
        "روستای",
        "منطقه",
        "بخش",
        "شهرستان",
        "پهپاد",
        "انفجار",
        "حمله",
        "صدای",
        "صدا",
        "نزدیک",
        "نزدیکی",
        "حوالی",
        "اطراف",
        "حومه",
        "بین",
        "میان",
        "کیلومتری",
        "کیلومتر",
        "متری",
        "متر",
    ];
    WORDS.contains(&word)
        || direction_word(word).is_some()
        || part_word(word).is_some()
        || unit_metres(word).is_some()
}

/// Words that may sit between a qualifier and its name: "north *of the city of* Rasht".
fn is_filler(word: &str) -> bool {
    matches!(
        word,
        "of" | "the"
            | "to"
            | "in"
            | "city"
            | "town"
            | "village"
            | "province"
            | "county"
            | "district"
            | "region"
            | "part"
            | "parts"
            | "area"
            | "areas"
            | "شهر"
            | "استان"
            | "روستای"
            | "روستا"
            | "شهرستان"
            | "منطقه"
            | "بخش"
    )
}

fn near_word(word: &str) -> bool {
    matches!(
        word,
        "near"
            | "nearby"
            | "around"
            | "outside"
            | "outskirts"
            | "vicinity"
            | "close"
            | "closeby"
            | "surroundings"
            | "environs"
            | "نزدیک"
            | "نزدیکی"
            | "حوالی"
            | "اطراف"
            | "حومه"
            | "خارج"
    )
}

/// "between", in English and Persian.
pub fn between_word(word: &str) -> bool {
    matches!(word, "between" | "بین" | "میان")
}

/// "and", in English and Persian.
pub fn and_word(word: &str) -> bool {
    matches!(word, "and" | "و" | "&")
}

/// A compass word that names a direction on its own: "north", "ne", "شمال".
pub fn direction_word(word: &str) -> Option<Direction> {
    Some(match word {
        "north" | "n" | "شمال" => Direction::N,
        "south" | "s" | "جنوب" => Direction::S,
        "east" | "e" | "شرق" => Direction::E,
        "west" | "w" | "غرب" => Direction::W,
        "northeast" | "ne" => Direction::NE,
        "northwest" | "nw" => Direction::NW,
        "southeast" | "se" => Direction::SE,
        "southwest" | "sw" => Direction::SW,
        _ => return None,
    })
}

/// An adjective for a part: "eastern", "central"; `Some(None)` for the centre.
pub fn part_word(word: &str) -> Option<Option<Direction>> {
    Some(Some(match word {
        "northern" => Direction::N,
        "southern" => Direction::S,
        "eastern" => Direction::E,
        "western" => Direction::W,
        "northeastern" => Direction::NE,
        "northwestern" => Direction::NW,
        "southeastern" => Direction::SE,
        "southwestern" => Direction::SW,
        "central" | "centre" | "center" | "middle" | "مرکز" | "مرکزی" => {
            return Some(None);
        }
        _ => return None,
    }))
}

/// Metres in one of this unit.
pub fn unit_metres(word: &str) -> Option<f64> {
    Some(match word {
        "km" | "kms" | "kilometer" | "kilometers" | "kilometre" | "kilometres" | "کیلومتر"
        | "کیلومتری" | "کیلو" => 1_000.0,
        "m" | "meter" | "meters" | "metre" | "metres" | "متر" | "متری" => 1.0,
        "mi" | "mile" | "miles" | "مایل" => 1_609.344,
        _ => return None,
    })
}

/// Combines two compass words ("north" "east", "شمال" "شرق") into one direction.
fn combine(first: Direction, second: Direction) -> Option<Direction> {
    use Direction::*;
    Some(match (first, second) {
        (N, E) => NE,
        (N, W) => NW,
        (S, E) => SE,
        (S, W) => SW,
        _ => return None,
    })
}

/// Reads the qualifier in the words just before a name (`words`, in order), and how many of
/// them it used.
pub fn qualifier_before(words: &[Token]) -> (Qualifier, usize) {
    let w: Vec<&str> = words.iter().map(|t| t.text.as_str()).collect();
    let mut end = w.len();
    let mut saw_of = false;
    let mut saw_the = false;
    while end > 0 && is_filler(w[end - 1]) {
        saw_of |= w[end - 1] == "of";
        saw_the |= w[end - 1] == "the";
        end -= 1;
    }
    // A part adjective: "eastern", "north-eastern" ("north" "eastern"), "central".
    if end > 0
        && let Some(part) = part_word(w[end - 1])
    {
        let mut start = end - 1;
        let mut part = part;
        if let (Some(Direction::E | Direction::W), true) = (part, start > 0)
            && let Some(first @ (Direction::N | Direction::S)) = direction_word(w[start - 1])
        {
            part = combine(first, part.expect("a direction"));
            start -= 1;
        }
        return (Qualifier::Part(part), w.len() - start);
    }
    // A compass direction, perhaps after a distance: "10 km north (of)", "۱۰ کیلومتری شمال".
    if end > 0
        && let Some(last) = direction_word(w[end - 1])
    {
        let mut start = end - 1;
        let mut direction = last;
        if start > 0
            && let Some(first) = direction_word(w[start - 1])
            && let Some(both) = combine(first, last)
        {
            direction = both;
            start -= 1;
        }
        let mut before = start;
        while before > 0 && matches!(w[before - 1], "to" | "the") {
            before -= 1;
        }
        if before >= 2
            && let (Some(n), Some(unit)) = (words[before - 2].number(), unit_metres(w[before - 1]))
        {
            return (
                Qualifier::Offset(Some(n * unit), direction),
                w.len() - (before - 2),
            );
        }
        // "north of X" is beside X; "the north of X", "north X" and Persian "شمال X" are
        // its northern part.
        let persian = !w[start].is_ascii();
        let qualifier = if saw_of && !(saw_the || persian || (start > 0 && w[start - 1] == "the")) {
            Qualifier::Offset(None, direction)
        } else {
            Qualifier::Part(Some(direction))
        };
        return (qualifier, w.len() - start);
    }
    if end > 0 && (near_word(w[end - 1]) || (end > 1 && near_word(w[end - 2]))) {
        let start = if near_word(w[end - 1]) {
            end - 1
        } else {
            end - 2
        };
        return (Qualifier::Near, w.len() - start);
    }
    (Qualifier::None, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geospatial::geocode::normalize::tokenize;

    fn q(text: &str) -> Qualifier {
        qualifier_before(&tokenize(text)).0
    }

    #[test]
    fn reads_english_qualifiers() {
        assert_eq!(q("eastern"), Qualifier::Part(Some(Direction::E)));
        assert_eq!(q("in north-eastern"), Qualifier::Part(Some(Direction::NE)));
        assert_eq!(q("central"), Qualifier::Part(None));
        assert_eq!(q("near"), Qualifier::Near);
        assert_eq!(q("just outside"), Qualifier::Near);
        assert_eq!(q("close to"), Qualifier::Near);
        assert_eq!(
            q("10 km north of"),
            Qualifier::Offset(Some(10_000.0), Direction::N)
        );
        assert_eq!(
            q("30km NW of"),
            Qualifier::Offset(Some(30_000.0), Direction::NW)
        );
        assert_eq!(
            q("5 miles to the south of"),
            Qualifier::Offset(Some(8_046.72), Direction::S)
        );
        assert_eq!(q("north of"), Qualifier::Offset(None, Direction::N));
        assert_eq!(q("in the east of"), Qualifier::Part(Some(Direction::E)));
        assert_eq!(q("drones over"), Qualifier::None);
    }

    #[test]
    fn reads_persian_qualifiers() {
        assert_eq!(q("شرق"), Qualifier::Part(Some(Direction::E)));
        assert_eq!(q("شمال\u{200c}شرق"), Qualifier::Part(Some(Direction::NE)));
        assert_eq!(q("نزدیک"), Qualifier::Near);
        assert_eq!(
            q("۱۰ کیلومتری شمال"),
            Qualifier::Offset(Some(10_000.0), Direction::N)
        );
    }
}
