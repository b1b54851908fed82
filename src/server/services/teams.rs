//! Teams inside an organization: admins and owners create, rename and delete them and choose their members, who
//! must be members of the organization.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use std::collections::HashMap;

use crate::server::db::conflict_on_unique;
use crate::server::db::entities::{membership, team, team_member, user};
use crate::server::services::actor::Actor;
use crate::server::services::authz::{authorize, Action};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{TeamMemberView, TeamView};

fn check_team_name(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::new(ErrorCode::NameInvalid)
            .with_message("Enter a team name between 1 and 60 characters.")
            .on_field("name"));
    }
    Ok(name)
}

fn name_taken(err: sea_orm::DbErr) -> AppError {
    conflict_on_unique(err, || {
        AppError::new(ErrorCode::TeamNameTaken).on_field("name")
    })
}

/// The teams, for whoever may see them.
pub async fn list_for(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
) -> AppResult<Vec<TeamView>> {
    authorize(&state.db, actor, Action::ViewTeams, organization_id).await?;
    list(&state.db, organization_id).await
}

pub(in crate::server::services) async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<Vec<TeamView>> {
    let teams = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(organization_id))
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?;
    let team_ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
    let links = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(team_ids))
        .all(db)
        .await?;
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(links.iter().map(|l| l.user_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(teams
        .into_iter()
        .map(|t| {
            let mut members: Vec<TeamMemberView> = links
                .iter()
                .filter(|l| l.team_id == t.id)
                .filter_map(|l| users.get(&l.user_id))
                .map(|u| TeamMemberView {
                    user_id: u.id,
                    name: u.name.clone(),
                    email: u.email.clone(),
                })
                .collect();
            members.sort_by_key(|m| m.name.to_lowercase());
            TeamView {
                id: t.id,
                name: t.name,
                members,
            }
        })
        .collect())
}

async fn team_in(
    db: &impl ConnectionTrait,
    organization_id: i64,
    team_id: i64,
) -> AppResult<team::Model> {
    team::Entity::find_by_id(team_id)
        .filter(team::Column::OrganizationId.eq(organization_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::TeamNotFound))
}

/// A team of the organization, for an admin or owner of that organization.
async fn managed_team(
    state: &AppState,
    actor: &Actor,
    action: Action,
    organization_id: i64,
    team_id: i64,
) -> AppResult<team::Model> {
    authorize(&state.db, actor, action, organization_id).await?;
    team_in(&state.db, organization_id, team_id).await
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    raw_name: &str,
) -> AppResult<i64> {
    authorize(&state.db, actor, Action::CreateTeam, organization_id).await?;
    let name = check_team_name(raw_name)?;
    let created = team::ActiveModel {
        organization_id: Set(organization_id),
        name: Set(name),
        created_at: Set(state.now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(name_taken)?;
    Ok(created.id)
}

pub async fn rename(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    team_id: i64,
    raw_name: &str,
) -> AppResult<()> {
    let found = managed_team(state, actor, Action::RenameTeam, organization_id, team_id).await?;
    let name = check_team_name(raw_name)?;
    let mut active = found.into_active_model();
    active.name = Set(name);
    active.update(&state.db).await.map_err(name_taken)?;
    Ok(())
}

pub async fn delete(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    team_id: i64,
) -> AppResult<()> {
    let found = managed_team(state, actor, Action::DeleteTeam, organization_id, team_id).await?;
    let txn = crate::server::db::begin_write(&state.db).await?;
    team::Entity::delete_by_id(found.id).exec(&txn).await?;
    crate::server::services::role_mappings::forget_team(&txn, organization_id, found.id).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn add_member(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    team_id: i64,
    user_id: i64,
) -> AppResult<()> {
    let found = managed_team(
        state,
        actor,
        Action::AddTeamMember,
        organization_id,
        team_id,
    )
    .await?;
    if membership::Entity::find_by_id((organization_id, user_id))
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(AppError::new(ErrorCode::MemberNotFound).on_field("user_id"));
    }
    team_member::ActiveModel {
        team_id: Set(found.id),
        user_id: Set(user_id),
    }
    .insert(&state.db)
    .await
    .map_err(|err| {
        conflict_on_unique(err, || {
            AppError::new(ErrorCode::AlreadyMember)
                .with_message("This person is already in the team.")
                .on_field("user_id")
        })
    })?;
    Ok(())
}

pub async fn remove_member(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    team_id: i64,
    user_id: i64,
) -> AppResult<()> {
    let found = managed_team(
        state,
        actor,
        Action::RemoveTeamMember,
        organization_id,
        team_id,
    )
    .await?;
    let result = team_member::Entity::delete_by_id((found.id, user_id))
        .exec(&state.db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::new(ErrorCode::MemberNotFound)
            .with_message("This person is not in the team."));
    }
    Ok(())
}
