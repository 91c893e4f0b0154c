//! Access over HTTP: a token names the caller and its role (see [`sightmap_core::domain::access`]).
//!
//! A request presents its token as `Authorization: Bearer <token>`, or as HTTP Basic
//! credentials whose password is the token (any user name): QGIS's and GDAL's login methods
//! send only Basic. Both forms have the same roles and checks; every 401 offers both in
//! `WWW-Authenticate`.
//!
//! - A request without a token may read, unless the server is `--private`; it may write only
//!   while the server has no tokens at all and no `--write-token` (the command line allows
//!   that only on loopback, or when told `--allow-anonymous-writes`).
//! - `--write-token` acts as an admin token.
//! - A token that is not a live token's gets 401; a token whose role is too low gets 403. Both
//!   are problem+json saying which role the action needs.

use super::AppState;
use super::problem::Problem;
use axum::extract::FromRequestParts;
use axum::http::{StatusCode, header, request::Parts};
use base64::Engine;
use sightmap_core::domain::access::{Caller, Role, TokenBook, constant_time_eq};
use sightmap_core::domain::model::privacy::Viewer;
use std::borrow::Cow;
use std::sync::Arc;

/// Who may do what.
#[derive(Debug, Default)]
pub struct Access {
    /// `--write-token`, an admin token kept outside the store.
    write_token: Option<String>,
    /// The store's live tokens.
    tokens: Arc<TokenBook>,
    /// Whether reading needs a token.
    private: bool,
}

impl Access {
    /// Access with the store's tokens, `--write-token` if given, and whether reads need a
    /// token.
    pub fn new(write_token: Option<String>, tokens: Arc<TokenBook>, private: bool) -> Self {
        Self {
            write_token: write_token.filter(|t| !t.is_empty()),
            tokens,
            private,
        }
    }

    /// Whether reading needs a token (`--private`).
    pub fn is_private(&self) -> bool {
        self.private
    }

    /// The live tokens, to reload when they change.
    pub fn tokens(&self) -> &Arc<TokenBook> {
        &self.tokens
    }

    /// Whether anyone may write: no token of any kind exists.
    fn open(&self) -> bool {
        self.write_token.is_none() && self.tokens.is_empty()
    }

    /// The caller a request's token names; `None` when it sends none; 401 for a token that is
    /// not live.
    fn caller(&self, parts: &Parts) -> Result<Option<Caller>, Problem> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(None);
        }
        let secret = presented_token(&parts.headers).ok_or_else(|| {
            unauthorized(
                "the Authorization header must be 'Bearer <token>', or Basic credentials \
                 whose password is the token"
                    .to_string(),
            )
        })?;
        let secret = secret.as_ref();
        if let Some(expected) = &self.write_token
            && constant_time_eq(secret.as_bytes(), expected.as_bytes())
        {
            return Ok(Some(Caller {
                name: "write token".into(),
                role: Role::Admin,
            }));
        }
        self.tokens
            .verify(secret)
            .map(Some)
            .ok_or_else(|| unauthorized("the token is not valid (unknown or revoked)".into()))
    }

    /// The caller, if it may act with `role`; else 401 (no or bad token) or 403 (too low a
    /// role), saying which role is needed.
    pub fn require(&self, parts: &Parts, role: Role, action: &str) -> Result<Caller, Problem> {
        self.check(parts, role, action, true)
    }

    /// As [`Access::require`], but never for a caller without a token, even while writes are
    /// open: managing tokens always needs an admin token (made with `sightmap token create`).
    pub fn require_token(
        &self,
        parts: &Parts,
        role: Role,
        action: &str,
    ) -> Result<Caller, Problem> {
        self.check(parts, role, action, false)
    }

    fn check(
        &self,
        parts: &Parts,
        role: Role,
        action: &str,
        open_allowed: bool,
    ) -> Result<Caller, Problem> {
        match self.caller(parts)? {
            Some(caller) if caller.role >= role => Ok(caller),
            Some(caller) => Err(Problem::new(
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "Forbidden",
                format!(
                    "{action} needs a {role} token or higher; this token ('{}') is a {} token",
                    caller.name, caller.role
                ),
            )),
            None if role == Role::Reader && !self.private => Ok(anonymous()),
            None if role > Role::Reader && open_allowed && self.open() => Ok(anonymous()),
            None => Err(unauthorized(format!(
                "{action} needs a {role} token or higher, sent as 'Authorization: Bearer <token>' \
                 or as the password of HTTP Basic credentials"
            ))),
        }
    }
}

/// The token a request presents: that of an `Authorization: Bearer <token>` header, or the
/// password of `Authorization: Basic` credentials (the user name is ignored). `None` when the
/// header is missing or in neither form. The rate limit keys clients by it too.
pub(super) fn presented_token(headers: &axum::http::HeaderMap) -> Option<Cow<'_, str>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return (!rest.is_empty()).then_some(Cow::Borrowed(rest));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .ok()?;
    let credentials = String::from_utf8(decoded).ok()?;
    let (_user, password) = credentials.split_once(':')?;
    (!password.is_empty()).then(|| Cow::Owned(password.to_string()))
}

fn anonymous() -> Caller {
    Caller {
        name: "anonymous".into(),
        role: Role::Reader,
    }
}

fn unauthorized(detail: String) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "/problems/unauthorized",
        "Unauthorized",
        detail,
    )
}

/// Defines an extractor that admits callers with at least a role.
macro_rules! role_guard {
    ($(#[$meta:meta])* $name:ident, $check:ident, $role:expr, $action:literal) => {
        $(#[$meta])*
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = Problem;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Problem> {
                state.auth.$check(parts, $role, $action).map($name)
            }
        }
    };
}

role_guard!(
    /// A caller that may create reports.
    AsReporter,
    require,
    Role::Reporter,
    "creating a report"
);
role_guard!(
    /// A caller that may edit reports and change their status.
    AsReviewer,
    require,
    Role::Reviewer,
    "editing a report"
);
role_guard!(
    /// A caller that may delete reports.
    AsAdmin,
    require,
    Role::Admin,
    "deleting a report"
);
role_guard!(
    /// A caller with an admin token, who may manage tokens.
    AsTokenAdmin,
    require_token,
    Role::Admin,
    "managing tokens"
);

impl Access {
    /// Which locations a request may see: the exact ones with a reviewer or admin token, else
    /// what the public sees (a token that is not valid sees what anonymous callers see). A
    /// caller the read guard found already is not looked up again.
    pub fn viewer(&self, parts: &Parts) -> Viewer {
        let role = match parts.extensions.get::<Caller>() {
            Some(caller) => Some(caller.role),
            None => self.caller(parts).ok().flatten().map(|c| c.role),
        };
        match role {
            Some(role) if role >= Role::Reviewer => Viewer::Exact,
            _ => Viewer::Public,
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(state.auth.viewer(parts))
    }
}
