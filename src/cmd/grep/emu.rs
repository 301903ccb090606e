//! The whole screen, for output that moves the cursor between rows.
//!
//! Line-oriented output is read a line at a time ([`super::screen`]), which costs little more
//! than decoding it. Full-screen programs (editors, pagers, top) paint rows in pieces, in any
//! order, and repaint only what changed: vim after `50G` rewrites the digits of "line number
//! 36" over "line number 3". From the first sequence that addresses the cursor, sets a
//! scrolling region or enters the alternate screen, [`super::screen::Screen`] hands the output
//! to a terminal screen that keeps only text ([`super::textterm`], which does what avt, the
//! emulator the rest of castkit uses, does) and reads rows off it.
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
//! The screen gets the output through the project's tokenizer ([`crate::ansi`]): text runs,
//! controls and sequences go to it as tokens; control strings (OSC titles, DCS) are left out,
//! as nothing in them changes a cell's text. A test (`text_screen_matches_avt`) checks the
//! screens against avt reading everything itself.
//!
//! How it got fast enough: on bench/grep-screen.sh's 49 MiB of full-screen recordings (vim,
//! less, top), driving avt with its own parser, cast-grep took 1.03 CPU seconds (42 MiB/s);
//! feeding avt through the tokenizer, with SGR left out, 0.77 (63 MiB/s), where avt's engine
//! was about 58% of the instructions and avt alone ran at 64 MiB/s. With the text screen in
//! its place, in three runs of the bench on a shared two-core machine, 0.49 to 0.51 CPU
//! seconds against 0.87 to 0.95 for the avt version in the same runs, or 77 to 107 MiB/s of
//! wall time against 46 to 57 (the machine's load made the range), and 609 million instructions
//! on the first 6 MB of them against the avt version's 1,248 million (callgrind). Of what is
//! left, reading changed rows back is about 20%, the tokenizer 10%, decoding the JSON 15%.

use super::textterm::TextTerm;
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

/// A terminal emulator and the rows it showed.
pub struct Emu {
    term: TextTerm,
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
        let mut e = Emu {
            term: TextTerm::new(cols, nrows),
            rows: vec![Row::default(); nrows],
            pool: Vec::new(),
            changed: Vec::new(),
            scratch: String::new(),
            was_alt: false,
            line_buf: String::new(),
            for_alternate: false,
            tok: Tokenizer::new(),
        };
        e.feed_tokens(seed);
        // The seeded rows are read below, as searched already.
        e.term.take_changed();
        for r in 0..nrows {
            e.term.take_row_changed(r);
            e.term.row_text(r, &mut e.line_buf);
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
        self.term.resize(cols, rows);
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
        (self.was_alt || self.for_alternate) && !self.term.is_alternate()
    }

    /// The text of the cursor's row and the cursor's column.
    pub fn cursor_line(&self) -> (String, usize) {
        let (col, row) = self.term.cursor();
        let mut text = String::new();
        self.term.row_text(row, &mut text);
        (text, col)
    }

    /// The oldest event that wrote text still waiting to be handed on.
    pub fn oldest_seq(&self) -> Option<u64> {
        self.rows
            .iter()
            .filter(|r| !r.emitted)
            .flat_map(|r| r.runs.iter().map(|x| x.seq))
            .min()
    }

    /// Feeds `d` to the screen through the tokenizer. What cannot change a cell's text is
    /// left out: control strings (OSC titles, DCS; avt reads only shell-integration marks
    /// from them). One difference from avt's own parser, on broken output only: a character
    /// from U+00A0 up inside a CSI sequence ends it and is printed (the tokenizer's grammar),
    /// where avt drops it.
    fn feed_tokens(&mut self, d: &str) {
        let mut pos = 0;
        while let Some(tok) = self.tok.next(d.as_bytes(), &mut pos) {
            match tok {
                Token::Text(t) => {
                    // The run ends where the tokenizer stopped; it splits text only at ASCII
                    // bytes and C1 controls, so on character boundaries.
                    self.term.print_str(&d[pos - t.len()..pos]);
                }
                Token::Control(b) => self.term.control(b),
                Token::Csi { body, fin, .. } => self.term.csi(body, fin),
                Token::Esc { inter, fin, .. } => self.term.esc(inter, fin),
                // avt carries out SS2 and SS3 as nothing: the character is printed.
                Token::Shift { ch, .. } => {
                    self.term.print_str(char::from(ch).encode_utf8(&mut [0; 4]))
                }
                Token::StrStart(_) | Token::StrData(_) | Token::StrEnd { .. } => {}
            }
        }
    }

    /// Compares the changed rows with what they showed; see the module docs.
    fn settle(&mut self, seq: u64, time: Micros, out: &mut Vec<Row>) -> bool {
        if self.term.is_alternate() {
            self.was_alt = true;
        }
        if !self.term.take_changed() {
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
        self.changed.clear();
        let buf = &mut self.line_buf;
        for r in 0..nrows {
            if !self.term.take_row_changed(r) {
                continue;
            }
            // Read into one buffer: a row marked may show what it showed (a repaint with the
            // same text), and then needs no allocation. (That is about one in eight on
            // bench/grep-screen.sh's recordings.)
            self.term.row_text(r, buf);
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

    /// The text screen, fed through the tokenizer, shows the same text, soft wraps and
    /// cursor as avt reading everything itself: random mixes of text and sequences, cut at
    /// random event boundaries, on screens of several sizes, with resizes between events.
    #[test]
    fn text_screen_matches_avt() {
        #[rustfmt::skip]
        const PIECES: &[&str] = &[
            "line ", "x", "wide 漢字", "é", "e\u{301}", "\u{1F600}", "ab\u{200B}c", "\u{7f}",
            "\x1b[31m", "\x1b[1;33;41m", "\x1b[m", "\x1b[>4;2m", "\x1b[44m", "\x1b[0;49m",
            "\x1b[38;5;2m", "\x1b[48;2;1;2;3m", "\x1b[48:2::1:2:3m", "\x1b[38;2m", "\x1b[7m",
            "\x1b[27m", "\x1b[22;39;49m", "\x1b[48;5m", "\x1b[1;2;3;4;5;7;9;21;23;24;25;27;29m",
            "\x1b]0;title\x07", "\x1b]0;café 漢\x07", "\x1b]2;t\x1b\\", "\x1bP1$r\x1b\\",
            "\x1b_apc\x1b\\", "\x1b[H", "\x1b[5;10H", "\x1b[12;2H", "\x1b[2J", "\x1b[J", "\x1b[1J",
            "\x1b[3J", "\x1b[K", "\x1b[1K", "\x1b[3A", "\x1b[2B", "\x1b[4C", "\x1b[D", "\x1b[7G",
            "\x1b[3d", "\x1b[2E", "\x1b[F", "\x1b[9`", "\x1b[2a", "\x1b[2e", "\x1b[3;4f", "\r", "\n",
            "\x0b", "\x0c", "\x08", "\t", "\x1b[2I", "\x1b[Z", "\x1b[2;5r", "\x1b[3;4r", "\x1b[r",
            "\x1bM", "\x1bD", "\x1bE", "\x1b7", "\x1b8", "\x1b[?1049h", "\x1b[?1049l", "\x1b[?47h",
            "\x1b[?47l", "\x1b[?1047h", "\x1b[?1047l", "\x1b[?1048h", "\x1b[?1048l", "\x1b[4h",
            "\x1b[4l", "\x1b[?7l", "\x1b[?7h", "\x1b[?6h", "\x1b[?6l", "\x1b[20h", "\x1b[20l",
            "\x1b[?25l", "\x1b[?25h", "\x1b[?1;6;7h", "\x1b(0", "lqqk", "xtm~", "\x1b(B", "\x0e",
            "\x0f", "\x1b)0", "\x1b[3@", "\x1b[@", "\x1b[2P", "\x1b[P", "\x1b[2L", "\x1b[M",
            "\x1b[3X", "\x1b[X", "\x1b[2S", "\x1b[T", "x\x1b[5b", "漢\x1b[3b", "\x1b[b",
            "\u{9b}2C", "\u{85}", "\u{84}", "\u{88}", "\u{8d}", "\u{8e}x", "\x1bNx", "\x1bOy",
            "\x1b[3g", "\x1b[g", "\x1b[W", "\x1b[2W", "\x1b[5W", "\x1bH", "\x1b[1\n;4H", "\x1b[;7H",
            "\x1b[3;H", "\x1b[99999;3H", "\x1b[2;3;4H", "\x1b[0K", "\x1b[2K", "\x1b[3K", "\x1b[0;5C",
            "\x1b[12345A", "\x1b[?5H", "\x1b[5 H", "\x1b[5:1H", "\x1b[:5H", "\x1b[5?H", "\x1b[ 5H",
            "\x1b[1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16;17;18;19;20;21;22;23;24;25;26;27;28;29;30;31;32;33;44l",
            "\x1b(A", "\x1b)B", "\x1b(%5", "\x1b#8", "\x1b[s", "\x1b[u", "\x1b[!p", "\x1bc",
            "\x7f", "\x18", "\x1b[8;5;9t", "\x1b\\", "\x1bZ", "\u{9c}",
            "0123456789abcdefghij0123456789", "漢字漢字漢字漢字漢字漢字漢字",
        ];
        const SIZES: &[(usize, usize)] =
            &[(20, 6), (10, 4), (7, 3), (13, 8), (1, 3), (2, 1), (5, 5)];
        let mut rng = crate::testing::Rng(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| rng.below(n);
        let mut events = 0;
        for round in 0..3000 {
            let mut text = String::new();
            for _ in 0..40 {
                text.push_str(PIECES[next(PIECES.len())]);
            }
            let (cols, rows) = SIZES[next(SIZES.len())];
            let mut reference = avt::Terminal::new(cols, rows).unwrap();
            let mut e = Emu::new(cols as u16, rows as u16, "", 0, 0);
            let mut rest = text.as_str();
            let mut seq = 1;
            let mut log = Vec::new();
            while !rest.is_empty() {
                if next(8) == 0 {
                    let (c, r) = SIZES[next(SIZES.len())];
                    reference.resize(c, r);
                    e.resize(c as u16, r as u16, seq, seq as i64, &mut Vec::new());
                    log.push(format!("resize {c}x{r}"));
                } else {
                    let mut cut = next(rest.len().min(24) + 1).max(1);
                    while !rest.is_char_boundary(cut) {
                        cut += 1;
                    }
                    let (event, tail) = rest.split_at(cut);
                    rest = tail;
                    reference.feed(event);
                    feed(&mut e, event, seq);
                    log.push(format!("{event:?}"));
                }
                seq += 1;
                events += 1;
                let want: Vec<(String, bool)> = reference
                    .screen()
                    .visible_lines()
                    .map(|l| (l.text().trim_end().to_owned(), l.is_wrapped()))
                    .collect();
                let got: Vec<(String, bool)> = (0..e.term.size().1)
                    .map(|r| {
                        let mut s = String::new();
                        e.term.row_text(r, &mut s);
                        (s, e.term.row_wrapped(r))
                    })
                    .collect();
                assert_eq!(got, want, "round {round} {cols}x{rows}: {log:?}");
                // The rows marked as changed were all the rows whose text changed: what the
                // emulator holds for each row is what the screen shows.
                if !e.back_on_primary() {
                    let held: Vec<&str> = e.rows.iter().map(|r| r.text.as_str()).collect();
                    let shown: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
                    assert_eq!(held, shown, "round {round} {cols}x{rows}: {log:?}");
                }
                let c = reference.cursor();
                assert_eq!(
                    (e.term.cursor(), e.term.cursor_visible()),
                    ((c.col, c.row), c.visible),
                    "round {round} {cols}x{rows}: {log:?}"
                );
                assert_eq!(
                    e.term.is_alternate(),
                    reference.active_screen_kind() == avt::ScreenKind::Alternate
                );
            }
        }
        // 73,327 events in all (the generator is fixed).
        assert!(events > 70_000, "{events} events");
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
