//! The recording session: one `poll()` loop between the user's terminal, the program's
//! pty(s) and the recording.
//!
//! Everything happens in one thread, woken only by data or a signal (signals arrive through a
//! self-pipe), so nothing waits on a timer while data flows: a keystroke is written to the
//! pty as soon as it is read, and output is shown to the user before it is encoded and
//! written to the recording. Each event is handed to the recording as one whole line the
//! moment it happens, so the file is a valid recording up to its last event whenever it is
//! read, even after the recorder is killed.
//!
//! Output is read from the pty until it would block (up to [`CHUNK`] bytes), so a fast
//! producer makes a few large events rather than many small ones, and decoded as UTF-8
//! incrementally ([`Utf8Decoder`]) on a writing thread of its own, so the session goes straight
//! back to the pty. Times come from a monotonic clock.
//!
//! The session is a struct with one handler per descriptor: the program's output and
//! stderr ptys, the input (keys or a pipe), the signal pipe, and with `--stderr` the listener
//! of the filter that holds each of the program's writes until both ptys are read
//! ([`order`]), which keeps `o` and `e` events in the program's write order.
//!
//! With a script (`--script`), the input is a [`Script`] instead of a descriptor: the session
//! runs the program's output through an emulator ([`Vt`]) as well, so `Wait` can look at the
//! screen, asks the script what to do after every wake-up, and sleeps in `poll()` no longer than
//! the script's next deadline. `Hide` stops the recording and its clock (`Recording::now`
//! leaves hidden time out); `Show` starts again with a repaint of the screen, so a player shows
//! what the program showed though the hidden output is not in the file.
//!
//! The session ends when the program has exited and its pty is drained: the kernel reports
//! end of file once every process holding the pty has closed it; a background process left
//! holding it is given [`DRAIN_IDLE`] of silence, then the recording is finished without it.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::termios::{SpecialCharacterIndices as Cc, Termios};
use nix::unistd::Pid;
use signal_hook::SigId;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1, SIGWINCH};

use crate::error::{Error, Result, io_message};
use crate::event::Code;
use crate::header::Header;
use crate::rec::order::{self, Hold, Listener};
use crate::rec::program::{self, Program, Started};
use crate::rec::pty::{self, Pty};
use crate::rec::script::{Do, Script};
use crate::rec::term::RawMode;
use crate::rec::utf8::Utf8Decoder;
use crate::time::Micros;
use crate::vt::Vt;
use crate::write::Writer;

/// Most bytes gathered into one output event. Small enough that the writing thread gets
/// each piece while the session already reads the next (a pty gives at most 4 KiB a read):
/// with 100 MB through `cat`, 16 KiB ran 10-15% faster than 64 KiB, and 8 or 32 KiB slower
/// than 16 (bench/rec.sh).
pub const CHUNK: usize = 16 * 1024;
/// After the program exits, how long a pty still held open by a background process may stay
/// silent before the recording ends without it.
pub const DRAIN_IDLE: Duration = Duration::from_millis(200);
/// How long the program has to exit after a hangup (SIGTERM/SIGHUP to the recorder) before
/// it is killed.
pub const HANGUP_GRACE: Duration = Duration::from_secs(2);
/// A tape starts once the program has written something and then been quiet this long (a
/// shell has drawn its prompt and set up its line editor, so the first key is not echoed by
/// the pty before the shell reads it)...
const TAPE_SETTLE: Duration = Duration::from_millis(100);
/// ...or once it has been running this long, whatever it wrote.
const TAPE_START_LIMIT: Duration = Duration::from_secs(3);
/// Most typed or piped input held for a pty that is not reading it.
const MAX_PENDING: usize = 64 * 1024;

/// The key that starts the marker chord: Ctrl-] (as telnet's escape, rarely bound).
pub const CHORD_PREFIX: u8 = 0x1d;
/// The key after [`CHORD_PREFIX`] that inserts a marker.
pub const CHORD_MARKER: u8 = b'm';

/// How a session is set up. The descriptors are the recorder's own (duplicates of its
/// standard ones, or /dev/tty).
pub struct Config {
    /// The recording's name in messages (a path, or `<stdout>`).
    pub name: PathBuf,
    /// The header to write once the program has started (`None` when appending).
    pub header: Option<Header>,
    /// Run once the program has started, before any event (after the header): with
    /// `--append`, makes the old recording's tail ready for more events.
    pub prelude: Option<Prelude>,
    /// The size the recording had so far (`--append`): a different size now becomes an `r`
    /// event at the start.
    pub previous_size: Option<(u16, u16)>,
    /// The program and its arguments.
    pub argv: Vec<OsString>,
    /// Variables set for the program on top of the recorder's environment.
    pub env: Vec<(OsString, OsString)>,
    /// The pty's size at the start.
    pub size: (u16, u16),
    /// Keep that size whatever the user's terminal does (`--cols/--rows`, headless).
    pub fixed_size: bool,
    /// The user's terminal, watched for size changes.
    pub terminal: Option<OwnedFd>,
    /// Where keys or piped input come from.
    pub input: Option<OwnedFd>,
    /// The input is the user's terminal: put it in raw mode, honour the marker chord.
    pub raw: bool,
    /// Where the program's output is shown (the user's terminal, or a copy on stdout).
    pub display: Option<OwnedFd>,
    /// Where the program's stderr is shown with `stderr` set (else `display` is used).
    pub err_display: Option<OwnedFd>,
    /// Give the program a second pty for fd 2 and record it as `e` events.
    pub stderr: bool,
    /// With `stderr`, which writes to hold until both ptys are read, keeping the two streams
    /// in the program's write order (see [`order`]); `None` records them as they are read.
    pub order: Option<Hold>,
    /// Print no warnings.
    pub quiet: bool,
    /// Record input as `i` events.
    pub capture_input: bool,
    /// Insert a marker whenever the program changes the pty's modes.
    pub mark_termios: bool,
    /// Label of markers from SIGUSR1 and the chord.
    pub marker_label: String,
    /// Honour the marker chord on the user's keyboard.
    pub marker_key: bool,
    /// Added to every event time (`--append` continues the old recording's timeline).
    pub time_offset: Micros,
    /// A tape to play into the program (`--script`) instead of reading keys; the session
    /// then ends when the tape does.
    pub script: Option<Script>,
}

/// Writes to the recording before the session's first event.
pub type Prelude = Box<dyn FnOnce(&mut Writer) -> io::Result<()> + Send>;

/// What happened to a session.
#[derive(Debug)]
pub struct Outcome {
    /// The program's exit status, 128+N when a signal ended it.
    pub status: u8,
    /// With a script: the tape ran to its end (the program was then hung up).
    pub tape_finished: bool,
}

/// The signals a session handles, each with a flag, all waking one pipe.
struct Signals {
    pipe: OwnedFd,
    flags: Vec<(i32, Arc<AtomicBool>)>,
    ids: Vec<SigId>,
}

const HANDLED: [i32; 8] = [
    SIGWINCH, SIGCHLD, SIGUSR1, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP,
];

impl Signals {
    fn install() -> io::Result<Signals> {
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        let mut s = Signals {
            pipe: r,
            flags: Vec::new(),
            ids: Vec::new(),
        };
        for sig in HANDLED {
            let flag = Arc::new(AtomicBool::new(false));
            // The flag is registered first so that it is set before the wake-up is written.
            s.ids.push(signal_hook::flag::register(sig, flag.clone())?);
            s.ids.push(signal_hook::low_level::pipe::register_raw(
                sig,
                w.try_clone()?,
            )?);
            s.flags.push((sig, flag));
        }
        Ok(s)
    }

    /// True once for each time (or burst of times) `sig` arrived.
    fn take(&self, sig: i32) -> bool {
        self.flags
            .iter()
            .find(|(s, _)| *s == sig)
            .is_some_and(|(_, f)| f.swap(false, Ordering::SeqCst))
    }

    fn drain(&self) {
        let mut b = [0u8; 64];
        while matches!(nix::unistd::read(&self.pipe, &mut b), Ok(n) if n > 0) {}
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Writes events with times on the session's clock.
///
/// The writing (decoding, JSON, the write calls) happens on a thread of its own, so the
/// session goes straight back to reading the pty: a pty holds only a few KiB, and while
/// nobody reads it, the program writing to it waits.
struct Recording {
    tx: Option<SyncSender<Note>>,
    thread: Option<JoinHandle<(Writer, io::Result<()>)>>,
    /// Without a thread: the writer, used in the session's own thread.
    inline: Option<(Writer, Scribe)>,
    name: PathBuf,
    start: Instant,
    offset: Micros,
    /// Since when nothing is recorded (a tape's `Hide`), if it is hidden now.
    hidden_since: Option<Instant>,
    /// Time hidden before, which the recording's clock leaves out.
    hidden: Duration,
}

/// What the session asks the writing thread to record.
enum Note {
    /// Bytes a stream read, decoded by that stream's decoder.
    Bytes(Micros, Code, Vec<u8>),
    Text(Micros, Code, String),
    /// A stream ended: a held incomplete character is written as U+FFFD.
    Finish(Micros, Code),
}

/// Notes queued for the writing thread before the session waits for it.
const NOTES_QUEUED: usize = 64;

impl Recording {
    /// Starts the writing thread, which takes `w` until [`close`](Self::close) gives it back;
    /// `inline` writes in the caller's thread instead.
    fn start(
        w: &mut Writer,
        name: PathBuf,
        start: Instant,
        offset: Micros,
        inline: bool,
    ) -> Result<Recording> {
        let version = w.version();
        let mut writer = std::mem::replace(w, Writer::new(Box::new(io::sink()), version));
        if inline {
            return Ok(Recording {
                tx: None,
                thread: None,
                inline: Some((writer, Scribe::default())),
                name,
                start,
                offset,
                hidden_since: None,
                hidden: Duration::ZERO,
            });
        }
        let (tx, rx) = sync_channel::<Note>(NOTES_QUEUED);
        let thread = std::thread::Builder::new()
            .name("recording".into())
            .spawn(move || {
                let r = write_notes(&mut writer, &rx);
                (writer, r)
            })
            .map_err(|e| Error::from(e).in_file(&name))?;
        Ok(Recording {
            tx: Some(tx),
            thread: Some(thread),
            inline: None,
            name,
            start,
            offset,
            hidden_since: None,
            hidden: Duration::ZERO,
        })
    }

    /// The recording's clock: time since the start, less the time hidden.
    fn now(&self) -> Micros {
        let mut shown = self.start.elapsed().saturating_sub(self.hidden);
        if let Some(h) = self.hidden_since {
            shown = shown.saturating_sub(h.elapsed());
        }
        let us = i64::try_from(shown.as_micros()).unwrap_or(i64::MAX);
        self.offset.saturating_add(us)
    }

    /// Stops recording events (all but the exit) and stops the clock.
    fn hide(&mut self) {
        self.hidden_since.get_or_insert_with(Instant::now);
    }

    /// Records again; returns whether it was hidden.
    fn show(&mut self) -> bool {
        match self.hidden_since.take() {
            Some(h) => {
                self.hidden += h.elapsed();
                true
            }
            None => false,
        }
    }

    fn send(&mut self, note: Note) -> Result<()> {
        let code = match &note {
            Note::Bytes(_, c, _) | Note::Text(_, c, _) | Note::Finish(_, c) => *c,
        };
        if self.hidden_since.is_some() && code != Code::Exit {
            return Ok(());
        }
        if let Some((w, scribe)) = self.inline.as_mut() {
            return scribe
                .write(w, note)
                .map_err(|e| Error::from(e).in_file(&self.name));
        }
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(note).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped: on a write error, which is what to report.
        self.tx = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok((_, Err(e)))) => Err(Error::from(e).in_file(&self.name)),
            _ => Err(Error::msg("the recording's writer stopped").in_file(&self.name)),
        }
    }

    fn event(&mut self, t: Micros, code: Code, data: &str) -> Result<()> {
        self.send(Note::Text(t, code, data.to_string()))
    }

    /// Writes `bytes` as one event once decoded (nothing when they only began a character).
    fn bytes(&mut self, t: Micros, code: Code, bytes: &[u8]) -> Result<()> {
        self.send(Note::Bytes(t, code, bytes.to_vec()))
    }

    fn finish_stream(&mut self, code: Code) -> Result<()> {
        let t = self.now();
        self.send(Note::Finish(t, code))
    }

    /// Waits until every event is written and gives the writer back to `w`.
    fn close(mut self, w: &mut Writer) -> Result<()> {
        if let Some((mut writer, _)) = self.inline.take() {
            let r = writer.flush();
            *w = writer;
            return r.map_err(|e| Error::from(e).in_file(&self.name));
        }
        self.tx = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok((writer, r))) => {
                *w = writer;
                r.map_err(|e| Error::from(e).in_file(&self.name))
            }
            _ => Err(Error::msg("the recording's writer stopped").in_file(&self.name)),
        }
    }
}

impl Drop for Recording {
    /// A session ending early (on an error) still writes what it recorded.
    fn drop(&mut self) {
        if let Some((w, _)) = self.inline.as_mut() {
            let _ = w.flush();
        }
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writing thread: each note becomes an event, written at once (the writer is
/// line-buffered), so a reader following the file sees it as it happens.
fn write_notes(w: &mut Writer, rx: &Receiver<Note>) -> io::Result<()> {
    let mut scribe = Scribe::default();
    for note in rx {
        scribe.write(w, note)?;
    }
    w.flush()
}

/// Turns notes into events: one decoder per stream (output, stderr, input).
#[derive(Default)]
struct Scribe {
    decoders: [Utf8Decoder; 3],
    text: String,
}

impl Scribe {
    fn write(&mut self, w: &mut Writer, note: Note) -> io::Result<()> {
        let slot = |code: Code| match code {
            Code::Stderr => 1,
            Code::Input => 2,
            _ => 0,
        };
        let text = &mut self.text;
        text.clear();
        match note {
            Note::Text(t, code, data) => return w.write_text(t, code, &data),
            Note::Bytes(t, code, bytes) => {
                self.decoders[slot(code)].decode(&bytes, text);
                if !text.is_empty() {
                    w.write_text(t, code, text)?;
                }
            }
            Note::Finish(t, code) => {
                self.decoders[slot(code)].finish(text);
                if !text.is_empty() {
                    w.write_text(t, code, text)?;
                }
            }
        }
        Ok(())
    }
}

/// A pty master and whether its other side is still open.
struct Stream {
    fd: OwnedFd,
    open: bool,
}

impl Stream {
    fn new(fd: OwnedFd) -> Stream {
        Stream { fd, open: true }
    }
}

/// Reads `fd` until it would block or `buf` is full. Returns the bytes read and whether the
/// other side is gone (every slave closed).
fn read_available(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<(usize, bool)> {
    let mut n = 0;
    while n < buf.len() {
        match nix::unistd::read(fd, &mut buf[n..]) {
            Ok(0) => return Ok((n, true)),
            Ok(k) => n += k,
            Err(Errno::EAGAIN) => break,
            Err(Errno::EINTR) => {}
            // Linux reports a pty whose slave side is closed as EIO.
            Err(Errno::EIO) => return Ok((n, true)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((n, false))
}

/// Writes all of `buf` to a blocking (or, if shared with someone who set it, non-blocking)
/// descriptor.
fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match nix::unistd::write(fd, buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(k) => buf = &buf[k..],
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => {
                let _ = poll(
                    &mut [PollFd::new(fd, PollFlags::POLLOUT)],
                    PollTimeout::NONE,
                );
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Shows output on a display; a display that fails (closed, gone) is dropped, the recording
/// goes on.
fn show(display: &mut Option<OwnedFd>, bytes: &[u8]) {
    if let Some(fd) = display
        && write_all(fd.as_fd(), bytes).is_err()
    {
        *display = None;
    }
}

/// The marker chord on the keyboard: Ctrl-] m inserts a marker, Ctrl-] Ctrl-] sends one
/// Ctrl-], Ctrl-] followed by anything else sends both keys.
#[derive(Default)]
struct Chord {
    held: bool,
}

impl Chord {
    /// Appends the keys to forward to `out`; returns how many markers were asked for.
    fn filter(&mut self, keys: &[u8], out: &mut Vec<u8>) -> usize {
        let mut markers = 0;
        let mut rest = keys;
        while !rest.is_empty() {
            if self.held {
                self.held = false;
                match rest[0] {
                    CHORD_MARKER => markers += 1,
                    CHORD_PREFIX => out.push(CHORD_PREFIX),
                    b => out.extend_from_slice(&[CHORD_PREFIX, b]),
                }
                rest = &rest[1..];
                continue;
            }
            match memchr::memchr(CHORD_PREFIX, rest) {
                None => {
                    out.extend_from_slice(rest);
                    break;
                }
                Some(i) => {
                    out.extend_from_slice(&rest[..i]);
                    self.held = true;
                    rest = &rest[i + 1..];
                }
            }
        }
        markers
    }
}

/// A control character of the pty's current settings, or `default` when it is unset.
fn control_char(t: Option<&Termios>, which: Cc, default: u8) -> u8 {
    match t.map(|t| t.control_chars[which as usize]) {
        Some(c) if c != 0 && c != 0xff => c,
        _ => default,
    }
}

/// Runs the session: starts the program, writes the header, records until the program exits,
/// writes the `x` event and returns its status. When the program cannot be started nothing
/// is written. Errors writing the recording end the session (the program is hung up when its
/// pty closes); they name the recording.
pub fn record(mut cfg: Config, w: &mut Writer) -> Result<Outcome> {
    let signals = Signals::install()?;
    let mut raw_guard = None;
    let mut pty_settings = None;
    if cfg.raw
        && let Some(input) = &cfg.input
    {
        let (guard, saved) = RawMode::enter(input.as_fd())?;
        raw_guard = Some(guard);
        pty_settings = Some(saved);
    }
    let (cols, rows) = cfg.size;
    let main = Pty::open(cols, rows, pty_settings.as_ref())?;
    let err_pty = if cfg.stderr {
        Some(Pty::open(cols, rows, pty_settings.as_ref())?)
    } else {
        None
    };
    // Taken before the program starts, so that its very first change is seen.
    let modes = if cfg.mark_termios {
        pty::settings(main.master.as_fd())
    } else {
        None
    };
    let start = Instant::now();
    let started = start_program(&cfg, &main, err_pty.as_ref())?;
    if let Some(h) = cfg.header.take() {
        w.write_header(&h)
            .map_err(|e| Error::from(e).in_file(&cfg.name))?;
    }
    if let Some(prelude) = cfg.prelude.take() {
        prelude(w).map_err(|e| Error::from(e).in_file(&cfg.name))?;
    }
    // With held writes, the program waits while its output is recorded: a hand-over to the
    // writing thread would cost it two more context switches per write.
    let inline = started.listener.is_some();
    let mut rec = Recording::start(w, cfg.name.clone(), start, cfg.time_offset, inline)?;
    if let Some(prev) = cfg.previous_size
        && prev != cfg.size
    {
        let (c, r) = cfg.size;
        rec.event(cfg.time_offset, Code::Resize, &format!("{c}x{r}"))?;
    }
    // Only the program holds the slaves now, so its exit shows as end of file on the masters.
    drop(main.slave);
    let err = err_pty.map(|p| {
        drop(p.slave);
        Stream::new(p.master)
    });
    let mut s = Session {
        size: cfg.size,
        input_open: cfg.input.is_some(),
        cfg,
        signals,
        rec,
        out: Stream::new(main.master),
        err,
        listener: started.listener.map(Listener::new),
        program: started.program,
        modes,
        buf: vec![0u8; CHUNK],
        pending: Vec::new(),
        keys: Vec::new(),
        chord: Chord::default(),
        last_input_byte: b'\n',
        status: None,
        last_activity: Instant::now(),
        kill_at: None,
        // A SIGCHLD may have come before the handler saw it as ours: look once at the start.
        check_child: true,
        screen: None,
        wake: None,
        started: start,
        last_output: None,
        tape_started: false,
        tape_finished: false,
    };
    if s.cfg.script.is_some() {
        s.screen = Some(Screen {
            vt: Vt::new(s.size.0, s.size.1),
            decoder: Utf8Decoder::default(),
            text: String::new(),
        });
    }
    s.run()?;
    let Session {
        rec,
        mut program,
        status,
        err,
        signals,
        listener,
        tape_finished,
        ..
    } = s;
    let mut rec = rec;
    rec.finish_stream(Code::Output)?;
    if err.is_some() {
        rec.finish_stream(Code::Stderr)?;
    }
    let status = status.unwrap_or(1);
    let t = rec.now();
    rec.event(t, Code::Exit, &status.to_string())?;
    rec.close(w)?;
    // Collected if it is still around, without waiting: its pty is about to close, which
    // hangs it up.
    let _ = program.try_wait();
    if let Some(l) = listener {
        l.hand_off();
    }
    drop(raw_guard);
    drop(signals);
    Ok(Outcome {
        status,
        tape_finished,
    })
}

/// Starts the program on the ptys, under the ordering filter when `--stderr` asks for one;
/// warns (unless quiet) when the filter is unavailable.
fn start_program(cfg: &Config, main: &Pty, err: Option<&Pty>) -> Result<Started> {
    let filter = match (err, cfg.order) {
        (Some(_), Some(hold)) => {
            let f = order::filter(hold);
            if f.is_none() && !cfg.quiet {
                crate::cli::warn(
                    "stdout and stderr are recorded as they are read, perhaps out of order: \
                     keeping their order is not supported on this architecture",
                );
            }
            f
        }
        _ => None,
    };
    let started = program::spawn(
        &cfg.argv,
        &cfg.env,
        &main.slave,
        err.map(|p| &p.slave),
        filter.as_deref(),
    )
    .map_err(|e| {
        let prog = cfg.argv.first().map(|p| p.to_string_lossy().into_owned());
        Error::msg(format!(
            "cannot run '{}': {}",
            prog.unwrap_or_default(),
            io_message(&e)
        ))
    })?;
    if let Some(e) = &started.unfiltered
        && !cfg.quiet
    {
        // EBUSY: a filter with a listener is in force already, cast-rec --stderr's own most
        // likely.
        let hint = match e.raw_os_error() {
            Some(libc::EBUSY) => "; is this cast-rec --stderr inside another?",
            _ => "",
        };
        crate::cli::warn(format_args!(
            "stdout and stderr are recorded as they are read, perhaps out of order: \
             the kernel refused the seccomp filter that keeps their order ({}{hint})",
            io_message(e)
        ));
    }
    Ok(started)
}

/// The descriptors a session waits on, as slots in its poll set.
const SIGNALS: usize = 0;
const OUT: usize = 1;
const ERR: usize = 2;
const INPUT: usize = 3;
const HELD: usize = 4;

/// A running session: the program, its ptys, the user's side and the recording, with one
/// handler per descriptor.
struct Session {
    cfg: Config,
    signals: Signals,
    rec: Recording,
    out: Stream,
    err: Option<Stream>,
    /// The ordering filter's listener (`--stderr`): each held write waits for a drain.
    listener: Option<Listener>,
    program: Program,
    /// With `--mark-termios`, the pty's settings as last seen.
    modes: Option<Termios>,
    size: (u16, u16),
    buf: Vec<u8>,
    /// Typed or piped input the pty has not taken yet.
    pending: Vec<u8>,
    keys: Vec<u8>,
    chord: Chord,
    input_open: bool,
    last_input_byte: u8,
    status: Option<u8>,
    last_activity: Instant,
    kill_at: Option<Instant>,
    check_child: bool,
    /// With a script: the screen as the program drew it, which `Wait` looks at and `Show`
    /// repaints.
    screen: Option<Screen>,
    /// When the script next needs attention.
    wake: Option<Instant>,
    /// With a script: the program's start, its latest output, and whether the tape began.
    started: Instant,
    last_output: Option<Instant>,
    tape_started: bool,
    tape_finished: bool,
}

/// The program's output run through an emulator, for a script.
struct Screen {
    vt: Vt,
    decoder: Utf8Decoder,
    text: String,
}

impl Screen {
    fn feed(&mut self, bytes: &[u8]) {
        self.text.clear();
        self.decoder.decode(bytes, &mut self.text);
        self.vt.feed(&self.text);
    }
}

impl Session {
    fn run(&mut self) -> Result<()> {
        self.on_script()?;
        loop {
            let ready = self.wait()?;
            // A held write first: the program waits for it, and it reads both ptys anyway.
            if !ready[HELD].is_empty() {
                self.on_held_write(ready[HELD])?;
            }
            if !ready[OUT].is_empty() {
                self.on_output(ready[OUT])?;
            }
            if !ready[ERR].is_empty() {
                self.pump(Code::Stderr)?;
            }
            if !ready[INPUT].is_empty() {
                self.on_input()?;
            }
            if !ready[SIGNALS].is_empty() {
                self.on_signals()?;
            }
            self.on_script()?;
            self.on_child()?;
            if self.finished() {
                return Ok(());
            }
        }
    }

    /// Waits for any descriptor; returns what happened to each slot (empty: nothing).
    fn wait(&self) -> Result<[PollFlags; 5]> {
        let mut slots = Vec::with_capacity(5);
        let mut fds = Vec::with_capacity(5);
        slots.push(SIGNALS);
        fds.push(PollFd::new(self.signals.pipe.as_fd(), PollFlags::POLLIN));
        if self.out.open {
            let mut ev = PollFlags::POLLIN;
            if !self.pending.is_empty() {
                ev |= PollFlags::POLLOUT;
            }
            slots.push(OUT);
            fds.push(PollFd::new(self.out.fd.as_fd(), ev));
        }
        if let Some(e) = self.err.as_ref().filter(|e| e.open) {
            slots.push(ERR);
            fds.push(PollFd::new(e.fd.as_fd(), PollFlags::POLLIN));
        }
        if self.input_open
            && self.out.open
            && self.pending.len() < MAX_PENDING
            && let Some(i) = &self.cfg.input
        {
            slots.push(INPUT);
            fds.push(PollFd::new(i.as_fd(), PollFlags::POLLIN));
        }
        if let Some(l) = &self.listener {
            slots.push(HELD);
            fds.push(PollFd::new(l.fd(), PollFlags::POLLIN));
        }
        let timeout = poll_timeout(
            self.status.is_some(),
            self.last_activity,
            self.kill_at.into_iter().chain(self.wake).min(),
            self.out.open,
        );
        let mut ready = [PollFlags::empty(); 5];
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok(ready),
            Err(e) => return Err(io::Error::from(e).into()),
        }
        for (slot, fd) in slots.into_iter().zip(&fds) {
            ready[slot] = fd.revents().unwrap_or(PollFlags::empty());
        }
        Ok(ready)
    }

    /// The program is about to write: read everything it wrote before, then let it go on.
    fn on_held_write(&mut self, ev: PollFlags) -> Result<()> {
        let Some(listener) = &self.listener else {
            return Ok(());
        };
        if !ev.contains(PollFlags::POLLIN) {
            // Every process under the filter has exited.
            self.listener = None;
            return Ok(());
        }
        let Some(id) = listener.receive()? else {
            return Ok(());
        };
        self.drain(Code::Output)?;
        self.drain(Code::Stderr)?;
        if let Some(l) = &self.listener {
            l.release(id)?;
        }
        Ok(())
    }

    /// Reads a stream until it is empty.
    fn drain(&mut self, code: Code) -> Result<()> {
        while self.pump(code)? == CHUNK {}
        Ok(())
    }

    /// Reads what a stream holds (up to [`CHUNK`]), shows it and records it; returns how much.
    fn pump(&mut self, code: Code) -> Result<usize> {
        let stream = match code {
            Code::Stderr => match self.err.as_mut() {
                Some(e) => e,
                None => return Ok(0),
            },
            _ => &mut self.out,
        };
        if !stream.open {
            return Ok(0);
        }
        let (n, closed) = read_available(stream.fd.as_fd(), &mut self.buf)?;
        if closed {
            stream.open = false;
        }
        if n > 0 {
            let t = self.rec.now();
            self.last_activity = Instant::now();
            let display = match code {
                Code::Stderr if self.cfg.err_display.is_some() => &mut self.cfg.err_display,
                _ => &mut self.cfg.display,
            };
            show(display, &self.buf[..n]);
            if let Some(s) = &mut self.screen {
                s.feed(&self.buf[..n]);
                self.last_output = Some(self.last_activity);
            }
            self.rec.bytes(t, code, &self.buf[..n])?;
        }
        Ok(n)
    }

    fn on_output(&mut self, ev: PollFlags) -> Result<()> {
        note_modes(&mut self.rec, &self.out.fd, &mut self.modes)?;
        if ev.intersects(!PollFlags::POLLOUT) {
            self.pump(Code::Output)?;
        }
        if ev.contains(PollFlags::POLLOUT) {
            flush_pending(&mut self.out, &mut self.pending)?;
        }
        Ok(())
    }

    /// Plays the script up to its next pause: keys go to the program (and, with `-I`, into
    /// the recording, each its own event), `Hide`/`Show` switch the recording off and on, and
    /// the end of the tape hangs the program up, recording nothing more.
    fn on_script(&mut self) -> Result<()> {
        self.wake = None;
        let (Some(script), Some(screen)) = (self.cfg.script.as_mut(), self.screen.as_ref()) else {
            return Ok(());
        };
        if self.status.is_some() || self.tape_finished {
            return Ok(());
        }
        if !self.tape_started {
            let now = Instant::now();
            let limit = self.started + TAPE_START_LIMIT;
            let settled = self.last_output.map(|t| t + TAPE_SETTLE);
            if settled.is_none_or(|t| now < t) && now < limit {
                self.wake = Some(settled.map_or(limit, |t| t.min(limit)));
                return Ok(());
            }
            self.tape_started = true;
        }
        loop {
            match script.next(Instant::now(), &screen.vt)? {
                Do::Send(keys) => {
                    let t = self.rec.now();
                    self.pending.extend_from_slice(&keys);
                    flush_pending(&mut self.out, &mut self.pending)?;
                    if self.cfg.capture_input && !keys.is_empty() {
                        self.rec.bytes(t, Code::Input, &keys)?;
                    }
                }
                Do::Hide => self.rec.hide(),
                Do::Show => {
                    if self.rec.show() {
                        // What happened while hidden is not in the recording: draw the
                        // screen as it is now, so a player shows what the program shows.
                        let t = self.rec.now();
                        self.rec.event(t, Code::Output, &screen.vt.repaint(true))?;
                    }
                }
                Do::Sleep(at) => {
                    self.wake = Some(at);
                    return Ok(());
                }
                Do::Done => {
                    self.tape_finished = true;
                    self.rec.hide();
                    hang_up(self.program.pid(), &mut self.kill_at);
                    return Ok(());
                }
            }
        }
    }

    /// Keys typed, or piped input, for the program.
    fn on_input(&mut self) -> Result<()> {
        let Some(input) = &self.cfg.input else {
            return Ok(());
        };
        let n = match nix::unistd::read(input, &mut self.buf) {
            Ok(n) => n,
            Err(Errno::EINTR | Errno::EAGAIN) => return Ok(()),
            // A terminal that went away reads as EIO: like end of file.
            Err(_) => 0,
        };
        if n == 0 {
            self.on_input_end();
        } else {
            self.keys.clear();
            let typed = &self.buf[..n];
            let markers = if self.cfg.raw && self.cfg.marker_key {
                self.chord.filter(typed, &mut self.keys)
            } else {
                self.keys.extend_from_slice(typed);
                0
            };
            let t = self.rec.now();
            note_modes(&mut self.rec, &self.out.fd, &mut self.modes)?;
            if let Some(&b) = self.keys.last() {
                self.last_input_byte = b;
            }
            self.pending.extend_from_slice(&self.keys);
            flush_pending(&mut self.out, &mut self.pending)?;
            if self.cfg.capture_input && !self.keys.is_empty() {
                self.rec.bytes(t, Code::Input, &self.keys)?;
            }
            for _ in 0..markers {
                self.rec.event(t, Code::Marker, &self.cfg.marker_label)?;
            }
        }
        if !self.pending.is_empty() {
            flush_pending(&mut self.out, &mut self.pending)?;
        }
        Ok(())
    }

    fn on_input_end(&mut self) {
        self.input_open = false;
        if self.cfg.raw {
            // The user's terminal is gone: hang up as a terminal would.
            hang_up(self.program.pid(), &mut self.kill_at);
        } else {
            // Piped input ended: send end-of-file as a typist would (twice after a partial
            // line, whose first ^D only ends the line).
            let settings = pty::settings(self.out.fd.as_fd());
            let eof = control_char(settings.as_ref(), Cc::VEOF, 4);
            if self.last_input_byte != b'\n' {
                self.pending.push(eof);
            }
            self.pending.push(eof);
        }
    }

    fn on_signals(&mut self) -> Result<()> {
        let signals = &self.signals;
        signals.drain();
        if signals.take(SIGWINCH) {
            self.on_resize()?;
        }
        if self.signals.take(SIGUSR1) {
            let t = self.rec.now();
            self.rec.event(t, Code::Marker, &self.cfg.marker_label)?;
        }
        let term = self.signals.take(SIGTERM);
        let hup = self.signals.take(SIGHUP);
        if term || hup {
            hang_up(self.program.pid(), &mut self.kill_at);
        }
        // Sent to the recorder by someone else (the keyboard's go to the pty directly):
        // pass them on through the pty's line discipline, as a terminal would.
        let settings = pty::settings(self.out.fd.as_fd());
        for (sig, cc, default) in [
            (SIGINT, Cc::VINTR, 0x03),
            (SIGQUIT, Cc::VQUIT, 0x1c),
            (SIGTSTP, Cc::VSUSP, 0x1a),
        ] {
            if self.signals.take(sig) && self.out.open {
                self.pending
                    .push(control_char(settings.as_ref(), cc, default));
            }
        }
        if !self.pending.is_empty() {
            flush_pending(&mut self.out, &mut self.pending)?;
        }
        if self.signals.take(SIGCHLD) {
            self.check_child = true;
        }
        Ok(())
    }

    /// The user's terminal changed size: so does the program's, unless the size is fixed.
    fn on_resize(&mut self) -> Result<()> {
        if self.cfg.fixed_size {
            return Ok(());
        }
        let Some(new) = self
            .cfg
            .terminal
            .as_ref()
            .and_then(|t| pty::window_size(t.as_fd()))
        else {
            return Ok(());
        };
        if new == self.size {
            return Ok(());
        }
        self.size = new;
        let _ = pty::set_window_size(self.out.fd.as_fd(), new.0, new.1);
        if let Some(e) = &self.err {
            let _ = pty::set_window_size(e.fd.as_fd(), new.0, new.1);
        }
        let t = self.rec.now();
        self.rec
            .event(t, Code::Resize, &format!("{}x{}", new.0, new.1))
    }

    /// waitpid only when there is news: a SIGCHLD, a closed pty, a hangup in progress.
    fn on_child(&mut self) -> Result<()> {
        self.check_child |= !self.out.open || self.kill_at.is_some();
        if self.status.is_some() || !std::mem::take(&mut self.check_child) {
            return Ok(());
        }
        if let Some(st) = self.program.try_wait()? {
            self.status = Some(st);
            self.last_activity = Instant::now();
        } else if let Some(at) = self.kill_at
            && Instant::now() >= at
        {
            let _ = kill(Pid::from_raw(-self.program.pid().as_raw()), Signal::SIGKILL);
            self.program.kill();
            self.kill_at = None;
        }
        Ok(())
    }

    /// The program has exited and its ptys are drained (or silent for [`DRAIN_IDLE`]).
    fn finished(&self) -> bool {
        if self.status.is_none() {
            return false;
        }
        let drained = !self.out.open && self.err.as_ref().is_none_or(|e| !e.open);
        drained || self.last_activity.elapsed() >= DRAIN_IDLE
    }
}

/// How long poll may sleep: forever while the program runs and data flows; bounded only
/// while draining after its exit, during a hangup's grace period, or while its pty is closed
/// but it has not exited (a missed SIGCHLD must not hang the recorder).
fn poll_timeout(
    exited: bool,
    last: Instant,
    kill_at: Option<Instant>,
    pty_open: bool,
) -> PollTimeout {
    let mut until: Option<Instant> = None;
    let mut sooner = |t: Instant| until = Some(until.map_or(t, |u| u.min(t)));
    if exited {
        sooner(last + DRAIN_IDLE);
    }
    if let Some(k) = kill_at {
        sooner(k);
    }
    if !pty_open && !exited {
        sooner(Instant::now() + Duration::from_millis(100));
    }
    match until {
        None => PollTimeout::NONE,
        Some(t) => {
            let ms = t.saturating_duration_since(Instant::now()).as_millis();
            PollTimeout::from(ms.min(60_000) as u16 + 1)
        }
    }
}

/// Writes as much pending input to the pty as it takes now.
fn flush_pending(out: &mut Stream, pending: &mut Vec<u8>) -> io::Result<()> {
    let mut done = 0;
    while done < pending.len() && out.open {
        match nix::unistd::write(&out.fd, &pending[done..]) {
            Ok(k) => done += k,
            Err(Errno::EAGAIN) => break,
            Err(Errno::EINTR) => {}
            Err(Errno::EIO) => {
                done = pending.len();
            }
            Err(e) => return Err(e.into()),
        }
    }
    pending.drain(..done);
    Ok(())
}

/// With `--mark-termios` (`modes` holds the last settings seen), records a marker when the
/// pty's modes changed, and remembers the new ones.
fn note_modes(rec: &mut Recording, fd: &OwnedFd, modes: &mut Option<Termios>) -> Result<()> {
    let Some(old) = modes.as_ref() else {
        return Ok(());
    };
    let Some(new) = pty::settings(fd.as_fd()) else {
        return Ok(());
    };
    let change = pty::mode_changes(old, &new);
    if !change.is_empty() {
        let t = rec.now();
        rec.event(t, Code::Marker, &format!("termios: {change}"))?;
    }
    *modes = Some(new);
    Ok(())
}

/// Ends the program as a terminal hangup does (SIGHUP, then SIGCONT for a stopped job); a
/// second request, or the grace period running out, kills it.
fn hang_up(pid: Pid, kill_at: &mut Option<Instant>) {
    let group = Pid::from_raw(-pid.as_raw());
    if kill_at.is_some() {
        let _ = kill(group, Signal::SIGKILL);
        let _ = kill(pid, Signal::SIGKILL);
        *kill_at = Some(Instant::now());
        return;
    }
    for sig in [Signal::SIGHUP, Signal::SIGCONT] {
        if kill(group, sig).is_err() {
            let _ = kill(pid, sig);
        }
    }
    *kill_at = Some(Instant::now() + HANGUP_GRACE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_inserts_markers_and_passes_other_keys() {
        let mut c = Chord::default();
        let mut out = Vec::new();
        assert_eq!(c.filter(b"ab\x1dmcd", &mut out), 1);
        assert_eq!(out, b"abcd");
        out.clear();
        assert_eq!(c.filter(b"x\x1d", &mut out), 0);
        assert_eq!(out, b"x");
        assert_eq!(c.filter(b"\x1d\x1dq\x1d", &mut out), 0);
        assert_eq!(out, b"x\x1d\x1dq");
        assert_eq!(c.filter(b"m", &mut out), 1);
    }
}
