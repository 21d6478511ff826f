//! `deals`: opportunities tied to a lead, with status, dates, amount and margin.

use super::{Col, Resolved, Resolver, Row, warn_adjustment};
use crate::config::{CurrencySection, WorkspaceSection};
use crate::model::{Deal, DealStatus};
use crate::quality::{Reason, Tally};
use crate::symbols::{Remap, Sym};
use crate::time::LocalAdjustment;

const DEAL_ID: Col = Col::new(0, "deal_id");
const LEAD_ID: Col = Col::new(1, "lead_id");
const CREATED_AT: Col = Col::new(2, "created_at");
const STATUS: Col = Col::new(3, "status");
const CLOSED_AT: Col = Col::new(4, "closed_at");
const AMOUNT: Col = Col::new(5, "amount");
const CURRENCY: Col = Col::new(6, "currency");
const MARGIN: Col = Col::new(7, "margin");

/// Deals as read; `lead` holds the lead's symbol index until `finish`.
#[derive(Default)]
pub(super) struct DealRows {
    rows: Vec<(Deal, [Option<LocalAdjustment>; 2])>,
}

impl DealRows {
    pub(super) fn read(
        &mut self,
        row: &mut Row<'_>,
        workspace: &WorkspaceSection,
        rates: &CurrencySection,
    ) {
        let currency = workspace.currency.as_str();
        let Some(id) = row.required_sym(&DEAL_ID) else {
            return;
        };
        let Some(lead_text) = row.text(&LEAD_ID) else {
            return;
        };
        if lead_text.is_empty() {
            row.reject(Reason::DealWithoutLead, &LEAD_ID, "deal has no lead_id");
            return;
        }
        let lead = row.symbols.intern(lead_text);
        let Some((created_at, created_adj)) = row.required_time(&CREATED_AT) else {
            return;
        };
        let Some(status_text) = row.required(&STATUS) else {
            return;
        };
        let status = match status_text.to_ascii_lowercase().as_str() {
            "open" => DealStatus::Open,
            "won" => DealStatus::Won,
            "lost" => DealStatus::Lost,
            _ => {
                let example = format!("{status_text:?}: expected open, won or lost");
                row.reject(Reason::InvalidValue, &STATUS, &example);
                return;
            }
        };
        let Some(closed) = row.optional_time(&CLOSED_AT) else {
            return;
        };
        if status != DealStatus::Open && closed.is_none() {
            row.reject(
                Reason::MissingCloseDate,
                &CLOSED_AT,
                "a won or lost deal needs closed_at",
            );
            return;
        }
        let Some(amount) = row.number(&AMOUNT) else {
            return;
        };
        if let Some(a) = amount
            && a < 0.0
        {
            row.reject(Reason::OutOfRange, &AMOUNT, &format!("{a} is negative"));
            return;
        }
        let Some(deal_currency) = row.text(&CURRENCY) else {
            return;
        };
        let rate = if deal_currency.is_empty() {
            Some(1.0)
        } else {
            rates.rate(currency, deal_currency)
        };
        let Some(rate) = rate else {
            let example = format!(
                "{deal_currency} is not the workspace currency {currency} and [currency] rates has no rate for it"
            );
            row.reject(Reason::CurrencyMismatch, &CURRENCY, &example);
            return;
        };
        let amount = amount.map(|a| a * rate);
        let Some(margin) = row.number(&MARGIN) else {
            return;
        };
        if let Some(m) = margin
            && !(0.0..=1.0).contains(&m)
        {
            row.reject(
                Reason::OutOfRange,
                &MARGIN,
                &format!("{m} is not a fraction between 0 and 1"),
            );
            return;
        }
        self.rows.push((
            Deal {
                id,
                lead: lead.index() as u32,
                created_at,
                status,
                closed_at: closed.map(|c| c.0),
                amount,
                margin,
                line: row.line,
            },
            [created_adj, closed.and_then(|c| c.1)],
        ));
    }

    /// Resolves leads and repeated deal ids (the row whose content sorts first is kept).
    pub(super) fn finish(
        self,
        remap: &Remap,
        resolver: &Resolver<'_>,
        tally: &mut Tally,
    ) -> Vec<Deal> {
        let mut rows = self.rows;
        for (d, _) in &mut rows {
            d.id = remap.map(d.id);
            d.lead = remap.map(Sym::from_index(d.lead as usize)).index() as u32;
        }
        crate::order::sort_unstable_by(&mut rows, |(a, _), (b, _)| deal_cmp(a, b));
        let mut deals: Vec<Deal> = Vec::with_capacity(rows.len());
        let mut last_id: Option<(Sym, u64)> = None;
        for (mut d, [created_adj, closed_adj]) in rows {
            if let Some((id, line)) = last_id
                && id == d.id
            {
                let example = format!("deal_id repeats line {line}");
                tally.reject(Reason::DuplicateId, "deal_id", d.line, &example);
                continue;
            }
            last_id = Some((d.id, d.line));
            let lead_sym = Sym::from_index(d.lead as usize);
            match resolver.resolve(lead_sym, d.created_at) {
                Resolved::Rejected(reason) => {
                    let field = if reason == Reason::UnknownLead {
                        "lead_id"
                    } else {
                        "created_at"
                    };
                    tally.reject(reason, field, d.line, &resolver.example(reason, lead_sym));
                }
                Resolved::Lead(ix, early) => {
                    d.lead = ix;
                    if early {
                        tally.warn(
                            Reason::BeforeLeadCreated,
                            "created_at",
                            d.line,
                            "deal created before its lead",
                        );
                    }
                    if let Some(c) = d.closed_at
                        && c < d.created_at
                    {
                        tally.warn(
                            Reason::ClosedBeforeCreated,
                            "closed_at",
                            d.line,
                            "closed_at is before created_at",
                        );
                    }
                    warn_adjustment(tally, created_adj, "created_at", d.line);
                    warn_adjustment(tally, closed_adj, "closed_at", d.line);
                    deals.push(d);
                }
            }
        }
        deals
    }
}

fn deal_cmp(a: &Deal, b: &Deal) -> std::cmp::Ordering {
    (a.id, a.created_at, a.lead, a.status, a.closed_at)
        .cmp(&(b.id, b.created_at, b.lead, b.status, b.closed_at))
        .then(
            a.amount
                .partial_cmp(&b.amount)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
        .then(
            a.margin
                .partial_cmp(&b.margin)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
        .then(a.line.cmp(&b.line))
}
