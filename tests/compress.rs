//! gzip and zstd recordings, read and written by every tool.

use std::io::{Read, Write};

use crate::util::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unzstd(data: &[u8]) -> Vec<u8> {
    zstd::stream::decode_all(data).unwrap()
}

/// A recording with text that compresses, long enough to span many compressed blocks.
fn sample(n: usize) -> String {
    let mut ev = Vec::new();
    let lines: Vec<String> = (0..n)
        .map(|k| format!("line {k}: caf\u{e9} \u{1b}[1mbold\u{1b}[0m\r\n"))
        .collect();
    for (k, l) in lines.iter().enumerate() {
        ev.push((k as f64 * 0.25, "o", l.as_str()));
    }
    v2(&ev)
}

type Pack = fn(&[u8]) -> Vec<u8>;

const KINDS: [(&str, Pack); 2] = [("gz", gzip), ("zst", zstd)];

#[test]
fn every_tool_reads_compressed_files_and_stdin() {
    let d = Dir::new();
    let plain = sample(300);
    d.write("a.cast", &plain);
    for (ext, pack) in KINDS {
        // Named without a hint: detection is by content.
        d.write(&format!("packed-{ext}"), pack(plain.as_bytes()));
        for (tool, args) in [
            ("cast-idle", &["-l", "0.1"][..]),
            ("cast-speed", &["-f", "2", "--format", "v3"][..]),
            ("cast-cat", &[][..]),
            ("cast-info", &[][..]),
            ("cast-grep", &["-c", "bold"][..]),
            ("cast-to-txt", &[][..]),
        ] {
            let want = ok(&d.run(tool, &[args, &["a.cast"]].concat()));
            let name = format!("packed-{ext}");
            let got = ok(&d.run(tool, &[args, &[name.as_str()]].concat()));
            // cast-info names the file it read.
            assert_eq!(got.replace(&name, "a.cast"), want, "{tool} on a {ext} file");
            let packed = std::fs::read(d.path(&name)).unwrap();
            let got = ok(&d.run_stdin(tool, args, &packed));
            let want_stdin = ok(&d.run_stdin(tool, args, &plain));
            assert_eq!(got, want_stdin, "{tool} on {ext} from stdin");
        }
    }
}

#[test]
fn a_cut_off_stream_keeps_the_complete_events_with_a_warning() {
    let d = Dir::new();
    let plain = sample(20_000);
    let (want_head, all) = parse_cast(&plain);
    for (ext, pack) in KINDS {
        let packed = pack(plain.as_bytes());
        let cut = &packed[..packed.len() / 2];
        let name = format!("cut.cast.{ext}");
        d.write(&name, cut);
        let o = d.run("cast-idle", &["-l", "100", &name]);
        let out = ok(&o);
        let (head, ev) = parse_cast(&out);
        assert_eq!(head, want_head);
        assert!(
            ev.len() > 100 && ev.len() < all.len(),
            "{ext}: {}",
            ev.len()
        );
        // The complete events as they were; of the last, cut-off one, what was complete.
        let n = ev.len() - 1;
        assert!(ev[..n] == all[..n], "{ext}: a prefix of the events");
        assert!(all[n].2.starts_with(&ev[n].2), "{ext}: the cut-off event");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{name}: byte "))
                && err.contains("stream was cut off; kept the events that were complete"),
            "{ext}: {err}"
        );
        let err = fails(&d.run("cast-idle", &["-l", "100", "--strict", &name]));
        assert!(err.contains("truncated recording"), "{err}");
        // From standard input too, and quietly with -q.
        let o = d.run_stdin("cast-idle", &["-q", "-l", "1"], cut);
        ok(&o);
        assert_eq!(stderr(&o), "");
    }
}

#[test]
fn corrupt_stream_is_an_error_naming_the_byte() {
    let d = Dir::new();
    // A reserved bit in zstd's frame header.
    let mut packed = zstd(sample(2_000).as_bytes());
    packed[4] |= 0x08;
    d.write("bad.cast.zst", &packed);
    let err = fails(&d.run("cast-cat", &["bad.cast.zst"]));
    assert!(
        err.starts_with("cast-cat: bad.cast.zst: byte ") && err.contains("corrupt zstd data"),
        "{err}"
    );
    // gzip's checksum, checked at the end.
    let mut packed = gzip(sample(2_000).as_bytes());
    let n = packed.len();
    packed[n - 8] ^= 0xff;
    d.write("bad.cast.gz", &packed);
    let o = d.run("cast-idle", &["-l", "1", "bad.cast.gz"]);
    let err = fails(&o);
    assert!(
        err.starts_with("cast-idle: bad.cast.gz: byte ") && err.contains("corrupt gzip data"),
        "{err}"
    );
}

#[test]
fn output_named_gz_or_zst_is_compressed_and_round_trips() {
    let d = Dir::new();
    let plain = sample(500);
    d.write("a.cast", &plain);
    let want = ok(&d.run("cast-idle", &["-l", "0.1", "a.cast"]));
    for (ext, unpack) in [("gz", gunzip as Pack), ("zst", unzstd)] {
        let out = format!("out.cast.{ext}");
        ok(&d.run("cast-idle", &["-l", "0.1", "a.cast", "-o", &out]));
        let bytes = std::fs::read(d.path(&out)).unwrap();
        assert!(bytes.len() < want.len() / 3, "{ext}: compressed");
        assert_eq!(String::from_utf8(unpack(&bytes)).unwrap(), want, "{ext}");
        // And it reads back in every tool: a second pass changes nothing.
        let again = format!("again.cast.{ext}");
        ok(&d.run("cast-idle", &["-l", "0.1", &out, "-o", &again]));
        assert_eq!(
            unpack(&std::fs::read(d.path(&again)).unwrap()),
            want.as_bytes()
        );
        // cast-cat joins compressed inputs into a compressed output.
        let joined = format!("joined.cast.{ext}");
        ok(&d.run("cast-cat", &[&out, "a.cast", "-o", &joined]));
        let (_, ev) = parse_cast(
            &String::from_utf8(unpack(&std::fs::read(d.path(&joined)).unwrap())).unwrap(),
        );
        assert_eq!(ev.len(), 1000);
    }
    // No leftover temporary files.
    let names: Vec<String> = std::fs::read_dir(d.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn in_place_keeps_a_file_compressed_as_it_was() {
    let d = Dir::new();
    let plain = sample(200);
    d.write("plain.cast", &plain);
    let want = ok(&d.run("cast-speed", &["-f", "2", "plain.cast"]));
    // Names that do not say it: -i follows the content.
    d.write("g", gzip(plain.as_bytes()));
    d.write("z", zstd(plain.as_bytes()));
    ok(&d.run("cast-speed", &["-f", "2", "-i", "g", "z", "plain.cast"]));
    assert_eq!(
        gunzip(&std::fs::read(d.path("g")).unwrap()),
        want.as_bytes()
    );
    assert_eq!(
        unzstd(&std::fs::read(d.path("z")).unwrap()),
        want.as_bytes()
    );
    assert_eq!(d.read("plain.cast"), want);
}

#[test]
fn compress_forces_it_on_standard_output() {
    let d = Dir::new();
    let plain = sample(100);
    let want = ok(&d.run_stdin("cast-cut", &["--from", "2"], &plain));
    let o = d.run_stdin("cast-cut", &["--from", "2", "--compress", "zstd"], &plain);
    assert!(o.status.success());
    assert_eq!(unzstd(&o.stdout), want.as_bytes());
    let o = d.run_stdin("cast-cat", &["--compress", "gzip", "-"], &plain);
    assert!(o.status.success());
    let (_, ev) = parse_cast(&String::from_utf8(gunzip(&o.stdout)).unwrap());
    assert_eq!(ev.len(), 100);
    // A compressed stream piped into the next tool.
    let again = ok(&d.run_stdin("cast-cut", &["--from", "0"], &o.stdout));
    assert_eq!(parse_cast(&again).1.len(), 100);
}

#[test]
fn recursive_walks_find_compressed_recordings() {
    let d = Dir::new();
    std::fs::create_dir_all(d.path("r/sub")).unwrap();
    let a = v2(&[(1.0, "o", "needle one\r\n")]);
    let b = v2(&[(2.0, "o", "hay\r\n"), (3.0, "o", "needle two\r\n")]);
    d.write("r/a.cast.gz", gzip(a.as_bytes()));
    d.write("r/sub/b.cast.zst", zstd(b.as_bytes()));
    d.write("r/notes.txt.gz", gzip(b"needle"));
    let out = ok(&d.run("cast-grep", &["-r", "-l", "needle", "r"]));
    assert_eq!(out, "r/a.cast.gz\nr/sub/b.cast.zst\n");
    let out = ok(&d.run("cast-info", &["r/a.cast.gz", "r/sub/b.cast.zst"]));
    assert!(
        out.contains("r/a.cast.gz") && out.contains("r/sub/b.cast.zst"),
        "{out}"
    );
}

#[test]
fn rec_will_not_append_to_a_compressed_file() {
    let d = Dir::new();
    let packed = gzip(v2(&[(1.0, "o", "before\r\n")]).as_bytes());
    d.write("a.cast.gz", &packed);
    let err = fails(&d.run(
        "cast-rec",
        &["--headless", "--append", "-c", "echo more", "a.cast.gz"],
    ));
    assert!(
        err.contains("a.cast.gz: cannot append to a gzip-compressed recording"),
        "{err}"
    );
    assert_eq!(std::fs::read(d.path("a.cast.gz")).unwrap(), packed);
}
