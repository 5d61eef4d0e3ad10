//! Authentication: turns a request into an [`Actor`], or refuses it.
//!
//! Three schemes, in this order:
//! - `Authorization: Bearer siso_…`: an API key of a machine client (see `siso_app::keys`);
//! - `Authorization: Bearer <JWT>`: an OpenID Connect token (how SPID and CIE logins reach a
//!   public administration's application through its identity broker): signature (RS256 or
//!   ES256, keys from each provider's JWKS file or URL, refreshed), issuer, audience, `azp` and
//!   expiry are checked; the operator is the one bound to the token's (issuer, subject), one
//!   namespace per provider (or, for a broker that verifies it, the operator with the codice
//!   fiscale the token carries);
//! - `x-siso-operator: <username>`: the development login, accepted only when the server runs
//!   in demo or development mode (`api.auth.dev_login`); the server refuses to start with it
//!   when it listens beyond the loopback interface or an OpenID Connect provider is configured.
//!
//! No credentials: an anonymous request, which reads no personal data. Bad credentials: a
//! typed [`AuthFailure`], answered with HTTP 401 and logged without the token.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::{Deserialize, Serialize};
use siso_app::keys::KeyCheck;
use siso_app::{Actor, App, AppError};

/// The header of the development login.
pub const OPERATOR_HEADER: &str = "x-siso-operator";

/// How requests authenticate.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Accept the development login header (demo and development only; never in production).
    pub dev_login: bool,
    /// OpenID Connect providers whose bearer tokens are accepted, by a name of your choice.
    pub oidc: BTreeMap<String, OidcConfig>,
}

/// One OpenID Connect provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// The `iss` its tokens carry.
    pub issuer: String,
    /// The `aud` our tokens must carry (the client id of this deployment).
    pub audience: String,
    /// The provider's keys, from a file...
    pub jwks_file: Option<String>,
    /// ...or from a URL, fetched at start and refreshed.
    pub jwks_url: Option<String>,
    /// Seconds between refreshes of a JWKS URL (a token with an unknown key id also triggers
    /// one, at most once a second).
    pub refresh_secs: u64,
    /// How a token names its operator.
    pub identity: IdentityMatch,
    /// With `identity = "fiscal_code"`: the claim holding the verified codice fiscale (SPID's
    /// `fiscalNumber` arrives as `TINIT-<code>`; the prefix is dropped).
    pub fiscal_code_claim: String,
    /// Tolerated clock skew, in seconds.
    pub leeway_secs: u64,
}

/// How a provider's token is matched to an operator.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMatch {
    /// The token's `sub`, bound to an operator for this provider's issuer (`linkIdentity`,
    /// `siso identity link`): one namespace per provider.
    #[default]
    Subject,
    /// A verified codice fiscale claim matched against the operators' codice fiscale: only for
    /// a broker that verifies it (SPID and CIE do).
    FiscalCode,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: String::new(),
            jwks_file: None,
            jwks_url: None,
            refresh_secs: 300,
            identity: IdentityMatch::Subject,
            fiscal_code_claim: "fiscal_number".into(),
            leeway_secs: 30,
        }
    }
}

/// Why credentials were refused (the `reason` of the 401 answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// The token is past its expiry.
    TokenExpired,
    /// Signature, algorithm, key or format wrong: a forged or broken token.
    TokenInvalid,
    /// Issued by a provider this deployment does not trust.
    WrongIssuer,
    /// Issued for another application.
    WrongAudience,
    /// A valid token of an operator this deployment does not know (or who is inactive).
    UnknownOperator,
    /// Not an API key of this deployment.
    ApiKeyInvalid,
    /// An expired API key.
    ApiKeyExpired,
    /// A revoked API key.
    ApiKeyRevoked,
    /// The development login while the server is not in development mode.
    DevLoginDisabled,
}

impl AuthFailure {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            AuthFailure::TokenExpired => "TOKEN_EXPIRED",
            AuthFailure::TokenInvalid => "TOKEN_INVALID",
            AuthFailure::WrongIssuer => "TOKEN_WRONG_ISSUER",
            AuthFailure::WrongAudience => "TOKEN_WRONG_AUDIENCE",
            AuthFailure::UnknownOperator => "UNKNOWN_OPERATOR",
            AuthFailure::ApiKeyInvalid => "API_KEY_INVALID",
            AuthFailure::ApiKeyExpired => "API_KEY_EXPIRED",
            AuthFailure::ApiKeyRevoked => "API_KEY_REVOKED",
            AuthFailure::DevLoginDisabled => "DEV_LOGIN_DISABLED",
        }
    }
}

/// The outcome of authentication.
#[derive(Debug)]
pub enum Authenticated {
    /// An actor.
    Actor(Box<Actor>),
    /// No credentials.
    Anonymous,
    /// Refused credentials.
    Refused(AuthFailure),
}

struct Provider {
    name: String,
    cfg: OidcConfig,
    keys: RwLock<Arc<JwkSet>>,
    fetched: std::sync::Mutex<Option<Instant>>,
}

/// Verifies credentials; one per server.
pub struct Authenticator {
    dev_login: bool,
    providers: Vec<Provider>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.providers.iter().map(|p| p.name.as_str()).collect();
        f.debug_struct("Authenticator").field("dev_login", &self.dev_login).field("providers", &names).finish()
    }
}

fn read_jwks(path: &str) -> anyhow::Result<JwkSet> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read JWKS file {path}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("JWKS file {path} is not a key set: {e}"))
}

impl Authenticator {
    /// Builds the authenticator; JWKS files are read and JWKS URLs fetched now (a URL that
    /// does not answer is retried later, a file that cannot be read stops the start).
    pub async fn new(cfg: &AuthConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?;
        let mut providers = Vec::new();
        for (name, p) in &cfg.oidc {
            if p.issuer.is_empty() || p.audience.is_empty() {
                anyhow::bail!("OpenID Connect provider {name}: issuer and audience are required");
            }
            let keys = match (&p.jwks_file, &p.jwks_url) {
                (Some(file), None) => read_jwks(file)?,
                (None, Some(_)) => JwkSet { keys: Vec::new() },
                _ => anyhow::bail!("OpenID Connect provider {name}: give exactly one of jwks_file and jwks_url"),
            };
            providers.push(Provider {
                name: name.clone(),
                cfg: p.clone(),
                keys: RwLock::new(Arc::new(keys)),
                fetched: std::sync::Mutex::new(None),
            });
        }
        let me = Self { dev_login: cfg.dev_login, providers, http };
        for p in &me.providers {
            if p.cfg.jwks_url.is_some()
                && let Err(e) = me.fetch(p).await
            {
                tracing::warn!(provider = %p.name, error = %e, "cannot fetch the JWKS; will retry");
            }
        }
        Ok(me)
    }

    async fn fetch(&self, p: &Provider) -> anyhow::Result<()> {
        let Some(url) = &p.cfg.jwks_url else { return Ok(()) };
        if let Ok(mut f) = p.fetched.lock() {
            *f = Some(Instant::now());
        }
        let set: JwkSet = self.http.get(url).send().await?.error_for_status()?.json().await?;
        tracing::info!(provider = %p.name, keys = set.keys.len(), "JWKS loaded");
        if let Ok(mut k) = p.keys.write() {
            *k = Arc::new(set);
        }
        Ok(())
    }

    /// Refreshes every JWKS URL periodically.
    pub fn spawn_refresh(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let every = self.providers.iter().filter(|p| p.cfg.jwks_url.is_some()).map(|p| p.cfg.refresh_secs).min()?;
        let me = self.clone();
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(every.max(5)));
            tick.tick().await;
            loop {
                tick.tick().await;
                for p in &me.providers {
                    if let Err(e) = me.fetch(p).await {
                        tracing::warn!(provider = %p.name, error = %e, "cannot refresh the JWKS");
                    }
                }
            }
        }))
    }

    /// The request's actor.
    pub async fn authenticate(&self, app: &App, headers: &HeaderMap) -> Result<Authenticated, AppError> {
        let bearer = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim);
        if let Some(token) = bearer {
            return if token.starts_with("siso_") {
                self.api_key(app, token).await
            } else {
                self.token(app, token).await
            };
        }
        if let Some(username) = headers.get(OPERATOR_HEADER).and_then(|h| h.to_str().ok()).map(str::trim) {
            if !self.dev_login {
                return Ok(Authenticated::Refused(AuthFailure::DevLoginDisabled));
            }
            return self.operator(app, username).await;
        }
        Ok(Authenticated::Anonymous)
    }

    async fn operator(&self, app: &App, username: &str) -> Result<Authenticated, AppError> {
        if username.is_empty() || username.len() > 100 {
            return Ok(Authenticated::Refused(AuthFailure::UnknownOperator));
        }
        Ok(known(app.actor_by_username(username).await?))
    }

    async fn api_key(&self, app: &App, key: &str) -> Result<Authenticated, AppError> {
        Ok(match app.api_key_actor(key).await? {
            KeyCheck::Valid(actor) => Authenticated::Actor(actor),
            KeyCheck::Unknown => Authenticated::Refused(AuthFailure::ApiKeyInvalid),
            KeyCheck::Expired => Authenticated::Refused(AuthFailure::ApiKeyExpired),
            KeyCheck::Revoked => Authenticated::Refused(AuthFailure::ApiKeyRevoked),
        })
    }

    fn key_for(p: &Provider, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
        let keys = p.keys.read().ok()?.clone();
        keys.keys
            .iter()
            .find(|k| match kid {
                Some(kid) => k.common.key_id.as_deref() == Some(kid),
                None => keys.keys.len() == 1,
            })
            .filter(|k| {
                let alg_ok = k.common.key_algorithm.map(|a| a.to_string() == format!("{alg:?}")).unwrap_or(true);
                let kty_ok = matches!(
                    (&k.algorithm, alg),
                    (jsonwebtoken::jwk::AlgorithmParameters::RSA(_), Algorithm::RS256)
                        | (jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
                );
                alg_ok && kty_ok
            })
            .cloned()
    }

    async fn token(&self, app: &App, token: &str) -> Result<Authenticated, AppError> {
        let refused = |f| Ok(Authenticated::Refused(f));
        let Ok(header) = decode_header(token) else { return refused(AuthFailure::TokenInvalid) };
        // Only asymmetric algorithms: `none` and HMAC (which a public key could forge) never.
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return refused(AuthFailure::TokenInvalid);
        }
        // The provider is chosen by the unverified issuer; everything is verified below.
        let Some(iss) = unverified_claim(token, "iss") else { return refused(AuthFailure::TokenInvalid) };
        let Some(p) = self.providers.iter().find(|p| p.cfg.issuer == iss) else {
            return refused(AuthFailure::WrongIssuer);
        };
        let mut jwk = Self::key_for(p, header.kid.as_deref(), header.alg);
        if jwk.is_none() && p.cfg.jwks_url.is_some() {
            let stale = p.fetched.lock().ok().and_then(|f| *f).is_none_or(|t| t.elapsed() > Duration::from_secs(1));
            if stale {
                if let Err(e) = self.fetch(p).await {
                    tracing::warn!(provider = %p.name, error = %e, "cannot refresh the JWKS");
                }
                jwk = Self::key_for(p, header.kid.as_deref(), header.alg);
            }
        }
        let Some(jwk) = jwk else { return refused(AuthFailure::TokenInvalid) };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else { return refused(AuthFailure::TokenInvalid) };
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[p.cfg.issuer.as_str()]);
        v.set_audience(&[p.cfg.audience.as_str()]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        // Time comes from the application's clock (settable in tests), not the system's.
        v.validate_exp = false;
        v.validate_nbf = false;
        let claims = match decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &v) {
            Ok(d) => d.claims,
            Err(e) => {
                return refused(match e.kind() {
                    ErrorKind::InvalidAudience => AuthFailure::WrongAudience,
                    ErrorKind::InvalidIssuer => AuthFailure::WrongIssuer,
                    _ => AuthFailure::TokenInvalid,
                });
            }
        };
        let now = app.clock().now().timestamp();
        let leeway = i64::try_from(p.cfg.leeway_secs).unwrap_or(0);
        let Some(exp) = claims.get("exp").and_then(|v| v.as_i64()) else { return refused(AuthFailure::TokenInvalid) };
        if exp + leeway <= now {
            return refused(AuthFailure::TokenExpired);
        }
        if claims.get("nbf").and_then(|v| v.as_i64()).is_some_and(|nbf| nbf - leeway > now) {
            return refused(AuthFailure::TokenInvalid);
        }
        // The party the token was issued to, when named, is this deployment.
        if claims.get("azp").is_some_and(|azp| azp.as_str() != Some(p.cfg.audience.as_str())) {
            return refused(AuthFailure::WrongAudience);
        }
        match p.cfg.identity {
            IdentityMatch::Subject => {
                let Some(sub) = claims.get("sub").and_then(|v| v.as_str()).filter(|s| !s.is_empty() && s.len() <= 255)
                else {
                    return refused(AuthFailure::TokenInvalid);
                };
                Ok(known(app.actor_by_identity(&p.cfg.issuer, sub).await?))
            }
            IdentityMatch::FiscalCode => {
                let claim = claims.get(&p.cfg.fiscal_code_claim).and_then(|v| v.as_str()).map(|c| {
                    let c = c.trim();
                    c.strip_prefix("TINIT-").unwrap_or(c).to_ascii_uppercase()
                });
                let Some(code) =
                    claim.filter(|c| (11..=16).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric()))
                else {
                    return refused(AuthFailure::UnknownOperator);
                };
                Ok(known(app.actor_by_fiscal_code(&code).await?))
            }
        }
    }
}

fn known(actor: Option<Actor>) -> Authenticated {
    match actor {
        Some(a) => Authenticated::Actor(Box::new(a)),
        None => Authenticated::Refused(AuthFailure::UnknownOperator),
    }
}

/// A claim of a token's payload, read without verifying it (only to pick the provider).
fn unverified_claim(token: &str, claim: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get(claim)?.as_str().map(str::to_string)
}
