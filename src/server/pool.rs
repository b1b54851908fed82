//! Bounded pools for expensive work a stranger can ask for (SAML validation, password hashing): a fixed number of
//! threads (rayon, one per core, with a stack large enough for any input the budgets admit) and an admission
//! semaphore that lets a few jobs per thread wait. A request that finds the pool full waits a short, bounded time
//! for a place and is then refused with `server.busy` (503, with `Retry-After`), so work never queues without
//! bound and the async workers never run it themselves. A panic inside a job fails that request only.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, Semaphore};

use crate::shared::error::{AppError, ErrorCode};

/// Jobs admitted per thread: one running, the rest waiting their turn.
const ADMITTED_PER_THREAD: usize = 4;
/// Stack of each pool thread: parsing is bounded in depth before it starts, so this is a margin, not a need.
const STACK_BYTES: usize = 8 * 1024 * 1024;

/// One bounded pool.
#[derive(Clone)]
pub struct WorkPool {
    name: &'static str,
    threads: Arc<rayon::ThreadPool>,
    admission: Arc<Semaphore>,
    max_wait: Duration,
}

impl WorkPool {
    /// A pool of `threads` threads (at least one) that lets a request wait up to `max_wait` for admission.
    pub fn new(name: &'static str, threads: usize, max_wait: Duration) -> Result<Self, String> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .stack_size(STACK_BYTES)
            .thread_name(move |index| format!("{name}-{index}"))
            .build()
            .map_err(|e| format!("cannot start the {name} pool: {e}"))?;
        Ok(Self {
            name,
            threads: Arc::new(pool),
            admission: Arc::new(Semaphore::new(threads * ADMITTED_PER_THREAD)),
            max_wait,
        })
    }

    /// One thread per core.
    pub fn per_core(name: &'static str, max_wait: Duration) -> Result<Self, String> {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(name, cores, max_wait)
    }

    /// Jobs admitted now (running or waiting for a thread).
    pub fn in_use(&self) -> usize {
        self.threads
            .current_num_threads()
            .saturating_mul(ADMITTED_PER_THREAD)
            .saturating_sub(self.admission.available_permits())
    }

    /// Runs `job` on the pool; `server.busy` when no place frees up within the wait, `internal` if it panics.
    pub async fn run<T, F>(&self, job: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit =
            match tokio::time::timeout(self.max_wait, self.admission.clone().acquire_owned()).await
            {
                Ok(Ok(permit)) => permit,
                _ => {
                    tracing::warn!(pool = self.name, "pool full: request refused with 503");
                    return Err(AppError::new(ErrorCode::ServerBusy));
                }
            };
        let (sender, receiver) = oneshot::channel();
        self.threads.spawn(move || {
            let outcome = catch_unwind(AssertUnwindSafe(job));
            // The request may have gone away; its result is then dropped.
            let _ = sender.send(outcome);
            drop(permit);
        });
        match receiver.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => {
                tracing::error!(pool = self.name, "a job panicked");
                Err(AppError::new(ErrorCode::Internal))
            }
            Err(_) => Err(AppError::new(ErrorCode::Internal)),
        }
    }
}

/// The pools of one app instance.
#[derive(Clone)]
pub struct Pools {
    /// SAML response validation (XML parsing and signature checks).
    pub saml: WorkPool,
    /// argon2id password hashing and verification (19 MiB each).
    pub password: WorkPool,
}

impl Pools {
    /// How long a request waits for a place before it is told to retry.
    pub const MAX_WAIT: Duration = Duration::from_secs(2);

    pub fn per_core() -> Result<Self, String> {
        Ok(Self {
            saml: WorkPool::per_core("saml", Self::MAX_WAIT)?,
            password: WorkPool::per_core("password", Self::MAX_WAIT)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_and_panics_fail_only_their_request() {
        let pool = WorkPool::new("test", 1, Duration::from_millis(50)).unwrap();
        assert_eq!(pool.run(|| 2 + 2).await.unwrap(), 4);
        let panicked = pool.run(|| -> u32 { panic!("boom") }).await.unwrap_err();
        assert_eq!(panicked.code, ErrorCode::Internal);
        assert_eq!(
            pool.run(|| 5).await.unwrap(),
            5,
            "the pool survives a panic"
        );
    }

    #[tokio::test]
    async fn a_full_pool_refuses_after_a_bounded_wait() {
        let pool = WorkPool::new("test", 1, Duration::from_millis(100)).unwrap();
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        let mut running = Vec::new();
        for _ in 0..ADMITTED_PER_THREAD {
            let pool = pool.clone();
            let hold = hold.clone();
            running.push(tokio::spawn(async move {
                pool.run(move || {
                    let _ = hold.lock().map(|h| h.recv());
                })
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(pool.in_use(), ADMITTED_PER_THREAD);
        let refused = pool.run(|| ()).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::ServerBusy);
        for _ in 0..ADMITTED_PER_THREAD {
            release.send(()).unwrap();
        }
        for job in running {
            job.await.unwrap().unwrap();
        }
        assert!(pool.run(|| ()).await.is_ok());
    }
}
