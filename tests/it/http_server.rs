//! The real binary's HTTP server holds up to strangers: thousands of idle connections do not
//! stop `/healthz` or a `/meet`, the open-file limit is raised at start, connections that never
//! finish their headers are closed, and shutdown does not wait on them.
//!
//! In the one test process: it raises that process's soft open-file limit to the hard one (for
//! the strangers' side of the connections), a change the other tests cannot notice.
#![cfg(target_os = "linux")]

use crate::support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use support::binary::{Binary, Start};
use support::bot::PATIENCE;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zoombot::http::HEADER_READ_TIMEOUT;

/// Idle connections a stranger opens: more than the 1,024 open files the bot starts with.
const IDLE: usize = 2_000;

/// Lets this test process hold the strangers' side of `IDLE` connections.
fn raise_own_open_file_limit() {
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    );
    let now = getrlimit(Resource::Nofile).current;
    assert!(
        now.is_none_or(|n| n > 2 * IDLE as u64),
        "this test needs more than {} open files; its hard limit allows {now:?}",
        2 * IDLE
    );
}

/// `n` connections to `addr` that never send anything.
async fn idle_connections(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        let conn = tokio::time::timeout(PATIENCE, TcpStream::connect(addr))
            .await
            .unwrap_or_else(|_| panic!("connection {i} was not accepted in time"))
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        conns.push(conn);
    }
    conns
}

/// `GET /healthz` on a new connection, bounded: status and body, or why there was none.
async fn healthz(addr: SocketAddr) -> Result<(u16, String), String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(PATIENCE)
        .build()
        .expect("client");
    let response = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.map_err(|e| e.to_string())?))
}

/// The soft and hard "Max open files" of process `pid`, from /proc.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("/proc limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let mut fields = line["Max open files".len()..].split_whitespace();
    (
        fields.next().expect("soft").to_owned(),
        fields.next().expect("hard").to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_at_1024_open_files_leave_healthz_and_meet_working() {
    raise_own_open_file_limit();
    // Hard limit 1,024 too, so raising the soft limit cannot help: the connection limit must.
    let bot = Binary::start(Start {
        nofile: Some((1024, Some(1024))),
        ..Start::default()
    })
    .await;
    let addr = bot.http_addr().await;

    let _strangers = idle_connections(addr, IDLE).await;

    let probe = healthz(addr).await;
    assert_eq!(
        probe,
        Ok((200, "ok\n".to_owned())),
        "/healthz with {IDLE} idle connections open; log: {}",
        bot.log()
    );
    let meet = bot.meet(1_500_000_000_000_000_001, "Under a flood").await;
    assert_eq!(meet, Ok(()), "log: {}", bot.log());
    assert!(!bot.log().contains("Too many open files"), "{}", bot.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_soft_open_file_limit_is_raised_to_the_hard_one_and_both_are_logged() {
    let hard = getrlimit(Resource::Nofile).maximum;
    assert!(
        hard.is_none_or(|h| h > 1024),
        "the hard limit here is {hard:?}: nothing to raise to"
    );
    let bot = Binary::start(Start {
        nofile: Some((1024, None)),
        ..Start::default()
    })
    .await;

    let (soft, hard) = open_file_limits(bot.pid());

    assert_eq!(soft, hard, "the soft limit stayed below the hard one");
    let line = bot.log_line("open-file limit").await;
    assert!(line.contains("soft_before=1024"), "{line}");
    assert!(line.contains(&format!("hard={hard}")), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_never_finish_their_headers_are_closed_within_the_header_timeout() {
    let bot = Binary::start(Start::default()).await;
    let addr = bot.http_addr().await;
    let mut silent = TcpStream::connect(addr).await.expect("connect");
    let mut partial = TcpStream::connect(addr).await.expect("connect");
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: zoombot\r\n")
        .await
        .expect("send part of the headers");
    let began = Instant::now();
    let bound = HEADER_READ_TIMEOUT + Duration::from_secs(5);

    let mut buf = [0u8; 256];
    let (silent_read, partial_read) = tokio::join!(
        tokio::time::timeout(bound, silent.read(&mut buf)),
        tokio::time::timeout(bound, async {
            let mut buf = [0u8; 256];
            partial.read(&mut buf).await
        }),
    );

    for (which, read) in [("silent", silent_read), ("partial", partial_read)] {
        let read = read.unwrap_or_else(|_| panic!("the {which} connection was still open"));
        // Closed (end of stream or reset), and not with an answer.
        assert!(matches!(read, Ok(0) | Err(_)), "{which}: {read:?}");
    }
    assert!(
        began.elapsed() >= HEADER_READ_TIMEOUT / 2,
        "closed before the header timeout: not the timeout at work"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_http_server_promptly_with_unfinished_connections_open() {
    let bot = Binary::start(Start::default()).await;
    let addr = bot.http_addr().await;
    let _idle = idle_connections(addr, 50).await;
    let mut partial = TcpStream::connect(addr).await.expect("connect");
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .expect("send part of the headers");

    let status = Command::new("kill")
        .args(["-TERM", &bot.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());

    let bye = bot.log_line("shut down; bye").await;
    assert!(
        bye.contains("http=\"stopped\"") || bye.contains("http=stopped"),
        "{bye}"
    );
}
