//! When to split: the [`Tuner`] times jobs split over the helpers and jobs run on the caller
//! alone, as they come, and keeps to the faster way. Arithmetic on the times it is given; the
//! pool (`super`) measures them.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Jobs run the way that was faster for a stretch of this many jobs, then the other way for
/// [`PROBE`] jobs (see [`Tuner`]); each probe that confirms the choice doubles the stretch, up to
/// [`STRETCH_MAX`].
const STRETCH: u32 = 512;

/// The longest stretch between probes.
const STRETCH_MAX: u32 = 64 * 1024;

/// How many jobs of each way are timed to compare them.
const PROBE: u32 = 128;

/// Splitting is kept only while it takes at most this fraction of the time the caller alone
/// takes per unit of work (it is at least 5% faster), and taken up again only when a probe of it
/// takes at most [`ADOPT_SPLIT`] of it (10% faster). Between the two the caller alone is
/// preferred: splitting then buys nothing for the second CPU it spins.
const KEEP_SPLIT: f64 = 0.95;

/// See [`KEEP_SPLIT`].
const ADOPT_SPLIT: f64 = 0.9;

/// While splitting, every [`WATCH`] jobs of a stretch are timed too; when two such windows in a
/// row take this many times longer per unit of work than split jobs did at the last probe, the
/// stretch ends there and a probe follows at once, instead of at the stretch's planned end (up
/// to 64K jobs later).
const SLOWDOWN: f64 = 1.3;

/// See [`SLOWDOWN`].
const WATCH: u32 = 256;

/// A job's time counts until the next job begins (the caller's work in between is slowed too
/// when a spinning helper shares its core), unless the caller was away longer than this.
const GAP: Duration = Duration::from_millis(2);

/// Whether to print every decision of the [`Tuner`] to stderr: `$FERROGRAD_TUNER_LOG` set to
/// anything but `0` or nothing. Read once; a diagnostic for slow multi-threaded runs.
fn log_decisions() -> bool {
    static LOG: OnceLock<bool> = OnceLock::new();
    *LOG.get_or_init(|| {
        std::env::var_os("FERROGRAD_TUNER_LOG").is_some_and(|v| v != "0" && !v.is_empty())
    })
}

/// Chooses between splitting jobs over the helpers and running them on the caller alone. It runs
/// a stretch of jobs the chosen way, [`PROBE`] jobs the other way, and [`PROBE`] more the chosen
/// way, and compares the time per unit of work of the probe with that of the jobs just before and
/// just after it: the probe must beat both, so a change in the work meanwhile cannot fake a win.
/// (A training loop repeats the same jobs, so the three samples see the same mix.) Splitting must
/// beat the caller alone by a margin ([`KEEP_SPLIT`], [`ADOPT_SPLIT`]), and a stretch of split
/// jobs that slows down ([`SLOWDOWN`]) is cut short, so that a second CPU that stops helping
/// (another program on it, or the hypervisor running both virtual CPUs on one core) is given up
/// within a few hundred jobs.
pub(super) struct Tuner {
    serial_is_faster: bool,
    /// Jobs in the current stretch (cut short by [`SLOWDOWN`]) and as planned.
    stretch: u32,
    planned: u32,
    /// Jobs begun since the stretch began.
    jobs: u32,
    /// The rates sampled before, during and after the probe.
    samples: [Rate; 3],
    /// Split jobs of the stretch not yet compared with `reference`, how many, and whether the
    /// last [`WATCH`] of them were slow.
    watch: Rate,
    watched: u32,
    slowed: bool,
    /// Time per unit of work of split jobs at the last probe; 0 before the first.
    reference: f64,
    previous: Option<Job>,
    /// When the first decision was logged (see [`log_decisions`]).
    first_decision: Option<Instant>,
}

/// A job that began at `start` and took `time` for `work`; timed for `samples[sample]`, if any.
struct Job {
    start: Instant,
    time: Duration,
    work: usize,
    sample: Option<usize>,
}

/// Time taken over work done.
#[derive(Clone, Copy)]
struct Rate {
    time: Duration,
    work: usize,
}

impl Rate {
    const ZERO: Rate = Rate {
        time: Duration::ZERO,
        work: 0,
    };

    fn per_work(&self) -> f64 {
        self.time.as_secs_f64() / self.work.max(1) as f64
    }
}

impl Tuner {
    /// Splitting first.
    pub(super) const NEW: Tuner = Tuner {
        serial_is_faster: false,
        stretch: STRETCH,
        planned: STRETCH,
        jobs: 0,
        samples: [Rate::ZERO; 3],
        watch: Rate::ZERO,
        watched: 0,
        slowed: false,
        reference: 0.0,
        previous: None,
        first_decision: None,
    };

    /// Starts a job at `now`; true if it is to run on the caller alone.
    pub(super) fn begin(&mut self, now: Instant) -> bool {
        if let Some(job) = self.previous.take() {
            let until_now = now - job.start;
            if until_now < job.time + GAP {
                let rate = match job.sample {
                    Some(i) => Some(&mut self.samples[i]),
                    None if !self.serial_is_faster => {
                        self.watched += 1;
                        Some(&mut self.watch)
                    }
                    None => None,
                };
                if let Some(rate) = rate {
                    rate.time += until_now;
                    rate.work += job.work;
                }
            }
        }
        if self.watched == WATCH {
            let slowed = self.reference > 0.0 && self.watch.per_work() > SLOWDOWN * self.reference;
            // Two slow windows in a row, so that one odd stretch of work (the end of an epoch)
            // does not cost a probe.
            if slowed && self.slowed && self.jobs < self.stretch - PROBE {
                // Sample from the next job on: the probe follows.
                self.stretch = self.jobs + PROBE;
            }
            self.slowed = slowed;
            (self.watch, self.watched) = (Rate::ZERO, 0);
        }
        if self.jobs == self.stretch + 2 * PROBE {
            self.decide(now);
        }
        self.jobs += 1;
        let probing = (self.stretch + 1..=self.stretch + PROBE).contains(&self.jobs);
        self.serial_is_faster != probing
    }

    /// Compares the probe with the jobs before and after it, chooses the way of the next
    /// stretch, and starts it.
    fn decide(&mut self, now: Instant) {
        let [before, probed, after] = self.samples.map(|rate| rate.per_work());
        let usual = before.min(after);
        // The probe must beat both samples, so that neither noise nor a change in the work
        // flips the choice; splitting must win by a margin (ties go to the caller alone).
        let switch = if self.serial_is_faster {
            probed < ADOPT_SPLIT * usual
        } else {
            KEEP_SPLIT * probed < usual
        };
        if log_decisions() {
            self.log(now, [before, probed, after], switch);
        }
        let cut_short = self.stretch < self.planned;
        if switch {
            self.serial_is_faster = !self.serial_is_faster;
            self.planned = STRETCH;
        } else if !cut_short {
            self.planned = (self.planned * 2).min(STRETCH_MAX);
        }
        self.reference = match (self.serial_is_faster, switch) {
            (true, _) => 0.0,
            (false, true) => probed,
            (false, false) => usual,
        };
        self.stretch = self.planned;
        (self.jobs, self.samples) = (0, [Rate::ZERO; 3]);
        (self.watch, self.watched, self.slowed) = (Rate::ZERO, 0, false);
    }

    /// Prints one decision to stderr (see [`log_decisions`]): when, the three rates compared,
    /// and the way jobs run next.
    #[cold]
    fn log(&mut self, now: Instant, [before, probed, after]: [f64; 3], switch: bool) {
        let first = *self.first_decision.get_or_insert(now);
        let way = |serial: bool| if serial { "serial" } else { "split" };
        let next = self.serial_is_faster != switch;
        let cut = if self.stretch < self.planned {
            " (cut short)"
        } else {
            ""
        };
        eprintln!(
            "ferrograd tuner: {:8.3} s  {:5} jobs{cut}: {} {:.2} | probe {} {:.2} | {} {:.2} ps per unit of work -> {}{}",
            (now - first).as_secs_f64(),
            self.jobs,
            way(self.serial_is_faster),
            before * 1e12,
            way(!self.serial_is_faster),
            probed * 1e12,
            way(self.serial_is_faster),
            after * 1e12,
            way(next),
            if switch { " (switched)" } else { "" },
        );
    }

    /// Ends at `now` the job of `work` begun at `start` (see [`begin`](Self::begin)).
    pub(super) fn end(&mut self, start: Instant, now: Instant, work: usize) {
        let first_sampled = self.stretch - PROBE;
        self.previous = Some(Job {
            start,
            time: now - start,
            work,
            sample: (self.jobs > first_sampled)
                .then(|| ((self.jobs - first_sampled - 1) / PROBE) as usize),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `tuner` `jobs` back-to-back jobs of one unit of work from `clock`, each taking
    /// `split` or `serial` depending on how it is told to run; returns how many ran serially.
    fn run_jobs(
        tuner: &mut Tuner,
        clock: &mut Instant,
        jobs: u32,
        split: Duration,
        serial: Duration,
    ) -> u32 {
        let mut serial_jobs = 0;
        for _ in 0..jobs {
            let start = *clock;
            let on_caller = tuner.begin(start);
            serial_jobs += u32::from(on_caller);
            *clock += if on_caller { serial } else { split };
            tuner.end(start, *clock, 1);
        }
        serial_jobs
    }

    /// How many jobs `tuner` runs before it chooses `serial` (at most `limit`), with jobs
    /// taking `split` or `serial` as in [`run_jobs`].
    fn jobs_until(
        tuner: &mut Tuner,
        clock: &mut Instant,
        limit: u32,
        choice: bool,
        split: Duration,
        serial: Duration,
    ) -> u32 {
        (1..=limit)
            .find(|_| {
                run_jobs(tuner, clock, 1, split, serial);
                tuner.serial_is_faster == choice
            })
            .unwrap_or(limit)
    }

    #[test]
    fn the_tuner_keeps_to_the_faster_way_and_follows_a_change() {
        let (fast, slow) = (Duration::from_micros(20), Duration::from_micros(30));
        let mut tuner = Tuner::NEW;
        let mut clock = Instant::now();
        // Splitting is faster: only the probes run serially, fewer as the stretches grow.
        let serial = run_jobs(&mut tuner, &mut clock, 100_000, fast, slow);
        assert!(!tuner.serial_is_faster);
        assert!(serial < 100_000 / 20, "{serial} probes");
        // The helpers' CPUs get busy, deep into a long stretch: the slowdown cuts it short, and
        // jobs stay on the caller within two watch windows and a probe.
        assert_eq!(tuner.planned, STRETCH_MAX);
        let switched = jobs_until(&mut tuner, &mut clock, 10_000, true, slow * 2, slow);
        assert!(switched <= 2 * WATCH + 3 * PROBE, "after {switched} jobs");
        let split = 50_000 - run_jobs(&mut tuner, &mut clock, 50_000, slow * 2, slow);
        assert!(split < 50_000 / 20, "{split} probes");
        // Quiet again: back to splitting, at the end of the (long) stretch.
        run_jobs(&mut tuner, &mut clock, STRETCH_MAX + 2 * PROBE, fast, slow);
        assert!(!tuner.serial_is_faster);
    }

    #[test]
    fn splitting_must_beat_the_caller_alone_by_a_margin() {
        let caller = Duration::from_micros(100);
        // Split 3% faster than the caller alone: not worth a second CPU, so the caller takes
        // over at the first probe.
        let mut tuner = Tuner::NEW;
        let mut clock = Instant::now();
        let switched = jobs_until(
            &mut tuner,
            &mut clock,
            10_000,
            true,
            caller * 97 / 100,
            caller,
        );
        assert_eq!(switched, STRETCH + 2 * PROBE + 1);
        // ... and stays with it: a split probe 5% faster does not win it back,
        run_jobs(&mut tuner, &mut clock, 50_000, caller * 95 / 100, caller);
        assert!(tuner.serial_is_faster);
        // but one 12% faster does.
        run_jobs(&mut tuner, &mut clock, 70_000, caller * 88 / 100, caller);
        assert!(!tuner.serial_is_faster);
        // Once splitting, 7% faster is enough to keep it.
        run_jobs(&mut tuner, &mut clock, 70_000, caller * 93 / 100, caller);
        assert!(!tuner.serial_is_faster);
    }

    #[test]
    fn a_lone_slow_window_does_not_cut_a_stretch_short() {
        let (split, caller) = (Duration::from_micros(20), Duration::from_micros(30));
        let mut tuner = Tuner::NEW;
        let mut clock = Instant::now();
        run_jobs(&mut tuner, &mut clock, 20_000, split, caller);
        let planned = tuner.stretch;
        let jobs = tuner.jobs;
        // One window's worth of slow jobs (an epoch's evaluation, say), then the usual ones.
        run_jobs(&mut tuner, &mut clock, WATCH, split * 3, caller);
        run_jobs(&mut tuner, &mut clock, 2 * WATCH, split, caller);
        assert_eq!((tuner.stretch, tuner.jobs), (planned, jobs + 3 * WATCH));
    }

    #[test]
    fn the_tuner_ignores_a_probe_during_which_the_work_changed() {
        let (fast, slow) = (Duration::from_micros(20), Duration::from_micros(30));
        let mut tuner = Tuner::NEW;
        let mut clock = Instant::now();
        // Splitting is faster throughout, but jobs cost a fifth per unit of work from the moment
        // the probe begins: the serial probe looks faster than the dear split jobs before it,
        // not than the cheap ones after it.
        run_jobs(&mut tuner, &mut clock, STRETCH, fast * 5, slow * 5);
        run_jobs(&mut tuner, &mut clock, 3 * PROBE, fast, slow);
        assert!(!tuner.serial_is_faster);
    }
}
