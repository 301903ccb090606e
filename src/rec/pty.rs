//! Pseudo-terminals: opening a pair, sizing it, reading its settings. The recorded program
//! is started on one by [`program`](super::program).
//!
//! The program runs in a new session with the pty's slave side as its controlling terminal,
//! so it sees a terminal exactly as it would in a terminal emulator: `isatty` is true, job
//! control works, Ctrl-C becomes SIGINT through the pty's own line discipline. With
//! `--stderr` a second pty carries fd 2, so the program still sees a terminal there (colours
//! and line buffering stay on, which a pipe would turn off) while the recorder can tell the
//! two streams apart.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::pty::{Winsize, openpty};
use nix::sys::termios::{InputFlags, LocalFlags, OutputFlags, Termios, tcgetattr};

/// Both ends of a new pseudo-terminal. The master is non-blocking; both are close-on-exec
/// (the child gets the slave through its standard descriptors only).
pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

impl Pty {
    /// Opens a pty of `cols` x `rows`, with `termios` as its settings when given (the
    /// user's terminal's, so the program sees the same erase key and modes) or the system's
    /// defaults.
    pub fn open(cols: u16, rows: u16, termios: Option<&Termios>) -> io::Result<Pty> {
        let ws = winsize(cols, rows);
        let r = openpty(&ws, termios).map_err(io::Error::from)?;
        for fd in [&r.master, &r.slave] {
            fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
        }
        let fl = OFlag::from_bits_retain(fcntl(&r.master, FcntlArg::F_GETFL)?);
        fcntl(&r.master, FcntlArg::F_SETFL(fl | OFlag::O_NONBLOCK))?;
        Ok(Pty {
            master: r.master,
            slave: r.slave,
        })
    }
}

fn winsize(cols: u16, rows: u16) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

nix::ioctl_read_bad!(get_winsize, libc::TIOCGWINSZ, Winsize);
nix::ioctl_write_ptr_bad!(put_winsize, libc::TIOCSWINSZ, Winsize);

/// The window size of a terminal as (cols, rows); `None` when `fd` is no terminal or reports
/// a zero size (some CI consoles do).
pub fn window_size(fd: BorrowedFd<'_>) -> Option<(u16, u16)> {
    let mut ws = winsize(0, 0);
    // SAFETY: TIOCGWINSZ writes one `struct winsize` to the pointer, which is valid.
    let r = unsafe { get_winsize(fd.as_raw_fd(), &mut ws) };
    (r.is_ok() && ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// Sets a pty's window size; the kernel then sends SIGWINCH to its foreground process group.
pub fn set_window_size(fd: BorrowedFd<'_>, cols: u16, rows: u16) -> io::Result<()> {
    let ws = winsize(cols, rows);
    // SAFETY: TIOCSWINSZ reads one `struct winsize` from the pointer, which is valid.
    unsafe { put_winsize(fd.as_raw_fd(), &ws) }?;
    Ok(())
}

/// The pty's current settings as the program set them (read through the master).
pub fn settings(master: BorrowedFd<'_>) -> Option<Termios> {
    tcgetattr(master.as_fd()).ok()
}

/// The terminal modes worth a marker when a program changes them, with stty's names.
const WATCHED_LOCAL: &[(LocalFlags, &str)] = &[
    (LocalFlags::ICANON, "icanon"),
    (LocalFlags::ECHO, "echo"),
    (LocalFlags::ISIG, "isig"),
    (LocalFlags::IEXTEN, "iexten"),
];
const WATCHED_INPUT: &[(InputFlags, &str)] =
    &[(InputFlags::IXON, "ixon"), (InputFlags::ICRNL, "icrnl")];
const WATCHED_OUTPUT: &[(OutputFlags, &str)] = &[(OutputFlags::OPOST, "opost")];

/// The watched modes that differ between `old` and `new`, as stty writes them
/// (`-icanon -echo` when a program enters raw mode, `icanon echo` when it leaves);
/// empty when none changed.
pub fn mode_changes(old: &Termios, new: &Termios) -> String {
    let mut out = String::new();
    let mut note = |on: bool, name: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        if !on {
            out.push('-');
        }
        out.push_str(name);
    };
    for &(f, name) in WATCHED_LOCAL {
        if old.local_flags.contains(f) != new.local_flags.contains(f) {
            note(new.local_flags.contains(f), name);
        }
    }
    for &(f, name) in WATCHED_INPUT {
        if old.input_flags.contains(f) != new.input_flags.contains(f) {
            note(new.input_flags.contains(f), name);
        }
    }
    for &(f, name) in WATCHED_OUTPUT {
        if old.output_flags.contains(f) != new.output_flags.contains(f) {
            note(new.output_flags.contains(f), name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::termios::{SetArg, cfmakeraw, tcsetattr};

    #[test]
    fn a_new_pty_has_the_size_asked_for_and_resizes() {
        let p = Pty::open(100, 30, None).unwrap();
        assert_eq!(window_size(p.slave.as_fd()), Some((100, 30)));
        set_window_size(p.master.as_fd(), 90, 20).unwrap();
        assert_eq!(window_size(p.slave.as_fd()), Some((90, 20)));
    }

    #[test]
    fn mode_changes_are_named_like_stty() {
        let p = Pty::open(80, 24, None).unwrap();
        let before = settings(p.master.as_fd()).unwrap();
        assert_eq!(mode_changes(&before, &before), "");
        let mut raw = before.clone();
        cfmakeraw(&mut raw);
        tcsetattr(&p.slave, SetArg::TCSANOW, &raw).unwrap();
        let after = settings(p.master.as_fd()).unwrap();
        let text = mode_changes(&before, &after);
        assert!(text.starts_with("-icanon -echo -isig"), "{text}");
        assert!(mode_changes(&after, &before).starts_with("icanon echo isig"));
    }
}
