//! cast-rec, driven as a person would: inside a pty of the test's own (typing, reading the
//! echo, resizing the window, exiting), and headless with pipes as CI runs it. Timeouts only
//! detect hangs; nothing here measures speed.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use nix::pty::{Winsize, openpty};
use nix::sys::signal::{Signal, kill};
use nix::sys::termios::{LocalFlags, tcgetattr};
use nix::unistd::Pid;

use crate::util::*;

fn rec_cmd(d: &Dir) -> Command {
    let mut c = cmd("cast-rec");
    c.current_dir(d.tmp.path())
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm")
        .env("HOME", d.tmp.path())
        .env("PS1", "$ ")
        .env_remove("ENV");
    c
}

fn read_cast(p: &Path) -> (serde_json::Value, Vec<Ev>) {
    parse_cast(&std::fs::read_to_string(p).expect("recording"))
}

fn output_text(evs: &[Ev], code: &str) -> String {
    evs.iter()
        .filter(|e| e.1 == code)
        .map(|e| e.2.as_str())
        .collect()
}

/// A terminal window: a pty whose slave side is cast-rec's controlling terminal.
struct Window {
    master: File,
    /// Kept open so the terminal's settings can be read after cast-rec exits.
    slave: OwnedFd,
    screen: Arc<Mutex<Vec<u8>>>,
    child: Child,
}

impl Window {
    /// Starts `c` in a new window of `cols` x `rows`, with stdin, stdout and stderr on the
    /// terminal unless `c` already set them.
    fn open(mut c: Command, cols: u16, rows: u16, stdout_pipe: bool) -> Window {
        let ws = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(&ws, None).expect("openpty");
        let slave = pty.slave;
        c.stdin(Stdio::from(slave.try_clone().unwrap()));
        if stdout_pipe {
            c.stdout(Stdio::piped());
        } else {
            c.stdout(Stdio::from(slave.try_clone().unwrap()));
        }
        c.stderr(Stdio::from(slave.try_clone().unwrap()));
        // SAFETY: setsid and ioctl are async-signal-safe.
        unsafe {
            c.pre_exec(|| {
                libc::setsid();
                #[allow(clippy::useless_conversion)]
                libc::ioctl(0, libc::TIOCSCTTY.into(), 0);
                Ok(())
            });
        }
        let child = c.spawn().expect("spawn cast-rec");
        let master = File::from(pty.master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut r = master.try_clone().unwrap();
        let s = screen.clone();
        std::thread::spawn(move || {
            let mut b = [0u8; 4096];
            while let Ok(n) = r.read(&mut b) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().extend_from_slice(&b[..n]);
            }
        });
        Window {
            master,
            slave,
            screen,
            child,
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    fn wait_for(&self, text: &str) {
        eventually(&format!("{text:?} on screen"), || {
            self.screen().contains(text)
        });
    }

    fn wait_for_count(&self, text: &str, n: usize) {
        eventually(&format!("{n} x {text:?} on screen"), || {
            self.screen().matches(text).count() >= n
        });
    }

    fn type_keys(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("type");
    }

    fn resize(&self, cols: u16, rows: u16) {
        let ws = Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one winsize from a valid pointer.
        let r = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws) };
        assert_eq!(r, 0, "resize");
    }

    /// True when the terminal is back in cooked mode (line editing and echo on).
    fn cooked(&self) -> bool {
        let t = tcgetattr(self.slave.as_fd()).expect("tcgetattr");
        t.local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO)
    }
}

#[test]
fn interactive_session_types_resizes_and_exits() {
    let d = Dir::new();
    let mut c = rec_cmd(&d);
    c.arg("s.cast");
    let mut w = Window::open(c, 90, 25, false);
    w.wait_for("$ ");
    assert!(
        !w.cooked(),
        "the user's terminal is in raw mode while recording"
    );
    // The quotes make the typed echo differ from the output.
    w.type_keys("echo hel''lo\r");
    w.wait_for("hello\r\n");
    w.resize(100, 30);
    // Once the resize is recorded the program's pty has the new size too.
    let p = d.path("s.cast");
    eventually("the r event", || {
        std::fs::read_to_string(&p).is_ok_and(|s| s.contains("\"100x30\""))
    });
    w.type_keys("stty size\r");
    w.wait_for("30 100");
    w.type_keys("exit\r");
    let st = wait_exit(&mut w.child);
    assert_eq!(st.code(), Some(0));
    assert!(w.cooked(), "terminal restored");

    let (h, evs) = read_cast(&d.path("s.cast"));
    assert_eq!(h["version"], 2);
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(90), Some(25))
    );
    assert_eq!(h["env"]["SHELL"], "/bin/sh");
    assert_eq!(h["env"]["TERM"], "xterm");
    assert!(h["timestamp"].as_u64().unwrap() > 1_600_000_000);
    let out = output_text(&evs, "o");
    assert!(out.contains("echo hel''lo\r\nhello\r\n"), "{out}");
    assert!(out.contains("30 100"), "{out}");
    assert!(evs.iter().any(|e| e.1 == "r" && e.2 == "100x30"), "{evs:?}");
    assert_eq!(evs.last().unwrap().1, "x");
    assert_eq!(evs.last().unwrap().2, "0");
    assert!(
        evs.windows(2).all(|p| p[0].0 <= p[1].0),
        "times never go back"
    );
    // Nothing typed is recorded without -I.
    assert!(!evs.iter().any(|e| e.1 == "i"));
}

#[test]
fn ctrl_c_goes_to_the_program_and_its_status_comes_back() {
    let d = Dir::new();
    let mut c = rec_cmd(&d);
    c.args(["-c", "echo ready; exec sleep 60", "c.cast"]);
    let mut w = Window::open(c, 80, 24, false);
    w.wait_for("ready");
    w.type_keys("\x03");
    let st = wait_exit(&mut w.child);
    assert_eq!(st.code(), Some(130), "SIGINT is 128+2");
    assert!(w.cooked());
    let (_, evs) = read_cast(&d.path("c.cast"));
    assert_eq!(
        evs.last().unwrap(),
        &(evs.last().unwrap().0, "x".into(), "130".into())
    );
}

#[test]
fn input_capture_and_the_marker_chord() {
    let d = Dir::new();
    let mut c = rec_cmd(&d);
    c.args(["-I", "--marker-label", "here", "k.cast"]);
    let mut w = Window::open(c, 80, 24, false);
    w.wait_for("$ ");
    w.type_keys("echo a\x1dmb\r");
    w.wait_for("ab\r\n");
    w.type_keys("\x1d\x1dexit\r");
    // Ctrl-] Ctrl-] sent one Ctrl-] ahead of "exit": the shell sees an unknown command.
    w.wait_for_count("$ ", 3);
    w.type_keys("exit 0\r");
    assert_eq!(wait_exit(&mut w.child).code(), Some(0));
    let (_, evs) = read_cast(&d.path("k.cast"));
    let typed = output_text(&evs, "i");
    assert_eq!(typed, "echo ab\r\x1dexit\rexit 0\r");
    let markers: Vec<_> = evs.iter().filter(|e| e.1 == "m").collect();
    assert_eq!(markers.len(), 1, "{evs:?}");
    assert_eq!(markers[0].2, "here");
}

#[test]
fn sigterm_hangs_up_the_program_restores_the_terminal_and_finishes_the_file() {
    let d = Dir::new();
    let mut c = rec_cmd(&d);
    c.arg("t.cast");
    let mut w = Window::open(c, 80, 24, false);
    w.wait_for("$ ");
    kill(Pid::from_raw(w.child.id() as i32), Signal::SIGTERM).unwrap();
    let st = wait_exit(&mut w.child);
    assert_eq!(st.code(), Some(129), "the shell was hung up (128+SIGHUP)");
    assert!(w.cooked(), "terminal restored after a signal");
    let (_, evs) = read_cast(&d.path("t.cast"));
    assert_eq!(evs.last().unwrap().1, "x");
    assert_eq!(evs.last().unwrap().2, "129");
}

#[test]
fn streams_to_stdout_while_the_session_uses_the_terminal() {
    let d = Dir::new();
    let mut c = rec_cmd(&d);
    c.args(["-c", "echo x$((6*7)); read line; echo got-$line"]);
    let mut w = Window::open(c, 80, 24, true);
    let mut out = w.child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(String::new()));
    let l2 = lines.clone();
    let reader = std::thread::spawn(move || {
        let mut b = [0u8; 4096];
        while let Ok(n) = out.read(&mut b) {
            if n == 0 {
                break;
            }
            l2.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&b[..n]));
        }
    });
    // The session is shown on the terminal, and each event reaches the pipe as it happens,
    // while the program still runs.
    w.wait_for("x42");
    eventually("the x42 event on stdout", || {
        lines.lock().unwrap().contains("x42")
    });
    w.type_keys("yes\r");
    w.wait_for("got-yes");
    assert_eq!(wait_exit(&mut w.child).code(), Some(0));
    reader.join().unwrap();
    let text = lines.lock().unwrap().clone();
    let (h, evs) = parse_cast(&text);
    assert_eq!(h["width"], 80);
    let o = output_text(&evs, "o");
    assert!(o.contains("x42\r\n") && o.contains("got-yes"), "{o}");
}

#[test]
fn exit_status_is_the_programs() {
    let d = Dir::new();
    let o = run_with_stdin(rec_cmd(&d).args(["-q", "-c", "exit 7", "a.cast"]), b"");
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let (_, evs) = read_cast(&d.path("a.cast"));
    assert_eq!(evs.last().unwrap().1, "x");
    assert_eq!(evs.last().unwrap().2, "7");

    let o = run_with_stdin(rec_cmd(&d).args(["-c", "kill -USR2 $$", "b.cast"]), b"");
    assert_eq!(o.status.code(), Some(128 + libc::SIGUSR2));
    let (_, evs) = read_cast(&d.path("b.cast"));
    assert_eq!(evs.last().unwrap().2, (128 + libc::SIGUSR2).to_string());
}

#[test]
fn headless_forwards_piped_stdin_and_uses_the_default_size() {
    let d = Dir::new();
    let o = run_with_stdin(
        rec_cmd(&d).args(["-c", "sh", "p.cast"]),
        b"echo piped-$((40+2))\nexit 4\n",
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    // Output is copied to stdout (CI logs) when the recording goes to a file.
    assert!(stdout(&o).contains("piped-42"));
    let (h, evs) = read_cast(&d.path("p.cast"));
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(80), Some(24))
    );
    assert_eq!(h["command"], "sh");
    let out = output_text(&evs, "o");
    assert!(out.contains("piped-42\r\n"), "{out}");

    // The end of input ends the shell, as Ctrl-D would.
    let o = run_with_stdin(
        rec_cmd(&d).args([
            "--headless",
            "--cols",
            "120",
            "--rows",
            "40",
            "-c",
            "sh",
            "-",
        ]),
        b"stty size\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (h, evs) = parse_cast(&stdout(&o));
    assert_eq!(h["width"], 120);
    assert!(output_text(&evs, "o").contains("40 120"));
}

#[test]
fn stderr_gets_its_own_terminal_and_e_events() {
    let d = Dir::new();
    let script = "test -t 1 && echo out-tty; test -t 2 && echo err-tty >&2; echo plain";
    let o = run_with_stdin(rec_cmd(&d).args(["--stderr", "-c", script, "e.cast"]), b"");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("err-tty"), "stderr shown on stderr");
    let (_, evs) = read_cast(&d.path("e.cast"));
    assert_eq!(output_text(&evs, "e"), "err-tty\r\n");
    assert_eq!(output_text(&evs, "o"), "out-tty\r\nplain\r\n");

    // Without --stderr the streams are merged as usual.
    let o = run_with_stdin(rec_cmd(&d).args(["-c", script, "m.cast"]), b"");
    assert!(o.status.success());
    let (_, evs) = read_cast(&d.path("m.cast"));
    assert!(!evs.iter().any(|e| e.1 == "e"));
    assert_eq!(output_text(&evs, "o"), "out-tty\r\nerr-tty\r\nplain\r\n");
}

#[test]
fn a_character_written_one_byte_at_a_time_is_recorded_whole() {
    let d = Dir::new();
    let script = r"printf '\342'; sleep 0.3; printf '\202'; sleep 0.3; printf '\254|\377|\n'";
    let o = run_with_stdin(rec_cmd(&d).args(["-c", script, "u.cast"]), b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, evs) = read_cast(&d.path("u.cast"));
    let outs: Vec<&str> = evs
        .iter()
        .filter(|e| e.1 == "o")
        .map(|e| e.2.as_str())
        .collect();
    // The reads were separate, but no event holds part of the euro sign.
    assert_eq!(outs.concat(), "€|\u{fffd}|\r\n");
    assert!(
        outs.iter()
            .all(|s| !s.contains('\u{fffd}') || s.contains('|'))
    );
}

#[test]
fn kill_9_leaves_a_valid_recording() {
    let d = Dir::new();
    let mut child = rec_cmd(&d)
        .args(["-c", "echo started; exec sleep 60", "k.cast"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let p = d.path("k.cast");
    // The header names the command too: wait for the event itself.
    eventually("the first event", || {
        std::fs::read_to_string(&p).is_ok_and(|s| s.contains("started\\r\\n"))
    });
    child.kill().unwrap();
    let st = wait_exit(&mut child);
    assert_eq!(st.signal(), Some(libc::SIGKILL));
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.ends_with('\n'), "only whole lines");
    let (_, evs) = parse_cast(&text);
    assert!(output_text(&evs, "o").contains("started"));
    // The library reads it back without complaint.
    let o = d.run("cast-idle", &["-l", "1000", "k.cast"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn sigusr1_inserts_markers_and_sighup_finishes() {
    let d = Dir::new();
    let mut child = rec_cmd(&d)
        .args([
            "--marker-label",
            "chapter",
            "-c",
            "echo ready; exec sleep 60",
            "m.cast",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let p = d.path("m.cast");
    let pid = Pid::from_raw(child.id() as i32);
    eventually("ready", || {
        std::fs::read_to_string(&p).is_ok_and(|s| s.contains("ready\\r\\n"))
    });
    kill(pid, Signal::SIGUSR1).unwrap();
    eventually("a marker", || {
        std::fs::read_to_string(&p).is_ok_and(|s| s.contains("\"m\""))
    });
    kill(pid, Signal::SIGUSR1).unwrap();
    eventually("two markers", || {
        std::fs::read_to_string(&p).is_ok_and(|s| s.matches("\"m\"").count() == 2)
    });
    kill(pid, Signal::SIGHUP).unwrap();
    assert_eq!(wait_exit(&mut child).code(), Some(129));
    let (_, evs) = read_cast(&p);
    let markers: Vec<_> = evs
        .iter()
        .filter(|e| e.1 == "m")
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(markers, ["chapter", "chapter"]);
    assert_eq!(evs.last().unwrap().2, "129");
}

#[test]
fn mark_termios_notes_mode_changes() {
    let d = Dir::new();
    let script = "stty -icanon -echo; echo raw; sleep 0.2; stty icanon echo; echo cooked";
    let o = run_with_stdin(
        rec_cmd(&d).args(["--mark-termios", "-c", script, "t.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, evs) = read_cast(&d.path("t.cast"));
    let seq: Vec<String> = evs
        .iter()
        .filter(|e| e.1 != "x")
        .map(|e| format!("{} {}", e.1, e.2.trim_end()))
        .collect();
    assert_eq!(
        seq,
        [
            "m termios: -icanon -echo",
            "o raw",
            "m termios: icanon echo",
            "o cooked"
        ]
    );
}

#[test]
fn append_continues_times_and_records_a_size_change() {
    let d = Dir::new();
    let o = run_with_stdin(
        rec_cmd(&d).args(["-c", "echo one", "--format", "v3", "a.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let first = d.read("a.cast");
    let (_, before) = parse_cast(&first);
    let end = before.iter().map(|e| e.0).max().unwrap();

    let o = run_with_stdin(
        rec_cmd(&d).args(["--append", "--cols", "100", "-c", "echo two", "a.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = d.read("a.cast");
    // The old recording is kept as it was, but for its ending (see the next test).
    let kept = &first[..first.trim_end().rfind('\n').unwrap() + 1];
    assert!(text.starts_with(kept), "the old recording is kept");
    assert_eq!(text.matches("\"version\"").count(), 1, "one header");
    let (h, evs) = parse_cast(&text);
    assert_eq!(h["version"], 3);
    let added = &evs[before.len()..];
    assert_eq!(added[0].1, "r");
    assert_eq!(added[0].2, "100x24");
    assert!(added.iter().all(|e| e.0 >= end), "{added:?}");
    assert_eq!(output_text(added, "o"), "two\r\n");
    let o = d.run("cast-idle", &["-l", "1000", "a.cast"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn never_overwrites_without_overwrite() {
    let d = Dir::new();
    d.write("x.cast", "precious");
    let o = run_with_stdin(rec_cmd(&d).args(["-c", "echo new", "x.cast"]), b"");
    let err = fails(&o);
    assert!(err.starts_with("cast-rec: x.cast: file exists"), "{err}");
    assert_eq!(d.read("x.cast"), "precious");

    let o = run_with_stdin(
        rec_cmd(&d).args(["--overwrite", "-c", "echo new", "x.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(d.read("x.cast").contains("new\\r\\n"));
}

#[test]
fn header_fields_from_options() {
    let d = Dir::new();
    let o = run_with_stdin(
        rec_cmd(&d).env("CASTKIT_TEST_VAR", "yes").args([
            "-t",
            "My demo",
            "--idle-time-limit",
            "1.5",
            "--env",
            "TERM,CASTKIT_TEST_VAR,UNSET_VAR",
            "-c",
            "true",
            "--format",
            "v3",
        ]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (h, evs) = parse_cast(&stdout(&o));
    assert_eq!(h["version"], 3);
    assert_eq!(h["term"]["cols"], 80);
    assert_eq!(h["term"]["type"], "xterm");
    assert_eq!(h["title"], "My demo");
    assert_eq!(h["idle_time_limit"], 1.5);
    assert_eq!(h["command"], "true");
    assert_eq!(
        h["env"],
        serde_json::json!({"TERM": "xterm", "CASTKIT_TEST_VAR": "yes"})
    );
    assert_eq!(evs, [(evs[0].0, "x".into(), "0".into())]);
}

#[test]
fn a_program_that_cannot_run_is_an_error_and_leaves_no_file() {
    let d = Dir::new();
    let o = run_with_stdin(
        rec_cmd(&d).env("SHELL", "/nonexistent/shell").arg("n.cast"),
        b"",
    );
    let err = fails(&o);
    assert!(err.contains("cannot run '/nonexistent/shell'"), "{err}");
    assert!(!d.path("n.cast").exists());
}

#[test]
fn every_event_is_one_line_as_it_happens() {
    let d = Dir::new();
    // The program waits for a line of input before it ends: the first event must reach the
    // pipe before then.
    let mut child = rec_cmd(&d)
        .args(["-c", "echo first; read x; echo second"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = child.stdout.take().unwrap();
    // The reads below block: a hung recorder is killed so that they end.
    let pid = Pid::from_raw(child.id() as i32);
    std::thread::spawn(move || {
        std::thread::sleep(HANG);
        let _ = kill(pid, Signal::SIGKILL);
    });
    let mut seen = Vec::new();
    let mut b = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("first\\r\\n\"]\n") {
        let n = out.read(&mut b).unwrap();
        assert!(n > 0, "recording ended early");
        seen.extend_from_slice(&b[..n]);
    }
    stdin.write_all(b"go\n").unwrap();
    drop(stdin);
    out.read_to_end(&mut seen).unwrap();
    assert_eq!(wait_exit(&mut child).code(), Some(0));
    let text = String::from_utf8(seen).unwrap();
    assert!(output_text(&parse_cast(&text).1, "o").contains("second"));
}

/// The lines of the `o` and `e` events in recorded order, each tagged with its stream.
fn stream_lines(evs: &[Ev]) -> Vec<String> {
    let mut held = [String::new(), String::new()];
    let mut lines = Vec::new();
    for (_, code, data) in evs {
        let (i, tag) = match code.as_str() {
            "o" => (0, "o"),
            "e" => (1, "e"),
            _ => continue,
        };
        held[i].push_str(data);
        while let Some(at) = held[i].find("\r\n") {
            lines.push(format!("{tag} {}", &held[i][..at]));
            held[i].drain(..at + 2);
        }
    }
    lines
}

/// `o out1, e err1, o out2, ...`: what a program alternating its writes produced.
fn alternating(n: usize) -> Vec<String> {
    (1..=n)
        .flat_map(|i| [format!("o out{i}"), format!("e err{i}")])
        .collect()
}

/// Asserts that `got` is `want`, reporting how many lines are out of place.
#[track_caller]
fn assert_in_order(got: &[String], want: &[String]) {
    let bad = (0..want.len())
        .filter(|&i| got.get(i) != Some(&want[i]))
        .count();
    assert!(
        bad == 0 && got.len() == want.len(),
        "{bad} of {} lines out of place ({} recorded); first lines: {:?}",
        want.len(),
        got.len(),
        &got[..got.len().min(8)]
    );
}

#[test]
fn stderr_keeps_the_write_order_of_a_shell_loop() {
    let d = Dir::new();
    let script = "for i in $(seq 300); do echo out$i; echo err$i >&2; done";
    // bash writes each echo itself; dash runs `>&2` by moving fd 2 onto fd 1 for the echo.
    for shell in ["bash", "sh"] {
        let o = run_with_stdin(
            rec_cmd(&d)
                .args(["--stderr", "--overwrite", "-c"])
                .args([format!("{shell} -c '{script}'"), "l.cast".into()]),
            b"",
        );
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
        let (_, evs) = read_cast(&d.path("l.cast"));
        assert_in_order(&stream_lines(&evs), &alternating(300));
    }
}

#[test]
fn stderr_keeps_the_write_order_of_direct_writes() {
    let d = Dir::new();
    // Straight write(2) calls, no pause, no buffering.
    d.write(
        "w.py",
        "import os\nfor i in range(1, 2001):\n    os.write(1, b'out%d\\n' % i)\n    os.write(2, b'err%d\\n' % i)\n",
    );
    let o = run_with_stdin(
        rec_cmd(&d).args(["--stderr", "-c", "python3 w.py", "w.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, evs) = read_cast(&d.path("w.cast"));
    assert_in_order(&stream_lines(&evs), &alternating(2000));
}

#[test]
fn stderr_order_holds_writes_through_copied_descriptors() {
    let d = Dir::new();
    // fd 3 and fd 4 are copies of the two terminals: a filter judging by fd number misses them.
    let script = "exec 3>&1 4>&2; for i in $(seq 200); do echo out$i >&3; echo err$i >&4; done";
    let o = run_with_stdin(rec_cmd(&d).args(["--stderr", "-c", script, "c.cast"]), b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, evs) = read_cast(&d.path("c.cast"));
    assert_in_order(&stream_lines(&evs), &alternating(200));
}

#[test]
fn stderr_order_sets_no_new_privs_unless_turned_off() {
    let d = Dir::new();
    let script = "grep NoNewPrivs /proc/self/status";
    let nnp = |args: &[&str]| {
        let o = run_with_stdin(rec_cmd(&d).args(args).args(["-c", script, "-"]), b"");
        assert!(o.status.success(), "{}", stderr(&o));
        let (_, evs) = parse_cast(&stdout(&o));
        output_text(&evs, "o")
    };
    assert!(nnp(&["--stderr"]).contains("NoNewPrivs:\t1"));
    assert!(nnp(&["--stderr", "--stderr-order", "std"]).contains("NoNewPrivs:\t1"));
    assert!(nnp(&["--stderr", "--stderr-order", "off"]).contains("NoNewPrivs:\t0"));
    // Without --stderr there is one terminal and nothing to order.
    assert!(nnp(&[]).contains("NoNewPrivs:\t0"));
}

#[test]
fn a_program_that_cannot_run_under_stderr_is_an_error() {
    let d = Dir::new();
    let o = run_with_stdin(
        rec_cmd(&d)
            .env("SHELL", "/nonexistent/shell")
            .args(["--stderr", "n.cast"]),
        b"",
    );
    let err = fails(&o);
    assert!(err.contains("cannot run '/nonexistent/shell'"), "{err}");
    assert!(!d.path("n.cast").exists());
}

#[test]
fn append_turns_the_old_ending_into_a_marker() {
    let d = Dir::new();
    let o = run_with_stdin(rec_cmd(&d).args(["-c", "echo one; exit 3", "a.cast"]), b"");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let first = d.read("a.cast");
    let (_, before) = parse_cast(&first);
    let old_exit = before.last().unwrap().clone();
    assert_eq!(old_exit.1, "x");
    let o = run_with_stdin(
        rec_cmd(&d).args(["--append", "-c", "echo two", "a.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = d.read("a.cast");
    let kept = &first[..first.trim_end().rfind('\n').unwrap() + 1];
    assert!(text.starts_with(kept), "all but the old ending is kept");
    let (_, evs) = parse_cast(&text);
    let exits: Vec<_> = evs.iter().filter(|e| e.1 == "x").collect();
    assert_eq!(exits.len(), 1, "one ending: {evs:?}");
    assert_eq!(evs.last().unwrap().1, "x");
    assert_eq!(evs.last().unwrap().2, "0");
    let seam = &evs[before.len() - 1];
    assert_eq!(seam, &(old_exit.0, "m".into(), "exit 3".into()));
    assert_eq!(output_text(&evs, "o"), "one\r\ntwo\r\n");
    // The library reads it back without complaint; cast-info counts one exit.
    let o = d.run("cast-idle", &["-l", "1000", "a.cast"]);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn append_to_a_cut_off_recording_warns_and_keeps_what_it_can() {
    let d = Dir::new();
    let cut = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"whole\\r\\n\"]\n[1.0, \"o\", \"half of a li";
    d.write("t.cast", cut);
    let o = run_with_stdin(
        rec_cmd(&d).args(["--append", "-c", "echo more", "t.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cast-rec: warning: t.cast: line 3: the last event was cut off"),
        "{err}"
    );
    let (_, evs) = read_cast(&d.path("t.cast"));
    assert_eq!(output_text(&evs, "o"), "whole\r\nhalf of a limore\r\n");
    assert_eq!(evs[1], (1_000_000, "o".into(), "half of a li".into()));
    assert!(evs.iter().skip(2).all(|e| e.0 >= 1_000_000));
    // -q keeps the warning to itself.
    d.write("q.cast", cut);
    let o = run_with_stdin(
        rec_cmd(&d).args(["-q", "--append", "-c", "true", "q.cast"]),
        b"",
    );
    assert!(o.status.success() && o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn sizes_past_the_emulated_cap_are_refused() {
    let d = Dir::new();
    for args in [
        ["--cols", "4097", "--rows", "24"],
        ["--cols", "2000", "--rows", "1000"],
    ] {
        let o = run_with_stdin(rec_cmd(&d).args(args).args(["-c", "true", "s.cast"]), b"");
        let err = fails(&o);
        assert!(err.contains("4096") || err.contains("cells"), "{err}");
        assert!(!d.path("s.cast").exists());
    }
    let o = run_with_stdin(
        rec_cmd(&d).args(["--cols", "1000", "--rows", "1000", "-c", "true", "s.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn stderr_warns_and_still_records_where_the_filter_is_refused() {
    let d = Dir::new();
    // A cast-rec --stderr inside another: the kernel allows one listener per process tree.
    let inner = format!(
        "{} --stderr -c 'echo out; echo err >&2' inner.cast </dev/null",
        env!("CARGO_BIN_EXE_cast-rec")
    );
    let o = run_with_stdin(
        rec_cmd(&d).args(["--stderr", "-c", &inner, "outer.cast"]),
        b"",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, evs) = read_cast(&d.path("outer.cast"));
    let warned = output_text(&evs, "e");
    assert!(
        warned.contains("cast-rec: warning: stdout and stderr are recorded as they are read"),
        "{warned}"
    );
    let (_, evs) = read_cast(&d.path("inner.cast"));
    assert_eq!(output_text(&evs, "o"), "out\r\n");
    assert_eq!(output_text(&evs, "e"), "err\r\n");
}

#[test]
fn a_program_outliving_a_stderr_recording_can_still_write() {
    let d = Dir::new();
    // A background job that ignores the hangup and writes a file after the recording ended:
    // its writes were held too, and must not start failing once cast-rec is gone.
    let late = d.path("late.txt");
    let script = format!(
        "trap '' HUP; (sleep 0.5; echo late > {0}; echo more >> {0}) >/dev/null 2>&1 </dev/null &",
        late.display()
    );
    let o = run_with_stdin(rec_cmd(&d).args(["--stderr", "-c", &script, "b.cast"]), b"");
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, evs) = read_cast(&d.path("b.cast"));
    assert_eq!(evs.last().unwrap().1, "x");
    eventually("the late writes", || {
        std::fs::read_to_string(&late).is_ok_and(|s| s == "late\nmore\n")
    });
}
