//! Who may do what: access tokens with roles.
//!
//! A token is a random secret (`smt_` and 64 hex digits, 256 bits) shown once when it is made;
//! the store keeps only its SHA-256 hash, with a name, a role and when it was made and revoked.
//! A request's token is hashed and compared, in constant time, with every live token's hash.
//!
//! Roles, each allowed what the ones before it are:
//! - **reader** reads (reads are public unless the server runs with `--private`);
//! - **reporter** creates reports;
//! - **reviewer** edits reports and changes their status;
//! - **admin** deletes reports and manages tokens.

use crate::domain::model::Timestamp;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// What a token allows, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads.
    Reader,
    /// Creates reports.
    Reporter,
    /// Edits reports and changes their status.
    Reviewer,
    /// Deletes reports and manages tokens.
    Admin,
}

impl Role {
    /// Every role, in increasing order.
    pub const ALL: [Role; 4] = [Role::Reader, Role::Reporter, Role::Reviewer, Role::Admin];

    /// The role's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Reporter => "reporter",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                format!("unknown role '{s}'; allowed: reader, reporter, reviewer, admin")
            })
    }
}

/// A token as the store keeps it: never the secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's id (not secret): for listing and revoking.
    pub id: uuid::Uuid,
    /// Who or what it is for.
    pub name: String,
    /// What it allows.
    pub role: Role,
    /// SHA-256 of the secret.
    pub hash: [u8; 32],
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// The prefix of every secret, so that a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "smt_";

/// A new token: its record and the secret, which is shown once and never stored.
pub fn new_token(name: &str, role: Role) -> Result<(TokenRecord, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let secret = format!(
        "{SECRET_PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let record = TokenRecord {
        id: uuid::Uuid::now_v7(),
        name: name.trim().to_string(),
        role,
        hash: hash_secret(&secret),
        created_at: Timestamp::now(),
        revoked_at: None,
    };
    Ok((record, secret))
}

/// SHA-256 of a secret.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether two byte strings are equal, without stopping at the first difference, so that
/// the time taken does not reveal how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, &x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

/// Who a request comes from, once its token is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name.
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// The live tokens, in memory, checked on every request that sends one.
#[derive(Debug, Default)]
pub struct TokenBook {
    live: parking_lot::RwLock<Vec<TokenRecord>>,
}

impl TokenBook {
    /// Replaces the tokens with these (revoked ones are dropped).
    pub fn load(&self, tokens: Vec<TokenRecord>) {
        *self.live.write() = tokens
            .into_iter()
            .filter(|t| t.revoked_at.is_none())
            .collect();
    }

    /// Whether any token is live.
    pub fn is_empty(&self) -> bool {
        self.live.read().is_empty()
    }

    /// The caller a secret belongs to, if it is a live token's. Every live token's hash is
    /// compared in full, whichever matches.
    pub fn verify(&self, secret: &str) -> Option<Caller> {
        let hash = hash_secret(secret);
        let mut found = None;
        for token in self.live.read().iter() {
            if constant_time_eq(&token.hash, &hash) && found.is_none() {
                found = Some(Caller {
                    name: token.name.clone(),
                    role: token.role,
                });
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_only_when_identical() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn a_token_verifies_until_it_is_revoked() {
        let (record, secret) = new_token("field desk", Role::Reviewer).unwrap();
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == SECRET_PREFIX.len() + 64);
        assert_ne!(record.hash, [0; 32]);
        let book = TokenBook::default();
        book.load(vec![record.clone()]);
        assert_eq!(
            book.verify(&secret),
            Some(Caller {
                name: "field desk".into(),
                role: Role::Reviewer
            })
        );
        let mut wrong = secret.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert_eq!(book.verify(&wrong), None);
        let revoked = TokenRecord {
            revoked_at: Some(Timestamp::now()),
            ..record
        };
        book.load(vec![revoked]);
        assert_eq!(book.verify(&secret), None);
        assert!(book.is_empty());
    }

    #[test]
    fn roles_are_ordered_and_parse() {
        assert!(Role::Reader < Role::Reporter && Role::Reviewer < Role::Admin);
        assert_eq!("Reviewer".parse::<Role>(), Ok(Role::Reviewer));
        assert!("owner".parse::<Role>().is_err());
    }
}
