//! The text a viewer saw, assembled into lines as the events stream by.
//!
//! A [`Screen`] is fed each event's data. Escape sequences (CSI, OSC ended by BEL or ST,
//! DCS/SOS/PM/APC strings, charset designations, single shifts, C1 controls) are read by the
//! shared tokenizer ([`crate::ansi`]), whose state carries over from one event to the next,
//! so a sequence split over two events is still removed. The printable text goes into the
//! current line the way a terminal shows it: `\r` returns to column 0 and later text
//! overwrites, backspace and the cursor-column sequences move along the line, `ESC[K` and
//! friends erase, wide characters take two columns. `\n` completes the line.
//!
//! The data is read as its JSON string token, in place: in the ground state, runs of text
//! (the tokenizer's own scan, `text_end` with `JSON`), `\r`, `\n` and a CSI written plainly as
//! `\u001b[`, parameter bytes and a final byte (`ansi::plain_csi_in_json`, shared
//! with cast-to-txt --raw and cast-merge-stderr) are taken where they stand, which gives what
//! the tokenizer would; everything else (other escapes, sequences split by an escape or an
//! event boundary, control strings, C1 controls) goes to the tokenizer decoded, one escape at
//! a time, and its tokens drive the line. A proptest compares this with the decoded text fed
//! through the tokenizer alone ([`Screen::feed_text`]).
//!
//! Against the loop of its own it replaced (main at 83bde32), cast-grep -c -F error took
//! 0.6% more instructions on 20 MB of bench/gen.py's typing mix (988.5 M to 994.4 M,
//! callgrind) and 0.6% more on its corpus mix (1090.7 M to 1097.4 M): the plain CSI is
//! found, then its parameters read, in two short passes where that loop read them as it
//! went. CPU time on the 200 MB files showed no difference beyond this machine's noise
//! (three batches of five alternating runs, medians old/new: 1.44/1.47, 1.41/1.42 and
//! 1.37/1.30 s on the typing mix, 1.28/1.51, 1.35/1.35 and 1.52/1.46 s on the corpus mix;
//! single runs of one binary spread by 20%). An earlier port that fed everything through a
//! JSON front end to the tokenizer (`Tokenizer::feed_json`, commits 365a23f to b808a5a of
//! branch i14) cost 7.6% more instructions on the corpus mix and 8.9% more on the typing mix,
//! 6-12% more CPU time on the 200 MB files: a token per text run, the closure, and re-reading
//! each CSI's parameters.
//!
//! Following the tokenizer changed two things the loop it replaced did otherwise: SS2 and SS3
//! as C1 controls (U+008E, U+008F) take the next character, as `ESC N` and `ESC O` do, where
//! they took none; and DEL inside an `ESC` sequence is ignored, where it ended the sequence
//! (so `ESC ( DEL B` designates a charset and `ESC DEL 7` saves the cursor). Raw C0 bytes
//! in the token, which JSON does not allow but a damaged file may hold, now end a control
//! string as their escaped forms do (BEL an OSC; ESC, CAN, SUB any), where that loop saw only
//! escapes there. A CSI's parameters are read from the tokenizer's kept bytes, at most
//! [`crate::ansi::MAX_SEQ`] (a CSI longer than that is cut, as everywhere).
//!
//! This is one line of a terminal, not a whole screen, which is all line-oriented output
//! (shells, build tools, logs, progress bars) needs: it comes out exactly as it was shown, at
//! the cost of decoding it. Long lines are not wrapped at the terminal's width (but see below
//! for the longest). Output that moves the cursor to another row (cursor addressing and
//! up/down, scrolling regions, reverse index, the alternate screen) is drawn in pieces that
//! only a whole screen puts together: from the first such sequence, the output goes to a
//! terminal emulator instead ([`Emu`]), seeded with the lines shown before, and the rows it
//! shows become the lines searched. When the program leaves the alternate screen,
//! line-oriented reading resumes. A screen size is needed for that ([`Screen::set_size`]);
//! without one, such sequences only end the line.
//!
//! Every byte of the line remembers which event last wrote it, as runs of `(offset, event)`
//! (one run per event per line in the common case), so a match can be dated by the event that
//! completed it. Completed lines stay in one buffer, joined by `\n`, until the caller has
//! searched them all at once and calls [`Screen::discard_complete`]. Appending to the end of a
//! line (nearly all text) is a copy; nothing is allocated per character.
//!
//! Memory is bounded whatever the input. A line is held whole until it ends, with a run per
//! event that wrote it, so one that never ends (hours of keys typed with no Enter: 26 bytes
//! a keystroke, 209 MiB for bench/gen.py's 8 million) or one that a cursor movement sends far
//! right (`ESC [ 4000000000 C`, 40 bytes of input that took 3.9 GB and 17 s) would grow
//! without limit. So a line is completed once it holds [`LINE_MAX`] bytes and more text comes,
//! as a terminal wraps at its last column, and the text goes on as a new line; the cursor goes
//! no further right than that; and the lines kept to seed the emulator hold at most
//! `RECENT_MAX` bytes in all. The cost, a split line where a match could span the split, is
//! met only by lines no terminal user reads whole.

use std::collections::VecDeque;

use unicode_width::UnicodeWidthChar;

use super::emu::{Emu, Row};
use crate::ansi::{Token, Tokenizer, plain_csi_in_json};
use crate::event::unescape_into;
use crate::json_str::{self, Escape};
use crate::time::Micros;

/// Which bytes of a line an event wrote: from `start` up to the next run's start (or the end
/// of the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: usize,
    /// The event's index in the recording (0-based, counting every event).
    pub seq: u64,
    pub time: Micros,
}

/// A completed line: `text[start..end]`, its runs `runs[runs_start..runs_end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub runs_start: usize,
    pub runs_end: usize,
    /// The event that completed the line (dates an empty line).
    pub seq: u64,
    pub time: Micros,
    /// 0-based number of the line in the stream, for context adjacency.
    pub no: u64,
}

/// How control characters act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A terminal's output: `\r` returns to column 0, backspace moves left.
    Output,
    /// Keys typed: Enter (`\r`) ends a line, Backspace and DEL delete the last character,
    /// cursor keys are ignored.
    Input,
}

const MAX_PARAMS: usize = 4;

/// A line holding this many bytes is completed when more text comes (see the module doc).
/// 64 KiB is a line 546 rows high on a 120-column terminal.
pub const LINE_MAX: usize = 64 * 1024;

/// The most bytes of discarded lines kept to seed the emulator: four bytes (the longest
/// UTF-8 character) for every cell of the largest screen emulated, so that only lines the
/// newer ones have scrolled off (at one column or more a character) are dropped.
const RECENT_MAX: usize = 4 * crate::vt::MAX_CELLS as usize;

/// One terminal line being drawn, and the completed lines before it.
#[derive(Debug)]
pub struct Screen {
    mode: Mode,
    /// The escape-sequence tokenizer, in the middle of a sequence split across events.
    tok: Tokenizer,
    /// The parameters of the CSI being carried out ([`Screen::load_params`]).
    params: [u32; MAX_PARAMS],
    nparams: usize,
    /// CSI with a private marker (`?`, `>`, ...) or intermediates: never a cursor movement.
    private: bool,
    question: bool,
    /// Completed lines (each followed by `\n`), then the current line from `line_start`.
    text: Vec<u8>,
    runs: Vec<Run>,
    lines: Vec<Line>,
    line_start: usize,
    run_start: usize,
    next_no: u64,
    /// Cursor: a byte offset into `text`, within the current line.
    cur: usize,
    /// The cursor is on the right half of the wide character starting at `cur`.
    mid: bool,
    /// Columns the cursor stands beyond the end of the line (spaces once text is written).
    pad: usize,
    /// A known column: `col_val` is the column of byte offset `col_pos` of the current line.
    col_pos: usize,
    col_val: usize,
    /// Column saved by `ESC 7`, and whether the cursor left the line since.
    saved_col: Option<usize>,
    /// Input mode: the last character was `\r` (so a following `\n` ends nothing).
    after_cr: bool,
    /// Text was written since the last [`Screen::take_wrote`].
    wrote: bool,
    last_seq: u64,
    last_time: Micros,
    /// The terminal's size, when output that addresses the cursor is to be emulated.
    size: Option<(u16, u16)>,
    /// The emulator, from the first sequence that moved the cursor to another row.
    emu: Option<Box<Emu>>,
    /// The last completed lines already discarded (at most a screen's rows), to seed it.
    recent: VecDeque<Vec<u8>>,
    /// The bytes in `recent`.
    recent_bytes: usize,
    departed: Vec<Row>,
}

impl Screen {
    pub fn new(mode: Mode) -> Screen {
        Screen {
            mode,
            tok: Tokenizer::new(),
            params: [0; MAX_PARAMS],
            nparams: 0,
            private: false,
            question: false,
            text: Vec::with_capacity(128 * 1024),
            runs: Vec::new(),
            lines: Vec::new(),
            line_start: 0,
            run_start: 0,
            next_no: 0,
            cur: 0,
            mid: false,
            pad: 0,
            col_pos: 0,
            col_val: 0,
            saved_col: None,
            after_cr: false,
            wrote: false,
            last_seq: 0,
            last_time: 0,
            size: None,
            emu: None,
            recent: VecDeque::new(),
            recent_bytes: 0,
            departed: Vec::new(),
        }
    }

    /// Sets the terminal's size (the header's), and with it, emulates the screen for output
    /// that moves the cursor to other rows.
    pub fn set_size(&mut self, cols: u16, rows: u16) {
        self.size = Some((cols.max(1), rows.max(1)));
    }

    /// The terminal was resized (an `r` event, `seq` at `time`).
    pub fn resize(&mut self, cols: u16, rows: u16, seq: u64, time: Micros) {
        if self.size.is_none() {
            return;
        }
        self.size = Some((cols.max(1), rows.max(1)));
        if let Some(emu) = &mut self.emu {
            let mut out = std::mem::take(&mut self.departed);
            emu.resize(cols, rows, seq, time, &mut out);
            self.emit_rows(&mut out);
            self.departed = out;
        }
    }

    /// The buffer holding the completed lines.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The completed lines not yet discarded.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    /// Bytes held by completed lines.
    pub fn complete_len(&self) -> usize {
        self.line_start
    }

    /// True when text was written since the last call.
    pub fn take_wrote(&mut self) -> bool {
        std::mem::take(&mut self.wrote)
    }

    /// The oldest event that wrote to the current (incomplete) line, or to a row still on the
    /// emulated screen.
    pub fn oldest_live_seq(&self) -> Option<u64> {
        let line = self.runs[self.run_start..].iter().map(|r| r.seq).min();
        match self.emu.as_ref().and_then(|e| e.oldest_seq()) {
            Some(e) => Some(line.map_or(e, |l| l.min(e))),
            None => line,
        }
    }

    /// Drops the completed lines (after they were searched), keeping the current line.
    pub fn discard_complete(&mut self) {
        if let Some((_, rows)) = self.size {
            // Kept to seed the emulator, should the output start moving the cursor.
            let rows = rows as usize;
            for l in &self.lines[self.lines.len().saturating_sub(rows)..] {
                let line = &self.text[l.start..l.end];
                let mut v = if self.recent.len() >= rows {
                    self.recent.pop_front().unwrap_or_default()
                } else {
                    Vec::new()
                };
                self.recent_bytes -= v.len();
                // A buffer reused for a much shorter line would keep its room.
                if v.capacity() > 4 * line.len() + 256 {
                    v = Vec::new();
                }
                v.clear();
                v.extend_from_slice(line);
                self.recent_bytes += v.len();
                self.recent.push_back(v);
                while self.recent_bytes > RECENT_MAX && self.recent.len() > 1 {
                    let old = self.recent.pop_front().unwrap_or_default();
                    self.recent_bytes -= old.len();
                }
            }
        }
        let n = self.line_start;
        if n == 0 {
            self.lines.clear();
            return;
        }
        self.text.drain(..n);
        self.runs.drain(..self.run_start);
        for r in &mut self.runs {
            r.start -= n;
        }
        self.lines.clear();
        self.line_start = 0;
        self.run_start = 0;
        self.cur -= n;
        self.col_pos -= n;
    }

    /// Feeds one event's data, written by event `seq` at `time`. `token` is the data as a
    /// JSON string token, quotes included, as [`EventRecord::data_json`] gives it (valid JSON
    /// and UTF-8): escapes are decoded here, in the same pass that removes escape sequences,
    /// so the text is never copied or validated on its own.
    ///
    /// [`EventRecord::data_json`]: crate::event::EventRecord::data_json
    pub fn feed_json(&mut self, token: &[u8], seq: u64, time: Micros) {
        if token.len() < 2 {
            self.last_seq = seq;
            self.last_time = time;
            return;
        }
        self.feed_json_inner(&token[1..token.len() - 1], seq, time);
    }

    /// Feeds part of one event's data: the inside of its JSON string token, or a piece of it
    /// that splits no escape and no character (see [`crate::event::piece_end`]).
    pub fn feed_json_inner(&mut self, d: &[u8], seq: u64, time: Micros) {
        self.last_seq = seq;
        self.last_time = time;
        let n = d.len();
        let mut i = 0;
        while i < n {
            if self.emu.is_some() {
                return self.emu_feed(&[], &d[i..], seq, time);
            }
            if self.tok.in_ground() {
                let start = i;
                i = scan_plain(d, i);
                if i > start {
                    self.put_text(&d[start..i], seq, time);
                }
                if i >= n {
                    break;
                }
                if d[i] != b'\\' {
                    // scan_plain stopped at a control: a C1 control (two bytes of UTF-8),
                    // DEL, or a C0 control the reader let through, for the tokenizer.
                    let e = (i + if d[i] == 0xC2 { 2 } else { 1 }).min(n);
                    if let Some(k) = self.feed_decoded(&d[i..e], seq, time) {
                        return self.emu_feed(&d[i + k..e], &d[e..], seq, time);
                    }
                    i = e;
                    continue;
                }
                // The commonest escapes in output first: CR, LF, a plain CSI.
                match d.get(i + 1) {
                    Some(b'n') if self.mode == Mode::Output => {
                        i += 2;
                        self.emit(seq, time);
                        continue;
                    }
                    Some(b'r') if self.mode == Mode::Output => {
                        i += 2;
                        self.carriage_return();
                        continue;
                    }
                    Some(b'u') if matches!(d.get(i + 2..i + 6), Some(b"001b" | b"001B")) => {
                        if let Some((end, fin)) = plain_csi_in_json(d, i + 6) {
                            self.load_params(&d[i + 7..end]);
                            self.csi(fin, seq, time);
                            i = end + 1;
                            continue;
                        }
                    }
                    _ => {}
                }
            } else {
                // Inside a sequence: the bytes up to the next escape read the same decoded.
                let e = memchr::memchr(b'\\', &d[i..]).map_or(n, |k| i + k);
                if e > i {
                    if let Some(k) = self.feed_decoded(&d[i..e], seq, time) {
                        return self.emu_feed(&d[i + k..e], &d[e..], seq, time);
                    }
                    i = e;
                    continue;
                }
            }
            // Any other escape, decoded.
            let (c, l) = unescape(d, i);
            i += l;
            let ground = self.tok.in_ground();
            match c {
                0x20..=0x7e | 0xa0.. if ground => {
                    let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
                    let mut b = [0u8; 4];
                    self.put_text(ch.encode_utf8(&mut b).as_bytes(), seq, time);
                }
                // A C0 control in text is the tokenizer's `Control` as it stands.
                0x00..=0x1a | 0x1c..=0x1f | 0x7f if ground => self.control(c as u8, seq, time),
                _ => {
                    let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
                    let mut b = [0u8; 4];
                    let b = ch.encode_utf8(&mut b).as_bytes();
                    if let Some(k) = self.feed_decoded(b, seq, time) {
                        let rest = b[k..].to_vec();
                        return self.emu_feed(&rest, &d[i..], seq, time);
                    }
                }
            }
        }
    }

    /// Feeds decoded output (one event's, `seq` at `time`) through the tokenizer alone:
    /// what [`Screen::feed_json_inner`] makes of its JSON token, read in place.
    pub fn feed_text(&mut self, text: &str, seq: u64, time: Micros) {
        self.last_seq = seq;
        self.last_time = time;
        if self.emu.is_some() {
            return self.emu_feed(text.as_bytes(), &[], seq, time);
        }
        if let Some(k) = self.feed_decoded(text.as_bytes(), seq, time) {
            self.emu_feed(&text.as_bytes()[k..], &[], seq, time);
        }
    }

    /// Carries out the tokens of decoded output `b`. When one of them starts the emulator,
    /// returns where in `b` it ended: the rest is the emulator's.
    fn feed_decoded(&mut self, b: &[u8], seq: u64, time: Micros) -> Option<usize> {
        let mut tok = std::mem::take(&mut self.tok);
        let mut i = 0;
        let mut took = None;
        while let Some(t) = tok.next(b, &mut i) {
            match t {
                Token::Text(run) => self.put_text(run, seq, time),
                Token::Control(0x85) => self.newline(seq, time),
                Token::Control(c @ ..=0x7f) => self.control(c, seq, time),
                Token::Esc { inter: [], fin, .. } => self.esc_final(fin, seq, time),
                Token::Csi { body, fin, .. } => {
                    self.load_params(body);
                    self.csi(fin, seq, time);
                }
                _ => {}
            }
            if self.emu.is_some() {
                took = Some(i);
                break;
            }
        }
        self.tok = tok;
        took
    }

    /// Reads a CSI's parameter and intermediate bytes (`body`) into `params`, `nparams`,
    /// `private` and `question`.
    #[inline(always)]
    fn load_params(&mut self, body: &[u8]) {
        self.params = [0; MAX_PARAMS];
        self.nparams = 0;
        self.private = false;
        self.question = false;
        for &b in body {
            match b {
                b'0'..=b'9' => {
                    let k = self.nparams.min(MAX_PARAMS - 1);
                    self.params[k] = self.params[k]
                        .saturating_mul(10)
                        .saturating_add((b - b'0') as u32);
                }
                b';' | b':' => self.nparams += 1,
                b'?' => {
                    self.private = true;
                    self.question = true;
                }
                _ => self.private = true,
            }
        }
    }

    /// Completes the current line if it holds any text (at the end of the input).
    pub fn finish(&mut self) {
        if let Some(emu) = &mut self.emu {
            let mut out = std::mem::take(&mut self.departed);
            emu.finish(&mut out);
            self.emit_rows(&mut out);
            self.departed = out;
            return;
        }
        if self.text.len() > self.line_start {
            self.emit(self.last_seq, self.last_time);
        }
    }

    fn control(&mut self, b: u8, seq: u64, time: Micros) {
        let input = self.mode == Mode::Input;
        let after_cr = std::mem::take(&mut self.after_cr);
        match b {
            // Enter typed as CR LF is one line end.
            b'\n' if input && after_cr => {}
            b'\n' | 0x0b | 0x0c => self.newline(seq, time),
            b'\r' if input => {
                self.after_cr = true;
                self.newline(seq, time);
            }
            b'\r' => self.carriage_return(),
            0x08 | 0x7f if input => self.delete_back(),
            0x08 => self.back(1),
            b'\t' if input => self.put_text(b"\t", seq, time),
            b'\t' => {
                let col = self.cursor_col();
                self.forward(8 - col % 8);
            }
            // Ctrl-C, Ctrl-D: the typed line is abandoned (but it was typed).
            0x03 | 0x04 if input => self.break_line(seq, time),
            // Ctrl-U: the line is erased.
            0x15 if input => self.truncate_to(self.line_start),
            _ => {}
        }
    }

    fn esc_final(&mut self, b: u8, seq: u64, time: Micros) {
        match b {
            b'7' => self.saved_col = Some(self.cursor_col()),
            b'8' => self.restore_col(seq, time),
            // Index and reverse index change rows; next line is CR LF.
            b'M' if self.size.is_some() && self.mode == Mode::Output => {
                self.enter_emulator("\x1bM", seq, time)
            }
            b'D' | b'M' => self.break_line(seq, time),
            b'E' => self.newline(seq, time),
            b'c' => self.break_line(seq, time),
            _ => {}
        }
    }

    fn param(&self, k: usize, default: u32) -> usize {
        let v = if k <= self.nparams.min(MAX_PARAMS - 1) {
            self.params[k]
        } else {
            0
        };
        (if v == 0 { default } else { v }) as usize
    }

    fn csi(&mut self, b: u8, seq: u64, time: Micros) {
        if self.private {
            // Switching to or from the alternate screen leaves this line.
            if self.question && matches!(b, b'h' | b'l') {
                let p = self.params[0];
                if p == 1049 || p == 1047 || p == 47 {
                    if b == b'h' && self.emulates() {
                        let trigger = self.sequence_text(b);
                        return self.enter_alternate(&trigger, seq, time);
                    }
                    self.break_line(seq, time);
                }
            }
            return;
        }
        if self.emulates()
            && matches!(
                b,
                b'H' | b'f'
                    | b'A'
                    | b'B'
                    | b'E'
                    | b'F'
                    | b'd'
                    | b'e'
                    | b'S'
                    | b'T'
                    | b'L'
                    | b'M'
                    | b'r'
            )
        {
            let trigger = self.sequence_text(b);
            return self.enter_emulator(&trigger, seq, time);
        }
        let raw0 = self.params[0];
        match b {
            b'C' | b'a' => {
                let n = self.param(0, 1);
                self.forward(n);
            }
            b'D' => {
                let n = self.param(0, 1);
                self.back(n);
            }
            b'G' | b'`' => {
                let n = self.param(0, 1);
                self.carriage_return();
                self.forward(n - 1);
            }
            b'K' => self.erase_line(raw0),
            b'J' => match raw0 {
                0 => self.erase_line(0),
                _ => self.break_line(seq, time),
            },
            b'X' => {
                let n = self.param(0, 1);
                self.erase_chars(n, seq, time);
            }
            b'P' => {
                let n = self.param(0, 1);
                self.delete_chars(n);
            }
            b'@' => {
                let n = self.param(0, 1);
                self.insert_blanks(n, seq, time);
            }
            // Other rows: cursor position, up, down, next/previous line, line absolute, scroll.
            b'H' | b'f' | b'A' | b'B' | b'E' | b'F' | b'd' | b'e' | b'S' | b'T' | b'L' | b'M' => {
                self.break_line(seq, time)
            }
            b's' => self.saved_col = Some(self.cursor_col()),
            b'u' => self.restore_col(seq, time),
            _ => {}
        }
    }

    // ---- the emulated screen ----

    /// Whether output that moves the cursor to other rows is emulated.
    #[inline]
    fn emulates(&self) -> bool {
        self.size.is_some() && self.mode == Mode::Output
    }

    /// The CSI sequence just read, with final byte `fin`, written out again.
    fn sequence_text(&self, fin: u8) -> String {
        let mut t = String::from("\x1b[");
        if self.question {
            t.push('?');
        }
        for k in 0..=self.nparams.min(MAX_PARAMS - 1) {
            if k > 0 {
                t.push(';');
            }
            if self.params[k] > 0 {
                t.push_str(&self.params[k].to_string());
            }
        }
        t.push(fin as char);
        t
    }

    /// Starts emulating the screen: the current line ends as it would have (it is searched
    /// if it shows anything), and the emulator starts out showing the lines before it and
    /// the cursor where it stood, then reads `trigger`, the sequence that started it.
    fn enter_emulator(&mut self, trigger: &str, seq: u64, time: Micros) {
        self.start_emulator(trigger, seq, time, false)
    }

    /// Starts emulating the screen for a program that switched to the alternate screen. That
    /// screen starts out blank, and the primary one comes back when the program leaves it
    /// (and line-oriented reading resumes), so only the cursor's line is seeded: it is the
    /// line that reading goes on with.
    fn enter_alternate(&mut self, trigger: &str, seq: u64, time: Micros) {
        self.start_emulator(trigger, seq, time, true)
    }

    fn start_emulator(&mut self, trigger: &str, seq: u64, time: Micros, alternate: bool) {
        let Some((cols, rows)) = self.size else {
            return self.break_line(seq, time);
        };
        let rows = if alternate { 1 } else { rows };
        let col = self.cursor_col();
        let blank = self.text[self.line_start..].iter().all(|&b| b == b' ');
        self.break_line(seq, time);
        let rows = rows as usize;
        // The lines shown, oldest first: those discarded, then those waiting to be searched.
        let waiting = self.lines.len().min(rows);
        let mut shown: Vec<&[u8]> = self
            .recent
            .iter()
            .map(Vec::as_slice)
            .skip(self.recent.len().saturating_sub(rows - waiting))
            .collect();
        for l in &self.lines[self.lines.len() - waiting..] {
            shown.push(&self.text[l.start..l.end]);
        }
        let keep = if blank { rows - 1 } else { rows };
        let shown = &shown[shown.len().saturating_sub(keep)..];
        let mut seed = String::new();
        for (k, l) in shown.iter().enumerate() {
            if k > 0 {
                seed.push_str("\r\n");
            }
            seed.push_str(&String::from_utf8_lossy(l));
        }
        if blank && !shown.is_empty() {
            seed.push_str("\r\n");
        }
        seed.push('\r');
        if col > 0 {
            seed.push_str(&format!("\x1b[{}G", col + 1));
        }
        let rows = self.size.map_or(1, |s| s.1);
        let mut emu = Box::new(Emu::new(cols, rows, &seed, seq, time));
        emu.for_alternate = alternate;
        emu.scratch.clear();
        emu.scratch.push_str(trigger);
        self.emu = Some(emu);
        self.emu_settle(seq, time);
    }

    /// One event's output for the emulator: `text`, decoded already, then `d`, the rest of
    /// its JSON string's inside.
    fn emu_feed(&mut self, text: &[u8], d: &[u8], seq: u64, time: Micros) {
        let Some(emu) = &mut self.emu else { return };
        emu.scratch.clear();
        emu.scratch.push_str(&String::from_utf8_lossy(text));
        unescape_into(d, &mut emu.scratch);
        self.emu_settle(seq, time);
    }

    /// Runs the emulator over its scratch text; the texts that left the screen are searched.
    fn emu_settle(&mut self, seq: u64, time: Micros) {
        let Some(emu) = &mut self.emu else { return };
        let mut out = std::mem::take(&mut self.departed);
        if emu.feed_scratch(seq, time, &mut out) {
            self.wrote = true;
        }
        let back = emu.back_on_primary();
        self.emit_rows(&mut out);
        self.departed = out;
        if back {
            self.leave_emulator(seq, time);
        }
    }

    /// Back to line-oriented reading (the program left the alternate screen): the rows shown
    /// again were searched before; the cursor's row becomes the current line.
    fn leave_emulator(&mut self, seq: u64, time: Micros) {
        let Some(emu) = self.emu.take() else { return };
        let (text, col) = emu.cursor_line();
        self.tok.reset();
        self.truncate_to(self.line_start);
        self.carriage_return();
        if !text.is_empty() {
            self.put_text(text.as_bytes(), seq, time);
            self.carriage_return();
        }
        self.forward(col);
    }

    /// Completes each row in `rows` as a line, with its runs.
    fn emit_rows(&mut self, rows: &mut Vec<Row>) {
        for row in rows.drain(..) {
            self.truncate_to(self.line_start);
            let at = self.text.len();
            self.text.extend_from_slice(row.text.as_bytes());
            let (mut seq, mut time) = (self.last_seq, self.last_time);
            if let Some(last) = row.runs.iter().max_by_key(|r| r.seq) {
                (seq, time) = (last.seq, last.time);
            }
            for r in &row.runs {
                self.runs.push(Run {
                    start: at + r.start,
                    seq: r.seq,
                    time: r.time,
                });
            }
            self.emit(seq, time);
        }
    }

    // ---- the line ----

    #[inline]
    fn mark(&mut self, at: usize, seq: u64, time: Micros) {
        if let Some(last) = self.runs.last()
            && self.runs.len() > self.run_start
            && last.seq == seq
        {
            return;
        }
        self.runs.push(Run {
            start: at,
            seq,
            time,
        });
    }

    #[inline]
    fn put_text(&mut self, bytes: &[u8], seq: u64, time: Micros) {
        self.wrote = true;
        self.after_cr = false;
        if self.cur == self.text.len() && !self.mid {
            // A full line goes on on the next, as a terminal's does at the last column.
            if self.text.len() - self.line_start >= LINE_MAX {
                self.emit(seq, time);
            }
            let at = self.text.len();
            self.mark(at, seq, time);
            if self.pad > 0 {
                let pad = std::mem::take(&mut self.pad);
                self.text.resize(at + pad, b' ');
            }
            self.text.extend_from_slice(bytes);
            self.cur = self.text.len();
        } else {
            self.overwrite(bytes, seq, time);
        }
    }

    /// How many columns the cursor may stand beyond the line's end: it stops on the last of
    /// [`LINE_MAX`] bytes, as a terminal's cursor stops at the last column.
    fn pad_room(&self) -> usize {
        (LINE_MAX - 1).saturating_sub(self.text.len() - self.line_start)
    }

    /// Writes `bytes` over the line from the cursor, as a terminal does: the columns they take
    /// replace what was there; half of a wide character left over becomes a space.
    fn overwrite(&mut self, bytes: &[u8], seq: u64, time: Micros) {
        if self.mid {
            self.split_wide();
        }
        if self.cur == self.text.len() {
            return self.put_text(bytes, seq, time);
        }
        let from = self.cur;
        let len = self.text.len();
        let (end, spaces) = if bytes.is_ascii()
            && self.text[from..len.min(from + bytes.len())].is_ascii()
            // What follows must not be zero columns wide (a control kept as text, as a tab
            // typed is): `cover` gives such a character to the one before it.
            && self
                .text
                .get(from + bytes.len())
                .is_none_or(|&c| (0x20..0x7f).contains(&c))
        {
            (len.min(from + bytes.len()), 0)
        } else {
            self.cover(from, width(bytes))
        };
        self.replace(from, end, bytes, spaces, seq, time);
        self.cur = from + bytes.len();
    }

    /// The end of the characters from `from` that `w` columns cover, and how many columns of
    /// the last one stick out (the right half of a wide character).
    fn cover(&self, from: usize, w: usize) -> (usize, usize) {
        let len = self.text.len();
        let mut e = from;
        let mut cols = 0;
        while cols < w && e < len {
            let (c, l) = char_at(&self.text[e..]);
            cols += char_width(c);
            e += l;
        }
        if w > 0 {
            // Combining marks belong to the character they follow.
            while e < len {
                let (c, l) = char_at(&self.text[e..]);
                if char_width(c) != 0 {
                    break;
                }
                e += l;
            }
        }
        (e, cols.saturating_sub(w))
    }

    /// Replaces `text[a..b]` of the current line with `new` and `spaces` spaces, all written by
    /// `seq`; what follows keeps its runs.
    fn replace(&mut self, a: usize, b: usize, new: &[u8], spaces: usize, seq: u64, time: Micros) {
        self.wrote = true;
        let len = self.text.len();
        let n = new.len() + spaces;
        let lr = self.run_start;
        let i = lr + self.runs[lr..].partition_point(|r| r.start < a);
        let j = lr + self.runs[lr..].partition_point(|r| r.start <= b);
        let tail = (b < len && j > lr).then(|| self.runs[j - 1]);
        let mut ins = [Run {
            start: a,
            seq,
            time,
        }; 2];
        let mut k = 0;
        if n > 0 {
            k = 1;
        }
        if let Some(t) = tail {
            ins[k] = Run { start: a + n, ..t };
            k += 1;
        }
        self.runs.splice(i..j, ins[..k].iter().copied());
        let removed = b - a;
        for r in &mut self.runs[i + k..] {
            r.start = r.start + n - removed;
        }
        if n == removed {
            self.text[a..a + new.len()].copy_from_slice(new);
            self.text[a + new.len()..a + n].fill(b' ');
        } else {
            self.text.splice(
                a..b,
                new.iter().copied().chain(std::iter::repeat_n(b' ', spaces)),
            );
        }
        // Neighbours written by the same event become one run.
        let lo = i.max(lr + 1) - 1;
        let hi = (i + k + 1).min(self.runs.len());
        let mut x = hi;
        while x > lo + 1 {
            x -= 1;
            if self.runs[x].seq == self.runs[x - 1].seq {
                self.runs.remove(x);
            }
        }
        if a < self.col_pos {
            self.col_pos = self.line_start;
            self.col_val = 0;
        }
    }

    /// The cursor is on the right half of a wide character: the character becomes two spaces
    /// and the cursor stands on the second.
    fn split_wide(&mut self) {
        self.mid = false;
        let (_, l) = char_at(&self.text[self.cur..]);
        let r = self.run_at(self.cur);
        self.replace(self.cur, self.cur + l, b"  ", 0, r.seq, r.time);
        self.cur += 1;
    }

    fn run_at(&self, pos: usize) -> Run {
        let lr = self.run_start;
        let k = self.runs[lr..].partition_point(|r| r.start <= pos);
        if k > 0 {
            self.runs[lr + k - 1]
        } else {
            Run {
                start: pos,
                seq: self.last_seq,
                time: self.last_time,
            }
        }
    }

    fn truncate_to(&mut self, p: usize) {
        self.text.truncate(p);
        while self.runs.len() > self.run_start && self.runs.last().is_some_and(|r| r.start >= p) {
            self.runs.pop();
        }
        if self.cur > p {
            self.cur = p;
            self.mid = false;
        }
        if self.col_pos > p {
            self.col_pos = self.line_start;
            self.col_val = 0;
        }
    }

    fn carriage_return(&mut self) {
        self.cur = self.line_start;
        self.mid = false;
        self.pad = 0;
    }

    /// The cursor's column.
    fn cursor_col(&mut self) -> usize {
        self.col_of(self.cur) + self.mid as usize + self.pad
    }

    fn col_of(&mut self, p: usize) -> usize {
        if p < self.col_pos || self.col_pos < self.line_start {
            self.col_pos = self.line_start;
            self.col_val = 0;
        }
        let c = self.col_val + width(&self.text[self.col_pos..p]);
        self.col_pos = p;
        self.col_val = c;
        c
    }

    fn forward(&mut self, mut n: usize) {
        while n > 0 {
            if self.mid {
                self.mid = false;
                let (_, l) = char_at(&self.text[self.cur..]);
                self.cur += l;
                self.skip_zero_width();
            } else if self.cur < self.text.len() {
                let (c, l) = char_at(&self.text[self.cur..]);
                if char_width(c) == 2 {
                    self.mid = true;
                } else {
                    self.cur += l;
                    self.skip_zero_width();
                }
            } else {
                self.pad = self.pad.saturating_add(n).min(self.pad_room());
                return;
            }
            n -= 1;
        }
    }

    fn skip_zero_width(&mut self) {
        while self.cur < self.text.len() {
            let (c, l) = char_at(&self.text[self.cur..]);
            if char_width(c) != 0 {
                break;
            }
            self.cur += l;
        }
    }

    fn back(&mut self, mut n: usize) {
        while n > 0 {
            if self.mid {
                self.mid = false;
            } else if self.pad > 0 {
                let k = self.pad.min(n);
                self.pad -= k;
                n -= k;
                continue;
            } else if self.cur > self.line_start {
                if self.text[self.cur - 1] < 0x80 {
                    self.cur -= 1;
                } else {
                    loop {
                        let p = prev_char_start(&self.text, self.cur, self.line_start);
                        self.cur = p;
                        let (c, _) = char_at(&self.text[p..]);
                        match char_width(c) {
                            0 if p > self.line_start => continue,
                            2 => self.mid = true,
                            _ => {}
                        }
                        break;
                    }
                }
            } else {
                return;
            }
            n -= 1;
        }
    }

    /// Input mode: Backspace removes the last character typed.
    fn delete_back(&mut self) {
        if self.text.len() > self.line_start {
            let p = prev_char_start(&self.text, self.text.len(), self.line_start);
            self.truncate_to(p);
            // The cursor goes to the end, off any wide character it stood on the right of.
            self.cur = self.text.len();
            self.mid = false;
            self.pad = 0;
        }
    }

    fn erase_line(&mut self, how: u32) {
        match how {
            0 => {
                if self.mid {
                    self.mid = false;
                    let r = self.run_at(self.cur);
                    self.truncate_to(self.cur);
                    self.mark(self.cur, r.seq, r.time);
                    self.text.push(b' ');
                    self.cur += 1;
                } else if self.cur < self.text.len() {
                    self.truncate_to(self.cur);
                }
            }
            1 => {
                let col = self.cursor_col();
                let end = if self.cur < self.text.len() {
                    self.cur + char_at(&self.text[self.cur..]).1
                } else {
                    self.cur
                };
                let ls = self.line_start;
                let w = width(&self.text[ls..end]);
                if end > ls {
                    let r = self.run_at(self.cur);
                    self.replace(ls, end, b"", w, r.seq, r.time);
                }
                self.mid = false;
                self.pad = 0;
                self.cur = ls;
                let after = self.text.len() - ls;
                if col <= after {
                    self.cur = ls + col;
                } else {
                    self.cur = self.text.len();
                    self.pad = col - after;
                }
            }
            _ => {
                let col = self.cursor_col();
                self.truncate_to(self.line_start);
                self.cur = self.line_start;
                self.mid = false;
                self.pad = col;
            }
        }
    }

    fn erase_chars(&mut self, n: usize, seq: u64, time: Micros) {
        if self.mid {
            self.split_wide();
        }
        let at = self.cur;
        if at >= self.text.len() {
            return;
        }
        let rest = width(&self.text[at..]);
        let k = n.min(rest);
        if k > 0 {
            let (end, extra) = self.cover(at, k);
            self.replace(at, end, b"", k + extra, seq, time);
        }
        self.cur = at;
    }

    fn delete_chars(&mut self, n: usize) {
        if self.mid {
            self.split_wide();
        }
        let at = self.cur;
        if at >= self.text.len() {
            return;
        }
        let (end, extra) = self.cover(at, n);
        let r = self.run_at(at);
        self.replace(at, end, b"", extra, r.seq, r.time);
        self.cur = at;
    }

    fn insert_blanks(&mut self, n: usize, seq: u64, time: Micros) {
        if self.mid {
            self.split_wide();
        }
        let at = self.cur;
        if at >= self.text.len() {
            return;
        }
        self.replace(at, at, b"", n.min(4096), seq, time);
        self.cur = at;
        // Blanks pushed past the end of a full line are lost, as on a terminal.
        if self.text.len() - self.line_start > LINE_MAX {
            self.emit(seq, time);
        }
    }

    fn restore_col(&mut self, seq: u64, time: Micros) {
        match self.saved_col {
            Some(col) => {
                self.carriage_return();
                self.forward(col);
            }
            None => self.break_line(seq, time),
        }
    }

    /// The cursor left this row: the line is complete if it shows anything.
    fn break_line(&mut self, seq: u64, time: Micros) {
        if self.text[self.line_start..].iter().any(|&b| b != b' ') {
            self.emit(seq, time);
        } else {
            self.truncate_to(self.line_start);
            self.carriage_return();
        }
        self.saved_col = None;
    }

    fn newline(&mut self, seq: u64, time: Micros) {
        self.emit(seq, time);
    }

    /// Completes the current line, even an empty one (each marker label is a line).
    pub fn end_line(&mut self, seq: u64, time: Micros) {
        self.tok.reset();
        self.emit(seq, time);
    }

    fn emit(&mut self, seq: u64, time: Micros) {
        let end = self.text.len();
        self.lines.push(Line {
            start: self.line_start,
            end,
            runs_start: self.run_start,
            runs_end: self.runs.len(),
            seq,
            time,
            no: self.next_no,
        });
        self.next_no += 1;
        self.text.push(b'\n');
        self.line_start = self.text.len();
        self.run_start = self.runs.len();
        self.cur = self.line_start;
        self.mid = false;
        self.pad = 0;
        self.col_pos = self.line_start;
        self.col_val = 0;
    }
}

/// The end of the run of plain text from `i` in a JSON string's inside: stops at a backslash
/// (an escape), an ASCII control, DEL, or a C1 control (U+0080..U+009F, `C2 80`..`C2 9F` in
/// UTF-8). The scan is the tokenizer's ([`crate::ansi`]), with backslashes added.
#[inline]
fn scan_plain(d: &[u8], i: usize) -> usize {
    crate::ansi::text_end::<true>(d, i)
}

/// Decodes the JSON escape at `d[i]` (a backslash): the character and the escape's length
/// ([`json_str::escape_at`]). A surrogate pair is one character; a lone surrogate is U+FFFD.
#[inline]
fn unescape(d: &[u8], i: usize) -> (u32, usize) {
    match json_str::escape_at(d, i) {
        Escape::Char(c, len) => (c, len),
        Escape::Verbatim(b) => (b as u32, 2),
        // Not in a valid token; only the backslash (and a `u`) is stepped over.
        Escape::Cut => (0xFFFD, (d.len() - i).min(2)),
    }
}

/// Decodes the character at the start of `b` (valid UTF-8 by construction), with its length.
#[inline]
fn char_at(b: &[u8]) -> (char, usize) {
    let Some(&first) = b.first() else {
        // Past the end: nothing to step over (a broken invariant must not panic).
        debug_assert!(false, "char_at past the end of the line");
        return (' ', 0);
    };
    let l = match first {
        0x00..=0x7f => return (b[0] as char, 1),
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    let l = l.min(b.len());
    match std::str::from_utf8(&b[..l]) {
        Ok(s) => (s.chars().next().unwrap_or('\u{FFFD}'), l),
        Err(_) => ('\u{FFFD}', 1),
    }
}

fn prev_char_start(b: &[u8], mut p: usize, floor: usize) -> usize {
    p -= 1;
    while p > floor && (b[p] & 0xC0) == 0x80 {
        p -= 1;
    }
    p
}

#[inline]
fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Columns taken by `b` (valid UTF-8): the sum of its characters' widths.
fn width(b: &[u8]) -> usize {
    if b.is_ascii() {
        return b.len();
    }
    match std::str::from_utf8(b) {
        Ok(s) => s.chars().map(char_width).sum(),
        Err(_) => b.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `(seq, text)` events; returns the completed lines with the seq of each run.
    fn lines_of(mode: Mode, events: &[&str]) -> Vec<(String, Vec<(usize, u64)>)> {
        let mut s = Screen::new(mode);
        for (k, e) in events.iter().enumerate() {
            s.feed_json(&crate::event::json_str(e), k as u64, k as i64 * 1000);
        }
        s.finish();
        s.lines()
            .iter()
            .map(|l| {
                (
                    String::from_utf8(s.text()[l.start..l.end].to_vec()).unwrap(),
                    s.runs()[l.runs_start..l.runs_end]
                        .iter()
                        .map(|r| (r.start - l.start, r.seq))
                        .collect(),
                )
            })
            .collect()
    }

    fn text(events: &[&str]) -> Vec<String> {
        lines_of(Mode::Output, events)
            .into_iter()
            .map(|l| l.0)
            .collect()
    }

    #[test]
    fn strips_sequences_across_events() {
        assert_eq!(
            text(&[
                "\x1b[1;3",
                "1mred\x1b",
                "[0m plain\x1b]0;ti",
                "tle\x07 after\r\n"
            ]),
            ["red plain after"]
        );
        assert_eq!(
            text(&["a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b\n"]),
            ["alinkb"]
        );
        assert_eq!(
            text(&["\x1b(B\x1b)0x\x1b=\x1b>y\x1bPq#0;sixel\x1b\\z\x1b_apc\x1b\\!\n"]),
            ["xyz!"]
        );
        assert_eq!(text(&["\u{9b}31mc1\u{9d}title\u{9c}ok\n"]), ["c1ok"]);
        assert_eq!(text(&["\x1bOAss3\x07bell\x00nul\x7f\n"]), ["ss3bellnul"]);
    }

    #[test]
    fn non_ascii_never_split() {
        assert_eq!(text(&["\x1b[é中\x1b]x\u{9c}y\n"]), ["é中y"]);
        // U+201C ends in byte 9C; it is not ST.
        assert_eq!(text(&["\x1b]0;\u{201c}t\x07“q”\n"]), ["“q”"]);
    }

    #[test]
    fn lines_join_events_and_record_who_wrote_them() {
        assert_eq!(
            lines_of(Mode::Output, &["er", "\x1b[31m", "ror\r", "\n"]),
            [("error".to_string(), vec![(0, 0), (2, 2)])]
        );
    }

    #[test]
    fn carriage_return_overwrites() {
        assert_eq!(
            text(&["[#   ] 10%\r", "[##  ] 50%\r", "[####] 100%\r\n"]),
            ["[####] 100%"]
        );
        // Shorter text leaves the rest of the old line showing.
        assert_eq!(text(&["abcdef\rXY\n"]), ["XYcdef"]);
        assert_eq!(text(&["abcdef\r\x1b[KXY\n"]), ["XY"]);
        assert_eq!(
            lines_of(Mode::Output, &["abcdef", "\rXY", "\n"]),
            [("XYcdef".to_string(), vec![(0, 1), (2, 0)])]
        );
    }

    #[test]
    fn cursor_moves_within_the_line() {
        assert_eq!(text(&["prompt> \r\x1b[8Cls\n"]), ["prompt> ls"]);
        assert_eq!(text(&["abc\x08\x08X\n"]), ["aXc"]);
        assert_eq!(text(&["abc\x08 \x08\n"]), ["ab "]);
        assert_eq!(text(&["abcdef\x1b[3D\x1b[K!\n"]), ["abc!"]);
        assert_eq!(text(&["abcdef\x1b[3GX\n"]), ["abXdef"]);
        assert_eq!(text(&["ab\x1b[3Cc\n"]), ["ab   c"]);
        assert_eq!(text(&["a\tb\tc\n"]), ["a       b       c"]);
        assert_eq!(text(&["abcdef\r\x1b[2P\n"]), ["cdef"]);
        assert_eq!(text(&["abcdef\r\x1b[2@\n"]), ["  abcdef"]);
        assert_eq!(text(&["abcdef\r\x1b[2X\n"]), ["  cdef"]);
        assert_eq!(text(&["abcdef\x1b[3D\x1b[1K\n"]), ["    ef"]);
        assert_eq!(text(&["abcdef\x1b[2KX\n"]), ["      X"]);
        assert_eq!(text(&["ab\x1b7cdef\x1b8X\n"]), ["abXdef"]);
    }

    #[test]
    fn wide_characters_take_two_columns() {
        // Two backspaces step back over one wide character.
        assert_eq!(text(&["a中\x08\x08b\n"]), ["ab "]);
        assert_eq!(text(&["a中\x08\x08bc\n"]), ["abc"]);
        // One backspace lands on its right half: writing there leaves a space on the left.
        assert_eq!(text(&["中文\x08\x08\x08x\n"]), [" x文"]);
        assert_eq!(text(&["abc\rä中\n"]), ["ä中"]);
        assert_eq!(text(&["中文\r\x1b[2C!\n"]), ["中! "]);
        assert_eq!(text(&["中文\rxyz\n"]), ["xyz "]);
        assert_eq!(text(&["e\u{301}x\rE\n"]), ["Ex"]);
    }

    #[test]
    fn lines_are_completed_past_line_max_and_nothing_is_lost() {
        // Keys typed with no Enter: a line every LINE_MAX + 1 bytes, each dated by its keys.
        let mut s = Screen::new(Mode::Output);
        let n = 3 * LINE_MAX + 100;
        let mut typed = Vec::new();
        for k in 0..n {
            let c = b'a' + (k % 26) as u8;
            typed.push(c);
            s.feed_json(&[b'"', c, b'"'], k as u64, k as i64);
        }
        s.finish();
        let lines = s.lines();
        let lens: Vec<usize> = lines.iter().map(|l| l.end - l.start).collect();
        assert_eq!(lens, [LINE_MAX, LINE_MAX, LINE_MAX, 100]);
        let all: Vec<u8> = lines
            .iter()
            .flat_map(|l| s.text()[l.start..l.end].iter().copied())
            .collect();
        assert_eq!(all, typed);
        for (k, l) in lines.iter().enumerate() {
            let first = s.runs()[l.runs_start];
            assert_eq!((first.start, first.seq), (l.start, (k * LINE_MAX) as u64));
            assert_eq!(l.runs_end - l.runs_start, lens[k]);
        }

        // The cursor sent far right stops on the line's last byte; text there fills the line,
        // and the next goes on on a new one.
        let text = text(&["ab\x1b[4000000000Cx\x1b[4000000000Cy\r\n\x1b[4000000000Cz\r\n"]);
        let lens: Vec<usize> = text.iter().map(String::len).collect();
        assert_eq!(lens, [LINE_MAX, 1, LINE_MAX]);
        assert!(text[0].starts_with("ab ") && text[0].ends_with(" x"));
        assert!(text[1] == "y" && text[2].ends_with(" z"));
        // Inserting blanks over and over grows the line no further either.
        let mut events = vec!["ab".to_string()];
        events.extend((0..40).map(|_| "\r\x1b[4096@".to_string()));
        events.push("\n".into());
        let events: Vec<&str> = events.iter().map(String::as_str).collect();
        for l in self::text(&events) {
            assert!(l.len() <= LINE_MAX + 4096, "{}", l.len());
        }
    }

    #[test]
    fn lines_kept_to_seed_the_emulator_are_bounded_in_bytes() {
        let mut s = Screen::new(Mode::Output);
        s.set_size(4096, 256);
        for k in 0..300u64 {
            s.feed_json(br#""\u001b[70000Cx\r\n""#, k, k as i64);
            s.discard_complete();
            let kept: usize = s.recent.iter().map(Vec::len).sum();
            assert_eq!(kept, s.recent_bytes);
            assert!(kept <= RECENT_MAX, "{k}: {kept}");
            assert!(s.recent.len() <= 256 && !s.recent.is_empty());
        }
        // What is kept is the newest lines, whole.
        assert!(
            s.recent
                .iter()
                .all(|l| l.len() == LINE_MAX && l.ends_with(b" x"))
        );
        assert_eq!(s.recent.len(), RECENT_MAX / LINE_MAX);
    }

    #[test]
    fn other_rows_start_new_lines() {
        assert_eq!(
            text(&["\x1b[2J\x1b[Htop line\x1b[2;1Hsecond\x1b[5;10H  \x1b[Hthird"]),
            ["top line", "second", "third"]
        );
        assert_eq!(text(&["a\n\nb"]), ["a", "", "b"]);
        assert_eq!(text(&["x\x1b[?1049hfull\x1b[?1049l"]), ["x", "full"]);
    }

    #[test]
    fn typed_input() {
        assert_eq!(
            lines_of(
                Mode::Input,
                &["l", "s", "x", "\x7f", " -l", "\r", "\x1b[A", "\r\n"]
            )
            .into_iter()
            .map(|l| l.0)
            .collect::<Vec<_>>(),
            ["ls -l", ""]
        );
    }

    #[test]
    fn backspace_after_moving_onto_a_wide_character() {
        // The cursor on 中's right half, then Backspace, then two columns right: this
        // panicked before Backspace put the cursor back at the end of the line.
        let typed = lines_of(Mode::Input, &["中3", "\u{9b}2D", "\x08", "\x1b[2C", "x\r"]);
        assert_eq!(
            typed.into_iter().map(|l| l.0).collect::<Vec<_>>(),
            ["中  x"]
        );
    }

    #[test]
    fn discard_keeps_the_current_line() {
        let mut s = Screen::new(Mode::Output);
        s.feed_json(br#""one\ntwo\nthr""#, 0, 0);
        assert_eq!(s.lines().len(), 2);
        s.discard_complete();
        assert_eq!(s.lines().len(), 0);
        s.feed_json(br#""ee\rT""#, 1, 5);
        s.finish();
        let l = s.lines()[0];
        assert_eq!(&s.text()[l.start..l.end], b"Three");
        assert_eq!(l.no, 2);
        assert_eq!(
            &s.runs()[l.runs_start..l.runs_end],
            &[
                Run {
                    start: 0,
                    seq: 1,
                    time: 5
                },
                Run {
                    start: 1,
                    seq: 0,
                    time: 0
                },
                Run {
                    start: 3,
                    seq: 1,
                    time: 5
                }
            ]
        );
    }

    #[test]
    fn json_escapes_are_decoded() {
        let mut s = Screen::new(Mode::Output);
        s.feed_json(
            br#""caf\u00e9 \ud83d\ude00 \ud83d! \"q\" a\\b\/ \u4e2d\u001b[1""#,
            0,
            0,
        );
        s.feed_json(br#""mx\u009b0my\r\n""#, 1, 0);
        let l = s.lines()[0];
        assert_eq!(
            std::str::from_utf8(&s.text()[l.start..l.end]).unwrap(),
            "café 😀 \u{FFFD}! \"q\" a\\b/ 中xy"
        );
    }

    /// Pieces of output: the text, and how a JSON token may write it (`None`: as
    /// `json_str` writes it). Text, CR/LF, cursor moves and erasures, plain CSI, sequences to
    /// be split, ones that start the emulator, strings, C1 controls raw and as `\u00XX`.
    use crate::ansi::test_pieces::{self, Piece, with_controls};

    const OWN: &[Piece] = &[
        ("a", None),
        ("error ", None),
        ("é", None),
        ("é", Some(r"\u00e9")),
        ("中", None),
        ("😀", Some(r"\ud83d\ude00")),
        ("\r", None),
        ("\n", None),
        ("\r\n", None),
        ("\t", None),
        ("\x08", None),
        ("\x7f", None),
        ("\x03", None),
        ("\x0b", None),
        ("\x1b", None),
        ("\x1b", Some(r"\u001B")),
        ("\x1b[", None),
        ("\x1b[31m", None),
        ("\x1b[1;32m", Some(r"\u001B[1;32m")),
        ("\x1b[K", None),
        ("\x1b[1K", None),
        ("\x1b[3D", None),
        ("\x1b[2C", None),
        ("\x1b[4G", None),
        ("\x1b[2P", None),
        ("\x1b[2@", None),
        ("\x1b[2X", None),
        ("\x1b[2J", None),
        ("\x1b[H", None),
        ("\x1b[2;3H", None),
        ("\x1b[A", None),
        ("\x1b[?25h", None),
        ("\x1b[?1049h", None),
        ("\x1b[?1049l", None),
        ("\x1b[ q", None),
        ("\x1b[>4m", None),
        ("\x1b[s", None),
        ("\x1b[u", None),
        ("\x1b7", None),
        ("\x1b8", None),
        ("\x1bM", None),
        ("\x1bE", None),
        ("\x1bc", None),
        ("\x1b(B", None),
        ("\x1bN", None),
        ("\x1bO", None),
        ("3", None),
        (";", None),
        ("?", None),
        ("m", None),
        ("D", None),
        ("[", None),
        ("\u{9b}2D", None),
        ("\x1b[\r5D", None),
    ];

    fn pieces() -> Vec<Piece> {
        with_controls(OWN)
    }

    fn written(k: usize) -> Vec<u8> {
        test_pieces::written(pieces()[k])
    }

    /// Every line completed, with its runs, its event and its number.
    fn all_lines(s: &Screen) -> Vec<(Vec<u8>, Vec<Run>, u64, u64)> {
        s.lines()
            .iter()
            .map(|l| {
                // Adjacent runs of one event as one: the emulator marks a run per piece it
                // is fed, where the line marks one per event.
                let mut runs: Vec<Run> = Vec::new();
                for r in &s.runs()[l.runs_start..l.runs_end] {
                    if runs.last().is_none_or(|p| p.seq != r.seq) {
                        runs.push(Run {
                            start: r.start - l.start,
                            ..*r
                        });
                    }
                }
                (s.text()[l.start..l.end].to_vec(), runs, l.seq, l.no)
            })
            .collect()
    }

    proptest::proptest! {
        /// Output read as JSON tokens in pieces (the in-place path) shows the same lines, run
        /// for run, as the decoded text through the tokenizer alone, with and without the
        /// emulator, as output and as typed input.
        #[test]
        fn json_tokens_show_what_the_tokenizer_shows(
            picks in proptest::collection::vec(
                proptest::collection::vec(0..pieces().len(), 0..16), 1..8),
            piece in 4usize..48,
            input: bool,
            sized: bool,
        ) {
            let mode = if input { Mode::Input } else { Mode::Output };
            let (mut a, mut b) = (Screen::new(mode), Screen::new(mode));
            if sized {
                a.set_size(12, 4);
                b.set_size(12, 4);
            }
            for (k, event) in picks.iter().enumerate() {
                let (seq, time) = (k as u64, k as Micros * 1000);
                let inner: Vec<u8> = event.iter().flat_map(|&p| written(p)).collect();
                // The same pieces both ways: the emulator shows (and searches) what stands
                // on the screen after each piece.
                let mut i = 0;
                while i < inner.len() {
                    let end = crate::event::piece_end(&inner, i, piece);
                    let mut text = String::new();
                    unescape_into(&inner[i..end], &mut text);
                    a.feed_text(&text, seq, time);
                    b.feed_json_inner(&inner[i..end], seq, time);
                    i = end;
                }
                proptest::prop_assert_eq!(all_lines(&a), all_lines(&b));
                proptest::prop_assert_eq!(a.tok.in_ground(), b.tok.in_ground());
            }
            a.finish();
            b.finish();
            proptest::prop_assert_eq!(all_lines(&a), all_lines(&b));
        }
    }

    #[test]
    fn grammar_is_the_tokenizers() {
        // SS2 and SS3 take a character, as C1 controls too; DEL inside a sequence is ignored.
        assert_eq!(text(&["a\u{8e}xb\x1bOyc\n"]), ["abc"]);
        assert_eq!(text(&["a\x1b(\x7fBb\n"]), ["ab"]);
        assert_eq!(text(&["a\x1b\x7f7b\x1b8c\n"]), ["ac"]);
    }

    #[test]
    fn scan_plain_stops_at_controls() {
        let d = b"abcdefghijklmnop\x1bq";
        assert_eq!(scan_plain(d, 0), 16);
        assert_eq!(scan_plain("abcdefgh\u{e9}ijklmnopq\x7f".as_bytes(), 0), 19);
        assert_eq!(scan_plain("x\u{85}".as_bytes(), 0), 1);
        assert_eq!(scan_plain(b"abcdefghijk\\n", 0), 11);
        assert_eq!(scan_plain(b"ab\\n", 0), 2);
    }
}
