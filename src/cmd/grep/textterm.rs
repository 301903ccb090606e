//! A terminal that keeps only text: the screen cast-grep reads full-screen output on.
//!
//! cast-grep needs the text of each row and which rows changed, nothing else. avt (which the
//! rest of castkit uses, and whose behaviour this module copies, function by function) keeps
//! a pen of colours and attributes in every cell and is driven a function at a time; fed
//! through [`crate::ansi`]'s tokenizer it ran at 64 MiB/s alone on bench/grep-screen.sh's
//! full-screen recordings and was about 58% of cast-grep's instructions there, which put
//! issue 15's target (100 MiB/s) out of reach. So this is hand-written: a grid of cells, each
//! a character and three flags (first or second half of a wide character, written with a pen
//! other than the default), fed the tokenizer's tokens directly, with a run of ASCII text
//! written into the row a byte to a cell. cast-grep went from 0.87-0.95 to 0.49-0.51 CPU
//! seconds on those 49 MiB in the same runs (see [`super::emu`] for the figures).
//!
//! What it carries out is what avt 0.19 does, with no scrollback (as castkit's emulators are
//! made): printing with wide characters (two cells where unicode-width says two; everything
//! else, combining characters included, takes one, as in avt), pending wrap and autowrap,
//! insert mode, origin mode, the scrolling region, the cursor moves, erasing, inserting and
//! deleting characters and lines, scrolling, tab stops, REP, DECSC/DECRC (avt saves the
//! cursor, pen, origin mode and autowrap, not the charsets), the DEC special graphics set in
//! G0 and G1 with SI/SO, the alternate screen (47, 1047, 1049), RIS, DECSTR, DECALN, and
//! resizing, with avt's reflow of soft-wrapped rows on the primary screen. The pen is kept
//! only as whether it is the default, which is all of it that changes text: avt's reflow
//! trims a row's trailing blanks only where they have the default pen. CSI parameters are
//! read as avt's parser reads them (at most 32, sub-parameters after `:`, numbers wrapping at
//! 16 bits), so a malformed sequence does the same here as there.
//!
//! The test that holds it to avt (`emu.rs`'s `text_screen_matches_avt`) feeds both random
//! mixes of text and sequences (3,000 of them, 73,327 events), cut at random event
//! boundaries, on screens from 2 x 1 to 20 x 8, with resizes between events, and compares
//! every row's text, its soft wrap and the cursor after each event.

use unicode_width::UnicodeWidthChar;

/// The cell is the first half of a wide character.
const HEAD: u8 = 1;
/// The cell is the second half of a wide character (its character is a blank).
const TAIL: u8 = 2;
/// Written with a pen other than the default (colours or attributes).
const PEN: u8 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    ch: char,
    flags: u8,
}

impl Cell {
    #[inline]
    fn blank(pen: u8) -> Cell {
        Cell {
            ch: ' ',
            flags: pen,
        }
    }

    #[inline]
    fn is_tail(self) -> bool {
        self.flags & TAIL != 0
    }

    #[inline]
    fn is_head(self) -> bool {
        self.flags & HEAD != 0
    }

    #[inline]
    fn pen(self) -> u8 {
        self.flags & PEN
    }

    /// A blank with the default pen (what avt trims off a row's end).
    #[inline]
    fn is_default(self) -> bool {
        self.ch == ' ' && self.flags == 0
    }
}

#[derive(Debug, Clone)]
struct Row {
    cells: Vec<Cell>,
    /// The row continues on the next through a soft wrap.
    wrapped: bool,
}

impl Row {
    fn blank(cols: usize, pen: u8) -> Row {
        Row {
            cells: vec![Cell::blank(pen); cols],
            wrapped: false,
        }
    }

    fn reset(&mut self, pen: u8) {
        self.cells.fill(Cell::blank(pen));
        self.wrapped = false;
    }

    /// Blanks `range`, widened to whole wide characters.
    fn clear(&mut self, range: std::ops::Range<usize>, pen: u8) {
        let width = self.cells.len();
        if range.start == width {
            return;
        }
        let mut start = range.start;
        if start < width && self.cells[start].is_tail() {
            start -= 1;
        }
        let mut end = range.end;
        if end < width && self.cells[end].is_tail() {
            end += 1;
        }
        self.cells[start..end].fill(Cell::blank(pen));
    }

    /// Writes `ch` at `col`, mending the wide characters it overlaps. Returns its width, or
    /// None when a wide character does not fit in the last column.
    #[inline]
    fn put(&mut self, col: usize, ch: char, pen: u8) -> Option<usize> {
        let wide = is_wide(ch);
        let right = self.cells.len() - 1 - col;
        if wide && right == 0 {
            return None;
        }
        let here = self.cells[col];
        if here.is_tail() {
            self.cells[col - 1] = Cell::blank(pen);
        } else if here.is_head() && !wide {
            self.cells[col + 1] = Cell::blank(pen);
        }
        if wide {
            self.cells[col] = Cell {
                ch,
                flags: HEAD | pen,
            };
            if !here.is_head() && right >= 2 && self.cells[col + 1].is_head() {
                self.cells[col + 2] = Cell::blank(pen);
            }
            self.cells[col + 1] = Cell {
                ch: ' ',
                flags: TAIL | pen,
            };
            Some(2)
        } else {
            self.cells[col] = Cell { ch, flags: pen };
            Some(1)
        }
    }

    fn shift_right(&mut self, col: usize, n: usize, pen: u8) {
        let col = col.min(self.cells.len() - 1);
        if self.cells[col].is_tail() {
            self.cells[col] = Cell::blank(pen);
            self.cells[col - 1] = Cell::blank(pen);
        }
        self.cells[col..].rotate_right(n);
        if self.cells[col].is_tail() {
            self.cells[col] = Cell::blank(pen);
            *self.cells.last_mut().expect("a row has cells") = Cell::blank(pen);
        }
    }

    fn delete(&mut self, col: usize, n: usize, pen: u8) {
        if self.cells[col].is_tail() {
            self.cells[col - 1] = Cell::blank(pen);
        }
        self.cells[col..].rotate_left(n);
        if self.cells[col].is_tail() {
            self.cells[col] = Cell::blank(pen);
        }
        let len = self.cells.len();
        self.cells[len - n..].fill(Cell::blank(pen));
    }

    fn trailers(&self) -> usize {
        self.cells
            .iter()
            .rev()
            .take_while(|c| c.is_default())
            .count()
    }

    fn expand(&mut self, len: usize) {
        self.cells.resize(len, Cell::blank(0));
    }

    fn last_pen(&self) -> u8 {
        self.cells.last().map_or(0, |c| c.pen())
    }

    /// Resizes without reflow (the alternate screen).
    fn resize(&mut self, len: usize) {
        if len < self.cells.len() {
            let pen = self.cells[len - 1].pen();
            let n = self.cells.len();
            self.clear(len..n, pen);
            self.cells.truncate(len);
        } else {
            self.expand(len);
        }
    }

    /// Cuts the row to `len` cells; what is cut off (if anything) continues it.
    fn contract(&mut self, mut len: usize) -> Option<Row> {
        if len == 1 && self.cells[0].is_head() {
            let pen = self.cells[0].pen();
            self.clear(0..2, pen);
        }
        if !self.wrapped {
            let trimmed = self.cells.len() - self.trailers();
            self.cells.truncate(len.max(trimmed));
        }
        if self.cells.len() <= len {
            return None;
        }
        let boundary = self.cells[len].is_tail();
        if boundary {
            len -= 1;
        }
        let rest = Row {
            cells: self.cells.split_off(len),
            wrapped: self.wrapped,
        };
        if boundary {
            let pen = self.last_pen();
            self.cells.push(Cell::blank(pen));
        }
        self.wrapped = true;
        Some(rest)
    }

    /// Fills the row up to `len` cells from `other`, the row it continues on (if it wraps);
    /// what is left of `other` is returned.
    fn extend(&mut self, mut other: Row, len: usize) -> Option<Row> {
        let mut needed = len - self.cells.len();
        if !self.wrapped {
            self.expand(len);
            return Some(other);
        }
        if !other.wrapped {
            let n = other.cells.len() - other.trailers();
            other.cells.truncate(n);
        }
        if needed < other.cells.len() {
            if other.cells[needed].is_tail() {
                needed -= 1;
                let pen = self.last_pen();
                self.cells.push(Cell::blank(pen));
            }
            self.cells.extend_from_slice(&other.cells[..needed]);
            other.cells.drain(..needed);
            return Some(other);
        }
        self.cells.extend_from_slice(&other.cells);
        if !other.wrapped {
            self.wrapped = false;
            self.expand(len);
        }
        None
    }
}

/// avt's width: two cells only for what unicode-width calls wide.
#[inline]
fn is_wide(ch: char) -> bool {
    ch > '\u{7e}' && ch.width() == Some(2)
}

/// The DEC special graphics set, for 0x60..=0x7E.
const GRAPHICS: [char; 31] = [
    '♦', '▒', '␉', '␌', '␍', '␊', '°', '±', '␤', '␋', '┘', '┐', '┌', '└', '┼', '⎺', '⎻', '─', '⎼',
    '⎽', '├', '┤', '┴', '┬', '│', '≤', '≥', 'π', '≠', '£', '⋅',
];

#[inline]
fn graphic(ch: char) -> char {
    match ch {
        '\u{60}'..='\u{7e}' => GRAPHICS[ch as usize - 0x60],
        _ => ch,
    }
}

/// Pen bits: the pen is the default when none is set.
const P_INTENSITY: u8 = 1;
const P_FG: u8 = 2;
const P_BG: u8 = 4;
const P_ITALIC: u8 = 8;
const P_UNDERLINE: u8 = 16;
const P_BLINK: u8 = 32;
const P_INVERSE: u8 = 64;
const P_STRIKE: u8 = 128;

#[derive(Debug, Clone, Copy)]
struct Saved {
    col: usize,
    row: usize,
    pen: u8,
    origin: bool,
    autowrap: bool,
}

impl Default for Saved {
    fn default() -> Saved {
        Saved {
            col: 0,
            row: 0,
            pen: 0,
            origin: false,
            autowrap: true,
        }
    }
}

/// The most CSI parameters avt keeps (more are read into the last), and sub-parameters.
const PARAMS: usize = 32;
const PARTS: usize = 6;

/// A CSI's parameters, read as avt's parser reads them.
struct Params {
    parts: [[u16; PARTS]; PARAMS],
    /// Index of the last part of each parameter.
    last: [u8; PARAMS],
    /// Parameters (at least one).
    n: usize,
}

impl Params {
    #[inline]
    fn get(&self, i: usize) -> u16 {
        if i < self.n { self.parts[i][0] } else { 0 }
    }

    #[inline]
    fn parts(&self, i: usize) -> &[u16] {
        &self.parts[i][..=self.last[i] as usize]
    }
}

/// What a CSI's body makes of it in avt's parser: the intermediate (or private marker) it
/// keeps, the last one, with the parameters; None when the parser ignores the sequence.
#[inline]
fn read_params(body: &[u8], ps: &mut Params) -> Option<Option<u8>> {
    #[derive(PartialEq)]
    enum S {
        Entry,
        Param,
        Inter,
    }
    let mut s = S::Entry;
    let mut inter = None;
    let mut k = 0;
    ps.parts[0] = [0; PARTS];
    ps.last[0] = 0;
    for &b in body {
        match (&s, b) {
            (S::Entry | S::Param, b'0'..=b'9') => {
                s = S::Param;
                let p = &mut ps.parts[k][ps.last[k] as usize];
                *p = p.wrapping_mul(10).wrapping_add(u16::from(b - b'0'));
            }
            (S::Entry | S::Param, b';') => {
                s = S::Param;
                if k + 1 < PARAMS {
                    k += 1;
                    ps.parts[k] = [0; PARTS];
                    ps.last[k] = 0;
                }
            }
            (S::Param, b':') => ps.last[k] = (ps.last[k] + 1).min(PARTS as u8 - 1),
            (S::Entry, b'<'..=b'?') => {
                s = S::Param;
                inter = Some(b);
            }
            (S::Entry | S::Param | S::Inter, 0x20..=0x2f) => {
                s = S::Inter;
                inter = Some(b);
            }
            _ => return None,
        }
    }
    ps.n = k + 1;
    Some(inter)
}

/// A text-only terminal; see the module docs.
pub struct TextTerm {
    cols: usize,
    rows: usize,
    primary: Vec<Row>,
    alternate: Vec<Row>,
    alt: bool,
    col: usize,
    row: usize,
    visible: bool,
    /// Where the cursor was on the primary screen while the alternate one shows.
    primary_cursor: (usize, usize),
    pen: u8,
    /// G0 and G1 hold the special graphics set.
    drawing: [bool; 2],
    shifted: usize,
    tabs: Vec<usize>,
    insert: bool,
    origin: bool,
    autowrap: bool,
    newline: bool,
    top: usize,
    bottom: usize,
    saved: [Saved; 2],
    dirty: Vec<bool>,
    any_dirty: bool,
    params: Option<Box<Params>>,
}

impl std::fmt::Debug for TextTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTerm")
            .field("size", &(self.cols, self.rows))
            .field("cursor", &(self.col, self.row))
            .finish_non_exhaustive()
    }
}

fn default_tabs(cols: usize) -> Vec<usize> {
    (8..cols).step_by(8).collect()
}

/// avt's reading of a count: 0 means the default.
#[inline]
fn count(n: u16, default: usize) -> usize {
    if n == 0 { default } else { n as usize }
}

impl TextTerm {
    /// A blank terminal of `cols` x `rows` (at least 1 x 1).
    pub fn new(cols: usize, rows: usize) -> TextTerm {
        assert!(cols > 0 && rows > 0, "terminal size must be at least 1x1");
        TextTerm {
            cols,
            rows,
            primary: vec![Row::blank(cols, 0); rows],
            alternate: Vec::new(),
            alt: false,
            col: 0,
            row: 0,
            visible: true,
            primary_cursor: (0, 0),
            pen: 0,
            drawing: [false; 2],
            shifted: 0,
            tabs: default_tabs(cols),
            insert: false,
            origin: false,
            autowrap: true,
            newline: false,
            top: 0,
            bottom: rows - 1,
            saved: [Saved::default(); 2],
            dirty: vec![false; rows],
            any_dirty: false,
            params: Some(Box::new(Params {
                parts: [[0; PARTS]; PARAMS],
                last: [0; PARAMS],
                n: 1,
            })),
        }
    }

    /// Columns and rows.
    pub fn size(&self) -> (usize, usize) {
        (self.cols, self.rows)
    }

    /// The cursor's column (the number of columns while a wrap is pending) and row.
    pub fn cursor(&self) -> (usize, usize) {
        (self.col, self.row)
    }

    /// Whether the cursor is shown (DECTCEM).
    pub fn cursor_visible(&self) -> bool {
        self.visible
    }

    /// True while the alternate screen shows.
    pub fn is_alternate(&self) -> bool {
        self.alt
    }

    /// Whether any row was marked as changed since the last call, which clears the flag (not
    /// the rows' marks, see [`TextTerm::take_row_changed`]). The marks are a superset of the
    /// rows whose text changed.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.any_dirty)
    }

    /// Whether row `r` was marked as changed; clears its mark.
    pub fn take_row_changed(&mut self, r: usize) -> bool {
        std::mem::take(&mut self.dirty[r])
    }

    /// The text of row `r` without trailing blanks, into `buf` (cleared first). A row of
    /// ASCII (no wide characters, so no second halves to skip) is copied a cell to a byte.
    pub fn row_text(&self, r: usize, buf: &mut String) {
        buf.clear();
        let cells = &self.buf()[r].cells;
        let Some(last) = cells.iter().rposition(|c| c.ch != ' ') else {
            return;
        };
        let cells = &cells[..=last];
        // Pushed as characters. Building bytes and checking them as UTF-8 afterwards, each
        // time a key makes its row's text anew, made cast-grep -c -F error take 0.95 s on
        // bench/run.sh's typing-heavy file, against 0.77 s now.
        if cells.iter().all(|c| c.ch.is_ascii()) {
            buf.extend(cells.iter().map(|c| c.ch));
        } else {
            buf.extend(cells.iter().filter(|c| !c.is_tail()).map(|c| c.ch));
        }
        buf.truncate(buf.trim_end().len());
    }

    /// Whether row `r` continues on the next through a soft wrap.
    #[cfg(test)]
    pub fn row_wrapped(&self, r: usize) -> bool {
        self.buf()[r].wrapped
    }

    #[inline]
    fn buf(&self) -> &Vec<Row> {
        if self.alt {
            &self.alternate
        } else {
            &self.primary
        }
    }

    #[inline]
    fn buf_mut(&mut self) -> &mut Vec<Row> {
        if self.alt {
            &mut self.alternate
        } else {
            &mut self.primary
        }
    }

    #[inline]
    fn mark(&mut self, r: usize) {
        self.dirty[r] = true;
        self.any_dirty = true;
    }

    fn mark_range(&mut self, r: std::ops::Range<usize>) {
        self.dirty[r].fill(true);
        self.any_dirty = true;
    }

    #[inline]
    fn pen_flag(&self) -> u8 {
        if self.pen == 0 { 0 } else { PEN }
    }

    // Printing.

    /// Prints a run of text (no controls in it).
    pub fn print_str(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] < 0x80 && !self.insert && self.col < self.cols {
                // Printable ASCII over single cells: one byte, one cell.
                let drawing = self.drawing[self.shifted];
                let pen = self.pen_flag();
                let (cols, autowrap) = (self.cols, self.autowrap);
                let row = self.row;
                let mut col = self.col;
                let cells = if self.alt {
                    &mut self.alternate[row].cells
                } else {
                    &mut self.primary[row].cells
                };
                while i < b.len() && b[i] < 0x80 && col < cols {
                    let c = &mut cells[col];
                    if c.flags & (HEAD | TAIL) != 0 {
                        break;
                    }
                    let ch = char::from(b[i]);
                    c.ch = if drawing { graphic(ch) } else { ch };
                    c.flags = pen;
                    col += 1;
                    i += 1;
                    if col == cols && !autowrap {
                        col = cols - 1;
                    }
                }
                self.col = col;
                self.mark(row);
                if i >= b.len() {
                    break;
                }
            }
            let ch = s[i..].chars().next().expect("on a character boundary");
            i += ch.len_utf8();
            self.print(ch);
        }
    }

    fn print(&mut self, ch: char) {
        let ch = if self.drawing[self.shifted] {
            graphic(ch)
        } else {
            ch
        };
        match self.try_print(ch) {
            Some(w) => {
                self.col += w;
                if self.col == self.cols && !self.autowrap {
                    self.col = self.cols - 1;
                }
            }
            None if self.autowrap => self.wrap_and_print(ch),
            None => self.print_at_line_end(ch),
        }
        self.mark(self.row);
    }

    fn try_print(&mut self, ch: char) -> Option<usize> {
        if self.col >= self.cols {
            return None;
        }
        let (col, row, pen) = (self.col, self.row, self.pen_flag());
        if self.insert {
            // Marked here: a wide character that then does not fit is printed on the next
            // row, and only that one is marked after (avt misses this row).
            self.buf_mut()[row].shift_right(col, 1, pen);
            self.mark(row);
        }
        self.buf_mut()[row].put(col, ch, pen)
    }

    fn wrap_and_print(&mut self, ch: char) {
        let pen = self.pen_flag();
        let row = self.row;
        if row == self.bottom {
            self.buf_mut()[row].wrapped = true;
            let range = self.top..self.bottom + 1;
            self.scroll_up_keeping_wrap(range.clone(), 1, pen);
            self.mark_range(range);
        } else if row < self.rows - 1 {
            self.buf_mut()[row].wrapped = true;
            self.row += 1;
        }
        let row = self.row;
        self.col = self.buf_mut()[row].put(0, ch, pen).unwrap_or(0);
    }

    fn print_at_line_end(&mut self, ch: char) {
        let (row, pen) = (self.row, self.pen_flag());
        if self.col > 0 {
            let col = self.col - 1;
            let line = &mut self.buf_mut()[row];
            if line.put(col, ch, pen).is_none() && col > 0 {
                line.put(col - 1, ch, pen);
            }
        }
        self.col = self.cols - 1;
    }

    // Cursor.

    fn move_col(&mut self, col: usize) {
        self.col = col.min(self.cols - 1);
    }

    /// Moves to `row` of the region origin mode addresses.
    fn move_row(&mut self, row: usize) {
        let (top, bottom) = if self.origin {
            (self.top, self.bottom)
        } else {
            (0, self.rows - 1)
        };
        self.set_row((top + row).max(top).min(bottom));
    }

    fn set_row(&mut self, row: usize) {
        self.col = self.col.min(self.cols - 1);
        self.row = row;
    }

    fn rel_col(&mut self, d: isize) {
        let c = self.col as isize + d;
        self.col = c.clamp(0, self.cols as isize - 1) as usize;
    }

    fn home(&mut self) {
        self.col = 0;
        self.set_row(if self.origin { self.top } else { 0 });
    }

    fn down_with_scroll(&mut self) {
        if self.row == self.bottom {
            let pen = self.pen_flag();
            self.scroll_up(self.top..self.bottom + 1, 1, pen);
        } else if self.row < self.rows - 1 {
            self.set_row(self.row + 1);
        }
    }

    fn cursor_down(&mut self, n: usize) {
        let limit = if self.row > self.bottom {
            self.rows - 1
        } else {
            self.bottom
        };
        self.set_row(limit.min(self.row.saturating_add(n)));
    }

    fn cursor_up(&mut self, n: usize) {
        let floor = if self.row < self.top { 0 } else { self.top };
        self.set_row(self.row.saturating_sub(n).max(floor));
    }

    fn tab_after(&self, n: usize) -> usize {
        self.tabs
            .iter()
            .skip_while(|&&t| self.col >= t)
            .nth(n - 1)
            .copied()
            .unwrap_or(self.cols - 1)
    }

    fn tab_before(&self, n: usize) -> usize {
        self.tabs
            .iter()
            .rev()
            .skip_while(|&&t| self.col <= t)
            .nth(n - 1)
            .copied()
            .unwrap_or(0)
    }

    fn set_tab(&mut self) {
        let c = self.col;
        if 0 < c
            && c < self.cols
            && let Err(k) = self.tabs.binary_search(&c)
        {
            self.tabs.insert(k, c);
        }
    }

    fn clear_tab(&mut self) {
        if let Ok(k) = self.tabs.binary_search(&self.col) {
            self.tabs.remove(k);
        }
    }

    fn save_cursor(&mut self) {
        let s = Saved {
            col: self.col.min(self.cols - 1),
            row: self.row,
            pen: self.pen,
            origin: self.origin,
            autowrap: self.autowrap,
        };
        self.saved[usize::from(self.alt)] = s;
    }

    fn restore_cursor(&mut self) {
        let s = self.saved[usize::from(self.alt)];
        (self.col, self.row, self.pen) = (s.col, s.row, s.pen);
        (self.origin, self.autowrap) = (s.origin, s.autowrap);
    }

    // Scrolling.

    /// Scrolls `range` up by `n`; the row above it and (inside the screen) its last row no
    /// longer wrap.
    fn scroll_up(&mut self, range: std::ops::Range<usize>, n: usize, pen: u8) {
        if range.end < self.rows {
            self.buf_mut()[range.end - 1].wrapped = false;
        }
        self.scroll_up_keeping_wrap(range, n, pen);
    }

    fn scroll_up_keeping_wrap(&mut self, range: std::ops::Range<usize>, n: usize, pen: u8) {
        let n = n.min(range.len());
        let (start, end) = (range.start, range.end);
        let buf = self.buf_mut();
        if start > 0 {
            buf[start - 1].wrapped = false;
        }
        buf[start..end].rotate_left(n);
        for r in &mut buf[end - n..end] {
            r.reset(pen);
        }
        self.mark_range(range);
    }

    fn scroll_down(&mut self, range: std::ops::Range<usize>, n: usize, pen: u8) {
        let n = n.min(range.len());
        let (start, end) = (range.start, range.end);
        let buf = self.buf_mut();
        buf[start..end].rotate_right(n);
        for r in &mut buf[start..start + n] {
            r.reset(pen);
        }
        if start > 0 {
            buf[start - 1].wrapped = false;
        }
        buf[end - 1].wrapped = false;
        self.mark_range(range);
    }

    /// The rows IL and DL work on.
    fn line_range(&self) -> std::ops::Range<usize> {
        if self.row <= self.bottom {
            self.row..self.bottom + 1
        } else {
            self.row..self.rows
        }
    }

    // Screens and resets.

    fn enter_alternate(&mut self) {
        if !self.alt {
            self.primary_cursor = (self.col, self.row);
            self.alt = true;
            self.alternate = vec![Row::blank(self.cols, self.pen_flag()); self.rows];
            self.mark_range(0..self.rows);
        }
    }

    fn leave_alternate(&mut self) {
        if self.alt {
            self.alt = false;
            self.mark_range(0..self.rows);
        }
    }

    fn soft_reset(&mut self) {
        self.visible = true;
        self.top = 0;
        self.bottom = self.rows - 1;
        self.insert = false;
        self.origin = false;
        self.pen = 0;
        self.drawing = [false; 2];
        self.shifted = 0;
        self.saved[usize::from(self.alt)] = Saved::default();
    }

    fn hard_reset(&mut self) {
        *self = TextTerm::new(self.cols, self.rows);
        self.mark_range(0..self.rows);
    }

    /// Resizes to `cols` x `rows` (at least 1 x 1), reflowing the primary screen's
    /// soft-wrapped rows to the new width as avt does.
    pub fn resize(&mut self, cols: usize, rows: usize) {
        let (cols, rows) = (cols.max(1), rows.max(1));
        if (cols, rows) == (self.cols, self.rows) {
            return;
        }
        if cols < self.cols {
            let k = self.tabs.partition_point(|&t| t < cols);
            self.tabs.truncate(k);
        } else if cols > self.cols {
            let start = self.cols + 8 - self.cols % 8;
            self.tabs.extend((start..cols).step_by(8));
        }
        if rows != self.rows {
            self.top = 0;
            self.bottom = rows - 1;
        }
        let old = (self.cols, self.rows);
        self.cols = cols;
        self.rows = rows;
        let cursor = (self.col, self.row);
        if self.alt {
            (self.col, self.row) =
                resize_rows(&mut self.alternate, old, (cols, rows), cursor, false);
            self.primary_cursor = resize_rows(
                &mut self.primary,
                old,
                (cols, rows),
                self.primary_cursor,
                true,
            );
        } else {
            (self.col, self.row) = resize_rows(&mut self.primary, old, (cols, rows), cursor, true);
        }
        for s in &mut self.saved {
            s.col = s.col.min(cols - 1);
            s.row = s.row.min(rows - 1);
        }
        self.dirty.clear();
        self.dirty.resize(rows, true);
        self.any_dirty = true;
    }

    // The tokenizer's tokens.

    /// A C0 or C1 control (DEL is printed, as avt's parser does).
    pub fn control(&mut self, b: u8) {
        match b {
            0x08 => {
                let d = if self.col == self.cols { -2 } else { -1 };
                self.rel_col(d);
            }
            0x09 => {
                let t = self.tab_after(1);
                self.move_col(t);
            }
            0x0a..=0x0c | 0x84 => {
                self.down_with_scroll();
                if self.newline {
                    self.col = 0;
                }
            }
            0x0d => self.col = 0,
            0x0e => self.shifted = 1,
            0x0f => self.shifted = 0,
            0x85 => {
                self.down_with_scroll();
                self.col = 0;
            }
            0x88 => self.set_tab(),
            0x8d => self.ri(),
            0x7f => self.print('\u{7f}'),
            _ => {}
        }
    }

    fn ri(&mut self) {
        if self.row == self.top {
            let pen = self.pen_flag();
            self.scroll_down(self.top..self.bottom + 1, 1, pen);
        } else if self.row > 0 {
            self.move_row(self.row - 1);
        }
    }

    /// `ESC`, intermediates, final byte.
    pub fn esc(&mut self, inter: &[u8], fin: u8) {
        match (inter.last(), fin) {
            (None, b'@'..=b'_') => self.control(fin + 0x40),
            (None, b'7') => self.save_cursor(),
            (None, b'8') => self.restore_cursor(),
            (None, b'c') => self.hard_reset(),
            (Some(b'#'), b'8') => {
                for r in self.buf_mut() {
                    for c in 0..r.cells.len() {
                        r.put(c, 'E', 0);
                    }
                }
                self.mark_range(0..self.rows);
            }
            (Some(b'('), _) => self.drawing[0] = fin == b'0',
            (Some(b')'), _) => self.drawing[1] = fin == b'0',
            _ => {}
        }
    }

    /// A control sequence: `body` holds its parameter and intermediate bytes.
    pub fn csi(&mut self, body: &[u8], fin: u8) {
        // Taken out for the call, so the dispatch can borrow it beside the screen.
        let mut ps = self.params.take().expect("parameters are put back");
        if let Some(inter) = read_params(body, &mut ps) {
            self.dispatch(inter, fin, &ps);
        }
        self.params = Some(ps);
    }

    fn dispatch(&mut self, inter: Option<u8>, fin: u8, ps: &Params) {
        let p0 = ps.get(0);
        let pen = self.pen_flag();
        match (inter, fin) {
            (None, b'@') => {
                if self.col == self.cols {
                    self.col = self.cols - 1;
                }
                let n = count(p0, 1).min(self.cols - self.col);
                let (col, row) = (self.col, self.row);
                let line = &mut self.buf_mut()[row];
                line.shift_right(col, n, pen);
                for c in col..col + n {
                    line.put(c, ' ', pen);
                }
                self.mark(row);
            }
            (None, b'A') => self.cursor_up(count(p0, 1)),
            (None, b'B') | (None, b'e') => self.cursor_down(count(p0, 1)),
            (None, b'C') | (None, b'a') => self.rel_col(count(p0, 1) as isize),
            (None, b'D') => {
                let mut d = -(count(p0, 1) as isize);
                if self.col == self.cols {
                    d -= 1;
                }
                self.rel_col(d);
            }
            (None, b'E') => {
                self.cursor_down(count(p0, 1));
                self.col = 0;
            }
            (None, b'F') => {
                self.cursor_up(count(p0, 1));
                self.col = 0;
            }
            (None, b'G') | (None, b'`') => self.move_col(count(p0, 1) - 1),
            (None, b'H') | (None, b'f') => {
                self.move_col(count(ps.get(1), 1) - 1);
                self.move_row(count(p0, 1) - 1);
            }
            (None, b'I') => {
                let t = self.tab_after(count(p0, 1));
                self.move_col(t);
            }
            (None, b'J') => self.ed(p0, pen),
            (None, b'K') => {
                let (col, row, cols) = (self.col, self.row, self.cols);
                let line = &mut self.buf_mut()[row];
                match p0 {
                    0 => {
                        line.clear(col..cols, pen);
                        line.wrapped = false;
                    }
                    1 => line.clear(0..(col + 1).min(cols), pen),
                    2 => {
                        line.clear(0..cols, pen);
                        line.wrapped = false;
                    }
                    _ => return,
                }
                self.mark(row);
            }
            (None, b'L') => {
                let range = self.line_range();
                self.scroll_down(range, count(p0, 1), pen);
            }
            (None, b'M') => {
                let range = self.line_range();
                self.scroll_up(range, count(p0, 1), pen);
            }
            (None, b'P') => {
                if self.col >= self.cols {
                    self.move_col(self.cols - 1);
                }
                let (col, row) = (self.col, self.row);
                let n = count(p0, 1).min(self.cols - col);
                let line = &mut self.buf_mut()[row];
                line.delete(col, n, pen);
                line.wrapped = false;
                self.mark(row);
            }
            (None, b'S') => self.scroll_up(self.top..self.bottom + 1, count(p0, 1), pen),
            (None, b'T') => self.scroll_down(self.top..self.bottom + 1, count(p0, 1), pen),
            (None, b'W') => match p0 {
                0 => self.set_tab(),
                2 => self.clear_tab(),
                5 => self.tabs.clear(),
                _ => {}
            },
            (None, b'X') => {
                let (col, row) = (self.col, self.row);
                let end = col + count(p0, 1).min(self.cols - col);
                let cols = self.cols;
                let line = &mut self.buf_mut()[row];
                line.clear(col..end, pen);
                if end == cols {
                    line.wrapped = false;
                }
                self.mark(row);
            }
            (None, b'Z') => {
                let t = self.tab_before(count(p0, 1));
                self.move_col(t);
            }
            (None, b'b') if self.col > 0 => {
                let cells = &self.buf()[self.row].cells;
                let mut c = self.col - 1;
                while c > 0 && cells[c].is_tail() {
                    c -= 1;
                }
                let ch = cells[c].ch;
                for _ in 0..count(p0, 1) {
                    self.print(ch);
                }
            }
            (None, b'd') => self.move_row(count(p0, 1) - 1),
            (None, b'g') => match p0 {
                0 => self.clear_tab(),
                3 => self.tabs.clear(),
                _ => {}
            },
            (None, b'h' | b'l') => {
                let on = fin == b'h';
                for i in 0..ps.n {
                    match ps.get(i) {
                        4 => self.insert = on,
                        20 => self.newline = on,
                        _ => {}
                    }
                }
            }
            (None, b'm') => self.sgr(ps),
            (None, b'r') => {
                let top = count(p0, 1) - 1;
                let bottom = count(ps.get(1), self.rows) - 1;
                if top < bottom && bottom < self.rows {
                    self.top = top;
                    self.bottom = bottom;
                }
                self.home();
            }
            (None, b's') => self.save_cursor(),
            (None, b'u') => self.restore_cursor(),
            (Some(b'!'), b'p') => self.soft_reset(),
            (Some(b'?'), b'h' | b'l') => {
                let on = fin == b'h';
                for i in 0..ps.n {
                    self.dec_mode(ps.get(i), on);
                }
            }
            _ => {}
        }
    }

    fn ed(&mut self, p0: u16, pen: u8) {
        let (col, row, cols, rows) = (self.col, self.row, self.cols, self.rows);
        let buf = self.buf_mut();
        match p0 {
            0 => {
                buf[row].wrapped = false;
                buf[row].clear(col..cols, pen);
                for r in &mut buf[row + 1..] {
                    r.reset(pen);
                }
                self.mark_range(row..rows);
            }
            1 => {
                buf[row].clear(0..(col + 1).min(cols), pen);
                for r in &mut buf[..row] {
                    r.reset(pen);
                }
                self.mark_range(0..row + 1);
            }
            2 => {
                for r in buf.iter_mut() {
                    r.reset(pen);
                }
                self.mark_range(0..rows);
            }
            _ => {}
        }
    }

    fn dec_mode(&mut self, mode: u16, on: bool) {
        match (mode, on) {
            (6, _) => {
                self.origin = on;
                self.home();
            }
            (7, _) => self.autowrap = on,
            (25, _) => self.visible = on,
            (47 | 1047, true) => self.enter_alternate(),
            (47 | 1047, false) => self.leave_alternate(),
            (1048, true) => self.save_cursor(),
            (1048, false) => self.restore_cursor(),
            (1049, true) => {
                self.save_cursor();
                self.enter_alternate();
            }
            (1049, false) => {
                self.leave_alternate();
                self.restore_cursor();
            }
            _ => {}
        }
    }

    /// SGR, kept only as which parts of the pen are set; the parameters are walked as avt's
    /// decoder walks them (a colour takes the parameters it reads).
    fn sgr(&mut self, ps: &Params) {
        let mut i = 0;
        let pen = &mut self.pen;
        while i < ps.n {
            let mut step = 1;
            match ps.parts(i) {
                [0] => *pen = 0,
                [1] | [2] => *pen |= P_INTENSITY,
                [3] => *pen |= P_ITALIC,
                [4] => *pen |= P_UNDERLINE,
                [5] => *pen |= P_BLINK,
                [7] => *pen |= P_INVERSE,
                [9] => *pen |= P_STRIKE,
                [21] | [22] => *pen &= !P_INTENSITY,
                [23] => *pen &= !P_ITALIC,
                [24] => *pen &= !P_UNDERLINE,
                [25] => *pen &= !P_BLINK,
                [27] => *pen &= !P_INVERSE,
                [29] => *pen &= !P_STRIKE,
                [30..=37] | [90..=97] | [38, 2, _, _, _] | [38, 2, _, _, _, _] | [38, 5, _] => {
                    *pen |= P_FG
                }
                [40..=47] | [100..=107] | [48, 2, _, _, _] | [48, 2, _, _, _, _] | [48, 5, _] => {
                    *pen |= P_BG
                }
                [39] => *pen &= !P_FG,
                [49] => *pen &= !P_BG,
                [c @ (38 | 48)] => {
                    let bit = if *c == 38 { P_FG } else { P_BG };
                    if i + 1 < ps.n {
                        match ps.parts(i + 1) {
                            [2] if i + 4 < ps.n => {
                                *pen |= bit;
                                step = 5;
                            }
                            [5] if i + 2 < ps.n => {
                                *pen |= bit;
                                step = 3;
                            }
                            [2] | [5] => step = 2,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
            i += step;
        }
    }
}

/// Resizes a screen's rows from `old` to `new` (columns, rows), with avt's reflow when
/// `reflow` is set; returns where the cursor goes. The screen keeps exactly `new.1` rows
/// (rows pushed off the top are dropped: there is no scrollback).
fn resize_rows(
    lines: &mut Vec<Row>,
    old: (usize, usize),
    new: (usize, usize),
    mut cursor: (usize, usize),
    reflow: bool,
) -> (usize, usize) {
    let (old_cols, mut old_rows) = old;
    let (new_cols, new_rows) = new;
    if new_cols != old_cols && reflow {
        // The cursor's place in the logical line it is on.
        let mut log_col = 0;
        let mut log_row = 0;
        for line in lines.iter().take(cursor.1) {
            if line.wrapped {
                log_col += old_cols;
            } else {
                log_col = 0;
                log_row += 1;
            }
        }
        let log = (cursor.0 + log_col, log_row);
        *lines = reflow_rows(std::mem::take(lines), new_cols);
        if lines.len() < old_rows {
            lines.resize(old_rows, Row::blank(new_cols, 0));
        }
        let (mut col, mut r, mut k) = (log.0, 0, 0);
        while k < log.1 {
            if !lines[r].wrapped {
                k += 1;
            }
            r += 1;
        }
        while col >= new_cols && lines[r].wrapped {
            col -= new_cols;
            r += 1;
        }
        cursor.0 = col.min(new_cols - 1);
        let offset = lines.len() - old_rows;
        if r >= offset {
            cursor.1 = r - offset;
        } else {
            cursor.1 = 0;
            old_rows += offset - r;
        }
    } else if new_cols != old_cols {
        for line in lines.iter_mut() {
            line.resize(new_cols);
        }
        cursor.0 = cursor.0.min(new_cols - 1);
    }
    let count = lines.len();
    if new_rows < old_rows {
        let delta = old_rows - new_rows;
        let excess = delta.min(old_rows - 1 - cursor.1);
        if excess > 0 {
            lines.truncate(count - excess);
            lines.last_mut().expect("rows left").wrapped = false;
        }
        cursor.1 -= delta - excess;
    } else if new_rows > old_rows {
        let mut delta = new_rows - old_rows;
        let shift = (count - old_rows).min(delta);
        delta -= shift;
        cursor.1 += shift;
        if delta > 0 {
            lines.resize(lines.len() + delta, Row::blank(new_cols, 0));
        }
    }
    let extra = lines.len() - new_rows;
    lines.drain(..extra);
    cursor
}

/// avt's reflow: logical lines (rows joined by soft wraps) cut again at `cols`.
fn reflow_rows(rows: Vec<Row>, cols: usize) -> Vec<Row> {
    let mut out = Vec::with_capacity(rows.len());
    let mut iter = rows.into_iter();
    let mut rest: Option<Row> = None;
    while let Some(mut line) = rest.take().or_else(|| iter.next()) {
        match cols.cmp(&line.cells.len()) {
            std::cmp::Ordering::Less => {
                rest = line.contract(cols);
                out.push(line);
            }
            std::cmp::Ordering::Equal => out.push(line),
            std::cmp::Ordering::Greater => match iter.next() {
                Some(next) => {
                    rest = line.extend(next, cols);
                    if line.cells.len() == cols {
                        out.push(line);
                    } else {
                        rest = Some(line);
                    }
                }
                None => {
                    line.expand(cols);
                    line.wrapped = false;
                    out.push(line);
                }
            },
        }
    }
    out
}
