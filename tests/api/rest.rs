//! The REST API through the real app: personal and organization keys (lifecycle, role limits, rights checked at every
//! use), every way a key is refused, fleets and devices CRUD, organizations, members and teams, pagination, per-key
//! rate limits, JSON errors, and the OpenAPI document with its reference page.

use serde_json::{json, Value};

use crate::helpers::{backends, join_organization, member_id, Browser, TestApp};

/// Creates a personal key from preferences; returns (key, its id).
async fn personal_key(browser: &Browser, name: &str, expires_in_days: &str) -> (String, String) {
    let created = browser
        .call(
            "create_personal_api_key",
            &[("name", name), ("expires_in_days", expires_in_days)],
        )
        .await;
    created.assert_ok();
    (
        created.body["secret"].as_str().unwrap().to_string(),
        created.body["key"]["id"].to_string(),
    )
}

async fn organization_key(browser: &Browser, organization_id: i64, role: &str) -> String {
    let created = browser
        .call(
            "create_organization_api_key",
            &[
                ("organization_id", &organization_id.to_string()),
                ("name", &format!("{role} automation")),
                ("role", role),
                ("expires_in_days", "never"),
            ],
        )
        .await;
    created.assert_ok();
    created.body["secret"].as_str().unwrap().to_string()
}

/// An owner (Olga) with an organization, and Bob as a member of it.
async fn organization_with_member(app: &TestApp) -> (Browser, Browser, i64) {
    let owner = app.signed_in_user("Olga", "olga@example.com").await;
    let reply = owner.call("create_organization", &[("name", "Acme")]).await;
    reply.assert_ok();
    let org = reply.body.as_i64().unwrap();
    let bob = app.signed_in_user("Bob", "bob@example.com").await;
    join_organization(app, &owner, &bob, org, "bob@example.com", "member").await;
    (owner, bob, org)
}

#[tokio::test]
async fn a_personal_key_is_shown_once_works_and_stops_at_once_when_revoked() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ada = app.signed_in_user("Ada", "ada@example.com").await;
        let (key, key_id) = personal_key(&ada, "Deploy script", "30").await;
        assert!(key.starts_with("pc_"), "{key}");
        let listed = ada.call_raw("personal_api_keys", &[]).await.body;
        assert_eq!(listed["allowed"], true);
        let row = &listed["keys"][0];
        assert_eq!(row["name"], "Deploy script");
        assert!(key.starts_with(row["prefix"].as_str().unwrap()));
        assert!(
            !listed.to_string().contains(&key),
            "the list never holds the secret"
        );
        assert_eq!(row["last_used_at"], Value::Null);
        assert!(row["expires_at"].is_string());

        let me = app.api("GET", "/api/v1/me", Some(&key), None).await;
        let body = me.assert_status(200);
        assert_eq!(body["kind"], "person");
        assert_eq!(body["person"]["email"], "ada@example.com");
        assert_eq!(body["key"]["name"], "Deploy script");
        let used = ada.call_raw("personal_api_keys", &[]).await.body;
        assert!(used["keys"][0]["last_used_at"].is_string());
        assert_eq!(used["keys"][0]["last_used_ip"], "127.0.0.1");

        ada.call("revoke_personal_api_key", &[("key_id", &key_id)])
            .await
            .assert_ok();
        app.api("GET", "/api/v1/me", Some(&key), None)
            .await
            .assert_error(401, "api_key.revoked");
        let after = ada.call_raw("personal_api_keys", &[]).await.body;
        assert!(after["keys"][0]["revoked_at"].is_string());
        // Someone else's key id is not found.
        let eve = app.signed_in_user("Eve", "eve@example.com").await;
        let (_, eve_key) = personal_key(&eve, "Eve's", "never").await;
        ada.call("revoke_personal_api_key", &[("key_id", &eve_key)])
            .await
            .assert_error(404, "api_key.not_found");
        ada.call(
            "create_personal_api_key",
            &[("name", " "), ("expires_in_days", "30")],
        )
        .await
        .assert_error(422, "api_key.name_invalid");
        ada.call(
            "create_personal_api_key",
            &[("name", "x"), ("expires_in_days", "0")],
        )
        .await
        .assert_error(422, "api_key.expiry_invalid");
    }
}

#[tokio::test]
async fn wrong_expired_revoked_and_malformed_keys_get_401_with_a_code() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ada = app.signed_in_user("Ada", "ada@example.com").await;
        let (key, _) = personal_key(&ada, "Short-lived", "1").await;
        let missing = app.api("GET", "/api/v1/me", None, None).await;
        missing.assert_error(401, "api_key.missing");
        assert!(missing.headers.contains_key("www-authenticate"));
        app.api("GET", "/api/v1/me", Some("hunter2"), None)
            .await
            .assert_error(401, "api_key.malformed");
        // Well-formed, but no such key; and the right id with a wrong secret.
        let (id_part, secret) = key["pc_".len()..].split_once('_').unwrap();
        let unknown = format!("pc_{}_{}", "abcdefghjkmn", secret);
        app.api("GET", "/api/v1/me", Some(&unknown), None)
            .await
            .assert_error(401, "api_key.invalid");
        let mut wrong_secret = secret.to_string();
        wrong_secret.replace_range(0..1, if secret.starts_with('A') { "B" } else { "A" });
        app.api(
            "GET",
            "/api/v1/me",
            Some(&format!("pc_{id_part}_{wrong_secret}")),
            None,
        )
        .await
        .assert_error(401, "api_key.invalid");
        // A bare key without "Bearer" is refused with a hint.
        let client = reqwest::Client::new();
        let bare = client
            .get(format!("{}/api/v1/me", app.address))
            .header("authorization", key.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(bare.status().as_u16(), 401);
        let body: Value = bare.json().await.unwrap();
        assert_eq!(body["code"], "api_key.missing");

        app.api("GET", "/api/v1/me", Some(&key), None)
            .await
            .assert_status(200);
        app.clock.advance(chrono::Duration::days(2));
        let expired = app.api("GET", "/api/v1/me", Some(&key), None).await;
        expired.assert_error(401, "api_key.expired");
        assert!(!expired.body.to_string().contains("panicked"));
    }
}

#[tokio::test]
async fn fleets_and_devices_have_full_crud_with_clear_errors() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ada = app.signed_in_user("Ada", "ada@example.com").await;
        let (key, _) = personal_key(&ada, "CRUD", "never").await;
        let k = Some(key.as_str());

        let created = app
            .api(
                "POST",
                "/api/v1/fleets",
                k,
                Some(json!({"name": "Greenhouse"})),
            )
            .await;
        let fleet = created.assert_status(201)["id"].as_i64().unwrap();
        app.api(
            "POST",
            "/api/v1/fleets",
            k,
            Some(json!({"name": "Greenhouse"})),
        )
        .await
        .assert_error(409, "fleet.name_taken");
        let bad_json = reqwest::Client::new()
            .post(format!("{}/api/v1/fleets", app.address))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body("{\"name\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(bad_json.status().as_u16(), 422);
        assert_eq!(
            bad_json.json::<Value>().await.unwrap()["code"],
            "input.invalid"
        );

        let one = app
            .api("GET", &format!("/api/v1/fleets/{fleet}"), k, None)
            .await;
        assert_eq!(one.assert_status(200)["owner"]["kind"], "user");
        app.api(
            "PATCH",
            &format!("/api/v1/fleets/{fleet}"),
            k,
            Some(json!({"name": "Glasshouse"})),
        )
        .await
        .assert_status(204);

        let device = app
            .api(
                "POST",
                &format!("/api/v1/fleets/{fleet}/devices"),
                k,
                Some(json!({"name": "Sensor", "uuid": "0C8E2D9A-6B1F-4C3A-9E2B-1234567890AB"})),
            )
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        app.api(
            "POST",
            &format!("/api/v1/fleets/{fleet}/devices"),
            k,
            Some(json!({"name": "Bad", "uuid": "xyz"})),
        )
        .await
        .assert_error(422, "device.uuid_invalid");
        for i in 0..3 {
            app.api(
                "POST",
                &format!("/api/v1/fleets/{fleet}/devices"),
                k,
                Some(json!({"name": format!("Extra {i}")})),
            )
            .await
            .assert_status(201);
        }
        let page = app
            .api(
                "GET",
                &format!("/api/v1/fleets/{fleet}/devices?page=2&per_page=3"),
                k,
                None,
            )
            .await;
        let body = page.assert_status(200);
        assert_eq!(body["data"].as_array().unwrap().len(), 1);
        assert_eq!(
            body["pagination"],
            json!({"page": 2, "per_page": 3, "total": 4, "next_page": null})
        );
        app.api("GET", "/api/v1/fleets?per_page=500", k, None)
            .await
            .assert_error(422, "input.invalid");
        app.api("GET", "/api/v1/fleets?page=abc", k, None)
            .await
            .assert_error(422, "input.invalid");

        let got = app
            .api("GET", &format!("/api/v1/devices/{device}"), k, None)
            .await;
        assert_eq!(
            got.assert_status(200)["uuid"],
            "0c8e2d9a6b1f4c3a9e2b1234567890ab"
        );
        app.api(
            "PATCH",
            &format!("/api/v1/devices/{device}"),
            k,
            Some(json!({"name": "Sensor B"})),
        )
        .await
        .assert_status(204);
        assert_eq!(
            app.api("GET", &format!("/api/v1/devices/{device}"), k, None)
                .await
                .body["name"],
            "Sensor B"
        );
        app.api("DELETE", &format!("/api/v1/devices/{device}"), k, None)
            .await
            .assert_status(204);
        app.api("GET", &format!("/api/v1/devices/{device}"), k, None)
            .await
            .assert_error(404, "device.not_found");
        let list = app.api("GET", "/api/v1/fleets", k, None).await;
        assert_eq!(list.assert_status(200)["data"][0]["device_count"], 3);
        app.api("DELETE", &format!("/api/v1/fleets/{fleet}"), k, None)
            .await
            .assert_status(204);
        app.api("GET", &format!("/api/v1/fleets/{fleet}"), k, None)
            .await
            .assert_error(404, "fleet.not_found");
        // Another person's key does not see Ada's fleets.
        let eve = app.signed_in_user("Eve", "eve@example.com").await;
        let (eve_key, _) = personal_key(&eve, "Eve", "never").await;
        let other = app
            .api(
                "POST",
                "/api/v1/fleets",
                k,
                Some(json!({"name": "Private"})),
            )
            .await
            .body["id"]
            .clone();
        app.api(
            "GET",
            &format!("/api/v1/fleets/{other}"),
            Some(&eve_key),
            None,
        )
        .await
        .assert_error(404, "fleet.not_found");
        app.api("GET", "/api/v1/nothing-here", k, None)
            .await
            .assert_error(404, "not_found");
    }
}

#[tokio::test]
async fn organization_keys_act_inside_their_organization_within_their_role() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (owner, bob, org) = organization_with_member(&app).await;
        let other = owner
            .call("create_organization", &[("name", "Other Org")])
            .await
            .body
            .as_i64()
            .unwrap();

        // Members cannot create keys; admins cannot create owner keys; owners can.
        bob.call(
            "create_organization_api_key",
            &[
                ("organization_id", &org.to_string()),
                ("name", "x"),
                ("role", "member"),
            ],
        )
        .await
        .assert_error(403, "permission_denied");
        let member_key = organization_key(&owner, org, "member").await;
        let admin_key = organization_key(&owner, org, "admin").await;
        let owner_key = organization_key(&owner, org, "owner").await;

        let me = app.api("GET", "/api/v1/me", Some(&member_key), None).await;
        let body = me.assert_status(200);
        assert_eq!(
            (body["kind"].as_str(), body["role"].as_str()),
            (Some("organization_key"), Some("member"))
        );
        assert_eq!(body["organization"]["id"], org);

        let orgs = app
            .api("GET", "/api/v1/organizations", Some(&member_key), None)
            .await;
        let data = orgs.assert_status(200)["data"].as_array().unwrap().clone();
        assert_eq!(data.len(), 1, "only its own organization");
        assert_eq!(data[0]["role"], "member");
        app.api(
            "GET",
            &format!("/api/v1/organizations/{other}"),
            Some(&owner_key),
            None,
        )
        .await
        .assert_error(404, "organization.not_found");
        let members = app
            .api(
                "GET",
                &format!("/api/v1/organizations/{org}/members"),
                Some(&member_key),
                None,
            )
            .await;
        assert_eq!(members.assert_status(200)["pagination"]["total"], 2);

        // A member key reads but cannot change; an admin key manages the organization's fleets and teams.
        app.api(
            "POST",
            "/api/v1/fleets",
            Some(&member_key),
            Some(json!({"name": "Robots", "organization_id": org})),
        )
        .await
        .assert_error(403, "permission_denied");
        app.api(
            "POST",
            &format!("/api/v1/organizations/{org}/teams"),
            Some(&member_key),
            Some(json!({"name": "Ops"})),
        )
        .await
        .assert_error(403, "permission_denied");
        app.api(
            "GET",
            &format!("/api/v1/organizations/{org}/identity-providers"),
            Some(&member_key),
            None,
        )
        .await
        .assert_error(403, "permission_denied");
        let fleet = app
            .api(
                "POST",
                "/api/v1/fleets",
                Some(&admin_key),
                Some(json!({"name": "Robots", "organization_id": org})),
            )
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        app.api(
            "POST",
            "/api/v1/fleets",
            Some(&admin_key),
            Some(json!({"name": "Mine"})),
        )
        .await
        .assert_error(403, "permission_denied");
        app.api(
            "POST",
            "/api/v1/fleets",
            Some(&admin_key),
            Some(json!({"name": "Elsewhere", "organization_id": other})),
        )
        .await
        .assert_error(404, "organization.not_found");
        let team = app
            .api(
                "POST",
                &format!("/api/v1/organizations/{org}/teams"),
                Some(&admin_key),
                Some(json!({"name": "Ops"})),
            )
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        app.api(
            "PATCH",
            &format!("/api/v1/organizations/{org}/teams/{team}"),
            Some(&admin_key),
            Some(json!({"name": "Operations"})),
        )
        .await
        .assert_status(204);
        let teams = app
            .api(
                "GET",
                &format!("/api/v1/organizations/{org}/teams"),
                Some(&member_key),
                None,
            )
            .await;
        assert_eq!(teams.assert_status(200)["data"][0]["name"], "Operations");
        app.api(
            "DELETE",
            &format!("/api/v1/organizations/{org}/teams/{team}"),
            Some(&admin_key),
            None,
        )
        .await
        .assert_status(204);
        let idps = app
            .api(
                "GET",
                &format!("/api/v1/organizations/{org}/identity-providers"),
                Some(&admin_key),
                None,
            )
            .await;
        assert_eq!(idps.assert_status(200)["pagination"]["total"], 0);
        let fleets = app
            .api("GET", "/api/v1/fleets", Some(&member_key), None)
            .await;
        assert_eq!(fleets.assert_status(200)["data"][0]["id"], fleet);
        assert_eq!(fleets.body["data"][0]["can_manage"], false);

        // Bob (a member) sees the organization's keys? No: only admins and owners.
        bob.call_raw(
            "organization_api_keys",
            &[("organization_id", &org.to_string())],
        )
        .await
        .assert_error(403, "permission_denied");
        let keys = owner
            .call_raw(
                "organization_api_keys",
                &[("organization_id", &org.to_string())],
            )
            .await
            .body;
        assert_eq!(keys.as_array().unwrap().len(), 3);
        let admin_key_id = keys
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["role"] == "admin")
            .unwrap()["id"]
            .to_string();
        owner
            .call(
                "revoke_organization_api_key",
                &[
                    ("organization_id", &org.to_string()),
                    ("key_id", &admin_key_id),
                ],
            )
            .await
            .assert_ok();
        app.api("GET", "/api/v1/fleets", Some(&admin_key), None)
            .await
            .assert_error(401, "api_key.revoked");
    }
}

#[tokio::test]
async fn a_personal_key_follows_its_owners_current_rights() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (owner, bob, org) = organization_with_member(&app).await;
        let (bob_key, _) = personal_key(&bob, "Bob's script", "never").await;
        app.api(
            "GET",
            &format!("/api/v1/organizations/{org}/members"),
            Some(&bob_key),
            None,
        )
        .await
        .assert_status(200);
        app.api(
            "POST",
            "/api/v1/fleets",
            Some(&bob_key),
            Some(json!({"name": "Robots", "organization_id": org})),
        )
        .await
        .assert_error(403, "permission_denied");
        let bob_id = member_id(&owner, &org.to_string(), "bob@example.com").await;
        // Promoted: the same key can now manage; removed: the organization is gone for it.
        owner
            .call(
                "change_member_role",
                &[
                    ("organization_id", &org.to_string()),
                    ("user_id", &bob_id),
                    ("role", "admin"),
                ],
            )
            .await
            .assert_ok();
        app.api(
            "POST",
            "/api/v1/fleets",
            Some(&bob_key),
            Some(json!({"name": "Robots", "organization_id": org})),
        )
        .await
        .assert_status(201);
        owner
            .call(
                "remove_member",
                &[("organization_id", &org.to_string()), ("user_id", &bob_id)],
            )
            .await
            .assert_ok();
        app.api(
            "GET",
            &format!("/api/v1/organizations/{org}"),
            Some(&bob_key),
            None,
        )
        .await
        .assert_error(404, "organization.not_found");
        let visible = app.api("GET", "/api/v1/fleets", Some(&bob_key), None).await;
        assert_eq!(visible.assert_status(200)["pagination"]["total"], 0);
    }
}

#[tokio::test]
async fn each_key_has_its_own_rate_limit() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.api_requests_per_key_per_minute = 3).await;
        let ada = app.signed_in_user("Ada", "ada@example.com").await;
        let (first, _) = personal_key(&ada, "Busy", "never").await;
        let (second, _) = personal_key(&ada, "Quiet", "never").await;
        for _ in 0..3 {
            app.api("GET", "/api/v1/me", Some(&first), None)
                .await
                .assert_status(200);
        }
        let limited = app.api("GET", "/api/v1/me", Some(&first), None).await;
        limited.assert_error(429, "rate_limited");
        assert_eq!(limited.headers["retry-after"], "60");
        app.api("GET", "/api/v1/me", Some(&second), None)
            .await
            .assert_status(200);
        app.clock.advance(chrono::Duration::seconds(61));
        app.api("GET", "/api/v1/me", Some(&first), None)
            .await
            .assert_status(200);
    }
}

#[tokio::test]
async fn the_openapi_document_and_its_reference_page_are_served() {
    let app = TestApp::spawn(&crate::helpers::Backend::Sqlite).await;
    let document = app.api("GET", "/api/v1/openapi.json", None, None).await;
    let doc = document.assert_status(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/v1/fleets/{id}/devices"));
    assert!(paths["/api/v1/fleets/{id}"].get("delete").is_some());
    let page = reqwest::get(format!("{}/api/docs", app.address))
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Portcullis API"));
    assert!(html.contains("/api/v1/organizations/{id}/members"));
    assert!(html.contains("id=\"schema-FleetOut\""));
}
