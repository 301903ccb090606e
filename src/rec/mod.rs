//! The recorder's parts: pseudo-terminals ([`pty`]), the user's terminal ([`term`]),
//! incremental UTF-8 decoding ([`utf8`]) and the session loop that ties them to a
//! [`Writer`](crate::Writer) ([`session`]). `cast-rec` (in [`crate::cmd::rec`]) is the
//! command line around them.

pub mod pty;
pub mod session;
pub mod term;
pub mod utf8;

pub use session::{Config, Outcome, record};
pub use utf8::Utf8Decoder;
