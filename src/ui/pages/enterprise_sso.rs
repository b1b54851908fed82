//! "Enable Enterprise SSO": the preferences section where a person enters their company's SSO identifier, the consent
//! page that lists exactly what the merge will do before anything happens, and the receipt page afterwards.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::enterprise_sso::{load_merge_preview, load_merge_receipt};
use crate::shared::error::ErrorCode;
use crate::shared::format_time;
use crate::shared::models::{MergeFleet, MergePreview, MergeReceipt};
use crate::shared::paths::encode_query_value;
use crate::ui::components::layout::LoadError;
use crate::ui::components::visit::{current_user, use_visit, CsrfField, RequireUser};

/// The preferences section: a password account starts the merge here; a company account is told how it signs in.
#[component]
pub fn EnterpriseSsoSection() -> impl IntoView {
    let ctx = use_visit();
    view! {
        <section class="card" aria-labelledby="enterprise-sso-heading">
            <h2 id="enterprise-sso-heading">"Enterprise SSO"</h2>
            <Suspense>
                {move || Suspend::new(async move {
                    let has_password = current_user(&ctx.visit.await).is_some_and(|u| u.has_password);
                    if has_password {
                        view! {
                            <p class="muted">"Turn this personal account into your company's account: you will sign in through your company's identity provider, and your fleets move to your company. You will read exactly what changes before anything happens."</p>
                            <form method="get" action="/preferences/enterprise-sso" class="inline-form">
                                <div class="field">
                                    <label for="enterprise-sso-identifier">"SSO identifier"</label>
                                    <input id="enterprise-sso-identifier" name="identifier" required=true autocomplete="off" placeholder="acme"/>
                                    <p class="hint">"Your administrator gives you this identifier."</p>
                                </div>
                                <button type="submit" class="button">"Enable Enterprise SSO"</button>
                            </form>
                        }
                        .into_any()
                    } else {
                        view! {
                            <p>"Your account signs in with Enterprise SSO through your company's identity provider. It has no password."</p>
                            <p><A href="/preferences/enterprise-sso/receipt">"Receipt of the switch to Enterprise SSO"</A></p>
                        }
                        .into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn EnableEnterpriseSsoPage() -> impl IntoView {
    view! {
        <Title text="Enable Enterprise SSO"/>
        <RequireUser>
            <ConsentContent/>
        </RequireUser>
    }
}

#[component]
fn ConsentContent() -> impl IntoView {
    let query = use_query_map();
    let identifier = move || query.read().get("identifier").unwrap_or_default();
    let preview = Resource::new(identifier, load_merge_preview);
    let refusal = move || {
        query
            .read()
            .get("merge_error")
            .map(|code| ErrorCode::parse(&code).unwrap_or(ErrorCode::InvalidInput))
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Err(error) => view! { <LoadError error/> }.into_any(),
                    Ok(preview) => view! { <Consent preview refusal=refusal()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn fleet_line(fleet: &MergeFleet) -> String {
    let devices = match fleet.device_count {
        1 => "1 device".to_owned(),
        n => format!("{n} devices"),
    };
    match &fleet.renamed_to {
        Some(new_name) => format!(
            "{} ({devices}), now named \u{201c}{new_name}\u{201d}",
            fleet.name
        ),
        None => format!("{} ({devices})", fleet.name),
    }
}

#[component]
fn Consent(preview: MergePreview, refusal: Option<ErrorCode>) -> impl IntoView {
    let action = format!(
        "/saml/{}/merge",
        encode_query_value(&preview.sso_identifier)
    );
    let organization_choice = match preview.organizations.as_slice() {
        [only] => view! {
            <input type="hidden" name="organization_id" value=only.id.to_string()/>
        }
        .into_any(),
        several => view! {
            <div class="field">
                <label for="merge-organization">"Organization that receives your fleets and devices"</label>
                <select id="merge-organization" name="organization_id" required=true>
                    <option value="">"Choose an organization"</option>
                    {several.iter().map(|o| view! { <option value=o.id.to_string()>{o.name.clone()}</option> }).collect_view()}
                </select>
            </div>
        }
        .into_any(),
    };
    let company = match preview.organizations.as_slice() {
        [only] => only.name.clone(),
        _ => "the organization you choose below".to_owned(),
    };
    let keys = if preview.api_keys.is_empty() {
        view! { <p class="muted">"You have no personal API keys."</p> }.into_any()
    } else {
        view! { <ul class="receipt-list">{preview.api_keys.iter().map(|k| view! { <li><code>{k.clone()}</code></li> }).collect_view()}</ul> }.into_any()
    };
    let fleets = if preview.fleets.is_empty() {
        view! { <p class="muted">"You own no fleets."</p> }.into_any()
    } else {
        view! { <ul class="receipt-list">{preview.fleets.iter().map(|f| view! { <li>{fleet_line(f)}</li> }).collect_view()}</ul> }.into_any()
    };
    view! {
        <section class="narrow merge-consent">
            <h1>"Enable Enterprise SSO"</h1>
            {refusal.map(|code| view! {
                <div class="alert alert-error" role="alert" data-code=code.as_str()>{code.default_message()}</div>
            })}
            <div class="card">
                <p>"You are about to turn your personal account "<strong>{preview.email.clone()}</strong>" into a company account that signs in through "
                    <strong>{preview.identity_provider.clone()}</strong>" (SSO identifier "<code>{preview.sso_identifier.clone()}</code>")."</p>
                <p class="alert alert-warning"><strong>"This cannot be undone."</strong>" These changes happen together, or not at all:"</p>
                <ol class="merge-effects">
                    <li><strong>"Your API keys will be deleted."</strong>{keys}</li>
                    <li><strong>"You will no longer be able to create personal API keys."</strong>" Your organization's administrators can create organization keys for automation."</li>
                    <li><strong>"Ownership of your fleets and devices will be transferred to "{company.clone()}"."</strong>
                        " A fleet whose name the organization already uses gets your name added."{fleets}</li>
                    <li><strong>"Your company can revoke your access at any time."</strong></li>
                    <li><strong>"You will no longer be able to log in with your email and password."</strong>" You will log in with Enterprise SSO."</li>
                    <li>"You join "{company}" and its default teams, if you are not a member yet."</li>
                </ol>
                <p>"Next, your identity provider asks you to sign in. Sign in there as "<strong>{preview.email.clone()}</strong>
                    ": only if it confirms this same address is your account converted. Otherwise nothing changes."</p>
                <form method="post" action=action class="stack">
                    <CsrfField/>
                    {organization_choice}
                    <label class="checkbox"><input type="checkbox" name="consent" required=true/>" I understand that this cannot be undone, and I agree to these changes."</label>
                    <div class="actions">
                        <button type="submit" class="button button-danger">"Enable Enterprise SSO"</button>
                        <A href="/preferences" attr:class="button">"Cancel"</A>
                    </div>
                </form>
            </div>
        </section>
    }
}

#[component]
pub fn MergeReceiptPage() -> impl IntoView {
    view! {
        <Title text="Enterprise SSO enabled"/>
        <RequireUser>
            <ReceiptContent/>
        </RequireUser>
    }
}

#[component]
fn ReceiptContent() -> impl IntoView {
    let receipt = Resource::new(|| (), |_| load_merge_receipt());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match receipt.await {
                    Err(error) => view! { <LoadError error/> }.into_any(),
                    Ok(receipt) => view! { <Receipt receipt/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Receipt(receipt: MergeReceipt) -> impl IntoView {
    let keys = if receipt.deleted_api_keys.is_empty() {
        view! { <p class="muted">"None: you had no personal API keys."</p> }.into_any()
    } else {
        view! { <ul class="receipt-list">{receipt.deleted_api_keys.iter().map(|k| view! { <li><code>{k.clone()}</code></li> }).collect_view()}</ul> }.into_any()
    };
    let fleets = if receipt.transferred_fleets.is_empty() {
        view! { <p class="muted">"None: you owned no fleets."</p> }.into_any()
    } else {
        view! {
            <table class="table">
                <thead><tr><th>"Fleet"</th><th>"Devices"</th><th>"Name in "{receipt.organization.clone()}</th></tr></thead>
                <tbody>
                    {receipt.transferred_fleets.iter().map(|f| view! {
                        <tr>
                            <td>{f.name.clone()}</td>
                            <td>{f.device_count}</td>
                            <td>{f.renamed_to.clone().unwrap_or_else(|| f.name.clone())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="narrow merge-receipt">
            <h1>"Enterprise SSO is enabled"</h1>
            <div class="alert alert-success" role="status">
                "Your account "<strong>{receipt.email.clone()}</strong>" is now a company account of "<strong>{receipt.organization.clone()}</strong>
                ", signing in through "<strong>{receipt.identity_provider.clone()}</strong>"."
            </div>
            <div class="card">
                <p class="muted">"Changed on "{format_time(&receipt.merged_at)}". A copy of this receipt was sent to "{receipt.email.clone()}"."</p>
                <h2>"Deleted API keys"</h2>
                {keys}
                <h2>"Fleets transferred to "{receipt.organization.clone()}</h2>
                {fleets}
                <h2>"How you sign in now"</h2>
                <p>"Choose \u{201c}Log in with Enterprise SSO\u{201d} and enter the SSO identifier "<code>{receipt.sso_identifier.clone()}</code>
                    ", or open "<code>{format!("/saml/{}", receipt.sso_identifier)}</code>". Password login is turned off."</p>
                <p><A href="/dashboard" attr:class="button button-primary">"Go to the dashboard"</A></p>
            </div>
        </section>
    }
}
