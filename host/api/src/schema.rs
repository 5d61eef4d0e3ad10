//! The GraphQL schema with its limits.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use crate::admin::{AdminMutation, AdminQuery, ApiKeysQuery};
use crate::mutations::CoreMutation;
use crate::plugins::{PluginMutation, PluginQuery};
use crate::query::CoreQuery;

/// Every read: the case lifecycle, the plug-in registry and administration.
#[derive(MergedObject, Default)]
pub struct Query(CoreQuery, PluginQuery, AdminQuery, ApiKeysQuery);

/// Every write: the case lifecycle, the plug-in registry and administration.
#[derive(MergedObject, Default)]
pub struct Mutation(CoreMutation, PluginMutation, AdminMutation);

/// The schema type.
pub type SisoSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Most complex query accepted (one point per field, multiplied by list sizes).
pub const MAX_COMPLEXITY: usize = 5_000;

/// Builds the schema.
pub fn build_schema() -> SisoSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_recursive_depth(32)
        .limit_directives(20)
        .extension(crate::limits::RequestLimits)
        .finish()
}

/// The schema in SDL, as checked in at `docs/schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}
