//! How long and how often the Zoom client retries: the backoff between transient failures and
//! the wait after a per-second 429 that names none.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// How long and how often the client retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// The most time spent waiting out per-second 429s for one call.
    pub max_rate_limit_wait: Duration,
    /// Attempts for a call whose failures are transient (5xx, transport), first one included.
    pub max_attempts: u32,
    /// The first backoff; it doubles per attempt, with jitter.
    pub base_backoff: Duration,
    /// The longest single backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_rate_limit_wait: Duration::from_secs(10),
            max_attempts: 4,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    /// The waits between attempts: the n-th is `base_backoff × 2ⁿ⁻¹` capped at `max_backoff`,
    /// times a jitter in [½, 1) (backon adds up to 100 % to a half-sized delay).
    pub(super) fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.base_backoff / 2)
            .with_max_delay(self.max_backoff / 2)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(usize::try_from(self.max_attempts.saturating_sub(1)).unwrap_or(0))
    }

    /// The wait after a per-second 429 that said nothing of when to come back.
    pub(super) fn rate_limit_fallback(&self) -> Duration {
        self.backoff().build().next().unwrap_or(self.base_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_cap() {
        let policy = RetryPolicy::default();
        let waits: Vec<Duration> = policy.backoff().build().collect();
        assert_eq!(waits.len(), 3, "4 attempts, 3 waits between them");
        for (i, wait) in waits.iter().enumerate() {
            let full = policy
                .base_backoff
                .saturating_mul(1 << i)
                .min(policy.max_backoff);
            assert!(*wait <= full, "wait {i}: {wait:?} > {full:?}");
            assert!(*wait >= full / 2, "wait {i}: {wait:?} < half of {full:?}");
        }
        let long = RetryPolicy {
            max_attempts: 12,
            ..RetryPolicy::default()
        };
        assert!(long.backoff().build().all(|w| w <= long.max_backoff));
        let fallback = policy.rate_limit_fallback();
        assert!(fallback >= policy.base_backoff / 2 && fallback <= policy.base_backoff);
    }
}
