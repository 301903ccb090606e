//! cast-serve, over real HTTP on loopback: every route, validators and ranges, every way out of
//! the folder, the token, delete, escaping, files appearing and vanishing, live streams, the
//! end on SIGTERM, the corpus, and headless Chromium playing pages. Each test starts its own
//! server on a port the kernel picks (`--listen 127.0.0.1:0`); the client is a plain
//! TcpStream, so what is sent is exactly what the test wrote (no path normalisation).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{Dir, bin, cmd};

/// Long enough never to fire on a slow machine; only there so a hang fails.
const HANG: Duration = Duration::from_secs(30);

/// A server started for one test, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = cmd("cast-serve")
            .arg(dir)
            .args(if args.contains(&"--listen") {
                &[][..]
            } else {
                &["--listen", "127.0.0.1:0"][..]
            })
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cast-serve");
        let err = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let l = Arc::clone(&log);
        // Keeps reading the access log, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if let Some(k) = line.find(" on http://") {
                    let a = line[k + 11..].trim_end_matches('/').to_string();
                    if let Some(t) = tx.take() {
                        let _ = t.send(a);
                    }
                }
                let mut g = l.lock().unwrap();
                g.push_str(&line);
                g.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(HANG)
            .unwrap_or_else(|_| panic!("cast-serve did not start: {}", log.lock().unwrap()));
        Server {
            child,
            addr: addr.parse().expect("an address"),
            log,
        }
    }

    fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path, &[])
    }

    fn req(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
        request(self.addr, method, path, headers)
    }

    fn json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{path}: {e}: {}", r.text()))
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.1 request on its own connection, sent exactly as given.
fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(HANG)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read the answer");
    parse_response(&raw, method == "HEAD")
}

fn parse_response(raw: &[u8], head: bool) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers: {}", String::from_utf8_lossy(raw)));
    let head_text = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked && !head {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(k) = b.windows(2).position(|w| w == b"\r\n") else {
            panic!("a chunk was cut off");
        };
        let size_text = String::from_utf8_lossy(&b[..k]);
        let n = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("a chunk size");
        b = &b[k + 2..];
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[..n]);
        b = &b[n + 2..];
    }
}

fn v2_file(title: &str, events: &str) -> String {
    format!(
        "{{\"version\": 2, \"width\": 80, \"height\": 24, \"timestamp\": 1700000000, \"title\": {}}}\n{events}",
        serde_json::to_string(title).unwrap()
    )
}

/// A folder with a few recordings, written long enough ago not to count as live.
fn folder() -> Dir {
    let d = Dir::new();
    d.write(
        "demo.cast",
        v2_file(
            "Demo",
            "[0.5, \"o\", \"$ make test\\r\\n\"]\n[1.25, \"m\", \"build\"]\n\
             [2, \"o\", \"test result: ok\\r\\n\"]\n[2.5, \"e\", \"a warning on stderr\\r\\n\"]\n\
             [3, \"x\", \"0\"]\n",
        ),
    );
    std::fs::create_dir_all(d.path("ci/job 1")).unwrap();
    d.write(
        "ci/job 1/build.cast",
        "{\"version\": 3, \"term\": {\"cols\": 100, \"rows\": 30}, \"timestamp\": 1700000100}\n\
         [0.5, \"o\", \"compiling\\r\\n\"]\n[1, \"o\", \"error: it broke\\r\\n\"]\n",
    );
    d.write(
        "old.json",
        "{\"version\": 1, \"width\": 40, \"height\": 10, \"duration\": 1.5, \"title\": \"v1\",\n \
         \"stdout\": [[0.5, \"old text\\r\\n\"], [1.0, \"more\\r\\n\"]]}\n",
    );
    d.write(
        "cut.cast",
        v2_file("cut", "[0.5, \"o\", \"whole\\r\\n\"]\n[1, \"o\", \"cut of"),
    );
    d.write("package.json", "{\"name\": \"not a recording\"}\n");
    d.write(
        ".hidden.cast",
        v2_file("hidden", "[0.5, \"o\", \"secret\"]\n"),
    );
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    for f in ["demo.cast", "ci/job 1/build.cast", "old.json", "cut.cast"] {
        std::fs::File::options()
            .write(true)
            .open(d.path(f))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    d
}

#[test]
fn every_route_answers() {
    let d = folder();
    let s = Server::start(d.tmp.path(), &[]);
    let list = s.json("/recordings");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    // Newest first (the v1 file has no timestamp: its modification time, an hour ago).
    assert_eq!(ids, ["old", "ci/job 1/build", "cut", "demo"], "{list:#}");
    let by_id = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("demo")["status"], "complete");
    assert_eq!(by_id("demo")["exit_status"], "0");
    assert_eq!(by_id("demo")["duration"], 3.0);
    // Whole to its last event, with no exit event: complete (cast-info's meaning), exit unknown.
    assert_eq!(by_id("ci/job 1/build")["status"], "complete");
    assert_eq!(by_id("cut")["status"], "truncated");
    assert_eq!(by_id("old")["status"], "complete");
    let base = format!("http://{}", s.addr);
    assert_eq!(
        by_id("ci/job 1/build")["urls"]["cast"],
        format!("{base}/recordings/ci/job%201/build/cast").as_str()
    );
    let trunc = s.json("/recordings?status=truncated");
    assert_eq!(trunc.as_array().unwrap().len(), 1);
    assert_eq!(s.get("/recordings?status=bogus").status, 400);

    // One recording: cast-info's fields, with status and URLs.
    let one = s.json("/recordings/demo");
    assert_eq!(one["id"], "demo");
    assert_eq!(one["file"], "demo.cast");
    assert_eq!(one["version"], 2);
    assert_eq!(one["events"], 5);
    assert_eq!(one["markers"][0]["label"], "build");
    assert_eq!(one["complete"], true);
    assert_eq!(one["status"], "complete");
    assert_eq!(
        one["urls"]["player"],
        format!("{base}/recordings/demo/player").as_str()
    );
    assert_eq!(
        s.json("/recordings/ci/job%201/build")["exit_status"],
        Value::Null
    );

    // The file as it is on disk.
    let c = s.get("/recordings/demo/cast");
    assert_eq!(c.status, 200);
    assert_eq!(c.body, std::fs::read(d.path("demo.cast")).unwrap());
    assert_eq!(c.header("content-type"), Some("application/x-asciicast"));
    assert_eq!(c.header("access-control-allow-origin"), Some("*"));
    let v1 = s.get("/recordings/old/cast");
    assert_eq!(v1.body, std::fs::read(d.path("old.json")).unwrap());

    // The player page: cast-to-html's, with the recording and its stderr inside.
    let p = s.get("/recordings/demo/player");
    assert_eq!(p.status, 200);
    assert_eq!(p.header("content-type"), Some("text/html; charset=utf-8"));
    let page = p.text();
    assert!(page.contains("<title>Demo</title>"), "{page}");
    assert!(
        page.contains("AsciinemaPlayer.create({data: castkitRecording}"),
        "{page}"
    );
    assert!(page.contains("a warning on stderr"), "stderr shown: {page}");
    assert!(page.contains("integrity=\"sha384-"), "{page}");
    let at = s.get("/recordings/demo/player?t=1.5").text();
    assert!(at.contains("\"startAt\":1.5"), "{at}");
    assert_eq!(s.get("/recordings/demo/player?t=soon").status, 400);

    // The embed snippet, with absolute URLs.
    let e = s.get("/recordings/demo/embed").text();
    assert!(e.contains(&format!("{base}/recordings/demo/cast")), "{e}");
    assert!(e.contains("AsciinemaPlayer.create"), "{e}");
    let e = request(
        s.addr,
        "GET",
        "/recordings/demo/embed",
        &[("Host", "casts.example:81")],
    );
    assert!(
        e.text()
            .contains("http://casts.example:81/recordings/demo/cast"),
        "{}",
        e.text()
    );

    // The transcript.
    let t = s.get("/recordings/demo/txt");
    assert_eq!(t.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        t.text(),
        "$ make test\ntest result: ok\na warning on stderr\n"
    );
    assert_eq!(s.get("/recordings/old/txt").text(), "old text\nmore\n");

    // The index page.
    let idx = s.get("/").text();
    for want in [
        "Demo",
        "ci/job 1/build",
        "truncated",
        "complete",
        "name=\"q\"",
    ] {
        assert!(idx.contains(want), "index lacks {want}: {idx}");
    }
    assert!(idx.find("ci/job 1/build").unwrap() < idx.find("Demo").unwrap());
    assert!(
        idx.contains("href=\"/recordings/ci/job%201/build/player\""),
        "{idx}"
    );

    // Search: JSON for scripts, a page for people, each match linking to its moment.
    let r = s.req("GET", "/search?q=ERROR", &[("Accept", "application/json")]);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["matches"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v["matches"][0]["id"], "ci/job 1/build");
    assert_eq!(v["matches"][0]["time"], 1.5);
    assert_eq!(v["matches"][0]["line"], "error: it broke");
    assert_eq!(
        v["matches"][0]["player"],
        format!("{base}/recordings/ci/job%201/build/player?t=1.5").as_str()
    );
    let page = s.get("/search?q=test+result").text();
    assert!(
        page.contains("href=\"/recordings/demo/player?t=2.0\""),
        "{page}"
    );
    assert!(page.contains("test result: ok"), "{page}");

    // What is not there.
    for p in [
        "/recordings/nope",
        "/recordings/nope/cast",
        "/nothing",
        "/recordings/package/cast",
    ] {
        assert_eq!(s.get(p).status, 404, "{p}");
    }
    assert_eq!(s.req("POST", "/recordings", &[]).status, 405);
    // The access log names each request.
    assert!(
        s.log().contains("\"GET /recordings/demo/cast\" 200"),
        "{}",
        s.log()
    );
}

#[test]
fn the_raw_file_has_validators_and_ranges() {
    let d = folder();
    let s = Server::start(d.tmp.path(), &[]);
    let file = std::fs::read(d.path("demo.cast")).unwrap();
    let len = file.len();
    let full = s.get("/recordings/demo/cast");
    let etag = full.header("etag").unwrap().to_string();
    let modified = full.header("last-modified").unwrap().to_string();
    assert_eq!(full.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        full.header("content-length"),
        Some(len.to_string().as_str())
    );

    let r = s.req("GET", "/recordings/demo/cast", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let r = s.req(
        "GET",
        "/recordings/demo/cast",
        &[("If-Modified-Since", &modified)],
    );
    assert_eq!(r.status, 304);
    let r = s.req(
        "GET",
        "/recordings/demo/cast",
        &[("If-None-Match", "\"other\"")],
    );
    assert_eq!(r.status, 200);

    let r = s.req("GET", "/recordings/demo/cast", &[("Range", "bytes=0-9")]);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &file[..10]);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes 0-9/{len}").as_str())
    );
    let r = s.req("GET", "/recordings/demo/cast", &[("Range", "bytes=-5")]);
    assert_eq!(r.body, &file[len - 5..]);
    let r = s.req("GET", "/recordings/demo/cast", &[("Range", "bytes=20-")]);
    assert_eq!(r.body, &file[20..]);
    let r = s.req(
        "GET",
        "/recordings/demo/cast",
        &[("Range", &format!("bytes={len}-"))],
    );
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    // A range for another version of the file is not applied.
    let r = s.req(
        "GET",
        "/recordings/demo/cast",
        &[("Range", "bytes=0-9"), ("If-Range", "\"stale\"")],
    );
    assert_eq!((r.status, r.body.len()), (200, len));
    let r = s.req("HEAD", "/recordings/demo/cast", &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    let r = s.req(
        "OPTIONS",
        "/recordings/demo/cast",
        &[("Origin", "http://elsewhere")],
    );
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    // The file changes: so does its tag.
    let mut f = std::fs::File::options()
        .append(true)
        .open(d.path("demo.cast"))
        .unwrap();
    f.write_all(b"[4, \"o\", \"more\"]\n").unwrap();
    drop(f);
    let r = s.req("GET", "/recordings/demo/cast", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), len + 17);
}

#[test]
fn nothing_outside_the_folder_is_served() {
    let top = Dir::new();
    std::fs::create_dir(top.path("casts")).unwrap();
    std::fs::create_dir(top.path("outside")).unwrap();
    let secret = v2_file("secret", "[0.5, \"o\", \"the secret\"]\n");
    top.write("secret.cast", &secret);
    top.write("outside/other.cast", &secret);
    top.write("casts/ok.cast", v2_file("ok", "[0.5, \"o\", \"fine\"]\n"));
    top.write("casts/.hidden.cast", &secret);
    std::os::unix::fs::symlink(top.path("secret.cast"), top.path("casts/link.cast")).unwrap();
    std::os::unix::fs::symlink(top.path("outside"), top.path("casts/dirlink")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", top.path("casts/passwd.cast")).unwrap();
    let s = Server::start(&top.path("casts"), &[]);
    assert_eq!(s.get("/recordings/ok/cast").status, 200);
    let ids: Vec<String> = s
        .json("/recordings")
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["ok"]);
    for path in [
        "/recordings/../secret/cast",
        "/recordings/..%2fsecret/cast",
        "/recordings/%2e%2e/secret/cast",
        "/recordings/%2E%2E/secret/cast",
        "/recordings/%2e%2e%2fsecret/cast",
        "/recordings/%252e%252e/secret/cast",
        "/recordings/%252e%252e%252fsecret/cast",
        "/recordings/..%252fsecret/cast",
        "/recordings/ok/../../secret/cast",
        "/recordings//etc/passwd",
        "/recordings/%2fetc%2fpasswd",
        "/recordings/passwd/cast",
        "/recordings/link/cast",
        "/recordings/link",
        "/recordings/dirlink/other/cast",
        "/recordings/.hidden/cast",
        "/recordings/%2ehidden/cast",
        "/recordings/ok%00/cast",
        "/recordings/..\\secret/cast",
        "/recordings/..%5csecret/cast",
        "/../secret.cast",
        "/recordings/../secret/txt",
        "/recordings/%2e%2e/secret/live",
        "/recordings/link/player",
    ] {
        let r = s.get(path);
        assert!(
            r.status == 404 || r.status == 400,
            "{path}: {} {}",
            r.status,
            r.text()
        );
        assert!(!r.text().contains("the secret"), "{path}");
        assert!(!r.text().contains("root:"), "{path}");
    }
    // A link swapped in after the scan still leads nowhere.
    std::fs::remove_file(top.path("casts/ok.cast")).unwrap();
    std::os::unix::fs::symlink(top.path("secret.cast"), top.path("casts/ok.cast")).unwrap();
    let r = s.get("/recordings/ok/cast");
    assert!(!r.text().contains("the secret"), "{}", r.text());
}

#[test]
fn with_a_token_every_route_needs_it() {
    let d = folder();
    let s = Server::start(d.tmp.path(), &["--token", "s3cret"]);
    for p in [
        "/",
        "/recordings",
        "/recordings/demo",
        "/recordings/demo/cast",
        "/recordings/demo/player",
        "/recordings/demo/embed",
        "/recordings/demo/live",
        "/recordings/demo/txt",
        "/search?q=x",
        "/recordings/nope",
    ] {
        let r = s.get(p);
        assert_eq!(r.status, 401, "{p}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        let r = s.req("GET", p, &[("Authorization", "Bearer wrong")]);
        assert_eq!(r.status, 401, "{p}");
    }
    let r = s.req(
        "GET",
        "/recordings/demo/cast",
        &[("Authorization", "Bearer s3cret")],
    );
    assert_eq!(r.status, 200);
    let r = s.get("/recordings/demo/cast?token=s3cret");
    assert_eq!(r.status, 200);
    assert_eq!(s.get("/recordings/demo/cast?token=s3cre").status, 401);
    assert_eq!(s.get("/recordings/demo/cast?%74oken=s3cret").status, 200);
    // A CORS preflight needs none (it says nothing about any recording).
    assert_eq!(s.req("OPTIONS", "/recordings/demo/cast", &[]).status, 204);
    // A page opened with ?token= carries it in its links; the log never shows it.
    let idx = s.get("/?token=s3cret").text();
    assert!(
        idx.contains("/recordings/demo/player?token=s3cret"),
        "{idx}"
    );
    assert!(!s.log().contains("s3cret"), "{}", s.log());
    // Deleting needs the token too (and --allow-delete).
    assert_eq!(s.req("DELETE", "/recordings/demo", &[]).status, 401);
}

#[test]
fn delete_only_when_allowed() {
    let d = folder();
    {
        let s = Server::start(d.tmp.path(), &[]);
        let r = s.req("DELETE", "/recordings/demo", &[]);
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
        assert!(d.path("demo.cast").exists());
        assert_eq!(s.req("DELETE", "/recordings/demo/cast", &[]).status, 405);
        assert!(d.path("demo.cast").exists());
    }
    let s = Server::start(d.tmp.path(), &["--allow-delete"]);
    assert_eq!(s.req("DELETE", "/recordings/demo", &[]).status, 204);
    assert!(!d.path("demo.cast").exists());
    assert_eq!(s.get("/recordings/demo").status, 404);
    assert_eq!(s.req("DELETE", "/recordings/demo", &[]).status, 404);
    assert_eq!(s.req("DELETE", "/recordings/../secret", &[]).status, 404);
}

#[test]
fn titles_and_results_are_escaped() {
    let d = Dir::new();
    let evil = "<script>document.title='owned'</script>\"'&";
    d.write(
        "x.cast",
        v2_file(
            evil,
            "[0.5, \"o\", \"<img src=x onerror=alert(1)> & found\\r\\n\"]\n[1, \"x\", \"0\"]\n",
        ),
    );
    let s = Server::start(d.tmp.path(), &[]);
    let idx = s.get("/").text();
    assert!(!idx.contains("<script>document"), "{idx}");
    assert!(
        idx.contains("&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;&quot;&#39;&amp;"),
        "{idx}"
    );
    let page = s.get("/recordings/x/player").text();
    assert!(!page.contains("<script>document"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    let found = s.get("/search?q=found").text();
    assert!(
        found.contains("&lt;img src=x onerror=alert(1)&gt; &amp; found"),
        "{found}"
    );
    assert!(!found.contains("<img"), "{found}");
    let q = s.get("/search?q=%3Cscript%3E").text();
    assert!(!q.contains("<script>"), "{q}");
}

fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + HANG;
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn new_and_removed_files_are_noticed() {
    let d = folder();
    let s = Server::start(d.tmp.path(), &["--poll", "30"]);
    let count = || s.json("/recordings").as_array().unwrap().len();
    assert_eq!(count(), 4);
    std::fs::create_dir_all(d.path("new/deep")).unwrap();
    d.write(
        "new/deep/fresh.cast",
        v2_file("fresh", "[0.5, \"o\", \"new\"]\n"),
    );
    eventually("the new file", || {
        s.get("/recordings/new/deep/fresh").status == 200
    });
    assert_eq!(s.json("/recordings/new/deep/fresh")["status"], "recording");
    std::fs::remove_file(d.path("demo.cast")).unwrap();
    eventually("the removed file", || {
        s.get("/recordings/demo").status == 404
    });
    assert_eq!(count(), 4);
}

/// Reads server-sent events from a live stream as they arrive.
struct Sse {
    rx: mpsc::Receiver<(Instant, String)>,
}

impl Sse {
    fn open(addr: SocketAddr, path: &str) -> Sse {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(s);
            let mut line = String::new();
            // Headers, then chunked data: chunk sizes and blank lines are skipped.
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                let l = line.trim_end().to_string();
                line.clear();
                if (l.starts_with("data: ") || l.starts_with("event: "))
                    && tx.send((Instant::now(), l)).is_err()
                {
                    break;
                }
            }
        });
        Sse { rx }
    }

    fn next(&self) -> (Instant, String) {
        self.rx.recv_timeout(HANG).expect("an event")
    }
}

#[test]
fn live_streams_follow_a_growing_recording() {
    let d = Dir::new();
    let p = d.write(
        "live.cast",
        "{\"version\": 3, \"term\": {\"cols\": 90, \"rows\": 20}}\n[0.5, \"o\", \"first\"]\n",
    );
    let s = Server::start(d.tmp.path(), &[]);
    assert_eq!(s.json("/recordings/live")["status"], "recording");
    let page = s.get("/recordings/live/player").text();
    assert!(page.contains("driver: \"eventsource\""), "{page}");
    assert!(page.contains("\"/recordings/live/live\""), "{page}");
    let sse = Sse::open(s.addr, "/recordings/live/live");
    assert_eq!(sse.next().1, "data: {\"cols\":90,\"rows\":20,\"time\":0}");
    assert_eq!(sse.next().1, "data: [0.5, \"o\", \"first\"]");
    let mut f = std::fs::File::options().append(true).open(&p).unwrap();
    let mut lat = Vec::new();
    for (k, t) in ["0.75", "1.0", "1.25", "1.5", "1.75"].iter().enumerate() {
        // Half a line first: nothing is sent until its end is written.
        f.write_all(b"[0.25, \"e\", \"er").unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let t0 = Instant::now();
        f.write_all(format!("r{k}\"]\n").as_bytes()).unwrap();
        let (t1, ev) = sse.next();
        lat.push(t1.saturating_duration_since(t0));
        assert_eq!(ev, format!("data: [{t}, \"o\", \"err{k}\"]"));
    }
    lat.sort();
    assert!(
        lat[2] < Duration::from_millis(500),
        "median latency {:?}",
        lat[2]
    );
    f.write_all(b"[0.1, \"r\", \"24,80\"]\n[0.1, \"x\", \"0\"]\n")
        .unwrap();
    assert_eq!(sse.next().1, "data: [1.85, \"r\", \"80x24\"]");
    assert_eq!(sse.next().1, "event: done");
    eventually("the status", || {
        s.json("/recordings/live")["status"] == "complete"
    });
}

#[test]
fn live_streams_end_when_the_file_stops_growing() {
    let d = Dir::new();
    d.write("idle.cast", v2_file("idle", "[0.5, \"o\", \"a\"]\n"));
    let s = Server::start(d.tmp.path(), &["--live-timeout", "1"]);
    let started = Instant::now();
    let sse = Sse::open(s.addr, "/recordings/idle/live");
    sse.next();
    assert_eq!(sse.next().1, "data: [0.5, \"o\", \"a\"]");
    assert_eq!(sse.next().1, "event: done");
    assert!(started.elapsed() < Duration::from_secs(10));
    // And the recording, unchanged for longer than the timeout, is no longer recording.
    assert_eq!(s.json("/recordings/idle")["status"], "complete");
}

#[test]
fn sigterm_and_sigint_stop_it_with_status_0() {
    let d = folder();
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // A live stream of a growing recording is open: it is told the server is done.
        d.write("g.cast", v2_file("g", "[0.5, \"o\", \"a\"]\n"));
        let mut s = Server::start(d.tmp.path(), &[]);
        let sse = Sse::open(s.addr, "/recordings/g/live");
        sse.next();
        sse.next();
        assert_eq!(s.get("/recordings").status, 200);
        unsafe { libc::kill(s.child.id() as i32, sig) };
        let until = Instant::now() + HANG;
        let st = loop {
            if let Some(st) = s.child.try_wait().unwrap() {
                break st;
            }
            assert!(Instant::now() < until, "cast-serve did not stop");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(st.code(), Some(0), "{}", s.log());
        assert_eq!(sse.next().1, "event: done");
    }
}

#[test]
fn bad_usage_exits_2() {
    let d = Dir::new();
    for args in [
        vec!["missing-dir"],
        vec![".", "--listen", "nowhere"],
        vec![".", "--base-url", "ftp://x"],
        vec![".", "--player-dir", "no-such-player"],
        vec![".", "--bogus"],
    ] {
        let o = d.run("cast-serve", &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("cast-serve") || err.contains("error:"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // The address in use.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let o = d.run("cast-serve", &[".", "--listen", &addr]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("cast-serve: cannot listen on"));
    let help = d.run("cast-serve", &["--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("anyone who can reach"), "{help}");
}

#[test]
fn binding_beyond_loopback_without_a_token_warns() {
    // Bound to the unspecified address, but only ever asked over loopback.
    let d = folder();
    let s = Server::start(d.tmp.path(), &["--listen", "0.0.0.0:0"]);
    assert!(
        s.log().contains("warning: listening on 0.0.0.0:"),
        "{}",
        s.log()
    );
    let port = s.addr.port();
    let r = request(
        format!("127.0.0.1:{port}").parse().unwrap(),
        "GET",
        "/recordings",
        &[],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn base_url_makes_the_absolute_links() {
    let d = folder();
    let s = Server::start(d.tmp.path(), &["--base-url", "https://casts.example/ci/"]);
    let e = s.get("/recordings/demo/embed").text();
    assert!(
        e.contains("\"https://casts.example/ci/recordings/demo/cast\""),
        "{e}"
    );
    let one = s.json("/recordings/demo");
    assert_eq!(
        one["urls"]["live"],
        "https://casts.example/ci/recordings/demo/live"
    );
    // A Host header does not override it.
    let r = s.req("GET", "/recordings/demo/embed", &[("Host", "evil.example")]);
    assert!(!r.text().contains("evil.example"), "{}", r.text());
}

#[test]
fn listens_on_ipv6_loopback_too() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("note: listens_on_ipv6_loopback_too skipped: no IPv6 loopback");
        return;
    }
    let d = folder();
    let s = Server::start(d.tmp.path(), &["--listen", "[::1]:0"]);
    assert!(s.addr.ip().is_loopback() && s.addr.is_ipv6(), "{}", s.addr);
    assert_eq!(s.get("/recordings/demo").status, 200);
    // No warning: loopback needs no token.
    assert!(!s.log().contains("warning"), "{}", s.log());
    let e = s.get("/recordings/demo/embed").text();
    assert!(
        e.contains(&format!("http://{}/recordings/demo/cast", s.addr)),
        "{e}"
    );
}

#[test]
fn curl_agrees() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("note: curl_agrees skipped: no curl");
        return;
    }
    let d = folder();
    let s = Server::start(d.tmp.path(), &[]);
    let base = format!("http://{}", s.addr);
    let curl = |args: &[&str]| {
        let o = Command::new("curl")
            .args(["-s", "--max-time", "20", "--noproxy", "*"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let file = std::fs::read_to_string(d.path("demo.cast")).unwrap();
    assert_eq!(curl(&[&format!("{base}/recordings/demo/cast")]), file);
    assert_eq!(
        curl(&["-r", "5-14", &format!("{base}/recordings/demo/cast")]),
        &file[5..15]
    );
    let code = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-z",
        "Tue, 01 Jan 2999 00:00:00 GMT",
        &format!("{base}/recordings/demo/cast"),
    ]);
    assert_eq!(code, "304");
    let code = curl(&[
        "--path-as-is",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("{base}/recordings/../../etc/passwd"),
    ]);
    assert_eq!(code, "404");
    let out = curl(&["-N", &format!("{base}/recordings/demo/live")]);
    assert!(out.ends_with("event: done\ndata: \n\n"), "{out}");
}

/// The corpus folder beside the checkout, when there is one.
fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.is_dir().then_some(p)
}

/// Fetches a recording's JSON, transcript, page and live stream; returns what went wrong.
fn sweep_one(s: &Server, e: &Value) -> Vec<String> {
    let id = e["id"].as_str().unwrap();
    let path = e["urls"]["self"]
        .as_str()
        .unwrap()
        .split_once(&s.addr.to_string())
        .unwrap()
        .1
        .to_string();
    let mut bad = Vec::new();
    let one = s.get(&path);
    if one.status != 200 || serde_json::from_slice::<Value>(&one.body).is_err() {
        bad.push(format!("{id}: {}", one.status));
    }
    let t = s.get(&format!("{path}/txt"));
    if t.status != 200 {
        bad.push(format!("{id}/txt: {}", t.status));
    }
    let p = s.get(&format!("{path}/player"));
    if p.status != 200 || !p.text().trim_end().ends_with("</html>") {
        bad.push(format!("{id}/player: {} (cut short?)", p.status));
    }
    let l = s.get(&format!("{path}/live"));
    if l.status != 200 || !l.text().ends_with("event: done\ndata: \n\n") {
        bad.push(format!("{id}/live: {}", l.status));
    }
    bad
}

/// The corpus sweep, for a server: every recording in the corpus, and a copy of each cut off
/// part way, is listed, summed up, transcribed, put in a page and streamed live over HTTP
/// (at most 200 of each, so the test stays bounded), and the server never panics.
#[test]
fn the_corpus_is_served() {
    let Some(dir) = corpus() else {
        eprintln!("note: the_corpus_is_served skipped: no ../shared/corpus");
        return;
    };
    let cut = Dir::new();
    let mut names = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap().map_while(Result::ok) {
        let name = f.file_name().to_string_lossy().into_owned();
        if name.ends_with(".cast") || name.ends_with(".json") {
            let b = std::fs::read(f.path()).unwrap();
            // A deterministic cut point, anywhere in the file.
            let at = (b.len() as u64 * 37 % 101 * b.len() as u64 / 101) as usize;
            cut.write(&name, &b[..at.min(b.len())]);
            names.push(name);
        }
    }
    let started = Instant::now();
    for folder in [dir.as_path(), cut.tmp.path()] {
        let s = Server::start(folder, &["-q", "--live-timeout", "0.1"]);
        let list = s.json("/recordings");
        let list = list.as_array().unwrap();
        assert!(!list.is_empty());
        let mut failures = Vec::new();
        for e in list.iter().take(200) {
            failures.extend(sweep_one(&s, e));
            assert!(started.elapsed() < Duration::from_secs(240), "too slow");
        }
        assert!(failures.is_empty(), "{}: {failures:#?}", folder.display());
        assert!(!s.log().contains("panicked"), "{}", s.log());
        // Every recording in the folder is listed, unless cast-info cannot read it either.
        let listed: Vec<&str> = list.iter().map(|e| e["file"].as_str().unwrap()).collect();
        for name in &names {
            if listed.contains(&name.as_str()) {
                continue;
            }
            let o = cmd("cast-info").arg(folder.join(name)).output().unwrap();
            assert!(!o.status.success(), "{name} is readable but not listed");
        }
    }
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|n| {
            std::env::var("PATH")
                .unwrap_or_default()
                .split(':')
                .map(|d| Path::new(d).join(n))
                .collect::<Vec<_>>()
        })
        .find(|p| p.is_file())
}

fn player_dir() -> Option<PathBuf> {
    let target = bin("cast-idle").parent()?.parent()?.to_path_buf();
    let p = target.join("player/node_modules/asciinema-player");
    p.join("dist/bundle/asciinema-player.min.js")
        .exists()
        .then_some(p)
}

/// The DevTools driver, started on a page; yields each `SEEN TEXT` line when it arrives.
fn drive(browser: &Path, url: &str, args: &[&str]) -> (Child, mpsc::Receiver<(Instant, String)>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/player/cdp.mjs");
    // node 20 has WebSocket behind a flag; later versions have it built in.
    let builtin = Command::new("node")
        .args([
            "-e",
            "process.exit(typeof WebSocket === 'function' ? 0 : 1)",
        ])
        .status()
        .is_ok_and(|s| s.success());
    let mut child = Command::new("node")
        .args(if builtin {
            &[][..]
        } else {
            &["--experimental-websocket"][..]
        })
        .arg(script)
        .arg(browser)
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run node");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send((Instant::now(), l));
        }
    });
    (child, rx)
}

fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let node = Command::new("node").arg("--version").output().is_ok();
    match (chromium(), player_dir(), node) {
        (Some(b), Some(p), true) => Some((b, p)),
        _ => {
            eprintln!(
                "note: browser test skipped: needs chromium, node and asciinema-player in \
                 target/player (bash .ci/extra-html.sh installs them)"
            );
            None
        }
    }
}

#[test]
fn a_real_browser_plays_served_pages_offline() {
    let Some((browser, player)) = browser_tools() else {
        return;
    };
    let d = folder();
    let s = Server::start(d.tmp.path(), &["--player-dir", player.to_str().unwrap()]);
    let page = s.get("/recordings/demo/player").text();
    assert!(!page.contains("cdn.jsdelivr.net"), "offline page");
    let url = format!("http://{}/recordings/demo/player", s.addr);
    let (mut child, rx) = drive(
        &browser,
        &url,
        &["--click", "test result: ok", "a warning on stderr"],
    );
    let mut seen = Vec::new();
    while let Ok((_, l)) = rx.recv_timeout(HANG) {
        seen.push(l);
    }
    let _ = child.wait();
    assert_eq!(
        seen,
        ["SEEN test result: ok", "SEEN a warning on stderr"],
        "{seen:?}"
    );
    // The player files are served for snippets.
    let js = s.get("/assets/asciinema-player.min.js");
    assert_eq!(js.status, 200);
    assert!(js.body.len() > 10_000);
}

#[test]
fn a_real_browser_follows_a_live_recording() {
    let Some((browser, player)) = browser_tools() else {
        return;
    };
    let d = Dir::new();
    let s = Server::start(d.tmp.path(), &["--player-dir", player.to_str().unwrap()]);
    let mut rec = cmd("cast-rec")
        .current_dir(d.tmp.path())
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm")
        .args([
            "-c",
            "echo EARLY-TEXT; while [ ! -e go ]; do sleep 0.02; done; echo LATE-TEXT; sleep 60",
            "live.cast",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let file = d.path("live.cast");
    eventually("the recording", || {
        std::fs::read_to_string(&file).is_ok_and(|t| t.contains("EARLY-TEXT"))
            && s.get("/recordings/live").status == 200
    });
    let url = format!("http://{}/recordings/live/player", s.addr);
    let (mut child, rx) = drive(&browser, &url, &["EARLY-TEXT", "LATE-TEXT"]);
    let (_, first) = rx.recv_timeout(HANG).expect("the page");
    assert_eq!(first, "SEEN EARLY-TEXT");
    // The page is open and showing the recording: now the session writes more.
    std::fs::write(d.path("go"), "").unwrap();
    let mut written = None;
    let until = Instant::now() + HANG;
    while written.is_none() && Instant::now() < until {
        if std::fs::read_to_string(&file).is_ok_and(|t| t.contains("LATE-TEXT")) {
            written = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let written = written.expect("cast-rec wrote the late text");
    let (seen_at, line) = rx.recv_timeout(HANG).expect("the late text");
    let _ = rec.kill();
    let _ = rec.wait();
    let _ = child.wait();
    assert_eq!(line, "SEEN LATE-TEXT");
    let lag = seen_at.saturating_duration_since(written);
    assert!(
        lag < Duration::from_secs(2),
        "shown {lag:?} after it was written"
    );
}

#[test]
fn slow_clients_are_cut_off() {
    let d = Dir::new();
    // Far more than the socket buffers on both sides hold.
    let mut body = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
    let line = format!("[1, \"o\", \"{}\"]\n", "x".repeat(4000));
    while body.len() < 40 << 20 {
        body.push_str(&line);
    }
    d.write("big.cast", &body);
    let s = Server::start(d.tmp.path(), &["--client-timeout", "1"]);
    // Request headers that never end: the connection is closed.
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    c.set_read_timeout(Some(HANG)).unwrap();
    let t = Instant::now();
    let _ = c.read_to_end(&mut Vec::new());
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // A client that stops reading its answer is cut off: it never gets the whole file.
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(b"GET /recordings/big/cast HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_secs(4));
    c.set_read_timeout(Some(HANG)).unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    assert!(got.len() < body.len(), "{} of {}", got.len(), body.len());
    // Meanwhile everyone else is answered.
    assert_eq!(s.get("/recordings").status, 200);
}

#[test]
fn connections_over_the_cap_wait_their_turn() {
    let d = folder();
    let s = Server::start(
        d.tmp.path(),
        &["--max-connections", "2", "--client-timeout", "2"],
    );
    // Two connections that send nothing hold both places until their time is up.
    let idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(s.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let r = s.get("/recordings");
    assert_eq!(r.status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        t.elapsed()
    );
    drop(idle);
    let t = Instant::now();
    assert_eq!(s.get("/recordings").status, 200);
    assert!(t.elapsed() < Duration::from_secs(1));
}
