//! The instant a live answer is computed at: the caller's, read in the workspace zone, or the
//! data's latest timestamp (with the row that set it, when it lies far beyond the rest).

use crate::model::FarTimestamp;
use crate::time::TimeParser;
use crate::{Instant, Workspace};

/// A latest timestamp more than this many days after all the others is warned about.
pub const FAR_TIMESTAMP_DAYS: i64 = 366;

/// The resolved `as_of`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AsOf {
    /// The instant.
    pub at: Instant,
    /// Whether it was taken from the data (no `as_of` given).
    pub from_data: bool,
}

impl AsOf {
    /// Taken from the data, and that latest timestamp lies [`FAR_TIMESTAMP_DAYS`] beyond the
    /// rest: the row that set it (asked for separately, so callers that never warn skip it).
    pub fn far(&self, ws: &Workspace) -> Option<FarTimestamp> {
        self.from_data
            .then(|| ws.far_latest_timestamp(FAR_TIMESTAMP_DAYS))
            .flatten()
    }
}

/// Why `as_of` could not be resolved (each caller words it with its own parameter's name).
#[derive(Debug, Clone, PartialEq)]
pub enum AsOfError {
    /// The text given is not a timestamp.
    Unreadable(String),
    /// None was given and the data has no timestamps; why ([`why_no_timestamps`]).
    NoTimestamps(String),
}

/// Parses `as_of` (RFC 3339, or local time in the workspace zone), or takes the data's latest
/// timestamp.
pub fn resolve_as_of(ws: &Workspace, as_of: Option<&str>) -> Result<AsOf, AsOfError> {
    match as_of {
        Some(text) => TimeParser::new(ws.framework.tz.clone())
            .parse(text)
            .map(|(at, _)| AsOf {
                at,
                from_data: false,
            })
            .map_err(|_| AsOfError::Unreadable(text.into())),
        None => Ok(AsOf {
            at: ws
                .latest_timestamp()
                .ok_or_else(|| AsOfError::NoTimestamps(why_no_timestamps(ws)))?,
            from_data: true,
        }),
    }
}

/// Why a workspace has no timestamps: no rows at all, or every row rejected (the first
/// rejection of each file, with its line and value), so the fix is in view.
pub fn why_no_timestamps(ws: &Workspace) -> String {
    let dq = &ws.data_quality;
    if dq.rows == 0 {
        return "the workspace files have no data rows".into();
    }
    let mut why: Vec<String> = Vec::new();
    for fq in dq.files.values() {
        if fq.rows == 0 {
            continue;
        }
        let first = fq
            .rejections
            .iter()
            .min_by_key(|f| f.lines.first().copied());
        match first {
            Some(f) if fq.accepted == 0 => why.push(format!(
                "every row of {} was rejected (e.g. line {}, {} {}: {})",
                fq.file,
                f.lines.first().copied().unwrap_or(0),
                f.field,
                f.reason.name(),
                f.example
            )),
            _ => {}
        }
    }
    if why.is_empty() {
        "no accepted row carries a timestamp".into()
    } else {
        why.join("; ")
    }
}
