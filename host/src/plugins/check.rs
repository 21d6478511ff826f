//! What a module must be before it runs: a core WebAssembly module of bounded size that exports
//! `_start`, `memory` and the ABI v1 marker, and imports nothing outside the allowed WASI subset.

use baton_core::plugins::{Failure, FailureKind};
use wasmparser::{Parser, Payload, TypeRef, ValidPayload, Validator, WasmFeatures};

use super::CompileLimits;

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

/// Turns the file's bytes into a WebAssembly binary: a binary module as is, WAT text compiled
/// when the file is named `.wat` (`is_wat`); refuses precompiled artifacts, components and
/// anything else, without quoting what the file holds.
pub fn to_binary(bytes: Vec<u8>, max_bytes: usize, is_wat: bool) -> Result<Vec<u8>, Failure> {
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
    if is_wat {
        return wat::parse_bytes(&bytes)
            .map(std::borrow::Cow::into_owned)
            .map_err(|e| {
                refused(
                    FailureKind::Refused,
                    format!("invalid WAT text: {}", wat_message(&e)),
                )
            });
    }
    Err(refused(
        FailureKind::Refused,
        "not a WebAssembly module: a module starts with the bytes 00 61 73 6d (\\0asm) and this \
         file does not (WebAssembly text is read only from a file named .wat)"
            .into(),
    ))
}

/// A WAT error's message and position, without the line of source text wat quotes.
fn wat_message(e: &wat::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines();
    let message = lines.next().unwrap_or_default().trim().to_string();
    match lines.find_map(|l| l.trim().strip_prefix("--> ")) {
        Some(at) => {
            let position = at.rsplitn(3, ':').take(2).collect::<Vec<_>>();
            match position.as_slice() {
                [col, line] => format!("{message} (line {line}, column {col})"),
                _ => message,
            }
        }
        None => message,
    }
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

fn over(what: String, limit: u64, key: &str) -> Failure {
    refused(
        FailureKind::Refused,
        format!("{what}; the limit is {limit} ({key}), checked before compiling"),
    )
}

fn invalid(e: wasmparser::BinaryReaderError) -> Failure {
    refused(
        FailureKind::Refused,
        format!("not a valid WebAssembly module: {e}"),
    )
}

/// Checks what compiling would cost before anything is compiled: how many functions, how large
/// each body and all of them, how many locals, how deep blocks and the operand stack go. The
/// module is validated on the way, one operator at a time, so a bomb is refused at the first
/// operator past a limit.
pub fn bounds(wasm: &[u8], limits: &CompileLimits) -> Result<(), Failure> {
    let mut validator = Validator::new_with_features(WasmFeatures::all());
    let mut allocs = wasmparser::FuncValidatorAllocations::default();
    let mut index = 0u64;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(invalid)?;
        match &payload {
            Payload::FunctionSection(reader) if u64::from(reader.count()) > limits.functions => {
                return Err(over(
                    format!("the module defines {} functions", reader.count()),
                    limits.functions,
                    "max_functions",
                ));
            }
            Payload::CodeSectionStart { size, .. } if u64::from(*size) > limits.code_bytes => {
                return Err(over(
                    format!("the module's code is {size} bytes"),
                    limits.code_bytes,
                    "max_code_bytes",
                ));
            }
            _ => {}
        }
        if let ValidPayload::Func(func, body) = validator.payload(&payload).map_err(invalid)? {
            index += 1;
            let size = body.range().len() as u64;
            if size > limits.function_bytes {
                return Err(over(
                    format!("function {index} is {size} bytes"),
                    limits.function_bytes,
                    "max_function_bytes",
                ));
            }
            let mut fv = func.into_validator(std::mem::take(&mut allocs));
            let mut locals = 0u64;
            let mut reader = body.get_locals_reader().map_err(invalid)?;
            for _ in 0..reader.get_count() {
                let offset = reader.original_position();
                let (count, ty) = reader.read().map_err(invalid)?;
                locals += u64::from(count);
                if locals > limits.locals {
                    return Err(over(
                        format!("function {index} declares {locals} or more locals"),
                        limits.locals,
                        "max_locals",
                    ));
                }
                fv.define_locals(offset, count, ty).map_err(invalid)?;
            }
            let mut ops = body.get_binary_reader_for_operators().map_err(invalid)?;
            while !ops.eof() {
                let offset = ops.original_position();
                ops.visit_operator(&mut fv.visitor(offset))
                    .map_err(invalid)?
                    .map_err(invalid)?;
                let stack = u64::from(fv.operand_stack_height());
                if stack > limits.operand_stack {
                    return Err(over(
                        format!("function {index} builds an operand stack {stack} deep"),
                        limits.operand_stack,
                        "max_operand_stack",
                    ));
                }
                let nesting = u64::from(fv.control_stack_height());
                if nesting > limits.nesting {
                    return Err(over(
                        format!("function {index} nests blocks {nesting} deep"),
                        limits.nesting,
                        "max_nesting",
                    ));
                }
            }
            ops.finish_expression(&fv.visitor(ops.original_position()))
                .map_err(invalid)?;
            allocs = fv.into_allocations();
        }
    }
    Ok(())
}
