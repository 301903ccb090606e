//! Helpers shared by the integration tests: run a tool in a clean environment, in its own
//! temporary directory, and read recordings back for comparison.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Path of a built binary, e.g. `bin("cast-idle")`.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/tests-xxxx -> target/debug/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    dir.join(name)
}

/// A command for a castkit tool with a stripped environment.
pub fn cmd(name: &str) -> Command {
    let mut c = Command::new(bin(name));
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "COLUMNS",
        "LINES",
        "TERM",
        "LANG",
        "LC_ALL",
    ] {
        c.env_remove(var);
    }
    c
}

/// A temporary directory that tests write fixtures into.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes `contents` to `name` and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write fixture");
        p
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read output")
    }

    /// Runs `name args...` in this directory.
    pub fn run(&self, name: &str, args: &[&str]) -> Output {
        cmd(name)
            .args(args)
            .current_dir(self.tmp.path())
            .output()
            .expect("run")
    }

    /// Runs `name args...` in this directory with `input` on standard input.
    pub fn run_stdin(&self, name: &str, args: &[&str], input: impl AsRef<[u8]>) -> Output {
        run_with_stdin(
            cmd(name).args(args).current_dir(self.tmp.path()),
            input.as_ref(),
        )
    }
}

pub fn run_with_stdin(c: &mut Command, input: &[u8]) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait");
    feeder.join().expect("feeder");
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns standard output.
#[track_caller]
pub fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status.code(),
        stderr(o)
    );
    stdout(o)
}

/// Asserts exit status 2 and returns standard error.
#[track_caller]
pub fn fails(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    stderr(o)
}

/// A parsed event: (absolute time in microseconds, code, data).
pub type Ev = (i64, String, String);

/// Parses a v2 or v3 recording (as castkit writes it) with serde_json, independently of the
/// library: the header, and events with absolute times in microseconds.
pub fn parse_cast(text: &str) -> (serde_json::Value, Vec<Ev>) {
    let mut lines = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    let header: serde_json::Value =
        serde_json::from_str(lines.next().expect("header")).expect("header json");
    let v3 = header["version"] == 3;
    let mut t = 0i64;
    let events = lines
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let time = v[0].as_f64().expect("time");
            let us = (time * 1e6).round() as i64;
            t = if v3 { t + us } else { us };
            (
                t,
                v[1].as_str().expect("code").to_string(),
                v[2].as_str().expect("data").to_string(),
            )
        })
        .collect();
    (header, events)
}

/// A small v2 recording: `(seconds, code, data)` events.
pub fn v2(events: &[(f64, &str, &str)]) -> String {
    let mut s = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
    for (t, c, d) in events {
        s.push_str(&serde_json::to_string(&serde_json::json!([t, c, d])).unwrap());
        s.push('\n');
    }
    s
}

/// The same events as a v3 recording (intervals).
pub fn v3(events: &[(f64, &str, &str)]) -> String {
    let mut s = String::from("{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n");
    let mut prev = 0.0;
    for (t, c, d) in events {
        let dt = ((t - prev) * 1e6).round() / 1e6;
        prev = *t;
        s.push_str(&serde_json::to_string(&serde_json::json!([dt, c, d])).unwrap());
        s.push('\n');
    }
    s
}

/// Runs `c`, reads the first 100 bytes of its output, then closes the pipe and waits: what
/// `tool | head -c 100` does. Returns those bytes and how the tool ended.
pub fn read_then_close(c: &mut Command) -> (Vec<u8>, Output) {
    use std::io::Read;
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = vec![0u8; 100];
    child
        .stdout
        .as_mut()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("100 bytes of output");
    drop(child.stdout.take());
    (first, child.wait_with_output().expect("wait"))
}

/// Writes `input` to `c` and reads `n` lines of its output while its standard input is still
/// open (a live pipeline), then closes it and checks that the tool succeeded. A line that
/// does not come within 20 s (a hang, not a speed test) fails the test.
pub fn live_lines(c: &mut Command, input: &[u8], n: usize) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    use std::time::Duration;
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write input");
    stdin.flush().expect("flush input");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        for _ in 0..n {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let lines: Vec<String> = (0..n)
        .map(|k| {
            rx.recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("line {} did not come while input was open", k + 1))
        })
        .collect();
    drop(stdin);
    assert!(child.wait().expect("wait").success());
    lines
}

/// Runs the pyte harness (`tests/pyte/screens.py`, an emulator independent of castkit's) over
/// a recording and returns its standard output. Fails, never skips, without python3 and
/// pyte: `.ci/run` installs them.
pub fn pyte(file: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pyte/screens.py");
    let o = Command::new("python3")
        .arg(&script)
        .arg(file)
        .args(args)
        .output()
        .expect("python3 is needed for the pyte checks (.ci/run installs it)");
    assert!(
        o.status.success(),
        "pyte harness failed (pip install pyte): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}
