//! Tapes: the script language of VHS (charmbracelet's recorder of terminal GIFs), read for
//! `cast-rec --script`.
//!
//! A tape is a list of commands: keys to type (`Type "ls"`, `Enter`, `Ctrl+C`, `Up 3`),
//! pauses (`Sleep 2s`), waits for the screen to show something (`Wait /\$ $/`), `Hide` and
//! `Show` around setup that should not be in the demo, and settings (`Set Shell bash`, `Set
//! TypingSpeed 80ms`, `Set Width 1200`). VHS renders the session into pictures; cast-rec
//! records it as asciicast, so the commands about pictures (`Output`, `Set Theme`, `Set
//! FontSize`, ...) are read, checked for a value, and listed in [`Tape::ignored`] for one note
//! on stderr.
//!
//! The whole tape, with every file it `Source`s, is read and checked here before anything
//! runs: an unknown command, a bad time or a regular expression that does not compile is an
//! [`Error`] naming the file and line, and no program is started and no recording written.
//! `Require` is checked here too, against `PATH`.
//!
//! The grammar follows VHS's lexer: words, numbers, `"`/`'`/`` ` `` strings (no escapes, one
//! line), `/regex/` (`\/` for a slash), `@TIME`, `+` between modifiers and keys, `#` comments
//! to the end of the line. Commands may share a line, as in VHS; each command's line is the
//! line of its first word. Times are `500ms`, `2s`, `1m` or a bare number of seconds.
//!
//! Settings that shape the session as a whole (the shell, its size, `Env`) apply from the
//! start wherever they are written, the last one winning; `Set TypingSpeed`, `Set
//! WaitTimeout` and `Set WaitPattern` apply from where they are written on, so they are
//! [`Action`]s.

use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;

use crate::error::{Error, Result};

/// VHS's default delay after each typed key.
pub const DEFAULT_TYPING_SPEED: Duration = Duration::from_millis(50);
/// VHS's default limit on a `Wait`.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(15);
/// VHS's default `Wait` pattern: the end of its shells' `> ` prompt.
pub const DEFAULT_WAIT_PATTERN: &str = ">$";
/// How deep `Source` may nest (VHS refuses any nesting; a little is harmless).
const MAX_SOURCE_DEPTH: usize = 8;

/// A tape, read whole and checked.
#[derive(Debug, Default)]
pub struct Tape {
    /// What to do, in order.
    pub steps: Vec<Step>,
    /// `Set Shell`: a name VHS knows (bash, zsh, fish, sh) or a program.
    pub shell: Option<String>,
    /// `Env KEY VALUE`, in order.
    pub env: Vec<(String, String)>,
    /// Picture commands, each listed once (at its first use), with cast-to-gif's equivalent.
    pub ignored: Vec<Ignored>,
    /// `Set Cols`/`Set Rows`, castkit's own.
    pub cols: Option<u16>,
    pub rows: Option<u16>,
    /// What `Set Width`/`Set Height` and the font settings say, for [`Tape::size`].
    pub metrics: Metrics,
}

/// A command to carry out, with where it was written.
#[derive(Debug)]
pub struct Step {
    pub file: PathBuf,
    pub line: u64,
    pub action: Action,
}

/// One thing a tape does while the session runs.
#[derive(Debug)]
pub enum Action {
    /// Press keys one after another, pausing after each (`speed`, else the typing speed).
    Keys {
        keys: Vec<Press>,
        speed: Option<Duration>,
    },
    /// `Sleep`.
    Sleep(Duration),
    /// `Wait`: until `pattern` (else the wait pattern) matches the screen or the cursor's line.
    Wait {
        scope: Scope,
        pattern: Option<Regex>,
        timeout: Option<Duration>,
    },
    /// Stop recording (and stop the recording's clock) until `Show`.
    Hide,
    Show,
    /// `Copy "text"`: what a later `Paste` types.
    Copy(String),
    /// `Paste`: write the copied text at once, as a terminal pastes.
    Paste,
    TypingSpeed(Duration),
    WaitTimeout(Duration),
    WaitPattern(Regex),
}

/// What a `Wait` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The line the cursor is on (VHS's default).
    Line,
    /// Every line of the screen, joined with newlines.
    Screen,
}

/// A picture command that has no effect on a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// As written: `Output`, `Set Theme`.
    pub what: String,
    pub line: u64,
    /// Where the same thing is done in castkit, if anywhere.
    pub instead: Option<&'static str>,
}

/// A key and the modifiers held with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub key: Key,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Backspace,
    Tab,
    Space,
    Escape,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Delete,
    Insert,
}

impl Press {
    fn plain(key: Key) -> Press {
        Press {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// Appends the bytes a terminal sends for this key, as xterm does; `app_cursor` is the
    /// application cursor-keys mode (DECCKM) the program has set, under which arrows, Home
    /// and End are sent as SS3 sequences.
    pub fn bytes(&self, app_cursor: bool, out: &mut Vec<u8>) {
        // xterm's modifier parameter: 1 + shift + 2 alt + 4 ctrl.
        let m = 1 + u8::from(self.shift) + 2 * u8::from(self.alt) + 4 * u8::from(self.ctrl);
        let cursor = |out: &mut Vec<u8>, c: u8| {
            if m > 1 {
                out.extend_from_slice(format!("\x1b[1;{m}").as_bytes());
                out.push(c);
            } else if app_cursor {
                out.extend_from_slice(&[0x1b, b'O', c]);
            } else {
                out.extend_from_slice(&[0x1b, b'[', c]);
            }
        };
        let tilde = |out: &mut Vec<u8>, n: u8| {
            if m > 1 {
                out.extend_from_slice(format!("\x1b[{n};{m}~").as_bytes());
            } else {
                out.extend_from_slice(format!("\x1b[{n}~").as_bytes());
            }
        };
        let meta = |out: &mut Vec<u8>| {
            if self.alt {
                out.push(0x1b);
            }
        };
        match self.key {
            Key::Up => cursor(out, b'A'),
            Key::Down => cursor(out, b'B'),
            Key::Right => cursor(out, b'C'),
            Key::Left => cursor(out, b'D'),
            Key::Home => cursor(out, b'H'),
            Key::End => cursor(out, b'F'),
            Key::Insert => tilde(out, 2),
            Key::Delete => tilde(out, 3),
            Key::PageUp => tilde(out, 5),
            Key::PageDown => tilde(out, 6),
            Key::Tab if self.shift => out.extend_from_slice(b"\x1b[Z"),
            Key::Tab => {
                meta(out);
                out.push(b'\t');
            }
            Key::Enter => {
                meta(out);
                out.push(b'\r');
            }
            Key::Escape => {
                meta(out);
                out.push(0x1b);
            }
            Key::Backspace => {
                meta(out);
                out.push(if self.ctrl { 0x08 } else { 0x7f });
            }
            Key::Space => {
                meta(out);
                out.push(if self.ctrl { 0 } else { b' ' });
            }
            Key::Char(c) => {
                meta(out);
                let c = if self.shift { shifted(c) } else { c };
                match self.ctrl.then(|| control(c)).flatten() {
                    Some(b) => out.push(b),
                    None => {
                        let mut b = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                    }
                }
            }
        }
    }
}

/// The control character Ctrl gives with `c`, if it gives one.
fn control(c: char) -> Option<u8> {
    match c {
        'a'..='z' | 'A'..='Z' => Some(c.to_ascii_uppercase() as u8 & 0x1f),
        '@' | ' ' | '2' => Some(0),
        '[' | '3' => Some(0x1b),
        '\\' | '4' => Some(0x1c),
        ']' | '5' => Some(0x1d),
        '^' | '6' => Some(0x1e),
        '_' | '-' | '7' => Some(0x1f),
        '?' | '8' => Some(0x7f),
        _ => None,
    }
}

fn shifted(c: char) -> char {
    c.to_uppercase().next().unwrap_or(c)
}

/// The font and window settings VHS sizes its terminal with, for converting pixels to cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub width: Option<f64>,
    pub height: Option<f64>,
    pub font_size: f64,
    pub padding: f64,
    pub margin: f64,
    pub line_height: f64,
    pub letter_spacing: f64,
    pub window_bar: f64,
}

impl Default for Metrics {
    /// VHS's defaults: a 1200x600 window, 22 px type, 60 px padding, no margin, letter
    /// spacing 1 px, line height 1, no window bar.
    fn default() -> Metrics {
        Metrics {
            width: None,
            height: None,
            font_size: 22.0,
            padding: 60.0,
            margin: 0.0,
            line_height: 1.0,
            letter_spacing: 1.0,
            window_bar: 0.0,
        }
    }
}

/// VHS's default window, used for the dimension a tape sets in pixels only one of.
const VHS_WIDTH: f64 = 1200.0;
const VHS_HEIGHT: f64 = 600.0;
/// The height of VHS's window bar when one is asked for.
const VHS_BAR: f64 = 30.0;
/// JetBrains Mono (VHS's first default font): every glyph advances 0.6 em, and a line is
/// 1.32 em (ascent 1.02 + descent 0.30).
const ADVANCE_EM: f64 = 0.6;
const LINE_EM: f64 = 1.32;

impl Metrics {
    /// The terminal VHS's browser would lay out in this window: the window less padding,
    /// margin and bar, divided by the cell (a whole number of device pixels wide, as xterm.js
    /// makes it, plus the letter spacing; the font's line times the line height tall).
    /// `None` when the tape sets neither width nor height.
    pub fn cells(&self) -> Option<(u16, u16)> {
        if self.width.is_none() && self.height.is_none() {
            return None;
        }
        let w = self.width.unwrap_or(VHS_WIDTH) - 2.0 * (self.padding + self.margin);
        let h = self.height.unwrap_or(VHS_HEIGHT)
            - 2.0 * (self.padding + self.margin)
            - self.window_bar;
        let cell_w = (self.font_size * ADVANCE_EM).floor() + self.letter_spacing.round();
        let cell_h = (self.font_size * LINE_EM * self.line_height).floor();
        let fit = |room: f64, cell: f64| (room / cell.max(1.0)).floor().clamp(1.0, 4096.0) as u16;
        Some((fit(w, cell_w), fit(h, cell_h)))
    }
}

impl Tape {
    /// Reads and checks the tape at `path` and every tape it sources.
    pub fn read(path: &Path) -> Result<Tape> {
        let mut tape = Tape::default();
        read_into(&mut tape, path, 0, None)?;
        Ok(tape)
    }

    /// Reads and checks tape text (as if read from `name`); `Source` paths are relative to
    /// the current directory, then to `name`'s.
    pub fn parse(name: &Path, text: &str) -> Result<Tape> {
        let mut tape = Tape::default();
        Parser::new(name, text, 0)?.run(&mut tape)?;
        Ok(tape)
    }

    /// The pty size the tape asks for: `Set Cols`/`Set Rows`, else its pixel size in cells,
    /// else `None` (the recorder's default).
    pub fn size(&self) -> Option<(u16, u16)> {
        let px = self.metrics.cells();
        match (self.cols, self.rows, px) {
            (None, None, None) => None,
            (c, r, px) => {
                let (pc, pr) = px.unwrap_or(crate::header::DEFAULT_SIZE);
                Some((c.unwrap_or(pc), r.unwrap_or(pr)))
            }
        }
    }

    /// The note about ignored picture commands, if the tape has any.
    pub fn ignored_note(&self) -> Option<String> {
        if self.ignored.is_empty() {
            return None;
        }
        let list: Vec<String> = self
            .ignored
            .iter()
            .map(|i| match i.instead {
                Some(x) => format!("{} (line {}; {x})", i.what, i.line),
                None => format!("{} (line {})", i.what, i.line),
            })
            .collect();
        Some(format!(
            "commands about pictures have no effect on a recording: {}",
            list.join(", ")
        ))
    }

    fn ignore(&mut self, what: String, line: u64, instead: Option<&'static str>) {
        if !self.ignored.iter().any(|i| i.what == what) {
            self.ignored.push(Ignored {
                what,
                line,
                instead,
            });
        }
    }
}

fn read_into(tape: &mut Tape, path: &Path, depth: usize, from: Option<(&Path, u64)>) -> Result<()> {
    let text = std::fs::read(path).map_err(|e| {
        let e = Error::from(e);
        match from {
            Some((f, l)) => Error::msg(format!("Source {}: {e}", path.display()))
                .in_file(f)
                .at_line(l),
            None => e.in_file(path),
        }
    })?;
    let text = String::from_utf8(text).map_err(|_| Error::msg("not UTF-8 text").in_file(path))?;
    Parser::new(path, &text, depth)?.run(tape)
}

/// A piece of a tape.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Regex(String),
    Json(String),
    At,
    Plus,
}

impl Tok {
    fn show(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Regex(r) => format!("/{r}/"),
            Tok::Json(_) => "{...}".into(),
            Tok::At => "@".into(),
            Tok::Plus => "+".into(),
        }
    }
}

/// Splits tape text into tokens, each with its line.
fn lex(text: &str) -> std::result::Result<Vec<(Tok, u64)>, (u64, String)> {
    let mut toks = Vec::new();
    let mut line = 1u64;
    let mut it = text.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        match c {
            '\n' => {
                line += 1;
                it.next();
            }
            c if c.is_whitespace() => {
                it.next();
            }
            '#' => {
                while it.peek().is_some_and(|&(_, c)| c != '\n') {
                    it.next();
                }
            }
            '@' => {
                it.next();
                toks.push((Tok::At, line));
            }
            '+' => {
                it.next();
                toks.push((Tok::Plus, line));
            }
            '"' | '\'' | '`' => {
                it.next();
                let start = i + 1;
                let mut end = None;
                for (j, d) in it.by_ref() {
                    if d == c {
                        end = Some(j);
                        break;
                    }
                    if d == '\n' {
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err((line, format!("string not closed: {c} expected")));
                };
                toks.push((Tok::Str(text[start..end].to_string()), line));
            }
            '/' => {
                it.next();
                let mut re = String::new();
                let mut closed = false;
                while let Some((_, d)) = it.next() {
                    match d {
                        '\n' => break,
                        '/' => {
                            closed = true;
                            break;
                        }
                        '\\' if it.peek().is_some_and(|&(_, e)| e == '/') => {
                            it.next();
                            re.push('/');
                        }
                        '\\' => {
                            re.push('\\');
                            if let Some(&(_, e)) = it.peek()
                                && e != '\n'
                            {
                                re.push(e);
                                it.next();
                            }
                        }
                        d => re.push(d),
                    }
                }
                if !closed {
                    return Err((line, "regular expression not closed: / expected".into()));
                }
                toks.push((Tok::Regex(re), line));
            }
            '{' => {
                let start = i;
                let mut end = None;
                for (j, d) in it.by_ref() {
                    if d == '\n' {
                        line += 1;
                    }
                    if d == '}' {
                        end = Some(j + 1);
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err((line, "JSON not closed: } expected".into()));
                };
                toks.push((Tok::Json(text[start..end].to_string()), line));
            }
            _ => {
                let start = i;
                let mut end = text.len();
                while let Some(&(j, d)) = it.peek() {
                    if d.is_whitespace() || d == '@' || d == '+' || d == '#' {
                        end = j;
                        break;
                    }
                    it.next();
                }
                toks.push((Tok::Word(text[start..end].to_string()), line));
            }
        }
    }
    Ok(toks)
}

/// Reads one tape's tokens into a [`Tape`].
struct Parser<'a> {
    name: &'a Path,
    toks: Vec<(Tok, u64)>,
    at: usize,
    /// The line of the command being read, for errors.
    line: u64,
    depth: usize,
}

/// Picture settings, with the cast-to-gif option that does the same.
const PICTURE_SETTINGS: &[(&str, Option<&str>)] = &[
    ("Theme", Some("cast-to-gif --theme")),
    ("FontSize", Some("cast-to-gif --font-size")),
    ("FontFamily", Some("cast-to-gif --font-family")),
    ("Padding", Some("cast-to-gif --padding")),
    ("Framerate", Some("cast-to-gif --fps-cap")),
    ("LineHeight", Some("cast-to-gif --line-height")),
    ("PlaybackSpeed", Some("cast-to-gif --speed, cast-speed")),
    ("LetterSpacing", None),
    ("Margin", None),
    ("MarginFill", None),
    ("WindowBar", None),
    ("WindowBarSize", None),
    ("BorderRadius", None),
    ("CursorBlink", None),
    ("LoopOffset", None),
];

impl<'a> Parser<'a> {
    fn new(name: &'a Path, text: &str, depth: usize) -> Result<Parser<'a>> {
        let toks = lex(text).map_err(|(l, m)| Error::msg(m).in_file(name).at_line(l))?;
        Ok(Parser {
            name,
            toks,
            at: 0,
            line: 1,
            depth,
        })
    }

    fn err(&self, m: impl Into<String>) -> Error {
        Error::msg(m).in_file(self.name).at_line(self.line)
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(t, _)| t)
    }

    fn take(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).map(|(t, _)| t.clone());
        self.at += usize::from(t.is_some());
        t
    }

    fn take_if(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.at += 1;
            return true;
        }
        false
    }

    fn run(mut self, tape: &mut Tape) -> Result<()> {
        while let Some((tok, line)) = self.toks.get(self.at).cloned() {
            self.at += 1;
            self.line = line;
            let Tok::Word(cmd) = tok else {
                return Err(self.err(format!("expected a command, found {}", tok.show())));
            };
            self.command(tape, &cmd)?;
        }
        Ok(())
    }

    fn step(&self, tape: &mut Tape, action: Action) {
        tape.steps.push(Step {
            file: self.name.to_path_buf(),
            line: self.line,
            action,
        });
    }

    fn command(&mut self, tape: &mut Tape, cmd: &str) -> Result<()> {
        if let Some(key) = named_key(cmd) {
            let speed = self.speed()?;
            let n = self.count()?;
            let keys = vec![Press::plain(key); n];
            self.step(tape, Action::Keys { keys, speed });
            return Ok(());
        }
        match cmd {
            "Type" => {
                let speed = self.speed()?;
                let text = self.strings()?;
                let keys = text.chars().map(|c| Press::plain(Key::Char(c))).collect();
                self.step(tape, Action::Keys { keys, speed });
            }
            "Ctrl" | "Alt" | "Shift" => {
                let press = self.chord(cmd)?;
                let speed = self.speed()?;
                let n = self.count()?;
                self.step(
                    tape,
                    Action::Keys {
                        keys: vec![press; n],
                        speed,
                    },
                );
            }
            "Sleep" => {
                let d = self.time("Sleep")?;
                self.step(tape, Action::Sleep(d));
            }
            "Wait" => {
                let mut scope = Scope::Line;
                if self.take_if(&Tok::Plus) {
                    scope = match self.take() {
                        Some(Tok::Word(w)) if w == "Line" => Scope::Line,
                        Some(Tok::Word(w)) if w == "Screen" => Scope::Screen,
                        _ => return Err(self.err("Wait+ expects Line or Screen")),
                    };
                }
                let timeout = self.speed()?;
                if timeout.is_some_and(|t| t.is_zero()) {
                    return Err(self.err("Wait needs a timeout above zero"));
                }
                let pattern = match self.peek() {
                    Some(Tok::Regex(_)) => {
                        let Some(Tok::Regex(r)) = self.take() else {
                            unreachable!()
                        };
                        Some(self.regex(&r)?)
                    }
                    _ => None,
                };
                self.step(
                    tape,
                    Action::Wait {
                        scope,
                        pattern,
                        timeout,
                    },
                );
            }
            "Hide" => self.step(tape, Action::Hide),
            "Show" => self.step(tape, Action::Show),
            "Paste" => self.step(tape, Action::Paste),
            "Copy" => {
                let text = self.strings()?;
                self.step(tape, Action::Copy(text));
            }
            "Set" => self.set(tape)?,
            "Env" => {
                let key = self.value("Env")?;
                if key.is_empty() || key.contains('=') {
                    return Err(self.err(format!("bad variable name '{key}'")));
                }
                let v = self.value("Env")?;
                tape.env.push((key, v));
            }
            "Require" => {
                let prog = self.value("Require")?;
                if !on_path(&prog) {
                    return Err(self.err(format!(
                        "Require: '{prog}' is not installed (not found on PATH)"
                    )));
                }
            }
            "Source" => {
                let p = self.value("Source")?;
                self.source(tape, &p)?;
            }
            "Output" | "Screenshot" => {
                self.value(cmd)?;
                let instead = match cmd {
                    "Output" => {
                        Some("cast-rec writes the recording to FILE; cast-to-gif makes a GIF of it")
                    }
                    _ => Some("cast-to-gif --png --at TIME"),
                };
                tape.ignore(cmd.to_string(), self.line, instead);
            }
            "ScrollUp" | "ScrollDown" => {
                self.speed()?;
                self.count()?;
                tape.ignore(cmd.to_string(), self.line, None);
            }
            _ => return Err(self.err(format!("unknown command '{cmd}'"))),
        }
        Ok(())
    }

    fn set(&mut self, tape: &mut Tape) -> Result<()> {
        let Some(Tok::Word(name)) = self.take() else {
            return Err(self.err("Set expects a setting"));
        };
        match name.as_str() {
            "Shell" => tape.shell = Some(self.value("Set Shell")?),
            "TypingSpeed" => {
                let d = self.time("Set TypingSpeed")?;
                self.step(tape, Action::TypingSpeed(d));
            }
            "WaitTimeout" => {
                let d = self.time("Set WaitTimeout")?;
                if d.is_zero() {
                    return Err(self.err("Set WaitTimeout needs a time above zero"));
                }
                self.step(tape, Action::WaitTimeout(d));
            }
            "WaitPattern" => {
                let r = match self.take() {
                    Some(Tok::Regex(r) | Tok::Str(r) | Tok::Word(r)) => r,
                    _ => return Err(self.err("Set WaitPattern expects a regular expression")),
                };
                let re = self.regex(&r)?;
                self.step(tape, Action::WaitPattern(re));
            }
            "Cols" | "Rows" => {
                let v = self.value(&format!("Set {name}"))?;
                let n = v
                    .parse::<u16>()
                    .ok()
                    .filter(|n| (1..=crate::vt::MAX_COLS).contains(n))
                    .ok_or_else(|| self.err(format!("Set {name}: bad size '{v}' (1 to 4096)")))?;
                if name == "Cols" {
                    tape.cols = Some(n);
                } else {
                    tape.rows = Some(n);
                }
            }
            "Width" | "Height" => {
                let px = self.pixels(&name)?;
                if px < 1.0 {
                    return Err(self.err(format!("Set {name} needs a size above zero")));
                }
                if name == "Width" {
                    tape.metrics.width = Some(px);
                } else {
                    tape.metrics.height = Some(px);
                }
            }
            _ => {
                let Some(&(_, instead)) = PICTURE_SETTINGS.iter().find(|(n, _)| *n == name) else {
                    return Err(self.err(format!("unknown setting '{name}'")));
                };
                let line = self.line;
                let m = &mut tape.metrics;
                match name.as_str() {
                    "FontSize" => m.font_size = self.pixels(&name)?.max(1.0),
                    "Padding" => m.padding = self.pixels(&name)?,
                    "Margin" => m.margin = self.pixels(&name)?,
                    "LineHeight" => m.line_height = self.pixels(&name)?.max(0.1),
                    "LetterSpacing" => m.letter_spacing = self.pixels(&name)?,
                    "WindowBarSize" => {
                        let px = self.pixels(&name)?;
                        if m.window_bar > 0.0 {
                            m.window_bar = px;
                        }
                    }
                    "WindowBar" => {
                        let v = self.value("Set WindowBar")?;
                        if !v.is_empty() && m.window_bar == 0.0 {
                            m.window_bar = VHS_BAR;
                        }
                    }
                    "LoopOffset" => {
                        self.value("Set LoopOffset")?;
                    }
                    _ => {
                        self.value(&format!("Set {name}"))?;
                    }
                }
                tape.ignore(format!("Set {name}"), line, instead);
            }
        }
        Ok(())
    }

    /// A number (of pixels, or a plain factor), optionally followed by `px` or `em`.
    fn pixels(&mut self, name: &str) -> Result<f64> {
        let v = self.value(&format!("Set {name}"))?;
        let num = v
            .strip_suffix("px")
            .or_else(|| v.strip_suffix("em"))
            .unwrap_or(&v);
        let n: f64 = num
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite() && *n >= 0.0)
            .ok_or_else(|| self.err(format!("Set {name}: bad number '{v}'")))?;
        if let Some(Tok::Word(u)) = self.peek()
            && (u == "px" || u == "em")
        {
            self.at += 1;
        }
        Ok(n)
    }

    /// A word or string argument.
    fn value(&mut self, what: &str) -> Result<String> {
        match self.take() {
            Some(Tok::Word(w) | Tok::Str(w) | Tok::Json(w)) => Ok(w),
            Some(Tok::Regex(r)) => Ok(r),
            _ => Err(self.err(format!("{what} expects a value"))),
        }
    }

    /// One or more strings, joined with a space (as VHS does).
    fn strings(&mut self) -> Result<String> {
        let mut text: Option<String> = None;
        while let Some(Tok::Str(_)) = self.peek() {
            let Some(Tok::Str(s)) = self.take() else {
                unreachable!()
            };
            match &mut text {
                Some(t) => {
                    t.push(' ');
                    t.push_str(&s);
                }
                None => text = Some(s),
            }
        }
        text.ok_or_else(|| self.err("expected a string in quotes"))
    }

    /// `@TIME`, if present.
    fn speed(&mut self) -> Result<Option<Duration>> {
        if !self.take_if(&Tok::At) {
            return Ok(None);
        }
        self.time("@").map(Some)
    }

    /// A repeat count, if present (1 otherwise).
    fn count(&mut self) -> Result<usize> {
        match self.peek() {
            Some(Tok::Word(w)) if w.bytes().all(|b| b.is_ascii_digit()) => {
                let n = w
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| self.err(format!("bad repeat count '{w}'")))?;
                self.at += 1;
                Ok(n)
            }
            _ => Ok(1),
        }
    }

    /// A time: `500ms`, `2s`, `1m`, `1.5` (seconds); the unit may stand apart.
    fn time(&mut self, what: &str) -> Result<Duration> {
        let Some(Tok::Word(w)) = self.take() else {
            return Err(self.err(format!("{what} expects a time (500ms, 2s)")));
        };
        let split = w
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(w.len());
        let (num, mut unit) = (w[..split].to_string(), w[split..].to_string());
        if unit.is_empty()
            && let Some(Tok::Word(u)) = self.peek()
            && matches!(u.as_str(), "ms" | "s" | "m")
        {
            unit = u.clone();
            self.at += 1;
        }
        let scale = match unit.as_str() {
            "ms" => 0.001,
            "" | "s" => 1.0,
            "m" => 60.0,
            _ => return Err(self.err(format!("bad time '{w}' (500ms, 2s, 1m)"))),
        };
        let n: f64 = num
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite())
            .ok_or_else(|| self.err(format!("bad time '{w}' (500ms, 2s, 1m)")))?;
        let secs = n * scale;
        if secs > 86_400.0 {
            return Err(self.err(format!("time '{w}' is more than a day")));
        }
        Ok(Duration::from_secs_f64(secs))
    }

    fn regex(&self, r: &str) -> Result<Regex> {
        Regex::new(r).map_err(|e| {
            let first = e.to_string();
            let short = first.lines().last().unwrap_or("").trim().to_string();
            self.err(format!("bad regular expression /{r}/: {short}"))
        })
    }

    /// `Ctrl+...`, `Alt+...`, `Shift+...`: modifiers, then one key.
    fn chord(&mut self, first: &str) -> Result<Press> {
        let mut p = Press::plain(Key::Space);
        let set = |p: &mut Press, m: &str| match m {
            "Ctrl" => p.ctrl = true,
            "Alt" => p.alt = true,
            _ => p.shift = true,
        };
        set(&mut p, first);
        loop {
            if !self.take_if(&Tok::Plus) {
                return Err(self.err(format!("{first} expects +KEY")));
            }
            let key = match self.take() {
                Some(Tok::Word(w)) => w,
                Some(Tok::At) => "@".into(),
                Some(Tok::Plus) => "+".into(),
                Some(t) => return Err(self.err(format!("{first}: bad key {}", t.show()))),
                None => return Err(self.err(format!("{first} expects +KEY"))),
            };
            if matches!(key.as_str(), "Ctrl" | "Alt" | "Shift") {
                set(&mut p, &key);
                continue;
            }
            p.key = if let Some(k) = named_key(&key) {
                k
            } else {
                let mut cs = key.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => Key::Char(c),
                    _ => return Err(self.err(format!("{first}: bad key '{key}'"))),
                }
            };
            if p.ctrl
                && let Key::Char(c) = p.key
                && control(c).is_none()
            {
                return Err(self.err(format!("Ctrl+{c} has no control character")));
            }
            return Ok(p);
        }
    }

    fn source(&mut self, tape: &mut Tape, p: &str) -> Result<()> {
        if self.depth + 1 >= MAX_SOURCE_DEPTH {
            return Err(self.err("Source nested too deeply"));
        }
        let direct = PathBuf::from(p);
        let path = if direct.exists() || direct.is_absolute() {
            direct
        } else {
            self.name
                .parent()
                .map(|d| d.join(p))
                .filter(|q| q.exists())
                .unwrap_or(direct)
        };
        read_into(tape, &path, self.depth + 1, Some((self.name, self.line)))
    }
}

fn named_key(w: &str) -> Option<Key> {
    Some(match w {
        "Enter" => Key::Enter,
        "Backspace" => Key::Backspace,
        "Tab" => Key::Tab,
        "Space" => Key::Space,
        "Escape" => Key::Escape,
        "Up" => Key::Up,
        "Down" => Key::Down,
        "Left" => Key::Left,
        "Right" => Key::Right,
        "PageUp" => Key::PageUp,
        "PageDown" => Key::PageDown,
        "Home" => Key::Home,
        "End" => Key::End,
        "Delete" => Key::Delete,
        "Insert" => Key::Insert,
        _ => return None,
    })
}

/// Whether `prog` is a path to an executable, or the name of one on `PATH`.
pub fn on_path(prog: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if prog.contains('/') {
        return runnable(Path::new(prog));
    }
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|d| !prog.is_empty() && runnable(&d.join(prog)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Tape> {
        Tape::parse(Path::new("t.tape"), text)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    fn bytes(keys: &[Press]) -> Vec<u8> {
        let mut out = Vec::new();
        for k in keys {
            k.bytes(false, &mut out);
        }
        out
    }

    #[test]
    fn keys_and_text_become_presses() {
        let t = parse(
            "# a demo\nType \"ls -l\"\nEnter\nBackspace 3\nType@10ms 'a' `b`\n\
             Ctrl+C Alt+x Shift+Tab Ctrl+Alt+d Up@1s 2 Left PageUp Delete Shift+a\n",
        )
        .unwrap();
        let all: Vec<(u64, Vec<u8>, Option<Duration>)> = t
            .steps
            .iter()
            .map(|s| match &s.action {
                Action::Keys { keys, speed } => (s.line, bytes(keys), *speed),
                a => panic!("{a:?}"),
            })
            .collect();
        assert_eq!(all[0], (2, b"ls -l".to_vec(), None));
        assert_eq!(all[1], (3, b"\r".to_vec(), None));
        assert_eq!(all[2], (4, b"\x7f\x7f\x7f".to_vec(), None));
        assert_eq!(
            all[3],
            (5, b"a b".to_vec(), Some(Duration::from_millis(10)))
        );
        let rest: Vec<Vec<u8>> = all[4..].iter().map(|a| a.1.clone()).collect();
        assert_eq!(
            rest,
            [
                b"\x03".to_vec(),
                b"\x1bx".to_vec(),
                b"\x1b[Z".to_vec(),
                b"\x1b\x04".to_vec(),
                b"\x1b[A\x1b[A".to_vec(),
                b"\x1b[D".to_vec(),
                b"\x1b[5~".to_vec(),
                b"\x1b[3~".to_vec(),
                b"A".to_vec(),
            ]
        );
        assert_eq!(all[4 + 4].0, 6);
        assert_eq!(all[4 + 4].2, Some(Duration::from_secs(1)));
    }

    #[test]
    fn application_cursor_mode_changes_arrows() {
        let mut out = Vec::new();
        Press::plain(Key::Up).bytes(true, &mut out);
        Press::plain(Key::Home).bytes(true, &mut out);
        let mut ctrl = Press::plain(Key::Right);
        ctrl.ctrl = true;
        ctrl.bytes(true, &mut out);
        assert_eq!(out, b"\x1bOA\x1bOH\x1b[1;5C");
    }

    #[test]
    fn times_waits_and_settings() {
        let t = parse(
            "Set TypingSpeed 80ms\nSet WaitTimeout 2\nSleep 500ms\nSleep 1.5\nSleep .5 s\n\
             Wait\nWait+Screen@3s /done \\/ ok/\nWait+Line /\\$ $/\nSet WaitPattern /x/\n\
             Hide\nShow\nCopy \"hi\"\nPaste\n",
        )
        .unwrap();
        let a: Vec<&Action> = t.steps.iter().map(|s| &s.action).collect();
        assert!(matches!(a[0], Action::TypingSpeed(d) if *d == Duration::from_millis(80)));
        assert!(matches!(a[1], Action::WaitTimeout(d) if *d == Duration::from_secs(2)));
        assert!(matches!(a[2], Action::Sleep(d) if *d == Duration::from_millis(500)));
        assert!(matches!(a[3], Action::Sleep(d) if *d == Duration::from_millis(1500)));
        assert!(matches!(a[4], Action::Sleep(d) if *d == Duration::from_millis(500)));
        assert!(matches!(
            a[5],
            Action::Wait {
                scope: Scope::Line,
                pattern: None,
                timeout: None
            }
        ));
        match a[6] {
            Action::Wait {
                scope: Scope::Screen,
                pattern: Some(p),
                timeout: Some(d),
            } => {
                assert_eq!(p.as_str(), "done / ok");
                assert_eq!(*d, Duration::from_secs(3));
            }
            w => panic!("{w:?}"),
        }
        assert!(
            matches!(a[7], Action::Wait { scope: Scope::Line, pattern: Some(p), .. } if p.as_str() == "\\$ $")
        );
        assert!(matches!(a[8], Action::WaitPattern(_)));
        assert!(matches!(a[9], Action::Hide));
        assert!(matches!(a[10], Action::Show));
        assert!(matches!(a[11], Action::Copy(s) if s == "hi"));
        assert!(matches!(a[12], Action::Paste));
    }

    #[test]
    fn session_settings_and_pictures() {
        let t = parse(
            "Output demo.gif\nSet Shell \"bash\"\nSet Theme \"Dracula\"\nSet Theme {\"x\": 1}\n\
             Set FontSize 22\nEnv GREETING \"hello there\"\nSet Cols 100\nSet Rows 30\n\
             Require bash\nSet Framerate 30\nScreenshot x.png\n",
        )
        .unwrap();
        assert_eq!(t.shell.as_deref(), Some("bash"));
        assert_eq!(t.env, [("GREETING".into(), "hello there".into())]);
        assert_eq!(t.size(), Some((100, 30)));
        let what: Vec<&str> = t.ignored.iter().map(|i| i.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "Output",
                "Set Theme",
                "Set FontSize",
                "Set Framerate",
                "Screenshot"
            ]
        );
        let note = t.ignored_note().unwrap();
        assert!(
            note.contains("Set Theme (line 3; cast-to-gif --theme)"),
            "{note}"
        );
        assert!(t.steps.is_empty());
    }

    #[test]
    fn pixels_become_cells_with_vhs_metrics() {
        // VHS's default window: 1080x480 px inside the padding, cells of 14x29 px.
        let t = parse("Set Width 1200\nSet Height 600\n").unwrap();
        assert_eq!(t.size(), Some((77, 16)));
        let t = parse("Set Width 1200\nSet Height 600\nSet FontSize 11\nSet Padding 0\n").unwrap();
        // 6+1 = 7 px wide, 14 px tall.
        assert_eq!(t.size(), Some((171, 42)));
        let t = parse("Set Width 1200\nSet Rows 10\n").unwrap();
        assert_eq!(t.size(), Some((77, 10)));
        assert_eq!(parse("Type \"x\"\n").unwrap().size(), None);
    }

    #[test]
    fn mistakes_name_the_line() {
        assert_eq!(
            err("Type \"a\"\n\n\n\n\n\nFrobnicate\n"),
            "t.tape: line 7: unknown command 'Frobnicate'"
        );
        assert_eq!(
            err("Sleep\n"),
            "t.tape: line 1: Sleep expects a time (500ms, 2s)"
        );
        assert_eq!(
            err("Sleep 5x\n"),
            "t.tape: line 1: bad time '5x' (500ms, 2s, 1m)"
        );
        assert_eq!(
            err("\nType\n"),
            "t.tape: line 2: expected a string in quotes"
        );
        assert_eq!(
            err("Type \"abc\n"),
            "t.tape: line 1: string not closed: \" expected"
        );
        assert!(err("Wait /(/\n").starts_with("t.tape: line 1: bad regular expression /(/"));
        assert_eq!(err("Set Foo 1\n"), "t.tape: line 1: unknown setting 'Foo'");
        assert_eq!(
            err("Wait+Moon /x/\n"),
            "t.tape: line 1: Wait+ expects Line or Screen"
        );
        assert_eq!(err("Ctrl+abc\n"), "t.tape: line 1: Ctrl: bad key 'abc'");
        assert_eq!(
            err("Ctrl+é\n"),
            "t.tape: line 1: Ctrl+é has no control character"
        );
        assert_eq!(err("Ctrl\n"), "t.tape: line 1: Ctrl expects +KEY");
        assert_eq!(
            err("\"ls\"\n"),
            "t.tape: line 1: expected a command, found \"ls\""
        );
        assert_eq!(
            err("Set Cols 0\n"),
            "t.tape: line 1: Set Cols: bad size '0' (1 to 4096)"
        );
        assert!(err("Require no-such-program-castkit\n").contains("line 1: Require: 'no-such"));
        assert!(err("Source nowhere.tape\n").starts_with("t.tape: line 1: Source nowhere.tape: "));
    }

    #[test]
    fn sourced_tapes_are_read_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("setup.tape");
        std::fs::write(&inner, "Set Shell zsh\nType \"setup\"\n").unwrap();
        let outer = dir.path().join("main.tape");
        std::fs::write(&outer, "Type \"a\"\nSource setup.tape\nEnter\n").unwrap();
        let t = Tape::read(&outer).unwrap();
        assert_eq!(t.shell.as_deref(), Some("zsh"));
        let files: Vec<(&Path, u64)> = t.steps.iter().map(|s| (s.file.as_path(), s.line)).collect();
        assert_eq!(
            files,
            [
                (outer.as_path(), 1),
                (inner.as_path(), 2),
                (outer.as_path(), 3)
            ]
        );
        std::fs::write(&inner, "Bogus\n").unwrap();
        let e = Tape::read(&outer).unwrap_err().to_string();
        assert!(
            e.ends_with("setup.tape: line 1: unknown command 'Bogus'"),
            "{e}"
        );
        std::fs::write(&inner, "Source setup.tape\n").unwrap();
        let e = Tape::read(&outer).unwrap_err().to_string();
        assert!(e.contains("Source nested too deeply"), "{e}");
    }
}
