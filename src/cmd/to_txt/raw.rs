//! Raw text: the output stream without escape sequences, no terminal emulation.
//!
//! A small state machine after Paul Williams' description of the DEC parser recognises
//! escape sequences (also when an event boundary splits one) and drops them; carriage returns
//! directly before a line feed are dropped too. Everything else passes through, so a progress
//! bar drawn with bare carriage returns stays as it was written. Runs of plain text are found
//! with memchr and copied whole.

use crate::time::{self, Micros};

/// Where the raw-text scanner is inside an escape sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC.
    Escape,
    /// After ESC and intermediate bytes (`ESC ( B`).
    Intermediate,
    /// Inside a control sequence (`ESC [`).
    Csi,
    /// Inside an operating-system command (`ESC ]`), ended by BEL or ST.
    Osc,
    /// Inside DCS, SOS, PM or APC, ended by ST.
    Str,
    /// After ESC inside a string: `\` ends it.
    StringEsc {
        osc: bool,
    },
}

/// Turns terminal output into plain text without emulating a terminal: escape sequences
/// are removed (also when split across events), CRLF (and CR CR LF) becomes LF, and
/// everything else passes through. Keeps no more state than the scanner's position.
pub struct RawText {
    state: State,
    /// Carriage returns held back: they vanish if a line feed follows.
    crs: usize,
    timestamps: bool,
    /// At the start of an output line (the time prefix is due before the next byte).
    line_start: bool,
    /// Anything written at all.
    any: bool,
}

impl RawText {
    pub fn new(timestamps: bool) -> RawText {
        RawText {
            state: State::Ground,
            crs: 0,
            timestamps,
            line_start: true,
            any: false,
        }
    }

    /// Writes text, after any carriage returns held back (no line feed followed them).
    fn text(&mut self, t: Micros, out: &mut Vec<u8>, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        while self.crs > 0 {
            self.crs -= 1;
            self.put(t, out, b"\r");
        }
        self.put(t, out, bytes);
    }

    fn put(&mut self, t: Micros, out: &mut Vec<u8>, bytes: &[u8]) {
        if !self.timestamps {
            out.extend_from_slice(bytes);
            self.line_start = bytes[bytes.len() - 1] == b'\n';
        } else {
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                if self.line_start {
                    out.push(b'[');
                    out.extend_from_slice(time::clock(t).as_bytes());
                    out.extend_from_slice(b"] ");
                }
                out.extend_from_slice(line);
                self.line_start = line[line.len() - 1] == b'\n';
            }
        }
        self.any = true;
    }

    /// Appends the plain text of output written at time `t`.
    pub fn feed(&mut self, t: Micros, data: &str, out: &mut Vec<u8>) {
        let b = data.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match self.state {
                State::Ground => {
                    let end =
                        memchr::memchr3(0x1b, b'\r', b'\n', &b[i..]).map_or(b.len(), |k| i + k);
                    if end > i {
                        self.text(t, out, &b[i..end]);
                    }
                    if end == b.len() {
                        return;
                    }
                    match b[end] {
                        0x1b => self.state = State::Escape,
                        b'\r' => self.crs += 1,
                        _ => {
                            self.crs = 0;
                            self.text(t, out, b"\n");
                        }
                    }
                    i = end + 1;
                }
                State::Escape => {
                    let c = b[i];
                    i += 1;
                    self.state = match c {
                        b'[' => State::Csi,
                        b']' => State::Osc,
                        b'P' | b'X' | b'^' | b'_' => State::Str,
                        0x20..=0x2f => State::Intermediate,
                        0x1b => State::Escape,
                        0x30..=0x7e => State::Ground,
                        _ => {
                            // Not a sequence: drop the ESC, keep what follows.
                            i -= 1;
                            State::Ground
                        }
                    };
                }
                State::Intermediate => {
                    let c = b[i];
                    i += 1;
                    match c {
                        0x20..=0x2f => {}
                        0x1b => self.state = State::Escape,
                        0x30..=0x7e => self.state = State::Ground,
                        _ => {
                            i -= 1;
                            self.state = State::Ground;
                        }
                    }
                }
                State::Csi => {
                    let c = b[i];
                    i += 1;
                    match c {
                        0x20..=0x3f => {}
                        0x40..=0x7e => self.state = State::Ground,
                        0x1b => self.state = State::Escape,
                        0x18 | 0x1a => self.state = State::Ground,
                        // A terminal carries out controls met inside a sequence.
                        b'\r' => self.crs += 1,
                        b'\n' => {
                            self.crs = 0;
                            self.text(t, out, b"\n");
                        }
                        b'\t' | 0x08 => self.text(t, out, &b[i - 1..i]),
                        0x00..=0x1f | 0x7f => {}
                        _ => {
                            // A byte no sequence can hold ends it, and is text.
                            self.state = State::Ground;
                            i -= 1;
                        }
                    }
                }
                State::Osc | State::Str => {
                    let osc = self.state == State::Osc;
                    let rest = &b[i..];
                    let hit = if osc {
                        memchr::memchr3(0x1b, 0x07, 0x18, rest)
                    } else {
                        memchr::memchr2(0x1b, 0x18, rest)
                    };
                    match hit {
                        None => return,
                        Some(k) => {
                            i += k + 1;
                            self.state = match rest[k] {
                                0x1b => State::StringEsc { osc },
                                _ => State::Ground,
                            };
                        }
                    }
                }
                State::StringEsc { osc } => {
                    let c = b[i];
                    i += 1;
                    self.state = match c {
                        b'\\' => State::Ground,
                        // ESC starting another sequence also ends the string.
                        b'[' => State::Csi,
                        b']' => State::Osc,
                        0x1b => State::StringEsc { osc },
                        _ if osc => State::Osc,
                        _ => State::Str,
                    };
                }
            }
        }
    }

    /// Ends the text with a line feed if it does not end with one.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.crs = 0;
        if self.any && !self.line_start {
            out.push(b'\n');
            self.line_start = true;
        }
    }
}
