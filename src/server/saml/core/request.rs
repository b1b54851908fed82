//! The AuthnRequest we send (samael's type): a fresh ID and the time are passed in, so the output is a function of
//! its inputs. HTTP-Redirect deflates and base64-encodes it into the URL; HTTP-POST carries its base64 in a form.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use samael::metadata::HTTP_POST_BINDING;
use samael::schema::{AuthnRequest, Issuer, NameIdPolicy};
use samael::traits::ToXml;

use super::config::{NameIdFormat, SpEndpoints};
use crate::shared::error::{AppError, ErrorCode};

/// A request ready to send.
pub struct OutgoingRequest {
    request: AuthnRequest,
}

impl OutgoingRequest {
    pub fn new(
        id: &str,
        now: DateTime<Utc>,
        sp: &SpEndpoints,
        idp_sso_url: &str,
        name_id_format: NameIdFormat,
    ) -> Self {
        Self {
            request: AuthnRequest {
                id: id.to_string(),
                version: "2.0".to_string(),
                issue_instant: now,
                destination: Some(idp_sso_url.to_string()),
                assertion_consumer_service_url: Some(sp.acs_url.clone()),
                protocol_binding: Some(HTTP_POST_BINDING.to_string()),
                issuer: Some(Issuer {
                    value: Some(sp.entity_id.clone()),
                    ..Issuer::default()
                }),
                name_id_policy: Some(NameIdPolicy {
                    format: Some(name_id_format.uri().to_string()),
                    allow_create: Some(true),
                    ..NameIdPolicy::default()
                }),
                ..AuthnRequest::default()
            },
        }
    }

    pub fn xml(&self) -> Result<String, AppError> {
        self.request
            .to_string()
            .map_err(|_| AppError::new(ErrorCode::Internal))
    }

    /// The HTTP-Redirect binding: the IdP's URL with `SAMLRequest` (and `RelayState` when not empty).
    pub fn redirect_url(&self, relay_state: &str) -> Result<String, AppError> {
        match self.request.redirect(relay_state) {
            Ok(Some(url)) => Ok(url.to_string()),
            _ => Err(AppError::new(ErrorCode::SsoUrlInvalid)),
        }
    }

    /// The HTTP-POST binding's `SAMLRequest` form value.
    pub fn post_value(&self) -> Result<String, AppError> {
        Ok(STANDARD.encode(self.xml()?))
    }
}
