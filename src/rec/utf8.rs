//! Incremental UTF-8 decoding of terminal output.
//!
//! A program's output reaches the recorder in reads of whatever size the kernel hands over,
//! and a multi-byte character is often split between two of them (a program writing one byte
//! at a time, a full pty buffer). JSON strings carry text, not bytes, so the recorder decodes
//! as it goes: the incomplete tail of a read is held back and completed by the next one,
//! and bytes that can never be UTF-8 become U+FFFD, one per maximal invalid sequence (the
//! same substitution `String::from_utf8_lossy` makes).

/// Decodes a byte stream to text across reads. At most three bytes are ever held back.
#[derive(Debug, Default, Clone)]
pub struct Utf8Decoder {
    held: [u8; 4],
    n: usize,
}

impl Utf8Decoder {
    pub fn new() -> Utf8Decoder {
        Utf8Decoder::default()
    }

    /// True when bytes of an incomplete character are held back.
    pub fn has_pending(&self) -> bool {
        self.n > 0
    }

    /// Decodes `input`, appending the text to `out`. A trailing incomplete character is held
    /// back for the next call. This does not allocate beyond growing `out`.
    pub fn decode(&mut self, mut input: &[u8], out: &mut String) {
        // Complete a held character first, one byte at a time: it needs three more at most.
        while self.n > 0 {
            let Some((&b, rest)) = input.split_first() else {
                return;
            };
            self.held[self.n] = b;
            self.n += 1;
            input = rest;
            match std::str::from_utf8(&self.held[..self.n]) {
                Ok(s) => {
                    out.push_str(s);
                    self.n = 0;
                }
                Err(e) => match e.error_len() {
                    None => {} // still incomplete
                    Some(bad) => {
                        // The held bytes were a valid start, so the sequence broke at the byte
                        // just added: replace what came before it and decode that byte anew.
                        out.push(char::REPLACEMENT_CHARACTER);
                        let consumed = e.valid_up_to() + bad;
                        let again = self.n - consumed;
                        let mut tail = [0u8; 4];
                        tail[..again].copy_from_slice(&self.held[consumed..self.n]);
                        self.n = 0;
                        self.decode(&tail[..again], out);
                    }
                },
            }
        }
        // The usual case, valid text perhaps cut inside its last character, takes a SIMD
        // validation (simdutf8); only invalid bytes need the chunk-by-chunk walk.
        if let Ok(s) = simdutf8::basic::from_utf8(input) {
            out.push_str(s);
            return;
        }
        let cut = match simdutf8::compat::from_utf8(input) {
            Ok(s) => {
                out.push_str(s);
                return;
            }
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => input.len(),
        };
        if cut < input.len() {
            // The validation found these bytes valid: this cannot fail.
            out.push_str(std::str::from_utf8(&input[..cut]).unwrap_or_default());
            let tail = &input[cut..];
            self.held[..tail.len()].copy_from_slice(tail);
            self.n = tail.len();
            return;
        }
        let mut chunks = input.utf8_chunks().peekable();
        while let Some(chunk) = chunks.next() {
            out.push_str(chunk.valid());
            let bad = chunk.invalid();
            if bad.is_empty() {
                continue;
            }
            let last = chunks.peek().is_none();
            if last
                && bad.len() < 4
                && std::str::from_utf8(bad).is_err_and(|e| e.error_len().is_none())
            {
                self.held[..bad.len()].copy_from_slice(bad);
                self.n = bad.len();
            } else {
                out.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }

    /// Ends the stream: a held incomplete character becomes U+FFFD.
    pub fn finish(&mut self, out: &mut String) {
        if self.n > 0 {
            out.push(char::REPLACEMENT_CHARACTER);
            self.n = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(parts: &[&[u8]]) -> String {
        let mut d = Utf8Decoder::new();
        let mut out = String::new();
        for p in parts {
            d.decode(p, &mut out);
        }
        d.finish(&mut out);
        out
    }

    #[test]
    fn split_characters_are_held_and_emitted_whole() {
        let euro = "€".as_bytes();
        let mut d = Utf8Decoder::new();
        let mut out = String::new();
        d.decode(&[b'a', euro[0]], &mut out);
        assert_eq!(out, "a");
        assert!(d.has_pending());
        d.decode(&euro[1..2], &mut out);
        assert_eq!(out, "a");
        d.decode(&[euro[2], b'b'], &mut out);
        assert_eq!(out, "a€b");
        assert!(!d.has_pending());
    }

    #[test]
    fn every_split_of_mixed_text_decodes_the_same() {
        let text = "x é 中 😀 \u{1b}[0m y".as_bytes();
        for i in 0..=text.len() {
            for j in i..=text.len() {
                assert_eq!(
                    feed(&[&text[..i], &text[i..j], &text[j..]]),
                    std::str::from_utf8(text).unwrap(),
                    "split at {i} {j}"
                );
            }
        }
    }

    #[test]
    fn invalid_bytes_match_lossy_decoding_at_any_split() {
        let bytes: &[u8] = b"a\xff\xe2\x82b\xf0\x9f\x98c\xed\xa0\x80d\xc3";
        let lossy = String::from_utf8_lossy(bytes);
        for i in 0..=bytes.len() {
            assert_eq!(feed(&[&bytes[..i], &bytes[i..]]), lossy, "split at {i}");
        }
        let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(feed(&one_by_one), lossy);
    }

    #[test]
    fn held_bytes_broken_by_an_ascii_byte() {
        assert_eq!(feed(&[b"\xe2\x82", b"A"]), "\u{fffd}A");
        assert_eq!(feed(&[b"\xf0", b"\x9f", b"(x"]), "\u{fffd}(x");
    }
}
