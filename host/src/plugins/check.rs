//! What a module must be before it runs: a core WebAssembly module of bounded size that exports
//! `_start`, `memory` and the ABI v1 marker, and imports nothing outside the allowed WASI subset.

use baton_core::plugins::{Failure, FailureKind};
use wasmparser::{Parser, Payload, TypeRef};

use super::wasi::{ALLOWED, WASI_MODULE, capability};

/// What `baton plugin check` prints about a module.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ModuleInfo {
    /// Size of the module in bytes.
    pub bytes: usize,
    /// The ABI version its marker declares.
    pub abi: Option<u32>,
    /// `module.name` of every import.
    pub imports: Vec<String>,
    /// Every export name.
    pub exports: Vec<String>,
    /// Initial size of its memory in 64 KiB pages.
    pub memory_pages: Option<u64>,
}

fn refused(kind: FailureKind, message: String) -> Failure {
    Failure { kind, message }
}

/// Turns the file's bytes into a WebAssembly binary: `.wasm` as is, WAT text compiled; refuses
/// precompiled artifacts, components and anything else.
pub fn to_binary(bytes: Vec<u8>, max_bytes: usize) -> Result<Vec<u8>, Failure> {
    if bytes.len() > max_bytes {
        return Err(refused(
            FailureKind::Refused,
            format!(
                "the module is {:.1} MB; plugins are limited to {:.1} MB",
                bytes.len() as f64 / 1e6,
                max_bytes as f64 / 1e6
            ),
        ));
    }
    if wasmtime::Engine::detect_precompiled(&bytes).is_some() || bytes.starts_with(b"\x7fELF") {
        return Err(refused(
            FailureKind::Refused,
            "this is a precompiled artifact (.cwasm), not a WebAssembly module; Baton only runs \
             .wasm modules it compiles itself, because deserializing an artifact from elsewhere is unsafe"
                .into(),
        ));
    }
    if bytes.starts_with(b"\0asm") {
        if bytes.get(4..8) != Some(&[1, 0, 0, 0][..]) {
            return Err(refused(
                FailureKind::AbiMismatch,
                "this is a WebAssembly component (or an unknown binary version); Baton plugins are \
                 core modules built for WASI preview 1 (e.g. --target wasm32-wasip1)"
                    .into(),
            ));
        }
        return Ok(bytes);
    }
    let looks_like_text = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'(' || b == b';');
    if looks_like_text {
        return wat::parse_bytes(&bytes)
            .map(std::borrow::Cow::into_owned)
            .map_err(|e| refused(FailureKind::Refused, format!("invalid WAT text: {e}")));
    }
    let head: String = bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    Err(refused(
        FailureKind::Refused,
        format!(
            "not a WebAssembly module (it starts with bytes {head}; a module starts with 00 61 73 6d)"
        ),
    ))
}

/// Reads a module's imports and exports and checks them against the ABI.
pub fn inspect(wasm: &[u8]) -> Result<ModuleInfo, Failure> {
    let mut info = ModuleInfo {
        bytes: wasm.len(),
        ..ModuleInfo::default()
    };
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| {
            refused(
                FailureKind::Refused,
                format!("not a valid WebAssembly module: {e}"),
            )
        })?;
        match payload {
            Payload::ImportSection(reader) => {
                for group in reader {
                    let group = group.map_err(|e| {
                        refused(FailureKind::Refused, format!("bad import section: {e}"))
                    })?;
                    for item in group {
                        let (_, imp) = item.map_err(|e| {
                            refused(FailureKind::Refused, format!("bad import section: {e}"))
                        })?;
                        info.imports.push(format!("{}.{}", imp.module, imp.name));
                        imports.push((imp.module.to_string(), imp.name.to_string(), imp.ty));
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(|e| {
                        refused(FailureKind::Refused, format!("bad export section: {e}"))
                    })?;
                    info.exports.push(export.name.to_string());
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader.into_iter().flatten() {
                    info.memory_pages = Some(m.initial);
                }
            }
            _ => {}
        }
    }
    for (module, name, ty) in &imports {
        if module != WASI_MODULE {
            return Err(refused(
                FailureKind::Refused,
                format!(
                    "imports {module}.{name}, which no plugin may import: plugins can only import \
                     the WASI preview 1 functions {}",
                    ALLOWED.join(", ")
                ),
            ));
        }
        if !matches!(ty, TypeRef::Func(_)) || !ALLOWED.contains(&name.as_str()) {
            return Err(refused(
                FailureKind::Refused,
                format!(
                    "imports {module}.{name} ({}), which the plugin ABI does not allow; allowed: {}",
                    capability(name),
                    ALLOWED.join(", ")
                ),
            ));
        }
    }
    let markers: Vec<u32> = info
        .exports
        .iter()
        .filter_map(|e| e.strip_prefix("baton_plugin_abi_v")?.parse().ok())
        .collect();
    match markers.as_slice() {
        [] => {
            return Err(refused(
                FailureKind::AbiMismatch,
                format!(
                    "no ABI marker: expected an exported function named {} (the Rust SDK's \
                     plugin! macro adds it; in AssemblyScript write `export function {}(): void {{}}`)",
                    baton_plugin::ABI_MARKER,
                    baton_plugin::ABI_MARKER
                ),
            ));
        }
        [v] if *v == baton_plugin::ABI_VERSION => info.abi = Some(*v),
        [v] => {
            return Err(refused(
                FailureKind::AbiMismatch,
                format!(
                    "the module speaks plugin ABI v{v} (it exports baton_plugin_abi_v{v}); this \
                     Baton speaks v{} and expects an export named {}",
                    baton_plugin::ABI_VERSION,
                    baton_plugin::ABI_MARKER
                ),
            ));
        }
        more => {
            return Err(refused(
                FailureKind::AbiMismatch,
                format!("the module declares several ABI versions {more:?}; declare exactly one"),
            ));
        }
    }
    if !info.exports.iter().any(|e| e == "_start") {
        return Err(refused(
            FailureKind::AbiMismatch,
            "no `_start` export: build the plugin as a WASI command (a binary for wasm32-wasip1, \
             or AssemblyScript with @assemblyscript/wasi-shim), not a library"
                .into(),
        ));
    }
    if !info.exports.iter().any(|e| e == "memory") {
        return Err(refused(
            FailureKind::AbiMismatch,
            "no exported memory named `memory`: WASI I/O needs it".into(),
        ));
    }
    Ok(info)
}
