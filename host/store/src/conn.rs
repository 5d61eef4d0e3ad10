//! Connections, transactions and the statement counter.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Database settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct DbConfig {
    /// `sqlite://path/to/file.db` (created on first run) or `postgres://user@host/db`.
    pub url: String,
    /// Largest number of pooled connections.
    pub max_connections: u32,
    /// How long SQLite waits for a lock before giving up, in milliseconds.
    pub busy_timeout_ms: u64,
    /// How long a request waits for a free connection, in milliseconds.
    pub acquire_timeout_ms: u64,
}

impl Default for DbConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://data/siso.db".into(),
            max_connections: 16,
            busy_timeout_ms: 5_000,
            acquire_timeout_ms: 10_000,
        }
    }
}

/// The database product behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, the embedded default.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Counts SQL statements (exported as a metric and used by tests to bound N+1 queries).
/// Statements of background work (see [`background`]) are counted apart, so a poll that
/// happens to run during a request never shows up in that request's figure.
#[derive(Debug, Clone, Default)]
pub struct SqlCounter(Arc<AtomicU64>, Arc<AtomicU64>);

impl SqlCounter {
    /// Statements executed since start on behalf of requests and commands.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Statements executed since start by background tasks (registry and policy polls).
    pub fn background(&self) -> u64 {
        self.1.load(Ordering::Relaxed)
    }
}

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `fut` as background work: its statements count in [`SqlCounter::background`].
pub async fn background<F: std::future::Future>(fut: F) -> F::Output {
    BACKGROUND.scope((), fut).await
}

/// A pooled connection to the database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    counter: SqlCounter,
    /// SQLite allows one writer at a time: writers of this process queue here, in order,
    /// instead of polling the file lock (which gives long tail latencies under load).
    write_lock: Option<Arc<WriteLock>>,
}

/// SQLite's writer lock, with a lane for the access log's appender: ordinary writers pass a
/// gate one at a time before queueing on the lock, so the appender (which skips the gate)
/// waits for at most the writer holding the lock and the one queued behind it, never for the
/// whole queue. Reads that wait for their access-log batch wait for no more than that.
#[derive(Debug, Default)]
struct WriteLock {
    gate: tokio::sync::Mutex<()>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl WriteLock {
    async fn writer(&self) -> tokio::sync::OwnedMutexGuard<()> {
        let _turn = self.gate.lock().await;
        self.lock.clone().lock_owned().await
    }

    async fn ahead(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.lock.clone().lock_owned().await
    }
}

/// A transaction: one use case. Dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub struct Tx {
    tx: DatabaseTransaction,
    // Dropped after `tx` (fields drop in order): the lock outlives the transaction.
    _write_guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    /// Makes the changes durable.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(StoreError::from)
    }

    /// Discards the changes.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(StoreError::from)
    }

    pub(crate) fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

/// Anything queries can run on: the pool or a transaction.
pub trait Conn: Send + Sync {
    /// The sea-orm connection.
    #[doc(hidden)]
    fn db(&self) -> &impl ConnectionTrait;
}

impl Conn for Store {
    fn db(&self) -> &impl ConnectionTrait {
        &self.db
    }
}

impl Conn for Tx {
    fn db(&self) -> &impl ConnectionTrait {
        self.conn()
    }
}

impl Store {
    /// Connects (creating the SQLite file and its folder on first run).
    pub async fn connect(cfg: &DbConfig) -> Result<Store, StoreError> {
        let backend = if cfg.url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if cfg.url.starts_with("postgres://") || cfg.url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Corrupt("the database URL must start with sqlite: or postgres://".into()));
        };
        if backend == Backend::Sqlite {
            create_sqlite_folder(&cfg.url)?;
        }
        let mut opts = ConnectOptions::new(cfg.url.clone());
        opts.max_connections(cfg.max_connections.max(1))
            .min_connections(1)
            .acquire_timeout(Duration::from_millis(cfg.acquire_timeout_ms))
            .sqlx_logging(false);
        let busy = Duration::from_millis(cfg.busy_timeout_ms);
        opts.map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(busy)
        });
        let mut db = Database::connect(opts).await?;
        let counter = SqlCounter::default();
        let (c, bg) = (counter.0.clone(), counter.1.clone());
        db.set_metric_callback(move |info| {
            if BACKGROUND.try_with(|_| ()).is_ok() {
                bg.fetch_add(1, Ordering::Relaxed);
            } else {
                c.fetch_add(1, Ordering::Relaxed);
            }
            // The SQL text has placeholders only: parameter values (personal data) never reach logs.
            tracing::trace!(target: "siso_store::sql", elapsed_us = info.elapsed.as_micros() as u64, sql = %info.statement.sql);
        });
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(WriteLock::default()));
        Ok(Store { db, backend, counter, write_lock })
    }

    /// The database product.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The statement counter.
    pub fn sql_counter(&self) -> SqlCounter {
        self.counter.clone()
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing
    /// when a read lock cannot be upgraded.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.writer().await),
            None => None,
        };
        self.begin_holding(guard).await
    }

    /// [`Store::begin`] ahead of the queue of writers, for the access log's appender: on
    /// SQLite it waits for the writer holding the lock and at most one queued behind it; on
    /// PostgreSQL it is [`Store::begin`].
    pub async fn begin_ahead(&self) -> Result<Tx, StoreError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.ahead().await),
            None => None,
        };
        self.begin_holding(guard).await
    }

    async fn begin_holding(&self, guard: Option<tokio::sync::OwnedMutexGuard<()>>) -> Result<Tx, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let tx = self.db.begin_with_options(options).await?;
        Ok(Tx { tx, _write_guard: guard })
    }

    /// Applies the pending migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        use siso_migration::MigratorTrait;
        // Nothing to do, nothing to ask for: a server running as a role without schema rights
        // (PostgreSQL's `siso_app`) starts on a database the owner migrated.
        if self.pending_migrations().await? == 0 {
            return Ok(());
        }
        siso_migration::Migrator::up(&self.db, None).await.map_err(StoreError::from)
    }

    /// How many migrations are not applied yet (read from the migrations table, without the
    /// schema rights the migrator would ask for to create it).
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        use sea_orm::{ConnectionTrait, Statement};
        use siso_migration::MigratorTrait;
        let sql = Statement::from_string(self.db.get_database_backend(), "SELECT version FROM seaql_migrations");
        let applied: std::collections::HashSet<String> = match self.db.query_all_raw(sql).await {
            Ok(rows) => rows.iter().filter_map(|r| r.try_get_by_index::<String>(0).ok()).collect(),
            // No migrations table yet: everything is pending.
            Err(_) => std::collections::HashSet::new(),
        };
        Ok(siso_migration::Migrator::migrations().iter().filter(|m| !applied.contains(m.name())).count())
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from)
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.map_err(StoreError::from)
    }
}

fn create_sqlite_folder(url: &str) -> Result<(), StoreError> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path.starts_with(':') {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Corrupt(format!("cannot create the database folder: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lets every spawned task run until it waits (a current-thread runtime).
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn the_appender_waits_for_at_most_one_queued_writer() {
        let lock = Arc::new(WriteLock::default());
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let holder = lock.writer().await;
        let mut tasks = Vec::new();
        for name in ["writer 1", "writer 2", "writer 3"] {
            let (lock, order) = (lock.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _turn = lock.writer().await;
                if let Ok(mut o) = order.lock() {
                    o.push(name);
                }
            }));
            settle().await;
        }
        let (l, o) = (lock.clone(), order.clone());
        tasks.push(tokio::spawn(async move {
            let _turn = l.ahead().await;
            if let Ok(mut o) = o.lock() {
                o.push("appender");
            }
        }));
        settle().await;
        drop(holder);
        for t in tasks {
            let _ = t.await;
        }
        let order = order.lock().map(|o| o.clone()).unwrap_or_default();
        // Queued last, the appender passes the writers queued behind the first.
        assert_eq!(order, ["writer 1", "appender", "writer 2", "writer 3"]);
    }
}
