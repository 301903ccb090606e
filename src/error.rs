//! Errors that name where they happened.
//!
//! Every message a user sees has the shape `cast-idle: a.cast: line 17: malformed event: ...`.
//! The program name is added by the CLI layer; this type carries the rest: what went wrong,
//! in which file, at which line.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing failed.
    Io(io::Error),
    /// The input is not an asciicast recording at all (binary, HTML, plain text, empty).
    NotACast(String),
    /// The header line is not a usable header.
    Header(String),
    /// An event line is malformed.
    Event(String),
    /// The last line was cut off and `--strict` is in force.
    Truncated(String),
    /// Anything else a tool reports (a bad option value found only in the data, ...).
    Other(String),
}

/// An error with the file and line it belongs to, where known.
#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub path: Option<PathBuf>,
    pub line: Option<u64>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind) -> Error {
        Error {
            kind,
            path: None,
            line: None,
        }
    }

    /// A free-form error message.
    pub fn msg(m: impl Into<String>) -> Error {
        Error::new(ErrorKind::Other(m.into()))
    }

    pub fn at_line(mut self, line: u64) -> Error {
        self.line.get_or_insert(line);
        self
    }

    /// Attaches a file name, unless one is attached already.
    pub fn in_file(mut self, path: impl Into<PathBuf>) -> Error {
        if self.path.is_none() {
            self.path = Some(path.into());
        }
        self
    }

    /// True when this is a write to a closed pipe, which tools treat as a quiet end.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(&self.kind, ErrorKind::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::new(ErrorKind::Io(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        if let Some(l) = self.line {
            write!(f, "line {l}: ")?;
        }
        match &self.kind {
            ErrorKind::Io(e) => write!(f, "{}", io_message(e)),
            ErrorKind::NotACast(m) => write!(f, "not an asciicast recording: {m}"),
            ErrorKind::Header(m) => write!(f, "bad header: {m}"),
            ErrorKind::Event(m) => write!(f, "malformed event: {m}"),
            ErrorKind::Truncated(m) => write!(f, "truncated recording: {m}"),
            ErrorKind::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// An io::Error as a short lowercase phrase, without Rust's "(os error N)" suffix.
pub fn io_message(e: &io::Error) -> String {
    let s = match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        io::ErrorKind::StorageFull => "no space left on device".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => s,
    }
}
