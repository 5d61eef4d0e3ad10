//! Administration of the tenancy: organisation units and role grants. Each change is one
//! transaction with its access-log event and a bump of the policy generation; the process that
//! made it reloads the policy at once, the others within their poll interval.

use siso_domain::DomainError;
use siso_domain::ids::{OperatorId, OrgUnitId, PersonId};
use siso_domain::org::{self, OrgUnit, OrgUnitKind};
use siso_store::repo::audit::AuditEvent;
use siso_store::repo::authz::{self as authz_repo, Rule};
use siso_store::repo::org::{self as org_repo, NewOrgUnit, operator_subject};
use siso_store::{Page, PageRequest};

use crate::authz::{Action, ROLES, check};
use crate::error::{AppError, AppResult};
use crate::{Actor, App, audit};

/// A new organisation unit under an existing one.
#[derive(Debug, Clone)]
pub struct CreateOrgUnit {
    /// The parent unit.
    pub parent_id: OrgUnitId,
    /// Kind.
    pub kind: OrgUnitKind,
    /// Name.
    pub name: String,
    /// ISTAT code of a comune.
    pub istat_code: Option<String>,
    /// Cadastral (Belfiore) code.
    pub cadastral_code: Option<String>,
    /// INPS *codice ente*.
    pub inps_ente_code: Option<String>,
}

/// A role held by a subject in a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    /// The role code.
    pub role: String,
    /// The unit (rights flow down from it).
    pub org_unit_id: OrgUnitId,
}

fn check_role(role: &str) -> AppResult<()> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(DomainError::field("UNKNOWN_ROLE", "role", format!("unknown role; one of {}", ROLES.join(", "))).into())
    }
}

impl App {
    /// Creates a unit under `parent_id`; needs the right to manage organisation in the parent.
    pub async fn create_org_unit(&self, actor: &Actor, cmd: CreateOrgUnit) -> AppResult<OrgUnit> {
        let name = cmd.name.trim().to_string();
        let tx = self.store().begin().await?;
        let parent = org_repo::get_unit(&tx, cmd.parent_id)
            .await?
            .ok_or(AppError::not_found("organisation unit", "parentId"))?;
        check(actor, Action::ManageOrg, cmd.parent_id)?;
        // After the check: the parent's kind is told only to who may manage it.
        org::validate_new_unit(
            cmd.kind,
            Some(parent.kind),
            &name,
            cmd.istat_code.as_deref(),
            cmd.cadastral_code.as_deref(),
            cmd.inps_ente_code.as_deref(),
        )?;
        let unit = org_repo::insert_unit(
            &tx,
            NewOrgUnit {
                parent_id: Some(cmd.parent_id),
                kind: cmd.kind,
                name,
                istat_code: cmd.istat_code,
                cadastral_code: cmd.cadastral_code,
                inps_ente_code: cmd.inps_ente_code,
                fiscal_code: None,
            },
            self.clock().now(),
        )
        .await?;
        audit::record(&tx, self.clock(), actor, "org_unit.create", "org_unit", unit.id.0, None).await?;
        tx.commit().await?;
        self.authz().refresh().await?;
        Ok(unit)
    }

    /// The roles an operator holds; visible to whoever manages organisation in the operator's
    /// home unit, and to the operator.
    pub async fn role_grants(&self, actor: &Actor, operator: OperatorId) -> AppResult<Vec<RoleGrant>> {
        let op = org_repo::get_operator(self.store(), operator)
            .await?
            .filter(|o| actor.operator_id == Some(o.id) || actor.access.allows(Action::ManageOrg, o.org_unit_id))
            .ok_or(AppError::not_found("operator", "operatorId"))?;
        let lines = authz_repo::grants_of(self.store(), &operator_subject(op.id)).await?;
        Ok(lines
            .into_iter()
            .filter_map(|r| {
                let [_, role, unit] = r.values;
                unit.parse().ok().map(|u| RoleGrant { role, org_unit_id: OrgUnitId(u) })
            })
            .collect())
    }

    /// Gives `operator` the role `role` in `unit`. Needs the right to manage organisation both
    /// in `unit` and in the operator's home unit; nobody grants a role to themselves.
    pub async fn grant_role(&self, actor: &Actor, operator: OperatorId, role: &str, unit: OrgUnitId) -> AppResult<()> {
        self.change_grant(actor, operator, role, unit, true).await
    }

    /// Takes the role back; the same rights as granting it.
    pub async fn revoke_role(&self, actor: &Actor, operator: OperatorId, role: &str, unit: OrgUnitId) -> AppResult<()> {
        self.change_grant(actor, operator, role, unit, false).await
    }

    async fn change_grant(
        &self,
        actor: &Actor,
        operator: OperatorId,
        role: &str,
        unit: OrgUnitId,
        grant: bool,
    ) -> AppResult<()> {
        check_role(role)?;
        let tx = self.store().begin().await?;
        let op = org_repo::get_operator(&tx, operator)
            .await?
            .filter(|o| actor.access.allows(Action::ManageOrg, o.org_unit_id) || actor.operator_id == Some(o.id))
            .ok_or(AppError::not_found("operator", "operatorId"))?;
        org_repo::get_unit(&tx, unit).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        if actor.operator_id == Some(op.id) {
            tracing::warn!(actor = %actor.label, role, org_unit = unit.0, "denied: a grant to oneself");
            return Err(AppError::Forbidden);
        }
        check(actor, Action::ManageOrg, unit)?;
        check(actor, Action::ManageOrg, op.org_unit_id)?;
        let rule = Rule::grant(&operator_subject(op.id), role, &unit.0.to_string());
        let changed = if grant { authz_repo::add(&tx, &rule).await? } else { authz_repo::remove(&tx, &rule).await? };
        if !changed && !grant {
            return Err(AppError::not_found("role grant", "role"));
        }
        if changed {
            authz_repo::bump_generation(&tx).await?;
            let action = if grant { "role.grant" } else { "role.revoke" };
            audit::record(&tx, self.clock(), actor, action, "operator", op.id.0, None).await?;
        }
        tx.commit().await?;
        self.authz().refresh().await?;
        Ok(())
    }

    /// Binds an identity of an OpenID Connect provider (`issuer`, `subject`) to an operator, so
    /// that the provider's tokens with that subject sign the operator in. Needs the right to
    /// manage organisation in the operator's home unit; nobody binds an identity to themselves.
    pub async fn link_identity(
        &self,
        actor: &Actor,
        operator: OperatorId,
        issuer: &str,
        subject: &str,
    ) -> AppResult<()> {
        let (issuer, subject) = (issuer.trim(), subject.trim());
        if issuer.is_empty() || issuer.len() > 300 {
            return Err(DomainError::field("INVALID_ISSUER", "issuer", "an issuer is 1 to 300 characters").into());
        }
        if subject.is_empty() || subject.len() > 255 || subject.chars().any(char::is_control) {
            return Err(DomainError::field("INVALID_SUBJECT", "subject", "a subject is 1 to 255 characters").into());
        }
        let tx = self.store().begin().await?;
        let op = org_repo::get_operator(&tx, operator)
            .await?
            .filter(|o| actor.access.allows(Action::ManageOrg, o.org_unit_id))
            .ok_or(AppError::not_found("operator", "operatorId"))?;
        if actor.operator_id == Some(op.id) {
            tracing::warn!(actor = %actor.label, "denied: binding an identity to oneself");
            return Err(AppError::Forbidden);
        }
        org_repo::link_identity(&tx, op.id, issuer, subject, self.clock().now()).await?;
        audit::record(&tx, self.clock(), actor, "operator.link_identity", "operator", op.id.0, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The operator with a login name (administration tools).
    pub async fn operator_by_username(&self, username: &str) -> AppResult<Option<OperatorId>> {
        Ok(org_repo::operator_by_username(self.store(), username).await?.map(|o| o.id))
    }

    /// The identities bound to an operator, (issuer, subject) (administration tools).
    pub async fn identities_of(&self, operator: OperatorId) -> AppResult<Vec<(String, String)>> {
        Ok(org_repo::identities_of(self.store(), operator).await?)
    }

    /// Who accessed a person's data, when and why: for the data-protection officer (the
    /// auditor role in a unit above the person's).
    /// A page at a time, by event id.
    pub async fn access_log_of(
        &self,
        actor: &Actor,
        person: PersonId,
        page: &PageRequest,
    ) -> AppResult<Page<(i64, AuditEvent)>> {
        let p = siso_store::repo::persons::get(self.store(), person)
            .await?
            .filter(|p| crate::authz::sees(actor, Action::ReadAudit, p.org_unit_id, "person"))
            .ok_or(AppError::not_found("person", "personId"))?;
        Ok(siso_store::repo::audit::page_of_person(self.store(), p.id, page).await?)
    }
}
