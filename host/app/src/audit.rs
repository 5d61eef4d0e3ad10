//! Access-log events, written in the same transaction as the change they record.

use siso_domain::clock::Clock;
use std::collections::HashSet;
use std::sync::Mutex;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};

use siso_domain::ids::{CaseId, PersonId};
use siso_store::repo::Conn;
use siso_store::repo::audit::{AuditEvent, append};

use crate::App;
use crate::actor::Actor;
use crate::appender::Pending;
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
        actor: actor.accountable(),
        actor_label: actor.label.clone(),
        org_unit_id: Some(actor.org_unit_id),
        action: action.into(),
        record_kind: record_kind.into(),
        record_id: Some(record_id),
        person_id: person,
        purpose: actor.purpose.clone(),
    };
    append(c, &event).await?;
    Ok(())
}

/// One personal record a request read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// `person`, `case`, `intervention`, `access_sheet`, `assessment`...
    pub kind: &'static str,
    /// Its id.
    pub id: i64,
    /// The person whose data it is, when the record says.
    pub person: Option<PersonId>,
    /// The case it belongs to, when the person must be found through it.
    pub case: Option<CaseId>,
}

/// The personal records one request read, each once, in the order first read; and the
/// records it was denied (hidden as missing, or forbidden), counted by kind.
#[derive(Debug, Default)]
pub struct ReadLog {
    reads: Mutex<Noted>,
    denied: Mutex<Denied>,
}

/// What a request was denied: hidden records (answered as missing) and forbidden actions,
/// by kind of record or action. Never ids or personal data.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Denied {
    /// Records hidden as missing, by kind (`case`, `person`...).
    pub hidden: std::collections::BTreeMap<&'static str, u32>,
    /// Actions refused as forbidden, by permission (`case/write`...).
    pub forbidden: std::collections::BTreeMap<&'static str, u32>,
}

impl Denied {
    /// Whether nothing was denied.
    pub fn is_empty(&self) -> bool {
        self.hidden.is_empty() && self.forbidden.is_empty()
    }

    /// Records hidden, in all.
    pub fn hidden_count(&self) -> u32 {
        self.hidden.values().sum()
    }

    /// Actions forbidden, in all.
    pub fn forbidden_count(&self) -> u32 {
        self.forbidden.values().sum()
    }
}

/// The reads in order, and the (kind, id) pairs already noted.
#[derive(Debug, Default)]
struct Noted(Vec<Read>, HashSet<(&'static str, i64)>);

impl ReadLog {
    /// Notes a read.
    pub fn note(&self, read: Read) {
        if let Ok(mut r) = self.reads.lock()
            && r.1.insert((read.kind, read.id))
        {
            r.0.push(read);
        }
    }

    /// Takes what was noted.
    pub fn take(&self) -> Vec<Read> {
        self.reads.lock().map(|mut r| std::mem::take(&mut r.0)).unwrap_or_default()
    }

    /// Counts a record of `kind` hidden from the request (answered as missing).
    pub fn hidden(&self, kind: &'static str) {
        if let Ok(mut d) = self.denied.lock() {
            *d.hidden.entry(kind).or_default() += 1;
        }
    }

    /// Counts an action refused as forbidden.
    pub fn forbidden(&self, permission: &'static str) {
        if let Ok(mut d) = self.denied.lock() {
            *d.forbidden.entry(permission).or_default() += 1;
        }
    }

    /// Takes what was denied.
    pub fn take_denied(&self) -> Denied {
        self.denied.lock().map(|mut d| std::mem::take(&mut *d)).unwrap_or_default()
    }
}

impl App {
    /// Reports what the request was denied: one log line with the actor, the counts and the
    /// kinds (never ids or personal data), and the counters of `/metrics`, where a burst of
    /// probing shows. Returns what was reported.
    pub fn report_denials(&self, actor: &Actor) -> Denied {
        let Some(log) = &actor.reads else { return Denied::default() };
        let denied = log.take_denied();
        if !denied.is_empty() {
            let kinds: Vec<&str> = denied.hidden.keys().chain(denied.forbidden.keys()).copied().collect();
            tracing::warn!(
                actor = %actor.label,
                hidden = denied.hidden_count(),
                forbidden = denied.forbidden_count(),
                kinds = %kinds.join(","),
                "request denied records"
            );
            self.authz().count_denials(&denied);
        }
        denied
    }

    /// Appends the request's reads to the access log: one event per record read
    /// (`person.read`, `case.read`...), with the actor, the unit it acted for and the declared
    /// purpose, and returns once they are durable. Reads of interventions find their person
    /// through the case. The events go in the next batch of the process's appender
    /// ([`crate::appender`]), which commits many requests' reads at once.
    pub async fn log_reads(&self, actor: &Actor) -> AppResult<usize> {
        let Some(log) = &actor.reads else { return Ok(0) };
        let reads = log.take();
        if reads.is_empty() {
            return Ok(0);
        }
        let at = self.clock().now();
        let events: Vec<Pending> = reads
            .iter()
            .map(|r| Pending {
                event: AuditEvent {
                    at,
                    actor: actor.accountable(),
                    actor_label: actor.label.clone(),
                    org_unit_id: Some(actor.org_unit_id),
                    action: format!("{}.read", r.kind),
                    record_kind: r.kind.into(),
                    record_id: Some(r.id),
                    person_id: r.person,
                    purpose: actor.purpose.clone(),
                },
                case: r.case,
            })
            .collect();
        let n = events.len();
        self.appender().append(events).await?;
        Ok(n)
    }
}

/// A checkpoint of the access log's chain: how many events it held and its newest hash, when,
/// signed with a key kept outside the database (`audit.checkpoint_key_file`). Exported as one
/// JSON line per checkpoint (`audit.checkpoint_file`), it lets `siso audit verify` catch a
/// chain rewritten by someone who can write the database: they can recompute every hash, not
/// the signature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Events on the chain.
    pub events: u64,
    /// The hash of the newest of them.
    pub head: String,
    /// When the checkpoint was taken.
    pub at: DateTime<Utc>,
    /// The signer's public key (base64).
    pub key: String,
    /// The ed25519 signature (base64) of [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// What is signed.
    fn message(events: u64, head: &str, at: DateTime<Utc>) -> String {
        format!("siso-audit-checkpoint:v1:{events}:{head}:{}", at.timestamp_micros())
    }

    /// Whether it is signed by the key `public` (base64).
    pub fn signed_by(&self, public: &str) -> bool {
        let b64 = base64::engine::general_purpose::STANDARD;
        let Ok(key) = b64.decode(public.trim()) else { return false };
        let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) else { return false };
        let Ok(key) = VerifyingKey::from_bytes(&key) else { return false };
        let Ok(sig) = b64.decode(&self.signature) else { return false };
        let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else { return false };
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        key.verify(Self::message(self.events, &self.head, self.at).as_bytes(), &sig).is_ok()
    }
}

impl App {
    /// Takes a signed checkpoint of the access log's chain as it is now.
    pub async fn audit_checkpoint(&self, key: &SigningKey) -> AppResult<Checkpoint> {
        let (events, head) = siso_store::repo::audit::head(self.store()).await?;
        let at = DateTime::from_timestamp_micros(self.clock().now().timestamp_micros()).unwrap_or_default();
        let b64 = base64::engine::general_purpose::STANDARD;
        let signature = b64.encode(key.sign(Checkpoint::message(events, &head, at).as_bytes()).to_bytes());
        Ok(Checkpoint { events, head, at, key: b64.encode(key.verifying_key().as_bytes()), signature })
    }
}
