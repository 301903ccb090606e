//! Playing a [`Tape`] into a session: what to type and when.
//!
//! The session asks [`Script::next`] what to do whenever it wakes (a timer it was given ran
//! out, or the program wrote something), and keeps asking until it is told to sleep. The
//! script never blocks and owns no descriptor: it turns the tape into keys to write, `Hide`
//! and `Show`, and the instant it next needs attention, from the clock and the screen the
//! session shows it. That keeps one `poll()` loop in charge of everything, and a `Wait` is
//! checked exactly when the screen can have changed (after output) rather than on a ticker.
//!
//! Typing is one key at a time with the typing speed after each, as VHS types: each key is
//! its own write, so the program sees (and echoes) it alone, and with `-I` each is its own
//! `i` event. `--typing-jitter` varies each pause between half and one and a half times the
//! speed, from a generator seeded by the clock; without it every run types identically.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use regex::Regex;

use crate::error::{Error, Result};
use crate::rec::tape::{self, Action, Press, Scope, Step, Tape};
use crate::vt::Vt;

/// What the session should do now.
#[derive(Debug, PartialEq, Eq)]
pub enum Do {
    /// Write these bytes to the program (one key, or a paste).
    Send(Vec<u8>),
    /// Stop recording, and stop the recording's clock.
    Hide,
    /// Record again, starting with a picture of the screen.
    Show,
    /// Nothing until this instant (or until the program writes something).
    Sleep(Instant),
    /// The tape is over.
    Done,
}

/// Where the script is.
#[derive(Debug)]
enum State {
    /// Ready for the next step.
    Ready,
    Pause(Instant),
    /// Pressing `keys`; the next (`keys[i]`) is due at `due`, the pause after each is `delay`.
    Typing {
        keys: Vec<Press>,
        i: usize,
        due: Instant,
        delay: Duration,
    },
    Waiting {
        scope: Scope,
        pattern: Regex,
        until: Instant,
        timeout: Duration,
        file: PathBuf,
        line: u64,
    },
    Done,
}

/// A tape being played.
pub struct Script {
    steps: std::vec::IntoIter<Step>,
    state: State,
    typing_speed: Duration,
    wait_timeout: Duration,
    wait_pattern: Regex,
    clipboard: String,
    /// With `--typing-jitter`: xorshift state.
    jitter: Option<u64>,
}

impl Script {
    /// A script for `tape`'s steps; `jitter` varies the pauses between keys.
    pub fn new(tape: Tape, jitter: bool) -> Script {
        let seed = jitter.then(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64);
            t | 1
        });
        Script {
            steps: tape.steps.into_iter(),
            state: State::Ready,
            typing_speed: tape::DEFAULT_TYPING_SPEED,
            wait_timeout: tape::DEFAULT_WAIT_TIMEOUT,
            wait_pattern: Regex::new(tape::DEFAULT_WAIT_PATTERN).expect("a valid pattern"),
            clipboard: String::new(),
            jitter: seed,
        }
    }

    /// The pause after a key: the speed, varied by up to half with jitter.
    fn pause(&mut self, speed: Duration) -> Duration {
        let Some(x) = self.jitter.as_mut() else {
            return speed;
        };
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        let f = 0.5 + (*x >> 11) as f64 / (1u64 << 53) as f64;
        speed.mul_f64(f)
    }

    /// What to do at `now`, with the screen as it is. Call again after each [`Do::Send`],
    /// [`Do::Hide`] and [`Do::Show`]. A `Wait` that runs out of time is an error naming the
    /// tape's line, the pattern and what the screen showed.
    pub fn next(&mut self, now: Instant, screen: &Vt) -> Result<Do> {
        loop {
            match &mut self.state {
                State::Done => return Ok(Do::Done),
                State::Pause(until) => {
                    if now < *until {
                        return Ok(Do::Sleep(*until));
                    }
                    self.state = State::Ready;
                }
                State::Typing {
                    keys,
                    i,
                    due,
                    delay,
                } => {
                    if now < *due {
                        return Ok(Do::Sleep(*due));
                    }
                    if *i == keys.len() {
                        self.state = State::Ready;
                        continue;
                    }
                    let mut out = Vec::new();
                    keys[*i].bytes(screen.terminal().cursor_key_app_mode(), &mut out);
                    *i += 1;
                    let d = *delay;
                    let p = self.pause(d);
                    if let State::Typing { due, .. } = &mut self.state {
                        *due = now + p;
                    }
                    return Ok(Do::Send(out));
                }
                State::Waiting {
                    scope,
                    pattern,
                    until,
                    timeout,
                    file,
                    line,
                } => {
                    let seen = shown(screen, *scope);
                    if pattern.is_match(&seen) {
                        self.state = State::Ready;
                        continue;
                    }
                    if now < *until {
                        return Ok(Do::Sleep(*until));
                    }
                    let last = seen.lines().rev().find(|l| !l.trim().is_empty());
                    let what = match scope {
                        Scope::Line => "the cursor's line",
                        Scope::Screen => "the screen",
                    };
                    return Err(Error::msg(format!(
                        "Wait timed out after {}: /{}/ not found on {what} (its last line: {:?})",
                        seconds(*timeout),
                        pattern.as_str(),
                        last.unwrap_or("")
                    ))
                    .in_file(file.clone())
                    .at_line(*line));
                }
                State::Ready => {
                    let Some(step) = self.steps.next() else {
                        self.state = State::Done;
                        return Ok(Do::Done);
                    };
                    if let Some(d) = self.start(step, now) {
                        return Ok(d);
                    }
                }
            }
        }
    }

    /// Begins a step; returns what to do at once, if anything.
    fn start(&mut self, step: Step, now: Instant) -> Option<Do> {
        match step.action {
            Action::Keys { keys, speed } => {
                self.state = State::Typing {
                    keys,
                    i: 0,
                    due: now,
                    delay: speed.unwrap_or(self.typing_speed),
                };
            }
            Action::Sleep(d) => self.state = State::Pause(now + d),
            Action::Wait {
                scope,
                pattern,
                timeout,
            } => {
                let timeout = timeout.unwrap_or(self.wait_timeout);
                self.state = State::Waiting {
                    scope,
                    pattern: pattern.unwrap_or_else(|| self.wait_pattern.clone()),
                    until: now + timeout,
                    timeout,
                    file: step.file,
                    line: step.line,
                };
            }
            Action::Hide => return Some(Do::Hide),
            Action::Show => return Some(Do::Show),
            Action::Copy(s) => self.clipboard = s,
            Action::Paste => return Some(Do::Send(self.clipboard.as_bytes().to_vec())),
            Action::TypingSpeed(d) => self.typing_speed = d,
            Action::WaitTimeout(d) => self.wait_timeout = d,
            Action::WaitPattern(r) => self.wait_pattern = r,
        }
        None
    }
}

/// What a `Wait` matches against: the cursor's line, or the whole screen.
fn shown(screen: &Vt, scope: Scope) -> String {
    let lines = screen.lines();
    match scope {
        Scope::Screen => lines.join("\n"),
        Scope::Line => {
            let row = screen.terminal().cursor().row;
            lines.get(row).cloned().unwrap_or_default()
        }
    }
}

fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn script(text: &str) -> Script {
        Script::new(Tape::parse(Path::new("t.tape"), text).unwrap(), false)
    }

    #[test]
    fn keys_come_one_at_a_time_at_the_typing_speed() {
        let mut s = script("Set TypingSpeed 100ms\nType \"ab\"\nEnter@10ms\n");
        let vt = Vt::new(80, 24);
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(s.next(t0, &vt).unwrap(), Do::Send(b"a".to_vec()));
        assert_eq!(s.next(t0, &vt).unwrap(), Do::Sleep(ms(100)));
        assert_eq!(s.next(ms(100), &vt).unwrap(), Do::Send(b"b".to_vec()));
        assert_eq!(s.next(ms(150), &vt).unwrap(), Do::Sleep(ms(200)));
        assert_eq!(s.next(ms(200), &vt).unwrap(), Do::Send(b"\r".to_vec()));
        assert_eq!(s.next(ms(200), &vt).unwrap(), Do::Sleep(ms(210)));
        assert_eq!(s.next(ms(210), &vt).unwrap(), Do::Done);
        assert_eq!(s.next(ms(300), &vt).unwrap(), Do::Done);
    }

    #[test]
    fn wait_holds_until_the_screen_matches() {
        let mut s = script("Wait+Screen@1s /ready/\nType \"x\"\nWait@2s /nope/\n");
        let mut vt = Vt::new(20, 5);
        let t0 = Instant::now();
        let s1 = t0 + Duration::from_secs(1);
        assert_eq!(s.next(t0, &vt).unwrap(), Do::Sleep(s1));
        vt.feed("all ready\r\n> ");
        let t1 = t0 + Duration::from_millis(300);
        assert_eq!(s.next(t1, &vt).unwrap(), Do::Send(b"x".to_vec()));
        // The key's pause, then the wait begins.
        let t2 = t1 + Duration::from_millis(50);
        assert_eq!(
            s.next(t2, &vt).unwrap(),
            Do::Sleep(t2 + Duration::from_secs(2))
        );
        let e = s
            .next(t2 + Duration::from_secs(2), &vt)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "t.tape: line 3: Wait timed out after 2s: /nope/ not found on the cursor's line \
             (its last line: \">\")"
        );
    }

    #[test]
    fn the_default_pattern_is_the_prompt() {
        let mut s = script("Wait\nHide\nShow\nCopy \"p\"\nPaste\n");
        let mut vt = Vt::new(20, 5);
        let t0 = Instant::now();
        assert!(matches!(s.next(t0, &vt).unwrap(), Do::Sleep(_)));
        vt.feed("> ");
        assert_eq!(s.next(t0, &vt).unwrap(), Do::Hide);
        assert_eq!(s.next(t0, &vt).unwrap(), Do::Show);
        assert_eq!(s.next(t0, &vt).unwrap(), Do::Send(b"p".to_vec()));
        assert_eq!(s.next(t0, &vt).unwrap(), Do::Done);
    }

    #[test]
    fn jitter_stays_within_half_the_speed() {
        let mut s = Script::new(Tape::default(), true);
        let speed = Duration::from_millis(100);
        for _ in 0..1000 {
            let p = s.pause(speed);
            assert!(p >= speed / 2 && p <= speed * 3 / 2, "{p:?}");
        }
    }
}
