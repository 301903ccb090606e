//! cast-info: what is in a pile of recordings, and whether each one is whole.
//!
//! Each file is read once, streaming, and summed up into an [`Info`]: version, terminal sizes,
//! duration, events by code, output bytes, pauses, markers, header fields, exit status and
//! whether it is complete. Files are read in parallel (rayon, one file per task) and printed in
//! argument order, so runs are deterministic. With fewer files than threads, a file of 16 MiB
//! or more is read in two halves at once, each by a reader of its own, and the halves' sums
//! added up ([`Info::read_split`]): one pass over a file is CPU-bound, and a second core nearly
//! halves it. Standard input redirected from a file (`cast-info < big.cast`) is split the same
//! way, from where its offset stands; a pipe is read straight. One file gives a readable block; several give a table with a total row; `--json`
//! gives one JSON object per line.
//!
//! "Complete" means the file ends on a whole event: its last line was not cut off, which is
//! what every player needs (asciinema-player refuses a whole recording over a cut-off line).
//! Whether the recorded command's exit was recorded (an `x` event, which asciinema 3 writes
//! when the command ends, and many recorders and asciinema's own fixtures lack) is reported on
//! its own, as the exit status.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{CommandFactory, Parser};
use rayon::prelude::*;
use serde_json::{Map, Value};
use unicode_width::UnicodeWidthStr;

use crate::cli::walk::{Found, WalkArgs};
use crate::cli::{self, EXIT_ERROR, EXIT_OK, Input};
use crate::error::{Error, Result};
use crate::event::{Code, EventRecord, parse_size};
use crate::header::Version;
use crate::json_str::{self, Escape};
use crate::read::Reader;
use crate::time::{self, Micros};

const EXAMPLES: &str = "\
Examples:
  cast-info demo.cast                 everything about one recording
  cast-info *.cast                    one line per recording, and a total
  cast-info -r ~/casts                every *.cast and *.json below a directory
  cast-info --json *.cast | jq 'select(.complete | not) | .file'
                                      the recordings that were cut off
  cast-info --idle 5 demo.cast        count pauses over five seconds as idle

Times are printed H:MM:SS.mmm, with microseconds (H:MM:SS.mmmmmm) when they are not a
whole millisecond: exact, so a marker's time given to --at or --from names that moment.

Table columns:
  SIZE      the header's terminal size; +N: resized to N other sizes
  PAUSE     the longest pause between events
  IDLE>T    time beyond T in pauses longer than T (what cast-idle -l T would remove)
  EXIT      the recorded command's exit status (its x event); - when there is none
  STATUS    ok (the file ends on a whole event); cut off (the last line is incomplete)

Exit status:
  0  every file was read
  2  an error (a bad option, an unreadable or malformed recording); the others are still shown";

/// Describe asciicast recordings: what is in them, and whether they are whole
///
/// For each recording: version, terminal size and every size it is resized to, duration,
/// events by code, bytes of output, the longest pause and the idle time, markers, title,
/// command, exit status, and whether it is complete or was cut off. One file gives a readable
/// block; several files (or -r) a table with a total row; --json one JSON object per file.
/// Files are read in parallel (with fewer files than threads, a file of 16 MiB or more in two
/// halves at once, standard input too when it is a file) and shown in argument order.
#[derive(Debug, Parser)]
#[command(name = "cast-info", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Recordings to describe (v1, v2 or v3); with -r, also directories. With none, or `-`,
    /// standard input is read
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub walk: WalkArgs,

    /// Write one JSON object per recording (JSON lines); an unreadable one gets
    /// {"file": ..., "error": ...}
    #[arg(long)]
    pub json: bool,

    /// Pauses longer than SECS count as idle time (SECONDS, M:SS or H:MM:SS)
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock, default_value = "2")]
    pub idle: Micros,

    /// Treat a recording whose last line was cut off as an error, not a warning
    #[arg(long)]
    pub strict: bool,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    if a.files.is_empty() && !a.walk.recursive && io::stdin().is_terminal() {
        // Otherwise a new user sees nothing happen.
        cli::error("reading a recording from standard input (Ctrl-D ends it; --help for usage)");
    }
    let mut status = EXIT_OK;
    let mut inputs = Vec::new();
    for f in a.walk.expand(&a.files)? {
        match f {
            Found::Input { input, .. } => inputs.push(input),
            Found::Error(e) => {
                cli::error(e);
                status = EXIT_ERROR;
            }
        }
    }
    let (threshold, strict) = (a.idle, a.strict);
    let describe = |input: &Input| -> Result<Info> {
        let mut rdr = input.open()?;
        rdr.set_strict(strict);
        // With fewer files than threads, a large file's halves can be read at once.
        let split = if inputs.len() < rayon::current_num_threads() {
            SPLIT_AT_LEAST
        } else {
            u64::MAX
        };
        let mut info = Info::read_split(&mut rdr, threshold, split)?;
        info.file = input.name().display().to_string();
        Ok(info)
    };
    let results: Vec<Result<Info>> = a
        .walk
        .install(|| inputs.par_iter().map(describe).collect())?;
    if results.iter().any(Result::is_err) {
        status = EXIT_ERROR;
    }
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let names: Vec<String> = inputs
        .iter()
        .map(|i| i.name().display().to_string())
        .collect();
    if a.json {
        for (r, name) in results.iter().zip(&names) {
            let v = match r {
                Ok(info) => info.to_json(threshold),
                Err(e) => error_json(name, e),
            };
            serde_json::to_writer(&mut out, &v).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        report_errors(&results);
    } else if inputs.len() == 1 && !a.walk.recursive {
        match &results[0] {
            Ok(info) => out.write_all(info.block(threshold).as_bytes())?,
            Err(e) => cli::error(e),
        }
        out.flush()?;
    } else {
        let infos: Vec<&Info> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        out.write_all(table(&infos, inputs.len(), threshold).as_bytes())?;
        out.flush()?;
        report_errors(&results);
    }
    Ok(status)
}

fn report_errors(results: &[Result<Info>]) {
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        cli::error(e);
    }
}

fn error_json(name: &str, e: &Error) -> Value {
    let mut m = Map::new();
    m.insert("file".into(), name.into());
    // The message as printed on stderr, without the program name and the file.
    let text = e.to_string();
    let text = match &e.path {
        Some(p) => text
            .strip_prefix(&format!("{}: ", p.display()))
            .unwrap_or(&text)
            .to_string(),
        None => text,
    };
    m.insert("error".into(), text.into());
    Value::Object(m)
}

/// Files at least this long are read in two halves at once ([`Info::read_split`]).
const SPLIT_AT_LEAST: u64 = 16 * 1024 * 1024;

/// Most distinct sizes and unknown codes kept per file: enough for any real recording, and a
/// bound for hostile ones.
const MAX_DISTINCT: usize = 256;

/// What one recording holds.
#[derive(Debug, Clone, Default)]
pub struct Info {
    /// The name given on the command line.
    pub file: String,
    pub version: u8,
    /// The header's terminal size.
    pub size: (u16, u16),
    /// Every other size the terminal is resized to, in order of first appearance.
    pub resized_to: Vec<(u16, u16)>,
    /// Number of `r` events that changed the size.
    pub resizes: u64,
    /// Time of the latest event.
    pub duration: Micros,
    /// Events by code: `o`, `i`, `r`, `m`, `x`, `e`.
    pub counts: [u64; 6],
    /// Events of other codes.
    pub other_codes: BTreeMap<String, u64>,
    /// Bytes of output text (`o`), UTF-8, escape sequences included.
    pub output_bytes: u64,
    /// Bytes of stderr text (`e`).
    pub stderr_bytes: u64,
    pub longest_pause: Micros,
    /// Where the longest pause begins.
    pub longest_pause_at: Micros,
    /// Time beyond the threshold in pauses longer than it.
    pub idle: Micros,
    /// Number of pauses longer than the threshold.
    pub idle_pauses: u64,
    /// Events whose time is earlier than the one before.
    pub backwards: u64,
    pub markers: Vec<(Micros, String)>,
    pub title: Option<String>,
    pub command: Option<String>,
    pub timestamp: Option<i64>,
    pub idle_time_limit: Option<Micros>,
    /// The data of the last `x` event.
    pub exit: Option<String>,
    /// When the last line was cut off, what the reader made of it.
    pub truncated: Option<String>,
    /// What the reader repaired or dropped (`line N: ...`), the cut-off line aside.
    pub warnings: Vec<String>,
}

const CODES: [(Code, &str); 6] = [
    (Code::Output, "o"),
    (Code::Input, "i"),
    (Code::Resize, "r"),
    (Code::Marker, "m"),
    (Code::Exit, "x"),
    (Code::Stderr, "e"),
];

impl Info {
    /// Reads the rest of `rdr` and sums it up. Pauses longer than `threshold` count as idle.
    ///
    /// Gaps are measured as cast-idle measures them (from each event to the next in file
    /// order, a backwards step counting as zero), so `idle` is what `cast-idle -l THRESHOLD`
    /// would remove.
    pub fn read(rdr: &mut Reader, threshold: Micros) -> Result<Info> {
        let mut tally = Tally::new(Info::of_header(rdr), threshold, true);
        tally.read(rdr, &AtomicBool::new(false))?;
        tally.close(rdr);
        Ok(tally.info)
    }

    /// [`read`](Info::read), reading the two halves of a file of at least `min_len` bytes at
    /// once, on this thread and another, and adding them up. The result is what `read` gives:
    /// where the second half's cannot be added exactly (it holds an error, or more distinct
    /// codes than are kept), the first half's reader reads on through it instead. Its
    /// warnings and a cut-off end are renumbered and kept as the first half's reader would
    /// have (see [`Reader::adopt`]), so a file cut off mid-write is read once, not one and a
    /// half times.
    ///
    /// On bench/run.sh's files this took cast-info from 1.30x cat's time to 0.87x (typing
    /// mix, 0.134 s to 0.089 s), 1.16x to 0.87x (corpus mix) and 3.02x to 1.86x (keystrokes
    /// only), with the same CPU time or less (median of 11 alternating runs); in a slower hour
    /// of the same machine, from 1.73x to 1.08x, 1.04x to 0.76x and 3.88x to 2.01x. That is
    /// with each half read on its parsing thread: with a read-ahead thread for each, as the
    /// reader has when alone, the split took 0.120 s on the typing mix, and 25% more CPU.
    pub fn read_split(rdr: &mut Reader, threshold: Micros, min_len: u64) -> Result<Info> {
        Ok(Info::read_split_how(rdr, threshold, min_len)?.0)
    }

    /// [`read_split`](Info::read_split), and how it went: None when the file was read
    /// straight, else whether the second half's tally was used.
    fn read_split_how(
        rdr: &mut Reader,
        threshold: Micros,
        min_len: u64,
    ) -> Result<(Info, Option<bool>)> {
        // The middle of what is left to read (standard input may start anywhere in its file).
        let start = rdr.file_start();
        let from = rdr.file_len().map(|n| n.saturating_sub(start));
        let from = from.filter(|&n| n >= min_len).map(|n| start + n / 2);
        match from.and_then(|f| rdr.split_after(f)) {
            Some(second) => {
                let (info, joined) = Info::read_parts(rdr, second, threshold)?;
                Ok((info, Some(joined)))
            }
            None => Ok((Info::read(rdr, threshold)?, None)),
        }
    }

    /// Reads the two parts of a split file at once (see [`Info::read_split`]); and whether
    /// the second part's tally was used (not read again).
    fn read_parts(rdr: &mut Reader, mut second: Reader, threshold: Micros) -> Result<(Info, bool)> {
        // A scoped thread of its own rather than rayon's join, so the second half starts at
        // once even when no worker of the pool is idle (the split is asked for only when the
        // pool has more threads than files; the two measured the same here).
        let mut tally = Tally::new(Info::of_header(rdr), threshold, true);
        let mut rest = Tally::new(Info::of_header(rdr), threshold, false);
        // Set when the first half ends in an error: the second half's result is not needed.
        let stop = AtomicBool::new(false);
        let (first, other) = std::thread::scope(|s| {
            // With no thread to be had, the first half's reader reads on through the second.
            let other = std::thread::Builder::new()
                .name("second half".into())
                .spawn_scoped(s, || rest.read(&mut second, &stop))
                .ok();
            let first = tally.read(rdr, &stop);
            if first.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            let other = other.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            (first, other)
        });
        first?;
        // The second part's times count from the split in v3: from the reader's clock, which
        // counts events it dropped too.
        let off = if rdr.version() == Version::V3 {
            rdr.clock()
        } else {
            0
        };
        // A first half cut off means the file changed since the split (it ended on a newline):
        // what there is, as a straight read of the file as it is now would see it cut there.
        let cut = rdr.truncation().is_some();
        // The second half's warnings and cut-off end, renumbered, become the first reader's,
        // as if it had read them (its cap of warnings too).
        let joined =
            !cut && matches!(other, Some(Ok(()))) && rdr.can_adopt() && tally.join(rest, off);
        if joined {
            rdr.adopt(&mut second);
        }
        if !joined && !cut {
            if !rdr.read_on() {
                return Err(Error::msg("cannot read the second half of the file again")
                    .in_file(rdr.path().unwrap_or(Path::new("<stdin>"))));
            }
            tally.read(rdr, &stop)?;
        }
        rdr.end_split();
        tally.close(rdr);
        Ok((tally.info, joined))
    }

    /// What the header says, before any event is read.
    fn of_header(rdr: &Reader) -> Info {
        let h = rdr.header();
        Info {
            version: h.version().number(),
            size: h.size(),
            title: h.title().map(str::to_string),
            command: h.command().map(str::to_string),
            timestamp: h.timestamp(),
            idle_time_limit: h.idle_time_limit(),
            ..Info::default()
        }
    }

    /// All events.
    pub fn events(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.other_codes.values().sum::<u64>()
    }

    /// True when the file ends on a whole event (its last line was not cut off). The exit
    /// event is not needed: see [`Info::exit`].
    pub fn complete(&self) -> bool {
        self.truncated.is_none()
    }

    /// The short status of the table's STATUS column.
    fn status(&self) -> &'static str {
        if self.complete() { "ok" } else { "cut off" }
    }

    /// The readable block for one file.
    pub fn block(&self, threshold: Micros) -> String {
        let mut b = Block::default();
        b.line("file", &self.file);
        b.line("version", &self.version.to_string());
        let mut size = size_str(self.size);
        if self.resizes > 0 {
            let to: Vec<String> = self.resized_to.iter().map(|&s| size_str(s)).collect();
            let _ = write!(
                size,
                "; resized {} {}",
                self.resizes,
                plural(self.resizes, "time", "times")
            );
            if !to.is_empty() {
                let _ = write!(size, " to {}", to.join(", "));
            }
        }
        b.line("size", &size);
        b.line(
            "duration",
            &format!("{} ({})", time::clock(self.duration), secs(self.duration)),
        );
        let mut by_code: Vec<String> = CODES
            .iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
            .map(|((_, c), n)| format!("{n} {c}"))
            .collect();
        by_code.extend(self.other_codes.iter().map(|(c, n)| format!("{n} {c}")));
        let mut events = self.events().to_string();
        if !by_code.is_empty() {
            let _ = write!(events, " ({})", by_code.join(", "));
        }
        b.line("events", &events);
        b.line("output", &bytes_long(self.output_bytes));
        if self.counts[5] > 0 {
            b.line("stderr", &bytes_long(self.stderr_bytes));
        }
        let pause = if self.events() == 0 {
            "none".to_string()
        } else {
            format!(
                "{}, from {}",
                secs(self.longest_pause),
                time::clock(self.longest_pause_at)
            )
        };
        b.line("longest pause", &pause);
        b.line(
            "idle",
            &format!(
                "{} beyond {} in {} {} (what cast-idle -l {} would remove)",
                secs(self.idle),
                secs(threshold),
                self.idle_pauses,
                plural(self.idle_pauses, "pause", "pauses"),
                secs(threshold).trim_end_matches('s'),
            ),
        );
        if self.backwards > 0 {
            b.line(
                "time order",
                &format!(
                    "{} {} earlier than the one before",
                    self.backwards,
                    plural(self.backwards, "event is", "events are")
                ),
            );
        }
        for (k, w) in self.warnings.iter().enumerate() {
            b.line(if k == 0 { "repaired" } else { "" }, &printable(w));
        }
        if self.markers.is_empty() {
            b.line("markers", "none");
        }
        for (k, (t, label)) in self.markers.iter().enumerate() {
            let text = format!("{}  {}", time::clock(*t), printable(label));
            b.line(if k == 0 { "markers" } else { "" }, &text);
        }
        if let Some(t) = &self.title {
            b.line("title", &printable(t));
        }
        if let Some(c) = &self.command {
            b.line("command", &printable(c));
        }
        if let Some(ts) = self.timestamp {
            b.line("recorded", &utc(ts));
        }
        if let Some(l) = self.idle_time_limit {
            b.line("idle limit", &secs(l));
        }
        b.line(
            "exit status",
            &match &self.exit {
                Some(x) => printable(x),
                None => "none (no exit event)".into(),
            },
        );
        let complete = match &self.truncated {
            Some(t) => format!("no: cut off: {t}"),
            None => "yes".into(),
        };
        b.line("complete", &complete);
        b.out
    }

    /// The JSON object for `--json`.
    pub fn to_json(&self, threshold: Micros) -> Value {
        let mut m = Map::new();
        let secs = |t: Micros| Value::from(t as f64 / 1e6);
        let size = |s: (u16, u16)| Value::from(size_str(s));
        m.insert("file".into(), self.file.clone().into());
        m.insert("version".into(), self.version.into());
        m.insert("size".into(), size(self.size));
        m.insert(
            "resized_to".into(),
            self.resized_to.iter().map(|&s| size(s)).collect(),
        );
        m.insert("resizes".into(), self.resizes.into());
        m.insert("duration".into(), secs(self.duration));
        m.insert("events".into(), self.events().into());
        let mut by_code = Map::new();
        for ((_, c), n) in CODES.iter().zip(self.counts) {
            by_code.insert((*c).into(), n.into());
        }
        for (c, n) in &self.other_codes {
            by_code.insert(c.clone(), (*n).into());
        }
        m.insert("codes".into(), Value::Object(by_code));
        m.insert("output_bytes".into(), self.output_bytes.into());
        m.insert("stderr_bytes".into(), self.stderr_bytes.into());
        m.insert("longest_pause".into(), secs(self.longest_pause));
        m.insert("longest_pause_at".into(), secs(self.longest_pause_at));
        m.insert("idle_threshold".into(), secs(threshold));
        m.insert("idle".into(), secs(self.idle));
        m.insert("idle_pauses".into(), self.idle_pauses.into());
        m.insert("backwards".into(), self.backwards.into());
        m.insert("warnings".into(), self.warnings.clone().into());
        let markers = self
            .markers
            .iter()
            .map(|(t, l)| {
                let mut o = Map::new();
                o.insert("time".into(), secs(*t));
                o.insert("label".into(), l.clone().into());
                Value::Object(o)
            })
            .collect();
        m.insert("markers".into(), markers);
        m.insert("title".into(), self.title.clone().into());
        m.insert("command".into(), self.command.clone().into());
        m.insert("timestamp".into(), self.timestamp.into());
        m.insert(
            "idle_time_limit".into(),
            self.idle_time_limit.map(secs).unwrap_or(Value::Null),
        );
        m.insert("exit_status".into(), self.exit.clone().into());
        m.insert("truncated".into(), self.truncated.clone().into());
        m.insert("complete".into(), self.complete().into());
        Value::Object(m)
    }
}

/// An [`Info`] being summed up event by event, with what reading on needs: the time and
/// terminal size the last event left.
struct Tally {
    info: Info,
    threshold: Micros,
    /// The time of the event before the next one (0 before the first).
    prev: Micros,
    /// The size the terminal has (None: not known yet, in the second half of a split file).
    size: Option<(u16, u16)>,
    /// For the second half of a split file, where the event before the first is not known:
    /// whether an event was read, the first one's time, and the first resize's size (which
    /// counts as a change only if the first half left another).
    started: bool,
    first: Option<Micros>,
    first_size: Option<(u16, u16)>,
    rec: EventRecord,
    scratch: String,
}

impl Tally {
    /// A tally of `info` (the header's part), from the first event when `from_start`, else
    /// from an event whose predecessor is not known.
    fn new(info: Info, threshold: Micros, from_start: bool) -> Tally {
        let size = from_start.then_some(info.size);
        Tally {
            info,
            threshold: threshold.max(0),
            prev: 0,
            size,
            started: from_start,
            first: None,
            first_size: None,
            rec: EventRecord::default(),
            scratch: String::new(),
        }
    }

    /// Reads the rest of `rdr` into the tally, or stops early (looking each time the reader
    /// takes the general path, at least once a buffer) when `stop` is set.
    fn read(&mut self, rdr: &mut Reader, stop: &AtomicBool) -> Result<()> {
        let Tally {
            info,
            threshold,
            prev,
            size,
            started,
            first,
            first_size,
            rec,
            scratch,
        } = self;
        let threshold = *threshold;
        loop {
            // Text events in the plain form are counted where the reader holds them; the
            // rest are read into the record.
            let (t, code, counted) = if let Some(ev) = rdr.read_borrowed_counted() {
                let (t, code) = (ev.time(), ev.code());
                // Counted by the reader's scan, mostly (see `Reader::read_borrowed_counted`).
                // When it gave up, a `\u` escape stands for more than ASCII, and the masks of
                // `text_len` would give up too: escape by escape, then.
                let len = || ev.text_len().unwrap_or_else(|| decoded_len(ev.data_json()));
                match code {
                    Code::Output => info.output_bytes += len(),
                    Code::Stderr => info.stderr_bytes += len(),
                    Code::Input => {}
                    _ => ev.to_record(rec),
                }
                (t, code, matches!(code, Code::Output | Code::Stderr))
            } else if stop.load(Ordering::Relaxed) {
                break;
            } else if rdr.read_event(rec)? {
                (rec.time(), rec.code(), false)
            } else {
                break;
            };
            if !*started {
                // The gap before this event is the join's to count.
                *started = true;
                *first = Some(t);
                *prev = t;
            }
            if t < *prev {
                info.backwards += 1;
            }
            let gap = t.saturating_sub(*prev).max(0);
            if gap > info.longest_pause {
                info.longest_pause = gap;
                info.longest_pause_at = *prev;
            }
            if gap > threshold {
                info.idle += gap - threshold;
                info.idle_pauses += 1;
            }
            *prev = t;
            info.duration = info.duration.max(t);
            match code {
                Code::Output | Code::Stderr if counted => {}
                Code::Output => info.output_bytes += text_len(rec.data_json()),
                Code::Stderr => info.stderr_bytes += text_len(rec.data_json()),
                Code::Resize => {
                    if let Some(s) = parse_size(rec.data_str(scratch))
                        && *size != Some(s)
                    {
                        if size.is_some() {
                            info.resizes += 1;
                        } else {
                            *first_size = Some(s);
                        }
                        *size = Some(s);
                        if s != info.size
                            && !info.resized_to.contains(&s)
                            && info.resized_to.len() < MAX_DISTINCT
                        {
                            info.resized_to.push(s);
                        }
                    }
                }
                Code::Marker => {
                    let label = rec.data_str(scratch).to_string();
                    info.markers.push((t, label));
                }
                Code::Exit => info.exit = Some(rec.data_str(scratch).to_string()),
                Code::Other => {
                    let c = rec.code_str(scratch);
                    if let Some(n) = info.other_codes.get_mut(c) {
                        *n += 1;
                    } else if info.other_codes.len() < MAX_DISTINCT {
                        info.other_codes.insert(c.to_string(), 1);
                    }
                }
                Code::Input => {}
            }
            if let Some(k) = CODES.iter().position(|(c, _)| *c == code) {
                info.counts[k] += 1;
            }
        }
        Ok(())
    }

    /// Adds what the reader cut off and repaired, once `rdr` is read to its end.
    fn close(&mut self, rdr: &mut Reader) {
        let info = &mut self.info;
        info.truncated = rdr.truncation().map(str::to_string);
        info.warnings = rdr.take_warnings();
        if let Some(t) = &info.truncated {
            info.warnings.retain(|w| w != t);
        }
    }

    /// Adds the tally `b` of the second half of a split file (read from an event whose
    /// predecessor it did not know, its times `off` after the file's) to this one, of the
    /// first half, as if this one had read on through it. False, with nothing changed,
    /// where that cannot be done exactly: `b` kept as many distinct codes as it may (it may
    /// have dropped some this half holds), the two halves' codes are together more than are
    /// kept (which are dropped depends on their order), or v3 times would run past what they
    /// hold. The halves' warnings are not here: the first half's reader takes the second's
    /// over ([`Reader::adopt`]), and [`Tally::close`] reads them from it.
    fn join(&mut self, b: Tally, off: Micros) -> bool {
        let (a, bi) = (&mut self.info, b.info);
        if bi.other_codes.len() >= MAX_DISTINCT {
            return false;
        }
        let new_codes = bi
            .other_codes
            .keys()
            .filter(|c| !a.other_codes.contains_key(*c))
            .count();
        if new_codes > 0
            && a.other_codes.len() < MAX_DISTINCT
            && a.other_codes.len() + new_codes > MAX_DISTINCT
        {
            return false;
        }
        if off.checked_add(bi.duration).is_none() {
            return false;
        }
        let Some(first) = b.first else {
            // No events: comments and blank lines only.
            return true;
        };
        // The gap between the halves, as `read` would have counted it.
        let t = first + off;
        if t < self.prev {
            a.backwards += 1;
        }
        let gap = t.saturating_sub(self.prev).max(0);
        if gap > a.longest_pause {
            a.longest_pause = gap;
            a.longest_pause_at = self.prev;
        }
        if gap > self.threshold {
            a.idle += gap - self.threshold;
            a.idle_pauses += 1;
        }
        // The second half's own gaps, after it.
        if bi.longest_pause > a.longest_pause {
            a.longest_pause = bi.longest_pause;
            a.longest_pause_at = bi.longest_pause_at + off;
        }
        a.idle += bi.idle;
        a.idle_pauses += bi.idle_pauses;
        a.backwards += bi.backwards;
        a.duration = a.duration.max(bi.duration + off);
        self.prev = b.prev + off;
        for (n, m) in a.counts.iter_mut().zip(bi.counts) {
            *n += m;
        }
        a.output_bytes += bi.output_bytes;
        a.stderr_bytes += bi.stderr_bytes;
        if let Some(s) = b.first_size
            && Some(s) != self.size
        {
            a.resizes += 1;
        }
        a.resizes += bi.resizes;
        self.size = b.size.or(self.size);
        for s in bi.resized_to {
            if !a.resized_to.contains(&s) && a.resized_to.len() < MAX_DISTINCT {
                a.resized_to.push(s);
            }
        }
        a.markers
            .extend(bi.markers.into_iter().map(|(t, l)| (t + off, l)));
        if bi.exit.is_some() {
            a.exit = bi.exit;
        }
        for (c, n) in bi.other_codes {
            if let Some(m) = a.other_codes.get_mut(&c) {
                *m += n;
            } else if a.other_codes.len() < MAX_DISTINCT {
                a.other_codes.insert(c, n);
            }
        }
        true
    }
}

/// Bytes of an event's text in UTF-8, counted from its JSON token without decoding it (the
/// same count as `data_str(..).len()`, which would copy every escaped event). Tokens of a
/// block or more whose `\u` escapes are all ASCII are counted from masks
/// ([`crate::scan::decoded_len`]); the rest escape by escape. The masks took cast-info from
/// 0.267 to 0.232 s on bench/run.sh's corpus-like 233 MiB file and from 0.398 to 0.372 s on
/// the typing-heavy one (wall, median of 9 alternating runs).
#[inline]
fn text_len(token: &[u8]) -> u64 {
    // A typed key, most often: no escape to count. (Without this, the memchr call in
    // `decoded_len` for a token of a few bytes was a tenth of cast-info's time on keystrokes;
    // with it, 8 million keystrokes took 0.40 s, not 0.55 s, wall.)
    if token.len() <= 18 && !token.contains(&b'\\') {
        return token.len().saturating_sub(2) as u64;
    }
    crate::scan::decoded_len(&token[1..token.len() - 1]).unwrap_or_else(|| decoded_len(token))
}

/// The length in UTF-8 of the text a valid JSON string token (quotes included) stands for,
/// following [`EventRecord::data_str`]'s rules: a lone surrogate counts as U+FFFD.
///
/// Terminal output has an escape every 27 bytes or so: the backslashes are found sixteen
/// at a time from a mask (SSE2) rather than by a memchr call each, and the commonest escapes
/// are read inline. On bench/run.sh's corpus-like 233 MiB file (median of 7, alternating
/// runs) that took cast-info from 0.188 s to 0.174 s; the reader's own scan is the rest.
fn decoded_len(token: &[u8]) -> u64 {
    let inner = &token[1..token.len().saturating_sub(1).max(1)];
    let n = inner.len();
    // Bytes the escapes save, counted at each backslash that starts one; bytes before
    // `skip` belong to an escape already counted.
    let mut saved = 0usize;
    let mut skip = 0usize;
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    while i + 16 <= n {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads 16 bytes of `inner`
        // (in bounds, checked above) with no alignment requirement.
        let mut m = unsafe {
            let x = _mm_loadu_si128(inner.as_ptr().add(i) as *const __m128i);
            _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8))) as u32
        };
        while m != 0 {
            let k = i + m.trailing_zeros() as usize;
            m &= m - 1;
            if k >= skip {
                match escape_saves(inner, k) {
                    Some((len, s)) => (saved, skip) = (saved + s, k + len),
                    None => return (k - saved) as u64,
                }
            }
        }
        i += 16;
    }
    while let Some(k) = memchr::memchr(b'\\', &inner[i..]) {
        let k = i + k;
        if k >= skip {
            match escape_saves(inner, k) {
                Some((len, s)) => (saved, skip) = (saved + s, k + len),
                None => return (k - saved) as u64,
            }
        }
        i = k + 1;
    }
    (n - saved) as u64
}

/// The escape at `inner[k]` (a backslash): its length and how many bytes shorter its text
/// is, or None when it is cut off (the text ends before it). The commonest first: a
/// one-letter escape, and `\u00XX` below 0x80 (`\u001b`).
#[inline(always)]
fn escape_saves(inner: &[u8], k: usize) -> Option<(usize, usize)> {
    match inner.get(k + 1..k + 6) {
        Some([b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't', ..]) => return Some((2, 1)),
        Some([b'u', b'0', b'0', b'0'..=b'7', h]) if h.is_ascii_hexdigit() => return Some((6, 5)),
        _ => {}
    }
    match json_str::escape_at(inner, k) {
        Escape::Char(c, len) => Some((len, len - char::from_u32(c).map_or(3, char::len_utf8))),
        // Kept as written.
        Escape::Verbatim(_) => Some((2, 0)),
        Escape::Cut => None,
    }
}

/// Label: value lines with the values aligned.
#[derive(Default)]
struct Block {
    out: String,
}

impl Block {
    fn line(&mut self, label: &str, value: &str) {
        let label = if label.is_empty() {
            String::new()
        } else {
            format!("{label}:")
        };
        let _ = writeln!(self.out, "{label:<15}{value}");
    }
}

/// The aligned table for several files, with a total row.
fn table(infos: &[&Info], n_inputs: usize, threshold: Micros) -> String {
    let idle_head = format!("IDLE>{}", secs(threshold));
    let head = [
        "FILE", "VER", "SIZE", "DURATION", "EVENTS", "OUTPUT", "PAUSE", &idle_head, "MARKERS",
        "EXIT", "STATUS",
    ];
    // Text columns are aligned left, numbers right.
    let right = [
        false, true, false, true, true, true, true, true, true, false, false,
    ];
    let mut rows: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    for i in infos {
        let mut size = size_str(i.size);
        if !i.resized_to.is_empty() {
            let _ = write!(size, "+{}", i.resized_to.len());
        }
        rows.push(vec![
            printable(&i.file),
            i.version.to_string(),
            size,
            short_duration(i.duration),
            i.events().to_string(),
            bytes_short(i.output_bytes),
            short_duration(i.longest_pause),
            short_duration(i.idle),
            i.markers.len().to_string(),
            i.exit.as_deref().map_or("-".into(), printable),
            i.status().into(),
        ]);
    }
    let files = if infos.len() == n_inputs {
        format!(
            "total ({} {})",
            infos.len(),
            plural(infos.len() as u64, "file", "files")
        )
    } else {
        format!("total ({} of {} files)", infos.len(), n_inputs)
    };
    let ok = infos.iter().filter(|i| i.complete()).count();
    rows.push(vec![
        files,
        String::new(),
        String::new(),
        short_duration(infos.iter().map(|i| i.duration).sum()),
        infos.iter().map(|i| i.events()).sum::<u64>().to_string(),
        bytes_short(infos.iter().map(|i| i.output_bytes).sum()),
        short_duration(infos.iter().map(|i| i.longest_pause).max().unwrap_or(0)),
        short_duration(infos.iter().map(|i| i.idle).sum()),
        infos
            .iter()
            .map(|i| i.markers.len())
            .sum::<usize>()
            .to_string(),
        String::new(),
        format!("{ok} ok"),
    ]);
    let widths: Vec<usize> = (0..head.len())
        .map(|c| rows.iter().map(|r| r[c].width()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c > 0 {
                line.push_str("  ");
            }
            let pad = " ".repeat(widths[c] - cell.width());
            if right[c] {
                line.push_str(&pad);
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Seconds for prose: `2s`, `2.5s`.
fn secs(t: Micros) -> String {
    let s = time::seconds_string(t);
    match s.strip_suffix(".0") {
        Some(whole) => format!("{whole}s"),
        None => format!("{s}s"),
    }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn size_str((cols, rows): (u16, u16)) -> String {
    format!("{cols}x{rows}")
}

/// Text from a recording made safe to print: control characters shown as `^X` or `\u{..}`,
/// so a title cannot drive the user's terminal.
fn printable(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '\x00'..='\x1f' => format!("^{}", (c as u8 + 64) as char),
            '\x7f' => "^?".into(),
            c if c.is_control() => format!("\\u{{{:x}}}", c as u32),
            c => c.to_string(),
        })
        .collect()
}

/// `5.3s`, `12:03`, `1:02:03`, rounded to the last digit shown: short enough for a table
/// column.
pub fn short_duration(t: Micros) -> String {
    let t = t.max(0);
    let tenths = (t + 50_000) / 100_000;
    if tenths < 600 {
        return format!("{}.{}s", tenths / 10, tenths % 10);
    }
    let s = (t + 500_000) / 1_000_000;
    if s < 3600 {
        format!("{}:{:02}", s / 60, s % 60)
    } else {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}

/// `512 B`, `1.5 KiB`, `3.0 GiB`: short enough for a table column.
pub fn bytes_short(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

fn bytes_long(n: u64) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else {
        format!("{n} bytes ({})", bytes_short(n))
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian calendar).
pub fn utc(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    fn info_of(text: &str, threshold: Micros) -> Info {
        let mut rdr =
            Reader::new(Box::new(io::Cursor::new(text.as_bytes().to_vec())), None).expect("header");
        Info::read(&mut rdr, threshold).expect("events")
    }

    #[test]
    fn sums_up_a_recording() {
        let i = info_of(
            "{\"version\": 2, \"width\": 80, \"height\": 24, \"title\": \"t\"}\n\
             [0.5, \"o\", \"h\\u00e9\\r\\n\"]\n[1, \"r\", \"100x30\"]\n[1.5, \"r\", \"100x30\"]\n\
             [6, \"m\", \"build\"]\n[7, \"e\", \"oops\"]\n[7.5, \"r\", \"24,80\"]\n\
             [7, \"rlib\", \"?\"]\n[10, \"x\", \"3\"]\n",
            2_000_000,
        );
        assert_eq!(i.version, 2);
        assert_eq!(i.counts, [1, 0, 3, 1, 1, 1]);
        assert_eq!(i.other_codes.get("rlib"), Some(&1));
        assert_eq!(i.events(), 8);
        assert_eq!(i.output_bytes, 5);
        assert_eq!(i.stderr_bytes, 4);
        assert_eq!(i.resizes, 2);
        assert_eq!(i.resized_to, [(100, 30)]);
        assert_eq!(
            (i.longest_pause, i.longest_pause_at),
            (4_500_000, 1_500_000)
        );
        assert_eq!((i.idle, i.idle_pauses), (3_500_000, 2));
        assert_eq!(i.backwards, 1);
        assert_eq!(i.duration, 10_000_000);
        assert_eq!(i.markers, [(6_000_000, "build".to_string())]);
        assert_eq!(i.exit.as_deref(), Some("3"));
        assert!(i.complete());
    }

    #[test]
    fn plain_and_bent_lines_sum_up_alike() {
        // Plain lines are counted borrowed from the reader, lines in any other form from a
        // record: the sums must not tell them apart.
        let [plain, bent] = crate::read::plain_and_bent_recordings();
        let sums =
            |cast: &[u8]| info_of(std::str::from_utf8(cast).unwrap(), 1_000_000).to_json(1_000_000);
        assert_eq!(sums(&plain), sums(&bent));
        let i = info_of(std::str::from_utf8(&plain).unwrap(), 0);
        assert_eq!(i.counts.iter().sum::<u64>(), 9);
        let long = 9 * "\x1b[1;32m中文 résumé ✓\r\n".len() as u64;
        assert_eq!(
            i.output_bytes,
            long + "50%\r60%\r\n".len() as u64 + "😀 x".len() as u64
        );
        assert_eq!(i.stderr_bytes, long + "warné\r\n".len() as u64);
    }

    #[test]
    fn completeness() {
        let v3 = "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n[0.5, \"o\", \"a\"]\n";
        // v3 without an exit event is whole; the missing exit is reported on its own.
        assert!(info_of(v3, 0).complete());
        assert_eq!(info_of(v3, 0).status(), "ok");
        assert_eq!(info_of(v3, 0).exit, None);
        let v2 = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"a\"]\n";
        assert!(info_of(v2, 0).complete());
        let cut = format!("{v2}[0.7, \"o\", \"b");
        assert_eq!(info_of(&cut, 0).status(), "cut off");
    }

    #[test]
    fn decoded_length_matches_decoding() {
        let tokens = [
            r#""""#,
            r#""plain""#,
            r#""\u001b[0m\r\n\\\"\/\b\f\t""#,
            r#""\ud83d\ude00 \u4e2d\u00e9\u00E9""#,
            r#""\ud83dx\ude00\ud83d\ud83d\ude00\ud83d""#,
            r#""\ud83d\n""#,
            r#""\ud83d""#,
            "\"é中😀\\u0041\"",
        ];
        let mut scratch = String::new();
        for t in tokens {
            let want = crate::event::decode_json_str(t.as_bytes(), &mut scratch).len() as u64;
            assert_eq!(decoded_len(t.as_bytes()), want, "{t}");
        }
        for s in ["", "a\u{1b}[1m\r\n\"\\", "\u{7f}\u{0}é😀", "\\u1234"] {
            let tok = crate::event::json_str(s);
            assert_eq!(decoded_len(&tok), s.len() as u64, "{s:?}");
        }
    }

    #[test]
    fn bytes_counted_by_the_scan_are_the_decoded_texts() {
        // Output of every length around the 64-byte blocks of the reader's scan, escapes
        // everywhere (ASCII ones counted by the scan, wider ones by `text_len`, some split by
        // a block's end): the sum must be the decoded texts' own.
        let pieces = [
            "a",
            "\\u001b[0m",
            "\\r\\n",
            "\\\\",
            "\\\"",
            "\\u007f",
            "\\u0080",
            "\\u00e9",
            "\\ud83d\\ude00",
            "é",
            "中",
            "xyz",
            "\\t",
            "\\/",
        ];
        // Two tokens in three have only escapes the scan counts: every piece but `\u0080`,
        // `\u00e9` and the surrogate pair.
        let narrow: Vec<&str> = (0..pieces.len())
            .filter(|&i| ![6, 7, 8].contains(&i))
            .map(|i| pieces[i])
            .collect();
        let mut rng = crate::testing::Rng(0x9E37_79B9_7F4A_7C15);
        let mut cast = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
        let mut want = 0u64;
        for k in 0..3000 {
            let mut token = String::from("\"");
            let pool = if k % 3 == 0 { &pieces[..] } else { &narrow[..] };
            while token.len() < 1 + k % 200 {
                token.push_str(pool[rng.below(pool.len())]);
            }
            token.push('"');
            // serde_json, not castkit's decoder, says what the text is.
            want += serde_json::from_str::<String>(&token).unwrap().len() as u64;
            cast.push_str(&format!("[{}.5, \"o\", {token}]\n", k));
        }
        assert_eq!(info_of(&cast, 0).output_bytes, want);
    }

    #[test]
    fn formats() {
        assert_eq!(short_duration(5_250_000), "5.3s");
        assert_eq!(short_duration(31_280_000), "31.3s");
        assert_eq!(short_duration(31_240_000), "31.2s");
        assert_eq!(short_duration(59_949_999), "59.9s");
        assert_eq!(short_duration(59_970_000), "1:00");
        assert_eq!(short_duration(2 * 59_970_000), "2:00");
        assert_eq!(short_duration(3_599_600_000), "1:00:00");
        assert_eq!(short_duration(723_000_000), "12:03");
        assert_eq!(short_duration(3_723_000_000), "1:02:03");
        assert_eq!(bytes_short(1023), "1023 B");
        assert_eq!(bytes_short(1536), "1.5 KiB");
        assert_eq!(bytes_short(3 << 30), "3.0 GiB");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(printable("a\x1b[31mb\u{9b}"), "a^[[31mb\\u{9b}");
    }

    /// A recording of `lines` events made up from `rng`: v2 or v3, every code, valid and
    /// invalid resizes, times running backwards, blank and comment lines, lines in a bent
    /// form; with `damage`, also lines the reader repairs or refuses and a cut-off end.
    fn made_up(rng: &mut Rng, v3: bool, lines: usize, damage: bool) -> String {
        let mut s = String::from(if v3 {
            "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n"
        } else {
            "{\"version\": 2, \"width\": 80, \"height\": 24}\n"
        });
        const DATA: &[&str] = &[
            "ab",
            "\\u001b[31m",
            "\\r\\n",
            "é",
            "\\u00e9",
            "日本",
            "\\\"",
            "\\\\",
            "\\ud83d\\ude00",
        ];
        let mut t: i64 = 0;
        for _ in 0..lines {
            // Steps at the idle threshold (2 s) and a microsecond either side of equal.
            const STEPS: &[i64] = &[0, 1, -1, 250_000, 2_000_000, 2_000_001, 4_000_000, -700_000];
            let time = if v3 {
                STEPS[rng.below(STEPS.len())]
            } else {
                t = (t + match rng.below(12) {
                    k @ 0..8 => STEPS[k],
                    _ => rng.below(900_000) as i64,
                })
                .max(0);
                t
            };
            let sign = if time < 0 { "-" } else { "" };
            let time = format!(
                "{sign}{}.{:06}",
                time.abs() / 1_000_000,
                time.abs() % 1_000_000
            );
            let (code, data) = match rng.below(20) {
                0 => ("i", "x".to_string()),
                1 | 2 => (
                    "r",
                    ["100x30", "80x24", "120x40", "abc", "90x10"][rng.below(5)].into(),
                ),
                3 => ("m", format!("mark {}", rng.below(9))),
                4 => ("x", rng.below(4).to_string()),
                5 => (["q", "zz", "rlib"][rng.below(3)], "?".into()),
                6 => ("e", "oops\\n".into()),
                _ => (
                    "o",
                    (0..rng.below(6))
                        .map(|_| DATA[rng.below(DATA.len())])
                        .collect(),
                ),
            };
            match rng.below(30) {
                0 => s.push('\n'),
                1 => s.push_str("# a comment\n"),
                2 => s.push_str(&format!("[ {time} , \"{code}\" , \"{data}\" ]\n")),
                3 if damage => s.push_str(&format!("[{time}, \"o\", \"raw\ttab\"]\n")),
                4 if damage && rng.below(4) == 0 => s.push_str("not an event\n"),
                _ => s.push_str(&format!("[{time}, \"{code}\", \"{data}\"]\n")),
            }
        }
        if damage && rng.below(3) == 0 {
            s.push_str("[9.5, \"o\", \"cut of");
        }
        s
    }

    /// What reading `path` gives, as text to compare: the JSON summary and the block, or the
    /// error.
    fn summed(path: &Path, split: Option<u64>) -> (String, bool) {
        let read = || -> Result<(Info, bool)> {
            let mut rdr = Reader::open(path)?;
            match split {
                None => Ok((Info::read(&mut rdr, 2_000_000)?, false)),
                Some(from) => match rdr.split_after(from) {
                    Some(second) => Info::read_parts(&mut rdr, second, 2_000_000),
                    None => panic!("{} split after {from} refused", path.display()),
                },
            }
        };
        match read() {
            Ok((i, joined)) => (
                format!("{}\n{}", i.to_json(2_000_000), i.block(2_000_000)),
                joined,
            ),
            Err(e) => (format!("error: {e}"), false),
        }
    }

    /// Every line boundary of `text` with something after it, to split `path` after, and what a
    /// straight read gives each time; counts how often the second part's tally was used.
    fn check_splits(path: &Path, text: &[u8], joined: &mut usize, read_again: &mut usize) {
        let (whole, _) = summed(path, None);
        let len = text.len();
        for (k, _) in text
            .iter()
            .enumerate()
            .filter(|&(k, &b)| b == b'\n' && k + 1 < len)
        {
            let (split, used) = summed(path, Some(k as u64));
            assert_eq!(split, whole, "{} split after byte {k}", path.display());
            if used {
                *joined += 1;
            } else {
                *read_again += 1;
            }
        }
    }

    #[test]
    fn a_file_read_in_two_parts_sums_up_as_read_straight() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.cast");
        let mut rng = Rng(0x05ee_d1f0);
        let (mut joined, mut read_again) = (0, 0);
        for k in 0..240 {
            let lines = 5 + rng.below(40);
            let text = made_up(&mut rng, k % 2 == 1, lines, k % 3 == 2);
            std::fs::write(&path, &text).unwrap();
            check_splits(&path, text.as_bytes(), &mut joined, &mut read_again);
        }
        // Both ways of ending were taken, often (the first half's reader reads on after an
        // error in the second, or past the cap of codes).
        assert!(
            joined > 4000 && read_again > 300,
            "{joined} joined, {read_again} read again"
        );
    }

    #[test]
    fn a_file_cut_shorter_after_the_split_reads_as_it_is_now() {
        // The first half then ends cut off, which it cannot when the file is as it was:
        // the result is a straight read's of the shorter file, not a join or a reading on.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shrinks.cast");
        let mut rng = Rng(99);
        // Long enough that the cut falls past what the reader buffered at open.
        let text = made_up(&mut rng, false, 50_000, false);
        assert!(text.len() > 1 << 20);
        for cut_at in [text.len() * 2 / 5, text.len() * 2 / 5 + 7] {
            std::fs::write(&path, &text).unwrap();
            let mut rdr = Reader::open(&path).unwrap();
            let second = rdr.split_after(text.len() as u64 / 2).expect("a split");
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(cut_at as u64)
                .unwrap();
            let (split, joined) = Info::read_parts(&mut rdr, second, 2_000_000).unwrap();
            assert!(!joined);
            let straight = Info::read(&mut Reader::open(&path).unwrap(), 2_000_000).unwrap();
            assert_eq!(split.to_json(2_000_000), straight.to_json(2_000_000));
        }
    }

    #[test]
    fn a_file_read_from_an_offset_splits_from_there() {
        // As standard input redirected from a file whose offset is not 0: the split falls in
        // the middle of what is left (the middle of the file lies in what is not read), and
        // the offset ends where a straight read leaves it.
        use std::io::{Seek, SeekFrom, Write};
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n");
        for k in 0..20_000 {
            let code = ["o", "i", "m", "o", "r"][k % 5];
            let data = if code == "r" {
                format!("{}x24", 80 + k % 7)
            } else {
                format!("{k}")
            };
            text.push_str(&format!(
                "[{}.{:06}, \"{code}\", \"{data}\"]\n",
                k % 3,
                k % 1000
            ));
        }
        let prefix = "{\"version\": 2, \"width\": 1, \"height\": 1}\n[1, \"o\", \"not this\"]\n"
            .repeat(30_000);
        let alone = dir.path().join("alone.cast");
        std::fs::write(&alone, &text).unwrap();
        let straight = Info::read(&mut Reader::open(&alone).unwrap(), 2_000_000).unwrap();
        let path = dir.path().join("after.cast");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(format!("{prefix}{text}").as_bytes()).unwrap();
        let mut f = std::fs::File::open(&path).unwrap();
        f.seek(SeekFrom::Start(prefix.len() as u64)).unwrap();
        let shared = f.try_clone().unwrap();
        let mut rdr = Reader::from_file(f, "<stdin>".into()).unwrap();
        assert_eq!(rdr.file_start(), prefix.len() as u64);
        assert!(prefix.len() > text.len());
        let (split, joined) = Info::read_split_how(&mut rdr, 2_000_000, 0).unwrap();
        assert_eq!(joined, Some(true));
        assert_eq!(split.to_json(2_000_000), straight.to_json(2_000_000));
        let mut shared = shared;
        assert_eq!(
            shared.stream_position().unwrap(),
            (prefix.len() + text.len()) as u64
        );
    }

    #[test]
    fn warnings_past_the_cap_split_alike() {
        // Up to 20 warnings are kept and then a line that says more were left out, counted
        // over both halves as a straight read counts them; a cut-off end counts as one too.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("warned.cast");
        let (mut joined, mut read_again) = (0, 0);
        for (bad, cut) in [
            (12, false),
            (19, true),
            (20, false),
            (21, true),
            (45, false),
        ] {
            let mut text = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
            for k in 0..50 {
                let data = if k % 50 < bad { "not a size" } else { "90x30" };
                text.push_str(&format!(
                    "[{k}, \"o\", \"x\"]\n[{k}.5, \"r\", \"{data}\"]\n"
                ));
            }
            if cut {
                text.push_str("[99, \"o\", \"cut of");
            }
            std::fs::write(&path, &text).unwrap();
            check_splits(&path, text.as_bytes(), &mut joined, &mut read_again);
        }
        // Every split with warnings on both sides joined.
        assert_eq!(read_again, 0);
        assert!(joined > 400, "{joined}");
    }

    #[test]
    fn codes_and_sizes_past_the_cap_split_alike() {
        // More distinct codes and sizes than are kept, spread over both parts in orders that
        // decide which are kept.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.cast");
        let mut rng = Rng(77);
        let (mut joined, mut read_again) = (0, 0);
        // 258 distinct: the cap is passed by two, so which two are dropped shows.
        for distinct in [250, 258, 300] {
            let mut codes: Vec<usize> = (0..distinct).chain((0..80).map(|k| k * 3)).collect();
            for k in (1..codes.len()).rev() {
                codes.swap(k, rng.below(k + 1));
            }
            let mut text = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
            for (k, c) in codes.into_iter().enumerate() {
                text.push_str(&format!(
                    "[{k}, \"c{c}\", \"\"]\n[{k}.5, \"r\", \"{}x9\"]\n",
                    c + 1
                ));
            }
            std::fs::write(&path, &text).unwrap();
            check_splits(&path, text.as_bytes(), &mut joined, &mut read_again);
        }
        assert!(
            joined > 100 && read_again > 100,
            "{joined} joined, {read_again} read again"
        );
    }

    #[test]
    fn the_corpus_read_in_two_parts_sums_up_as_read_straight() {
        let dir = std::env::var_os("CASTKIT_CORPUS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!(
                "note: no {} (or CASTKIT_CORPUS): corpus split check skipped",
                dir.display()
            );
            return;
        };
        let (mut files, mut splits) = (0, 0);
        for e in entries {
            let path = e.unwrap().path();
            let text = std::fs::read(&path).unwrap();
            let Ok(mut rdr) = Reader::open(&path) else {
                continue;
            };
            if rdr.split_after(0).is_none() {
                continue; // not newline-delimited (v1, an array, compressed) or one line
            }
            files += 1;
            let (whole, _) = summed(&path, None);
            // Up to 25 boundaries spread over the file.
            let nls: Vec<usize> = text
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(k, _)| k)
                .collect();
            for &k in nls
                .iter()
                .step_by(nls.len() / 25 + 1)
                .filter(|&&k| k + 1 < text.len())
            {
                assert_eq!(
                    summed(&path, Some(k as u64)).0,
                    whole,
                    "{} after {k}",
                    path.display()
                );
                splits += 1;
            }
        }
        assert!(files > 40, "{files} corpus files could be split");
        eprintln!("{files} corpus files, {splits} splits");
    }

    proptest::proptest! {
        #[test]
        fn decoded_length_of_any_text(s in "\\PC*|[\\x00-\\x20\"\\\\é😀]*") {
            let tok = crate::event::json_str(&s);
            proptest::prop_assert_eq!(decoded_len(&tok), s.len() as u64);
        }
    }
}
