//! The pooled HTTP/1 client: evloop's `http::Client` beside hyper-util's
//! legacy `Client` on tokio (current_thread), against one local server.
//!
//! One iteration is 10,000 keep-alive `GET /` requests, 50 in flight (50
//! tasks of 200 sequential requests each, every body read to the end);
//! criterion reports requests per second. The server is hyper's HTTP/1
//! server on an evloop loop of its own thread, shared by both clients; each
//! client runs on the benchmark's thread and keeps its pool between
//! iterations, so connections are opened once.
//!
//! Self-contained (no `mod common`), so it can move to another crate as it is.
//!
//! `cargo bench -p evloop-benches --features hyper --bench http_client`, or
//! `HTTP_CLIENT_AB=21 cargo bench -p evloop-benches --features hyper --bench http_client` for
//! rounds that alternate the two clients (see `alternating`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, Criterion, Throughput};
use http_body_util::{BodyExt, Empty, Full};

const REQUESTS: usize = 10_000;
const IN_FLIGHT: usize = 50;

/// Connections the server accepted: both clients must keep theirs alive.
static ACCEPTED: AtomicUsize = AtomicUsize::new(0);

/// Starts the shared server on its own thread and returns its address.
fn start_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        evloop::run(async move {
            let listener = evloop::net::TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                ACCEPTED.fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                let _connection = evloop::spawn(async move {
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(stream, service)
                        .await;
                });
            }
        })
    });
    rx.recv().unwrap()
}

/// `iters` rounds of 10,000 GETs at 50 in flight with evloop's client.
fn evloop_rounds(lp: &evloop::EventLoop, client: &evloop::http::Client, url: &Rc<str>, iters: u64) -> Duration {
    lp.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let workers = (0..IN_FLIGHT).map(|_| {
                let (client, url) = (client.clone(), url.clone());
                evloop::spawn(async move {
                    for _ in 0..REQUESTS / IN_FLIGHT {
                        let response = client.get(&url).await.unwrap();
                        let body = response.into_body().collect().await.unwrap().to_bytes();
                        assert_eq!(body.len(), 13);
                    }
                })
            });
            for worker in evloop::gather(workers).await {
                worker.unwrap();
            }
        }
        start.elapsed()
    })
}

type TokioClient = hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

/// The same with hyper-util's client on a tokio current_thread runtime.
fn hyper_util_rounds(rt: &tokio::runtime::Runtime, client: &TokioClient, uri: &hyper::Uri, iters: u64) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let workers: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let (client, uri) = (client.clone(), uri.clone());
                    tokio::spawn(async move {
                        for _ in 0..REQUESTS / IN_FLIGHT {
                            let response = client.get(uri.clone()).await.unwrap();
                            let body = response.into_body().collect().await.unwrap().to_bytes();
                            assert_eq!(body.len(), 13);
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.await.unwrap();
            }
        }
        start.elapsed()
    })
}

/// The server, and both clients pointed at it.
struct Clients {
    lp: evloop::EventLoop,
    evloop_client: evloop::http::Client,
    evloop_url: Rc<str>,
    rt: tokio::runtime::Runtime,
    tokio_client: TokioClient,
    uri: hyper::Uri,
}

impl Clients {
    fn start() -> Clients {
        let url = format!("http://{}/", start_server());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // evloop's client sets TCP_NODELAY on its connections; so does this one.
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        Clients {
            lp: evloop::EventLoop::new().unwrap(),
            evloop_client: evloop::http::Client::new(),
            evloop_url: url.as_str().into(),
            rt,
            tokio_client: hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector),
            uri: url.parse().unwrap(),
        }
    }

    fn evloop(&self, iters: u64) -> Duration {
        evloop_rounds(&self.lp, &self.evloop_client, &self.evloop_url, iters)
    }

    fn hyper_util(&self, iters: u64) -> Duration {
        hyper_util_rounds(&self.rt, &self.tokio_client, &self.uri, iters)
    }
}

fn http_client(c: &mut Criterion) {
    let clients = Clients::start();

    let mut group = c.benchmark_group("http_client_10k_get_50_in_flight");
    group.throughput(Throughput::Elements(REQUESTS as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("evloop", |b| b.iter_custom(|iters| clients.evloop(iters)));
    eprintln!("evloop: {} connection(s) opened", ACCEPTED.swap(0, Ordering::Relaxed));
    group.bench_function("hyper_util_tokio", |b| b.iter_custom(|iters| clients.hyper_util(iters)));
    eprintln!(
        "hyper_util_tokio: {} connection(s) opened",
        ACCEPTED.swap(0, Ordering::Relaxed)
    );
    group.finish();
}

/// `HTTP_CLIENT_AB=N`: instead of criterion, N rounds alternating the two
/// clients (one 10,000-request iteration each, who goes first alternating),
/// then the median of the per-round ratios of the request rate and of the
/// client thread's CPU time per request (the server runs on another thread). Steadier than two criterion groups run one
/// after the other on a machine whose load changes; the CPU time per
/// request hardly depends on that load at all.
fn alternating(rounds: usize) {
    let clients = Clients::start();

    /// (requests per second, client CPU µs per request) of one run.
    fn measure(run: impl FnOnce() -> Duration) -> (f64, f64) {
        let cpu = evloop_benches::thread_cpu_time();
        let wall = run();
        let cpu = evloop_benches::thread_cpu_time() - cpu;
        (
            REQUESTS as f64 / wall.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / REQUESTS as f64,
        )
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Who goes first alternates too.
        let (a, b) = if round % 2 == 0 {
            let a = measure(|| clients.evloop(1));
            (a, measure(|| clients.hyper_util(1)))
        } else {
            let b = measure(|| clients.hyper_util(1));
            (measure(|| clients.evloop(1)), b)
        };
        println!(
            "round {round}: evloop {:.0} req/s ({:.1} µs CPU/req), hyper-util {:.0} req/s ({:.1} µs CPU/req)",
            a.0, a.1, b.0, b.1
        );
        ours.push(a);
        theirs.push(b);
    }
    // Each round's two runs share the machine's load of the moment: compare
    // them pairwise, and take the median of the per-round ratios.
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rounds = ours.iter().zip(&theirs);
    let rate_ratio = median(rounds.clone().map(|(a, b)| a.0 / b.0).collect());
    let cpu_ratio = median(rounds.map(|(a, b)| b.1 / a.1).collect());
    println!(
        "median of the per-round ratios: evloop/hyper-util requests per second {rate_ratio:.2}, \
         hyper-util/evloop client CPU per request {cpu_ratio:.2}"
    );
    println!(
        "medians: evloop {:.0} req/s and {:.1} µs CPU/req, hyper-util {:.0} req/s and {:.1} µs CPU/req",
        median(ours.iter().map(|m| m.0).collect()),
        median(ours.iter().map(|m| m.1).collect()),
        median(theirs.iter().map(|m| m.0).collect()),
        median(theirs.iter().map(|m| m.1).collect()),
    );
}

criterion_group!(benches, http_client);

fn main() {
    match std::env::var("HTTP_CLIENT_AB") {
        Ok(rounds) => alternating(rounds.parse().expect("HTTP_CLIENT_AB=<number of rounds>")),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
