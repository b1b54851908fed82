//! What the validator needs to know about both parties: the identity provider we trust (entity ID, registered
//! certificates, settings an administrator chose) and our own service provider endpoints.

use chrono::Duration;

use super::certificate::Certificate;

pub const NAME_ID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
pub const NAME_ID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// The NameID formats a person can be identified by. Transient or unspecified identifiers cannot key an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameIdFormat {
    EmailAddress,
    Persistent,
}

impl NameIdFormat {
    pub const ALL: [NameIdFormat; 2] = [NameIdFormat::EmailAddress, NameIdFormat::Persistent];

    pub fn uri(self) -> &'static str {
        match self {
            NameIdFormat::EmailAddress => NAME_ID_EMAIL,
            NameIdFormat::Persistent => NAME_ID_PERSISTENT,
        }
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.uri() == uri)
    }

    /// The short name stored in the database and used in forms.
    pub fn key(self) -> &'static str {
        match self {
            NameIdFormat::EmailAddress => "email",
            NameIdFormat::Persistent => "persistent",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|format| format.key() == key)
    }
}

/// Default allowed difference between our clock and the identity provider's.
pub const DEFAULT_CLOCK_SKEW_SECONDS: i64 = 180;

/// An identity provider as the validator trusts it.
#[derive(Clone, Debug)]
pub struct IdpTrust {
    pub entity_id: String,
    /// Every certificate that may sign (several during a rotation). Never one taken from the response.
    pub certificates: Vec<Certificate>,
    pub name_id_format: NameIdFormat,
    pub clock_skew: Duration,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
}

/// Our side of the exchange, for one identity provider.
#[derive(Clone, Debug)]
pub struct SpEndpoints {
    pub entity_id: String,
    pub acs_url: String,
}
