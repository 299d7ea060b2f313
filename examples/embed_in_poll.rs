//! Embedding evloop in a plain `poll(2)` loop — the shape of a C program's
//! main loop or a GLib source. The host watches its own fd (a pipe standing
//! in for stdin, fed by a thread) and evloop's backend fd; it reads lines
//! itself and hands them to evloop tasks through a `Queue`; it ticks evloop
//! when evloop's fd is readable or evloop's next timer is due.
//!
//! `cargo run --example embed_in_poll`
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use evloop::sync::Queue;

/// A pipe: (read end, write end).
fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe(2) failed");
    // SAFETY: both descriptors are fresh and owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    (r.into(), w.into())
}

fn main() {
    let lp = evloop::EventLoop::new().unwrap();
    let lines: Rc<Queue<String>> = Rc::new(Queue::new(0));

    // evloop's work: answer each line after a short (evloop) delay.
    let q = lines.clone();
    let worker = lp.spawn_named("worker", async move {
        let mut answered = 0;
        while let Ok(line) = q.get().await {
            evloop::sleep(Duration::from_millis(5)).await;
            println!("evloop answered: {}", line.to_uppercase());
            answered += 1;
        }
        answered
    });

    // The "stdin" of the host: a thread writes five lines, then closes it.
    let (input, mut feeder) = pipe();
    let writer = std::thread::spawn(move || {
        for i in 1..=5 {
            writeln!(feeder, "line {i}").unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let input_fd = input.as_raw_fd();
    let mut input = BufReader::new(input);

    // The host's poll loop.
    let mut input_open = true;
    while !worker.is_finished() {
        let timeout_ms = match lp.next_deadline() {
            Some(at) => at.saturating_duration_since(Instant::now()).as_millis().min(1000) as i32,
            None => 1000,
        };
        let mut fds = [
            libc::pollfd {
                fd: input_fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: lp.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let watched = if input_open { 2 } else { 1 };
        let first = if input_open { 0 } else { 1 };
        // SAFETY: `fds[first..]` holds `watched` valid pollfds for the call.
        unsafe { libc::poll(fds[first..].as_mut_ptr(), watched as libc::nfds_t, timeout_ms) };
        if input_open && fds[0].revents != 0 {
            let mut line = String::new();
            if input.read_line(&mut line).unwrap_or(0) == 0 {
                input_open = false;
                lines.shutdown(false); // no more input: the worker ends once drained
            } else {
                println!("host read: {}", line.trim_end());
                lines.put_nowait(line.trim_end().to_string()).unwrap();
            }
        }
        // evloop's turn: its fd was readable, or its timer is due, or the
        // host queued work for it just now.
        lp.run_once(Some(Duration::ZERO));
    }
    writer.join().unwrap();
    println!("evloop answered {} lines", lp.block_on(worker).unwrap());
    lp.close();
}
