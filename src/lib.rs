//! castkit: small, fast Unix filters for asciicast terminal recordings.
//!
//! An asciicast recording (asciinema's `.cast` format) is a header followed by events: what a
//! terminal showed (`o`), what was typed (`i`), resizes (`r`), markers (`m`), the exit status
//! (`x`), and castkit's own `e` for stderr. v1 is one JSON document; v2 and v3 are
//! newline-delimited JSON, v2 with absolute times and v3 with intervals.
//!
//! Every tool in the kit is built on the same three pieces:
//!
//! - [`Reader`] reads any version from any byte source, one event at a time into a reusable
//!   [`EventRecord`], in constant memory (v1 aside, which is one JSON document);
//! - [`Writer`] writes v2 or v3, with exact microsecond times;
//! - [`cli`] gives every binary the same manners: inputs, `-o` written atomically,
//!   `-i/--in-place`, `--format`, `--line-buffered`, messages naming program, file and line,
//!   exit status 0/1/2, and a quiet end on a closed pipe.
//!
//! Records can be read at three depths, each costing more than the one before: the time and
//! code only ([`EventRecord::time`], [`EventRecord::code`]); the data as the JSON token it was
//! read as ([`EventRecord::data_json`], for passing through untouched); and the data as text
//! ([`EventRecord::data_str`], unescaped on demand).
//!
//! Times are integer microseconds ([`time::Micros`]) parsed exactly from the decimal text, so
//! no amount of filtering makes them drift.

pub mod cli;
pub mod cmd;
pub mod error;
pub mod event;
pub mod header;
pub mod read;
pub mod time;
pub mod vt;
pub mod write;

pub use error::{Error, ErrorKind, Result};
pub use event::{Code, EventRecord};
pub use header::{Header, Version};
pub use read::Reader;
pub use time::Micros;
pub use write::Writer;
