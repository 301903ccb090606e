//! ttyrec: records of `sec, usec, len` (little-endian `u32`) followed by `len` bytes of output.
//!
//! ttyrec, ovh-ttyrec and termrec all write this form; it stores neither the terminal size nor
//! input. Times are the wall clock at each record, so the events' times are differences from
//! the first record, exact to the microsecond, and the header's `timestamp` is the first
//! record's second. A clock set back during a recording makes times go backwards; they are
//! kept in file order (v3 writes such a gap as 0).

use std::io::{self, Read};
use std::path::Path;

use super::{Emit, Failed};
use crate::error::Error;
use crate::rec::utf8::Utf8Decoder;
use crate::time::Micros;

/// A record longer than this is taken for damage (ttyrec writes what one read returned:
/// kilobytes).
const MAX_RECORD: u32 = 64 * 1024 * 1024;

/// True when `head` starts with a plausible ttyrec record header.
pub fn plausible(head: &[u8]) -> bool {
    match parse_header(head) {
        Some((_, usec, len)) => usec < 1_000_000 && len <= MAX_RECORD,
        None => false,
    }
}

fn parse_header(b: &[u8]) -> Option<(u32, u32, u32)> {
    let w = |i: usize| Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?));
    Some((w(0)?, w(4)?, w(8)?))
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn fill(src: &mut dyn Read, buf: &mut [u8], name: &Path) -> Result<usize, Failed> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::from(e).in_file(name).into()),
        }
    }
    Ok(n)
}

/// Converts the ttyrec stream `src` into events.
pub fn import(src: &mut dyn Read, name: &Path, out: &mut Emit) -> Result<(), Failed> {
    let mut dec = Utf8Decoder::new();
    let mut text = String::new();
    let mut data = Vec::new();
    let mut offset: u64 = 0;
    let mut first: Option<i64> = None;
    let mut t: Micros = 0;
    let mut records = 0u64;
    loop {
        let mut head = [0u8; 12];
        let n = fill(src, &mut head, name)?;
        if n == 0 {
            break;
        }
        if n < 12 {
            out.damaged(
                name,
                format!("byte {offset}: the last record's header was cut off; kept the {records} complete records"),
            )?;
            break;
        }
        let (sec, usec, len) = parse_header(&head).expect("12 bytes");
        if usec >= 1_000_000 || len > MAX_RECORD {
            if records == 0 {
                return Err(Error::msg(format!(
                    "byte {offset}: not a ttyrec record (microseconds {usec}, length {len})"
                ))
                .in_file(name)
                .into());
            }
            out.damaged(
                name,
                format!(
                    "byte {offset}: damaged record (microseconds {usec}, length {len}); kept the {records} records before it"
                ),
            )?;
            break;
        }
        data.resize(len as usize, 0);
        let got = fill(src, &mut data, name)?;
        if got < data.len() {
            out.damaged(
                name,
                format!(
                    "byte {offset}: the last record was cut off ({got} of its {len} bytes); kept the {records} complete records"
                ),
            )?;
            break;
        }
        let at = i64::from(sec) * 1_000_000 + i64::from(usec);
        let start = *first.get_or_insert_with(|| {
            out.set_header(name, Some(i64::from(sec)), None, &[], None);
            at
        });
        t = at - start;
        text.clear();
        dec.decode(&data, &mut text);
        out.output(t, &text).map_err(Failed::Output)?;
        records += 1;
        offset += 12 + u64::from(len);
    }
    text.clear();
    dec.finish(&mut text);
    out.output(t, &text).map_err(Failed::Output)?;
    if records == 0 {
        out.set_header(name, None, None, &[], None);
    }
    Ok(())
}
