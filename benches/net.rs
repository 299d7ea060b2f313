//! TCP on loopback: evloop beside tokio (current_thread) and async-io
//! (async-executor's LocalExecutor + `Async<TcpStream>`).
//!
//! - `tcp_echo_1000x64B`: 1,000 ping-pongs of 64 bytes on one connection,
//!   client and echo server on the same thread (latency: two wakeups and
//!   four system calls per round trip, at best);
//! - `tcp_bulk_64MB`: 64 MB one way in 64 KB writes, read in 64 KB reads
//!   (throughput).
//!
//! `cargo bench -p evloop-benches --bench net`

use std::time::{Duration, Instant};

use async_executor::LocalExecutor;
use async_io::Async;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use evloop_benches::tokio_rt;

const ROUND_TRIPS: usize = 1_000;
const MSG: usize = 64;
const BULK: usize = 64 << 20;
const CHUNK: usize = 64 << 10;

/// Runs `n` echo benchmarks' worth of round trips, timing only the trips.
fn evloop_echo(lp: &evloop::EventLoop, iters: u64) -> Duration {
    use evloop::net::{TcpListener, TcpStream};
    lp.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = evloop::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            let mut buf = [0u8; MSG];
            while s.read_exact(&mut buf).await.is_ok() {
                s.write_all(&buf).await.unwrap();
            }
        });
        let c = TcpStream::connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        let mut buf = [7u8; MSG];
        let start = Instant::now();
        for _ in 0..iters as usize * ROUND_TRIPS {
            c.write_all(&buf).await.unwrap();
            c.read_exact(&mut buf).await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(c);
        server.await.unwrap();
        elapsed
    })
}

fn tokio_echo(rt: &tokio::runtime::Runtime, iters: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.set_nodelay(true).unwrap();
            let mut buf = [0u8; MSG];
            while s.read_exact(&mut buf).await.is_ok() {
                s.write_all(&buf).await.unwrap();
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.set_nodelay(true).unwrap();
        let mut buf = [7u8; MSG];
        let start = Instant::now();
        for _ in 0..iters as usize * ROUND_TRIPS {
            c.write_all(&buf).await.unwrap();
            c.read_exact(&mut buf).await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(c);
        server.await.unwrap();
        elapsed
    })
}

fn async_io_echo(iters: u64) -> Duration {
    use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
    let ex = LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let listener = Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let server = ex.spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.get_ref().set_nodelay(true).unwrap();
            let mut buf = [0u8; MSG];
            while s.read_exact(&mut buf).await.is_ok() {
                s.write_all(&buf).await.unwrap();
            }
        });
        let mut c = Async::<std::net::TcpStream>::connect(addr).await.unwrap();
        c.get_ref().set_nodelay(true).unwrap();
        let mut buf = [7u8; MSG];
        let start = Instant::now();
        for _ in 0..iters as usize * ROUND_TRIPS {
            c.write_all(&buf).await.unwrap();
            c.read_exact(&mut buf).await.unwrap();
        }
        let elapsed = start.elapsed();
        drop(c);
        server.await;
        elapsed
    }))
}

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("tcp_echo_1000x64B");
    g.throughput(Throughput::Elements(ROUND_TRIPS as u64));
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| b.iter_custom(|iters| evloop_echo(&lp, iters)));
    let rt = tokio_rt();
    g.bench_function("tokio_current_thread", |b| {
        b.iter_custom(|iters| tokio_echo(&rt, iters))
    });
    g.bench_function("async_io_local_executor", |b| b.iter_custom(async_io_echo));
    g.finish();
}

fn evloop_bulk(lp: &evloop::EventLoop, iters: u64) -> Duration {
    use evloop::net::{TcpListener, TcpStream};
    lp.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let sink = evloop::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; CHUNK];
            let mut total = 0;
            loop {
                match s.read(&mut buf).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        });
        let c = TcpStream::connect(addr).await.unwrap();
        let chunk = vec![1u8; CHUNK];
        let start = Instant::now();
        for _ in 0..iters as usize * (BULK / CHUNK) {
            c.write_all(&chunk).await.unwrap();
        }
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let total = sink.await.unwrap();
        let elapsed = start.elapsed();
        assert_eq!(total, iters as usize * BULK);
        elapsed
    })
}

fn tokio_bulk(rt: &tokio::runtime::Runtime, iters: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sink = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; CHUNK];
            let mut total = 0;
            loop {
                match s.read(&mut buf).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        let chunk = vec![1u8; CHUNK];
        let start = Instant::now();
        for _ in 0..iters as usize * (BULK / CHUNK) {
            c.write_all(&chunk).await.unwrap();
        }
        c.shutdown().await.unwrap();
        let total = sink.await.unwrap();
        let elapsed = start.elapsed();
        assert_eq!(total, iters as usize * BULK);
        elapsed
    })
}

fn async_io_bulk(iters: u64) -> Duration {
    use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
    let ex = LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let listener = Async::<std::net::TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let sink = ex.spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; CHUNK];
            let mut total = 0;
            loop {
                match s.read(&mut buf).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        });
        let mut c = Async::<std::net::TcpStream>::connect(addr).await.unwrap();
        let chunk = vec![1u8; CHUNK];
        let start = Instant::now();
        for _ in 0..iters as usize * (BULK / CHUNK) {
            c.write_all(&chunk).await.unwrap();
        }
        c.get_ref().shutdown(std::net::Shutdown::Write).unwrap();
        let total = sink.await;
        let elapsed = start.elapsed();
        assert_eq!(total, iters as usize * BULK);
        elapsed
    }))
}

fn bulk(c: &mut Criterion) {
    let mut g = c.benchmark_group("tcp_bulk_64MB");
    g.throughput(Throughput::Bytes(BULK as u64));
    g.sample_size(10);
    let lp = evloop::EventLoop::new().unwrap();
    g.bench_function("evloop", |b| b.iter_custom(|iters| evloop_bulk(&lp, iters)));
    let rt = tokio_rt();
    g.bench_function("tokio_current_thread", |b| {
        b.iter_custom(|iters| tokio_bulk(&rt, iters))
    });
    g.bench_function("async_io_local_executor", |b| b.iter_custom(async_io_bulk));
    g.finish();
}

criterion_group! {
    name = benches;
    config = evloop_benches::criterion();
    targets = echo, bulk
}
criterion_main!(benches);
