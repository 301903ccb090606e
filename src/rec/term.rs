//! The user's terminal: raw mode while recording, and its restoration on every way out.
//!
//! While a session runs, the user's terminal is in raw mode so that every key (Ctrl-C,
//! Ctrl-Z, arrows) reaches the recorded program's pty unchanged, and that pty's own line
//! discipline does what a terminal would. The saved settings are put back when the guard is
//! dropped (normal end, error return, unwinding panic), and also by a panic hook, which runs
//! before anything else even when panics abort. Signals that end the recorder (SIGTERM,
//! SIGHUP) are caught by the session and end it normally, so the guard runs for them too.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::{Mutex, Once};

use nix::sys::termios::{SetArg, Termios, cfmakeraw, tcgetattr, tcsetattr};

/// The settings to restore, kept where the panic hook can reach them.
static SAVED: Mutex<Option<(RawFd, Termios)>> = Mutex::new(None);
static HOOK: Once = Once::new();

/// Puts the saved settings back, if any are held. Safe to call more than once.
pub fn restore() {
    // A poisoned lock still holds the settings; the terminal matters more than the poison.
    let mut saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((fd, t)) = saved.take() {
        // SAFETY: the descriptor was open when saved and the session keeps it open until
        // the guard is dropped, which also clears it here.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let _ = tcsetattr(fd, SetArg::TCSADRAIN, &t);
    }
}

/// Raw mode on a terminal, undone when dropped.
pub struct RawMode {
    _private: (),
}

impl RawMode {
    /// Saves `fd`'s settings and switches it to raw mode. Returns the settings as they were
    /// (a new pty takes them, so the program sees the user's erase key and modes).
    pub fn enter(fd: BorrowedFd<'_>) -> io::Result<(RawMode, Termios)> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        let saved = tcgetattr(fd).map_err(io::Error::from)?;
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some((fd.as_raw_fd(), saved.clone()));
        if let Err(e) = tcsetattr(fd, SetArg::TCSADRAIN, &raw) {
            SAVED.lock().unwrap_or_else(|e| e.into_inner()).take();
            return Err(e.into());
        }
        Ok((RawMode { _private: () }, saved))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        restore();
    }
}
