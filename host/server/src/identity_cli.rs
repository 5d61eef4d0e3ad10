//! `siso identity ...`: binds OpenID Connect identities to operators, with the system's
//! authority (the first administrators of a deployment are bound this way; afterwards
//! organisation administrators use the `linkIdentity` mutation).

use anyhow::{Context, bail};
use clap::Subcommand;
use siso_app::{Actor, App};
use siso_domain::ids::OrgUnitId;

/// Identity commands.
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Binds a provider's subject to an operator: tokens of that issuer with that `sub` sign
    /// the operator in.
    Link {
        /// The operator's username.
        username: String,
        /// The provider's issuer (`iss`), exactly as configured under `api.auth.oidc`.
        #[arg(long)]
        issuer: String,
        /// The subject (`sub`) the provider gives this person.
        #[arg(long)]
        subject: String,
    },
    /// Lists the identities bound to an operator.
    List {
        /// The operator's username.
        username: String,
    },
}

/// Runs an identity subcommand against the configured database.
pub async fn run(
    command: IdentityCommand,
    app: impl std::future::Future<Output = anyhow::Result<App>>,
) -> anyhow::Result<()> {
    let app = app.await?;
    let system = Actor::system(OrgUnitId(0));
    match command {
        IdentityCommand::Link { username, issuer, subject } => {
            let op = app.operator_by_username(&username).await?.with_context(|| format!("no operator {username:?}"))?;
            if let Err(e) = app.link_identity(&system, op, &issuer, &subject).await {
                bail!("cannot bind the identity: {e}");
            }
            println!("bound {issuer} {subject} to {username}");
        }
        IdentityCommand::List { username } => {
            let op = app.operator_by_username(&username).await?.with_context(|| format!("no operator {username:?}"))?;
            for (issuer, subject) in app.identities_of(op).await? {
                println!("{issuer}\t{subject}");
            }
        }
    }
    Ok(())
}
