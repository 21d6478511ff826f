//! `assets`: marketing content and sales talk tracks, with their text inline or in a file.

use super::{Col, Row, TextSource};
use crate::model::{Asset, Team};
use crate::quality::{Reason, Tally};
use crate::symbols::{Remap, Sym};

const ASSET_ID: Col = Col::new(0, "asset_id");
const TITLE: Col = Col::new(1, "title");
const OWNER_TEAM: Col = Col::new(2, "owner_team");
const KIND: Col = Col::new(3, "kind");
const STAGE: Col = Col::new(4, "stage");
const PERSONA: Col = Col::new(5, "persona");
const BODY: Col = Col::new(6, "body");
const PATH: Col = Col::new(7, "path");

/// Assets as read, with the `path` to load when the body is not inline.
#[derive(Default)]
pub(super) struct AssetRows {
    rows: Vec<(Asset, Option<String>)>,
}

impl AssetRows {
    pub(super) fn read(&mut self, row: &mut Row<'_>) {
        let Some(id) = row.required_sym(&ASSET_ID) else {
            return;
        };
        let Some(title) = row.required(&TITLE) else {
            return;
        };
        let title = title.to_string();
        let Some(team_text) = row.required(&OWNER_TEAM) else {
            return;
        };
        let Some(owner_team) = Team::parse(team_text) else {
            let example = format!("{team_text:?}: expected marketing, sales or cs");
            row.reject(Reason::InvalidValue, &OWNER_TEAM, &example);
            return;
        };
        let Some(kind) = row.optional_sym(&KIND) else {
            return;
        };
        let Some(stage) = row.optional_sym(&STAGE) else {
            return;
        };
        let Some(persona) = row.optional_sym(&PERSONA) else {
            return;
        };
        let Some(body) = row.text(&BODY) else { return };
        let body = body.to_string();
        let Some(path) = row.text(&PATH) else { return };
        let path = (!path.is_empty() && body.is_empty()).then(|| path.to_string());
        self.rows.push((
            Asset {
                id,
                title,
                owner_team,
                kind,
                stage,
                persona,
                body,
                line: row.line,
            },
            path,
        ));
    }

    /// Loads file bodies, resolves repeated ids (the row whose content sorts first is kept).
    pub(super) fn finish(
        self,
        remap: &Remap,
        texts: &dyn TextSource,
        tally: &mut Tally,
    ) -> Vec<Asset> {
        let mut rows = self.rows;
        for (a, _) in &mut rows {
            a.id = remap.map(a.id);
            a.kind = remap.map_opt(a.kind);
            a.stage = remap.map_opt(a.stage);
            a.persona = remap.map_opt(a.persona);
        }
        crate::order::sort_unstable_by(&mut rows, |(a, pa), (b, pb)| {
            (
                a.id,
                &a.title,
                a.owner_team,
                a.kind,
                a.stage,
                a.persona,
                &a.body,
                pa,
            )
                .cmp(&(
                    b.id,
                    &b.title,
                    b.owner_team,
                    b.kind,
                    b.stage,
                    b.persona,
                    &b.body,
                    pb,
                ))
                .then(a.line.cmp(&b.line))
        });
        let mut assets: Vec<Asset> = Vec::with_capacity(rows.len());
        let mut last: Option<(Sym, u64)> = None;
        for (mut a, path) in rows {
            if let Some((id, line)) = last
                && id == a.id
            {
                tally.reject(
                    Reason::DuplicateId,
                    "asset_id",
                    a.line,
                    &format!("asset_id repeats line {line}"),
                );
                continue;
            }
            last = Some((a.id, a.line));
            if let Some(path) = path {
                match texts.read_text(&path) {
                    Ok(body) => a.body = body,
                    Err(message) => tally.warn(Reason::MissingFile, "path", a.line, &message),
                }
            }
            assets.push(a);
        }
        assets
    }
}
