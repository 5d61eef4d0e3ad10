//! DataLoaders: nested fields are fetched in batches, one SQL statement per kind of relation
//! and request "level", whatever the page size.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::task::{ArcWake, AtomicWaker};
use tokio::sync::Notify;

use async_graphql::dataloader::{DataLoader, Loader};
use siso_app::Reader;
use siso_domain::access::AccessSheet;
use siso_domain::assessment::{Assessment, Need};
use siso_domain::budget::{Fund, FundingLine};
use siso_domain::case::{Case, CaseEvent};
use siso_domain::catalogue::CatalogueEntry;
use siso_domain::ids::*;
use siso_domain::intervention::{Disbursement, InterventionEvent, StoredIntervention};
use siso_domain::org::{Operator, OrgUnit};
use siso_domain::person::{IseeAttestation, Person};
use siso_domain::plan::{Objective, Plan, PlanReview};
use siso_domain::plugin_result::ResultRow;
use siso_domain::provider::{MonthlyPresence, Placement, Provider};

use crate::errors::to_graphql_error;

/// The batch loader of one request: every batch goes through the request's [`Reader`], which
/// authorises what it returns.
#[derive(Debug)]
pub struct Batch {
    reader: Reader,
}

/// The request's data loader.
pub type Loaders = DataLoader<Batch>;

/// The request's loader; anonymous requests have none and get FORBIDDEN.
pub fn from_context<'a>(ctx: &async_graphql::Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data_opt::<Loaders>().ok_or_else(|| to_graphql_error(siso_app::AppError::Forbidden))
}

/// Creates the loader of one request. Batches are dispatched as soon as the request's task
/// has finished a polling pass (see [`PollGate`]), not after a timer: every sibling field of a
/// list registers its key in that pass, so a page of 50 costs one statement per relation, and
/// no request waits on a clock.
pub fn loaders(reader: Reader, gate: Arc<PollGate>) -> Loaders {
    DataLoader::new(Batch { reader }, move |task: BoxFuture<'static, ()>| {
        let gate = gate.clone();
        gate.inflight.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            gate.idle().await;
            task.await;
            if gate.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
                gate.waker.wake();
            }
        })
    })
    .delay(Duration::ZERO)
    .max_batch_size(1000)
}

/// Breadth-first batching for one request.
///
/// A batch load waits until the request's task has *finished* a polling pass: its poll returned
/// without the task waking itself (list resolution yields to the runtime every few dozen
/// items, so one logical pass can span several polls). It then sees every key the pass
/// registered. While loads are delivering, the request's task is not polled again unless it
/// asked for it, so every sibling moves on to the next level together.
#[derive(Debug, Default)]
pub struct PollGate {
    polling: AtomicBool,
    notify: Notify,
    inflight: AtomicUsize,
    waker: AtomicWaker,
}

impl PollGate {
    /// Waits until the request's task has finished its polling pass.
    async fn idle(&self) {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.polling.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// A waker that remembers it was woken, so [`Gated`] can tell a pass that continues (the
/// task woke itself) from one that ended.
#[derive(Debug, Default)]
struct Tracker {
    woken: AtomicBool,
    inner: std::sync::Mutex<Option<std::task::Waker>>,
}

impl ArcWake for Tracker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Ordering::SeqCst);
        let waker = arc_self.inner.lock().ok().and_then(|w| w.clone());
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// Runs a request's future under a [`PollGate`].
pub struct Gated<'a, T> {
    inner: BoxFuture<'a, T>,
    gate: Arc<PollGate>,
    tracker: Arc<Tracker>,
    continuing: bool,
}

impl<'a, T> Gated<'a, T> {
    /// Wraps `inner`.
    pub fn new(inner: BoxFuture<'a, T>, gate: Arc<PollGate>) -> Self {
        Self { inner, gate, tracker: Arc::new(Tracker::default()), continuing: false }
    }
}

impl<T> Drop for Gated<'_, T> {
    /// A request dropped mid-pass (the client went away) must not leave its loads waiting.
    fn drop(&mut self) {
        self.gate.polling.store(false, Ordering::SeqCst);
        self.gate.notify.notify_waiters();
    }
}

impl<T> Future for Gated<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<T> {
        let this = &mut *self;
        if !this.continuing && this.gate.inflight.load(Ordering::SeqCst) > 0 {
            this.gate.waker.register(cx.waker());
            if this.gate.inflight.load(Ordering::SeqCst) > 0 {
                return Poll::Pending;
            }
        }
        if let Ok(mut w) = this.tracker.inner.lock() {
            *w = Some(cx.waker().clone());
        }
        this.tracker.woken.store(false, Ordering::SeqCst);
        this.gate.polling.store(true, Ordering::SeqCst);
        let waker = futures::task::waker(this.tracker.clone());
        let mut inner_cx = TaskContext::from_waker(&waker);
        let out = this.inner.as_mut().poll(&mut inner_cx);
        this.continuing = out.is_pending() && this.tracker.woken.load(Ordering::SeqCst);
        if !this.continuing {
            this.gate.polling.store(false, Ordering::SeqCst);
            this.gate.notify.notify_waiters();
        }
        out
    }
}

fn by_key<K: Hash + Eq, V>(items: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, V> {
    items.into_iter().map(|v| (key(&v), v)).collect()
}

fn group<K: Hash + Eq + Copy, V>(keys: &[K], items: Vec<V>, key: impl Fn(&V) -> K) -> HashMap<K, Vec<V>> {
    let mut map: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for v in items {
        map.entry(key(&v)).or_default().push(v);
    }
    map
}

macro_rules! one_to_one {
    ($key:ty, $value:ty, $read:ident, $id:expr) => {
        impl Loader<$key> for Batch {
            type Value = $value;
            type Error = async_graphql::Error;
            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, Self::Error> {
                let rows = self.reader.$read(keys).await.map_err(to_graphql_error)?;
                Ok(by_key(rows, $id))
            }
        }
    };
}

one_to_one!(PersonId, Person, persons, |p: &Person| p.id);
one_to_one!(CaseId, Case, cases, |c: &Case| c.id);
one_to_one!(OrgUnitId, OrgUnit, org_units, |u: &OrgUnit| u.id);
one_to_one!(OperatorId, Operator, operators, |o: &Operator| o.id);
one_to_one!(CatalogueEntryId, CatalogueEntry, catalogue_entries, |e: &CatalogueEntry| e.id);
one_to_one!(ProviderId, Provider, providers, |p: &Provider| p.id);
one_to_one!(FundingLineId, FundingLine, funding_lines, |l: &FundingLine| l.id);
one_to_one!(FundId, Fund, funds, |f: &Fund| f.id);
one_to_one!(PlanId, Plan, plans, |p: &Plan| p.id);
one_to_one!(AccessSheetId, AccessSheet, access_sheets, |s: &AccessSheet| s.id);
one_to_one!(InterventionId, StoredIntervention, interventions, |i: &StoredIntervention| i.intervention.id);
/// Key: the children (of type `R`) of a parent record `K`.
#[derive(Debug)]
pub struct Of<R, K>(pub K, pub std::marker::PhantomData<fn() -> R>);

impl<R, K: Clone> Clone for Of<R, K> {
    fn clone(&self) -> Self {
        Of(self.0.clone(), std::marker::PhantomData)
    }
}

impl<R, K: PartialEq> PartialEq for Of<R, K> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<R, K: Eq> Eq for Of<R, K> {}

impl<R, K: Hash> Hash for Of<R, K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<R, K> Of<R, K> {
    /// The children of `k`.
    pub fn new(k: K) -> Self {
        Of(k, std::marker::PhantomData)
    }
}

macro_rules! one_to_many {
    ($parent:ty, $value:ty, $read:ident, $parent_of:expr) => {
        impl Loader<Of<$value, $parent>> for Batch {
            type Value = Vec<$value>;
            type Error = async_graphql::Error;
            async fn load(
                &self,
                keys: &[Of<$value, $parent>],
            ) -> Result<HashMap<Of<$value, $parent>, Vec<$value>>, Self::Error> {
                let ids: Vec<$parent> = keys.iter().map(|k| k.0).collect();
                let rows = self.reader.$read(&ids).await.map_err(to_graphql_error)?;
                let grouped = group(&ids, rows, $parent_of);
                Ok(grouped.into_iter().map(|(k, v)| (Of::new(k), v)).collect())
            }
        }
    };
}

one_to_many!(CaseId, StoredIntervention, interventions_of_cases, |i: &StoredIntervention| i.intervention.case_id);
one_to_many!(CaseId, Plan, plans_of_cases, |p: &Plan| p.case_id);
one_to_many!(CaseId, Need, needs_of_cases, |n: &Need| n.case_id);
one_to_many!(CaseId, Assessment, assessments_of_cases, |a: &Assessment| a.case_id);
one_to_many!(CaseId, (CaseId, CaseEvent), events_of_cases, |e: &(CaseId, CaseEvent)| e.0);
one_to_many!(InterventionId, Disbursement, disbursements_of, |d: &Disbursement| d.intervention_id);
one_to_many!(InterventionId, Placement, placements_of, |p: &Placement| p.intervention_id);
one_to_many!(InterventionId, InterventionEvent, events_of_interventions, |e: &InterventionEvent| e.intervention_id);
one_to_many!(PlanId, Objective, objectives_of, |o: &Objective| o.plan_id);
one_to_many!(PlanId, PlanReview, reviews_of, |r: &PlanReview| r.plan_id);
one_to_many!(PersonId, Case, cases_of_persons, |c: &Case| c.person_id);
one_to_many!(PersonId, IseeAttestation, isee_of, |i: &IseeAttestation| i.person_id);
one_to_many!(PlacementId, MonthlyPresence, presences_of, |p: &MonthlyPresence| p.placement_id);

/// Key: the plug-in results of an intervention, with the unit owning it as the request's reader
/// read it (which decides whether they, and their reasons, are shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResultsOf(pub InterventionId, pub OrgUnitId);

impl Loader<ResultsOf> for Batch {
    type Value = Vec<ResultRow>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[ResultsOf]) -> Result<HashMap<ResultsOf, Vec<ResultRow>>, Self::Error> {
        let pairs: Vec<(InterventionId, OrgUnitId)> = keys.iter().map(|k| (k.0, k.1)).collect();
        let rows = self.reader.plugin_results_of(&pairs).await.map_err(to_graphql_error)?;
        let of: HashMap<i64, ResultsOf> = keys.iter().map(|k| (k.0.0, *k)).collect();
        let mut map: HashMap<ResultsOf, Vec<ResultRow>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            if let Some(k) = of.get(&r.record_id) {
                map.entry(*k).or_default().push(r);
            }
        }
        Ok(map)
    }
}
