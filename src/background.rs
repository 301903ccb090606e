//! Reading ahead and writing behind on threads of their own.
//!
//! A filter spends about as long in `read` and `write` system calls (the kernel copying page
//! cache to and from our buffers) as in its own work. Moving those calls to two helper threads
//! lets them run on the other core while the filter works, instead of one after the other.
//!
//! Both sides hand whole buffers over bounded channels and get them back for reuse, so nothing
//! is copied twice and memory stays a few buffers whatever the input's size. The reader and the
//! writer switch to threads only once a stream has shown itself long (see
//! [`Reader`](crate::Reader) and [`Writer`](crate::Writer)): a small file costs no thread.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Bytes kept free at the front of every read-ahead buffer, so the reader can put the partial
/// line left over from the previous buffer in front of the new data without moving the data.
pub(crate) const HEADROOM: usize = 64 * 1024;

/// Bytes read per read-ahead buffer.
const READ_SIZE: usize = 1024 * 1024;

/// Filled buffers waiting for the reader (and, for the writer, for the writing thread).
const QUEUE: usize = 2;

/// A buffer from the read-ahead thread: input bytes at `buf[HEADROOM..end]`. An empty one
/// (`end == HEADROOM`) means end of input.
pub(crate) struct Chunk {
    pub buf: Vec<u8>,
    pub end: usize,
}

/// Reads a stream on a thread of its own, a buffer ahead of its consumer.
pub(crate) struct ReadAhead {
    full: Receiver<io::Result<Chunk>>,
    spare: Sender<Vec<u8>>,
    done: bool,
}

impl ReadAhead {
    /// Starts reading `src` on a new thread. Returns the source back if no thread can start.
    pub fn start(src: Box<dyn Read + Send>) -> Result<ReadAhead, Box<dyn Read + Send>> {
        let (full_tx, full) = sync_channel::<io::Result<Chunk>>(QUEUE);
        let (spare, spare_rx) = channel::<Vec<u8>>();
        match spawn_with("read-ahead", src, move |src| {
            read_loop(src, &full_tx, &spare_rx)
        }) {
            Ok(_) => Ok(ReadAhead {
                full,
                spare,
                done: false,
            }),
            Err(src) => Err(src.unwrap_or_else(|| Box::new(io::empty()))),
        }
    }

    /// The next buffer of input; an empty one at the end.
    pub fn next(&mut self) -> io::Result<Chunk> {
        if self.done {
            return Ok(Chunk {
                buf: vec![0; HEADROOM],
                end: HEADROOM,
            });
        }
        match self.full.recv() {
            Ok(Ok(c)) => {
                self.done = c.end == HEADROOM;
                Ok(c)
            }
            Ok(Err(e)) => {
                self.done = true;
                Err(e)
            }
            Err(_) => {
                self.done = true;
                Err(io::Error::other("read-ahead thread stopped"))
            }
        }
    }

    /// Gives a buffer back for reuse.
    pub fn recycle(&self, buf: Vec<u8>) {
        if buf.len() == HEADROOM + READ_SIZE {
            let _ = self.spare.send(buf);
        }
    }
}

fn read_loop(
    mut src: Box<dyn Read + Send>,
    full: &SyncSender<io::Result<Chunk>>,
    spare: &Receiver<Vec<u8>>,
) {
    loop {
        let mut buf = match spare.try_recv() {
            Ok(b) => b,
            Err(_) => vec![0; HEADROOM + READ_SIZE],
        };
        let got = loop {
            match src.read(&mut buf[HEADROOM..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        let (msg, last) = match got {
            Ok(n) => (
                Ok(Chunk {
                    buf,
                    end: HEADROOM + n,
                }),
                n == 0,
            ),
            Err(e) => (Err(e), true),
        };
        // A closed channel means the reader is gone: stop.
        if full.send(msg).is_err() || last {
            return;
        }
    }
}

/// Writes a stream on a thread of its own, behind its producer.
pub(crate) struct WriteBehind {
    full: Option<SyncSender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<Option<io::Result<()>>>>,
}

impl WriteBehind {
    /// Starts writing to `out` on a new thread. Returns `out` back if no thread can start.
    pub fn start(out: Box<dyn Write + Send>) -> Result<WriteBehind, Box<dyn Write + Send>> {
        let (full, full_rx) = sync_channel::<Vec<u8>>(QUEUE);
        let (spare_tx, spare) = channel::<Vec<u8>>();
        let thread = spawn_with("write-behind", out, move |mut out| -> io::Result<()> {
            for mut buf in full_rx {
                out.write_all(&buf)?;
                buf.clear();
                let _ = spare_tx.send(buf);
            }
            out.flush()
        });
        match thread {
            Ok(t) => Ok(WriteBehind {
                full: Some(full),
                spare,
                thread: Some(t),
            }),
            Err(out) => Err(out.unwrap_or_else(|| Box::new(io::sink()))),
        }
    }

    /// Hands `buf`'s bytes to the thread and returns an empty buffer to go on with.
    pub fn send(&mut self, buf: Vec<u8>) -> io::Result<Vec<u8>> {
        let cap = buf.capacity();
        let Some(full) = &self.full else {
            return Err(io::Error::other("output already closed"));
        };
        if full.send(buf).is_err() {
            // The thread stopped on an error: report it.
            self.full = None;
            return Err(self
                .join()
                .err()
                .unwrap_or_else(|| io::Error::other("output thread stopped")));
        }
        Ok(match self.spare.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(cap),
        })
    }

    /// Waits until everything handed over is written and flushed.
    pub fn finish(&mut self) -> io::Result<()> {
        self.full = None;
        self.join()
    }

    fn join(&mut self) -> io::Result<()> {
        match self.thread.take().map(JoinHandle::join) {
            None | Some(Ok(None)) => Ok(()),
            Some(Ok(Some(r))) => r,
            Some(Err(_)) => Err(io::Error::other("output thread failed")),
        }
    }
}

impl Drop for WriteBehind {
    /// A writer dropped without finishing (its program is stopping on an error) still lets
    /// the thread write out what it was handed, whole: the output ends at an event's end,
    /// never inside one.
    fn drop(&mut self) {
        self.full = None;
        let _ = self.join();
    }
}

/// A [`Write`] that writes directly at first and hands its bytes to a [`WriteBehind`] thread
/// once the output has passed [`BEHIND_AFTER`] bytes, in blocks of [`BEHIND_BLOCK`]: for
/// tools that write plain bytes rather than events (cast-to-txt). `flush` hands the bytes
/// over without waiting for them to be written; [`finish`](BehindWriter::finish) waits and
/// reports any error. Dropping it without `finish` still writes out what it was handed.
pub(crate) struct BehindWriter {
    direct: Option<Box<dyn Write + Send>>,
    behind: Option<WriteBehind>,
    buf: Vec<u8>,
    written: u64,
}

/// Bytes written directly before a thread takes over.
const BEHIND_AFTER: u64 = 4 * 1024 * 1024;
/// Bytes handed to the thread at a time.
const BEHIND_BLOCK: usize = 512 * 1024;

impl BehindWriter {
    pub fn new(out: Box<dyn Write + Send>) -> BehindWriter {
        BehindWriter {
            direct: Some(out),
            behind: None,
            buf: Vec::new(),
            written: 0,
        }
    }

    /// Flushes, waits until everything is written, and reports any error.
    pub fn finish(mut self) -> io::Result<()> {
        self.flush()?;
        match &mut self.behind {
            Some(b) => b.finish(),
            None => Ok(()),
        }
    }

    fn hand_over(&mut self) -> io::Result<()> {
        if let Some(b) = &mut self.behind
            && !self.buf.is_empty()
        {
            let full = std::mem::take(&mut self.buf);
            self.buf = b.send(full)?;
            self.buf.reserve(BEHIND_BLOCK);
        }
        Ok(())
    }
}

impl Write for BehindWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.behind.is_none() {
            let Some(out) = &mut self.direct else {
                return Err(io::Error::other("output already closed"));
            };
            let n = out.write(data)?;
            self.written += n as u64;
            if self.written > BEHIND_AFTER
                && let Some(out) = self.direct.take()
            {
                match WriteBehind::start(out) {
                    Ok(b) => {
                        self.behind = Some(b);
                        self.buf.reserve(BEHIND_BLOCK);
                    }
                    Err(out) => {
                        self.direct = Some(out);
                        self.written = 0;
                    }
                }
            }
            return Ok(n);
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BEHIND_BLOCK {
            self.hand_over()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.direct {
            Some(out) => out.flush(),
            None => self.hand_over(),
        }
    }
}

/// Runs `body(value)` on a new thread named `name`. If no thread can start, gives `value`
/// back (`None` only if it was lost, which cannot happen short of a poisoned lock).
fn spawn_with<T: Send + 'static, R: Send + 'static>(
    name: &str,
    value: T,
    body: impl FnOnce(T) -> R + Send + 'static,
) -> Result<JoinHandle<Option<R>>, Option<T>> {
    // The value waits in a slot the thread empties, so a thread that fails to start can give
    // it back.
    let slot = Arc::new(Mutex::new(Some(value)));
    let started = std::thread::Builder::new().name(name.into()).spawn({
        let slot = slot.clone();
        move || take(&slot).map(body)
    });
    started.map_err(|_| take(&slot))
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().ok().and_then(|mut s| s.take())
}
