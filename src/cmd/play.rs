//! cast-play: play a recording in the terminal, as `asciinema play` does.
//!
//! Events are read by a thread and handed over a bounded channel, so the keyboard is answered
//! at once even while a live pipe (`cast-rec ... | cast-play`) has nothing new to give. Keys are
//! read from the controlling terminal (`/dev/tty`), which is put in a raw-ish mode (no line
//! editing, no echo, no signals from keys) for the length of the playback; a guard restores it
//! on every way out: the end, `q`, an error, a closed pipe, a panic, and SIGTERM, SIGHUP or
//! SIGINT sent from elsewhere. On the way out the screen modes a recording may have left on
//! are turned off too: the alternate screen, a hidden cursor, colours, mouse reporting and
//! bracketed paste.
//!
//! Output time is the original time with each pause capped (`-i`, as in cast-idle: each gap on
//! its own), divided by the speed. `--from` starts mid-recording without replaying what comes
//! before: that part goes through a terminal emulator ([`crate::vt`]) and playback starts with
//! one repaint of the screen as it was at that moment.
//!
//! When standard output is not a terminal the output is written with its timing and no keys
//! are read, so `cast-play demo.cast | tee log` or a test harness sees the raw stream.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};

use crate::cli::{self, Input};
use crate::error::{Error, Result};
use crate::event::{Code, EventRecord, parse_size};
use crate::read::Reader;
use crate::time::{self, Micros, TimeSpec};
use crate::vt::Vt;

const EXAMPLES: &str = "\
Examples:
  cast-play demo.cast                 play it
  cast-play -s 2 -i 1 demo.cast       twice as fast, pauses cut to one second
  cast-play --from 1:10 demo.cast     start at 1:10 (the screen as it was then)
  cast-play --from marker:build --to marker:test demo.cast
  cast-play -m demo.cast              stop at each marker; space goes on
  cast-rec -c make - | cast-play      watch a recording as it is made

Keys:
  space  pause / resume
  .      when paused: the next event
  ]      jump to the next marker
  q      quit (also Ctrl-C)

Exit status:
  0  success (played to the end, or quit)
  2  an error (a bad option, an unreadable or malformed recording)";

/// Play an asciicast recording in the terminal
///
/// Plays the recording with its timing: output and stderr (`e` events) are written to the
/// terminal as they were recorded. Keys: space pauses and resumes, `.` steps one event while
/// paused, `]` jumps to the next marker, `q` or Ctrl-C quits. The terminal is restored however
/// playback ends. A warning is printed when the recording is larger than the terminal. When
/// standard output is not a terminal, the output is written with its timing and no keys are
/// read.
#[derive(Debug, Parser)]
#[command(name = "cast-play", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Recording to play (v1, v2 or v3). With none, or `-`, standard input is read
    #[arg(value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,

    /// Playback speed: 2 is twice as fast
    #[arg(short = 's', long, value_name = "X", value_parser = time::parse_factor, default_value = "1")]
    pub speed: f64,

    /// Cut every pause to at most SECS [default: the header's idle_time_limit]
    #[arg(short = 'i', long, value_name = "SECS", value_parser = time::parse_clock)]
    pub idle_time_limit: Option<Micros>,

    /// Start at T: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub from: Option<TimeSpec>,

    /// Stop before T (same forms as --from)
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub to: Option<TimeSpec>,

    /// Play again from the start when the end is reached, until q
    #[arg(short = 'l', long = "loop")]
    pub loop_: bool,

    /// Pause at every marker (space resumes)
    #[arg(short = 'm', long)]
    pub pause_on_markers: bool,

    /// Treat a recording whose last line was cut off as an error, not a warning
    #[arg(long)]
    pub strict: bool,

    /// Print no warnings (errors are still printed)
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

pub fn command() -> clap::Command {
    Args::command()
}

/// What the reading thread hands over.
enum Msg {
    Event(Micros, Code, String),
    Warnings(Vec<String>),
    Error(Error),
}

/// Reads `rdr` on a thread; the channel ends after the last event (or an error).
fn spawn_reader(mut rdr: Reader) -> Receiver<Msg> {
    let (tx, rx) = sync_channel(1024);
    std::thread::spawn(move || {
        let mut rec = EventRecord::default();
        let mut scratch = String::new();
        loop {
            match rdr.read_event(&mut rec) {
                Ok(true) => {
                    let data = rec.data_str(&mut scratch).to_string();
                    if tx.send(Msg::Event(rec.time(), rec.code(), data)).is_err() {
                        return;
                    }
                }
                Ok(false) => {
                    let name = rdr.path().map(|p| p.display().to_string());
                    let name = name.unwrap_or_else(|| "<stdin>".into());
                    let warnings = rdr.take_warnings();
                    let warnings = warnings.into_iter().map(|w| format!("{name}: {w}"));
                    let _ = tx.send(Msg::Warnings(warnings.collect()));
                    return;
                }
                Err(e) => {
                    let _ = tx.send(Msg::Error(e));
                    return;
                }
            }
        }
    });
    rx
}

/// The controlling terminal in a mode for single keys, restored when dropped.
pub struct RawTerminal {
    tty: File,
    saved: libc::termios,
}

impl RawTerminal {
    /// Opens `/dev/tty` and turns off line editing, echo and signal keys. `None` when there
    /// is no terminal to read keys from.
    pub fn open() -> Option<RawTerminal> {
        let tty = File::options().read(true).open("/dev/tty").ok()?;
        let fd = tty.as_raw_fd();
        // SAFETY: termios is plain data, filled in by tcgetattr before it is read.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd is an open descriptor; saved is a valid termios to write into.
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return None;
        }
        let mut raw = saved;
        raw.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
        raw.c_iflag &= !(libc::IXON | libc::ICRNL);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: as above; raw is a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return None;
        }
        Some(RawTerminal { tty, saved })
    }

    /// Waits up to `timeout` (forever with `None`) for keys; returns what was typed.
    fn keys(&mut self, timeout: Option<Duration>) -> Vec<u8> {
        let mut pfd = libc::pollfd {
            fd: self.tty.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.map_or(-1, |d| d.as_millis().min(i32::MAX as u128) as i32);
        // SAFETY: pfd is one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n <= 0 || pfd.revents & libc::POLLIN == 0 {
            return Vec::new();
        }
        let mut buf = [0u8; 64];
        match self.tty.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in open() on the same descriptor.
        unsafe {
            libc::tcsetattr(self.tty.as_raw_fd(), libc::TCSANOW, &self.saved);
        }
    }
}

/// The terminal's size (cols, rows), when standard output is one.
fn terminal_size() -> Option<(u16, u16)> {
    // SAFETY: winsize is plain data; TIOCGWINSZ fills it in on success.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: fd 1 is open; ws is a valid winsize.
    let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) } == 0;
    (ok && ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// Standard output as a plain file: no std line buffering; never closed.
fn stdout_file() -> ManuallyDrop<File> {
    // SAFETY: fd 1 stays open for the life of the process; ManuallyDrop never closes it.
    ManuallyDrop::new(unsafe { File::from_raw_fd(1) })
}

/// What the player does next after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Pause,
    Step,
    NextMarker,
    Quit,
}

fn key_of(b: u8) -> Option<Key> {
    match b {
        b' ' => Some(Key::Pause),
        b'.' => Some(Key::Step),
        b']' => Some(Key::NextMarker),
        b'q' | b'Q' | 0x03 | 0x04 => Some(Key::Quit),
        _ => None,
    }
}

/// The playback clock: where on the (idle-capped) timeline playback is, and whether it runs.
struct Clock {
    speed: f64,
    /// Timeline position at `since`.
    pos: Micros,
    since: Instant,
    paused: bool,
}

impl Clock {
    fn now(&self) -> Micros {
        if self.paused {
            return self.pos;
        }
        let us = self.since.elapsed().as_micros() as f64 * self.speed;
        self.pos.saturating_add(us as Micros)
    }

    fn toggle(&mut self) {
        self.pos = self.now();
        self.since = Instant::now();
        self.paused = !self.paused;
    }

    /// Moves the position to `u` (a step or a jump), keeping the pause state.
    fn set(&mut self, u: Micros) {
        self.pos = u;
        self.since = Instant::now();
    }

    /// Wall time until timeline position `u`, `None` while paused.
    fn until(&self, u: Micros) -> Option<Duration> {
        if self.paused {
            return None;
        }
        let ahead = u.saturating_sub(self.now()).max(0);
        Some(Duration::from_micros((ahead as f64 / self.speed) as u64))
    }
}

/// Settings of one playback.
struct Plan {
    from: Option<Micros>,
    to: Option<Micros>,
    limit: Option<Micros>,
    pause_on_markers: bool,
}

/// How a pass over the recording ended.
enum Ended {
    End,
    Quit,
}

/// Plays recordings to a terminal (or any output).
struct Playback {
    out: ManuallyDrop<File>,
    keys: Option<RawTerminal>,
    term: Option<(u16, u16)>,
    quiet: bool,
    warned_size: bool,
    stop: Arc<AtomicBool>,
    clock: Clock,
    /// Follows the screen, for `--from` and to know what to undo at the end.
    vt: Vt,
}

impl Playback {
    fn write(&mut self, s: &str) -> Result<()> {
        self.out.write_all(s.as_bytes())?;
        Ok(())
    }

    fn check_size(&mut self, cols: u16, rows: u16) {
        if let Some((tc, tr)) = self.term
            && (cols > tc || rows > tr)
            && !self.warned_size
            && !self.quiet
        {
            self.warned_size = true;
            // Leave raw mode's missing CR alone: a warning on its own lines.
            cli::warn(format_args!(
                "the recording is {cols}x{rows} but the terminal is {tc}x{tr}: lines will wrap \
                 (make the terminal larger, or use a smaller font)\r"
            ));
        }
    }

    /// Reads keys for up to `wait` (forever while paused with `None`). Returns the keys, or
    /// `Quit` when a signal asked to stop.
    fn wait_keys(&mut self, wait: Option<Duration>) -> Vec<Key> {
        // Signals are noticed within a tenth of a second.
        let slice = Duration::from_millis(100);
        let wait = wait.map_or(slice, |w| w.min(slice));
        if self.stop.load(Ordering::Relaxed) {
            return vec![Key::Quit];
        }
        match self.keys.as_mut() {
            Some(k) => k.keys(Some(wait)).into_iter().filter_map(key_of).collect(),
            None => {
                std::thread::sleep(wait);
                Vec::new()
            }
        }
    }

    /// One pass over a recording.
    fn play(&mut self, rdr: Reader, plan: &Plan) -> Result<Ended> {
        let (cols, rows) = rdr.header().size();
        self.vt = Vt::new(cols, rows);
        self.check_size(cols, rows);
        let rx = spawn_reader(rdr);
        let mut prev_t: Micros = 0;
        let mut u: Micros = 0;
        let mut started = plan.from.is_none();
        let mut skip_to_marker = false;
        let mut step = false;
        self.clock.set(0);
        loop {
            let msg = loop {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(m) => break Some(m),
                    Err(RecvTimeoutError::Disconnected) => break None,
                    Err(RecvTimeoutError::Timeout) => {
                        // A live pipe with nothing new: keep answering keys.
                        for k in self.wait_keys(Some(Duration::ZERO)) {
                            match k {
                                Key::Quit => return Ok(Ended::Quit),
                                Key::Pause => self.clock.toggle(),
                                _ => {}
                            }
                        }
                    }
                }
            };
            let (t, code, data) = match msg {
                None => return Ok(Ended::End),
                Some(Msg::Error(e)) => return Err(e),
                Some(Msg::Warnings(w)) => {
                    if !self.quiet {
                        for w in w {
                            cli::warn(format_args!("{w}\r"));
                        }
                    }
                    return Ok(Ended::End);
                }
                Some(Msg::Event(t, c, d)) => (t, c, d),
            };
            let gap = t.saturating_sub(prev_t).max(0);
            prev_t = prev_t.max(t);
            u = u.saturating_add(plan.limit.map_or(gap, |l| gap.min(l)));
            if plan.to.is_some_and(|to| t >= to) {
                return Ok(Ended::End);
            }
            if !started {
                if plan.from.is_some_and(|f| t < f) {
                    match code {
                        Code::Output | Code::Stderr => self.vt.feed(&data),
                        Code::Resize => {
                            if let Some((c, r)) = parse_size(&data) {
                                self.vt.resize(c, r);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                started = true;
                let (c, r) = self.vt.size();
                self.check_size(c, r);
                let repaint = self.vt.repaint(true);
                self.write(&repaint)?;
                self.clock.set(u);
            }
            // Wait for the event's time, answering keys.
            while !skip_to_marker && !step {
                let Some(left) = self.clock.until(u) else {
                    for k in self.wait_keys(None) {
                        match k {
                            Key::Quit => return Ok(Ended::Quit),
                            Key::Pause => self.clock.toggle(),
                            Key::Step => step = true,
                            Key::NextMarker => skip_to_marker = true,
                        }
                    }
                    continue;
                };
                if left.is_zero() {
                    break;
                }
                for k in self.wait_keys(Some(left)) {
                    match k {
                        Key::Quit => return Ok(Ended::Quit),
                        Key::Pause => self.clock.toggle(),
                        Key::Step => {}
                        Key::NextMarker => skip_to_marker = true,
                    }
                }
            }
            if step || skip_to_marker {
                self.clock.set(u);
            }
            step = false;
            match code {
                Code::Output | Code::Stderr => {
                    self.vt.feed(&data);
                    self.write(&data)?;
                }
                Code::Resize => {
                    if let Some((c, r)) = parse_size(&data) {
                        self.vt.resize(c, r);
                        self.check_size(c, r);
                    }
                }
                Code::Marker => {
                    if skip_to_marker {
                        skip_to_marker = false;
                    } else if plan.pause_on_markers && !self.clock.paused {
                        self.clock.toggle();
                    }
                }
                _ => {}
            }
        }
    }

    /// Turns off what the recording left on: alternate screen, hidden cursor, colours, mouse
    /// reporting, bracketed paste, application keys.
    fn tidy(&mut self) {
        let mut s = String::new();
        if self.vt.terminal().active_screen_kind() == avt::ScreenKind::Alternate {
            s.push_str("\x1b[?1049l");
        }
        s.push_str(
            "\x1b[0m\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b>",
        );
        let _ = self.out.write_all(s.as_bytes());
    }
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let mut input = a.file.as_deref().map_or(Input::Stdin, Input::from_path);
    let is_marker = |t: &Option<TimeSpec>| matches!(t, Some(TimeSpec::Marker(_)));
    // Keeps a copy of standard input while it is read more than once.
    let mut _spool = None;
    if input == Input::Stdin && (a.loop_ || is_marker(&a.from) || is_marker(&a.to)) {
        let (path, guard) = cli::spool_stdin()?;
        input = Input::File(path);
        _spool = Some(guard);
    }
    let name = input.name();
    let mut rdr = input.open()?;
    rdr.set_strict(a.strict);
    rdr.set_emulated()?;
    let markers = if is_marker(&a.from) || is_marker(&a.to) {
        let mut again = rdr.reopen()?;
        let mut rec = EventRecord::default();
        let mut s = String::new();
        let mut m = Vec::new();
        while again.read_event(&mut rec)? {
            if rec.code() == Code::Marker {
                m.push((rec.time(), rec.data_str(&mut s).to_string()));
            }
        }
        m
    } else {
        Vec::new()
    };
    let resolve = |t: &Option<TimeSpec>| -> Result<Option<Micros>> {
        match t {
            None => Ok(None),
            Some(TimeSpec::At(t)) => Ok(Some(*t)),
            Some(TimeSpec::Marker(l)) => markers
                .iter()
                .find(|(_, x)| x == l)
                .map(|(t, _)| Some(*t))
                .ok_or_else(|| cli::unknown_marker(l, &markers).in_file(&name)),
        }
    };
    let plan = Plan {
        from: resolve(&a.from)?,
        to: resolve(&a.to)?,
        limit: a.idle_time_limit.or(rdr.header().idle_time_limit()),
        pause_on_markers: a.pause_on_markers,
    };
    if let (Some(f), Some(t)) = (plan.from, plan.to)
        && t <= f
    {
        return Err(Error::msg(format!(
            "--to ({}) must be after --from ({})",
            time::seconds_string(t),
            time::seconds_string(f)
        )));
    }

    let tty_out = io::stdout().is_terminal();
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    let mut p = Playback {
        out: stdout_file(),
        keys: if tty_out { RawTerminal::open() } else { None },
        term: if tty_out { terminal_size() } else { None },
        quiet: a.quiet,
        warned_size: false,
        stop,
        clock: Clock {
            speed: a.speed,
            pos: 0,
            since: Instant::now(),
            paused: false,
        },
        vt: Vt::new(1, 1),
    };
    let result = (|| -> Result<()> {
        loop {
            match p.play(rdr, &plan)? {
                Ended::Quit => return Ok(()),
                Ended::End if !a.loop_ || p.stop.load(Ordering::Relaxed) => return Ok(()),
                Ended::End => {
                    rdr = input.open()?;
                    rdr.set_strict(a.strict);
                    rdr.set_emulated()?;
                }
            }
        }
    })();
    if tty_out {
        p.tidy();
    }
    // The terminal's settings come back before any message is printed.
    drop(p.keys.take());
    result.map(|_| cli::EXIT_OK).map_err(|e| match e.path {
        None if !e.is_broken_pipe() && !matches!(e.kind, crate::error::ErrorKind::Io(_)) => {
            e.in_file(&name)
        }
        _ => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(key_of(b' '), Some(Key::Pause));
        assert_eq!(key_of(b'.'), Some(Key::Step));
        assert_eq!(key_of(b']'), Some(Key::NextMarker));
        assert_eq!(key_of(b'q'), Some(Key::Quit));
        assert_eq!(key_of(3), Some(Key::Quit));
        assert_eq!(key_of(b'x'), None);
    }

    #[test]
    fn clock_pauses_and_scales() {
        let mut c = Clock {
            speed: 2.0,
            pos: 1_000_000,
            since: Instant::now(),
            paused: true,
        };
        assert_eq!(c.now(), 1_000_000);
        assert_eq!(c.until(5_000_000), None);
        c.toggle();
        let d = c.until(5_000_000).unwrap();
        assert!(
            d <= Duration::from_secs(2) && d > Duration::from_millis(1500),
            "{d:?}"
        );
        c.set(7_000_000);
        assert!(c.now() >= 7_000_000);
    }
}
