//! `sightmap token` through the real binary: a token made on the command line lets a client
//! write to a server on the same store; once tokens exist, anonymous writes stop; a revoked
//! token stops working.

mod common;

use common::{Server, sightmap};

fn token(dir: &str, args: &[&str]) -> (String, String) {
    let out = sightmap()
        .args(["token"])
        .args(args)
        .args(["--data-dir", dir])
        .output()
        .expect("run sightmap token");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "token {args:?}: {stderr}");
    (stdout, stderr)
}

fn post(server: &Server, secret: Option<&str>) -> u16 {
    let mut request = common::agent(std::time::Duration::from_secs(5))
        .post(format!("{}/api/reports", server.base))
        .header("Content-Type", "application/json");
    if let Some(secret) = secret {
        request = request.header("Authorization", &format!("Bearer {secret}"));
    }
    let body = common::report_json("token test", 49.58, 37.28);
    request
        .send(body.to_string())
        .expect("POST")
        .status()
        .as_u16()
}

#[test]
fn tokens_made_on_the_command_line_guard_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let mut server = Server::start(dir.path());
    assert_eq!(
        post(&server, None),
        201,
        "with no tokens at all, loopback writes are open"
    );
    server.stop();

    let (secret, told) = token(
        path,
        &["create", "--role", "reporter", "--name", "field desk"],
    );
    let secret = secret.trim().to_string();
    assert!(
        secret.starts_with("smt_") && told.contains("shown this once"),
        "{told}"
    );
    let (list, _) = token(path, &["list"]);
    assert!(list.contains("field desk\treporter"), "{list}");
    assert!(!list.contains(&secret), "the list never shows secrets");

    let mut server = Server::start(dir.path());
    assert_eq!(
        post(&server, None),
        401,
        "once a token exists, anonymous writes stop"
    );
    assert_eq!(post(&server, Some(&secret)), 201);
    server.stop();

    let (_, told) = token(path, &["revoke", "field desk"]);
    assert!(
        told.contains("revoked reporter token 'field desk'"),
        "{told}"
    );
    let server = Server::start(dir.path());
    assert_eq!(
        post(&server, Some(&secret)),
        401,
        "a revoked token stops working"
    );
}
