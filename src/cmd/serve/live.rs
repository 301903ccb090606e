//! `/recordings/{id}/live`: a recording as a stream of server-sent events, following the file
//! as it grows.
//!
//! The messages are the ones asciinema-player's `eventsource` driver reads (player 3.17,
//! `driver/eventsource.js`): first a reset, `data: {"cols": C, "rows": R, "time": 0}`, then one
//! `data: [TIME, CODE, DATA]` per event with TIME in seconds from the start, and at the end an
//! event named `done`, on which the player closes the stream instead of reconnecting. `e`
//! (stderr) is sent as `o`, since the player would drop it; codes the player does not know are
//! left out; resizes are sent as `COLSxROWS` whichever form the file uses.
//!
//! The file is read from where the stream has got to, in 64 KiB pieces, and every complete
//! line goes through the library's [`Reader`] (with the header line in front, so v2 and v3,
//! comments, blank lines and old resize forms are read as every other tool reads them; v3
//! intervals are added up across pieces). A line still being written waits for its newline.
//! At the end of the file the stream waits for the folder watcher's signal (inotify) or a
//! short poll, whichever comes first. It ends after an `x` event, when the file has not grown
//! for `--live-timeout`, when it shrinks (replaced), or when the server stops. All of it runs
//! as one task: no thread waits for a client.

use std::io::Cursor;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::http::stopped;
use bytes::Bytes;
use tokio::io::AsyncReadExt;
use tokio::sync::{mpsc, watch};

use crate::event::{Code, EventRecord, json_str, parse_size};
use crate::header::{Header, Version};
use crate::read::Reader;
use crate::time::{self, Micros};

/// Bytes read from the file at a time.
const PIECE: usize = 64 * 1024;
/// A line longer than this is skipped rather than held in memory.
const MAX_LINE: usize = 16 << 20;
/// How often a stream looks at its file when no change was signalled.
const POLL: Duration = Duration::from_millis(200);
/// A comment line this often keeps proxies from closing an idle stream, and finds clients
/// that went away.
const KEEPALIVE: Duration = Duration::from_secs(15);

/// What a live stream needs.
pub struct Live {
    pub file: std::fs::File,
    pub path: PathBuf,
    pub timeout: Duration,
    pub changed: watch::Receiver<u64>,
    pub stop: watch::Receiver<bool>,
}

/// The message that ends a stream.
pub const DONE: &[u8] = b"event: done\ndata: \n\n";

/// Streams the recording into `tx` until it ends or the client goes away.
pub async fn stream(mut live: Live, tx: mpsc::Sender<Bytes>) {
    let mut f = Follow::default();
    let mut file = tokio::fs::File::from_std(live.file.try_clone().expect("a file handle"));
    let mut pos: u64 = 0;
    let mut grew = Instant::now();
    let mut buf = vec![0u8; PIECE];
    let mut last_sent = Instant::now();
    while let Ok(n) = file.read(&mut buf).await {
        if n > 0 {
            pos += n as u64;
            grew = Instant::now();
            let out = f.feed(&buf[..n]);
            if f.v1 {
                break;
            }
            if !out.is_empty() {
                if tx.send(Bytes::from(out)).await.is_err() {
                    return;
                }
                last_sent = Instant::now();
            }
            if f.exited {
                break;
            }
            continue;
        }
        // At the end of what has been written so far.
        match tokio::fs::metadata(&live.path).await {
            Ok(m) if m.len() >= pos => {}
            _ => break,
        }
        if grew.elapsed() >= live.timeout || *live.stop.borrow() {
            break;
        }
        if last_sent.elapsed() >= KEEPALIVE {
            if tx
                .send(Bytes::from_static(b": keep-alive\n\n"))
                .await
                .is_err()
            {
                return;
            }
            last_sent = Instant::now();
        }
        let wait = POLL.min(live.timeout.saturating_sub(grew.elapsed()));
        tokio::select! {
            _ = live.changed.changed() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stopped(&mut live.stop) => {}
        }
    }
    if f.v1 {
        // A v1 recording is one JSON document, never appended to: read it whole, as the
        // library does, on the blocking pool.
        let file = live.file;
        let name = live.path.clone();
        let out = tokio::task::spawn_blocking(move || v1_messages(file, name))
            .await
            .unwrap_or_default();
        if !out.is_empty() && tx.send(Bytes::from(out)).await.is_err() {
            return;
        }
    }
    let _ = tx.send(Bytes::from_static(DONE)).await;
}

/// The messages for a whole v1 recording (its reset and every event).
fn v1_messages(mut file: std::fs::File, name: PathBuf) -> Vec<u8> {
    // The handle shares its offset with the one the stream read from.
    if std::io::Seek::rewind(&mut file).is_err() {
        return Vec::new();
    }
    let Ok(mut rdr) = Reader::new(Box::new(file), Some(name)) else {
        return Vec::new();
    };
    let mut out = reset(rdr.header());
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    while let Ok(true) = rdr.read_event(&mut rec) {
        event_message(&rec, rec.time(), &mut scratch, &mut out);
    }
    out
}

fn reset(h: &Header) -> Vec<u8> {
    let (cols, rows) = h.size();
    format!("data: {{\"cols\":{cols},\"rows\":{rows},\"time\":0}}\n\n").into_bytes()
}

/// Appends the message for one event at `t`; returns true for an exit event (which is not
/// sent: the player has no use for it, and the stream ends after it).
fn event_message(rec: &EventRecord, t: Micros, scratch: &mut String, out: &mut Vec<u8>) -> bool {
    let code: &[u8] = match rec.code() {
        Code::Output | Code::Stderr => b"\"o\"",
        Code::Input => b"\"i\"",
        Code::Marker => b"\"m\"",
        Code::Resize => b"\"r\"",
        Code::Exit => return true,
        Code::Other => return false,
    };
    out.extend_from_slice(b"data: [");
    time::write_seconds(out, t.max(0));
    out.extend_from_slice(b", ");
    out.extend_from_slice(code);
    out.extend_from_slice(b", ");
    let data = rec.data_json();
    if rec.code() == Code::Resize {
        match parse_size(rec.data_str(scratch)) {
            Some((c, r)) => out.extend_from_slice(format!("\"{c}x{r}\"").as_bytes()),
            None => out.extend_from_slice(b"\"\""),
        }
    } else if data.contains(&b'\n') || data.contains(&b'\r') {
        // A data line cannot hold a line break: write the text again, escaped.
        out.extend_from_slice(&json_str(rec.data_str(scratch)));
    } else {
        out.extend_from_slice(data);
    }
    out.extend_from_slice(b"]\n\n");
    false
}

/// The state of a stream between pieces of the file.
#[derive(Default)]
pub struct Follow {
    /// The header line, once read.
    header: Option<Vec<u8>>,
    version: Option<Version>,
    /// The part of a line still waiting for its newline.
    partial: Vec<u8>,
    /// Skipping a line too long to hold, up to its newline.
    skipping: bool,
    /// The time of the last event sent (v3 intervals continue from it).
    last: Micros,
    /// An exit event was seen.
    pub exited: bool,
    /// The file is v1 (one JSON document): it is read whole instead.
    pub v1: bool,
    scratch: String,
}

impl Follow {
    /// Takes the next bytes of the file and returns the messages for the lines they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = bytes;
        // Complete the line held from the last piece.
        let Some(nl) = memchr::memrchr(b'\n', rest) else {
            self.hold(rest);
            return out;
        };
        let (complete, tail) = rest.split_at(nl + 1);
        rest = tail;
        let mut lines: Vec<u8>;
        if self.skipping {
            let k = memchr::memchr(b'\n', complete).expect("a newline");
            self.skipping = false;
            lines = complete[k + 1..].to_vec();
        } else {
            lines = std::mem::take(&mut self.partial);
            lines.extend_from_slice(complete);
        }
        if self.header.is_none() {
            let k = memchr::memchr(b'\n', &lines).expect("a newline");
            let line = &lines[..k];
            match Header::parse_line(line) {
                Ok(h) if h.version() != Version::V1 => {
                    out.extend_from_slice(&reset(&h));
                    self.version = Some(h.version());
                    self.header = Some(line.to_vec());
                    lines.drain(..=k);
                }
                _ => {
                    self.v1 = true;
                    return out;
                }
            }
        }
        if !lines.is_empty() && !self.exited {
            self.events(&lines, &mut out);
        }
        self.hold(rest);
        out
    }

    fn hold(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        if self.partial.len() + bytes.len() > MAX_LINE {
            self.partial.clear();
            self.skipping = true;
            return;
        }
        self.partial.extend_from_slice(bytes);
    }

    /// Reads complete event lines with the library's reader, the header line in front.
    fn events(&mut self, lines: &[u8], out: &mut Vec<u8>) {
        let Some(header) = &self.header else { return };
        let mut doc = Vec::with_capacity(header.len() + 1 + lines.len());
        doc.extend_from_slice(header);
        doc.push(b'\n');
        doc.extend_from_slice(lines);
        let Ok(mut rdr) = Reader::new(Box::new(Cursor::new(doc)), None) else {
            return;
        };
        let offset = if self.version == Some(Version::V3) {
            self.last
        } else {
            0
        };
        let mut rec = EventRecord::default();
        while let Ok(true) = rdr.read_event(&mut rec) {
            let t = offset + rec.time();
            self.last = t;
            if event_message(&rec, t, &mut self.scratch, out) {
                self.exited = true;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(f: &mut Follow, pieces: &[&str]) -> String {
        let mut s = String::new();
        for p in pieces {
            s.push_str(&String::from_utf8(f.feed(p.as_bytes())).unwrap());
        }
        s
    }

    #[test]
    fn v3_intervals_add_up_across_pieces() {
        let mut f = Follow::default();
        let s = all(
            &mut f,
            &[
                "{\"version\": 3, \"term\": {\"cols\": 100, \"rows\": 30}}\n[0.5, \"o\", \"a\"]\n[0.",
                "25, \"e\", \"b\\r\\n\"]\n# comment\n\n[1, \"r\", \"24,80\"]\n",
                "[1, \"zz\", \"?\"]\n[0.5, \"x\", \"0\"]\n[9, \"o\", \"after\"]\n",
            ],
        );
        assert_eq!(
            s,
            "data: {\"cols\":100,\"rows\":30,\"time\":0}\n\n\
             data: [0.5, \"o\", \"a\"]\n\n\
             data: [0.75, \"o\", \"b\\r\\n\"]\n\n\
             data: [1.75, \"r\", \"80x24\"]\n\n"
        );
        assert!(f.exited);
    }

    #[test]
    fn v2_times_are_kept_and_v1_is_handed_on() {
        let mut f = Follow::default();
        let s = all(
            &mut f,
            &[
                "{\"version\": 2, \"width\": 80, \"height\": 24}\n[1.5, \"o\", \"x\"]\n[2, \"m\", \"\"]\n",
            ],
        );
        assert!(
            s.ends_with("data: [1.5, \"o\", \"x\"]\n\ndata: [2.0, \"m\", \"\"]\n\n"),
            "{s}"
        );
        let mut f = Follow::default();
        all(&mut f, &["{\"version\": 1, \"width\": 80,\n"]);
        assert!(f.v1);
    }
}
