use std::path::{Path, PathBuf};

use crate::util::*;

fn times(out: &str) -> Vec<i64> {
    parse_cast(out).1.iter().map(|e| e.0).collect()
}

const S: i64 = 1_000_000;

const EVENTS: &[(f64, &str, &str)] = &[
    (1.0, "o", "a"),
    (2.0, "m", "build"),
    (3.0, "i", "x"),
    (4.0, "o", "b"),
    (6.0, "m", "test"),
    (10.0, "o", "c"),
    (11.0, "x", "0"),
];

#[test]
fn from_to_keeps_a_half_open_range_starting_at_zero() {
    let d = Dir::new();
    let out = ok(&d.run_stdin(
        "cast-cut",
        &["--no-repaint", "--from", "2", "--to", "0:10"],
        v2(EVENTS),
    ));
    let (_, evs) = parse_cast(&out);
    let got: Vec<(i64, &str)> = evs.iter().map(|e| (e.0, e.1.as_str())).collect();
    assert_eq!(got, [(0, "m"), (S, "i"), (2 * S, "o"), (4 * S, "m")]);
    // The same from a v3 file, and with the repaint: "a" was dropped, so a repaint comes first.
    let out = ok(&d.run_stdin("cast-cut", &["--from", "2", "--to", "10"], v3(EVENTS)));
    let (h, evs) = parse_cast(&out);
    assert_eq!(h["version"], 3);
    assert_eq!(evs[0].0, 0);
    assert_eq!(evs[0].1, "o");
    assert!(evs[0].2.starts_with('a'), "{:?}", evs[0].2);
    assert_eq!(times(&out)[1..], [0, S, 2 * S, 4 * S]);
}

#[test]
fn remove_moves_later_events_back_by_exactly_the_span() {
    let d = Dir::new();
    let out = ok(&d.run_stdin(
        "cast-cut",
        &["--no-repaint", "--remove", "2-5", "--remove", "0:09-10.5"],
        v2(EVENTS),
    ));
    let (_, evs) = parse_cast(&out);
    let got: Vec<(i64, &str)> = evs.iter().map(|e| (e.0, e.1.as_str())).collect();
    // 1 a | [2,5) gone: m, i, b | 6 m -> 3 | [9,10.5) gone: c | 11 x -> 6.5
    assert_eq!(got, [(S, "o"), (3 * S, "m"), (6_500_000, "x")]);
    // Overlapping and touching ranges merge.
    let out = ok(&d.run_stdin(
        "cast-cut",
        &[
            "--no-repaint",
            "--remove",
            "2-5",
            "--remove",
            "4-6",
            "--remove",
            "6-7",
        ],
        v2(EVENTS),
    ));
    assert_eq!(times(&out), [S, 5 * S, 6 * S]);
}

#[test]
fn markers_name_times_and_unknown_labels_are_listed() {
    let d = Dir::new();
    d.write("a.cast", v2(EVENTS));
    let args = [
        "--no-repaint",
        "--from",
        "marker:build",
        "--to",
        "marker:test",
    ];
    let mut argv = args.to_vec();
    argv.push("a.cast");
    let out = ok(&d.run("cast-cut", &argv));
    assert_eq!(times(&out), [0, S, 2 * S]);
    // Standard input is spooled and read twice.
    assert_eq!(ok(&d.run_stdin("cast-cut", &args, v2(EVENTS))), out);
    let out = ok(&d.run(
        "cast-cut",
        &[
            "--no-repaint",
            "--remove",
            "marker:build-marker:test",
            "a.cast",
        ],
    ));
    assert_eq!(times(&out), [S, 2 * S, 6 * S, 7 * S]);
    let err = fails(&d.run("cast-cut", &["--from", "marker:nope", "a.cast"]));
    assert_eq!(
        err.trim_end(),
        "cast-cut: a.cast: no marker 'nope'; markers: 'build', 'test'"
    );
}

#[test]
fn bad_options() {
    let d = Dir::new();
    for (args, msg) in [
        (
            &["--from", "5", "--to", "3"][..],
            "--to (3.0) must be after --from (5.0)",
        ),
        (&["--remove", "5-3"][..], "must be after the start"),
        (&["--remove", "5"][..], "invalid range '5'"),
        (&["--from", "-1"][..], "'-1'"),
        (&["--to", "1:75"][..], "invalid time"),
    ] {
        let err = fails(&d.run_stdin("cast-cut", args, v2(EVENTS)));
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

#[test]
fn markers_and_input_inside_a_removed_range_are_dropped_resizes_apply_at_the_seam() {
    let d = Dir::new();
    let events = [
        (1.0, "o", "one"),
        (2.0, "r", "100x30"),
        (2.5, "m", "gone"),
        (2.6, "i", "typed"),
        (3.0, "r", "90x20"),
        (5.0, "o", "two"),
    ];
    let out = ok(&d.run_stdin(
        "cast-cut",
        &["--no-repaint", "--remove", "2-4"],
        v2(&events),
    ));
    let (_, evs) = parse_cast(&out);
    assert_eq!(
        evs,
        [
            (S, "o".into(), "one".into()),
            (2 * S, "r".into(), "90x20".into()),
            (3 * S, "o".into(), "two".into()),
        ]
    );
    // A leading cut puts the size in force into the header instead.
    let out = ok(&d.run_stdin("cast-cut", &["--no-repaint", "--from", "4"], v3(&events)));
    let (h, evs) = parse_cast(&out);
    assert_eq!(
        (&h["term"]["cols"], &h["term"]["rows"]),
        (&90.into(), &20.into())
    );
    assert_eq!(evs, [(S, "o".into(), "two".into())]);
}

#[test]
fn nothing_removed_before_from_means_no_repaint() {
    let d = Dir::new();
    let input = v2(&[(0.5, "o", "\u{1b}[31mx"), (1.0, "o", "y")]);
    let out = ok(&d.run_stdin("cast-cut", &["--from", "0"], &input));
    assert_eq!(parse_cast(&out).1, parse_cast(&input).1);
    let out = ok(&d.run_stdin("cast-cut", &["--remove", "0.6-0.9"], &input));
    assert_eq!(times(&out), [500_000, 700_000]);
}

#[test]
fn seam_repaints_a_cleared_coloured_screen() {
    let d = Dir::new();
    let events = [
        (1.0, "o", "old text\r\n"),
        (2.0, "o", "\u{1b}[H\u{1b}[2J\u{1b}[1;32mgreen "),
        (3.0, "o", "still green"),
    ];
    let out = ok(&d.run_stdin("cast-cut", &["--remove", "1.5-2.5"], v2(&events)));
    let (_, evs) = parse_cast(&out);
    assert_eq!(evs.len(), 3);
    assert_eq!(evs[1].0, 1_500_000);
    assert!(evs[1].2.starts_with("\u{18}\u{1b}c"), "{:?}", evs[1].2);
    let mut vt = castkit::vt::Vt::new(80, 24);
    for e in &evs {
        vt.feed(&e.2);
    }
    assert_eq!(vt.lines()[0], "green still green");
    let cell = &vt.terminal().screen().line(0).unwrap().cells()[10];
    assert_eq!(cell.pen().foreground(), Some(avt::Color::Indexed(2)));
    // --no-repaint keeps the plain cut, garbled as it is.
    let out = ok(&d.run_stdin(
        "cast-cut",
        &["--no-repaint", "--remove", "1.5-2.5"],
        v2(&events),
    ));
    assert_eq!(parse_cast(&out).1.len(), 2);
}

#[test]
fn file_ending_inside_a_removed_range_shows_how_it_ended() {
    let d = Dir::new();
    let events = [(1.0, "o", "a"), (3.0, "o", "\u{1b}[2Jb")];
    let out = ok(&d.run_stdin("cast-cut", &["--remove", "2-9"], v2(&events)));
    let (_, evs) = parse_cast(&out);
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[1].0, 2 * S);
    // A --to cut shows nothing after it.
    let out = ok(&d.run_stdin("cast-cut", &["--to", "2"], v2(&events)));
    assert_eq!(parse_cast(&out).1.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// The honest check: render the original at a cut time and the cut file right after its seam
// with terminal emulators, and require the same picture.
// ---------------------------------------------------------------------------------------------

/// One screen as an emulator shows it: size, each row's text and attributes, the cursor, and
/// whether the alternate screen is active. Both emulators are projected onto this.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Picture {
    size: (usize, usize),
    rows: Vec<String>,
    attrs: Vec<String>,
    cursor: (usize, usize, bool),
    alt: bool,
}

fn avt_colour(c: Option<avt::Color>) -> String {
    match c {
        None => String::new(),
        Some(avt::Color::Indexed(n)) => format!("{n}"),
        Some(avt::Color::RGB(c)) => format!("#{:02x}{:02x}{:02x}", c.r, c.g, c.b),
    }
}

fn vt100_colour(c: vt100::Color) -> String {
    match c {
        vt100::Color::Default => String::new(),
        vt100::Color::Idx(n) => format!("{n}"),
        vt100::Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
    }
}

fn attr_token(fg: String, bg: String, flags: [bool; 5]) -> String {
    let names = ["bold", "faint", "italic", "underline", "inverse"];
    let mut t = format!("{fg}/{bg}");
    for (on, n) in flags.iter().zip(names) {
        if *on {
            t.push(' ');
            t.push_str(n);
        }
    }
    t
}

/// Renders events with avt (asciinema's emulator), the independent reading of its view API.
fn avt_picture(size: (u16, u16), events: &[Ev]) -> Picture {
    let mut t = avt::Terminal::new(size.0 as usize, size.1 as usize).unwrap();
    for e in events {
        match e.1.as_str() {
            "o" => t.feed(e.2.as_str()),
            "r" => {
                if let Some((c, r)) = castkit::event::parse_size(&e.2) {
                    t.resize(c as usize, r as usize);
                }
            }
            _ => {}
        }
    }
    let mut rows = Vec::new();
    let mut attrs = Vec::new();
    for line in t.screen().visible_lines() {
        let mut text = String::new();
        let mut at = String::new();
        for (col, c) in line.cells().iter().enumerate() {
            if c.width() == 0 {
                continue;
            }
            text.push(c.char());
            let p = c.pen();
            let tok = attr_token(
                avt_colour(p.foreground()),
                avt_colour(p.background()),
                [
                    p.is_bold(),
                    p.is_faint(),
                    p.is_italic(),
                    p.is_underline(),
                    p.is_inverse(),
                ],
            );
            if tok != "/" {
                at.push_str(&format!("{col}:{tok};"));
            }
        }
        rows.push(text.trim_end().to_string());
        attrs.push(at);
    }
    let c = t.cursor();
    Picture {
        size: t.size(),
        rows,
        attrs,
        cursor: (c.col, c.row, c.visible),
        alt: t.active_screen_kind() == avt::ScreenKind::Alternate,
    }
}

/// Renders events with the vt100 crate: a second emulator that shares no code with avt, so a
/// repaint that only avt understands would show here.
fn vt100_picture(size: (u16, u16), events: &[Ev]) -> Picture {
    let nz = |n: u16| std::num::NonZeroU16::new(n.max(1)).unwrap();
    let mut p = vt100::Parser::new(nz(size.1), nz(size.0), 0);
    for e in events {
        match e.1.as_str() {
            "o" => p.process(e.2.as_bytes()),
            "r" => {
                if let Some((c, r)) = castkit::event::parse_size(&e.2) {
                    p.screen_mut().set_size(nz(r), nz(c));
                }
            }
            _ => {}
        }
    }
    let s = p.screen();
    let (rows_n, cols_n) = s.size();
    let (rows_n, cols_n) = (rows_n.get(), cols_n.get());
    let mut rows = Vec::new();
    let mut attrs = Vec::new();
    for r in 0..rows_n {
        let mut text = String::new();
        let mut at = String::new();
        for col in 0..cols_n {
            let Some(c) = s.cell(r, col) else { continue };
            if c.is_wide_continuation() {
                continue;
            }
            let ch = c.contents();
            text.push_str(if ch.is_empty() { " " } else { ch });
            let tok = attr_token(
                vt100_colour(c.fgcolor()),
                vt100_colour(c.bgcolor()),
                [c.bold(), c.dim(), c.italic(), c.underline(), c.inverse()],
            );
            if tok != "/" {
                at.push_str(&format!("{col}:{tok};"));
            }
        }
        rows.push(text.trim_end().to_string());
        attrs.push(at);
    }
    let (cr, cc) = s.cursor_position();
    Picture {
        size: (cols_n as usize, rows_n as usize),
        rows,
        attrs,
        cursor: (cc as usize, cr as usize, !s.hide_cursor()),
        alt: s.alternate_screen(),
    }
}

/// A recording read with castkit's reader (it accepts every version and oddity): header size
/// and events with absolute times.
fn read_original(path: &Path) -> ((u16, u16), Vec<Ev>) {
    let mut rdr = castkit::Reader::open(path).unwrap();
    let size = rdr.header().size();
    let mut rec = castkit::EventRecord::default();
    let (mut a, mut b) = (String::new(), String::new());
    let mut evs = Vec::new();
    while rdr.read_event(&mut rec).unwrap() {
        evs.push((
            rec.time(),
            rec.code_str(&mut a).to_string(),
            rec.data_str(&mut b).to_string(),
        ));
    }
    (size, evs)
}

fn header_size(h: &serde_json::Value) -> (u16, u16) {
    let (c, r) = if h["version"] == 3 {
        (&h["term"]["cols"], &h["term"]["rows"])
    } else {
        (&h["width"], &h["height"])
    };
    (c.as_u64().unwrap() as u16, r.as_u64().unwrap() as u16)
}

/// What differs between two pictures, briefly (the full pictures are huge).
fn diff(a: &Picture, b: &Picture) -> String {
    let mut d = String::new();
    if a.size != b.size || a.cursor != b.cursor || a.alt != b.alt {
        d += &format!(
            "size {:?}/{:?} cursor {:?}/{:?} alt {}/{}\n",
            a.size, b.size, a.cursor, b.cursor, a.alt, b.alt
        );
    }
    for (i, (x, y)) in a.rows.iter().zip(&b.rows).enumerate() {
        if x != y {
            d += &format!("row {i}: {x:?}\n    vs {y:?}\n");
        }
    }
    for (i, (x, y)) in a.attrs.iter().zip(&b.attrs).enumerate() {
        if x != y {
            let n = x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count();
            let cut = |s: &str| {
                s.chars()
                    .skip(n.saturating_sub(20))
                    .take(80)
                    .collect::<String>()
            };
            d += &format!("attrs {i}: ...{}\n      vs ...{}\n", cut(x), cut(y));
        }
    }
    d
}

#[derive(Default, Debug)]
struct Tally {
    seams: usize,
    finals: usize,
    vt100_seams: usize,
    vt100_skipped: usize,
}

/// Cuts `file` with `args`, then checks the picture right after the seam (the cut file's events
/// up to output time `seam_out`) against the original's at `at` (its events before `at`), and
/// the final pictures. Cut times must fall between event times, so that no kept event lands
/// exactly on the seam.
fn check_cut(d: &Dir, file: &Path, args: &[String], at: i64, seam_out: i64, tally: &mut Tally) {
    let (size, orig) = read_original(file);
    let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
    argv.push(file.to_str().unwrap());
    let out = ok(&d.run("cast-cut", &argv));
    let (h, cut) = parse_cast(&out);
    let cut_size = header_size(&h);
    let before: Vec<Ev> = orig.iter().filter(|e| e.0 < at).cloned().collect();
    let after_seam: Vec<Ev> = cut.iter().filter(|e| e.0 <= seam_out).cloned().collect();
    let what = format!("{} {}", file.display(), args.join(" "));

    let want = avt_picture(size, &before);
    let got = avt_picture(cut_size, &after_seam);
    assert!(
        got == want,
        "avt, right after the seam: {what}\n{}",
        diff(&got, &want)
    );
    tally.seams += 1;

    // vt100 and avt disagree on some things by design (avt reflows the primary screen on a
    // resize, vt100 does not): use vt100 where it reads the original as avt does.
    let want100 = vt100_picture(size, &before);
    if want100 == want {
        let got100 = vt100_picture(cut_size, &after_seam);
        assert!(
            got100 == want100,
            "vt100, right after the seam: {what}\n{}",
            diff(&got100, &want100)
        );
        tally.vt100_seams += 1;
    } else {
        if std::env::var_os("CUT_DEBUG").is_some() {
            eprintln!(
                "vt100 disagrees with avt: {what}\n{}",
                diff(&want100, &want)
            );
        }
        tally.vt100_skipped += 1;
    }

    // Hidden state (margins, saved cursor, charsets, modes, the screen under the alternate
    // one) shows up later: the pictures at the end must match too.
    if !args.iter().any(|a| a == "--to") {
        let (got, want) = (avt_picture(cut_size, &cut), avt_picture(size, &orig));
        assert!(
            got == want,
            "avt, at the end: {what}\n{}",
            diff(&got, &want)
        );
        tally.finals += 1;
    }
}

/// Cut points strictly between distinct event times (the latest time seen, as players go).
fn cut_points(evs: &[Ev], want: usize) -> Vec<i64> {
    let mut latest = i64::MIN;
    let mut ts: Vec<i64> = Vec::new();
    for e in evs {
        latest = latest.max(e.0);
        if ts.last() != Some(&latest) {
            ts.push(latest);
        }
    }
    let mids: Vec<i64> = ts
        .windows(2)
        .filter(|w| w[1] - w[0] >= 2)
        .map(|w| w[0] + (w[1] - w[0]) / 2)
        .collect();
    if mids.len() <= want {
        return mids;
    }
    (0..want).map(|k| mids[k * mids.len() / want]).collect()
}

fn secs(t: i64) -> String {
    castkit::time::seconds_string(t)
}

/// For each cut point P: `--from P`, and `--remove Q-P` for an earlier point Q.
fn check_many(d: &Dir, file: &Path, points: &[i64], tally: &mut Tally) {
    for (k, &p) in points.iter().enumerate() {
        check_cut(d, file, &["--from".into(), secs(p)], p, 0, tally);
        if k >= 1 {
            let q = points[k.saturating_sub(3)];
            let args = ["--remove".to_string(), format!("{}-{}", secs(q), secs(p))];
            check_cut(d, file, &args, p, q, tally);
        }
    }
}

/// Our own fixture: every kind of state a cut can lose, one change per event.
fn state_fixture() -> String {
    let steps: &[&str] = &[
        "plain text on the first line\r\n",
        "\u{1b}[1;31mbold red\u{1b}[0m and \u{1b}[4;38;5;120munderlined 256\u{1b}[0m\r\n",
        "\u{1b}[H\u{1b}[2J",
        "after a clear, \u{1b}[7minverse\u{1b}[27m, 中文 wide, ünïcödé\r\n",
        "\u{1b}[44m",
        "blue background\u{1b}[K\r\n",
        "\u{1b}[0m\u{1b}[5;10H",
        "moved here",
        "\u{1b}[?25l",
        "hidden cursor",
        "\u{1b}[?25h\u{1b}7\u{1b}[10;3H",
        "saved cursor, moved",
        "\u{1b}8restored",
        "\u{1b}]2;a title\u{7}",
        "\u{1b}[?1049h",
        "\u{1b}[H\u{1b}[2Jon the alternate screen",
        "\u{1b}[3;8r",
        "\u{1b}[8;1Hin a scroll region\n\nscrolled\n",
        "\u{1b}[r\u{1b}[12;1H\u{1b}(0lqqk\u{1b}(B drawing",
        "\u{1b}[?7l\u{1b}[13;70Hno autowrap past the edge",
        "\u{1b}[?7h\u{1b}[4h\u{1b}[3;1Hinserted\u{1b}[4l",
        "\u{1b}[38;2;10;200;30mtruecolour",
        "\u{1b}[?1049l",
        "back on the primary screen\r\n",
        "\u{1b}[3g\u{1b}[20G\u{1b}H\r\ttabbed",
        "\r\n\ttab stop kept",
        "\u{1b}[1;33",
        "m split sequence",
        "\u{1b}[2J\u{1b}[H",
        "line\r\n".repeat(30).leak(),
        "\u{1b}[?1047h\u{1b}[Hlegacy alternate\u{1b}[?1047l",
        "end of the fixture",
    ];
    let mut events: Vec<(f64, &str, &str)> = Vec::new();
    for (k, s) in steps.iter().enumerate() {
        events.push((0.1 * (k + 1) as f64, "o", s));
        if k == 9 {
            events.push((0.1 * (k + 1) as f64 + 0.05, "r", "60x20"));
        }
        if k == 20 {
            events.push((0.1 * (k + 1) as f64 + 0.05, "r", "90x15"));
        }
    }
    v2(&events)
}

#[test]
fn picture_survives_every_cut_in_our_fixtures() {
    let d = Dir::new();
    let file = d.write("state.cast", state_fixture());
    let (_, evs) = read_original(&file);
    let points = cut_points(&evs, 1000);
    let mut tally = Tally::default();
    check_many(&d, &file, &points, &mut tally);
    // The same with the output in v3, and with a removal that ends inside the alternate
    // screen after a resize.
    let f3 = d.write("state3.cast", {
        let (_, e) = parse_cast(&state_fixture());
        let owned: Vec<(f64, &str, &str)> = e
            .iter()
            .map(|(t, c, s)| (*t as f64 / 1e6, c.as_str(), s.as_str()))
            .collect();
        v3(&owned)
    });
    check_cut(
        &d,
        &f3,
        &["--remove".into(), "0.52-1.83".into()],
        1_830_000,
        520_000,
        &mut tally,
    );
    eprintln!("cast-cut picture check, our fixtures: {tally:?}");
    assert!(tally.seams >= 60, "{tally:?}");
    assert!(tally.vt100_seams >= 20, "{tally:?}");
}

/// The corpus of real recordings, when present: `../shared/corpus` beside the repository, or
/// `CASTKIT_CORPUS`.
fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CASTKIT_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    };
    dir.is_dir().then_some(dir)
}

#[test]
fn picture_survives_cuts_in_real_recordings() {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "note: no ../shared/corpus (or CASTKIT_CORPUS): real-recording cut checks skipped"
        );
        return;
    };
    let full_screen = ["vim", "htop", "tmux", "zellij", "emacs", "2048"];
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_lowercase();
            full_screen.iter().any(|k| n.contains(k))
        })
        .collect();
    names.sort();
    let d = Dir::new();
    let mut tally = Tally::default();
    let mut files = 0;
    for path in &names {
        let (_, evs) = read_original(path);
        // Times going backwards would put kept events on the seam; such files are left out.
        if evs.windows(2).any(|w| w[1].0 < w[0].0) {
            eprintln!(
                "note: {} has times going backwards: skipped",
                path.display()
            );
            continue;
        }
        let points = cut_points(&evs, 12);
        check_many(&d, path, &points, &mut tally);
        files += 1;
    }
    eprintln!("cast-cut picture check, {files} corpus recordings: {tally:?}");
    assert!(files > 0 && tally.seams > 0);
}

/// A seam is drawn by pyte, which has no REP, as the original was: box-drawing rules, runs of
/// spaces (top's columns), a repeated wide character and a repeated rule of `─` in colour.
#[test]
fn seams_draw_the_same_in_pyte() {
    let d = Dir::new();
    let screen = "\u{1b}[H\u{1b}[2J┌──────────────────┐\r\n│\u{1b}[1;32m  PID USER      \u{1b}[0m│\r\n\
                  ハハハハハハハ\r\n\u{1b}[44m          \u{1b}[0m==========\r\n\
                  \u{1b}[33m└──────────────────┘\u{1b}[0m\r\n  1 root      0.0  top";
    let f = d.write(
        "a.cast",
        v2(&[
            (0.5, "o", screen),
            (1.0, "o", "\u{1b}[6;1Hmore"),
            (3.0, "o", "!"),
        ]),
    );
    for from in ["0.7", "2"] {
        let out = ok(&d.run("cast-cut", &["--from", from, f.to_str().unwrap()]));
        let cut = d.write("cut.cast", &out);
        // The screen just after the seam (the cut's first event) against the original's at
        // the seam's time.
        let got = pyte(&cut, &["at", "0"]);
        let want = pyte(&f, &["at", from]);
        assert_eq!(got, want, "--from {from}: {out}");
        assert!(want.contains("┌──────────────────┐"), "{want}");
        assert!(want.contains("│  PID USER      │"), "{want}");
    }
}
