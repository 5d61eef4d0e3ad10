//! Administration of the tenancy: organisation units and role grants. Each change is one
//! transaction with its access-log event and a bump of the policy generation; the process that
//! made it reloads the policy at once, the others within their poll interval.

use siso_domain::DomainError;
use siso_domain::ids::{OperatorId, OrgUnitId, PersonId};
use siso_domain::org::{self, Operator, OrgUnit, OrgUnitKind};
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

/// Changes to a unit's name and national codes; what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct UpdateOrgUnit {
    /// Name.
    pub name: Option<String>,
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

/// A new operator: a person who signs in and works in `org_unit_id` with `role`.
#[derive(Debug, Clone)]
pub struct CreateOperator {
    /// Home unit; the role is granted there.
    pub org_unit_id: OrgUnitId,
    /// Login name (unique in the installation).
    pub username: String,
    /// Name shown to colleagues.
    pub display_name: String,
    /// Codice fiscale (INPS's *CFOperatore*; unique: it also signs the operator in through a
    /// broker that verifies it).
    pub fiscal_code: Option<String>,
    /// The role in the home unit.
    pub role: String,
}

/// Changes to an operator's record; what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct UpdateOperator {
    /// Name shown to colleagues.
    pub display_name: Option<String>,
    /// Codice fiscale.
    pub fiscal_code: Option<String>,
    /// Whether the operator may sign in.
    pub active: Option<bool>,
}

fn check_role(role: &str) -> AppResult<()> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(DomainError::field("UNKNOWN_ROLE", "role", format!("unknown role; one of {}", ROLES.join(", "))).into())
    }
}

/// The operator `id` if the actor manages organisation in their home unit (else missing, as a
/// missing one), and never the actor: administrators do not `doing` (logged when refused).
async fn another_managed_operator(
    c: &impl siso_store::repo::Conn,
    actor: &Actor,
    id: OperatorId,
    doing: &str,
) -> AppResult<Operator> {
    let op = org_repo::get_operator(c, id)
        .await?
        .filter(|o| actor.access.allows(Action::ManageOrg, o.org_unit_id))
        .ok_or(AppError::not_found("operator", "operatorId"))?;
    if actor.operator_id == Some(op.id) {
        tracing::warn!(actor = %actor.label, "denied: {doing}");
        return Err(AppError::Forbidden);
    }
    Ok(op)
}

/// Refuses a codice fiscale another operator than `except` already has.
async fn check_fiscal_code_free(
    c: &impl siso_store::repo::Conn,
    fiscal_code: Option<&str>,
    except: Option<OperatorId>,
) -> AppResult<()> {
    let Some(cf) = fiscal_code else { return Ok(()) };
    match org_repo::operator_by_fiscal_code(c, cf).await? {
        Some(other) if Some(other.id) != except => {
            Err(DomainError::field("FISCAL_CODE_TAKEN", "fiscalCode", "another operator has this codice fiscale")
                .into())
        }
        _ => Ok(()),
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

    /// Corrects a unit's name and national codes (the ISTAT, cadastral and INPS codes the
    /// flows need); needs the right to manage organisation in the unit. The same rules as a
    /// new unit.
    pub async fn update_org_unit(&self, actor: &Actor, unit: OrgUnitId, cmd: UpdateOrgUnit) -> AppResult<OrgUnit> {
        let tx = self.store().begin().await?;
        let current =
            org_repo::get_unit(&tx, unit).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::ManageOrg, unit)?;
        let mut next = current.clone();
        if let Some(name) = cmd.name {
            next.name = name.trim().to_string();
        }
        next.istat_code = cmd.istat_code.or(next.istat_code);
        next.cadastral_code = cmd.cadastral_code.or(next.cadastral_code);
        next.inps_ente_code = cmd.inps_ente_code.or(next.inps_ente_code);
        // The parent's kind is not asked again: the unit's place does not change.
        org::validate_new_unit(
            next.kind,
            None,
            &next.name,
            next.istat_code.as_deref(),
            next.cadastral_code.as_deref(),
            next.inps_ente_code.as_deref(),
        )?;
        if next != current {
            org_repo::update_unit(&tx, &next).await?;
            audit::record(&tx, self.clock(), actor, "org_unit.update", "org_unit", unit.0, None).await?;
        }
        tx.commit().await?;
        self.authz().refresh().await?;
        Ok(next)
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
        let op = another_managed_operator(&tx, actor, operator, "binding an identity to oneself").await?;
        org_repo::link_identity(&tx, op.id, issuer, subject, self.clock().now()).await?;
        audit::record(&tx, self.clock(), actor, "operator.link_identity", "operator", op.id.0, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an operator with a role in their home unit; needs the right to manage
    /// organisation there. Login names and codici fiscali are unique.
    pub async fn create_operator(&self, actor: &Actor, cmd: CreateOperator) -> AppResult<Operator> {
        check_role(&cmd.role)?;
        org::validate_username(&cmd.username)?;
        let fiscal_code = org::validate_operator(&cmd.display_name, cmd.fiscal_code.as_deref())?;
        let tx = self.store().begin().await?;
        org_repo::get_unit(&tx, cmd.org_unit_id).await?.ok_or(AppError::not_found("organisation unit", "orgUnitId"))?;
        check(actor, Action::ManageOrg, cmd.org_unit_id)?;
        if org_repo::operator_by_username(&tx, &cmd.username).await?.is_some() {
            return Err(DomainError::field("USERNAME_TAKEN", "username", "this login name is already used").into());
        }
        check_fiscal_code_free(&tx, fiscal_code.as_deref(), None).await?;
        let op = org_repo::insert_operator(
            &tx,
            cmd.org_unit_id,
            &cmd.username,
            cmd.display_name.trim(),
            &cmd.role,
            fiscal_code.as_deref(),
            self.clock().now(),
        )
        .await?;
        audit::record(&tx, self.clock(), actor, "operator.create", "operator", op.id.0, None).await?;
        tx.commit().await?;
        self.authz().refresh().await?;
        Ok(op)
    }

    /// Changes an operator's name, codice fiscale or whether they may sign in; needs the right
    /// to manage organisation in the operator's home unit, never for oneself. A deactivated
    /// operator is signed out of every process (the policy generation moves) and their API
    /// keys stop working with them.
    pub async fn update_operator(
        &self,
        actor: &Actor,
        operator: OperatorId,
        cmd: UpdateOperator,
    ) -> AppResult<Operator> {
        let tx = self.store().begin().await?;
        let op = another_managed_operator(&tx, actor, operator, "changing one's own operator record").await?;
        let display_name = cmd.display_name.unwrap_or_else(|| op.display_name.clone()).trim().to_string();
        let fiscal_code = cmd.fiscal_code.or_else(|| op.fiscal_code.clone());
        let fiscal_code = org::validate_operator(&display_name, fiscal_code.as_deref())?;
        check_fiscal_code_free(&tx, fiscal_code.as_deref(), Some(op.id)).await?;
        let active = cmd.active.unwrap_or(op.active);
        org_repo::update_operator(&tx, op.id, &display_name, fiscal_code.as_deref(), active).await?;
        let action = match (op.active, active) {
            (true, false) => "operator.deactivate",
            (false, true) => "operator.reactivate",
            _ => "operator.update",
        };
        audit::record(&tx, self.clock(), actor, action, "operator", op.id.0, None).await?;
        tx.commit().await?;
        self.authz().refresh().await?;
        Ok(Operator { display_name, fiscal_code, active, ..op })
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
