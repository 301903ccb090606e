//! The recordings under the served folder, kept current while the server runs.
//!
//! The catalog is the only way from a URL to a file: an id is looked up here and never joined
//! to the folder's path, so no spelling of `..`, no encoded slash and no absolute path can name
//! a file the walk did not find. The walk is cast-info's (`-r`: name order, hidden entries
//! skipped, symbolic links to directories not followed); on top of it every file's real path
//! must lie inside the folder, so a link pointing outside is left out, and a file is opened
//! again through [`Catalog::open`], which checks the same before every answer.
//!
//! Each recording is summed up once by cast-info's [`Info::read`], and again only when its
//! size or modification time changes. Changes are noticed through inotify (the `notify`
//! crate), and by a rescan every `--poll` seconds as well, for file systems that send no
//! events.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use crate::cli::walk::{Globs, walk};
use crate::cmd::info::Info;
use crate::error::{Error, ErrorKind, Result};
use crate::read::Reader;
use crate::time::Micros;

/// Pauses longer than this count as idle in the JSON (cast-info's default).
pub const IDLE_THRESHOLD: Micros = 2_000_000;

/// Where a recording stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No exit event yet, and the file changed within the live timeout.
    Recording,
    /// Whole: an exit event, or a v1/v2 recording that ends on a complete line.
    Complete,
    /// Stopped without an exit event (v3) or with its last line cut off.
    Truncated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Recording => "recording",
            Status::Complete => "complete",
            Status::Truncated => "truncated",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        match s {
            "recording" => Some(Status::Recording),
            "complete" => Some(Status::Complete),
            "truncated" => Some(Status::Truncated),
            _ => None,
        }
    }
}

/// One recording found under the folder.
#[derive(Debug)]
pub struct Entry {
    /// Its path under the folder without the extension, `/`-separated.
    pub id: String,
    /// Its path under the folder, as found.
    pub rel: String,
    /// Its path as found (the folder joined with `rel`).
    pub path: PathBuf,
    pub size: u64,
    pub modified: SystemTime,
    pub info: Info,
    /// When it was read, and how long that took: a growing recording is read again at most
    /// every [`Entry::reread_after`].
    read_at: Instant,
    read_cost: Duration,
}

impl Entry {
    /// How long a changed recording keeps its last summary in a rescan: ten times what
    /// reading it cost, and at least a second, so a large file being written is not read
    /// whole on every event. A request for the recording itself reads it at once.
    fn reread_after(&self) -> Duration {
        (self.read_cost * 10).max(Duration::from_secs(1))
    }

    /// The status at `now`: a recording without an exit event that changed less than `live`
    /// ago is still being written.
    pub fn status(&self, now: SystemTime, live: Duration) -> Status {
        let recent = now
            .duration_since(self.modified)
            .map_or(true, |age| age < live);
        if self.info.exit.is_some() {
            Status::Complete
        } else if recent {
            Status::Recording
        } else if self.info.complete() {
            Status::Complete
        } else {
            Status::Truncated
        }
    }

    /// The title, or else the id.
    pub fn title(&self) -> &str {
        self.info
            .title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&self.id)
    }

    /// Unix seconds of the start: the header's timestamp, else the modification time.
    pub fn started(&self) -> i64 {
        self.info.timestamp.unwrap_or_else(|| unix(self.modified))
    }

    /// What `cast-info --json` says, with the file named by its path under the folder.
    pub fn info_json(&self) -> Map<String, Value> {
        match self.info.to_json(IDLE_THRESHOLD) {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

/// Seconds since the epoch (0 for earlier times).
pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The recordings, by id.
pub struct Catalog {
    root: PathBuf,
    /// `root` with every link resolved: what every file's real path must start with.
    real_root: PathBuf,
    entries: RwLock<BTreeMap<String, Arc<Entry>>>,
}

impl Catalog {
    /// A catalog of `root` (not scanned yet). Fails when `root` is not a directory.
    pub fn new(root: &Path) -> Result<Catalog> {
        let real_root = root
            .canonicalize()
            .map_err(|e| Error::from(e).in_file(root))?;
        if !real_root.is_dir() {
            return Err(Error::msg(format!("{}: not a directory", root.display())));
        }
        Ok(Catalog {
            root: root.to_path_buf(),
            real_root,
            entries: RwLock::new(BTreeMap::new()),
        })
    }

    /// The folder with every link resolved.
    pub fn real_root(&self) -> &Path {
        &self.real_root
    }

    /// The recording with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every recording, in id order.
    pub fn all(&self) -> Vec<Arc<Entry>> {
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Walks the folder again: new files are read, changed ones read again, removed ones
    /// dropped. Blocking; returns the number of recordings.
    pub fn scan(&self) -> usize {
        let globs = Globs::new(&[]).expect("the default globs are valid");
        let mut found: Vec<PathBuf> = Vec::new();
        walk(&self.root, &globs, &mut |r| {
            if let Ok(p) = r {
                found.push(p);
            }
        });
        let old = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut new: BTreeMap<String, Arc<Entry>> = BTreeMap::new();
        let mut by_path: HashMap<&str, &Arc<Entry>> = HashMap::new();
        for e in old.values() {
            by_path.insert(e.rel.as_str(), e);
        }
        for path in &found {
            let Some(rel) = self.rel(path) else { continue };
            let Some(mut id) = id_of(&rel) else { continue };
            if new.contains_key(&id) {
                // a.cast and a.json: the first in name order keeps the short id, the other
                // is known by its whole name.
                id = rel.clone();
            }
            let Ok(meta) = std::fs::metadata(path) else {
                continue;
            };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if let Some(e) = by_path.get(rel.as_str())
                && ((e.size == meta.len() && e.modified == modified)
                    || e.read_at.elapsed() < e.reread_after())
            {
                new.insert(id, Arc::clone(e));
                continue;
            }
            if let Some(e) = self.read_entry(path, &rel, id.clone()) {
                new.insert(id, Arc::new(e));
            }
        }
        let n = new.len();
        *self.entries.write().unwrap_or_else(|e| e.into_inner()) = new;
        n
    }

    /// Reads one recording again when it changed since the catalog last looked (a request
    /// for a growing recording sees its latest state). Blocking.
    pub fn refresh(&self, e: &Arc<Entry>) -> Arc<Entry> {
        let Ok(meta) = std::fs::metadata(&e.path) else {
            return Arc::clone(e);
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if meta.len() == e.size && modified == e.modified {
            return Arc::clone(e);
        }
        match self.read_entry(&e.path, &e.rel, e.id.clone()) {
            Some(fresh) => {
                let fresh = Arc::new(fresh);
                let mut map = self.entries.write().unwrap_or_else(|e| e.into_inner());
                if map.get(&e.id).is_some_and(|old| old.rel == e.rel) {
                    map.insert(e.id.clone(), Arc::clone(&fresh));
                }
                fresh
            }
            None => Arc::clone(e),
        }
    }

    /// Reads and sums up a recording; None when it is not one (a stray .json), cannot be
    /// read, or is not a regular file inside the folder.
    fn read_entry(&self, path: &Path, rel: &str, id: String) -> Option<Entry> {
        let read_at = Instant::now();
        let file = self.open(path).ok()?;
        let meta = file.metadata().ok()?;
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let mut rdr = Reader::new(Box::new(file), Some(PathBuf::from(rel))).ok()?;
        let mut info = match Info::read(&mut rdr, IDLE_THRESHOLD) {
            Ok(i) => i,
            // A file whose header is fine but whose body is broken is still listed.
            Err(e) if !matches!(e.kind, ErrorKind::NotACast(_) | ErrorKind::Header(_)) => {
                let mut i = Info {
                    truncated: Some(e.to_string()),
                    ..Info::default()
                };
                let h = rdr.header();
                i.version = h.version().number();
                i.size = h.size();
                i.title = h.title().map(str::to_string);
                i.timestamp = h.timestamp();
                i
            }
            Err(_) => return None,
        };
        info.file = rel.to_string();
        Some(Entry {
            id,
            rel: rel.to_string(),
            path: path.to_path_buf(),
            size: meta.len(),
            modified,
            info,
            read_at,
            read_cost: read_at.elapsed(),
        })
    }

    /// Opens a file for reading only when its real path lies inside the folder and it is a
    /// regular file, so a link swapped in after the scan still cannot lead outside.
    pub fn open(&self, path: &Path) -> std::io::Result<std::fs::File> {
        let outside = || std::io::Error::new(std::io::ErrorKind::NotFound, "not in the folder");
        let real = path.canonicalize()?;
        if !real.starts_with(&self.real_root) {
            return Err(outside());
        }
        let file = std::fs::File::open(&real)?;
        if !file.metadata()?.is_file() {
            return Err(outside());
        }
        Ok(file)
    }

    /// Removes a recording's file (for `DELETE` with `--allow-delete`). Blocking.
    pub fn remove(&self, e: &Entry) -> std::io::Result<()> {
        // The same checks as for reading: only a regular file inside the folder.
        drop(self.open(&e.path)?);
        std::fs::remove_file(&e.path)?;
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&e.id);
        Ok(())
    }

    /// The path under the folder, `/`-separated and UTF-8; None for a file whose real path
    /// is outside the folder (a link leading out) or whose name is not UTF-8.
    fn rel(&self, path: &Path) -> Option<String> {
        let real = path.canonicalize().ok()?;
        if !real.starts_with(&self.real_root) {
            return None;
        }
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let parts: Vec<&str> = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()?;
        if parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == ".." || p.starts_with('.'))
        {
            return None;
        }
        Some(parts.join("/"))
    }
}

/// A recording's id: its path under the folder without `.cast` or `.json`.
pub fn id_of(rel: &str) -> Option<String> {
    let id = rel
        .strip_suffix(".cast")
        .or_else(|| rel.strip_suffix(".json"))?;
    (!id.is_empty() && !id.ends_with('/')).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_drop_the_extension() {
        assert_eq!(id_of("a.cast").as_deref(), Some("a"));
        assert_eq!(id_of("sub/b.json").as_deref(), Some("sub/b"));
        assert_eq!(id_of("notes.txt"), None);
        assert_eq!(id_of(".cast"), None);
    }

    #[test]
    fn links_out_of_the_folder_are_left_out() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("casts");
        std::fs::create_dir(&root).unwrap();
        let v2 = "{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"hi\"]\n";
        std::fs::write(d.path().join("secret.cast"), v2).unwrap();
        std::fs::write(root.join("ok.cast"), v2).unwrap();
        std::fs::write(root.join("package.json"), "{\"name\": \"x\"}").unwrap();
        std::os::unix::fs::symlink(d.path().join("secret.cast"), root.join("link.cast")).unwrap();
        let c = Catalog::new(&root).unwrap();
        assert_eq!(c.scan(), 1);
        assert!(c.get("ok").is_some());
        assert!(c.get("link").is_none());
        assert!(c.open(&root.join("link.cast")).is_err());
    }
}
