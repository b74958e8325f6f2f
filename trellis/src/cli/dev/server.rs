//! A server process of `trellis dev`: the app's binary running `serve` on
//! the socket `trellis dev` holds, started, awaited until it serves, and
//! stopped gracefully once its successor serves.

use std::io::{self, Read};
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::cli::inherited;

/// How long a new server may take to serve before it is given up: start-up
/// is route building and binding workers, well under a second, but the
/// Redis tier, if configured, may take its connect timeout.
const START_TIMEOUT: Duration = Duration::from_secs(30);

pub struct ServerProcess {
    child: Child,
}

impl ServerProcess {
    /// Starts `executable serve` on `listener` with `flags`, and returns
    /// once it serves. A server that exits or hangs first is an error, and
    /// is not left running.
    pub fn start(executable: &Path, listener: &TcpListener, flags: &[String]) -> io::Result<Self> {
        // The server closes its end once it serves; an end closed without
        // a word (it exited) reads as nothing.
        let (mut ready, ready_for_child) = UnixStream::pair()?;
        let listen_fd = listener.as_raw_fd();
        let ready_fd = ready_for_child.as_raw_fd();
        let parent = std::process::id();
        let mut command = Command::new(executable);
        command
            .arg("serve")
            .args(["--listen-fd", &listen_fd.to_string()])
            .args(["--ready-fd", &ready_fd.to_string()])
            .args(flags)
            .stdin(Stdio::null());
        // SAFETY: the closure runs in the forked child before exec and
        // makes only async-signal-safe calls (fcntl, prctl, getppid).
        unsafe {
            command.pre_exec(move || {
                inherited::keep_across_exec(listen_fd)?;
                inherited::keep_across_exec(ready_fd)?;
                stop_with_parent(parent)
            });
        }
        let mut child = command.spawn()?;
        drop(ready_for_child);
        ready.set_read_timeout(Some(START_TIMEOUT))?;
        let mut said = String::new();
        let answer = ready.read_to_string(&mut said);
        if answer.is_ok() && said.starts_with("http://") {
            return Ok(ServerProcess { child });
        }
        // Not serving: it failed (its own log says why) or it hangs.
        let _ = child.kill();
        let status = child.wait()?;
        Err(match answer {
            Err(error) => io::Error::new(
                error.kind(),
                format!("it did not serve within {START_TIMEOUT:?}"),
            ),
            Ok(_) => io::Error::other(format!("it exited ({status}) before serving")),
        })
    }

    /// Whether the server is still running (one may stop on its own).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM: the server stops accepting and finishes what it answers.
    /// It is waited for on a thread of its own, so the next build need not.
    pub fn stop(mut self) {
        match i32::try_from(self.child.id()) {
            // SAFETY: kill has no memory-safety precondition; the pid is our
            // child's, not yet waited for, so it names no other process.
            Ok(pid) => unsafe {
                libc::kill(pid, libc::SIGTERM);
            },
            Err(_) => {
                let _ = self.child.kill();
            }
        }
        std::thread::spawn(move || self.child.wait());
    }
}

/// In the child: on Linux, have it stopped (SIGTERM) when `trellis dev`
/// dies, however it dies, so no server outlives it holding the port. If it
/// died already, between fork and here, stop now.
fn stop_with_parent(parent: u32) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a flag of this process.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: getppid has no precondition.
    match u32::try_from(unsafe { libc::getppid() }) {
        Ok(ppid) if ppid == parent => Ok(()),
        _ => Err(io::Error::other(
            "trellis dev exited while starting the server",
        )),
    }
}
