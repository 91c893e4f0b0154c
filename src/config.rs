//! The command line: one clap struct per subcommand. Every flag can also be set by an
//! environment variable: `SIGHTMAP_<FLAG>` for `serve`'s and the store's, and
//! `SIGHTMAP_<COMMAND>_<FLAG>` where two commands' flags share a name (`--out`, `--from`).
//! `tests/readme.rs` holds the README's table to every flag.

use clap::{Args, Parser, Subcommand};
use sightmap_core::engine::events::EventSettings;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Default address to serve on.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./sightmap-data";

/// sightmap: unverified sighting reports on a map you can query.
#[derive(Debug, Parser)]
#[command(name = "sightmap", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (and, on a new store, load the sample reports).
    Serve(ServeArgs),
    /// Import reports from GeoJSON, GeoJSON Lines or CSV into the store.
    Import(ImportArgs),
    /// Export reports to GeoJSON, GeoJSON sequence, CSV, KML or FlatGeobuf, with the API's
    /// filters.
    Export(ExportArgs),
    /// Copy every report from one store to another (embedded and PostgreSQL, either way),
    /// then check that the target holds them all.
    MigrateStore(MigrateArgs),
    /// Make, list or revoke access tokens (reader, reporter, reviewer, admin).
    Token(TokenArgs),
    /// Write a consistent copy of the embedded store to a file, while it is in use.
    Backup(BackupArgs),
    /// Replace the embedded store with a backup (the server must be stopped; the current
    /// database is kept beside it).
    Restore(RestoreArgs),
}

/// `sightmap backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The file to write (must not exist).
    #[arg(long, env = "SIGHTMAP_BACKUP_OUT")]
    pub out: PathBuf,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `sightmap restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup to restore (a file `sightmap backup` wrote).
    #[arg(long, env = "SIGHTMAP_RESTORE_FROM")]
    pub from: PathBuf,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
}

/// `sightmap token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TokenAction,
}

/// `sightmap token <action>`.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Make a token and print its secret (shown this once; the store keeps only a hash).
    Create {
        /// reader, reporter, reviewer or admin.
        #[arg(long, env = "SIGHTMAP_TOKEN_ROLE")]
        role: String,
        /// Who or what it is for.
        #[arg(long, env = "SIGHTMAP_TOKEN_NAME")]
        name: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List every token (never secrets).
    List {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a token by id, or every live token with this name.
    Revoke {
        /// The token's id (from `token list`) or name.
        token: String,
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

impl TokenAction {
    /// The store the action works on.
    pub fn store(&self) -> &StoreArgs {
        match self {
            TokenAction::Create { store, .. }
            | TokenAction::List { store }
            | TokenAction::Revoke { store, .. } => store,
        }
    }
}

/// `sightmap migrate-store`.
#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// The store to copy from: an embedded store's data directory, or a postgres:// URL.
    #[arg(long, env = "SIGHTMAP_MIGRATE_FROM")]
    pub from: String,
    /// The store to copy to (created if needed): a data directory, or a postgres:// URL.
    #[arg(long, env = "SIGHTMAP_MIGRATE_TO")]
    pub to: String,
}

impl MigrateArgs {
    /// A store's arguments from a `--from`/`--to` value.
    pub fn store_args(spec: &str) -> StoreArgs {
        let is_url = spec.starts_with("postgres://") || spec.starts_with("postgresql://");
        StoreArgs {
            data_dir: PathBuf::from(if is_url { DEFAULT_DATA_DIR } else { spec }),
            store: if is_url {
                spec.to_string()
            } else {
                "embedded".to_string()
            },
        }
    }
}

/// Which store, and where this instance keeps its files.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory of the embedded store (created if missing); with `--store postgres://…`,
    /// where this instance keeps its index snapshot.
    #[arg(long, env = "SIGHTMAP_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// `embedded` (SQLite in `--data-dir`), or a PostgreSQL URL such as
    /// `postgres://user@host/db` (PostGIS; several instances may share it).
    #[arg(long = "store", env = "SIGHTMAP_STORE", default_value = "embedded")]
    pub store: String,
}

impl StoreArgs {
    /// The PostgreSQL URL, if the store is PostgreSQL.
    pub fn postgres_url(&self) -> Option<&str> {
        let url = self.store.trim();
        (url.starts_with("postgres://") || url.starts_with("postgresql://")).then_some(url)
    }

    /// Checks that the store is one sightmap knows.
    pub fn validate(&self) -> Result<(), String> {
        match self.store.trim() == "embedded" || self.postgres_url().is_some() {
            true => Ok(()),
            false => Err(format!(
                "--store must be 'embedded' or a postgres:// URL, not '{}'",
                self.store
            )),
        }
    }
}

/// Which region's data pack to use.
#[derive(Debug, Clone, Args)]
pub struct RegionArgs {
    /// Directory of a region data pack laid out like `data/region/` (default: the pack
    /// built into the binary).
    #[arg(long, env = "SIGHTMAP_REGION")]
    pub region: Option<PathBuf>,
}

/// `sightmap serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "SIGHTMAP_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The region.
    #[command(flatten)]
    pub region: RegionArgs,
    /// Token that writes must present as `Authorization: Bearer <token>`.
    #[arg(long, env = "SIGHTMAP_WRITE_TOKEN", hide_env_values = true)]
    pub write_token: Option<String>,
    /// Do not load the sample reports into a new, empty store.
    #[arg(long, env = "SIGHTMAP_NO_SAMPLE")]
    pub no_sample: bool,
    /// Allow writes without a token on an address other than loopback.
    #[arg(long, env = "SIGHTMAP_ALLOW_ANONYMOUS_WRITES")]
    pub allow_anonymous_writes: bool,
    /// Memory for reports' serialised GeoJSON features, in MiB (0: none). Query pages are
    /// copied from it instead of read from the store; writes keep it current.
    #[arg(long, env = "SIGHTMAP_FEATURE_CACHE_MB", default_value_t = sightmap_core::engine::service::DEFAULT_FEATURE_CACHE_BYTES >> 20)]
    pub feature_cache_mb: usize,
    /// Past moments (`as_of`) whose state is rebuilt at once; a rebuild takes about a second
    /// of a core per 100,000 reports.
    #[arg(long, env = "SIGHTMAP_PAST_REBUILDS", default_value_t = sightmap_core::engine::service::DEFAULT_PAST_REBUILDS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub past_rebuilds: usize,
    /// Past rebuilds that may wait for their turn; a read that would need one more gets 503
    /// with Retry-After. Reads of a moment kept or being rebuilt never wait in this line.
    #[arg(long, env = "SIGHTMAP_PAST_REBUILD_QUEUE", default_value_t = sightmap_core::engine::service::DEFAULT_PAST_REBUILD_QUEUE, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    pub past_rebuild_queue: usize,
    /// Requests answered at once; more get 503 with Retry-After.
    #[arg(long, env = "SIGHTMAP_MAX_CONCURRENT_REQUESTS", default_value_t = crate::http::limits::DEFAULT_MAX_IN_FLIGHT, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_requests: u32,
    /// Requests a second one client (its token, else its IP address) may send, in bursts of
    /// twice that; more get 429 with Retry-After. Loopback clients are not limited, whatever
    /// token they send, unless --trust-forwarded-for. 0 turns the limit off.
    #[arg(long, env = "SIGHTMAP_RATE_LIMIT", default_value_t = DEFAULT_RATE_LIMIT)]
    pub rate_limit: u32,
    /// Seconds a client may take to send a request's head (line and headers); slower ones are
    /// cut off.
    #[arg(long, env = "SIGHTMAP_HEADER_TIMEOUT_S", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub header_timeout_s: u32,
    /// Reading needs a token too (a reader token or higher).
    #[arg(long, env = "SIGHTMAP_PRIVATE")]
    pub private: bool,
    /// The server is behind a proxy that sets X-Forwarded-For: its first address names the
    /// client for the rate limit and the access log.
    #[arg(long, env = "SIGHTMAP_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Where the access log goes, a line per request: `stderr`, `off`, or a file to append to.
    #[arg(long, env = "SIGHTMAP_ACCESS_LOG", default_value = "stderr")]
    pub access_log: String,
    /// Reports whose uncertainty circles come within this many km may describe one event.
    #[arg(long, env = "SIGHTMAP_EVENT_GAP_KM", default_value_t = EventSettings::DEFAULT.gap_km, value_parser = positive)]
    pub event_gap_km: f64,
    /// Reports whose observation intervals come within this many hours may describe one event.
    #[arg(long, env = "SIGHTMAP_EVENT_GAP_H", default_value_t = EventSettings::DEFAULT.gap_h, value_parser = positive)]
    pub event_gap_h: f64,
    /// No two core points of an event lie more than this many km apart.
    #[arg(long, env = "SIGHTMAP_EVENT_MAX_KM", default_value_t = EventSettings::DEFAULT.max_km, value_parser = positive)]
    pub event_max_km: f64,
    /// No two core observations of an event start more than this many hours apart.
    #[arg(long, env = "SIGHTMAP_EVENT_MAX_H", default_value_t = EventSettings::DEFAULT.max_h, value_parser = positive)]
    pub event_max_h: f64,
}

/// A finite number, zero or more.
fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{text}' is not a number of zero or more")),
    }
}

/// Requests a second per client unless `--rate-limit` says otherwise.
pub const DEFAULT_RATE_LIMIT: u32 = 50;

impl ServeArgs {
    /// The event grouping these flags ask for.
    pub fn event_settings(&self) -> EventSettings {
        EventSettings {
            gap_km: self.event_gap_km,
            gap_h: self.event_gap_h,
            max_km: self.event_max_km,
            max_h: self.event_max_h,
        }
    }

    /// Checks the flags together, before anything is opened.
    pub fn validate(&self) -> Result<(), String> {
        self.store.validate()
    }

    /// Checks, once the store's tokens are known, that a server reachable from other machines
    /// does not let anyone write.
    pub fn check_write_access(&self, store_has_tokens: bool) -> Result<(), String> {
        let has_token = self.write_token.as_deref().is_some_and(|t| !t.is_empty());
        if !self.addr.ip().is_loopback()
            && !has_token
            && !store_has_tokens
            && !self.allow_anonymous_writes
        {
            return Err(format!(
                "refusing to serve on {} with no tokens: anyone who can reach it could write. \
                 Make one with `sightmap token create --role admin --name ...`, or set --write-token \
                 (SIGHTMAP_WRITE_TOKEN), or pass --allow-anonymous-writes if that is what you want.",
                self.addr
            ));
        }
        Ok(())
    }
}

/// `sightmap export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// geojson, geojsonseq, csv, kml or fgb.
    #[arg(long, env = "SIGHTMAP_EXPORT_FORMAT", default_value = "geojson")]
    pub format: String,
    /// The file to write (`-` for standard output).
    #[arg(long, env = "SIGHTMAP_EXPORT_OUT")]
    pub out: PathBuf,
    /// Write the exact locations of reports whose location is private, with their
    /// `public_precision` (a copy for the store's keepers, which `import` reads back as
    /// private); without it, the export holds what the public sees.
    #[arg(long, env = "SIGHTMAP_EXACT_LOCATIONS")]
    pub exact_locations: bool,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Filters as /api/reports takes them, each KEY=VALUE: `status=disputed`,
    /// `bbox=48,37,50,39`, `since=2025-06-13`, `border_within_km=30`, ...
    pub filters: Vec<String>,
}

/// `sightmap import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// GeoJSON FeatureCollection (.geojson, .json), GeoJSON Lines (.geojsonl, .geojsons,
    /// .ndjson, .jsonl) or CSV with lat and lon columns (.csv).
    pub file: PathBuf,
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// The region, for records that give place text without coordinates.
    #[command(flatten)]
    pub region: RegionArgs,
    /// Check every record and report problems, but write nothing.
    #[arg(long, env = "SIGHTMAP_DRY_RUN")]
    pub dry_run: bool,
    /// Reports per transaction.
    #[arg(long, env = "SIGHTMAP_BATCH_SIZE", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,
}
