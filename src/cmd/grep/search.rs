//! Searching one recording and printing what was found.
//!
//! [`search`] streams a recording through a [`Screen`], and each time a block of completed
//! lines has gathered (64 KiB, or whenever the next read might block), searches the block at
//! once and prints the selected lines with their context. Output goes to a [`Dest`]: text for
//! a terminal or a script, or events for `--cast`.

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use super::matcher::Matcher;
use super::screen::{Line, Mode, Screen};
use crate::error::Result;
use crate::event::{Code, EventRecord, json_str, parse_size, write_json_str};
use crate::read::Reader;
use crate::time::{self, Micros};
use crate::write::Writer;

/// Completed lines gathered before they are searched together.
const BLOCK: usize = 64 * 1024;

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Lines,
    OnlyMatching,
    Count,
    FilesWith,
    FilesWithout,
    Quiet,
    Json,
    Cast,
}

/// Which events are searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// What the terminal showed: `o` and `e` events.
    Screen,
    Stderr,
    Input,
    Markers,
}

impl Source {
    /// Whether the output is drawn on a screen, and so emulated where it moves the cursor.
    fn emulates(self) -> bool {
        matches!(self, Source::Screen | Source::Stderr)
    }

    fn accepts(self, c: Code) -> bool {
        match self {
            Source::Screen => matches!(c, Code::Output | Code::Stderr),
            Source::Stderr => c == Code::Stderr,
            Source::Input => c == Code::Input,
            Source::Markers => c == Code::Marker,
        }
    }
}

/// Everything that does not change from file to file.
pub struct Config {
    pub matcher: Matcher,
    pub invert: bool,
    pub report: Report,
    pub max_count: Option<u64>,
    pub before: usize,
    pub after: usize,
    pub with_filename: bool,
    /// `-n`: print the number of the event that completed each line.
    pub event_numbers: bool,
    pub color: bool,
    pub source: Source,
    pub line_buffered: bool,
    /// Set to end every search early (`-q` found a match, or output is gone).
    pub stop: AtomicBool,
}

const C_MATCH: &[u8] = b"\x1b[1;31m";
const C_FILE: &[u8] = b"\x1b[35m";
const C_TIME: &[u8] = b"\x1b[32m";
/// grep's colour for line numbers.
const C_EVENT: &[u8] = b"\x1b[32m";
const C_SEP: &[u8] = b"\x1b[36m";
const C_END: &[u8] = b"\x1b[0m";

/// Where a search's findings go.
pub enum Dest<'a> {
    /// Text; `flush` hands the buffer on (to the ordered printer).
    Text {
        buf: Vec<u8>,
        flush: &'a mut dyn FnMut(&[u8], bool) -> io::Result<()>,
    },
    Cast(&'a mut CastOut),
}

impl Dest<'_> {
    fn buf(&mut self) -> &mut Vec<u8> {
        match self {
            Dest::Text { buf, .. } => buf,
            Dest::Cast(_) => unreachable!("no text is printed with --cast"),
        }
    }

    /// Hands on what was printed: always when `force`, else once there is a good amount.
    pub fn flush(&mut self, force: bool) -> io::Result<()> {
        match self {
            Dest::Text { buf, flush } => {
                if force || buf.len() >= BLOCK {
                    flush(buf, force)?;
                    buf.clear();
                }
                Ok(())
            }
            Dest::Cast(c) => {
                if force {
                    c.w.flush()?;
                }
                Ok(())
            }
        }
    }
}

/// The recording `--cast` writes: one header, then the events of every input in turn.
pub struct CastOut {
    pub w: Writer,
    /// Several inputs: each one's events follow the previous one's, after a marker naming it.
    pub several: bool,
    pub size: Option<(u16, u16)>,
    offset: Micros,
    last: Micros,
}

impl CastOut {
    /// The time of the last event written.
    pub fn last_time(&self) -> Micros {
        self.last
    }

    pub fn new(w: Writer, several: bool, size: Option<(u16, u16)>) -> CastOut {
        CastOut {
            w,
            several,
            size,
            offset: 0,
            last: 0,
        }
    }
}

/// What a search found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    pub selected: u64,
}

/// Events kept for `--cast` until the lines they wrote have been searched.
#[derive(Default)]
struct Store {
    evs: VecDeque<(u64, Micros, usize, Vec<u8>)>,
    pool: Vec<Vec<u8>>,
}

impl Store {
    fn push(&mut self, seq: u64, time: Micros, code_json: &[u8], data_json: &[u8]) {
        let mut b = self.pool.pop().unwrap_or_default();
        b.clear();
        b.extend_from_slice(code_json);
        b.extend_from_slice(data_json);
        self.evs.push_back((seq, time, code_json.len(), b));
    }

    fn get(&self, seq: u64) -> Option<&(u64, Micros, usize, Vec<u8>)> {
        let k = self.evs.partition_point(|e| e.0 < seq);
        self.evs.get(k).filter(|e| e.0 == seq)
    }

    fn prune(&mut self, keep_from: u64) {
        while self.evs.front().is_some_and(|e| e.0 < keep_from) {
            if let Some(e) = self.evs.pop_front() {
                self.pool.push(e.3);
            }
        }
    }
}

/// A line remembered for `-B` context.
struct Held {
    text: Vec<u8>,
    no: u64,
    time: Micros,
    seq: u64,
}

/// The state of one file's search.
struct Search<'c> {
    cfg: &'c Config,
    name: &'c [u8],
    name_json: Vec<u8>,
    count: u64,
    /// The count reached -m: only trailing context is left to print.
    full: bool,
    done: bool,
    after_left: usize,
    last_printed: Option<u64>,
    held: VecDeque<Held>,
    spans: Vec<(usize, usize)>,
    /// --cast: the last event written.
    cast_last: Option<u64>,
    cast_started: bool,
    seqs: Vec<u64>,
}

/// Searches one recording. `name` is how output names it.
///
/// With `threaded`, a second thread reads and parses the recording while this one assembles
/// and searches the text (for one big file: parsing JSON costs about as much as the rest).
pub fn search(
    cfg: &Config,
    rdr: &mut Reader,
    name: &Path,
    dest: &mut Dest,
    threaded: bool,
) -> Result<Outcome> {
    use std::os::unix::ffi::OsStrExt;
    let mut f = Feed {
        s: Search {
            cfg,
            name: name.as_os_str().as_bytes(),
            name_json: json_str(&name.to_string_lossy()),
            count: 0,
            full: false,
            done: cfg.max_count == Some(0),
            after_left: 0,
            last_printed: None,
            held: VecDeque::new(),
            spans: Vec::new(),
            cast_last: None,
            cast_started: false,
            seqs: Vec::new(),
        },
        scr: Screen::new(if cfg.source == Source::Input {
            Mode::Input
        } else {
            Mode::Output
        }),
        store: Store::default(),
    };
    if cfg.source.emulates() {
        // Sizes past the cap every emulator has are clamped, with one warning.
        rdr.set_emulated()?;
        let (cols, rows) = rdr.header().size();
        f.scr.set_size(cols, rows);
    }
    let read = if threaded {
        f.threaded(rdr, dest)
    } else {
        f.direct(rdr, dest)
    };
    // What was read before an error is still searched.
    if !f.s.done {
        f.scr.finish();
        f.s.block(&f.scr, &f.store, dest)?;
    }
    read?;
    f.s.end(dest)?;
    Ok(Outcome {
        selected: f.s.count,
    })
}

/// Events, parsed by the reading thread, on their way to the searching one.
#[derive(Default)]
struct Batch {
    /// Each event's code and data tokens, one after the other.
    bytes: Vec<u8>,
    /// (index in the recording, time, code, code token end, data token end) in `bytes`.
    evs: Vec<(u64, Micros, Code, usize, usize)>,
    /// The reader had nothing more buffered after this batch (the next read may block).
    refill: bool,
    /// The number of events read so far.
    next_seq: u64,
    /// The end of the input: how reading ended.
    end: Option<Result<()>>,
    /// An event too long to copy, after those in `evs`: its index and record.
    huge: Option<(u64, EventRecord)>,
}

/// A batch is handed over at this many bytes of tokens, or at [`BATCH_EVENTS`] events: for
/// one-key events (six bytes of tokens, forty of entry in `evs`) the bytes alone let four
/// batches in flight hold 7 MiB of entries, which took cast-grep to 21 MiB on bench/gen.py's
/// keystrokes.
const BATCH: usize = 256 * 1024;
const BATCH_EVENTS: usize = 8192;

/// Events with more data than this are fed in pieces of [`PIECE`] bytes
/// ([`Feed::huge_event`]).
const HUGE: usize = 1 << 20;
const PIECE: usize = crate::event::PIECE;

/// The text being assembled and searched.
struct Feed<'c> {
    s: Search<'c>,
    scr: Screen,
    store: Store,
}

impl Feed<'_> {
    #[inline]
    fn event(&mut self, seq: u64, t: Micros, code: Code, code_json: &[u8], data_json: &[u8]) {
        let cfg = self.s.cfg;
        if !cfg.source.accepts(code) {
            if code == Code::Resize
                && cfg.source.emulates()
                && let Some((c, r)) = data_json
                    .get(1..data_json.len().saturating_sub(1))
                    .and_then(|d| std::str::from_utf8(d).ok())
                    .and_then(parse_size)
            {
                self.scr.resize(c, r, seq, t);
            }
            return;
        }
        self.scr.feed_json(data_json, seq, t);
        if cfg.source == Source::Markers {
            self.scr.end_line(seq, t);
        }
        if cfg.report == Report::Cast && self.scr.take_wrote() {
            self.store.push(seq, t, code_json, data_json);
        }
    }

    /// An event too long to hold decoded whole: its data is fed in pieces, and the lines
    /// completed so far are searched (and let go) whenever there are enough of them, so
    /// memory stays near the one copy of the line the reader holds.
    fn huge_event(
        &mut self,
        seq: u64,
        t: Micros,
        code: Code,
        rec: &EventRecord,
        dest: &mut Dest,
    ) -> Result<()> {
        let cfg = self.s.cfg;
        let data = rec.data_json();
        if !cfg.source.accepts(code) || cfg.report == Report::Cast {
            // --cast writes whole events: the event is kept whole anyway.
            self.event(seq, t, code, rec.code_json(), data);
            return Ok(());
        }
        let inner = &data[1..data.len() - 1];
        let mut i = 0;
        while i < inner.len() && !self.s.done {
            let end = crate::event::piece_end(inner, i, PIECE);
            self.scr.feed_json_inner(&inner[i..end], seq, t);
            i = end;
            if self.scr.complete_len() >= BLOCK {
                self.after(false, seq, dest)?;
            }
        }
        if cfg.source == Source::Markers {
            self.scr.end_line(seq, t);
        }
        Ok(())
    }

    /// Searches the lines gathered so far when there are enough of them, or when the input
    /// might pause (`refill`: then output is flushed too).
    fn after(&mut self, refill: bool, next_seq: u64, dest: &mut Dest) -> Result<()> {
        let n = self.scr.complete_len();
        if n >= BLOCK || (refill && n > 0) {
            self.s.block(&self.scr, &self.store, dest)?;
            self.scr.discard_complete();
            if self.s.cfg.report == Report::Cast {
                self.store
                    .prune(self.scr.oldest_live_seq().unwrap_or(next_seq));
            }
            if self.s.cfg.stop.load(Ordering::Relaxed) {
                self.s.done = true;
            }
        }
        if refill {
            dest.flush(true)?;
        }
        Ok(())
    }

    fn direct(&mut self, rdr: &mut Reader, dest: &mut Dest) -> Result<()> {
        let mut rec = EventRecord::default();
        let mut seq: u64 = 0;
        while !self.s.done {
            if !rdr.read_event(&mut rec)? {
                break;
            }
            if rec.data_json().len() > HUGE {
                self.huge_event(seq, rec.time(), rec.code(), &rec, dest)?;
            } else {
                self.event(
                    seq,
                    rec.time(),
                    rec.code(),
                    rec.code_json(),
                    rec.data_json(),
                );
            }
            seq += 1;
            let refill = rdr.needs_refill();
            self.after(refill, seq, dest)?;
        }
        Ok(())
    }

    fn threaded(&mut self, rdr: &mut Reader, dest: &mut Dest) -> Result<()> {
        let source = self.s.cfg.source;
        let (tx, rx) = mpsc::sync_channel::<Batch>(2);
        let (back_tx, back_rx) = mpsc::channel::<Batch>();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut rec = EventRecord::default();
                let mut seq: u64 = 0;
                let mut b = Batch::default();
                loop {
                    let r = rdr.read_event(&mut rec);
                    let more = matches!(r, Ok(true));
                    if more {
                        if rec.data_json().len() > HUGE && source.accepts(rec.code()) {
                            // Handed over whole (the record owns the line), not copied.
                            b.huge = Some((seq, std::mem::take(&mut rec)));
                        } else if source.accepts(rec.code())
                            || (rec.code() == Code::Resize && source.emulates())
                        {
                            b.bytes.extend_from_slice(rec.code_json());
                            let c = b.bytes.len();
                            b.bytes.extend_from_slice(rec.data_json());
                            b.evs.push((seq, rec.time(), rec.code(), c, b.bytes.len()));
                        }
                        seq += 1;
                    }
                    let refill = more && rdr.needs_refill();
                    if !more
                        || refill
                        || b.bytes.len() >= BATCH
                        || b.evs.len() >= BATCH_EVENTS
                        || b.huge.is_some()
                    {
                        b.refill = refill;
                        b.next_seq = seq;
                        if !more {
                            b.end = Some(r.map(|_| ()));
                        }
                        if tx.send(b).is_err() || !more {
                            return;
                        }
                        b = back_rx.try_recv().unwrap_or_default();
                        b.bytes.clear();
                        b.evs.clear();
                        b.end = None;
                        b.huge = None;
                    }
                }
            });
            let mut result = Ok(());
            for mut b in rx.iter() {
                let mut from = 0;
                for &(seq, t, code, c, e) in &b.evs {
                    let (code_json, data_json) = (&b.bytes[from..c], &b.bytes[c..e]);
                    self.event(seq, t, code, code_json, data_json);
                    from = e;
                    if self.scr.complete_len() >= BLOCK {
                        if let Err(e) = self.after(false, seq + 1, dest) {
                            result = Err(e);
                            break;
                        }
                        if self.s.done {
                            break;
                        }
                    }
                }
                if result.is_ok()
                    && !self.s.done
                    && let Some((seq, rec)) = b.huge.take()
                    && let Err(e) = self.huge_event(seq, rec.time(), rec.code(), &rec, dest)
                {
                    result = Err(e);
                }
                if result.is_ok()
                    && let Err(e) = self.after(b.refill, b.next_seq, dest)
                {
                    result = Err(e);
                }
                if let Some(end) = b.end.take() {
                    result = result.and(end);
                    break;
                }
                if result.is_err() || self.s.done {
                    break;
                }
                let _ = back_tx.send(b);
            }
            // Ends the reading thread at its next batch.
            drop(rx);
            result
        })
    }
}

impl Search<'_> {
    fn block(&mut self, scr: &Screen, store: &Store, dest: &mut Dest) -> io::Result<()> {
        let lines = scr.lines();
        let n = lines.len();
        if n == 0 || self.done {
            return Ok(());
        }
        let hay = &scr.text()[..scr.complete_len()];
        let cfg = self.cfg;
        let context = cfg.before > 0 || cfg.after > 0;
        let mut li = 0;
        while li < n && !self.done {
            if self.full {
                while li < n && self.after_left > 0 {
                    self.after_left -= 1;
                    self.context_line(scr, &lines[li], dest)?;
                    li += 1;
                }
                self.done = true;
                break;
            }
            let m = next_match(&cfg.matcher, hay, lines, li).unwrap_or(n);
            if cfg.invert {
                while li < m && !self.done && !self.full {
                    self.selected(scr, &lines[li], false, store, dest)?;
                    li += 1;
                }
                if li == m && m < n && !self.done && !self.full {
                    self.unselected(scr, &lines[m], dest)?;
                    li = m + 1;
                }
            } else {
                if context {
                    while li < m {
                        if self.after_left == 0 && cfg.before == 0 {
                            break;
                        }
                        if self.after_left == 0 && li + cfg.before < m {
                            li = m - cfg.before;
                        }
                        self.unselected(scr, &lines[li], dest)?;
                        li += 1;
                    }
                }
                if m < n {
                    self.selected(scr, &lines[m], true, store, dest)?;
                }
                li = m + 1;
            }
        }
        Ok(())
    }

    fn unselected(&mut self, scr: &Screen, l: &Line, dest: &mut Dest) -> io::Result<()> {
        if self.after_left > 0 {
            self.after_left -= 1;
            return self.context_line(scr, l, dest);
        }
        if self.cfg.before > 0 {
            let mut h = if self.held.len() >= self.cfg.before {
                self.held.pop_front().expect("held lines")
            } else {
                Held {
                    text: Vec::new(),
                    no: 0,
                    time: 0,
                    seq: 0,
                }
            };
            h.text.clear();
            h.text.extend_from_slice(&scr.text()[l.start..l.end]);
            h.no = l.no;
            (h.seq, h.time) = line_time(scr, l);
            self.held.push_back(h);
        }
        Ok(())
    }

    fn selected(
        &mut self,
        scr: &Screen,
        l: &Line,
        matched: bool,
        store: &Store,
        dest: &mut Dest,
    ) -> io::Result<()> {
        let cfg = self.cfg;
        self.count += 1;
        if cfg.max_count == Some(self.count) {
            self.full = true;
        }
        match cfg.report {
            Report::Quiet => {
                cfg.stop.store(true, Ordering::Relaxed);
                self.done = true;
                return Ok(());
            }
            Report::FilesWith | Report::FilesWithout => {
                self.done = true;
                return Ok(());
            }
            Report::Count => {
                self.done = self.full;
                return Ok(());
            }
            _ => {}
        }
        let line = &scr.text()[l.start..l.end];
        self.spans.clear();
        if matched {
            let spans = &mut self.spans;
            cfg.matcher.for_each(line, |a, b| spans.push((a, b)));
        }
        let (seq, time) = match self.spans.first() {
            Some(&(a, b)) => range_time(scr, l, l.start + a, l.start + b),
            None => line_time(scr, l),
        };
        match cfg.report {
            Report::Cast => self.cast_line(scr, l, store, dest)?,
            Report::Json => {
                self.flush_held(l.no, dest);
                self.json_line(scr, l, "match", seq, time, dest);
            }
            Report::OnlyMatching => {
                for k in 0..self.spans.len() {
                    let (a, b) = self.spans[k];
                    if a == b {
                        continue;
                    }
                    let (s, t) = range_time(scr, l, l.start + a, l.start + b);
                    let buf = dest.buf();
                    self.prefix(buf, s, t, b':');
                    if cfg.color {
                        buf.extend_from_slice(C_MATCH);
                        buf.extend_from_slice(&line[a..b]);
                        buf.extend_from_slice(C_END);
                    } else {
                        buf.extend_from_slice(&line[a..b]);
                    }
                    buf.push(b'\n');
                }
            }
            _ => {
                self.flush_held(l.no, dest);
                self.group_sep(l.no, dest);
                let buf = dest.buf();
                self.prefix(buf, seq, time, b':');
                if cfg.color && !self.spans.is_empty() {
                    let mut at = 0;
                    for &(a, b) in &self.spans {
                        if a == b || a < at {
                            continue;
                        }
                        buf.extend_from_slice(&line[at..a]);
                        buf.extend_from_slice(C_MATCH);
                        buf.extend_from_slice(&line[a..b]);
                        buf.extend_from_slice(C_END);
                        at = b;
                    }
                    buf.extend_from_slice(&line[at..]);
                } else {
                    buf.extend_from_slice(line);
                }
                buf.push(b'\n');
            }
        }
        self.last_printed = Some(l.no);
        self.held.clear();
        self.after_left = cfg.after;
        if self.full && self.after_left == 0 {
            self.done = true;
        }
        if cfg.line_buffered {
            dest.flush(true)?;
        } else {
            dest.flush(false)?;
        }
        Ok(())
    }

    /// Prints the held `-B` lines that come before line `no` and were not printed yet.
    fn flush_held(&mut self, no: u64, dest: &mut Dest) {
        let held = std::mem::take(&mut self.held);
        for h in &held {
            if h.no >= no || self.last_printed.is_some_and(|p| h.no <= p) {
                continue;
            }
            self.group_sep(h.no, dest);
            if self.cfg.report == Report::Json {
                self.json_text(&h.text, "context", h.seq, h.time, &[], dest);
            } else {
                let buf = dest.buf();
                self.prefix(buf, h.seq, h.time, b'-');
                buf.extend_from_slice(&h.text);
                buf.push(b'\n');
            }
            self.last_printed = Some(h.no);
        }
        self.held = held;
        self.held.clear();
    }

    fn group_sep(&self, no: u64, dest: &mut Dest) {
        let cfg = self.cfg;
        if (cfg.before > 0 || cfg.after > 0)
            && cfg.report != Report::Json
            && self.last_printed.is_some_and(|p| no > p + 1)
        {
            let buf = dest.buf();
            if cfg.color {
                buf.extend_from_slice(C_SEP);
                buf.extend_from_slice(b"--");
                buf.extend_from_slice(C_END);
                buf.push(b'\n');
            } else {
                buf.extend_from_slice(b"--\n");
            }
        }
    }

    fn context_line(&mut self, scr: &Screen, l: &Line, dest: &mut Dest) -> io::Result<()> {
        if matches!(
            self.cfg.report,
            Report::Count | Report::Quiet | Report::FilesWith | Report::FilesWithout
        ) {
            return Ok(());
        }
        let (seq, time) = line_time(scr, l);
        if self.cfg.report == Report::Json {
            self.json_line(scr, l, "context", seq, time, dest);
        } else {
            self.group_sep(l.no, dest);
            let buf = dest.buf();
            self.prefix(buf, seq, time, b'-');
            buf.extend_from_slice(&scr.text()[l.start..l.end]);
            buf.push(b'\n');
        }
        self.last_printed = Some(l.no);
        if self.cfg.line_buffered {
            dest.flush(true)?;
        }
        Ok(())
    }

    /// `FILE:TIME:`, `FILE:EVENT:TIME:` with `-n` (`-` for context), coloured when asked.
    fn prefix(&self, buf: &mut Vec<u8>, seq: u64, time: Micros, sep: u8) {
        let color = self.cfg.color;
        let part = |buf: &mut Vec<u8>, c: &[u8], text: &[u8]| {
            if color {
                buf.extend_from_slice(c);
                buf.extend_from_slice(text);
                buf.extend_from_slice(C_END);
                buf.extend_from_slice(C_SEP);
                buf.push(sep);
                buf.extend_from_slice(C_END);
            } else {
                buf.extend_from_slice(text);
                buf.push(sep);
            }
        };
        if self.cfg.with_filename {
            part(buf, C_FILE, self.name);
        }
        if self.cfg.event_numbers {
            part(buf, C_EVENT, itoa::Buffer::new().format(seq).as_bytes());
        }
        part(buf, C_TIME, time::clock(time).as_bytes());
    }

    fn json_line(
        &mut self,
        scr: &Screen,
        l: &Line,
        kind: &str,
        seq: u64,
        time: Micros,
        dest: &mut Dest,
    ) {
        let line = &scr.text()[l.start..l.end];
        let mut matches = Vec::with_capacity(self.spans.len());
        if kind == "match" {
            for &(a, b) in &self.spans {
                let (s, t) = range_time(scr, l, l.start + a, l.start + b);
                matches.push((a, b, s, t));
            }
        }
        self.json_text(line, kind, seq, time, &matches, dest);
    }

    fn json_text(
        &self,
        line: &[u8],
        kind: &str,
        seq: u64,
        time: Micros,
        matches: &[(usize, usize, u64, Micros)],
        dest: &mut Dest,
    ) {
        let name_json = &self.name_json;
        let buf = dest.buf();
        let mut num = itoa::Buffer::new();
        buf.extend_from_slice(b"{\"type\":\"");
        buf.extend_from_slice(kind.as_bytes());
        buf.extend_from_slice(b"\",\"file\":");
        buf.extend_from_slice(name_json);
        buf.extend_from_slice(b",\"time\":");
        time::write_seconds(buf, time);
        buf.extend_from_slice(b",\"event\":");
        buf.extend_from_slice(num.format(seq).as_bytes());
        buf.extend_from_slice(b",\"line\":");
        write_json_str(buf, &String::from_utf8_lossy(line));
        buf.extend_from_slice(b",\"matches\":[");
        for (k, &(a, b, s, t)) in matches.iter().enumerate() {
            if k > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"start\":");
            buf.extend_from_slice(num.format(a).as_bytes());
            buf.extend_from_slice(b",\"end\":");
            buf.extend_from_slice(num.format(b).as_bytes());
            buf.extend_from_slice(b",\"time\":");
            time::write_seconds(buf, t);
            buf.extend_from_slice(b",\"event\":");
            buf.extend_from_slice(num.format(s).as_bytes());
            buf.push(b'}');
        }
        buf.extend_from_slice(b"]}\n");
    }

    /// `--cast`: writes every event that wrote text on the line, once each, in order.
    fn cast_line(
        &mut self,
        scr: &Screen,
        l: &Line,
        store: &Store,
        dest: &mut Dest,
    ) -> io::Result<()> {
        let Dest::Cast(out) = dest else {
            unreachable!("--cast writes events")
        };
        self.seqs.clear();
        self.seqs.extend(
            scr.runs()[l.runs_start..l.runs_end]
                .iter()
                .map(|r| r.seq)
                .filter(|&s| self.cast_last.is_none_or(|last| s > last)),
        );
        self.seqs.sort_unstable();
        self.seqs.dedup();
        for &s in &self.seqs {
            let Some((_, t, code_len, data)) = store.get(s) else {
                continue;
            };
            if !self.cast_started {
                self.cast_started = true;
                if out.several {
                    out.offset = out.last;
                    let label = String::from_utf8_lossy(self.name);
                    out.w.write_text(out.offset + t, Code::Marker, &label)?;
                }
            }
            let at = out.offset + t;
            out.w
                .write_event(at, &data[..*code_len], &data[*code_len..])?;
            out.last = out.last.max(at);
        }
        if let Some(&s) = self.seqs.last() {
            self.cast_last = Some(s);
        }
        Ok(())
    }

    /// Prints what is printed once per file (-c, -l, -L).
    fn end(&mut self, dest: &mut Dest) -> io::Result<()> {
        let cfg = self.cfg;
        let name_line = |buf: &mut Vec<u8>, name: &[u8]| {
            if cfg.color {
                buf.extend_from_slice(C_FILE);
                buf.extend_from_slice(name);
                buf.extend_from_slice(C_END);
            } else {
                buf.extend_from_slice(name);
            }
            buf.push(b'\n');
        };
        match cfg.report {
            Report::Count => {
                let buf = dest.buf();
                if cfg.with_filename {
                    if cfg.color {
                        buf.extend_from_slice(C_FILE);
                        buf.extend_from_slice(self.name);
                        buf.extend_from_slice(C_END);
                        buf.extend_from_slice(C_SEP);
                        buf.push(b':');
                        buf.extend_from_slice(C_END);
                    } else {
                        buf.extend_from_slice(self.name);
                        buf.push(b':');
                    }
                }
                buf.extend_from_slice(itoa::Buffer::new().format(self.count).as_bytes());
                buf.push(b'\n');
            }
            Report::FilesWith if self.count > 0 => name_line(dest.buf(), self.name),
            Report::FilesWithout if self.count == 0 => name_line(dest.buf(), self.name),
            _ => {}
        }
        dest.flush(true)
    }
}

/// The first line at or after `from` with a match, searching the whole block at once.
fn next_match(m: &Matcher, hay: &[u8], lines: &[Line], from: usize) -> Option<usize> {
    let mut li = from;
    let mut pos = lines[from].start;
    loop {
        let (s, e) = m.find_at(hay, pos)?;
        if s >= hay.len() {
            return None;
        }
        li += lines[li..].partition_point(|l| l.end < s);
        let l = lines.get(li)?;
        if e <= l.end || m.first(&hay[l.start..l.end]).is_some() {
            return Some(li);
        }
        li += 1;
        pos = lines.get(li)?.start;
    }
}

/// The event that last wrote any of `text[a..b]` in line `l` (the one at `a` for an empty
/// range); the line's end for an empty line.
fn range_time(scr: &Screen, l: &Line, a: usize, b: usize) -> (u64, Micros) {
    let runs = &scr.runs()[l.runs_start..l.runs_end];
    if runs.is_empty() {
        return (l.seq, l.time);
    }
    let first = runs.partition_point(|r| r.start <= a).saturating_sub(1);
    let last = if b > a {
        runs.partition_point(|r| r.start < b).saturating_sub(1)
    } else {
        first
    };
    let r = runs[first..=last.max(first)]
        .iter()
        .max_by_key(|r| r.seq)
        .expect("a run");
    (r.seq, r.time)
}

/// When a whole line reached its final state.
fn line_time(scr: &Screen, l: &Line) -> (u64, Micros) {
    range_time(scr, l, l.start, l.end.max(l.start + 1))
}
