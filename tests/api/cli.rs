//! The `portcullis` binary: help, `migrate`, refusing bad configuration, JSON logs.

use std::process::Command;

fn portcullis(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    command
        .env_remove("DATABASE_URL")
        .env("PORTCULLIS_DATA_DIR", data_dir)
        .env("RUST_LOG", "info");
    command
}

#[test]
fn help_lists_the_subcommands() {
    let dir = tempfile::tempdir().unwrap();
    let output = portcullis(dir.path()).arg("--help").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for word in ["serve", "migrate", "--config", "--log-format"] {
        assert!(text.contains(word), "{word} missing from:\n{text}");
    }
}

#[test]
fn migrate_creates_the_sqlite_database_and_logs_json() {
    let dir = tempfile::tempdir().unwrap();
    let output = portcullis(dir.path())
        .args(["--log-format", "json", "migrate"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("portcullis.db").exists());
    let logs = String::from_utf8_lossy(&output.stdout);
    let line = logs
        .lines()
        .find(|l| l.contains("migrations applied"))
        .expect("a log line");
    let parsed: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(parsed["level"], "INFO");
    // Running it again is harmless.
    assert!(portcullis(dir.path())
        .arg("migrate")
        .output()
        .unwrap()
        .status
        .success());
}

#[test]
fn unknown_configuration_keys_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("portcullis.toml");
    std::fs::write(
        &file,
        "base_url = \"https://dash.example.com\"\nsesion_idle_minutes = 5\n",
    )
    .unwrap();
    let output = portcullis(dir.path())
        .args(["--config", file.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("sesion_idle_minutes"));

    let output = portcullis(dir.path())
        .env("PORTCULLIS_SMTP_URLL", "smtp://x")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("smtp_urll"));

    let output = portcullis(dir.path())
        .args(["--config", "/no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

mod check_response {
    use super::portcullis;
    use crate::saml_idp::*;
    use base64::Engine;
    use serde_json::Value;

    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new(response: &[u8]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let metadata = idp_metadata(
                IDP_ENTITY_ID,
                "https://idp.corp.example/sso",
                &[idp_key()],
                &[EMAIL_FORMAT],
                REDIRECT_BINDING,
            );
            std::fs::write(dir.path().join("idp.xml"), metadata).unwrap();
            std::fs::write(dir.path().join("response"), response).unwrap();
            Self { dir }
        }

        fn run(&self, extra: &[&str]) -> (i32, Option<Value>, String) {
            let output = portcullis(self.dir.path())
                .args(["saml", "check-response", "--metadata"])
                .arg(self.dir.path().join("idp.xml"))
                .arg("--response")
                .arg(self.dir.path().join("response"))
                .args(["--sp-entity-id", SP_ENTITY_ID, "--acs-url", ACS_URL])
                .args(if extra.contains(&"--at") {
                    &[][..]
                } else {
                    &["--at", "2026-11-23T12:00:00Z"][..]
                })
                .args(extra)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout).to_string();
            let json = serde_json::from_str(stdout.trim()).ok();
            (
                output.status.code().unwrap(),
                json,
                String::from_utf8_lossy(&output.stderr).to_string(),
            )
        }
    }

    #[test]
    fn a_valid_response_is_accepted_with_its_identity() {
        let files = Files::new(ResponseSpec::default().build().as_bytes());
        let (code, json, stderr) = files.run(&["--request-id", REQUEST_ID]);
        assert_eq!(code, 0, "{stderr}");
        let json = json.expect("one JSON object");
        assert_eq!(json["ok"], true);
        assert_eq!(json["code"], Value::Null);
        assert_eq!(json["name_id"], "alice@corp.example");
        assert_eq!(json["name_id_format"], EMAIL_FORMAT);
        assert_eq!(json["attributes"]["groups"][1], "sso-admins");
        assert!(json["diagnosis"]
            .as_str()
            .unwrap()
            .contains(&idp_key().certificate.fingerprint_sha256));
    }

    #[test]
    fn base64_input_is_read_too() {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(ResponseSpec::default().build());
        let files = Files::new(encoded.as_bytes());
        let (code, json, _) = files.run(&["--request-id", REQUEST_ID]);
        assert_eq!(code, 0);
        assert_eq!(json.unwrap()["ok"], true);
    }

    #[test]
    fn a_rejected_response_exits_1_with_code_message_and_diagnosis() {
        let tampered = ResponseSpec::default()
            .build()
            .replace(">alice@", ">mallory@");
        let files = Files::new(tampered.as_bytes());
        let (code, json, _) = files.run(&["--request-id", REQUEST_ID]);
        assert_eq!(code, 1);
        let json = json.unwrap();
        assert_eq!(json["ok"], false);
        assert_eq!(json["code"], "saml.signature_invalid");
        assert_eq!(
            json["message"],
            "The sign-in response's signature is not valid."
        );
        assert_eq!(json["name_id"], Value::Null);

        // Without the request ID the same valid response is unsolicited; allowed, it passes.
        let files = Files::new(ResponseSpec::default().answering(None).build().as_bytes());
        let (code, json, _) = files.run(&[]);
        assert_eq!(
            (code, json.unwrap()["code"].clone()),
            (1, Value::from("saml.unsolicited"))
        );
        let (code, _, _) = files.run(&["--allow-idp-initiated"]);
        assert_eq!(code, 0);
        // Later than its validity plus skew, it has expired.
        let (code, json, _) = files.run(&["--allow-idp-initiated", "--at", "2026-11-23T12:08:01Z"]);
        assert_eq!(
            (code, json.unwrap()["code"].clone()),
            (1, Value::from("saml.expired"))
        );
    }

    /// Metadata nested 3,000 deep aborted the checker (stack overflow); a deep response likewise.
    #[test]
    fn deep_documents_are_refused_without_crashing_the_checker() {
        let deep_response = format!(
            "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">{}</samlp:Response>",
            "<a>".repeat(40_000)
        );
        let files = Files::new(deep_response.as_bytes());
        let (code, json, stderr) = files.run(&[]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(json.unwrap()["code"], "saml.xml_too_deep");
        let metadata = std::fs::read_to_string(files.dir.path().join("idp.xml")).unwrap();
        let deep_metadata = metadata.replacen(
            "<md:IDPSSODescriptor",
            &format!("{}<md:IDPSSODescriptor", "<x>".repeat(3_000)),
            1,
        );
        std::fs::write(files.dir.path().join("idp.xml"), deep_metadata).unwrap();
        let (code, _, stderr) = files.run(&[]);
        assert_eq!(code, 2);
        assert!(stderr.contains("idp.metadata_too_deep"), "{stderr}");
    }

    #[test]
    fn usage_errors_exit_2() {
        let files = Files::new(b"<samlp:Response/>");
        let (code, _, stderr) = files.run(&["--at", "yesterday"]);
        assert_eq!(code, 2);
        assert!(stderr.contains("RFC 3339"), "{stderr}");
        std::fs::write(files.dir.path().join("idp.xml"), "<nope").unwrap();
        let (code, _, stderr) = files.run(&[]);
        assert_eq!(code, 2);
        assert!(stderr.contains("idp.metadata_malformed"), "{stderr}");
        let output = portcullis(files.dir.path())
            .args(["saml", "check-response"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "missing arguments");
    }
}
