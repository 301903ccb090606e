//! cast-to-gif: an animated GIF of a recording, or a still picture (GIF or PNG) of one moment.
//!
//! The recording is played once through the emulator and each frame is drawn, compressed and
//! written as soon as the next one says how long it lasts ([`crate::render`] has the timeline,
//! [`crate::render::gif`] the painter and encoder). Memory is a picture and one frame,
//! whatever the length of the recording; agg, the usual tool for this, keeps every frame and
//! needs hundreds of megabytes for a long recording.
//!
//! Measured with bench/render.sh on a 20-minute 120x40 recording from bench/gen.py (11,233
//! events; the figures are in its output and the README of bench): see the module docs of
//! [`crate::render::gif`] for why frames are rectangles with transparency and per-frame
//! colour tables.

use std::ffi::OsString;
use std::io::{BufWriter, Write};
use std::path::Path;

use clap::{CommandFactory, Parser};

use crate::cli::{self, Input, Sink, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::read::Reader;
use crate::render::font::Fonts;
use crate::render::gif::{GifOut, Painter, Still, write_png};
use crate::render::theme::Theme;
use crate::render::{self, RenderArgs, picture_size};

const EXAMPLES: &str = "\
Examples:
  cast-to-gif demo.cast -o demo.gif                   an animated GIF
  cast-to-gif --speed 2 --idle-time-limit 1 demo.cast > demo.gif
  cast-to-gif --at 0:12 demo.cast -o poster.png       the screen 12 s in, as a PNG
  cast-to-gif --at marker:deploy -o deploy.gif demo.cast
  cast-to-gif --theme dracula --font-size 16 demo.cast -o demo.gif
  cast-to-gif --from 1:00 --to 1:30 demo.cast -o part.gif

Exit status:
  0  success
  2  an error (a bad option, an unreadable or malformed recording, no font)";

/// Draw a recording as an animated GIF, or one moment of it as a GIF or PNG
///
/// The recording is played through a terminal emulator and every change of the screen
/// becomes a frame (at most --fps-cap a second). Pauses are capped at --idle-time-limit, and
/// the picture is as large as the largest size the terminal reached. Stderr (`e` events) is
/// shown merged with stdout. With --at, one still picture of the screen at that time; it is a
/// PNG with --png or when -o names a .png file.
#[derive(Debug, Parser)]
#[command(name = "cast-to-gif", version, after_long_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    pub render: RenderArgs,

    /// Write a PNG of one screen (the one at --at, else the last one) instead of a GIF
    #[arg(long)]
    pub png: bool,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let png = a.png
        || a.render
            .output
            .as_ref()
            .is_some_and(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")));
    let r = &a.render;
    let fonts = Fonts::load(&r.font_family, r.font_size, r.line_height).map_err(Error::msg)?;
    with_input(r, |rdr, name| {
        let s = render::scan(rdr, r).map_err(|e| e.in_file(name))?;
        let theme = Theme::choose(r.theme.as_deref(), rdr.header()).map_err(Error::msg)?;
        let mut rdr = rdr.reopen()?;
        rdr.set_strict(r.read.strict);
        let (cols, rows) = picture_size(s.cols, s.rows, fonts.cell_w, fonts.cell_h);
        if (cols, rows) != (s.cols, s.rows) && !r.read.quiet {
            cli::warn(format!(
                "{}: a {}x{} screen is too large to draw: drawing {cols}x{rows}",
                name.display(),
                s.cols,
                s.rows
            ));
        }
        let cell = (fonts.cell_w, fonts.cell_h);
        let painter = Painter::new(fonts, theme, cols, rows, r.padding as usize);
        let target = r.output.clone().map_or(Target::Stdout, Target::File);
        let sink = Sink::create(&target)?;
        let out_name = sink.name();
        let out = BufWriter::with_capacity(64 * 1024, sink.writer()?);
        let mut tl = s.timeline.clone();
        if png && tl.at.is_none() {
            // The last screen: everything is played, nothing is drawn but the end.
            tl.interval = crate::time::Micros::MAX / 4;
        }
        let blame = |e: Error| blame(e, name, &out_name);
        if png {
            let mut still = Still { painter };
            render::play(&mut rdr, &tl, cell, &mut still).map_err(blame)?;
            let mut out = out;
            write_png(&still.painter, &mut out).map_err(blame)?;
            out.flush().map_err(|e| blame(e.into()))?;
        } else {
            let mut gif = GifOut::new(painter, out, r.last_frame_duration).map_err(blame)?;
            render::play(&mut rdr, &tl, cell, &mut gif).map_err(blame)?;
            let mut out = gif.into_inner().map_err(blame)?;
            out.flush().map_err(|e| blame(e.into()))?;
        }
        warn_truncation(&mut rdr, name, r.read.quiet);
        sink.commit()
    })?;
    Ok(cli::EXIT_OK)
}

/// Opens the input named by `r` for two passes (standard input is spooled to a temporary
/// file) and runs `f` with its reader and name.
pub fn with_input(r: &RenderArgs, f: impl FnOnce(&mut Reader, &Path) -> Result<()>) -> Result<()> {
    let mut _spool = None;
    let input = match &r.file {
        Some(p) if p.as_os_str() != "-" => Input::File(p.clone()),
        _ => {
            let (path, guard) = cli::spool_stdin()?;
            _spool = Some(guard);
            Input::File(path)
        }
    };
    if let (None, Input::File(p)) = (&r.output, &input) {
        cli::output::check_not_stdout(p)?;
    }
    let name = input.name();
    let mut rdr = input.open()?;
    rdr.set_strict(r.read.strict);
    f(&mut rdr, &name)
}

/// Prints the reader's warning about a cut-off last line, unless `quiet`.
pub fn warn_truncation(rdr: &mut Reader, name: &Path, quiet: bool) {
    if let Some(t) = rdr.truncation()
        && !quiet
    {
        cli::warn(format!("{}: {t}", name.display()));
    }
}

/// A bare io error is a write error: it names the output. Anything else is about the input.
pub fn blame(e: Error, input: &Path, output: &Path) -> Error {
    match (&e.kind, &e.path) {
        (ErrorKind::Io(_), None) => e.in_file(output),
        _ => e.in_file(input),
    }
}
