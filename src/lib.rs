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
//! A whole filter, reading a v2 recording and writing it as v3 at half speed:
//!
//! ```
//! use castkit::{EventRecord, Reader, Version, Writer};
//!
//! let input = b"{\"version\": 2, \"width\": 80, \"height\": 24}\n[1.5, \"o\", \"hi\\r\\n\"]\n";
//! let mut rdr = Reader::new(Box::new(&input[..]), None)?;
//! let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
//! # struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
//! # impl std::io::Write for Sink {
//! #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
//! #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! # }
//! let mut wtr = Writer::new(Box::new(Sink(out.clone())), Version::V3);
//! wtr.write_header(rdr.header())?;
//! let mut rec = EventRecord::default();
//! while rdr.read_event(&mut rec)? {
//!     // The data token goes out exactly as it came in.
//!     wtr.write_event(rec.time() * 2, rec.code_json(), rec.data_json())?;
//! }
//! wtr.finish()?;
//! let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
//! assert_eq!(
//!     text,
//!     "{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n[3.0, \"o\", \"hi\\r\\n\"]\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Times are integer microseconds ([`time::Micros`]) parsed exactly from the decimal text, so
//! no amount of filtering makes them drift.
//!
//! # Layers
//!
//! - **Format**: [`read`], [`write`](mod@write), [`event`], [`header`] and [`time`] read and write
//!   asciicast and know nothing of terminals ([`compress`] and the reader's background thread
//!   sit under them).
//! - **Terminal text**: what the events' bytes mean on a screen. [`ansi`] splits output into
//!   text runs and escape sequences (ESC, CSI, OSC, DCS and the other strings, C1 controls
//!   included), resumable across events: cast-to-txt --raw, cast-redact, cast-merge-stderr,
//!   cast-grep's line screen and [`vt`]'s extras read through it. [`vt`] is the glue to the
//!   avt terminal emulator (cast-to-txt's line assembly stands in for avt 0.17 until the
//!   output needs a screen); [`render`] paints emulated screens. JSON string escapes in
//!   event data are decoded in one place (`json_str`), for [`EventRecord::data_str`],
//!   cast-grep and cast-info alike.
//! - **CLI manners**: [`cli`] gives every binary the same inputs, outputs, messages, exit
//!   status and shared options ([`cli::FilterArgs`], [`cli::ReadArgs`],
//!   [`cli::walk::WalkArgs`]).
//! - **Tools**: [`cmd`] holds one module per tool (its clap `Args`, `command()`, `run()` and a
//!   filter callable in-process); [`rec`] holds the recorder's pty and session parts.
//!
//! # Adding a tool
//!
//! A tool `cast-NAME` touches these places, and the tests fail until each is done:
//!
//! 1. `src/cmd/NAME.rs` (or `src/cmd/NAME/`): `Args`, `command()`, `run()`; `pub mod NAME;`
//!    in `src/cmd/mod.rs`, and its `command()` in [`cmd::all`].
//! 2. `src/bin/cast-NAME.rs`: the three-line `main` calling `cmd::NAME::run` (Cargo finds
//!    it; a test checks that `src/bin` and [`cmd::all`] agree).
//! 3. `man/cast-NAME.1` and `completions/`: generated from the clap definition by
//!    `CASTKIT_UPDATE_DOCS=1 cargo test docs`; commit them.
//! 4. A row in the README's table of tools, and an entry (`.B cast-NAME`) and a SEE ALSO name
//!    in `man/castkit.7`.
//! 5. Tests: `tests/NAME.rs`, `mod NAME;` in `tests/tests.rs`, and the binary's line in
//!    `tests/util.rs`'s `bin()`.
//! 6. The corpus sweep: a line per interesting option set in `.ci/sweep-tools` (and
//!    `.ci/player-tools` when it writes recordings), and one in `bench/same-output.sh`.
//! 7. The Debian package: nothing for the binary, man page and completions (Cargo.toml's
//!    `[package.metadata.deb]` assets take them by glob); any other file it needs installed
//!    goes in those assets.

pub mod ansi;
mod background;
pub mod cli;
pub mod cmd;
pub mod compress;
pub mod error;
pub mod event;
pub mod header;
mod json_str;
pub mod read;
pub mod rec;
pub mod render;
mod scan;
#[cfg(test)]
mod testing;
pub mod time;
pub mod vt;
pub mod write;

pub use error::{Error, ErrorKind, Result};
pub use event::{Code, EventRecord, EventRef};
pub use header::{Header, Version};
pub use read::Reader;
pub use time::Micros;
pub use write::Writer;
