//! The machine's floor for compare.sh: the least an HTTP server can do on
//! this kernel. One thread, one edge-triggered epoll set, non-blocking
//! sockets; every complete request head it reads is answered with fixed
//! bytes, those of a Trellis `/posts` cache hit (or, for a path starting
//! `/big`, a fixed 1 MiB body), written straight from memory made once.
//! No parsing beyond finding the end of each head, no allocation per
//! request, no date: what is left is what the kernel costs (accept, read,
//! write, epoll) and a loop around it.
//!
//! It reads no request bodies: load it with GETs.
//!
//! `cargo run --release --example floor -- PORT`

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};

/// The body of a Trellis `/posts` hit, as raw-actix's `/posts` sends it.
const POSTS_BODY: &str = r#"{"generation":1,"generatedAt":1795638237152}"#;

/// The listener's token in the epoll set; connections are known by fd.
const LISTENER: u64 = u64::MAX;

/// A connection and the answers it is owed.
struct Connection {
    stream: TcpStream,
    /// Bytes read that do not yet end a request head.
    pending: Vec<u8>,
    /// Answers owed, in order, and how much of the first is written.
    owed: VecDeque<&'static [u8]>,
    written: usize,
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3903);
    let posts: &'static [u8] = Box::leak(answer("application/json", POSTS_BODY.as_bytes()));
    let big: &'static [u8] = Box::leak(answer("application/octet-stream", &vec![b'x'; 1 << 20]));
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let epoll = Epoll::new()?;
    epoll.add(listener.as_raw_fd(), LISTENER)?;
    // Indexed by fd: the kernel hands out the lowest free one, so this
    // stays as long as the most connections open at once.
    let mut connections: Vec<Option<Connection>> = Vec::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    loop {
        let ready = epoll.wait(&mut events)?;
        for event in &events[..ready] {
            // A copy: the struct is packed, so no reference into it.
            let token = { event.u64 };
            if token == LISTENER {
                accept_all(&listener, &epoll, &mut connections)?;
                continue;
            }
            let fd = token as usize;
            let open = match connections.get_mut(fd).and_then(Option::as_mut) {
                Some(connection) => serve(connection, posts, big),
                None => continue,
            };
            if !open {
                // Dropping the stream closes it, which takes it out of the set.
                connections[fd] = None;
            }
        }
    }
}

/// The whole response for `body`, head and all.
fn answer(content_type: &str, body: &[u8]) -> Box<[u8]> {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\
         cache-control: s-maxage=2, stale-while-revalidate=31535998\r\n\
         content-type: {content_type}\r\ncache-status: trellis; hit\r\n\
         date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat().into_boxed_slice()
}

fn accept_all(
    listener: &TcpListener,
    epoll: &Epoll,
    connections: &mut Vec<Option<Connection>>,
) -> io::Result<()> {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            // A client gone before its turn: nothing to serve.
            Err(error) if error.kind() == io::ErrorKind::ConnectionAborted => continue,
            Err(error) => return Err(error),
        };
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        let fd = stream.as_raw_fd();
        epoll.add(fd, fd as u64)?;
        let slot = fd as usize;
        if connections.len() <= slot {
            connections.resize_with(slot + 1, || None);
        }
        connections[slot] = Some(Connection {
            stream,
            pending: Vec::with_capacity(1024),
            owed: VecDeque::new(),
            written: 0,
        });
    }
}

/// Reads all there is, owes an answer for each complete head, writes what
/// the socket takes. Edge-triggered: each step goes on until the socket is
/// empty or full. Returns whether the connection stays open.
fn serve(connection: &mut Connection, posts: &'static [u8], big: &'static [u8]) -> bool {
    let mut buffer = [0u8; 4096];
    loop {
        match connection.stream.read(&mut buffer) {
            Ok(0) => return false,
            Ok(read) => {
                connection.pending.extend_from_slice(&buffer[..read]);
                while let Some(end) = head_end(&connection.pending) {
                    let big_one = connection.pending.starts_with(b"GET /big");
                    connection.owed.push_back(if big_one { big } else { posts });
                    connection.pending.drain(..end);
                }
                // A short read emptied the socket, and whatever comes next
                // is a new edge: asking again would only hear "would block",
                // a system call a request for nothing.
                if read < buffer.len() {
                    break;
                }
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    while let Some(&first) = connection.owed.front() {
        match connection.stream.write(&first[connection.written..]) {
            Ok(written) => {
                connection.written += written;
                if connection.written == first.len() {
                    connection.owed.pop_front();
                    connection.written = 0;
                }
            }
            // The rest goes when epoll says the socket takes more.
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    true
}

/// Where the first request head in `bytes` ends, past its blank line.
fn head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// An epoll set, closed when dropped.
struct Epoll {
    fd: RawFd,
}

impl Epoll {
    fn new() -> io::Result<Epoll> {
        // SAFETY: no pointers; the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        match fd {
            -1 => Err(io::Error::last_os_error()),
            fd => Ok(Epoll { fd }),
        }
    }

    /// Watches `fd` for reading and writing, edge-triggered, as `token`.
    fn add(&self, fd: RawFd, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
            u64: token,
        };
        // SAFETY: `event` lives across the call, which copies it.
        match unsafe { libc::epoll_ctl(self.fd, libc::EPOLL_CTL_ADD, fd, &mut event) } {
            -1 => Err(io::Error::last_os_error()),
            _ => Ok(()),
        }
    }

    /// Waits for events; returns how many of `events` it filled.
    fn wait(&self, events: &mut [libc::epoll_event]) -> io::Result<usize> {
        loop {
            let capacity = i32::try_from(events.len()).unwrap_or(i32::MAX);
            // SAFETY: the kernel writes at most `capacity` events into the slice.
            let ready = unsafe { libc::epoll_wait(self.fd, events.as_mut_ptr(), capacity, -1) };
            match ready {
                -1 => match io::Error::last_os_error() {
                    error if error.kind() == io::ErrorKind::Interrupted => continue,
                    error => return Err(error),
                },
                ready => return Ok(ready as usize),
            }
        }
    }
}

impl Drop for Epoll {
    fn drop(&mut self) {
        // SAFETY: the fd is ours and closed once.
        unsafe { libc::close(self.fd) };
    }
}
