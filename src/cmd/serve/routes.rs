//! Answers to requests: the route table of cast-serve's `--help`.
//!
//! A path is split into segments, each percent-decoded once; a segment that decodes to
//! something holding `/`, `\` or NUL, or that is empty, `.`, `..` or hidden, is not found,
//! whatever the route. The id is then looked up in the [`Catalog`]; nothing from the URL is
//! ever joined to a file path. Every title, name and search result is HTML-escaped
//! ([`html_escape`]), and every value put into a script goes through [`script_json`].

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::State;
use super::catalog::{Entry, Status, unix};
use super::http::{Body, CHAN_DEPTH, ChanWriter};
use super::live;
use crate::cli::{self, EventFilter};
use crate::cmd::info::{bytes_short, short_duration, utc};
use crate::cmd::to_html::{self, Embed, Player, ScriptString, html_escape, script_json};
use crate::cmd::to_txt;
use crate::time::{self, Micros};
use crate::write::Writer;

/// What a path segment keeps unencoded in the URLs the server writes.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Most matches a search returns.
const MAX_MATCHES: u64 = 500;
/// Longest line shown in search results (characters).
const MAX_LINE_SHOWN: usize = 500;
/// A search stops starting new recordings after this long, and says its results are partial.
const SEARCH_BUDGET: Duration = Duration::from_secs(10);

type Resp = Response<Body>;

/// What a request asks, as far as routing cares.
struct Ctx {
    method: Method,
    headers: HeaderMap,
    params: Vec<(String, String)>,
    /// The server's absolute URL, without the final `/`.
    base: String,
    /// `token=...` to append to links in pages, when the page was opened with one.
    token_query: Option<String>,
}

impl Ctx {
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A link for pages: `path` with `query` and the page's token.
    fn link(&self, path: &str, query: &str) -> String {
        let mut q: Vec<&str> = Vec::new();
        if !query.is_empty() {
            q.push(query);
        }
        if let Some(t) = &self.token_query {
            q.push(t);
        }
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", q.join("&"))
        }
    }

    fn wants_json(&self) -> bool {
        self.headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json"))
    }
}

/// Answers one request and writes its access log line.
pub async fn handle(st: Arc<State>, req: Request<hyper::body::Incoming>, peer: SocketAddr) -> Resp {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let resp = answer(&st, req).await;
    if st.log {
        let shown = match &query {
            Some(q) => format!("{path}?{}", redact(q)),
            None => path,
        };
        cli::error(format!(
            "{peer} \"{method} {}\" {} {:.1}ms",
            shown.escape_debug(),
            resp.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    resp
}

/// The query with any token's value hidden, for the log.
fn redact(q: &str) -> String {
    q.split('&')
        .map(|kv| {
            let key = kv.split_once('=').map_or(kv, |(k, _)| k);
            if percent_decode_str(key).decode_utf8_lossy() == "token" {
                "token=..."
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn answer(st: &Arc<State>, req: Request<hyper::body::Incoming>) -> Resp {
    let params = parse_query(req.uri().query().unwrap_or(""));
    let (parts, _body) = req.into_parts();
    // A CORS preflight carries no credentials, and answers nothing about any recording.
    if parts.method != Method::OPTIONS && !authorized(st, &parts.headers, &params) {
        let mut r = text(
            StatusCode::UNAUTHORIZED,
            "a token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN\n",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let token_query = match (&st.token, params.iter().find(|(k, _)| k == "token")) {
        (Some(want), Some((_, t))) if same(t.as_bytes(), want.as_bytes()) => {
            Some(format!("token={}", utf8_percent_encode(t, SEGMENT)))
        }
        _ => None,
    };
    let ctx = Ctx {
        base: base_url(st, &parts.headers),
        method: parts.method,
        headers: parts.headers,
        params,
        token_query,
    };
    let Some(segs) = segments(parts.uri.path()) else {
        return not_found();
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = matches!(ctx.method, Method::GET | Method::HEAD);
    match segs.as_slice() {
        [] if get => index(st, &ctx),
        ["recordings"] if get => list(st, &ctx),
        ["search"] if get => search(st, &ctx).await,
        ["assets", file] if get => asset(st, file),
        [] | ["recordings"] | ["search"] | ["assets", _] => not_allowed("GET, HEAD"),
        ["recordings", rest @ ..] => recording(st, &ctx, rest).await,
        _ => not_found(),
    }
}

/// True when no token is needed or the request carries it.
fn authorized(st: &State, headers: &HeaderMap, params: &[(String, String)]) -> bool {
    let Some(want) = &st.token else { return true };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let query = params
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str());
    [bearer, query]
        .into_iter()
        .flatten()
        .any(|t| same(t.as_bytes(), want.as_bytes()))
}

/// Compares in time that does not depend on where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The path's segments, each percent-decoded once; None when any is not a plain name.
fn segments(path: &str) -> Option<Vec<String>> {
    let path = path.strip_prefix('/')?;
    if path.is_empty() {
        return Some(Vec::new());
    }
    let path = path.strip_suffix('/').unwrap_or(path);
    path.split('/')
        .map(|raw| {
            let s = percent_decode_str(raw).decode_utf8().ok()?.into_owned();
            let bad = s.is_empty()
                || s == "."
                || s == ".."
                || s.starts_with('.')
                || s.contains(['/', '\\', '\0']);
            (!bad).then_some(s)
        })
        .collect()
}

/// `a=1&b=two+words` as pairs, percent-decoded (`+` is a space).
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// The server's absolute URL: `--base-url`, else from the request's Host, else the address
/// it listens on.
fn base_url(st: &State, headers: &HeaderMap) -> String {
    if let Some(b) = &st.base_url {
        return b.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        });
    match host {
        Some(h) => format!("http://{h}"),
        None => format!("http://{}", st.listen),
    }
}

/// The URL path of a recording, each segment of its id encoded.
fn rec_path(id: &str) -> String {
    let mut p = String::from("/recordings");
    for seg in id.split('/') {
        p.push('/');
        p.extend(utf8_percent_encode(seg, SEGMENT));
    }
    p
}

const SUBROUTES: [&str; 5] = ["cast", "player", "embed", "live", "txt"];

async fn recording(st: &Arc<State>, ctx: &Ctx, rest: &[&str]) -> Resp {
    // `/recordings/a/b/cast` is the file of `a/b` when there is such a recording; the JSON of
    // a recording whose id ends in `cast` otherwise.
    if let [id @ .., sub] = rest
        && !id.is_empty()
        && SUBROUTES.contains(sub)
        && let Some(e) = st.catalog.get(&id.join("/"))
    {
        return match (*sub, &ctx.method) {
            ("cast", &Method::GET | &Method::HEAD) => cast(st, ctx, e).await,
            ("cast", &Method::OPTIONS) => preflight(),
            ("cast", _) => not_allowed("GET, HEAD, OPTIONS"),
            (_, &Method::GET | &Method::HEAD) => match *sub {
                "player" => player(st, ctx, e).await,
                "embed" => embed(st, ctx, &e),
                "live" => live_stream(st, e).await,
                _ => txt(st, e).await,
            },
            _ => not_allowed("GET, HEAD"),
        };
    }
    let Some(e) = st.catalog.get(&rest.join("/")) else {
        return not_found();
    };
    match ctx.method {
        Method::GET | Method::HEAD => one(st, ctx, e).await,
        Method::DELETE if st.allow_delete => delete(st, e).await,
        _ if st.allow_delete => not_allowed("GET, HEAD, DELETE"),
        _ => not_allowed("GET, HEAD"),
    }
}

/// The URLs of a recording, absolute.
fn urls(ctx: &Ctx, id: &str) -> Value {
    let p = rec_path(id);
    let b = &ctx.base;
    json!({
        "self": format!("{b}{p}"),
        "cast": format!("{b}{p}/cast"),
        "player": format!("{b}{p}/player"),
        "embed": format!("{b}{p}/embed"),
        "live": format!("{b}{p}/live"),
        "txt": format!("{b}{p}/txt"),
    })
}

fn summary(st: &State, ctx: &Ctx, e: &Entry, now: SystemTime) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), e.id.clone().into());
    m.insert("title".into(), e.info.title.clone().into());
    m.insert("file".into(), e.rel.clone().into());
    m.insert("duration".into(), (e.info.duration as f64 / 1e6).into());
    m.insert("size".into(), e.size.into());
    m.insert(
        "status".into(),
        e.status(now, st.live_timeout).as_str().into(),
    );
    m.insert("exit_status".into(), e.info.exit.clone().into());
    m.insert("timestamp".into(), e.info.timestamp.into());
    m.insert("modified".into(), unix(e.modified).into());
    m.insert("urls".into(), urls(ctx, &e.id));
    m
}

/// Newest first: by start time, then by id.
fn newest_first(st: &State) -> Vec<Arc<Entry>> {
    let mut all = st.catalog.all();
    all.sort_by(|a, b| b.started().cmp(&a.started()).then_with(|| a.id.cmp(&b.id)));
    all
}

fn list(st: &State, ctx: &Ctx) -> Resp {
    let want = match ctx.param("status") {
        None | Some("") => None,
        Some(s) => match Status::parse(s) {
            Some(s) => Some(s),
            None => {
                return text(
                    StatusCode::BAD_REQUEST,
                    "status: expected recording, complete or truncated\n",
                );
            }
        },
    };
    let now = SystemTime::now();
    let items: Vec<Value> = newest_first(st)
        .iter()
        .filter(|e| want.is_none_or(|w| e.status(now, st.live_timeout) == w))
        .map(|e| Value::Object(summary(st, ctx, e, now)))
        .collect();
    json_resp(&Value::Array(items))
}

/// Runs a blocking library call on the blocking pool, a few at a time.
async fn blocking<T: Send + 'static>(
    st: &Arc<State>,
    f: impl FnOnce(&State) -> T + Send + 'static,
) -> Option<T> {
    let permit = st.work.acquire().await.ok()?;
    let s = Arc::clone(st);
    let r = tokio::task::spawn_blocking(move || f(&s)).await.ok();
    drop(permit);
    r
}

/// Starts a blocking producer that writes a streamed body; it holds its unit of
/// `State::work` until it ends.
async fn produce(
    st: &Arc<State>,
    f: impl FnOnce(&State, &mut ChanWriter) + Send + 'static,
) -> Option<Body> {
    let permit = Arc::clone(&st.work).acquire_owned().await.ok()?;
    let (tx, rx) = mpsc::channel(CHAN_DEPTH);
    let s = Arc::clone(st);
    tokio::task::spawn_blocking(move || {
        let mut w = ChanWriter::new(tx);
        f(&s, &mut w);
        let _ = std::io::Write::flush(&mut w);
        drop(permit);
    });
    Some(Body::Chan(rx))
}

async fn one(st: &Arc<State>, ctx: &Ctx, e: Arc<Entry>) -> Resp {
    let e = {
        let e2 = Arc::clone(&e);
        blocking(st, move |s| s.catalog.refresh(&e2))
            .await
            .unwrap_or(e)
    };
    let mut m = e.info_json();
    for (k, v) in summary(st, ctx, &e, SystemTime::now()) {
        if k != "duration" || !m.contains_key("duration") {
            m.insert(k, v);
        }
    }
    json_resp(&Value::Object(m))
}

async fn delete(st: &Arc<State>, e: Arc<Entry>) -> Resp {
    match blocking(st, move |s| s.catalog.remove(&e)).await {
        Some(Ok(())) => empty(StatusCode::NO_CONTENT),
        Some(Err(err)) if err.kind() == std::io::ErrorKind::NotFound => not_found(),
        Some(Err(err)) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("cannot delete: {err}\n"),
        ),
        None => text(StatusCode::SERVICE_UNAVAILABLE, "stopping\n"),
    }
}

/// `"LEN-MTIME"`: changes whenever the file is written.
fn etag(len: u64, modified: SystemTime) -> String {
    let ns = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("\"{len:x}-{ns:x}\"")
}

/// A byte range asked for: `bytes=A-B`, `bytes=A-`, `bytes=-N` (one range only; several are
/// answered with the whole file, as HTTP allows). Err(()) when it cannot be satisfied.
fn parse_range(h: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let r = if a.is_empty() {
        let n = num(b)?;
        if n == 0 || len == 0 {
            Err(())
        } else {
            Ok((len.saturating_sub(n), len - 1))
        }
    } else {
        let start = num(a)?;
        let end = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            num(b)?
        };
        if start >= len || end < start {
            Err(())
        } else {
            Ok((start, end.min(len - 1)))
        }
    };
    Some(r)
}

fn cors(r: &mut Resp) {
    set_headers(
        r,
        &[
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                "Content-Length, Content-Range, ETag, Last-Modified, Accept-Ranges",
            ),
        ],
    );
}

/// Sets each header of `pairs` on `r`, in order.
fn set_headers(r: &mut Resp, pairs: &[(HeaderName, &'static str)]) {
    let h = r.headers_mut();
    for (name, value) in pairs {
        h.insert(name.clone(), HeaderValue::from_static(value));
    }
}

fn preflight() -> Resp {
    let mut r = empty(StatusCode::NO_CONTENT);
    cors(&mut r);
    set_headers(
        &mut r,
        &[
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Range, If-None-Match, If-Modified-Since, Authorization",
            ),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    );
    r
}

async fn cast(st: &Arc<State>, ctx: &Ctx, e: Arc<Entry>) -> Resp {
    let opened = blocking(st, move |s| {
        let f = s.catalog.open(&e.path)?;
        let m = f.metadata()?;
        Ok::<_, std::io::Error>((f, m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH)))
    })
    .await;
    let Some(Ok((file, len, modified))) = opened else {
        return not_found();
    };
    let tag = etag(len, modified);
    let last_mod = httpdate::fmt_http_date(modified);
    let h = &ctx.headers;
    let hv = |n: header::HeaderName| h.get(n).and_then(|v| v.to_str().ok());
    let fresh = match hv(header::IF_NONE_MATCH) {
        Some(inm) => inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == tag || t == "*"),
        None => hv(header::IF_MODIFIED_SINCE)
            .and_then(|d| httpdate::parse_http_date(d).ok())
            .is_some_and(|since| unix(modified) <= unix(since)),
    };
    let mut r = if fresh {
        empty(StatusCode::NOT_MODIFIED)
    } else {
        let range_ok = match hv(header::IF_RANGE) {
            None => true,
            Some(v) => v == tag || v == last_mod,
        };
        let range = if range_ok {
            hv(header::RANGE).and_then(|r| parse_range(r, len))
        } else {
            None
        };
        match range {
            Some(Err(())) => {
                let mut r = text(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
                r.headers_mut()
                    .insert(header::CONTENT_RANGE, hval(&format!("bytes */{len}")));
                r
            }
            Some(Ok((a, b))) => {
                let mut file = tokio::fs::File::from_std(file);
                if tokio::io::AsyncSeekExt::seek(&mut file, std::io::SeekFrom::Start(a))
                    .await
                    .is_err()
                {
                    return not_found();
                }
                let n = b - a + 1;
                let mut r = Response::new(Body::file(file, n));
                *r.status_mut() = StatusCode::PARTIAL_CONTENT;
                let hm = r.headers_mut();
                hm.insert(header::CONTENT_RANGE, hval(&format!("bytes {a}-{b}/{len}")));
                hm.insert(header::CONTENT_LENGTH, HeaderValue::from(n));
                r
            }
            None => {
                let mut r = Response::new(Body::file(tokio::fs::File::from_std(file), len));
                r.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
                r
            }
        }
    };
    cors(&mut r);
    let hm = r.headers_mut();
    hm.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-asciicast"),
    );
    hm.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    hm.insert(header::ETAG, hval(&tag));
    hm.insert(header::LAST_MODIFIED, hval(&last_mod));
    // Growing files change: always revalidate (a 304 costs little).
    hm.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

async fn player(st: &Arc<State>, ctx: &Ctx, e: Arc<Entry>) -> Resp {
    let start_at = match ctx.param("t") {
        None | Some("") => None,
        Some(t) => match time::parse_clock(t) {
            Ok(t) => Some(t),
            Err(msg) => return text(StatusCode::BAD_REQUEST, &format!("t: {msg}\n")),
        },
    };
    let e = {
        let e2 = Arc::clone(&e);
        blocking(st, move |s| s.catalog.refresh(&e2))
            .await
            .unwrap_or(e)
    };
    let player = st.page_player();
    let title = e.title().to_string();
    let mut opts = Map::new();
    if e.status(SystemTime::now(), st.live_timeout) == Status::Recording {
        // Still being written: follow it live, showing every event as soon as it arrives.
        let live = ctx.link(&format!("{}/live", rec_path(&e.id)), "");
        let source = format!(
            "{{driver: \"eventsource\", url: {}, bufferTime: 0}}",
            script_json(&Value::from(live))
        );
        opts.insert("autoPlay".into(), Value::Bool(true));
        let (head, tail) = to_html::page_parts(&player, &title, &source, &opts);
        return html(format!("{head}{tail}"));
    }
    if let Some(t) = start_at {
        opts.insert("startAt".into(), seconds_value(t));
    }
    let body = produce(st, move |s, w| {
        let _ = page_with_recording(s, &e, &player, &title, &opts, w);
    })
    .await;
    produced(body, "text/html; charset=utf-8")
}

/// Streams the page cast-to-html makes, with the recording inside it (stderr shown as output,
/// markers kept as chapters). Blocking.
fn page_with_recording(
    st: &State,
    e: &Entry,
    player: &Player,
    title: &str,
    opts: &Map<String, Value>,
    w: &mut ChanWriter,
) -> crate::Result<()> {
    use std::io::Write;
    let file = st.catalog.open(&e.path)?;
    let mut rdr = crate::read::Reader::new(Box::new(file), Some(Path::new(&e.rel).to_path_buf()))?;
    let (head, tail) = to_html::page_parts(player, title, "{data: castkitRecording}", opts);
    w.write_all(head.as_bytes())?;
    w.write_all(b"const castkitRecording = \"")?;
    w.flush()?;
    let inner = ChanWriter::new(w.sender());
    let mut out = Writer::new(Box::new(ScriptString::new(inner)), rdr.version().writable());
    out.write_header(rdr.header())?;
    let mut embed = Embed::new(false);
    embed.start(&mut out)?;
    if let Err(err) = cli::pump(&mut rdr, &mut embed, &mut out, Path::new("<response>")) {
        if err.is_broken_pipe() {
            return Err(err); // the client went away
        }
        // A malformed line part way: the page plays what came before it, as a cut-off
        // recording would.
        cli::warn(&err);
    }
    out.finish()?;
    w.write_all(b"\";\n")?;
    w.write_all(tail.as_bytes())?;
    w.flush()?;
    Ok(())
}

fn seconds_value(t: Micros) -> Value {
    serde_json::from_str(&time::seconds_string(t)).unwrap_or(Value::Null)
}

fn embed(st: &State, ctx: &Ctx, e: &Entry) -> Resp {
    let cast_url = format!("{}{}/cast", ctx.base, rec_path(&e.id));
    let cast_url = match &ctx.token_query {
        Some(t) => format!("{cast_url}?{t}"),
        None => cast_url,
    };
    let player = match (&st.local_player, &ctx.token_query) {
        (Some(_), None) => Player::Url {
            base: format!("{}/assets/", ctx.base),
            pinned: false,
        },
        _ => Player::Url {
            base: to_html::PLAYER_CDN.to_string(),
            pinned: true,
        },
    };
    let source = format!("{{url: {}}}", script_json(&Value::from(cast_url)));
    let snippet = to_html::snippet(&player, &e.id, &source, &Map::new());
    let mut r = text(StatusCode::OK, &snippet);
    cors(&mut r);
    r
}

async fn live_stream(st: &Arc<State>, e: Arc<Entry>) -> Resp {
    let opened = blocking(st, move |s| s.catalog.open(&e.path).map(|f| (f, e))).await;
    let Some(Ok((file, e))) = opened else {
        return not_found();
    };
    let (tx, rx) = mpsc::channel(CHAN_DEPTH);
    let l = live::Live {
        file,
        path: e.path.clone(),
        timeout: st.live_timeout,
        changed: st.changed.clone(),
        stop: st.stop.clone(),
    };
    tokio::spawn(live::stream(l, tx));
    let mut r = Response::new(Body::Chan(rx));
    cors(&mut r);
    set_headers(
        &mut r,
        &[
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (HeaderName::from_static("x-accel-buffering"), "no"),
        ],
    );
    r
}

async fn txt(st: &Arc<State>, e: Arc<Entry>) -> Resp {
    let body = produce(st, move |s, w| {
        let mut run = || -> crate::Result<()> {
            let file = s.catalog.open(&e.path)?;
            let mut rdr =
                crate::read::Reader::new(Box::new(file), Some(Path::new(&e.rel).to_path_buf()))?;
            to_txt::convert(&mut rdr, &to_txt::Options::default(), w, false)
        };
        if let Err(err) = run()
            && !err.is_broken_pipe()
        {
            cli::warn(&err);
        }
    })
    .await;
    produced(body, "text/plain; charset=utf-8")
}

/// One search result.
struct Hit {
    id: String,
    time: Micros,
    line: String,
}

/// cast-grep's search over every recording: a case-insensitive fixed string, at most
/// [`MAX_MATCHES`] lines. Blocking.
fn grep_all(st: &State, q: &str) -> (Vec<Hit>, bool) {
    use crate::cmd::grep::matcher::{Matcher, Options};
    use crate::cmd::grep::search::{self, Config, Dest, Report, Source};
    let Ok(matcher) = Matcher::new(
        &[q.to_string()],
        &Options {
            fixed: true,
            ignore_case: true,
            word: false,
            line: false,
        },
    ) else {
        return (Vec::new(), false);
    };
    let mut hits = Vec::new();
    let mut ids: Vec<Arc<Entry>> = st.catalog.all();
    ids.sort_by(|a, b| a.id.cmp(&b.id));
    let started = Instant::now();
    for e in ids {
        let left = MAX_MATCHES - hits.len() as u64;
        if left == 0 || started.elapsed() > SEARCH_BUDGET {
            return (hits, true);
        }
        let cfg = Config {
            matcher: matcher.clone(),
            invert: false,
            report: Report::Json,
            max_count: Some(left),
            before: 0,
            after: 0,
            with_filename: true,
            color: false,
            source: Source::Screen,
            line_buffered: false,
            event_numbers: false,
            stop: AtomicBool::new(false),
        };
        let Ok(file) = st.catalog.open(&e.path) else {
            continue;
        };
        let Ok(mut rdr) = crate::read::Reader::new(Box::new(file), Some(e.path.clone())) else {
            continue;
        };
        let mut found: Vec<u8> = Vec::new();
        {
            let mut sink = |b: &[u8], _flush: bool| -> std::io::Result<()> {
                found.extend_from_slice(b);
                Ok(())
            };
            let mut dest = Dest::Text {
                buf: Vec::new(),
                flush: &mut sink,
            };
            let _ = search::search(&cfg, &mut rdr, Path::new(&e.id), &mut dest, false);
            let _ = dest.flush(true);
        }
        for line in found.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let Ok(v) = serde_json::from_slice::<Value>(line) else {
                continue;
            };
            if v["type"] != "match" {
                continue;
            }
            let t = v["time"].as_f64().unwrap_or(0.0);
            let text: String = v["line"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(MAX_LINE_SHOWN)
                .collect();
            hits.push(Hit {
                id: e.id.clone(),
                time: (t * 1e6).round() as Micros,
                line: text,
            });
        }
    }
    (hits, false)
}

async fn search(st: &Arc<State>, ctx: &Ctx) -> Resp {
    let q = ctx.param("q").unwrap_or("").to_string();
    let (hits, more) = if q.is_empty() {
        (Vec::new(), false)
    } else {
        let q2 = q.clone();
        match blocking(st, move |s| grep_all(s, &q2)).await {
            Some(r) => r,
            None => return text(StatusCode::SERVICE_UNAVAILABLE, "stopping\n"),
        }
    };
    let player_at = |h: &Hit, base: &str| {
        format!(
            "{base}{}/player?t={}",
            rec_path(&h.id),
            time::seconds_string(h.time)
        )
    };
    if ctx.wants_json() {
        let matches: Vec<Value> = hits
            .iter()
            .map(|h| {
                json!({
                    "id": h.id,
                    "time": h.time as f64 / 1e6,
                    "line": h.line,
                    "player": player_at(h, &ctx.base),
                })
            })
            .collect();
        return json_resp(&json!({"query": q, "matches": matches, "truncated": more}));
    }
    let mut body = page_start(&format!("search: {q}"));
    body.push_str(&search_form(ctx, &q));
    if !q.is_empty() {
        body.push_str(&format!(
            "<p>{} match{}{}</p>\n<table>\n<tr><th>recording</th><th>time</th><th>line</th></tr>\n",
            hits.len(),
            if hits.len() == 1 { "" } else { "es" },
            if more {
                " (showing the first ones)"
            } else {
                ""
            }
        ));
        for h in &hits {
            let at = ctx.link(
                &format!("{}/player", rec_path(&h.id)),
                &format!("t={}", time::seconds_string(h.time)),
            );
            body.push_str(&format!(
                "<tr><td>{}</td><td><a href=\"{}\">{}</a></td><td><code>{}</code></td></tr>\n",
                html_escape(&h.id),
                html_escape(&at),
                html_escape(&time::clock_millis(h.time)),
                html_escape(&h.line),
            ));
        }
        body.push_str("</table>\n");
    }
    body.push_str(PAGE_END);
    html(body)
}

const STYLE: &str = "body { margin: 0; padding: 1em 2em; background: #1d1f21; color: #c5c8c6; \
font-family: system-ui, sans-serif; }\na { color: #81a2be; }\ntable { border-collapse: collapse; }\n\
th, td { text-align: left; padding: 0.25em 0.8em 0.25em 0; vertical-align: top; }\n\
td.num { text-align: right; }\n.recording { color: #b5bd68; }\n.truncated { color: #de935f; }\n\
.id { color: #969896; font-size: 0.85em; }\ncode { white-space: pre-wrap; }\n";

const PAGE_END: &str = "</body>\n</html>\n";

fn page_start(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1><a href=\"/\">recordings</a></h1>\n",
        html_escape(title)
    )
}

fn search_form(ctx: &Ctx, q: &str) -> String {
    let token = match (&ctx.token_query, ctx.param("token")) {
        (Some(_), Some(t)) => format!(
            "<input type=\"hidden\" name=\"token\" value=\"{}\">",
            html_escape(t)
        ),
        _ => String::new(),
    };
    format!(
        "<form action=\"/search\" method=\"get\"><input type=\"search\" name=\"q\" value=\"{}\" \
         placeholder=\"text shown in any recording\">{token} <button>search</button></form>\n",
        html_escape(q)
    )
}

fn index(st: &State, ctx: &Ctx) -> Resp {
    let now = SystemTime::now();
    let all = newest_first(st);
    let mut b = page_start("recordings");
    b.push_str(&search_form(ctx, ""));
    b.push_str(&format!(
        "<p>{} recording{}</p>\n<table>\n<tr><th>title</th><th>duration</th><th>size</th>\
         <th>started</th><th>status</th><th>exit</th><th></th></tr>\n",
        all.len(),
        if all.len() == 1 { "" } else { "s" }
    ));
    for e in &all {
        let p = rec_path(&e.id);
        let status = e.status(now, st.live_timeout).as_str();
        let link = |sub: &str| html_escape(&ctx.link(&format!("{p}{sub}"), ""));
        b.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a><div class=\"id\">{}</div></td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td class=\"{status}\">{status}</td><td>{}</td>\
             <td><a href=\"{}\">cast</a> <a href=\"{}\">txt</a> <a href=\"{}\">json</a> \
             <a href=\"{}\">embed</a></td></tr>\n",
            link("/player"),
            html_escape(e.title()),
            html_escape(&e.id),
            short_duration(e.info.duration),
            bytes_short(e.size),
            html_escape(&utc(e.started())),
            html_escape(e.info.exit.as_deref().unwrap_or("-")),
            link("/cast"),
            link("/txt"),
            link(""),
            link("/embed"),
        ));
    }
    b.push_str("</table>\n");
    b.push_str(PAGE_END);
    html(b)
}

fn asset(st: &State, file: &str) -> Resp {
    let Some(Player::Inline { js, css }) = &st.local_player else {
        return not_found();
    };
    let (body, kind) = match file {
        "asciinema-player.min.js" => (js, "text/javascript; charset=utf-8"),
        "asciinema-player.css" => (css, "text/css; charset=utf-8"),
        _ => return not_found(),
    };
    let mut r = Response::new(Body::full(Bytes::from(body.clone())));
    cors(&mut r);
    set_headers(
        &mut r,
        &[
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
    );
    r
}

fn hval(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn json_resp(v: &Value) -> Resp {
    let mut b = serde_json::to_vec_pretty(v).unwrap_or_default();
    b.push(b'\n');
    typed(Body::full(b), "application/json")
}

fn html(s: String) -> Resp {
    typed(Body::full(s), "text/html; charset=utf-8")
}

fn text(code: StatusCode, s: &str) -> Resp {
    let mut r = typed(Body::full(s.to_string()), "text/plain; charset=utf-8");
    *r.status_mut() = code;
    r
}

/// A 200 response of content type `kind`.
fn typed(body: Body, kind: &'static str) -> Resp {
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    r
}

/// The response for a body [`produce`] streams, of content type `kind`: 503 when the server
/// is stopping and no producer could start.
fn produced(body: Option<Body>, kind: &'static str) -> Resp {
    match body {
        Some(b) => typed(b, kind),
        None => text(StatusCode::SERVICE_UNAVAILABLE, "stopping\n"),
    }
}

fn empty(code: StatusCode) -> Resp {
    let mut r = Response::new(Body::Empty);
    *r.status_mut() = code;
    r
}

fn not_found() -> Resp {
    text(StatusCode::NOT_FOUND, "not found\n")
}

fn not_allowed(allow: &'static str) -> Resp {
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_refuse_every_way_out() {
        assert_eq!(segments("/"), Some(vec![]));
        assert_eq!(
            segments("/recordings/a%20b/cast"),
            Some(vec!["recordings".into(), "a b".into(), "cast".into()])
        );
        for bad in [
            "/recordings/../x",
            "/recordings/%2e%2e/x",
            "/recordings/%2E%2E/x",
            "/recordings/a%2fb",
            "/recordings/a%5cb",
            "/recordings//etc/passwd",
            "/recordings/.hidden",
            "/recordings/a%00",
            "recordings",
        ] {
            assert_eq!(segments(bad), None, "{bad}");
        }
        // Decoded once: a double-encoded dot stays a name with a percent sign in it.
        assert_eq!(
            segments("/recordings/%252e%252e"),
            Some(vec!["recordings".into(), "%2e%2e".into()])
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=50-500", 100), Some(Ok((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=5-2", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
        assert_eq!(parse_range("bytes=x-1", 100), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert_eq!(redact("q=x&token=secret"), "q=x&token=...");
        assert_eq!(redact("%74oken=secret&t=1"), "token=...&t=1");
    }

    #[test]
    fn ids_are_encoded_in_urls() {
        assert_eq!(rec_path("sub/a b#"), "/recordings/sub/a%20b%23");
    }
}
