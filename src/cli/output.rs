//! Output targets: standard output, or a file written atomically.
//!
//! A file target is written to a temporary file in the same directory and renamed over the
//! target only after everything was written and flushed, so an error or a killed run leaves
//! the old file (often the input itself) untouched. SIGINT, SIGTERM and SIGHUP remove the
//! temporary file before the program exits. Targets that are not regular files (`/dev/full`,
//! a FIFO) are written directly: renaming over them would replace a device with a file.
//!
//! A file named `*.gz` or `*.zst`, a compressed file rewritten in place, or any output given
//! `--compress`, is compressed on the way out ([`crate::compress::Encoder`]); the stream is
//! finished in [`Sink::commit`], before the rename.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use crate::compress::{Compression, Encoder};
use crate::error::{Error, Result};

/// Where a tool's output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    /// `-o FILE`: created or replaced atomically.
    File(PathBuf),
    /// `-i`: the input file itself, replaced atomically, keeping its permissions.
    Replace(PathBuf),
}

/// An open output.
pub struct Sink {
    kind: SinkKind,
    name: PathBuf,
    compression: Option<Compression>,
    /// The compressor [`writer`](Sink::writer) put in front of the file, to finish on commit.
    encoder: std::sync::OnceLock<Encoder>,
}

enum SinkKind {
    Stdout,
    Direct(File),
    Atomic {
        tmp: tempfile::NamedTempFile,
        dest: PathBuf,
        mode: u32,
    },
}

/// The temporary files being written (several at once in parallel batches), removed if a
/// signal ends the program.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static SIGNALS: Once = Once::new();

fn install_cleanup() {
    SIGNALS.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    // The lock is kept until exit, so no new temporary file appears meanwhile.
                    if let Ok(pending) = PENDING.lock() {
                        for p in pending.iter() {
                            let _ = fs::remove_file(p);
                        }
                        std::process::exit(128 + sig);
                    }
                    std::process::exit(128 + sig);
                }
            });
        }
    });
}

fn umask() -> u32 {
    // SAFETY: umask only swaps a process attribute; the second call restores it.
    unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m as u32
    }
}

/// Standard output as a plain `File` on fd 1: no std line buffering, no locking.
struct RawStdout(ManuallyDrop<File>);

impl Write for RawStdout {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn raw_stdout() -> RawStdout {
    // SAFETY: fd 1 stays open for the life of the process; ManuallyDrop never closes it.
    RawStdout(ManuallyDrop::new(unsafe { File::from_raw_fd(1) }))
}

/// Refuses to write to standard output when it is the same regular file as `input`
/// (`cast-idle a.cast >> a.cast` would otherwise read its own output forever).
pub fn check_not_stdout(input: &Path) -> Result<()> {
    let out = raw_stdout();
    let (Ok(om), Ok(im)) = (out.0.metadata(), fs::metadata(input)) else {
        return Ok(());
    };
    if om.is_file() && om.dev() == im.dev() && om.ino() == im.ino() && im.len() > 0 {
        return Err(Error::msg("input file is output file").in_file(input));
    }
    Ok(())
}

impl Sink {
    /// Opens the target: standard output, or a temporary file beside the file to write.
    pub fn create(target: &Target) -> Result<Sink> {
        match target {
            Target::Stdout => Ok(Sink::new(SinkKind::Stdout, PathBuf::from("<stdout>"), None)),
            Target::File(p) | Target::Replace(p) => {
                let replace = matches!(target, Target::Replace(_));
                let err = |e: io::Error| Error::from(e).in_file(p);
                // Follow a symlink so that it stays a link to the new contents.
                let dest = fs::canonicalize(p).unwrap_or_else(|_| p.clone());
                let meta = fs::metadata(&dest);
                let mode = match &meta {
                    Ok(m) if m.is_dir() => {
                        return Err(err(io::Error::from(io::ErrorKind::IsADirectory)));
                    }
                    Ok(m) if !m.is_file() => {
                        let f = OpenOptions::new()
                            .write(true)
                            .truncate(true)
                            .open(&dest)
                            .map_err(err)?;
                        return Ok(Sink::new(
                            SinkKind::Direct(f),
                            p.clone(),
                            Compression::for_name(p),
                        ));
                    }
                    Ok(m) => m.mode() & 0o7777,
                    Err(e) if replace => return Err(err(io::Error::new(e.kind(), e.to_string()))),
                    Err(_) => 0o666 & !umask(),
                };
                let dir = match dest.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let base = dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                install_cleanup();
                // Created and listed under the lock: a signal between the two would leave the
                // file behind, unlisted (tests/faults.rs caught that once in CI).
                let mut pending = PENDING.lock().ok();
                let tmp = tempfile::Builder::new()
                    .prefix(&format!(".{base}."))
                    .suffix(".tmp")
                    .tempfile_in(&dir)
                    .map_err(err)?;
                if let Some(pending) = &mut pending {
                    pending.push(tmp.path().to_path_buf());
                }
                drop(pending);
                let compression = if replace {
                    Compression::of_file(&dest)
                } else {
                    Compression::for_name(p)
                };
                Ok(Sink::new(
                    SinkKind::Atomic { tmp, dest, mode },
                    p.clone(),
                    compression,
                ))
            }
        }
    }

    fn new(kind: SinkKind, name: PathBuf, compression: Option<Compression>) -> Sink {
        Sink {
            kind,
            name,
            compression,
            encoder: std::sync::OnceLock::new(),
        }
    }

    /// Compresses the output with `c` whatever its name (`--compress`); `None` leaves the
    /// choice made from the name. Call before [`writer`](Sink::writer).
    pub fn set_compression(&mut self, c: Option<Compression>) {
        if c.is_some() {
            self.compression = c;
        }
    }

    /// The name used in messages about this output.
    pub fn name(&self) -> PathBuf {
        self.name.clone()
    }

    /// A handle to write through. Call once.
    pub fn writer(&self) -> Result<Box<dyn Write + Send>> {
        let err = |e: io::Error| Error::from(e).in_file(&self.name);
        let out: Box<dyn Write + Send> = match &self.kind {
            SinkKind::Stdout => Box::new(raw_stdout()),
            SinkKind::Direct(f) => Box::new(f.try_clone().map_err(err)?),
            SinkKind::Atomic { tmp, .. } => Box::new(tmp.as_file().try_clone().map_err(err)?),
        };
        let Some(c) = self.compression else {
            return Ok(out);
        };
        let enc = Encoder::new(c, out).map_err(err)?;
        let _ = self.encoder.set(enc.clone());
        Ok(Box::new(enc))
    }

    /// Makes the output final: for an atomic file, sets its permissions and renames it over
    /// the target. Dropping a sink without committing removes the temporary file.
    pub fn commit(mut self) -> Result<()> {
        let name = self.name.clone();
        let err = |e: io::Error| Error::from(e).in_file(&name);
        if let Some(enc) = self.encoder.get() {
            enc.finish().map_err(err)?;
        }
        if let SinkKind::Atomic { tmp, dest, mode } =
            std::mem::replace(&mut self.kind, SinkKind::Stdout)
        {
            tmp.as_file()
                .set_permissions(Permissions::from_mode(mode))
                .map_err(err)?;
            let path = tmp.path().to_path_buf();
            tmp.persist(&dest).map_err(|e| err(e.error))?;
            forget_pending(&path);
        }
        Ok(())
    }
}

fn forget_pending(path: &Path) {
    if let Ok(mut pending) = PENDING.lock() {
        pending.retain(|p| p != path);
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Removed and unlisted under the lock, so a signal cannot come between the two.
        if let SinkKind::Atomic { tmp, .. } = std::mem::replace(&mut self.kind, SinkKind::Stdout) {
            let pending = PENDING.lock();
            let path = tmp.path().to_path_buf();
            let _ = tmp.close();
            if let Ok(mut pending) = pending {
                pending.retain(|p| *p != path);
            }
        }
    }
}
