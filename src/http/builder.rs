//! `ClientBuilder`: the pool's limits and the timeouts of a [`Client`].

use std::fmt;
use std::time::Duration;

use super::client::Client;

/// The settings a [`Client`] is built with; start from
/// [`Client::builder`].
///
/// ```
/// use std::time::Duration;
///
/// let client = evloop::http::Client::builder()
///     .max_idle_per_host(8)
///     .idle_timeout(Duration::from_secs(30))
///     .connect_timeout(Duration::from_secs(2))
///     .timeout(Duration::from_secs(10))
///     .build();
/// # drop(client);
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    pub(crate) config: Config,
}

/// What the pool and the requests read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub(crate) max_idle_per_host: usize,
    pub(crate) idle_timeout: Duration,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
}

impl ClientBuilder {
    pub(crate) fn new() -> ClientBuilder {
        ClientBuilder {
            config: Config {
                max_idle_per_host: usize::MAX,
                idle_timeout: Duration::from_secs(90),
                connect_timeout: None,
                timeout: None,
            },
        }
    }

    /// How many idle keep-alive connections to keep per host (`host:port`).
    /// Default: no limit. 0 turns pooling off: every request opens a new
    /// connection (aiohttp's `force_close=True`).
    pub fn max_idle_per_host(mut self, max: usize) -> Self {
        self.config.max_idle_per_host = max;
        self
    }

    /// How long an idle connection stays in the pool before it is closed
    /// (it may live up to half as long again: the pool is swept every
    /// `idle_timeout / 2`). Default: 90 s.
    ///
    /// # Panics
    ///
    /// If `timeout` is zero (use `max_idle_per_host(0)` to turn pooling off).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        assert!(
            !timeout.is_zero(),
            "ClientBuilder::idle_timeout must be > 0; use max_idle_per_host(0) to turn pooling off"
        );
        self.config.idle_timeout = timeout;
        self
    }

    /// The longest time resolving the host and opening the TCP connection
    /// may take; then the request fails with an error whose
    /// [`is_connect`](super::Error::is_connect) and
    /// [`is_timeout`](super::Error::is_timeout) are true. Default: none.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = Some(timeout);
        self
    }

    /// The longest time a whole request may take — waiting for a
    /// connection, sending the request, until the response head has
    /// arrived (aiohttp's `ClientTimeout(total=...)`, but the body is read
    /// after `request` returns: wrap that in [`evloop::timeout`](crate::timeout)
    /// if it must be bounded too). The request is then cancelled and its
    /// connection closed, never reused. Default: none.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = Some(timeout);
        self
    }

    /// The client. It opens no connection until the first request.
    pub fn build(self) -> Client {
        Client::with_config(self.config)
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("max_idle_per_host", &self.config.max_idle_per_host)
            .field("idle_timeout", &self.config.idle_timeout)
            .field("connect_timeout", &self.config.connect_timeout)
            .field("timeout", &self.config.timeout)
            .finish()
    }
}
