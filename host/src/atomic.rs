//! Output files written whole or not at all. A set of files (the report) is first written to
//! temporary files beside their targets and synced; a commit journal then names the renames,
//! which follow one after another; a run that finds a journal finishes the renames it names. So
//! after a full disk, a crash or a SIGKILL, the folder holds the complete old set or the complete
//! new set, and a symlink planted in the folder is replaced, never written through.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::HostError;

/// The commit journal's name inside the output folder.
const JOURNAL: &str = ".baton-commit";
/// The prefix of temporary files.
const TEMP: &str = ".baton-tmp-";

/// Writes `files` (name, bytes) into `dir` as one set.
pub fn write_set(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), HostError> {
    std::fs::create_dir_all(dir).map_err(|e| HostError::io(dir, e))?;
    recover(dir)?;
    for (name, _) in files {
        let target = dir.join(name);
        if target.is_dir() && !target.is_symlink() {
            return Err(HostError::Input(format!(
                "{}: is a folder; it cannot be replaced by the output file",
                target.display()
            )));
        }
    }
    let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (name, bytes) in files {
        match write_temp(dir, name, bytes) {
            Ok(temp) => temps.push((temp, dir.join(name))),
            Err(e) => {
                for (temp, _) in &temps {
                    let _ = std::fs::remove_file(temp);
                }
                return Err(e);
            }
        }
    }
    let journal: String = temps
        .iter()
        .map(|(temp, target)| format!("{}\t{}\n", file_name(temp), file_name(target)))
        .collect();
    let staged = match write_temp(dir, JOURNAL, journal.as_bytes()) {
        Ok(staged) => staged,
        Err(e) => {
            for (temp, _) in &temps {
                let _ = std::fs::remove_file(temp);
            }
            return Err(e);
        }
    };
    let journal_path = dir.join(JOURNAL);
    std::fs::rename(&staged, &journal_path).map_err(|e| HostError::io(&journal_path, e))?;
    sync_dir(dir)?;
    commit(dir, &journal)?;
    Ok(())
}

/// Writes one file atomically: a temporary file beside it, synced, renamed over it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = file_name(path);
    let temp = write_temp(&dir, &name, bytes)?;
    if let Err(e) = std::fs::rename(&temp, path) {
        let _ = std::fs::remove_file(&temp);
        return Err(HostError::io(path, e));
    }
    sync_dir(&dir)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Creates a fresh temporary file for `name` (never an existing path or a symlink), writes and
/// syncs it; on failure nothing is left behind.
fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, HostError> {
    let pid = std::process::id();
    for attempt in 0u32..100 {
        let temp = dir.join(format!("{TEMP}{pid}-{attempt}-{name}"));
        let file = OpenOptions::new().write(true).create_new(true).open(&temp);
        let mut file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(HostError::io(&temp, e)),
        };
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        return match written {
            Ok(()) => Ok(temp),
            Err(e) => {
                drop(file);
                let _ = std::fs::remove_file(&temp);
                Err(HostError::io(dir.join(name), e))
            }
        };
    }
    Err(HostError::Input(format!(
        "{}: cannot create a temporary file for {name}",
        dir.display()
    )))
}

/// Renames what `journal` names, then removes the journal.
fn commit(dir: &Path, journal: &str) -> Result<(), HostError> {
    for line in journal.lines() {
        let Some((temp, target)) = line.split_once('\t') else {
            continue;
        };
        let (temp, target) = (dir.join(temp), dir.join(target));
        if temp.exists() {
            std::fs::rename(&temp, &target).map_err(|e| HostError::io(&target, e))?;
        }
    }
    sync_dir(dir)?;
    let journal_path = dir.join(JOURNAL);
    std::fs::remove_file(&journal_path).map_err(|e| HostError::io(&journal_path, e))?;
    sync_dir(dir)
}

/// Finishes a commit an earlier run was stopped in, and removes temporary files that runs no
/// longer alive left behind.
fn recover(dir: &Path) -> Result<(), HostError> {
    let journal_path = dir.join(JOURNAL);
    if let Ok(journal) = std::fs::read_to_string(&journal_path) {
        commit(dir, &journal)?;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TEMP) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| p == me || Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> Result<(), HostError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io(dir, e))
}
