use crate::util::*;

#[test]
fn caps_pauses_per_gap() {
    let d = Dir::new();
    let input = v2(&[
        (0.0, "o", "a"),
        (10.0, "o", "b"),
        (11.0, "o", "c"),
        (11.5, "o", "d"),
        (30.0, "o", "e"),
    ]);
    let out = ok(&d.run_stdin("cast-idle", &["-l", "2"], &input));
    let times: Vec<i64> = parse_cast(&out).1.iter().map(|e| e.0).collect();
    assert_eq!(times, [0, 2_000_000, 3_000_000, 3_500_000, 5_500_000]);
}

#[test]
fn idempotent_and_v3() {
    let d = Dir::new();
    let input = v3(&[
        (1.0, "o", "a"),
        (9.0, "o", "b"),
        (9.1, "r", "90x20"),
        (20.0, "m", "end"),
    ]);
    let once = ok(&d.run_stdin("cast-idle", &["-l", "1.5"], &input));
    let twice = ok(&d.run_stdin("cast-idle", &["-l", "1.5"], &once));
    assert_eq!(once, twice);
    assert!(once.starts_with("{\"version\": 3,"));
    let times: Vec<i64> = parse_cast(&once).1.iter().map(|e| e.0).collect();
    assert_eq!(times, [1_000_000, 2_500_000, 2_600_000, 4_100_000]);
}

#[test]
fn limit_defaults_to_header_and_is_required() {
    let d = Dir::new();
    let input = "{\"version\": 2, \"width\": 80, \"height\": 24, \"idle_time_limit\": 1}\n[5, \"o\", \"a\"]\n";
    let out = ok(&d.run_stdin("cast-idle", &[], input));
    assert_eq!(parse_cast(&out).1[0].0, 1_000_000);
    let err = fails(&d.run_stdin("cast-idle", &[], v2(&[(5.0, "o", "a")])));
    assert!(err.contains("-l/--limit"), "{err}");
}

#[test]
fn header_only_sets_the_field_and_keeps_times() {
    let d = Dir::new();
    let input = v2(&[(5.0, "o", "a"), (50.0, "o", "b")]);
    let out = ok(&d.run_stdin("cast-idle", &["--header-only", "-l", "2.5"], &input));
    let (h, evs) = parse_cast(&out);
    assert_eq!(h["idle_time_limit"], 2.5);
    assert_eq!(evs, parse_cast(&input).1);
}

#[test]
fn duration_is_dropped_when_times_change_and_unknown_keys_kept() {
    let d = Dir::new();
    let input = "{\"version\": 2, \"width\": 80, \"height\": 24, \"duration\": 50, \"x-mine\": {\"a\": 1}}\n[50, \"o\", \"a\"]\n";
    let out = ok(&d.run_stdin("cast-idle", &["-l", "1"], input));
    assert_eq!(
        out.lines().next().unwrap(),
        r#"{"version":2,"width":80,"height":24,"x-mine":{"a":1}}"#
    );
}

#[test]
fn bad_limit_is_a_usage_error() {
    let d = Dir::new();
    let err = fails(&d.run_stdin("cast-idle", &["-l", "soon"], v2(&[])));
    assert!(err.contains("invalid time 'soon'"), "{err}");
}
