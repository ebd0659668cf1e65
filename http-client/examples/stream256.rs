//! Downloads and uploads 256 MiB through a client whose `max_body_size` is 1 MiB, streaming,
//! and prints the process's peak resident memory (`VmHWM` of /proc/self/status) before and
//! after: it stays flat, far below the bytes moved.
//!
//! `cargo run --release -p fusebox-http --example stream256 [MiB]`
//!
//! The server is a few lines on std threads rather than the workspace's test server, which
//! holds whole bodies in memory (it records them): in one process, its memory would be counted
//! too.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use fusebox_http::bytes::Bytes;
use fusebox_http::{Client, RequestBody};
use fusebox_tokio::TokioRuntime;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};

const MIB: usize = 1024 * 1024;

/// Peak resident set size in KiB, as Linux reports it; 0 elsewhere.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// `GET /download/N` answers N bytes; `POST /upload` reads its body (`Content-Length`) and
/// answers how many bytes it read. Neither keeps more than 64 KiB.
fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let chunk = vec![7u8; 64 * 1024];
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            if header.trim().is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        if let Some(n) = path.strip_prefix("/download/") {
            let mut left: usize = n.parse().unwrap_or(0);
            write!(out, "HTTP/1.1 200 OK\r\ncontent-length: {left}\r\n\r\n")?;
            while left > 0 {
                let n = left.min(chunk.len());
                out.write_all(&chunk[..n])?;
                left -= n;
            }
        } else {
            let mut sink = [0u8; 64 * 1024];
            let mut read = 0;
            while read < length {
                let want = (length - read).min(sink.len());
                let n = reader.read(&mut sink[..want])?;
                if n == 0 {
                    return Ok(());
                }
                read += n;
            }
            let answer = read.to_string();
            write!(
                out,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{answer}",
                answer.len()
            )?;
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: usize = std::env::args().nth(1).map_or(Ok(256), |a| a.parse())?;
    let size = mib * MIB;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    let client = Client::builder()
        .runtime(TokioRuntime::new())
        .max_body_size(MIB)
        .build()?;
    let before = peak_rss_kib();
    println!("peak RSS before: {before} KiB");

    // Collecting it whole is refused: it is over max_body_size.
    let url = format!("http://{addr}/download/{size}");
    let e = client.get(&url).await?.bytes().await.unwrap_err();
    assert!(e.is_body_too_large());
    println!("bytes() of {mib} MiB: {e}");

    let start = Instant::now();
    let response = client.get(&url).timeout(Duration::from_secs(600)).await?;
    let mut body = response.into_body();
    let mut received = 0usize;
    while let Some(frame) = body.frame().await {
        received += frame?.into_data().map_or(0, |d| d.len());
    }
    assert_eq!(received, size);
    println!(
        "downloaded {mib} MiB in {:.2?}; peak RSS {} KiB",
        start.elapsed(),
        peak_rss_kib()
    );

    // One MiB buffer, shared by every frame (Bytes clones share it): nothing is copied.
    let piece = Bytes::from(vec![1u8; MIB]);
    let frames = futures_lite::stream::iter(
        (0..mib).map(move |_| Ok::<_, std::convert::Infallible>(Frame::data(piece.clone()))),
    );
    let start = Instant::now();
    let response = client
        .post(format!("http://{addr}/upload"))
        .header("content-length", size.to_string())
        .body(RequestBody::stream(StreamBody::new(frames)))
        .timeout(Duration::from_secs(600))
        .await?;
    let read: usize = response.text().await?.parse()?;
    assert_eq!(read, size);
    let after = peak_rss_kib();
    println!(
        "uploaded {mib} MiB in {:.2?}; peak RSS {after} KiB",
        start.elapsed()
    );
    println!(
        "peak RSS grew by {} KiB over {} MiB moved",
        after.saturating_sub(before),
        2 * mib
    );
    let stats = client.pool_stats().total;
    println!(
        "pool: created {}, reused {}, discarded {}",
        stats.created, stats.reused, stats.discarded
    );
    Ok(())
}
