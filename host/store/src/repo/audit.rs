//! The access log: who read or changed which person's data, and why.

use chrono::DateTime;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use sha2::{Digest, Sha256};
use siso_domain::ids::{OperatorId, OrgUnitId, PersonId};

use super::Conn;
use crate::entities::{audit_chain_head, audit_events};
use crate::error::StoreError;
pub use siso_domain::audit::AuditEvent;

/// The hash before the first event of the chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an event chained after `prev`: SHA-256 over the previous hash and every field,
/// each length-prefixed so no two different events serialise alike. The time enters in whole
/// microseconds, the precision both databases keep.
pub fn chain_hash(prev: &str, e: &AuditEvent) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    field(prev.as_bytes());
    field(e.at.timestamp_micros().to_string().as_bytes());
    field(opt(e.actor.map(|o| o.0)).as_bytes());
    field(e.actor_label.as_bytes());
    field(opt(e.org_unit_id.map(|o| o.0)).as_bytes());
    field(e.action.as_bytes());
    field(e.record_kind.as_bytes());
    field(opt(e.record_id).as_bytes());
    field(opt(e.person_id.map(|p| p.0)).as_bytes());
    field(e.purpose.as_deref().unwrap_or("\u{0}none").as_bytes());
    hex(&h.finalize())
}

/// Lower-case hexadecimal, two digits a byte (what the chain stores).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Appends an event to the chain (in the caller's transaction, so it commits or rolls back
/// with the change it records). The chain's head row is locked until the transaction ends.
pub async fn append(c: &impl Conn, e: &AuditEvent) -> Result<(), StoreError> {
    append_many(c, std::slice::from_ref(e)).await
}

/// Appends several events in order with one lock of the head, one multi-row insert and one
/// head update (the read log of a request).
pub async fn append_many(c: &impl Conn, events: &[AuditEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let head = audit_chain_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(c.db())
        .await?
        .ok_or_else(|| StoreError::Corrupt("the access log's chain head is missing".into()))?;
    let mut last = head.last_hash.clone();
    let mut models = Vec::with_capacity(events.len());
    for e in events {
        let mut e = e.clone();
        e.at = DateTime::from_timestamp_micros(e.at.timestamp_micros()).unwrap_or(e.at);
        let hash = chain_hash(&last, &e);
        models.push(audit_events::ActiveModel {
            occurred_at: Set(e.at),
            actor_operator_id: Set(e.actor.map(|o| o.0)),
            actor_label: Set(e.actor_label.clone()),
            org_unit_id: Set(e.org_unit_id.map(|o| o.0)),
            action: Set(e.action.clone()),
            record_kind: Set(e.record_kind.clone()),
            record_id: Set(e.record_id),
            person_id: Set(e.person_id.map(|p| p.0)),
            purpose: Set(e.purpose.clone()),
            prev_hash: Set(Some(last.clone())),
            hash: Set(Some(hash.clone())),
            ..Default::default()
        });
        last = hash;
    }
    // Ids follow the order of the rows, which is the order of the chain.
    for chunk in models.chunks(500) {
        audit_events::Entity::insert_many(chunk.to_vec()).exec_without_returning(c.db()).await?;
    }
    audit_chain_head::Entity::update(audit_chain_head::ActiveModel {
        id: Set(1),
        last_hash: Set(last),
        events: Set(head.events + events.len() as i64),
    })
    .exec(c.db())
    .await?;
    Ok(())
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainReport {
    /// Events checked on the chain.
    pub checked: u64,
    /// Events written before the chain existed (no hash).
    pub unchained: u64,
    /// Every break found: the event id (or none for the head) and what is wrong.
    pub breaks: Vec<(Option<i64>, String)>,
}

impl ChainReport {
    /// True when the chain is intact.
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// The chain's head: how many events it holds and the newest hash.
pub async fn head(c: &impl Conn) -> Result<(u64, String), StoreError> {
    let h = audit_chain_head::Entity::find_by_id(1)
        .one(c.db())
        .await?
        .ok_or_else(|| StoreError::Corrupt("the access log's chain head is missing".into()))?;
    Ok((u64::try_from(h.events).unwrap_or_default(), h.last_hash))
}

/// Checks the whole chain, oldest first, in pages: every event's hash over its fields, every
/// link to the event before, and the head (so events cut off the end are found too).
pub async fn verify(c: &impl Conn) -> Result<ChainReport, StoreError> {
    verify_against(c, None).await
}

/// [`verify`], and the chain against a checkpoint signed outside the database: its first
/// `events` events must end in the checkpoint's hash. Whoever can write the database can
/// recompute every hash after removing or editing an event, but not the checkpoint.
pub async fn verify_against(c: &impl Conn, checkpoint: Option<(u64, &str)>) -> Result<ChainReport, StoreError> {
    let mut report = ChainReport::default();
    let mut prev: Option<String> = None;
    let mut after = i64::MIN;
    loop {
        let rows = audit_events::Entity::find()
            .filter(audit_events::Column::Id.gt(after))
            .order_by_asc(audit_events::Column::Id)
            .limit(1000)
            .all(c.db())
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for m in rows {
            let (Some(stored_prev), Some(stored_hash)) = (m.prev_hash.clone(), m.hash.clone()) else {
                if prev.is_some() {
                    report.breaks.push((Some(m.id), "event without a hash inside the chain".into()));
                } else {
                    report.unchained += 1;
                }
                continue;
            };
            let expected_prev = prev.clone().unwrap_or_else(|| GENESIS.to_string());
            if stored_prev != expected_prev {
                report
                    .breaks
                    .push((Some(m.id), "does not follow the event before it (one removed or reordered)".into()));
            }
            let id = m.id;
            let event = to_event(m);
            if chain_hash(&stored_prev, &event) != stored_hash {
                report.breaks.push((Some(id), "its fields do not match its hash (edited)".into()));
            }
            report.checked += 1;
            if let Some((n, hash)) = checkpoint
                && n == report.checked
                && stored_hash != hash
            {
                report.breaks.push((
                    Some(id),
                    format!("the chain up to event {n} differs from the signed checkpoint (events rewritten)"),
                ));
            }
            prev = Some(stored_hash);
        }
    }
    if let Some((n, _)) = checkpoint
        && report.checked < n
    {
        report.breaks.push((None, format!("the chain holds {} events, the signed checkpoint {n}", report.checked)));
    }
    let head = audit_chain_head::Entity::find_by_id(1).one(c.db()).await?;
    match head {
        None => report.breaks.push((None, "the chain head is missing".into())),
        Some(h) => {
            if h.last_hash != prev.unwrap_or_else(|| GENESIS.to_string()) || h.events as u64 != report.checked {
                report
                    .breaks
                    .push((None, "the newest events do not match the chain head (events removed from the end)".into()));
            }
        }
    }
    Ok(report)
}

fn to_event(m: audit_events::Model) -> AuditEvent {
    AuditEvent {
        at: m.occurred_at,
        actor: m.actor_operator_id.map(OperatorId),
        actor_label: m.actor_label,
        org_unit_id: m.org_unit_id.map(OrgUnitId),
        action: m.action,
        record_kind: m.record_kind,
        record_id: m.record_id,
        person_id: m.person_id.map(PersonId),
        purpose: m.purpose,
    }
}

/// A page of the events about a person, by id (oldest first), each with its id.
pub async fn page_of_person(
    c: &impl Conn,
    person: PersonId,
    req: &crate::page::PageRequest,
) -> Result<crate::page::Page<(i64, AuditEvent)>, StoreError> {
    let select = audit_events::Entity::find().filter(audit_events::Column::PersonId.eq(person.0));
    let rows = crate::page::apply(select, audit_events::Column::Id, req).all(c.db()).await?;
    let rows = rows.into_iter().map(|m| (m.id, to_event(m))).collect();
    Ok(crate::page::Page::from_fetched(rows, req))
}

/// Events about a person, oldest first.
pub async fn of_person(c: &impl Conn, person: PersonId) -> Result<Vec<AuditEvent>, StoreError> {
    let rows = audit_events::Entity::find()
        .filter(audit_events::Column::PersonId.eq(person.0))
        .order_by_asc(audit_events::Column::Id)
        .all(c.db())
        .await?;
    Ok(rows.into_iter().map(to_event).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&bytes), expected);
    }
}
