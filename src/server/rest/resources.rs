//! The REST API's endpoints: the caller, organizations (and switching SSO enforcement off) with their members, teams and identity providers, fleets and
//! devices. Each is a thin adapter: who is calling (from the key), the input, one service call, the response body.

use actix_web::{web, HttpRequest, HttpResponse};

use super::schema::{
    Created, DeviceOut, DevicePage, ErrorBody, FleetOut, FleetPage, IdentityProviderOut,
    IdentityProviderPage, KeyOut, Me, MemberOut, MemberPage, NewDevice, NewFleet, NewTeam,
    OrganizationOut, OrganizationPage, OrganizationRef, OrganizationUpdate, PageQuery, PersonOut,
    Rename, SamlAccountOut, SamlAccountPage, TeamOut, TeamPage,
};
use super::{paginate, ApiResult, Caller};
use crate::server::auth::visitor::client_ip;
use crate::server::services::actor::Actor;
use crate::server::services::api_keys::KEY_PREFIX;
use crate::server::services::fleets::{self, NewFleetOwner};
use crate::server::services::{
    authz, enforcement, identity_providers, organizations, teams, two_factor,
};
use crate::server::state::AppState;
use crate::shared::error::{AppError, ErrorCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(me))
        .route("/organizations", web::get().to(list_organizations))
        .route("/organizations/{id}", web::get().to(get_organization))
        .route("/organizations/{id}", web::put().to(update_organization))
        .route("/organizations/{id}/members", web::get().to(list_members))
        .route("/organizations/{id}/teams", web::get().to(list_teams))
        .route("/organizations/{id}/teams", web::post().to(create_team))
        .route(
            "/organizations/{id}/teams/{team_id}",
            web::patch().to(rename_team),
        )
        .route(
            "/organizations/{id}/teams/{team_id}",
            web::delete().to(delete_team),
        )
        .route(
            "/organizations/{id}/identity-providers",
            web::get().to(list_identity_providers),
        )
        .route(
            "/identity-providers/{identifier}/saml-accounts",
            web::get().to(list_saml_accounts),
        )
        .route(
            "/identity-providers/{identifier}/saml-accounts/{remote_id}",
            web::delete().to(delete_saml_account),
        )
        .route("/fleets", web::get().to(list_fleets))
        .route("/fleets", web::post().to(create_fleet))
        .route("/fleets/{id}", web::get().to(get_fleet))
        .route("/fleets/{id}", web::patch().to(rename_fleet))
        .route("/fleets/{id}", web::delete().to(delete_fleet))
        .route("/fleets/{id}/devices", web::get().to(list_devices))
        .route("/fleets/{id}/devices", web::post().to(create_device))
        .route("/devices/{id}", web::get().to(get_device))
        .route("/devices/{id}", web::patch().to(rename_device))
        .route("/devices/{id}", web::delete().to(delete_device));
}

fn actor(caller: &Caller) -> Actor {
    caller.0.actor
}

/// Who is calling: the person of a personal key, or the organization and role of an organization key.
#[utoipa::path(get, path = "/api/v1/me", tag = "caller",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let key = &caller.0.key;
    let key_out = KeyOut {
        name: key.name.clone(),
        prefix: format!("{KEY_PREFIX}{}", key.public_id),
        expires_at: key.expires_at,
    };
    let body = match (&caller.0.person, &caller.0.organization, caller.0.actor) {
        (Some(person), _, _) => Me {
            kind: "person".into(),
            person: Some(PersonOut {
                id: person.id,
                name: person.name.clone(),
                email: person.email.clone(),
                two_factor_enabled: two_factor::is_enabled(&state.db, person.id).await?,
            }),
            organization: None,
            role: None,
            key: key_out,
        },
        (None, Some(organization), Actor::OrganizationKey { role, .. }) => Me {
            kind: "organization_key".into(),
            person: None,
            organization: Some(OrganizationRef {
                id: organization.id,
                name: organization.name.clone(),
                handle: organization.handle.clone(),
            }),
            role: Some(role.as_str().to_owned()),
            key: key_out,
        },
        _ => {
            return Err(crate::shared::error::AppError::new(
                crate::shared::error::ErrorCode::ApiKeyInvalid,
            )
            .into())
        }
    };
    Ok(HttpResponse::Ok().json(body))
}

async fn organization_out(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
) -> ApiResult<OrganizationOut> {
    let (standing, member_count) = organizations::overview(state, actor, organization_id).await?;
    Ok(OrganizationOut {
        id: standing.organization.id,
        name: standing.organization.name.clone(),
        handle: standing.organization.handle.clone(),
        role: standing.role.as_str().to_owned(),
        member_count,
        require_two_factor: standing.organization.require_two_factor,
        enforce_authentication_method: standing
            .organization
            .sso_enforced_at
            .map(|_| "saml".to_owned()),
    })
}

/// The organizations the caller can see: a person's memberships, or an organization key's own organization.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(PageQuery),
    responses((status = 200, body = OrganizationPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_organizations(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    // Organizations that allow only single sign-on are not reachable with a personal key.
    let ids: Vec<i64> = authz::reachable_organizations(&state.db, &actor(&caller)).await?;
    let (ids, pagination) = paginate(ids, &query)?;
    let mut data = Vec::with_capacity(ids.len());
    for id in ids {
        data.push(organization_out(&state, &actor(&caller), id).await?);
    }
    Ok(HttpResponse::Ok().json(OrganizationPage { data, pagination }))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_organization(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let body = organization_out(&state, &actor(&caller), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Switches SSO enforcement off with `{"enforce_authentication_method": null}`: the break-glass, an organization key
/// with the owner role (the permissions table decides; a personal key never meets enforcement, so it cannot). Every
/// use is audited and emailed to the owners.
#[utoipa::path(put, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = i64, Path, description = "Organization id")), request_body = OrganizationUpdate,
    responses((status = 200, body = OrganizationOut), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: web::Json<serde_json::Value>,
) -> ApiResult<HttpResponse> {
    let organization_id = path.into_inner();
    let unsupported = || {
        AppError::new(ErrorCode::InvalidInput)
            .with_message(
                "Send {\"enforce_authentication_method\": null} to switch SSO enforcement off. Switching it on needs \
                 a fresh SSO login, on the organization's Security page.",
            )
            .on_field("enforce_authentication_method")
    };
    match body.get("enforce_authentication_method") {
        Some(serde_json::Value::Null) => {
            let ip = client_ip(&req, state.config.trust_forwarded_for);
            enforcement::disable(&state, &actor(&caller), organization_id, &ip).await?;
        }
        _ => return Err(unsupported().into()),
    }
    let body = organization_out(&state, &actor(&caller), organization_id).await?;
    Ok(HttpResponse::Ok().json(body))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}/members", tag = "organizations",
    params(("id" = i64, Path, description = "Organization id"), PageQuery),
    responses((status = 200, body = MemberPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let organization_id = path.into_inner();
    let members = organizations::member_list(&state, &actor(&caller), organization_id).await?;
    let (members, pagination) = paginate(members, &query)?;
    Ok(HttpResponse::Ok().json(MemberPage {
        data: members.into_iter().map(MemberOut::from).collect(),
        pagination,
    }))
}

#[utoipa::path(get, path = "/api/v1/organizations/{id}/teams", tag = "teams",
    params(("id" = i64, Path, description = "Organization id"), PageQuery),
    responses((status = 200, body = TeamPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_teams(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let organization_id = path.into_inner();
    let list = teams::list_for(&state, &actor(&caller), organization_id).await?;
    let (list, pagination) = paginate(list, &query)?;
    Ok(HttpResponse::Ok().json(TeamPage {
        data: list.into_iter().map(TeamOut::from).collect(),
        pagination,
    }))
}

/// Admins and owners (or a key with that role) create teams.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/teams", tag = "teams",
    params(("id" = i64, Path, description = "Organization id")), request_body = NewTeam,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_team(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: web::Json<NewTeam>,
) -> ApiResult<HttpResponse> {
    let id = teams::create(&state, &actor(&caller), path.into_inner(), &body.name).await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

#[utoipa::path(patch, path = "/api/v1/organizations/{id}/teams/{team_id}", tag = "teams",
    params(("id" = i64, Path, description = "Organization id"), ("team_id" = i64, Path, description = "Team id")),
    request_body = Rename,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn rename_team(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
    body: web::Json<Rename>,
) -> ApiResult<HttpResponse> {
    let (organization_id, team_id) = path.into_inner();
    teams::rename(
        &state,
        &actor(&caller),
        organization_id,
        team_id,
        &body.name,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/organizations/{id}/teams/{team_id}", tag = "teams",
    params(("id" = i64, Path, description = "Organization id"), ("team_id" = i64, Path, description = "Team id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_team(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (organization_id, team_id) = path.into_inner();
    teams::delete(&state, &actor(&caller), organization_id, team_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Admins and owners (or a key with that role) read the organization's identity providers.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/identity-providers", tag = "identity providers",
    params(("id" = i64, Path, description = "Organization id"), PageQuery),
    responses((status = 200, body = IdentityProviderPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_identity_providers(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let list =
        identity_providers::list_for_organization(&state, &actor(&caller), path.into_inner())
            .await?;
    let (list, pagination) = paginate(list, &query)?;
    Ok(HttpResponse::Ok().json(IdentityProviderPage {
        data: list.into_iter().map(IdentityProviderOut::from).collect(),
        pagination,
    }))
}

/// The accounts linked through an identity provider (admins of one of its organizations, or a key with that role).
#[utoipa::path(get, path = "/api/v1/identity-providers/{identifier}/saml-accounts", tag = "identity providers",
    params(("identifier" = String, Path, description = "The identity provider's SSO identifier"), PageQuery),
    responses((status = 200, body = SamlAccountPage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_saml_accounts(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let list = identity_providers::saml_accounts(&state, &actor(&caller), &path).await?;
    let (list, pagination) = paginate(list, &query)?;
    Ok(HttpResponse::Ok().json(SamlAccountPage {
        data: list.into_iter().map(SamlAccountOut::from).collect(),
        pagination,
    }))
}

/// Deletes a SAML account by its remote ID (the NameID; URL-encode it). Refused (409 `organization.last_owner`) when
/// an organization would be left without an owner who can still sign in.
#[utoipa::path(delete, path = "/api/v1/identity-providers/{identifier}/saml-accounts/{remote_id}", tag = "identity providers",
    params(("identifier" = String, Path, description = "The identity provider's SSO identifier"),
        ("remote_id" = String, Path, description = "The SAML account's remote ID (NameID)")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_saml_account(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (identifier, remote_id) = path.into_inner();
    identity_providers::delete_saml_account(&state, &actor(&caller), &identifier, &remote_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every fleet the caller can see.
#[utoipa::path(get, path = "/api/v1/fleets", tag = "fleets", params(PageQuery),
    responses((status = 200, body = FleetPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_fleets(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let list = fleets::list_visible(&state, &actor(&caller)).await?;
    let (list, pagination) = paginate(list, &query)?;
    Ok(HttpResponse::Ok().json(FleetPage {
        data: list.into_iter().map(FleetOut::from).collect(),
        pagination,
    }))
}

#[utoipa::path(post, path = "/api/v1/fleets", tag = "fleets", request_body = NewFleet,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_fleet(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewFleet>,
) -> ApiResult<HttpResponse> {
    let owner = match body.organization_id {
        Some(organization_id) => NewFleetOwner::Organization(organization_id),
        None => NewFleetOwner::Me,
    };
    let id = fleets::create(&state, &actor(&caller), &body.name, owner).await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/fleets/{id}", tag = "fleets",
    params(("id" = i64, Path, description = "Fleet id")),
    responses((status = 200, body = FleetOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_fleet(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let detail = fleets::detail(&state, &actor(&caller), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(FleetOut::from(detail.fleet)))
}

#[utoipa::path(patch, path = "/api/v1/fleets/{id}", tag = "fleets",
    params(("id" = i64, Path, description = "Fleet id")), request_body = Rename,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn rename_fleet(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: web::Json<Rename>,
) -> ApiResult<HttpResponse> {
    fleets::rename(&state, &actor(&caller), path.into_inner(), &body.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes the fleet and its devices.
#[utoipa::path(delete, path = "/api/v1/fleets/{id}", tag = "fleets",
    params(("id" = i64, Path, description = "Fleet id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_fleet(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    fleets::delete(&state, &actor(&caller), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/fleets/{id}/devices", tag = "devices",
    params(("id" = i64, Path, description = "Fleet id"), PageQuery),
    responses((status = 200, body = DevicePage), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_devices(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let detail = fleets::detail(&state, &actor(&caller), path.into_inner()).await?;
    let (list, pagination) = paginate(detail.devices, &query)?;
    Ok(HttpResponse::Ok().json(DevicePage {
        data: list.into_iter().map(DeviceOut::from).collect(),
        pagination,
    }))
}

#[utoipa::path(post, path = "/api/v1/fleets/{id}/devices", tag = "devices",
    params(("id" = i64, Path, description = "Fleet id")), request_body = NewDevice,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: web::Json<NewDevice>,
) -> ApiResult<HttpResponse> {
    let id = fleets::add_device(
        &state,
        &actor(&caller),
        path.into_inner(),
        &body.name,
        body.uuid.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

#[utoipa::path(get, path = "/api/v1/devices/{id}", tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    responses((status = 200, body = DeviceOut), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let detail = fleets::device_detail(&state, &actor(&caller), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(DeviceOut::from(detail.device)))
}

#[utoipa::path(patch, path = "/api/v1/devices/{id}", tag = "devices",
    params(("id" = i64, Path, description = "Device id")), request_body = Rename,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn rename_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: web::Json<Rename>,
) -> ApiResult<HttpResponse> {
    fleets::rename_device(&state, &actor(&caller), path.into_inner(), &body.name).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "devices",
    params(("id" = i64, Path, description = "Device id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_device(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    fleets::delete_device(&state, &actor(&caller), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The endpoints' documentation, gathered for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    me,
    list_organizations,
    get_organization,
    update_organization,
    list_members,
    list_teams,
    create_team,
    rename_team,
    delete_team,
    list_identity_providers,
    list_saml_accounts,
    delete_saml_account,
    list_fleets,
    create_fleet,
    get_fleet,
    rename_fleet,
    delete_fleet,
    list_devices,
    create_device,
    get_device,
    rename_device,
    delete_device,
))]
pub struct Endpoints;
