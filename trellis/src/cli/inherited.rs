//! File descriptors `trellis dev` hands to each server it starts: the
//! listening socket it keeps open across restarts, and the writing end of a
//! pipe the server closes once it serves. Both ends live here so the
//! numbers passed on the command line and what is done with them agree.

use std::io;
use std::net::{SocketAddr, TcpListener};

/// In the child, before `exec`: keeps `fd` open across it (Rust opens every
/// descriptor close-on-exec). Only async-signal-safe calls, as a forked
/// child may make.
#[cfg(unix)]
pub fn keep_across_exec(fd: std::os::fd::RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor number has no memory-safety precondition.
    match unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } {
        -1 => Err(io::Error::last_os_error()),
        _ => Ok(()),
    }
}

/// Takes ownership of descriptor `fd`, which must be open: checked first,
/// so a wrong number is an error, never a descriptor of something else
/// taken over unawares.
#[cfg(unix)]
fn take(fd: i32) -> io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;

    // SAFETY: F_GETFD only reads the descriptor's flags.
    if fd < 3 || unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {fd} is not one handed over (none open, or stdio)"),
        ));
    }
    // SAFETY: `fd` is open (checked above) and was handed to this process
    // to own; nothing else here uses the number.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

/// The listening socket handed over as descriptor `fd`.
#[cfg(unix)]
pub fn listener(fd: i32) -> io::Result<TcpListener> {
    let listener = TcpListener::from(take(fd)?);
    // A descriptor that is not a TCP socket has no local address.
    listener.local_addr()?;
    Ok(listener)
}

/// Tells whoever holds the other end of descriptor `fd` that the server
/// serves on `address`, and closes it.
#[cfg(unix)]
pub fn signal_ready(fd: i32, address: SocketAddr) -> io::Result<()> {
    use std::io::Write;

    let mut pipe = std::fs::File::from(take(fd)?);
    writeln!(pipe, "http://{address}")
}

#[cfg(not(unix))]
pub fn listener(_fd: i32) -> io::Result<TcpListener> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(not(unix))]
pub fn signal_ready(_fd: i32, _address: SocketAddr) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}
