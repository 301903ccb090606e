//! Colour themes and the rule that turns a cell's pen into the two colours drawn.
//!
//! A theme is a background, a foreground and the 16 basic colours; the rest of the 256-colour
//! palette is xterm's fixed cube and grey ramp. The built-in themes carry the published
//! colours of the schemes they are named after. `--theme` also takes the recording's own
//! header theme (`header`, the default when the header has one) and a custom list in agg's
//! form: `BG,FG,C0,...,C7` or with all 16 colours, hex with or without `#`.

use avt::{Color, Pen};
use serde_json::Value;

use crate::header::Header;

/// An RGB colour packed as `0xRRGGBB`.
pub type Rgb = u32;

/// A colour theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub bg: Rgb,
    pub fg: Rgb,
    pub palette: [Rgb; 16],
}

/// The names `--theme` knows, besides `header` and a custom list.
pub const THEMES: &[&str] = &[
    "asciinema",
    "dracula",
    "monokai",
    "solarized-dark",
    "solarized-light",
    "nord",
    "github-dark",
    "github-light",
];

const fn t(bg: Rgb, fg: Rgb, palette: [Rgb; 16]) -> Theme {
    Theme { bg, fg, palette }
}

const SOLARIZED: [Rgb; 16] = [
    0x073642, 0xdc322f, 0x859900, 0xb58900, 0x268bd2, 0xd33682, 0x2aa198, 0xeee8d5, 0x002b36,
    0xcb4b16, 0x586e75, 0x657b83, 0x839496, 0x6c71c4, 0x93a1a1, 0xfdf6e3,
];

impl Theme {
    /// A built-in theme by name.
    pub fn named(name: &str) -> Option<Theme> {
        Some(match name {
            "asciinema" => t(
                0x121314,
                0xcccccc,
                [
                    0x000000, 0xdd3c69, 0x4ebf22, 0xddaf3c, 0x26b0d7, 0xb954e1, 0x54e1b9, 0xd9d9d9,
                    0x4d4d4d, 0xdd3c69, 0x4ebf22, 0xddaf3c, 0x26b0d7, 0xb954e1, 0x54e1b9, 0xffffff,
                ],
            ),
            "dracula" => t(
                0x282a36,
                0xf8f8f2,
                [
                    0x21222c, 0xff5555, 0x50fa7b, 0xf1fa8c, 0xbd93f9, 0xff79c6, 0x8be9fd, 0xf8f8f2,
                    0x6272a4, 0xff6e6e, 0x69ff94, 0xffffa5, 0xd6acff, 0xff92df, 0xa4ffff, 0xffffff,
                ],
            ),
            "monokai" => t(
                0x272822,
                0xf8f8f2,
                [
                    0x272822, 0xf92672, 0xa6e22e, 0xf4bf75, 0x66d9ef, 0xae81ff, 0xa1efe4, 0xf8f8f2,
                    0x75715e, 0xf92672, 0xa6e22e, 0xf4bf75, 0x66d9ef, 0xae81ff, 0xa1efe4, 0xf9f8f5,
                ],
            ),
            "solarized-dark" => t(0x002b36, 0x839496, SOLARIZED),
            "solarized-light" => t(0xfdf6e3, 0x657b83, SOLARIZED),
            "nord" => t(
                0x2e3440,
                0xeceff4,
                [
                    0x3b4252, 0xbf616a, 0xa3be8c, 0xebcb8b, 0x81a1c1, 0xb48ead, 0x88c0d0, 0xe5e9f0,
                    0x4c566a, 0xbf616a, 0xa3be8c, 0xebcb8b, 0x81a1c1, 0xb48ead, 0x8fbcbb, 0xeceff4,
                ],
            ),
            "github-dark" => t(
                0x0d1117,
                0xc9d1d9,
                [
                    0x484f58, 0xff7b72, 0x3fb950, 0xd29922, 0x58a6ff, 0xbc8cff, 0x39c5cf, 0xb1bac4,
                    0x6e7681, 0xffa198, 0x56d364, 0xe3b341, 0x79c0ff, 0xd2a8ff, 0x56d4dd, 0xf0f6fc,
                ],
            ),
            "github-light" => t(
                0xffffff,
                0x24292f,
                [
                    0x24292f, 0xcf222e, 0x116329, 0x4d2d00, 0x0969da, 0x8250df, 0x1b7c83, 0x6e7781,
                    0x57606a, 0xa40e26, 0x1a7f37, 0x633c01, 0x218bff, 0xa475f9, 0x3192aa, 0x8c959f,
                ],
            ),
            _ => return None,
        })
    }

    /// A custom theme in agg's form: `BG,FG,C0,...,C7` (8 colours, repeated as the bright
    /// ones) or `BG,FG,C0,...,C15`.
    pub fn custom(spec: &str) -> Option<Theme> {
        let cs: Option<Vec<Rgb>> = spec.split(',').map(parse_hex).collect();
        let cs = cs?;
        let n = cs.len() - 2;
        if n != 8 && n != 16 {
            return None;
        }
        let mut palette = [0; 16];
        for (i, p) in palette.iter_mut().enumerate() {
            *p = cs[2 + i % n];
        }
        Some(t(cs[0], cs[1], palette))
    }

    /// The recording's own theme (`theme` in v2, `term.theme` in v3), when it is complete.
    pub fn from_header(h: &Header) -> Option<Theme> {
        let th = h
            .get("theme")
            .or_else(|| h.get("term").and_then(|t| t.get("theme")))?;
        let get = |k: &str| th.get(k).and_then(Value::as_str).and_then(parse_hex);
        let cs: Option<Vec<Rgb>> = th
            .get("palette")?
            .as_str()?
            .split(':')
            .map(parse_hex)
            .collect();
        let cs = cs?;
        if cs.len() != 8 && cs.len() != 16 {
            return None;
        }
        let mut palette = [0; 16];
        for (i, p) in palette.iter_mut().enumerate() {
            *p = cs[i % cs.len()];
        }
        Some(t(get("bg")?, get("fg")?, palette))
    }

    /// Resolves `--theme`: a name, `header`, or a custom list. Without one, the header's theme
    /// when it has one, else asciinema's.
    pub fn choose(arg: Option<&str>, h: &Header) -> Result<Theme, String> {
        match arg {
            None => Ok(Theme::from_header(h).unwrap_or_else(|| Theme::named("asciinema").unwrap())),
            Some("header") => Theme::from_header(h)
                .ok_or_else(|| "--theme header: the recording has no theme in its header".into()),
            Some(s) => Theme::named(s)
                .or_else(|| Theme::custom(s))
                .ok_or_else(|| bad_theme(s)),
        }
    }

    /// The colour of palette entry `i` (0-255).
    pub fn indexed(&self, i: u8) -> Rgb {
        match i {
            0..=15 => self.palette[i as usize],
            16..=231 => {
                let i = i - 16;
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v as u32 };
                (level(i / 36) << 16) | (level((i / 6) % 6) << 8) | level(i % 6)
            }
            _ => {
                let g = 8 + 10 * (i - 232) as u32;
                (g << 16) | (g << 8) | g
            }
        }
    }

    fn color(&self, c: Color) -> Rgb {
        match c {
            Color::Indexed(i) => self.indexed(i),
            Color::RGB(c) => ((c.r as u32) << 16) | ((c.g as u32) << 8) | c.b as u32,
        }
    }

    /// The foreground and background a cell with `pen` is drawn in. Bold makes the eight
    /// basic colours bright (as xterm and agg do), faint mixes the foreground halfway to the
    /// background, inverse swaps them, and `cursor` (a block cursor on the cell) swaps again.
    pub fn colors(&self, pen: &Pen, cursor: bool) -> (Rgb, Rgb) {
        let mut fg = match pen.foreground() {
            Some(Color::Indexed(i)) if i < 8 && pen.is_bold() => self.indexed(i + 8),
            Some(c) => self.color(c),
            None => self.fg,
        };
        let mut bg = pen.background().map_or(self.bg, |c| self.color(c));
        if pen.is_faint() {
            fg = mix(bg, fg, 1, 2);
        }
        if pen.is_inverse() != cursor {
            std::mem::swap(&mut fg, &mut bg);
        }
        (fg, bg)
    }
}

/// `a` moved `num/den` of the way towards `b`, per channel.
pub fn mix(a: Rgb, b: Rgb, num: u32, den: u32) -> Rgb {
    let ch = |s: u32| {
        let (x, y) = ((a >> s) & 0xff, (b >> s) & 0xff);
        ((x * (den - num) + y * num + den / 2) / den) << s
    };
    ch(16) | ch(8) | ch(0)
}

fn bad_theme(s: &str) -> String {
    format!(
        "unknown theme '{s}': expected one of {}, header, or BG,FG,C0,...,C7[,...,C15] in hex",
        THEMES.join(", ")
    )
}

/// Checks a `--theme` value (the header's theme is checked once the header is read).
pub fn parse_theme(s: &str) -> Result<String, String> {
    if s == "header" || Theme::named(s).is_some() || Theme::custom(s).is_some() {
        Ok(s.to_string())
    } else {
        Err(bad_theme(s))
    }
}

/// `#rrggbb`, `rrggbb` or `#rgb`.
pub fn parse_hex(s: &str) -> Option<Rgb> {
    let h = s.trim();
    let h = h.strip_prefix('#').unwrap_or(h);
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match h.len() {
        6 => u32::from_str_radix(h, 16).ok(),
        3 => {
            let v = u32::from_str_radix(h, 16).ok()?;
            let (r, g, b) = ((v >> 8) & 15, (v >> 4) & 15, v & 15);
            Some(((r * 17) << 16) | ((g * 17) << 8) | (b * 17))
        }
        _ => None,
    }
}

/// `#rrggbb`.
pub fn hex(c: Rgb) -> String {
    format!("#{c:06x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_cube_and_greys() {
        let th = Theme::named("asciinema").unwrap();
        assert_eq!(th.indexed(16), 0x000000);
        assert_eq!(th.indexed(196), 0xff0000);
        assert_eq!(th.indexed(231), 0xffffff);
        assert_eq!(th.indexed(232), 0x080808);
        assert_eq!(th.indexed(255), 0xeeeeee);
    }

    #[test]
    fn custom_and_header_themes() {
        let c =
            Theme::custom("000000,ffffff,#111111,222222,333333,444444,555555,666666,777777,888888")
                .unwrap();
        assert_eq!(
            (c.bg, c.fg, c.palette[1], c.palette[9]),
            (0, 0xffffff, 0x222222, 0x222222)
        );
        assert!(Theme::custom("000000,ffffff,123").is_none());
        let h = Header::parse_line(
            br##"{"version":2,"width":8,"height":2,"theme":{"fg":"#d0d0d0","bg":"#212121","palette":"#000000:#aa0000:#00aa00:#aaaa00:#0000aa:#aa00aa:#00aaaa:#aaaaaa"}}"##,
        )
        .unwrap();
        let th = Theme::choose(None, &h).unwrap();
        assert_eq!(
            (th.bg, th.fg, th.palette[1]),
            (0x212121, 0xd0d0d0, 0xaa0000)
        );
        assert!(Theme::choose(Some("header"), &Header::new(crate::Version::V2, 8, 2)).is_err());
    }

    #[test]
    fn mixing() {
        assert_eq!(mix(0x000000, 0xffffff, 1, 2), 0x808080);
        assert_eq!(mix(0x102030, 0x102030, 3, 15), 0x102030);
    }
}
