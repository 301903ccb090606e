//! Every filter on arbitrary input: no panic, and what a filter writes reads back whole.
//! The first byte picks the filter and its parameters; the rest is the recording.
#![no_main]

use castkit::cli::filter_bytes;
use castkit::cmd::{cut, idle, merge_stderr, speed};
use castkit::{EventRecord, Reader, Version};
use libfuzzer_sys::fuzz_target;

fn reads_back(out: &[u8]) {
    let mut r = Reader::new(Box::new(std::io::Cursor::new(out.to_vec())), None)
        .expect("filter output has a readable header");
    r.set_strict(true);
    let mut rec = EventRecord::default();
    while r.read_event(&mut rec).expect("filter output reads back") {}
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, input)) = data.split_first() else { return };
    let version = match sel >> 6 {
        0 => None,
        1 => Some(Version::V2),
        _ => Some(Version::V3),
    };
    let p = (sel & 7) as i64 * 700_000;
    if sel & 0x38 == 0x38 && sel & 1 == 1 {
        // Every eighth selector byte pattern: the stderr merger, in each of its modes.
        let mode = [merge_stderr::Mode::Merge, merge_stderr::Mode::Drop, merge_stderr::Mode::Only][(sel as usize >> 1) % 3];
        let color = if sel & 4 != 0 { Some("red") } else { None };
        if let Ok(out) = filter_bytes(input, |_| Ok(merge_stderr::MergeStderr::new(mode, color)), version) {
            reads_back(&out);
        }
        return;
    }
    let out = match (sel >> 3) & 7 {
        0 => filter_bytes(input, |_| Ok(idle::Idle::new(p, false)), version),
        1 => filter_bytes(input, |_| Ok(idle::Idle::new(p, true)), version),
        2 => filter_bytes(input, |_| Ok(speed::Speed::new(0.3 + p as f64 / 1e6, 0, None)), version),
        3 => filter_bytes(input, |_| Ok(speed::Speed::new(2.5, p, Some(p + 900_000))), version),
        4 => filter_bytes(input, |r| Ok(cut::Cut::new(cut::Plan::new(Some(p), None, &[]), true, r.header().size())), version),
        5 => filter_bytes(input, |r| Ok(cut::Cut::new(cut::Plan::new(None, None, &[(p, p + 1_300_000)]), true, r.header().size())), version),
        6 => filter_bytes(input, |r| Ok(cut::Cut::new(cut::Plan::new(Some(p / 2), Some(p + 100), &[]), false, r.header().size())), version),
        _ => filter_bytes(input, |r| Ok(cut::Cut::new(cut::Plan::new(None, Some(p), &[(1, p / 3 + 2)]), true, r.header().size())), version),
    };
    if let Ok(out) = out {
        reads_back(&out);
    }
});
