//! A fleet: its devices, adding a device, renaming and deleting the fleet.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::fleets::{fleet, AddDevice, DeleteFleet, RenameFleet};
use crate::shared::format_time;
use crate::shared::models::FleetDetail;
use crate::ui::components::forms::{failure, reset_on_success, succeeded, Field, FormError, Saved};
use crate::ui::components::layout::{id_param, LoadError};
use crate::ui::components::visit::{CsrfField, RequireUser};

#[component]
pub fn FleetPage() -> impl IntoView {
    view! {
        <Title text="Fleet"/>
        <RequireUser>
            <FleetContent/>
        </RequireUser>
    }
}

#[component]
fn FleetContent() -> impl IntoView {
    let add_device = ServerAction::<AddDevice>::new();
    let rename = ServerAction::<RenameFleet>::new();
    let delete = ServerAction::<DeleteFleet>::new();
    let fleet_id = id_param();
    let data = Resource::new(
        move || {
            (
                fleet_id(),
                add_device.version().get(),
                rename.version().get(),
            )
        },
        |(id, _, _)| fleet(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => view! { <Fleet detail add_device rename delete/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Fleet(
    detail: FleetDetail,
    add_device: ServerAction<AddDevice>,
    rename: ServerAction<RenameFleet>,
    delete: ServerAction<DeleteFleet>,
) -> impl IntoView {
    let FleetDetail { fleet, devices } = detail;
    let id = fleet.id;
    let add_error = failure(add_device.value());
    let add_device_form = NodeRef::new();
    reset_on_success(add_device.value(), add_device_form);
    let rename_error = failure(rename.value());
    let delete_error = failure(delete.value());
    view! {
        <Title text=fleet.name.clone()/>
        <header class="page-header">
            <div>
                <p class="breadcrumbs"><A href="/dashboard">"Dashboard"</A>" / Fleet"</p>
                <h1>{fleet.name.clone()}</h1>
                <p class="muted">{format!("Owned by {}", fleet.owner.label())}</p>
            </div>
        </header>
        <section class="card" aria-labelledby="devices-heading">
            <h2 id="devices-heading">{format!("Devices ({})", devices.len())}</h2>
            {if devices.is_empty() {
                view! { <p class="muted">"No devices in this fleet yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Device"</th><th>"UUID"</th><th>"Status"</th><th>"Last seen"</th></tr></thead>
                        <tbody>
                            {devices.into_iter().map(|d| view! {
                                <tr>
                                    <td><A href=format!("/devices/{}", d.id)>{d.name.clone()}</A></td>
                                    <td><code>{d.uuid[..7].to_string()}</code></td>
                                    <td><span class=format!("status status-{}", d.status)>{d.status.clone()}</span></td>
                                    <td>{d.last_seen_at.as_ref().map(format_time).unwrap_or_else(|| "never".into())}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            {fleet.can_manage.then(|| view! {
                <h3>"Add a device"</h3>
                <FormError error=add_error fields=&["name", "uuid"]/>
                <ActionForm action=add_device node_ref=add_device_form attr:class="stack">
                    <CsrfField/>
                    <input type="hidden" name="fleet_id" value=id.to_string()/>
                    <Field label="Device name" name="name" id_prefix="device" required=true error=add_error/>
                    <Field label="UUID (optional)" name="uuid" id_prefix="device" hint="32 hexadecimal digits; generated if left empty." error=add_error/>
                    <button type="submit" class="button button-primary">"Add device"</button>
                </ActionForm>
            })}
        </section>
        {fleet.can_manage.then(|| view! {
            <section class="card" aria-labelledby="fleet-settings-heading">
                <h2 id="fleet-settings-heading">"Settings"</h2>
                <FormError error=rename_error fields=&["name"]/>
                <Saved when=succeeded(rename.value()) message="The fleet was renamed."/>
                <ActionForm action=rename attr:class="inline-form">
                    <CsrfField/>
                    <input type="hidden" name="fleet_id" value=id.to_string()/>
                    <Field label="Fleet name" name="name" id_prefix="fleet-rename" value=fleet.name.clone() required=true error=rename_error/>
                    <button type="submit" class="button">"Rename"</button>
                </ActionForm>
                <h3 class="danger-title">"Delete this fleet"</h3>
                <p class="muted">"The fleet and all its devices are deleted. This cannot be undone."</p>
                <FormError error=delete_error/>
                <ActionForm action=delete attr:class="inline-form">
                    <CsrfField/>
                    <input type="hidden" name="fleet_id" value=id.to_string()/>
                    <label class="checkbox"><input type="checkbox" required=true/>" I understand"</label>
                    <button type="submit" class="button button-danger">"Delete fleet"</button>
                </ActionForm>
            </section>
        })}
    }
}
