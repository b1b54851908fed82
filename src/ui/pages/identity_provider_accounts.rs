//! The identity provider page's account sections: the SAML accounts linked through it (remote ID, email, last SSO
//! login), each of which can be deleted (not the last owner who can sign in), and deleting the provider, which is
//! refused while accounts are linked, with how many.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::identity_providers::{DeleteIdentityProvider, DeleteSamlAccount};
use crate::shared::format_time;
use crate::shared::models::SamlAccountView;
use crate::ui::components::forms::{failure, FormError};
use crate::ui::components::visit::CsrfField;

#[component]
pub fn LinkedAccountsSection(
    identifier: String,
    accounts: Vec<SamlAccountView>,
    total: u64,
    delete: ServerAction<DeleteSamlAccount>,
) -> impl IntoView {
    let hidden = total.saturating_sub(accounts.len() as u64);
    let error = failure(delete.value());
    view! {
        <section class="card" id="linked-accounts" aria-labelledby="linked-accounts-heading">
            <h2 id="linked-accounts-heading">"Linked accounts"</h2>
            <p class="muted">"Deleting a SAML account stops that person signing in through this identity provider and ends their SSO sessions from it. If your account policies allow, their next login links them again: remove them at the identity provider too."</p>
            <FormError error/>
            {if accounts.is_empty() {
                view! { <p class="muted">"Nobody has signed in through this identity provider yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Remote ID (NameID)"</th><th>"Person"</th><th>"Linked"</th><th>"Last SSO login"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>
                            {accounts.into_iter().map(|a| {
                                let identifier = identifier.clone();
                                view! {
                                <tr>
                                    <td><code class="fingerprint">{a.remote_id.clone()}</code></td>
                                    <td>{a.name.clone()}<br/><span class="muted">{a.email.clone()}</span></td>
                                    <td class="nowrap">{format_time(&a.linked_at)}</td>
                                    <td class="nowrap">{a.last_login_at.map(|t| format_time(&t)).unwrap_or_else(|| "—".into())}</td>
                                    <td>
                                        <ActionForm action=delete attr:class="inline">
                                            <CsrfField/>
                                            <input type="hidden" name="identifier" value=identifier.clone()/>
                                            <input type="hidden" name="remote_id" value=a.remote_id.clone()/>
                                            <button type="submit" class="button button-small button-danger" aria-label=format!("Delete the SAML account of {}", a.email)>"Delete"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
            {(hidden > 0).then(|| view! {
                <p class="hint">{format!("{hidden} more linked through organizations you do not administer.")}</p>
            })}
        </section>
    }
}

#[component]
pub fn DeleteSection(identifier: String, linked_accounts: u64) -> impl IntoView {
    let delete = ServerAction::<DeleteIdentityProvider>::new();
    let error = failure(delete.value());
    view! {
        <section class="card danger-zone" aria-labelledby="delete-idp-heading">
            <h2 id="delete-idp-heading" class="danger-title">"Delete this identity provider"</h2>
            <p class="muted">{match linked_accounts {
                0 => "Nobody signs in through it. Deleting it removes its settings, certificates and refused-login history.".to_string(),
                1 => "1 SAML account signs in through it: it can be deleted once none is linked, so nobody is locked out.".to_string(),
                n => format!("{n} SAML accounts sign in through it: it can be deleted once none is linked, so nobody is locked out."),
            }}</p>
            <FormError error/>
            <ActionForm action=delete>
                <CsrfField/>
                <input type="hidden" name="identifier" value=identifier/>
                <button type="submit" class="button button-danger">"Delete identity provider"</button>
            </ActionForm>
        </section>
    }
}
