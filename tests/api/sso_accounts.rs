//! SAML accounts beyond the first login: "Enable Enterprise SSO" (the merge, its refusals, and that a refused merge
//! changes nothing), the account policies, SSO session lifetime, and deleting SAML accounts with the owner guard.

use serde_json::Value;

use crate::helpers::{backends, member_id, Browser, PASSWORD};
use crate::sso::{
    authn_request_in, detail, metadata, mia_signed_in_by_sso, post_response, provision,
    refused_with, refused_without_account, register, setup, setup_on, spec, sso_login, Setup,
    IDENTIFIER,
};

/// Posts the consent form ("Enable Enterprise SSO") with `fields`.
async fn consent(browser: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = browser.csrf().await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .client
        .post(format!("{}/saml/{IDENTIFIER}/merge", browser.address))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Consents and returns the ID of the AuthnRequest the page sends on to the identity provider.
async fn start_merge(browser: &Browser) -> String {
    let response = consent(browser, &[("consent", "on")]).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    let start = page.find("url=").expect("a page that moves on") + 4;
    let end = start + page[start..].find('"').unwrap();
    let location = page[start..end].replace("&amp;", "&");
    assert!(location.starts_with(crate::sso::SSO_URL), "{location}");
    authn_request_in(&location).0
}

/// The identity provider's answer to a merge request, asserting `email`.
async fn answer_merge(
    setup: &Setup,
    browser: &Browser,
    request_id: &str,
    email: &str,
    assertion_id: &str,
) -> reqwest::Response {
    let mut response = spec(&setup.app, Some(request_id)).for_name_id(email);
    response.assertion_id = assertion_id.into();
    post_response(browser, &response.build(), "").await
}

fn fleet_owner_kind(fleet: &Value) -> &str {
    let owner = &fleet["fleet"]["owner"];
    if owner.get("User").is_some() {
        "user"
    } else if owner.get("Organization").is_some() {
        "organization"
    } else {
        panic!("unexpected owner {owner}")
    }
}

#[tokio::test]
async fn enabling_enterprise_sso_converts_the_account_and_a_different_address_changes_nothing() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let org = setup.organization_id.to_string();
        // The organization already has a fleet named like Sam's.
        setup
            .admin
            .call("create_fleet", &[("name", "Sensors"), ("owner", &org)])
            .await
            .assert_ok();
        let sam = setup
            .app
            .signed_in_user("Sam Smith", "sam@corp.example")
            .await;
        let other_browser = setup.app.browser();
        other_browser
            .log_in("sam@corp.example", PASSWORD)
            .await
            .assert_ok();
        let created = sam
            .call("create_fleet", &[("name", "Sensors"), ("owner", "me")])
            .await;
        created.assert_ok();
        let fleet_id = created.body.as_i64().unwrap().to_string();
        sam.call(
            "add_device",
            &[("fleet_id", &fleet_id), ("name", "gateway-1"), ("uuid", "")],
        )
        .await
        .assert_ok();
        let key = sam
            .call(
                "create_personal_api_key",
                &[("name", "ci"), ("expires_in_days", "")],
            )
            .await
            .body["secret"]
            .as_str()
            .unwrap()
            .to_string();
        setup
            .app
            .api("GET", "/api/v1/me", Some(&key), None)
            .await
            .assert_status(200);

        // The consent page lists exactly what will change (the identifier as typed, trimmed and in any case).
        let preview = sam
            .call_raw("merge_preview", &[("identifier", " ACME ")])
            .await;
        preview.assert_ok();
        assert_eq!(preview.body["identity_provider"], "Acme Entra ID");
        assert_eq!(preview.body["email"], "sam@corp.example");
        assert_eq!(preview.body["organizations"][0]["name"], "Acme Corp");
        let keys = preview.body["api_keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert!(keys[0].as_str().unwrap().starts_with("ci (pc_"), "{keys:?}");
        assert_eq!(preview.body["fleets"][0]["name"], "Sensors");
        assert_eq!(preview.body["fleets"][0]["device_count"], 1);

        // Without the consent box nothing starts; the consent page explains why.
        let response = consent(&sam, &[]).await;
        assert_eq!(response.status().as_u16(), 303);
        assert!(response.headers()["location"]
            .to_str()
            .unwrap()
            .contains("merge_error=merge.consent_required"));

        // The identity provider signs Sam in under another address: refused, and nothing changed.
        let request_id = start_merge(&sam).await;
        let response =
            answer_merge(&setup, &sam, &request_id, "samuel@corp.example", "_merge-1").await;
        assert_eq!(response.status().as_u16(), 403);
        let page = response.text().await.unwrap();
        assert!(page.contains("merge.email_mismatch"), "{page}");
        assert!(page.contains("samuel@corp.example"), "{page}");
        assert!(page.contains("Nothing was"), "{page}");
        setup
            .app
            .api("GET", "/api/v1/me", Some(&key), None)
            .await
            .assert_status(200);
        let fleet = sam.call_raw("fleet", &[("fleet_id", &fleet_id)]).await;
        assert_eq!(fleet_owner_kind(&fleet.body), "user");
        assert_eq!(sam.visit().await["user"]["has_password"], true);
        assert_eq!(
            other_browser.signed_in_email().await.as_deref(),
            Some("sam@corp.example")
        );
        setup
            .app
            .browser()
            .log_in("sam@corp.example", PASSWORD)
            .await
            .assert_ok();
        assert_eq!(detail(&setup, IDENTIFIER).await["linked_accounts"], 0);

        // The same address in other letters: converted, in one step.
        let request_id = start_merge(&sam).await;
        let response =
            answer_merge(&setup, &sam, &request_id, "Sam@Corp.Example", "_merge-2").await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(
            response.headers()["location"],
            "/preferences/enterprise-sso/receipt"
        );
        let receipt = sam.call_raw("merge_receipt", &[]).await;
        receipt.assert_ok();
        assert_eq!(receipt.body["organization"], "Acme Corp");
        assert_eq!(receipt.body["sso_identifier"], IDENTIFIER);
        assert_eq!(
            receipt.body["deleted_api_keys"].as_array().unwrap().len(),
            1
        );
        let moved = &receipt.body["transferred_fleets"][0];
        assert_eq!(moved["name"], "Sensors");
        assert_eq!(moved["renamed_to"], "Sensors (Sam Smith)");
        assert_eq!(moved["device_count"], 1);

        // The key is gone, the fleet and its device belong to the organization, the password is retired, the
        // other browser is signed out, and Sam is a member who signs in through the identity provider.
        setup
            .app
            .api("GET", "/api/v1/me", Some(&key), None)
            .await
            .assert_error(401, "api_key.invalid");
        let fleet = setup
            .admin
            .call_raw("fleet", &[("fleet_id", &fleet_id)])
            .await;
        fleet.assert_ok();
        assert_eq!(fleet_owner_kind(&fleet.body), "organization");
        assert_eq!(fleet.body["fleet"]["name"], "Sensors (Sam Smith)");
        assert_eq!(fleet.body["devices"].as_array().unwrap().len(), 1);
        let visit = sam.visit().await;
        assert_eq!(visit["user"]["has_password"], false);
        assert_eq!(other_browser.signed_in_email().await, None);
        member_id(&setup.admin, &org, "sam@corp.example").await;
        assert_eq!(detail(&setup, IDENTIFIER).await["linked_accounts"], 1);
        sam.call(
            "create_personal_api_key",
            &[("name", "again"), ("expires_in_days", "")],
        )
        .await
        .assert_error(403, "api_key.personal_keys_unavailable");

        // The old password now says where to sign in; a wrong one gets the usual answer.
        let refused = setup
            .app
            .browser()
            .log_in("sam@corp.example", PASSWORD)
            .await;
        let body = refused.assert_error(403, "auth.password_retired");
        assert!(
            body["message"].as_str().unwrap().contains("\"acme\""),
            "{body}"
        );
        setup
            .app
            .browser()
            .log_in("sam@corp.example", "not-the-password-1")
            .await
            .assert_error(401, "auth.invalid_credentials");

        // The receipt arrives by email, listing the deleted key and the transferred fleet.
        let mail = setup
            .app
            .mail
            .wait_for("sam@corp.example", "Enterprise SSO is enabled")
            .await;
        let body = mail.body();
        assert!(body.contains("ci (pc_"), "{body}");
        assert!(
            body.contains("Sensors (1 devices, now named Sensors (Sam Smith))"),
            "{body}"
        );

        // It cannot be done twice, and a later SSO login (the same NameID: identities are keyed on it exactly)
        // signs Sam in.
        sam.call_raw("merge_preview", &[("identifier", IDENTIFIER)])
            .await
            .assert_error(409, "merge.not_password_account");
        let browser = setup.app.browser();
        let response = sso_login(&setup, &browser, "Sam@Corp.Example", "_merge-3").await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(
            browser.signed_in_email().await.as_deref(),
            Some("sam@corp.example")
        );
    }
}

#[tokio::test]
async fn a_merge_needs_the_policy_the_same_session_and_a_chosen_organization() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[("allow_merge", "")])
            .await
            .assert_ok();
        let sam = setup
            .app
            .signed_in_user("Sam Smith", "sam@corp.example")
            .await;
        sam.call_raw("merge_preview", &[("identifier", IDENTIFIER)])
            .await
            .assert_error(403, "merge.not_allowed");
        let response = consent(&sam, &[("consent", "on")]).await;
        assert!(response.headers()["location"]
            .to_str()
            .unwrap()
            .contains("merge_error=merge.not_allowed"));
        sam.call_raw("merge_preview", &[("identifier", "nobody")])
            .await
            .assert_error(404, "idp.not_found");
        // A login through the identity provider never converts a password account as a side effect: for a member
        // of its organizations it says so.
        let response = sso_login(
            &setup,
            &setup.app.browser(),
            "ada@corp.example",
            "_policy-1",
        )
        .await;
        let ada_page = refused_without_account(
            &setup.admin,
            IDENTIFIER,
            response,
            "ada@corp.example has a password account; this identity provider does not accept existing accounts",
        )
        .await;
        // About someone outside them (anyone can register an identity provider and assert any address), the answer
        // is the same as for an address without an account: it tells nobody who has an account here.
        let response = sso_login(
            &setup,
            &setup.app.browser(),
            "sam@corp.example",
            "_policy-1b",
        )
        .await;
        let sam_page = refused_with(response, 403, "sso.no_account").await;
        let response = sso_login(
            &setup,
            &setup.app.browser(),
            "nobody@corp.example",
            "_policy-1c",
        )
        .await;
        let nobody_page = refused_with(response, 403, "sso.no_account").await;
        let failures = crate::sso::detail(&setup, IDENTIFIER).await["recent_failures"].clone();
        assert!(
            failures[1]["diagnosis"]
                .as_str()
                .unwrap()
                .contains("no account for sam@corp.example in this identity provider"),
            "{failures}"
        );
        // And a member's password account reads no differently to the person either.
        assert_eq!(ada_page, nobody_page);
        assert_eq!(
            sam_page.replace("sam@corp.example", "X"),
            nobody_page.replace("nobody@corp.example", "X")
        );

        // Merging on, and a second organization served by the provider: Sam must choose one of them.
        setup
            .admin
            .call(
                "update_identity_provider",
                &[
                    ("current_identifier", IDENTIFIER),
                    ("name", "Acme Entra ID"),
                    ("identifier", IDENTIFIER),
                    ("name_id_format", "email"),
                    ("allow_merge", "on"),
                ],
            )
            .await
            .assert_ok();
        let labs = setup
            .admin
            .call("create_organization", &[("name", "Labs")])
            .await
            .body
            .as_i64()
            .unwrap()
            .to_string();
        setup
            .admin
            .call(
                "set_identity_provider_organization",
                &[("identifier", IDENTIFIER), ("organization_id", &labs)],
            )
            .await
            .assert_ok();
        let other = setup
            .admin
            .call("create_organization", &[("name", "Other")])
            .await;
        let other = other.body.as_i64().unwrap().to_string();
        for chosen in [None, Some(other.as_str())] {
            let mut fields = vec![("consent", "on")];
            if let Some(id) = chosen {
                fields.push(("organization_id", id));
            }
            let response = consent(&sam, &fields).await;
            assert!(response.headers()["location"]
                .to_str()
                .unwrap()
                .contains("merge_error=merge.organization_required"));
        }

        // The request is bound to the session that consented: after signing out, its answer converts nothing.
        let response = consent(&sam, &[("consent", "on"), ("organization_id", &labs)]).await;
        let page = response.text().await.unwrap();
        let start = page.find("url=").unwrap() + 4;
        let end = start + page[start..].find('"').unwrap();
        let (request_id, _) = authn_request_in(&page[start..end].replace("&amp;", "&"));
        sam.call("log_out", &[]).await.assert_ok();
        sam.log_in("sam@corp.example", PASSWORD).await.assert_ok();
        let response =
            answer_merge(&setup, &sam, &request_id, "sam@corp.example", "_bound-1").await;
        refused_with(response, 403, "saml.in_response_to_mismatch").await;
        assert_eq!(sam.visit().await["user"]["has_password"], true);

        // Pre-provisioned accounts only link when that policy is on.
        provision(&setup, "mia@corp.example").await;
        let response = sso_login(
            &setup,
            &setup.app.browser(),
            "mia@corp.example",
            "_policy-2",
        )
        .await;
        refused_without_account(
            &setup.admin,
            IDENTIFIER,
            response,
            "accepts only existing accounts that enable Enterprise SSO",
        )
        .await;
    }
}

async fn set_session_lifetime(setup: &Setup, hours: &str) -> crate::helpers::Reply {
    setup
        .admin
        .call(
            "update_identity_provider",
            &[
                ("current_identifier", IDENTIFIER),
                ("name", "Acme Entra ID"),
                ("identifier", IDENTIFIER),
                ("name_id_format", "email"),
                ("allow_merge", "on"),
                ("allow_pre_provisioned", "on"),
                ("session_lifetime_hours", hours),
            ],
        )
        .await
}

/// A page load goes back to the identity provider, and returns to the same page afterwards.
async fn assert_sent_back_to_the_identity_provider(browser: &Browser) {
    let response = browser.get("/fleets/7?tab=devices").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/saml/acme?return_to=/fleets/7%3Ftab%3Ddevices"
    );
    assert_eq!(browser.signed_in_email().await, None);
}

#[tokio::test]
async fn sso_sessions_end_at_the_providers_lifetime_and_go_back_to_it() {
    use chrono::Duration;
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        assert_eq!(
            detail(&setup, IDENTIFIER).await["session_lifetime_hours"],
            12
        );
        let refused = set_session_lifetime(&setup, "25").await;
        refused.assert_error(422, "idp.session_lifetime_invalid");
        assert_eq!(refused.field(), Some("session_lifetime_hours"));
        set_session_lifetime(&setup, "1").await.assert_ok();
        provision(&setup, "mia@corp.example").await;
        let mia = setup.app.browser();
        let response = sso_login(&setup, &mia, "mia@corp.example", "_lifetime-1").await;
        assert_eq!(response.status().as_u16(), 303);

        // Active or not, the SSO session ends after an hour; the password session of the admin does not.
        setup.app.clock.advance(Duration::minutes(40));
        assert_eq!(
            mia.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
        setup.app.clock.advance(Duration::minutes(21));
        assert_eq!(
            setup.admin.signed_in_email().await.as_deref(),
            Some("ada@corp.example")
        );
        assert_sent_back_to_the_identity_provider(&mia).await;
        // Signing in again at the identity provider gives a fresh session.
        let response = sso_login(&setup, &mia, "mia@corp.example", "_lifetime-2").await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(
            mia.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
    }
}

#[tokio::test]
async fn the_configuration_caps_every_sso_session() {
    use chrono::Duration;
    for backend in backends() {
        let app = crate::helpers::TestApp::spawn_with(&backend, |config| {
            config.sso_session_max_minutes = 5;
        })
        .await;
        let (setup, mia) = {
            let setup = setup_on(app).await;
            register(&setup, IDENTIFIER, &metadata(), &[])
                .await
                .assert_ok();
            provision(&setup, "mia@corp.example").await;
            let mia = setup.app.browser();
            let response = sso_login(&setup, &mia, "mia@corp.example", "_cap-1").await;
            assert_eq!(response.status().as_u16(), 303);
            (setup, mia)
        };
        setup.app.clock.advance(Duration::minutes(4));
        assert_eq!(
            mia.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
        setup.app.clock.advance(Duration::minutes(2));
        assert_sent_back_to_the_identity_provider(&mia).await;
    }
}

#[tokio::test]
async fn a_saml_account_is_deleted_unless_no_owner_who_can_sign_in_would_remain() {
    for backend in backends() {
        let (setup, mia) = mia_signed_in_by_sso(&backend, "_delete-account-1").await;
        let org = setup.organization_id.to_string();
        provision(&setup, "max@corp.example").await;
        let max = setup.app.browser();
        let response = sso_login(&setup, &max, "max@corp.example", "_delete-account-2").await;
        assert_eq!(response.status().as_u16(), 303);
        let key = setup
            .admin
            .call(
                "create_organization_api_key",
                &[
                    ("organization_id", &org),
                    ("name", "break-glass"),
                    ("role", "owner"),
                    ("expires_in_days", ""),
                ],
            )
            .await
            .body["secret"]
            .as_str()
            .unwrap()
            .to_string();
        let mia_id = member_id(&setup.admin, &org, "mia@corp.example").await;
        let ada_id = member_id(&setup.admin, &org, "ada@corp.example").await;
        // Mia becomes the only owner; she signs in only through the identity provider.
        setup
            .admin
            .call(
                "change_member_role",
                &[
                    ("organization_id", &org),
                    ("user_id", &mia_id),
                    ("role", "owner"),
                ],
            )
            .await
            .assert_ok();
        setup
            .admin
            .call(
                "change_member_role",
                &[
                    ("organization_id", &org),
                    ("user_id", &ada_id),
                    ("role", "admin"),
                ],
            )
            .await
            .assert_ok();

        let path =
            format!("/api/v1/identity-providers/{IDENTIFIER}/saml-accounts/mia%40corp.example");
        let refused = setup.app.api("DELETE", &path, Some(&key), None).await;
        let body = refused.assert_error(409, "organization.last_owner");
        assert!(
            body["message"].as_str().unwrap().contains("Acme Corp"),
            "{body}"
        );
        // An admin, who sees the account in the list, is told only owners act on an owner's account.
        setup
            .admin
            .call(
                "delete_saml_account",
                &[
                    ("identifier", IDENTIFIER),
                    ("remote_id", "mia@corp.example"),
                ],
            )
            .await
            .assert_error(403, "permission_denied");
        setup
            .app
            .api(
                "DELETE",
                &format!("/api/v1/identity-providers/{IDENTIFIER}/saml-accounts/nobody"),
                Some(&key),
                None,
            )
            .await
            .assert_error(404, "sso.account_not_found");
        assert_eq!(
            mia.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );

        // With Ada (password) owner again, both accounts can go: Max by the API, Mia from the page.
        mia.call(
            "change_member_role",
            &[
                ("organization_id", &org),
                ("user_id", &ada_id),
                ("role", "owner"),
            ],
        )
        .await
        .assert_ok();
        setup
            .app
            .api(
                "DELETE",
                &format!(
                    "/api/v1/identity-providers/{IDENTIFIER}/saml-accounts/max%40corp.example"
                ),
                Some(&key),
                None,
            )
            .await
            .assert_status(204);
        assert_eq!(max.signed_in_email().await, None);
        setup
            .admin
            .call(
                "delete_saml_account",
                &[
                    ("identifier", IDENTIFIER),
                    ("remote_id", "mia@corp.example"),
                ],
            )
            .await
            .assert_ok();
        assert_eq!(mia.signed_in_email().await, None);
        assert_eq!(detail(&setup, IDENTIFIER).await["linked_accounts"], 0);
        setup
            .admin
            .call("delete_identity_provider", &[("identifier", IDENTIFIER)])
            .await
            .assert_ok();
    }
}
