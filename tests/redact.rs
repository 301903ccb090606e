use crate::util::*;

fn ghp() -> String {
    format!("ghp_{}", "aB3".repeat(12))
}
const AKIA: &str = "AKIAIOSFODNN7EXAMPLE";
const PASSWORD: &str = "hunter2-is-my-password";
const KEY_LINE: &str = "MIIEowIBAAKCAQEA7bq9xT0k3nB0dyL1n3";
const SLACK: &str = "xoxb-123456789012-abcdefghijkl";
const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA.c2ln";
const CUSTOM: &str = "xyzzy-1234";

fn secrets() -> Vec<String> {
    [AKIA, PASSWORD, KEY_LINE, SLACK, BEARER, CUSTOM]
        .iter()
        .map(|s| s.to_string())
        .chain([ghp()])
        .collect()
}

/// A recording with secrets in every place they turn up: split over writes, typed key by key,
/// coloured, behind `\u` escapes, in stderr, a marker and the header.
fn fixture() -> String {
    let g = ghp();
    let ev = |t: f64, c: &str, d: &str| {
        format!(
            "{}\n",
            serde_json::to_string(&serde_json::json!([t, c, d])).unwrap()
        )
    };
    let mut s = serde_json::to_string(&serde_json::json!({
        "version": 2, "width": 80, "height": 24,
        "title": format!("deploy with Bearer {BEARER}"),
        "command": format!("curl -H 'Authorization: Bearer {BEARER}'"),
        "env": {"SHELL": "/bin/bash", "GH": g},
    }))
    .unwrap();
    s.push('\n');
    s.push_str(&ev(
        0.1,
        "o",
        &format!("$ export GITHUB_TOKEN={}", &g[..10]),
    ));
    s.push_str(&ev(0.2, "o", &format!("{}\r\n$ ", &g[10..])));
    for (k, c) in AKIA.chars().enumerate() {
        s.push_str(&ev(1.0 + k as f64 * 0.05, "i", &c.to_string()));
        s.push_str(&ev(1.01 + k as f64 * 0.05, "o", &c.to_string()));
    }
    s.push_str(&ev(2.5, "i", "\r"));
    s.push_str(&ev(
        2.6,
        "o",
        &format!(
            "\r\n\x1b[1m{}\x1b[0;31m{}\x1b[0m\r\n",
            &AKIA[..4],
            &AKIA[4..]
        ),
    ));
    // Written with \u escapes: the raw JSON never holds the secret's letters in a row.
    let escaped: String = format!("password={PASSWORD}\r\n")
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    s.push_str(&format!("[3.0, \"e\", \"{escaped}\"]\n"));
    let key = format!(
        "-----BEGIN RSA PRIVATE KEY-----\r\n{KEY_LINE}\r\nAbCdEfGh0123456789+/==\r\n-----END RSA PRIVATE KEY-----\r\n"
    );
    s.push_str(&ev(4.0, "o", &key[..40]));
    s.push_str(&ev(4.1, "o", &key[40..60]));
    s.push_str(&ev(4.2, "o", &key[60..]));
    s.push_str(&ev(5.0, "m", &format!("posted {SLACK}")));
    s.push_str(&ev(6.0, "o", "code xyzzy-"));
    s.push_str(&ev(6.5, "r", "100x30"));
    s.push_str(&ev(7.0, "o", "1234 done\r\n"));
    s.push_str(&ev(8.0, "x", "0"));
    s
}

/// Decodes `\uXXXX` escapes (with surrogate pairs) wherever they stand in `s`.
fn decode_u(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.char_indices().peekable();
    let b = s.as_bytes();
    let mut pending: Option<u32> = None;
    while let Some((i, c)) = chars.next() {
        if c == '\\'
            && b.get(i + 1) == Some(&b'u')
            && let Some(v) = s
                .get(i + 2..i + 6)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
        {
            for _ in 0..5 {
                chars.next();
            }
            if (0xD800..0xDC00).contains(&v) {
                pending = Some(v);
                continue;
            }
            let cp = match pending.take() {
                Some(h) if (0xDC00..0xE000).contains(&v) => {
                    0x10000 + ((h - 0xD800) << 10) + (v - 0xDC00)
                }
                _ => v,
            };
            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
            continue;
        }
        out.push(c);
    }
    out
}

fn strip_ansi(s: &str) -> String {
    let re = regex::Regex::new(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")
        .unwrap();
    re.replace_all(s, "").into_owned()
}

/// Every way a secret could still be read out of a tool's output: the raw bytes, the raw bytes
/// with `\u` escapes decoded, and for a recording (or a page embedding one) each stream's text
/// joined up with escape sequences removed, and the header's strings.
fn views(out: &str) -> Vec<String> {
    let mut v = vec![out.to_string(), decode_u(out)];
    let first = out.lines().next().unwrap_or_default();
    if let Ok(serde_json::Value::Object(h)) = serde_json::from_str::<serde_json::Value>(first) {
        v.push(serde_json::to_string(&h).unwrap());
        let (_, evs) = parse_cast(out);
        for code in ["o", "e", "i", "m", "x"] {
            let joined: String = evs
                .iter()
                .filter(|e| e.1 == code)
                .map(|e| e.2.as_str())
                .collect();
            v.push(strip_ansi(&joined));
            v.push(joined);
        }
    }
    // A page: the embedded recording is a JSON string after this marker.
    if let Some(k) = out.find("castkitRecording = ") {
        let rest = &out[k + "castkitRecording = ".len()..];
        let end = rest.find(";\n").expect("end of the embedded recording");
        let rec: String = serde_json::from_str(&rest[..end]).expect("a JSON string");
        v.extend(views(&rec));
    }
    v
}

fn leaks(out: &str) -> Vec<String> {
    let views = views(out);
    secrets()
        .into_iter()
        .filter(|s| views.iter().any(|v| v.contains(s.as_str())))
        .collect()
}

/// Tools run on the redacted recording (those not built yet are skipped).
const DOWNSTREAM: &[(&str, &[&str])] = &[
    ("cast-idle", &["-l", "1"]),
    ("cast-speed", &["-f", "2", "--format", "v3"]),
    ("cast-cut", &["--from", "0.15"]),
    ("cast-cut", &["--remove", "1-2"]),
    ("cast-to-html", &[]),
    ("cast-play", &["-s", "1000"]),
    ("cast-to-txt", &[]),
    ("cast-grep", &["."]),
    ("cast-merge-stderr", &[]),
    ("cast-cat", &[]),
    ("cast-info", &[]),
];

#[test]
fn no_secret_left_in_any_tools_output() {
    let d = Dir::new();
    let input = fixture();
    d.write("in.cast", &input);
    // The check can see every secret in the original.
    assert_eq!(leaks(&input).len(), secrets().len(), "{:?}", leaks(&input));
    let args = [
        "--preset",
        "all",
        "-e",
        r"xyzzy-[0-9]{4}",
        "-o",
        "safe.cast",
        "in.cast",
    ];
    ok(&d.run("cast-redact", &args));
    let safe = d.read("safe.cast");
    assert_eq!(leaks(&safe), Vec::<String>::new(), "{safe}");
    // Nothing else changed: same events, same times, same codes.
    let (a, b) = (parse_cast(&input).1, parse_cast(&safe).1);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.0, &x.1), (y.0, &y.1));
    }
    let mut ran = 0;
    for (tool, targs) in DOWNSTREAM {
        if !bin(tool).exists() {
            eprintln!("note: {tool} not built here: skipped");
            continue;
        }
        let o = d.run(tool, &[*targs, &["safe.cast"]].concat());
        assert!(
            matches!(o.status.code(), Some(0) | Some(1)),
            "{tool}: {}",
            stderr(&o)
        );
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(!out.is_empty(), "{tool} wrote nothing");
        assert_eq!(leaks(&out), Vec::<String>::new(), "{tool}: {out}");
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} tools ran");
}

#[test]
fn report_names_file_time_and_rule_never_the_secret() {
    let d = Dir::new();
    d.write("in.cast", fixture());
    let o = d.run("cast-redact", &["--report", "in.cast"]);
    ok(&o);
    let err = stderr(&o);
    assert!(
        err.contains("cast-redact: in.cast: 0:00:00.100: github (o)"),
        "{err}"
    );
    assert!(err.contains("in.cast: 0:00:01.000: aws (i)"), "{err}");
    assert!(err.contains("in.cast: 0:00:03.000: password (e)"), "{err}");
    assert!(
        err.contains("in.cast: 0:00:04.000: private-key (o)"),
        "{err}"
    );
    assert!(err.contains("in.cast: 0:00:05.000: slack (m)"), "{err}");
    assert!(
        err.contains("in.cast: header title: bearer (header)"),
        "{err}"
    );
    assert_eq!(leaks(&err), Vec::<String>::new(), "{err}");
    // Without --report: silent.
    let o = d.run("cast-redact", &["in.cast"]);
    assert_eq!(stderr(&o), "");
    let clean = v2(&[(1.0, "o", "nothing here")]);
    let o = d.run_stdin("cast-redact", &["--report"], &clean);
    assert_eq!(parse_cast(&ok(&o)).1, parse_cast(&clean).1);
    assert_eq!(stderr(&o), "cast-redact: <stdin>: nothing redacted\n");
}

#[test]
fn same_width_stars_and_untouched_times() {
    let d = Dir::new();
    let input = v3(&[
        (0.5, "o", "pass: 密码 "),
        (0.7, "o", "a secret_ab"),
        (0.9, "i", "c\r"),
    ]);
    let out = ok(&d.run_stdin(
        "cast-redact",
        &["-e", "密码", "-e", "secret_[a-z]+"],
        &input,
    ));
    let evs = parse_cast(&out).1;
    assert_eq!(
        evs,
        vec![
            (500_000, "o".into(), "pass: **** ".into()),
            (700_000, "o".into(), "a *********".into()),
            (900_000, "i".into(), "c\r".into()),
        ]
    );
}

#[test]
fn options_and_errors() {
    let d = Dir::new();
    let err = fails(&d.run_stdin("cast-redact", &["-e", "a("], v2(&[])));
    assert!(err.starts_with("cast-redact: invalid regex 'a(':"), "{err}");
    let err = fails(&d.run_stdin("cast-redact", &["--preset", "nope"], v2(&[])));
    assert!(err.contains("unknown preset 'nope'"), "{err}");
    let list = ok(&d.run("cast-redact", &["--list-presets"]));
    for name in [
        "github:",
        "aws:",
        "private-key:",
        "password:",
        "bearer:",
        "slack:",
    ] {
        assert!(list.contains(name), "{list}");
    }
    // Only the chosen preset applies.
    let input = v2(&[(1.0, "o", &format!("{AKIA} password=x"))]);
    let out = ok(&d.run_stdin("cast-redact", &["--preset", "aws"], &input));
    assert_eq!(
        parse_cast(&out).1[0].2,
        format!("{} password=x", "*".repeat(20))
    );
}

#[test]
fn a_live_pipe_flows_and_holds_a_token_until_it_ends() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let mut child = cmd("cast-redact")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdin
        .write_all(b"{\"version\": 2, \"width\": 80, \"height\": 24}\n[0.5, \"o\", \"ls\\r\\n\"]\n[0.6, \"o\", \"ghp_\"]\n")
        .unwrap();
    stdin.flush().unwrap();
    out.read_line(&mut line).unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert!(line.contains("ls"), "{line}");
    // The rest of the token arrives; only then may the held `ghp_` go out, hidden.
    stdin
        .write_all(format!("[0.7, \"o\", \"{} \"]\n", &ghp()[4..]).as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "[0.6, \"o\", \"****\"]\n");
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(rest.starts_with("[0.7, \"o\", \"****"), "{rest}");
    assert!(child.wait().unwrap().success());
}

/// Header fields that describe the terminal are left alone (a colour is no secret, and a
/// starred one breaks players); free text in the header is still redacted.
#[test]
fn header_theme_survives_title_is_redacted() {
    let d = Dir::new();
    let input = "{\"version\": 3, \"term\": {\"cols\": 80, \"rows\": 24, \"theme\": {\"fg\": \"#ffffff\", \"bg\": \"#abcdef\", \"palette\": \"#000000:#ffffff\"}}, \"title\": \"token abcdef\"}\n[0.5, \"o\", \"x\"]\n";
    let out = ok(&d.run_stdin("cast-redact", &["-e", "[a-f]{6}"], input));
    let header: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(header["term"]["theme"]["bg"], "#abcdef");
    assert_eq!(header["term"]["theme"]["palette"], "#000000:#ffffff");
    assert_eq!(header["title"], "token ******");
}
