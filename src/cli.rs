//! What each subcommand does, once its arguments are parsed and checked.

use crate::config::{
    BackupArgs, ExportArgs, ImportArgs, MigrateArgs, RegionArgs, RestoreArgs, ServeArgs, StoreArgs,
    TokenAction, TokenArgs,
};
use crate::http::access_log::{AccessLog, AccessLogger};
use crate::http::{Access, AppState, Limits, router};
use anyhow::{Context, bail};
use sightmap_core::domain::access::{Role, TokenBook, new_token};
use sightmap_core::domain::model::Gazetteer;
use sightmap_core::engine::events::EventSettings;
use sightmap_core::engine::service::ReportService;
use sightmap_core::engine::store::postgres::PostgresStore;
use sightmap_core::engine::store::sqlite::{DB_FILE, SqliteStore};
use sightmap_core::engine::store::{SNAPSHOT_FILE, Store};
use sightmap_core::formats::export::{self, ExportWriter};
use sightmap_core::formats::import::{self, Format, Options, Summary};
use sightmap_core::geospatial::atlas::Atlas;
use sightmap_core::geospatial::region::RegionFiles;
use std::io::BufReader;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sample reports, built from public claims (see `data/README.md`).
pub const SAMPLE_REPORTS: &str = include_str!("../data/sample-reports.geojson");

/// How often a running server writes the index snapshot, if anything changed.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(300);

/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The region's data pack (the embedded one, or `--region DIR`) with its geocoder and geography.
pub fn places(args: &RegionArgs) -> anyhow::Result<Arc<Atlas>> {
    let files = match &args.region {
        None => RegionFiles::embedded(),
        Some(dir) => RegionFiles::from_dir(dir)?,
    };
    Ok(Arc::new(Atlas::load(files)?))
}

/// The store the arguments name, and whether it was just created (empty, never used).
pub async fn open_store(args: &StoreArgs) -> anyhow::Result<(Arc<dyn Store>, bool)> {
    args.validate().map_err(anyhow::Error::msg)?;
    if let Some(url) = args.postgres_url() {
        let store = PostgresStore::open(url)
            .await
            .context("opening the PostgreSQL store")?;
        let is_new = store.is_new();
        return Ok((Arc::new(store), is_new));
    }
    let is_new = !args.data_dir.join(DB_FILE).exists();
    Ok((Arc::new(SqliteStore::open(&args.data_dir)?), is_new))
}

/// The service opened from the index snapshot (or the store) while the region's places
/// load, and the places.
async fn open_service(
    store: Arc<dyn Store>,
    places: impl std::future::Future<Output = anyhow::Result<Arc<Atlas>>>,
    snapshot: &std::path::Path,
    events: EventSettings,
) -> anyhow::Result<(ReportService, Arc<Atlas>)> {
    let mut loaded = None;
    let gazetteer = async {
        let places = loaded.insert(places.await);
        places
            .as_ref()
            .ok()
            .map(|p| p.clone() as Arc<dyn Gazetteer>)
    };
    let opened = ReportService::open_with_snapshot_while(store, gazetteer, snapshot, events).await;
    let places = loaded.context("the region's places were not loaded")??;
    Ok((opened?, places))
}

/// Loads the sample reports into a new store.
async fn load_sample(store: &Arc<dyn Store>, places: &Arc<Atlas>) -> anyhow::Result<()> {
    let summary = import::import(
        Some(Arc::new(store.clone())),
        BufReader::new(SAMPLE_REPORTS.as_bytes()),
        Format::FeatureCollection,
        Options {
            gazetteer: Some(places.clone()),
            ..Options::default()
        },
    )
    .await
    .context("loading the sample reports")?;
    if summary.rejected_count > 0 {
        bail!(
            "the built-in sample reports are invalid: {:?}",
            summary.rejected
        );
    }
    tracing::info!(
        reports = summary.imported,
        "loaded the sample reports into a new store"
    );
    Ok(())
}

/// `sightmap serve`.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let (store, is_new) = open_store(&args.store).await?;
    let tokens = Arc::new(TokenBook::default());
    tokens.load(store.tokens().await?);
    args.check_write_access(!tokens.is_empty())
        .map_err(anyhow::Error::msg)?;
    std::fs::create_dir_all(&args.store.data_dir)
        .with_context(|| format!("cannot create {}", args.store.data_dir.display()))?;
    // The region's places load on another core while the index snapshot is read.
    let region = args.region.clone();
    let loading = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let places = places(&region);
        let elapsed_ms = started.elapsed().as_millis() as u64;
        tracing::debug!(elapsed_ms, "loaded the region's places");
        places
    });
    let loading = async {
        loading
            .await
            .context("loading the region's places failed")?
    };
    let started = Instant::now();
    let snapshot = args.store.data_dir.join(SNAPSHOT_FILE);
    let (opened, places) = if is_new && !args.no_sample {
        let places = loading.await?;
        load_sample(&store, &places).await?;
        let ready = std::future::ready(Ok(places));
        open_service(store.clone(), ready, &snapshot, args.event_settings()).await?
    } else {
        open_service(store.clone(), loading, &snapshot, args.event_settings()).await?
    };
    let reports = Arc::new(
        opened
            .with_feature_cache(args.feature_cache_mb << 20)
            .with_past_rebuilds(args.past_rebuilds, args.past_rebuild_queue),
    );
    tracing::info!(
        reports = reports.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        store = %store.describe(),
        from_snapshot = reports.snapshot_version().is_some(),
        "index built"
    );
    let state = AppState {
        reports,
        auth: Arc::new(Access::new(
            args.write_token.clone(),
            tokens.clone(),
            args.private,
        )),
        atlas: places,
        layer_cache: Default::default(),
        limits: Arc::new(Limits::new(
            args.max_concurrent_requests,
            args.rate_limit,
            args.trust_forwarded_for,
        )),
        access_log: AccessLogger {
            sink: Arc::new(
                AccessLog::from_setting(&args.access_log)
                    .with_context(|| format!("cannot open the access log {}", args.access_log))?,
            ),
            trust_forwarded: args.trust_forwarded_for,
        },
    };
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let snapshots = tokio::spawn(save_snapshots(state.reports.clone(), snapshot.clone()));
    let follower = tokio::spawn(state.reports.clone().follow());
    let limits = state.limits.clone();
    let forgetting = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limits.forget_idle_clients();
        }
    });
    let refreshing = tokio::spawn(refresh_tokens(store.clone(), tokens));
    crate::http::server::serve(
        listener,
        router(state.clone()),
        Duration::from_secs(u64::from(args.header_timeout_s)),
        shutdown_signal(),
    )
    .await;
    snapshots.abort();
    follower.abort();
    forgetting.abort();
    refreshing.abort();
    save_snapshot(&state.reports, &snapshot).await;
    tracing::info!("stopped");
    Ok(())
}

/// How often a server reloads the tokens from the store, so that a token made or revoked
/// through another instance, or with `sightmap token` on a shared store, counts here too.
const TOKEN_REFRESH: Duration = Duration::from_secs(2);

/// Reloads the tokens every [`TOKEN_REFRESH`]; a failed reload keeps the last ones.
async fn refresh_tokens(store: Arc<dyn Store>, tokens: Arc<TokenBook>) {
    loop {
        tokio::time::sleep(TOKEN_REFRESH).await;
        match store.tokens().await {
            Ok(live) => tokens.load(live),
            Err(e) => tracing::debug!("cannot reload the tokens: {e}"),
        }
    }
}

/// Writes the index snapshot now (if the index is newer than the last one) and then every
/// [`SNAPSHOT_EVERY`], so that a restart, even after a crash, replays few changes.
async fn save_snapshots(reports: Arc<ReportService>, path: std::path::PathBuf) {
    loop {
        save_snapshot(&reports, &path).await;
        tokio::time::sleep(SNAPSHOT_EVERY).await;
    }
}

/// Writes the index snapshot if it changed, logging the outcome; a failure only costs the
/// next start its speed.
async fn save_snapshot(reports: &Arc<ReportService>, path: &std::path::Path) {
    let started = Instant::now();
    match reports.save_snapshot(path).await {
        Ok(true) => tracing::info!(
            path = %path.display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "wrote the index snapshot"
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(path = %path.display(), "cannot write the index snapshot: {e}"),
    }
}

/// Resolves on SIGTERM or ctrl-c, then arms a timer so a stuck request cannot block the exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
    tokio::spawn(async {
        tokio::time::sleep(DRAIN_TIMEOUT).await;
        tracing::warn!(
            "requests still running after {} s; exiting",
            DRAIN_TIMEOUT.as_secs()
        );
        std::process::exit(1);
    });
}

/// `sightmap import`. Returns the summary; the caller sets the exit code.
pub async fn import(args: ImportArgs) -> anyhow::Result<Summary> {
    let format = Format::from_path(&args.file).with_context(|| {
        format!(
            "cannot tell the format of {} from its name: use .geojson, .geojsonl (or .ndjson) or .csv",
            args.file.display()
        )
    })?;
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let places = places(&args.region)?;
    // A dry run opens no store, so it cannot create one (nor tell which ids are stored). A
    // real one imports through the service, whose index follows, so that the index snapshot
    // is written at the end and the first `serve` starts as fast as a restart.
    let snapshot = args.store.data_dir.join(SNAPSHOT_FILE);
    let (service, store): (Option<Arc<ReportService>>, Option<Arc<dyn Store>>) = match args.dry_run
    {
        true => (None, None),
        false => {
            let store = open_store(&args.store).await?.0;
            std::fs::create_dir_all(&args.store.data_dir)
                .with_context(|| format!("cannot create {}", args.store.data_dir.display()))?;
            let service = ReportService::open_with_snapshot(
                store.clone(),
                Some(places.clone()),
                &snapshot,
                EventSettings::default(),
            )
            .await?;
            (Some(Arc::new(service)), Some(store))
        }
    };
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let reject_bar = bar.clone();
    let progress_bar = bar.clone();
    let options = Options {
        batch_size: args.batch_size as usize,
        on_reject: Box::new(move |r| reject_bar.suspend(|| eprintln!("rejected {r}"))),
        on_progress: Box::new(move |bytes| progress_bar.set_position(bytes)),
        gazetteer: Some(places),
    };
    let started = Instant::now();
    if let Some(service) = &service {
        service.begin_bulk_load();
    }
    // The store may leave its commits to the operating system while the file is read
    // (consistent through a crash, see SqliteStore); every one is made durable below, before
    // anything is reported, whether the import succeeded or stopped.
    if let Some(store) = &store {
        store.bulk_load(true).await?;
    }
    let imported = import::import(
        service.clone().map(|s| s as Arc<dyn import::Destination>),
        BufReader::with_capacity(1 << 20, file),
        format,
        options,
    )
    .await;
    if let Some(store) = &store {
        store
            .bulk_load(false)
            .await
            .context("making the imported reports durable")?;
    }
    let summary = imported?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let verb = if args.dry_run {
        "would import"
    } else {
        "imported"
    };
    let count = if args.dry_run {
        summary.read - summary.rejected_count
    } else {
        summary.imported
    };
    let stored = match args.dry_run {
        true => "ids already stored are not checked on a dry run".to_string(),
        false => format!("{} already stored", summary.already_stored),
    };
    eprintln!(
        "{verb} {count} of {} records in {seconds:.2} s ({:.0}/s); {} rejected; {stored}",
        summary.read,
        summary.read as f64 / seconds.max(1e-9),
        summary.rejected_count,
    );
    if let Some(service) = service {
        let started = Instant::now();
        if let Err(e) = service.end_bulk_load().await {
            // The store holds every report; only the first start's speed is lost.
            eprintln!("not writing the index snapshot: {e}");
            return Ok(summary);
        }
        match service.save_snapshot(&snapshot).await {
            Ok(_) => eprintln!(
                "wrote the index snapshot in {:.2} s",
                started.elapsed().as_secs_f64()
            ),
            // Costs the next start only its speed.
            Err(e) => eprintln!(
                "cannot write the index snapshot {}: {e}",
                snapshot.display()
            ),
        }
    }
    Ok(summary)
}

/// `sightmap export`: every report matching the filters, to a file, with a progress count.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let format = export::Format::parse(&args.format).with_context(|| {
        format!(
            "--format must be one of {}, not '{}'",
            export::Format::NAMES.join(", "),
            args.format
        )
    })?;
    let pairs = args
        .filters
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .with_context(|| format!("filter '{f}' is not KEY=VALUE, such as status=disputed"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let query = crate::http::params::report_query(&pairs).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.detail))
            .collect();
        anyhow::anyhow!("bad filters:\n{}", lines.join("\n"))
    })?;
    if args.store.postgres_url().is_none() && !args.store.data_dir.join(DB_FILE).exists() {
        bail!(
            "no store at {}: nothing to export",
            args.store.data_dir.display()
        );
    }
    let (store, _) = open_store(&args.store).await?;
    let snapshot = args.store.data_dir.join(SNAPSHOT_FILE);
    let reports = Arc::new(
        ReportService::open_with_snapshot(store, None, &snapshot, EventSettings::default()).await?,
    );
    let out: Box<dyn std::io::Write> = if args.out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            std::fs::File::create(&args.out)
                .with_context(|| format!("cannot create {}", args.out.display()))?,
        )
    };
    let mut writer = ExportWriter::new(format, std::io::BufWriter::with_capacity(1 << 20, out))?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} reports written, {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let viewer = match args.exact_locations {
        true => sightmap_core::domain::model::privacy::Viewer::Exact,
        false => sightmap_core::domain::model::privacy::Viewer::Public,
    };
    let mut chunks = reports.export_stream(query, 5_000, 2, viewer);
    while let Some(batch) = chunks.recv().await {
        let batch = batch?;
        for report in &batch {
            writer.write(report)?;
        }
        bar.set_position(writer.written() as u64);
    }
    let written = writer.written();
    writer.finish()?;
    bar.finish_and_clear();
    eprintln!(
        "exported {written} reports as {} in {:.2} s",
        format.extension(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `sightmap migrate-store`.
pub async fn migrate_store(args: MigrateArgs) -> anyhow::Result<()> {
    let from = MigrateArgs::store_args(&args.from);
    if from.postgres_url().is_none() && !from.data_dir.join(DB_FILE).exists() {
        bail!(
            "no store at {}: nothing to migrate",
            from.data_dir.display()
        );
    }
    let to = MigrateArgs::store_args(&args.to);
    if from.store == to.store && from.data_dir == to.data_dir {
        bail!("--from and --to are the same store");
    }
    let (source, _) = open_store(&from).await.context("opening --from")?;
    let (target, _) = open_store(&to).await.context("opening --to")?;
    let total = source.count().await?;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} reports, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let started = Instant::now();
    let moved = sightmap_core::engine::migrate::migrate(source.as_ref(), target.as_ref(), |done| {
        bar.set_position(done)
    })
    .await?;
    bar.finish_and_clear();
    eprintln!(
        "copied {} reports from {} to {} in {:.2} s ({} were there already); the target holds all {} of the source's reports",
        moved.copied,
        source.describe(),
        target.describe(),
        started.elapsed().as_secs_f64(),
        moved.already_there,
        moved.source,
    );
    Ok(())
}

/// `sightmap token`.
pub async fn token(args: TokenArgs) -> anyhow::Result<()> {
    let (store, _) = open_store(args.action.store()).await?;
    match args.action {
        TokenAction::Create { role, name, .. } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            if name.trim().is_empty() {
                bail!("--name must say who or what the token is for");
            }
            let (record, secret) =
                new_token(&name, role).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            store.add_token(record.clone()).await?;
            eprintln!(
                "made {} token '{}' (id {}); its secret follows, shown this once:",
                record.role, record.name, record.id
            );
            println!("{secret}");
        }
        TokenAction::List { .. } => {
            println!("id\tname\trole\tcreated\trevoked");
            for t in store.tokens().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.name,
                    t.role,
                    t.created_at,
                    t.revoked_at.map(|r| r.to_string()).unwrap_or_default()
                );
            }
        }
        TokenAction::Revoke { token, .. } => {
            let live: Vec<_> = store
                .tokens()
                .await?
                .into_iter()
                .filter(|t| t.revoked_at.is_none())
                .filter(|t| t.id.to_string() == token || t.name == token)
                .collect();
            if live.is_empty() {
                bail!("no live token has id or name '{token}' (see `sightmap token list`)");
            }
            for t in live {
                store
                    .revoke_token(t.id, sightmap_core::domain::model::Timestamp::now())
                    .await?;
                eprintln!("revoked {} token '{}' (id {})", t.role, t.name, t.id);
            }
        }
    }
    Ok(())
}

/// The embedded store's data directory, or an error for a PostgreSQL store (whose backups are
/// PostgreSQL's own business).
fn embedded_dir(store: &StoreArgs) -> anyhow::Result<&std::path::Path> {
    if store.postgres_url().is_some() {
        bail!(
            "backup and restore are for the embedded store; back up PostgreSQL with pg_dump or pg_basebackup"
        );
    }
    Ok(&store.data_dir)
}

/// `sightmap backup`.
pub fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let dir = embedded_dir(&args.store)?;
    let started = Instant::now();
    let copied = sightmap_core::engine::store::backup::backup(dir, &args.out)?;
    eprintln!(
        "backed up {} reports to {} in {:.2} s (integrity checked)",
        copied.reports,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `sightmap restore`.
pub fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let dir = embedded_dir(&args.store)?;
    let (copied, kept) = sightmap_core::engine::store::backup::restore(&args.from, dir)?;
    eprintln!(
        "restored {} reports from {} into {}",
        copied.reports,
        args.from.display(),
        dir.display()
    );
    if let Some(kept) = kept {
        eprintln!("the database it replaced is kept as {}", kept.display());
    }
    Ok(())
}
