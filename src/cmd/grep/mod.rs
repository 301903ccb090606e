//! cast-grep: search recordings for text as the viewer saw it, and say when it appeared.
//!
//! Grepping a recording's JSON misses text split across events or broken up by colour codes,
//! and finds escape sequences and JSON escapes instead of text; converting to text first loses
//! the time. cast-grep decodes the output, removes escape sequences, applies carriage returns
//! and erases the way a terminal shows them, and assembles lines across events
//! ([`screen`]); then searches the lines in blocks ([`matcher`], [`search`]). Each byte of a
//! line remembers the event that wrote it, so a match is dated by the event that completed it.
//!
//! Files are searched in parallel (rayon); a shared printer keeps the output in argument order
//! by streaming the first unfinished file and holding the others' output until their turn.

pub mod emu;
pub mod matcher;
pub mod screen;
pub mod search;
pub mod textterm;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{CommandFactory, Parser, ValueEnum};
use rayon::prelude::*;

use crate::cli::walk::{Found, WalkArgs};
use crate::cli::{self, EXIT_ERROR, EXIT_NO_MATCH, EXIT_OK, Input, Sink, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::header::{Header, Version};
use crate::write::Writer;
use matcher::{Matcher, Options};
use search::{CastOut, Config, Dest, Report, Source};

const EXAMPLES: &str = "\
Examples:
  cast-grep error demo.cast                  lines with 'error', and when they appeared
  cast-grep -i -C 2 'panic|fatal' *.cast     case-insensitive regex, two lines of context
  cast-grep -F -c 'a.b' demo.cast            count lines with the fixed string a.b
  cast-grep -r -l TODO recordings/           recordings (*.cast, *.json) that show TODO
  cast-grep --input 'rm -rf' demo.cast       what was typed
  cast-grep --json error demo.cast           one JSON object per line, for scripts
  cast-grep --cast error demo.cast > e.cast  the events that showed the matches
  tail -f live.cast | cast-grep --line-buffered error   follow a recording as it grows

Output:
  FILE:TIME:LINE, TIME as H:MM:SS.mmm, the moment the match appeared (the time of the
  event that completed the matched text), with microseconds (H:MM:SS.mmmmmm) when it is
  not a whole millisecond: exact, so `cast-to-txt --at TIME` shows the screen with the
  match. FILE is shown when there are several inputs.
  With -n, FILE:EVENT:TIME:LINE: EVENT is that event's number (0-based, in file order).
  Context lines use '-' instead of ':', and '--' separates groups.

What is searched:
  The text as a terminal showed it, one line at a time: escape sequences removed, lines
  assembled across events, a carriage return or backspace followed by new text overwrites
  (a progress bar is found in its final state), ESC[K erases, wide characters take two
  columns. Lines are not wrapped at the terminal width, but a line goes on as a new one
  once it holds 64 KiB, so memory stays bounded. Full-screen programs (editors,
  top) are approximated: moving the cursor to another row ends the current line, so their
  screens come out as the fragments they draw. Output (o) and stderr (e) events are
  searched together, as they shared the screen.

Writing a recording (--cast):
  Writes every event that put text on a selected line, untouched, with the input's header,
  so the result is a valid recording. With several inputs the recording takes the first
  input's header; each input's events follow the previous input's, after a marker named
  after the file (these inputs are searched one after another).

Exit status:
  0  a line was selected (with -q, even if an error occurred)
  1  no line was selected
  2  an error (a bad option or pattern, an unreadable or malformed recording)";

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Search asciicast recordings for text as it appeared on screen, with times
///
/// Prints each line that matches PATTERN (a regular expression; a fixed string with -F) with
/// the time the match appeared. Searches the text a viewer saw: escape sequences removed,
/// lines assembled across events, carriage-return overwrites applied.
#[derive(Debug, Parser)]
#[command(name = "cast-grep", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Pattern to search for (with -e, every positional argument is a FILE)
    #[arg(value_name = "PATTERN", required_unless_present = "regexp")]
    pub pattern: Option<OsString>,

    /// Recordings to search (v1, v2 or v3) [default: standard input; with -r, `.`]
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// A pattern to search for; repeat for several
    ///
    /// A line matching any of the patterns is selected.
    #[arg(short = 'e', long = "regexp", value_name = "PATTERN")]
    pub regexp: Vec<OsString>,

    /// Patterns are fixed strings, not regular expressions
    #[arg(short = 'F', long)]
    pub fixed_strings: bool,

    /// Ignore case
    #[arg(short = 'i', long)]
    pub ignore_case: bool,

    /// Match whole words only
    #[arg(short = 'w', long)]
    pub word_regexp: bool,

    /// Match whole lines only
    #[arg(short = 'x', long)]
    pub line_regexp: bool,

    /// Select lines that do not match
    #[arg(short = 'v', long)]
    pub invert_match: bool,

    /// Print only the number of selected lines of each input
    #[arg(short = 'c', long, conflicts_with_all = ["files_with_matches", "files_without_match"])]
    pub count: bool,

    /// Print only the names of inputs with selected lines
    #[arg(short = 'l', long, conflicts_with = "files_without_match")]
    pub files_with_matches: bool,

    /// Print only the names of inputs without selected lines
    #[arg(short = 'L', long)]
    pub files_without_match: bool,

    /// Print nothing; exit 0 at the first selected line
    // grep's -q, not the filters' "no warnings": a name of its own keeps the two apart.
    #[arg(short = 'q', long = "quiet", visible_alias = "silent")]
    pub quiet_match: bool,

    /// Print no messages about bad inputs
    ///
    /// Unreadable or malformed inputs are not reported; the exit status still says so.
    #[arg(short = 's', long)]
    pub no_messages: bool,

    /// Stop reading an input after NUM selected lines
    #[arg(short = 'm', long, value_name = "NUM")]
    pub max_count: Option<u64>,

    /// Print NUM lines of context after each selected line
    #[arg(short = 'A', long, value_name = "NUM")]
    pub after_context: Option<usize>,

    /// Print NUM lines of context before each selected line
    #[arg(short = 'B', long, value_name = "NUM")]
    pub before_context: Option<usize>,

    /// Print NUM lines of context before and after each selected line
    #[arg(short = 'C', long, value_name = "NUM")]
    pub context: Option<usize>,

    /// Print only the matched parts, each on its own line with its own time
    #[arg(short = 'o', long)]
    pub only_matching: bool,

    /// Print the number of the event that completed each line, after the file name
    ///
    /// grep's -n: a recording's lines are assembled from events, so the number is the event's
    /// (0-based, in file order, the `event` of --json), as in FILE:EVENT:TIME:LINE.
    #[arg(short = 'n', long = "line-number", visible_alias = "event-number")]
    pub line_number: bool,

    /// Print the file name with each line (the default with several inputs)
    #[arg(short = 'H', long, overrides_with = "no_filename")]
    pub with_filename: bool,

    /// Never print file names
    #[arg(long, overrides_with = "with_filename")]
    pub no_filename: bool,

    /// Colour matches, file names and times
    ///
    /// auto colours when standard output is a terminal and NO_COLOR is not set.
    #[arg(long, alias = "colour", value_enum, value_name = "WHEN", default_value = "auto",
          num_args = 0..=1, require_equals = true, default_missing_value = "auto")]
    pub color: ColorWhen,

    /// Search the typed input (i events) instead of the output
    #[arg(long, conflicts_with_all = ["stderr", "markers"])]
    pub input: bool,

    /// Search only the stderr output (castkit's e events)
    #[arg(long, conflicts_with = "markers")]
    pub stderr: bool,

    /// Search marker labels (m events)
    #[arg(long)]
    pub markers: bool,

    /// Print one JSON object per line, for scripts
    ///
    /// One object per selected or context line: type, file, time (seconds), event (0-based
    /// index in the recording), line, and matches (byte offsets with their times).
    #[arg(long, conflicts_with_all = ["count", "files_with_matches", "files_without_match", "only_matching"])]
    pub json: bool,

    /// Write the matching events as a recording
    ///
    /// The events that put text on selected lines, after the header, untouched.
    #[arg(long, conflicts_with_all = ["count", "files_with_matches", "files_without_match",
          "only_matching", "json", "context", "after_context", "before_context"])]
    pub cast: bool,

    #[command(flatten)]
    pub walk: WalkArgs,

    /// Flush after every line printed (the default when standard output is a terminal)
    // Lines, not events as in the filters: a name of its own keeps the two apart.
    #[arg(long = "line-buffered")]
    pub line_buffered_lines: bool,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let mut a: Args = cli::parse(command(), args);
    let mut patterns = Vec::new();
    if a.regexp.is_empty() {
        patterns.extend(a.pattern.take());
    } else {
        patterns = std::mem::take(&mut a.regexp);
        if let Some(p) = a.pattern.take() {
            a.files.insert(0, PathBuf::from(p));
        }
    }
    let patterns = patterns
        .into_iter()
        .map(|p| {
            p.into_string()
                .map_err(|p| Error::msg(format!("pattern is not UTF-8: {}", p.to_string_lossy())))
        })
        .collect::<Result<Vec<String>>>()?;
    let matcher = Matcher::new(
        &patterns,
        &Options {
            fixed: a.fixed_strings,
            ignore_case: a.ignore_case,
            word: a.word_regexp,
            line: a.line_regexp,
        },
    )?;

    let (items, walked) = inputs(&a)?;
    let report = if a.quiet_match {
        Report::Quiet
    } else if a.files_with_matches {
        Report::FilesWith
    } else if a.files_without_match {
        Report::FilesWithout
    } else if a.count {
        Report::Count
    } else if a.cast {
        Report::Cast
    } else if a.json {
        Report::Json
    } else if a.only_matching {
        Report::OnlyMatching
    } else {
        Report::Lines
    };
    let (mut before, mut after) = (
        a.before_context.or(a.context).unwrap_or(0),
        a.after_context.or(a.context).unwrap_or(0),
    );
    if !matches!(report, Report::Lines | Report::Json) {
        (before, after) = (0, 0);
    }
    let stdout_tty = io::stdout().is_terminal();
    let color = match a.color {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            stdout_tty
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    } && !matches!(report, Report::Json | Report::Cast | Report::Quiet);
    let cfg = Config {
        matcher,
        invert: a.invert_match,
        report,
        max_count: a.max_count,
        before,
        after,
        with_filename: if a.no_filename {
            false
        } else {
            a.with_filename || items.len() > 1 || walked
        },
        event_numbers: a.line_number,
        color,
        source: if a.input {
            Source::Input
        } else if a.stderr {
            Source::Stderr
        } else if a.markers {
            Source::Markers
        } else {
            Source::Screen
        },
        line_buffered: cli::line_buffered(a.line_buffered_lines),
        stop: AtomicBool::new(false),
    };
    let quiet_msgs = a.no_messages;
    if report == Report::Cast {
        run_cast(&cfg, &items, quiet_msgs)
    } else {
        a.walk.install(|| run_text(&cfg, &items, quiet_msgs))?
    }
}

/// An input to search, or why a path could not be listed (the message).
enum Item {
    Input { input: Input, walked: bool },
    Error(String),
}

/// The inputs in argument order, directories walked with -r; and whether any were walked.
fn inputs(a: &Args) -> Result<(Vec<Item>, bool)> {
    let items = a
        .walk
        .expand(&a.files)?
        .into_iter()
        .map(|f| match f {
            Found::Input { input, root } => Item::Input {
                input,
                walked: root.is_some(),
            },
            Found::Error(e) => Item::Error(e.to_string()),
        })
        .collect();
    // A directory searched shows file names even when it held one recording, or none.
    let walked = a.walk.recursive
        && (a.files.is_empty() || a.files.iter().any(|f| f.as_os_str() != "-" && f.is_dir()));
    Ok((items, walked))
}

/// A message to print when the printer reaches its input.
enum Msg {
    Error(String),
    Warn(String),
}

fn say(m: &Msg) {
    match m {
        Msg::Error(e) => cli::error(e),
        Msg::Warn(w) => cli::warn(w),
    }
}

/// Prints each input's output in argument order: the first unfinished input's output goes
/// straight out, the others' waits in memory until their turn.
struct Printer {
    state: Mutex<PrintState>,
}

struct PrintState {
    out: Box<dyn Write + Send>,
    head: usize,
    slots: Vec<Slot>,
    failed: Option<io::ErrorKind>,
}

#[derive(Default)]
struct Slot {
    buf: Vec<u8>,
    done: bool,
    msgs: Vec<Msg>,
}

impl Printer {
    fn new(out: Box<dyn Write + Send>, n: usize) -> Printer {
        Printer {
            state: Mutex::new(PrintState {
                out,
                head: 0,
                slots: (0..n).map(|_| Slot::default()).collect(),
                failed: None,
            }),
        }
    }

    fn write(&self, slot: usize, bytes: &[u8], flush: bool) -> io::Result<()> {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let st = &mut *guard;
        if let Some(k) = st.failed {
            return Err(io::Error::from(k));
        }
        if st.head == slot {
            let r = st
                .out
                .write_all(bytes)
                .and_then(|()| if flush { st.out.flush() } else { Ok(()) });
            if let Err(e) = &r {
                st.failed = Some(e.kind());
            }
            r
        } else {
            st.slots[slot].buf.extend_from_slice(bytes);
            Ok(())
        }
    }

    /// Marks `slot` finished and prints every finished input up to the first unfinished one.
    fn finish(&self, slot: usize, msgs: Vec<Msg>) {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let st = &mut *guard;
        st.slots[slot].done = true;
        st.slots[slot].msgs = msgs;
        while st.head < st.slots.len() {
            let h = st.head;
            let buf = std::mem::take(&mut st.slots[h].buf);
            if st.failed.is_none()
                && let Err(e) = st.out.write_all(&buf).and_then(|()| st.out.flush())
            {
                st.failed = Some(e.kind());
            }
            if !st.slots[h].done {
                break;
            }
            for m in std::mem::take(&mut st.slots[h].msgs) {
                say(&m);
            }
            st.head += 1;
        }
    }

    fn failure(&self) -> Option<io::ErrorKind> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).failed
    }
}

/// Searches every input (in parallel when there are several), printing text.
fn run_text(cfg: &Config, items: &[Item], quiet_msgs: bool) -> Result<u8> {
    let out = Sink::create(&Target::Stdout)?.writer()?;
    let printer = Printer::new(out, items.len());
    let selected = AtomicBool::new(false);
    let errors = AtomicBool::new(false);
    let single = items.len() == 1;
    let one = |(k, item): (usize, &Item)| {
        let mut msgs = Vec::new();
        if cfg.stop.load(Ordering::Relaxed) {
            printer.finish(k, msgs);
            return;
        }
        match item {
            Item::Error(e) => {
                errors.store(true, Ordering::Relaxed);
                if !quiet_msgs {
                    msgs.push(Msg::Error(e.clone()));
                }
            }
            Item::Input { input, walked } => {
                let mut flush = |b: &[u8], f: bool| printer.write(k, b, f);
                let mut dest = Dest::Text {
                    buf: Vec::with_capacity(64 * 1024),
                    flush: &mut flush,
                };
                match search_input(cfg, input, &mut dest, &mut msgs, quiet_msgs, single) {
                    Ok(n) => {
                        if n > 0 {
                            selected.store(true, Ordering::Relaxed);
                        }
                    }
                    Err(e) if e.is_broken_pipe() => cfg.stop.store(true, Ordering::Relaxed),
                    // A file met while walking that is not a recording at all is skipped.
                    Err(e) if *walked && is_not_a_cast(&e) => {}
                    Err(e) => {
                        errors.store(true, Ordering::Relaxed);
                        if matches!(e.kind, ErrorKind::Io(_)) && e.path.is_none() {
                            // Writing failed (the printer recorded it).
                            cfg.stop.store(true, Ordering::Relaxed);
                        } else if !quiet_msgs {
                            msgs.push(Msg::Error(e.to_string()));
                        }
                    }
                }
            }
        }
        printer.finish(k, msgs);
    };
    if items.len() == 1 {
        one((0, &items[0]));
    } else {
        items.iter().enumerate().par_bridge().for_each(one);
    }
    if let Some(kind) = printer.failure() {
        let e = Error::from(io::Error::from(kind));
        if e.is_broken_pipe() {
            return Err(e);
        }
        return Err(e.in_file("<stdout>"));
    }
    Ok(status(
        selected.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
        cfg.report == Report::Quiet,
    ))
}

fn status(selected: bool, errors: bool, quiet: bool) -> u8 {
    if selected && (quiet || !errors) {
        EXIT_OK
    } else if errors {
        EXIT_ERROR
    } else if selected {
        EXIT_OK
    } else {
        EXIT_NO_MATCH
    }
}

fn is_not_a_cast(e: &Error) -> bool {
    matches!(e.kind, ErrorKind::NotACast(_) | ErrorKind::Header(_))
}

/// Whether to read `input` on a thread of its own: only when it is the one input (several
/// are searched in parallel already), and a big regular file (a pipe could block that thread
/// in a read after the search is over, as with `-q` on a live recording).
fn threaded(input: &Input, single: bool) -> bool {
    const BIG: u64 = 8 << 20;
    match input {
        Input::File(p) if single => {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() >= BIG)
        }
        _ => false,
    }
}

/// Opens and searches one input; returns the number of selected lines.
fn search_input(
    cfg: &Config,
    input: &Input,
    dest: &mut Dest,
    msgs: &mut Vec<Msg>,
    quiet_msgs: bool,
    single: bool,
) -> Result<u64> {
    let name = input.name();
    if let Input::File(p) = input
        && matches!(
            cfg.report,
            Report::Lines | Report::OnlyMatching | Report::Json
        )
    {
        crate::cli::output::check_not_stdout(p)?;
    }
    let mut rdr = input.open()?;
    let found =
        search::search(cfg, &mut rdr, &name, dest, threaded(input, single)).map_err(|e| {
            // Errors without a file are the output's (the reader names its input).
            if e.path.is_none() && !matches!(e.kind, ErrorKind::Io(_)) {
                e.in_file(&name)
            } else {
                e
            }
        })?;
    if let Some(t) = rdr.truncation()
        && !quiet_msgs
        && cfg.report != Report::Quiet
    {
        msgs.push(Msg::Warn(format!("{}: {t}", name.display())));
    }
    Ok(found.selected)
}

/// `--cast`: searches the inputs one after another into one recording.
fn run_cast(cfg: &Config, items: &[Item], quiet_msgs: bool) -> Result<u8> {
    let sink = Sink::create(&Target::Stdout)?;
    let several = items.len() > 1;
    let mut out: Option<CastOut> = None;
    let (mut selected, mut errors) = (false, false);
    let report = |e: &dyn std::fmt::Display| {
        if !quiet_msgs {
            cli::error(e);
        }
    };
    for item in items {
        let (input, walked) = match item {
            Item::Error(e) => {
                errors = true;
                report(e);
                continue;
            }
            Item::Input { input, walked } => (input, *walked),
        };
        let name = input.name();
        let r = (|| -> Result<u64> {
            if let Input::File(p) = input {
                crate::cli::output::check_not_stdout(p)?;
            }
            let mut rdr = input.open()?;
            let hdr = rdr.header();
            let size = Some(hdr.size());
            match &mut out {
                None => {
                    let mut h: Header = hdr.clone();
                    let version = match rdr.version() {
                        Version::V1 => Version::V2,
                        v => v,
                    };
                    if several {
                        h.times_changed();
                    }
                    let mut w = Writer::new(sink.writer()?, version);
                    w.set_line_buffered(cfg.line_buffered);
                    w.write_header(&h)?;
                    out = Some(CastOut::new(w, several, size));
                }
                Some(o) => {
                    if o.size != size
                        && let Some((c, r)) = size
                    {
                        let t = o.last_time();
                        o.w.write_text(t, crate::event::Code::Resize, &format!("{c}x{r}"))?;
                        o.size = size;
                    }
                }
            }
            let o = out.as_mut().expect("opened");
            let mut dest = Dest::Cast(o);
            let n = search::search(cfg, &mut rdr, &name, &mut dest, threaded(input, !several))?;
            if let Some(t) = rdr.truncation()
                && !quiet_msgs
            {
                cli::warn(format!("{}: {t}", name.display()));
            }
            Ok(n.selected)
        })();
        match r {
            Ok(n) => selected |= n > 0,
            Err(e) if e.is_broken_pipe() => return Err(e),
            Err(e) if walked && is_not_a_cast(&e) => {}
            Err(e) => {
                if matches!(e.kind, ErrorKind::Io(_)) && e.path.is_none() {
                    return Err(e.in_file("<stdout>"));
                }
                errors = true;
                report(&e);
            }
        }
    }
    if let Some(o) = out {
        o.w.finish()
            .map_err(|e| Error::from(e).in_file("<stdout>"))?;
    }
    Ok(status(selected, errors, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_follows_grep() {
        assert_eq!(status(true, false, false), EXIT_OK);
        assert_eq!(status(false, false, false), EXIT_NO_MATCH);
        assert_eq!(status(true, true, false), EXIT_ERROR);
        assert_eq!(status(true, true, true), EXIT_OK);
        assert_eq!(status(false, true, true), EXIT_ERROR);
    }
}
