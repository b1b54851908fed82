//! Fleets and their devices. A fleet belongs to one person or one organization. Its owner, or any member of the
//! owning organization, sees it; its owner, or the organization's admins and owners, change it and its devices.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::server::db::conflict_on_unique;
use crate::server::db::entities::{device, fleet, user};
use crate::server::services::actor::Actor;
use crate::server::services::authz::{
    also_permits, authorize, authorize_own, reachable_organizations, Action, Standing,
};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{DeviceDetail, DeviceView, FleetDetail, FleetOwner, FleetSummary};

/// Who a new fleet belongs to.
pub enum NewFleetOwner {
    Me,
    Organization(i64),
}

fn check_name(raw: &str, what: &str) -> AppResult<String> {
    let name = raw.trim().to_string();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::new(ErrorCode::NameInvalid)
            .with_message(format!("Enter a {what} name between 1 and 80 characters."))
            .on_field("name"));
    }
    Ok(name)
}

/// A device UUID as 32 lowercase hex digits; dashes and case are accepted on input.
pub fn normalize_uuid(raw: &str) -> AppResult<String> {
    let hex: String = raw
        .trim()
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_lowercase();
    if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(AppError::new(ErrorCode::UuidInvalid).on_field("uuid"))
    }
}

/// The caller's access to one fleet.
struct Access {
    fleet: fleet::Model,
    owner: FleetOwner,
    can_manage: bool,
}

/// The fleet, if the kernel lets the actor take `action` on it: a personal fleet is its person's alone (anyone
/// else is told it does not exist); an organization's fleet follows the organization's permissions.
async fn access(
    db: &impl ConnectionTrait,
    actor: &Actor,
    fleet_id: i64,
    action: Action,
) -> AppResult<Access> {
    let not_found = || AppError::new(ErrorCode::FleetNotFound);
    let found = fleet::Entity::find_by_id(fleet_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    match (found.owner_user_id, found.owner_organization_id) {
        (Some(owner_id), _) => {
            authorize_own(actor, Action::UsePersonalFleet, owner_id, not_found)
                .map_err(|_| not_found())?;
            let owner = user::Entity::find_by_id(owner_id)
                .one(db)
                .await?
                .ok_or_else(not_found)?;
            Ok(Access {
                fleet: found,
                owner: FleetOwner::User {
                    id: owner.id,
                    name: owner.name,
                },
                can_manage: true,
            })
        }
        (None, Some(organization_id)) => {
            // Enforcement's refusal says where to sign in, and a member's says who may; a stranger is not told
            // the fleet exists.
            let standing = authorize(db, actor, action, organization_id)
                .await
                .map_err(|e| {
                    if e.code == ErrorCode::OrganizationNotFound {
                        not_found()
                    } else {
                        e
                    }
                })?;
            Ok(Access {
                fleet: found,
                owner: FleetOwner::Organization {
                    id: organization_id,
                    name: standing.organization.name.clone(),
                },
                can_manage: also_permits(&standing, Action::RenameFleet),
            })
        }
        _ => Err(not_found()),
    }
}

async fn device_count(db: &impl ConnectionTrait, fleet_id: i64) -> AppResult<u64> {
    Ok(device::Entity::find()
        .filter(device::Column::FleetId.eq(fleet_id))
        .count(db)
        .await?)
}

async fn summary(db: &impl ConnectionTrait, access: &Access) -> AppResult<FleetSummary> {
    Ok(FleetSummary {
        id: access.fleet.id,
        name: access.fleet.name.clone(),
        owner: access.owner.clone(),
        device_count: device_count(db, access.fleet.id).await?,
        can_manage: access.can_manage,
    })
}

/// A violated unique index on (owner, name) means the owner already has a fleet of that name.
fn fleet_name_taken(err: sea_orm::DbErr) -> AppError {
    conflict_on_unique(err, || {
        AppError::new(ErrorCode::FleetNameTaken)
            .with_message("This owner already has a fleet with this name.")
            .on_field("name")
    })
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    raw_name: &str,
    owner: NewFleetOwner,
) -> AppResult<i64> {
    let name = check_name(raw_name, "fleet")?;
    let (owner_user_id, owner_organization_id) = match owner {
        NewFleetOwner::Me => {
            let me = actor.person().unwrap_or_default();
            let owner = authorize_own(actor, Action::UsePersonalFleet, me, || {
                AppError::new(ErrorCode::FleetNotFound)
            })?;
            (Some(owner), None)
        }
        NewFleetOwner::Organization(organization_id) => {
            authorize(&state.db, actor, Action::CreateFleet, organization_id).await?;
            (None, Some(organization_id))
        }
    };
    let created = fleet::ActiveModel {
        name: Set(name),
        owner_user_id: Set(owner_user_id),
        owner_organization_id: Set(owner_organization_id),
        created_at: Set(state.now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(fleet_name_taken)?;
    Ok(created.id)
}

/// Every fleet the actor can see: a person's own and their organizations'; an organization key's organization's.
pub async fn list_visible(state: &AppState, actor: &Actor) -> AppResult<Vec<FleetSummary>> {
    let visible = match *actor {
        Actor::Person { user_id, .. } => {
            let org_ids = reachable_organizations(&state.db, actor).await?;
            Condition::any()
                .add(fleet::Column::OwnerUserId.eq(user_id))
                .add(fleet::Column::OwnerOrganizationId.is_in(org_ids))
        }
        Actor::OrganizationKey {
            organization_id, ..
        } => Condition::all().add(fleet::Column::OwnerOrganizationId.eq(organization_id)),
    };
    let rows = fleet::Entity::find()
        .filter(visible)
        .order_by_asc(fleet::Column::Name)
        .all(&state.db)
        .await?;
    let mut fleets = Vec::with_capacity(rows.len());
    for row in rows {
        let found = access(&state.db, actor, row.id, Action::ViewFleets).await?;
        fleets.push(summary(&state.db, &found).await?);
    }
    Ok(fleets)
}

pub async fn for_organization(
    db: &impl ConnectionTrait,
    standing: &Standing,
) -> AppResult<Vec<FleetSummary>> {
    let rows = fleet::Entity::find()
        .filter(fleet::Column::OwnerOrganizationId.eq(standing.organization.id))
        .order_by_asc(fleet::Column::Name)
        .all(db)
        .await?;
    let mut fleets = Vec::with_capacity(rows.len());
    for row in rows {
        fleets.push(FleetSummary {
            device_count: device_count(db, row.id).await?,
            id: row.id,
            name: row.name,
            owner: FleetOwner::Organization {
                id: standing.organization.id,
                name: standing.organization.name.clone(),
            },
            can_manage: also_permits(standing, Action::RenameFleet),
        });
    }
    Ok(fleets)
}

fn device_view(d: device::Model) -> DeviceView {
    DeviceView {
        id: d.id,
        fleet_id: d.fleet_id,
        uuid: d.uuid,
        name: d.name,
        status: d.status,
        last_seen_at: d.last_seen_at,
        created_at: d.created_at,
    }
}

pub async fn detail(state: &AppState, actor: &Actor, fleet_id: i64) -> AppResult<FleetDetail> {
    let found = access(&state.db, actor, fleet_id, Action::ViewFleets).await?;
    let devices = device::Entity::find()
        .filter(device::Column::FleetId.eq(fleet_id))
        .order_by_asc(device::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .map(device_view)
        .collect();
    Ok(FleetDetail {
        fleet: summary(&state.db, &found).await?,
        devices,
    })
}

pub async fn rename(
    state: &AppState,
    actor: &Actor,
    fleet_id: i64,
    raw_name: &str,
) -> AppResult<()> {
    let found = access(&state.db, actor, fleet_id, Action::RenameFleet).await?;
    let name = check_name(raw_name, "fleet")?;
    let mut active = found.fleet.into_active_model();
    active.name = Set(name);
    active.update(&state.db).await.map_err(fleet_name_taken)?;
    Ok(())
}

/// Deletes the fleet with its devices (cascade).
pub async fn delete(state: &AppState, actor: &Actor, fleet_id: i64) -> AppResult<()> {
    access(&state.db, actor, fleet_id, Action::DeleteFleet).await?;
    fleet::Entity::delete_by_id(fleet_id)
        .exec(&state.db)
        .await?;
    Ok(())
}

pub async fn add_device(
    state: &AppState,
    actor: &Actor,
    fleet_id: i64,
    raw_name: &str,
    raw_uuid: &str,
) -> AppResult<i64> {
    access(&state.db, actor, fleet_id, Action::AddDevice).await?;
    let name = check_name(raw_name, "device")?;
    let uuid = if raw_uuid.trim().is_empty() {
        uuid::Uuid::new_v4().simple().to_string()
    } else {
        normalize_uuid(raw_uuid)?
    };
    let created = device::ActiveModel {
        fleet_id: Set(fleet_id),
        uuid: Set(uuid),
        name: Set(name),
        status: Set("inactive".into()),
        last_seen_at: Set(None),
        created_at: Set(state.now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(|err| {
        conflict_on_unique(err, || {
            AppError::new(ErrorCode::DeviceUuidTaken).on_field("uuid")
        })
    })?;
    Ok(created.id)
}

async fn device_in(
    db: &impl ConnectionTrait,
    fleet_id: i64,
    device_id: i64,
) -> AppResult<device::Model> {
    device::Entity::find_by_id(device_id)
        .filter(device::Column::FleetId.eq(fleet_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::DeviceNotFound))
}

/// A device by id, with the fleet it is in, if the person can see that fleet.
pub async fn device_detail(
    state: &AppState,
    actor: &Actor,
    device_id: i64,
) -> AppResult<DeviceDetail> {
    let found = device::Entity::find_by_id(device_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::DeviceNotFound))?;
    let fleet_access = access(&state.db, actor, found.fleet_id, Action::ViewFleets)
        .await
        .map_err(|err| {
            if err.code == ErrorCode::FleetNotFound {
                AppError::new(ErrorCode::DeviceNotFound)
            } else {
                err
            }
        })?;
    Ok(DeviceDetail {
        fleet: summary(&state.db, &fleet_access).await?,
        device: device_view(found),
    })
}

pub async fn rename_device(
    state: &AppState,
    actor: &Actor,
    device_id: i64,
    raw_name: &str,
) -> AppResult<()> {
    let detail = device_detail(state, actor, device_id).await?;
    access(&state.db, actor, detail.fleet.id, Action::RenameDevice).await?;
    let name = check_name(raw_name, "device")?;
    let mut active = device_in(&state.db, detail.fleet.id, device_id)
        .await?
        .into_active_model();
    active.name = Set(name);
    active.update(&state.db).await?;
    Ok(())
}

pub async fn delete_device(state: &AppState, actor: &Actor, device_id: i64) -> AppResult<i64> {
    let detail = device_detail(state, actor, device_id).await?;
    access(&state.db, actor, detail.fleet.id, Action::DeleteDevice).await?;
    device::Entity::delete_by_id(device_id)
        .exec(&state.db)
        .await?;
    Ok(detail.fleet.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_normalized() {
        assert_eq!(
            normalize_uuid("0C8E2D9A-6B1F-4C3A-9E2B-1234567890AB").unwrap(),
            "0c8e2d9a6b1f4c3a9e2b1234567890ab"
        );
        assert!(normalize_uuid("xyz").is_err());
        assert!(normalize_uuid(&"a".repeat(31)).is_err());
    }
}
