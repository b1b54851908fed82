//! The web edge: pages render on the server, signed-out visitors are sent to login, security headers, health check,
//! request IDs, forms without JavaScript.

use crate::helpers::{backends, TestApp, PASSWORD};

#[tokio::test]
async fn pages_render_with_security_headers() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.browser();
        let page = browser.get("/").await;
        assert_eq!(page.status(), 200);
        let headers = page.headers().clone();
        let csp = headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a script nonce");
        assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin");
        assert!(headers.get("x-request-id").is_some());
        let html = page.text().await.unwrap();
        assert!(html.contains("Portcullis"));
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "inline scripts carry the nonce"
        );
        let again = browser.get("/").await;
        assert!(
            !again.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains(nonce),
            "a new nonce per page"
        );
        assert!(html.contains("Create an account"));

        let login = browser.get("/login").await.text().await.unwrap();
        assert!(
            login.contains("name=\"csrf_token\""),
            "the login form carries a CSRF token"
        );
        assert!(login.contains("autocomplete=\"current-password\""));

        let missing = browser.get("/no-such-page").await;
        assert_eq!(missing.status(), 404);
        assert!(missing.text().await.unwrap().contains("Page not found"));
    }
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_login_and_back() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let page = app.browser().get("/dashboard").await;
        assert_eq!(page.status(), 302);
        assert_eq!(
            page.headers().get("location").unwrap(),
            "/login?next=/dashboard"
        );

        let browser = app.signed_in_user("Pat", "pat@example.com").await;
        let dashboard = browser.get("/dashboard").await;
        assert_eq!(dashboard.status(), 200);
        assert!(dashboard.text().await.unwrap().contains("My fleets"));
        let login = browser
            .call(
                "log_in",
                &[
                    ("email", "pat@example.com"),
                    ("password", PASSWORD),
                    ("next", "https://evil.example/"),
                ],
            )
            .await;
        assert_eq!(
            login.location().as_deref(),
            Some("/dashboard"),
            "only local paths are followed"
        );
        let login = browser
            .call(
                "log_in",
                &[
                    ("email", "pat@example.com"),
                    ("password", PASSWORD),
                    ("next", "/preferences"),
                ],
            )
            .await;
        assert_eq!(login.location().as_deref(), Some("/preferences"));
        let missing = browser.get("/organizations/4242").await;
        assert_eq!(missing.status(), 404);
        assert!(missing
            .text()
            .await
            .unwrap()
            .contains("This organization does not exist"));
    }
}

#[tokio::test]
async fn a_form_posted_without_javascript_redirects_back_with_its_error() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let browser = app.browser();
        let token = browser.csrf().await;
        let response = browser
            .client
            .post(format!("{}/api/log_in", app.address))
            .header("accept", "text/html")
            .header("referer", format!("{}/login", app.address))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", "who@example.com"),
                ("password", "nope-nope-nope"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let location = response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            location.contains("/login?") && location.contains("__err="),
            "{location}"
        );
        let page = browser
            .get(location.trim_start_matches(&app.address))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("The email or password is not correct."),
            "the error is rendered on the page"
        );
    }
}

#[tokio::test]
async fn health_check_reports_the_database() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let response = app.browser().get("/healthz").await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap()["status"],
            "ok"
        );
    }
}

#[tokio::test]
async fn without_smtp_mail_goes_to_the_outbox_directory() {
    for backend in backends() {
        let app = TestApp::spawn_with(&backend, |c| c.smtp_url = None).await;
        app.browser()
            .sign_up("Otto", "otto@example.com", PASSWORD)
            .await
            .assert_ok();
        let outbox = app.state.config.outbox_dir();
        let mut files = Vec::new();
        // Mail goes out after the answer: wait for it.
        for _ in 0..100 {
            files = std::fs::read_dir(&outbox)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|path| path.extension().is_some_and(|e| e == "eml"))
                .collect();
            if !files.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(files.len(), 1, "{files:?}");
        let message = std::fs::read_to_string(&files[0]).unwrap();
        assert!(message.contains("Subject: Verify your email address for Portcullis"));
        assert!(message.contains("To: otto@example.com"));
        assert!(app.mail.all().is_empty());
    }
}
