//! Errors of the native host: the engine's, plus files and folders.

use std::path::PathBuf;

/// What went wrong in the host.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The engine rejected the input.
    #[error(transparent)]
    Core(#[from] baton_core::Error),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The input is unusable for a reason the message gives.
    #[error("{0}")]
    Input(String),
    /// A file the workspace names may not be read (outside it, not a regular file, too large).
    #[error(transparent)]
    File(#[from] crate::files::FileError),
}

impl HostError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HostError::Io {
            path: path.into(),
            source,
        }
    }

    /// True when the user's input is at fault (exit code 2), false for internal failures (1).
    pub fn is_input_error(&self) -> bool {
        match self {
            HostError::Core(_) | HostError::Input(_) => true,
            HostError::File(e) => !matches!(e, crate::files::FileError::Io { .. }),
            HostError::Io { source, .. } => matches!(
                source.kind(),
                std::io::ErrorKind::NotFound
                    | std::io::ErrorKind::PermissionDenied
                    | std::io::ErrorKind::InvalidData
                    | std::io::ErrorKind::IsADirectory
                    | std::io::ErrorKind::NotADirectory
            ),
        }
    }
}
