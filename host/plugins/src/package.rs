//! Plug-in packages: a component plus its manifest, signed with ed25519 over their digest.
//!
//! File layout (`.sisoplugin`), all lengths little-endian:
//!
//! ```text
//! "SISOPKG1" | u32 manifest length | manifest (JSON) | u32 component length | component
//!            | u32 signature length | signature (JSON: publisher key and ed25519 signature, base64)
//! ```
//!
//! The digest is SHA-256 over a domain-separation tag and the length-prefixed manifest and
//! component; the signature covers the digest. The digest is pinned at install.

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::{Signer, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Hook;

const MAGIC: &[u8; 8] = b"SISOPKG1";
const DIGEST_TAG: &[u8] = b"siso-plugin-package-v1\0";
/// The largest component accepted.
pub const MAX_COMPONENT_BYTES: usize = 32 << 20;
const MAX_MANIFEST_BYTES: usize = 256 << 10;

/// What can go wrong with a package.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    /// Not a package, truncated or oversized.
    #[error("malformed package: {0}")]
    Malformed(String),
    /// The manifest is not valid.
    #[error("invalid manifest: {0}")]
    Manifest(String),
    /// No signature, and the host is not in development mode.
    #[error("the package is not signed")]
    Unsigned,
    /// The signature does not verify (altered package or wrong key).
    #[error("the signature does not match the package (altered or signed with another key)")]
    BadSignature,
    /// Signed by a key that is not trusted for the manifest's publisher.
    #[error("the signing key is not trusted for publisher {0:?}")]
    UntrustedKey(String),
    /// A key file is not usable.
    #[error("bad key: {0}")]
    BadKey(String),
}

/// A capability a plug-in asks for and an administrator grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Capability {
    /// Read the intervention catalogue (`find-catalogue-entry`).
    #[serde(rename = "catalogue:read")]
    CatalogueRead,
    /// Receive health data: the answers of assessments and the SINA data set (special-category
    /// data, GDPR art. 9). Without it a plug-in sees assessments with their instrument, date,
    /// assessor and score only.
    #[serde(rename = "health:read")]
    HealthRead,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 2] = [Capability::CatalogueRead, Capability::HealthRead];

    /// The manifest name.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::CatalogueRead => "catalogue:read",
            Capability::HealthRead => "health:read",
        }
    }

    /// Parses a manifest name.
    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A plug-in's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Reverse-DNS id, e.g. `it.regione.umbria.rules`.
    pub id: String,
    /// Semantic version of the plug-in.
    pub version: String,
    /// The WIT contract version it targets, e.g. `0.1.0`.
    pub wit: String,
    /// Who publishes it (must match a trusted key's publisher).
    pub publisher: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Capabilities it asks for.
    #[serde(default)]
    pub capabilities: BTreeSet<Capability>,
    /// Hooks it implements.
    pub hooks: BTreeSet<Hook>,
    /// JSON Schema of its per-organisation settings.
    #[serde(default = "default_schema")]
    pub settings_schema: serde_json::Value,
}

fn default_schema() -> serde_json::Value {
    serde_json::json!({ "type": "object" })
}

/// The manifest as authors write it (`siso-plugin.toml`): the schema may live in a file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorManifest {
    /// See [`Manifest::id`].
    pub id: String,
    /// See [`Manifest::version`].
    pub version: String,
    /// See [`Manifest::wit`].
    pub wit: String,
    /// See [`Manifest::publisher`].
    pub publisher: String,
    /// See [`Manifest::description`].
    #[serde(default)]
    pub description: String,
    /// See [`Manifest::capabilities`].
    #[serde(default)]
    pub capabilities: BTreeSet<Capability>,
    /// See [`Manifest::hooks`].
    pub hooks: BTreeSet<Hook>,
    /// A JSON Schema file, relative to the manifest.
    #[serde(default)]
    pub settings_schema_file: Option<String>,
}

impl AuthorManifest {
    /// Reads `siso-plugin.toml` and the schema file it names.
    pub fn load(path: &std::path::Path) -> Result<Manifest, PackageError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PackageError::Manifest(format!("cannot read {}: {e}", path.display())))?;
        let m: AuthorManifest = toml::from_str(&text).map_err(|e| PackageError::Manifest(e.to_string()))?;
        let settings_schema = match &m.settings_schema_file {
            Some(f) => {
                let p = path.parent().unwrap_or(std::path::Path::new(".")).join(f);
                let s = std::fs::read_to_string(&p)
                    .map_err(|e| PackageError::Manifest(format!("cannot read {}: {e}", p.display())))?;
                serde_json::from_str(&s)
                    .map_err(|e| PackageError::Manifest(format!("{} is not JSON: {e}", p.display())))?
            }
            None => default_schema(),
        };
        let manifest = Manifest {
            id: m.id,
            version: m.version,
            wit: m.wit,
            publisher: m.publisher,
            description: m.description,
            capabilities: m.capabilities,
            hooks: m.hooks,
            settings_schema,
        };
        manifest.check()?;
        Ok(manifest)
    }
}

impl Manifest {
    /// Checks the fields.
    pub fn check(&self) -> Result<(), PackageError> {
        let bad = |m: &str| Err(PackageError::Manifest(m.into()));
        let id_ok = (3..=100).contains(&self.id.len())
            && self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && !self.id.starts_with('.')
            && !self.id.ends_with('.');
        if !id_ok {
            return bad("the id must be 3–100 characters of a–z, 0–9, '.' and '-' (reverse DNS)");
        }
        if semver::Version::parse(&self.version).is_err() {
            return bad("the version must be a semantic version (e.g. 1.2.0)");
        }
        if semver::Version::parse(&self.wit).is_err() {
            return bad("wit must be the contract version (e.g. 0.1.0)");
        }
        if self.publisher.trim().is_empty() || self.publisher.len() > 200 {
            return bad("the publisher must be 1–200 characters");
        }
        if self.hooks.is_empty() {
            return bad("a plug-in must implement at least one hook");
        }
        if jsonschema::validator_for(&self.settings_schema).is_err() {
            return bad("settings_schema is not a valid JSON Schema");
        }
        Ok(())
    }

    /// The version, parsed.
    pub fn semver(&self) -> semver::Version {
        semver::Version::parse(&self.version).unwrap_or_else(|_| semver::Version::new(0, 0, 0))
    }

    /// Checks per-organisation settings against the schema.
    pub fn check_settings(&self, settings: &serde_json::Value) -> Result<(), String> {
        let v = jsonschema::validator_for(&self.settings_schema).map_err(|e| e.to_string())?;
        let errors: Vec<String> =
            v.iter_errors(settings).take(5).map(|e| format!("{e} (at {})", e.instance_path)).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }
}

/// Who signed a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The publisher's public key (base64).
    pub key: String,
    /// ed25519 signature of the digest (base64).
    pub signature: String,
}

/// A package, parsed.
#[derive(Debug, Clone)]
pub struct Package {
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest bytes as packaged (the digest covers these).
    pub manifest_bytes: Vec<u8>,
    /// The component.
    pub component: Vec<u8>,
    /// The signature, if signed.
    pub signature: Option<Signature>,
}

/// SHA-256, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The package digest (hex) of manifest bytes and a component.
pub fn digest_of(manifest: &[u8], component: &[u8]) -> String {
    hex(&digest_bytes(manifest, component))
}

fn digest_bytes(manifest: &[u8], component: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DIGEST_TAG);
    h.update((manifest.len() as u64).to_le_bytes());
    h.update(manifest);
    h.update((component.len() as u64).to_le_bytes());
    h.update(component);
    h.finalize().into()
}

impl Package {
    /// A new, unsigned package.
    pub fn new(manifest: Manifest, component: Vec<u8>) -> Result<Package, PackageError> {
        manifest.check()?;
        if component.len() > MAX_COMPONENT_BYTES {
            return Err(PackageError::Malformed("the component is larger than 32 MiB".into()));
        }
        let manifest_bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| PackageError::Manifest(e.to_string()))?;
        Ok(Package { manifest, manifest_bytes, component, signature: None })
    }

    /// The digest pinned at install (hex).
    pub fn digest(&self) -> String {
        hex(&digest_bytes(&self.manifest_bytes, &self.component))
    }

    /// Signs the package.
    pub fn sign(&mut self, key: &SigningKey) {
        let sig = key.sign(&digest_bytes(&self.manifest_bytes, &self.component));
        self.signature =
            Some(Signature { key: B64.encode(key.verifying_key().as_bytes()), signature: B64.encode(sig.to_bytes()) });
    }

    /// Verifies the signature against the trusted publishers. Returns the signing key, or
    /// `None` for an unsigned package accepted in development mode.
    pub fn verify(&self, trusted: &[TrustedKey], development: bool) -> Result<Option<String>, PackageError> {
        let Some(sig) = &self.signature else {
            return if development { Ok(None) } else { Err(PackageError::Unsigned) };
        };
        let key = parse_public_key(&sig.key)?;
        let bytes = B64.decode(&sig.signature).map_err(|_| PackageError::BadSignature)?;
        let bytes: [u8; 64] = bytes.try_into().map_err(|_| PackageError::BadSignature)?;
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        key.verify(&digest_bytes(&self.manifest_bytes, &self.component), &signature)
            .map_err(|_| PackageError::BadSignature)?;
        let is_trusted = trusted.iter().any(|t| t.key == sig.key && t.publisher == self.manifest.publisher);
        if !is_trusted && !development {
            return Err(PackageError::UntrustedKey(self.manifest.publisher.clone()));
        }
        Ok(Some(sig.key.clone()))
    }

    /// Serialises the package.
    pub fn to_bytes(&self) -> Vec<u8> {
        let sig = self.signature.as_ref().map(|s| serde_json::to_vec(s).unwrap_or_default()).unwrap_or_default();
        let mut out = Vec::with_capacity(32 + self.manifest_bytes.len() + self.component.len() + sig.len());
        out.extend_from_slice(MAGIC);
        for part in [&self.manifest_bytes, &self.component, &sig] {
            out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    /// Parses a package (without verifying its signature).
    pub fn from_bytes(bytes: &[u8]) -> Result<Package, PackageError> {
        let rest =
            bytes.strip_prefix(MAGIC).ok_or_else(|| PackageError::Malformed("not a SISO plug-in package".into()))?;
        let (manifest_bytes, rest) = take(rest, MAX_MANIFEST_BYTES, "manifest")?;
        let (component, rest) = take(rest, MAX_COMPONENT_BYTES, "component")?;
        let (sig, rest) = take(rest, 4096, "signature")?;
        if !rest.is_empty() {
            return Err(PackageError::Malformed("trailing bytes after the signature".into()));
        }
        let manifest: Manifest =
            serde_json::from_slice(manifest_bytes).map_err(|e| PackageError::Manifest(e.to_string()))?;
        manifest.check()?;
        let signature = if sig.is_empty() {
            None
        } else {
            Some(serde_json::from_slice(sig).map_err(|_| PackageError::Malformed("unreadable signature".into()))?)
        };
        Ok(Package { manifest, manifest_bytes: manifest_bytes.to_vec(), component: component.to_vec(), signature })
    }
}

fn take<'a>(bytes: &'a [u8], max: usize, what: &str) -> Result<(&'a [u8], &'a [u8]), PackageError> {
    let truncated = || PackageError::Malformed(format!("truncated {what}"));
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or_else(truncated)?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > max {
        return Err(PackageError::Malformed(format!("the {what} is too large")));
    }
    if rest.len() < len {
        return Err(truncated());
    }
    Ok(rest.split_at(len))
}

/// A publisher key trusted by the host's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    /// The publisher name the key may sign for.
    pub publisher: String,
    /// The ed25519 public key (base64).
    pub key: String,
}

/// Parses a base64 ed25519 public key.
pub fn parse_public_key(b64: &str) -> Result<VerifyingKey, PackageError> {
    let bytes = B64.decode(b64.trim()).map_err(|_| PackageError::BadKey("not base64".into()))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| PackageError::BadKey("not 32 bytes".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| PackageError::BadKey("not an ed25519 public key".into()))
}

/// A new signing key from the operating system's random source.
pub fn generate_key() -> Result<SigningKey, PackageError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| PackageError::BadKey(format!("no randomness: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The secret key file format: the base64 seed on one line.
pub fn encode_secret_key(key: &SigningKey) -> String {
    format!("{}\n", B64.encode(key.to_bytes()))
}

/// Reads a secret key file.
pub fn decode_secret_key(text: &str) -> Result<SigningKey, PackageError> {
    let bytes = B64.decode(text.trim()).map_err(|_| PackageError::BadKey("not base64".into()))?;
    let seed: [u8; 32] = bytes.try_into().map_err(|_| PackageError::BadKey("not a 32-byte seed".into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public half of a key, base64.
pub fn public_key(key: &SigningKey) -> String {
    B64.encode(key.verifying_key().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            id: "it.example.rules".into(),
            version: "1.0.0".into(),
            wit: "0.1.0".into(),
            publisher: "Example".into(),
            description: String::new(),
            capabilities: BTreeSet::new(),
            hooks: [Hook::CaseOpened].into(),
            settings_schema: serde_json::json!({"type": "object", "properties": {"n": {"type": "integer"}}}),
        }
    }

    #[test]
    fn signed_packages_round_trip_and_verify() -> Result<(), PackageError> {
        let key = generate_key()?;
        let mut p = Package::new(manifest(), b"\0asm component bytes".to_vec())?;
        p.sign(&key);
        let q = Package::from_bytes(&p.to_bytes())?;
        assert_eq!(q.digest(), p.digest());
        let trusted = [TrustedKey { publisher: "Example".into(), key: public_key(&key) }];
        assert_eq!(q.verify(&trusted, false)?, Some(public_key(&key)));
        Ok(())
    }

    #[test]
    fn altered_unsigned_and_untrusted_packages_are_refused() -> Result<(), PackageError> {
        let key = generate_key()?;
        let trusted = [TrustedKey { publisher: "Example".into(), key: public_key(&key) }];
        let mut p = Package::new(manifest(), b"component".to_vec())?;
        assert_eq!(p.verify(&trusted, false), Err(PackageError::Unsigned));
        assert_eq!(p.verify(&trusted, true), Ok(None));
        p.sign(&key);
        let mut bytes = p.to_bytes();
        let at = bytes.len() - 200;
        bytes[at] ^= 1; // inside the component or the manifest
        match Package::from_bytes(&bytes) {
            Ok(altered) => assert_eq!(altered.verify(&trusted, false), Err(PackageError::BadSignature)),
            Err(e) => assert!(matches!(e, PackageError::Malformed(_) | PackageError::Manifest(_))),
        }
        let mut q = Package::new(manifest(), b"component".to_vec())?;
        q.component.push(0);
        q.signature = p.signature.clone();
        assert_eq!(q.verify(&trusted, false), Err(PackageError::BadSignature));
        let other = generate_key()?;
        q.sign(&other);
        assert_eq!(q.verify(&trusted, false), Err(PackageError::UntrustedKey("Example".into())));
        Ok(())
    }

    #[test]
    fn malformed_packages_and_manifests_are_refused() {
        assert!(matches!(Package::from_bytes(b"nope"), Err(PackageError::Malformed(_))));
        assert!(matches!(Package::from_bytes(b"SISOPKG1\xff\xff\xff\xff"), Err(PackageError::Malformed(_))));
        let mut m = manifest();
        m.id = "Bad Id".into();
        assert!(matches!(m.check(), Err(PackageError::Manifest(_))));
        let mut m = manifest();
        m.version = "one".into();
        assert!(matches!(m.check(), Err(PackageError::Manifest(_))));
        let mut m = manifest();
        m.settings_schema = serde_json::json!({"type": 12});
        assert!(matches!(m.check(), Err(PackageError::Manifest(_))));
    }

    #[test]
    fn settings_are_checked_against_the_schema() {
        let m = manifest();
        assert!(m.check_settings(&serde_json::json!({"n": 3})).is_ok());
        assert!(m.check_settings(&serde_json::json!({"n": "three"})).is_err());
    }
}
