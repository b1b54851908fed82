//! The audit log: every security event with its actor (a person or an organization key), the organization, the
//! account it concerns, the address it came from, the time, and its outcome (`success` or the refusal's code).
//! Events of an action are written in the action's transaction, so the log never claims what did not happen;
//! refusals, whose transaction rolls back, are written afterwards with `record_refusal`. Owners read their
//! organization's log (filtered, exported as JSON or CSV); everyone reads the events about themselves.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

use crate::server::db::entities::{api_key, audit_event, user};
use crate::server::services::actor::Actor;
use crate::server::services::authz::{authorize, Action};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{AuditEventView, OrganizationAudit, AUDIT_CATEGORIES};

/// Who caused an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuditActor {
    /// Nobody known yet (a refused login, a response from an identity provider).
    #[default]
    Anonymous,
    Person(i64),
    OrganizationKey {
        key_id: i64,
    },
}

/// One event to record.
#[derive(Clone, Debug, Default)]
pub struct AuditEvent {
    pub action: &'static str,
    pub organization_id: Option<i64>,
    pub actor: AuditActor,
    pub subject_user_id: Option<i64>,
    /// `None` for success, else the refusal's code.
    pub refused: Option<&'static str>,
    pub detail: String,
    pub ip_address: Option<String>,
}

impl AuditEvent {
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            ..Self::default()
        }
    }

    pub fn in_organization(mut self, organization_id: i64) -> Self {
        self.organization_id = Some(organization_id);
        self
    }

    pub fn by(mut self, actor: AuditActor) -> Self {
        self.actor = actor;
        self
    }

    pub fn about(mut self, user_id: i64) -> Self {
        self.subject_user_id = Some(user_id);
        self
    }

    pub fn from_address(mut self, ip: &str) -> Self {
        self.ip_address = Some(ip.to_owned());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn refused(mut self, code: &'static str) -> Self {
        self.refused = Some(code);
        self
    }
}

/// Records an event through `db` (the action's transaction).
pub async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    event: AuditEvent,
) -> AppResult<()> {
    let (actor_user_id, actor_key_id) = match event.actor {
        AuditActor::Anonymous => (None, None),
        AuditActor::Person(user_id) => (Some(user_id), None),
        AuditActor::OrganizationKey { key_id } => (None, Some(key_id)),
    };
    audit_event::ActiveModel {
        organization_id: Set(event.organization_id),
        actor_user_id: Set(actor_user_id),
        actor_key_id: Set(actor_key_id),
        subject_user_id: Set(event.subject_user_id),
        action: Set(event.action.to_owned()),
        outcome: Set(event.refused.unwrap_or("success").to_owned()),
        detail: Set(event.detail),
        ip_address: Set(event.ip_address),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records a refusal after its transaction rolled back. A failure to record is logged, never shown: the person
/// gets the refusal they caused either way.
pub async fn record_refusal(db: &impl ConnectionTrait, now: DateTime<Utc>, event: AuditEvent) {
    let action = event.action;
    if let Err(err) = record(db, now, event).await {
        tracing::error!(action, error = %err.message, "could not record an audit event");
    }
}

/// Which events a reader wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Events whose action starts with this (`login.`, `sso.`…).
    pub category: Option<String>,
    /// `success` or `refused`.
    pub outcome: Option<String>,
}

/// The most events one page or export holds.
pub const MAX_EVENTS: u64 = 1000;

impl AuditFilter {
    /// Checks the filter's values (they come from a query string).
    pub fn parse(category: Option<&str>, outcome: Option<&str>) -> AppResult<Self> {
        let category = match category.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) if AUDIT_CATEGORIES.iter().any(|(key, _)| *key == c) => Some(c.to_owned()),
            Some(_) => {
                return Err(AppError::new(ErrorCode::InvalidInput)
                    .with_message("Choose one of the listed kinds of event.")
                    .on_field("category"))
            }
        };
        let outcome = match outcome.map(str::trim).filter(|o| !o.is_empty()) {
            None => None,
            Some(o @ ("success" | "refused")) => Some(o.to_owned()),
            Some(_) => {
                return Err(AppError::new(ErrorCode::InvalidInput)
                    .with_message("The outcome is either success or refused.")
                    .on_field("outcome"))
            }
        };
        Ok(Self { category, outcome })
    }
}

async fn events(
    db: &impl ConnectionTrait,
    scope: Condition,
    filter: &AuditFilter,
) -> AppResult<Vec<AuditEventView>> {
    let mut query = audit_event::Entity::find().filter(scope);
    if let Some(category) = &filter.category {
        query = query.filter(audit_event::Column::Action.starts_with(format!("{category}.")));
    }
    match filter.outcome.as_deref() {
        Some("success") => query = query.filter(audit_event::Column::Outcome.eq("success")),
        Some(_) => query = query.filter(audit_event::Column::Outcome.ne("success")),
        None => {}
    }
    let rows = query
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(MAX_EVENTS)
        .all(db)
        .await?;
    let people: HashMap<i64, user::Model> = user::Entity::find()
        .filter(
            user::Column::Id.is_in(
                rows.iter()
                    .flat_map(|r| [r.actor_user_id, r.subject_user_id])
                    .flatten()
                    .collect::<Vec<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let keys: HashMap<i64, api_key::Model> = api_key::Entity::find()
        .filter(
            api_key::Column::Id.is_in(
                rows.iter()
                    .filter_map(|r| r.actor_key_id)
                    .collect::<Vec<_>>(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    let person = |id: Option<i64>| {
        id.map(|id| match people.get(&id) {
            Some(u) => format!("{} <{}>", u.name, u.email),
            None => format!("deleted account #{id}"),
        })
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let actor = match (row.actor_user_id, row.actor_key_id) {
                (Some(_), _) => person(row.actor_user_id),
                (None, Some(id)) => Some(match keys.get(&id) {
                    Some(k) => format!("API key \u{201c}{}\u{201d} (pc_{}_…)", k.name, k.public_id),
                    None => format!("deleted API key #{id}"),
                }),
                (None, None) => None,
            };
            AuditEventView {
                id: row.id,
                at: row.created_at,
                action: row.action,
                outcome: row.outcome,
                actor,
                subject: person(row.subject_user_id),
                detail: row.detail,
                ip_address: row.ip_address,
            }
        })
        .collect())
}

/// The organization's log, newest first (at most `MAX_EVENTS`): owners only.
pub async fn for_organization(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    filter: &AuditFilter,
) -> AppResult<OrganizationAudit> {
    let standing = authorize(&state.db, actor, Action::ViewAuditLog, organization_id).await?;
    Ok(OrganizationAudit {
        organization_id,
        organization_name: standing.organization.name.clone(),
        events: events(
            &state.db,
            Condition::all().add(audit_event::Column::OrganizationId.eq(organization_id)),
            filter,
        )
        .await?,
    })
}

/// A person's own security events (about them, or done by them), newest first.
pub async fn for_person(state: &AppState, user_id: i64) -> AppResult<Vec<AuditEventView>> {
    events(
        &state.db,
        Condition::any()
            .add(audit_event::Column::SubjectUserId.eq(user_id))
            .add(audit_event::Column::ActorUserId.eq(user_id)),
        &AuditFilter::default(),
    )
    .await
}

/// The events as CSV (RFC 4180: every field quoted, quotes doubled).
pub fn to_csv(events: &[AuditEventView]) -> String {
    // A spreadsheet would run a field that starts like a formula; names and details come from users and IdPs.
    let quote = |value: &str| {
        let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{value}")
        } else {
            value.to_owned()
        };
        format!("\"{}\"", defused.replace('"', "\"\""))
    };
    let mut out = String::from("id,time,action,outcome,actor,subject,ip_address,detail\r\n");
    for e in events {
        let fields = [
            e.id.to_string(),
            e.at.to_rfc3339(),
            e.action.clone(),
            e.outcome.clone(),
            e.actor.clone().unwrap_or_default(),
            e.subject.clone().unwrap_or_default(),
            e.ip_address.clone().unwrap_or_default(),
            e.detail.clone(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| quote(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_every_field_and_doubles_quotes() {
        let event = AuditEventView {
            id: 7,
            at: chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            action: "login.password".into(),
            outcome: "auth.invalid_credentials".into(),
            actor: None,
            subject: Some("Ada \"the admin\" <ada@corp.example>".into()),
            detail: "line, with comma".into(),
            ip_address: Some("10.0.0.1".into()),
        };
        assert_eq!(
            to_csv(&[event]),
            "id,time,action,outcome,actor,subject,ip_address,detail\r\n\
             \"7\",\"2026-11-30T10:00:00+00:00\",\"login.password\",\"auth.invalid_credentials\",\"\",\
             \"Ada \"\"the admin\"\" <ada@corp.example>\",\"10.0.0.1\",\"line, with comma\"\r\n"
        );
    }

    #[test]
    fn csv_fields_that_look_like_formulas_are_defused() {
        let event = AuditEventView {
            id: 1,
            at: Utc::now(),
            action: "login.sso".into(),
            outcome: "success".into(),
            actor: Some("=HYPERLINK(\"http://evil\") <x@y>".into()),
            subject: Some("+1 <a@b>".into()),
            detail: "@SUM(A1)".into(),
            ip_address: Some("-".into()),
        };
        let csv = to_csv(&[event]);
        assert!(
            csv.contains("\"'=HYPERLINK(\"\"http://evil\"\") <x@y>\""),
            "{csv}"
        );
        assert!(csv.contains("\"'+1 <a@b>\""), "{csv}");
        assert!(csv.contains("\"'@SUM(A1)\""), "{csv}");
        assert!(csv.contains("\"'-\""), "{csv}");
    }

    #[test]
    fn filters_accept_only_known_values() {
        assert!(AuditFilter::parse(Some("login"), Some("refused")).is_ok());
        assert_eq!(
            AuditFilter::parse(Some(""), None).unwrap(),
            AuditFilter::default()
        );
        assert!(AuditFilter::parse(Some("drop table"), None).is_err());
        assert!(AuditFilter::parse(None, Some("maybe")).is_err());
    }
}
