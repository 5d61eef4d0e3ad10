//! Application services of SISO: one use case, one transaction.
//!
//! Every use case follows the same steps, in one place each:
//! 1. open a write transaction ([`siso_store::Store::begin`]);
//! 2. load and lock what it changes;
//! 3. ask [`authz::check`] whether the actor may do it to that record;
//! 4. apply the domain rules ([`siso_domain`]);
//! 5. ask the plug-ins (validate and decide hooks) about the change, outside the transaction
//!    ([`hooks`]: the first round rolls back, the plug-ins are called with the writer free, the
//!    second commits on their answers);
//! 6. write the change, its history and its access-log event ([`audit`]);
//! 7. commit. Any error before the commit rolls everything back.

pub mod actor;
pub mod admin;
mod appender;
pub mod audit;
pub mod authz;
pub mod error;
pub mod hooks;
pub mod keys;
pub mod plugins;
pub mod queries;
pub mod read;
pub mod usecases;

use std::sync::Arc;

use siso_domain::clock::Clock;
use siso_store::Store;

pub use actor::Actor;
pub use error::{AppError, AppResult};
pub use read::Reader;

/// The application: the store, the clock and the plug-in hooks, shared by every request.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    plugins: Arc<plugins::Plugins>,
    authz: Arc<authz::Authorizer>,
    /// The access log's group commit, started on first use (on the runtime serving requests).
    appender: Arc<std::sync::OnceLock<appender::Appender>>,
}

impl App {
    /// Builds the application over a migrated store.
    pub fn new(store: Store, clock: Arc<dyn Clock>, plugins: Arc<plugins::Plugins>) -> Self {
        let authz = Arc::new(authz::Authorizer::new(store.clone()));
        Self { store, clock, plugins, authz, appender: Arc::default() }
    }

    /// The authorization policy of this process.
    pub fn authz(&self) -> &Arc<authz::Authorizer> {
        &self.authz
    }

    /// The actor of an active operator by login name (the development login).
    pub async fn actor_by_username(&self, username: &str) -> AppResult<Option<Actor>> {
        let load = async { Ok(siso_store::repo::org::operator_by_username(self.store(), username).await?) };
        let op = self.authz.operator(format!("u:{username}"), load).await?;
        self.active_actor(op).await
    }

    /// The actor of the active operator bound to an identity provider's subject: one namespace
    /// per provider (`issuer`), so a subject of one provider never signs in another's operator.
    pub async fn actor_by_identity(&self, issuer: &str, subject: &str) -> AppResult<Option<Actor>> {
        let load = async { Ok(siso_store::repo::org::operator_by_identity(self.store(), issuer, subject).await?) };
        let op = self.authz.operator(format!("i:{issuer}\u{0}{subject}"), load).await?;
        self.active_actor(op).await
    }

    /// The actor of the active operator with a codice fiscale (a broker that verifies it, as
    /// SPID and CIE do).
    pub async fn actor_by_fiscal_code(&self, fiscal_code: &str) -> AppResult<Option<Actor>> {
        let load = async { Ok(siso_store::repo::org::operator_by_fiscal_code(self.store(), fiscal_code).await?) };
        let op = self.authz.operator(format!("cf:{fiscal_code}"), load).await?;
        self.active_actor(op).await
    }

    async fn active_actor(&self, op: Option<siso_domain::org::Operator>) -> AppResult<Option<Actor>> {
        match op.filter(|o| o.active) {
            Some(op) => Ok(Some(self.operator_actor(&op).await?)),
            None => Ok(None),
        }
    }

    /// The actor of an operator, with the access the policy gives them now.
    pub async fn operator_actor(&self, op: &siso_domain::org::Operator) -> AppResult<Actor> {
        let access = self.authz.access(&siso_store::repo::org::operator_subject(op.id)).await?;
        Ok(Actor {
            operator_id: Some(op.id),
            on_behalf_of: None,
            label: op.username.clone(),
            org_unit_id: op.org_unit_id,
            roles: vec![op.role.clone()],
            access,
            reads: None,
            purpose: None,
        })
    }

    /// The access log's appender.
    fn appender(&self) -> &appender::Appender {
        self.appender.get_or_init(|| appender::Appender::start(self.store.clone()))
    }

    /// The plug-ins.
    pub fn plugins(&self) -> &Arc<plugins::Plugins> {
        &self.plugins
    }

    /// The store (read paths and operations).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }
}
