//! The files a workspace names (data files, plugins, asset texts): regular files inside the
//! workspace folder once symlinks are resolved, or inside a shared folder `baton.toml` names,
//! opened without blocking and read with a byte cap. Errors name the path, never its contents.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a named file may not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Nothing at that path.
    #[error("{name}: no such file")]
    NotFound {
        /// The path as the workspace names it.
        name: String,
    },
    /// The path (or a symlink on it) leads out of the allowed folders.
    #[error(
        "{name}: resolves to {}, outside the workspace folder {}; files must stay inside it (a \
         shared plugin folder elsewhere must be named in [workspace] plugin_dirs)",
        resolved.display(),
        root.display()
    )]
    Outside {
        /// The path as the workspace names it.
        name: String,
        /// Where it leads.
        resolved: PathBuf,
        /// The workspace folder.
        root: PathBuf,
    },
    /// A FIFO, device, socket or folder.
    #[error("{name}: is {kind}, not a regular file")]
    NotRegular {
        /// The path as the workspace names it.
        name: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// Larger than the cap for its kind.
    #[error("{name}: is larger than {cap} bytes, the limit for {what}")]
    TooLarge {
        /// The path as the workspace names it.
        name: String,
        /// The cap in bytes.
        cap: u64,
        /// What kind of file it was read as.
        what: &'static str,
    },
    /// The OS refused.
    #[error("{name}: {source}")]
    Io {
        /// The path as the workspace names it.
        name: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The folders a workspace's files may come from.
#[derive(Debug, Clone)]
pub struct Confinement {
    root: PathBuf,
    shared: Vec<PathBuf>,
}

impl Confinement {
    /// Files inside `root`, or inside one of `shared` (relative ones taken from `root`).
    pub fn new(root: &Path, shared: &[String]) -> Result<Confinement, FileError> {
        let canonical = |p: &Path| {
            p.canonicalize().map_err(|source| FileError::Io {
                name: p.display().to_string(),
                source,
            })
        };
        let root = canonical(root)?;
        let shared = shared
            .iter()
            .map(|s| canonical(&root.join(s)))
            .collect::<Result<_, _>>()?;
        Ok(Confinement { root, shared })
    }

    /// The workspace folder, symlinks resolved.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `name` (relative to the workspace, or absolute) really is, when it is allowed.
    pub fn resolve(&self, name: &str) -> Result<PathBuf, FileError> {
        let joined = self.root.join(name);
        let resolved = joined
            .canonicalize()
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::NotFound => FileError::NotFound { name: name.into() },
                _ => FileError::Io {
                    name: name.into(),
                    source,
                },
            })?;
        let inside =
            resolved.starts_with(&self.root) || self.shared.iter().any(|d| resolved.starts_with(d));
        if !inside {
            return Err(FileError::Outside {
                name: name.into(),
                resolved,
                root: self.root.clone(),
            });
        }
        Ok(resolved)
    }

    /// Opens `name` for reading when it is an allowed regular file.
    pub fn open(&self, name: &str) -> Result<File, FileError> {
        let path = self.resolve(name)?;
        open_regular(&path, name)
    }

    /// Reads `name` whole, refusing more than `cap` bytes.
    pub fn read(&self, name: &str, cap: u64, what: &'static str) -> Result<Vec<u8>, FileError> {
        let file = self.open(name)?;
        read_capped(file, name, cap, what)
    }
}

/// What a non-regular file is, for the refusal.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Opens `path` without blocking (a FIFO swapped in after the check cannot hang the run) and
/// checks, on the open handle, that it is a regular file.
pub fn open_regular(path: &Path, name: &str) -> Result<File, FileError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| FileError::Io {
        name: name.into(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            name: name.into(),
            kind: kind_of(&meta),
        });
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotRegular {
            name: name.into(),
            kind: kind_of(&meta),
        });
    }
    Ok(file)
}

/// Reads at most `cap` bytes of `file`; more is an error, not a truncation.
pub fn read_capped(
    file: File,
    name: &str,
    cap: u64,
    what: &'static str,
) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| FileError::Io {
            name: name.into(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLarge {
            name: name.into(),
            cap,
            what,
        });
    }
    Ok(bytes)
}
