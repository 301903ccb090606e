//! util-linux script(1) logs: raw bytes in one file, their timing in another.
//!
//! The raw log (a typescript) starts with a `Script started on DATE [...]` line and ends with
//! `\nScript done on DATE [...]`: script's own notes, not output of the session, so they never
//! become events. Between them are the bytes exactly as they passed, and the timing file says
//! how they were cut and when. It comes in two forms:
//!
//! - classic (`script -T FILE`, or `--log-timing` with only `--log-out`): `DELAY BYTES` lines,
//!   each the seconds since the one before and the number of output bytes;
//! - advanced (`--log-io`, `--log-in`, `--log-out` with `--log-timing`): `O`/`I DELAY BYTES`
//!   entries for output and input, `S DELAY SIGWINCH ROWS=R COLS=C` for a resize (other
//!   signals only advance the clock), and `H 0.000000 NAME VALUE` header entries:
//!   `START_TIME`, `TERM`, `COLUMNS`, `LINES`, `SHELL`, `COMMAND`, the log names, and at the
//!   end `DURATION` and `EXIT_CODE`.
//!
//! Delays are whole microseconds (`%ld.%06ld`), so the events' times are exact sums. Input
//! and output may share one log (`--log-io`) or have one each; the advanced timing file names
//! them, so it can be given alone. Everything streams: one line of timing and one entry's bytes
//! at a time.

use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{Emit, Failed, Input, Source};
use crate::error::Error;
use crate::rec::utf8::Utf8Decoder;
use crate::time::{self, Micros};

const STARTED: &[u8] = b"Script started on ";
const DONE: &[u8] = b"Script done on ";

/// The two timing formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimingKind {
    Classic,
    Multi,
}

/// Whether `line` (the first of a file; `complete` when its newline was seen) is a timing
/// line, and of which kind.
pub fn timing_kind(line: &[u8], complete: bool) -> Option<TimingKind> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if let [k, b' ', rest @ ..] = line
        && b"HOIS".contains(k)
        && is_delay(split_word(rest).0)
    {
        return Some(TimingKind::Multi);
    }
    let (delay, rest) = split_word(line);
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if is_delay(delay) && (digits(rest) || !complete && rest.iter().all(u8::is_ascii_digit)) {
        return Some(TimingKind::Classic);
    }
    None
}

fn is_delay(s: &[u8]) -> bool {
    match s.iter().position(|&b| b == b'.') {
        Some(dot) => {
            dot > 0
                && s[..dot].iter().all(u8::is_ascii_digit)
                && s[dot + 1..].iter().all(u8::is_ascii_digit)
                && s.len() > dot + 1
        }
        None => false,
    }
}

/// The first space-separated word and what follows the space.
fn split_word(s: &[u8]) -> (&[u8], &[u8]) {
    match s.iter().position(|&b| b == b' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[]),
    }
}

/// The logs of one script session, as given on the command line.
pub struct Logs {
    /// The timing file, open, and its name.
    pub timing: (Source, PathBuf),
    /// The timing file is the advanced form.
    pub multi: bool,
    /// FILE: the typescript (classic) or the log FILE names (advanced), if given.
    pub log: Option<(Source, PathBuf)>,
    /// `--log-in`.
    pub log_in: Option<PathBuf>,
}

/// What script's first line says: `Script started on DATE [KEY="VALUE" ...]`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Started {
    timestamp: Option<i64>,
    command: Option<String>,
    term: Option<String>,
    size: Option<(u16, u16)>,
}

fn parse_started(line: &[u8]) -> Started {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end();
    let rest = line.strip_prefix("Script started on ").unwrap_or(line);
    let (date, info) = match rest.find(" [") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, ""),
    };
    let mut info = info.strip_suffix(']').unwrap_or(info).to_string();
    let mut s = Started {
        timestamp: parse_date(date),
        ..Started::default()
    };
    // COMMAND's value is written unescaped and may hold quotes: take the known keys off the
    // end first, and what is left is the command.
    let mut take = |key: &str| -> Option<String> {
        let pat = format!("{key}=\"");
        let i = info.rfind(&pat)?;
        if i > 0 && !info[..i].ends_with(' ') {
            return None;
        }
        let v = info[i + pat.len()..].trim_end();
        let v = v.strip_suffix('"').unwrap_or(v).to_string();
        info.truncate(i);
        info.truncate(info.trim_end().len());
        Some(v)
    };
    let lines = take("LINES").and_then(|v| v.parse::<u16>().ok());
    let cols = take("COLUMNS").and_then(|v| v.parse::<u16>().ok());
    take("TTY");
    s.term = take("TERM");
    if let (Some(c), Some(r)) = (cols, lines)
        && c > 0
        && r > 0
    {
        s.size = Some((c, r));
    }
    let info = info.trim_end();
    let info = info
        .strip_suffix("<not executed on terminal>")
        .unwrap_or(info)
        .trim_end();
    if let Some(c) = info.strip_prefix("COMMAND=\"") {
        s.command = Some(c.strip_suffix('"').unwrap_or(c).to_string());
    }
    s
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `+HH:MM`/`-HH:MM` offset (script's ISO form) as a
/// Unix time; None for anything else (older versions wrote a locale's date).
fn parse_date(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let offset = match b.get(19) {
        Some(&sign @ (b'+' | b'-')) => {
            let (oh, om) = (num(20..22)?, num(23..25).or(num(22..24))?);
            let o = oh * 3600 + om * 60;
            if sign == b'+' { o } else { -o }
        }
        _ => 0,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

/// One raw log, read entry by entry.
struct Log {
    r: BufReader<Source>,
    name: PathBuf,
    /// Bytes of the file consumed so far.
    offset: u64,
    started: Option<Started>,
    ended: bool,
}

impl Log {
    /// Opens a log whose first bytes are `head` (still to be read from `src`), reading
    /// script's first line if it is there.
    fn new(src: Source, head: &[u8], name: PathBuf) -> Result<Log, Failed> {
        let mut log = Log {
            r: BufReader::with_capacity(64 * 1024, src),
            name,
            offset: 0,
            started: None,
            ended: false,
        };
        if head.starts_with(STARTED) {
            let mut line = Vec::new();
            let n = log
                .r
                .read_until(b'\n', &mut line)
                .map_err(|e| log.io_err(e))?;
            log.offset = n as u64;
            log.started = Some(parse_started(&line));
        }
        Ok(log)
    }

    fn open(path: &Path) -> Result<Log, Failed> {
        let (src, head) = super::open(&Input::File(path.to_path_buf()))?;
        Log::new(src, &head, path.to_path_buf())
    }

    fn io_err(&self, e: io::Error) -> Failed {
        Failed::Input(Error::from(e).in_file(&self.name))
    }

    /// The next `n` bytes into `buf`. Returns false (with a warning, or an error with
    /// --strict) when the log ends first; the partial entry is dropped.
    fn take(&mut self, n: u64, buf: &mut Vec<u8>, out: &Emit, line: u64) -> Result<bool, Failed> {
        if self.ended {
            return Ok(false);
        }
        buf.clear();
        let got = (&mut self.r)
            .take(n)
            .read_to_end(buf)
            .map_err(|e| self.io_err(e))? as u64;
        if got < n {
            self.ended = true;
            out.damaged(
                &self.name,
                format!(
                    "byte {}: the log ends before the timing file's line {line} says ({got} of {n} bytes); kept the events before it",
                    self.offset
                ),
            )?;
            return Ok(false);
        }
        self.offset += n;
        Ok(true)
    }

    /// What follows the last entry: script's closing line (its exit status, if it gives one),
    /// and how many other bytes there were, which no timing entry covers.
    fn rest(&mut self) -> Result<(Option<i64>, u64), Failed> {
        if self.ended {
            return Ok((None, 0));
        }
        let mut head = Vec::new();
        (&mut self.r)
            .take(4096)
            .read_to_end(&mut head)
            .map_err(|e| self.io_err(e))?;
        let more = io::copy(&mut self.r, &mut io::sink()).map_err(|e| self.io_err(e))?;
        let body = head.strip_prefix(b"\n").unwrap_or(&head);
        if more == 0 && body.starts_with(DONE) {
            let text = String::from_utf8_lossy(body);
            let code = text
                .split("COMMAND_EXIT_CODE=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .and_then(|v| v.parse().ok());
            return Ok((code, 0));
        }
        Ok((None, head.len() as u64 + more))
    }
}

/// One timing line, split.
struct Timing {
    r: BufReader<Source>,
    name: PathBuf,
    line_no: u64,
    line: Vec<u8>,
}

impl Timing {
    /// The next line without its line ending; None at the end. A last line without a newline
    /// is given as it is (the caller finds out whether it is whole).
    fn next(&mut self) -> Result<Option<(&[u8], bool)>, Failed> {
        self.line.clear();
        let n = self
            .r
            .read_until(b'\n', &mut self.line)
            .map_err(|e| Failed::Input(Error::from(e).in_file(&self.name)))?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let had_nl = self.line.last() == Some(&b'\n');
        let mut l = &self.line[..];
        l = l.strip_suffix(b"\n").unwrap_or(l);
        l = l.strip_suffix(b"\r").unwrap_or(l);
        Ok(Some((l, had_nl)))
    }

    /// A line that is not a timing entry: damage (the events before it are kept).
    fn bad(&self, out: &Emit, had_nl: bool) -> Result<(), Failed> {
        let msg = if had_nl {
            format!(
                "line {}: damaged timing entry; kept the events before it",
                self.line_no
            )
        } else {
            format!(
                "line {}: the last timing line was cut off; kept the events before it",
                self.line_no
            )
        };
        out.damaged(&self.name, msg)?;
        Ok(())
    }
}

fn delay(s: &[u8]) -> Option<Micros> {
    if !is_delay(s) {
        return None;
    }
    time::parse_seconds(s).ok()
}

/// Converts a script session into events.
pub fn import(logs: Logs, out: &mut Emit) -> Result<(), Failed> {
    let Logs {
        timing: (tsrc, tname),
        multi,
        log,
        log_in,
    } = logs;
    let mut timing = Timing {
        r: BufReader::with_capacity(64 * 1024, tsrc),
        name: tname,
        line_no: 0,
        line: Vec::new(),
    };
    if multi {
        return import_multi(&mut timing, log, log_in, out);
    }
    let Some((src, name)) = log else {
        return Err(Error::msg(
            "a classic timing file needs its typescript: cast-import --timing TIMINGFILE TYPESCRIPT",
        )
        .in_file(&timing.name)
        .into());
    };
    let head = peek(src)?;
    let mut log = Log::new(head.0, &head.1, name.clone())?;
    let st = log.started.clone().unwrap_or_default();
    let term = st.term.clone().unwrap_or_default();
    out.set_header(
        &name,
        st.timestamp,
        st.command.as_deref(),
        &[("TERM", &term)],
        st.size,
    );
    let mut dec = Utf8Decoder::new();
    let mut text = String::new();
    let mut buf = Vec::new();
    let mut t: Micros = 0;
    while let Some((line, had_nl)) = timing.next()? {
        if line.is_empty() {
            continue;
        }
        let (d, n) = split_word(line);
        let (Some(d), Ok(n), true) = (delay(d), parse_count(n), had_nl) else {
            timing.bad(out, had_nl)?;
            break;
        };
        t = t.saturating_add(d);
        if !log.take(n, &mut buf, out, timing.line_no)? {
            break;
        }
        text.clear();
        dec.decode(&buf, &mut text);
        out.output(t, &text).map_err(Failed::Output)?;
    }
    text.clear();
    dec.finish(&mut text);
    out.output(t, &text).map_err(Failed::Output)?;
    let (code, extra) = log.rest()?;
    if extra > 0 {
        out.warn(format!(
            "{}: byte {}: {extra} bytes after the last timing entry have no timing; left them out",
            name.display(),
            log.offset
        ));
    }
    if let Some(code) = code {
        out.exit(t, code).map_err(Failed::Output)?;
    }
    Ok(())
}

fn parse_count(s: &[u8]) -> Result<u64, ()> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    std::str::from_utf8(s)
        .map_err(|_| ())?
        .parse()
        .map_err(|_| ())
}

/// Reads the first bytes of a source, giving them back in front of the rest.
fn peek(mut src: Source) -> Result<(Source, Vec<u8>), Failed> {
    let mut head = vec![0u8; STARTED.len()];
    let mut n = 0;
    while n < head.len() {
        match src.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failed::Input(Error::from(e))),
        }
    }
    head.truncate(n);
    Ok((Box::new(io::Cursor::new(head.clone()).chain(src)), head))
}

/// Where a log named in a timing file is: as written when that exists (script wrote it
/// relative to where it ran), else beside the timing file, under its own name or its
/// base name.
fn find_log(named: &str, timing: &Path) -> PathBuf {
    let p = PathBuf::from(named);
    if p.is_absolute() && p.exists() {
        return p;
    }
    let dir = timing.parent().unwrap_or(Path::new(""));
    let beside = dir.join(&p);
    if beside.exists() {
        return beside;
    }
    if let Some(base) = p.file_name() {
        let b = dir.join(base);
        if b.exists() {
            return b;
        }
    }
    p
}

/// The advanced header entries.
#[derive(Default)]
struct Info {
    start: Option<i64>,
    term: String,
    shell: String,
    command: Option<String>,
    cols: Option<u16>,
    lines: Option<u16>,
    output_log: Option<String>,
    input_log: Option<String>,
    duration: Option<Micros>,
    exit: Option<i64>,
}

impl Info {
    fn set(&mut self, name: &str, value: &str) {
        match name {
            "START_TIME" => self.start = parse_date(value),
            "TERM" => self.term = value.to_string(),
            "SHELL" => self.shell = value.to_string(),
            "COMMAND" => self.command = Some(value.to_string()),
            "COLUMNS" => self.cols = value.parse().ok().filter(|&n| n > 0),
            "LINES" => self.lines = value.parse().ok().filter(|&n| n > 0),
            "OUTPUT_LOG" => self.output_log = Some(value.to_string()),
            "INPUT_LOG" => self.input_log = Some(value.to_string()),
            "DURATION" => self.duration = delay(value.as_bytes()),
            "EXIT_CODE" => self.exit = value.parse().ok(),
            _ => {}
        }
    }
}

/// An advanced entry: its kind letter, delay, and the rest of the line.
fn split_entry(line: &[u8]) -> Option<(u8, Micros, &[u8])> {
    let [k, b' ', rest @ ..] = line else {
        return None;
    };
    let (d, rest) = split_word(rest);
    Some((*k, delay(d)?, rest))
}

fn import_multi(
    timing: &mut Timing,
    log: Option<(Source, PathBuf)>,
    log_in: Option<PathBuf>,
    out: &mut Emit,
) -> Result<(), Failed> {
    // The header entries come first; the first other entry is kept for the loop below.
    let mut info = Info::default();
    let mut first: Option<(Vec<u8>, bool)> = None;
    while let Some((line, had_nl)) = timing.next()? {
        if line.is_empty() {
            continue;
        }
        match split_entry(line) {
            Some((b'H', _, rest)) if had_nl => {
                let (name, value) = split_word(rest);
                info.set(
                    &String::from_utf8_lossy(name),
                    &String::from_utf8_lossy(value),
                );
            }
            _ => {
                first = Some((line.to_vec(), had_nl));
                break;
            }
        }
    }
    // Which log holds which stream.
    let same = info.input_log.is_some() && info.input_log == info.output_log;
    let (mut olog, mut ilog): (Option<Log>, Option<Log>) = (None, None);
    match log {
        Some((src, name)) => {
            let (src, head) = peek(src)?;
            let l = Log::new(src, &head, name)?;
            if info.output_log.is_none() && info.input_log.is_some() {
                ilog = Some(l);
            } else {
                olog = Some(l);
            }
        }
        None => {
            if let Some(o) = &info.output_log {
                olog = Some(Log::open(&find_log(o, &timing.name))?);
            }
        }
    }
    if ilog.is_none() && !same {
        if let Some(p) = &log_in {
            ilog = Some(Log::open(p)?);
        } else if let Some(i) = &info.input_log {
            let p = find_log(i, &timing.name);
            if p.exists() {
                ilog = Some(Log::open(&p)?);
            } else {
                out.warn(format!(
                    "{}: the input log '{i}' was not found; typed input left out (give --log-in FILE)",
                    timing.name.display()
                ));
            }
        }
    }
    if olog.is_none() && ilog.is_none() {
        return Err(Error::msg(
            "the timing file names no log (give the log as FILE and this as --timing)",
        )
        .in_file(&timing.name)
        .into());
    }
    let name = olog
        .as_ref()
        .or(ilog.as_ref())
        .map(|l| l.name.clone())
        .expect("a log");
    let started = olog
        .as_ref()
        .or(ilog.as_ref())
        .and_then(|l| l.started.clone())
        .unwrap_or_default();
    let size = match (info.cols, info.lines) {
        (Some(c), Some(r)) => Some((c, r)),
        _ => started.size,
    };
    let term = if info.term.is_empty() {
        started.term.clone().unwrap_or_default()
    } else {
        info.term.clone()
    };
    out.set_header(
        &name,
        info.start.or(started.timestamp),
        info.command.as_deref().or(started.command.as_deref()),
        &[("SHELL", &info.shell), ("TERM", &term)],
        size,
    );

    let (mut dec_o, mut dec_i) = (Utf8Decoder::new(), Utf8Decoder::new());
    let mut text = String::new();
    let mut buf = Vec::new();
    let mut t: Micros = 0;
    let mut pending = first;
    loop {
        let (owned, had_nl);
        let line: &[u8] = match pending.take() {
            Some((l, nl)) => {
                owned = l;
                had_nl = nl;
                &owned
            }
            None => match timing.next()? {
                Some((l, nl)) => {
                    had_nl = nl;
                    owned = l.to_vec();
                    &owned
                }
                None => break,
            },
        };
        if line.is_empty() {
            continue;
        }
        let entry = split_entry(line);
        // script ends every entry with a newline: a last line without one was cut off.
        let Some((kind, d, rest)) = entry.filter(|_| had_nl) else {
            timing.bad(out, had_nl)?;
            break;
        };
        match kind {
            b'O' | b'I' => {
                let Ok(n) = parse_count(rest) else {
                    timing.bad(out, had_nl)?;
                    break;
                };
                t = t.saturating_add(d);
                let input = kind == b'I';
                let log = if input && !same {
                    ilog.as_mut()
                } else {
                    olog.as_mut()
                };
                let Some(log) = log else {
                    continue; // a stream whose log is missing (warned above)
                };
                if !log.take(n, &mut buf, out, timing.line_no)? {
                    break;
                }
                text.clear();
                if input {
                    dec_i.decode(&buf, &mut text);
                    out.input(t, &text).map_err(Failed::Output)?;
                } else {
                    dec_o.decode(&buf, &mut text);
                    out.output(t, &text).map_err(Failed::Output)?;
                }
            }
            b'S' => {
                t = t.saturating_add(d);
                let rest = String::from_utf8_lossy(rest);
                let mut words = rest.split_whitespace();
                if words.next() == Some("SIGWINCH") {
                    let mut rows = None;
                    let mut cols = None;
                    for w in words {
                        if let Some(v) = w.strip_prefix("ROWS=") {
                            rows = v.parse::<u16>().ok().filter(|&n| n > 0);
                        } else if let Some(v) = w.strip_prefix("COLS=") {
                            cols = v.parse::<u16>().ok().filter(|&n| n > 0);
                        }
                    }
                    if let (Some(c), Some(r)) = (cols, rows) {
                        out.resize_to(t, c, r).map_err(Failed::Output)?;
                    }
                }
            }
            b'H' => {
                let (name, value) = split_word(rest);
                info.set(
                    &String::from_utf8_lossy(name),
                    &String::from_utf8_lossy(value),
                );
            }
            _ => {
                timing.bad(out, had_nl)?;
                break;
            }
        }
    }
    for (dec, input) in [(&mut dec_o, false), (&mut dec_i, true)] {
        text.clear();
        dec.finish(&mut text);
        if input {
            out.input(t, &text).map_err(Failed::Output)?;
        } else {
            out.output(t, &text).map_err(Failed::Output)?;
        }
    }
    for log in [olog.as_mut(), ilog.as_mut()].into_iter().flatten() {
        let (_, extra) = log.rest()?;
        if extra > 0 {
            out.warn(format!(
                "{}: byte {}: {extra} bytes after the last timing entry have no timing; left them out",
                log.name.display(),
                log.offset
            ));
        }
    }
    if let Some(dur) = info.duration
        && t > dur
    {
        out.warn(format!(
            "{}: the timing entries add up to {} s, more than the DURATION {} s it records",
            timing.name.display(),
            time::seconds_string(t),
            time::seconds_string(dur)
        ));
    }
    if let Some(code) = info.exit {
        // The session ended at DURATION (after the last output, often by a pause).
        let end = info.duration.map_or(t, |d| d.max(t));
        out.exit(end, code).map_err(Failed::Output)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn started_lines_of_both_kinds() {
        let s = parse_started(
            b"Script started on 2026-12-01 10:00:40+00:00 [COMMAND=\"read x; echo \"q\"\" TERM=\"tmux-256color\" TTY=\"/dev/pts/2\" COLUMNS=\"100\" LINES=\"30\"]\n",
        );
        assert_eq!(s.command.as_deref(), Some("read x; echo \"q\""));
        assert_eq!(s.term.as_deref(), Some("tmux-256color"));
        assert_eq!(s.size, Some((100, 30)));
        assert_eq!(s.timestamp, Some(1_796_119_240));
        let s = parse_started(
            b"Script started on 2026-12-01 09:53:13+00:00 [COMMAND=\"echo hi\" <not executed on terminal>]\n",
        );
        assert_eq!(s.command.as_deref(), Some("echo hi"));
        assert_eq!(s.size, None);
        let s = parse_started(b"Script started on Tue 01 Dec 2026 09:53:13 AM UTC\n");
        assert_eq!(s, Started::default());
    }

    #[test]
    fn dates_with_offsets() {
        assert_eq!(parse_date("1970-01-01 00:00:00+00:00"), Some(0));
        assert_eq!(parse_date("1970-01-01 01:00:00+01:00"), Some(0));
        assert_eq!(parse_date("2000-03-01 00:00:00"), Some(951_868_800));
        assert_eq!(parse_date("1999-12-31 19:00:00-05:00"), Some(946_684_800));
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn timing_lines() {
        assert_eq!(timing_kind(b"0.001475 9", true), Some(TimingKind::Classic));
        assert_eq!(timing_kind(b"12.5 100", true), Some(TimingKind::Classic));
        assert_eq!(timing_kind(b"0.001475 9x", true), None);
        assert_eq!(
            timing_kind(b"H 0.000000 START_TIME 2026", false),
            Some(TimingKind::Multi)
        );
        assert_eq!(timing_kind(b"O 0.5 20", true), Some(TimingKind::Multi));
        assert_eq!(timing_kind(b"hello world", true), None);
        assert_eq!(timing_kind(b"1 2", true), None);
    }
}
