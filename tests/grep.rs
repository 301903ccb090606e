use std::process::Output;

use crate::util::*;

const G: &str = "cast-grep";

fn grep(d: &Dir, args: &[&str]) -> Output {
    d.run(G, args)
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// Runs on `input` from standard input; returns (status, stdout).
fn on(input: &str, args: &[&str]) -> (i32, String) {
    let d = Dir::new();
    let o = d.run_stdin(G, args, input);
    assert!(
        o.status.code() != Some(2),
        "args {args:?}\nstderr: {}",
        stderr(&o)
    );
    (code(&o), stdout(&o))
}

fn out(input: &str, args: &[&str]) -> String {
    on(input, args).1
}

#[test]
fn match_split_across_events_has_the_time_it_was_completed() {
    let input = v2(&[
        (1.0, "o", "$ make\r\n"),
        (2.0, "o", "fatal err"),
        (3.5, "o", "or: disk full\r\n"),
        (4.0, "o", "done\r\n"),
    ]);
    assert_eq!(
        out(&input, &["error"]),
        "0:00:03.500:fatal error: disk full\n"
    );
    // The time is when the match appeared, not when the line began or ended.
    assert_eq!(
        out(&input, &["fatal"]),
        "0:00:02.000:fatal error: disk full\n"
    );
    assert_eq!(
        out(&input, &["disk"]),
        "0:00:03.500:fatal error: disk full\n"
    );
    assert_eq!(
        out(&input, &["-v", "error"]),
        "0:00:01.000:$ make\n0:00:04.000:done\n"
    );
    assert_eq!(
        out(&v3(&[(1.0, "o", "x"), (61.25, "o", "y\n")]), &["xy"]),
        "0:01:01.250:xy\n"
    );
}

#[test]
fn colour_codes_do_not_break_matches() {
    let input = v2(&[
        (
            0.5,
            "o",
            "\u{1b}[1;31me\u{1b}[0;32mr\u{1b}[33mr\u{1b}]0;title\u{7}o\u{1b}[m",
        ),
        (
            0.75,
            "o",
            "\u{1b}[38;2;255;0;0mr\u{1b}(B\u{1b}[m happened\r\n",
        ),
    ]);
    assert_eq!(
        out(&input, &["error happened"]),
        "0:00:00.750:error happened\n"
    );
    // Escape sequences are not text.
    assert_eq!(on(&input, &["31m"]).0, 1);
    assert_eq!(on(&input, &["title"]).0, 1);
    // An escape sequence split over two events is still removed.
    let input = v2(&[(1.0, "o", "a\u{1b}[3"), (2.0, "o", "1mb\n")]);
    assert_eq!(out(&input, &["ab"]), "0:00:02.000:ab\n");
}

#[test]
fn unicode_escapes_surrogates_and_wide_characters() {
    // Written with \u escapes, as some recorders do.
    let input = "{\"version\": 2, \"width\": 80, \"height\": 24}\n\
        [1.0, \"o\", \"\\u00e9cole \\u4e2d\\u6587 \\ud83d\\ude00 ok\\r\\n\"]\n\
        [2.0, \"o\", \"raw \u{4e2d}\u{6587} \u{1f600}\\r\\n\"]\n";
    assert_eq!(out(input, &["école"]), "0:00:01.000:école 中文 😀 ok\n");
    assert_eq!(
        out(input, &["中文 😀"]),
        "0:00:01.000:école 中文 😀 ok\n0:00:02.000:raw 中文 😀\n"
    );
    assert_eq!(out(input, &["-c", "-F", "😀"]), "2\n");
    assert_eq!(
        out(input, &["-o", r"\p{Han}+"]),
        "0:00:01.000:中文\n0:00:02.000:中文\n"
    );
    // A wide character is two columns: two backspaces step back over one.
    let input = v2(&[(1.0, "o", "a中"), (2.0, "o", "\u{8}\u{8}b\r\n")]);
    assert_eq!(out(&input, &["ab"]), "0:00:02.000:ab \n");
}

#[test]
fn carriage_returns_show_the_final_state() {
    let input = v2(&[
        (1.0, "o", "Downloading [#    ] 10%"),
        (2.0, "o", "\rDownloading [###  ] 60%"),
        (3.0, "o", "\r\u{1b}[KDownloading [#####] 100%"),
        (3.5, "o", "\r\n"),
        (4.0, "o", "abcdef\rXY\r\n"),
    ]);
    assert_eq!(
        out(&input, &["%"]),
        "0:00:03.000:Downloading [#####] 100%\n"
    );
    assert_eq!(on(&input, &["60%"]).0, 1);
    assert_eq!(out(&input, &["XYcd"]), "0:00:04.000:XYcdef\n");
    // Only the overwritten part is new.
    let input = v2(&[(1.0, "o", "status: ok   "), (5.0, "o", "\r\u{1b}[8Cfail\n")]);
    assert_eq!(out(&input, &["status"]), "0:00:01.000:status: fail \n");
    assert_eq!(
        out(&input, &["-o", "status|fail"]),
        "0:00:01.000:status\n0:00:05.000:fail\n"
    );
}

fn numbered(n: usize) -> String {
    let ev: Vec<(f64, &str, String)> = (1..=n)
        .map(|k| (k as f64, "o", format!("line {k}\r\n")))
        .collect();
    let ev: Vec<(f64, &str, &str)> = ev.iter().map(|(t, c, d)| (*t, *c, d.as_str())).collect();
    v2(&ev)
}

#[test]
fn context_lines() {
    let input = numbered(12);
    assert_eq!(
        out(&input, &["-C", "1", "line [36]$"]),
        "0:00:02.000-line 2\n0:00:03.000:line 3\n0:00:04.000-line 4\n\
         0:00:05.000-line 5\n0:00:06.000:line 6\n0:00:07.000-line 7\n"
    );
    assert_eq!(
        out(&input, &["-C", "1", "line [39]$"]),
        "0:00:02.000-line 2\n0:00:03.000:line 3\n0:00:04.000-line 4\n--\n\
         0:00:08.000-line 8\n0:00:09.000:line 9\n0:00:10.000-line 10\n"
    );
    assert_eq!(
        out(&input, &["-A", "2", "line 1[01]"]),
        "0:00:10.000:line 10\n0:00:11.000:line 11\n0:00:12.000-line 12\n"
    );
    assert_eq!(
        out(&input, &["-B", "2", "-H", "line 12"]),
        "<stdin>-0:00:10.000-line 10\n<stdin>-0:00:11.000-line 11\n<stdin>:0:00:12.000:line 12\n"
    );
    assert_eq!(
        out(&input, &["-m", "1", "-A", "1", "line [12]$"]),
        "0:00:01.000:line 1\n0:00:02.000-line 2\n"
    );
    assert_eq!(
        out(&input, &["-v", "-B", "1", "-m", "2", "line ([1-9]|1[01])$"]),
        "0:00:11.000-line 11\n0:00:12.000:line 12\n"
    );
}

#[test]
fn context_reaches_across_blocks() {
    // Far more text than one search block, context on both sides of the boundary.
    let input = numbered(20_000);
    assert_eq!(
        out(&input, &["-C", "2", "^line 15000$"]),
        "4:09:58.000-line 14998\n4:09:59.000-line 14999\n4:10:00.000:line 15000\n\
         4:10:01.000-line 15001\n4:10:02.000-line 15002\n"
    );
    assert_eq!(
        out(&input, &["-c", "-v", "5"]),
        format!(
            "{}\n",
            (1..=20_000)
                .filter(|k| !k.to_string().contains('5'))
                .count()
        )
    );
}

#[test]
fn grep_flags() {
    let input = v2(&[
        (1.0, "o", "Error: one\r\n"),
        (2.0, "o", "no errors here\r\n"),
        (3.0, "o", "a.c abc\r\n"),
        (4.0, "o", "error\r\n"),
    ]);
    assert_eq!(
        out(&input, &["-i", "error"]),
        "0:00:01.000:Error: one\n0:00:02.000:no errors here\n0:00:04.000:error\n"
    );
    assert_eq!(
        out(&input, &["-i", "-w", "error"]),
        "0:00:01.000:Error: one\n0:00:04.000:error\n"
    );
    assert_eq!(out(&input, &["-x", "error"]), "0:00:04.000:error\n");
    assert_eq!(out(&input, &["-F", "a.c"]), "0:00:03.000:a.c abc\n");
    assert_eq!(
        out(&input, &["-o", "a.c"]),
        "0:00:03.000:a.c\n0:00:03.000:abc\n"
    );
    assert_eq!(
        out(&input, &["-e", "one", "-e", "abc"]),
        "0:00:01.000:Error: one\n0:00:03.000:a.c abc\n"
    );
    assert_eq!(out(&input, &["-c", "-v", "rr"]), "1\n");
    assert_eq!(
        out(&input, &["-m", "1", "-i", "error"]),
        "0:00:01.000:Error: one\n"
    );
    assert_eq!(on(&input, &["-q", "abc"]), (0, String::new()));
    assert_eq!(on(&input, &["-q", "zzz"]), (1, String::new()));
    assert_eq!(out(&input, &["-l", "abc"]), "<stdin>\n");
    assert_eq!(out(&input, &["-L", "zzz"]), "<stdin>\n");
    assert_eq!(out(&input, &["-L", "abc"]), "");
    assert_eq!(
        out(&input, &["--no-filename", "-H", "one"]),
        "<stdin>:0:00:01.000:Error: one\n"
    );
    assert_eq!(
        out(&input, &["-H", "--no-filename", "one"]),
        "0:00:01.000:Error: one\n"
    );
    let (status, text) = on(&input, &["-m", "0", "error"]);
    assert_eq!((status, text.as_str()), (1, ""));
    // A pattern given with -e makes every positional argument a file.
    let d = Dir::new();
    d.write("a.cast", &input);
    assert_eq!(
        ok(&grep(&d, &["-e", "abc", "a.cast"])),
        "0:00:03.000:a.c abc\n"
    );
}

#[test]
fn colour() {
    let input = v2(&[(1.0, "o", "an error\r\n")]);
    assert_eq!(
        out(&input, &["--color=always", "-H", "error"]),
        "\u{1b}[35m<stdin>\u{1b}[0m\u{1b}[36m:\u{1b}[0m\u{1b}[32m0:00:01.000\u{1b}[0m\u{1b}[36m:\u{1b}[0man \u{1b}[1;31merror\u{1b}[0m\n"
    );
    assert_eq!(
        out(&input, &["--color=never", "error"]),
        "0:00:01.000:an error\n"
    );
    // auto: standard output is not a terminal here. `--color` alone is auto, as in grep.
    assert_eq!(
        out(&input, &["--color=auto", "error"]),
        "0:00:01.000:an error\n"
    );
    assert_eq!(out(&input, &["--color", "error"]), "0:00:01.000:an error\n");
    // NO_COLOR only changes auto.
    let o = run_with_stdin(
        cmd(G)
            .env("NO_COLOR", "1")
            .args(["--color=always", "error"]),
        input.as_bytes(),
    );
    assert!(stdout(&o).contains("\u{1b}[1;31merror"), "{}", stdout(&o));
}

#[test]
fn input_stderr_and_markers() {
    let input = v3(&[
        (1.0, "i", "l"),
        (1.1, "o", "l"),
        (1.2, "i", "sx\u{7f}"),
        (1.3, "o", "s\u{8} \u{8}"),
        (1.5, "i", "\r"),
        (1.6, "o", "\r\nfile\r\n"),
        (2.0, "e", "warning: low disk\n"),
        (3.0, "m", "chapter two"),
        (3.5, "x", "0"),
    ]);
    assert_eq!(out(&input, &["--input", "^ls$"]), "0:00:01.200:ls\n");
    assert_eq!(
        out(&input, &["--stderr", "."]),
        "0:00:02.000:warning: low disk\n"
    );
    assert_eq!(
        out(&input, &["--markers", "two"]),
        "0:00:03.000:chapter two\n"
    );
    // By default the screen: output and stderr together, not input or markers.
    assert_eq!(out(&input, &["-c", "."]), "3\n");
    assert_eq!(on(&input, &["chapter"]).0, 1);
}

#[test]
fn json_output() {
    let input = v2(&[
        (1.0, "o", "say \"hi\" "),
        (2.5, "o", "hi\r\n"),
        (3.0, "o", "x\r\n"),
    ]);
    let text = out(&input, &["--json", "hi", "-A", "1"]);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        serde_json::json!({"type": "match", "file": "<stdin>", "time": 1.0, "event": 0,
            "line": "say \"hi\" hi", "matches": [
                {"start": 5, "end": 7, "time": 1.0, "event": 0},
                {"start": 9, "end": 11, "time": 2.5, "event": 1}]})
    );
    assert_eq!(lines[1]["type"], "context");
    assert_eq!(lines[1]["line"], "x");
    assert_eq!(lines[1]["time"], 3.0);
}

#[test]
fn cast_output_is_a_recording() {
    let input = v3(&[
        (1.0, "o", "one\r\n"),
        (2.0, "o", "fatal "),
        (2.5, "o", "\u{1b}[31m"),
        (3.0, "o", "error\u{1b}[0m\r\n"),
        (4.0, "r", "100x30"),
        (5.0, "o", "two\r\n"),
    ]);
    let d = Dir::new();
    d.write("a.cast", &input);
    let text = ok(&grep(&d, &["--cast", "error", "a.cast"]));
    let (h, evs) = parse_cast(&text);
    assert_eq!(h["version"], 3);
    assert_eq!(
        evs,
        vec![
            (2_000_000, "o".into(), "fatal ".into()),
            (3_000_000, "o".into(), "error\u{1b}[0m\r\n".into())
        ]
    );
    // It reads back, and composes.
    ok(&d.run_stdin("cast-idle", &["-l", "1000"], &text));
    let again = ok(&d.run_stdin(G, &["fatal"], &text));
    assert_eq!(again, "0:00:02.000:fatal error\n");
    // No match: still a valid recording, and status 1.
    let o = grep(&d, &["--cast", "nothing", "a.cast"]);
    assert_eq!(code(&o), 1);
    assert_eq!(parse_cast(&stdout(&o)).1, vec![]);
    // Several inputs: one recording, each input after a marker naming it.
    d.write("b.cast", v2(&[(0.5, "o", "late error\n")]));
    let text = ok(&grep(&d, &["--cast", "error", "a.cast", "b.cast"]));
    let (_, evs) = parse_cast(&text);
    assert_eq!(
        evs.iter().map(|e| (e.0, e.1.as_str())).collect::<Vec<_>>(),
        [
            (2_000_000, "m"),
            (2_000_000, "o"),
            (3_000_000, "o"),
            (3_500_000, "m"),
            (3_500_000, "o")
        ]
    );
    assert_eq!(evs[0].2, "a.cast");
    assert_eq!(evs[3].2, "b.cast");
}

#[test]
fn several_files_in_argument_order_and_exit_status() {
    let d = Dir::new();
    let mut names = Vec::new();
    for k in 0..40 {
        let name = format!("f{k:02}.cast");
        let ev: Vec<(f64, &str, String)> = (0..(if k % 3 == 0 { 3000 } else { 10 }))
            .map(|j| (j as f64 * 0.01, "o", format!("file {k} line {j}\r\n")))
            .collect();
        let ev: Vec<(f64, &str, &str)> = ev.iter().map(|(t, c, s)| (*t, *c, s.as_str())).collect();
        d.write(&name, v2(&ev));
        names.push(name);
    }
    let mut args = vec!["-c", "line [0-5]$"];
    args.extend(names.iter().map(String::as_str));
    let text = ok(&grep(&d, &args));
    let want: String = names.iter().map(|n| format!("{n}:6\n")).collect();
    assert_eq!(text, want);

    // An error in one file does not stop the others; the status says so.
    d.write("bad.cast", "not a recording\n");
    let o = grep(
        &d,
        &[
            "line 9$",
            "f01.cast",
            "bad.cast",
            "missing.cast",
            "f02.cast",
        ],
    );
    assert_eq!(code(&o), 2);
    assert_eq!(
        stdout(&o),
        "f01.cast:0:00:00.090:file 1 line 9\nf02.cast:0:00:00.090:file 2 line 9\n"
    );
    assert_eq!(
        stderr(&o),
        "cast-grep: bad.cast: not an asciicast recording: the first line is not a JSON header\n\
         cast-grep: missing.cast: no such file or directory\n"
    );
    // -s hides the messages, not the status.
    let o = grep(&d, &["-s", "line 9$", "bad.cast", "f02.cast"]);
    assert_eq!((code(&o), stderr(&o).as_str()), (2, ""));
    // -q: a match wins over an error.
    let o = grep(&d, &["-q", "line 9$", "missing.cast", "f02.cast"]);
    assert_eq!(code(&o), 0);
    let o = grep(&d, &["-q", "nothing", "missing.cast", "f02.cast"]);
    assert_eq!(code(&o), 2);
    assert_eq!(code(&grep(&d, &["nothing", "f02.cast"])), 1);
    // A bad pattern is an error.
    let err = fails(&grep(&d, &["a(", "f02.cast"]));
    assert!(err.starts_with("cast-grep: invalid pattern: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn recursive_with_globs() {
    let d = Dir::new();
    std::fs::create_dir_all(d.path("rec/sub")).unwrap();
    let hit = v2(&[(1.0, "o", "needle\n")]);
    d.write("rec/a.cast", &hit);
    d.write("rec/sub/b.cast", &hit);
    d.write("rec/sub/c.json", &hit);
    d.write("rec/sub/notes.txt", "needle\n");
    d.write("rec/package.json", "{\"name\": \"not a recording\"}\n");
    std::fs::create_dir_all(d.path("rec/.hidden")).unwrap();
    d.write("rec/.hidden/h.cast", &hit);
    d.write("rec/.h.cast", &hit);
    assert_eq!(
        ok(&grep(&d, &["-r", "-l", "needle", "rec"])),
        "rec/a.cast\nrec/sub/b.cast\nrec/sub/c.json\n"
    );
    assert_eq!(
        ok(&grep(
            &d,
            &["-r", "needle", "rec", "-g", "!*.json", "-g", "!a.*"]
        )),
        "rec/sub/b.cast:0:00:01.000:needle\n"
    );
    assert_eq!(
        ok(&grep(
            &d,
            &["-r", "-c", "needle", "-g", "sub/*.cast", "rec"]
        )),
        "rec/sub/b.cast:1\n"
    );
    // -j, shared with cast-info and cast-to-txt: any number of threads, the same output.
    for j in ["1", "3"] {
        assert_eq!(
            ok(&grep(&d, &["-r", "-j", j, "-c", "needle", "rec"])),
            "rec/a.cast:1\nrec/sub/b.cast:1\nrec/sub/c.json:1\n"
        );
    }
    // A directory without -r is an error.
    let err = fails(&grep(&d, &["needle", "rec"]));
    assert!(err.contains("rec: is a directory"), "{err}");
}

#[test]
fn match_at_the_end_of_a_truncated_recording() {
    let d = Dir::new();
    d.write(
        "t.cast",
        "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"first\\r\\n\"]\n[1.25, \"o\", \"last words",
    );
    let o = grep(&d, &["words", "t.cast"]);
    assert_eq!(ok(&o), "0:00:01.250:last words\n");
    assert!(
        stderr(&o).starts_with("cast-grep: warning: t.cast: line 3: "),
        "{}",
        stderr(&o)
    );
    let o = grep(&d, &["-s", "words", "t.cast"]);
    assert_eq!(stderr(&o), "");
}

#[test]
fn v1_recordings() {
    let d = Dir::new();
    d.write(
        "old.json",
        "{\"version\": 1, \"width\": 80, \"height\": 24, \"stdout\": [[0.5, \"he\"], [0.25, \"llo\\r\\n\"]]}",
    );
    assert_eq!(ok(&grep(&d, &["hello", "old.json"])), "0:00:00.750:hello\n");
}

#[test]
fn closed_pipe_ends_quietly() {
    let d = Dir::new();
    d.write("big.cast", numbered(100_000));
    let (_, o) = read_then_close(cmd(G).args(["line", "big.cast"]).current_dir(d.tmp.path()));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

/// `tail -f x.cast | cast-grep --line-buffered error`: a match comes out while the input is
/// still open.
#[test]
fn live_pipe_keeps_flowing() {
    for extra in [&[][..], &["--line-buffered"][..]] {
        let lines = live_lines(
            cmd(G).args(extra).arg("error"),
            b"{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"an err\"]\n[0.75, \"o\", \"or\\r\\n\"]\n",
            1,
        );
        assert_eq!(lines[0], "0:00:00.750:an error\n");
    }
}

#[test]
fn big_file_read_on_two_threads_gives_the_same_answers() {
    // Over the size at which one input is read on a thread of its own.
    let d = Dir::new();
    let mut s = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
    for k in 0..120_000 {
        s.push_str(&format!(
            "[{}.{:03}, \"o\", \"\\u001b[32mline\\u001b[0m {k} of text that is long enough to matter\\r\\n\"]\n",
            k / 1000,
            k % 1000
        ));
    }
    s.push_str("[999.5, \"o\", \"the end\"]\n");
    assert!(s.len() > 8 << 20);
    d.write("big.cast", &s);
    assert_eq!(ok(&grep(&d, &["-c", "7 of", "big.cast"])), "12000\n");
    assert_eq!(
        ok(&grep(&d, &["-m", "2", "99 of", "big.cast"])),
        "0:00:00.099:line 99 of text that is long enough to matter\n0:00:00.199:line 199 of text that is long enough to matter\n"
    );
    assert_eq!(ok(&grep(&d, &["end", "big.cast"])), "0:16:39.500:the end\n");
    assert_eq!(code(&grep(&d, &["-q", "line", "big.cast"])), 0);
    // The same through a pipe (one thread).
    assert_eq!(ok(&d.run_stdin(G, &["-c", "7 of"], &s)), "12000\n");
}

#[test]
fn help_and_usage() {
    castkit::cmd::grep::command().debug_assert();
    let d = Dir::new();
    let help = ok(&grep(&d, &["--help"]));
    assert!(help.contains("Exit status:"), "{help}");
    assert!(help.contains("Full-screen programs"), "{help}");
    let err = fails(&grep(&d, &[]));
    assert!(err.contains("PATTERN"), "{err}");
    fails(&grep(&d, &["--json", "-c", "x"]));
}

/// Every time castkit prints (cast-grep, cast-info's markers, cast-to-txt --timestamps), given
/// back to `--at`, selects the moment it names: here the text shows at 83.913195 s and is
/// cleared 300 µs later, so a time cut or rounded to milliseconds misses it.
#[test]
fn printed_times_find_the_moment_again() {
    let d = Dir::new();
    let f = d.write(
        "a.cast",
        v2(&[
            (1.0, "o", "waiting\r\n"),
            (83.913195, "o", "the answer is 42\r\n"),
            (83.913195, "m", "answer"),
            (83.913495, "o", "\u{1b}[H\u{1b}[2Jgone\r\n"),
            (90.0, "o", "end\r\n"),
        ]),
    );
    let path = f.to_str().unwrap();
    let at = |t: &str| ok(&d.run("cast-to-txt", &["--at", t, path]));
    let shown = |t: &str| {
        let screen = at(t);
        assert!(screen.contains("the answer is 42"), "--at {t}: {screen}");
    };
    // cast-grep
    let g = ok(&d.run(G, &["answer", path]));
    let t = g.split_once(":the answer").expect("a match").0;
    assert_eq!(t, "0:01:23.913195");
    shown(t);
    // cast-grep --json gives seconds, exact too.
    let j = ok(&d.run(G, &["--json", "answer", path]));
    let v: serde_json::Value = serde_json::from_str(j.lines().next().unwrap()).unwrap();
    shown(&v["time"].to_string());
    // cast-info's markers
    let info = ok(&d.run("cast-info", &[path]));
    let line = info.lines().find(|l| l.contains("answer")).expect("marker");
    let t = line
        .split_whitespace()
        .find(|w| w.contains(':') && w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap();
    shown(t);
    // cast-to-txt --timestamps
    let ts = ok(&d.run("cast-to-txt", &["--timestamps", "--raw", path]));
    let line = ts.lines().find(|l| l.contains("answer")).expect("line");
    let t = line.trim_start_matches('[').split_once(']').unwrap().0;
    shown(t);
    // A whole millisecond keeps the short form.
    let g = ok(&d.run(G, &["end", path]));
    assert!(g.starts_with("0:01:30.000:end"), "{g}");
}

/// Records a full-screen program with cast-rec (headless, keys fed with pauses) into `name`.
fn record_full_screen(d: &Dir, name: &str, size: (&str, &str), command: &str, keys: &str) {
    let script = format!(
        "({keys}) | '{}' --headless --cols {} --rows {} --overwrite -q -c \"{command}\" {name} > /dev/null",
        bin("cast-rec").display(),
        size.0,
        size.1
    );
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(d.tmp.path())
        .env("TERM", "xterm-256color")
        .output()
        .expect("sh");
    assert!(d.path(name).exists(), "{script}: {}", stderr(&o));
}

/// Every row of text an independent emulator (pyte) shows in recordings of vim, less and top
/// is found by cast-grep at a time it was on screen (tests/pyte/grep_rows.py checks).
#[test]
fn finds_every_row_full_screen_programs_show() {
    for tool in ["vim", "less", "top"] {
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .expect("sh");
        assert!(
            status.status.success(),
            "{tool} is needed for this test (.ci/run installs it)"
        );
    }
    let d = Dir::new();
    let lines: String = (1..=200).map(|k| format!("line number {k}\n")).collect();
    d.write("file.txt", lines);
    record_full_screen(
        &d,
        "vim.cast",
        ("80", "24"),
        "vim -u NONE -i NONE -n file.txt",
        "sleep 1; printf 50G; sleep 0.4; printf ggjjjjj; sleep 0.3; printf '/number 120\\r'; \
         sleep 0.4; printf '\\005\\005\\004'; sleep 0.3; printf 'ohello there'; sleep 0.3; \
         printf '\\033dd'; sleep 0.3; printf ':q!\\r'; sleep 0.5",
    );
    record_full_screen(
        &d,
        "less.cast",
        ("80", "24"),
        "less file.txt",
        "sleep 0.7; printf ' '; sleep 0.3; printf jjj; sleep 0.3; printf kk; sleep 0.3; \
         printf '/number 150\\r'; sleep 0.4; printf G; sleep 0.3; printf g; sleep 0.3; printf q",
    );
    record_full_screen(&d, "top.cast", ("100", "30"), "top -d 0.5 -n 4", "sleep 3");
    for name in ["vim.cast", "less.cast", "top.cast"] {
        let o = python("grep_rows.py", |c| c.arg(bin(G)).arg(d.path(name)));
        assert!(o.status.success(), "{name}: {}{}", stdout(&o), stderr(&o));
        assert!(stdout(&o).starts_with("found "), "{}", stdout(&o));
    }
}

/// Plain output is still read as lines scrolled past: a repeated line is found each time it
/// was printed, a line longer than the terminal is one line, and output after the program
/// leaves the alternate screen is read line by line again.
#[test]
fn plain_output_stays_lines_around_full_screen_parts() {
    let long = "long ".repeat(30);
    let input = v2(&[
        (1.0, "o", "ok\r\nok\r\n"),
        (1.5, "o", &format!("{long}end\r\n")),
        (
            2.0,
            "o",
            "$ vim\r\n\u{1b}[?1049h\u{1b}[H\u{1b}[2Jline number 3",
        ),
        (2.5, "o", "\u{1b}[1;14H6"),
        (3.0, "o", "\u{1b}[?1049l$ "),
        (3.5, "o", "ls\r\nok\r\n"),
    ]);
    let o = out(&input, &["ok"]);
    assert_eq!(o, "0:00:01.000:ok\n0:00:01.000:ok\n0:00:03.500:ok\n", "{o}");
    let o = out(&input, &["-c", "long end"]);
    assert_eq!(o, "1\n");
    let o = out(&input, &["number 36"]);
    assert_eq!(o, "0:00:02.500:line number 36\n");
    let o = out(&input, &["line number 3"]);
    assert_eq!(
        o, "0:00:02.000:line number 36\n",
        "found once, when it showed"
    );
    let o = out(&input, &["ls"]);
    assert_eq!(o, "0:00:03.500:$ ls\n");
}

#[test]
fn dash_n_prints_the_event_number_as_json_does() {
    let input = v2(&[
        (0.5, "o", "hello\r\n"),
        (0.7, "i", "typed"),
        (1.0, "o", "an err"),
        (1.5, "o", "or here\r\n"),
    ]);
    assert_eq!(
        out(&input, &["-n", "error"]),
        "3:0:00:01.500:an error here\n"
    );
    assert_eq!(
        out(&input, &["--line-number", "-C", "1", "error"]),
        "0-0:00:00.500-hello\n3:0:00:01.500:an error here\n"
    );
    let (_, json) = on(&input, &["--json", "error"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["event"], 3);
    // With a file name, the number comes after it, as in grep.
    let d = Dir::new();
    d.write("a.cast", &input);
    let o = grep(&d, &["-H", "-n", "-o", "err", "a.cast"]);
    assert_eq!(stdout(&o), "a.cast:2:0:00:01.000:err\n");
}
