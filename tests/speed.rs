use crate::util::*;

fn times(out: &str) -> Vec<i64> {
    parse_cast(out).1.iter().map(|e| e.0).collect()
}

const EVENTS: &[(f64, &str, &str)] = &[
    (1.0, "o", "a"),
    (2.0, "m", "build"),
    (4.0, "o", "b"),
    (6.0, "m", "test"),
    (10.0, "o", "c"),
];

#[test]
fn factor_greater_than_one_is_faster() {
    let d = Dir::new();
    let out = ok(&d.run_stdin("cast-speed", &["-f", "2"], v2(EVENTS)));
    assert_eq!(
        times(&out),
        [500_000, 1_000_000, 2_000_000, 3_000_000, 5_000_000]
    );
    let out = ok(&d.run_stdin("cast-speed", &["--factor", "0.5"], v3(EVENTS)));
    assert_eq!(
        times(&out),
        [2_000_000, 4_000_000, 8_000_000, 12_000_000, 20_000_000]
    );
}

#[test]
fn range_changes_only_that_part() {
    let d = Dir::new();
    let out = ok(&d.run_stdin(
        "cast-speed",
        &["-f", "2", "--from", "2", "--to", "0:06"],
        v2(EVENTS),
    ));
    assert_eq!(
        times(&out),
        [1_000_000, 2_000_000, 3_000_000, 4_000_000, 8_000_000]
    );
}

#[test]
fn markers_name_the_range() {
    let d = Dir::new();
    d.write("a.cast", v2(EVENTS));
    let out = ok(&d.run(
        "cast-speed",
        &[
            "-f",
            "2",
            "--from",
            "marker:build",
            "--to",
            "marker:test",
            "a.cast",
        ],
    ));
    assert_eq!(
        times(&out),
        [1_000_000, 2_000_000, 3_000_000, 4_000_000, 8_000_000]
    );
    // From standard input too (spooled and read twice).
    let out2 = ok(&d.run_stdin(
        "cast-speed",
        &["-f", "2", "--from", "marker:build", "--to", "marker:test"],
        v2(EVENTS),
    ));
    assert_eq!(out, out2);
    let err = fails(&d.run(
        "cast-speed",
        &["-f", "2", "--from", "marker:nope", "a.cast"],
    ));
    assert!(
        err.contains("no marker 'nope'; markers: 'build', 'test'"),
        "{err}"
    );
}

#[test]
fn duration_fits_the_recording() {
    let d = Dir::new();
    d.write("a.cast", v2(EVENTS));
    let out = ok(&d.run("cast-speed", &["--duration", "5", "a.cast"]));
    assert_eq!(*times(&out).last().unwrap(), 5_000_000);
    let out = ok(&d.run_stdin("cast-speed", &["--duration", "0:20"], v2(EVENTS)));
    assert_eq!(*times(&out).last().unwrap(), 20_000_000);
    // With a range: that range takes the given time, the rest follows.
    let out = ok(&d.run(
        "cast-speed",
        &["--duration", "1", "--from", "2", "--to", "6", "a.cast"],
    ));
    assert_eq!(
        times(&out),
        [1_000_000, 2_000_000, 2_500_000, 3_000_000, 7_000_000]
    );
}

#[test]
fn speed_there_and_back_restores_times() {
    let d = Dir::new();
    let events: Vec<(f64, &str, &str)> =
        (0..300).map(|k| (k as f64 * 0.731_113, "o", "x")).collect();
    let input = v2(&events);
    let fast = ok(&d.run_stdin("cast-speed", &["-f", "1.25"], &input));
    let back = ok(&d.run_stdin("cast-speed", &["-f", "0.8"], &fast));
    for (a, b) in times(&input).iter().zip(times(&back)) {
        assert!((a - b).abs() <= 1, "{a} vs {b}");
    }
}

#[test]
fn bad_options() {
    let d = Dir::new();
    for (args, msg) in [
        (&["-f", "0"][..], "invalid factor"),
        (&["-f", "-2"][..], "invalid factor"),
        (&[][..], "required"),
        (
            &["-f", "2", "--from", "5", "--to", "3"][..],
            "must be after",
        ),
    ] {
        let err = fails(&d.run_stdin("cast-speed", args, v2(EVENTS)));
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}
