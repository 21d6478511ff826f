//! An export folder: every CSV in it read once, and each of an importer's roles (contacts,
//! deals, Lead, Task, ...) given the file whose columns fit it, preferring a file whose name
//! contains the role's word (`hubspot-crm-exports-all-contacts-2025-04-28.csv` is contacts).

use std::path::{Path, PathBuf};

use crate::error::HostError;

use super::ImportSummary;
use super::export_table::{Read, Table, export_files, file_name};

/// A file an importer reads.
pub(crate) struct Role {
    /// What it is, for messages ("contacts export").
    pub(crate) what: &'static str,
    /// Words one of which the file name contains (lower case).
    pub(crate) names: &'static [&'static str],
    /// Column groups the header must name one of each.
    pub(crate) columns: &'static [&'static [&'static str]],
    /// Column groups any of which rules the file out (a deals file also has Record ID).
    pub(crate) not: &'static [&'static [&'static str]],
}

impl Role {
    fn fits(&self, t: &Table) -> bool {
        t.has_all(self.columns) && !self.not.iter().any(|g| t.column(g).is_some())
    }

    fn named(&self, path: &Path) -> bool {
        let name = file_name(path).to_lowercase();
        self.names.iter().any(|w| name.contains(w))
    }
}

/// The other CRM's main export file, to recognise an export given to the wrong importer.
pub(crate) struct OtherExport<'r> {
    /// Its main file.
    pub(crate) role: &'r Role,
    /// The CRM's name ("Salesforce").
    pub(crate) crm: &'static str,
    /// The `baton import` subcommand for it.
    pub(crate) command: &'static str,
}

enum Slot {
    Table(Table),
    Empty,
    Taken,
}

/// The files of an export folder, read once.
pub(crate) struct ExportFolder {
    dir: PathBuf,
    files: Vec<(PathBuf, Slot)>,
    /// Empty files taken for a role: (role, file name).
    empty: Vec<(&'static str, String)>,
}

impl ExportFolder {
    /// Reads every CSV of `dir`.
    pub(crate) fn open(dir: &Path, summary: &mut ImportSummary) -> Result<Self, HostError> {
        let mut files = Vec::new();
        for path in export_files(dir)? {
            let slot = match Table::read(&path, summary)? {
                Read::Table(t) => Slot::Table(t),
                Read::Empty => Slot::Empty,
            };
            files.push((path, slot));
        }
        Ok(ExportFolder {
            dir: dir.to_path_buf(),
            files,
            empty: Vec::new(),
        })
    }

    /// The file for `role`: one whose columns fit it, preferring one named for it. An empty
    /// file named for it, or a header-only one, is absent, with a note.
    pub(crate) fn take(&mut self, role: &Role, summary: &mut ImportSummary) -> Option<Table> {
        let by_name = self.files.iter().position(|(p, s)| match s {
            Slot::Table(t) => role.named(p) && role.fits(t),
            Slot::Empty => role.named(p),
            Slot::Taken => false,
        });
        let by_content = || {
            self.files
                .iter()
                .position(|(_, s)| matches!(s, Slot::Table(t) if role.fits(t)))
        };
        let i = by_name.or_else(by_content)?;
        let name = file_name(&self.files[i].0);
        match std::mem::replace(&mut self.files[i].1, Slot::Taken) {
            Slot::Table(t) if t.rows.is_empty() => {
                summary.caveats.push(format!(
                    "{name}: has a header but no rows; read as no {}",
                    role.what
                ));
                None
            }
            Slot::Table(t) => {
                summary.read.insert(t.name.clone(), t.rows.len() as u64);
                Some(t)
            }
            _ => {
                summary
                    .caveats
                    .push(format!("{name}: empty (0 bytes); read as no {}", role.what));
                self.empty.push((role.what, name));
                None
            }
        }
    }

    /// The file for a role the import cannot do without: an error naming every file seen
    /// and what it looked like when none fits, or "empty" when the one named for it is.
    /// When no file fits but one fits `other` — the main file of the other CRM's export — the
    /// error names the importer to run instead.
    pub(crate) fn require(
        &mut self,
        role: &Role,
        hint: &str,
        other: &OtherExport<'_>,
        summary: &mut ImportSummary,
    ) -> Result<Table, HostError> {
        if let Some(t) = self.take(role, summary) {
            return Ok(t);
        }
        if self.any_fits(other.role) {
            return Err(HostError::Input(format!(
                "{}: this looks like a {} export (a {}): run `baton import {}`",
                self.dir.display(),
                other.crm,
                other.role.what,
                other.command
            )));
        }
        let empty = self.empty.iter().find(|(what, _)| *what == role.what);
        if let Some((_, name)) = empty {
            return Err(HostError::Input(format!(
                "{}: {name} is empty (0 bytes); export the {} again",
                self.dir.display(),
                role.what
            )));
        }
        let seen: Vec<String> = self
            .files
            .iter()
            .map(|(p, s)| match s {
                Slot::Table(t) => format!("{} ({})", file_name(p), t.describe()),
                Slot::Empty => format!("{} (empty)", file_name(p)),
                Slot::Taken => match self.empty.iter().find(|(_, n)| *n == file_name(p)) {
                    Some(_) => format!("{} (empty)", file_name(p)),
                    None => format!("{} (read as another file)", file_name(p)),
                },
            })
            .collect();
        let seen = if seen.is_empty() {
            "no CSV files in the folder".to_string()
        } else {
            format!("files seen: {}", seen.join("; "))
        };
        Err(HostError::Input(format!(
            "{}: no {} ({hint}); {seen}",
            self.dir.display(),
            role.what
        )))
    }

    /// Whether any file not taken fits `role` (to tell the user which importer fits).
    fn any_fits(&self, role: &Role) -> bool {
        self.files
            .iter()
            .any(|(_, s)| matches!(s, Slot::Table(t) if role.fits(t)))
    }

    /// Lists the files no role took.
    pub(crate) fn finish(self, summary: &mut ImportSummary) {
        for (path, slot) in self.files {
            match slot {
                Slot::Taken => {}
                Slot::Empty => summary
                    .not_imported
                    .push(format!("{} (empty)", file_name(&path))),
                Slot::Table(_) => summary.not_imported.push(file_name(&path)),
            }
        }
    }
}
