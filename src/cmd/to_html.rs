//! cast-to-html: a recording as one web page that plays it, with no server.
//!
//! The page embeds the recording and plays it with asciinema-player, the web player people know
//! (npm package `asciinema-player`, Apache-2.0). The player is not part of castkit: by default
//! the page loads a pinned version from a public CDN, with subresource-integrity hashes so a
//! changed file is refused; `--player-dir` inlines a local copy instead, for a page that works
//! offline.
//!
//! The recording is streamed into the page as a JavaScript string, so memory stays constant
//! whatever its length. The string is JSON with `<`, `>`, `&`, U+2028 and U+2029 escaped as well:
//! nothing a recording holds (`</script>`, `<!--`) can end the script element early or change
//! how the page parses. `e` events are written as `o` (by cast-merge-stderr's filter), because
//! the player ignores codes it does not know.
//!
//! Every option of the pinned player is a flag named after it ([`PlayerOptions`], checked
//! against the player's own option lists, `CORE_OPTS` and `UI_OPTS` in its `dist/opts-*.js`);
//! an option left unset is not written, so the player's default applies. Other tools build
//! pages through [`write_page`] and [`write_url_page`] with a [`PageOptions`], whose `Default`
//! is the page cast-to-html writes with no options.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::{CommandFactory, Parser, ValueEnum};
use serde_json::{Map, Value};

use crate::cli::ReadArgs;
use crate::cli::{self, EventFilter, FormatArg, Input, Sink, Target};
use crate::cmd::merge_stderr::{MergeStderr, Mode};
use crate::error::{Error, ErrorKind, Result};
use crate::event::{Code, EventRecord};
use crate::header::Version;
use crate::read::Reader;
use crate::time::{self, Micros, TimeSpec};
use crate::write::Writer;

/// The asciinema-player version pages load from the CDN.
pub const PLAYER_VERSION: &str = "3.17.0";
/// Where that version's bundle is.
pub const PLAYER_CDN: &str = "https://cdn.jsdelivr.net/npm/asciinema-player@3.17.0/dist/bundle/";
/// Subresource-integrity hash of `asciinema-player.min.js` 3.17.0 (as published on npm).
pub const PLAYER_JS_SRI: &str =
    "sha384-s55nTYAdrPwGWmKKQ1lCnoB8H9LbqmsXsqqqPAHK2+T5h9IfI2dTXTDXJcZnySJD";
/// Subresource-integrity hash of `asciinema-player.css` 3.17.0.
pub const PLAYER_CSS_SRI: &str =
    "sha384-05cmIVRzN7mR7nmqajPpGPUPqJ5VyTAGHL1xJuiGWfhpWDp5hEfBk50kr21f3ILM";
const JS_FILE: &str = "asciinema-player.min.js";
const CSS_FILE: &str = "asciinema-player.css";

/// The player's built-in themes.
pub const THEMES: &[&str] = &[
    "asciinema",
    "dracula",
    "gruvbox-dark",
    "monokai",
    "nord",
    "seti",
    "solarized-dark",
    "solarized-light",
    "tango",
];

const EXAMPLES: &str = "\
Examples:
  cast-to-html demo.cast > demo.html                 a page that loads the player from a CDN
  cast-to-html --player-dir node_modules/asciinema-player demo.cast -o demo.html
                                                     a page that works offline
  cast-to-html --autoplay --loop -i 2 demo.cast      play at once, over and over, pauses capped
  cast-to-html --start-at marker:build demo.cast     open at a marker
  cast-to-html --markers 1:30:deploy --pause-on-markers demo.cast
                                                     add a chapter, and stop at each one
  cast-to-html --controls always --cols 100 demo.cast  always show the bar; 100 columns
  cast-to-html --embed --url /casts/demo.cast        a snippet to paste into a page
  cast-to-html --embed demo.cast                     a snippet with the recording inside

The player: by default pages load asciinema-player 3.17.0 from cdn.jsdelivr.net (with
integrity hashes). For a page that needs no network, install the player with
`npm install asciinema-player@3.17.0` and give --player-dir (the package folder, its
dist/bundle, or the folder npm ran in).

Exit status:
  0  success
  2  an error (a bad option, a missing player, an unreadable or malformed recording)";

/// How the player fits the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fit {
    Width,
    Height,
    Both,
    None,
}

/// When the player shows its control bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Controls {
    /// While the mouse moves over the player (the player's default)
    Auto,
    Always,
    Never,
}

/// How the player draws the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CursorMode {
    /// The player's default
    Blinking,
    Steady,
    Hidden,
}

/// A marker added on the command line: `T[:LABEL]`, T on the recording's own timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraMarker {
    pub at: Micros,
    pub label: String,
}

/// Parses `T[:LABEL]`: T is the longest part before a `:` that is a time, so `1:30` is a
/// minute and a half and `1:30:intro` the same time labelled `intro`.
pub fn parse_marker(s: &str) -> std::result::Result<ExtraMarker, String> {
    if let Ok(at) = time::parse_clock(s) {
        return Ok(ExtraMarker {
            at,
            label: String::new(),
        });
    }
    for (k, _) in s.match_indices(':').collect::<Vec<_>>().into_iter().rev() {
        if let Ok(at) = time::parse_clock(&s[..k]) {
            return Ok(ExtraMarker {
                at,
                label: s[k + 1..].to_string(),
            });
        }
    }
    Err(format!(
        "invalid marker '{s}': expected T or T:LABEL, T as SECONDS, M:SS(.frac) or H:MM:SS(.frac)"
    ))
}

/// The player's options, each a flag named after the asciinema-player option it sets
/// (`--pause-on-markers` is `pauseOnMarkers`), with the player's meaning and default. An option
/// left unset is not written, so the player's own default applies.
///
/// Other code builds pages with `PlayerOptions { speed: Some(2.0), ..Default::default() }`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PlayerOptions {
    /// Shorten every pause to at most SECS on playback [default: the header's idle_time_limit]
    #[arg(short = 'i', long, value_name = "SECS", value_parser = time::parse_clock)]
    pub idle_time_limit: Option<Micros>,

    /// Playback speed: 2 is twice as fast
    #[arg(short = 's', long, value_name = "X", value_parser = time::parse_factor)]
    pub speed: Option<f64>,

    /// Start playback at T: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub start_at: Option<TimeSpec>,

    /// Play again at the end, forever or N times
    #[arg(long = "loop", value_name = "N", num_args = 0..=1, require_equals = true,
          default_missing_value = "0")]
    pub loop_: Option<u32>,

    /// Colour theme: asciinema, dracula, gruvbox-dark, monokai, nord, seti, solarized-dark,
    /// solarized-light, tango; auto/NAME uses the recording's own theme when it has one
    #[arg(long, value_name = "NAME", value_parser = parse_theme)]
    pub theme: Option<String>,

    /// Show the terminal as it is at T before playback starts (same forms as --start-at)
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub poster: Option<TimeSpec>,

    /// Start playing when the page opens
    #[arg(long)]
    pub autoplay: bool,

    /// Load the recording when the page opens, not at the first play
    #[arg(long)]
    pub preload: bool,

    /// Scale the terminal to the page's width, height, both, or not at all [default: width]
    #[arg(long, value_enum, value_name = "MODE")]
    pub fit: Option<Fit>,

    /// Pause playback at every marker
    #[arg(long)]
    pub pause_on_markers: bool,

    /// Add a marker at T, labelled LABEL, besides the recording's own `m` events (repeatable;
    /// T on the recording's timeline, in the forms of --start-at but no marker:LABEL)
    #[arg(long = "markers", value_name = "T[:LABEL]", value_parser = parse_marker)]
    pub markers: Vec<ExtraMarker>,

    /// Show the keys typed during the recording (its `i` events) over the terminal
    #[arg(long)]
    pub keystroke_overlay: bool,

    /// Play the audio at URL along with the recording (the player keeps them in step)
    #[arg(long, value_name = "URL")]
    pub audio_url: Option<String>,

    /// Show the control bar while the mouse moves over the player, always, or never
    /// [default: auto]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub controls: Option<Controls>,

    /// Draw the cursor blinking, steady, or not at all [default: blinking]
    #[arg(long, value_enum, value_name = "MODE")]
    pub cursor_mode: Option<CursorMode>,

    /// The terminal's font: a CSS font-family list (the fonts must be installed or loaded by
    /// the page) [default: the player's monospace stack]
    #[arg(long, value_name = "FONTS")]
    pub terminal_font_family: Option<String>,

    /// The terminal's font size: small, medium, big or a CSS size such as 15px; takes effect
    /// with --fit none, as in the player
    #[arg(long, value_name = "SIZE")]
    pub terminal_font_size: Option<String>,

    /// The terminal's line height, relative to the font size [default: 1.3333]
    #[arg(long, value_name = "X", value_parser = parse_line_height)]
    pub terminal_line_height: Option<f64>,

    /// Terminal width in columns [default: the recording's]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub cols: Option<u16>,

    /// Terminal height in rows [default: the recording's]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub rows: Option<u16>,

    /// Show bold text in the bright colours (as many terminals do)
    #[arg(long)]
    pub bold_is_bright: bool,

    /// Derive the 256-colour palette from the theme's 16 colours, so it suits the theme
    #[arg(long)]
    pub adaptive_palette: bool,
}

fn parse_line_height(s: &str) -> std::result::Result<f64, String> {
    time::parse_factor(s)
        .map_err(|_| format!("invalid line height '{s}': expected a positive number"))
}

/// Write an asciicast recording as a web page that plays it
///
/// Writes one self-contained HTML file: the recording embedded in the page, played by
/// asciinema-player (pause, seek, speed, markers as chapters, copyable text). Open it from disk
/// or serve it as a static file. stderr (`e` events) is shown as ordinary output, since the
/// player would drop it. Every option of the player has a flag of the same name.
#[derive(Debug, Parser)]
#[command(name = "cast-to-html", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Recording to read (v1, v2 or v3). With none, or `-`, standard input is read
    #[arg(value_name = "FILE", conflicts_with = "url")]
    pub file: Option<PathBuf>,

    /// Write to FILE instead of standard output (a temporary file beside it, renamed on success)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Page title and heading [default: the recording's title, else its file name]
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,

    #[command(flatten)]
    pub player: PlayerOptions,

    /// Inline the player from DIR (a local `npm install asciinema-player`): the page then needs
    /// no network
    #[arg(long, value_name = "DIR", conflicts_with = "player_url")]
    pub player_dir: Option<PathBuf>,

    /// Load the player from URL (a folder holding asciinema-player.min.js and .css) instead of
    /// the CDN
    #[arg(long, value_name = "URL")]
    pub player_url: Option<String>,

    /// Print only a snippet to paste into a page: a div and a script tag that loads the player
    /// when the page has none
    #[arg(long, conflicts_with = "player_dir")]
    pub embed: bool,

    /// Play the recording at URL (fetched by the browser) instead of embedding a FILE; its
    /// stderr events are then not shown
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Version to write [default: the input's; v1 is written as v2]
    #[arg(long, value_enum, value_name = "VERSION")]
    pub format: Option<FormatArg>,

    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

fn parse_theme(s: &str) -> std::result::Result<String, String> {
    let name = s.strip_prefix("auto/").unwrap_or(s);
    if THEMES.contains(&name) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "unknown theme '{s}': expected one of {} (or auto/NAME)",
            THEMES.join(", ")
        ))
    }
}

/// Where the page gets the player from: the pinned CDN by default.
#[derive(Debug, Clone)]
pub enum Player {
    /// Load from a base URL; with integrity hashes when it is the pinned CDN.
    Url { base: String, pinned: bool },
    /// Inline the player's JS and CSS.
    Inline { js: String, css: String },
}

impl Default for Player {
    fn default() -> Player {
        Player::cdn()
    }
}

impl Player {
    /// Finds the player's files in `dir`, `dir/dist/bundle` or
    /// `dir/node_modules/asciinema-player/dist/bundle`.
    pub fn from_dir(dir: &Path) -> Result<Player> {
        let candidates = [
            dir.to_path_buf(),
            dir.join("dist/bundle"),
            dir.join("node_modules/asciinema-player/dist/bundle"),
        ];
        for c in &candidates {
            let (js, css) = (c.join(JS_FILE), c.join(CSS_FILE));
            if js.is_file() && css.is_file() {
                let read =
                    |p: &Path| std::fs::read_to_string(p).map_err(|e| Error::from(e).in_file(p));
                return Ok(Player::Inline {
                    js: read(&js)?,
                    css: read(&css)?,
                });
            }
        }
        Err(Error::msg(format!(
            "--player-dir {}: no {JS_FILE} and {CSS_FILE} there, nor in its dist/bundle or \
             node_modules/asciinema-player/dist/bundle (install the player with \
             `npm install asciinema-player@{PLAYER_VERSION}`)",
            dir.display()
        )))
    }

    fn cdn() -> Player {
        Player::Url {
            base: PLAYER_CDN.to_string(),
            pinned: true,
        }
    }

    fn base_url(&self) -> Option<String> {
        match self {
            Player::Url { base, .. } if base.ends_with('/') => Some(base.clone()),
            Player::Url { base, .. } => Some(format!("{base}/")),
            Player::Inline { .. } => None,
        }
    }

    fn head(&self, out: &mut String) {
        match self {
            Player::Inline { css, .. } => {
                out.push_str("<style>\n");
                out.push_str(&replace_ci(css, "</style", "<\\/style"));
                out.push_str("\n</style>\n");
            }
            Player::Url { pinned, .. } => {
                let base = self.base_url().expect("a URL player");
                out.push_str(&format!(
                    "<link rel=\"stylesheet\" href=\"{}\"{}>\n",
                    html_escape(&format!("{base}{CSS_FILE}")),
                    if *pinned {
                        format!(" integrity=\"{PLAYER_CSS_SRI}\" crossorigin=\"anonymous\"")
                    } else {
                        String::new()
                    }
                ));
            }
        }
    }

    fn script(&self, out: &mut String) {
        match self {
            Player::Inline { js, .. } => {
                out.push_str("<script>\n");
                let js = replace_ci(js, "</script", "<\\/script");
                out.push_str(&js.replace("<!--", "<\\!--"));
                out.push_str("\n</script>\n");
            }
            Player::Url { pinned, .. } => {
                let base = self.base_url().expect("a URL player");
                out.push_str(&format!(
                    "<script src=\"{}\"{}></script>\n",
                    html_escape(&format!("{base}{JS_FILE}")),
                    if *pinned {
                        format!(" integrity=\"{PLAYER_JS_SRI}\" crossorigin=\"anonymous\"")
                    } else {
                        String::new()
                    }
                ));
            }
        }
    }
}

/// Replaces `pat` (ASCII) in `s` ignoring ASCII case.
fn replace_ci(s: &str, pat: &str, with: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(pat) {
        out.push_str(&s[last..i]);
        out.push_str(with);
        last = i + pat.len();
    }
    out.push_str(&s[last..]);
    out
}

/// Escapes text for HTML content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON text made safe inside a `<script>` element: `<`, `>` and `&` as `\u` escapes (valid in
/// JSON strings, and the only place they occur in JSON), U+2028 and U+2029 too.
pub fn script_json(v: &Value) -> String {
    let s = serde_json::to_string(v).expect("values serialize");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A writer that writes what it is given as the inside of a JSON/JavaScript string literal,
/// safe in a `<script>` element. Input is UTF-8 written in pieces that may split characters.
pub struct ScriptString<W: Write> {
    out: W,
    /// The start of a character split between writes (at most 3 bytes).
    pending: Vec<u8>,
    buf: Vec<u8>,
}

impl<W: Write> ScriptString<W> {
    pub fn new(out: W) -> Self {
        ScriptString {
            out,
            pending: Vec::new(),
            buf: Vec::new(),
        }
    }

    fn escape(&mut self, bytes: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b'"' => self.buf.extend_from_slice(b"\\\""),
                b'\\' => self.buf.extend_from_slice(b"\\\\"),
                b'\n' => self.buf.extend_from_slice(b"\\n"),
                b'\r' => self.buf.extend_from_slice(b"\\r"),
                b'\t' => self.buf.extend_from_slice(b"\\t"),
                0..=0x1f | b'<' | b'>' | b'&' | 0x7f => {
                    self.buf.extend_from_slice(b"\\u00");
                    self.buf.push(HEX[(b >> 4) as usize]);
                    self.buf.push(HEX[(b & 15) as usize]);
                }
                0xE2 if bytes.get(i + 1) == Some(&0x80)
                    && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
                {
                    self.buf.extend_from_slice(if bytes[i + 2] == 0xA8 {
                        b"\\u2028"
                    } else {
                        b"\\u2029"
                    });
                    i += 3;
                    continue;
                }
                _ => self.buf.push(b),
            }
            i += 1;
        }
    }

    /// Writes out anything held back and returns the inner writer.
    pub fn into_inner(mut self) -> io::Result<W> {
        let rest = std::mem::take(&mut self.pending);
        self.buf.clear();
        self.escape(&rest);
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ScriptString<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut all = std::mem::take(&mut self.pending);
        all.extend_from_slice(data);
        // Hold back an incomplete UTF-8 character at the end.
        let mut keep = 0;
        for back in 1..=3.min(all.len()) {
            let b = all[all.len() - back];
            if b & 0xC0 == 0x80 {
                continue;
            }
            let need = if b >= 0xF0 {
                4
            } else if b >= 0xE0 {
                3
            } else if b >= 0xC0 {
                2
            } else {
                1
            };
            if need > back {
                keep = back;
            }
            break;
        }
        let split = all.len() - keep;
        self.buf.clear();
        self.escape(&all[..split]);
        self.pending = all[split..].to_vec();
        self.out.write_all(&self.buf)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One writer shared by the page and the recording streamed into it.
#[derive(Clone)]
struct Shared(Arc<Mutex<Box<dyn Write + Send>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .flush()
    }
}

/// Most distinct marker labels remembered.
const MAX_LABELS: usize = 1000;

/// Passes events through for the page: `e` shown as `o` by cast-merge-stderr's filter, and the
/// markers remembered when the options need them.
///
/// The player takes a `markers` option *instead of* the recording's `m` events, and places
/// them on its idle-limited timeline. So with `--markers` every marker of the recording is
/// kept, and both kinds are moved to the limited timeline the way the player moves events.
pub struct Embed {
    merge: MergeStderr,
    wanted: bool,
    /// The first time of each label, when markers are wanted at all.
    pub found: Vec<(String, Micros)>,
    scratch: String,
    /// The latest event time seen (None before the first event).
    pub last: Option<Micros>,
    /// With extra markers: the idle limit the player applies, and where the timelines are.
    timeline: Option<Timeline>,
}

/// The player's idle-limited timeline, followed event by event, with the markers placed on it.
struct Timeline {
    limit: Option<Micros>,
    prev: Micros,
    limited: Micros,
    /// Extra markers not yet reached, latest first (popped from the end).
    pending: Vec<ExtraMarker>,
    /// Every marker, on the limited timeline.
    placed: Vec<(Micros, String)>,
}

impl Timeline {
    fn new(limit: Option<Micros>, extra: &[ExtraMarker]) -> Timeline {
        let mut pending = extra.to_vec();
        pending.sort_by_key(|m| std::cmp::Reverse(m.at));
        Timeline {
            limit,
            prev: 0,
            limited: 0,
            pending,
            placed: Vec::new(),
        }
    }

    /// Where original time `t`, not before the last event, falls on the limited timeline.
    fn place(&self, t: Micros) -> Micros {
        let gap = t.saturating_sub(self.prev).max(0);
        self.limited
            .saturating_add(self.limit.map_or(gap, |l| gap.min(l)))
    }

    /// Places the extra markers up to `t`, then moves to the event at `t`.
    fn advance(&mut self, t: Micros) {
        while let Some(m) = self.pending.last()
            && m.at <= t
        {
            let m = self.pending.pop().expect("just seen");
            self.placed.push((self.place(m.at), m.label));
        }
        self.limited = self.place(t);
        self.prev = self.prev.max(t);
    }

    /// Every marker, sorted by time: the recording's and the extra ones.
    fn finish(mut self) -> Vec<(Micros, String)> {
        while let Some(m) = self.pending.pop() {
            self.placed.push((self.place(m.at), m.label));
        }
        self.placed.sort_by_key(|(t, _)| *t);
        self.placed
    }
}

impl Embed {
    /// An embedder that remembers where markers are when `markers` is true.
    pub fn new(markers: bool) -> Embed {
        Embed {
            merge: MergeStderr::new(Mode::Merge, None),
            wanted: markers,
            found: Vec::new(),
            scratch: String::new(),
            last: None,
            timeline: None,
        }
    }

    /// Also keeps every marker of the recording, and places `extra` beside them, on the
    /// timeline of a player that caps pauses at `limit`.
    fn with_extra_markers(mut self, limit: Option<Micros>, extra: &[ExtraMarker]) -> Embed {
        self.timeline = Some(Timeline::new(limit, extra));
        self
    }

    fn marker(&self, label: &str) -> Option<Micros> {
        self.found.iter().find(|(l, _)| l == label).map(|(_, t)| *t)
    }
}

impl EventFilter for Embed {
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        self.last = Some(self.last.map_or(rec.time(), |t| t.max(rec.time())));
        if let Some(tl) = &mut self.timeline {
            tl.advance(rec.time());
            if rec.code() == Code::Marker {
                let label = rec.data_str(&mut self.scratch).to_string();
                tl.placed.push((tl.limited, label));
            }
        }
        if rec.code() == Code::Marker && self.wanted {
            let label = rec.data_str(&mut self.scratch);
            // Every label is kept once (the message for a missing one names them all), up to
            // a bound that keeps memory constant.
            if self.found.len() < MAX_LABELS && !self.found.iter().any(|(l, _)| l == label) {
                self.found.push((label.to_string(), rec.time()));
            }
        }
        self.merge.event(rec, out)
    }
}

fn seconds_value(t: Micros) -> Value {
    serde_json::from_str(&time::seconds_string(t)).expect("a decimal is a JSON number")
}

/// The player's options object. `marker` resolves `marker:LABEL`; `markers` is the whole
/// marker list (on the player's timeline) when extra markers were given.
fn options(
    a: &PlayerOptions,
    marker: &dyn Fn(&str) -> Result<Micros>,
    markers: Option<&[(Micros, String)]>,
) -> Result<Map<String, Value>> {
    let mut o = Map::new();
    let resolve = |t: &TimeSpec| -> Result<Micros> {
        match t {
            TimeSpec::At(t) => Ok(*t),
            TimeSpec::Marker(l) => marker(l),
        }
    };
    let flag = |o: &mut Map<String, Value>, on: bool, key: &str| {
        if on {
            o.insert(key.into(), Value::Bool(true));
        }
    };
    if let Some(t) = &a.start_at {
        o.insert("startAt".into(), seconds_value(resolve(t)?));
    }
    if let Some(s) = a.speed {
        o.insert("speed".into(), Value::from(s));
    }
    if let Some(t) = a.idle_time_limit {
        o.insert("idleTimeLimit".into(), seconds_value(t));
    }
    if let Some(n) = a.loop_ {
        o.insert(
            "loop".into(),
            if n == 0 {
                Value::Bool(true)
            } else {
                Value::from(n)
            },
        );
    }
    if let Some(t) = &a.theme {
        o.insert("theme".into(), Value::from(t.as_str()));
    }
    if let Some(t) = &a.poster {
        o.insert(
            "poster".into(),
            Value::from(format!("npt:{}", time::seconds_string(resolve(t)?))),
        );
    }
    flag(&mut o, a.autoplay, "autoPlay");
    flag(&mut o, a.preload, "preload");
    if let Some(f) = a.fit {
        o.insert(
            "fit".into(),
            match f {
                Fit::Width => Value::from("width"),
                Fit::Height => Value::from("height"),
                Fit::Both => Value::from("both"),
                Fit::None => Value::Bool(false),
            },
        );
    }
    flag(&mut o, a.pause_on_markers, "pauseOnMarkers");
    if let Some(m) = markers {
        let list = m
            .iter()
            .map(|(t, l)| Value::Array(vec![seconds_value(*t), Value::from(l.as_str())]))
            .collect();
        o.insert("markers".into(), Value::Array(list));
    }
    flag(&mut o, a.keystroke_overlay, "keystrokeOverlay");
    if let Some(u) = &a.audio_url {
        o.insert("audioUrl".into(), Value::from(u.as_str()));
    }
    if let Some(c) = a.controls {
        o.insert(
            "controls".into(),
            match c {
                Controls::Auto => Value::from("auto"),
                Controls::Always => Value::Bool(true),
                Controls::Never => Value::Bool(false),
            },
        );
    }
    if let Some(c) = a.cursor_mode {
        let mode = match c {
            CursorMode::Blinking => "blinking",
            CursorMode::Steady => "steady",
            CursorMode::Hidden => "hidden",
        };
        o.insert("cursorMode".into(), Value::from(mode));
    }
    if let Some(f) = &a.terminal_font_family {
        o.insert("terminalFontFamily".into(), Value::from(f.as_str()));
    }
    if let Some(f) = &a.terminal_font_size {
        o.insert("terminalFontSize".into(), Value::from(f.as_str()));
    }
    if let Some(h) = a.terminal_line_height {
        o.insert("terminalLineHeight".into(), Value::from(h));
    }
    if let Some(c) = a.cols {
        o.insert("cols".into(), Value::from(c));
    }
    if let Some(r) = a.rows {
        o.insert("rows".into(), Value::from(r));
    }
    flag(&mut o, a.bold_is_bright, "boldIsBright");
    flag(&mut o, a.adaptive_palette, "adaptivePalette");
    Ok(o)
}

/// A stable element id for a snippet, from what it shows (so output is reproducible).
fn element_id(key: &str) -> String {
    let mut h: u32 = 0x811c9dc5;
    for b in key.bytes() {
        h = (h ^ b as u32).wrapping_mul(0x01000193);
    }
    format!("castkit-player-{h:08x}")
}

/// Everything about a page besides the recording. The default is what cast-to-html writes with
/// no options: a whole page, the player loaded from the pinned CDN, the player's defaults.
///
/// Fields may be added; build it as `PageOptions { embed: true, ..Default::default() }`.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// Title and heading [default: the recording's title, else its file name, else
    /// `recording`].
    pub title: Option<String>,
    /// Where the page gets the player from.
    pub player: Player,
    /// Write a snippet to paste into a page instead of a whole page.
    pub embed: bool,
    /// Version of the embedded recording [default: the input's].
    pub format: Option<Version>,
    /// The player's options.
    pub options: PlayerOptions,
}

/// Writes a page (or, with `embed`, a snippet) that plays the recording `rdr` reads, streaming
/// it into the page in constant memory. `out_name` names the output in write errors. The
/// reader's warnings are left for the caller to report ([`cli::report_warnings`]).
///
/// Errors: a `marker:LABEL` naming no marker, `--markers` with a bad time, a malformed
/// recording, a failed write.
pub fn write_page(
    rdr: &mut Reader,
    out: Box<dyn Write + Send>,
    out_name: &Path,
    page: &PageOptions,
) -> Result<()> {
    let name = rdr
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("<stdin>"));
    let title = page
        .title
        .clone()
        .or_else(|| rdr.header().title().map(str::to_string))
        .unwrap_or_else(|| {
            if name.as_os_str() == "<stdin>" {
                "recording".to_string()
            } else {
                name.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| name.display().to_string())
            }
        });
    let po = &page.options;
    let wanted = [&po.start_at, &po.poster]
        .into_iter()
        .any(|t| matches!(t, Some(TimeSpec::Marker(_))));
    let werr = |e: io::Error| Error::from(e).in_file(out_name);
    let shared = Shared(Arc::new(Mutex::new(out)));
    let mut page_out = shared.clone();
    let shell = Page {
        player: &page.player,
        title: &title,
        id: element_id(&name.to_string_lossy()),
    };
    let start = if page.embed {
        shell.snippet_start()
    } else {
        shell.head()
    };
    page_out
        .write_all(start.as_bytes())
        .and_then(|_| page_out.write_all(b"const castkitRecording = \""))
        .map_err(werr)?;

    let version = page.format.unwrap_or(rdr.version());
    let escaper = Arc::new(Mutex::new(Some(ScriptString::new(shared.clone()))));
    let mut w = Writer::new(Box::new(EscaperHandle(escaper.clone())), version);
    let mut embed = Embed::new(wanted);
    if !po.markers.is_empty() {
        let limit = po.idle_time_limit.or(rdr.header().idle_time_limit());
        embed = embed.with_extra_markers(limit, &po.markers);
    }
    w.write_header(rdr.header()).map_err(werr)?;
    cli::pump(rdr, &mut embed, &mut w, out_name)?;
    w.finish().map_err(werr)?;
    let esc = escaper
        .lock()
        .map_err(|_| Error::msg("internal error: poisoned lock"))?
        .take()
        .expect("taken once");
    esc.into_inner().map_err(werr)?;

    let markers = embed.timeline.take().map(Timeline::finish);
    let labels: Vec<(Micros, String)> = embed.found.iter().map(|(l, t)| (*t, l.clone())).collect();
    let marker = |l: &str| -> Result<Micros> {
        embed
            .marker(l)
            .ok_or_else(|| cli::unknown_marker(l, &labels).in_file(&name))
    };
    let opts = options(po, &marker, markers.as_deref())?;
    if let (Some(TimeSpec::At(t)), Some(last)) = (&po.start_at, embed.last)
        && *t > last
    {
        rdr.add_warning(format!(
            "--start-at {} is past the end of the recording (its last event is at {})",
            time::clock_millis(*t),
            time::clock_millis(last)
        ));
    }
    let source = "{data: castkitRecording}";
    let mut end = String::from("\";\n");
    if page.embed {
        end.push_str(&shell.snippet_end(source, &opts));
    } else {
        end.push_str(&shell.create(source, &opts));
        end.push_str(Page::TAIL);
    }
    page_out.write_all(end.as_bytes()).map_err(werr)?;
    page_out.flush().map_err(werr)?;
    Ok(())
}

/// Writes a page (or snippet) that plays the recording at `url`, fetched by the browser.
///
/// Errors: options that need the recording itself (`marker:LABEL`, extra markers).
pub fn write_url_page(url: &str, out: &mut dyn Write, page: &PageOptions) -> Result<()> {
    let no_markers = |l: &str| -> Result<Micros> {
        Err(Error::msg(format!(
            "marker:{l} needs the recording: give FILE instead of --url"
        )))
    };
    if !page.options.markers.is_empty() {
        return Err(Error::msg(
            "--markers needs the recording (the player would drop its own markers): give FILE \
             instead of --url",
        ));
    }
    let opts = options(&page.options, &no_markers, None)?;
    let title = page.title.clone().unwrap_or_else(|| {
        url.rsplit('/')
            .find(|s| !s.is_empty())
            .unwrap_or(url)
            .to_string()
    });
    let source = script_json(&Value::from(url));
    let shell = Page {
        player: &page.player,
        title: &title,
        id: element_id(url),
    };
    let text = if page.embed {
        let mut s = shell.snippet_start();
        s.push_str(&shell.snippet_end(&source, &opts));
        s
    } else {
        let mut s = shell.head();
        s.push_str(&shell.create(&source, &opts));
        s.push_str(Page::TAIL);
        s
    };
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The page cast-to-html writes, split where the recording goes: the text before it (ending
/// inside an open `<script>` element) and after it (the call that starts the player on
/// `source`, a JavaScript expression, with `opts`, and the end of the page). cast-serve streams
/// a recording between the two.
pub fn page_parts(
    player: &Player,
    title: &str,
    source: &str,
    opts: &Map<String, Value>,
) -> (String, String) {
    let page = Page {
        player,
        title,
        id: element_id(title),
    };
    let mut tail = page.create(source, opts);
    tail.push_str(Page::TAIL);
    (page.head(), tail)
}

/// The snippet `--embed --url` writes: a div and a script that plays `source` (a JavaScript
/// expression), loading the player first when the page has none. `key` names the element.
pub fn snippet(player: &Player, key: &str, source: &str, opts: &Map<String, Value>) -> String {
    let page = Page {
        player,
        title: key,
        id: element_id(key),
    };
    let mut s = page.snippet_start();
    s.push_str(&page.snippet_end(source, opts));
    s
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let player = match (&a.player_dir, &a.player_url) {
        (Some(dir), _) => Player::from_dir(dir)?,
        (None, Some(url)) => Player::Url {
            base: url.clone(),
            pinned: false,
        },
        (None, None) => Player::cdn(),
    };
    let target = match &a.output {
        Some(p) => Target::File(p.clone()),
        None => Target::Stdout,
    };
    let input = a.file.as_deref().map_or(Input::Stdin, Input::from_path);
    let page = PageOptions {
        title: a.title.clone(),
        player,
        embed: a.embed,
        format: a.format.map(FormatArg::version),
        options: a.player.clone(),
    };
    if let Some(url) = &a.url {
        let sink = Sink::create(&target)?;
        let mut w = sink.writer()?;
        write_url_page(url, &mut w, &page).map_err(|e| match e.kind {
            ErrorKind::Io(_) if e.path.is_none() => e.in_file(sink.name()),
            _ => e,
        })?;
        return sink.commit().map(|_| cli::EXIT_OK);
    }
    let mut rdr = input.open()?;
    rdr.set_strict(a.read.strict);
    let sink = Sink::create(&target)?;
    let out_name = sink.name();
    write_page(&mut rdr, sink.writer()?, &out_name, &page)?;
    cli::report_warnings(&mut rdr, a.read.quiet);
    sink.commit()?;
    Ok(cli::EXIT_OK)
}

/// Lets the recording's writer own a handle while the page takes the escaper back at the end.
struct EscaperHandle(Arc<Mutex<Option<ScriptString<Shared>>>>);

impl Write for EscaperHandle {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self
            .0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .as_mut()
        {
            Some(w) => w.write(b),
            None => Err(io::Error::other("page already finished")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self
            .0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .as_mut()
        {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

/// The parts of a page or snippet around the recording.
struct Page<'a> {
    player: &'a Player,
    title: &'a str,
    id: String,
}

impl Page<'_> {
    const TAIL: &'static str = "</script>\n</body>\n</html>\n";

    /// Everything up to the script that holds the recording.
    fn head(&self) -> String {
        let mut s = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        );
        s.push_str(&format!(
            "<meta name=\"generator\" content=\"castkit cast-to-html {} (asciinema-player {PLAYER_VERSION})\">\n",
            env!("CARGO_PKG_VERSION")
        ));
        s.push_str(&format!("<title>{}</title>\n", html_escape(self.title)));
        self.player.head(&mut s);
        s.push_str(
            "<style>\nbody { margin: 0; padding: 1em 2em; background: #1d1f21; color: #c5c8c6;\n  \
             font-family: system-ui, sans-serif; }\nh1 { font-size: 1.1em; font-weight: normal; \
             margin: 0 0 0.8em; }\n#castkit-player { max-width: 100%; }\n</style>\n</head>\n<body>\n",
        );
        s.push_str(&format!("<h1>{}</h1>\n", html_escape(self.title)));
        s.push_str("<div id=\"castkit-player\"></div>\n");
        self.player.script(&mut s);
        s.push_str("<script>\n");
        s
    }

    /// The call that starts the player on the page's element.
    fn create(&self, source: &str, opts: &Map<String, Value>) -> String {
        format!(
            "AsciinemaPlayer.create({source}, document.getElementById(\"castkit-player\"), {});\n",
            script_json(&Value::Object(opts.clone()))
        )
    }

    fn snippet_start(&self) -> String {
        format!(
            "<div id=\"{}\" class=\"castkit-player\"></div>\n<script>\n(function () {{\n",
            self.id
        )
    }

    /// The rest of a snippet: create the player, loading it first when the page has none.
    fn snippet_end(&self, source: &str, opts: &Map<String, Value>) -> String {
        let base = self
            .player
            .base_url()
            .unwrap_or_else(|| PLAYER_CDN.to_string());
        let pinned = matches!(self.player, Player::Url { pinned: true, .. });
        let (js_sri, css_sri) = if pinned {
            (
                script_json(&Value::from(PLAYER_JS_SRI)),
                script_json(&Value::from(PLAYER_CSS_SRI)),
            )
        } else {
            ("null".to_string(), "null".to_string())
        };
        format!(
            "var el = document.getElementById({id});\n\
             var create = function () {{ AsciinemaPlayer.create({source}, el, {opts}); }};\n\
             if (window.AsciinemaPlayer) {{ create(); return; }}\n\
             if (!window.castkitPlayerLoading) {{\n  \
               window.castkitPlayerLoading = new Promise(function (resolve, reject) {{\n    \
                 var css = document.createElement(\"link\");\n    \
                 css.rel = \"stylesheet\"; css.href = {css};\n    \
                 if ({css_sri}) {{ css.integrity = {css_sri}; css.crossOrigin = \"anonymous\"; }}\n    \
                 document.head.appendChild(css);\n    \
                 var js = document.createElement(\"script\");\n    \
                 js.src = {js}; js.onload = resolve; js.onerror = reject;\n    \
                 if ({js_sri}) {{ js.integrity = {js_sri}; js.crossOrigin = \"anonymous\"; }}\n    \
                 document.head.appendChild(js);\n  }});\n}}\n\
             window.castkitPlayerLoading.then(create);\n}})();\n</script>\n",
            id = script_json(&Value::from(self.id.as_str())),
            opts = script_json(&Value::Object(opts.clone())),
            css = script_json(&Value::from(format!("{base}{CSS_FILE}"))),
            js = script_json(&Value::from(format!("{base}{JS_FILE}"))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(pieces: &[&[u8]]) -> String {
        let mut w = ScriptString::new(Vec::new());
        for p in pieces {
            w.write_all(p).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn script_strings_cannot_end_the_script() {
        let s = escaped(&[b"a</script><!-- \"q\" \\ \n\x1b & \xe2\x80\xa8"]);
        assert_eq!(
            s,
            r#"a\u003c/script\u003e\u003c!-- \"q\" \\ \n\u001b \u0026 \u2028"#
        );
        // Valid JSON that decodes to the input.
        let v: String = serde_json::from_str(&format!("\"{s}\"")).unwrap();
        assert_eq!(v, "a</script><!-- \"q\" \\ \n\x1b & \u{2028}");
    }

    #[test]
    fn characters_split_between_writes() {
        let text = "é中😀\u{2029}x".as_bytes();
        for cut in 0..text.len() {
            let s = escaped(&[&text[..cut], &text[cut..]]);
            assert_eq!(s, "é中😀\\u2029x", "cut at {cut}");
        }
    }

    #[test]
    fn json_for_scripts() {
        let v = serde_json::json!({"theme": "</script>&"});
        assert_eq!(script_json(&v), r#"{"theme":"\u003c/script\u003e\u0026"}"#);
        assert_eq!(
            html_escape("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
    }

    #[test]
    fn themes() {
        assert!(parse_theme("dracula").is_ok());
        assert!(parse_theme("auto/nord").is_ok());
        assert!(
            parse_theme("pink")
                .unwrap_err()
                .contains("unknown theme 'pink'")
        );
    }

    #[test]
    fn inline_player_cannot_close_its_element() {
        let p = Player::Inline {
            js: "var s = \"</SCRIPT>\";".into(),
            css: "a::after { content: \"</style>\" }".into(),
        };
        let mut out = String::new();
        p.head(&mut out);
        p.script(&mut out);
        assert_eq!(out.matches("</style>").count(), 1);
        assert_eq!(out.matches("</script>").count(), 1);
    }
}
