//! Administration over GraphQL: organisation units, role grants and the access log. Thin
//! resolvers over `siso_app::admin`; authorization happens there.

use async_graphql::connection::{Connection, Edge, EmptyFields, query};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use siso_app::admin::{CreateOperator, CreateOrgUnit, RoleGrant, UpdateOperator, UpdateOrgUnit};
use siso_app::keys::CreateApiKey;
use siso_domain::api_key::ApiKey;
use siso_domain::audit::AuditEvent;
use siso_domain::ids::{OperatorId, OrgUnitId, PersonId};
use siso_domain::org::OrgUnitKind;

use crate::errors::{UserError, field_error, to_graphql_error, to_user_errors};
use crate::query::{actor, app};
use crate::scalars::{ApiKeyRef, global_id, id, parse_id, record_global_id};
use crate::types::{OperatorNode, OrgUnitNode};

/// A new organisation unit.
#[derive(InputObject)]
pub struct CreateOrgUnitInput {
    /// The unit above it.
    pub parent_id: ID,
    /// Its kind.
    pub kind: OrgUnitKind,
    pub name: String,
    pub istat_code: Option<String>,
    pub cadastral_code: Option<String>,
    pub inps_ente_code: Option<String>,
}

/// Corrections to a unit's name and national codes; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateOrgUnitInput {
    pub org_unit_id: ID,
    pub name: Option<String>,
    /// ISTAT code of a comune (six digits).
    pub istat_code: Option<String>,
    /// Cadastral (Belfiore) code: a letter and three digits.
    pub cadastral_code: Option<String>,
    /// INPS *codice ente* (1 to 32 letters or digits).
    pub inps_ente_code: Option<String>,
}

/// A new operator.
#[derive(InputObject)]
pub struct CreateOperatorInput {
    /// Home unit; the role is granted there.
    pub org_unit_id: ID,
    /// Login name: 3 to 64 lower-case letters, digits, `.`, `_` or `-`.
    pub username: String,
    pub display_name: String,
    /// Codice fiscale (INPS's *CFOperatore*, needed for the INPS flows).
    pub fiscal_code: Option<String>,
    /// The role in the home unit.
    pub role: String,
}

/// Changes to an operator; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateOperatorInput {
    pub operator_id: ID,
    pub display_name: Option<String>,
    pub fiscal_code: Option<String>,
}

/// The result of a change to an operator.
#[derive(SimpleObject)]
pub struct OperatorPayload {
    /// The operator, when the change was made.
    pub operator: Option<OperatorNode>,
    /// What to fix, when it was not.
    pub errors: Vec<UserError>,
}

/// The result of creating or correcting a unit.
#[derive(SimpleObject)]
pub struct OrgUnitPayload {
    /// The unit, when it was created.
    pub org_unit: Option<OrgUnitNode>,
    /// What to fix, when it was not.
    pub errors: Vec<UserError>,
}

/// The result of granting or revoking a role.
#[derive(SimpleObject)]
pub struct GrantPayload {
    /// The operator's roles after the change.
    pub grants: Option<Vec<RoleGrantNode>>,
    /// What to fix, when nothing changed.
    pub errors: Vec<UserError>,
}

/// A role held in a unit (rights flow down from it).
#[derive(SimpleObject)]
#[graphql(name = "RoleGrant")]
pub struct RoleGrantNode {
    pub role: String,
    pub org_unit_id: ID,
}

impl From<RoleGrant> for RoleGrantNode {
    fn from(g: RoleGrant) -> Self {
        Self { role: g.role, org_unit_id: id(g.org_unit_id) }
    }
}

/// One access-log event.
#[derive(SimpleObject)]
#[graphql(name = "AccessEvent")]
pub struct AccessEventNode {
    /// The event's position in the access log.
    pub id: ID,
    pub at: DateTime<Utc>,
    /// The operator's username, an API client or `system`.
    pub actor: String,
    pub org_unit_id: Option<ID>,
    /// `case.open`, `intervention.authorise`, `person.read`...
    pub action: String,
    pub record_kind: String,
    pub record_id: Option<ID>,
    pub purpose: Option<String>,
}

impl AccessEventNode {
    fn new(event_id: i64, e: AuditEvent) -> Self {
        Self {
            id: global_id("AccessEvent", event_id),
            at: e.at,
            actor: e.actor_label,
            org_unit_id: e.org_unit_id.map(id),
            action: e.action,
            record_id: e.record_id.map(|r| record_global_id(&e.record_kind, r)),
            record_kind: e.record_kind,
            purpose: e.purpose,
        }
    }
}

/// An API key (never its secret).
#[derive(SimpleObject)]
#[graphql(name = "ApiKey")]
pub struct ApiKeyNode {
    pub id: ID,
    pub name: String,
    /// The public part of the key (`siso_<prefix>_…`), to recognise it in lists and logs.
    pub prefix: String,
    pub org_unit_id: ID,
    pub roles: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyNode {
    fn new(k: ApiKey, roles: Vec<String>) -> Self {
        Self {
            id: id(ApiKeyRef(k.id)),
            name: k.name,
            prefix: k.prefix,
            org_unit_id: id(k.org_unit_id),
            roles,
            created_by: k.created_by,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new API key for a machine client.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub name: String,
    /// The unit it acts for; its roles hold there and below.
    pub org_unit_id: ID,
    pub roles: Vec<String>,
    /// At most two years ahead.
    pub expires_at: DateTime<Utc>,
}

/// The result of creating a key: the key itself is in `key`, shown this once.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub api_key: Option<ApiKeyNode>,
    /// The key to give the client (`Authorization: Bearer <key>`); it cannot be shown again.
    pub key: Option<String>,
    pub errors: Vec<UserError>,
}

/// The result of binding an identity to an operator.
#[derive(SimpleObject)]
pub struct LinkIdentityPayload {
    /// Whether the identity is now bound.
    pub linked: bool,
    pub errors: Vec<UserError>,
}

/// The result of revoking a key.
#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    pub api_key: Option<ApiKeyNode>,
    pub errors: Vec<UserError>,
}

fn bad_id(field: &str) -> UserError {
    field_error("INVALID_ID", field, "not a valid id")
}

/// Administration reads.
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// The roles an operator holds (for unit administrators and the operator).
    async fn role_grants(&self, ctx: &Context<'_>, operator_id: ID) -> Result<Vec<RoleGrantNode>> {
        let Some(op) = parse_id::<OperatorId>(&operator_id) else { return Ok(Vec::new()) };
        match app(ctx)?.role_grants(actor(ctx)?, op).await {
            Ok(v) => Ok(v.into_iter().map(RoleGrantNode::from).collect()),
            Err(siso_app::AppError::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(to_graphql_error(e)),
        }
    }

    /// Who accessed a person's data, when and why (the data-protection officer: the auditor
    /// role), oldest first, a page at a time. A person out of reach answers like a missing one:
    /// an empty page.
    #[graphql(complexity = "crate::query::page_complexity(first, last, child_complexity)")]
    async fn access_log(
        &self,
        ctx: &Context<'_>,
        person_id: ID,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Connection<String, AccessEventNode, EmptyFields, EmptyFields>> {
        let (app, actor) = (app(ctx)?, actor(ctx)?);
        let person = parse_id::<PersonId>(&person_id);
        query(after, before, first, last, |after: Option<String>, before: Option<String>, first, last| async move {
            let empty = Connection::new(false, false);
            let Some(p) = person else { return Ok(empty) };
            let req = crate::query::page_request(after, before, first, last)?;
            match app.access_log_of(actor, p, &req).await {
                Ok(page) => {
                    let mut conn = Connection::new(page.has_previous, page.has_next);
                    conn.edges.extend(
                        page.items.into_iter().map(|(id, e)| Edge::new(id.to_string(), AccessEventNode::new(id, e))),
                    );
                    Ok::<_, async_graphql::Error>(conn)
                }
                Err(siso_app::AppError::NotFound { .. }) => Ok(empty),
                Err(e) => Err(to_graphql_error(e)),
            }
        })
        .await
    }
}

#[Object]
impl ApiKeysQuery {
    /// The API keys of the units one administers.
    async fn api_keys(&self, ctx: &Context<'_>) -> Result<Vec<ApiKeyNode>> {
        let app = app(ctx)?;
        let keys = app.api_keys(actor(ctx)?).await.map_err(to_graphql_error)?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            let roles = app.api_key_roles(k.id).await.map_err(to_graphql_error)?;
            out.push(ApiKeyNode::new(k, roles));
        }
        Ok(out)
    }
}

/// Reads of API keys.
#[derive(Default)]
pub struct ApiKeysQuery;

/// Administration writes.
#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Creates an organisation unit under another (needs `org/manage` in the parent).
    async fn create_org_unit(&self, ctx: &Context<'_>, input: CreateOrgUnitInput) -> Result<OrgUnitPayload> {
        let err = |e: UserError| Ok(OrgUnitPayload { org_unit: None, errors: vec![e] });
        let Some(parent) = parse_id::<OrgUnitId>(&input.parent_id) else { return err(bad_id("parentId")) };
        let cmd = CreateOrgUnit {
            parent_id: parent,
            kind: input.kind,
            name: input.name,
            istat_code: input.istat_code,
            cadastral_code: input.cadastral_code,
            inps_ente_code: input.inps_ente_code,
        };
        match app(ctx)?.create_org_unit(actor(ctx)?, cmd).await {
            Ok(u) => Ok(OrgUnitPayload { org_unit: Some(OrgUnitNode(u)), errors: Vec::new() }),
            Err(e) => Ok(OrgUnitPayload { org_unit: None, errors: to_user_errors(e)? }),
        }
    }

    /// Corrects a unit's name and national codes (needs `org/manage` in the unit).
    async fn update_org_unit(&self, ctx: &Context<'_>, input: UpdateOrgUnitInput) -> Result<OrgUnitPayload> {
        let Some(unit) = parse_id::<OrgUnitId>(&input.org_unit_id) else {
            return Ok(OrgUnitPayload { org_unit: None, errors: vec![bad_id("orgUnitId")] });
        };
        let cmd = UpdateOrgUnit {
            name: input.name,
            istat_code: input.istat_code,
            cadastral_code: input.cadastral_code,
            inps_ente_code: input.inps_ente_code,
        };
        match app(ctx)?.update_org_unit(actor(ctx)?, unit, cmd).await {
            Ok(u) => Ok(OrgUnitPayload { org_unit: Some(OrgUnitNode(u)), errors: Vec::new() }),
            Err(e) => Ok(OrgUnitPayload { org_unit: None, errors: to_user_errors(e)? }),
        }
    }

    /// Creates an operator with a role in their home unit (needs `org/manage` there).
    async fn create_operator(&self, ctx: &Context<'_>, input: CreateOperatorInput) -> Result<OperatorPayload> {
        let Some(unit) = parse_id::<OrgUnitId>(&input.org_unit_id) else {
            return Ok(OperatorPayload { operator: None, errors: vec![bad_id("orgUnitId")] });
        };
        let cmd = CreateOperator {
            org_unit_id: unit,
            username: input.username,
            display_name: input.display_name,
            fiscal_code: input.fiscal_code,
            role: input.role,
        };
        operator_payload(app(ctx)?.create_operator(actor(ctx)?, cmd).await)
    }

    /// Changes an operator's name or codice fiscale (needs `org/manage` in the operator's home
    /// unit; never for oneself).
    async fn update_operator(&self, ctx: &Context<'_>, input: UpdateOperatorInput) -> Result<OperatorPayload> {
        let cmd = UpdateOperator { display_name: input.display_name, fiscal_code: input.fiscal_code, active: None };
        update_operator(ctx, &input.operator_id, cmd).await
    }

    /// Stops an operator from signing in, at once and in every process (the same rights as
    /// `updateOperator`); their API keys stop with them. The record and its history stay.
    async fn deactivate_operator(&self, ctx: &Context<'_>, operator_id: ID) -> Result<OperatorPayload> {
        update_operator(ctx, &operator_id, UpdateOperator { active: Some(false), ..Default::default() }).await
    }

    /// Lets a deactivated operator sign in again (the same rights as `updateOperator`).
    async fn reactivate_operator(&self, ctx: &Context<'_>, operator_id: ID) -> Result<OperatorPayload> {
        update_operator(ctx, &operator_id, UpdateOperator { active: Some(true), ..Default::default() }).await
    }

    /// Gives an operator a role in a unit (needs `org/manage` there and in the operator's home
    /// unit; never to oneself).
    async fn grant_role(
        &self,
        ctx: &Context<'_>,
        operator_id: ID,
        role: String,
        org_unit_id: ID,
    ) -> Result<GrantPayload> {
        change(ctx, operator_id, role, org_unit_id, true).await
    }

    /// Creates an API key for a machine client (needs `org/manage` in its unit); the key is
    /// returned this once.
    async fn create_api_key(&self, ctx: &Context<'_>, input: CreateApiKeyInput) -> Result<CreateApiKeyPayload> {
        let err = |e: UserError| Ok(CreateApiKeyPayload { api_key: None, key: None, errors: vec![e] });
        let Some(unit) = parse_id::<OrgUnitId>(&input.org_unit_id) else { return err(bad_id("orgUnitId")) };
        let cmd =
            CreateApiKey { name: input.name, org_unit_id: unit, roles: input.roles, expires_at: input.expires_at };
        let app = app(ctx)?;
        match app.create_api_key(actor(ctx)?, cmd).await {
            Ok((k, key)) => {
                let roles = app.api_key_roles(k.id).await.map_err(to_graphql_error)?;
                Ok(CreateApiKeyPayload { api_key: Some(ApiKeyNode::new(k, roles)), key: Some(key), errors: Vec::new() })
            }
            Err(e) => Ok(CreateApiKeyPayload { api_key: None, key: None, errors: to_user_errors(e)? }),
        }
    }

    /// Revokes an API key at once.
    async fn revoke_api_key(&self, ctx: &Context<'_>, api_key_id: ID) -> Result<ApiKeyPayload> {
        let Some(ApiKeyRef(kid)) = parse_id::<ApiKeyRef>(&api_key_id) else {
            return Ok(ApiKeyPayload { api_key: None, errors: vec![bad_id("apiKeyId")] });
        };
        let app = app(ctx)?;
        match app.revoke_api_key(actor(ctx)?, kid).await {
            Ok(k) => Ok(ApiKeyPayload { api_key: Some(ApiKeyNode::new(k, Vec::new())), errors: Vec::new() }),
            Err(e) => Ok(ApiKeyPayload { api_key: None, errors: to_user_errors(e)? }),
        }
    }

    /// Binds an OpenID Connect identity (the provider's issuer and the person's subject) to an
    /// operator, so the provider's tokens sign them in (needs `org/manage` in the operator's home
    /// unit; never for oneself).
    async fn link_identity(
        &self,
        ctx: &Context<'_>,
        operator_id: ID,
        issuer: String,
        subject: String,
    ) -> Result<LinkIdentityPayload> {
        let Some(op) = parse_id::<OperatorId>(&operator_id) else {
            return Ok(LinkIdentityPayload { linked: false, errors: vec![bad_id("operatorId")] });
        };
        match app(ctx)?.link_identity(actor(ctx)?, op, &issuer, &subject).await {
            Ok(()) => Ok(LinkIdentityPayload { linked: true, errors: Vec::new() }),
            Err(e) => Ok(LinkIdentityPayload { linked: false, errors: to_user_errors(e)? }),
        }
    }

    /// Takes a role back (the same rights as granting it).
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        operator_id: ID,
        role: String,
        org_unit_id: ID,
    ) -> Result<GrantPayload> {
        change(ctx, operator_id, role, org_unit_id, false).await
    }
}

fn operator_payload(r: siso_app::AppResult<siso_domain::org::Operator>) -> Result<OperatorPayload> {
    match r {
        Ok(op) => Ok(OperatorPayload { operator: Some(OperatorNode(op)), errors: Vec::new() }),
        Err(e) => Ok(OperatorPayload { operator: None, errors: to_user_errors(e)? }),
    }
}

async fn update_operator(ctx: &Context<'_>, operator_id: &ID, cmd: UpdateOperator) -> Result<OperatorPayload> {
    let Some(op) = parse_id::<OperatorId>(operator_id) else {
        return Ok(OperatorPayload { operator: None, errors: vec![bad_id("operatorId")] });
    };
    operator_payload(app(ctx)?.update_operator(actor(ctx)?, op, cmd).await)
}

async fn change(
    ctx: &Context<'_>,
    operator_id: ID,
    role: String,
    org_unit_id: ID,
    grant: bool,
) -> Result<GrantPayload> {
    let err = |e: UserError| Ok(GrantPayload { grants: None, errors: vec![e] });
    let Some(op) = parse_id::<OperatorId>(&operator_id) else { return err(bad_id("operatorId")) };
    let Some(unit) = parse_id::<OrgUnitId>(&org_unit_id) else { return err(bad_id("orgUnitId")) };
    let (app, actor) = (app(ctx)?, actor(ctx)?);
    let r = if grant {
        app.grant_role(actor, op, &role, unit).await
    } else {
        app.revoke_role(actor, op, &role, unit).await
    };
    match r {
        Ok(()) => {
            let grants = app.role_grants(actor, op).await.map_err(to_graphql_error)?;
            Ok(GrantPayload { grants: Some(grants.into_iter().map(RoleGrantNode::from).collect()), errors: Vec::new() })
        }
        Err(e) => Ok(GrantPayload { grants: None, errors: to_user_errors(e)? }),
    }
}
