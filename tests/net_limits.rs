//! Descriptor limits: thousands of connections at once, and a listener that
//! rides out EMFILE.

use std::cell::Cell;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::net::{TcpListener, TcpStream};
use evloop_test_support::within;

fn rlimit_nofile() -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` through the valid pointer.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(rc, 0);
    lim
}

fn set_soft_nofile(soft: libc::rlim_t) {
    let lim = libc::rlimit {
        rlim_cur: soft,
        rlim_max: rlimit_nofile().rlim_max,
    };
    // SAFETY: setrlimit reads one `rlimit` through the valid pointer.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

#[test]
fn five_thousand_connections_held_open_are_all_served() {
    // Both ends live in this process: two descriptors per connection. Only
    // ever raised, so other tests in this binary are not disturbed.
    let wanted: libc::rlim_t = 5_000;
    let lim = rlimit_nofile();
    let need = 2 * wanted + 256;
    if lim.rlim_cur < need {
        set_soft_nofile(need.min(lim.rlim_max));
    }
    let available = rlimit_nofile().rlim_cur;
    let n = wanted.min(available.saturating_sub(256) / 2) as usize;
    if n < wanted as usize {
        eprintln!("RLIMIT_NOFILE hard limit {} allows only {n} connections", lim.rlim_max);
    }

    within(Duration::from_secs(240), move || {
        evloop::run(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let live = Rc::new(Cell::new(0usize));
            let peak = Rc::new(Cell::new(0usize));
            let server = evloop::spawn({
                let (live, peak) = (live.clone(), peak.clone());
                async move {
                    let mut served = 0;
                    while served < n {
                        let (stream, _) = listener.accept().await.unwrap();
                        served += 1;
                        live.set(live.get() + 1);
                        peak.set(peak.get().max(live.get()));
                        let live = live.clone();
                        let _handler = evloop::spawn(async move {
                            let mut id = [0u8; 4];
                            stream.read_exact(&mut id).await.unwrap();
                            stream.write_all(&id).await.unwrap();
                            // Hold the connection until the client closes it.
                            let mut rest = [0u8; 1];
                            assert_eq!(stream.read(&mut rest).await.unwrap(), 0);
                            live.set(live.get() - 1);
                        });
                    }
                }
            });
            // Connect in waves so the listen backlog never overflows (an
            // overflow only costs SYN retransmits, but those take seconds).
            let mut open = Vec::with_capacity(n);
            for wave in (0..n).collect::<Vec<_>>().chunks(250) {
                let clients: Vec<_> = wave
                    .iter()
                    .map(|&i| {
                        evloop::spawn(async move {
                            let stream = TcpStream::connect(addr).await.unwrap();
                            let id = (i as u32).to_be_bytes();
                            stream.write_all(&id).await.unwrap();
                            let mut echo = [0u8; 4];
                            stream.read_exact(&mut echo).await.unwrap();
                            assert_eq!(echo, id);
                            stream
                        })
                    })
                    .collect();
                for c in clients {
                    open.push(c.await.unwrap());
                }
            }
            server.await.unwrap();
            assert_eq!(open.len(), n);
            assert_eq!(live.get(), n, "every connection is open at once on the server");
            drop(open);
            for _ in 0..1000 {
                if live.get() == 0 {
                    break;
                }
                evloop::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(live.get(), 0, "every handler saw its client close");
            assert_eq!(peak.get(), n);
        });
    });
}

/// Room for this many accepted connections once the limit is lowered.
const HEADROOM: libc::rlim_t = 8;
/// Connections the parent opens: several times what fits.
const CLIENTS: usize = 24;

/// The server side of the EMFILE test, run in a child process with a low
/// RLIMIT_NOFILE by the test below.
#[test]
fn emfile_child() {
    if std::env::var_os("EVLOOP_EMFILE_CHILD").is_none() {
        return;
    }
    evloop::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        // Leave exactly HEADROOM free descriptor numbers under the limit
        // (inherited descriptors can leave gaps).
        let open: std::collections::HashSet<libc::rlim_t> = std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let mut free = 0;
        let mut limit = 0;
        while free < HEADROOM {
            if !open.contains(&limit) {
                free += 1;
            }
            limit += 1;
        }
        set_soft_nofile(limit);
        println!("PORT {}", listener.local_addr().unwrap().port());
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let _handler = evloop::spawn(async move {
                let mut line = Vec::new();
                let mut byte = [0u8; 1];
                loop {
                    match stream.read(&mut byte).await {
                        Ok(1) if byte[0] == b'\n' => {
                            if line == b"quit" {
                                // SAFETY: `rusage` is plain integers, for which all zeroes is valid.
                                let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
                                // SAFETY: getrusage writes one `rusage` through the valid pointer.
                                unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
                                let cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
                                    + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
                                println!("CPU_MS {cpu_ms}");
                                std::process::exit(0);
                            }
                            line.push(b'\n');
                            stream.write_all(&line).await.unwrap();
                            line.clear();
                        }
                        Ok(1) => line.push(byte[0]),
                        _ => return,
                    }
                }
            });
        }
    });
}

/// Kills the child if the test fails before it exits.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read_reply(conn: &std::net::TcpStream, timeout: Duration) -> Option<String> {
    conn.set_read_timeout(Some(timeout)).unwrap();
    let mut line = String::new();
    match BufReader::new(conn).read_line(&mut line) {
        Ok(n) if n > 0 => Some(line),
        _ => None,
    }
}

#[test]
fn a_listener_survives_emfile_and_serves_everyone_once_descriptors_free_up() {
    within(Duration::from_secs(180), || {
        let mut child = ChildGuard(
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "emfile_child", "--nocapture", "--test-threads=1"])
                .env("EVLOOP_EMFILE_CHILD", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut out = BufReader::new(child.0.stdout.take().unwrap());
        let port = loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "the child exited early");
            // The harness prints "test emfile_child ... " on the same line.
            if let Some(p) = line.split("PORT ").nth(1) {
                break p.trim().parse::<u16>().unwrap();
            }
        };
        let connect = || std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();

        let mut conns: Vec<_> = (0..CLIENTS).map(|_| connect()).collect();
        for (i, c) in conns.iter_mut().enumerate() {
            writeln!(c, "ping {i}").unwrap();
        }
        // The first one is served: the server is up.
        assert_eq!(read_reply(&conns[0], Duration::from_secs(30)).unwrap(), "ping 0\n");
        // Only a few fit under the limit; the rest wait in the backlog.
        let starved_since = Instant::now();
        let mut waiting = Vec::new();
        let mut served = Vec::new();
        for (i, c) in conns.into_iter().enumerate().skip(1) {
            match read_reply(&c, Duration::from_millis(300)) {
                Some(reply) => {
                    assert_eq!(reply, format!("ping {i}\n"));
                    served.push(c); // keep it open: its descriptor stays taken
                }
                None => waiting.push((i, c)),
            }
        }
        assert!(
            !waiting.is_empty(),
            "the descriptor limit was never reached: the test proves nothing"
        );
        let starved_for = starved_since.elapsed();
        // Close the served connections: their descriptors free up in the
        // server, which then accepts the rest, a freed slot at a time.
        drop(served);
        for (i, c) in waiting {
            let reply = read_reply(&c, Duration::from_secs(30));
            assert_eq!(reply.as_deref(), Some(format!("ping {i}\n").as_str()), "client {i}");
        }
        // Still serving new connections.
        let mut fresh = connect();
        writeln!(fresh, "hello again").unwrap();
        assert_eq!(read_reply(&fresh, Duration::from_secs(30)).unwrap(), "hello again\n");
        drop(fresh);

        let mut quit = connect();
        writeln!(quit, "quit").unwrap();
        let mut cpu_ms = None;
        for line in out.lines() {
            if let Some(ms) = line.unwrap().split("CPU_MS ").nth(1) {
                cpu_ms = Some(ms.trim().parse::<u128>().unwrap());
            }
        }
        assert!(child.0.wait().unwrap().success());
        // Not a timing assertion but a work bound: a listener that retried
        // accept without backing off would have burnt a core for the whole
        // starved phase.
        let cpu_ms = cpu_ms.expect("the child reports its CPU time");
        assert!(
            cpu_ms < starved_for.as_millis() / 2,
            "the server used {cpu_ms} ms of CPU during {starved_for:?} of starvation: it spins"
        );
    });
}
