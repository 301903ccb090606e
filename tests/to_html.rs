use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

/// The recording embedded in a page (the JSON string after `castkitRecording = `).
fn embedded(page: &str) -> String {
    let k = page
        .find("castkitRecording = ")
        .expect("embedded recording")
        + 19;
    let end = page[k..].find(";\n").expect("end of the string") + k;
    serde_json::from_str(&page[k..end]).expect("a JSON string")
}

/// The options object passed to AsciinemaPlayer.create.
fn options(page: &str) -> serde_json::Value {
    let line = page
        .lines()
        .find(|l| l.starts_with("AsciinemaPlayer.create("))
        .expect("create call");
    let k = line.rfind(", {").expect("options") + 2;
    serde_json::from_str(&line[k..line.len() - 2]).expect("options JSON")
}

const HOSTILE: &str = "</script><script>document.title='owned'</script><!-- & \u{2028}";

fn fixture() -> String {
    v2(&[
        (0.1, "o", "hello from the page\r\n"),
        (0.2, "e", "an error line\r\n"),
        (0.3, "o", HOSTILE),
        (0.4, "o", "\r\nlast line\r\n"),
        (0.5, "m", "end"),
    ])
}

#[test]
fn a_page_embeds_the_recording_safely_with_stderr_shown() {
    let d = Dir::new();
    d.write("demo.cast", fixture());
    let page = ok(&d.run("cast-to-html", &["demo.cast"]));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<title>demo.cast</title>"), "{page}");
    // The recording's own </script> cannot end the element: only the page's tags are there.
    assert_eq!(page.matches("</script>").count(), 2, "{page}");
    assert!(!page.contains("<!--"));
    let rec = embedded(&page);
    let (_, evs) = parse_cast(&rec);
    let (_, want) = parse_cast(&fixture());
    assert_eq!(evs.len(), want.len());
    assert_eq!(evs[1], (200_000, "o".into(), "an error line\r\n".into()));
    assert_eq!(evs[2].2, HOSTILE);
    // The pinned player from the CDN, with integrity hashes.
    assert!(page.contains(
        "src=\"https://cdn.jsdelivr.net/npm/asciinema-player@3.17.0/dist/bundle/asciinema-player.min.js\" integrity=\"sha384-"
    ));
    assert!(page.contains("asciinema-player.css\" integrity=\"sha384-"));
}

#[test]
fn options_map_to_the_players() {
    let d = Dir::new();
    d.write("demo.cast", fixture());
    let page = ok(&d.run(
        "cast-to-html",
        &[
            "--title",
            "A <b>&</b> title",
            "-s",
            "2",
            "-i",
            "1.5",
            "--start-at",
            "0:00.2",
            "--loop",
            "--theme",
            "auto/dracula",
            "--poster",
            "marker:end",
            "--autoplay",
            "--fit",
            "none",
            "demo.cast",
        ],
    ));
    assert!(page.contains("<title>A &lt;b&gt;&amp;&lt;/b&gt; title</title>"));
    assert_eq!(
        options(&page),
        serde_json::json!({
            "startAt": 0.2, "speed": 2.0, "idleTimeLimit": 1.5, "loop": true,
            "theme": "auto/dracula", "poster": "npt:0.5", "autoPlay": true, "fit": false
        })
    );
    let page = ok(&d.run("cast-to-html", &["--loop=3", "--fit", "width", "demo.cast"]));
    assert_eq!(
        options(&page),
        serde_json::json!({"loop": 3, "fit": "width"})
    );
    let err = fails(&d.run("cast-to-html", &["--start-at", "marker:nope", "demo.cast"]));
    assert!(err.contains("no marker 'nope'; markers: 'end'"), "{err}");
    let err = fails(&d.run("cast-to-html", &["--theme", "pink", "demo.cast"]));
    assert!(err.contains("unknown theme 'pink'"), "{err}");
}

#[test]
fn every_player_option_has_a_flag() {
    let d = Dir::new();
    let mut h =
        String::from("{\"version\": 2, \"width\": 80, \"height\": 24, \"idle_time_limit\": 2}\n");
    for (t, c, x) in [
        (1.0, "o", "a"),
        (10.0, "m", "late"),
        (11.0, "o", "b"),
        (12.0, "m", ""),
    ] {
        h.push_str(&format!("[{t}, \"{c}\", \"{x}\"]\n"));
    }
    d.write("demo.cast", &h);
    let page = ok(&d.run(
        "cast-to-html",
        &[
            "--keystroke-overlay",
            "--audio-url",
            "https://example.org/a.mp3",
            "--pause-on-markers",
            "--markers",
            "0.5:intro",
            "--markers",
            "0:11.5",
            "--markers",
            "1:30:after the end",
            "--controls",
            "never",
            "--cursor-mode",
            "steady",
            "--terminal-font-family",
            "'Fira Code', monospace",
            "--terminal-font-size",
            "big",
            "--terminal-line-height",
            "1.5",
            "--cols",
            "100",
            "--rows",
            "30",
            "--bold-is-bright",
            "--adaptive-palette",
            "--preload",
            "demo.cast",
        ],
    ));
    // The recording's own markers are kept beside the extra ones (the player would drop
    // them), all on the player's timeline: pauses capped at the header's 2 s, so 10 s is 3 s,
    // 11.5 s is 4.5 s, and 90 s, after the last event, is 2 s past it.
    assert_eq!(
        options(&page),
        serde_json::json!({
            "preload": true, "pauseOnMarkers": true,
            "markers": [[0.5, "intro"], [3.0, "late"], [4.5, ""], [5.0, ""], [7.0, "after the end"]],
            "keystrokeOverlay": true, "audioUrl": "https://example.org/a.mp3",
            "controls": false, "cursorMode": "steady",
            "terminalFontFamily": "'Fira Code', monospace", "terminalFontSize": "big",
            "terminalLineHeight": 1.5, "cols": 100, "rows": 30,
            "boldIsBright": true, "adaptivePalette": true
        })
    );
    // Without an idle limit the times are the recording's own.
    let page = ok(&d.run(
        "cast-to-html",
        &[
            "-i",
            "1000",
            "--markers",
            "11.5",
            "--controls",
            "always",
            "demo.cast",
        ],
    ));
    assert_eq!(
        options(&page),
        serde_json::json!({
            "idleTimeLimit": 1000.0, "controls": true,
            "markers": [[10.0, "late"], [11.5, ""], [12.0, ""]]
        })
    );
    let page = ok(&d.run(
        "cast-to-html",
        &["--controls", "auto", "--cursor-mode", "hidden", "demo.cast"],
    ));
    assert_eq!(
        options(&page),
        serde_json::json!({"controls": "auto", "cursorMode": "hidden"})
    );
    for (args, want) in [
        (
            &["--markers", "soon", "demo.cast"][..],
            "invalid marker 'soon'",
        ),
        (&["--cols", "0", "demo.cast"][..], "--cols"),
        (
            &["--terminal-line-height", "0", "demo.cast"][..],
            "invalid line height",
        ),
        (
            &["--controls", "sometimes", "demo.cast"][..],
            "invalid value 'sometimes'",
        ),
        (
            &["--url", "x.cast", "--markers", "1"][..],
            "--markers needs the recording",
        ),
    ] {
        let err = fails(&d.run("cast-to-html", args));
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn the_page_function_takes_default_options() {
    use castkit::cmd::to_html::{PageOptions, PlayerOptions, write_page};
    let input = fixture();
    let mut rdr =
        castkit::Reader::new(Box::new(std::io::Cursor::new(input.into_bytes())), None).unwrap();
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(b)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let opts = PageOptions {
        options: PlayerOptions {
            speed: Some(3.0),
            ..Default::default()
        },
        ..Default::default()
    };
    write_page(
        &mut rdr,
        Box::new(Sink(out.clone())),
        Path::new("<mem>"),
        &opts,
    )
    .unwrap();
    let page = String::from_utf8(out.lock().unwrap().clone()).unwrap();
    assert!(page.contains("<title>recording</title>"), "{page}");
    assert_eq!(options(&page), serde_json::json!({"speed": 3.0}));
    assert_eq!(parse_cast(&embedded(&page)).1.len(), 5);
}

#[test]
fn embed_snippets() {
    let d = Dir::new();
    let snip = ok(&d.run("cast-to-html", &["--embed", "--url", "/casts/demo.cast"]));
    assert!(snip.starts_with("<div id=\"castkit-player-"), "{snip}");
    assert!(!snip.contains("<html"));
    assert!(
        snip.contains("AsciinemaPlayer.create(\"/casts/demo.cast\", el, {})"),
        "{snip}"
    );
    assert!(snip.contains("window.AsciinemaPlayer"));
    assert_eq!(snip.matches("<script").count(), 1);
    d.write("demo.cast", fixture());
    let snip = ok(&d.run("cast-to-html", &["--embed", "--autoplay", "demo.cast"]));
    assert_eq!(parse_cast(&embedded(&snip)).1.len(), 5);
    assert!(snip.contains("{autoPlay:") || snip.contains("{\"autoPlay\":true}"));
    let err = fails(&d.run("cast-to-html", &["--url", "x.cast", "demo.cast"]));
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn player_dir_is_inlined_or_clearly_missing() {
    let d = Dir::new();
    d.write("demo.cast", fixture());
    let err = fails(&d.run("cast-to-html", &["--player-dir", "nowhere", "demo.cast"]));
    assert!(
        err.contains("--player-dir nowhere: no asciinema-player.min.js"),
        "{err}"
    );
    assert!(err.contains("npm install asciinema-player"), "{err}");
    std::fs::create_dir_all(d.path("pkg/dist/bundle")).unwrap();
    d.write(
        "pkg/dist/bundle/asciinema-player.min.js",
        "var AsciinemaPlayer = {create: function () { return '</script>'; }};",
    );
    d.write("pkg/dist/bundle/asciinema-player.css", ".ap { color: red }");
    let page = ok(&d.run(
        "cast-to-html",
        &["--player-dir", "pkg", "-o", "p.html", "demo.cast"],
    ));
    assert_eq!(page, "");
    let page = d.read("p.html");
    assert!(
        page.contains("var AsciinemaPlayer = {create: function () { return '<\\/script>'; }};")
    );
    assert!(page.contains(".ap { color: red }"));
    assert!(!page.contains("cdn.jsdelivr.net"));
}

/// The player's files, installed by .ci/extra-html.sh (npm) into target/player.
fn player_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CASTKIT_PLAYER_DIR") {
        return Some(PathBuf::from(p));
    }
    let target = bin("cast-idle").parent()?.parent()?.to_path_buf();
    let p = target.join("player/node_modules/asciinema-player");
    p.join("dist/bundle/asciinema-player.min.js")
        .exists()
        .then_some(p)
}

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Opens the page in headless Chromium and returns the DOM after the player ran.
fn render(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text the player's terminal shows, from its DOM (`.ap-line` rows).
fn terminal_text(dom: &str) -> String {
    let Some(k) = dom.find("<pre class=\"ap-term-text") else {
        return String::new();
    };
    let end = dom[k..].find("</pre>").map_or(dom.len(), |e| e + k);
    let re = regex::Regex::new(r"<[^>]+>").unwrap();
    re.replace_all(&dom[k..end].replace("<span class=\"ap-line\"", "\n<"), "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[test]
fn a_real_browser_plays_the_page() {
    let (Some(browser), Some(player)) = (chromium(), player_dir()) else {
        eprintln!(
            "note: a_real_browser_plays_the_page skipped: needs chromium and asciinema-player \
             in target/player (bash .ci/extra-html.sh installs both)"
        );
        return;
    };
    let d = Dir::new();
    d.write("demo.cast", fixture());
    let dir = player.to_string_lossy().into_owned();
    ok(&d.run(
        "cast-to-html",
        &[
            "--player-dir",
            &dir,
            "--poster",
            "1",
            "-o",
            "demo.html",
            "demo.cast",
        ],
    ));
    // The poster (the screen at 1 s, after the last event) is drawn as soon as the player has
    // loaded; a busy machine may need more than one try within the virtual time budget.
    let mut dom = String::new();
    let mut text = String::new();
    for _ in 0..3 {
        dom = render(&browser, &d.path("demo.html"));
        text = terminal_text(&dom);
        if text.contains("hello from the page") {
            break;
        }
    }
    assert!(text.contains("hello from the page"), "{text}\n{dom}");
    // stderr shown, and the hostile text shown as text, not run.
    assert!(text.contains("an error line"), "{text}");
    assert!(
        text.contains("</script><script>document.title='owned'"),
        "{text}"
    );
    assert!(text.contains("last line"), "{text}");
    assert!(dom.contains("<title>demo.cast</title>"), "{dom}");
}
