//! Faults: inputs that are not files or fail to read, signals during in-place rewrites.
//! (A full disk and a closed pipe are checked for every filter in `filters`.)

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

#[test]
fn directory_input() {
    let d = Dir::new();
    std::fs::create_dir(d.path("dir.cast")).unwrap();
    let err = fails(&d.run("cast-idle", &["-l", "1", "dir.cast"]));
    assert_eq!(err.trim_end(), "cast-idle: dir.cast: is a directory");
}

#[test]
fn missing_input() {
    let d = Dir::new();
    let err = fails(&d.run("cast-speed", &["-f", "2", "gone.cast"]));
    assert_eq!(
        err.trim_end(),
        "cast-speed: gone.cast: no such file or directory"
    );
}

/// A read that fails mid-way (as an unreadable or vanishing disk does) is an error naming the
/// input, not a silent short recording. /proc/self/mem fails to read at offset 0.
#[test]
fn input_that_fails_to_read() {
    if !std::path::Path::new("/proc/self/mem").exists() {
        return;
    }
    let d = Dir::new();
    let err = fails(&d.run("cast-idle", &["-l", "1", "/proc/self/mem"]));
    assert!(err.starts_with("cast-idle: /proc/self/mem: "), "{err}");
}

#[test]
fn unreadable_input_when_not_root() {
    let d = Dir::new();
    let p = d.write("secret.cast", v2(&[(1.0, "o", "x")]));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        return; // running as root: permissions do not stop reads
    }
    let err = fails(&d.run("cast-idle", &["-l", "1", "secret.cast"]));
    assert_eq!(err.trim_end(), "cast-idle: secret.cast: permission denied");
}

#[test]
fn in_place_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::new();
    let p = d.write("a.cast", v2(&[(1.0, "o", "x"), (9.0, "o", "y")]));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    ok(&d.run("cast-idle", &["-l", "1", "-i", "a.cast"]));
    assert_eq!(
        std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(parse_cast(&d.read("a.cast")).1[1].0, 2_000_000);
}

/// SIGINT while many files are rewritten in place: every file is either the original or the
/// complete new version, and no temporary file is left behind.
#[test]
fn interrupt_during_in_place_leaves_no_half_files() {
    let d = Dir::new();
    let mut body = String::from("{\"version\": 2, \"width\": 80, \"height\": 24}\n");
    for k in 0..60_000 {
        body.push_str(&format!(
            "[{}.5, \"o\", \"some output line {k}\\r\\n\"]\n",
            k
        ));
    }
    let names: Vec<String> = (0..12).map(|k| format!("f{k}.cast")).collect();
    for n in &names {
        d.write(n, &body);
    }
    let expected_new = {
        d.write("ref.cast", &body);
        ok(&d.run("cast-idle", &["-l", "0.25", "-o", "ref.out", "ref.cast"]));
        d.read("ref.out")
    };
    let mut args = vec!["-l", "0.25", "-i"];
    args.extend(names.iter().map(String::as_str));
    let mut child = cmd("cast-idle")
        .args(&args)
        .current_dir(d.tmp.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first file has been replaced, then interrupt.
    let start = Instant::now();
    while d.read("f0.cast") == body && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(2));
    }
    unsafe {
        libc_kill(child.id() as i32, 2);
    }
    let status = child.wait().unwrap();
    let mut original = 0;
    for n in &names {
        let now = d.read(n);
        if now == body {
            original += 1;
        } else {
            assert_eq!(
                now, expected_new,
                "{n} is neither the original nor the new version"
            );
        }
    }
    let leftovers: Vec<String> = std::fs::read_dir(d.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    // Either it was interrupted (130) or it finished first on a fast machine.
    assert!(
        status.code() == Some(130) || (status.success() && original == 0),
        "{status:?}"
    );
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
