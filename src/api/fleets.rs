//! Server functions for fleets and devices.

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::{DeviceDetail, FleetDetail};

/// `owner` is `me` for a personal fleet, or an organization id.
#[server(endpoint = "create_fleet")]
pub async fn create_fleet(
    csrf_token: Option<String>,
    name: String,
    owner: String,
) -> Result<i64, AppError> {
    use crate::api::edge;
    use crate::server::services::fleets::{self, NewFleetOwner};
    use crate::shared::error::ErrorCode;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let owner =
            match owner.trim() {
                "me" | "" => NewFleetOwner::Me,
                id => NewFleetOwner::Organization(id.parse().map_err(|_| {
                    AppError::new(ErrorCode::OrganizationNotFound).on_field("owner")
                })?),
            };
        let fleet_id = fleets::create(&state, &edge::actor(&me), &name, owner).await?;
        edge::redirect(&format!("/fleets/{fleet_id}"));
        Ok(fleet_id)
    })
    .await
}

#[server(endpoint = "fleet")]
pub async fn fleet(fleet_id: i64) -> Result<FleetDetail, AppError> {
    use crate::api::edge;
    use crate::server::services::fleets;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        fleets::detail(&state, &edge::actor(&me), fleet_id).await
    })
    .await
}

#[server(endpoint = "rename_fleet")]
pub async fn rename_fleet(
    csrf_token: Option<String>,
    fleet_id: i64,
    name: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::fleets;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        fleets::rename(&state, &edge::actor(&me), fleet_id, &name).await
    })
    .await
}

#[server(endpoint = "delete_fleet")]
pub async fn delete_fleet(csrf_token: Option<String>, fleet_id: i64) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::fleets;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        fleets::delete(&state, &edge::actor(&me), fleet_id).await?;
        edge::redirect("/dashboard");
        Ok(())
    })
    .await
}

#[server(endpoint = "add_device")]
pub async fn add_device(
    csrf_token: Option<String>,
    fleet_id: i64,
    name: String,
    uuid: Option<String>,
) -> Result<i64, AppError> {
    use crate::api::edge;
    use crate::server::services::fleets;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        fleets::add_device(
            &state,
            &edge::actor(&me),
            fleet_id,
            &name,
            uuid.as_deref().unwrap_or_default(),
        )
        .await
    })
    .await
}

#[server(endpoint = "device")]
pub async fn device(device_id: i64) -> Result<DeviceDetail, AppError> {
    use crate::api::edge;
    use crate::server::services::fleets;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        fleets::device_detail(&state, &edge::actor(&me), device_id).await
    })
    .await
}

#[server(endpoint = "rename_device")]
pub async fn rename_device(
    csrf_token: Option<String>,
    device_id: i64,
    name: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::fleets;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        fleets::rename_device(&state, &edge::actor(&me), device_id, &name).await
    })
    .await
}

#[server(endpoint = "delete_device")]
pub async fn delete_device(csrf_token: Option<String>, device_id: i64) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::fleets;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        let fleet_id = fleets::delete_device(&state, &edge::actor(&me), device_id).await?;
        edge::redirect(&format!("/fleets/{fleet_id}"));
        Ok(())
    })
    .await
}
