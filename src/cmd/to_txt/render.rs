//! The emulated transcript.
//!
//! Two halves that can run on two threads. [`Render`] drives the terminal emulator: it feeds
//! it the output, looks at every parsed operation before it runs, and hands over [`Item`]s:
//! each row that scrolled off the top of the primary screen, and a copy of the screen before
//! an operation destroys or hides it (a clear, a reset, entering or leaving the alternate
//! screen) and at the end. [`Transcript`] turns items into text: it joins wrapped rows, trims
//! trailing blanks, and puts each snapshot of the alternate screen in its place.
//!
//! Until the output does something beyond writing lines (text, colours, `\r`, `\n`, erasing
//! in the line, backspace, tab), the screen is kept by line assembly ([`super::lines`]),
//! which does what avt would for those at a fraction of the cost and hands its rows over as
//! text; from the first other sequence on, the emulator runs, given the same screen.
//!
//! The emulator is avt 0.17, the version asciinema 3.2 converts with, so that output matches
//! `asciinema convert -f txt` by construction where neither loses text. Its parser state is
//! public, which lets plain text skip the parser; with the printing it leaves, it runs about
//! twice as fast as avt 0.19 on typical output. It keeps no scrollback here: rows that scroll
//! off are collected after each event (or each character, with timestamps) and moved, not
//! copied, into items. On two threads, the batches of items come back to the emulator's
//! thread to be freed where they were allocated: freeing a row on the other thread made the
//! two contend for the allocator's lock on every line.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender};

use avt017::Line;
use avt017::parser::{DecMode, EdScope, Function, Parser as VtParser, State};
use avt017::terminal::{BufferType, Terminal};
use avt017::util::TextUnwrapper;

use super::lines::{Lines, RowTexts};
use super::{ALT_BEGIN, ALT_END, AltScreen, MAX_COLS, MAX_ROWS, Mode, Options, put_line};
use crate::event::{self, Code, EventRecord};
use crate::time::Micros;

/// Rows of a screen with the time each first got text (empty without timestamps).
pub struct Screen {
    rows: Vec<Line>,
    stamps: Vec<Option<Micros>>,
}

/// What the emulator hands to the transcript, in order.
pub enum Item {
    /// A row scrolled off the top of the primary screen, with the time it got text.
    Row(Line, Option<Micros>),
    /// Rows scrolled off the top of the primary screen before the emulator took over.
    Texts(RowTexts),
    /// The primary screen is about to be erased, or the recording ends: write its lines.
    Primary(Screen),
    /// The alternate screen is about to hide the primary one, whose cursor is on `row`.
    EnterAlt(Screen, usize),
    /// The primary screen is back.
    LeaveAlt,
    /// The primary screen is lost while hidden (reset, or the end): write what it held.
    Rest,
    /// The alternate screen as a program leaves it, entered at `since`, left at `until`.
    Snapshot {
        screen: Screen,
        since: Micros,
        until: Micros,
    },
    /// A hard reset: nothing of the old screen remains.
    Reset,
    /// Write the text out now (the input may stall).
    Flush,
    /// The recording ended; nothing follows.
    End,
}

/// Where items go.
enum Out {
    Direct(Box<Transcript>),
    Queue {
        tx: SyncSender<Vec<Item>>,
        /// Batches the transcript is done with, to be freed (and reused) here.
        back: Receiver<Vec<Item>>,
        batch: Vec<Item>,
        /// The receiving end is gone: stop sending.
        closed: bool,
    },
    /// Only the screen is wanted.
    Nowhere,
}

/// Items are sent in batches of this many.
const ITEMS_PER_BATCH: usize = 512;

/// A recording played through the terminal emulator.
///
/// Feed it events with [`Render::event`] (or [`Render::output`] and [`Render::resize`]),
/// end with [`Render::finish`] and collect the text with [`Render::take_text`]; or, for
/// `--screen`, read the screen with [`Render::screen`].
pub struct Render {
    /// The screen while the output has only written lines (see [`super::lines`]); the
    /// emulator takes over from the first thing it does not model.
    lines: Option<Box<Lines>>,
    parser: VtParser,
    term: Terminal,
    out: Out,
    timestamps: bool,
    snapshot: bool,
    /// The time of the event being applied.
    now: Micros,
    /// With timestamps, when each row of the screen shown first got text.
    stamps: Vec<Option<Micros>>,
    /// The primary screen's stamps while the alternate screen is shown.
    saved_stamps: Vec<Option<Micros>>,
    /// When the alternate screen was entered.
    alt_since: Micros,
    rows: usize,
    /// The scroll region's last row: rows below it stay put when lines scroll off.
    bottom: usize,
}

impl Render {
    /// A terminal of the given size (clamped to 2..=1000 columns, 1..=1000 rows) whose transcript is
    /// collected in-process.
    pub fn new(cols: u16, rows: u16, opts: &Options) -> Render {
        let out = if opts.mode == Mode::Transcript {
            Out::Direct(Box::new(Transcript::new(opts.timestamps)))
        } else {
            Out::Nowhere
        };
        Render::with_out(cols, rows, opts, out)
    }

    /// A terminal whose items are sent, in batches, to a [`Transcript`] on another thread,
    /// which sends each batch back on `back` when it is done with it. Sending stops quietly
    /// when the receiver is gone.
    pub fn queued(
        cols: u16,
        rows: u16,
        opts: &Options,
        tx: SyncSender<Vec<Item>>,
        back: Receiver<Vec<Item>>,
    ) -> Render {
        let out = Out::Queue {
            tx,
            back,
            batch: Vec::with_capacity(ITEMS_PER_BATCH),
            closed: false,
        };
        Render::with_out(cols, rows, opts, out)
    }

    fn with_out(cols: u16, rows: u16, opts: &Options, out: Out) -> Render {
        let (cols, rows) = clamp_size(cols, rows);
        let transcript = !matches!(out, Out::Nowhere);
        Render {
            lines: (transcript && !opts.timestamps).then(|| Box::new(Lines::new(cols, rows))),
            parser: VtParser::new(),
            term: Terminal::new((cols, rows), Some(0)),
            out,
            timestamps: opts.timestamps,
            snapshot: transcript && opts.alt_screen == AltScreen::Snapshot,
            now: 0,
            stamps: if opts.timestamps {
                vec![None; rows]
            } else {
                Vec::new()
            },
            saved_stamps: Vec::new(),
            alt_since: 0,
            rows,
            bottom: rows - 1,
        }
    }

    fn emit(&self) -> bool {
        !matches!(self.out, Out::Nowhere)
    }

    fn push(&mut self, item: Item) {
        push_to(&mut self.out, item);
    }

    /// Sends the items batched so far (a queued render), and returns false once the
    /// receiver is gone.
    pub fn send(&mut self) -> bool {
        if let Out::Queue {
            tx,
            back,
            batch,
            closed,
        } = &mut self.out
        {
            send_batch(tx, back, batch, closed);
            return !*closed;
        }
        true
    }

    /// Asks the transcript to write its text out now.
    pub fn flush(&mut self) {
        self.push(Item::Flush);
    }

    /// Applies one event: output (`o`, and `e` as `stderr` says) and resizes; others are
    /// ignored.
    pub fn event(&mut self, rec: &EventRecord, scratch: &mut String, stderr: super::StderrMode) {
        let code = rec.code();
        if stderr.renders(code) {
            let t = rec.time();
            let Ok(()) = rec.data_pieces(scratch, event::PIECE, |p| {
                self.output(t, p);
                Ok::<(), std::convert::Infallible>(())
            });
        } else if code == Code::Resize
            && let Some((cols, rows)) = event::parse_size(rec.data_str(scratch))
        {
            self.resize(rec.time(), cols, rows);
        }
    }

    /// Feeds terminal output written at time `t`.
    pub fn output(&mut self, t: Micros, data: &str) {
        self.now = t;
        let mut data = data;
        if let Some(lines) = self.lines.as_mut() {
            let at = lines.feed(data);
            if let Some(rows) = lines.take_rows() {
                push_to(&mut self.out, Item::Texts(rows));
            }
            let Some(at) = at else {
                return;
            };
            self.take_over();
            data = &data[at..];
        }
        self.emulate(data);
    }

    /// Hands the screen from line assembly to the emulator, with the sequence it held.
    fn take_over(&mut self) {
        let Some(mut lines) = self.lines.take() else {
            return;
        };
        if let Some(rows) = lines.take_rows() {
            push_to(&mut self.out, Item::Texts(rows));
        }
        lines.replay(&mut self.term);
        if !lines.held().is_empty() {
            self.emulate(lines.held());
        }
    }

    /// Emulates from the start, without line assembly (for comparing the two).
    pub fn emulate_everything(&mut self) {
        self.lines = None;
    }

    fn emulate(&mut self, data: &str) {
        for ch in data.chars() {
            // Printable text outside a sequence is what the parser would turn into Print
            // unchanged; skipping the parser for it halves the cost of plain output.
            if self.parser.state == State::Ground
                && (ch >= '\u{a0}' || (' '..='\u{7f}').contains(&ch))
            {
                self.term.execute(Function::Print(ch));
                if self.timestamps {
                    self.stamp_cursor_row();
                }
                continue;
            }
            let Some(f) = self.parser.feed(ch) else {
                continue;
            };
            match f {
                Function::Print(_) => {
                    self.term.execute(f);
                    if self.timestamps {
                        self.stamp_cursor_row();
                    }
                }
                Function::Decset(_)
                | Function::Decrst(_)
                | Function::Ris
                | Function::Ed(_)
                | Function::El(_)
                | Function::Decstbm(..)
                | Function::Decstr => self.special(f),
                _ => self.term.execute(f),
            }
        }
        self.collect();
    }

    /// Resizes the terminal at time `t` (clamped like [`Render::new`]). The primary screen
    /// reflows; rows it pushes off the top are written like rows scrolled off.
    pub fn resize(&mut self, t: Micros, cols: u16, rows: u16) {
        self.now = t;
        self.take_over();
        self.collect();
        let (cols, rows) = clamp_size(cols, rows);
        let primary = self.primary();
        let per_line: Vec<Option<Micros>> = if self.timestamps && primary {
            logical_lines(self.term.view(), &self.stamps, "")
                .into_iter()
                .map(|l| l.stamp)
                .collect()
        } else {
            Vec::new()
        };
        self.term.resize(cols, rows);
        self.rows = rows;
        self.bottom = rows - 1;
        if self.timestamps {
            if primary {
                // Rows pushed off the top are held until collected: stamp them too, so that
                // collecting shifts the stamps with them.
                self.stamps = restamp(self.term.lines(), &per_line);
                let held = self.term.lines().count().saturating_sub(rows);
                self.stamps.resize(held + rows, None);
            } else {
                self.stamps.resize(rows, None);
            }
        }
        self.collect();
    }

    fn primary(&self) -> bool {
        self.term.active_buffer_type() == BufferType::Primary
    }

    fn copy_screen(&self) -> Screen {
        Screen {
            rows: self.term.view().cloned().collect(),
            stamps: self.stamps.clone(),
        }
    }

    /// Hands over the rows that scrolled off the top of the primary screen.
    fn collect(&mut self) {
        let Render {
            term,
            stamps,
            bottom,
            out,
            ..
        } = self;
        for line in term.gc() {
            let stamp = if stamps.is_empty() {
                None
            } else {
                let s = stamps.remove(0);
                let at = (*bottom).min(stamps.len());
                stamps.insert(at, None);
                s
            };
            push_to(out, Item::Row(line, stamp));
        }
    }

    fn stamp_cursor_row(&mut self) {
        self.collect();
        let row = self.term.cursor().row;
        if let Some(s) = self.stamps.get_mut(row) {
            s.get_or_insert(self.now);
        }
    }

    /// Runs an operation that can destroy text or switch screens, handing over first what
    /// it would destroy.
    fn special(&mut self, f: Function) {
        self.collect();
        let primary = self.primary();
        let emit = self.emit();
        match &f {
            Function::Decset(m) if primary && switches_screen(m) => {
                if emit {
                    let row = self.term.cursor().row;
                    self.push(Item::EnterAlt(self.copy_screen(), row));
                }
                self.term.execute(f);
                if !self.primary() {
                    self.alt_since = self.now;
                    if self.timestamps {
                        let blank = vec![None; self.rows];
                        self.saved_stamps = std::mem::replace(&mut self.stamps, blank);
                    }
                }
            }
            Function::Decrst(m) if !primary && switches_screen(m) => {
                if self.snapshot {
                    self.push_snapshot();
                }
                self.term.execute(f);
                if self.primary() {
                    if emit {
                        self.push(Item::LeaveAlt);
                    }
                    if self.timestamps {
                        let mut s = std::mem::take(&mut self.saved_stamps);
                        s.resize(self.rows, None);
                        self.stamps = s;
                    }
                }
            }
            Function::Ris => {
                if emit {
                    if primary {
                        self.push(Item::Primary(self.copy_screen()));
                    } else {
                        self.push(Item::Rest);
                        if self.snapshot {
                            self.push_snapshot();
                        }
                    }
                    self.push(Item::Reset);
                }
                self.term.execute(f);
                self.bottom = self.rows - 1;
                if self.timestamps {
                    self.stamps = vec![None; self.rows];
                    self.saved_stamps.clear();
                }
            }
            // A clear (`clear`, Ctrl-L), or an erase from the home position (`clear` under
            // screen and tmux): keep what was on the screen.
            Function::Ed(EdScope::All) if primary && emit => {
                self.push(Item::Primary(self.copy_screen()));
                self.term.execute(f);
                self.clear_blank_stamps();
            }
            Function::Ed(EdScope::Below) if primary && emit && self.at_home() => {
                self.push(Item::Primary(self.copy_screen()));
                self.term.execute(f);
                self.clear_blank_stamps();
            }
            Function::Ed(_) | Function::El(_) => {
                self.term.execute(f);
                self.clear_blank_stamps();
            }
            Function::Decstbm(top, bottom) => {
                // The same rule the emulator applies: a valid region, else no change.
                let rows = self.rows;
                let top = (*top).max(1) as usize - 1;
                let bottom = if *bottom == 0 { rows } else { *bottom as usize } - 1;
                if top < bottom && bottom < rows {
                    self.bottom = bottom;
                }
                self.term.execute(f);
            }
            Function::Decstr => {
                self.bottom = self.rows - 1;
                self.term.execute(f);
            }
            _ => self.term.execute(f),
        }
    }

    fn at_home(&self) -> bool {
        let c = self.term.cursor();
        c.row == 0 && c.col == 0
    }

    fn push_snapshot(&mut self) {
        let item = Item::Snapshot {
            screen: self.copy_screen(),
            since: self.alt_since,
            until: self.now,
        };
        self.push(item);
    }

    /// Forgets the stamps of rows an erase left blank.
    fn clear_blank_stamps(&mut self) {
        if !self.timestamps {
            return;
        }
        for (s, line) in self.stamps.iter_mut().zip(self.term.view()) {
            if s.is_some() && line.chars().all(|c| c == ' ') {
                *s = None;
            }
        }
    }

    /// Ends the recording: hands over the final screen (the primary screen's remaining
    /// lines, and a snapshot of the alternate screen if a program still holds it).
    pub fn finish(&mut self) {
        self.take_over();
        self.collect();
        if !self.emit() {
            return;
        }
        if self.primary() {
            self.push(Item::Primary(self.copy_screen()));
        } else {
            self.push(Item::Rest);
            if self.snapshot {
                self.push_snapshot();
            }
        }
        self.push(Item::End);
        self.send();
    }

    /// Moves the text produced so far to the end of `out` (a render with its transcript
    /// in-process).
    pub fn take_text(&mut self, out: &mut Vec<u8>) {
        if let Out::Direct(t) = &mut self.out {
            t.take_text(out);
        }
    }

    /// Appends the screen as it is now (the one being shown, primary or alternate): its
    /// lines with wrapped rows joined and trailing blanks trimmed, trailing blank lines
    /// dropped.
    pub fn screen(&mut self, out: &mut Vec<u8>) {
        self.take_over();
        self.collect();
        let mut lines = logical_lines(self.term.view(), &self.stamps, "");
        while lines.last().is_some_and(|l| l.text.is_empty()) {
            lines.pop();
        }
        let mut last = 0;
        for l in &lines {
            last = l.stamp.unwrap_or(last);
            put_line(out, self.timestamps, last, &l.text);
        }
    }
}

fn push_to(out: &mut Out, item: Item) {
    match out {
        Out::Direct(t) => t.apply(&item),
        Out::Queue {
            tx,
            back,
            batch,
            closed,
        } => {
            batch.push(item);
            if batch.len() >= ITEMS_PER_BATCH {
                send_batch(tx, back, batch, closed);
            }
        }
        Out::Nowhere => {}
    }
}

/// Sends the batch and starts the next one in a returned batch, emptied here (which frees
/// its rows on the thread that allocated them).
fn send_batch(
    tx: &SyncSender<Vec<Item>>,
    back: &Receiver<Vec<Item>>,
    batch: &mut Vec<Item>,
    closed: &mut bool,
) {
    if batch.is_empty() {
        return;
    }
    let mut next = None;
    while let Ok(mut done) = back.try_recv() {
        done.clear();
        next = Some(done);
    }
    let next = next.unwrap_or_else(|| Vec::with_capacity(ITEMS_PER_BATCH));
    let full = std::mem::replace(batch, next);
    if !*closed {
        *closed = tx.send(full).is_err();
    }
    if *closed {
        batch.clear();
    }
}

/// Clamps a size to what the emulator handles and this tool allows. One column is emulated
/// as two: avt 0.17 (and so asciinema 3.2) fails on a wide character in a single column.
fn clamp_size(cols: u16, rows: u16) -> (usize, usize) {
    (
        cols.clamp(2, MAX_COLS) as usize,
        rows.clamp(1, MAX_ROWS) as usize,
    )
}

fn switches_screen(modes: &[DecMode]) -> bool {
    modes.iter().any(|m| {
        matches!(
            m,
            DecMode::AltScreenBuffer | DecMode::SaveCursorAltScreenBuffer
        )
    })
}

/// A line of text made of one or more rows.
#[derive(Debug, Clone)]
struct Text {
    text: String,
    stamp: Option<Micros>,
}

/// Joins soft-wrapped rows into lines, trimming trailing blanks. `prefix` is text that the
/// first row continues (rows of the same line already gone). A line's stamp is the first
/// stamp among its rows.
fn logical_lines<'a>(
    rows: impl Iterator<Item = &'a Line>,
    stamps: &[Option<Micros>],
    prefix: &str,
) -> Vec<Text> {
    let mut out = Vec::new();
    let mut unwrap = TextUnwrapper::new();
    let mut stamp = None;
    for (i, row) in rows.enumerate() {
        stamp = stamp.or(stamps.get(i).copied().flatten());
        if let Some(text) = unwrap.push(row) {
            out.push(Text {
                text,
                stamp: stamp.take(),
            });
        }
    }
    if let Some(rest) = unwrap.flush() {
        out.push(Text {
            text: rest.trim_end().to_string(),
            stamp,
        });
    }
    if !prefix.is_empty() {
        match out.first_mut() {
            Some(first) => first.text.insert_str(0, prefix),
            None => out.push(Text {
                text: prefix.trim_end().to_string(),
                stamp: None,
            }),
        }
    }
    out
}

/// Spreads per-line stamps over the rows of a reflowed screen.
fn restamp<'a>(
    rows: impl Iterator<Item = &'a Line>,
    per_line: &[Option<Micros>],
) -> Vec<Option<Micros>> {
    let mut out = Vec::new();
    let mut idx = 0;
    let mut unwrap = TextUnwrapper::new();
    for row in rows {
        out.push(per_line.get(idx).copied().flatten());
        if unwrap.push(row).is_some() {
            idx += 1;
        }
    }
    out
}

/// Turns items into text lines.
///
/// A snapshot of the alternate screen belongs after the lines that were above the cursor
/// when the program started. Those lines may still be on the screen when it ends (and the
/// shell may even redraw some of them), so the snapshot waits in a queue, tagged with how
/// many lines of the primary screen must be written before it, and goes out when they have
/// been: nothing is written twice and nothing is lost.
pub struct Transcript {
    /// Text produced and not yet taken.
    text: Vec<u8>,
    timestamps: bool,
    /// The time given to the last line written (lines never stamped borrow it).
    last_stamp: Micros,
    /// Rows of a wrapped line that scrolled off while its last row is still on screen: the
    /// first line on screen continues it.
    pending: String,
    pending_stamp: Option<Micros>,
    /// Lines of the primary screen written so far.
    written: u64,
    /// Where the snapshot of the alternate screen entered last will go.
    snapshot_at: Option<u64>,
    /// Snapshots waiting for the lines that precede them, as text ready to write.
    queue: VecDeque<(u64, Vec<u8>)>,
    /// The primary screen's lines not written yet, as they were when the alternate screen
    /// was entered: the emulator hides the primary screen meanwhile, and a reset or the end
    /// of the recording there would lose them.
    rest: Vec<Text>,
}

impl Transcript {
    pub fn new(timestamps: bool) -> Transcript {
        Transcript {
            text: Vec::new(),
            timestamps,
            last_stamp: 0,
            pending: String::new(),
            pending_stamp: None,
            written: 0,
            snapshot_at: None,
            queue: VecDeque::new(),
            rest: Vec::new(),
        }
    }

    /// The text produced and not yet taken.
    pub fn text(&mut self) -> &mut Vec<u8> {
        &mut self.text
    }

    /// Moves the text produced so far to the end of `out`.
    pub fn take_text(&mut self, out: &mut Vec<u8>) {
        if out.is_empty() {
            std::mem::swap(out, &mut self.text);
        } else {
            out.append(&mut self.text);
        }
    }

    /// Applies one item. After `End` nothing is left to write; `Flush` is for the caller.
    pub fn apply(&mut self, item: &Item) {
        match item {
            Item::Row(line, stamp) => self.scrolled_off(line, *stamp),
            Item::Texts(rows) => {
                for (text, wrapped) in rows.rows() {
                    self.row_text(text, wrapped, None);
                }
            }
            Item::Primary(screen) => {
                let lines = self.primary_lines(screen);
                self.write_all(lines);
                self.clear_pending();
            }
            Item::EnterAlt(screen, row) => self.enter_alt(screen, *row),
            Item::LeaveAlt => self.rest.clear(),
            Item::Rest => {
                let rest = std::mem::take(&mut self.rest);
                self.write_all(rest);
            }
            Item::Snapshot {
                screen,
                since,
                until,
            } => self.snapshot(screen, *since, *until),
            Item::Reset => {
                self.clear_pending();
                self.rest.clear();
                self.release(u64::MAX);
            }
            Item::End => self.release(u64::MAX),
            Item::Flush => {}
        }
    }

    fn line(&mut self, stamp: Option<Micros>, text: &str) {
        let t = stamp.unwrap_or(self.last_stamp);
        self.last_stamp = t;
        put_line(&mut self.text, self.timestamps, t, text);
    }

    /// Writes a line of the primary screen, then the snapshots due after it.
    fn primary_line(&mut self, stamp: Option<Micros>, text: &str) {
        self.line(stamp, text);
        self.written += 1;
        if self.queue.front().is_some_and(|q| q.0 <= self.written) {
            self.release(self.written);
        }
    }

    /// Writes the queued snapshots due by line `upto`.
    fn release(&mut self, upto: u64) {
        while let Some((at, _)) = self.queue.front()
            && *at <= upto
        {
            if let Some((_, text)) = self.queue.pop_front() {
                self.text.extend_from_slice(&text);
            }
        }
    }

    /// Writes lines that are leaving for good, trailing blank ones dropped; snapshots
    /// waiting for lines that never came follow them.
    fn write_all(&mut self, mut lines: Vec<Text>) {
        while lines.last().is_some_and(|l| l.text.is_empty()) {
            lines.pop();
        }
        for l in &lines {
            self.primary_line(l.stamp, &l.text);
        }
        self.release(u64::MAX);
    }

    /// A row left the primary screen for good.
    fn scrolled_off(&mut self, row: &Line, stamp: Option<Micros>) {
        // avt keeps the wrap flag to itself: an unwrapper of one row tells it.
        match TextUnwrapper::new().push(row) {
            None => self.row_text(&row.text(), true, stamp),
            Some(text) => self.row_text(&text, false, stamp),
        }
    }

    /// A row's text left the primary screen: a row that wraps is kept for the next, the
    /// last row of a line is trimmed and ends the line.
    fn row_text(&mut self, text: &str, wrapped: bool, stamp: Option<Micros>) {
        if wrapped {
            self.pending_stamp = self.pending_stamp.or(stamp);
            self.pending.push_str(text);
        } else if self.pending.is_empty() {
            self.primary_line(self.pending_stamp.or(stamp), text.trim_end());
            self.pending_stamp = None;
        } else {
            let mut line = std::mem::take(&mut self.pending);
            line.push_str(text.trim_end());
            self.primary_line(self.pending_stamp.or(stamp), &line);
            line.clear();
            self.pending = line;
            self.pending_stamp = None;
        }
    }

    fn clear_pending(&mut self) {
        self.pending.clear();
        self.pending_stamp = None;
    }

    /// The lines of a primary screen, the first one continuing the rows already scrolled off.
    fn primary_lines(&self, screen: &Screen) -> Vec<Text> {
        let mut lines = logical_lines(screen.rows.iter(), &screen.stamps, &self.pending);
        if !self.pending.is_empty()
            && let Some(first) = lines.first_mut()
        {
            first.stamp = self.pending_stamp.or(first.stamp);
        }
        lines
    }

    /// The alternate screen is about to hide the primary one, whose cursor is on `row`: the
    /// snapshot will go after the lines above it, and the screen is kept in case it is lost.
    fn enter_alt(&mut self, screen: &Screen, row: usize) {
        let mut unwrap = TextUnwrapper::new();
        let above = screen
            .rows
            .iter()
            .take(row)
            .filter(|r| unwrap.push(r).is_some())
            .count();
        self.snapshot_at = Some(self.written + above as u64);
        self.rest = self.primary_lines(screen);
    }

    /// Queues an alternate screen, between marker lines, unless it is blank.
    fn snapshot(&mut self, screen: &Screen, since: Micros, until: Micros) {
        let at = self.snapshot_at.take().unwrap_or(self.written);
        let mut lines = logical_lines(screen.rows.iter(), &screen.stamps, "");
        while lines.last().is_some_and(|l| l.text.is_empty()) {
            lines.pop();
        }
        let Some(first) = lines.iter().position(|l| !l.text.is_empty()) else {
            return;
        };
        let mut text = Vec::new();
        let ts = self.timestamps;
        put_line(&mut text, ts, since, ALT_BEGIN);
        for l in &lines[first..] {
            put_line(&mut text, ts, l.stamp.unwrap_or(since).max(since), &l.text);
        }
        put_line(&mut text, ts, until, ALT_END);
        self.queue.push_back((at, text));
        self.release(self.written);
    }
}
