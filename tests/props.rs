//! Property tests (proptest) on the library, in process: whatever castkit writes reads back
//! exactly, versions convert without drift, and the time filters keep their promises.

use std::io;

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
