//! The check of an event's data string, 64 bytes at a time, with bit masks.
//!
//! Terminal output has an escape (`\u001b`, `\r`, `\n`) every ten bytes or so, so looking at
//! each backslash with branches is what costs. Here each 64-byte block is classified into
//! masks (quotes, backslashes, control bytes, letters that may follow a backslash, hex
//! digits, `u`), the bytes escaped by a backslash are worked out from the backslash runs with
//! integer arithmetic (carried from block to block), and the escapes are validated with a few
//! bit operations per block, whatever their number.
//!
//! Escapes that may be UTF-16 surrogates (`\\u` then `d` or `D`) are flagged too, from one
//! more mask: most `\\u` escapes in terminal output are `\\u001b`, so the flag is rare, and
//! the caller looks closer only then (a lone surrogate is not valid JSON for strict readers
//! such as serde_json and asciinema). The mask costs one compare per 32 bytes.
//!
//! Only the x86_64 AVX2 classifier exists; elsewhere, without AVX2, or for a string shorter
//! than 32 bytes (most events: one typed key), [`check`] returns `None` and the reader uses
//! its portable scanner.
//!
//! What it gains, measured with the classifier switched off (`check` returning `None`)
//! against this build, on bench/gen.py's 228 MiB recording, best of three rounds of five
//! runs: five runs of cast-idle -l 1 took 0.99 s of CPU against 1.15 s, five of cast-cat
//! --format v3 0.98 s against 1.20 s. A seventh to a sixth of a pass-through tool's time:
//! it stays.
//!
//! [`string_end`] looks at a block's quotes and backslashes first: a block with no backslash
//! (and no escape running into it) needs no escape checking, and its first quote ends the
//! string. On the first 20 MB of bench/run.sh's files that is 47% of the blocks looked at
//! (typing-heavy) and 27% (the corpus's mix); one-key events are nearly all such blocks.
//!
//! [`string_end`] validates the string's UTF-8 in the same pass, on the blocks that hold
//! non-ASCII bytes (or follow one that did), with the nibble-lookup method simdutf8 uses;
//! before, the reader called simdutf8 on every such string afterwards, a second read of the
//! bytes and a set-up cost on each of the many short ones. On bench/run.sh's typing-heavy
//! file, where a quarter of the events hold non-ASCII bytes, that took cast-cat --format v3
//! from 0.357 to 0.334 s and cast-speed -f 2 from 0.358 to 0.335 s (wall, median of 11
//! alternating runs), with CPU time 2-6% lower; cast-idle moved within the noise.
//!
//! Asked to count, [`string_end`] also sums what the escapes save in decoding (one byte per
//! escaped byte, four more per `\\u`, when every `\\u` stands for ASCII), from the masks the
//! blocks with a backslash already have, for cast-info's byte counts; before, cast-info passed
//! over each long string again ([`decoded_len`]), and strings of 19 to 63 bytes escape by
//! escape. On bench/run.sh's files that took cast-info from 0.268 to 0.200 s (typing-heavy)
//! and from 0.162 to 0.134 s (corpus-like), wall, median of 9 alternating runs, with CPU time
//! 0.322 to 0.255 s and 0.204 to 0.167 s. The filters do not count (the reader has a
//! method of its own for it, `Reader::read_borrowed_counted`); they pay a predictable branch
//! per such block, and callgrind counts 1.3-1.9% more instructions for cast-idle than before
//! on the first 5 MB of the typing-heavy and keystroke files, against 16% and 7% fewer for
//! cast-info.
//!
//! [`short_line`] takes a whole line shorter than a block in one look (its newline, and no
//! backslash, control byte or bad UTF-8 before it), for the typed keys that most events are:
//! [`string_end`]'s set-up and the check of the line's end after it cost more than the one
//! byte of data. On a recording of 8 million keystrokes (208 MB) that took cast-idle -l 1
//! from 0.60 to 0.51 s, and on bench/run.sh's typing-heavy file from 0.29 to 0.26 s (wall,
//! median of 9 alternating runs); the corpus-like file, with few short lines, did not move.
//!
//! [`short_line`] looks at the block's first half alone when the line ends there (a typed
//! key's nearly always does), and gives the line's digits as a mask too: with it and the
//! quotes' mask, the reader takes a key's line in the form recorders write in a few checks
//! and combines the time's digits unchecked (`key_line` in `read`), instead of parsing the
//! time and the head byte by byte. Callgrind counted 11% fewer instructions for cast-idle -l 1
//! on the first 5 MB of bench/run.sh's keystroke file (118.7M to 105.2M), 5.5% fewer on the
//! typing-heavy one (35.2M to 33.3M), and the same on the corpus-like one. In wall time,
//! median of 9 alternating runs in a slow hour (cat at 0.11-0.14 s): on the keystroke file
//! cast-idle from 0.537 to 0.463 s, cast-speed -f 2 from 0.660 to 0.547 s, cast-cat --format
//! v3 from 0.502 to 0.459 s; on the typing-heavy file 3-4% (0.280 to 0.272 s for cast-idle).

/// Bit `k` of each mask stands for byte `k` of a block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Block {
    quote: u64,
    bslash: u64,
    /// Below 0x20.
    ctrl: u64,
    /// 0x80 and above.
    high: u64,
    /// Not one of `" \ / b f n r t u` (what may follow a backslash).
    not_esc: u64,
    not_hex: u64,
    u: u64,
    /// `d` or `D` (the first hex digit of a surrogate escape).
    d: u64,
}

impl Block {
    /// The last `len` (< 64) bytes of a block as a block of their own: masks shifted down by
    /// `shift` bits, and the bytes past the end made neither an escape letter nor a hex digit,
    /// so an escape running past the end fails.
    #[inline(always)]
    fn tail(self, shift: u32, len: usize) -> Block {
        let valid = (1u64 << len) - 1;
        let cut = |m: u64| (m >> shift) & valid;
        Block {
            quote: cut(self.quote),
            bslash: cut(self.bslash),
            ctrl: cut(self.ctrl),
            high: cut(self.high),
            not_esc: cut(self.not_esc) | !valid,
            not_hex: cut(self.not_hex) | !valid,
            u: cut(self.u),
            d: cut(self.d),
        }
    }
}

/// Strings shorter than this are left to the caller's scanner.
const SHORT: usize = 32;

const EVEN: u64 = 0x5555_5555_5555_5555;

/// What carries from one block to the next, and what has been seen.
#[derive(Debug, Default)]
struct Checker {
    /// 1 when the first byte of the next block is escaped by a backslash ending this one.
    carry_escaped: u64,
    /// Bytes at the start of the next block that must be hex digits (a `\u` escape's tail).
    carry_hex: u64,
    /// 1 when the last byte of the previous block is an escaped `u`.
    carry_u: u64,
    ctrl: u64,
    high: u64,
    /// Escaped `u`s followed by `d`/`D` seen (possible surrogate escapes).
    surrogate: u64,
}

/// What a check found in a string's inside, besides its being valid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// Raw control bytes (below 0x20).
    pub ctrl: bool,
    /// Bytes 0x80 and above.
    pub high: bool,
    /// An escape `\\uD...` or `\\ud...`: possibly a surrogate, to be looked at closer.
    pub surrogate: bool,
}

impl Checker {
    /// Takes one block; false when it holds an unescaped quote or an invalid escape.
    #[inline(always)]
    fn block(&mut self, b: &Block) -> bool {
        let escaped = self.escaped(b.bslash);
        self.block_escaped(b, escaped)
    }

    /// [`block`](Self::block), given the block's escaped bytes (from [`escaped`](Self::escaped)).
    #[inline(always)]
    fn block_escaped(&mut self, b: &Block, escaped: u64) -> bool {
        let u = escaped & b.u;
        let need_hex = (u << 1) | (u << 2) | (u << 3) | (u << 4) | self.carry_hex;
        self.carry_hex = (u >> 63) | (u >> 62) | (u >> 61) | (u >> 60);
        self.surrogate |= ((u << 1) | self.carry_u) & b.d;
        self.carry_u = u >> 63;
        self.ctrl |= b.ctrl;
        self.high |= b.high;
        (b.quote & !escaped) | (escaped & b.not_esc) | (need_hex & b.not_hex) == 0
    }

    /// The bytes escaped by a backslash, given the block's backslashes.
    ///
    /// Read left to right, a run of backslashes pairs up from its first one: the backslashes
    /// at an even distance from the run's start each escape the byte after them. Adding a
    /// run's start bit to the mask clears the run (the carry ripples through it), which marks
    /// the runs starting at odd positions; their escaping backslashes are on odd bits, the
    /// others' on even bits.
    #[inline(always)]
    fn escaped(&mut self, bslash: u64) -> u64 {
        let carry = self.carry_escaped;
        // A backslash escaped by the previous block escapes nothing.
        let bs = bslash & !carry;
        let starts = bs & !(bs << 1);
        let odd_runs = bs & !bs.wrapping_add(starts & !EVEN);
        let escapers = (odd_runs & !EVEN) | (bs & !odd_runs & EVEN);
        self.carry_escaped = escapers >> 63;
        (escapers << 1) | carry
    }

    /// What was found, or None when the content ended inside an escape.
    #[inline(always)]
    fn finish(&self) -> Option<Found> {
        (self.carry_escaped | self.carry_hex == 0).then_some(Found {
            ctrl: self.ctrl != 0,
            high: self.high != 0,
            surrogate: self.surrogate != 0,
        })
    }
}

/// Checks the inside of a string whose closing quote is known to follow it: every quote
/// escaped, every escape valid and complete. Returns `Some(Some(found))`, `Some(None)` when a
/// quote is unescaped or an escape is invalid, and `None` when this machine has no fast path
/// (the caller then checks it its own way).
#[inline]
pub(crate) fn check(content: &[u8]) -> Option<Option<Found>> {
    #[cfg(target_arch = "x86_64")]
    {
        // For short strings, setting up the masks costs more than it saves.
        if content.len() >= SHORT && std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, just checked.
            return Some(unsafe { avx2::check(content) });
        }
    }
    let _ = content;
    None
}

/// Where a string's content ends, as [`string_end`] finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The closing quote is at `quote`, an offset of the buffer, and the content before it is
    /// valid JSON (with what was found in it); `utf8` says whether the content is valid UTF-8
    /// too (checked in the same pass, from the blocks that hold non-ASCII bytes). When asked
    /// to count, `saved` is how many bytes shorter the decoded text is than the content (as
    /// [`decoded_len`] counts it), or None when a `\\u` escape stands for a character beyond
    /// ASCII; without counting it is None.
    At {
        quote: usize,
        found: Found,
        utf8: bool,
        saved: Option<u64>,
    },
    /// An invalid escape comes first, or there is no closing quote before the limit.
    No,
}

/// Finds the closing quote of a JSON string whose content starts at `buf[from]`, checking the
/// content on the way as [`check`] does, and its UTF-8 besides, and looking no further than
/// `buf[..end]` (bytes of `buf` past `end` may be loaded, never counted). One pass does what
/// finding the line's end, then checking the string between known ends, then validating its
/// UTF-8, did in three. `None` when this machine has no fast path.
///
/// With `count`, the bytes the escapes save are counted on the way, for a caller that wants
/// the decoded text's length (cast-info) without a second pass: the escaped bytes are already
/// in a mask, and only blocks with a backslash have any. Without it that costs one
/// predictable branch per such block.
#[inline]
pub(crate) fn string_end(buf: &[u8], from: usize, end: usize, count: bool) -> Option<End> {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2() {
            assert!(from <= end && end <= buf.len());
            // SAFETY: the CPU has AVX2, just checked; the bounds hold, just asserted.
            return Some(unsafe { avx2::string_end(buf, from, end, count) });
        }
    }
    let _ = (buf, from, end, count);
    None
}

/// The line starting at `buf[pos]` when it is shorter than a block and needs none of
/// [`string_end`]'s escape checks: the 64 bytes at `pos` hold a newline before `end`, and
/// before it no backslash, no control byte and no invalid UTF-8. Gives the newline's offset
/// from `pos` and the quotes before it, as a mask (bit `k` for `buf[pos + k]`). `None` for
/// every other line, near the end of `buf`, and on machines without the fast path. The ASCII
/// digits before the newline come as a mask too, for the caller's check of the time field.
///
/// Most events are one typed key, and for them this is the whole check: one look at the
/// line, where [`string_end`] would set up its escape and UTF-8 state for a string of one
/// byte, and the line's end would be checked after. The caller still checks the line's form.
#[inline]
pub(crate) fn short_line(buf: &[u8], pos: usize, end: usize) -> Option<Short> {
    #[cfg(target_arch = "x86_64")]
    {
        if pos + 64 <= buf.len() && pos < end && has_avx2() {
            // SAFETY: the CPU has AVX2, just checked; `buf[pos..pos + 64]` is inside `buf`.
            return unsafe { avx2::short_line(buf.as_ptr().add(pos), end - pos) };
        }
    }
    let _ = (buf, pos, end);
    None
}

/// A line found by [`short_line`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Short {
    /// The newline's offset from the line's start.
    pub k: usize,
    /// The quotes before the newline: bit `i` for the line's byte `i`.
    pub quotes: u64,
    /// The ASCII digits before the newline, likewise.
    pub digits: u64,
}

/// Whether the block classifier can run here (looked up once, then cached by std).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2")
}

/// The length of the text that `content`, the inside of a valid JSON string token, stands
/// for, counted from masks 64 bytes at a time: every escape has exactly one escaped byte (the
/// letter after its backslash, found as [`Checker`] finds it), and saves one byte, four more
/// for a `\\u` escape. That holds when every `\\u` escape stands for an ASCII character
/// (`\\u0000` to `\\u007f`, as terminal output's `\\u001b`); `None` when one does not (a
/// wider character, a surrogate), when `content` is shorter than a block, or on a machine
/// without the fast path: the caller then counts escape by escape.
#[inline]
pub(crate) fn decoded_len(content: &[u8]) -> Option<u64> {
    #[cfg(target_arch = "x86_64")]
    {
        if content.len() >= 64 && has_avx2() {
            // SAFETY: the CPU has AVX2, just checked.
            return unsafe { avx2::decoded_len(content) };
        }
    }
    let _ = content;
    None
}

/// [`check`] at any length, for tests.
#[cfg(test)]
fn check_any_len(content: &[u8]) -> Option<Option<Found>> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, just checked.
        return Some(unsafe { avx2::check(content) });
    }
    let _ = content;
    None
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Block, Checker, End, Found, Short};
    use std::arch::x86_64::*;

    /// Class bits of a byte: the AND of a table entry for its low nibble and one for its high
    /// nibble. Bits 0-1: hex digit (`0-9`; `a-f`/`A-F`); bits 2-6: a letter allowed after a
    /// backslash (`" b r`, `/`, `\`, `f n`, `t u`); bit 7: `u`.
    const LO: [u8; 16] = [
        0x01, 0x03, 0x07, 0x03, 0x43, 0xC3, 0x23, 0x01, 0x01, 0x01, 0, 0, 0x10, 0, 0x20, 0x08,
    ];
    const HI: [u8; 16] = [
        0, 0, 0x0C, 0x01, 0x02, 0x10, 0x26, 0xC4, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    const HEX: i8 = 0x03;
    const ESC: i8 = 0x7C;

    #[inline]
    #[target_feature(enable = "avx2")]
    fn table(t: &[u8; 16]) -> __m256i {
        let mut b = [0u8; 32];
        b[..16].copy_from_slice(t);
        b[16..].copy_from_slice(t);
        // SAFETY: `b` is 32 readable bytes; the load is unaligned.
        unsafe { _mm256_loadu_si256(b.as_ptr() as *const __m256i) }
    }

    /// Control and non-ASCII bytes seen so far, kept as vectors: only whether there are any
    /// matters, so they need no masks.
    #[derive(Clone, Copy)]
    struct Seen {
        ctrl: __m256i,
        high: __m256i,
    }

    impl Seen {
        #[inline]
        #[target_feature(enable = "avx2")]
        fn new() -> Seen {
            Seen {
                ctrl: _mm256_setzero_si256(),
                high: _mm256_setzero_si256(),
            }
        }

        /// Adds the control and non-ASCII bytes of the block `a`, `b`.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn see(&mut self, a: __m256i, b: __m256i) {
            self.ctrl = _mm256_or_si256(self.ctrl, _mm256_or_si256(is_ctrl(a), is_ctrl(b)));
            self.high = _mm256_or_si256(self.high, _mm256_or_si256(a, b));
        }

        /// (any control byte, any non-ASCII byte)
        #[inline]
        #[target_feature(enable = "avx2")]
        fn any(self) -> (bool, bool) {
            (
                _mm256_movemask_epi8(self.ctrl) != 0,
                _mm256_movemask_epi8(self.high) != 0,
            )
        }
    }

    /// The bytes below 0x20 of `v`, as 0xff.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn is_ctrl(v: __m256i) -> __m256i {
        _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1f)), v)
    }

    /// The top bits of the two halves of a block, as a 64-bit mask.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mask64(a: __m256i, b: __m256i) -> u64 {
        _mm256_movemask_epi8(a) as u32 as u64 | (_mm256_movemask_epi8(b) as u32 as u64) << 32
    }

    /// The 64 bytes at `p`, as two halves.
    ///
    /// # Safety
    /// `p..p + 64` must be readable.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load(p: *const u8) -> (__m256i, __m256i) {
        // SAFETY: the caller promises 64 readable bytes at `p`; the loads are unaligned.
        unsafe {
            (
                _mm256_loadu_si256(p as *const __m256i),
                _mm256_loadu_si256(p.add(32) as *const __m256i),
            )
        }
    }

    /// The quotes and the backslashes of the block `a`, `b`, as masks.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn quote_bslash(a: __m256i, b: __m256i) -> (u64, u64) {
        let (quote, bslash) = (_mm256_set1_epi8(b'"' as i8), _mm256_set1_epi8(b'\\' as i8));
        (
            mask64(_mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(b, quote)),
            mask64(_mm256_cmpeq_epi8(a, bslash), _mm256_cmpeq_epi8(b, bslash)),
        )
    }

    /// The control bytes and the non-ASCII bytes of the block `a`, `b`, as masks.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn ctrl_high_of(a: __m256i, b: __m256i) -> (u64, u64) {
        (mask64(is_ctrl(a), is_ctrl(b)), mask64(a, b))
    }

    /// UTF-8 validation of a string's blocks, as it goes, by table lookups on nibbles (the
    /// method of Keiser and Lemire, "Validating UTF-8 In Less Than One Instruction Per Byte",
    /// 2021): every error shows in a byte's class, given that byte and the three before it.
    /// Done here rather than by a second pass (simdutf8), whose set-up costs more than the
    /// check itself on the short strings most events hold. Blocks of ASCII after ASCII are
    /// skipped.
    struct Utf8 {
        /// The previous block's second half, or zeros when it was all ASCII.
        prev: __m256i,
        /// Errors found so far, as nonzero bytes.
        err: __m256i,
    }

    // Error classes (one bit each; bit 6 serves two classes whose conditions never meet).
    const TOO_SHORT: u8 = 1 << 0;
    const TOO_LONG: u8 = 1 << 1;
    const OVERLONG_3: u8 = 1 << 2;
    const TOO_LARGE: u8 = 1 << 3;
    const SURROGATE: u8 = 1 << 4;
    const OVERLONG_2: u8 = 1 << 5;
    const TOO_LARGE_1000: u8 = 1 << 6;
    const OVERLONG_4: u8 = 1 << 6;
    const TWO_CONTS: u8 = 1 << 7;
    const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

    /// The classes a byte's high nibble allows for the byte after it.
    const LEAD_HI: [u8; 16] = {
        let mut t = [TOO_LONG; 16];
        t[8] = TWO_CONTS;
        t[9] = TWO_CONTS;
        t[10] = TWO_CONTS;
        t[11] = TWO_CONTS;
        t[12] = TOO_SHORT | OVERLONG_2;
        t[13] = TOO_SHORT;
        t[14] = TOO_SHORT | OVERLONG_3 | SURROGATE;
        t[15] = TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4;
        t
    };
    /// The same for the low nibble.
    const LEAD_LO: [u8; 16] = {
        let mut t = [CARRY | TOO_LARGE | TOO_LARGE_1000; 16];
        t[0] = CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4;
        t[1] = CARRY | OVERLONG_2;
        t[2] = CARRY;
        t[3] = CARRY;
        t[4] = CARRY | TOO_LARGE;
        t[13] = CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE;
        t
    };
    /// The classes a byte's high nibble makes an error of, after a given byte.
    const NEXT_HI: [u8; 16] = {
        let mut t = [TOO_SHORT; 16];
        let cont = TOO_LONG | OVERLONG_2 | TWO_CONTS;
        t[8] = cont | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4;
        t[9] = cont | OVERLONG_3 | TOO_LARGE;
        t[10] = cont | SURROGATE | TOO_LARGE;
        t[11] = cont | SURROGATE | TOO_LARGE;
        t
    };

    impl Utf8 {
        #[inline]
        #[target_feature(enable = "avx2")]
        fn new() -> Utf8 {
            Utf8 {
                prev: _mm256_setzero_si256(),
                err: _mm256_setzero_si256(),
            }
        }

        /// The errors of the 32 bytes `v` that follow `prev`, as nonzero bytes.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn errors(prev: __m256i, v: __m256i) -> __m256i {
            // `v` shifted right by 1, 2 and 3 bytes, with `prev`'s last bytes coming in.
            let joined = _mm256_permute2x128_si256(prev, v, 0x21);
            let prev1 = _mm256_alignr_epi8(v, joined, 15);
            let prev2 = _mm256_alignr_epi8(v, joined, 14);
            let prev3 = _mm256_alignr_epi8(v, joined, 13);
            let nib = _mm256_set1_epi8(0x0f);
            let hi = |x: __m256i| _mm256_and_si256(_mm256_srli_epi16(x, 4), nib);
            let look = |t: &[u8; 16], i: __m256i| _mm256_shuffle_epi8(table(t), i);
            let classes = _mm256_and_si256(
                _mm256_and_si256(
                    look(&LEAD_HI, hi(prev1)),
                    look(&LEAD_LO, _mm256_and_si256(prev1, nib)),
                ),
                look(&NEXT_HI, hi(v)),
            );
            // A third byte after 0xE0 and above, a fourth after 0xF0 and above, must be a
            // continuation: the top bit, which the classes set for two continuations in a row.
            let third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((0xE0u8 - 0x80) as i8));
            let fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((0xF0u8 - 0x80) as i8));
            let must = _mm256_and_si256(
                _mm256_or_si256(third, fourth),
                _mm256_set1_epi8(0x80u8 as i8),
            );
            _mm256_xor_si256(must, classes)
        }

        /// Takes a block that the string goes on past.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn block(&mut self, a: __m256i, b: __m256i) {
            if _mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(a, b), self.prev)) == 0 {
                return;
            }
            let e = _mm256_or_si256(Utf8::errors(self.prev, a), Utf8::errors(a, b));
            self.err = _mm256_or_si256(self.err, e);
            self.prev = b;
        }

        /// Whether the string is valid UTF-8, given the block `a`, `b` (whose non-ASCII bytes
        /// are `high`) where it ends at byte `k` (a quote: ASCII, so a sequence it cuts short
        /// shows as an error at `k`). Bytes past `k` do not count.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn valid_through(&self, a: __m256i, b: __m256i, high: u64, k: u32) -> bool {
            if _mm256_testz_si256(self.err, self.err) == 0 {
                return false;
            }
            let upto = u64::MAX >> (63 - k);
            if high & upto == 0 && _mm256_movemask_epi8(self.prev) == 0 {
                return true;
            }
            let zero = _mm256_setzero_si256();
            let ea = _mm256_cmpeq_epi8(Utf8::errors(self.prev, a), zero);
            let eb = _mm256_cmpeq_epi8(Utf8::errors(a, b), zero);
            !mask64(ea, eb) & upto == 0
        }
    }

    /// Classifies the block `a`, `b` (leaving its `ctrl` and `high` empty: those go to
    /// `seen`).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn classify(a: __m256i, b: __m256i, lo_t: __m256i, hi_t: __m256i, seen: &mut Seen) -> Block {
        classify_with(a, b, quote_bslash(a, b), lo_t, hi_t, seen)
    }

    /// [`classify`], given the block's quotes and backslashes as masks.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn classify_with(
        a: __m256i,
        b: __m256i,
        (quote, bslash): (u64, u64),
        lo_t: __m256i,
        hi_t: __m256i,
        seen: &mut Seen,
    ) -> Block {
        let nib = _mm256_set1_epi8(0x0f);
        let class = |v: __m256i| {
            let lo = _mm256_and_si256(v, nib);
            let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
            _mm256_and_si256(_mm256_shuffle_epi8(lo_t, lo), _mm256_shuffle_epi8(hi_t, hi))
        };
        let (ca, cb) = (class(a), class(b));
        // The 64-bit mask of the bytes whose top bit `$f` sets, given each half's bytes and
        // classes.
        macro_rules! mask {
            (|$v:ident, $c:ident| $f:expr) => {{
                let lo = {
                    let ($v, $c) = (a, ca);
                    _mm256_movemask_epi8($f) as u32 as u64
                };
                let hi = {
                    let ($v, $c) = (b, cb);
                    _mm256_movemask_epi8($f) as u32 as u64
                };
                lo | hi << 32
            }};
        }
        seen.see(a, b);
        let zero = _mm256_setzero_si256();
        let (esc, hex) = (_mm256_set1_epi8(ESC), _mm256_set1_epi8(HEX));
        let (lower, d) = (_mm256_set1_epi8(0x20), _mm256_set1_epi8(b'd' as i8));
        Block {
            quote,
            bslash,
            ctrl: 0,
            high: 0,
            not_esc: mask!(|_v, c| _mm256_cmpeq_epi8(_mm256_and_si256(c, esc), zero)),
            not_hex: mask!(|_v, c| _mm256_cmpeq_epi8(_mm256_and_si256(c, hex), zero)),
            u: mask!(|_v, c| c),
            d: mask!(|v, _c| _mm256_cmpeq_epi8(_mm256_or_si256(v, lower), d)),
        }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn check(content: &[u8]) -> Option<Found> {
        let (lo_t, hi_t) = (table(&LO), table(&HI));
        let n = content.len();
        let mut st = Checker::default();
        let mut seen = Seen::new();
        let mut i = 0;
        while i + 64 <= n {
            // SAFETY: i + 64 <= n, so the block is inside `content`.
            let (a, b) = unsafe { load(content.as_ptr().add(i)) };
            let b = classify(a, b, lo_t, hi_t, &mut seen);
            if !st.block(&b) {
                return None;
            }
            i += 64;
        }
        let len = n - i;
        if len > 0 {
            let b = if n >= 64 {
                // The last 64 bytes, overlapping the block before: shift out what it checked.
                // SAFETY: n >= 64, so content[n - 64..n] is inside `content`.
                let (a, b) = unsafe { load(content.as_ptr().add(n - 64)) };
                classify(a, b, lo_t, hi_t, &mut seen).tail(64 - len as u32, len)
            } else {
                // Padded with spaces: no class that matters, neither control nor non-ASCII.
                let mut pad = [b' '; 64];
                pad[..len].copy_from_slice(content);
                // SAFETY: `pad` is 64 bytes.
                let (a, b) = unsafe { load(pad.as_ptr()) };
                classify(a, b, lo_t, hi_t, &mut seen).tail(0, len)
            };
            if !st.block(&b) {
                return None;
            }
        }
        let (ctrl, high) = seen.any();
        st.ctrl |= ctrl as u64;
        st.high |= high as u64;
        st.finish()
    }

    /// The string ends at byte `k` of the block `a`, `b` that starts at `buf[i]`: what was
    /// seen in the blocks before (`seen`, `surrogate`, `utf8`) and in this one up to `k`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn ended(
        i: usize,
        k: u32,
        (a, b): (__m256i, __m256i),
        seen: Seen,
        surrogate: bool,
        utf8: &Utf8,
        saved: Option<u64>,
    ) -> End {
        let before = (1u64 << k) - 1;
        let (ctrl, high) = ctrl_high_of(a, b);
        let (ctrl_seen, high_seen) = seen.any();
        End::At {
            quote: i + k as usize,
            found: Found {
                ctrl: ctrl_seen || ctrl & before != 0,
                high: high_seen || high & before != 0,
                surrogate,
            },
            utf8: utf8.valid_through(a, b, high, k),
            saved,
        }
    }

    /// The `\\u` escapes among `u` (escaped `u`s of the block `a`, `b` at `buf[i]`) that stand
    /// for ASCII, `\\u0000` to `\\u007f`, as a mask: their digits read `00` then `0` to `7`.
    /// Digits past the block are read from `buf` (a `u` in the last three bytes); digits past
    /// `buf` count as not ASCII.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn ascii_escapes(buf: &[u8], i: usize, (a, b): (__m256i, __m256i), u: u64) -> u64 {
        let digit_0 = _mm256_set1_epi8(b'0' as i8);
        let eq = |keep: i8| {
            let keep = _mm256_set1_epi8(keep);
            let is = |v: __m256i| _mm256_cmpeq_epi8(_mm256_and_si256(v, keep), digit_0);
            mask64(is(a), is(b))
        };
        // `0` to `7` are the bytes that are `0` once their low three bits are cleared.
        let (zero, octal) = (eq(-1), eq(!7));
        let mut ascii = u & (zero >> 1) & (zero >> 2) & (octal >> 3);
        let mut edge = u & (0b111 << 61);
        while edge != 0 {
            let k = edge.trailing_zeros();
            edge &= edge - 1;
            let at = i + k as usize;
            if let Some([b'0', b'0', b'0'..=b'7']) = buf.get(at + 1..at + 4) {
                ascii |= 1 << k;
            }
        }
        ascii
    }

    /// See [`super::string_end`]. `from <= end <= buf.len()`.
    #[target_feature(enable = "avx2")]
    pub(super) fn string_end(buf: &[u8], from: usize, end: usize, count: bool) -> End {
        let (lo_t, hi_t) = (table(&LO), table(&HI));
        let mut st = Checker::default();
        // Bytes the escapes save so far; None once one stands for more than ASCII (or when
        // not counting).
        let mut saved = if count { Some(0u64) } else { None };
        let mut seen = Seen::new();
        let mut utf8 = Utf8::new();
        let mut i = from;
        let mut pad = [b' '; 64];
        loop {
            let avail = end - i;
            let p = if i + 64 <= buf.len() {
                // SAFETY: i + 64 <= buf.len(): the block is inside `buf`.
                unsafe { buf.as_ptr().add(i) }
            } else {
                // Near the end of `buf`: the rest, padded with spaces (no class that matters).
                let n = avail.min(64);
                pad[..n].copy_from_slice(&buf[i..i + n]);
                pad[n..].fill(b' ');
                pad.as_ptr()
            };
            // SAFETY: `p` points at 64 readable bytes (in `buf` or `pad`).
            let (a, b) = unsafe { load(p) };
            let valid = if avail >= 64 { !0 } else { (1u64 << avail) - 1 };
            // A block without a backslash, with nothing owed from the block before, has no
            // escape to check: its first quote ends the string. About half the blocks of
            // typing-heavy output and a quarter of the corpus's are such blocks, and they
            // skip the classification.
            let (quote, bslash) = quote_bslash(a, b);
            if st.carry_escaped | st.carry_hex | st.carry_u == 0 && bslash == 0 {
                let ends = quote & valid;
                if ends != 0 {
                    let k = ends.trailing_zeros();
                    return ended(i, k, (a, b), seen, st.surrogate != 0, &utf8, saved);
                }
                if avail <= 64 {
                    return End::No;
                }
                seen.see(a, b);
                utf8.block(a, b);
                i += 64;
                continue;
            }
            // This block's control and non-ASCII bytes count only if the string goes on past
            // it; the last block's are taken as masks instead.
            let mut here = Seen::new();
            let blk = classify_with(a, b, (quote, bslash), lo_t, hi_t, &mut here);
            let escaped = st.escaped(blk.bslash);
            let ends = blk.quote & !escaped & valid;
            if ends != 0 {
                let k = ends.trailing_zeros();
                let before = (1u64 << k) - 1;
                let esc = escaped & before;
                let u = esc & blk.u;
                // Hex digits owed by a `\u` running into the quote make it invalid.
                let need_hex =
                    ((u << 1) | (u << 2) | (u << 3) | (u << 4) | st.carry_hex) & (before | 1 << k);
                if (esc & blk.not_esc) | (need_hex & blk.not_hex) != 0 {
                    return End::No;
                }
                let surrogate = st.surrogate | (((u << 1) | st.carry_u) & blk.d & before);
                if let Some(n) = saved {
                    // The digits of a `\\u` before the quote are before it too (checked above).
                    saved = (ascii_escapes(buf, i, (a, b), u) == u)
                        .then(|| n + u64::from(esc.count_ones()) + 4 * u64::from(u.count_ones()));
                }
                return ended(i, k, (a, b), seen, surrogate != 0, &utf8, saved);
            }
            if avail <= 64 || !st.block_escaped(&blk, escaped) {
                return End::No;
            }
            if let Some(n) = saved {
                let u = escaped & blk.u;
                saved = (ascii_escapes(buf, i, (a, b), u) == u)
                    .then(|| n + u64::from(escaped.count_ones()) + 4 * u64::from(u.count_ones()));
            }
            seen.ctrl = _mm256_or_si256(seen.ctrl, here.ctrl);
            seen.high = _mm256_or_si256(seen.high, here.high);
            utf8.block(a, b);
            i += 64;
        }
    }

    /// See [`super::short_line`]: the line at `p`, of which `avail` bytes count.
    ///
    /// A line that ends in the first half of the block (a typed key's does) is looked at in
    /// that half alone: half the compares, and the second half is not loaded.
    ///
    /// # Safety
    /// `p..p + 64` must be readable.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn short_line(p: *const u8, avail: usize) -> Option<Short> {
        // SAFETY: the caller promises 64 readable bytes at `p`.
        let a = unsafe { _mm256_loadu_si256(p as *const __m256i) };
        let set = |x: u8| _mm256_set1_epi8(x as i8);
        let bad = |v: __m256i| _mm256_or_si256(is_ctrl(v), _mm256_cmpeq_epi8(v, set(b'\\')));
        let digit = |v: __m256i| {
            _mm256_and_si256(
                _mm256_cmpgt_epi8(v, set(b'0' - 1)),
                _mm256_cmpgt_epi8(set(b'9' + 1), v),
            )
        };
        let half = |v: __m256i| _mm256_movemask_epi8(v) as u32 as u64;
        let valid = if avail >= 64 { !0 } else { (1u64 << avail) - 1 };
        let nl_a = half(_mm256_cmpeq_epi8(a, set(b'\n'))) & valid;
        if nl_a != 0 {
            let k = nl_a.trailing_zeros();
            let before = (1u64 << k) - 1;
            if half(bad(a)) & before != 0 {
                return None;
            }
            if half(a) & before != 0 {
                // The line starts a block of its own, so nothing runs into it from before.
                let zero = _mm256_setzero_si256();
                let ok = _mm256_cmpeq_epi8(Utf8::errors(zero, a), zero);
                // A sequence cut short by the newline shows as an error at the newline.
                if !half(ok) & (before | 1 << k) != 0 {
                    return None;
                }
            }
            return Some(Short {
                k: k as usize,
                quotes: half(_mm256_cmpeq_epi8(a, set(b'"'))) & before,
                digits: half(digit(a)) & before,
            });
        }
        // SAFETY: as above.
        let b = unsafe { _mm256_loadu_si256(p.add(32) as *const __m256i) };
        let is = |x: u8| mask64(_mm256_cmpeq_epi8(a, set(x)), _mm256_cmpeq_epi8(b, set(x)));
        let nl = is(b'\n') & valid;
        if nl == 0 {
            return None;
        }
        let k = nl.trailing_zeros();
        let before = (1u64 << k) - 1;
        // Backslashes and control bytes (the newline among them) in one mask.
        if mask64(bad(a), bad(b)) & before != 0 {
            return None;
        }
        if mask64(a, b) & before != 0 {
            let zero = _mm256_setzero_si256();
            let ea = _mm256_cmpeq_epi8(Utf8::errors(zero, a), zero);
            let eb = _mm256_cmpeq_epi8(Utf8::errors(a, b), zero);
            if !mask64(ea, eb) & (before | 1 << k) != 0 {
                return None;
            }
        }
        Some(Short {
            k: k as usize,
            quotes: is(b'"') & before,
            digits: mask64(digit(a), digit(b)) & before,
        })
    }

    /// See [`super::decoded_len`]. `content` is at least 64 bytes long.
    #[target_feature(enable = "avx2")]
    pub(super) fn decoded_len(content: &[u8]) -> Option<u64> {
        let n = content.len();
        let mut st = Checker::default();
        let (bslash, letter_u) = (_mm256_set1_epi8(b'\\' as i8), _mm256_set1_epi8(b'u' as i8));
        // `0` to `7` are the bytes that are `0` once their low three bits are cleared.
        let (digit_0, octal_top) = (_mm256_set1_epi8(b'0' as i8), _mm256_set1_epi8(!7));
        let mut saved = 0u64;
        let mut i = 0;
        loop {
            // The last block overlaps the one before; the bytes it already took are shifted
            // out of the masks.
            let (at, shift) = if i + 64 <= n {
                (i, 0)
            } else {
                (n - 64, 64 - (n - i) as u32)
            };
            // SAFETY: at + 64 <= n: the block is inside `content`.
            let (a, b) = unsafe { load(content.as_ptr().add(at)) };
            // The bytes equal to `x` once ANDed with `keep`, shifted as said above.
            let mask = |keep: __m256i, x: __m256i| {
                let eq = |v: __m256i| _mm256_cmpeq_epi8(_mm256_and_si256(v, keep), x);
                mask64(eq(a), eq(b)) >> shift
            };
            let all = _mm256_set1_epi8(-1);
            let escaped = st.escaped(mask(all, bslash));
            let u = escaped & mask(all, letter_u);
            saved += u64::from(escaped.count_ones()) + 4 * u64::from(u.count_ones());
            if u != 0 {
                // An ASCII escape reads `u00` then `0`-`7`: checked from masks, except for
                // escapes whose digits run into the next block (bits 61-63), checked here.
                let zero = mask(all, digit_0);
                let octal = mask(octal_top, digit_0);
                let ascii = (zero >> 1) & (zero >> 2) & (octal >> 3);
                let edge = u & (0b111 << 61);
                if u & !edge & !ascii != 0 {
                    return None;
                }
                let mut edge = edge;
                while edge != 0 {
                    let k = i + edge.trailing_zeros() as usize;
                    edge &= edge - 1;
                    match content.get(k + 1..k + 4) {
                        Some([b'0', b'0', b'0'..=b'7']) => {}
                        _ => return None,
                    }
                }
            }
            i += 64;
            if i >= n {
                return Some((n as u64).saturating_sub(saved));
            }
        }
    }

    /// The block's masks, and whether it has control and non-ASCII bytes.
    #[cfg(test)]
    pub(super) fn classify_for_test(block: &[u8; 64]) -> Option<(Block, bool, bool)> {
        if !std::is_x86_feature_detected!("avx2") {
            return None;
        }
        // SAFETY: AVX2 is present (checked above) and `block` is 64 bytes.
        unsafe {
            let mut seen = Seen::new();
            let (a, b) = load(block.as_ptr());
            let b = classify(a, b, table(&LO), table(&HI), &mut seen);
            let (ctrl, high) = seen.any();
            Some((b, ctrl, high))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Rng;

    /// The definition the classifier must meet, byte by byte.
    fn classify_slow(block: &[u8; 64]) -> Block {
        let mut b = Block::default();
        for (k, &c) in block.iter().enumerate() {
            let bit = 1u64 << k;
            let set = |m: &mut u64, yes: bool| {
                if yes {
                    *m |= bit
                }
            };
            set(&mut b.quote, c == b'"');
            set(&mut b.bslash, c == b'\\');
            set(&mut b.ctrl, c < 0x20);
            set(&mut b.high, c >= 0x80);
            set(&mut b.not_esc, !b"\"\\/bfnrtu".contains(&c));
            set(&mut b.not_hex, !c.is_ascii_hexdigit());
            set(&mut b.u, c == b'u');
            set(&mut b.d, c | 0x20 == b'd');
        }
        b
    }

    /// The same check, one byte at a time, as the JSON grammar reads.
    fn check_slow(s: &[u8]) -> Option<Found> {
        let mut i = 0;
        let mut surrogate = false;
        while i < s.len() {
            match s[i] {
                b'"' => return None,
                b'\\' => match s.get(i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        if !s.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        surrogate |= s[i + 2] | 0x20 == b'd';
                        i += 6;
                    }
                    _ => return None,
                },
                _ => i += 1,
            }
        }
        Some(Found {
            ctrl: s.iter().any(|&c| c < 0x20),
            high: s.iter().any(|&c| c >= 0x80),
            surrogate,
        })
    }

    /// The mask algorithm over the slow classifier, to test it on any machine.
    fn check_masks(s: &[u8]) -> Option<Found> {
        let mut st = Checker::default();
        for chunk in s.chunks(64) {
            let mut pad = [0u8; 64];
            pad[..chunk.len()].copy_from_slice(chunk);
            let mut b = classify_slow(&pad);
            if chunk.len() < 64 {
                b = b.tail(0, chunk.len());
            }
            if !st.block(&b) {
                return None;
            }
        }
        st.finish()
    }

    /// Strings built from pieces that stress the escape logic, of lengths around the block
    /// size so that every piece lands on every block boundary.
    fn adversarial(rng: &mut Rng) -> Vec<u8> {
        const PIECES: &[&[u8]] = &[
            b"\\",
            b"\\\\",
            b"\\\"",
            b"\"",
            b"\\u001b",
            b"\\u00e9",
            b"\\uD83D\\uDE00",
            b"\\ud800",
            b"\\uDfff",
            b"\\u0d00",
            b"\\\\ud800",
            b"d",
            b"\\u00g0",
            b"\\u12",
            b"\\x",
            b"\\n",
            b"\\/",
            b"u0041",
            b"\x1b",
            b"\x00",
            b"\x7f",
            "é".as_bytes(),
            "中".as_bytes(),
            b"\xe4\xb8",
            b"\xff",
            "😀".as_bytes(),
            b"\xf0\x9f\x98",
            b"\xc0\xaf",
            b"\xe0\x80\x80",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\x80",
            b"a",
            b"plain text ",
            b"[0m",
        ];
        let target = rng.below(200);
        let mut s = Vec::new();
        while s.len() < target {
            let p = PIECES[rng.below(PIECES.len())];
            // Mostly valid pieces, so that whole strings are often valid.
            if matches!(p, b"\"" | b"\\" | b"\\x" | b"\\u12" | b"\\u00g0") && rng.below(8) != 0 {
                continue;
            }
            s.extend_from_slice(p);
        }
        s
    }

    #[test]
    fn classifier_matches_its_definition_for_every_byte() {
        for base in [0u8, 64, 128, 192] {
            let mut block = [0u8; 64];
            for (k, b) in block.iter_mut().enumerate() {
                *b = base + k as u8;
            }
            let slow = classify_slow(&block);
            #[cfg(target_arch = "x86_64")]
            if let Some((fast, ctrl, high)) = avx2::classify_for_test(&block) {
                let masks_only = Block {
                    ctrl: 0,
                    high: 0,
                    ..slow
                };
                assert_eq!(fast, masks_only, "bytes {base:#x}..");
                assert_eq!((ctrl, high), (slow.ctrl != 0, slow.high != 0));
            }
            let _ = slow;
        }
    }

    #[test]
    fn escapes_follow_backslash_runs_across_blocks() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            // Backslash runs of every length against quotes and letters, 1 to 4 blocks.
            let n = 1 + rng.below(256);
            let s: Vec<u8> = (0..n)
                .map(|_| match rng.below(8) {
                    0..=4 => b'\\',
                    5 => b'"',
                    6 => b'n',
                    _ => b'x',
                })
                .collect();
            assert_eq!(
                check_masks(&s),
                check_slow(&s),
                "{:?}",
                String::from_utf8_lossy(&s)
            );
            if let Some(fast) = check_any_len(&s) {
                assert_eq!(fast, check_slow(&s), "{:?}", String::from_utf8_lossy(&s));
            }
        }
    }

    #[test]
    fn fast_check_matches_the_grammar() {
        let mut rng = Rng(12345);
        let mut valid = 0;
        for _ in 0..50_000 {
            let s = adversarial(&mut rng);
            let want = check_slow(&s);
            valid += want.is_some() as u32;
            assert_eq!(check_masks(&s), want, "{:?}", String::from_utf8_lossy(&s));
            if let Some(fast) = check_any_len(&s) {
                assert_eq!(fast, want, "{:?}", String::from_utf8_lossy(&s));
            }
        }
        // Both outcomes are well represented.
        assert!((5_000..45_000).contains(&valid), "{valid}");
    }

    /// Where the string whose content starts at `s[0]` ends, one byte at a time: the first
    /// quote not escaped, and the check of what stands before it.
    fn string_end_slow(s: &[u8]) -> Option<End> {
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'"' => {
                    return check_slow(&s[..i]).map(|found| End::At {
                        quote: i,
                        found,
                        utf8: std::str::from_utf8(&s[..i]).is_ok(),
                        saved: None,
                    });
                }
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        None
    }

    /// The bytes the escapes of valid content save in decoding, one escape at a time; None
    /// when a `\\u` escape stands for more than ASCII.
    fn saved_slow(s: &[u8]) -> Option<u64> {
        let (mut saved, mut i) = (0, 0);
        while i < s.len() {
            if s[i] != b'\\' {
                i += 1;
            } else if s[i + 1] == b'u' {
                let hex = std::str::from_utf8(&s[i + 2..i + 6]).unwrap();
                if u32::from_str_radix(hex, 16).unwrap() >= 0x80 {
                    return None;
                }
                (saved, i) = (saved + 5, i + 6);
            } else {
                (saved, i) = (saved + 1, i + 2);
            }
        }
        Some(saved)
    }

    #[test]
    fn string_end_finds_the_first_unescaped_quote() {
        if string_end(b"", 0, 0, false).is_none() {
            return; // no fast path on this machine: the reader does not call it
        }
        let mut rng = Rng(0xC0FF_EE00_D15E_A5E5);
        let (mut ended, mut bad_utf8) = (0, 0);
        let (mut counted_some, mut counted_none) = (0, 0);
        for _ in 0..50_000 {
            // Bytes before `from`, the string, its end, then bytes past `end` that must not
            // count (quotes among them).
            let mut buf = vec![b'x'; rng.below(70)];
            let from = buf.len();
            buf.extend_from_slice(&adversarial(&mut rng));
            if rng.below(4) != 0 {
                buf.extend_from_slice(b"\"]\n[1.5, \"o\", \"");
            }
            let end = from + rng.below(buf.len() - from + 1);
            buf.extend(std::iter::repeat_n(b'"', rng.below(80)));
            let want = string_end_slow(&buf[from..end]).map(|e| match e {
                End::At {
                    quote, found, utf8, ..
                } => End::At {
                    quote: from + quote,
                    found,
                    utf8,
                    saved: None,
                },
                End::No => End::No,
            });
            let got = string_end(&buf, from, end, false).expect("fast path");
            // Counting changes nothing else, and counts what decoding one escape at a time
            // does.
            let counted = string_end(&buf, from, end, true).expect("fast path");
            match counted {
                End::At {
                    quote,
                    found,
                    utf8,
                    saved,
                } => {
                    assert_eq!(
                        saved,
                        saved_slow(&buf[from..quote]),
                        "{:?}",
                        String::from_utf8_lossy(&buf[from..quote])
                    );
                    counted_some += saved.is_some_and(|n| n > 0) as u32;
                    counted_none += saved.is_none() as u32;
                    let uncounted = End::At {
                        quote,
                        found,
                        utf8,
                        saved: None,
                    };
                    assert_eq!(uncounted, got);
                }
                End::No => assert_eq!(got, End::No),
            }
            assert_eq!(
                got,
                want.unwrap_or(End::No),
                "{:?} from {from} end {end}",
                String::from_utf8_lossy(&buf)
            );
            ended += matches!(got, End::At { .. }) as u32;
            bad_utf8 += matches!(got, End::At { utf8: false, .. }) as u32;
        }
        assert!((5_000..45_000).contains(&ended), "{ended}");
        // Counted strings with escapes, and strings with a wide `\\u`, are both common.
        assert!(
            counted_some > 1_000 && counted_none > 1_000,
            "{counted_some} {counted_none}"
        );
        // Strings that end with their UTF-8 broken, and not, are both common.
        assert!(
            (1_000..ended - 1_000).contains(&bad_utf8),
            "{bad_utf8} of {ended}"
        );
    }

    #[test]
    fn utf8_check_agrees_with_std_on_short_sequences() {
        if string_end(b"", 0, 0, false).is_none() {
            return; // no fast path on this machine: the reader calls simdutf8 instead
        }
        // Every pair of bytes, and the leads of three- and four-byte sequences against the
        // edges of the continuation range, at offsets that put them across a block boundary.
        let mut seqs: Vec<Vec<u8>> = Vec::new();
        for x in 0..=255u8 {
            for y in 0..=255u8 {
                seqs.push(vec![x, y]);
            }
        }
        let edges = [0x41u8, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff];
        for lead in 0xe0..=0xf5u8 {
            for &y in &edges {
                for &z in &edges {
                    seqs.push(vec![lead, y, z]);
                    for &w in &edges {
                        seqs.push(vec![lead, y, z, w]);
                    }
                }
            }
        }
        let mut bad = 0;
        for seq in &seqs {
            if seq.contains(&b'"') || seq.contains(&b'\\') || seq.iter().any(|&c| c < 0x20) {
                continue;
            }
            for off in [0usize, 29, 61, 62, 63, 64] {
                let mut line = vec![b'a'; off];
                line.extend_from_slice(seq);
                line.extend_from_slice(b"\"]\n");
                let want = std::str::from_utf8(&line[..off + seq.len()]).is_ok();
                match string_end(&line, 0, line.len(), false) {
                    Some(End::At { quote, utf8, .. }) => {
                        assert_eq!((quote, utf8), (off + seq.len(), want), "{seq:x?} at {off}")
                    }
                    other => panic!("{seq:x?} at {off}: {other:?}"),
                }
                bad += !want as u32;
            }
        }
        assert!(bad > 100_000, "{bad}");
    }

    #[test]
    fn decoded_length_from_masks_is_the_decoded_texts() {
        if decoded_len(&[b'a'; 64]).is_none() {
            return; // no fast path on this machine: cast-info counts escape by escape
        }
        // Valid string contents with every kind of escape on every block boundary; those
        // with a `\u` escape beyond ASCII must be refused, all others counted exactly.
        const PIECES: &[&[u8]] = &[
            b"\\\\",
            b"\\\"",
            b"\\/",
            b"\\n",
            b"\\r\\n",
            b"\\t",
            b"\\b\\f",
            b"\\u001b[0m",
            b"\\u0000",
            b"\\u007F",
            b"\\\\u0041",
            b"\\\\\\u0041",
            b"u0041",
            "é中😀".as_bytes(),
            b"a",
            b"plain text ",
        ];
        const WIDE: &[&[u8]] = &[
            b"\\u0080",
            b"\\u00e9",
            b"\\u4E2D",
            b"\\uD83D\\uDE00",
            b"\\ud800",
        ];
        let mut rng = Rng(0x5EED_0FDE_C0DE_D000);
        let (mut counted, mut refused) = (0, 0);
        let mut scratch = String::new();
        for _ in 0..30_000 {
            let mut content = Vec::new();
            let len = 64 + rng.below(200);
            while content.len() < len {
                let piece = if rng.below(80) == 0 {
                    WIDE[rng.below(WIDE.len())]
                } else {
                    PIECES[rng.below(PIECES.len())]
                };
                content.extend_from_slice(piece);
            }
            let mut token = vec![b'"'];
            token.extend_from_slice(&content);
            token.push(b'"');
            let want = crate::event::decode_json_str(&token, &mut scratch).len() as u64;
            // A `\u` escape (after an even run of backslashes) whose character is not ASCII.
            let text = String::from_utf8(content.clone()).expect("UTF-8");
            let wide = text.split("\\\\").any(|part| {
                part.match_indices("\\u").any(|(k, _)| {
                    let hex = &part[k + 2..k + 6];
                    u32::from_str_radix(hex, 16).expect("hex") >= 0x80
                })
            });
            match decoded_len(&content) {
                Some(n) => {
                    assert!(!wide, "counted a wide escape: {text:?}");
                    assert_eq!(n, want, "{text:?}");
                    counted += 1;
                }
                None => {
                    assert!(wide, "refused {text:?}");
                    refused += 1;
                }
            }
        }
        assert!(counted > 1_000 && refused > 1_000, "{counted} {refused}");
    }

    #[test]
    fn edges_at_block_boundaries() {
        for pos in 0..=130usize {
            for tail in [
                &b"\\"[..],
                b"\\\\",
                b"\\\"",
                b"\"",
                b"\\u",
                b"\\u0",
                b"\\u00",
                b"\\u001",
                b"\\u001b",
                b"\\u001g",
                b"\\u007f",
                b"\\u0080",
                b"\\u00e9",
                b"\\u0108",
                b"\\u1001",
                b"\\ud800",
                b"\\uDC0",
                b"\\\\uD800",
                b"\\uzzzz",
                b"\x1b",
                b"\\q",
                "é".as_bytes(),
                "中".as_bytes(),
                "😀".as_bytes(),
                b"\xe4\xb8",
                b"\xf0\x9f\x98",
                b"\xed\xa0\x80",
                b"\x80",
            ] {
                for after in [&b""[..], b"x", b"xxxxxxxx"] {
                    let mut s = vec![b'a'; pos];
                    s.extend_from_slice(tail);
                    s.extend_from_slice(after);
                    let want = check_slow(&s);
                    assert_eq!(check_masks(&s), want, "{pos} {tail:?} {after:?}");
                    if let Some(fast) = check_any_len(&s) {
                        assert_eq!(fast, want, "{pos} {tail:?} {after:?}");
                    }
                    let line = [&s[..], b"\"]\n"].concat();
                    if let Some(got) = string_end(&line, 0, line.len(), false) {
                        let want = string_end_slow(&line).unwrap_or(End::No);
                        assert_eq!(got, want, "{pos} {tail:?} {after:?}");
                        if let Some(End::At { quote, saved, .. }) =
                            string_end(&line, 0, line.len(), true)
                        {
                            let want = saved_slow(&line[..quote]);
                            assert_eq!(saved, want, "{pos} {tail:?} {after:?}");
                        }
                    }
                }
            }
        }
    }

    /// What `short_line` promises, from its definition: the first newline within the block
    /// and before `end`, and before it no backslash, no control byte, and valid UTF-8.
    fn short_line_slow(buf: &[u8], pos: usize, end: usize) -> Option<Short> {
        let block = &buf[pos..(pos + 64).min(end)];
        let k = block.iter().position(|&c| c == b'\n')?;
        let line = &block[..k];
        if line.iter().any(|&c| c < 0x20 || c == b'\\') || std::str::from_utf8(line).is_err() {
            return None;
        }
        let mask = |f: fn(u8) -> bool| {
            line.iter()
                .enumerate()
                .filter(|(_, c)| f(**c))
                .fold(0, |m, (i, _)| m | 1 << i)
        };
        Some(Short {
            k,
            quotes: mask(|c| c == b'"'),
            digits: mask(|c| c.is_ascii_digit()),
        })
    }

    #[test]
    fn short_lines_are_found_as_defined() {
        if !std::is_x86_feature_detected!("avx2") {
            return;
        }
        const PIECES: &[&[u8]] = &[
            b"a",
            b"\"",
            b"\\",
            b"\n",
            b"\r",
            b"\t",
            b"\x00",
            b"\x1f",
            b" ",
            b"\x7f",
            b"\x80",
            b"\xc3\xa9",
            b"\xc3",
            b"\xe4\xb8\xad",
            b"\xe4\xb8",
            b"\xf0\x9f\x98\x80",
            b"\xf0\x9f",
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xff",
            b"[1.5, \"o\", \"",
            b"[12.345678, \"o\", \"",
            b"7",
            b"0",
            b"9",
            b"/",
            b":",
        ];
        const CLEAN: &[&[u8]] = &[
            b"a",
            b"\"",
            b" ",
            b"\xc3\xa9",
            b"\xe4\xb8\xad",
            b"[12.345678, \"o\", \"",
            b"7",
            b".",
        ];
        let mut rng = Rng(0x5eed_1234_5678_9abc);
        let (mut found, mut refused) = ((0, 0), 0);
        for _ in 0..40_000 {
            let mut buf = Vec::new();
            // Newlines often enough that many lines are shorter than a block, and in some
            // buffers (of pieces that refuse nothing) rarely enough that many end in its
            // second half.
            let (every, pieces) = if rng.below(3) == 0 {
                (40, CLEAN)
            } else {
                (12, PIECES)
            };
            while buf.len() < 140 {
                let piece = if rng.below(every) == 0 {
                    &b"\n"[..]
                } else {
                    pieces[rng.below(pieces.len())]
                };
                buf.extend_from_slice(piece);
            }
            let pos = rng.below(buf.len() - 64);
            let end = pos + 1 + rng.below(buf.len() - pos);
            let want = short_line_slow(&buf, pos, end);
            assert_eq!(short_line(&buf, pos, end), want, "{pos} {end} {buf:?}");
            match want {
                Some(s) if s.k < 32 => found.0 += 1,
                Some(_) => found.1 += 1,
                None => refused += 1,
            }
        }
        // Lines that end in either half of the block (the first is looked at alone).
        assert!(
            found.0 > 2_000 && found.1 > 500 && refused > 2_000,
            "{found:?} {refused}"
        );
        // Too near the end of the buffer for a whole block: left to the caller.
        assert_eq!(short_line(b"[1.5, \"o\", \"a\"]\n", 0, 19), None);
    }
}
