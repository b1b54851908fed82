//! One trust model (issue 13), attack by attack through the real app on every database: who may configure an
//! identity provider's trust (an owner of every organization it serves), who may link it to an organization (that
//! organization's owner), and that an organization allowing only single sign-on never loses its last provider.
//! Each attack is refused with its code next to the legitimate path that still works.

use crate::helpers::{backends, member_id, Browser};
use crate::saml_idp::*;
use crate::sso::{
    admin_bob, detail, metadata, post_response, provision, register, setup, sso_login, Setup,
    IDENTIFIER, SSO_URL,
};

/// The provider's settings form as the page posts it, with `extra` fields on top.
async fn update_settings(browser: &Browser, extra: &[(&str, &str)]) -> crate::helpers::Reply {
    let mut form = vec![
        ("current_identifier", IDENTIFIER),
        ("name", "Acme Entra ID"),
        ("identifier", IDENTIFIER),
        ("name_id_format", "email"),
        ("allow_merge", "on"),
        ("allow_pre_provisioned", "on"),
    ];
    form.extend_from_slice(extra);
    browser.call("update_identity_provider", &form).await
}

async fn replace_source(browser: &Browser, metadata: &str) -> crate::helpers::Reply {
    browser
        .call(
            "replace_identity_provider_source",
            &[
                ("identifier", IDENTIFIER),
                ("source", "metadata"),
                ("metadata", metadata),
            ],
        )
        .await
}

/// Metadata naming a certificate the attacker holds.
fn attacker_metadata() -> String {
    idp_metadata(
        IDP_ENTITY_ID,
        SSO_URL,
        &[attacker_key()],
        &[EMAIL_FORMAT],
        REDIRECT_BINDING,
    )
}

async fn link(browser: &Browser, organization_id: i64) -> crate::helpers::Reply {
    browser
        .call(
            "set_identity_provider_organization",
            &[
                ("identifier", IDENTIFIER),
                ("organization_id", &organization_id.to_string()),
            ],
        )
        .await
}

pub(crate) async fn change_role(owner: &Browser, organization_id: i64, email: &str, role: &str) {
    let org = organization_id.to_string();
    let user_id = member_id(owner, &org, email).await;
    owner
        .call(
            "change_member_role",
            &[
                ("organization_id", &org),
                ("user_id", &user_id),
                ("role", role),
            ],
        )
        .await
        .assert_ok();
}

/// What switching "only allow login through my identity provider" on needs, made the real way: Mia
/// (pre-provisioned, made an admin after her first SSO login) and an owner-role key, the break-glass (returned).
async fn prepare_enforcement(setup: &Setup) -> String {
    let org = setup.organization_id.to_string();
    provision(setup, "mia@corp.example").await;
    let mia = setup.app.browser();
    let signed_in = sso_login(setup, &mia, "mia@corp.example", "_trust-provision").await;
    assert_eq!(signed_in.status().as_u16(), 303);
    change_role(
        &setup.admin,
        setup.organization_id,
        "mia@corp.example",
        "admin",
    )
    .await;
    setup
        .admin
        .call(
            "create_organization_api_key",
            &[
                ("organization_id", org.as_str()),
                ("name", "Break-glass"),
                ("role", "owner"),
                ("expires_in_days", "never"),
            ],
        )
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Mia signs in through the provider and switches enforcement on; returns her browser.
async fn enforce(setup: &Setup, assertion_id: &str) -> Browser {
    let mia = setup.app.browser();
    let signed_in = sso_login(setup, &mia, "mia@corp.example", assertion_id).await;
    assert_eq!(signed_in.status().as_u16(), 303);
    mia.call(
        "enable_sso_enforcement",
        &[("organization_id", &setup.organization_id.to_string())],
    )
    .await
    .assert_ok();
    mia
}

/// The break-glass key switches enforcement off; the owner logs in with her password again.
async fn break_glass(setup: &Setup, key: &str) -> Browser {
    setup
        .app
        .api(
            "PUT",
            &format!("/api/v1/organizations/{}", setup.organization_id),
            Some(key),
            Some(serde_json::json!({"enforce_authentication_method": null})),
        )
        .await
        .assert_status(200);
    let ada = setup.app.browser();
    ada.log_in("ada@corp.example", crate::helpers::PASSWORD)
        .await
        .assert_ok();
    ada
}

async fn second_organization(setup: &Setup, owner: &Browser, name: &str) -> i64 {
    let reply = owner.call("create_organization", &[("name", name)]).await;
    reply.assert_ok();
    let _ = setup;
    reply.body.as_i64().unwrap()
}

/// Attack 1: an admin (not an owner) registers an identity provider with a certificate they hold, or rewrites the
/// registered one, to sign themselves in as an owner. Only owners configure trust; admins still see everything.
#[tokio::test]
async fn an_admin_cannot_register_or_reconfigure_an_identity_provider() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let bob = admin_bob(&setup).await;
        let org = setup.organization_id.to_string();
        // Bob's own provider, IdP-initiated, for Acme: refused, and nothing is registered.
        let refused = bob
            .call(
                "create_identity_provider",
                &[
                    ("organization_id", org.as_str()),
                    ("name", "Bob's IdP"),
                    ("identifier", "bobs"),
                    ("source", "metadata"),
                    ("metadata", &attacker_metadata()),
                    ("name_id_format", "email"),
                    ("allow_pre_provisioned", "on"),
                    ("allow_idp_initiated", "on"),
                ],
            )
            .await;
        let body = refused.assert_error(403, "idp.link_needs_owner");
        assert!(
            body["message"].as_str().unwrap().contains("Acme Corp"),
            "{body}"
        );
        let unsolicited = ResponseSpec {
            key: attacker_key(),
            key_info: Some(attacker_key()),
            ..ResponseSpec::for_app(
                &setup.app.state.config.base_url,
                "bobs",
                setup.app.state.now(),
            )
        }
        .answering(None)
        .build();
        let stranger = setup.app.browser();
        stranger.visit().await;
        let answer = stranger
            .client
            .post(format!("{}/saml/bobs/acs", stranger.address))
            .form(&[(
                "SAMLResponse",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &unsolicited),
            )])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 404, "no such provider");

        // The owner registers the real one.
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        // Bob can neither switch on IdP-initiated login nor swap in his certificate...
        update_settings(&bob, &[("allow_idp_initiated", "on")])
            .await
            .assert_error(403, "idp.owner_of_every_organization_required");
        replace_source(&bob, &attacker_metadata())
            .await
            .assert_error(403, "idp.owner_of_every_organization_required");
        // ...so a response signed with his key still signs nobody in.
        let bob_browser = setup.app.browser();
        bob_browser.visit().await;
        let forged = ResponseSpec {
            key: attacker_key(),
            key_info: Some(attacker_key()),
            ..crate::sso::spec(&setup.app, None)
        }
        .for_name_id("ada@corp.example")
        .build();
        assert_eq!(
            post_response(&bob_browser, &forged, "")
                .await
                .status()
                .as_u16(),
            403
        );
        // He still sees the provider and its diagnostics.
        let seen = bob
            .call_raw("identity_provider", &[("identifier", IDENTIFIER)])
            .await;
        seen.assert_ok();
        assert!(seen.body["recent_failures"].as_array().is_some());
        assert_eq!(
            seen.body["can_configure"], false,
            "the page shows him the forms disabled"
        );
        assert_eq!(detail(&setup, IDENTIFIER).await["can_configure"], true);
        // The owner changes the settings.
        update_settings(&setup.admin, &[("allow_idp_initiated", "on")])
            .await
            .assert_ok();
        assert_eq!(
            detail(&setup, IDENTIFIER).await["allow_idp_initiated"],
            true
        );
        // The owners hear of every change to who the provider lets in.
        let told = setup
            .app
            .mail
            .wait_for("ada@corp.example", "Single sign-on changed for Acme Corp")
            .await;
        assert!(told.body().contains("Ada Admin"), "{}", told.body());
    }
}

/// Attack 2: on a provider shared by two organizations, an owner of one rewrites its trust and signs in to the
/// other; or links a provider they control to an organization they only administer.
#[tokio::test]
async fn one_organization_cannot_rewrite_a_shared_providers_trust_or_link_it_without_the_owner() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        // Bob owns Beta; Ada owns Acme and is an admin of Beta.
        let bob = setup.app.signed_in_user("Bob", "bob@beta.example").await;
        let beta = second_organization(&setup, &bob, "Beta Ltd").await;
        crate::helpers::join_organization(
            &setup.app,
            &bob,
            &setup.admin,
            beta,
            "ada@corp.example",
            "admin",
        )
        .await;
        // Ada cannot link Acme's provider into Beta: only Beta's owner lets a provider in there.
        link(&setup.admin, beta)
            .await
            .assert_error(403, "idp.link_needs_owner");
        // Bob owns Beta but administers nothing the provider serves: it does not exist for him.
        link(&bob, beta).await.assert_error(404, "idp.not_found");
        // Made an admin of Acme, Bob owns Beta but not Acme: he cannot add Beta either, since adding an
        // organization gives its owners a say in the provider's trust (and an admin who owns an organization of
        // their own could otherwise add it, unlink the others and take the provider over).
        crate::helpers::join_organization(
            &setup.app,
            &setup.admin,
            &bob,
            setup.organization_id,
            "bob@beta.example",
            "admin",
        )
        .await;
        link(&bob, beta)
            .await
            .assert_error(403, "idp.owner_of_every_organization_required");
        // An owner of both links it; then Ada goes back to being an admin of Beta.
        change_role(&bob, beta, "ada@corp.example", "owner").await;
        link(&setup.admin, beta).await.assert_ok();
        change_role(&bob, beta, "ada@corp.example", "admin").await;
        // Both organizations' owners are told, and both audit logs have it.
        setup
            .app
            .mail
            .wait_for("bob@beta.example", "Single sign-on changed for Beta Ltd")
            .await;
        setup
            .app
            .mail
            .wait_for("ada@corp.example", "Single sign-on changed for Acme Corp")
            .await;

        // Now shared: Ada, owner of Acme only, can no longer change who it lets in.
        let refused = update_settings(&setup.admin, &[("allow_jit_accounts", "on")]).await;
        let body = refused.assert_error(403, "idp.owner_of_every_organization_required");
        assert!(
            body["message"].as_str().unwrap().contains("Beta Ltd"),
            "{body}"
        );
        replace_source(&setup.admin, &attacker_metadata())
            .await
            .assert_error(403, "idp.owner_of_every_organization_required");
        update_settings(&setup.admin, &[("allow_sha1", "on")])
            .await
            .assert_error(403, "idp.owner_of_every_organization_required");
        // Bob is no owner of Acme either.
        update_settings(&bob, &[("allow_jit_accounts", "on")])
            .await
            .assert_error(403, "idp.owner_of_every_organization_required");
        // An owner of both may.
        change_role(&bob, beta, "ada@corp.example", "owner").await;
        update_settings(&setup.admin, &[("allow_jit_accounts", "on")])
            .await
            .assert_ok();
        assert_eq!(detail(&setup, IDENTIFIER).await["allow_jit_accounts"], true);
    }
}

/// Attack 7: with "only allow login through my identity provider" on, the organization's last provider is
/// deleted or unlinked, leaving it enforced onto nothing. Refused until enforcement is off.
#[tokio::test]
async fn an_enforcing_organizations_last_identity_provider_cannot_be_deleted_or_unlinked() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        // A second organization keeps the provider linked when Acme unlinks it.
        let other = second_organization(&setup, &setup.admin, "Acme Labs").await;
        setup
            .admin
            .call(
                "set_identity_provider_organization",
                &[
                    ("identifier", IDENTIFIER),
                    ("organization_id", &other.to_string()),
                ],
            )
            .await
            .assert_ok();
        let key = prepare_enforcement(&setup).await;
        let mia = enforce(&setup, "_trust-7a").await;
        // Mia (an admin of Acme) cannot unlink Acme, its only provider.
        let refused = mia
            .call(
                "remove_identity_provider_organization",
                &[("identifier", IDENTIFIER), ("organization_id", &org)],
            )
            .await;
        let body = refused.assert_error(409, "idp.needed_by_enforcement");
        assert!(
            body["message"].as_str().unwrap().contains("Acme Corp"),
            "{body}"
        );
        // Off again, Ada unlinks the organization that does not enforce (fine at any time).
        let ada = break_glass(&setup, &key).await;
        ada.call(
            "remove_identity_provider_organization",
            &[
                ("identifier", IDENTIFIER),
                ("organization_id", &other.to_string()),
            ],
        )
        .await
        .assert_ok();
        // Enforced again, the provider cannot be deleted either.
        let mia = enforce(&setup, "_trust-7b").await;
        mia.call("delete_identity_provider", &[("identifier", IDENTIFIER)])
            .await
            .assert_error(409, "idp.needed_by_enforcement");
        // Enforcement off, the provider can go (its SAML account first).
        let ada = break_glass(&setup, &key).await;
        ada.call(
            "delete_saml_account",
            &[
                ("identifier", IDENTIFIER),
                ("remote_id", "mia@corp.example"),
            ],
        )
        .await
        .assert_ok();
        ada.call("delete_identity_provider", &[("identifier", IDENTIFIER)])
            .await
            .assert_ok();
    }
}

/// Signs `browser` in through the provider `identifier` (not the setup's) as `email`.
pub(crate) async fn sso_login_at(
    setup: &Setup,
    browser: &Browser,
    identifier: &str,
    email: &str,
    assertion_id: &str,
) -> u16 {
    let (request_id, _, _) =
        crate::sso::start_login_at(browser, &format!("/saml/{identifier}")).await;
    let mut response = ResponseSpec::for_app(
        &setup.app.state.config.base_url,
        identifier,
        setup.app.state.now(),
    )
    .answering(Some(&request_id))
    .for_name_id(email);
    response.assertion_id = assertion_id.into();
    let encoded =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, response.build());
    browser
        .client
        .post(format!("{}/saml/{identifier}/acs", browser.address))
        .form(&[("SAMLResponse", encoded.as_str())])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Attack 3: with "only allow login through my identity provider" on, the side doors. A personal API key made
/// before, an SSO session from another organization's provider, and a password session accepting an invitation
/// all get `auth.sso_enforced` (with the login URL) in the enforcing organization, while the same person keeps full
/// access elsewhere and the organization's own key keeps working.
#[tokio::test]
async fn enforcement_is_checked_where_access_happens() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        // Bob, an admin with a password, made a personal key; he also has a fleet of his own.
        let bob = admin_bob(&setup).await;
        let bob_key = bob
            .call(
                "create_personal_api_key",
                &[("name", "laptop"), ("expires_in_days", "never")],
            )
            .await
            .body["secret"]
            .as_str()
            .unwrap()
            .to_string();
        let own_fleet = setup
            .app
            .api(
                "POST",
                "/api/v1/fleets",
                Some(&bob_key),
                Some(serde_json::json!({"name": "Bob's own"})),
            )
            .await;
        own_fleet.assert_status(201);
        let own_fleet_id = own_fleet.body["id"].as_i64().unwrap();
        // A second organization with its own provider, where Zed signs in; Zed is also a member of Acme.
        let labs = second_organization(&setup, &setup.admin, "Acme Labs").await;
        setup
            .admin
            .call(
                "create_identity_provider",
                &[
                    ("organization_id", &labs.to_string()),
                    ("name", "Labs IdP"),
                    ("identifier", "labs"),
                    ("source", "metadata"),
                    ("metadata", &metadata()),
                    ("name_id_format", "email"),
                    ("allow_pre_provisioned", "on"),
                ],
            )
            .await
            .assert_ok();
        setup
            .admin
            .call(
                "add_provisioned_member",
                &[
                    ("organization_id", &labs.to_string()),
                    ("email", "zed@corp.example"),
                    ("name", "Zed Labs"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let zed = setup.app.browser();
        assert_eq!(
            sso_login_at(&setup, &zed, "labs", "zed@corp.example", "_labs-1").await,
            303
        );
        setup
            .admin
            .call(
                "invite_member",
                &[
                    ("organization_id", org.as_str()),
                    ("email", "zed@corp.example"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let mail = setup.app.mail.wait_for("zed@corp.example", "Join ").await;
        let zed_token = crate::helpers::token_of(&mail.link_path());
        zed.call("accept_invitation", &[("token", zed_token.as_str())])
            .await
            .assert_ok();
        // Pat has a password and an invitation to Acme, not yet accepted.
        let pat = setup
            .app
            .signed_in_user("Pat", "pat@elsewhere.example")
            .await;
        setup
            .admin
            .call(
                "invite_member",
                &[
                    ("organization_id", org.as_str()),
                    ("email", "pat@elsewhere.example"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let mail = setup
            .app
            .mail
            .wait_for("pat@elsewhere.example", "Join ")
            .await;
        let pat_token = crate::helpers::token_of(&mail.link_path());

        let key = prepare_enforcement(&setup).await;
        let mia = enforce(&setup, "_trust-3").await;

        // (a) Bob's personal key no longer reaches Acme...
        let path = format!("/api/v1/organizations/{org}");
        let refused = setup.app.api("GET", &path, Some(&bob_key), None).await;
        let body = refused.assert_error(403, "auth.sso_enforced");
        assert!(
            body["message"].as_str().unwrap().contains("/saml/acme"),
            "{body}"
        );
        setup
            .app
            .api(
                "POST",
                "/api/v1/fleets",
                Some(&bob_key),
                Some(
                    serde_json::json!({"name": "Sneaky", "organization_id": setup.organization_id}),
                ),
            )
            .await
            .assert_error(403, "auth.sso_enforced");
        let listed = setup
            .app
            .api("GET", "/api/v1/organizations", Some(&bob_key), None)
            .await;
        listed.assert_status(200);
        assert_eq!(
            listed.body["data"].as_array().unwrap().len(),
            0,
            "{}",
            listed.body
        );
        // ...but still his own fleet, and the organization's key still works.
        setup
            .app
            .api(
                "GET",
                &format!("/api/v1/fleets/{own_fleet_id}"),
                Some(&bob_key),
                None,
            )
            .await
            .assert_status(200);
        setup
            .app
            .api("GET", &path, Some(&key), None)
            .await
            .assert_status(200);

        // (b) Zed's session came from Labs' provider: refused in Acme, welcome in Labs.
        zed.call_raw("organization", &[("organization_id", org.as_str())])
            .await
            .assert_error(403, "auth.sso_enforced");
        zed.call_raw("organization", &[("organization_id", &labs.to_string())])
            .await
            .assert_ok();
        // Mia's session came through Acme's own provider: Acme opens.
        mia.call_raw("organization", &[("organization_id", org.as_str())])
            .await
            .assert_ok();
        // (c) Pat's password session cannot accept the invitation into Acme.
        let refused = pat
            .call("accept_invitation", &[("token", pat_token.as_str())])
            .await;
        refused.assert_error(403, "auth.sso_enforced");
        // Once enforcement is off, each of them gets in.
        break_glass(&setup, &key).await;
        pat.call("accept_invitation", &[("token", pat_token.as_str())])
            .await
            .assert_ok();
        zed.call_raw("organization", &[("organization_id", org.as_str())])
            .await
            .assert_ok();
        setup
            .app
            .api("GET", &path, Some(&bob_key), None)
            .await
            .assert_status(200);
    }
}

/// Attack 6, first half: the identity provider ends its own session sooner than ours would (SessionNotOnOrAfter);
/// our SSO session ends with it, not at the provider's lifetime setting (12 hours by default).
#[tokio::test]
async fn an_sso_session_ends_when_the_identity_providers_session_does() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        // Mia's login, answered with the provider's session ending `minutes` after the response was issued.
        let answered = |minutes: i64| {
            let setup = &setup;
            async move {
                let browser = setup.app.browser();
                let (request_id, _) = crate::sso::start_login(&browser, None).await;
                let response =
                    crate::sso::spec(&setup.app, Some(&request_id)).for_name_id("mia@corp.example");
                let issued = response.issue_instant;
                let stamp =
                    |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
                let session_end = stamp(issued + chrono::Duration::minutes(minutes));
                let mut response = response.editing(
                    &format!(
                        "SessionNotOnOrAfter=\"{}\"",
                        stamp(issued + chrono::Duration::hours(8))
                    ),
                    &format!("SessionNotOnOrAfter=\"{session_end}\""),
                );
                response.assertion_id = format!("_session-end-{minutes}");
                let xml = response.build();
                assert!(xml.contains(&session_end));
                let answer = post_response(&browser, &xml, "").await;
                (browser, answer)
            }
        };
        let sign_in = |minutes: i64| {
            let answered = &answered;
            async move {
                let (mia, answer) = answered(minutes).await;
                assert_eq!(answer.status().as_u16(), 303);
                mia
            }
        };
        let mia = sign_in(30).await;
        setup.app.clock.advance(chrono::Duration::minutes(29));
        assert_eq!(mia.visit().await["user"]["email"], "mia@corp.example");
        setup.app.clock.advance(chrono::Duration::minutes(2));
        assert!(
            mia.visit().await["user"].is_null(),
            "ended with the provider's session"
        );
        // Without an earlier end from the provider, the session lives on past that.
        let mia = sign_in(8 * 60).await;
        setup.app.clock.advance(chrono::Duration::minutes(31));
        assert_eq!(mia.visit().await["user"]["email"], "mia@corp.example");
        // An assertion whose provider session has already ended (beyond the clock skew) opens none at all.
        let (late, answer) = answered(-10).await;
        let page = crate::sso::refused_with(answer, 403, "saml.session_ended").await;
        assert!(page.contains("session for you has already ended"), "{page}");
        assert!(late.visit().await["user"].is_null());
        let newest = detail(&setup, IDENTIFIER).await["recent_failures"][0]["diagnosis"].clone();
        assert!(
            newest.to_string().contains("SessionNotOnOrAfter"),
            "{newest}"
        );
    }
}

/// Attack 6, second half: a break-glass key that expires could lapse and leave an enforcing organization with no
/// way back in. Only owner-role keys without expiry count, for switching enforcement on and for the guard that
/// keeps the last one.
#[tokio::test]
async fn only_a_key_without_expiry_is_a_break_glass() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let mia = setup.app.browser();
        assert_eq!(
            sso_login(&setup, &mia, "mia@corp.example", "_glass-1")
                .await
                .status()
                .as_u16(),
            303
        );
        change_role(
            &setup.admin,
            setup.organization_id,
            "mia@corp.example",
            "owner",
        )
        .await;
        let owner_key = |expires: &'static str| {
            let setup = &setup;
            let org = org.clone();
            async move {
                setup
                    .admin
                    .call(
                        "create_organization_api_key",
                        &[
                            ("organization_id", org.as_str()),
                            ("name", &format!("Owner key ({expires})")),
                            ("role", "owner"),
                            ("expires_in_days", expires),
                        ],
                    )
                    .await
            }
        };
        let expiring = owner_key("30").await;
        expiring.assert_ok();
        let expiring_id = expiring.body["key"]["id"].to_string();
        let mia = setup.app.browser();
        assert_eq!(
            sso_login(&setup, &mia, "mia@corp.example", "_glass-2")
                .await
                .status()
                .as_u16(),
            303
        );
        let refused = mia
            .call(
                "enable_sso_enforcement",
                &[("organization_id", org.as_str())],
            )
            .await;
        refused.assert_error(409, "enforcement.break_glass_key_required");
        let status = mia
            .call_raw("sso_enforcement", &[("organization_id", org.as_str())])
            .await;
        assert_eq!(status.body["break_glass_keys"], 0, "{}", status.body);
        assert!(
            status.body["blockers"].to_string().contains("no expiry"),
            "{}",
            status.body
        );
        let lasting = owner_key("never").await;
        lasting.assert_ok();
        let lasting_id = lasting.body["key"]["id"].to_string();
        mia.call(
            "enable_sso_enforcement",
            &[("organization_id", org.as_str())],
        )
        .await
        .assert_ok();
        // While enforced, the expiring key may go; the lasting one, the only break-glass, may not.
        let revoke = |key_id: String| {
            let mia = &mia;
            let org = org.clone();
            async move {
                mia.call(
                    "revoke_organization_api_key",
                    &[
                        ("organization_id", org.as_str()),
                        ("key_id", key_id.as_str()),
                    ],
                )
                .await
            }
        };
        revoke(lasting_id.clone())
            .await
            .assert_error(409, "enforcement.break_glass_key_required");
        revoke(expiring_id).await.assert_ok();
        // Two owners revoking the last two break-glass keys at the same moment: one is refused, one key stays.
        // (Ada's password session ended when enforcement came on; Mia, an owner signed in by SSO, makes it.)
        let second = mia
            .call(
                "create_organization_api_key",
                &[
                    ("organization_id", org.as_str()),
                    ("name", "Second break-glass"),
                    ("role", "owner"),
                    ("expires_in_days", "never"),
                ],
            )
            .await;
        second.assert_ok();
        let second_id = second.body["key"]["id"].to_string();
        let (first, other) = tokio::join!(revoke(lasting_id), revoke(second_id));
        let refused = [&first, &other]
            .iter()
            .filter(|reply| reply.status == 409)
            .count();
        assert_eq!(refused, 1, "{first:?} {other:?}");
        let status = mia
            .call_raw("sso_enforcement", &[("organization_id", org.as_str())])
            .await;
        assert_eq!(status.body["break_glass_keys"], 1, "{}", status.body);
    }
}

/// Attack 4: through a provider with just-in-time accounts on, a stranger probes which addresses have accounts by
/// reading the refusal, and posts the same signed response again and again. The person sees one refusal whatever
/// exists (the provider's page keeps the detail for admins), and a refused response is used up.
#[tokio::test]
async fn refusals_at_the_acs_tell_nothing_about_accounts_and_cannot_be_replayed() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(
            &setup,
            IDENTIFIER,
            &metadata(),
            &[("allow_jit_accounts", "on")],
        )
        .await
        .assert_ok();
        let probe = |email: &'static str, assertion_id: &'static str| {
            let setup = &setup;
            async move {
                let browser = setup.app.browser();
                let (request_id, _) = crate::sso::start_login(&browser, None).await;
                let mut response =
                    crate::sso::spec(&setup.app, Some(&request_id)).for_name_id(email);
                response.assertion_id = assertion_id.into();
                let xml = response.build();
                let first = post_response(&browser, &xml, "").await;
                assert_eq!(first.status().as_u16(), 403);
                let page = first.text().await.unwrap();
                (page, browser, xml)
            }
        };
        // Ada has a password account in the provider's organization; nobody@ has none (and corp.example is not a
        // verified domain, so just-in-time creates nothing).
        let (ada_page, ada_browser, ada_xml) = probe("ada@corp.example", "_probe-1").await;
        let (nobody_page, _, _) = probe("nobody@corp.example", "_probe-2").await;
        assert_eq!(ada_page, nobody_page, "the same page whatever exists");
        assert!(ada_page.contains("sso.no_account"));
        // The admins see why, each time.
        let failures = detail(&setup, IDENTIFIER).await["recent_failures"].to_string();
        assert!(
            failures.contains("ada@corp.example has a password account"),
            "{failures}"
        );
        assert!(
            failures.contains("corp.example is not a verified domain"),
            "{failures}"
        );
        // The same signed response, posted again, is a replay.
        let again = post_response(&ada_browser, &ada_xml, "").await;
        assert_eq!(again.status().as_u16(), 403);
        assert!(again.text().await.unwrap().contains("saml.replayed"));
        // A person the provider may sign in still gets in.
        provision(&setup, "mia@corp.example").await;
        let mia = setup.app.browser();
        assert_eq!(
            sso_login(&setup, &mia, "mia@corp.example", "_probe-3")
                .await
                .status()
                .as_u16(),
            303
        );
    }
}

/// Attack 5: login CSRF. A page elsewhere sends a signed-in visitor through a login at a provider the attacker
/// controls (or posts an IdP-initiated response), to swap the visitor into the attacker's account. Such a login
/// waits for the person to confirm ("Continue as … via …?"); the visitor stays who they were until they do.
/// The bookmarked login URL still works in one step, and signing in again as oneself is not asked about.
#[tokio::test]
async fn an_sso_login_that_would_swap_the_visitors_account_is_confirmed_first() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(
            &setup,
            IDENTIFIER,
            &metadata(),
            &[("allow_idp_initiated", "on")],
        )
        .await
        .assert_ok();
        provision(&setup, "mallory@corp.example").await;
        provision(&setup, "mia@corp.example").await;
        // Ada is signed in (password). The attacker's page navigates her browser to the login URL and has the
        // provider answer for Mallory.
        let ada = &setup.admin;
        let (request_id, _) = crate::sso::start_login(ada, None).await;
        let mut response =
            crate::sso::spec(&setup.app, Some(&request_id)).for_name_id("mallory@corp.example");
        response.assertion_id = "_csrf-1".into();
        let answer = post_response(ada, &response.build(), "").await;
        crate::sso::confirmation_asked(answer, "mallory@corp.example").await;
        assert_eq!(
            ada.signed_in_email().await.as_deref(),
            Some("ada@corp.example"),
            "still Ada"
        );
        // An IdP-initiated response posted into her browser: the same.
        let mut unsolicited =
            crate::sso::spec(&setup.app, None).for_name_id("mallory@corp.example");
        unsolicited.assertion_id = "_csrf-2".into();
        let answer = post_response(ada, &unsolicited.build(), "").await;
        crate::sso::confirmation_asked(answer, "mallory@corp.example").await;
        assert_eq!(
            ada.signed_in_email().await.as_deref(),
            Some("ada@corp.example")
        );
        // Only her own click would continue (the form needs her CSRF token; a forged post is refused).
        let forged = ada
            .client
            .post(format!("{}/saml/confirm", ada.address))
            .form(&[("csrf_token", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 403);
        assert_eq!(
            ada.signed_in_email().await.as_deref(),
            Some("ada@corp.example")
        );
        let confirmed = crate::sso::confirm_sso(ada).await;
        assert_eq!(confirmed.status().as_u16(), 303);
        assert_eq!(
            ada.signed_in_email().await.as_deref(),
            Some("mallory@corp.example")
        );

        // The bookmarked login URL from a fresh browser: one step.
        let mia = setup.app.browser();
        assert_eq!(
            sso_login(&setup, &mia, "mia@corp.example", "_csrf-3")
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(
            mia.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
        // An IdP tile clicked in a fresh browser (no cookie at all): the ACS re-posts once to find cookies, then
        // asks, binding the waiting login to a cookie it sets; the click signs her in.
        let fresh = setup.app.browser();
        let mut tile = crate::sso::spec(&setup.app, None).for_name_id("mia@corp.example");
        tile.assertion_id = "_csrf-5".into();
        let encoded =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, tile.build());
        let first = post_response(&fresh, &tile.build(), "").await;
        assert_eq!(first.status().as_u16(), 200);
        assert!(first.text().await.unwrap().contains("cookie_check"));
        let asked = fresh
            .client
            .post(format!("{}/saml/{IDENTIFIER}/acs", fresh.address))
            .form(&[("SAMLResponse", encoded.as_str()), ("cookie_check", "1")])
            .send()
            .await
            .unwrap();
        crate::sso::confirmation_asked(asked, "mia@corp.example").await;
        let confirmed = crate::sso::confirm_sso(&fresh).await;
        assert_eq!(confirmed.status().as_u16(), 303);
        assert_eq!(
            fresh.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );

        // Signing in again as herself while signed in: one step too.
        assert_eq!(
            sso_login(&setup, &mia, "mia@corp.example", "_csrf-4")
                .await
                .status()
                .as_u16(),
            303
        );
        assert_eq!(
            mia.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
    }
}

/// Refused logins at a shared provider carry what other organizations' people sent (their addresses among them):
/// an admin of one of its organizations does not read them; an admin of every organization it serves does.
#[tokio::test]
async fn refused_logins_of_a_shared_provider_stay_with_those_who_administer_all_it_serves() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let beta = second_organization(&setup, &setup.admin, "Beta Ltd").await;
        link(&setup.admin, beta).await.assert_ok();
        let bob = admin_bob(&setup).await;
        // Someone of Beta's the provider may not sign in is refused; the refusal names their address.
        let stranger = setup.app.browser();
        let answer = sso_login(&setup, &stranger, "someone@beta.example", "_shared-1").await;
        assert_eq!(answer.status().as_u16(), 403);
        let ada_view = detail(&setup, IDENTIFIER).await;
        assert_eq!(ada_view["failures_visible"], true);
        let shown = ada_view["recent_failures"].to_string();
        assert!(shown.contains("someone@beta.example"), "{shown}");
        let bob_view = bob
            .call_raw("identity_provider", &[("identifier", IDENTIFIER)])
            .await
            .body;
        assert_eq!(bob_view["failures_visible"], false, "{bob_view}");
        assert_eq!(bob_view["recent_failures"], serde_json::json!([]));
        // Once the provider serves Acme alone, Bob reads them again.
        setup
            .admin
            .call(
                "remove_identity_provider_organization",
                &[
                    ("identifier", IDENTIFIER),
                    ("organization_id", &beta.to_string()),
                ],
            )
            .await
            .assert_ok();
        let bob_view = bob
            .call_raw("identity_provider", &[("identifier", IDENTIFIER)])
            .await
            .body;
        assert_eq!(bob_view["failures_visible"], true, "{bob_view}");
        assert!(bob_view["recent_failures"]
            .to_string()
            .contains("someone@beta.example"));
    }
}
