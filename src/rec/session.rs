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
//! The session ends when the program has exited and its pty is drained: the kernel reports
//! end of file once every process holding the pty has closed it; a background process left
//! holding it is given [`DRAIN_IDLE`] of silence, then the recording is finished without it.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill};
use nix::sys::termios::{SpecialCharacterIndices as Cc, Termios};
use nix::unistd::Pid;
use signal_hook::SigId;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1, SIGWINCH};

use crate::error::{Error, Result, io_message};
use crate::event::Code;
use crate::header::Header;
use crate::rec::pty::{self, Pty};
use crate::rec::term::RawMode;
use crate::rec::utf8::Utf8Decoder;
use crate::time::Micros;
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
}

/// What happened to a session.
#[derive(Debug)]
pub struct Outcome {
    /// The program's exit status, 128+N when a signal ended it.
    pub status: u8,
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
    name: PathBuf,
    start: Instant,
    offset: Micros,
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
    /// Starts the writing thread, which takes `w` until [`close`](Self::close) gives it back.
    fn start(w: &mut Writer, name: PathBuf, start: Instant, offset: Micros) -> Result<Recording> {
        let version = w.version();
        let mut writer = std::mem::replace(w, Writer::new(Box::new(io::sink()), version));
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
            name,
            start,
            offset,
        })
    }

    fn now(&self) -> Micros {
        let us = i64::try_from(self.start.elapsed().as_micros()).unwrap_or(i64::MAX);
        self.offset.saturating_add(us)
    }

    fn send(&mut self, note: Note) -> Result<()> {
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
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writing thread: each note becomes an event, written at once (the writer is
/// line-buffered), so a reader following the file sees it as it happens.
fn write_notes(w: &mut Writer, rx: &Receiver<Note>) -> io::Result<()> {
    // One decoder per stream: output, stderr, input.
    let mut decoders = [Utf8Decoder::new(), Utf8Decoder::new(), Utf8Decoder::new()];
    let slot = |code: Code| match code {
        Code::Stderr => 1,
        Code::Input => 2,
        _ => 0,
    };
    let mut text = String::new();
    for note in rx {
        match note {
            Note::Text(t, code, data) => w.write_text(t, code, &data)?,
            Note::Bytes(t, code, bytes) => {
                text.clear();
                decoders[slot(code)].decode(&bytes, &mut text);
                if !text.is_empty() {
                    w.write_text(t, code, &text)?;
                }
            }
            Note::Finish(t, code) => {
                text.clear();
                decoders[slot(code)].finish(&mut text);
                if !text.is_empty() {
                    w.write_text(t, code, &text)?;
                }
            }
        }
    }
    w.flush()
}

/// A pty master and what the session knows of it.
struct Stream {
    fd: OwnedFd,
    open: bool,
    code: Code,
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
                let mut p = [libc::pollfd {
                    fd: fd.as_raw_fd(),
                    events: libc::POLLOUT,
                    revents: 0,
                }];
                // SAFETY: one valid pollfd.
                unsafe { libc::poll(p.as_mut_ptr(), 1, -1) };
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

fn exit_status(st: std::process::ExitStatus) -> u8 {
    match (st.code(), st.signal()) {
        (Some(c), _) => c as u8,
        (None, Some(s)) => 128u8.saturating_add(s as u8),
        _ => 1,
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
    let mut modes = if cfg.mark_termios {
        pty::settings(main.master.as_fd())
    } else {
        None
    };
    let start = Instant::now();
    let mut child = pty::spawn(
        &cfg.argv,
        &cfg.env,
        &main.slave,
        err_pty.as_ref().map(|p| &p.slave),
    )
    .map_err(|e| {
        let prog = cfg.argv.first().map(|p| p.to_string_lossy().into_owned());
        Error::msg(format!(
            "cannot run '{}': {}",
            prog.unwrap_or_default(),
            io_message(&e)
        ))
    })?;
    if let Some(h) = cfg.header.take() {
        w.write_header(&h)
            .map_err(|e| Error::from(e).in_file(&cfg.name))?;
    }
    let mut rec = Recording::start(w, cfg.name.clone(), start, cfg.time_offset)?;
    if let Some(prev) = cfg.previous_size
        && prev != cfg.size
    {
        let (c, r) = cfg.size;
        rec.event(cfg.time_offset, Code::Resize, &format!("{c}x{r}"))?;
    }
    let pid = Pid::from_raw(child.id() as i32);
    // Only the program holds the slaves now, so its exit shows as end of file on the masters.
    drop(main.slave);
    let mut out = Stream {
        fd: main.master,
        open: true,
        code: Code::Output,
    };
    let mut err = err_pty.map(|p| {
        drop(p.slave);
        Stream {
            fd: p.master,
            open: true,
            code: Code::Stderr,
        }
    });

    let mut size = cfg.size;
    let mut buf = vec![0u8; CHUNK];
    let mut pending: Vec<u8> = Vec::new();
    let mut keys: Vec<u8> = Vec::new();
    let mut chord = Chord::default();
    let mut input_open = cfg.input.is_some();
    let mut last_input_byte = b'\n';
    let mut status: Option<u8> = None;
    let mut last_activity = Instant::now();
    let mut kill_at: Option<Instant> = None;
    // A SIGCHLD may have come before the handler saw it as ours: look once at the start.
    let mut check_child = true;

    loop {
        // Which descriptors to wait on: [signals, pty, stderr pty, input].
        let mut fds = [libc::pollfd {
            fd: -1,
            events: 0,
            revents: 0,
        }; 4];
        fds[0] = pollfd(signals.pipe.as_fd(), libc::POLLIN);
        if out.open {
            let ev = if pending.is_empty() {
                libc::POLLIN
            } else {
                libc::POLLIN | libc::POLLOUT
            };
            fds[1] = pollfd(out.fd.as_fd(), ev);
        }
        if let Some(e) = err.as_ref().filter(|e| e.open) {
            fds[2] = pollfd(e.fd.as_fd(), libc::POLLIN);
        }
        if input_open
            && out.open
            && pending.len() < MAX_PENDING
            && let Some(i) = &cfg.input
        {
            fds[3] = pollfd(i.as_fd(), libc::POLLIN);
        }
        let timeout = poll_timeout(status.is_some(), last_activity, kill_at, out.open);
        // SAFETY: `fds` is a valid array of four pollfds; -1 entries are ignored.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 4, timeout) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e.into());
        }
        let ready = |i: usize| fds[i].fd >= 0 && fds[i].revents != 0;

        if ready(1) {
            note_modes(&mut rec, &out.fd, &mut modes)?;
            if fds[1].revents & !libc::POLLOUT != 0 {
                let (n, closed) = read_available(out.fd.as_fd(), &mut buf)?;
                if n > 0 {
                    let t = rec.now();
                    last_activity = Instant::now();
                    show(&mut cfg.display, &buf[..n]);
                    rec.bytes(t, out.code, &buf[..n])?;
                }
                if closed {
                    out.open = false;
                }
            }
            if fds[1].revents & libc::POLLOUT != 0 {
                flush_pending(&mut out, &mut pending)?;
            }
        }
        if ready(2)
            && let Some(e) = err.as_mut()
        {
            let (n, closed) = read_available(e.fd.as_fd(), &mut buf)?;
            if n > 0 {
                let t = rec.now();
                last_activity = Instant::now();
                match cfg.err_display.as_mut() {
                    Some(_) => show(&mut cfg.err_display, &buf[..n]),
                    None => show(&mut cfg.display, &buf[..n]),
                }
                rec.bytes(t, e.code, &buf[..n])?;
            }
            if closed {
                e.open = false;
            }
        }
        if ready(3)
            && let Some(input) = &cfg.input
        {
            let n = match nix::unistd::read(input, &mut buf) {
                Ok(n) => n,
                Err(Errno::EINTR | Errno::EAGAIN) => continue,
                // A terminal that went away reads as EIO: like end of file.
                Err(_) => 0,
            };
            if n == 0 {
                input_open = false;
                if cfg.raw {
                    // The user's terminal is gone: hang up as a terminal would.
                    hang_up(pid, &mut kill_at);
                } else {
                    // Piped input ended: send end-of-file as a typist would (twice after a
                    // partial line, whose first ^D only ends the line).
                    let eof = control_char(pty::settings(out.fd.as_fd()).as_ref(), Cc::VEOF, 4);
                    if last_input_byte != b'\n' {
                        pending.push(eof);
                    }
                    pending.push(eof);
                }
            } else {
                let typed = &buf[..n];
                keys.clear();
                let markers = if cfg.raw && cfg.marker_key {
                    chord.filter(typed, &mut keys)
                } else {
                    keys.extend_from_slice(typed);
                    0
                };
                let t = rec.now();
                note_modes(&mut rec, &out.fd, &mut modes)?;
                if let Some(&b) = keys.last() {
                    last_input_byte = b;
                }
                pending.extend_from_slice(&keys);
                flush_pending(&mut out, &mut pending)?;
                if cfg.capture_input && !keys.is_empty() {
                    rec.bytes(t, Code::Input, &keys)?;
                }
                for _ in 0..markers {
                    rec.event(t, Code::Marker, &cfg.marker_label)?;
                }
            }
            if !pending.is_empty() {
                flush_pending(&mut out, &mut pending)?;
            }
        }

        if ready(0) {
            signals.drain();
            if signals.take(SIGWINCH)
                && !cfg.fixed_size
                && let Some(new) = cfg
                    .terminal
                    .as_ref()
                    .and_then(|t| pty::window_size(t.as_fd()))
                && new != size
            {
                size = new;
                let _ = pty::set_window_size(out.fd.as_fd(), size.0, size.1);
                if let Some(e) = &err {
                    let _ = pty::set_window_size(e.fd.as_fd(), size.0, size.1);
                }
                let t = rec.now();
                rec.event(t, Code::Resize, &format!("{}x{}", size.0, size.1))?;
            }
            if signals.take(SIGUSR1) {
                let t = rec.now();
                rec.event(t, Code::Marker, &cfg.marker_label)?;
            }
            let term = signals.take(SIGTERM);
            let hup = signals.take(SIGHUP);
            if term || hup {
                hang_up(pid, &mut kill_at);
            }
            // Sent to the recorder by someone else (the keyboard's go to the pty directly):
            // pass them on through the pty's line discipline, as a terminal would.
            let settings = pty::settings(out.fd.as_fd());
            for (sig, cc, default) in [
                (SIGINT, Cc::VINTR, 0x03),
                (SIGQUIT, Cc::VQUIT, 0x1c),
                (SIGTSTP, Cc::VSUSP, 0x1a),
            ] {
                if signals.take(sig) && out.open {
                    pending.push(control_char(settings.as_ref(), cc, default));
                }
            }
            if !pending.is_empty() {
                flush_pending(&mut out, &mut pending)?;
            }
            if signals.take(SIGCHLD) {
                check_child = true;
            }
        }

        // waitpid only when there is news: a SIGCHLD, a closed pty, a hangup in progress.
        check_child |= !out.open || kill_at.is_some();
        if status.is_none() && std::mem::take(&mut check_child) {
            if let Some(st) = child.try_wait()? {
                status = Some(exit_status(st));
                last_activity = Instant::now();
            } else if let Some(at) = kill_at
                && Instant::now() >= at
            {
                let _ = kill(Pid::from_raw(-pid.as_raw()), Signal::SIGKILL);
                let _ = child.kill();
                kill_at = None;
            }
        }
        if status.is_some() {
            let drained = !out.open && err.as_ref().is_none_or(|e| !e.open);
            if drained || last_activity.elapsed() >= DRAIN_IDLE {
                break;
            }
        }
    }

    rec.finish_stream(Code::Output)?;
    if err.is_some() {
        rec.finish_stream(Code::Stderr)?;
    }
    let status = status.unwrap_or(1);
    let t = rec.now();
    rec.event(t, Code::Exit, &status.to_string())?;
    rec.close(w)?;
    reap(&mut child);
    drop(raw_guard);
    drop(signals);
    Ok(Outcome { status })
}

fn pollfd(fd: BorrowedFd<'_>, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    }
}

/// How long poll may sleep: forever while the program runs and data flows; bounded only
/// while draining after its exit, during a hangup's grace period, or while its pty is closed
/// but it has not exited (a missed SIGCHLD must not hang the recorder).
fn poll_timeout(exited: bool, last: Instant, kill_at: Option<Instant>, pty_open: bool) -> i32 {
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
        None => -1,
        Some(t) => {
            let ms = t.saturating_duration_since(Instant::now()).as_millis();
            ms.min(60_000) as i32 + 1
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

/// Collects the program if it is still around, without waiting long: its pty is about to
/// close, which hangs it up.
fn reap(child: &mut Child) {
    let _ = child.try_wait();
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

    #[test]
    fn signal_statuses_are_128_plus_n() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_status(std::process::ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_status(std::process::ExitStatus::from_raw(9)), 137);
    }
}
