//! An example of `examples/` running as a child process (the `evloop`
//! feature), for tests/examples_run.rs and the tests of the servers: its
//! output read with a time limit on every wait, a client's helpers for the
//! servers, and where its binary comes from (a nested `cargo build
//! --examples`, once per test process).
//!
//! The examples belong to the facade, the package at the root of the
//! workspace, one directory above this crate. The nested build uses the
//! facade's `hyper` feature when this crate's `hyper` feature is on (the
//! facade's own `hyper` feature turns it on for its tests), so that it
//! builds what the test's own build built.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long an example may run, or take to print an expected line, before
/// its test calls it hung.
pub const LIMIT: Duration = Duration::from_secs(60);

/// How long the nested `cargo build --examples` may take (from scratch on a
/// slow machine, or waiting for another cargo command's lock).
const BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);

/// An example running as a child process. Its stdout arrives line by line
/// through a channel, so that every wait for it can time out; dropping it
/// kills the process.
pub struct Example {
    name: &'static str,
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything read from its stdout so far.
    pub printed: String,
    stderr: Option<JoinHandle<String>>,
}

impl std::fmt::Debug for Example {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Example")
            .field("name", &self.name)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

impl Example {
    /// Starts example `name` with `args`, in the facade's directory, its
    /// binary built first if needed (see the module docs).
    pub fn start(name: &'static str, args: &[&str]) -> Example {
        let path = binary(name);
        let mut child = Command::new(&path)
            .args(args)
            .current_dir(facade_dir())
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
    pub fn expect_line(&mut self, what: &str) -> String {
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
    pub fn expect_success(&mut self) {
        let status = self.wait();
        if !status.success() {
            self.fail(format!("exited with {status}"));
        }
    }

    /// Expects `lines` in what it printed, in this order.
    pub fn expect_printed(&mut self, lines: &[&str]) {
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
    pub fn wait(&mut self) -> ExitStatus {
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

    /// The address a server prints in its `listening on ADDR` line (read
    /// up to that line: call it once, before any [`Example::connect`]).
    pub fn listening_address(&mut self) -> SocketAddr {
        let line = self.expect_line("listening on ");
        let addr = line.split("listening on ").nth(1).unwrap().trim();
        let addr = addr.strip_prefix("http://").unwrap_or(addr);
        addr.parse()
            .unwrap_or_else(|e| self.fail(format!("printed {line:?}, not a socket address: {e}")))
    }

    /// A connection to the server, with `LIMIT` as its read timeout.
    pub fn connect(&mut self) -> TcpStream {
        let addr = self.listening_address();
        let conn = TcpStream::connect(addr).unwrap_or_else(|e| self.fail(format!("refused a connection: {e}")));
        conn.set_read_timeout(Some(LIMIT)).unwrap();
        conn
    }

    /// Writes `bytes` to the connection, or fails the test.
    pub fn send(&mut self, conn: &mut TcpStream, bytes: &[u8]) {
        if let Err(e) = conn.write_all(bytes) {
            self.fail(format!(
                "did not take the request {:?}: {e}",
                String::from_utf8_lossy(bytes)
            ));
        }
    }

    /// One line from a line-protocol server.
    pub fn read_line(&mut self, conn: &mut TcpStream) -> String {
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

    /// Sends `signal` to the example, or fails the test.
    pub fn signal(&mut self, signal: libc::c_int) {
        // SAFETY: kill(2) on the pid of our own child, not reaped yet (the
        // callers signal before `wait`, and `stop` fails rather than signal
        // a child that `try_wait` reaped), so the pid cannot have been reused.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        if rc != 0 {
            self.fail(format!("could not be signalled: {}", std::io::Error::last_os_error()));
        }
    }

    /// Stops a server that has no signal handler: it must still be running
    /// (not crashed), and SIGTERM must be what ends it.
    pub fn stop(&mut self) {
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
    pub fn fail(&mut self, what: String) -> ! {
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

/// The facade's directory, where the examples run (as under `cargo run`):
/// the root of the workspace, the parent of this crate's directory.
fn facade_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("evloop-test-support lives in a directory of the evloop workspace")
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
        .arg(facade_dir().join("Cargo.toml"))
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
