//! TCP: echo through AsyncRead/AsyncWrite, resets, half-close, refused
//! connects, owned halves.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use evloop::net::{TcpListener, TcpStream};
use evloop_test_support::within;
use futures::io::{AsyncReadExt, AsyncWriteExt};

const MB: usize = 1 << 20;

fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) ^ seed) as u8).collect()
}

#[test]
fn eight_clients_echo_one_megabyte_each_through_async_read_and_write() {
    within(Duration::from_secs(120), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let mut handlers = Vec::new();
                for _ in 0..8 {
                    let (stream, _) = listener.accept().await.unwrap();
                    handlers.push(evloop::spawn(async move {
                        let (reader, mut writer) = stream.into_split();
                        let n = futures::io::copy(reader, &mut writer).await.unwrap();
                        writer.close().await.unwrap();
                        n
                    }));
                }
                let mut total = 0;
                for h in handlers {
                    total += h.await.unwrap();
                }
                total
            });
            let mut clients = Vec::new();
            for seed in 0..8 {
                clients.push(evloop::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let (mut reader, mut writer) = stream.into_split();
                    let data = pattern(seed, MB);
                    let expected = data.clone();
                    let send = evloop::spawn(async move {
                        writer.write_all(&data).await.unwrap();
                        writer.close().await.unwrap();
                    });
                    let mut echoed = Vec::new();
                    reader.read_to_end(&mut echoed).await.unwrap();
                    send.await.unwrap();
                    assert!(echoed == expected, "client {seed}: the echo differs");
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            assert_eq!(server.await.unwrap(), 8 * MB as u64);
        });
    });
}

/// Makes `close` send a RST instead of a FIN.
fn set_linger_zero(fd: i32) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `fd` is an open socket owned by the caller; the option value
    // points to a live `linger` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER): {}", io::Error::last_os_error());
}

#[test]
fn a_peer_that_resets_mid_stream_gives_an_error_not_a_hang() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                stream.write_all(&[7u8; 4096]).await.unwrap();
                // Wait until the client has read something, then reset.
                let mut byte = [0u8; 1];
                stream.read_exact(&mut byte).await.unwrap();
                set_linger_zero(stream.as_raw_fd());
                drop(stream);
            });
            let client = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0u8; 1024];
            let n = client.read(&mut buf).await.unwrap();
            assert!(n > 0);
            client.write_all(b"x").await.unwrap();
            server.await.unwrap();
            // Reads drain what was sent, then report the reset. Writes that
            // follow a reset fail too.
            let mut outcome = Ok(0);
            for _ in 0..64 {
                outcome = client.read(&mut buf).await;
                if !matches!(outcome, Ok(n) if n > 0) {
                    break;
                }
            }
            let err = outcome.expect_err("a reset must surface as an error, not as end of stream");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        });
    });
}

#[test]
fn a_writer_whose_peer_resets_gets_an_error() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                stream.read_exact(&mut buf).await.unwrap();
                set_linger_zero(stream.as_raw_fd());
            });
            let client = TcpStream::connect(addr).await.unwrap();
            let chunk = vec![1u8; 64 * 1024];
            let mut result = Ok(());
            // Bounded: the reset arrives long before 4 GB have been sent.
            for _ in 0..65536 {
                result = client.write_all(&chunk).await;
                if result.is_err() {
                    break;
                }
            }
            let err = result.expect_err("writing to a reset peer must fail");
            assert!(
                matches!(err.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe),
                "{err}"
            );
            server.await.unwrap();
        });
    });
}

#[test]
fn half_close_lets_the_peer_finish_its_reply() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let mut request = Vec::new();
                (&stream).read_to_end(&mut request).await.unwrap();
                let reply = format!("got {} bytes", request.len());
                stream.write_all(reply.as_bytes()).await.unwrap();
                request
            });
            let client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"hello, ").await.unwrap();
            client.write_all(b"world").await.unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            let mut reply = String::new();
            (&client).read_to_string(&mut reply).await.unwrap();
            assert_eq!(reply, "got 12 bytes");
            assert_eq!(server.await.unwrap(), b"hello, world");
            // Writing after our own shutdown fails.
            assert!(client.write_all(b"late").await.is_err());
        });
    });
}

fn unused_port() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

#[test]
fn connecting_to_a_closed_port_is_refused_at_once() {
    within(Duration::from_secs(10), || {
        evloop::run(async {
            let addr = unused_port();
            let err = evloop::timeout(Duration::from_secs(5), TcpStream::connect(addr))
                .await
                .expect("a refused connect must not hang")
                .expect_err("nothing listens there");
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        });
    });
}

#[test]
fn connect_tries_every_resolved_address() {
    within(Duration::from_secs(10), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let good = listener.local_addr().unwrap();
            let addrs = [unused_port(), good];
            let accept = evloop::spawn(async move { listener.accept().await.unwrap().1 });
            let stream = TcpStream::connect(&addrs[..]).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap(), good);
            assert_eq!(accept.await.unwrap(), stream.local_addr().unwrap());
        });
    });
}

#[test]
fn split_halves_work_in_two_tasks_and_reunite() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                stream.set_nodelay(true).unwrap();
                assert!(stream.nodelay().unwrap());
                let mut buf = [0u8; 5];
                stream.read_exact(&mut buf).await.unwrap();
                stream.write_all(&buf).await.unwrap();
                let mut rest = Vec::new();
                (&stream).read_to_end(&mut rest).await.unwrap();
                rest
            });
            let (read, write) = TcpStream::connect(addr).await.unwrap().into_split();
            let writer = evloop::spawn(async move {
                write.write_all(b"hello").await.unwrap();
                write
            });
            let mut buf = [0u8; 5];
            read.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello");
            let write = writer.await.unwrap();
            let stream = read.reunite(write).unwrap();
            stream.write_all(b"!").await.unwrap();
            drop(stream);
            assert_eq!(server.await.unwrap(), b"!");
        });
    });
}

#[test]
fn dropping_the_write_half_half_closes() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let server = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let mut got = Vec::new();
                (&stream).read_to_end(&mut got).await.unwrap();
                stream.write_all(b"done").await.unwrap();
                got
            });
            let (read, write) = TcpStream::connect(addr).await.unwrap().into_split();
            write.write_all(b"abc").await.unwrap();
            drop(write);
            let mut reply = [0u8; 4];
            read.read_exact(&mut reply).await.unwrap();
            assert_eq!(&reply, b"done");
            assert_eq!(server.await.unwrap(), b"abc");
        });
    });
}

#[test]
fn one_task_reads_while_another_writes_the_same_stream() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let peer = evloop::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let (r, mut w) = stream.into_split();
                futures::io::copy(r, &mut w).await.unwrap()
            });
            let stream = std::rc::Rc::new(TcpStream::connect(addr).await.unwrap());
            let writer = evloop::spawn({
                let stream = stream.clone();
                async move {
                    for i in 0..200u32 {
                        stream.write_all(&[i as u8; 1000]).await.unwrap();
                    }
                    stream.shutdown(Shutdown::Write).unwrap();
                }
            });
            let mut total = 0;
            let mut buf = vec![0u8; 4096];
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                total += n;
            }
            writer.await.unwrap();
            assert_eq!(total, 200_000);
            assert_eq!(peer.await.unwrap(), 200_000);
        });
    });
}

#[test]
fn data_and_end_of_stream_arriving_together_are_both_seen() {
    // A short read forgets the read readiness, unless the event already
    // reported the close: otherwise this would hang waiting for an edge
    // that never comes.
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            for round in 0..20 {
                let sender = std::thread::spawn(move || {
                    use std::io::Write;
                    let mut s = std::net::TcpStream::connect(addr).unwrap();
                    s.write_all(&[round as u8; 100]).unwrap();
                    // Closed at once: data and FIN travel together.
                });
                let (stream, _) = listener.accept().await.unwrap();
                sender.join().unwrap();
                let mut buf = [0u8; 4096];
                let mut got = 0;
                loop {
                    match stream.read(&mut buf).await.unwrap() {
                        0 => break,
                        n => got += n,
                    }
                }
                assert_eq!(got, 100);
            }
        });
    });
}

#[test]
fn a_socket_used_inside_another_loop_panics_with_its_type() {
    let lp_a = evloop::EventLoop::new().unwrap();
    let listener = lp_a.block_on(async { TcpListener::bind("127.0.0.1:0").unwrap() });
    let lp_b = evloop::EventLoop::new().unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lp_b.block_on(async { listener.accept().await.map(|_| ()) })
    }));
    let message = evloop_test_support::panic_message(&*panicked.expect_err("must not hang"));
    assert!(message.contains("belongs to a different event loop"), "{message}");
    assert!(message.contains("TcpListener"), "{message}");
}

// Several tasks accepting on one listener each get their own connections,
// in the order they started waiting.
#[test]
fn several_acceptors_each_get_a_connection_in_fifo_order() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = std::rc::Rc::new(TcpListener::bind("127.0.0.1:0").unwrap());
            let addr = listener.local_addr().unwrap();
            let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let acceptors: Vec<_> = (0..4u8)
                .map(|i| {
                    let (listener, order) = (listener.clone(), order.clone());
                    evloop::spawn(async move {
                        let (stream, _) = listener.accept().await.unwrap();
                        let mut byte = [0u8];
                        stream.read_exact(&mut byte).await.unwrap();
                        order.borrow_mut().push((i, byte[0]));
                    })
                })
                .collect();
            for _ in 0..3 {
                evloop::yield_now().await; // every acceptor is waiting
            }
            let mut clients = Vec::new();
            for n in 0..4u8 {
                let client = TcpStream::connect(addr).await.unwrap();
                client.write_all(&[n]).await.unwrap();
                clients.push(client);
                // the next connection arrives after this one was accepted
                while order.borrow().len() < usize::from(n) + 1 {
                    evloop::sleep(Duration::from_millis(1)).await;
                }
            }
            for a in acceptors {
                a.await.unwrap();
            }
            assert_eq!(*order.borrow(), [(0, 0), (1, 1), (2, 2), (3, 3)]);
        });
    });
}

// A cancelled acceptor hands its turn on: the next one is served.
#[test]
fn a_cancelled_acceptor_passes_its_turn_on() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = std::rc::Rc::new(TcpListener::bind("127.0.0.1:0").unwrap());
            let addr = listener.local_addr().unwrap();
            let first = {
                let l = listener.clone();
                evloop::spawn(async move { l.accept().await.map(|_| ()) })
            };
            let second = {
                let l = listener.clone();
                evloop::spawn(async move { l.accept().await.map(|(_, peer)| peer) })
            };
            evloop::yield_now().await;
            assert!(first.cancel());
            let client = TcpStream::connect(addr).await.unwrap();
            let peer = evloop::timeout(Duration::from_secs(5), second)
                .await
                .expect("not served");
            assert_eq!(peer.unwrap().unwrap(), client.local_addr().unwrap());
            assert!(first.await.unwrap_err().is_cancelled());
        });
    });
}

// A second task reading (or writing) while another waits in the same
// direction gets a clear error instead of stealing the first one's wake-up.
#[test]
fn a_second_reader_or_writer_on_one_stream_gets_an_error() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let server = std::rc::Rc::new(server);
            let first = {
                let s = server.clone();
                evloop::spawn(async move {
                    let mut buf = [0u8; 8];
                    let n = s.read(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                })
            };
            evloop::yield_now().await; // `first` waits for data
            let mut buf = [0u8; 8];
            let err = server.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ResourceBusy);
            assert!(err.to_string().contains("already reading"), "{err}");
            let err = AsyncReadExt::read(&mut &*server, &mut buf).await.unwrap_err(); // AsyncRead too
            assert_eq!(err.kind(), io::ErrorKind::ResourceBusy);
            client.write_all(b"hi").await.unwrap();
            assert_eq!(first.await.unwrap(), b"hi");
            // Once the first reader is done, reading is free again.
            client.write_all(b"yo").await.unwrap();
            assert_eq!(server.read(&mut buf).await.unwrap(), 2);

            // Writers: fill the send buffer so the first writer waits.
            let big = vec![7u8; 32 << 20];
            let writer = {
                let s = server.clone();
                evloop::spawn(async move { s.write_all(&big).await })
            };
            evloop::sleep(Duration::from_millis(50)).await;
            let err = server.write(b"x").await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ResourceBusy);
            assert!(err.to_string().contains("already writing"), "{err}");
            assert!(writer.cancel());
        });
    });
}

#[test]
fn binding_outside_a_loop_names_the_callers_line_and_what_to_do() {
    thread_local! {
        static WHERE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| l.file().to_string());
        WHERE.with(|w| *w.borrow_mut() = at);
    }));
    let panicked = std::panic::catch_unwind(|| TcpListener::bind("127.0.0.1:0").map(|_| ()));
    std::panic::set_hook(previous);
    let file = WHERE.with(|w| w.borrow_mut().take()).unwrap_or_default();
    assert!(
        file.ends_with("net_tcp.rs"),
        "the panic points at the caller, not at {file}"
    );
    let message = evloop_test_support::panic_message(&*panicked.expect_err("no loop runs here"));
    assert!(message.contains("no running event loop"), "{message}");
    assert!(message.contains("TcpListener::bind"), "{message}");
    assert!(!message.contains("IoSource::new must"), "{message}");
}
