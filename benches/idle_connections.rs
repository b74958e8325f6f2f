//! Holds idle keep-alive connections open on a server, for
//! `benches/idle_connections.sh`: opens N connections, sends one GET on
//! each and reads its response (so each is a served HTTP/1.1 connection,
//! not a bare socket), prints `holding N`, and keeps them open and quiet
//! until stdin closes; then closes them all and prints `closed`.
//!
//! `cargo run --release --example idle-connections -- 127.0.0.1:3000 10000 /api/hello`
//!
//! Each connection is a file descriptor: raise `ulimit -n` above N first.

use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::TcpStream;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(address), Some(count)) = (args.next(), args.next().and_then(|n| n.parse().ok()))
    else {
        eprintln!("usage: idle-connections HOST:PORT COUNT [PATH]");
        return ExitCode::FAILURE;
    };
    let path = args.next().unwrap_or_else(|| "/".to_string());
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n\r\n");
    let mut held = Vec::with_capacity(count);
    for opened in 0..count {
        match open(&address, request.as_bytes()) {
            Ok(stream) => held.push(stream),
            Err(error) => {
                eprintln!("connection {} of {count}: {error}", opened + 1);
                return ExitCode::FAILURE;
            }
        }
    }
    println!("holding {}", held.len());
    let _ = io::stdout().flush();
    // Until whoever started this closes its stdin (or the process is
    // killed, which closes them as surely).
    let _ = io::copy(&mut io::stdin(), &mut io::sink());
    drop(held);
    println!("closed");
    ExitCode::SUCCESS
}

/// A connection that has had one request answered, its response read to
/// the last byte so that nothing is left in flight.
fn open(address: &str, request: &[u8]) -> io::Result<TcpStream> {
    let mut stream = TcpStream::connect(address)?;
    stream.write_all(request)?;
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        response.extend_from_slice(&chunk[..read]);
        if let Some(total) = whole_length(&response)? {
            if response.len() >= total {
                return Ok(stream);
            }
        }
    }
}

/// The length of the whole response once its head is in: head plus
/// `Content-Length`.
fn whole_length(response: &[u8]) -> io::Result<Option<usize>> {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; 32];
    let mut parsed = httparse::Response::new(&mut []);
    let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_string());
    let head = match httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut parsed,
        response,
        &mut headers,
    ) {
        Ok(httparse::Status::Complete(head)) => head,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(invalid("not an HTTP response")),
    };
    let length = parsed
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("content-length"))
        .and_then(|header| std::str::from_utf8(header.value).ok())
        .and_then(|value| value.trim().parse::<usize>().ok())
        .ok_or_else(|| invalid("the response has no Content-Length"))?;
    Ok(Some(head + length))
}
