//! Server functions for the preferences page: profile, password, and signed-in devices.

use leptos::prelude::*;

use crate::shared::error::AppError;
use crate::shared::models::SessionView;

#[server(endpoint = "change_name")]
pub async fn change_name(csrf_token: Option<String>, name: String) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        accounts::change_name(&state, me.user.id, &name).await?;
        Ok(())
    })
    .await
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    csrf_token: Option<String>,
    current_password: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        accounts::change_password(
            &state,
            me.user.id,
            &me.session_id,
            current_password,
            password,
            &confirm_password,
        )
        .await
    })
    .await
}

#[server(endpoint = "sessions")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    edge::run(async move {
        let (state, me) = edge::reader()?;
        accounts::list_sessions(&state, me.user.id, &me.session_id).await
    })
    .await
}

#[server(endpoint = "revoke_session")]
pub async fn revoke_session(
    csrf_token: Option<String>,
    session_id: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::auth::sessions;
    edge::run(async move {
        let (state, me, _) = edge::signed_in_form(csrf_token.as_deref())?;
        sessions::revoke(&state.db, me.user.id, &session_id).await?;
        if session_id == me.session_id {
            edge::clear_session_cookie(&state);
            edge::redirect("/login");
        }
        Ok(())
    })
    .await
}
