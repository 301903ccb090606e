//! cast-rec --script: VHS tapes typed into bash, less and vim, recorded headless.
//!
//! The tapes under tests/tapes/ exercise every key command; the smaller ones are written
//! here. Timeouts in tapes are generous and assertions are about order and content, except
//! the one about typing speed, which looks at the median interval only.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

const TAPES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tapes");

fn tape_path(name: &str) -> String {
    format!("{TAPES}/{name}")
}

fn rec(d: &Dir) -> Command {
    let mut c = cmd("cast-rec");
    c.current_dir(d.tmp.path())
        .env("HOME", d.tmp.path())
        .env("SHELL", "/bin/sh")
        .env_remove("ENV")
        .env_remove("INPUTRC")
        .stdin(Stdio::null());
    c
}

/// Runs cast-rec with `args`, failing instead of hanging.
fn run(d: &Dir, args: &[&str]) -> Output {
    let mut child = rec(d)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let until = Instant::now() + Duration::from_secs(180);
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("cast-rec --script did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts a run succeeded; its standard output (a copy of the session) is not looked at.
fn succeeded(o: &Output) {
    assert!(o.status.success(), "{:?}: {}", o.status, stderr(o));
}

fn events(d: &Dir, name: &str) -> (serde_json::Value, Vec<Ev>) {
    parse_cast(&d.read(name))
}

fn text(evs: &[Ev], code: &str) -> String {
    evs.iter()
        .filter(|e| e.1 == code)
        .map(|e| e.2.as_str())
        .collect()
}

#[test]
fn every_key_command_reaches_bash() {
    let d = Dir::new();
    let o = run(
        &d,
        &["-q", "-I", "--script", &tape_path("bash.tape"), "b.cast"],
    );
    succeeded(&o);
    let (h, evs) = events(&d, "b.cast");
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(80), Some(24))
    );
    let out = text(&evs, "o");
    for line in [
        "\rhi there\r\n",
        "\rabYZ\r\n",
        "\rA cat uniquefile.txt\r\n",
        "\rhello world!\r\n",
        "\rone two\r\n",
        "\rkilled\r\n",
        "^C",
        "\rdone\r\n",
    ] {
        assert!(out.contains(line), "{line:?} not in {out:?}");
    }
    assert!(!out.contains("\rnever\r\n"), "Ctrl+U did not kill the line");
    // Each key its own i event, in order.
    let keys: Vec<&str> = evs
        .iter()
        .filter(|e| e.1 == "i")
        .map(|e| e.2.as_str())
        .collect();
    assert_eq!(
        keys.concat(),
        "echo $GREETING\recho abcXX\x7f\x7fY\x1b[D\x1b[D\x1b[3~\x1b[CZ\recho A cat uniq\t\r\
         world\x1b[Hecho hello \x1b[F!\recho two\x1bbone \recho never\x15echo killed\r\
         sleep 30\r\x03echo done\r"
    );
    assert_eq!(keys.len(), 128);
    assert!(
        keys.iter()
            .all(|k| k.chars().count() == 1 || k.starts_with('\x1b'))
    );
    // The hidden setup is not in the recording.
    assert!(!d.read("b.cast").contains("touch"));
    assert!(d.path("uniquefile.txt").exists());
    assert_eq!(evs.last().unwrap().1, "x");
}

#[test]
fn full_screen_programs_get_their_keys() {
    let d = Dir::new();
    let o = run(
        &d,
        &["-q", "-I", "--script", &tape_path("less.tape"), "l.cast"],
    );
    succeeded(&o);
    assert_eq!(d.read("note.txt"), "typed in vim\n");
    let (h, evs) = events(&d, "l.cast");
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(40), Some(10))
    );
    // less asks for application cursor keys, and the arrows follow it.
    assert_eq!(
        text(&evs, "i"),
        "seq 1 100 | less\r\x1b[6~\x1bOB\x1bOB\x1bOB\x1bOA\x1b[5~\x1bOF\x1bOHq\
         vim -N -u NONE -i NONE note.txt\r\x1b[2~typed in vim\x1b:wq\rcat note.txt\r"
    );
    let out = text(&evs, "o");
    assert!(out.contains("-- INSERT --"));
    assert!(out.contains("100"));
}

/// The times of the i events, in microseconds.
fn key_times(evs: &[Ev]) -> Vec<i64> {
    evs.iter().filter(|e| e.1 == "i").map(|e| e.0).collect()
}

fn median(mut v: Vec<i64>) -> i64 {
    v.sort_unstable();
    v[v.len() / 2]
}

#[test]
fn keys_are_typed_at_the_typing_speed() {
    let d = Dir::new();
    d.write(
        "t.tape",
        "Set TypingSpeed 100ms\nType \"echo abcdefghijklmnop\"\nEnter\nWait\n\
         Type@40ms \"echo qrstuvwxyz\"\nEnter\nWait\n",
    );
    succeeded(&run(&d, &["-q", "-I", "--script", "t.tape", "t.cast"]));
    let (_, evs) = events(&d, "t.cast");
    let times = key_times(&evs);
    assert_eq!(times.len(), 22 + 16);
    let gaps = |ts: &[i64]| ts.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>();
    let slow = median(gaps(&times[..22]));
    assert!(
        (70_000..=130_000).contains(&slow),
        "median {slow} µs for 100 ms"
    );
    let fast = median(gaps(&times[22..]));
    assert!(
        (28_000..=52_000).contains(&fast),
        "median {fast} µs for 40 ms"
    );
}

#[test]
fn hidden_commands_and_their_time_are_left_out() {
    let d = Dir::new();
    d.write(
        "h.tape",
        "Hide\nType \"export TOKEN=sekrit; clear\"\nEnter\nWait\nSleep 3s\nShow\n\
         Type \"echo ${#TOKEN}\"\nEnter\nWait+Screen /(?m)^6$/\n\
         Hide\nType \"echo more-sekrit\"\nEnter\nSleep 3s\nType \"clear\"\nEnter\nWait\nShow\n\
         Type \"echo end\"\nEnter\nWait+Screen /(?m)^end$/\n",
    );
    succeeded(&run(&d, &["-q", "-I", "--script", "h.tape", "h.cast"]));
    let raw = d.read("h.cast");
    assert!(!raw.contains("sekrit") && !raw.contains("TOKEN="), "{raw}");
    let (_, evs) = events(&d, "h.cast");
    let out = text(&evs, "o");
    assert!(
        out.contains("\r6\r\n") && out.contains("\rend\r\n"),
        "{out:?}"
    );
    // Each Show starts with a picture of the screen (a reset, then the prompt).
    let repaints: Vec<&Ev> = evs
        .iter()
        .filter(|e| e.2.starts_with("\x18\x1bc"))
        .collect();
    assert_eq!(repaints.len(), 2);
    // Six hidden seconds are not on the clock: no gap comes near three seconds.
    let gaps: Vec<i64> = evs.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(gaps.iter().all(|&g| g < 2_500_000), "{gaps:?}");
    assert!(
        evs[0].0 < 1_000_000,
        "the recording starts at the first Show"
    );
}

#[test]
fn wait_holds_the_next_command() {
    let d = Dir::new();
    d.write(
        "w.tape",
        "Type \"sleep 2; echo ready\"\nEnter\nWait+Screen@60s /(?m)^ready$/\n\
         Type \"echo after\"\nEnter\nWait@60s\n",
    );
    succeeded(&run(&d, &["-q", "-I", "--script", "w.tape", "w.cast"]));
    let (_, evs) = events(&d, "w.cast");
    let ready = evs
        .iter()
        .position(|e| e.1 == "o" && e.2.contains("ready\r\n"))
        .expect("ready printed");
    let enter = evs.iter().position(|e| e.1 == "i" && e.2 == "\r").unwrap();
    let next = evs
        .iter()
        .skip(enter + 1)
        .position(|e| e.1 == "i")
        .map(|i| i + enter + 1)
        .unwrap();
    assert!(next > ready, "typing went on before the Wait matched");
    assert!(evs[next].0 - evs[enter].0 >= 1_900_000);
}

#[test]
fn two_runs_type_the_same_events() {
    let d = Dir::new();
    let run_once = |name: &str| {
        succeeded(&run(
            &d,
            &["-q", "-I", "--script", &tape_path("bash.tape"), name],
        ));
        let (h, evs) = events(&d, name);
        std::fs::remove_file(d.path("uniquefile.txt")).unwrap();
        (h, evs)
    };
    let (h1, a) = run_once("1.cast");
    let (h2, b) = run_once("2.cast");
    assert_eq!(h1["width"], h2["width"]);
    let keys = |evs: &[Ev]| -> Vec<String> {
        evs.iter()
            .filter(|e| e.1 == "i")
            .map(|e| e.2.clone())
            .collect()
    };
    assert_eq!(keys(&a), keys(&b));
    assert_eq!(text(&a, "o"), text(&b, "o"));
    let end = |evs: &[Ev]| evs.last().map(|e| (e.1.clone(), e.2.clone()));
    assert_eq!(end(&a), end(&b));
    // The keys come at the same moments, give or take the machine's own delays.
    let gaps = |evs: &[Ev]| {
        key_times(evs)
            .windows(2)
            .map(|w| w[1] - w[0])
            .collect::<Vec<_>>()
    };
    let (ga, gb) = (gaps(&a), gaps(&b));
    let same = ga
        .iter()
        .zip(&gb)
        .filter(|(x, y)| (**x - **y).abs() < 5_000)
        .count();
    assert!(same * 2 > ga.len(), "{ga:?} vs {gb:?}");
}

#[test]
fn a_mistake_in_the_tape_stops_everything_before_it_runs() {
    let d = Dir::new();
    d.write(
        "demo.tape",
        "# demo\nType \"touch ran\"\nEnter\n\nSleep 1s\n\nFrobnicate\n",
    );
    let o = run(&d, &["--script", "demo.tape", "out.cast"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "cast-rec: demo.tape: line 7: unknown command 'Frobnicate'\n"
    );
    assert!(!d.path("out.cast").exists());
    assert!(!d.path("ran").exists());
    for (tape, msg) in [
        ("Sleep 2x\n", "line 1: bad time '2x'"),
        ("Type\n", "line 1: expected a string in quotes"),
        ("\nWait /(/\n", "line 2: bad regular expression /(/"),
        ("Set Nonsense 3\n", "line 1: unknown setting 'Nonsense'"),
        ("Require castkit-no-such-program\n", "is not installed"),
        ("Source missing.tape\n", "line 1: Source missing.tape:"),
    ] {
        d.write("bad.tape", tape);
        let o = run(&d, &["--script", "bad.tape", "out.cast"]);
        assert_eq!(o.status.code(), Some(2), "{tape}");
        let e = stderr(&o);
        assert!(
            e.starts_with("cast-rec: bad.tape: ") && e.contains(msg),
            "{tape}: {e}"
        );
        assert!(!d.path("out.cast").exists());
    }
    let o = run(&d, &["--script", "nowhere.tape", "out.cast"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("cast-rec: nowhere.tape: "));
}

#[test]
fn a_wait_that_times_out_leaves_no_recording_unless_asked() {
    let d = Dir::new();
    d.write(
        "t.tape",
        "Type \"echo partial\"\nEnter\nWait\nSet WaitTimeout 500ms\n\
         Set WaitPattern /never here/\nWait+Screen\nType \"echo x\"\n",
    );
    let o = run(&d, &["--script", "t.tape", "t.cast"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.starts_with(
            "cast-rec: t.tape: line 6: Wait timed out after 500ms: /never here/ not found on the screen"
        ),
        "{e}"
    );
    assert!(!d.path("t.cast").exists());
    let leftovers: Vec<_> = std::fs::read_dir(d.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".cast-rec"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // An older recording stays as it was.
    d.write("t.cast", "old\n");
    let o = run(&d, &["--overwrite", "--script", "t.tape", "t.cast"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(d.read("t.cast"), "old\n");
    // --keep-partial keeps what was recorded, a valid recording.
    let o = run(
        &d,
        &[
            "--overwrite",
            "--keep-partial",
            "--script",
            "t.tape",
            "t.cast",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let (_, evs) = events(&d, "t.cast");
    assert!(text(&evs, "o").contains("\rpartial\r\n"));
}

#[test]
fn picture_commands_are_noted_once() {
    let d = Dir::new();
    d.write(
        "p.tape",
        "Output demo.gif\nOutput demo.mp4\nSet Theme \"Dracula\"\nSet FontSize 16\n\
         Set Framerate 30\nSet Width 1200\nSet Height 600\nScreenshot s.png\nType \"true\"\nEnter\nWait\n",
    );
    let o = run(&d, &["--script", "p.tape", "p.cast"]);
    succeeded(&o);
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.starts_with("cast-rec: warning: p.tape: "), "{e}");
    for what in [
        "Output (line 1;",
        "Set Theme (line 3; cast-to-gif --theme)",
        "Set FontSize (line 4; cast-to-gif --font-size)",
        "Set Framerate (line 5; cast-to-gif --fps-cap)",
        "Screenshot (line 8;",
    ] {
        assert!(e.contains(what), "{what}: {e}");
    }
    assert!(!e.contains("demo.mp4") && !e.contains("line 2"));
    assert!(!d.path("demo.gif").exists());
    // 1200x600 px at 16 px type, padding 60: cells of 10x21 px.
    let (h, _) = events(&d, "p.cast");
    assert_eq!(
        (h["width"].as_u64(), h["height"].as_u64()),
        (Some(108), Some(22))
    );
    // -q: nothing.
    let o = run(&d, &["-q", "--overwrite", "--script", "p.tape", "p.cast"]);
    succeeded(&o);
    assert_eq!(stderr(&o), "");
}

#[test]
fn sizes_shells_sources_and_streams() {
    let d = Dir::new();
    d.write(
        "setup.tape",
        "Set Shell sh\nSet Cols 50\nEnv WHO \"sourced\"\n",
    );
    d.write(
        "s.tape",
        "Source setup.tape\nSet Rows 7\nType \"echo $WHO $0\"\nEnter\nWait+Screen /(?m)^sourced/\n",
    );
    // The recording on standard output, as v3; the CLI's --rows beats the tape's.
    let o = run(
        &d,
        &["--format", "v3", "--rows", "9", "--script", "s.tape", "-"],
    );
    let (h, evs) = parse_cast(&ok(&o));
    assert_eq!(h["version"], 3);
    assert_eq!(
        (h["term"]["cols"].as_u64(), h["term"]["rows"].as_u64()),
        (Some(50), Some(9))
    );
    assert!(
        text(&evs, "o").contains("\nsourced sh\r\n"),
        "{:?}",
        text(&evs, "o")
    );
    // Without -I, no i events.
    assert!(evs.iter().all(|e| e.1 != "i"));
    // Options that only make sense with a tape.
    for args in [
        &["--typing-jitter"][..],
        &["--keep-partial"],
        &["--script", "s.tape", "-c", "ls"],
    ] {
        let o = run(&d, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn typing_jitter_varies_the_pauses_within_bounds() {
    let d = Dir::new();
    d.write(
        "j.tape",
        "Set TypingSpeed 60ms\nType \"echo abcdefghijklmnopqrstuvwxyz\"\nEnter\nWait\n",
    );
    succeeded(&run(
        &d,
        &[
            "-q",
            "-I",
            "--typing-jitter",
            "--script",
            "j.tape",
            "j.cast",
        ],
    ));
    let (_, evs) = events(&d, "j.cast");
    let times = key_times(&evs);
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // Between half and one and a half times the speed, plus the machine's delays.
    assert!(gaps.iter().all(|&g| g >= 28_000), "{gaps:?}");
    let m = median(gaps.clone());
    assert!((40_000..=90_000).contains(&m), "{gaps:?}");
    let distinct: std::collections::BTreeSet<i64> = gaps.iter().map(|g| g / 5_000).collect();
    assert!(distinct.len() > 3, "{gaps:?}");
}

#[test]
fn the_example_tape_in_the_repository_runs() {
    // As the README's cookbook runs it: from the top of a checkout, the tools on PATH.
    let d = Dir::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir(d.path("examples")).unwrap();
    for f in ["demo.tape", "demo.cast"] {
        std::fs::copy(root.join("examples").join(f), d.path("examples").join(f)).unwrap();
    }
    let bin_dir = bin("cast-rec").parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = rec(&d)
        .env("PATH", path)
        .args(["-q", "--script", "examples/demo.tape", "tour.cast"])
        .output()
        .unwrap();
    succeeded(&o);
    let (_, evs) = events(&d, "tour.cast");
    let out = text(&evs, "o");
    assert!(
        out.contains("castkit demo") && out.contains("missing.txt"),
        "{out:?}"
    );
}
