use crate::util::*;

/// A v2 recording with everything cast-info reports.
const FULL: &str = "{\"version\": 2, \"width\": 80, \"height\": 24, \"timestamp\": 1700000000, \"idle_time_limit\": 3, \"title\": \"Demo \\u001b[31m\", \"command\": \"make test\"}\n\
[0.5, \"o\", \"h\\u00e9llo \\u001b[1m\\r\\n\"]\n\
[1.0, \"i\", \"q\"]\n\
[1.5, \"r\", \"100x30\"]\n\
[6.5, \"m\", \"build\"]\n\
[7.0, \"e\", \"oops\\n\"]\n\
[7.25, \"r\", \"120x40\"]\n\
[7.5, \"r\", \"100x30\"]\n\
[8.0, \"m\", \"\"]\n\
[12.0, \"o\", \"😀\"]\n\
[12.5, \"x\", \"3\"]\n";

#[test]
fn one_file_gives_a_readable_block() {
    let d = Dir::new();
    d.write("full.cast", FULL);
    let out = ok(&d.run("cast-info", &["full.cast"]));
    // Durations are rounded: b.cast's 61.5 s is 1:02.
    let want = "\
file:          full.cast
version:       2
size:          80x24; resized 3 times to 100x30, 120x40
duration:      0:00:12.500 (12.5s)
events:        10 (2 o, 1 i, 3 r, 2 m, 1 x, 1 e)
output:        17 bytes
stderr:        5 bytes
longest pause: 5s, from 0:00:01.500
idle:          5s beyond 2s in 2 pauses (what cast-idle -l 2 would remove)
markers:       0:00:06.500  build
               0:00:08.000  
title:         Demo ^[[31m
command:       make test
recorded:      2023-11-14 22:13:20 UTC
idle limit:    3s
exit status:   3
complete:      yes
";
    assert_eq!(out, want);
}

#[test]
fn idle_threshold_is_an_option() {
    let d = Dir::new();
    d.write("full.cast", FULL);
    let out = ok(&d.run("cast-info", &["--idle", "4.5", "full.cast"]));
    assert!(
        out.contains(
            "idle:          0.5s beyond 4.5s in 1 pause (what cast-idle -l 4.5 would remove)"
        ),
        "{out}"
    );
    // The figure is what cast-idle removes.
    let capped = ok(&d.run("cast-idle", &["-l", "4.5", "full.cast"]));
    let end = parse_cast(&capped).1.last().unwrap().0;
    assert_eq!(end, 12_000_000);
    let err = fails(&d.run("cast-info", &["--idle", "soon", "full.cast"]));
    assert!(err.contains("invalid time 'soon'"), "{err}");
}

fn corpus_of_three(d: &Dir) {
    d.write("a.cast", FULL);
    d.write(
        "b.cast",
        "{\"version\": 3, \"term\": {\"cols\": 100, \"rows\": 30}}\n[0.5, \"o\", \"abc\"]\n[61, \"o\", \"d\"]\n",
    );
    d.write(
        "c.json",
        "{\"version\": 1, \"width\": 20, \"height\": 5, \"stdout\": [[1, \"x\"], [2.5, \"yz\"]]}",
    );
    d.write(
        "cut.cast",
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\", \"ab\"]\n[3700, \"o\", \"cd",
    );
}

#[test]
fn many_files_give_a_table_in_argument_order() {
    let d = Dir::new();
    corpus_of_three(&d);
    d.write(
        "bad.cast",
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\"]\n",
    );
    let o = d.run(
        "cast-info",
        &[
            "cut.cast",
            "a.cast",
            "bad.cast",
            "b.cast",
            "missing.cast",
            "c.json",
        ],
    );
    let err = fails(&o);
    let out = stdout(&o);
    // Durations are rounded: b.cast's 61.5 s is 1:02.
    let want = "\
FILE                  VER  SIZE     DURATION  EVENTS  OUTPUT    PAUSE  IDLE>2s  MARKERS  EXIT  STATUS
cut.cast                2  80x24     1:01:40       2     4 B  1:01:39  1:01:37        0  -     cut off
a.cast                  2  80x24+2     12.5s      10    17 B     5.0s     5.0s        2  3     ok
b.cast                  3  100x30       1:02       2     4 B     1:01    59.0s        0  -     ok
c.json                  1  20x5         3.5s       2     3 B     2.5s     0.5s        0  -     ok
total (4 of 6 files)                 1:02:58      16    28 B  1:01:39  1:02:42        2        3 ok
";
    assert_eq!(out, want);
    assert_eq!(
        err,
        "cast-info: bad.cast: line 2: malformed event: expected ',' after event code\n\
         cast-info: missing.cast: no such file or directory\n"
    );
    // One thread or many: the same output.
    let o1 = d.run(
        "cast-info",
        &[
            "-j",
            "1",
            "cut.cast",
            "a.cast",
            "bad.cast",
            "b.cast",
            "missing.cast",
            "c.json",
        ],
    );
    assert_eq!(stdout(&o1), out);
    assert_eq!(stderr(&o1), err);
}

#[test]
fn json_lines_for_scripts() {
    let d = Dir::new();
    corpus_of_three(&d);
    let o = d.run(
        "cast-info",
        &["--json", "a.cast", "cut.cast", "nope.cast", "c.json"],
    );
    fails(&o);
    let rows: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 4);
    let a = &rows[0];
    assert_eq!(a["file"], "a.cast");
    assert_eq!(a["version"], 2);
    assert_eq!(a["size"], "80x24");
    assert_eq!(a["resized_to"], serde_json::json!(["100x30", "120x40"]));
    assert_eq!(a["resizes"], 3);
    assert_eq!(a["duration"], 12.5);
    assert_eq!(a["events"], 10);
    assert_eq!(
        a["codes"],
        serde_json::json!({"o": 2, "i": 1, "r": 3, "m": 2, "x": 1, "e": 1})
    );
    assert_eq!(a["output_bytes"], 17);
    assert_eq!(a["stderr_bytes"], 5);
    assert_eq!(a["longest_pause"], 5.0);
    assert_eq!(a["longest_pause_at"], 1.5);
    assert_eq!(a["idle_threshold"], 2.0);
    assert_eq!(a["idle"], 5.0);
    assert_eq!(a["idle_pauses"], 2);
    assert_eq!(
        a["markers"],
        serde_json::json!([{"time": 6.5, "label": "build"}, {"time": 8.0, "label": ""}])
    );
    assert_eq!(a["title"], "Demo \u{1b}[31m");
    assert_eq!(a["command"], "make test");
    assert_eq!(a["timestamp"], 1_700_000_000);
    assert_eq!(a["idle_time_limit"], 3.0);
    assert_eq!(a["exit_status"], "3");
    assert_eq!(a["truncated"], serde_json::Value::Null);
    assert_eq!(a["complete"], true);
    let cut = &rows[1];
    assert_eq!(cut["complete"], false);
    assert!(cut["truncated"].as_str().unwrap().starts_with("line 3: "));
    assert_eq!(cut["title"], serde_json::Value::Null);
    assert_eq!(rows[2]["file"], "nope.cast");
    assert_eq!(rows[2]["error"], "no such file or directory");
    assert_eq!(rows[3]["version"], 1);
    assert_eq!(
        stderr(&o),
        "cast-info: nope.cast: no such file or directory\n"
    );
    // One file: still one JSON line.
    let out = ok(&d.run("cast-info", &["--json", "b.cast"]));
    assert_eq!(out.lines().count(), 1);
    assert!(
        out.starts_with("{\"file\":\"b.cast\",\"version\":3,"),
        "{out}"
    );
}

#[test]
fn recursive_walks_directories_in_order() {
    let d = Dir::new();
    for dir in ["casts/z", "casts/a", "casts/.hidden"] {
        std::fs::create_dir_all(d.path(dir)).unwrap();
    }
    d.write("casts/z/two.cast", v2(&[(1.0, "o", "x")]));
    d.write("casts/a/one.json", v3(&[(1.0, "o", "x"), (2.0, "x", "0")]));
    d.write("casts/top.cast", v2(&[]));
    d.write("casts/notes.txt", "not a recording");
    d.write("casts/.hidden/three.cast", "not read");
    d.write("casts/.dot.cast", "not read");
    let out = ok(&d.run("cast-info", &["-r", "casts"]));
    let files: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "casts/a/one.json",
            "casts/top.cast",
            "casts/z/two.cast",
            "total"
        ]
    );
    // --glob chooses the names; no FILE means the current directory.
    let o = cmd("cast-info")
        .args(["-r", "-g", "*.json"])
        .current_dir(d.path("casts"))
        .output()
        .unwrap();
    let out = ok(&o);
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(
        out.lines().nth(1).unwrap().starts_with("a/one.json "),
        "{out}"
    );
    // A plain file among the roots is read whatever its name.
    let o = d.run("cast-info", &["-r", "casts/notes.txt", "casts/z"]);
    let err = fails(&o);
    assert!(
        err.contains("casts/notes.txt: not an asciicast recording"),
        "{err}"
    );
    assert!(
        stdout(&o).contains("total (1 of 2 files)"),
        "{}",
        stdout(&o)
    );
    // Without -r a directory is an error.
    let err = fails(&d.run("cast-info", &["casts"]));
    assert_eq!(err, "cast-info: casts: is a directory\n");
}

#[test]
fn strict_makes_a_cut_off_file_an_error() {
    let d = Dir::new();
    corpus_of_three(&d);
    let out = ok(&d.run("cast-info", &["cut.cast"]));
    assert!(
        out.contains("complete:      no: cut off: line 3: the last event was cut off"),
        "{out}"
    );
    let err = fails(&d.run("cast-info", &["--strict", "cut.cast"]));
    assert!(
        err.contains("cut.cast: line 3: truncated recording"),
        "{err}"
    );
    // A v3 recording without an exit event ends on a whole event: complete, no exit.
    let out = ok(&d.run("cast-info", &["b.cast"]));
    assert!(out.contains("complete:      yes"), "{out}");
    assert!(out.contains("exit status:   none (no exit event)"), "{out}");
}

#[test]
fn stdin_and_empty_recordings() {
    let d = Dir::new();
    let out = ok(&d.run_stdin("cast-info", &[], v3(&[(1.0, "e", "é"), (2.0, "x", "0")])));
    assert!(
        out.starts_with("file:          <stdin>\nversion:       3\n"),
        "{out}"
    );
    assert!(out.contains("stderr:        2 bytes\n"), "{out}");
    let out = ok(&d.run_stdin("cast-info", &["-"], v2(&[])));
    assert!(out.contains("events:        0\n"), "{out}");
    assert!(out.contains("longest pause: none\n"), "{out}");
    let err = fails(&d.run_stdin("cast-info", &[], ""));
    assert_eq!(
        err,
        "cast-info: <stdin>: not an asciicast recording: empty file\n"
    );
}

#[test]
fn output_bytes_count_decoded_text() {
    let d = Dir::new();
    // Escapes count as the characters they stand for, in UTF-8.
    let input = "{\"version\": 2, \"width\": 80, \"height\": 24}\n\
        [1, \"o\", \"\\u001b[0m\\r\\n\\\\\\\"\"]\n\
        [2, \"o\", \"\\ud83d\\ude00\\u4e2d\\u00e9a\"]\n\
        [3, \"o\", \"中\"]\n";
    let out = ok(&d.run_stdin("cast-info", &["--json"], input));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["output_bytes"], 8 + 4 + 3 + 2 + 1 + 3);
}

#[test]
fn repairs_are_reported() {
    let d = Dir::new();
    let input =
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"r\", \"-1x0\"]\n[2, \"o\", \"ab";
    let out = ok(&d.run_stdin("cast-info", &[], input));
    assert!(
        out.contains(
            "repaired:      line 2: resize to '-1x0' is not a terminal size; dropped it\n"
        ),
        "{out}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&ok(&d.run_stdin("cast-info", &["--json"], input))).unwrap();
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1);
    assert_eq!(v["complete"], false);
}

#[test]
fn on_a_terminal_with_no_file_it_says_it_reads_standard_input() {
    let d = Dir::new();
    let script = format!(
        "{} 2>&1; echo \"EXIT:$?\"; sleep 60",
        bin("cast-info").display()
    );
    let Some(t) = Tmux::start(d.tmp.path(), &script) else {
        eprintln!("note: tmux not available: the terminal test was skipped");
        return;
    };
    t.wait_for("cast-info: reading a recording from standard input (Ctrl-D ends it");
    // Then it reads what is typed, as before.
    t.keys("{\"version\": 2, \"width\": 80, \"height\": 24}\r[1.5, \"o\", \"hi\"]\r\x04");
    let s = t.wait_for("EXIT:0");
    assert!(s.contains("duration:      0:00:01.500 (1.5s)"), "{s}");
    // Not on a pipe: scripts see no message.
    let o = d.run_stdin("cast-info", &[], v2(&[(1.0, "o", "x")]));
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_large_file_read_in_two_halves_is_described_as_from_standard_input() {
    // 16 MiB and more are read in two halves at once; standard input from a pipe is read
    // straight. Markers and resizes on each side of the middle, in v2 and v3; and a repaired
    // line or a cut-off last line in the second half (whose warnings name lines counted
    // from the start of the file, as a straight read's do).
    let d = Dir::new();
    let cases = [
        (false, false, false),
        (true, false, false),
        (false, true, false),
        (true, false, true),
    ];
    for (v3, repaired, cut) in cases {
        let mut text = String::from(if v3 {
            "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n"
        } else {
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n"
        });
        let line = "compiling crate \\u001b[32mok\\u001b[0m \\u00e9\\r\\n";
        let mut k = 0u64;
        while text.len() < 17 * 1024 * 1024 {
            k += 1;
            let t = if v3 {
                "0.001".to_string()
            } else {
                format!("{}.{:03}", k / 1000, k % 1000)
            };
            let (code, data) = match k % 20_000 {
                0 => ("m", format!("m{k}")),
                1 => ("r", format!("{}x30", 80 + k / 20_000)),
                2 if repaired && k > 200_000 => ("r", "nonsense".to_string()),
                3 => ("i", "q".to_string()),
                _ => ("o", line.to_string()),
            };
            text.push_str(&format!("[{t}, \"{code}\", \"{data}\"]\n"));
        }
        if cut {
            text.push_str("[99, \"o\", \"cut");
        }
        let f = d.write("big.cast", &text);
        let split = ok(&d.run("cast-info", &["--json", f.to_str().unwrap()]));
        let straight = ok(&d.run_stdin("cast-info", &["--json"], &text));
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&split).unwrap(),
            serde_json::from_str(&straight).unwrap(),
        );
        assert_ne!(a["file"], b["file"]);
        let strip = |mut v: serde_json::Value| {
            v.as_object_mut().unwrap().remove("file");
            v
        };
        assert_eq!(
            strip(a.clone()),
            strip(b.clone()),
            "v3: {v3}, repaired: {repaired}, cut: {cut}"
        );
        assert_eq!(a["complete"], !cut);
        assert_eq!(!a["warnings"].as_array().unwrap().is_empty(), repaired);
        assert!(a["markers"].as_array().unwrap().len() > 5);
        // Standard input redirected from a file is split too, from where its offset stands
        // (here past a line that is not part of it), and its offset is left at the end.
        let junk = "not part of the recording\n";
        let f = d.write("after.cast", format!("{junk}{text}"));
        let mut input = std::fs::File::open(&f).unwrap();
        std::io::Seek::seek(&mut input, std::io::SeekFrom::Start(junk.len() as u64)).unwrap();
        let shared = input.try_clone().unwrap();
        let o = cmd("cast-info")
            .arg("--json")
            .stdin(std::process::Stdio::from(input))
            .output()
            .unwrap();
        let from_file: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
        assert_eq!(from_file, b, "v3: {v3}, repaired: {repaired}, cut: {cut}");
        let mut shared = shared;
        let at = std::io::Seek::stream_position(&mut shared).unwrap();
        assert_eq!(
            at,
            (junk.len() + text.len()) as u64,
            "v3: {v3}, repaired: {repaired}, cut: {cut}"
        );
    }
}
