//! Identity provider pages for organization admins: register one (upload or paste the metadata, or type entity ID,
//! SSO URL and certificate), and its page: what to paste into the identity provider (with copy buttons), its
//! certificates and their expiry, settings, organizations with default teams, and the latest refused logins with
//! their diagnosis.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::identity_providers::{
    identity_provider, CreateIdentityProvider, DeleteSamlAccount,
    RemoveIdentityProviderOrganization, ReplaceIdentityProviderSource,
    SetIdentityProviderOrganization, UpdateIdentityProvider,
};
use crate::api::organizations::{load_dashboard, organization};
use crate::shared::format_time;
use crate::shared::models::{IdentityProviderDetail, IdpOrganizationView, Role, TeamView};
use crate::ui::components::forms::{failure, succeeded, CopyField, Field, FormError, Saved};
use crate::ui::components::layout::{id_param, LoadError};
use crate::ui::components::visit::{CsrfField, RequireUser};
use crate::ui::pages::identity_provider_accounts::{DeleteSection, LinkedAccountsSection};

/// Days before expiry at which a certificate is flagged.
const EXPIRY_WARNING_DAYS: i64 = 30;

#[component]
pub fn NewIdentityProviderPage() -> impl IntoView {
    view! {
        <Title text="Add an identity provider"/>
        <RequireUser>
            <NewIdentityProvider/>
        </RequireUser>
    }
}

#[component]
fn NewIdentityProvider() -> impl IntoView {
    let organization_id = id_param();
    let data = Resource::new(organization_id, organization);
    let action = ServerAction::<CreateIdentityProvider>::new();
    let error = failure(action.value());
    let source = RwSignal::new("metadata".to_string());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <LoadError error/> }.into_any(),
                    Ok(detail) => view! {
                        <header class="page-header">
                            <div>
                                <p class="breadcrumbs"><A href=format!("/organizations/{}", detail.summary.id)>{detail.summary.name.clone()}</A>" › Single sign-on"</p>
                                <h1>"Add an identity provider"</h1>
                                <p class="muted">"Connect Entra ID, Google Workspace, Okta, Keycloak or any SAML 2.0 identity provider."</p>
                            </div>
                        </header>
                        <section class="card">
                            <FormError error fields=&["name", "identifier", "metadata", "entity_id", "sso_url", "certificate", "name_id_format", "clock_skew_seconds", "default_team_id"]/>
                            <ActionForm action=action attr:class="stacked-form" attr:id="new-idp-form">
                                <CsrfField/>
                                <input type="hidden" name="organization_id" value=detail.summary.id.to_string()/>
                                <div class="two-columns">
                                    <Field label="Display name" name="name" required=true error placeholder="Acme Entra ID"/>
                                    <Field label="SSO identifier" name="identifier" required=true error placeholder="acme"
                                        hint="Lowercase letters, digits, - and _. People type it on the login page; the login URL is /saml/{identifier}."/>
                                </div>
                                <fieldset class="field">
                                    <legend>"Identity provider details"</legend>
                                    <label class="radio"><input type="radio" name="source" value="metadata" checked=true on:change=move |_| source.set("metadata".into())/>" Upload or paste its metadata XML (recommended)"</label>
                                    <label class="radio"><input type="radio" name="source" value="manual" on:change=move |_| source.set("manual".into())/>" Enter entity ID, SSO URL and certificate"</label>
                                </fieldset>
                                <div class:hidden=move || source.get() != "metadata">
                                    <MetadataInput error/>
                                </div>
                                <div class:hidden=move || source.get() != "manual">
                                    <ManualInput error/>
                                </div>
                                <SettingsFields error teams=detail.teams.clone() name_id_format="email".into() clock_skew=180 allow_sha1=false allow_idp_initiated=false allow_jit_accounts=false
                                    allow_merge=true allow_pre_provisioned=true session_lifetime_hours=12/>
                                <button type="submit" class="button button-primary">"Add identity provider"</button>
                            </ActionForm>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

/// The metadata file picker: the chosen file is read into the text area, which is what the form sends (so pasting
/// works too, and without JavaScript).
#[component]
fn MetadataInput(
    #[prop(into)] error: Signal<Option<crate::shared::error::AppError>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let message = move || error.get().and_then(|e| e.for_field("metadata"));
    let on_file = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = _ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            leptos::task::spawn_local(async move {
                if let Ok(value) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    text.set(value.as_string().unwrap_or_default());
                }
            });
        }
    };
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for="field-metadata-file">"Metadata file"</label>
            <input id="field-metadata-file" type="file" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" on:change=on_file/>
            <label for="field-metadata" class="sub-label">"Metadata XML"</label>
            <textarea id="field-metadata" name="metadata" rows="6" spellcheck="false" class="mono"
                placeholder="<md:EntityDescriptor …>"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby="field-metadata-error"></textarea>
            <p class="hint">"Your identity provider offers it for download, often as “Federation metadata XML”."</p>
            {move || message().map(|m| view! { <p class="field-error" id="field-metadata-error" role="alert">{m}</p> })}
        </div>
    }
}

#[component]
fn ManualInput(
    #[prop(into)] error: Signal<Option<crate::shared::error::AppError>>,
) -> impl IntoView {
    let certificate_error = move || error.get().and_then(|e| e.for_field("certificate"));
    view! {
        <Field label="Entity ID (issuer)" name="entity_id" error placeholder="https://sts.windows.net/…/"/>
        <div class="two-columns">
            <Field label="Single sign-on URL" name="sso_url" kind="url" error placeholder="https://idp.example.com/saml/sso"/>
            <div class="field">
                <label for="field-sso_binding">"Binding"</label>
                <select id="field-sso_binding" name="sso_binding">
                    <option value="redirect" selected=true>"HTTP-Redirect"</option>
                    <option value="post">"HTTP-POST"</option>
                </select>
            </div>
        </div>
        <div class="field" class:invalid=move || certificate_error().is_some()>
            <label for="field-certificate">"Signing certificate (PEM)"</label>
            <textarea id="field-certificate" name="certificate" rows="5" spellcheck="false" class="mono"
                placeholder="-----BEGIN CERTIFICATE-----"></textarea>
            {move || certificate_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
        </div>
    }
}

#[component]
fn SettingsFields(
    #[prop(into)] error: Signal<Option<crate::shared::error::AppError>>,
    /// Teams for the default-team choice; `None` when the form does not set organizations.
    #[prop(optional)]
    teams: Option<Vec<TeamView>>,
    name_id_format: String,
    clock_skew: i32,
    allow_sha1: bool,
    allow_idp_initiated: bool,
    allow_jit_accounts: bool,
    allow_merge: bool,
    allow_pre_provisioned: bool,
    session_lifetime_hours: i32,
) -> impl IntoView {
    let skew_error = move || error.get().and_then(|e| e.for_field("clock_skew_seconds"));
    let lifetime_error = move || {
        error
            .get()
            .and_then(|e| e.for_field("session_lifetime_hours"))
    };
    let format_error = move || error.get().and_then(|e| e.for_field("name_id_format"));
    view! {
        <fieldset class="field settings">
            <legend>"Sign-in rules"</legend>
            <div class="two-columns">
                <div class="field" class:invalid=move || format_error().is_some()>
                    <label for="field-name_id_format">"NameID format"</label>
                    <select id="field-name_id_format" name="name_id_format">
                        <option value="email" selected=name_id_format == "email">"Email address"</option>
                        <option value="persistent" selected=name_id_format == "persistent">"Persistent identifier"</option>
                    </select>
                    <p class="hint">"How the identity provider names each person. Accounts are keyed on it, so it cannot change once people have signed in."</p>
                    {move || format_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <div class="field" class:invalid=move || skew_error().is_some()>
                    <label for="field-clock_skew_seconds">"Allowed clock skew (seconds)"</label>
                    <input id="field-clock_skew_seconds" name="clock_skew_seconds" type="number" min="0" max="600" value=clock_skew.to_string()/>
                    <p class="hint">"Tolerated difference between our clock and the identity provider's. Default 180."</p>
                    {move || skew_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
            </div>
            {teams.map(|teams| view! {
                <div class="field">
                    <label for="field-default_team_id">"Default team"</label>
                    <select id="field-default_team_id" name="default_team_id">
                        <option value="">"No default team"</option>
                        {teams.into_iter().map(|t| view! { <option value=t.id.to_string()>{t.name}</option> }).collect_view()}
                    </select>
                    <p class="hint">"People who sign in through this identity provider join it."</p>
                </div>
            })}
            <label class="checkbox"><input type="checkbox" name="allow_sha1" checked=allow_sha1/>" Allow SHA-1 signatures"</label>
            <p class="hint">"Only for old identity providers that cannot sign with SHA-256. SHA-1 is broken; leave this off if you can."</p>
            <label class="checkbox"><input type="checkbox" name="allow_idp_initiated" checked=allow_idp_initiated/>" Allow IdP-initiated login"</label>
            <p class="hint">"Lets people start from the identity provider's app portal. Each response is still accepted only once."</p>
            <div class="field" class:invalid=move || lifetime_error().is_some()>
                <label for="field-session_lifetime_hours">"SSO session lifetime (hours)"</label>
                <input id="field-session_lifetime_hours" name="session_lifetime_hours" type="number" min="1" max="24" value=session_lifetime_hours.to_string()/>
                <p class="hint">"After this long (at most 24 hours, however active), people are sent back to the identity provider, which may sign them in again without asking. Default 12."</p>
                {move || lifetime_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </div>
        </fieldset>
        <fieldset class="field settings">
            <legend>"Who can sign in"</legend>
            <p class="hint">"Choose any combination. A person the chosen policies do not cover is refused and nothing is created; the provider's page lists why each sign-in was refused."</p>
            <label class="checkbox"><input type="checkbox" name="allow_merge" checked=allow_merge/>" Existing accounts can enable Enterprise SSO (merge)"</label>
            <p class="hint">"Someone with a Portcullis account under the same verified email address converts it in their preferences; their fleets move to your organization."</p>
            <label class="checkbox"><input type="checkbox" name="allow_pre_provisioned" checked=allow_pre_provisioned/>" Accounts added by an administrator (pre-provisioned)"</label>
            <p class="hint">"People an administrator adds without a password are linked when they first sign in."</p>
            <label class="checkbox"><input type="checkbox" name="allow_jit_accounts" checked=allow_jit_accounts/>" Create accounts on first login (just-in-time)"</label>
            <p class="hint">"Someone without an account whose email address is in a domain verified by one of this identity provider's organizations gets one when they first sign in."</p>
        </fieldset>
    }
}

#[component]
pub fn IdentityProviderPage() -> impl IntoView {
    view! {
        <Title text="Identity provider"/>
        <RequireUser>
            <IdentityProviderContent/>
        </RequireUser>
    }
}

/// Every action of the page; the page reloads after any of them.
#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateIdentityProvider>,
    replace: ServerAction<ReplaceIdentityProviderSource>,
    set_organization: ServerAction<SetIdentityProviderOrganization>,
    remove_organization: ServerAction<RemoveIdentityProviderOrganization>,
    delete_account: ServerAction<DeleteSamlAccount>,
}

#[component]
fn IdentityProviderContent() -> impl IntoView {
    let params = use_params_map();
    let identifier = move || params.read().get("identifier").unwrap_or_default();
    let actions = Actions {
        update: ServerAction::new(),
        replace: ServerAction::new(),
        set_organization: ServerAction::new(),
        remove_organization: ServerAction::new(),
        delete_account: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            (
                identifier(),
                actions.replace.version().get(),
                actions.set_organization.version().get(),
                actions.remove_organization.version().get(),
                actions.update.version().get(),
                actions.delete_account.version().get(),
            )
        },
        |(identifier, ..)| identity_provider(identifier),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => view! { <IdentityProvider detail actions/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Said above the forms that change who a provider lets in, to everyone who may read but not change them.
#[component]
fn OwnersOnlyNote(can_configure: bool) -> impl IntoView {
    (!can_configure).then(|| view! {
        <p class="notice">"Only an owner of every organization this identity provider serves can change who it lets in \
            (its metadata, certificates and settings): whoever controls it can sign in as anyone there. You see \
            everything, including why sign-ins failed."</p>
    })
}

#[component]
fn IdentityProvider(detail: IdentityProviderDetail, actions: Actions) -> impl IntoView {
    let sp = detail.service_provider.clone();
    let update_error = failure(actions.update.value());
    let replace_error = failure(actions.replace.value());
    let replace_source = RwSignal::new("metadata".to_string());
    let can_configure = detail.can_configure;
    let identifier = detail.identifier.clone();
    let replace_identifier = identifier.clone();
    let settings_identifier = identifier.clone();
    let accounts_identifier = identifier.clone();
    let binding = if detail.sso_binding == "post" {
        "HTTP-POST"
    } else {
        "HTTP-Redirect"
    };
    let format = if detail.name_id_format == "persistent" {
        "Persistent identifier"
    } else {
        "Email address"
    };
    view! {
        <Title text=detail.name.clone()/>
        <header class="page-header">
            <div>
                <p class="breadcrumbs">"Single sign-on › Identity providers"</p>
                <h1>{detail.name.clone()}</h1>
                <p class="muted">
                    "SSO identifier "<code>{detail.identifier.clone()}</code>
                    " · configuration revision "{detail.revision}
                    " · "{detail.linked_accounts}" linked account"{if detail.linked_accounts == 1 { "" } else { "s" }}
                </p>
            </div>
        </header>

        <section class="card" aria-labelledby="sp-heading">
            <h2 id="sp-heading">"Give these to your identity provider"</h2>
            <p class="muted">"Most identity providers accept the metadata URL; otherwise copy the entity ID and the ACS URL."</p>
            <CopyField id="sp-entity-id" label="SP entity ID (audience)" value=sp.entity_id.clone()/>
            <CopyField id="sp-acs-url" label="Assertion consumer service (ACS) URL, HTTP-POST" value=sp.acs_url.clone()/>
            <CopyField id="sp-metadata-url" label="SP metadata URL" value=sp.metadata_url.clone()/>
            <CopyField id="sp-login-url" label="Login URL for your people" value=sp.login_url.clone()/>
            <p><a href=format!("/saml/{}/metadata", detail.identifier) download=format!("portcullis-{}-metadata.xml", detail.identifier)>"Download SP metadata"</a></p>
        </section>

        <section class="card" aria-labelledby="idp-heading">
            <h2 id="idp-heading">"Identity provider"</h2>
            <dl class="facts">
                <dt>"Entity ID"</dt><dd><code>{detail.entity_id.clone()}</code></dd>
                <dt>"Single sign-on URL"</dt><dd><code>{detail.sso_url.clone()}</code>" ("{binding}")"</dd>
                <dt>"NameID format"</dt><dd>{format}</dd>
                <dt>"Configured from"</dt><dd>{if detail.has_metadata { "metadata XML" } else { "values entered by hand" }}</dd>
                <dt>"Last changed"</dt><dd>{format_time(&detail.updated_at)}</dd>
            </dl>
            <h3>"Signing certificates"</h3>
            <table class="table" id="certificates">
                <thead><tr><th>"Subject"</th><th>"SHA-256 fingerprint"</th><th>"Valid from"</th><th>"Expires"</th></tr></thead>
                <tbody>
                    {detail.certificates.clone().into_iter().map(|c| {
                        let status = if c.days_left < 0 {
                            Some(("badge badge-danger", "Expired".to_string()))
                        } else if c.days_left <= EXPIRY_WARNING_DAYS {
                            Some(("badge badge-warning", format!("Expires in {} days", c.days_left)))
                        } else {
                            None
                        };
                        view! {
                            <tr>
                                <td>{c.subject.clone()}</td>
                                <td><code class="fingerprint">{c.fingerprint_sha256.clone()}</code></td>
                                <td class="nowrap">{format_time(&c.not_before)}</td>
                                <td class="nowrap">{format_time(&c.not_after)}{status.map(|(class, text)| view! { <br/><span class=class>{text}</span> })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <details class="replace">
                <summary>"Replace metadata or certificate"</summary>
                <OwnersOnlyNote can_configure/>
                <FormError error=replace_error fields=&["metadata", "entity_id", "sso_url", "certificate"]/>
                <Saved when=succeeded(actions.replace.value()) message="The identity provider's details were replaced."/>
                <ActionForm action=actions.replace attr:class="stacked-form">
                    <fieldset class="plain" disabled=!can_configure>
                    <CsrfField/>
                    <input type="hidden" name="identifier" value=replace_identifier/>
                    <fieldset class="field">
                        <legend>"New details"</legend>
                        <label class="radio"><input type="radio" name="source" value="metadata" checked=true on:change=move |_| replace_source.set("metadata".into())/>" Metadata XML"</label>
                        <label class="radio"><input type="radio" name="source" value="manual" on:change=move |_| replace_source.set("manual".into())/>" Entity ID, SSO URL and certificate"</label>
                    </fieldset>
                    <div class:hidden=move || replace_source.get() != "metadata"><MetadataInput error=replace_error/></div>
                    <div class:hidden=move || replace_source.get() != "manual"><ManualInput error=replace_error/></div>
                    <button type="submit" class="button">"Replace"</button>
                    </fieldset>
                </ActionForm>
            </details>
        </section>

        <section class="card" aria-labelledby="settings-heading">
            <h2 id="settings-heading">"Settings"</h2>
            <FormError error=update_error fields=&["name", "identifier", "name_id_format", "clock_skew_seconds"]/>
            <Saved when=succeeded(actions.update.value()) message="Settings saved."/>
            <OwnersOnlyNote can_configure/>
            <ActionForm action=actions.update attr:class="stacked-form" attr:id="idp-settings-form">
                <fieldset class="plain" disabled=!can_configure>
                <CsrfField/>
                <input type="hidden" name="current_identifier" value=settings_identifier/>
                <div class="two-columns">
                    <Field label="Display name" name="name" value=detail.name.clone() required=true error=update_error/>
                    <Field label="SSO identifier" name="identifier" value=detail.identifier.clone() required=true error=update_error
                        hint="Changing it changes the login, ACS and metadata URLs: update your identity provider too."/>
                </div>
                <SettingsFields error=update_error name_id_format=detail.name_id_format.clone() clock_skew=detail.clock_skew_seconds
                    allow_sha1=detail.allow_sha1 allow_idp_initiated=detail.allow_idp_initiated
                    allow_jit_accounts=detail.allow_jit_accounts allow_merge=detail.allow_merge
                    allow_pre_provisioned=detail.allow_pre_provisioned session_lifetime_hours=detail.session_lifetime_hours/>
                <button type="submit" class="button button-primary">"Save settings"</button>
                </fieldset>
            </ActionForm>
        </section>

                <OrganizationsSection identifier=identifier.clone() organizations=detail.organizations.clone() actions/>
        {view! { <LinkedAccountsSection identifier=accounts_identifier accounts=detail.saml_accounts.clone()
            total=detail.linked_accounts delete=actions.delete_account/> }.into_any()}

        <section class="card" aria-labelledby="failures-heading" id="failures">
            <h2 id="failures-heading">"Recent refused logins"</h2>
            {if !detail.failures_visible {
                view! { <p class="muted">"This identity provider also serves organizations you do not administer, and refused logins carry what their people sent. An administrator of every organization it serves sees them here."</p> }.into_any()
            } else if detail.recent_failures.is_empty() {
                view! { <p class="muted">"No refused logins. When one happens, the reason appears here in detail."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"When"</th><th>"Code"</th><th>"What went wrong"</th><th>"Address"</th></tr></thead>
                        <tbody>
                            {detail.recent_failures.clone().into_iter().map(|f| view! {
                                <tr>
                                    <td class="nowrap">{format_time(&f.at)}</td>
                                    <td><code>{f.code.clone()}</code></td>
                                    <td class="diagnosis">{f.diagnosis.clone()}</td>
                                    <td>{f.ip_address.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
        {view! { <DeleteSection identifier linked_accounts=detail.linked_accounts/> }.into_any()}
    }
}

#[component]
fn OrganizationsSection(
    identifier: String,
    organizations: Vec<IdpOrganizationView>,
    actions: Actions,
) -> impl IntoView {
    let set_error = failure(actions.set_organization.value());
    let remove_error = failure(actions.remove_organization.value());
    let mine = Resource::new(|| (), |_| load_dashboard());
    let linked: Vec<i64> = organizations.iter().map(|o| o.organization_id).collect();
    let add_identifier = identifier.clone();
    view! {
        <section class="card" aria-labelledby="orgs-heading" id="organizations">
            <h2 id="orgs-heading">"Organizations"</h2>
            <p class="muted">"People who sign in through this identity provider join these organizations (and their default team). Removing one later does not take away access already given."</p>
            <FormError error=set_error/>
            <FormError error=remove_error/>
            <table class="table">
                <thead><tr><th>"Organization"</th><th>"Default team"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>
                    {organizations.into_iter().map(|o| {
                        let identifier = identifier.clone();
                        let team_form = o.administered.then(|| o.clone());
                        let name = o.organization_name.clone();
                        view! {
                            <tr>
                                <td><A href=format!("/organizations/{}", o.organization_id)>{name}</A></td>
                                <td>
                                    {if let Some(organization) = team_form {
                                        view! { <DefaultTeamForm identifier=identifier.clone() organization actions/> }.into_any()
                                    } else {
                                        view! { <span>{o.default_team_name.clone().unwrap_or_else(|| "—".into())}</span> }.into_any()
                                    }}
                                </td>
                                <td>
                                    {o.administered.then(|| view! {
                                        <ActionForm action=actions.remove_organization attr:class="inline">
                                            <CsrfField/>
                                            <input type="hidden" name="identifier" value=identifier.clone()/>
                                            <input type="hidden" name="organization_id" value=o.organization_id.to_string()/>
                                            <button type="submit" class="button button-small button-danger">"Remove"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <Suspense>
                {move || {
                    let linked = linked.clone();
                    let identifier = add_identifier.clone();
                    Suspend::new(async move {
                        let candidates: Vec<_> = mine
                            .await
                            .map(|d| d.organizations)
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|o| o.my_role == Role::Owner && !linked.contains(&o.id))
                            .collect();
                        (!candidates.is_empty()).then(|| view! {
                            <ActionForm action=actions.set_organization attr:class="inline-form">
                                <CsrfField/>
                                <input type="hidden" name="identifier" value=identifier.clone()/>
                                <div class="field">
                                    <label for="add-organization">"Add an organization you own"</label>
                                    <select id="add-organization" name="organization_id">
                                        {candidates.into_iter().map(|o| view! { <option value=o.id.to_string()>{o.name}</option> }).collect_view()}
                                    </select>
                                </div>
                                <button type="submit" class="button">"Add organization"</button>
                            </ActionForm>
                        })
                    })
                }}
            </Suspense>
        </section>
    }
}

/// Picks the default team of one organization (its teams are loaded for the choice).
#[component]
fn DefaultTeamForm(
    identifier: String,
    organization: IdpOrganizationView,
    actions: Actions,
) -> impl IntoView {
    let organization_id = organization.organization_id;
    let select_id = format!("default-team-{organization_id}");
    view! {
        <ActionForm action=actions.set_organization attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="identifier" value=identifier/>
            <input type="hidden" name="organization_id" value=organization_id.to_string()/>
            <label for=select_id.clone() class="sr-only">{format!("Default team in {}", organization.organization_name)}</label>
            <select id=select_id name="default_team_id">
                <option value="" selected=organization.default_team_id.is_none()>"No default team"</option>
                {organization.teams.iter().map(|t| view! {
                    <option value=t.id.to_string() selected=Some(t.id) == organization.default_team_id>{t.name.clone()}</option>
                }).collect_view()}
            </select>
            <button type="submit" class="button button-small">"Save"</button>
        </ActionForm>
    }
}
