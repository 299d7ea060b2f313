//! Every example in `examples/`, built and run as a child process: each one
//! exits successfully within a time limit (a server: answers a request over
//! loopback, then stops on a signal) and prints the lines that show it did its
//! job. The expected lines are results, counts and causally ordered events,
//! never timings or anything a slow scheduler could reorder.
//!
//! `every_example_has_an_entry` fails when an example has no entry in the
//! `examples!` list below (or an entry names an example that is gone).
//!
//! The binaries come from a nested `cargo build --examples`, run once per test
//! process: cargo releases its build lock before it runs tests, so the nested
//! build only waits for the lock if another cargo command holds it. It is a
//! no-op after a full `cargo test` (which builds the examples first), and it
//! keeps `cargo test --test examples_run` from running stale binaries.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use evloop_test_support::{Example, LIMIT};

/// One `#[test]` per example, named after it, and the list of names that
/// `every_example_has_an_entry` checks against `examples/`.
macro_rules! examples {
    ($($(#[$attr:meta])* $name:ident: $check:expr,)*) => {
        /// Every example that has an entry, feature-gated or not.
        const LISTED: &[&str] = &[$(stringify!($name)),*];
        $(
            $(#[$attr])*
            #[test]
            fn $name() {
                Check::run($check, stringify!($name));
            }
        )*
    };
}

// A new example needs one entry here: `name: prints(&[lines, in order]),`,
// with `.never(&[...])` for lines it must not print, or `custom(function)`
// for an example that needs arguments or a client (a server).
examples! {
    embed_frame_loop: prints(&[
        "frames:", "fps (target 60)", "echo round trips:", "interval ticks:", "loop lag: worst", "closed",
    ])
    .never(&["echo round trips: 0 ", "interval ticks: 0 "]),
    embed_in_poll: prints(&[
        "host read: line 1", "evloop answered: LINE 1", "host read: line 5", "evloop answered: LINE 5",
        "evloop answered 5 lines",
    ]),
    embed_in_tokio: prints(&[
        "evloop consumer summed 5050 (expected 5050)", "evloop monitor, read from tokio: ticks=", "closed",
    ]),
    anyio_portability: prints(&[
        "fetching url1 (1 of 2 tokens borrowed)", "fetching url3 (2 of 2 tokens borrowed)",
        "task group done: every child finished", "move_on_after: None", "fail_after: error: deadline has elapsed",
        "at most 2 fetches at once", "no evloop loop", "at most 2 fetches at once", "same output on both executors: true",
    ]),
    as_completed: prints(&[
        "== as_completed", "got https://example.com/", "size_hint: (10, Some(10))", "first three: [",
        "== wait(FIRST_COMPLETED)", "(0 still pending)",
    ]),
    async_context_manager: prints(&[
        "Connecting to postgres://localhost/db", "Closing connection", "[{'id': 1, 'name': 'Test'}]",
        "open connections: 0", "Caught error after the close: refused by", "open connections: 0",
        "Closing connection from Drop: close() was not awaited", "timeout: Err(Elapsed)", "open connections: 0",
    ])
    .never(&["open connections: 1"]),
    async_fundamentals: prints(&[
        "Record { url: \"https://api.example.com\"", "sequential: url1 then url2",
        "concurrent: [\"url1\", \"url2\", \"url3\"]", "Success: url1 -> ...", "Error: cannot reach bad://url2",
    ]),
    async_iterator: prints(&[
        "Page 1: 10 items", "Page 5: 10 items", "got pages [1, 2]", "pages requested: 2", "all pages received",
        "generator: page 3 fetched, but the consumer is gone: stopping",
    ])
    .never(&["Page 6"]),
    basics: prints(&[
        "Hello", "World", "async_task() called: nothing has run yet", "Tasks are running...",
        "{'name': 'API 1', 'data': 'Data from API 1'} {'name': 'API 2', 'data': 'Data from API 2'}",
        "Caught error: Something went wrong!", "Propagated with ? and caught one level up",
        "The task returned an error: Something went wrong!",
    ]),
    blocking_io: prints(&[
        "the heartbeat stopped during the read: the loop was frozen",
        "slow-poll detector: task 'read-on-the-loop' held the loop", "read 4194304 bytes of large_file.txt",
        "the heartbeat kept beating during the read",
    ]),
    cancellation_and_shield: prints(&[
        "Task was cancelled! (cleanup here)", "Task cancellation confirmed: task was cancelled",
        "but the save continues", "Saved: important data", "Saved: more data", "later: Ok(\"saved\")",
        "task 3 was cancelled, not left running", "Err(\"task 2 failed\")",
    ]),
    chat_server: custom(relays_a_line_then_shuts_down_on_sigint),
    condition_queue: prints(&["Produced: 9", "Consumed: 9"]).never(&["(queue holds 6)"]),
    event_signal: prints(&[
        "Task 1 waiting for event...", "Task 2 waiting for event...", "Setting event!", "Task 1 got the event!",
        "Task 2 got the event!",
    ]),
    gather: prints(&[
        "[\"data from API 1\", \"data from API 2\", \"data from API 3\"]", "Success: Task 1 succeeded",
        "Error: Task 2 failed!", "Success: Task 3 succeeded", "Err(\"task 1 refused\")",
        "count = 42, name = \"data from users\"", "try_join! of Ok(1) and Err(\"no\"): Err(\"no\")",
    ]),
    graceful_server: custom(finishes_a_request_after_sigterm),
    #[cfg(feature = "hyper")]
    http_fetch: prints(&[
        "== fetch_all: one session, three URLs", "/users/python: 200 {\"login\":\"python\"",
        "/users/google: 200", "== rate_limited_fetch", "Fetching /items/0", "20 of 20 fetched",
        "== RateLimitedClient: 100 URLs, 5 at a time", "Fetched 100 items, the last: {\"id\":99",
        "at most 5 requests in flight", "== AsyncPaginator over HTTP", "Page 1: 10 items", "Page 5: 10 items",
        "for 128 requests",
    ])
    .never(&["error:", "fetch_many failed", "Page 6"]),
    #[cfg(feature = "hyper")]
    http_server: custom(answers_an_http_get),
    #[cfg(feature = "hyper")]
    http_server_tokio: custom(answers_an_http_get),
    lock_counter: prints(&["Counter value: 100 (expected 100)"]),
    loop_monitor: prints(&[
        "request 1 done", "== task dump while it runs", "bystander",
        "request 2 done (but it held the whole loop for 120 ms)", "slow poll: Executing task 'bad-request'",
        "event loop lag:", "== measurements", "spawned=5 ",
    ]),
    producer_consumer: prints(&[
        "Produced item-5", "processing item-5", "drained 0", "drained 2",
        "get() after the drain: Err(QueueShutDown", "received p1-2", "channel closed",
    ]),
    pytest_asyncio: prints(&[
        "test_async_function ... ok", "test_with_timeout ... ok (loop time 1s)", "test_with_fixture ... ok",
        "test_exception_group ... ok", "test_cancellation ... ok",
        "test_forgotten_disconnect ... ok (failed as it should: the test left 1 task(s) running: 'AsyncClient heartbeat'",
        "test result: 9 passed; 0 failed",
    ]),
    rate_limiter: prints(&[
        "t=0.0s Fetching https://api.example.com/item/4", "t=1.0s Fetching https://api.example.com/item/5",
        "t=3.0s Fetching https://api.example.com/item/19", "20 fetches in 3.1s of loop time",
    ]),
    resp_server: custom(answers_ping_set_get),
    semaphore_limit: prints(&[
        "Task 0 starting (1 running)", "Task 2 starting (3 running)", "Task 9 done", "permits available again: 3",
    ])
    .never(&["(4 running)"]),
    task_group: prints(&[
        "data from API 1", "data from API 2", "data from API 3", "slow child cancelled", "1 error in task group:",
        "- Failed to process: error", "ValueErrors: 5", "- Bad value: 15", "TypeErrors: 2", "- Wrong type: 10",
        "Other errors: 0", "parent child done, spawning a sibling", "late sibling done", "task_group returned",
    ]),
    timeouts: prints(&[
        "slow_operation cancelled", "Err(Elapsed)", "== a timeout around a task group", "child 0 cancelled",
        "child 2 cancelled", "Err(Elapsed)", "== timeout_scope", "Ok(\"rescheduled\")",
    ]),
    tour: prints(&[
        "spawned hello and world; neither has run yet", "hello world after",
        "awaiting the cancelled task: task was cancelled; [\"cleanup ran\"]",
        "slow call with a 50 ms budget: Err(Elapsed)", "quick call with a 50 ms budget: Ok(\"quick\")",
        "Ok(\"finished inside an extended scope\")", "echoed back: \"ping over a socket\"",
        "a future sent from another thread ran on Some(\"main\")", "gather: [1, 2, 3]",
        "except* ValidationError: [ValidationError(3)", "100 tasks incremented under a Lock: 100",
        "Semaphore(3) over 10 tasks: at most 3 ran at once", "Event: 3 waiters released by one set()",
        "Queue(4) with 3 workers: 12 jobs done", "Condition: the consumer woke once 3 items were there (sum 6)",
        "Barrier(3): three tasks passed together, arrival indices [0, 1, 2]",
        "BoundedSemaphore(1): a release with no acquire -> BoundedSemaphore released too many times",
        "LifoQueue gives [3, 1, 5], PriorityQueue gives [1, 3, 5]", "a third try_acquire gets one: false",
        "waited for the next window: true", "channel::bounded(2) carried [1, 2, 3, 4, 5]; oneshot: \"producer done\"",
        "5/5 clients got their message echoed", "UDP: \"datagram\" arrived from 127.0.0.1:",
        "SIGUSR1 raised by the process arrived as an await", "ran on Some(\"evloop-blocking\")", "the loop ticked 4 times meanwhile",
        "spawned and joined 100,000 tasks (sum 4999950000)", "slow poll: Executing task 'blocker'",
        "lag monitor: the loop was", "idle-sleeper", "== loop stats",
        "the blocked wait gave up: Err(Timeout)", "the loop is stalled: 'main' has been running for",
        "slept 3600s of virtual time",
        "20 connections to one port, spread by the kernel over 2 shards",
        "shard 0 sent work to shard 1; it ran on Some(\"evloop-shard-1\")",
        "shard 1 sent work to shard 0; it ran on Some(\"evloop-shard-0\")", "tour finished in",
    ]),
    top: custom(draws_a_frame_of_its_demo_loop),
    trace_timeline: custom(writes_a_trace_and_its_timeline),
    worker_pool: prints(&["all 20 jobs processed:", "(data_19) on worker", "workers stopped; unfinished tasks: 0"]),
}

#[test]
fn every_example_has_an_entry() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.extension().is_some_and(|ext| ext == "rs") || path.join("main.rs").is_file() {
            on_disk.insert(name);
        }
    }
    let listed: BTreeSet<String> = LISTED.iter().map(|name| name.to_string()).collect();
    let missing: Vec<_> = on_disk.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        missing.is_empty(),
        "examples with no entry in tests/examples_run.rs: {missing:?}. Add one line per example to the \
         `examples!` list there: `NAME: prints(&[\"a line it prints\", ...]),` (stable lines, in order), or \
         `custom(function)` for a server or an example that takes arguments"
    );
    assert!(
        gone.is_empty(),
        "entries in tests/examples_run.rs name no example in examples/: {gone:?}"
    );
}

/// How an example's test runs it.
trait Check {
    fn run(self, name: &'static str);
}

/// Runs the example without arguments: it must exit 0 within `LIMIT` and
/// print `lines` in this order (each a substring of the output, searched from
/// the end of the one before), and none of `never`.
struct Prints {
    lines: &'static [&'static str],
    never: &'static [&'static str],
}

fn prints(lines: &'static [&'static str]) -> Prints {
    Prints { lines, never: &[] }
}

impl Prints {
    fn never(self, never: &'static [&'static str]) -> Prints {
        Prints { never, ..self }
    }
}

impl Check for Prints {
    fn run(self, name: &'static str) {
        let mut example = Example::start(name, &[]);
        example.expect_success();
        example.expect_printed(self.lines);
        for line in self.never {
            if example.printed.contains(line) {
                example.fail(format!("printed {line:?}, which it must not"));
            }
        }
    }
}

/// A test of its own, given the example's name.
struct Custom(fn(&'static str));

fn custom(test: fn(&'static str)) -> Custom {
    Custom(test)
}

impl Check for Custom {
    fn run(self, name: &'static str) {
        (self.0)(name)
    }
}

/// graceful_server: a request in flight when SIGTERM arrives still gets its
/// answer, then the server exits 0.
fn finishes_a_request_after_sigterm(name: &'static str) {
    let mut server = Example::start(name, &["--port", "0", "--grace-ms", "30000"]);
    let mut conn = server.connect();
    server.send(&mut conn, b"WORK 300\n");
    let accepted = server.read_line(&mut conn);
    if accepted != "accepted 1\n" {
        server.fail(format!("answered {accepted:?} to WORK, not \"accepted 1\\n\""));
    }
    server.signal(libc::SIGTERM);
    server.expect_line("Received SIGTERM");
    server.expect_line("Stopped accepting");
    let done = server.read_line(&mut conn);
    if done != "done 1\n" {
        server.fail(format!("answered {done:?} to the request in flight, not \"done 1\\n\""));
    }
    server.expect_line("Shutdown complete: 1 completed, 0 cancelled");
    server.expect_success();
}

/// chat_server: a line from one client reaches both; on SIGINT both are
/// told, the connections close, and the server exits 0.
fn relays_a_line_then_shuts_down_on_sigint(name: &'static str) {
    let mut server = Example::start(name, &["--port", "0"]);
    let mut alice = server.connect();
    let joined = server.read_line(&mut alice);
    if joined != "* guest1 joined\n" {
        server.fail(format!("greeted the first client with {joined:?}"));
    }
    let mut bob = std::net::TcpStream::connect(alice.peer_addr().unwrap()).unwrap();
    bob.set_read_timeout(Some(LIMIT)).unwrap();
    for conn in [&mut alice, &mut bob] {
        let line = server.read_line(conn);
        if line != "* guest2 joined\n" {
            server.fail(format!("announced the second client as {line:?}"));
        }
    }
    server.send(&mut alice, b"hello from alice\n");
    for conn in [&mut alice, &mut bob] {
        let line = server.read_line(conn);
        if line != "<guest1> hello from alice\n" {
            server.fail(format!("relayed {line:?}, not alice's line"));
        }
    }
    server.signal(libc::SIGINT);
    server.expect_line("Received SIGINT");
    for conn in [&mut alice, &mut bob] {
        let line = server.read_line(conn);
        if line != "* server shutting down\n" {
            server.fail(format!("sent {line:?} at the shutdown"));
        }
        let mut rest = Vec::new();
        if let Err(e) = conn.read_to_end(&mut rest) {
            server.fail(format!("did not close a connection at the shutdown: {e}"));
        }
    }
    server.expect_line("shutdown complete: 2 joined, 0 evicted as too slow, 1 lines relayed");
    server.expect_success();
}

/// resp_server: PING, SET, GET of a key set and of a missing key, the last
/// two pipelined; then it stops on SIGTERM (it installs no handler).
fn answers_ping_set_get(name: &'static str) {
    let mut server = Example::start(name, &["--port", "0"]);
    let mut conn = server.connect();
    for (request, reply) in [
        ("*1\r\n$4\r\nPING\r\n", "+PONG\r\n"),
        ("*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$5\r\nhello\r\n", "+OK\r\n"),
        (
            "*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\n*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n",
            "$5\r\nhello\r\n$-1\r\n",
        ),
    ] {
        server.send(&mut conn, request.as_bytes());
        let mut answer = vec![0; reply.len()];
        if let Err(e) = conn.read_exact(&mut answer) {
            server.fail(format!("did not answer {request:?} with {reply:?}: {e}"));
        }
        if answer != reply.as_bytes() {
            let answer = String::from_utf8_lossy(&answer);
            server.fail(format!("answered {request:?} with {answer:?}, not {reply:?}"));
        }
    }
    server.stop();
}

/// http_server, http_server_tokio: a plain HTTP/1.1 GET gets `200 OK` and
/// the hello-world body; then the server stops on SIGTERM.
#[cfg(feature = "hyper")]
fn answers_an_http_get(name: &'static str) {
    let mut server = Example::start(name, &["--port", "0"]);
    let mut conn = server.connect();
    server.send(
        &mut conn,
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    let mut response = Vec::new();
    if let Err(e) = conn.read_to_end(&mut response) {
        server.fail(format!("did not answer a GET and close the connection: {e}"));
    }
    let response = String::from_utf8_lossy(&response);
    if !response.starts_with("HTTP/1.1 200 OK\r\n") || !response.ends_with("\r\n\r\nHello, World!") {
        server.fail(format!("answered a GET with {response:?}"));
    }
    server.stop();
}

/// top: with `--demo --once`, serves a demo loop on a socket, attaches to
/// it and prints one frame: the rates, the histograms and a row per task.
fn draws_a_frame_of_its_demo_loop(name: &'static str) {
    let mut example = Example::start(name, &["--demo", "--once"]);
    example.expect_success();
    example.expect_printed(&["evloop top", "ticks/s", "poll time", "spawned at", "main"]);
    for task in ["ticker", "cpu-burst", "yielder", "idle", "monitor::serve"] {
        if !example.printed.contains(task) {
            example.fail(format!("drew no row for the `{task}` task"));
        }
    }
}

/// trace_timeline: writes the JSON trace and the SVG where it is told (a
/// scratch directory, not the repository), with a row per task name.
fn writes_a_trace_and_its_timeline(name: &'static str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("examples_run-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (trace, svg) = (dir.join("trace.json"), dir.join("timeline.svg"));
    let (trace_arg, svg_arg) = (trace.to_str().unwrap(), svg.to_str().unwrap());
    let mut example = Example::start(name, &["--trace", trace_arg, "--out", svg_arg]);
    example.expect_success();
    example.expect_printed(&[&format!("poll slices, in {trace_arg}"), &format!("timeline: {svg_arg}")]);

    let events: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(&trace).unwrap())
        .unwrap_or_else(|e| example.fail(format!("wrote a trace that is not JSON: {e}")));
    if !events.iter().any(|e| e["ph"] == "X" && e["name"] == "worker") {
        example.fail("wrote a trace with no poll slice of a `worker` task".to_string());
    }
    let svg = std::fs::read_to_string(&svg).unwrap();
    if !svg.starts_with("<svg ") || !svg.ends_with("</svg>\n") {
        example.fail("wrote a timeline that is not an SVG document".to_string());
    }
    for task in ["producer", "worker", "ticker", "cpu-burst", "yielder"] {
        if !svg.contains(&format!(">{task}</text>")) {
            example.fail(format!("drew no row for the `{task}` task"));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
