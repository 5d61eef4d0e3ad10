//! Read paths. Every read of personal data goes through here, so the authorization check and
//! (with the access-log issue) the read log have one place each.

use siso_domain::access::AccessSheet;
use siso_domain::budget::FundingLine;
use siso_domain::case::Case;
use siso_domain::ids::OrgUnitId;
use siso_domain::person::Person;
use siso_store::Store;
use siso_store::repo::interventions::StoredIntervention;

use crate::authz::{Action, check};
use crate::error::AppResult;
use crate::{Actor, App};

/// A record that belongs to an organisation unit: reads of it are authorised against that unit.
pub trait Owned {
    /// The unit that owns the record.
    fn owner(&self) -> OrgUnitId;
}

impl Owned for Person {
    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for Case {
    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for StoredIntervention {
    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for AccessSheet {
    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl Owned for FundingLine {
    fn owner(&self) -> OrgUnitId {
        self.org_unit_id
    }
}

impl App {
    /// Keeps the records the actor may read; the others are dropped exactly as if they did not
    /// exist (a hidden record and a missing one give the same answer).
    pub fn visible<T: Owned>(&self, actor: &Actor, items: Vec<T>) -> Vec<T> {
        items.into_iter().filter(|t| check(actor, Action::Read, t.owner()).is_ok()).collect()
    }

    /// One record, if the actor may read it.
    pub fn visible_one<T: Owned>(&self, actor: &Actor, item: Option<T>) -> Option<T> {
        item.filter(|t| check(actor, Action::Read, t.owner()).is_ok())
    }

    /// The store for reads, after checking the actor may read in `scope`.
    pub fn reader(&self, actor: &Actor, scope: OrgUnitId) -> AppResult<&Store> {
        check(actor, Action::Read, scope)?;
        Ok(self.store())
    }

    /// Ids of `root` and every unit below it.
    pub async fn subtree(&self, root: OrgUnitId) -> AppResult<Vec<OrgUnitId>> {
        let units = siso_store::repo::org::all_units(self.store()).await?;
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(units.iter().filter(|u| u.parent_id == Some(parent)).map(|u| u.id));
            i += 1;
        }
        Ok(out)
    }
}
