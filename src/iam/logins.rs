//! How many password checks run at once. Argon2 needs 19 MiB of working memory per check:
//! unbounded, a flood of logins (unknown users are checked too, so that timing does not
//! tell which names exist) grew a fresh server past 2.6 GB. The gate lets `slots` checks
//! run, each in a buffer kept from one check to the next while checks keep coming (freed
//! once the gate is idle); a caller that waits longer than `wait` for a slot gets 429.
//! Optionally, each client address gets a number of attempts per minute (governor's
//! GCRA: a steady rate with a burst of that size).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::web;
use argon2::Block;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::Semaphore;

use super::domain::password_matches_in;
use super::error::IamError;

pub struct LoginGate {
    slots: Semaphore,
    slot_count: usize,
    buffers: Mutex<Vec<Vec<Block>>>,
    wait: Duration,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

/// Past this many remembered addresses, those whose budget is full again are forgotten,
/// so a scan from many addresses cannot grow the map without end.
const REMEMBERED_ADDRESSES: usize = 10_000;

impl LoginGate {
    /// At most `slots` checks run at once, each with one buffer that is kept for the
    /// next while other checks run: the memory a flood can take is bounded by the slots,
    /// not by the number of callers. A buffer is made by the first check that finds none
    /// (19 MiB each), and the last check to finish frees them all, so a twin that had a
    /// few logins an hour ago does not carry them (they were a tenth of its peak memory
    /// at 100,000 instances).
    pub fn new(slots: usize, wait: Duration, per_address_per_minute: u32) -> Self {
        let slots = slots.max(1);
        Self {
            slots: Semaphore::new(slots),
            slot_count: slots,
            buffers: Mutex::new(Vec::with_capacity(slots)),
            wait,
            per_address: NonZeroU32::new(per_address_per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Counts an attempt against the client's address, before any work is done for it.
    pub fn admit(&self, client: Option<IpAddr>) -> Result<(), IamError> {
        let (Some(limiter), Some(client)) = (&self.per_address, client) else {
            return Ok(());
        };
        if limiter.len() > REMEMBERED_ADDRESSES {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|_| IamError::Throttled)
    }

    /// Checks the password off the actix worker, once a slot is free.
    pub async fn check(&self, password: String, hash: String) -> Result<bool, IamError> {
        let slot = tokio::time::timeout(self.wait, self.slots.acquire())
            .await
            .map_err(|_| IamError::Busy)?
            .map_err(|e| IamError::Internal(e.to_string()))?;
        // A poisoned lock only means another check panicked; the buffers are still fine.
        let mut memory = self
            .buffers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        let (matches, memory) = web::block(move || {
            let matches = password_matches_in(&password, &hash, &mut memory);
            (matches, memory)
        })
        .await
        .map_err(|e| IamError::Internal(e.to_string()))?;
        // The slot is given back under the lock, so of two checks ending together the
        // second always sees the first gone: the last one out clears, whatever the order.
        let mut kept = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
        drop(slot);
        if self.slots.available_permits() == self.slot_count {
            kept.clear();
        } else {
            kept.push(memory);
        }
        Ok(matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::domain::hash_password;

    fn kept(gate: &LoginGate) -> usize {
        gate.buffers.lock().map(|b| b.len()).unwrap_or(usize::MAX)
    }

    /// A twin that had logins and then none holds no Argon2 memory, whether the checks
    /// came one by one or all at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_idle_gate_keeps_no_buffer() {
        let hash = hash_password("pw").expect("hash");
        let gate = std::sync::Arc::new(LoginGate::new(2, Duration::from_secs(30), 0));
        assert!(gate.check("pw".into(), hash.clone()).await.expect("check"));
        assert_eq!(kept(&gate), 0, "one check alone");
        let burst: Vec<_> = (0..6)
            .map(|i| {
                let (gate, hash) = (gate.clone(), hash.clone());
                tokio::spawn(async move { gate.check(format!("guess-{i}"), hash).await })
            })
            .collect();
        for check in burst {
            assert!(!check.await.expect("join").expect("check"));
        }
        assert_eq!(kept(&gate), 0, "after a burst");
    }
}
