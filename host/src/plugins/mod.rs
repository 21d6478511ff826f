//! The sandboxed plugin host: user-supplied WebAssembly modules run by wasmtime with fuel, memory,
//! deadline and output limits, a fresh instance per lead, on all cores.
//!
//! Layout: [`check`] decides whether a module may run at all, [`wasi`] is the whole world a
//! plugin sees, [`cache`] keeps compiled code, [`scaffold`] writes new plugin projects; this
//! module loads, calls and classifies failures. A future pointer/length call variant (ABI v2)
//! would be another `call_*` path selected by the module's marker; v1 modules keep this one.

pub mod cache;
pub mod check;
pub mod commands;
pub mod scaffold;
pub mod wasi;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baton_core::config::Plugin;
use baton_core::plugins::{CallResult, Failure, FailureKind, PluginRunner};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, PoolingAllocationConfig,
    Store, Trap, WasmBacktrace,
};

use cache::CacheOutcome;
use check::ModuleInfo;
use wasi::{Ctx, Stop};

/// Default fuel (instructions) per call: Shopify Functions' 11M.
pub const DEFAULT_FUEL: u64 = 11_000_000;
/// Default memory limit: 16 MiB.
pub const DEFAULT_MEMORY_MIB: u32 = 16;
/// Largest memory limit a plugin may ask for.
pub const MAX_MEMORY_MIB: u32 = 1024;
/// Default wall-clock deadline per call.
pub const DEFAULT_TIMEOUT_MS: u64 = 50;
/// Default output limit: 20 KB.
pub const DEFAULT_MAX_OUTPUT: u64 = 20 * 1024;
/// Log bytes kept per call.
pub const MAX_LOG: usize = 1024;
/// Largest module accepted: 32 MB.
pub const MAX_MODULE_BYTES: usize = 32 * 1024 * 1024;
/// Default most functions a module may define.
pub const DEFAULT_MAX_FUNCTIONS: u64 = 20_000;
/// Default largest function body: 1 MiB.
pub const DEFAULT_MAX_FUNCTION_BYTES: u64 = 1 << 20;
/// Default largest code section: 16 MiB.
pub const DEFAULT_MAX_CODE_BYTES: u64 = 16 << 20;
/// Default most locals per function.
pub const DEFAULT_MAX_LOCALS: u64 = 10_000;
/// Default deepest nesting of blocks in a function.
pub const DEFAULT_MAX_NESTING: u64 = 1_000;
/// Default deepest operand stack in a function.
pub const DEFAULT_MAX_OPERAND_STACK: u64 = 10_000;
/// Default compile deadline: 20 s.
pub const DEFAULT_COMPILE_TIMEOUT_MS: u64 = 20_000;
/// Epoch tick: the deadline's resolution.
const TICK: Duration = Duration::from_millis(1);

/// One plugin's limits, from its `[[plugins]]` entry and the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fuel per call.
    pub fuel: u64,
    /// Memory in bytes.
    pub memory_bytes: usize,
    /// Deadline per call in milliseconds.
    pub timeout_ms: u64,
    /// Largest stdout.
    pub max_output: usize,
    /// Largest stdin.
    pub max_input: usize,
    /// What the module may be before it is compiled.
    pub compile: CompileLimits,
}

/// Bounds checked on a module before it is compiled, and the compile deadline: module size
/// alone does not bound what compiling costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileLimits {
    /// Most defined functions (`max_functions`).
    pub functions: u64,
    /// Largest function body in bytes (`max_function_bytes`).
    pub function_bytes: u64,
    /// Largest code section in bytes (`max_code_bytes`).
    pub code_bytes: u64,
    /// Most locals in one function (`max_locals`).
    pub locals: u64,
    /// Deepest block nesting in one function (`max_nesting`).
    pub nesting: u64,
    /// Deepest operand stack in one function (`max_operand_stack`).
    pub operand_stack: u64,
    /// Compile deadline in milliseconds (`compile_timeout_ms`).
    pub timeout_ms: u64,
}

impl CompileLimits {
    /// The compile limits of `plugin`.
    pub fn of(plugin: &Plugin) -> CompileLimits {
        CompileLimits {
            functions: plugin.max_functions.unwrap_or(DEFAULT_MAX_FUNCTIONS),
            function_bytes: plugin
                .max_function_bytes
                .unwrap_or(DEFAULT_MAX_FUNCTION_BYTES),
            code_bytes: plugin.max_code_bytes.unwrap_or(DEFAULT_MAX_CODE_BYTES),
            locals: plugin.max_locals.unwrap_or(DEFAULT_MAX_LOCALS),
            nesting: plugin.max_nesting.unwrap_or(DEFAULT_MAX_NESTING),
            operand_stack: plugin
                .max_operand_stack
                .unwrap_or(DEFAULT_MAX_OPERAND_STACK),
            timeout_ms: plugin
                .compile_timeout_ms
                .unwrap_or(DEFAULT_COMPILE_TIMEOUT_MS),
        }
    }
}

impl Limits {
    /// The limits of `plugin`.
    pub fn of(plugin: &Plugin) -> Limits {
        Limits {
            fuel: plugin.fuel.unwrap_or(DEFAULT_FUEL),
            memory_bytes: plugin
                .memory_mib
                .unwrap_or(DEFAULT_MEMORY_MIB)
                .min(MAX_MEMORY_MIB) as usize
                * 1024
                * 1024,
            timeout_ms: plugin.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS).max(1),
            max_output: plugin.max_output_bytes.unwrap_or(DEFAULT_MAX_OUTPUT) as usize,
            max_input: baton_core::plugins::DEFAULT_MAX_INPUT_BYTES,
            compile: CompileLimits::of(plugin),
        }
    }
}

/// How the host runs: where compiled code is cached and how many threads call plugins.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Cache folder for compiled plugins; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Threads for batch calls.
    pub threads: usize,
    /// Shared plugin folders outside the workspace that module paths may lead into
    /// (`[workspace] plugin_dirs`).
    pub shared_dirs: Vec<String>,
}

impl Default for HostOptions {
    fn default() -> Self {
        let threads = std::env::var("BATON_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .filter(|&t: &usize| t > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        HostOptions {
            cache_dir: cache::default_dir(),
            threads,
            shared_dirs: Vec::new(),
        }
    }
}

/// A plugin ready to call, or the reason it cannot be.
pub struct LoadedPlugin {
    /// Its `[[plugins]]` entry.
    pub config: Plugin,
    /// The module file.
    pub path: PathBuf,
    /// Its limits.
    pub limits: Limits,
    /// What the module declares.
    pub info: Option<ModuleInfo>,
    /// The module's sha256.
    pub sha256: String,
    /// How the compiled code was obtained.
    pub cache: Option<CacheOutcome>,
    /// Time to read, check and compile (or load) it.
    pub load_time: Duration,
    /// Its input query, asked once (`{"describe": true}`) on first use; none when it declares
    /// none or does not describe itself.
    reads: std::sync::OnceLock<Option<baton_plugin::Reads>>,
    pre: Result<InstancePre<Ctx>, Failure>,
    calls: AtomicU64,
    nanos: AtomicU64,
}

impl LoadedPlugin {
    /// Why the module cannot run, if it cannot.
    pub fn refusal(&self) -> Option<&Failure> {
        self.pre.as_ref().err()
    }

    /// Calls made and their mean wall time in microseconds.
    pub fn timing(&self) -> (u64, f64) {
        let calls = self.calls.load(Ordering::Relaxed);
        let nanos = self.nanos.load(Ordering::Relaxed);
        (
            calls,
            if calls == 0 {
                0.0
            } else {
                nanos as f64 / calls as f64 / 1000.0
            },
        )
    }
}

/// Increments the engine's epoch every [`TICK`] while the host lives.
struct Ticker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Ticker {
    fn start(engine: Engine) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("baton-plugin-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })
            .ok();
        Ticker { stop, thread }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The plugin host: one engine, the loaded plugins, and the epoch ticker.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<Ctx>,
    plugins: Vec<LoadedPlugin>,
    options: HostOptions,
    clock_ns: AtomicU64,
    pooling: bool,
    _ticker: Ticker,
}

/// A setup problem that stops the run (a missing module file, an impossible limit).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SetupError(pub String);

impl PluginHost {
    /// Creates a host for `plugins` whose paths are relative to `base`, and loads each module. A
    /// module that fails the ABI checks is kept as a refusal (every call fails with its reason);
    /// a module file that cannot be read is an error.
    pub fn new(
        plugins: &[Plugin],
        base: &Path,
        options: HostOptions,
    ) -> Result<PluginHost, SetupError> {
        for p in plugins {
            if let Some(m) = p.memory_mib
                && (m == 0 || m > MAX_MEMORY_MIB)
            {
                return Err(SetupError(format!(
                    "plugin {:?}: memory_mib = {m} is outside 1..={MAX_MEMORY_MIB}",
                    p.name
                )));
            }
            if p.fuel == Some(0) {
                return Err(SetupError(format!(
                    "plugin {:?}: fuel must be positive",
                    p.name
                )));
            }
        }
        let max_memory = plugins
            .iter()
            .map(|p| Limits::of(p).memory_bytes)
            .max()
            .unwrap_or(DEFAULT_MEMORY_MIB as usize * 1024 * 1024);
        let (engine, pooling) = make_engine(max_memory, options.threads)?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker)
            .map_err(|e| SetupError(format!("cannot set up the plugin sandbox: {e}")))?;
        let mut host = PluginHost {
            _ticker: Ticker::start(engine.clone()),
            engine,
            linker,
            plugins: Vec::new(),
            options,
            clock_ns: AtomicU64::new(0),
            pooling,
        };
        let confined = crate::files::Confinement::new(base, &host.options.shared_dirs)
            .map_err(|e| SetupError(e.to_string()))?;
        for p in plugins {
            let path = confined
                .resolve(&p.path)
                .map_err(|e| SetupError(plugin_file_error(&p.name, e)))?;
            let loaded = host.load(p.clone(), path)?;
            host.plugins.push(loaded);
        }
        Ok(host)
    }

    fn load(&self, config: Plugin, path: PathBuf) -> Result<LoadedPlugin, SetupError> {
        let began = Instant::now();
        let limits = Limits::of(&config);
        let file = crate::files::open_regular(&path, &config.path)
            .map_err(|e| SetupError(plugin_file_error(&config.name, e)))?;
        let meta = file.metadata().map_err(|e| {
            SetupError(format!(
                "plugin {:?}: cannot read {} ({e})",
                config.name,
                path.display()
            ))
        })?;
        let is_wat = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wat"));
        let mut info = None;
        let mut sha256 = String::new();
        let mut cache_outcome = None;
        let pre = if meta.len() as usize > MAX_MODULE_BYTES {
            Err(Failure {
                kind: FailureKind::Refused,
                message: format!(
                    "the module is {:.1} MB; plugins are limited to {:.1} MB",
                    meta.len() as f64 / 1e6,
                    MAX_MODULE_BYTES as f64 / 1e6
                ),
            })
        } else {
            let bytes = crate::files::read_capped(
                file,
                &config.path,
                MAX_MODULE_BYTES as u64,
                "a plugin module",
            )
            .map_err(|e| SetupError(plugin_file_error(&config.name, e)))?;
            sha256 = cache::sha256_hex(&bytes);
            check::to_binary(bytes, MAX_MODULE_BYTES, is_wat)
                .and_then(|wasm| {
                    let i = check::inspect(&wasm)?;
                    check::bounds(&wasm, &limits.compile)?;
                    let initial = i.memory_pages.unwrap_or(0).saturating_mul(65536);
                    info = Some(i);
                    if initial > limits.memory_bytes as u64 {
                        return Err(Failure {
                            kind: FailureKind::MemoryLimit,
                            message: format!(
                                "the module's memory starts at {:.1} MiB; its limit is {} MiB (memory_mib)",
                                initial as f64 / 1048576.0,
                                limits.memory_bytes / 1048576
                            ),
                        });
                    }
                    Ok(wasm)
                })
                .and_then(|wasm| {
                    let (module, outcome) = compile_within(
                        &self.engine,
                        wasm,
                        self.options.cache_dir.clone(),
                        limits.compile.timeout_ms,
                    )?;
                    cache_outcome = Some(outcome);
                    self.linker.instantiate_pre(&module).map_err(|e| Failure {
                        kind: FailureKind::Refused,
                        message: format!("the module's imports do not match the plugin ABI: {e:#}"),
                    })
                })
        };
        Ok(LoadedPlugin {
            config,
            path,
            limits,
            info,
            sha256,
            cache: cache_outcome,
            load_time: began.elapsed(),
            reads: std::sync::OnceLock::new(),
            pre,
            calls: AtomicU64::new(0),
            nanos: AtomicU64::new(0),
        })
    }

    /// The loaded plugins, in `[[plugins]]` order.
    pub fn plugins(&self) -> &[LoadedPlugin] {
        &self.plugins
    }

    /// Whether the pooling allocator is in use (it falls back to on-demand allocation when the
    /// machine refuses the address space).
    pub fn pooling(&self) -> bool {
        self.pooling
    }

    /// The largest input plugin `index` accepts.
    pub fn max_input(&self, index: usize) -> usize {
        self.plugins
            .get(index)
            .map_or(baton_core::plugins::DEFAULT_MAX_INPUT_BYTES, |p| {
                p.limits.max_input
            })
    }

    /// Threads used for batches.
    pub fn threads(&self) -> usize {
        self.options.threads
    }

    /// Sets what a plugin's realtime clock reads (the analysis' `as_of`).
    pub fn set_clock(&self, as_of: baton_core::Instant) {
        self.clock_ns.store(
            (as_of.0.max(0) as u64).saturating_mul(1000),
            Ordering::Relaxed,
        );
    }

    /// Calls plugin `index` once with `input` in a fresh instance.
    pub fn call(&self, index: usize, input: &[u8]) -> CallResult {
        let Some(plugin) = self.plugins.get(index) else {
            return CallResult {
                output: Err(Failure {
                    kind: FailureKind::Refused,
                    message: format!("no plugin #{index}"),
                }),
                fuel_used: 0,
            };
        };
        let began = Instant::now();
        let result = self.call_loaded(plugin, input);
        plugin.calls.fetch_add(1, Ordering::Relaxed);
        plugin
            .nanos
            .fetch_add(began.elapsed().as_nanos() as u64, Ordering::Relaxed);
        result
    }

    fn call_loaded(&self, plugin: &LoadedPlugin, input: &[u8]) -> CallResult {
        let pre = match &plugin.pre {
            Ok(pre) => pre,
            Err(f) => {
                return CallResult {
                    output: Err(f.clone()),
                    fuel_used: 0,
                };
            }
        };
        let limits = plugin.limits;
        if input.len() > limits.max_input {
            return CallResult {
                output: Err(Failure {
                    kind: FailureKind::InputTooLarge,
                    message: format!(
                        "the input is {} bytes; the limit is {}",
                        input.len(),
                        limits.max_input
                    ),
                }),
                fuel_used: 0,
            };
        }
        let mut ctx = Ctx::new(
            input.to_vec(),
            limits.max_output,
            MAX_LOG,
            limits.memory_bytes,
            self.clock_ns.load(Ordering::Relaxed),
        );
        ctx.deadline = Some(Instant::now() + Duration::from_millis(limits.timeout_ms));
        let mut store = Store::new(&self.engine, ctx);
        store.limiter(|c| &mut c.limiter);
        if store.set_fuel(limits.fuel).is_err() {
            return failure(FailureKind::Trap, "fuel metering is unavailable".into(), 0);
        }
        store.set_epoch_deadline(limits.timeout_ms.div_ceil(TICK.as_millis() as u64).max(1) + 1);
        store.epoch_deadline_trap();
        let run = instantiate(pre, &mut store)
            .and_then(|instance| instance.get_typed_func::<(), ()>(&mut store, "_start"))
            .and_then(|start| start.call(&mut store, ()));
        let fuel_used = limits.fuel - store.get_fuel().unwrap_or(0);
        let outcome = match run {
            Ok(()) => Ok(()),
            Err(e) => classify(&e, store.data(), &limits),
        };
        let ctx = store.into_data();
        CallResult {
            output: outcome.map(|()| ctx.stdout),
            fuel_used,
        }
    }

    /// Asks plugin `index` to describe itself (`{"describe": true}`).
    pub fn describe(&self, index: usize) -> Result<baton_plugin::Description, Failure> {
        let r = self.call(index, br#"{"describe":true}"#);
        let out = r.output?;
        serde_json::from_slice(&out).map_err(|e| Failure {
            kind: FailureKind::InvalidOutput,
            message: format!("the answer to {{\"describe\": true}} is not a description: {e}"),
        })
    }
}

/// The setup error for a module file that may not be read, naming the plugin.
fn plugin_file_error(name: &str, e: crate::files::FileError) -> String {
    match e {
        crate::files::FileError::NotFound { name: file } => format!(
            "plugin {name:?}: cannot read {file} (no such file); `path` in [[plugins]] is relative to the workspace folder"
        ),
        e => format!("plugin {name:?}: {e}"),
    }
}

/// Compiles (or loads) a module on its own thread and gives up after `timeout_ms`: the thread
/// is left to finish in the background (the pre-compile bounds keep that short) while the run
/// goes on with the plugin refused.
fn compile_within(
    engine: &Engine,
    wasm: Vec<u8>,
    cache_dir: Option<PathBuf>,
    timeout_ms: u64,
) -> Result<(wasmtime::Module, CacheOutcome), Failure> {
    let (send, receive) = std::sync::mpsc::channel();
    let engine = engine.clone();
    let spawned = std::thread::Builder::new()
        .name("baton-plugin-compile".into())
        .spawn(move || {
            let _ = send.send(cache::compile(&engine, &wasm, cache_dir.as_deref()));
        });
    if let Err(e) = spawned {
        return Err(Failure {
            kind: FailureKind::Refused,
            message: format!("cannot start compiling the module: {e}"),
        });
    }
    match receive.recv_timeout(Duration::from_millis(timeout_ms)) {
        Ok(Ok(compiled)) => Ok(compiled),
        Ok(Err(e)) => Err(Failure {
            kind: FailureKind::Refused,
            message: format!("the module does not compile: {e:#}"),
        }),
        Err(_) => Err(Failure {
            kind: FailureKind::Refused,
            message: format!(
                "compiling the module took longer than {timeout_ms} ms (compile_timeout_ms)"
            ),
        }),
    }
}

/// Instantiates, waiting briefly when every pooled slot is momentarily taken (slots freed by
/// other threads return through wasmtime's decommit queue).
fn instantiate(
    pre: &InstancePre<Ctx>,
    store: &mut Store<Ctx>,
) -> wasmtime::Result<wasmtime::Instance> {
    let mut tries = 0;
    loop {
        match pre.instantiate(&mut *store) {
            Err(e) if tries < 200 && e.to_string().contains("maximum concurrent limit") => {
                tries += 1;
                std::thread::sleep(Duration::from_micros(50));
            }
            result => return result,
        }
    }
}

fn failure(kind: FailureKind, message: String, fuel_used: u64) -> CallResult {
    CallResult {
        output: Err(Failure { kind, message }),
        fuel_used,
    }
}

fn make_engine(max_memory: usize, threads: usize) -> Result<(Engine, bool), SetupError> {
    let base = || {
        let mut c = Config::new();
        c.consume_fuel(true);
        c.epoch_interruption(true);
        c.max_wasm_stack(512 * 1024);
        c
    };
    let mut pooled = base();
    let mut pool = PoolingAllocationConfig::default();
    // Slots are only address space (a reservation each); a generous pool keeps one thread from
    // ever waiting for a slot another thread's instance is still returning.
    let slots = (threads as u32).saturating_mul(4).clamp(16, 256);
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .max_memory_size(max_memory)
        // Reset the first MiB of a slot with memset instead of madvise: a plugin's stack and
        // heap start there, so the next lead's instance finds them resident (no page faults).
        .linear_memory_keep_resident(1024 * 1024)
        .table_keep_resident(64 * 1024);
    pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    if let Ok(engine) = Engine::new(&pooled) {
        return Ok((engine, true));
    }
    Engine::new(&base())
        .map(|e| (e, false))
        .map_err(|e| SetupError(format!("cannot start the WebAssembly engine: {e:#}")))
}

/// Names what stopped a call.
fn classify(err: &wasmtime::Error, ctx: &Ctx, limits: &Limits) -> Result<(), Failure> {
    let log = ctx.log_text();
    let with_log = |m: String| {
        if log.is_empty() {
            m
        } else {
            format!("{m}; log: {log}")
        }
    };
    let backtrace = err
        .downcast_ref::<WasmBacktrace>()
        .map(|bt| {
            let frames: Vec<String> = bt
                .frames()
                .iter()
                .take(6)
                .map(|f| {
                    f.func_name()
                        .map_or_else(|| format!("func[{}]", f.func_index()), String::from)
                })
                .collect();
            frames.join(" ← ")
        })
        .filter(|s| !s.is_empty());
    let with_trace = |m: String| match &backtrace {
        Some(bt) => format!("{m}; backtrace: {bt}"),
        None => m,
    };
    if let Some(stop) = err.downcast_ref::<Stop>() {
        return match stop {
            Stop::Exit(0) => Ok(()),
            Stop::Exit(code) => Err(Failure {
                kind: FailureKind::Exit,
                message: with_log(format!("the plugin exited with status {code}")),
            }),
            Stop::OutputTooLarge(limit) => Err(Failure {
                kind: FailureKind::OutputTooLarge,
                message: format!(
                    "the plugin wrote more than {limit} bytes on stdout (max_output_bytes)"
                ),
            }),
            Stop::OutOfBounds(what) => Err(Failure {
                kind: FailureKind::Trap,
                message: with_trace(format!("out-of-bounds pointer handed to the host: {what}")),
            }),
            Stop::Deadline => Err(Failure {
                kind: FailureKind::Deadline,
                message: with_trace(format!(
                    "the plugin ran past its {} ms deadline (timeout_ms) inside a host call",
                    limits.timeout_ms
                )),
            }),
        };
    }
    let reading = if ctx.reads_after_end > 1 {
        format!(
            " (it kept reading stdin after the end of its input: {} empty reads)",
            ctx.reads_after_end
        )
    } else if ctx.empty_reads > 1 {
        format!(
            " (it kept calling fd_read with zero-length buffers: {} calls that could read nothing)",
            ctx.empty_reads
        )
    } else {
        String::new()
    };
    let trap = err.downcast_ref::<Trap>().copied();
    if let Some(asked) = ctx.limiter.denied
        && trap != Some(Trap::OutOfFuel)
        && trap != Some(Trap::Interrupt)
    {
        return Err(Failure {
            kind: FailureKind::MemoryLimit,
            message: with_log(format!(
                "the plugin asked for {:.1} MiB of memory; its limit is {} MiB (memory_mib)",
                asked as f64 / 1048576.0,
                limits.memory_bytes / 1048576
            )),
        });
    }
    Err(match trap {
        Some(Trap::OutOfFuel) => Failure {
            kind: FailureKind::FuelExhausted,
            message: with_trace(format!(
                "the plugin used all of its {} fuel (instructions) without finishing{reading}",
                limits.fuel
            )),
        },
        Some(Trap::Interrupt) => Failure {
            kind: FailureKind::Deadline,
            message: with_trace(format!(
                "the plugin ran past its {} ms deadline (timeout_ms){reading}",
                limits.timeout_ms
            )),
        },
        Some(Trap::StackOverflow) => Failure {
            kind: FailureKind::Trap,
            message: with_trace(
                "stack overflow: the call stack is exhausted (deep recursion?)".into(),
            ),
        },
        Some(t) => Failure {
            kind: FailureKind::Trap,
            message: with_trace(with_log(t.to_string())),
        },
        None => Failure {
            kind: FailureKind::Trap,
            message: with_trace(with_log(format!("{err:#}"))),
        },
    })
}

impl PluginRunner for PluginHost {
    fn call_batch(&self, index: usize, inputs: &[Vec<u8>]) -> Vec<CallResult> {
        let threads = self
            .options
            .threads
            .max(1)
            .min(inputs.len().div_ceil(16).max(1));
        if threads <= 1 {
            return inputs.iter().map(|i| self.call(index, i)).collect();
        }
        let chunk = inputs.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = inputs
                .chunks(chunk)
                .map(|part| {
                    let h = s.spawn(move || {
                        part.iter().map(|i| self.call(index, i)).collect::<Vec<_>>()
                    });
                    (part.len(), h)
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|(n, h)| {
                    h.join().unwrap_or_else(|_| {
                        (0..n)
                            .map(|_| failure(FailureKind::Trap, "a host thread panicked".into(), 0))
                            .collect()
                    })
                })
                .collect()
        })
    }

    fn reads(&self, index: usize) -> Option<baton_plugin::Reads> {
        let plugin = self.plugins.get(index)?;
        plugin
            .reads
            .get_or_init(|| self.describe(index).ok().and_then(|d| d.reads))
            .clone()
    }

    fn max_input_bytes(&self, index: usize) -> usize {
        self.plugins
            .get(index)
            .map_or(baton_core::plugins::DEFAULT_MAX_INPUT_BYTES, |p| {
                p.limits.max_input
            })
    }
}
