//! `siso audit`: checks the access log's hash chain and answers the data-protection officer's
//! question "who accessed this person's data, when, and why".

use anyhow::{Context, bail};
use clap::Subcommand;
use siso_domain::ids::PersonId;
use siso_store::Store;
use siso_store::repo::audit;

use crate::config::Config;

/// The `siso audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Checks every event of the access log against its hash and the chain; exits with 1 and
    /// names the events when anything was edited, removed or reordered.
    Verify,
    /// Lists who accessed a person's data, when and why (oldest first).
    Person {
        /// The person's id.
        id: i64,
    },
}

/// Runs an audit subcommand against the configured database.
pub async fn run(cfg: &Config, command: AuditCommand) -> anyhow::Result<()> {
    let store = Store::connect(&cfg.database).await.context("cannot connect to the database")?;
    store.migrate().await.context("migration failed")?;
    match command {
        AuditCommand::Verify => {
            let report = audit::verify(&store).await?;
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
