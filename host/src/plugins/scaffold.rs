//! `baton plugin new`: a plugin project that builds as is, in Rust or AssemblyScript.

use std::path::{Path, PathBuf};

/// Languages `baton plugin new` scaffolds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Rust with the `baton-plugin` SDK, built for wasm32-wasip1.
    Rust,
    /// AssemblyScript with `@assemblyscript/wasi-shim` and Baton's AssemblyScript helpers.
    AssemblyScript,
}

/// The Rust SDK's folder in this Baton checkout.
pub fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("plugins")
        .join("sdk")
}

/// The AssemblyScript helpers shipped into each AssemblyScript project.
pub const AS_SDK: &str = include_str!("../../../plugins/sdk-assemblyscript/baton.ts");

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Writes a new plugin project `dir/name`; returns the files written.
pub fn scaffold(name: &str, lang: Lang, dir: &Path, sdk: &Path) -> Result<Vec<PathBuf>, String> {
    if !valid_name(name) {
        return Err(format!(
            "plugin name {name:?}: use lower-case letters, digits, '-' and '_', starting with a letter"
        ));
    }
    let root = dir.join(name);
    if root.exists() {
        return Err(format!(
            "{} already exists; pick another name or folder",
            root.display()
        ));
    }
    let files: Vec<(&str, String)> = match lang {
        Lang::Rust => rust_files(name, sdk),
        Lang::AssemblyScript => as_files(name),
    };
    let mut written = Vec::new();
    for (rel, text) in files {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn rust_files(name: &str, sdk: &Path) -> Vec<(&'static str, String)> {
    let sdk = sdk.canonicalize().unwrap_or_else(|_| sdk.to_path_buf());
    let sdk_toml = sdk.display().to_string().replace('\\', "/");
    let cargo = format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
baton-plugin = {{ path = "{sdk_toml}" }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = "debuginfo"

# A project of its own, even when created inside another Cargo workspace.
[workspace]
"#
    );
    let main = format!(
        r#"//! {name}: a Baton qualification criterion.
//!
//! Reads one lead on stdin (see docs/plugins.md for every field) and answers with a verdict.

use baton_plugin::{{Description, Input, Verdict}};
use serde::Deserialize;

/// The `params` table of this plugin's `[[plugins]]` entry in baton.toml.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Params {{
    min_employees: f64,
}}

impl Default for Params {{
    fn default() -> Self {{
        Params {{ min_employees: 200.0 }}
    }}
}}

fn describe() -> Description {{
    Description::new("{name}", env!("CARGO_PKG_VERSION"))
        .summary("Qualifies companies with at least `min_employees` employees")
        .params_schema(serde_json::json!({{
            "type": "object",
            "properties": {{"min_employees": {{"type": "number", "default": 200}}}}
        }}))
}}

fn evaluate(input: &Input) -> Result<Verdict, String> {{
    let params: Params = baton_plugin::params(input)?;
    Ok(match input.lead.number("employees") {{
        Some(n) if n >= params.min_employees => {{
            Verdict::qualified(true).reason(format!("{{n}} employees ≥ {{}}", params.min_employees))
        }}
        Some(n) => Verdict::qualified(false).reason(format!("{{n}} employees < {{}}", params.min_employees)),
        None => Verdict::undecided(["employees"]),
    }})
}}

baton_plugin::plugin!(describe, evaluate);
"#
    );
    let readme = format!(
        r#"# {name}

A Baton qualification plugin (ABI v1).

    rustup target add wasm32-wasip1        # once
    cargo build --release                  # → target/wasm32-wasip1/release/{name}.wasm
    baton plugin check target/wasm32-wasip1/release/{name}.wasm
    baton plugin test target/wasm32-wasip1/release/{name}.wasm --workspace path/to/workspace

Then declare it in the workspace's baton.toml and use it as a criterion:

    [[plugins]]
    name = "{name}"
    path = "plugins/{name}.wasm"
    params = {{ min_employees = 500 }}

    [[qualification.sets.criteria]]
    name = "Company size"
    plugin = "{name}"
"#
    );
    vec![
        ("Cargo.toml", cargo),
        (
            ".cargo/config.toml",
            "[build]\ntarget = \"wasm32-wasip1\"\n\n# A 128 KiB stack (Rust's default is 1 MiB): each lead gets a fresh instance, and a\n# smaller memory is cheaper to reset (docs/plugins.md).\n[target.wasm32-wasip1]\nrustflags = [\"-C\", \"link-arg=-zstack-size=131072\"]\n".into(),
        ),
        ("src/main.rs", main),
        ("README.md", readme),
        (".gitignore", "/target\n".into()),
    ]
}

fn as_files(name: &str) -> Vec<(&'static str, String)> {
    let package = format!(
        r#"{{
  "name": "{name}",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "scripts": {{
    "build": "asc assembly/index.ts --target release"
  }},
  "devDependencies": {{
    "assemblyscript": "0.28.20",
    "@assemblyscript/wasi-shim": "0.1.0"
  }}
}}
"#
    );
    let asconfig = format!(
        r#"{{
  "extends": "./node_modules/@assemblyscript/wasi-shim/asconfig.json",
  "targets": {{
    "release": {{
      "outFile": "build/{name}.wasm",
      "optimizeLevel": 3,
      "shrinkLevel": 0,
      "noAssert": false
    }}
  }},
  "options": {{
    "exportStart": "_start",
    "runtime": "incremental"
  }}
}}
"#
    );
    let index = format!(
        r#"// {name}: a Baton qualification criterion in AssemblyScript.
import {{ Input, Verdict, num, run }} from "./baton";

// Declares that this module speaks Baton plugin ABI v1.
export function baton_plugin_abi_v1(): void {{}}

function describe(): string {{
  return `{{"name":"{name}","version":"0.1.0","abi":1,"params_schema":{{"type":"object","properties":{{"min_employees":{{"type":"number"}}}}}}}}`;
}}

function evaluate(input: Input): Verdict {{
  const min = input.params.number("min_employees", 200);
  const v = new Verdict();
  const employees = input.lead.attribute("employees");
  if (employees == null || !employees.isNumber) {{
    v.missing("employees");
  }} else if (employees.num >= min) {{
    v.pass(true).reason(`${{num(employees.num)}} employees ≥ ${{num(min)}}`);
  }} else {{
    v.pass(false).reason(`${{num(employees.num)}} employees < ${{num(min)}}`);
  }}
  return v;
}}

// Top-level code is the module's start function, exported as `_start` (WASI command).
run(describe, evaluate);
"#
    );
    let readme = format!(
        r#"# {name}

A Baton qualification plugin (ABI v1) in AssemblyScript.

    npm install
    npm run build                           # → build/{name}.wasm
    baton plugin check build/{name}.wasm
    baton plugin test build/{name}.wasm --workspace path/to/workspace

`assembly/baton.ts` holds the ABI plumbing (JSON in on stdin, verdict out on stdout).
"#
    );
    vec![
        ("package.json", package),
        ("asconfig.json", asconfig),
        ("assembly/index.ts", index),
        ("assembly/baton.ts", AS_SDK.to_string()),
        ("README.md", readme),
        (".gitignore", "/node_modules\n/build\n".into()),
    ]
}
