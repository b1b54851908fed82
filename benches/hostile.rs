//! The worst input a stranger can construct within the budgets (README, "Limits") for each unauthenticated entry,
//! timed per request on one core next to a normal ACS validation. Issue 12's target: no entry costs more than 20×
//! a normal validation (password hashing, deliberately slow, is reported beside it: it runs on its own bounded pool).
//!
//! Run: `cargo bench --features ssr --bench hostile` (figures only; nothing here is asserted on time).

#[path = "../tests/api/saml_idp.rs"]
mod saml_idp;

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use portcullis::server::saml::core::budget::{METADATA_BUDGET, RESPONSE_BUDGET};
use portcullis::server::saml::core::envelope::{decode_post_value, MAX_XML_BYTES};
use portcullis::server::saml::core::metadata::{parse_idp_metadata, MAX_METADATA_BYTES};
use portcullis::server::saml::core::response::{validate, MAX_ATTRIBUTE_VALUES};
use portcullis::server::services::role_mappings::{
    evaluate, MappingRule, RuleKind, MAX_GROUPS, MAX_GROUP_CHARS, MAX_MAPPINGS, MAX_PATTERNS,
    MAX_PATTERN_CHARS, MAX_WILDCARD_PATTERNS,
};
use saml_idp::*;

/// Median time of `f` over enough runs to fill about `budget`.
fn time(budget: Duration, mut f: impl FnMut()) -> Duration {
    f();
    let mut samples = Vec::new();
    let started = Instant::now();
    while started.elapsed() < budget || samples.len() < 5 {
        let one = Instant::now();
        f();
        samples.push(one.elapsed());
    }
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// What the ACS does with a posted value: decode, then validate.
fn acs(encoded: &str, trust: &portcullis::server::saml::core::config::IdpTrust) -> bool {
    decode_post_value(encoded)
        .and_then(|xml| validate(&xml, trust, &sp(), now(), &[REQUEST_ID]))
        .is_ok()
}

/// A trust with four registered certificates, the signer's last (so every other is tried first).
fn four_certificates() -> portcullis::server::saml::core::config::IdpTrust {
    let mut trust = trust();
    let spare = spare_keys();
    trust.certificates = spare
        .iter()
        .take(3)
        .map(|k| k.certificate.clone())
        .chain(std::iter::once(idp_key().certificate.clone()))
        .collect();
    trust
}

/// A signed response as large as the budgets allow: attribute values up to the value budget and the byte cap.
fn largest_signed(spec: ResponseSpec) -> String {
    let mut count = MAX_ATTRIBUTE_VALUES - 10;
    loop {
        let values: Vec<String> = (0..count)
            .map(|i| format!("value-{i:05}-{}", "x".repeat(60)))
            .collect();
        let xml = ResponseSpec {
            attributes: vec![("displayName".into(), values)],
            key_info: None,
            ..spec.clone()
        }
        .build();
        if xml.len() <= MAX_XML_BYTES || count < 100 {
            return xml;
        }
        count -= 100;
    }
}

fn with_garbage_signature(xml: &str) -> String {
    let start = xml.find("<ds:SignatureValue>").unwrap_or(0) + "<ds:SignatureValue>".len();
    let end = xml.find("</ds:SignatureValue>").unwrap_or(start);
    let length = xml.get(start..end).map_or(0, str::len);
    format!(
        "{}{}{}",
        xml.get(..start).unwrap_or_default(),
        STANDARD
            .encode(vec![7u8; length * 3 / 4])
            .get(..length)
            .unwrap_or_default(),
        xml.get(end..).unwrap_or_default()
    )
}

fn main() {
    let budget = Duration::from_millis(1500);
    let mut rows: Vec<(String, Duration, String)> = Vec::new();

    let normal = ResponseSpec::default().build_base64();
    let baseline = time(budget, || {
        black_box(acs(&normal, &trust()));
    });
    rows.push((
        "ACS: normal 5 KB response (accepted)".into(),
        baseline,
        String::new(),
    ));

    let wrap = |inner: &str| {
        STANDARD.encode(format!(
            "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">{inner}</samlp:Response>"
        ))
    };
    let deep = wrap(&"<a>".repeat(MAX_XML_BYTES / 3 - 40));
    rows.push((
        format!("ACS: deep ({} levels)", MAX_XML_BYTES / 3 - 40),
        time(budget, || {
            black_box(acs(&deep, &trust()));
        }),
        "saml.xml_too_deep".into(),
    ));
    let attributes: String = (0..12_000).map(|i| format!(" a{i}=\"1\"")).collect();
    let wide = wrap(&format!("<e{attributes}/>"));
    rows.push((
        "ACS: 12,000 attributes on one element".into(),
        time(budget, || {
            black_box(acs(&wide, &trust()));
        }),
        "saml.xml_too_many_attributes_on_element".into(),
    ));
    let elements = wrap(&"<e a=\"1\" b=\"2\"/>".repeat(RESPONSE_BUDGET.max_elements - 2));
    rows.push((
        "ACS: 4,094 elements, unsigned".into(),
        time(budget, || {
            black_box(acs(&elements, &trust()));
        }),
        "saml.signature_missing".into(),
    ));

    // Every element carries an ID, each checked for uniqueness (a map, so linear).
    let with_ids: String = (0..RESPONSE_BUDGET.max_elements - 2)
        .map(|n| format!("<e ID=\"_{n:05}\"/>"))
        .collect();
    let with_ids = wrap(&with_ids);
    rows.push((
        "ACS: 4,094 elements, each with its own ID".into(),
        time(budget, || {
            black_box(acs(&with_ids, &trust()));
        }),
        "saml.signature_missing".into(),
    ));

    let trust4 = four_certificates();
    let largest = largest_signed(ResponseSpec::default());
    let largest_encoded = STANDARD.encode(&largest);
    rows.push((
        format!(
            "ACS: largest valid response ({} KB, 4 certificates, no hint)",
            largest.len() / 1024
        ),
        time(budget, || {
            black_box(acs(&largest_encoded, &trust4));
        }),
        "accepted".into(),
    ));
    let forged = STANDARD.encode(with_garbage_signature(&largest));
    rows.push((
        "ACS: same, right digest, forged signature value".into(),
        time(budget, || {
            black_box(acs(&forged, &trust4));
        }),
        "saml.signature_invalid".into(),
    ));
    let plain = format!(r#"<ds:Transform Algorithm="{EXC_C14N}"/>"#);
    let prefixed = format!(
        r#"<ds:Transform Algorithm="{EXC_C14N}"><ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="xs"/></ds:Transform>"#
    );
    let largest_prefixed = largest_signed(ResponseSpec::default().editing(&plain, &prefixed));
    let prefixed_encoded = STANDARD.encode(&largest_prefixed);
    rows.push((
        "ACS: largest, prefix list (needs libxmlsec)".into(),
        time(budget, || {
            black_box(acs(&prefixed_encoded, &trust4));
        }),
        "saml.slow_signature_too_large".into(),
    ));
    let padded_values: Vec<String> = (0..300)
        .map(|i| format!("value-{i:04}-{}", "x".repeat(80)))
        .collect();
    let padded = STANDARD.encode(
        ResponseSpec {
            attributes: vec![("displayName".into(), padded_values)],
            key_info: None,
            ..ResponseSpec::default()
        }
        .editing(&plain, &prefixed)
        .build(),
    );
    rows.push((
        "ACS: ~31 KB response with a prefix list (libxmlsec, one parse)".into(),
        time(budget, || {
            black_box(acs(&padded, &trust4));
        }),
        "accepted".into(),
    ));
    let prefixed_forged = STANDARD.encode(with_garbage_signature(&largest_prefixed));
    rows.push((
        "ACS: same, forged signature value".into(),
        time(budget, || {
            black_box(acs(&prefixed_forged, &trust4));
        }),
        "saml.signature_invalid".into(),
    ));

    // Metadata upload: the largest document within the metadata budget.
    let keys = [idp_key()];
    let formats = [EMAIL_FORMAT];
    let real = idp_metadata(
        IDP_ENTITY_ID,
        "https://idp.corp.example/sso",
        &keys,
        &formats,
        REDIRECT_BINDING,
    );
    let now = now();
    rows.push((
        "Metadata: normal (1 certificate)".into(),
        time(budget, || {
            black_box(parse_idp_metadata(&real, now).is_ok());
        }),
        "accepted".into(),
    ));
    let filler_count =
        (MAX_METADATA_BYTES - real.len() - 200) / "<md:Extensions a=\"1\" b=\"2\"/>".len();
    let filler = "<md:Extensions a=\"1\" b=\"2\"/>"
        .repeat(filler_count.min(METADATA_BUDGET.max_elements - 20));
    let stuffed = real.replacen(
        "<md:KeyDescriptor",
        &format!("{filler}<md:KeyDescriptor"),
        1,
    );
    rows.push((
        format!(
            "Metadata: {} KB, {} extra elements",
            stuffed.len() / 1024,
            filler_count.min(METADATA_BUDGET.max_elements - 20)
        ),
        time(budget, || {
            black_box(parse_idp_metadata(&stuffed, now).is_ok());
        }),
        "(result as parsed)".into(),
    ));
    // As many elements as the budget allows, each as small as can be (more nodes per byte).
    let tiny = real.replacen(
        "<md:KeyDescriptor",
        &format!(
            "{}<md:KeyDescriptor",
            "<x/>".repeat(METADATA_BUDGET.max_elements - 20)
        ),
        1,
    );
    rows.push((
        format!(
            "Metadata: {} KB, {} empty elements",
            tiny.len() / 1024,
            METADATA_BUDGET.max_elements - 20
        ),
        time(budget, || {
            black_box(parse_idp_metadata(&tiny, now).is_ok());
        }),
        "(result as parsed)".into(),
    ));

    // Role-mapping preview: every budget at its maximum. The organization's 10 wildcard patterns fail at their last
    // piece against every group; each other pattern shares 255 characters with every group before it fails.
    let wildcard = format!("*{}*{}*{}*", "a".repeat(80), "a".repeat(80), "b".repeat(80));
    let prefix = format!("{}b*", "a".repeat(MAX_PATTERN_CHARS - 2));
    let suffix = format!("*b{}", "a".repeat(MAX_PATTERN_CHARS - 2));
    let exact = format!("b{}", "a".repeat(MAX_PATTERN_CHARS - 1));
    let rules: Vec<MappingRule> = (0..MAX_MAPPINGS)
        .map(|n| MappingRule {
            name: format!("m{n}"),
            role: None,
            team_ids: vec![1],
            kind: RuleKind::Any,
            patterns: if n == 0 {
                vec![wildcard.clone(); MAX_WILDCARD_PATTERNS]
            } else {
                [prefix.clone(), suffix.clone(), exact.clone()]
                    .into_iter()
                    .cycle()
                    .take(MAX_PATTERNS)
                    .collect()
            },
        })
        .collect();
    let groups: Vec<String> = (0..MAX_GROUPS)
        .map(|i| format!("{}{i:04}", "a".repeat(MAX_GROUP_CHARS - 4)))
        .collect();
    rows.push((format!("Preview: {MAX_MAPPINGS} mappings × {MAX_PATTERNS} patterns ({MAX_WILDCARD_PATTERNS} wildcards) × {MAX_GROUPS} groups"), time(budget, || {
        black_box(evaluate(&rules, &groups).matched.len());
    }), "no match".into()));

    // Password login: one argon2id verification (19 MiB), whatever the input.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    if let (Ok(runtime), Ok(pool)) = (
        runtime,
        portcullis::server::pool::WorkPool::new("password", 1, Duration::from_secs(60)),
    ) {
        let stored = runtime
            .block_on(portcullis::server::auth::password::hash(
                &pool,
                "violet-tractor-mango-71".into(),
            ))
            .unwrap_or_default();
        rows.push((
            "Login form: argon2id verification (by design)".into(),
            time(budget, || {
                black_box(
                    runtime
                        .block_on(portcullis::server::auth::password::verify(
                            &pool,
                            "x".repeat(128),
                            Some(stored.clone()),
                        ))
                        .is_ok(),
                );
            }),
            "auth.invalid_credentials".into(),
        ));
    }

    println!(
        "{:<72} {:>12} {:>8}  outcome",
        "entry", "per request", "× normal"
    );
    for (name, took, outcome) in &rows {
        let ratio = took.as_secs_f64() / baseline.as_secs_f64().max(1e-9);
        println!(
            "{name:<72} {:>9.1} µs {ratio:>7.1}×  {outcome}",
            took.as_secs_f64() * 1e6
        );
    }
}
