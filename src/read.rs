//! The streaming reader.
//!
//! [`Reader`] owns one growable buffer and hands out events into a caller's reusable
//! [`EventRecord`]. It detects the format from the content:
//!
//! - a first line that is a complete JSON object with `version` 2 or 3: newline-delimited
//!   v2/v3, read one line at a time in constant memory (lines may be any length);
//! - a JSON object spread over lines, or one object with `version` 1: v1, parsed whole (it is
//!   one JSON document, so it cannot be streamed);
//! - a JSON array whose first element is a header: a v2/v3 recording wrapped in an array (seen
//!   in the wild), parsed whole.
//!
//! Event lines are scanned by hand rather than through a general JSON parser: the scanner
//! finds the time, code and data tokens, checks the escapes, and copies the tokens into the
//! record. Raw control bytes or invalid UTF-8 inside a string are repaired (escaped, or made
//! U+FFFD), so what a tool writes is always valid JSON.
//!
//! Most lines are in the one form recorders write, `[T, "c", "data"]`; those are parsed in
//! one step, and only other lines (extra blanks, strings needing repair, errors) go through the
//! general parser, which gives the same result. A filter that passes data through untouched
//! can take such a line borrowed from the buffer ([`Reader::read_borrowed`], an [`EventRef`])
//! and write its tokens from there, without the copy into a record: on bench/run.sh's
//! typing-heavy file that, with the lighter scan of blocks without a backslash (see `scan`),
//! took cast-idle -l 1 from 0.35 s to 0.31 s (median of 7, 0.48 s to 0.44 s of CPU).
//!
//! Once more than 4 MiB have been read, the rest is read on a thread of its own, a buffer
//! ahead (see `background`): the buffers are handed over whole, not copied.
//!
//! A memory map instead of `read(2)` was tried (branch `exp-mmap`: a window of 1-8 MiB
//! moving along the file, a SIGBUS handler turning a file that shrinks under the map into an
//! error). It removed the kernel's copy, but not its cost: the first touch of each page then
//! falls on the reader's own thread, where the read-ahead thread had paid it on the other
//! core. On bench/run.sh's corpus-like 233 MiB file, cast-idle took 0.174 s (median of 7)
//! mapped against 0.154 s read, with the same CPU time (0.259 s against 0.266 s), so the
//! read path stays. Nor is there much to win: `dd bs=1M of=/dev/null` reads that file in
//! 0.02-0.03 s of system time, and the filters' kernel time is mostly the other side, copying
//! their output into the page cache (two thirds of `dd`'s samples when it writes a file).
//!
//! A last line without a newline that ends early is a recording cut off mid-write: the reader
//! keeps what it can of it and reports it through [`Reader::truncation`] (an error with
//! `strict`).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::background::{HEADROOM, ReadAhead};
use crate::error::{Error, ErrorKind, Result};
use crate::event::{
    Code, EventRecord, EventRef, fix_lone_surrogates, has_lone_surrogate, parse_size,
    unescape_into, write_json_str,
};
use crate::header::{Header, Version, json_error_text};
use crate::scan::Found;
use crate::time::{self, Micros};

const INITIAL_BUF: usize = 256 * 1024;

/// A line at least this long is handed over to the record whole rather than copied out of the
/// reader's buffer (see [`Reader::hand_over_line`]).
const HAND_OVER_AT: usize = 1024 * 1024;

/// Input longer than this is read on a thread of its own (see [`crate::background`]).
const READ_AHEAD_AFTER: u64 = 4 * 1024 * 1024;

/// Where the bytes come from.
enum Source {
    Direct(Box<dyn Read + Send>),
    Ahead(ReadAhead),
}

/// Reads one recording, event by event.
pub struct Reader {
    src: Source,
    /// Bytes read so far directly (before any read-ahead thread).
    read_direct: u64,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// Offset (in `buf`) of the next newline at or after `pos`, when known.
    next_nl: Option<usize>,
    /// The last newline in `buf[..end]` (None: none), once looked for since `buf` last changed
    /// (see [`Reader::needs_refill`]).
    last_nl: Option<Option<usize>>,
    /// Event lines are found and checked in one pass (see [`plain_scanned`]).
    one_pass: bool,
    /// The decoded length of the last counted plain line's data (see
    /// [`Reader::read_borrowed_counted`]).
    text_len: Option<u64>,
    line_no: u64,
    header: Header,
    prev_time: Micros,
    /// Events of a v1 or array-wrapped recording, parsed up front.
    whole: Option<std::vec::IntoIter<EventRecord>>,
    /// A document recording cut off: the line where it ends, for the end of `whole`.
    whole_cut: Option<u64>,
    /// Sizes are capped for an emulator (see [`Reader::set_emulated`]); and whether the one
    /// warning about it was given.
    emulated: bool,
    capped_once: bool,
    path: Option<PathBuf>,
    /// The file read, when the input is a file (for reading it again).
    source: Option<PathBuf>,
    strict: bool,
    truncation: Option<String>,
    warnings: Vec<String>,
    done: bool,
    /// The input's compression, when it was compressed (see [`crate::compress`]).
    packed: Option<crate::compress::Packed>,
    /// The file read, when it is a regular file: a second handle to it, read at offsets (for
    /// [`Reader::split_after`]).
    file: Option<File>,
    /// The offset in that file where the reading began (not 0 for standard input opened at
    /// some offset).
    file_start: u64,
    /// Where this reader stopped at [`Reader::split_after`], the rest being another reader's;
    /// and whether it has read on past it since ([`Reader::read_on`]).
    split_at: Option<u64>,
    /// A handle to the file taken at the split, for reading on through the other part
    /// ([`Reader::read_on`]), so that reading on cannot fail for want of one.
    rest_file: Option<File>,
    rejoined: bool,
    /// Whether reading may move to a thread of its own (see [`READ_AHEAD_AFTER`]): not in
    /// the two parts of a split file, which keep both cores busy already.
    ahead: bool,
}

/// At most this many warnings are kept per recording; the rest are counted.
const MAX_WARNINGS: usize = 20;

/// The form a recording's file took (beyond its version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Newline-delimited JSON (v2, v3).
    Lines,
    /// One JSON document (v1, or a v2/v3 recording wrapped in an array).
    Document,
}

impl Reader {
    /// Opens a file. Errors name the file.
    pub fn open(path: &Path) -> Result<Reader> {
        Reader::open_named(path, path)
    }

    /// Opens a file, naming it `name` in messages.
    pub fn open_named(path: &Path, name: &Path) -> Result<Reader> {
        let f = File::open(path).map_err(|e| Error::from(e).in_file(name))?;
        let meta = f.metadata().ok();
        if meta.as_ref().is_some_and(|m| m.is_dir()) {
            return Err(Error::from(io::Error::from(io::ErrorKind::IsADirectory)).in_file(name));
        }
        let again = match meta {
            Some(m) if m.is_file() => f.try_clone().ok(),
            _ => None,
        };
        let mut r = Reader::new(Box::new(f), Some(name.to_path_buf()))?;
        r.source = Some(path.to_path_buf());
        r.file = again;
        Ok(r)
    }

    /// Reads standard input. When it is a regular file (`cast-info < big.cast`), it is read
    /// through a handle of its own from where its offset stands, with a second handle kept as
    /// for a file opened by path, so that it can be split ([`Reader::split_after`]).
    pub fn stdin() -> Result<Reader> {
        use std::os::fd::AsFd;
        let name = PathBuf::from("<stdin>");
        if let Ok(fd) = io::stdin().as_fd().try_clone_to_owned() {
            let f = File::from(fd);
            if f.metadata().is_ok_and(|m| m.is_file()) {
                return Reader::from_file(f, name);
            }
        }
        Reader::new(Box::new(io::stdin()), Some(name))
    }

    /// Reads a regular file from where its offset stands, naming it `name` in messages; a
    /// second handle is kept, as by [`Reader::open`], for [`Reader::split_after`].
    pub fn from_file(f: File, name: PathBuf) -> Result<Reader> {
        let start = io::Seek::stream_position(&mut &f).ok();
        let again = f.try_clone().ok().filter(|_| start.is_some());
        let mut r = Reader::new(Box::new(f), Some(name))?;
        r.file = again;
        r.file_start = start.unwrap_or(0);
        Ok(r)
    }

    /// Opens the same file again from its start (for tools that need two passes).
    /// Fails for a reader that is not reading a file.
    pub fn reopen(&self) -> Result<Reader> {
        let name = self.path.clone().unwrap_or_else(|| "<stdin>".into());
        match &self.source {
            Some(p) => {
                let mut r = Reader::open_named(p, &name)?;
                r.strict = self.strict;
                Ok(r)
            }
            None => Err(Error::msg("cannot read this input twice").in_file(name)),
        }
    }

    /// Reads a recording from any byte source; `name` is used in messages.
    ///
    /// The header is read here, so format errors show up at once.
    pub fn new(src: Box<dyn Read + Send>, name: Option<PathBuf>) -> Result<Reader> {
        let (src, packed) = crate::compress::decoding(src).map_err(|e| {
            Error::from(e).in_file(name.clone().unwrap_or_else(|| "<stdin>".into()))
        })?;
        let mut r = Reader::bare(src, name);
        r.packed = packed;
        r.start().map_err(|e| r.locate(e))?;
        Ok(r)
    }

    /// A reader of `src` that has read nothing yet, not even a header.
    fn bare(src: Box<dyn Read + Send>, name: Option<PathBuf>) -> Reader {
        Reader {
            src: Source::Direct(src),
            read_direct: 0,
            buf: vec![0; INITIAL_BUF],
            pos: 0,
            end: 0,
            eof: false,
            next_nl: None,
            last_nl: None,
            one_pass: crate::scan::string_end(b"", 0, 0, false).is_some(),
            text_len: None,
            line_no: 0,
            header: Header::new(Version::V2, 80, 24),
            prev_time: 0,
            whole: None,
            whole_cut: None,
            emulated: false,
            capped_once: false,
            path: name,
            source: None,
            strict: false,
            truncation: None,
            warnings: Vec::new(),
            done: false,
            packed: None,
            file: None,
            file_start: 0,
            split_at: None,
            rest_file: None,
            rejoined: false,
            ahead: true,
        }
    }

    /// The length of the file read, when the input is a regular file.
    pub fn file_len(&self) -> Option<u64> {
        self.file.as_ref()?.metadata().ok().map(|m| m.len())
    }

    /// The offset in the file read where the reading began: 0 but for standard input, when
    /// it is a regular file opened at some offset.
    pub fn file_start(&self) -> u64 {
        self.file_start
    }

    /// After a split reading (see [`Reader::split_after`]), leaves the file's offset at its
    /// end, where a reading straight through would have left it: this reader stopped at the
    /// boundary (and reads on, if it does, at offsets). That offset is shared with whoever else holds the file, as a shell does
    /// standard input in `{ cast-info; cat; } < big.cast`.
    pub fn end_split(&mut self) {
        if let (Some(_), Some(f)) = (self.split_at, &self.file) {
            let _ = io::Seek::seek(&mut &*f, io::SeekFrom::End(0));
        }
    }

    /// Splits the reading of a file in two, for a tool that sums a recording up and can read
    /// both parts at once (cast-info): from here on this reader stops at the first line
    /// boundary after byte `from`, and the reader returned reads the lines after that, under
    /// this reader's header. That reader's times and line numbers count from the boundary (in
    /// v3, where times are intervals, add the first part's last time): its warnings and a
    /// cut-off end name lines counted from there until this reader takes them over
    /// ([`Reader::adopt`]). Where its result cannot be used, [`Reader::read_on`]. Neither
    /// reader reads ahead on a thread of its own: each part is read where it is parsed.
    ///
    /// None, with nothing changed, unless the input is a regular file of newline-delimited
    /// events, not compressed, whose reading has not gone past that boundary and is not yet
    /// on the read-ahead thread, with the boundary within 1 MiB after `from` and something
    /// after it, and two more handles to the file can be opened (one for the other reader,
    /// one kept for reading on).
    pub fn split_after(&mut self, from: u64) -> Option<Reader> {
        use std::os::unix::fs::FileExt;
        if self.whole.is_some() || self.packed.is_some() || self.done || self.split_at.is_some() {
            return None;
        }
        let file = self.file.as_ref()?;
        let len = file.metadata().ok()?.len();
        if !matches!(self.src, Source::Direct(_)) {
            return None;
        }
        // The file offset of the first byte not yet consumed: the handle shares its offset with
        // the one the reader reads (`read_direct` would not do: it starts again from 0 when a
        // read-ahead thread cannot be started).
        let mut shared: &File = file;
        let read = io::Seek::stream_position(&mut shared).ok()?;
        let unread = read.checked_sub((self.end - self.pos) as u64)?;
        let mut window = vec![0u8; 64 * 1024];
        let mut at = from;
        let boundary = loop {
            let n = file.read_at(&mut window, at).ok()?;
            if n == 0 || at - from >= 1024 * 1024 {
                return None;
            }
            if let Some(k) = memchr::memchr(b'\n', &window[..n]) {
                break at + k as u64 + 1;
            }
            at += n as u64;
        };
        if boundary >= len || boundary < unread {
            return None;
        }
        // Both handles now, or no split: reading on must not fail where a straight read would
        // not (when no more files can be opened, say).
        let rest = file.try_clone().ok()?;
        let later = file.try_clone().ok()?;
        let Source::Direct(src) =
            std::mem::replace(&mut self.src, Source::Direct(Box::new(io::empty())))
        else {
            unreachable!("checked above")
        };
        if boundary <= read {
            // Bytes past the boundary are buffered already: they are the other reader's.
            self.end = self.pos + (boundary - unread) as usize;
            self.next_nl = self.next_nl.filter(|&nl| nl < self.end);
            self.last_nl = None;
        } else {
            self.src = Source::Direct(Box::new(src.take(boundary - read)));
        }
        self.split_at = Some(boundary);
        self.rest_file = Some(later);
        // Each part is read on the thread that parses it: with a thread reading ahead for
        // each, four threads on two cores made cast-info's split 0.120 s where it takes
        // 0.089 s this way, against 0.134 s unsplit (bench/run.sh's typing mix, median of 11
        // alternating runs).
        self.ahead = false;
        let mut other = Reader::bare(
            Box::new(ReadAt {
                file: rest,
                at: boundary,
            }),
            self.path.clone(),
        );
        other.header = self.header.clone();
        other.strict = self.strict;
        other.emulated = self.emulated;
        other.capped_once = self.capped_once;
        other.ahead = false;
        Some(other)
    }

    /// After a reader that [split](Reader::split_after) its file has read its part, reads on
    /// through the other part itself, as if it had never split: for when the other reader's
    /// result cannot be used. False when the reader was not split, has read on already, has
    /// not reached the boundary, or found its last line cut off there (the file changed since
    /// the split): nothing changes.
    #[must_use]
    pub fn read_on(&mut self) -> bool {
        let Some(at) = self.split_at else {
            return false;
        };
        if self.rejoined || !self.done || self.pos != self.end || self.truncation.is_some() {
            return false;
        }
        let Some(file) = self.rest_file.take() else {
            return false;
        };
        self.src = Source::Direct(Box::new(ReadAt { file, at }));
        self.rejoined = true;
        self.ahead = true;
        self.eof = false;
        self.done = false;
        true
    }

    /// After a reader that [split](Reader::split_after) its file has read its part, takes
    /// over what `other`, the reader of the rest, reported: its warnings, under this reader's
    /// cap and after its own, and a cut-off last line, their line numbers counted on from this
    /// reader's. This reader then stands where reading on through the rest would have left it
    /// (for a tool that adds the parts' results up, as cast-info does). Only when
    /// [`Reader::can_adopt`] says so; otherwise nothing changes.
    pub fn adopt(&mut self, other: &mut Reader) {
        if !self.can_adopt() {
            return;
        }
        let base = self.line_no;
        // The reader's own messages start `line N: `; others (the cap's "further warnings
        // left out") stay as they are.
        let shift = |w: String| {
            let n = w.strip_prefix("line ").and_then(|r| r.split_once(": "));
            match n.map(|(n, rest)| (n.parse::<u64>(), rest)) {
                Some((Ok(n), rest)) => format!("line {}: {rest}", n + base),
                _ => w,
            }
        };
        for w in other.take_warnings() {
            self.warn(shift(w));
        }
        self.truncation = other.truncation.take().map(shift);
        self.line_no += other.line_no;
        self.prev_time = if self.version() == Version::V3 {
            self.prev_time.saturating_add(other.prev_time)
        } else {
            other.prev_time
        };
    }

    /// Whether [`Reader::adopt`] can take another reader's reports: the reader split its file,
    /// has read its part to the boundary and not on, was not cut off there, and does not cap
    /// terminal sizes (each reader would have warned of that once).
    pub fn can_adopt(&self) -> bool {
        self.split_at.is_some()
            && !self.rejoined
            && self.done
            && self.truncation.is_none()
            && !self.emulated
    }

    /// Makes a cut-off last line an error instead of a warning.
    pub fn set_strict(&mut self, strict: bool) {
        self.strict = strict;
    }

    /// Caps terminal sizes at what castkit's emulator holds ([`crate::vt::cap_size`]), for a
    /// tool that feeds one: the header's size and every resize event larger than the cap are
    /// replaced by the capped size, with one warning naming the line (an error with `strict`,
    /// so call [`Reader::set_strict`] first). The header's size is checked here.
    pub fn set_emulated(&mut self) -> Result<()> {
        self.emulated = true;
        let size = self.header.size();
        let capped = crate::vt::cap_size(size);
        if capped != size {
            self.note_cap(size, capped, 1)?;
            self.header.set_size(capped.0, capped.1);
        }
        Ok(())
    }

    /// Warns once (or fails, with `strict`) that a size was capped.
    fn note_cap(&mut self, size: (u16, u16), capped: (u16, u16), line: u64) -> Result<()> {
        let what = format!(
            "terminal size {}x{} is larger than castkit emulates ({})",
            size.0,
            size.1,
            crate::vt::CAP_TEXT
        );
        if self.strict {
            return Err(self.locate(Error::msg(what).at_line(line)));
        }
        if !self.capped_once {
            self.capped_once = true;
            self.warn(format!(
                "line {line}: {what}; used {}x{} (and for any larger size after)",
                capped.0, capped.1
            ));
        }
        Ok(())
    }

    /// A resize event's size capped for an emulator, when [`Reader::set_emulated`] asks.
    fn cap_resize(&mut self, rec: &mut EventRecord) -> Result<()> {
        if !self.emulated || rec.code() != Code::Resize {
            return Ok(());
        }
        let mut scratch = String::new();
        if let Some(size) = parse_size(rec.data_str(&mut scratch)) {
            let capped = crate::vt::cap_size(size);
            if capped != size {
                self.note_cap(size, capped, rec.line)?;
                rec.set_data(&format!("{}x{}", capped.0, capped.1));
            }
        }
        Ok(())
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn version(&self) -> Version {
        self.header.version()
    }

    pub fn layout(&self) -> Layout {
        if self.whole.is_some() {
            Layout::Document
        } else {
            Layout::Lines
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// When the last line was cut off, a description of what was kept of it.
    pub fn truncation(&self) -> Option<&str> {
        self.truncation.as_deref()
    }

    /// Warnings about what was read and repaired or dropped (a resize to an impossible size,
    /// a cut-off last line), in order, each starting with `line N: `. Takes them: a second
    /// call returns only newer ones.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Adds a warning of the tool's own about this recording, printed with the reader's.
    pub fn add_warning(&mut self, msg: String) {
        self.warn(msg);
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else if self.warnings.len() == MAX_WARNINGS {
            self.warnings.push("further warnings left out".into());
        }
    }

    /// The absolute time of the last event read, counting any the reader dropped (0 before
    /// the first): where the times of a v3 recording's next part start from (see
    /// [`Reader::split_after`]).
    pub fn clock(&self) -> Micros {
        self.prev_time
    }

    /// The number of the last line read.
    pub fn line_number(&self) -> u64 {
        self.line_no
    }

    /// True when the next [`read_event`](Self::read_event) has no complete line buffered and
    /// would have to read (and so might block). Filters flush their output then, so live
    /// pipelines keep flowing.
    pub fn needs_refill(&mut self) -> bool {
        if self.whole.is_some() || self.eof {
            return false;
        }
        if self.next_nl.is_some() {
            return false;
        }
        // Whether a newline is buffered at or after `pos`: whether the last one is. Asked
        // after every event, this costs a search per buffer, not one per line.
        let (pos, end) = (self.pos, self.end);
        let last = *self
            .last_nl
            .get_or_insert_with(|| memchr::memrchr(b'\n', &self.buf[pos..end]).map(|k| pos + k));
        !matches!(last, Some(nl) if nl >= self.pos)
    }

    fn locate(&self, mut e: Error) -> Error {
        if e.path.is_none() {
            e.path = Some(
                self.path
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("<stdin>")),
            );
        }
        e
    }

    /// Reads more bytes; returns false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.last_nl = None;
        if self.ahead
            && matches!(self.src, Source::Direct(_))
            && self.read_direct > READ_AHEAD_AFTER
        {
            self.start_read_ahead();
        }
        if let Source::Ahead(_) = self.src {
            return self.fill_ahead();
        }
        if self.pos > 0 && self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        } else if self.pos > self.buf.len() / 2 {
            self.roll();
        }
        if self.end == self.buf.len() {
            if self.pos > 0 {
                self.roll();
            } else {
                grow(&mut self.buf, 0);
            }
        }
        let Source::Direct(src) = &mut self.src else {
            unreachable!("read-ahead handled above")
        };
        loop {
            match src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    self.read_direct += n as u64;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves the unread bytes `buf[pos..end]` to the front of the buffer, making room after
    /// them (ripgrep's `roll`). The one place offsets into the buffer shift.
    #[inline]
    fn roll(&mut self) {
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.next_nl = self.next_nl.map(|n| n - self.pos);
        self.pos = 0;
    }

    /// Moves the reading to a thread of its own (staying direct if no thread starts).
    fn start_read_ahead(&mut self) {
        let Source::Direct(src) =
            std::mem::replace(&mut self.src, Source::Direct(Box::new(io::empty())))
        else {
            return;
        };
        self.src = match ReadAhead::start(src) {
            Ok(ahead) => Source::Ahead(ahead),
            Err(src) => {
                self.read_direct = 0;
                Source::Direct(src)
            }
        };
    }

    /// [`fill`](Self::fill) from the read-ahead thread: the unread bytes go in front of the
    /// new buffer's data (in its headroom) and the new buffer becomes ours, so the data itself
    /// is never copied; only a line longer than the headroom makes the buffer grow by copying.
    fn fill_ahead(&mut self) -> io::Result<bool> {
        let Source::Ahead(ahead) = &mut self.src else {
            unreachable!()
        };
        let chunk = ahead.next()?;
        let n = chunk.end - HEADROOM;
        let kept = self.end - self.pos;
        let spent = if n == 0 {
            self.eof = true;
            chunk.buf
        } else if kept <= HEADROOM {
            let mut buf = chunk.buf;
            let start = HEADROOM - kept;
            buf[start..HEADROOM].copy_from_slice(&self.buf[self.pos..self.end]);
            self.next_nl = self.next_nl.map(|nl| nl - self.pos + start);
            self.pos = start;
            self.end = chunk.end;
            std::mem::replace(&mut self.buf, buf)
        } else {
            self.roll();
            if self.buf.len() < kept + n {
                grow(&mut self.buf, kept + n);
            }
            self.buf[kept..kept + n].copy_from_slice(&chunk.buf[HEADROOM..chunk.end]);
            self.end += n;
            chunk.buf
        };
        if let Source::Ahead(ahead) = &mut self.src {
            ahead.recycle(spent);
        }
        Ok(n > 0)
    }

    /// The next line as (start, end, had_newline) offsets into `buf`, or None at end of input.
    fn next_line(&mut self) -> io::Result<Option<(usize, usize, bool)>> {
        let mut searched = self.pos;
        loop {
            let nl = match self.next_nl.take() {
                Some(n) => Some(n),
                None => memchr::memchr(b'\n', &self.buf[searched..self.end]).map(|k| searched + k),
            };
            if let Some(nl) = nl {
                let start = self.pos;
                self.pos = nl + 1;
                self.line_no += 1;
                return Ok(Some((start, nl, true)));
            }
            let scanned = self.end - self.pos;
            if !self.fill()? {
                if self.pos < self.end {
                    let start = self.pos;
                    let end = self.end;
                    self.pos = self.end;
                    self.line_no += 1;
                    return Ok(Some((start, end, false)));
                }
                return Ok(None);
            }
            // `fill` may have moved the unread bytes (to the front of the buffer, or into the
            // headroom of a buffer from the read-ahead thread, which may be further on);
            // resume the search where it stopped.
            searched = self.pos + scanned;
            debug_assert!(self.end - self.pos >= scanned);
        }
    }

    /// Reads the whole remaining input (for document layouts).
    fn slurp(&mut self) -> io::Result<Vec<u8>> {
        let mut all = self.buf[self.pos..self.end].to_vec();
        match &mut self.src {
            Source::Direct(src) => {
                src.read_to_end(&mut all)?;
            }
            Source::Ahead(ahead) => loop {
                let chunk = ahead.next()?;
                if chunk.end == HEADROOM {
                    break;
                }
                all.extend_from_slice(&chunk.buf[HEADROOM..chunk.end]);
                ahead.recycle(chunk.buf);
            },
        }
        self.pos = self.end;
        self.eof = true;
        Ok(all)
    }

    fn start(&mut self) -> Result<()> {
        // Find the first non-blank byte.
        loop {
            if self.pos < self.end {
                if self.pos == 0 && self.buf[..self.end].starts_with(b"\xEF\xBB\xBF") {
                    self.pos = 3;
                    continue;
                }
                let b = self.buf[self.pos];
                if b.is_ascii_whitespace() {
                    if b == b'\n' {
                        self.line_no += 1;
                    }
                    self.pos += 1;
                    continue;
                }
                break;
            }
            if !self.fill()? {
                return Err(Error::new(ErrorKind::NotACast(
                    if self.line_no == 0 && self.end == 0 {
                        "empty file".into()
                    } else {
                        "no content".into()
                    },
                )));
            }
        }
        match self.buf[self.pos] {
            b'{' => self.start_object(),
            b'[' => {
                let first_line = self.line_no + 1;
                let all = self.slurp()?;
                self.start_array(&all).map_err(|e| {
                    if e.line.is_none() {
                        e.at_line(first_line)
                    } else {
                        e
                    }
                })
            }
            _ => Err(Error::new(ErrorKind::NotACast(self.describe_junk()))),
        }
    }

    fn describe_junk(&self) -> String {
        let head = &self.buf[self.pos..self.end.min(self.pos + 1024)];
        let text = std::str::from_utf8(head).ok();
        if head.contains(&0)
            || text.is_none() && std::str::from_utf8(&head[..head.len().saturating_sub(4)]).is_err()
        {
            "binary data".into()
        } else if head.starts_with(b"<") {
            "looks like HTML or XML".into()
        } else {
            "the first line is not a JSON header".into()
        }
    }

    fn start_object(&mut self) -> Result<()> {
        let Some((s, e, had_nl)) = self.next_line()? else {
            unreachable!("start() saw a byte")
        };
        let line = trim_end(&self.buf[s..e]);
        let first_line = self.line_no;
        // A lone surrogate escape is read as U+FFFD, as in events (serde_json refuses it).
        let fixed = fix_lone_surrogates(line);
        let line = fixed.as_deref().unwrap_or(line);
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(fields)) => {
                if fields.get("version").and_then(Value::as_u64) == Some(1)
                    || (fields.get("version").is_none() && fields.contains_key("stdout"))
                {
                    return self.start_v1(fields).map_err(|e| e.at_line(first_line));
                }
                let line = line.to_vec();
                self.header = Header::parse_line(&line).map_err(|e| e.at_line(first_line))?;
                self.header_warnings(first_line);
                Ok(())
            }
            Ok(_) => unreachable!("a line starting with '{{' parses only as an object"),
            Err(err) if err.is_eof() && !had_nl => Err(Error::new(ErrorKind::Header(
                "the header is cut off (the file ends inside it)".into(),
            ))
            .at_line(first_line)),
            Err(err) if err.is_eof() => {
                // An object spread over several lines: a pretty-printed v1 recording.
                let mut all = self.buf[s..e].to_vec();
                all.push(b'\n');
                all.extend(self.slurp()?);
                if let Some(fixed) = fix_lone_surrogates(&all) {
                    all = fixed;
                }
                let (partial, err2) = parse_v1_partial(&all);
                let v1 = partial.frames.is_some()
                    || partial.fields.get("version").and_then(Value::as_u64) == Some(1);
                match err2 {
                    None if v1 => self.start_v1_frames(partial),
                    None => Err(Error::new(ErrorKind::Header(
                        "a v2/v3 header must be on one line".into(),
                    ))
                    .at_line(first_line)),
                    Some(err2) => {
                        let at = first_line - 1 + err2.line() as u64;
                        if !(err2.is_eof() && v1) {
                            return Err(
                                Error::new(ErrorKind::Header(json_error_text(&err2))).at_line(at)
                            );
                        }
                        // A v1 recording cut off: keep the frames that were whole, and say so
                        // (or fail, with `strict`) once they have been read.
                        let n = partial.frames.as_ref().map_or(0, Vec::len);
                        self.start_v1_frames(partial)?;
                        self.truncation = Some(format!(
                            "line {at}: the recording was cut off; kept the {n} complete frames"
                        ));
                        self.whole_cut = Some(at);
                        Ok(())
                    }
                }
            }
            Err(err) => {
                Err(Error::new(ErrorKind::Header(json_error_text(&err))).at_line(first_line))
            }
        }
    }

    /// Passes the header's own warnings on, as found on line `line`.
    fn header_warnings(&mut self, line: u64) {
        for w in self.header.take_warnings() {
            self.warn(format!("line {line}: {w}"));
        }
    }

    fn start_v1_frames(&mut self, partial: V1Partial) -> Result<()> {
        let mut fields = partial.fields;
        fields.insert(
            "stdout".into(),
            Value::Array(partial.frames.unwrap_or_default()),
        );
        self.start_v1(fields)
    }

    fn start_v1(&mut self, mut fields: serde_json::Map<String, Value>) -> Result<()> {
        let frames = match fields.remove("stdout") {
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(Error::new(ErrorKind::Header(
                    "v1 'stdout' is not an array".into(),
                )));
            }
            None => {
                return Err(Error::new(ErrorKind::Header(
                    "v1 recording without 'stdout'".into(),
                )));
            }
        };
        self.header = Header::from_v1(fields);
        self.header_warnings(self.line_no.max(1));
        let mut events = Vec::with_capacity(frames.len());
        let mut t: Micros = 0;
        for (i, frame) in frames.iter().enumerate() {
            let bad = |m: &str| Error::new(ErrorKind::Event(format!("v1 frame {}: {m}", i + 1)));
            let Value::Array(parts) = frame else {
                return Err(bad("not an array"));
            };
            let [delay, data, ..] = parts.as_slice() else {
                return Err(bad("expected [delay, data]"));
            };
            let d = value_time(delay).map_err(|m| bad(&m))?;
            t = next_time(true, t, d);
            let Value::String(data) = data else {
                return Err(bad("data is not a string"));
            };
            events.push(EventRecord::new(t, "o", data));
        }
        self.whole = Some(events.into_iter());
        Ok(())
    }

    fn start_array(&mut self, all: &[u8]) -> Result<()> {
        let fixed = fix_lone_surrogates(all);
        let all = fixed.as_deref().unwrap_or(all);
        let v: Value = serde_json::from_slice(all).map_err(|e| {
            let line = self.line_no + e.line() as u64;
            Error::new(ErrorKind::NotACast(format!(
                "a JSON array that does not parse: {}",
                json_error_text(&e)
            )))
            .at_line(line.saturating_sub(1).max(1))
        })?;
        let Value::Array(items) = v else {
            unreachable!()
        };
        let mut items = items.into_iter();
        let Some(Value::Object(h)) = items.next() else {
            return Err(Error::new(ErrorKind::NotACast(
                "a JSON array whose first element is not a header".into(),
            )));
        };
        self.header = Header::from_object(h)?;
        self.header_warnings(self.line_no.max(1));
        let v3 = self.header.version() == Version::V3;
        let mut events = Vec::with_capacity(items.len());
        let mut t: Micros = 0;
        for (i, item) in items.enumerate() {
            let bad =
                |m: &str| Error::new(ErrorKind::Event(format!("array element {}: {m}", i + 2)));
            let Value::Array(parts) = item else {
                return Err(bad("not an event array"));
            };
            let [time, code, data, ..] = parts.as_slice() else {
                return Err(bad("expected [time, code, data]"));
            };
            let tt = value_time(time).map_err(|m| bad(&m))?;
            t = next_time(v3, t, tt);
            let code = match code {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(bad("event code is not a string")),
            };
            let Value::String(data) = data else {
                return Err(bad("event data is not a string"));
            };
            let mut rec = EventRecord::new(t, &code, data);
            if normalize_resize(&mut rec) {
                events.push(rec);
            }
        }
        self.whole = Some(events.into_iter());
        Ok(())
    }

    /// The next event when its whole line is buffered and in the form recorders write,
    /// `[T, "c", "data"]` with data that needs no repair: parsed in one step, as most events
    /// are. False (with nothing consumed) leaves the line to the general parser.
    #[inline]
    fn read_plain_event(&mut self, rec: &mut EventRecord) -> bool {
        let Some((t, data, close, nl)) = self.find_plain::<false>() else {
            return false;
        };
        let code = &self.buf[data - 6..data - 3];
        rec.clear();
        rec.buf.extend_from_slice(code);
        rec.code_len = 3;
        rec.code = Some(Code::from_json(code));
        rec.buf.extend_from_slice(&self.buf[data - 1..close + 1]);
        (rec.time, rec.line) = self.take_line(t, nl);
        true
    }

    /// The next event borrowed from the buffer, when [`read_event`](Self::read_event) would
    /// take it in one step (a plain line, see `read_plain_event`): a filter that passes the
    /// data through writes it from here, and the copy into a record is saved. `None`, with
    /// nothing consumed, for every other line and at the end: read it with `read_event`.
    #[inline]
    pub fn read_borrowed(&mut self) -> Option<EventRef<'_>> {
        self.borrowed::<false>()
    }

    /// [`read_borrowed`](Self::read_borrowed) that also counts the length of the event's text
    /// as decoded ([`EventRef::text_len`]) in the same pass that finds and checks the line,
    /// for a tool that wants only that length (cast-info): the escapes are in the scan's masks
    /// already, so this spares a second pass over the data. A method of its own, so that a
    /// filter, which copies the data, pays nothing for it.
    #[inline]
    pub fn read_borrowed_counted(&mut self) -> Option<EventRef<'_>> {
        self.borrowed::<true>()
    }

    // Always inlined: out of line, with its event returned through memory, it cost cast-idle
    // 11% more instructions on a recording of keystrokes.
    #[inline(always)]
    fn borrowed<const COUNT: bool>(&mut self) -> Option<EventRef<'_>> {
        if self.whole.is_some() || self.done {
            return None;
        }
        let (t, data, close, nl) = self.find_plain::<COUNT>()?;
        let (time, line) = self.take_line(t, nl);
        let code_json = &self.buf[data - 6..data - 3];
        Some(EventRef {
            time,
            code: Code::from_json(code_json),
            code_json,
            data_json: &self.buf[data - 1..close + 1],
            line,
            text_len: if COUNT { self.text_len } else { None },
        })
    }

    /// Finds the plain line at `pos` (see `read_plain_event`), consuming nothing: its time
    /// field, where its data's content starts, its closing quote and its newline. Resizes are
    /// rare and have their own checks, and very long lines are handed over whole, so both are
    /// left to the general parser (None), which is told where the line ends when that is known.
    /// With `COUNT`, the data's decoded length goes to `text_len` (see
    /// [`Reader::read_borrowed_counted`]).
    #[inline]
    fn find_plain<const COUNT: bool>(&mut self) -> Option<(Micros, usize, usize, usize)> {
        let (t, data, close, nl, text_len) = if self.one_pass {
            let (t, data, close, text_len) =
                match plain_scanned(&self.buf, self.pos, self.end, COUNT) {
                    Ok(found) => found,
                    Err(nl) => {
                        self.next_nl = nl;
                        return None;
                    }
                };
            (t, data, close, close + 2, text_len)
        } else {
            // Found first, then checked (on machines without the one-pass scanner).
            let nl = match self.next_nl {
                Some(n) => n,
                None => self.pos + memchr::memchr(b'\n', &self.buf[self.pos..self.end])?,
            };
            let Some((t, data)) = plain_line(&self.buf[self.pos..nl]) else {
                self.next_nl = Some(nl);
                return None;
            };
            // `plain_line` gives offsets in the line; the line ends `"]`.
            (t, self.pos + data, nl - 2, nl, None)
        };
        if nl - self.pos >= HAND_OVER_AT || self.buf[data - 5] == b'r' {
            self.next_nl = Some(nl);
            return None;
        }
        if COUNT {
            self.text_len = text_len;
        }
        Some((t, data, close, nl))
    }

    /// Consumes the plain line that ends at `nl`, whose time field reads `t`: the event's
    /// absolute time and line number.
    #[inline]
    fn take_line(&mut self, t: Micros, nl: usize) -> (Micros, u64) {
        self.line_no += 1;
        let time = self.event_time(t);
        self.pos = nl + 1;
        self.next_nl = None;
        (time, self.line_no)
    }

    /// Gives `rec` the buffer that holds a very long line, whose data token is `buf[ds..de]`,
    /// instead of copying the token out of it: memory then holds the line once, not twice.
    /// The bytes after the line move to a fresh buffer, and the code token (all `rec` holds
    /// so far) is put right before the data token, where the record wants it. False (nothing
    /// changed) when the code token would not fit between the line's start `ls` and the data.
    fn hand_over_line(&mut self, rec: &mut EventRecord, ls: usize, ds: usize, de: usize) -> bool {
        let code_len = rec.buf.len();
        if rec.start != 0 || ds < ls + code_len {
            return false;
        }
        let code = rec.buf.clone();
        let rest = self.end - self.pos;
        // The record's old buffer becomes the reader's, unless it is itself a long line's.
        let mut fresh = std::mem::take(&mut rec.buf);
        if fresh.capacity() > 4 * INITIAL_BUF {
            fresh = Vec::new();
        }
        fresh.clear();
        fresh.resize(INITIAL_BUF.max(rest), 0);
        fresh[..rest].copy_from_slice(&self.buf[self.pos..self.end]);
        let mut line = std::mem::replace(&mut self.buf, fresh);
        self.last_nl = None;
        self.pos = 0;
        self.end = rest;
        self.next_nl = None;
        let start = ds - code_len;
        line[start..ds].copy_from_slice(&code);
        line.truncate(de);
        rec.buf = line;
        rec.start = start;
        rec.code_len = code_len;
        true
    }

    /// The absolute time of the next event, whose time field reads `t` (see [`next_time`]).
    #[inline]
    fn event_time(&mut self, t: Micros) -> Micros {
        let v3 = self.header.version() == Version::V3;
        self.prev_time = next_time(v3, self.prev_time, t);
        self.prev_time
    }

    /// Reads the next event into `rec`. Returns false at the end of the recording.
    ///
    /// Blank lines and `#` comment lines are skipped. Errors name the file and line.
    pub fn read_event(&mut self, rec: &mut EventRecord) -> Result<bool> {
        if self.read_next(rec)? {
            return Ok(true);
        }
        self.check_cut_stream()?;
        Ok(false)
    }

    /// The compression of the input, if it was compressed.
    pub fn compression(&self) -> Option<crate::compress::Compression> {
        self.packed.as_ref().map(|p| p.kind())
    }

    /// At the end: a compressed stream that was cut off is a warning like a cut-off last line
    /// (an error with `strict`).
    fn check_cut_stream(&mut self) -> Result<()> {
        let Some(msg) = self.packed.as_ref().and_then(|p| p.take_cut()) else {
            return Ok(());
        };
        if self.strict {
            return Err(self.locate(Error::new(ErrorKind::Truncated(msg))));
        }
        self.truncation.get_or_insert_with(|| msg.clone());
        self.warn(msg);
        Ok(())
    }

    #[inline]
    fn read_next(&mut self, rec: &mut EventRecord) -> Result<bool> {
        if let Some(it) = &mut self.whole {
            if let Some(ev) = it.next() {
                *rec = ev;
                self.cap_resize(rec)?;
                return Ok(true);
            }
            if let Some(at) = self.whole_cut.take() {
                if self.strict {
                    return Err(self.locate(
                        Error::new(ErrorKind::Truncated("the recording was cut off".into()))
                            .at_line(at),
                    ));
                }
                let what = self.truncation.clone().unwrap_or_default();
                self.warn(what);
            }
            return Ok(false);
        }
        if self.done {
            return Ok(false);
        }
        if self.read_plain_event(rec) {
            return Ok(true);
        }
        loop {
            let Some((s, e, had_nl)) = self.next_line().map_err(|e| self.locate(e.into()))? else {
                self.done = true;
                return Ok(false);
            };
            let line = trim_end(&self.buf[s..e]);
            let first = line.iter().position(|b| !b.is_ascii_whitespace());
            let Some(first) = first else { continue };
            if line[first] == b'#' {
                continue;
            }
            let line_no = self.line_no;
            let mut to = if e - s >= HAND_OVER_AT {
                DataTo::Locate(None)
            } else {
                DataTo::Copy
            };
            let parsed = parse_event_to(&line[first..], rec, &mut to);
            if let DataTo::Locate(Some((ds, de))) = to {
                let (ds, de) = (s + first + ds, s + first + de);
                if parsed.is_err() || !self.hand_over_line(rec, s, ds, de) {
                    rec.buf.extend_from_slice(&self.buf[ds..de]);
                }
            }
            match parsed {
                Ok(t) => {
                    rec.line = line_no;
                    rec.time = self.event_time(t);
                    if !normalize_resize(rec) {
                        let mut s = String::new();
                        let data = rec.data_str(&mut s).to_string();
                        self.warn(format!(
                            "line {line_no}: resize to '{data}' is not a terminal size; dropped it"
                        ));
                        continue;
                    }
                    self.cap_resize(rec)?;
                    return Ok(true);
                }
                Err(p) if p.eof && !had_nl => {
                    self.done = true;
                    let what = match p.salvaged {
                        Some(t) => {
                            rec.line = line_no;
                            rec.time = self.event_time(t);
                            "the last event was cut off; kept the part of its data that was complete"
                        }
                        None => "the last line was cut off; dropped it",
                    };
                    if self.strict {
                        return Err(self.locate(
                            Error::new(ErrorKind::Truncated("the last line was cut off".into()))
                                .at_line(line_no),
                        ));
                    }
                    self.truncation = Some(format!("line {line_no}: {what}"));
                    self.warn(format!("line {line_no}: {what}"));
                    return Ok(p.salvaged.is_some());
                }
                Err(p) => {
                    let msg = if p.eof {
                        format!("{} (line ends early)", p.msg)
                    } else {
                        p.msg
                    };
                    return Err(self.locate(Error::new(ErrorKind::Event(msg)).at_line(line_no)));
                }
            }
        }
    }
}

/// Reads a file from an offset on with pread(2), leaving the offset of any other handle to it
/// alone.
struct ReadAt {
    file: File,
    at: u64,
}

impl Read for ReadAt {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// The absolute time of an event whose time field reads `t`, after an event at `prev`: `t`
/// itself where times are absolute (v2), `prev` plus the interval `t` where they are intervals
/// (v1, v3). A negative interval counts as 0, as the v3 writer treats it, so converting to v2
/// never makes time run backwards.
#[inline]
fn next_time(intervals: bool, prev: Micros, t: Micros) -> Micros {
    if intervals {
        prev.saturating_add(t.max(0))
    } else {
        t
    }
}

/// A line in exactly the form `[T, "c", "data"]` (no blanks but those, `T` as
/// [`plain_time`] reads it, a one-letter code, data needing no repair): its time and the
/// offset where the data's content starts (after its opening quote; the line ends `"]`).
#[inline]
fn plain_line(line: &[u8]) -> Option<(Micros, usize)> {
    if line.first() != Some(&b'[') || !line.ends_with(b"\"]") {
        return None;
    }
    let (t, q) = plain_head(line)?;
    let sc = scan_last_string(line, q)?;
    if sc.needs_repair || sc.surrogate && has_lone_surrogate(&line[q + 1..line.len() - 2]) {
        return None;
    }
    Some((t, q + 1))
}

/// The event line starting at `buf[pos]`, when it is in the form [`plain_line`] takes, found
/// and checked in one pass over `buf[pos..end]` (see [`crate::scan::string_end`]) instead of
/// finding its newline first: its time, the offset where the data's content starts, and the
/// offset of the data's closing quote (`]` and the newline follow), and with `count` the
/// length of the data's text once decoded, unless a `\\u` escape in it stands for more than
/// ASCII. `Err` leaves the line to the general parser, with the offset of its newline when that
/// was found.
#[inline]
fn plain_scanned(
    buf: &[u8],
    pos: usize,
    end: usize,
    count: bool,
) -> std::result::Result<(Micros, usize, usize, Option<u64>), Option<usize>> {
    let line = &buf[pos..end];
    if line.first() != Some(&b'[') {
        return Err(None);
    }
    if let Some(short) = crate::scan::short_line(buf, pos, end) {
        // A line shorter than a block with nothing to repair or check in its data: its
        // closing quote is the first after the opening one.
        let nl = pos + short.k;
        if let Some((t, data)) = key_line(buf, pos, &short) {
            let close = nl - 2;
            return Ok((t, data, close, count.then_some((close - data) as u64)));
        }
        let (t, q) = plain_head(line).ok_or(Some(nl))?;
        let after = short.quotes.checked_shr(q as u32 + 1).unwrap_or(0);
        let close = pos + q + 1 + after.trailing_zeros() as usize;
        if after == 0 || close + 2 != nl || buf[close + 1] != b']' {
            return Err(Some(nl));
        }
        // No backslash: the text is the bytes as they stand.
        let data = pos + q + 1;
        return Ok((t, data, close, count.then_some((close - data) as u64)));
    }
    let (t, q) = plain_head(line).ok_or(None)?;
    let data = pos + q + 1;
    let limit = end.min(pos + HAND_OVER_AT);
    if data > limit {
        return Err(None);
    }
    let Some(crate::scan::End::At {
        quote: close,
        found: f,
        utf8,
        saved,
    }) = crate::scan::string_end(buf, data, limit, count)
    else {
        return Err(None);
    };
    if close + 3 > end || buf[close + 1..close + 3] != *b"]\n" {
        return Err(None);
    }
    let content = &buf[data..close];
    if f.ctrl {
        // Raw control bytes to repair, a newline perhaps among them.
        return Err(None);
    }
    if !utf8 || f.surrogate && has_lone_surrogate(content) {
        return Err(Some(close + 2));
    }
    Ok((t, data, close, saved.map(|n| content.len() as u64 - n)))
}

/// The short line at `buf[pos]` (found by [`crate::scan::short_line`]) when it is exactly
/// `[S.ffffff, "c", "data"]` with one to seven digits `S`: its time and the offset where its
/// data's content starts. The masks of its quotes and digits already say nearly all, so this
/// is a few checks of them and of the bytes between, and the time's digits are combined
/// unchecked (they are digits). A typed key's line is nearly always so; for any other, `None`,
/// and the caller takes it the longer way ([`plain_head`]), which gives the same for these.
#[inline(always)]
fn key_line(buf: &[u8], pos: usize, s: &crate::scan::Short) -> Option<(Micros, usize)> {
    // The code's opening quote: after `[`, the time, `, `.
    let a = s.quotes.trailing_zeros() as usize;
    if !(11..=17).contains(&a) || s.k < a + 8 {
        return None;
    }
    // The quotes around the code and the data's, and no other.
    if s.quotes != (1 << a | 1 << (a + 2) | 1 << (a + 5) | 1 << (s.k - 2)) {
        return None;
    }
    // The time field is bytes 1 to a - 3: digits, but the dot six before its end.
    let dot = a - 9;
    let field = (1u64 << (a - 2)) - 2;
    if s.digits & field != field & !(1 << dot) || buf[pos + dot] != b'.' {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"));
    let c = buf[pos + a + 1];
    let head = u64::from_le_bytes([b',', b' ', b'"', c, b'"', b',', b' ', b'"']);
    if word(pos + a - 2) != head || !c.is_ascii_alphanumeric() || buf[pos + s.k - 1] != b']' {
        return None;
    }
    // The seconds' digits moved to the top of the word (see `plain_time`), and the six
    // decimals with two zero digits before them.
    let secs = digits_value(word(pos + 1).wrapping_sub(ZEROS8) << (8 * (18 - a)));
    let us = digits_value(word(pos + dot + 1).wrapping_sub(ZEROS8) << 16);
    Some((secs * time::SECOND + us, pos + a + 6))
}

/// The start of an event in the form recorders write, `[T, "c", "` (`T` as [`plain_time`]
/// reads it, a one-letter code): its time and the offset of the data's opening quote. Both
/// one-step paths begin here: [`plain_line`] for whole buffered lines, and the general
/// parser's first try.
#[inline]
fn plain_head(line: &[u8]) -> Option<(Micros, usize)> {
    let (t, i) = plain_time(line, 1)?;
    let head = line.get(i..i + 8)?;
    let c = head[3];
    if head != [b',', b' ', b'"', c, b'"', b',', b' ', b'"'] || !c.is_ascii_alphanumeric() {
        return None;
    }
    Some((t, i + 7))
}

/// What could be read of a v1 document: the fields before the error, and the frames of its
/// `stdout` array read whole before it (None when no `stdout` was reached).
#[derive(Default)]
struct V1Partial {
    fields: serde_json::Map<String, Value>,
    frames: Option<Vec<Value>>,
}

/// Parses a JSON object as serde_json would, keeping what was read before an error, so that a
/// v1 recording cut off mid-frame still gives its complete frames.
fn parse_v1_partial(text: &[u8]) -> (V1Partial, Option<serde_json::Error>) {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    struct Top<'a>(&'a mut V1Partial);
    struct Frames<'a>(&'a mut Vec<Value>);
    impl<'de> DeserializeSeed<'de> for Top<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Top<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<String>()? {
                if key == "stdout" {
                    let frames = self.0.frames.insert(Vec::new());
                    map.next_value_seed(Frames(frames))?;
                } else {
                    let v: Value = map.next_value()?;
                    self.0.fields.insert(key, v);
                }
            }
            Ok(())
        }
    }
    impl<'de> DeserializeSeed<'de> for Frames<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Frames<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of frames")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while let Some(v) = seq.next_element::<Value>()? {
                self.0.push(v);
            }
            Ok(())
        }
    }
    let mut partial = V1Partial::default();
    let mut de = serde_json::Deserializer::from_slice(text);
    let res = Top(&mut partial)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    (partial, res.err())
}

/// Makes `buf` at least `need` bytes long, and longer by an eighth at least. The capacity
/// still doubles (so growing costs amortized constant time), but only the length is touched,
/// so a long line takes about its own length in memory, not twice it.
fn grow(buf: &mut Vec<u8>, need: usize) {
    let len = buf.len();
    let want = need.max(len + (len / 8).max(INITIAL_BUF));
    buf.resize(want, 0);
}

fn value_time(v: &Value) -> Result<Micros, String> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return Err("time is not a number".into()),
    };
    time::parse_seconds(text.as_bytes()).map_err(|e| format!("time {e}"))
}

/// Rewrites `ROWS,COLS` resize data (the Python recorder's form) as standard `COLSxROWS`.
/// Returns false for a resize whose data is no terminal size at all (`-1x0` has been seen):
/// players and asciinema reject those, so the reader drops them.
#[inline(always)]
fn normalize_resize(rec: &mut EventRecord) -> bool {
    rec.code() != Code::Resize || normalize_resize_data(rec)
}

fn normalize_resize_data(rec: &mut EventRecord) -> bool {
    let mut scratch = String::new();
    let text = rec.data_str(&mut scratch).to_string();
    match parse_size(&text) {
        Some((c, r)) => {
            if text.contains(',') || text.trim() != text {
                rec.set_data(&format!("{c}x{r}"));
            }
            true
        }
        None => false,
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    let mut e = line.len();
    while e > 0 && matches!(line[e - 1], b'\r' | b' ' | b'\t') {
        e -= 1;
    }
    &line[..e]
}

/// A scan failure: a message, and whether it was the line running out (a cut-off line).
struct ParseErr {
    msg: String,
    eof: bool,
    /// For a cut-off line: the time of the event whose partial data was kept in the record.
    salvaged: Option<Micros>,
}

fn perr(msg: impl Into<String>) -> ParseErr {
    ParseErr {
        msg: msg.into(),
        eof: false,
        salvaged: None,
    }
}

fn peof(msg: impl Into<String>) -> ParseErr {
    ParseErr {
        msg: msg.into(),
        eof: true,
        salvaged: None,
    }
}

#[inline]
fn skip_ws(line: &[u8], mut i: usize) -> usize {
    while i < line.len() && matches!(line[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    i
}

/// What a string scan found.
struct StrScan {
    /// Offset just past the closing quote.
    end: usize,
    /// A raw control byte, or bytes that are not UTF-8: the token needs repair.
    needs_repair: bool,
    /// A `\u` escape that may be a surrogate: lone ones must become U+FFFD.
    surrogate: bool,
}

/// Marks bytes that need a closer look inside a string: `"`, `\`, control bytes, non-ASCII.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i < 0x20 || i == b'"' as usize || i == b'\\' as usize || i >= 0x80;
        i += 1;
    }
    t
};

/// Scans a JSON string starting at the opening quote `line[start]`.
fn scan_string(line: &[u8], start: usize) -> Result<StrScan, ParseErr> {
    let mut i = start + 1;
    let mut ctrl = false;
    let mut surrogate = false;
    let mut nonascii_from: Option<usize> = None;
    let n = line.len();
    loop {
        // Fast path: skip ordinary ASCII eight bytes at a time.
        while i + 8 <= n {
            let chunk = u64::from_le_bytes(line[i..i + 8].try_into().expect("8 bytes"));
            if has_special(chunk) {
                break;
            }
            i += 8;
        }
        while i < n && !SPECIAL[line[i] as usize] {
            i += 1;
        }
        if i >= n {
            return Err(peof("unterminated string"));
        }
        match line[i] {
            b'"' => {
                let end = i + 1;
                let bad_utf8 = match nonascii_from {
                    Some(from) => std::str::from_utf8(&line[from..i]).is_err(),
                    None => false,
                };
                return Ok(StrScan {
                    end,
                    needs_repair: ctrl || bad_utf8,
                    surrogate,
                });
            }
            b'\\' => {
                let Some(&c) = line.get(i + 1) else {
                    return Err(peof("unterminated string"));
                };
                match c {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = &line[(i + 2).min(n)..(i + 6).min(n)];
                        if hex.iter().any(|b| !b.is_ascii_hexdigit()) {
                            return Err(perr(format!(
                                "invalid \\u escape '\\u{}' in string",
                                String::from_utf8_lossy(&hex[..hex.len().min(4)])
                            )));
                        }
                        if hex.len() < 4 {
                            return Err(peof("unterminated string"));
                        }
                        surrogate |= hex[0] | 0x20 == b'd';
                        i += 6;
                    }
                    other => {
                        return Err(perr(format!(
                            "invalid escape '\\{}' in string",
                            String::from_utf8_lossy(&[other])
                        )));
                    }
                }
            }
            b if b < 0x20 => {
                ctrl = true;
                i += 1;
            }
            _ => {
                // Non-ASCII: validated as UTF-8 once, at the end of the string.
                nonascii_from.get_or_insert(i);
                i += 1;
            }
        }
    }
}

/// The fast path for the data string, which is the event's last element: `line[start]` is
/// its opening quote, and the line ends in `" ]`. The closing quote is found from the back,
/// the escapes are checked at each backslash (memchr), and control bytes and UTF-8 are checked
/// in bulk. Returns None when anything is unusual (an extra element, a bad escape, a quote
/// inside): the careful scanner then decides, and gives the error if there is one.
fn scan_last_string(line: &[u8], start: usize) -> Option<StrScan> {
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut e = line.len();
    while e > start && ws(line[e - 1]) {
        e -= 1;
    }
    if e <= start || line[e - 1] != b']' {
        return None;
    }
    e -= 1;
    while e > start && ws(line[e - 1]) {
        e -= 1;
    }
    if e <= start + 1 || line[e - 1] != b'"' {
        return None;
    }
    let close = e - 1;
    let content = &line[start + 1..close];
    let f = check_content(content)?;
    let bad_utf8 = f.high && simdutf8::basic::from_utf8(content).is_err();
    Some(StrScan {
        end: close + 1,
        needs_repair: f.ctrl || bad_utf8,
        surrogate: f.surrogate,
    })
}

/// Checks the inside of a string whose end is known: every quote escaped, every escape
/// valid. Returns what it found (raw control bytes, non-ASCII bytes, possible surrogate
/// escapes), or None when a quote is unescaped or an escape is invalid.
///
/// This is the hottest loop of every filter: one pass, sixteen bytes at a time, looking at
/// individual bytes only where a quote, backslash or control byte stands.
#[inline]
fn check_content(content: &[u8]) -> Option<Found> {
    if let Some(checked) = crate::scan::check(content) {
        return checked;
    }
    check_content_portable(content)
}

/// [`check_content`] for machines without the block-mask fast path.
#[inline]
fn check_content_portable(content: &[u8]) -> Option<Found> {
    let n = content.len();
    let mut ctrl = false;
    let mut surrogate = false;
    let mut high = 0u8;
    // Bytes before `skip` belong to an escape already checked.
    let mut skip = 0usize;
    let mut i = 0usize;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; loads are unaligned and in bounds.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let bslash = _mm_set1_epi8(b'\\' as i8);
            let low = _mm_set1_epi8(0x1f);
            let mut hi_acc = _mm_setzero_si128();
            while i + 16 <= n {
                let v = _mm_loadu_si128(content.as_ptr().add(i) as *const __m128i);
                hi_acc = _mm_or_si128(hi_acc, v);
                let is_ctrl = _mm_cmpeq_epi8(_mm_min_epu8(v, low), v);
                let special = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                    is_ctrl,
                );
                let mut mask = _mm_movemask_epi8(special) as u32;
                while mask != 0 {
                    let k = i + mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    if k < skip {
                        continue;
                    }
                    skip = check_special(content, k, &mut ctrl, &mut surrogate)?;
                }
                i += 16;
            }
            high |= (_mm_movemask_epi8(hi_acc) != 0) as u8;
        }
    }
    while i < n {
        let b = content[i];
        high |= b >> 7;
        if i >= skip && (b == b'"' || b == b'\\' || b < 0x20) {
            skip = check_special(content, i, &mut ctrl, &mut surrogate)?;
        }
        i += 1;
    }
    Some(Found {
        ctrl,
        high: high != 0,
        surrogate,
    })
}

/// Looks at a quote, backslash or control byte at `k`; returns where checking resumes.
#[inline]
fn check_special(content: &[u8], k: usize, ctrl: &mut bool, surrogate: &mut bool) -> Option<usize> {
    match content[k] {
        b'"' => None,
        b'\\' => match content.get(k + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Some(k + 2),
            Some(b'u') => {
                let hex = content.get(k + 2..k + 6)?;
                *surrogate |= hex[0] | 0x20 == b'd';
                hex.iter().all(u8::is_ascii_hexdigit).then_some(k + 6)
            }
            _ => None,
        },
        _ => {
            *ctrl = true;
            Some(k + 1)
        }
    }
}

/// True if any byte of the word is `"`, `\`, below 0x20 or at or above 0x80.
#[inline]
fn has_special(x: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let quote = zero_byte(x ^ (LO * b'"' as u64));
    let bslash = zero_byte(x ^ (LO * b'\\' as u64));
    // Bytes below 0x20: subtracting 0x20 borrows into the high bit.
    let low = x.wrapping_sub(LO * 0x20) & !x & HI;
    ((quote | bslash | low) != 0) || (x & HI != 0)
}

/// Appends a string token to `out`, repairing it when needed: raw control bytes are escaped,
/// invalid UTF-8 becomes U+FFFD. `inner` is the content between the quotes.
fn push_repaired(out: &mut Vec<u8>, inner: &[u8]) {
    let mut text = String::with_capacity(inner.len());
    unescape_into(inner, &mut text);
    write_json_str(out, &text);
}

/// Appends the token `line[s..e]` (a scanned string) to `out`, repaired if needed. A token
/// whose only fault is a lone surrogate escape keeps every other byte: the surrogate alone
/// becomes `\ufffd`.
#[inline]
fn push_token(out: &mut Vec<u8>, line: &[u8], s: usize, scan: &StrScan) {
    let token = &line[s..scan.end];
    if scan.needs_repair {
        push_repaired(out, &token[1..token.len() - 1]);
    } else if scan.surrogate
        && let Some(fixed) = fix_lone_surrogates(token)
    {
        out.extend_from_slice(&fixed);
    } else {
        out.extend_from_slice(token);
    }
}

/// Parses one event line `[time, code, data (, extra...)]` into `rec` (code and data tokens).
/// Returns the time as written (absolute for v2, an interval for v3).
#[cfg(test)]
fn parse_event(line: &[u8], rec: &mut EventRecord) -> Result<Micros, ParseErr> {
    parse_event_to(line, rec, &mut DataTo::Copy)
}

/// Where [`parse_event_to`] puts the data token: copied into the record, or, for a very long
/// line whose token needs no repair, only located (offsets into the line), for the reader to
/// hand its buffer over instead of copying it.
enum DataTo {
    Copy,
    Locate(Option<(usize, usize)>),
}

#[inline]
fn put_data(rec: &mut EventRecord, to: &mut DataTo, line: &[u8], s: usize, sc: &StrScan) {
    match to {
        DataTo::Locate(span) if !sc.needs_repair && !sc.surrogate => *span = Some((s, sc.end)),
        _ => push_token(&mut rec.buf, line, s, sc),
    }
}

/// [`parse_event`], with the data token going where `to` says.
fn parse_event_to(line: &[u8], rec: &mut EventRecord, to: &mut DataTo) -> Result<Micros, ParseErr> {
    if line[0] != b'[' {
        return Err(perr("expected '[' at the start of an event"));
    }
    // The form recorders write, `[T, "c", "data"]`: time, code and separators in one step.
    // Anything else, and any error, is left to the general path below.
    if let Some((t, q)) = plain_head(line)
        && let Some(sc) = scan_last_string(line, q)
    {
        let code = &line[q - 5..q - 2];
        rec.clear();
        rec.buf.extend_from_slice(code);
        rec.code_len = 3;
        rec.code = Some(Code::from_json(code));
        put_data(rec, to, line, q, &sc);
        return Ok(t);
    }
    let n = line.len();
    let mut i = skip_ws(line, 1);
    // time: a number, or a string holding one (seen in the wild)
    let t = if i < n && line[i] == b'"' {
        let sc = scan_string(line, i)?;
        let inner = &line[i + 1..sc.end - 1];
        let t = time::parse_seconds(trim_ascii(inner)).map_err(|e| perr(format!("time: {e}")))?;
        i = sc.end;
        t
    } else if let Some((t, end)) = plain_time(line, i) {
        i = end;
        t
    } else {
        let s = i;
        while i < n && matches!(line[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
            i += 1;
        }
        if s == i {
            return Err(if i >= n {
                peof("expected a time")
            } else {
                perr("expected a time")
            });
        }
        if i >= n {
            return Err(peof("expected ',' after time"));
        }
        time::parse_seconds(&line[s..i]).map_err(|e| perr(format!("time: {e}")))?
    };
    i = skip_ws(line, i);
    if i >= n {
        return Err(peof("expected ',' after time"));
    }
    if line[i] != b',' {
        return Err(perr("expected ',' after time"));
    }
    i = skip_ws(line, i + 1);
    // code: a string (a number is accepted and written back as a string)
    rec.clear();
    if i >= n {
        return Err(peof("expected an event code"));
    }
    if line[i] == b'"' && line.get(i + 2) == Some(&b'"') && line[i + 1].is_ascii_alphanumeric() {
        // A one-letter code, as nearly every event has.
        rec.buf.extend_from_slice(&line[i..i + 3]);
        i += 3;
    } else if line[i] == b'"' {
        let sc = scan_string(line, i)?;
        push_token(&mut rec.buf, line, i, &sc);
        i = sc.end;
    } else if line[i].is_ascii_digit() {
        let s = i;
        while i < n && line[i].is_ascii_alphanumeric() {
            i += 1;
        }
        rec.buf.push(b'"');
        rec.buf.extend_from_slice(&line[s..i]);
        rec.buf.push(b'"');
    } else {
        return Err(perr("expected an event code string"));
    }
    rec.code_len = rec.buf.len();
    rec.code = Some(Code::from_json(&rec.buf));
    i = skip_ws(line, i);
    if i >= n {
        return Err(peof("expected ',' after event code"));
    }
    if line[i] != b',' {
        return Err(perr("expected ',' after event code"));
    }
    i = skip_ws(line, i + 1);
    if i >= n {
        return Err(peof("expected event data"));
    }
    if line[i] != b'"' {
        return Err(perr("event data is not a string"));
    }
    let scanned = match scan_last_string(line, i) {
        Some(sc) => {
            // The line is known to end in `"]` (and blanks): nothing is left to check.
            put_data(rec, to, line, i, &sc);
            return Ok(t);
        }
        None => scan_string(line, i),
    };
    let sc = match scanned {
        Ok(sc) => sc,
        Err(mut e) if e.eof => {
            // Cut off inside the data: keep what is complete of it.
            let inner = &line[i + 1..];
            let mut text = String::with_capacity(inner.len());
            unescape_into(&cut_partial(inner), &mut text);
            write_json_str(&mut rec.buf, &text);
            e.salvaged = Some(t);
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    put_data(rec, to, line, i, &sc);
    i = skip_ws(line, sc.end);
    // Extra elements (a four-element event in the wild) are skipped.
    while i < n && line[i] == b',' {
        i = skip_ws(line, i + 1);
        i = skip_value(line, i)?;
        i = skip_ws(line, i);
    }
    if i >= n {
        let mut e = peof("expected ']' at the end of the event");
        e.salvaged = Some(t);
        return Err(e);
    }
    if line[i] != b']' {
        return Err(perr("expected ']' after event data"));
    }
    if skip_ws(line, i + 1) != n {
        return Err(perr("unexpected text after the event"));
    }
    Ok(t)
}

/// The time as recorders write it, `\d+(\.\d{1,6})?` followed by `,` or a space, parsed in
/// one scan; None for anything else (the general parser takes over).
#[inline]
fn plain_time(line: &[u8], start: usize) -> Option<(Micros, usize)> {
    let rest = line.get(start..)?;
    // The usual `S.ffffff` with at most seven integer digits, in a few word operations.
    if let Some(w) = rest.get(..8) {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        let int_digits = (non_digits(w).trailing_zeros() / 8) as usize;
        if (1..8).contains(&int_digits)
            && rest[int_digits] == b'.'
            && let Some(f) = rest.get(int_digits + 1..int_digits + 9)
            && let Some(us) = six_digits(u64::from_le_bytes(f.try_into().expect("8 bytes")))
            && matches!(rest.get(int_digits + 7), Some(b',' | b' ' | b'\t'))
        {
            // The integer digits moved to the top of the word: what was past them falls off
            // and zeros come in front.
            let secs = digits_value(w.wrapping_sub(ZEROS8) << (8 * (8 - int_digits)));
            return Some((secs * time::SECOND + us, start + int_digits + 7));
        }
    }
    // At most 12 integer digits, so the arithmetic cannot overflow; a 13th means "not plain".
    let mut secs: i64 = 0;
    let mut i = 0;
    let limit = rest.len().min(13);
    while i < limit {
        let d = rest[i].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        secs = secs * 10 + d as i64;
        i += 1;
    }
    if i == 0 || i > 12 {
        return None;
    }
    let mut us: i64 = 0;
    let mut digits = 0;
    if rest.get(i) == Some(&b'.') {
        i += 1;
        // Six decimals, as recorders write them, in one step.
        if let Some(w) = rest.get(i..i + 8)
            && let Some(v) = six_digits(u64::from_le_bytes(w.try_into().expect("8 bytes")))
        {
            us = v;
            digits = 6;
            i += 6;
        }
        // Otherwise at most six decimals; a seventh means "not plain" (the general parser
        // rounds).
        let limit = if digits == 6 {
            i
        } else {
            rest.len().min(i + 7)
        };
        while i < limit {
            let d = rest[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            us = us * 10 + d as i64;
            digits += 1;
            i += 1;
        }
        if digits == 0 || digits > 6 {
            return None;
        }
    }
    if !matches!(rest.get(i), Some(b',' | b' ' | b'\t')) {
        return None;
    }
    const SCALE: [i64; 7] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    Some((secs * time::SECOND + us * SCALE[digits], start + i))
}

const ZEROS8: u64 = 0x3030_3030_3030_3030;

/// A word with the high nibble of each byte set when that byte is not an ASCII digit.
#[inline]
fn non_digits(w: u64) -> u64 {
    const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    // A digit's high nibble is 3, and its low nibble plus 6 stays below 16 (no byte carries).
    ((w & HIGH) ^ ZEROS8) | (((w & LOW) + 0x0606_0606_0606_0606) & HIGH)
}

/// The value of eight digit values (0 to 9) in the bytes of `v`, the first digit in the
/// lowest byte: pairs, then fours, then all.
#[inline]
fn digits_value(v: u64) -> i64 {
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    ((v * 10_000 + (v >> 32)) & 0xFFFF_FFFF) as i64
}

/// The value of six decimal digits in the low six bytes of `w` (little-endian: the first
/// byte is the first digit) when the seventh byte is not a digit, else None. The digits are
/// combined in pairs, then fours, then all, within the one integer.
#[inline]
fn six_digits(w: u64) -> Option<i64> {
    const LOW6: u64 = 0x0000_FFFF_FFFF_FFFF;
    const HIGH_NIBBLES: u64 = 0x0000_F0F0_F0F0_F0F0;
    const ZEROS: u64 = 0x0000_3030_3030_3030;
    let d = w & LOW6;
    // A byte is a digit when its high nibble is 3 and adding 6 keeps it so (no byte carries).
    let digits = d & HIGH_NIBBLES == ZEROS && (d + 0x0000_0606_0606_0606) & HIGH_NIBBLES == ZEROS;
    if !digits || ((w >> 48) as u8).wrapping_sub(b'0') <= 9 {
        return None;
    }
    // As eight digits "00dddddd": shifted up two bytes.
    Some(digits_value((d - ZEROS) << 16))
}

/// Drops an escape or UTF-8 sequence cut off at the end of a partial string.
fn cut_partial(inner: &[u8]) -> Vec<u8> {
    let mut v = inner.to_vec();
    // A trailing backslash run of odd length, or a `\u` with fewer than four hex digits.
    if let Some(bs) = v.iter().rposition(|&b| b == b'\\') {
        let run_start = v[..=bs]
            .iter()
            .rposition(|&b| b != b'\\')
            .map_or(0, |k| k + 1);
        let run = bs + 1 - run_start;
        let tail = &v[bs + 1..];
        if run % 2 == 1 && (tail.is_empty() || (tail[0] == b'u' && tail.len() < 5)) {
            v.truncate(bs);
        }
    }
    // A UTF-8 sequence cut off: from_utf8's error says where the incomplete part starts.
    if let Err(e) = std::str::from_utf8(&v)
        && e.error_len().is_none()
    {
        v.truncate(e.valid_up_to());
    }
    v
}

/// Skips one JSON value loosely (extra event elements); returns the offset after it.
fn skip_value(line: &[u8], mut i: usize) -> Result<usize, ParseErr> {
    let n = line.len();
    if i >= n {
        return Err(peof("expected a value"));
    }
    if line[i] == b'"' {
        return Ok(scan_string(line, i)?.end);
    }
    let mut depth = 0usize;
    while i < n {
        match line[i] {
            b'"' => {
                i = scan_string(line, i)?.end;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth == 0 => return Ok(i),
            b']' | b'}' => depth -= 1,
            b',' if depth == 0 => return Ok(i),
            _ => {}
        }
        i += 1;
    }
    Err(peof("unterminated value"))
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |k| k + 1);
    &b[s..e]
}

/// One recording written twice, for tests of the borrowed path ([`Reader::read_borrowed`]):
/// once in plain lines, once with every line bent out of the plain form (no spaces), so
/// that the general parser reads it into records. A tool must not tell the two apart. The
/// events: two long ones with escapes and non-ASCII text (`o` and `e`), a short `e`, input, a
/// resize, a progress line, a marker, a surrogate pair and an exit.
#[cfg(test)]
pub(crate) fn plain_and_bent_recordings() -> [Vec<u8>; 2] {
    let long = "\\u001b[1;32m中文 résumé ✓\\r\\n".repeat(9);
    let events = [
        format!("[0.25, \"o\", \"{long}\"]"),
        "[0.5, \"e\", \"warn\\u00e9\\r\\n\"]".to_string(),
        "[0.75, \"i\", \"q\"]".to_string(),
        "[1, \"r\", \"100x30\"]".to_string(),
        "[2, \"o\", \"50%\\r60%\\r\\n\"]".to_string(),
        "[4, \"m\", \"mark\"]".to_string(),
        format!("[4.5, \"e\", \"{long}\"]"),
        "[5, \"o\", \"\\ud83d\\ude00 x\"]".to_string(),
        "[6, \"x\", \"0\"]".to_string(),
    ];
    let header = "{\"version\": 2, \"width\": 80, \"height\": 24}\n";
    [false, true].map(|bend| {
        let mut cast = header.to_string();
        for e in &events {
            cast.push_str(&if bend {
                e.replace(", ", ",")
            } else {
                e.clone()
            });
            cast.push('\n');
        }
        cast.into_bytes()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source giving at most `step` bytes per read, as a pipe might.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn read_ahead_keeps_every_line_whole() {
        // Several MiB (the read-ahead thread takes over after four), lines of every length up
        // to several times a read-ahead buffer's headroom, a CRLF line and a non-plain one
        // for the general parser, read in big and in odd small pieces.
        let mut input = String::from("{\"version\":2,\"width\":80,\"height\":24}\n");
        let mut want = Vec::new();
        let mut k = 0u64;
        while input.len() < 9 * 1024 * 1024 {
            let len = match k % 7 {
                0 => 1,
                1 => 13,
                2 => 700,
                3 => (k as usize * 7919) % 9000,
                4 => 3 * HEADROOM + 11,
                5 => HEADROOM - 3,
                _ => 40,
            };
            let data: String = "abcdé\\n".chars().cycle().take(len).collect();
            let json = serde_json::to_string(&data).unwrap();
            let t = k * 1_000_003;
            let line = match k % 50 {
                7 => format!(
                    "[{}.{:06}, \"o\", {json}]\r\n",
                    t / 1_000_000,
                    t % 1_000_000
                ),
                8 => format!("[ {}.{:06} ,\"o\",{json} ]\n", t / 1_000_000, t % 1_000_000),
                _ => format!("[{}.{:06}, \"o\", {json}]\n", t / 1_000_000, t % 1_000_000),
            };
            input.push_str(&line);
            want.push((t as i64, json.into_bytes()));
            k += 1;
        }
        for (step, one_pass) in [(usize::MAX, true), (4093, true), (77, true), (4093, false)] {
            let src = Trickle {
                data: input.as_bytes().to_vec(),
                at: 0,
                step,
            };
            let mut r = Reader::new(Box::new(src), None).unwrap();
            // Both ways of finding plain lines (the one-pass one exists on x86_64 with AVX2).
            r.one_pass &= one_pass;
            let mut rec = EventRecord::default();
            let mut n = 0;
            while r.read_event(&mut rec).unwrap() {
                assert_eq!(rec.time(), want[n].0, "event {n}, reads of {step}");
                assert_eq!(
                    rec.data_json(),
                    &want[n].1[..],
                    "event {n}, reads of {step}"
                );
                assert_eq!(rec.line(), n as u64 + 2);
                n += 1;
            }
            assert_eq!(n, want.len(), "reads of {step}");
            assert!(
                matches!(r.src, Source::Ahead(_)),
                "read ahead with reads of {step}"
            );
        }
    }

    #[test]
    fn plain_lines_parse_as_the_general_parser_does() {
        let lines: &[&[u8]] = &[
            b"[1.5, \"o\", \"a\"]",
            b"[0.000001, \"o\", \"\"]",
            b"[1234567.123456, \"i\", \"x\"]",
            b"[12345678.123456, \"o\", \"x\"]",
            b"[007.100000, \"o\", \"x\"]",
            b"[1.1234567, \"o\", \"x\"]",
            b"[-1.000000, \"o\", \"x\"]",
            b"[1e3, \"o\", \"x\"]",
            b"[1.000000, \"o\", \"ends with \\\\\"]",
            b"[1.000000, \"o\", \"ends with \\\"\"]",
            b"[1.000000, \"o\", \"bad \\q escape\"]",
            b"[1.000000, \"o\", \"raw \x1b control\"]",
            b"[1.000000, \"o\", \"bad \xff utf-8\"]",
            b"[1.000000, \"o\", \"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"]",
            b"[1.000000, \"o\", \"unescaped \" quote\"]",
            b"[1.000000, \"o\", \"a\", 4]",
            b"[1.000000, \"o\", \"a\" ]",
            b"[1.000000, \"\\u006f\", \"a\"]",
            b"[1.000000,\"o\",\"a\"]",
            b"[1.000000, \"oo\", \"a\"]",
            b"[1.000000, \"o\", \"",
            b"[1.000000, \"o\", \"\"]\"]",
            b"[1.000000, \"o\", \"cut caf\xc3\"]",
            b"[1.000000, \"o\", \"\xf0\x9f\x98\x80 \xe4\xb8\xad \x7f\"]",
            b"[1.000000, \"o\", \"overlong \xc0\xaf\"]",
            b"[1.000000, \"o\", \"surrogate \xed\xa0\x80\"]",
            b"[1.000000, \"o\", \"tab\tinside\"]",
            b"[1.000000, \"o\", \"a\"]x",
        ];
        let mut taken = 0;
        for &line in lines {
            let mut general = EventRecord::default();
            let parsed = parse_event(line, &mut general);
            // The one-pass path takes the same lines, whatever follows the newline.
            // (Followed by a block or more, a line shorter than a block is checked whole.)
            let long = b"[2.0, \"o\", \"b\"]\n".repeat(5);
            for after in [&b""[..], b"[2.0, \"o\", \"b\"]\n", b"\"]\n\"", &long] {
                let buf = [line, b"\n", after].concat();
                if let Ok((t, data, close, _)) = plain_scanned(&buf, 0, buf.len(), false) {
                    let want = plain_line(line).map(|(t, data)| (t, data, line.len() - 2));
                    assert_eq!(
                        Some((t, data, close)),
                        want,
                        "{}",
                        String::from_utf8_lossy(line)
                    );
                } else if crate::scan::string_end(b"", 0, 0, false).is_some() {
                    assert_eq!(plain_line(line), None, "{}", String::from_utf8_lossy(line));
                }
            }
            let Some((t, start)) = plain_line(line) else {
                continue;
            };
            taken += 1;
            // Whatever the fast path takes, the general parser reads the same way.
            let shown = String::from_utf8_lossy(line);
            let want =
                parsed.unwrap_or_else(|e| panic!("{shown}: fast path took a bad line: {}", e.msg));
            assert_eq!(t, want, "{shown}");
            assert_eq!(
                &line[start - 1..line.len() - 1],
                general.data_json(),
                "{shown}"
            );
            assert_eq!(&line[start - 6..start - 3], general.code_json(), "{shown}");
        }
        // The plain forms above (the first five, the two ending in escapes, the two non-ASCII
        // ones).
        assert_eq!(taken, 9);
    }

    /// Lines near a typed key's form, each with one or two bytes changed, taken by
    /// `plain_scanned` (whose short lines go through `key_line` first) exactly as `plain_line`
    /// takes them, and read by the general parser to the same time.
    #[test]
    fn lines_near_a_key_parse_as_plain_lines_do() {
        if crate::scan::string_end(b"", 0, 0, false).is_none() {
            return;
        }
        const SWAPS: &[u8] = b"0159.,: \"]oe[-x\xc3\xa9";
        let mut rng = crate::testing::Rng(0x6b65_795f_6c69_6e65);
        let (mut keys, mut others) = (0, 0);
        for _ in 0..60_000 {
            let secs = "1234567890"[..rng.below(10)].to_string();
            let decimals = ["", ".", ".5", ".12345", ".123456", ".1234567"][rng.below(6)];
            let data = ["", "a", "é", "ab\\\"", "x\"y", "xyz"][rng.below(6)];
            let mut line = format!("[{secs}{decimals}, \"o\", \"{data}\"]").into_bytes();
            for _ in 0..rng.below(3) {
                let at = rng.below(line.len());
                line[at] = SWAPS[rng.below(SWAPS.len())];
            }
            // A block and more after the line, so that it is looked at as a short line.
            let buf = [&line[..], b"\n", &b"[2.000000, \"o\", \"b\"]\n".repeat(4)].concat();
            let shown = String::from_utf8_lossy(&line).into_owned();
            let got = plain_scanned(&buf, 0, buf.len(), true).ok();
            // Without a backslash, the text is as long as the data's bytes.
            let text =
                |data: usize| (!line.contains(&b'\\')).then(|| (line.len() - 2 - data) as u64);
            let want = plain_line(&line).map(|(t, data)| (t, data, line.len() - 2, text(data)));
            let got = got.map(|(t, d, c, n)| (t, d, c, n.filter(|_| text(d).is_some())));
            if got.is_none() && crate::scan::short_line(&buf, 0, buf.len()).is_none() {
                // Not a short line (a backslash, a bad byte): the longer path's, tested above.
                continue;
            }
            assert_eq!(got, want, "{shown}");
            let Some((t, ..)) = got else {
                others += 1;
                continue;
            };
            let mut general = EventRecord::default();
            assert_eq!(parse_event(&line, &mut general).ok(), Some(t), "{shown}");
            if (11..=17).contains(&line.iter().position(|&c| c == b'"').unwrap_or(0)) {
                keys += 1;
            }
        }
        assert!(keys > 5_000 && others > 5_000, "{keys} {others}");
    }

    fn read_all(input: &str) -> Result<(Reader, Vec<EventRecord>)> {
        let mut r = Reader::new(Box::new(io::Cursor::new(input.as_bytes().to_vec())), None)?;
        let mut out = Vec::new();
        let mut rec = EventRecord::default();
        while r.read_event(&mut rec)? {
            out.push(rec.clone());
        }
        Ok((r, out))
    }

    /// Every event of `r`, as (time, line, code, data) text.
    fn events_of(r: &mut Reader) -> Vec<(Micros, u64, String)> {
        let mut rec = EventRecord::default();
        let mut out = Vec::new();
        while r.read_event(&mut rec).unwrap() {
            let mut code = String::new();
            let code = rec.code_str(&mut code).to_string();
            out.push((rec.time(), rec.line(), format!("{code} {}", data(&rec))));
        }
        out
    }

    #[test]
    fn a_split_file_reads_as_two_parts_of_one() {
        // The two readers give the events of one, the second's times counting from the first
        // part's clock in v3 and its line numbers from the boundary. Big enough that the
        // second part starts beyond what the first reader buffered at open (and its own
        // reading moves to the read-ahead thread), and small enough to split anywhere.
        let dir = tempfile::tempdir().unwrap();
        for v3 in [false, true] {
            let mut text = String::from(if v3 {
                "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n"
            } else {
                "{\"version\": 2, \"width\": 80, \"height\": 24}\n"
            });
            for k in 0..200_000u64 {
                let t = if v3 {
                    format!("0.{:06}", k % 7)
                } else {
                    format!("{k}.5")
                };
                text.push_str(&format!("[{t}, \"o\", \"line {k} \\u001b[0m\\r\\n\"]\n"));
                if k % 1000 == 0 {
                    text.push_str("\n# a comment\n");
                }
            }
            let path = dir.path().join("split.cast");
            std::fs::write(&path, &text).unwrap();
            let whole = events_of(&mut Reader::open(&path).unwrap());
            for from in [
                0,
                100,
                200_000,
                text.len() as u64 / 2,
                text.len() as u64 - 200,
            ] {
                let mut first = Reader::open(&path).unwrap();
                let mut second = first.split_after(from).expect("a split");
                let mut got = events_of(&mut first);
                let (clock, lines) = (if v3 { first.clock() } else { 0 }, first.line_number());
                got.extend(
                    events_of(&mut second)
                        .into_iter()
                        .map(|(t, line, what)| (t + clock, line + lines, what)),
                );
                assert_eq!(got.len(), whole.len(), "v3 {v3}, from {from}");
                assert!(got == whole, "v3 {v3}, from {from}");
            }
            // Reading on instead of using the second reader gives the rest too.
            let mut first = Reader::open(&path).unwrap();
            let second = first.split_after(text.len() as u64 / 3).expect("a split");
            drop(second);
            let mut got = events_of(&mut first);
            assert!(got.len() < whole.len() / 2);
            assert!(first.read_on());
            assert!(!first.read_on(), "only once");
            got.extend(events_of(&mut first));
            assert!(got == whole, "read on, v3 {v3}");
        }
    }

    #[test]
    fn what_is_not_split() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one.cast");
        std::fs::write(
            &one,
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1, \"o\", \"x\"]\n",
        )
        .unwrap();
        // Nothing after the boundary, a boundary already read, standard input, a document.
        assert!(Reader::open(&one).unwrap().split_after(50).is_none());
        let mut r = Reader::open(&one).unwrap();
        assert!(r.split_after(0).is_some());
        assert!(r.split_after(0).is_none(), "split once");
        let mut r = Reader::open(&one).unwrap();
        assert!(r.read_event(&mut EventRecord::default()).unwrap());
        assert!(r.split_after(0).is_none(), "read past it");
        let bytes = std::fs::read(&one).unwrap();
        let mut r = Reader::new(Box::new(io::Cursor::new(bytes)), None).unwrap();
        assert!(r.split_after(0).is_none(), "not a file");
        assert!(!r.read_on());
        let v1 = dir.path().join("v1.json");
        std::fs::write(&v1, "{\"version\": 1, \"width\": 80, \"height\": 24,\n\"stdout\": [[0.5, \"a\"],\n[0.5, \"b\"]]}\n").unwrap();
        assert!(Reader::open(&v1).unwrap().split_after(0).is_none());
        let gz = dir.path().join("one.cast.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut enc, &std::fs::read(&one).unwrap()).unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert!(Reader::open(&gz).unwrap().split_after(0).is_none());
    }

    fn data(r: &EventRecord) -> String {
        String::from_utf8(r.data_json().to_vec()).unwrap()
    }

    #[test]
    fn v2_events() {
        let (r, ev) = read_all(
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"hi\"]\r\n\n[1.25,\"i\",\"x\"]\n",
        )
        .unwrap();
        assert_eq!(r.version(), Version::V2);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].time(), 500_000);
        assert_eq!(ev[1].time(), 1_250_000);
        assert_eq!(ev[1].code(), Code::Input);
        assert_eq!(ev[0].line(), 2);
        assert_eq!(ev[1].line(), 4);
    }

    #[test]
    fn v3_intervals_accumulate_and_comments_skip() {
        let (r, ev) = read_all(
            "{\"version\":3,\"term\":{\"cols\":10,\"rows\":5}}\n# hi\n[0.1,\"o\",\"a\"]\n[0.2,\"o\",\"b\"]\n[-0.05,\"o\",\"c\"]",
        )
        .unwrap();
        assert_eq!(r.header().size(), (10, 5));
        let times: Vec<_> = ev.iter().map(|e| e.time()).collect();
        // A negative interval counts as 0: time never runs backwards.
        assert_eq!(times, [100_000, 300_000, 300_000]);
        assert!(r.truncation().is_none());
    }

    #[test]
    fn backslashes_and_quotes_at_end_of_data() {
        let (_, ev) = read_all(
            "{\"version\":2,\"width\":1,\"height\":1}\n[1,\"o\",\"a\\\\\"]\n[2,\"o\",\"\\\"\"]\n[3,\"o\",\"\\\\\\\"\"]\n",
        )
        .unwrap();
        assert_eq!(data(&ev[0]), r#""a\\""#);
        assert_eq!(data(&ev[1]), r#""\"""#);
        assert_eq!(data(&ev[2]), r#""\\\"""#);
        let mut s = String::new();
        assert_eq!(ev[2].data_str(&mut s), "\\\"");
    }

    #[test]
    fn repairs_raw_control_bytes_and_bad_utf8() {
        let mut input =
            b"{\"version\":2,\"width\":1,\"height\":1}\n[1,\"o\",\"\x1b[1m\xffz\"]\n".to_vec();
        input.extend_from_slice(b"[2,\"o\",\"ok\"]\n");
        let mut r = Reader::new(Box::new(io::Cursor::new(input)), None).unwrap();
        let mut rec = EventRecord::default();
        assert!(r.read_event(&mut rec).unwrap());
        assert_eq!(data(&rec), "\"\\u001b[1m\u{FFFD}z\"");
        assert!(r.read_event(&mut rec).unwrap());
        assert_eq!(data(&rec), "\"ok\"");
    }

    #[test]
    fn odd_but_readable_events() {
        let (_, ev) = read_all(
            "{\"version\":2,\"width\":1,\"height\":1}\n[\"0.5\", \"o\", \"s\"]\n[2.0, 5, \"n\"]\n[3, \"o\", \"x\", \"\"]\n[ 4 , \"r\" , \"24,80\" ]\n",
        )
        .unwrap();
        assert_eq!(ev[0].time(), 500_000);
        assert_eq!(ev[1].code_json(), b"\"5\"");
        assert_eq!(data(&ev[2]), "\"x\"");
        assert_eq!(data(&ev[3]), "\"80x24\"");
    }

    #[test]
    fn impossible_resizes_are_dropped_with_a_warning() {
        let (mut r, ev) = read_all(
            "{\"version\":2,\"width\":1,\"height\":1}\n[1,\"r\",\"-1x0\"]\n[2,\"r\",\"90x30\"]\n",
        )
        .unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(data(&ev[0]), "\"90x30\"");
        assert_eq!(
            r.take_warnings(),
            ["line 2: resize to '-1x0' is not a terminal size; dropped it"]
        );
    }

    #[test]
    fn malformed_lines_name_the_line() {
        for (body, msg) in [
            ("lol!", "expected '['"),
            ("[1 \"o\", \"x\"]", "expected ','"),
            ("[1, \"o\", true]", "data is not a string"),
            ("[1, \"o\", \"\\u007H\"]", "invalid \\u escape"),
            ("[1, \"o\", \"x\"] z", "unexpected text"),
            ("[1, \"o\", \"x\"", "line ends early"),
        ] {
            let input = format!(
                "{{\"version\":2,\"width\":1,\"height\":1}}\n[0,\"o\",\"a\"]\n{body}\n[3,\"o\",\"b\"]\n"
            );
            let err = read_all(&input).err().expect(body).to_string();
            assert!(err.contains("line 3: malformed event: "), "{err}");
            assert!(err.contains(msg), "{err} lacks {msg}");
        }
    }

    #[test]
    fn truncated_last_line_keeps_what_it_can() {
        let (r, ev) =
            read_all("{\"version\":2,\"width\":1,\"height\":1}\n[1,\"o\",\"abc\"]\n[2,\"o\",\"de\\u00e9f\\u00").unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(data(&ev[1]), "\"deéf\"");
        assert!(r.truncation().unwrap().contains("line 3"));

        let (r, ev) =
            read_all("{\"version\":2,\"width\":1,\"height\":1}\n[1,\"o\",\"abc\"]\n[2,").unwrap();
        assert_eq!(ev.len(), 1);
        assert!(r.truncation().unwrap().contains("dropped"));

        let mut rdr = Reader::new(
            Box::new(io::Cursor::new(
                b"{\"version\":2,\"width\":1,\"height\":1}\n[1,\"o\",\"ab".to_vec(),
            )),
            None,
        )
        .unwrap();
        rdr.set_strict(true);
        let mut rec = EventRecord::default();
        assert!(rdr.read_event(&mut rec).is_err());
    }

    #[test]
    fn cut_off_utf8_and_escapes() {
        assert_eq!(cut_partial(b"ab\\"), b"ab");
        assert_eq!(cut_partial(b"ab\\\\"), b"ab\\\\");
        assert_eq!(cut_partial(b"ab\\u00"), b"ab");
        assert_eq!(cut_partial("a中".as_bytes()), "a中".as_bytes());
        assert_eq!(cut_partial(&"a中".as_bytes()[..3]), b"a");
    }

    #[test]
    fn v1_pretty_and_minified() {
        let pretty = "{\n  \"version\": 1,\n  \"width\": 80,\n  \"height\": 24,\n  \"stdout\": [\n    [0.5, \"a\"],\n    [0.25, \"b\"]\n  ]\n}\n";
        let (r, ev) = read_all(pretty).unwrap();
        assert_eq!(r.version(), Version::V1);
        assert_eq!(
            ev.iter().map(|e| e.time()).collect::<Vec<_>>(),
            [500_000, 750_000]
        );
        let (_, ev) = read_all(r#"{"version":1,"width":8,"height":2,"stdout":[[1,"x"]]}"#).unwrap();
        assert_eq!(ev.len(), 1);
    }

    #[test]
    fn array_wrapped_v2() {
        let (r, ev) = read_all(
            "[\n{\"version\":2,\"width\":3,\"height\":4},\n[1,\"o\",\"a\"],[2,\"i\",\"b\"]\n]",
        )
        .unwrap();
        assert_eq!(r.header().size(), (3, 4));
        assert_eq!(ev.len(), 2);
        assert_eq!(r.layout(), Layout::Document);
    }

    #[test]
    fn not_a_recording() {
        for (input, msg) in [
            ("", "empty file"),
            ("\n\n", "no content"),
            ("<!doctype html>", "HTML"),
            ("hello world\n", "not a JSON header"),
            ("\u{0}\u{1}\u{2}", "binary"),
            ("{\"version\": 2, \"width\"", "bad header"),
        ] {
            let e = read_all(input).err().expect(input).to_string();
            assert!(e.contains(msg), "{input:?}: {e}");
        }
    }

    #[test]
    fn long_lines_across_refills() {
        let big = "x".repeat(3 * INITIAL_BUF + 17);
        let input = format!(
            "{{\"version\":2,\"width\":1,\"height\":1}}\n[1,\"o\",\"{big}\"]\n[2,\"o\",\"y\"]\n"
        );
        let (_, ev) = read_all(&input).unwrap();
        assert_eq!(ev[0].data_json().len(), big.len() + 2);
        assert_eq!(ev[1].time(), 2_000_000);
    }

    #[test]
    fn plain_times_match_the_general_parser() {
        let mut rng = crate::testing::Rng(0x1234_5678_9ABC_DEF1);
        let mut next = || rng.next();
        for _ in 0..100_000 {
            let int_len = 1 + next() % 14;
            let frac_len = next() % 9;
            let digit = |r: u64| (b'0' + (r % 10) as u8) as char;
            let mut s: String = (0..int_len).map(|_| digit(next())).collect();
            if frac_len > 0 {
                s.push('.');
                s.extend((0..frac_len - 1).map(|_| digit(next())));
            }
            // Odd bytes among the decimals, and what follows the number.
            if next() % 4 == 0 {
                s.push(['x', '/', ':', '9'][(next() % 4) as usize]);
            }
            let end = [", ", " ,", "\t", ",", "]", "x"][(next() % 6) as usize];
            let line = format!("[{s}{end}\"o\", \"x\"]");
            if let Some((t, i)) = plain_time(line.as_bytes(), 1) {
                assert_eq!(i, 1 + s.len(), "{line}");
                assert_eq!(time::parse_seconds(s.as_bytes()), Ok(t), "{line}");
                let frac = s.split_once('.').map_or("", |p| p.1);
                assert!(frac.len() <= 6 && s.split('.').next().unwrap().len() <= 12);
            } else {
                // Only forms outside `\d{1,12}(\.\d{1,6})?[, \t]` are refused.
                let plain = s
                    .split_once('.')
                    .map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
                let ok_int = (1..=12).contains(&plain.0.len())
                    && plain.0.bytes().all(|b| b.is_ascii_digit());
                let ok_frac = plain.1.is_none_or(|f| {
                    (1..=6).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit())
                });
                let ok_end = matches!(end.as_bytes()[0], b',' | b' ' | b'\t');
                assert!(!(ok_int && ok_frac && ok_end), "{line}");
            }
        }
        assert_eq!(six_digits(u64::from_le_bytes(*b"029290, ")), Some(29290));
        assert_eq!(six_digits(u64::from_le_bytes(*b"999999]x")), Some(999999));
        assert_eq!(six_digits(u64::from_le_bytes(*b"0292901 ")), None);
        assert_eq!(six_digits(u64::from_le_bytes(*b"02929:, ")), None);
        assert_eq!(six_digits(u64::from_le_bytes(*b"02/290, ")), None);
    }

    #[test]
    fn special_byte_detector() {
        assert!(!has_special(u64::from_le_bytes(*b"abcdefgh")));
        for b in [b'"', b'\\', 0x1b, 0x00, 0x1f, 0x80, 0xff] {
            let mut w = *b"abcdefgh";
            w[5] = b;
            assert!(has_special(u64::from_le_bytes(w)), "{b:#x}");
        }
        assert!(!has_special(u64::from_le_bytes(*b"  ~~ !#]")));
    }
}
