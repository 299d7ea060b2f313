//! A socket that is always ready does not monopolise the loop.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop::net::UnixStream;
use evloop_test_support::within;

#[test]
fn a_reader_whose_socket_never_runs_dry_still_lets_other_tasks_run() {
    within(Duration::from_secs(30), || {
        evloop::run(async {
            let (a, b) = UnixStream::pair().unwrap();
            // 4 KB waiting in the kernel: every 1-byte read completes at once.
            a.write_all(&[1u8; 4096]).await.unwrap();
            let others_ran = Rc::new(Cell::new(0u32));
            let reader = evloop::spawn({
                let others_ran = others_ran.clone();
                async move {
                    let mut byte = [0u8; 1];
                    // The first read may wait for the socket's first event.
                    b.read_exact(&mut byte).await.unwrap();
                    let before = others_ran.get();
                    for _ in 1..4096 {
                        b.read_exact(&mut byte).await.unwrap();
                    }
                    others_ran.get() - before
                }
            });
            let ticker = evloop::spawn({
                let others_ran = others_ran.clone();
                async move {
                    loop {
                        others_ran.set(others_ran.get() + 1);
                        evloop::yield_now().await;
                    }
                }
            });
            let interleaved = reader.await.unwrap();
            ticker.cancel();
            // The reader yields once per 32 reads that did not wait.
            assert!(interleaved >= 4095 / 32 / 2, "the ticker ran {interleaved} times");
        });
    });
}
