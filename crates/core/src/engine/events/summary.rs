//! What an event's members add up to: how many reports and independent origins stand
//! behind it, and a *suggested* grade with its reasons in words.
//!
//! The grades (after Airwars' grading of incidents by their sources, but never a verdict:
//! a report's `status` is set by reviewers alone):
//! - `contested`: some origin asserts it and some origin denies it.
//! - `corroborated`: at least two independent origins assert it at a precise place (core
//!   reports: exact, place or near), and none denies it.
//! - `partly corroborated`: at least two independent origins assert it, but fewer than two
//!   place it precisely.
//! - `single source`: one origin asserts it, however many reports repeat it.
//! - `no assertion`: nobody asserts it (only denials or investigations, or every assertion
//!   was retracted).
//!
//! A retracted report's assertions do not count: its source withdrew them.

use super::Event;
use super::member::Member;
use crate::domain::messages::{Message, MessageCode};
use crate::domain::model::testimony::count_origins;
use crate::domain::model::{Kind, OriginCount, SourceKey, Stance, Status};
use serde_json::json;

/// What the grade says, in one sentence, wherever events are shown (the message
/// [`MessageCode::GradeNote`]).
pub fn grade_note() -> Message {
    MessageCode::GradeNote.message()
}

/// The suggested grade of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grade {
    /// Asserted by two or more independent origins at a precise place, denied by none.
    Corroborated,
    /// Asserted by two or more independent origins, fewer than two placing it precisely.
    PartlyCorroborated,
    /// Asserted by one origin.
    SingleSource,
    /// Asserted and denied.
    Contested,
    /// Asserted by nobody.
    NoAssertion,
}

impl Grade {
    /// Every grade, strongest first.
    pub const ALL: [Grade; 5] = [
        Grade::Corroborated,
        Grade::PartlyCorroborated,
        Grade::SingleSource,
        Grade::Contested,
        Grade::NoAssertion,
    ];

    /// The grade's words.
    pub const fn as_str(self) -> &'static str {
        match self {
            Grade::Corroborated => "corroborated",
            Grade::PartlyCorroborated => "partly corroborated",
            Grade::SingleSource => "single source",
            Grade::Contested => "contested",
            Grade::NoAssertion => "no assertion",
        }
    }

    /// The colour the web map gives the grade (its footprints, badges and legend).
    pub const fn colour(self) -> &'static str {
        match self {
            Grade::Corroborated => "#2b8a3e",
            Grade::PartlyCorroborated => "#74b816",
            Grade::SingleSource => "#868e96",
            Grade::Contested => "#e8590c",
            Grade::NoAssertion => "#495057",
        }
    }

    /// The grade of these words (`_` may stand for the space).
    pub fn parse(text: &str) -> Option<Grade> {
        let text = text.trim().replace('_', " ").to_ascii_lowercase();
        Grade::ALL.into_iter().find(|g| g.as_str() == text)
    }
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
    /// Independent asserting origins among the core members.
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

/// Sums up an event from its members.
pub fn summarize<'a>(
    event: &Event,
    member: impl Fn(&crate::domain::model::ReportId) -> &'a Member,
) -> EventSummary {
    let core: Vec<&Member> = event.core.iter().map(&member).collect();
    let support: Vec<&Member> = event.support.iter().map(&member).collect();
    let all = || core.iter().chain(&support).copied();
    let keys: Vec<SourceKey> = all().flat_map(counted).copied().collect();
    let origins = count_origins(&keys);
    let core_keys: Vec<SourceKey> = core.iter().copied().flat_map(counted).copied().collect();
    let core_asserting = count_origins(&core_keys).asserting;
    let mut kinds: Vec<Kind> = all().map(|m| m.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let (grade, reasons) = grade(&origins, core_asserting, event.len());
    EventSummary {
        reports: event.len(),
        core_reports: core.len(),
        supporting_reports: support.len(),
        private_reports: all().filter(|m| m.public.is_some()).count(),
        origins,
        core_asserting,
        from: all().map(|m| m.from).min().unwrap_or_default(),
        to: all().map(|m| m.to).max().unwrap_or_default(),
        kinds,
        grade,
        reasons,
    }
}

/// The grade of the counts, and why.
fn grade(origins: &OriginCount, core_asserting: usize, reports: usize) -> (Grade, Vec<Message>) {
    let mut reasons = Vec::new();
    let grade = if origins.asserting > 0 && origins.denying > 0 {
        reasons.push(Message::new(
            MessageCode::ReasonContested,
            vec![
                ("asserting", json!(origins.asserting)),
                ("denying", json!(origins.denying)),
            ],
        ));
        Grade::Contested
    } else if core_asserting >= 2 {
        reasons.push(Message::new(
            MessageCode::ReasonCorroborated,
            vec![("core_asserting", json!(core_asserting))],
        ));
        Grade::Corroborated
    } else if origins.asserting >= 2 {
        reasons.push(Message::new(
            MessageCode::ReasonPartlyCorroborated,
            vec![
                ("asserting", json!(origins.asserting)),
                ("core_asserting", json!(core_asserting)),
            ],
        ));
        Grade::PartlyCorroborated
    } else if origins.asserting == 1 {
        reasons.push(Message::new(
            MessageCode::ReasonSingleOrigin,
            vec![("reports", json!(reports))],
        ));
        Grade::SingleSource
    } else {
        reasons.push(MessageCode::ReasonNoAssertion.message());
        Grade::NoAssertion
    };
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

    /// The grade as it was written before the catalogue, sentence by sentence.
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
            Grade::Contested
        } else if core_asserting >= 2 {
            reasons.push(format!(
                "{core_asserting} independent origins assert it at a precise place (exact, place or near precision); none denies it"
            ));
            Grade::Corroborated
        } else if origins.asserting >= 2 {
            reasons.push(format!(
                "{} independent origins assert it, but {} it precisely; the others name only a region, province or country",
                origins.asserting,
                match core_asserting {
                    0 => "none places".to_string(),
                    n => origins_do(n, "place"),
                }
            ));
            Grade::PartlyCorroborated
        } else if origins.asserting == 1 {
            reasons.push(if reports > 1 {
                format!("{reports} reports, all tracing back to one origin")
            } else {
                "one report from one origin".to_string()
            });
            Grade::SingleSource
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
                                let (g, reasons) = grade(&origins, core, reports);
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
}
