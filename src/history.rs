//! What each revision of a report changed, field by field, for `GET /api/reports/{id}/history`.

use crate::model::Report;
use crate::store::{Revision, RevisionAction};
use serde_json::{Map, Value, json};

/// A report's fields as `name` (or `group.name` for the location, relation and observation
/// interval) to value.
fn fields(report: Option<&Report>) -> Map<String, Value> {
    let mut out = Map::new();
    let Some(Value::Object(top)) = report.and_then(|r| serde_json::to_value(r).ok()) else {
        return out;
    };
    for (key, value) in top {
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
pub fn changes(before: Option<&Report>, after: Option<&Report>) -> Map<String, Value> {
    let (old, new) = (fields(before), fields(after));
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

/// The revisions as the API shows them: who, when, what kind of change, and what changed
/// (a deletion changes no field: the report is kept as it was, hidden from queries).
pub fn revisions_json(revisions: &[Revision]) -> Vec<Value> {
    let mut before: Option<&Report> = None;
    revisions
        .iter()
        .map(|r| {
            let changed = match r.action {
                RevisionAction::Deleted => Map::new(),
                _ => changes(before, r.report.as_ref()),
            };
            if r.report.is_some() {
                before = r.report.as_ref();
            }
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
