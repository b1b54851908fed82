//! The pure SAML core: everything here is a function of its inputs (response bytes, IdP and SP configuration, the
//! current time passed in, outstanding request IDs), so it is tested at a fixed time with recorded responses.

pub mod budget;
pub mod c14n;
pub mod certificate;
pub mod config;
pub mod envelope;
pub mod error;
pub mod metadata;
pub mod request;
pub mod response;
pub mod signature;
pub mod time;
pub mod xml;
pub mod xmldsig;
