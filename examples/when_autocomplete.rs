//! How long `when`'s autocomplete takes (`scheduling::suggest_when`, the pure part of each
//! keystroke's answer) for inputs of Discord's maximum 100 characters: prints one JSON line per
//! input with p50, p99 and max in microseconds. Discord allows 3 s; the target is p99 < 1 ms.
//!
//! ```text
//! cargo run --release --example when_autocomplete
//! ```
//! Reads `RUNS` (20000 per input).

#[path = "support/figures.rs"]
#[allow(dead_code)]
mod figures;

use std::time::Instant;

use figures::{number, percentile};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use zoombot::scheduling::{WhenContext, suggest_when};

/// Inputs of exactly 100 characters: one that reads, one that reads nothing (the slowest path:
/// every completion is tried), one with several meanings, one with a zone to look up.
fn inputs() -> Vec<(&'static str, String)> {
    let pad = |text: &str, with: &str| {
        let mut text = text.to_owned();
        while text.chars().count() < 100 {
            text.push_str(with);
        }
        text.chars().take(100).collect::<String>()
    };
    vec![
        (
            "reads",
            pad(
                "the day after tomorrow at 9:30 p.m. America/Argentina/Buenos_Aires",
                "\u{200b}",
            ),
        ),
        (
            "unreadable",
            pad(
                "tomorow afternoon-ish after the quarterly numbers are in, ",
                "blah ",
            ),
        ),
        ("ambiguous", pad("next friday midnight IST", "\u{200b}")),
        (
            "zone typo",
            pad(
                "24th of december at 6 o'clock in the evening europe/londn",
                "\u{200b}",
            ),
        ),
    ]
}

fn main() {
    let runs: usize = number("RUNS", "20000");
    let zone = TimeZone::get("Europe/Berlin").expect("a bundled zone");
    let context = WhenContext {
        now: Timestamp::now(),
        zone: &zone,
        locale: Some("en-GB"),
    };
    for (kind, input) in inputs() {
        assert_eq!(input.chars().count(), 100);
        // Warm: the zone database and name index are loaded once per process.
        let choices = suggest_when(&input, &context);
        let mut micros: Vec<f64> = (0..runs)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(suggest_when(std::hint::black_box(&input), &context));
                started.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        micros.sort_by(f64::total_cmp);
        println!(
            "{}",
            serde_json::json!({
                "input": kind,
                "chars": 100,
                "runs": runs,
                "choices": choices.len(),
                "first_choice": choices.first().map(|c| c.name.clone()),
                "p50_us": (percentile(&micros, 50.0) * 10.0).round() / 10.0,
                "p99_us": (percentile(&micros, 99.0) * 10.0).round() / 10.0,
                "max_us": (micros.last().copied().unwrap_or_default() * 10.0).round() / 10.0,
            })
        );
    }
}
