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
