//! Limits on the size of a request's document, checked right after parsing, before anything
//! runs: aliases multiply work without adding depth or (for cheap fields) complexity, so the
//! fields a document selects (fragments expanded), the root fields of an operation and the
//! mutations of a request are each capped.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Name, Positioned, ServerError, ServerResult, Variables};
use std::collections::HashMap;

/// Most fields one document may select, counting every occurrence with fragments expanded.
pub const MAX_FIELDS: usize = 1_000;
/// Most root fields (aliases included) of one operation.
pub const MAX_ROOT_FIELDS: usize = 30;
/// Most mutations in one request.
pub const MAX_MUTATIONS: usize = 10;
/// Deepest nesting of fragments followed while counting (cycles are refused by validation).
const MAX_NESTING: usize = 64;

/// The extension that enforces the limits.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestLimits;

impl ExtensionFactory for RequestLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLimits)
    }
}

fn too_large(message: String) -> ServerError {
    let mut e = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", "QUERY_TOO_LARGE");
    e.extensions = Some(ext);
    e
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// Root fields of a selection (fragments expanded, not nested fields).
fn roots(set: &SelectionSet, fragments: &Fragments, nesting: usize, budget: &mut usize) -> usize {
    let mut n = 0;
    for sel in &set.items {
        if *budget == 0 || nesting > MAX_NESTING {
            return n;
        }
        match &sel.node {
            Selection::Field(_) => {
                n += 1;
                *budget -= 1;
            }
            Selection::FragmentSpread(s) => {
                if let Some(f) = fragments.get(&s.node.fragment_name.node) {
                    n += roots(&f.node.selection_set.node, fragments, nesting + 1, budget);
                }
            }
            Selection::InlineFragment(f) => n += roots(&f.node.selection_set.node, fragments, nesting + 1, budget),
        }
    }
    n
}

/// Every field of a selection, nested ones and fragments expanded; stops counting past
/// `limit`.
fn fields(set: &SelectionSet, fragments: &Fragments, nesting: usize, count: &mut usize, limit: usize) {
    for sel in &set.items {
        if *count > limit || nesting > MAX_NESTING {
            return;
        }
        match &sel.node {
            Selection::Field(f) => {
                *count += 1;
                fields(&f.node.selection_set.node, fragments, nesting + 1, count, limit);
            }
            Selection::FragmentSpread(s) => {
                if let Some(f) = fragments.get(&s.node.fragment_name.node) {
                    fields(&f.node.selection_set.node, fragments, nesting + 1, count, limit);
                }
            }
            Selection::InlineFragment(f) => fields(&f.node.selection_set.node, fragments, nesting + 1, count, limit),
        }
    }
}

/// Checks a parsed document against the limits.
pub fn check(doc: &ExecutableDocument) -> Result<(), ServerError> {
    let mut total = 0;
    let mut mutations = 0;
    for (_, op) in doc.operations.iter() {
        let set = &op.node.selection_set.node;
        let mut budget = MAX_ROOT_FIELDS.max(MAX_MUTATIONS) + 1;
        let root = roots(set, &doc.fragments, 0, &mut budget);
        if root > MAX_ROOT_FIELDS {
            return Err(too_large(format!("an operation may ask for at most {MAX_ROOT_FIELDS} root fields")));
        }
        if op.node.ty == OperationType::Mutation {
            mutations += root;
        }
        fields(set, &doc.fragments, 0, &mut total, MAX_FIELDS);
        if total > MAX_FIELDS {
            return Err(too_large(format!("a request may ask for at most {MAX_FIELDS} fields")));
        }
    }
    if mutations > MAX_MUTATIONS {
        return Err(too_large(format!("a request may run at most {MAX_MUTATIONS} mutations")));
    }
    Ok(())
}

#[async_trait::async_trait]
impl Extension for RequestLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        check(&doc)?;
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn aliases_fragments_and_mutations_are_counted() {
        let aliased: String = (0..31).map(|i| format!("a{i}: orgUnits {{ id }} ")).collect();
        assert!(check(&doc(&format!("{{ {aliased} }}"))).is_err());
        let ok: String = (0..30).map(|i| format!("a{i}: orgUnits {{ id }} ")).collect();
        assert!(check(&doc(&format!("{{ {ok} }}"))).is_ok());
        // Through a fragment, the same.
        let q = format!("{{ ...F }} fragment F on Query {{ {aliased} }}");
        assert!(check(&doc(&q)).is_err());
        // Many fields nested under few roots.
        let inner: String = (0..60).map(|i| format!("f{i}: id ")).collect();
        let many: String = (0..20).map(|i| format!("r{i}: orgUnits {{ {inner} }} ")).collect();
        assert!(check(&doc(&format!("{{ {many} }}"))).is_err());
        // Fragments spread many times multiply.
        let q = format!(
            "{{ {} }} fragment G on OrgUnit {{ {inner} }}",
            (0..20).map(|i| format!("r{i}: orgUnits {{ ...G }} ")).collect::<String>()
        );
        assert!(check(&doc(&q)).is_err());
        let m: String =
            (0..11).map(|i| format!("m{i}: revokeApiKey(apiKeyId: \"1\") {{ errors {{ code }} }} ")).collect();
        assert!(check(&doc(&format!("mutation {{ {m} }}"))).is_err());
        // A fragment cycle does not hang the count (validation refuses it later).
        assert!(check(&doc("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")).is_ok());
    }
}
