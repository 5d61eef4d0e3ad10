//! A deterministic data generator for benchmarks and load tests: `scale` × (1,000 persons,
//! 1,500 cases with a plan and an intervention each, 10,000 disbursements), spread over the
//! existing comuni, municipi and offices. The same scale always gives the same data.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sea_orm::Value;

use crate::bulk::{insert_rows, max_id, reset_sequences};
use crate::conn::{Store, Tx};
use crate::error::StoreError;
use crate::repo::{catalogue, org};

/// What was generated.
#[derive(Debug, Clone, Copy, Default)]
pub struct Generated {
    /// Persons.
    pub persons: usize,
    /// Cases (each with a plan and one intervention).
    pub cases: usize,
    /// Disbursements.
    pub disbursements: usize,
}

/// A small deterministic generator (xorshift), so generated data and benchmarks repeat.
#[derive(Debug)]
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SURNAMES: &[&str] = &[
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
    "Gallo", "Conti", "De Luca", "Mancini", "Costa",
];
const NAMES: &[&str] = &[
    "Giulia",
    "Marco",
    "Anna",
    "Luca",
    "Sara",
    "Paolo",
    "Maria",
    "Giuseppe",
    "Chiara",
    "Andrea",
    "Francesca",
    "Matteo",
];
const CASE_STATES: &[&str] =
    &["open", "open", "open", "open", "open", "open", "open", "suspended", "closed", "reopened"];
const AREAS: &[&str] = &["family_minors", "disability", "elderly", "poverty", "immigrants", "addiction"];

/// Generates `scale` units of data into a store that already holds the demo reference data.
pub async fn generate(store: &Store, scale: u32, now: DateTime<Utc>) -> Result<Generated, StoreError> {
    let units: Vec<i64> = org::all_units(store)
        .await?
        .into_iter()
        .filter(|u| matches!(u.kind.as_str(), "comune" | "municipio" | "office"))
        .map(|u| u.id.0)
        .collect();
    let entries: Vec<(i64, String, String)> = catalogue::all(store)
        .await?
        .into_iter()
        .map(|e| (e.id.0, e.means_test.as_str().to_string(), e.character.as_str().to_string()))
        .collect();
    if units.is_empty() || entries.is_empty() {
        return Err(StoreError::Corrupt(
            "the generator needs organisation units and a catalogue: load the demo first".into(),
        ));
    }
    let tx = store.begin().await?;
    let out = fill(&tx, scale, now, &units, &entries).await?;
    reset_sequences(&tx, &["persons", "cases", "plans", "plan_objectives", "interventions", "disbursements"]).await?;
    tx.commit().await?;
    // The planner needs statistics of what was just loaded.
    crate::bulk::analyze(store).await?;
    Ok(out)
}

fn date(d: NaiveDate) -> Value {
    Value::from(d)
}

/// Rows built and inserted at a time: memory stays flat whatever the scale.
const CHUNK: usize = 20_000;

const PERSON_COLUMNS: &[&str] = &[
    "id",
    "org_unit_id",
    "surname",
    "given_name",
    "search_name",
    "sex",
    "birth_date",
    "homeless",
    "disability",
    "has_legal_guardian",
    "created_at",
    "updated_at",
];
const CASE_COLUMNS: &[&str] = &[
    "id",
    "org_unit_id",
    "person_id",
    "state",
    "area",
    "opened_on",
    "closed_on",
    "closure_reason",
    "created_at",
    "updated_at",
];
const PLAN_COLUMNS: &[&str] =
    &["id", "case_id", "kind", "state", "starts_on", "review_every_months", "next_review_on", "created_at"];
const OBJECTIVE_COLUMNS: &[&str] = &["id", "plan_id", "term", "description"];
const INTERVENTION_COLUMNS: &[&str] = &[
    "id",
    "case_id",
    "org_unit_id",
    "catalogue_entry_id",
    "state",
    "requested_cents",
    "authorised_cents",
    "disbursed_cents",
    "monthly_cents",
    "starts_on",
    "ends_on",
    "means_test",
    "benefit_character",
    "requested_on",
    "decided_on",
    "created_at",
    "updated_at",
];
const DISBURSEMENT_COLUMNS: &[&str] = &[
    "id",
    "intervention_id",
    "paid_on",
    "period_from",
    "period_to",
    "amount_cents",
    "ente_cents",
    "user_cents",
    "ssn_cents",
    "other_cents",
    "created_at",
];

/// The `j`-th disbursement: its intervention (index among the cases), period and amount.
fn disbursement(j: usize, active: &[(usize, NaiveDate)], rng: &mut Rng) -> Option<(usize, NaiveDate, NaiveDate, i64)> {
    let (k, start) = *active.get(j % active.len().max(1))?;
    let month = (j / active.len().max(1)) as u32;
    let from = start.checked_add_months(Months::new(month)).unwrap_or(start);
    let to = from.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(from);
    let amount = 10_000 + (rng.below(200) as i64) * 100;
    Some((k, from, to, amount))
}

async fn fill(
    tx: &Tx,
    scale: u32,
    now: DateTime<Utc>,
    units: &[i64],
    entries: &[(i64, String, String)],
) -> Result<Generated, StoreError> {
    let scale = scale as usize;
    let (n_persons, n_cases, n_disb) = (1_000 * scale, 1_500 * scale, 10_000 * scale);
    let mut rng = Rng(0x5150_5150_dead_beef);
    let today = now.date_naive();
    let base = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today);

    // Persons.
    let p0 = max_id(tx, "persons").await? + 1;
    let unit_of = |i: usize| units[i % units.len()];
    let mut rows = Vec::with_capacity(CHUNK);
    for i in 0..n_persons {
        let surname = SURNAMES[rng.below(SURNAMES.len() as u64) as usize];
        let given = NAMES[rng.below(NAMES.len() as u64) as usize];
        let surname = format!("{surname} {i}");
        let birth =
            NaiveDate::from_ymd_opt(1930 + rng.below(90) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
                .unwrap_or(base);
        rows.push(vec![
            Value::from(p0 + i as i64),
            Value::from(unit_of(i)),
            Value::from(surname.clone()),
            Value::from(given),
            Value::from(format!("{} {}", surname, given).to_lowercase()),
            Value::from(if i % 2 == 0 { "f" } else { "m" }),
            date(birth),
            Value::from(false),
            Value::from(false),
            Value::from(false),
            Value::from(now),
            Value::from(now),
        ]);
        if rows.len() == CHUNK {
            insert_rows(tx, "persons", PERSON_COLUMNS, std::mem::take(&mut rows)).await?;
        }
    }
    insert_rows(tx, "persons", PERSON_COLUMNS, rows).await?;

    // Each case's state and opening date, then the disbursements' totals per intervention
    // (drawn from a copy of the generator, which draws the same amounts again below).
    let mut shape = Vec::with_capacity(n_cases);
    let mut active = Vec::new();
    for k in 0..n_cases {
        let state = CASE_STATES[rng.below(CASE_STATES.len() as u64) as usize];
        let opened = base.checked_add_days(chrono::Days::new(rng.below(300))).unwrap_or(base);
        if state != "closed" {
            active.push((k, opened));
        }
        shape.push((state, opened));
    }
    let mut disbursed = vec![0i64; n_cases];
    let mut totals = Rng(rng.0);
    for j in 0..n_disb {
        if let Some((k, _, _, amount)) = disbursement(j, &active, &mut totals) {
            disbursed[k] += amount;
        }
    }

    // Cases, plans with one objective, one intervention each.
    let c0 = max_id(tx, "cases").await? + 1;
    let pl0 = max_id(tx, "plans").await? + 1;
    let ob0 = max_id(tx, "plan_objectives").await? + 1;
    let i0 = max_id(tx, "interventions").await? + 1;
    let (mut cases, mut plans, mut objectives, mut interventions) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, (state, opened)) in shape.iter().copied().enumerate() {
        let person = k % n_persons;
        let unit = unit_of(person);
        let closed = (state == "closed").then(|| opened.checked_add_days(chrono::Days::new(30)).unwrap_or(opened));
        let case_id = c0 + k as i64;
        cases.push(vec![
            Value::from(case_id),
            Value::from(unit),
            Value::from(p0 + person as i64),
            Value::from(state),
            Value::from(AREAS[k % AREAS.len()]),
            date(opened),
            Value::from(closed),
            Value::from(closed.map(|_| "Goals reached".to_string())),
            Value::from(now),
            Value::from(now),
        ]);
        plans.push(vec![
            Value::from(pl0 + k as i64),
            Value::from(case_id),
            Value::from("pai"),
            Value::from("active"),
            date(opened),
            Value::from(6i16),
            date(opened.checked_add_months(Months::new(6)).unwrap_or(opened)),
            Value::from(now),
        ]);
        objectives.push(vec![
            Value::from(ob0 + k as i64),
            Value::from(pl0 + k as i64),
            Value::from("medium"),
            Value::from("Support at home"),
        ]);
        let (entry, means, character) = &entries[k % entries.len()];
        interventions.push(vec![
            Value::from(i0 + k as i64),
            Value::from(case_id),
            Value::from(unit),
            Value::from(*entry),
            Value::from(if state != "closed" { "active" } else { "closed" }),
            Value::from(100_000_000i64),
            Value::from(100_000_000i64),
            Value::from(disbursed[k]),
            Value::from(30_000i64),
            date(opened),
            date(opened.checked_add_months(Months::new(36)).unwrap_or(opened)),
            Value::from(means.clone()),
            Value::from(character.clone()),
            date(opened),
            date(opened),
            Value::from(now),
            Value::from(now),
        ]);
        if cases.len() == CHUNK || k + 1 == n_cases {
            insert_rows(tx, "cases", CASE_COLUMNS, std::mem::take(&mut cases)).await?;
            insert_rows(tx, "plans", PLAN_COLUMNS, std::mem::take(&mut plans)).await?;
            insert_rows(tx, "plan_objectives", OBJECTIVE_COLUMNS, std::mem::take(&mut objectives)).await?;
            insert_rows(tx, "interventions", INTERVENTION_COLUMNS, std::mem::take(&mut interventions)).await?;
        }
    }

    // Disbursements, spread over the active interventions.
    let d0 = max_id(tx, "disbursements").await? + 1;
    let mut rows = Vec::with_capacity(CHUNK);
    for j in 0..n_disb {
        let Some((k, from, to, amount)) = disbursement(j, &active, &mut rng) else { break };
        rows.push(vec![
            Value::from(d0 + j as i64),
            Value::from(i0 + k as i64),
            date(to.min(today)),
            date(from),
            date(to),
            Value::from(amount),
            Value::from(amount),
            Value::from(0i64),
            Value::from(0i64),
            Value::from(0i64),
            Value::from(now),
        ]);
        if rows.len() == CHUNK {
            insert_rows(tx, "disbursements", DISBURSEMENT_COLUMNS, std::mem::take(&mut rows)).await?;
        }
    }
    insert_rows(tx, "disbursements", DISBURSEMENT_COLUMNS, rows).await?;
    Ok(Generated { persons: n_persons, cases: n_cases, disbursements: n_disb })
}
