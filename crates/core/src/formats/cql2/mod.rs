//! CQL2 text filters (OGC 21-065), as OGC API – Features Part 3 takes them in `filter=`:
//! the Basic CQL2 conformance class (comparisons, `AND`/`OR`/`NOT`, `IS [NOT] NULL`, string,
//! number, boolean, `DATE` and `TIMESTAMP` literals) and `S_INTERSECTS` with `POINT`,
//! `POLYGON` and `BBOX` literals. Also `LIKE`, `IN` and `BETWEEN`, which clients send often.
//!
//! A filter is parsed once ([`Expr::parse`]) and evaluated per feature against a
//! [`Properties`] source.

mod properties;

pub use properties::{JsonProperties, ReportProperties};

use geo::Intersects;
use std::cmp::Ordering;

/// A value a property or literal can have.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// An instant, as seconds since 1970 (dates are their first second).
    Instant(i64),
}

/// What a filter reads of a feature.
pub trait Properties {
    /// The value of a property (`Null` if it has none); `None` if no such property exists.
    fn get(&self, name: &str) -> Option<Value>;
    /// Whether the feature's geometry intersects `other`.
    fn intersects(&self, other: &geo::Geometry<f64>) -> bool;
}

/// Whether a point intersects a geometry (a point on a polygon's edge counts).
pub fn point_intersects(lon: f64, lat: f64, other: &geo::Geometry<f64>) -> bool {
    other.intersects(&geo::Point::new(lon, lat))
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// Not.
    Not(Box<Expr>),
    /// `a op b`.
    Compare(Scalar, Op, Scalar),
    /// `a IS NULL` (or `IS NOT NULL` wrapped in `Not`).
    IsNull(Scalar),
    /// `a LIKE 'pattern'` (`%` any run, `_` one character).
    Like(Scalar, String),
    /// `a IN (x, y, …)`.
    In(Scalar, Vec<Scalar>),
    /// `a BETWEEN x AND y`.
    Between(Scalar, Scalar, Scalar),
    /// `S_INTERSECTS(geometry, literal)`.
    Intersects(geo::Geometry<f64>),
    /// `TRUE` or `FALSE`.
    Literal(bool),
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A property by name.
    Property(String),
    /// A literal.
    Literal(Value),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Why a filter could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at character {position})")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Where, counting from 1.
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Num(f64),
    Op(Op),
    LParen,
    RParen,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |message: &str, position: usize| ParseError {
        message: message.to_string(),
        position: position + 1,
    };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((Token::LParen, start));
                i += 1;
            }
            ')' => {
                out.push((Token::RParen, start));
                i += 1;
            }
            ',' => {
                out.push((Token::Comma, start));
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(err("unterminated string", start)),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                out.push((Token::Str(s), start));
            }
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&ch| ch == '"')
                    .ok_or_else(|| err("unterminated quoted name", start))?;
                out.push((
                    Token::Ident(chars[i + 1..i + 1 + end].iter().collect()),
                    start,
                ));
                i += end + 2;
            }
            '=' => {
                out.push((Token::Op(Op::Eq), start));
                i += 1;
            }
            '<' | '>' => {
                let next = chars.get(i + 1).copied();
                let (op, len) = match (c, next) {
                    ('<', Some('>')) => (Op::Ne, 2),
                    ('<', Some('=')) => (Op::Le, 2),
                    ('>', Some('=')) => (Op::Ge, 2),
                    ('<', _) => (Op::Lt, 1),
                    _ => (Op::Gt, 1),
                };
                out.push((Token::Op(op), start));
                i += len;
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_ascii_digit()
                        || matches!(chars[j], '.' | 'e' | 'E')
                        || (matches!(chars[j], '-' | '+') && matches!(chars[j - 1], 'e' | 'E')))
                {
                    j += 1;
                }
                let s: String = chars[i..j].iter().collect();
                let n = s
                    .parse::<f64>()
                    .map_err(|_| err(&format!("'{s}' is not a number"), start))?;
                out.push((Token::Num(n), start));
                i = j;
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || matches!(chars[j], '_' | '.' | ':'))
                {
                    j += 1;
                }
                out.push((Token::Ident(chars[i..j].iter().collect()), start));
                i = j;
            }
            _ => return Err(err(&format!("unexpected '{c}'"), start)),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    len: usize,
}

impl Parser {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            message: message.into(),
            position: self.tokens.get(self.at).map_or(self.len, |t| t.1) + 1,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|t| &t.0)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let yes = self.keyword(word);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(&token) {
            self.at += 1;
            Ok(())
        } else {
            self.error(format!("expected {what}"))
        }
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.eat_keyword("NOT") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == Some(&Token::LParen) {
            self.at += 1;
            let e = self.or()?;
            self.expect(Token::RParen, "')'")?;
            return Ok(e);
        }
        if self.eat_keyword("S_INTERSECTS") {
            self.expect(Token::LParen, "'(' after S_INTERSECTS")?;
            let (a, b) = (self.spatial_arg()?, {
                self.expect(Token::Comma, "',' between S_INTERSECTS's arguments")?;
                self.spatial_arg()?
            });
            self.expect(Token::RParen, "')'")?;
            return match (a, b) {
                (None, Some(g)) | (Some(g), None) => Ok(Expr::Intersects(g)),
                _ => {
                    self.error("S_INTERSECTS takes the geometry property and one geometry literal")
                }
            };
        }
        let left = self.scalar()?;
        if self.eat_keyword("IS") {
            let negated = self.eat_keyword("NOT");
            if !self.eat_keyword("NULL") {
                return self.error("expected NULL after IS");
            }
            let e = Expr::IsNull(left);
            return Ok(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        let negated = self.eat_keyword("NOT");
        let e = if self.eat_keyword("LIKE") {
            match self.scalar()? {
                Scalar::Literal(Value::Text(p)) => Expr::Like(left, p),
                _ => return self.error("LIKE takes a string pattern"),
            }
        } else if self.eat_keyword("IN") {
            self.expect(Token::LParen, "'(' after IN")?;
            let mut list = vec![self.scalar()?];
            while self.peek() == Some(&Token::Comma) {
                self.at += 1;
                list.push(self.scalar()?);
            }
            self.expect(Token::RParen, "')'")?;
            Expr::In(left, list)
        } else if self.eat_keyword("BETWEEN") {
            let low = self.scalar()?;
            if !self.eat_keyword("AND") {
                return self.error("expected AND in BETWEEN");
            }
            Expr::Between(left, low, self.scalar()?)
        } else if negated {
            return self.error("expected LIKE, IN or BETWEEN after NOT");
        } else {
            let Some(Token::Op(op)) = self.peek().cloned() else {
                return self.error(
                    "expected a comparison (=, <>, <, <=, >, >=), IS NULL, LIKE, IN or BETWEEN",
                );
            };
            self.at += 1;
            Expr::Compare(left, op, self.scalar()?)
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }

    fn scalar(&mut self) -> Result<Scalar, ParseError> {
        let Some(token) = self.peek().cloned() else {
            return self.error("the filter ends too soon");
        };
        self.at += 1;
        Ok(match token {
            Token::Str(s) => Scalar::Literal(Value::Text(s)),
            Token::Num(n) => Scalar::Literal(Value::Number(n)),
            Token::Ident(w) if w.eq_ignore_ascii_case("TRUE") => Scalar::Literal(Value::Bool(true)),
            Token::Ident(w) if w.eq_ignore_ascii_case("FALSE") => {
                Scalar::Literal(Value::Bool(false))
            }
            Token::Ident(w)
                if (w.eq_ignore_ascii_case("TIMESTAMP") || w.eq_ignore_ascii_case("DATE"))
                    && self.peek() == Some(&Token::LParen) =>
            {
                self.at += 1;
                let Some(Token::Str(text)) = self.peek().cloned() else {
                    return self.error(format!("{w} takes a quoted date or time"));
                };
                self.at += 1;
                self.expect(Token::RParen, "')'")?;
                match crate::domain::model::Timestamp::parse(
                    &text,
                    crate::domain::model::DayEnd::Start,
                ) {
                    Ok(t) => Scalar::Literal(Value::Instant(t.0)),
                    Err(e) => return self.error(e.to_string()),
                }
            }
            Token::Ident(w) => Scalar::Property(w),
            _ => {
                self.at -= 1;
                return self.error("expected a property name or a value");
            }
        })
    }

    /// A geometry literal, or `None` for the geometry property.
    fn spatial_arg(&mut self) -> Result<Option<geo::Geometry<f64>>, ParseError> {
        let Some(Token::Ident(word)) = self.peek().cloned() else {
            return self.error("expected a geometry");
        };
        self.at += 1;
        let upper = word.to_ascii_uppercase();
        if !matches!(upper.as_str(), "POINT" | "POLYGON" | "BBOX" | "ENVELOPE") {
            return Ok(None);
        }
        self.expect(Token::LParen, "'('")?;
        let geometry = match upper.as_str() {
            "POINT" => {
                let [x, y] = self.pair()?;
                geo::Geometry::Point(geo::Point::new(x, y))
            }
            "POLYGON" => {
                let mut rings = Vec::new();
                loop {
                    self.expect(Token::LParen, "'(' around a ring")?;
                    let mut ring = vec![self.pair()?];
                    while self.peek() == Some(&Token::Comma) {
                        self.at += 1;
                        ring.push(self.pair()?);
                    }
                    self.expect(Token::RParen, "')'")?;
                    rings.push(geo::LineString::from(
                        ring.into_iter().map(|[x, y]| (x, y)).collect::<Vec<_>>(),
                    ));
                    if self.peek() == Some(&Token::Comma) {
                        self.at += 1;
                    } else {
                        break;
                    }
                }
                let exterior = rings.remove(0);
                geo::Geometry::Polygon(geo::Polygon::new(exterior, rings))
            }
            _ => {
                let mut v = vec![self.number()?];
                while self.peek() == Some(&Token::Comma) {
                    self.at += 1;
                    v.push(self.number()?);
                }
                let (x0, y0, x1, y1) = match (upper.as_str(), v.as_slice()) {
                    ("BBOX", [a, b, c, d]) => (*a, *b, *c, *d),
                    // ENVELOPE(west, east, north, south)
                    ("ENVELOPE", [w, e, n, s]) => (*w, *s, *e, *n),
                    _ => return self.error(format!("{upper} takes four numbers")),
                };
                geo::Geometry::Rect(geo::Rect::new((x0, y0), (x1, y1)))
            }
        };
        self.expect(Token::RParen, "')'")?;
        Ok(Some(geometry))
    }

    fn number(&mut self) -> Result<f64, ParseError> {
        match self.peek().cloned() {
            Some(Token::Num(n)) => {
                self.at += 1;
                Ok(n)
            }
            _ => self.error("expected a number"),
        }
    }

    fn pair(&mut self) -> Result<[f64; 2], ParseError> {
        Ok([self.number()?, self.number()?])
    }
}

impl Expr {
    /// Parses CQL2 text.
    pub fn parse(text: &str) -> Result<Expr, ParseError> {
        let tokens = tokenize(text)?;
        let mut p = Parser {
            len: text.chars().count(),
            tokens,
            at: 0,
        };
        if p.tokens.is_empty() {
            return p.error("the filter is empty");
        }
        let e = p.or()?;
        if p.at < p.tokens.len() {
            return p.error("unexpected text after the filter");
        }
        Ok(e)
    }

    /// The property names the filter reads.
    pub fn properties(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_properties(&mut out);
        out
    }

    fn collect_properties<'a>(&'a self, out: &mut Vec<&'a str>) {
        let scalar = |s: &'a Scalar, out: &mut Vec<&'a str>| {
            if let Scalar::Property(p) = s {
                out.push(p.as_str());
            }
        };
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect_properties(out);
                b.collect_properties(out);
            }
            Expr::Not(a) => a.collect_properties(out),
            Expr::Compare(a, _, b) => {
                scalar(a, out);
                scalar(b, out);
            }
            Expr::IsNull(a) | Expr::Like(a, _) => scalar(a, out),
            Expr::In(a, list) => {
                scalar(a, out);
                for s in list {
                    scalar(s, out);
                }
            }
            Expr::Between(a, b, c) => {
                for s in [a, b, c] {
                    scalar(s, out);
                }
            }
            Expr::Intersects(_) | Expr::Literal(_) => {}
        }
    }

    /// Whether a feature matches.
    pub fn matches(&self, f: &impl Properties) -> bool {
        match self {
            Expr::And(a, b) => a.matches(f) && b.matches(f),
            Expr::Or(a, b) => a.matches(f) || b.matches(f),
            Expr::Not(a) => !a.matches(f),
            Expr::Literal(b) => *b,
            Expr::Compare(a, op, b) => {
                let Some(ord) = compare(&value(a, f), &value(b, f)) else {
                    return false;
                };
                match op {
                    Op::Eq => ord == Ordering::Equal,
                    Op::Ne => ord != Ordering::Equal,
                    Op::Lt => ord == Ordering::Less,
                    Op::Le => ord != Ordering::Greater,
                    Op::Gt => ord == Ordering::Greater,
                    Op::Ge => ord != Ordering::Less,
                }
            }
            Expr::IsNull(a) => value(a, f) == Value::Null,
            Expr::Like(a, pattern) => match value(a, f) {
                Value::Text(t) => like(&t, pattern),
                _ => false,
            },
            Expr::In(a, list) => {
                let v = value(a, f);
                list.iter()
                    .any(|s| compare(&v, &value(s, f)) == Some(Ordering::Equal))
            }
            Expr::Between(a, low, high) => {
                let v = value(a, f);
                compare(&v, &value(low, f)).is_some_and(|o| o != Ordering::Less)
                    && compare(&v, &value(high, f)).is_some_and(|o| o != Ordering::Greater)
            }
            Expr::Intersects(g) => f.intersects(g),
        }
    }
}

fn value(s: &Scalar, f: &impl Properties) -> Value {
    match s {
        Scalar::Literal(v) => v.clone(),
        Scalar::Property(name) => f.get(name).unwrap_or(Value::Null),
    }
}

/// Orders two values of the same type; text compares with instants when it reads as one.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    let instant = |t: &str| {
        crate::domain::model::Timestamp::parse(t, crate::domain::model::DayEnd::Start)
            .ok()
            .map(|t| t.0)
    };
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Instant(x), Value::Instant(y)) => Some(x.cmp(y)),
        (Value::Instant(x), Value::Text(t)) => instant(t).map(|y| x.cmp(&y)),
        (Value::Text(t), Value::Instant(y)) => instant(t).map(|x| x.cmp(y)),
        _ => None,
    }
}

/// SQL LIKE: `%` matches any run of characters, `_` any one; case-sensitive, as CQL2 says.
fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    // Classic two-row dynamic programme over (pattern, text).
    let mut row = vec![false; t.len() + 1];
    row[0] = true;
    for &pc in &p {
        let mut next = vec![false; t.len() + 1];
        if pc == '%' {
            let mut any = false;
            for j in 0..=t.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 1..=t.len() {
                next[j] = row[j - 1] && (pc == '_' || pc == t[j - 1]);
            }
        }
        row = next;
    }
    row[t.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct F(HashMap<&'static str, Value>, (f64, f64));

    impl Properties for F {
        fn get(&self, name: &str) -> Option<Value> {
            self.0.get(name).cloned()
        }
        fn intersects(&self, other: &geo::Geometry<f64>) -> bool {
            point_intersects(self.1.0, self.1.1, other)
        }
    }

    fn report() -> F {
        F(
            HashMap::from([
                ("status", Value::Text("disputed".into())),
                ("kind", Value::Text("drone".into())),
                ("uncertainty_m", Value::Number(5000.0)),
                ("in_sea", Value::Bool(false)),
                ("province", Value::Null),
                ("observed_from", Value::Instant(1_749_852_000)),
            ]),
            (49.58, 37.28),
        )
    }

    #[test]
    fn basic_cql2_matches_as_the_spec_says() {
        let r = report();
        for (filter, want) in [
            ("status = 'disputed'", true),
            ("\"status\" = 'disputed' AND kind <> 'drone'", false),
            ("status = 'x' OR NOT (kind = 'sound')", true),
            ("uncertainty_m >= 5000 and uncertainty_m < 5e3", false),
            ("uncertainty_m <= 5000", true),
            ("province IS NULL AND kind IS NOT NULL", true),
            ("in_sea = FALSE", true),
            ("observed_from > TIMESTAMP('2025-06-13T00:00:00Z')", true),
            ("observed_from < DATE('2025-06-13')", false),
            ("kind LIKE 'dr%' AND kind NOT LIKE '_x%'", true),
            ("status IN ('confirmed', 'disputed')", true),
            ("uncertainty_m BETWEEN 1000 AND 4000", false),
            ("S_INTERSECTS(geometry, BBOX(49, 37, 50, 38))", true),
            (
                "S_INTERSECTS(geometry, POLYGON((48 36, 49 36, 49 37, 48 36)))",
                false,
            ),
            ("S_INTERSECTS(geometry, POINT(49.58 37.28))", true),
            (
                "S_INTERSECTS(geometry, POLYGON((49 37, 50 37, 50 38, 49 38, 49 37)))",
                true,
            ),
            ("no_such_property = 1", false),
        ] {
            let e = Expr::parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
            assert_eq!(e.matches(&r), want, "{filter}");
        }
    }

    #[test]
    fn errors_say_where() {
        let e = Expr::parse("status = 'disputed' AND").unwrap_err();
        assert!(e.message.contains("ends too soon"), "{e}");
        let e = Expr::parse("status == 'x'").unwrap_err();
        assert_eq!(e.position, 9);
        assert!(Expr::parse("status = 'open").is_err());
        assert!(Expr::parse("").is_err());
    }
}
