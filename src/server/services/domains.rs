//! Claimed email domains. An owner claims a domain and gets a code; they publish it as the TXT record
//! `_portcullis-challenge.{domain}`; "Verify" looks the record up through a real DNS resolver. A verified domain
//! belongs to one organization only (a unique column, so two organizations verifying at once cannot both win).
//! Every check is recorded with what it found, so the page can say exactly what is wrong.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};

use crate::server::db::entities::domain;
use crate::server::db::{begin_write, conflict_on_unique};
use crate::server::dns::{self, LookupError};
use crate::server::services::actor::Actor;
use crate::server::services::audit::{self, AuditEvent};
use crate::server::services::authz::{authorize, Action};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::DomainView;

pub const CHALLENGE_PREFIX: &str = "_portcullis-challenge";

/// A domain name as typed, lowercased and without a trailing dot, if it is a plausible public domain.
pub fn normalize_domain(raw: &str) -> AppResult<String> {
    let invalid = || AppError::new(ErrorCode::DomainInvalid).on_field("domain");
    let domain = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let top_level_ok = labels
        .last()
        .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_lowercase()));
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) || !top_level_ok {
        return Err(invalid());
    }
    Ok(domain)
}

pub fn record_name(domain: &str) -> String {
    format!("{CHALLENGE_PREFIX}.{domain}")
}

fn new_challenge() -> String {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("portcullis-verification={}", URL_SAFE_NO_PAD.encode(bytes))
}

fn view(row: domain::Model) -> DomainView {
    DomainView {
        id: row.id,
        record_name: record_name(&row.domain),
        record_value: row.challenge,
        domain: row.domain,
        verified_at: row.verified_at,
        last_checked_at: row.last_checked_at,
        last_check_result: row.last_check_result,
    }
}

/// The organization's claimed domains (its administrators see them; owners change them).
pub(in crate::server::services) async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<Vec<DomainView>> {
    Ok(domain::Entity::find()
        .filter(domain::Column::OrganizationId.eq(organization_id))
        .order_by_asc(domain::Column::Domain)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// The organization that verified `domain`, if any.
pub(in crate::server::services) async fn verified_owner(
    db: &impl ConnectionTrait,
    domain_name: &str,
) -> AppResult<Option<i64>> {
    Ok(domain::Entity::find()
        .filter(domain::Column::VerifiedDomain.eq(domain_name))
        .one(db)
        .await?
        .map(|d| d.organization_id))
}

pub async fn claim(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    raw_domain: &str,
) -> AppResult<DomainView> {
    authorize(&state.db, acting, Action::ClaimDomain, organization_id).await?;
    let name = normalize_domain(raw_domain)?;
    if verified_owner(&state.db, &name)
        .await?
        .is_some_and(|owner| owner != organization_id)
    {
        return Err(AppError::new(ErrorCode::DomainVerifiedElsewhere).on_field("domain"));
    }
    let txn = begin_write(&state.db).await?;
    let row = domain::ActiveModel {
        organization_id: Set(organization_id),
        domain: Set(name),
        challenge: Set(new_challenge()),
        verified_domain: Set(None),
        verified_at: Set(None),
        last_checked_at: Set(None),
        last_check_result: Set(None),
        created_at: Set(state.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|err| {
        conflict_on_unique(err, || {
            AppError::new(ErrorCode::DomainAlreadyClaimed).on_field("domain")
        })
    })?;
    audit::record(
        &txn,
        state.now(),
        domain_event("domain.claimed", &row, acting),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(organization_id, domain = %row.domain, "domain claimed");
    Ok(view(row))
}

async fn owned_domain(
    state: &AppState,
    acting: &Actor,
    action: Action,
    organization_id: i64,
    domain_id: i64,
) -> AppResult<domain::Model> {
    authorize(&state.db, acting, action, organization_id).await?;
    domain::Entity::find_by_id(domain_id)
        .filter(domain::Column::OrganizationId.eq(organization_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::DomainNotFound))
}

fn domain_event(action: &'static str, row: &domain::Model, acting: &Actor) -> AuditEvent {
    AuditEvent::new(action)
        .in_organization(row.organization_id)
        .by(acting.audited())
        .detail(row.domain.clone())
}

/// What a lookup of the challenge record means for a claim.
fn judge(row: &domain::Model, lookup: &Result<Vec<String>, LookupError>) -> Result<(), AppError> {
    let name = record_name(&row.domain);
    match lookup {
        Ok(values) if values.iter().any(|v| v.trim() == row.challenge) => Ok(()),
        Ok(values) if values.is_empty() => Err(AppError::new(ErrorCode::DomainNotVerified)
            .with_message(format!("There is no TXT record at {name} yet. Create it with the value shown, then verify again (DNS changes can take a few minutes)."))),
        Ok(values) => Err(AppError::new(ErrorCode::DomainNotVerified).with_message(format!(
            "The TXT record at {name} holds {} but not the code for this organization. Set it to the value shown.",
            values.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")
        ))),
        Err(LookupError::Failed(detail)) | Err(LookupError::Setup(detail)) => {
            Err(AppError::new(ErrorCode::DnsLookupFailed).with_message(format!(
                "The DNS lookup of {name} failed ({detail}). Try again in a few minutes."
            )))
        }
    }
}

/// Looks the challenge record up and, when it holds the code, marks the domain verified for this organization.
pub async fn verify(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    domain_id: i64,
) -> AppResult<DomainView> {
    let row = owned_domain(
        state,
        acting,
        Action::VerifyDomain,
        organization_id,
        domain_id,
    )
    .await?;
    if row.verified_at.is_some() {
        return Ok(view(row));
    }
    let lookup = dns::txt_records(state.config.dns_nameserver, &record_name(&row.domain)).await;
    let verdict = judge(&row, &lookup);
    let now = state.now();
    let mut active = row.clone().into_active_model();
    active.last_checked_at = Set(Some(now));
    match verdict {
        Ok(()) => {
            active.verified_at = Set(Some(now));
            active.verified_domain = Set(Some(row.domain.clone()));
            active.last_check_result = Set(Some("The TXT record holds the code.".into()));
            let txn = begin_write(&state.db).await?;
            let updated = active.update(&txn).await.map_err(|err| {
                conflict_on_unique(err, || AppError::new(ErrorCode::DomainVerifiedElsewhere))
            })?;
            audit::record(&txn, now, domain_event("domain.verified", &row, acting)).await?;
            txn.commit().await?;
            tracing::info!(organization_id, domain = %row.domain, "domain verified");
            Ok(view(updated))
        }
        Err(refusal) => {
            active.last_check_result = Set(Some(refusal.message.clone()));
            active.update(&state.db).await?;
            audit::record_refusal(
                &state.db,
                now,
                domain_event("domain.verified", &row, acting)
                    .refused(refusal.code.as_str())
                    .detail(format!("{}: {}", row.domain, refusal.message)),
            )
            .await;
            tracing::info!(organization_id, domain = %row.domain, code = %refusal.code, "domain not verified");
            Err(refusal)
        }
    }
}

pub async fn remove(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    domain_id: i64,
) -> AppResult<()> {
    let row = owned_domain(
        state,
        acting,
        Action::RemoveDomain,
        organization_id,
        domain_id,
    )
    .await?;
    let txn = begin_write(&state.db).await?;
    domain::Entity::delete_by_id(row.id).exec(&txn).await?;
    audit::record(
        &txn,
        state.now(),
        domain_event("domain.removed", &row, acting),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(organization_id, domain = %row.domain, "domain claim removed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalized_and_checked() {
        assert_eq!(
            normalize_domain(" Corp.Example.COM. ").unwrap(),
            "corp.example.com"
        );
        assert_eq!(normalize_domain("a-b.co").unwrap(), "a-b.co");
        for bad in [
            "",
            "localhost",
            "-corp.com",
            "corp-.com",
            "corp..com",
            "exa mple.com",
            "corp.123",
            "ünï.com",
            "a@b.com",
        ] {
            assert_eq!(
                normalize_domain(bad).unwrap_err().code,
                ErrorCode::DomainInvalid,
                "{bad:?}"
            );
        }
        assert!(normalize_domain(&format!("{}.com", "a".repeat(64))).is_err());
    }
}
