//! cast-idle: cap every pause in a recording.
//!
//! The limit applies to each gap of the original recording on its own:
//! `new_gap = min(gap, limit)`. Capping never compounds (a run of long pauses does not grow
//! into ever longer ones), and running the tool twice changes nothing the second time. A gap
//! that goes backwards (a time earlier than the one before it, seen in real files) counts as
//! zero, so the output's times never go backwards.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::cli::{self, EventFilter, FilterArgs};
use crate::error::{Error, Result};
use crate::event::{EventRecord, EventRef};
use crate::header::Header;
use crate::time::{self, Micros};
use crate::write::Writer;

const EXAMPLES: &str = "\
Examples:
  cast-idle -l 2 < demo.cast > short.cast   cap pauses at two seconds
  cast-idle -l 1.5 -o short.cast demo.cast   the same, written atomically
  cast-idle -l 2 -i *.cast                   rewrite many recordings in place
  cast-idle --header-only -l 2 demo.cast     only set idle_time_limit for players

Exit status:
  0  success
  2  an error (a bad option, an unreadable or malformed recording)";

/// Cap every pause in an asciicast recording
///
/// Each gap between events longer than the limit is shortened to the limit. The limit applies
/// to each original gap on its own and never compounds, so running cast-idle twice gives the
/// same result as running it once. Data passes through byte for byte.
#[derive(Debug, Parser)]
#[command(name = "cast-idle", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Longest pause to keep, as SECONDS, M:SS or H:MM:SS [default: the header's idle_time_limit]
    #[arg(short = 'l', long, value_name = "SECS", value_parser = time::parse_clock)]
    pub limit: Option<Micros>,

    /// Only write the limit into the header's idle_time_limit (players apply it); leave times alone
    #[arg(long)]
    pub header_only: bool,

    #[command(flatten)]
    pub common: FilterArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    cli::run_filter(&a.common, |rdr| {
        let limit = a.limit.or(rdr.header().idle_time_limit()).ok_or_else(|| {
            Error::msg("no limit: give -l/--limit SECS (the header has no idle_time_limit)")
        })?;
        Ok(Idle::new(limit, a.header_only))
    })
}

/// The idle filter: caps gaps at `limit`, or with `header_only` records the limit in the
/// header and leaves times alone.
pub struct Idle {
    limit: Micros,
    header_only: bool,
    prev_in: Micros,
    out: Micros,
}

impl Idle {
    pub fn new(limit: Micros, header_only: bool) -> Idle {
        Idle {
            limit: limit.max(0),
            header_only,
            prev_in: 0,
            out: 0,
        }
    }

    /// The new time for an event at original time `t` (events must come in file order).
    #[inline]
    pub fn map(&mut self, t: Micros) -> Micros {
        let gap = t.saturating_sub(self.prev_in).clamp(0, self.limit);
        self.prev_in = t;
        self.out = self.out.saturating_add(gap);
        self.out
    }

    /// The time an event read at `t` is written at.
    #[inline]
    fn out_time(&mut self, t: Micros) -> Micros {
        if self.header_only { t } else { self.map(t) }
    }
}

impl EventFilter for Idle {
    fn header(&mut self, h: &mut Header) -> Result<()> {
        if self.header_only {
            h.set_idle_time_limit(Some(self.limit));
        } else {
            h.times_changed();
        }
        Ok(())
    }

    #[inline]
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        let t = self.out_time(rec.time());
        out.write_record(t, rec)?;
        Ok(())
    }

    #[inline]
    fn event_ref(&mut self, ev: &EventRef<'_>, out: &mut Writer) -> Result<bool> {
        let t = self.out_time(ev.time());
        out.write_event(t, ev.code_json(), ev.data_json())?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_each_gap_without_compounding() {
        let mut f = Idle::new(2_000_000, false);
        let times: Vec<_> = [0, 10, 11, 11_500_000, 30_000_000, 30_000_001]
            .iter()
            .map(|&s| f.map(if s < 1000 { s * 1_000_000 } else { s }))
            .collect();
        assert_eq!(
            times,
            [0, 2_000_000, 3_000_000, 3_500_000, 5_500_000, 5_500_001]
        );
    }

    #[test]
    fn backwards_time_is_a_zero_gap() {
        let mut f = Idle::new(5_000_000, false);
        assert_eq!(f.map(3_000_000), 3_000_000);
        assert_eq!(f.map(1_000_000), 3_000_000);
        assert_eq!(f.map(2_000_000), 4_000_000);
        assert_eq!(f.map(-7), 4_000_000);
    }
}
