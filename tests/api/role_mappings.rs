//! Role mappings from the identity provider's `groups`: the checks on a mapping, All/Any rules with wildcards, the
//! preview, what each SSO login applies (overwriting roles given by hand), a response without groups (or with the
//! overage claim) changing nothing, and the guard that never demotes the last owner who can sign in.

use serde_json::Value;

use crate::helpers::{backends, member_id, Browser};
use crate::sso::{
    metadata, post_response, provision, register, setup, spec, start_login, Setup, IDENTIFIER,
};

/// Mia signs in by SSO with these attributes.
async fn login_with(
    setup: &Setup,
    browser: &Browser,
    assertion_id: &str,
    attributes: &[(&str, &[&str])],
) {
    let (request_id, _) = start_login(browser, None).await;
    let mut response = spec(&setup.app, Some(&request_id)).for_name_id("mia@corp.example");
    response.assertion_id = assertion_id.into();
    response.attributes = attributes
        .iter()
        .map(|(name, values)| {
            (
                name.to_string(),
                values.iter().map(|v| v.to_string()).collect(),
            )
        })
        .collect();
    let answer = post_response(browser, &response.build(), "").await;
    assert_eq!(
        answer.status().as_u16(),
        303,
        "{}",
        answer.text().await.unwrap()
    );
}

async fn organization(setup: &Setup) -> Value {
    setup
        .admin
        .call_raw(
            "organization",
            &[("organization_id", &setup.organization_id.to_string())],
        )
        .await
        .body
}

/// Mia's role and the names of her teams.
async fn mia_standing(setup: &Setup) -> (String, Vec<String>) {
    let detail = organization(setup).await;
    let role = detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "mia@corp.example")
        .map(|m| m["role"].as_str().unwrap().to_string())
        .unwrap();
    let teams = detail["teams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["email"] == "mia@corp.example")
        })
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    (role, teams)
}

async fn create_mapping(setup: &Setup, fields: &[(&str, &str)]) -> crate::helpers::Reply {
    let org = setup.organization_id.to_string();
    let mut form = vec![("organization_id", org.as_str())];
    form.extend_from_slice(fields);
    setup.admin.call("create_role_mapping", &form).await
}

#[tokio::test]
async fn mappings_are_checked_previewed_and_applied_at_every_sso_login() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        setup
            .admin
            .call(
                "create_team",
                &[("organization_id", &org), ("name", "Platform")],
            )
            .await
            .assert_ok();
        let platform = organization(&setup).await["teams"][0]["id"].to_string();

        create_mapping(
            &setup,
            &[
                ("name", "Cloud admins"),
                ("kind", "any"),
                ("patterns", "cloud-admins\nroot-*"),
                ("role", "admin"),
            ],
        )
        .await
        .assert_ok();
        create_mapping(
            &setup,
            &[
                ("name", "Platform engineers"),
                ("kind", "all"),
                ("patterns", "staff\neng-*"),
                ("team_id", &platform),
            ],
        )
        .await
        .assert_ok();
        // Each bad mapping gets its own refusal, on its field.
        let taken = create_mapping(
            &setup,
            &[
                ("name", "Cloud admins"),
                ("kind", "any"),
                ("patterns", "x"),
                ("role", "member"),
            ],
        )
        .await;
        taken.assert_error(409, "role_mapping.name_taken");
        assert_eq!(taken.field(), Some("name"));
        let no_patterns = create_mapping(
            &setup,
            &[
                ("name", "Empty"),
                ("kind", "any"),
                ("patterns", " \n "),
                ("role", "member"),
            ],
        )
        .await;
        no_patterns.assert_error(422, "input.invalid");
        assert_eq!(no_patterns.field(), Some("patterns"));
        let bad_kind = create_mapping(
            &setup,
            &[
                ("name", "Odd"),
                ("kind", "most"),
                ("patterns", "x"),
                ("role", "member"),
            ],
        )
        .await;
        assert_eq!(bad_kind.field(), Some("kind"));
        let nothing = create_mapping(
            &setup,
            &[("name", "Nothing"), ("kind", "any"), ("patterns", "x")],
        )
        .await;
        assert_eq!(nothing.field(), Some("role"));
        create_mapping(
            &setup,
            &[
                ("name", "Stranger team"),
                ("kind", "any"),
                ("patterns", "x"),
                ("team_id", "999999"),
            ],
        )
        .await
        .assert_error(404, "team.not_found");

        // The preview shows what typed groups would get.
        let preview = setup
            .admin
            .call_raw(
                "preview_role_mappings",
                &[("organization_id", &org), ("groups", "staff\neng-web")],
            )
            .await;
        preview.assert_ok();
        assert_eq!(preview.body["role"], "member");
        assert_eq!(preview.body["teams"][0], "Platform");
        assert_eq!(preview.body["matched"][0], "Platform engineers");
        let preview = setup
            .admin
            .call_raw(
                "preview_role_mappings",
                &[("organization_id", &org), ("groups", "root-eu\nstaff")],
            )
            .await;
        assert_eq!(preview.body["role"], "admin");
        assert_eq!(preview.body["teams"].as_array().unwrap().len(), 0);

        // The form's "Preview" tries a mapping as typed, with the saved ones, and saves nothing.
        let draft = create_mapping(
            &setup,
            &[
                ("name", "Owners"),
                ("kind", "all"),
                ("patterns", "root-*\nstaff"),
                ("role", "owner"),
                ("groups", "root-eu\nstaff"),
                ("intent", "preview"),
            ],
        )
        .await;
        draft.assert_ok();
        assert_eq!(draft.body["role"], "owner");
        assert_eq!(
            draft.body["matched"],
            serde_json::json!(["Cloud admins", "Owners"])
        );
        let saved = setup
            .admin
            .call_raw("role_mappings", &[("organization_id", &org)])
            .await;
        assert_eq!(saved.body["mappings"].as_array().unwrap().len(), 2);
        // A draft is checked like a mapping to save.
        create_mapping(
            &setup,
            &[
                ("name", "Cloud admins"),
                ("kind", "any"),
                ("patterns", ""),
                ("role", "admin"),
                ("intent", "preview"),
            ],
        )
        .await
        .assert_error(422, "input.invalid");

        // A login with matching groups: admin (Any, wildcard) and the Platform team (All).
        let mia = setup.app.browser();
        login_with(
            &setup,
            &mia,
            "_map-1",
            &[("groups", &["cloud-admins", "staff", "eng-web"])],
        )
        .await;
        assert_eq!(
            mia_standing(&setup).await,
            ("admin".to_string(), vec!["Platform".to_string()])
        );

        // A role given by hand is overwritten at the next SSO login.
        let mia_id = member_id(&setup.admin, &org, "mia@corp.example").await;
        setup
            .admin
            .call(
                "change_member_role",
                &[
                    ("organization_id", &org),
                    ("user_id", &mia_id),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        login_with(
            &setup,
            &mia,
            "_map-2",
            &[("groups", &["cloud-admins", "staff", "eng-web"])],
        )
        .await;
        assert_eq!(mia_standing(&setup).await.0, "admin");

        // No groups attribute, or only Entra ID's overage claim: nothing changes.
        login_with(&setup, &mia, "_map-3", &[]).await;
        assert_eq!(
            mia_standing(&setup).await,
            ("admin".to_string(), vec!["Platform".to_string()])
        );
        login_with(
            &setup,
            &mia,
            "_map-4",
            &[(
                "http://schemas.microsoft.com/claims/groups.link",
                &["https://graph.microsoft.com/v1.0/users/x/getMemberObjects"],
            )],
        )
        .await;
        assert_eq!(mia_standing(&setup).await.0, "admin");

        // Groups that no longer match: back to member, out of the mapped team.
        login_with(&setup, &mia, "_map-5", &[("groups", &["staff"])]).await;
        assert_eq!(
            mia_standing(&setup).await,
            ("member".to_string(), Vec::<String>::new())
        );
    }
}

#[tokio::test]
async fn a_mapping_never_demotes_the_last_owner_who_can_sign_in() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let mia = setup.app.browser();
        login_with(&setup, &mia, "_owner-1", &[]).await;
        let mia_id = member_id(&setup.admin, &org, "mia@corp.example").await;
        let ada_id = member_id(&setup.admin, &org, "ada@corp.example").await;
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
        create_mapping(
            &setup,
            &[
                ("name", "Staff"),
                ("kind", "any"),
                ("patterns", "staff"),
                ("role", "member"),
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
        // Mappings written without an owner-role mapping never demote an owner.
        login_with(&setup, &mia, "_owner-2", &[("groups", &["staff"])]).await;
        assert_eq!(mia_standing(&setup).await.0, "owner");
        // With one (only owners write those), Mia, now the only owner who can sign in, is still not demoted.
        mia.call(
            "create_role_mapping",
            &[
                ("organization_id", &org),
                ("name", "Owners"),
                ("kind", "any"),
                ("patterns", "root"),
                ("role", "owner"),
            ],
        )
        .await
        .assert_ok();
        login_with(&setup, &mia, "_owner-3", &[("groups", &["staff"])]).await;
        assert_eq!(mia_standing(&setup).await.0, "owner");
        let log = mia
            .call_raw(
                "organization_audit_log",
                &[("organization_id", &org), ("category", "role_mapping")],
            )
            .await;
        log.assert_ok();
        let refused = log.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["outcome"] == "organization.last_owner")
            .expect("the skipped mapping is in the audit log");
        assert!(
            refused["detail"].as_str().unwrap().contains("NOT applied"),
            "{refused}"
        );
        assert!(log.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["detail"]
                .as_str()
                .unwrap()
                .contains("no mapping of the organization grants the owner role")));
    }
}
