//! Log-in throttling: after [`MAX_FAILURES`] failed log-ins for one account
//! within [`WINDOW`], further attempts for it are refused with
//! `TOO_MANY_ATTEMPTS` until the window has passed, without checking the
//! password (so guessing costs no argon2 time either). A successful log-in
//! clears the account's count. In memory, per process, bounded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tessera_kit::{ApiError, ErrorCode};

/// Failed attempts allowed per account and window.
pub const MAX_FAILURES: u32 = 5;
/// How long failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Accounts tracked at most; past it, expired entries go, then the oldest.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Refuses an attempt for `account` while it is locked.
    pub fn check(&self, account: &str) -> Result<(), ApiError> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match failures.get(account) {
            Some((count, since)) if *count >= MAX_FAILURES && since.elapsed() < WINDOW => {
                Err(ApiError::new(
                    ErrorCode::TooManyAttempts,
                    "too many failed log-ins for this account; try again later",
                ))
            }
            _ => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, account: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED && !failures.contains_key(account) {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
            if failures.len() >= MAX_TRACKED
                && let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, (_, since))| *since)
                    .map(|(k, _)| k.clone())
            {
                failures.remove(&oldest);
            }
        }
        let entry = failures
            .entry(account.to_owned())
            .or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 = entry.0.saturating_add(1);
    }

    /// Clears the account's failures after a successful log-in.
    pub fn succeeded(&self, account: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_the_allowed_failures_and_success_clears() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES {
            assert!(throttle.check("a@x").is_ok());
            throttle.failed("a@x");
        }
        let err = throttle.check("a@x").unwrap_err();
        assert_eq!(err.code, ErrorCode::TooManyAttempts);
        // Other accounts are unaffected.
        assert!(throttle.check("b@x").is_ok());
        throttle.succeeded("a@x");
        assert!(throttle.check("a@x").is_ok());
    }
}
