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
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
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
