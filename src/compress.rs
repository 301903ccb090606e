//! gzip and zstd, read and written by every tool.
//!
//! Archives of recordings are compressed, and a pipeline should not need `zcat` in front of
//! each tool. Compression is recognised by the first bytes of the stream (gzip's `1f 8b`,
//! zstd's `28 b5 2f fd`), never by the file's name, so standard input and misnamed files work
//! the same way. [`decoding`] is the one place inputs pass through: the reader calls it on
//! every source before looking at the content. Decoding streams through fixed buffers, so
//! memory stays constant whatever the size; when the reader moves its reads to a thread of
//! its own (see `background`), the decompression moves with them, onto the other core.
//!
//! A compressed stream that ends early (a download or copy cut off) is treated like a cut-off
//! last line: everything decoded up to there is read as usual and [`Packed::take_cut`] says
//! where it stopped, so the reader warns (or fails with `--strict`). A stream that is corrupt
//! before its end is an error naming the compressed byte offset.
//!
//! Output is compressed when the file named by `-o` ends in `.gz` or `.zst`, when `-i`
//! rewrites a file that was compressed, or when `--compress` asks for it; see
//! [`Encoder`], which the output sink wraps around its file and finishes before the atomic
//! rename. gzip is written by flate2 on its zlib-rs backend, zstd by the zstd library.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use clap::ValueEnum;

/// A compression format castkit reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compression {
    Gzip,
    Zstd,
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Bytes read from the compressed source per call.
const RAW_BUF: usize = 128 * 1024;

impl Compression {
    /// The compression a stream starting with `head` uses, if any.
    pub fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&ZSTD_MAGIC) {
            Some(Compression::Zstd)
        } else if head.starts_with(&GZIP_MAGIC) {
            Some(Compression::Gzip)
        } else {
            None
        }
    }

    /// The compression an output file's name asks for: `.gz` or `.zst`.
    pub fn for_name(path: &Path) -> Option<Compression> {
        match path.extension()?.to_str()? {
            "gz" => Some(Compression::Gzip),
            "zst" => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// The compression of an existing file (for rewriting it in place as it was).
    pub fn of_file(path: &Path) -> Option<Compression> {
        let mut head = [0u8; 4];
        let n = read_up_to(&mut File::open(path).ok()?, &mut head).ok()?;
        Compression::sniff(&head[..n])
    }
}

/// Reads until `buf` is full or the input ends; returns the number of bytes read.
fn read_up_to(src: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// What the decoder shares with whoever reads through it (possibly from another thread).
#[derive(Debug)]
struct Shared {
    kind: Compression,
    /// Compressed bytes read so far.
    raw_bytes: AtomicU64,
    /// Where the stream was found cut off, not yet reported.
    cut: Mutex<Option<u64>>,
}

/// A handle on a compressed input, for learning whether it was cut off.
#[derive(Debug, Clone)]
pub struct Packed(Arc<Shared>);

impl Packed {
    /// The compression format.
    pub fn kind(&self) -> Compression {
        self.0.kind
    }

    /// When the compressed stream ended before its end of frame: a message saying so, once.
    pub fn take_cut(&self) -> Option<String> {
        let at = self.0.cut.lock().ok()?.take()?;
        Some(format!(
            "byte {at}: the {} stream was cut off; kept the events that were complete",
            self.0.kind
        ))
    }
}

/// Counts the compressed bytes and notes their end.
struct Counted {
    inner: Box<dyn Read + Send>,
    shared: Arc<Shared>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.shared.raw_bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The decompressed stream: a decoder's "ended early" is a cut-off stream (an end of input,
/// noted in [`Shared::cut`]); its other errors are corruption.
struct Decoded {
    dec: Box<dyn Read + Send>,
    shared: Arc<Shared>,
    done: bool,
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        match self.dec.read(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.done = true;
                let at = self.shared.raw_bytes.load(Ordering::Relaxed);
                // Both decoders say UnexpectedEof for a stream that stops early (flate2:
                // "incomplete deflate stream", zstd: "incomplete frame"), and name corruption
                // otherwise (a checksum, a bad block).
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    if let Ok(mut cut) = self.shared.cut.lock() {
                        *cut = Some(at);
                    }
                    Ok(0)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("byte {at}: corrupt {} data: {e}", self.shared.kind),
                    ))
                }
            }
        }
    }
}

/// The bytes looked at, then the rest of the stream. The first read returns them together
/// with what one read of the rest gives, so a reader sees the start of its input in one piece
/// as it would have without the look (the reader's "binary data" check looks at its first
/// buffer).
struct Prefixed {
    head: [u8; 4],
    at: usize,
    len: usize,
    inner: Box<dyn Read + Send>,
}

impl Read for Prefixed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.len {
            return self.inner.read(buf);
        }
        let n = (self.len - self.at).min(buf.len());
        buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
        self.at += n;
        if self.at == self.len && n < buf.len() {
            // An error here comes back on the next read.
            if let Ok(more) = self.inner.read(&mut buf[n..]) {
                return Ok(n + more);
            }
        }
        Ok(n)
    }
}

/// Looks at the first bytes of `src` and returns a stream of its content: decompressed when
/// it is gzip or zstd (with a [`Packed`] handle), else the bytes as they are. Reads at most
/// four bytes before returning; nothing is lost.
pub fn decoding(
    mut src: Box<dyn Read + Send>,
) -> io::Result<(Box<dyn Read + Send>, Option<Packed>)> {
    let mut head = [0u8; 4];
    let n = read_up_to(&mut *src, &mut head)?;
    let whole: Box<dyn Read + Send> = Box::new(Prefixed {
        head,
        at: 0,
        len: n,
        inner: src,
    });
    let Some(kind) = Compression::sniff(&head[..n]) else {
        return Ok((whole, None));
    };
    let shared = Arc::new(Shared {
        kind,
        raw_bytes: AtomicU64::new(0),
        cut: Mutex::new(None),
    });
    let raw = BufReader::with_capacity(
        RAW_BUF,
        Counted {
            inner: whole,
            shared: shared.clone(),
        },
    );
    let dec: Box<dyn Read + Send> = match kind {
        // Several members one after another are one stream, as gzip -d reads them.
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(raw)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(raw)?),
    };
    let packed = Packed(shared.clone());
    Ok((
        Box::new(Decoded {
            dec,
            shared,
            done: false,
        }),
        Some(packed),
    ))
}

enum Enc {
    Gzip(flate2::write::GzEncoder<Box<dyn Write + Send>>),
    Zstd(zstd::stream::write::Encoder<'static, Box<dyn Write + Send>>),
}

/// A compressing output. Clones share one compressor: the sink hands one to the writer and
/// keeps another to [`finish`](Encoder::finish) the stream before committing the file.
#[derive(Clone)]
pub struct Encoder(Arc<Mutex<Option<Enc>>>);

impl Encoder {
    /// Compresses into `out` (gzip level 6, zstd level 3: each format's default).
    pub fn new(kind: Compression, out: Box<dyn Write + Send>) -> io::Result<Encoder> {
        let enc = match kind {
            Compression::Gzip => Enc::Gzip(flate2::write::GzEncoder::new(
                out,
                flate2::Compression::default(),
            )),
            Compression::Zstd => Enc::Zstd(zstd::stream::write::Encoder::new(out, 3)?),
        };
        Ok(Encoder(Arc::new(Mutex::new(Some(enc)))))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Enc) -> io::Result<T>) -> io::Result<T> {
        let mut g = self
            .0
            .lock()
            .map_err(|_| io::Error::other("compressor poisoned"))?;
        match g.as_mut() {
            Some(enc) => f(enc),
            None => Err(io::Error::other("write after the compressed stream ended")),
        }
    }

    /// Ends the stream (writes the trailer) and flushes the file. Later calls do nothing.
    pub fn finish(&self) -> io::Result<()> {
        let enc = self
            .0
            .lock()
            .map_err(|_| io::Error::other("compressor poisoned"))?
            .take();
        match enc {
            Some(Enc::Gzip(e)) => e.finish()?.flush(),
            Some(Enc::Zstd(e)) => e.finish()?.flush(),
            None => Ok(()),
        }
    }
}

impl Write for Encoder {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.with(|e| match e {
            Enc::Gzip(e) => e.write(b),
            Enc::Zstd(e) => e.write(b),
        })
    }

    /// Flushes what was compressed so far, so a live pipeline's reader can decode it.
    fn flush(&mut self) -> io::Result<()> {
        self.with(|e| match e {
            Enc::Gzip(e) => e.flush(),
            Enc::Zstd(e) => e.flush(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compress(kind: Compression, data: &[u8]) -> Vec<u8> {
        let out = crate::write::MemSink::default();
        let mut e = Encoder::new(kind, Box::new(out.clone())).unwrap();
        e.write_all(data).unwrap();
        e.finish().unwrap();
        out.contents()
    }

    fn decode_all(bytes: Vec<u8>) -> (io::Result<Vec<u8>>, Option<Packed>) {
        let (mut r, p) = decoding(Box::new(io::Cursor::new(bytes))).unwrap();
        let mut out = Vec::new();
        (r.read_to_end(&mut out).map(|_| out), p)
    }

    #[test]
    fn plain_bytes_pass_through_whole() {
        for input in [&b""[..], b"{", b"\x1f", b"{\"version\": 2}\n"] {
            let (out, p) = decode_all(input.to_vec());
            assert_eq!(out.unwrap(), input);
            assert!(p.is_none());
        }
    }

    #[test]
    fn round_trips_and_concatenated_gzip_members() {
        let data: Vec<u8> = (0..300_000u32).flat_map(|k| k.to_le_bytes()).collect();
        for kind in [Compression::Gzip, Compression::Zstd] {
            let packed = compress(kind, &data);
            assert_eq!(Compression::sniff(&packed), Some(kind));
            let (out, p) = decode_all(packed);
            assert_eq!(out.unwrap(), data, "{kind}");
            assert!(p.unwrap().take_cut().is_none());
        }
        let mut two = compress(Compression::Gzip, b"one\n");
        two.extend(compress(Compression::Gzip, b"two\n"));
        assert_eq!(decode_all(two).0.unwrap(), b"one\ntwo\n");
    }

    #[test]
    fn a_cut_off_stream_ends_with_what_was_decoded() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|k| format!("line {k}\n").into_bytes())
            .collect();
        for kind in [Compression::Gzip, Compression::Zstd] {
            let packed = compress(kind, &data);
            let cut = packed.len() * 2 / 3;
            let (out, p) = decode_all(packed[..cut].to_vec());
            let out = out.unwrap();
            assert!(!out.is_empty() && data.starts_with(&out), "{kind}");
            let msg = p.unwrap().take_cut().expect("cut noted");
            assert!(msg.contains("stream was cut off"), "{msg}");
        }
    }

    #[test]
    fn corruption_in_the_middle_is_an_error() {
        let data: Vec<u8> = (0..200_000u32)
            .flat_map(|k| format!("line {k}\n").into_bytes())
            .collect();
        let mut packed = compress(Compression::Zstd, &data);
        let mid = packed.len() / 2;
        for b in &mut packed[mid..mid + 64] {
            *b ^= 0x5a;
        }
        let (out, _) = decode_all(packed);
        let e = out.unwrap_err();
        assert!(e.to_string().contains("corrupt zstd data"), "{e}");
        let mut packed = compress(Compression::Gzip, &data);
        let n = packed.len();
        packed[n - 6] ^= 0xff;
        let (out, p) = decode_all(packed);
        let e = out.unwrap_err();
        assert!(e.to_string().contains("corrupt gzip data"), "{e}");
        assert!(p.unwrap().take_cut().is_none());
    }

    #[test]
    fn names_ask_for_compression() {
        assert_eq!(
            Compression::for_name(Path::new("a.cast.gz")),
            Some(Compression::Gzip)
        );
        assert_eq!(
            Compression::for_name(Path::new("x/a.cast.zst")),
            Some(Compression::Zstd)
        );
        assert_eq!(Compression::for_name(Path::new("a.cast")), None);
    }
}
