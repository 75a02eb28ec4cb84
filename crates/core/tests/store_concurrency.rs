//! Several connections to one profile database at once, as the app's job workers, the UI
//! thread and the CLI will have: real files, real threads.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::thread;

use lm_core::store::{JobId, NewJob, Store};

/// Runs `body` on `threads` threads released at the same moment and collects the results.
fn together<T: Send + 'static>(
    threads: usize,
    body: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(threads));
    let body = Arc::new(body);
    let handles: Vec<_> = (0..threads)
        .map(|index| {
            let barrier = Arc::clone(&barrier);
            let body = Arc::clone(&body);
            thread::spawn(move || {
                barrier.wait();
                body(index)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect()
}

#[test]
fn connections_opening_a_new_file_at_once_all_succeed() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("race-{round}.db"));
        let versions = together(4, move |_| {
            Store::open(&path).map(|store| store.schema_version().unwrap())
        });
        for version in versions {
            assert_eq!(version.unwrap(), lm_core::store::migrations::LATEST_VERSION);
        }
    }
}

#[test]
fn workers_on_separate_connections_never_claim_the_same_job() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let store = Store::open(&path).unwrap();
    let mut enqueued = HashSet::new();
    for n in 0..120 {
        enqueued.insert(
            store
                .jobs()
                .enqueue(&NewJob::new("index", serde_json::json!(n)))
                .unwrap()
                .id()
                .clone(),
        );
    }

    let claimed: Vec<Vec<JobId>> = together(4, move |_| {
        let store = Store::open(&path).unwrap();
        let mut mine = Vec::new();
        while let Some(job) = store.jobs().claim_next(i64::MAX).unwrap() {
            store.jobs().finish(&job.id).unwrap();
            mine.push(job.id);
        }
        mine
    });

    let all: Vec<JobId> = claimed.into_iter().flatten().collect();
    let unique: HashSet<JobId> = all.iter().cloned().collect();
    assert_eq!(all.len(), unique.len(), "a job was claimed twice");
    assert_eq!(unique, enqueued);
}
