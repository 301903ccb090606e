//! A terminal emulator for tools that need to know what a recording shows at some moment.
//!
//! [`Vt`] is asciinema's own virtual terminal (the `avt` crate, the one asciinema's player and
//! `asciinema convert` use) plus the little state avt does not keep. Feed it output and resizes
//! in order; at any point it can describe its screen ([`Vt::lines`], [`Vt::terminal`]) or
//! produce a *repaint*: escape sequences that bring another terminal of the same size to the
//! same state ([`Vt::repaint`]). cast-cut writes a repaint at each seam, so what a viewer sees
//! after a cut is what the original showed at that moment, without replaying the removed output.
//!
//! What a repaint restores, from avt: the primary screen and, when it is active, the alternate
//! screen with the primary one kept underneath; every cell's character, colours and attributes
//! (bold, faint, italic, underline, blink, inverse, strikethrough); line wrapping; the cursor's
//! position (including a pending wrap at the right edge) and visibility; the pen; both saved
//! cursors; scroll margins; tab stops; the G0/G1 line-drawing charsets and shift state; insert,
//! auto-wrap, origin, new-line and application-cursor-keys modes; an escape sequence cut off at
//! the seam. Added here, because avt ignores them: the window title (OSC 0/2), the default
//! colours and palette (OSC 10/11/12, OSC 4 and their resets), the cursor shape (DECSCUSR) and
//! reverse-video mode (DECSCNM).
//!
//! What it cannot restore: scrollback (lines that scrolled off the top are gone; avt is run
//! without history to keep memory constant), the icon name, and input-side modes a player has no
//! use for (mouse reporting, bracketed paste, focus events, keyboard protocols). Sixel and other
//! images are not emulated.
//!
//! Memory is the size of one screen, whatever the length of the recording.

use crate::ansi::{StrKind, Token, Tokenizer};
use avt::Terminal;

/// The widest terminal emulated. Sizes are u16 in asciicast readers (asciinema's among them),
/// so a recording may claim 65535x65535: four billion cells, tens of gigabytes of emulator.
/// No real terminal is more than a few thousand columns wide, so castkit caps what it emulates.
pub const MAX_COLS: u16 = 4096;
/// The tallest terminal emulated.
pub const MAX_ROWS: u16 = 4096;
/// The most cells emulated: a screen of 1,048,576 cells holds avt's two screens in a few tens
/// of megabytes, whatever the recording claims.
pub const MAX_CELLS: u32 = 1 << 20;
/// The cap in words, for messages.
pub const CAP_TEXT: &str = "at most 4096 columns, 4096 rows and 1048576 cells";

/// The size castkit emulates for a terminal of `cols` x `rows`: at most [`MAX_COLS`] columns,
/// then at most [`MAX_ROWS`] rows and [`MAX_CELLS`] cells in all (rows give way first, as a
/// screen taller than the cell budget allows is the rarer and less useful one). Every emulator
/// castkit runs goes through this one function.
pub fn cap_size((cols, rows): (u16, u16)) -> (u16, u16) {
    let cols = cols.clamp(1, MAX_COLS);
    let rows = (rows.clamp(1, MAX_ROWS) as u32).min(MAX_CELLS / cols as u32) as u16;
    (cols, rows)
}

/// Longest OSC string (title, colour) remembered; longer ones are ignored, which keeps memory
/// bounded on hostile input.
const MAX_OSC: usize = 4096;
/// How avt's dump enters the alternate screen.
const ALT_1047: &str = "\x1b[?1047h";
/// Longest CSI parameter string looked at.
const MAX_CSI: usize = 64;

/// A virtual terminal: avt plus the state avt does not track.
pub struct Vt {
    term: Terminal,
    extra: Extra,
}

impl Vt {
    /// A blank terminal of `cols` x `rows`, capped by [`cap_size`].
    pub fn new(cols: u16, rows: u16) -> Vt {
        let (cols, rows) = cap_size((cols, rows));
        let term = Terminal::new(cols as usize, rows as usize).expect("size is at least 1x1");
        Vt {
            term,
            extra: Extra::default(),
        }
    }

    /// Interprets output: text and control sequences. A sequence may be split across calls.
    pub fn feed(&mut self, text: &str) {
        self.term.feed(text);
        self.extra.scan(text);
    }

    /// Resizes the terminal, as an `r` event does (the primary screen reflows, as in avt).
    /// The size is capped by [`cap_size`].
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let (cols, rows) = cap_size((cols, rows));
        self.term.resize(cols as usize, rows as usize);
    }

    /// The size as (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        let (c, r) = self.term.size();
        (c as u16, r as u16)
    }

    /// The active screen's visible rows as text, trailing blanks trimmed.
    pub fn lines(&self) -> Vec<String> {
        self.term
            .screen()
            .visible_lines()
            .map(|l| l.text().trim_end().to_string())
            .collect()
    }

    /// The window title last set by OSC 0 or 2, if any.
    pub fn title(&self) -> Option<&str> {
        self.extra.title.as_deref()
    }

    /// The underlying avt terminal, for reading cells, pens and the cursor.
    pub fn terminal(&self) -> &Terminal {
        &self.term
    }

    /// Escape sequences that bring a terminal of the same size to this terminal's state.
    ///
    /// With `reset`, they start by resetting the target terminal (CAN, then RIS), so they work
    /// whatever it showed before; without, the target must be a fresh terminal (as a player is
    /// at the start of a recording). The size is not part of a repaint: set it first (an `r`
    /// event). The result is about as long as the screen's text plus its colour changes.
    pub fn repaint(&self, reset: bool) -> String {
        let mut s = String::new();
        if reset {
            // CAN abandons any sequence the target was in the middle of; RIS resets it.
            s.push_str("\x18\x1bc");
        }
        self.extra.restore(&mut s, reset);
        let dump = expand_rep(&seven_bit(self.term.dump()));
        match dump.find(ALT_1047) {
            // avt enters the alternate screen with mode 1047, which some terminals lack (the
            // vt100 crate, Alacritty, Windows Terminal know only 1049). Following it with 1049
            // works everywhere: where 1047 worked, 1049 only saves the cursor into the alternate
            // screen's slot, which the rest of the dump sets again; elsewhere it switches, and
            // the primary screen's saved cursor becomes its live position.
            Some(k) if self.term.active_screen_kind() == avt::ScreenKind::Alternate => {
                let k = k + ALT_1047.len();
                s.push_str(&dump[..k]);
                s.push_str("\x1b[?1049h");
                s.push_str(&dump[k..]);
            }
            _ => s.push_str(&dump),
        }
        s
    }
}

/// Writes each REP (`CSI n b`, "repeat the preceding character n times") in `dump` out as the
/// characters it stands for. avt's dump uses REP for runs of six or more equal cells, but
/// pyte does not implement it and tmux ignores it after a non-ASCII character, so a seam drawn
/// with it loses text there (box-drawing rules shrink to one `─`, columns of spaces collapse).
/// With it expanded, the screen is drawn with plain characters, CUP, SGR and erases only.
fn expand_rep(dump: &str) -> String {
    let b = dump.as_bytes();
    let mut out = String::with_capacity(dump.len() + dump.len() / 4);
    // The character a REP would repeat: the last one printed, if nothing but it came since.
    let mut last: Option<char> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] != 0x1b {
            let ch = dump[i..].chars().next().expect("i is on a char boundary");
            out.push(ch);
            last = (ch >= ' ' && ch != '\x7f').then_some(ch);
            i += ch.len_utf8();
            continue;
        }
        // ESC: copy the whole sequence (a CSI's parameters, intermediates and final byte, or
        // an escape's intermediates and final byte), expanding REP.
        let start = i;
        let csi = b.get(i + 1) == Some(&b'[');
        let mut j = i + if csi { 2 } else { 1 };
        let params = j;
        if csi {
            while j < b.len() && (0x30..=0x3f).contains(&b[j]) {
                j += 1;
            }
        }
        let params_end = j;
        while j < b.len() && (0x20..=0x2f).contains(&b[j]) {
            j += 1;
        }
        let end = (j + 1).min(b.len());
        if csi
            && b.get(j) == Some(&b'b')
            && params_end == j
            && b[params..j].iter().all(u8::is_ascii_digit)
            && let Some(ch) = last
        {
            let n: usize = dump[params..j].parse().unwrap_or(1).max(1);
            out.extend(std::iter::repeat_n(ch, n));
        } else {
            out.push_str(&dump[start..end]);
            last = None;
        }
        i = end;
    }
    out
}

/// Replaces C1 controls (U+0080 to U+009F) with their 7-bit forms (ESC and a letter). avt
/// writes an escape sequence cut off at the seam with C1 introducers (U+009B for CSI), which
/// terminals in UTF-8 mode (the vt100 crate, VTE) do not take as controls.
fn seven_bit(s: String) -> String {
    if !s.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) {
            out.push('\x1b');
            out.push(char::from(c as u8 - 0x40));
        } else {
            out.push(c);
        }
    }
    out
}

/// Terminal state that avt ignores but a real terminal shows. Reads output with the shared
/// tokenizer ([`crate::ansi`]) and looks only at OSC strings and a few CSI sequences.
#[derive(Debug, Default)]
struct Extra {
    tok: Tokenizer,
    /// Inside an OSC string; its text so far, and whether it grew past [`MAX_OSC`].
    in_osc: bool,
    buf: String,
    overflow: bool,
    title: Option<String>,
    /// OSC 10, 11, 12: default foreground, background, cursor colour.
    colours: [Option<String>; 3],
    /// OSC 4 palette entries, index -> colour spec (at most 256).
    palette: Vec<(u8, String)>,
    /// True once any colour was set or reset, so a repaint resets colours first.
    colours_touched: bool,
    /// The last DECSCUSR sequence's parameters (`2 ` in `CSI 2 SP q`).
    cursor_shape: Option<String>,
    reverse_video: bool,
}

impl Extra {
    fn scan(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut tok = std::mem::take(&mut self.tok);
        let mut i = 0;
        while let Some(t) = tok.next(bytes, &mut i) {
            match t {
                Token::Esc {
                    inter: [],
                    fin: b'c',
                    ..
                } => self.ris(),
                Token::Csi {
                    body,
                    fin,
                    overflow: false,
                } if body.len() <= MAX_CSI => {
                    // The body is ASCII (0x20..=0x3F).
                    self.csi(std::str::from_utf8(body).unwrap_or_default(), fin as char)
                }
                Token::StrStart(kind) => {
                    self.in_osc = kind == StrKind::Osc;
                    self.buf.clear();
                    self.overflow = false;
                }
                Token::StrData(d) if self.in_osc && !self.overflow => {
                    if self.buf.len() + d.len() > MAX_OSC {
                        self.overflow = true;
                    } else {
                        // Pieces end at ASCII terminators or before `C2 9C`: whole chars.
                        self.buf
                            .push_str(std::str::from_utf8(d).unwrap_or_default());
                    }
                }
                Token::StrEnd { aborted: false } if self.in_osc => {
                    self.in_osc = false;
                    self.osc();
                }
                Token::StrEnd { .. } => self.in_osc = false,
                _ => {}
            }
        }
        self.tok = tok;
    }

    fn ris(&mut self) {
        let title = self.title.take();
        *self = Extra::default();
        // A reset leaves the window title alone in xterm and most terminals.
        self.title = title;
        self.colours_touched = true;
    }

    fn csi(&mut self, params: &str, fin: char) {
        match fin {
            'q' if params.ends_with(' ') => {
                let p = params.trim_end().to_string();
                self.cursor_shape = if p.is_empty() || p == "0" {
                    None
                } else {
                    Some(p)
                };
            }
            'h' | 'l' => {
                if let Some(params) = params.strip_prefix('?')
                    && params.split(';').any(|p| p == "5")
                {
                    self.reverse_video = fin == 'h';
                }
            }
            _ => {}
        }
    }

    fn osc(&mut self) {
        if self.overflow {
            return;
        }
        let buf = std::mem::take(&mut self.buf);
        let (ps, pt) = buf.split_once(';').unwrap_or((&buf, ""));
        match ps {
            "0" | "2" => self.title = Some(pt.to_string()),
            "10" | "11" | "12" => {
                let first = ps.as_bytes()[1] - b'0';
                // `OSC 10;fg;bg` sets successive colours.
                for (k, spec) in pt.split(';').enumerate() {
                    let slot = first as usize + k;
                    if slot < 3 && spec != "?" {
                        self.colours[slot] = Some(spec.to_string());
                        self.colours_touched = true;
                    }
                }
            }
            "110" | "111" | "112" => {
                self.colours[(ps.as_bytes()[2] - b'0') as usize] = None;
                self.colours_touched = true;
            }
            "4" => {
                let mut it = pt.split(';');
                while let (Some(i), Some(spec)) = (it.next(), it.next()) {
                    if let Ok(i) = i.parse::<u8>()
                        && spec != "?"
                    {
                        self.palette.retain(|(k, _)| *k != i);
                        self.palette.push((i, spec.to_string()));
                        self.colours_touched = true;
                    }
                }
            }
            "104" => {
                if pt.is_empty() {
                    self.palette.clear();
                } else {
                    for i in pt.split(';').filter_map(|i| i.parse::<u8>().ok()) {
                        self.palette.retain(|(k, _)| *k != i);
                    }
                }
                self.colours_touched = true;
            }
            _ => {}
        }
        self.buf = buf;
        self.buf.clear();
    }

    /// Appends sequences that set this state, on a terminal that was just reset (`reset`) or
    /// is fresh.
    fn restore(&self, s: &mut String, reset: bool) {
        if let Some(t) = &self.title {
            s.push_str("\x1b]2;");
            s.push_str(t);
            s.push('\x07');
        }
        if reset && self.colours_touched {
            // Not every terminal's RIS resets colours: reset them explicitly.
            s.push_str("\x1b]104\x07\x1b]110\x07\x1b]111\x07\x1b]112\x07");
        }
        for (k, c) in self.colours.iter().enumerate() {
            if let Some(c) = c {
                s.push_str(&format!("\x1b]1{k};{c}\x07"));
            }
        }
        for (i, c) in &self.palette {
            s.push_str(&format!("\x1b]4;{i};{c}\x07"));
        }
        if let Some(p) = &self.cursor_shape {
            s.push_str(&format!("\x1b[{p} q"));
        }
        if self.reverse_video {
            s.push_str("\x1b[?5h");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(vt: &Vt) -> Vec<Vec<avt::Cell>> {
        vt.terminal()
            .screen()
            .visible_lines()
            .map(|l| l.cells().to_vec())
            .collect()
    }

    fn same(a: &Vt, b: &Vt) {
        assert_eq!(cells(a), cells(b));
        assert_eq!(a.terminal().cursor(), b.terminal().cursor());
        assert_eq!(
            a.terminal().active_screen_kind(),
            b.terminal().active_screen_kind()
        );
    }

    #[test]
    fn repaint_onto_a_used_terminal_matches() {
        let mut a = Vt::new(20, 5);
        a.feed("hello\r\n\x1b[1;31mred\x1b[0m\x1b[?1049h\x1b[Halt \x1b[7mscreen\x1b[3;4H");
        let mut b = Vt::new(20, 5);
        b.feed("junk\x1b[?25l\x1b[44m everywhere\x1b[2;3r");
        b.feed(&a.repaint(true));
        same(&a, &b);
        // Hidden state carries on: leaving the alternate screen shows the primary one.
        a.feed("\x1b[?1049lmore");
        b.feed("\x1b[?1049lmore");
        same(&a, &b);
        assert_eq!(b.lines()[0], "hello");
    }

    /// The screen as the vt100 crate (an emulator other than avt) draws it: every cell's text
    /// and attributes.
    fn vt100_cells(p: &vt100::Parser) -> Vec<String> {
        let s = p.screen();
        let (rows, cols) = s.size();
        (0..rows.get())
            .map(|r| {
                (0..cols.get())
                    .map(|c| match s.cell(r, c) {
                        // A cell never written and a written blank look the same.
                        Some(cell) => format!(
                            "{}|{:?}{:?}{}{}{}",
                            if cell.has_contents() || cell.is_wide_continuation() {
                                cell.contents()
                            } else {
                                " "
                            },
                            cell.fgcolor(),
                            cell.bgcolor(),
                            cell.bold() as u8,
                            cell.inverse() as u8,
                            cell.underline() as u8
                        ),
                        None => String::new(),
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect()
    }

    fn nz(n: u16) -> std::num::NonZeroU16 {
        std::num::NonZeroU16::new(n).expect("positive")
    }

    #[test]
    fn repaint_draws_repeats_as_plain_characters() {
        // Rules of box drawing, runs of spaces (top's columns), a wide character repeated, a
        // run at the right edge with a pending wrap, colours, and a line of ASCII repeats.
        let output = "\x1b[H\x1b[2J┌──────────────────┐\r\n│\x1b[1;32m  PID USER      \x1b[0m│\r\nハハハハハハハ\r\n\x1b[44m          \x1b[0m==========\r\n└──────────────────┘\x1b[6;1H##############################";
        let mut a = Vt::new(30, 6);
        a.feed(output);
        for reset in [false, true] {
            let r = a.repaint(reset);
            // No CSI ending in `b` (REP) anywhere.
            let mut k = 0;
            while let Some(p) = r[k..].find("\x1b[") {
                let rest = &r[k + p + 2..];
                let fin = rest.find(|c: char| ('\x40'..='\x7e').contains(&c)).unwrap();
                assert_ne!(&rest[fin..fin + 1], "b", "REP in {r:?}");
                k += p + 2;
            }
            assert!(r.contains("──────────────────"), "{r:?}");
            assert!(r.contains("ハハハハハハハ"), "{r:?}");
            // Another emulator draws the same screen from the repaint as from the output.
            let mut want = vt100::Parser::new(nz(6), nz(30), 0);
            want.process(output.as_bytes());
            let mut got = vt100::Parser::new(nz(6), nz(30), 0);
            got.process(b"junk\x1b[31m on the screen\r\n");
            if !reset {
                got = vt100::Parser::new(nz(6), nz(30), 0);
            }
            got.process(r.as_bytes());
            assert_eq!(vt100_cells(&got), vt100_cells(&want));
            assert_eq!(
                got.screen().cursor_position(),
                want.screen().cursor_position()
            );
            // And avt.
            let mut b = Vt::new(30, 6);
            b.feed(&r);
            same(&a, &b);
        }
        assert_eq!(expand_rep("ab\x1b[3b\x1b[31mc\x1b[b"), "abbbb\x1b[31mcc");
        assert_eq!(expand_rep("\r\x1b[3b\x1b(0q"), "\r\x1b[3b\x1b(0q");
        assert_eq!(expand_rep("x\x1b[4"), "x\x1b[4");
    }

    #[test]
    fn sequence_cut_at_the_seam_continues() {
        let mut a = Vt::new(10, 2);
        a.feed("ab\x1b[3");
        let mut b = Vt::new(10, 2);
        b.feed(&a.repaint(false));
        a.feed("2mc");
        b.feed("2mc");
        same(&a, &b);
        a.feed("\x1b[38;2;4");
        assert!(a.repaint(false).ends_with("\x1b[38;2;4"));
    }

    #[test]
    fn tracks_what_avt_ignores() {
        let mut a = Vt::new(10, 2);
        a.feed("\x1b]0;first\x07\x1b]2;sec");
        a.feed("ond\x1b\\\x1b]11;#102030\x07\x1b[5 q\x1b[?5h\x1b]4;1;red;2;?\x07");
        assert_eq!(a.title(), Some("second"));
        let r = a.repaint(true);
        assert!(
            r.starts_with("\x18\x1bc\x1b]2;second\x07\x1b]104\x07"),
            "{r:?}"
        );
        assert!(r.contains("\x1b]11;#102030\x07"));
        assert!(r.contains("\x1b]4;1;red\x07") && !r.contains(";?"));
        assert!(r.contains("\x1b[5 q\x1b[?5h"));
        a.feed("\x1b]111\x07\x1b[0 q\x1b[?5l\x1b]104\x07");
        let r = a.repaint(false);
        assert!(!r.contains("\x1b]11;") && !r.contains(" q") && !r.contains("?5h"));
        // A title far too long is ignored, not stored.
        a.feed(&format!("\x1b]2;{}\x07", "x".repeat(MAX_OSC + 1)));
        assert_eq!(a.title(), Some("second"));
    }
}
