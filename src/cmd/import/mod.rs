//! cast-import: turn ttyrec files and script(1) logs into asciicast recordings.
//!
//! Two families of recordings are older than asciicast and still made every day:
//!
//! - **ttyrec** (ttyrec, ovh-ttyrec as the-bastion uses it, termrec): a sequence of records,
//!   each a 12-byte header of little-endian `u32`s (seconds, microseconds, length) and that
//!   many bytes of output (see [`ttyrec`]);
//! - **util-linux script** (`script`, `scriptreplay`, `scriptlive`): the raw bytes in one log
//!   and their timing in another, either the classic `DELAY BYTES` lines or the advanced
//!   multi-stream form with output, input, signals and header entries (see [`script`]).
//!
//! The format is found from the content, never the name. Every reader feeds an [`Emit`],
//! which decodes nothing itself: the readers hand it text already decoded incrementally (a
//! character split across records is kept whole; invalid bytes become U+FFFD, as cast-rec
//! does) and it writes events in constant memory. Neither format always stores the terminal
//! size, so [`Emit`] can hold events back until it finds a resize request (`CSI 8;ROWS;COLS t`)
//! in the output, up to a bounded amount, and uses 80x24 otherwise, with a note.
//!
//! Damaged input keeps what came before the damage: the complete records are written and a
//! warning names the file and byte offset (an error with `--strict`). Input that is neither
//! format is an error.

pub mod script;
pub mod ttyrec;

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, ValueEnum};
use serde_json::{Map, Value};

use crate::cli::{self, FormatArg, Input, OutputArgs, Sink, Target, output};
use crate::error::{Error, Result};
use crate::event::Code;
use crate::header::{Header, Version};
use crate::time::Micros;
use crate::write::Writer;

const EXAMPLES: &str = "\
Examples:
  cast-import session.ttyrec -o session.cast           a ttyrec file
  cast-import --cols 120 --rows 40 < old.ttyrec > old.cast   with its terminal size
  cast-import --timing demo.tm demo.log -o demo.cast   script -T demo.tm demo.log
  cast-import --timing io.tm io.log --format v3        script --log-io io.log --log-timing io.tm
  cast-import io.tm                                    the same: the logs are named in io.tm
  cast-import big.ttyrec.zst -o big.cast.gz            compressed in, compressed out

Exit status:
  0  success (warnings about damaged input may have been printed)
  2  an error (input that is neither format, damage with --strict, a write error)";

/// Convert a ttyrec file or a script(1) log into an asciicast recording
///
/// The format is detected from the content: ttyrec (ttyrec, ovh-ttyrec, termrec), or a
/// util-linux script typescript or timing file, in the classic (`script -T`) or the advanced
/// multi-stream format (`--log-io`, `--log-in`, `--log-out` with `--log-timing`). Output
/// (`o`), typed input (`i`), window size changes (`r`) and the exit status (`x`) become
/// events; the script header entries fill the header. Times are exact to the microsecond.
///
/// ttyrec stores no terminal size: give --cols/--rows, or the size is taken from a resize
/// request in the output (`CSI 8;ROWS;COLS t`), else 80x24 with a note. Damaged or cut-off
/// input keeps its complete records, with a warning naming the byte offset; --strict makes it
/// an error. The output is v2 unless --format v3 is given; -o NAME.cast.gz or .zst compresses
/// it.
#[derive(Debug, Parser)]
#[command(name = "cast-import", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// The recording: a ttyrec file, a typescript (with --timing), or an advanced timing file
    /// [default: standard input]
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// script's timing file (`script -T FILE`, `--log-timing FILE`)
    #[arg(short = 't', long, value_name = "TIMINGFILE")]
    pub timing: Option<PathBuf>,

    /// script's input log, when it was written apart from the output (`--log-in FILE`)
    /// [default: the INPUT_LOG the timing file names, beside it]
    #[arg(long, value_name = "FILE")]
    pub log_in: Option<PathBuf>,

    /// The input's format [default: detected from the content]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub from: Option<From>,

    /// Terminal width [default: from the recording, else 80]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub cols: Option<u16>,

    /// Terminal height [default: from the recording, else 24]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub rows: Option<u16>,

    #[command(flatten)]
    pub out: OutputArgs,
}

/// The formats cast-import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum From {
    Ttyrec,
    Script,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let target = match &a.out.output {
        Some(p) => Target::File(p.clone()),
        None => Target::Stdout,
    };
    let input = a.file.as_deref().map_or(Input::Stdin, Input::from_path);
    if let (Target::Stdout, Input::File(p)) = (&target, &input) {
        output::check_not_stdout(p)?;
    }
    let mut sink = Sink::create(&target)?;
    sink.set_compression(a.out.compress);
    let out_name = sink.name();
    let opts = Options {
        version: a.out.format.map_or(Version::V2, FormatArg::version),
        cols: a.cols,
        rows: a.rows,
        strict: a.out.read.strict,
        quiet: a.out.read.quiet,
    };
    let mut emit = Emit::new(Writer::new(sink.writer()?, opts.version), opts.clone());
    emit.set_line_buffered(
        matches!(target, Target::Stdout) && cli::line_buffered(a.out.line_buffered),
    );
    let werr = |e: io::Error| Error::from(e).in_file(&out_name);
    convert(&a, &input, &mut emit).map_err(|e| match e {
        Failed::Input(e) => e,
        Failed::Output(e) => werr(e),
    })?;
    emit.finish().map_err(werr)?;
    sink.commit()?;
    Ok(cli::EXIT_OK)
}

/// How a conversion failed: the input (named in the error), or writing the output.
pub enum Failed {
    Input(Error),
    Output(io::Error),
}

impl std::convert::From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed::Input(e)
    }
}

/// What the user asked for that the readers must know.
#[derive(Debug, Clone)]
pub struct Options {
    pub version: Version,
    pub cols: Option<u16>,
    pub rows: Option<u16>,
    pub strict: bool,
    pub quiet: bool,
}

/// Bytes at the start of an input looked at to tell the formats apart.
const SNIFF: usize = 64;

/// What the first bytes of an input are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ttyrec,
    Typescript,
    ClassicTiming,
    MultiTiming,
}

fn convert(a: &Args, input: &Input, emit: &mut Emit) -> Result<(), Failed> {
    if let (Input::Stdin, Some(timing)) = (input, &a.timing) {
        // `--timing T` alone: an advanced timing file names its logs; a classic one reads
        // its typescript from standard input.
        let (src, head) = open(&Input::File(timing.clone()))?;
        if sniff(&head) == Ok(Kind::MultiTiming) {
            return script::import(
                script::Logs {
                    timing: (src, timing.clone()),
                    multi: true,
                    log: None,
                    log_in: a.log_in.clone(),
                },
                emit,
            );
        }
    }
    let name = input.name();
    let (mut src, head) = open(input)?;
    let kind = match a.from {
        Some(From::Ttyrec) => Kind::Ttyrec,
        Some(From::Script) => match sniff(&head) {
            Ok(k @ (Kind::ClassicTiming | Kind::MultiTiming)) => k,
            _ => Kind::Typescript,
        },
        None => sniff(&head).map_err(|m| Error::msg(format!("byte 0: {m}")).in_file(&name))?,
    };
    match kind {
        Kind::Ttyrec => {
            if a.timing.is_some() {
                return Err(
                    Error::msg("--timing is for script logs; this is a ttyrec file")
                        .in_file(&name)
                        .into(),
                );
            }
            ttyrec::import(&mut src, &name, emit)
        }
        Kind::Typescript => {
            let Some(timing) = &a.timing else {
                return Err(Error::msg(
                    "a script typescript needs its timing file: give --timing TIMINGFILE",
                )
                .in_file(&name)
                .into());
            };
            let (tsrc, thead) = open(&Input::File(timing.clone()))?;
            let tkind = sniff(&thead).ok();
            script::import(
                script::Logs {
                    timing: (tsrc, timing.clone()),
                    multi: tkind == Some(Kind::MultiTiming),
                    log: Some((src, name)),
                    log_in: a.log_in.clone(),
                },
                emit,
            )
        }
        Kind::ClassicTiming | Kind::MultiTiming => {
            if a.timing.is_some() {
                return Err(Error::msg(
                    "this is a timing file; give the typescript as FILE and this as --timing",
                )
                .in_file(&name)
                .into());
            }
            if kind == Kind::ClassicTiming {
                return Err(Error::msg(
                    "a classic timing file needs its typescript: cast-import --timing TIMINGFILE TYPESCRIPT",
                )
                .in_file(&name)
                .into());
            }
            script::import(
                script::Logs {
                    timing: (src, name),
                    multi: true,
                    log: None,
                    log_in: a.log_in.clone(),
                },
                emit,
            )
        }
    }
}

/// A readable input (decompressed when compressed) and its first bytes, which are still
/// to be read from it.
pub type Source = Box<dyn Read + Send>;

fn open(input: &Input) -> Result<(Source, Vec<u8>)> {
    let name = input.name();
    let err = |e: io::Error| Error::from(e).in_file(&name);
    let raw: Source = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File(p) => {
            let f = std::fs::File::open(p).map_err(err)?;
            if f.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(err(io::Error::from(io::ErrorKind::IsADirectory)));
            }
            Box::new(f)
        }
    };
    let (mut src, _) = crate::compress::decoding(raw).map_err(err)?;
    let mut head = vec![0u8; SNIFF];
    let mut n = 0;
    while n < SNIFF {
        match src.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(err(e)),
        }
    }
    head.truncate(n);
    let src: Source = Box::new(io::Cursor::new(head.clone()).chain(src));
    Ok((src, head))
}

/// Tells the formats apart by their first bytes; the message says what the input is not.
fn sniff(head: &[u8]) -> Result<Kind, String> {
    if head.is_empty() {
        return Err("empty input".into());
    }
    if head.starts_with(b"Script started on ") {
        return Ok(Kind::Typescript);
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let complete = line.len() < head.len();
    if let Some(k) = script::timing_kind(line, complete) {
        return Ok(match k {
            script::TimingKind::Classic => Kind::ClassicTiming,
            script::TimingKind::Multi => Kind::MultiTiming,
        });
    }
    if ttyrec::plausible(head) {
        return Ok(Kind::Ttyrec);
    }
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        return Err("this is already an asciicast recording (cast-cat converts versions)".into());
    }
    Err(if std::str::from_utf8(head).is_err() || head.contains(&0) {
        "not a ttyrec file or a script(1) log: binary data of neither format".into()
    } else {
        "not a ttyrec file or a script(1) log (a typescript starts with 'Script started on')".into()
    })
}

/// Output held back while looking for the terminal size, at most this much.
const HOLD_MAX: usize = 4 * 1024 * 1024;

/// One held event.
struct Held {
    t: Micros,
    code: Code,
    data: String,
}

/// Where the readers send events: writes the header once the size is known, then the
/// events, and turns resize requests in the output into `r` events.
pub struct Emit {
    w: Writer,
    opts: Options,
    header: Option<Header>,
    /// The size the format itself gave (script's COLUMNS/LINES), if any.
    size: Option<(u16, u16)>,
    started: bool,
    held: Vec<Held>,
    held_bytes: usize,
    resize: ResizeScan,
    name: PathBuf,
    last: Micros,
}

impl Emit {
    pub fn new(w: Writer, opts: Options) -> Emit {
        Emit {
            w,
            opts,
            header: None,
            size: None,
            started: false,
            held: Vec::new(),
            held_bytes: 0,
            resize: ResizeScan::default(),
            name: PathBuf::from("<stdin>"),
            last: 0,
        }
    }

    fn set_line_buffered(&mut self, yes: bool) {
        self.w.set_line_buffered(yes);
    }

    /// The options asked for.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Prints a warning unless `-q`.
    pub fn warn(&self, msg: impl std::fmt::Display) {
        if !self.opts.quiet {
            cli::warn(msg);
        }
    }

    /// A damaged input: an error with `--strict`, else a warning (the reader stops there).
    pub fn damaged(&self, name: &Path, msg: String) -> Result<()> {
        if self.opts.strict {
            return Err(Error::msg(msg).in_file(name));
        }
        self.warn(format!("{}: {msg}", name.display()));
        Ok(())
    }

    /// Sets what the header says, besides the size: the start as a Unix time, the command,
    /// `env` entries, and the size if the format stores one. `name` is the input named in
    /// notes.
    pub fn set_header(
        &mut self,
        name: &Path,
        timestamp: Option<i64>,
        command: Option<&str>,
        env: &[(&str, &str)],
        size: Option<(u16, u16)>,
    ) {
        let mut h = Header::new(self.opts.version, 80, 24);
        if let Some(t) = timestamp {
            h.set("timestamp", Some(Value::from(t)));
        }
        if let Some(c) = command {
            h.set("command", Some(Value::from(c)));
        }
        let env: Map<String, Value> = env
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        if !env.is_empty() {
            h.set("env", Some(Value::Object(env)));
        }
        self.header = Some(h);
        self.size = size;
        self.name = name.to_path_buf();
    }

    /// The size to write when it is known without looking at the output: both of
    /// --cols/--rows, or what the format stored (either given flag wins).
    fn known_size(&self) -> Option<(u16, u16)> {
        match (self.opts.cols, self.opts.rows, self.size) {
            (Some(c), Some(r), _) => Some((c, r)),
            (c, r, Some((fc, fr))) => Some((c.unwrap_or(fc), r.unwrap_or(fr))),
            _ => None,
        }
    }

    fn start(&mut self, size: (u16, u16)) -> io::Result<()> {
        let (c, r) = (
            self.opts.cols.unwrap_or(size.0),
            self.opts.rows.unwrap_or(size.1),
        );
        let mut h = self
            .header
            .take()
            .unwrap_or_else(|| Header::new(self.opts.version, 80, 24));
        h.set_size(c, r);
        self.w.write_header(&h)?;
        self.started = true;
        for ev in std::mem::take(&mut self.held) {
            self.w.write_text(ev.t, ev.code, &ev.data)?;
        }
        self.held_bytes = 0;
        Ok(())
    }

    fn put(&mut self, t: Micros, code: Code, data: &str) -> io::Result<()> {
        self.last = self.last.max(t);
        if self.started {
            return self.w.write_text(t, code, data);
        }
        if let Some(size) = self.known_size() {
            self.start(size)?;
            return self.w.write_text(t, code, data);
        }
        self.held_bytes += data.len();
        self.held.push(Held {
            t,
            code,
            data: data.to_string(),
        });
        if self.held_bytes > HOLD_MAX {
            self.start_unsized()?;
        }
        Ok(())
    }

    fn start_unsized(&mut self) -> io::Result<()> {
        if !self.opts.quiet {
            cli::error(format!(
                "{}: note: the recording does not say its terminal size; using {}x{} (give --cols and --rows)",
                self.name.display(),
                self.opts.cols.unwrap_or(80),
                self.opts.rows.unwrap_or(24)
            ));
        }
        self.start((80, 24))
    }

    /// Terminal output at `t`. A resize request in it (`CSI 8;ROWS;COLS t`) gives the size
    /// when none is known yet, and is a resize event afterwards.
    pub fn output(&mut self, t: Micros, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let found = if self.known_size().is_none() {
            self.resize.scan(text)
        } else {
            None
        };
        self.put(t, Code::Output, text)?;
        if let Some((c, r)) = found {
            if !self.started {
                self.start((c, r))?;
            } else if self.known_size().is_none() {
                self.resize_to(t, c, r)?;
            }
        }
        Ok(())
    }

    /// Typed input at `t`.
    pub fn input(&mut self, t: Micros, text: &str) -> io::Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        self.put(t, Code::Input, text)
    }

    /// The terminal changed size at `t`.
    pub fn resize_to(&mut self, t: Micros, cols: u16, rows: u16) -> io::Result<()> {
        if !self.started && self.known_size().is_none() {
            // The first size seen is the one to start with.
            self.size = Some((cols, rows));
        }
        self.put(t, Code::Resize, &format!("{cols}x{rows}"))
    }

    /// The recorded command exited with `status` at `t`.
    pub fn exit(&mut self, t: Micros, status: i64) -> io::Result<()> {
        self.put(t, Code::Exit, &status.to_string())
    }

    /// The time of the latest event so far.
    pub fn last_time(&self) -> Micros {
        self.last
    }

    /// Writes what is still held and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        if !self.started {
            match self.known_size() {
                Some(s) => self.start(s)?,
                None => self.start_unsized()?,
            }
        }
        self.w.finish()
    }
}

/// Finds xterm's resize request, `CSI 8 ; ROWS ; COLS t`, in output that may split it
/// across events.
#[derive(Debug, Default)]
struct ResizeScan {
    /// The start of a request seen at the end of the last output, waiting for the rest.
    partial: String,
}

impl ResizeScan {
    /// The last complete request in `text` (with what was carried over), as (cols, rows).
    fn scan(&mut self, text: &str) -> Option<(u16, u16)> {
        let joined;
        let s: &str = if self.partial.is_empty() {
            text
        } else {
            joined = std::mem::take(&mut self.partial) + text;
            &joined
        };
        let b = s.as_bytes();
        let mut found = None;
        let mut i = 0;
        while let Some(k) = memchr::memchr(0x1b, &b[i..]) {
            let at = i + k;
            match parse_resize(&b[at..]) {
                Parsed::Request(size, len) => {
                    found = Some(size);
                    i = at + len;
                }
                Parsed::Other => i = at + 1,
                Parsed::Incomplete => {
                    // Cut off at the end: keep it for the next output (bounded: 20 bytes).
                    self.partial = s[at..].to_string();
                    break;
                }
            }
        }
        found
    }
}

/// What [`parse_resize`] found at an ESC.
enum Parsed {
    /// A resize request to (cols, rows), this many bytes long.
    Request((u16, u16), usize),
    /// Some other sequence.
    Other,
    /// The text ends before the sequence could: wait for more.
    Incomplete,
}

/// Parses `ESC [ 8 ; ROWS ; COLS t` at the start of `b`.
fn parse_resize(b: &[u8]) -> Parsed {
    const PREFIX: &[u8] = b"\x1b[8;";
    let n = b.len().min(PREFIX.len());
    if b[..n] != PREFIX[..n] {
        return Parsed::Other;
    }
    if b.len() < PREFIX.len() {
        return Parsed::Incomplete;
    }
    let mut nums = [0u32; 2];
    let mut k = 0;
    let mut digits = 0;
    for (i, &c) in b.iter().enumerate().skip(PREFIX.len()) {
        match c {
            b'0'..=b'9' if digits < 5 => {
                nums[k] = nums[k] * 10 + u32::from(c - b'0');
                digits += 1;
            }
            b';' if k == 0 && digits > 0 => {
                k = 1;
                digits = 0;
            }
            b't' if k == 1 && digits > 0 => {
                let (rows, cols) = (nums[0], nums[1]);
                if (1..=u16::MAX as u32).contains(&rows) && (1..=u16::MAX as u32).contains(&cols) {
                    return Parsed::Request((cols as u16, rows as u16), i + 1);
                }
                return Parsed::Other;
            }
            _ => return Parsed::Other,
        }
    }
    if b.len() > 20 {
        Parsed::Other
    } else {
        Parsed::Incomplete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_requests_are_found_even_when_split() {
        let mut s = ResizeScan::default();
        assert_eq!(s.scan("a\x1b[8;40;120tb"), Some((120, 40)));
        assert_eq!(s.scan("x\x1b[8;3"), None);
        assert_eq!(s.scan("0;100t"), Some((100, 30)));
        assert_eq!(s.scan("\x1b[8;0;100t \x1b[1m \x1b[8;24t"), None);
        assert_eq!(s.scan("\x1b"), None);
        assert_eq!(s.scan("[8;5;6t"), Some((6, 5)));
    }

    #[test]
    fn formats_are_told_apart_by_content() {
        assert_eq!(sniff(b"Script started on 2020"), Ok(Kind::Typescript));
        assert_eq!(sniff(b"0.001475 9\n0.002 7\n"), Ok(Kind::ClassicTiming));
        assert_eq!(
            sniff(b"H 0.000000 START_TIME 2026-12-01 10:00:40+00:00\n"),
            Ok(Kind::MultiTiming)
        );
        let mut rec = Vec::new();
        for v in [1_700_000_000u32, 250_000, 3] {
            rec.extend(v.to_le_bytes());
        }
        rec.extend(b"abc");
        assert_eq!(sniff(&rec), Ok(Kind::Ttyrec));
        assert!(
            sniff(b"{\"version\": 2}")
                .unwrap_err()
                .contains("asciicast")
        );
        assert!(sniff(&[0xff; 40]).unwrap_err().contains("binary"));
        assert!(sniff(b"").unwrap_err().contains("empty"));
    }
}
