//! Read paths. Every read of personal data goes through here, so the authorization check and
//! (with the access-log issue) the read log have one place each.

use siso_domain::access::AccessSheet;
use siso_domain::budget::FundingLine;
use siso_domain::case::Case;
use siso_domain::ids::{CaseId, OrgUnitId};
use siso_domain::person::Person;
use siso_store::repo::Units;
use siso_store::repo::interventions::StoredIntervention;

use crate::audit::Read;
use crate::authz::{Access, Action};
use crate::error::AppResult;
use crate::{Actor, App};

/// A record that belongs to an organisation unit: reads of it are authorised against that unit.
pub trait Owned {
    /// The permission that reads it.
    const READ: Action;
    /// The kind of record, for the counts of what was hidden.
    const KIND: &'static str;
    /// The unit that owns the record.
    fn owner(&self) -> OrgUnitId;

    /// The access-log view of it (`None`: not personal data, not logged).
    fn read(&self) -> Option<Read>;

    /// Whether `access` may read it: by default, a read grant in its unit or above.
    fn readable(&self, access: &Access) -> bool {
        access.allows(Self::READ, self.owner())
    }
}

impl Owned for Person {
    const READ: Action = Action::ReadPerson;
    const KIND: &'static str = "person";

    fn read(&self) -> Option<Read> {
        Some(Read { kind: "person", id: self.id.0, person: Some(self.id), case: None })
    }

    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for Case {
    const READ: Action = Action::ReadCase;
    const KIND: &'static str = "case";

    fn read(&self) -> Option<Read> {
        Some(Read { kind: "case", id: self.id.0, person: Some(self.person_id), case: None })
    }

    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for StoredIntervention {
    const READ: Action = Action::ReadIntervention;
    const KIND: &'static str = "intervention";

    /// Also the staff of the provider it is assigned to.
    fn readable(&self, access: &Access) -> bool {
        access.allows(Self::READ, self.owner()) || access.reads_assigned(self.intervention.provider_id)
    }

    fn read(&self) -> Option<Read> {
        let i = &self.intervention;
        Some(Read { kind: "intervention", id: i.id.0, person: None, case: Some(i.case_id) })
    }

    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for AccessSheet {
    const READ: Action = Action::ReadSheet;
    const KIND: &'static str = "access_sheet";

    fn read(&self) -> Option<Read> {
        Some(Read { kind: "access_sheet", id: self.id.0, person: self.person_id, case: self.case_id })
    }

    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for FundingLine {
    const READ: Action = Action::ReadBudget;
    const KIND: &'static str = "funding_line";

    fn read(&self) -> Option<Read> {
        None
    }

    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }

    /// Budgets are not personal data: an office also sees the lines of the comune, ambito and
    /// region above it, from which its interventions are paid.
    fn readable(&self, access: &Access) -> bool {
        access.allows_up_or_down(Self::READ, self.owner())
    }
}

/// Whether the actor may read `t`; a record it may not is counted as hidden.
pub(crate) fn readable<T: Owned>(actor: &Actor, t: &T) -> bool {
    let ok = t.readable(&actor.access);
    if !ok {
        crate::authz::hidden(actor, T::KIND);
    }
    ok
}

impl App {
    /// Whether the actor reads the parts of an intervention that belong to its case: the plan
    /// and its objectives, the history with its reasons, plug-in results, payments and the
    /// person's economic data. The case's workers do; the staff of the provider it is assigned
    /// to see only what was assigned to them (the service, its period and placements).
    pub fn reads_case_parts(&self, actor: &Actor, i: &StoredIntervention) -> bool {
        self.reads_case_parts_in(actor, i.org_unit_id)
    }

    /// [`App::reads_case_parts`] for an intervention owned by `unit`.
    pub fn reads_case_parts_in(&self, actor: &Actor, unit: OrgUnitId) -> bool {
        actor.access.allows(Action::ReadIntervention, unit)
    }

    /// Whether the actor reads the reasons plug-ins stored about an intervention: plug-in
    /// text may speak of the person's health or circumstances, so it is a sensitive part
    /// (`sensitive/read` in `unit`, the one owning it); others see the outcome and amount only.
    pub fn reads_plugin_reasons_in(&self, actor: &Actor, unit: OrgUnitId) -> bool {
        actor.access.allows(Action::ReadSensitive, unit)
    }

    /// Keeps the records the actor may read; the others are dropped exactly as if they did not
    /// exist (a hidden record and a missing one give the same answer).
    pub fn visible<T: Owned>(&self, actor: &Actor, items: Vec<T>) -> Vec<T> {
        let kept: Vec<T> = items.into_iter().filter(|t| readable(actor, t)).collect();
        if let Some(log) = &actor.reads {
            kept.iter().filter_map(Owned::read).for_each(|r| log.note(r));
        }
        kept
    }

    /// One record, if the actor may read it.
    pub fn visible_one<T: Owned>(&self, actor: &Actor, item: Option<T>) -> Option<T> {
        let kept = item.filter(|t| readable(actor, t));
        if let (Some(log), Some(r)) = (&actor.reads, kept.as_ref().and_then(Owned::read)) {
            log.note(r);
        }
        kept
    }

    /// Notes a read of a sensitive part (health answers), which the access log names apart.
    pub fn note_sensitive_read(&self, actor: &Actor, kind: &'static str, id: i64, case: CaseId) {
        if let Some(log) = &actor.reads {
            log.note(Read { kind, id, person: None, case: Some(case) });
        }
    }

    /// Ids of `root` and every unit below it (empty for an unknown unit).
    pub async fn subtree(&self, root: OrgUnitId) -> AppResult<Vec<OrgUnitId>> {
        Ok(self.authz().tree().await?.subtree(root))
    }

    /// The units a list of records read by `action` is restricted to: those the actor may read,
    /// within the subtree of `within` when a filter asks for it. `None` means no restriction
    /// (the system actor without a filter). A scope of up to [`INLINE_UNITS`] units goes to the
    /// database as their list; a larger one (a region's reader) as the roots of its subtrees,
    /// which the store expands through the materialised closure of the hierarchy.
    pub async fn read_scope(
        &self,
        actor: &Actor,
        action: Action,
        within: Option<OrgUnitId>,
    ) -> AppResult<Option<Units>> {
        let tree = self.authz().tree().await?;
        let roots = match (within, actor.access.scope_roots(action)) {
            (None, None) => return Ok(None),
            (None, Some(granted)) => granted,
            (Some(w), None) => vec![w].into_iter().filter(|&w| tree.contains(w)).collect(),
            // Subtrees are nested or apart: `within` inside a granted one, or granted ones
            // inside `within`.
            (Some(w), Some(granted)) => {
                if tree.ancestors(w).any(|a| granted.contains(&a)) {
                    vec![w]
                } else {
                    granted.into_iter().filter(|&g| tree.ancestors(g).any(|a| a == w)).collect()
                }
            }
        };
        let mut units = Vec::new();
        for &root in &roots {
            units.extend(tree.subtree(root));
            if units.len() > INLINE_UNITS {
                return Ok(Some(Units::Below(roots)));
            }
        }
        Ok(Some(Units::Only(units)))
    }
}

/// The largest scope sent to the database as a list of units.
pub const INLINE_UNITS: usize = 64;

impl App {
    /// The catalogue entries a case of `org` may use: the national ones and those of `org` and
    /// the units above it; every entry without `org`. (The catalogue is not personal data.)
    pub async fn catalogue_for(
        &self,
        org: Option<OrgUnitId>,
    ) -> AppResult<Vec<siso_domain::catalogue::CatalogueEntry>> {
        let all = siso_store::repo::catalogue::all(self.store()).await?;
        let Some(org) = org else { return Ok(all) };
        let tree = self.authz().tree().await?;
        let path: Vec<OrgUnitId> = tree.ancestors(org).collect();
        Ok(all.into_iter().filter(|e| e.serves(path.iter().copied())).collect())
    }
}
