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

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long an example may run, or take to print an expected line, before
/// its test calls it hung.
const LIMIT: Duration = Duration::from_secs(60);

/// How long the nested `cargo build --examples` may take (from scratch on a
/// slow machine, or waiting for another cargo command's lock).
const BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);

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
    as_completed: prints(&[
        "== as_completed", "got https://example.com/", "size_hint: (10, Some(10))", "first three: [",
        "== wait(FIRST_COMPLETED)", "(0 still pending)",
    ]),
    cancellation_and_shield: prints(&[
        "Task was cancelled! (cleanup here)", "Task cancellation confirmed: task was cancelled",
        "but the save continues", "Saved: important data", "Saved: more data", "later: Ok(\"saved\")",
        "task 3 was cancelled, not left running", "Err(\"task 2 failed\")",
    ]),
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
        "fetch_all: 30 URLs, 5 at a time, at most 20 per second", "{\"id\": 30, \"name\": \"item-30\"}",
        "30 of 30 fetched", "fetch_many: fetched 30 items", "all 200 OK",
    ])
    .never(&["error:", "fetch_many failed"]),
    #[cfg(feature = "hyper")]
    http_server: custom(answers_an_http_get),
    #[cfg(feature = "hyper")]
    http_server_tokio: custom(answers_an_http_get),
    lock_counter: prints(&["Counter value: 100 (expected 100)"]),
    loop_monitor: prints(&[
        "request 1 done", "== task dump while it runs", "bystander",
        "request 2 done (but it held the whole loop for 120 ms)", "slow poll: Executing task 'bad-request'",
        "event loop lag:", "== measurements", "spawned=4 ",
    ]),
    producer_consumer: prints(&[
        "Produced item-5", "processing item-5", "drained 0", "drained 2",
        "get() after the drain: Err(QueueShutDown", "received p1-2", "channel closed",
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
        "Queue(4) with 3 workers: 12 jobs done", "5/5 clients got their message echoed",
        "ran on Some(\"evloop-blocking\")", "the loop ticked 4 times meanwhile",
        "spawned and joined 100,000 tasks (sum 4999950000)", "slow poll: Executing task 'blocker'",
        "lag monitor: the loop was", "idle-sleeper", "== loop stats", "slept 3600s of virtual time",
        "tour finished in",
    ]),
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

// ---------------------------------------------------------------------------
// The checks.

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

// ---------------------------------------------------------------------------
// Running an example.

/// An example running as a child process. Its stdout arrives line by line
/// through a channel, so that every wait for it can time out; dropping it
/// kills the process.
struct Example {
    name: &'static str,
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything read from its stdout so far.
    printed: String,
    stderr: Option<JoinHandle<String>>,
}

impl Example {
    fn start(name: &'static str, args: &[&str]) -> Example {
        let path = binary(name);
        let mut child = Command::new(&path)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start example `{name}` ({}): {e}", path.display()));
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || loop {
            let mut line = Vec::new();
            match stdout.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(String::from_utf8_lossy(&line).into_owned()).is_err() {
                        break;
                    }
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        });
        Example {
            name,
            child,
            lines,
            printed: String::new(),
            stderr: Some(stderr),
        }
    }

    /// Reads its stdout up to a line containing `what`, and returns that line.
    fn expect_line(&mut self, what: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => {
                    self.printed.push_str(&line);
                    if line.contains(what) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.fail(format!("hung: printed no line containing {what:?} within {LIMIT:?}"))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    self.fail(format!("closed its stdout before printing a line containing {what:?}"))
                }
            }
        }
    }

    /// Waits for it to exit (reading all it prints) and expects status 0.
    fn expect_success(&mut self) {
        let status = self.wait();
        if !status.success() {
            self.fail(format!("exited with {status}"));
        }
    }

    /// Expects `lines` in what it printed, in this order.
    fn expect_printed(&mut self, lines: &[&str]) {
        let mut from = 0;
        for (i, line) in lines.iter().enumerate() {
            match self.printed[from..].find(line) {
                Some(at) => from += at + line.len(),
                None if i == 0 => self.fail(format!("did not print {line:?}")),
                None => self.fail(format!("did not print {line:?} after {:?}", lines[i - 1])),
            }
        }
    }

    /// Waits up to `LIMIT` for it to exit, reading the rest of its stdout.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + LIMIT;
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.printed.push_str(&line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.fail(format!("hung: still running after {LIMIT:?}, killed"))
                }
            }
        }
        // Its stdout is closed: it has exited, or is about to.
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                self.fail(format!(
                    "hung: closed its stdout but still running after {LIMIT:?}, killed"
                ));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// The address a server prints in its `listening on ADDR` line.
    fn listening_address(&mut self) -> SocketAddr {
        let line = self.expect_line("listening on ");
        let addr = line.split("listening on ").nth(1).unwrap().trim();
        let addr = addr.strip_prefix("http://").unwrap_or(addr);
        addr.parse()
            .unwrap_or_else(|e| self.fail(format!("printed {line:?}, not a socket address: {e}")))
    }

    /// A connection to the server, with `LIMIT` as its read timeout.
    fn connect(&mut self) -> TcpStream {
        let addr = self.listening_address();
        let conn = TcpStream::connect(addr).unwrap_or_else(|e| self.fail(format!("refused a connection: {e}")));
        conn.set_read_timeout(Some(LIMIT)).unwrap();
        conn
    }

    fn send(&mut self, conn: &mut TcpStream, bytes: &[u8]) {
        if let Err(e) = conn.write_all(bytes) {
            self.fail(format!(
                "did not take the request {:?}: {e}",
                String::from_utf8_lossy(bytes)
            ));
        }
    }

    /// One line from a line-protocol server.
    fn read_line(&mut self, conn: &mut TcpStream) -> String {
        let mut line = Vec::new();
        let mut byte = [0u8];
        while line.last() != Some(&b'\n') {
            match conn.read(&mut byte) {
                Ok(1) => line.push(byte[0]),
                Ok(_) => break,
                Err(e) => self.fail(format!("sent no line within {LIMIT:?}: {e}")),
            }
        }
        String::from_utf8_lossy(&line).into_owned()
    }

    fn signal(&mut self, signal: libc::c_int) {
        // SAFETY: kill(2) with the pid of our own child, which is not reaped
        // yet (only `wait` reaps it), so the pid cannot have been reused.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        if rc != 0 {
            self.fail(format!("could not be signalled: {}", std::io::Error::last_os_error()));
        }
    }

    /// Stops a server that has no signal handler: it must still be running
    /// (not crashed), and SIGTERM must be what ends it.
    fn stop(&mut self) {
        use std::os::unix::process::ExitStatusExt;
        if let Some(status) = self.child.try_wait().unwrap() {
            self.fail(format!("exited by itself with {status}"));
        }
        self.signal(libc::SIGTERM);
        let status = self.wait();
        if status.signal() != Some(libc::SIGTERM) {
            self.fail(format!("exited with {status} on SIGTERM"));
        }
    }

    /// Kills it and fails the test, showing what it printed.
    fn fail(&mut self, what: String) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(1)) {
            self.printed.push_str(&line);
        }
        let stderr = self
            .stderr
            .take()
            .map(|h| h.join().unwrap_or_default())
            .unwrap_or_default();
        panic!(
            "example `{}` {what}\n--- its stdout ---\n{}--- its stderr ---\n{stderr}",
            self.name, self.printed
        );
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// Finding the binaries.

/// What the nested build produced.
struct Built {
    /// Every example binary it reported, by example name.
    binaries: BTreeMap<String, PathBuf>,
    /// Why some or all are missing: cargo's errors, or why it did not run.
    trouble: Option<String>,
    /// Cargo could not be started at all (the test binary run by hand).
    no_cargo: bool,
}

/// The path of example `name`'s binary, built by `cargo build --examples`
/// (once per test process) with the features and profile of this test.
fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Built> = OnceLock::new();
    let built = BUILT.get_or_init(build_examples);
    if let Some(path) = built.binaries.get(name) {
        return path.clone();
    }
    // Without cargo, a binary left by an earlier build is better than nothing.
    let prebuilt = profile_dir().map(|dir| dir.join("examples").join(name));
    if let Some(path) = prebuilt.filter(|path| built.no_cargo && path.is_file()) {
        return path;
    }
    let why = built.trouble.as_deref().unwrap_or(
        "the build reported no such binary: is it an [[example]] with required-features that its test is not \
         gated on (#[cfg(feature = ...)])?",
    );
    panic!(
        "no binary for example `{name}`: {why}\nOnce `{}` builds it, this test can run it.",
        build_command().join(" ")
    );
}

/// `<target>/<profile>`, the directory this test binary's `deps` folder is in.
fn profile_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    (deps.file_name()? == "deps").then(|| deps.parent().map(Path::to_path_buf))?
}

/// The command that builds the examples as this test was built: the same
/// features and profile, into the target directory cargo picks (it inherits
/// `CARGO_TARGET_DIR`).
fn build_command() -> Vec<String> {
    let mut command: Vec<String> = ["cargo", "build", "-p", "evloop", "--examples"]
        .map(String::from)
        .into();
    if cfg!(feature = "hyper") {
        command.extend(["--features", "hyper"].map(String::from));
    }
    // Profile directories: `debug` holds dev and test, `release` holds
    // release and bench; any other is named after its profile.
    match profile_dir()
        .as_deref()
        .and_then(Path::file_name)
        .and_then(|d| d.to_str())
    {
        None | Some("debug") => {}
        Some("release") => command.push("--release".into()),
        Some(profile) => command.extend(["--profile".into(), profile.into()]),
    }
    command
}

/// Runs the build, with `--keep-going` so that one example that does not
/// compile fails its own test only, and collects the binaries it reports.
fn build_examples() -> Built {
    let command = build_command();
    let mut built = Built {
        binaries: BTreeMap::new(),
        trouble: None,
        no_cargo: false,
    };
    let spawned = Command::new(env!("CARGO"))
        .args(&command[1..])
        .args([
            "--keep-going",
            "--message-format=json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .env("CARGO_TERM_COLOR", "never")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            built.trouble = Some(format!("cannot run {}: {e}", env!("CARGO")));
            built.no_cargo = true;
            return built;
        }
    };
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + BUILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            built.trouble = Some(format!(
                "the build took more than {BUILD_LIMIT:?} (killed); its output:\n{}",
                stderr.join().unwrap()
            ));
            return built;
        }
        thread::sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    if !status.success() {
        built.trouble = Some(format!("the build failed ({status}):\n{stderr}"));
    }
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_example = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.contains(&"example".into()));
        if message["reason"] == "compiler-artifact" && is_example {
            if let (Some(name), Some(path)) = (message["target"]["name"].as_str(), message["executable"].as_str()) {
                built.binaries.insert(name.to_string(), PathBuf::from(path));
            }
        }
    }
    built
}
