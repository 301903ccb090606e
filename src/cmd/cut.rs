//! cast-cut: keep a range of a recording, or remove ranges from it, without breaking the
//! picture.
//!
//! Every cut becomes a list of removed spans on the file's own timeline: `--from F` removes
//! everything before F, `--to T` everything from T on, each `--remove A-B` the span `[A, B)`.
//! Overlapping and touching spans merge. An event is kept when its time is in none of them; it
//! moves back by the length of the spans before it (a leading `--from F` counts as F long, so
//! the result starts at 0). Times that go backwards (seen in real files) are placed by the
//! latest time seen so far, which is when a player shows them.
//!
//! A terminal is a state machine: output removed by a cut may have cleared the screen, set
//! colours, moved the cursor or entered the alternate screen, and what follows the cut assumes
//! it did. So output up to the last seam goes through a terminal emulator ([`crate::vt`]), and at
//! each seam cast-cut writes a repaint: an `r` event when the size in force differs from what
//! the viewer has, then one `o` event that resets the viewer's terminal and redraws the state
//! the original had at that moment. After the last seam the emulator is dropped and the filter
//! is a plain time-shifting passthrough. A seam whose removed span held no output and no
//! resize needs no repaint, so `--from 0` changes nothing.
//!
//! For a leading cut the size in force goes into the header instead of an `r` event; finding it
//! means reading up to the first kept event before the header is written (constant memory).
//! `marker:LABEL` times need a first pass over the input, as in cast-speed.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::cli::{self, EventFilter, FilterArgs, Input};
use crate::error::{Error, Result};
use crate::event::{Code, EventRecord, EventRef, parse_size};
use crate::header::Header;
use crate::read::Reader;
use crate::time::{self, Micros, TimeSpec};
use crate::vt::Vt;
use crate::write::Writer;

const EXAMPLES: &str = "\
Examples:
  cast-cut --from 1:10 --to 2:40 demo.cast > part.cast   keep 1:10 to 2:40, starting at 0
  cast-cut --to 30 -o first30s.cast demo.cast             keep the first 30 seconds
  cast-cut --remove 12-47.5 demo.cast > short.cast        remove a boring middle part
  cast-cut --remove 5-9 --remove 1:00-1:30 demo.cast      remove two parts
  cast-cut --from marker:build --to marker:test demo.cast  keep what lies between two markers
  cast-cut --no-repaint --from 60 demo.cast               a plain cut, no repaint at the seam

Exit status:
  0  success
  2  an error (a bad option, an unknown marker, an unreadable or malformed recording)";

/// Cut an asciicast recording by time or marker without breaking the picture
///
/// Keeps the range --from/--to (half-open: --from is kept, --to is not) and removes each
/// --remove range; later events move back by exactly what was removed, and a kept range starts
/// at 0. Times are SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL (the first marker with
/// that label).
///
/// At each seam the terminal is repainted, so what a viewer sees right after a cut is what the
/// original showed at that moment: screen text, colours and attributes, cursor position and
/// visibility, alternate screen (with the primary one underneath), scroll margins, tab stops,
/// charsets, saved cursors, terminal modes, window title, colour palette, cursor shape and
/// window size. The repaint starts with a terminal reset (RIS). Not restored: scrollback (lines
/// that had scrolled off the screen) and input-only modes such as mouse reporting. Resizes
/// inside a removed range take effect at the seam; markers and input inside it are dropped.
/// Data of kept events passes through byte for byte.
#[derive(Debug, Parser)]
#[command(name = "cast-cut", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Keep from T on (SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL) [default: the start]
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub from: Option<TimeSpec>,

    /// Keep up to T, not including T (same forms as --from) [default: the end]
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub to: Option<TimeSpec>,

    /// Remove the range A-B (A included, B not), e.g. 12-47.5, 1:00-1:30, marker:a-marker:b;
    /// may be repeated
    #[arg(long, value_name = "A-B", value_parser = parse_range)]
    pub remove: Vec<(TimeSpec, TimeSpec)>,

    /// Do not repaint the terminal at the seams (a plain cut; resizes still take effect)
    #[arg(long)]
    pub no_repaint: bool,

    #[command(flatten)]
    pub common: FilterArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

/// Parses `A-B`, each side a time or `marker:LABEL`. A label may contain `-`: the split used
/// is the one where both sides parse, and it must be the only one.
pub fn parse_range(s: &str) -> std::result::Result<(TimeSpec, TimeSpec), String> {
    let mut found = None;
    for (i, _) in s.match_indices('-') {
        let (a, b) = (&s[..i], &s[i + 1..]);
        let (Ok(a), Ok(b)) = (time::parse_time_spec(a), time::parse_time_spec(b)) else {
            continue;
        };
        if found.is_some() {
            return Err(format!(
                "ambiguous range '{s}': more than one '-' could separate A from B"
            ));
        }
        found = Some((a, b));
    }
    found.ok_or_else(|| {
        format!("invalid range '{s}': expected A-B, each SECONDS, M:SS, H:MM:SS or marker:LABEL")
    })
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let mut a: Args = cli::parse(command(), args);
    let is_marker = |t: &TimeSpec| matches!(t, TimeSpec::Marker(_));
    let needs_prepass = a.from.as_ref().is_some_and(is_marker)
        || a.to.as_ref().is_some_and(is_marker)
        || a.remove.iter().any(|(x, y)| is_marker(x) || is_marker(y));
    // Keeps a copy of standard input alive while it is read twice.
    let mut _spool = None;
    if needs_prepass && !a.common.in_place && Input::list(&a.common.files) == [Input::Stdin] {
        let (path, guard) = cli::spool_stdin()?;
        a.common.files = vec![path];
        _spool = Some(guard);
    }
    let repaint = !a.no_repaint;
    cli::run_filter(&a.common, |rdr| {
        let markers = if needs_prepass {
            markers(rdr)?
        } else {
            Vec::new()
        };
        let resolve = |spec: &TimeSpec| -> Result<Micros> {
            match spec {
                TimeSpec::At(t) => Ok(*t),
                TimeSpec::Marker(label) => markers
                    .iter()
                    .find(|(_, l)| l == label)
                    .map(|(t, _)| *t)
                    .ok_or_else(|| cli::unknown_marker(label, &markers)),
            }
        };
        let from = a.from.as_ref().map(resolve).transpose()?;
        let to = a.to.as_ref().map(resolve).transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && t <= f
        {
            return Err(Error::msg(format!(
                "--to ({}) must be after --from ({})",
                time::seconds_string(t),
                time::seconds_string(f)
            )));
        }
        let mut removes = Vec::new();
        for (x, y) in &a.remove {
            let (s, e) = (resolve(x)?, resolve(y)?);
            if e <= s {
                return Err(Error::msg(format!(
                    "--remove {x}-{y}: the end ({}) must be after the start ({})",
                    time::seconds_string(e),
                    time::seconds_string(s)
                )));
            }
            removes.push((s, e));
        }
        Ok(Cut::new(
            Plan::new(from, to, &removes),
            repaint,
            rdr.header().size(),
        ))
    })
}

/// Reads the same input again from the start to list its markers.
fn markers(rdr: &Reader) -> Result<Vec<(Micros, String)>> {
    let mut again = rdr.reopen()?;
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    let mut out = Vec::new();
    while again.read_event(&mut rec)? {
        if rec.code() == Code::Marker {
            out.push((rec.time(), rec.data_str(&mut scratch).to_string()));
        }
    }
    Ok(out)
}

/// A removed span `[start, end)`; `start` is `Micros::MIN` for a leading cut, `end` is
/// `Micros::MAX` for a trailing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Micros,
    pub end: Micros,
}

/// The removed spans, sorted and merged, with how far each kept part moves back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub spans: Vec<Span>,
    /// `shifts[i]`: total length removed before span `i`; one more entry than spans.
    shifts: Vec<Micros>,
}

impl Plan {
    /// The plan for `--from`, `--to` and `--remove` ranges (each `start < end`).
    pub fn new(from: Option<Micros>, to: Option<Micros>, removes: &[(Micros, Micros)]) -> Plan {
        let mut raw: Vec<Span> = removes
            .iter()
            .map(|&(start, end)| Span { start, end })
            .collect();
        if let Some(f) = from {
            raw.push(Span {
                start: Micros::MIN,
                end: f,
            });
        }
        if let Some(t) = to {
            raw.push(Span {
                start: t,
                end: Micros::MAX,
            });
        }
        raw.sort_by_key(|s| s.start);
        let mut spans: Vec<Span> = Vec::new();
        for s in raw {
            match spans.last_mut() {
                Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
                _ => spans.push(s),
            }
        }
        let mut shifts: Vec<Micros> = vec![0];
        for s in &spans {
            // A leading cut removes the time from 0 to its end: the result starts at 0.
            let len = s.end.saturating_sub(s.start.max(0));
            shifts.push(shifts.last().unwrap().saturating_add(len));
        }
        Plan { spans, shifts }
    }

    /// True when nothing is removed.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The end of the last span that has an end (the last seam), if any.
    fn last_seam(&self) -> Option<Micros> {
        self.spans
            .iter()
            .rev()
            .map(|s| s.end)
            .find(|&e| e != Micros::MAX)
    }

    /// The output time of the seam closing span `i`.
    fn seam_time(&self, i: usize) -> Micros {
        self.spans[i].end.saturating_sub(self.shifts[i + 1])
    }

    /// The output time of a kept event at `t`, while span `i` is the next one not yet passed.
    fn map(&self, i: usize, t: Micros) -> Micros {
        let floor = if i > 0 {
            self.spans[i - 1].end
        } else {
            Micros::MIN
        };
        t.max(floor).saturating_sub(self.shifts[i])
    }
}

/// A seam met before the header was written: what to write once it is.
struct Held {
    time: Micros,
    size: (u16, u16),
    repaint: Option<String>,
}

/// The cut filter. Feed it events in file order; see the module docs.
pub struct Cut {
    plan: Plan,
    /// The next span not yet passed.
    idx: usize,
    /// The latest time seen (placement of events whose time goes backwards).
    latest: Micros,
    /// The emulator, alive from the start up to the last seam when repainting.
    vt: Option<Vt>,
    last_seam: Micros,
    /// The size in force in the original, and the size the viewer has.
    size: (u16, u16),
    shown_size: (u16, u16),
    /// Something that changes the picture was dropped since the last seam.
    dirty: bool,
    /// No output has reached the viewer yet: a repaint needs no reset.
    fresh: bool,
    /// Before the header is written (reading ahead): seams are held, not written.
    held: Option<Held>,
    pending: Option<EventRecord>,
    scratch: String,
    notes: Vec<String>,
}

impl Cut {
    /// A cut by `plan`; `repaint` false gives a plain cut. `size` is the header's.
    pub fn new(plan: Plan, repaint: bool, size: (u16, u16)) -> Cut {
        let last_seam = plan.last_seam();
        let size = if repaint && last_seam.is_some() {
            crate::vt::cap_size(size)
        } else {
            size
        };
        let vt = match last_seam {
            Some(_) if repaint => Some(Vt::new(size.0, size.1)),
            _ => None,
        };
        Cut {
            plan,
            idx: 0,
            latest: Micros::MIN,
            vt,
            last_seam: last_seam.unwrap_or(Micros::MIN),
            size,
            shown_size: size,
            dirty: false,
            fresh: true,
            held: None,
            pending: None,
            scratch: String::new(),
            notes: Vec::new(),
        }
    }

    /// Says which cuts lay past the last event, where they removed nothing (a time typed
    /// wrong, or a recording shorter than thought).
    fn note_past_end(&mut self) {
        if self.latest == Micros::MIN {
            return; // no events at all: nothing to compare with
        }
        let end = time::clock_millis(self.latest);
        for s in &self.plan.spans {
            if s.start == Micros::MIN && self.latest < s.end {
                self.notes.push(format!(
                    "--from {} is past the end of the recording (its last event is at {end}); nothing was kept",
                    time::clock_millis(s.end)
                ));
            } else if s.start != Micros::MIN && self.latest < s.start {
                let what = if s.end == Micros::MAX {
                    "--to"
                } else {
                    "a removed range"
                };
                self.notes.push(format!(
                    "{what} starting at {} is past the end of the recording (its last event is at {end}); it changed nothing",
                    time::clock_millis(s.start)
                ));
            }
        }
    }

    /// Takes in one event: passes seams its time reaches (writing their repaints to `out`, or
    /// holding them when there is no writer yet) and updates the emulator. Returns true when
    /// the event is kept.
    fn take_in(&mut self, rec: &EventRecord, out: Option<&mut Writer>) -> Result<bool> {
        let removed = self.pass_seams(rec.time(), out)?;
        match rec.code() {
            Code::Output => {
                if let Some(vt) = &mut self.vt {
                    rec.data_pieces(&mut self.scratch, crate::event::PIECE, |p| {
                        vt.feed(p);
                        Ok::<(), Error>(())
                    })?;
                }
                self.dirty |= removed;
            }
            Code::Resize => {
                if let Some((c, r)) = parse_size(rec.data_str(&mut self.scratch)) {
                    self.size = (c, r);
                    if let Some(vt) = &mut self.vt {
                        vt.resize(c, r);
                    }
                    self.dirty |= removed;
                }
            }
            _ => {}
        }
        Ok(!removed)
    }

    /// The start of [`take_in`](Self::take_in), for an event at `t`: passes the seams its time
    /// reaches. Returns true when the event is in a removed span.
    #[inline]
    fn pass_seams(&mut self, t: Micros, mut out: Option<&mut Writer>) -> Result<bool> {
        self.latest = self.latest.max(t);
        while self.idx < self.plan.spans.len() && self.latest >= self.plan.spans[self.idx].end {
            self.close_span(out.as_deref_mut())?;
        }
        if self.vt.is_some() && self.latest >= self.last_seam {
            // Past the last seam: nothing more is needed from the emulator.
            self.vt = None;
        }
        Ok(self.idx < self.plan.spans.len() && self.latest >= self.plan.spans[self.idx].start)
    }

    /// Passes span `idx`: writes (or holds) the repaint its seam needs.
    fn close_span(&mut self, out: Option<&mut Writer>) -> Result<()> {
        let i = self.idx;
        self.idx += 1;
        if !std::mem::take(&mut self.dirty) {
            return Ok(());
        }
        let time = self.plan.seam_time(i);
        match out {
            Some(w) => self.write_seam(w, time)?,
            None => {
                self.held = Some(Held {
                    time,
                    size: self.size,
                    repaint: self.vt.as_ref().map(|v| v.repaint(false)),
                })
            }
        }
        Ok(())
    }

    fn write_seam(&mut self, w: &mut Writer, time: Micros) -> Result<()> {
        if self.size != self.shown_size {
            let (c, r) = self.size;
            w.write_text(time, Code::Resize, &format!("{c}x{r}"))?;
            self.shown_size = self.size;
        }
        if let Some(vt) = &self.vt {
            w.write_text(time, Code::Output, &vt.repaint(!self.fresh))?;
            self.fresh = false;
        }
        Ok(())
    }

    fn write_kept(&mut self, rec: &EventRecord, w: &mut Writer) -> Result<()> {
        w.write_record(self.plan.map(self.idx, rec.time()), rec)?;
        match rec.code() {
            Code::Output => self.fresh = false,
            Code::Resize => {
                if let Some(sz) = parse_size(rec.data_str(&mut self.scratch)) {
                    self.shown_size = sz;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl EventFilter for Cut {
    fn read_ahead(&mut self, rdr: &mut Reader) -> Result<()> {
        if self.plan.is_empty() {
            return Ok(());
        }
        let mut rec = EventRecord::default();
        while rdr.read_event(&mut rec)? {
            if self.take_in(&rec, None)? {
                self.pending = Some(rec);
                break;
            }
        }
        Ok(())
    }

    fn header(&mut self, h: &mut Header) -> Result<()> {
        if let Some(held) = &self.held
            && held.size != self.shown_size
        {
            h.set_size(held.size.0, held.size.1);
            self.shown_size = held.size;
        }
        if !self.plan.is_empty() {
            h.times_changed();
        }
        Ok(())
    }

    fn start(&mut self, out: &mut Writer) -> Result<()> {
        if let Some(held) = self.held.take()
            && let Some(r) = held.repaint
        {
            out.write_text(held.time, Code::Output, &r)?;
            self.fresh = false;
        }
        if let Some(rec) = self.pending.take() {
            self.write_kept(&rec, out)?;
        }
        Ok(())
    }

    #[inline]
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        if self.take_in(rec, Some(out))? {
            self.write_kept(rec, out)?;
        }
        Ok(())
    }

    /// Without an emulator to feed, an event other than a resize is passed through here (a
    /// resize goes to [`event`](Self::event) for its size).
    #[inline]
    fn event_ref(&mut self, ev: &EventRef<'_>, out: &mut Writer) -> Result<bool> {
        if self.vt.is_some() || ev.code() == Code::Resize {
            return Ok(false);
        }
        let removed = self.pass_seams(ev.time(), Some(out))?;
        let output = ev.code() == Code::Output;
        self.dirty |= removed && output;
        if !removed {
            out.write_event(
                self.plan.map(self.idx, ev.time()),
                ev.code_json(),
                ev.data_json(),
            )?;
            // `fresh` is not kept here: it matters only to a repaint, and with an emulator
            // (which repaints) no event comes this way.
        }
        Ok(true)
    }

    fn emulates(&self) -> bool {
        self.vt.is_some()
    }

    fn warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    fn finish(&mut self, out: &mut Writer) -> Result<()> {
        self.note_past_end();
        // The recording ended inside a removed span that a later part would have followed:
        // show how the original ended.
        if let Some(s) = self.plan.spans.get(self.idx)
            && s.end != Micros::MAX
            && self.latest >= s.start
        {
            self.close_span(Some(out))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Micros = 1_000_000;

    #[test]
    fn plan_merges_and_shifts() {
        let p = Plan::new(
            Some(10 * S),
            Some(100 * S),
            &[(20 * S, 30 * S), (25 * S, 40 * S)],
        );
        assert_eq!(p.spans.len(), 3);
        assert_eq!(p.shifts[..3], [0, 10 * S, 30 * S]);
        assert_eq!(p.map(1, 10 * S), 0);
        assert_eq!(p.map(1, 15 * S), 5 * S);
        assert_eq!(p.map(2, 40 * S), 10 * S);
        assert_eq!(p.seam_time(0), 0);
        assert_eq!(p.seam_time(1), 10 * S);
        // Touching ranges merge; a removal inside --from's part disappears into it.
        let p = Plan::new(Some(10 * S), None, &[(2 * S, 3 * S), (10 * S, 12 * S)]);
        assert_eq!(
            p.spans,
            [Span {
                start: Micros::MIN,
                end: 12 * S
            }]
        );
        assert_eq!(p.map(1, 12 * S), 0);
        // Without --from, times before the first removal stay as they are, negative ones too.
        let p = Plan::new(None, None, &[(5 * S, 7 * S)]);
        assert_eq!(p.map(0, -S), -S);
        assert_eq!(p.map(1, 8 * S), 6 * S);
        // A time going backwards into a removed span is held at the seam.
        assert_eq!(p.map(1, 6 * S), 5 * S);
    }

    #[test]
    fn ranges_parse() {
        let at = |s: Micros| TimeSpec::At(s);
        assert_eq!(parse_range("12-47.5"), Ok((at(12 * S), at(47_500_000))));
        assert_eq!(parse_range("1:00-1:30"), Ok((at(60 * S), at(90 * S))));
        assert_eq!(
            parse_range("marker:a-b-marker:c"),
            Ok((TimeSpec::Marker("a-b".into()), TimeSpec::Marker("c".into())))
        );
        assert_eq!(
            parse_range("marker:x-5"),
            Ok((TimeSpec::Marker("x".into()), at(5 * S)))
        );
        assert!(parse_range("5").is_err());
        assert!(parse_range("-5").is_err());
        assert!(parse_range("a-b").is_err());
        assert!(parse_range("marker:a-marker:b-marker:c").is_err());
    }
}
