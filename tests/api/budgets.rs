//! Every input a stranger can send has a budget, checked before the expensive step, each with its own refusal
//! code (README, "Limits"): attacks one unit over each budget through the real app, on every database, next to the
//! legitimate request at the budget that still works. Also: a deep document no longer takes the server down, a
//! panic fails only its own request, ACS rate limits, and failed logins that challenge instead of locking out.

use crate::helpers::{backends, TestApp, PASSWORD};
use crate::saml_idp::*;
use crate::sso::{
    metadata, post_response, provision, refused_with, register, setup, setup_on, spec, start_login,
    IDENTIFIER, SSO_URL,
};
use portcullis::server::saml::core::budget::METADATA_BUDGET;
use portcullis::server::saml::core::metadata::MAX_METADATA_BYTES;

async fn healthy(app: &TestApp) {
    let health = app.browser().get("/healthz").await;
    assert_eq!(health.status().as_u16(), 200, "the server still answers");
}

#[tokio::test]
async fn a_deep_response_posted_by_a_stranger_is_refused_and_the_server_stays_up() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let stranger = setup.app.browser();
        start_login(&stranger, None).await;
        // About 10 KB, unsigned: 1,500 levels overflowed an actix worker's stack and aborted the process.
        for depth in [1_500, 27_000] {
            let deep = format!(
                "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">{}</samlp:Response>",
                "<a>".repeat(depth)
            );
            refused_with(
                post_response(&stranger, &deep, "").await,
                403,
                "saml.xml_too_deep",
            )
            .await;
            healthy(&setup.app).await;
        }
        // One element with 12,000 attributes (quadratic in the parser) is refused at the 65th.
        let attributes: String = (0..12_000).map(|i| format!(" a{i}=\"1\"")).collect();
        let wide = format!(
            "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"{attributes}/>"
        );
        refused_with(
            post_response(&stranger, &wide, "").await,
            403,
            "saml.xml_too_many_attributes_on_element",
        )
        .await;
        // The identity provider's page shows the refusals, with the limit named.
        let failures = crate::sso::detail(&setup, IDENTIFIER).await["recent_failures"].clone();
        assert!(
            failures
                .to_string()
                .contains("more than 32 elements nested"),
            "{failures}"
        );
        healthy(&setup.app).await;
    }
}

#[tokio::test]
async fn deep_or_oversized_metadata_is_refused_with_its_code() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let deep = metadata().replacen(
            "<md:IDPSSODescriptor",
            &format!("{}<md:IDPSSODescriptor", "<x>".repeat(3_000)),
            1,
        );
        register(&setup, "deep", &deep, &[])
            .await
            .assert_error(422, "idp.metadata_too_deep");
        healthy(&setup.app).await;
        let long_value = metadata().replacen(
            "entityID=",
            &format!("data=\"{}\" entityID=", "x".repeat(8 * 1024 + 1)),
            1,
        );
        register(&setup, "long", &long_value, &[])
            .await
            .assert_error(422, "idp.metadata_attribute_value_too_long");
        // Each other limit, one unit over, in front of the descriptor.
        let before_descriptor = |extra: &str| {
            metadata().replacen(
                "<md:IDPSSODescriptor",
                &format!("{extra}<md:IDPSSODescriptor"),
                1,
            )
        };
        let elements = METADATA_BUDGET.max_elements;
        let attributes = METADATA_BUDGET.max_attributes_per_element;
        let over_by_one = [
            (
                "size",
                "x".repeat(MAX_METADATA_BYTES),
                "idp.metadata_too_large",
            ),
            (
                "elements",
                "<x/>".repeat(elements),
                "idp.metadata_too_many_elements",
            ),
            (
                "comments",
                "<!---->".repeat(elements),
                "idp.metadata_too_many_elements",
            ),
            (
                "wide",
                format!(
                    "<x {}/>",
                    (0..=attributes)
                        .map(|i| format!("a{i}=\"\""))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                "idp.metadata_too_many_attributes_on_element",
            ),
            (
                "attributes",
                format!(
                    "<x {}/>",
                    (0..attributes)
                        .map(|i| format!("a{i}=\"\""))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
                .repeat(METADATA_BUDGET.max_attributes / attributes + 1),
                "idp.metadata_too_many_attributes",
            ),
            (
                "text",
                format!("<x>{}</x>", "t".repeat(METADATA_BUDGET.max_text_bytes + 1)),
                "idp.metadata_text_too_long",
            ),
        ];
        for (name, extra, code) in over_by_one {
            register(&setup, name, &before_descriptor(&extra), &[])
                .await
                .assert_error(422, code);
        }
        // Within every budget, extra elements and comments change nothing.
        register(
            &setup,
            IDENTIFIER,
            &before_descriptor(&"<x a=\"1\"/><!-- note -->".repeat(100)),
            &[],
        )
        .await
        .assert_ok();
        healthy(&setup.app).await;
    }
}

#[tokio::test]
async fn an_identity_provider_has_at_most_four_signing_certificates() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let spare = spare_keys();
        let five: Vec<&TestKey> = std::iter::once(idp_key()).chain(spare.iter()).collect();
        let too_many = idp_metadata(
            IDP_ENTITY_ID,
            SSO_URL,
            &five,
            &[EMAIL_FORMAT],
            REDIRECT_BINDING,
        );
        let refused = register(&setup, IDENTIFIER, &too_many, &[]).await;
        refused.assert_error(422, "idp.too_many_certificates");
        assert!(refused.body["message"]
            .as_str()
            .unwrap()
            .contains("lists 5"));
        let four = idp_metadata(
            IDP_ENTITY_ID,
            SSO_URL,
            five.get(..4).unwrap(),
            &[EMAIL_FORMAT],
            REDIRECT_BINDING,
        );
        register(&setup, IDENTIFIER, &four, &[]).await.assert_ok();
        // Each of the four verifies a login.
        provision(&setup, "mia@corp.example").await;
        let mia = setup.app.browser();
        let (request_id, _) = start_login(&mia, None).await;
        let mut response = spec(&setup.app, Some(&request_id)).for_name_id("mia@corp.example");
        response.key = spare.get(2).unwrap();
        response.key_info = None;
        let signed_in = post_response(&mia, &response.build(), "").await;
        assert_eq!(signed_in.status().as_u16(), 303);
    }
}

fn groups_response(setup: &crate::sso::Setup, request_id: &str, groups: Vec<String>) -> String {
    let mut response = spec(&setup.app, Some(request_id)).for_name_id("mia@corp.example");
    response.attributes = vec![("groups".into(), groups)];
    response.build()
}

#[tokio::test]
async fn asserted_groups_have_a_budget() {
    use portcullis::server::services::role_mappings::{MAX_GROUPS, MAX_GROUP_CHARS};
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let mia = setup.app.browser();
        let many = |count: usize| (0..count).map(|i| format!("group-{i}")).collect::<Vec<_>>();

        let (request_id, _) = start_login(&mia, None).await;
        let xml = groups_response(&setup, &request_id, many(MAX_GROUPS + 1));
        refused_with(
            post_response(&mia, &xml, "").await,
            403,
            "saml.too_many_groups",
        )
        .await;
        let (request_id, _) = start_login(&mia, None).await;
        let xml = groups_response(&setup, &request_id, vec!["g".repeat(MAX_GROUP_CHARS + 1)]);
        refused_with(
            post_response(&mia, &xml, "").await,
            403,
            "saml.group_too_long",
        )
        .await;

        // At the budget the login goes through.
        let (request_id, _) = start_login(&mia, None).await;
        let mut at_budget = many(MAX_GROUPS - 1);
        at_budget.push("g".repeat(MAX_GROUP_CHARS));
        let xml = groups_response(&setup, &request_id, at_budget);
        assert_eq!(post_response(&mia, &xml, "").await.status().as_u16(), 303);
    }
}

#[tokio::test]
async fn role_mappings_have_budgets() {
    use portcullis::server::services::role_mappings::{
        MAX_GROUPS, MAX_GROUP_CHARS, MAX_MAPPINGS, MAX_PATTERNS, MAX_PATTERN_CHARS,
        MAX_WILDCARD_PATTERNS,
    };
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        let create = |name: String, patterns: String| {
            let org = org.clone();
            let admin = &setup.admin;
            async move {
                admin
                    .call(
                        "create_role_mapping",
                        &[
                            ("organization_id", org.as_str()),
                            ("name", name.as_str()),
                            ("kind", "any"),
                            ("patterns", patterns.as_str()),
                            ("role", "admin"),
                        ],
                    )
                    .await
            }
        };
        let patterns = |count: usize| {
            (0..count)
                .map(|i| format!("p{i}-*"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        create("Too many patterns".into(), patterns(MAX_PATTERNS + 1))
            .await
            .assert_error(422, "role_mapping.too_many_patterns");
        create("Long pattern".into(), "g".repeat(MAX_PATTERN_CHARS + 1))
            .await
            .assert_error(422, "role_mapping.pattern_too_long");
        create("Starry".into(), "a*b*c*d*e*f".into())
            .await
            .assert_error(422, "role_mapping.pattern_too_many_stars");
        // At each budget the mapping is saved.
        create("Long pattern".into(), "g".repeat(MAX_PATTERN_CHARS))
            .await
            .assert_ok();
        create("Starry".into(), "a*b*c*d*e".into())
            .await
            .assert_ok();
        // Wildcard patterns (matched against every group) are counted over the organization.
        let wildcards = |count: usize| {
            (0..count)
                .map(|i| format!("*w{i}*"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        create("Wildcards".into(), wildcards(MAX_WILDCARD_PATTERNS + 1))
            .await
            .assert_error(422, "role_mapping.too_many_wildcard_patterns");
        create("Wildcards".into(), wildcards(MAX_WILDCARD_PATTERNS - 1))
            .await
            .assert_ok();
        create("Two more".into(), "*x*\n*y*".into())
            .await
            .assert_error(422, "role_mapping.too_many_wildcard_patterns");
        // Three mappings so far ("Long pattern", "Starry", "Wildcards").
        for n in 3..MAX_MAPPINGS {
            create(format!("Mapping {n}"), patterns(MAX_PATTERNS))
                .await
                .assert_ok();
        }
        create("One more".into(), "staff".into())
            .await
            .assert_error(409, "role_mapping.limit_reached");

        // The preview takes at most MAX_GROUPS typed groups; at the budget, it answers (the worst case is in the
        // bench).
        let groups = |count: usize| {
            (0..count)
                .map(|i| format!("group-{i}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        setup
            .admin
            .call_raw(
                "preview_role_mappings",
                &[
                    ("organization_id", &org),
                    ("groups", &groups(MAX_GROUPS + 1)),
                ],
            )
            .await
            .assert_error(422, "role_mapping.too_many_groups");
        setup
            .admin
            .call_raw(
                "preview_role_mappings",
                &[
                    ("organization_id", &org),
                    ("groups", &"g".repeat(MAX_GROUP_CHARS + 1)),
                ],
            )
            .await
            .assert_error(422, "role_mapping.group_too_long");
        let preview = setup
            .admin
            .call_raw(
                "preview_role_mappings",
                &[("organization_id", &org), ("groups", &groups(MAX_GROUPS))],
            )
            .await;
        preview.assert_ok();
        assert_eq!(preview.body["role"], "member");
    }
}

#[tokio::test]
async fn the_acs_is_rate_limited_per_address_and_per_identity_provider() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| {
            c.acs_rate_limit_per_ip = 3;
            c.acs_rate_limit_per_idp = 5;
            c.trust_forwarded_for = true;
        })
        .await;
        let setup = setup_on(app).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let from = |address: &str| {
            setup
                .app
                .browser_with_header("x-forwarded-for", &format!("203.0.113.9, {address}"))
        };
        let garbage = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>";
        let first = from("198.51.100.1");
        start_login(&first, None).await;
        for _ in 0..3 {
            let refused = post_response(&first, garbage, "").await;
            assert_eq!(refused.status().as_u16(), 403);
        }
        let limited = post_response(&first, garbage, "").await;
        assert_eq!(limited.status().as_u16(), 429);
        assert!(limited.text().await.unwrap().contains("rate_limited"));
        // Another address still gets through, until the identity provider's own limit (this browser has a
        // cookie but started no sign-in here: its posts are unsolicited).
        let second = from("198.51.100.2");
        second.visit().await;
        for _ in 0..2 {
            assert_eq!(
                post_response(&second, garbage, "").await.status().as_u16(),
                403
            );
        }
        let limited = post_response(&second, garbage, "").await;
        assert_eq!(limited.status().as_u16(), 429);
        assert!(limited
            .text()
            .await
            .unwrap()
            .contains("this identity provider"));
        // Strangers filled the identity provider's counter, but a person who started their sign-in here still
        // signs in: the per-provider limit never stops a browser's own SP-initiated login.
        provision(&setup, "mia@corp.example").await;
        let mia = from("198.51.100.3");
        let (request_id, _) = start_login(&mia, None).await;
        let response = spec(&setup.app, Some(&request_id)).for_name_id("mia@corp.example");
        let signed_in = post_response(&mia, &response.build(), "").await;
        assert_eq!(
            signed_in.status().as_u16(),
            303,
            "past the limit, a started sign-in completes"
        );
        assert_eq!(mia.visit().await["user"]["email"], "mia@corp.example");
        // Its garbage is still refused for what it is, not let in.
        start_login(&mia, None).await;
        assert_eq!(
            post_response(&mia, garbage, "").await.status().as_u16(),
            403
        );
        setup.app.clock.advance(chrono::Duration::minutes(16));
        assert_eq!(
            post_response(&second, garbage, "").await.status().as_u16(),
            403
        );
    }
}

#[tokio::test]
async fn failed_logins_from_everywhere_challenge_the_right_password_instead_of_refusing_it() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| {
            c.rate_limit_per_account = 2;
            c.trust_forwarded_for = true;
        })
        .await;
        app.signed_in_user("Victim", "victim@example.com").await;
        let from = |address: &str| {
            app.browser_with_header("x-forwarded-for", &format!("203.0.113.9, {address}"))
        };
        // 20 failures (ten times the per-address threshold) from ten addresses.
        for n in 0..10 {
            let attacker = from(&format!("198.51.100.{n}"));
            for _ in 0..2 {
                attacker
                    .log_in("victim@example.com", "guess-guess-guess")
                    .await
                    .assert_error(401, "auth.invalid_credentials");
            }
        }
        // The owner hears about the burst, once.
        let burst = app
            .mail
            .wait_for("victim@example.com", "Many failed sign-in attempts")
            .await;
        assert!(burst.body().contains("is not locked"), "{}", burst.body());
        // A wrong password and the right one get the same answer; only the right one sends the link.
        let owner = from("192.0.2.10");
        let wrong = owner
            .log_in("victim@example.com", "guess-again-guess")
            .await;
        wrong.assert_error(403, "auth.login_confirmation_required");
        let right = owner.log_in("victim@example.com", PASSWORD).await;
        right.assert_error(403, "auth.login_confirmation_required");
        assert_eq!(
            wrong.body, right.body,
            "nothing tells a right guess from a wrong one"
        );
        assert!(owner.visit().await["user"].is_null(), "not signed in yet");
        let link = app
            .mail
            .wait_for("victim@example.com", "Finish signing in")
            .await;
        assert_eq!(
            app.mail.count_to("victim@example.com"),
            3,
            "verification, burst, one link"
        );
        let token = link.link_path().split("token=").nth(1).unwrap().to_string();
        owner
            .call("confirm_login", &[("token", token.as_str())])
            .await
            .assert_ok();
        assert_eq!(owner.visit().await["user"]["email"], "victim@example.com");
        // The link works once.
        from("192.0.2.11")
            .call("confirm_login", &[("token", token.as_str())])
            .await
            .assert_error(410, "token.used");
        // The window passes: the right password alone works again.
        app.clock.advance(chrono::Duration::minutes(16));
        from("192.0.2.12")
            .log_in("victim@example.com", PASSWORD)
            .await
            .assert_ok();
        healthy(&app).await;
    }
}

/// A panic inside a handler becomes a 500 for that request; the next request on the same app is served.
#[actix_web::test]
async fn a_panic_fails_only_its_own_request() {
    use actix_web::middleware::from_fn;
    use actix_web::{test, web, App, HttpResponse};
    use portcullis::server::containment::contain;
    let app = test::init_service(
        App::new()
            .wrap(from_fn(contain))
            .route(
                "/boom",
                web::get().to(|| async { panic!("a bug") as HttpResponse }),
            )
            .route(
                "/busy",
                web::get().to(|| async { HttpResponse::ServiceUnavailable().finish() }),
            )
            .route(
                "/ok",
                web::get().to(|| async { HttpResponse::Ok().body("fine") }),
            ),
    )
    .await;
    let boom =
        test::try_call_service(&app, test::TestRequest::get().uri("/boom").to_request()).await;
    let Err(error) = boom else {
        panic!("the panic became an error");
    };
    assert_eq!(error.error_response().status().as_u16(), 500);
    let ok = test::call_service(&app, test::TestRequest::get().uri("/ok").to_request()).await;
    assert_eq!(ok.status().as_u16(), 200);
    let busy = test::call_service(&app, test::TestRequest::get().uri("/busy").to_request()).await;
    assert_eq!(busy.status().as_u16(), 503);
    assert_eq!(busy.headers().get("retry-after").unwrap(), "2");
}
