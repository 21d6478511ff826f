//! The canonical workspace files: their kinds and columns. Ingestion, the data generator and
//! the CRM importers all read these lists; nothing else names a canonical column set.

/// The kinds of workspace file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// `leads.csv`.
    Leads,
    /// `events.csv`.
    Events,
    /// `stages.csv`.
    Stages,
    /// `deals.csv`.
    Deals,
    /// `assets.csv`.
    Assets,
    /// `feedback.csv`.
    Feedback,
}

impl FileKind {
    /// Every kind, in reporting order.
    pub const ALL: [FileKind; 6] = [
        FileKind::Leads,
        FileKind::Events,
        FileKind::Stages,
        FileKind::Deals,
        FileKind::Assets,
        FileKind::Feedback,
    ];

    /// The file stem (`leads`, `events`, ...).
    pub fn stem(self) -> &'static str {
        match self {
            FileKind::Leads => "leads",
            FileKind::Events => "events",
            FileKind::Stages => "stages",
            FileKind::Deals => "deals",
            FileKind::Assets => "assets",
            FileKind::Feedback => "feedback",
        }
    }

    /// The kind for a file stem.
    pub fn from_stem(stem: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.stem() == stem)
    }

    /// Columns that must be present in the header.
    pub fn required_columns(self) -> &'static [&'static str] {
        match self {
            FileKind::Leads => &["lead_id", "created_at"],
            FileKind::Events => &["lead_id", "ts", "type", "channel"],
            FileKind::Stages => &["lead_id", "ts", "stage"],
            FileKind::Deals => &["deal_id", "lead_id", "created_at", "status"],
            FileKind::Assets => &["asset_id", "title", "owner_team"],
            FileKind::Feedback => &["lead_id", "ts", "kind"],
        }
    }

    /// Optional canonical columns.
    pub fn optional_columns(self) -> &'static [&'static str] {
        match self {
            FileKind::Leads => &[
                "source",
                "company",
                "title",
                "industry",
                "employees",
                "country",
                "persona",
                "owner",
            ],
            FileKind::Events => &["team", "campaign", "asset_id", "event_id"],
            FileKind::Stages => &["reason", "actor"],
            FileKind::Deals => &["closed_at", "amount", "currency", "margin"],
            FileKind::Assets => &["kind", "stage", "persona", "body", "path"],
            FileKind::Feedback => &["score", "text"],
        }
    }

    /// Every canonical column: the required ones, then the optional ones.
    pub fn all_columns(self) -> Vec<&'static str> {
        let mut v = self.required_columns().to_vec();
        v.extend_from_slice(self.optional_columns());
        v
    }
}
