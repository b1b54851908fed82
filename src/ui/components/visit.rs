//! The visit context: who is signed in and this browser's CSRF token, loaded once per page and again after a login
//! or logout (the `epoch` moves).

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::shared::error::AppError;
use crate::shared::models::{CurrentUser, Visit};
use crate::shared::paths::encode_query_value;

#[derive(Clone, Copy)]
pub struct VisitContext {
    pub epoch: RwSignal<u32>,
    pub visit: Resource<Result<Visit, AppError>>,
}

pub fn use_visit() -> VisitContext {
    expect_context::<VisitContext>()
}

impl VisitContext {
    /// Reloads the visit after a call that may have signed someone in or out.
    pub fn refresh_after<T, S>(self, value: S)
    where
        T: Send + Sync + 'static,
        S: With<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    {
        Effect::new(move |_| {
            if value.with(|v| matches!(v, Some(Ok(_)))) {
                self.epoch.update(|e| *e += 1);
            }
        });
    }
}

/// The hidden CSRF field every state-changing form carries.
#[component]
pub fn CsrfField() -> impl IntoView {
    let ctx = use_visit();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let token = ctx.visit.await.map(|v| v.csrf_token).unwrap_or_default();
                view! { <input type="hidden" name="csrf_token" value=token/> }
            })}
        </Suspense>
    }
}

/// Renders `children` for a signed-in person; sends anyone else to the login page and back here afterwards.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let ctx = use_visit();
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match ctx.visit.await {
                    Ok(Visit { user: Some(_), .. }) => children.with_value(|c| c()).into_any(),
                    _ => {
                        let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
                        let target = if here.is_empty() || here == "/" { String::new() } else { format!("?next={}", encode_query_value(&here)) };
                        view! { <Redirect path=format!("/login{target}")/> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The signed-in person, inside `RequireUser`.
pub fn current_user(visit: &Result<Visit, AppError>) -> Option<CurrentUser> {
    visit.as_ref().ok().and_then(|v| v.user.clone())
}
