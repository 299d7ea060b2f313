//! `Builder::busy_poll`: the loop spins on I/O before sleeping, adaptively.
//! An idle loop still sleeps; I/O, wakes from other threads, timers and
//! `stop` end a spin; a paused clock never spins. No test asserts on
//! latency: the windows are long enough (up to an hour) that a spin that
//! did not end when it should would hang the test, which `within` reports.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use evloop::net::TcpListener;
use evloop_test_support::within;

const HOUR: Duration = Duration::from_secs(3600);

/// CPU time used by the calling thread so far.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one `timespec` through the valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn busy_loop(window: Duration) -> evloop::EventLoop {
    evloop::EventLoop::builder().busy_poll(window).build().unwrap()
}

/// Serves `rounds` one-byte echoes to a client thread that waits `pause`
/// between them; returns what the client got back.
async fn echo_rounds(rounds: u8, pause: Duration) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let mut got = Vec::new();
        for i in 0..rounds {
            stream.write_all(&[i]).unwrap();
            let mut byte = [0u8];
            stream.read_exact(&mut byte).unwrap();
            got.push(byte[0]);
            std::thread::sleep(pause);
        }
        got
    });
    let (stream, _) = listener.accept().await.unwrap();
    for _ in 0..rounds {
        let mut byte = [0u8];
        assert_eq!(stream.read(&mut byte).await.unwrap(), 1);
        stream.write_all(&byte).await.unwrap();
    }
    evloop::to_thread(move || client.join().unwrap()).await.unwrap()
}

#[test]
fn io_arriving_during_a_spin_is_served_and_counted_as_a_hit() {
    within(Duration::from_secs(60), || {
        // An hour-long window: every request lands during a spin, and a
        // spin that missed one would hang the test.
        let lp = busy_loop(HOUR);
        let got = lp.block_on(echo_rounds(20, Duration::from_millis(1)));
        assert_eq!(got, (0..20).collect::<Vec<u8>>());
        let stats = lp.stats();
        assert!(stats.busy_poll_hits >= 10, "most requests met a spin: {stats:?}");
        assert!(stats.busy_poll_hits <= stats.busy_poll_spins);
    });
}

#[test]
fn busy_polling_is_off_by_default() {
    within(Duration::from_secs(60), || {
        let lp = evloop::EventLoop::new().unwrap();
        let got = lp.block_on(echo_rounds(5, Duration::from_millis(1)));
        assert_eq!(got, [0, 1, 2, 3, 4]);
        assert_eq!((lp.stats().busy_poll_spins, lp.stats().busy_poll_hits), (0, 0));
        let off = busy_loop(Duration::ZERO);
        off.block_on(echo_rounds(5, Duration::from_millis(1)));
        assert_eq!(off.stats().busy_poll_spins, 0, "Duration::ZERO turns it off");
    });
}

#[test]
fn an_idle_loop_stops_spinning_and_costs_no_cpu() {
    within(Duration::from_secs(60), || {
        // A window longer than every sleep below: a loop that spun on each
        // timer wakeup would stay busy until each deadline, all the time.
        let lp = busy_loop(Duration::from_millis(100));
        lp.block_on(async {
            // Traffic first, so the loop has taken to spinning.
            echo_rounds(10, Duration::from_micros(100)).await;
            assert!(
                evloop::monitor::stats().busy_poll_hits > 0,
                "the traffic turned spinning on"
            );

            // Then idle, woken by a timer every 2 ms for about 200 ms.
            let spins_before = evloop::monitor::stats().busy_poll_spins;
            let (cpu, wall) = (thread_cpu_time(), Instant::now());
            for _ in 0..100 {
                evloop::sleep(Duration::from_millis(2)).await;
            }
            let (cpu, wall) = (thread_cpu_time() - cpu, wall.elapsed());
            let spins = evloop::monitor::stats().busy_poll_spins - spins_before;
            assert!(
                spins <= 4,
                "at most four fruitless spins once traffic stops, got {spins}"
            );
            assert!(
                cpu < wall / 4,
                "an idle busy-polling loop must sleep: {cpu:?} of CPU in {wall:?}"
            );
        });
    });
}

#[test]
fn a_wake_from_another_thread_ends_the_spin() {
    within(Duration::from_secs(60), || {
        let lp = busy_loop(HOUR);
        lp.block_on(async {
            // Each job's result wakes this task through the inbox, during an
            // hour-long spin after the first.
            for i in 0..20u32 {
                let doubled = evloop::to_thread(move || {
                    std::thread::sleep(Duration::from_millis(1));
                    2 * i
                })
                .await
                .unwrap();
                assert_eq!(doubled, 2 * i);
            }
        });
        assert!(lp.stats().busy_poll_hits > 0, "{:?}", lp.stats());
    });
}

#[test]
fn stop_and_close_from_another_thread_end_a_spin() {
    within(Duration::from_secs(60), || {
        let lp = busy_loop(HOUR);
        let handle = lp.handle();
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let sender = std::thread::spawn(move || {
            for _ in 0..10 {
                let seen = seen.clone();
                handle
                    .call_soon_threadsafe(move || {
                        seen.fetch_add(1, Ordering::SeqCst);
                    })
                    .unwrap();
                std::thread::sleep(Duration::from_millis(1));
            }
            handle.stop();
        });
        lp.run_forever();
        sender.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 10);
        assert!(lp.stats().busy_poll_spins > 0, "the loop spun between the calls");
        lp.close();
    });
}

#[test]
fn timers_fire_on_time_while_spinning() {
    within(Duration::from_secs(60), || {
        let lp = busy_loop(HOUR);
        lp.block_on(async {
            // A quick wake from another thread turns spinning on.
            evloop::to_thread(|| ()).await.unwrap();
            let fired = Rc::new(RefCell::new(Vec::new()));
            let f = fired.clone();
            let _callback = evloop::call_later(Duration::from_millis(5), move || f.borrow_mut().push("call_later"));
            let start = evloop::time();
            // An hour-long spin would hang here: it stops at the deadline.
            evloop::sleep(Duration::from_millis(20)).await;
            fired.borrow_mut().push("sleep");
            assert!(evloop::time() - start >= Duration::from_millis(20), "never early");
            assert_eq!(*fired.borrow(), ["call_later", "sleep"]);
        });
    });
}

/// Timers, a thread job and a yield on a paused clock: the virtual times
/// at which each step ran.
fn paused_scenario(lp: &evloop::EventLoop) -> Vec<(String, Duration)> {
    lp.block_on(async {
        let start = evloop::time();
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, after) in [("b", 3_600_000u64), ("a", 5), ("c", 1)] {
            let log = log.clone();
            tasks.push(evloop::spawn(async move {
                evloop::sleep(Duration::from_millis(after)).await;
                log.borrow_mut().push((name.to_string(), evloop::time() - start));
                evloop::to_thread(|| ()).await.unwrap();
                evloop::yield_now().await;
                log.borrow_mut().push((format!("{name} again"), evloop::time() - start));
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        log.take()
    })
}

#[test]
fn a_paused_clock_never_spins_and_keeps_its_virtual_time() {
    within(Duration::from_secs(60), || {
        let plain = evloop_test_support::paused();
        let busy = evloop::EventLoop::builder()
            .paused_clock(true)
            .busy_poll(HOUR)
            .build()
            .unwrap();
        let expected = paused_scenario(&plain);
        assert_eq!(paused_scenario(&busy), expected);
        assert_eq!(expected[0], ("c".to_string(), Duration::from_millis(1)));
        assert_eq!(busy.stats().busy_poll_spins, 0);
    });
}
