//! The on-disk cache of compiled plugins: keyed by the module's sha256, the wasmtime version and
//! the engine's compatibility hash; an artifact is only deserialized when its own sha256 matches
//! the note Baton wrote beside it when it compiled it.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module};

/// How a module was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Compiled now; no cache directory.
    Compiled,
    /// Compiled now and written to the cache.
    Stored,
    /// Loaded from an artifact Baton compiled earlier.
    Hit,
}

/// The wasmtime version Baton is built with (part of every cache key).
pub const WASMTIME_VERSION: &str = "48";

/// Hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The default cache folder: `$BATON_CACHE_DIR`, else `$XDG_CACHE_HOME/baton/plugins`, else
/// `$HOME/.cache/baton/plugins`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("BATON_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("baton").join("plugins"));
    }
    std::env::var_os("HOME").map(|h| {
        PathBuf::from(h)
            .join(".cache")
            .join("baton")
            .join("plugins")
    })
}

fn engine_fingerprint(engine: &Engine) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Compiles `wasm`, or loads the artifact Baton cached for it.
pub fn compile(
    engine: &Engine,
    wasm: &[u8],
    dir: Option<&Path>,
) -> wasmtime::Result<(Module, CacheOutcome)> {
    let Some(dir) = dir else {
        return Ok((Module::new(engine, wasm)?, CacheOutcome::Compiled));
    };
    let key = format!(
        "{}-wasmtime{WASMTIME_VERSION}-{}",
        sha256_hex(wasm),
        engine_fingerprint(engine)
    );
    let artifact = dir.join(format!("{key}.cwasm"));
    let note = dir.join(format!("{key}.sha256"));
    if let (Ok(bytes), Ok(expected)) = (std::fs::read(&artifact), std::fs::read_to_string(&note))
        && sha256_hex(&bytes) == expected.trim()
    {
        // SAFETY: the artifact is one Baton serialized itself (its sha256 matches the note written
        // beside it at that time, in a cache folder only this user can write), for this exact
        // module, wasmtime version and engine configuration.
        #[allow(unsafe_code)]
        let module = unsafe { Module::deserialize(engine, &bytes) };
        if let Ok(m) = module {
            return Ok((m, CacheOutcome::Hit));
        }
    }
    let module = Module::new(engine, wasm)?;
    if store(dir, &artifact, &note, &module.serialize()?).is_ok() {
        return Ok((module, CacheOutcome::Stored));
    }
    Ok((module, CacheOutcome::Compiled))
}

fn store(dir: &Path, artifact: &Path, note: &Path, bytes: &[u8]) -> std::io::Result<()> {
    create_private_dir(dir)?;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = artifact.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, artifact)?;
    let note_tmp = note.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&note_tmp, sha256_hex(bytes))?;
    std::fs::rename(&note_tmp, note)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
