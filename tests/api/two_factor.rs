//! Two-factor authentication through the real app: enrolment with a confirming code, login in two steps with a TOTP
//! code or a recovery code, every refusal (wrong, reused, another secret's, used recovery code, another browser,
//! too many attempts, too late), regenerating recovery codes, turning 2FA off, and an organization requiring it.

use serde_json::Value;

use crate::helpers::{
    backends, join_organization, next_totp_step, totp_code, Browser, TestApp, PASSWORD,
};

/// The strings of a JSON array (recovery codes).
fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|c| c.as_str().expect("a string").to_string())
        .collect()
}

/// Turns 2FA on for a signed-in browser; returns the secret and the recovery codes.
async fn enrol(app: &TestApp, browser: &Browser) -> (String, Vec<String>) {
    let started = browser.call("begin_two_factor", &[]).await;
    started.assert_ok();
    let secret = started.body["secret"].as_str().unwrap().to_string();
    let confirmed = browser
        .call("confirm_two_factor", &[("code", &totp_code(app, &secret))])
        .await;
    confirmed.assert_ok();
    let codes = strings(&confirmed.body);
    (secret, codes)
}

/// Passes the password step in a new browser; returns it, waiting for the second factor.
async fn password_step(app: &TestApp, email: &str) -> Browser {
    let browser = app.browser();
    let reply = browser.log_in(email, PASSWORD).await;
    reply.assert_ok();
    assert_eq!(
        reply.body,
        Value::String("SecondFactor".into()),
        "{:?}",
        reply.body
    );
    assert_eq!(reply.location().as_deref(), Some("/login/two-factor"));
    assert_eq!(
        browser.signed_in_email().await,
        None,
        "no session before the second factor"
    );
    browser
}

fn second_factor(code: &str) -> [(&str, &str); 1] {
    [("code", code)]
}

#[tokio::test]
async fn enrolment_then_login_with_a_code_or_a_recovery_code() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ada = app.signed_in_user("Ada", "ada@example.com").await;
        let status = ada.call_raw("two_factor_status", &[]).await.body;
        assert_eq!(status["enabled"], false);

        let started = ada.call("begin_two_factor", &[]).await;
        started.assert_ok();
        let secret = started.body["secret"].as_str().unwrap().to_string();
        assert!(started.body["uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Portcullis:ada%40example.com?"));
        assert!(started.body["qr_code"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,"));
        // A wrong code does not turn 2FA on.
        let wrong = if totp_code(&app, &secret) == "000000" {
            "111111"
        } else {
            "000000"
        };
        let refused = ada.call("confirm_two_factor", &[("code", wrong)]).await;
        refused.assert_error(422, "two_factor.code_invalid");
        assert_eq!(refused.field(), Some("code"));
        assert_eq!(
            ada.call_raw("two_factor_status", &[]).await.body["enabled"],
            false
        );

        let confirmed = ada
            .call("confirm_two_factor", &[("code", &totp_code(&app, &secret))])
            .await;
        confirmed.assert_ok();
        let codes: Vec<String> = strings(&confirmed.body);
        assert_eq!(codes.len(), 10);
        let status = ada.call_raw("two_factor_status", &[]).await.body;
        assert_eq!(
            (
                status["enabled"].clone(),
                status["recovery_codes_left"].clone()
            ),
            (Value::Bool(true), Value::from(10))
        );
        app.mail
            .wait_for("ada@example.com", "Two-factor authentication was turned on")
            .await;
        ada.call("begin_two_factor", &[])
            .await
            .assert_error(409, "two_factor.already_enabled");

        // Password first; the code of the step used at enrolment is spent.
        let browser = password_step(&app, "ada@example.com").await;
        let challenge = browser.call_raw("login_challenge", &[]).await;
        challenge.assert_ok();
        assert_eq!(challenge.body["step"], "SecondFactor");
        assert_eq!(challenge.body["email"], "ada@example.com");
        browser
            .call(
                "log_in_second_factor",
                &second_factor(&totp_code(&app, &secret)),
            )
            .await
            .assert_error(422, "two_factor.code_reused");
        next_totp_step(&app);
        // A code of another secret is refused as not correct.
        let other_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let foreign = totp_code(&app, other_secret);
        if foreign != totp_code(&app, &secret) {
            browser
                .call("log_in_second_factor", &second_factor(&foreign))
                .await
                .assert_error(422, "two_factor.code_invalid");
        }
        let code = totp_code(&app, &secret);
        let done = browser
            .call("log_in_second_factor", &second_factor(&code))
            .await;
        done.assert_ok();
        assert_eq!(done.location().as_deref(), Some("/dashboard"));
        assert_eq!(
            browser.signed_in_email().await.as_deref(),
            Some("ada@example.com")
        );

        // The same code in another login is refused: each code works once.
        let replay = password_step(&app, "ada@example.com").await;
        replay
            .call("log_in_second_factor", &second_factor(&code))
            .await
            .assert_error(422, "two_factor.code_reused");
        // A recovery code works, typed in capitals and without its dash; then never again.
        let typed = codes[3].to_uppercase().replace('-', "");
        replay
            .call("log_in_second_factor", &second_factor(&typed))
            .await
            .assert_ok();
        assert_eq!(
            replay.signed_in_email().await.as_deref(),
            Some("ada@example.com")
        );
        let again = password_step(&app, "ada@example.com").await;
        let used = again
            .call("log_in_second_factor", &second_factor(&codes[3]))
            .await;
        used.assert_error(422, "two_factor.recovery_code_used");
        assert_ne!(
            used.body["message"],
            again
                .call("log_in_second_factor", &second_factor("zzzzz-zzzzz"))
                .await
                .body["message"]
        );
        assert_eq!(
            ada.call_raw("two_factor_status", &[]).await.body["recovery_codes_left"],
            9
        );
    }
}

#[tokio::test]
async fn the_second_step_belongs_to_one_browser_for_ten_minutes_and_five_tries() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ada = app.signed_in_user("Ada", "ada@example.com").await;
        let (secret, _) = enrol(&app, &ada).await;
        next_totp_step(&app);

        // Another browser cannot finish this browser's login.
        let _started = password_step(&app, "ada@example.com").await;
        let stranger = app.browser();
        stranger
            .call(
                "log_in_second_factor",
                &second_factor(&totp_code(&app, &secret)),
            )
            .await
            .assert_error(410, "two_factor.login_expired");
        stranger
            .call_raw("login_challenge", &[])
            .await
            .assert_error(410, "two_factor.login_expired");

        // Five wrong codes, then the login starts over (even the right code no longer helps).
        let browser = password_step(&app, "ada@example.com").await;
        for _ in 0..5 {
            browser
                .call("log_in_second_factor", &second_factor("abcde-fghjk"))
                .await
                .assert_error(422, "two_factor.code_invalid");
        }
        let locked = browser
            .call(
                "log_in_second_factor",
                &second_factor(&totp_code(&app, &secret)),
            )
            .await;
        locked.assert_error(410, "two_factor.login_expired");
        assert!(locked.body["message"]
            .as_str()
            .unwrap()
            .contains("Too many wrong codes"));

        // Ten minutes later the waiting login is gone.
        let slow = password_step(&app, "ada@example.com").await;
        app.clock.advance(chrono::Duration::minutes(11));
        slow.call(
            "log_in_second_factor",
            &second_factor(&totp_code(&app, &secret)),
        )
        .await
        .assert_error(410, "two_factor.login_expired");
        assert_eq!(slow.signed_in_email().await, None);
    }
}

#[tokio::test]
async fn recovery_codes_are_replaced_and_2fa_turned_off_with_password_and_code() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ada = app.signed_in_user("Ada", "ada@example.com").await;
        let (secret, old_codes) = enrol(&app, &ada).await;
        next_totp_step(&app);
        let fresh = ada
            .call(
                "regenerate_recovery_codes",
                &[("code", &totp_code(&app, &secret))],
            )
            .await;
        fresh.assert_ok();
        let new_codes: Vec<String> = strings(&fresh.body);
        assert_eq!(new_codes.len(), 10);
        assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
        let browser = password_step(&app, "ada@example.com").await;
        browser
            .call("log_in_second_factor", &second_factor(&old_codes[0]))
            .await
            .assert_error(422, "two_factor.code_invalid");
        browser
            .call("log_in_second_factor", &second_factor(&new_codes[0]))
            .await
            .assert_ok();

        // Turning off needs the password and a code.
        next_totp_step(&app);
        let code = totp_code(&app, &secret);
        let wrong_password = ada
            .call(
                "disable_two_factor",
                &[("password", "not-my-password-at-all"), ("code", &code)],
            )
            .await;
        wrong_password.assert_error(422, "auth.current_password_wrong");
        assert_eq!(wrong_password.field(), Some("password"));
        ada.call(
            "disable_two_factor",
            &[("password", PASSWORD), ("code", "")],
        )
        .await
        .assert_error(422, "two_factor.code_invalid");
        ada.call(
            "disable_two_factor",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await
        .assert_ok();
        app.mail
            .wait_for(
                "ada@example.com",
                "Two-factor authentication was turned off",
            )
            .await;
        assert_eq!(
            ada.call_raw("two_factor_status", &[]).await.body["enabled"],
            false
        );
        ada.call(
            "disable_two_factor",
            &[("password", PASSWORD), ("code", &code)],
        )
        .await
        .assert_error(409, "two_factor.not_enabled");
        // Logging in takes the password alone again.
        let plain = app.browser();
        let reply = plain.log_in("ada@example.com", PASSWORD).await;
        reply.assert_ok();
        assert_eq!(
            plain.signed_in_email().await.as_deref(),
            Some("ada@example.com")
        );
    }
}

#[tokio::test]
async fn an_organization_requiring_2fa_makes_members_enrol_at_their_next_login() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let reply = owner.call("create_organization", &[("name", "Acme")]).await;
        reply.assert_ok();
        let org = reply.body.as_i64().unwrap().to_string();
        let bob = app.signed_in_user("Bob", "bob@example.com").await;
        let org_id: i64 = org.parse().unwrap();
        join_organization(&app, &owner, &bob, org_id, "bob@example.com", "admin").await;

        // Only owners change the requirement.
        bob.call(
            "set_require_two_factor",
            &[("organization_id", &org), ("required", "on")],
        )
        .await
        .assert_error(403, "permission_denied");
        owner
            .call(
                "set_require_two_factor",
                &[("organization_id", &org), ("required", "on")],
            )
            .await
            .assert_ok();
        let detail = owner
            .call_raw("organization", &[("organization_id", &org)])
            .await
            .body;
        assert_eq!(detail["require_two_factor"], true);

        // Bob's next password login waits for enrolment.
        let browser = app.browser();
        let reply = browser.log_in("bob@example.com", PASSWORD).await;
        reply.assert_ok();
        assert_eq!(reply.body, Value::String("Enrolment".into()));
        assert_eq!(browser.signed_in_email().await, None);
        let challenge = browser.call_raw("login_challenge", &[]).await.body;
        assert_eq!(challenge["step"], "Enrolment");
        assert_eq!(challenge["required_by"], serde_json::json!(["Acme"]));
        let secret = challenge["enrolment"]["secret"]
            .as_str()
            .unwrap()
            .to_string();
        // A code is not a way around enrolment.
        browser
            .call(
                "log_in_second_factor",
                &second_factor(&totp_code(&app, &secret)),
            )
            .await
            .assert_error(409, "two_factor.not_enabled");
        browser
            .call("log_in_enrol", &[("code", "123")])
            .await
            .assert_error(422, "two_factor.code_invalid");
        let enrolled = browser
            .call("log_in_enrol", &[("code", &totp_code(&app, &secret))])
            .await;
        enrolled.assert_ok();
        assert_eq!(
            enrolled.body["recovery_codes"].as_array().unwrap().len(),
            10
        );
        assert_eq!(enrolled.body["next"], "/dashboard");
        assert_eq!(
            browser.signed_in_email().await.as_deref(),
            Some("bob@example.com")
        );
        assert_eq!(
            browser.call_raw("two_factor_status", &[]).await.body["enabled"],
            true
        );

        // From now on Bob logs in with a code; switching the requirement off does not turn his 2FA off.
        owner
            .call("set_require_two_factor", &[("organization_id", &org)])
            .await
            .assert_ok();
        password_step(&app, "bob@example.com").await;
    }
}

#[tokio::test]
async fn a_waiting_login_cannot_replace_2fa_turned_on_since_and_dies_with_a_password_reset() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let owner = app.signed_in_user("Olga", "olga@example.com").await;
        let org = owner
            .call("create_organization", &[("name", "Acme")])
            .await
            .body
            .as_i64()
            .unwrap();
        let bob = app.signed_in_user("Bob", "bob@example.com").await;
        join_organization(&app, &owner, &bob, org, "bob@example.com", "member").await;
        owner
            .call(
                "set_require_two_factor",
                &[("organization_id", &org.to_string()), ("required", "on")],
            )
            .await
            .assert_ok();

        // A login (say, with a stolen password) waits for enrolment; meanwhile Bob turns 2FA on himself.
        let waiting = app.browser();
        waiting
            .log_in("bob@example.com", PASSWORD)
            .await
            .assert_ok();
        let challenge = waiting.call_raw("login_challenge", &[]).await.body;
        let intruder_secret = challenge["enrolment"]["secret"]
            .as_str()
            .unwrap()
            .to_string();
        let (secret, _) = enrol(&app, &bob).await;
        waiting
            .call(
                "log_in_enrol",
                &[("code", &totp_code(&app, &intruder_secret))],
            )
            .await
            .assert_error(409, "two_factor.already_enabled");
        assert_eq!(waiting.signed_in_email().await, None);
        // Bob's own secret still works; the intruder's does not.
        next_totp_step(&app);
        let next = password_step(&app, "bob@example.com").await;
        let foreign = totp_code(&app, &intruder_secret);
        if foreign != totp_code(&app, &secret) {
            next.call("log_in_second_factor", &second_factor(&foreign))
                .await
                .assert_error(422, "two_factor.code_invalid");
        }
        next.call(
            "log_in_second_factor",
            &second_factor(&totp_code(&app, &secret)),
        )
        .await
        .assert_ok();

        // A login that passed the old password is over once the password is reset.
        let old_password_login = password_step(&app, "bob@example.com").await;
        let resetting = app.browser();
        resetting
            .call("request_password_reset", &[("email", "bob@example.com")])
            .await
            .assert_ok();
        let mail = app.mail.wait_for("bob@example.com", "Reset your").await;
        let new_password = "copper-lantern-harbor-9";
        resetting
            .call(
                "reset_password",
                &[
                    ("token", &crate::helpers::token_of(&mail.link_path())),
                    ("password", new_password),
                    ("confirm_password", new_password),
                ],
            )
            .await
            .assert_ok();
        next_totp_step(&app);
        old_password_login
            .call(
                "log_in_second_factor",
                &second_factor(&totp_code(&app, &secret)),
            )
            .await
            .assert_error(410, "two_factor.login_expired");
    }
}
