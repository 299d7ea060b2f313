//! UDP and Unix domain round trips.

use std::net::Shutdown;
use std::path::PathBuf;
use std::time::Duration;

use evloop::net::{UdpSocket, UnixListener, UnixStream};
use evloop_test_support::within;
use futures::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn udp_send_to_and_recv_from_round_trip() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let server = UdpSocket::bind("127.0.0.1:0").unwrap();
            let server_addr = server.local_addr().unwrap();
            let echo = evloop::spawn(async move {
                let mut buf = [0u8; 1500];
                for _ in 0..100 {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    server.send_to(&buf[..n], from).await.unwrap();
                }
            });
            let client = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut buf = [0u8; 1500];
            for i in 0..100u32 {
                let msg = i.to_be_bytes();
                client.send_to(&msg, server_addr).await.unwrap();
                let (n, from) = client.recv_from(&mut buf).await.unwrap();
                assert_eq!((&buf[..n], from), (&msg[..], server_addr));
            }
            echo.await.unwrap();
        });
    });
}

#[test]
fn connected_udp_sockets_send_and_recv() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            a.connect(b.local_addr().unwrap()).unwrap();
            b.connect(a.local_addr().unwrap()).unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
            let reader = evloop::spawn(async move {
                let mut buf = [0u8; 64];
                let n = b.recv(&mut buf).await.unwrap();
                b.send(&buf[..n]).await.unwrap();
                buf[..n].to_vec()
            });
            a.send(b"datagram").await.unwrap();
            let mut buf = [0u8; 64];
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"datagram");
            assert_eq!(reader.await.unwrap(), b"datagram");
        });
    });
}

fn socket_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("evloop-{name}-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn unix_listener_and_stream_round_trip() {
    within(Duration::from_secs(30), || {
        let path = socket_path("echo");
        evloop::run({
            let path = path.clone();
            async move {
                let listener = UnixListener::bind(&path).unwrap();
                let server = evloop::spawn(async move {
                    for _ in 0..4 {
                        let (stream, _) = listener.accept().await.unwrap();
                        let _detached = evloop::spawn(async move {
                            let (r, mut w) = stream.into_split();
                            futures::io::copy(r, &mut w).await.unwrap();
                        });
                    }
                });
                let mut clients = Vec::new();
                for i in 0..4u8 {
                    let path = path.clone();
                    clients.push(evloop::spawn(async move {
                        let mut stream = UnixStream::connect(&path).await.unwrap();
                        let data = vec![i; 200_000];
                        let (mut r, mut w) = (&stream, &stream);
                        let send = async {
                            AsyncWriteExt::write_all(&mut w, &data).await.unwrap();
                            stream.shutdown(Shutdown::Write).unwrap();
                        };
                        let mut echoed = Vec::new();
                        let recv = r.read_to_end(&mut echoed);
                        let (_, n) = futures::join!(send, recv);
                        assert_eq!(n.unwrap(), data.len());
                        assert!(echoed == data);
                        // The owned stream implements the traits too.
                        assert_eq!(AsyncReadExt::read(&mut stream, &mut [0u8; 1]).await.unwrap(), 0);
                    }));
                }
                for c in clients {
                    c.await.unwrap();
                }
                server.await.unwrap();
            }
        });
        std::fs::remove_file(&path).unwrap();
    });
}

#[test]
fn unix_pair_and_half_close() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let (a, b) = UnixStream::pair().unwrap();
            a.write_all(b"question").await.unwrap();
            a.shutdown(Shutdown::Write).unwrap();
            let mut got = Vec::new();
            (&b).read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"question");
            b.write_all(b"answer").await.unwrap();
            drop(b);
            let mut reply = Vec::new();
            (&a).read_to_end(&mut reply).await.unwrap();
            assert_eq!(reply, b"answer");
        });
    });
}

#[test]
fn connecting_to_a_missing_unix_socket_fails_at_once() {
    within(Duration::from_secs(10), || {
        evloop::run(async {
            let path = socket_path("missing");
            let err = UnixStream::connect(&path).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
        });
    });
}

// Several tasks accepting on one Unix listener each get their own
// connection, in the order they started waiting.
#[test]
fn several_unix_acceptors_each_get_a_connection_in_fifo_order() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let path = socket_path("acceptors");
            let listener = std::rc::Rc::new(UnixListener::bind(&path).unwrap());
            let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
            let acceptors: Vec<_> = (0..3u8)
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
            evloop::yield_now().await;
            let mut clients = Vec::new();
            for n in 0..3u8 {
                let client = UnixStream::connect(&path).await.unwrap();
                client.write_all(&[n]).await.unwrap();
                clients.push(client);
                while order.borrow().len() < usize::from(n) + 1 {
                    evloop::sleep(Duration::from_millis(1)).await;
                }
            }
            for a in acceptors {
                a.await.unwrap();
            }
            assert_eq!(*order.borrow(), [(0, 0), (1, 1), (2, 2)]);
            let _ = std::fs::remove_file(&path);
        });
    });
}
