//! What every castkit binary shares: the main wrapper, messages, inputs and outputs, and the
//! driver that runs a filter over one recording or rewrites many in place.
//!
//! Manners, the same in every tool:
//! - no FILE, or `-`, reads standard input; output goes to standard output unless `-o FILE`;
//! - `-o FILE` and `-i` write a temporary file beside the target and rename it on success, so a
//!   failed run never leaves half a file and never destroys its own input;
//! - messages read `PROGRAM: FILE: line N: what is wrong`;
//! - exit status 0 on success, 2 on any error (1 is cast-grep's "no match");
//! - a closed pipe ends the program quietly with status 0.

pub mod output;
pub mod walk;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

use clap::{ArgMatches, Args, Command, FromArgMatches, ValueEnum};

use crate::error::{Error, ErrorKind, Result};
use crate::event::{EventRecord, EventRef};
use crate::header::{Header, Version};
use crate::read::Reader;
use crate::write::Writer;

pub use output::{Sink, Target};

static PROG: OnceLock<String> = OnceLock::new();

/// The program name used in messages (`cast-idle`).
pub fn prog() -> &'static str {
    PROG.get().map(String::as_str).unwrap_or("castkit")
}

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: cast-grep found nothing.
pub const EXIT_NO_MATCH: u8 = 1;
/// Exit status: an error.
pub const EXIT_ERROR: u8 = 2;

/// The body of every binary: sets the program name from `argv[0]`, runs the tool, and turns its
/// result into an exit status. A closed pipe is a quiet success.
pub fn main(run: fn(Vec<OsString>) -> Result<u8>) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let name = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "castkit".into());
    let _ = PROG.set(name);
    let r = run(args);
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::from(EXIT_OK),
        Err(e) => {
            error(&e);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Parses arguments with clap. `--help` and `--version` print and exit 0; a usage error prints
/// clap's message and exits 2.
pub fn parse<T: FromArgMatches>(cmd: Command, args: Vec<OsString>) -> T {
    let matches: ArgMatches = cmd.try_get_matches_from(args).unwrap_or_else(|e| e.exit());
    T::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Prints `PROGRAM: message` on standard error. Errors writing it are ignored.
pub fn error(msg: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{}: {msg}", prog());
}

/// Prints `PROGRAM: warning: message` on standard error.
pub fn warn(msg: impl std::fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{}: warning: {msg}", prog());
}

/// Output version chosen on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    V2,
    V3,
}

impl FormatArg {
    pub fn version(self) -> Version {
        match self {
            FormatArg::V2 => Version::V2,
            FormatArg::V3 => Version::V3,
        }
    }
}

/// The options every filter shares: inputs, in-place rewriting, and the output options.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Recordings to read (v1, v2 or v3). With none, or `-`, standard input is read
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Rewrite each FILE in place, atomically; a bad file is reported and the others still run
    #[arg(short = 'i', long = "in-place", conflicts_with = "output")]
    pub in_place: bool,

    #[command(flatten)]
    pub out: OutputArgs,
}

/// The options of every tool that writes one recording (the filters, cast-cat).
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write to FILE instead of standard output (a temporary file beside it, renamed on success)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Version to write [default: the input's; v1 is written as v2]
    #[arg(long, value_enum, value_name = "VERSION")]
    pub format: Option<FormatArg>,

    /// Flush after every event (the default when standard output is a terminal)
    #[arg(long)]
    pub line_buffered: bool,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Compress the output with gzip or zstd [default: by -o's name: .gz, .zst; with -i, as
    /// the file was]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub compress: Option<crate::compress::Compression>,
}

/// `--strict` and `-q/--quiet`: what a tool does with a recording whose last line was cut off,
/// and with the reader's warnings. Flattened into every tool that reads recordings (cast-info,
/// which prints no warnings, and cast-rec, which reads none, carry the one they need; a test
/// keeps their help in step with this one).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ReadArgs {
    /// Treat a recording whose last line was cut off as an error, not a warning
    #[arg(long)]
    pub strict: bool,

    /// Print no warnings (errors are still printed)
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Where a recording comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    /// `-` is standard input.
    pub fn from_path(p: &Path) -> Input {
        if p.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(p.to_path_buf())
        }
    }

    /// The inputs named by FILE arguments; standard input when there are none.
    pub fn list(files: &[PathBuf]) -> Vec<Input> {
        if files.is_empty() {
            vec![Input::Stdin]
        } else {
            files.iter().map(|p| Input::from_path(p)).collect()
        }
    }

    /// The name used in messages.
    pub fn name(&self) -> PathBuf {
        match self {
            Input::Stdin => PathBuf::from("<stdin>"),
            Input::File(p) if STDIN_SPOOL.get() == Some(p) => PathBuf::from("<stdin>"),
            Input::File(p) => p.clone(),
        }
    }

    /// Opens the input and reads its header.
    pub fn open(&self) -> Result<Reader> {
        match self {
            Input::Stdin => Reader::stdin(),
            Input::File(p) => Reader::open_named(p, &self.name()),
        }
    }
}

/// Where standard input was copied by [`spool_stdin`]; messages still call it `<stdin>`.
static STDIN_SPOOL: OnceLock<PathBuf> = OnceLock::new();

/// Copies standard input to a temporary file, for tools that must read their input twice.
/// Returns its path (which [`Input`] names `<stdin>` in messages) and the guard that deletes
/// it when dropped.
pub fn spool_stdin() -> Result<(PathBuf, tempfile::TempPath)> {
    let mut tmp = tempfile::NamedTempFile::new()?;
    io::copy(&mut io::stdin().lock(), tmp.as_file_mut())
        .map_err(|e| Error::from(e).in_file("<stdin>"))?;
    let path = tmp.into_temp_path();
    let _ = STDIN_SPOOL.set(path.to_path_buf());
    Ok((path.to_path_buf(), path))
}

/// The error for `marker:LABEL` naming no marker: lists the labels the recording has.
pub fn unknown_marker(label: &str, markers: &[(crate::time::Micros, String)]) -> Error {
    if markers.is_empty() {
        return Error::msg(format!("no marker '{label}': the recording has no markers"));
    }
    let mut labels: Vec<String> = Vec::new();
    for (_, l) in markers {
        let shown = format!("'{l}'");
        if !labels.contains(&shown) {
            labels.push(shown);
        }
    }
    Error::msg(format!(
        "no marker '{label}'; markers: {}",
        labels.join(", ")
    ))
}

/// A tool's per-recording logic, driven by [`run_filter`].
pub trait EventFilter {
    /// Adjusts the header before it is written (the default leaves it as read).
    fn header(&mut self, _h: &mut Header) -> Result<()> {
        Ok(())
    }

    /// Called once before the header is written, with the reader just past the header. A
    /// filter whose header depends on the first events (cast-cut's size at its cut point) reads
    /// ahead here, keeping whatever it must still write. The default reads nothing.
    fn read_ahead(&mut self, _rdr: &mut Reader) -> Result<()> {
        Ok(())
    }

    /// Called once right after the header is written, before the first event: a filter that
    /// read ahead writes what it kept. The default writes nothing.
    fn start(&mut self, _out: &mut Writer) -> Result<()> {
        Ok(())
    }

    /// Handles one event, writing whatever it becomes.
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()>;

    /// Handles an event borrowed from the reader's buffer (the common case: a line in the
    /// form recorders write), as [`event`](Self::event) would: a filter that passes data
    /// through untouched writes it from here and saves copying it into a record. Returns
    /// false, having written nothing, to be given the event as a record instead (the
    /// default, always).
    #[inline]
    fn event_ref(&mut self, _ev: &EventRef<'_>, _out: &mut Writer) -> Result<bool> {
        Ok(false)
    }

    /// Called after the last event.
    fn finish(&mut self, _out: &mut Writer) -> Result<()> {
        Ok(())
    }

    /// True for a filter that feeds a terminal emulator: its reader then caps terminal sizes
    /// ([`Reader::set_emulated`]). The default is false.
    fn emulates(&self) -> bool {
        false
    }

    /// Notes for the user found while filtering (a time past the end, ...), printed as
    /// warnings naming the input after the run. The default has none.
    fn warnings(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// True when standard output should be flushed after every event.
pub fn line_buffered(flag: bool) -> bool {
    flag || io::stdout().is_terminal()
}

/// Runs a filter as the shared options ask: one input to standard output or `-o`, or every
/// FILE rewritten in place with `-i`. `make` builds the filter for each recording (it sees the
/// reader, so it can use the header). Returns the exit status.
pub fn run_filter<F: EventFilter>(
    args: &FilterArgs,
    mut make: impl FnMut(&Reader) -> Result<F>,
) -> Result<u8> {
    let inputs = Input::list(&args.files);
    if args.in_place {
        if args.files.is_empty() || inputs.contains(&Input::Stdin) {
            return Err(Error::msg(
                "-i/--in-place needs FILE arguments (not standard input)",
            ));
        }
        let mut status = EXIT_OK;
        for input in &inputs {
            let Input::File(path) = input else {
                unreachable!()
            };
            let target = Target::Replace(path.clone());
            if let Err(e) = filter_one(input, &target, args, &mut make) {
                if e.is_broken_pipe() {
                    return Err(e);
                }
                error(&e);
                status = EXIT_ERROR;
            }
        }
        return Ok(status);
    }
    if inputs.len() > 1 {
        return Err(Error::msg(
            "several FILEs need -i/--in-place (to join recordings into one, use cast-cat)",
        ));
    }
    let target = match &args.out.output {
        Some(p) => Target::File(p.clone()),
        None => Target::Stdout,
    };
    filter_one(&inputs[0], &target, args, &mut make)?;
    Ok(EXIT_OK)
}

fn filter_one<F: EventFilter>(
    input: &Input,
    target: &Target,
    args: &FilterArgs,
    make: &mut impl FnMut(&Reader) -> Result<F>,
) -> Result<()> {
    if let (Target::Stdout, Input::File(p)) = (target, input) {
        output::check_not_stdout(p)?;
    }
    let mut rdr = input.open()?;
    rdr.set_strict(args.out.read.strict);
    let result = filter_reader(&mut rdr, input, target, args, make);
    // Warnings come before the error they may explain (a limit ignored, then "no limit").
    report_warnings(&mut rdr, args.out.read.quiet);
    result
}

fn filter_reader<F: EventFilter>(
    rdr: &mut Reader,
    input: &Input,
    target: &Target,
    args: &FilterArgs,
    make: &mut impl FnMut(&Reader) -> Result<F>,
) -> Result<()> {
    let name = input.name();
    let mut f = make(rdr).map_err(|e| e.in_file(&name))?;
    if f.emulates() {
        rdr.set_emulated()?;
    }
    f.read_ahead(rdr).map_err(|e| e.in_file(&name))?;
    let mut hdr = rdr.header().clone();
    f.header(&mut hdr).map_err(|e| e.in_file(&name))?;
    let version = args.out.format.map_or(rdr.version(), FormatArg::version);
    let mut sink = Sink::create(target)?;
    sink.set_compression(args.out.compress);
    let mut w = Writer::new(sink.writer()?, version);
    w.set_line_buffered(matches!(target, Target::Stdout) && line_buffered(args.out.line_buffered));
    let out_name = sink.name();
    let werr = |e: io::Error| Error::from(e).in_file(&out_name);
    w.write_header(&hdr).map_err(werr)?;
    f.start(&mut w).map_err(|e| blame(e, &name, 0, &out_name))?;
    if rdr.needs_refill() {
        w.flush().map_err(werr)?;
    }
    pump(rdr, &mut f, &mut w, &out_name)?;
    w.finish().map_err(werr)?;
    for w in f.warnings() {
        if !args.out.read.quiet {
            warn(format!("{}: {w}", name.display()));
        }
    }
    sink.commit()
}

/// Runs a filter over a recording held in memory and returns what it writes, as the binaries
/// would for a file (same hooks, same order). `version` is the output version (default: the
/// input's). For tests and fuzzing; tools use [`run_filter`].
pub fn filter_bytes<F: EventFilter>(
    input: &[u8],
    make: impl FnOnce(&Reader) -> Result<F>,
    version: Option<Version>,
) -> Result<Vec<u8>> {
    let mut rdr = Reader::new(Box::new(io::Cursor::new(input.to_vec())), None)?;
    let mut f = make(&rdr)?;
    f.read_ahead(&mut rdr)?;
    let mut hdr = rdr.header().clone();
    f.header(&mut hdr)?;
    let out = crate::write::MemSink::default();
    let mut w = Writer::new(Box::new(out.clone()), version.unwrap_or(rdr.version()));
    w.write_header(&hdr)?;
    f.start(&mut w)?;
    pump(&mut rdr, &mut f, &mut w, Path::new("<memory>"))?;
    w.finish()?;
    Ok(out.contents())
}

/// Prints the reader's warnings (`PROGRAM: warning: FILE: line N: ...`) unless `quiet`.
pub fn report_warnings(rdr: &mut Reader, quiet: bool) {
    let name = rdr
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| "<stdin>".into());
    for w in rdr.take_warnings() {
        if !quiet {
            warn(format!("{}: {w}", name.display()));
        }
    }
}

/// Feeds every event of `rdr` through `f` into `w`, flushing whenever the next read might
/// block. Errors carry the input's name and line, or the output's name for write errors.
pub fn pump<F: EventFilter>(
    rdr: &mut Reader,
    f: &mut F,
    w: &mut Writer,
    out_name: &Path,
) -> Result<()> {
    let mut rec = EventRecord::default();
    let in_name = rdr
        .path()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| "<stdin>".into());
    loop {
        if let Some(ev) = rdr.read_borrowed() {
            let done = f
                .event_ref(&ev, w)
                .map_err(|e| blame(e, &in_name, ev.line(), out_name))?;
            if !done {
                ev.to_record(&mut rec);
                f.event(&rec, w)
                    .map_err(|e| blame(e, &in_name, rec.line(), out_name))?;
            }
        } else if rdr.read_event(&mut rec)? {
            f.event(&rec, w)
                .map_err(|e| blame(e, &in_name, rec.line(), out_name))?;
        } else {
            break;
        }
        if rdr.needs_refill() {
            w.flush().map_err(|e| Error::from(e).in_file(out_name))?;
        }
    }
    f.finish(w).map_err(|e| blame(e, &in_name, 0, out_name))
}

/// A bare io error from a filter is a write error: name the output. Anything else belongs to
/// the input at the event's line.
fn blame(e: Error, in_name: &Path, line: u64, out_name: &Path) -> Error {
    match (&e.kind, &e.path) {
        (ErrorKind::Io(_), None) => e.in_file(out_name),
        _ => {
            let e = e.in_file(in_name);
            if line > 0 { e.at_line(line) } else { e }
        }
    }
}
