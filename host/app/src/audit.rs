//! Access-log events, written in the same transaction as the change they record.

use siso_domain::clock::Clock;
use siso_domain::ids::PersonId;
use siso_store::repo::Conn;
use siso_store::repo::audit::{AuditEvent, append};

use crate::actor::Actor;
use crate::error::AppResult;

/// Records that `actor` did `action` on a record of `person`.
pub async fn record(
    c: &impl Conn,
    clock: &dyn Clock,
    actor: &Actor,
    action: &str,
    record_kind: &str,
    record_id: i64,
    person: Option<PersonId>,
) -> AppResult<()> {
    let event = AuditEvent {
        at: clock.now(),
        actor: actor.operator_id,
        actor_label: actor.label.clone(),
        org_unit_id: Some(actor.org_unit_id),
        action: action.into(),
        record_kind: record_kind.into(),
        record_id: Some(record_id),
        person_id: person,
        purpose: None,
    };
    append(c, &event).await?;
    Ok(())
}
