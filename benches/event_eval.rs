//! The events against simulated truth: the table of BENCHMARKS.md's "[16/21] Events against
//! simulated truth". Two densities from `tests/common/event_sim.rs` (the simulator the test
//! `tests/event_eval.rs` runs small): a quiet one (occurrences over Gilan, Mazandaran and
//! Ardabil and the twelve days of the war) and an attack night (occurrences within 10 km of
//! Rasht in two hours). Each is grouped by `EventIndex::build` for a small grid of
//! `--event-*` bounds around the defaults, and scored against the true occurrences: B-cubed
//! and pairwise precision and recall, each row the mean over several seeds, beside two
//! reference partitions (every report alone; one event a day). Then the five best rows by
//! B-cubed F1, the spread over the seeds at the defaults, and for the defaults (and the best
//! row) how often each grade's events truly had two or more independent witnesses, and the
//! scores by class of report (what happened, how precisely placed and timed, what was said).
//!
//! `cargo bench --bench event_eval` (the sizes below, about a minute), or with options after
//! `--`: `--seed S` (the first seed), `--seeds K`, `--quiet N` and `--attack N` (occurrences;
//! 0 skips the scenario), and `--grid full` (every combination of the values below, a few
//! minutes) or `--grid axes` (the defaults and each bound varied alone, the default).

#[path = "../tests/common/event_sim.rs"]
mod event_sim;

use event_sim::{
    Point, Scenario, Scores, Simulated, caspian, evaluate, pooled, references, settings, simulate,
};
use sightmap_core::engine::events::EventSettings;
use std::collections::HashSet;

/// The seed of the table in BENCHMARKS.md.
const SEED: u64 = 20_250_613;
/// Seeds run, from `SEED` on: each row is their mean.
const SEEDS: u64 = 5;
/// Quiet occurrences: about 1,500 reports.
const QUIET: usize = 300;
/// Attack-night occurrences: about 2,700 reports (grouping grows fast with the density).
const ATTACK: usize = 200;
/// Rasht.
const RASHT: Point = Point::new(49.58862, 37.27611);

const GAP_KM: [f64; 3] = [2.0, 5.0, 10.0];
const GAP_H: [f64; 3] = [1.0, 2.0, 4.0];
const MAX_KM: [f64; 3] = [25.0, 50.0, 100.0];
const MAX_H: [f64; 3] = [6.0, 24.0, 48.0];

/// The settings of the grid: every combination, or the defaults and each bound varied alone.
fn grid(full: bool) -> Vec<EventSettings> {
    let d = EventSettings::default();
    let mut out = Vec::new();
    if full {
        for gap_km in GAP_KM {
            for gap_h in GAP_H {
                for max_km in MAX_KM {
                    for max_h in MAX_H {
                        out.push(settings(gap_km, gap_h, max_km, max_h));
                    }
                }
            }
        }
        return out;
    }
    out.push(settings(d.gap_km, d.gap_h, d.max_km, d.max_h));
    let mut add = |s: EventSettings| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for v in GAP_KM {
        add(settings(v, d.gap_h, d.max_km, d.max_h));
    }
    for v in GAP_H {
        add(settings(d.gap_km, v, d.max_km, d.max_h));
    }
    for v in MAX_KM {
        add(settings(d.gap_km, d.gap_h, v, d.max_h));
    }
    for v in MAX_H {
        add(settings(d.gap_km, d.gap_h, d.max_km, v));
    }
    out
}

/// The value after `--name`, if given.
fn option<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    let at = args.iter().position(|a| a == name)?;
    let value = args.get(at + 1)?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name} takes a value, not {value:?}")),
    )
}

fn describe(sims: &[Simulated]) -> String {
    let reports: Vec<usize> = sims.iter().map(|s| s.records.len()).collect();
    let people: Vec<usize> = sims
        .iter()
        .map(|s| {
            s.truth
                .iter()
                .map(|t| t.person)
                .collect::<HashSet<u64>>()
                .len()
        })
        .collect();
    format!(
        "{}: {} occurrences a seed; reports {:?}; people and officials {:?}",
        sims[0].name,
        sims[0].occurrences.len(),
        reports,
        people
    )
}

/// The lowest and highest of a figure over the seeds.
fn spread(runs: &[Scores], f: fn(&Scores) -> f64) -> String {
    let lo = runs.iter().map(f).fold(f64::INFINITY, f64::min);
    let hi = runs.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
    format!("{lo:.3}–{hi:.3}")
}

fn main() {
    // `cargo bench` passes --bench; the options come after `--`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seed = option(&args, "--seed").unwrap_or(SEED);
    let seeds: u64 = option(&args, "--seeds").unwrap_or(SEEDS);
    let quiet = option(&args, "--quiet").unwrap_or(QUIET);
    let attack = option(&args, "--attack").unwrap_or(ATTACK);
    let full = option::<String>(&args, "--grid").is_some_and(|g| g == "full");
    let region = caspian();
    let mut scenarios: Vec<Vec<Scenario>> = Vec::new();
    if quiet > 0 {
        scenarios.push(
            (seed..seed + seeds)
                .map(|s| Scenario::quiet(s, quiet))
                .collect(),
        );
    }
    if attack > 0 {
        scenarios.push(
            (seed..seed + seeds)
                .map(|s| Scenario::attack_night(s, attack, RASHT))
                .collect(),
        );
    }
    let defaults = EventSettings::default();
    let grid = grid(full);
    println!(
        "seeds {seed}..{}; grid: {}; each row the mean over the seeds\n",
        seed + seeds - 1,
        if full { "full" } else { "axes" }
    );
    let simulated: Vec<Vec<Simulated>> = scenarios
        .iter()
        .map(|runs| runs.iter().map(|s| simulate(&region, s)).collect())
        .collect();
    for sims in &simulated {
        println!("{}", describe(sims));
    }
    println!("\n{}", event_sim::table_header());
    let mut notes = Vec::new();
    let mut tables = Vec::new();
    let mut best_rows = Vec::new();
    for (sims, runs) in simulated.iter().zip(&scenarios) {
        let name = &sims[0].name;
        for (i, (label, _)) in references(&sims[0], runs[0].utc_offset_s)
            .into_iter()
            .enumerate()
        {
            let each: Vec<Scores> = sims
                .iter()
                .zip(runs)
                .map(|(sim, s)| references(sim, s.utc_offset_s).swap_remove(i).1)
                .collect();
            println!("{}", event_sim::reference_row(name, label, &pooled(&each)));
        }
        let mut scored: Vec<Scores> = Vec::new();
        for s in &grid {
            let each: Vec<Scores> = sims.iter().map(|sim| evaluate(sim, *s)).collect();
            let scores = pooled(&each);
            let mark = if *s == defaults { " (defaults)" } else { "" };
            println!("{}", event_sim::table_row(name, &scores, mark));
            if *s == defaults {
                notes.push(format!(
                    "{name} at the defaults, over the seeds: B³ precision {}, recall {}",
                    spread(&each, |s| s.b3_precision),
                    spread(&each, |s| s.b3_recall)
                ));
                tables.push(event_sim::grade_table(
                    &format!("{name} (defaults)"),
                    &scores,
                ));
                tables.push(event_sim::class_table(
                    &format!("{name} (defaults)"),
                    &scores,
                ));
            }
            scored.push(scores);
        }
        scored.sort_by(|a, b| b.b3_f1().total_cmp(&a.b3_f1()));
        let best = &scored[0];
        if best.settings != defaults {
            let b = &best.settings;
            tables.push(event_sim::grade_table(
                &format!(
                    "{name} (best B³ F1: {} km, {} h, {} km, {} h)",
                    b.gap_km, b.gap_h, b.max_km, b.max_h
                ),
                best,
            ));
        }
        best_rows.extend(scored.iter().take(5).map(|s| {
            let mark = if s.settings == defaults {
                " (defaults)"
            } else {
                ""
            };
            event_sim::table_row(name, s, mark)
        }));
    }
    println!("\nThe best five rows of each scenario by B³ F1:\n");
    println!("{}", event_sim::table_header());
    for row in best_rows {
        println!("{row}");
    }
    println!();
    for note in notes {
        println!("{note}");
    }
    for table in tables {
        println!("\n{table}");
    }
}
