//! DNS lookups for domain verification: TXT records through a real resolver, the system's (`/etc/resolv.conf`) or
//! a configured nameserver (tests run one on loopback). A fresh resolver without cache per lookup, so "Verify"
//! right after adding the record never sees a stale negative answer.

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};
use std::net::SocketAddr;
use std::time::Duration;

/// Why a lookup gave no answer.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupError {
    /// The resolver could not be set up (no system configuration).
    Setup(String),
    /// The nameserver did not answer usefully (timeout, refused, server failure).
    Failed(String),
}

/// The TXT records of `name` (each record's strings joined); empty when the name or its TXT records do not exist.
pub async fn txt_records(
    nameserver: Option<SocketAddr>,
    name: &str,
) -> Result<Vec<String>, LookupError> {
    let mut builder = match nameserver {
        Some(addr) => {
            let mut server = NameServerConfig::udp_and_tcp(addr.ip());
            for connection in &mut server.connections {
                connection.port = addr.port();
            }
            Resolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().map_err(|e| LookupError::Setup(e.to_string()))?,
    };
    let options = builder.options_mut();
    options.timeout = Duration::from_secs(3);
    options.attempts = 1;
    options.cache_size = 0;
    let resolver = builder
        .build()
        .map_err(|e| LookupError::Setup(e.to_string()))?;
    // Fully qualified, so no search domain of the host is appended.
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match resolver.txt_lookup(fqdn).await {
        Ok(lookup) => Ok(lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => Some(
                    txt.txt_data
                        .iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect(),
                ),
                _ => None,
            })
            .collect()),
        Err(e) if e.is_no_records_found() => Ok(Vec::new()),
        Err(e) => Err(LookupError::Failed(e.to_string())),
    }
}
