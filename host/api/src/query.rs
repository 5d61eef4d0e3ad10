//! Queries: lookups by id and Relay connections with filters.

use async_graphql::connection::{Connection, Edge, EmptyFields, query};
use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, InputObject, Object, Result};
use siso_app::read::{CaseQuery, InterventionQuery, PersonQuery};
use siso_app::{Actor, App, Reader};
use siso_domain::case::{CaseState, UserArea};
use siso_domain::ids::*;
use siso_domain::intervention::InterventionState;
use siso_domain::page::{Page, PageRequest};

use crate::errors::to_graphql_error;
use crate::loaders::Batch;
use crate::scalars::{GlobalId, decode_global_id, parse_id};
use crate::types::*;

/// The largest page a client may ask for.
pub const MAX_PAGE: usize = 100;

/// The cost multiplier of a reference list that is not paginated (units, catalogue, funds,
/// providers): each is read whole, so each costs like a long page.
pub const REFERENCE_LIST: usize = 50;

pub(crate) fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor> {
    ctx.data_opt::<Actor>().ok_or_else(|| to_graphql_error(siso_app::AppError::Forbidden))
}

pub(crate) fn app<'a>(ctx: &Context<'a>) -> Result<&'a App> {
    ctx.data::<App>()
}

/// The request's reader: the only door to the application's reads (anonymous requests have
/// none and get FORBIDDEN).
pub(crate) fn reader<'a>(ctx: &Context<'a>) -> Result<&'a Reader> {
    ctx.data_opt::<Reader>().ok_or_else(|| to_graphql_error(siso_app::AppError::Forbidden))
}

fn opt_id<T: GlobalId>(id: &Option<ID>, what: &str) -> Result<Option<T>> {
    match id {
        Some(id) => {
            parse_id::<T>(id).map(Some).ok_or_else(|| async_graphql::Error::new(format!("{what} is not a valid id")))
        }
        None => Ok(None),
    }
}

async fn paged<T, N, F, Fut>(
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
    fetch: F,
    cursor: fn(&T) -> i64,
    node: fn(T) -> N,
) -> Result<Connection<String, N, EmptyFields, EmptyFields>>
where
    N: async_graphql::OutputType,
    F: FnOnce(PageRequest) -> Fut,
    Fut: std::future::Future<Output = siso_app::AppResult<Page<T>>>,
{
    query(after, before, first, last, |after: Option<String>, before: Option<String>, first, last| async move {
        let req = page_request(after, before, first, last)?;
        let page = fetch(req).await.map_err(to_graphql_error)?;
        let mut conn = Connection::new(page.has_previous, page.has_next);
        conn.edges.extend(page.items.into_iter().map(|t| Edge::new(cursor(&t).to_string(), node(t))));
        Ok::<_, async_graphql::Error>(conn)
    })
    .await
}

/// The keyset window of a Relay page: id cursors, at most [`MAX_PAGE`] items (20 by default).
pub(crate) fn page_request(
    after: Option<String>,
    before: Option<String>,
    first: Option<usize>,
    last: Option<usize>,
) -> Result<PageRequest> {
    let parse = |c: Option<String>| -> Result<Option<i64>> {
        c.map(|c| c.parse::<i64>().map_err(|_| async_graphql::Error::new("invalid cursor"))).transpose()
    };
    let from_end = last.is_some() && first.is_none();
    let limit = first.or(last).unwrap_or(20).min(MAX_PAGE);
    Ok(PageRequest { after: parse(after)?, before: parse(before)?, limit: limit as u64, from_end })
}

/// A record by id through the request's loader, which authorises it against its owner: a
/// malformed id, a missing record and a hidden one all answer `null`.
async fn by_id<K, V, N>(ctx: &Context<'_>, id: &ID, node: fn(V) -> N) -> Result<Option<N>>
where
    K: GlobalId + Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Batch: Loader<K, Value = V, Error = async_graphql::Error>,
{
    let loaders = crate::loaders::from_context(ctx)?;
    match parse_id::<K>(id) {
        Some(id) => Ok(loaders.load_one(id).await?.map(node)),
        None => Ok(None),
    }
}

/// A record of any type that implements `Node`, by its global id: the type the id names picks
/// the loader, which authorises the record as for the type's own field.
async fn node_by_id(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let Some((type_name, _)) = decode_global_id(id) else { return Ok(None) };
    // A plan's loader serves parts of records already authorised; alone, it is authorised
    // through its case.
    if type_name == <PlanId as GlobalId>::TYPE {
        let Some(plan) = parse_id::<PlanId>(id) else { return Ok(None) };
        let found = reader(ctx)?.plans_by_id(&[plan]).await.map_err(to_graphql_error)?;
        return Ok(found.into_iter().next().map(|p| Node::Plan(PlanNode(p))));
    }
    macro_rules! nodes {
        ($($id:ident => $variant:ident($object:ident)),* $(,)?) => {
            $(if type_name == <$id as GlobalId>::TYPE {
                return Ok(by_id::<$id, _, _>(ctx, id, $object).await?.map(Node::$variant));
            })*
        };
    }
    nodes! {
        OrgUnitId => OrgUnit(OrgUnitNode),
        OperatorId => Operator(OperatorNode),
        PersonId => Person(PersonNode),
        AccessSheetId => AccessSheet(AccessSheetNode),
        CaseId => Case(CaseNode),
        CatalogueEntryId => CatalogueEntry(CatalogueEntryNode),
        InterventionId => Intervention(InterventionNode),
        ProviderId => Provider(ProviderNode),
        FundId => Fund(FundNode),
        FundingLineId => FundingLine(FundingLineNode),
    }
    Ok(None)
}

/// The cost of a page: its size times the cost of one node.
pub(crate) fn page_complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).unwrap_or(20).clamp(1, MAX_PAGE as i32);
    usize::try_from(size).unwrap_or(MAX_PAGE).saturating_mul(child_complexity)
}

/// Filters of the person list.
#[derive(InputObject, Default)]
pub struct PersonFilter {
    /// Exact codice fiscale.
    pub fiscal_code: Option<String>,
    /// Prefix of "surname given-name", case-insensitive.
    pub name: Option<String>,
    /// Only persons of this unit and the units below it.
    pub org_unit_id: Option<ID>,
}

/// Filters of the case list.
#[derive(InputObject, Default)]
pub struct CaseFilter {
    /// Only cases of this unit and the units below it.
    pub org_unit_id: Option<ID>,
    /// Only these states.
    pub states: Option<Vec<CaseState>>,
    /// Only cases of this responsible operator.
    pub operator_id: Option<ID>,
    /// Only this ISTAT area.
    pub area: Option<UserArea>,
}

/// Filters of the intervention list.
#[derive(InputObject, Default)]
pub struct InterventionFilter {
    /// Only interventions of this unit and the units below it.
    pub org_unit_id: Option<ID>,
    /// Only of this case.
    pub case_id: Option<ID>,
    /// Only these states.
    pub states: Option<Vec<InterventionState>>,
    /// Only of this provider.
    pub provider_id: Option<ID>,
    /// Only on this funding line.
    pub funding_line_id: Option<ID>,
}

/// The root of every read.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The operator behind this request.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<OperatorNode>> {
        Ok(reader(ctx)?.me().await.map_err(to_graphql_error)?.map(OperatorNode))
    }

    /// Any record by its global id (the Relay `node` field): the same answer as the record's
    /// own field (`person`, `case`...) for that id. A malformed id, a missing record and a
    /// hidden one all answer `null`.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        node_by_id(ctx, &id).await
    }

    /// Several records by global id, in the order asked, `null` where `node` would answer it;
    /// at most 100 ids.
    #[graphql(complexity = "ids.len().saturating_mul(child_complexity)")]
    async fn nodes(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_PAGE {
            return Err(async_graphql::Error::new(format!("at most {MAX_PAGE} ids")));
        }
        futures::future::try_join_all(ids.iter().map(|id| node_by_id(ctx, id))).await
    }

    /// A person by id.
    async fn person(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PersonNode>> {
        by_id::<PersonId, _, _>(ctx, &id, PersonNode).await
    }

    /// A case by id.
    async fn case(&self, ctx: &Context<'_>, id: ID) -> Result<Option<CaseNode>> {
        by_id::<CaseId, _, _>(ctx, &id, CaseNode).await
    }

    /// An intervention by id.
    async fn intervention(&self, ctx: &Context<'_>, id: ID) -> Result<Option<InterventionNode>> {
        by_id::<InterventionId, _, _>(ctx, &id, InterventionNode).await
    }

    /// An access sheet by id.
    async fn access_sheet(&self, ctx: &Context<'_>, id: ID) -> Result<Option<AccessSheetNode>> {
        by_id::<AccessSheetId, _, _>(ctx, &id, AccessSheetNode).await
    }

    /// A funding line by id.
    async fn funding_line(&self, ctx: &Context<'_>, id: ID) -> Result<Option<FundingLineNode>> {
        by_id::<FundingLineId, _, _>(ctx, &id, FundingLineNode).await
    }

    /// Persons, filtered.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn persons(
        &self,
        ctx: &Context<'_>,
        filter: Option<PersonFilter>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<String, PersonNode, EmptyFields, EmptyFields>> {
        let reader = reader(ctx)?;
        let f = filter.unwrap_or_default();
        let q = PersonQuery {
            within: opt_id::<OrgUnitId>(&f.org_unit_id, "orgUnitId")?,
            fiscal_code: f.fiscal_code,
            name: f.name,
        };
        paged(
            after,
            before,
            first,
            last,
            |req| async move { reader.persons_page(q, &req).await },
            |p| p.id.0,
            PersonNode,
        )
        .await
    }

    /// Cases, filtered by organisation, state, operator, area.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilter>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<String, CaseNode, EmptyFields, EmptyFields>> {
        let reader = reader(ctx)?;
        let f = filter.unwrap_or_default();
        let q = CaseQuery {
            within: opt_id::<OrgUnitId>(&f.org_unit_id, "orgUnitId")?,
            states: f.states,
            operator: opt_id::<OperatorId>(&f.operator_id, "operatorId")?,
            area: f.area,
        };
        paged(after, before, first, last, |req| async move { reader.cases_page(q, &req).await }, |c| c.id.0, CaseNode)
            .await
    }

    /// Interventions, filtered by case, state, provider, funding line.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn interventions(
        &self,
        ctx: &Context<'_>,
        filter: Option<InterventionFilter>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<String, InterventionNode, EmptyFields, EmptyFields>> {
        let reader = reader(ctx)?;
        let f = filter.unwrap_or_default();
        let q = InterventionQuery {
            within: opt_id::<OrgUnitId>(&f.org_unit_id, "orgUnitId")?,
            case: opt_id::<CaseId>(&f.case_id, "caseId")?,
            states: f.states,
            provider: opt_id::<ProviderId>(&f.provider_id, "providerId")?,
            funding_line: opt_id::<FundingLineId>(&f.funding_line_id, "fundingLineId")?,
        };
        paged(
            after,
            before,
            first,
            last,
            |req| async move { reader.interventions_page(q, &req).await },
            |i| i.intervention.id.0,
            InterventionNode,
        )
        .await
    }

    /// Funding lines.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn funding_lines(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<String, FundingLineNode, EmptyFields, EmptyFields>> {
        let reader = reader(ctx)?;
        paged(
            after,
            before,
            first,
            last,
            |req| async move { reader.funding_lines_page(&req).await },
            |l| l.id.0,
            FundingLineNode,
        )
        .await
    }

    /// Access sheets.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn access_sheets(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<String, AccessSheetNode, EmptyFields, EmptyFields>> {
        let reader = reader(ctx)?;
        paged(
            after,
            before,
            first,
            last,
            |req| async move { reader.access_sheets_page(&req).await },
            |s| s.id.0,
            AccessSheetNode,
        )
        .await
    }

    /// The organisation hierarchy.
    #[graphql(complexity = "REFERENCE_LIST * child_complexity")]
    async fn org_units(&self, ctx: &Context<'_>) -> Result<Vec<OrgUnitNode>> {
        let units = reader(ctx)?.all_org_units().await.map_err(to_graphql_error)?;
        Ok(units.into_iter().map(OrgUnitNode).collect())
    }

    /// The intervention catalogue: every entry, or with `orgUnitId` those a case of that unit
    /// may use (the national entries and those of the unit and the units above it).
    #[graphql(complexity = "REFERENCE_LIST * child_complexity")]
    async fn catalogue(&self, ctx: &Context<'_>, org_unit_id: Option<ID>) -> Result<Vec<CatalogueEntryNode>> {
        let org = opt_id::<OrgUnitId>(&org_unit_id, "orgUnitId")?;
        let rows = reader(ctx)?.catalogue(org).await.map_err(to_graphql_error)?;
        Ok(rows.into_iter().map(CatalogueEntryNode).collect())
    }

    /// Funds.
    #[graphql(complexity = "REFERENCE_LIST * child_complexity")]
    async fn funds(&self, ctx: &Context<'_>) -> Result<Vec<FundNode>> {
        let rows = reader(ctx)?.all_funds().await.map_err(to_graphql_error)?;
        Ok(rows.into_iter().map(FundNode).collect())
    }

    /// Providers.
    #[graphql(complexity = "REFERENCE_LIST * child_complexity")]
    async fn providers(&self, ctx: &Context<'_>) -> Result<Vec<ProviderNode>> {
        let rows = reader(ctx)?.all_providers().await.map_err(to_graphql_error)?;
        Ok(rows.into_iter().map(ProviderNode).collect())
    }
}
