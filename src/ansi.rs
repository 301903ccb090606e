//! The escape-sequence tokenizer: terminal output split into text runs and control sequences.
//!
//! Every tool that reads terminal text reads it through [`Tokenizer`]: cast-to-txt --raw,
//! cast-redact, cast-merge-stderr --color (its SGR tracker), cast-grep's line screen, and the
//! state [`crate::vt`] keeps beside avt. So an escape sequence is skipped the same way in
//! each. The three that read an event's JSON string token in place, escapes and all
//! (cast-to-txt --raw, cast-merge-stderr, cast-grep's screen), take the ground state's text
//! runs (`text_end` with `JSON`), `\r`, `\n` and a CSI written plainly as `\u001b[`,
//! parameter bytes and a final byte (`plain_csi_in_json`) where they stand in the token,
//! which gives the tokens the tokenizer would; everything else they hand to the tokenizer,
//! decoded one escape at a time, and each has a proptest comparing the two. (Feeding the
//! whole token through a JSON front end to the tokenizer measured 6-30% slower: the figures
//! are in their module docs.)
//!
//! cast-merge-stderr and cast-grep's screen had loops of their own before, which read a few
//! things otherwise; they follow this grammar now. cast-merge-stderr did not read C1
//! controls (U+009B as CSI, U+009C as ST, U+009D and the others as string starts) and let
//! BEL end any control string, not only an OSC, and did not see a raw ESC byte in a JSON
//! token's text; cast-grep's screen gave SS2 and SS3 as C1 controls (U+008E, U+008F) no
//! character, let DEL end an `ESC` sequence, and did not see raw C0 bytes (BEL, ESC, CAN,
//! SUB) inside a control string. (Raw C0 bytes in a token are not JSON; only a damaged file
//! holds them.)
//!
//! The emulators are the exception, by design: avt's own parser is the grammar where avt draws
//! the screen, and cast-to-txt's line assembly (`cmd/to_txt/lines.rs`), which stands in for
//! avt 0.17 until the output needs it, recognises only SGR and EL sequences written plainly
//! and hands anything else, bytes and all, to avt. It has to agree with avt, not with this
//! tokenizer, and a differential test holds it to that.
//!
//! The grammar is Paul Williams' DEC parser, as xterm, avt and vte follow it:
//!
//! - text runs end at a C0 control, DEL, or a C1 control (U+0080..U+009F, which arrives as
//!   the UTF-8 bytes `C2 80`..`C2 9F`: asciicast data is text, never raw 8-bit bytes);
//! - `ESC`, its intermediates (0x20..0x2F) and a final byte; `ESC N` and `ESC O` (SS2, SS3,
//!   also as C1) take one more character;
//! - CSI (`ESC [` or U+009B): parameter and intermediate bytes, then a final byte;
//! - OSC (`ESC ]`, U+009D) ends at BEL or ST; DCS, SOS, PM, APC (`ESC P X ^ _`, their C1
//!   forms) end at ST. ST is `ESC \` or U+009C; an `ESC` followed by anything else ends the
//!   string too and starts a new sequence, as in xterm and avt;
//! - CAN and SUB abandon any sequence; `ESC` inside one starts a new one; other C0 controls
//!   inside an `ESC` or CSI sequence are carried out (reported as [`Token::Control`]) and the
//!   sequence goes on; DEL inside a sequence is ignored; any other non-ASCII character breaks
//!   the sequence and is text.
//!
//! The state carries over from one call to the next, so a sequence split across events is
//! read as one. Memory is bounded: a CSI's or ESC sequence's bytes are kept up to [`MAX_SEQ`]
//! (the token then says `overflow`), and string contents are never kept at all but handed
//! over as slices of the input ([`Token::StrData`]); a caller that wants an OSC's text caps
//! its own copy.
//!
//! Text runs come as slices of the input, found sixteen bytes at a time (SSE2, part of every
//! x86_64) or eight at a time with the zero-byte word trick elsewhere.
//!
//! Why not `vte` (0.15, or avt's parser, built the same way): both call `print(char)` once
//! per character of text, decoding UTF-8 on the way, where the tools here want a run of text
//! as one slice to copy or search. Splitting the output events of bench/gen.py's recording
//! (72 MB, in 200-byte pieces) into text and sequences ran at 352 MB/s here against vte's
//! 58-61 MB/s, and on the output of the 72 recordings of the shared corpus (15 MB) at
//! 171-270 MB/s against 62-86 MB/s, with the same text either way. vte also knows C1 controls
//! only as raw 8-bit bytes, never as the UTF-8 characters asciicast data holds.

/// The most bytes of a CSI's parameters and intermediates (or an `ESC` sequence's
/// intermediates) kept; longer ones are reported with `overflow` set and their bytes cut.
pub const MAX_SEQ: usize = 512;

/// The kind of a control string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrKind {
    /// Operating-system command (`ESC ]`): titles, colours, hyperlinks. Ends at BEL or ST.
    Osc,
    /// Device control string (`ESC P`): sixel, tmux passthrough, DECRQSS.
    Dcs,
    /// Start of string (`ESC X`).
    Sos,
    /// Privacy message (`ESC ^`).
    Pm,
    /// Application program command (`ESC _`).
    Apc,
}

/// One piece of terminal output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// Text to show: no controls in it (UTF-8, when the input was).
    Text(&'a [u8]),
    /// A C0 control or DEL in text, a C0 control met inside an `ESC` or CSI sequence (which
    /// goes on after it), or a C1 control that starts no sequence (0x80..=0x9F, for example
    /// 0x85 NEL). CAN and SUB inside a sequence abandon it and are not reported.
    Control(u8),
    /// `ESC`, intermediates, final byte: `ESC ( B` is `Esc { inter: b"(", fin: b'B' }`.
    Esc {
        inter: &'a [u8],
        fin: u8,
        overflow: bool,
    },
    /// A single shift: SS2 (`shift` is `N`) or SS3 (`O`), and the character it applies to.
    Shift { shift: u8, ch: u8 },
    /// A control sequence: `body` holds the parameter and intermediate bytes in the order
    /// written (`?25` for `CSI ? 2 5 h`), `fin` the final byte.
    Csi {
        body: &'a [u8],
        fin: u8,
        overflow: bool,
    },
    /// A control string begins.
    StrStart(StrKind),
    /// Part of a control string's contents (in as many pieces as the input came in).
    StrData(&'a [u8]),
    /// The control string ends: at its terminator (`aborted` false: BEL, ST, or an `ESC`
    /// starting a new sequence) or abandoned by CAN or SUB (`aborted` true).
    StrEnd { aborted: bool },
}

/// A token completed by a byte of a sequence, made from the kept bytes by `emit`.
#[derive(Debug, Clone, Copy)]
enum Emit {
    Esc(u8),
    Shift(u8, u8),
    Csi(u8),
    StrStart(StrKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Ground,
    Esc,
    EscInter,
    /// After SS2 or SS3 (the shift byte, `N` or `O`).
    Shift(u8),
    Csi,
    Str(StrKind),
    /// `ESC` inside a string: `\` makes it ST.
    StrEsc(StrKind),
}

/// A resumable escape-sequence tokenizer; see the module docs for the grammar.
#[derive(Debug, Default)]
pub struct Tokenizer {
    state: State,
    /// The current sequence's parameter and intermediate bytes, at most [`MAX_SEQ`].
    buf: Vec<u8>,
    overflow: bool,
}

/// A clone copies the kept sequence bytes only while a sequence that keeps them is in
/// progress, so saving the state at every event (cast-redact does) does not allocate.
impl Clone for Tokenizer {
    fn clone(&self) -> Tokenizer {
        let live = matches!(self.state, State::Esc | State::EscInter | State::Csi);
        Tokenizer {
            state: self.state,
            buf: if live { self.buf.clone() } else { Vec::new() },
            overflow: self.overflow,
        }
    }
}

impl Tokenizer {
    /// A tokenizer in the ground state.
    pub fn new() -> Tokenizer {
        Tokenizer::default()
    }

    /// True when no sequence is in progress.
    pub fn in_ground(&self) -> bool {
        self.state == State::Ground
    }

    /// Forgets any sequence in progress.
    pub fn reset(&mut self) {
        self.state = State::Ground;
    }

    fn begin(&mut self, state: State) {
        self.state = state;
        self.buf.clear();
        self.overflow = false;
    }

    fn keep(&mut self, b: u8) {
        if self.buf.len() < MAX_SEQ {
            self.buf.push(b);
        } else {
            self.overflow = true;
        }
    }

    /// The next token of `input` from `*pos`, advancing `*pos` past it; `None` when the
    /// input is used up (a sequence may still be in progress, to go on in the next input).
    /// `input` must be split on character boundaries from one call to the next.
    #[inline]
    pub fn next<'t>(&'t mut self, input: &'t [u8], pos: &mut usize) -> Option<Token<'t>> {
        let n = input.len();
        let mut i = *pos;
        while i < n {
            match self.state {
                State::Ground => {
                    let end = text_end::<false>(input, i);
                    if end > i {
                        *pos = end;
                        return Some(Token::Text(&input[i..end]));
                    }
                    let b = input[i];
                    if b == 0xC2 {
                        // text_end stops at 0xC2 only before 0x80..=0x9F.
                        let c = input[i + 1];
                        i += 2;
                        if let Some(t) = self.c1(c) {
                            *pos = i;
                            return Some(t);
                        }
                        continue;
                    }
                    i += 1;
                    if b == 0x1b {
                        self.begin(State::Esc);
                        continue;
                    }
                    *pos = i;
                    return Some(Token::Control(b));
                }
                State::Str(kind) => {
                    let rest = &input[i..];
                    let k = string_end(rest, kind == StrKind::Osc);
                    if k > 0 {
                        *pos = i + k;
                        return Some(Token::StrData(&rest[..k]));
                    }
                    // At a terminator, or at the end of the input.
                    let b = input[i];
                    i += 1;
                    let aborted = match b {
                        0x1b => {
                            self.state = State::StrEsc(kind);
                            continue;
                        }
                        0x18 | 0x1a => true,
                        0xC2 => {
                            i += 1;
                            false
                        }
                        _ => false,
                    };
                    self.state = State::Ground;
                    *pos = i;
                    return Some(Token::StrEnd { aborted });
                }
                State::StrEsc(_) => {
                    if input[i] == b'\\' {
                        i += 1;
                        self.state = State::Ground;
                    } else {
                        // A new sequence begins with this ESC; the byte is read in it.
                        self.begin(State::Esc);
                    }
                    *pos = i;
                    return Some(Token::StrEnd { aborted: false });
                }
                _ => {
                    let b = input[i];
                    if b >= 0x80 {
                        // A character where the sequence expected a byte: the sequence is
                        // broken, and the character is read as text (or a C1 control).
                        self.state = State::Ground;
                        continue;
                    }
                    i += 1;
                    match b {
                        0x1b => {
                            self.begin(State::Esc);
                            continue;
                        }
                        0x18 | 0x1a => {
                            self.state = State::Ground;
                            continue;
                        }
                        0x00..=0x1f => {
                            *pos = i;
                            return Some(Token::Control(b));
                        }
                        0x7f => continue,
                        _ => {}
                    }
                    if let Some(e) = self.sequence_byte(b) {
                        *pos = i;
                        return Some(self.emit(e));
                    }
                }
            }
        }
        *pos = n;
        None
    }

    /// A printable ASCII byte (0x20..=0x7E) inside an `ESC` or CSI sequence; says which
    /// token it completes, if any.
    #[inline]
    fn sequence_byte(&mut self, b: u8) -> Option<Emit> {
        match self.state {
            State::Esc => match b {
                b'[' => self.begin(State::Csi),
                b']' => return self.string(StrKind::Osc),
                b'P' => return self.string(StrKind::Dcs),
                b'X' => return self.string(StrKind::Sos),
                b'^' => return self.string(StrKind::Pm),
                b'_' => return self.string(StrKind::Apc),
                b'N' | b'O' => self.state = State::Shift(b),
                0x20..=0x2f => {
                    self.keep(b);
                    self.state = State::EscInter;
                }
                _ => {
                    self.state = State::Ground;
                    return Some(Emit::Esc(b));
                }
            },
            State::EscInter => match b {
                0x20..=0x2f => self.keep(b),
                _ => {
                    self.state = State::Ground;
                    return Some(Emit::Esc(b));
                }
            },
            State::Shift(shift) => {
                self.state = State::Ground;
                return Some(Emit::Shift(shift, b));
            }
            State::Csi => match b {
                0x20..=0x3f => self.keep(b),
                _ => {
                    self.state = State::Ground;
                    return Some(Emit::Csi(b));
                }
            },
            State::Ground | State::Str(_) | State::StrEsc(_) => unreachable!("not a sequence"),
        }
        None
    }

    fn string(&mut self, kind: StrKind) -> Option<Emit> {
        self.state = State::Str(kind);
        Some(Emit::StrStart(kind))
    }

    fn emit(&self, e: Emit) -> Token<'_> {
        match e {
            Emit::Esc(fin) => Token::Esc {
                inter: &self.buf,
                fin,
                overflow: self.overflow,
            },
            Emit::Shift(shift, ch) => Token::Shift { shift, ch },
            Emit::Csi(fin) => Token::Csi {
                body: &self.buf,
                fin,
                overflow: self.overflow,
            },
            Emit::StrStart(kind) => Token::StrStart(kind),
        }
    }

    /// A C1 control in text: starts a sequence, or is reported.
    fn c1(&mut self, c: u8) -> Option<Token<'static>> {
        let kind = match c {
            0x9b => {
                self.begin(State::Csi);
                return None;
            }
            0x8e => {
                self.state = State::Shift(b'N');
                return None;
            }
            0x8f => {
                self.state = State::Shift(b'O');
                return None;
            }
            0x9d => StrKind::Osc,
            0x90 => StrKind::Dcs,
            0x98 => StrKind::Sos,
            0x9e => StrKind::Pm,
            0x9f => StrKind::Apc,
            _ => return Some(Token::Control(c)),
        };
        self.state = State::Str(kind);
        Some(Token::StrStart(kind))
    }
}

/// A CSI written plainly inside a JSON string token, its `ESC` just read (as `\u001b`):
/// from `from`, a `[`, parameter bytes (0x30..=0x3F, at most [`MAX_SEQ`] of them), and a
/// final byte (0x40..=0x7E), with no escape among them (a backslash or the end of `inner`
/// leaves the sequence to the tokenizer, and so does an intermediate byte or any other).
/// Returns where the parameters end and the final byte, which stands there: the parameters
/// are `inner[from + 1..end]` and the sequence ends at `end + 1`. Read from the ground state,
/// this is exactly the [`Token::Csi`] the tokenizer would give for the decoded text, so the
/// readers of a JSON token in place (cast-to-txt --raw, cast-merge-stderr --color, cast-grep's
/// screen) take the commonest sequence where it stands and hand everything else over.
#[inline(always)]
pub(crate) fn plain_csi_in_json(inner: &[u8], from: usize) -> Option<(usize, u8)> {
    let (&open, params) = inner.get(from..)?.split_first()?;
    if open != b'[' {
        return None;
    }
    let k = param_len(params)?;
    let f = params[k];
    ((0x40..=0x7e).contains(&f) && f != b'\\' && k <= MAX_SEQ).then_some((from + 1 + k, f))
}

/// How many of the bytes at the start of `d` are CSI parameter bytes (0x30..=0x3F), `None`
/// when all are. Eight bytes at a time: a parameter byte is one whose high nibble is 3.
#[inline(always)]
fn param_len(d: &[u8]) -> Option<usize> {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= d.len() {
        let w = u64::from_le_bytes(d[i..i + 8].try_into().expect("8 bytes"));
        // Zero where the high nibble is 3; the high bit of each byte of `other` is set where
        // it is not (no carry crosses a byte: (x & 0x7f) + 0x7f is at most 0xfe).
        let x = (w & 0xf0f0_f0f0_f0f0_f0f0) ^ 0x3030_3030_3030_3030;
        let other = (((x & LO7) + LO7) | x) & HI;
        if other != 0 {
            return Some(i + (other.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    d[i..]
        .iter()
        .position(|b| !(0x30..=0x3f).contains(b))
        .map(|k| i + k)
}

/// True for the bytes that may end a run of text: C0 controls, DEL, and 0xC2 (which starts
/// the C1 controls, and also U+00A0..U+00BF); with `JSON`, also the backslash that starts an
/// escape (for readers of a JSON string token's inside, as cast-grep's screen is).
#[inline(always)]
fn special<const JSON: bool>(b: u8) -> bool {
    (b < 0x20) | (b == 0x7f) | (b == 0xC2) | (JSON & (b == b'\\'))
}

/// The end of the run of text from `i`: the first control (C0, DEL, or C1 as `C2 80..9F`),
/// and with `JSON` the first backslash. Sixteen bytes at a time (SSE2), or eight.
// Always inlined: out of line, it took a fifth of cast-to-txt --raw's converting thread.
#[inline(always)]
pub(crate) fn text_end<const JSON: bool>(d: &[u8], mut i: usize) -> usize {
    loop {
        let Some(k) = first_special::<JSON>(d, i) else {
            return d.len();
        };
        if d[k] == 0xC2 && !d.get(k + 1).is_some_and(|&c| (0x80..=0x9f).contains(&c)) {
            i = k + 1;
            continue;
        }
        return k;
    }
}

/// The first [`special`] byte at or after `i`: 32 and then sixteen bytes at a time with
/// SSE2, eight at a time elsewhere (the zero-byte word trick).
#[inline(always)]
fn first_special<const JSON: bool>(d: &[u8], mut i: usize) -> Option<usize> {
    let n = d.len();
    // Two blocks a step: runs of text are most often longer than one.
    #[cfg(target_arch = "x86_64")]
    while i + 32 <= n {
        let m = sse2_special_mask::<JSON>(&d[i..i + 16])
            | sse2_special_mask::<JSON>(&d[i + 16..i + 32]) << 16;
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += 32;
    }
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= n {
        let m = sse2_special_mask::<JSON>(&d[i..i + 16]);
        if m != 0 {
            return Some(i + m.trailing_zeros() as usize);
        }
        i += 16;
    }
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= n {
        let w = u64::from_le_bytes(d[i..i + 8].try_into().expect("8 bytes"));
        // Exact for the lowest flagged byte, which is all that is used.
        let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
        let mut m =
            (w.wrapping_sub(LO * 0x20) & !w & HI) | zero(w ^ (LO * 0x7f)) | zero(w ^ (LO * 0xC2));
        if JSON {
            m |= zero(w ^ (LO * b'\\' as u64));
        }
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    (i..n).find(|&k| special::<JSON>(d[k]))
}

/// A bit per byte of `c` (sixteen bytes) that is [`special`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sse2_special_mask<const JSON: bool>(c: &[u8]) -> u32 {
    use std::arch::x86_64::*;
    assert!(c.len() >= 16);
    // SAFETY: SSE2 is part of the x86_64 baseline; the load reads 16 bytes of `c`, which
    // holds at least 16 (checked above), with no alignment requirement.
    unsafe {
        let x = _mm_loadu_si128(c.as_ptr() as *const __m128i);
        let ctl = _mm_and_si128(
            _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
            _mm_cmpgt_epi8(x, _mm_set1_epi8(-1)),
        );
        let del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
        let c2 = _mm_cmpeq_epi8(x, _mm_set1_epi8(0xC2u8 as i8));
        let mut m = _mm_or_si128(ctl, _mm_or_si128(del, c2));
        if JSON {
            m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8)));
        }
        _mm_movemask_epi8(m) as u32
    }
}

/// The length of a string's contents at the start of `d`: up to a terminator (ESC, CAN,
/// SUB, ST as `C2 9C`, and for OSC BEL) or the end of `d`.
#[inline]
fn string_end(d: &[u8], osc: bool) -> usize {
    let mut i = 0;
    while let Some(k) = d[i..]
        .iter()
        .position(|&b| matches!(b, 0x1b | 0x18 | 0x1a | 0x07 | 0x9c))
    {
        let at = i + k;
        match d[at] {
            0x07 if !osc => i = at + 1,
            // 0x9c ends the string only as ST (C2 9C), not as the last byte of another
            // character. `d` starts on a character boundary, so 0x9c is never first.
            0x9c if at > 0 && d[at - 1] == 0xC2 => return at - 1,
            0x9c => i = at + 1,
            _ => return at,
        }
    }
    d.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `parts` fed one after another, owned, with adjacent text joined.
    fn tokens(parts: &[&str]) -> Vec<String> {
        let mut t = Tokenizer::new();
        let mut out: Vec<String> = Vec::new();
        for p in parts {
            let mut pos = 0;
            while let Some(tok) = t.next(p.as_bytes(), &mut pos) {
                let s = match tok {
                    Token::Text(b) => {
                        let s = String::from_utf8(b.to_vec()).unwrap();
                        if let Some(last) = out.last_mut()
                            && let Some(prev) = last.strip_prefix("T:")
                        {
                            *last = format!("T:{prev}{s}");
                            continue;
                        }
                        format!("T:{s}")
                    }
                    Token::StrData(b) => {
                        let s = String::from_utf8(b.to_vec()).unwrap();
                        if let Some(last) = out.last_mut()
                            && let Some(prev) = last.strip_prefix("D:")
                        {
                            *last = format!("D:{prev}{s}");
                            continue;
                        }
                        format!("D:{s}")
                    }
                    other => format!("{other:?}"),
                };
                out.push(s);
            }
        }
        out
    }

    #[test]
    fn text_controls_and_sequences() {
        assert_eq!(
            tokens(&["ab\x1b[1;31mc\r\n"]),
            [
                "T:ab",
                "Csi { body: [49, 59, 51, 49], fin: 109, overflow: false }",
                "T:c",
                "Control(13)",
                "Control(10)"
            ]
        );
        assert_eq!(
            tokens(&["\x1b(Bx\x1bNy\x1b7"]),
            [
                "Esc { inter: [40], fin: 66, overflow: false }",
                "T:x",
                "Shift { shift: 78, ch: 121 }",
                "Esc { inter: [], fin: 55, overflow: false }",
            ]
        );
    }

    #[test]
    fn sequences_split_anywhere_read_the_same() {
        let whole =
            "a\x1b[?25h\x1b]0;t\u{e9}tle\x07b\x1bP+q\x1b\\\u{9b}2J\u{9d}x\u{9c}\x1b(0c\u{85}é";
        let one = tokens(&[whole]);
        for k in 1..whole.len() {
            if whole.is_char_boundary(k) {
                assert_eq!(tokens(&[&whole[..k], &whole[k..]]), one, "split at {k}");
            }
        }
        assert_eq!(
            one,
            [
                "T:a",
                "Csi { body: [63, 50, 53], fin: 104, overflow: false }",
                "StrStart(Osc)",
                "D:0;t\u{e9}tle",
                "StrEnd { aborted: false }",
                "T:b",
                "StrStart(Dcs)",
                "D:+q",
                "StrEnd { aborted: false }",
                "Csi { body: [50], fin: 74, overflow: false }",
                "StrStart(Osc)",
                "D:x",
                "StrEnd { aborted: false }",
                "Esc { inter: [40], fin: 48, overflow: false }",
                "T:c",
                "Control(133)",
                "T:é",
            ]
        );
    }

    #[test]
    fn broken_sequences() {
        // CAN abandons; ESC restarts; a control inside is carried out; non-ASCII breaks.
        assert_eq!(tokens(&["\x1b[1\x18x"]), ["T:x"]);
        assert_eq!(
            tokens(&["\x1b[1\x1b[2m"]),
            ["Csi { body: [50], fin: 109, overflow: false }"]
        );
        assert_eq!(
            tokens(&["\x1b[1\r2m"]),
            [
                "Control(13)",
                "Csi { body: [49, 50], fin: 109, overflow: false }"
            ]
        );
        assert_eq!(tokens(&["\x1b[é中"]), ["T:é中"]);
        // ESC other than `\` inside a string ends it and starts a sequence.
        assert_eq!(
            tokens(&["\x1b]x\x1b[my"]),
            [
                "StrStart(Osc)",
                "D:x",
                "StrEnd { aborted: false }",
                "Csi { body: [], fin: 109, overflow: false }",
                "T:y"
            ]
        );
        // BEL ends only an OSC; 0x9c ends a string only as U+009C.
        assert_eq!(
            tokens(&["\x1b_a\x07\u{51c}b\x1a"]),
            [
                "StrStart(Apc)",
                "D:a\x07\u{51c}b",
                "StrEnd { aborted: true }"
            ]
        );
    }

    #[test]
    fn plain_csi_in_json_is_the_tokenizers_csi() {
        let long = format!("[{}m", "1;".repeat(MAX_SEQ));
        for (inner, want) in [
            (&b"[1;31mx"[..], Some((5, b'm'))),
            (b"[m", Some((1, b'm'))),
            (b"[?25h", Some((4, b'h'))),
            (b"[ q", None),
            (b"[1\\u001b[2m", None),
            (b"[1", None),
            (b"[1\\\\", None),
            (b"(B", None),
            (b"", None),
            (long.as_bytes(), None),
        ] {
            assert_eq!(plain_csi_in_json(inner, 0), want, "{inner:?}");
            if let Some((end, fin)) = want {
                let mut t = Tokenizer::new();
                let mut pos = 0;
                let mut text = vec![0x1b];
                text.extend_from_slice(&inner[..=end]);
                match t.next(&text, &mut pos) {
                    Some(Token::Csi { body, fin: f, .. }) => {
                        assert_eq!((body, f), (&inner[1..end], fin));
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    #[test]
    fn long_sequences_are_cut() {
        let long = format!("\x1b[{}m", "1;".repeat(1000));
        let mut t = Tokenizer::new();
        let mut pos = 0;
        match t.next(long.as_bytes(), &mut pos) {
            Some(Token::Csi {
                body,
                fin: b'm',
                overflow: true,
            }) => assert_eq!(body.len(), MAX_SEQ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn param_len_agrees_with_bytes() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        for len in 0..40 {
            for _ in 0..300 {
                // Mostly parameter bytes, now and then anything.
                let d: Vec<u8> = (0..len)
                    .map(|_| match next() % 16 {
                        0 => next(),
                        1 => [0x2f, 0x40, 0xb0, 0x3a, 0x13][next() as usize % 5],
                        _ => 0x30 + next() % 16,
                    })
                    .collect();
                let want = d.iter().position(|b| !(0x30..=0x3f).contains(b));
                assert_eq!(param_len(&d), want, "{d:x?}");
            }
        }
    }

    #[test]
    fn text_end_agrees_with_bytes() {
        let mut d: Vec<u8> = (0..=255u8).collect();
        d.extend_from_slice("abcdefghijklmnopqrstuvwxyz\\\u{a0}\u{85}".as_bytes());
        for i in 0..d.len() {
            let slow = |json: bool| {
                (i..d.len())
                    .find(|&k| {
                        d[k] < 0x20
                            || d[k] == 0x7f
                            || (json && d[k] == b'\\')
                            || (d[k] == 0xC2
                                && d.get(k + 1).is_some_and(|&c| (0x80..=0x9f).contains(&c)))
                    })
                    .unwrap_or(d.len())
            };
            assert_eq!(text_end::<false>(&d, i), slow(false), "from {i}");
            assert_eq!(text_end::<true>(&d, i), slow(true), "from {i}, JSON");
        }
    }

    #[test]
    fn first_special_agrees_with_bytes() {
        let mut d: Vec<u8> = (0..=255u8).collect();
        d.extend(b"plain text here, then \\ and more plain text");
        for start in 0..d.len() {
            let want = (start..d.len()).find(|&k| special::<true>(d[k]));
            assert_eq!(first_special::<true>(&d, start), want, "{start}");
            let want = (start..d.len()).find(|&k| special::<false>(d[k]));
            assert_eq!(first_special::<false>(&d, start), want, "{start}");
        }
        for b in 0..=255u8 {
            let mut v = vec![b'a'; 40];
            v[21] = b;
            for (json, want) in [(true, special::<true>(b)), (false, special::<false>(b))] {
                let want = want.then_some(21);
                let got = |i| {
                    if json {
                        first_special::<true>(&v, i)
                    } else {
                        first_special::<false>(&v, i)
                    }
                };
                assert_eq!(got(0), want, "{b}");
                assert_eq!(got(13), want, "{b}");
            }
        }
        // Each place in and after the first two 32-byte steps and the 16-byte one.
        for at in 0..80 {
            for b in [0x00, 0x1f, 0x7f, 0xC2, b'\\'] {
                let mut v = vec![b'a'; 80];
                v[at] = b;
                for start in [0, at / 2, at.saturating_sub(16), at] {
                    assert_eq!(first_special::<true>(&v, start), Some(at), "{b} at {at}");
                    let want = (b != b'\\').then_some(at);
                    assert_eq!(first_special::<false>(&v, start), want, "{b} at {at}");
                }
            }
        }
    }
}

/// Pieces of terminal output for the proptests of the readers that take a JSON token in place
/// (cast-merge-stderr's tracker, cast-grep's line screen): each module mixes its own pieces
/// with these.
#[cfg(test)]
pub(crate) mod test_pieces {
    /// A piece: the text, and how a JSON token may write it (`None`: as `json_str` writes it).
    pub type Piece = (&'static str, Option<&'static str>);

    /// Control strings, their ends, C1 controls raw and as `\u00XX`, and what JSON escapes.
    pub const CONTROLS: &[Piece] = &[
        ("\x1b]0;title\x07", None),
        ("\x1b]8;;u\x1b\\", None),
        ("\x1b]", None),
        ("\x1bP", None),
        ("\x1b_", None),
        ("\x1b\\", None),
        ("\x07", None),
        ("\u{9b}", None),
        ("\u{9b}", Some(r"\u009b")),
        ("\u{9d}", None),
        ("\u{9d}", Some(r"\u009D")),
        ("\u{9c}", None),
        ("\u{9c}", Some(r"\u009C")),
        ("\u{90}", None),
        ("\u{85}", None),
        ("\u{85}", Some(r"\u0085")),
        ("\u{8e}", None),
        ("\u{8f}", Some(r"\u008f")),
        ("\x18", None),
        ("\x1a", None),
        ("\"", None),
        ("\\", None),
        ("/", Some(r"\/")),
        ("\u{a0}", None),
        ("\x00", None),
    ];

    /// A module's own pieces, then [`CONTROLS`].
    pub fn with_controls(own: &[Piece]) -> Vec<Piece> {
        own.iter().chain(CONTROLS).copied().collect()
    }

    /// The piece as it stands inside a JSON string token.
    pub fn written((text, json): Piece) -> Vec<u8> {
        match json {
            Some(j) => j.as_bytes().to_vec(),
            None => {
                let t = crate::event::json_str(text);
                t[1..t.len() - 1].to_vec()
            }
        }
    }
}
