//! The README's "Try each tool" lines run as written, so the first thing a new user copies
//! works. Each `$ ` line of the `console` blocks runs with `sh -c` in a scratch copy of
//! `examples/`, with the built tools first on PATH, and must exit 0.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

fn console_lines(readme: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut inside = false;
    for l in readme.lines() {
        if l.trim_start().starts_with("```") {
            inside = l.trim() == "```console";
            continue;
        }
        if inside && let Some(cmd) = l.strip_prefix("$ ") {
            lines.push(cmd.to_string());
        }
    }
    lines
}

#[test]
fn readme_examples_run_as_written() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let lines = console_lines(&readme);
    assert!(lines.len() >= 8, "the README lost its examples: {lines:?}");
    let d = Dir::new();
    std::fs::create_dir(d.path("examples")).unwrap();
    for e in std::fs::read_dir(root.join("examples")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, d.path("examples").join(p.file_name().unwrap())).unwrap();
    }
    let bin_dir = bin("cast-idle").parent().map(Path::to_path_buf).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in &lines {
        let out = Command::new("sh")
            .arg("-c")
            .arg(line)
            .current_dir(d.tmp.path())
            .env("PATH", &path)
            .env_remove("NO_COLOR")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README line failed: {line}\nexit {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Whatever they leave in a checkout is ignored by git.
    let ignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    let ignored: Vec<&str> = ignore.lines().filter(|l| !l.starts_with('#')).collect();
    for entry in std::fs::read_dir(d.tmp.path()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "examples" {
            continue;
        }
        assert!(
            ignored.contains(&format!("/{name}").as_str()),
            "the README's lines leave {name}, which .gitignore does not name"
        );
    }
}

/// The command of the README's "Scale out" section, run as written (with GNU parallel's `-S :`,
/// this machine). CI installs parallel; without it here the test says so and passes.
#[test]
fn the_scale_out_line_runs_with_gnu_parallel() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = &readme[readme.find("## Scale out").expect("a Scale out section")..];
    let line = section
        .lines()
        .find(|l| l.starts_with("parallel -S : "))
        .expect("a parallel command in Scale out");
    let have = Command::new("parallel").arg("--version").output();
    if !have.is_ok_and(|o| o.status.success()) {
        eprintln!("note: GNU parallel is not installed: the Scale out line was not run");
        return;
    }
    let d = Dir::new();
    let demo = std::fs::read_to_string(root.join("examples/demo.cast")).unwrap();
    d.write("a.cast", &demo);
    d.write("b.cast", v2(&[(0.5, "o", "only in b\r\n")]));
    let bin_dir = bin("cast-idle").parent().map(Path::to_path_buf).unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(d.tmp.path())
        .env("PATH", &path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{line}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["a", "b"] {
        let want = ok(&d.run("cast-to-txt", &[&format!("{name}.cast")]));
        assert_eq!(d.read(&format!("{name}.txt")), want, "{name}.txt");
        assert!(
            d.path(&format!("{name}.cast")).exists(),
            "the input was removed"
        );
    }
    assert_eq!(d.read("b.txt"), "only in b\n");
}
