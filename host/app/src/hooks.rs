//! Plug-ins run outside the write transaction.
//!
//! A plug-in may take up to its deadline (about a second at most); holding the database's
//! writer (on SQLite, the one writer of the whole host) or a pooled connection meanwhile would
//! make every administration wait for one administration's plug-in. So a use case that calls
//! hooks runs as a *hooked run* ([`App::hooked`]):
//!
//! 1. the use case runs in its transaction; where a hook is due, the change it would show the
//!    plug-ins is built from the transaction; if no answer for exactly that change (and those
//!    plug-ins) is known yet, the hook is noted as pending and the use case goes on as if the
//!    plug-ins had accepted without a word;
//! 2. at its commit ([`App::commit`]) a run with pending hooks rolls back instead, releasing
//!    the writer;
//! 3. the pending hooks are called with no transaction open and no connection held; a veto or a
//!    fault that refuses the change ends the run there;
//! 4. the use case runs again from the start, in a new transaction: each hook whose change is
//!    the same finds its answer and nothing is called; a change that moved in between (another
//!    request committed) is a new question, asked again (a few rounds at most).
//!
//! So what commits was checked by the plug-ins on exactly the state it commits against.

use std::sync::{Arc, Mutex};

use siso_plugins::model::{Change, Subject};

use crate::App;
use crate::error::{AppError, AppResult};
use crate::plugins::{Outcome, Target};

/// One round of a hooked use case.
pub(crate) type Round<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = AppResult<T>> + Send + 'a>>;

/// How many times a use case may run before the plug-ins' answers settle.
const MAX_ROUNDS: usize = 6;

tokio::task_local! {
    static RUN: Arc<HookRun>;
}

/// What the plug-ins are asked: the plug-in versions with the enablements that apply, and the
/// change or the subject they see.
#[derive(Debug, Clone, PartialEq)]
enum Question {
    Validate(Vec<TargetKey>, Change),
    Decide(Vec<TargetKey>, Box<Subject>),
}

/// A target, as far as its answer depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TargetKey {
    plugin: String,
    version: String,
    org_unit: i64,
    settings: String,
    capabilities: Vec<String>,
}

fn keys(targets: &[Target]) -> Vec<TargetKey> {
    targets
        .iter()
        .map(|t| {
            let (plugin, version, org_unit, settings, capabilities) = t.identity();
            TargetKey { plugin, version, org_unit, settings, capabilities }
        })
        .collect()
}

/// The answers a run has, and the questions its current round still needs.
#[derive(Debug, Default)]
struct HookRun {
    answers: Mutex<Vec<(Question, Vec<Outcome>)>>,
    pending: Mutex<Vec<(Question, Vec<Target>)>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl HookRun {
    /// The known answer to `q`, or `None` after noting it as pending.
    fn ask(&self, q: Question, targets: &[Target]) -> Option<Vec<Outcome>> {
        if let Some((_, a)) = locked(&self.answers).iter().find(|(k, _)| *k == q) {
            return Some(a.clone());
        }
        let mut pending = locked(&self.pending);
        if !pending.iter().any(|(k, _)| *k == q) {
            pending.push((q, targets.to_vec()));
        }
        None
    }
}

impl App {
    /// Runs a use case with its plug-ins called outside its transaction (see the module):
    /// `body` starts one round of it.
    pub(crate) async fn hooked<'a, T>(&'a self, body: impl Fn() -> Round<'a, T>) -> AppResult<T> {
        let run = Arc::new(HookRun::default());
        for _ in 0..MAX_ROUNDS {
            match RUN.scope(run.clone(), body()).await {
                Err(AppError::PluginsPending) => self.answer_pending(&run).await?,
                other => return other,
            }
        }
        Err(AppError::User(siso_domain::DomainError::new(
            "CONFLICT",
            "the records changed while the plug-ins were checking them: try again",
        )))
    }

    /// Calls the pending hooks with no transaction open; a refusal ends the run.
    async fn answer_pending(&self, run: &HookRun) -> AppResult<()> {
        let pending = std::mem::take(&mut *locked(&run.pending));
        for (q, targets) in pending {
            let outcomes = match &q {
                Question::Validate(_, change) => self.plugins().validate(self.store(), &targets, change).await?,
                Question::Decide(_, subject) => self.plugins().decide(self.store(), &targets, subject).await?,
            };
            locked(&run.answers).push((q, outcomes));
        }
        Ok(())
    }

    /// The validate hooks' answer to `change`: known, or (in a hooked run) pending, when the use
    /// case goes on as if accepted until its commit; outside a run, asked at once.
    pub(crate) async fn ask_validate(&self, targets: &[Target], change: Change) -> AppResult<Vec<Outcome>> {
        match RUN.try_with(Arc::clone) {
            Ok(run) => Ok(run.ask(Question::Validate(keys(targets), change), targets).unwrap_or_default()),
            Err(_) => self.plugins().validate(self.store(), targets, &change).await,
        }
    }

    /// The decide hooks' answers about `subject`, as [`App::ask_validate`].
    pub(crate) async fn ask_decide(&self, targets: &[Target], subject: Subject) -> AppResult<Vec<Outcome>> {
        match RUN.try_with(Arc::clone) {
            Ok(run) => Ok(run.ask(Question::Decide(keys(targets), Box::new(subject)), targets).unwrap_or_default()),
            Err(_) => self.plugins().decide(self.store(), targets, &subject).await,
        }
    }

    /// Commits a use case's transaction; in a hooked run with hooks still to call, rolls it
    /// back instead, so they are called with the writer free.
    pub(crate) async fn commit(&self, tx: siso_store::Tx) -> AppResult<()> {
        let pending = RUN.try_with(|r| !locked(&r.pending).is_empty()).unwrap_or(false);
        if pending {
            drop(tx);
            return Err(AppError::PluginsPending);
        }
        Ok(tx.commit().await?)
    }
}
