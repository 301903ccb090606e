use crate::util::*;

/// v2, 80x24, resized to 100x30 on the way, ends with an exit.
const A: &str = "{\"version\": 2, \"width\": 80, \"height\": 24, \"duration\": 2.5, \"title\": \"first\", \"x-extra\": [1]}\n\
[0.5, \"o\", \"a1 \\u001b[1mbold\\\\\"]\n\
[1.0, \"r\", \"100x30\"]\n\
[2.0, \"o\", \"a2 é\\r\\n\"]\n\
[2.5, \"x\", \"0\"]\n";

/// v1, 100x30 (the size A ends with), two frames.
const B: &str = "{\n  \"version\": 1,\n  \"width\": 100,\n  \"height\": 30,\n  \"duration\": 0.75,\n  \"stdout\": [\n    [0.25, \"b1\"],\n    [0.5, \"b2 \\ud83d\\ude00\"]\n  ]\n}\n";

/// v3, 120x40, with a comment, a marker and its own exit.
const C: &str = "{\"version\": 3, \"term\": {\"cols\": 120, \"rows\": 40}}\n\
# recorded by hand\n\
[0.5, \"o\", \"c1\"]\n\
[0.5, \"m\", \"end\"]\n\
[1.0, \"x\", \"1\"]\n";

fn ev(t: i64, c: &str, d: &str) -> Ev {
    (t, c.into(), d.into())
}

fn fixtures(d: &Dir) {
    d.write("a.cast", A);
    d.write("b.json", B);
    d.write("c.cast", C);
}

#[test]
fn splices_three_sizes_and_versions() {
    let d = Dir::new();
    fixtures(&d);
    let out = ok(&d.run("cast-cat", &["a.cast", "b.json", "c.cast"]));
    let (h, evs) = parse_cast(&out);
    // The first header, without the duration that is now wrong; unknown keys kept.
    assert_eq!(
        out.lines().next().unwrap(),
        r#"{"version":2,"width":80,"height":24,"title":"first","x-extra":[1]}"#
    );
    assert_eq!(h["version"], 2);
    assert_eq!(
        evs,
        [
            ev(500_000, "o", "a1 \u{1b}[1mbold\\"),
            ev(1_000_000, "r", "100x30"),
            ev(2_000_000, "o", "a2 é\r\n"),
            // A's exit (at 2.5) is dropped; B starts there, at A's size: no resize.
            ev(2_750_000, "o", "b1"),
            ev(3_250_000, "o", "b2 😀"),
            // C is bigger: a resize at the seam.
            ev(3_250_000, "r", "120x40"),
            ev(3_750_000, "o", "c1"),
            ev(4_250_000, "m", "end"),
            ev(5_250_000, "x", "1"),
        ]
    );
    // Data tokens pass through as they were written.
    assert!(out.contains(r#"[0.5, "o", "a1 \u001b[1mbold\\"]"#), "{out}");
    // The result reads back.
    ok(&d.run_stdin("cast-idle", &["-l", "1000"], &out));
}

#[test]
fn gap_title_and_format() {
    let d = Dir::new();
    fixtures(&d);
    let out = ok(&d.run(
        "cast-cat",
        &[
            "--gap",
            "1",
            "--title",
            "All \"three\"",
            "--format",
            "v3",
            "a.cast",
            "b.json",
            "c.cast",
        ],
    ));
    let (h, evs) = parse_cast(&out);
    assert_eq!(h["version"], 3);
    assert_eq!(h["term"]["cols"], 80);
    assert_eq!(h["title"], "All \"three\"");
    assert!(h.get("duration").is_none());
    let times: Vec<(i64, &str)> = evs.iter().map(|e| (e.0, e.1.as_str())).collect();
    assert_eq!(
        times,
        [
            (500_000, "o"),
            (1_000_000, "r"),
            (2_000_000, "o"),
            (3_750_000, "o"),
            (4_250_000, "o"),
            (5_250_000, "r"),
            (5_750_000, "o"),
            (6_250_000, "m"),
            (7_250_000, "x"),
        ]
    );
    let err = fails(&d.run("cast-cat", &["--gap=-1", "a.cast"]));
    assert!(err.contains("invalid time"), "{err}");
}

#[test]
fn resize_at_seam_compares_with_the_size_in_force() {
    let d = Dir::new();
    fixtures(&d);
    // A ends at 100x30 although its header says 80x24: going back to 80x24 needs a resize.
    d.write("a2.cast", A);
    let out = ok(&d.run("cast-cat", &["a.cast", "a2.cast"]));
    let evs = parse_cast(&out).1;
    assert_eq!(evs[3], ev(2_500_000, "r", "80x24"));
    assert_eq!(evs.iter().filter(|e| e.1 == "x").count(), 1);
    assert_eq!(evs.last().unwrap(), &ev(5_000_000, "x", "0"));
    // The same size throughout: no resize events at all.
    let plain = v2(&[(1.0, "o", "p")]);
    d.write("p.cast", &plain);
    let out = ok(&d.run("cast-cat", &["p.cast", "p.cast", "p.cast"]));
    assert_eq!(
        parse_cast(&out).1,
        [
            ev(1_000_000, "o", "p"),
            ev(2_000_000, "o", "p"),
            ev(3_000_000, "o", "p")
        ]
    );
}

#[test]
fn a_recording_without_events_adds_only_the_gap() {
    let d = Dir::new();
    d.write("a.cast", v2(&[(1.0, "o", "a")]));
    d.write(
        "empty.cast",
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n",
    );
    d.write("b.cast", v2(&[(0.5, "o", "b")]));
    let out = ok(&d.run(
        "cast-cat",
        &["--gap", "0:02", "a.cast", "empty.cast", "b.cast"],
    ));
    assert_eq!(
        parse_cast(&out).1,
        [ev(1_000_000, "o", "a"), ev(5_500_000, "o", "b")]
    );
}

#[test]
fn stdin_among_the_inputs() {
    let d = Dir::new();
    fixtures(&d);
    let o = d.run_stdin("cast-cat", &["a.cast", "-", "c.cast"], B);
    let from_stdin = ok(&o);
    let from_files = ok(&d.run("cast-cat", &["a.cast", "b.json", "c.cast"]));
    assert_eq!(from_stdin, from_files);
    // No FILE: standard input alone, converted.
    let out = ok(&d.run_stdin("cast-cat", &["--format", "v3"], A));
    assert_eq!(parse_cast(&out).1, parse_cast(A).1);
}

#[test]
fn converts_between_versions_exactly() {
    let d = Dir::new();
    fixtures(&d);
    // v1 in: v2 out by default, v3 on request.
    let out = ok(&d.run("cast-cat", &["b.json"]));
    assert!(out.starts_with("{\"version\":2,"));
    assert_eq!(
        parse_cast(&out).1,
        [ev(250_000, "o", "b1"), ev(750_000, "o", "b2 😀")]
    );
    let v3 = ok(&d.run("cast-cat", &["--format", "v3", "b.json"]));
    assert!(v3.starts_with("{\"version\":3,\"term\":{\"cols\":100,\"rows\":30}"));
    assert_eq!(parse_cast(&v3).1, parse_cast(&out).1);
    // v2 -> v3 -> v2 gives the same lines back (the header keeps its fields).
    d.write("round.cast", A);
    ok(&d.run(
        "cast-cat",
        &["--format", "v3", "-o", "r3.cast", "round.cast"],
    ));
    ok(&d.run("cast-cat", &["--format", "v2", "-o", "r2.cast", "r3.cast"]));
    let back = d.read("r2.cast");
    assert_eq!(
        back.lines().skip(1).collect::<Vec<_>>(),
        A.lines().skip(1).collect::<Vec<_>>()
    );
    // A single input keeps its header byte for byte, duration included.
    assert_eq!(ok(&d.run("cast-cat", &["a.cast"])), A);
}

#[test]
fn a_bad_input_is_reported_and_the_rest_joined() {
    let d = Dir::new();
    fixtures(&d);
    d.write(
        "bad.cast",
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[9, \"o\", \"ok\"]\n[oops\n",
    );
    d.write("junk.cast", "hello\n");
    let o = d.run(
        "cast-cat",
        &["a.cast", "missing.cast", "bad.cast", "junk.cast", "c.cast"],
    );
    let err = fails(&o);
    assert!(
        err.contains("cast-cat: missing.cast: no such file or directory"),
        "{err}"
    );
    assert!(
        err.contains("cast-cat: bad.cast: line 3: malformed event"),
        "{err}"
    );
    assert!(
        err.contains("cast-cat: junk.cast: not an asciicast recording"),
        "{err}"
    );
    let evs = parse_cast(&stdout(&o)).1;
    // bad.cast's good event is kept (after a resize back to its size); c follows it.
    assert_eq!(evs[3], ev(2_500_000, "r", "80x24"));
    assert_eq!(evs[4], ev(11_500_000, "o", "ok"));
    assert_eq!(evs.last().unwrap(), &ev(13_500_000, "x", "1"));

    // With -o nothing is written.
    d.write("out.cast", "old");
    let err = fails(&d.run("cast-cat", &["-o", "out.cast", "a.cast", "missing.cast"]));
    assert!(
        err.contains("out.cast: not written because of the errors above"),
        "{err}"
    );
    assert_eq!(d.read("out.cast"), "old");
    let names = std::fs::read_dir(d.tmp.path()).unwrap().count();
    assert_eq!(names, 6);

    // The first readable input gives the header.
    let out = fails(&d.run("cast-cat", &["junk.cast", "c.cast"]));
    assert!(out.contains("junk.cast"), "{out}");
    let o = d.run("cast-cat", &["junk.cast", "c.cast"]);
    assert!(stdout(&o).starts_with("{\"version\": 3,"));
}

#[test]
fn truncated_input_warns_strict_fails_quiet_is_quiet() {
    let d = Dir::new();
    fixtures(&d);
    d.write(
        "cut.cast",
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\", \"whole\"]\n[2, \"o\", \"cu",
    );
    let o = d.run("cast-cat", &["cut.cast", "c.cast"]);
    let out = ok(&o);
    assert!(
        stderr(&o).starts_with("cast-cat: warning: cut.cast: line 3: "),
        "{}",
        stderr(&o)
    );
    let evs = parse_cast(&out).1;
    assert_eq!(evs[1], ev(2_000_000, "o", "cu"));
    assert_eq!(evs[2], ev(2_000_000, "r", "120x40"));
    let o = d.run("cast-cat", &["-q", "cut.cast", "c.cast"]);
    ok(&o);
    assert_eq!(stderr(&o), "");
    let err = fails(&d.run("cast-cat", &["--strict", "cut.cast", "c.cast"]));
    assert!(
        err.contains("cut.cast: line 3: truncated recording"),
        "{err}"
    );
}

#[test]
fn output_file_is_atomic_and_may_be_an_input() {
    let d = Dir::new();
    fixtures(&d);
    let want = ok(&d.run("cast-cat", &["a.cast", "c.cast"]));
    ok(&d.run("cast-cat", &["-o", "a.cast", "a.cast", "c.cast"]));
    assert_eq!(d.read("a.cast"), want);
    // Appending to one of the inputs through the shell is refused.
    let f = std::fs::OpenOptions::new()
        .append(true)
        .open(d.path("c.cast"))
        .unwrap();
    let o = cmd("cast-cat")
        .args(["a.cast", "c.cast"])
        .current_dir(d.tmp.path())
        .stdout(f)
        .output()
        .unwrap();
    let err = fails(&o);
    assert!(err.contains("c.cast: input file is output file"), "{err}");
}

#[test]
fn closed_pipe_and_live_pipe() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let d = Dir::new();
    let mut big = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
    for k in 0..100_000 {
        big.push_str(&format!("[{k}.5, \"o\", \"line {k}\\r\\n\"]\n"));
    }
    d.write("big.cast", &big);
    let (_, out) = read_then_close(
        cmd("cast-cat")
            .args(["big.cast", "big.cast"])
            .current_dir(d.tmp.path()),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");

    // A live recording on standard input after a file keeps flowing.
    d.write("a.cast", v2(&[(1.0, "o", "file")]));
    let mut child = cmd("cast-cat")
        .args(["a.cast", "-"])
        .current_dir(d.tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"live\"]\n")
        .unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        for _ in 0..3 {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            tx.send(line).unwrap();
        }
    });
    let lines: Vec<String> = (0..3)
        .map(|_| rx.recv_timeout(std::time::Duration::from_secs(20)).unwrap())
        .collect();
    assert_eq!(lines[2], "[1.5, \"o\", \"live\"]\n");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn help_says_exits_are_dropped() {
    let d = Dir::new();
    let help = ok(&d.run("cast-cat", &["--help"]));
    assert!(
        help.contains("`x` (exit) events of all inputs but the last are dropped"),
        "{help}"
    );
}

/// The shared corpus of real recordings, when it is there (`../shared/corpus`, or
/// `CASTKIT_CORPUS`).
fn corpus() -> Option<Vec<std::path::PathBuf>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("CASTKIT_CORPUS")
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([
            root.join("../shared/corpus"),
            root.join("../../shared/corpus"),
        ])
        .find(|p| p.is_dir())?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cast" || x == "json"))
        .collect();
    files.sort();
    Some(files)
}

/// Every real recording through cast-cat (as is and converted both ways), cast-merge-stderr
/// and cast-info: no panic, exit 0 or 2, and what is written describes the same recording.
#[test]
fn corpus_sweep() {
    let Some(files) = corpus() else { return };
    let d = Dir::new();
    let info = |args: &[&str]| -> Vec<serde_json::Value> {
        let o = d.run("cast-info", args);
        assert!(matches!(o.status.code(), Some(0 | 2)), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let all: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let mut argv = vec!["--json"];
    argv.extend(&all);
    let infos = info(&argv);
    assert_eq!(infos.len(), files.len());
    for (file, before) in all.iter().zip(&infos) {
        for args in [&[][..], &["--format", "v3"][..], &["--format", "v2"][..]] {
            let mut argv = args.to_vec();
            argv.extend(["-o", "out.cast", file]);
            let o = d.run("cast-cat", &argv);
            let err = stderr(&o);
            assert!(!err.contains("panicked"), "{file}: {err}");
            match o.status.code() {
                Some(0) => {
                    assert!(before.get("error").is_none(), "{file}: cast-info failed");
                    let after = &info(&["--json", "out.cast"])[0];
                    for key in [
                        "events",
                        "codes",
                        "duration",
                        "output_bytes",
                        "markers",
                        "exit_status",
                    ] {
                        assert_eq!(after[key], before[key], "{file} {args:?}: {key}");
                    }
                    ok(&d.run("cast-idle", &["-l", "1000", "out.cast"]));
                }
                Some(2) => assert!(before.get("error").is_some(), "{file}: {err}"),
                other => panic!("{file}: exit {other:?}: {err}"),
            }
        }
        let o = d.run("cast-merge-stderr", &["--color", file]);
        assert!(
            matches!(o.status.code(), Some(0 | 2)),
            "{file}: {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{file}");
    }
    // Every readable recording joined into one: all the output is there.
    let good: Vec<(&str, &serde_json::Value)> = all
        .iter()
        .zip(&infos)
        .filter(|(_, i)| i.get("error").is_none())
        .map(|(f, i)| (*f, i))
        .collect();
    let mut argv = vec!["-q", "-o", "all.cast"];
    argv.extend(good.iter().map(|(f, _)| *f));
    ok(&d.run("cast-cat", &argv));
    let joined = &info(&["--json", "all.cast"])[0];
    let sum = |key: &str| -> u64 { good.iter().map(|(_, i)| i[key].as_u64().unwrap()).sum() };
    assert_eq!(
        joined["output_bytes"].as_u64().unwrap(),
        sum("output_bytes")
    );
    let o_events: u64 = good
        .iter()
        .map(|(_, i)| i["codes"]["o"].as_u64().unwrap())
        .sum();
    assert_eq!(joined["codes"]["o"].as_u64().unwrap(), o_events);
}
