//! Events: a reusable record holding one event's time, code and data.
//!
//! The code and data are kept as the JSON string tokens read from the file (quotes included),
//! so a tool that only changes times writes the data back without unescaping or re-escaping
//! it. Decoding to text happens only on request ([`EventRecord::data_str`]), and only pays for
//! unescaping when the token holds a backslash.
//!
//! The tokens in a record are always valid JSON, even when the file's were not: the reader
//! repairs raw control bytes and invalid UTF-8 inside strings when it finds them, so whatever a
//! tool passes through is fit to write.

use crate::json_str::{self, Escape};
use crate::time::Micros;

/// How much of a data token [`EventRecord::data_pieces`] decodes at a time in the tools that
/// stream text: small enough that a huge event is never held decoded whole.
pub const PIECE: usize = 64 * 1024;

/// What kind of event this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    /// `o`: output written to the terminal.
    Output,
    /// `i`: input typed by the user.
    Input,
    /// `r`: terminal resize, data `COLSxROWS`.
    Resize,
    /// `m`: marker, data is the label.
    Marker,
    /// `x`: exit status of the recorded command.
    Exit,
    /// `e`: castkit's extension, output written to stderr.
    Stderr,
    /// Any other code (kept as it is).
    Other,
}

impl Code {
    /// The code of a JSON string token such as `"o"`.
    pub fn from_json(token: &[u8]) -> Code {
        match token {
            b"\"o\"" => Code::Output,
            b"\"i\"" => Code::Input,
            b"\"r\"" => Code::Resize,
            b"\"m\"" => Code::Marker,
            b"\"x\"" => Code::Exit,
            b"\"e\"" => Code::Stderr,
            _ => Code::Other,
        }
    }

    /// The JSON token for a known code; `None` for [`Code::Other`].
    pub fn json(self) -> Option<&'static [u8]> {
        Some(match self {
            Code::Output => b"\"o\"",
            Code::Input => b"\"i\"",
            Code::Resize => b"\"r\"",
            Code::Marker => b"\"m\"",
            Code::Exit => b"\"x\"",
            Code::Stderr => b"\"e\"",
            Code::Other => return None,
        })
    }
}

/// One event, reused from read to read so that a stream of events allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct EventRecord {
    pub(crate) time: Micros,
    pub(crate) code: Option<Code>,
    /// The code token followed by the data token, from `start` on.
    pub(crate) buf: Vec<u8>,
    /// Where the code token starts in `buf`: 0, except in a record that took over the
    /// reader's buffer for a very long line rather than copy it (see the reader's docs).
    pub(crate) start: usize,
    pub(crate) code_len: usize,
    pub(crate) line: u64,
}

impl EventRecord {
    /// An event made by a tool: `code` and `data` are plain text, escaped here.
    pub fn new(time: Micros, code: &str, data: &str) -> EventRecord {
        let mut r = EventRecord::default();
        r.set(time, code, data);
        r
    }

    /// Replaces this record's contents with plain-text `code` and `data`.
    pub fn set(&mut self, time: Micros, code: &str, data: &str) {
        self.clear();
        write_json_str(&mut self.buf, code);
        self.code_len = self.buf.len();
        write_json_str(&mut self.buf, data);
        self.time = time;
        self.code = Some(Code::from_json(&self.buf[..self.code_len]));
    }

    /// Replaces this record's data with plain text, keeping time and code.
    pub fn set_data(&mut self, data: &str) {
        self.buf.truncate(self.start + self.code_len);
        write_json_str(&mut self.buf, data);
    }

    /// Empties the buffer, for the next tokens to be appended from its start.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.start = 0;
    }

    /// Absolute time since the start of the recording, in microseconds.
    pub fn time(&self) -> Micros {
        self.time
    }

    pub fn set_time(&mut self, t: Micros) {
        self.time = t;
    }

    pub fn code(&self) -> Code {
        self.code.unwrap_or(Code::Other)
    }

    /// The code as a JSON string token, quotes included (`"o"`).
    pub fn code_json(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.code_len]
    }

    /// The code as text (`o`, or an unknown code such as `rlib`).
    pub fn code_str<'a>(&'a self, scratch: &'a mut String) -> &'a str {
        decode_json_str(self.code_json(), scratch)
    }

    /// The data as a JSON string token exactly as read (quotes included), always valid JSON.
    pub fn data_json(&self) -> &[u8] {
        &self.buf[self.start + self.code_len..]
    }

    /// The data as text. Borrows the record when the token has no escapes; otherwise
    /// unescapes into `scratch`.
    pub fn data_str<'a>(&'a self, scratch: &'a mut String) -> &'a str {
        decode_json_str(self.data_json(), scratch)
    }

    /// The data as text, in pieces of about `max` bytes of the token each (never splitting a
    /// character or an escape), handed to `f` in order. Joined, the pieces are exactly
    /// [`data_str`](Self::data_str). For tools that consume text as a stream (an emulator, a
    /// transcript): a huge event is then never held decoded whole, only one piece of it.
    pub fn data_pieces<E>(
        &self,
        scratch: &mut String,
        max: usize,
        mut f: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<(), E> {
        let token = self.data_json();
        if token.len() <= max + 2 {
            return f(self.data_str(scratch));
        }
        let inner = &token[1..token.len() - 1];
        let mut i = 0;
        while i < inner.len() {
            let end = piece_end(inner, i, max.max(16));
            scratch.clear();
            unescape_into(&inner[i..end], scratch);
            f(scratch)?;
            i = end;
        }
        Ok(())
    }

    /// The line of the file this event was read from (0 when not read from a file, or v1).
    pub fn line(&self) -> u64 {
        self.line
    }
}

/// One event borrowed from the reader's buffer ([`crate::Reader::read_borrowed`]): what a
/// filter that passes data through untouched needs, without copying the data into a record
/// first. It lives until the next read.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    pub(crate) time: Micros,
    pub(crate) code: Code,
    pub(crate) code_json: &'a [u8],
    pub(crate) data_json: &'a [u8],
    pub(crate) line: u64,
    /// The data's length once decoded, when the reader counted it.
    pub(crate) text_len: Option<u64>,
}

impl EventRef<'_> {
    /// As [`EventRecord::time`].
    #[inline]
    pub fn time(&self) -> Micros {
        self.time
    }

    /// As [`EventRecord::code`].
    #[inline]
    pub fn code(&self) -> Code {
        self.code
    }

    /// As [`EventRecord::code_json`].
    #[inline]
    pub fn code_json(&self) -> &[u8] {
        self.code_json
    }

    /// As [`EventRecord::data_json`].
    #[inline]
    pub fn data_json(&self) -> &[u8] {
        self.data_json
    }

    /// As [`EventRecord::line`].
    #[inline]
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The length in bytes of the data's text once decoded, when the reader was asked to
    /// count it ([`crate::Reader::read_borrowed_counted`]) and could (None when a `\\u` escape
    /// stands for more than ASCII: count it from [`data_json`](Self::data_json) then).
    #[inline]
    pub fn text_len(&self) -> Option<u64> {
        self.text_len
    }

    /// Copies the event into `rec`, as [`crate::Reader::read_event`] would have read it.
    pub fn to_record(&self, rec: &mut EventRecord) {
        rec.clear();
        rec.buf.extend_from_slice(self.code_json);
        rec.code_len = self.code_json.len();
        rec.code = Some(self.code);
        rec.buf.extend_from_slice(self.data_json);
        rec.time = self.time;
        rec.line = self.line;
    }
}

/// Decodes a valid JSON string token (quotes included) to text.
///
/// Borrows the token when it has no backslash. Lone surrogates in `\u` escapes become U+FFFD.
pub fn decode_json_str<'a>(token: &'a [u8], scratch: &'a mut String) -> &'a str {
    let inner = &token[1..token.len() - 1];
    if memchr::memchr(b'\\', inner).is_none() {
        // Tokens in records are valid UTF-8 by construction; checking again is cheap with
        // simdutf8 and keeps this safe code.
        return match simdutf8::basic::from_utf8(inner) {
            Ok(s) => s,
            Err(_) => {
                scratch.clear();
                scratch.push_str(&String::from_utf8_lossy(inner));
                scratch
            }
        };
    }
    scratch.clear();
    unescape_into(inner, scratch);
    scratch
}

/// Unescapes the inside of a JSON string, leniently: raw control bytes are kept, invalid UTF-8
/// and lone surrogates become U+FFFD, an escape cut off at the end is dropped.
pub(crate) fn unescape_into(inner: &[u8], out: &mut String) {
    // Valid UTF-8 (always, from the reader, which repairs strings) is checked once, not piece
    // by piece between escapes, which cost cast-grep 2% of its instructions on full-screen
    // output, where an escape comes every few bytes: a backslash is ASCII, so the pieces of
    // valid text are valid text.
    unescape_checked(inner, out, simdutf8::basic::from_utf8(inner).ok());
}

/// [`unescape_into`] given `inner` as text when it is valid UTF-8 (None: each piece between
/// escapes is checked on its own, as the tests compare).
fn unescape_checked(inner: &[u8], out: &mut String, mut valid: Option<&str>) {
    let mut i = 0;
    while i < inner.len() {
        let next = memchr::memchr(b'\\', &inner[i..]).map_or(inner.len(), |k| i + k);
        if next > i {
            match valid {
                Some(s) => out.push_str(&s[i..next]),
                None => push_lossy(out, &inner[i..next]),
            }
        }
        if next >= inner.len() {
            break;
        }
        match json_str::escape_at(inner, next) {
            Escape::Char(c, len) => {
                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                i = next + len;
            }
            Escape::Verbatim(b) => {
                // Not a JSON escape; keep it as written.
                out.push('\\');
                push_lossy(out, &[b]);
                i = next + 2;
                if !b.is_ascii() {
                    // The rest of the character is read byte by byte, as before.
                    valid = None;
                }
            }
            Escape::Cut => break,
        }
    }
}

/// Where a piece of a string token's inside that starts at `from` should end: about `max`
/// bytes on, but never inside an escape (a surrogate pair counts as one) or a UTF-8 sequence.
pub(crate) fn piece_end(inner: &[u8], from: usize, max: usize) -> usize {
    let target = from + max;
    if target >= inner.len() {
        return inner.len();
    }
    // Escapes are short and scanned forward, so one straddling the target is seen whole.
    let mut j = from;
    while let Some(k) = memchr::memchr(b'\\', &inner[j..target]) {
        let at = j + k;
        let mut len = match inner.get(at + 1) {
            Some(b'u') => 6,
            _ => 2,
        };
        // A high surrogate escape takes its low half along.
        if len == 6
            && matches!(inner.get(at + 2), Some(b'd' | b'D'))
            && matches!(
                inner.get(at + 3),
                Some(b'8'..=b'9' | b'a' | b'b' | b'A' | b'B')
            )
            && inner.get(at + 6..at + 8) == Some(b"\\u")
            && matches!(inner.get(at + 8), Some(b'd' | b'D'))
            && matches!(inner.get(at + 9), Some(b'c'..=b'f' | b'C'..=b'F'))
        {
            len = 12;
        }
        j = at + len;
        if j >= target {
            return j.min(inner.len());
        }
    }
    let mut end = target;
    while end > from && (inner[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    if end == from { target } else { end }
}

/// The value of the `\\u` escape whose backslash is `json[at]`, when it has four hex digits.
#[inline]
fn u_escape(json: &[u8], at: usize) -> Option<u16> {
    if json.get(at + 1) != Some(&b'u') {
        return None;
    }
    json_str::hex4(json, at + 2).map(|v| v as u16)
}

/// Walks the `\\u` escapes of JSON text (or of a string's inside) that are UTF-16 surrogates
/// without their other half, calling `f` with the offset of each one's backslash; stops when
/// `f` returns false. Escaped backslashes are stepped over, so `\\\\ud800` is no escape.
fn lone_surrogates(json: &[u8], mut f: impl FnMut(usize) -> bool) {
    let mut i = 0;
    while let Some(k) = json.get(i..).and_then(|rest| memchr::memchr(b'\\', rest)) {
        let at = i + k;
        i = at + 2;
        let Some(v) = u_escape(json, at) else {
            continue;
        };
        i = at + 6;
        match v {
            0xD800..=0xDBFF => {
                if u_escape(json, at + 6).is_some_and(|lo| (0xDC00..=0xDFFF).contains(&lo)) {
                    i = at + 12;
                } else if !f(at) {
                    return;
                }
            }
            0xDC00..=0xDFFF if !f(at) => return,
            _ => {}
        }
    }
}

/// True when JSON text holds a `\\u` surrogate escape without its other half (which strict
/// readers, serde_json and asciinema among them, reject).
pub(crate) fn has_lone_surrogate(json: &[u8]) -> bool {
    let mut found = false;
    lone_surrogates(json, |_| {
        found = true;
        false
    });
    found
}

/// JSON text with every lone surrogate escape replaced by `\\ufffd` (U+FFFD), every other
/// byte kept; None when there is none. A pair split across two strings (two events) becomes
/// two U+FFFD: each half is lone where it stands.
pub(crate) fn fix_lone_surrogates(json: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    lone_surrogates(json, |at| {
        let o = out.get_or_insert_with(|| Vec::with_capacity(json.len()));
        o.extend_from_slice(&json[copied..at]);
        o.extend_from_slice(b"\\ufffd");
        copied = at + 6;
        true
    });
    out.map(|mut o| {
        o.extend_from_slice(&json[copied..]);
        o
    })
}

fn push_lossy(out: &mut String, bytes: &[u8]) {
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// For each byte: 0 when it is written as it is, else the letter after its backslash
/// (`u` for the `\u00XX` form).
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x7f] = b'u';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t
};

/// True when any of the eight bytes in `w` must be escaped: below 0x20, `"`, `\`, or DEL.
/// (Bit tricks that are exact as a yes/no answer; the bytes of multi-byte characters, all
/// 0x80 and above, never match.)
#[inline]
fn word_needs_escape(w: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let below_space = w.wrapping_sub(LO * 0x20) & !w & HI;
    (below_space
        | has_zero(w ^ (LO * b'"' as u64))
        | has_zero(w ^ (LO * b'\\' as u64))
        | has_zero(w ^ (LO * 0x7f)))
        != 0
}

/// Appends `s` as a JSON string token: quotes, `\"`, `\\`, and control characters escaped
/// (`\n`, `\r`, `\t`, `\b`, `\f`, others as `\u00XX`, ESC as `\u001b`). Everything else is
/// written as UTF-8. Runs of plain text are skipped eight bytes at a time: a recorder
/// escapes every byte a program prints.
pub fn write_json_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    write_json_str_inner(out, s);
    out.push(b'"');
}

/// The inside of the JSON string token for `s` (escaped, without its quotes), appended to
/// `out`: for a token written a piece at a time.
pub fn write_json_str_inner(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        while let Some(chunk) = bytes.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if word_needs_escape(w) {
                break;
            }
            i += 8;
        }
        let stop = (i + 8).min(bytes.len());
        while i < stop {
            let b = bytes[i];
            let e = ESCAPE[b as usize];
            if e != 0 {
                out.extend_from_slice(&bytes[start..i]);
                if e == b'u' {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 15) as usize]);
                } else {
                    out.extend_from_slice(&[b'\\', e]);
                }
                start = i + 1;
            }
            i += 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// The JSON string token for `s`, as a new vector.
pub fn json_str(s: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(s.len() + 2);
    write_json_str(&mut v, s);
    v
}

/// Parses resize data: the standard `COLSxROWS`, or `ROWS,COLS` as the Python recorder wrote.
/// Sizes must be positive.
pub fn parse_size(data: &str) -> Option<(u16, u16)> {
    let (cols, rows) = if let Some((c, r)) = data.split_once('x') {
        (c, r)
    } else {
        let (r, c) = data.split_once(',')?;
        (c, r)
    };
    let cols: u16 = cols.trim().parse().ok()?;
    let rows: u16 = rows.trim().parse().ok()?;
    (cols > 0 && rows > 0).then_some((cols, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// unescape_into as it read before it checked the whole string once: piece by piece.
    fn unescape_piecewise(inner: &[u8], out: &mut String) {
        unescape_checked(inner, out, None);
    }

    #[test]
    fn unescape_checks_utf8_once_and_reads_the_same() {
        let cases: &[&[u8]] = &[
            b"plain",
            b"a\\u001b[1mb\\r\\n",
            "wide 漢字\\u001b[H é".as_bytes(),
            "\\é after a bad escape, then 漢".as_bytes(),
            b"\\\xc3\xa9\\u001b",
            b"bad \xff utf-8 \\u001b ok",
            b"\\ud83d\\ude00 pair, \\ud800 lone, cut \\u00",
            b"ends in a backslash \\",
            "\\x\\q\\/\\\\\\\"ü".as_bytes(),
        ];
        for &c in cases {
            let (mut fast, mut slow) = (String::new(), String::new());
            unescape_into(c, &mut fast);
            unescape_piecewise(c, &mut slow);
            assert_eq!(fast, slow, "{:?}", String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn pieces_join_to_the_whole_text() {
        let text = "ab\u{1b}[31m\"q\"\\ \u{e9}\u{1F600}\r\nx\u{7f}\u{2500}\u{2500}".repeat(40);
        let mut r = EventRecord::new(0, "o", &text);
        // A surrogate pair and a lone surrogate written as escapes, as files have them.
        let mut token = r.data_json().to_vec();
        token.pop();
        token.extend_from_slice(b"\\ud83d\\ude00\\ud800z\\ud800\\n\\u0041\"");
        r.buf.truncate(r.code_len);
        r.buf.extend_from_slice(&token);
        let mut whole = String::new();
        let want = r.data_str(&mut whole).to_string();
        for max in [1, 5, 16, 17, 31, 64, 100, 1000, 100_000] {
            let mut got = String::new();
            let mut scratch = String::new();
            r.data_pieces(&mut scratch, max, |p| {
                got.push_str(p);
                Ok::<(), ()>(())
            })
            .unwrap();
            assert_eq!(got, want, "max {max}");
        }
    }

    #[test]
    fn json_str_escapes_exactly_what_json_needs_at_any_position() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é中😀\u{1b}[0m\"\\ plain text after");
        for start in 0..all.len() {
            if !all.is_char_boundary(start) {
                continue;
            }
            let s = &all[start..];
            let token = json_str(s);
            let back: String = serde_json::from_slice(&token).unwrap();
            assert_eq!(back, s);
            let text = std::str::from_utf8(&token).unwrap();
            assert!(text.bytes().all(|b| b >= 0x20 && b != 0x7f));
        }
        assert_eq!(
            json_str("a\u{1b}\u{7f}\"\\\n\t\u{8}\u{c}\r"),
            br#""a\u001b\u007f\"\\\n\t\b\f\r""#
        );
    }

    fn dec(token: &str) -> String {
        let mut s = String::new();
        decode_json_str(token.as_bytes(), &mut s).to_string()
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(dec(r#""plain""#), "plain");
        assert_eq!(dec(r#""a\"b\\""#), "a\"b\\");
        assert_eq!(dec(r#""\\""#), "\\");
        assert_eq!(dec(r#""\u001b[1m\r\n\t\/""#), "\u{1b}[1m\r\n\t/");
        assert_eq!(dec(r#""\ud83d\ude00!""#), "😀!");
        assert_eq!(dec(r#""\ud83dx""#), "\u{FFFD}x");
        assert_eq!(dec(r#""\ude00""#), "\u{FFFD}");
        assert_eq!(dec(r#""\ud83d""#), "\u{FFFD}");
        assert_eq!(dec(r#""\u00e9\u4e2d""#), "é中");
    }

    #[test]
    fn encodes_and_round_trips() {
        let s = "a\"b\\c\n\r\t\u{1b}[0m\u{7f}é中😀\u{0}";
        let tok = json_str(s);
        assert_eq!(
            String::from_utf8(tok.clone()).unwrap(),
            r#""a\"b\\c\n\r\t\u001b[0m\u007fé中😀\u0000""#
        );
        let v: String = serde_json::from_slice(&tok).unwrap();
        assert_eq!(v, s);
        assert_eq!(dec(std::str::from_utf8(&tok).unwrap()), s);
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let fix =
            |s: &str| fix_lone_surrogates(s.as_bytes()).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(fix(r#""a\ud800b""#).as_deref(), Some(r#""a\ufffdb""#));
        assert_eq!(fix(r#""\uDC00""#).as_deref(), Some(r#""\ufffd""#));
        assert_eq!(fix(r#""x\ud83d""#).as_deref(), Some(r#""x\ufffd""#));
        assert_eq!(
            fix(r#""\ud83d\ud83d\ude00""#).as_deref(),
            Some(r#""\ufffd\ud83d\ude00""#)
        );
        assert_eq!(fix(r#""\ud83d\ude00 \u001b \\ud800 \u0d00""#), None);
        assert_eq!(
            fix(r#"{"title":"\udfff","x":"\ud800\n"}"#).as_deref(),
            Some(r#"{"title":"\ufffd","x":"\ufffd\n"}"#)
        );
        for s in [r#""a\ud800b""#, r#""\udc00\ud800""#, r#""\ud800\\""#] {
            let fixed = fix_lone_surrogates(s.as_bytes()).unwrap();
            assert!(
                serde_json::from_slice::<String>(s.as_bytes()).is_err(),
                "{s}"
            );
            let v: String = serde_json::from_slice(&fixed).unwrap();
            assert!(v.contains('\u{FFFD}'), "{s}");
            assert!(has_lone_surrogate(s.as_bytes()));
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("120x35"), Some((120, 35)));
        assert_eq!(parse_size("24,80"), Some((80, 24)));
        assert_eq!(parse_size("-1x0"), None);
        assert_eq!(parse_size("0x10"), None);
        assert_eq!(parse_size("big"), None);
    }

    #[test]
    fn record_accessors() {
        let r = EventRecord::new(5, "o", "hi\n");
        assert_eq!(r.code(), Code::Output);
        assert_eq!(r.code_json(), b"\"o\"");
        assert_eq!(r.data_json(), b"\"hi\\n\"");
        let mut s = String::new();
        assert_eq!(r.data_str(&mut s), "hi\n");
        let r = EventRecord::new(5, "rlib", "x");
        assert_eq!(r.code(), Code::Other);
        assert_eq!(r.code_str(&mut s), "rlib");
    }
}
