//! Write access: a bearer token, when the server has one.

use super::AppState;
use super::problem::Problem;
use axum::extract::FromRequestParts;
use axum::http::{StatusCode, header, request::Parts};

/// Proof that a request may write. Handlers that write take it as an argument.
pub struct WriteAccess;

/// The write token, if the server has one.
#[derive(Debug, Clone, Default)]
pub struct WriteAuth {
    token: Option<String>,
}

impl WriteAuth {
    /// Writes need `Authorization: Bearer <token>` when `token` is set; otherwise anyone may
    /// write (the CLI allows that only on loopback or when told to).
    pub fn new(token: Option<String>) -> Self {
        Self {
            token: token.filter(|t| !t.is_empty()),
        }
    }

    fn check(&self, parts: &Parts) -> Result<(), Problem> {
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        match given {
            Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
            Some(_) => Err(unauthorized("the bearer token is not valid for writing")),
            None => Err(unauthorized(
                "writing needs an 'Authorization: Bearer <token>' header with the server's write token",
            )),
        }
    }
}

fn unauthorized(detail: &str) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "/problems/unauthorized",
        "Unauthorized",
        detail,
    )
}

/// Compares without stopping at the first difference, so timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        state.auth.check(parts).map(|()| WriteAccess)
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn equal_only_when_identical() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"secret"));
    }
}
