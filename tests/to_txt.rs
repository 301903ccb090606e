//! cast-to-txt: transcripts, screens, raw text, and batches.

use crate::util::*;

const TOOL: &str = "cast-to-txt";

/// A v2 recording of the given size: `(seconds, code, data)` events.
fn cast(cols: u16, rows: u16, events: &[(f64, &str, &str)]) -> String {
    let mut s = format!("{{\"version\": 2, \"width\": {cols}, \"height\": {rows}}}\n");
    for (t, c, d) in events {
        s.push_str(&serde_json::to_string(&serde_json::json!([t, c, d])).unwrap());
        s.push('\n');
    }
    s
}

fn txt(args: &[&str], input: &str) -> String {
    ok(&Dir::new().run_stdin(TOOL, args, input))
}

const ALT_BEGIN: &str = "--- alternate screen ---";
const ALT_END: &str = "--- end of alternate screen ---";

#[test]
fn lines_as_they_scroll_then_the_final_screen() {
    let events: Vec<(f64, &str, &str)> = vec![
        (0.5, "o", "one\r\ntwo  \r\n"),
        (1.0, "o", "\x1b[1;31mthree\x1b[0m\r\nfour\r\n"),
        (1.5, "o", "five\r\n$ "),
    ];
    let want = "one\ntwo\nthree\nfour\nfive\n$\n";
    assert_eq!(txt(&[], &cast(20, 3, &events)), want);
    assert_eq!(txt(&[], &v3(&events)), want);
    // Trailing blank rows of the final screen are dropped; blank lines inside are kept.
    assert_eq!(
        txt(&[], &cast(20, 10, &[(0.1, "o", "a\r\n\r\nb\r\n")])),
        "a\n\nb\n"
    );
    assert_eq!(txt(&[], &cast(20, 10, &[])), "");
}

#[test]
fn wrapped_rows_are_joined() {
    let long = "0123456789abcdefghijklmnopqrstuvwxyz";
    let input = cast(10, 3, &[(0.1, "o", &format!("{long}\r\nnext\r\n"))]);
    assert_eq!(txt(&[], &input), format!("{long}\nnext\n"));
    // A wide character that does not fit at the end of a row moves to the next one and
    // leaves the cell it could not use blank, as asciinema writes it.
    let input = cast(5, 3, &[(0.1, "o", "ab中文字\r\n")]);
    assert_eq!(txt(&[], &input), "ab中 文字\n");
}

#[test]
fn text_before_a_clear_is_kept() {
    for clear in [
        "\x1b[H\x1b[2J\x1b[3J",
        "\x1b[2J\x1b[H",
        "\x1b[H\x1b[J",
        "\x1bc",
    ] {
        let input = cast(
            20,
            5,
            &[
                (0.5, "o", "$ echo hi\r\nhi\r\n$ clear\r\n"),
                (1.0, "o", clear),
                (1.5, "o", "$ after\r\n"),
            ],
        );
        assert_eq!(
            txt(&[], &input),
            "$ echo hi\nhi\n$ clear\n$ after\n",
            "{clear:?}"
        );
    }
    // An erase below the cursor anywhere but home is an edit, not a clear.
    let input = cast(20, 5, &[(0.5, "o", "keep\r\nredraw\r\x1b[Jagain\r\n")]);
    assert_eq!(txt(&[], &input), "keep\nagain\n");
}

#[test]
fn alternate_screen_snapshot_and_skip() {
    let input = cast(
        20,
        6,
        &[
            (0.5, "o", "$ vim notes\r\n"),
            (
                1.0,
                "o",
                "\x1b[?1049h\x1b[H\x1b[2Jhello from vim\x1b[6;1H:wq",
            ),
            (2.0, "o", "\x1b[?1049l$ ls\r\nnotes\r\n"),
        ],
    );
    assert_eq!(
        txt(&[], &input),
        format!("$ vim notes\n{ALT_BEGIN}\nhello from vim\n\n\n\n\n:wq\n{ALT_END}\n$ ls\nnotes\n")
    );
    assert_eq!(
        txt(&["--alt-screen", "skip"], &input),
        "$ vim notes\n$ ls\nnotes\n"
    );
    // 47 and 1047 switch screens too, but leave the cursor where the program left it (here
    // after "pager"), so the shell goes on a line further down; a screen left blank leaves
    // no snapshot.
    for mode in ["47", "1047"] {
        let input = cast(
            20,
            4,
            &[(
                0.5,
                "o",
                &format!("a\r\n\x1b[?{mode}hpager\x1b[?{mode}l\r\nb\r\n"),
            )],
        );
        assert_eq!(
            txt(&[], &input),
            format!("a\n{ALT_BEGIN}\npager\n{ALT_END}\n\nb\n"),
            "{mode}"
        );
    }
    let input = cast(20, 4, &[(0.5, "o", "a\r\n\x1b[?1049h\x1b[?1049lb\r\n")]);
    assert_eq!(txt(&[], &input), "a\nb\n");
}

#[test]
fn alternate_screen_keeps_order_when_the_shell_redraws_above() {
    // zsh moves up a line after a full-screen widget and redraws its prompt there: the
    // redrawn prompt must not be lost, and the snapshot stays between the lines around it.
    let input = cast(
        30,
        5,
        &[
            (0.5, "o", "$ first\r\n$ \r\r\n"),
            (1.0, "o", "\x1b[?1049hhistory picker\x1b[?1049l"),
            (1.5, "o", "\x1b[A\r\x1b[J$ chosen command\r\noutput\r\n"),
        ],
    );
    assert_eq!(
        txt(&[], &input),
        format!("$ first\n$ chosen command\n{ALT_BEGIN}\nhistory picker\n{ALT_END}\noutput\n")
    );
}

#[test]
fn recording_ending_in_the_alternate_screen() {
    let input = cast(
        20,
        4,
        &[(0.5, "o", "$ top\r\n\x1b[?1049h\x1b[Hload 0.5\r\ntasks 9")],
    );
    assert_eq!(
        txt(&[], &input),
        format!("$ top\n{ALT_BEGIN}\nload 0.5\ntasks 9\n{ALT_END}\n")
    );
    assert_eq!(txt(&["--alt-screen", "skip"], &input), "$ top\n");
    // --screen shows what is on the screen: the program's.
    assert_eq!(txt(&["--screen"], &input), "load 0.5\ntasks 9\n");
}

#[test]
fn resizes_are_followed() {
    let input = cast(
        10,
        3,
        &[
            (0.5, "o", "0123456789abcde\r\n"),
            (1.0, "r", "20x3"),
            (1.5, "o", "wide enough for this\r\n"),
            (2.0, "r", "5x2"),
            (2.5, "o", "narrow wraps\r\n"),
            (3.0, "r", "0x0"),
            (3.5, "o", "end"),
        ],
    );
    assert_eq!(
        txt(&[], &input),
        "0123456789abcde\nwide enough for this\nnarrow wraps\nend\n"
    );
    // The old resize form "ROWS,COLS".
    let input = cast(4, 2, &[(0.5, "r", "2,12"), (1.0, "o", "no wrap here")]);
    assert_eq!(txt(&["--screen"], &input), "no wrap here\n");
}

#[test]
fn raw_removes_sequences_and_crlf_only() {
    let input = cast(
        10,
        3,
        &[
            (0.1, "o", "\x1b[1;32mgreen\x1b[0m text\r\n"),
            (0.2, "o", "split \x1b["),
            (
                0.3,
                "o",
                "31mred\x1b]0;title\x07 and \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\r",
            ),
            (0.4, "o", "\n10%\r50%\r100%\r\n"),
            (
                0.5,
                "o",
                "a line far longer than ten columns, not wrapped\r\n",
            ),
            (
                0.6,
                "o",
                "\x1b[?1049hfull screen\x1b[?1049l\x1b(B\x1b=no newline",
            ),
        ],
    );
    assert_eq!(
        txt(&["--raw"], &input),
        "green text\nsplit red and link\n10%\r50%\r100%\n\
         a line far longer than ten columns, not wrapped\nfull screenno newline\n"
    );
}

#[test]
fn screen_now_and_at_a_time() {
    let input = cast(
        20,
        3,
        &[
            (1.0, "o", "first\r\n"),
            (2.0, "m", "build"),
            (3.0, "o", "second\r\n"),
            (4.0, "o", "third\r\n"),
            (5.0, "m", "done"),
            (6.0, "o", "\x1b[2J\x1b[Hclean"),
        ],
    );
    assert_eq!(txt(&["--screen"], &input), "clean\n");
    assert_eq!(txt(&["--at", "0"], &input), "");
    assert_eq!(txt(&["--at", "1"], &input), "first\n");
    assert_eq!(txt(&["--at", "0:03.5"], &input), "first\nsecond\n");
    assert_eq!(txt(&["--at", "marker:build"], &input), "first\n");
    assert_eq!(txt(&["--at", "marker:done"], &input), "second\nthird\n");
    assert_eq!(txt(&["--at", "1:00:00"], &input), "clean\n");
    let d = Dir::new();
    d.write("m.cast", &input);
    let err = fails(&d.run(TOOL, &["--at", "marker:deploy", "m.cast"]));
    assert_eq!(
        err.trim_end(),
        "cast-to-txt: m.cast: no marker 'deploy'; markers: 'build', 'done'"
    );
    let err = fails(&d.run(TOOL, &["--at", "soon", "m.cast"]));
    assert!(err.contains("invalid time 'soon'"), "{err}");
    let err = fails(&d.run(TOOL, &["--raw", "--screen", "m.cast"]));
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn timestamps_are_when_lines_appeared() {
    let input = cast(
        20,
        2,
        &[
            (1.25, "o", "one\r\n"),
            (2.5, "o", "two\r\n"),
            (83.456, "o", "three\r\n"),
            (90.0, "o", "\x1b[?1049hfull\x1b[?1049l"),
            (3600.0, "o", "last"),
        ],
    );
    assert_eq!(
        txt(&["--timestamps"], &input),
        format!(
            "[0:00:01.250] one\n[0:00:02.500] two\n[0:01:23.456] three\n\
             [0:01:30.000] {ALT_BEGIN}\n[0:01:30.000] full\n[0:01:30.000] {ALT_END}\n\
             [1:00:00.000] last\n"
        )
    );
    assert_eq!(
        txt(&["--timestamps", "--raw"], &input),
        "[0:00:01.250] one\n[0:00:02.500] two\n[0:01:23.456] three\n[0:01:30.000] fulllast\n"
    );
    // Two rows: "one" has scrolled off by then.
    assert_eq!(
        txt(&["--timestamps", "--at", "3"], &input),
        "[0:00:02.500] two\n"
    );
    // A line keeps the time it first got text, through a clear and a resize.
    let input = cast(
        8,
        4,
        &[
            (1.0, "o", "abcdefghijkl\r\n"),
            (2.0, "r", "4x4"),
            (3.0, "o", "x\r\n\x1b[2J"),
        ],
    );
    assert_eq!(
        txt(&["--timestamps"], &input),
        "[0:00:01.000] abcdefghijkl\n[0:00:03.000] x\n"
    );
}

#[test]
fn stderr_events_merged_left_out_or_alone() {
    let input = cast(
        20,
        5,
        &[
            (0.5, "o", "out 1\r\n"),
            (1.0, "e", "err 1\r\n"),
            (1.5, "o", "out 2\r\n"),
        ],
    );
    assert_eq!(txt(&[], &input), "out 1\nerr 1\nout 2\n");
    assert_eq!(
        txt(&["--stderr", "include"], &input),
        "out 1\nerr 1\nout 2\n"
    );
    assert_eq!(txt(&["--stderr", "exclude"], &input), "out 1\nout 2\n");
    assert_eq!(txt(&["--stderr", "only"], &input), "err 1\n");
    assert_eq!(txt(&["--raw", "--stderr", "only"], &input), "err 1\n");
}

#[test]
fn other_events_and_versions() {
    let events = [
        (0.5, "i", "typed"),
        (0.6, "o", "shown\r\n"),
        (0.7, "x", "0"),
        (0.8, "rlib", "custom"),
    ];
    assert_eq!(txt(&[], &cast(20, 3, &events)), "shown\n");
    assert_eq!(txt(&[], &v3(&events)), "shown\n");
    let v1 = r#"{"version": 1, "width": 20, "height": 3, "stdout": [[0.5, "v1 text\r\n"], [0.1, "more"]]}"#;
    assert_eq!(txt(&[], v1), "v1 text\nmore\n");
}

#[test]
fn output_file_stdin_and_errors() {
    let d = Dir::new();
    d.write("a.cast", cast(20, 3, &[(0.5, "o", "hello\r\n")]));
    ok(&d.run(TOOL, &["-o", "a.txt", "a.cast"]));
    assert_eq!(d.read("a.txt"), "hello\n");
    assert_eq!(ok(&d.run_stdin(TOOL, &["-"], d.read("a.cast"))), "hello\n");

    let err = fails(&d.run(TOOL, &["a.cast", "a.cast"]));
    assert!(err.contains("several FILEs need -d/--out-dir"), "{err}");

    d.write("empty.cast", "");
    let err = fails(&d.run(TOOL, &["-o", "e.txt", "empty.cast"]));
    assert!(
        err.starts_with("cast-to-txt: empty.cast: not an asciicast recording"),
        "{err}"
    );
    assert!(
        !d.path("e.txt").exists(),
        "a failed run leaves no output file"
    );

    d.write(
        "bad.cast",
        "{\"version\": 2, \"width\": 9, \"height\": 2}\n[0.5, \"o\", \"a\"]\n[1.0 \"o\", \"b\"]\n",
    );
    let err = fails(&d.run(TOOL, &["bad.cast"]));
    assert_eq!(
        err.trim_end(),
        "cast-to-txt: bad.cast: line 3: malformed event: expected ',' after time"
    );

    d.write("cut.cast", "{\"version\": 2, \"width\": 9, \"height\": 2}\n[0.5, \"o\", \"whole\"]\n[1.0, \"o\", \" cut");
    let o = d.run(TOOL, &["cut.cast"]);
    assert_eq!(ok(&o), "whole cut\n");
    assert!(
        stderr(&o).starts_with("cast-to-txt: warning: cut.cast: line 3: "),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&d.run(TOOL, &["-q", "cut.cast"])), "");
    fails(&d.run(TOOL, &["--strict", "cut.cast"]));
}

#[test]
fn huge_sizes_are_clamped() {
    let input = "{\"version\": 2, \"width\": 65535, \"height\": 65535}\n[0.5, \"o\", \"fits\"]\n[1, \"r\", \"65535x65535\"]\n";
    assert_eq!(txt(&[], input), "fits\n");
    // One column is emulated as two: asciinema 3.2 crashes on a wide character there.
    let input = cast(
        12,
        4,
        &[(0.5, "o", "中文"), (1.0, "r", "1x1"), (1.5, "o", "x")],
    );
    assert!(txt(&[], &input).starts_with("中"));
}

#[test]
fn batch_converts_the_rest_after_a_bad_file() {
    let d = Dir::new();
    d.write("a.cast", cast(20, 3, &[(0.5, "o", "from a\r\n")]));
    d.write("b.cast", "not a recording\n");
    d.write("c.cast", v3(&[(0.5, "o", "from c\r\n")]));
    for threads in ["1", "2"] {
        let o = d.run(
            TOOL,
            &[
                "-j",
                threads,
                "-d",
                "out",
                "a.cast",
                "b.cast",
                "c.cast",
                "missing.cast",
            ],
        );
        let err = fails(&o);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with("cast-to-txt: b.cast: not an asciicast recording"),
            "{err}"
        );
        assert!(lines[1].starts_with("cast-to-txt: missing.cast: "), "{err}");
        assert_eq!(d.read("out/a.txt"), "from a\n");
        assert_eq!(d.read("out/c.txt"), "from c\n");
        assert!(!d.path("out/b.txt").exists());
    }
    // The same name twice would write one file twice.
    std::fs::create_dir(d.path("sub")).unwrap();
    d.write("sub/a.cast", cast(20, 3, &[(0.5, "o", "other a\r\n")]));
    let err = fails(&d.run(TOOL, &["-d", "out2", "a.cast", "sub/a.cast"]));
    assert!(
        err.contains("sub/a.cast: would write out2/a.txt again"),
        "{err}"
    );
    assert_eq!(d.read("out2/a.txt"), "from a\n");
}

#[test]
fn batch_over_a_tree() {
    let d = Dir::new();
    std::fs::create_dir_all(d.path("rec/x/y")).unwrap();
    d.write("rec/top.cast", cast(20, 3, &[(0.5, "o", "top\r\n")]));
    d.write("rec/x/y/deep.cast", cast(20, 3, &[(0.5, "o", "deep\r\n")]));
    d.write("rec/x/notes.md", "not a recording");
    let o = d.run(TOOL, &["-r", "rec", "-d", "txt"]);
    assert_eq!(ok(&o), "");
    assert_eq!(
        stderr(&o),
        "",
        "no progress bar when stderr is not a terminal"
    );
    assert_eq!(d.read("txt/top.txt"), "top\n");
    assert_eq!(d.read("txt/x/y/deep.txt"), "deep\n");
    assert!(!d.path("txt/x/notes.txt").exists());
    // Without -d the text goes beside each recording.
    ok(&d.run(TOOL, &["--raw", "-r", "rec"]));
    assert_eq!(d.read("rec/x/y/deep.txt"), "deep\n");
    let err = fails(&d.run(TOOL, &["-r", "rec", "rec/top.cast"]));
    assert!(err.contains("need -d/--out-dir"), "{err}");
    // -r is a switch, as in cast-grep and cast-info: folders are FILE arguments, the current
    // one when there are none, and -g picks the files.
    ok(&d.run(TOOL, &["-d", "txt2", "rec", "-r", "-g", "top*.cast"]));
    assert_eq!(d.read("txt2/top.txt"), "top\n");
    assert!(!d.path("txt2/x").exists());
    let o = cmd(TOOL)
        .args(["-r", "-d", "../txt3"])
        .current_dir(d.path("rec"))
        .output()
        .unwrap();
    ok(&o);
    assert_eq!(d.read("txt3/x/y/deep.txt"), "deep\n");
}

/// Many lines, so the output is far larger than a pipe buffer.
fn big_input() -> String {
    let mut s = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
    for k in 0..100_000 {
        s.push_str(&format!(
            "[{}.{:03}, \"o\", \"line {k} \\u001b[1mbold\\u001b[0m\\r\\n\"]\n",
            k / 1000,
            k % 1000
        ));
    }
    s
}

#[test]
fn closed_pipe_ends_quietly() {
    let d = Dir::new();
    d.write("big.cast", big_input());
    for args in [&[][..], &["--raw"][..]] {
        let (first, out) = read_then_close(
            cmd(TOOL)
                .args(args)
                .arg("big.cast")
                .current_dir(d.tmp.path()),
        );
        assert!(first.starts_with(b"line 0 bold\nline 1 bold\n"));
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stderr(&out), "");
    }
}

#[test]
fn live_pipe_keeps_flowing() {
    for args in [&[][..], &["--raw"][..]] {
        // Two rows: the first line has scrolled off once the third is written.
        let lines = live_lines(
            cmd(TOOL).args(args),
            b"{\"version\": 2, \"width\": 20, \"height\": 2}\n[0.5, \"o\", \"first\\r\\nsecond\\r\\nthird\"]\n",
            1,
        );
        assert_eq!(lines[0], "first\n");
    }
}

#[test]
fn output_to_full_disk_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let d = Dir::new();
    d.write("big.cast", big_input());
    for args in [&[][..], &["--raw"][..], &["--screen"][..]] {
        let f = std::fs::File::create("/dev/full").unwrap();
        let o = cmd(TOOL)
            .args(args)
            .arg("big.cast")
            .current_dir(d.tmp.path())
            .stdout(f)
            .output()
            .unwrap();
        let err = fails(&o);
        assert_eq!(
            err.trim_end(),
            "cast-to-txt: <stdout>: no space left on device"
        );
    }
}
