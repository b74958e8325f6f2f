//! One keep-alive HTTP/1.1 connection of the load generator: writes a
//! prepared request, reads the response head with httparse and skips the
//! body by its length or its chunks, reusing one buffer.

use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::outcome::{CacheKind, ErrorKind};

/// What one response said, as far as the report cares.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub status: u16,
    pub cache: CacheKind,
    /// Bytes of the whole response, head included.
    pub bytes: usize,
    /// The server will close the connection after this response.
    pub close: bool,
}

pub struct Connection {
    stream: TcpStream,
    buffer: BytesMut,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            stream,
            buffer: BytesMut::with_capacity(16 * 1024),
        })
    }

    /// Sends `request` and reads its whole response.
    pub async fn exchange(&mut self, request: &[u8], head_only: bool) -> Result<Reply, ErrorKind> {
        self.stream
            .write_all(request)
            .await
            .map_err(|_| ErrorKind::Write)?;
        let head = loop {
            // Usually the buffer is empty here: the response is yet to come.
            if !self.buffer.is_empty() {
                if let Some(head) = parse_head(&self.buffer)? {
                    break head;
                }
            }
            self.fill().await?;
        };
        self.buffer.advance(head.length);
        let body = if head_only || head.status < 200 || head.status == 204 || head.status == 304 {
            0
        } else if head.chunked {
            self.skip_chunks().await?
        } else if let Some(length) = head.content_length {
            self.skip(length).await?;
            length
        } else {
            self.skip_to_close().await?
        };
        Ok(Reply {
            status: head.status,
            cache: head.cache,
            bytes: head.length + body,
            close: head.close,
        })
    }

    async fn fill(&mut self) -> Result<(), ErrorKind> {
        if self.buffer.capacity() - self.buffer.len() < 4096 {
            self.buffer.reserve(16 * 1024);
        }
        match self.stream.read_buf(&mut self.buffer).await {
            Ok(0) => Err(ErrorKind::Closed),
            Ok(_) => Ok(()),
            Err(_) => Err(ErrorKind::Read),
        }
    }

    async fn skip(&mut self, mut length: usize) -> Result<(), ErrorKind> {
        loop {
            let here = length.min(self.buffer.len());
            self.buffer.advance(here);
            length -= here;
            if length == 0 {
                return Ok(());
            }
            self.fill().await?;
        }
    }

    async fn skip_chunks(&mut self) -> Result<usize, ErrorKind> {
        let mut total = 0;
        loop {
            let (size, line) = loop {
                if let Some(at) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                    let text =
                        std::str::from_utf8(&self.buffer[..at]).map_err(|_| ErrorKind::Parse)?;
                    let digits = text.split(';').next().unwrap_or_default().trim();
                    let size = usize::from_str_radix(digits, 16).map_err(|_| ErrorKind::Parse)?;
                    break (size, at + 2);
                }
                self.fill().await?;
            };
            self.skip(line + size + 2).await?;
            total += line + size + 2;
            if size == 0 {
                return Ok(total);
            }
        }
    }

    async fn skip_to_close(&mut self) -> Result<usize, ErrorKind> {
        let mut total = self.buffer.len();
        self.buffer.clear();
        loop {
            match self.stream.read_buf(&mut self.buffer).await {
                Ok(0) => return Ok(total),
                Ok(n) => {
                    total += n;
                    self.buffer.clear();
                }
                Err(_) => return Err(ErrorKind::Read),
            }
        }
    }
}

struct Head {
    length: usize,
    status: u16,
    content_length: Option<usize>,
    chunked: bool,
    close: bool,
    cache: CacheKind,
}

fn parse_head(buffer: &[u8]) -> Result<Option<Head>, ErrorKind> {
    // Left uninitialized: httparse fills what it uses, and clearing 32
    // headers for every response showed in the load generator's profile.
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 32];
    let mut response = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut response,
        buffer,
        &mut headers,
    );
    let length = match parsed {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(ErrorKind::Parse),
    };
    let mut head = Head {
        length,
        status: response.code.unwrap_or(0),
        content_length: None,
        chunked: false,
        close: false,
        cache: CacheKind::None,
    };
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).map_err(|_| ErrorKind::Parse)?;
            head.content_length = Some(text.trim().parse().map_err(|_| ErrorKind::Parse)?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = header.value.eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            head.close = header.value.eq_ignore_ascii_case(b"close");
        } else if name.eq_ignore_ascii_case("cache-status") {
            head.cache = CacheKind::of(header.value);
        }
    }
    Ok(Some(head))
}
