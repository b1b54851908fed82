//! Form building blocks: a labelled field with its own error, the form-level error banner, a success notice, a
//! read-only value with a copy button, and helpers that read a server action's outcome.

use leptos::prelude::*;

use crate::shared::error::AppError;

/// The error of the last call of an action, if it failed.
pub fn failure<T, S>(value: S) -> Signal<Option<AppError>>
where
    T: Send + Sync + 'static,
    S: With<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(err)) => Some(err.clone()),
            _ => None,
        })
    })
}

/// Whether the last call of an action succeeded.
pub fn succeeded<T, S>(value: S) -> Signal<bool>
where
    T: Send + Sync + 'static,
    S: With<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| matches!(v, Some(Ok(_)))))
}

/// Clears a form after its action succeeded, so "Send invitation" or "Add device" is ready for the next entry.
pub fn reset_on_success<T, S>(value: S, form: NodeRef<leptos::html::Form>)
where
    T: Send + Sync + 'static,
    S: With<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if value.with(|v| matches!(v, Some(Ok(_)))) {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
}

/// A labelled input. Its error (an `AppError` whose `field` is this field's name) is shown under it and announced.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] placeholder: Option<String>,
    /// Distinguishes ids when a page has several forms with the same field name.
    #[prop(optional, into)]
    id_prefix: Option<String>,
) -> impl IntoView {
    let id = match id_prefix {
        Some(prefix) => format!("{prefix}-{name}"),
        None => format!("field-{name}"),
    };
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let message = move || error.get().and_then(|e| e.for_field(name));
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if message().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                placeholder=placeholder
                required=required
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=described_by
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {move || message().map(|m| view! { <p class="field-error" id=error_id.clone() role="alert">{m}</p> })}
        </div>
    }
}

/// A role picker (owner, admin, member).
#[component]
pub fn RoleSelect(
    #[prop(into)] selected: String,
    #[prop(default = "role")] name: &'static str,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional)] label: Option<&'static str>,
) -> impl IntoView {
    use crate::shared::models::Role;
    let id = id.unwrap_or_else(|| format!("field-{name}"));
    view! {
        {label.map(|l| view! { <label for=id.clone()>{l}</label> })}
        <select id=id.clone() name=name aria-label=label.unwrap_or("Role")>
            {Role::ALL
                .iter()
                .map(|role| {
                    let value = role.as_str();
                    view! { <option value=value selected=selected == value>{role.label()}</option> }
                })
                .collect_view()}
        </select>
    }
}

/// The error of a form that belongs to none of its fields (bad token, permission, rate limit…).
#[component]
pub fn FormError(
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Fields whose errors are shown next to the field instead.
    #[prop(optional)]
    fields: &'static [&'static str],
) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| e.field.as_deref().is_none_or(|f| !fields.contains(&f)))
            .map(|e| {
                view! {
                    <div class="alert alert-error" role="alert" data-code=e.code.as_str()>
                        {e.message}
                    </div>
                }
            })
    }
}

/// A short confirmation shown after a successful call.
#[component]
pub fn Saved(#[prop(into)] when: Signal<bool>, message: &'static str) -> impl IntoView {
    move || {
        when.get()
            .then(|| view! { <p class="alert alert-success" role="status">{message}</p> })
    }
}

/// A read-only value with a button that copies it.
#[component]
pub fn CopyField(#[prop(into)] id: String, label: &'static str, value: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let to_copy = value.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            // The clipboard may refuse (permissions); the value stays selectable in the field.
            let _ = window.navigator().clipboard().write_text(&to_copy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &to_copy;
        copied.set(true);
    };
    view! {
        <div class="field copy-field">
            <label for=id.clone()>{label}</label>
            <div class="copy-row">
                <input id=id type="text" readonly=true value=value class="mono"/>
                <button type="button" class="button button-small" on:click=copy aria-label=format!("Copy {label}")>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}
