//! The graceful-shutdown server (examples/graceful_server) in a child
//! process: SIGTERM or SIGINT stops accepting, lets requests in flight
//! finish within the grace period, cancels the rest, exits 0.

mod support;

#[allow(dead_code)]
#[path = "../examples/graceful_server/server.rs"]
mod server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use support::within;

/// The server, run by the tests below in a child process.
#[test]
fn graceful_child() {
    let Some(grace_ms) = std::env::var_os("EVLOOP_GRACEFUL_CHILD") else {
        return;
    };
    let grace = Duration::from_millis(grace_ms.to_str().unwrap().parse().unwrap());
    let options = server::Options {
        addr: "127.0.0.1:0".into(),
        grace,
    };
    let report = evloop::run(server::serve(options)).unwrap();
    println!("REPORT {} {}", report.completed, report.cancelled);
}

struct ChildServer {
    child: Child,
    out: BufReader<ChildStdout>,
    addr: SocketAddr,
}

impl ChildServer {
    fn start(grace_ms: u64) -> ChildServer {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "graceful_child", "--nocapture", "--test-threads=1"])
            .env("EVLOOP_GRACEFUL_CHILD", grace_ms.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let addr = loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "the server exited early");
            if let Some(addr) = line.split("listening on ").nth(1) {
                break addr.trim().parse().unwrap();
            }
        };
        ChildServer { child, out, addr }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) with the pid of our own child process.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
        assert_eq!(rc, 0);
    }

    /// Reads the child's output up to a line containing `what`.
    fn expect_line(&mut self, what: &str) -> String {
        loop {
            let mut line = String::new();
            assert!(
                self.out.read_line(&mut line).unwrap() > 0,
                "the server exited before {what:?}"
            );
            if line.contains(what) {
                return line;
            }
        }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        let mut server = ChildServer::start(3000);
        let addr = server.addr;
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

        let report = server.expect_line("REPORT ");
        assert_eq!(
            report.split("REPORT ").nth(1).unwrap().trim(),
            "1 1",
            "1 completed, 1 cancelled"
        );
        let status = server.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    });
}

#[test]
fn sigint_with_nothing_in_flight_exits_zero_without_waiting_out_the_grace() {
    within(Duration::from_secs(60), || {
        let mut server = ChildServer::start(60_000);
        let mut conn = BufReader::new(TcpStream::connect(server.addr).unwrap());
        writeln!(conn.get_mut(), "WORK 1").unwrap();
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        line.clear();
        conn.read_line(&mut line).unwrap();
        assert_eq!(line, "done 1\n");

        server.signal(libc::SIGINT);
        server.expect_line("Received SIGINT");
        let report = server.expect_line("REPORT ");
        assert_eq!(report.split("REPORT ").nth(1).unwrap().trim(), "1 0");
        // Even with a minute of grace, nothing in flight means no wait.
        let status = server.child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    });
}
