//! Finding the patterns in assembled text.
//!
//! Lines are searched many at a time: the completed lines sit in one buffer separated by `\n`,
//! and one search runs over the whole buffer (memchr's memmem for a plain fixed string, the
//! regex crate otherwise, in multi-line mode so `^` and `$` hold at line ends). A match that
//! crosses a line end is not a match; the line it starts in is then searched on its own.

use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};

use crate::error::{Error, Result};

/// How to read the patterns.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub fixed: bool,
    pub ignore_case: bool,
    pub word: bool,
    pub line: bool,
}

/// A compiled set of patterns.
#[derive(Debug, Clone)]
pub enum Matcher {
    Literal(Box<memmem::Finder<'static>>),
    Regex(Regex),
}

impl Matcher {
    /// Compiles `patterns` (any of which may match). A pattern holding newlines is several
    /// patterns, as in grep.
    pub fn new(patterns: &[String], o: &Options) -> Result<Matcher> {
        let pats: Vec<&str> = patterns.iter().flat_map(|p| p.split('\n')).collect();
        if o.fixed && !o.ignore_case && !o.word && !o.line && pats.len() == 1 {
            return Ok(Matcher::Literal(Box::new(
                memmem::Finder::new(pats[0].as_bytes()).into_owned(),
            )));
        }
        let alts: Vec<String> = pats
            .iter()
            .map(|p| {
                if o.fixed {
                    regex::escape(p)
                } else {
                    (*p).to_string()
                }
            })
            .map(|p| format!("(?:{p})"))
            .collect();
        let mut re = alts.join("|");
        if o.word {
            re = format!(r"\b{{start-half}}(?:{re})\b{{end-half}}");
        }
        if o.line {
            re = format!("^(?:{re})$");
        }
        let re = RegexBuilder::new(&re)
            .case_insensitive(o.ignore_case)
            .multi_line(true)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| Error::msg(format!("invalid pattern: {}", one_line(&e.to_string()))))?;
        Ok(Matcher::Regex(re))
    }

    /// The first match in `hay` starting at or after `at`.
    #[inline]
    pub fn find_at(&self, hay: &[u8], at: usize) -> Option<(usize, usize)> {
        match self {
            Matcher::Literal(f) => f
                .find(&hay[at..])
                .map(|k| (at + k, at + k + f.needle().len())),
            Matcher::Regex(r) => r.find_at(hay, at).map(|m| (m.start(), m.end())),
        }
    }

    /// Every match in `line`, as byte ranges; empty matches are included.
    pub fn for_each(&self, line: &[u8], mut f: impl FnMut(usize, usize)) {
        match self {
            Matcher::Literal(fi) => {
                let n = fi.needle().len();
                if n == 0 {
                    f(0, 0);
                    return;
                }
                for k in fi.find_iter(line) {
                    f(k, k + n);
                }
            }
            Matcher::Regex(r) => {
                for m in r.find_iter(line) {
                    f(m.start(), m.end());
                }
            }
        }
    }

    /// The first match in `line` alone.
    pub fn first(&self, line: &[u8]) -> Option<(usize, usize)> {
        self.find_at(line, 0)
    }
}

/// The regex crate's messages draw the pattern over several lines; keep the last, which says
/// what is wrong, plus the pattern.
fn one_line(msg: &str) -> String {
    let lines: Vec<&str> = msg
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    match lines.last() {
        Some(last) if lines.len() > 1 => {
            let what = last.trim_start_matches("error:").trim();
            format!("{what}: {}", lines[1].trim())
        }
        _ => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &[&str], o: Options) -> Matcher {
        Matcher::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &o).unwrap()
    }

    fn all(mt: &Matcher, s: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        mt.for_each(s.as_bytes(), |a, b| v.push((a, b)));
        v
    }

    #[test]
    fn literal_and_regex() {
        let lit = m(
            &["ab"],
            Options {
                fixed: true,
                ..Default::default()
            },
        );
        assert!(matches!(lit, Matcher::Literal(_)));
        assert_eq!(all(&lit, "xabab"), [(1, 3), (3, 5)]);
        assert_eq!(lit.find_at(b"ab\nab", 1), Some((3, 5)));
        let re = m(&["a.c", "z+"], Options::default());
        assert_eq!(all(&re, "abc zz"), [(0, 3), (4, 6)]);
        let fixed_many = m(
            &["a.c\nq"],
            Options {
                fixed: true,
                ..Default::default()
            },
        );
        assert_eq!(all(&fixed_many, "abc a.c q"), [(4, 7), (8, 9)]);
    }

    #[test]
    fn words_lines_and_case() {
        let w = m(
            &["err"],
            Options {
                word: true,
                ..Default::default()
            },
        );
        assert_eq!(all(&w, "error err -err_ err-"), [(6, 9), (16, 19)]);
        let w = m(
            &["-x"],
            Options {
                word: true,
                fixed: true,
                ..Default::default()
            },
        );
        assert_eq!(all(&w, "a-x -xy -x"), [(8, 10)]);
        let l = m(
            &["a+"],
            Options {
                line: true,
                ..Default::default()
            },
        );
        assert_eq!(l.find_at(b"ab\naa\n", 0), Some((3, 5)));
        let i = m(
            &["ÉCOLE"],
            Options {
                ignore_case: true,
                fixed: true,
                ..Default::default()
            },
        );
        assert_eq!(all(&i, "une école"), [(4, 10)]);
    }

    #[test]
    fn bad_pattern_is_one_line() {
        let e = Matcher::new(&["a(".into()], &Options::default()).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("invalid pattern: "), "{s}");
        assert!(!s.contains('\n'), "{s}");
    }
}
