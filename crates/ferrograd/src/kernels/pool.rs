//! The thread pool that splits large matrix products and updates: helpers spin between jobs.
//!
//! A training step issues a handful of products of a few tens of microseconds each. Waking a
//! sleeping thread for each (as rayon does) costs about as much as the product itself, so here
//! the calling thread posts a job to helpers that spin for [`SPIN`] after their last job, and only
//! then sleep. OpenMP runtimes wait the same way.
//!
//! Splitting only pays while each helper has a CPU to itself: when another program holds one, or
//! busy CPUs slow each other down (as seen on virtual machines), the split runs slower than the
//! caller alone. So the pool times both ways as it goes ([`Tuner`]) and keeps to the faster one; idle
//! helpers then sleep and leave their CPU to whoever needs it.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use tuner::Tuner;

mod tuner;

/// How long an idle helper spins before it sleeps.
const SPIN: Duration = Duration::from_millis(1);

/// The number of threads (the caller included) that large matrix products are split over.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The helpers; locked while a job runs, so one caller uses them at a time.
static POOL: Mutex<Pool> = Mutex::new(Pool {
    helpers: Vec::new(),
    tuner: Tuner::NEW,
});

struct Pool {
    helpers: Vec<Arc<Helper>>,
    tuner: Tuner,
}

/// Sets how many threads (the calling one included) large matrix products are split over.
///
/// The default is `$FERROGRAD_NUM_THREADS` if set, else the number of CPUs. `1` computes every
/// product on the calling thread. Results are the same bit for bit whatever the count: a split
/// product computes each output element exactly as the whole one does.
///
/// The helper threads start on first use, spin for 1 ms after each product before they sleep,
/// and are left idle while running on the calling thread alone measures faster (another program
/// busy on their CPUs, say).
///
/// ```
/// ferrograd::set_num_threads(1);
/// assert_eq!(ferrograd::num_threads(), 1);
/// ```
///
/// # Panics
/// When `threads` is 0.
pub fn set_num_threads(threads: usize) {
    assert!(threads > 0, "the thread count must be at least 1");
    THREADS.store(threads, Ordering::Relaxed);
    // What was timed with the old count says nothing about the new one.
    POOL.lock().unwrap_or_else(|p| p.into_inner()).tuner = Tuner::NEW;
}

/// The number of threads large matrix products are split over; see [`set_num_threads`].
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let threads = std::env::var("FERROGRAD_NUM_THREADS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()));
            THREADS.store(threads, Ordering::Relaxed);
            threads
        }
        threads => threads,
    }
}

/// Runs `job` on each of `parts` at the same time, the first on the calling thread (a single part
/// just runs there). `work` is
/// their size in any unit proportional to their cost (multiply-adds, elements), to time by.
pub(crate) fn run_each<P: Send>(parts: Vec<P>, work: usize, job: impl Fn(P) + Sync) {
    if parts.len() <= 1 {
        // Nothing to split: no helpers and nothing for the tuner to time.
        return parts.into_iter().for_each(job);
    }
    let slots: Vec<Mutex<Option<P>>> = parts.into_iter().map(|p| Mutex::new(Some(p))).collect();
    run_parts(slots.len(), work, &|i| {
        let part = slots[i].lock().map(|mut slot| slot.take());
        job(part.ok().flatten().expect("each part is taken once"));
    });
}

/// How many parts to split `work` into so that each has at least `min_per_part` of it.
pub(crate) fn parts_for(work: usize, min_per_part: usize) -> usize {
    num_threads().min(work / min_per_part).max(1)
}

/// Runs `job(0)`, ..., `job(parts - 1)` at the same time, the first on the calling thread and the
/// others on helpers, and returns when all have finished. A part whose helper has not started it
/// by the time the caller is done with its own (the helper's CPU is busy with another program)
/// is run by the caller. Runs them one after another on the caller while another thread uses the
/// helpers, or when the [`Tuner`] found that faster. A panic in any part is resumed here after
/// every part has stopped.
fn run_parts(parts: usize, work: usize, job: &(dyn Fn(usize) + Sync)) {
    let mut pool = match POOL.try_lock() {
        Ok(pool) => pool,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return (0..parts).for_each(job),
    };
    let start = Instant::now();
    if pool.tuner.begin(start) {
        (0..parts).for_each(job);
        return pool.tuner.end(start, Instant::now(), work);
    }
    while pool.helpers.len() < parts - 1 {
        let index = pool.helpers.len() + 1;
        pool.helpers.push(Helper::start(index));
    }
    let helpers = &pool.helpers[..parts - 1];
    let posted = Posted(helpers);
    for helper in helpers {
        helper.post(JobRef(std::ptr::from_ref(&job).cast()));
    }
    job(0);
    for (index, helper) in (1..).zip(helpers) {
        if helper.withdraw() {
            job(index);
        }
    }
    drop(posted);
    for helper in helpers {
        if let Some(panic) = helper.take_panic() {
            resume_unwind(panic);
        }
    }
    pool.tuner.end(start, Instant::now(), work);
}

/// Helpers holding a job; dropping it withdraws the parts nobody has started and waits for the
/// others to finish. When the caller's own part panicked, that panic is the one resumed, and
/// the helpers' are dropped here rather than left in their slots for the next job to resume.
struct Posted<'a>(&'a [Arc<Helper>]);

impl Drop for Posted<'_> {
    fn drop(&mut self) {
        for helper in self.0 {
            if !helper.withdraw() {
                helper.wait();
            }
            if thread::panicking() {
                drop(helper.take_panic());
            }
        }
    }
}

/// A posted job as a helper holds it: the address of the caller's `&(dyn Fn(usize) + Sync)`,
/// which lives in `run_parts`'s frame. A raw pointer rather than a reference, because it outlives
/// that frame in the helper's slot; it is only followed while the frame is alive (see
/// [`Helper::serve`]).
#[derive(Clone, Copy)]
struct JobRef(*const ());

// SAFETY: the pointer leads to a `&(dyn Fn(usize) + Sync)`, which is `Send` and `Sync` (the
// closure may be called from any thread through a shared reference); moving its address to
// another thread shares nothing else. When it may be followed is `Helper::serve`'s to check.
unsafe impl Send for JobRef {}

/// One helper thread and the slot it takes jobs from.
///
/// Job `n` is posted by setting `posted` to `n`; whoever moves `claimed` from `n - 1` to `n`
/// first (the helper, or the caller when the helper is late) runs it. `finished` becomes `n` when
/// the helper has run it, or at once when the caller took it.
struct Helper {
    thread: Thread,
    posted: AtomicUsize,
    claimed: AtomicUsize,
    finished: AtomicUsize,
    sleeping: AtomicBool,
    /// Written only when every earlier job is claimed and finished; read by the helper only
    /// after it claims the job.
    job: UnsafeCell<Option<JobRef>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// SAFETY: the only field without its own synchronisation is `job`. `post` writes it only when
// every earlier job is claimed and finished (the caller's `Posted` waited for `finished`, with
// acquire, or claimed the job itself so the helper never read it), and the helper reads it only
// after acquiring the `posted` that `post` released after its write: the accesses never overlap.
unsafe impl Sync for Helper {}

impl Helper {
    fn start(index: usize) -> Arc<Helper> {
        let (sender, receiver) = std::sync::mpsc::channel();
        thread::Builder::new()
            .name(format!("ferrograd-{index}"))
            .spawn(move || {
                let helper = Arc::new(Helper {
                    thread: thread::current(),
                    posted: AtomicUsize::new(0),
                    claimed: AtomicUsize::new(0),
                    finished: AtomicUsize::new(0),
                    sleeping: AtomicBool::new(false),
                    job: UnsafeCell::new(None),
                    panic: Mutex::new(None),
                });
                sender.send(Arc::clone(&helper)).expect("the pool waits");
                helper.serve(index);
            })
            .expect("failed to start a ferrograd helper thread");
        receiver.recv().expect("the helper thread started")
    }

    fn post(&self, job: JobRef) {
        // SAFETY: every earlier job is claimed and finished (see `impl Sync for Helper`), so
        // nothing reads or writes the slot now.
        unsafe { *self.job.get() = Some(job) };
        self.posted.fetch_add(1, Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) {
            self.thread.unpark();
        }
    }

    /// Takes job `n` for whoever calls, unless it was taken already.
    fn claim(&self, n: usize) -> bool {
        self.claimed
            .compare_exchange(n - 1, n, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    }

    /// Takes the last posted job back from the helper unless it has claimed it; the helper will
    /// not touch it, so it counts as finished.
    fn withdraw(&self) -> bool {
        let posted = self.posted.load(Ordering::Relaxed);
        let taken = self.claim(posted);
        if taken {
            self.finished.store(posted, Ordering::Release);
        }
        taken
    }

    /// Waits until the last posted job is finished.
    fn wait(&self) {
        let posted = self.posted.load(Ordering::Relaxed);
        let mut spins = 0u32;
        while self.finished.load(Ordering::Acquire) != posted {
            spins += 1;
            if spins.is_multiple_of(1024) {
                thread::yield_now(); // the helper's CPU may have been taken away
            } else {
                std::hint::spin_loop();
            }
        }
    }

    fn take_panic(&self) -> Option<Box<dyn Any + Send>> {
        self.panic.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn serve(&self, index: usize) {
        let mut seen = 0;
        loop {
            seen = self.next_job(seen);
            if !self.claim(seen) {
                continue; // the caller ran it
            }
            // SAFETY: `post` wrote the slot before it released `posted`, which `next_job`
            // acquired, and writes no more until this job is finished.
            let JobRef(job) = unsafe { *self.job.get() }.expect("a posted job");
            // SAFETY: `job` is the address of the caller's `&dyn Fn` in `run_parts`, which has
            // not returned: this helper claimed the job, and the caller returns (even by
            // unwinding, through `Posted`) only after `finished` says every claimed part is done.
            let job = unsafe { *job.cast::<&(dyn Fn(usize) + Sync)>() };
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| job(index))) {
                *self.panic.lock().unwrap_or_else(|p| p.into_inner()) = Some(panic);
            }
            self.finished.store(seen, Ordering::Release);
        }
    }

    /// Waits until a job after `seen` is posted: spinning for [`SPIN`], then asleep.
    fn next_job(&self, seen: usize) -> usize {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            let posted = self.posted.load(Ordering::Acquire);
            if posted != seen {
                return posted;
            }
            spins += 1;
            if !spins.is_multiple_of(256) || start.elapsed() < SPIN {
                std::hint::spin_loop();
                continue;
            }
            self.sleeping.store(true, Ordering::SeqCst);
            while self.posted.load(Ordering::SeqCst) == seen {
                thread::park();
            }
            self.sleeping.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_part_runs_once() {
        for parts in 1..=4 {
            let runs: Vec<AtomicU32> = (0..parts).map(|_| AtomicU32::new(0)).collect();
            run_parts(parts, 1, &|i| {
                runs[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
        }
    }

    /// Spins until `done` or 50 ms have passed: time for a helper to start its part.
    fn wait_until(done: impl Fn() -> bool) {
        let start = Instant::now();
        while !done() && start.elapsed() < Duration::from_millis(50) {
            std::hint::spin_loop();
        }
    }

    #[test]
    fn a_panic_reaches_the_caller_after_every_started_part_has_finished() {
        let caller = thread::current().id();
        for failing in [0, 1] {
            // Repeated until a part has run on a helper: the pool may be busy with another test,
            // or the tuner probing the caller alone, and then the parts run one after another.
            let on_helper = AtomicU32::new(0);
            for _ in 0..100 {
                let (started, finished) = (AtomicU32::new(0), AtomicU32::new(0));
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    run_parts(2, 1, &|i| {
                        started.fetch_add(1, Ordering::SeqCst);
                        if thread::current().id() == caller {
                            wait_until(|| started.load(Ordering::SeqCst) == 2);
                        } else {
                            on_helper.fetch_add(1, Ordering::SeqCst);
                        }
                        if i == failing {
                            panic!("part {i} failed");
                        }
                        thread::sleep(Duration::from_millis(20));
                        finished.fetch_add(1, Ordering::SeqCst);
                    })
                }));
                let message = *outcome.unwrap_err().downcast::<String>().unwrap();
                assert_eq!(message, format!("part {failing} failed"));
                // The part that did not panic, if it started, ran to its end before the panic
                // reached the caller; a part nobody had started was withdrawn.
                let (started, finished) = (started.into_inner(), finished.into_inner());
                assert_eq!(finished + 1, started, "part {failing} failing");
                if on_helper.load(Ordering::SeqCst) > 0 {
                    break;
                }
            }
            assert!(on_helper.into_inner() > 0, "no part ran on a helper");
        }
        // And the helpers keep working.
        let total = AtomicU32::new(0);
        run_parts(3, 1, &|i| {
            total.fetch_add(i as u32 + 1, Ordering::Relaxed);
        });
        assert_eq!(total.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn a_helper_s_panic_is_not_left_behind_for_a_later_job() {
        // Both parts panic; the caller's is resumed. The helper's must not stay in its slot,
        // where the next job (anyone's) would resume it as its own.
        let caller = thread::current().id();
        let on_helper = AtomicU32::new(0);
        for _ in 0..100 {
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                run_parts(2, 1, &|i| {
                    if thread::current().id() == caller {
                        wait_until(|| on_helper.load(Ordering::SeqCst) > 0);
                    } else {
                        on_helper.fetch_add(1, Ordering::SeqCst);
                    }
                    panic!("part {i} failed");
                })
            }));
            let message = *outcome.unwrap_err().downcast::<String>().unwrap();
            assert_eq!(message, "part 0 failed");
            let pool = POOL.lock().unwrap_or_else(|p| p.into_inner());
            assert!(
                pool.helpers
                    .iter()
                    .all(|helper| helper.take_panic().is_none()),
                "a helper's panic was left in its slot"
            );
            if on_helper.load(Ordering::SeqCst) > 0 {
                break;
            }
        }
        assert!(on_helper.into_inner() > 0, "no part ran on a helper");
    }

    #[test]
    fn helpers_wake_from_sleep() {
        let total = AtomicU32::new(0);
        for _ in 0..3 {
            thread::sleep(SPIN * 5);
            run_parts(2, 1, &|_| {
                total.fetch_add(1, Ordering::Relaxed);
            });
        }
        assert_eq!(total.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn callers_on_several_threads_each_get_every_part_run() {
        thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..200 {
                        let total = AtomicU32::new(0);
                        run_parts(2, 1, &|i| {
                            total.fetch_add(i as u32 + 1, Ordering::Relaxed);
                        });
                        assert_eq!(total.load(Ordering::Relaxed), 3);
                    }
                });
            }
        });
    }
}
