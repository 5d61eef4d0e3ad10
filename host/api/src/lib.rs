//! HTTP and GraphQL API of SISO.
//!
//! Rules of this layer: resolvers are thin (parse input → call one use case or query → map the
//! result); no SQL and no business rule here; every error goes through [`errors`] so internals
//! never reach a client.

pub mod admin;
pub mod auth;
pub mod documents;
pub mod errors;
pub mod graphiql;
pub mod http;
pub mod limits;
pub mod loaders;
pub mod mutations;
pub mod plugins;
pub mod query;
pub mod scalars;
pub mod schema;
pub mod types;

pub use http::{ApiConfig, router};
pub use schema::{SisoSchema, build_schema, sdl};
