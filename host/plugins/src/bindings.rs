//! The one place where WIT bindings are generated (`siso:plugin@0.1.0`, world `plugin`), and
//! the edge where they are converted from and to host types. A later contract version gets a
//! sibling module (`v0_2`) converting to the same host types, so plug-ins of both versions are
//! served side by side (see docs/plugins.md, "Versions").

#![allow(missing_docs, clippy::too_many_arguments)]

use chrono::{Datelike, NaiveDate};
use siso_domain::assessment::Instrument;
use siso_domain::case::{CaseState, UserArea};
use siso_domain::catalogue::{InpsArea, IstatType};
use siso_domain::intervention::{BenefitCharacter, InterventionState, MeansTest};
use siso_domain::money::Money;
use siso_domain::org::OrgUnitKind;
use siso_domain::person::{IseeKind, Relation, Sex};
use siso_domain::plan::{Attainment, PlanKind, PlanState, Term};

use crate::model;

wasmtime::component::bindgen!({
    path: "../../wit/siso-plugin@0.1.0",
    world: "siso:plugin/plugin",
    imports: { default: trappable },
    exports: { default: async },
});

pub use exports::siso::plugin::{contribute, decide, report, validate};
pub use siso::plugin::host as host_api;
pub use siso::plugin::types as wit;

/// The contract version these bindings serve.
pub const WIT_VERSION: &str = "0.1.0";

fn id(i: i64) -> u64 {
    u64::try_from(i).unwrap_or_default()
}

fn date(d: NaiveDate) -> wit::Date {
    wit::Date { year: d.year(), month: u8::try_from(d.month()).unwrap_or(1), day: u8::try_from(d.day()).unwrap_or(1) }
}

fn org_kind(k: OrgUnitKind) -> wit::OrgKind {
    match k {
        OrgUnitKind::Region => wit::OrgKind::Region,
        OrgUnitKind::Ambito => wit::OrgKind::Ambito,
        OrgUnitKind::Comune => wit::OrgKind::Comune,
        OrgUnitKind::Municipio => wit::OrgKind::Municipio,
        OrgUnitKind::Office => wit::OrgKind::Office,
        OrgUnitKind::Provider => wit::OrgKind::Provider,
    }
}

fn user_area(a: UserArea) -> wit::UserArea {
    match a {
        UserArea::FamilyAndMinors => wit::UserArea::FamilyMinors,
        UserArea::Disability => wit::UserArea::Disability,
        UserArea::Addiction => wit::UserArea::Addiction,
        UserArea::Elderly => wit::UserArea::Elderly,
        UserArea::Immigrants => wit::UserArea::Immigrants,
        UserArea::Poverty => wit::UserArea::Poverty,
        UserArea::MultiUser => wit::UserArea::MultiUser,
    }
}

/// The call context.
pub fn context(c: &model::CallContext) -> wit::Context {
    let o = &c.organisation;
    wit::Context {
        organisation: wit::Organisation {
            id: id(o.id.0),
            kind: org_kind(o.kind),
            name: o.name.clone(),
            istat_code: o.istat_code.clone(),
            cadastral_code: o.cadastral_code.clone(),
            ancestors: c
                .ancestors
                .iter()
                .map(|a| wit::OrgRef {
                    id: id(a.id.0),
                    kind: org_kind(a.kind),
                    name: a.name.clone(),
                    istat_code: a.istat_code.clone(),
                })
                .collect(),
        },
        today: date(c.today),
        settings: c.settings.clone(),
    }
}

/// A catalogue entry.
pub fn catalogue_entry(e: &siso_domain::catalogue::CatalogueEntry) -> wit::CatalogueEntry {
    wit::CatalogueEntry {
        local_code: e.local_code.clone(),
        name: e.name.clone(),
        inps_code: e.inps_code.clone(),
        inps_area: match e.inps_area {
            InpsArea::FamilyAndMinors => wit::InpsArea::FamilyMinors,
            InpsArea::DisabilityNonSelfSufficiency => wit::InpsArea::Disability,
            InpsArea::Poverty => wit::InpsArea::Poverty,
        },
        istat_area: user_area(e.istat_area),
        istat_type: match e.istat_type {
            IstatType::Services => wit::IstatType::Services,
            IstatType::CashTransfers => wit::IstatType::Cash,
            IstatType::Structures => wit::IstatType::Structures,
        },
        sina_required: e.sina_required,
        means_test: match e.means_test {
            MeansTest::Isee => wit::MeansTest::Isee,
            MeansTest::OtherMeansTest => wit::MeansTest::Other,
            MeansTest::Exempt => wit::MeansTest::Exempt,
            MeansTest::None => wit::MeansTest::None,
        },
        character: match e.character {
            BenefitCharacter::Periodic => wit::BenefitCharacter::Periodic,
            BenefitCharacter::OneOff => wit::BenefitCharacter::OneOff,
        },
    }
}

fn case(c: &siso_domain::case::Case) -> wit::Case {
    wit::Case {
        id: id(c.id.0),
        org_unit_id: id(c.org_unit_id.0),
        state: match c.state {
            CaseState::Open => wit::CaseState::Open,
            CaseState::Suspended => wit::CaseState::Suspended,
            CaseState::Closed => wit::CaseState::Closed,
            CaseState::Reopened => wit::CaseState::Reopened,
        },
        area: user_area(c.area),
        opened_on: date(c.opened_on),
    }
}

fn sex(s: Sex) -> wit::Sex {
    match s {
        Sex::Male => wit::Sex::Male,
        Sex::Female => wit::Sex::Female,
    }
}

fn person(p: &siso_domain::person::Person) -> wit::Person {
    // Names, codice fiscale, addresses, birth place, education and employment stay in the host.
    wit::Person {
        id: id(p.id.0),
        sex: sex(p.sex),
        birth_date: date(p.birth_date),
        citizenship_code: p.citizenship_code.clone(),
        residence_comune_code: p.residence_comune_code.clone(),
        homeless: p.homeless,
        disability: p.disability,
        civil_invalidity_percent: p.civil_invalidity_percent,
        has_legal_guardian: p.has_legal_guardian,
    }
}

fn household(h: &model::HouseholdView) -> wit::Household {
    wit::Household {
        id: id(h.id.0),
        members: h
            .members
            .iter()
            .map(|m| wit::HouseholdMember {
                person_id: id(m.person_id.0),
                relation: match m.relation {
                    Relation::Head => wit::Relation::Head,
                    Relation::Partner => wit::Relation::Partner,
                    Relation::Child => wit::Relation::Child,
                    Relation::Parent => wit::Relation::Parent,
                    Relation::Sibling => wit::Relation::Sibling,
                    Relation::OtherRelative => wit::Relation::OtherRelative,
                    Relation::Cohabitant => wit::Relation::Cohabitant,
                },
                sex: sex(m.sex),
                birth_date: date(m.birth_date),
            })
            .collect(),
    }
}

fn isee(i: &siso_domain::person::IseeAttestation) -> wit::Isee {
    wit::Isee {
        kind: match i.kind {
            IseeKind::Ordinary => wit::IseeKind::Ordinary,
            IseeKind::SocioHealth => wit::IseeKind::SocioHealth,
            IseeKind::Minors => wit::IseeKind::Minors,
            IseeKind::Residential => wit::IseeKind::Residential,
        },
        value: i.value.cents(),
        dsu_year: i.dsu_year,
        valid_from: date(i.valid_from),
        valid_until: date(i.valid_until),
    }
}

/// An assessment.
pub fn assessment(a: &siso_domain::assessment::Assessment) -> wit::Assessment {
    wit::Assessment {
        id: id(a.id.0),
        instrument: match a.instrument {
            Instrument::Svama => wit::Instrument::Svama,
            Instrument::Sina => wit::Instrument::Sina,
            Instrument::Sinba => wit::Instrument::Sinba,
            Instrument::Local => wit::Instrument::Local,
        },
        assessed_on: date(a.assessed_on),
        assessor: a.assessor.clone(),
        answers: a.answers.iter().map(|(q, v)| wit::Answer { question: q.clone(), answer: v.clone() }).collect(),
        score: a.score,
        sina: a.sina.as_ref().map(|s| wit::Sina {
            mobility: s.mobility,
            daily_living: s.daily_living,
            cognitive: s.cognitive,
            behavioural: s.behavioural,
            health_need: s.health_need,
            income: s.income,
            support_network: s.support_network,
            source: s.source,
            instrument: s.instrument,
            invalidity_source: s.invalidity_source,
            civil_invalidity: s.civil_invalidity.clone(),
            needed_benefits: s.needed_benefits.clone(),
        }),
    }
}

fn plan(p: &siso_domain::plan::Plan, objectives: &[siso_domain::plan::Objective]) -> wit::Plan {
    wit::Plan {
        id: id(p.id.0),
        kind: match p.kind {
            PlanKind::Pai => wit::PlanKind::Pai,
            PlanKind::Pei => wit::PlanKind::Pei,
            PlanKind::Pti => wit::PlanKind::Pti,
        },
        active: p.state == PlanState::Active,
        starts_on: date(p.starts_on),
        planned_end_on: p.planned_end_on.map(date),
        review_every_months: p.review_every_months,
        next_review_on: date(p.next_review_on),
        objectives: objectives
            .iter()
            .map(|o| wit::Objective {
                term: match o.term {
                    Term::Short => wit::Term::Short,
                    Term::Medium => wit::Term::Medium,
                    Term::Long => wit::Term::Long,
                },
                due_on: o.due_on.map(date),
                attainment: o.attainment.map(|a| match a {
                    Attainment::NotReached => wit::Attainment::NotReached,
                    Attainment::Partly => wit::Attainment::Partly,
                    Attainment::Reached => wit::Attainment::Reached,
                    Attainment::Exceeded => wit::Attainment::Exceeded,
                }),
            })
            .collect(),
    }
}

fn intervention(s: &model::Subject) -> wit::Intervention {
    let i = &s.intervention;
    wit::Intervention {
        id: id(i.id.0),
        state: match i.state {
            InterventionState::Requested => wit::InterventionState::Requested,
            InterventionState::Authorised => wit::InterventionState::Authorised,
            InterventionState::Active => wit::InterventionState::Active,
            InterventionState::Suspended => wit::InterventionState::Suspended,
            InterventionState::Closed => wit::InterventionState::Closed,
            InterventionState::Rejected => wit::InterventionState::Rejected,
        },
        catalogue_entry: catalogue_entry(&s.catalogue_entry),
        requested: i.requested_amount.cents(),
        authorised: i.authorised_amount.map(Money::cents),
        disbursed: s.disbursed.cents(),
        monthly: i.monthly_amount.map(Money::cents),
        co_payment: i.co_payment_monthly.map(Money::cents),
        monthly_hours_centi: i.monthly_hours_centi,
        starts_on: date(i.starts_on),
        ends_on: i.ends_on.map(date),
        provider_id: i.provider_id.map(|p| id(p.0)),
        funding_line_id: i.funding_line_id.map(|f| id(f.0)),
    }
}

/// A subject.
pub fn subject(s: &model::Subject) -> wit::Subject {
    wit::Subject {
        person: person(&s.person),
        household: s.household.as_ref().map(household),
        isee: s.isee.iter().map(isee).collect(),
        case: case(&s.case),
        needs: s.needs.iter().map(|n| wit::Need { code: n.code.clone(), severity: n.severity }).collect(),
        assessments: s.assessments.iter().map(assessment).collect(),
        plan: s.plan.as_ref().map(|(p, o)| plan(p, o)),
        intervention: intervention(s),
    }
}

fn disbursement(d: &model::DisbursementView) -> wit::Disbursement {
    wit::Disbursement {
        paid_on: date(d.paid_on),
        period_from: date(d.period_from),
        period_to: date(d.period_to),
        amount: d.amount.cents(),
        ente_share: d.ente_share.cents(),
        user_share: d.user_share.cents(),
        ssn_share: d.ssn_share.cents(),
        other_share: d.other_share.cents(),
        hours_centi: d.hours_centi,
    }
}

fn access_sheet(a: &siso_domain::access::AccessSheet) -> wit::AccessSheet {
    use siso_domain::access::{AccessChannel, ReporterKind};
    wit::AccessSheet {
        id: id(a.id.0),
        org_unit_id: id(a.org_unit_id.0),
        person_id: a.person_id.map(|p| id(p.0)),
        access_on: date(a.access_on),
        channel: match a.channel {
            AccessChannel::InPerson => wit::AccessChannel::InPerson,
            AccessChannel::Phone => wit::AccessChannel::Phone,
            AccessChannel::Online => wit::AccessChannel::Online,
            AccessChannel::HomeVisit => wit::AccessChannel::HomeVisit,
        },
        reporter: match a.reporter {
            ReporterKind::Self_ => wit::Reporter::SelfReferral,
            ReporterKind::Family => wit::Reporter::Family,
            ReporterKind::School => wit::Reporter::School,
            ReporterKind::Health => wit::Reporter::Health,
            ReporterKind::Judicial => wit::Reporter::Judicial,
            ReporterKind::ThirdSector => wit::Reporter::ThirdSector,
            ReporterKind::OtherOffice => wit::Reporter::OtherOffice,
            ReporterKind::Other => wit::Reporter::Other,
        },
        reasons: a.reasons.clone(),
        privacy_consent: a.privacy_consent,
    }
}

fn plan_change(p: &model::PlanChange) -> wit::PlanChange {
    wit::PlanChange {
        person: person(&p.person),
        case: case(&p.case),
        assessments: p.assessments.iter().map(assessment).collect(),
        plan: plan(&p.plan, &p.objectives),
        review: p.review.map(date),
    }
}

/// A change for validate hooks.
pub fn change(c: &model::Change) -> validate::Change {
    match c {
        model::Change::CaseOpened(c) => validate::Change::CaseOpened(case(c)),
        model::Change::AccessSheetOpened(a) => validate::Change::AccessSheetOpened(access_sheet(a)),
        model::Change::AccessSheetForwarded(a, c) => validate::Change::AccessSheetForwarded((access_sheet(a), case(c))),
        model::Change::PlanSaved(p) => validate::Change::PlanSaved(plan_change(p)),
        model::Change::InterventionRequested(s) => validate::Change::InterventionRequested(subject(s)),
        model::Change::InterventionAuthorised(s) => validate::Change::InterventionAuthorised(subject(s)),
        model::Change::DisbursementRecorded(s, d) => {
            validate::Change::DisbursementRecorded((subject(s), disbursement(d)))
        }
        model::Change::FundsCommitted { funding_line_id, amount, available_before } => {
            validate::Change::FundsCommitted(validate::Commitment {
                funding_line_id: id(funding_line_id.0),
                amount: amount.cents(),
                available_before: available_before.cents(),
            })
        }
    }
}

// ---- from the guest ------------------------------------------------------------------------

/// The longest message of an issue or an error a plug-in returns, in characters: plug-in text
/// reaches operators verbatim, so it is bounded and plain.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// The most issues in one list of an answer.
pub const MAX_ISSUES: usize = 20;

/// A message shown to operators: not empty, at most [`MAX_MESSAGE_CHARS`] characters, no
/// control characters but line breaks.
fn message(m: &str) -> Result<(), String> {
    if m.trim().is_empty() {
        return Err("an empty message".into());
    }
    if m.chars().count() > MAX_MESSAGE_CHARS {
        return Err(format!("a message longer than {MAX_MESSAGE_CHARS} characters"));
    }
    if m.chars().any(|c| c.is_control() && c != '\n') {
        return Err("a message with control characters".into());
    }
    Ok(())
}

/// Checks an issue a plug-in returned: a stable code, a bounded message.
fn issue(i: wit::Issue) -> Result<model::Issue, String> {
    let code_ok = !i.code.is_empty()
        && i.code.len() <= 64
        && i.code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !code_ok {
        return Err("an issue code must be 1–64 characters of A–Z, 0–9 and _".into());
    }
    message(&i.message).map_err(|e| format!("issue {}: {e}", i.code))?;
    let field_ok = |f: &String| !f.is_empty() && f.len() <= 64 && f.bytes().all(|b| b.is_ascii_graphic());
    if i.field.as_ref().is_some_and(|f| !field_ok(f)) {
        return Err(format!("issue {}: the field must be 1–64 printable characters", i.code));
    }
    Ok(model::Issue { code: i.code, field: i.field, message: i.message })
}

fn issues(list: Vec<wit::Issue>) -> Result<Vec<model::Issue>, String> {
    if list.len() > MAX_ISSUES {
        return Err(format!("more than {MAX_ISSUES} issues"));
    }
    list.into_iter().map(issue).collect()
}

/// An amount within 0 and the money bound.
fn amount(cents: i64, what: &str) -> Result<Money, String> {
    if !(0..=siso_domain::money::MAX_CENTS).contains(&cents) {
        return Err(format!("a {what} outside 0 and the money bound"));
    }
    Ok(Money::from_cents(cents))
}

/// A plug-in's expected failure, its message bounded like an issue's.
pub fn plugin_error(e: wit::PluginError) -> Result<model::PluginError, String> {
    let (m, make): (String, fn(String) -> model::PluginError) = match e {
        wit::PluginError::InvalidInput(m) => (m, model::PluginError::InvalidInput),
        wit::PluginError::Unsupported(m) => (m, model::PluginError::Unsupported),
        wit::PluginError::BadSettings(m) => (m, model::PluginError::BadSettings),
    };
    message(&m).map_err(|e| format!("an error: {e}"))?;
    Ok(make(m))
}

/// A verdict.
pub fn verdict(v: validate::Verdict) -> Result<model::Verdict, String> {
    Ok(model::Verdict { vetoes: issues(v.vetoes)?, warnings: issues(v.warnings)? })
}

/// An eligibility decision.
pub fn eligibility(d: decide::EligibilityDecision) -> Result<model::Eligibility, String> {
    Ok(model::Eligibility {
        eligible: d.eligible,
        reasons: issues(d.reasons)?,
        amount: d.amount.map(|a| amount(a, "amount")).transpose()?,
    })
}

/// A co-payment decision.
pub fn co_payment(d: decide::CoPaymentDecision) -> Result<model::CoPayment, String> {
    Ok(model::CoPayment { monthly: amount(d.monthly, "co-payment")?, reasons: issues(d.reasons)? })
}

/// Checks the catalogue a plug-in contributes and converts it (ids and owners are the host's
/// to set at import): valid codes and names, no local code twice, at most 1,000 entries.
pub fn contributed_catalogue(
    list: Vec<wit::CatalogueEntry>,
) -> Result<Vec<siso_domain::catalogue::CatalogueEntry>, String> {
    if list.len() > 1000 {
        return Err(format!("a catalogue of {} entries exceeds 1,000", list.len()));
    }
    let mut seen = std::collections::BTreeSet::new();
    list.into_iter()
        .map(|e| {
            let sina = siso_domain::catalogue::validate_entry(&e.local_code, &e.name, &e.inps_code)
                .map_err(|err| format!("catalogue entry {:?}: {err}", e.local_code))?;
            if !seen.insert(e.local_code.trim().to_string()) {
                return Err(format!("catalogue entry {:?} appears twice", e.local_code));
            }
            Ok(siso_domain::catalogue::CatalogueEntry {
                id: siso_domain::ids::CatalogueEntryId(0),
                org_unit_id: None,
                local_code: e.local_code,
                name: e.name,
                inps_code: e.inps_code,
                inps_area: match e.inps_area {
                    wit::InpsArea::FamilyMinors => InpsArea::FamilyAndMinors,
                    wit::InpsArea::Disability => InpsArea::DisabilityNonSelfSufficiency,
                    wit::InpsArea::Poverty => InpsArea::Poverty,
                },
                istat_area: match e.istat_area {
                    wit::UserArea::FamilyMinors => UserArea::FamilyAndMinors,
                    wit::UserArea::Disability => UserArea::Disability,
                    wit::UserArea::Addiction => UserArea::Addiction,
                    wit::UserArea::Elderly => UserArea::Elderly,
                    wit::UserArea::Immigrants => UserArea::Immigrants,
                    wit::UserArea::Poverty => UserArea::Poverty,
                    wit::UserArea::MultiUser => UserArea::MultiUser,
                },
                istat_type: match e.istat_type {
                    wit::IstatType::Services => IstatType::Services,
                    wit::IstatType::Cash => IstatType::CashTransfers,
                    wit::IstatType::Structures => IstatType::Structures,
                },
                // The INPS rules decide, whatever the plug-in says.
                sina_required: sina,
                means_test: match e.means_test {
                    wit::MeansTest::Isee => MeansTest::Isee,
                    wit::MeansTest::Other => MeansTest::OtherMeansTest,
                    wit::MeansTest::Exempt => MeansTest::Exempt,
                    wit::MeansTest::None => MeansTest::None,
                },
                character: match e.character {
                    wit::BenefitCharacter::Periodic => BenefitCharacter::Periodic,
                    wit::BenefitCharacter::OneOff => BenefitCharacter::OneOff,
                },
            })
        })
        .collect()
}

/// A report file, checked (a plain file name).
pub fn report_file(f: report::ReportFile) -> Result<model::ReportFile, String> {
    if f.file_name.is_empty() || f.file_name.len() > 200 || f.file_name.contains(['/', '\\']) {
        return Err("a report file name must be 1–200 bytes without path separators".into());
    }
    Ok(model::ReportFile { file_name: f.file_name, media_type: f.media_type, content: f.content })
}

// ---- sizes ---------------------------------------------------------------------------------

/// Approximate encoded size of values crossing the boundary, for the input and output caps.
pub trait WireSize {
    /// Bytes, roughly as the canonical ABI lays them out.
    fn wire_size(&self) -> usize;
}

impl WireSize for String {
    fn wire_size(&self) -> usize {
        8 + self.len()
    }
}

impl<T: WireSize> WireSize for Vec<T> {
    fn wire_size(&self) -> usize {
        8 + self.iter().map(WireSize::wire_size).sum::<usize>()
    }
}

impl<T: WireSize> WireSize for Option<T> {
    fn wire_size(&self) -> usize {
        4 + self.as_ref().map_or(0, WireSize::wire_size)
    }
}

impl WireSize for u8 {
    fn wire_size(&self) -> usize {
        1
    }
}

impl WireSize for wit::Issue {
    fn wire_size(&self) -> usize {
        self.code.wire_size() + self.field.wire_size() + self.message.wire_size()
    }
}

impl WireSize for wit::Context {
    fn wire_size(&self) -> usize {
        let ancestors: usize = self.organisation.ancestors.iter().map(|a| 48 + a.name.len()).sum();
        64 + self.organisation.name.len() + ancestors + self.settings.len()
    }
}

fn assessments_size(list: &[wit::Assessment]) -> usize {
    list.iter()
        .map(|a| {
            96 + a.assessor.len() + a.answers.iter().map(|x| 16 + x.question.len() + x.answer.len()).sum::<usize>()
        })
        .sum()
}

impl WireSize for wit::Subject {
    fn wire_size(&self) -> usize {
        let answers = assessments_size(&self.assessments);
        let needs: usize = self.needs.iter().map(|n| 16 + n.code.len()).sum();
        let members = self.household.as_ref().map_or(0, |h| 32 * h.members.len());
        let catalogue = &self.intervention.catalogue_entry;
        256 + answers
            + needs
            + members
            + 48 * self.isee.len()
            + catalogue.name.len()
            + catalogue.local_code.len()
            + self.plan.as_ref().map_or(0, |p| 32 * p.objectives.len())
    }
}

impl WireSize for validate::Change {
    fn wire_size(&self) -> usize {
        match self {
            validate::Change::CaseOpened(_) | validate::Change::FundsCommitted(_) => 64,
            validate::Change::AccessSheetOpened(a) | validate::Change::AccessSheetForwarded((a, _)) => {
                128 + a.reasons.iter().map(|r| 16 + r.len()).sum::<usize>()
            }
            validate::Change::PlanSaved(p) => 256 + assessments_size(&p.assessments) + 32 * p.plan.objectives.len(),
            validate::Change::InterventionRequested(s) | validate::Change::InterventionAuthorised(s) => s.wire_size(),
            validate::Change::DisbursementRecorded((s, _)) => s.wire_size() + 96,
        }
    }
}

impl WireSize for validate::Verdict {
    fn wire_size(&self) -> usize {
        self.vetoes.wire_size() + self.warnings.wire_size()
    }
}

impl WireSize for decide::EligibilityDecision {
    fn wire_size(&self) -> usize {
        16 + self.reasons.wire_size()
    }
}

impl WireSize for decide::CoPaymentDecision {
    fn wire_size(&self) -> usize {
        8 + self.reasons.wire_size()
    }
}

impl WireSize for report::ReportFile {
    fn wire_size(&self) -> usize {
        self.file_name.wire_size() + self.media_type.wire_size() + self.content.wire_size()
    }
}

impl WireSize for wit::CatalogueEntry {
    fn wire_size(&self) -> usize {
        32 + self.local_code.len() + self.name.len() + self.inps_code.len()
    }
}

impl WireSize for contribute::InstrumentDefinition {
    fn wire_size(&self) -> usize {
        self.code.wire_size()
            + self.name.wire_size()
            + self
                .questions
                .iter()
                .map(|q| q.code.wire_size() + q.text.wire_size() + q.answers.wire_size())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(local: &str, inps: &str) -> wit::CatalogueEntry {
        wit::CatalogueEntry {
            local_code: local.into(),
            name: "Assegno di cura".into(),
            inps_code: inps.into(),
            inps_area: wit::InpsArea::Disability,
            istat_area: wit::UserArea::Elderly,
            istat_type: wit::IstatType::Cash,
            sina_required: false,
            means_test: wit::MeansTest::Isee,
            character: wit::BenefitCharacter::Periodic,
        }
    }

    #[test]
    fn a_contributed_catalogue_is_checked_and_sina_recomputed() {
        let out = contributed_catalogue(vec![entry("ADC", "A1.11"), entry("MENSA", "A2.01")]).unwrap();
        assert_eq!(out.len(), 2);
        assert!(out[0].sina_required, "A1.11 needs SINA whatever the plug-in says");
        assert!(!out[1].sina_required);
        assert_eq!(out[0].istat_type, IstatType::CashTransfers);
        assert_eq!(out[0].org_unit_id, None);

        let twice = contributed_catalogue(vec![entry("ADC", "A1.11"), entry("ADC ", "A1.12")]).unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
        assert!(contributed_catalogue(vec![entry("ADC", "Z9")]).is_err());
        assert!(contributed_catalogue(vec![entry("", "A1.11")]).is_err());
        let many: Vec<_> = (0..1001).map(|i| entry(&format!("E{i}"), "A1.11")).collect();
        assert!(contributed_catalogue(many).is_err());
    }
}
