//! Times a restart's steps one after another (read, members, events, index, then the wait
//! for what the events make in the background: link trees, core order, boxes), the best of
//! three: where a restart's time goes.
//!
//! Usage: `cargo run --release --example restart_steps -- DATA_DIR/index.snapshot`

use sightmap_core::engine::events::EventSettings;
use sightmap_core::engine::index::Snapshot;
use std::time::Instant;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: restart_steps DATA_DIR/index.snapshot");
    let mut best = [f64::INFINITY; 5];
    for _ in 0..3 {
        let mut took = [0.0; 5];
        let t = Instant::now();
        let file = std::fs::File::open(&path).expect("the snapshot opens");
        let mut snapshot =
            Snapshot::read(std::io::BufReader::with_capacity(1 << 20, file)).expect("it reads");
        took[0] = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let members = snapshot.public_members();
        let saved = snapshot.take_saved();
        took[1] = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let events = saved.into_events(EventSettings::default(), members);
        took[2] = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let index = snapshot.build_index().expect("the index builds");
        took[3] = t.elapsed().as_secs_f64();
        let t = Instant::now();
        events.wait_for_background();
        took[4] = t.elapsed().as_secs_f64();
        drop((events, index));
        for (b, t) in best.iter_mut().zip(took) {
            *b = b.min(t);
        }
    }
    let names = [
        "read the snapshot",
        "members from it",
        "events restored",
        "index built",
        "background, after",
    ];
    for (name, s) in names.iter().zip(best) {
        println!("{name:<20} {:>7.0} ms", s * 1e3);
    }
}
