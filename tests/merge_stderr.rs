use crate::util::*;

/// A session whose program wrote to stdout and stderr in turn, with colour on stdout.
const MIXED: &[(f64, &str, &str)] = &[
    (0.5, "o", "$ make\r\n"),
    (1.0, "o", "\u{1b}[1;32mcompiling"),
    (1.25, "e", "warning: unused \"x\"\\"),
    (1.5, "o", " still green\u{1b}[0m\r\n"),
    (2.0, "e", "error: failed é 😀\r\n"),
    (2.25, "i", "q"),
    (2.5, "m", "after"),
    (3.0, "o", "\u{1b}[4;38;5;208munder"),
    (3.5, "e", ""),
    (3.75, "e", "\u{1b}[1mbold error"),
    (4.0, "x", "2"),
];

/// The JSON text of each event's data, as written (with or without spaces after commas).
fn data_tokens(cast: &str) -> Vec<String> {
    cast.lines()
        .skip(1)
        .map(|l| {
            // After the time, the code token (codes hold no quotes), then the data.
            let code = l.find('"').unwrap();
            let code_end = code + 1 + l[code + 1..].find('"').unwrap();
            let rest = l[code_end + 1..].trim_start_matches([',', ' ']);
            rest.trim_end().trim_end_matches(']').to_string()
        })
        .collect()
}

#[test]
fn stderr_becomes_output_byte_for_byte() {
    let d = Dir::new();
    for input in [v2(MIXED), v3(MIXED)] {
        let out = ok(&d.run_stdin("cast-merge-stderr", &[], &input));
        assert_eq!(out.lines().next(), input.lines().next());
        let want: Vec<Ev> = parse_cast(&input)
            .1
            .into_iter()
            .map(|(t, c, d)| (t, if c == "e" { "o".into() } else { c }, d))
            .collect();
        assert_eq!(parse_cast(&out).1, want);
        assert_eq!(data_tokens(&out), data_tokens(&input));
    }
}

#[test]
fn drop_and_only() {
    let d = Dir::new();
    let input = v2(MIXED);
    let all = parse_cast(&input).1;
    let out = ok(&d.run_stdin("cast-merge-stderr", &["--drop"], &input));
    let want: Vec<Ev> = all.iter().filter(|e| e.1 != "e").cloned().collect();
    assert_eq!(parse_cast(&out).1, want);

    let out = ok(&d.run_stdin("cast-merge-stderr", &["--only"], &input));
    let want: Vec<Ev> = all
        .iter()
        .filter(|e| e.1 != "o")
        .map(|(t, c, d)| (*t, if c == "e" { "o".into() } else { c.clone() }, d.clone()))
        .collect();
    assert_eq!(parse_cast(&out).1, want);
    assert_eq!(
        want.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
        ["o", "o", "i", "m", "o", "o", "x"]
    );
}

#[test]
fn color_wraps_stderr_and_restores_stdout_attributes() {
    let d = Dir::new();
    let out = ok(&d.run_stdin("cast-merge-stderr", &["--color"], v3(MIXED)));
    let evs = parse_cast(&out).1;
    let data: Vec<&str> = evs.iter().map(|e| e.2.as_str()).collect();
    assert!(evs.iter().all(|e| e.1 != "e"));
    // Inside bold green: red, then back to bold green.
    assert_eq!(data[2], "\u{1b}[31mwarning: unused \"x\"\\\u{1b}[0;1;32m");
    // stdout had reset everything: a plain reset after the chunk.
    assert_eq!(data[4], "\u{1b}[31merror: failed é 😀\r\n\u{1b}[0m");
    // An empty chunk stays empty; a chunk's own attributes are undone.
    assert_eq!(data[8], "");
    assert_eq!(data[9], "\u{1b}[31m\u{1b}[1mbold error\u{1b}[0;4;38;5;208m");
    // stdout's own events are untouched.
    for k in [0, 1, 3, 7] {
        assert_eq!(data[k], MIXED[k].2);
    }
    // Times never change.
    let times: Vec<i64> = evs.iter().map(|e| e.0).collect();
    let want: Vec<i64> = parse_cast(&v3(MIXED)).1.iter().map(|e| e.0).collect();
    assert_eq!(times, want);
}

#[test]
fn color_values() {
    let d = Dir::new();
    let input = v2(&[(1.0, "e", "x")]);
    for (arg, sgr) in [
        ("--color=yellow", "33"),
        ("--color=bright-magenta", "95"),
        ("--color=208", "38;5;208"),
        ("--color=#10ff00", "38;2;16;255;0"),
    ] {
        let out = ok(&d.run_stdin("cast-merge-stderr", &[arg], &input));
        assert_eq!(
            parse_cast(&out).1[0].2,
            format!("\u{1b}[{sgr}mx\u{1b}[0m"),
            "{arg}"
        );
    }
    let err = fails(&d.run_stdin("cast-merge-stderr", &["--color=pink"], &input));
    assert!(err.contains("invalid colour 'pink'"), "{err}");
    let err = fails(&d.run_stdin("cast-merge-stderr", &["--color=256"], &input));
    assert!(err.contains("invalid colour '256'"), "{err}");
    // A value needs `=`: a separate word is a FILE.
    d.write("a.cast", &input);
    let out = ok(&d.run("cast-merge-stderr", &["--color", "a.cast"]));
    assert_eq!(parse_cast(&out).1[0].2, "\u{1b}[31mx\u{1b}[0m");
    // --only may be coloured; --drop has nothing to colour.
    let out = ok(&d.run_stdin("cast-merge-stderr", &["--only", "--color=blue"], v2(MIXED)));
    assert_eq!(
        parse_cast(&out).1[0].2,
        "\u{1b}[34mwarning: unused \"x\"\\\u{1b}[0m"
    );
    fails(&d.run_stdin("cast-merge-stderr", &["--drop", "--color"], &input));
    fails(&d.run_stdin("cast-merge-stderr", &["--drop", "--only"], &input));
}

#[test]
fn sgr_split_across_events_is_followed() {
    let d = Dir::new();
    let input = v2(&[
        (1.0, "o", "\u{1b}[1;3"),
        (1.5, "o", "5mpurple \u{1b}]0;\u{1b}[7mtitle"),
        (2.0, "e", "err"),
        (2.5, "o", "\u{1b}[27;22m"),
        (3.0, "e", "err"),
    ]);
    let out = ok(&d.run_stdin("cast-merge-stderr", &["--color"], &input));
    let evs = parse_cast(&out).1;
    // ESC inside an OSC string starts a new sequence, as in a terminal.
    assert_eq!(evs[2].2, "\u{1b}[31merr\u{1b}[0;1;7;35m");
    assert_eq!(evs[4].2, "\u{1b}[31merr\u{1b}[0;35m");
}

#[test]
fn in_place_and_format() {
    let d = Dir::new();
    d.write("a.cast", v2(MIXED));
    d.write("b.cast", v3(MIXED));
    ok(&d.run(
        "cast-merge-stderr",
        &["-i", "--format", "v3", "a.cast", "b.cast"],
    ));
    let a = d.read("a.cast");
    assert!(a.starts_with("{\"version\":3,"));
    assert_eq!(parse_cast(&a).1, parse_cast(&d.read("b.cast")).1);
    assert!(parse_cast(&a).1.iter().all(|e| e.1 != "e"));
}
