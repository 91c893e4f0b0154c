//! Running the real `sightmap` binary in integration tests: a clean environment, a server on a
//! free loopback port that is killed and reaped when dropped, and an HTTP client.

#![allow(dead_code)] // each test binary uses its own part of this module

pub mod postgres;
pub mod reports;

use serde_json::Value;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sightmap");
/// How long a server may take to answer `/health`.
pub const HEALTH_DEADLINE: Duration = Duration::from_secs(20);

/// The parent's environment without any `SIGHTMAP_*` variable that could change the flags.
pub fn clean_env() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| !k.starts_with("SIGHTMAP_"))
        .collect()
}

/// `sightmap` with a clean environment, quiet logs (no access log unless a test asks with
/// `--access-log`) and no standard input.
pub fn sightmap() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .envs(clean_env())
        .env("SIGHTMAP_LOG", "warn")
        .env("SIGHTMAP_ACCESS_LOG", "off")
        .stdin(Stdio::null());
    command
}

/// A valid new report (drone, one civilian source asserting it) at a point.
pub fn report_json(description: &str, lon: f64, lat: f64) -> Value {
    reports::NewReport::at(lon, lat)
        .description(description)
        .json()
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local addr").port()
}

/// A client that never uses a proxy and reads 4xx/5xx as responses rather than errors.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

/// A running `sightmap serve --no-sample`, killed and reaped when dropped.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Server {
    /// Starts `serve --no-sample` on `data_dir` on a free loopback port and waits for `/health`.
    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, &[])
    }

    /// As [`Server::start`], with more arguments for `serve`.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        // The port is free when picked but could be taken before the server binds it: retry.
        for _ in 0..3 {
            let port = free_port();
            let child = sightmap()
                .args([
                    "serve",
                    "--addr",
                    &format!("127.0.0.1:{port}"),
                    "--no-sample",
                    "--data-dir",
                ])
                .arg(data_dir)
                .args(extra)
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

    /// `GET path`: the status and the JSON body.
    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut response = agent(Duration::from_secs(5))
            .get(format!("{}{path}", self.base))
            .call()
            .expect("GET");
        let text = response.body_mut().read_to_string().expect("body");
        (
            response.status().as_u16(),
            serde_json::from_str(&text).expect("JSON body"),
        )
    }

    /// The ids of the features of a `GET path` that must answer 200, sorted.
    pub fn sorted_ids(&self, path: &str) -> Vec<String> {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        let mut ids: Vec<String> = body["features"]
            .as_array()
            .expect("a FeatureCollection")
            .iter()
            .map(|f| f["id"].as_str().expect("a feature id").to_string())
            .collect();
        ids.sort();
        ids
    }

    /// The `reports` count of `/health`.
    pub fn health_reports(&self) -> u64 {
        let (status, body) = self.get("/health");
        assert_eq!(status, 200);
        body["reports"]
            .as_u64()
            .expect("health has a reports count")
    }

    /// Sends `method path` with a JSON body (or none): the status and the JSON body, if any.
    pub fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let agent = agent(Duration::from_secs(5));
        let url = format!("{}{path}", self.base);
        let mut response = match (method, body) {
            ("POST", Some(b)) => agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(b.to_string()),
            ("PATCH", Some(b)) => agent
                .patch(&url)
                .header("Content-Type", "application/merge-patch+json")
                .send(b.to_string()),
            ("DELETE", None) => agent.delete(&url).call(),
            (method, _) => panic!("send does not do {method}"),
        }
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let text = response.body_mut().read_to_string().expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (response.status().as_u16(), body)
    }

    /// Sends SIGTERM without waiting for the exit.
    pub fn terminate(&self) {
        let child = self.child.as_ref().expect("the server is running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits for the process to exit, at most `limit`; its exit status.
    pub fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("the server is running");
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!("sightmap serve did not exit within {limit:?}");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(&mut self) {
        self.terminate();
        let exit = self.wait_exit(Duration::from_secs(60));
        assert!(
            exit.success(),
            "sightmap serve exited with {exit} after SIGTERM"
        );
    }

    /// Sends SIGKILL (what `Child::kill` does on Unix) and reaps the process.
    pub fn kill(&mut self) {
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
