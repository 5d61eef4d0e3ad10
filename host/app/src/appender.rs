//! The access log's group commit: requests hand the events of what they read to one appender
//! per process, which writes everything handed to it since its last batch in one transaction
//! (one lock of the chain's head, one multi-row insert, one commit) and then answers each
//! request. A request sends its data only after its answer, so no data leaves the server
//! before the record of its reading is durable; under load one commit serves many requests
//! instead of one each.
//!
//! Changes write their own events in their own transaction ([`crate::audit::record`]): those
//! commit or roll back with the change and never pass through here.

use std::collections::HashMap;

use siso_domain::audit::AuditEvent;
use siso_domain::ids::CaseId;
use siso_store::Store;
use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult};

/// Events in one batch at most; what is queued beyond waits for the next batch.
const MAX_BATCH_EVENTS: usize = 5_000;

/// Requests queued for the appender at most; beyond, requests wait to hand their events over.
const QUEUE: usize = 4_096;

/// An event to append, and the case through which its person is found when the event does not
/// name one (an intervention is read through its case).
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) event: AuditEvent,
    pub(crate) case: Option<CaseId>,
}

struct Job {
    events: Vec<Pending>,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle requests use; the appender's task ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Appender {
    tx: mpsc::Sender<Job>,
    /// Where a request writes its own events when the task is gone (it never stops while a
    /// handle lives, unless it panicked): reads then cost a commit each, but never go unlogged.
    store: Store,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("events", &self.events.len()).finish()
    }
}

impl Appender {
    /// Starts the appender's task on the current tokio runtime.
    pub(crate) fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(store.clone(), rx));
        Self { tx, store }
    }

    /// Appends `events` in the next batch and returns once that batch has committed (or failed:
    /// then the caller must not send what the events record).
    pub(crate) async fn append(&self, events: Vec<Pending>) -> AppResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (done, answer) = oneshot::channel();
        let job = match self.tx.send(Job { events, done }).await {
            Ok(()) => match answer.await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => return Err(AppError::Internal(format!("the access log could not be written: {e}"))),
                // The task went away with the batch, committed or not: the request fails, so
                // nothing it read leaves.
                Err(_) => return Err(AppError::Internal("the access log's appender stopped before committing".into())),
            },
            Err(mpsc::error::SendError(job)) => job,
        };
        tracing::error!("the access log's appender has stopped: this request writes its own events");
        write(&self.store, std::slice::from_ref(&job)).await?;
        Ok(())
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        // Everything queued while the previous batch committed goes in this one.
        let mut count = first.events.len();
        let mut jobs = vec![first];
        while count < MAX_BATCH_EVENTS {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.events.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let result = write(&store, &jobs).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, events = count, requests = jobs.len(), "the access log could not append a batch");
        }
        for job in jobs {
            // A request that went away (its client disconnected) no longer waits: nothing to do.
            let _ = job.done.send(result.clone());
        }
    }
}

/// One batch: the persons of events read through a case in one lookup, then every event on the
/// chain in one transaction.
async fn write(store: &Store, jobs: &[Job]) -> Result<(), siso_store::StoreError> {
    let mut through: Vec<CaseId> =
        jobs.iter().flat_map(|j| &j.events).filter(|p| p.event.person_id.is_none()).filter_map(|p| p.case).collect();
    through.sort_unstable_by_key(|c| c.0);
    through.dedup();
    let mut person_of = HashMap::new();
    if !through.is_empty() {
        for c in siso_store::repo::cases::get_many(store, &through).await? {
            person_of.insert(c.id, c.person_id);
        }
    }
    let events: Vec<AuditEvent> = jobs
        .iter()
        .flat_map(|j| &j.events)
        .map(|p| {
            let mut e = p.event.clone();
            if e.person_id.is_none() {
                e.person_id = p.case.and_then(|c| person_of.get(&c).copied());
            }
            e
        })
        .collect();
    let tx = store.begin_ahead().await?;
    siso_store::repo::audit::append_many(&tx, &events).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use siso_store::DbConfig;

    #[tokio::test]
    async fn without_its_task_a_request_writes_its_own_events() -> Result<(), Box<dyn std::error::Error>> {
        let cfg = DbConfig { url: "sqlite::memory:".into(), max_connections: 1, ..Default::default() };
        let store = Store::connect(&cfg).await?;
        store.migrate().await?;
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let appender = Appender { tx, store: store.clone() };
        let event = AuditEvent {
            at: chrono::DateTime::from_timestamp(1_764_000_000, 0).ok_or("a time")?,
            actor: None,
            actor_label: "test".into(),
            org_unit_id: None,
            action: "person.read".into(),
            record_kind: "person".into(),
            record_id: Some(1),
            person_id: None,
            purpose: None,
        };
        appender.append(vec![Pending { event: event.clone(), case: None }, Pending { event, case: None }]).await?;
        let (events, _) = siso_store::repo::audit::head(&store).await?;
        assert_eq!(events, 2);
        assert!(siso_store::repo::audit::verify(&store).await?.intact());
        Ok(())
    }
}
