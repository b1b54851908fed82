//! Fleets and devices: personal and organization ownership, who may see and change them, device UUIDs.

use crate::helpers::{backends, token_of, TestApp};

#[tokio::test]
async fn personal_fleets_and_their_devices() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let me = app.signed_in_user("Fay", "fay@example.com").await;
        let created = me
            .call("create_fleet", &[("name", "Greenhouse"), ("owner", "me")])
            .await;
        created.assert_ok();
        let fleet = created.body.as_i64().unwrap().to_string();
        assert_eq!(created.location(), Some(format!("/fleets/{fleet}")));
        me.call("create_fleet", &[("name", "Greenhouse"), ("owner", "me")])
            .await
            .assert_error(409, "fleet.name_taken");
        me.call("create_fleet", &[("name", " "), ("owner", "me")])
            .await
            .assert_error(422, "account.name_invalid");

        let generated = me
            .call(
                "add_device",
                &[("fleet_id", &fleet), ("name", "Sensor 1"), ("uuid", "")],
            )
            .await;
        generated.assert_ok();
        let given = me
            .call(
                "add_device",
                &[
                    ("fleet_id", &fleet),
                    ("name", "Sensor 2"),
                    ("uuid", "0C8E2D9A-6B1F-4C3A-9E2B-1234567890AB"),
                ],
            )
            .await;
        given.assert_ok();
        me.call(
            "add_device",
            &[
                ("fleet_id", &fleet),
                ("name", "Copy"),
                ("uuid", "0c8e2d9a6b1f4c3a9e2b1234567890ab"),
            ],
        )
        .await
        .assert_error(409, "device.uuid_taken");
        let bad = me
            .call(
                "add_device",
                &[("fleet_id", &fleet), ("name", "Bad"), ("uuid", "xyz")],
            )
            .await;
        bad.assert_error(422, "device.uuid_invalid");
        assert_eq!(bad.field(), Some("uuid"));

        let detail = me.call_raw("fleet", &[("fleet_id", &fleet)]).await.body;
        assert_eq!(detail["fleet"]["device_count"], 2);
        let devices = detail["devices"].as_array().unwrap();
        assert_eq!(devices[1]["uuid"], "0c8e2d9a6b1f4c3a9e2b1234567890ab");
        assert_eq!(devices[0]["uuid"].as_str().unwrap().len(), 32);
        assert_eq!(devices[0]["status"], "inactive");

        let device_id = given.body.to_string();
        me.call(
            "rename_device",
            &[("device_id", &device_id), ("name", "Sensor B")],
        )
        .await
        .assert_ok();
        assert_eq!(
            me.call_raw("device", &[("device_id", &device_id)])
                .await
                .body["device"]["name"],
            "Sensor B"
        );
        let deleted = me.call("delete_device", &[("device_id", &device_id)]).await;
        deleted.assert_ok();
        assert_eq!(deleted.location(), Some(format!("/fleets/{fleet}")));
        me.call_raw("device", &[("device_id", &device_id)])
            .await
            .assert_error(404, "device.not_found");

        // Nobody else sees or changes it.
        let other = app.signed_in_user("Gus", "gus@example.com").await;
        other
            .call_raw("fleet", &[("fleet_id", &fleet)])
            .await
            .assert_error(404, "fleet.not_found");
        other
            .call("rename_fleet", &[("fleet_id", &fleet), ("name", "Mine")])
            .await
            .assert_error(404, "fleet.not_found");
        other
            .call(
                "add_device",
                &[("fleet_id", &fleet), ("name", "Implant"), ("uuid", "")],
            )
            .await
            .assert_error(404, "fleet.not_found");

        me.call(
            "rename_fleet",
            &[("fleet_id", &fleet), ("name", "Glasshouse")],
        )
        .await
        .assert_ok();
        let gone = me.call("delete_fleet", &[("fleet_id", &fleet)]).await;
        gone.assert_ok();
        assert_eq!(gone.location().as_deref(), Some("/dashboard"));
        me.call_raw("fleet", &[("fleet_id", &fleet)])
            .await
            .assert_error(404, "fleet.not_found");
    }
}

#[tokio::test]
async fn organization_fleets_are_seen_by_members_and_changed_by_admins() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let org = owner
            .call("create_organization", &[("name", "Acme")])
            .await
            .body
            .as_i64()
            .unwrap()
            .to_string();
        let member = app.signed_in_user("Max", "max@example.com").await;
        owner
            .call(
                "invite_member",
                &[
                    ("organization_id", &org),
                    ("email", "max@example.com"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let token = token_of(
            &app.mail
                .wait_for("max@example.com", "Join")
                .await
                .link_path(),
        );
        member
            .call("accept_invitation", &[("token", &token)])
            .await
            .assert_ok();

        member
            .call("create_fleet", &[("name", "Rogue"), ("owner", &org)])
            .await
            .assert_error(403, "permission_denied");
        let fleet = owner
            .call("create_fleet", &[("name", "Trucks"), ("owner", &org)])
            .await
            .body
            .as_i64()
            .unwrap()
            .to_string();
        let seen = member.call_raw("fleet", &[("fleet_id", &fleet)]).await;
        seen.assert_ok();
        assert_eq!(seen.body["fleet"]["can_manage"], false);
        assert_eq!(seen.body["fleet"]["owner"]["Organization"]["name"], "Acme");
        member
            .call(
                "add_device",
                &[("fleet_id", &fleet), ("name", "Truck 1"), ("uuid", "")],
            )
            .await
            .assert_error(403, "permission_denied");
        member
            .call("delete_fleet", &[("fleet_id", &fleet)])
            .await
            .assert_error(403, "permission_denied");
        let device = owner
            .call(
                "add_device",
                &[("fleet_id", &fleet), ("name", "Truck 1"), ("uuid", "")],
            )
            .await
            .body
            .to_string();
        member
            .call("delete_device", &[("device_id", &device)])
            .await
            .assert_error(403, "permission_denied");
        assert_eq!(
            member
                .call_raw("device", &[("device_id", &device)])
                .await
                .body["device"]["name"],
            "Truck 1"
        );
        let dashboard = member.call_raw("dashboard", &[]).await.body;
        assert_eq!(dashboard["fleets"][0]["name"], "Trucks");
        member
            .call(
                "create_fleet",
                &[("name", "Elsewhere"), ("owner", "424242")],
            )
            .await
            .assert_error(404, "organization.not_found");
    }
}
