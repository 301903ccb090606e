//! Line assembly: the transcript of output that only writes lines, without the emulator.
//!
//! Most recordings (shells, builds, logs, CI) print text, colours, `\r` and `\n`, and never
//! address the cursor. For that output a whole terminal emulator is more than is needed: the
//! rows above the cursor can never change again, and the transcript is the rows in order.
//! [`Lines`] keeps the screen as rows of cells (character, width, and which colour state
//! wrote it) and applies exactly what avt 0.17 does for those inputs: printing with its wide
//! character rules and deferred wrap, carriage return, line feed with scrolling (a new row
//! takes the pen in force, as avt's does). Rows scrolling off the top go to the transcript as
//! text. cast-to-txt's default transcript went from about asciinema's CPU time (it fed every
//! character to avt) to a few times less (figures in issue 22's note and bench/txt.sh).
//!
//! The first input it does not model (any other control, escape or CSI sequence, a resize,
//! the end) hands the screen over to avt for good: [`Lines::replay`] writes the rows into a
//! fresh avt terminal with the same operations (cursor position, the colour state of each
//! cell replayed from the SGR sequences that made it, erased rows for rows that scrolled in
//! with a colour, the pending wrap), so from then on the emulator runs as if it had seen
//! everything. Colours matter to the text only through avt's reflow on resize, which trims
//! blanks of the default pen, but replaying them exactly means no such argument is needed:
//! a differential test compares the handed-over terminal, cell by cell and with its dump,
//! against avt fed the same input, over random mixes.
//!
//! It reads sequences itself rather than through [`crate::ansi`]: it knows only `ESC [`,
//! parameters and `m` or `K`, and anything else goes to avt's parser untouched, so avt's
//! grammar (not the tokenizer's) decides what the rest means.
//!
//! Written here rather than taken from a crate: the point is to match avt 0.17 (asciinema's
//! converter) exactly while doing less, which no emulator crate offers.

use std::collections::VecDeque;

use avt017::parser::{Function, Parser as VtParser};
use avt017::terminal::Terminal;
use unicode_width01::UnicodeWidthChar;

/// The longest SGR sequence kept (beyond it the emulator takes over).
const MAX_SEQ: usize = 256;
/// The longest colour state kept as the sequences that made it.
const MAX_LOG: usize = 1024;
/// The colour states' bytes are compacted beyond this.
const ARENA_COMPACT: usize = 1 << 20;

#[derive(Clone, Copy, Debug)]
struct Cell {
    ch: char,
    /// 1, 2 (a wide character) or 0 (the right half of one).
    width: u8,
    pen: u32,
}

/// One row of the screen. Cells beyond `cells` are blanks of pen `blank`.
#[derive(Debug, Default)]
struct Row {
    cells: Vec<Cell>,
    blank: u32,
    wrapped: bool,
}

/// Rows that left the screen, as text: `text[..ends[0].0]` is the first, and so on; the flag
/// says the row wraps into the next. A row that does not wrap may lack its trailing blanks
/// (the transcript trims them).
#[derive(Debug, Default)]
pub struct RowTexts {
    pub text: String,
    pub ends: Vec<(usize, bool)>,
}

impl RowTexts {
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The rows in order, with their wrap flags.
    pub fn rows(&self) -> impl Iterator<Item = (&str, bool)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(end, wrapped)| {
            let s = &self.text[start..end];
            start = end;
            (s, wrapped)
        })
    }
}

/// The screen of a terminal that has seen only text, `\r`, `\n` and SGR sequences.
pub struct Lines {
    cols: usize,
    rows: usize,
    screen: VecDeque<Row>,
    /// The cursor's row and column; the column is `cols` when a wrap is pending.
    row: usize,
    col: usize,
    /// The colour state in force, as an index into `pens`.
    pen: u32,
    /// Each colour state as the SGR sequences that make it from the default: a span of
    /// `arena`. State 0 is the default (no sequences).
    pens: Vec<(u32, u32)>,
    arena: Vec<u8>,
    /// Recently made states, to find a repeated one without adding it again.
    recent: [u32; 8],
    next_recent: usize,
    /// The escape sequence in progress (from its ESC).
    seq: Vec<u8>,
    /// A new state's bytes, built here.
    scratch: Vec<u8>,
    /// Rows that scrolled off since the last [`Lines::take_rows`].
    out: RowTexts,
}

impl Lines {
    /// A blank screen of the given size (already clamped: at least two columns, one row).
    pub fn new(cols: usize, rows: usize) -> Lines {
        Lines {
            cols,
            rows,
            screen: (0..rows).map(|_| Row::default()).collect(),
            row: 0,
            col: 0,
            pen: 0,
            pens: vec![(0, 0)],
            arena: Vec::new(),
            recent: [0; 8],
            next_recent: 0,
            seq: Vec::new(),
            scratch: Vec::new(),
            out: RowTexts::default(),
        }
    }

    /// Applies output. Returns `None` when all of it was taken, or the byte offset of the
    /// first input it does not model: the caller hands over ([`Lines::replay`]), then feeds
    /// the emulator [`Lines::held`] and `data[offset..]`.
    pub fn feed(&mut self, data: &str) -> Option<usize> {
        let b = data.as_bytes();
        let n = b.len();
        let mut i = 0;
        while i < n {
            let c = b[i];
            if !self.seq.is_empty() {
                let ok = if self.seq.len() == 1 {
                    c == b'['
                } else {
                    match c {
                        b'0'..=b'9' | b';' | b':' => self.seq.len() < MAX_SEQ,
                        b'm' => self.sgr(),
                        b'K' => self.el(),
                        _ => false,
                    }
                };
                if !ok {
                    return Some(i);
                }
                if matches!(c, b'm' | b'K') {
                    self.seq.clear();
                } else {
                    self.seq.push(c);
                }
                i += 1;
                continue;
            }
            match c {
                0x20..=0x7f => {
                    let e = b[i..]
                        .iter()
                        .position(|&x| !(0x20..=0x7f).contains(&x))
                        .map_or(n, |k| i + k);
                    self.print_ascii(&b[i..e]);
                    i = e;
                }
                b'\r' => {
                    self.col = 0;
                    i += 1;
                }
                b'\n' => {
                    self.lf();
                    i += 1;
                }
                0x1b => {
                    self.seq.push(c);
                    i += 1;
                }
                0x08 => {
                    // avt 0.17's backspace: from a pending wrap it lands two columns back.
                    self.col = if self.col == self.cols {
                        self.cols - 2
                    } else {
                        self.col.saturating_sub(1)
                    };
                    i += 1;
                }
                b'\t' => {
                    // The default tab stops: every eight columns, the last column after them.
                    let next = (self.col / 8 + 1) * 8;
                    self.col = if next >= self.cols {
                        self.cols - 1
                    } else {
                        next
                    };
                    i += 1;
                }
                0x0b | 0x0c => {
                    // Vertical tab and form feed are line feeds to avt.
                    self.lf();
                    i += 1;
                }
                // Shift out and in change the character set.
                0x0e | 0x0f => return Some(i),
                // Other C0 controls do nothing in avt.
                0x00..=0x1f => i += 1,
                0x80.. => {
                    let ch = data[i..].chars().next().unwrap_or('\u{FFFD}');
                    if ch < '\u{a0}' {
                        return Some(i);
                    }
                    self.print(ch, width(ch));
                    i += ch.len_utf8();
                }
            }
        }
        None
    }

    /// The bytes of a sequence begun and not finished, for the emulator after a hand-over.
    pub fn held(&self) -> &str {
        std::str::from_utf8(&self.seq).unwrap_or("")
    }

    /// The rows that scrolled off since the last call.
    pub fn take_rows(&mut self) -> Option<RowTexts> {
        if self.out.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.out))
        }
    }

    /// The SGR sequence in `seq` (with its final byte still to add): the new colour state.
    /// False when the state would be too long to keep.
    fn sgr(&mut self) -> bool {
        let params = &self.seq[2..];
        let first = params.split(|&b| b == b';').next().unwrap_or(b"");
        // A first parameter of 0 (or none) resets every attribute: the state is this
        // sequence alone.
        let reset = first.iter().all(|&b| b == b'0');
        self.scratch.clear();
        if !reset {
            let (s, l) = self.pens[self.pen as usize];
            self.scratch
                .extend_from_slice(&self.arena[s as usize..(s + l) as usize]);
        }
        self.scratch.extend_from_slice(&self.seq);
        self.scratch.push(b'm');
        if self.scratch.len() > MAX_LOG {
            return false;
        }
        if reset && self.seq.len() <= 3 {
            // ESC [ m or ESC [ 0 m: the default state.
            if self.seq.len() == 2 || self.seq[2] == b'0' {
                self.pen = 0;
                return true;
            }
        }
        if let Some(&id) = self
            .recent
            .iter()
            .find(|&&id| span(&self.pens, &self.arena, id) == self.scratch.as_slice())
        {
            self.pen = id;
            return true;
        }
        if self.arena.len() > ARENA_COMPACT {
            self.compact();
        }
        let start = self.arena.len() as u32;
        self.arena.extend_from_slice(&self.scratch);
        self.pens.push((start, self.scratch.len() as u32));
        self.pen = (self.pens.len() - 1) as u32;
        self.recent[self.next_recent] = self.pen;
        self.next_recent = (self.next_recent + 1) % self.recent.len();
        true
    }

    /// The EL sequence in `seq` (with its final byte still to add): erases part of the
    /// cursor's row with blanks of the pen in force, as avt's `Line::clear` does. False for
    /// parameters other than 0, 1 and 2.
    fn el(&mut self) -> bool {
        let params = &self.seq[2..];
        if params.len() > 4 || !params.iter().all(u8::is_ascii_digit) {
            return false;
        }
        let mode = params.iter().fold(0u32, |v, &d| v * 10 + (d - b'0') as u32);
        let (cols, col, pen) = (self.cols, self.col, self.pen);
        let row = &mut self.screen[self.row];
        let range = match mode {
            0 => col..cols,
            1 => 0..(col + 1).min(cols),
            2 => 0..cols,
            _ => return false,
        };
        if mode == 2 {
            row.wrapped = false;
        }
        if range.start >= cols {
            // Nothing to erase (the cursor waits past the last column).
            if mode == 0 {
                row.wrapped = false;
            }
            return true;
        }
        if mode == 0 {
            row.wrapped = false;
        }
        let cells = &mut row.cells;
        if range.start == 0 && range.end == cols && pen == row.blank {
            cells.clear();
            return true;
        }
        let need = (range.end + 1).min(cols);
        if cells.len() < need {
            cells.resize(need, blank(row.blank));
        }
        if cells[range.start].width == 0 {
            cells[range.start - 1] = blank(pen);
        }
        if range.end == cols && pen == row.blank {
            cells.truncate(range.start);
            return true;
        }
        cells[range.clone()].fill(blank(pen));
        if let Some(next) = cells.get_mut(range.end)
            && next.width == 0
        {
            *next = blank(pen);
        }
        true
    }

    /// Keeps only the colour states still in use, renumbered.
    fn compact(&mut self) {
        let mut map = vec![u32::MAX; self.pens.len()];
        let mut pens = vec![(0, 0)];
        let mut arena = Vec::new();
        map[0] = 0;
        let mut keep = |id: u32, pens: &mut Vec<(u32, u32)>, arena: &mut Vec<u8>| -> u32 {
            let m = &mut map[id as usize];
            if *m == u32::MAX {
                let (s, l) = self.pens[id as usize];
                pens.push((arena.len() as u32, l));
                arena.extend_from_slice(&self.arena[s as usize..(s + l) as usize]);
                *m = (pens.len() - 1) as u32;
            }
            *m
        };
        self.pen = keep(self.pen, &mut pens, &mut arena);
        for row in self.screen.iter_mut() {
            row.blank = keep(row.blank, &mut pens, &mut arena);
            for c in row.cells.iter_mut() {
                c.pen = keep(c.pen, &mut pens, &mut arena);
            }
        }
        self.recent = [self.pen; 8];
        self.pens = pens;
        self.arena = arena;
    }

    fn print_ascii(&mut self, run: &[u8]) {
        let r = &mut self.screen[self.row];
        if r.cells.len() == self.col && self.col + run.len() <= self.cols {
            let pen = self.pen;
            r.cells.extend(run.iter().map(|&b| Cell {
                ch: b as char,
                width: 1,
                pen,
            }));
            self.col += run.len();
            return;
        }
        for &b in run {
            self.print(b as char, 1);
        }
    }

    /// avt 0.17's `Terminal::print` with auto-wrap on, insert mode off, the full screen as
    /// scroll region.
    fn print(&mut self, ch: char, w: u8) {
        let (cols, pen) = (self.cols, self.pen);
        let n = if self.col < cols {
            print_cell(&mut self.screen[self.row], cols, self.col, ch, w, pen)
        } else {
            0
        };
        if n > 0 {
            self.col += n;
            return;
        }
        self.screen[self.row].wrapped = true;
        if self.row == self.rows - 1 {
            self.scroll_up();
        } else {
            self.row += 1;
        }
        self.col = print_cell(&mut self.screen[self.row], cols, 0, ch, w, pen);
    }

    fn lf(&mut self) {
        if self.row == self.rows - 1 {
            self.scroll_up();
        } else {
            self.row += 1;
            self.col = self.col.min(self.cols - 1);
        }
    }

    /// The top row leaves for the transcript; a blank row of the pen in force comes in.
    fn scroll_up(&mut self) {
        let Some(mut top) = self.screen.pop_front() else {
            return;
        };
        let out = &mut self.out;
        for c in &top.cells {
            if c.width > 0 {
                out.text.push(c.ch);
            }
        }
        if top.wrapped {
            for _ in top.cells.len()..self.cols {
                out.text.push(' ');
            }
        }
        out.ends.push((out.text.len(), top.wrapped));
        top.cells.clear();
        top.blank = self.pen;
        top.wrapped = false;
        self.screen.push_back(top);
    }

    fn pen_bytes(&self, id: u32) -> &[u8] {
        span(&self.pens, &self.arena, id)
    }

    /// Writes this screen into `term`, a terminal of the same size that has seen nothing, so
    /// that it is the terminal avt would be after the same input.
    pub fn replay(&self, term: &mut Terminal) {
        let mut parser = VtParser::new();
        let mut ctl = |term: &mut Terminal, s: &[u8]| {
            for &b in s {
                if let Some(f) = parser.feed(b as char) {
                    term.execute(f);
                }
            }
        };
        let mut buf = Vec::new();
        let mut set_pen = |term: &mut Terminal, ctl: &mut dyn FnMut(&mut Terminal, &[u8]), id| {
            buf.clear();
            buf.extend_from_slice(b"\x1b[0m");
            buf.extend_from_slice(self.pen_bytes(id));
            ctl(term, &buf);
        };
        let cup = |r: usize, c: usize| format!("\x1b[{};{}H", r + 1, c + 1).into_bytes();
        // Rows that scrolled in while a colour was set are blanks of that colour.
        for (r, row) in self.screen.iter().enumerate() {
            if row.blank != 0 {
                ctl(term, &cup(r, 0));
                set_pen(term, &mut ctl, row.blank);
                ctl(term, b"\x1b[2K");
            }
        }
        let mut pen = None;
        let cols = self.cols;
        for (r, row) in self.screen.iter().enumerate() {
            // After a wrapped row the cursor waits at its end: printing wraps, as it did.
            let continues = r > 0 && self.screen[r - 1].wrapped;
            if row.cells.is_empty() && !continues && !row.wrapped {
                continue;
            }
            if !continues {
                ctl(term, &cup(r, 0));
            }
            // A wrapped row is written to its end, so that the cursor waits there, and the
            // row it wraps into takes at least one cell (a blank as it is) to make the wrap.
            let mut cells = row.cells.clone();
            let len = if row.wrapped {
                cols
            } else {
                cells.len().max(continues as usize)
            };
            cells.resize(len.max(cells.len()), blank(row.blank));
            for c in cells.iter().filter(|c| c.width > 0) {
                if pen != Some(c.pen) {
                    set_pen(term, &mut ctl, c.pen);
                    pen = Some(c.pen);
                }
                term.execute(Function::Print(c.ch));
            }
        }
        ctl(term, &cup(self.row, self.col.min(cols - 1)));
        if self.col == cols {
            // A wrap is pending: print the last cell again, which leaves the cursor past it.
            let row = &self.screen[self.row];
            let blank = Cell {
                ch: ' ',
                width: 1,
                pen: row.blank,
            };
            let mut at = cols - 1;
            let mut cell = row.cells.get(at).copied().unwrap_or(blank);
            if cell.width == 0 {
                at -= 1;
                cell = row.cells[at];
                ctl(term, &cup(self.row, at));
            }
            set_pen(term, &mut ctl, cell.pen);
            term.execute(Function::Print(cell.ch));
        }
        set_pen(term, &mut ctl, self.pen);
    }
}

/// The SGR sequences of colour state `id`.
fn span<'a>(pens: &[(u32, u32)], arena: &'a [u8], id: u32) -> &'a [u8] {
    let (s, l) = pens[id as usize];
    &arena[s as usize..(s + l) as usize]
}

/// avt 0.17's width rule: two columns for what Unicode calls wide, one for everything else.
fn width(ch: char) -> u8 {
    if ch.width().unwrap_or(1) == 2 { 2 } else { 1 }
}

fn blank(pen: u32) -> Cell {
    Cell {
        ch: ' ',
        width: 1,
        pen,
    }
}

/// avt 0.17's `Line::print` at `col` (< `cols`): the columns advanced, 0 when a wide
/// character does not fit and must wrap.
fn print_cell(row: &mut Row, cols: usize, col: usize, ch: char, w: u8, pen: u32) -> usize {
    let cells = &mut row.cells;
    if col >= cells.len() {
        // Past what was written: blanks of the row's pen up to here, then the character.
        let b = blank(row.blank);
        cells.resize(col, b);
        if w == 1 {
            cells.push(Cell { ch, width: 1, pen });
            return 1;
        }
        if col == cols - 1 {
            cells.push(blank(pen));
            return 0;
        }
        cells.push(Cell { ch, width: 2, pen });
        cells.push(Cell {
            ch: ' ',
            width: 0,
            pen,
        });
        return 2;
    }
    let need = (col + 3).min(cols);
    if cells.len() < need {
        cells.resize(need, blank(row.blank));
    }
    let right = cols - 1 - col;
    let set = |cells: &mut Vec<Cell>, i: usize, ch: char, width: u8| {
        cells[i] = Cell { ch, width, pen };
    };
    match (cells[col].width, w, right) {
        (1, 1, _) => set(cells, col, ch, 1),
        (1, 2, 0) => {
            set(cells, col, ' ', 1);
            return 0;
        }
        (1, 2, 1) => {
            set(cells, col, ch, 2);
            set(cells, col + 1, ' ', 0);
        }
        (1, 2, _) => {
            set(cells, col, ch, 2);
            if cells[col + 1].width == 2 {
                set(cells, col + 2, ' ', 1);
            }
            set(cells, col + 1, ' ', 0);
        }
        (2, 1, _) => {
            set(cells, col, ch, 1);
            set(cells, col + 1, ' ', 1);
        }
        (2, 2, _) => {
            set(cells, col, ch, 2);
            set(cells, col + 1, ' ', 0);
        }
        (0, 1, _) => {
            set(cells, col - 1, ' ', 1);
            set(cells, col, ch, 1);
        }
        (0, 2, 0) => return 0,
        (0, 2, 1) => {
            set(cells, col + 1, ' ', 1);
            return 0;
        }
        (0, 2, _) => {
            set(cells, col - 1, ' ', 1);
            set(cells, col, ch, 2);
            if cells[col + 1].width == 2 {
                set(cells, col + 2, ' ', 1);
            }
            set(cells, col + 1, ' ', 0);
        }
        _ => unreachable!("a cell is 0, 1 or 2 columns wide"),
    }
    w as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use avt017::parser::State;
    use avt017::util::TextUnwrapper;

    /// What the differential test mixes: text of every width, the controls and sequences
    /// modelled, and some that are not (which hand over).
    const PIECES: &[&str] = &[
        "a",
        "bc",
        "word ",
        "0123456789",
        "\u{7f}",
        "中",
        "😀",
        "é",
        "e\u{301}",
        "\u{3000}",
        " ",
        "  ",
        "\r",
        "\n",
        "\r\n",
        "\x08",
        "\t",
        "\x07",
        "\x0b",
        "\x0c",
        "\x00",
        "\x1b[m",
        "\x1b[0m",
        "\x1b[1m",
        "\x1b[31m",
        "\x1b[0;32m",
        "\x1b[38;5;208m",
        "\x1b[;1m",
        "\x1b[38:2:1:2:3m",
        "\x1b[22m",
        "\x1b[7m",
        "\x1b[44m",
        "\x1b[00m",
        "\x1b[0;44m",
        "\x1b[K",
        "\x1b[0K",
        "\x1b[1K",
        "\x1b[2K",
        "\x1b[3K",
        "\x1b[H",
        "\x1b[2J",
        "\x1b[?1049h",
        "\x1b[5G",
        "\x0e",
        "\u{85}",
        "\x1b[?25l",
        "\x1b]0;t\x07",
        "\x1b(0",
    ];

    /// avt fed the way `Render::emulate` feeds it, collecting rows as they scroll off (before
    /// the alternate screen hides them, as `Render` does).
    fn emulate(term: &mut Terminal, parser: &mut VtParser, s: &str, out: &mut Vec<(String, bool)>) {
        for ch in s.chars() {
            if parser.state == State::Ground && (ch >= '\u{a0}' || (' '..='\u{7f}').contains(&ch)) {
                term.execute(Function::Print(ch));
            } else if let Some(f) = parser.feed(ch) {
                scrolled(term, out);
                term.execute(f);
            }
            scrolled(term, out);
        }
    }

    fn scrolled(term: &mut Terminal, out: &mut Vec<(String, bool)>) {
        for line in term.gc() {
            // A row that does not wrap is trimmed by the transcript, so its blanks may go.
            let wrapped = TextUnwrapper::new().push(&line).is_none();
            let text = line.text();
            out.push((
                if wrapped {
                    text
                } else {
                    text.trim_end().to_string()
                },
                wrapped,
            ));
        }
    }

    fn same(a: &Terminal, b: &Terminal) -> Result<(), String> {
        let (va, vb): (Vec<_>, Vec<_>) = (a.view().collect(), b.view().collect());
        if va != vb {
            return Err(format!("rows differ:\n{va:?}\n{vb:?}"));
        }
        if a.cursor() != b.cursor() {
            return Err(format!("cursor {:?} vs {:?}", a.cursor(), b.cursor()));
        }
        if a.dump() != b.dump() {
            return Err(format!("dump differs:\n{:?}\n{:?}", a.dump(), b.dump()));
        }
        Ok(())
    }

    /// Feeds `chunks` to line assembly and to avt; at the hand-over (or the end) the
    /// replayed terminal must be avt's, and so must everything after it.
    fn check(cols: usize, rows: usize, chunks: &[String]) -> Result<(), String> {
        let mut want = Terminal::new((cols, rows), Some(0));
        let mut want_parser = VtParser::new();
        let mut want_rows = Vec::new();
        let mut lines = Lines::new(cols, rows);
        let mut got: Option<(Terminal, VtParser)> = None;
        let mut got_rows = Vec::new();
        for c in chunks {
            emulate(&mut want, &mut want_parser, c, &mut want_rows);
            let rest = match &mut got {
                Some(_) => c.as_str(),
                None => {
                    let at = lines.feed(c);
                    if let Some(r) = lines.take_rows() {
                        got_rows.extend(r.rows().map(|(t, w)| {
                            (
                                if w {
                                    t.to_string()
                                } else {
                                    t.trim_end().to_string()
                                },
                                w,
                            )
                        }));
                    }
                    match at {
                        None => continue,
                        Some(at) => {
                            let mut t = Terminal::new((cols, rows), Some(0));
                            lines.replay(&mut t);
                            let mut p = VtParser::new();
                            emulate(&mut t, &mut p, lines.held(), &mut got_rows);
                            got = Some((t, p));
                            &c[at..]
                        }
                    }
                }
            };
            let (t, p) = got.as_mut().unwrap();
            emulate(t, p, rest, &mut got_rows);
            same(t, &want)?;
        }
        let t = match got {
            Some((t, _)) => t,
            None => {
                let mut t = Terminal::new((cols, rows), Some(0));
                lines.replay(&mut t);
                let mut p = VtParser::new();
                let mut held = Vec::new();
                emulate(&mut t, &mut p, lines.held(), &mut held);
                if !held.is_empty() {
                    return Err(format!("the replay scrolled: {held:?}"));
                }
                t
            }
        };
        same(&t, &want)?;
        if got_rows != want_rows {
            return Err(format!("scrolled rows:\n{got_rows:?}\n{want_rows:?}"));
        }
        Ok(())
    }

    #[test]
    fn pending_wrap_and_colours_survive_the_hand_over() {
        let chunks = ["\x1b[31mabcd", "\n\x1b[44m\nxy\x1b[Kz中", "\x1b[H"];
        let chunks: Vec<String> = chunks.iter().map(|s| s.to_string()).collect();
        check(4, 2, &chunks).unwrap();
    }

    #[test]
    fn a_sequence_split_at_the_hand_over_goes_to_the_emulator() {
        let chunks: Vec<String> = ["ab\x1b[", "2", "J", "cd"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        check(10, 3, &chunks).unwrap();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn the_replayed_screen_is_avts(
            picks in proptest::collection::vec(
                proptest::collection::vec(0..PIECES.len(), 0..16), 1..10),
            split in 0usize..4,
            cols in 2usize..9,
            rows in 1usize..5,
            late in proptest::bool::ANY,
        ) {
            // Mostly modelled input; some runs only end with what is not.
            let picks: Vec<Vec<usize>> = picks.into_iter().enumerate().map(|(i, p)| {
                if late && i < 6 { p.into_iter().filter(|&k| k < 38).collect() } else { p }
            }).collect();
            let mut chunks: Vec<String> =
                picks.iter().map(|p| p.iter().map(|&k| PIECES[k]).collect()).collect();
            if split > 0 {
                // Cut events inside sequences too (at character boundaries).
                chunks = chunks.iter().flat_map(|c| {
                    let cut: Vec<usize> = c.char_indices().map(|(i, _)| i).step_by(split + 1).collect();
                    let mut parts = Vec::new();
                    let mut last = 0;
                    for &i in cut.iter().skip(1) {
                        parts.push(c[last..i].to_string());
                        last = i;
                    }
                    parts.push(c[last..].to_string());
                    parts
                }).collect();
            }
            if let Err(e) = check(cols, rows, &chunks) {
                return Err(proptest::test_runner::TestCaseError::fail(format!("{chunks:?} at {cols}x{rows}: {e}")));
            }
        }
    }
}
