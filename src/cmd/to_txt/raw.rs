//! Raw text: the output stream without escape sequences, no terminal emulation.
//!
//! Escape sequences are recognised by the shared tokenizer ([`crate::ansi`], also when an
//! event boundary splits one) and dropped; carriage returns directly before a line feed are
//! dropped too. Everything else passes through, so a progress bar drawn with bare carriage
//! returns stays as it was written. Runs of plain text come from the tokenizer as slices and
//! are copied whole.

use crate::ansi::{Token, Tokenizer};
use crate::time::{self, Micros};

/// Turns terminal output into plain text without emulating a terminal: escape sequences
/// are removed (also when split across events), CRLF (and CR CR LF) becomes LF, and
/// everything else passes through. Keeps no more state than the scanner's position.
pub struct RawText {
    tok: Tokenizer,
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
            tok: Tokenizer::new(),
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
        let mut tok = std::mem::take(&mut self.tok);
        let mut i = 0;
        while let Some(token) = tok.next(b, &mut i) {
            match token {
                Token::Text(run) => self.text(t, out, run),
                Token::Control(b'\r') => self.crs += 1,
                Token::Control(b'\n') => {
                    self.crs = 0;
                    self.text(t, out, b"\n");
                }
                // A C1 control that starts no sequence stays as written (in UTF-8).
                Token::Control(c @ 0x80..) => self.text(t, out, &[0xC2, c]),
                Token::Control(c) => self.control(t, out, c, tok.in_ground()),
                _ => {}
            }
        }
        self.tok = tok;
    }

    /// A C0 control or DEL other than CR and LF: text, as written. Inside a sequence only tab
    /// and backspace are (a terminal carries them out there too).
    fn control(&mut self, t: Micros, out: &mut Vec<u8>, c: u8, in_ground: bool) {
        if in_ground || c == b'\t' || c == 0x08 {
            self.text(t, out, &[c]);
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
