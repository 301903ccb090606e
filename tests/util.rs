//! Helpers shared by the integration tests: run a tool in a clean environment, in its own
//! temporary directory, and read recordings back for comparison.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Path of a built binary, e.g. `bin("cast-idle")`, as Cargo gives it to integration tests.
/// A new tool needs its line here (the `docs` test checks that every binary is registered).
pub fn bin(name: &str) -> PathBuf {
    PathBuf::from(match name {
        "cast-cat" => env!("CARGO_BIN_EXE_cast-cat"),
        "cast-cut" => env!("CARGO_BIN_EXE_cast-cut"),
        "cast-grep" => env!("CARGO_BIN_EXE_cast-grep"),
        "cast-idle" => env!("CARGO_BIN_EXE_cast-idle"),
        "cast-import" => env!("CARGO_BIN_EXE_cast-import"),
        "cast-info" => env!("CARGO_BIN_EXE_cast-info"),
        "cast-merge-stderr" => env!("CARGO_BIN_EXE_cast-merge-stderr"),
        "cast-play" => env!("CARGO_BIN_EXE_cast-play"),
        "cast-rec" => env!("CARGO_BIN_EXE_cast-rec"),
        "cast-redact" => env!("CARGO_BIN_EXE_cast-redact"),
        "cast-serve" => env!("CARGO_BIN_EXE_cast-serve"),
        "cast-speed" => env!("CARGO_BIN_EXE_cast-speed"),
        "cast-to-gif" => env!("CARGO_BIN_EXE_cast-to-gif"),
        "cast-to-html" => env!("CARGO_BIN_EXE_cast-to-html"),
        "cast-to-svg" => env!("CARGO_BIN_EXE_cast-to-svg"),
        "cast-to-txt" => env!("CARGO_BIN_EXE_cast-to-txt"),
        _ => panic!("no binary {name}"),
    })
}

/// Long enough never to fire on a slow machine; only there so a hang fails instead of
/// stalling the suite.
pub const HANG: Duration = Duration::from_secs(30);

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

/// Runs `c` with `input` on standard input and collects its output; a run that does not end
/// within [`HANG`] is killed and fails the test.
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
    let collect = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = collect(Box::new(child.stdout.take().expect("stdout")));
    let err = collect(Box::new(child.stderr.take().expect("stderr")));
    let status = wait_exit(&mut child);
    feeder.join().expect("feeder");
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// Waits for `child` to exit, killing it (and failing) if it takes longer than [`HANG`].
pub fn wait_exit(child: &mut Child) -> ExitStatus {
    let until = Instant::now() + HANG;
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            return st;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("the program did not exit within {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls `cond` until it holds, failing after [`HANG`].
#[track_caller]
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + HANG;
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
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

/// Runs `tests/pyte/SCRIPT` with python3, its arguments added by `args`. Fails, never skips,
/// without python3: `.ci/run` installs it.
pub fn python(script: &str, args: impl FnOnce(&mut Command) -> &mut Command) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/pyte")
        .join(script);
    args(Command::new("python3").arg(&script))
        .output()
        .expect("python3 is needed for the pyte checks (.ci/run installs it)")
}

/// Runs the pyte harness (`tests/pyte/screens.py`, an emulator independent of castkit's) over
/// a recording and returns its standard output. Fails, never skips, without python3 and
/// pyte: `.ci/run` installs them.
pub fn pyte(file: &Path, args: &[&str]) -> String {
    let o = python("screens.py", |c| c.arg(file).args(args));
    assert!(
        o.status.success(),
        "pyte harness failed (pip install pyte): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}

/// True when `prog` is on the PATH.
pub fn have(prog: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {prog}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A tmux server of our own, on its own socket, with one 100x30 window running a shell
/// script; killed when dropped. The terminal tests drive a tool through it as a person would.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `script` in `dir`; `None` when tmux is not installed.
    pub fn start(dir: &Path, script: &str) -> Option<Tmux> {
        if !have("tmux") {
            return None;
        }
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = Tmux {
            socket: format!("castkit-test-{}-{n}", std::process::id()),
        };
        let ok = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "100",
                "-y",
                "30",
            ])
            .arg(format!("cd {} && {script}", dir.display()))
            .env_remove("TMUX")
            .env("TERM", "xterm-256color")
            .status()
            .ok()?
            .success();
        ok.then_some(t)
    }

    /// Runs a tmux command on this server; returns its standard output.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane as it shows now.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p"])
    }

    /// The screen and the scrollback above it.
    pub fn history(&self) -> String {
        self.run(&["capture-pane", "-p", "-S", "-1000"])
    }

    /// Types `keys` literally.
    pub fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-l", keys]);
    }

    /// Sends a key by tmux's name for it (`Right`, `S-Left`, `Enter`).
    pub fn key(&self, name: &str) {
        self.run(&["send-keys", name]);
    }

    /// Waits (at most 20 s) for `text` on the screen; returns the screen.
    #[track_caller]
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("'{text}' never showed"), |s| s.contains(text))
    }

    /// Waits (at most 20 s) until `text` is no longer on the screen; returns the screen.
    #[track_caller]
    pub fn wait_gone(&self, text: &str) -> String {
        self.wait_until(&format!("'{text}' never went away"), |s| !s.contains(text))
    }

    #[track_caller]
    fn wait_until(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if cond(&s) {
                return s;
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "{what}:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}
