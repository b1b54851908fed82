//! Identity providers and SAML login through the real app: registering from metadata (and each way metadata can be
//! refused), SP metadata, SP-initiated login of a pre-provisioned member, and the ACS rules that need shared state:
//! requests bound to the browser and consumed once, the replay cache, unsolicited responses, refusals recorded for
//! administrators.

use std::io::Read;

use base64::Engine;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::helpers::{backends, member_id, Browser, TestApp, PASSWORD};
use crate::saml_idp::*;

pub(crate) const IDENTIFIER: &str = "acme";
pub(crate) const SSO_URL: &str = "https://idp.corp.example/sso";

pub(crate) struct Setup {
    pub app: TestApp,
    pub admin: Browser,
    pub organization_id: i64,
}

pub(crate) async fn setup(backend: &crate::helpers::Backend) -> Setup {
    setup_on(TestApp::spawn(backend).await).await
}

/// An owner (Ada) with the organization Acme Corp, on `app`.
pub(crate) async fn setup_on(app: TestApp) -> Setup {
    let admin = app.signed_in_user("Ada Admin", "ada@corp.example").await;
    let reply = admin
        .call("create_organization", &[("name", "Acme Corp")])
        .await;
    reply.assert_ok();
    let organization_id = reply.body.as_i64().unwrap();
    Setup {
        app,
        admin,
        organization_id,
    }
}

pub(crate) fn metadata() -> String {
    idp_metadata(
        IDP_ENTITY_ID,
        SSO_URL,
        &[idp_key()],
        &[EMAIL_FORMAT],
        REDIRECT_BINDING,
    )
}

pub(crate) async fn register(
    setup: &Setup,
    identifier: &str,
    metadata: &str,
    extra: &[(&str, &str)],
) -> crate::helpers::Reply {
    let org = setup.organization_id.to_string();
    let mut form = vec![
        ("organization_id", org.as_str()),
        ("name", "Acme Entra ID"),
        ("identifier", identifier),
        ("source", "metadata"),
        ("metadata", metadata),
        ("name_id_format", "email"),
    ];
    // The registration form's defaults: merging and pre-provisioned accounts on.
    for (policy, on) in [("allow_merge", "on"), ("allow_pre_provisioned", "on")] {
        if !extra.iter().any(|(name, _)| *name == policy) {
            form.push((policy, on));
        }
    }
    form.extend(extra.iter().filter(|(_, value)| !value.is_empty()));
    setup.admin.call("create_identity_provider", &form).await
}

pub(crate) async fn provision(setup: &Setup, email: &str) {
    setup
        .admin
        .call(
            "add_provisioned_member",
            &[
                ("organization_id", &setup.organization_id.to_string()),
                ("email", email),
                ("name", "Mia Member"),
                ("role", "member"),
            ],
        )
        .await
        .assert_ok();
}

pub(crate) fn spec(app: &TestApp, request_id: Option<&str>) -> ResponseSpec {
    ResponseSpec::for_app(&app.state.config.base_url, IDENTIFIER, app.state.now())
        .answering(request_id)
}

/// Starts an SP-initiated login and returns the AuthnRequest's ID (read back from the redirect, as an IdP would).
pub(crate) async fn start_login(browser: &Browser, return_to: Option<&str>) -> (String, String) {
    let path = match return_to {
        Some(r) => format!("/saml/{IDENTIFIER}?return_to={r}"),
        None => format!("/saml/{IDENTIFIER}"),
    };
    let (id, relay_state, location) = start_login_at(browser, &path).await;
    assert!(location.starts_with(SSO_URL), "{location}");
    (id, relay_state)
}

/// Follows `path` to the identity provider's redirect and decodes the AuthnRequest: its ID, the RelayState, and
/// where the browser was sent.
pub(crate) async fn start_login_at(browser: &Browser, path: &str) -> (String, String, String) {
    let response = browser.get(path).await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let (id, relay_state) = authn_request_in(&location);
    (id, relay_state, location)
}

/// The AuthnRequest's ID and the RelayState in an HTTP-Redirect URL to the identity provider.
pub(crate) fn authn_request_in(location: &str) -> (String, String) {
    let url = url::Url::parse(location).unwrap();
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string())
    };
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(query("SAMLRequest").expect("SAMLRequest"))
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&compressed[..])
        .read_to_string(&mut xml)
        .unwrap();
    let request = roxmltree::Document::parse(&xml).unwrap();
    let id = request.root_element().attribute("ID").unwrap().to_string();
    (id, query("RelayState").unwrap_or_default())
}

pub(crate) async fn post_response(
    browser: &Browser,
    xml: &str,
    relay_state: &str,
) -> reqwest::Response {
    let encoded = base64::engine::general_purpose::STANDARD.encode(xml);
    browser
        .client
        .post(format!("{}/saml/{IDENTIFIER}/acs", browser.address))
        .form(&[
            ("SAMLResponse", encoded.as_str()),
            ("RelayState", relay_state),
        ])
        .send()
        .await
        .unwrap()
}

/// The ACS asked the person to confirm the SSO login as `email` (login CSRF); returns the page.
pub(crate) async fn confirmation_asked(response: reqwest::Response, email: &str) -> String {
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"sso-confirm\""), "{page}");
    assert!(page.contains(&format!("Continue as {email}")), "{page}");
    page
}

/// Confirms the SSO login waiting in this browser, as its button does.
pub(crate) async fn confirm_sso(browser: &Browser) -> reqwest::Response {
    let csrf = browser.csrf().await;
    browser
        .client
        .post(format!("{}/saml/confirm", browser.address))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap()
}

pub(crate) async fn refused_with(response: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    let page = response.text().await.unwrap();
    assert!(page.contains(code), "expected {code} in {page}");
    assert!(page.contains("Single sign-on failed"), "{page}");
    page
}

/// A valid response for someone the provider may not sign in: the person sees the one refusal that reads the same
/// whatever accounts exist (no enumeration); the provider's page shows the admins why (`why`, in the newest
/// refusal's diagnosis). Returns the page.
pub(crate) async fn refused_without_account(
    admin: &Browser,
    identifier: &str,
    response: reqwest::Response,
    why: &str,
) -> String {
    let page = refused_with(response, 403, "sso.no_account").await;
    assert!(
        page.contains("there is no Portcullis account for you"),
        "{page}"
    );
    assert!(!page.contains(why), "the person is not told why: {page}");
    let failures = admin
        .call_raw("identity_provider", &[("identifier", identifier)])
        .await
        .body["recent_failures"]
        .clone();
    let newest = failures[0]["diagnosis"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(newest.contains(why), "{failures}");
    page
}

pub(crate) async fn detail(setup: &Setup, identifier: &str) -> Value {
    setup
        .admin
        .call_raw("identity_provider", &[("identifier", identifier)])
        .await
        .body
}

#[tokio::test]
async fn an_admin_registers_an_identity_provider_from_metadata() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let reply = register(&setup, IDENTIFIER, &metadata(), &[]).await;
        reply.assert_ok();
        assert_eq!(
            reply.location().as_deref(),
            Some("/identity-providers/acme")
        );
        let idp = detail(&setup, IDENTIFIER).await;
        assert_eq!(idp["entity_id"], IDP_ENTITY_ID);
        assert_eq!(idp["sso_url"], SSO_URL);
        assert_eq!(idp["sso_binding"], "redirect");
        assert_eq!(idp["clock_skew_seconds"], 180);
        assert_eq!(idp["allow_sha1"], false);
        assert_eq!(idp["revision"], 1);
        assert_eq!(
            idp["certificates"][0]["fingerprint_sha256"],
            idp_key().certificate.fingerprint_sha256
        );
        let base = &setup.app.state.config.base_url;
        assert_eq!(
            idp["service_provider"]["acs_url"],
            format!("{base}/saml/acme/acs")
        );
        assert_eq!(
            idp["service_provider"]["login_url"],
            format!("{base}/saml/acme")
        );
        assert_eq!(idp["organizations"][0]["organization_name"], "Acme Corp");

        // Our SP metadata, as the admin pastes it into the IdP.
        let sp = setup.admin.get("/saml/acme/metadata").await;
        assert_eq!(sp.status().as_u16(), 200);
        assert!(sp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("samlmetadata+xml"));
        let xml = sp.text().await.unwrap();
        let parsed = roxmltree::Document::parse(&xml).expect("well-formed SP metadata");
        assert_eq!(
            parsed.root_element().attribute("entityID"),
            Some(format!("{base}/saml/acme/metadata").as_str())
        );
        assert!(
            xml.contains(&format!("Location=\"{base}/saml/acme/acs\"")),
            "{xml}"
        );
        assert!(xml.contains("WantAssertionsSigned=\"true\""), "{xml}");

        // Identifiers are unique and restricted.
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_error(409, "idp.identifier_taken");
        let bad = register(&setup, "Acme Corp!", &metadata(), &[]).await;
        bad.assert_error(422, "idp.identifier_invalid");
        assert_eq!(bad.field(), Some("identifier"));

        // Editing bumps the revision.
        setup
            .admin
            .call(
                "update_identity_provider",
                &[
                    ("current_identifier", IDENTIFIER),
                    ("name", "Acme Okta"),
                    ("identifier", IDENTIFIER),
                    ("name_id_format", "email"),
                    ("clock_skew_seconds", "60"),
                    ("allow_sha1", "on"),
                    ("allow_merge", "on"),
                    ("allow_pre_provisioned", "on"),
                ],
            )
            .await
            .assert_ok();
        let idp = detail(&setup, IDENTIFIER).await;
        assert_eq!(idp["revision"], 2);
        assert_eq!(idp["clock_skew_seconds"], 60);
        assert_eq!(idp["allow_sha1"], true);
        assert_eq!(idp["name"], "Acme Okta");
    }
}

#[tokio::test]
async fn broken_metadata_is_refused_with_a_specific_error() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let cases: Vec<(String, &str)> = vec![
            ("<md:EntityDescriptor".to_string(), "idp.metadata_malformed"),
            (
                format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}", metadata()),
                "idp.metadata_malformed",
            ),
            (
                r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#.to_string(),
                "idp.metadata_no_idp_descriptor",
            ),
            (
                idp_metadata(IDP_ENTITY_ID, SSO_URL, &[], &[EMAIL_FORMAT], REDIRECT_BINDING),
                "idp.metadata_no_signing_certificate",
            ),
            (
                idp_metadata(IDP_ENTITY_ID, SSO_URL, &[expired_key()], &[EMAIL_FORMAT], REDIRECT_BINDING),
                "idp.certificate_expired",
            ),
            (
                idp_metadata(
                    IDP_ENTITY_ID,
                    SSO_URL,
                    &[idp_key()],
                    &["urn:oasis:names:tc:SAML:2.0:nameid-format:transient"],
                    REDIRECT_BINDING,
                ),
                "idp.metadata_no_supported_name_id_format",
            ),
            (
                idp_metadata(
                    IDP_ENTITY_ID,
                    SSO_URL,
                    &[idp_key()],
                    &[EMAIL_FORMAT],
                    "urn:oasis:names:tc:SAML:2.0:bindings:SOAP",
                ),
                "idp.metadata_no_usable_binding",
            ),
        ];
        for (xml, code) in cases {
            let reply = register(&setup, IDENTIFIER, &xml, &[]).await;
            reply.assert_error(422, code);
            assert_eq!(reply.field(), Some("metadata"), "{code}");
        }
        // Nothing was half-written.
        detail(&setup, IDENTIFIER).await;
        let missing = setup
            .admin
            .call_raw("identity_provider", &[("identifier", IDENTIFIER)])
            .await;
        missing.assert_error(404, "idp.not_found");

        // An expired certificate next to a valid one is dropped; a POST-only IdP is used with HTTP-POST.
        let rotating = idp_metadata(
            IDP_ENTITY_ID,
            SSO_URL,
            &[expired_key(), idp_key()],
            &[],
            POST_BINDING,
        );
        register(&setup, IDENTIFIER, &rotating, &[])
            .await
            .assert_ok();
        let idp = detail(&setup, IDENTIFIER).await;
        assert_eq!(idp["certificates"].as_array().unwrap().len(), 1);
        assert_eq!(idp["sso_binding"], "post");
    }
}

async fn manual(
    setup: &Setup,
    org: &str,
    entity: &str,
    url: &str,
    cert: String,
) -> crate::helpers::Reply {
    setup
        .admin
        .call(
            "create_identity_provider",
            &[
                ("organization_id", org),
                ("name", "Typed"),
                ("identifier", "typed"),
                ("source", "manual"),
                ("entity_id", entity),
                ("sso_url", url),
                ("sso_binding", "redirect"),
                ("certificate", cert.as_str()),
                ("name_id_format", "persistent"),
            ],
        )
        .await
}

#[tokio::test]
async fn typed_settings_are_checked_like_metadata() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let org = setup.organization_id.to_string();
        let pem = idp_key().certificate.to_pem();
        manual(&setup, &org, IDP_ENTITY_ID, "ftp://idp", pem.clone())
            .await
            .assert_error(422, "idp.sso_url_invalid");
        manual(
            &setup,
            &org,
            IDP_ENTITY_ID,
            SSO_URL,
            "not a certificate".into(),
        )
        .await
        .assert_error(422, "idp.certificate_invalid");
        manual(
            &setup,
            &org,
            IDP_ENTITY_ID,
            SSO_URL,
            expired_key().certificate.to_pem(),
        )
        .await
        .assert_error(422, "idp.certificate_expired");
        manual(&setup, &org, "", SSO_URL, pem.clone())
            .await
            .assert_error(422, "idp.entity_id_invalid");
        manual(&setup, &org, IDP_ENTITY_ID, SSO_URL, pem)
            .await
            .assert_ok();
        let idp = detail(&setup, "typed").await;
        assert_eq!(idp["name_id_format"], "persistent");
        assert_eq!(idp["has_metadata"], false);

        // A member (not an admin) cannot register one for the organization.
        let stranger = setup.app.signed_in_user("Sam", "sam@corp.example").await;
        stranger
            .call(
                "create_identity_provider",
                &[
                    ("organization_id", org.as_str()),
                    ("name", "Mine"),
                    ("identifier", "mine"),
                    ("source", "metadata"),
                    ("metadata", &metadata()),
                    ("name_id_format", "email"),
                ],
            )
            .await
            .assert_error(404, "organization.not_found");
        stranger
            .call_raw("identity_provider", &[("identifier", "typed")])
            .await
            .assert_error(404, "idp.not_found");
    }
}

#[tokio::test]
async fn a_pre_provisioned_member_signs_in_by_sso() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;

        let browser = setup.app.browser();
        let (request_id, relay_state) = start_login(&browser, Some("/organizations")).await;
        assert_eq!(relay_state, "/organizations");
        let xml = spec(&setup.app, Some(&request_id))
            .for_name_id("mia@corp.example")
            .build();
        let response = post_response(&browser, &xml, &relay_state).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "{:?}",
            response.text().await
        );
        assert_eq!(response.headers()["location"], "/organizations");
        assert_eq!(
            browser.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
        let idp = detail(&setup, IDENTIFIER).await;
        assert_eq!(idp["linked_accounts"], 1);

        // The same response again: its request was consumed.
        let again = setup.app.browser();
        again.set_cookie(&browser.cookies());
        refused_with(
            post_response(&browser, &xml, "").await,
            403,
            "saml.in_response_to_mismatch",
        )
        .await;

        // A second login links to the same account through the stored identity.
        let second = setup.app.browser();
        let (request_id, _) = start_login(&second, None).await;
        let mut next = spec(&setup.app, Some(&request_id)).for_name_id("mia@corp.example");
        next.assertion_id = "_assert-second-login".into();
        let response = post_response(&second, &next.build(), "").await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()["location"], "/dashboard");
        assert_eq!(
            second.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
    }
}

#[tokio::test]
async fn a_request_is_bound_to_the_browser_that_started_it() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let victim = setup.app.browser();
        let (request_id, _) = start_login(&victim, None).await;
        // An attacker's browser (its own pre-login cookie) posts a response answering the victim's request.
        let attacker = setup.app.browser();
        attacker.get("/login").await;
        let xml = spec(&setup.app, Some(&request_id))
            .for_name_id("mia@corp.example")
            .build();
        refused_with(
            post_response(&attacker, &xml, "").await,
            403,
            "saml.in_response_to_mismatch",
        )
        .await;
        assert_eq!(attacker.signed_in_email().await, None);
        // The victim's browser still can.
        let response = post_response(&victim, &xml, "").await;
        assert_eq!(response.status().as_u16(), 303);
    }
}

#[tokio::test]
async fn two_responses_to_one_request_sign_in_once() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let browser = setup.app.browser();
        let (request_id, _) = start_login(&browser, None).await;
        let first = spec(&setup.app, Some(&request_id)).for_name_id("mia@corp.example");
        let mut second = first.clone();
        second.assertion_id = "_assert-other".into();
        let (first, second) = (first.build(), second.build());
        let (a, b) = tokio::join!(
            post_response(&browser, &first, ""),
            post_response(&browser, &second, "")
        );
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [303, 403], "exactly one response is accepted");
    }
}

#[tokio::test]
async fn an_unsolicited_response_is_accepted_once_when_allowed() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let unsolicited = spec(&setup.app, None)
            .for_name_id("mia@corp.example")
            .build();
        let browser = setup.app.browser();
        browser.get("/login").await;
        refused_with(
            post_response(&browser, &unsolicited, "").await,
            403,
            "saml.unsolicited",
        )
        .await;

        setup
            .admin
            .call(
                "update_identity_provider",
                &[
                    ("current_identifier", IDENTIFIER),
                    ("name", "Acme"),
                    ("identifier", IDENTIFIER),
                    ("name_id_format", "email"),
                    ("allow_idp_initiated", "on"),
                    ("allow_merge", "on"),
                    ("allow_pre_provisioned", "on"),
                ],
            )
            .await
            .assert_ok();
        // Nobody started it in this browser: the person confirms first (login CSRF), and RelayState may only
        // name a relative path.
        let response = post_response(&browser, &unsolicited, "https://evil.example/phish").await;
        let page = confirmation_asked(response, "mia@corp.example").await;
        assert!(page.contains("Acme"), "{page}");
        assert_eq!(
            browser.signed_in_email().await,
            None,
            "not before confirming"
        );
        let response = confirm_sso(&browser).await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()["location"], "/dashboard");
        assert_eq!(
            browser.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );

        let replay = setup.app.browser();
        replay.get("/login").await;
        let page = refused_with(
            post_response(&replay, &unsolicited, "/fleets").await,
            403,
            "saml.replayed",
        )
        .await;
        assert!(page.contains("already used"), "{page}");
        assert_eq!(replay.signed_in_email().await, None);

        let idp = detail(&setup, IDENTIFIER).await;
        let failures = idp["recent_failures"].as_array().unwrap();
        assert_eq!(failures[0]["code"], "saml.replayed");
        assert!(failures[0]["diagnosis"]
            .as_str()
            .unwrap()
            .contains("_assert-1a2b3c4d"));
        assert_eq!(failures[1]["code"], "saml.unsolicited");
    }
}

#[tokio::test]
async fn a_valid_response_for_someone_without_an_account_signs_nobody_in() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        // Ada has a password account: SSO never converts it silently.
        for (email, assertion_id) in [
            ("nobody@corp.example", "_nobody-1"),
            ("ada@corp.example", "_ada-1"),
        ] {
            let browser = setup.app.browser();
            let (request_id, _) = start_login(&browser, None).await;
            let mut response = spec(&setup.app, Some(&request_id)).for_name_id(email);
            response.assertion_id = assertion_id.into();
            let xml = response.build();
            refused_with(
                post_response(&browser, &xml, "").await,
                403,
                "sso.no_account",
            )
            .await;
            assert_eq!(browser.signed_in_email().await, None);
        }
        assert_eq!(detail(&setup, IDENTIFIER).await["linked_accounts"], 0);
        // Ada's password still works.
        setup
            .app
            .browser()
            .log_in("ada@corp.example", PASSWORD)
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn a_tampered_response_shows_a_clear_error_and_the_admin_sees_why() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let browser = setup.app.browser();
        let (request_id, _) = start_login(&browser, None).await;
        let xml = spec(&setup.app, Some(&request_id))
            .for_name_id("mia@corp.example")
            .build()
            .replace(">mia@corp.example<", ">ada@corp.example<");
        let page = refused_with(
            post_response(&browser, &xml, "").await,
            403,
            "saml.signature_invalid",
        )
        .await;
        assert!(page.contains("signature is not valid"), "{page}");
        assert!(!page.contains("xmlsec"), "no library errors on the page");
        let idp = detail(&setup, IDENTIFIER).await;
        let diagnosis = idp["recent_failures"][0]["diagnosis"].as_str().unwrap();
        assert!(
            diagnosis.contains(&idp_key().certificate.fingerprint_sha256),
            "{diagnosis}"
        );
    }
}

#[tokio::test]
async fn the_acs_reposts_a_cross_site_post_so_the_cookies_come_along() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let browser = setup.app.browser();
        let (request_id, _) = start_login(&browser, None).await;
        let xml = spec(&setup.app, Some(&request_id)).build();
        // A client without our cookies, as a browser posting cross-site with SameSite=Lax cookies.
        let encoded = base64::engine::general_purpose::STANDARD.encode(&xml);
        let bare = reqwest::Client::new();
        let response = bare
            .post(format!("{}/saml/{IDENTIFIER}/acs", setup.app.address))
            .form(&[("SAMLResponse", encoded.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            response.headers().get("set-cookie").is_none(),
            "no new pre-login cookie"
        );
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let page = response.text().await.unwrap();
        assert!(page.contains("name=\"cookie_check\""), "{page}");
        assert!(
            page.contains(&encoded[..40]),
            "the response is carried over"
        );
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert!(page.contains(&format!("<script nonce=\"{nonce}\">")));
    }
}

#[tokio::test]
async fn unknown_identifiers_go_back_to_the_login_page() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let browser = setup.app.browser();
        // The login form's target moves on with a page, not a redirect (form-action applies to redirects).
        let response = browser
            .get("/saml/start?identifier=+Nope+&return_to=/fleets/1")
            .await;
        assert_eq!(response.status().as_u16(), 200);
        let page = response.text().await.unwrap();
        assert!(
            page.contains("content=\"0;url=/saml/nope?return_to=/fleets/1\""),
            "{page}"
        );
        let response = browser.get("/saml/nope").await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(
            response.headers()["location"],
            "/login?sso_error=idp.not_found&sso_identifier=nope"
        );
        let response = browser.get("/saml/start?identifier=no%20spaces!").await;
        assert!(response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?sso_error=idp.identifier_invalid"));
    }
}

#[tokio::test]
async fn an_oversized_response_is_refused_before_decoding() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let browser = setup.app.browser();
        start_login(&browser, None).await;
        let huge = "PHNhbWxwOlJlc3BvbnNl".repeat(15_000);
        let response = browser
            .client
            .post(format!("{}/saml/{IDENTIFIER}/acs", browser.address))
            .form(&[("SAMLResponse", huge.as_str())])
            .send()
            .await
            .unwrap();
        refused_with(response, 403, "saml.body_too_large").await;
        // So is an oversized RelayState, and both before a cookie-less post is echoed back in the page that
        // re-posts it.
        start_login(&browser, None).await;
        let long_relay_state = "/".repeat(1_025);
        refused_with(
            post_response(&browser, "<x/>", &long_relay_state).await,
            403,
            "saml.relay_state_too_long",
        )
        .await;
        let cookieless = reqwest::Client::new();
        let echoed = |form: Vec<(&'static str, String)>| {
            let request = cookieless
                .post(format!("{}/saml/{IDENTIFIER}/acs", browser.address))
                .form(&form);
            async move { request.send().await.unwrap() }
        };
        let refused = echoed(vec![("SAMLResponse", huge.clone())]).await;
        assert_eq!(refused.status().as_u16(), 413);
        let page = refused.text().await.unwrap();
        assert!(page.contains("saml.body_too_large"), "{page}");
        assert!(page.len() < 10_000, "nothing echoed: {} bytes", page.len());
        let small = echoed(vec![("SAMLResponse", "PHg+PC94Pg==".into())]).await;
        assert_eq!(small.status().as_u16(), 200, "a small post is re-posted");
        assert!(small.text().await.unwrap().contains("PHg+PC94Pg=="));
    }
}

#[tokio::test]
async fn expired_requests_and_replay_entries_are_purged() {
    use portcullis::server::db::entities::{saml_replay, saml_request};
    use sea_orm::{EntityTrait, PaginatorTrait};
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let browser = setup.app.browser();
        let (request_id, _) = start_login(&browser, None).await;
        start_login(&browser, None).await;
        let xml = spec(&setup.app, Some(&request_id))
            .for_name_id("mia@corp.example")
            .build();
        assert_eq!(
            post_response(&browser, &xml, "").await.status().as_u16(),
            303
        );
        let db = &setup.app.state.db;
        assert_eq!(
            saml_request::Entity::find().count(db).await.unwrap(),
            1,
            "one left outstanding"
        );
        assert_eq!(saml_replay::Entity::find().count(db).await.unwrap(), 1);

        // Within the assertion's validity (plus skew) nothing goes; after it, both go.
        setup.app.clock.advance(chrono::Duration::minutes(5));
        portcullis::server::services::maintenance::purge_expired(&setup.app.state)
            .await
            .unwrap();
        assert_eq!(
            saml_replay::Entity::find().count(db).await.unwrap(),
            1,
            "kept while replayable"
        );
        setup.app.clock.advance(chrono::Duration::minutes(20));
        portcullis::server::services::maintenance::purge_expired(&setup.app.state)
            .await
            .unwrap();
        assert_eq!(saml_request::Entity::find().count(db).await.unwrap(), 0);
        assert_eq!(saml_replay::Entity::find().count(db).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn another_organizations_identity_provider_cannot_claim_a_provisioned_account() {
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        // Mia also joins Beta, whose owner registers their own identity provider asserting her address.
        let beta_owner = setup.app.signed_in_user("Bea", "bea@beta.example").await;
        let beta = beta_owner
            .call("create_organization", &[("name", "Beta")])
            .await
            .body
            .as_i64()
            .unwrap();
        setup
            .app
            .state
            .db
            .execute_unprepared(&format!(
                "INSERT INTO memberships (organization_id, user_id, role, created_at) \
                 SELECT {beta}, id, 'member', created_at FROM users WHERE email = 'mia@corp.example'"
            ))
            .await
            .unwrap();
        let rogue_metadata = idp_metadata(
            "https://rogue.example/idp",
            "https://rogue.example/sso",
            &[attacker_key()],
            &[EMAIL_FORMAT],
            REDIRECT_BINDING,
        );
        beta_owner
            .call(
                "create_identity_provider",
                &[
                    ("organization_id", &beta.to_string()),
                    ("name", "Beta IdP"),
                    ("identifier", "beta"),
                    ("source", "metadata"),
                    ("metadata", &rogue_metadata),
                    ("allow_pre_provisioned", "on"),
                    ("name_id_format", "email"),
                ],
            )
            .await
            .assert_ok();
        let browser = setup.app.browser();
        let (request_id, _, _) = start_login_at(&browser, "/saml/beta").await;
        let base = setup.app.state.config.base_url.clone();
        let forged = ResponseSpec {
            key: attacker_key(),
            key_info: Some(attacker_key()),
            response_issuer: Some("https://rogue.example/idp".into()),
            assertion_issuer: Some("https://rogue.example/idp".into()),
            ..ResponseSpec::for_app(&base, "beta", setup.app.state.now())
        }
        .answering(Some(&request_id))
        .for_name_id("mia@corp.example")
        .build();
        let encoded = base64::engine::general_purpose::STANDARD.encode(forged);
        let response = browser
            .client
            .post(format!("{}/saml/beta/acs", browser.address))
            .form(&[("SAMLResponse", encoded.as_str())])
            .send()
            .await
            .unwrap();
        refused_without_account(
            &beta_owner,
            "beta",
            response,
            "does not use this identity provider",
        )
        .await;
        assert_eq!(browser.signed_in_email().await, None);
    }
}

#[tokio::test]
async fn an_account_without_password_gets_no_reset_link() {
    for backend in backends() {
        let setup = setup(&backend).await;
        provision(&setup, "mia@corp.example").await;
        setup
            .app
            .browser()
            .call("request_password_reset", &[("email", "mia@corp.example")])
            .await
            .assert_ok();
        let mail = setup
            .app
            .mail
            .wait_for("mia@corp.example", "single sign-on")
            .await;
        assert!(
            mail.body().contains("Log in with Enterprise SSO"),
            "{}",
            mail.body()
        );
        assert!(!mail.body().contains("reset-password?token="));
    }
}

#[tokio::test]
async fn an_identity_provider_with_only_http_post_gets_an_auto_posted_request() {
    for backend in backends() {
        let setup = setup(&backend).await;
        let post_only = idp_metadata(
            IDP_ENTITY_ID,
            SSO_URL,
            &[idp_key()],
            &[EMAIL_FORMAT],
            POST_BINDING,
        );
        register(&setup, IDENTIFIER, &post_only, &[])
            .await
            .assert_ok();
        let browser = setup.app.browser();
        let response = browser.get("/saml/acme?return_to=/fleets/7").await;
        assert_eq!(response.status().as_u16(), 200);
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            csp.contains("form-action 'self' https://idp.corp.example"),
            "{csp}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(&format!("action=\"{SSO_URL}\"")), "{page}");
        assert!(
            page.contains("name=\"RelayState\" value=\"/fleets/7\""),
            "{page}"
        );
        let encoded = page
            .split("name=\"SAMLRequest\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let xml = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap(),
        )
        .unwrap();
        let request = roxmltree::Document::parse(&xml).unwrap();
        let root = request.root_element();
        assert_eq!(root.tag_name().name(), "AuthnRequest");
        assert_eq!(root.attribute("Destination"), Some(SSO_URL));
        let base = &setup.app.state.config.base_url;
        assert_eq!(
            root.attribute("AssertionConsumerServiceURL"),
            Some(format!("{base}/saml/acme/acs").as_str())
        );
        // The request is outstanding for this browser: a response answering it signs in.
        provision(&setup, "mia@corp.example").await;
        let id = root.attribute("ID").unwrap();
        let xml = spec(&setup.app, Some(id))
            .for_name_id("mia@corp.example")
            .build();
        let response = post_response(&browser, &xml, "/fleets/7").await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()["location"], "/fleets/7");
    }
}

/// Bob, a password account and admin of the setup's organization.
pub(crate) async fn admin_bob(setup: &Setup) -> Browser {
    let bob = setup.app.signed_in_user("Bob", "bob@corp.example").await;
    crate::helpers::join_organization(
        &setup.app,
        &setup.admin,
        &bob,
        setup.organization_id,
        "bob@corp.example",
        "admin",
    )
    .await;
    bob
}

/// Signs `browser` in by SSO as `email` (a fresh assertion ID each time); returns the ACS's answer.
pub(crate) async fn sso_login(
    setup: &Setup,
    browser: &Browser,
    email: &str,
    assertion_id: &str,
) -> reqwest::Response {
    let (request_id, _) = start_login(browser, None).await;
    let mut response = spec(&setup.app, Some(&request_id)).for_name_id(email);
    response.assertion_id = assertion_id.into();
    post_response(browser, &response.build(), "").await
}

/// An organization with the identity provider, and Mia (pre-provisioned) signed in through it.
pub(crate) async fn mia_signed_in_by_sso(
    backend: &crate::helpers::Backend,
    assertion_id: &str,
) -> (Setup, Browser) {
    let setup = setup(backend).await;
    register(&setup, IDENTIFIER, &metadata(), &[])
        .await
        .assert_ok();
    provision(&setup, "mia@corp.example").await;
    let mia = setup.app.browser();
    let response = sso_login(&setup, &mia, "mia@corp.example", assertion_id).await;
    assert_eq!(response.status().as_u16(), 303);
    (setup, mia)
}

#[tokio::test]
async fn an_sso_account_uses_2fa_after_the_idp_and_has_no_personal_keys() {
    use crate::helpers::{next_totp_step, totp_code};
    for backend in backends() {
        let (setup, mia) = mia_signed_in_by_sso(&backend, "_assert-2fa-1").await;

        // No personal keys for an account that signs in with SSO, and the page says why.
        let keys = mia.call_raw("personal_api_keys", &[]).await.body;
        assert_eq!(keys["allowed"], false);
        mia.call(
            "create_personal_api_key",
            &[("name", "mine"), ("expires_in_days", "30")],
        )
        .await
        .assert_error(403, "api_key.personal_keys_unavailable");
        // As an organization admin, the same SSO account creates organization keys for automation.
        let org = setup.organization_id.to_string();
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
        let created = mia
            .call(
                "create_organization_api_key",
                &[("organization_id", &org), ("name", "CI"), ("role", "admin")],
            )
            .await;
        created.assert_ok();
        let key = created.body["secret"].as_str().unwrap();
        let me = setup.app.api("GET", "/api/v1/me", Some(key), None).await;
        assert_eq!(me.assert_status(200)["role"], "admin");

        // 2FA can be turned on; then, after the identity provider, the code is asked for.
        let started = mia.call("begin_two_factor", &[]).await;
        started.assert_ok();
        let secret = started.body["secret"].as_str().unwrap().to_string();
        mia.call(
            "confirm_two_factor",
            &[("code", &totp_code(&setup.app, &secret))],
        )
        .await
        .assert_ok();
        let browser = setup.app.browser();
        let response = sso_login(&setup, &browser, "mia@corp.example", "_assert-2fa-2").await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()["location"], "/login/two-factor");
        assert_eq!(browser.signed_in_email().await, None);
        next_totp_step(&setup.app);
        let done = browser
            .call(
                "log_in_second_factor",
                &[("code", &totp_code(&setup.app, &secret))],
            )
            .await;
        done.assert_ok();
        assert_eq!(
            browser.signed_in_email().await.as_deref(),
            Some("mia@corp.example")
        );
        let sessions = browser.call_raw("sessions", &[]).await.body;
        assert!(sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["current"] == true && s["auth_method"] == "saml"));

        // Turning 2FA off without a password takes a fresh SSO login (10 minutes) and a code.
        setup.app.clock.advance(chrono::Duration::minutes(11));
        next_totp_step(&setup.app);
        browser
            .call(
                "disable_two_factor",
                &[("code", &totp_code(&setup.app, &secret))],
            )
            .await
            .assert_error(403, "two_factor.fresh_sso_login_required");
        let fresh = setup.app.browser();
        sso_login(&setup, &fresh, "mia@corp.example", "_assert-2fa-3").await;
        next_totp_step(&setup.app);
        fresh
            .call(
                "log_in_second_factor",
                &[("code", &totp_code(&setup.app, &secret))],
            )
            .await
            .assert_ok();
        next_totp_step(&setup.app);
        fresh
            .call(
                "disable_two_factor",
                &[("code", &totp_code(&setup.app, &secret))],
            )
            .await
            .assert_ok();
        assert_eq!(
            fresh.call_raw("two_factor_status", &[]).await.body["enabled"],
            false
        );
    }
}

#[tokio::test]
async fn the_api_lists_an_identity_providers_saml_accounts_for_its_admins() {
    for backend in backends() {
        let (setup, _mia) = mia_signed_in_by_sso(&backend, "_assert-api-1").await;

        let key_for = |role: &'static str| {
            let admin = &setup.admin;
            let org = setup.organization_id.to_string();
            async move {
                let created = admin
                    .call(
                        "create_organization_api_key",
                        &[
                            ("organization_id", org.as_str()),
                            ("name", role),
                            ("role", role),
                        ],
                    )
                    .await;
                created.assert_ok();
                created.body["secret"].as_str().unwrap().to_string()
            }
        };
        let admin_key = key_for("admin").await;
        let member_key = key_for("member").await;
        let path = format!("/api/v1/identity-providers/{IDENTIFIER}/saml-accounts");
        let listed = setup.app.api("GET", &path, Some(&admin_key), None).await;
        let body = listed.assert_status(200);
        assert_eq!(body["pagination"]["total"], 1);
        assert_eq!(body["data"][0]["remote_id"], "mia@corp.example");
        assert_eq!(body["data"][0]["email"], "mia@corp.example");
        assert!(body["data"][0]["last_login_at"].is_string());
        // A member's key, and the key of another organization, do not see the provider at all.
        setup
            .app
            .api("GET", &path, Some(&member_key), None)
            .await
            .assert_error(404, "idp.not_found");
        let other = setup
            .admin
            .call("create_organization", &[("name", "Elsewhere")])
            .await
            .body
            .as_i64()
            .unwrap();
        let foreign = setup
            .admin
            .call(
                "create_organization_api_key",
                &[
                    ("organization_id", &other.to_string()),
                    ("name", "x"),
                    ("role", "owner"),
                ],
            )
            .await
            .body["secret"]
            .as_str()
            .unwrap()
            .to_string();
        setup
            .app
            .api("GET", &path, Some(&foreign), None)
            .await
            .assert_error(404, "idp.not_found");

        // Shared with a second organization, the provider shows each organization only its own people.
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
        setup
            .admin
            .call(
                "add_provisioned_member",
                &[
                    ("organization_id", &other.to_string()),
                    ("email", "zed@corp.example"),
                    ("name", "Zed Else"),
                    ("role", "member"),
                ],
            )
            .await
            .assert_ok();
        let zed = setup.app.browser();
        let response = sso_login(&setup, &zed, "zed@corp.example", "_assert-api-2").await;
        assert_eq!(response.status().as_u16(), 303);
        let remote_ids = |reply: &crate::helpers::ApiReply| -> Vec<String> {
            reply.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["remote_id"].as_str().unwrap().to_string())
                .collect()
        };
        // Mia signed in before Elsewhere was linked, so she is not one of its people; Zed joined both at login.
        let elsewhere = setup.app.api("GET", &path, Some(&foreign), None).await;
        elsewhere.assert_status(200);
        assert_eq!(remote_ids(&elsewhere), vec!["zed@corp.example"]);
        let acme = setup.app.api("GET", &path, Some(&admin_key), None).await;
        assert_eq!(
            remote_ids(&acme),
            vec!["mia@corp.example", "zed@corp.example"]
        );
        // Removed from Acme, Zed is no longer shown to Acme.
        let org = setup.organization_id.to_string();
        let zed_id = member_id(&setup.admin, &org, "zed@corp.example").await;
        setup
            .admin
            .call(
                "remove_member",
                &[("organization_id", &org), ("user_id", &zed_id)],
            )
            .await
            .assert_ok();
        let acme = setup.app.api("GET", &path, Some(&admin_key), None).await;
        assert_eq!(remote_ids(&acme), vec!["mia@corp.example"]);
    }
}

#[tokio::test]
async fn each_sso_login_joins_the_providers_organizations_and_default_teams_and_takes_nothing_away()
{
    for backend in backends() {
        let setup = setup(&backend).await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        provision(&setup, "mia@corp.example").await;
        let acme = setup.organization_id.to_string();
        let labs = setup
            .admin
            .call("create_organization", &[("name", "Acme Labs")])
            .await
            .body
            .as_i64()
            .unwrap()
            .to_string();
        setup
            .admin
            .call(
                "create_team",
                &[("organization_id", &labs), ("name", "Researchers")],
            )
            .await
            .assert_ok();
        let labs_detail = setup
            .admin
            .call_raw("organization", &[("organization_id", &labs)])
            .await
            .body;
        let team_id = labs_detail["teams"][0]["id"].to_string();
        setup
            .admin
            .call(
                "set_identity_provider_organization",
                &[
                    ("identifier", IDENTIFIER),
                    ("organization_id", &labs),
                    ("default_team_id", &team_id),
                ],
            )
            .await
            .assert_ok();

        let mia = setup.app.browser();
        let response = sso_login(&setup, &mia, "mia@corp.example", "_assert-join-1").await;
        assert_eq!(response.status().as_u16(), 303);
        let member_of = |detail: &Value| {
            detail["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["email"] == "mia@corp.example")
        };
        let labs_detail = setup
            .admin
            .call_raw("organization", &[("organization_id", &labs)])
            .await
            .body;
        assert!(member_of(&labs_detail), "joined the second organization");
        let role = labs_detail["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "mia@corp.example")
            .unwrap()["role"]
            .clone();
        assert_eq!(role, "member");
        let team = &labs_detail["teams"][0]["members"];
        assert!(
            team.as_array()
                .unwrap()
                .iter()
                .any(|m| m["email"] == "mia@corp.example"),
            "joined the default team"
        );

        // Promoted by hand in Acme; Labs unlinked from the provider: the next login keeps both.
        let mia_id = member_id(&setup.admin, &acme, "mia@corp.example").await;
        setup
            .admin
            .call(
                "change_member_role",
                &[
                    ("organization_id", &acme),
                    ("user_id", &mia_id),
                    ("role", "admin"),
                ],
            )
            .await
            .assert_ok();
        setup
            .admin
            .call(
                "remove_identity_provider_organization",
                &[("identifier", IDENTIFIER), ("organization_id", &labs)],
            )
            .await
            .assert_ok();
        let again = setup.app.browser();
        let response = sso_login(&setup, &again, "mia@corp.example", "_assert-join-2").await;
        assert_eq!(response.status().as_u16(), 303);
        let labs_detail = setup
            .admin
            .call_raw("organization", &[("organization_id", &labs)])
            .await
            .body;
        assert!(member_of(&labs_detail), "access given earlier stays");
        let acme_detail = setup
            .admin
            .call_raw("organization", &[("organization_id", &acme)])
            .await
            .body;
        let role = acme_detail["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "mia@corp.example")
            .unwrap()["role"]
            .clone();
        assert_eq!(role, "admin", "a role given by hand is kept");
    }
}

#[tokio::test]
async fn an_identity_provider_is_deleted_only_without_linked_accounts_by_admins_of_all_its_organizations(
) {
    for backend in backends() {
        let (setup, _mia) = mia_signed_in_by_sso(&backend, "_assert-delete-1").await;
        let idp = detail(&setup, IDENTIFIER).await;
        assert_eq!(idp["saml_accounts"][0]["remote_id"], "mia@corp.example");
        assert!(idp["saml_accounts"][0]["last_login_at"].is_string());
        let refused = setup
            .admin
            .call("delete_identity_provider", &[("identifier", IDENTIFIER)])
            .await;
        refused.assert_error(409, "idp.has_accounts");
        assert!(refused.body["message"]
            .as_str()
            .unwrap()
            .starts_with("1 SAML account is still linked"));

        // A second provider without accounts, serving Acme and Labs; Bob administers Acme only.
        register(&setup, "acme-two", &metadata(), &[])
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
                &[("identifier", "acme-two"), ("organization_id", &labs)],
            )
            .await
            .assert_ok();
        let bob = admin_bob(&setup).await;
        bob.call("delete_identity_provider", &[("identifier", "acme-two")])
            .await
            .assert_error(403, "permission_denied");
        let deleted = setup
            .admin
            .call("delete_identity_provider", &[("identifier", "acme-two")])
            .await;
        deleted.assert_ok();
        assert_eq!(deleted.location().as_deref(), Some("/dashboard"));
        setup
            .admin
            .call_raw("identity_provider", &[("identifier", "acme-two")])
            .await
            .assert_error(404, "idp.not_found");
        // Its login URL is gone too; the first provider is untouched.
        let response = setup.app.browser().get("/saml/acme-two").await;
        assert_eq!(response.status().as_u16(), 303);
        assert!(response.headers()["location"]
            .to_str()
            .unwrap()
            .contains("sso_error=idp.not_found"));
        assert_eq!(detail(&setup, IDENTIFIER).await["linked_accounts"], 1);
    }
}

#[tokio::test]
async fn just_in_time_accounts_are_created_only_in_verified_domains_when_allowed() {
    use crate::dns_server::DnsServer;
    for backend in backends() {
        let dns = DnsServer::start().await;
        let nameserver = dns.addr;
        let setup =
            setup_on(TestApp::spawn_with(&backend, |c| c.dns_nameserver = Some(nameserver)).await)
                .await;
        register(&setup, IDENTIFIER, &metadata(), &[])
            .await
            .assert_ok();
        let org = setup.organization_id.to_string();
        let claimed = setup
            .admin
            .call(
                "claim_domain",
                &[("organization_id", &org), ("domain", "corp.example")],
            )
            .await;
        dns.set_txt(
            "_portcullis-challenge.corp.example",
            &[claimed.body["record_value"].as_str().unwrap()],
        );
        setup
            .admin
            .call(
                "verify_domain",
                &[
                    ("organization_id", &org),
                    ("domain_id", &claimed.body["id"].to_string()),
                ],
            )
            .await
            .assert_ok();
        let jit_login = |email: &'static str, assertion: &'static str| {
            let setup = &setup;
            async move {
                let browser = setup.app.browser();
                let (request_id, _) = start_login(&browser, None).await;
                let mut response = spec(&setup.app, Some(&request_id)).for_name_id(email);
                response.assertion_id = assertion.into();
                response.attributes = vec![
                    ("firstName".into(), vec!["Jay".into()]),
                    ("lastName".into(), vec!["Doe".into()]),
                ];
                (
                    post_response(&browser, &response.build(), "").await,
                    browser,
                )
            }
        };

        // The policy is off by default: nobody unknown gets in, nothing is created.
        let (response, _) = jit_login("jay@corp.example", "_assert-jit-1").await;
        refused_without_account(
            &setup.admin,
            IDENTIFIER,
            response,
            "no account for jay@corp.example",
        )
        .await;

        setup
            .admin
            .call(
                "update_identity_provider",
                &[
                    ("current_identifier", IDENTIFIER),
                    ("name", "Acme Entra ID"),
                    ("identifier", IDENTIFIER),
                    ("name_id_format", "email"),
                    ("clock_skew_seconds", "180"),
                    ("allow_jit_accounts", "on"),
                    ("allow_merge", "on"),
                    ("allow_pre_provisioned", "on"),
                ],
            )
            .await
            .assert_ok();
        assert_eq!(detail(&setup, IDENTIFIER).await["allow_jit_accounts"], true);

        // In the verified domain: an account, named from the assertion, member of the organization.
        let (response, jay) = jit_login("jay@corp.example", "_assert-jit-2").await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "{:?}",
            response.text().await
        );
        let visit = jay.visit().await;
        assert_eq!(visit["user"]["email"], "jay@corp.example");
        assert_eq!(visit["user"]["name"], "Jay Doe");
        assert_eq!(visit["user"]["has_password"], false);
        let members = setup
            .admin
            .call_raw("organization", &[("organization_id", &org)])
            .await
            .body;
        assert!(members["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["email"] == "jay@corp.example"));

        // Outside any verified domain: refused, and no account appears.
        let (response, _) = jit_login("kim@elsewhere.example", "_assert-jit-3").await;
        refused_without_account(
            &setup.admin,
            IDENTIFIER,
            response,
            "elsewhere.example is not a verified domain",
        )
        .await;
        let again = setup.app.browser();
        again
            .sign_up("Kim", "kim@elsewhere.example", PASSWORD)
            .await
            .assert_ok();
        setup
            .app
            .mail
            .wait_for("kim@elsewhere.example", "Verify your email")
            .await;

        // A password account in the domain is never taken over: it must merge itself.
        let olaf = setup.app.signed_in_user("Olaf", "olaf@corp.example").await;
        let (response, _) = jit_login("olaf@corp.example", "_assert-jit-4").await;
        refused_without_account(&setup.admin, IDENTIFIER, response, "enable Enterprise SSO").await;
        assert_eq!(
            olaf.signed_in_email().await.as_deref(),
            Some("olaf@corp.example")
        );
    }
}
