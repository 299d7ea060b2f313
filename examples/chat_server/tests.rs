//! The chat server (examples/chat_server) with loopback clients on the same
//! loop: 200 healthy clients get every line and none is evicted; a client
//! that stops reading is evicted while the others go on; the shutdown
//! reaches every client.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use evloop::net::{TcpListener, TcpStream};
use evloop::sync::{Barrier, Event};
use evloop_test_support::within;
use futures::io::{AsyncBufReadExt, BufReader, Lines};
use futures::StreamExt;

use crate::server;

/// Starts the server on a free port; it shuts down when `stop` is set.
fn start(options: server::Options) -> (SocketAddr, Rc<Event>, evloop::Task<std::io::Result<server::Report>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Rc::new(Event::new());
    let shutdown = {
        let stop = stop.clone();
        async move { stop.wait().await }
    };
    (addr, stop, evloop::spawn(server::serve(listener, options, shutdown)))
}

async fn next_line(lines: &mut Lines<BufReader<&TcpStream>>) -> Option<String> {
    lines.next().await.map(|line| line.unwrap())
}

/// Reads until `want` chat lines (`<name> ...`) have arrived; panics on an
/// eviction notice.
async fn read_chat(lines: &mut Lines<BufReader<&TcpStream>>, want: usize) {
    let mut chat = 0;
    while chat < want {
        let line = next_line(lines).await.expect("the server closed the connection");
        if line.starts_with('<') {
            chat += 1;
        } else {
            assert!(!line.contains("you fell"), "a healthy client was evicted: {line}");
        }
    }
}

#[test]
fn two_hundred_healthy_clients_get_every_line_and_none_is_evicted() {
    const CLIENTS: usize = 200;
    const LINES: usize = 10;
    within(Duration::from_secs(120), || {
        evloop::run(async {
            let (addr, stop, server) = start(server::Options::default());
            let subscribed = Rc::new(Barrier::new(CLIENTS));
            let finished = Rc::new(Barrier::new(CLIENTS + 1));
            let clients: Vec<_> = (0..CLIENTS)
                .map(|i| {
                    let (subscribed, finished) = (subscribed.clone(), finished.clone());
                    evloop::spawn(async move {
                        let stream = TcpStream::connect(addr).await.unwrap();
                        let mut lines = BufReader::new(&stream).lines();
                        // Our own join notice comes after we subscribed.
                        next_line(&mut lines).await.unwrap();
                        subscribed.wait().await.unwrap();
                        // Ten lines in one write, as a paste would send them.
                        let burst: String = (0..LINES).map(|j| format!("client {i} line {j}\n")).collect();
                        stream.write_all(burst.as_bytes()).await.unwrap();
                        read_chat(&mut lines, CLIENTS * LINES).await;
                        finished.wait().await.unwrap();
                        // Then the shutdown notice, and the server closes.
                        let mut rest = Vec::new();
                        while let Some(line) = next_line(&mut lines).await {
                            rest.push(line);
                        }
                        assert!(rest.iter().any(|l| l == "* server shutting down"), "{rest:?}");
                    })
                })
                .collect();
            finished.wait().await.unwrap();
            stop.set();
            for client in clients {
                client.await.unwrap();
            }
            let report = server.await.unwrap().unwrap();
            assert_eq!(
                report,
                server::Report {
                    joined: CLIENTS as u64,
                    evicted: 0,
                    relayed: (CLIENTS * LINES) as u64,
                    cut_off: 0,
                }
            );
        });
    });
}

/// A client socket with a small receive buffer that never reads.
fn stuck_client(addr: SocketAddr) -> std::net::TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    socket.into()
}

#[test]
fn a_client_that_stops_reading_is_evicted_and_the_others_go_on() {
    const LINES: usize = 10_000;
    within(Duration::from_secs(120), || {
        evloop::run(async {
            let options = server::Options {
                queue: 64,
                write_timeout: Duration::from_millis(300),
                grace: Duration::from_secs(2),
            };
            let (addr, stop, server) = start(options);
            let stuck = stuck_client(addr);
            let listeners: Vec<_> = (0..5)
                .map(|_| {
                    evloop::spawn(async move {
                        let stream = TcpStream::connect(addr).await.unwrap();
                        let mut lines = BufReader::new(&stream).lines();
                        let mut chat = 0;
                        let mut saw_eviction = false;
                        while chat < LINES {
                            let line = next_line(&mut lines).await.unwrap();
                            assert!(!line.starts_with("* you fell"), "a reading client was evicted");
                            if line.starts_with('<') {
                                chat += 1;
                            }
                            saw_eviction |= line == "* guest1 was too slow and was disconnected";
                        }
                        (stream, saw_eviction)
                    })
                })
                .collect();
            // The talker sends ~10 MB of chat while reading its echo.
            let talker = TcpStream::connect(addr).await.unwrap();
            evloop::sleep(Duration::from_millis(50)).await; // everyone has joined
            let line = format!("{}\n", "x".repeat(1000));
            let talk = async {
                for _ in 0..LINES {
                    talker.write_all(line.as_bytes()).await.unwrap();
                }
            };
            let listen = async {
                let mut lines = BufReader::new(&talker).lines();
                read_chat(&mut lines, LINES).await;
            };
            evloop::join!(talk, listen);
            let mut someone_saw_it = false;
            for listener in listeners {
                let (_stream, saw) = listener.await.unwrap();
                someone_saw_it |= saw;
            }
            assert!(someone_saw_it, "the room was told about the eviction");
            stop.set();
            let report = server.await.unwrap().unwrap();
            assert_eq!(report.evicted, 1, "{report:?}");
            assert_eq!(report.joined, 7);
            drop(stuck);
        });
    });
}
