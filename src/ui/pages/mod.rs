//! One module per page.

pub mod audit_log;
pub mod dashboard;
pub mod device;
pub mod enterprise_sso;
pub mod fleet;
pub mod identity_provider_accounts;
pub mod identity_providers;
pub mod invitation;
pub mod landing;
pub mod login;
pub mod login_confirm;
pub mod organization;
pub mod organization_domains;
pub mod organization_security;
pub mod organization_sso;
pub mod password_reset;
pub mod preferences;
pub mod preferences_security;
pub mod role_mappings;
pub mod signup;
pub mod two_factor_login;
pub mod verify_email;
