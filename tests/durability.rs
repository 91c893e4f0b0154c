//! Durability through the real binary: 8 clients write 1,000 reports while the server is killed
//! with SIGKILL at a random moment; after a restart on the same data directory, every report
//! that was acknowledged with 201 must be there.

mod common;

use common::{Server, agent};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
const ATTEMPTS: usize = 1_000;
/// The kill happens by this time at the latest, even if the writers are slower than expected.
const KILL_DEADLINE: Duration = Duration::from_secs(30);

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
    common::report_json(&format!("durability test {n}"), 49.58, 37.28).to_string()
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

/// SIGTERM lets a request in flight finish: a POST whose body is still arriving when the
/// signal comes is stored and answered 201, then the server exits cleanly, and the report is
/// there after a restart.
#[test]
fn sigterm_drains_requests_in_flight() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let body = report_body(424_242);
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let address = server.base.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    write!(
        stream,
        "POST /api/reports HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(first).unwrap();
    stream.flush().unwrap();
    thread::sleep(Duration::from_millis(300));
    server.terminate();
    thread::sleep(Duration::from_millis(300));
    stream.write_all(rest).unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("the response arrives");
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the request in flight is answered: {response}"
    );
    let status = server.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "a clean exit after draining: {status}");
    let id = response
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the response holds the new id")
        .to_string();
    let server = Server::start(dir.path());
    let (status, _) = server.get(&format!("/api/reports/{id}"));
    assert_eq!(status, 200, "the drained write was kept");
}

/// A client that sends its request head too slowly is cut off after the header timeout, and
/// the server goes on answering others.
#[test]
fn a_slow_client_is_cut_off() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--header-timeout-s", "1"]);
    let address = server.base.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&address).expect("connect");
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET /api/reports HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the connection stayed open {waited:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "cut off, not answered: {answer}"
    );
    assert_eq!(server.get("/health").0, 200, "others are still answered");
}
