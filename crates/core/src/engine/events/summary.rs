//! What an event's members add up to: how many reports and independent origins stand
//! behind it, and a *suggested* grade with its reasons in words.
//!
//! The grades (after Airwars' grading of incidents by their sources) describe how a claim is
//! sourced, never whether it is true, and share no word with a report's `status`, which
//! reviewers alone set:
//! - `asserted_and_denied`: some origin asserts it and some origin denies it.
//! - `several_origins`: two or more independent origins assert it among the members placed
//!   precisely (the core: exact, place or near precision), and none denies it.
//! - `several_origins_placed_vaguely`: two or more independent origins assert it, fewer than
//!   two of them among the precisely placed members, and none denies it.
//! - `one_origin`: one origin asserts it, however many reports repeat it, and none denies it.
//! - `no_assertion`: nobody asserts it (only denials or investigations, or every assertion
//!   was retracted).
//!
//! Origins are counted by [`crate::domain::model::testimony`]'s rule, report by report: an
//! outlet relays or asserts within each of its reports. A retracted report's assertions do
//! not count: its source withdrew them.

use super::Event;
use super::member::Member;
use crate::domain::messages::{Message, MessageCode};
use crate::domain::model::testimony::Origins;
use crate::domain::model::{Kind, OriginCount, ReportId, SourceKey, Stance, Status};
use serde_json::json;

/// What the grade says, in one sentence, wherever events are shown (the message
/// [`MessageCode::GradeNote`]).
pub fn grade_note() -> Message {
    MessageCode::GradeNote.message()
}

/// The suggested grade of an event: what its sourcing looks like, in words that no report
/// status uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grade {
    /// Two or more independent origins assert it among the precisely placed members, and
    /// none denies it.
    SeveralOrigins,
    /// Two or more independent origins assert it, fewer than two among the precisely placed
    /// members, and none denies it.
    SeveralOriginsPlacedVaguely,
    /// One origin asserts it, and none denies it.
    OneOrigin,
    /// Some origin asserts it and some origin denies it.
    AssertedAndDenied,
    /// Nobody asserts it.
    NoAssertion,
}

impl Grade {
    /// Every grade, most origins first.
    pub const ALL: [Grade; 5] = [
        Grade::SeveralOrigins,
        Grade::SeveralOriginsPlacedVaguely,
        Grade::OneOrigin,
        Grade::AssertedAndDenied,
        Grade::NoAssertion,
    ];

    /// The words grades had before they were renamed so that none reads as a report status
    /// ("corroborated" is one), with the grade each now stands for: [`Grade::parse`] still
    /// takes them, so that older links and filters keep working.
    pub const FORMER_WORDS: [(&'static str, Grade); 4] = [
        ("corroborated", Grade::SeveralOrigins),
        ("partly corroborated", Grade::SeveralOriginsPlacedVaguely),
        ("single source", Grade::OneOrigin),
        ("contested", Grade::AssertedAndDenied),
    ];

    /// The grade's id (snake_case), as the API writes and takes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Grade::SeveralOrigins => "several_origins",
            Grade::SeveralOriginsPlacedVaguely => "several_origins_placed_vaguely",
            Grade::OneOrigin => "one_origin",
            Grade::AssertedAndDenied => "asserted_and_denied",
            Grade::NoAssertion => "no_assertion",
        }
    }

    /// The grade in words, as the web map's legend and badges show it.
    pub const fn label(self) -> &'static str {
        match self {
            Grade::SeveralOrigins => "several origins",
            Grade::SeveralOriginsPlacedVaguely => "several origins, placed vaguely",
            Grade::OneOrigin => "one origin",
            Grade::AssertedAndDenied => "asserted and denied",
            Grade::NoAssertion => "no assertion",
        }
    }

    /// The colour the web map gives the grade (its footprints, badges, legend and timeline):
    /// hues that no report status uses (statuses are grey, amber, red and purple).
    pub const fn colour(self) -> &'static str {
        match self {
            Grade::SeveralOrigins => "#2b8a3e",
            Grade::SeveralOriginsPlacedVaguely => "#74b816",
            Grade::OneOrigin => "#1098ad",
            Grade::AssertedAndDenied => "#e64980",
            Grade::NoAssertion => "#364fc7",
        }
    }

    /// The grade of an id, of its words, or of a former word ([`Grade::FORMER_WORDS`]);
    /// case, `_`, `-`, commas and repeated spaces do not matter.
    pub fn parse(text: &str) -> Option<Grade> {
        let text = normalise(text);
        Grade::ALL
            .into_iter()
            .find(|g| normalise(g.as_str()) == text || normalise(g.label()) == text)
            .or_else(|| {
                Grade::FORMER_WORDS
                    .into_iter()
                    .find(|(word, _)| normalise(word) == text)
                    .map(|(_, g)| g)
            })
    }
}

/// Words compared as [`Grade::parse`] compares them: lowercase, separated by single spaces.
fn normalise(text: &str) -> String {
    text.to_ascii_lowercase()
        .split(|c: char| c.is_whitespace() || matches!(c, '_' | '-' | ','))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An event's counts, time span and suggested grade.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSummary {
    /// Members in all.
    pub reports: usize,
    /// Members placed at exact, place or near precision.
    pub core_reports: usize,
    /// Vaguer members.
    pub supporting_reports: usize,
    /// Members whose location is private (counted, never shown exactly to the public).
    pub private_reports: usize,
    /// Independent origins of all members, by stance, and outlets.
    pub origins: OriginCount,
    /// Independent asserting origins among the core members (never more than
    /// `origins.asserting`: origins are counted report by report).
    pub core_asserting: usize,
    /// Earliest start of an observation, epoch seconds.
    pub from: i64,
    /// Latest end of an observation, epoch seconds.
    pub to: i64,
    /// The kinds reported, in vocabulary order.
    pub kinds: Vec<Kind>,
    /// The suggested grade.
    pub grade: Grade,
    /// Why, as messages of the catalogue (code, parameters and English text).
    pub reasons: Vec<Message>,
}

/// The sources of a member that count: all but the assertions of a retracted report.
fn counted(member: &Member) -> impl Iterator<Item = &SourceKey> + Clone {
    let retracted = member.status == Status::Retracted;
    member
        .testimony
        .keys()
        .iter()
        .filter(move |k| !(retracted && k.stance == Stance::Asserts))
}

/// Sums up an event from its members. A member counts as core by [`Member::core`].
pub fn summarize<'a>(event: &Event, member: impl Fn(&ReportId) -> &'a Member) -> EventSummary {
    let all: Vec<&Member> = event.members().map(&member).collect();
    let mut origins = Origins::new();
    let mut core_origins = Origins::new();
    for m in &all {
        origins.add_report(counted(m));
        if m.core {
            core_origins.add_report(counted(m));
        }
    }
    let counts = origins.count();
    let core_asserting = core_origins.count().asserting;
    // The outlet's name as the first member naming it wrote it (core first, then by id).
    let sole_outlet = origins
        .sole_asserting_outlet()
        .and_then(|key| all.iter().find_map(|m| m.testimony.outlet_name(key)));
    let mut kinds: Vec<Kind> = all.iter().map(|m| m.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let (grade, reasons) = grade(&counts, core_asserting, all.len(), sole_outlet);
    let core_reports = all.iter().filter(|m| m.core).count();
    EventSummary {
        reports: all.len(),
        core_reports,
        supporting_reports: all.len() - core_reports,
        private_reports: all.iter().filter(|m| m.public.is_some()).count(),
        origins: counts,
        core_asserting,
        from: all.iter().map(|m| m.from).min().unwrap_or_default(),
        to: all.iter().map(|m| m.to).max().unwrap_or_default(),
        kinds,
        grade,
        reasons,
    }
}

/// The grade of the counts, and why. `sole_outlet` names the one outlet every asserting
/// origin came through, if there is one.
fn grade(
    origins: &OriginCount,
    core_asserting: usize,
    reports: usize,
    sole_outlet: Option<&str>,
) -> (Grade, Vec<Message>) {
    let mut reasons = Vec::new();
    let grade = if origins.asserting > 0 && origins.denying > 0 {
        reasons.push(Message::new(
            MessageCode::ReasonAssertedAndDenied,
            vec![
                ("asserting", json!(origins.asserting)),
                ("denying", json!(origins.denying)),
            ],
        ));
        Grade::AssertedAndDenied
    } else if core_asserting >= 2 {
        reasons.push(Message::new(
            MessageCode::ReasonSeveralOrigins,
            vec![("core_asserting", json!(core_asserting))],
        ));
        Grade::SeveralOrigins
    } else if origins.asserting >= 2 {
        reasons.push(Message::new(
            MessageCode::ReasonSeveralOriginsPlacedVaguely,
            vec![
                ("asserting", json!(origins.asserting)),
                ("core_asserting", json!(core_asserting)),
            ],
        ));
        Grade::SeveralOriginsPlacedVaguely
    } else if origins.asserting == 1 {
        reasons.push(Message::new(
            MessageCode::ReasonOneOrigin,
            vec![("reports", json!(reports))],
        ));
        Grade::OneOrigin
    } else {
        reasons.push(MessageCode::ReasonNoAssertion.message());
        Grade::NoAssertion
    };
    if let Some(outlet) = sole_outlet.filter(|_| origins.asserting >= 2) {
        reasons.push(Message::new(
            MessageCode::ReasonOneOutlet,
            vec![("outlet", json!(outlet))],
        ));
    }
    if origins.investigating > 0 {
        reasons.push(Message::new(
            MessageCode::ReasonInvestigating,
            vec![("investigating", json!(origins.investigating))],
        ));
    }
    if origins.outlets > 0 {
        reasons.push(Message::new(
            MessageCode::ReasonRelayed,
            vec![("outlets", json!(origins.outlets))],
        ));
    }
    (grade, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "one independent origin asserts" or "3 independent origins assert".
    fn origins_do(n: usize, verb: &str) -> String {
        match n {
            1 => format!("one independent origin {verb}s"),
            n => format!("{n} independent origins {verb}"),
        }
    }

    /// The grade as it was written before the catalogue, sentence by sentence (under the
    /// grades' present names).
    fn old_grade(
        origins: &OriginCount,
        core_asserting: usize,
        reports: usize,
    ) -> (Grade, Vec<String>) {
        let mut reasons = Vec::new();
        let grade = if origins.asserting > 0 && origins.denying > 0 {
            reasons.push(format!(
                "{} it and {} it",
                origins_do(origins.asserting, "assert"),
                match origins.denying {
                    1 => "one independent origin denies".to_string(),
                    n => format!("{n} independent origins deny"),
                }
            ));
            Grade::AssertedAndDenied
        } else if core_asserting >= 2 {
            reasons.push(format!(
                "{core_asserting} independent origins assert it at a precise place (exact, place or near precision); none denies it"
            ));
            Grade::SeveralOrigins
        } else if origins.asserting >= 2 {
            reasons.push(format!(
                "{} independent origins assert it, but {} it precisely; the others name only a region, province or country",
                origins.asserting,
                match core_asserting {
                    0 => "none places".to_string(),
                    n => origins_do(n, "place"),
                }
            ));
            Grade::SeveralOriginsPlacedVaguely
        } else if origins.asserting == 1 {
            reasons.push(if reports > 1 {
                format!("{reports} reports, all tracing back to one origin")
            } else {
                "one report from one origin".to_string()
            });
            Grade::OneOrigin
        } else {
            reasons.push(
                "no origin asserts it: only denials or investigations, or the assertions were retracted"
                    .to_string(),
            );
            Grade::NoAssertion
        };
        if origins.investigating > 0 {
            reasons.push(match origins.investigating {
                1 => "one independent origin is investigating".to_string(),
                n => format!("{n} independent origins are investigating"),
            });
        }
        if origins.outlets > 0 {
            reasons.push(format!(
                "relayed through {} outlet{}",
                origins.outlets,
                if origins.outlets == 1 { "" } else { "s" }
            ));
        }
        (grade, reasons)
    }

    #[test]
    fn the_catalogue_says_what_the_sentences_said() {
        for asserting in 0..4 {
            for denying in 0..3 {
                for core in 0..=asserting {
                    for investigating in 0..3 {
                        for outlets in 0..3 {
                            for reports in 1..3 {
                                let origins = OriginCount {
                                    asserting,
                                    denying,
                                    investigating,
                                    outlets,
                                };
                                let (g, reasons) = grade(&origins, core, reports, None);
                                let (old_g, old_reasons) = old_grade(&origins, core, reports);
                                assert_eq!(g, old_g);
                                let texts: Vec<String> =
                                    reasons.iter().map(|m| m.text.clone()).collect();
                                assert_eq!(texts, old_reasons);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_asserting_origin_through_one_outlet_is_said_with_its_name() {
        let origins = OriginCount {
            asserting: 2,
            denying: 0,
            investigating: 1,
            outlets: 1,
        };
        let (g, reasons) = grade(&origins, 1, 3, Some("Tehran Times"));
        assert_eq!(g, Grade::SeveralOriginsPlacedVaguely);
        let codes: Vec<&str> = reasons.iter().map(|m| m.code.code()).collect();
        assert_eq!(
            codes,
            [
                "grade.reason.several_origins_placed_vaguely",
                "grade.reason.one_outlet",
                "grade.reason.investigating",
                "grade.reason.relayed"
            ]
        );
        assert_eq!(
            reasons[1].text,
            "every asserting origin reached us through one outlet (Tehran Times)"
        );
        // One origin through one outlet is what "relayed through one outlet" already says.
        let one = OriginCount {
            asserting: 1,
            ..origins
        };
        let (_, reasons) = grade(&one, 1, 1, Some("Tehran Times"));
        assert!(
            reasons
                .iter()
                .all(|m| m.code != MessageCode::ReasonOneOutlet)
        );
    }

    #[test]
    fn the_first_reason_of_each_grade_is_coded_by_its_id() {
        for asserting in 0..4 {
            for denying in 0..3 {
                for core in 0..=asserting {
                    let origins = OriginCount {
                        asserting,
                        denying,
                        ..OriginCount::default()
                    };
                    let (g, reasons) = grade(&origins, core, 2, None);
                    assert_eq!(
                        reasons[0].code.code(),
                        format!("grade.reason.{}", g.as_str())
                    );
                }
            }
        }
    }

    #[test]
    fn grades_parse_from_ids_words_and_former_words() {
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.as_str()), Some(g));
            assert_eq!(Grade::parse(g.label()), Some(g));
            assert_eq!(Grade::parse(&g.label().to_uppercase()), Some(g));
            assert!(
                g.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
            );
        }
        assert_eq!(Grade::parse(" Corroborated "), Some(Grade::SeveralOrigins));
        assert_eq!(
            Grade::parse("partly_corroborated"),
            Some(Grade::SeveralOriginsPlacedVaguely)
        );
        assert_eq!(Grade::parse("single source"), Some(Grade::OneOrigin));
        assert_eq!(Grade::parse("contested"), Some(Grade::AssertedAndDenied));
        assert_eq!(Grade::parse("no assertion"), Some(Grade::NoAssertion));
        assert_eq!(Grade::parse("confirmed"), None);
        assert_eq!(Grade::parse(""), None);
    }

    #[test]
    fn no_grade_is_a_word_of_a_report_status() {
        for g in Grade::ALL {
            for s in Status::ALL {
                assert!(!g.as_str().contains(s.as_str()), "{} {}", g.as_str(), s);
                assert!(!g.label().contains(s.as_str()), "{} {}", g.label(), s);
            }
        }
    }
}
