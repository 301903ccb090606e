//! An animated SVG: every distinct screen once, as text, and CSS keyframes that show them.
//!
//! The screens are stacked in one tall strip inside a window the size of the terminal, and
//! one CSS animation moves the strip so that the screen on show at each moment sits in the
//! window (`steps(1, end)`: a jump, no sliding). A screen that shows again (a prompt after a
//! clear, a spinner's phases, a pager page revisited) is not repeated: its frames point at the
//! copy already in the strip, found by a hash of its markup. Nothing runs a script and no font
//! is loaded from anywhere, so the file displays from a file URL, in an `<img>` tag and on
//! GitHub; text is drawn with a list of common monospace fonts ending with `monospace`.
//!
//! Text stays text: each row is a `<text>` element whose runs of one style are `<tspan>`s
//! placed at their column, so it can be selected and searched. Background colours are
//! rectangles behind the text; colours are CSS classes.
//!
//! Rows are shared too, which matters more than screens: output that scrolls makes a new
//! screen at every frame, but only its new rows are new. Each distinct row is defined once
//! (`<defs>`, written just before the first screen that shows it) and a screen is a list of
//! `<use>` references placing rows at their heights. On the 20-minute benchmark recording
//! (7,766 distinct screens) this took the file from 70 MB to the size bench/render.sh
//! reports. `<use href>` (SVG 2) works in every current browser and in GitHub's image proxy.
//!
//! Screens are written as they are met; the frame list (start time and screen number, 12
//! bytes a frame) and the keyframes built from it go at the end, where CSS can still be (a
//! `<style>` element applies to the whole document wherever it stands).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;

use super::FrameSink;
use super::theme::{Rgb, Theme, hex};
use crate::error::Result;
use crate::time::Micros;
use crate::vt::Vt;

/// How the geometry of the SVG is chosen.
#[derive(Debug, Clone)]
pub struct Layout {
    pub cols: u16,
    pub rows: u16,
    pub font_size: f32,
    pub line_height: f32,
    pub padding: u16,
    pub families: String,
}

/// Writes an animated (or, with one frame, still) SVG.
pub struct SvgOut<W: Write> {
    w: W,
    theme: Theme,
    cols: usize,
    rows: usize,
    cw: f32,
    ch: f32,
    screen_h: f32,
    hold: Micros,
    seen: HashMap<u64, u32>,
    frames: Vec<(Micros, u32)>,
    classes: HashMap<Rgb, usize>,
    buf: String,
    row: String,
    /// Rows defined so far, by the hash of their markup.
    rows_seen: HashMap<u64, u32>,
    /// Row definitions not yet written.
    defs: String,
    /// Screens written.
    pub screens: u32,
}

/// Characters XML 1.0 cannot hold become U+FFFD; markup characters are escaped.
fn push_text(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '\t' | '\n' | '\r' => out.push(' '),
        c if (c as u32) < 0x20 || ('\u{fffe}'..='\u{ffff}').contains(&c) => out.push('\u{fffd}'),
        c => out.push(c),
    }
}

fn num(v: f32) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The font-family list: the user's, then the usual monospace fonts, then `monospace`.
fn font_list(families: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    for f in families.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let f = f.replace(['"', '\'', '<', '>', '&'], "");
        if f != "monospace" && !names.contains(&f) {
            names.push(f);
        }
    }
    let mut out: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    out.push("monospace".into());
    out.join(",")
}

/// One run of a row: characters sharing a style.
#[derive(PartialEq, Clone, Copy)]
struct Style {
    fg: Rgb,
    bold: bool,
    italic: bool,
    underline: bool,
    strike: bool,
}

impl<W: Write> SvgOut<W> {
    /// Starts the document.
    pub fn new(mut w: W, theme: Theme, l: &Layout, hold: Micros) -> Result<SvgOut<W>> {
        let cw = l.font_size * 0.6;
        let ch = l.font_size * l.line_height;
        let (cols, rows) = (l.cols as usize, l.rows as usize);
        let gw = cols as f32 * cw;
        let gh = rows as f32 * ch;
        let pad = l.padding as f32;
        let (width, height) = (gw + 2.0 * pad, gh + 2.0 * pad);
        write!(
            w,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
             viewBox=\"0 0 {W} {H}\" font-family=\"{F}\" font-size=\"{S}\" \
             xml:space=\"preserve\">\n\
             <rect width=\"{W}\" height=\"{H}\" rx=\"5\" fill=\"{bg}\"/>\n\
             <svg x=\"{P}\" y=\"{P}\" width=\"{GW}\" height=\"{GH}\" viewBox=\"0 0 {GW} {GH}\">\n\
             <g class=\"s\" fill=\"{fg}\">\n",
            W = num(width),
            H = num(height),
            F = font_list(&l.families),
            S = num(l.font_size),
            bg = hex(theme.bg),
            P = num(pad),
            GW = num(gw),
            GH = num(gh),
            fg = hex(theme.fg),
        )?;
        Ok(SvgOut {
            w,
            theme,
            cols,
            rows,
            cw,
            ch,
            screen_h: gh,
            hold,
            seen: HashMap::new(),
            frames: Vec::new(),
            classes: HashMap::new(),
            buf: String::new(),
            row: String::new(),
            rows_seen: HashMap::new(),
            defs: String::new(),
            screens: 0,
        })
    }

    fn class(&mut self, c: Rgb) -> usize {
        let n = self.classes.len();
        *self.classes.entry(c).or_insert(n)
    }

    /// The number of a row's markup; a row not seen before is added to the definitions
    /// waiting to be written.
    fn row_id(&mut self, row: &str) -> u32 {
        let mut h = DefaultHasher::new();
        row.hash(&mut h);
        let n = self.rows_seen.len() as u32;
        let id = *self.rows_seen.entry(h.finish()).or_insert(n);
        if id == n {
            let _ = write!(self.defs, "<g id=\"r{id}\">{row}</g>");
        }
        id
    }

    /// The markup of one screen, into `self.buf`: a `<use>` of each row's definition.
    fn markup(&mut self, vt: &Vt) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let term = vt.terminal();
        let cursor = term.cursor();
        for (r, line) in term.screen().visible_lines().enumerate().take(self.rows) {
            let cells = line.cells();
            let y = r as f32 * self.ch;
            let mut row = std::mem::take(&mut self.row);
            row.clear();
            // Backgrounds: runs of one colour other than the theme's.
            let mut c = 0;
            let looks: Vec<(char, u8, Rgb, Rgb, &avt::Pen)> = cells
                .iter()
                .take(self.cols)
                .enumerate()
                .map(|(k, cell)| {
                    let here = cursor.visible && cursor.row == r && cursor.col == k;
                    let (fg, bg) = self.theme.colors(cell.pen(), here);
                    (cell.char(), cell.width(), fg, bg, cell.pen())
                })
                .collect();
            while c < looks.len() {
                let bg = looks[c].3;
                let start = c;
                while c < looks.len() && looks[c].3 == bg {
                    c += 1;
                }
                if bg != self.theme.bg {
                    let k = self.class(bg);
                    let _ = write!(
                        row,
                        "<rect x=\"{}\" width=\"{}\" height=\"{}\" class=\"c{k}\"/>",
                        num(start as f32 * self.cw),
                        num((c - start) as f32 * self.cw),
                        num(self.ch),
                    );
                }
            }
            // Text: runs of one style; blanks join any run, as their colour does not show.
            let mut text = String::new();
            let mut run: Option<(usize, Style, String)> = None;
            let mut spans: Vec<(usize, Style, String)> = Vec::new();
            for (k, &(chr, width, fg, _, pen)) in looks.iter().enumerate() {
                if width == 0 {
                    continue;
                }
                let blank = chr == ' ' && !pen.is_underline() && !pen.is_strikethrough();
                let st = Style {
                    fg,
                    bold: pen.is_bold(),
                    italic: pen.is_italic(),
                    underline: pen.is_underline(),
                    strike: pen.is_strikethrough(),
                };
                match &mut run {
                    Some((_, s, t)) if blank || *s == st => push_text(t, chr),
                    _ if blank => {}
                    _ => {
                        if let Some(r) = run.take() {
                            spans.push(r);
                        }
                        let mut t = String::new();
                        push_text(&mut t, chr);
                        run = Some((k, st, t));
                    }
                }
                // A wide character's advance depends on the font: the next run is placed anew.
                if width == 2
                    && let Some(r) = run.take()
                {
                    spans.push(r);
                }
            }
            spans.extend(run);
            for (k, st, t) in spans {
                let t = t.trim_end();
                let mut class = String::new();
                if st.fg != self.theme.fg {
                    let n = self.class(st.fg);
                    let _ = write!(class, "f{n}");
                }
                for (on, name) in [
                    (st.bold, "b"),
                    (st.italic, "i"),
                    (st.underline, "u"),
                    (st.strike, "x"),
                ] {
                    if on {
                        if !class.is_empty() {
                            class.push(' ');
                        }
                        class.push_str(name);
                    }
                }
                let _ = write!(text, "<tspan x=\"{}\"", num(k as f32 * self.cw));
                if !class.is_empty() {
                    let _ = write!(text, " class=\"{class}\"");
                }
                let _ = write!(text, ">{t}</tspan>");
            }
            if !text.is_empty() {
                let _ = write!(row, "<text y=\"{}\">{text}</text>", num(self.ch * 0.78));
            }
            if !row.is_empty() {
                let id = self.row_id(&row);
                let _ = write!(buf, "<use href=\"#r{id}\" y=\"{}\"/>", num(y));
            }
            self.row = row;
        }
        self.buf = buf;
    }
}

impl<W: Write> SvgOut<W> {
    /// The writer, after [`FrameSink::finish`].
    pub fn into_inner(self) -> W {
        self.w
    }
}

impl<W: Write> FrameSink for SvgOut<W> {
    fn frame(&mut self, vt: &Vt, start: Micros) -> Result<()> {
        self.markup(vt);
        let mut h = DefaultHasher::new();
        self.buf.hash(&mut h);
        let key = h.finish();
        let index = match self.seen.get(&key) {
            Some(&i) => i,
            None => {
                let i = self.screens;
                self.screens += 1;
                self.seen.insert(key, i);
                if !self.defs.is_empty() {
                    writeln!(self.w, "<defs>{}</defs>", self.defs)?;
                    self.defs.clear();
                }
                writeln!(
                    self.w,
                    "<g transform=\"translate(0 {})\">{}</g>",
                    num(i as f32 * self.screen_h),
                    self.buf
                )?;
                i
            }
        };
        if self.frames.last().is_none_or(|f| f.1 != index) {
            self.frames.push((start, index));
        }
        Ok(())
    }

    fn finish(&mut self, end: Micros) -> Result<()> {
        let last = self.frames.last().map_or(0, |f| f.0);
        let total = end.max(last).saturating_add(self.hold).max(1);
        let mut css = String::new();
        if self.frames.len() > 1 {
            let _ = write!(
                css,
                ".s{{animation:k {}s steps(1,end) infinite}}\n@keyframes k{{",
                num_precise(total as f64 / 1e6)
            );
            for &(t, i) in &self.frames {
                let _ = write!(
                    css,
                    "{}%{{transform:translateY(-{}px)}}",
                    num_precise(t as f64 * 100.0 / total as f64),
                    num(i as f32 * self.screen_h)
                );
            }
            let lastf = self.frames.last().expect("more than one");
            let _ = writeln!(
                css,
                "100%{{transform:translateY(-{}px)}}}}",
                num(lastf.1 as f32 * self.screen_h)
            );
        }
        let mut classes: Vec<(&Rgb, &usize)> = self.classes.iter().collect();
        classes.sort_by_key(|c| *c.1);
        for (c, n) in classes {
            let _ = write!(css, ".f{n}{{fill:{}}}.c{n}{{fill:{}}}", hex(*c), hex(*c));
        }
        css.push_str(
            ".b{font-weight:bold}.i{font-style:italic}.u{text-decoration:underline}\
             .x{text-decoration:line-through}\n",
        );
        write!(self.w, "</g>\n</svg>\n<style>\n{css}</style>\n</svg>\n")?;
        self.w.flush()?;
        Ok(())
    }
}

fn num_precise(v: f64) -> String {
    let s = format!("{:.4}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_xml_safe() {
        let mut s = String::new();
        for c in "a<&>\u{1}\u{fffe}é".chars() {
            push_text(&mut s, c);
        }
        assert_eq!(s, "a&lt;&amp;&gt;\u{fffd}\u{fffd}é");
        assert_eq!(
            font_list("DejaVu Sans Mono, \"x\",monospace"),
            "'DejaVu Sans Mono','x',monospace"
        );
        assert_eq!(num(8.400001), "8.4");
        assert_eq!(num(10.0), "10");
    }

    #[test]
    fn identical_screens_are_shared() {
        let th = Theme::named("asciinema").unwrap();
        let l = Layout {
            cols: 10,
            rows: 2,
            font_size: 10.0,
            line_height: 1.5,
            padding: 0,
            families: "DejaVu Sans Mono".into(),
        };
        let mut out = SvgOut::new(Vec::new(), th, &l, 0).unwrap();
        let mut vt = Vt::new(10, 2);
        vt.feed("\x1b[?25lhi");
        out.frame(&vt, 0).unwrap();
        vt.feed("\x1b[31m!");
        out.frame(&vt, 1_000_000).unwrap();
        vt.feed("\x08 \x08");
        out.frame(&vt, 2_000_000).unwrap();
        out.finish(3_000_000).unwrap();
        assert_eq!(out.screens, 2);
        let svg = String::from_utf8(out.w).unwrap();
        assert!(svg.contains("<tspan x=\"0\">hi</tspan>"), "{svg}");
        assert!(
            svg.contains("66.6667%{transform:translateY(-0px)}"),
            "{svg}"
        );
        assert!(svg.contains(".s{animation:k 3s"), "{svg}");
    }
}
