//! `TcpListener::bind_reuse_port`: two shards listen on one port and the
//! kernel spreads 200 loopback connections between them.

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evloop::net::TcpListener;
use evloop::shard;
use evloop_test_support::within;
use futures::channel::oneshot;

const CONNECTIONS: usize = 200;

#[test]
fn two_shards_on_one_port_both_serve_some_of_200_connections() {
    let port = Arc::new(AtomicU16::new(0));
    let bound = Arc::new(AtomicUsize::new(0));
    let (stop_senders, stop_receivers): (Vec<_>, Vec<_>) = (0..2).map(|_| oneshot::channel::<()>()).unzip();
    let stop_receivers = Arc::new(Mutex::new(stop_receivers.into_iter().map(Some).collect::<Vec<_>>()));

    // The client: a plain thread, once both shards listen. Each connection
    // reads one byte: the index of the shard that accepted it.
    let client = std::thread::spawn({
        let (port, bound) = (port.clone(), bound.clone());
        move || {
            while bound.load(Ordering::SeqCst) < 2 {
                std::thread::sleep(Duration::from_millis(1));
            }
            let addr = ("127.0.0.1", port.load(Ordering::SeqCst));
            let mut tally = [0usize; 2];
            for _ in 0..CONNECTIONS {
                let mut conn = std::net::TcpStream::connect(addr).unwrap();
                let mut byte = [0u8];
                conn.read_exact(&mut byte).unwrap();
                tally[byte[0] as usize] += 1;
            }
            for stop in stop_senders {
                let _ = stop.send(());
            }
            tally
        }
    });

    let served = within(Duration::from_secs(60), move || {
        shard::run(2, move |me| {
            let (port, bound) = (port.clone(), bound.clone());
            let stop = stop_receivers.lock().unwrap()[me.index()].take().unwrap();
            async move {
                let listener = if me.index() == 0 {
                    let listener = TcpListener::bind_reuse_port("127.0.0.1:0").unwrap();
                    port.store(listener.local_addr().unwrap().port(), Ordering::SeqCst);
                    listener
                } else {
                    while port.load(Ordering::SeqCst) == 0 {
                        evloop::sleep(Duration::from_millis(1)).await;
                    }
                    TcpListener::bind_reuse_port(("127.0.0.1", port.load(Ordering::SeqCst))).unwrap()
                };
                bound.fetch_add(1, Ordering::SeqCst);
                let served = Rc::new(Cell::new(0usize));
                let acceptor = evloop::spawn({
                    let served = served.clone();
                    let index = me.index() as u8;
                    async move {
                        loop {
                            let (conn, _) = listener.accept().await.unwrap();
                            served.set(served.get() + 1);
                            conn.write_all(&[index]).await.unwrap();
                        }
                    }
                });
                stop.await.unwrap();
                acceptor.cancel();
                served.get()
            }
        })
    });
    let tally = client.join().unwrap();
    assert_eq!(served, tally.to_vec(), "each shard served what the client saw it serve");
    assert_eq!(served.iter().sum::<usize>(), CONNECTIONS);
    assert!(served.iter().all(|&n| n > 0), "both shards must serve some: {served:?}");
}
