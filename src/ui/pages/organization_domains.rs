//! The organization page's domains section: the email domains the organization claims, the DNS TXT record that
//! proves each (with copy buttons), its status and last check; owners claim, verify and remove them.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::domains::{ClaimDomain, RemoveDomain, VerifyDomain};
use crate::shared::format_time;
use crate::shared::models::DomainView;
use crate::ui::components::forms::{failure, reset_on_success, CopyField, Field, FormError};
use crate::ui::components::visit::CsrfField;

#[component]
pub fn DomainsSection(
    organization_id: i64,
    owner: bool,
    domains: Vec<DomainView>,
    // The page's actions: the organization (with its domains) reloads after each of them.
    claim: ServerAction<ClaimDomain>,
    verify: ServerAction<VerifyDomain>,
    remove: ServerAction<RemoveDomain>,
) -> impl IntoView {
    let claim_error = failure(claim.value());
    let verify_error = failure(verify.value());
    let remove_error = failure(remove.value());
    let form = NodeRef::new();
    reset_on_success(claim.value(), form);
    view! {
        <section class="card" id="domains" aria-labelledby="domains-heading">
            <h2 id="domains-heading">"Domains"</h2>
            <p class="muted">"Claim your company's email domains and prove them with a DNS record. People with an address in a verified domain can get an account on their first single sign-on login when the identity provider allows it."</p>
            <FormError error=verify_error/>
            <FormError error=remove_error/>
            {if domains.is_empty() {
                view! { <p class="muted">"No domains claimed yet."</p> }.into_any()
            } else {
                domains.into_iter().map(|d| view! { <DomainCard organization_id owner domain=d verify remove/> }).collect_view().into_any()
            }}
            {owner.then(|| view! {
                <FormError error=claim_error fields=&["domain"]/>
                <ActionForm action=claim node_ref=form attr:class="inline-form">
                    <CsrfField/>
                    <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                    <Field label="Domain" name="domain" id_prefix="claim" placeholder="example.com" required=true error=claim_error/>
                    <button type="submit" class="button button-primary">"Claim domain"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn DomainCard(
    organization_id: i64,
    owner: bool,
    domain: DomainView,
    verify: ServerAction<VerifyDomain>,
    remove: ServerAction<RemoveDomain>,
) -> impl IntoView {
    let verified = domain.verified_at.is_some();
    let id = domain.id.to_string();
    let remove_id = id.clone();
    let name = domain.domain.clone();
    let field_id = format!("domain-{}", domain.id);
    view! {
        <article class="domain" aria-label=domain.domain.clone()>
            <div class="section-header">
                <h3>{domain.domain.clone()}</h3>
                {match domain.verified_at {
                    Some(at) => view! { <span class="badge badge-ok" title=format_time(&at)>"Verified"</span> }.into_any(),
                    None => view! { <span class="badge badge-warning">"Not verified"</span> }.into_any(),
                }}
            </div>
            {(!verified).then(|| view! {
                <p class="muted">"Create this TXT record at your DNS provider, then verify:"</p>
                <div class="two-columns">
                    <CopyField id=format!("{field_id}-name") label="Record name" value=domain.record_name.clone()/>
                    <CopyField id=format!("{field_id}-value") label="Record value" value=domain.record_value.clone()/>
                </div>
            })}
            {domain.last_checked_at.map(|at| view! {
                <p class="hint">{format!("Last checked {}: {}", format_time(&at), domain.last_check_result.clone().unwrap_or_default())}</p>
            })}
            {owner.then(|| view! {
                <div class="actions">
                    {(!verified).then(|| view! {
                        <ActionForm action=verify attr:class="inline">
                            <CsrfField/>
                            <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                            <input type="hidden" name="domain_id" value=id.clone()/>
                            <button type="submit" class="button button-primary button-small">"Verify"</button>
                        </ActionForm>
                    })}
                    <ActionForm action=remove attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                        <input type="hidden" name="domain_id" value=remove_id.clone()/>
                        <button type="submit" class="button button-small button-danger" aria-label=format!("Remove {name}")>"Remove"</button>
                    </ActionForm>
                </div>
            })}
        </article>
    }
}
