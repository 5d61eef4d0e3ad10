//! Configuration: built-in defaults, then an optional `siso.toml`, then environment variables
//! (`SISO__DATABASE__URL`, `SISO__SERVER__LISTEN`, ...).

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use siso_api::ApiConfig;
use siso_store::DbConfig;

/// Server settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self { listen: "127.0.0.1:8080".into() }
    }
}

/// Log settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `tracing` filter, e.g. `info,siso=debug`.
    pub filter: String,
    /// One JSON object per line instead of text.
    pub json: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { filter: "info".into(), json: false }
    }
}

/// Clock settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockConfig {
    /// When set (RFC 3339, e.g. `2026-11-26T10:00:00Z`), the server's clock is fixed at this
    /// instant: for tests and reproducible demos. Unset: the system clock.
    pub fixed_now: Option<String>,
}

impl ClockConfig {
    /// The clock to run with.
    pub fn clock(&self) -> anyhow::Result<std::sync::Arc<dyn siso_domain::clock::Clock>> {
        use siso_domain::clock::{FixedClock, SystemClock};
        match &self.fixed_now {
            Some(t) => {
                let at =
                    chrono::DateTime::parse_from_rfc3339(t).context("clock.fixed_now is not an RFC 3339 instant")?;
                Ok(std::sync::Arc::new(FixedClock::new(at.with_timezone(&chrono::Utc))))
            }
            None => Ok(std::sync::Arc::new(SystemClock)),
        }
    }
}

/// Plug-in settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Where compiled plug-ins are cached (per host; created if missing).
    pub cache_dir: String,
    /// Development mode: unsigned or untrusted packages are accepted. Never in production.
    pub development: bool,
    /// Trusted publisher keys, each `Publisher name=base64 ed25519 public key`.
    pub trusted: Vec<String>,
    /// Default deadline of one plug-in call, milliseconds.
    pub timeout_ms: u64,
    /// Default fuel of one call.
    pub fuel: u64,
    /// Default memory cap of one call, MiB.
    pub memory_mib: u64,
    /// Cap on a call's input, KiB.
    pub max_input_kib: u64,
    /// Cap on a call's output, KiB.
    pub max_output_kib: u64,
    /// Consecutive faults after which a plug-in is quarantined.
    pub quarantine_after: u32,
    /// Plug-in instances that may run at once.
    pub max_instances: u32,
    /// How often the registry is polled for changes made by other processes, milliseconds.
    pub watch_interval_ms: u64,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        let l = siso_plugins::Limits::default();
        Self {
            cache_dir: "data/plugin-cache".into(),
            development: false,
            trusted: Vec::new(),
            timeout_ms: u64::try_from(l.timeout.as_millis()).unwrap_or(200),
            fuel: l.fuel,
            memory_mib: (l.memory_bytes >> 20) as u64,
            max_input_kib: (l.max_input_bytes >> 10) as u64,
            max_output_kib: (l.max_output_bytes >> 10) as u64,
            quarantine_after: 3,
            max_instances: 128,
            watch_interval_ms: 500,
        }
    }
}

impl PluginsConfig {
    /// The application's plug-in configuration.
    pub fn to_app(&self) -> anyhow::Result<siso_app::plugins::PluginConfig> {
        let mut trusted = Vec::new();
        for t in self.trusted.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            // A base64 ed25519 key is 44 characters (it ends with `=`): the key is the tail.
            let split = t.len().checked_sub(45).filter(|&i| t.is_char_boundary(i) && t.as_bytes()[i] == b'=');
            let Some(i) = split else {
                anyhow::bail!("plugins.trusted entry {t:?} is not `Publisher name=base64 public key`");
            };
            let (publisher, key) = (&t[..i], &t[i + 1..]);
            siso_plugins::package::parse_public_key(key)
                .with_context(|| format!("plugins.trusted key of {publisher:?} is not an ed25519 public key"))?;
            trusted.push(siso_plugins::TrustedKey { publisher: publisher.trim().into(), key: key.trim().into() });
        }
        let mib = |v: u64| usize::try_from(v).unwrap_or(usize::MAX).saturating_mul(1 << 20);
        let kib = |v: u64| usize::try_from(v).unwrap_or(usize::MAX).saturating_mul(1 << 10);
        Ok(siso_app::plugins::PluginConfig {
            cache_dir: self.cache_dir.clone().into(),
            limits: siso_plugins::Limits {
                timeout: std::time::Duration::from_millis(self.timeout_ms.max(1)),
                fuel: self.fuel,
                memory_bytes: mib(self.memory_mib),
                max_input_bytes: kib(self.max_input_kib),
                max_output_bytes: kib(self.max_output_kib),
            },
            trusted,
            development: self.development,
            quarantine_after: self.quarantine_after.max(1),
            max_instances: self.max_instances.max(1),
            watch_interval: std::time::Duration::from_millis(self.watch_interval_ms.max(50)),
        })
    }
}

/// Access-log checkpoints: the chain's head signed with a key kept outside the database and
/// exported to a file, so `siso audit verify` finds a chain rewritten by someone who can write
/// the database.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// The ed25519 secret key that signs checkpoints (`siso plugin keygen --out FILE` makes
    /// one); keep it off the database server.
    pub checkpoint_key_file: Option<String>,
    /// Where checkpoints are appended, one JSON line each (ship it off the machine).
    pub checkpoint_file: Option<String>,
    /// The public key checkpoints are verified with (base64); by default the key file's.
    pub checkpoint_public_key: Option<String>,
    /// Seconds between the server's checkpoints (0: none; `siso audit checkpoint` takes one).
    pub checkpoint_interval_secs: u64,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub database: DbConfig,
    /// API.
    pub api: ApiConfig,
    /// Logs.
    pub log: LogConfig,
    /// Clock.
    pub clock: ClockConfig,
    /// Plug-ins.
    pub plugins: PluginsConfig,
    /// The access log.
    pub audit: AuditConfig,
}

impl Config {
    /// Loads defaults, then the file, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let defaults = config::Config::try_from(&Config::default()).context("defaults")?;
        let mut builder = config::Config::builder().add_source(defaults);
        match file {
            Some(path) => {
                builder = builder.add_source(config::File::from(path).required(true));
            }
            None => {
                builder = builder.add_source(config::File::with_name("siso").required(false));
            }
        }
        builder = builder.add_source(
            config::Environment::with_prefix("SISO")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("api.cors_origins")
                .with_list_parse_key("plugins.trusted")
                .try_parsing(true),
        );
        let cfg = builder.build().context("reading the configuration")?;
        cfg.try_deserialize().context("the configuration is not valid")
    }

    /// The configuration as TOML with secrets (passwords in URLs) redacted.
    pub fn redacted_toml(&self) -> anyhow::Result<String> {
        let mut copy = self.clone();
        copy.database.url = redact_url(&copy.database.url);
        Ok(toml::to_string_pretty(&copy)?)
    }
}

/// Hides the password of a `scheme://user:password@host/...?password=...` URL (the password
/// may itself contain `@`; query parameters that look secret are masked too).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let mut out = match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://{userinfo}@{host}"),
        },
        None => format!("{scheme}://{rest}"),
    };
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _))
                    if ["password", "pass", "sslpassword", "token", "secret"].contains(&k.to_lowercase().as_str()) =>
                {
                    format!("{k}=***")
                }
                _ => kv.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Starts logging. Application logs never carry names or codici fiscali: the code logs ids
/// and codes only, and SQL statement logging (which would carry parameters) is off.
pub fn init_tracing(cfg: &LogConfig) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&cfg.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: log files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if cfg.json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://siso:secret@db/siso"), "postgres://siso:***@db/siso");
        assert_eq!(redact_url("postgres://siso@db/siso"), "postgres://siso@db/siso");
        assert_eq!(redact_url("sqlite://data/siso.db"), "sqlite://data/siso.db");
        assert_eq!(redact_url("postgres://siso:p@ss@db/siso"), "postgres://siso:***@db/siso");
        assert_eq!(redact_url("postgres://db/siso?user=a&password=b"), "postgres://db/siso?user=a&password=***");
    }
}
