//! Server functions for the dashboard, organizations, members, invitations and teams.

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::{Dashboard, InvitationPreview, OrganizationDetail};

#[server(endpoint = "dashboard")]
pub async fn load_dashboard() -> Result<Dashboard, AppError> {
    use crate::api::edge;
    use crate::server::services::{fleets, organizations};
    edge::run(async move {
        let (state, me) = edge::reader()?;
        Ok(Dashboard {
            fleets: fleets::list_visible(&state, &edge::actor(&me)).await?,
            organizations: organizations::list_for_user(&state, me.user.id).await?,
        })
    })
    .await
}

#[server(endpoint = "create_organization")]
pub async fn create_organization(
    csrf_token: Option<String>,
    name: String,
    handle: Option<String>,
) -> Result<i64, AppError> {
    use crate::api::edge;
    use crate::server::services::organizations::{self, NewOrganization};
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let created =
            organizations::create(&state, me.user.id, NewOrganization { name, handle }).await?;
        edge::redirect(&format!("/organizations/{}", created.id));
        Ok(created.id)
    })
    .await
}

#[server(endpoint = "organization")]
pub async fn organization(organization_id: i64) -> Result<OrganizationDetail, AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        organizations::detail(&state, &edge::actor(&me), organization_id).await
    })
    .await
}

#[server(endpoint = "rename_organization")]
pub async fn rename_organization(
    csrf_token: Option<String>,
    organization_id: i64,
    name: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        organizations::rename(&state, &edge::actor(&me), organization_id, &name).await
    })
    .await
}

#[server(endpoint = "invite_member")]
pub async fn invite_member(
    csrf_token: Option<String>,
    organization_id: i64,
    email: String,
    role: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        organizations::invite(&state, &edge::actor(&me), organization_id, &email, &role).await?;
        Ok(())
    })
    .await
}

/// Adds a member without password who signs in through the organization's identity provider.
#[server(endpoint = "add_provisioned_member")]
pub async fn add_provisioned_member(
    csrf_token: Option<String>,
    organization_id: i64,
    email: String,
    name: String,
    role: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        organizations::add_provisioned_member(
            &state,
            &edge::actor(&me),
            organization_id,
            &email,
            &name,
            &role,
        )
        .await
    })
    .await
}

#[server(endpoint = "revoke_invitation")]
pub async fn revoke_invitation(
    csrf_token: Option<String>,
    organization_id: i64,
    invitation_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        organizations::revoke_invitation(&state, &edge::actor(&me), organization_id, invitation_id)
            .await
    })
    .await
}

#[server(endpoint = "change_member_role")]
pub async fn change_member_role(
    csrf_token: Option<String>,
    organization_id: i64,
    user_id: i64,
    role: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        organizations::change_role(&state, &edge::actor(&me), organization_id, user_id, &role).await
    })
    .await
}

#[server(endpoint = "remove_member")]
pub async fn remove_member(
    csrf_token: Option<String>,
    organization_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        organizations::remove_member(&state, &edge::actor(&me), organization_id, user_id).await?;
        if user_id == me.user.id {
            edge::redirect("/dashboard");
        }
        Ok(())
    })
    .await
}

#[server(endpoint = "invitation")]
pub async fn invitation(token: String) -> Result<InvitationPreview, AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move { organizations::preview_invitation(&edge::state()?, &token).await }).await
}

#[server(endpoint = "accept_invitation")]
pub async fn accept_invitation(csrf_token: Option<String>, token: String) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::organizations;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let organization_id =
            organizations::accept_invitation(&state, &edge::actor(&me), &token).await?;
        edge::redirect(&format!("/organizations/{organization_id}"));
        Ok(())
    })
    .await
}

#[server(endpoint = "create_team")]
pub async fn create_team(
    csrf_token: Option<String>,
    organization_id: i64,
    name: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::teams;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        teams::create(&state, &edge::actor(&me), organization_id, &name).await?;
        Ok(())
    })
    .await
}

#[server(endpoint = "rename_team")]
pub async fn rename_team(
    csrf_token: Option<String>,
    organization_id: i64,
    team_id: i64,
    name: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::teams;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        teams::rename(&state, &edge::actor(&me), organization_id, team_id, &name).await
    })
    .await
}

#[server(endpoint = "delete_team")]
pub async fn delete_team(
    csrf_token: Option<String>,
    organization_id: i64,
    team_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::teams;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        teams::delete(&state, &edge::actor(&me), organization_id, team_id).await
    })
    .await
}

#[server(endpoint = "add_team_member")]
pub async fn add_team_member(
    csrf_token: Option<String>,
    organization_id: i64,
    team_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::teams;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        teams::add_member(&state, &edge::actor(&me), organization_id, team_id, user_id).await
    })
    .await
}

#[server(endpoint = "remove_team_member")]
pub async fn remove_team_member(
    csrf_token: Option<String>,
    organization_id: i64,
    team_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::teams;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        teams::remove_member(&state, &edge::actor(&me), organization_id, team_id, user_id).await
    })
    .await
}
