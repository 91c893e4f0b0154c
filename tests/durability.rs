//! Durability through the real binary: 8 clients write 1,000 reports while the server is killed
//! with SIGKILL at a random moment; after a restart on the same data directory, every report
//! that was acknowledged with 201 must be there.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_sightmap");
const CLIENTS: usize = 8;
const ATTEMPTS: usize = 1_000;
const HEALTH_DEADLINE: Duration = Duration::from_secs(20);
/// The kill happens by this time at the latest, even if the writers are slower than expected.
const KILL_DEADLINE: Duration = Duration::from_secs(30);

/// A running `sightmap serve`, killed and reaped when dropped.
struct Server {
    child: Option<Child>,
    base: String,
}

impl Server {
    /// Starts `serve --no-sample` on `data_dir` on a free loopback port and waits for `/health`.
    fn start(data_dir: &Path) -> Server {
        // The port is free when picked but could be taken before the server binds it: retry.
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(BIN)
                .args([
                    "serve",
                    "--addr",
                    &format!("127.0.0.1:{port}"),
                    "--no-sample",
                    "--data-dir",
                ])
                .arg(data_dir)
                .env_clear()
                .envs(clean_env())
                .env("SIGHTMAP_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start sightmap serve");
            let mut server = Server {
                child: Some(child),
                base: format!("http://127.0.0.1:{port}"),
            };
            if server.wait_healthy() {
                return server;
            }
        }
        panic!("sightmap serve did not start after 3 attempts");
    }

    /// Polls `GET /health` until it answers 200; false if the process exits first.
    fn wait_healthy(&mut self) -> bool {
        let agent = agent(Duration::from_secs(2));
        let started = Instant::now();
        while started.elapsed() < HEALTH_DEADLINE {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("try_wait"))
            {
                eprintln!("sightmap serve exited early with {status}");
                self.child = None;
                return false;
            }
            if let Ok(r) = agent.get(format!("{}/health", self.base)).call()
                && r.status() == 200
            {
                return true;
            }
            thread::sleep(Duration::from_millis(25));
        }
        panic!("sightmap serve did not answer /health within {HEALTH_DEADLINE:?}");
    }

    /// Sends SIGKILL (what `Child::kill` does on Unix) and reaps the process.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The parent's environment without any `SIGHTMAP_*` variable that could change the flags.
fn clean_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| !k.starts_with("SIGHTMAP_"))
        .collect()
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// A client that never uses a proxy and reads 4xx/5xx as responses rather than errors.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

fn health_reports(agent: &ureq::Agent, base: &str) -> u64 {
    let mut response = agent
        .get(format!("{base}/health"))
        .call()
        .expect("GET /health");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value =
        serde_json::from_str(&response.body_mut().read_to_string().expect("health body"))
            .expect("health JSON");
    body["reports"]
        .as_u64()
        .expect("health has a reports count")
}

fn report_body(n: usize) -> String {
    serde_json::json!({
        "kind": "drone",
        "description": format!("durability test {n}"),
        "lat": 37.28,
        "lon": 49.58,
        "observed": {"from": "2025-06-13T00:00:00Z"},
        "sources": [{"name": "test", "type": "civilian", "stance": "asserts"}],
    })
    .to_string()
}

/// What one client saw.
#[derive(Default)]
struct ClientLog {
    acknowledged: Vec<String>,
    other_statuses: Vec<u16>,
    errors: usize,
}

/// Posts reports `first..first + count` until one fails to get any response (the server died).
fn client(
    base: String,
    first: usize,
    count: usize,
    acked: Arc<AtomicUsize>,
    killed: Arc<AtomicBool>,
) -> ClientLog {
    let agent = agent(Duration::from_secs(5));
    let mut log = ClientLog::default();
    for n in first..first + count {
        if killed.load(Ordering::SeqCst) {
            break;
        }
        let result = agent
            .post(format!("{base}/api/reports"))
            .header("Content-Type", "application/json")
            .send(report_body(n));
        let mut response = match result {
            Ok(r) => r,
            Err(_) => {
                log.errors += 1;
                break;
            }
        };
        let status = response.status().as_u16();
        // Acknowledged means a whole 201 response with the new id in it.
        let Ok(text) = response.body_mut().read_to_string() else {
            log.errors += 1;
            break;
        };
        if status != 201 {
            log.other_statuses.push(status);
            continue;
        }
        let body: serde_json::Value = serde_json::from_str(&text).expect("a 201 body is JSON");
        let id = body["id"]
            .as_str()
            .expect("a 201 body has an id")
            .to_string();
        log.acknowledged.push(id);
        acked.fetch_add(1, Ordering::SeqCst);
    }
    log
}

#[test]
fn every_acknowledged_report_survives_kill_9() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start(dir.path());
    let base = server.base.clone();

    // The kill comes once a random number of reports has been acknowledged, plus a random
    // delay, so it lands anywhere from before the first write to after the last.
    let kill_after_acks = rand::random_range(0..ATTEMPTS);
    let extra_delay = Duration::from_micros(rand::random_range(0..5_000));
    eprintln!("killing after {kill_after_acks} acknowledgements + {extra_delay:?}");

    let acked = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let per_client = ATTEMPTS / CLIENTS;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (base, acked, killed) = (base.clone(), acked.clone(), killed.clone());
            thread::spawn(move || client(base, c * per_client, per_client, acked, killed))
        })
        .collect();

    let write_started = Instant::now();
    while acked.load(Ordering::SeqCst) < kill_after_acks
        && !clients.iter().all(|c| c.is_finished())
        && write_started.elapsed() < KILL_DEADLINE
    {
        thread::sleep(Duration::from_micros(200));
    }
    thread::sleep(extra_delay);
    let acked_at_kill = acked.load(Ordering::SeqCst);
    server.kill();
    killed.store(true, Ordering::SeqCst);
    let killed_at = write_started.elapsed();

    let logs: Vec<ClientLog> = clients
        .into_iter()
        .map(|c| c.join().expect("client thread"))
        .collect();
    let acknowledged: Vec<String> = logs
        .iter()
        .flat_map(|l| l.acknowledged.iter().cloned())
        .collect();
    let other_statuses: Vec<u16> = logs
        .iter()
        .flat_map(|l| l.other_statuses.iter().copied())
        .collect();
    let errors: usize = logs.iter().map(|l| l.errors).sum();
    eprintln!(
        "killed at {killed_at:?}: {acked_at_kill} acknowledged then, {} in all; {} other statuses {:?}; {errors} clients saw the connection fail",
        acknowledged.len(),
        other_statuses.len(),
        other_statuses,
    );
    assert!(
        other_statuses.is_empty(),
        "valid reports got non-201 answers: {other_statuses:?}"
    );
    assert!(acknowledged.len() <= ATTEMPTS);

    let server = Server::start(dir.path());
    let agent = agent(Duration::from_secs(5));
    let stored = health_reports(&agent, &server.base);
    eprintln!("after restart: /health counts {stored} reports");
    let mut missing = Vec::new();
    for id in &acknowledged {
        let mut response = agent
            .get(format!("{}/api/reports/{id}", server.base))
            .call()
            .expect("GET a report");
        if response.status() != 200 {
            missing.push((id.clone(), response.status().as_u16()));
            continue;
        }
        let body: serde_json::Value =
            serde_json::from_str(&response.body_mut().read_to_string().expect("report body"))
                .expect("report JSON");
        assert_eq!(
            body["id"].as_str(),
            Some(id.as_str()),
            "GET /api/reports/{id} returned another report"
        );
    }
    assert!(
        missing.is_empty(),
        "{} acknowledged reports lost after kill -9: {missing:?}",
        missing.len()
    );
    assert!(
        stored >= acknowledged.len() as u64,
        "/health counts {stored} reports but {} were acknowledged",
        acknowledged.len()
    );
    assert!(
        stored <= ATTEMPTS as u64,
        "/health counts {stored} reports but only {ATTEMPTS} were sent"
    );
    drop(server);
    eprintln!("durability test took {:?}", started.elapsed());
}
