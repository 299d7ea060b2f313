//! Counters, and dump_tasks.

use std::time::Duration;

use evloop_test_support::paused;

#[test]
fn stats_count_exactly_what_a_known_workload_did() {
    let lp = paused();
    lp.block_on(async {
        let a = evloop::spawn(evloop::sleep(Duration::from_secs(1))); // polls: arm, fire
        let b = evloop::spawn(evloop::yield_now()); // polls: yield, done
        evloop::call_soon(|| ());
        evloop::call_later(Duration::from_secs(2), || ()); // never fires: main ends at 1 s
        a.await.unwrap(); // main: first poll, then woken by a's completion
        b.await.unwrap(); // already done
    });
    let s = lp.stats();
    assert_eq!(s.tasks_spawned, 3, "a, b and the main task");
    assert_eq!(s.tasks_alive, 0, "the main task ended with block_on");
    assert_eq!(s.polls, 4 + 2, "four task polls and two of the main task");
    assert_eq!(s.timers_fired, 1);
    assert_eq!(s.timers_pending, 1);
    assert_eq!(s.callbacks_run, 1);
    assert_eq!(s.wakes_local, 3, "b's yield, a's timer, main woken by a");
    assert_eq!(s.wakes_remote, 0);
    assert_eq!(s.io_events, 0);
}

#[test]
fn dump_tasks_lists_live_tasks_with_their_state() {
    evloop::run(async {
        let sleeper = evloop::spawn_named("sleeper", evloop::sleep(Duration::from_secs(60)));
        let me = evloop::spawn_named("dumper", async { evloop::monitor::dump_tasks() });
        let ready = evloop::spawn_named("queued", async {});
        let dump = me.await.unwrap();
        let line = |name: &str| {
            dump.lines()
                .find(|l| l.contains(name))
                .unwrap_or_else(|| panic!("{name} missing:\n{dump}"))
                .to_string()
        };
        assert!(line("sleeper").contains("waiting"), "{dump}");
        assert!(line("dumper").contains("running"), "{dump}");
        assert!(line("queued").contains("ready") || ready.is_finished(), "{dump}");
        assert!(line("sleeper").contains("monitor_stats.rs"), "{dump}");
        assert!(dump.lines().next().unwrap().contains("spawned at"));
        sleeper.cancel();
    });
}

#[test]
fn tasks_gives_each_live_task_as_a_value() {
    use evloop::monitor::TaskState;
    evloop::run(async {
        let sleeper = evloop::spawn_named("sleeper", evloop::sleep(Duration::from_secs(60)));
        evloop::yield_now().await; // the sleeper's first poll
        let queued = evloop::spawn_named("queued", async {});
        let tasks = evloop::monitor::tasks();
        let find = |name: &str| {
            tasks
                .iter()
                .find(|t| t.name() == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let s = find("sleeper");
        assert_eq!((s.state(), s.polls(), s.id()), (TaskState::Waiting, 1, sleeper.id()));
        assert!(s.spawned_at().file().ends_with("monitor_stats.rs"));
        assert_eq!(s.busy(), None, "busy time needs precise timing");
        assert_eq!(s.age(), Duration::ZERO, "no monitor: spawns read no clock");
        let q = find("queued");
        assert_eq!((q.state(), q.polls()), (TaskState::Ready, 0));
        let main = find("main");
        assert_eq!(main.state(), TaskState::Running);
        assert_eq!(tasks.len(), 3);
        sleeper.cancel();
        queued.await.unwrap();
    });
}

#[test]
fn tasks_has_busy_time_when_measuring_and_age_with_any_monitor() {
    let lp = evloop::EventLoop::builder().measure(true).build().unwrap();
    lp.block_on(async {
        let worker = evloop::spawn_named("worker", async {
            std::thread::sleep(Duration::from_millis(5));
            evloop::sleep(Duration::from_secs(60)).await;
        });
        evloop::yield_now().await;
        std::thread::sleep(Duration::from_millis(20));
        let tasks = evloop::monitor::tasks();
        let w = tasks.iter().find(|t| t.name() == "worker").unwrap();
        assert!(w.busy().unwrap() >= Duration::from_millis(5), "{w:?}");
        assert!(w.age() >= Duration::from_millis(20), "{w:?}");
        let dump = evloop::monitor::dump_tasks();
        assert!(dump.lines().next().unwrap().contains("age"), "{dump}");
        worker.cancel();
    });
}
