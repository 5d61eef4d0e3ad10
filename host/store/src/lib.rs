//! Storage of SISO: sea-orm over SQLite (embedded default) or PostgreSQL (production).
//!
//! Rules of this layer:
//! - sea-orm entities ([`entities`]) are private; every function returns domain types.
//! - every function takes a connection (`&Store` for reads, `&Tx` inside a use case), so the
//!   application layer decides the transaction boundaries.
//! - no business rule here beyond what the schema itself enforces (foreign keys, checks).

pub mod bulk;
mod conn;
mod entities;
mod error;
pub mod generate;
pub mod page;
pub mod repo;

pub use conn::{Backend, DbConfig, SqlCounter, Store, Tx, background};
pub use error::StoreError;
pub use page::{Page, PageRequest};
