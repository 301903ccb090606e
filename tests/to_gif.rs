//! cast-to-gif: pictures checked cell by cell against a second emulator (the vt100 crate,
//! which shares no code with avt), on recordings of vim, less, top and a shell made with
//! cast-rec; frame timing; stills as GIF and PNG; bad input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

const TOOL: &str = "cast-to-gif";

/// A decoded picture: width, height and `0xRRGGBB` pixels.
pub struct Picture {
    pub w: usize,
    pub h: usize,
    pub px: Vec<u32>,
}

/// Decodes a GIF, composing frames as a viewer does, and returns the picture on show at each
/// of `times` (seconds, ascending) and the frame delays in seconds.
pub fn gif_at(path: &Path, times: &[f64]) -> (Vec<Picture>, Vec<f64>) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut dec = opts
        .read_info(std::fs::File::open(path).expect("gif"))
        .expect("a GIF");
    let (w, h) = (dec.width() as usize, dec.height() as usize);
    let mut canvas = vec![0u32; w * h];
    let mut t = 0.0;
    let mut delays = Vec::new();
    let mut out = Vec::new();
    let mut want = times.iter().peekable();
    while let Some(f) = dec.read_next_frame().expect("a frame") {
        // The frame on show during [t, t + delay).
        for y in 0..f.height as usize {
            for x in 0..f.width as usize {
                let i = (y * f.width as usize + x) * 4;
                let p = &f.buffer[i..i + 4];
                if p[3] != 0 {
                    let (cx, cy) = (f.left as usize + x, f.top as usize + y);
                    canvas[cy * w + cx] = (p[0] as u32) << 16 | (p[1] as u32) << 8 | p[2] as u32;
                }
            }
        }
        let d = f.delay as f64 / 100.0;
        while let Some(&&at) = want.peek() {
            if at < t + d {
                out.push(Picture {
                    w,
                    h,
                    px: canvas.clone(),
                });
                want.next();
            } else {
                break;
            }
        }
        t += d;
        delays.push(d);
    }
    for _ in want {
        out.push(Picture {
            w,
            h,
            px: canvas.clone(),
        });
    }
    (out, delays)
}

pub fn png(path: &Path) -> Picture {
    let dec = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).expect("png"),
    ));
    let mut r = dec.read_info().expect("a PNG");
    let mut buf = vec![0; r.output_buffer_size().expect("size")];
    let info = r.next_frame(&mut buf).expect("a frame");
    let n = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        c => panic!("unexpected PNG colour type {c:?}"),
    };
    let px = buf[..info.buffer_size()]
        .chunks(n)
        .map(|p| (p[0] as u32) << 16 | (p[1] as u32) << 8 | p[2] as u32)
        .collect();
    Picture {
        w: info.width as usize,
        h: info.height as usize,
        px,
    }
}

/// The screen the vt100 crate shows after the events up to `t` (seconds): for each cell,
/// `Some(true)` when it holds a character, `Some(false)` when blank, `None` for the second
/// half of a wide character. Also the largest size reached.
pub fn reference(events: &[Ev], cols: u16, rows: u16, t: f64) -> Vec<Vec<Option<bool>>> {
    let nz = |n: u16| std::num::NonZeroU16::new(n.max(1)).unwrap();
    let mut p = vt100::Parser::new(nz(rows), nz(cols), 0);
    for (at, code, data) in events {
        if *at as f64 / 1e6 > t {
            break;
        }
        match code.as_str() {
            "o" | "e" => p.process(data.as_bytes()),
            "r" => {
                let (c, r) = data.split_once('x').unwrap();
                p.screen_mut()
                    .set_size(nz(r.parse().unwrap()), nz(c.parse().unwrap()));
            }
            _ => {}
        }
    }
    let s = p.screen();
    let (rows, cols) = s.size();
    let (rows, cols) = (rows.get(), cols.get());
    (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| {
                    let cell = s.cell(r, c).expect("in the screen");
                    if cell.is_wide_continuation() {
                        None
                    } else {
                        let t = cell.contents();
                        Some(!t.is_empty() && t != " ")
                    }
                })
                .collect()
        })
        .collect()
}

/// True when the cell's pixels are not all one colour: something is drawn on it.
pub fn has_ink(p: &Picture, x0: usize, y0: usize, cw: usize, ch: usize) -> bool {
    let first = p.px[y0 * p.w + x0];
    (y0..y0 + ch).any(|y| (x0..x0 + cw).any(|x| p.px[y * p.w + x] != first))
}

/// Compares a picture (drawn with no padding, `cw` x `ch` cells) with the reference screen.
/// Returns (share of cells that agree, share of the reference's characters that have ink,
/// characters in the reference).
pub fn agreement(
    p: &Picture,
    screen: &[Vec<Option<bool>>],
    cw: usize,
    ch: usize,
) -> (f64, f64, usize) {
    let (mut same, mut total, mut chars, mut inked) = (0, 0, 0, 0);
    for (r, row) in screen.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let Some(want) = *cell else { continue };
            let got = has_ink(p, c * cw, r * ch, cw, ch);
            total += 1;
            same += (got == want) as usize;
            if want {
                chars += 1;
                inked += got as usize;
            }
        }
    }
    let inked = if chars == 0 {
        1.0
    } else {
        inked as f64 / chars as f64
    };
    (same as f64 / total as f64, inked, chars)
}

/// Records `command` with cast-rec at `cols` x `rows`, typing `keys` (each after its pause in
/// milliseconds), and returns the recording.
pub fn record(
    d: &Dir,
    name: &str,
    command: &str,
    keys: &[(u64, &str)],
    cols: u16,
    rows: u16,
) -> String {
    let mut child = cmd("cast-rec")
        .args([
            "--headless",
            "--overwrite",
            "-q",
            "--cols",
            &cols.to_string(),
            "--rows",
            &rows.to_string(),
        ])
        .args(["-c", command, name])
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .env("HOME", d.tmp.path())
        .current_dir(d.tmp.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cast-rec");
    let mut stdin = child.stdin.take().unwrap();
    for (pause, k) in keys {
        std::thread::sleep(Duration::from_millis(*pause));
        let _ = stdin.write_all(k.as_bytes());
        let _ = stdin.flush();
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(stdin);
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("cast-rec of {command} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    d.read(name)
}

/// Times (seconds) in the middle of pauses of at least 0.3 s, at most `n` of them, and the end.
pub fn quiet_times(events: &[Ev], n: usize) -> Vec<f64> {
    let ts: Vec<f64> = events.iter().map(|e| e.0 as f64 / 1e6).collect();
    let mut out: Vec<f64> = ts
        .windows(2)
        .filter(|w| w[1] - w[0] >= 0.3)
        .map(|w| (w[0] + w[1]) / 2.0)
        .collect();
    if out.len() > n {
        let step = out.len() as f64 / n as f64;
        out = (0..n).map(|k| out[(k as f64 * step) as usize]).collect();
    }
    out.push(ts.last().copied().unwrap_or(0.0) + 0.5);
    out
}

fn max_size(header: &serde_json::Value, events: &[Ev]) -> (u16, u16) {
    let mut c = header["width"].as_u64().unwrap_or(80) as u16;
    let mut r = header["height"].as_u64().unwrap_or(24) as u16;
    for e in events.iter().filter(|e| e.1 == "r") {
        let (ec, er) = e.2.split_once('x').unwrap();
        c = c.max(ec.parse().unwrap());
        r = r.max(er.parse().unwrap());
    }
    (c, r)
}

/// Renders `cast` as a GIF and as PNG stills and checks each against vt100 at quiet times.
fn check_against_vt100(d: &Dir, what: &str, cast: &str) {
    let file = format!("{what}.cast");
    d.write(&file, cast);
    let (header, events) = parse_cast(cast);
    let (cols, rows) = max_size(&header, &events);
    let gif = format!("{what}.gif");
    ok(&d.run(
        TOOL,
        &[
            "--padding",
            "0",
            "--idle-time-limit",
            "1000",
            &file,
            "-o",
            &gif,
        ],
    ));
    let times = quiet_times(&events, 4);
    assert!(
        times.len() >= 3,
        "{what}: too few pauses to look at: {times:?}"
    );
    let (pics, _) = gif_at(&d.path(&gif), &times);
    let cw = pics[0].w / cols as usize;
    let ch = pics[0].h / rows as usize;
    assert_eq!(
        (pics[0].w, pics[0].h),
        (cols as usize * cw, rows as usize * ch),
        "{what}: size"
    );
    let mut total_chars = 0;
    for (t, pic) in times.iter().zip(&pics) {
        let screen = reference(
            &events,
            header["width"].as_u64().unwrap() as u16,
            header["height"].as_u64().unwrap() as u16,
            *t,
        );
        let (agree, inked, chars) = agreement(pic, &screen, cw, ch);
        total_chars += chars;
        assert!(
            agree >= 0.97 && inked >= 0.95,
            "{what} at {t:.2}s: {agree:.3} of cells agree, {inked:.3} of {chars} characters have ink"
        );
        // The poster of the same moment is the same picture.
        let png_name = format!("{what}-{t:.2}.png");
        ok(&d.run(
            TOOL,
            &[
                "--padding",
                "0",
                "--at",
                &format!("{t:.3}"),
                &file,
                "-o",
                &png_name,
            ],
        ));
        // A still is as large as the screen at its moment; the GIF, as the largest screen.
        let still = png(&d.path(&png_name));
        assert!(still.w <= pic.w && still.h <= pic.h);
        assert_eq!(still.w % cw + still.h % ch, 0);
        let differ = (0..still.h)
            .flat_map(|y| (0..still.w).map(move |x| (x, y)))
            .filter(|&(x, y)| still.px[y * still.w + x] != pic.px[y * pic.w + x])
            .count();
        assert_eq!(
            differ, 0,
            "{what} at {t:.2}s: the PNG still differs from the GIF frame"
        );
    }
    assert!(
        total_chars > 100,
        "{what}: the screens hold almost nothing ({total_chars})"
    );
}

fn data_file(d: &Dir) {
    let mut s = String::new();
    for k in 0..200 {
        s.push_str(&format!(
            "line {k:03}: the quick brown fox jumps over the lazy dog\n"
        ));
    }
    d.write("data.txt", s);
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn vim_matches_vt100() {
    if !have("vim") {
        panic!("vim is needed for this test (apt-get install vim)");
    }
    let d = Dir::new();
    data_file(&d);
    let cast = record(
        &d,
        "vim.cast",
        "vim -u NONE -N -i NONE -n data.txt",
        &[
            (900, "G"),
            (500, "gg"),
            (500, "ddOhello, \u{1b}[1mworld\u{1b}"),
            (500, "/fox\r"),
            (500, ":q!\r"),
        ],
        80,
        24,
    );
    check_against_vt100(&d, "vim", &cast);
}

#[test]
fn less_matches_vt100() {
    let d = Dir::new();
    data_file(&d);
    let cast = record(
        &d,
        "less.cast",
        "less data.txt",
        &[(700, " "), (500, " "), (500, "b"), (500, "q")],
        80,
        24,
    );
    check_against_vt100(&d, "less", &cast);
}

#[test]
fn top_matches_vt100() {
    let d = Dir::new();
    let cast = record(&d, "top.cast", "top -d 0.5 -n 4", &[(2600, "")], 100, 30);
    check_against_vt100(&d, "top", &cast);
}

#[test]
fn shell_with_resizes_matches_vt100() {
    let d = Dir::new();
    let cast = record(
        &d,
        "sh.cast",
        "sh",
        &[
            (500, "echo hello\r"),
            (
                300,
                "printf '\\033[1;31mred\\033[0m \\033[7mrev\\033[0m\\n'\r",
            ),
            (500, "seq 1 12\r"),
            (
                500,
                "printf 'wide: \\344\\270\\255\\346\\226\\207 end\\n'\r",
            ),
            (500, "ls /\r"),
            (500, "exit\r"),
        ],
        60,
        20,
    );
    // Resizes between the commands, the terminal growing each time. No line is wider than
    // the first size: avt reflows wrapped lines on a resize and vt100 does not.
    let (header, events) = parse_cast(&cast);
    let end = events.last().unwrap().0;
    let mut out = format!(
        "{}\n",
        serde_json::json!({"version": 2, "width": header["width"], "height": header["height"]})
    );
    let mut sizes = vec![(end / 3, "70x22"), (2 * end / 3, "90x26")]
        .into_iter()
        .peekable();
    for (t, code, data) in &events {
        while let Some(&(at, size)) = sizes.peek() {
            if at <= *t {
                out.push_str(&format!("[{}, \"r\", \"{size}\"]\n", at as f64 / 1e6));
                sizes.next();
            } else {
                break;
            }
        }
        out.push_str(&format!(
            "{}\n",
            serde_json::json!([*t as f64 / 1e6, code, data])
        ));
    }
    check_against_vt100(&d, "shell", &out);
}

/// A recording with pauses of known length, some longer than the default idle limit.
fn timed() -> String {
    let mut evs = Vec::new();
    let mut t = 0.0;
    for k in 0..40 {
        t += [0.013, 0.2, 1.7, 7.5][k % 4];
        evs.push((t, "o", if k % 3 == 0 { "\r\n" } else { "ab" }));
    }
    v2(&evs.iter().map(|(t, c, s)| (*t, *c, *s)).collect::<Vec<_>>())
}

#[test]
fn frame_durations_add_up_to_the_recording() {
    let d = Dir::new();
    let cast = timed();
    d.write("t.cast", &cast);
    let (_, events) = parse_cast(&cast);
    let duration = events.last().unwrap().0 as f64 / 1e6;
    ok(&d.run(
        TOOL,
        &[
            "--idle-time-limit",
            "1000",
            "--last-frame-duration",
            "0",
            "t.cast",
            "-o",
            "t.gif",
        ],
    ));
    let (_, delays) = gif_at(&d.path("t.gif"), &[]);
    let sum: f64 = delays.iter().sum();
    assert!(
        (sum - duration).abs() <= 0.2,
        "frames last {sum} s, the recording {duration} s"
    );
    // Coalescing: the 13 ms gaps are under one frame at 30 fps, so fewer frames than events.
    assert!(
        delays.len() < events.len(),
        "{} frames for {} events",
        delays.len(),
        events.len()
    );
    // Default: pauses capped at 5 s, plus 3 s of last frame; at double speed half of it.
    ok(&d.run(TOOL, &["t.cast", "-o", "d.gif"]));
    let (_, delays) = gif_at(&d.path("d.gif"), &[]);
    let capped: f64 = events
        .windows(2)
        .map(|w| ((w[1].0 - w[0].0) as f64 / 1e6).min(5.0))
        .sum::<f64>()
        + events[0].0 as f64 / 1e6;
    let sum: f64 = delays.iter().sum();
    assert!((sum - capped - 3.0).abs() <= 0.2, "{sum} vs {capped} + 3");
    ok(&d.run(
        TOOL,
        &[
            "--speed",
            "2",
            "--last-frame-duration",
            "0",
            "t.cast",
            "-o",
            "s.gif",
        ],
    ));
    let (_, delays) = gif_at(&d.path("s.gif"), &[]);
    let sum: f64 = delays.iter().sum();
    assert!((sum - capped / 2.0).abs() <= 0.2, "{sum} vs {capped} / 2");
}

#[test]
fn stills_ranges_and_markers() {
    let d = Dir::new();
    let cast = v2(&[
        (0.5, "o", "first\r\n"),
        (1.0, "m", "half"),
        (1.5, "o", "\u{1b}[2J\u{1b}[Hsecond"),
        (2.5, "o", "\u{1b}[?25l"),
    ]);
    d.write("m.cast", &cast);
    let (_, events) = parse_cast(&cast);
    for (at, want_first) in [("0.7", true), ("marker:half", true), ("2", false)] {
        ok(&d.run(
            TOOL,
            &["--padding", "0", "--at", at, "m.cast", "-o", "x.png"],
        ));
        let p = png(&d.path("x.png"));
        let cw = p.w / 80;
        let ch = p.h / 24;
        let t = if at == "marker:half" {
            1.0
        } else {
            at.parse().unwrap()
        };
        let screen = reference(&events, 80, 24, t);
        assert_eq!(screen[0][0], Some(true));
        let (agree, inked, _) = agreement(&p, &screen, cw, ch);
        assert!(agree == 1.0 && inked == 1.0, "at {at}: {agree} {inked}");
        assert_eq!(
            has_ink(&p, 5 * cw, 0, cw, ch),
            !want_first,
            "at {at}: a sixth letter only in 'second'"
        );
    }
    // A still GIF: one frame. --png writes a PNG whatever the name.
    ok(&d.run(TOOL, &["--at", "2", "m.cast", "-o", "x.gif"]));
    let (_, delays) = gif_at(&d.path("x.gif"), &[]);
    assert_eq!(delays.len(), 1);
    let o = d.run(TOOL, &["--png", "m.cast"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.starts_with(b"\x89PNG"));
    let err = fails(&d.run(TOOL, &["--at", "marker:nope", "m.cast"]));
    assert!(err.contains("no marker 'nope'; markers: 'half'"), "{err}");
    // A range: the first frame shows the screen as it was at --from.
    ok(&d.run(
        TOOL,
        &[
            "--padding",
            "0",
            "--from",
            "1",
            "--to",
            "2",
            "--last-frame-duration",
            "0",
            "m.cast",
            "-o",
            "r.gif",
        ],
    ));
    let (pics, delays) = gif_at(&d.path("r.gif"), &[0.1, 0.9]);
    let sum: f64 = delays.iter().sum();
    assert!((sum - 1.0).abs() < 0.05, "{sum}");
    let cw = pics[0].w / 80;
    let ch = pics[0].h / 24;
    assert!(has_ink(&pics[0], 0, 0, cw, ch) && !has_ink(&pics[0], 5 * cw, 0, cw, ch));
    assert!(has_ink(&pics[1], 5 * cw, 0, cw, ch));
}

#[test]
fn themes_and_colours() {
    let d = Dir::new();
    d.write(
        "c.cast",
        v2(&[(
            0.5,
            "o",
            "\u{1b}[41m  \u{1b}[48;5;21m  \u{1b}[48;2;1;2;3m  \u{1b}[0m",
        )]),
    );
    let pixel = |args: &[&str], col: usize| {
        let mut a = vec!["--padding", "0", "--png", "c.cast", "-o", "c.png"];
        a.extend_from_slice(args);
        ok(&d.run(TOOL, &a));
        let p = png(&d.path("c.png"));
        let cw = p.w / 80;
        p.px[2 * p.w + col * cw + 1]
    };
    assert_eq!(pixel(&["--theme", "dracula"], 0), 0xff5555);
    assert_eq!(pixel(&["--theme", "dracula"], 2), 0x0000ff);
    assert_eq!(pixel(&["--theme", "dracula"], 4), 0x010203);
    assert_eq!(pixel(&["--theme", "dracula"], 7), 0x282a36);
    let custom = "000000,ffffff,111111,222222,333333,444444,555555,666666,777777,888888";
    assert_eq!(pixel(&["--theme", custom], 0), 0x222222);
    let err = fails(&d.run(TOOL, &["--theme", "pink", "c.cast"]));
    assert!(err.contains("unknown theme 'pink'"), "{err}");
}

#[test]
fn bad_input() {
    let d = Dir::new();
    d.write("empty.cast", "");
    d.write("bin.cast", [0u8, 159, 146, 150, 255, 0, 1, 2]);
    d.write("cut.cast", "{\"version\": 2, \"width\": 20, \"height\": 3}\n[0.5, \"o\", \"ok\"]\n[1.0, \"o\", \"cut of");
    d.write(
        "bad.cast",
        "{\"version\": 2, \"width\": 20, \"height\": 3}\n[0.5, \"o\", \"ok\"]\n[oops]\n",
    );
    for f in ["empty.cast", "bin.cast"] {
        let err = fails(&d.run(TOOL, &[f, "-o", "x.gif"]));
        assert!(err.starts_with(&format!("cast-to-gif: {f}: ")), "{err}");
        assert!(!d.path("x.gif").exists(), "no half-written output");
    }
    let err = fails(&d.run(TOOL, &["bad.cast", "-o", "x.gif"]));
    assert!(err.starts_with("cast-to-gif: bad.cast: line 3: "), "{err}");
    assert!(!d.path("x.gif").exists());
    let o = d.run(TOOL, &["cut.cast", "-o", "x.gif"]);
    ok(&o);
    assert!(
        stderr(&o).starts_with("cast-to-gif: warning: cut.cast: "),
        "{}",
        stderr(&o)
    );
    fails(&d.run(TOOL, &["--strict", "cut.cast", "-o", "x.gif"]));
    let err = fails(&d.run(TOOL, &["missing.cast"]));
    assert!(err.starts_with("cast-to-gif: missing.cast: "), "{err}");
    // Standard input works (it is read twice, from a spooled copy).
    let o = d.run_stdin(
        TOOL,
        &["--at", "1"],
        "{\"version\": 2, \"width\": 20, \"height\": 3}\n[0.5, \"o\", \"ok\"]\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.starts_with(b"GIF89a"));
}

#[test]
fn huge_sizes_finish_in_bounded_memory() {
    let d = Dir::new();
    d.write("huge.cast", "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"fits\"]\n[1, \"r\", \"65535x65535\"]\n[1.5, \"o\", \"more\"]\n");
    let o = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(bin(TOOL))
        .args(["huge.cast", "-o", "huge.gif"])
        .current_dir(d.tmp.path())
        .output();
    let Ok(o) = o else {
        // No GNU time: still check that it finishes.
        ok(&d.run(TOOL, &["huge.cast", "-o", "huge.gif"]));
        return;
    };
    assert!(matches!(o.status.code(), Some(0 | 2)), "{}", stderr(&o));
    let err = stderr(&o);
    let kib: u64 = err
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .expect("peak RSS");
    assert!(kib < 400 * 1024, "peak RSS {kib} KiB");
    if o.status.success() {
        assert!(err.contains("too large to draw"), "{err}");
    }
}

#[test]
fn closed_pipe_ends_quietly() {
    let d = Dir::new();
    let mut evs = Vec::new();
    for k in 0..3000 {
        evs.push((
            k as f64 * 0.05,
            "o",
            if k % 2 == 0 {
                "\u{1b}[2J\u{1b}[H0123456789 abcdefghij\r\n"
            } else {
                "ABCDEFGHIJ klmnopqrst\r\n"
            },
        ));
    }
    d.write("big.cast", v2(&evs));
    let (first, out) = read_then_close(cmd(TOOL).arg("big.cast").current_dir(d.tmp.path()));
    assert!(first.starts_with(b"GIF89a"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn stderr_events_are_shown() {
    let d = Dir::new();
    d.write(
        "e.cast",
        v2(&[(0.5, "o", "out "), (1.0, "e", "err"), (1.5, "o", "!")]),
    );
    let (_, events) = parse_cast(&d.read("e.cast"));
    ok(&d.run(
        TOOL,
        &["--padding", "0", "--at", "2", "e.cast", "-o", "e.png"],
    ));
    let p = png(&d.path("e.png"));
    let (agree, inked, chars) = agreement(&p, &reference(&events, 80, 24, 2.0), p.w / 80, p.h / 24);
    assert_eq!((agree, inked, chars), (1.0, 1.0, 7));
    // Coloured: the stderr text in red, stdout after it in the default colour again.
    ok(&d.run(
        TOOL,
        &[
            "--padding",
            "0",
            "--at",
            "2",
            "--theme",
            "dracula",
            "--stderr-color",
            "e.cast",
            "-o",
            "c.png",
        ],
    ));
    let p = png(&d.path("c.png"));
    let cw = p.w / 80;
    let colours = |col: usize| -> std::collections::HashSet<u32> {
        (0..p.h)
            .flat_map(|y| (col * cw..(col + 1) * cw).map(move |x| (x, y)))
            .map(|(x, y)| p.px[y * p.w + x])
            .collect()
    };
    let reddish = |c: &u32| (c >> 16 & 0xff) as i32 - (c >> 8 & 0xff) as i32 > 80;
    assert!(colours(4).iter().any(reddish), "stderr in red");
    assert!(
        colours(7).len() > 2 && !colours(7).iter().any(reddish),
        "stdout restored"
    );
}
