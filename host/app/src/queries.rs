//! Read paths. Every read of personal data goes through here, so the authorization check and
//! (with the access-log issue) the read log have one place each.

use siso_domain::ids::OrgUnitId;
use siso_store::Store;

use crate::authz::{Action, check};
use crate::error::AppResult;
use crate::{Actor, App};

impl App {
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
