//! A real (small) authoritative DNS server on loopback for the tests: answers TXT queries from a map the test can
//! change while it runs (NXDOMAIN for unknown names), or refuses every query when told to.

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::TXT;
use hickory_resolver::proto::rr::{RData, Record, RecordType};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;

#[derive(Clone)]
pub struct DnsServer {
    pub addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    refuse: Arc<AtomicBool>,
}

impl DnsServer {
    pub async fn start() -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
        let server = DnsServer {
            addr: socket.local_addr().unwrap(),
            records: Arc::default(),
            refuse: Arc::default(),
        };
        let (records, refuse) = (server.records.clone(), server.refuse.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                let Ok(request) = Message::from_vec(&buf[..len]) else {
                    continue;
                };
                let mut response = Message::response(request.metadata.id, request.metadata.op_code);
                response.metadata.authoritative = true;
                response.metadata.recursion_desired = request.metadata.recursion_desired;
                response.metadata.recursion_available = true;
                // The resolver drops answers that do not echo the question.
                response.queries = request.queries.clone();
                match request.queries.first() {
                    _ if refuse.load(Ordering::SeqCst) => {
                        response.metadata.response_code = ResponseCode::Refused
                    }
                    None => response.metadata.response_code = ResponseCode::FormErr,
                    Some(query) => {
                        let name = query
                            .name
                            .to_ascii()
                            .trim_end_matches('.')
                            .to_ascii_lowercase();
                        let found = records.lock().unwrap().get(&name).cloned();
                        match found {
                            None => response.metadata.response_code = ResponseCode::NXDomain,
                            Some(values) if query.query_type == RecordType::TXT => {
                                for value in values {
                                    let data = RData::TXT(TXT::new(vec![value]));
                                    response.add_answer(Record::from_rdata(
                                        query.name.clone(),
                                        60,
                                        data,
                                    ));
                                }
                            }
                            Some(_) => {}
                        }
                    }
                }
                if let Ok(bytes) = response.to_vec() {
                    let _ = socket.send_to(&bytes, peer).await;
                }
            }
        });
        server
    }

    /// Publishes `values` as the TXT records of `name`.
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        self.records.lock().unwrap().insert(
            name.to_ascii_lowercase(),
            values.iter().map(|v| v.to_string()).collect(),
        );
    }

    /// Makes every answer REFUSED (a broken nameserver), or normal again.
    pub fn refuse_all(&self, refuse: bool) {
        self.refuse.store(refuse, Ordering::SeqCst);
    }
}
