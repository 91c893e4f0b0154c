//! Where the memory of a start goes: reads an index snapshot (as `sightmap serve` does on a
//! restart) and prints the bytes held after each step, counted by the allocator, per report.
//!
//! Usage: `cargo run --release --example memory -- DATA_DIR/index.snapshot`

use sightmap_core::engine::events::EventSettings;
use sightmap_core::engine::index::Snapshot;
use std::sync::atomic::Ordering;

#[path = "shared/counting.rs"]
mod counting;
use counting::{PEAK, held};

/// A restart's steps as the server takes them (the snapshot read, the members taken from it,
/// the index and the events built side by side): the most held at once, and what stays.
fn restart(path: &str) -> (usize, usize) {
    let base = held();
    PEAK.store(base, Ordering::Relaxed);
    let file = std::fs::File::open(path).expect("the snapshot opens");
    let mut snapshot =
        Snapshot::read(std::io::BufReader::with_capacity(1 << 20, file)).expect("it reads");
    let members = snapshot.public_members();
    let saved = snapshot.take_saved();
    let (events, index) = std::thread::scope(|s| {
        let events = s.spawn(|| {
            let events = saved.into_events(EventSettings::default(), members);
            events.wait_for_background();
            events
        });
        let index = snapshot.build_index().expect("the index builds");
        (events.join().expect("events restore"), index)
    });
    let kept = held() - base;
    let peak = PEAK.load(Ordering::Relaxed) - base;
    drop((events, index));
    (peak, kept)
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: memory DATA_DIR/index.snapshot");
    let (restart_peak, restart_kept) = restart(&path);
    let file = std::fs::File::open(&path).expect("the snapshot opens");
    let base = held();
    let mut snapshot =
        Snapshot::read(std::io::BufReader::with_capacity(1 << 20, file)).expect("it reads");
    let read = held() - base;
    let members = snapshot.public_members();
    let n = members.len().max(1);
    let saved = snapshot.take_saved();
    let before_index = held();
    let index = snapshot.build_index().expect("the index builds");
    let after_index = held();
    let mark = held();
    let table = sightmap_core::engine::events::table::MemberTable::of(members.clone());
    let table_bytes = held() - mark;
    drop(table);
    let mark = held();
    let core: Vec<_> = members.iter().filter(|m| m.core).collect();
    let n_core = core.len();
    let tree = sightmap_core::engine::events::links::LinkTree::of(core);
    let tree_bytes = held() - mark;
    drop(tree);
    let mark = held();
    let events = saved.into_events(EventSettings::default(), members);
    events.wait_for_background();
    let after_events = held();
    println!(
        "{} events, {n_core} core members; members' table {:.1} MB, core link tree {:.1} MB, events in all {:.1} MB",
        events.len(),
        table_bytes as f64 / 1e6,
        tree_bytes as f64 / 1e6,
        (after_events - mark) as f64 / 1e6
    );
    let line = |what: &str, bytes: usize| {
        println!(
            "{what:<40} {:>8.1} MB {:>6} B/report",
            bytes as f64 / 1e6,
            bytes / n
        )
    };
    println!("{n} reports");
    line("snapshot as read", read);
    line(
        "the index (after the snapshot's entries)",
        after_index.saturating_sub(before_index),
    );
    line("everything held, index and events", after_events - base);
    line("a restart's peak (index and events at once)", restart_peak);
    line("what the restart kept", restart_kept);
    drop(events);
    line("held without the events", held() - base);
    drop(index);
    line("held without the index either", held() - base);
}
