//! cast-play: play a recording in the terminal, as `asciinema play` does, with seeking.
//!
//! Events are read by a thread and handed over a bounded channel, so the keyboard is answered
//! at once even while a live pipe (`cast-rec ... | cast-play`) has nothing new to give. Keys are
//! read from the controlling terminal (`/dev/tty`), which is put in raw mode by the recorder's
//! guard ([`crate::rec::term::RawMode`]) for the length of the playback; it restores the
//! terminal on every way out: the end, `q`, an error, a closed pipe, a panic, and SIGTERM,
//! SIGHUP or SIGINT sent from elsewhere. On the way out the screen modes a recording may have
//! left on are turned off too: the alternate screen, a hidden cursor, colours, mouse reporting
//! and bracketed paste.
//!
//! Output time is the original time with each pause capped (`-i`, as in cast-idle: each gap on
//! its own), divided by the speed. Every jump (`--from`, the arrows, markers, `0`-`9`, a frame
//! back) goes through a terminal emulator ([`crate::vt`], the one cast-cut repaints its seams
//! with): the events up to the new moment are fed to it and the terminal gets one repaint of
//! the screen as it was then, so it shows exactly what the recording showed. A jump forward
//! feeds only the events in between; a jump back replays the recording into a fresh emulator
//! from the start (avt takes tens of megabytes a second). To jump back at all, the events read
//! so far are kept: output, resizes and markers, about the size of the recording's text.
//!
//! The status line (position, speed) and the key help are drawn over the recording's bottom
//! rows with the cursor saved and restored, and taken away by a repaint: before any output is
//! written under them and when they time out. They never scroll, so they never reach the
//! user's scrollback.
//!
//! When standard output is not a terminal the output is written with its timing and no keys
//! are read, so `cast-play demo.cast | tee log` or a test harness sees the raw stream.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::cli::ReadArgs;
use crate::cli::{self, Input};
use crate::error::{Error, Result};
use crate::event::{Code, EventRecord, parse_size};
use crate::read::Reader;
use crate::rec::pty::window_size;
use crate::rec::term::RawMode;
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
  right, left  5 seconds forward / back (with Shift: 30 seconds)
  ], [  the next / previous marker
  0-9  jump to 0%, 10%, ... 90% of the recording
  ., ,  pause and show the next / previous frame
  +, -  faster / slower (0.25x to 16x)
  ?  show the keys
  q  quit (also Ctrl-C)

Exit status:
  0  success (played to the end, or quit)
  2  an error (a bad option, an unreadable or malformed recording)";

/// The keys, as `?` shows them.
const HELP: &[&str] = &[
    "cast-play keys",
    "space      pause / resume",
    "<- ->      back / forward 5 s",
    "Shift <- ->  back / forward 30 s",
    "[ ]        previous / next marker",
    "0-9        jump to 0% ... 90%",
    ", .        previous / next frame",
    "- +        slower / faster",
    "q          quit",
    "(any key closes this)",
];

/// How long the status line stays after a key.
const STATUS_TIME: Duration = Duration::from_millis(1500);
/// Seek steps.
const SHORT_SEEK: Micros = 5_000_000;
const LONG_SEEK: Micros = 30_000_000;
/// Speed limits of `+` and `-`.
const MIN_SPEED: f64 = 0.25;
const MAX_SPEED: f64 = 16.0;

/// Play an asciicast recording in the terminal
///
/// Plays the recording with its timing: output and stderr (`e` events) are written to the
/// terminal as they were recorded. While it plays or is paused: space pauses and resumes, the
/// arrow keys seek 5 seconds (30 with Shift), `[` and `]` jump to the previous and next marker,
/// `0`-`9` to 0%-90%, `.` and `,` show the next and previous frame, `+` and `-` change the
/// speed, `?` shows the keys, `q` or Ctrl-C quits. Every jump repaints the screen as it was at
/// that moment. The terminal is restored however playback ends. A warning is printed when the
/// recording is larger than the terminal. When standard output is not a terminal, the output
/// is written with its timing and no keys are read.
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

    #[command(flatten)]
    pub read: ReadArgs,
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
                    // Only what changes the screen or can be jumped to is handed over.
                    let code = rec.code();
                    let keep = matches!(
                        code,
                        Code::Output | Code::Stderr | Code::Resize | Code::Marker
                    );
                    let data = if keep {
                        rec.data_str(&mut scratch).to_string()
                    } else {
                        String::new()
                    };
                    if tx.send(Msg::Event(rec.time(), code, data)).is_err() {
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

/// The controlling terminal, read for keys, in raw mode until dropped.
pub struct Keys {
    // Dropped first, so the settings come back while the terminal is still open.
    _raw: RawMode,
    tty: File,
}

impl Keys {
    /// Opens `/dev/tty` and puts it in raw mode. `None` when there is no terminal to read
    /// keys from.
    pub fn open() -> Option<Keys> {
        let tty = File::options().read(true).open("/dev/tty").ok()?;
        let (raw, _) = RawMode::enter(tty.as_fd()).ok()?;
        Some(Keys { _raw: raw, tty })
    }

    /// Waits up to `timeout` for keys; returns what was typed.
    fn read(&mut self, timeout: Duration) -> Vec<u8> {
        let ms = timeout.as_millis().min(u16::MAX as u128) as u16;
        let mut fds = [PollFd::new(self.tty.as_fd(), PollFlags::POLLIN)];
        let ready = matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
            && fds[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLIN));
        if !ready {
            return Vec::new();
        }
        let mut buf = [0u8; 64];
        match self.tty.read(&mut buf) {
            Ok(n) => buf[..n].to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

/// Writes all of `b` to `fd` unbuffered, as the recording's own writes were.
fn write_all(fd: BorrowedFd<'_>, mut b: &[u8]) -> io::Result<()> {
    while !b.is_empty() {
        match nix::unistd::write(fd, b) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => b = &b[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Pause,
    /// Move by this much on the timeline.
    Seek(Micros),
    NextMarker,
    PrevMarker,
    /// Jump to this many tenths of the recording.
    Tenth(u8),
    NextFrame,
    PrevFrame,
    Faster,
    Slower,
    Help,
    Quit,
    /// Anything else (it closes the help).
    Other,
}

/// The keys in what one read of the terminal returned: single bytes, and the arrows as
/// `ESC [ C` or `ESC O C` (application cursor mode), Shift as modifier 2 (`ESC [ 1 ; 2 C`).
fn parse_keys(b: &[u8]) -> Vec<Key> {
    let mut keys = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b && matches!(b.get(i + 1), Some(b'[' | b'O')) {
            let start = i + 2;
            let Some(len) = b[start..].iter().position(|c| (0x40..=0x7e).contains(c)) else {
                break;
            };
            let fin = start + len;
            let shift = b[start..fin].ends_with(b";2");
            let step = if shift { LONG_SEEK } else { SHORT_SEEK };
            keys.push(match b[fin] {
                b'C' => Key::Seek(step),
                b'D' => Key::Seek(-step),
                _ => Key::Other,
            });
            i = fin + 1;
            continue;
        }
        keys.push(match b[i] {
            b' ' => Key::Pause,
            b']' => Key::NextMarker,
            b'[' => Key::PrevMarker,
            c @ b'0'..=b'9' => Key::Tenth(c - b'0'),
            b'.' => Key::NextFrame,
            b',' => Key::PrevFrame,
            b'+' | b'=' => Key::Faster,
            b'-' | b'_' => Key::Slower,
            b'?' => Key::Help,
            b'q' | b'Q' | 0x03 | 0x04 => Key::Quit,
            _ => Key::Other,
        });
        i += 1;
    }
    keys
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

    fn pause(&mut self) {
        if !self.paused {
            self.toggle();
        }
    }

    /// Moves the position to `u` (a step or a jump), keeping the pause state.
    fn set(&mut self, u: Micros) {
        self.pos = u;
        self.since = Instant::now();
    }

    fn set_speed(&mut self, speed: f64) {
        self.pos = self.now();
        self.since = Instant::now();
        self.speed = speed;
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

/// The speed after `+` (faster) or `-`: doubled or halved, within 0.25x to 16x.
fn next_speed(speed: f64, faster: bool) -> f64 {
    if faster {
        if speed >= MAX_SPEED {
            speed
        } else {
            (speed * 2.0).min(MAX_SPEED)
        }
    } else if speed <= MIN_SPEED {
        speed
    } else {
        (speed / 2.0).max(MIN_SPEED)
    }
}

/// Settings of one playback.
struct Plan {
    from: Option<Micros>,
    to: Option<Micros>,
    limit: Option<Micros>,
    pause_on_markers: bool,
    /// The input may still grow (a pipe): never wait for its end to answer a key.
    live: bool,
}

/// How a pass over the recording ended.
enum Ended {
    End,
    Quit,
}

/// One event kept for playing and jumping: `u` on the idle-capped timeline, `t` the
/// recording's own time.
struct Ev {
    u: Micros,
    t: Micros,
    code: Code,
    data: String,
}

/// The events of one pass, read ahead of playback as the reading thread hands them over.
struct Events {
    rx: Option<Receiver<Msg>>,
    list: Vec<Ev>,
    /// No more events will come.
    done: bool,
    warnings: Vec<String>,
    error: Option<Error>,
    prev_t: Micros,
    u: Micros,
    limit: Option<Micros>,
    to: Option<Micros>,
    live: bool,
}

impl Events {
    fn new(rx: Receiver<Msg>, plan: &Plan) -> Events {
        Events {
            rx: Some(rx),
            list: Vec::new(),
            done: false,
            warnings: Vec::new(),
            error: None,
            prev_t: 0,
            u: 0,
            limit: plan.limit,
            to: plan.to,
            live: plan.live,
        }
    }

    fn take(&mut self, m: Msg) {
        match m {
            Msg::Event(t, code, data) => {
                if self.to.is_some_and(|to| t >= to) {
                    self.finish();
                    return;
                }
                let gap = t.saturating_sub(self.prev_t).max(0);
                self.prev_t = self.prev_t.max(t);
                self.u = self
                    .u
                    .saturating_add(self.limit.map_or(gap, |l| gap.min(l)));
                if matches!(
                    code,
                    Code::Output | Code::Stderr | Code::Resize | Code::Marker
                ) {
                    self.list.push(Ev {
                        u: self.u,
                        t,
                        code,
                        data,
                    });
                }
            }
            Msg::Warnings(w) => {
                self.warnings = w;
                self.finish();
            }
            Msg::Error(e) => {
                self.error = Some(e);
                self.finish();
            }
        }
    }

    fn finish(&mut self) {
        self.done = true;
        // The reading thread stops at its next send.
        self.rx = None;
    }

    /// Takes what the reader has ready, without waiting (a bounded amount, so keys are still
    /// answered while a fast reader keeps up).
    fn poll(&mut self) {
        for _ in 0..4096 {
            let Some(rx) = &self.rx else { return };
            match rx.try_recv() {
                Ok(m) => self.take(m),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => self.finish(),
            }
        }
    }

    /// Waits up to `wait` for one more message. False when none came.
    fn wait(&mut self, wait: Duration) -> bool {
        let Some(rx) = &self.rx else { return false };
        match rx.recv_timeout(wait) {
            Ok(m) => {
                self.take(m);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                self.finish();
                false
            }
        }
    }

    /// Reads on while `more` says the events so far are not enough: to the end of a file, or
    /// as far as a live pipe has got.
    fn read_while(&mut self, more: impl Fn(&[Ev]) -> bool) {
        while !self.done && more(&self.list) {
            let got = self.wait(Duration::from_millis(100));
            if !got && self.live {
                return;
            }
        }
    }

    /// The index of the first event after timeline position `u`.
    fn after(&self, u: Micros) -> usize {
        self.list.partition_point(|e| e.u <= u)
    }

    /// The end of the timeline as far as it is known.
    fn duration(&self) -> Micros {
        self.list.last().map_or(0, |e| e.u)
    }
}

/// Plays recordings to a terminal (or any output).
struct Playback {
    keys: Option<Keys>,
    term: Option<(u16, u16)>,
    quiet: bool,
    warned_size: bool,
    stop: Arc<AtomicBool>,
    clock: Clock,
    /// The screen after the events played so far.
    vt: Vt,
    /// The header's size, for replaying from the start.
    size: (u16, u16),
    /// Index of the next event to play.
    next: usize,
    /// When the status line was drawn, while it is on the screen.
    status: Option<Instant>,
    status_text: String,
    help: bool,
    /// The rows (1-based) the status line or help is drawn on.
    overlay_rows: Vec<usize>,
}

impl Playback {
    fn write(&mut self, s: &str) -> Result<()> {
        write_all(io::stdout().as_fd(), s.as_bytes())?;
        Ok(())
    }

    fn check_size(&mut self, cols: u16, rows: u16) {
        if let Some((tc, tr)) = self.term
            && (cols > tc || rows > tr)
            && !self.warned_size
            && !self.quiet
        {
            self.warned_size = true;
            // Raw mode does not turn a newline into CR LF: a warning on its own lines.
            cli::warn(format_args!(
                "the recording is {cols}x{rows} but the terminal is {tc}x{tr}: lines will wrap \
                 (make the terminal larger, or use a smaller font)\r"
            ));
        }
    }

    /// Reads keys for up to `wait` (a tenth of a second at most, so signals are noticed).
    fn wait_keys(&mut self, wait: Duration) -> Vec<Key> {
        let wait = wait.min(Duration::from_millis(100));
        if self.stop.load(Ordering::Relaxed) {
            return vec![Key::Quit];
        }
        match self.keys.as_mut() {
            Some(k) => parse_keys(&k.read(wait)),
            None => {
                std::thread::sleep(wait);
                Vec::new()
            }
        }
    }

    /// Applies one event to the emulator, and writes it unless `quiet`.
    fn apply(&mut self, e: &Ev, quiet: bool) -> Result<()> {
        match e.code {
            Code::Output | Code::Stderr => {
                if !quiet {
                    if !self.overlay_rows.is_empty() {
                        // Take the overlay away first, so output never scrolls it.
                        let status = self.status;
                        self.clear_overlay()?;
                        self.status = status;
                        self.vt.feed(&e.data);
                        self.write(&e.data)?;
                        if self.status.is_some() {
                            // The same text again: the timer is not restarted.
                            let text = self.status_text.clone();
                            self.overlay(std::slice::from_ref(&text))?;
                        }
                        return Ok(());
                    }
                    self.write(&e.data)?;
                }
                self.vt.feed(&e.data);
            }
            Code::Resize => {
                if let Some((c, r)) = parse_size(&e.data) {
                    self.vt.resize(c, r);
                    if !quiet {
                        self.check_size(c, r);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Makes the screen what it was after the first `k` events and moves the clock to `pos`:
    /// forward by feeding the events in between, back by replaying from the start; then one
    /// repaint.
    fn jump(&mut self, ev: &Events, k: usize, pos: Micros) -> Result<()> {
        let k = k.min(ev.list.len());
        if k < self.next {
            self.vt = Vt::new(self.size.0, self.size.1);
            self.next = 0;
        }
        for e in &ev.list[self.next..k] {
            self.apply(e, true)?;
        }
        self.next = k;
        let (c, r) = self.vt.size();
        self.check_size(c, r);
        self.clear_overlay()?;
        self.clock.set(pos.max(0));
        Ok(())
    }

    /// Jumps to timeline position `u` (clamped to the recording).
    fn seek(&mut self, ev: &mut Events, u: Micros) -> Result<()> {
        ev.read_while(|l| l.last().is_none_or(|e| e.u <= u));
        let u = u.clamp(0, ev.duration());
        let k = ev.after(u);
        self.jump(ev, k, u)
    }

    /// Handles one key. `Some` when it ends the pass.
    fn key(&mut self, ev: &mut Events, key: Key) -> Result<Option<Ended>> {
        if self.help && key != Key::Quit {
            // Any key closes the help, and does nothing else.
            self.clear_overlay()?;
            return Ok(None);
        }
        let pos = self.clock.now();
        match key {
            Key::Quit => return Ok(Some(Ended::Quit)),
            Key::Pause => self.clock.toggle(),
            Key::Seek(d) => self.seek(ev, pos.saturating_add(d))?,
            Key::Tenth(n) => {
                ev.read_while(|_| true);
                let u = ev.duration() / 10 * Micros::from(n);
                self.seek(ev, u)?;
            }
            Key::NextMarker => {
                ev.read_while(|l| !l.iter().any(|e| e.code == Code::Marker && e.u > pos));
                if let Some(m) = ev.list.iter().find(|e| e.code == Code::Marker && e.u > pos) {
                    let u = m.u;
                    self.seek(ev, u)?;
                }
            }
            Key::PrevMarker => {
                // Within a second of a marker, the one before it (as a player's "previous
                // chapter" does), so `]` then `[` goes back where it came from.
                let grace = (1e6 * self.clock.speed.max(1.0)) as Micros;
                let before = ev.list[..ev.after(pos)]
                    .iter()
                    .rev()
                    .find(|e| {
                        e.code == Code::Marker
                            && (e.u < pos.saturating_sub(grace) || (self.clock.paused && e.u < pos))
                    })
                    .map(|m| m.u);
                self.seek(ev, before.unwrap_or(0))?;
            }
            Key::NextFrame => {
                self.clock.pause();
                let next = self.next;
                ev.read_while(|l| !l[next..].iter().any(is_frame));
                if let Some(j) = ev.list[next..].iter().position(is_frame) {
                    let j = next + j;
                    for k in next..=j {
                        let e = &ev.list[k];
                        self.apply(e, false)?;
                    }
                    self.next = j + 1;
                    self.clock.set(ev.list[j].u);
                }
            }
            Key::PrevFrame => {
                self.clock.pause();
                // The frame on the screen is the last output played; show the one before it.
                if let Some(p) = ev.list[..self.next].iter().rposition(is_frame) {
                    let pos = if p == 0 { 0 } else { ev.list[p - 1].u };
                    self.jump(ev, p, pos)?;
                }
            }
            Key::Faster | Key::Slower => {
                let s = next_speed(self.clock.speed, key == Key::Faster);
                self.clock.set_speed(s);
            }
            Key::Help => {
                self.clock.pause();
                self.draw_help()?;
                return Ok(None);
            }
            Key::Other => return Ok(None),
        }
        self.draw_status(ev)?;
        Ok(None)
    }

    /// Draws the status line over the recording's bottom row: position, length, speed.
    fn draw_status(&mut self, ev: &Events) -> Result<()> {
        if self.keys.is_none() {
            return Ok(());
        }
        let pos = clock_short(self.clock.now());
        let mut text = format!(
            " {} {pos}",
            if self.clock.paused {
                "paused"
            } else {
                "playing"
            }
        );
        if ev.done {
            text.push_str(&format!(" / {}", clock_short(ev.duration())));
        }
        text.push_str(&format!("  {}x  (? keys) ", speed_str(self.clock.speed)));
        self.overlay(std::slice::from_ref(&text))?;
        self.status_text = text;
        self.status = Some(Instant::now());
        Ok(())
    }

    fn draw_help(&mut self) -> Result<()> {
        if self.keys.is_none() {
            return Ok(());
        }
        let lines: Vec<String> = HELP.iter().map(|l| format!(" {l:<36}")).collect();
        self.overlay(&lines)?;
        self.help = true;
        self.status = None;
        Ok(())
    }

    /// Draws `lines` in reverse video over the bottom rows of the recording's screen, with the
    /// cursor (and pen) saved and restored around them. Nothing scrolls: no line is longer
    /// than the screen is wide, and the cursor is only moved.
    fn overlay(&mut self, lines: &[String]) -> Result<()> {
        let (cols, rows) = self.vt.size();
        let (cols, rows) = match self.term {
            Some((tc, tr)) => (cols.min(tc), rows.min(tr)),
            None => (cols, rows),
        };
        let n = lines.len().min(rows as usize);
        let mut s = String::from("\x1b7");
        for (k, line) in lines[lines.len() - n..].iter().enumerate() {
            let row = rows as usize - n + k + 1;
            if !self.overlay_rows.contains(&row) {
                self.overlay_rows.push(row);
            }
            let text: String = line
                .chars()
                .take((cols as usize).saturating_sub(1))
                .collect();
            s.push_str(&format!("\x1b[{row};1H\x1b[0;7m{text}\x1b[0m"));
        }
        s.push_str("\x1b8");
        self.write(&s)
    }

    /// Takes the status line and help away, and repaints the screen as the recording has it.
    ///
    /// Their rows are blanked first with erase-in-line, which never touches the scrollback:
    /// some terminals (tmux, Windows Terminal) keep what a full-screen clear removes, and the
    /// repaint starts with one.
    fn clear_overlay(&mut self) -> Result<()> {
        let mut s = String::new();
        if !self.overlay_rows.is_empty() {
            s.push_str("\x1b7\x1b[0m");
            for row in self.overlay_rows.drain(..) {
                s.push_str(&format!("\x1b[{row};1H\x1b[2K"));
            }
            s.push_str("\x1b8");
        }
        s.push_str(&self.vt.repaint(true));
        self.write(&s)?;
        self.status = None;
        self.help = false;
        Ok(())
    }

    /// One pass over a recording.
    fn play(&mut self, rdr: Reader, plan: &Plan) -> Result<Ended> {
        let (cols, rows) = rdr.header().size();
        self.size = (cols, rows);
        self.vt = Vt::new(cols, rows);
        self.next = 0;
        self.check_size(cols, rows);
        let mut ev = Events::new(spawn_reader(rdr), plan);
        self.clock.set(0);
        if let Some(from) = plan.from {
            ev.read_while(|l| l.last().is_none_or(|e| e.t < from));
            let k = ev.list.partition_point(|e| e.t < from);
            let u = ev.list.get(k).map_or(ev.u, |e| e.u);
            self.jump(&ev, k, u)?;
        }
        let mut last_keys = Instant::now();
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(Ended::Quit);
            }
            ev.poll();
            if self.status.is_some_and(|at| at.elapsed() >= STATUS_TIME) {
                self.clear_overlay()?;
            }
            // How long until the next event is due (None: paused, or nothing to wait for).
            let due = match ev.list.get(self.next) {
                Some(e) => self.clock.until(e.u),
                None if !ev.done => {
                    // A live pipe with nothing new: wait for it, answering keys.
                    ev.wait(Duration::from_millis(50));
                    Some(Duration::from_millis(50))
                }
                None if self.clock.paused => None,
                None => break,
            };
            let wait = due.unwrap_or(Duration::from_millis(100));
            let wait = match self.status {
                Some(at) => wait.min(STATUS_TIME.saturating_sub(at.elapsed())),
                None => wait,
            };
            if !wait.is_zero() || last_keys.elapsed() >= Duration::from_millis(20) {
                last_keys = Instant::now();
                for k in self.wait_keys(wait) {
                    if let Some(end) = self.key(&mut ev, k)? {
                        return Ok(end);
                    }
                }
                continue;
            }
            let Some(e) = ev.list.get(self.next) else {
                continue;
            };
            if self.clock.until(e.u) != Some(Duration::ZERO) {
                continue;
            }
            let k = self.next;
            self.next += 1;
            let e = &ev.list[k];
            self.apply(e, false)?;
            if e.code == Code::Marker && plan.pause_on_markers {
                self.clock.pause();
                self.clock.set(e.u);
            }
        }
        if let Some(e) = ev.error.take() {
            return Err(e);
        }
        if !self.quiet {
            for w in &ev.warnings {
                cli::warn(format_args!("{w}\r"));
            }
        }
        Ok(Ended::End)
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
        let _ = self.write(&s);
    }
}

/// Whether an event changes what the screen shows (a frame).
fn is_frame(e: &Ev) -> bool {
    matches!(e.code, Code::Output | Code::Stderr)
}

/// `1:05.3`, `1:02:03.5`: a position for the status line.
fn clock_short(t: Micros) -> String {
    let t = t.max(0);
    let tenths = (t + 50_000) / 100_000;
    let (s, f) = (tenths / 10, tenths % 10);
    if s >= 3600 {
        format!("{}:{:02}:{:02}.{f}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}.{f}", s / 60, s % 60)
    }
}

fn speed_str(s: f64) -> String {
    let t = format!("{s:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
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
    rdr.set_strict(a.read.strict);
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
        live: input == Input::Stdin && !std::fs::metadata("/dev/stdin").is_ok_and(|m| m.is_file()),
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
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        let _ = signal_hook::flag::register(sig, stop.clone());
    }
    let mut p = Playback {
        keys: if tty_out { Keys::open() } else { None },
        term: if tty_out {
            window_size(io::stdout().as_fd())
        } else {
            None
        },
        quiet: a.read.quiet,
        warned_size: false,
        stop,
        clock: Clock {
            speed: a.speed,
            pos: 0,
            since: Instant::now(),
            paused: false,
        },
        vt: Vt::new(1, 1),
        size: (1, 1),
        next: 0,
        status: None,
        status_text: String::new(),
        help: false,
        overlay_rows: Vec::new(),
    };
    let result = (|| -> Result<()> {
        loop {
            match p.play(rdr, &plan)? {
                Ended::Quit => return Ok(()),
                Ended::End if !a.loop_ || p.stop.load(Ordering::Relaxed) => return Ok(()),
                Ended::End => {
                    rdr = input.open()?;
                    rdr.set_strict(a.read.strict);
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
        assert_eq!(
            parse_keys(b" ]q\x03x[.,+-?7"),
            [
                Key::Pause,
                Key::NextMarker,
                Key::Quit,
                Key::Quit,
                Key::Other,
                Key::PrevMarker,
                Key::NextFrame,
                Key::PrevFrame,
                Key::Faster,
                Key::Slower,
                Key::Help,
                Key::Tenth(7)
            ]
        );
        // Arrows, in normal and application cursor mode, and with Shift.
        assert_eq!(
            parse_keys(b"\x1b[C\x1b[D\x1bOC\x1b[1;2C\x1b[1;2D\x1b[A"),
            [
                Key::Seek(5_000_000),
                Key::Seek(-5_000_000),
                Key::Seek(5_000_000),
                Key::Seek(30_000_000),
                Key::Seek(-30_000_000),
                Key::Other
            ]
        );
        // A sequence cut off at the end of the read is dropped, not misread.
        assert_eq!(parse_keys(b"\x1b[1;"), []);
    }

    #[test]
    fn speeds_double_and_halve_within_limits() {
        assert_eq!(next_speed(1.0, true), 2.0);
        assert_eq!(next_speed(12.0, true), 16.0);
        assert_eq!(next_speed(16.0, true), 16.0);
        assert_eq!(next_speed(100.0, true), 100.0);
        assert_eq!(next_speed(0.5, false), 0.25);
        assert_eq!(next_speed(0.3, false), 0.25);
        assert_eq!(next_speed(0.1, false), 0.1);
        assert_eq!(speed_str(0.25), "0.25");
        assert_eq!(speed_str(2.0), "2");
        assert_eq!(clock_short(65_349_999), "1:05.3");
        assert_eq!(clock_short(3_723_500_000), "1:02:03.5");
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
