//! `/api/tokens`: making, listing and revoking access tokens (admin only). A new token's
//! secret is in the response to its creation and nowhere else, ever.

use super::AppState;
use super::auth::AsTokenAdmin;
use super::extract::JsonBody;
use super::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use sightmap_core::domain::access::{Role, TokenRecord, new_token};
use sightmap_core::domain::model::{FieldError, Timestamp};

/// The longest token name, in characters.
const MAX_NAME_CHARS: usize = 200;

/// What `POST /api/tokens` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who or what the token is for.
    name: String,
    /// reader, reporter, reviewer or admin.
    role: String,
}

/// A token as listed: never its secret or hash.
fn listed(t: &TokenRecord) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "role": t.role.as_str(),
        "created_at": t.created_at.to_string(),
        "revoked_at": t.revoked_at.map(|r| r.to_string()),
    })
}

/// Reloads the live tokens after a change.
async fn reload(state: &AppState) -> Result<(), Problem> {
    let tokens = state.reports.store()?.tokens().await?;
    state.auth.tokens().load(tokens);
    Ok(())
}

/// `POST /api/tokens`: a new token; the response holds its secret, shown only this once.
pub async fn create(
    State(state): State<AppState>,
    AsTokenAdmin(caller): AsTokenAdmin,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let mut errors = Vec::new();
    let role = body
        .role
        .parse::<Role>()
        .map_err(|_| {
            let allowed = Role::ALL.map(Role::as_str);
            errors.push(FieldError::not_one_of("role", &body.role, &allowed));
        })
        .ok();
    // The name says who or what the token is for.
    let chars = body.name.chars().count();
    if body.name.trim().is_empty() {
        errors.push(FieldError::required("name"));
    } else if chars > MAX_NAME_CHARS {
        errors.push(FieldError::too_long("name", chars, MAX_NAME_CHARS));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Err(Problem::with_fields(
            StatusCode::UNPROCESSABLE_ENTITY,
            "/problems/invalid-token-request",
            "Invalid token request",
            errors,
        ));
    };
    let (record, secret) = new_token(&body.name, role).map_err(Problem::internal)?;
    state.reports.store()?.add_token(record.clone()).await?;
    reload(&state).await?;
    tracing::info!(token = %record.id, name = %record.name, role = %record.role, by = %caller.name, "made a token");
    let mut body = listed(&record);
    body["token"] = Value::String(secret);
    Ok((StatusCode::CREATED, Json(body)))
}

/// `GET /api/tokens`: every token, revoked ones too, without secrets.
pub async fn list(State(state): State<AppState>, _: AsTokenAdmin) -> Result<Json<Value>, Problem> {
    let tokens = state.reports.store()?.tokens().await?;
    Ok(Json(
        json!({ "tokens": tokens.iter().map(listed).collect::<Vec<_>>() }),
    ))
}

/// `DELETE /api/tokens/{id}`: revokes a token at once.
pub async fn revoke(
    State(state): State<AppState>,
    AsTokenAdmin(caller): AsTokenAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| {
        // A token id is a UUID, as GET /api/tokens lists them.
        Problem::invalid_query(vec![FieldError::not_a_uuid("id", &id)])
    })?;
    if !state
        .reports
        .store()?
        .revoke_token(id, Timestamp::now())
        .await?
    {
        return Err(Problem::not_found(format!("no live token has id {id}")));
    }
    reload(&state).await?;
    tracing::info!(token = %id, by = %caller.name, "revoked a token");
    Ok(StatusCode::NO_CONTENT)
}
