//! The `sightmap` binary: parse the command line, start logging, run the subcommand.

use clap::Parser;
use sightmap::cli;
use sightmap::config::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    without_huge_pages();
    let args = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGHTMAP_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match args.command {
            Command::Serve(serve) => cli::serve(serve).await.map(|()| ExitCode::SUCCESS),
            Command::Export(export) => cli::export(export).await.map(|()| ExitCode::SUCCESS),
            Command::Token(args) => cli::token(args).await.map(|()| ExitCode::SUCCESS),
            Command::Backup(args) => cli::backup(args).map(|()| ExitCode::SUCCESS),
            Command::Restore(args) => cli::restore(args).map(|()| ExitCode::SUCCESS),
            Command::MigrateStore(args) => {
                cli::migrate_store(args).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Import(import) => cli::import(import).await.map(|summary| {
                if summary.rejected_count > 0 {
                    ExitCode::from(1)
                } else {
                    ExitCode::SUCCESS
                }
            }),
        }
    });
    outcome.unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        ExitCode::from(2)
    })
}

/// Turns transparent huge pages off for this process. mimalloc asks for them, and then every
/// fresh 2 MiB of an index being built is zeroed at once on first touch: on the 2-core VMs
/// measured, that was 40 % of rebuilding 100,000 reports for `as_of` (1.6 s against 0.9 s
/// without) and slowed starts alike (BENCHMARKS.md [14/18]).
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes no pointers; it only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc: reports are built on one thread and freed on another during exports and
/// queries, which glibc's allocator handles slowly (a fifth of an export's time was malloc
/// and free); see BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
