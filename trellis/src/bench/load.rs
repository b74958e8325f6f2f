//! Drives the load: worker threads, each a single-threaded runtime running
//! its share of the connections, in a closed loop (send when the last
//! response is in) or an open loop at the pace its phases set.
//!
//! While responses keep coming, each load thread polls its sockets without
//! sleeping (see [`Busy`]).
//!
//! In the open loop each request has an intended send time, and its latency
//! is measured from that time, not from when it was really sent: a stalled
//! server then shows in the latency of every request that should have been
//! sent meanwhile (wrk2's correction for coordinated omission). Unlike
//! wrk2, the load generator's own lateness (its timer waking late) is not
//! counted: latency is taken as if every request had gone out on time.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::connection::Connection;
use super::outcome::ErrorKind;
use super::plan::{Pace, Plan, Until};
use super::random::Random;
use super::request::Scratch;
use super::stats::{Sample, Stats};

/// Counters the progress line reads while the run goes on.
#[derive(Debug, Default)]
pub struct Progress {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    /// Set by Ctrl-C, or when a request budget is spent.
    pub stop: AtomicBool,
}

/// Runs the plan on its threads; returns the merged measurements and how
/// long the load ran (from the first send to the last response).
pub fn run(plan: &Plan, progress: &Arc<Progress>) -> (Stats, Duration) {
    let start = Instant::now();
    let remaining = Arc::new(AtomicI64::new(match plan.until {
        Until::Requests(n) => i64::try_from(n).unwrap_or(i64::MAX),
        Until::Elapsed(_) => i64::MAX,
    }));
    let threads: Vec<_> = (0..plan.threads)
        .map(|thread| {
            let connections = share(plan.connections, plan.threads, thread);
            let first = (0..thread)
                .map(|before| share(plan.connections, plan.threads, before))
                .sum();
            let (plan, progress, remaining) = (plan.clone(), progress.clone(), remaining.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the load thread");
                let shared = Shared {
                    start,
                    progress,
                    remaining,
                };
                runtime.block_on(drive(plan, first..first + connections, shared))
            })
        })
        .collect();
    let mut total = Stats::new(plan.mix.count());
    for thread in threads {
        if let Ok(stats) = thread.join() {
            total.merge(stats);
        }
    }
    (total, start.elapsed())
}

/// Connections given to thread `index` of `threads`.
fn share(connections: usize, threads: usize, index: usize) -> usize {
    connections / threads + usize::from(index < connections % threads)
}

/// What every connection of a run shares.
#[derive(Clone)]
struct Shared {
    start: Instant,
    progress: Arc<Progress>,
    /// Requests left to send, under `Until::Requests`.
    remaining: Arc<AtomicI64>,
}

/// Runs connections numbered `connections` (of all the run's) on this thread.
async fn drive(plan: Plan, connections: std::ops::Range<usize>, shared: Shared) -> Stats {
    // One set of histograms for the thread, not one per connection: each
    // covers up to an hour at three significant digits (about 190 KB), and
    // clearing and faulting in one per connection slowed the first 100 ms
    // of a run.
    let stats = Rc::new(RefCell::new(Stats::new(plan.mix.count())));
    let busy = Rc::new(Busy::default());
    let local = tokio::task::LocalSet::new();
    let tasks: Vec<_> = connections
        .map(|index| {
            local.spawn_local(connection_loop(
                plan.clone(),
                index,
                shared.clone(),
                stats.clone(),
                busy.clone(),
            ))
        })
        .collect();
    if plan.spin {
        // Not awaited: it ends with the LocalSet, once every connection has.
        local.spawn_local(async move { busy.spin().await });
    }
    local
        .run_until(async {
            for task in tasks {
                let _ = task.await;
            }
        })
        .await;
    // Every connection has ended, and with it its handle on the stats.
    let requests = plan.mix.count();
    Rc::try_unwrap(stats).map_or_else(
        |shared| shared.replace(Stats::new(requests)),
        RefCell::into_inner,
    )
}

/// Connection number `index` of the run: picks, sends, reads, records,
/// until the run ends.
async fn connection_loop(
    plan: Plan,
    index: usize,
    shared: Shared,
    stats: Rc<RefCell<Stats>>,
    busy: Rc<Busy>,
) {
    let Shared {
        start,
        progress,
        remaining,
    } = shared;
    let deadline = match plan.until {
        Until::Elapsed(duration) => Some(start + duration),
        Until::Requests(_) => None,
    };
    let counted = matches!(plan.until, Until::Requests(_));
    // Each connection draws from a stream of its own, so that connections
    // do not send the same values in step.
    let mut random = Random::new(plan.seed.wrapping_add(index as u64));
    let mut scratch = Scratch::default();
    // The open loop's requests are numbered across the run; this connection
    // sends every `connections`th, starting at its own index (see
    // `schedule`).
    let mut next_due = index as u64;
    // When the last response would have come had every request gone out
    // on time: the server's delays carry over to the next request, the
    // load generator's own lateness does not.
    let mut punctual_done = start;
    let mut connection: Option<Connection> = None;
    // One timer per connection, moved forward only when it has fallen a
    // tenth of the timeout behind: a timer registered for every request
    // cost the load generator a tenth of its rate. A request thus times out
    // after 0.9 to 1 times `plan.timeout`.
    let mut watchdog = Box::pin(tokio::time::sleep_until(start.into()));
    let mut watchdog_at = start;
    // An open loop ends with its schedule, below: a request due before the
    // end is sent even when the load generator runs late, and its latency
    // counted from when it was due, so a busy machine makes a run longer,
    // not lighter.
    let open_loop = matches!(plan.pace, Pace::Open(_));
    loop {
        let now = Instant::now();
        let past_deadline = !open_loop && deadline.is_some_and(|d| now >= d);
        if progress.stop.load(Ordering::Relaxed) || past_deadline {
            break;
        }
        if counted && remaining.fetch_sub(1, Ordering::Relaxed) <= 0 {
            progress.stop.store(true, Ordering::Relaxed);
            break;
        }
        // When the request is meant to go, and when it would have gone had
        // every request before it gone on time: after the previous response.
        let (intended, punctual) = match &plan.pace {
            Pace::Open(schedule) => {
                let Some(offset) = schedule.due(next_due) else {
                    break;
                };
                next_due += plan.connections as u64;
                let at = start + offset;
                if deadline.is_some_and(|d| at >= d) {
                    break;
                }
                wait_until(at, plan.spin).await;
                (at, at.max(punctual_done))
            }
            Pace::Closed => (now, now),
        };
        let (request, prepared) = plan.mix.pick(&mut random);
        let outcome = match connection.as_mut() {
            Some(open) => Ok(open),
            None => Connection::open(plan.target.addr)
                .await
                .map(|open| connection.insert(open)),
        };
        let open = match outcome {
            Ok(open) => open,
            Err(_) => {
                fail(
                    &stats,
                    &progress,
                    request,
                    start.elapsed(),
                    ErrorKind::Connect,
                );
                // Do not spin on a server that refuses connections.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // The open loop may have slept since `now`.
        let sent_at = match plan.pace {
            Pace::Open(_) => Instant::now(),
            Pace::Closed => now,
        };
        if sent_at + plan.timeout > watchdog_at + plan.timeout / 10 {
            watchdog_at = sent_at + plan.timeout;
            watchdog.as_mut().reset(watchdog_at.into());
        }
        let bytes = prepared.render(&mut random, &mut scratch);
        let outcome = tokio::select! {
            biased;
            reply = open.exchange(bytes, prepared.head_only()) => Ok(reply),
            () = &mut watchdog => Err(()),
        };
        let done = Instant::now();
        punctual_done = punctual + (done - sent_at);
        let at = done - start;
        match outcome {
            Ok(Ok(reply)) => {
                stats.borrow_mut().record(Sample {
                    request,
                    at,
                    latency: punctual_done - intended,
                    status: reply.status,
                    cache: reply.cache,
                    bytes: reply.bytes,
                });
                progress.requests.fetch_add(1, Ordering::Relaxed);
                busy.response();
                if reply.close {
                    connection = None;
                }
            }
            Ok(Err(kind)) => {
                fail(&stats, &progress, request, at, kind);
                connection = None;
            }
            Err(_) => {
                fail(&stats, &progress, request, at, ErrorKind::Timeout);
                connection = None;
            }
        }
    }
}

/// How much earlier than a request's time a precise wait asks the runtime's
/// timer to wake: it counts whole milliseconds and wakes up to one late.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// Waits until `at`. A precise wait (for a load thread that may keep its
/// core busy) lets the timer wake it a little early and polls through the
/// rest, so that the request goes out on time rather than up to a
/// millisecond late, all at once with every other request of that tick.
async fn wait_until(at: Instant, precise: bool) {
    if !precise {
        tokio::time::sleep_until(at.into()).await;
        return;
    }
    if let Some(early) = at.checked_sub(TIMER_SLACK) {
        tokio::time::sleep_until(early.into()).await;
    }
    while Instant::now() < at {
        one_pass().await;
    }
}

/// Lets other threads waiting for the core go first, then waits for one
/// pass of the runtime's event loop: it polls its sockets without blocking
/// before a task that yields runs again.
async fn one_pass() {
    std::thread::yield_now();
    tokio::task::yield_now().await;
}

/// How long a load thread keeps polling after its last response before it
/// lets the runtime sleep until a socket or timer is ready.
const SPIN_FOR: Duration = Duration::from_micros(100);

/// Keeps a load thread awake while responses keep coming.
///
/// A load thread that runs out of ready sockets sleeps in the kernel, and
/// every response that arrives while it sleeps waits for the thread to be
/// woken and scheduled again: on this project's VM it slept once every
/// seven to fourteen requests and lost about 5% of the rate against wrk,
/// whose extra system calls a request happen to keep it awake. Spinning
/// through the runtime's non-blocking polls takes the load generator's own
/// wake-ups out of what is measured; after [`SPIN_FOR`] without a response
/// (a slow server, an open loop between sends) the thread sleeps again.
///
/// Only for a load generator pinned to cores of its own
/// ([`owns_cores`](super::cores::owns_cores)):
/// on a core shared with the server, spinning takes time the server needs.
/// Each turn still gives way to any other thread waiting for the core.
#[derive(Default)]
struct Busy {
    responses: Cell<u64>,
    asleep: Cell<bool>,
    wake: tokio::sync::Notify,
}

impl Busy {
    fn response(&self) {
        self.responses.set(self.responses.get() + 1);
        if self.asleep.replace(false) {
            self.wake.notify_one();
        }
    }

    async fn spin(&self) {
        loop {
            let mut seen = self.responses.get();
            let mut since = Instant::now();
            loop {
                one_pass().await;
                let responses = self.responses.get();
                if responses != seen {
                    (seen, since) = (responses, Instant::now());
                } else if since.elapsed() > SPIN_FOR {
                    break;
                }
            }
            self.asleep.set(true);
            self.wake.notified().await;
        }
    }
}

fn fail(
    stats: &RefCell<Stats>,
    progress: &Progress,
    request: usize,
    at: Duration,
    kind: ErrorKind,
) {
    stats.borrow_mut().record_error(request, at, kind);
    progress.errors.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_shared_out_evenly() {
        let shares: Vec<usize> = (0..3).map(|i| share(10, 3, i)).collect();
        assert_eq!(shares, [4, 3, 3]);
        assert_eq!(shares.iter().sum::<usize>(), 10);
    }

    /// A load thread's runtime.
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    #[test]
    fn a_wait_never_ends_before_its_time() {
        runtime().block_on(async {
            for precise in [false, true] {
                for ahead in [0, 1, 3] {
                    let at = Instant::now() + Duration::from_millis(ahead);
                    wait_until(at, precise).await;
                    assert!(Instant::now() >= at, "precise {precise}, {ahead} ms ahead");
                }
            }
        });
    }

    /// Polls until `busy` has gone to sleep, for at most a second.
    async fn asleep(busy: &Busy) -> bool {
        for _ in 0..1000 {
            if busy.asleep.get() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        false
    }

    #[test]
    fn a_load_thread_sleeps_without_responses_and_wakes_with_one() {
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime(), async {
            let busy = Rc::new(Busy::default());
            let spinner = tokio::task::spawn_local({
                let busy = busy.clone();
                async move { busy.spin().await }
            });
            assert!(asleep(&busy).await, "no responses, yet still spinning");
            busy.response();
            assert!(!busy.asleep.get());
            assert!(asleep(&busy).await, "spinning on after the last response");
            assert_eq!(busy.responses.get(), 1);
            spinner.abort();
        });
    }
}
