//! Raw text: the output stream without escape sequences, no terminal emulation.
//!
//! Escape sequences are recognised by the shared tokenizer ([`crate::ansi`], also when an
//! event boundary splits one) and dropped; carriage returns directly before a line feed are
//! dropped too. Everything else passes through, so a progress bar drawn with bare carriage
//! returns stays as it was written. Runs of plain text come from the tokenizer as slices and
//! are copied whole.
//!
//! [`RawText::feed_json`] reads an event's JSON string token in place instead of a decoded
//! copy: a run without escapes reads the same either way, so runs of text are copied
//! straight from the token, `\r` and `\n` are taken where they stand, and the commonest
//! sequence, a CSI written as `\u001b[` with plain parameters and final byte, is skipped
//! where it stands (`ansi::plain_csi_in_json`, the check cast-merge-stderr and cast-grep's
//! screen share; it takes parameter bytes only, a CSI with intermediates now goes to the
//! tokenizer, and sharing it cost cast-to-txt --raw 1.7% more instructions on 20 MB of
//! bench/gen.py's typing mix and 2.1% more on its corpus mix than this module's own copy,
//! callgrind, 318.2 M to 323.7 M and 261.7 M to 267.1 M; its CPU time was not measured).
//! Everything else (other escapes, sequences split by an escape or an event boundary,
//! control strings) goes through the tokenizer decoded, one escape at a time, so the text
//! is the same as [`RawText::feed`] makes of the decoded string (a unit test and
//! the corpus sweep compare them). On bench/run.sh's corpus-like 233 MiB file (median of
//! five alternating runs) this took cast-to-txt --raw from 0.59 s to 0.32 s: decoding first
//! cost a pass and a copy, with an escape every 27 bytes. Writing on a thread of its own
//! (`background::BehindWriter`) took it on to 0.27 s. Finding runs from a 64-byte mask kept
//! between escapes instead of `text_end` was tried: no faster on that file, and 35% slower
//! on the typing-heavy one (a block classified for every one-key event).
//!
//! From the ground state, with no carriage return held and no time prefixes, the commonest
//! stretch (runs of text, `\r\n`, plain CSIs) goes through one tight loop
//! (`RawText::plain_run`) that does what the general loop does there, without its checks and
//! calls for every piece; short runs are copied as fixed blocks. With the two threads of
//! `convert_raw_threaded`, the loop, a CSI's parameters found eight bytes at a time and
//! `text_end` inlined and two blocks a step, it took cast-to-txt --raw on bench/run.sh's
//! typing-heavy file from 3.11x cat's time to 2.02x (figures in `convert_raw_threaded`'s doc).

use crate::ansi::{Token, Tokenizer, plain_csi_in_json, text_end};
use crate::event::unescape_into;
use crate::json_str::{Escape, escape_at};
use crate::time::{self, Micros};

/// Turns terminal output into plain text without emulating a terminal: escape sequences
/// are removed (also when split across events), CRLF (and CR CR LF) becomes LF, and
/// everything else passes through. Keeps no more state than the scanner's position.
pub struct RawText {
    tok: Tokenizer,
    /// Carriage returns held back: they vanish if a line feed follows.
    crs: usize,
    timestamps: bool,
    /// At the start of an output line (the time prefix is due before the next byte).
    line_start: bool,
    /// Anything written at all.
    any: bool,
}

impl RawText {
    pub fn new(timestamps: bool) -> RawText {
        RawText {
            tok: Tokenizer::new(),
            crs: 0,
            timestamps,
            line_start: true,
            any: false,
        }
    }

    /// Writes text, after any carriage returns held back (no line feed followed them).
    fn text(&mut self, t: Micros, out: &mut Vec<u8>, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        while self.crs > 0 {
            self.crs -= 1;
            self.put(t, out, b"\r");
        }
        self.put(t, out, bytes);
    }

    fn put(&mut self, t: Micros, out: &mut Vec<u8>, bytes: &[u8]) {
        if !self.timestamps {
            out.extend_from_slice(bytes);
            self.line_start = bytes[bytes.len() - 1] == b'\n';
        } else {
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                if self.line_start {
                    out.push(b'[');
                    out.extend_from_slice(time::clock(t).as_bytes());
                    out.extend_from_slice(b"] ");
                }
                out.extend_from_slice(line);
                self.line_start = line[line.len() - 1] == b'\n';
            }
        }
        self.any = true;
    }

    /// Appends the plain text of output written at time `t`.
    pub fn feed(&mut self, t: Micros, data: &str, out: &mut Vec<u8>) {
        self.feed_bytes(t, data.as_bytes(), out);
    }

    /// [`feed`](Self::feed) for the inside of the data's JSON string token, undecoded (or a
    /// piece of it that splits no escape and no character: see [`crate::event::piece_end`]).
    /// `scratch` is for the rare token that holds what JSON does not allow.
    pub fn feed_json(&mut self, t: Micros, inner: &[u8], out: &mut Vec<u8>, scratch: &mut String) {
        let n = inner.len();
        let mut i = 0;
        while i < n {
            if self.crs == 0 && !self.timestamps && self.tok.in_ground() {
                i = self.plain_run(inner, i, out);
                if i == n {
                    break;
                }
            }
            if self.tok.in_ground() {
                let e = text_end::<true>(inner, i);
                if e > i {
                    self.text(t, out, &inner[i..e]);
                    i = e;
                    continue;
                }
                if inner[i] != b'\\' {
                    // A control (C1 as two bytes of UTF-8, or DEL) for the tokenizer.
                    let len = if inner[i] == 0xC2 { 2 } else { 1 };
                    self.feed_bytes(t, &inner[i..(i + len).min(n)], out);
                    i += len;
                    continue;
                }
            } else {
                // Inside a sequence: the bytes up to the next escape read the same decoded.
                let e = memchr::memchr(b'\\', &inner[i..]).map_or(n, |k| i + k);
                if e > i {
                    self.feed_bytes(t, &inner[i..e], out);
                    i = e;
                    continue;
                }
            }
            // At a backslash: the commonest escapes first, then any.
            if self.tok.in_ground() {
                match inner.get(i + 1) {
                    Some(b'r') => {
                        self.crs += 1;
                        i += 2;
                        continue;
                    }
                    Some(b'n') => {
                        self.crs = 0;
                        self.text(t, out, b"\n");
                        i += 2;
                        continue;
                    }
                    Some(b'u') if matches!(inner.get(i + 2..i + 6), Some(b"001b" | b"001B")) => {
                        if let Some(end) = plain_csi_end(inner, i + 6) {
                            i = end;
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            let (c, len) = match escape_at(inner, i) {
                Escape::Char(c, len) => (c, len),
                Escape::Verbatim(_) | Escape::Cut => {
                    // Not JSON: decoded as `feed`'s caller would, from here on.
                    scratch.clear();
                    unescape_into(&inner[i..], scratch);
                    self.feed_bytes(t, scratch.as_bytes(), out);
                    return;
                }
            };
            let ground = self.tok.in_ground();
            match c {
                0x0d if ground => self.crs += 1,
                0x0a if ground => {
                    self.crs = 0;
                    self.text(t, out, b"\n");
                }
                0x1b if ground => {
                    if let Some(end) = plain_csi_end(inner, i + len) {
                        i = end;
                        continue;
                    }
                    self.feed_bytes(t, &[0x1b], out);
                }
                _ => {
                    let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
                    let mut utf8 = [0u8; 4];
                    let b = ch.encode_utf8(&mut utf8).as_bytes();
                    if ground && (c >= 0xa0 || (0x20..0x7f).contains(&c)) {
                        self.text(t, out, b);
                    } else {
                        self.feed_bytes(t, b, out);
                    }
                }
            }
            i += len;
        }
    }

    /// The commonest stretch of a token, in one tight loop: runs of text, `\\r\\n` and `\\n`
    /// (a line feed), and plain CSIs (dropped), from the ground state with no carriage return
    /// held and no time prefixes to write. Each step is what `feed_json`'s general loop does
    /// in that state (a CR is held until the LF after it drops it), without its checks and
    /// calls per piece. Returns where it stopped: at the end of `inner`, or at anything else,
    /// which the general loop takes.
    #[inline(always)]
    fn plain_run(&mut self, inner: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
        let n = inner.len();
        let before = out.len();
        loop {
            let e = text_end::<true>(inner, i);
            append(out, inner, i, e);
            i = e;
            if i + 1 >= n || inner[i] != b'\\' {
                break;
            }
            match inner[i + 1] {
                b'r' if inner.get(i + 2..i + 4) == Some(b"\\n") => {
                    out.push(b'\n');
                    i += 4;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                }
                b'u' if matches!(inner.get(i + 2..i + 6), Some(b"001b" | b"001B")) => {
                    match plain_csi_end(inner, i + 6) {
                        Some(end) => i = end,
                        None => break,
                    }
                }
                _ => break,
            }
        }
        if out.len() > before {
            self.any = true;
            self.line_start = out[out.len() - 1] == b'\n';
        }
        i
    }

    fn feed_bytes(&mut self, t: Micros, b: &[u8], out: &mut Vec<u8>) {
        let mut tok = std::mem::take(&mut self.tok);
        let mut i = 0;
        while let Some(token) = tok.next(b, &mut i) {
            match token {
                Token::Text(run) => self.text(t, out, run),
                Token::Control(b'\r') => self.crs += 1,
                Token::Control(b'\n') => {
                    self.crs = 0;
                    self.text(t, out, b"\n");
                }
                // A C1 control that starts no sequence stays as written (in UTF-8).
                Token::Control(c @ 0x80..) => self.text(t, out, &[0xC2, c]),
                Token::Control(c) => self.control(t, out, c, tok.in_ground()),
                _ => {}
            }
        }
        self.tok = tok;
    }

    /// A C0 control or DEL other than CR and LF: text, as written. Inside a sequence only tab
    /// and backspace are (a terminal carries them out there too).
    fn control(&mut self, t: Micros, out: &mut Vec<u8>, c: u8, in_ground: bool) {
        if in_ground || c == b'\t' || c == 0x08 {
            self.text(t, out, &[c]);
        }
    }

    /// Ends the text with a line feed if it does not end with one.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.crs = 0;
        if self.any && !self.line_start {
            out.push(b'\n');
            self.line_start = true;
        }
    }
}

/// Appends `src[from..to]` to `out`. A short run (most are a few words between two
/// escapes) is moved as a fixed 32 or 64 bytes and cut back, where a call to copy a few
/// bytes costs more than the copy.
#[inline(always)]
fn append(out: &mut Vec<u8>, src: &[u8], from: usize, to: usize) {
    #[inline(always)]
    fn fixed<const N: usize>(out: &mut Vec<u8>, src: &[u8], from: usize, to: usize) {
        let len = out.len();
        let block: &[u8; N] = src[from..from + N].try_into().expect("fixed size");
        out.extend_from_slice(block);
        out.truncate(len + to - from);
    }
    if to - from <= 32 && from + 32 <= src.len() {
        fixed::<32>(out, src, from, to);
    } else if to - from <= 64 && from + 64 <= src.len() {
        fixed::<64>(out, src, from, to);
    } else {
        out.extend_from_slice(&src[from..to]);
    }
}

/// Where a CSI ends whose `ESC` was just read from a JSON token, when it is written plainly
/// (`plain_csi_in_json`, the check the other readers of a token in place share).
#[inline]
fn plain_csi_end(inner: &[u8], from: usize) -> Option<usize> {
    plain_csi_in_json(inner, from).map(|(end, _)| end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIECES: &[&str] = &[
        "a",
        "word ",
        "é",
        "中",
        "😀",
        "\r",
        "\n",
        "\r\n",
        "\t",
        "\x08",
        "\x7f",
        "\x1b",
        "\x1b[",
        "\x1b[31m",
        "\x1b[1;32m",
        "\x1b[?25h",
        "\x1b[ q",
        "31",
        ";",
        "m",
        "\x1b]0;title\x07",
        "\x1b]8;;u\x1b\\",
        "\x1b\\",
        "\x1bP",
        "\x1b(B",
        "\x1bN",
        "\x1bOx",
        "\u{9b}",
        "\u{9b}2J",
        "\u{85}",
        "\u{9d}",
        "\x18",
        "\x1a",
        "\"",
        "\\",
        "/",
        "\u{a0}",
        "\x00",
        "\x1b[\r5m",
    ];

    /// The text `feed` makes of `events` (each decoded text) and the text `feed_json` makes
    /// of their JSON tokens, read in pieces of at most `piece` bytes.
    fn both(events: &[String], piece: usize, timestamps: bool) -> (Vec<u8>, Vec<u8>) {
        let (mut a, mut b) = (RawText::new(timestamps), RawText::new(timestamps));
        let (mut out_a, mut out_b, mut scratch) = (Vec::new(), Vec::new(), String::new());
        for (k, e) in events.iter().enumerate() {
            let t = k as Micros * 1_000_000;
            a.feed(t, e, &mut out_a);
            let tok = crate::event::json_str(e);
            let inner = &tok[1..tok.len() - 1];
            let mut i = 0;
            while i < inner.len() {
                let end = crate::event::piece_end(inner, i, piece);
                b.feed_json(t, &inner[i..end], &mut out_b, &mut scratch);
                i = end;
            }
        }
        a.finish(&mut out_a);
        b.finish(&mut out_b);
        (out_a, out_b)
    }

    #[test]
    fn json_tokens_give_the_decoded_text() {
        let events: Vec<String> = vec![
            "a\x1b[3".into(),
            "1mred\x1b".into(),
            "[0m\r".into(),
            "\nb\u{9b}1;2Hc\x1b]0;t\x1b\\d".into(),
            "50%\r60%\r\r\n".into(),
        ];
        for piece in [16, 64 * 1024] {
            for ts in [false, true] {
                let (a, b) = both(&events, piece, ts);
                assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            }
        }
    }

    #[test]
    fn an_escape_json_does_not_know_is_decoded_as_written() {
        let (mut r, mut out, mut scratch) = (RawText::new(false), Vec::new(), String::new());
        r.feed_json(0, br"a\x1b\u001b[1mb", &mut out, &mut scratch);
        let mut want = Vec::new();
        let mut s = String::new();
        unescape_into(br"a\x1b\u001b[1mb", &mut s);
        RawText::new(false).feed(0, &s, &mut want);
        assert_eq!(out, want);
    }

    proptest::proptest! {
        #[test]
        fn json_tokens_give_the_decoded_text_for_any_mix(
            picks in proptest::collection::vec(
                proptest::collection::vec(0..PIECES.len(), 0..12), 1..8),
            piece in 16usize..64,
            ts: bool,
        ) {
            let events: Vec<String> =
                picks.iter().map(|p| p.iter().map(|&k| PIECES[k]).collect()).collect();
            let (a, b) = both(&events, piece, ts);
            proptest::prop_assert_eq!(a, b);
        }
    }
}
