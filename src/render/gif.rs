//! Pixels: the painter that keeps the picture of the screen, and the GIF and PNG writers.
//!
//! The painter keeps one RGB picture and, for every cell, what it last drew there (character,
//! colours, attributes). A frame redraws only the cells whose content changed, marks the
//! pixels that really changed, and hands on the smallest rectangle holding them. Typing a
//! character changes one cell, so most frames are a few hundred pixels, whatever the size of
//! the screen.
//!
//! Each GIF frame is that rectangle only, drawn over the previous frame (disposal "keep"),
//! with the pixels inside it that did not change made transparent: long transparent runs
//! cost LZW almost nothing. The global colour table holds the theme's colours and the shades
//! of antialiased text in the common colour pairs; a frame whose colours are all there uses
//! it, any other gets a local table of exactly the colours it uses. Only a frame with more
//! than 255 colours (many colour pairs on one screen) is quantised: the 255 colours covering
//! most pixels stay exact and the rest, the antialiased edges of rarer pairs, take the
//! nearest of them. A frame is LZW-compressed as soon as it is drawn and written when
//! the next one tells its duration, so one compressed frame is all that waits in memory.
//!
//! GIF delays are centiseconds: each frame's delay is the difference of its rounded end and
//! start times on the output timeline, so rounding never accumulates and the delays add up to
//! the recording's duration within 10 ms.

use std::collections::HashMap;
use std::io::{self, Write};

use ::gif::{DisposalMethod, Encoder, EncodingError, Frame, Repeat};

use super::FrameSink;
use super::font::{BOLD, Fonts, ITALIC, LEVELS};
use super::theme::{Rgb, Theme, mix};
use crate::error::{Error, Result};
use crate::time::Micros;
use crate::vt::Vt;

const UNDERLINE: u8 = 4;
const STRIKE: u8 = 8;
/// The cell is the first half of a wide character.
const WIDE: u8 = 16;
/// The cell is the second half of a wide character (drawn by its first half).
const TAIL: u8 = 32;

/// A hasher for colour keys: one multiplication (the keys are small integers, not
/// attacker-chosen in a way that matters: a bad spread only costs time). The std hasher took
/// 5% of a run's profile in colour look-ups.
#[derive(Default, Clone, Copy)]
pub struct ColorHash(u64);

impl std::hash::Hasher for ColorHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.write_u64(v as u64);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(29) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type ColorMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<ColorHash>>;

/// What a cell shows, as far as pixels go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Look {
    ch: char,
    fg: Rgb,
    bg: Rgb,
    flags: u8,
}

/// A rectangle of pixels, `x1`/`y1` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

/// The picture of the screen, redrawn cell by cell.
pub struct Painter {
    pub fonts: Fonts,
    pub theme: Theme,
    pad: usize,
    cols: usize,
    rows: usize,
    pub width: usize,
    pub height: usize,
    /// The picture, `0xRRGGBB` per pixel.
    pub canvas: Vec<Rgb>,
    /// 1 where a pixel changed since the last [`Painter::take_changes`].
    changed: Vec<u8>,
    dirty: Option<Rect>,
    looks: Vec<Look>,
    row: Vec<(Look, bool)>,
    shades: ColorMap<(Rgb, Rgb), [Rgb; LEVELS as usize]>,
}

impl Painter {
    /// A picture of `cols` x `rows` cells with a margin of `pad` pixels, all background.
    /// Every pixel counts as changed, so the first frame is the whole picture.
    pub fn new(fonts: Fonts, theme: Theme, cols: u16, rows: u16, pad: usize) -> Painter {
        let (cols, rows) = (cols as usize, rows as usize);
        let width = cols * fonts.cell_w + 2 * pad;
        let height = rows * fonts.cell_h + 2 * pad;
        let blank = Look {
            ch: ' ',
            fg: 0,
            bg: theme.bg,
            flags: 0,
        };
        Painter {
            canvas: vec![theme.bg; width * height],
            changed: vec![1; width * height],
            dirty: Some(Rect {
                x0: 0,
                y0: 0,
                x1: width,
                y1: height,
            }),
            looks: vec![blank; cols * rows],
            row: Vec::with_capacity(cols),
            shades: ColorMap::default(),
            fonts,
            theme,
            pad,
            cols,
            rows,
            width,
            height,
        }
    }

    fn look(&self, cell: &avt::Cell, cursor: bool) -> Look {
        let pen = cell.pen();
        let (fg, bg) = self.theme.colors(pen, cursor);
        let mut flags = 0;
        if pen.is_bold() {
            flags |= BOLD;
        }
        if pen.is_italic() {
            flags |= ITALIC;
        }
        if pen.is_underline() {
            flags |= UNDERLINE;
        }
        if pen.is_strikethrough() {
            flags |= STRIKE;
        }
        match cell.width() {
            2 => flags |= WIDE,
            0 => flags |= TAIL,
            _ => {}
        }
        let ch = cell.char();
        // A blank cell shows only its background: its foreground must not count as a change.
        if (ch == ' ' || ch == '\0') && flags & (UNDERLINE | STRIKE) == 0 {
            return Look {
                ch: ' ',
                fg: 0,
                bg,
                flags: flags & (WIDE | TAIL),
            };
        }
        Look { ch, fg, bg, flags }
    }

    /// Brings the picture up to date with the screen of `vt`, drawing only changed cells.
    pub fn update(&mut self, vt: &Vt) {
        let term = vt.terminal();
        let cursor = term.cursor();
        let blank = Look {
            ch: ' ',
            fg: 0,
            bg: self.theme.bg,
            flags: 0,
        };
        let lines: Vec<&avt::Line> = term.screen().visible_lines().collect();
        for r in 0..self.rows {
            let mut row = std::mem::take(&mut self.row);
            row.clear();
            let cells = lines.get(r).map_or(&[][..], |l| l.cells());
            for c in 0..self.cols {
                let look = match cells.get(c) {
                    Some(cell) => {
                        let here = cursor.visible && cursor.row == r && cursor.col == c;
                        self.look(cell, here)
                    }
                    None => blank,
                };
                let old = self.looks[r * self.cols + c];
                row.push((look, look != old));
            }
            // The two halves of a wide character are drawn together.
            for c in 0..self.cols {
                if row[c].1 {
                    if row[c].0.flags & TAIL != 0 && c > 0 {
                        row[c - 1].1 = true;
                    }
                    if row[c].0.flags & WIDE != 0 && c + 1 < self.cols {
                        row[c + 1].1 = true;
                    }
                }
            }
            for c in 0..self.cols {
                let (look, dirty) = row[c];
                if !dirty {
                    continue;
                }
                self.looks[r * self.cols + c] = look;
                let head_before = c > 0 && row[c - 1].0.flags & WIDE != 0;
                if look.flags & TAIL != 0 && head_before {
                    continue;
                }
                let cells = if look.flags & WIDE != 0 && c + 1 < self.cols {
                    2
                } else {
                    1
                };
                let look = if look.flags & TAIL != 0 {
                    Look { ch: ' ', ..look }
                } else {
                    look
                };
                self.draw(c, r, cells, look);
            }
            self.row = row;
        }
    }

    fn shades(&mut self, fg: Rgb, bg: Rgb) -> [Rgb; LEVELS as usize] {
        if self.shades.len() > 4096 {
            self.shades.clear();
        }
        *self.shades.entry((fg, bg)).or_insert_with(|| {
            let mut s = [0; LEVELS as usize];
            for (l, v) in s.iter_mut().enumerate() {
                *v = mix(bg, fg, l as u32, LEVELS as u32 - 1);
            }
            s
        })
    }

    fn draw(&mut self, c: usize, r: usize, cells: u8, look: Look) {
        let (cw, ch) = (self.fonts.cell_w, self.fonts.cell_h);
        let x0 = self.pad + c * cw;
        let y0 = self.pad + r * ch;
        let w = cw * cells as usize;
        let shades = self.shades(look.fg, look.bg);
        let glyph = (look.ch != ' ').then(|| {
            self.fonts
                .glyph(look.ch, look.flags & (BOLD | ITALIC), cells)
        });
        let line_at = |frac: f32| ((ch as f32 * frac) as usize).min(ch - 1);
        let under = (look.flags & UNDERLINE != 0).then(|| line_at(0.86));
        let strike = (look.flags & STRIKE != 0).then(|| line_at(0.5));
        let mut dirty = false;
        let (mut dx0, mut dx1, mut dy0, mut dy1) = (usize::MAX, 0, usize::MAX, 0);
        for y in 0..ch {
            let line = Some(y) == under || Some(y) == strike;
            let row = (y0 + y) * self.width + x0;
            for x in 0..w {
                let level = if line {
                    LEVELS - 1
                } else {
                    glyph.map_or(0, |g| g.cov[y * g.width + x])
                };
                let p = shades[level as usize];
                let i = row + x;
                if self.canvas[i] != p {
                    self.canvas[i] = p;
                    self.changed[i] = 1;
                    dirty = true;
                    dx0 = dx0.min(x);
                    dx1 = dx1.max(x + 1);
                    dy0 = dy0.min(y);
                    dy1 = dy1.max(y + 1);
                }
            }
        }
        if dirty {
            let r = Rect {
                x0: x0 + dx0,
                y0: y0 + dy0,
                x1: x0 + dx1,
                y1: y0 + dy1,
            };
            self.dirty = Some(match self.dirty {
                None => r,
                Some(d) => Rect {
                    x0: d.x0.min(r.x0),
                    y0: d.y0.min(r.y0),
                    x1: d.x1.max(r.x1),
                    y1: d.y1.max(r.y1),
                },
            });
        }
    }

    /// The rectangle of pixels that changed since the last call, if any. The changed marks
    /// inside it stay set until [`Painter::clear_changes`].
    pub fn take_changes(&mut self) -> Option<Rect> {
        self.dirty.take()
    }

    /// True when the pixel at `i` changed.
    #[inline]
    pub fn is_changed(&self, i: usize) -> bool {
        self.changed[i] != 0
    }

    /// Clears the changed marks inside `r`.
    pub fn clear_changes(&mut self, r: Rect) {
        for y in r.y0..r.y1 {
            self.changed[y * self.width + r.x0..y * self.width + r.x1].fill(0);
        }
    }

    /// The picture as RGB bytes.
    pub fn rgb(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.canvas.len() * 3);
        for &p in &self.canvas {
            out.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, p as u8]);
        }
        out
    }
}

/// A colour table being built: colours in order, and where each is.
#[derive(Default)]
struct Table {
    colors: Vec<Rgb>,
    index: ColorMap<Rgb, u8>,
}

impl Table {
    fn add(&mut self, c: Rgb) -> Option<u8> {
        if let Some(&i) = self.index.get(&c) {
            return Some(i);
        }
        if self.colors.len() >= 255 {
            return None;
        }
        let i = self.colors.len() as u8;
        self.colors.push(c);
        self.index.insert(c, i);
        Some(i)
    }

    fn clear(&mut self) {
        self.colors.clear();
        self.index.clear();
    }

    /// The table as GIF wants it, with the transparent entry last.
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.colors.len() * 3 + 3);
        for &c in &self.colors {
            out.extend_from_slice(&[(c >> 16) as u8, (c >> 8) as u8, c as u8]);
        }
        out.extend_from_slice(&[0, 0, 0]);
        out
    }

    fn transparent(&self) -> u8 {
        self.colors.len() as u8
    }
}

/// The changed pixels of `r` as colour-table indices (`index` of each colour, asked once
/// per run of one colour), the others as `transparent`; `None` when `index` has no entry
/// for one of them.
fn indices(
    p: &Painter,
    r: Rect,
    transparent: u8,
    mut index: impl FnMut(Rgb) -> Option<u8>,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity((r.x1 - r.x0) * (r.y1 - r.y0));
    let (mut last_c, mut last_i) = (u32::MAX, 0u8);
    for y in r.y0..r.y1 {
        for i in y * p.width + r.x0..y * p.width + r.x1 {
            if !p.is_changed(i) {
                out.push(transparent);
                continue;
            }
            let c = p.canvas[i];
            if c != last_c {
                last_i = index(c)?;
                last_c = c;
            }
            out.push(last_i);
        }
    }
    Some(out)
}

/// The index of the colour of `table` nearest to `c` (squared distance in RGB).
fn nearest(table: &[Rgb], c: Rgb) -> u8 {
    let ch = |v: Rgb, s: u32| ((v >> s) & 0xff) as i32;
    let dist = |a: Rgb| {
        let (dr, dg, db) = (
            ch(a, 16) - ch(c, 16),
            ch(a, 8) - ch(c, 8),
            ch(a, 0) - ch(c, 0),
        );
        dr * dr + dg * dg + db * db
    };
    (0..table.len())
        .min_by_key(|&k| dist(table[k]))
        .unwrap_or(0) as u8
}

/// The global table: the theme's colours and the shades of text in its usual colour pairs.
fn global_table(th: &Theme) -> Table {
    let mut t = Table::default();
    let mut pairs = vec![(th.fg, th.bg)];
    pairs.extend(th.palette.iter().map(|&c| (c, th.bg)));
    pairs.push((th.bg, th.fg));
    'all: for (fg, bg) in pairs {
        for l in 0..LEVELS as u32 {
            if t.add(mix(bg, fg, l, LEVELS as u32 - 1)).is_none() {
                break 'all;
            }
        }
    }
    t
}

/// Writes an animated GIF, frame by frame.
pub struct GifOut<W: Write> {
    painter: Painter,
    enc: Encoder<W>,
    global: Table,
    local: Table,
    /// The last frame, compressed, waiting for its duration; and its start.
    pending: Option<(Frame<'static>, Micros)>,
    /// Centiseconds of delay written so far.
    written_cs: i64,
    hold: Micros,
    /// Frames written (the padding frames of very long pauses included).
    pub frames: usize,
}

fn gif_error(e: EncodingError) -> Error {
    match e {
        EncodingError::Io(e) => Error::from(e),
        e => Error::from(io::Error::other(e.to_string())),
    }
}

impl<W: Write> GifOut<W> {
    /// Starts a GIF of the painter's size, looping forever; `hold` is how much longer the
    /// last frame stays.
    pub fn new(painter: Painter, w: W, hold: Micros) -> Result<GifOut<W>> {
        let global = global_table(&painter.theme);
        let (width, height) = (painter.width as u16, painter.height as u16);
        let mut enc = Encoder::new(w, width, height, &global.bytes()).map_err(gif_error)?;
        enc.set_repeat(Repeat::Infinite).map_err(gif_error)?;
        Ok(GifOut {
            painter,
            enc,
            global,
            local: Table::default(),
            pending: None,
            written_cs: 0,
            hold,
            frames: 0,
        })
    }

    /// The changed pixels of `r` as indices into the global table, or `None` when one of them
    /// is not in it.
    fn index_global(&mut self, r: Rect) -> Option<Vec<u8>> {
        let index = &self.global.index;
        indices(&self.painter, r, self.global.transparent(), |c| {
            index.get(&c).copied()
        })
    }

    /// The changed pixels of `r` as indices into a local table of their colours. With more
    /// than 255 colours, the 255 that cover most pixels are kept and every other colour is
    /// drawn in the nearest of them: the rare ones are the antialiased edges of text in
    /// uncommon colour pairs, where the difference does not show.
    fn index_local(&mut self, r: Rect) -> Vec<u8> {
        let p = &self.painter;
        let mut counts: ColorMap<Rgb, u32> = ColorMap::default();
        let (mut last_c, mut run) = (u32::MAX, 0u32);
        for y in r.y0..r.y1 {
            for i in y * p.width + r.x0..y * p.width + r.x1 {
                if !p.is_changed(i) {
                    continue;
                }
                let c = p.canvas[i];
                if c != last_c {
                    if run > 0 {
                        *counts.entry(last_c).or_default() += run;
                    }
                    last_c = c;
                    run = 0;
                }
                run += 1;
            }
        }
        if run > 0 {
            *counts.entry(last_c).or_default() += run;
        }
        self.local.clear();
        let mut map: ColorMap<Rgb, u8> = ColorMap::default();
        if counts.len() <= 255 {
            for &c in counts.keys() {
                let k = self.local.add(c).expect("fits");
                map.insert(c, k);
            }
        } else {
            let mut by_count: Vec<(u32, Rgb)> = counts.iter().map(|(&c, &n)| (n, c)).collect();
            by_count.sort_unstable_by(|a, b| b.cmp(a));
            for &(_, c) in &by_count[..255] {
                let k = self.local.add(c).expect("fits");
                map.insert(c, k);
            }
            for &(_, c) in &by_count[255..] {
                map.insert(c, nearest(&self.local.colors, c));
            }
        }
        indices(p, r, self.local.transparent(), |c| Some(map[&c])).expect("every colour mapped")
    }

    /// Draws the screen of `vt` and, when anything changed, makes it the next frame.
    fn add(&mut self, vt: &Vt, start: Micros) -> Result<()> {
        self.painter.update(vt);
        let Some(r) = self.painter.take_changes() else {
            return Ok(());
        };
        let (indices, palette, transparent) = match self.index_global(r) {
            Some(ix) => (ix, None, self.global.transparent()),
            None => {
                let ix = self.index_local(r);
                (ix, Some(self.local.bytes()), self.local.transparent())
            }
        };
        self.painter.clear_changes(r);
        let mut frame = Frame {
            left: r.x0 as u16,
            top: r.y0 as u16,
            width: (r.x1 - r.x0) as u16,
            height: (r.y1 - r.y0) as u16,
            dispose: DisposalMethod::Keep,
            transparent: Some(transparent),
            palette,
            buffer: indices.into(),
            ..Frame::default()
        };
        frame.make_lzw_pre_encoded();
        self.flush_pending(start)?;
        self.pending = Some((frame, start));
        Ok(())
    }

    /// Writes the waiting frame, lasting until `until`.
    fn flush_pending(&mut self, until: Micros) -> Result<()> {
        let Some((mut frame, _)) = self.pending.take() else {
            return Ok(());
        };
        let end_cs = (until.max(0) + 5_000) / 10_000;
        let mut delay = (end_cs - self.written_cs).max(0);
        self.written_cs += delay;
        frame.delay = delay.min(u16::MAX as i64) as u16;
        delay -= frame.delay as i64;
        self.enc
            .write_lzw_pre_encoded_frame(&frame)
            .map_err(gif_error)?;
        self.frames += 1;
        // A pause longer than a GIF delay can say (655 s) goes on in empty frames.
        while delay > 0 {
            let d = delay.min(u16::MAX as i64) as u16;
            delay -= d as i64;
            let blank = Frame {
                width: 1,
                height: 1,
                delay: d,
                dispose: DisposalMethod::Keep,
                transparent: Some(self.global.transparent()),
                buffer: vec![self.global.transparent()].into(),
                ..Frame::default()
            };
            self.enc.write_frame(&blank).map_err(gif_error)?;
            self.frames += 1;
        }
        Ok(())
    }

    /// The painter, for reading the picture.
    pub fn painter(&self) -> &Painter {
        &self.painter
    }
}

impl<W: Write> FrameSink for GifOut<W> {
    fn frame(&mut self, vt: &Vt, start: Micros) -> Result<()> {
        self.add(vt, start)
    }

    fn finish(&mut self, end: Micros) -> Result<()> {
        let last = self.pending.as_ref().map_or(0, |p| p.1);
        self.flush_pending(end.max(last).saturating_add(self.hold))?;
        self.enc.get_mut().flush()?;
        Ok(())
    }
}

impl<W: Write> GifOut<W> {
    /// Writes the trailer and returns the writer.
    pub fn into_inner(self) -> Result<W> {
        self.enc.into_inner().map_err(gif_error)
    }
}

/// Takes one picture: the screen of the last frame handed to it.
pub struct Still {
    pub painter: Painter,
}

impl FrameSink for Still {
    fn frame(&mut self, vt: &Vt, _start: Micros) -> Result<()> {
        self.painter.update(vt);
        Ok(())
    }

    fn finish(&mut self, _end: Micros) -> Result<()> {
        Ok(())
    }
}

/// Writes the painter's picture as a PNG.
pub fn write_png(p: &Painter, w: impl Write) -> Result<()> {
    let png_err = |e: png::EncodingError| match e {
        png::EncodingError::IoError(e) => Error::from(e),
        e => Error::from(io::Error::other(e.to_string())),
    };
    let mut enc = png::Encoder::new(w, p.width as u32, p.height as u32);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut wr = enc.write_header().map_err(png_err)?;
    wr.write_image_data(&p.rgb()).map_err(png_err)?;
    wr.finish().map_err(png_err)?;
    Ok(())
}
