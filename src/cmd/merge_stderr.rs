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
//! The tracker reads the output through the one tokenizer ([`crate::ansi`]), as the other
//! tools do, so its grammar is the tokenizer's. In an `o` event's JSON token, read in place
//! rather than decoded, the ground state's text and every escape that stands for neither ESC
//! nor a C1 control (`\r`, `\n`, `\"`, `\u00e9`, ...) change nothing and are stepped over
//! (the tokenizer's text scan, `text_end` with `JSON`), and a CSI written plainly as
//! `\u001b[`, parameter bytes and a final byte is read where it stands
//! (`ansi::plain_csi_in_json`, the check cast-to-txt --raw and cast-grep's screen
//! share): that is the token the tokenizer would give. Everything else (other escapes,
//! sequences split by an escape or an event boundary, control strings, C1 controls) goes to
//! the tokenizer decoded, one escape at a time, and its tokens drive the tracker. A proptest
//! compares this with the decoded text through the tokenizer alone.
//!
//! This costs less than the loop of its own it replaced (main at 83bde32): with
//! `--color=red`, 19.7% fewer instructions on 20 MB of bench/gen.py's typing mix (419.0 M
//! to 336.6 M, callgrind) and 26.6% fewer on its corpus mix (366.6 M to 269.0 M), and less
//! CPU time on the 200 MB files (medians of five alternating runs: 0.68 s to 0.59 s on the
//! typing mix, 0.61 s to 0.49 s on the corpus mix). That loop stepped through every CSI
//! byte by byte in its state machine and buffered the parameters; a plain CSI is now one
//! scan, and an escape such as `\r` or `\n` in text one comparison. An earlier port that
//! routed everything through a JSON front end to the tokenizer (`Tokenizer::feed_json`,
//! commits 12b9c93 to 5734917 of branch i14) cost 23% more instructions on the typing mix
//! and 30% more on the corpus mix, and 8-13% more CPU time: a token per text run and per
//! `\r`/`\n`, and the general escape decoder, where the ground state needs no token at all.
//!
//! The tokenizer's grammar changed what the tracker reads (the loop it replaced did
//! otherwise): C1 controls are read, so U+009B starts a CSI (`U+009B 1 m` sets bold), U+009C
//! ends a control string and U+0090, U+0098, U+009D, U+009E, U+009F start one; BEL ends only
//! an OSC, where a DCS, SOS, PM or APC goes on to ST or to the next `ESC`; and a raw ESC byte
//! in the token (which JSON does not allow, but a damaged file may hold) starts a sequence
//! as an escaped one does, where the ground state looked only at escapes.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::ansi::{Token, Tokenizer, plain_csi_in_json, text_end};
use crate::cli::{self, EventFilter, FilterArgs};
use crate::error::Result;
use crate::event::{Code, EventRecord, EventRef, unescape_into};
use crate::json_str::{Escape, escape_at};
use crate::time::Micros;
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
    fn track(&mut self, token: &[u8]) {
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

    /// Writes the event at `t` with `code` as the mode says.
    #[inline]
    fn pass(
        &mut self,
        t: Micros,
        code: Code,
        code_json: &[u8],
        token: &[u8],
        out: &mut Writer,
    ) -> Result<()> {
        match (code, self.mode) {
            (Code::Stderr, Mode::Drop) | (Code::Output, Mode::Only) => {}
            (Code::Stderr, _) => {
                if self.color.is_some() && token.len() > 2 {
                    let data = self.colored(token);
                    out.write_event(t, b"\"o\"", data)?;
                } else {
                    out.write_event(t, b"\"o\"", token)?;
                }
            }
            (Code::Output, _) => {
                if self.color.is_some() {
                    self.track(token);
                }
                out.write_event(t, code_json, token)?;
            }
            _ => out.write_event(t, code_json, token)?,
        }
        Ok(())
    }
}

impl EventFilter for MergeStderr {
    #[inline]
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        self.pass(
            rec.time(),
            rec.code(),
            rec.code_json(),
            rec.data_json(),
            out,
        )
    }

    #[inline]
    fn event_ref(&mut self, ev: &EventRef<'_>, out: &mut Writer) -> Result<bool> {
        self.pass(ev.time(), ev.code(), ev.code_json(), ev.data_json(), out)?;
        Ok(true)
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

/// The graphic rendition (SGR attributes) in force after the output seen so far.
///
/// Follows ECMA-48 and xterm: attributes, the 16 basic colours, 256-colour and direct colour
/// in both the `;` and the `:` forms, underline styles and underline colour. Resets come from
/// `SGR 0`, `ESC c` (full reset) and `CSI ! p` (soft reset). Anything it does not know is
/// ignored, which at worst leaves an attribute unrestored after a coloured chunk. Sequences
/// are read by the shared tokenizer ([`crate::ansi`]), whose state carries over from one
/// event to the next.
#[derive(Debug, Clone, Default)]
pub struct Rendition {
    attrs: Attrs,
    tok: Tokenizer,
    /// For the rare token that holds what JSON does not allow (decoded as a whole).
    scratch: String,
}

/// The attributes themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Attrs {
    flags: u16,
    /// 0 none, 1 single, 2 double, 3 curly, 4 dotted, 5 dashed.
    underline: u8,
    fg: Color,
    bg: Color,
    ul_color: Color,
}

impl Rendition {
    /// True when no escape sequence is in progress.
    pub fn in_ground(&self) -> bool {
        self.tok.in_ground()
    }

    /// True when every attribute is at its default.
    pub fn is_default(&self) -> bool {
        self.attrs == Attrs::default()
    }

    /// Reads terminal output, updating the rendition.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while let Some(t) = self.tok.next(bytes, &mut i) {
            self.attrs.token(t);
        }
    }

    /// Reads terminal output given as the inside of a JSON string token (or a piece of it
    /// that splits no escape and no character: see [`crate::event::piece_end`]), without
    /// decoding it. In the ground state, text (and `\r`, `\n`, any escape that is not a
    /// control) leaves the rendition as it is and is stepped over, and a CSI written plainly
    /// as `\u001b[` with its parameters and final byte is read where it stands
    /// (`plain_csi_in_json`: the token the tokenizer would give). Everything else goes
    /// through the tokenizer, decoded one escape at a time, so the rendition is the one
    /// [`feed`](Self::feed) makes of the decoded text (a proptest compares them).
    pub fn feed_json(&mut self, inner: &[u8]) {
        let n = inner.len();
        let mut i = 0;
        while i < n {
            if self.tok.in_ground() {
                i = text_end::<true>(inner, i);
                if i >= n {
                    return;
                }
                if inner[i] != b'\\' {
                    // A raw control (C1 as two bytes of UTF-8, DEL, or a C0 the reader
                    // let through) for the tokenizer.
                    let len = if inner[i] == 0xC2 { 2 } else { 1 };
                    self.feed(&inner[i..(i + len).min(n)]);
                    i += len;
                    continue;
                }
                // At a backslash: text and controls other than ESC and C1 change nothing.
                if inner.get(i + 1) != Some(&b'u') {
                    i += 2;
                    continue;
                }
                if matches!(inner.get(i + 2..i + 6), Some(b"001b" | b"001B"))
                    && let Some((end, fin)) = plain_csi_in_json(inner, i + 6)
                {
                    if fin == b'm' {
                        self.attrs.csi(&inner[i + 7..end], fin);
                    }
                    i = end + 1;
                    continue;
                }
            } else {
                // Inside a sequence: the bytes up to the next escape read the same decoded.
                let e = memchr::memchr(b'\\', &inner[i..]).map_or(n, |k| i + k);
                if e > i {
                    self.feed(&inner[i..e]);
                    i = e;
                    continue;
                }
            }
            match escape_at(inner, i) {
                Escape::Char(c, len) => {
                    if !self.tok.in_ground() || c == 0x1b || (0x80..=0x9f).contains(&c) {
                        let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
                        let mut utf8 = [0u8; 4];
                        self.feed(ch.encode_utf8(&mut utf8).as_bytes());
                    }
                    i += len;
                }
                Escape::Verbatim(_) | Escape::Cut => {
                    // Not JSON: decoded as `feed`'s caller would, from here on.
                    let mut scratch = std::mem::take(&mut self.scratch);
                    scratch.clear();
                    unescape_into(&inner[i..], &mut scratch);
                    self.feed(scratch.as_bytes());
                    self.scratch = scratch;
                    return;
                }
            }
        }
    }

    /// Appends `;P;P...` that set this rendition from the default (nothing when it is the
    /// default), for use after a `0` parameter.
    pub fn write_params(&self, out: &mut Vec<u8>) {
        self.attrs.write_params(out)
    }
}

impl Attrs {
    fn reset(&mut self) {
        *self = Attrs::default();
    }

    /// A token of the output: SGR, or one of the resets.
    #[inline]
    fn token(&mut self, t: Token<'_>) {
        match t {
            Token::Csi {
                body,
                fin,
                overflow: false,
            } => self.csi(body, fin),
            Token::Esc {
                inter: [],
                fin: b'c',
                ..
            } => self.reset(),
            _ => {}
        }
    }

    /// A CSI sequence: SGR when its parameters are digits, `;` and `:`; `CSI ! p` is DECSTR,
    /// the soft reset, which resets the rendition too.
    #[inline]
    fn csi(&mut self, body: &[u8], fin: u8) {
        match fin {
            b'm' if body.iter().all(|b| (b'0'..=b';').contains(b)) => self.apply_sgr(body),
            b'p' if body == b"!" => self.reset(),
            _ => {}
        }
    }

    /// Applies an SGR sequence's parameters.
    fn apply_sgr(&mut self, params: &[u8]) {
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
            assert_eq!(a.in_ground(), b.in_ground(), "{t:?}");
        }
        // Upper-case hex, and a sequence split inside a token.
        let mut r = Rendition::default();
        r.feed_json(br"x\u001B[1");
        r.feed_json(br"m");
        let mut v = Vec::new();
        r.write_params(&mut v);
        assert_eq!(v, b";1");
    }

    /// Pieces of output: the text, and how a JSON token may write it (`None`: as
    /// `json_str` writes it). Text, CR/LF, plain CSI and SGR, sequences to be split, strings,
    /// C1 controls raw and as `\u00XX`, and escapes written as `\u001b`.
    use crate::ansi::test_pieces::{self, Piece, with_controls};

    const OWN: &[Piece] = &[
        ("a", None),
        ("word ", None),
        ("é", None),
        ("é", Some(r"\u00e9")),
        ("中😀", None),
        ("\r", None),
        ("\n", None),
        ("\r\n", None),
        ("\t", None),
        ("\x7f", None),
        ("\x1b", None),
        ("\x1b", Some(r"\u001B")),
        ("\x1b[", None),
        ("\x1b[1;31m", None),
        ("\x1b[1;31m", Some(r"\u001B[1;31m")),
        ("\x1b[0m", None),
        ("\x1b[m", None),
        ("\x1b[38;5;208m", None),
        ("\x1b[48:2::1:2:3m", None),
        ("\x1b[4:3m", None),
        ("\x1b[7;53m", None),
        ("\x1b[?25h", None),
        ("\x1b[>4;2m", None),
        ("\x1b[ q", None),
        ("\x1b[!p", None),
        ("\x1bc", None),
        ("\x1b(B", None),
        ("\x1bN", None),
        ("\x1bO", None),
        ("1", None),
        ("3", None),
        (";", None),
        (":", None),
        ("m", None),
        ("!", None),
        ("p", None),
        ("[", None),
        ("\u{9b}1m", None),
        ("\x1b[1\r2m", None),
    ];

    fn pieces() -> Vec<Piece> {
        with_controls(OWN)
    }

    fn written(k: usize) -> Vec<u8> {
        test_pieces::written(pieces()[k])
    }

    fn params(r: &Rendition) -> Vec<u8> {
        let mut v = Vec::new();
        r.write_params(&mut v);
        v
    }

    proptest::proptest! {
        /// Any output, read as decoded text (through the tokenizer alone) or as its JSON
        /// tokens in pieces (the in-place path), leaves the same rendition after every event,
        /// and nothing panics.
        #[test]
        fn token_and_text_agree(
            picks in proptest::collection::vec(
                proptest::collection::vec(0..pieces().len(), 0..16), 1..8),
            // At least a character's length: piece_end splits none longer than a piece.
            piece in 4usize..48,
        ) {
            let (mut a, mut b) = (Rendition::default(), Rendition::default());
            for event in &picks {
                let text: String = event.iter().map(|&k| pieces()[k].0).collect();
                let inner: Vec<u8> = event.iter().flat_map(|&k| written(k)).collect();
                a.feed(text.as_bytes());
                let mut i = 0;
                while i < inner.len() {
                    let end = crate::event::piece_end(&inner, i, piece);
                    b.feed_json(&inner[i..end]);
                    i = end;
                }
                proptest::prop_assert_eq!(params(&a), params(&b));
                proptest::prop_assert_eq!(a.in_ground(), b.in_ground());
            }
        }
    }

    #[test]
    fn grammar_is_the_tokenizers() {
        // C1 CSI and ST are read; BEL ends only an OSC.
        assert_eq!(after("\u{9b}1m"), ";1");
        assert_eq!(after("\u{9d}0;t\u{9c}\x1b[3m"), ";3");
        assert_eq!(after("\x1bPq\x07\u{9b}3m"), "");
        assert_eq!(after("\x1b]q\x07\u{9b}3m"), ";3");
    }
}
