//! Sign-up, verification, login, logout, sessions, password reset and change, CSRF and rate limits.

use crate::helpers::{backends, token_of, Browser, TestApp, PASSWORD};
use portcullis::server::db::entities::user;
use sea_orm::{EntityTrait, PaginatorTrait};

#[tokio::test]
async fn sign_up_verify_and_log_in() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.browser();
        let reply = browser
            .sign_up("Ada Lovelace", "Ada@Example.com", PASSWORD)
            .await;
        reply.assert_ok();
        assert_eq!(reply.location().as_deref(), Some("/signup/check-email"));

        // Not verified yet: the correct password is refused with its own code.
        browser
            .log_in("ada@example.com", PASSWORD)
            .await
            .assert_error(403, "auth.email_not_verified");

        let mail = app
            .mail
            .wait_for("ada@example.com", "Verify your email")
            .await;
        assert!(mail.link_path().starts_with("/verify-email?token="));
        let verified = browser.verify(&mail).await;
        verified.assert_ok();
        assert_eq!(verified.body, "ada@example.com");

        let login = browser.log_in("ADA@example.com", PASSWORD).await;
        login.assert_ok();
        assert_eq!(login.location().as_deref(), Some("/dashboard"));
        let cookies = browser.cookie_header(&login).join("\n");
        assert!(cookies.contains("pc_session="), "{cookies}");
        assert!(cookies.contains("HttpOnly"), "{cookies}");
        assert!(cookies.contains("SameSite=Lax"), "{cookies}");
        assert!(
            !cookies.contains("Secure"),
            "plain-http base URL: no Secure flag: {cookies}"
        );
        assert_eq!(
            browser.signed_in_email().await.as_deref(),
            Some("ada@example.com")
        );
    }
}

#[tokio::test]
async fn verification_link_survives_mail_scanners_and_bad_links_are_refused() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.browser();
        browser
            .sign_up("Grace", "grace@example.com", PASSWORD)
            .await
            .assert_ok();
        let mail = app.mail.wait_for("grace@example.com", "Verify").await;
        // A mail scanner opens the link first; the person's own click still reports success.
        app.browser().verify(&mail).await.assert_ok();
        let again = browser.verify(&mail).await;
        again.assert_ok();
        assert_eq!(again.body, "grace@example.com");
        browser
            .call_raw("verify_email", &[("token", "not-a-real-token")])
            .await
            .assert_error(422, "token.invalid");
    }
}

#[tokio::test]
async fn weak_passwords_and_bad_input_are_refused_and_nothing_is_written() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.browser();
        let short = browser.sign_up("Ann", "ann@example.com", "short").await;
        short.assert_error(422, "account.password_too_short");
        assert_eq!(short.field(), Some("password"));
        browser
            .sign_up("Ann", "ann@example.com", "password123")
            .await
            .assert_error(422, "account.password_weak");
        browser
            .sign_up("Ann", "ann@example.com", "ann@example.com1")
            .await
            .assert_error(422, "account.password_weak");
        let email = browser.sign_up("Ann", "not-an-email", PASSWORD).await;
        email.assert_error(422, "account.email_invalid");
        assert_eq!(email.field(), Some("email"));
        browser
            .sign_up("   ", "ann@example.com", PASSWORD)
            .await
            .assert_error(422, "account.name_invalid");
        assert_eq!(user::Entity::find().count(&app.state.db).await.unwrap(), 0);
        assert!(app.mail.all().is_empty());
    }
}

#[tokio::test]
async fn duplicate_sign_up_reveals_nothing_on_screen_and_tells_the_owner_by_email() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.signed_in_user("Owner", "dup@example.com").await;
        let stranger = app.browser();
        let reply = stranger
            .sign_up("Impostor", "DUP@example.com", "another-strong-pass-42")
            .await;
        reply.assert_ok();
        assert_eq!(
            reply.location().as_deref(),
            Some("/signup/check-email"),
            "same answer as a new address"
        );
        let mail = app.mail.wait_for("dup@example.com", "already have").await;
        assert!(mail.body().contains("already has an account"));
        assert_eq!(user::Entity::find().count(&app.state.db).await.unwrap(), 1);
        // The original password still works, the impostor's does not.
        app.browser()
            .log_in("dup@example.com", PASSWORD)
            .await
            .assert_ok();
        app.browser()
            .log_in("dup@example.com", "another-strong-pass-42")
            .await
            .assert_error(401, "auth.invalid_credentials");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.signed_in_user("Lin", "lin@example.com").await;
        let browser = app.browser();
        let wrong = browser
            .log_in("lin@example.com", "wrong-password-123")
            .await;
        let unknown = browser
            .log_in("nobody@example.com", "wrong-password-123")
            .await;
        wrong.assert_error(401, "auth.invalid_credentials");
        unknown.assert_error(401, "auth.invalid_credentials");
        assert_eq!(wrong.body, unknown.body);
        assert_eq!(browser.signed_in_email().await, None);
    }
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.browser();
        browser
            .call_raw(
                "sign_up",
                &[
                    ("name", "X"),
                    ("email", "x@example.com"),
                    ("password", PASSWORD),
                ],
            )
            .await
            .assert_error(403, "csrf.missing");
        let other_token = app.browser().csrf().await;
        browser.csrf().await; // this browser gets its own pre-login cookie
        browser
            .call_raw(
                "sign_up",
                &[
                    ("csrf_token", &other_token),
                    ("name", "X"),
                    ("email", "x@example.com"),
                    ("password", PASSWORD),
                ],
            )
            .await
            .assert_error(403, "csrf.invalid");
        assert_eq!(user::Entity::find().count(&app.state.db).await.unwrap(), 0);

        // Signed in, the token is bound to the session: the pre-login token no longer works.
        let signed_in = app.signed_in_user("Csrf", "csrf@example.com").await;
        signed_in
            .call_raw(
                "change_name",
                &[("csrf_token", &other_token), ("name", "Hacked")],
            )
            .await
            .assert_error(403, "csrf.invalid");
        signed_in
            .call("change_name", &[("name", "Renamed")])
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn login_issues_a_new_session_and_logout_ends_it() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.signed_in_user("Sam", "sam@example.com").await;

        // A session cookie planted before login (fixation) is never honoured, and login does not adopt it.
        let planted = app.browser();
        planted.set_cookie("pc_session=attacker-chosen-value");
        assert_eq!(planted.signed_in_email().await, None);
        planted
            .log_in("sam@example.com", PASSWORD)
            .await
            .assert_ok();
        assert!(
            !planted.cookies().contains("attacker-chosen-value"),
            "{}",
            planted.cookies()
        );
        let attacker = app.browser();
        attacker.set_cookie("pc_session=attacker-chosen-value");
        assert_eq!(attacker.signed_in_email().await, None);

        // A copy of the session cookie works until logout, then never again.
        let copy = app.browser();
        copy.set_cookie(&browser.cookies());
        assert_eq!(
            copy.signed_in_email().await.as_deref(),
            Some("sam@example.com")
        );
        let out = browser.call("log_out", &[]).await;
        out.assert_ok();
        assert!(browser
            .cookie_header(&out)
            .iter()
            .any(|c| c.starts_with("pc_session=;")));
        assert_eq!(browser.signed_in_email().await, None);
        assert_eq!(copy.signed_in_email().await, None);
    }
}

#[tokio::test]
async fn sessions_expire_when_idle_and_at_their_absolute_limit() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| {
            c.session_idle_minutes = 30;
            c.session_absolute_hours = 2;
        })
        .await;
        let browser = app.signed_in_user("Ida", "ida@example.com").await;
        app.clock.advance(chrono::Duration::minutes(29));
        assert!(
            browser.signed_in_email().await.is_some(),
            "activity within the idle limit"
        );
        app.clock.advance(chrono::Duration::minutes(31));
        assert_eq!(browser.signed_in_email().await, None, "idle for 31 minutes");
        browser
            .call_raw("sessions", &[])
            .await
            .assert_error(401, "auth.not_signed_in");

        let active = app.browser();
        active.log_in("ida@example.com", PASSWORD).await.assert_ok();
        for _ in 0..4 {
            app.clock.advance(chrono::Duration::minutes(25));
            assert!(active.signed_in_email().await.is_some());
        }
        app.clock.advance(chrono::Duration::minutes(25));
        assert_eq!(
            active.signed_in_email().await,
            None,
            "past the absolute limit despite activity"
        );
    }
}

#[tokio::test]
async fn ended_session_is_reported_as_expired() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.session_idle_minutes = 5).await;
        let browser = app.signed_in_user("Eve", "eve@example.com").await;
        let copy = app.browser();
        copy.set_cookie(&browser.cookies());
        app.clock.advance(chrono::Duration::minutes(6));
        browser
            .call_raw("sessions", &[])
            .await
            .assert_error(401, "auth.session_expired");
        // That response cleared the cookie: from now on this browser is simply signed out.
        browser
            .call_raw("sessions", &[])
            .await
            .assert_error(401, "auth.not_signed_in");
        // A form still open in the ended session says so, rather than blaming its security token.
        copy.call_raw(
            "change_name",
            &[
                ("csrf_token", "token-of-the-ended-session"),
                ("name", "Late"),
            ],
        )
        .await
        .assert_error(401, "auth.session_expired");
    }
}

#[tokio::test]
async fn password_reset_link_works_once_within_an_hour_and_ends_all_sessions() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let old_session = app.signed_in_user("Rita", "rita@example.com").await;
        let browser = app.browser();
        let asked = browser
            .call("request_password_reset", &[("email", "rita@example.com")])
            .await;
        asked.assert_ok();
        assert_eq!(asked.location().as_deref(), Some("/forgot-password/sent"));
        let mail = app.mail.wait_for("rita@example.com", "Reset your").await;
        let token = token_of(&mail.link_path());
        let new_password = "copper-lantern-harbor-9";

        browser
            .call(
                "reset_password",
                &[
                    ("token", &token),
                    ("password", new_password),
                    ("confirm_password", "different-one-entirely"),
                ],
            )
            .await
            .assert_error(422, "account.password_mismatch");
        browser
            .call(
                "reset_password",
                &[
                    ("token", &token),
                    ("password", "password1234"),
                    ("confirm_password", "password1234"),
                ],
            )
            .await
            .assert_error(422, "account.password_weak");
        let done = browser
            .call(
                "reset_password",
                &[
                    ("token", &token),
                    ("password", new_password),
                    ("confirm_password", new_password),
                ],
            )
            .await;
        done.assert_ok();
        assert_eq!(done.location().as_deref(), Some("/login?reset=1"));
        assert_eq!(
            old_session.signed_in_email().await,
            None,
            "sessions end at a reset"
        );
        browser
            .log_in("rita@example.com", PASSWORD)
            .await
            .assert_error(401, "auth.invalid_credentials");
        browser
            .log_in("rita@example.com", new_password)
            .await
            .assert_ok();
        app.browser()
            .call(
                "reset_password",
                &[
                    ("token", &token),
                    ("password", new_password),
                    ("confirm_password", new_password),
                ],
            )
            .await
            .assert_error(410, "token.used");
        app.mail
            .wait_for("rita@example.com", "password was changed")
            .await;
    }
}

#[tokio::test]
async fn password_reset_link_expires_after_an_hour() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.signed_in_user("Tom", "tom@example.com").await;
        let browser = app.browser();
        browser
            .call("request_password_reset", &[("email", "tom@example.com")])
            .await
            .assert_ok();
        let token = token_of(
            &app.mail
                .wait_for("tom@example.com", "Reset")
                .await
                .link_path(),
        );
        app.clock.advance(chrono::Duration::minutes(61));
        let new_password = "copper-lantern-harbor-9";
        browser
            .call(
                "reset_password",
                &[
                    ("token", &token),
                    ("password", new_password),
                    ("confirm_password", new_password),
                ],
            )
            .await
            .assert_error(410, "token.expired");
        browser
            .log_in("tom@example.com", PASSWORD)
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let reply = app
            .browser()
            .call("request_password_reset", &[("email", "ghost@example.com")])
            .await;
        reply.assert_ok();
        assert_eq!(reply.location().as_deref(), Some("/forgot-password/sent"));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.mail.count_to("ghost@example.com"), 0);
    }
}

#[tokio::test]
async fn change_password_needs_the_current_one_and_ends_other_sessions() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let here = app.signed_in_user("Cal", "cal@example.com").await;
        let elsewhere = app.browser();
        elsewhere
            .log_in("cal@example.com", PASSWORD)
            .await
            .assert_ok();
        let new_password = "saffron-glacier-violin-3";
        let wrong = here
            .call(
                "change_password",
                &[
                    ("current_password", "not-my-password"),
                    ("password", new_password),
                    ("confirm_password", new_password),
                ],
            )
            .await;
        wrong.assert_error(422, "auth.current_password_wrong");
        assert_eq!(wrong.field(), Some("current_password"));
        here.call(
            "change_password",
            &[
                ("current_password", PASSWORD),
                ("password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await
        .assert_ok();
        assert!(here.signed_in_email().await.is_some(), "this session stays");
        assert_eq!(
            elsewhere.signed_in_email().await,
            None,
            "other sessions end"
        );
        app.browser()
            .log_in("cal@example.com", new_password)
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn signed_in_devices_are_listed_and_revocable() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let laptop = app.signed_in_user("Dee", "dee@example.com").await;
        let phone = app.browser();
        phone.log_in("dee@example.com", PASSWORD).await.assert_ok();
        let list = laptop.call_raw("sessions", &[]).await;
        list.assert_ok();
        let sessions = list.body.as_array().unwrap().clone();
        assert_eq!(sessions.len(), 2);
        let other = sessions.iter().find(|s| s["current"] == false).unwrap();
        assert_eq!(other["auth_method"], "password");
        laptop
            .call(
                "revoke_session",
                &[("session_id", other["id"].as_str().unwrap())],
            )
            .await
            .assert_ok();
        assert_eq!(phone.signed_in_email().await, None);
        assert!(laptop.signed_in_email().await.is_some());
        laptop
            .call("revoke_session", &[("session_id", "no-such-session")])
            .await
            .assert_error(404, "session.not_found");
    }
}

#[tokio::test]
async fn change_name_is_validated() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.signed_in_user("Old Name", "name@example.com").await;
        browser
            .call("change_name", &[("name", " ")])
            .await
            .assert_error(422, "account.name_invalid");
        browser
            .call("change_name", &[("name", "New Name")])
            .await
            .assert_ok();
        assert_eq!(browser.visit().await["user"]["name"], "New Name");
        app.browser()
            .call("change_name", &[("name", "Anon")])
            .await
            .assert_error(401, "auth.not_signed_in");
    }
}

/// A browser whose requests come through a trusted proxy from `address`.
fn from_address(app: &TestApp, address: &str) -> Browser {
    let browser = app.browser_with_header("x-forwarded-for", &format!("203.0.113.77, {address}"));
    browser
}

#[tokio::test]
async fn failed_logins_are_challenged_per_account_and_address_without_locking_the_owner_out() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| {
            c.rate_limit_per_account = 3;
            c.rate_limit_per_ip = 5;
            c.trust_forwarded_for = true;
        })
        .await;
        app.signed_in_user("Victim", "victim@example.com").await;
        let attacker = from_address(&app, "198.51.100.1");
        for _ in 0..3 {
            attacker
                .log_in("victim@example.com", "guess-guess-guess")
                .await
                .assert_error(401, "auth.invalid_credentials");
        }
        // Past the threshold, this address's login is challenged (a link by email), never refused outright.
        attacker
            .log_in("victim@example.com", PASSWORD)
            .await
            .assert_error(403, "auth.login_confirmation_required");
        // The owner, from their own address, is not locked out by the attacker's failures.
        let owner = from_address(&app, "192.0.2.10");
        owner
            .log_in("victim@example.com", PASSWORD)
            .await
            .assert_ok();
        let sessions = owner.call_raw("sessions", &[]).await.body;
        let current = sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap();
        assert_eq!(
            current["ip_address"], "192.0.2.10",
            "the proxy's entry, not the client's claim"
        );

        // Every attempt counts against the address: the sixth account tried from one address is refused.
        let sprayer = from_address(&app, "198.51.100.2");
        for n in 0..5 {
            sprayer
                .log_in(&format!("user{n}@example.com"), "guess-guess-guess")
                .await
                .assert_error(401, "auth.invalid_credentials");
        }
        sprayer
            .log_in("user5@example.com", "guess-guess-guess")
            .await
            .assert_error(429, "rate_limited");

        // The window passes: the password alone works again from the attacker's address too.
        app.clock.advance(chrono::Duration::minutes(16));
        attacker
            .log_in("victim@example.com", PASSWORD)
            .await
            .assert_ok();
    }
}

#[tokio::test]
async fn a_reset_link_used_twice_at_once_works_exactly_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.signed_in_user("Race", "race@example.com").await;
        let browser = app.browser();
        browser
            .call("request_password_reset", &[("email", "race@example.com")])
            .await
            .assert_ok();
        let token = token_of(
            &app.mail
                .wait_for("race@example.com", "Reset")
                .await
                .link_path(),
        );
        let (first, second) = (app.browser(), app.browser());
        let (a, b) = ("amber-falcon-quartz-61", "copper-lantern-harbor-9");
        let form_a = [
            ("token", token.as_str()),
            ("password", a),
            ("confirm_password", a),
        ];
        let form_b = [
            ("token", token.as_str()),
            ("password", b),
            ("confirm_password", b),
        ];
        let (one, two) = tokio::join!(
            first.call("reset_password", &form_a),
            second.call("reset_password", &form_b),
        );
        let outcomes = [one.status, two.status];
        assert!(outcomes.contains(&200), "{one:?} {two:?}");
        assert!(
            outcomes.contains(&410),
            "exactly one succeeds: {one:?} {two:?}"
        );
        let a_works = app.browser().log_in("race@example.com", a).await.status == 200;
        let b_works = app.browser().log_in("race@example.com", b).await.status == 200;
        assert!(a_works ^ b_works, "exactly one new password is in force");
    }
}

#[tokio::test]
async fn sign_ups_for_one_address_are_rate_limited() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.rate_limit_per_account = 2).await;
        let browser = app.browser();
        browser
            .sign_up("Spam", "target@example.com", PASSWORD)
            .await
            .assert_ok();
        browser
            .sign_up("Spam", "target@example.com", PASSWORD)
            .await
            .assert_ok();
        browser
            .sign_up("Spam", "target@example.com", PASSWORD)
            .await
            .assert_error(429, "rate_limited");
        browser
            .sign_up("Other", "other@example.com", PASSWORD)
            .await
            .assert_ok();
        // One verification and one "already have an account" message: the third attempt sent nothing.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.mail.count_to("target@example.com"), 2);
    }
}
