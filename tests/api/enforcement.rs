//! SSO enforcement ("Only allow login through my identity provider"): the guards for switching it on (a fresh SSO
//! login with the provider's current configuration, a break-glass key), what it does to password logins and
//! sessions, switching it off with the owner-role key over the REST API, and the audit trail of every switch.

use chrono::Duration;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{backends, member_id, Browser, PASSWORD};
use crate::sso::{admin_bob, metadata, provision, register, setup, sso_login, Setup, IDENTIFIER};

async fn enable(browser: &Browser, organization_id: &str) -> crate::helpers::Reply {
    browser
        .call(
            "enable_sso_enforcement",
            &[("organization_id", organization_id)],
        )
        .await
}

/// Mia, pre-provisioned and made an admin, signed in through the identity provider just now.
async fn admin_signed_in_by_sso(setup: &Setup, assertion_id: &str) -> Browser {
    let mia = setup.app.browser();
    let response = sso_login(setup, &mia, "mia@corp.example", assertion_id).await;
    assert_eq!(response.status().as_u16(), 303);
    mia
}

/// An organization key of the setup's organization with `role` and no expiry, made by its owner; returns the secret.
pub(crate) async fn create_key(setup: &Setup, role: &str) -> String {
    setup
        .admin
        .call(
            "create_organization_api_key",
            &[
                ("organization_id", &setup.organization_id.to_string()),
                ("name", &format!("{role} key")),
                ("role", role),
                ("expires_in_days", "never"),
            ],
        )
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The organization's audit trail: (action, outcome) in order.
async fn audit_trail(setup: &Setup) -> Vec<(String, String)> {
    let db = &setup.app.state.db;
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        format!(
            "SELECT action, outcome FROM audit_events WHERE organization_id = {} ORDER BY id",
            setup.organization_id
        ),
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| {
        (
            row.try_get::<String>("", "action").unwrap(),
            row.try_get::<String>("", "outcome").unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn enforcement_needs_a_fresh_sso_login_with_the_current_configuration_and_a_break_glass_key()
{
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let mia = admin_signed_in_by_sso(&setup, "_enforce-1").await;
        let mia_id = member_id(&setup.admin, &org, "mia@corp.example").await;
        setup
            .admin
            .call(
                "change_member_role",
                &[
                    ("organization_id", &org),
                    ("user_id", &mia_id),
                    ("role", "admin"),
                ],
            )
            .await
            .assert_ok();

        // A password session cannot switch it on; the page says what is missing.
        let refused = enable(&setup.admin, &org).await;
        let body = refused.assert_error(409, "enforcement.fresh_sso_login_required");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("signed in with a password"),
            "{body}"
        );
        let status = mia
            .call_raw("sso_enforcement", &[("organization_id", &org)])
            .await;
        status.assert_ok();
        assert_eq!(status.body["enforced_at"], serde_json::Value::Null);
        assert_eq!(status.body["break_glass_keys"], 0);
        assert_eq!(status.body["blockers"].as_array().unwrap().len(), 1);

        // Without a break-glass key, not even a fresh SSO login can.
        enable(&mia, &org)
            .await
            .assert_error(409, "enforcement.break_glass_key_required");
        create_key(&setup, "admin").await;
        enable(&mia, &org)
            .await
            .assert_error(409, "enforcement.break_glass_key_required");
        let break_glass = create_key(&setup, "owner").await;

        // An edit of the identity provider makes the login stale: its configuration is unproven.
        setup
            .admin
            .call(
                "update_identity_provider",
                &[
                    ("current_identifier", IDENTIFIER),
                    ("name", "Acme Entra ID (new)"),
                    ("identifier", IDENTIFIER),
                    ("name_id_format", "email"),
                    ("allow_merge", "on"),
                    ("allow_pre_provisioned", "on"),
                ],
            )
            .await
            .assert_ok();
        let refused = enable(&mia, &org).await;
        let body = refused.assert_error(409, "enforcement.fresh_sso_login_required");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("was changed after you signed in"),
            "{body}"
        );

        // A login with the current configuration, but more than 15 minutes ago.
        let mia = admin_signed_in_by_sso(&setup, "_enforce-2").await;
        setup.app.clock.advance(Duration::minutes(16));
        let refused = enable(&mia, &org).await;
        let body = refused.assert_error(409, "enforcement.fresh_sso_login_required");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("more than 15 minutes ago"),
            "{body}"
        );

        // Fresh and current, with a break-glass key: on. Password sessions of members end; owners are told.
        let mia = admin_signed_in_by_sso(&setup, "_enforce-3").await;
        enable(&mia, &org).await.assert_ok();
        assert_eq!(setup.admin.signed_in_email().await, None);
        assert_eq!(
            mia.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
        setup
            .app
            .mail
            .wait_for("ada@corp.example", "now allows only single sign-on")
            .await;
        let ada = setup.app.browser();
        let refused = ada.log_in("ada@corp.example", PASSWORD).await;
        let body = refused.assert_error(403, "auth.sso_enforced");
        assert!(
            body["message"].as_str().unwrap().contains("/saml/acme"),
            "{body}"
        );
        // A wrong password still gets the usual answer: enforcement tells nothing to strangers.
        ada.log_in("ada@corp.example", "wrong-password-1")
            .await
            .assert_error(401, "auth.invalid_credentials");
        // Nor can anyone join it with a password from an invitation.
        mia.call(
            "invite_member",
            &[
                ("organization_id", &org),
                ("email", "carl@corp.example"),
                ("role", "member"),
            ],
        )
        .await
        .assert_ok();
        let mail = setup.app.mail.wait_for("carl@corp.example", "Join").await;
        let token = crate::helpers::token_of(&mail.link_path());
        let refused = setup
            .app
            .browser()
            .call(
                "sign_up",
                &[
                    ("name", "Carl"),
                    ("email", "carl@corp.example"),
                    ("password", PASSWORD),
                    ("invitation", &token),
                ],
            )
            .await;
        let body = refused.assert_error(403, "auth.sso_enforced");
        assert!(
            body["message"].as_str().unwrap().contains("/saml/acme"),
            "{body}"
        );

        let path = format!("/api/v1/organizations/{org}");
        let organization = setup.app.api("GET", &path, Some(&break_glass), None).await;
        assert_eq!(
            organization.assert_status(200)["enforce_authentication_method"],
            "saml"
        );

        // Switching it off over the API takes the owner-role key and exactly `null`.
        let admin_key = create_key_as(&mia, &org, "admin").await;
        setup
            .app
            .api(
                "PUT",
                &path,
                Some(&admin_key),
                Some(json!({"enforce_authentication_method": null})),
            )
            .await
            .assert_error(403, "permission_denied");
        setup
            .app
            .api(
                "PUT",
                &path,
                Some(&break_glass),
                Some(json!({"enforce_authentication_method": "saml"})),
            )
            .await
            .assert_error(422, "input.invalid");
        let switched = setup
            .app
            .api(
                "PUT",
                &path,
                Some(&break_glass),
                Some(json!({"enforce_authentication_method": null})),
            )
            .await;
        assert_eq!(
            switched.assert_status(200)["enforce_authentication_method"],
            serde_json::Value::Null
        );
        setup
            .app
            .mail
            .wait_for("ada@corp.example", "allows password logins again")
            .await;
        ada.log_in("ada@corp.example", PASSWORD).await.assert_ok();

        let trail = audit_trail(&setup).await;
        let has =
            |action: &str, outcome: &str| trail.iter().any(|(a, o)| a == action && o == outcome);
        assert!(has("login.sso", "success"), "{trail:?}");
        assert!(has("sso.enforcement_enabled", "success"), "{trail:?}");
        assert!(
            has("sso.enforcement_disabled_by_break_glass", "success"),
            "{trail:?}"
        );
    }
}

/// An organization key created by `browser` (an admin): at most the creator's role.
async fn create_key_as(browser: &Browser, organization_id: &str, role: &str) -> String {
    browser
        .call(
            "create_organization_api_key",
            &[
                ("organization_id", organization_id),
                ("name", "automation"),
                ("role", role),
                ("expires_in_days", "30"),
            ],
        )
        .await
        .body["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn no_role_change_or_removal_leaves_only_owners_who_cannot_sign_in() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let mia = admin_signed_in_by_sso(&setup, "_guard-1").await;
        let mia_id = member_id(&setup.admin, &org, "mia@corp.example").await;
        let ada_id = member_id(&setup.admin, &org, "ada@corp.example").await;
        // Max was added for single sign-on but never signed in: no password, no linked identity.
        setup
            .admin
            .call(
                "add_provisioned_member",
                &[
                    ("organization_id", &org),
                    ("email", "max@corp.example"),
                    ("name", "Max Member"),
                    ("role", "owner"),
                ],
            )
            .await
            .assert_ok();
        for (user, role) in [(&mia_id, "owner"), (&ada_id, "admin")] {
            let changer = if user == &mia_id { &setup.admin } else { &mia };
            changer
                .call(
                    "change_member_role",
                    &[("organization_id", &org), ("user_id", user), ("role", role)],
                )
                .await
                .assert_ok();
        }
        // Mia is the only owner who can sign in: she can neither leave nor step down.
        let refused = mia
            .call(
                "remove_member",
                &[("organization_id", &org), ("user_id", &mia_id)],
            )
            .await;
        let body = refused.assert_error(409, "organization.last_owner");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("without an owner who can still sign in"),
            "{body}"
        );
        mia.call(
            "change_member_role",
            &[
                ("organization_id", &org),
                ("user_id", &mia_id),
                ("role", "admin"),
            ],
        )
        .await
        .assert_error(409, "organization.last_owner");
        // With Ada (password) owner again, she can.
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
        mia.call(
            "change_member_role",
            &[
                ("organization_id", &org),
                ("user_id", &mia_id),
                ("role", "admin"),
            ],
        )
        .await
        .assert_ok();
    }
}

#[tokio::test]
async fn people_see_their_own_security_events_and_only_owners_read_and_export_the_organizations() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        setup
            .app
            .browser()
            .log_in("ada@corp.example", "not-her-password-1")
            .await
            .assert_error(401, "auth.invalid_credentials");
        let mine = setup.admin.call_raw("my_security_events", &[]).await;
        mine.assert_ok();
        let events = mine.body.as_array().unwrap();
        let outcomes: Vec<(&str, &str)> = events
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap(),
                    e["outcome"].as_str().unwrap(),
                )
            })
            .collect();
        assert!(
            outcomes.contains(&("login.password", "auth.invalid_credentials")),
            "{outcomes:?}"
        );
        assert!(
            outcomes.contains(&("login.password", "success")),
            "{outcomes:?}"
        );

        // The organization's log: owners only, filtered, exported.
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        create_key(&setup, "member").await;
        let bob = admin_bob(&setup).await;
        bob.call_raw("organization_audit_log", &[("organization_id", &org)])
            .await
            .assert_error(403, "permission_denied");
        let keys_only = setup
            .admin
            .call_raw(
                "organization_audit_log",
                &[("organization_id", &org), ("category", "api_key")],
            )
            .await;
        keys_only.assert_ok();
        let actions: Vec<&str> = keys_only.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, vec!["api_key.created"]);
        setup
            .admin
            .call_raw(
                "organization_audit_log",
                &[("organization_id", &org), ("category", "everything")],
            )
            .await
            .assert_error(422, "input.invalid");

        let csv = setup
            .admin
            .get(&format!(
                "/organizations/{org}/audit-log.csv?category=identity_provider"
            ))
            .await;
        assert_eq!(csv.status().as_u16(), 200);
        assert!(csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let body = csv.text().await.unwrap();
        assert!(
            body.starts_with("id,time,action,outcome,actor,subject,ip_address,detail\r\n"),
            "{body}"
        );
        assert!(body.contains("\"identity_provider.created\""), "{body}");
        let json = setup
            .admin
            .get(&format!("/organizations/{org}/audit-log.json"))
            .await;
        assert_eq!(json.status().as_u16(), 200);
        let events: Vec<serde_json::Value> = json.json().await.unwrap();
        assert!(events.iter().any(|e| e["action"] == "api_key.created"));
        assert_eq!(
            bob.get(&format!("/organizations/{org}/audit-log.csv"))
                .await
                .status()
                .as_u16(),
            403
        );
        assert_eq!(
            setup
                .admin
                .get(&format!("/organizations/{org}/audit-log.xml"))
                .await
                .status()
                .as_u16(),
            422
        );
    }
}
