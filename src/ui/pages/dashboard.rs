//! The dashboard: my fleets and my organizations, and forms to create both.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::fleets::CreateFleet;
use crate::api::organizations::{load_dashboard, CreateOrganization};
use crate::shared::models::{Dashboard, FleetSummary, OrganizationSummary};
use crate::ui::components::forms::{failure, Field, FormError};
use crate::ui::components::layout::LoadError;
use crate::ui::components::visit::{CsrfField, RequireUser};

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard"/>
        <RequireUser>
            <DashboardContent/>
        </RequireUser>
    }
}

#[component]
fn DashboardContent() -> impl IntoView {
    let create_org = ServerAction::<CreateOrganization>::new();
    let create_fleet = ServerAction::<CreateFleet>::new();
    let data = Resource::new(
        move || (create_org.version().get(), create_fleet.version().get()),
        |_| load_dashboard(),
    );
    view! {
        <h1>"Dashboard"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(Dashboard { fleets, organizations }) => view! {
                        <div class="grid-2">
                            <FleetsPanel fleets organizations=organizations.clone() create_fleet/>
                            <OrganizationsPanel organizations create_org/>
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn FleetsPanel(
    fleets: Vec<FleetSummary>,
    organizations: Vec<OrganizationSummary>,
    create_fleet: ServerAction<CreateFleet>,
) -> impl IntoView {
    let error = failure(create_fleet.value());
    let owners: Vec<OrganizationSummary> = organizations
        .into_iter()
        .filter(|o| o.my_role.can_manage())
        .collect();
    view! {
        <section class="card" aria-labelledby="fleets-heading">
            <h2 id="fleets-heading">"My fleets"</h2>
            {if fleets.is_empty() {
                view! { <p class="muted">"No fleets yet. Create one below."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Fleet"</th><th>"Owner"</th><th class="num">"Devices"</th></tr></thead>
                        <tbody>
                            {fleets.into_iter().map(|f| view! {
                                <tr>
                                    <td><A href=format!("/fleets/{}", f.id)>{f.name.clone()}</A></td>
                                    <td>{f.owner.label()}</td>
                                    <td class="num">{f.device_count}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            <h3>"New fleet"</h3>
            <FormError error fields=&["name"]/>
            <ActionForm action=create_fleet attr:class="stack">
                <CsrfField/>
                <Field label="Fleet name" name="name" id_prefix="fleet" required=true error/>
                <div class="field">
                    <label for="fleet-owner">"Owner"</label>
                    <select id="fleet-owner" name="owner">
                        <option value="me">"Me (personal)"</option>
                        {owners.into_iter().map(|o| view! { <option value=o.id.to_string()>{o.name}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button button-primary">"Create fleet"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn OrganizationsPanel(
    organizations: Vec<OrganizationSummary>,
    create_org: ServerAction<CreateOrganization>,
) -> impl IntoView {
    let error = failure(create_org.value());
    view! {
        <section class="card" aria-labelledby="orgs-heading">
            <h2 id="orgs-heading">"My organizations"</h2>
            {if organizations.is_empty() {
                view! { <p class="muted">"You are not in any organization yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="list">
                        {organizations.into_iter().map(|o| view! {
                            <li>
                                <A href=format!("/organizations/{}", o.id)>{o.name.clone()}</A>
                                <span class="badge">{o.my_role.label()}</span>
                                <span class="muted">{format!("{} member{}", o.member_count, if o.member_count == 1 { "" } else { "s" })}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <h3>"New organization"</h3>
            <FormError error fields=&["name", "handle"]/>
            <ActionForm action=create_org attr:class="stack">
                <CsrfField/>
                <Field label="Organization name" name="name" id_prefix="org" required=true error/>
                <Field
                    label="Handle (optional)"
                    name="handle"
                    id_prefix="org"
                    hint="Lowercase letters, digits and dashes; made from the name if left empty."
                    error
                />
                <button type="submit" class="button button-primary">"Create organization"</button>
            </ActionForm>
        </section>
    }
}
