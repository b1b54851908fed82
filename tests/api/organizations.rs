//! Organizations: creation, invitations (new and existing accounts), roles, the last-owner rule, removal, teams.

use crate::helpers::{backends, token_of, Browser, Reply, TestApp, PASSWORD};
use serde_json::Value;

async fn create_org(browser: &Browser, name: &str) -> i64 {
    let reply = browser.call("create_organization", &[("name", name)]).await;
    reply.assert_ok();
    reply.body.as_i64().expect("organization id")
}

async fn detail(browser: &Browser, id: i64) -> Value {
    browser
        .call_raw("organization", &[("organization_id", &id.to_string())])
        .await
        .body
}

fn role_of(detail: &Value, email: &str) -> Option<String> {
    detail["members"]
        .as_array()?
        .iter()
        .find(|m| m["email"] == email)
        .map(|m| m["role"].as_str().unwrap().to_string())
}

fn user_id_of(detail: &Value, email: &str) -> String {
    detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .map(|m| m["user_id"].to_string())
        .expect("member present")
}

#[tokio::test]
async fn creator_is_owner_and_handles_are_unique() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let reply = owner
            .call("create_organization", &[("name", "Acme Robotics")])
            .await;
        reply.assert_ok();
        let id = reply.body.as_i64().unwrap();
        assert_eq!(reply.location(), Some(format!("/organizations/{id}")));
        let org = detail(&owner, id).await;
        assert_eq!(org["summary"]["handle"], "acme-robotics");
        assert_eq!(org["summary"]["my_role"], "owner");
        assert_eq!(role_of(&org, "olga@example.com").as_deref(), Some("owner"));
        let taken = owner
            .call("create_organization", &[("name", "Acme Robotics")])
            .await;
        taken.assert_error(409, "organization.handle_taken");
        assert_eq!(taken.field(), Some("handle"));
        owner
            .call(
                "create_organization",
                &[("name", "Acme"), ("handle", "Bad Handle!")],
            )
            .await
            .assert_error(422, "organization.handle_invalid");
        owner
            .call("create_organization", &[("name", "")])
            .await
            .assert_error(422, "account.name_invalid");
        let dashboard = owner.call_raw("dashboard", &[]).await.body;
        assert_eq!(dashboard["organizations"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_new_person_signs_up_from_an_invitation_and_joins() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let org = create_org(&owner, "Acme").await;
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org.to_string()),
                    ("email", "Newbie@Example.com"),
                    ("role", "admin"),
                ],
            )
            .await
            .assert_ok();
        let pending = detail(&owner, org).await;
        assert_eq!(pending["invitations"][0]["email"], "newbie@example.com");
        let mail = app.mail.wait_for("newbie@example.com", "Join Acme").await;
        let token = token_of(&mail.link_path());

        let newbie = app.browser();
        let preview = newbie.call_raw("invitation", &[("token", &token)]).await;
        assert_eq!(preview.body["organization_name"], "Acme");
        assert_eq!(preview.body["role"], "admin");
        let joined = newbie
            .call(
                "sign_up",
                &[
                    ("name", "Newbie"),
                    ("email", "newbie@example.com"),
                    ("password", PASSWORD),
                    ("invitation", &token),
                ],
            )
            .await;
        joined.assert_ok();
        assert_eq!(joined.location(), Some(format!("/organizations/{org}")));
        assert_eq!(
            newbie.signed_in_email().await.as_deref(),
            Some("newbie@example.com")
        );
        let after = detail(&owner, org).await;
        assert_eq!(
            role_of(&after, "newbie@example.com").as_deref(),
            Some("admin")
        );
        assert!(after["invitations"].as_array().unwrap().is_empty());
        // The invitation proved the mailbox: no verification needed to log in again.
        app.browser()
            .log_in("newbie@example.com", PASSWORD)
            .await
            .assert_ok();
        // Used once.
        app.signed_in_user("Other", "other@example.com")
            .await
            .call("accept_invitation", &[("token", &token)])
            .await
            .assert_error(410, "token.used");
    }
}

#[tokio::test]
async fn an_existing_account_accepts_only_invitations_to_its_own_address() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let org = create_org(&owner, "Acme").await;
        let bob = app.signed_in_user("Bob", "bob@example.com").await;
        let mallory = app.signed_in_user("Mallory", "mallory@example.com").await;
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org.to_string()),
                    ("email", "bob@example.com"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let token = token_of(
            &app.mail
                .wait_for("bob@example.com", "Join Acme")
                .await
                .link_path(),
        );
        mallory
            .call("accept_invitation", &[("token", &token)])
            .await
            .assert_error(422, "invitation.email_mismatch");
        mallory
            .call_raw("organization", &[("organization_id", &org.to_string())])
            .await
            .assert_error(404, "organization.not_found");
        bob.call("accept_invitation", &[("token", &token)])
            .await
            .assert_ok();
        assert_eq!(
            role_of(&detail(&owner, org).await, "bob@example.com").as_deref(),
            Some("member")
        );
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org.to_string()),
                    ("email", "bob@example.com"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_error(409, "organization.already_member");
        bob.call("accept_invitation", &[("token", "bogus")])
            .await
            .assert_error(404, "invitation.not_found");
    }
}

#[tokio::test]
async fn invitations_expire_and_can_be_withdrawn() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let org = create_org(&owner, "Acme").await.to_string();
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org),
                    ("email", "late@example.com"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let token = token_of(
            &app.mail
                .wait_for("late@example.com", "Join")
                .await
                .link_path(),
        );
        app.clock.advance(chrono::Duration::days(8));
        let late = app.signed_in_user("Late", "late@example.com").await;
        late.call("accept_invitation", &[("token", &token)])
            .await
            .assert_error(410, "token.expired");

        // Eight days on, the owner's session has ended too (seven days at most): log in again.
        owner.log_in("olga@example.com", PASSWORD).await.assert_ok();
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org),
                    ("email", "gone@example.com"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let pending = detail(&owner, org.parse().unwrap()).await;
        let invitation_id = pending["invitations"][0]["id"].to_string();
        owner
            .call(
                "revoke_invitation",
                &[("organization_id", &org), ("invitation_id", &invitation_id)],
            )
            .await
            .assert_ok();
        let token = token_of(
            &app.mail
                .wait_for("gone@example.com", "Join")
                .await
                .link_path(),
        );
        app.browser()
            .call_raw("invitation", &[("token", &token)])
            .await
            .assert_error(404, "invitation.not_found");
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org),
                    ("email", "x@example.com"),
                    ("role", "emperor"),
                ],
            )
            .await
            .assert_error(422, "organization.role_invalid");
    }
}

/// Owner Olga, admin Ada and member Max in one organization.
async fn team_of_three(app: &TestApp) -> (Browser, Browser, Browser, i64) {
    let owner = app.signed_in_user("Olga", "olga@example.com").await;
    let org = create_org(&owner, "Acme").await;
    let mut people = Vec::new();
    for (name, email, role) in [
        ("Ada", "ada@example.com", "admin"),
        ("Max", "max@example.com", "member"),
    ] {
        let browser = app.signed_in_user(name, email).await;
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org.to_string()),
                    ("email", email),
                    ("role", role),
                ],
            )
            .await
            .assert_ok();
        let token = token_of(&app.mail.wait_for(email, "Join Acme").await.link_path());
        browser
            .call("accept_invitation", &[("token", &token)])
            .await
            .assert_ok();
        people.push(browser);
    }
    let max = people.pop().unwrap();
    let ada = people.pop().unwrap();
    (owner, ada, max, org)
}

#[tokio::test]
async fn members_cannot_manage_and_admins_cannot_touch_owners() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (owner, ada, max, org) = team_of_three(&app).await;
        let org_s = org.to_string();
        let org_detail = detail(&owner, org).await;
        let olga_id = user_id_of(&org_detail, "olga@example.com");
        let max_id = user_id_of(&org_detail, "max@example.com");
        let ada_id = user_id_of(&org_detail, "ada@example.com");

        max.call(
            "invite_member",
            &[
                ("organization_id", &org_s),
                ("email", "z@example.com"),
                ("role", "member"),
            ],
        )
        .await
        .assert_error(403, "permission_denied");
        max.call(
            "rename_organization",
            &[("organization_id", &org_s), ("name", "Mine")],
        )
        .await
        .assert_error(403, "permission_denied");
        max.call(
            "remove_member",
            &[("organization_id", &org_s), ("user_id", &ada_id)],
        )
        .await
        .assert_error(403, "permission_denied");
        assert!(
            detail(&max, org).await["invitations"]
                .as_array()
                .unwrap()
                .is_empty(),
            "members do not see invitations"
        );

        ada.call(
            "change_member_role",
            &[
                ("organization_id", &org_s),
                ("user_id", &max_id),
                ("role", "owner"),
            ],
        )
        .await
        .assert_error(403, "permission_denied");
        ada.call(
            "remove_member",
            &[("organization_id", &org_s), ("user_id", &olga_id)],
        )
        .await
        .assert_error(403, "permission_denied");
        ada.call(
            "change_member_role",
            &[
                ("organization_id", &org_s),
                ("user_id", &max_id),
                ("role", "admin"),
            ],
        )
        .await
        .assert_ok();
        assert_eq!(
            role_of(&detail(&owner, org).await, "max@example.com").as_deref(),
            Some("admin")
        );
        ada.call(
            "rename_organization",
            &[("organization_id", &org_s), ("name", "Acme Inc")],
        )
        .await
        .assert_ok();
        assert_eq!(detail(&max, org).await["summary"]["name"], "Acme Inc");
    }
}

#[tokio::test]
async fn an_organization_always_keeps_an_owner() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (owner, ada, _max, org) = team_of_three(&app).await;
        let org_s = org.to_string();
        let org_detail = detail(&owner, org).await;
        let olga_id = user_id_of(&org_detail, "olga@example.com");
        let ada_id = user_id_of(&org_detail, "ada@example.com");
        owner
            .call(
                "change_member_role",
                &[
                    ("organization_id", &org_s),
                    ("user_id", &olga_id),
                    ("role", "admin"),
                ],
            )
            .await
            .assert_error(409, "organization.last_owner");
        owner
            .call(
                "remove_member",
                &[("organization_id", &org_s), ("user_id", &olga_id)],
            )
            .await
            .assert_error(409, "organization.last_owner");
        assert_eq!(
            role_of(&detail(&owner, org).await, "olga@example.com").as_deref(),
            Some("owner")
        );
        // With a second owner, the first may step down and leave.
        owner
            .call(
                "change_member_role",
                &[
                    ("organization_id", &org_s),
                    ("user_id", &ada_id),
                    ("role", "owner"),
                ],
            )
            .await
            .assert_ok();
        let left = owner
            .call(
                "remove_member",
                &[("organization_id", &org_s), ("user_id", &olga_id)],
            )
            .await;
        left.assert_ok();
        assert_eq!(left.location().as_deref(), Some("/dashboard"));
        owner
            .call_raw("organization", &[("organization_id", &org_s)])
            .await
            .assert_error(404, "organization.not_found");
        assert_eq!(
            role_of(&detail(&ada, org).await, "ada@example.com").as_deref(),
            Some("owner")
        );
    }
}

#[tokio::test]
async fn a_removed_member_loses_access_at_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (owner, _ada, max, org) = team_of_three(&app).await;
        let org_s = org.to_string();
        let fleet = owner
            .call("create_fleet", &[("name", "Org fleet"), ("owner", &org_s)])
            .await;
        let fleet_id = fleet.body.as_i64().unwrap().to_string();
        max.call_raw("fleet", &[("fleet_id", &fleet_id)])
            .await
            .assert_ok();
        let max_id = user_id_of(&detail(&owner, org).await, "max@example.com");
        owner
            .call(
                "remove_member",
                &[("organization_id", &org_s), ("user_id", &max_id)],
            )
            .await
            .assert_ok();
        // The same open session, the very next request.
        assert!(max.signed_in_email().await.is_some());
        max.call_raw("organization", &[("organization_id", &org_s)])
            .await
            .assert_error(404, "organization.not_found");
        max.call_raw("fleet", &[("fleet_id", &fleet_id)])
            .await
            .assert_error(404, "fleet.not_found");
        owner
            .call(
                "remove_member",
                &[("organization_id", &org_s), ("user_id", &max_id)],
            )
            .await
            .assert_error(404, "organization.member_not_found");
    }
}

/// Calls a team server function of `team_id` in `organization` with extra fields.
async fn on_team(
    browser: &Browser,
    endpoint: &str,
    organization: &str,
    team_id: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut form = vec![("organization_id", organization), ("team_id", team_id)];
    form.extend_from_slice(extra);
    browser.call(endpoint, &form).await
}

#[tokio::test]
async fn teams_are_managed_by_admins_with_organization_members_only() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (owner, ada, max, org) = team_of_three(&app).await;
        let org_s = org.to_string();
        ada.call(
            "create_team",
            &[("organization_id", &org_s), ("name", "Field ops")],
        )
        .await
        .assert_ok();
        ada.call(
            "create_team",
            &[("organization_id", &org_s), ("name", "Field ops")],
        )
        .await
        .assert_error(409, "team.name_taken");
        max.call(
            "create_team",
            &[("organization_id", &org_s), ("name", "Max's team")],
        )
        .await
        .assert_error(403, "permission_denied");
        let org_detail = detail(&owner, org).await;
        let team = org_detail["teams"][0]["id"].to_string();
        let max_id = user_id_of(&org_detail, "max@example.com");
        let with_max = [("user_id", max_id.as_str())];
        on_team(&ada, "add_team_member", &org_s, &team, &with_max)
            .await
            .assert_ok();
        on_team(&ada, "add_team_member", &org_s, &team, &with_max)
            .await
            .assert_error(409, "organization.already_member");
        on_team(&max, "add_team_member", &org_s, &team, &with_max)
            .await
            .assert_error(403, "permission_denied");

        let outsider = app.signed_in_user("Out", "out@example.com").await;
        let outsider_id = outsider.visit().await["user"]["id"].to_string();
        on_team(
            &ada,
            "add_team_member",
            &org_s,
            &team,
            &[("user_id", &outsider_id)],
        )
        .await
        .assert_error(404, "organization.member_not_found");

        let teams = detail(&max, org).await["teams"].clone();
        assert_eq!(teams[0]["members"][0]["email"], "max@example.com");
        on_team(
            &ada,
            "rename_team",
            &org_s,
            &team,
            &[("name", "Operations")],
        )
        .await
        .assert_ok();
        assert_eq!(detail(&max, org).await["teams"][0]["name"], "Operations");
        on_team(&ada, "remove_team_member", &org_s, &team, &with_max)
            .await
            .assert_ok();
        on_team(&ada, "remove_team_member", &org_s, &team, &with_max)
            .await
            .assert_error(404, "organization.member_not_found");
        on_team(&ada, "delete_team", &org_s, &team, &[])
            .await
            .assert_ok();
        on_team(&ada, "delete_team", &org_s, &team, &[])
            .await
            .assert_error(404, "team.not_found");
        assert!(detail(&owner, org).await["teams"]
            .as_array()
            .unwrap()
            .is_empty());
    }
}

#[tokio::test]
async fn unknown_organizations_are_not_found() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let someone = app.signed_in_user("Sue", "sue@example.com").await;
        someone
            .call_raw("organization", &[("organization_id", "999999")])
            .await
            .assert_error(404, "organization.not_found");
        someone
            .call(
                "rename_organization",
                &[("organization_id", "999999"), ("name", "X")],
            )
            .await
            .assert_error(404, "organization.not_found");
        someone
            .call_raw("organization", &[("organization_id", "not-a-number")])
            .await
            .assert_error(422, "input.invalid");
    }
}

#[tokio::test]
async fn two_owners_stepping_down_at_once_leave_one_owner() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (olga, ada, _max, org) = team_of_three(&app).await;
        let org_s = org.to_string();
        let members = detail(&olga, org).await;
        let olga_id = user_id_of(&members, "olga@example.com");
        let ada_id = user_id_of(&members, "ada@example.com");
        olga.call(
            "change_member_role",
            &[
                ("organization_id", &org_s),
                ("user_id", &ada_id),
                ("role", "owner"),
            ],
        )
        .await
        .assert_ok();
        for _ in 0..3 {
            let olga_steps_down = [
                ("organization_id", org_s.as_str()),
                ("user_id", &olga_id),
                ("role", "admin"),
            ];
            let ada_steps_down = [
                ("organization_id", org_s.as_str()),
                ("user_id", &ada_id),
                ("role", "admin"),
            ];
            let (one, two) = tokio::join!(
                olga.call("change_member_role", &olga_steps_down),
                ada.call("change_member_role", &ada_steps_down),
            );
            let after = detail(&olga, org).await;
            let owners = after["members"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["role"] == "owner")
                .count();
            assert_eq!(owners, 1, "{one:?} {two:?}");
            assert!(
                [one.status, two.status].contains(&409),
                "one of them is refused: {one:?} {two:?}"
            );
            // Restore two owners for the next round.
            let owner = if role_of(&after, "olga@example.com").as_deref() == Some("owner") {
                &olga
            } else {
                &ada
            };
            for id in [&olga_id, &ada_id] {
                owner
                    .call(
                        "change_member_role",
                        &[
                            ("organization_id", &org_s),
                            ("user_id", id),
                            ("role", "owner"),
                        ],
                    )
                    .await;
            }
        }
    }
}

#[tokio::test]
async fn only_owners_withdraw_or_replace_an_invitation_to_become_owner() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (olga, ada, _max, org) = team_of_three(&app).await;
        let org_s = org.to_string();
        olga.call(
            "invite_member",
            &[
                ("organization_id", &org_s),
                ("email", "heir@example.com"),
                ("role", "owner"),
            ],
        )
        .await
        .assert_ok();
        let invitation_id = detail(&olga, org).await["invitations"][0]["id"].to_string();
        ada.call(
            "revoke_invitation",
            &[
                ("organization_id", &org_s),
                ("invitation_id", &invitation_id),
            ],
        )
        .await
        .assert_error(403, "permission_denied");
        ada.call(
            "invite_member",
            &[
                ("organization_id", &org_s),
                ("email", "heir@example.com"),
                ("role", "member"),
            ],
        )
        .await
        .assert_error(403, "permission_denied");
        let pending = detail(&olga, org).await["invitations"].clone();
        assert_eq!(
            pending[0]["role"], "owner",
            "the owner's invitation is untouched"
        );
        olga.call(
            "revoke_invitation",
            &[
                ("organization_id", &org_s),
                ("invitation_id", &invitation_id),
            ],
        )
        .await
        .assert_ok();
    }
}

#[tokio::test]
async fn one_fleet_name_per_owner_and_one_team_membership_even_at_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (olga, _ada, max, org) = team_of_three(&app).await;
        let org_s = org.to_string();
        let twins = [("name", "Twins"), ("owner", org_s.as_str())];
        let (one, two) = tokio::join!(
            olga.call("create_fleet", &twins),
            olga.call("create_fleet", &twins),
        );
        let mut statuses = [one.status, two.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{one:?} {two:?}");
        // The same name is free for another owner.
        max.call("create_fleet", &[("name", "Twins"), ("owner", "me")])
            .await
            .assert_ok();

        olga.call(
            "create_team",
            &[("organization_id", &org_s), ("name", "Crew")],
        )
        .await
        .assert_ok();
        let members = detail(&olga, org).await;
        let team = members["teams"][0]["id"].to_string();
        let max_id = user_id_of(&members, "max@example.com");
        let with_max = [("user_id", max_id.as_str())];
        let (one, two) = tokio::join!(
            on_team(&olga, "add_team_member", &org_s, &team, &with_max),
            on_team(&olga, "add_team_member", &org_s, &team, &with_max),
        );
        let mut statuses = [one.status, two.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{one:?} {two:?}");
    }
}
