use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::*;

#[test]
fn without_a_terminal_the_output_is_written_with_its_timing() {
    let d = Dir::new();
    let input = v3(&[
        (0.2, "o", "one\r\n"),
        (0.3, "e", "err\r\n"),
        (0.4, "i", "typed"),
        (0.5, "m", "mid"),
        (1.5, "o", "two\r\n"),
        (1.6, "r", "90x30"),
        (9.0, "o", "three\r\n"),
    ]);
    d.write("a.cast", &input);
    let t0 = Instant::now();
    let out = ok(&d.run("cast-play", &["-i", "0.5", "a.cast"]));
    let took = t0.elapsed();
    assert_eq!(out, "one\r\nerr\r\ntwo\r\nthree\r\n");
    // 0.2 + 0.1 + 0.1 + 0.1 + 0.5 (capped) + 0.1 + 0.5 (capped) = 1.6 s.
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    let out = ok(&d.run(
        "cast-play",
        &["-s", "100", "--from", "marker:mid", "--to", "9", "a.cast"],
    ));
    // The screen as it was at the marker comes first, then what follows, up to --to.
    assert!(out.starts_with("\x18\x1bc"), "{out:?}");
    assert!(out.contains("one"), "{out:?}");
    assert!(out.ends_with("two\r\n"), "{out:?}");
    let err = fails(&d.run("cast-play", &["--from", "5", "--to", "2", "a.cast"]));
    assert!(
        err.contains("--to (2.0) must be after --from (5.0)"),
        "{err}"
    );
    let err = fails(&d.run("cast-play", &["--from", "marker:x", "a.cast"]));
    assert!(
        err.contains("a.cast: no marker 'x'; markers: 'mid'"),
        "{err}"
    );
    let err = fails(&d.run("cast-play", &["missing.cast"]));
    assert!(err.contains("missing.cast: no such file"), "{err}");
}

#[test]
fn loops_and_reads_stdin() {
    let d = Dir::new();
    let input = v2(&[(0.01, "o", "x")]);
    let out = ok(&d.run_stdin("cast-play", &[], &input));
    assert_eq!(out, "x");
    // A closed pipe ends a loop quietly.
    let mut child = cmd("cast-play")
        .args(["--loop", "-s", "1000"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::{Read, Write};
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        let mut buf = [0u8; 5];
        child.stdout.as_mut().unwrap().read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"xxxxx");
    }
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

/// Checks that the terminal's settings after the player (`after.txt`, written by the script
/// once the player exits) are those from before it (`before.txt`).
#[track_caller]
fn check_restored(d: &Dir) {
    eventually("the script to write after.txt", || {
        std::fs::read_to_string(d.path("after.txt")).is_ok_and(|s| s.ends_with('\n'))
    });
    assert_eq!(
        d.read("before.txt"),
        d.read("after.txt"),
        "stty settings changed"
    );
}

#[test]
fn in_a_terminal_keys_work_and_the_terminal_is_restored() {
    let d = Dir::new();
    d.write(
        "a.cast",
        v2(&[
            (0.1, "o", "first line\r\n"),
            (
                0.2,
                "o",
                "\x1b[?1049h\x1b[Hon the alternate screen\x1b[?25l",
            ),
            (3.5, "o", "\r\nafter a pause"),
            (60.0, "m", "chapter"),
            (60.1, "o", "\r\nat the marker"),
            (120.0, "o", "\r\nnever reached"),
        ]),
    );
    let play = bin("cast-play");
    let script = format!(
        "stty -g > before.txt; {} -i 1000 a.cast; echo \"EXIT:$?\"; stty -g > after.txt; sleep 60",
        play.display()
    );
    let Some(t) = Tmux::start(d.tmp.path(), &script) else {
        eprintln!("note: tmux not available: the terminal test was skipped");
        return;
    };
    t.wait_for("on the alternate screen");
    // Pause: the next event (due 3.3 s later) does not come while paused. What is checked is
    // that nothing happens for that long, so this one wait is a time, not a condition.
    t.keys(" ");
    t.wait_for("paused");
    std::thread::sleep(Duration::from_millis(4000));
    let s = t.screen();
    assert!(!s.contains("after a pause"), "played while paused:\n{s}");
    // Step while paused shows the next event at once.
    t.keys(".");
    t.wait_for("after a pause");
    // Resume and jump to the next marker (a minute away).
    t.keys(" ");
    t.keys("]");
    t.wait_for("at the marker");
    t.keys("q");
    let s = t.wait_for("EXIT:0");
    // Back on the primary screen, where the first line is.
    assert!(s.contains("first line"), "{s}");
    assert!(!s.contains("never reached"), "{s}");
    check_restored(&d);
}

#[test]
fn a_signal_restores_the_terminal_and_a_wide_recording_warns() {
    let d = Dir::new();
    let mut input = String::from("{\"version\": 2, \"width\": 200, \"height\": 24}\n");
    input.push_str("[0.1, \"o\", \"wide\\r\\n\"]\n[100, \"o\", \"late\"]\n");
    d.write("w.cast", &input);
    let script = format!(
        "stty -g > before.txt; {} w.cast 2> err.txt & echo $! > pid.txt; wait; echo \"EXIT:$?\"; stty -g > after.txt; sleep 60",
        bin("cast-play").display()
    );
    let Some(t) = Tmux::start(d.tmp.path(), &script) else {
        eprintln!("note: tmux not available: the terminal test was skipped");
        return;
    };
    t.wait_for("wide");
    let pid = d.read("pid.txt").trim().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    t.wait_for("EXIT:");
    check_restored(&d);
    let err = d.read("err.txt");
    assert!(
        err.contains("cast-play: warning: the recording is 200x24 but the terminal is 100x30"),
        "{err}"
    );
}

/// A recording whose every event clears the screen and names itself, so the pane shows which
/// moment playback is at.
fn screens(events: &[(f64, &str, &str)]) -> String {
    let ev: Vec<(f64, &str, String)> = events
        .iter()
        .map(|&(t, c, x)| {
            let data = if c == "o" {
                format!("\x1b[2J\x1b[Hscreen: {x}\r\n")
            } else {
                x.to_string()
            };
            (t, c, data)
        })
        .collect();
    let ev: Vec<(f64, &str, &str)> = ev.iter().map(|(t, c, x)| (*t, *c, x.as_str())).collect();
    v3(&ev)
}

fn start_player(d: &Dir, file: &str, args: &str) -> Option<Tmux> {
    let script = format!(
        "stty -g > before.txt; {} {args} {file}; echo \"EXIT:$?\"; stty -g > after.txt; sleep 60",
        bin("cast-play").display()
    );
    let t = Tmux::start(d.tmp.path(), &script);
    if t.is_none() {
        eprintln!("note: tmux not available: the terminal test was skipped");
    }
    t
}

fn quit_and_check_restored(d: &Dir, t: &Tmux) {
    t.keys("q");
    t.wait_for("EXIT:0");
    check_restored(d);
}

#[test]
fn arrows_seek_through_the_emulator_and_the_status_line_leaves_no_trace() {
    let d = Dir::new();
    d.write(
        "s.cast",
        screens(&[
            (0.0, "o", "zero"),
            (1.0, "o", "one"),
            (4.0, "o", "four"),
            (11.0, "o", "eleven"),
            (14.0, "o", "fourteen"),
            (40.0, "o", "forty"),
            (100.0, "o", "the end"),
        ]),
    );
    let Some(t) = start_player(&d, "s.cast", "") else {
        return;
    };
    t.wait_for("screen: one");
    // Paused somewhere in [1 s, 4 s): the screen of "one".
    t.keys(" ");
    t.wait_for("paused");
    // Two 5-second steps forward: the screen of 10 s later, in [11 s, 14 s).
    t.key("Right");
    t.key("Right");
    let s = t.wait_for("screen: eleven");
    assert!(!s.contains("screen: one"), "{s}");
    // One back: [6 s, 9 s), the screen of "four", repainted from the start.
    t.key("Left");
    let s = t.wait_for("screen: four");
    assert!(!s.contains("eleven"), "{s}");
    // Shift: 30 seconds, to [36 s, 39 s), still "fourteen"; then on to "forty".
    t.key("S-Right");
    t.wait_for("screen: fourteen");
    t.key("S-Right");
    t.wait_for("screen: forty");
    // The status line goes away by itself and is nowhere in the scrollback.
    t.wait_gone("paused");
    let h = t.history();
    assert!(!h.contains("paused") && !h.contains("playing"), "{h}");
    // Speed shows in the status line, which goes again.
    t.keys("++");
    t.wait_for("4x");
    t.wait_gone("4x");
    // 0-9: tenths of the whole recording (100 s): 5 is 50 s, "forty"; 0 the start.
    t.keys("0");
    t.wait_for("screen: zero");
    t.keys("5");
    t.wait_for("screen: forty");
    // Frames: , shows the one before, . the next.
    t.keys(",");
    t.wait_for("screen: fourteen");
    t.keys(",");
    t.wait_for("screen: eleven");
    t.keys(".");
    t.wait_for("screen: fourteen");
    // ? shows the keys over the screen; any key takes them away again.
    t.keys("?");
    t.wait_for("previous / next marker");
    t.keys("x");
    let s = t.wait_gone("previous / next marker");
    assert!(s.contains("screen: fourteen"), "{s}");
    assert!(!t.history().contains("next marker"));
    quit_and_check_restored(&d, &t);
}

#[test]
fn brackets_jump_between_markers() {
    let d = Dir::new();
    d.write(
        "m.cast",
        screens(&[
            (0.1, "o", "start"),
            (20.0, "m", "alpha"),
            (20.0, "o", "at alpha"),
            (25.0, "o", "after alpha"),
            (40.0, "m", "beta"),
            (40.0, "o", "at beta"),
            (60.0, "o", "the end"),
        ]),
    );
    let Some(t) = start_player(&d, "m.cast", "") else {
        return;
    };
    t.wait_for("screen: start");
    t.keys(" ");
    t.keys("]");
    t.wait_for("screen: at alpha");
    t.keys("]");
    t.wait_for("screen: at beta");
    // Paused at beta: [ goes to the marker before it.
    t.keys("[");
    t.wait_for("screen: at alpha");
    // Playing: ] on to beta.
    t.keys(" ");
    t.keys("]");
    t.wait_for("screen: at beta");
    // [ before the first marker goes to the start, before the first event.
    t.keys(" [[[");
    let s = t.wait_for("paused 0:00.0");
    assert!(!s.contains("screen:"), "{s}");
    t.keys(".");
    t.wait_for("screen: start");
    quit_and_check_restored(&d, &t);
}

#[test]
fn the_status_line_goes_while_output_flows_and_never_scrolls_away() {
    let d = Dir::new();
    // A line every 0.2 s for a minute: the screen scrolls all the time.
    let lines: Vec<String> = (0..300).map(|k| format!("tick {k}\r\n")).collect();
    let ev: Vec<(f64, &str, &str)> = lines
        .iter()
        .enumerate()
        .map(|(k, l)| (0.2 * k as f64, "o", l.as_str()))
        .collect();
    d.write("t.cast", v3(&ev));
    let Some(t) = start_player(&d, "t.cast", "") else {
        return;
    };
    t.wait_for("tick 3");
    t.keys("+");
    t.wait_for("playing");
    t.wait_for("2x");
    t.wait_gone("playing");
    let s = t.wait_for("tick 40");
    assert!(!s.contains("2x"), "{s}");
    let h = t.history();
    assert!(h.contains("tick 1\n"), "no scrollback to look at:\n{h}");
    assert!(
        !h.contains("playing"),
        "the status line reached the scrollback:\n{h}"
    );
    quit_and_check_restored(&d, &t);
}
