//! # Faulty test plug-in (`test.faulty`)
//!
//! Used by the host's test suite to prove that a plug-in's faults are contained: the host
//! must stop the call, report the fault and keep serving. Never install it in production.
//!
//! The organisation's settings choose the behaviour, `{"mode": "…"}` (default `ok`), for the
//! `validate` hook (every kind of change), `eligibility` and `eligibility-batch`:
//!
//! | mode        | behaviour |
//! |-------------|-----------|
//! | `ok`        | accepts / eligible for the requested amount |
//! | `veto`      | one veto `TEST_VETO` on field `amount` / not eligible for that reason |
//! | `warn`      | one warning `TEST_WARNING` / eligible with that reason |
//! | `loop`      | loops forever (fuel or epoch limit) |
//! | `oom`       | allocates 1 MiB chunks forever (memory limit) |
//! | `sleep`     | sleeps an hour in the host (WASI clocks): only a wall-clock deadline stops it |
//! | `stack`     | recurses forever (stack overflow) |
//! | `trap`      | executes `unreachable` |
//! | `panic`     | panics (a trap on `wasm32-wasip2`) |
//! | `oversized` | 64 warnings of 64 KiB each (answer size limit) |
//! | `invalid`   | a veto with an empty code and an empty message (answer validation) |
//! | `ungranted` | calls `find-catalogue-entry("A1.04")`; the host traps it without `catalogue:read` |
//! | `granted`   | same call: warning `FOUND` (message: the entry's local code) or `NOT_FOUND` |
//! | `alias`     | 16 warnings whose messages all point at one 8 MiB buffer (the host must not copy it 16 times) |
//! | `health`    | eligibility only: eligible, reason `HEALTH` saying how many assessment answers and SINA blocks it received |
//! | `clock`     | warning (reason, for eligibility) `CLOCK` with the date the guest's wall clock reads |
//! | `huge`      | eligible for `i64::MAX` cents, and a co-payment of `i64::MAX` cents |
//!
//! `decide.co-payment` abstains in every mode but `huge`.
//!
//! Built with the cargo feature `v2` it is version 2.0.0 (manifest `siso-plugin.v2.toml`):
//! mode `ok` then adds the warning (or reason) `TEST_V2`, so upgrade tests can tell the
//! versions apart.

use core::hint::black_box;

use serde::Deserialize;
use siso_plugin_sdk::{
    Change, CoPaymentDecision, Context, EligibilityDecision, Issue, Plugin, PluginError, Subject, Verdict,
};

/// The behaviour the settings choose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Mode {
    #[default]
    Ok,
    Veto,
    Warn,
    Loop,
    Sleep,
    Oom,
    Stack,
    Trap,
    Panic,
    Oversized,
    Invalid,
    Ungranted,
    Granted,
    Alias,
    Health,
    Clock,
    Huge,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    mode: Mode,
}

/// What a call answers, before it is shaped as a verdict or a decision.
enum Outcome {
    /// Nothing to object (version 2 adds `TEST_V2`).
    Ok(Vec<Issue>),
    /// Vetoes (validate) or reasons for not being eligible (eligibility).
    Veto(Vec<Issue>),
    /// Warnings (validate) or reasons for being eligible (eligibility).
    Warn(Vec<Issue>),
}

/// The INPS code the lookup modes ask the host for.
const LOOKUP_CODE: &str = "A1.04";

/// The plug-in.
struct Faulty;

impl Plugin for Faulty {
    fn validate(ctx: &Context, change: &Change) -> Result<Verdict, PluginError> {
        let _ = change;
        Ok(match outcome(mode(ctx)?) {
            Outcome::Ok(warnings) | Outcome::Warn(warnings) => Verdict { vetoes: Vec::new(), warnings },
            Outcome::Veto(vetoes) => Verdict { vetoes, warnings: Vec::new() },
        })
    }

    fn eligibility(ctx: &Context, subject: &Subject) -> Result<EligibilityDecision, PluginError> {
        match mode(ctx)? {
            Mode::Health => {
                let answers: usize = subject.assessments.iter().map(|a| a.answers.len()).sum();
                let sina = subject.assessments.iter().filter(|a| a.sina.is_some()).count();
                let reason = Issue::new("HEALTH", format!("answers={answers} sina={sina}"));
                Ok(EligibilityDecision::eligible(None, vec![reason]))
            }
            Mode::Huge => Ok(EligibilityDecision::eligible(Some(i64::MAX), Vec::new())),
            mode => Ok(decision(&outcome(mode), subject)),
        }
    }

    fn co_payment(ctx: &Context, subject: &Subject) -> Result<CoPaymentDecision, PluginError> {
        let _ = subject;
        match mode(ctx)? {
            Mode::Huge => Ok(CoPaymentDecision { monthly: i64::MAX, reasons: Vec::new() }),
            _ => Err(PluginError::Unsupported(String::from("the test plug-in decides no co-payment"))),
        }
    }

    fn eligibility_batch(ctx: &Context, subjects: Vec<Subject>) -> Vec<Result<EligibilityDecision, PluginError>> {
        match mode(ctx) {
            Ok(mode) => {
                // Misbehave once for the whole batch, even when it is empty.
                let outcome = outcome(mode);
                subjects.iter().map(|subject| Ok(decision(&outcome, subject))).collect()
            }
            Err(e) => subjects.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    fn settings_schema() -> String {
        String::from(include_str!("../settings.schema.json"))
    }
}

siso_plugin_sdk::register!(Faulty);

fn mode(ctx: &Context) -> Result<Mode, PluginError> {
    Ok(siso_plugin_sdk::settings::<Settings>(ctx)?.mode)
}

fn decision(outcome: &Outcome, subject: &Subject) -> EligibilityDecision {
    let requested = Some(subject.intervention.requested);
    match outcome {
        Outcome::Ok(reasons) | Outcome::Warn(reasons) => EligibilityDecision::eligible(requested, reasons.clone()),
        Outcome::Veto(reasons) => EligibilityDecision::ineligible(reasons.clone()),
    }
}

fn outcome(mode: Mode) -> Outcome {
    match mode {
        Mode::Ok if cfg!(feature = "v2") => Outcome::Ok(vec![Issue::new("TEST_V2", "version 2 of the test plug-in")]),
        Mode::Ok => Outcome::Ok(Vec::new()),
        Mode::Veto => Outcome::Veto(vec![Issue::with_field("TEST_VETO", "amount", "vetoed by the test plug-in")]),
        Mode::Warn => Outcome::Warn(vec![Issue::new("TEST_WARNING", "a warning from the test plug-in")]),
        Mode::Loop => spin(),
        Mode::Sleep => {
            // Blocks in the host (WASI poll), burning no fuel and running no guest code.
            std::thread::sleep(std::time::Duration::from_secs(3600));
            Outcome::Ok(Vec::new())
        }
        Mode::Oom => exhaust_memory(),
        Mode::Stack => {
            let depth = recurse(black_box(0));
            // Never reached: `recurse` only returns at depth `u64::MAX`.
            Outcome::Warn(vec![Issue::new("TEST_STACK", format!("returned from depth {depth}"))])
        }
        Mode::Trap => trap(),
        Mode::Panic => panic!("deliberate panic in the test plug-in"),
        Mode::Oversized => Outcome::Warn(
            (0..64).map(|i| Issue::new(format!("TEST_OVERSIZED_{i:02}"), "x".repeat(64 * 1024))).collect(),
        ),
        Mode::Invalid => Outcome::Veto(vec![Issue { code: String::new(), field: None, message: String::new() }]),
        Mode::Ungranted => {
            let found = siso_plugin_sdk::host::find_catalogue_entry(LOOKUP_CODE);
            let message = match found {
                Ok(Some(entry)) => format!("found {LOOKUP_CODE}: {}", entry.local_code),
                Ok(None) => format!("no catalogue entry {LOOKUP_CODE}"),
                Err(e) => format!("lookup of {LOOKUP_CODE} failed: {e}"),
            };
            Outcome::Warn(vec![Issue::new("TEST_LOOKUP", message)])
        }
        Mode::Alias => Outcome::Warn(aliased()),
        Mode::Health | Mode::Huge => Outcome::Ok(Vec::new()),
        Mode::Clock => {
            // The guest's wall clock, on purpose: the host must hand it its own clock.
            #[allow(clippy::disallowed_methods)]
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            Outcome::Warn(vec![Issue::new("CLOCK", civil_date(secs))])
        }
        Mode::Granted => Outcome::Warn(vec![match siso_plugin_sdk::host::find_catalogue_entry(LOOKUP_CODE) {
            Ok(Some(entry)) => Issue::new("FOUND", entry.local_code),
            Ok(None) => Issue::new("NOT_FOUND", format!("no catalogue entry {LOOKUP_CODE}")),
            Err(e) => Issue::new("NOT_FOUND", format!("lookup of {LOOKUP_CODE} failed: {e}")),
        }]),
    }
}

/// 16 issues whose messages all point at the same 8 MiB buffer: the guest spends 8 MiB, a
/// host that copied each message would allocate 128 MiB. (Deliberately unsound: the strings
/// alias, and the export's clean-up frees the buffer 16 times after the host read the answer.)
fn aliased() -> Vec<Issue> {
    const LEN: usize = 8 << 20;
    let buffer: &'static mut [u8] = Box::leak(vec![b'x'; LEN].into_boxed_slice());
    let ptr = buffer.as_mut_ptr();
    (0..16)
        .map(|i| Issue {
            code: format!("ALIAS_{i:02}"),
            field: None,
            // SAFETY: not safe at all, on purpose: see above. The bytes are valid UTF-8.
            message: unsafe { String::from_raw_parts(ptr, LEN, LEN) },
        })
        .collect()
}

/// `YYYY-MM-DD` of seconds since the epoch (UTC), without a date library.
fn civil_date(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Loops forever; `black_box` keeps the optimiser from removing the loop.
fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

/// Allocates (and touches) 1 MiB chunks forever, keeping every chunk alive.
fn exhaust_memory() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(black_box(vec![0xA5; 1 << 20]));
        black_box(&mut hoard);
    }
}

/// Recurses without end (the result is used after the call, so it is not a tail call).
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    // An indirect, non-tail call: nothing to optimise away, and almost nothing on the shadow
    // stack in linear memory, so the WebAssembly call stack is what overflows.
    let next: fn(u64) -> u64 = black_box(recurse);
    next(depth.wrapping_add(1)).wrapping_add(depth)
}

/// Traps: `unreachable` in WebAssembly, an abort elsewhere.
fn trap() -> ! {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::unreachable()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::process::abort()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(outcome: &Outcome) -> (&'static str, Vec<String>) {
        match outcome {
            Outcome::Ok(i) => ("ok", i.iter().map(|i| i.code.clone()).collect()),
            Outcome::Veto(i) => ("veto", i.iter().map(|i| i.code.clone()).collect()),
            Outcome::Warn(i) => ("warn", i.iter().map(|i| i.code.clone()).collect()),
        }
    }

    #[test]
    fn modes_parse_with_ok_as_default() {
        let mode = |json: &str| serde_json::from_str::<Settings>(json).map(|s| s.mode).ok();
        assert_eq!(mode("{}"), Some(Mode::Ok));
        assert_eq!(mode(r#"{"mode": "oversized"}"#), Some(Mode::Oversized));
        assert_eq!(mode(r#"{"mode": "ungranted"}"#), Some(Mode::Ungranted));
        assert_eq!(mode(r#"{"mode": "nonsense"}"#), None);
        assert_eq!(mode(r#"{"mode": "ok", "extra": 1}"#), None);
    }

    #[test]
    fn the_schema_lists_every_mode() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../settings.schema.json")).expect("schema is JSON");
        let modes = schema["properties"]["mode"]["enum"].as_array().expect("mode enum");
        assert_eq!(modes.len(), 17);
        for m in modes {
            let json = serde_json::json!({ "mode": m });
            assert!(serde_json::from_value::<Settings>(json).is_ok(), "{m}");
        }
    }

    #[test]
    fn answers_of_the_well_behaved_modes() {
        let ok = if cfg!(feature = "v2") { vec![String::from("TEST_V2")] } else { Vec::new() };
        assert_eq!(codes(&outcome(Mode::Ok)), ("ok", ok));
        assert_eq!(codes(&outcome(Mode::Veto)), ("veto", vec![String::from("TEST_VETO")]));
        assert_eq!(codes(&outcome(Mode::Warn)), ("warn", vec![String::from("TEST_WARNING")]));
        assert_eq!(codes(&outcome(Mode::Invalid)), ("veto", vec![String::new()]));
        let Outcome::Warn(big) = outcome(Mode::Oversized) else { panic!("oversized warns") };
        assert_eq!(big.len(), 64);
        assert!(big.iter().all(|i| i.message.len() == 64 * 1024));
    }

    #[test]
    fn the_civil_date_of_the_epoch_and_of_a_fixed_day() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(1_795_687_200), "2026-11-26");
    }

    #[test]
    fn veto_names_the_amount() {
        let Outcome::Veto(v) = outcome(Mode::Veto) else { panic!("veto vetoes") };
        assert_eq!(v[0].field.as_deref(), Some("amount"));
        assert_eq!(v[0].message, "vetoed by the test plug-in");
    }
}
