//! `siso plugin ...`: keys and signing for plug-in authors; the registry for administrators.
//! Registry commands act on the configured database with the system's authority, like any
//! other administration tool run on the server; a running server picks the change up within
//! its watch interval.

use std::future::Future;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use siso_app::plugins::{Enable, FailurePolicy};
use siso_app::{Actor, App};
use siso_domain::ids::OrgUnitId;
use siso_plugins::package::{self, AuthorManifest, Package};

use crate::config::Config;

/// Plug-in commands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Creates a publisher key pair: `<out>` (secret, keep it safe) and `<out>.pub`.
    Keygen {
        /// Path of the secret key file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Packages and signs a component with its manifest.
    Sign {
        /// The author manifest (`siso-plugin.toml`).
        #[arg(long)]
        manifest: PathBuf,
        /// The component (`.wasm`, built for wasm32-wasip2).
        #[arg(long)]
        component: PathBuf,
        /// The publisher's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// The package to write (`.sisoplugin`).
        #[arg(long)]
        out: PathBuf,
    },
    /// Shows a package file (manifest, digest, signer) or an installed plug-in.
    Inspect {
        /// A `.sisoplugin` file or an installed plug-in id.
        target: String,
    },
    /// Installs a package, or upgrades the installed plug-in to its newer version.
    Install {
        /// The `.sisoplugin` file.
        package: PathBuf,
    },
    /// Lists installed plug-ins.
    List,
    /// Enables a plug-in for an organisation unit and everything below it.
    Enable {
        /// Plug-in id.
        plugin: String,
        /// Organisation unit: its id as the API shows it, or its database key.
        #[arg(long, value_parser = parse_org)]
        org: i64,
        /// Settings (JSON, checked against the plug-in's schema).
        #[arg(long)]
        settings: Option<String>,
        /// Capabilities granted (repeatable), among those the plug-in asks for.
        #[arg(long = "grant")]
        grant: Vec<String>,
        /// Skip the plug-in when it faults instead of refusing the change.
        #[arg(long)]
        fail_open: bool,
        /// Lock the enablement: units below cannot enable the plug-in with their own settings.
        #[arg(long)]
        lock: bool,
    },
    /// Disables a plug-in for an organisation unit.
    Disable {
        /// Plug-in id.
        plugin: String,
        /// Organisation unit: its id as the API shows it, or its database key.
        #[arg(long, value_parser = parse_org)]
        org: i64,
    },
    /// Puts a plug-in quarantined in a unit back in service there.
    Release {
        /// Plug-in id.
        plugin: String,
        /// Organisation unit of the enablement: its id as the API shows it, or its database key.
        #[arg(long, value_parser = parse_org)]
        org: i64,
    },
    /// Removes a plug-in with all its versions and enablements.
    Remove {
        /// Plug-in id.
        plugin: String,
    },
}

fn admin() -> Actor {
    let mut a = Actor::system(OrgUnitId(0));
    a.label = "cli".into();
    a
}

pub fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).with_context(|| format!("cannot create {} (it must not exist)", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Signs a component with a manifest; returns the package.
pub fn sign(manifest: &Path, component: &Path, key: &Path) -> anyhow::Result<Package> {
    let m = AuthorManifest::load(manifest)?;
    let bytes = std::fs::read(component).with_context(|| format!("cannot read {}", component.display()))?;
    let key_text = std::fs::read_to_string(key).with_context(|| format!("cannot read {}", key.display()))?;
    let key = package::decode_secret_key(&key_text)?;
    let mut pkg = Package::new(m, bytes)?;
    pkg.sign(&key);
    Ok(pkg)
}

/// Runs a plug-in command; `app` is built only by the commands that need the database.
pub async fn run(
    _cfg: &Config,
    cmd: PluginCommand,
    app: impl Future<Output = anyhow::Result<App>>,
) -> anyhow::Result<()> {
    match cmd {
        PluginCommand::Keygen { out } => {
            let key = package::generate_key()?;
            write_secret(&out, &package::encode_secret_key(&key))?;
            let public = package::public_key(&key);
            let pub_path = PathBuf::from(format!("{}.pub", out.display()));
            std::fs::write(&pub_path, format!("{public}\n"))?;
            println!("secret key: {} (keep it private)", out.display());
            println!("public key: {public} (also in {})", pub_path.display());
            println!("trust it on a host with plugins.trusted = [\"<publisher>={public}\"]");
            Ok(())
        }
        PluginCommand::Sign { manifest, component, key, out } => {
            let pkg = sign(&manifest, &component, &key)?;
            std::fs::write(&out, pkg.to_bytes()).with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "{} {} signed: {} (digest {})",
                pkg.manifest.id,
                pkg.manifest.version,
                out.display(),
                pkg.digest()
            );
            Ok(())
        }
        PluginCommand::Inspect { target } => {
            let path = PathBuf::from(&target);
            if path.exists() {
                let bytes = std::fs::read(&path)?;
                let pkg = Package::from_bytes(&bytes)?;
                println!("{}", String::from_utf8_lossy(&pkg.manifest_bytes));
                println!("digest:    {}", pkg.digest());
                println!("component: {} bytes, sha256 {}", pkg.component.len(), package::sha256_hex(&pkg.component));
                let stamp = siso_plugins::inspect::sdk_stamp(&pkg.component);
                println!("sdk stamp: {}", stamp.as_deref().unwrap_or("none (not built with the SISO SDK)"));
                match &pkg.signature {
                    Some(s) => println!("signed by: {}", s.key),
                    None => println!("unsigned"),
                }
                return Ok(());
            }
            let app = app.await?;
            let list = app.plugins().list(&admin()).await?;
            let Some(p) = list.into_iter().find(|p| p.row.key == target) else {
                bail!("no package file or plug-in {target:?}")
            };
            if let Some(m) = &p.manifest {
                println!("{}", serde_json::to_string_pretty(m)?);
            }
            for v in &p.versions {
                let current = if Some(v.id) == p.row.current_version_id { " (in service)" } else { "" };
                println!("version {}{current}: digest {} installed {}", v.version, v.digest, v.installed_at);
            }
            for e in &p.enablements {
                let grants: Vec<&str> = e.capabilities.iter().map(|c| c.as_str()).collect();
                println!(
                    "enabled for unit {} ({}{}), grants {grants:?}, settings {}",
                    e.org_unit_id.0,
                    e.policy.as_str(),
                    if e.locked { ", locked" } else { "" },
                    e.settings
                );
                if let Some(q) = &e.quarantine {
                    println!("QUARANTINED in unit {}: {q}", e.org_unit_id.0);
                }
            }
            Ok(())
        }
        PluginCommand::Install { package } => {
            let bytes = std::fs::read(&package).with_context(|| format!("cannot read {}", package.display()))?;
            let app = app.await?;
            let i =
                app.plugins().install(&admin(), &bytes).await.map_err(|e| anyhow::anyhow!("{e}: {}", detail(&e)))?;
            let verb = if i.upgraded { "upgraded to" } else { "installed" };
            println!("{} {verb} {} (digest {})", i.key, i.version, i.digest);
            Ok(())
        }
        PluginCommand::List => {
            let app = app.await?;
            for p in app.plugins().list(&admin()).await? {
                let version = p.current.as_ref().map(|v| v.version.as_str()).unwrap_or("-");
                let state = if p.enablements.iter().any(|e| e.quarantine.is_some()) {
                    "quarantined"
                } else if p.loaded {
                    "loaded"
                } else {
                    "not loaded"
                };
                let units: Vec<String> = p.enablements.iter().map(|e| e.org_unit_id.0.to_string()).collect();
                println!("{} {version} [{state}] enabled for units [{}]", p.row.key, units.join(", "));
            }
            Ok(())
        }
        PluginCommand::Enable { plugin, org, settings, grant, fail_open, lock } => {
            let app = app.await?;
            let policy = if fail_open { FailurePolicy::FailOpen } else { FailurePolicy::FailClosed };
            app.plugins()
                .enable(
                    &admin(),
                    Enable {
                        plugin: plugin.clone(),
                        org_unit_id: OrgUnitId(org),
                        settings,
                        capabilities: grant,
                        failure_policy: Some(policy),
                        locked: lock,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}: {}", detail(&e)))?;
            println!("{plugin} enabled for unit {org}");
            Ok(())
        }
        PluginCommand::Disable { plugin, org } => {
            app.await?
                .plugins()
                .disable(&admin(), &plugin, OrgUnitId(org))
                .await
                .map_err(|e| anyhow::anyhow!("{e}: {}", detail(&e)))?;
            println!("{plugin} disabled for unit {org}");
            Ok(())
        }
        PluginCommand::Release { plugin, org } => {
            app.await?
                .plugins()
                .release(&admin(), &plugin, OrgUnitId(org))
                .await
                .map_err(|e| anyhow::anyhow!("{e}: {}", detail(&e)))?;
            println!("{plugin} released from quarantine in unit {org}");
            Ok(())
        }
        PluginCommand::Remove { plugin } => {
            app.await?.plugins().remove(&admin(), &plugin).await.map_err(|e| anyhow::anyhow!("{e}: {}", detail(&e)))?;
            println!("{plugin} removed");
            Ok(())
        }
    }
}

fn detail(e: &siso_app::AppError) -> String {
    match e {
        siso_app::AppError::User(d) => d.message.clone(),
        other => other.to_string(),
    }
}

/// An organisation unit named on the command line: the global id the API shows, or the key.
fn parse_org(value: &str) -> Result<i64, String> {
    if let Ok(key) = value.parse::<i64>() {
        return Ok(key);
    }
    match siso_api::scalars::decode_global_id(value) {
        Some((type_name, key)) if type_name == "OrgUnit" => Ok(key),
        _ => Err(format!("{value} is not an organisation unit's id")),
    }
}
