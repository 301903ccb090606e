//! cast-speed: play a recording faster or slower, all of it or a range.
//!
//! A factor above 1 is faster (asciinema's and agg's convention). Each new time is computed
//! from the original absolute time, `from + round((t - from) / factor)`, never from the
//! previous output time, so rounding cannot accumulate: speeding up by X and then by 1/X
//! gives every time back within a microsecond.
//!
//! `--duration` and `marker:LABEL` times need to know the recording before changing it: for
//! a file that is a first pass over it; standard input is first copied to a temporary file.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};

use crate::cli::{self, EventFilter, FilterArgs, Input};
use crate::error::{Error, Result};
use crate::event::{Code, EventRecord, EventRef};
use crate::header::Header;
use crate::read::Reader;
use crate::time::{self, Micros, TimeSpec};
use crate::write::Writer;

const EXAMPLES: &str = "\
Examples:
  cast-speed -f 2 demo.cast > fast.cast           twice as fast
  cast-speed -f 0.5 -o slow.cast demo.cast         half speed
  cast-speed --duration 30 demo.cast > 30s.cast    fit the whole recording into 30 seconds
  cast-speed -f 4 --from 1:10 --to 2:40 demo.cast  speed up one part; what follows moves back
  cast-speed -f 3 --from marker:build demo.cast    from a marker on

Exit status:
  0  success
  2  an error (a bad option, an unreadable or malformed recording)";

/// Speed up or slow down an asciicast recording
///
/// Scales the time between events by a factor (greater than 1 is faster), or to fit a given
/// duration. With --from/--to only that range changes and the rest of the recording moves to
/// follow it. Data passes through byte for byte.
#[derive(Debug, Parser)]
#[command(name = "cast-speed", version, after_long_help = EXAMPLES)]
#[command(group = clap::ArgGroup::new("how").required(true).args(["factor", "duration"]))]
pub struct Args {
    /// Speed factor: 2 is twice as fast, 0.5 half as fast (give this or --duration, not both)
    #[arg(short = 'f', long, value_name = "X", value_parser = time::parse_factor, allow_negative_numbers = true)]
    pub factor: Option<f64>,

    /// Make the recording (or the --from/--to range) last SECS (SECONDS, M:SS or H:MM:SS), instead of a --factor
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock)]
    pub duration: Option<Micros>,

    /// Start of the range to change: SECONDS, M:SS(.frac), H:MM:SS(.frac) or marker:LABEL [default: 0]
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub from: Option<TimeSpec>,

    /// End of the range to change (exclusive), same forms as --from [default: the end]
    #[arg(long, value_name = "T", value_parser = time::parse_time_spec)]
    pub to: Option<TimeSpec>,

    #[command(flatten)]
    pub common: FilterArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let mut a: Args = cli::parse(command(), args);
    let needs_prepass = a.duration.is_some()
        || matches!(a.from, Some(TimeSpec::Marker(_)))
        || matches!(a.to, Some(TimeSpec::Marker(_)));
    // Keeps a copy of standard input alive while it is read twice.
    let mut _spool = None;
    if needs_prepass && !a.common.in_place {
        let inputs = Input::list(&a.common.files);
        if inputs == [Input::Stdin] {
            let (path, guard) = cli::spool_stdin()?;
            a.common.files = vec![path];
            _spool = Some(guard);
        }
    }
    let (factor, duration, from, to) = (a.factor, a.duration, a.from.clone(), a.to.clone());
    cli::run_filter(&a.common, |rdr| {
        let pre = if needs_prepass {
            Some(prepass(rdr)?)
        } else {
            None
        };
        let resolve = |spec: &Option<TimeSpec>| -> Result<Option<Micros>> {
            match spec {
                None => Ok(None),
                Some(TimeSpec::At(t)) => Ok(Some(*t)),
                Some(TimeSpec::Marker(label)) => {
                    let p = pre.as_ref().expect("markers trigger the first pass");
                    p.markers
                        .iter()
                        .find(|(_, l)| l == label)
                        .map(|(t, _)| Some(*t))
                        .ok_or_else(|| cli::unknown_marker(label, &p.markers))
                }
            }
        };
        let start = resolve(&from)?.unwrap_or(0);
        let end = resolve(&to)?;
        if let Some(e) = end
            && e <= start
        {
            return Err(Error::msg(format!(
                "--to ({}) must be after --from ({})",
                time::seconds_string(e),
                time::seconds_string(start)
            )));
        }
        let factor = match (factor, duration) {
            (Some(f), _) => f,
            (None, Some(d)) => {
                let last = pre.as_ref().map_or(0, |p| p.end);
                let span = end.unwrap_or(last) - start;
                if span <= 0 {
                    return Err(Error::msg("nothing to fit: the range to change is empty"));
                }
                if d <= 0 {
                    return Err(Error::msg("--duration must be greater than 0"));
                }
                span as f64 / d as f64
            }
            (None, None) => unreachable!("clap requires one of them"),
        };
        Ok(Speed::new(factor, start, end))
    })
}

/// What a first pass learns: the last event time and the markers.
struct Prepass {
    end: Micros,
    markers: Vec<(Micros, String)>,
}

/// Reads the same input again from the start to learn its end time and markers.
fn prepass(rdr: &Reader) -> Result<Prepass> {
    let mut again = rdr.reopen()?;
    let mut rec = EventRecord::default();
    let mut p = Prepass {
        end: 0,
        markers: Vec::new(),
    };
    let mut scratch = String::new();
    while again.read_event(&mut rec)? {
        p.end = p.end.max(rec.time());
        if rec.code() == Code::Marker {
            p.markers
                .push((rec.time(), rec.data_str(&mut scratch).to_string()));
        }
    }
    Ok(p)
}

/// The speed filter: times in `[from, to)` scaled by 1/factor, later times shifted to follow.
pub struct Speed {
    factor: f64,
    inverse: f64,
    /// Whether `d * inverse` is `d / factor` exactly.
    exact: bool,
    from: Micros,
    to: Option<Micros>,
}

impl Speed {
    pub fn new(factor: f64, from: Micros, to: Option<Micros>) -> Speed {
        // A power of two (2, 4, 0.5...) has an exact inverse, and multiplying by it is exact.
        let mantissa = factor.to_bits() & ((1u64 << 52) - 1);
        let exponent = (factor.to_bits() >> 52) & 0x7FF;
        let exact = mantissa == 0 && (64..=1900).contains(&exponent);
        Speed {
            factor,
            inverse: 1.0 / factor,
            exact,
            from,
            to,
        }
    }

    /// `round(d / factor)`, exactly as the division gives it, but by multiplying by the
    /// inverse wherever that cannot round differently: a division's latency sits right in
    /// each event's path, a multiplication's hardly. The product is within a few units in the
    /// last place of the quotient, so only a quotient that close to a half (or past 2^52)
    /// takes the division.
    #[inline]
    fn scale(&self, d: Micros) -> Micros {
        let x = d as f64 * self.inverse;
        if self.exact {
            return round_half_away(x);
        }
        if x.abs() < 4.0e15 {
            let whole = x as Micros;
            let frac = (x - whole as f64).abs();
            if (frac - 0.5).abs() > x.abs() * 1e-15 + 1e-300 {
                return if frac > 0.5 {
                    whole + x.signum() as Micros
                } else {
                    whole
                };
            }
        }
        round_half_away(d as f64 / self.factor)
    }

    /// The new time for original time `t`.
    #[inline]
    pub fn map(&self, t: Micros) -> Micros {
        if t < self.from {
            return t;
        }
        match self.to {
            Some(to) if t >= to => {
                let span = to - self.from;
                t - span + self.scale(span)
            }
            _ => self.from + self.scale(t - self.from),
        }
    }
}

impl EventFilter for Speed {
    fn header(&mut self, h: &mut Header) -> Result<()> {
        h.times_changed();
        Ok(())
    }

    #[inline]
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        out.write_record(self.map(rec.time()), rec)?;
        Ok(())
    }

    #[inline]
    fn event_ref(&mut self, ev: &EventRef<'_>, out: &mut Writer) -> Result<bool> {
        out.write_event(self.map(ev.time()), ev.code_json(), ev.data_json())?;
        Ok(true)
    }
}

/// `x.round() as Micros` (halves away from zero, saturating) without calling libm's `round`,
/// which costs as much as the rest of the event on the way. Exact: below 2^53 the fraction
/// `x - trunc(x)` is computed without rounding, and above it every double is whole.
#[inline]
fn round_half_away(x: f64) -> Micros {
    let whole = x as Micros;
    if x.abs() >= 9_007_199_254_740_992.0 {
        return whole;
    }
    let frac = x - whole as f64;
    if frac >= 0.5 {
        whole + 1
    } else if frac <= -0.5 {
        whole - 1
    } else {
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_the_division() {
        let mut rng = crate::testing::Rng(0x2545_F491_4F6C_DD1D);
        let mut next = || rng.next();
        let factors = [
            2.0,
            0.5,
            3.0,
            1.5,
            0.7,
            1.0 / 3.0,
            7.3,
            1e-6,
            123456.789,
            1.0,
        ];
        for &f in &factors {
            let s = Speed::new(f, 0, None);
            for k in 0..300_000i64 {
                // Small times (where halves are common) and large ones.
                let d = if k % 2 == 0 {
                    k
                } else {
                    (next() >> 20) as i64 % 1_000_000_000_000
                };
                assert_eq!(s.scale(d), (d as f64 / f).round() as Micros, "{d} / {f}");
            }
        }
    }

    #[test]
    fn rounding_matches_std() {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.49999999999999994,
            -0.49999999999999994,
            4503599627370495.5,
            -4503599627370495.5,
            4503599627370497.0,
            9.3e18,
            -9.3e18,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut rng = crate::testing::Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..200_000 {
            let seed = rng.next();
            let d = (seed >> 11) as i64 % 100_000_000_000 - 50_000_000_000;
            let f = [3.0, 0.7, 1.5, 2.0, 0.1, 7.3][(seed % 6) as usize];
            xs.push(d as f64 / f);
            xs.push((d as f64) + 0.5);
        }
        for x in xs {
            assert_eq!(round_half_away(x), x.round() as Micros, "{x}");
        }
    }

    #[test]
    fn whole_recording() {
        let s = Speed::new(2.0, 0, None);
        assert_eq!(s.map(3_000_001), 1_500_001);
        assert_eq!(s.map(0), 0);
    }

    #[test]
    fn range_shifts_what_follows() {
        let s = Speed::new(4.0, 10_000_000, Some(18_000_000));
        assert_eq!(s.map(5_000_000), 5_000_000);
        assert_eq!(s.map(14_000_000), 11_000_000);
        assert_eq!(s.map(18_000_000), 12_000_000);
        assert_eq!(s.map(20_000_000), 14_000_000);
    }

    #[test]
    fn inverse_factor_restores_times() {
        for f in [3.0, 0.7, 1.000001, 123.0] {
            let a = Speed::new(f, 0, None);
            let b = Speed::new(1.0 / f, 0, None);
            for t in [0, 1, 999_999, 123_456_789, 86_400_000_000] {
                let back = b.map(a.map(t));
                assert!((back - t).abs() <= (f.max(1.0) as i64), "{f} {t} {back}");
            }
        }
    }
}
