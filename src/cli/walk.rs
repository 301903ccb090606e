//! `-r DIR`: finding recordings below directories, the same way in every tool.
//!
//! Files are visited in name order, so runs are deterministic. Hidden files and directories
//! (names starting with `.`) are skipped. Symbolic links to files are followed; links to
//! directories are not, since they may loop. Which files count is decided by `-g/--glob`
//! patterns matched against the path below the directory given ([`Globs`]).

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::{Error, Result};

/// The files a recursive search picks by default: v2/v3 recordings and v1 JSON ones, and
/// recordings compressed with gzip or zstd.
pub const DEFAULT_GLOBS: [&str; 4] = ["*.cast", "*.json", "*.cast.gz", "*.cast.zst"];

/// `-g/--glob` patterns: a file is picked when it matches a positive pattern (the defaults
/// when none is given) and no `!` pattern.
pub struct Globs {
    yes: GlobSet,
    no: GlobSet,
}

impl Globs {
    /// Builds the sets; an invalid pattern is an error naming it.
    pub fn new(globs: &[String]) -> Result<Globs> {
        let mut yes = GlobSetBuilder::new();
        let mut no = GlobSetBuilder::new();
        let mut any_yes = false;
        for g in globs {
            let (set, pat) = match g.strip_prefix('!') {
                Some(p) => (&mut no, p),
                None => {
                    any_yes = true;
                    (&mut yes, g.as_str())
                }
            };
            let glob = Glob::new(pat)
                .map_err(|e| Error::msg(format!("invalid glob '{g}': {}", e.kind())))?;
            set.add(glob);
        }
        if !any_yes {
            for d in DEFAULT_GLOBS {
                yes.add(Glob::new(d).expect("valid glob"));
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build()
                .map_err(|e| Error::msg(format!("invalid glob: {e}")))
        };
        Ok(Globs {
            yes: build(yes)?,
            no: build(no)?,
        })
    }

    /// True when a file at `rel` (its path below the directory searched) is picked.
    pub fn wants(&self, rel: &Path) -> bool {
        self.yes.is_match(rel) && !self.no.is_match(rel)
    }
}

/// Calls `found` for every picked file below `root`, in name order, with its path joined to
/// `root` as given (`./` left off for `.`), or with the error of a directory that could not
/// be read (the walk goes on).
pub fn walk(root: &Path, globs: &Globs, found: &mut impl FnMut(Result<PathBuf>)) {
    walk_dir(root, root, globs, found);
}

fn walk_dir(root: &Path, dir: &Path, globs: &Globs, found: &mut impl FnMut(Result<PathBuf>)) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => return found(Err(Error::from(e).in_file(dir))),
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        let path = if dir == Path::new(".") {
            PathBuf::from(&name)
        } else {
            dir.join(&name)
        };
        if ft.is_dir() {
            walk_dir(root, &path, globs, found);
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            if globs.wants(rel) {
                found(Ok(path));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_recordings_in_order_and_skips_hidden() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        for f in [
            "b.cast",
            "a.json",
            "notes.txt",
            ".hidden.cast",
            "sub/c.cast",
            ".git/d.cast",
            "sub/skip.cast",
        ] {
            let f = p.join(f);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, "").unwrap();
        }
        let pick = |globs: &[&str]| {
            let globs =
                Globs::new(&globs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
            let mut out = Vec::new();
            walk(p, &globs, &mut |r| {
                out.push(r.unwrap().strip_prefix(p).unwrap().display().to_string())
            });
            out
        };
        assert_eq!(
            pick(&[]),
            ["a.json", "b.cast", "sub/c.cast", "sub/skip.cast"]
        );
        assert_eq!(pick(&["*.cast", "!sub/skip*"]), ["b.cast", "sub/c.cast"]);
        assert_eq!(
            pick(&["!*.json"]),
            ["b.cast", "sub/c.cast", "sub/skip.cast"]
        );
        assert!(Globs::new(&["a[".to_string()]).is_err());
    }
}
