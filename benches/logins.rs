//! 200 password logins at once against the running app (SQLite, release build): every request must end, with 200
//! (signed in) or 503 (the password pool was full: `Retry-After`), none may hang, and resident memory stays far below
//! 1 GiB, since argon2id's 19 MiB run only on the bounded pool's threads. Exits non-zero otherwise; prints figures.
//!
//! Run: `cargo bench --features ssr --bench logins` (CI runs it on the dev profile: `--profile dev`; argon2 is
//! optimised there too).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portcullis::server::clock::SystemClock;
use portcullis::server::config::Config;
use portcullis::server::db::entities::user;
use portcullis::server::services::accounts::{self, Origin, SignupInput};
use portcullis::server::startup::Application;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

const CLIENTS: usize = 200;
const PASSWORD: &str = "violet-tractor-mango-71";
const PEAK_LIMIT_KB: i64 = 1024 * 1024;

fn peak_resident_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(-1)
}

/// One browser: fetch the CSRF token (which sets the pre-login cookie), then log in.
async fn log_in(address: String) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let visit: serde_json::Value = client
        .post(format!("{address}/api/visit"))
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let csrf = visit["csrf_token"].as_str().unwrap_or_default().to_owned();
    let response = client
        .post(format!("{address}/api/log_in"))
        .header("accept", "application/json")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", "load@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    // A 503 must say when to come back.
    if status == 503 && response.headers().get("retry-after").is_none() {
        return Err("503 without Retry-After".into());
    }
    Ok(status)
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary directory: {e}"));
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        data_dir: data.path().to_path_buf(),
        database_url: Some(format!(
            "sqlite://{}?mode=rwc",
            data.path().join("load.db").display()
        )),
        rate_limit_per_ip: 100_000,
        rate_limit_per_account: 100_000,
        ..Config::default()
    };
    let app = Application::build(config, Arc::new(SystemClock))
        .await
        .unwrap_or_else(|e| panic!("the app starts: {e}"));
    let address = format!("http://{}", app.addr);
    let state = app.state.clone();
    tokio::spawn(app.run());
    let origin = Origin {
        ip: "127.0.0.1".into(),
        user_agent: None,
    };
    accounts::sign_up(
        &state,
        SignupInput {
            name: "Load Test".into(),
            email: "load@example.com".into(),
            password: PASSWORD.into(),
            invitation_token: None,
        },
        &origin,
    )
    .await
    .unwrap_or_else(|e| panic!("sign-up: {e}"));
    let account = user::Entity::find()
        .filter(user::Column::Email.eq("load@example.com"))
        .one(&state.db)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the account exists"));
    let mut verified: user::ActiveModel = account.into();
    verified.email_verified_at = Set(Some(chrono::Utc::now()));
    verified
        .update(&state.db)
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"));

    let before = peak_resident_kb();
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let address = address.clone();
            tokio::spawn(async move {
                let one = Instant::now();
                (log_in(address).await, one.elapsed())
            })
        })
        .collect();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut slowest = Duration::ZERO;
    for client in clients {
        let (outcome, took) = client
            .await
            .unwrap_or_else(|e| (Err(e.to_string()), Duration::ZERO));
        slowest = slowest.max(took);
        let key = match outcome {
            Ok(status) => status.to_string(),
            Err(error) => format!("error: {error}"),
        };
        *outcomes.entry(key).or_default() += 1;
    }
    let wall = started.elapsed();
    let peak = peak_resident_kb();
    println!(
        "logins: {CLIENTS} concurrent in {:.1} s, slowest {:.1} s; outcomes {outcomes:?}; peak RSS {} MiB (before {} MiB)",
        wall.as_secs_f64(),
        slowest.as_secs_f64(),
        peak / 1024,
        before / 1024
    );
    let only_200_or_503 = outcomes.keys().all(|k| k == "200" || k == "503");
    // Back-pressure sheds load; it must not shed all of it.
    let signed_in = outcomes.get("200").copied().unwrap_or(0);
    if !only_200_or_503 || signed_in == 0 || peak > PEAK_LIMIT_KB {
        eprintln!(
            "logins: FAILED (every request must end with 200 or 503 with Retry-After, some must sign in, peak RSS under 1 GiB)"
        );
        std::process::exit(1);
    }
}
