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

/// The built-in themes, one a line: the name `--theme` knows it by, then its colours in
/// the custom form (`BG,FG,C0,...,C15`), read by the same parser as a theme given that way.
/// The one place a theme is added.
const BUILT_IN: &str = "\
asciinema       121314,cccccc,000000,dd3c69,4ebf22,ddaf3c,26b0d7,b954e1,54e1b9,d9d9d9,4d4d4d,dd3c69,4ebf22,ddaf3c,26b0d7,b954e1,54e1b9,ffffff
dracula         282a36,f8f8f2,21222c,ff5555,50fa7b,f1fa8c,bd93f9,ff79c6,8be9fd,f8f8f2,6272a4,ff6e6e,69ff94,ffffa5,d6acff,ff92df,a4ffff,ffffff
monokai         272822,f8f8f2,272822,f92672,a6e22e,f4bf75,66d9ef,ae81ff,a1efe4,f8f8f2,75715e,f92672,a6e22e,f4bf75,66d9ef,ae81ff,a1efe4,f9f8f5
solarized-dark  002b36,839496,073642,dc322f,859900,b58900,268bd2,d33682,2aa198,eee8d5,002b36,cb4b16,586e75,657b83,839496,6c71c4,93a1a1,fdf6e3
solarized-light fdf6e3,657b83,073642,dc322f,859900,b58900,268bd2,d33682,2aa198,eee8d5,002b36,cb4b16,586e75,657b83,839496,6c71c4,93a1a1,fdf6e3
nord            2e3440,eceff4,3b4252,bf616a,a3be8c,ebcb8b,81a1c1,b48ead,88c0d0,e5e9f0,4c566a,bf616a,a3be8c,ebcb8b,81a1c1,b48ead,8fbcbb,eceff4
github-dark     0d1117,c9d1d9,484f58,ff7b72,3fb950,d29922,58a6ff,bc8cff,39c5cf,b1bac4,6e7681,ffa198,56d364,e3b341,79c0ff,d2a8ff,56d4dd,f0f6fc
github-light    ffffff,24292f,24292f,cf222e,116329,4d2d00,0969da,8250df,1b7c83,6e7781,57606a,a40e26,1a7f37,633c01,218bff,a475f9,3192aa,8c959f
";

/// The names `--theme` knows, besides `header` and a custom list.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILT_IN.lines().filter_map(|l| l.split_whitespace().next())
}

const fn t(bg: Rgb, fg: Rgb, palette: [Rgb; 16]) -> Theme {
    Theme { bg, fg, palette }
}

impl Theme {
    /// A built-in theme by name.
    pub fn named(name: &str) -> Option<Theme> {
        BUILT_IN.lines().find_map(|l| {
            let (n, spec) = l.split_once(' ')?;
            (n == name).then(|| Theme::custom(spec.trim_start()))?
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
        names().collect::<Vec<_>>().join(", ")
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
    fn built_in_themes_are_complete() {
        let names: Vec<_> = names().collect();
        assert_eq!(names.len(), 8);
        for n in names {
            assert!(Theme::named(n).is_some(), "{n}");
        }
        let d = Theme::named("dracula").unwrap();
        assert_eq!(
            (d.bg, d.fg, d.palette[0], d.palette[15]),
            (0x282a36, 0xf8f8f2, 0x21222c, 0xffffff)
        );
        assert!(Theme::named("dracul").is_none());
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
