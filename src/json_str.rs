//! JSON string escapes, decoded in one place.
//!
//! Event data is read as JSON string tokens and decoded lazily, in several places at once:
//! [`crate::event`] unescapes a token into text, cast-grep's screen reads escapes in the same
//! pass that strips terminal sequences, and cast-info counts the decoded length without
//! decoding. All three read an escape with [`escape_at`], so they agree on every input,
//! valid or not: a surrogate pair is one character, a lone surrogate is U+FFFD (what
//! `fix_lone_surrogates` writes for strict readers), an escape JSON does not know is kept as
//! written, and one cut off at the end of the input ends it.
//!
//! This is a module of its own rather than part of `scan.rs`, which classifies whole lines
//! (the AVX2 check that a line is plain JSON): decoding is per escape, after the scan.

/// One escape, read from its backslash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// A character (a code point, never a surrogate), and the escape's length in bytes: 2
    /// for `\n`, 6 for `\u00e9`, 12 for a surrogate pair. A lone surrogate is U+FFFD.
    Char(u32, usize),
    /// A backslash and a byte that make no JSON escape (`\x`): kept as written, 2 bytes.
    Verbatim(u8),
    /// The input ends inside the escape (a last backslash, or `\u` without four hex digits).
    Cut,
}

/// Reads the escape whose backslash is `d[i]`. This does not allocate.
#[inline]
pub(crate) fn escape_at(d: &[u8], i: usize) -> Escape {
    let Some(&c) = d.get(i + 1) else {
        return Escape::Cut;
    };
    let v = match c {
        b'"' | b'\\' | b'/' => c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'u' => {
            let Some(v) = hex4(d, i + 2) else {
                return Escape::Cut;
            };
            return match v {
                0xD800..=0xDBFF => match (d.get(i + 6..i + 8), hex4(d, i + 8)) {
                    (Some(b"\\u"), Some(lo @ 0xDC00..=0xDFFF)) => {
                        Escape::Char(0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00), 12)
                    }
                    _ => Escape::Char(0xFFFD, 6),
                },
                0xDC00..=0xDFFF => Escape::Char(0xFFFD, 6),
                _ => Escape::Char(v, 6),
            };
        }
        other => return Escape::Verbatim(other),
    };
    Escape::Char(v as u32, 2)
}

/// The value of the four hex digits at `d[at..at + 4]`, if they are there.
#[inline]
pub(crate) fn hex4(d: &[u8], at: usize) -> Option<u32> {
    d.get(at..at + 4)?
        .iter()
        .try_fold(0u32, |v, &c| Some(v * 16 + (c as char).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let at = |s: &str| escape_at(s.as_bytes(), 0);
        assert_eq!(at("\\n"), Escape::Char(10, 2));
        assert_eq!(at("\\/"), Escape::Char(b'/' as u32, 2));
        assert_eq!(at("\\u00e9x"), Escape::Char(0xe9, 6));
        assert_eq!(at("\\uD83D\\uDE00"), Escape::Char(0x1F600, 12));
        assert_eq!(at("\\ud83d"), Escape::Char(0xFFFD, 6));
        assert_eq!(at("\\ud83d\\n"), Escape::Char(0xFFFD, 6));
        assert_eq!(at("\\ud83d\\ud83d"), Escape::Char(0xFFFD, 6));
        assert_eq!(at("\\ude00"), Escape::Char(0xFFFD, 6));
        assert_eq!(at("\\x"), Escape::Verbatim(b'x'));
        assert_eq!(at("\\"), Escape::Cut);
        assert_eq!(at("\\u12"), Escape::Cut);
        assert_eq!(at("\\u12g4"), Escape::Cut);
    }

    #[test]
    fn agrees_with_serde_json_on_valid_escapes() {
        for cp in (0..0x11000u32)
            .step_by(7)
            .chain([0xFFFF, 0x10FFFF, 0x1F600])
        {
            let Some(ch) = char::from_u32(cp) else {
                continue;
            };
            let mut units = [0u16; 2];
            let esc: String = ch
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("\\u{u:04x}"))
                .collect();
            let want: String = serde_json::from_str(&format!("\"{esc}\"")).unwrap();
            assert_eq!(
                escape_at(esc.as_bytes(), 0),
                Escape::Char(want.chars().next().unwrap() as u32, esc.len())
            );
        }
    }
}
