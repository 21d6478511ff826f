//! `baton widget build`: a workspace's `[scoring]` compiled into the site widget's program.

use std::path::Path;

use baton_core::program::Program;

use crate::HostError;

/// The file `baton widget build` writes in its output folder.
pub const PROGRAM_FILE: &str = "program.bin";

/// What a build wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct WidgetBuild {
    /// How many scoring rules the program holds.
    pub rules: usize,
    /// How many criteria sets.
    pub sets: usize,
    /// The attributes they read.
    pub attributes: Vec<String>,
    /// The program's size in bytes.
    pub bytes: usize,
}

/// The widget program of `framework`'s `[scoring]` and `[qualification]`; `config` names the
/// file in a refusal.
pub fn compile(framework: &baton_core::Framework, config: &str) -> Result<Program, HostError> {
    Program::for_widget(&framework.config).map_err(|e| {
        HostError::Input(format!(
            "{config}: {} {:?} cannot run in the site widget: {}",
            e.what, e.rule, e.reason
        ))
    })
}

/// Compiles `workspace/baton.toml`'s `[scoring]` and writes `out/program.bin`.
pub fn build(workspace: &Path, out: &Path) -> Result<WidgetBuild, HostError> {
    let framework = crate::workspace_dir::load_framework(workspace)?;
    let program = compile(
        &framework,
        &workspace.join("baton.toml").display().to_string(),
    )?;
    let bytes = program.to_bytes();
    std::fs::create_dir_all(out).map_err(|e| HostError::io(out, e))?;
    crate::atomic::write_file(&out.join(PROGRAM_FILE), &bytes)?;
    let attributes = program
        .attributes()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    Ok(WidgetBuild {
        rules: program.scoring.rules.len(),
        sets: program.qualification.sets.len(),
        attributes,
        bytes: bytes.len(),
    })
}
