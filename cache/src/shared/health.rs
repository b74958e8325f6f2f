//! `Health`: Redis's state as calls found it, and what a failed call
//! means. Only a connection error or a timeout means Redis is down: that
//! is logged once per outage, and then only one call a second tries it.
//! An error Redis answers for one key (out of memory, a key of the wrong
//! type) is that key's: counted and logged, and Redis stays up.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::{ErrorKind, RedisError, ServerErrorKind};

use super::throttle::Throttle;

/// How often a store that is down lets one call through to probe Redis.
pub(super) const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// At most one warning a second for errors Redis answers for one key; the
/// rest go to the debug log. Out of memory, every write fails.
const REFUSAL_WARNING_INTERVAL: Duration = Duration::from_secs(1);

/// Whether a call reads or writes, for counting what Redis refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    Read,
    Write,
}

pub(super) struct Health {
    down: AtomicBool,
    errors: AtomicU64,
    read_errors: AtomicU64,
    write_errors: AtomicU64,
    probe: Throttle,
    refusal_warning: Throttle,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            down: AtomicBool::new(false),
            errors: AtomicU64::new(0),
            read_errors: AtomicU64::new(0),
            write_errors: AtomicU64::new(0),
            probe: Throttle::new(PROBE_INTERVAL),
            refusal_warning: Throttle::new(REFUSAL_WARNING_INTERVAL),
        }
    }
}

impl Health {
    pub(super) fn should_try(&self) -> bool {
        self.should_try_at(Instant::now())
    }

    fn should_try_at(&self, now: Instant) -> bool {
        !self.down.load(Ordering::Relaxed) || self.probe.pass_at(now)
    }

    /// Redis could not be reached, or did not answer in time.
    pub(super) fn failed(&self, reason: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        if !self.down.swap(true, Ordering::Relaxed) {
            self.probe.hold();
            tracing::warn!(
                reason,
                "Redis is unavailable: serving and regenerating from this instance's memory until it returns"
            );
        }
    }

    pub(super) fn succeeded(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis is back: the cache is shared again");
        }
    }

    /// A call on `key` came back with `error`: an outage, or Redis's
    /// answer for that key alone.
    pub(super) fn call_failed(&self, access: Access, key: &str, error: &RedisError) {
        if is_outage(error) {
            self.failed(&error.to_string());
            return;
        }
        // Redis answered: it is up, whatever it thinks of this key.
        self.succeeded();
        let counter = match access {
            Access::Read => &self.read_errors,
            Access::Write => &self.write_errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if self.refusal_warning.pass() {
            tracing::warn!(key, ?access, %error, "Redis refused a call for this key: it goes unshared this time");
        } else {
            tracing::debug!(key, ?access, %error, "Redis refused a call for this key");
        }
    }

    /// Whether Redis answered the last call.
    pub(super) fn is_up(&self) -> bool {
        !self.down.load(Ordering::Relaxed)
    }

    /// Calls that found Redis unreachable or slow, since start.
    pub(super) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Reads Redis refused for one key, since start.
    pub(super) fn read_errors(&self) -> u64 {
        self.read_errors.load(Ordering::Relaxed)
    }

    /// Writes Redis refused for one key, since start.
    pub(super) fn write_errors(&self) -> u64 {
        self.write_errors.load(Ordering::Relaxed)
    }
}

/// Whether `error` says Redis cannot be used at all, rather than refusing
/// one command: the connection failed or timed out, or Redis cannot serve
/// yet (loading, no master, wrong credentials). What Redis answers about a
/// key (`OOM`, `WRONGTYPE`, a script's error, a reply of an unexpected
/// shape) is not.
pub(super) fn is_outage(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || matches!(
            error.kind(),
            ErrorKind::AuthenticationFailed
                | ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::BusyLoading
                        | ServerErrorKind::MasterDown
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::TryAgain
                )
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_redis_is_probed_once_a_second_until_it_answers() {
        let health = Health::default();
        assert!(health.should_try());
        health.failed("refused");
        health.failed("refused again");
        assert_eq!(health.errors(), 2);
        assert!(!health.should_try(), "no call right after an outage began");
        let later = Instant::now() + PROBE_INTERVAL;
        assert!(
            health.should_try_at(later),
            "one probe once the interval passed"
        );
        assert!(!health.should_try_at(later), "and only one");
        health.succeeded();
        assert!(health.should_try());
    }

    #[test]
    fn only_a_connection_failure_is_an_outage() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let timed_out = std::io::Error::from(std::io::ErrorKind::TimedOut);
        assert!(is_outage(&RedisError::from(refused)));
        assert!(is_outage(&RedisError::from(timed_out)));
        assert!(is_outage(&RedisError::from((
            ErrorKind::AuthenticationFailed,
            "wrong password"
        ))));
        assert!(!is_outage(&RedisError::from((
            ErrorKind::UnexpectedReturnType,
            "a key of another type"
        ))));
        assert!(!is_outage(&RedisError::from((
            ErrorKind::Server(ServerErrorKind::ResponseError),
            "a script failed"
        ))));
    }

    #[test]
    fn an_error_for_one_key_is_counted_and_leaves_redis_up() {
        let health = Health::default();
        let wrong_type = RedisError::from((ErrorKind::UnexpectedReturnType, "WRONGTYPE"));
        health.call_failed(Access::Write, "/a", &wrong_type);
        health.call_failed(Access::Read, "/a", &wrong_type);
        assert!(health.is_up());
        assert_eq!(
            (health.errors(), health.read_errors(), health.write_errors()),
            (0, 1, 1)
        );
        let gone = RedisError::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        health.call_failed(Access::Write, "/a", &gone);
        assert!(!health.is_up());
        assert_eq!(health.errors(), 1);
    }
}
