//! cast-to-txt: a text transcript of a recording, one file or thousands.
//!
//! The default transcript is what a person would have seen scroll past. Output is rendered by
//! a real terminal emulator (asciinema's own `avt`, in the version asciinema 3.2 converts
//! with), and every line is written out when it leaves the screen: when it scrolls off the
//! top, when the screen is cleared, or at the end, where the final screen follows.
//! Soft-wrapped rows are joined into one line and trailing blanks are trimmed, so for
//! recordings that never clear the screen nor use the alternate screen the result is line for
//! line what `asciinema convert -f txt` writes.
//!
//! Where asciinema loses text, this keeps it:
//! - a clear (`ED 2`, which `clear` and Ctrl-L send; `ED 0` from the home position, which
//!   `clear` sends under screen and tmux) or a hard reset (`RIS`) first writes out what the
//!   screen held;
//! - full-screen programs (vim, less, htop) draw on the alternate screen, which never
//!   scrolls into history. With `--alt-screen snapshot` (the default) the alternate screen is
//!   written out as it looked when the program left it, once per visit, between two marker
//!   lines, placed after the lines that were above the cursor when the program started.
//!
//! Every parsed operation is looked at before the emulator runs it, so the screen can be
//! copied while it still holds what a clear, a reset or a screen switch would destroy
//! ([`render`] has the details, and why the emulator runs on a thread of its own).
//!
//! `--raw` runs no emulator: it removes escape sequences and turns CRLF into LF, nothing
//! else, and costs little more than reading the recording. `--screen` and `--at T` write
//! only the screen at the end or at a time (`marker:LABEL` is found in the same pass).

pub mod lines;
pub mod raw;
pub mod render;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use clap::{CommandFactory, Parser, ValueEnum};
use rayon::prelude::*;

pub use raw::RawText;
pub use render::{Item, Render, Transcript};

use crate::background::BehindWriter;
use crate::cli::ReadArgs;
use crate::cli::walk::{Found, WalkArgs};
use crate::cli::{self, Input, Sink, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::event::{self, Code, EventRecord};
use crate::read::Reader;
use crate::time::{self, Micros, TimeSpec};

const EXAMPLES: &str = "\
Examples:
  cast-to-txt demo.cast                        the transcript, on standard output
  cast-to-txt demo.cast -o demo.txt            the same, written atomically
  cast-to-txt --timestamps demo.cast           each line with the time it appeared
  cast-to-txt --raw big.cast | grep -i error   fast: escapes removed, no emulation
  cast-to-txt --at 1:30 demo.cast              the screen a minute and a half in
  cast-to-txt --at marker:deploy demo.cast     the screen at the marker 'deploy'
  cast-to-txt -d txt/ *.cast                   one txt/NAME.txt per recording, in parallel
  cast-to-txt -r recordings/ -d txt/           every .cast under a folder, tree mirrored

Exit status:
  0  success
  2  an error (a bad option, an unreadable or malformed recording); with several
     recordings the others are still converted";

/// Write a recording as plain text: what scrolled past, the screen, or the raw stream
///
/// By default the recording is played through a terminal emulator and every line is written
/// when it leaves the screen (scrolled off or cleared) and the final screen follows; wrapped
/// lines are joined and trailing blanks trimmed. Text before a clear is kept, and full-screen
/// programs are kept as a snapshot of their last screen. Output without clears and full-screen
/// programs matches `asciinema convert -f txt` line for line.
#[derive(Debug, Parser)]
#[command(name = "cast-to-txt", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Recordings to read (v1, v2 or v3); with -r, also directories, whose recordings get
    /// their .txt beside them, or under OUTDIR in the same tree with -d. With none, or `-`,
    /// standard input is read
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Write to FILE instead of standard output (a temporary file beside it, renamed on success)
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        conflicts_with = "out_dir"
    )]
    pub output: Option<PathBuf>,

    /// Convert every recording into OUTDIR/NAME.txt, in parallel
    #[arg(short = 'd', long = "out-dir", value_name = "OUTDIR")]
    pub out_dir: Option<PathBuf>,

    #[command(flatten)]
    pub walk: WalkArgs,

    /// Full-screen programs (vim, less, htop): `snapshot` writes their last screen once per
    /// visit between marker lines; `skip` leaves them out
    #[arg(long, value_enum, value_name = "MODE", default_value_t = AltScreen::Snapshot)]
    pub alt_screen: AltScreen,

    /// No terminal emulation: the output stream with escape sequences removed and CRLF turned
    /// into LF (fast, for logs)
    #[arg(long, conflicts_with_all = ["screen", "at"])]
    pub raw: bool,

    /// Only the final screen
    #[arg(long)]
    pub screen: bool,

    /// Only the screen at time T (SECONDS, M:SS, H:MM:SS or marker:LABEL)
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub at: Option<TimeSpec>,

    /// Prefix each line with the time it appeared, as [H:MM:SS.mmm]
    ///
    /// With microseconds ([H:MM:SS.mmmmmm]) when the time is not a whole millisecond: the time
    /// is exact, so --at with it shows the screen with that line.
    #[arg(long)]
    pub timestamps: bool,

    /// What to do with stderr (`e`) events: merge them in order, leave them out, or keep only them
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = StderrMode::Include)]
    pub stderr: StderrMode,

    #[command(flatten)]
    pub read: ReadArgs,
}

/// What to do with the alternate screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AltScreen {
    Snapshot,
    Skip,
}

/// Which output events to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StderrMode {
    Include,
    Exclude,
    Only,
}

impl StderrMode {
    /// True when events with this code are rendered.
    pub fn renders(self, code: Code) -> bool {
        match code {
            Code::Output => self != StderrMode::Only,
            Code::Stderr => self != StderrMode::Exclude,
            _ => false,
        }
    }
}

/// What to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Every line as it leaves the screen, then the final screen.
    Transcript,
    /// Only the screen at the end, or at a time.
    Screen(Option<TimeSpec>),
    /// The stream without escape sequences, no emulation.
    Raw,
}

/// How to convert a recording.
#[derive(Debug, Clone)]
pub struct Options {
    pub mode: Mode,
    pub alt_screen: AltScreen,
    pub timestamps: bool,
    pub stderr: StderrMode,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mode: Mode::Transcript,
            alt_screen: AltScreen::Snapshot,
            timestamps: false,
            stderr: StderrMode::Include,
        }
    }
}

/// The largest screen emulated: a header or resize asking for more is clamped, so a
/// corrupt size cannot exhaust memory.
pub const MAX_COLS: u16 = 1000;
pub const MAX_ROWS: u16 = 1000;

/// The lines written around an alternate-screen snapshot.
pub const ALT_BEGIN: &str = "--- alternate screen ---";
pub const ALT_END: &str = "--- end of alternate screen ---";

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let opts = Options {
        mode: if a.raw {
            Mode::Raw
        } else if a.screen || a.at.is_some() {
            Mode::Screen(a.at.clone())
        } else {
            Mode::Transcript
        },
        alt_screen: a.alt_screen,
        timestamps: a.timestamps,
        stderr: a.stderr,
    };
    if a.out_dir.is_some() || a.walk.recursive {
        return run_batch(&a, &opts);
    }
    let inputs = Input::list(&a.files);
    if inputs.len() > 1 {
        return Err(Error::msg(
            "several FILEs need -d/--out-dir OUTDIR (one .txt per recording)",
        ));
    }
    let target = match &a.output {
        Some(p) => Target::File(p.clone()),
        None => Target::Stdout,
    };
    convert_one(&inputs[0], &target, &a, &opts)?;
    Ok(cli::EXIT_OK)
}

/// Converts one input into one target, atomically for a file.
fn convert_one(input: &Input, target: &Target, a: &Args, opts: &Options) -> Result<()> {
    if let (Target::Stdout, Input::File(p)) = (target, input) {
        cli::output::check_not_stdout(p)?;
    }
    let mut rdr = input.open()?;
    rdr.set_strict(a.read.strict);
    rdr.set_emulated()?;
    let sink = Sink::create(target)?;
    let live = matches!(target, Target::Stdout) && io::stdout().is_terminal();
    // Long output is written on a thread of its own, as the filters' is.
    let mut out = BehindWriter::new(sink.writer()?);
    let result = match opts.mode {
        Mode::Transcript => convert_threaded(&mut rdr, opts, &mut out, live),
        Mode::Raw => convert_raw_threaded(&mut rdr, opts, &mut out, live),
        Mode::Screen(_) => convert(&mut rdr, opts, &mut out, live),
    };
    let result = result.and_then(|()| out.finish().map_err(Error::from));
    result.map_err(|e| blame(e, &input.name(), &sink.name()))?;
    cli::report_warnings(&mut rdr, a.read.quiet);
    sink.commit()
}

/// A bare io error is a write error: it names the output. Anything else is about the input.
fn blame(e: Error, input: &Path, output: &Path) -> Error {
    match (&e.kind, &e.path) {
        (ErrorKind::Io(_), None) => e.in_file(output),
        _ => e.in_file(input),
    }
}

/// Writes the text of the recording `rdr` reads to `out`, as `opts` asks, on this thread.
/// Output is written in large blocks, and flushed whenever the next read might block (so
/// `cast-rec | cast-to-txt` keeps flowing) or, with `live`, after every event. Read errors
/// name the input and line; a bare io error is a write error.
pub fn convert(rdr: &mut Reader, opts: &Options, out: &mut dyn Write, live: bool) -> Result<()> {
    guard_emulator(|| convert_here(rdr, opts, out, live))
}

fn convert_here(rdr: &mut Reader, opts: &Options, out: &mut dyn Write, live: bool) -> Result<()> {
    let (cols, rows) = rdr.header().size();
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    let mut text = Vec::with_capacity(BLOCK);
    match &opts.mode {
        Mode::Raw => {
            let mut raw = RawText::new(opts.timestamps);
            let mut feed = |t: Micros, token: &[u8], text: &mut Vec<u8>, out: &mut dyn Write| {
                let inner = &token[1..token.len() - 1];
                let mut i = 0;
                while i < inner.len() {
                    let end = event::piece_end(inner, i, event::PIECE);
                    raw.feed_json(t, &inner[i..end], text, &mut scratch);
                    drain(text, out, false)?;
                    i = end;
                }
                Ok::<(), Error>(())
            };
            loop {
                // Plain lines are fed from the reader's buffer, without the copy into a record.
                if let Some(ev) = rdr.read_borrowed() {
                    if opts.stderr.renders(ev.code()) {
                        feed(ev.time(), ev.data_json(), &mut text, out)?;
                    }
                } else if rdr.read_event(&mut rec)? {
                    if opts.stderr.renders(rec.code()) {
                        feed(rec.time(), rec.data_json(), &mut text, out)?;
                    }
                } else {
                    break;
                }
                drain(&mut text, out, live || rdr.needs_refill())?;
            }
            raw.finish(&mut text);
        }
        Mode::Transcript => {
            let mut r = Render::new(cols, rows, opts);
            while rdr.read_event(&mut rec)? {
                if opts.stderr.renders(rec.code()) {
                    let t = rec.time();
                    rec.data_pieces(&mut scratch, event::PIECE, |p| {
                        r.output(t, p);
                        r.take_text(&mut text);
                        drain(&mut text, out, false)
                    })?;
                } else {
                    r.event(&rec, &mut scratch, opts.stderr);
                }
                r.take_text(&mut text);
                drain(&mut text, out, live || rdr.needs_refill())?;
            }
            r.finish();
            r.take_text(&mut text);
        }
        Mode::Screen(at) => {
            let mut r = Render::new(cols, rows, opts);
            let mut stop: Option<Micros> = at.as_ref().and_then(TimeSpec::micros);
            let label = match at {
                Some(TimeSpec::Marker(l)) => Some(l.as_str()),
                _ => None,
            };
            let mut markers: Vec<(Micros, String)> = Vec::new();
            while rdr.read_event(&mut rec)? {
                if stop.is_some_and(|s| rec.time() > s) {
                    break;
                }
                if let Some(l) = label
                    && stop.is_none()
                    && rec.code() == Code::Marker
                {
                    let m = rec.data_str(&mut scratch);
                    if m == l {
                        stop = Some(rec.time());
                    } else {
                        markers.push((rec.time(), m.to_string()));
                    }
                }
                r.event(&rec, &mut scratch, opts.stderr);
            }
            if let Some(l) = label
                && stop.is_none()
            {
                return Err(cli::unknown_marker(l, &markers));
            }
            r.screen(&mut text);
        }
    }
    drain(&mut text, out, true)?;
    Ok(())
}

/// Runs `f`, turning a panic inside the terminal emulator into an error (the emulator is
/// another crate; a sequence it cannot handle must not take the program down).
pub(crate) fn guard_emulator<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    quiet_emulator_panics();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|p| Err(panic_error(p)))
}

fn panic_error(p: Box<dyn std::any::Any + Send>) -> Error {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown error".into());
    Error::msg(format!("the terminal emulator failed: {what}"))
}

/// Keeps the default panic message for our own bugs, but not for the emulator's, which
/// are reported as errors.
fn quiet_emulator_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_avt = info.location().is_some_and(|l| l.file().contains("/avt-"));
            if !in_avt {
                default(info);
            }
        }));
    });
}

/// Events read ahead for the emulator thread: the text of output events, back to back.
#[derive(Default)]
struct Batch {
    data: String,
    events: Vec<(Micros, Ev)>,
    /// Write the text out after this batch (the input may stall).
    flush: bool,
    /// The recording ended after this batch.
    end: bool,
}

enum Ev {
    /// Output ending at this offset of `data`.
    Output(usize),
    Resize(u16, u16),
}

/// Output bytes per batch.
const BATCH_BYTES: usize = 128 * 1024;

/// [`convert`] for the default transcript, on three threads: this one reads and decodes
/// events, one runs the emulator, one writes text. The emulator is the slowest stage; the
/// other two run beside it. Channels are bounded, so memory stays constant.
pub fn convert_threaded(
    rdr: &mut Reader,
    opts: &Options,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<()> {
    quiet_emulator_panics();
    keep_freed_memory();
    let (cols, rows) = rdr.header().size();
    let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(4);
    let (item_tx, item_rx) = mpsc::sync_channel::<Vec<Item>>(4);
    let (back_tx, back_rx) = mpsc::channel::<Vec<Item>>();
    std::thread::scope(|s| {
        let emulator = std::thread::Builder::new()
            .name("emulator".into())
            .spawn_scoped(s, move || {
                let mut r = Render::queued(cols, rows, opts, item_tx, back_rx);
                for batch in batch_rx {
                    let mut start = 0;
                    for (t, ev) in &batch.events {
                        match *ev {
                            Ev::Output(end) => {
                                r.output(*t, &batch.data[start..end]);
                                start = end;
                            }
                            Ev::Resize(c, rw) => r.resize(*t, c, rw),
                        }
                    }
                    if batch.end {
                        r.finish();
                        return;
                    }
                    if batch.flush {
                        r.flush();
                    }
                    if !r.send() {
                        return;
                    }
                }
            });
        let writer = std::thread::Builder::new()
            .name("writer".into())
            .spawn_scoped(s, move || -> Result<()> {
                let mut t = Transcript::new(opts.timestamps);
                for items in item_rx {
                    for item in &items {
                        match item {
                            Item::Flush => drain(t.text(), out, true)?,
                            Item::End => {
                                t.apply(item);
                                return drain(t.text(), out, true);
                            }
                            item => t.apply(item),
                        }
                    }
                    // Freed by the emulator's thread, if it is still there.
                    let _ = back_tx.send(items);
                    drain(t.text(), out, false)?;
                }
                Ok(())
            });
        let (emulator, writer) = match (emulator, writer) {
            (Ok(e), Ok(w)) => (e, w),
            (Err(e), _) | (_, Err(e)) => {
                // Ends whichever thread did start (its input closes).
                drop(batch_tx);
                return Err(Error::msg(format!("cannot start a thread: {e}")));
            }
        };
        let read = read_batches(rdr, opts.stderr, live, &batch_tx);
        drop(batch_tx);
        let emulated = emulator.join();
        let written = writer.join();
        read?;
        match written {
            Ok(r) => r?,
            Err(p) => std::panic::resume_unwind(p),
        }
        emulated.map_err(panic_error)
    })
}

/// Events read ahead for the `--raw` converter's thread: the insides of their data tokens
/// (undecoded JSON), back to back.
#[derive(Default)]
struct RawBatch {
    json: Vec<u8>,
    /// Each piece's time and where it ends in `json`. A piece splits no escape and no
    /// character (see [`event::piece_end`]); an event longer than [`event::PIECE`] comes in
    /// several.
    ends: Vec<(Micros, usize)>,
    /// Write the text out after this batch (the input may stall).
    flush: bool,
    /// The recording ended after this batch.
    end: bool,
}

impl RawBatch {
    fn clear(&mut self) {
        self.json.clear();
        self.ends.clear();
        self.flush = false;
        self.end = false;
    }
}

/// Undecoded bytes per `--raw` batch.
const RAW_BATCH_BYTES: usize = 256 * 1024;

/// [`convert`] for `--raw`, on two threads: this one reads and checks the recording and
/// copies the output events' data tokens into batches; the other makes the text and writes
/// it. Reading and making the text cost about the same, so each takes a core. With
/// `RawText`'s fast loop for plain stretches, this took cast-to-txt --raw on bench/run.sh's
/// 228 MiB typing-heavy file from 0.420 s to 0.272 s (3.11x to 2.02x cat's time), and on its
/// corpus-like file from 0.340 s to 0.264 s (2.64x to 2.05x), interleaved runs, median of
/// nine; the threads alone gave 0.316 s and 0.319 s. The CPU time stays about the same. The text is
/// [`convert`]'s, byte for byte (a unit test compares them). Channels are bounded and the
/// batches go back to be filled again, so memory stays constant.
pub fn convert_raw_threaded(
    rdr: &mut Reader,
    opts: &Options,
    out: &mut (dyn Write + Send),
    live: bool,
) -> Result<()> {
    let (batch_tx, batch_rx) = mpsc::sync_channel::<RawBatch>(4);
    let (back_tx, back_rx) = mpsc::channel::<RawBatch>();
    std::thread::scope(|s| {
        let converter = std::thread::Builder::new()
            .name("raw-text".into())
            .spawn_scoped(s, move || -> Result<()> {
                let mut raw = RawText::new(opts.timestamps);
                let (mut text, mut scratch) = (Vec::with_capacity(BLOCK), String::new());
                for batch in batch_rx {
                    let mut start = 0;
                    for &(t, end) in &batch.ends {
                        raw.feed_json(t, &batch.json[start..end], &mut text, &mut scratch);
                        drain(&mut text, out, false)?;
                        start = end;
                    }
                    if batch.end {
                        raw.finish(&mut text);
                        return drain(&mut text, out, true);
                    }
                    drain(&mut text, out, batch.flush)?;
                    // Filled again by the reading thread, if it is still there.
                    let _ = back_tx.send(batch);
                }
                // The reading stopped at an error, which it reports.
                Ok(())
            });
        let converter = match converter {
            Ok(c) => c,
            Err(e) => return Err(Error::msg(format!("cannot start a thread: {e}"))),
        };
        let read = read_raw_batches(rdr, opts.stderr, live, &batch_tx, &back_rx);
        drop(batch_tx);
        let converted = converter.join();
        read?;
        match converted {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    })
}

/// Reads events into batches for the `--raw` converter. Stops quietly when the converter is
/// gone (its output failed or was closed: its own error says which).
fn read_raw_batches(
    rdr: &mut Reader,
    stderr: StderrMode,
    live: bool,
    tx: &mpsc::SyncSender<RawBatch>,
    back: &mpsc::Receiver<RawBatch>,
) -> Result<()> {
    let mut rec = EventRecord::default();
    let fresh = |back: &mpsc::Receiver<RawBatch>| {
        back.try_recv().map_or_else(
            |_| RawBatch {
                json: Vec::with_capacity(RAW_BATCH_BYTES + 64 * 1024),
                ..RawBatch::default()
            },
            |mut b| {
                b.clear();
                b
            },
        )
    };
    let mut batch = fresh(back);
    // Appends one event's data; false when the converter is gone.
    let push = |batch: &mut RawBatch, t: Micros, token: &[u8]| -> bool {
        let inner = &token[1..token.len() - 1];
        if inner.len() <= event::PIECE {
            match inner.len() {
                0 => return true,
                // A typed key: a call to copy one byte costs more than the copy.
                1 => batch.json.push(inner[0]),
                _ => batch.json.extend_from_slice(inner),
            }
            batch.ends.push((t, batch.json.len()));
            return true;
        }
        // A huge event goes over in batches too.
        let mut i = 0;
        while i < inner.len() {
            let end = event::piece_end(inner, i, event::PIECE);
            batch.json.extend_from_slice(&inner[i..end]);
            batch.ends.push((t, batch.json.len()));
            i = end;
            if batch.json.len() >= RAW_BATCH_BYTES {
                let full = std::mem::replace(batch, fresh(back));
                if tx.send(full).is_err() {
                    return false;
                }
            }
        }
        true
    };
    loop {
        // Plain lines are copied from the reader's buffer, without the copy into a record.
        let sent = if let Some(ev) = rdr.read_borrowed() {
            !stderr.renders(ev.code()) || push(&mut batch, ev.time(), ev.data_json())
        } else {
            match rdr.read_event(&mut rec) {
                Ok(true) => {
                    !stderr.renders(rec.code()) || push(&mut batch, rec.time(), rec.data_json())
                }
                Ok(false) => break,
                Err(e) => {
                    // The text of the events before the bad line goes out as `convert` lets it
                    // (whole blocks of it, no end).
                    let _ = tx.send(batch);
                    return Err(e);
                }
            }
        };
        if !sent {
            return Ok(());
        }
        let refill = live || rdr.needs_refill();
        if refill || batch.json.len() >= RAW_BATCH_BYTES || batch.ends.len() >= 16 * 1024 {
            batch.flush = refill;
            if tx.send(std::mem::replace(&mut batch, fresh(back))).is_err() {
                return Ok(());
            }
        }
    }
    batch.end = true;
    let _ = tx.send(batch);
    Ok(())
}

/// Buffers move between threads here, and glibc's defaults hand memory back to the system
/// as soon as it is free and map large buffers afresh each time: with them, 50 MB of output
/// cost 60,000 page faults. Higher thresholds keep the memory for the next batch.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tuning parameters.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// Reads events into batches for the emulator thread. Stops quietly when the emulator is
/// gone (it failed, or the output was closed: its own error says which).
fn read_batches(
    rdr: &mut Reader,
    stderr: StderrMode,
    live: bool,
    tx: &mpsc::SyncSender<Batch>,
) -> Result<()> {
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    let mut batch = Batch::default();
    while rdr.read_event(&mut rec)? {
        let code = rec.code();
        if stderr.renders(code) {
            let t = rec.time();
            let sent: Result<(), ()> = rec.data_pieces(&mut scratch, event::PIECE, |p| {
                batch.data.push_str(p);
                batch.events.push((t, Ev::Output(batch.data.len())));
                // A huge event goes to the emulator in batches too.
                if batch.data.len() >= BATCH_BYTES {
                    tx.send(std::mem::take(&mut batch)).map_err(|_| ())?;
                }
                Ok(())
            });
            if sent.is_err() {
                return Ok(());
            }
        } else if code == Code::Resize
            && let Some((c, r)) = event::parse_size(rec.data_str(&mut scratch))
        {
            batch.events.push((rec.time(), Ev::Resize(c, r)));
        }
        let refill = live || rdr.needs_refill();
        if refill || batch.data.len() >= BATCH_BYTES || batch.events.len() >= 4096 {
            batch.flush = refill;
            if tx.send(std::mem::take(&mut batch)).is_err() {
                return Ok(());
            }
        }
    }
    batch.end = true;
    let _ = tx.send(batch);
    Ok(())
}

const BLOCK: usize = 64 * 1024;

/// Writes `text` out when it has grown to a block, or always with `flush`.
fn drain(text: &mut Vec<u8>, out: &mut dyn Write, flush: bool) -> Result<()> {
    if text.len() >= BLOCK || (flush && !text.is_empty()) {
        out.write_all(text)?;
        text.clear();
        if flush {
            out.flush()?;
        }
    }
    Ok(())
}

/// Appends one output line, with its time prefix when asked.
pub(crate) fn put_line(out: &mut Vec<u8>, timestamps: bool, t: Micros, text: &str) {
    if timestamps {
        out.push(b'[');
        out.extend_from_slice(time::clock(t).as_bytes());
        out.extend_from_slice(b"] ");
    }
    out.extend_from_slice(text.as_bytes());
    out.push(b'\n');
}

// ---------------------------------------------------------------------------------------------
// Batch

/// One recording of a batch and where its text goes.
struct Job {
    input: PathBuf,
    output: PathBuf,
}

/// Lists the jobs, in argument order: FILE arguments into OUTDIR/NAME.txt, and with -r the
/// recordings under each directory among them (see `cli::walk`) into the same relative place
/// under OUTDIR (or beside them without -d). A directory that cannot be read is an error.
fn jobs(a: &Args) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    if a.files.is_empty() && !a.walk.recursive {
        return Ok(jobs);
    }
    for found in a.walk.expand(&a.files)? {
        let (input, root) = match found {
            Found::Input {
                input: Input::File(p),
                root,
            } => (p, root),
            Found::Input { .. } => {
                return Err(Error::msg(
                    "-d/--out-dir and -r/--recursive need FILE arguments (not standard input)",
                ));
            }
            Found::Error(e) => return Err(e),
        };
        let output = match (root, &a.out_dir) {
            (Some(root), Some(dir)) => {
                let rel = input.strip_prefix(&root).unwrap_or(&input);
                dir.join(rel).with_file_name(txt_name(&input))
            }
            (Some(_), None) => input.with_file_name(txt_name(&input)),
            (None, Some(dir)) => dir.join(txt_name(&input)),
            (None, None) => {
                return Err(Error::msg(
                    "FILE arguments that are not directories need -d/--out-dir OUTDIR",
                ));
            }
        };
        jobs.push(Job { input, output });
    }
    Ok(jobs)
}

/// `a/demo.cast` -> `demo.txt`, `old.json` -> `old.txt`, `demo.cast.gz` -> `demo.txt`; any
/// other name gets `.txt` appended.
fn txt_name(p: &Path) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    let name = p.file_name().unwrap_or(p.as_os_str()).as_bytes();
    let unpacked = name
        .strip_suffix(b".gz")
        .or_else(|| name.strip_suffix(b".zst"))
        .filter(|n| n.ends_with(b".cast") || n.ends_with(b".json"));
    let name = unpacked.unwrap_or(name);
    let stem = name
        .strip_suffix(b".cast")
        .or_else(|| name.strip_suffix(b".json"))
        .unwrap_or(name);
    let mut out = std::ffi::OsStr::from_bytes(stem).to_os_string();
    out.push(".txt");
    out
}

/// Converts many recordings in parallel; each bad one is reported, in argument order, and
/// the rest still convert.
fn run_batch(a: &Args, opts: &Options) -> Result<u8> {
    let jobs = jobs(a)?;
    if let Some(dir) = &a.out_dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).in_file(dir))?;
    }
    let total_bytes: u64 = jobs
        .iter()
        .filter_map(|j| std::fs::metadata(&j.input).ok())
        .map(|m| m.len())
        .sum();
    let show = !a.read.quiet
        && io::stderr().is_terminal()
        && (jobs.len() >= PROGRESS_FILES || total_bytes >= PROGRESS_BYTES);
    let bar = if show {
        let bar = indicatif::ProgressBar::new(jobs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] {pos}/{len} recordings, {elapsed} ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(cli::prog().to_string());
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    // Two inputs must not write the same file: the second is an error.
    let mut seen = std::collections::HashMap::new();
    let clash: Vec<Option<usize>> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| {
            let key = std::path::absolute(&j.output).unwrap_or_else(|_| j.output.clone());
            match seen.get(&key) {
                Some(&first) => Some(first),
                None => {
                    seen.insert(key, i);
                    None
                }
            }
        })
        .collect();

    let broken = AtomicBool::new(false);
    let results: Vec<(Result<()>, Vec<String>)> = a.walk.install(|| {
        jobs.par_iter()
            .zip(clash.par_iter())
            .map(|(job, clash)| {
                if broken.load(Ordering::Relaxed) {
                    return (Ok(()), Vec::new());
                }
                let r = match clash {
                    Some(first) => Err(Error::msg(format!(
                        "would write {} again (already written for {})",
                        job.output.display(),
                        jobs[*first].input.display()
                    ))
                    .in_file(&job.input)),
                    None => convert_file(job, a, opts),
                };
                bar.inc(1);
                match r {
                    Ok(warnings) => (Ok(()), warnings),
                    Err(e) => (Err(e), Vec::new()),
                }
            })
            .collect()
    })?;
    bar.finish_and_clear();

    let mut status = cli::EXIT_OK;
    for (r, warnings) in results {
        for w in warnings {
            if !a.read.quiet {
                cli::warn(w);
            }
        }
        if let Err(e) = r {
            cli::error(&e);
            status = cli::EXIT_ERROR;
        }
    }
    Ok(status)
}

const PROGRESS_FILES: usize = 16;
const PROGRESS_BYTES: u64 = 64 << 20;

/// Converts one file of a batch; returns its warnings (each naming the file).
fn convert_file(job: &Job, a: &Args, opts: &Options) -> Result<Vec<String>> {
    let input = Input::File(job.input.clone());
    let mut rdr = input.open()?;
    rdr.set_strict(a.read.strict);
    rdr.set_emulated()?;
    if let Some(parent) = job.output.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| Error::from(e).in_file(parent))?;
    }
    let target = Target::File(job.output.clone());
    let sink = Sink::create(&target)?;
    let mut out = sink.writer()?;
    convert(&mut rdr, opts, &mut out, false).map_err(|e| blame(e, &job.input, &sink.name()))?;
    sink.commit()?;
    Ok(rdr
        .take_warnings()
        .into_iter()
        .map(|w| format!("{}: {w}", job.input.display()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_text_of_plain_and_bent_lines_is_the_same() {
        // Plain lines are fed borrowed from the reader, lines in any other form from a record.
        let casts = crate::read::plain_and_bent_recordings();
        let text = |cast: &[u8], stderr: StderrMode| {
            let mut rdr = Reader::new(Box::new(std::io::Cursor::new(cast.to_vec())), None).unwrap();
            let opts = Options {
                mode: Mode::Raw,
                timestamps: true,
                stderr,
                ..Options::default()
            };
            let mut out = Vec::new();
            convert(&mut rdr, &opts, &mut out, false).unwrap();
            String::from_utf8(out).unwrap()
        };
        for stderr in [StderrMode::Include, StderrMode::Exclude, StderrMode::Only] {
            assert_eq!(
                text(&casts[0], stderr),
                text(&casts[1], stderr),
                "{stderr:?}"
            );
        }
        let all = text(&casts[0], StderrMode::Include);
        assert_eq!(all.matches("中文 résumé ✓").count(), 18, "{all}");
        assert!(
            all.contains("warné") && all.contains("60%") && all.contains("😀 x"),
            "{all}"
        );
    }

    #[test]
    fn raw_text_on_two_threads_is_the_same_as_on_one() {
        // Enough events for many batches, one huge event (in pieces, across batches), lines
        // read borrowed and from records, escapes split by pieces, a cut-off last line.
        let mut cast = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
        let bits = [
            "a",
            "é",
            "\r\n",
            "\r",
            "\n",
            "\x1b[1;31m",
            "\x1b]0;t\x07",
            "\x1b[",
            "m",
            "中",
        ];
        let mut huge = String::new();
        for k in 0..200_000 {
            huge.push_str(bits[k % bits.len()]);
        }
        for i in 0..40_000usize {
            let data: String = (0..i % 7).map(|k| bits[(i + k) % bits.len()]).collect();
            let code = if i % 5 == 0 { "e" } else { "o" };
            let line = serde_json::to_string(&serde_json::json!([i as f64 / 100.0, code, data]));
            cast.push_str(&line.unwrap());
            cast.push('\n');
            if i % 1000 == 7 {
                // Not plain (spaces), so read into a record.
                cast.push_str(&format!("[ {}.5 , \"o\" , \"x\\u001b[2J\" ]\n", i / 100));
            }
            if i == 20_000 {
                let line = serde_json::to_string(&serde_json::json!([200.001, "o", huge]));
                cast.push_str(&line.unwrap());
                cast.push('\n');
            }
        }
        let mut cut = cast.clone();
        cut.push_str("[999.0, \"o\", \"half a li");
        for cast in [cast, cut] {
            for (stderr, timestamps) in [
                (StderrMode::Include, false),
                (StderrMode::Exclude, false),
                (StderrMode::Only, true),
            ] {
                let opts = Options {
                    mode: Mode::Raw,
                    timestamps,
                    stderr,
                    ..Options::default()
                };
                let read = || {
                    Reader::new(
                        Box::new(std::io::Cursor::new(cast.clone().into_bytes())),
                        None,
                    )
                    .unwrap()
                };
                let (mut one, mut two) = (Vec::new(), Vec::new());
                convert(&mut read(), &opts, &mut one, false).unwrap();
                convert_raw_threaded(&mut read(), &opts, &mut two, false).unwrap();
                assert!(one.len() > 30_000, "{}", one.len());
                assert!(
                    one == two,
                    "{stderr:?} {timestamps}: {} and {} bytes",
                    one.len(),
                    two.len()
                );
            }
        }
    }

    #[test]
    fn raw_text_on_two_threads_stops_at_a_bad_line_as_on_one() {
        // Lines of 1 KB and of a few bytes; the text before the bad line is more than a
        // block (64 KiB) after the last time the reader had to refill (every 256 KiB).
        for (n, long) in [
            (10, false),
            (3_000, false),
            (50_000, false),
            (150, true),
            (230, true),
        ] {
            let mut cast = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
            let filler = if long {
                "x".repeat(1000)
            } else {
                String::new()
            };
            for i in 0..n {
                cast.push_str(&format!("[{i}.0, \"o\", \"line {i}{filler}\\r\\n\"]\n"));
            }
            cast.push_str("[1, \"o\" oops\n[2.0, \"o\", \"after\"]\n");
            let opts = Options {
                mode: Mode::Raw,
                ..Options::default()
            };
            let read = || {
                Reader::new(
                    Box::new(std::io::Cursor::new(cast.clone().into_bytes())),
                    None,
                )
                .unwrap()
            };
            let (mut one, mut two) = (Vec::new(), Vec::new());
            let e1 = convert(&mut read(), &opts, &mut one, false).unwrap_err();
            let e2 = convert_raw_threaded(&mut read(), &opts, &mut two, false).unwrap_err();
            assert!(e2.to_string().contains(&format!("line {}", n + 2)), "{e2}");
            assert_eq!(e1.to_string(), e2.to_string());
            // What had been written when the bad line was found: whole blocks of text.
            assert!(one == two, "{n}: {} and {} bytes", one.len(), two.len());
            assert!(!String::from_utf8_lossy(&two).contains("after"));
        }
    }

    fn transcript(cols: u16, rows: u16, chunks: &[&str]) -> String {
        let opts = Options::default();
        let mut r = Render::new(cols, rows, &opts);
        let mut out = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            r.output(i as Micros * 1_000_000, c);
            r.take_text(&mut out);
        }
        r.finish();
        r.take_text(&mut out);
        String::from_utf8(out).unwrap()
    }

    fn raw(chunks: &[&str]) -> String {
        let mut r = RawText::new(false);
        let mut out = Vec::new();
        for c in chunks {
            r.feed(0, c, &mut out);
        }
        r.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn scrolled_lines_then_final_screen() {
        assert_eq!(transcript(10, 2, &["a\r\nb\r\n", "c\r\nd"]), "a\nb\nc\nd\n");
    }

    #[test]
    fn wrapped_rows_are_joined() {
        assert_eq!(transcript(4, 2, &["abcdefghij\r\nk"]), "abcdefghij\nk\n");
    }

    #[test]
    fn clear_keeps_the_text_before_it() {
        let out = transcript(20, 5, &["one\r\ntwo\r\n", "\x1b[H\x1b[2J\x1b[3Jthree"]);
        assert_eq!(out, "one\ntwo\nthree\n");
        let out = transcript(20, 5, &["one\r\ntwo\r\n", "\x1b[H\x1b[Jthree"]);
        assert_eq!(out, "one\ntwo\nthree\n");
    }

    #[test]
    fn alternate_screen_snapshot_in_order() {
        let out = transcript(
            20,
            5,
            &[
                "$ vim\r\n",
                "\x1b[?1049h\x1b[Hfile text\x1b[5;1H:q",
                "\x1b[?1049l$ ls\r\n",
            ],
        );
        assert_eq!(
            out,
            format!("$ vim\n{ALT_BEGIN}\nfile text\n\n\n\n:q\n{ALT_END}\n$ ls\n")
        );
    }

    #[test]
    fn raw_strips_sequences_across_chunks() {
        assert_eq!(raw(&["a\x1b[3", "1mred\x1b", "[0m\r", "\nb"]), "ared\nb\n");
        assert_eq!(raw(&["\x1b]0;title\x07x\x1b]8;;u\x1b\\y\r\n"]), "xy\n");
        assert_eq!(raw(&["50%\r60%\r\r\n"]), "50%\r60%\n");
        assert_eq!(raw(&["\x1b(Bk\x1bPq#0\x1b\\z\x1b7\x1b8"]), "kz\n");
    }

    #[test]
    fn names() {
        assert_eq!(txt_name(Path::new("a/demo.cast")), "demo.txt");
        assert_eq!(txt_name(Path::new("log")), "log.txt");
        assert_eq!(txt_name(Path::new("r/demo.cast.zst")), "demo.txt");
        assert_eq!(txt_name(Path::new("notes.gz")), "notes.gz.txt");
    }

    /// Pieces that exercise the paths with state: sequences, screen switches, clears,
    /// wide characters, wrapping.
    fn piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[a-z ]{0,30}",
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            Just("中文😀".to_string()),
            Just("\x1b[2J".to_string()),
            Just("\x1b[H\x1b[J".to_string()),
            Just("\x1bc".to_string()),
            Just("\x1b[?1049h".to_string()),
            Just("\x1b[?1049l".to_string()),
            Just("\x1b[?47h".to_string()),
            Just("\x1b[?1047l".to_string()),
            Just("\x1b[".to_string()),
            Just("\x1b]0;t".to_string()),
            Just("\x07".to_string()),
            Just("\x1b[2;5r".to_string()),
            Just("\x1b[3A".to_string()),
            Just("\x1b[10;3H".to_string()),
            Just("\x1b[2K".to_string()),
            Just("\x1bM".to_string()),
            Just("\x1b[3L".to_string()),
            Just("\x1b[2S".to_string()),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Any output, any resizes: no panic, and the same text in-process and threaded.
        #[test]
        fn any_output_renders(
            events in proptest::collection::vec(
                (proptest::collection::vec(piece(), 0..8), proptest::option::of((1u16..30, 1u16..8))),
                0..20,
            ),
            timestamps in proptest::bool::ANY,
            skip in proptest::bool::ANY,
        ) {
            let mut cast = String::from("{\"version\": 2, \"width\": 12, \"height\": 4}\n");
            for (i, (pieces, size)) in events.iter().enumerate() {
                let data = pieces.concat();
                cast.push_str(&serde_json::to_string(&serde_json::json!([i, "o", data])).unwrap());
                cast.push('\n');
                if let Some((c, r)) = size {
                    cast.push_str(&format!("[{i}.5, \"r\", \"{c}x{r}\"]\n"));
                }
            }
            let opts = Options {
                timestamps,
                alt_screen: if skip { AltScreen::Skip } else { AltScreen::Snapshot },
                ..Options::default()
            };
            let read = || Reader::new(Box::new(std::io::Cursor::new(cast.clone().into_bytes())), None).unwrap();
            let mut here = Vec::new();
            convert(&mut read(), &opts, &mut here, false).unwrap();
            let mut threaded = Vec::new();
            convert_threaded(&mut read(), &opts, &mut threaded, false).unwrap();
            proptest::prop_assert_eq!(&here, &threaded);
            let text = String::from_utf8(here).unwrap();
            if !skip {
                proptest::prop_assert_eq!(
                    text.matches(ALT_BEGIN).count(),
                    text.matches(ALT_END).count()
                );
            }
            let raw = Options { mode: Mode::Raw, ..opts.clone() };
            let (mut one, mut two) = (Vec::new(), Vec::new());
            convert(&mut read(), &raw, &mut one, false).unwrap();
            convert_raw_threaded(&mut read(), &raw, &mut two, false).unwrap();
            proptest::prop_assert_eq!(&one, &two);
            for mode in [Mode::Screen(None), Mode::Screen(Some(TimeSpec::At(3_000_000)))] {
                let opts = Options { mode, ..opts.clone() };
                convert(&mut read(), &opts, &mut Vec::new(), false).unwrap();
            }
        }
    }
}
