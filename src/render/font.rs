//! Fonts: found among the system's fonts with fontdb, rasterised with fontdue, each glyph once.
//!
//! Why fontdue: every glyph a recording shows is rasterised once per style and size and then
//! copied from the cache, so the rasteriser's speed barely counts (a 20-minute benchmark
//! recording needs a few hundred glyphs, a few milliseconds with any of fontdue, ab_glyph or
//! swash); what counts is a small, safe, permissively licensed dependency that reads TrueType
//! and gives coverage bitmaps with their metrics. fontdue does exactly that with no transitive
//! dependencies beyond ttf-parser; swash adds shaping and hinting we have no use for in a cell
//! grid. fontdb finds fonts by family name the way fontconfig would, without linking it.
//!
//! Coverage is quantised to [`LEVELS`] steps when cached (none, a third, two thirds, full):
//! at terminal sizes four shades of each foreground/background pair look like sixteen, and
//! fewer colours compress better. On the 20-minute benchmark recording the GIF was 61 MB
//! with 16 shades, 53 MB with 8 and 44 MB with 4 (the 2.5-minute one: 5.2, 4.6 (5 shades)
//! and 4.3 MB).
//!
//! When no face of the list has a bold or italic style, bold is drawn by widening each stroke
//! by a pixel and italic by slanting the bitmap. A character no loaded font has is drawn as a
//! box, so it is still visibly there.

use std::collections::HashMap;

use fontdb::{Database, Family, Query, Stretch, Style, Weight};
use fontdue::{Font, FontSettings};

/// Shades of coverage kept per pixel (0 is background, `LEVELS - 1` is full ink).
pub const LEVELS: u8 = 4;

/// The default font list: the first one found wins.
pub const DEFAULT_FAMILIES: &str = "DejaVu Sans Mono,Liberation Mono,Noto Sans Mono,Menlo,Consolas";

/// Bits of a glyph's style.
pub const BOLD: u8 = 1;
pub const ITALIC: u8 = 2;

/// Glyphs kept before the cache starts over (bounds memory on input that shows every
/// character of Unicode).
const MAX_GLYPHS: usize = 8192;

/// One of the four styles of the chosen family: where it is, whether bold or italic must be
/// synthesised on it, and the face once loaded.
struct Face {
    id: fontdb::ID,
    fake_bold: bool,
    fake_italic: bool,
    font: Option<Font>,
}

/// The fonts a picture is drawn with, the cell size, and the glyph cache.
///
/// Faces are parsed only when first needed (fontdue keeps every glyph's outline of a face it
/// parses, a few megabytes each): the bold face when something is bold, a fallback font
/// when a character the main face lacks is found in it, which is checked on the font file
/// without parsing it whole.
pub struct Fonts {
    db: Database,
    /// Regular, bold, italic, bold italic.
    faces: Vec<Face>,
    /// Other fonts tried, in order, for characters the main face lacks.
    fallbacks: Vec<(fontdb::ID, Option<Font>)>,
    px: f32,
    /// The family the main face came from.
    pub family: String,
    pub cell_w: usize,
    pub cell_h: usize,
    baseline: i32,
    cache: HashMap<(char, u8, u8), Glyph>,
}

/// A glyph as coverage levels over the cells it covers (`cells * cell_w` by `cell_h`).
pub struct Glyph {
    pub width: usize,
    pub cov: Vec<u8>,
}

fn load_face(db: &Database, id: fontdb::ID, px: f32) -> Option<Font> {
    db.with_face_data(id, |data, index| {
        let settings = FontSettings {
            collection_index: index,
            scale: px.max(8.0),
            // Substitution tables serve shaping, which a cell grid does not do.
            load_substitutions: false,
        };
        Font::from_bytes(data, settings).ok()
    })
    .flatten()
}

/// True when the font `id` has a glyph for `c` (read from its character map only).
fn face_has(db: &Database, id: fontdb::ID, c: char) -> bool {
    db.with_face_data(id, |data, index| {
        ttf_parser::Face::parse(data, index)
            .ok()
            .and_then(|f| f.glyph_index(c))
            .is_some_and(|g| g.0 != 0)
    })
    .unwrap_or(false)
}

impl Fonts {
    /// Loads the first family of `families` (a comma-separated list) that is installed, at
    /// `size` pixels, with rows `line_height` times the size. Errors when none is found.
    pub fn load(families: &str, size: f32, line_height: f32) -> Result<Fonts, String> {
        let mut db = Database::new();
        db.load_system_fonts();
        Fonts::load_from(db, families, size, line_height)
    }

    fn load_from(
        db: Database,
        families: &str,
        size: f32,
        line_height: f32,
    ) -> Result<Fonts, String> {
        let names: Vec<&str> = families
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let query = |name: &str, weight: Weight, style: Style| {
            let fam = [match name {
                "monospace" => Family::Monospace,
                n => Family::Name(n),
            }];
            db.query(&Query {
                families: &fam,
                weight,
                stretch: Stretch::Normal,
                style,
            })
        };
        let Some(name) = names
            .iter()
            .copied()
            .chain(["monospace"])
            .find(|n| query(n, Weight::NORMAL, Style::Normal).is_some())
        else {
            return Err(format!(
                "no font found among '{families}' (install fonts-dejavu-core)"
            ));
        };
        let mut faces = Vec::new();
        for (weight, style) in [
            (Weight::NORMAL, Style::Normal),
            (Weight::BOLD, Style::Normal),
            (Weight::NORMAL, Style::Italic),
            (Weight::BOLD, Style::Italic),
        ] {
            let id = query(name, weight, style).ok_or("font vanished")?;
            let info = db.face(id).ok_or("font vanished")?;
            faces.push(Face {
                id,
                fake_bold: weight == Weight::BOLD && info.weight.0 < 600,
                fake_italic: style == Style::Italic && info.style == Style::Normal,
                font: None,
            });
        }
        let main = load_face(&db, faces[0].id, size)
            .ok_or_else(|| format!("cannot read the font '{name}'"))?;
        let cell_w = main.metrics('M', size).advance_width.round().max(1.0) as usize;
        let cell_h = (size * line_height).round().max(1.0) as usize;
        let lm = main.horizontal_line_metrics(size);
        let (ascent, descent) = lm.map_or((size * 0.8, -size * 0.2), |m| (m.ascent, m.descent));
        // The glyph box (ascent - descent) is centred in the row.
        let extra = cell_h as f32 - (ascent - descent);
        let baseline = (extra / 2.0 + ascent).round() as i32;
        faces[0].font = Some(main);
        let mut fallbacks: Vec<(fontdb::ID, Option<Font>)> = Vec::new();
        for other in names
            .iter()
            .copied()
            .filter(|n| *n != name)
            .chain(["DejaVu Sans", "monospace"])
        {
            if let Some(id) = query(other, Weight::NORMAL, Style::Normal)
                && id != faces[0].id
                && !fallbacks.iter().any(|f| f.0 == id)
            {
                fallbacks.push((id, None));
            }
        }
        Ok(Fonts {
            db,
            faces,
            fallbacks,
            px: size,
            family: name.to_string(),
            cell_w,
            cell_h,
            baseline,
            cache: HashMap::new(),
        })
    }

    /// The glyph for `c` in `style` over `cells` cells, rasterised on first use.
    pub fn glyph(&mut self, c: char, style: u8, cells: u8) -> &Glyph {
        let key = (c, style, cells);
        if !self.cache.contains_key(&key) {
            if self.cache.len() >= MAX_GLYPHS {
                self.cache.clear();
            }
            let g = self.rasterize(c, style, cells);
            self.cache.insert(key, g);
        }
        &self.cache[&key]
    }

    /// Glyphs rasterised so far.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// The face of `style`, parsed on first use; the regular face when it cannot be read.
    fn face(&mut self, style: u8) -> (&Font, bool, bool) {
        let k = (style & 3) as usize;
        if self.faces[k].font.is_none() {
            self.faces[k].font = load_face(&self.db, self.faces[k].id, self.px);
        }
        match &self.faces[k].font {
            Some(f) => (f, self.faces[k].fake_bold, self.faces[k].fake_italic),
            None => (
                self.faces[0].font.as_ref().expect("loaded first"),
                style & BOLD != 0,
                style & ITALIC != 0,
            ),
        }
    }

    /// The first fallback font that has `c`, parsed on first use.
    fn fallback(&mut self, c: char) -> Option<&Font> {
        let k = self.fallbacks.iter().position(|(id, f)| match f {
            Some(f) => f.has_glyph(c),
            None => face_has(&self.db, *id, c),
        })?;
        if self.fallbacks[k].1.is_none() {
            self.fallbacks[k].1 = load_face(&self.db, self.fallbacks[k].0, self.px);
        }
        self.fallbacks[k].1.as_ref()
    }

    fn rasterize(&mut self, c: char, style: u8, cells: u8) -> Glyph {
        let width = self.cell_w * cells.max(1) as usize;
        let (h, px, baseline) = (self.cell_h, self.px, self.baseline);
        let mut cov = vec![0u8; width * h];
        let (font, fake_bold, fake_italic) = match self.face(style) {
            (f, b, i) if f.has_glyph(c) => (f, b, i),
            _ => match self.fallback(c) {
                Some(f) => (f, style & BOLD != 0, style & ITALIC != 0),
                None => {
                    tofu(&mut cov, width, h);
                    return Glyph { width, cov };
                }
            },
        };
        let (m, bitmap) = font.rasterize(c, px);
        // A glyph narrower than its cells (a wide character from a fallback font) is centred.
        let slack = (width as f32 - m.advance_width).max(0.0) / 2.0;
        let x0 = m.xmin + slack.round() as i32;
        let y0 = baseline - m.ymin - m.height as i32;
        for gy in 0..m.height {
            let y = y0 + gy as i32;
            if y < 0 || y >= h as i32 {
                continue;
            }
            let slant = if fake_italic {
                ((baseline - y) as f32 * 0.2).round() as i32
            } else {
                0
            };
            for gx in 0..m.width {
                let x = x0 + gx as i32 + slant;
                if x < 0 || x >= width as i32 {
                    continue;
                }
                let v = quantize(bitmap[gy * m.width + gx]);
                let i = y as usize * width + x as usize;
                cov[i] = cov[i].max(v);
                if fake_bold && (x as usize) + 1 < width {
                    cov[i + 1] = cov[i + 1].max(v);
                }
            }
        }
        Glyph { width, cov }
    }
}

fn quantize(v: u8) -> u8 {
    ((v as u32 * (LEVELS as u32 - 1) + 127) / 255) as u8
}

/// A hollow box for a character no font has.
fn tofu(cov: &mut [u8], w: usize, h: usize) {
    let full = LEVELS - 1;
    let (x0, x1, y0, y1) = (1, w.saturating_sub(2), h / 5, h - h / 5 - 1);
    for y in y0..=y1 {
        for x in x0..=x1.max(x0) {
            if y == y0 || y == y1 || x == x0 || x == x1 {
                cov[y * w + x] = full;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_have_ink_and_spaces_none() {
        let Ok(mut f) = Fonts::load(DEFAULT_FAMILIES, 14.0, 1.4) else {
            panic!("no monospace font installed (fonts-dejavu-core)");
        };
        assert!(f.cell_w >= 6 && f.cell_h >= 14, "{}x{}", f.cell_w, f.cell_h);
        let ink = |g: &Glyph| g.cov.iter().filter(|&&v| v > 0).count();
        assert_eq!(ink(f.glyph(' ', 0, 1)), 0);
        let a = ink(f.glyph('a', 0, 1));
        let b = ink(f.glyph('a', BOLD, 1));
        assert!(a > 5 && b > a, "{a} {b}");
        // Unknown to every font: still drawn, as a box two cells wide.
        let cw = f.cell_w;
        let g = f.glyph('\u{10fffd}', 0, 2);
        assert_eq!(g.width, 2 * cw);
        assert!(ink(g) > 10);
        assert_eq!(f.cached(), 4);
    }
}
