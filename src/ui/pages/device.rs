//! A device: its identity and status, renaming and deleting it.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::fleets::{device, DeleteDevice, RenameDevice};
use crate::shared::format_time;
use crate::shared::models::DeviceDetail;
use crate::ui::components::forms::{failure, succeeded, Field, FormError, Saved};
use crate::ui::components::layout::{id_param, LoadError};
use crate::ui::components::visit::{CsrfField, RequireUser};

#[component]
pub fn DevicePage() -> impl IntoView {
    view! {
        <Title text="Device"/>
        <RequireUser>
            <DeviceContent/>
        </RequireUser>
    }
}

#[component]
fn DeviceContent() -> impl IntoView {
    let rename = ServerAction::<RenameDevice>::new();
    let delete = ServerAction::<DeleteDevice>::new();
    let device_id = id_param();
    let data = Resource::new(
        move || (device_id(), rename.version().get()),
        |(id, _)| device(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => view! { <Device detail rename delete/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Device(
    detail: DeviceDetail,
    rename: ServerAction<RenameDevice>,
    delete: ServerAction<DeleteDevice>,
) -> impl IntoView {
    let DeviceDetail { fleet, device } = detail;
    let id = device.id;
    let fleet_href = format!("/fleets/{}", fleet.id);
    let fleet_name = fleet.name.clone();
    let breadcrumb_name = fleet.name.clone();
    let rename_error = failure(rename.value());
    let delete_error = failure(delete.value());
    view! {
        <Title text=device.name.clone()/>
        <header class="page-header">
            <div>
                <p class="breadcrumbs">
                    <A href="/dashboard">"Dashboard"</A>" / "<A href=fleet_href.clone()>{breadcrumb_name}</A>" / Device"
                </p>
                <h1>{device.name.clone()}</h1>
            </div>
        </header>
        <section class="card">
            <dl class="facts">
                <dt>"UUID"</dt><dd><code>{device.uuid.clone()}</code></dd>
                <dt>"Status"</dt><dd><span class=format!("status status-{}", device.status)>{device.status.clone()}</span></dd>
                <dt>"Last seen"</dt><dd>{device.last_seen_at.as_ref().map(format_time).unwrap_or_else(|| "never".into())}</dd>
                <dt>"Registered"</dt><dd>{format_time(&device.created_at)}</dd>
                <dt>"Fleet"</dt><dd><A href=fleet_href>{fleet_name}</A></dd>
            </dl>
        </section>
        {fleet.can_manage.then(|| view! {
            <section class="card" aria-labelledby="device-settings-heading">
                <h2 id="device-settings-heading">"Settings"</h2>
                <FormError error=rename_error fields=&["name"]/>
                <Saved when=succeeded(rename.value()) message="The device was renamed."/>
                <ActionForm action=rename attr:class="inline-form">
                    <CsrfField/>
                    <input type="hidden" name="device_id" value=id.to_string()/>
                    <Field label="Device name" name="name" id_prefix="device-rename" value=device.name.clone() required=true error=rename_error/>
                    <button type="submit" class="button">"Rename"</button>
                </ActionForm>
                <h3 class="danger-title">"Delete this device"</h3>
                <FormError error=delete_error/>
                <ActionForm action=delete attr:class="inline-form">
                    <CsrfField/>
                    <input type="hidden" name="device_id" value=id.to_string()/>
                    <label class="checkbox"><input type="checkbox" required=true/>" I understand"</label>
                    <button type="submit" class="button button-danger">"Delete device"</button>
                </ActionForm>
            </section>
        })}
    }
}
