//! The plug-in runtime of SISO: administrations' rules as sandboxed WebAssembly components
//! against the versioned WIT contract `siso:plugin` (see `wit/` and docs/plugins.md).
//!
//! - [`package`]: manifests, packages, ed25519 signatures;
//! - [`runtime`]: the engine, the compile cache, per-call sandboxes, faults and counters;
//! - [`bindings`]: the one module with generated WIT bindings, converting at its edge;
//! - [`model`]: what goes in and comes out, in host terms;
//! - [`harness`]: runs a plug-in on fixtures without a server, for authors' tests.

mod bindings;
pub mod harness;
pub mod inspect;
pub mod model;
pub mod package;
pub mod runtime;

pub use model::Hook;
pub use package::{Capability, Manifest, Package, PackageError, TrustedKey};
pub use runtime::{CallEnv, Fault, FaultKind, Limits, LoadError, LoadedPlugin, PluginStats, Runtime, RuntimeConfig};
