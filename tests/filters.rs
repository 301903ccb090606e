//! The checks every time filter must pass (STYLE.md's list), run for each filter with
//! arguments that keep its output comparable: v2 and v3, comments and blank lines, escapes
//! at the end of data, `\u` escapes and surrogate pairs, a truncated last line, an empty file,
//! a binary file, stdin, several files with one unreadable, a broken pipe, line buffering.

use crate::util::*;

/// (tool, arguments that leave times unchanged on the fixtures below)
pub const FILTERS: &[(&str, &[&str])] = &[
    ("cast-idle", &["-l", "100"]),
    ("cast-speed", &["-f", "1"]),
    ("cast-cut", &["--from", "0"]),
    ("cast-merge-stderr", &[]),
    ("cast-merge-stderr", &["--color"]),
    ("cast-redact", &["--preset", "all"]),
];

const TRICKY: &[(f64, &str, &str)] = &[
    (0.5, "o", "plain\r\n"),
    (1.0, "o", "ends with quote\""),
    (1.5, "o", "ends with backslash\\"),
    (2.0, "o", "\u{1b}[1;31mred\u{1b}[0m é 中 😀"),
    (2.25, "i", "typed\t"),
    (2.5, "r", "100x30"),
    (3.0, "m", ""),
    (3.5, "x", "0"),
];

fn each(f: impl Fn(&str, &[&str])) {
    for (tool, args) in FILTERS {
        f(tool, args);
    }
}

#[test]
fn passes_data_through_byte_for_byte_v2_and_v3() {
    each(|tool, args| {
        let d = Dir::new();
        for (name, input) in [("a.cast", v2(TRICKY)), ("b.cast", v3(TRICKY))] {
            let mut argv = args.to_vec();
            argv.push(name);
            d.write(name, &input);
            let out = ok(&d.run(tool, &argv));
            // Data tokens are copied verbatim: compare the JSON text of each event's data.
            let tokens = |s: &str| -> Vec<String> {
                s.lines()
                    .skip(1)
                    .map(|l| l[l.find(", \"").unwrap()..].to_string())
                    .collect()
            };
            let mut expected = Vec::new();
            for l in input.lines().skip(1) {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                expected.push(format!(
                    ", {}, {}]",
                    v[1],
                    serde_json::to_string(&v[2]).unwrap()
                ));
            }
            assert_eq!(tokens(&out), expected, "{tool} {name}");
            let (_, evs) = parse_cast(&out);
            let (_, want) = parse_cast(&input);
            assert_eq!(evs, want, "{tool} {name}");
        }
    });
}

#[test]
fn raw_escapes_and_surrogates_survive() {
    let input = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"\\ud83d\\ude00\\u001b[0m\\\\\\\"\"]\n";
    each(|tool, args| {
        let d = Dir::new();
        let out = ok(&d.run_stdin(tool, args, input));
        assert!(
            out.ends_with("\"\\ud83d\\ude00\\u001b[0m\\\\\\\"\"]\n"),
            "{tool}: {out}"
        );
    });
}

#[test]
fn comments_blank_lines_and_crlf() {
    let input = "{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\r\n# a comment\r\n\r\n[0.5, \"o\", \"a\"]\r\n\n# more\n[0.5, \"o\", \"b\"]\n";
    each(|tool, args| {
        let d = Dir::new();
        let out = ok(&d.run_stdin(tool, args, input));
        let (_, evs) = parse_cast(&out);
        assert_eq!(
            evs,
            vec![
                (500_000, "o".into(), "a".into()),
                (1_000_000, "o".into(), "b".into())
            ],
            "{tool}"
        );
    });
}

#[test]
fn raw_control_bytes_are_escaped_on_output() {
    let input = b"{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"\x1b[1mbold\"]\n";
    each(|tool, args| {
        let d = Dir::new();
        let out = ok(&d.run_stdin(tool, args, input));
        let (_, evs) = parse_cast(&out);
        assert_eq!(evs[0].2, "\u{1b}[1mbold", "{tool}");
    });
}

#[test]
fn truncated_last_line_warns_and_keeps_the_rest() {
    let input = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"whole\"]\n[1.0, \"o\", \"cut of";
    each(|tool, args| {
        let d = Dir::new();
        d.write("t.cast", input);
        let mut argv = args.to_vec();
        argv.push("t.cast");
        let o = d.run(tool, &argv);
        let out = ok(&o);
        let (_, evs) = parse_cast(&out);
        assert_eq!(evs.len(), 2, "{tool}");
        assert_eq!(evs[1].2, "cut of");
        let err = stderr(&o);
        assert!(
            err.starts_with(&format!("{tool}: warning: t.cast: line 3: ")),
            "{err}"
        );

        argv.push("--strict");
        let err = fails(&d.run(tool, &argv));
        assert!(err.contains("t.cast: line 3: truncated recording"), "{err}");
    });
}

#[test]
fn not_recordings_get_one_clear_message() {
    each(|tool, args| {
        let d = Dir::new();
        for (name, content, msg) in [
            ("empty.cast", &b""[..], "empty file"),
            (
                "bin.cast",
                &b"\x7fELF\x02\x01\x01\x00\x00\x00\x00"[..],
                "binary data",
            ),
            ("page.cast", &b"<html><body>hi</body></html>\n"[..], "HTML"),
        ] {
            d.write(name, content);
            let mut argv = args.to_vec();
            argv.push(name);
            let err = fails(&d.run(tool, &argv));
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                err.starts_with(&format!("{tool}: {name}: not an asciicast recording: ")),
                "{err}"
            );
            assert!(err.contains(msg), "{err}");
        }
    });
}

#[test]
fn malformed_line_names_file_and_line() {
    let input = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"a\"]\n[1.0 \"o\", \"b\"]\n";
    each(|tool, args| {
        let d = Dir::new();
        d.write("bad.cast", input);
        let mut argv = args.to_vec();
        argv.push("bad.cast");
        let err = fails(&d.run(tool, &argv));
        assert_eq!(
            err.trim_end(),
            format!("{tool}: bad.cast: line 3: malformed event: expected ',' after time")
        );
    });
}

#[test]
fn stdin_and_dash() {
    let input = v2(TRICKY);
    each(|tool, args| {
        let d = Dir::new();
        let a = ok(&d.run_stdin(tool, args, &input));
        let mut argv = args.to_vec();
        argv.push("-");
        let b = ok(&d.run_stdin(tool, &argv, &input));
        assert_eq!(a, b);
        assert_eq!(parse_cast(&a).1, parse_cast(&input).1);
    });
}

#[test]
fn output_file_is_atomic_and_may_be_the_input() {
    each(|tool, args| {
        let d = Dir::new();
        let input = v2(TRICKY);
        d.write("a.cast", &input);
        let mut argv = args.to_vec();
        argv.extend(["-o", "a.cast", "a.cast"]);
        ok(&d.run(tool, &argv));
        assert_eq!(parse_cast(&d.read("a.cast")).1, parse_cast(&input).1);
        // A failing run leaves an existing output alone and no temporary file behind.
        d.write(
            "bad.cast",
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\", \"a\"]\nnope\n",
        );
        d.write("keep.cast", "precious");
        let mut argv = args.to_vec();
        argv.extend(["-o", "keep.cast", "bad.cast"]);
        fails(&d.run(tool, &argv));
        assert_eq!(d.read("keep.cast"), "precious");
        let names: Vec<_> = std::fs::read_dir(d.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    });
}

#[test]
fn in_place_many_files_one_bad() {
    each(|tool, args| {
        let d = Dir::new();
        let good = v3(TRICKY);
        d.write("a.cast", &good);
        d.write("b.cast", "not a recording\n");
        d.write("c.cast", &good);
        let mut argv = args.to_vec();
        argv.extend(["-i", "a.cast", "b.cast", "missing.cast", "c.cast"]);
        let err = fails(&d.run(tool, &argv));
        assert!(
            err.contains(&format!("{tool}: b.cast: not an asciicast recording")),
            "{err}"
        );
        assert!(
            err.contains(&format!("{tool}: missing.cast: no such file or directory")),
            "{err}"
        );
        assert_eq!(d.read("b.cast"), "not a recording\n");
        assert_eq!(parse_cast(&d.read("a.cast")).1, parse_cast(&good).1);
        assert_eq!(parse_cast(&d.read("c.cast")).1, parse_cast(&good).1);
    });
}

#[test]
fn several_files_without_in_place_is_an_error() {
    each(|tool, args| {
        let d = Dir::new();
        d.write("a.cast", v2(TRICKY));
        let mut argv = args.to_vec();
        argv.extend(["a.cast", "a.cast"]);
        let err = fails(&d.run(tool, &argv));
        assert!(err.contains("-i/--in-place"), "{err}");
    });
}

#[test]
fn format_converts_between_versions_exactly() {
    each(|tool, args| {
        let d = Dir::new();
        let events: Vec<(f64, &str, &str)> = (0..500)
            .map(|k| (k as f64 * 0.123457 + 0.000001, "o", "x"))
            .collect();
        d.write("a.cast", v2(&events));
        let mut argv = args.to_vec();
        argv.extend(["--format", "v3", "-o", "b.cast", "a.cast"]);
        ok(&d.run(tool, &argv));
        assert!(d.read("b.cast").starts_with("{\"version\":3,"));
        let mut argv = args.to_vec();
        argv.extend(["--format", "v2", "-o", "c.cast", "b.cast"]);
        ok(&d.run(tool, &argv));
        // Times are compared as text: exact, not within a tolerance.
        let times = |s: String| -> Vec<String> {
            s.lines()
                .skip(1)
                .map(|l| l[1..l.find(',').unwrap()].to_string())
                .collect()
        };
        let original = d.read("a.cast");
        let want: Vec<String> = original
            .lines()
            .skip(1)
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let us = (v[0].as_f64().unwrap() * 1e6).round() as i64;
                let mut s = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
                while s.ends_with('0') && !s.ends_with(".0") {
                    s.pop();
                }
                s
            })
            .collect();
        assert_eq!(times(d.read("c.cast")), want, "{tool}");
    });
}

/// Many events, so the output is far larger than a pipe buffer.
fn big_input() -> String {
    let mut s = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
    for k in 0..200_000 {
        s.push_str(&format!(
            "[{}.{:06}, \"o\", \"line {k} with some text\\r\\n\"]\n",
            k / 1000,
            (k % 1000) * 1000
        ));
    }
    s
}

#[test]
fn closed_pipe_ends_quietly() {
    let input = big_input();
    each(|tool, args| {
        let d = Dir::new();
        d.write("big.cast", &input);
        let mut argv = args.to_vec();
        argv.push("big.cast");
        let (_, out) = read_then_close(cmd(tool).args(&argv).current_dir(d.tmp.path()));
        assert_eq!(out.status.code(), Some(0), "{tool}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{tool}");
    });
}

/// An event written into a live pipe comes out before the input ends (flush when the next
/// read would block), with and without --line-buffered.
#[test]
fn live_pipe_keeps_flowing() {
    each(|tool, args| {
        for extra in [&[][..], &["--line-buffered"][..]] {
            let lines = live_lines(
                cmd(tool).args(args).args(extra),
                b"{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"first\"]\n",
                2,
            );
            assert!(lines[0].starts_with('{'), "{tool}: {}", lines[0]);
            assert!(lines[1].contains("first"), "{tool}: {}", lines[1]);
        }
    });
}

#[test]
fn output_to_full_disk_is_an_error() {
    each(|tool, args| {
        if !std::path::Path::new("/dev/full").exists() {
            return;
        }
        let d = Dir::new();
        d.write("big.cast", big_input());
        let mut argv = args.to_vec();
        argv.extend(["-o", "/dev/full", "big.cast"]);
        let err = fails(&d.run(tool, &argv));
        assert!(err.contains("/dev/full: no space left on device"), "{err}");
        let f = std::fs::File::create("/dev/full").unwrap();
        let o = cmd(tool)
            .args(args)
            .arg("big.cast")
            .current_dir(d.tmp.path())
            .stdout(f)
            .output()
            .unwrap();
        let err = fails(&o);
        assert!(err.contains("no space left on device"), "{err}");
    });
}

/// Lone UTF-16 surrogate escapes, in the header and in events of every shape the reader has a
/// path for (the one-step form, the general form, long data for the block check, a pair split
/// across two events), must come out as U+FFFD: serde_json and asciinema reject them.
#[test]
fn lone_surrogates_come_out_as_replacement_characters() {
    let long = "x".repeat(70);
    let input = format!(
        "{{\"version\":2,\"width\":80,\"height\":24,\"title\":\"bad \\ud800 title\"}}\n\
         [1.0, \"o\", \"lone \\ud800 high\"]\n\
         [1.5,\"o\",\"lone \\uDC00 low\"]\n\
         [2.0, \"o\", \"{long} \\ud83d in long data \\u001b[0m {long}\"]\n\
         [2.5, \"o\", \"split \\ud83d\"]\n\
         [3.0, \"o\", \"\\ude00 pair\"]\n\
         [3.5, \"o\", \"kept: \\ud83d\\ude00 \\\\ud800 {long}\"]\n"
    );
    let mut tools: Vec<(&str, &[&str])> = FILTERS.to_vec();
    tools.push(("cast-cat", &[]));
    for (tool, args) in tools {
        let d = Dir::new();
        let f = d.write("a.cast", &input);
        let mut argv = args.to_vec();
        argv.push(f.to_str().unwrap());
        let out = ok(&d.run(tool, &argv));
        let mut lines = 0;
        for line in out.lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{tool}: not JSON ({e}): {line}"));
            lines += 1;
            if let Some(data) = v.get(2).and_then(|d| d.as_str()) {
                let lone = ["lone", "long data", "split", "pair"]
                    .iter()
                    .any(|w| data.contains(w));
                if lone && !data.starts_with("kept") {
                    assert!(data.contains('\u{FFFD}'), "{tool}: {line}");
                }
            }
        }
        assert_eq!(lines, 7, "{tool}: {out}");
        assert!(out.contains("bad \\ufffd title"), "{tool}: {out}");
        if matches!(tool, "cast-cat" | "cast-idle" | "cast-speed") {
            // Only the lone surrogates change; every other byte is passed through.
            assert!(
                out.contains("[1.0, \"o\", \"lone \\ufffd high\"]"),
                "{tool}: {out}"
            );
            assert!(out.contains("\"split \\ufffd\"]"), "{tool}: {out}");
            assert!(out.contains("\"\\ufffd pair\"]"), "{tool}: {out}");
            let kept = format!("\"kept: \\ud83d\\ude00 \\\\ud800 {long}\"]");
            assert!(out.contains(&kept), "{tool}: {out}");
        }
    }
}
