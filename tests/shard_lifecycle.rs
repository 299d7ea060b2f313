//! `evloop::shard`: outputs in shard order, `f` runs on each shard's own
//! running loop, a finished shard keeps serving its siblings, and work
//! crosses shards through `Shard::handle` (`spawn`, `spawn_with`,
//! `call_soon_threadsafe`).

use std::rc::Rc;
use std::time::Duration;

use evloop::shard::{self, Shard};
use evloop_test_support::{panic_message, within};

fn thread_name() -> String {
    std::thread::current().name().unwrap_or("?").to_string()
}

#[test]
fn outputs_come_back_in_shard_order_and_each_shard_runs_on_its_own_thread_and_loop() {
    let outputs = within(Duration::from_secs(30), || {
        shard::run(4, |me: Shard| async move {
            // Later shards finish first: the order of the outputs must not care.
            evloop::sleep(Duration::from_millis(5 * (4 - me.index() as u64))).await;
            let in_loop = evloop::try_handle().is_some();
            (me.index(), me.count(), thread_name(), in_loop)
        })
    });
    for (i, (index, count, thread, in_loop)) in outputs.into_iter().enumerate() {
        assert_eq!((index, count), (i, 4));
        assert_eq!(thread, format!("evloop-shard-{i}"));
        assert!(in_loop, "the shard's future runs inside its loop");
    }
}

#[test]
fn f_is_called_inside_the_running_loop_of_its_shard() {
    let outputs = within(Duration::from_secs(30), || {
        shard::run(2, |me| {
            // Not yet inside the future: `spawn` must already work.
            let early = evloop::spawn(async move { me.index() + 100 });
            async move { early.await.unwrap() }
        })
    });
    assert_eq!(outputs, vec![100, 101]);
}

#[test]
fn a_shard_that_finished_keeps_serving_until_every_shard_is_done() {
    let outputs = within(Duration::from_secs(30), || {
        shard::run(2, |me| async move {
            if me.index() == 0 {
                return Ok(0); // done at once
            }
            // Shard 0's main future has long finished: its loop still answers.
            evloop::sleep(Duration::from_millis(50)).await;
            me.handle(0).spawn(async { 7 }).await.map_err(|e| e.to_string())
        })
    });
    assert_eq!(outputs, vec![Ok(0), Ok(7)]);
}

#[test]
fn spawn_spawn_with_and_call_soon_threadsafe_run_on_the_target_shard() {
    let outputs = within(Duration::from_secs(30), || {
        shard::run(3, |me| async move {
            let next = (me.index() + 1) % me.count();
            let target = me.handle(next);
            // spawn: a Send future, run on the target's thread.
            let spawned = target.spawn(async { thread_name() }).await.unwrap();
            // spawn_with: the future is built on the target, so it may hold
            // an Rc and spawn local tasks there.
            let built = target
                .spawn_with(|| async {
                    let local = Rc::new(thread_name());
                    let child = evloop::spawn(async { 1 });
                    format!("{local}+{}", child.await.unwrap())
                })
                .await
                .unwrap();
            // call_soon_threadsafe: a closure on the target's thread, whose
            // answer hops back to this shard the same way.
            let (tx, rx) = futures::channel::oneshot::channel();
            let back = me.handle(me.index());
            target
                .call_soon_threadsafe(move || {
                    let name = thread_name();
                    back.call_soon_threadsafe(move || {
                        let _ = tx.send((name, thread_name()));
                    })
                    .unwrap();
                })
                .unwrap();
            let called = rx.await.unwrap();
            (spawned, built, called)
        })
    });
    for (i, (spawned, built, (called_on, answered_on))) in outputs.into_iter().enumerate() {
        let next = format!("evloop-shard-{}", (i + 1) % 3);
        assert_eq!(spawned, next);
        assert_eq!(built, format!("{next}+1"));
        assert_eq!(called_on, next);
        assert_eq!(answered_on, format!("evloop-shard-{i}"));
    }
}

#[test]
fn shard_loops_are_built_by_the_loop_builder() {
    let outputs = within(Duration::from_secs(30), || {
        shard::Builder::new(2)
            .loop_builder(|| evloop::EventLoop::builder().paused_clock(true))
            .run(|_| async {
                // A paused clock: an hour passes at once.
                let start = evloop::time();
                evloop::sleep(Duration::from_secs(3600)).await;
                evloop::time() - start
            })
    });
    assert_eq!(outputs, vec![Duration::from_secs(3600); 2]);
}

#[cfg(target_os = "linux")]
fn allowed_cpus() -> usize {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is this thread; `set` is a writable cpu_set_t of that size.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(rc, 0);
    // SAFETY: `set` is a valid cpu_set_t.
    unsafe { libc::CPU_COUNT(&set) as usize }
}

#[cfg(target_os = "linux")]
#[test]
fn pinned_shards_each_run_on_one_cpu() {
    let outputs = within(Duration::from_secs(30), || {
        shard::Builder::new(2)
            .pin_to_cores(true)
            .run(|_| async { allowed_cpus() })
    });
    assert_eq!(outputs, vec![1, 1]);
    // Unpinned shards keep the process's whole mask.
    let unpinned = within(Duration::from_secs(30), || shard::run(1, |_| async { allowed_cpus() }));
    assert_eq!(unpinned, vec![allowed_cpus()]);
}

#[test]
fn zero_shards_and_a_handle_out_of_range_are_refused_with_a_clear_message() {
    let zero = std::panic::catch_unwind(|| shard::run(0, |_| async {}));
    let message = panic_message(&*zero.unwrap_err());
    assert!(message.contains("at least one shard"), "{message}");

    let out_of_range = std::panic::catch_unwind(|| {
        shard::run(2, |me| async move {
            let _ = me.handle(2);
        })
    });
    let message = panic_message(&*out_of_range.unwrap_err());
    assert!(
        message.contains("Shard::handle(2)") && message.contains("only 2 shards"),
        "{message}"
    );
}
