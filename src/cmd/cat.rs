//! cast-cat: join recordings into one, and convert between versions.
//!
//! The inputs are read one after another, each streamed in constant memory, into one output.
//! Each following recording starts where the one before it ended (its last event), plus
//! `--gap`: an input's own lead-in before its first event is kept. Where the terminal size
//! changes from one input to the next, an `r` event at the seam carries the new size, so a
//! player resizes its terminal as the original one was. An `x` (exit) event in the middle of a
//! recording tells players it is over, so the exits of all inputs but the last are dropped.
//!
//! With one input this is the version converter: the header is converted, the events pass
//! through with their data untouched and their times exact.

use std::ffi::OsString;
use std::io;
use std::path::PathBuf;

use clap::{CommandFactory, Parser};

use crate::cli::{
    self, EXIT_ERROR, EXIT_OK, EventFilter, FormatArg, Input, OutputArgs, Sink, Target, output,
};
use crate::error::{Error, ErrorKind, Result};
use crate::event::{Code, EventRecord, EventRef, parse_size};
use crate::header::Header;
use crate::time::{self, Micros};
use crate::write::Writer;

const EXAMPLES: &str = "\
Examples:
  cast-cat intro.cast demo.cast outro.cast > all.cast   one recording after another
  cast-cat --gap 1.5 a.cast b.cast -o both.cast           a pause of 1.5 seconds at the seam
  cast-cat --title 'Release demo' *.cast > demo.cast      a title for the whole
  rec-part2 | cast-cat part1.cast - > whole.cast          standard input among the inputs
  cast-cat --format v3 old.json > new.cast                convert a v1 or v2 recording to v3
  cast-cat --format v2 new.cast > old.cast                and v3 back to v2

Exit status:
  0  success
  2  an error; on standard output the readable inputs are still joined, -o FILE is not written";

/// Join asciicast recordings into one, or convert one between versions
///
/// The inputs are joined in order. Each one starts where the one before it ended (at its last
/// event), plus --gap. Where the terminal size changes between inputs, an `r` event at the seam
/// resizes the terminal. The header is the first input's (with --title, if given); the headers
/// of the others are not used. The `x` (exit) events of all inputs but the last are dropped,
/// because an exit in mid-stream tells players the recording is over.
///
/// With a single input, cast-cat converts: `--format v3` turns v1 and v2 recordings into v3,
/// `--format v2` the reverse; times stay exact and data bytes pass through untouched.
#[derive(Debug, Parser)]
#[command(name = "cast-cat", version, after_long_help = EXAMPLES)]
pub struct Args {
    /// Recordings to join, in order (v1, v2 or v3). With none, or `-`, standard input is read
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Pause between one recording's last event and the next one's start, as SECONDS, M:SS or
    /// H:MM:SS
    #[arg(long, value_name = "SECS", value_parser = time::parse_clock, default_value = "0")]
    pub gap: Micros,

    /// Title of the joined recording [default: the first input's]
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,

    #[command(flatten)]
    pub out: OutputArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

/// The output, opened once the first readable input has given the header.
struct Out {
    sink: Sink,
    w: Writer,
    name: PathBuf,
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let inputs = Input::list(&a.files);
    let target = match &a.out.output {
        Some(p) => Target::File(p.clone()),
        None => Target::Stdout,
    };
    let mut status = EXIT_OK;
    let mut out: Option<Out> = None;
    let mut cat = Cat::new(a.gap);
    for (k, input) in inputs.iter().enumerate() {
        let last = k + 1 == inputs.len();
        match join_one(&a, input, &target, inputs.len(), last, &mut cat, &mut out) {
            Ok(()) => {}
            Err(Fatal(e)) => return Err(e),
            Err(Reported) => status = EXIT_ERROR,
        }
        // What was joined so far goes out before the next input is waited for.
        if let Some(o) = &mut out {
            o.w.flush().map_err(|e| Error::from(e).in_file(&o.name))?;
        }
    }
    let Some(Out { sink, w, name }) = out else {
        return Ok(status);
    };
    w.finish().map_err(|e| Error::from(e).in_file(&name))?;
    // On standard output a compressed stream is ended even after errors: what was joined
    // was written, and should decode.
    if status == EXIT_OK || a.out.output.is_none() {
        sink.commit()?;
    } else if a.out.output.is_some() {
        cli::error(format!(
            "{}: not written because of the errors above",
            name.display()
        ));
    }
    Ok(status)
}

/// How joining one input failed.
enum Failure {
    /// The output failed, or a closed pipe: stop.
    Fatal(Error),
    /// The input was bad; its message is printed and the others go on.
    Reported,
}
use Failure::{Fatal, Reported};

fn join_one(
    a: &Args,
    input: &Input,
    target: &Target,
    n_inputs: usize,
    last: bool,
    cat: &mut Cat,
    out: &mut Option<Out>,
) -> Result<(), Failure> {
    let report = |e: Error| {
        if e.is_broken_pipe() {
            return Fatal(e);
        }
        cli::error(&e);
        Reported
    };
    if let (Target::Stdout, Input::File(p)) = (target, input) {
        output::check_not_stdout(p).map_err(report)?;
    }
    let mut rdr = input.open().map_err(report)?;
    rdr.set_strict(a.out.read.strict);
    if out.is_none() {
        let mut hdr = rdr.header().clone();
        if n_inputs > 1 {
            hdr.times_changed();
        }
        if let Some(t) = &a.title {
            hdr.set_title(Some(t));
        }
        let version = a.out.format.map_or(rdr.version(), FormatArg::version);
        let mut sink = Sink::create(target).map_err(Fatal)?;
        sink.set_compression(a.out.compress);
        let mut w = Writer::new(sink.writer().map_err(Fatal)?, version);
        w.set_line_buffered(
            matches!(target, Target::Stdout) && cli::line_buffered(a.out.line_buffered),
        );
        let name = sink.name();
        w.write_header(&hdr)
            .map_err(|e| Fatal(Error::from(e).in_file(&name)))?;
        *out = Some(Out { sink, w, name });
    }
    let o = out.as_mut().expect("opened above");
    let splice = cat
        .next_input(rdr.header(), last, &mut o.w)
        .map_err(|e| Fatal(Error::from(e).in_file(&o.name)))?;
    if let Err(e) = cli::pump(&mut rdr, splice, &mut o.w, &o.name) {
        let is_write = matches!(e.kind, ErrorKind::Io(_)) && e.path.as_deref() == Some(&o.name);
        if is_write || e.is_broken_pipe() {
            return Err(Fatal(e));
        }
        return Err(report(e));
    }
    cli::report_warnings(&mut rdr, a.out.read.quiet);
    Ok(())
}

/// Joins recordings: places each input after the one before and writes the seams.
///
/// Call [`next_input`](Cat::next_input) for each input in turn (the first one's header is the
/// output's), then feed the input's events through the [`Splice`] it returns.
pub struct Cat {
    gap: Micros,
    started: bool,
    splice: Splice,
}

impl Cat {
    pub fn new(gap: Micros) -> Cat {
        Cat {
            gap: gap.max(0),
            started: false,
            splice: Splice {
                offset: 0,
                end: 0,
                drop_exit: false,
                size: (0, 0),
                scratch: String::new(),
            },
        }
    }

    /// Starts the next input, whose header is `h`: the first input keeps its times; a later
    /// one starts at the previous one's end plus the gap, after an `r` event when the terminal
    /// size differs from the one in force. `last` keeps the input's exit events.
    pub fn next_input(
        &mut self,
        h: &Header,
        last: bool,
        out: &mut Writer,
    ) -> io::Result<&mut Splice> {
        let s = &mut self.splice;
        let size = h.size();
        if self.started {
            s.offset = s.end.saturating_add(self.gap);
            s.end = s.offset;
            if size != s.size {
                out.write_text(s.offset, Code::Resize, &format!("{}x{}", size.0, size.1))?;
            }
        }
        self.started = true;
        s.size = size;
        s.drop_exit = !last;
        Ok(s)
    }

    /// The time the output has reached: the latest event time so far.
    pub fn end(&self) -> Micros {
        self.splice.end
    }
}

/// One input's events on the joined timeline.
pub struct Splice {
    offset: Micros,
    end: Micros,
    drop_exit: bool,
    /// The terminal size in force: the header's, then each resize's.
    size: (u16, u16),
    scratch: String,
}

impl EventFilter for Splice {
    #[inline]
    fn event(&mut self, rec: &EventRecord, out: &mut Writer) -> Result<()> {
        let t = self.offset.saturating_add(rec.time());
        // A recording ends at its last event even when that is a dropped exit.
        self.end = self.end.max(t);
        match rec.code() {
            Code::Exit if self.drop_exit => return Ok(()),
            Code::Resize => {
                if let Some(size) = parse_size(rec.data_str(&mut self.scratch)) {
                    self.size = size;
                }
            }
            _ => {}
        }
        out.write_record(t, rec)?;
        Ok(())
    }

    #[inline]
    fn event_ref(&mut self, ev: &EventRef<'_>, out: &mut Writer) -> Result<bool> {
        if ev.code() == Code::Resize {
            return Ok(false);
        }
        let t = self.offset.saturating_add(ev.time());
        self.end = self.end.max(t);
        if !(ev.code() == Code::Exit && self.drop_exit) {
            out.write_event(t, ev.code_json(), ev.data_json())?;
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::Version;
    use crate::write::MemSink;

    #[test]
    fn seams_gap_resize_and_exits() {
        let sink = MemSink::default();
        let mut w = Writer::new(Box::new(sink.clone()), Version::V2);
        let mut cat = Cat::new(500_000);
        let h1 = Header::new(Version::V2, 80, 24);
        let s = cat.next_input(&h1, false, &mut w).unwrap();
        for r in [
            EventRecord::new(1_000_000, "o", "a"),
            EventRecord::new(2_000_000, "r", "100x30"),
            EventRecord::new(3_000_000, "x", "0"),
        ] {
            s.event(&r, &mut w).unwrap();
        }
        assert_eq!(cat.end(), 3_000_000);
        // The second input's header says 100x30, the size in force: no resize at the seam.
        let h2 = Header::new(Version::V3, 100, 30);
        let s = cat.next_input(&h2, false, &mut w).unwrap();
        s.event(&EventRecord::new(250_000, "o", "b"), &mut w)
            .unwrap();
        let h3 = Header::new(Version::V2, 80, 24);
        let s = cat.next_input(&h3, true, &mut w).unwrap();
        s.event(&EventRecord::new(0, "x", "1"), &mut w).unwrap();
        w.finish().unwrap();
        let out = String::from_utf8(sink.contents()).unwrap();
        assert_eq!(
            out,
            "[1.0, \"o\", \"a\"]\n[2.0, \"r\", \"100x30\"]\n[3.75, \"o\", \"b\"]\n\
             [4.25, \"r\", \"80x24\"]\n[4.25, \"x\", \"1\"]\n"
        );
    }
}
