//! The generated company's content: marketing assets and sales talk tracks, with deliberate
//! inconsistencies (a conflicting number, a retired claim, an off-message track) for the audit.

/// One asset row: id, title, owner team, kind, stage, persona, body.
pub struct AssetSpec {
    /// `asset_id`.
    pub id: &'static str,
    /// `title`.
    pub title: &'static str,
    /// `owner_team`.
    pub owner_team: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// `stage`.
    pub stage: &'static str,
    /// `persona`.
    pub persona: &'static str,
    /// `body`.
    pub body: &'static str,
}

const fn a(
    id: &'static str,
    title: &'static str,
    owner_team: &'static str,
    kind: &'static str,
    stage: &'static str,
    persona: &'static str,
    body: &'static str,
) -> AssetSpec {
    AssetSpec { id, title, owner_team, kind, stage, persona, body }
}

/// Every asset of the generated workspace.
pub const ASSETS: &[AssetSpec] = &[
    a("ast_onboarding_guide", "The 30-day onboarding playbook", "marketing", "ebook", "lead", "champion",
      "Teams that adopt Acme Flow cut onboarding time by 40%. This playbook shows the four steps our customers follow to go live in 30 days, from importing processes to training the first team."),
    a("ast_integrations_datasheet", "Integrations datasheet", "marketing", "datasheet", "mql", "technical_evaluator",
      "Acme Flow integrates with the tools you already use: more than 200 native integrations, including Salesforce, HubSpot, Slack and SAP, plus an open REST API and webhooks."),
    a("ast_security_whitepaper", "Security and compliance whitepaper", "marketing", "whitepaper", "sql", "technical_evaluator",
      "Enterprise-grade security by design: SOC 2 Type II certified, single sign-on with SAML, encryption at rest and in transit, and data residency in the EU and the US."),
    a("ast_roi_calculator", "ROI calculator and benchmark report", "marketing", "one_pager", "opportunity", "economic_buyer",
      "Customers see a 3x return on investment within 12 months. The benchmark covers 140 companies and shows where the savings come from: fewer manual handoffs and faster onboarding."),
    a("ast_case_study_logistics", "Case study: NorthFreight", "marketing", "case_study", "sql", "economic_buyer",
      "NorthFreight cut onboarding time by 40% and connected its ERP in two weeks thanks to native integrations. The operations team now runs 60 workflows without IT tickets."),
    a("ast_case_study_fintech", "Case study: Lumen Bank", "marketing", "case_study", "opportunity", "economic_buyer",
      "Lumen Bank chose Acme Flow for its enterprise-grade security: SOC 2 Type II, SSO and audit logs. The bank reached a 3x return on investment in its first year."),
    a("ast_webinar_automation", "Webinar: automation without code", "marketing", "webinar", "lead", "end_user",
      "A live session on building your first automated workflow without writing code. See how teams integrate their CRM and chat tools and cut onboarding time for new hires."),
    a("ast_blog_handoffs", "Blog: five broken handoffs", "marketing", "blog", "lead", "end_user",
      "Five handoffs that break in every growing company, and how workflow automation fixes them. Faster onboarding starts with fewer manual steps."),
    a("ast_demo_video", "Product demo video", "marketing", "demo_video", "mql", "champion",
      "A twelve-minute tour of Acme Flow: designing a workflow, connecting integrations, and reading the dashboard. Most teams go live within 30 days."),
    a("ast_buyer_guide", "Buyer's guide to workflow platforms", "marketing", "ebook", "mql", "economic_buyer",
      "What to ask every vendor: security certifications, integration depth, time to onboard, and total cost. A checklist for procurement and IT."),
    a("ast_it_checklist", "IT evaluation checklist", "marketing", "one_pager", "sql", "technical_evaluator",
      "Single sign-on, SCIM provisioning, audit logs, data residency, uptime SLA of 99.9%, and a documented API: the checklist IT teams use to approve Acme Flow."),
    a("ast_pricing_overview", "Pricing overview", "marketing", "one_pager", "opportunity", "economic_buyer",
      "Transparent per-seat pricing with volume tiers. Every plan includes integrations and SSO; enterprise adds data residency and a dedicated success manager."),
    a("ast_manufacturing_brief", "Solution brief: manufacturing", "marketing", "one_pager", "mql", "champion",
      "Manufacturers use Acme Flow to connect shop-floor systems with SAP and cut onboarding time for new plants by 40%."),
    a("ast_healthcare_brief", "Solution brief: healthcare", "marketing", "one_pager", "sql", "technical_evaluator",
      "HIPAA-ready workflows with enterprise-grade security, audit trails and access controls for patient-facing operations."),
    a("ast_launch_announcement", "Launch announcement: AI assistant", "marketing", "blog", "lead", "end_user",
      "Our new assistant drafts workflows from a sentence. It is the #1 rated workflow tool for teams that want automation without code."),
    a("ast_customer_stories", "Customer stories collection", "marketing", "case_study", "opportunity", "champion",
      "Twelve customer stories across logistics, finance and healthcare. The common thread: faster onboarding, deep integrations and a 3x return on investment."),
    a("ast_unused_infographic", "Infographic: the state of automation", "marketing", "infographic", "lead", "end_user",
      "Survey results from 1,000 operations leaders on automation budgets and priorities for next year."),
    a("trk_discovery_call", "Discovery call talk track", "sales", "talk_track", "sal", "champion",
      "Open with their current process. Ask how long onboarding takes today; we cut onboarding in half for teams like theirs. Ask which tools must connect: we integrate with Salesforce, Slack and SAP."),
    a("trk_security_objection", "Security objection handling", "sales", "talk_track", "sql", "technical_evaluator",
      "When security comes up: we are SOC 2 Type II certified, support SSO with SAML, and encrypt all data. Offer the security whitepaper and a call with our security team."),
    a("trk_pricing_email", "Pricing follow-up email", "sales", "email_template", "opportunity", "economic_buyer",
      "Thanks for your time today. As discussed, our customers typically see 3x ROI within the first year, and the free forever plan lets your team start before procurement signs off."),
    a("trk_demo_followup", "Demo follow-up email", "sales", "email_template", "sql", "champion",
      "Great to show you the platform today. Attached is the integrations datasheet; most teams connect their CRM on day one and go live in about a month."),
    a("trk_cold_outbound", "Cold outbound sequence", "sales", "email_template", "lead", "economic_buyer",
      "Quick question: is your team still copying data between spreadsheets every Monday? We have helped companies like yours, guaranteed results in the first quarter."),
    a("trk_renewal_call", "Renewal call script", "sales", "talk_track", "customer", "economic_buyer",
      "Review the account's usage, celebrate the workflows shipped, and confirm the renewal date. Ask for a referral."),
];
