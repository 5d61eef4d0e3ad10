//! The sandbox: one shared wasmtime [`Engine`] with the pooling allocator; components compiled
//! once (at install) into an on-disk cache keyed by their SHA-256 and the engine; an
//! [`InstancePre`] per plug-in; a fresh [`Store`] and instance for every call, with a deadline,
//! fuel, a memory cap and input/output caps; WASI linked with a context that grants nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use siso_domain::catalogue::CatalogueEntry;
use siso_domain::clock::Clock;
use wasmtime::component::{Component, HasSelf, Instance, InstancePre, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::bindings::{self, WireSize, contribute, decide, host_api, report, validate, wit};
use crate::model::{self, CallContext, Hook};
use crate::package::{Capability, Manifest};

/// How often the epoch advances: the granularity of deadlines.
const TICK: Duration = Duration::from_millis(1);
/// Bytes of a guest's stderr kept for a fault report.
const STDERR_BYTES: usize = 4096;

/// Per-call limits, set globally and overridable per plug-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock deadline of one call (instantiation included).
    pub timeout: Duration,
    /// Fuel (roughly, WebAssembly instructions) of one call.
    pub fuel: u64,
    /// Linear memory cap.
    pub memory_bytes: usize,
    /// Cap on the encoded size of a call's arguments.
    pub max_input_bytes: usize,
    /// Cap on the encoded size of a call's result.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_millis(200),
            fuel: 200_000_000,
            memory_bytes: 32 << 20,
            max_input_bytes: 4 << 20,
            max_output_bytes: 256 << 10,
        }
    }
}

/// Runtime settings.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where precompiled artifacts are kept.
    pub cache_dir: PathBuf,
    /// Default limits.
    pub limits: Limits,
    /// Largest memory any plug-in may be given (sizes the pool's slots).
    pub max_memory_bytes: usize,
    /// Instances that may run at once (pool size).
    pub max_instances: u32,
    /// The host's clock: the wall clock a guest reads (WASI) is this one, so tests that set
    /// the host's time set the plug-ins' too.
    pub clock: Arc<dyn Clock>,
}

impl RuntimeConfig {
    /// Defaults with the given cache directory.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        RuntimeConfig {
            cache_dir: cache_dir.into(),
            limits: Limits::default(),
            max_memory_bytes: 128 << 20,
            max_instances: 128,
            clock: Arc::new(siso_domain::clock::SystemClock),
        }
    }
}

/// A precompiled artifact a load used or wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The SHA-256 of the artifact file.
    pub sha256: String,
    /// Whether the component was compiled now (the artifact is new: record its digest).
    pub compiled: bool,
}

/// The guest's wall clock: the host's clock, never the machine's.
struct GuestWallClock(Arc<dyn Clock>);

impl wasmtime_wasi::HostWallClock for GuestWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        let t = self.0.now();
        let secs = u64::try_from(t.timestamp()).unwrap_or(0);
        Duration::new(secs, t.timestamp_subsec_nanos())
    }
}

/// Why a plug-in could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Not a valid component for this engine.
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    /// It imports something the host does not provide.
    #[error("the component needs imports the host does not provide: {0}")]
    Imports(String),
    /// It targets a contract version this host does not serve.
    #[error("the component targets siso:plugin@{found}, this host serves {served}")]
    Version {
        /// Found in the component.
        found: String,
        /// Served here.
        served: String,
    },
    /// Its manifest and its exports disagree.
    #[error("{0}")]
    Mismatch(String),
    /// The cache could not be written.
    #[error("compile cache: {0}")]
    Cache(String),
}

/// What kind of fault a plug-in made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// Ran past its deadline.
    Timeout,
    /// Ran out of fuel.
    FuelExhausted,
    /// Tried to grow memory past its cap.
    MemoryLimit,
    /// Overflowed its stack.
    StackOverflow,
    /// Panicked.
    Panic,
    /// Trapped.
    Trap,
    /// Its input was larger than allowed (the plug-in was not run).
    InputTooLarge,
    /// Returned more than allowed.
    OutputTooLarge,
    /// Returned something the host does not accept.
    InvalidOutput,
    /// Called a host function it was not granted.
    CapabilityDenied,
    /// The host had no free instance slot (not the plug-in's fault).
    Unavailable,
}

impl FaultKind {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            FaultKind::Timeout => "TIMEOUT",
            FaultKind::FuelExhausted => "FUEL_EXHAUSTED",
            FaultKind::MemoryLimit => "MEMORY_LIMIT",
            FaultKind::StackOverflow => "STACK_OVERFLOW",
            FaultKind::Panic => "PANIC",
            FaultKind::Trap => "TRAP",
            FaultKind::InputTooLarge => "INPUT_TOO_LARGE",
            FaultKind::OutputTooLarge => "OUTPUT_TOO_LARGE",
            FaultKind::InvalidOutput => "INVALID_OUTPUT",
            FaultKind::CapabilityDenied => "CAPABILITY_DENIED",
            FaultKind::Unavailable => "UNAVAILABLE",
        }
    }

    /// Whether the fault is the plug-in's (counts towards quarantine).
    pub fn is_plugins_fault(self) -> bool {
        !matches!(self, FaultKind::Unavailable | FaultKind::InputTooLarge)
    }
}

/// A plug-in fault: a typed error naming the plug-in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("plug-in {plugin} failed ({}): {detail}", kind.code())]
pub struct Fault {
    /// `id@version`.
    pub plugin: String,
    /// What happened.
    pub kind: FaultKind,
    /// Details (bounded; a panic's message, the trap).
    pub detail: String,
}

/// What a call may use: limits, granted capabilities and the data behind host lookups
/// (already restricted to the request's organisation).
#[derive(Debug, Clone, Default)]
pub struct CallEnv {
    /// Limits of this call.
    pub limits: Limits,
    /// Capabilities the administrator granted.
    pub capabilities: BTreeSet<Capability>,
    /// The catalogue visible to the organisation (for `find-catalogue-entry`).
    pub catalogue: Arc<Vec<CatalogueEntry>>,
}

/// A loaded plug-in version, ready to instantiate. Cheap to clone (shared).
#[derive(Clone)]
pub struct LoadedPlugin(Arc<Loaded>);

impl std::ops::Deref for LoadedPlugin {
    type Target = Loaded;

    fn deref(&self) -> &Loaded {
        &self.0
    }
}

/// What a loaded plug-in version is made of.
pub struct Loaded {
    manifest: Manifest,
    digest: String,
    label: String,
    pre: InstancePre<State>,
    validate: Option<validate::GuestIndices>,
    decide: Option<decide::GuestIndices>,
    contribute: Option<contribute::GuestIndices>,
    report: Option<report::GuestIndices>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin").field("label", &self.label).field("digest", &self.digest).finish()
    }
}

impl LoadedPlugin {
    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// SHA-256 of the component.
    pub fn component_digest(&self) -> &str {
        &self.digest
    }

    /// `id@version`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Whether the plug-in implements a hook.
    pub fn implements(&self, hook: Hook) -> bool {
        self.manifest.hooks.contains(&hook)
    }
}

/// Counters of one plug-in version, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginStats {
    /// Calls.
    pub invocations: u64,
    /// Faults, by kind code.
    pub faults: BTreeMap<&'static str, u64>,
    /// Time spent in calls, nanoseconds.
    pub nanos: u64,
    /// Fuel used.
    pub fuel: u64,
}

/// The per-call host state.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limiter: Limiter,
    stderr: MemoryOutputPipe,
    ticks_left: u64,
    timed_out: bool,
    denied: Option<Capability>,
    logs: u32,
    label: Arc<str>,
    capabilities: BTreeSet<Capability>,
    catalogue: Arc<Vec<CatalogueEntry>>,
}

/// The most linear memories, core instances and tables one component may create: enough for
/// what `wasm32-wasip2` toolchains produce (one memory, a few shim instances and tables), too
/// few to hold many memories each under the cap.
const MAX_MEMORIES: usize = 2;
const MAX_CORE_INSTANCES: usize = 16;
const MAX_TABLES: usize = 16;

/// What one call may take: its memory cap counts every linear memory of the component
/// together (a component of several core instances gets no more than one of one).
struct Limiter {
    memory_bytes: usize,
    memory_in_use: usize,
    memory_denied: bool,
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let total = self.memory_in_use.saturating_sub(current).saturating_add(desired);
        if total > self.memory_bytes {
            self.memory_denied = true;
            return Ok(false);
        }
        self.memory_in_use = total;
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        MAX_CORE_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl wit::Host for State {}

impl host_api::Host for State {
    fn log(&mut self, level: host_api::Level, message: String) -> wasmtime::Result<()> {
        // Bounded: a chatty plug-in cannot flood the log.
        self.logs += 1;
        if self.logs > 50 {
            return Ok(());
        }
        // A plug-in's text is not trusted to be free of personal data: it goes to the debug
        // level of its own target (`siso_plugin_guest`), off unless an operator turns it on.
        let message: String = message.chars().take(500).collect();
        let plugin = &*self.label;
        let level = match level {
            host_api::Level::Debug => "debug",
            host_api::Level::Info => "info",
            host_api::Level::Warn => "warn",
            host_api::Level::Error => "error",
        };
        tracing::debug!(target: "siso_plugin_guest", plugin, level, "{message}");
        Ok(())
    }

    fn find_catalogue_entry(
        &mut self,
        inps_code: String,
    ) -> wasmtime::Result<Result<Option<wit::CatalogueEntry>, String>> {
        if !self.capabilities.contains(&Capability::CatalogueRead) {
            self.denied = Some(Capability::CatalogueRead);
            return Err(wasmtime::format_err!("capability catalogue:read was not granted"));
        }
        Ok(Ok(self.catalogue.iter().find(|e| e.inps_code == inps_code).map(bindings::catalogue_entry)))
    }
}

struct Inner {
    engine: Engine,
    linker: Linker<State>,
    config: RuntimeConfig,
    engine_hash: u64,
    stats: Mutex<HashMap<String, PluginStats>>,
    /// Instances alive now, per plug-in version: no plug-in may hold more than a quarter of
    /// the pool, and an exhausted pool names (and counts against) the one holding most.
    live: Arc<Mutex<HashMap<String, usize>>>,
    stop: Arc<AtomicBool>,
    /// The threads guest code runs on, apart from those serving requests (`None` when they
    /// could not be started: calls then run where they are awaited).
    exec: Option<tokio::runtime::Runtime>,
}

/// One live instance of a plug-in, counted until the call's store is dropped.
struct Slot {
    live: Arc<Mutex<HashMap<String, usize>>>,
    label: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut live = self.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = live.get_mut(&self.label) {
            *n = n.saturating_sub(1);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Dropping a runtime may block: let its threads wind down on their own.
        if let Some(exec) = self.exec.take() {
            exec.shutdown_background();
        }
    }
}

/// The plug-in runtime. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("cache_dir", &self.inner.config.cache_dir).finish()
    }
}

/// A call in progress.
struct Call {
    store: Store<State>,
    instance: Instance,
    started: Instant,
    _slot: Slot,
}

impl Runtime {
    /// Builds the engine, the linker and the epoch ticker.
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Runtime> {
        let mut cfg = Config::new();
        cfg.wasm_component_model(true);
        cfg.epoch_interruption(true);
        cfg.consume_fuel(true);
        cfg.parallel_compilation(true);
        let mut pool = PoolingAllocationConfig::default();
        let n = config.max_instances.max(1);
        let per = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        pool.total_component_instances(n)
            .total_core_instances(n * 4)
            .total_memories(n * 2)
            .total_tables(n * 4)
            .total_stacks(n)
            .max_core_instances_per_component(per(MAX_CORE_INSTANCES))
            .max_memories_per_component(per(MAX_MEMORIES))
            .max_tables_per_component(per(MAX_TABLES))
            .max_memory_size(config.max_memory_bytes)
            // Reset small memories, tables and stacks with memset instead of returning them to
            // the kernel at every call (madvise and TLB shootdowns dominated short calls);
            // either way nothing survives from one instance to the next. What a call grew
            // beyond that goes back to the kernel as soon as the instance ends (no batching):
            // a plug-in that fills its memory cap holds it for its own call only.
            .linear_memory_keep_resident(2 << 20)
            .table_keep_resident(64 << 10)
            .async_stack_keep_resident(256 << 10)
            .decommit_batch_size(1);
        cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&cfg).map_err(|e| anyhow::anyhow!("cannot start the WebAssembly engine: {e}"))?;

        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| anyhow::anyhow!("{e}"))?;
        bindings::Plugin::add_to_linker::<State, HasSelf<State>>(&mut linker, |s| s)
            .map_err(|e| anyhow::anyhow!("{e}"))?;

        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        let engine_hash = h.finish();

        std::fs::create_dir_all(&config.cache_dir)
            .map_err(|e| anyhow::anyhow!("cannot create the plug-in cache {}: {e}", config.cache_dir.display()))?;
        check_cache_dir(&config.cache_dir)?;

        let stop = Arc::new(AtomicBool::new(false));
        let ticker_engine = engine.clone();
        let ticker_stop = stop.clone();
        std::thread::Builder::new()
            .name("siso-plugin-epoch".into())
            .spawn(move || {
                while !ticker_stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    ticker_engine.increment_epoch();
                }
            })
            .map_err(|e| anyhow::anyhow!("cannot start the epoch ticker: {e}"))?;

        Ok(Runtime {
            inner: Arc::new(Inner {
                engine,
                linker,
                config,
                engine_hash,
                stats: Mutex::new(HashMap::new()),
                live: Arc::new(Mutex::new(HashMap::new())),
                stop,
                exec: Some(plugin_threads()?),
            }),
        })
    }

    /// Default limits.
    pub fn default_limits(&self) -> Limits {
        self.inner.config.limits
    }

    /// The artifact path of a component in the cache.
    fn artifact_path(&self, digest: &str) -> PathBuf {
        self.inner.config.cache_dir.join(format!("{digest}-{:016x}.cwasm", self.inner.engine_hash))
    }

    /// This engine's identity for precompiled artifacts (its compatibility hash).
    pub fn engine_id(&self) -> String {
        format!("{:016x}", self.inner.engine_hash)
    }

    /// Compiles and links a component (no precompiled artifact is trusted without its digest:
    /// see [`Runtime::load_trusting`]). CPU-heavy: call it off the async executor.
    pub fn load(&self, manifest: &Manifest, component: &[u8]) -> Result<LoadedPlugin, LoadError> {
        self.load_trusting(manifest, component, None).map(|(p, _)| p)
    }

    /// Links a component from the compile cache when the artifact on disk has the SHA-256
    /// `trusted` (recorded when this engine compiled it), else compiles it again and writes a
    /// new artifact. Artifacts are native code: one whose digest does not match (or whose
    /// digest is unknown) is never loaded. CPU-heavy on a miss: call it off the executor.
    pub fn load_trusting(
        &self,
        manifest: &Manifest,
        component: &[u8],
        trusted: Option<&str>,
    ) -> Result<(LoadedPlugin, Artifact), LoadError> {
        let digest = crate::package::sha256_hex(component);
        let path = self.artifact_path(&digest);
        if let Some(expected) = trusted
            && let Some(c) = load_artifact(&self.inner.engine, &path, expected)
        {
            let artifact = Artifact { sha256: expected.to_string(), compiled: false };
            return Ok((self.link(manifest, digest, &c)?, artifact));
        }
        let c = Component::new(&self.inner.engine, component).map_err(|e| LoadError::Invalid(format!("{e}")))?;
        let sha256 = store_artifact(&path, &c)?;
        Ok((self.link(manifest, digest, &c)?, Artifact { sha256, compiled: true }))
    }

    fn link(&self, manifest: &Manifest, digest: String, component: &Component) -> Result<LoadedPlugin, LoadError> {
        let engine = &self.inner.engine;
        let mut versions = BTreeSet::new();
        for (name, _) in component.component_type().exports(engine) {
            if let Some(rest) = name.strip_prefix("siso:plugin/")
                && let Some((_, v)) = rest.split_once('@')
            {
                versions.insert(v.to_string());
            }
        }
        let found = match versions.len() {
            0 => return Err(LoadError::Mismatch("the component exports no siso:plugin interface".into())),
            1 => versions.into_iter().next().unwrap_or_default(),
            _ => return Err(LoadError::Mismatch("the component mixes siso:plugin versions".into())),
        };
        if found != bindings::WIT_VERSION {
            return Err(LoadError::Version { found, served: bindings::WIT_VERSION.into() });
        }
        if manifest.wit != found {
            return Err(LoadError::Mismatch(format!(
                "the manifest says wit {} but the component targets {found}",
                manifest.wit
            )));
        }
        let pre = self.inner.linker.instantiate_pre(component).map_err(|e| LoadError::Imports(format!("{e}")))?;
        let plugin = LoadedPlugin(Arc::new(Loaded {
            manifest: manifest.clone(),
            digest,
            label: format!("{}@{}", manifest.id, manifest.version),
            validate: validate::GuestIndices::new(&pre).ok(),
            decide: decide::GuestIndices::new(&pre).ok(),
            contribute: contribute::GuestIndices::new(&pre).ok(),
            report: report::GuestIndices::new(&pre).ok(),
            pre,
        }));
        for hook in &manifest.hooks {
            let exported = match hook.interface() {
                "validate" => plugin.validate.is_some(),
                "decide" => plugin.decide.is_some(),
                "contribute" => plugin.contribute.is_some(),
                _ => plugin.report.is_some(),
            };
            if !exported {
                return Err(LoadError::Mismatch(format!(
                    "the manifest declares {hook} but the component does not export siso:plugin/{}",
                    hook.interface()
                )));
            }
        }
        Ok(plugin)
    }

    /// Counters per plug-in version (`id@version`).
    pub fn stats(&self) -> BTreeMap<String, PluginStats> {
        self.inner.stats.lock().map(|s| s.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
    }

    /// A fault for an answer the host refuses after the call (an amount beyond what the
    /// request allows), counted like any invalid output.
    pub fn invalid_output(&self, p: &LoadedPlugin, detail: impl Into<String>) -> Fault {
        self.fault(p, FaultKind::InvalidOutput, detail)
    }

    /// Takes a slot of the instance pool for `p`: no plug-in holds more than a quarter of it.
    fn slot(&self, p: &LoadedPlugin) -> Result<Slot, Fault> {
        let cap = (self.inner.config.max_instances as usize / 4).max(1);
        let mut live = self.inner.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = live.entry(p.label.clone()).or_default();
        if *n >= cap {
            drop(live);
            return Err(self.fault(p, FaultKind::Unavailable, "too many instances of this plug-in at once"));
        }
        *n += 1;
        Ok(Slot { live: self.inner.live.clone(), label: p.label.clone() })
    }

    /// The plug-in holding most of an exhausted pool: named in the fault, and counted against
    /// it (`POOL_EXHAUSTED` in its metrics), not against the plug-in that found no slot.
    fn pool_holder(&self) -> String {
        let live = self.inner.live.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((label, n)) = live.iter().max_by_key(|(_, n)| **n).map(|(l, n)| (l.clone(), *n)) else {
            return "try again".into();
        };
        drop(live);
        if let Ok(mut s) = self.inner.stats.lock() {
            *s.entry(label.clone()).or_default().faults.entry("POOL_EXHAUSTED").or_default() += 1;
        }
        format!("{label} holds {n} instances; try again")
    }

    fn fault(&self, p: &LoadedPlugin, kind: FaultKind, detail: impl Into<String>) -> Fault {
        if let Ok(mut s) = self.inner.stats.lock() {
            *s.entry(p.label.clone()).or_default().faults.entry(kind.code()).or_default() += 1;
        }
        Fault { plugin: p.label.clone(), kind, detail: detail.into() }
    }

    async fn begin(&self, p: &LoadedPlugin, env: &CallEnv, input_bytes: usize) -> Result<Call, Fault> {
        if input_bytes > env.limits.max_input_bytes {
            return Err(self.fault(
                p,
                FaultKind::InputTooLarge,
                format!("input of {input_bytes} bytes exceeds the cap of {}", env.limits.max_input_bytes),
            ));
        }
        let started = Instant::now();
        let stderr = MemoryOutputPipe::new(STDERR_BYTES);
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .wall_clock(GuestWallClock(self.inner.config.clock.clone()))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let ticks = u64::try_from(env.limits.timeout.as_millis() / TICK.as_millis().max(1)).unwrap_or(u64::MAX).max(1);
        let state = State {
            wasi,
            table: ResourceTable::new(),
            limiter: Limiter { memory_bytes: env.limits.memory_bytes, memory_in_use: 0, memory_denied: false },
            stderr,
            ticks_left: ticks,
            timed_out: false,
            denied: None,
            logs: 0,
            label: Arc::from(p.label.as_str()),
            capabilities: env.capabilities.clone(),
            catalogue: env.catalogue.clone(),
        };
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|s| &mut s.limiter);
        // What the host copies out of the guest in one go (the answer; a host call's
        // arguments) is counted before it is copied and capped at the output cap: strings that
        // all point at one large buffer cost the host no more than one answer's worth.
        store.set_hostcall_fuel(env.limits.max_output_bytes);
        store.set_fuel(env.limits.fuel).map_err(|e| self.fault(p, FaultKind::Unavailable, format!("{e}")))?;
        // A guest yields every YIELD_FUEL instructions (not at epoch ticks, see below): a call
        // longer than that leaves the threads serving requests within tens of microseconds
        // (see `off_request_threads`).
        store
            .fuel_async_yield_interval(Some(YIELD_FUEL))
            .map_err(|e| self.fault(p, FaultKind::Unavailable, format!("{e}")))?;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            if s.ticks_left == 0 {
                s.timed_out = true;
                return Ok(UpdateDeadline::Interrupt);
            }
            s.ticks_left -= 1;
            // No yield here: the guest yields every YIELD_FUEL instructions already, and a
            // yield at a tick would move a short call that happens to cross one.
            Ok(UpdateDeadline::Continue(1))
        });
        let slot = self.slot(p)?;
        match p.pre.instantiate_async(&mut store).await {
            Ok(instance) => Ok(Call { store, instance, started, _slot: slot }),
            Err(e) => Err(self.classify(p, &store, env, started, e)),
        }
    }

    fn classify(
        &self,
        p: &LoadedPlugin,
        store: &Store<State>,
        env: &CallEnv,
        started: Instant,
        e: wasmtime::Error,
    ) -> Fault {
        self.account(p, store, env, started);
        let s = store.data();
        let stderr = String::from_utf8_lossy(&s.stderr.contents()).trim().to_string();
        let trap = e.downcast_ref::<Trap>().copied();
        let (kind, detail) = if let Some(cap) = s.denied {
            (FaultKind::CapabilityDenied, format!("called a host function needing {cap}, which was not granted"))
        } else if s.timed_out || trap == Some(Trap::Interrupt) {
            (FaultKind::Timeout, format!("ran longer than {} ms", env.limits.timeout.as_millis()))
        } else if s.limiter.memory_denied {
            (FaultKind::MemoryLimit, format!("tried to use more than {} MiB of memory", env.limits.memory_bytes >> 20))
        } else if trap == Some(Trap::OutOfFuel) {
            (FaultKind::FuelExhausted, format!("used more than {} units of fuel", env.limits.fuel))
        } else if trap == Some(Trap::StackOverflow) {
            (FaultKind::StackOverflow, "overflowed its stack".into())
        } else if stderr.contains("panicked") {
            (FaultKind::Panic, stderr.clone())
        } else if let Some(t) = trap {
            (FaultKind::Trap, if stderr.is_empty() { t.to_string() } else { format!("{t}: {stderr}") })
        } else if e.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() {
            (FaultKind::Unavailable, format!("no free plug-in instance slot; {}", self.pool_holder()))
        } else if e.to_string().contains("copied between the host and the guest") {
            // The answer (or a host call's arguments) would have the host copy more than the
            // output cap: refused before it is copied.
            (FaultKind::OutputTooLarge, format!("the answer exceeds the cap of {} bytes", env.limits.max_output_bytes))
        } else {
            (FaultKind::Trap, format!("{e}"))
        };
        let detail: String = detail.chars().take(1000).collect();
        self.fault(p, kind, detail)
    }

    fn account(&self, p: &LoadedPlugin, store: &Store<State>, env: &CallEnv, started: Instant) {
        let fuel = env.limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        if let Ok(mut s) = self.inner.stats.lock() {
            let e = s.entry(p.label.clone()).or_default();
            e.invocations += 1;
            e.nanos += u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            e.fuel += fuel;
        }
    }

    /// Ends a call: accounts for it and turns a trap into a fault, an oversized or malformed
    /// answer into a fault.
    fn end<W: WireSize, T>(
        &self,
        p: &LoadedPlugin,
        env: &CallEnv,
        call: Call,
        r: wasmtime::Result<Result<W, wit::PluginError>>,
        convert: impl FnOnce(W) -> Result<T, String>,
    ) -> Result<Result<T, model::PluginError>, Fault> {
        match r {
            Err(e) => Err(self.classify(p, &call.store, env, call.started, e)),
            Ok(r) => {
                self.account(p, &call.store, env, call.started);
                match r {
                    Err(e) => {
                        bindings::plugin_error(e).map(Err).map_err(|m| self.fault(p, FaultKind::InvalidOutput, m))
                    }
                    Ok(w) => {
                        let size = w.wire_size();
                        if size > env.limits.max_output_bytes {
                            return Err(self.fault(
                                p,
                                FaultKind::OutputTooLarge,
                                format!("answer of {size} bytes exceeds the cap of {}", env.limits.max_output_bytes),
                            ));
                        }
                        convert(w).map(Ok).map_err(|m| self.fault(p, FaultKind::InvalidOutput, m))
                    }
                }
            }
        }
    }

    /// Bounds a whole call by wall-clock time. The epoch deadline stops guest code that runs;
    /// this also stops a guest blocked in the host (a WASI sleep or poll burns no fuel and
    /// runs no guest code). Dropping the call drops its store.
    async fn guarded<T>(
        &self,
        p: &LoadedPlugin,
        env: &CallEnv,
        call: impl std::future::Future<Output = Result<T, Fault>>,
    ) -> Result<T, Fault> {
        let limit = env.limits.timeout + Duration::from_millis(20);
        match tokio::time::timeout(limit, call).await {
            Ok(r) => r,
            Err(_) => Err(self.fault(
                p,
                FaultKind::Timeout,
                format!("did not return within {} ms (blocked in the host)", env.limits.timeout.as_millis()),
            )),
        }
    }

    fn missing(&self, p: &LoadedPlugin, what: &str) -> Fault {
        Fault { plugin: p.label.clone(), kind: FaultKind::InvalidOutput, detail: format!("does not export {what}") }
    }

    /// Runs a call so that guest code holds the threads serving requests for [`YIELD_FUEL`]
    /// instructions at most. The call is polled once where it is awaited:
    /// most calls finish within that poll (tens of microseconds, no thread hop). A call that
    /// yields — its guest ran that many instructions, slept, or waits for a slot — is handed
    /// to the plug-in threads for the rest, so a plug-in
    /// burning its whole deadline competes only with other plug-in calls, and every
    /// administration's requests keep their threads. (Wasmtime's async calls may move between
    /// threads between polls.)
    async fn off_request_threads<T: Send + 'static>(
        &self,
        p: &LoadedPlugin,
        call: impl std::future::Future<Output = Result<T, Fault>> + Send + 'static,
    ) -> Result<T, Fault> {
        let mut call = Box::pin(call);
        let first =
            std::future::poll_fn(|cx| std::task::Poll::Ready(std::future::Future::poll(call.as_mut(), cx))).await;
        if let std::task::Poll::Ready(r) = first {
            return r;
        }
        let Some(exec) = &self.inner.exec else { return call.await };
        match exec.handle().spawn(call).await {
            Ok(r) => r,
            Err(_) => Err(self.fault(p, FaultKind::Unavailable, "the plug-in's call was stopped")),
        }
    }

    /// Runs a validate hook.
    pub async fn validate(
        &self,
        p: &LoadedPlugin,
        env: &CallEnv,
        ctx: &CallContext,
        change: &model::Change,
    ) -> Result<Result<model::Verdict, model::PluginError>, Fault> {
        let (c, ch) = (bindings::context(ctx), bindings::change(change));
        let (me, pl, env) = (self.clone(), p.clone(), env.clone());
        self.off_request_threads(p, async move {
            let (p, env) = (&pl, &env);
            let idx = p.validate.as_ref().ok_or_else(|| me.missing(p, "siso:plugin/validate"))?;
            me.guarded(p, env, async {
                let mut call = me.begin(p, env, c.wire_size() + ch.wire_size()).await?;
                let r = match idx.load(&mut call.store, &call.instance) {
                    Ok(g) => g.call_validate(&mut call.store, &c, &ch).await,
                    Err(e) => Err(e),
                };
                me.end(p, env, call, r, bindings::verdict)
            })
            .await
        })
        .await
    }

    /// Runs the eligibility decision.
    pub async fn eligibility(
        &self,
        p: &LoadedPlugin,
        env: &CallEnv,
        ctx: &CallContext,
        subject: &model::Subject,
    ) -> Result<Result<model::Eligibility, model::PluginError>, Fault> {
        let (c, s) = (bindings::context(ctx), bindings::subject(subject));
        let (me, pl, env) = (self.clone(), p.clone(), env.clone());
        self.off_request_threads(p, async move {
            let (p, env) = (&pl, &env);
            let idx = p.decide.as_ref().ok_or_else(|| me.missing(p, "siso:plugin/decide"))?;
            me.guarded(p, env, async {
                let mut call = me.begin(p, env, c.wire_size() + s.wire_size()).await?;
                let r = match idx.load(&mut call.store, &call.instance) {
                    Ok(g) => g.call_eligibility(&mut call.store, &c, &s).await,
                    Err(e) => Err(e),
                };
                me.end(p, env, call, r, bindings::eligibility)
            })
            .await
        })
        .await
    }

    /// Runs the co-payment decision.
    pub async fn co_payment(
        &self,
        p: &LoadedPlugin,
        env: &CallEnv,
        ctx: &CallContext,
        subject: &model::Subject,
    ) -> Result<Result<model::CoPayment, model::PluginError>, Fault> {
        let (c, s) = (bindings::context(ctx), bindings::subject(subject));
        let (me, pl, env) = (self.clone(), p.clone(), env.clone());
        self.off_request_threads(p, async move {
            let (p, env) = (&pl, &env);
            let idx = p.decide.as_ref().ok_or_else(|| me.missing(p, "siso:plugin/decide"))?;
            me.guarded(p, env, async {
                let mut call = me.begin(p, env, c.wire_size() + s.wire_size()).await?;
                let r = match idx.load(&mut call.store, &call.instance) {
                    Ok(g) => g.call_co_payment(&mut call.store, &c, &s).await,
                    Err(e) => Err(e),
                };
                me.end(p, env, call, r, bindings::co_payment)
            })
            .await
        })
        .await
    }

    /// Evaluates eligibility of many subjects in one instantiation (bulk work).
    pub async fn eligibility_batch(
        &self,
        p: &LoadedPlugin,
        env: &CallEnv,
        ctx: &CallContext,
        subjects: &[model::Subject],
    ) -> Result<Vec<Result<model::Eligibility, model::PluginError>>, Fault> {
        let subjects: Vec<wit::Subject> = subjects.iter().map(bindings::subject).collect();
        let c = bindings::context(ctx);
        let input = c.wire_size() + subjects.iter().map(WireSize::wire_size).sum::<usize>();
        // The answer may use the output cap once per subject.
        let mut env = env.clone();
        env.limits.max_output_bytes = env.limits.max_output_bytes.saturating_mul(subjects.len().max(1));
        let (me, pl) = (self.clone(), p.clone());
        self.off_request_threads(p, async move {
            let (p, env, subjects) = (&pl, &env, subjects.as_slice());
            let idx = p.decide.as_ref().ok_or_else(|| me.missing(p, "siso:plugin/decide"))?;
            me.guarded(p, env, async {
                let mut call = me.begin(p, env, input).await?;
                let r = match idx.load(&mut call.store, &call.instance) {
                    Ok(g) => g.call_eligibility_batch(&mut call.store, &c, subjects).await,
                    Err(e) => Err(e),
                };
                let r = r.and_then(|list| {
                    if list.len() == subjects.len() {
                        Ok(list)
                    } else {
                        Err(wasmtime::format_err!("returned {} results for {} subjects", list.len(), subjects.len()))
                    }
                });
                let list = match r {
                    Ok(list) => list,
                    Err(e) => {
                        let invalid = e.to_string().starts_with("returned ");
                        let f = me.classify(p, &call.store, env, call.started, e);
                        return Err(if invalid { Fault { kind: FaultKind::InvalidOutput, ..f } } else { f });
                    }
                };
                me.account(p, &call.store, env, call.started);
                list.into_iter()
                    .map(|r| {
                        match r {
                            Ok(d) => bindings::eligibility(d).map(Ok),
                            Err(e) => bindings::plugin_error(e).map(Err),
                        }
                        .map_err(|m| me.fault(p, FaultKind::InvalidOutput, m))
                    })
                    .collect()
            })
            .await
        })
        .await
    }

    /// The catalogue entries the plug-in contributes, checked (codes, INPS code format, no
    /// duplicate local codes); the host imports them into the catalogue of the enabling unit.
    pub async fn contributed_catalogue(&self, p: &LoadedPlugin, env: &CallEnv) -> Result<Vec<CatalogueEntry>, Fault> {
        let (me, pl, env) = (self.clone(), p.clone(), env.clone());
        self.off_request_threads(p, async move {
            let (p, env) = (&pl, &env);
            let idx = p.contribute.as_ref().ok_or_else(|| me.missing(p, "siso:plugin/contribute"))?;
            me.guarded(p, env, async {
                let mut call = me.begin(p, env, 0).await?;
                let r = match idx.load(&mut call.store, &call.instance) {
                    Ok(g) => g.call_catalogue(&mut call.store).await.map(Ok),
                    Err(e) => Err(e),
                };
                me.end(p, env, call, r, bindings::contributed_catalogue).map(|r| r.unwrap_or_default())
            })
            .await
        })
        .await
    }

    /// Produces a report file.
    pub async fn report(
        &self,
        p: &LoadedPlugin,
        env: &CallEnv,
        ctx: &CallContext,
        name: &str,
        rows: Vec<Vec<(String, String)>>,
    ) -> Result<Result<model::ReportFile, model::PluginError>, Fault> {
        let c = bindings::context(ctx);
        let rows: Vec<Vec<report::Column>> = rows
            .into_iter()
            .map(|r| r.into_iter().map(|(name, value)| report::Column { name, value }).collect())
            .collect();
        let input = c.wire_size()
            + rows.iter().map(|r| r.iter().map(|c| 16 + c.name.len() + c.value.len()).sum::<usize>()).sum::<usize>();
        let (me, pl, env, name) = (self.clone(), p.clone(), env.clone(), name.to_string());
        self.off_request_threads(p, async move {
            let (p, env) = (&pl, &env);
            let idx = p.report.as_ref().ok_or_else(|| me.missing(p, "siso:plugin/report"))?;
            me.guarded(p, env, async {
                let mut call = me.begin(p, env, input).await?;
                let r = match idx.load(&mut call.store, &call.instance) {
                    Ok(g) => g.call_generate(&mut call.store, &c, &name, &rows).await,
                    Err(e) => Err(e),
                };
                me.end(p, env, call, r, bindings::report_file)
            })
            .await
        })
        .await
    }
}

/// The plug-in threads: half the cores (at least one), named for profiles and `top`.
/// How many instructions (units of fuel) a guest runs between two yields to the executor: a
/// rule's call takes a few tens of thousands and finishes without yielding, where it is
/// awaited; a longer one moves to the plug-in threads after about this many.
const YIELD_FUEL: u64 = 100_000;

/// The nice value of the plug-in threads: below the threads serving requests, so that when a
/// plug-in burns its whole deadline the scheduler still gives the cores to requests first.
/// (Raising one's own nice value needs no privilege.)
pub const PLUGIN_THREAD_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`PLUGIN_THREAD_NICE`] (on Linux, where
/// the nice value is a thread's own).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), PLUGIN_THREAD_NICE) {
        tracing::warn!("the plug-in threads keep the normal priority: {e}");
    }
}

/// The nice value of the calling thread (for tests).
#[cfg(target_os = "linux")]
pub fn current_thread_nice() -> Option<i32> {
    rustix::process::getpriority_process(Some(rustix::thread::gettid())).ok()
}

fn plugin_threads() -> anyhow::Result<tokio::runtime::Runtime> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads((cores / 2).max(1))
        .thread_name("siso-plugin")
        .on_thread_start(lower_priority)
        .enable_time()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the plug-in threads: {e}"))
}

/// Loads a precompiled artifact from the host's own cache. Artifacts are native code: a file
/// is loaded only when its SHA-256 equals the digest recorded when this engine wrote it (the
/// bytes are read once, checked, and deserialised from memory, so the file cannot change in
/// between); a package carries the component, never an artifact.
#[allow(unsafe_code)]
fn load_artifact(engine: &Engine, path: &Path, expected_sha256: &str) -> Option<Component> {
    let bytes = std::fs::read(path).ok()?;
    if crate::package::sha256_hex(&bytes) != expected_sha256 {
        tracing::warn!(path = %path.display(), "discarding a precompiled plug-in whose digest does not match");
        let _ = std::fs::remove_file(path);
        return None;
    }
    // SAFETY: these bytes are exactly those `Component::serialize` of this engine
    // configuration produced (their SHA-256 is the one recorded when this engine wrote them,
    // and the file name carries the engine's compatibility hash), and wasmtime checks the
    // header's engine compatibility before using them.
    match unsafe { Component::deserialize(engine, &bytes) } {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(path = %path.display(), "discarding an unusable precompiled plug-in: {e}");
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

/// Writes an artifact atomically; returns its SHA-256.
fn store_artifact(path: &Path, component: &Component) -> Result<String, LoadError> {
    use std::io::Write as _;
    let bytes = component.serialize().map_err(|e| LoadError::Cache(format!("{e}")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| LoadError::Cache(format!("{e}")))?;
    tmp.write_all(&bytes).map_err(|e| LoadError::Cache(format!("{e}")))?;
    tmp.persist(path).map_err(|e| LoadError::Cache(format!("cannot write {}: {e}", path.display())))?;
    Ok(crate::package::sha256_hex(&bytes))
}

/// The cache holds native code: it must be a directory of this user's that nobody else can
/// write or read.
fn check_cache_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| anyhow::anyhow!("cannot restrict the plug-in cache {}: {e}", dir.display()))?;
        let meta = std::fs::metadata(dir)?;
        let probe = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| anyhow::anyhow!("the plug-in cache {} is not writable: {e}", dir.display()))?;
        let me = probe.as_file().metadata()?.uid();
        if !meta.is_dir() || meta.uid() != me || meta.mode() & 0o077 != 0 {
            anyhow::bail!("the plug-in cache {} must be a directory owned by this user with mode 0700", dir.display());
        }
    }
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn plugin_threads_run_below_the_request_threads() -> anyhow::Result<()> {
        let exec = plugin_threads()?;
        let here = current_thread_nice();
        let there = exec.block_on(async { tokio::spawn(async { current_thread_nice() }).await })?;
        assert_eq!(there, Some(PLUGIN_THREAD_NICE), "the plug-in threads' nice value");
        assert_ne!(here, there, "the calling thread keeps its own");
        Ok(())
    }

    /// A component made of `n` core instances of one module, holding one memory (a page) each
    /// when `memory`.
    fn component_of(n: usize, memory: bool) -> Vec<u8> {
        let mut module = wasm_encoder::Module::new();
        if memory {
            let mut memories = wasm_encoder::MemorySection::new();
            memories.memory(wasm_encoder::MemoryType {
                minimum: 1,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            });
            module.section(&memories);
        }
        let mut component = wasm_encoder::ComponentBuilder::default();
        let m = component.core_module(None, &module);
        for _ in 0..n {
            component.core_instantiate(None, m, std::iter::empty::<(&str, wasm_encoder::ModuleArg)>());
        }
        component.finish()
    }

    /// Finding 10: a component cannot multiply its memory by holding many memories, nor the
    /// pool's slots by holding many instances: the engine refuses to instantiate more than
    /// `MAX_MEMORIES` memories or `MAX_CORE_INSTANCES` core instances in one component.
    #[tokio::test]
    async fn a_component_holds_few_memories_and_instances() -> anyhow::Result<()> {
        let cache = tempfile::tempdir()?;
        let runtime = Runtime::new(RuntimeConfig::new(cache.path()))?;
        let engine = &runtime.inner.engine;
        let linker: Linker<()> = Linker::new(engine);
        // Refused when compiled for this engine or, at the latest, when instantiated.
        let run = async |bytes: Vec<u8>| -> Result<(), String> {
            let component = Component::new(engine, bytes).map_err(|e| e.to_string())?;
            linker
                .instantiate_async(&mut Store::new(engine, ()), &component)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert_eq!(run(component_of(MAX_MEMORIES, true)).await, Ok(()), "{MAX_MEMORIES} memories are allowed");
        let refused = run(component_of(MAX_MEMORIES + 1, true)).await.err().unwrap_or_default();
        assert!(refused.contains("memories") && refused.contains("exceeds"), "one memory too many: {refused:?}");
        assert_eq!(
            run(component_of(MAX_CORE_INSTANCES, false)).await,
            Ok(()),
            "{MAX_CORE_INSTANCES} instances are allowed"
        );
        let refused = run(component_of(MAX_CORE_INSTANCES + 1, false)).await.err().unwrap_or_default();
        assert!(refused.contains("instances") && refused.contains("exceeds"), "one instance too many: {refused:?}");
        Ok(())
    }
}
