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

Examples:
  cast-rec demo.cast                       record a shell; exit it to stop
  cast-rec -c 'make test' build.cast       record one command
  cast-rec | tee x.cast | cast-grep error  stream the recording (the session uses /dev/tty)
  echo 'make test' | cast-rec -c bash b.cast  headless, piped input typed into bash
  cast-rec --stderr -c ./build.sh b.cast   record stderr apart as e events
  cast-rec --append demo.cast              continue an earlier recording

Exit status:
  the program's exit status (128+N when signal N ended it)
  2  an error of cast-rec's own (a bad option, an existing FILE, an unwritable recording)";

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
    #[arg(long)]
    pub stderr: bool,

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

    /// Width of the pty [default: the terminal's, else 80]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub cols: Option<u16>,

    /// Height of the pty [default: the terminal's, else 24]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub rows: Option<u16>,

    /// Print no warnings (errors are still printed)
    #[arg(short = 'q', long)]
    pub quiet: bool,
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
    /// The last line was cut off (a recorder killed in the middle of writing it).
    pub truncated: bool,
}

/// Reads a recording to its end with the library reader: its version, last time and size.
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
        truncated: false,
    };
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    while rdr.read_event(&mut rec)? {
        tail.end = tail.end.max(rec.time());
        if rec.code() == Code::Resize
            && let Some(s) = parse_size(rec.data_str(&mut scratch))
        {
            tail.size = s;
        }
    }
    tail.truncated = rdr.truncation().is_some();
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
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(err)?;
        end_last_line(&mut f, tail.truncated).map_err(err)?;
        return Ok(Dest {
            out: Box::new(f),
            name: path.clone(),
            created: None,
            tail: Some(tail),
        });
    }
    let special = meta
        .as_ref()
        .is_some_and(|m| m.file_type().is_fifo() || m.file_type().is_char_device());
    let f = if special {
        OpenOptions::new().write(true).open(&path)
    } else if regular && !a.append && !a.overwrite {
        return Err(
            Error::msg("file exists (--overwrite replaces it, --append continues it)")
                .in_file(&path),
        );
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
    })
}

/// Makes the file end with a whole line before events are appended: a last line without
/// its newline gets one, unless it was cut off (a recorder killed in the middle of writing
/// it), in which case it is removed, since nothing appended could make it whole. Leaves the
/// file positioned at its end.
fn end_last_line(f: &mut File, truncated: bool) -> io::Result<()> {
    let len = f.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(());
    }
    let mut last = [0u8; 1];
    f.seek(SeekFrom::Start(len - 1))?;
    io::Read::read_exact(f, &mut last)?;
    if last[0] == b'\n' {
        return Ok(());
    }
    if !truncated {
        return f.write_all(b"\n");
    }
    cut_partial_line(f, len)?;
    f.seek(SeekFrom::End(0))?;
    Ok(())
}

fn cut_partial_line(f: &mut File, len: u64) -> io::Result<()> {
    let mut pos = len;
    let mut buf = [0u8; 4096];
    while pos > 0 {
        let n = (pos as usize).min(buf.len());
        pos -= n as u64;
        f.seek(SeekFrom::Start(pos))?;
        io::Read::read_exact(f, &mut buf[..n])?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            let keep = pos + i as u64 + 1;
            if keep < len {
                f.set_len(keep)?;
            }
            return Ok(());
        }
    }
    Ok(())
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

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let stdin_tty = io::stdin().is_terminal();
    let stdout_tty = io::stdout().is_terminal();
    let dash = a.file.as_deref() == Some(Path::new("-"));
    let to_stdout = dash || (a.file.is_none() && !stdout_tty);
    let path = a.file.clone().or_else(|| (!to_stdout).then(default_name));

    // The user's terminal, if the session has one: watched for its size.
    let terminal = if a.headless {
        None
    } else if stdin_tty {
        dup_std(0)
    } else if stdout_tty {
        dup_std(1)
    } else {
        dev_tty(false)
    };
    let raw = !a.headless && stdin_tty;
    let input = if raw || !stdin_tty { dup_std(0) } else { None };
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

    let term_size = terminal.as_ref().and_then(|t| pty::window_size(t.as_fd()));
    let (dc, dr) = term_size.unwrap_or(crate::header::DEFAULT_SIZE);
    let size = (a.cols.unwrap_or(dc), a.rows.unwrap_or(dr));
    let fixed_size = terminal.is_none() || a.cols.is_some() || a.rows.is_some();

    let argv: Vec<OsString> = match &a.command {
        Some(c) => vec!["/bin/sh".into(), "-c".into(), c.into()],
        None => vec![
            std::env::var_os("SHELL")
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "/bin/sh".into()),
        ],
    };
    // Full-screen programs need a TERM; without one (cron, some CI) give them a common one.
    let mut child_env: Vec<(OsString, OsString)> = Vec::new();
    if std::env::var_os("TERM").is_none_or(|t| t.is_empty()) {
        child_env.push(("TERM".into(), "xterm-256color".into()));
    }
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

    let dest = open_dest(&a, to_stdout, path)?;
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
        capture_input: a.capture_input,
        mark_termios: a.mark_termios,
        marker_label: a.marker_label.clone(),
        marker_key: !a.no_marker_key,
        time_offset: offset,
    };
    let outcome = match rec::record(cfg, &mut w) {
        Ok(o) => o,
        Err(e) => {
            if let Some(p) = &dest.created
                && fs::metadata(p).is_ok_and(|m| m.len() == 0)
            {
                let _ = fs::remove_file(p);
            }
            return Err(e);
        }
    };
    w.finish().map_err(|e| Error::from(e).in_file(&dest.name))?;
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

    #[test]
    fn partial_last_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.cast");
        fs::write(&p, "{\"version\": 2}\n[1.0, \"o\", \"a\"]\n[2.0, \"o").unwrap();
        let mut f = OpenOptions::new().read(true).write(true).open(&p).unwrap();
        end_last_line(&mut f, true).unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "{\"version\": 2}\n[1.0, \"o\", \"a\"]\n"
        );
        // A whole last line that only lacks its newline is kept.
        fs::write(&p, "{\"version\": 2}\n[1.0, \"o\", \"a\"]").unwrap();
        let mut f = OpenOptions::new().read(true).write(true).open(&p).unwrap();
        end_last_line(&mut f, false).unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "{\"version\": 2}\n[1.0, \"o\", \"a\"]\n"
        );
    }
}
