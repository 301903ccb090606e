//! cast-rec: record a terminal session.
//!
//! The program runs on a real pseudo-terminal, so it behaves as it does for a person
//! (colours, line editing, full-screen programs), and everything passes through both ways
//! while output is recorded. Each event is written whole, as one line, the moment it
//! happens: the file is a valid recording up to its last event at any time, which is what
//! lets `tail -f x.cast | cast-grep ...` follow a session live and a killed recorder lose
//! nothing it wrote. The session loop itself lives in [`crate::rec`]; this module decides
//! where the recording goes, what the header says, and which terminal (if any) the session
//! uses.
//!
//! Where things go:
//! - with a terminal on standard input, it is put in raw mode and keys go to the program;
//!   the program's output is shown on standard output, or on /dev/tty when standard output
//!   carries the recording (`cast-rec | tee x.cast`);
//! - without one (CI, cron, `--headless`), the session is headless: the pty has a fixed size
//!   (`--cols`/`--rows`, 80x24 by default), piped standard input is forwarded to the program
//!   and its end becomes an end-of-file keypress, and output is copied to standard output
//!   (stderr with `--stderr`) unless the recording goes there.
//!
//! With `--script`, a VHS tape ([`crate::rec::tape`]) is read and checked whole before anything
//! else (a mistake in it is an error with nothing started and no file made), then played into
//! a headless session ([`crate::rec::script`]). A recording to a file is then written beside it
//! and renamed into place when the tape has run: a demo re-recorded in CI is replaced only by a
//! complete one.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{CommandFactory, Parser};
use serde_json::{Map, Value};

use crate::cli::{self, FormatArg};
use crate::error::{Error, Result};
use crate::event::{Code, EventRecord, parse_size};
use crate::header::{Header, Version};
use crate::read::Reader;
use crate::rec::script::Script;
use crate::rec::tape::Tape;
use crate::rec::{self, Config, pty};
use crate::time::{self, Micros};
use crate::write::Writer;

const EXAMPLES: &str = "\
Keys during a session:
  Ctrl-] m         insert a marker (labelled with --marker-label)
  Ctrl-] Ctrl-]    send one Ctrl-] to the program
  Everything else, Ctrl-C and Ctrl-Z included, goes to the program as in a terminal.

Signals:
  SIGUSR1          insert a marker: kill -USR1 <pid of cast-rec>
  SIGTERM, SIGHUP  hang up the program (SIGKILL after 2 seconds) and finish the recording

Tapes:
  --script TAPE plays a tape in the language of VHS (github.com/charmbracelet/vhs), so tapes written for it run unchanged; the whole tape is checked before anything runs. Commands, one or more to a line:
  Type \"text\"  types the text one key at a time, each key followed by the typing speed; Type@80ms \"text\" at that speed
  Enter, Backspace, Tab, Space, Escape  one key; a count repeats it (Backspace 3), @TIME sets its pause (Enter@1s)
  Up, Down, Left, Right, Home, End  cursor keys, sent in the mode the program asked for (normal or application)
  PageUp, PageDown, Delete, Insert  editing keys, with a count and @TIME like the others
  Ctrl+C, Alt+b, Shift+Tab, Ctrl+Alt+x  a key with modifiers held (Ctrl with a letter or one of @[\\]^_?)
  Sleep 500ms, Sleep 2s, Sleep 1.5  a pause; a bare number is seconds
  Wait /regex/  until the line the cursor is on matches (a bare Wait: the wait pattern, />$/, the end of the prompt)
  Wait+Screen /regex/  until the screen matches (its lines joined with newlines, trailing blanks trimmed; (?m)^ and $ match at lines)
  Wait@30s /regex/  with its own limit (default 15s); on timeout cast-rec stops with exit status 2, naming the tape's line and the pattern
  Hide, Show  nothing is recorded in between, and the hidden time is left off the recording's clock; Show draws the screen as it is then
  Set Shell bash  bash (the default), zsh, fish or sh, without startup files or history and with a \"> \" prompt; any other program as written
  Set TypingSpeed 80ms  the pause after each key from here on (default 50ms); --typing-jitter varies it
  Set WaitTimeout 30s  the limit of later Waits; Set WaitPattern /re/ the pattern of a bare Wait
  Set Cols 100, Set Rows 30  the terminal's size (castkit's own; --cols and --rows win over both)
  Set Width 1200, Set Height 600  VHS's size in pixels, turned into cells with its default font metrics (JetBrains Mono at Set FontSize, 22 px; Set Padding, 60 px)
  Env NAME \"value\"  a variable for the shell
  Require PROGRAM  refuses the tape unless PROGRAM is on PATH
  Source other.tape  reads another tape in its place (relative to the current directory, then to the tape)
  Copy \"text\", Paste  pastes the text at once, as a terminal does
  Output, Screenshot, Set Theme, Set FontSize, ...  about pictures: noted once on stderr, with the cast-to-gif option that does the same (--theme, --font-size, --font-family, --padding, --line-height, --fps-cap, --speed)
  # comment  to the end of the line
  Typing starts once the shell has drawn its prompt. At the end of the tape the recording ends and the shell is hung up, so end a tape with Wait or Sleep to record the last command's output; a shell that exits first ends the recording there.

Examples:
  cast-rec demo.cast                       record a shell; exit it to stop
  cast-rec -c 'make test' build.cast       record one command
  cast-rec | tee x.cast | cast-grep error  stream the recording (the session uses /dev/tty)
  echo 'make test' | cast-rec -c bash b.cast  headless, piped input typed into bash
  cast-rec --stderr -c ./build.sh b.cast   record stderr apart as e events
  cast-rec --append demo.cast              continue an earlier recording
  cast-rec --script demo.tape demo.cast    type a VHS tape into bash and record it

Exit status:
  the program's exit status (128+N when signal N ended it); with --script, 0 when the tape
     ran to its end (the program is then hung up), else the program's status
  2  an error of cast-rec's own (a bad option, an existing FILE, an unwritable recording, a
     mistake in the tape, a Wait that timed out)";

/// Record a terminal session as an asciicast recording
///
/// Runs a program (your shell by default) on a new pseudo-terminal sized like your terminal,
/// passes everything through both ways, and records its output. Each event is written as
/// one whole line the moment it happens, so the file is always a valid recording up to its
/// last event, even if cast-rec is killed.
///
/// With no FILE the recording goes to recording_YYYYMMDD_HHMMSS.cast, or to standard output
/// when that is not a terminal. An existing FILE is never replaced without --overwrite.
#[derive(Debug, Parser)]
#[command(name = "cast-rec", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Recording to write, `-` for standard output [default: recording_YYYYMMDD_HHMMSS.cast,
    /// or standard output when it is not a terminal]
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Command to record, run with /bin/sh -c [default: $SHELL, else /bin/sh]
    #[arg(short = 'c', long, value_name = "CMD")]
    pub command: Option<String>,

    /// Record the program's stderr apart, as e events; it still sees a terminal on fd 2
    ///
    /// fd 2 is a second terminal, so it cannot also be the controlling one: an interactive
    /// shell, which takes its job-control terminal from stderr, runs without job control
    /// (bash says "no job control in this shell"). Use it for commands and scripts.
    ///
    /// The o and e events keep the order in which the program wrote them: a seccomp filter,
    /// set up in the program's process before it starts and inherited by everything it
    /// starts, holds each write until cast-rec has read all that was written before it. This
    /// needs Linux 5.5 or later on x86-64 or AArch64, and it sets no_new_privs for the
    /// program: setuid and setgid programs (sudo, su) run without their privileges, and file
    /// capabilities are not gained. Each held write costs a round trip through cast-rec (tens
    /// of microseconds). Where the kernel refuses the filter (too old, seccomp forbidden, or
    /// cast-rec --stderr already running around cast-rec), cast-rec warns and records the
    /// streams in the order it reads them. 32-bit programs and io_uring writes are not held.
    #[arg(long)]
    pub stderr: bool,

    /// How --stderr keeps the order of stdout and stderr
    #[arg(
        long,
        value_enum,
        value_name = "HOW",
        default_value = "exact",
        requires = "stderr"
    )]
    pub stderr_order: StderrOrder,

    /// Record keystrokes as i events (off by default: passwords)
    #[arg(short = 'I', long)]
    pub capture_input: bool,

    /// Label of markers inserted with SIGUSR1 or Ctrl-] m
    #[arg(long, value_name = "LABEL", default_value = "")]
    pub marker_label: String,

    /// Do not treat Ctrl-] specially: every key goes to the program
    #[arg(long)]
    pub no_marker_key: bool,

    /// Insert a marker whenever the program changes terminal modes (raw mode, echo), labelled
    /// with the change as stty writes it ("termios: -icanon -echo")
    #[arg(long)]
    pub mark_termios: bool,

    /// Title for the header
    #[arg(short = 't', long)]
    pub title: Option<String>,

    /// Idle time limit for players, in the header (SECONDS, M:SS or H:MM:SS)
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock)]
    pub idle_time_limit: Option<Micros>,

    /// Environment variables to save in the header, comma-separated
    #[arg(long, value_name = "VARS", default_value = "SHELL,TERM")]
    pub env: String,

    /// Version to write (v2 has the widest player support); --append keeps the file's
    // Not the filters' `format` (whose default is the input's version): a recording has no
    // input to follow.
    #[arg(
        long = "format",
        value_enum,
        value_name = "VERSION",
        default_value = "v2"
    )]
    pub format_version: FormatArg,

    /// Continue an existing recording: times go on from its end, a new size becomes an r event
    ///
    /// Its exit event becomes a marker labelled "exit N", so the recording has one ending; a
    /// last line cut off (a recorder killed mid-write) is written again whole with what was
    /// complete of it, with a warning. The file is a valid recording at every moment.
    #[arg(short = 'a', long, conflicts_with = "overwrite")]
    pub append: bool,

    /// Replace FILE if it exists
    #[arg(long)]
    pub overwrite: bool,

    /// Record without a terminal: fixed size, piped standard input forwarded, output copied
    /// to standard output unless the recording goes there (the default when there is no
    /// terminal)
    #[arg(long)]
    pub headless: bool,

    /// Width of the pty, at most 4096 [default: the terminal's, else 80]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_COLS as i64))]
    pub cols: Option<u16>,

    /// Height of the pty, at most 4096, and at most 1048576 cells with --cols [default: the
    /// terminal's, else 24]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_ROWS as i64))]
    pub rows: Option<u16>,

    /// Play a VHS tape into the shell instead of reading keys: headless, typed at the tape's
    /// TypingSpeed, recorded until the tape ends (see TAPES in the manual)
    ///
    /// The whole tape is read and checked first: a mistake in it is an error naming its
    /// line, and nothing runs. The shell is the tape's `Set Shell` (bash without rc files by
    /// default) with a `> ` prompt, sized by `Set Cols`/`Set Rows` or `Set Width`/`Set Height`
    /// unless --cols/--rows say otherwise. A FILE is written beside itself and renamed into
    /// place when the tape has run, so a failed run leaves an older recording as it was.
    #[arg(long, value_name = "TAPE", conflicts_with = "command")]
    pub script: Option<PathBuf>,

    /// With --script, vary each pause between typed keys by up to half the typing speed, as a
    /// person types (off by default: two runs of a tape then type identically)
    #[arg(long, requires = "script")]
    pub typing_jitter: bool,

    /// With --script, keep what was recorded when the tape fails (a Wait that times out);
    /// without it a failed tape leaves no recording
    #[arg(long, requires = "script")]
    pub keep_partial: bool,

    /// Print no warnings (errors are still printed)
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// How `--stderr` keeps the two streams in order (see [`crate::rec::order`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StderrOrder {
    /// Hold every write, whatever the descriptor (exact, also for `exec 3>&2; echo x >&3`)
    Exact,
    /// Hold only writes to descriptors 0-2: cheaper for programs that write much to files,
    /// but writes through other descriptors may land out of order
    Std,
    /// Hold nothing: no filter, no no_new_privs; the streams may be recorded out of order
    Off,
}

impl StderrOrder {
    fn hold(self) -> Option<rec::Hold> {
        match self {
            StderrOrder::Exact => Some(rec::Hold::All),
            StderrOrder::Std => Some(rec::Hold::Std),
            StderrOrder::Off => None,
        }
    }
}

// The largest pty cast-rec records is the emulated-size cap of every tool that feeds an
// emulator (`vt::cap_size`), so that each of them can play what cast-rec records.
use crate::vt::{MAX_COLS, MAX_ROWS};

/// Refuses a pty size past the emulated-size cap.
fn check_size(cols: u16, rows: u16) -> Result<()> {
    if crate::vt::cap_size((cols, rows)) != (cols, rows) {
        let cells = u32::from(cols) * u32::from(rows);
        return Err(Error::msg(format!(
            "{cols}x{rows} is {cells} cells, more than players and castkit's tools emulate ({})",
            crate::vt::CAP_TEXT
        )));
    }
    Ok(())
}

pub fn command() -> clap::Command {
    Args::command()
}

/// What an existing recording ends with, for `--append`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub version: Version,
    /// The latest event time (so appended events never go back in time).
    pub end: Micros,
    /// The terminal size in force at the end (the header's, changed by `r` events).
    pub size: (u16, u16),
    /// The reader's warning when the last line was cut off (a recorder killed in the middle
    /// of writing it).
    pub truncated: Option<String>,
    /// The last line, when it must be written again before more events follow.
    pub rewrite: Option<Rewrite>,
}

/// The end of a recording taken off and written again: an `x` event, which would otherwise
/// end the recording mid-stream once more is appended, becomes a marker (`exit N`); an event
/// whose line was cut off is written whole, with the part of its data that was complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The number of the first line taken off (1 is the header).
    pub line: u64,
    /// The time of the event before it (v3 intervals are counted from it).
    pub before: Micros,
    /// The event that replaces the lines taken off.
    pub event: (Micros, Code, String),
}

/// Reads a recording to its end with the library reader: its version, last time and size,
/// and what of its end must be written again.
pub fn read_tail(path: &Path) -> Result<Tail> {
    let mut rdr = Reader::open(path)?;
    if let Some(c) = rdr.compression() {
        // Appending plain lines to a compressed file would make it unreadable.
        return Err(crate::error::Error::msg(format!(
            "cannot append to a {c}-compressed recording; decompress it first"
        ))
        .in_file(path));
    }
    let mut tail = Tail {
        version: rdr.version(),
        end: 0,
        size: rdr.header().size(),
        truncated: None,
        rewrite: None,
    };
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    let mut before = 0;
    while rdr.read_event(&mut rec)? {
        tail.end = tail.end.max(rec.time());
        let code = rec.code();
        if code == Code::Resize
            && let Some(s) = parse_size(rec.data_str(&mut scratch))
        {
            tail.size = s;
        }
        let salvaged = rdr.truncation().is_some();
        tail.rewrite = match code {
            Code::Exit => Some(Rewrite {
                line: rec.line(),
                before,
                event: (
                    rec.time(),
                    Code::Marker,
                    format!("exit {}", rec.data_str(&mut scratch)),
                ),
            }),
            _ if salvaged => Some(Rewrite {
                line: rec.line(),
                before,
                event: (rec.time(), code, rec.data_str(&mut scratch).to_string()),
            }),
            _ => None,
        };
        before = rec.time();
    }
    tail.truncated = rdr.truncation().map(str::to_string);
    Ok(tail)
}

/// `recording_YYYYMMDD_HHMMSS.cast` in local time.
pub fn default_name() -> PathBuf {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as libc::time_t;
    // SAFETY: localtime_r fills the zeroed struct from a valid time; no shared state.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&now, &mut tm);
        tm
    };
    PathBuf::from(format!(
        "recording_{:04}{:02}{:02}_{:02}{:02}{:02}.cast",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    ))
}

/// The recording's destination, opened.
struct Dest {
    out: Box<dyn Write + Send>,
    name: PathBuf,
    /// A file this run created: removed if the program cannot even be started.
    created: Option<PathBuf>,
    /// Set when appending to a recording that has events or a header already.
    tail: Option<Tail>,
    /// With `tail`: what makes the old end ready for more, once the program runs.
    prelude: Option<rec::Prelude>,
    /// With `--script`: the file being written beside `name`, renamed to it at the end.
    temp: Option<tempfile::TempPath>,
}

fn open_dest(a: &Args, to_stdout: bool, path: Option<PathBuf>) -> Result<Dest> {
    let Some(path) = path.filter(|_| !to_stdout) else {
        if a.append {
            return Err(Error::msg("--append needs a FILE"));
        }
        return Ok(Dest {
            out: Box::new(io::stdout()),
            name: PathBuf::from("<stdout>"),
            created: None,
            tail: None,
            prelude: None,
            temp: None,
        });
    };
    let err = |e: io::Error| Error::from(e).in_file(&path);
    let meta = fs::metadata(&path).ok();
    let regular = meta.as_ref().is_some_and(|m| m.is_file());
    if a.append && regular && meta.as_ref().is_some_and(|m| m.len() > 0) {
        let tail = read_tail(&path)?;
        if tail.version == Version::V1 {
            return Err(Error::msg("cannot append to a v1 recording").in_file(&path));
        }
        if let Some(t) = &tail.truncated
            && !a.quiet
        {
            cli::warn(format_args!("{}: {t}", path.display()));
        }
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(err)?;
        let prelude = append_prelude(&mut f, &tail).map_err(err)?;
        return Ok(Dest {
            out: Box::new(f),
            name: path.clone(),
            created: None,
            tail: Some(tail),
            prelude: Some(prelude),
            temp: None,
        });
    }
    let special = meta
        .as_ref()
        .is_some_and(|m| m.file_type().is_fifo() || m.file_type().is_char_device());
    if regular && !a.append && !a.overwrite && !special {
        return Err(
            Error::msg("file exists (--overwrite replaces it, --append continues it)")
                .in_file(&path),
        );
    }
    if a.script.is_some() && !special && !a.append {
        let (f, temp) = temp_beside(&path).map_err(err)?;
        return Ok(Dest {
            out: Box::new(f),
            name: path.clone(),
            created: None,
            tail: None,
            prelude: None,
            temp: Some(temp),
        });
    }
    let f = if special {
        OpenOptions::new().write(true).open(&path)
    } else if a.overwrite || a.append {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
    } else {
        OpenOptions::new().write(true).create_new(true).open(&path)
    }
    .map_err(err)?;
    Ok(Dest {
        out: Box::new(f),
        name: path.clone(),
        created: (!special && !regular).then_some(path),
        tail: None,
        prelude: None,
        temp: None,
    })
}

/// A new file in `path`'s directory, to be renamed to `path` once complete; it is removed if
/// dropped first. Its permissions are a new file's (0666 less the umask).
fn temp_beside(path: &Path) -> io::Result<(File, tempfile::TempPath)> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let t = tempfile::Builder::new()
        .prefix(".cast-rec-")
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    Ok(t.into_parts())
}

/// Prepares appending to `f`: the returned prelude (run once the program has started, so
/// that a program that cannot run leaves the file as it was) makes the file end with a whole
/// line and writes again what [`Tail::rewrite`] asks for.
///
/// The file is a valid recording at every instant: the lines to write again are first cut
/// off (one truncation, after which the file ends with a whole line, as a killed recorder
/// leaves it), then their replacement is written as one line. A cut-off last line with
/// nothing to salvage is cut off the same way; a whole last line without its newline gets
/// one.
fn append_prelude(f: &mut File, tail: &Tail) -> io::Result<rec::Prelude> {
    let cut = match &tail.rewrite {
        Some(r) => Some(line_start(f, r.line)?),
        None if tail.truncated.is_some() => Some(after_last_newline(f)?),
        None => None,
    };
    // Comments or blank lines after a rewritten exit are put back after its marker.
    let trailer = match &tail.rewrite {
        Some(r) if tail.truncated.is_none() => {
            let from = line_start(f, r.line + 1)?;
            let mut rest = Vec::new();
            f.seek(SeekFrom::Start(from))?;
            io::Read::read_to_end(f, &mut rest)?;
            if !rest.is_empty() && !rest.ends_with(b"\n") {
                rest.push(b'\n');
            }
            rest
        }
        _ => Vec::new(),
    };
    let mut f = f.try_clone()?;
    let rewrite = tail.rewrite.clone();
    let end = tail.end;
    Ok(Box::new(move |w: &mut Writer| {
        match cut {
            Some(at) => f.set_len(at)?,
            None => {
                let len = f.seek(SeekFrom::End(0))?;
                let mut last = [b'\n'];
                if len > 0 {
                    f.seek(SeekFrom::Start(len - 1))?;
                    io::Read::read_exact(&mut f, &mut last)?;
                }
                if last[0] != b'\n' {
                    f.write_all(b"\n")?;
                }
            }
        }
        // The writer writes through a copy of this descriptor, which shares its position.
        f.seek(SeekFrom::End(0))?;
        if let Some(r) = rewrite {
            let (t, code, data) = &r.event;
            w.set_previous_time(r.before);
            w.write_text(*t, *code, data)?;
            w.flush()?;
            f.write_all(&trailer)?;
        }
        w.set_previous_time(end);
        Ok(())
    }))
}

/// Where line `line` (1-based) of `f` starts.
fn line_start(f: &mut File, line: u64) -> io::Result<u64> {
    f.seek(SeekFrom::Start(0))?;
    let mut r = io::BufReader::with_capacity(64 * 1024, &mut *f);
    let (mut pos, mut seen) = (0u64, 1u64);
    while seen < line {
        let buf = io::BufRead::fill_buf(&mut r)?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        let mut used = n;
        for i in memchr::memchr_iter(b'\n', buf) {
            seen += 1;
            if seen == line {
                used = i + 1;
                break;
            }
        }
        pos += used as u64;
        io::BufRead::consume(&mut r, used);
    }
    Ok(pos)
}

/// Where the line after the last newline of `f` starts (0 when there is none).
fn after_last_newline(f: &mut File) -> io::Result<u64> {
    let mut pos = f.seek(SeekFrom::End(0))?;
    let mut buf = [0u8; 4096];
    while pos > 0 {
        let n = (pos as usize).min(buf.len());
        pos -= n as u64;
        f.seek(SeekFrom::Start(pos))?;
        io::Read::read_exact(f, &mut buf[..n])?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            return Ok(pos + i as u64 + 1);
        }
    }
    Ok(0)
}

/// Opens /dev/tty, the controlling terminal whatever the standard descriptors are.
fn dev_tty(write_only: bool) -> Option<OwnedFd> {
    let f = if write_only {
        OpenOptions::new().write(true).open("/dev/tty")
    } else {
        OpenOptions::new().read(true).write(true).open("/dev/tty")
    };
    f.ok().map(OwnedFd::from)
}

fn dup_std(fd: i32) -> Option<OwnedFd> {
    // SAFETY: the standard descriptors stay open for the life of the process.
    let b = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    b.try_clone_to_owned().ok()
}

/// The header of a new recording.
pub fn header(a: &Args, size: (u16, u16), env: &[(String, String)]) -> Header {
    let mut h = Header::new(a.format_version.version(), size.0, size.1);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    h.set("timestamp", Some(Value::from(now)));
    h.set_idle_time_limit(a.idle_time_limit);
    if let Some(c) = &a.command {
        h.set("command", Some(Value::from(c.as_str())));
    }
    h.set_title(a.title.as_deref());
    if !env.is_empty() {
        let map: Map<String, Value> = env
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect();
        h.set("env", Some(Value::Object(map)));
    }
    if a.format_version == FormatArg::V3
        && let Some((_, term)) = env.iter().find(|(k, _)| k == "TERM")
        && let Some(Value::Object(t)) = h.get("term").cloned()
    {
        let mut t = t;
        t.insert("type".into(), Value::from(term.as_str()));
        h.set("term", Some(Value::Object(t)));
    }
    h
}

/// The user's side of a session.
struct Ends {
    /// The user's terminal, if the session has one: watched for its size.
    terminal: Option<OwnedFd>,
    /// Keys or piped input.
    input: Option<OwnedFd>,
    /// The input is the user's terminal.
    raw: bool,
    /// Where output is shown, and stderr with --stderr when that is no terminal.
    display: Option<OwnedFd>,
    err_display: Option<OwnedFd>,
}

fn ends(a: &Args, stdin_tty: bool, stdout_tty: bool, to_stdout: bool) -> Ends {
    // A tape types for the user: no terminal is needed, and none is read.
    let headless = a.headless || a.script.is_some();
    let terminal = if headless {
        None
    } else if stdin_tty {
        dup_std(0)
    } else if stdout_tty {
        dup_std(1)
    } else {
        dev_tty(false)
    };
    let raw = !headless && stdin_tty;
    let input = if a.script.is_some() {
        None
    } else if raw || !stdin_tty {
        dup_std(0)
    } else {
        None
    };
    let display = if !to_stdout {
        dup_std(1)
    } else if terminal.is_some() {
        dev_tty(true)
    } else {
        None
    };
    let display_is_tty = display.as_ref().is_some_and(|d| d.as_fd().is_terminal());
    let err_display = if a.stderr && !display_is_tty {
        dup_std(2)
    } else {
        None
    };

    Ends {
        terminal,
        input,
        raw,
        display,
        err_display,
    }
}

/// The program to record, the variables set for it, and those saved in the header.
#[allow(clippy::type_complexity)]
fn program(
    a: &Args,
    tape: Option<&Tape>,
) -> (
    Vec<OsString>,
    Vec<(OsString, OsString)>,
    Vec<(String, String)>,
) {
    // Full-screen programs need a TERM; without one (cron, some CI) give them a common one.
    let mut child_env: Vec<(OsString, OsString)> = Vec::new();
    if std::env::var_os("TERM").is_none_or(|t| t.is_empty()) {
        child_env.push(("TERM".into(), "xterm-256color".into()));
    }
    let argv: Vec<OsString> = match (tape, &a.command) {
        (Some(t), _) => {
            let (argv, env) = tape_shell(t.shell.as_deref().unwrap_or("bash"));
            child_env.extend(env);
            child_env.extend(t.env.iter().map(|(k, v)| (k.into(), v.into())));
            argv
        }
        (None, Some(c)) => vec!["/bin/sh".into(), "-c".into(), c.into()],
        (None, None) => vec![
            std::env::var_os("SHELL")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into()),
        ],
    };
    let saved_env: Vec<(String, String)> = a
        .env
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .filter_map(|k| {
            let v = child_env
                .iter()
                .find(|(ck, _)| ck == k)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var_os(k))?;
            Some((k.to_string(), v.to_string_lossy().into_owned()))
        })
        .collect();
    (argv, child_env, saved_env)
}

/// How a tape's `Set Shell` is run: the shells VHS knows start without their startup files
/// or history and with a `> ` prompt (which VHS's default `Wait` pattern, `>$`, looks for);
/// anything else is run as written (through /bin/sh when it has arguments).
#[allow(clippy::type_complexity)]
fn tape_shell(shell: &str) -> (Vec<OsString>, Vec<(OsString, OsString)>) {
    let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
    let ps1 = |k: &str| vec![(OsString::from(k), OsString::from("> "))];
    match shell {
        "bash" => (
            args(&["bash", "--noprofile", "--norc", "+o", "history"]),
            ps1("PS1"),
        ),
        "zsh" => (args(&["zsh", "--no-rcs"]), ps1("PROMPT")),
        "fish" => (
            args(&[
                "fish",
                "--no-config",
                "--private",
                "-C",
                "function fish_greeting; end",
                "-C",
                "function fish_prompt; echo -n '> '; end",
            ]),
            Vec::new(),
        ),
        "sh" | "dash" | "ksh" | "mksh" | "osh" => (args(&[shell]), ps1("PS1")),
        s if s.contains(char::is_whitespace) => (args(&["/bin/sh", "-c", s]), Vec::new()),
        s => (args(&[s]), Vec::new()),
    }
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    // A tape is read and checked whole before anything else happens.
    let tape = match &a.script {
        Some(p) => Some(Tape::read(p)?),
        None => None,
    };
    if let Some(note) = tape.as_ref().and_then(Tape::ignored_note)
        && !a.quiet
    {
        let name = a.script.as_deref().unwrap_or(Path::new("")).display();
        cli::warn(format_args!("{name}: {note}"));
    }
    let stdin_tty = io::stdin().is_terminal();
    let stdout_tty = io::stdout().is_terminal();
    let dash = a.file.as_deref() == Some(Path::new("-"));
    let to_stdout = dash || (a.file.is_none() && !stdout_tty);
    let path = a.file.clone().or_else(|| (!to_stdout).then(default_name));

    let Ends {
        terminal,
        input,
        raw,
        display,
        err_display,
    } = ends(&a, stdin_tty, stdout_tty, to_stdout);

    let term_size = terminal.as_ref().and_then(|t| pty::window_size(t.as_fd()));
    let tape_size = tape.as_ref().and_then(Tape::size);
    let (dc, dr) = term_size
        .or(tape_size)
        .unwrap_or(crate::header::DEFAULT_SIZE);
    let size = (a.cols.unwrap_or(dc), a.rows.unwrap_or(dr));
    if a.cols.is_some() || a.rows.is_some() || tape_size.is_some() {
        check_size(size.0, size.1)?;
    }
    let fixed_size = terminal.is_none() || a.cols.is_some() || a.rows.is_some();

    let (argv, child_env, saved_env) = program(&a, tape.as_ref());

    let mut dest = open_dest(&a, to_stdout, path)?;
    let (version, offset, previous_size, hdr) = match &dest.tail {
        Some(t) => (t.version, t.end, Some(t.size), None),
        None => (
            a.format_version.version(),
            0,
            None,
            Some(header(&a, size, &saved_env)),
        ),
    };
    let mut w = Writer::new(dest.out, version);
    w.set_line_buffered(true);
    w.set_previous_time(offset);

    let tell = !a.quiet && raw && io::stderr().is_terminal();
    if tell {
        cli::error(format_args!(
            "recording to {}; exit the program to finish (Ctrl-] m inserts a marker)",
            dest.name.display()
        ));
    }
    let cfg = Config {
        name: dest.name.clone(),
        header: hdr,
        prelude: dest.prelude.take(),
        previous_size,
        argv,
        env: child_env,
        size,
        fixed_size,
        terminal,
        input,
        raw,
        display,
        err_display,
        stderr: a.stderr,
        order: a.stderr_order.hold(),
        quiet: a.quiet,
        capture_input: a.capture_input,
        mark_termios: a.mark_termios,
        marker_label: a.marker_label.clone(),
        marker_key: !a.no_marker_key,
        time_offset: offset,
        script: tape.map(|t| Script::new(t, a.typing_jitter)),
    };
    let outcome = match rec::record(cfg, &mut w) {
        Ok(o) => o,
        Err(e) => {
            if let Some(p) = &dest.created
                && fs::metadata(p).is_ok_and(|m| m.len() == 0)
            {
                let _ = fs::remove_file(p);
            }
            // Without --keep-partial the temporary file goes with `dest`.
            if let Some(t) = dest.temp.take().filter(|_| a.keep_partial) {
                t.persist(&dest.name)
                    .map_err(|p| Error::from(p.error).in_file(&dest.name))?;
            }
            return Err(e);
        }
    };
    w.finish().map_err(|e| Error::from(e).in_file(&dest.name))?;
    if let Some(t) = dest.temp.take() {
        t.persist(&dest.name)
            .map_err(|p| Error::from(p.error).in_file(&dest.name))?;
    }
    if a.script.is_some() && outcome.tape_finished {
        return Ok(0);
    }
    if tell {
        cli::error(format_args!("recording saved to {}", dest.name.display()));
    }
    Ok(outcome.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_name_has_the_documented_shape() {
        let n = default_name().to_string_lossy().into_owned();
        assert!(n.starts_with("recording_") && n.ends_with(".cast"), "{n}");
        assert_eq!(n.len(), "recording_YYYYMMDD_HHMMSS.cast".len());
        assert_eq!(&n[18..19], "_");
    }

    #[test]
    fn header_has_the_asked_fields() {
        let a: Args = Args::try_parse_from([
            "cast-rec",
            "-c",
            "ls",
            "-t",
            "demo",
            "--idle-time-limit",
            "2.5",
            "--format",
            "v3",
        ])
        .unwrap();
        let env = vec![("TERM".to_string(), "xterm".to_string())];
        let h = header(&a, (100, 30), &env);
        assert_eq!(h.size(), (100, 30));
        assert_eq!(h.title(), Some("demo"));
        assert_eq!(h.command(), Some("ls"));
        assert_eq!(h.idle_time_limit(), Some(2_500_000));
        assert_eq!(h.term_type(), Some("xterm"));
        assert!(h.timestamp().is_some());
    }

    /// Runs the append prelude on `text` and returns the file afterwards.
    fn appended(text: &str) -> (String, Tail) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.cast");
        fs::write(&p, text).unwrap();
        let tail = read_tail(&p).unwrap();
        let mut f = OpenOptions::new().read(true).write(true).open(&p).unwrap();
        let prelude = append_prelude(&mut f, &tail).unwrap();
        let mut w = Writer::new(Box::new(f), tail.version);
        prelude(&mut w).unwrap();
        w.finish().unwrap();
        (fs::read_to_string(&p).unwrap(), tail)
    }

    #[test]
    fn a_cut_off_last_event_is_salvaged_whole() {
        let h = "{\"version\": 2, \"width\": 80, \"height\": 24}\n";
        let (text, tail) = appended(&format!("{h}[1.0, \"o\", \"a\"]\n[2.0, \"o\", \"hello wor"));
        assert_eq!(
            text,
            format!("{h}[1.0, \"o\", \"a\"]\n[2.0, \"o\", \"hello wor\"]\n")
        );
        assert!(tail.truncated.unwrap().contains("line 3"));
        // Nothing to salvage: the line goes.
        let (text, _) = appended(&format!("{h}[1.0, \"o\", \"a\"]\n[2.0, \"o"));
        assert_eq!(text, format!("{h}[1.0, \"o\", \"a\"]\n"));
        // A whole last line that only lacks its newline is kept.
        let (text, tail) = appended(&format!("{h}[1.0, \"o\", \"a\"]"));
        assert_eq!(text, format!("{h}[1.0, \"o\", \"a\"]\n"));
        assert_eq!(tail.truncated, None);
    }

    #[test]
    fn an_exit_at_the_end_becomes_a_marker() {
        let h = "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24}}\n";
        let (text, tail) = appended(&format!("{h}[1.5, \"o\", \"a\"]\n[0.25, \"x\", \"3\"]\n"));
        // The interval is kept: the marker is where the exit was.
        assert_eq!(
            text,
            format!("{h}[1.5, \"o\", \"a\"]\n[0.25, \"m\", \"exit 3\"]\n")
        );
        assert_eq!(tail.end, 1_750_000);
        // An exit followed by a cut-off line: both go, the exit comes back as a marker.
        let (text, _) = appended(&format!(
            "{h}[1.5, \"o\", \"a\"]\n[0.25, \"x\", \"0\"]\n[0.5, \"o"
        ));
        assert_eq!(
            text,
            format!("{h}[1.5, \"o\", \"a\"]\n[0.25, \"m\", \"exit 0\"]\n")
        );
        // Comments after the exit stay after it.
        let (text, _) = appended(&format!("{h}[0.25, \"x\", \"0\"]\n# note\n\n"));
        assert_eq!(text, format!("{h}[0.25, \"m\", \"exit 0\"]\n# note\n\n"));
        // An exit mid-stream (an older append) is not ours to move.
        let body = format!("{h}[0.5, \"x\", \"0\"]\n[1.0, \"o\", \"b\"]\n");
        let (text, _) = appended(&body);
        assert_eq!(text, body);
    }

    #[test]
    fn lines_are_found_by_number() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l");
        fs::write(&p, "ab\ncd\n\nef").unwrap();
        let mut f = File::open(&p).unwrap();
        let starts: Vec<u64> = (1..=5).map(|l| line_start(&mut f, l).unwrap()).collect();
        assert_eq!(starts, [0, 3, 6, 7, 9]);
        assert_eq!(after_last_newline(&mut f).unwrap(), 7);
    }

    #[test]
    fn sizes_past_the_cap_are_refused() {
        assert!(check_size(MAX_COLS, 100).is_ok());
        assert!(check_size(1024, 1024).is_ok());
        assert!(check_size(1025, 1024).is_err());
        assert!(check_size(MAX_COLS + 1, 1).is_err());
        let e = Args::try_parse_from(["cast-rec", "--cols", "4097"]);
        assert!(e.is_err());
        let e = Args::try_parse_from(["cast-rec", "--stderr-order", "off"]);
        assert!(e.is_err(), "--stderr-order needs --stderr");
        let a = Args::try_parse_from(["cast-rec", "--stderr"]).unwrap();
        assert_eq!(a.stderr_order, StderrOrder::Exact);
    }
}
