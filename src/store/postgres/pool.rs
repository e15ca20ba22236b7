//! The connections: a pool that checks a connection with a round trip before handing it out
//! only when it has been idle ([`IDLE_CHECK_AFTER`]). One that a restarted server closed, or
//! whose socket died silently, is dropped rather than handed out again, while a busy pool pays
//! no round trip per operation (a /meet takes a dozen connections). `RecyclingMethod::Fast`
//! alone trusts `is_closed`, which a silently dead socket does not set; `Verified` alone costs a
//! round trip on every operation.

use std::time::Duration;

use deadpool_postgres::{
    BuildError, ClientWrapper, Hook, HookError, Manager, ManagerConfig, Metrics, Pool,
    RecyclingMethod, Runtime,
};
use tokio_postgres::NoTls;

use super::CONNECT_TIMEOUT;

/// A connection idle this long is checked with a round trip before it is handed out again.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(1);

/// The pool's check before handing out a connection idle for [`IDLE_CHECK_AFTER`] or more: an
/// empty query, answered within [`CONNECT_TIMEOUT`], or the connection is dropped.
fn checked_when_idle<'a>(
    client: &'a mut ClientWrapper,
    metrics: &'a Metrics,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), HookError>> + Send + 'a>> {
    Box::pin(async move {
        if metrics.last_used() < IDLE_CHECK_AFTER {
            return Ok(());
        }
        match tokio::time::timeout(CONNECT_TIMEOUT, client.simple_query("")).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) => Err(HookError::Backend(err)),
            Err(_) => Err(HookError::message("no answer to the pool's check")),
        }
    })
}

/// How long an operation waits for a free connection: a pool exhausted by a stuck server fails
/// the operation rather than queueing callers for good.
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool of at most `size` connections to the server `config` names.
pub(super) fn build(config: tokio_postgres::Config, size: usize) -> Result<Pool, BuildError> {
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(WAIT_TIMEOUT))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .pre_recycle(Hook::async_fn(checked_when_idle))
        .build()
}
