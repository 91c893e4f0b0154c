//! A report's revisions (who changed it, when, how) and what each changed, field by field,
//! for `GET /api/reports/{id}/history`.

use crate::domain::model::Report;
use crate::domain::model::Timestamp;
use crate::domain::model::privacy::Viewer;
use serde_json::{Map, Value, json};

/// What a revision did to its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisionAction {
    /// The report was stored.
    Created,
    /// Its fields changed.
    Edited,
    /// It was hidden from queries (the store keeps it and its history).
    Deleted,
}

impl RevisionAction {
    /// The action's name, as stored and shown.
    pub const fn as_str(self) -> &'static str {
        match self {
            RevisionAction::Created => "created",
            RevisionAction::Edited => "edited",
            RevisionAction::Deleted => "deleted",
        }
    }

    /// The action a stored name stands for (`None` for a name no sightmap writes).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "created" => Some(RevisionAction::Created),
            "edited" => Some(RevisionAction::Edited),
            "deleted" => Some(RevisionAction::Deleted),
            _ => None,
        }
    }
}

/// One change to one report: who, when, what, and the report as it was after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The store version of the change.
    pub version: i64,
    /// When.
    pub at: Timestamp,
    /// Who: the name of the token that made it, `anonymous`, or `import`.
    pub by: String,
    /// What kind of change.
    pub action: RevisionAction,
    /// The report after the change (`None` after a deletion).
    pub report: Option<Report>,
}

/// A report's fields as `name` (or `group.name` for the location, relation and observation
/// interval) to value; without the location and relation when `withhold_location`.
fn fields(report: &Report, withhold_location: bool) -> Map<String, Value> {
    let mut out = Map::new();
    let Ok(Value::Object(top)) = serde_json::to_value(report) else {
        return out;
    };
    for (key, value) in top {
        if withhold_location && matches!(key.as_str(), "location" | "relation") {
            continue;
        }
        match value {
            Value::Object(inner)
                if matches!(key.as_str(), "location" | "relation" | "observed") =>
            {
                for (k, v) in inner {
                    out.insert(format!("{key}.{k}"), v);
                }
            }
            other => {
                out.insert(key, other);
            }
        }
    }
    out
}

/// The fields that differ between two states of a report, each as `{"from": …, "to": …}`
/// (`from` left out for a field that was not there, `to` for one that is gone).
fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Map::new();
    for key in keys {
        let (from, to) = (old.get(key), new.get(key));
        if from == to {
            continue;
        }
        let mut change = Map::new();
        if let Some(from) = from {
            change.insert("from".into(), from.clone());
        }
        if let Some(to) = to {
            change.insert("to".into(), to.clone());
        }
        out.insert(key.clone(), Value::Object(change));
    }
    out
}

/// The revisions as the API shows them to `viewer`: who, when, what kind of change, and what
/// changed (a deletion changes no field: the report is kept as it was, hidden from queries).
///
/// The public sees each revision's location as it saw it then: a private one's public view.
/// Once a report has been private, the public sees no location of its revisions that were
/// not, since those may have held the exact point before the reporter asked to hide it.
pub fn revisions_json(revisions: &[Revision], viewer: Viewer) -> Vec<Value> {
    let ever_private = revisions
        .iter()
        .any(|r| r.report.as_ref().is_some_and(Report::is_private));
    let mut before = Map::new();
    revisions
        .iter()
        .map(|r| {
            let changed = match (r.action, &r.report) {
                (RevisionAction::Deleted, _) | (_, None) => Map::new(),
                (_, Some(report)) => {
                    let withhold = viewer == Viewer::Public && ever_private && !report.is_private();
                    let now = fields(&report.seen_by(viewer), withhold);
                    let changed = diff(&before, &now);
                    before = now;
                    changed
                }
            };
            json!({
                "version": r.version,
                "at": r.at.to_string(),
                "by": r.by,
                "action": r.action.as_str(),
                "changes": changed,
            })
        })
        .collect()
}
