//! The reader on arbitrary bytes: it may refuse them, but never panics, and whatever it reads
//! is valid JSON to write back (the data token passes serde_json).
#![no_main]

use castkit::{EventRecord, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut r) = Reader::new(Box::new(std::io::Cursor::new(data.to_vec())), None) else {
        return;
    };
    let _ = r.header().to_line(castkit::Version::V2);
    let _ = r.header().to_line(castkit::Version::V3);
    let mut rec = EventRecord::default();
    let mut scratch = String::new();
    while let Ok(true) = r.read_event(&mut rec) {
        assert!(std::str::from_utf8(rec.data_json()).is_ok());
        assert!(rec.data_json().starts_with(b"\"") && rec.data_json().ends_with(b"\""));
        // A full JSON parser agrees that the token is one valid string (escapes included).
        assert!(serde_json::from_slice::<serde::de::IgnoredAny>(rec.data_json()).is_ok());
        let _ = rec.data_str(&mut scratch);
    }
});
