//! Plug-in administration over GraphQL: the registry (query `plugins`) and its mutations.
//! Every operation needs the plug-in administration permission (checked in the application
//! layer); packages travel base64-encoded (larger ones go through `siso plugin install`).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use base64::Engine as _;
use siso_app::plugins::{Enable, FailurePolicy, LimitsChange, PluginInfo};
use siso_domain::ids::OrgUnitId;

use crate::errors::{UserError, field_error, to_graphql_error, to_user_errors};
use crate::query::{actor, app};
use crate::scalars::{id, parse_id};

/// Counters of a plug-in in this server process.
#[derive(SimpleObject)]
pub struct PluginStatsNode {
    /// Calls.
    pub invocations: u64,
    /// Faults.
    pub faults: u64,
    /// Time spent in calls, microseconds.
    pub micros: u64,
    /// Fuel used.
    pub fuel: u64,
}

/// Limits of one call.
#[derive(SimpleObject)]
pub struct PluginLimitsNode {
    /// Deadline, milliseconds.
    pub timeout_ms: u64,
    /// Fuel.
    pub fuel: u64,
    /// Memory cap, MiB.
    pub memory_mib: u64,
}

/// An installed version.
#[derive(SimpleObject)]
pub struct PluginVersionNode {
    /// Semantic version.
    pub version: String,
    /// Contract version.
    pub wit_version: String,
    /// Digest pinned at install.
    pub digest: String,
    /// The signing key (base64), when signed.
    pub signer_key: Option<String>,
    /// When.
    pub installed_at: chrono::DateTime<chrono::Utc>,
    /// Whether it is the version in service.
    pub current: bool,
}

/// Where a plug-in is enabled.
#[derive(SimpleObject)]
pub struct PluginEnablementNode {
    /// The root unit of the subtree.
    pub org_unit_id: ID,
    /// Settings (JSON).
    pub settings: String,
    /// Granted capabilities.
    pub capabilities: Vec<String>,
    /// `fail_closed` or `fail_open`.
    pub failure_policy: String,
    /// Units below cannot enable the plug-in with their own settings.
    pub locked: bool,
    /// Quarantined here after repeated faults.
    pub quarantined: bool,
    /// Why.
    pub quarantine_reason: Option<String>,
    /// The limits of a call under this enablement.
    pub limits: PluginLimitsNode,
    /// Calls that may run at once under this enablement.
    pub max_concurrency: u64,
}

/// An installed plug-in.
#[derive(SimpleObject)]
pub struct PluginNode {
    /// Plug-in id (reverse DNS).
    pub id: String,
    /// The version this server runs (the registry's current one, once this server has
    /// reloaded).
    pub version: Option<String>,
    /// Publisher.
    pub publisher: Option<String>,
    /// What it does.
    pub description: Option<String>,
    /// Contract version.
    pub wit_version: Option<String>,
    /// Hooks it implements.
    pub hooks: Vec<String>,
    /// Capabilities it asks for.
    pub capabilities: Vec<String>,
    /// JSON Schema of its settings.
    pub settings_schema: Option<String>,
    /// Loaded in this server.
    pub loaded: bool,
    /// Why it could not be loaded.
    pub load_error: Option<String>,
    /// Quarantined, after repeated faults, in one of the units one administers.
    pub quarantined: bool,
    /// Why (the first such enablement's reason).
    pub quarantine_reason: Option<String>,
    /// The host's default limits (each enablement may set its own, up to the ceilings).
    pub limits: PluginLimitsNode,
    /// Counters in this server process.
    pub stats: PluginStatsNode,
    /// Installed versions.
    pub versions: Vec<PluginVersionNode>,
    /// Where it is enabled.
    pub enablements: Vec<PluginEnablementNode>,
}

fn limits_node(l: &siso_plugins::Limits) -> PluginLimitsNode {
    PluginLimitsNode {
        timeout_ms: u64::try_from(l.timeout.as_millis()).unwrap_or(u64::MAX),
        fuel: l.fuel,
        memory_mib: (l.memory_bytes >> 20) as u64,
    }
}

impl From<PluginInfo> for PluginNode {
    fn from(p: PluginInfo) -> Self {
        let m = p.manifest.as_ref();
        let quarantine = p.enablements.iter().find_map(|e| e.quarantine.clone());
        PluginNode {
            id: p.row.key.clone(),
            version: p.serving.clone().or_else(|| p.current.as_ref().map(|v| v.version.clone())),
            publisher: m.map(|m| m.publisher.clone()),
            description: m.map(|m| m.description.clone()),
            wit_version: m.map(|m| m.wit.clone()),
            hooks: m.map(|m| m.hooks.iter().map(|h| h.as_str().to_string()).collect()).unwrap_or_default(),
            capabilities: m
                .map(|m| m.capabilities.iter().map(|c| c.as_str().to_string()).collect())
                .unwrap_or_default(),
            settings_schema: m.map(|m| m.settings_schema.to_string()),
            loaded: p.loaded,
            load_error: p.load_error.clone(),
            quarantined: quarantine.is_some(),
            quarantine_reason: quarantine,
            limits: limits_node(&p.limits),
            stats: PluginStatsNode {
                invocations: p.stats.invocations,
                faults: p.stats.faults.values().sum(),
                micros: p.stats.nanos / 1000,
                fuel: p.stats.fuel,
            },
            versions: p
                .versions
                .iter()
                .map(|v| PluginVersionNode {
                    version: v.version.clone(),
                    wit_version: v.wit_version.clone(),
                    digest: v.digest.clone(),
                    signer_key: v.signer_key.clone(),
                    installed_at: v.installed_at,
                    current: Some(v.id) == p.row.current_version_id,
                })
                .collect(),
            enablements: p
                .enablements
                .iter()
                .map(|e| PluginEnablementNode {
                    org_unit_id: id(e.org_unit_id),
                    settings: e.settings.clone(),
                    capabilities: e.capabilities.iter().map(|c| c.as_str().to_string()).collect(),
                    failure_policy: e.policy.as_str().to_string(),
                    locked: e.locked,
                    quarantined: e.quarantine.is_some(),
                    quarantine_reason: e.quarantine.clone(),
                    limits: limits_node(&e.effective_limits(p.limits)),
                    max_concurrency: e.concurrency() as u64,
                })
                .collect(),
        }
    }
}

/// The result of a plug-in administration mutation.
#[derive(SimpleObject)]
pub struct PluginPayload {
    /// The plug-in after the change (absent after a removal or an error).
    pub plugin: Option<PluginNode>,
    /// What went wrong.
    pub errors: Vec<UserError>,
}

/// Enabling a plug-in for an organisation subtree.
#[derive(InputObject)]
pub struct EnablePluginInput {
    /// Plug-in id.
    pub plugin: String,
    /// Root of the subtree.
    pub org_unit_id: ID,
    /// Settings (JSON), checked against the plug-in's schema.
    pub settings: Option<String>,
    /// Capabilities granted, among those the plug-in asks for.
    #[graphql(default)]
    pub capabilities: Vec<String>,
    /// Skip the plug-in when it faults instead of refusing the change (default false).
    #[graphql(default)]
    pub fail_open: bool,
    /// Lock the enablement: units below cannot enable the plug-in with their own settings or
    /// policy (default false).
    #[graphql(default)]
    pub locked: bool,
}

/// Plug-in queries.
#[derive(Default)]
pub struct PluginQuery;

#[Object]
impl PluginQuery {
    /// Installed plug-ins (plug-in administrators only).
    async fn plugins(&self, ctx: &Context<'_>) -> Result<Vec<PluginNode>> {
        let list = app(ctx)?.plugins().list(actor(ctx)?).await.map_err(to_graphql_error)?;
        Ok(list.into_iter().map(PluginNode::from).collect())
    }
}

async fn node(ctx: &Context<'_>, key: &str) -> Result<Option<PluginNode>> {
    let list = app(ctx)?.plugins().list(actor(ctx)?).await.map_err(to_graphql_error)?;
    Ok(list.into_iter().find(|p| p.row.key == key).map(PluginNode::from))
}

async fn payload(ctx: &Context<'_>, key: &str, r: siso_app::AppResult<()>) -> Result<PluginPayload> {
    match r {
        Ok(()) => Ok(PluginPayload { plugin: node(ctx, key).await?, errors: Vec::new() }),
        Err(e) => Ok(PluginPayload { plugin: None, errors: to_user_errors(e)? }),
    }
}

/// Plug-in mutations.
#[derive(Default)]
pub struct PluginMutation;

#[Object]
impl PluginMutation {
    /// Installs a signed package (base64), or upgrades the installed plug-in to its newer
    /// version at once, without a restart.
    async fn install_plugin(&self, ctx: &Context<'_>, package: String) -> Result<PluginPayload> {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(package.trim()) else {
            return Ok(PluginPayload {
                plugin: None,
                errors: vec![field_error("INVALID_PACKAGE", "package", "the package is not base64")],
            });
        };
        match app(ctx)?.plugins().install(actor(ctx)?, &bytes).await {
            Ok(i) => Ok(PluginPayload { plugin: node(ctx, &i.key).await?, errors: Vec::new() }),
            Err(e) => Ok(PluginPayload { plugin: None, errors: to_user_errors(e)? }),
        }
    }

    /// Enables a plug-in for an organisation unit and every unit below it.
    async fn enable_plugin(&self, ctx: &Context<'_>, input: EnablePluginInput) -> Result<PluginPayload> {
        let Some(org) = parse_id::<OrgUnitId>(&input.org_unit_id) else {
            return Ok(PluginPayload {
                plugin: None,
                errors: vec![field_error("INVALID_ID", "orgUnitId", "not a valid id")],
            });
        };
        let cmd = Enable {
            plugin: input.plugin.clone(),
            org_unit_id: org,
            settings: input.settings,
            capabilities: input.capabilities,
            failure_policy: Some(if input.fail_open { FailurePolicy::FailOpen } else { FailurePolicy::FailClosed }),
            locked: input.locked,
        };
        let r = app(ctx)?.plugins().enable(actor(ctx)?, cmd).await;
        payload(ctx, &input.plugin, r).await
    }

    /// Disables a plug-in for an organisation unit.
    async fn disable_plugin(&self, ctx: &Context<'_>, plugin: String, org_unit_id: ID) -> Result<PluginPayload> {
        let Some(org) = parse_id::<OrgUnitId>(&org_unit_id) else {
            return Ok(PluginPayload {
                plugin: None,
                errors: vec![field_error("INVALID_ID", "orgUnitId", "not a valid id")],
            });
        };
        let r = app(ctx)?.plugins().disable(actor(ctx)?, &plugin, org).await;
        payload(ctx, &plugin, r).await
    }

    /// Puts a plug-in quarantined in a unit back in service there, with a clean record.
    async fn release_plugin(&self, ctx: &Context<'_>, plugin: String, org_unit_id: ID) -> Result<PluginPayload> {
        let Some(org) = parse_id::<OrgUnitId>(&org_unit_id) else {
            return Ok(PluginPayload {
                plugin: None,
                errors: vec![field_error("INVALID_ID", "orgUnitId", "not a valid id")],
            });
        };
        let r = app(ctx)?.plugins().release(actor(ctx)?, &plugin, org).await;
        payload(ctx, &plugin, r).await
    }

    /// Sets the limits of a plug-in's enablement in a unit (null = the server's default), up
    /// to the ceilings: 1,000 ms, 1,000,000,000 fuel, 128 MiB, 32 calls at once.
    #[allow(clippy::too_many_arguments)]
    async fn set_plugin_limits(
        &self,
        ctx: &Context<'_>,
        plugin: String,
        org_unit_id: ID,
        timeout_ms: Option<i64>,
        fuel: Option<i64>,
        memory_mib: Option<i64>,
        max_concurrency: Option<i64>,
    ) -> Result<PluginPayload> {
        let Some(org) = parse_id::<OrgUnitId>(&org_unit_id) else {
            return Ok(PluginPayload {
                plugin: None,
                errors: vec![field_error("INVALID_ID", "orgUnitId", "not a valid id")],
            });
        };
        let limits = LimitsChange { timeout_ms, fuel, memory_mib, max_concurrency };
        let r = app(ctx)?.plugins().set_limits(actor(ctx)?, &plugin, org, limits).await;
        payload(ctx, &plugin, r).await
    }

    /// Removes a plug-in with its versions and enablements (stored results stay).
    async fn remove_plugin(&self, ctx: &Context<'_>, plugin: String) -> Result<PluginPayload> {
        match app(ctx)?.plugins().remove(actor(ctx)?, &plugin).await {
            Ok(()) => Ok(PluginPayload { plugin: None, errors: Vec::new() }),
            Err(e) => Ok(PluginPayload { plugin: None, errors: to_user_errors(e)? }),
        }
    }
}
