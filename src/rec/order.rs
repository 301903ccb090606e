//! Keeping stdout and stderr in the order the program wrote them (`cast-rec --stderr`).
//!
//! With `--stderr` the program's fd 1 and fd 2 are two ptys. Reading them faster cannot keep
//! their order: once both hold data, nothing says which came first. So the order is taken
//! where the writes happen. Before the program starts, its process installs a seccomp filter
//! (inherited by everything it starts) that stops each call able to write to a terminal and
//! hands it to the recorder through a listener descriptor (seccomp user notification). The
//! recorder then reads both ptys until they are empty (non-blocking reads until EAGAIN; Linux
//! flushes a pty's pending buffer work before it says "no input", so every earlier write is
//! seen) and only then lets the call continue. Everything written before a write is therefore
//! read before it, and the `o` and `e` events come out in the program's write order, every run.
//! A program writing from several processes at once has no single order; each of its writes
//! is still recorded whole and after everything that finished before it began.
//!
//! Which calls are held: write(2), writev(2), pwritev2(2) (its offset -1 means "write at the
//! current position", which works on a terminal), sendfile(2) and splice(2) (both can write
//! to a terminal). pwrite64(2) and pwritev(2) are not held: a terminal cannot seek, so they
//! fail with ESPIPE on one; nor the send family (send, sendto, sendmsg, sendmmsg), which fails
//! with ENOTSOCK on anything but a socket, a pty included (checked here).
//!
//! By default ([`Hold::All`]) those calls are held whatever the descriptor: a filter sees only
//! the descriptor's number, and a shell moves descriptors around (dash carries out `>&2` by
//! putting fd 2 on fd 1 for the command), a script can write through a copy (`exec 3>&2;
//! echo x >&3`) and a program can open /dev/tty. Asking the kernel what a descriptor is
//! (`/proc/PID/fd/N`, kcmp) would cost more than the two empty reads it could save, so every
//! held call drains both ptys. [`Hold::Std`] holds only calls on descriptors 0 to 2: cheaper
//! for a program that writes much to files or sockets through other descriptors, exact for
//! programs that write to the terminal through its standard descriptors only.
//!
//! Cost: one round trip through the recorder per held call, about 25 µs of CPU on the 2-core
//! machine this was measured on (bench/rec.sh: 40,000 alternating small writes); elapsed,
//! 43 µs per write at a load average of 9, and 150-290 µs at 20, since the program and the
//! recorder hand the CPU to each other on every write. While writes are held the session writes the recording itself instead of handing
//! each event to its writing thread: that hand-over cost two more context switches per
//! write (35 µs of CPU per write with it). A program writing in large blocks barely notices
//! (`cat` of 100 MB writes 128 KiB at a time: no slower than without `--stderr`); one that
//! writes a line at a time to a file or pipe pays it on every line.
//!
//! What it needs and what it changes:
//! - Linux 5.5 or later (seccomp user notification with `SECCOMP_USER_NOTIF_FLAG_CONTINUE`),
//!   on x86-64 or AArch64. Elsewhere, or where seccomp is forbidden (some containers), or when
//!   the recorder itself already runs under a filter with a listener (nested `cast-rec
//!   --stderr`), the program runs without the filter and cast-rec warns that the streams are
//!   recorded as they are read.
//! - `no_new_privs` is set for the program and everything it starts (the kernel requires it
//!   for an unprivileged filter): setuid and setgid programs (sudo, su, passwd) run without
//!   their privileges, and file capabilities are not gained.
//! - A program that installs a seccomp filter with a listener of its own (a container
//!   runtime, another `cast-rec --stderr`) gets EBUSY: the kernel allows one per process tree.
//! - 32-bit programs on a 64-bit kernel (x32 and i386 system calls) are not held, nor writes
//!   through io_uring, which bypass system calls: their output is recorded as it is read.
//! - A signal that arrives while a call waits for the recorder (in the microseconds before
//!   the recorder takes it; on kernels before 5.19, until it lets it go) interrupts it as a
//!   slow call: it restarts, or fails with EINTR if the program's handler was installed
//!   without SA_RESTART. A write to a terminal with room in its buffer would not have waited.
//! - Processes that outlive the session (a server started in the background) keep writing:
//!   the recorder leaves a small process behind that lets their calls continue until the
//!   last of them exits. If the recorder is killed (SIGKILL), their held calls fail with
//!   ENOSYS instead (the kernel's answer when nobody listens).
//!
//! The filter is a few BPF instructions built here with libc's definitions. The `libseccomp`
//! crate would add a C library (and a system package in CI) for the same twenty instructions;
//! `seccompiler` builds filters in pure Rust but has no user-notification action or listener.
//! ptrace with a `SECCOMP_RET_TRACE` filter would hold the calls as well, but each stop costs
//! more (a ptrace stop, several ptrace requests, signal bookkeeping) and it would stop
//! debuggers and strace from working inside the recording.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Which write calls are held until the recorder has read everything written before them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Every call that can write to a terminal, whatever its descriptor.
    All,
    /// Only those on descriptors 0, 1 and 2.
    Std,
}

/// A BPF instruction, as the kernel takes it.
pub type Insn = libc::sock_filter;

#[cfg(target_arch = "x86_64")]
const ARCH: Option<u32> = Some(0xc000_003e); // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const ARCH: Option<u32> = Some(0xc000_00b7); // AUDIT_ARCH_AARCH64
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const ARCH: Option<u32> = None;

/// Offsets in `struct seccomp_data`: the call's number, its architecture, and the low 32 bits
/// of an argument (descriptors are `unsigned int`; the kernel ignores the high half).
const NR: u32 = 0;
const ARCH_AT: u32 = 4;
const fn arg_low(i: u32) -> u32 {
    16 + 8 * i + if cfg!(target_endian = "big") { 4 } else { 0 }
}

/// The held calls, with which argument is the descriptor written to.
fn held_calls() -> [(libc::c_long, u32); 5] {
    [
        (libc::SYS_write, 0),
        (libc::SYS_writev, 0),
        (libc::SYS_pwritev2, 0),
        (libc::SYS_sendfile, 0),
        (libc::SYS_splice, 2),
    ]
}

const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JGT: u16 = (libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K) as u16;
const JGE: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const NOTIFY: u32 = libc::SECCOMP_RET_USER_NOTIF;

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
    Insn { code, jt, jf, k }
}

/// The filter for `hold`, or `None` on an architecture it does not know.
///
/// Each held call is one block that ends in a return, so no block depends on what an earlier
/// one left loaded. Jumps count instructions after the jump.
pub fn filter(hold: Hold) -> Option<Vec<Insn>> {
    let arch = ARCH?;
    let mut p = vec![
        insn(LD_W_ABS, 0, 0, ARCH_AT),
        insn(JEQ, 1, 0, arch),
        insn(RET, 0, 0, ALLOW),
        insn(LD_W_ABS, 0, 0, NR),
    ];
    if cfg!(target_arch = "x86_64") {
        // x32 calls (numbers with bit 30 set) are another ABI: let them through.
        p.push(insn(JGE, 0, 1, 0x4000_0000));
        p.push(insn(RET, 0, 0, ALLOW));
    }
    for (nr, arg) in held_calls() {
        let nr = nr as u32;
        p.push(insn(LD_W_ABS, 0, 0, NR));
        match hold {
            Hold::All => {
                p.push(insn(JEQ, 0, 1, nr));
                p.push(insn(RET, 0, 0, NOTIFY));
            }
            Hold::Std => {
                p.push(insn(JEQ, 0, 4, nr));
                p.push(insn(LD_W_ABS, 0, 0, arg_low(arg)));
                p.push(insn(JGT, 1, 0, 2));
                p.push(insn(RET, 0, 0, NOTIFY));
                p.push(insn(RET, 0, 0, ALLOW));
            }
        }
    }
    p.push(insn(RET, 0, 0, ALLOW));
    Some(p)
}

/// Installs `prog` on the calling process with a new listener and returns the listener's
/// descriptor (close-on-exec), or the errno that refused it. Meant for the child between
/// fork and exec: it makes only async-signal-safe system calls and does not allocate.
///
/// # Safety
/// `prog` must point to a valid filter that outlives the call.
pub unsafe fn install(prog: &libc::sock_fprog) -> Result<libc::c_int, libc::c_int> {
    // SAFETY (whole body): prctl and seccomp take plain integers and a pointer to `prog`,
    // which is valid; nix has neither call.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(*libc::__errno_location());
        }
        let seccomp = |flags: libc::c_ulong| {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                flags,
                prog as *const libc::sock_fprog,
            )
        };
        // Once the recorder has taken a held call, a signal no longer interrupts it (Linux
        // 5.19); older kernels refuse the flag with EINVAL and get the filter without it.
        let mut fd = seccomp(
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER | libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
        );
        if fd < 0 && *libc::__errno_location() == libc::EINVAL {
            fd = seccomp(libc::SECCOMP_FILTER_FLAG_NEW_LISTENER);
        }
        if fd < 0 {
            return Err(*libc::__errno_location());
        }
        Ok(fd as libc::c_int)
    }
}

nix::ioctl_readwrite!(notif_recv, b'!', 0, libc::seccomp_notif);
nix::ioctl_readwrite!(notif_send, b'!', 1, libc::seccomp_notif_resp);
// The flags go by value, not through a pointer.
nix::ioctl_write_int_bad!(notif_set_flags, libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS);

/// `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP` (Linux 6.6): the held process and the recorder hand
/// the CPU to each other directly instead of through the scheduler's queues.
const SYNC_WAKE_UP: libc::c_int = 1;

/// The recorder's end of the filter: held calls arrive here.
pub struct Listener {
    fd: OwnedFd,
}

impl Listener {
    pub fn new(fd: OwnedFd) -> Listener {
        // Older kernels do not know the flag; the round trip is then only slower.
        // SAFETY: the ioctl takes an integer; no memory is passed.
        let _ = unsafe { notif_set_flags(fd.as_raw_fd(), SYNC_WAKE_UP) };
        Listener { fd }
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Takes the next held call (poll the descriptor first: this blocks until there is one).
    /// Returns its id, or `None` when it is gone already (its process was interrupted).
    pub fn receive(&self) -> io::Result<Option<u64>> {
        // The kernel insists on a zeroed buffer.
        // SAFETY: seccomp_notif is plain data, valid when zeroed.
        let mut n: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: the ioctl writes one seccomp_notif to a valid, zeroed buffer.
            match unsafe { notif_recv(self.fd.as_raw_fd(), &mut n) } {
                Ok(_) => return Ok(Some(n.id)),
                Err(Errno::EINTR) => {}
                Err(Errno::ENOENT) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Keeps the held calls of processes that outlive the session going. Without a listener
    /// the kernel fails each of their writes with ENOSYS, so a background program started in
    /// the recording would lose its logs; instead a small process of its own (holding nothing
    /// but the listener, in a session of its own) lets each of their calls continue, and
    /// exits once the last process under the filter has. Does nothing when none is left.
    pub fn hand_off(self) {
        let mut fds = [PollFd::new(self.fd(), PollFlags::POLLIN)];
        let polled = poll(&mut fds, PollTimeout::ZERO).is_ok();
        let ev = fds[0].revents().unwrap_or(PollFlags::empty());
        let gone = polled && ev.contains(PollFlags::POLLHUP) && !ev.contains(PollFlags::POLLIN);
        if gone {
            return;
        }
        let fd = self.fd.as_raw_fd();
        // SAFETY: the child makes only async-signal-safe calls (relay) and never returns.
        if let Ok(nix::unistd::ForkResult::Child) = unsafe { nix::unistd::fork() } {
            unsafe { relay(fd) }
        }
    }

    /// Lets held call `id` go on as the program made it.
    pub fn release(&self, id: u64) -> io::Result<()> {
        let mut r = libc::seccomp_notif_resp {
            id,
            val: 0,
            error: 0,
            flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
        };
        loop {
            // SAFETY: the ioctl reads one seccomp_notif_resp from a valid pointer.
            match unsafe { notif_send(self.fd.as_raw_fd(), &mut r) } {
                Ok(_) | Err(Errno::ENOENT) => return Ok(()),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The process [`Listener::hand_off`] starts: lets every held call continue until nobody is
/// left under the filter. Never returns.
///
/// # Safety
/// Only in the child of a fork, with `fd` the listener.
unsafe fn relay(fd: libc::c_int) -> ! {
    // SAFETY (whole body): plain system calls on our own descriptor and stack memory.
    unsafe {
        // Nothing else stays open (a recording, a pipe someone waits on, the ptys), and no
        // signal meant for the recorder reaches this process.
        libc::setsid();
        if fd > 0 {
            libc::syscall(libc::SYS_close_range, 0, fd - 1, 0);
        }
        libc::syscall(libc::SYS_close_range, fd + 1, libc::c_uint::MAX, 0);
        for sig in 1..32 {
            libc::signal(sig, libc::SIG_DFL);
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        loop {
            let mut p = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            if libc::poll(&mut p, 1, -1) < 0 {
                if *libc::__errno_location() == libc::EINTR {
                    continue;
                }
                libc::_exit(0);
            }
            if p.revents & libc::POLLIN == 0 {
                libc::_exit(0);
            }
            let mut n: libc::seccomp_notif = std::mem::zeroed();
            if notif_recv(fd, &mut n).is_ok() {
                let mut r = libc::seccomp_notif_resp {
                    id: n.id,
                    val: 0,
                    error: 0,
                    flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
                };
                let _ = notif_send(fd, &mut r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reading of the filter one instruction at a time, as the kernel runs it.
    fn run(p: &[Insn], nr: libc::c_long, args: [u64; 6], arch: u32) -> u32 {
        let mut data = [0u8; 64];
        data[0..4].copy_from_slice(&(nr as u32).to_ne_bytes());
        data[4..8].copy_from_slice(&arch.to_ne_bytes());
        for (i, a) in args.iter().enumerate() {
            data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        let (mut pc, mut acc) = (0usize, 0u32);
        loop {
            let i = p[pc];
            pc += 1;
            match i.code {
                LD_W_ABS => {
                    let k = i.k as usize;
                    acc = u32::from_ne_bytes(data[k..k + 4].try_into().unwrap());
                }
                JEQ | JGT | JGE => {
                    let yes = match i.code {
                        JEQ => acc == i.k,
                        JGT => acc > i.k,
                        _ => acc >= i.k,
                    };
                    pc += usize::from(if yes { i.jt } else { i.jf });
                }
                RET => return i.k,
                c => panic!("unknown instruction {c:#x}"),
            }
        }
    }

    #[test]
    fn the_filter_holds_exactly_the_writing_calls() {
        let Some(arch) = ARCH else { return };
        let all = filter(Hold::All).unwrap();
        let std = filter(Hold::Std).unwrap();
        let fd = |n: u64| [n, 0, 0, 0, 0, 0];
        for (nr, arg) in held_calls() {
            for n in [0u64, 1, 2, 3, 200, u32::MAX as u64] {
                let mut a = [7u64; 6];
                a[arg as usize] = n;
                assert_eq!(run(&all, nr, a, arch), NOTIFY, "{nr} fd {n}");
                let want = if n <= 2 { NOTIFY } else { ALLOW };
                assert_eq!(run(&std, nr, a, arch), want, "{nr} fd {n}");
            }
            // The high half of a descriptor is ignored by the kernel, so by the filter too.
            let mut a = [0u64; 6];
            a[arg as usize] = (1 << 32) | 5;
            assert_eq!(run(&std, nr, a, arch), ALLOW);
            a[arg as usize] = (1 << 32) | 1;
            assert_eq!(run(&std, nr, a, arch), NOTIFY);
            // Another architecture's numbering is not ours to judge.
            assert_eq!(run(&all, nr, fd(1), 0x4000_0003), ALLOW);
        }
        for nr in [
            libc::SYS_read,
            libc::SYS_pwrite64,
            libc::SYS_pwritev,
            libc::SYS_sendto,
            libc::SYS_sendmsg,
            libc::SYS_close,
        ] {
            assert_eq!(run(&all, nr, fd(1), arch), ALLOW, "{nr}");
            assert_eq!(run(&std, nr, fd(1), arch), ALLOW, "{nr}");
        }
        if cfg!(target_arch = "x86_64") {
            assert_eq!(run(&all, libc::SYS_write | 0x4000_0000, fd(1), arch), ALLOW);
        }
    }
}
