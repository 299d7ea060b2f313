//! `Builder` and the run protocol: start the shards, hand each the others'
//! handles, gather the outputs, propagate the first panic.
//!
//! The protocol, between the caller's thread (the coordinator) and each
//! shard thread:
//! 1. the shard builds its loop and sends back its `LoopHandle` (or the
//!    error);
//! 2. once all `n` handles are in, the coordinator sends every shard the
//!    full list (or, if a loop failed, tells every shard to give up);
//! 3. each shard makes its main future with `f` inside its running loop,
//!    runs it raced against its *cancel* notice, and reports the outcome;
//! 4. on the first panic the coordinator fires every other shard's cancel
//!    notice; once all `n` outcomes are in, it fires every *release*
//!    notice: until then a finished shard's loop keeps serving its
//!    siblings;
//! 5. each shard closes its loop; the coordinator joins the threads and
//!    returns the outputs, or resumes the first panic.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;

use super::affinity::pin_current_thread;
use super::notice::Notice;
use super::Shard;
use crate::LoopHandle;

/// Makes each shard's loop builder.
type MakeLoop = Arc<dyn Fn() -> crate::Builder + Send + Sync>;

/// Options for [`shard::run`](super::run): core pinning and how each
/// shard's loop is built.
///
/// ```
/// use std::time::Duration;
/// use evloop::shard;
///
/// let outputs = shard::Builder::new(2)
///     .pin_to_cores(true)
///     .loop_builder(|| evloop::EventLoop::builder().slow_poll_threshold(Duration::from_millis(50)))
///     .run(|me| async move { me.index() });
/// assert_eq!(outputs, vec![0, 1]);
/// ```
pub struct Builder {
    shards: usize,
    pin_to_cores: bool,
    make_loop: MakeLoop,
}

impl Builder {
    /// `n` shards, unpinned, default loops.
    pub fn new(n: usize) -> Builder {
        Builder {
            shards: n,
            pin_to_cores: false,
            make_loop: Arc::new(crate::EventLoop::builder),
        }
    }

    /// Pins shard `i`'s thread to the `i`-th CPU the process may use
    /// (wrapping around past the last one). Linux only; elsewhere, and if
    /// the kernel refuses (a warning goes to stderr), shards run unpinned.
    /// Off by default: pinning pays when each shard has a core to itself,
    /// and hurts when other busy threads share those cores.
    pub fn pin_to_cores(mut self, pin: bool) -> Builder {
        self.pin_to_cores = pin;
        self
    }

    /// How each shard's loop is built: `make` is called once per shard, on
    /// that shard's thread.
    pub fn loop_builder(mut self, make: impl Fn() -> crate::Builder + Send + Sync + 'static) -> Builder {
        self.make_loop = Arc::new(make);
        self
    }

    /// Runs the shards; see [`shard::run`](super::run).
    ///
    /// # Panics
    /// As [`shard::run`](super::run).
    #[track_caller]
    pub fn run<F, Fut>(self, f: F) -> Vec<Fut::Output>
    where
        F: Fn(Shard) -> Fut + Send + Sync + 'static,
        Fut: Future + 'static,
        Fut::Output: Send + 'static,
    {
        let n = self.shards;
        assert!(n > 0, "evloop::shard::run needs at least one shard (got n = 0)");
        let f = Arc::new(f);
        let (ready_tx, ready_rx) = mpsc::channel::<(usize, io::Result<LoopHandle>)>();
        let (outcome_tx, outcome_rx) = mpsc::channel::<(usize, Outcome<Fut::Output>)>();
        let mut shards = Vec::with_capacity(n);
        for index in 0..n {
            let (start_tx, start_rx) = mpsc::channel();
            let notices = Notices {
                cancel: Notice::new(),
                release: Notice::new(),
            };
            let job = ShardThread {
                index,
                pin: self.pin_to_cores,
                make_loop: self.make_loop.clone(),
                f: f.clone(),
                notices: notices.clone(),
                ready: ready_tx.clone(),
                start: start_rx,
                outcome: outcome_tx.clone(),
            };
            let thread = thread::Builder::new()
                .name(format!("evloop-shard-{index}"))
                .spawn(move || job.run())
                .unwrap_or_else(|e| panic!("evloop::shard::run could not start the thread of shard {index}: {e}"));
            shards.push((thread, start_tx, notices));
        }
        drop((ready_tx, outcome_tx));

        // 1-2. Collect every handle, then hand out the full list.
        let mut handles: Vec<Option<LoopHandle>> = vec![None; n];
        let mut failure = None;
        for (index, handle) in ready_rx.iter().take(n) {
            match handle {
                Ok(handle) => handles[index] = Some(handle),
                Err(e) => failure = failure.or(Some((index, e))),
            }
        }
        let handles: Option<Arc<[LoopHandle]>> = match failure {
            None => handles.into_iter().collect::<Option<Vec<_>>>().map(Into::into),
            Some(_) => None,
        };
        for (_, start, _) in &shards {
            let _ = start.send(handles.clone());
        }
        let Some(handles) = handles else {
            join_all(shards.into_iter().map(|(thread, _, _)| thread));
            match failure {
                Some((index, e)) => panic!("evloop::shard::run: shard {index} could not build its event loop: {e}"),
                None => panic!("evloop::shard::run: a shard thread died before its loop was built"),
            }
        };

        // 3-4. Gather the outcomes; the first panic cancels the others.
        let mut outputs: Vec<Option<Fut::Output>> = (0..n).map(|_| None).collect();
        let mut first_panic: Option<Box<dyn Any + Send>> = None;
        for (index, outcome) in outcome_rx.iter().take(n) {
            match outcome {
                Outcome::Finished(output) => outputs[index] = Some(output),
                Outcome::Cancelled => {}
                Outcome::Panicked(payload) => {
                    if first_panic.is_none() {
                        first_panic = Some(payload);
                        for (other, (_, _, notices)) in shards.iter().enumerate() {
                            if other != index {
                                Notice::fire_on(&notices.cancel, &handles[other]);
                            }
                        }
                    }
                }
            }
        }
        for ((_, _, notices), handle) in shards.iter().zip(handles.iter()) {
            Notice::fire_on(&notices.release, handle);
        }

        // 5. Every loop closes; then the verdict.
        if let Some(payload) = join_all(shards.into_iter().map(|(thread, _, _)| thread)) {
            first_panic.get_or_insert(payload);
        }
        if let Some(payload) = first_panic {
            panic::resume_unwind(payload);
        }
        outputs
            .into_iter()
            .enumerate()
            .map(|(i, output)| {
                output.unwrap_or_else(|| panic!("evloop::shard::run: shard {i} ended without an output"))
            })
            .collect()
    }
}

/// Joins every thread; returns the payload of the first that panicked
/// outside the shard protocol (there should be none).
fn join_all(threads: impl Iterator<Item = thread::JoinHandle<()>>) -> Option<Box<dyn Any + Send>> {
    let mut first = None;
    for thread in threads {
        if let Err(payload) = thread.join() {
            first.get_or_insert(payload);
        }
    }
    first
}

/// The text of a panic payload.
fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

/// How a shard's main future ended.
enum Outcome<T> {
    Finished(T),
    /// Cancelled because another shard panicked.
    Cancelled,
    Panicked(Box<dyn Any + Send>),
}

/// The two notices a shard's loop listens for.
#[derive(Clone)]
struct Notices {
    /// Drop the main future: another shard panicked.
    cancel: Arc<Notice>,
    /// Every shard is done: close the loop.
    release: Arc<Notice>,
}

/// Everything one shard thread needs.
struct ShardThread<F, T> {
    index: usize,
    pin: bool,
    make_loop: MakeLoop,
    f: Arc<F>,
    notices: Notices,
    ready: mpsc::Sender<(usize, io::Result<LoopHandle>)>,
    start: mpsc::Receiver<Option<Arc<[LoopHandle]>>>,
    outcome: mpsc::Sender<(usize, Outcome<T>)>,
}

impl<F, Fut> ShardThread<F, Fut::Output>
where
    F: Fn(Shard) -> Fut,
    Fut: Future,
{
    fn run(self) {
        let index = self.index;
        if self.pin {
            match pin_current_thread(index) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Unsupported => {}
                Err(e) => eprintln!("evloop::shard: could not pin shard {index} to a core ({e}); it runs unpinned"),
            }
        }
        // A panicking `loop_builder` must still answer, or the
        // coordinator would wait for this shard's handle forever.
        let built = panic::catch_unwind(AssertUnwindSafe(|| (self.make_loop)().build())).unwrap_or_else(|payload| {
            Err(io::Error::other(format!(
                "loop_builder panicked: {}",
                message(&*payload)
            )))
        });
        let lp = match built {
            Ok(lp) => lp,
            Err(e) => {
                let _ = self.ready.send((index, Err(e)));
                return;
            }
        };
        let _ = self.ready.send((index, Ok(lp.handle())));
        let Ok(Some(handles)) = self.start.recv() else {
            return; // another shard's loop failed: give up
        };
        let shard = Shard::new(index, handles);
        let (f, cancel) = (&self.f, &self.notices.cancel);
        let result = panic::catch_unwind(AssertUnwindSafe(|| lp.block_on(cancel.race(async { f(shard).await }))));
        let outcome = match result {
            Ok(Some(output)) => Outcome::Finished(output),
            Ok(None) => Outcome::Cancelled,
            Err(payload) => Outcome::Panicked(payload),
        };
        let panicked = matches!(outcome, Outcome::Panicked(_));
        let _ = self.outcome.send((index, outcome));
        if !panicked {
            // Keep serving the other shards until every main future is done.
            lp.block_on(self.notices.release.wait());
        }
        lp.close();
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("shards", &self.shards)
            .field("pin_to_cores", &self.pin_to_cores)
            .finish_non_exhaustive()
    }
}
