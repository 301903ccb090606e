//! Exact time: integer microseconds, parsed from and written as decimal text.
//!
//! Recordings store times as JSON numbers in seconds. Reading them through `f64` would make
//! `0.1 + 0.2` drift by a microsecond here and there, and a recording that passes through a few
//! filters would slowly wander away from itself. castkit never touches floating point for
//! event times: the decimal text is parsed digit by digit into microseconds, and written back
//! the same way, so v2 -> v3 -> v2 returns every time exactly.

use std::fmt;

/// Microseconds. Signed, because real recordings contain negative times and intervals.
pub type Micros = i64;

/// One second in microseconds.
pub const SECOND: Micros = 1_000_000;

/// Why a time failed to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// The text is not a number (or not in an accepted time form).
    Syntax,
    /// The number does not fit in the range castkit handles (about ±292,000 years).
    Range,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Syntax => f.write_str("not a number"),
            TimeError::Range => f.write_str("time out of range"),
        }
    }
}

/// Parses a JSON number (`-?\d+(\.\d+)?([eE][+-]?\d+)?`) as seconds into exact microseconds.
///
/// Digits past the sixth decimal place are rounded half away from zero. Leniencies beyond JSON
/// that real files need: a leading `+`, a missing integer part (`.5`) and a missing fraction
/// (`5.`) are accepted. This does not allocate.
pub fn parse_seconds(text: &[u8]) -> Result<Micros, TimeError> {
    if let Some(t) = parse_plain(text) {
        return Ok(t);
    }
    let mut i = 0;
    let neg = match text.first() {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    // Collect the significant digits as an integer `mant` scaled by 10^exp10.
    let mut mant: i128 = 0;
    let mut exp10: i64 = 0;
    let mut digits = 0usize;
    // Digits beyond what i128 holds comfortably are dropped (an integer digit still scales).
    let push = |d: u8, frac: bool, mant: &mut i128, exp10: &mut i64| {
        if *mant < 1_000_000_000_000_000_000_000_000_000i128 {
            *mant = *mant * 10 + d as i128;
            if frac {
                *exp10 -= 1;
            }
        } else if !frac {
            *exp10 += 1;
        }
    };
    while i < text.len() && text[i].is_ascii_digit() {
        push(text[i] - b'0', false, &mut mant, &mut exp10);
        digits += 1;
        i += 1;
    }
    if i < text.len() && text[i] == b'.' {
        i += 1;
        while i < text.len() && text[i].is_ascii_digit() {
            push(text[i] - b'0', true, &mut mant, &mut exp10);
            digits += 1;
            i += 1;
        }
    }
    if digits == 0 {
        return Err(TimeError::Syntax);
    }
    if i < text.len() && (text[i] == b'e' || text[i] == b'E') {
        i += 1;
        let eneg = match text.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e: i64 = 0;
        while i < text.len() && text[i].is_ascii_digit() {
            e = (e * 10 + (text[i] - b'0') as i64).min(1_000_000);
            i += 1;
        }
        if i == start {
            return Err(TimeError::Syntax);
        }
        exp10 += if eneg { -e } else { e };
    }
    if i != text.len() {
        return Err(TimeError::Syntax);
    }
    // value = mant * 10^exp10 seconds = mant * 10^(exp10 + 6) microseconds
    let shift = exp10 + 6;
    let us: i128 = if mant == 0 {
        0
    } else if shift >= 0 {
        if shift > 30 {
            return Err(TimeError::Range);
        }
        mant.checked_mul(10i128.pow(shift as u32))
            .ok_or(TimeError::Range)?
    } else {
        let down = -shift;
        if down > 38 {
            0
        } else {
            let p = 10i128.pow(down as u32);
            let q = mant / p;
            let r = mant % p;
            // Round half away from zero (on the magnitude; the sign is applied below). Digits
            // dropped for size are worth less than one unit of `r`, and `p` is even, so they
            // cannot change this comparison.
            let round_up = r >= p / 2;
            if round_up { q + 1 } else { q }
        }
    };
    let us = if neg { -us } else { us };
    if us > i64::MAX as i128 || us < i64::MIN as i128 {
        return Err(TimeError::Range);
    }
    Ok(us as Micros)
}

/// The common case, without wide arithmetic: `\d{1,12}(\.\d{1,6})?`, as recorders write.
#[inline]
fn parse_plain(text: &[u8]) -> Option<Micros> {
    let dot = text.iter().position(|&b| b == b'.').unwrap_or(text.len());
    let (int, frac) = (&text[..dot], text.get(dot + 1..).unwrap_or(&[]));
    if int.is_empty() || int.len() > 12 || frac.len() > 6 || (dot < text.len() && frac.is_empty()) {
        return None;
    }
    let mut secs: i64 = 0;
    for &b in int {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        secs = secs * 10 + d as i64;
    }
    let mut us: i64 = 0;
    for &b in frac {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        us = us * 10 + d as i64;
    }
    const SCALE: [i64; 7] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    Some(secs * SECOND + us * SCALE[frac.len()])
}

/// Appends `t` as decimal seconds: up to six decimals, trailing zeros trimmed, at least one.
///
/// `1500000` becomes `1.5`, `2000000` becomes `2.0`, `-250` becomes `-0.00025`. Parsing the
/// result with [`parse_seconds`] gives back `t` exactly.
pub fn write_seconds(out: &mut Vec<u8>, t: Micros) {
    // Every event written passes here, so: one fixed-size copy (no call to memcpy) of a stack
    // buffer, trimmed afterwards.
    let mut buf = [0u8; SECONDS_MAX];
    let n = format_seconds(&mut buf, t);
    let len = out.len();
    out.extend_from_slice(&buf);
    out.truncate(len + n);
}

/// The longest text [`format_seconds`] writes, with room for its 4-byte stores.
pub(crate) const SECONDS_MAX: usize = 32;

/// Writes `t` as [`write_seconds`] does at the start of `buf`; returns its length.
///
/// Digits go three at a time from a table whose fourth byte says how many of the three are
/// left once trailing zeros go, so trimming the decimals costs no loop.
///
/// Always inlined: left to the compiler, it was called out of line from the writer once the
/// reader's fast path for typed keys grew, and callgrind counted 3.7% more instructions for
/// cast-idle -l 1 on 5 MB of keystrokes (102.3M against 98.5M), 3.6% on the typing-heavy mix.
#[inline(always)]
pub(crate) fn format_seconds(buf: &mut [u8; SECONDS_MAX], t: Micros) -> usize {
    let mut n = 0;
    if t < 0 {
        buf[0] = b'-';
        n = 1;
    }
    let mag = t.unsigned_abs();
    let secs = mag / 1_000_000;
    let frac = (mag % 1_000_000) as usize;
    if secs < 1000 {
        n += put_up_to_3(buf, n, secs as usize);
    } else if secs < 1_000_000 {
        n += put_up_to_3(buf, n, (secs / 1000) as usize);
        buf[n..n + 4].copy_from_slice(&DIGITS3[(secs % 1000) as usize]);
        n += 3;
    } else {
        // Beyond eleven days: digits one at a time, from the end.
        let mut digits = [0u8; 20];
        let mut k = digits.len();
        let mut v = secs;
        while v > 0 {
            k -= 1;
            digits[k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        let len = digits.len() - k;
        buf[n..n + len].copy_from_slice(&digits[k..]);
        n += len;
    }
    buf[n] = b'.';
    let (hi, lo) = (frac / 1000, frac % 1000);
    buf[n + 1..n + 5].copy_from_slice(&DIGITS3[hi]);
    buf[n + 4..n + 8].copy_from_slice(&DIGITS3[lo]);
    // One decimal always stays (`2.0`).
    let decimals = if lo != 0 {
        3 + DIGITS3[lo][3] as usize
    } else if hi != 0 {
        DIGITS3[hi][3] as usize
    } else {
        1
    };
    n + 1 + decimals
}

/// Writes `v` (< 1000) at `buf[at..]` without leading zeros (but at least one digit); returns
/// how many digits that is.
#[inline(always)]
fn put_up_to_3(buf: &mut [u8; SECONDS_MAX], at: usize, v: usize) -> usize {
    let skip = (v < 100) as u32 + (v < 10) as u32;
    // The table's bytes as a little-endian word: shifting drops the leading zeros.
    let word = u32::from_le_bytes(DIGITS3[v]) >> (8 * skip);
    buf[at..at + 4].copy_from_slice(&word.to_le_bytes());
    3 - skip as usize
}

/// "000" to "999", each followed by how many of its digits remain without trailing zeros.
const DIGITS3: [[u8; 4]; 1000] = {
    let mut t = [[0u8; 4]; 1000];
    let mut k = 0;
    while k < 1000 {
        let d = [(k / 100) as u8, (k / 10 % 10) as u8, (k % 10) as u8];
        let sig = if d[2] != 0 {
            3
        } else if d[1] != 0 {
            2
        } else {
            1
        };
        t[k] = [b'0' + d[0], b'0' + d[1], b'0' + d[2], sig];
        k += 1;
    }
    t
};

/// `t` as decimal seconds in a `String` (see [`write_seconds`]).
pub fn seconds_string(t: Micros) -> String {
    let mut v = Vec::with_capacity(24);
    write_seconds(&mut v, t);
    String::from_utf8(v).expect("ASCII")
}

/// Formats `t` as `H:MM:SS.mmm`, or `H:MM:SS.mmmmmm` when it is not a whole millisecond: the
/// way every tool prints a time. Exact, so that the printed time given back to `--at` or
/// `--from` names the same moment (a time cut to milliseconds would fall before its event,
/// and `--at` would show the screen just before it).
pub fn clock(t: Micros) -> String {
    let sign = if t < 0 { "-" } else { "" };
    let m = t.unsigned_abs();
    let s = m / SECOND as u64;
    let us = m % SECOND as u64;
    let (h, mm, ss) = (s / 3600, (s / 60) % 60, s % 60);
    if us.is_multiple_of(1000) {
        format!("{sign}{h}:{mm:02}:{ss:02}.{:03}", us / 1000)
    } else {
        format!("{sign}{h}:{mm:02}:{ss:02}.{us:06}")
    }
}

/// The same as [`clock`] (microseconds when the time is not a whole millisecond); the name
/// is kept for callers written before.
pub fn clock_millis(t: Micros) -> String {
    clock(t)
}

/// A point in time as a user writes it on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSpec {
    /// An absolute time on the recording's own timeline.
    At(Micros),
    /// `marker:LABEL`: the time of the first marker with this label.
    Marker(String),
}

impl TimeSpec {
    /// The time, when it is not a marker reference.
    pub fn micros(&self) -> Option<Micros> {
        match self {
            TimeSpec::At(t) => Some(*t),
            TimeSpec::Marker(_) => None,
        }
    }
}

impl fmt::Display for TimeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeSpec::At(t) => f.write_str(&seconds_string(*t)),
            TimeSpec::Marker(l) => write!(f, "marker:{l}"),
        }
    }
}

/// Parses a duration or point in time: `SECONDS` (`90`, `1.5`), `M:SS(.frac)`,
/// `H:MM:SS(.frac)`; negative values are refused.
///
/// This is the one parser every tool uses for its time options.
pub fn parse_clock(s: &str) -> Result<Micros, String> {
    let bad = || format!("invalid time '{s}': expected SECONDS, M:SS(.frac) or H:MM:SS(.frac)");
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 {
        return Err(bad());
    }
    let last = parts[parts.len() - 1];
    if last.is_empty() || last.starts_with(['-', '+']) || last.contains(['e', 'E']) {
        return Err(bad());
    }
    let secs = parse_seconds(last.as_bytes()).map_err(|_| bad())?;
    let mut total = secs;
    if parts.len() > 1 {
        // In M:SS and H:MM:SS forms the seconds field is below 60.
        if secs >= 60 * SECOND {
            return Err(bad());
        }
        let mut mult = 60 * SECOND;
        for (k, p) in parts[..parts.len() - 1].iter().rev().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 12 {
                return Err(bad());
            }
            let v: i64 = p.parse().map_err(|_| bad())?;
            // Minutes in H:MM:SS are below 60; the leading field may be any size.
            if k == 0 && parts.len() == 3 && v >= 60 {
                return Err(bad());
            }
            total = v
                .checked_mul(mult)
                .and_then(|x| x.checked_add(total))
                .ok_or_else(bad)?;
            mult *= 60;
        }
    }
    Ok(total)
}

/// Parses a time option that may also name a marker (`marker:LABEL`).
pub fn parse_time_spec(s: &str) -> Result<TimeSpec, String> {
    if let Some(label) = s.strip_prefix("marker:") {
        return Ok(TimeSpec::Marker(label.to_string()));
    }
    parse_clock(s).map(TimeSpec::At)
}

/// Parses a positive, finite factor such as a speed (`2`, `0.5`, `1e1`).
pub fn parse_factor(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("invalid factor '{s}': expected a positive number"))?;
    if v.is_infinite() && v > 0.0 {
        return Err(format!(
            "invalid factor '{s}': out of range (at most {:e})",
            f64::MAX
        ));
    }
    if !(v.is_finite() && v > 0.0) {
        let why = if v == 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
            "too small to be told from 0"
        } else {
            "expected a positive number"
        };
        return Err(format!("invalid factor '{s}': {why}"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Micros, TimeError> {
        parse_seconds(s.as_bytes())
    }

    #[test]
    fn parses_exact_decimals_rounds_and_exponents() {
        let cases: &[(&str, Result<Micros, TimeError>)] = &[
            // Exact decimals.
            ("0", Ok(0)),
            ("1.5", Ok(1_500_000)),
            ("0.123456", Ok(123_456)),
            ("0.1", Ok(100_000)),
            ("12345.000001", Ok(12_345_000_001)),
            ("-1.0", Ok(-1_000_000)),
            ("-0.000001", Ok(-1)),
            (".5", Ok(500_000)),
            ("5.", Ok(5_000_000)),
            // Past microseconds: rounded half away from zero.
            ("0.0677882328047417", Ok(67_788)),
            ("0.0000005", Ok(1)),
            ("0.0000004999", Ok(0)),
            ("-0.0000005", Ok(-1)),
            ("1.9999995", Ok(2_000_000)),
            ("0.00000050000000000000000000000000000000000001", Ok(1)),
            // Exponents.
            ("1e-6", Ok(1)),
            ("1.5E3", Ok(1_500_000_000)),
            ("25e-1", Ok(2_500_000)),
            ("1e-400", Ok(0)),
            ("1e400", Err(TimeError::Range)),
        ];
        for (s, want) in cases {
            assert_eq!(&p(s), want, "{s}");
        }
    }

    #[test]
    fn rejects_non_numbers() {
        for s in [
            "", "-", ".", "1.2.3", "abc", "1e", "0x10", "1 ", "NaN", "inf",
        ] {
            assert_eq!(p(s), Err(TimeError::Syntax), "{s:?}");
        }
        assert_eq!(p("99999999999999999999"), Err(TimeError::Range));
    }

    #[test]
    fn writes_trimmed_decimals() {
        for (t, s) in [
            (0, "0.0"),
            (1_500_000, "1.5"),
            (2_000_000, "2.0"),
            (123_456, "0.123456"),
            (-250, "-0.00025"),
            (1, "0.000001"),
            (i64::MAX, "9223372036854.775807"),
        ] {
            assert_eq!(seconds_string(t), s);
            assert_eq!(p(s), Ok(t));
        }
        assert_eq!(seconds_string(i64::MIN), "-9223372036854.775808");
    }

    #[test]
    fn writes_every_digit_count_like_the_plain_formatter() {
        let plain = |t: Micros| {
            let m = t.unsigned_abs();
            let frac = format!("{:06}", m % 1_000_000);
            let frac = frac.trim_end_matches('0');
            let sign = if t < 0 { "-" } else { "" };
            let frac = if frac.is_empty() { "0" } else { frac };
            format!("{sign}{}.{frac}", m / 1_000_000)
        };
        let mut rng = crate::testing::Rng(0x2545_F491_4F6C_DD1D);
        for k in 0..200_000u64 {
            let x = rng.next();
            // Magnitudes of every size, and round numbers with trailing zeros.
            let t = ((x >> (k % 64)) as i64 / 10i64.pow((k % 7) as u32))
                .wrapping_mul(10i64.pow((k % 5) as u32));
            assert_eq!(seconds_string(t), plain(t), "{t}");
            assert_eq!(seconds_string(-t), plain(-t), "{t}");
        }
    }

    #[test]
    fn clock_forms() {
        assert_eq!(parse_clock("90"), Ok(90 * SECOND));
        assert_eq!(parse_clock("1:30"), Ok(90 * SECOND));
        assert_eq!(parse_clock("1:30.25"), Ok(90 * SECOND + 250_000));
        assert_eq!(parse_clock("1:02:03.5"), Ok(3723 * SECOND + 500_000));
        assert_eq!(parse_clock("0:00:00"), Ok(0));
        assert_eq!(parse_clock("100:00"), Ok(6000 * SECOND));
        for bad in [
            "", "-1", "1:60", "1:61:00", "a:00", "1::00", ":30", "1:2:3:4", "1e3", "1:-5",
        ] {
            assert!(parse_clock(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_time_spec("marker:intro"),
            Ok(TimeSpec::Marker("intro".into()))
        );
        assert_eq!(clock(3_723_456_000), "1:02:03.456");
        assert_eq!(clock(3_723_456_789), "1:02:03.456789");
        assert_eq!(clock(83_913_195), "0:01:23.913195");
        assert_eq!(clock(83_000_001), "0:01:23.000001");
        assert_eq!(clock(-1_500), "-0:00:00.001500");
        // Read back, each names its own moment.
        for t in [0, 1, 999, 1000, 83_913_195, 3_723_456_789, 359_999_999_999] {
            assert_eq!(parse_clock(&clock(t)), Ok(t), "{t}");
        }
    }
}
