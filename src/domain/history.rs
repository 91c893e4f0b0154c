//! What each revision of a report changed, field by field, for `GET /api/reports/{id}/history`.

use crate::model::Report;
use crate::model::privacy::Viewer;
use crate::store::{Revision, RevisionAction};
use serde_json::{Map, Value, json};

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
