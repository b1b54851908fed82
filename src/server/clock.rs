//! The source of "now". Services take the clock from the application state so tests can move time forward.

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that starts at the real time and moves only when told; used by the integration tests.
#[derive(Clone)]
pub struct ManualClock {
    offset: Arc<Mutex<chrono::Duration>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self {
            offset: Arc::new(Mutex::new(chrono::Duration::zero())),
        }
    }
}

impl ManualClock {
    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut offset) = self.offset.lock() {
            *offset += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset.lock().map(|o| *o).unwrap_or_default();
        Utc::now() + offset
    }
}
