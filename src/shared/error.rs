//! The one error type of Portcullis: a stable machine-readable code, the HTTP status it maps to, a message safe to show
//! to the person, and the form field it belongs to. Services return it; the edge (server functions, REST, SAML routes)
//! converts it once into a response. It is compiled for the browser too, so pages show the same message.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares the error codes with their stable string, HTTP status and default message in one table.
macro_rules! error_codes {
    ($($variant:ident => ($code:literal, $status:literal, $message:literal),)+) => {
        /// Every failure a caller can see. The code strings are a public contract (API clients, tests, logs): never
        /// rename one. They are also the serialized form.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($variant,)+
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The stable code string, `area.reason`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// The HTTP status that goes with the code.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }

            /// What the person is told when the caller has nothing more specific to say.
            pub fn default_message(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $message,)+
                }
            }
        }
    };
}

error_codes! {
    InvalidInput => ("input.invalid", 422, "Some of the information you entered is not valid."),
    EmailInvalid => ("account.email_invalid", 422, "Enter a valid email address, like name@example.com."),
    NameInvalid => ("account.name_invalid", 422, "Enter a name between 1 and 100 characters."),
    PasswordTooShort => ("account.password_too_short", 422, "Use at least 10 characters for your password."),
    PasswordTooLong => ("account.password_too_long", 422, "Use at most 128 characters for your password."),
    PasswordWeak => ("account.password_weak", 422, "This password is too easy to guess. Add more words or characters."),
    PasswordMismatch => ("account.password_mismatch", 422, "The two passwords do not match."),
    EmailTaken => ("account.email_taken", 409, "An account with this email address already exists. Log in or reset your password."),
    HandleInvalid => ("organization.handle_invalid", 422, "Use 2 to 40 characters: lowercase letters, digits and dashes."),
    HandleTaken => ("organization.handle_taken", 409, "This handle is already taken by another organization."),
    UuidInvalid => ("device.uuid_invalid", 422, "Enter a device UUID of 32 hexadecimal digits (dashes allowed)."),
    RoleInvalid => ("organization.role_invalid", 422, "Choose a role: owner, admin or member."),
    InvalidCredentials => ("auth.invalid_credentials", 401, "The email or password is not correct."),
    LoginConfirmationRequired => ("auth.login_confirmation_required", 403, "There were many failed sign-in attempts for this account recently. If the password you entered is right, we emailed you a link to finish signing in."),
    EmailNotVerified => ("auth.email_not_verified", 403, "Verify your email address first: follow the link we sent you."),
    CurrentPasswordWrong => ("auth.current_password_wrong", 422, "Your current password is not correct."),
    TokenInvalid => ("token.invalid", 422, "This link is not valid. Request a new one."),
    TokenExpired => ("token.expired", 410, "This link has expired. Request a new one."),
    TokenUsed => ("token.used", 410, "This link has already been used. Request a new one."),
    NotSignedIn => ("auth.not_signed_in", 401, "Log in to continue."),
    SessionExpired => ("auth.session_expired", 401, "Your session has ended. Log in again."),
    CsrfMissing => ("csrf.missing", 403, "The form is missing its security token. Reload the page and try again."),
    CsrfInvalid => ("csrf.invalid", 403, "The form's security token is not valid. Reload the page and try again."),
    RateLimited => ("rate_limited", 429, "Too many attempts. Wait a few minutes and try again."),
    ServerBusy => ("server.busy", 503, "The server is busy right now. Try again in a few seconds."),
    PermissionDenied => ("permission_denied", 403, "You do not have permission to do this."),
    OrganizationNotFound => ("organization.not_found", 404, "This organization does not exist or you are not a member."),
    MemberNotFound => ("organization.member_not_found", 404, "This person is not a member of the organization."),
    TeamNotFound => ("team.not_found", 404, "This team does not exist."),
    TeamNameTaken => ("team.name_taken", 409, "A team with this name already exists in the organization."),
    FleetNotFound => ("fleet.not_found", 404, "This fleet does not exist or you cannot see it."),
    FleetNameTaken => ("fleet.name_taken", 409, "You already have a fleet with this name."),
    DeviceNotFound => ("device.not_found", 404, "This device does not exist."),
    DeviceUuidTaken => ("device.uuid_taken", 409, "A device with this UUID is already registered."),
    InvitationNotFound => ("invitation.not_found", 404, "This invitation does not exist or was withdrawn."),
    InvitationEmailMismatch => ("invitation.email_mismatch", 422, "This invitation was sent to a different email address."),
    AlreadyMember => ("organization.already_member", 409, "This person is already a member of the organization."),
    LastOwner => ("organization.last_owner", 409, "An organization must keep at least one owner. Make someone else owner first."),
    SessionNotFound => ("session.not_found", 404, "This session does not exist or has already ended."),
    MetadataMalformed => ("idp.metadata_malformed", 422, "The metadata is not well-formed XML."),
    MetadataNoIdpDescriptor => ("idp.metadata_no_idp_descriptor", 422, "The metadata describes no identity provider (it has no IDPSSODescriptor)."),
    MetadataNoSigningCertificate => ("idp.metadata_no_signing_certificate", 422, "The metadata has no signing certificate, so no sign-in could be trusted."),
    CertificateInvalid => ("idp.certificate_invalid", 422, "The certificate could not be read. Paste the PEM text, starting with -----BEGIN CERTIFICATE-----."),
    CertificateExpired => ("idp.certificate_expired", 422, "The signing certificate has expired."),
    CertificateNotYetValid => ("idp.certificate_not_yet_valid", 422, "The signing certificate is not valid yet."),
    MetadataNoNameIdFormat => ("idp.metadata_no_supported_name_id_format", 422, "The identity provider offers no NameID format Portcullis supports (emailAddress or persistent)."),
    MetadataNoBinding => ("idp.metadata_no_usable_binding", 422, "The identity provider has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding."),
    MetadataTooLarge => ("idp.metadata_too_large", 422, "The metadata is larger than any identity provider's metadata is."),
    MetadataTooDeep => ("idp.metadata_too_deep", 422, "The metadata nests elements deeper than any identity provider's metadata does."),
    MetadataTooManyElements => ("idp.metadata_too_many_elements", 422, "The metadata has more elements than any identity provider's metadata does."),
    MetadataElementAttributes => ("idp.metadata_too_many_attributes_on_element", 422, "An element of the metadata has more attributes than Portcullis accepts."),
    MetadataTooManyAttributes => ("idp.metadata_too_many_attributes", 422, "The metadata has more attributes than any identity provider's metadata does."),
    MetadataTextTooLong => ("idp.metadata_text_too_long", 422, "A value in the metadata is longer than Portcullis accepts."),
    MetadataAttributeValueTooLong => ("idp.metadata_attribute_value_too_long", 422, "An attribute value in the metadata is longer than Portcullis accepts."),
    TooManyCertificates => ("idp.too_many_certificates", 422, "An identity provider may have at most 4 signing certificates at once. Remove the ones it no longer uses."),
    EntityIdInvalid => ("idp.entity_id_invalid", 422, "Enter the identity provider's entity ID (a URI, usually https://…)."),
    SsoUrlInvalid => ("idp.sso_url_invalid", 422, "Enter the identity provider's single sign-on URL, starting with https:// (or http:// for a local test IdP)."),
    SsoIdentifierInvalid => ("idp.identifier_invalid", 422, "Use 2 to 60 characters: lowercase letters, digits, dashes and underscores."),
    SsoIdentifierTaken => ("idp.identifier_taken", 409, "This SSO identifier is already used by another identity provider."),
    IdpNotFound => ("idp.not_found", 404, "There is no identity provider with this SSO identifier."),
    IdpOwnersOnly => ("idp.owner_of_every_organization_required", 403, "Only an owner of every organization this identity provider serves can change who it lets in."),
    IdpLinkNeedsOwner => ("idp.link_needs_owner", 403, "Only an owner of an organization can let an identity provider sign people in there."),
    IdpNeededByEnforcement => ("idp.needed_by_enforcement", 409, "This organization allows only single sign-on through this identity provider. Switch enforcement off first."),
    IdpNeedsOrganization => ("idp.organization_required", 422, "Choose at least one organization you administer."),
    ClockSkewInvalid => ("idp.clock_skew_invalid", 422, "Enter a clock skew between 0 and 600 seconds."),
        IdpHasAccounts => ("idp.has_accounts", 409, "SAML accounts are still linked to this identity provider. Delete them first."),
    NameIdFormatLocked => ("idp.name_id_format_locked", 409, "The NameID format cannot change after people have signed in with this identity provider: their accounts are keyed on it."),
    SsoLoginFailed => ("sso.login_failed", 401, "Single sign-on failed."),
    SsoNoAccount => ("sso.no_account", 403, "Your identity provider signed you in, but there is no Portcullis account for you in this organization. Ask an administrator to add you."),
    SsoRequestExpired => ("sso.request_expired", 410, "This sign-in took too long or was started in another browser. Please sign in again."),
    SsoPolicyRefused => ("sso.policy_refused", 403, "This identity provider's account policy does not allow this. Ask your administrator."),
    SessionLifetimeInvalid => ("idp.session_lifetime_invalid", 422, "Enter an SSO session lifetime between 1 and 24 hours."),
    MergeNotAllowed => ("merge.not_allowed", 403, "This identity provider does not accept existing accounts. Ask your administrator to allow merging."),
    MergeNotPasswordAccount => ("merge.not_password_account", 409, "Your account already signs in with Enterprise SSO."),
    MergeEmailUnverified => ("merge.email_unverified", 409, "Verify your email address first: only a verified address can be matched with your company identity."),
    MergeEmailMismatch => ("merge.email_mismatch", 403, "Your identity provider signed you in with another email address than this account's. Nothing was changed."),
    MergeIdentityTaken => ("merge.identity_taken", 409, "This company identity is already linked to another Portcullis account. Nothing was changed."),
    MergeOrganizationRequired => ("merge.organization_required", 422, "Choose the organization that receives your fleets."),
    MergeConsentRequired => ("merge.consent_required", 422, "Tick the box to confirm that you agree to these changes."),
    MergeReceiptNotFound => ("merge.receipt_not_found", 404, "Enterprise SSO was not enabled on this account through a merge."),
    SsoAccountPasswordRetired => ("auth.password_retired", 403, "This account signs in with Enterprise SSO now, not with a password."),
    EnforcementNeedsIdentityProvider => ("enforcement.identity_provider_required", 409, "Add an identity provider to this organization before allowing only single sign-on."),
    EnforcementNeedsFreshSsoLogin => ("enforcement.fresh_sso_login_required", 409, "Sign in through one of this organization's identity providers, then switch this on within 15 minutes."),
    EnforcementNeedsBreakGlassKey => ("enforcement.break_glass_key_required", 409, "Create an organization API key with the owner role and no expiry first: it can switch enforcement off if your identity provider fails."),
    SsoEnforced => ("auth.sso_enforced", 403, "Your organization allows only single sign-on. Log in with Enterprise SSO."),
    RoleMappingNameTaken => ("role_mapping.name_taken", 409, "This organization already has a role mapping with this name."),
    RoleMappingNotFound => ("role_mapping.not_found", 404, "This role mapping does not exist."),
    RoleMappingLimit => ("role_mapping.limit_reached", 409, "An organization may have at most 100 role mappings. Delete or merge some first."),
    RoleMappingTooManyWildcards => ("role_mapping.too_many_wildcard_patterns", 422, "An organization's mappings may have at most 10 patterns with a * inside or at both ends (like *admin*)."),
    RoleMappingTooManyPatterns => ("role_mapping.too_many_patterns", 422, "A role mapping may have at most 20 group patterns."),
    RoleMappingPatternTooLong => ("role_mapping.pattern_too_long", 422, "A group pattern may have at most 256 characters."),
    RoleMappingPatternTooManyStars => ("role_mapping.pattern_too_many_stars", 422, "A group pattern may have at most 4 *."),
    PreviewTooManyGroups => ("role_mapping.too_many_groups", 422, "Preview at most 500 groups."),
    PreviewGroupTooLong => ("role_mapping.group_too_long", 422, "Preview groups of at most 256 characters each."),
    SamlAccountNotFound => ("sso.account_not_found", 404, "No account of this identity provider has this remote ID."),
    TwoFactorCodeInvalid => ("two_factor.code_invalid", 422, "That code is not correct. Enter the 6-digit code your authenticator app shows for Portcullis now, or one of your recovery codes."),
    TwoFactorCodeReused => ("two_factor.code_reused", 422, "This code was already used. Wait for your authenticator app to show the next one."),
    RecoveryCodeUsed => ("two_factor.recovery_code_used", 422, "This recovery code was already used. Each recovery code works only once."),
    TwoFactorAlreadyEnabled => ("two_factor.already_enabled", 409, "Two-factor authentication is already on."),
    TwoFactorNotEnabled => ("two_factor.not_enabled", 409, "Two-factor authentication is not on."),
    TwoFactorNotEnrolling => ("two_factor.not_enrolling", 409, "Start setting up two-factor authentication again: no setup is in progress."),
    LoginChallengeExpired => ("two_factor.login_expired", 410, "This login took too long or was started in another browser. Log in again."),
    FreshSsoLoginRequired => ("two_factor.fresh_sso_login_required", 403, "Sign in again with single sign-on, then do this within 10 minutes."),
    ApiKeyMissing => ("api_key.missing", 401, "Send an API key in the Authorization header: Bearer pc_…"),
    ApiKeyMalformed => ("api_key.malformed", 401, "This is not a Portcullis API key. Keys look like pc_ followed by two parts joined by an underscore."),
    ApiKeyInvalid => ("api_key.invalid", 401, "This API key is not valid."),
    ApiKeyExpired => ("api_key.expired", 401, "This API key has expired. Create a new one."),
    ApiKeyRevoked => ("api_key.revoked", 401, "This API key was revoked."),
    ApiKeyNotFound => ("api_key.not_found", 404, "This API key does not exist."),
    ApiKeyNameInvalid => ("api_key.name_invalid", 422, "Name the key with 1 to 80 characters, so you recognise it later."),
    ApiKeyExpiryInvalid => ("api_key.expiry_invalid", 422, "Choose an expiry date in the future, or none."),
    PersonalKeysUnavailable => ("api_key.personal_keys_unavailable", 403, "Accounts that sign in with single sign-on cannot have personal API keys: your company controls your access, and a personal key would outlive it. Ask an organization admin for an organization API key."),
    DomainInvalid => ("domain.invalid", 422, "Enter a domain name like example.com (letters, digits and dashes, at least two labels)."),
    DomainAlreadyClaimed => ("domain.already_claimed", 409, "This organization has already claimed this domain."),
    DomainVerifiedElsewhere => ("domain.verified_elsewhere", 409, "Another organization has already verified this domain. A verified domain belongs to one organization only."),
    DomainNotFound => ("domain.not_found", 404, "This domain is not claimed by the organization."),
    DomainNotVerified => ("domain.not_verified", 422, "The DNS record was not found."),
    DnsLookupFailed => ("domain.dns_lookup_failed", 422, "The DNS lookup failed. Try again in a few minutes."),
    NotFound => ("not_found", 404, "Not found."),
    Internal => ("internal", 500, "Something went wrong on our side. Try again in a moment."),
}

impl ErrorCode {
    pub fn parse(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        // A code this build does not know (a newer server) is shown as a generic failure, not a decoding error.
        Ok(ErrorCode::parse(&raw).unwrap_or(ErrorCode::Internal))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure as the caller sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The form field this error belongs to, so the page can show it next to that field.
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: code.default_message().to_string(),
            field: None,
        }
    }

    pub fn on_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_string());
        self
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The message if this error belongs to `field`.
    pub fn for_field(&self, field: &str) -> Option<String> {
        (self.field.as_deref() == Some(field)).then(|| self.message.clone())
    }
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        AppError::new(code)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

pub type AppResult<T> = Result<T, AppError>;

/// Lets server functions return `AppError`; failures of the server-function machinery itself (a missing argument,
/// an unreachable server) become `AppError`s too.
impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let error = match value {
            E::Args(detail) | E::MissingArg(detail) | E::Deserialization(detail) => {
                AppError::new(ErrorCode::InvalidInput)
                    .with_message(format!("The request was not understood: {detail}"))
            }
            E::Request(_) | E::Response(_) => AppError::new(ErrorCode::Internal).with_message(
                "The server could not be reached. Check your connection and try again.",
            ),
            other => AppError::new(ErrorCode::Internal).with_message(other.to_string()),
        };
        #[cfg(feature = "ssr")]
        crate::api::edge::respond_with(&error);
        error
    }
}

impl From<leptos::server_fn::error::ServerFnErrorErr> for AppError {
    fn from(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        <AppError as leptos::server_fn::error::FromServerFnError>::from_server_fn_error(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert!(code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'));
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
            assert!((400..600).contains(&code.status()));
        }
    }

    #[test]
    fn field_errors_are_found_by_field() {
        let err = AppError::new(ErrorCode::PasswordWeak).on_field("password");
        assert_eq!(
            err.for_field("password").as_deref(),
            Some(err.message.as_str())
        );
        assert_eq!(err.for_field("email"), None);
        assert_eq!(err.status(), 422);
    }
}
