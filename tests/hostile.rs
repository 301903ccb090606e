//! Hostile input (issue 16): sizes that would exhaust memory, headers other readers choke on,
//! and messages that point at the problem.

use crate::util::*;

const HUGE_RESIZE: &str =
    "{\"version\":2,\"width\":80,\"height\":24}\n[1.0,\"r\",\"65535x65535\"]\n[2,\"o\",\"x\"]\n";

/// Runs a tool under a 1 GiB address-space limit (`ulimit -v`), as the issue asks: an emulator
/// sized 65535x65535 would need tens of gigabytes and abort.
fn run_limited(d: &Dir, tool: &str, args: &str) -> std::process::Output {
    let script = format!("ulimit -v 1048576; exec '{}' {args}", bin(tool).display());
    std::process::Command::new("sh")
        .args(["-c", &script])
        .current_dir(d.tmp.path())
        .output()
        .expect("sh")
}

#[test]
fn emulated_sizes_are_capped_in_bounded_memory() {
    let d = Dir::new();
    d.write("r.cast", HUGE_RESIZE);
    d.write(
        "h.cast",
        "{\"version\":2,\"width\":65535,\"height\":65535}\n[1,\"o\",\"x\"]\n[2,\"o\",\"y\"]\n",
    );
    for f in ["r.cast", "h.cast"] {
        for (tool, args) in [
            ("cast-cut", "--from 1.5"),
            ("cast-cut", "--remove 0.5-1.5"),
            ("cast-to-txt", ""),
            ("cast-to-txt", "--screen"),
            ("cast-play", "-s 1000"),
        ] {
            let o = run_limited(&d, tool, &format!("{args} {f}"));
            assert_eq!(
                o.status.code(),
                Some(0),
                "{tool} {args} {f}: {}",
                stderr(&o)
            );
            let err = stderr(&o);
            let line = if f == "r.cast" { 2 } else { 1 };
            assert!(
                err.contains(&format!(
                    "{f}: line {line}: terminal size 65535x65535 is larger than castkit emulates"
                )),
                "{tool} {args} {f}: {err}"
            );
            assert_eq!(err.matches("warning").count(), 1, "warned once: {err}");
        }
    }
    // What cast-cut writes states the size it emulated: the size at the cut point becomes the
    // header's, and a seam after the resize carries it.
    let out = ok(&d.run("cast-cut", &["--from", "1.5", "r.cast"]));
    let (header, _) = parse_cast(&out);
    assert_eq!(
        (&header["width"], &header["height"]),
        (&4096.into(), &256.into())
    );
    let out = ok(&d.run("cast-cut", &["--remove", "0.5-1.5", "r.cast"]));
    let (header, events) = parse_cast(&out);
    assert!(
        header["width"] == 4096 || events.iter().any(|e| e.1 == "r" && e.2 == "4096x256"),
        "{out}"
    );
}

#[test]
fn strict_makes_an_oversized_terminal_an_error() {
    let d = Dir::new();
    d.write("r.cast", HUGE_RESIZE);
    for (tool, args) in [
        ("cast-cut", vec!["--strict", "--from", "1.5", "r.cast"]),
        ("cast-to-txt", vec!["--strict", "r.cast"]),
    ] {
        let err = fails(&d.run(tool, &args));
        assert!(
            err.contains("r.cast: line 2: terminal size 65535x65535 is larger"),
            "{tool}: {err}"
        );
    }
    assert!(!d.path("out.cast").exists());
}

#[test]
fn every_tool_ends_cleanly_on_a_huge_terminal_under_a_memory_limit() {
    let d = Dir::new();
    d.write("r.cast", HUGE_RESIZE);
    for (tool, args) in [
        ("cast-info", ""),
        ("cast-grep", "x"),
        ("cast-to-html", ""),
        ("cast-redact", ""),
        ("cast-merge-stderr", ""),
        ("cast-idle", "-l 1"),
        ("cast-speed", "-f 2"),
        ("cast-cat", ""),
        ("cast-to-txt", "--raw"),
    ] {
        let o = run_limited(&d, tool, &format!("{args} r.cast"));
        assert!(
            matches!(o.status.code(), Some(0 | 2)),
            "{tool}: {:?} {}",
            o.status,
            stderr(&o)
        );
    }
}

#[test]
fn a_cursor_sent_far_right_costs_cast_grep_no_memory() {
    // 40 bytes that moved cast-grep's line 4 billion columns right took 3.9 GB and 17 s: the
    // cursor now stops on the 64 KiBth byte of a line, and a line that long is completed there.
    let d = Dir::new();
    d.write(
        "far.cast",
        "{\"version\":2,\"width\":80,\"height\":24}\n\
         [0.1,\"o\",\"ab\\u001b[4000000000Cx\\u001b[4000000000Cy\"]\n\
         [0.2,\"o\",\"\\r\\nerror\\r\\n\"]\n",
    );
    for (args, want) in [("-c x", "1\n"), ("-c y", "1\n"), ("-c error", "1\n")] {
        let o = run_limited(&d, "cast-grep", &format!("{args} far.cast"));
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args}: {:?} {}",
            o.status,
            stderr(&o)
        );
        assert_eq!(stdout(&o), want, "{args}");
    }
    // The line shown is the text up to where it was completed: "ab", spaces, "x".
    let o = run_limited(&d, "cast-grep", "--json x far.cast");
    let line: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let text = line["line"].as_str().unwrap_or_default();
    assert_eq!(
        text.len(),
        64 * 1024,
        "{}",
        &stdout(&o)[..200.min(stdout(&o).len())]
    );
    assert!(text.starts_with("ab ") && text.ends_with(" x"));
}

#[test]
fn header_sizes_out_of_range_are_fixed_with_a_warning_naming_the_field() {
    let d = Dir::new();
    for (width, want, note) in [
        ("65536", 65535, "width 65536 is not a terminal size"),
        (
            "99999999999",
            65535,
            "width 99999999999 is not a terminal size",
        ),
        ("-5", 80, "width -5 is not a terminal size"),
        ("0", 80, "width 0 is not a terminal size"),
        ("80.5", 80, "width 80.5 is not a terminal size"),
    ] {
        d.write(
            "w.cast",
            format!("{{\"version\":2,\"width\":{width},\"height\":24}}\n[1,\"o\",\"x\"]\n"),
        );
        let o = d.run("cast-idle", &["-l", "1", "w.cast"]);
        let (header, _) = parse_cast(&ok(&o));
        assert_eq!(header["width"], want, "width {width}");
        assert!(
            stderr(&o).contains(&format!("w.cast: line 1: header: {note}")),
            "{}",
            stderr(&o)
        );
        // cast-info reports the size the other tools write.
        let info = ok(&d.run("cast-info", &["--json", "w.cast"]));
        let v: serde_json::Value = serde_json::from_str(info.trim()).unwrap();
        assert_eq!(v["size"], format!("{want}x24"), "{info}");
    }
}

#[test]
fn duplicate_keys_keep_the_last_value_and_are_written_once() {
    let d = Dir::new();
    d.write(
        "dup.cast",
        "{\"version\":2,\"width\":80,\"height\":24,\"title\":\"a\",\"title\":\"b\"}\n[1,\"o\",\"x\"]\n",
    );
    let o = d.run("cast-idle", &["-l", "1", "dup.cast"]);
    let out = ok(&o);
    let header_line = out.lines().next().unwrap();
    assert_eq!(header_line.matches("\"title\"").count(), 1, "{header_line}");
    let (header, _) = parse_cast(&out);
    assert_eq!(header["title"], "b");
    assert!(
        stderr(&o).contains("dup.cast: line 1: header: key 'title' appears more than once"),
        "{}",
        stderr(&o)
    );
    // A repeated version: cast-info and the filters agree on the last one.
    d.write(
        "v.cast",
        "{\"version\":2,\"width\":80,\"height\":24,\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n[1,\"o\",\"x\"]\n",
    );
    let info = ok(&d.run("cast-info", &["--json", "v.cast"]));
    let v: serde_json::Value = serde_json::from_str(info.trim()).unwrap();
    assert_eq!(v["version"], 3, "{info}");
    let out = ok(&d.run("cast-cat", &["v.cast"]));
    let header_line = out.lines().next().unwrap();
    assert_eq!(
        header_line.matches("\"version\"").count(),
        1,
        "{header_line}"
    );
    assert!(header_line.contains("\"version\":3"), "{header_line}");
}

#[test]
fn a_non_positive_idle_time_limit_is_ignored() {
    let d = Dir::new();
    for limit in ["-1", "0"] {
        d.write(
            "i.cast",
            format!(
                "{{\"version\":2,\"width\":80,\"height\":24,\"idle_time_limit\":{limit}}}\n[1,\"o\",\"x\"]\n[9,\"o\",\"y\"]\n"
            ),
        );
        // cast-idle without -l finds no limit instead of collapsing every pause to 0.
        let err = fails(&d.run("cast-idle", &["i.cast"]));
        assert!(
            err.contains(&format!(
                "line 1: header: idle_time_limit {limit} is not a positive time; ignored it"
            )),
            "{err}"
        );
        assert!(err.contains("no limit"), "{err}");
        // And it is not passed on to players.
        let out = ok(&d.run("cast-speed", &["-f", "1", "i.cast"]));
        let (header, events) = parse_cast(&out);
        assert!(header.get("idle_time_limit").is_none(), "{out}");
        assert_eq!(events[1].0, 9_000_000);
    }
}

#[test]
fn a_cut_off_header_says_so_on_line_1() {
    let d = Dir::new();
    for body in ["{", "{\"", "{\"version\": 2, \"wid"] {
        d.write("h.cast", body);
        let err = fails(&d.run("cast-info", &["h.cast"]));
        assert_eq!(
            err.trim_end(),
            "cast-info: h.cast: line 1: bad header: the header is cut off (the file ends inside it)",
            "{body:?}"
        );
    }
}

fn v1_doc(frames: usize) -> String {
    let frames: Vec<String> = (0..frames)
        .map(|i| format!("    [\n      0.5,\n      \"line {i}\\r\\n\"\n    ]"))
        .collect();
    format!(
        "{{\n  \"version\": 1,\n  \"width\": 80,\n  \"height\": 24,\n  \"stdout\": [\n{}\n  ]\n}}\n",
        frames.join(",\n")
    )
}

#[test]
fn a_truncated_v1_recording_keeps_its_complete_frames() {
    let d = Dir::new();
    let doc = v1_doc(100);
    let cut = &doc[..doc.find("line 60").unwrap() + 3];
    d.write("v1.json", cut);
    let o = d.run("cast-cat", &["v1.json"]);
    let (_, events) = parse_cast(&ok(&o));
    assert_eq!(events.len(), 60);
    assert_eq!(events[59].2, "line 59\r\n");
    let err = stderr(&o);
    assert!(
        err.contains("v1.json: line ")
            && err.contains("the recording was cut off; kept the 60 complete frames"),
        "{err}"
    );
    assert!(!err.contains("bad header"), "{err}");
    let err = fails(&d.run("cast-cat", &["--strict", "-o", "out.cast", "v1.json"]));
    assert!(err.contains("truncated recording"), "{err}");
    assert!(!d.path("out.cast").exists());
    let info = ok(&d.run("cast-info", &["v1.json"]));
    assert!(info.contains("complete:      no"), "{info}");
}

#[test]
fn a_version_given_as_a_string_is_read_with_a_warning() {
    let d = Dir::new();
    d.write(
        "s.cast",
        "{\"version\":\"2\",\"width\":80,\"height\":24}\n[1,\"o\",\"x\"]\n",
    );
    let o = d.run("cast-idle", &["-l", "1", "s.cast"]);
    let out = ok(&o);
    assert!(out.starts_with("{\"version\":2,"), "{out}");
    assert!(
        stderr(&o).contains("line 1: header: version is the string \"2\", not a number"),
        "{}",
        stderr(&o)
    );
    d.write(
        "x.cast",
        "{\"version\":\"two\",\"width\":80,\"height\":24}\n[1,\"o\",\"x\"]\n",
    );
    let err = fails(&d.run("cast-info", &["x.cast"]));
    assert!(
        err.contains("line 1: bad header: version is the string \"two\", not a number"),
        "{err}"
    );
}

#[test]
fn speed_factor_messages_say_what_is_wrong() {
    let d = Dir::new();
    d.write("a.cast", v2(&[(1.0, "o", "x")]));
    let err = fails(&d.run("cast-speed", &["-f", "1e400", "a.cast"]));
    assert!(
        err.contains("invalid factor '1e400': out of range"),
        "{err}"
    );
    let err = fails(&d.run("cast-speed", &["-f", "1e-400", "a.cast"]));
    assert!(err.contains("too small"), "{err}");
    let err = fails(&d.run("cast-speed", &["-f", "2", "--duration", "3", "a.cast"]));
    assert!(err.contains("cannot be used with"), "{err}");
    assert!(
        err.contains("<--factor <X>|--duration <SECS>>"),
        "the usage line says it is one or the other: {err}"
    );
}

#[test]
fn times_past_the_end_are_reported() {
    let d = Dir::new();
    d.write("a.cast", v2(&[(1.0, "o", "x"), (31.28, "o", "y")]));
    let o = d.run("cast-cut", &["--from", "1:00:00", "a.cast"]);
    ok(&o);
    assert!(
        stderr(&o).contains(
            "a.cast: --from 1:00:00.000 is past the end of the recording (its last event is at 0:00:31.280)"
        ),
        "{}",
        stderr(&o)
    );
    let o = d.run("cast-to-html", &["--start-at", "99999", "a.cast"]);
    ok(&o);
    assert!(
        stderr(&o).contains("a.cast: --start-at 27:46:39.000 is past the end of the recording"),
        "{}",
        stderr(&o)
    );
    // A time inside the recording says nothing.
    let o = d.run("cast-cut", &["--from", "2", "a.cast"]);
    ok(&o);
    assert_eq!(stderr(&o), "");
    let o = d.run("cast-cut", &["-q", "--from", "1:00:00", "a.cast"]);
    ok(&o);
    assert_eq!(stderr(&o), "", "-q silences it");
}

#[test]
fn a_negative_v3_interval_never_makes_v2_time_run_backwards() {
    let d = Dir::new();
    d.write(
        "n.cast",
        "{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n[1.234,\"o\",\"a\"]\n[-1.0,\"o\",\"b\"]\n[0.5,\"o\",\"c\"]\n",
    );
    let out = ok(&d.run("cast-cat", &["--format", "v2", "n.cast"]));
    let (_, events) = parse_cast(&out);
    let times: Vec<i64> = events.iter().map(|e| e.0).collect();
    assert_eq!(times, [1_234_000, 1_234_000, 1_734_000], "{out}");
    let out = ok(&d.run("cast-cat", &["n.cast"]));
    assert!(out.contains("[0.0, \"o\", \"b\"]"), "{out}");
}
