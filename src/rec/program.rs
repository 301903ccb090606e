//! Starting the recorded program on its pty(s), and collecting its exit status.
//!
//! The program is started with fork and exec of our own rather than `std::process::Command`,
//! because with `--stderr` its process installs a seccomp filter ([`order`](super::order))
//! before exec: from then on its writes wait for the recorder, and Command's way of reporting
//! a failed exec (a write to a pipe the parent reads while it waits in `spawn`) would wait
//! for a recorder that is itself waiting. Here the child reports over a socket instead
//! (`send` is never held), and the same socket carries the filter's listener descriptor to
//! the recorder (SCM_RIGHTS). Everything the child needs is prepared before the fork; between
//! fork and exec it makes only async-signal-safe system calls, as the raw libc calls they are
//! (nix's versions allocate).
//!
//! The child does what Command would: a new session with the pty as its controlling
//! terminal, the slaves on fds 0 to 2, an empty signal mask and SIGPIPE back at its default.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::order::{self, Insn};

/// The recorded program's process.
#[derive(Debug)]
pub struct Program {
    pid: Pid,
    status: Option<u8>,
}

/// What [`spawn`] started.
pub struct Started {
    pub program: Program,
    /// The filter's listener, when a filter was asked for and installed.
    pub listener: Option<OwnedFd>,
    /// Why a filter that was asked for could not be installed.
    pub unfiltered: Option<io::Error>,
}

impl Program {
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The exit status once the program has exited (128+N when signal N ended it), without
    /// waiting.
    pub fn try_wait(&mut self) -> io::Result<Option<u8>> {
        if self.status.is_none() {
            self.status = match waitpid(self.pid, Some(WaitPidFlag::WNOHANG)) {
                Ok(st) => status_of(st),
                Err(Errno::EINTR) => None,
                // Collected by someone else: the status is lost.
                Err(Errno::ECHILD) => Some(1),
                Err(e) => return Err(e.into()),
            };
        }
        Ok(self.status)
    }

    /// Kills the program (not its process group), unless it was collected already.
    pub fn kill(&self) {
        if self.status.is_none() {
            let _ = kill(self.pid, Signal::SIGKILL);
        }
    }
}

/// The exit status a shell would give, or `None` while the program runs.
fn status_of(st: WaitStatus) -> Option<u8> {
    match st {
        WaitStatus::Exited(_, code) => Some(code as u8),
        WaitStatus::Signaled(_, sig, _) => Some(128u8.saturating_add(sig as i32 as u8)),
        _ => None,
    }
}

/// Messages from the child: a tag byte and an errno.
const LISTENER: u8 = b'L';
const NO_FILTER: u8 = b'F';
const FAILED: u8 = b'E';

/// Starts `argv` (searched in PATH) with the pty `slave` as its controlling terminal and
/// standard input and output, and `err_slave` (or `slave`) as its standard error. `env` is
/// set on top of the recorder's own environment. With `filter`, the program runs under it
/// (see [`order`]); a filter the kernel refuses is reported in [`Started::unfiltered`] and
/// the program runs without it. Errors: the program cannot be started (not found, not
/// executable), or the recorder is out of descriptors or processes.
pub fn spawn(
    argv: &[OsString],
    env: &[(OsString, OsString)],
    slave: &OwnedFd,
    err_slave: Option<&OwnedFd>,
    filter: Option<&[Insn]>,
) -> io::Result<Started> {
    if argv.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no command"));
    }
    let args = c_strings(argv.iter().map(|a| a.as_os_str()))?;
    let vars = c_strings(environment(env).iter().map(OsString::as_os_str))?;
    let argp = pointers(&args);
    let envp = pointers(&vars);
    let prog = filter.map(|f| libc::sock_fprog {
        len: f.len() as libc::c_ushort,
        filter: f.as_ptr().cast_mut(),
    });
    let (ours, theirs) = socket_pair()?;
    let fds = ChildFds {
        report: theirs.as_raw_fd(),
        slave: slave.as_raw_fd(),
        err: err_slave.unwrap_or(slave).as_raw_fd(),
    };
    // SAFETY: the child runs only `child`, which makes async-signal-safe calls on data
    // prepared above and never returns.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => unsafe { child(&fds, &argp, &envp, prog.as_ref()) },
        nix::unistd::ForkResult::Parent { child } => {
            drop(theirs);
            let mut started = Started {
                program: Program {
                    pid: child,
                    status: None,
                },
                listener: None,
                unfiltered: None,
            };
            loop {
                let (tag, errno, fd) = match receive(&ours) {
                    Ok(Some(m)) => m,
                    Ok(None) => return Ok(started),
                    Err(e) => {
                        started.program.kill();
                        let _ = waitpid(child, None);
                        return Err(e);
                    }
                };
                match tag {
                    LISTENER => started.listener = fd,
                    NO_FILTER => started.unfiltered = Some(io::Error::from_raw_os_error(errno)),
                    _ => {
                        // The child exits at once; collect it so it leaves no zombie.
                        let _ = waitpid(child, None);
                        return Err(io::Error::from_raw_os_error(errno));
                    }
                }
            }
        }
    }
}

/// The recorder's environment with `env` set on top, as `KEY=VALUE` strings.
fn environment(env: &[(OsString, OsString)]) -> Vec<OsString> {
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !env.iter().any(|(ek, _)| ek == k))
        .collect();
    vars.extend(env.iter().cloned());
    vars.into_iter()
        .map(|(k, v)| {
            let mut s = k;
            s.push("=");
            s.push(v);
            s
        })
        .collect()
}

fn c_strings<'a>(items: impl Iterator<Item = &'a OsStr>) -> io::Result<Vec<CString>> {
    items
        .map(|s| {
            CString::new(s.as_bytes()).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in an argument")
            })
        })
        .collect()
}

/// A null-terminated array of pointers into `strings`, as exec takes it.
fn pointers(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(ptr::null()))
        .collect()
}

fn socket_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut sv = [0 as RawFd; 2];
    // SAFETY: socketpair writes two descriptors into `sv`. (nix's socket calls are behind a
    // feature this crate does not enable for one call.)
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            sv.as_mut_ptr(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are new and ours alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(sv[0]), OwnedFd::from_raw_fd(sv[1])) })
}

/// Room for one control message carrying one descriptor (CMSG_SPACE(4) is 24 on 64-bit
/// Linux), aligned for `cmsghdr`.
#[repr(C, align(8))]
struct CmsgBuf([u8; 32]);

/// Receives one message from the child: `None` at end of file (the exec closed the child's
/// end: the program runs).
fn receive(sock: &OwnedFd) -> io::Result<Option<(u8, i32, Option<OwnedFd>)>> {
    let mut data = [0u8; 5];
    let mut cbuf = CmsgBuf([0; 32]);
    loop {
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        // SAFETY: msghdr is plain data; the pointers set below are valid for the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = cbuf.0.as_mut_ptr().cast();
        msg.msg_controllen = cbuf.0.len() as _;
        // SAFETY: recvmsg fills `data` and `cbuf` within the lengths given.
        let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if n == 0 {
            return Ok(None);
        }
        let errno = i32::from_ne_bytes([data[1], data[2], data[3], data[4]]);
        let mut fd = None;
        // SAFETY: the kernel filled `msg` and its control buffer; the macros walk them.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&msg);
            if !c.is_null()
                && (*c).cmsg_level == libc::SOL_SOCKET
                && (*c).cmsg_type == libc::SCM_RIGHTS
            {
                let raw = ptr::read_unaligned(libc::CMSG_DATA(c).cast::<RawFd>());
                fd = Some(OwnedFd::from_raw_fd(raw));
            }
        }
        return Ok(Some((data[0], errno, fd)));
    }
}

/// The descriptors the child works with, as the parent numbered them.
struct ChildFds {
    report: RawFd,
    slave: RawFd,
    err: RawFd,
}

/// Sends a tag, an errno and optionally a descriptor to the parent. Async-signal-safe.
unsafe fn report(sock: RawFd, tag: u8, errno: i32, fd: Option<RawFd>) {
    let e = errno.to_ne_bytes();
    let mut data = [tag, e[0], e[1], e[2], e[3]];
    let mut cbuf = CmsgBuf([0; 32]);
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: everything pointed to lives on this stack frame for the call.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if let Some(fd) = fd {
            msg.msg_control = cbuf.0.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(4) as _;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(4) as _;
            ptr::write_unaligned(libc::CMSG_DATA(c).cast::<RawFd>(), fd);
        }
        libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL);
    }
}

/// The child, between fork and exec. Never returns.
///
/// # Safety
/// Only for the child of a fork; the pointers must be valid null-terminated arrays.
unsafe fn child(
    fds: &ChildFds,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    prog: Option<&libc::sock_fprog>,
) -> ! {
    // SAFETY (whole body): plain system calls on descriptors inherited from the parent and on
    // memory prepared before the fork.
    unsafe {
        let errno = || *libc::__errno_location();
        // Above 2 first, so that putting the slaves on 0-2 cannot close one of them.
        let sock = libc::fcntl(fds.report, libc::F_DUPFD_CLOEXEC, 3);
        let fail = |sock: RawFd| -> ! {
            report(sock, FAILED, errno(), None);
            libc::_exit(127)
        };
        let slave = libc::fcntl(fds.slave, libc::F_DUPFD_CLOEXEC, 3);
        let err = libc::fcntl(fds.err, libc::F_DUPFD_CLOEXEC, 3);
        if sock < 0 || slave < 0 || err < 0 || libc::setsid() < 0 {
            fail(if sock < 0 { fds.report } else { sock });
        }
        for (from, to) in [(slave, 0), (slave, 1), (err, 2)] {
            if libc::dup2(from, to) < 0 {
                fail(sock);
            }
        }
        #[allow(clippy::useless_conversion)]
        if libc::ioctl(0, libc::TIOCSCTTY.into(), 0) < 0 {
            fail(sock);
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, ptr::null_mut());
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        if let Some(p) = prog {
            match order::install(p) {
                Ok(fd) => {
                    report(sock, LISTENER, 0, Some(fd));
                    libc::close(fd);
                }
                Err(e) => report(sock, NO_FILTER, e, None),
            }
        }
        libc::execvpe(argv[0], argv.as_ptr(), envp.as_ptr());
        fail(sock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_a_shells() {
        let p = Pid::from_raw(1);
        assert_eq!(status_of(WaitStatus::Exited(p, 3)), Some(3));
        assert_eq!(
            status_of(WaitStatus::Signaled(p, Signal::SIGKILL, false)),
            Some(137)
        );
        assert_eq!(status_of(WaitStatus::StillAlive), None);
    }

    #[test]
    fn the_environment_is_the_recorders_with_overrides() {
        let env = environment(&[("TERM".into(), "castkit-test".into())]);
        assert_eq!(
            env.iter()
                .filter(|v| v.as_bytes().starts_with(b"TERM="))
                .count(),
            1
        );
        assert!(env.iter().any(|v| v == "TERM=castkit-test"));
    }
}
