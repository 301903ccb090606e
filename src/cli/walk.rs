//! `-r/--recursive`, `-g/--glob` and `-j/--threads`: finding recordings below directories, the
//! same way in every tool that reads many ([`WalkArgs`], flattened into each tool's clap
//! struct, and [`WalkArgs::expand`]).
//!
//! As in grep and ripgrep, `-r` is a switch: directories are given among the FILE arguments
//! (the current directory when there are none), files among them are read as named, and `-`
//! is standard input. Files are visited in name order, so runs are deterministic. Hidden files and directories
//! (names starting with `.`) are skipped. Symbolic links to files are followed; links to
//! directories are not, since they may loop. Which files count is decided by `-g/--glob`
//! patterns matched against the path below the directory given ([`Globs`]).

use std::io;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::Input;
use crate::error::{Error, Result};

/// The options of every tool that reads many recordings: `-r`, `-g` and `-j`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct WalkArgs {
    /// Search directories among the FILEs recursively (the current directory when there are
    /// none); hidden files and directories are skipped
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// With -r, take files matching GLOB [default: *.cast, *.json, *.cast.gz, *.cast.zst]
    ///
    /// Repeat for several; `!GLOB` excludes. Patterns match the path below the directory.
    #[arg(
        short = 'g',
        long = "glob",
        value_name = "GLOB",
        requires = "recursive"
    )]
    pub globs: Vec<String>,

    /// Read N recordings at a time [default: one per CPU]
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// One input named on the command line or found below a directory, in order.
#[derive(Debug)]
pub enum Found {
    /// A recording to read. `root` is the directory given as FILE it was found below, `None`
    /// for an input named on the command line.
    Input { input: Input, root: Option<PathBuf> },
    /// A directory or entry that could not be read, named in the error.
    Error(Error),
}

impl WalkArgs {
    /// The inputs `files` name: without `-r`, each FILE as given (standard input when there
    /// are none); with `-r`, every picked file below each directory among them (`.` when there
    /// are none), in name order, and the other FILEs as given. Unreadable directories and
    /// entries come in their place as [`Found::Error`]; an invalid `-g` pattern is an error.
    pub fn expand(&self, files: &[PathBuf]) -> Result<Vec<Found>> {
        if !self.recursive {
            return Ok(Input::list(files)
                .into_iter()
                .map(|input| Found::Input { input, root: None })
                .collect());
        }
        let globs = Globs::new(&self.globs)?;
        let dot = [PathBuf::from(".")];
        let roots = if files.is_empty() { &dot[..] } else { files };
        let mut found = Vec::new();
        for root in roots {
            if root.as_os_str() == "-" || !root.is_dir() {
                found.push(Found::Input {
                    input: Input::from_path(root),
                    root: None,
                });
                continue;
            }
            walk(root, &globs, &mut |r| {
                found.push(match r {
                    Ok(p) => Found::Input {
                        input: Input::File(p),
                        root: Some(root.clone()),
                    },
                    Err(e) => Found::Error(e),
                })
            });
        }
        Ok(found)
    }

    /// Runs `f` on a rayon pool of `-j` threads (rayon's global pool, one thread per CPU,
    /// without `-j`; `-j 0` is the same).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> Result<R> {
        match self.threads {
            Some(n) if n > 0 => Ok(rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| Error::msg(format!("cannot start threads: {e}")))?
                .install(f)),
            _ => Ok(f()),
        }
    }
}

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
/// be read or an entry that could not be listed (the walk goes on).
pub fn walk(root: &Path, globs: &Globs, found: &mut impl FnMut(Result<PathBuf>)) {
    walk_dir(root, root, globs, found);
}

fn walk_dir(root: &Path, dir: &Path, globs: &Globs, found: &mut impl FnMut(Result<PathBuf>)) {
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => return found(Err(Error::from(e).in_file(dir))),
    };
    let mut entries = listing(dir, entries, found);
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = if dir == Path::new(".") {
            PathBuf::from(&name)
        } else {
            dir.join(&name)
        };
        let ft = match e.file_type() {
            Ok(ft) => ft,
            Err(e) => {
                found(Err(Error::from(e).in_file(&path)));
                continue;
            }
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

/// The entries of `dir` that could be read; each one that could not is reported to `found`
/// as an error naming `dir` (the entry has no name to give).
fn listing<E>(
    dir: &Path,
    entries: impl Iterator<Item = io::Result<E>>,
    found: &mut impl FnMut(Result<PathBuf>),
) -> Vec<E> {
    let mut ok = Vec::new();
    for e in entries {
        match e {
            Ok(e) => ok.push(e),
            Err(e) => found(Err(Error::from(e).in_file(dir))),
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_entry_is_an_error_naming_its_directory() {
        let entries = vec![Ok(1), Err(io::Error::other("bad entry")), Ok(2)];
        let mut errors = Vec::new();
        let ok = listing(Path::new("recs/sub"), entries.into_iter(), &mut |r| {
            errors.push(r.unwrap_err().to_string())
        });
        assert_eq!(ok, [1, 2]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("recs/sub: "), "{}", errors[0]);
        assert!(errors[0].contains("bad entry"), "{}", errors[0]);
    }

    #[test]
    fn an_unreadable_directory_is_an_error_and_the_walk_goes_on() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        std::fs::write(p.join("a.cast"), "").unwrap();
        let args = WalkArgs {
            recursive: true,
            ..WalkArgs::default()
        };
        let missing = p.join("gone");
        let found = args.expand(&[missing.clone(), p.to_path_buf()]).unwrap();
        assert!(
            matches!(&found[0], Found::Input { input: Input::File(f), root: None } if *f == missing)
        );
        assert!(
            matches!(&found[1], Found::Input { input: Input::File(f), root: Some(r) }
                if *f == p.join("a.cast") && r == p)
        );
        // A directory read_dir refuses (a file where a directory was expected, racing).
        let mut errors = Vec::new();
        walk(&p.join("a.cast"), &Globs::new(&[]).unwrap(), &mut |r| {
            errors.push(r.unwrap_err().to_string())
        });
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("a.cast"), "{}", errors[0]);
    }

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
