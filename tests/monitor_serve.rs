//! `monitor::serve`: JSON snapshots over a Unix socket.

use std::time::Duration;

use evloop::net::UnixStream;

fn socket_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("evloop-serve-{tag}-{}.sock", std::process::id()))
}

/// Reads until `n` whole lines arrived.
async fn read_lines(stream: &UnixStream, n: usize) -> Vec<serde_json::Value> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while buf.iter().filter(|&&b| b == b'\n').count() < n {
        let got = stream.read(&mut chunk).await.unwrap();
        assert!(got > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..got]);
    }
    buf.split(|&b| b == b'\n')
        .take(n)
        .map(|line| serde_json::from_slice(line).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(line))))
        .collect()
}

#[test]
fn each_connection_gets_a_json_line_per_interval_with_stats_and_tasks() {
    let path = socket_path("lines");
    let lp = evloop::EventLoop::builder().measure(true).build().unwrap();
    lp.block_on(async {
        let server = evloop::monitor::serve(&path, Duration::from_millis(5)).unwrap();
        let _sleeper = evloop::spawn_named("sleeper \"quoted\"", evloop::sleep(Duration::from_secs(60)));
        let client = UnixStream::connect(&path).await.unwrap();
        let lines = read_lines(&client, 3).await;
        let stats = &lines[2]["stats"];
        for counter in [
            "ticks",
            "polls",
            "tasks_spawned",
            "tasks_alive",
            "task_store_size",
            "wakes_local",
            "wakes_remote",
            "io_events",
            "timers_fired",
            "timers_pending",
            "timer_store_size",
            "run_queue_size",
            "io_sources",
            "callbacks_run",
            "blocking_threads",
            "busy_poll_spins",
            "busy_poll_hits",
        ] {
            assert!(stats[counter].is_u64(), "{counter} missing: {stats}");
        }
        assert!(lines[2]["stats"]["ticks"].as_u64() > lines[0]["stats"]["ticks"].as_u64());
        assert!(lines[2]["histograms"]["poll_time"]["p99_ns"].is_u64(), "{}", lines[2]);
        let tasks = lines[2]["tasks"].as_array().unwrap();
        let named = |name: &str| {
            tasks
                .iter()
                .find(|t| t["name"] == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let sleeper = named("sleeper \"quoted\"");
        assert_eq!(sleeper["state"], "waiting");
        assert_eq!(sleeper["polls"], 1);
        assert!(sleeper["id"].is_u64() && sleeper["busy_ns"].is_u64());
        assert_eq!(named("main")["state"], "waiting");
        assert_eq!(named("monitor::serve client")["state"], "running");
        server.cancel();
        assert!(server.await.unwrap_err().is_cancelled());
    });
    assert!(!path.exists(), "the socket file is removed when the server stops");
}

#[test]
fn a_client_that_disconnects_ends_its_task() {
    let path = socket_path("disconnect");
    evloop::run(async {
        let server = evloop::monitor::serve(&path, Duration::from_millis(2)).unwrap();
        let client = UnixStream::connect(&path).await.unwrap();
        let lines = read_lines(&client, 1).await;
        assert!(
            lines[0]["tasks"][0]["busy_ns"].is_null(),
            "no precise timing: busy is null"
        );
        drop(client);
        let feeding = || {
            evloop::monitor::tasks()
                .iter()
                .any(|t| t.name() == "monitor::serve client")
        };
        for _ in 0..500 {
            if !feeding() {
                break;
            }
            evloop::sleep(Duration::from_millis(2)).await;
        }
        assert!(!feeding(), "the client's task ended");
        server.cancel();
    });
}

#[test]
fn an_existing_path_is_an_error() {
    let path = socket_path("taken");
    std::fs::write(&path, b"").unwrap();
    evloop::run(async {
        let err = evloop::monitor::serve(&path, Duration::from_millis(5)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    });
    std::fs::remove_file(&path).ok();
}
