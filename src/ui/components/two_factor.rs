//! Two-factor building blocks shared by preferences and the login's enrolment step: how to add the account to an
//! authenticator app (QR code and secret), and the recovery codes shown once.

use leptos::prelude::*;

use crate::shared::models::TwoFactorEnrolment;
use crate::ui::components::forms::CopyField;

/// Step-by-step instructions with the QR code and, for apps without a camera, the secret as text.
#[component]
pub fn EnrolmentInstructions(enrolment: TwoFactorEnrolment) -> impl IntoView {
    view! {
        <div class="enrolment">
            <img class="qr-code" src=enrolment.qr_code alt="QR code to add Portcullis to your authenticator app" width="220" height="220"/>
            <ol class="steps">
                <li>"Open your authenticator app (for example Google Authenticator, Microsoft Authenticator, 1Password or Aegis)."</li>
                <li>"Scan the QR code, or enter the secret key below by hand."</li>
                <li>"Type the 6-digit code the app then shows for Portcullis."</li>
            </ol>
        </div>
        <CopyField id="totp-secret" label="Secret key" value=enrolment.secret/>
    }
}

/// Ten single-use codes for when the authenticator app is lost. Shown once.
#[component]
pub fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let all = codes.join(" ");
    view! {
        <div class="alert alert-warning recovery" role="status">
            <p><strong>"Save your recovery codes now."</strong>
                " Each works once, in place of a code from your app. They are shown only this once; keep them somewhere safe, like a password manager."</p>
            <ul class="recovery-codes" aria-label="Recovery codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <CopyField id="recovery-codes-all" label="All codes, to copy" value=all/>
        </div>
    }
}
