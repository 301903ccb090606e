//! Property tests (proptest) on the library, in process: whatever castkit writes reads back
//! exactly, versions convert without drift, and the time filters keep their promises.

use std::io;

use castkit::cli::{self, EventFilter};
use castkit::cmd::{idle::Idle, speed::Speed};
use castkit::write::MemSink;
use castkit::{Code, EventRecord, Header, Reader, Version, Writer};
use proptest::prelude::*;

type Ev = (i64, String, String);

fn write(version: Version, events: &[Ev]) -> Vec<u8> {
    let buf = MemSink::default();
    let mut w = Writer::new(Box::new(buf.clone()), version);
    w.write_header(&Header::new(version, 80, 24)).unwrap();
    for (t, code, data) in events {
        let rec = EventRecord::new(*t, code, data);
        w.write_record(*t, &rec).unwrap();
    }
    w.finish().unwrap();

    buf.contents()
}

fn read(bytes: Vec<u8>) -> (Reader, Vec<EventRecord>) {
    let mut r = Reader::new(Box::new(io::Cursor::new(bytes)), None).unwrap();
    let mut out = Vec::new();
    let mut rec = EventRecord::default();
    while r.read_event(&mut rec).unwrap() {
        out.push(rec.clone());
    }
    (r, out)
}

fn decoded(recs: &[EventRecord]) -> Vec<Ev> {
    let (mut a, mut b) = (String::new(), String::new());
    recs.iter()
        .map(|r| {
            (
                r.time(),
                r.code_str(&mut a).to_string(),
                r.data_str(&mut b).to_string(),
            )
        })
        .collect()
}

/// Times before the start written as the start (v2 has no negative times).
fn not_negative(evs: &[Ev]) -> Vec<Ev> {
    evs.iter()
        .map(|(t, c, d)| ((*t).max(0), c.clone(), d.clone()))
        .collect()
}

/// Times never going backwards: each at least the one before it (v3's rule).
fn monotonic(evs: &[Ev]) -> Vec<Ev> {
    let mut t = 0i64;
    evs.iter()
        .map(|(u, c, d)| {
            t = t.max(*u);
            (t, c.clone(), d.clone())
        })
        .collect()
}

fn events() -> impl Strategy<Value = Vec<Ev>> {
    let code = prop_oneof![
        Just("o".to_string()),
        Just("i".to_string()),
        Just("m".to_string()),
        Just("e".to_string()),
        Just("x".to_string()),
        "[a-z]{2,5}",
    ];
    // Any text: quotes, backslashes, control characters, astral characters.
    let data = prop_oneof![
        any::<String>(),
        "[\"\\\\\\x00-\\x1f a-z]{0,12}",
        "\\PC{0,8}"
    ];
    // Gaps mostly forward, sometimes backwards (real files do that).
    let gap = prop_oneof![8 => 0i64..5_000_000, 1 => -2_000_000i64..0, 1 => Just(0)];
    // Resizes carry a real size (the reader drops impossible ones, with a warning).
    let event = prop_oneof![
        9 => (code, data),
        1 => (1u16..500, 1u16..200).prop_map(|(c, r)| ("r".to_string(), format!("{c}x{r}"))),
    ];
    prop::collection::vec((gap, event), 0..40).prop_map(|v| {
        let mut t = 0i64;
        v.into_iter()
            .map(|(g, (c, d))| {
                t += g;
                (t, c, d)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn written_events_read_back_identically(evs in events(), v3 in any::<bool>()) {
        let version = if v3 { Version::V3 } else { Version::V2 };
        let (r, recs) = read(write(version, &evs));
        prop_assert_eq!(r.version(), version);
        // v3 has no negative intervals: an event earlier than the one before it is written at
        // the previous time. v2 keeps every time as it is, but for negative ones, written as 0.
        let want = if v3 { monotonic(&evs) } else { not_negative(&evs) };
        prop_assert_eq!(decoded(&recs), want);
    }

    #[test]
    fn v2_to_v3_to_v2_is_exact(evs in events()) {
        let evs = monotonic(&evs);
        let v2 = write(Version::V2, &evs);
        let (_, recs) = read(v2.clone());
        let v3 = write(Version::V3, &decoded(&recs));
        let (_, back) = read(v3);
        let again = write(Version::V2, &decoded(&back));
        prop_assert_eq!(String::from_utf8(again).unwrap(), String::from_utf8(v2).unwrap());
    }

    #[test]
    fn idle_is_idempotent_and_never_goes_back(evs in events(), limit in 0i64..3_000_000) {
        let mut once = Idle::new(limit, false);
        let first: Vec<i64> = evs.iter().map(|e| once.map(e.0)).collect();
        let mut twice = Idle::new(limit, false);
        let second: Vec<i64> = first.iter().map(|&t| twice.map(t)).collect();
        prop_assert_eq!(&first, &second);
        prop_assert!(first.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn speed_there_and_back_within_a_microsecond(
        times in prop::collection::vec(0i64..10_000_000_000, 0..50),
        factor in 0.5f64..2.0,
    ) {
        let there = Speed::new(factor, 0, None);
        let back = Speed::new(1.0 / factor, 0, None);
        for t in times {
            let r = back.map(there.map(t));
            prop_assert!((r - t).abs() <= 1, "{} -> {}", t, r);
        }
    }

    #[test]
    fn reader_never_panics_on_junk(bytes in prop::collection::vec(any::<u8>(), 0..400), header in any::<bool>()) {
        let mut input = if header { b"{\"version\": 2, \"width\": 80, \"height\": 24}\n".to_vec() } else { Vec::new() };
        input.extend(bytes);
        if let Ok(mut r) = Reader::new(Box::new(io::Cursor::new(input)), None) {
            let mut rec = EventRecord::default();
            while let Ok(true) = r.read_event(&mut rec) {
                // Whatever is read is valid JSON to write back.
                prop_assert!(serde_json::from_slice::<String>(rec.data_json()).is_ok());
                let _ = rec.code() == Code::Output;
            }
        }
    }
}

fn cut_events() -> impl Strategy<Value = Vec<Ev>> {
    let event = prop_oneof![
        6 => ("[oie]", "\\PC{0,6}").prop_map(|(c, d)| (c.to_string(), d)),
        1 => "[a-z ]{0,5}".prop_map(|d| ("m".to_string(), d)),
        1 => (20u16..200, 5u16..60).prop_map(|(c, r)| ("r".to_string(), format!("{c}x{r}"))),
    ];
    prop::collection::vec((0i64..3_000_000, event), 1..30).prop_map(|v| {
        let mut t = 0i64;
        v.into_iter()
            .map(|(g, (c, d))| {
                t += g;
                (t, c, d)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Cutting a recording at T into `--to T` and `--from T` (plain cuts) and joining the
    /// pieces with cast-cat, with the gap that puts the second piece back at T, gives the
    /// original events exactly.
    #[test]
    fn cut_pieces_cat_back_to_the_original(evs in cut_events(), at in 0.0f64..1.0) {
        let d = crate::util::Dir::new();
        let original = write(Version::V2, &evs);
        d.write("a.cast", &original);
        let end = evs.last().map_or(0, |e| e.0);
        let t = (end as f64 * at) as i64;
        let ts = castkit::time::seconds_string(t);
        crate::util::ok(&d.run("cast-cut", &["--no-repaint", "--to", &ts, "-o", "p1.cast", "a.cast"]));
        crate::util::ok(&d.run("cast-cut", &["--no-repaint", "--from", &ts, "-o", "p2.cast", "a.cast"]));
        let (_, first) = read(std::fs::read(d.path("p1.cast")).unwrap());
        let last = first.last().map_or(0, |r| r.time());
        let gap = castkit::time::seconds_string(t - last);
        let joined = crate::util::ok(&d.run("cast-cat", &["--gap", &gap, "p1.cast", "p2.cast"]));
        let (_, back) = read(joined.into_bytes());
        prop_assert_eq!(decoded(&back), evs);
    }
}

/// A filter as it would run without the borrowed path: every event reaches it as a record.
struct Records<'a, F: EventFilter>(&'a mut F);

impl<F: EventFilter> EventFilter for Records<'_, F> {
    fn header(&mut self, h: &mut Header) -> castkit::Result<()> {
        self.0.header(h)
    }
    fn read_ahead(&mut self, rdr: &mut Reader) -> castkit::Result<()> {
        self.0.read_ahead(rdr)
    }
    fn start(&mut self, out: &mut Writer) -> castkit::Result<()> {
        self.0.start(out)
    }
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> castkit::Result<()> {
        self.0.event(rec, out)
    }
    fn finish(&mut self, out: &mut Writer) -> castkit::Result<()> {
        self.0.finish(out)
    }
    fn emulates(&self) -> bool {
        self.0.emulates()
    }
}

/// What `f` writes for `input`, run as the tools run it (`cli::pump`), with events borrowed
/// from the reader where it can (`borrow`) or always as records.
fn filtered<F: EventFilter>(input: &[u8], mut f: F, borrow: bool, v3: bool) -> Vec<u8> {
    let mut rdr = Reader::new(Box::new(io::Cursor::new(input.to_vec())), None).unwrap();
    let version = if v3 { Version::V3 } else { rdr.version() };
    let out = MemSink::default();
    let mut w = Writer::new(Box::new(out.clone()), version);
    if borrow {
        whole(&mut rdr, &mut w, &mut f)
    } else {
        whole(&mut rdr, &mut w, &mut Records(&mut f))
    }
    .unwrap();
    w.finish().unwrap();
    out.contents()
}

/// The hooks in the order the tools call them, then every event.
fn whole<F: EventFilter>(rdr: &mut Reader, w: &mut Writer, f: &mut F) -> castkit::Result<()> {
    f.read_ahead(rdr)?;
    let mut hdr = rdr.header().clone();
    f.header(&mut hdr)?;
    w.write_header(&hdr)?;
    f.start(w)?;
    cli::pump(rdr, f, w, std::path::Path::new("<memory>"))
}

/// Lines as recorders write them, and some the one-step path leaves to the general parser
/// (no spaces, an integer time, a raw tab to repair, a comment, a blank line).
fn mixed_recording(evs: &[Ev], v3: bool, odd: &[usize]) -> Vec<u8> {
    let version = if v3 { Version::V3 } else { Version::V2 };
    let text = String::from_utf8(write(version, evs)).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = match odd.get(i).map(|k| k % 6) {
            Some(1) if i > 0 => line.replace(", ", ","),
            Some(2) if i > 0 => line.replacen(".", "0.", 1),
            Some(3) if i > 0 && line.ends_with("\"]") => {
                format!("{}\t\"]", &line[..line.len() - 2])
            }
            Some(4) if i > 0 => format!("# a comment\n{line}"),
            Some(5) if i > 0 => format!("\n{line}"),
            _ => line.to_string(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every filter with a borrowed path writes exactly what it writes given records.
    #[test]
    fn borrowed_events_are_filtered_as_records_are(
        evs in events(),
        v3 in any::<bool>(),
        to_v3 in any::<bool>(),
        odd in prop::collection::vec(0usize..12, 0..40),
        p in 0i64..20_000_000,
        which in 0usize..10,
    ) {
        use castkit::cmd::{cat::Cat, cut, merge_stderr::{Mode, MergeStderr}};
        let input = mixed_recording(&evs, v3, &odd);
        let size = (80, 24);
        macro_rules! both {
            ($make:expr) => {{
                let a = filtered(&input, $make, true, to_v3);
                let b = filtered(&input, $make, false, to_v3);
                prop_assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
            }};
        }
        match which {
            0 => both!(Idle::new(p / 10, false)),
            1 => both!(Idle::new(p, true)),
            2 => both!(Speed::new(0.3 + p as f64 / 1e7, p / 3, Some(p))),
            3 => both!(cut::Cut::new(cut::Plan::new(Some(p / 4), Some(p), &[]), false, size)),
            4 => both!(cut::Cut::new(cut::Plan::new(None, None, &[(p / 5, p / 2)]), true, size)),
            5 => both!(MergeStderr::new(Mode::Merge, None)),
            6 => both!(MergeStderr::new(Mode::Drop, Some("31"))),
            7 => both!(MergeStderr::new(Mode::Only, Some("38;5;208"))),
            _ => {
                // cast-cat's filter for one input, the last (its exit kept) or not.
                let mut outs = Vec::new();
                for borrow in [true, false] {
                    let mut rdr = Reader::new(Box::new(io::Cursor::new(input.clone())), None).unwrap();
                    let out = MemSink::default();
                    let mut w = Writer::new(Box::new(out.clone()), rdr.version());
                    let mut cat = Cat::new(p);
                    let hdr = rdr.header().clone();
                    let s = cat.next_input(&hdr, which == 8, &mut w).unwrap();
                    if borrow {
                        cli::pump(&mut rdr, s, &mut w, std::path::Path::new("a")).unwrap();
                    } else {
                        cli::pump(&mut rdr, &mut Records(s), &mut w, std::path::Path::new("a")).unwrap();
                    }
                    w.finish().unwrap();
                    outs.push(out.contents());
                }
                prop_assert_eq!(String::from_utf8_lossy(&outs[0]), String::from_utf8_lossy(&outs[1]));
            }
        }
    }
}
