//! Pictures of a recording: what cast-to-gif and cast-to-svg share.
//!
//! A recording is played once through the emulator ([`crate::vt::Vt`], asciinema's avt), and
//! frames are handed to a [`FrameSink`] as the stream is read: nothing of the recording is
//! kept but the current screen, so memory stays the same whatever its length. The timeline
//! rules are agg's, so its users get the pictures they expect:
//!
//! - each original pause is capped at the idle limit (as cast-idle does, with the same code:
//!   caps never compound), then time is divided by the speed;
//! - events less than one frame interval (`1 / fps-cap`) after the start of a frame are
//!   drawn into that frame, so a burst of output is one frame, not hundreds;
//! - the last frame is held `--last-frame-duration` longer;
//! - `--from`/`--to` play a half-open range of the file's own timeline: output before the
//!   range is emulated (so the first frame shows the screen as it was at that moment) but not
//!   shown;
//! - stderr (`e` events) is shown merged with stdout in order, as cast-merge-stderr merges it,
//!   optionally coloured with its colour rules and the same restoration of stdout's attributes.
//!
//! The picture is as large as the largest terminal the range reaches, which a first pass over
//! the events finds (standard input is spooled to a temporary file for it); a smaller screen is
//! drawn at the top left. [`picture_size`] is the one place that caps sizes.

pub mod font;
pub mod gif;
pub mod svg;
pub mod theme;

use std::path::PathBuf;

use clap::Args;

use crate::cli::ReadArgs;
use crate::cmd::idle::Idle;
use crate::cmd::merge_stderr::{Rendition, parse_color};
use crate::error::{Error, Result};
use crate::event::{self, Code, EventRecord};
use crate::read::Reader;
use crate::time::{self, Micros, TimeSpec};
use crate::vt::Vt;

/// The options cast-to-gif and cast-to-svg share (agg's names where agg has the option).
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// Recording to read (v1, v2 or v3). With none, or `-`, standard input is read
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Write to FILE instead of standard output (a temporary file beside it, renamed on success)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write one still picture: the screen at time T (SECONDS, M:SS, H:MM:SS or marker:LABEL)
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec,
          conflicts_with_all = ["from", "to"])]
    pub at: Option<TimeSpec>,

    /// Start at time T of the recording (the screen is emulated up to it)
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub from: Option<TimeSpec>,

    /// End before time T of the recording
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub to: Option<TimeSpec>,

    /// Playback speed: 2 is twice as fast
    #[arg(long, value_name = "FACTOR", default_value = "1", value_parser = time::parse_factor)]
    pub speed: f64,

    /// Longest pause kept, in seconds [default: the header's idle_time_limit, else 5]
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock)]
    pub idle_time_limit: Option<Micros>,

    /// Most frames per second; output closer together is drawn in one frame
    #[arg(long, value_name = "FPS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub fps_cap: u32,

    /// How long the last frame stays, in seconds
    #[arg(long, value_name = "SECS", default_value = "3", value_parser = time::parse_clock)]
    pub last_frame_duration: Micros,

    /// Fonts to draw with, comma-separated; the first one installed wins (monospace last)
    #[arg(long, value_name = "LIST", default_value = font::DEFAULT_FAMILIES)]
    pub font_family: String,

    /// Font size in pixels
    #[arg(long, value_name = "PX", default_value_t = 14.0, value_parser = parse_font_size)]
    pub font_size: f32,

    /// Row height as a multiple of the font size
    #[arg(long, value_name = "FACTOR", default_value_t = 1.4, value_parser = parse_line_height)]
    pub line_height: f32,

    /// Colours: asciinema, dracula, monokai, solarized-dark, solarized-light, nord,
    /// github-dark, github-light, header (the recording's own), or BG,FG,C0,...,C7[,...,C15]
    /// in hex [default: the header's theme, else asciinema]
    #[arg(long, value_name = "THEME", value_parser = theme::parse_theme)]
    pub theme: Option<String>,

    /// Emulate this many columns throughout (resizes then keep it)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub cols: Option<u16>,

    /// Emulate this many rows throughout (resizes then keep it)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub rows: Option<u16>,

    /// Margin around the screen, in pixels
    #[arg(long, value_name = "PX", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(0..=200))]
    pub padding: u16,

    /// Show stderr (`e` events) in COLOR, as cast-merge-stderr --color does [default when
    /// given without a value: red]; without it stderr is shown as it was written
    #[arg(long, value_name = "COLOR", num_args = 0..=1, require_equals = true,
          default_missing_value = "red", value_parser = parse_color)]
    pub stderr_color: Option<String>,

    #[command(flatten)]
    pub read: ReadArgs,
}

fn parse_font_size(s: &str) -> std::result::Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (4.0..=200.0).contains(&v) => Ok(v),
        _ => Err(format!("invalid font size '{s}': expected 4 to 200 pixels")),
    }
}

fn parse_line_height(s: &str) -> std::result::Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (0.5..=4.0).contains(&v) => Ok(v),
        _ => Err(format!("invalid line height '{s}': expected 0.5 to 4")),
    }
}

/// The largest picture drawn, in pixels (a 4K screen). A terminal that would need more is
/// cut to fit, so a corrupt or hostile size cannot exhaust memory.
pub const MAX_PIXELS: usize = 3840 * 2160;
/// The largest emulated terminal, as cast-to-txt caps it.
pub const MAX_COLS: u16 = crate::cmd::to_txt::MAX_COLS;
pub const MAX_ROWS: u16 = crate::cmd::to_txt::MAX_ROWS;

/// Caps a terminal size: at most [`MAX_COLS`] x [`MAX_ROWS`], and with cells of
/// `cell_w` x `cell_h` pixels (0 for no picture) at most [`MAX_PIXELS`] and 16384 pixels a
/// side. This is the one place sizes are capped; the emulator and the picture both use it.
pub fn picture_size(cols: u16, rows: u16, cell_w: usize, cell_h: usize) -> (u16, u16) {
    let mut c = cols.clamp(1, MAX_COLS) as usize;
    let mut r = rows.clamp(1, MAX_ROWS) as usize;
    if cell_w > 0 && cell_h > 0 {
        c = c.min(16384 / cell_w).max(1);
        r = r.min(16384 / cell_h).max(1);
        while c * cell_w * r * cell_h > MAX_PIXELS {
            // Shrink the longer side (in pixels) first.
            if c * cell_w >= r * cell_h && c > 1 {
                c -= c.div_ceil(16);
            } else if r > 1 {
                r -= r.div_ceil(16);
            } else {
                break;
            }
        }
    }
    (c as u16, r as u16)
}

/// What a picture receives as the recording plays.
pub trait FrameSink {
    /// The screen `vt` shows is on show from `start` (microseconds of output time) until the
    /// next call. It may be identical to the previous frame, which then simply lasts longer.
    fn frame(&mut self, vt: &Vt, start: Micros) -> Result<()>;

    /// The recording ends at `end`; the sink adds the last frame's hold and finishes writing.
    fn finish(&mut self, end: Micros) -> Result<()>;
}

/// The timeline settings, resolved against the recording.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub speed: f64,
    pub idle_limit: Micros,
    pub interval: Micros,
    pub from: Micros,
    pub to: Option<Micros>,
    /// One still frame at this time, instead of an animation.
    pub at: Option<Micros>,
    /// Emulated size overrides (`--cols`, `--rows`).
    pub cols: Option<u16>,
    pub rows: Option<u16>,
    pub stderr_color: Option<String>,
}

/// What the first pass learns.
#[derive(Debug, Clone)]
pub struct Scan {
    pub timeline: Timeline,
    /// The largest size the shown part reaches (capped to the emulator's limit).
    pub cols: u16,
    pub rows: u16,
}

/// Reads the whole recording once, cheaply (times, codes and resizes only), to resolve
/// `marker:LABEL` times and find the largest terminal size shown.
pub fn scan(rdr: &mut Reader, a: &RenderArgs) -> Result<Scan> {
    let header = rdr.header().clone();
    let (hc, hr) = header.size();
    let mut want: Vec<(&TimeSpec, Option<Micros>)> = Vec::new();
    for spec in [&a.at, &a.from, &a.to].into_iter().flatten() {
        want.push((spec, spec.micros()));
    }
    let mut markers: Vec<(Micros, String)> = Vec::new();
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    let mut sizes: Vec<(Micros, u16, u16)> = vec![(Micros::MIN, hc, hr)];
    while rdr.read_event(&mut rec)? {
        match rec.code() {
            Code::Resize => {
                if let Some((c, r)) = event::parse_size(rec.data_str(&mut scratch)) {
                    let last = sizes.last().expect("starts with the header's size");
                    if (last.1, last.2) != (c, r) {
                        // Only the largest matters; keep the history short: sizes within the
                        // range are folded into a running maximum below.
                        sizes.push((rec.time(), c, r));
                        if sizes.len() > 4096 {
                            fold(&mut sizes);
                        }
                    }
                }
            }
            Code::Marker => {
                let label = rec.data_str(&mut scratch);
                for (spec, t) in want.iter_mut() {
                    if let (TimeSpec::Marker(l), None) = (spec, &t)
                        && l == label
                    {
                        *t = Some(rec.time());
                    }
                }
                if markers.len() < 1000 {
                    markers.push((rec.time(), label.to_string()));
                }
            }
            _ => {}
        }
    }
    let resolve = |spec: &Option<TimeSpec>| -> Result<Option<Micros>> {
        let Some(spec) = spec else { return Ok(None) };
        match want.iter().find(|(s, _)| *s == spec) {
            Some((_, Some(t))) => Ok(Some(*t)),
            _ => match spec {
                TimeSpec::Marker(l) => Err(crate::cli::unknown_marker(l, &markers)),
                TimeSpec::At(t) => Ok(Some(*t)),
            },
        }
    };
    let at = resolve(&a.at)?;
    let from = resolve(&a.from)?.unwrap_or(0);
    let to = resolve(&a.to)?;
    if let Some(to) = to
        && to <= from
    {
        return Err(Error::msg("--to must be after --from"));
    }
    // The largest size in force at some time of the shown range.
    let (lo, hi) = match at {
        Some(t) => (t, t),
        None => (from, to.unwrap_or(Micros::MAX)),
    };
    let (mut cols, mut rows) = (1u16, 1u16);
    for (k, &(t, c, r)) in sizes.iter().enumerate() {
        let until = sizes.get(k + 1).map_or(Micros::MAX, |s| s.0);
        // In force during [t, until); for a still, at `at` itself (events at T included).
        let shown = if at.is_some() {
            t <= hi && until > lo
        } else {
            t < hi && until > lo
        };
        if shown {
            cols = cols.max(c);
            rows = rows.max(r);
        }
    }
    let (cols, rows) = (a.cols.unwrap_or(cols), a.rows.unwrap_or(rows));
    let (cols, rows) = picture_size(cols, rows, 0, 0);
    let idle_limit = a
        .idle_time_limit
        .or(header.idle_time_limit())
        .unwrap_or(5 * time::SECOND);
    Ok(Scan {
        timeline: Timeline {
            speed: a.speed,
            idle_limit,
            interval: (time::SECOND / a.fps_cap.max(1) as Micros).max(1),
            from,
            to,
            at,
            cols: a.cols,
            rows: a.rows,
            stderr_color: a.stderr_color.clone(),
        },
        cols,
        rows,
    })
}

/// Keeps a long size history short: sizes that end before the last one are merged into one
/// entry with the running maximum. Only reached by recordings resizing thousands of times,
/// where the picture then may be a little larger than the range alone needs.
fn fold(sizes: &mut Vec<(Micros, u16, u16)>) {
    let last = *sizes.last().expect("not empty");
    let (mut c, mut r) = (0, 0);
    for s in sizes.iter() {
        c = c.max(s.1);
        r = r.max(s.2);
    }
    *sizes = vec![(sizes[0].0, c, r), last];
}

/// Plays the recording `rdr` reads (from its first event) through the emulator, handing
/// frames to `sink` as [`Timeline`] says. The emulator runs at the sizes the recording
/// gives, capped by [`picture_size`] with the cell size given (0 for none).
pub fn play(
    rdr: &mut Reader,
    tl: &Timeline,
    cell: (usize, usize),
    sink: &mut dyn FrameSink,
) -> Result<()> {
    crate::cmd::to_txt::guard_emulator(|| play_here(rdr, tl, cell, sink))
}

fn play_here(
    rdr: &mut Reader,
    tl: &Timeline,
    cell: (usize, usize),
    sink: &mut dyn FrameSink,
) -> Result<()> {
    let size =
        |c: u16, r: u16| picture_size(tl.cols.unwrap_or(c), tl.rows.unwrap_or(r), cell.0, cell.1);
    let (hc, hr) = rdr.header().size();
    let (c, r) = size(hc, hr);
    let mut vt = Vt::new(c, r);
    let mut idle = Idle::new(tl.idle_limit, false);
    let scale = |t: Micros| (t as f64 / tl.speed).round() as Micros;
    let mut base: Option<Micros> = None;
    // The start of the frame being gathered, when the screen changed since the last one.
    let mut pending: Option<Micros> = None;
    let mut last = 0;
    let mut end: Option<Micros> = None;
    let mut rendition = tl.stderr_color.as_ref().map(|_| Rendition::default());
    let mut colored = String::new();
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    while rdr.read_event(&mut rec)? {
        let t = rec.time();
        if tl.at.is_some_and(|at| t > at) {
            break;
        }
        if let Some(to) = tl.to
            && t >= to
        {
            if let Some(b) = base {
                end = Some(scale(idle.map(to) - b));
            }
            break;
        }
        let shown = if tl.at.is_none() && t >= tl.from {
            let b = *base.get_or_insert_with(|| {
                pending = Some(0);
                idle.map(tl.from)
            });
            let u = scale(idle.map(t) - b);
            if let Some(s) = pending
                && u >= s + tl.interval
            {
                sink.frame(&vt, s)?;
                pending = None;
            }
            last = u;
            Some(u)
        } else {
            idle.map(t);
            None
        };
        match rec.code() {
            Code::Output => {
                let text = rec.data_str(&mut scratch);
                if let Some(r) = rendition.as_mut() {
                    r.feed(text.as_bytes());
                }
                vt.feed(text);
            }
            Code::Stderr => {
                let text = rec.data_str(&mut scratch);
                match (&tl.stderr_color, &rendition) {
                    (Some(c), Some(r)) if !text.is_empty() => {
                        colored.clear();
                        colored.push_str("\x1b[");
                        colored.push_str(c);
                        colored.push('m');
                        colored.push_str(text);
                        let mut params = b"\x1b[0".to_vec();
                        r.write_params(&mut params);
                        params.push(b'm');
                        colored.push_str(std::str::from_utf8(&params).expect("ASCII"));
                        vt.feed(&colored);
                    }
                    _ => vt.feed(text),
                }
            }
            Code::Resize => {
                if let Some((c, r)) = event::parse_size(rec.data_str(&mut scratch)) {
                    let (c, r) = size(c, r);
                    if (c, r) != vt.size() {
                        vt.resize(c, r);
                    }
                }
            }
            _ => continue,
        }
        if let Some(u) = shown
            && pending.is_none()
        {
            pending = Some(u);
        }
    }
    if tl.at.is_some() {
        sink.frame(&vt, 0)?;
        return sink.finish(0);
    }
    if base.is_none() {
        // The range starts after the last event: one frame of the screen as it ended.
        pending = Some(0);
    }
    let end = end.unwrap_or(last);
    if let Some(s) = pending {
        sink.frame(&vt, s)?;
    }
    sink.finish(end.max(pending.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_capped_in_cells_and_pixels() {
        assert_eq!(picture_size(80, 24, 8, 20), (80, 24));
        assert_eq!(picture_size(0, 0, 8, 20), (1, 1));
        assert_eq!(picture_size(65535, 65535, 0, 0), (MAX_COLS, MAX_ROWS));
        let (c, r) = picture_size(65535, 65535, 8, 20);
        assert!(c as usize * 8 * r as usize * 20 <= MAX_PIXELS, "{c}x{r}");
        assert!(c > 100 && r > 50, "{c}x{r}");
    }

    /// Collects frame starts and a digest of each screen.
    #[derive(Default)]
    struct Log(Vec<(Micros, String)>, Option<Micros>);

    impl FrameSink for Log {
        fn frame(&mut self, vt: &Vt, start: Micros) -> Result<()> {
            self.0.push((
                start,
                vt.lines().join("|").trim_end_matches('|').to_string(),
            ));
            Ok(())
        }
        fn finish(&mut self, end: Micros) -> Result<()> {
            self.1 = Some(end);
            Ok(())
        }
    }

    fn run(cast: &str, extra: &[&str]) -> Log {
        #[derive(clap::Parser)]
        struct A {
            #[command(flatten)]
            r: RenderArgs,
        }
        use clap::Parser;
        let mut args = vec!["x"];
        args.extend_from_slice(extra);
        let a = A::parse_from(args);
        let mut rdr = Reader::new(
            Box::new(std::io::Cursor::new(cast.as_bytes().to_vec())),
            None,
        )
        .unwrap();
        let s = scan(&mut rdr, &a.r).unwrap();
        let mut rdr = Reader::new(
            Box::new(std::io::Cursor::new(cast.as_bytes().to_vec())),
            None,
        )
        .unwrap();
        let mut log = Log::default();
        play(&mut rdr, &s.timeline, (0, 0), &mut log).unwrap();
        log
    }

    const CAST: &str = "{\"version\":2,\"width\":10,\"height\":2}\n\
        [0.5,\"o\",\"a\"]\n[0.51,\"o\",\"b\"]\n[1.0,\"e\",\"E\"]\n[20.0,\"o\",\"c\"]\n\
        [21,\"m\",\"here\"]\n[22,\"r\",\"12x3\"]\n";

    #[test]
    fn frames_coalesce_and_pauses_are_capped() {
        let log = run(CAST, &[]);
        let got: Vec<(Micros, &str)> = log.0.iter().map(|(t, s)| (*t, s.as_str())).collect();
        assert_eq!(
            got,
            [
                (0, ""),
                (500_000, "ab"),
                (1_000_000, "abE"),
                (6_000_000, "abEc"),
                (8_000_000, "abEc")
            ]
        );
        assert_eq!(log.1, Some(8_000_000));
    }

    #[test]
    fn ranges_speed_and_stills() {
        let log = run(
            CAST,
            &["--from", "0.9", "--to", "marker:here", "--speed", "2"],
        );
        let got: Vec<(Micros, &str)> = log.0.iter().map(|(t, s)| (*t, s.as_str())).collect();
        // From 0.9 s: E at 0.1 s, c after a pause capped at 5 s, end at the marker, all halved.
        assert_eq!(got, [(0, "ab"), (50_000, "abE"), (2_550_000, "abEc")]);
        assert_eq!(log.1, Some(3_050_000));
        let log = run(CAST, &["--at", "0.51"]);
        assert_eq!(log.0, [(0, "ab".to_string())]);
    }
}
