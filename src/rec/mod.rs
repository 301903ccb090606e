//! The recorder's parts: pseudo-terminals ([`pty`]), starting the program on them
//! ([`program`]), keeping its stdout and stderr in order ([`order`]), the user's terminal
//! ([`term`]), incremental UTF-8 decoding ([`utf8`]) and the session loop that ties them to a
//! [`Writer`](crate::Writer) ([`session`]), and for `--script` the tape language ([`tape`]) and
//! its player ([`script`]). `cast-rec` (in [`crate::cmd::rec`]) is the command line around
//! them.

pub mod order;
pub mod program;
pub mod pty;
pub mod script;
pub mod session;
pub mod tape;
pub mod term;
pub mod utf8;

pub use order::Hold;
pub use session::{Config, Outcome, Prelude, record};
pub use utf8::Utf8Decoder;
