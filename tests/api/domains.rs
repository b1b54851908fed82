//! Claimed domains through the real app, verified against a real DNS server on loopback: the record to create,
//! each way verification can fail (no record, another value, a failing nameserver) with what was found, one
//! organization per verified domain, and owners only.

use serde_json::Value;

use crate::dns_server::DnsServer;
use crate::helpers::{backends, join_organization, Browser, TestApp};

async fn organization(app: &TestApp, owner: &Browser, name: &str) -> String {
    let _ = app;
    owner
        .call("create_organization", &[("name", name)])
        .await
        .body
        .as_i64()
        .unwrap()
        .to_string()
}

async fn domains_of(owner: &Browser, org: &str) -> Value {
    owner
        .call_raw("organization", &[("organization_id", org)])
        .await
        .body["domains"]
        .clone()
}

#[tokio::test]
async fn an_owner_proves_a_domain_with_a_dns_txt_record() {
    for backend in backends() {
        let dns = DnsServer::start().await;
        let nameserver = dns.addr;
        let app = TestApp::spawn_with(&backend, |c| c.dns_nameserver = Some(nameserver)).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let org = organization(&app, &owner, "Corp").await;

        owner
            .call(
                "claim_domain",
                &[("organization_id", &org), ("domain", "not a domain")],
            )
            .await
            .assert_error(422, "domain.invalid");
        let claimed = owner
            .call(
                "claim_domain",
                &[("organization_id", &org), ("domain", "Corp.Example.")],
            )
            .await;
        claimed.assert_ok();
        assert_eq!(claimed.body["domain"], "corp.example");
        assert_eq!(
            claimed.body["record_name"],
            "_portcullis-challenge.corp.example"
        );
        let code = claimed.body["record_value"].as_str().unwrap().to_string();
        assert!(code.starts_with("portcullis-verification="));
        let id = claimed.body["id"].to_string();
        owner
            .call(
                "claim_domain",
                &[("organization_id", &org), ("domain", "corp.example")],
            )
            .await
            .assert_error(409, "domain.already_claimed");

        // Not there yet; then another value; then a nameserver that refuses: each said plainly, and recorded.
        let verify_form = [
            ("organization_id", org.as_str()),
            ("domain_id", id.as_str()),
        ];
        let verify = || owner.call("verify_domain", &verify_form);
        let missing = verify().await;
        missing.assert_error(422, "domain.not_verified");
        assert!(missing.body["message"]
            .as_str()
            .unwrap()
            .contains("no TXT record at _portcullis-challenge.corp.example"));
        let listed = domains_of(&owner, &org).await;
        assert!(listed[0]["last_checked_at"].is_string());
        assert!(listed[0]["last_check_result"]
            .as_str()
            .unwrap()
            .contains("no TXT record"));
        assert_eq!(listed[0]["verified_at"], Value::Null);

        dns.set_txt(
            "_portcullis-challenge.corp.example",
            &["v=spf1 -all", "portcullis-verification=someone-else"],
        );
        let other_value = verify().await;
        other_value.assert_error(422, "domain.not_verified");
        assert!(other_value.body["message"]
            .as_str()
            .unwrap()
            .contains("\"portcullis-verification=someone-else\""));

        dns.refuse_all(true);
        verify().await.assert_error(422, "domain.dns_lookup_failed");
        dns.refuse_all(false);

        dns.set_txt(
            "_portcullis-challenge.corp.example",
            &["v=spf1 -all", &code],
        );
        let done = verify().await;
        done.assert_ok();
        assert!(done.body["verified_at"].is_string());
        assert!(domains_of(&owner, &org).await[0]["verified_at"].is_string());

        // A verified domain belongs to this organization only.
        let rival = app.signed_in_user("Rob", "rob@example.com").await;
        let rival_org = organization(&app, &rival, "Rival").await;
        rival
            .call(
                "claim_domain",
                &[("organization_id", &rival_org), ("domain", "corp.example")],
            )
            .await
            .assert_error(409, "domain.verified_elsewhere");

        owner
            .call(
                "remove_domain",
                &[("organization_id", &org), ("domain_id", &id)],
            )
            .await
            .assert_ok();
        assert_eq!(domains_of(&owner, &org).await, Value::Array(vec![]));
        rival
            .call(
                "claim_domain",
                &[("organization_id", &rival_org), ("domain", "corp.example")],
            )
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn two_organizations_may_claim_but_only_the_first_verifies_and_only_owners_act() {
    for backend in backends() {
        let dns = DnsServer::start().await;
        let nameserver = dns.addr;
        let app = TestApp::spawn_with(&backend, |c| c.dns_nameserver = Some(nameserver)).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let org = organization(&app, &owner, "Corp").await;
        let admin = app.signed_in_user("Ada", "ada@example.com").await;
        join_organization(
            &app,
            &owner,
            &admin,
            org.parse().unwrap(),
            "ada@example.com",
            "admin",
        )
        .await;
        admin
            .call(
                "claim_domain",
                &[("organization_id", &org), ("domain", "corp.example")],
            )
            .await
            .assert_error(403, "permission_denied");

        let rival = app.signed_in_user("Rob", "rob@example.com").await;
        let rival_org = organization(&app, &rival, "Rival").await;
        let ours = owner
            .call(
                "claim_domain",
                &[("organization_id", &org), ("domain", "corp.example")],
            )
            .await;
        let theirs = rival
            .call(
                "claim_domain",
                &[("organization_id", &rival_org), ("domain", "corp.example")],
            )
            .await;
        let (ours, theirs) = (ours.body, theirs.body);
        // Both publish their code (a shared DNS zone can hold both); the first to verify wins.
        dns.set_txt(
            "_portcullis-challenge.corp.example",
            &[
                ours["record_value"].as_str().unwrap(),
                theirs["record_value"].as_str().unwrap(),
            ],
        );
        // The admin sees the domain but cannot verify or remove it.
        assert_eq!(domains_of(&admin, &org).await[0]["domain"], "corp.example");
        admin
            .call(
                "verify_domain",
                &[
                    ("organization_id", &org),
                    ("domain_id", &ours["id"].to_string()),
                ],
            )
            .await
            .assert_error(403, "permission_denied");
        owner
            .call(
                "verify_domain",
                &[
                    ("organization_id", &org),
                    ("domain_id", &ours["id"].to_string()),
                ],
            )
            .await
            .assert_ok();
        rival
            .call(
                "verify_domain",
                &[
                    ("organization_id", &rival_org),
                    ("domain_id", &theirs["id"].to_string()),
                ],
            )
            .await
            .assert_error(409, "domain.verified_elsewhere");
        // Another organization's domain id is not found through this organization.
        owner
            .call(
                "remove_domain",
                &[
                    ("organization_id", &org),
                    ("domain_id", &theirs["id"].to_string()),
                ],
            )
            .await
            .assert_error(404, "domain.not_found");
    }
}
