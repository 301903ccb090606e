//! cast-merge-stderr: make a recording's stderr visible to every player.
//!
//! castkit's recorder can keep what the program wrote to stderr apart, as `e` events. Stock
//! players ignore codes they do not know, so on playback the errors vanish. This filter turns
//! each `e` event into an `o` event at the same time, which is what the terminal showed when
//! it was recorded. Times never change and data passes through byte for byte, so it runs at
//! cast-idle's speed.
//!
//! With `--color` each stderr chunk is wrapped in an SGR colour. Setting a colour is easy;
//! putting the terminal back as it was afterwards is not, because the attributes in force
//! depend on everything stdout wrote before. So the filter follows the SGR state of the `o`
//! stream as it passes ([`Rendition`]) and, after each coloured chunk, resets the attributes
//! and re-applies the ones stdout had set. The parser reads the `o` events' JSON tokens in
//! place (escapes and all) rather than decoding them, and runs only with `--color`.
//!
//! The parser is this module's own rather than the one tokenizer ([`crate::ansi`]), on
//! measurement. The same tracker reading through the tokenizer, with a JSON front end that
//! skipped text in the token and decoded only escapes (`Tokenizer::feed_json`, commits
//! 12b9c93 to 5734917 of branch i14), gave byte-identical output (bench/same-output.sh,
//! 10962 runs) but cost cast-merge-stderr --color 23% more instructions on 20 MB of
//! bench/gen.py's typing mix and 30% more on its corpus mix (callgrind), and 8-13% more CPU
//! time (medians of 11) on the 200 MB files: a token per text run and per `\r`/`\n`, and
//! the general escape decoder, cost more than one memchr to the next backslash. It follows
//! the tokenizer's grammar where SGR can tell, except that it does not read C1 controls
//! (U+009B as CSI, U+009C as ST) and lets BEL end any string, not only an OSC.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::cli::{self, EventFilter, FilterArgs};
use crate::error::Result;
use crate::event::{Code, EventRecord};
use crate::write::Writer;

const EXAMPLES: &str = "\
Examples:
  cast-merge-stderr demo.cast > merged.cast         stderr shown as ordinary output
  cast-merge-stderr --color demo.cast > red.cast    stderr in red, then the colours stdout had
  cast-merge-stderr --color=yellow -i *.cast        another colour, files rewritten in place
  cast-merge-stderr --color=208 demo.cast           a colour of the 256-colour palette
  cast-merge-stderr --drop demo.cast > out.cast     stdout only
  cast-merge-stderr --only demo.cast > err.cast     stderr only

Exit status:
  0  success
  2  an error (a bad option, an unreadable or malformed recording)";

/// Turn stderr (`e` events) into ordinary output so every player shows it
///
/// castkit's recorder can keep stderr apart as `e` events, which stock players (the web player,
/// `asciinema play`, agg) silently ignore. This rewrites every `e` event as an `o` event at the
/// same time. Other events and all times pass through unchanged; without --color the data
/// bytes are exactly the original.
#[derive(Debug, Parser)]
#[command(name = "cast-merge-stderr", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Show stderr in COLOR, then restore the attributes stdout had set: a name (red, green,
    /// yellow, blue, magenta, cyan, white, black, bright-red, ...), a 256-colour palette index
    /// 0-255, or #RRGGBB [default when given without a value: red]
    #[arg(long, value_name = "COLOR", num_args = 0..=1, require_equals = true,
          default_missing_value = "red", value_parser = parse_color,
          conflicts_with = "drop")]
    pub color: Option<String>,

    /// Remove stderr instead: keep stdout only
    #[arg(long, conflicts_with = "only")]
    pub drop: bool,

    /// Keep stderr only: drop stdout's `o` events and turn `e` into `o` (input, resizes,
    /// markers and the exit status stay; --color still applies)
    #[arg(long)]
    pub only: bool,

    #[command(flatten)]
    pub common: FilterArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let mode = if a.drop {
        Mode::Drop
    } else if a.only {
        Mode::Only
    } else {
        Mode::Merge
    };
    cli::run_filter(&a.common, |_| {
        Ok(MergeStderr::new(mode, a.color.as_deref()))
    })
}

/// What happens to stdout and stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `e` becomes `o`; `o` stays.
    Merge,
    /// `e` is removed.
    Drop,
    /// `e` becomes `o`; `o` is removed.
    Only,
}

/// Parses a `--color` value into SGR parameters (`31`, `38;5;208`, `38;2;255;0;0`).
pub fn parse_color(s: &str) -> Result<String, String> {
    const NAMES: [&str; 8] = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    ];
    let bad = || {
        format!("invalid colour '{s}': expected a name (red, bright-red, ...), 0-255 or #RRGGBB")
    };
    let lower = s.trim().to_ascii_lowercase();
    let (bright, name) = match lower
        .strip_prefix("bright-")
        .or_else(|| lower.strip_prefix("bright"))
    {
        Some(n) => (true, n),
        None => (false, lower.as_str()),
    };
    if let Some(k) = NAMES.iter().position(|&n| n == name) {
        return Ok((if bright { 90 + k } else { 30 + k }).to_string());
    }
    if let Some(hex) = lower.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked hex");
        return Ok(format!("38;2;{};{};{}", c(0), c(2), c(4)));
    }
    match lower.parse::<u8>() {
        Ok(n) if !lower.starts_with('+') => Ok(format!("38;5;{n}")),
        _ => Err(bad()),
    }
}

/// The filter: rewrites `e` events as the mode says, colouring them when asked.
pub struct MergeStderr {
    mode: Mode,
    /// `\u001b[<colour>m` as it appears inside a JSON string, when colouring.
    color: Option<Vec<u8>>,
    rendition: Rendition,
    data: Vec<u8>,
}

impl MergeStderr {
    /// `color` holds SGR parameters as [`parse_color`] returns them.
    pub fn new(mode: Mode, color: Option<&str>) -> MergeStderr {
        MergeStderr {
            mode,
            color: color.map(|c| format!("\\u001b[{c}m").into_bytes()),
            rendition: Rendition::default(),
            data: Vec::new(),
        }
    }

    /// Follows the SGR state of an `o` event's data, read from its JSON token.
    fn track(&mut self, rec: &EventRecord) {
        let token = rec.data_json();
        self.rendition.feed_json(&token[1..token.len() - 1]);
    }

    /// The data token for a coloured stderr chunk: colour, the chunk's bytes untouched, then
    /// a reset and the attributes stdout had set.
    fn colored(&mut self, token: &[u8]) -> &[u8] {
        let color = self.color.as_deref().unwrap_or_default();
        self.data.clear();
        self.data.push(b'"');
        self.data.extend_from_slice(color);
        self.data.extend_from_slice(&token[1..token.len() - 1]);
        self.data.extend_from_slice(b"\\u001b[0");
        self.rendition.write_params(&mut self.data);
        self.data.extend_from_slice(b"m\"");
        &self.data
    }
}

impl EventFilter for MergeStderr {
    #[inline]
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        let t = rec.time();
        match (rec.code(), self.mode) {
            (Code::Stderr, Mode::Drop) | (Code::Output, Mode::Only) => {}
            (Code::Stderr, _) => {
                let token = rec.data_json();
                if self.color.is_some() && token.len() > 2 {
                    let data = self.colored(token);
                    out.write_event(t, b"\"o\"", data)?;
                } else {
                    out.write_event(t, b"\"o\"", token)?;
                }
            }
            (Code::Output, _) => {
                if self.color.is_some() {
                    self.track(rec);
                }
                out.write_record(t, rec)?;
            }
            _ => out.write_record(t, rec)?,
        }
        Ok(())
    }
}

/// A colour as SGR sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Color {
    #[default]
    Default,
    /// One of the 16 basic colours, as its own SGR parameter (30-37, 90-97, 40-47, 100-107).
    Basic(u8),
    /// `38;5;N` and friends.
    Indexed(u8),
    /// `38;2;R;G;B` and friends.
    Rgb(u8, u8, u8),
}

const BOLD: u16 = 1;
const FAINT: u16 = 1 << 1;
const ITALIC: u16 = 1 << 2;
const BLINK: u16 = 1 << 3;
const RAPID_BLINK: u16 = 1 << 4;
const INVERSE: u16 = 1 << 5;
const HIDDEN: u16 = 1 << 6;
const STRIKE: u16 = 1 << 7;
const OVERLINE: u16 = 1 << 8;

/// Where the escape-sequence parser is in the output stream. Sequences may be split across
/// events, so this carries over from one event to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Ground,
    Escape,
    /// After ESC and an intermediate byte (`ESC ( B`): waiting for the final byte.
    EscapeIntermediate,
    Csi,
    /// After `CSI !`.
    CsiBang,
    /// A CSI sequence that is not SGR (private marker, intermediates, too long): skip it.
    CsiIgnore,
    /// OSC, DCS, SOS, PM, APC: a string that ends with BEL or ST.
    String,
    StringEscape,
}

/// The graphic rendition (SGR attributes) in force after the output seen so far.
///
/// Follows ECMA-48 and xterm: attributes, the 16 basic colours, 256-colour and direct colour
/// in both the `;` and the `:` forms, underline styles and underline colour. Resets come from
/// `SGR 0`, `ESC c` (full reset) and `CSI ! p` (soft reset). Anything it does not know is
/// ignored, which at worst leaves an attribute unrestored after a coloured chunk.
#[derive(Debug, Clone, Default)]
pub struct Rendition {
    flags: u16,
    /// 0 none, 1 single, 2 double, 3 curly, 4 dotted, 5 dashed.
    underline: u8,
    fg: Color,
    bg: Color,
    ul_color: Color,
    state: State,
    /// The parameter bytes of the CSI sequence being read.
    params: Vec<u8>,
}

/// Longer CSI sequences are not SGR anyone writes; they are skipped rather than buffered.
const MAX_PARAMS: usize = 512;

impl Rendition {
    /// True when no escape sequence is in progress.
    pub fn in_ground(&self) -> bool {
        self.state == State::Ground
    }

    /// True when every attribute is at its default.
    pub fn is_default(&self) -> bool {
        self.flags == 0
            && self.underline == 0
            && self.fg == Color::Default
            && self.bg == Color::Default
            && self.ul_color == Color::Default
    }

    fn reset(&mut self) {
        self.flags = 0;
        self.underline = 0;
        self.fg = Color::Default;
        self.bg = Color::Default;
        self.ul_color = Color::Default;
    }

    /// Reads terminal output, updating the rendition.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            if self.state == State::Ground {
                match memchr::memchr(0x1b, &bytes[i..]) {
                    Some(k) => {
                        i += k + 1;
                        self.state = State::Escape;
                        continue;
                    }
                    None => return,
                }
            }
            let b = bytes[i];
            i += 1;
            self.step(b);
        }
    }

    /// Reads terminal output given as the inside of a JSON string token, without decoding
    /// it: escapes are read in place, and every non-ASCII character counts as one byte of
    /// 0x80 or above, which is all the parser needs to know of it.
    pub fn feed_json(&mut self, inner: &[u8]) {
        let mut i = 0;
        while i < inner.len() {
            let b = inner[i];
            if self.state == State::Ground {
                // Only ESC leaves the ground state, and in a token ESC is an escape.
                let Some(k) = memchr::memchr(b'\\', &inner[i..]) else {
                    return;
                };
                i += k;
                let (b, len) = json_escape(&inner[i..]);
                i += len;
                if b == 0x1b {
                    self.state = State::Escape;
                }
            } else if b == b'\\' {
                let (b, len) = json_escape(&inner[i..]);
                i += len;
                self.step(b);
            } else {
                i += 1;
                self.step(b);
            }
        }
    }

    fn step(&mut self, b: u8) {
        // CAN and SUB abort any sequence; ESC starts a new one (ending a string as ST's first
        // byte).
        match (b, self.state) {
            (0x18 | 0x1a, _) => {
                self.state = State::Ground;
                return;
            }
            (0x1b, State::String) => {
                self.state = State::StringEscape;
                return;
            }
            (0x1b, _) => {
                self.state = State::Escape;
                return;
            }
            _ => {}
        }
        match self.state {
            State::Ground => {}
            State::Escape => {
                self.state = match b {
                    b'[' => {
                        self.params.clear();
                        State::Csi
                    }
                    b']' | b'P' | b'X' | b'^' | b'_' => State::String,
                    b'c' => {
                        self.reset();
                        State::Ground
                    }
                    0x20..=0x2f => State::EscapeIntermediate,
                    // C0 controls inside a sequence are executed and the sequence goes on.
                    0x00..=0x1f => State::Escape,
                    _ => State::Ground,
                }
            }
            State::EscapeIntermediate => {
                if !matches!(b, 0x00..=0x2f) {
                    self.state = State::Ground;
                }
            }
            State::Csi => match b {
                b'0'..=b';' if self.params.len() < MAX_PARAMS => self.params.push(b),
                b'm' => {
                    self.apply_sgr();
                    self.state = State::Ground;
                }
                b'!' if self.params.is_empty() => self.state = State::CsiBang,
                0x00..=0x1f | 0x7f => {}
                0x40..=0x7e => self.state = State::Ground,
                0x80.. => self.state = State::Ground,
                // A private marker, an intermediate byte, or too many parameters.
                _ => self.state = State::CsiIgnore,
            },
            // `CSI ! p` is DECSTR, the soft reset, which resets the rendition too.
            State::CsiBang => match b {
                b'p' => {
                    self.reset();
                    self.state = State::Ground;
                }
                0x00..=0x1f | 0x7f => {}
                0x40..=0x7e | 0x80.. => self.state = State::Ground,
                _ => self.state = State::CsiIgnore,
            },
            State::CsiIgnore => {
                if matches!(b, 0x40..=0x7e | 0x80..) {
                    self.state = State::Ground;
                }
            }
            State::String => {
                if b == 0x07 {
                    self.state = State::Ground;
                }
            }
            State::StringEscape => {
                // ESC \ is ST; any other byte starts a new escape sequence.
                self.state = State::Escape;
                if b != b'\\' {
                    self.step(b);
                } else {
                    self.state = State::Ground;
                }
            }
        }
    }

    /// Applies the SGR sequence whose parameters are in `self.params`.
    fn apply_sgr(&mut self) {
        let params = std::mem::take(&mut self.params);
        // Each `;` group, with its `:` sub-parameters; an empty parameter is 0.
        let mut groups = params.split(|&b| b == b';');
        while let Some(g) = groups.next() {
            let mut sub = g.split(|&b| b == b':').map(num);
            let p = sub.next().flatten().unwrap_or(0);
            match p {
                0 => self.reset(),
                1 => self.flags |= BOLD,
                2 => self.flags |= FAINT,
                3 => self.flags |= ITALIC,
                4 => {
                    self.underline = match sub.next() {
                        Some(Some(s)) if s <= 5 => s as u8,
                        Some(_) => self.underline,
                        None => 1,
                    }
                }
                5 => self.flags |= BLINK,
                6 => self.flags |= RAPID_BLINK,
                7 => self.flags |= INVERSE,
                8 => self.flags |= HIDDEN,
                9 => self.flags |= STRIKE,
                21 => self.underline = 2,
                22 => self.flags &= !(BOLD | FAINT),
                23 => self.flags &= !ITALIC,
                24 => self.underline = 0,
                25 => self.flags &= !(BLINK | RAPID_BLINK),
                27 => self.flags &= !INVERSE,
                28 => self.flags &= !HIDDEN,
                29 => self.flags &= !STRIKE,
                30..=37 | 90..=97 => self.fg = Color::Basic(p as u8),
                39 => self.fg = Color::Default,
                40..=47 | 100..=107 => self.bg = Color::Basic(p as u8),
                49 => self.bg = Color::Default,
                53 => self.flags |= OVERLINE,
                55 => self.flags &= !OVERLINE,
                59 => self.ul_color = Color::Default,
                38 | 48 | 58 => {
                    // The colon form carries its arguments as sub-parameters; the older
                    // semicolon form takes them from the groups that follow.
                    let args: Vec<Option<u16>> = sub.collect();
                    let c = if !args.is_empty() {
                        extended_color_colon(&args)
                    } else {
                        extended_color_semicolon(&mut groups)
                    };
                    if let Some(c) = c {
                        match p {
                            38 => self.fg = c,
                            48 => self.bg = c,
                            _ => self.ul_color = c,
                        }
                    }
                }
                _ => {}
            }
        }
        self.params = params;
    }

    /// Appends `;P;P...` that set this rendition from the default (nothing when it is the
    /// default), for use after a `0` parameter.
    pub fn write_params(&self, out: &mut Vec<u8>) {
        let flags = [
            (BOLD, "1"),
            (FAINT, "2"),
            (ITALIC, "3"),
            (BLINK, "5"),
            (RAPID_BLINK, "6"),
            (INVERSE, "7"),
            (HIDDEN, "8"),
            (STRIKE, "9"),
            (OVERLINE, "53"),
        ];
        let mut put = |s: &str| {
            out.push(b';');
            out.extend_from_slice(s.as_bytes());
        };
        for (bit, p) in flags {
            if self.flags & bit != 0 {
                put(p);
            }
        }
        match self.underline {
            0 => {}
            1 => put("4"),
            n => put(&format!("4:{n}")),
        }
        for (c, base) in [(self.fg, 38), (self.bg, 48), (self.ul_color, 58)] {
            match c {
                Color::Default => {}
                Color::Basic(n) => put(&n.to_string()),
                Color::Indexed(n) => put(&format!("{base};5;{n}")),
                Color::Rgb(r, g, b) => put(&format!("{base};2;{r};{g};{b}")),
            }
        }
    }
}

/// The byte the JSON escape at the start of `s` stands for (0x80 for a character beyond
/// ASCII), and the escape's length.
fn json_escape(s: &[u8]) -> (u8, usize) {
    let b = match s.get(1) {
        Some(b'u') => {
            let v = s.get(2..6).and_then(|h| {
                h.iter()
                    .try_fold(0u32, |v, &c| Some(v * 16 + (c as char).to_digit(16)?))
            });
            return match v {
                Some(v) if v < 0x80 => (v as u8, 6),
                Some(_) => (0x80, 6),
                None => (0x80, s.len()),
            };
        }
        Some(b'n') => b'\n',
        Some(b'r') => b'\r',
        Some(b't') => b'\t',
        Some(b'b') => 0x08,
        Some(b'f') => 0x0c,
        Some(&c) => c,
        None => return (0x80, s.len()),
    };
    (b, 2)
}

/// A decimal parameter; `None` when empty. Values beyond u16 saturate.
fn num(b: &[u8]) -> Option<u16> {
    if b.is_empty() {
        return None;
    }
    let mut v: u32 = 0;
    for &d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        v = (v * 10 + (d - b'0') as u32).min(u16::MAX as u32);
    }
    Some(v as u16)
}

fn byte(v: Option<u16>) -> Option<u8> {
    u8::try_from(v.unwrap_or(0)).ok()
}

/// `38:5:N`, `38:2:R:G:B` or `38:2:CS:R:G:B` (the colour space id is optional).
fn extended_color_colon(args: &[Option<u16>]) -> Option<Color> {
    match args.first().copied().flatten() {
        Some(5) => Some(Color::Indexed(byte(*args.get(1)?)?)),
        Some(2) => {
            let rgb = if args.len() >= 5 {
                &args[2..5]
            } else {
                &args[1..]
            };
            if rgb.len() < 3 {
                return None;
            }
            Some(Color::Rgb(byte(rgb[0])?, byte(rgb[1])?, byte(rgb[2])?))
        }
        _ => None,
    }
}

/// `38;5;N` or `38;2;R;G;B`, taking the arguments from the following groups.
fn extended_color_semicolon<'a>(groups: &mut impl Iterator<Item = &'a [u8]>) -> Option<Color> {
    match num(groups.next()?) {
        Some(5) => Some(Color::Indexed(byte(num(groups.next()?))?)),
        Some(2) => {
            let r = num(groups.next()?);
            let g = num(groups.next()?);
            let b = num(groups.next()?);
            Some(Color::Rgb(byte(r)?, byte(g)?, byte(b)?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(s: &str) -> String {
        let mut r = Rendition::default();
        r.feed(s.as_bytes());
        let mut v = Vec::new();
        r.write_params(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn colours() {
        assert_eq!(parse_color("red").unwrap(), "31");
        assert_eq!(parse_color("Bright-Yellow").unwrap(), "93");
        assert_eq!(parse_color("brightblue").unwrap(), "94");
        assert_eq!(parse_color("208").unwrap(), "38;5;208");
        assert_eq!(parse_color("#ff8000").unwrap(), "38;2;255;128;0");
        for bad in ["256", "-1", "#12345", "#gggggg", "pink", "", "+3"] {
            assert!(parse_color(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn follows_attributes_and_resets() {
        assert_eq!(after(""), "");
        assert_eq!(after("\x1b[1;31mx"), ";1;31");
        assert_eq!(after("\x1b[1;31mx\x1b[0m"), "");
        assert_eq!(after("\x1b[1;31mx\x1b[m"), "");
        assert_eq!(after("\x1b[1;31m\x1b[22;39;4m"), ";4");
        assert_eq!(after("\x1b[7;44m\x1b[27m"), ";44");
        assert_eq!(after("\x1b[38;5;208;48;2;1;2;3m"), ";38;5;208;48;2;1;2;3");
        assert_eq!(after("\x1b[38:2::10:20:30m"), ";38;2;10;20;30");
        assert_eq!(after("\x1b[38:2:10:20:30m"), ";38;2;10;20;30");
        assert_eq!(after("\x1b[4:3;58:5:9m"), ";4:3;58;5;9");
        assert_eq!(after("\x1b[4:3m\x1b[24m"), "");
        assert_eq!(after("\x1b[1;95m\x1bc"), "");
        assert_eq!(after("\x1b[1;95m\x1b[!p"), "");
    }

    #[test]
    fn ignores_what_is_not_sgr() {
        // Private (`>4;2m` is xterm's modifyOtherKeys), OSC text, charset designations.
        assert_eq!(after("\x1b[>4;2m"), "");
        assert_eq!(after("\x1b]0;[1mtitle\x07[4m"), "");
        assert_eq!(after("\x1b]0;t\x1b\\\x1b[3m"), ";3");
        assert_eq!(after("\x1b(B\x1b[5m"), ";5");
        assert_eq!(after("\x1b[?1049h\x1b[2J\x1b[H\x1b[32m"), ";32");
        assert_eq!(after("\x1b[1\x18m\x1b[9m"), ";9");
        assert_eq!(after("\x1b[38;5m"), "");
        assert_eq!(after("\x1b[38;5;999m"), "");
    }

    #[test]
    fn sequences_split_across_events() {
        let mut r = Rendition::default();
        for part in ["ab\x1b", "[1", ";3", "3mc"] {
            r.feed(part.as_bytes());
        }
        let mut v = Vec::new();
        r.write_params(&mut v);
        assert_eq!(v, b";1;33");
        assert!(r.in_ground());
    }

    #[test]
    fn reading_json_tokens_equals_reading_text() {
        let texts = [
            "\x1b[1;31mred\r\n\x1b[0m",
            "\x1b]0;t\x07\x1b[4:3m é \x1b[38;5;208m中😀",
            "\\u001b[1m not an escape \x1b[3m",
            "\x1b[1\x18m\x1b[9m\"\\",
            "\x1b[38;2;1;2;3;48;5;9m\x1b[7m\x1b[27m",
        ];
        for t in texts {
            let mut a = Rendition::default();
            a.feed(t.as_bytes());
            let mut b = Rendition::default();
            let tok = crate::event::json_str(t);
            b.feed_json(&tok[1..tok.len() - 1]);
            let (mut pa, mut pb) = (Vec::new(), Vec::new());
            a.write_params(&mut pa);
            b.write_params(&mut pb);
            assert_eq!(pa, pb, "{t:?}");
            assert_eq!(a.state, b.state, "{t:?}");
        }
        // Upper-case hex, and a sequence split inside a token.
        let mut r = Rendition::default();
        r.feed_json(br"x\u001B[1");
        r.feed_json(br"m");
        let mut v = Vec::new();
        r.write_params(&mut v);
        assert_eq!(v, b";1");
    }

    proptest::proptest! {
        /// Any output, read as text or as its JSON token, leaves the same rendition, and
        /// nothing panics.
        #[test]
        fn token_and_text_agree(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "\x1b", "[", "]", "0", "1", "2", "4", "5", "8", "3", ";", ":", "m", "p", "!",
                "?", ">", "\x07", "\\", "\"", "\x18", "c", "é", "😀", "\u{9b}", "\r\n", "(", "B",
            ]),
            0..64,
        )) {
            let text: String = parts.concat();
            let mut a = Rendition::default();
            a.feed(text.as_bytes());
            let mut b = Rendition::default();
            let tok = crate::event::json_str(&text);
            // Fed in two pieces, cut where no escape (at most six bytes) is open.
            let inner = &tok[1..tok.len() - 1];
            let mut cut = inner.len() / 2;
            while cut > 0 && inner[cut.saturating_sub(5)..cut].contains(&b'\\') {
                cut -= 1;
            }
            b.feed_json(&inner[..cut]);
            b.feed_json(&inner[cut..]);
            let (mut pa, mut pb) = (Vec::new(), Vec::new());
            a.write_params(&mut pa);
            b.write_params(&mut pb);
            proptest::prop_assert_eq!(pa, pb);
            proptest::prop_assert_eq!(a.state, b.state);
        }
    }
}
