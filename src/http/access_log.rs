//! The access log: one line per request, written when its response has been sent (so a
//! streamed export's line holds its whole size and duration), in logfmt:
//!
//! ```text
//! time=2026-11-29T21:30:00.123Z client=127.0.0.1:50412 method=GET path="/api/reports?limit=1" status=200 bytes=1234 duration_ms=0.84 request_id=0197…
//! ```
//!
//! - `client` is the peer's address, or, behind a trusted proxy (`--trust-forwarded-for`), the
//!   first address of `X-Forwarded-For`, with `peer=` beside it.
//! - `request_id` is the client's `X-Request-Id` when it sends a sane one (1–200 visible ASCII
//!   characters), else a new UUIDv7; the response carries it back in `X-Request-Id`, and every
//!   log event the request causes (a 5xx's cause, say) is written inside a span that holds it.
//! - Nothing secret is written: no header at all (so no `Authorization`), and the value of any
//!   query parameter whose name mentions a token, secret, password or key is replaced.
//! - A response whose body was not sent to its end (the client went away) gets
//!   `complete=false`. A request that never got a response at all (the connection closed
//!   while it was being answered) gets no line; the server's own log says why if it failed.
//!
//! tower-http's `TraceLayer` is not used for this: its callbacks see one body chunk at a time
//! and share no per-request state, so they cannot write one line with the bytes sent.

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use parking_lot::Mutex;
use std::fmt::Write as _;
use std::io::{LineWriter, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::Instrument;

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// Where access log lines go.
#[derive(Debug, Default)]
pub enum AccessLog {
    /// Nowhere.
    #[default]
    Off,
    /// Standard error (the default of `serve`).
    Stderr,
    /// A file, appended to, a line at a time.
    File(Mutex<LineWriter<std::fs::File>>),
}

impl AccessLog {
    /// Reads `--access-log`: `off`, `stderr` (or `-`), or a file's path (created if missing,
    /// appended to).
    pub fn from_setting(setting: &str) -> std::io::Result<Self> {
        match setting.trim() {
            "off" => Ok(Self::Off),
            "stderr" | "-" | "" => Ok(Self::Stderr),
            path => Self::to_file(Path::new(path)),
        }
    }

    /// Appends to a file.
    pub fn to_file(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Self::File(Mutex::new(LineWriter::new(file))))
    }

    fn is_off(&self) -> bool {
        matches!(self, Self::Off)
    }

    fn write_line(&self, line: &str) {
        let written = match self {
            Self::Off => Ok(()),
            Self::Stderr => std::io::stderr().lock().write_all(line.as_bytes()),
            Self::File(file) => file.lock().write_all(line.as_bytes()),
        };
        if let Err(e) = written {
            tracing::warn!("cannot write the access log: {e}");
        }
    }
}

/// The access log and how to name clients.
#[derive(Debug, Default, Clone)]
pub struct AccessLogger {
    /// Where lines go.
    pub sink: Arc<AccessLog>,
    /// Whether `X-Forwarded-For` names the client (the server is behind a proxy).
    pub trust_forwarded: bool,
}

/// A request's id, in its extensions for handlers that want it.
#[derive(Debug, Clone)]
pub struct RequestId(pub Arc<str>);

/// The client's id if it is sane, else a new one.
fn request_id(headers: &HeaderMap) -> Arc<str> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| (1..=200).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(Arc::from)
        .unwrap_or_else(|| Arc::from(uuid::Uuid::now_v7().simple().to_string()))
}

/// The path and query, with secret-looking query values replaced.
fn target(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.path().to_string();
    };
    let mut out = format!("{}?", uri.path());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let name = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
        let secret = ["token", "secret", "password", "passwd", "key"]
            .iter()
            .any(|word| name.contains(word));
        match pair.split_once('=') {
            Some((name, _)) if secret => {
                let _ = write!(out, "{name}=REDACTED");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// Writes `text` as a logfmt value: quoted, with quotes, backslashes and control characters
/// escaped.
fn quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// What a line says, gathered as the request goes.
struct Entry {
    sink: Arc<AccessLog>,
    time: time::OffsetDateTime,
    started: Instant,
    client: String,
    peer: Option<SocketAddr>,
    method: String,
    target: String,
    status: u16,
    request_id: Arc<str>,
    bytes: u64,
    complete: bool,
    /// A HEAD request, whose body axum drops unsent: complete when answered.
    head: bool,
}

impl Entry {
    fn write(&self) {
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        let mut line = String::with_capacity(200);
        let _ = write!(
            line,
            "time={} client={}",
            self.time.format(&format).unwrap_or_default(),
            self.client
        );
        if let Some(peer) = self.peer {
            let _ = write!(line, " peer={peer}");
        }
        let _ = write!(line, " method={} path=", self.method);
        quoted(&mut line, &self.target);
        let _ = write!(
            line,
            " status={} bytes={} duration_ms={:.3} request_id=",
            self.status,
            self.bytes,
            self.started.elapsed().as_secs_f64() * 1000.0
        );
        quoted(&mut line, &self.request_id);
        if !self.complete {
            line.push_str(" complete=false");
        }
        line.push('\n');
        self.sink.write_line(&line);
    }
}

/// Middleware: gives the request its id and span, and logs it once its response is sent.
pub async fn log_requests(
    State(logger): State<AccessLogger>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let time = time::OffsetDateTime::now_utc();
    let id = request_id(request.headers());
    request.extensions_mut().insert(RequestId(id.clone()));
    let entry = (!logger.sink.is_off()).then(|| {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        let forwarded = logger
            .trust_forwarded
            .then(|| super::limits::forwarded_for(request.headers()))
            .flatten();
        let (client, peer) = match (forwarded, peer) {
            (Some(ip), peer) => (ip.to_string(), peer),
            (None, Some(peer)) => (peer.to_string(), None),
            (None, None) => ("-".to_string(), None),
        };
        Entry {
            sink: logger.sink.clone(),
            time,
            started,
            client,
            peer,
            method: request.method().to_string(),
            target: target(request.uri()),
            status: 0,
            request_id: id.clone(),
            bytes: 0,
            complete: false,
            head: request.method() == axum::http::Method::HEAD,
        }
    });
    let span = tracing::info_span!("request", id = %id);
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let Some(mut entry) = entry else {
        return response;
    };
    entry.status = response.status().as_u16();
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::new(LoggedBody { inner: body, entry }))
}

/// A response body that counts the bytes sent and writes the log line when it is dropped
/// (sent to its end, or abandoned).
struct LoggedBody {
    inner: Body,
    entry: Entry,
}

impl HttpBody for LoggedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.entry.bytes += data.len() as u64;
                }
            }
            Poll::Ready(None) => self.entry.complete = true,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        // A body known to be empty (204, 304) may never be polled, nor a HEAD's at all.
        if self.entry.head || self.inner.is_end_stream() {
            self.entry.complete = true;
        }
        self.entry.write();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_query_values_are_replaced_and_text_is_quoted() {
        let uri: axum::http::Uri = "/api/x?a=1&access_token=abc&API_KEY=k&b".parse().unwrap();
        assert_eq!(
            target(&uri),
            "/api/x?a=1&access_token=REDACTED&API_KEY=REDACTED&b"
        );
        let mut out = String::new();
        quoted(&mut out, "a \"b\"\\\n");
        assert_eq!(out, r#""a \"b\"\\\u{a}""#);
    }

    #[test]
    fn only_sane_request_ids_are_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(&*request_id(&headers), "abc-123");
        headers.insert(REQUEST_ID, HeaderValue::from_static("has space"));
        assert_eq!(request_id(&headers).len(), 32);
    }
}
