//! cast-to-svg: one self-contained animated SVG of a recording, or a still SVG of one moment.
//!
//! The timeline is cast-to-gif's ([`crate::render`]): the same idle limit, speed, frame cap,
//! range and stderr rules, so a GIF and an SVG of a recording move alike. What is written is
//! text, not pixels ([`crate::render::svg`] explains the layout): each distinct screen once,
//! and CSS keyframes that show them in turn. No script and no web font is needed, so the file
//! plays from a file URL, in an `<img>` tag and in a GitHub README.

use std::ffi::OsString;
use std::io::{BufWriter, Write};

use clap::{CommandFactory, Parser};

use crate::cli::{self, Sink, Target};
use crate::cmd::to_gif::{blame, warn_truncation, with_input};
use crate::error::{Error, Result};
use crate::render::svg::{Layout, SvgOut};
use crate::render::theme::Theme;
use crate::render::{self, RenderArgs};

const EXAMPLES: &str = "\
Examples:
  cast-to-svg demo.cast -o demo.svg                   an animated SVG
  cast-to-svg --idle-time-limit 1 demo.cast > demo.svg
  cast-to-svg --at 0:12 demo.cast -o still.svg        the screen 12 s in
  cast-to-svg --theme solarized-light demo.cast -o demo.svg

Exit status:
  0  success
  2  an error (a bad option, an unreadable or malformed recording)";

/// Draw a recording as one self-contained animated SVG, or one moment of it as a still SVG
///
/// The recording is played through a terminal emulator; each distinct screen is written once,
/// as text, and CSS keyframes show the screens in turn (no script, no external font). Pauses
/// are capped at --idle-time-limit; the picture is as large as the largest size the terminal
/// reached. Stderr (`e` events) is shown merged with stdout. With --at, a still SVG of the
/// screen at that time.
#[derive(Debug, Parser)]
#[command(name = "cast-to-svg", version, after_long_help = EXAMPLES)]
pub struct Args {
    #[command(flatten)]
    pub render: RenderArgs,
}

pub fn command() -> clap::Command {
    Args::command()
}

pub fn run(args: Vec<OsString>) -> Result<u8> {
    let a: Args = cli::parse(command(), args);
    let r = &a.render;
    with_input(r, |rdr, name| {
        let s = render::scan(rdr, r).map_err(|e| e.in_file(name))?;
        let theme = Theme::choose(r.theme.as_deref(), rdr.header()).map_err(Error::msg)?;
        let mut rdr = rdr.reopen()?;
        rdr.set_strict(r.read.strict);
        let layout = Layout {
            cols: s.cols,
            rows: s.rows,
            font_size: r.font_size,
            line_height: r.line_height,
            padding: r.padding,
            families: r.font_family.clone(),
        };
        let target = r.output.clone().map_or(Target::Stdout, Target::File);
        let sink = Sink::create(&target)?;
        let out_name = sink.name();
        let blame = |e: Error| blame(e, name, &out_name);
        let out = BufWriter::with_capacity(64 * 1024, sink.writer()?);
        let mut svg = SvgOut::new(out, theme, &layout, r.last_frame_duration).map_err(blame)?;
        render::play(&mut rdr, &s.timeline, (0, 0), &mut svg).map_err(blame)?;
        svg.into_inner().flush().map_err(|e| blame(e.into()))?;
        warn_truncation(&mut rdr, name, r.read.quiet);
        sink.commit()
    })?;
    Ok(cli::EXIT_OK)
}
