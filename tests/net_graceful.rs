//! The graceful-shutdown server (examples/graceful_server) in a child
//! process: SIGTERM or SIGINT stops accepting, lets requests in flight
//! finish within the grace period, cancels the rest, exits 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use evloop_test_support::{within, Example};

/// The example, listening on a free loopback port, with `grace_ms` of grace.
fn start(grace_ms: u64) -> (Example, SocketAddr) {
    let mut server = Example::start("graceful_server", &["--port", "0", "--grace-ms", &grace_ms.to_string()]);
    let addr = server.listening_address();
    (server, addr)
}

fn request(addr: SocketAddr, ms: u64) -> BufReader<TcpStream> {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    writeln!(conn, "WORK {ms}").unwrap();
    let mut conn = BufReader::new(conn);
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    assert!(line.starts_with("accepted "), "{line:?}");
    conn
}

#[test]
fn sigterm_lets_requests_in_flight_finish_and_cancels_the_rest() {
    within(Duration::from_secs(120), || {
        let (mut server, addr) = start(3000);
        let mut short = request(addr, 500);
        let mut long = request(addr, 600_000);
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.set_read_timeout(Some(Duration::from_secs(60))).unwrap();

        server.signal(libc::SIGTERM);
        server.expect_line("Received SIGTERM");
        server.expect_line("Stopped accepting");
        // No new connections once the listener is closed.
        assert!(TcpStream::connect(addr).is_err(), "the server still accepts");

        // The short request completes within the grace period.
        let mut line = String::new();
        short.read_line(&mut line).unwrap();
        assert_eq!(line, "done 1\n");
        // The idle connection is closed (end of stream or a reset).
        let mut rest = Vec::new();
        let _ = idle.read_to_end(&mut rest);
        assert!(rest.is_empty());
        // The long one is cancelled at the end of the grace period: its
        // connection closes without a "done".
        let mut rest = String::new();
        let _ = long.read_to_string(&mut rest);
        assert!(!rest.contains("done"), "{rest:?}");

        server.expect_line("Shutdown complete: 1 completed, 1 cancelled");
        server.expect_success();
    });
}

#[test]
fn sigint_with_nothing_in_flight_exits_zero_without_waiting_out_the_grace() {
    within(Duration::from_secs(60), || {
        let (mut server, addr) = start(600_000);
        let mut conn = BufReader::new(TcpStream::connect(addr).unwrap());
        writeln!(conn.get_mut(), "WORK 1").unwrap();
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        line.clear();
        conn.read_line(&mut line).unwrap();
        assert_eq!(line, "done 1\n");

        server.signal(libc::SIGINT);
        server.expect_line("Received SIGINT");
        server.expect_line("Shutdown complete: 1 completed, 0 cancelled");
        // Even with ten minutes of grace, nothing in flight means no wait
        // (the `within` above fails the test long before).
        server.expect_success();
    });
}
