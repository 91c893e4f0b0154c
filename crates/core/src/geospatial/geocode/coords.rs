//! Coordinates written as text: decimal degrees ("37.28, 49.58"), with hemisphere letters
//! ("N37.28 E49.58", "49.58E 37.28N"), or in degrees, minutes and seconds
//! ("37°16′48″N 49°34′48″E", `37°16'48"N`).

/// One piece of a coordinate text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Number(f64),
    Degrees,
    Minutes,
    Seconds,
    Hemisphere(char),
}

fn pieces(text: &str) -> Option<Vec<Piece>> {
    let ascii: String = text
        .chars()
        .map(|c| match c {
            '۰'..='۹' => char::from_digit(c as u32 - '۰' as u32, 10).expect("digit"),
            '٠'..='٩' => char::from_digit(c as u32 - '٠' as u32, 10).expect("digit"),
            '٫' => '.',
            _ => c,
        })
        .collect();
    let mut out = Vec::new();
    let mut chars = ascii.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '0'..='9' | '.' | '-' | '+' | '−' => {
                let mut number = String::from(if c == '−' { '-' } else { c });
                while let Some(&d) = chars.peek() {
                    if d.is_ascii_digit() || d == '.' {
                        number.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Piece::Number(number.parse().ok()?));
            }
            '°' | 'º' | '˚' => out.push(Piece::Degrees),
            '′' | '\'' | '’' | 'ʹ' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    out.push(Piece::Seconds);
                } else {
                    out.push(Piece::Minutes);
                }
            }
            '″' | '"' | '”' | 'ʺ' => out.push(Piece::Seconds),
            'N' | 'S' | 'E' | 'W' | 'n' | 's' | 'e' | 'w' => {
                out.push(Piece::Hemisphere(c.to_ascii_uppercase()))
            }
            ',' | ';' | '/' | '(' | ')' => {}
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    Some(out)
}

/// One coordinate: its value and the hemisphere letter given with it, if any.
fn coordinate(p: &[Piece], at: &mut usize) -> Option<(f64, Option<char>)> {
    let mut hemisphere = None;
    if let Some(Piece::Hemisphere(h)) = p.get(*at) {
        hemisphere = Some(*h);
        *at += 1;
    }
    let Some(Piece::Number(degrees)) = p.get(*at) else {
        return None;
    };
    *at += 1;
    let mut value = degrees.abs();
    let negative = degrees.is_sign_negative();
    if p.get(*at) == Some(&Piece::Degrees) {
        *at += 1;
        for (unit, scale) in [(Piece::Minutes, 60.0), (Piece::Seconds, 3600.0)] {
            if let (Some(Piece::Number(n)), Some(u)) = (p.get(*at), p.get(*at + 1))
                && *u == unit
            {
                if !(0.0..60.0).contains(n) {
                    return None;
                }
                value += n / scale;
                *at += 2;
            }
        }
    }
    if hemisphere.is_none()
        && let Some(Piece::Hemisphere(h)) = p.get(*at)
    {
        hemisphere = Some(*h);
        *at += 1;
    }
    let signed = match hemisphere {
        Some('S' | 'W') => -value,
        _ if negative => -value,
        _ => value,
    };
    Some((signed, hemisphere))
}

/// Parses a text that is nothing but a pair of coordinates into (lon, lat). Without
/// hemisphere letters the order is latitude, longitude, unless the first cannot be a
/// latitude.
pub fn parse(text: &str) -> Option<(f64, f64)> {
    let p = pieces(text)?;
    let mut at = 0;
    let first = coordinate(&p, &mut at)?;
    let second = coordinate(&p, &mut at)?;
    if at != p.len() {
        return None;
    }
    let is_lat = |h: Option<char>| matches!(h, Some('N' | 'S'));
    let is_lon = |h: Option<char>| matches!(h, Some('E' | 'W'));
    let (lat, lon) = match (first.1, second.1) {
        (a, b) if is_lat(a) && (is_lon(b) || b.is_none()) => (first.0, second.0),
        (a, b) if is_lon(a) && (is_lat(b) || b.is_none()) => (second.0, first.0),
        (None, b) if is_lat(b) => (second.0, first.0),
        (None, b) if is_lon(b) => (first.0, second.0),
        (None, None) if first.0.abs() > 90.0 && second.0.abs() <= 90.0 => (second.0, first.0),
        (None, None) => (first.0, second.0),
        _ => return None,
    };
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lon, lat))
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn close(got: Option<(f64, f64)>, lon: f64, lat: f64) -> bool {
        got.is_some_and(|(x, y)| (x - lon).abs() < 1e-4 && (y - lat).abs() < 1e-4)
    }

    #[test]
    fn reads_every_written_form() {
        assert!(close(parse("37.28, 49.58"), 49.58, 37.28));
        assert!(close(parse("37.28 49.58"), 49.58, 37.28));
        assert!(close(parse("N37.28 E49.58"), 49.58, 37.28));
        assert!(close(parse("49.58E 37.28N"), 49.58, 37.28));
        assert!(close(parse("37°16′48″N 49°34′48″E"), 49.58, 37.28));
        assert!(close(parse("37°16'48\"N, 49°34'48\"E"), 49.58, 37.28));
        assert!(close(parse("37° 16.8' N 49° 34.8' E"), 49.58, 37.28));
        assert!(close(parse("-33.9, 151.2"), 151.2, -33.9));
        assert!(close(parse("۳۷٫۲۸, ۴۹٫۵۸"), 49.58, 37.28));
    }

    #[test]
    fn refuses_what_is_not_a_coordinate_pair() {
        assert_eq!(parse("Rasht"), None);
        assert_eq!(parse("37.28"), None);
        assert_eq!(parse("95.0, 200.0"), None);
        assert_eq!(parse("37°75'N 49°E"), None);
        assert_eq!(parse("10 km north of Rasht"), None);
    }
}
