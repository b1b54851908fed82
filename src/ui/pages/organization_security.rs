//! The organization page's security section: the owners' "require 2FA for password logins" setting, and the
//! organization API keys (admins and owners create them with a role no stronger than their own; shown once).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::security::{
    CreateOrganizationApiKey, RevokeOrganizationApiKey, SetRequireTwoFactor,
};
use crate::shared::models::{ApiKeyView, Role};
use crate::ui::components::api_keys::{ApiKeyTable, ExpirySelect, NewKeySecret, Revoker};
use crate::ui::components::forms::{
    failure, reset_on_success, succeeded, Field, FormError, RoleSelect, Saved,
};
use crate::ui::components::visit::CsrfField;

#[component]
pub fn SecuritySection(
    organization_id: i64,
    my_role: Role,
    require_two_factor: bool,
    keys: Vec<ApiKeyView>,
    // The page's actions: the organization (with its keys) reloads after each of them.
    set_requirement: ServerAction<SetRequireTwoFactor>,
    create: ServerAction<CreateOrganizationApiKey>,
    revoke: ServerAction<RevokeOrganizationApiKey>,
) -> impl IntoView {
    let requirement_error = failure(set_requirement.value());
    let create_error = failure(create.value());
    let revoke_error = failure(revoke.value());
    let form = NodeRef::new();
    reset_on_success(create.value(), form);
    let owner = my_role == Role::Owner;
    view! {
        <section class="card" id="security" aria-labelledby="security-heading">
            <h2 id="security-heading">"Security"</h2>
            <h3>"Single sign-on enforcement"</h3>
            <p class="muted">"Only allow login through your identity provider, with a break-glass key so a broken provider never locks you out. "
                <A href=format!("/organizations/{organization_id}/security")>"Single sign-on enforcement"</A></p>
            <h3>"Role mappings"</h3>
            <p class="muted">"Give roles and teams from your identity provider's groups at every SSO login. "
                <A href=format!("/organizations/{organization_id}/role-mappings")>"Role mappings"</A></p>
            {owner.then(|| view! {
                <h3>"Audit log"</h3>
                <p class="muted">"Every sign-in and security change in this organization, with who, when and from where. "
                    <A href=format!("/organizations/{organization_id}/audit")>"Open the audit log"</A></p>
            })}
            <h3>"Two-factor authentication"</h3>
            {if owner {
                view! {
                    <FormError error=requirement_error/>
                    <Saved when=succeeded(set_requirement.value()) message="Saved."/>
                    <ActionForm action=set_requirement attr:class="stack">
                        <CsrfField/>
                        <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                        <label class="checkbox">
                            <input type="checkbox" name="required" value="true" checked=require_two_factor/>
                            " Require two-factor authentication for members who log in with a password"
                        </label>
                        <p class="hint">"Members without it set it up at their next login. Members who sign in with single sign-on are protected by your identity provider."</p>
                        <button type="submit" class="button">"Save"</button>
                    </ActionForm>
                }
                .into_any()
            } else {
                view! {
                    <p class="muted">{if require_two_factor {
                        "Members who log in with a password must use two-factor authentication. Owners change this."
                    } else {
                        "Two-factor authentication is not required. Owners can require it."
                    }}</p>
                }
                .into_any()
            }}
            <h3>"Organization API keys"</h3>
            <p class="muted">"Keys for automation that belong to the organization, not to a person: they keep working when people leave. A key acts only in this organization, with its role."</p>
            <NewKeySecret created=create.value()/>
            <FormError error=create_error fields=&["name", "role", "expires_in_days"]/>
            <FormError error=revoke_error/>
            <ActionForm action=create node_ref=form attr:class="inline-form">
                <CsrfField/>
                <input type="hidden" name="organization_id" value=organization_id.to_string()/>
                <Field label="Key name" name="name" id_prefix="org-key" placeholder="CI pipeline" required=true error=create_error/>
                <div class="field field-compact">
                    <RoleSelect selected="member" id="org-key-role" label="Role"/>
                </div>
                <ExpirySelect id="org-key-expiry"/>
                <button type="submit" class="button button-primary">"Create key"</button>
            </ActionForm>
            <ApiKeyTable keys revoker=Revoker::Organization(revoke, organization_id)/>
        </section>
    }
}
