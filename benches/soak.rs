//! Memory soak: 200,000 validations of a signed response. Resident memory after the last must be within 5 MB of
//! resident memory after the 10,000th (samael's reduce-to-signed path leaks about 2.7 KB per call; ours must not).
//! Exits non-zero when memory grows beyond that, so CI runs it.
//!
//! Run: `cargo bench --features ssr --bench soak` (release: the figures for the notes). CI runs a shorter soak on the
//! dev profile its tests already built: `SOAK_VALIDATIONS=30000 cargo bench --profile dev --features ssr --bench soak`
//! (the first 10,000 warm up; growth is measured over the rest).

#[path = "../tests/api/saml_idp.rs"]
mod saml_idp;

use portcullis::server::saml::core::response::validate;
use saml_idp::*;
use std::hint::black_box;
use std::time::Instant;

const WARM_UP: usize = 10_000;
const DEFAULT_TOTAL: usize = 200_000;
const ALLOWED_GROWTH_KB: i64 = 5 * 1024;

/// Resident set size in KiB, from /proc/self/status.
fn resident_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(-1)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse. The count may be lowered (never below the warm-up).
    let total = std::env::var("SOAK_VALIDATIONS")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .unwrap_or(DEFAULT_TOTAL)
        .max(WARM_UP * 2);
    let xml = ResponseSpec::default().build();
    let refused = ResponseSpec::default()
        .build()
        .replace(">alice@", ">mallory@");
    let (trust, sp, now) = (trust(), sp(), now());
    let started = Instant::now();
    let mut after_warm_up = 0;
    for round in 1..=total {
        // Every tenth response is a refused (tampered) one, so the error paths are soaked too.
        let input = if round % 10 == 0 { &refused } else { &xml };
        let outcome = validate(black_box(input), &trust, &sp, now, &[REQUEST_ID]);
        assert_eq!(outcome.is_ok(), round % 10 != 0, "round {round}");
        if round == WARM_UP {
            after_warm_up = resident_kb();
        }
    }
    let at_end = resident_kb();
    let growth = at_end - after_warm_up;
    let elapsed = started.elapsed();
    println!(
        "soak: {total} validations in {:.1} s ({:.0} µs each); resident memory after {WARM_UP}: {after_warm_up} KiB, after {total}: {at_end} KiB, growth {growth} KiB (allowed {ALLOWED_GROWTH_KB} KiB)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / total as f64
    );
    if after_warm_up < 0 || growth > ALLOWED_GROWTH_KB {
        eprintln!("soak: FAILED, memory grew by {growth} KiB");
        std::process::exit(1);
    }
}
