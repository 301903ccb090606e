//! cast-redact: hide passwords, tokens and keys in a recording before it is shared.
//!
//! Every match of a rule is replaced by `*`, one per column the hidden text took on screen, so
//! the picture keeps its layout. Line breaks and tabs inside a match stay as they are.
//!
//! Secrets rarely arrive in one piece. A program writes a token in two writes, a shell colours
//! part of it, a user types it one key at a time. So the rules are not run on single events but
//! on three streams, one per kind of text (`o` output, `e` stderr, `i` input), each read as a
//! person would see it: escape sequences (colours, cursor moves) are left out of the text the
//! rules see, and the text of strings such as window titles and hyperlinks is kept in. The
//! replacement is then mapped back onto the events, whose boundaries and times never change.
//!
//! That means an event cannot be written until it is known that no match covering it can still
//! grow with text yet to come. The filter keeps, for each stream, the earliest position where a
//! match could still be in progress, found with a lazy DFA of all rules run anchored from each
//! position and stopped as soon as it dies. Most text kills every rule within a byte or two, so
//! events go out at once; text that could be the start of a secret (`ghp_`, `password=`, the
//! first line of a private key) holds back the events from there on until the match ends or
//! cannot be one. Output stays in order, so a held event holds back everything after it.
//!
//! The bounds, which keep memory constant: a match in progress is followed for at most
//! [`WINDOW`] bytes of stream text; past that the rules decide on what they have (a match still
//! growing is hidden up to there). At most [`MAX_HELD_EVENTS`] events or [`MAX_HELD_BYTES`] bytes
//! are held; past that every stream decides at once.
//!
//! Markers, unknown event codes and the header's strings (title, command, env values) are
//! redacted too, each on its own. Resizes pass through. Events with nothing to hide are written
//! byte for byte as read.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser};
use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input, MatchKind, meta};
use regex_syntax::hir::{self, Hir, HirKind};
use serde_json::Value;
use unicode_width::UnicodeWidthChar;

use crate::ansi::{Token, Tokenizer};
use crate::cli::{self, EventFilter, FilterArgs};
use crate::error::{Error, Result};
use crate::event::{Code, EventRecord, json_str};
use crate::header::Header;
use crate::time::{self, Micros};
use crate::write::Writer;

/// Longest stretch of one stream's text (escape sequences left out) a match is followed over.
pub const WINDOW: usize = 64 * 1024;
/// Most events held back at once.
pub const MAX_HELD_EVENTS: usize = 65_536;
/// Most data bytes held back at once.
pub const MAX_HELD_BYTES: usize = 16 * 1024 * 1024;
/// Text kept before the undecided part of a stream, for look-behind (`\b`).
const CONTEXT: usize = 16;

const EXAMPLES: &str = "\
Examples:
  cast-redact demo.cast > safe.cast                 hide every preset's secrets
  cast-redact --preset github --preset aws demo.cast  only GitHub and AWS tokens
  cast-redact -e 'hunter2' -e 'ACME-[0-9]{6}' demo.cast   your own patterns (regular expressions)
  cast-redact -e '(?i)pin: (?P<secret>[0-9]+)' demo.cast  hide only the group named secret
  cast-redact --report -i *.cast                    rewrite in place, list what was hidden
  cast-redact --list-presets                        the presets and their patterns

Exit status:
  0  success (whether or not anything was redacted)
  2  an error (a bad option or pattern, an unreadable or malformed recording)";

/// Hide passwords, tokens and keys in an asciicast recording before sharing it
///
/// Replaces every match of the rules with `*`, as many as the hidden text took columns on
/// screen, in output (o), stderr (e) and input (i) events alike, and in markers and the header's
/// title, command and env. Matches that span events are found: a token printed in two writes,
/// typed one key per event, or with colour codes between its characters. Event times and
/// boundaries never change; events with nothing to hide pass through byte for byte.
///
/// With no -e and no --preset, every preset is used. A pattern with a capture group named
/// `secret` hides only that group (the presets use it to keep `password=` readable).
///
/// Bounds: a secret longer than 64 KiB of text is hidden only up to there. Typed secrets are
/// found when typed in one go: a key sequence edited with backspace or arrow keys is not
/// reassembled.
#[derive(Debug, Parser)]
#[command(name = "cast-redact", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Hide matches of REGEX (Rust regex syntax; may be repeated)
    #[arg(short = 'e', long = "regex", value_name = "REGEX")]
    pub regex: Vec<String>,

    /// Hide a common kind of secret: github, aws, private-key, password, bearer, slack, or all
    /// (may be repeated; see --list-presets)
    #[arg(short = 'p', long, value_name = "NAME", value_parser = parse_preset)]
    pub preset: Vec<String>,

    /// List what was redacted on standard error: file, time, rule and event code (never the
    /// secret itself)
    #[arg(long)]
    pub report: bool,

    /// Print the presets with their patterns and exit
    #[arg(long, exclusive = true)]
    pub list_presets: bool,

    #[command(flatten)]
    pub common: FilterArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

/// A named family of patterns.
pub struct Preset {
    pub name: &'static str,
    pub about: &'static str,
    pub patterns: &'static [&'static str],
}

/// The presets. Each pattern with a `secret` group hides only that group.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "github",
        about: "GitHub tokens: classic and OAuth/app tokens (ghp_, gho_, ghu_, ghs_, ghr_) and \
                fine-grained personal access tokens (github_pat_)",
        patterns: &[
            r"gh[pousr]_[A-Za-z0-9]{36,251}",
            r"github_pat_[A-Za-z0-9_]{22,247}",
        ],
    },
    Preset {
        name: "aws",
        about: "AWS access key IDs (AKIA..., ASIA... and the other 4-letter prefixes, 20 \
                characters) and secret access keys written after aws_secret_access_key",
        patterns: &[
            r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}",
            r#"(?i)aws_?secret_?access_?key["']?[ \t]*[=:][ \t]*["']?(?P<secret>[A-Za-z0-9/+=]{40})"#,
        ],
    },
    Preset {
        name: "private-key",
        about: "private key blocks (PEM: RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... PRIVATE KEY): \
                the lines after the BEGIN line are hidden, the BEGIN and END lines stay; a block \
                cut short is hidden as far as it goes",
        patterns: &[
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?P<secret>(?:[\r\n]+(?:[A-Za-z0-9+/=]+|[A-Za-z][A-Za-z0-9-]*:[^\r\n]*))*)",
        ],
    },
    Preset {
        name: "password",
        about: "the value after password, passwd or passphrase and = or : (quoted or up to the \
                next blank), and the password in URLs (scheme://user:PASSWORD@host)",
        patterns: &[
            r#"(?i)(?:password|passwd|passphrase)["']?[ \t]*[=:][ \t]*(?P<secret>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"']+)"#,
            r"://[^\s:/@]+:(?P<secret>[^\s@/]+)@",
        ],
    },
    Preset {
        name: "bearer",
        about: "HTTP credentials: the token after Bearer (16 characters or more), and after \
                Authorization: Basic or token",
        patterns: &[
            r"(?i)bearer[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)",
            r"(?i)authorization:[ \t]*(?:basic|token)[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)",
        ],
    },
    Preset {
        name: "slack",
        about: "Slack tokens (xoxb-, xoxp-, xoxa-, xoxo-, xoxr-, xoxs-) and incoming webhook URLs",
        patterns: &[
            r"xox[abposr]-[A-Za-z0-9-]{10,250}",
            r"https://hooks\.slack\.com/services/(?P<secret>[A-Za-z0-9/_-]+)",
        ],
    },
];

fn parse_preset(s: &str) -> std::result::Result<String, String> {
    if s == "all" || PRESETS.iter().any(|p| p.name == s) {
        Ok(s.to_string())
    } else {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        Err(format!(
            "unknown preset '{s}': expected one of {}, all",
            names.join(", ")
        ))
    }
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    if a.list_presets {
        let mut out = std::io::stdout().lock();
        for p in PRESETS {
            writeln!(out, "{}: {}", p.name, p.about)?;
            for pat in p.patterns {
                writeln!(out, "    {pat}")?;
            }
        }
        out.flush()?;
        return Ok(cli::EXIT_OK);
    }
    let mut rules: Vec<(String, Vec<String>)> = Vec::new();
    let all = a.preset.iter().any(|p| p == "all") || (a.preset.is_empty() && a.regex.is_empty());
    for p in PRESETS {
        if all || a.preset.iter().any(|n| n == p.name) {
            rules.push((
                p.name.to_string(),
                p.patterns.iter().map(|s| s.to_string()).collect(),
            ));
        }
    }
    for (k, re) in a.regex.iter().enumerate() {
        rules.push((format!("-e #{}", k + 1), vec![re.clone()]));
    }
    let rules = Rules::new(&rules)?;
    let report = a.report;
    cli::run_filter(&a.common, |rdr| {
        let name = rdr
            .path()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| "<stdin>".into());
        Ok(Redact::new(rules.clone(), report.then_some(name)))
    })
}

/// The compiled rules: one regex for finding matches, and lazy DFAs for telling whether a match
/// may still be in progress at the end of the text seen so far.
#[derive(Clone, Debug)]
pub struct Rules {
    re: meta::Regex,
    /// Pattern index -> rule index.
    rule_of: Vec<usize>,
    names: Vec<String>,
    /// Pattern index -> capture group index of `secret`.
    secret: Vec<Option<usize>>,
    /// Patterns without look-around, with the regex's own leftmost-first semantics.
    first: Option<DFA>,
    /// Patterns with look-around (`\b`, `^`, `$`), assertions removed and every match kept
    /// alive: this accepts more than the pattern, so it never calls a live match dead.
    all: Option<DFA>,
}

impl Rules {
    /// Compiles `(rule name, patterns)` pairs. An invalid pattern is an error naming it.
    pub fn new(rules: &[(String, Vec<String>)]) -> Result<Rules> {
        let mut hirs = Vec::new();
        let mut rule_of = Vec::new();
        let mut names = Vec::new();
        for (k, (name, pats)) in rules.iter().enumerate() {
            names.push(name.clone());
            for p in pats {
                let h = regex_syntax::ParserBuilder::new()
                    .build()
                    .parse(p)
                    .map_err(|e| Error::msg(format!("invalid regex '{p}': {}", one_line(&e))))?;
                hirs.push(h);
                rule_of.push(k);
            }
        }
        if hirs.is_empty() {
            return Err(Error::msg("no rules: give -e REGEX or --preset NAME"));
        }
        let re = meta::Builder::new()
            .build_many_from_hir(&hirs)
            .map_err(|e| Error::msg(format!("invalid regex: {e}")))?;
        let secret = (0..hirs.len())
            .map(|i| {
                re.group_info()
                    .to_index(regex_automata::PatternID::must(i), "secret")
            })
            .collect();
        let (plain, looks): (Vec<&Hir>, Vec<&Hir>) = hirs
            .iter()
            .partition(|h| h.properties().look_set().is_empty());
        let looks: Vec<Hir> = looks.into_iter().map(strip_looks).collect();
        let first = live_dfa(&plain, MatchKind::LeftmostFirst)?;
        let all = live_dfa(&looks.iter().collect::<Vec<_>>(), MatchKind::All)?;
        Ok(Rules {
            re,
            rule_of,
            names,
            secret,
            first,
            all,
        })
    }

    /// The name of rule `k` (a preset's name, or `-e #N`).
    pub fn name(&self, k: usize) -> &str {
        &self.names[k]
    }
}

fn one_line(e: &regex_syntax::Error) -> String {
    e.to_string()
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn live_dfa(hirs: &[&Hir], kind: MatchKind) -> Result<Option<DFA>> {
    if hirs.is_empty() {
        return Ok(None);
    }
    let nfa = thompson::Compiler::new()
        .configure(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
        .build_many_from_hir(hirs)
        .map_err(|e| Error::msg(format!("regex too large: {e}")))?;
    let dfa = DFA::builder()
        .configure(DFA::config().match_kind(kind))
        .build_from_nfa(nfa)
        .map_err(|e| Error::msg(format!("regex too large: {e}")))?;
    Ok(Some(dfa))
}

/// The pattern with every look-around assertion replaced by the empty string.
fn strip_looks(h: &Hir) -> Hir {
    match h.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Repetition(r) => Hir::repetition(hir::Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(strip_looks(&r.sub)),
        }),
        HirKind::Capture(c) => Hir::capture(hir::Capture {
            index: c.index,
            name: c.name.clone(),
            sub: Box::new(strip_looks(&c.sub)),
        }),
        HirKind::Concat(v) => Hir::concat(v.iter().map(strip_looks).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(strip_looks).collect()),
        _ => h.clone(),
    }
}

/// Where a scan of terminal text is: in plain text, or inside an escape sequence (the shared
/// tokenizer, [`crate::ansi`]). Plain text and the text of strings (OSC titles and
/// hyperlinks, DCS) is what the rules see; escape sequences and C0 and C1 controls other than
/// tab, CR and LF are left out.
#[derive(Debug, Clone, Default)]
struct Scan(Tokenizer);

impl Scan {
    /// Steps over one character; true when it is text the rules see.
    fn step(&mut self, c: char) -> bool {
        // Most characters are text in text: the tokenizer would say so, a character at a time.
        if self.0.in_ground() && !matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}') {
            return true;
        }
        let mut utf8 = [0; 4];
        let bytes = c.encode_utf8(&mut utf8).as_bytes();
        let mut i = 0;
        let mut seen = false;
        while let Some(t) = self.0.next(bytes, &mut i) {
            seen |= match t {
                Token::Text(_) | Token::Control(b'\t' | b'\n' | b'\r') => true,
                Token::StrData(_) => !matches!(
                    c,
                    '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\x7f'..='\u{9f}'
                ),
                _ => false,
            };
        }
        seen
    }
}

/// A decided redaction: stream text `[start, end)` (absolute byte offsets) by rule `rule`.
#[derive(Debug, Clone)]
struct Found {
    start: usize,
    end: usize,
    rule: usize,
    reported: bool,
}

/// The state of the anchored DFA run at a stream's hold point (`None`: that DFA died).
#[derive(Debug, Clone)]
struct Run {
    first: Option<LazyStateID>,
    all: Option<LazyStateID>,
    /// How far (absolute) the run has read.
    upto: usize,
    /// A DFA gave up (cache or quit): the run counts as live until the window bound.
    stuck: bool,
}

/// One stream of text (`o`, `e` or `i`) and what is known about matches in it.
#[derive(Debug, Default)]
struct Stream {
    /// The text the rules see, from absolute offset `base` on.
    buf: String,
    base: usize,
    /// Every match starting before this offset has been found.
    decided: usize,
    /// The earliest offset where a match may still be in progress.
    hold: usize,
    run: Option<Run>,
    found: VecDeque<Found>,
    scan: Scan,
}

impl Stream {
    fn end(&self) -> usize {
        self.base + self.buf.len()
    }

    /// Appends an event's text; returns the scan state before it and its stream-text range.
    fn push(&mut self, data: &str) -> (Scan, usize, usize) {
        let before = self.scan.clone();
        let start = self.end();
        for c in data.chars() {
            if self.scan.step(c) {
                self.buf.push(c);
            }
        }
        (before, start, self.end())
    }

    fn char_len_at(&self, abs: usize) -> usize {
        self.buf[abs - self.base..]
            .chars()
            .next()
            .map_or(1, char::len_utf8)
    }

    /// Moves the hold point forward past every position where no match can be in progress.
    fn advance(&mut self, m: &mut Matcher) {
        let end = self.end();
        loop {
            if self.hold >= end {
                self.hold = end;
                self.run = None;
                return;
            }
            let hold = self.hold;
            let run = self.run.get_or_insert_with(|| m.start_run(hold));
            let from = run.upto - self.base;
            if m.step(run, &self.buf.as_bytes()[from..]) {
                run.upto = end;
                return;
            }
            self.run = None;
            self.hold += self.char_len_at(self.hold);
        }
    }

    /// Finds the matches that start before the hold point.
    fn search(&mut self, m: &mut Matcher) {
        let hay = self.buf.as_bytes();
        let hi = self.hold - self.base;
        let mut at = self.decided - self.base;
        while at < hi {
            let input = Input::new(hay).range(at..);
            m.rules.re.search_captures(&input, &mut m.caps);
            let Some(found) = m.caps.get_match() else {
                break;
            };
            if found.start() >= hi {
                break;
            }
            let pid = found.pattern().as_usize();
            let span = m.rules.secret[pid]
                .and_then(|g| m.caps.get_group(g))
                .unwrap_or(found.span());
            if !span.is_empty() {
                self.found.push_back(Found {
                    start: self.base + span.start,
                    end: self.base + span.end,
                    rule: m.rules.rule_of[pid],
                    reported: false,
                });
            }
            at = if found.is_empty() {
                found.end()
                    + self.buf[found.end()..]
                        .chars()
                        .next()
                        .map_or(1, char::len_utf8)
            } else {
                found.end()
            };
        }
        self.decided = self.base + at.max(hi);
    }

    /// Brings `decided` as far as the text allows. With `all`, decides everything (the end of
    /// the input, or a bound reached).
    fn process(&mut self, m: &mut Matcher, all: bool) {
        loop {
            if all {
                self.hold = self.end();
                self.run = None;
            } else {
                self.advance(m);
                if self.end() - self.hold > WINDOW {
                    // Past the bound a match in progress is decided on what is there.
                    let mut h = self.end() - WINDOW / 2;
                    while !self.buf.is_char_boundary(h - self.base) {
                        h += 1;
                    }
                    self.hold = h;
                    self.run = None;
                    self.advance(m);
                }
            }
            self.search(m);
            if self.decided <= self.hold {
                return;
            }
            // A match reached past the hold point: what it covers is decided.
            self.hold = self.decided;
            self.run = None;
        }
    }

    /// Forgets text that no search needs again (before the decided part, but for a little
    /// context), keeping every redaction: for a huge event, whose text is pushed and searched
    /// a piece at a time while the event itself waits.
    fn trim_text(&mut self) {
        let mut cut = self.decided.min(self.hold).saturating_sub(CONTEXT);
        // In large steps: each trim moves what is left.
        if cut < self.base + WINDOW * 4 {
            return;
        }
        while !self.buf.is_char_boundary(cut - self.base) {
            cut -= 1;
        }
        self.buf.drain(..cut - self.base);
        self.base = cut;
    }

    /// Forgets text and redactions before `keep` (absolute), keeping a little context.
    fn trim(&mut self, keep: usize) {
        while self.found.front().is_some_and(|f| f.end <= keep) {
            self.found.pop_front();
        }
        let mut cut = keep.min(self.decided).saturating_sub(CONTEXT);
        if cut < self.base + 4096 {
            return;
        }
        while !self.buf.is_char_boundary(cut - self.base) {
            cut -= 1;
        }
        self.buf.drain(..cut - self.base);
        self.base = cut;
    }
}

/// The rules and the scratch state of running them.
struct Matcher {
    rules: Rules,
    first: Option<DfaCache>,
    all: Option<DfaCache>,
    caps: Captures,
}

impl Matcher {
    fn new(rules: Rules) -> Matcher {
        Matcher {
            first: rules.first.as_ref().map(DFA::create_cache),
            all: rules.all.as_ref().map(DFA::create_cache),
            caps: rules.re.create_captures(),
            rules,
        }
    }

    fn start_run(&mut self, at: usize) -> Run {
        let mut stuck = false;
        let mut start = |dfa: &Option<DFA>, cache: &mut Option<DfaCache>| {
            let (dfa, cache) = (dfa.as_ref()?, cache.as_mut()?);
            let input = Input::new(&b""[..]).anchored(Anchored::Yes);
            // A DFA that cannot start is taken as live: never hide less for an internal limit.
            dfa.start_state_forward(cache, &input)
                .map_err(|_| stuck = true)
                .ok()
        };
        let first = start(&self.rules.first, &mut self.first);
        let all = start(&self.rules.all, &mut self.all);
        Run {
            first,
            all,
            upto: at,
            stuck,
        }
    }

    /// Runs both DFAs over `bytes`; false once neither can match any more.
    fn step(&mut self, run: &mut Run, bytes: &[u8]) -> bool {
        if run.stuck {
            return true;
        }
        for (dfa, cache, sid) in [
            (&self.rules.first, &mut self.first, &mut run.first),
            (&self.rules.all, &mut self.all, &mut run.all),
        ] {
            let (Some(dfa), Some(cache)) = (dfa.as_ref(), cache.as_mut()) else {
                *sid = None;
                continue;
            };
            let Some(mut s) = *sid else { continue };
            for &b in bytes {
                match dfa.next_state(cache, s, b) {
                    Ok(n) if n.is_dead() => {
                        *sid = None;
                        break;
                    }
                    Ok(n) if n.is_quit() => {
                        run.stuck = true;
                        return true;
                    }
                    Ok(n) => s = n,
                    Err(_) => {
                        run.stuck = true;
                        return true;
                    }
                }
            }
            if sid.is_some() {
                // A match is reported one byte late, so a finished match looks alive. It is
                // final when no byte could take it further.
                let finished = s.is_match()
                    && dfa.byte_classes().representatives(..).all(|u| {
                        u.as_u8()
                            .is_none_or(|b| dfa.next_state(cache, s, b).is_ok_and(|n| n.is_dead()))
                    });
                *sid = (!finished).then_some(s);
            }
        }
        run.first.is_some() || run.all.is_some()
    }

    /// Redacts a string on its own (a marker, a header field). Returns the new text and the
    /// rules that matched, or `None` when nothing matched.
    fn redact_alone(&mut self, text: &str) -> Option<(String, Vec<usize>)> {
        let mut s = Stream::default();
        let (scan, a, b) = s.push(text);
        s.process(self, true);
        if s.found.is_empty() {
            return None;
        }
        let rules = s.found.iter().map(|f| f.rule).collect();
        let mut out = String::new();
        apply(text, scan, a, b, &mut s.found, &mut out, |_| {});
        Some((out, rules))
    }
}

/// Writes `data` into `out` with the stream-text ranges in `found` hidden. `scan` is the scan
/// state at the start of `data`, which covers stream text `[a, b)`. Calls `first` with the rule
/// of each redaction starting in this data.
fn apply(
    data: &str,
    scan: Scan,
    a: usize,
    b: usize,
    found: &mut VecDeque<Found>,
    out: &mut String,
    first: impl FnMut(usize),
) {
    let (mut scan, mut pos) = (scan, a);
    apply_piece(data, &mut scan, &mut pos, found, out, first);
    debug_assert_eq!(pos, b);
}

/// [`apply`] over a piece of an event's data: `scan` and `pos` are the scan state and the
/// stream-text offset at its start, and are left at its end for the next piece.
fn apply_piece(
    data: &str,
    scan: &mut Scan,
    pos: &mut usize,
    found: &mut VecDeque<Found>,
    out: &mut String,
    mut first: impl FnMut(usize),
) {
    let mut k = 0;
    for c in data.chars() {
        if !scan.step(c) {
            out.push(c);
            continue;
        }
        while k < found.len() && found[k].end <= *pos {
            k += 1;
        }
        let hidden = k < found.len() && found[k].start <= *pos;
        if hidden && !found[k].reported {
            found[k].reported = true;
            first(found[k].rule);
        }
        *pos += c.len_utf8();
        if hidden && !matches!(c, '\t' | '\n' | '\r') {
            for _ in 0..c.width().unwrap_or(0) {
                out.push('*');
            }
        } else {
            out.push(c);
        }
    }
}

/// Which stream an event's data belongs to.
fn stream_of(code: Code) -> Option<usize> {
    match code {
        Code::Output => Some(0),
        Code::Stderr => Some(1),
        Code::Input => Some(2),
        _ => None,
    }
}

/// An event waiting to be written.
struct Held {
    rec: EventRecord,
    /// The stream, scan state at its start and stream-text range; `None` for an event decided
    /// on its own.
    text: Option<(usize, Scan, usize, usize)>,
}

/// The redaction filter.
pub struct Redact {
    m: Matcher,
    streams: [Stream; 3],
    held: VecDeque<Held>,
    held_bytes: usize,
    /// The input's name, when redactions are to be reported.
    report: Option<PathBuf>,
    count: usize,
    scratch: String,
    out: String,
}

impl Redact {
    /// A filter applying `rules`; with `report`, each redaction is listed on standard error
    /// under that file name.
    pub fn new(rules: Rules, report: Option<PathBuf>) -> Redact {
        Redact {
            m: Matcher::new(rules),
            streams: Default::default(),
            held: VecDeque::new(),
            held_bytes: 0,
            report,
            count: 0,
            scratch: String::new(),
            out: String::new(),
        }
    }

    fn note(&mut self, when: &str, rule: usize, code: &str) {
        self.count += 1;
        if let Some(name) = &self.report {
            cli::error(format_args!(
                "{}: {when}: {} ({code})",
                name.display(),
                self.m.rules.name(rule)
            ));
        }
    }

    /// Writes the held events that are decided, in order.
    fn release(&mut self, out: &mut Writer) -> Result<()> {
        while let Some(h) = self.held.front() {
            if let Some((k, _, _, b)) = h.text
                && self.streams[k].decided < b
            {
                break;
            }
            let h = self.held.pop_front().expect("front exists");
            self.held_bytes -= h.rec.data_json().len();
            self.write(h, out)?;
        }
        let mut first = [None; 3];
        for h in &self.held {
            if let Some((k, _, a, _)) = h.text
                && first[k].is_none()
            {
                first[k] = Some(a);
                if first.iter().all(Option::is_some) {
                    break;
                }
            }
        }
        for (k, s) in self.streams.iter_mut().enumerate() {
            let keep = first[k].unwrap_or(s.decided);
            s.trim(keep);
        }
        Ok(())
    }

    fn write(&mut self, h: Held, out: &mut Writer) -> Result<()> {
        let Some((k, scan, a, b)) = h.text else {
            out.write_record(h.rec.time(), &h.rec)?;
            return Ok(());
        };
        let s = &mut self.streams[k];
        while s.found.front().is_some_and(|f| f.end <= a) {
            s.found.pop_front();
        }
        if s.found.front().is_none_or(|f| f.start >= b) {
            out.write_record(h.rec.time(), &h.rec)?;
            return Ok(());
        }
        let data = h.rec.data_str(&mut self.scratch);
        self.out.clear();
        let mut rules = Vec::new();
        apply(data, scan, a, b, &mut s.found, &mut self.out, |r| {
            rules.push(r)
        });
        let code = ["o", "e", "i"][k];
        let when = time::clock(h.rec.time());
        for r in rules {
            self.note(&when, r, code);
        }
        out.write_event(h.rec.time(), h.rec.code_json(), &json_str(&self.out))?;
        Ok(())
    }

    /// An event longer than [`MAX_HELD_BYTES`] in stream `k`. Holding it would pass that
    /// bound, and then every stream decides at once; so its text is pushed and searched a
    /// piece at a time (the text that no search needs again let go as it goes), the events
    /// before it are written, and it is written straight from the record, redacted a piece
    /// at a time if it must be. Memory stays near the one copy of the line the reader holds.
    fn huge_event(&mut self, k: usize, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let (scan, a) = (self.streams[k].scan.clone(), self.streams[k].end());
        {
            let (s, m) = (&mut self.streams[k], &mut self.m);
            let _ = rec.data_pieces(&mut scratch, crate::event::PIECE, |piece| {
                s.push(piece);
                s.process(m, false);
                s.trim_text();
                Ok::<(), std::convert::Infallible>(())
            });
        }
        let b = self.streams[k].end();
        for s in &mut self.streams {
            s.process(&mut self.m, true);
        }
        // Everything is decided: the events before it go out (not through `release`, whose
        // trimming would forget this event's redactions).
        while let Some(h) = self.held.pop_front() {
            self.held_bytes -= h.rec.data_json().len();
            self.write(h, out)?;
        }
        let s = &mut self.streams[k];
        while s.found.front().is_some_and(|f| f.end <= a) {
            s.found.pop_front();
        }
        if s.found.front().is_none_or(|f| f.start >= b) {
            out.write_record(rec.time(), rec)?;
        } else {
            let mut rules = Vec::new();
            let (mut scan, mut pos) = (scan, a);
            let text = &mut self.out;
            out.start_text(rec.time(), rec.code_json());
            rec.data_pieces(&mut scratch, crate::event::PIECE, |piece| {
                text.clear();
                apply_piece(piece, &mut scan, &mut pos, &mut s.found, text, |r| {
                    rules.push(r)
                });
                // Redactions behind this piece are done with (each piece looks from the front).
                while s.found.front().is_some_and(|f| f.end <= pos) {
                    s.found.pop_front();
                }
                out.push_text(text)
            })?;
            out.end_text()?;
            debug_assert_eq!(pos, b);
            let code = ["o", "e", "i"][k];
            let when = time::clock(rec.time());
            for r in rules {
                self.note(&when, r, code);
            }
        }
        self.scratch = scratch;
        let s = &mut self.streams[k];
        let keep = s.decided;
        s.trim(keep);
        Ok(())
    }

    /// Redacts every string value in `v`; true when anything changed.
    fn redact_value(&mut self, v: &mut Value, what: &str) -> bool {
        match v {
            Value::String(s) => match self.m.redact_alone(s) {
                Some((new, rules)) => {
                    *s = new;
                    for r in rules {
                        self.note(what, r, "header");
                    }
                    true
                }
                None => false,
            },
            Value::Array(a) => {
                let mut changed = false;
                for x in a {
                    changed |= self.redact_value(x, what);
                }
                changed
            }
            Value::Object(o) => {
                let mut changed = false;
                for (k, x) in o.iter_mut() {
                    changed |= self.redact_value(x, &format!("{what}.{k}"));
                }
                changed
            }
            _ => false,
        }
    }

    /// How many redactions were made so far.
    pub fn count(&self) -> usize {
        self.count
    }
}

impl EventFilter for Redact {
    fn header(&mut self, h: &mut Header) -> Result<()> {
        let keys: Vec<String> = h.fields().keys().cloned().collect();
        for key in keys {
            // Fields that describe the terminal (sizes, colours, times) hold no secrets, and
            // players need them intact; free text (title, command, env) and unknown keys may.
            if matches!(
                key.as_str(),
                "version"
                    | "width"
                    | "height"
                    | "term"
                    | "theme"
                    | "timestamp"
                    | "duration"
                    | "idle_time_limit"
            ) {
                continue;
            }
            let Some(mut v) = h.get(&key).cloned() else {
                continue;
            };
            if self.redact_value(&mut v, &format!("header {key}")) {
                h.set(&key, Some(v));
            }
        }
        Ok(())
    }

    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        let code = rec.code();
        if let Some(k) = stream_of(code)
            && rec.data_json().len() > MAX_HELD_BYTES
        {
            return self.huge_event(k, rec, out);
        }
        let held = match stream_of(code) {
            Some(k) => {
                let data = rec.data_str(&mut self.scratch);
                let (scan, a, b) = self.streams[k].push(data);
                let s = &mut self.streams[k];
                s.process(&mut self.m, false);
                Held {
                    rec: rec.clone(),
                    text: Some((k, scan, a, b)),
                }
            }
            None if code == Code::Resize => Held {
                rec: rec.clone(),
                text: None,
            },
            None => {
                let data = rec.data_str(&mut self.scratch);
                let mut rec = rec.clone();
                if let Some((new, rules)) = self.m.redact_alone(data) {
                    let mut c = String::new();
                    let code = rec.code_str(&mut c).to_string();
                    let when = time::clock(rec.time());
                    for r in rules {
                        self.note(&when, r, &code);
                    }
                    rec.set_data(&new);
                }
                Held { rec, text: None }
            }
        };
        self.held_bytes += held.rec.data_json().len();
        self.held.push_back(held);
        if self.held.len() > MAX_HELD_EVENTS || self.held_bytes > MAX_HELD_BYTES {
            for s in &mut self.streams {
                s.process(&mut self.m, true);
            }
        }
        self.release(out)
    }

    fn finish(&mut self, out: &mut Writer) -> Result<()> {
        for s in &mut self.streams {
            s.process(&mut self.m, true);
        }
        self.release(out)?;
        if let Some(name) = &self.report
            && self.count == 0
        {
            cli::error(format_args!("{}: nothing redacted", name.display()));
        }
        Ok(())
    }
}

/// Redacts a whole recording held in memory (for tests and library users): the events as
/// `(time, code, data)`, the result in the same form.
pub fn redact_events(
    rules: &Rules,
    events: &[(Micros, &str, &str)],
) -> Result<Vec<(Micros, String, String)>> {
    use crate::header::Version;
    let buf = crate::write::MemSink::default();
    let mut w = Writer::new(Box::new(buf.clone()), Version::V2);
    let mut f = Redact::new(rules.clone(), None);
    for (t, c, d) in events {
        f.event(&EventRecord::new(*t, c, d), &mut w)?;
    }
    f.finish(&mut w)?;
    w.finish()?;
    let text = String::from_utf8(buf.contents()).map_err(|e| Error::msg(e.to_string()))?;
    let mut rdr = crate::read::Reader::new(
        Box::new(std::io::Cursor::new(format!(
            "{{\"version\": 2, \"width\": 80, \"height\": 24}}\n{text}"
        ))),
        None,
    )?;
    let mut rec = EventRecord::default();
    let mut out = Vec::new();
    let (mut s1, mut s2) = (String::new(), String::new());
    while rdr.read_event(&mut rec)? {
        out.push((
            rec.time(),
            rec.code_str(&mut s1).to_string(),
            rec.data_str(&mut s2).to_string(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset_rules() -> Rules {
        let all: Vec<(String, Vec<String>)> = PRESETS
            .iter()
            .map(|p| {
                (
                    p.name.to_string(),
                    p.patterns.iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect();
        Rules::new(&all).unwrap()
    }

    fn rules(pats: &[&str]) -> Rules {
        let r: Vec<(String, Vec<String>)> = pats
            .iter()
            .enumerate()
            .map(|(k, p)| (format!("r{k}"), vec![p.to_string()]))
            .collect();
        Rules::new(&r).unwrap()
    }

    fn run(r: &Rules, evs: &[(&str, &str)]) -> Vec<String> {
        let evs: Vec<(Micros, &str, &str)> = evs
            .iter()
            .enumerate()
            .map(|(k, (c, d))| (k as Micros * 1000, *c, *d))
            .collect();
        let out = redact_events(r, &evs).unwrap();
        assert_eq!(out.len(), evs.len());
        for (k, (t, c, _)) in out.iter().enumerate() {
            assert_eq!(*t, evs[k].0);
            assert_eq!(c, evs[k].1);
        }
        out.into_iter().map(|e| e.2).collect()
    }

    const GHP: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

    /// An event past MAX_HELD_BYTES is searched and written a piece at a time: secrets in it
    /// (one across a piece boundary, one coloured, one split from the event before) are
    /// hidden exactly as in a short event, and the events around it keep their order.
    #[test]
    fn a_huge_event_is_redacted_in_pieces() {
        let r = rules(&["hunter2"]);
        let filler = "é".repeat(crate::event::PIECE / 2 - 3);
        let mut big = String::from("ter2 ");
        for k in 0..(MAX_HELD_BYTES / filler.len() + 2) {
            big.push_str(&filler);
            big.push_str(if k % 2 == 0 {
                "hunter2"
            } else {
                "hun\x1b[31mter2"
            });
        }
        let out = run(
            &r,
            &[
                ("o", "a hun"),
                ("i", "x"),
                ("o", &big),
                ("o", "hunter2 end"),
            ],
        );
        assert_eq!(out[0], "a ***");
        assert_eq!(out[1], "x");
        let expected = format!("****{}", &big[4..])
            .replace("hunter2", "*******")
            .replace("hun\x1b[31mter2", "***\x1b[31m****");
        assert!(out[2] == expected, "the huge event differs");
        assert_eq!(out[3], "******* end");
    }

    #[test]
    fn a_token_in_one_event() {
        let out = run(&preset_rules(), &[("o", &format!("token {GHP}\r\n"))]);
        assert_eq!(out, [format!("token {}\r\n", "*".repeat(GHP.len()))]);
    }

    #[test]
    fn a_token_split_over_writes_and_keys() {
        let r = preset_rules();
        let out = run(
            &r,
            &[("o", "x ghp_abcdefghij"), ("o", &GHP[14..]), ("o", " y")],
        );
        assert_eq!(out, ["x **************", &"*".repeat(GHP.len() - 14), " y"]);
        let keys: Vec<(&str, String)> = GHP.chars().map(|c| ("i", c.to_string())).collect();
        let mut evs: Vec<(&str, &str)> = keys.iter().map(|(c, d)| (*c, d.as_str())).collect();
        evs.push(("i", "\r"));
        let out = run(&r, &evs);
        assert!(out[..GHP.len()].iter().all(|d| d == "*"), "{out:?}");
        assert_eq!(out[GHP.len()], "\r");
    }

    #[test]
    fn colour_codes_inside_a_token_do_not_hide_it() {
        let out = run(
            &preset_rules(),
            &[
                ("o", "\x1b[1mAKIA\x1b[0;31mIOSFODNN7\x1b[0m"),
                ("o", "EXAMPLE\r\n"),
            ],
        );
        assert_eq!(
            out,
            ["\x1b[1m****\x1b[0;31m*********\x1b[0m", "*******\r\n"]
        );
    }

    #[test]
    fn streams_are_apart() {
        // Output and input interleaved: each stream is matched on its own.
        let out = run(
            &rules(&["secret"]),
            &[
                ("o", "sec"),
                ("i", "x"),
                ("o", "ret"),
                ("e", "secre"),
                ("i", "t"),
            ],
        );
        assert_eq!(out, ["***", "x", "***", "secre", "t"]);
    }

    #[test]
    fn secret_group_and_wide_characters() {
        let out = run(&preset_rules(), &[("o", "password=пароль中文 ok")]);
        assert_eq!(out, ["password=********** ok"]);
        let out = run(&rules(&["中+"]), &[("o", "a中中b")]);
        assert_eq!(out, ["a****b"]);
    }

    #[test]
    fn private_key_lines_keep_their_breaks() {
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\r\nAAAA\r\n-----END OPENSSH PRIVATE KEY-----\r\n$ ";
        let out = run(&preset_rules(), &[("o", &key[..50]), ("o", &key[50..])]);
        let joined = out.concat();
        assert_eq!(
            joined,
            "-----BEGIN OPENSSH PRIVATE KEY-----\r\n********************************\r\n****\r\n-----END OPENSSH PRIVATE KEY-----\r\n$ "
        );
    }

    #[test]
    fn held_events_keep_order_with_markers_and_resizes() {
        let out = run(
            &preset_rules(),
            &[
                ("o", "ghp_"),
                ("r", "90x30"),
                ("m", "mark"),
                ("o", &GHP[4..]),
            ],
        );
        assert_eq!(out[0], "****");
        assert_eq!(out[1], "90x30");
        assert_eq!(out[2], "mark");
    }

    #[test]
    fn decided_events_go_out_before_the_end() {
        let buf = crate::write::MemSink::default();
        let mut w = Writer::new(Box::new(buf.clone()), crate::header::Version::V2);
        w.set_line_buffered(true);
        let mut f = Redact::new(preset_rules(), None);
        let lines =
            |b: &crate::write::MemSink| b.contents().iter().filter(|&&c| c == b'\n').count();
        f.event(&EventRecord::new(1, "o", "ls\r\n"), &mut w)
            .unwrap();
        assert_eq!(lines(&buf), 1);
        f.event(&EventRecord::new(1, "o", "first"), &mut w).unwrap();
        assert_eq!(lines(&buf), 2, "no rule can start within 'first'");
        f.event(&EventRecord::new(2, "o", "ghp_"), &mut w).unwrap();
        f.event(&EventRecord::new(3, "r", "90x30"), &mut w).unwrap();
        assert_eq!(
            lines(&buf),
            2,
            "a possible token is held, and what follows it"
        );
        f.event(
            &EventRecord::new(4, "o", &format!("{} ", &GHP[4..])),
            &mut w,
        )
        .unwrap();
        assert_eq!(lines(&buf), 5, "the token ended: all out");
    }

    #[test]
    fn markers_are_redacted_alone() {
        let out = run(&preset_rules(), &[("m", &format!("pushed {GHP}"))]);
        assert_eq!(out, [format!("pushed {}", "*".repeat(GHP.len()))]);
    }

    #[test]
    fn look_around_patterns_stay_safe() {
        let r = rules(&[r"\bkey\b"]);
        assert_eq!(run(&r, &[("o", "a ke"), ("o", "y b")]), ["a **", "* b"]);
        assert_eq!(run(&r, &[("o", "a ke"), ("o", "ys b")]), ["a ke", "ys b"]);
    }

    #[test]
    fn nothing_to_hide_passes_through() {
        let out = run(
            &preset_rules(),
            &[("o", "plain \x1b[31mtext\r\n"), ("i", "ls\r")],
        );
        assert_eq!(out, ["plain \x1b[31mtext\r\n", "ls\r"]);
    }

    #[test]
    fn bad_pattern_is_named() {
        let e = Rules::new(&[("x".into(), vec!["a(".into()])]).unwrap_err();
        assert!(e.to_string().contains("invalid regex 'a('"), "{e}");
    }

    #[test]
    fn a_runaway_match_is_bounded() {
        // `password=` followed by more than WINDOW bytes without a blank: decided at the bound,
        // and every event still comes out.
        let long = "x".repeat(1000);
        let mut evs = vec![("o", "password=")];
        for _ in 0..(WINDOW / 1000 + 5) {
            evs.push(("o", long.as_str()));
        }
        let out = run(&preset_rules(), &evs);
        assert_eq!(out.len(), evs.len());
        assert_eq!(out[1], "*".repeat(1000));
    }
}
