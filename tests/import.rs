//! cast-import: ttyrec files made here, and script(1) sessions recorded here with util-linux.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// One ttyrec record.
fn rec(sec: u32, usec: u32, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(sec.to_le_bytes());
    v.extend(usec.to_le_bytes());
    v.extend((data.len() as u32).to_le_bytes());
    v.extend(data);
    v
}

fn ttyrec_sample() -> Vec<u8> {
    let euro = "€".as_bytes();
    let mut f = rec(1_700_000_000, 999_999, b"start \x1b[1mbold\x1b[0m ");
    // A character split across records, then invalid bytes.
    f.extend(rec(1_700_000_001, 5, &[b'a', euro[0]]));
    f.extend(rec(1_700_000_001, 6, &euro[1..]));
    f.extend(rec(1_700_000_003, 500_000, b" bad \xff\xfe end\r\n"));
    f
}

#[test]
fn ttyrec_times_text_and_size() {
    let d = Dir::new();
    d.write("s.ttyrec", ttyrec_sample());
    let o = d.run("cast-import", &["s.ttyrec"]);
    let out = ok(&o);
    let (h, ev) = parse_cast(&out);
    assert_eq!(h["version"], 2);
    assert_eq!(h["timestamp"], 1_700_000_000);
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(80), Some(24))
    );
    // No size in a ttyrec file: a note says the default was used.
    assert!(
        stderr(&o)
            .contains("s.ttyrec: note: the recording does not say its terminal size; using 80x24"),
        "{}",
        stderr(&o)
    );
    let want: Vec<Ev> = vec![
        (0, "o".into(), "start \x1b[1mbold\x1b[0m ".into()),
        (6, "o".into(), "a".into()),
        (7, "o".into(), "€".into()),
        (
            2_500_001,
            "o".into(),
            " bad \u{fffd}\u{fffd} end\r\n".into(),
        ),
    ];
    assert_eq!(ev, want);
    // Exact text of the times, both versions.
    assert!(out.contains("[0.000006, \"o\", \"a\"]\n"), "{out}");
    let v3 = ok(&d.run(
        "cast-import",
        &[
            "--format", "v3", "--cols", "100", "--rows", "30", "s.ttyrec",
        ],
    ));
    assert!(
        v3.starts_with("{\"version\":3,\"term\":{\"cols\":100,\"rows\":30}"),
        "{v3}"
    );
    assert!(v3.contains("[0.000001, \"o\", \"€\"]\n"), "{v3}");
    assert_eq!(parse_cast(&v3).1, want);
    // Standard input, and -q silences the note.
    let o = d.run_stdin("cast-import", &["-q"], ttyrec_sample());
    assert_eq!(ok(&o), out);
    assert_eq!(stderr(&o), "");
}

#[test]
fn ttyrec_size_from_a_resize_request_in_the_output() {
    let d = Dir::new();
    let mut f = rec(10, 0, b"hello ");
    f.extend(rec(11, 0, b"\x1b[8;"));
    f.extend(rec(11, 1, b"40;132tworld"));
    f.extend(rec(12, 0, b"\x1b[8;50;160t"));
    d.write("r.ttyrec", &f);
    let o = d.run("cast-import", &["r.ttyrec"]);
    let (h, ev) = parse_cast(&ok(&o));
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(132), Some(40))
    );
    assert!(!stderr(&o).contains("note"), "{}", stderr(&o));
    // The next request resizes the terminal.
    assert_eq!(
        ev.last().unwrap(),
        &(2_000_000, "r".into(), "160x50".into())
    );
    assert_eq!(ev.iter().filter(|e| e.1 == "r").count(), 1);
}

#[test]
fn ttyrec_cut_off_keeps_complete_records() {
    let d = Dir::new();
    let mut f = ttyrec_sample();
    let good = f.len();
    f.extend(rec(1_700_000_009, 0, b"never seen, cut off"));
    f.truncate(f.len() - 5);
    d.write("cut.ttyrec", &f);
    let o = d.run("cast-import", &["-o", "cut.cast", "cut.ttyrec"]);
    ok(&o);
    assert!(
        stderr(&o).contains(&format!("cast-import: warning: cut.ttyrec: byte {good}: the last record was cut off (14 of its 19 bytes); kept the 4 complete records")),
        "{}",
        stderr(&o)
    );
    let (_, ev) = parse_cast(&d.read("cut.cast"));
    assert_eq!(ev.len(), 4);
    // A header cut off too.
    d.write("cut2.ttyrec", &f[..good + 7]);
    let o = d.run("cast-import", &["cut2.ttyrec"]);
    assert_eq!(parse_cast(&ok(&o)).1.len(), 4);
    assert!(stderr(&o).contains(&format!(
        "byte {good}: the last record's header was cut off"
    )));
    // With --strict: an error, and -o is not written.
    let err = fails(&d.run(
        "cast-import",
        &["--strict", "-o", "strict.cast", "cut.ttyrec"],
    ));
    assert!(
        err.starts_with(&format!("cast-import: cut.ttyrec: byte {good}: ")),
        "{err}"
    );
    assert!(!d.path("strict.cast").exists());
}

#[test]
fn damaged_record_and_garbage() {
    let d = Dir::new();
    let mut f = ttyrec_sample();
    let good = f.len();
    f.extend([0xffu8; 40]);
    d.write("dmg.ttyrec", &f);
    let o = d.run("cast-import", &["-q", "dmg.ttyrec"]);
    assert_eq!(parse_cast(&ok(&o)).1.len(), 4);
    let err = fails(&d.run("cast-import", &["--strict", "dmg.ttyrec"]));
    assert!(
        err.contains(&format!("dmg.ttyrec: byte {good}: damaged record")),
        "{err}"
    );
    // Binary garbage, text, an asciicast file, an empty file: errors, exit 2, no panic.
    let mut x: u32 = 12345;
    let junk: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    for (name, data, msg) in [
        (
            "junk.bin",
            junk,
            "byte 0: not a ttyrec file or a script(1) log",
        ),
        (
            "notes.txt",
            b"hello there\n".to_vec(),
            "byte 0: not a ttyrec file",
        ),
        (
            "a.cast",
            v2(&[(1.0, "o", "x")]).into_bytes(),
            "already an asciicast recording",
        ),
        ("empty", Vec::new(), "byte 0: empty input"),
    ] {
        d.write(name, &data);
        let err = fails(&d.run("cast-import", &[name]));
        assert!(
            err.starts_with(&format!("cast-import: {name}: ")) && err.contains(msg),
            "{err}"
        );
    }
    let err = fails(&d.run("cast-import", &["missing.ttyrec"]));
    assert!(err.contains("missing.ttyrec: no such file"), "{err}");
}

#[test]
fn compressed_ttyrec_in_compressed_cast_out() {
    let d = Dir::new();
    let raw = ttyrec_sample();
    d.write("s.ttyrec", &raw);
    let want = ok(&d.run("cast-import", &["-q", "s.ttyrec"]));
    d.write(
        "s.ttyrec.zst",
        zstd::stream::encode_all(&raw[..], 3).unwrap(),
    );
    ok(&d.run("cast-import", &["-q", "s.ttyrec.zst", "-o", "s.cast.gz"]));
    let gz = std::fs::read(d.path("s.cast.gz")).unwrap();
    assert_eq!(&gz[..2], b"\x1f\x8b");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    assert_eq!(text, want);
}

/// script(1) as recorded here: the events' output is the typescript's bytes without
/// script's own first and last lines, and the times are the timing file's sums.
#[test]
fn script_classic_recorded_here() {
    if !have("script") {
        eprintln!("note: util-linux script not available: skipped");
        return;
    }
    let d = Dir::new();
    let st = Command::new("script")
        .args(["-q", "-T", "t.tm", "-c", "printf 'one\\n'; sleep 0.2; printf 'caf\\303\\251 \\342\\202'; sleep 0.1; printf '\\254 two\\n'", "t.ts"])
        .current_dir(d.tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    let ts = std::fs::read(d.path("t.ts")).unwrap();
    let tm = d.read("t.tm");
    let o = d.run("cast-import", &["--timing", "t.tm", "t.ts"]);
    let out = ok(&o);
    let (h, ev) = parse_cast(&out);
    assert!(
        !out.contains("Script started") && !out.contains("Script done"),
        "{out}"
    );
    let text: String = ev
        .iter()
        .filter(|e| e.1 == "o")
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(text, "one\r\ncafé € two\r\n");
    // The sum of the delays, exactly.
    let mut sum = 0i64;
    let mut times = Vec::new();
    for l in tm.lines() {
        let (d, _) = l.split_once(' ').unwrap();
        let (s, us) = d.split_once('.').unwrap();
        sum += s.parse::<i64>().unwrap() * 1_000_000 + us.parse::<i64>().unwrap();
        times.push(sum);
    }
    let otimes: Vec<i64> = ev.iter().filter(|e| e.1 == "o").map(|e| e.0).collect();
    assert!(
        otimes.iter().all(|t| times.contains(t)),
        "{otimes:?} {times:?}"
    );
    assert_eq!(ev.last().unwrap(), &(sum, "x".into(), "0".into()));
    // The header: the start time from script's first line, the command.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let ts_h = h["timestamp"].as_i64().unwrap();
    assert!((now - ts_h).abs() < 120, "{ts_h} vs {now}");
    assert!(h["command"].as_str().unwrap().starts_with("printf 'one"));
    assert!(String::from_utf8_lossy(&ts).starts_with("Script started on "));
    // A typescript cut short: the complete entries are kept, and the warning names the byte.
    let header_len = ts.iter().position(|&b| b == b'\n').unwrap() + 1;
    d.write("short.ts", &ts[..header_len + 6]);
    let o = d.run("cast-import", &["--timing", "t.tm", "short.ts"]);
    let (_, ev) = parse_cast(&ok(&o));
    assert_eq!(
        ev.iter().map(|e| e.2.as_str()).collect::<String>(),
        "one\r\n"
    );
    assert!(
        stderr(&o).contains(&format!(
            "short.ts: byte {}: the log ends before the timing file's line 2 says",
            header_len + 5
        )),
        "{}",
        stderr(&o)
    );
    fails(&d.run("cast-import", &["--strict", "--timing", "t.tm", "short.ts"]));
    // A damaged timing line.
    d.write("bad.tm", format!("{}\nzzz\n", tm.lines().next().unwrap()));
    let o = d.run("cast-import", &["--timing", "bad.tm", "t.ts"]);
    ok(&o);
    assert!(
        stderr(&o).contains("bad.tm: line 2: damaged timing entry"),
        "{}",
        stderr(&o)
    );
    // Without its timing file, a typescript is refused with a hint.
    let err = fails(&d.run("cast-import", &["t.ts"]));
    assert!(err.contains("needs its timing file"), "{err}");
}

/// script --log-in/--log-out: two logs, named in the advanced timing file.
#[test]
fn script_separate_logs_found_from_the_timing_file() {
    if !have("script") {
        eprintln!("note: util-linux script not available: skipped");
        return;
    }
    let d = Dir::new();
    let mut child = Command::new("script")
        .args([
            "-q",
            "--log-in",
            "in.log",
            "--log-out",
            "out.log",
            "--log-timing",
            "m.tm",
            "-c",
            "read x; echo got $x; exit 4",
        ])
        .current_dir(d.tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"typed\n").unwrap();
    assert!(child.wait().unwrap().success());
    std::fs::create_dir(d.path("elsewhere")).unwrap();
    let out = ok(&cmd("cast-import")
        .arg("../m.tm")
        .current_dir(d.path("elsewhere"))
        .output()
        .unwrap());
    let (h, ev) = parse_cast(&out);
    assert!(ev.iter().any(|e| e.1 == "i" && e.2 == "typed\n"), "{out}");
    let text: String = ev
        .iter()
        .filter(|e| e.1 == "o")
        .map(|e| e.2.as_str())
        .collect();
    assert!(text.contains("got typed"), "{out}");
    assert_eq!(ev.last().unwrap().1, "x");
    assert_eq!(ev.last().unwrap().2, "4");
    assert!(h["env"]["SHELL"].as_str().is_some());
    assert!(!out.contains("Script started"));
    // The same with the output log given and the input log by --log-in.
    let again = ok(&d.run(
        "cast-import",
        &["--timing", "m.tm", "out.log", "--log-in", "in.log"],
    ));
    assert_eq!(again, out);
}

/// An interactive session under script --log-io in a real terminal (tmux): typed input, a
/// resize, the exit status; then a classic one in the resized terminal.
#[test]
fn script_log_io_in_a_terminal_with_typing_and_a_resize() {
    if !have("script") {
        eprintln!("note: util-linux script not available: skipped");
        return;
    }
    let d = Dir::new();
    let session = "script -q --log-io io.log --log-timing io.tm -c 'read x; echo \"got $x\"; read y; stty size; exit 3'; \
                   script -q -T c.tm -c 'stty size' c.ts; echo finished > done.txt; sleep 60";
    let Some(t) = Tmux::start(d.tmp.path(), session) else {
        eprintln!("note: tmux not available: skipped");
        return;
    };
    std::thread::sleep(Duration::from_millis(300));
    t.run(&["send-keys", "-l", "héllo"]);
    t.run(&["send-keys", "Enter"]);
    t.wait_for("got héllo");
    t.run(&["resize-window", "-x", "90", "-y", "20"]);
    std::thread::sleep(Duration::from_millis(300));
    t.run(&["send-keys", "Enter"]);
    let t0 = Instant::now();
    while !d.path("done.txt").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "script never finished"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = ok(&d.run("cast-import", &["--timing", "io.tm", "io.log"]));
    let (h, ev) = parse_cast(&out);
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(100), Some(30)),
        "{out}"
    );
    assert!(h["env"]["TERM"].is_string(), "{out}");
    assert!(h["env"]["SHELL"].is_string());
    assert!(h["command"].as_str().unwrap().starts_with("read x;"));
    assert!(h["timestamp"].is_i64());
    let codes: String = ev.iter().map(|e| e.1.as_str()).collect();
    let input: String = ev
        .iter()
        .filter(|e| e.1 == "i")
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(input, "héllo\r\r", "{out}");
    let text: String = ev
        .iter()
        .filter(|e| e.1 == "o")
        .map(|e| e.2.as_str())
        .collect();
    assert!(
        text.contains("got héllo") && text.contains("20 90"),
        "{out}"
    );
    assert!(!text.contains("Script started") && !text.contains("Script done"));
    let r: Vec<&Ev> = ev.iter().filter(|e| e.1 == "r").collect();
    assert!(!r.is_empty(), "{out}");
    assert_eq!(r.last().unwrap().2, "90x20");
    assert!(codes.ends_with('x') && ev.last().unwrap().2 == "3", "{out}");
    // Times never go backwards, and the exit comes at script's DURATION.
    assert!(ev.windows(2).all(|w| w[0].0 <= w[1].0));
    let tm = d.read("io.tm");
    let dur = tm
        .lines()
        .find_map(|l| l.strip_prefix("H 0.000000 DURATION "))
        .unwrap();
    let (s, us) = dur.split_once('.').unwrap();
    let dur = s.parse::<i64>().unwrap() * 1_000_000 + us.parse::<i64>().unwrap();
    assert_eq!(ev.last().unwrap().0, dur);
    // The timing file alone names the log.
    assert_eq!(ok(&d.run("cast-import", &["io.tm"])), out);
    // v3 holds the same events.
    let v3 = ok(&d.run("cast-import", &["--format", "v3", "io.tm"]));
    assert_eq!(parse_cast(&v3).1, ev);
    // The classic session in the resized terminal: its size from script's first line.
    let c = ok(&d.run("cast-import", &["--timing", "c.tm", "c.ts"]));
    let (h, ev) = parse_cast(&c);
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(90), Some(20)),
        "{c}"
    );
    assert_eq!(ev[0].2, "20 90\r\n");
}

#[test]
fn advanced_timing_checks_duration_and_keeps_signals_in_time() {
    let d = Dir::new();
    d.write("io.log", "Script started on 2024-02-29 12:00:00+01:00 [COMMAND=\"x\" TERM=\"xterm\" TTY=\"/dev/pts/1\" COLUMNS=\"80\" LINES=\"24\"]\nabIcd\nScript done on 2024-02-29 12:00:05+01:00 [COMMAND_EXIT_CODE=\"1\"]\n");
    d.write(
        "io.tm",
        "H 0.000000 START_TIME 2024-02-29 12:00:00+01:00\nH 0.000000 COLUMNS 80\nH 0.000000 LINES 24\nH 0.000000 OUTPUT_LOG io.log\nH 0.000000 INPUT_LOG io.log\n\
         O 0.5 2\nI 0.25 1\nS 1.000001 SIGWINCH ROWS=10 COLS=20\nS 0.1 SIGTERM\nO 0.000002 3\nH 0.000000 DURATION 1.5\nH 0.000000 EXIT_CODE 1\n",
    );
    let o = d.run("cast-import", &["io.tm"]);
    let (h, ev) = parse_cast(&ok(&o));
    assert_eq!(
        ok(&d.run("cast-import", &["--timing", "io.tm"])),
        stdout(&o)
    );
    assert_eq!(h["timestamp"], 1_709_204_400);
    let want: Vec<Ev> = vec![
        (500_000, "o".into(), "ab".into()),
        (750_000, "i".into(), "I".into()),
        (1_750_001, "r".into(), "20x10".into()),
        (1_850_003, "o".into(), "cd\n".into()),
        (1_850_003, "x".into(), "1".into()),
    ];
    assert_eq!(ev, want);
    assert!(
        stderr(&o).contains("io.tm: the timing entries add up to 1.850003 s, more than the DURATION 1.5 s it records"),
        "{}",
        stderr(&o)
    );
    // Cut in its last line: the entries before it are kept.
    let tm = d.read("io.tm");
    let cut = &tm[..tm.find("O 0.000002").unwrap() + 8];
    d.write("cut.tm", cut);
    let o = d.run("cast-import", &["--timing", "cut.tm", "io.log"]);
    assert_eq!(parse_cast(&ok(&o)).1.len(), 3);
    assert!(
        stderr(&o).contains("cut.tm: line 10: the last timing line was cut off"),
        "{}",
        stderr(&o)
    );
}
