//! shield: the inner future survives the awaiter's cancellation.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use evloop_test_support::{paused, DropCounter, Log};

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn shield_survives_an_outer_timeout() {
    paused().block_on(async {
        let log = Log::new();
        let drops = DropCounter::new();
        let l = log.clone();
        let save = evloop::shield(drops.wrap(async move {
            evloop::sleep(secs(1)).await;
            l.push("saved");
            "data"
        }));
        let r = evloop::timeout(Duration::from_millis(100), save).await;
        assert!(r.is_err(), "the awaiter timed out");
        assert_eq!(drops.get(), 0, "the shielded future was not dropped");
        evloop::sleep(secs(2)).await;
        assert_eq!(log.take(), ["saved"], "it ran to its end");
        assert_eq!(drops.get(), 1);
    });
}

#[test]
fn the_result_stays_observable_after_a_timeout() {
    paused().block_on(async {
        let start = evloop::time();
        let mut save = evloop::shield(async {
            evloop::sleep(secs(1)).await;
            42
        });
        assert!(evloop::timeout(Duration::from_millis(100), &mut save).await.is_err());
        assert!(!save.is_finished());
        assert_eq!(save.await.unwrap(), 42);
        assert_eq!(evloop::time() - start, secs(1));
    });
}

#[test]
fn cancelling_the_awaiting_task_leaves_the_shielded_one_running() {
    paused().block_on(async {
        let saved = Rc::new(Cell::new(false));
        let s = saved.clone();
        // asyncio: task = create_task(shield(critical_save())); task.cancel()
        let outer = evloop::spawn(async move {
            evloop::shield(async move {
                evloop::sleep(secs(1)).await;
                s.set(true);
            })
            .await
        });
        evloop::sleep(Duration::from_millis(100)).await;
        assert!(outer.cancel());
        assert!(outer.await.unwrap_err().is_cancelled());
        assert!(!saved.get());
        evloop::sleep(secs(2)).await;
        assert!(saved.get(), "the save went on after its awaiter was cancelled");
    });
}

#[test]
fn shield_reports_a_panic_and_can_be_turned_back_into_a_task() {
    paused().block_on(async {
        let r = evloop::shield(async { panic!("inner failure") }).await;
        assert!(r.unwrap_err().is_panic());
        let task = evloop::shield(evloop::sleep(secs(3600))).into_task();
        assert!(task.cancel(), "cancel it on purpose through its handle");
        assert!(task.await.unwrap_err().is_cancelled());
    });
}
