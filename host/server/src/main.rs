//! `siso`: the server and command-line tool.

mod audit_cli;
mod config;
mod demo;
mod identity_cli;
mod plugin_cli;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use siso_app::App;
use siso_app::plugins::Plugins;
use siso_store::Store;

use crate::config::Config;

/// mimalloc: the GraphQL and SQL layers allocate many small short-lived objects; the system
/// allocator spent ~12% of the server's CPU in malloc/free under load (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SISO: social-services case management for Italian municipalities and regions.
#[derive(Debug, Parser)]
#[command(name = "siso", version, about)]
struct Cli {
    /// Configuration file (default: ./siso.toml when it exists).
    #[arg(long, global = true, env = "SISO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve,
    /// Applies the database migrations and exits.
    Migrate,
    /// Creates or refreshes a SQLite file with demo data and the administrations' plug-ins
    /// (signed with a demo publisher key), then serves it.
    Demo {
        /// A plug-in to install, as `MANIFEST=COMPONENT` (repeat it; `cargo xtask demo` builds
        /// and passes the four of `plugins/`); without any the demo runs without plug-ins.
        #[arg(long = "plugin", value_name = "MANIFEST=COMPONENT")]
        plugins: Vec<String>,
        /// Only load the data, do not serve.
        #[arg(long)]
        no_serve: bool,
        /// Also generate `scale` × (1,000 persons, 1,500 cases, 10,000 disbursements).
        #[arg(long, default_value_t = 0)]
        scale: u32,
    },
    /// Migrates the configured database and loads the demo data into it (it must be empty),
    /// with the plug-ins given, installed and enabled as in the demo.
    SeedDemo {
        /// A plug-in to install, as `MANIFEST=COMPONENT` (repeat it).
        #[arg(long = "plugin", value_name = "MANIFEST=COMPONENT")]
        plugins: Vec<String>,
        /// Also generate `scale` × (1,000 persons, 1,500 cases, 10,000 disbursements).
        #[arg(long, default_value_t = 0)]
        scale: u32,
    },
    /// Prints the GraphQL schema (SDL).
    ExportSchema,
    /// Prints the effective configuration with secrets redacted.
    CheckConfig,
    /// The access log: verify its hash chain, list who accessed a person's data.
    Audit {
        #[command(subcommand)]
        command: audit_cli::AuditCommand,
    },
    /// OpenID Connect identities of operators: bind a provider's subject to an operator.
    Identity {
        #[command(subcommand)]
        command: identity_cli::IdentityCommand,
    },
    /// Plug-ins: keys and signing for authors, the registry for administrators.
    Plugin {
        #[command(subcommand)]
        command: plugin_cli::PluginCommand,
    },
}

/// Connects, migrates and builds the application with its plug-ins loaded.
async fn build_app(cfg: &Config) -> anyhow::Result<App> {
    let store = Store::connect(&cfg.database).await.context("cannot connect to the database")?;
    store.migrate().await.context("migration failed")?;
    let clock = cfg.clock.clock()?;
    let plugins = Arc::new(Plugins::new(store.clone(), clock.clone(), cfg.plugins.to_app()?)?);
    plugins.reload().await.context("cannot load the plug-in registry")?;
    let app = App::new(store, clock, plugins);
    app.authz().refresh().await.context("cannot load the authorization policy")?;
    Ok(app)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut cfg = Config::load(cli.config.as_deref())?;
    config::init_tracing(&cfg.log);
    match cli.command {
        Command::ExportSchema => {
            print!("{}", siso_api::sdl());
            Ok(())
        }
        Command::CheckConfig => {
            print!("{}", cfg.redacted_toml()?);
            Ok(())
        }
        Command::Migrate => {
            let store = Store::connect(&cfg.database).await.context("cannot connect to the database")?;
            store.migrate().await.context("migration failed")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Serve => serve(cfg).await,
        Command::Audit { command } => audit_cli::run(&cfg, command, build_app(&cfg)).await,
        Command::Plugin { command } => plugin_cli::run(&cfg, command, build_app(&cfg)).await,
        Command::Identity { command } => identity_cli::run(command, build_app(&cfg)).await,
        Command::SeedDemo { plugins, scale } => {
            let plugins = plugins.iter().map(|p| demo::parse_plugin_arg(p)).collect::<anyhow::Result<Vec<_>>>()?;
            for (manifest, _) in &plugins {
                cfg.plugins.trusted.push(demo::demo_publisher(manifest)?);
            }
            let app = build_app(&cfg).await?;
            demo::load(&app).await.context("demo data")?;
            demo::install_plugins(&app, &plugins).await.context("demo plug-ins")?;
            demo::generate(&app, scale).await?;
            tracing::info!("demo data loaded");
            Ok(())
        }
        Command::Demo { no_serve, scale, plugins } => {
            if !cfg.database.url.starts_with("sqlite:") {
                anyhow::bail!("the demo runs on a SQLite file; set database.url to sqlite://...");
            }
            demo::reset_sqlite_file(&cfg.database.url)?;
            let plugins = plugins.iter().map(|p| demo::parse_plugin_arg(p)).collect::<anyhow::Result<Vec<_>>>()?;
            // The demo publisher's key signs the plug-ins and is trusted for the run.
            for (manifest, _) in &plugins {
                cfg.plugins.trusted.push(demo::demo_publisher(manifest)?);
            }
            let app = build_app(&cfg).await?;
            demo::load(&app).await.context("demo data")?;
            demo::install_plugins(&app, &plugins).await.context("demo plug-ins")?;
            demo::generate(&app, scale).await?;
            tracing::info!("demo data loaded");
            if no_serve {
                return Ok(());
            }
            cfg.api.graphiql = true;
            // The demo signs operators in by name (the README's `x-siso-operator` header).
            cfg.api.auth.dev_login = true;
            serve(cfg).await
        }
    }
}

/// The development login signs anyone in by name: it is refused beyond the loopback interface
/// and next to a real identity provider.
fn check_dev_login(cfg: &Config, addr: SocketAddr) -> anyhow::Result<()> {
    if !cfg.api.auth.dev_login {
        return Ok(());
    }
    if !addr.ip().is_loopback() {
        anyhow::bail!(
            "the development login (api.auth.dev_login) only serves the loopback interface; {addr} is reachable from other machines"
        );
    }
    if !cfg.api.auth.oidc.is_empty() {
        anyhow::bail!("the development login (api.auth.dev_login) cannot run beside OpenID Connect providers");
    }
    Ok(())
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    let addr: SocketAddr = cfg.server.listen.parse().context("server.listen is not an address")?;
    check_dev_login(&cfg, addr)?;
    let app = build_app(&cfg).await?;
    let _watcher = app.plugins().spawn_watcher();
    let _authz_watcher = app.authz().spawn_watcher(std::time::Duration::from_millis(500));
    let _checkpoints = spawn_checkpoints(&app, &cfg.audit)?;
    let auth =
        Arc::new(siso_api::auth::Authenticator::new(&cfg.api.auth).await.context("authentication is misconfigured")?);
    let _jwks_refresh = auth.spawn_refresh();
    if cfg.api.auth.dev_login {
        tracing::warn!("development login is on (x-siso-operator header): never in production");
    }
    let router = siso_api::router(app, auth, &cfg.api);
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!(%local, "listening");
    // The line tests and scripts wait for.
    println!("siso listening on http://{local}");
    axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Takes a signed checkpoint of the access log every `audit.checkpoint_interval_secs`, when the
/// head moved (nothing unless a key and a file are configured).
fn spawn_checkpoints(app: &App, cfg: &config::AuditConfig) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    if cfg.checkpoint_interval_secs == 0 || cfg.checkpoint_key_file.is_none() || cfg.checkpoint_file.is_none() {
        return Ok(None);
    }
    let (app, cfg) = (app.clone(), cfg.clone());
    Ok(Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(cfg.checkpoint_interval_secs));
        let mut last = None;
        loop {
            tick.tick().await;
            let head = siso_store::background(siso_store::repo::audit::head(app.store())).await.ok();
            if head.is_some() && head == last {
                continue;
            }
            match siso_store::background(audit_cli::take_checkpoint(&app, &cfg)).await {
                Ok(cp) => {
                    tracing::info!(events = cp.events, "access-log checkpoint signed");
                    last = head;
                }
                Err(e) => tracing::error!("cannot sign an access-log checkpoint: {e}"),
            }
        }
    })))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
