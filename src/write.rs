//! The writer: v2 (absolute times) or v3 (intervals), microsecond precision, exact.
//!
//! Output is gathered in the writer's own buffer and handed to the underlying stream in
//! 64 KiB writes (or after every event when line-buffered), so a `dyn Write` costs one call
//! per block, not per event. Once more than 4 MiB have gone out (and not line-buffered), the
//! writes move to a thread of its own (see `background`), in 512 KiB blocks: [`Writer::flush`]
//! then hands the bytes over without waiting, and [`Writer::finish`] waits for the last of
//! them. Times are written from integer microseconds; a v3 interval is the
//! exact difference of two such times, so nothing drifts.

use std::io::{self, Write};

use crate::background::WriteBehind;
use crate::event::{Code, EventRecord, write_json_str};
use crate::header::{Header, Version};
use crate::time::{Micros, SECONDS_MAX, format_seconds, write_seconds};

const FLUSH_AT: usize = 64 * 1024;

/// Output longer than this (and not line-buffered) is written on a thread of its own, in
/// buffers of [`BEHIND_AT`] bytes (see [`crate::background`]).
const WRITE_BEHIND_AFTER: u64 = 4 * 1024 * 1024;
const BEHIND_AT: usize = 512 * 1024;
/// A data token longer than this is not copied into the buffer (see `write_large`).
const LARGE: usize = 1024 * 1024;

/// Where the bytes go.
enum Out {
    Direct(Box<dyn Write + Send>),
    Behind(WriteBehind),
}

/// Writes one recording.
pub struct Writer {
    out: Out,
    /// Bytes written so far directly (before any write-behind thread).
    written: u64,
    flush_at: usize,
    buf: Vec<u8>,
    version: Version,
    prev: Micros,
    line_buffered: bool,
}

impl Writer {
    /// A writer of `version` (v1 means v2: castkit never writes v1).
    pub fn new(out: Box<dyn Write + Send>, version: Version) -> Writer {
        Writer {
            out: Out::Direct(out),
            written: 0,
            flush_at: FLUSH_AT,
            buf: Vec::with_capacity(FLUSH_AT * 2),
            version: version.writable(),
            prev: 0,
            line_buffered: false,
        }
    }

    /// Flush after every event (for live pipelines and terminals).
    pub fn set_line_buffered(&mut self, yes: bool) {
        self.line_buffered = yes;
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// Writes the header line.
    pub fn write_header(&mut self, h: &Header) -> io::Result<()> {
        self.buf.extend_from_slice(&h.to_line(self.version));
        self.buf.push(b'\n');
        self.end_event()
    }

    /// Continue intervals from `t` (for appending to an existing v3 recording).
    pub fn set_previous_time(&mut self, t: Micros) {
        self.prev = t;
    }

    /// The time written for an event at `t`. v2 writes the absolute time as given (a negative
    /// one as 0). v3 writes the interval from the previous event; an event earlier than the one
    /// before it gets interval 0 (v3 readers, asciinema's among them, reject negative
    /// intervals), and later events keep their absolute times.
    #[inline]
    fn time_value(&mut self, t: Micros) -> Micros {
        match self.version {
            Version::V3 => {
                let d = t.saturating_sub(self.prev).max(0);
                self.prev = self.prev.saturating_add(d);
                d
            }
            // asciinema rejects negative times; a time before the start is the start.
            _ => t.max(0),
        }
    }

    #[inline]
    fn put_time(&mut self, t: Micros) {
        let v = self.time_value(t);
        write_seconds(&mut self.buf, v);
    }

    #[inline]
    fn end_event(&mut self) -> io::Result<()> {
        if self.line_buffered || self.buf.len() >= self.flush_at {
            self.hand_over()?;
            if self.line_buffered
                && let Out::Direct(out) = &mut self.out
            {
                out.flush()?;
            }
        }
        Ok(())
    }

    /// Passes the buffered bytes on: written at once, or handed to the write-behind thread
    /// (started here once the output has grown long, unless line-buffered).
    fn hand_over(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::Direct(out) => {
                out.write_all(&self.buf)?;
                self.written += self.buf.len() as u64;
                self.buf.clear();
                if self.written > WRITE_BEHIND_AFTER && !self.line_buffered {
                    self.start_write_behind();
                }
            }
            Out::Behind(behind) => {
                if !self.buf.is_empty() {
                    let full = std::mem::take(&mut self.buf);
                    self.buf = behind.send(full)?;
                    self.buf.reserve(BEHIND_AT + FLUSH_AT);
                }
            }
        }
        Ok(())
    }

    fn start_write_behind(&mut self) {
        let Out::Direct(out) = std::mem::replace(&mut self.out, Out::Direct(Box::new(io::sink())))
        else {
            return;
        };
        self.out = match WriteBehind::start(out) {
            Ok(b) => {
                self.flush_at = BEHIND_AT;
                Out::Behind(b)
            }
            Err(out) => {
                self.written = 0;
                Out::Direct(out)
            }
        };
    }

    /// Writes an event from JSON string tokens (quotes included), as records hold them.
    ///
    /// Nearly every code is one letter: `[`, the time and `, "c", ` are written in place,
    /// into room of a fixed size trimmed afterwards, then the data. (Built on the stack and
    /// copied over, the head was read back right after its bytes were stored one by one: a
    /// load the CPU cannot forward from those stores. It stood at a sixth of write_event's
    /// samples; written in place, write_event's share of cast-idle's samples fell by a
    /// quarter.) Data of a few bytes goes into the same room.
    #[inline]
    pub fn write_event(&mut self, t: Micros, code_json: &[u8], data_json: &[u8]) -> io::Result<()> {
        let Ok(code) = <[u8; 3]>::try_from(code_json) else {
            return self.write_event_long_code(t, code_json, data_json);
        };
        let v = self.time_value(t);
        let large = data_json.len() > LARGE;
        let small = data_json.len() <= SMALL;
        self.buf.reserve(
            ROOM + if large || small {
                0
            } else {
                data_json.len() + 2
            },
        );
        let len = self.buf.len();
        self.buf.extend_from_slice(&[0u8; ROOM]);
        let room: &mut [u8; ROOM] = (&mut self.buf[len..len + ROOM])
            .try_into()
            .expect("fixed size");
        let n = put_head(room, v, code);
        if small {
            // A typed key, most often: copied in a few moves of fixed size, where a call to
            // copy a few bytes costs more than the copy (see `copy_short`).
            let k = data_json.len();
            let tail: &mut [u8; SMALL + 2] = (&mut room[n..n + SMALL + 2])
                .try_into()
                .expect("fixed size");
            copy_short(tail, data_json);
            tail[k] = b']';
            tail[k + 1] = b'\n';
            self.buf.truncate(len + n + k + 2);
            return self.end_event();
        }
        self.buf.truncate(len + n);
        if large {
            return self.write_large(data_json);
        }
        self.buf.extend_from_slice(data_json);
        self.buf.extend_from_slice(b"]\n");
        self.end_event()
    }

    fn write_event_long_code(
        &mut self,
        t: Micros,
        code_json: &[u8],
        data_json: &[u8],
    ) -> io::Result<()> {
        self.buf.push(b'[');
        self.put_time(t);
        self.buf.extend_from_slice(b", ");
        self.buf.extend_from_slice(code_json);
        self.buf.extend_from_slice(b", ");
        if data_json.len() > LARGE {
            return self.write_large(data_json);
        }
        self.buf.extend_from_slice(data_json);
        self.buf.extend_from_slice(b"]\n");
        self.end_event()
    }

    /// Ends an event whose start is buffered with a data token too long to copy whole: it is
    /// written straight from the caller's memory, or handed to the write-behind thread a
    /// block at a time, so the writer never holds a second copy of it.
    fn write_large(&mut self, data_json: &[u8]) -> io::Result<()> {
        match &mut self.out {
            Out::Direct(out) => {
                out.write_all(&self.buf)?;
                self.buf.clear();
                out.write_all(data_json)?;
                self.written += data_json.len() as u64;
            }
            Out::Behind(_) => {
                for block in data_json.chunks(BEHIND_AT) {
                    self.buf.extend_from_slice(block);
                    self.hand_over()?;
                }
            }
        }
        self.buf.extend_from_slice(b"]\n");
        self.end_event()
    }

    /// Starts an event whose data is written a piece at a time ([`push_text`](Self::push_text),
    /// then [`end_text`](Self::end_text)), for data too long to hold escaped whole.
    pub fn start_text(&mut self, t: Micros, code_json: &[u8]) {
        self.buf.push(b'[');
        self.put_time(t);
        self.buf.extend_from_slice(b", ");
        self.buf.extend_from_slice(code_json);
        self.buf.extend_from_slice(b", \"");
    }

    /// Writes a piece of the data of the event begun with [`start_text`](Self::start_text).
    pub fn push_text(&mut self, text: &str) -> io::Result<()> {
        crate::event::write_json_str_inner(&mut self.buf, text);
        if self.buf.len() >= BEHIND_AT {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Ends the event begun with [`start_text`](Self::start_text).
    pub fn end_text(&mut self) -> io::Result<()> {
        self.buf.extend_from_slice(b"\"]\n");
        self.end_event()
    }

    /// Writes `rec` at time `t`.
    #[inline]
    pub fn write_record(&mut self, t: Micros, rec: &EventRecord) -> io::Result<()> {
        self.write_event(t, rec.code_json(), rec.data_json())
    }

    /// Writes an event of a known code with plain-text data.
    pub fn write_text(&mut self, t: Micros, code: Code, data: &str) -> io::Result<()> {
        let code = code.json().unwrap_or(b"\"?\"");
        self.buf.push(b'[');
        self.put_time(t);
        self.buf.extend_from_slice(b", ");
        self.buf.extend_from_slice(code);
        self.buf.extend_from_slice(b", ");
        write_json_str(&mut self.buf, data);
        self.buf.extend_from_slice(b"]\n");
        self.end_event()
    }

    /// Hands buffered output to the stream and flushes it. Once a write-behind thread has
    /// taken over, this hands the bytes to the thread, which writes them at once but without
    /// the caller waiting; [`finish`](Self::finish) waits.
    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.hand_over()?;
        }
        match &mut self.out {
            Out::Direct(out) => out.flush(),
            Out::Behind(_) => Ok(()),
        }
    }

    /// Flushes, waits until everything is written, and reports any error. Call this at the
    /// end: dropping a writer does not flush.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush()?;
        match &mut self.out {
            Out::Direct(_) => Ok(()),
            Out::Behind(b) => b.finish(),
        }
    }
}

/// An in-memory output that stays readable after a [`Writer`] took it: clones share one
/// buffer. For tests and in-process runs.
#[derive(Clone, Default)]
pub struct MemSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl MemSink {
    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

impl Write for MemSink {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An event's head with a one-letter code: room for `[`, the longest time and `, "c", `.
const HEAD: usize = SECONDS_MAX + 8;
/// Data tokens up to this long are copied by [`copy_short`].
const SMALL: usize = 16;
/// Room for a head, a short data token, `]` and the newline.
const ROOM: usize = HEAD + SMALL + 2;

/// Writes `[`, the time `v` and `, "c", ` at the start of `room`; returns how many bytes.
#[inline(always)]
fn put_head(room: &mut [u8; ROOM], v: Micros, code: [u8; 3]) -> usize {
    room[0] = b'[';
    let time: &mut [u8; SECONDS_MAX] = (&mut room[1..SECONDS_MAX + 1])
        .try_into()
        .expect("fixed size");
    let n = 1 + format_seconds(time, v);
    room[n..n + 7].copy_from_slice(&[b',', b' ', code[0], code[1], code[2], b',', b' ']);
    n + 7
}

/// Copies `src` (at most [`SMALL`] bytes) to the start of `dst` in two moves of a fixed size
/// that overlap as needed, as memcpy does for short lengths, but inline: for the three bytes
/// of a typed key, the call to memmove cost more than the copy (it was 2-4% of cast-idle's
/// samples on a recording of keystrokes).
#[inline(always)]
fn copy_short(dst: &mut [u8; SMALL + 2], src: &[u8]) {
    let n = src.len();
    debug_assert!(n <= SMALL);
    if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        // One to three bytes: the first, the middle and the last cover them all.
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::seconds_string;

    #[test]
    fn short_data_is_copied_byte_for_byte() {
        for n in 0..=SMALL {
            let src: Vec<u8> = (0..n as u8).map(|i| b'a' + i).collect();
            let mut dst = [b'.'; SMALL + 2];
            copy_short(&mut dst, &src);
            assert_eq!(&dst[..n], &src[..], "{n}");
            assert!(
                dst[n..].iter().all(|&b| b == b'.'),
                "{n}: wrote past the end"
            );
        }
        // And whole events, around the lengths where the copy changes its moves.
        let sink = MemSink::default();
        let mut w = Writer::new(Box::new(sink.clone()), Version::V2);
        let mut want = Vec::new();
        for n in 0..40usize {
            let text: String = "0123456789abcdefghijklmnopqrstuvwxyz\u{e9}\u{4e2d}"
                .chars()
                .take(n)
                .collect();
            let data = serde_json::to_string(&text).unwrap();
            let t = n as i64 * 1_234_567;
            w.write_event(t, b"\"o\"", data.as_bytes()).unwrap();
            want.extend_from_slice(format!("[{}, \"o\", {data}]\n", seconds_string(t)).as_bytes());
        }
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(sink.contents()).unwrap(),
            String::from_utf8(want).unwrap()
        );
    }

    #[test]
    fn write_behind_keeps_order_and_every_byte() {
        // Enough output for the write-behind thread to take over, with flushes between.
        let sink = MemSink::default();
        let mut w = Writer::new(Box::new(sink.clone()), Version::V2);
        let mut want = Vec::new();
        for k in 0..100_000i64 {
            let data = format!("\"{}\"", "z".repeat((k as usize * 31) % 200));
            w.write_event(k * 10, b"\"o\"", data.as_bytes()).unwrap();
            want.extend_from_slice(
                format!("[{}, \"o\", {data}]\n", seconds_string(k * 10)).as_bytes(),
            );
            if k % 1000 == 0 {
                w.flush().unwrap();
            }
        }
        assert!(matches!(w.out, Out::Behind(_)));
        w.finish().unwrap();
        assert_eq!(sink.contents(), want);
    }

    #[test]
    fn v3_writes_exact_intervals() {
        let sink = MemSink::default();
        let mut w = Writer::new(Box::new(sink.clone()), Version::V3);
        w.write_header(&Header::new(Version::V3, 80, 24)).unwrap();
        w.write_event(100_000, b"\"o\"", b"\"a\"").unwrap();
        w.write_event(300_001, b"\"o\"", b"\"b\"").unwrap();
        w.write_text(250_000, Code::Marker, "back\n").unwrap();
        w.write_event(400_000, b"\"o\"", b"\"c\"").unwrap();
        w.finish().unwrap();
        let out = String::from_utf8(sink.contents()).unwrap();
        assert_eq!(
            out,
            "{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n[0.1, \"o\", \"a\"]\n[0.200001, \"o\", \"b\"]\n[0.0, \"m\", \"back\\n\"]\n[0.099999, \"o\", \"c\"]\n"
        );
    }
}
