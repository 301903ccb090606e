//! Man pages and shell completions are generated from the clap definitions and committed.
//! These tests fail when the committed files are stale; `CASTKIT_UPDATE_DOCS=1 cargo test docs`
//! rewrites them.

use std::path::{Path, PathBuf};

use clap::ArgAction;
use clap_complete::Shell;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("CASTKIT_UPDATE_DOCS").is_some()
}

/// Compares `path` with `want`, or writes it when updating. Returns a complaint when stale.
fn check(path: &Path, want: &[u8]) -> Option<String> {
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
        return None;
    }
    match std::fs::read(path) {
        Ok(have) if have == want => None,
        Ok(_) => Some(format!("{} is stale", path.display())),
        Err(_) => Some(format!("{} is missing", path.display())),
    }
}

/// Splits a tool's after_long_help into its "Examples:" and "Exit status:" blocks.
fn blocks(cmd: &clap::Command) -> Vec<(String, Vec<String>)> {
    let text = cmd
        .get_after_long_help()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            out.push((line.trim_end_matches(':').to_uppercase(), Vec::new()));
        } else if let Some((_, body)) = out.last_mut()
            && !line.trim().is_empty()
        {
            body.push(line.trim().to_string());
        }
    }
    out
}

/// The SYNOPSIS section, with each option's value as `--help` shows it (`[--from T]`, where
/// clap_mangen writes only `[--from]`), in the order `--help` lists them.
fn synopsis(cmd: &clap::Command) -> Roff {
    let mut cmd = cmd.clone();
    cmd.build();
    let mut line: Vec<Inline> = vec![bold(cmd.get_name()), roman(" ")];
    let value = |arg: &clap::Arg| -> String {
        arg.get_value_names()
            .map(|v| v.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
    };
    let repeats = |arg: &clap::Arg| {
        matches!(arg.get_action(), ArgAction::Append | ArgAction::Count)
            || arg.get_num_args().is_some_and(|r| r.max_values() > 1)
    };
    for arg in cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
    {
        let (l, r) = if arg.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(l));
        match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(long)) => {
                line.push(bold(format!("-{s}")));
                line.push(roman("|"));
                line.push(bold(format!("--{long}")));
            }
            (Some(s), None) => line.push(bold(format!("-{s}"))),
            (None, Some(long)) => line.push(bold(format!("--{long}"))),
            (None, None) => continue,
        }
        if let Some(range) = arg.get_num_args().filter(|r| r.takes_values()) {
            if range.min_values() == 0 {
                line.push(roman("[="));
                line.push(italic(value(arg)));
                line.push(roman("]"));
            } else {
                line.push(roman(" "));
                line.push(italic(value(arg)));
            }
        }
        line.push(roman(r));
        if repeats(arg) {
            line.push(roman("..."));
        }
        line.push(roman(" "));
    }
    for arg in cmd.get_positionals().filter(|a| !a.is_hide_set()) {
        let (l, r) = if arg.is_required_set() {
            ("", "")
        } else {
            ("[", "]")
        };
        line.push(roman(l));
        line.push(italic(value(arg)));
        line.push(roman(r));
        if repeats(arg) {
            line.push(roman("..."));
        }
        line.push(roman(" "));
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    roff.text(line);
    roff
}

fn man_page(cmd: &clap::Command, all: &[String]) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone())
        .manual("castkit manual")
        .source(format!("castkit {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    man.render_title(&mut buf).unwrap();
    man.render_name_section(&mut buf).unwrap();
    synopsis(cmd).to_writer(&mut buf).unwrap();
    man.render_description_section(&mut buf).unwrap();
    man.render_options_section(&mut buf).unwrap();
    let mut roff = Roff::new();
    for (title, lines) in blocks(cmd) {
        roff.control("SH", [title.as_str()]);
        for l in lines {
            // "command   explanation" lines: the command in bold, the rest as a paragraph.
            match l.split_once("  ") {
                Some((code, what)) => {
                    roff.control("TP", []);
                    roff.text([bold(code.trim())]);
                    roff.text([roman(what.trim())]);
                }
                None => {
                    roff.text([roman(l)]);
                }
            }
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    let others: Vec<String> = all
        .iter()
        .filter(|n| *n != cmd.get_name())
        .map(|n| format!("{n}(1)"))
        .collect();
    roff.text([roman(format!(
        "{}, castkit(7), asciinema(1)",
        others.join(", ")
    ))]);
    roff.to_writer(&mut buf).unwrap();
    man.render_version_section(&mut buf).unwrap();
    buf
}

#[test]
fn synopses_show_option_values() {
    let cut = castkit::cmd::all()
        .into_iter()
        .find(|c| c.get_name() == "cast-cut")
        .unwrap();
    let mut buf = Vec::new();
    synopsis(&cut).to_writer(&mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap().replace("\\-", "-");
    assert!(text.contains("[\\fB--from\\fR \\fIT\\fR]"), "{text}");
    assert!(
        text.contains("[\\fB-o\\fR|\\fB--output\\fR \\fIFILE\\fR]"),
        "{text}"
    );
    assert!(text.contains("[\\fB--remove\\fR \\fIA-B\\fR]..."), "{text}");
    assert!(text.contains("[\\fB-q\\fR|\\fB--quiet\\fR] "), "{text}");
}

#[test]
fn every_command_is_well_formed() {
    for cmd in castkit::cmd::all() {
        cmd.debug_assert();
    }
}

#[test]
fn man_pages_and_completions_are_current() {
    let cmds = castkit::cmd::all();
    let names: Vec<String> = cmds.iter().map(|c| c.get_name().to_string()).collect();
    let mut stale = Vec::new();
    for cmd in &cmds {
        let name = cmd.get_name().to_string();
        stale.extend(check(
            &root().join("man").join(format!("{name}.1")),
            &man_page(cmd, &names),
        ));
        for (shell, file) in [
            (Shell::Bash, format!("{name}.bash")),
            (Shell::Zsh, format!("_{name}")),
            (Shell::Fish, format!("{name}.fish")),
            (Shell::Elvish, format!("{name}.elv")),
        ] {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), &name, &mut buf);
            stale.extend(check(&root().join("completions").join(file), &buf));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\nrun `CASTKIT_UPDATE_DOCS=1 cargo test docs` and commit the result",
        stale.join("\n")
    );
}

/// The options every tool shares mean the same thing everywhere: same flags, same help.
#[test]
fn shared_options_have_the_same_help_everywhere() {
    use std::collections::BTreeMap;
    let shared = [
        "output",
        "in_place",
        "format",
        "line_buffered",
        "strict",
        "quiet",
        "recursive",
        "globs",
        "threads",
    ];
    let mut seen: BTreeMap<&str, (String, String, String)> = BTreeMap::new();
    for cmd in castkit::cmd::all() {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            let Some(key) = shared.iter().find(|k| **k == id) else {
                continue;
            };
            let sig = (
                format!("{:?}/{:?}", arg.get_short(), arg.get_long()),
                arg.get_help().map(|h| h.to_string()).unwrap_or_default(),
                cmd.get_name().to_string(),
            );
            if let Some(first) = seen.get(key) {
                assert_eq!(
                    (&first.0, &first.1),
                    (&sig.0, &sig.1),
                    "--{key}: {} differs from {}",
                    sig.2,
                    first.2
                );
            } else {
                seen.insert(key, sig);
            }
        }
    }
}

/// castkit(7) and the README name every tool, so neither falls behind the kit.
#[test]
fn overview_page_and_readme_name_every_tool() {
    let page = std::fs::read_to_string(root().join("man/castkit.7"))
        .unwrap()
        .replace("\\-", "-");
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for cmd in castkit::cmd::all() {
        let name = cmd.get_name();
        assert!(
            page.contains(&format!(".B {name}\n")),
            "castkit.7 does not describe {name}"
        );
        assert!(
            page.contains(&format!("{name}(1)")),
            "castkit.7 SEE ALSO lacks {name}"
        );
        assert!(
            readme.contains(&format!("`{name}`")),
            "README.md does not mention {name}"
        );
    }
}

/// Every binary in src/bin has its module in `cmd::all()` (and so a man page, completions and
/// the checks above), and every entry there has its binary: a tool cannot be half-registered.
#[test]
fn every_binary_is_registered_and_every_tool_has_a_binary() {
    use std::collections::BTreeSet;
    let bins: BTreeSet<String> = std::fs::read_dir(root().join("src/bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_string))
        .collect();
    let tools: BTreeSet<String> = castkit::cmd::all()
        .iter()
        .map(|c| c.get_name().to_string())
        .collect();
    assert_eq!(
        castkit::cmd::all().len(),
        tools.len(),
        "a tool is listed twice"
    );
    assert_eq!(
        bins.difference(&tools).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "binaries missing from cmd::all()"
    );
    assert_eq!(
        tools.difference(&bins).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "cmd::all() entries without a src/bin file"
    );
    // And each binary runs its own tool's module.
    for name in &bins {
        let src =
            std::fs::read_to_string(root().join("src/bin").join(format!("{name}.rs"))).unwrap();
        let module = name.strip_prefix("cast-").unwrap().replace('-', "_");
        assert!(
            src.contains(&format!("cmd::{module}::run")),
            "src/bin/{name}.rs does not run cmd::{module}::run"
        );
    }
}
