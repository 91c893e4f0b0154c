//! The Rust half of the side-by-side benchmark (`bench/run.sh`): runs radius queries in
//! process on sightmap's index, and against Redis GEO over its wire protocol, from a file of
//! query centres, and prints one JSON object per run for the harness to collect.
//!
//! ```text
//! bench-driver inprocess --data-dir D --centres F --radius-km R --threads T --seconds S [--answers OUT]
//! bench-driver redis-load --addr HOST:PORT --key K --points F
//! bench-driver redis --addr HOST:PORT --key K --centres F --radius-km R --seconds S [--withcoord] [--answers OUT]
//! ```
//!
//! `--answers` first runs every centre once and writes `i<TAB>id,id,…` (ids sorted, centres
//! numbered from 1 in file order), the form `bench/postgis.sh` writes, so that answers can be
//! compared line by line.

use sightmap_core::engine::index::ReportIndex;
use sightmap_core::engine::query::{Page, ReportQuery, Spatial};
use sightmap_core::engine::store::ReportReader;
use sightmap_core::engine::store::sqlite::SqliteStore;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    if let Err(e) = run() {
        eprintln!("bench-driver: {e}");
        std::process::exit(1);
    }
}

type Error = Box<dyn std::error::Error>;

fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let command = args
        .next()
        .ok_or("a command: inprocess, redis-load or redis")?;
    let options = Options::parse(args)?;
    match command.as_str() {
        "inprocess" => in_process(&options),
        "redis-load" => redis_load(&options),
        "redis" => redis_search(&options),
        other => Err(format!("unknown command '{other}'").into()),
    }
}

/// `--name value` pairs and `--flag`s.
struct Options(HashMap<String, Option<String>>);

impl Options {
    fn parse(args: impl Iterator<Item = String>) -> Result<Self, Error> {
        let mut map = HashMap::new();
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            let name = arg
                .strip_prefix("--")
                .ok_or_else(|| format!("expected --option, got '{arg}'"))?;
            let value = args.next_if(|next| !next.starts_with("--"));
            map.insert(name.to_string(), value);
        }
        Ok(Self(map))
    }

    fn text(&self, name: &str) -> Result<&str, Error> {
        self.0
            .get(name)
            .and_then(|v| v.as_deref())
            .ok_or_else(|| format!("--{name} is required").into())
    }

    fn number(&self, name: &str) -> Result<f64, Error> {
        Ok(self.text(name)?.parse()?)
    }

    fn flag(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn answers(&self) -> Option<PathBuf> {
        self.0.get("answers").cloned().flatten().map(PathBuf::from)
    }
}

/// Reads `lon,lat` lines.
fn read_centres(path: &str) -> Result<Vec<(f64, f64)>, Error> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let (lon, lat) = line.split_once(',').ok_or("a centre line is lon,lat")?;
            Ok((lon.trim().parse()?, lat.trim().parse()?))
        })
        .collect()
}

/// Writes each centre's answer as `i<TAB>sorted ids`.
fn write_answers(path: &PathBuf, answers: impl Iterator<Item = Vec<String>>) -> Result<(), Error> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    for (i, mut ids) in answers.enumerate() {
        ids.sort_unstable();
        writeln!(out, "{}\t{}", i + 1, ids.join(","))?;
    }
    out.flush()?;
    Ok(())
}

/// Latencies of one run and what they add up to.
struct Run {
    latencies_ns: Vec<u64>,
    results: u64,
    elapsed: Duration,
}

impl Run {
    fn merge(runs: Vec<Run>) -> Run {
        let elapsed = runs.iter().map(|r| r.elapsed).max().unwrap_or_default();
        let results = runs.iter().map(|r| r.results).sum();
        let mut latencies_ns: Vec<u64> = runs.into_iter().flat_map(|r| r.latencies_ns).collect();
        latencies_ns.sort_unstable();
        Run {
            latencies_ns,
            results,
            elapsed,
        }
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_ns.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies_ns.len() as f64).ceil() as usize;
        self.latencies_ns[rank.clamp(1, self.latencies_ns.len()) - 1] as f64 / 1e6
    }

    /// One JSON line for `results.jsonl`.
    fn report(&self, system: &str, variant: &str, clients: usize, radius_km: f64) -> String {
        let n = self.latencies_ns.len().max(1) as f64;
        format!(
            "{{\"system\":\"{system}\",\"variant\":\"{variant}\",\"clients\":{clients},\"radius_km\":{radius_km},\
             \"qps\":{:.1},\"p50_ms\":{:.4},\"p99_ms\":{:.4},\"mean_results\":{:.2},\"queries\":{}}}",
            self.latencies_ns.len() as f64 / self.elapsed.as_secs_f64(),
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.results as f64 / n,
            self.latencies_ns.len(),
        )
    }
}

/// Runs `query` over the centres, from `start`, for `seconds`; returns each latency.
fn timed(
    centres: &[(f64, f64)],
    start: usize,
    seconds: f64,
    mut query: impl FnMut(f64, f64) -> Result<usize, Error>,
) -> Result<Run, Error> {
    let deadline = Duration::from_secs_f64(seconds);
    let began = Instant::now();
    let mut latencies_ns = Vec::with_capacity(1 << 16);
    let mut results = 0u64;
    let mut i = start;
    while began.elapsed() < deadline {
        let (lon, lat) = centres[i % centres.len()];
        i += 1;
        let t = Instant::now();
        results += query(lon, lat)? as u64;
        latencies_ns.push(t.elapsed().as_nanos() as u64);
    }
    latencies_ns.sort_unstable();
    Ok(Run {
        latencies_ns,
        results,
        elapsed: began.elapsed(),
    })
}

/// Radius queries on the in-memory index, as the service answers them (exact geodesic
/// membership, every result with its id and distance, nearest first), on 1..T threads.
fn in_process(options: &Options) -> Result<(), Error> {
    let data_dir = PathBuf::from(options.text("data-dir")?);
    let centres = read_centres(options.text("centres")?)?;
    let radius_m = options.number("radius-km")? * 1000.0;
    let threads = options.number("threads")? as usize;
    let seconds = options.number("seconds")?;
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let store = SqliteStore::open(&data_dir)?;
    let index = ReportIndex::build(runtime.block_on(store.index_records())?);
    let query = |lon: f64, lat: f64| ReportQuery {
        spatial: Spatial::Radius {
            lon,
            lat,
            radius_m,
            include_uncertain: false,
        },
        page: Page {
            limit: usize::MAX / 2,
            offset: 0,
        },
        ..Default::default()
    };
    if let Some(path) = options.answers() {
        let answers = centres.iter().map(|&(lon, lat)| {
            let answer = index.query(&query(lon, lat), None);
            answer.hits.iter().map(|h| h.id.to_string()).collect()
        });
        write_answers(&path, answers)?;
    }
    let runs = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let (index, centres) = (&index, &centres);
                scope.spawn(move || {
                    timed(
                        centres,
                        t * centres.len() / threads.max(1),
                        seconds,
                        |lon, lat| Ok(index.query(&query(lon, lat), None).hits.len()),
                    )
                    .map_err(|e| e.to_string())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| "a query thread panicked".to_string())?
            })
            .collect::<Result<Vec<_>, String>>()
    })?;
    let radius_km = radius_m / 1000.0;
    println!(
        "{}",
        Run::merge(runs).report("sightmap", "in-process", threads, radius_km)
    );
    Ok(())
}

/// A Redis connection speaking RESP, one command at a time.
struct Redis {
    reader: BufReader<TcpStream>,
    writer: BufWriter<TcpStream>,
}

/// A RESP reply, as far as GEO commands need.
enum Reply {
    Text(String),
    Number(i64),
    Nil,
    Array(Vec<Reply>),
}

impl Redis {
    fn connect(addr: &str) -> Result<Self, Error> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::with_capacity(1 << 20, stream.try_clone()?),
            writer: BufWriter::with_capacity(1 << 20, stream),
        })
    }

    fn send(&mut self, args: &[&str]) -> Result<(), Error> {
        write!(self.writer, "*{}\r\n", args.len())?;
        for arg in args {
            write!(self.writer, "${}\r\n{arg}\r\n", arg.len())?;
        }
        Ok(())
    }

    fn command(&mut self, args: &[&str]) -> Result<Reply, Error> {
        self.send(args)?;
        self.writer.flush()?;
        self.reply()
    }

    fn line(&mut self) -> Result<String, Error> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        if !line.ends_with("\r\n") {
            return Err("Redis closed the connection".into());
        }
        line.truncate(line.len() - 2);
        Ok(line)
    }

    fn reply(&mut self) -> Result<Reply, Error> {
        let line = self.line()?;
        let (kind, rest) = line.split_at(1);
        Ok(match kind {
            "+" => Reply::Text(rest.to_string()),
            "-" => return Err(format!("Redis: {rest}").into()),
            ":" => Reply::Number(rest.parse()?),
            "$" => {
                let len: i64 = rest.parse()?;
                if len < 0 {
                    Reply::Nil
                } else {
                    let mut bytes = vec![0; len as usize + 2];
                    self.reader.read_exact(&mut bytes)?;
                    bytes.truncate(len as usize);
                    Reply::Text(String::from_utf8(bytes)?)
                }
            }
            "*" => {
                let len: i64 = rest.parse()?;
                let items = (0..len.max(0))
                    .map(|_| self.reply())
                    .collect::<Result<_, _>>()?;
                Reply::Array(items)
            }
            _ => return Err(format!("unexpected Redis reply '{line}'").into()),
        })
    }
}

/// Loads `id,lon,lat` lines with GEOADD, 1,000 points a command, pipelined.
fn redis_load(options: &Options) -> Result<(), Error> {
    let mut redis = Redis::connect(options.text("addr")?)?;
    let key = options.text("key")?;
    redis.command(&["DEL", key])?;
    let began = Instant::now();
    let file = BufReader::new(std::fs::File::open(options.text("points")?)?);
    let mut batch: Vec<String> = Vec::new();
    let (mut sent, mut loaded) = (0usize, 0usize);
    let mut flush = |redis: &mut Redis, batch: &mut Vec<String>| -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut args = vec!["GEOADD", key];
        args.extend(batch.iter().map(String::as_str));
        redis.send(&args)?;
        batch.clear();
        sent += 1;
        Ok(())
    };
    for line in file.lines() {
        let line = line?;
        let mut parts = line.split(',');
        let (Some(id), Some(lon), Some(lat)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        batch.extend([lon.to_string(), lat.to_string(), id.to_string()]);
        if batch.len() == 3_000 {
            flush(&mut redis, &mut batch)?;
        }
    }
    flush(&mut redis, &mut batch)?;
    redis.writer.flush()?;
    for _ in 0..sent {
        if let Reply::Number(n) = redis.reply()? {
            loaded += n as usize;
        }
    }
    println!(
        "{{\"system\":\"redis\",\"measure\":\"load\",\"seconds\":{:.3},\"n\":{loaded}}}",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// GEOSEARCH BYRADIUS from one client, with or without coordinates.
fn redis_search(options: &Options) -> Result<(), Error> {
    let mut redis = Redis::connect(options.text("addr")?)?;
    let key = options.text("key")?.to_string();
    let centres = read_centres(options.text("centres")?)?;
    let radius_km = options.number("radius-km")?;
    let seconds = options.number("seconds")?;
    let with_coord = options.flag("withcoord");
    let radius = radius_km.to_string();
    let mut search = |lon: f64, lat: f64| -> Result<Vec<Reply>, Error> {
        let (lon, lat) = (lon.to_string(), lat.to_string());
        let mut args = vec![
            "GEOSEARCH",
            &key,
            "FROMLONLAT",
            &lon,
            &lat,
            "BYRADIUS",
            &radius,
            "km",
        ];
        if with_coord {
            args.push("WITHCOORD");
        }
        match redis.command(&args)? {
            Reply::Array(items) => Ok(items),
            _ => Err("GEOSEARCH did not answer with an array".into()),
        }
    };
    if let Some(path) = options.answers() {
        let mut answers = Vec::with_capacity(centres.len());
        for &(lon, lat) in &centres {
            let ids = search(lon, lat)?
                .into_iter()
                .filter_map(|item| match item {
                    Reply::Text(id) => Some(id),
                    Reply::Array(mut parts) if !parts.is_empty() => match parts.swap_remove(0) {
                        Reply::Text(id) => Some(id),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            answers.push(ids);
        }
        write_answers(&path, answers.into_iter())?;
    }
    let run = timed(&centres, 0, seconds, |lon, lat| Ok(search(lon, lat)?.len()))?;
    let variant = if with_coord { "withcoord" } else { "ids" };
    println!("{}", run.report("redis", variant, 1, radius_km));
    Ok(())
}
