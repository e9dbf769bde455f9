//! The thread pool that splits large matrix products and updates: helpers spin between jobs.
//!
//! A training step issues a handful of products of a few tens of microseconds each. Waking a
//! sleeping thread for each (as rayon does) costs about as much as the product itself, so here
//! the calling thread posts a job to helpers that spin for [`SPIN`] after their last job, and only
//! then sleep. OpenMP runtimes wait the same way.
//!
//! Splitting only pays while each helper has a CPU to itself. When helpers fall behind the caller
//! (another program has their CPU), products run on the calling thread for [`BACK_OFF`], which
//! lets the helpers sleep and the other program run, and then the helpers are tried again.

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long an idle helper spins before it sleeps.
const SPIN: Duration = Duration::from_millis(1);

/// The number of threads (the caller included) that large matrix products are split over.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// A helper that was awake is behind when the caller waits longer than this for it, and longer
/// than the caller's own part took.
const LATE: Duration = Duration::from_micros(500);

/// Helpers are also behind when, over this many jobs, the caller spent longer waiting for them
/// than on its own parts: running their parts itself would have been as fast.
const WINDOW: u32 = 64;

/// How long products stay on the calling thread after a helper fell behind.
const BACK_OFF: Duration = Duration::from_millis(100);

/// The helpers; locked while a job runs, so one caller uses them at a time.
static POOL: Mutex<Pool> = Mutex::new(Pool {
    helpers: Vec::new(),
    serial_until: None,
    window: (0, Duration::ZERO, Duration::ZERO),
});

struct Pool {
    helpers: Vec<Arc<Helper>>,
    /// Set when helpers fell behind: until then, jobs run on the calling thread.
    serial_until: Option<Instant>,
    /// Jobs in the current [`WINDOW`], the caller's time on its own parts, and its time waiting.
    window: (u32, Duration, Duration),
}

impl Pool {
    /// Records a job where the caller spent `own` on its part and then `waited` for the helpers,
    /// and runs serially for a while if they fell behind.
    fn pace(&mut self, own: Duration, waited: Duration) {
        let (jobs, own_sum, waited_sum) = &mut self.window;
        *jobs += 1;
        *own_sum += own;
        *waited_sum += waited;
        let behind = waited > own.max(LATE) || (*jobs == WINDOW && waited_sum > own_sum);
        if *jobs == WINDOW || behind {
            self.window = (0, Duration::ZERO, Duration::ZERO);
        }
        if behind {
            self.serial_until = Some(Instant::now() + BACK_OFF);
        }
    }
}

/// Sets how many threads (the calling one included) large matrix products are split over.
///
/// The default is `$FERROGRAD_NUM_THREADS` if set, else the number of CPUs. `1` computes every
/// product on the calling thread. Results are the same bit for bit whatever the count: a split
/// product computes each output element exactly as the whole one does.
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

/// Runs `job` on each of `parts` at the same time, the first on the calling thread.
pub(crate) fn run_each<P: Send>(parts: Vec<P>, job: impl Fn(P) + Sync) {
    let slots: Vec<Mutex<Option<P>>> = parts.into_iter().map(|p| Mutex::new(Some(p))).collect();
    run_parts(slots.len(), &|i| {
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
/// is run by the caller. Runs serially while another thread uses the helpers, and for
/// [`BACK_OFF`] after awake helpers fell behind (see [`LATE`] and [`WINDOW`]). A panic in any part is resumed
/// here after every part has stopped.
fn run_parts(parts: usize, job: &(dyn Fn(usize) + Sync)) {
    let mut pool = match POOL.try_lock() {
        Ok(pool) => pool,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return (0..parts).for_each(job),
    };
    if pool
        .serial_until
        .is_some_and(|until| Instant::now() < until)
    {
        drop(pool);
        return (0..parts).for_each(job);
    }
    while pool.helpers.len() < parts - 1 {
        let index = pool.helpers.len() + 1;
        pool.helpers.push(Helper::start(index));
    }
    let helpers = &pool.helpers[..parts - 1];
    // Safety: a helper uses the job only after claiming it, and `Posted`, dropped before this
    // function returns even when a part panics, waits for every claimed part to finish.
    let job: &'static (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(job) };
    let posted = Posted(helpers);
    let mut woken = false;
    for helper in helpers {
        woken |= helper.post(job);
    }
    let start = Instant::now();
    job(0);
    let own = start.elapsed();
    for (index, helper) in (1..).zip(helpers) {
        if helper.withdraw() {
            job(index);
        }
    }
    let waiting = Instant::now();
    drop(posted);
    let waited = waiting.elapsed();
    for helper in helpers {
        if let Some(panic) = helper.take_panic() {
            resume_unwind(panic);
        }
    }
    if !woken {
        pool.pace(own, waited);
    }
}

/// Helpers holding a job; dropping it withdraws the parts nobody has started and waits for the
/// others to finish.
struct Posted<'a>(&'a [Arc<Helper>]);

impl Drop for Posted<'_> {
    fn drop(&mut self) {
        for helper in self.0 {
            if !helper.withdraw() {
                helper.wait();
            }
        }
    }
}

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
    job: UnsafeCell<Option<&'static (dyn Fn(usize) + Sync)>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

// Safety: see `job`; `posted` (release/acquire) orders the write before the helper's read, and
// `finished` orders the helper's read before the next write.
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

    /// Posts `job`; true if the helper had to be woken.
    fn post(&self, job: &'static (dyn Fn(usize) + Sync)) -> bool {
        // Safety: every earlier job is claimed and finished, so nothing reads `job` now.
        unsafe { *self.job.get() = Some(job) };
        self.posted.fetch_add(1, Ordering::SeqCst);
        let asleep = self.sleeping.load(Ordering::SeqCst);
        if asleep {
            self.thread.unpark();
        }
        asleep
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
            if spins % 1024 == 0 {
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
            // Safety: `post` wrote the job before publishing `posted`, which we acquired.
            let job = unsafe { *self.job.get() }.expect("a posted job");
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
            if spins % 256 != 0 || start.elapsed() < SPIN {
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
            run_parts(parts, &|i| {
                runs[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(runs.iter().all(|r| r.load(Ordering::Relaxed) == 1));
        }
    }

    #[test]
    fn a_panicking_part_reaches_the_caller_and_the_helpers_keep_working() {
        for failing in [0, 1] {
            let finished = AtomicU32::new(0);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                run_parts(2, &|i| {
                    if i == failing {
                        panic!("part {i} failed");
                    }
                    thread::sleep(Duration::from_millis(20));
                    finished.fetch_add(1, Ordering::Relaxed);
                })
            }));
            let message = *outcome.unwrap_err().downcast::<String>().unwrap();
            assert_eq!(message, format!("part {failing} failed"));
            assert_eq!(
                finished.load(Ordering::Relaxed),
                1,
                "the other part ran to its end"
            );
        }
        let total = AtomicU32::new(0);
        run_parts(3, &|i| {
            total.fetch_add(i as u32 + 1, Ordering::Relaxed);
        });
        assert_eq!(total.load(Ordering::Relaxed), 6);
    }

    #[test]
    fn helpers_wake_from_sleep() {
        let total = AtomicU32::new(0);
        for _ in 0..3 {
            thread::sleep(SPIN * 5);
            run_parts(2, &|_| {
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
                        run_parts(2, &|i| {
                            total.fetch_add(i as u32 + 1, Ordering::Relaxed);
                        });
                        assert_eq!(total.load(Ordering::Relaxed), 3);
                    }
                });
            }
        });
    }
}
