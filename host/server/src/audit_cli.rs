//! `siso audit`: checks the access log's hash chain and answers the data-protection officer's
//! question "who accessed this person's data, when, and why".

use anyhow::{Context, bail};
use clap::Subcommand;
use siso_domain::ids::PersonId;
use siso_store::Store;
use siso_store::repo::audit;

use siso_app::audit::Checkpoint;

use crate::config::{AuditConfig, Config};

/// The `siso audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Checks every event of the access log against its hash and the chain, and the chain
    /// against the newest signed checkpoint (`audit.checkpoint_file`) when there is one; exits
    /// with 1 and names the events when anything was edited, removed, reordered or rewritten.
    Verify,
    /// Signs the chain's head with `audit.checkpoint_key_file` and appends the checkpoint to
    /// `audit.checkpoint_file`.
    Checkpoint,
    /// Lists who accessed a person's data, when and why (oldest first).
    Person {
        /// The person's id.
        id: i64,
    },
}

/// Runs an audit subcommand against the configured database.
pub async fn run(
    cfg: &Config,
    command: AuditCommand,
    app: impl std::future::Future<Output = anyhow::Result<siso_app::App>>,
) -> anyhow::Result<()> {
    let store = Store::connect(&cfg.database).await.context("cannot connect to the database")?;
    store.migrate().await.context("migration failed")?;
    match command {
        AuditCommand::Checkpoint => {
            let app = app.await?;
            let cp = take_checkpoint(&app, &cfg.audit).await?;
            println!("checkpoint: {} events, head {}", cp.events, cp.head);
            Ok(())
        }
        AuditCommand::Verify => {
            let checkpoint = newest_checkpoint(&cfg.audit)?;
            if let Some(cp) = &checkpoint {
                println!("newest signed checkpoint: {} events at {}", cp.events, cp.at.to_rfc3339());
            }
            let report =
                audit::verify_against(&store, checkpoint.as_ref().map(|c| (c.events, c.head.as_str()))).await?;
            if report.intact() {
                println!(
                    "access log intact: {} events on the chain, {} written before the chain",
                    report.checked, report.unchained
                );
                return Ok(());
            }
            for (id, what) in &report.breaks {
                match id {
                    Some(id) => println!("event {id}: {what}"),
                    None => println!("chain head: {what}"),
                }
            }
            bail!("access log tampered with: {} break(s) in {} events", report.breaks.len(), report.checked)
        }
        AuditCommand::Person { id } => {
            for e in audit::of_person(&store, PersonId(id)).await? {
                println!(
                    "{}\t{}\t{}\t{} {}\t{}",
                    e.at.to_rfc3339(),
                    e.actor_label,
                    e.org_unit_id.map(|o| o.0.to_string()).unwrap_or_default(),
                    e.action,
                    e.record_id.map(|r| r.to_string()).unwrap_or_default(),
                    e.purpose.unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

fn signing_key(cfg: &AuditConfig) -> anyhow::Result<siso_plugins::package::SigningKey> {
    let path = cfg.checkpoint_key_file.as_deref().context("audit.checkpoint_key_file is not set")?;
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    siso_plugins::package::decode_secret_key(&text).map_err(|e| anyhow::anyhow!("{path}: {e}"))
}

/// Signs the chain's head and appends the checkpoint to the checkpoint file.
pub async fn take_checkpoint(app: &siso_app::App, cfg: &AuditConfig) -> anyhow::Result<Checkpoint> {
    use std::io::Write as _;
    let key = signing_key(cfg)?;
    let path = cfg.checkpoint_file.as_deref().context("audit.checkpoint_file is not set")?;
    let cp = app.audit_checkpoint(&key).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {path}"))?;
    writeln!(file, "{}", serde_json::to_string(&cp)?).with_context(|| format!("cannot write {path}"))?;
    file.sync_all().ok();
    Ok(cp)
}

/// The newest checkpoint of the checkpoint file, its signature checked (`None` when no file
/// is configured).
fn newest_checkpoint(cfg: &AuditConfig) -> anyhow::Result<Option<Checkpoint>> {
    let Some(path) = cfg.checkpoint_file.as_deref() else { return Ok(None) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the checkpoints {path}"))?;
    let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) else { return Ok(None) };
    let cp: Checkpoint =
        serde_json::from_str(line).with_context(|| format!("{path}: the newest checkpoint is unreadable"))?;
    let public = match &cfg.checkpoint_public_key {
        Some(k) => k.clone(),
        None => siso_plugins::package::public_key(&signing_key(cfg)?),
    };
    if !cp.signed_by(&public) {
        bail!("{path}: the newest checkpoint is not signed by the configured key");
    }
    Ok(Some(cp))
}
