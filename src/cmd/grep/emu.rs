//! The whole screen, for output that moves the cursor between rows.
//!
//! Line-oriented output is read a line at a time ([`super::screen`]), which costs little more
//! than decoding it. Full-screen programs (editors, pagers, top) paint rows in pieces, in any
//! order, and repaint only what changed: vim after `50G` rewrites the digits of "line number
//! 36" over "line number 3". From the first sequence that addresses the cursor, sets a
//! scrolling region or enters the alternate screen, [`super::screen::Screen`] hands the output
//! to this terminal emulator (avt, as the rest of castkit uses) and reads rows off the screen.
//!
//! After each event, the rows it changed are compared with what they showed before. Every
//! text that appears on screen becomes one line of the search, dated by when each of its
//! bytes first showed, and is handed to the search when it leaves the screen (or at the end):
//!
//! - a row that only grew (typing, a row painted over two events) is one line: its state
//!   before is a prefix of the new one, and the bytes that were there keep their time;
//! - a text that moved to another row (scrolling, a pager paging by lines) is the same line,
//!   not a new one;
//! - a row repainted with what it showed (a redraw, a cursor blink) is no change at all.
//!
//! So a row that did not change never gives a second match, and a row that did is found with
//! the time its text first showed, whatever the order it was painted in.
//!
//! avt gets the output through the project's tokenizer ([`crate::ansi`]) rather than its own
//! parser, which would read it a character at a time: text runs go in as characters to print;
//! the controls and sequences full-screen programs send most (CR, LF, BS, HT, cursor moves,
//! `CSI K`, charset designations, DECSC, DECRC, RI) as the functions avt's parser makes of
//! them; any other sequence as written, to avt's parser. What cannot change a cell's text is
//! left out: SGR (about 15% of the bytes vim, less and top write) and control strings (OSC
//! titles, DCS). A test checks the screens against avt reading everything itself. On
//! bench/grep-screen.sh's 49 MiB of full-screen recordings (vim, less, top), with the single
//! UTF-8 check of `event::unescape_into`, cast-grep went from 1.03 to 0.77 CPU seconds, 42 to
//! 63 MiB/s (and from 1,264 to 1,065 million instructions on 5 MiB of them, callgrind).
//!
//! What is left is avt's own work: its engine carrying out the functions is about 58% of the
//! instructions, reading the changed rows back 19%. avt alone, fed the same output, runs at
//! 64 MiB/s, so issue 15's target for full-screen output (100 MiB/s) is beyond any way of
//! driving it; it would need a screen of our own that keeps only text.

use std::ops::Range;

use avt::parser::Function;
use avt::{Observation, Observer, Terminal};

use crate::ansi::{Token, Tokenizer};

use crate::time::Micros;

/// The bytes of a row's text from `start` (to the next run's start) first showed with event
/// `seq` at `time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRun {
    pub start: usize,
    pub seq: u64,
    pub time: Micros,
}

/// What a row shows: its text (trailing blanks trimmed) and when each part first showed.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub text: String,
    pub runs: Vec<RowRun>,
    /// Already handed to the search (or covered by a line that was): not handed again.
    pub emitted: bool,
}

/// Rows avt marked as changed during one call.
#[derive(Default)]
struct Dirty {
    rows: Vec<bool>,
    any: bool,
}

impl Observer for Dirty {
    type Output = ();

    fn resized(&mut self, _cols: usize, rows: usize) {
        self.rows.resize(rows, true);
        self.rows.fill(true);
        self.any = true;
    }

    #[inline]
    fn dirty(&mut self, rows: Range<usize>) {
        if rows.end == rows.start + 1 {
            // One row: what every printed character reports.
            if let Some(d) = self.rows.get_mut(rows.start) {
                *d = true;
                self.any = true;
            }
            return;
        }
        let end = rows.end.min(self.rows.len());
        if rows.start < end {
            self.rows[rows.start..end].fill(true);
            self.any = true;
        }
    }

    fn end(&mut self, _context: &mut Observation<'_>) {}
}

/// A terminal emulator and the rows it showed.
pub struct Emu {
    term: Terminal,
    dirty: Dirty,
    rows: Vec<Row>,
    /// Texts that left their row during an event, by the row they left.
    pool: Vec<(usize, Row)>,
    changed: Vec<(usize, String)>,
    /// Decoded event text.
    pub scratch: String,
    /// The alternate screen was active after some event.
    was_alt: bool,
    /// A row's text, read off the screen.
    line_buf: String,
    /// Started for a switch to the alternate screen: line-oriented reading resumes when the
    /// primary screen is back, even if no event ended with the alternate one showing.
    pub for_alternate: bool,
    /// Splits the output into text runs and sequences, across events.
    tok: Tokenizer,
    /// A sequence, written out again for avt's parser.
    seq_buf: String,
}

impl std::fmt::Debug for Emu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emu")
            .field("size", &self.term.size())
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl Emu {
    /// A terminal of `cols` x `rows` showing `seed` (the lines shown before, each already
    /// searched). Nothing seeded is handed to the search again.
    pub fn new(cols: u16, rows: u16, seed: &str, seq: u64, time: Micros) -> Emu {
        // The size every castkit emulator is capped at (memory stays bounded on hostile input).
        let (cols, nrows) = crate::vt::cap_size((cols, rows));
        let (cols, nrows) = (cols as usize, nrows as usize);
        let term = Terminal::new(cols, nrows).expect("size is at least 1x1");
        let mut e = Emu {
            term,
            dirty: Dirty {
                rows: vec![false; nrows],
                any: false,
            },
            rows: vec![Row::default(); nrows],
            pool: Vec::new(),
            changed: Vec::new(),
            scratch: String::new(),
            was_alt: false,
            line_buf: String::new(),
            for_alternate: false,
            tok: Tokenizer::new(),
            seq_buf: String::new(),
        };
        e.feed_tokens(seed);
        // The seeded rows are read below, as searched already.
        e.dirty.rows.fill(false);
        e.dirty.any = false;
        for (r, line) in e.term.screen().visible_lines().enumerate() {
            read_row(line, &mut e.line_buf);
            if e.line_buf.is_empty() {
                continue;
            }
            let text = e.line_buf.clone();
            e.rows[r] = Row {
                runs: vec![RowRun {
                    start: 0,
                    seq,
                    time,
                }],
                text,
                emitted: true,
            };
        }
        e
    }

    /// Feeds `self.scratch` (one event's text, written by event `seq` at `time`); the texts
    /// that left the screen go to `out`. Returns whether any row changed.
    pub fn feed_scratch(&mut self, seq: u64, time: Micros, out: &mut Vec<Row>) -> bool {
        let text = std::mem::take(&mut self.scratch);
        self.feed_tokens(&text);
        self.scratch = text;
        self.settle(seq, time, out)
    }

    /// Resizes the terminal (an `r` event).
    pub fn resize(&mut self, cols: u16, rows: u16, seq: u64, time: Micros, out: &mut Vec<Row>) {
        let (cols, rows) = crate::vt::cap_size((cols, rows));
        let (cols, rows) = (cols as usize, rows as usize);
        self.term.resize_with(cols, rows, &mut self.dirty);
        self.settle(seq, time, out);
    }

    /// Every text still on screen that was not handed on yet, to `out`.
    pub fn finish(&mut self, out: &mut Vec<Row>) {
        for row in &mut self.rows {
            if !row.emitted && !row.text.is_empty() {
                out.push(std::mem::take(row));
            }
        }
    }

    /// True when the program left the alternate screen (line-oriented output resumes).
    pub fn back_on_primary(&self) -> bool {
        (self.was_alt || self.for_alternate)
            && self.term.active_screen_kind() == avt::ScreenKind::Primary
    }

    /// The text of the cursor's row and the cursor's column.
    pub fn cursor_line(&self) -> (String, usize) {
        let c = self.term.cursor();
        let text = self
            .term
            .screen()
            .visible_lines()
            .nth(c.row)
            .map(|l| trimmed(l.text()))
            .unwrap_or_default();
        (text, c.col)
    }

    /// The oldest event that wrote text still waiting to be handed on.
    pub fn oldest_seq(&self) -> Option<u64> {
        self.rows
            .iter()
            .filter(|r| !r.emitted)
            .flat_map(|r| r.runs.iter().map(|x| x.seq))
            .min()
    }

    /// Feeds `d` to avt through the tokenizer: text runs go in as characters to print (avt's
    /// parser would only turn them into the same), and what cannot change a cell's text is
    /// left out: SGR (`CSI ... m`, colours and attributes, and `CSI > ... m`) and control
    /// strings (OSC titles, DCS; avt reads only shell-integration marks from them). The
    /// commonest controls and sequences are carried out as the functions avt's parser makes
    /// of them; every other sequence goes to avt's parser as written, which is back in its
    /// ground state after it, so avt carries out the same functions as on the whole text.
    /// One difference, on broken output only: a character from U+00A0 up inside a CSI
    /// sequence ends it and is printed (the tokenizer's grammar), where avt drops it.
    fn feed_tokens(&mut self, d: &str) {
        let mut pos = 0;
        let seq = &mut self.seq_buf;
        while let Some(tok) = self.tok.next(d.as_bytes(), &mut pos) {
            let (lead, body, fin): (&str, &[u8], u8) = match tok {
                Token::Text(t) => {
                    // The run ends where the tokenizer stopped; it splits text only at ASCII
                    // bytes and C1 controls, so on character boundaries.
                    let t = &d[pos - t.len()..pos];
                    self.term
                        .execute_with(t.chars().map(Function::Print), &mut self.dirty);
                    continue;
                }
                Token::Control(b) => {
                    match control_function(b) {
                        Some(f) => self.term.execute_with(f, &mut self.dirty),
                        None => self.term.feed_with(char::from(b), &mut self.dirty),
                    }
                    continue;
                }
                Token::Csi {
                    body,
                    fin,
                    overflow: false,
                } if let Some(f) = csi_function(body, fin) => {
                    self.term.execute_with(f, &mut self.dirty);
                    continue;
                }
                Token::Esc {
                    inter,
                    fin,
                    overflow: false,
                } if let Some(f) = esc_function(inter, fin) => {
                    self.term.execute_with(f, &mut self.dirty);
                    continue;
                }
                Token::Csi { fin: b'm', .. }
                | Token::StrStart(_)
                | Token::StrData(_)
                | Token::StrEnd { .. } => continue,
                Token::Csi { body, fin, .. } => ("\x1b[", body, fin),
                Token::Esc { inter, fin, .. } => ("\x1b", inter, fin),
                Token::Shift { shift, ch } => {
                    let t = [0x1b, shift, ch];
                    let t = std::str::from_utf8(&t).unwrap_or_default();
                    self.term.feed_with(t, &mut self.dirty);
                    continue;
                }
            };
            seq.clear();
            seq.push_str(lead);
            // Parameter and intermediate bytes are ASCII.
            seq.push_str(std::str::from_utf8(body).unwrap_or_default());
            seq.push(char::from(fin));
            self.term.feed_with(seq.as_str(), &mut self.dirty);
        }
    }

    /// Compares the changed rows with what they showed; see the module docs.
    fn settle(&mut self, seq: u64, time: Micros, out: &mut Vec<Row>) -> bool {
        if self.term.active_screen_kind() == avt::ScreenKind::Alternate {
            self.was_alt = true;
        }
        if !std::mem::take(&mut self.dirty.any) {
            return false;
        }
        if self.back_on_primary() {
            // The alternate screen's texts left with it. The primary screen's rows were
            // searched before, and line-oriented reading goes on from them.
            let mut any = false;
            for row in self
                .rows
                .iter_mut()
                .chain(self.pool.iter_mut().map(|(_, r)| r))
            {
                if !row.emitted && !row.text.is_empty() {
                    out.push(std::mem::take(row));
                    any = true;
                }
            }
            self.pool.clear();
            return any;
        }
        let nrows = self.term.size().1;
        if self.rows.len() != nrows {
            // A resize: rows beyond the new bottom left the screen.
            for (r, row) in self.rows.drain(nrows.min(self.rows.len())..).enumerate() {
                self.pool.push((nrows + r, row));
            }
            self.rows.resize(nrows, Row::default());
        }
        self.dirty.rows.resize(nrows, true);
        self.changed.clear();
        let buf = &mut self.line_buf;
        for (r, line) in self.term.screen().visible_lines().enumerate() {
            if !std::mem::take(&mut self.dirty.rows[r]) {
                continue;
            }
            // Read into one buffer: a row avt marks may show what it showed (a repaint with
            // the same text), and then needs no allocation. (That is about one in eight on
            // bench/grep-screen.sh's recordings; comparing the cells before reading them out
            // cost more than it saved.)
            read_row(line, buf);
            if *buf != self.rows[r].text {
                self.changed.push((r, buf.clone()));
            }
        }
        if self.changed.is_empty() && self.pool.is_empty() {
            return false;
        }
        for &(r, _) in &self.changed {
            let old = std::mem::take(&mut self.rows[r]);
            if !old.text.is_empty() {
                self.pool.push((r, old));
            }
        }
        // A text that moved keeps its identity (and its times).
        let mut placed = vec![false; self.changed.len()];
        for (k, (r, text)) in self.changed.iter().enumerate() {
            if text.is_empty() {
                placed[k] = true;
                continue;
            }
            if let Some(p) = self.pool.iter().position(|(_, o)| o.text == *text) {
                self.rows[*r] = self.pool.swap_remove(p).1;
                placed[k] = true;
            }
        }
        for (k, (r, text)) in std::mem::take(&mut self.changed).into_iter().enumerate() {
            if placed[k] {
                continue;
            }
            let mut row = Row {
                text,
                runs: Vec::new(),
                emitted: false,
            };
            let fresh = RowRun {
                start: 0,
                seq,
                time,
            };
            match self.pool.iter().position(|(pr, _)| *pr == r) {
                Some(p) => {
                    let old = &self.pool[p].1;
                    let n = common_prefix(&old.text, &row.text);
                    row.runs
                        .extend(old.runs.iter().copied().filter(|x| x.start < n));
                    if n < row.text.len() {
                        row.runs.push(RowRun { start: n, ..fresh });
                    }
                    if n == old.text.len() {
                        // It only grew: one line, not two.
                        self.pool.swap_remove(p);
                    } else if n == row.text.len() {
                        // It shrank: the longer text, handed on below, covers it.
                        row.emitted = true;
                    }
                }
                None => row.runs.push(fresh),
            }
            self.rows[r] = row;
        }
        for (_, row) in self.pool.drain(..) {
            if !row.emitted {
                out.push(row);
            }
        }
        true
    }
}

/// The function avt's parser makes of the C0 controls that lines are made of.
#[inline]
fn control_function(b: u8) -> Option<Function> {
    Some(match b {
        b'\r' => Function::Cr,
        b'\n' => Function::Lf,
        0x08 => Function::Bs,
        b'\t' => Function::Ht,
        _ => return None,
    })
}

/// The function avt's parser makes of the `ESC` sequences full-screen programs send most:
/// charset designations (`ESC ( B` follows every SGR reset of tput's), DECSC, DECRC, RI.
#[inline]
fn esc_function(inter: &[u8], fin: u8) -> Option<Function> {
    use avt::Charset;
    let set = if fin == b'0' {
        Charset::Drawing
    } else {
        Charset::Ascii
    };
    Some(match (inter, fin) {
        (b"(", _) => Function::Gzd4(set),
        (b")", _) => Function::G1d4(set),
        (b"", b'7') => Function::Decsc,
        (b"", b'8') => Function::Decrc,
        (b"", b'M') => Function::Ri,
        _ => return None,
    })
}

/// The function avt's parser makes of `CSI body fin`, for the sequences full-screen programs
/// send most: cursor moves and erasing to the end of the line, with at most two numbers of
/// at most four digits (so no question of overflow). None for anything else, which goes to
/// the parser.
#[inline]
fn csi_function(body: &[u8], fin: u8) -> Option<Function> {
    use avt::parser::ElScope;
    let (mut ps, mut k, mut digits) = ([0u16; 2], 0, 0);
    for &b in body {
        match b {
            b'0'..=b'9' if digits < 4 => {
                ps[k] = ps[k] * 10 + u16::from(b - b'0');
                digits += 1;
            }
            b';' if k == 0 => (k, digits) = (1, 0),
            _ => return None,
        }
    }
    Some(match fin {
        b'H' => Function::Cup(ps[0], ps[1]),
        b'A' => Function::Cuu(ps[0]),
        b'B' => Function::Cud(ps[0]),
        b'C' => Function::Cuf(ps[0]),
        b'D' => Function::Cub(ps[0]),
        b'G' => Function::Cha(ps[0]),
        b'K' => Function::El(match ps[0] {
            0 => ElScope::ToRight,
            1 => ElScope::ToLeft,
            2 => ElScope::All,
            _ => return None,
        }),
        _ => return None,
    })
}

/// The text of `line` without trailing blanks, into `buf`. The blank cells at the end are
/// skipped before the text is built; wide characters' second cells hold no character.
fn read_row(line: &avt::Line, buf: &mut String) {
    buf.clear();
    let cells = line.cells();
    let Some(last) = cells.iter().rposition(|c| c.char() != ' ') else {
        return;
    };
    for c in &cells[..=last] {
        if c.width() > 0 {
            buf.push(c.char());
        }
    }
    buf.truncate(buf.trim_end().len());
}

/// `s` without trailing blanks.
fn trimmed(mut s: String) -> String {
    let n = s.trim_end().len();
    s.truncate(n);
    s
}

/// The length of the longest common prefix of `a` and `b`, on a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    while !b.is_char_boundary(n) {
        n -= 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(e: &mut Emu, text: &str, seq: u64) -> Vec<String> {
        let mut out = Vec::new();
        e.scratch.clear();
        e.scratch.push_str(text);
        e.feed_scratch(seq, seq as i64, &mut out);
        out.into_iter().map(|r| r.text).collect()
    }

    /// The tokenizer feed (text printed, SGR and strings left out) leaves the same text and
    /// cursor as avt's own parser reading everything, with sequences split across events.
    #[test]
    fn tokenized_feed_matches_avts_parser() {
        #[rustfmt::skip]
        const PIECES: &[&str] = &[
            "line ", "x", "wide 漢字", "é", "\x1b[31m", "\x1b[1;33;41m", "\x1b[m", "\x1b[>4;2m",
            "\x1b]0;title\x07", "\x1b]0;café 漢\x07", "\x1b]2;t\x1b\\", "\x1bP1$r\x1b\\",
            "\x1b_apc\x1b\\", "\x1b[H", "\x1b[5;10H", "\x1b[12;2H", "\x1b[2J", "\x1b[J", "\x1b[K",
            "\x1b[1K", "\x1b[3A", "\x1b[2B", "\x1b[4C", "\x1b[D", "\x1b[7G", "\x1b[3d", "\r", "\n",
            "\x08", "\t", "\x1b[2;5r", "\x1b[r", "\x1bM", "\x1bD", "\x1bE", "\x1b7", "\x1b8",
            "\x1b[?1049h", "\x1b[?1049l", "\x1b[?47h", "\x1b[?47l", "\x1b[4h", "\x1b[4l",
            "\x1b[?7l", "\x1b[?7h", "\x1b[?6h", "\x1b[?6l", "\x1b[20h", "\x1b[20l", "\x1b(0",
            "lqqk", "\x1b(B", "\x0e", "\x0f", "\x1b)0", "\x1b[3@", "\x1b[2P", "\x1b[2L", "\x1b[M",
            "\x1b[3X", "\x1b[2S", "\x1b[T", "x\x1b[5b", "\u{9b}2C", "\u{85}", "\x1bNx", "\x1b[?25l",
            "\x1b[3g", "\x1bH", "\x1b[1\n;4H", "\x1b[;7H", "\x1b[3;H", "\x1b[99999;3H",
            "\x1b[2;3;4H", "\x1b[0K", "\x1b[2K", "\x1b[3K", "\x1b[0;5C", "\x1b[12345A", "\x1b[?5H",
            "\x1b[5 H", "\x1b(A", "\x1b)B", "\x1b(%5", "\x1b[s", "\x1b[u", "\x1bc", "\x7f", "\x18",
        ];
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n as u64) as usize
        };
        for round in 0..300 {
            let mut text = String::new();
            for _ in 0..40 {
                text.push_str(PIECES[next(PIECES.len())]);
            }
            let mut reference = Terminal::new(20, 6).unwrap();
            let mut e = Emu::new(20, 6, "", 0, 0);
            let mut rest = text.as_str();
            let mut seq = 1;
            while !rest.is_empty() {
                let mut cut = next(rest.len() + 1).max(1);
                while !rest.is_char_boundary(cut) {
                    cut += 1;
                }
                let (event, tail) = rest.split_at(cut);
                rest = tail;
                reference.feed(event);
                feed(&mut e, event, seq);
                seq += 1;
                let lines = |t: &Terminal| -> Vec<String> {
                    t.screen().visible_lines().map(|l| l.text()).collect()
                };
                assert_eq!(lines(&e.term), lines(&reference), "round {round}: {text:?}");
                assert_eq!(
                    e.term.cursor(),
                    reference.cursor(),
                    "round {round}: {text:?}"
                );
            }
        }
    }

    #[test]
    fn rows_are_handed_on_once_when_they_leave() {
        let mut e = Emu::new(20, 3, "", 0, 0);
        assert!(feed(&mut e, "\x1b[Hline number 3\x1b[2;1Hother", 1).is_empty());
        // The row grows: still one line, its first bytes dated by event 1.
        assert!(feed(&mut e, "\x1b[1;14H6", 2).is_empty());
        // Scrolling moves texts; only the one pushed off the top leaves.
        assert_eq!(feed(&mut e, "\x1b[3;1H\nthird", 3), ["line number 36"]);
        // A repaint of the same rows changes nothing.
        assert!(feed(&mut e, "\x1b[H\x1b[2Jother\r\n\r\nthird", 4).is_empty());
        // A row rewritten with other text: the old text left.
        assert_eq!(feed(&mut e, "\x1b[Hnew", 5), ["other"]);
        let mut out = Vec::new();
        e.finish(&mut out);
        let rest: Vec<_> = out.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(rest, ["newer", "third"]);
    }

    #[test]
    fn runs_date_each_part() {
        let mut e = Emu::new(30, 2, "", 0, 0);
        feed(&mut e, "\x1b[Hline number 3", 1);
        feed(&mut e, "\x1b[1;14H6", 2);
        let mut out = Vec::new();
        e.finish(&mut out);
        assert_eq!(out[0].text, "line number 36");
        assert_eq!(
            out[0].runs,
            [
                RowRun {
                    start: 0,
                    seq: 1,
                    time: 1
                },
                RowRun {
                    start: 13,
                    seq: 2,
                    time: 2
                }
            ]
        );
    }

    #[test]
    fn seeded_rows_are_not_handed_on() {
        let mut e = Emu::new(20, 3, "a\r\nb\r\n$ ", 0, 0);
        assert_eq!(feed(&mut e, "\x1b[H\x1b[2J", 1), Vec::<String>::new());
        let mut e = Emu::new(20, 3, "a\r\nb\r\n$ ", 0, 0);
        feed(&mut e, "ls", 1);
        let mut out = Vec::new();
        e.finish(&mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text, "$ ls");
    }
}
