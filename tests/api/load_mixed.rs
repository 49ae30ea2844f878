//! 64 concurrent clients against one in-process server: SMS creates, state changes,
//! task actions and overlapping all-or-nothing batch deletes, mixed with registry
//! registrations, heartbeats, discovery and force batch deletes. No request may see a
//! 5xx or "database is locked", and afterwards the database must agree with every
//! answer the clients got.

use std::sync::Arc;
use std::time::Instant;

use crate::common::load::{self, Outcome, Shared, Target};
use crate::common::{self, Client, http_client};

const CLIENTS: u64 = 64;
const ITERATIONS: usize = 40;
/// Pairs whose source is connected and replicating for the whole run.
const BLOCKED: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_load_keeps_every_answer_and_every_invariant() {
    let srv = common::spawn().await;
    let token = srv.demo_token().await;
    let target = Arc::new(Target {
        api: Client::new(http_client(), srv.base.clone()).with_token(&token),
        may_die: false,
    });
    let shared = Arc::new(Shared::default());
    shared.setup_blocked(&target, BLOCKED).await;
    // Something for the first clients to pick from.
    for _ in 0..16 {
        shared.sms_create(&target).await.expect("seed pair");
    }

    let seed: u64 = rand::random();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (shared, target) = (shared.clone(), target.clone());
            tokio::spawn(async move { shared.run_client(&target, seed + n, ITERATIONS).await })
        })
        .collect();
    for client in clients {
        client.await.expect("client task finished");
    }
    let requests = shared.requests.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!(
        "seed {seed}: {requests} requests from {CLIENTS} clients in {:?}",
        started.elapsed()
    );

    let problems = shared.problems.lock().unwrap().clone();
    assert!(
        problems.is_empty(),
        "{} answers no client should get, e.g. {:#?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );

    let ledger = shared.ledger.lock().unwrap();
    let refused_busy = ledger
        .task_deletes
        .iter()
        .filter(|(ids, _)| {
            ids.iter()
                .any(|id| ledger.blocked.iter().any(|(_, t)| t == id))
        })
        .count();
    let conn = srv.sqlite();
    let mut found = load::storage_problems(&conn);
    found.extend(load::ledger_problems(&conn, &ledger));
    assert!(
        found.is_empty(),
        "seed {seed}: the database disagrees with the answers ({} problems): {:#?}",
        found.len(),
        &found[..found.len().min(20)]
    );
    let done = |d: &[(Vec<String>, Outcome)]| d.iter().filter(|(_, o)| *o == Outcome::Done).count();
    eprintln!(
        "{} sources, {} tasks, {} task batches ({} done, {refused_busy} naming a busy task), \
         {} source batches ({} done), {} services, {} instances",
        ledger.sources.len(),
        ledger.tasks.len(),
        ledger.task_deletes.len(),
        done(&ledger.task_deletes),
        ledger.source_deletes.len(),
        done(&ledger.source_deletes),
        ledger.services.len(),
        ledger.instances.len()
    );
}
