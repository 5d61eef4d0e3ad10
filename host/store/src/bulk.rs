//! Bulk loading: multi-row inserts in chunks that fit each backend's parameter limit, for
//! imports and the data generator.

use sea_orm::sea_query::{Alias, PostgresQueryBuilder, Query, SqliteQueryBuilder};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use crate::conn::Conn;
use crate::error::StoreError;

/// Largest number of bound parameters per statement (SQLite's default limit is 32,766;
/// PostgreSQL's 65,535).
const MAX_PARAMS: usize = 30_000;

/// Inserts `rows` (each with one value per column) into `table`.
pub async fn insert_rows(
    c: &impl Conn,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    if rows.is_empty() || columns.is_empty() {
        return Ok(());
    }
    let backend = c.db().get_database_backend();
    let per_statement = (MAX_PARAMS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut q = Query::insert();
        q.into_table(Alias::new(table)).columns(columns.iter().map(|c| Alias::new(*c)));
        for row in rows.by_ref().take(per_statement) {
            if row.len() != columns.len() {
                return Err(StoreError::Corrupt(format!(
                    "{table}: a row has {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            q.values(row.into_iter().map(Into::into)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
        let (sql, values) = match backend {
            DatabaseBackend::Postgres => q.build(PostgresQueryBuilder),
            _ => q.build(SqliteQueryBuilder),
        };
        c.db().execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

/// The largest id of a table (0 when empty).
pub async fn max_id(c: &impl Conn, table: &str) -> Result<i64, StoreError> {
    let backend = c.db().get_database_backend();
    let row = c
        .db()
        .query_one_raw(Statement::from_string(backend, format!("SELECT COALESCE(MAX(id), 0) AS m FROM {table}")))
        .await?;
    match row {
        Some(r) => Ok(r.try_get_by_index::<i64>(0).map_err(StoreError::from)?),
        None => Ok(0),
    }
}

/// After inserting explicit ids, moves PostgreSQL's identity sequences past them.
pub async fn reset_sequences(c: &impl Conn, tables: &[&str]) -> Result<(), StoreError> {
    let backend = c.db().get_database_backend();
    if backend != DatabaseBackend::Postgres {
        return Ok(());
    }
    for t in tables {
        let sql = format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))");
        c.db().execute_raw(Statement::from_string(backend, sql)).await?;
    }
    Ok(())
}

/// Refreshes the planner's statistics of every table after a bulk load (`ANALYZE` on both
/// databases): without them PostgreSQL plans the freshly loaded tables as if they were empty.
pub async fn analyze(c: &impl Conn) -> Result<(), StoreError> {
    let backend = c.db().get_database_backend();
    c.db().execute_raw(Statement::from_string(backend, "ANALYZE")).await?;
    Ok(())
}
