//! An HTTP/1 client with a keep-alive connection pool (cargo feature
//! `hyper`): aiohttp's `ClientSession` on hyper's client connections.
//!
//! hyper-util's pooled `Client` wants `Send` futures and tokio's I/O types;
//! [`Client`] runs on evloop's own sockets and tasks, with no `Send` bound.
//!
//! | asyncio / aiohttp | evloop |
//! |---|---|
//! | `async with aiohttp.ClientSession() as session:` | `let client = Client::new();` (dropping it closes the idle connections) |
//! | `await session.get(url)` | `client.get(url).await?` |
//! | `await resp.text()` / `await resp.read()` | `response.into_body().collect().await?.to_bytes()` (`http_body_util::BodyExt`) |
//! | `TCPConnector(limit_per_host=...)` | [`ClientBuilder::max_idle_per_host`] (idle connections; cap concurrency with a `Semaphore`) |
//! | `ClientTimeout(total=..., connect=...)` | [`ClientBuilder::timeout`], [`ClientBuilder::connect_timeout`] |
//! | `aiohttp.ClientConnectorError`, `asyncio.TimeoutError` | [`Error::is_connect`], [`Error::is_timeout`] |
//!
//! Only `http://`: there is no TLS here.
//!
//! | file | what it holds |
//! |---|---|
//! | `client.rs` | `Client`: preparing a request, checkout, connect, send, checkin |
//! | `pool.rs` | the keep-alive pool and the rule for what goes back into it |
//! | `builder.rs` | `ClientBuilder`: limits and timeouts |
//! | `error.rs` | `Error` |

mod builder;
mod client;
mod error;
mod pool;

pub use builder::ClientBuilder;
pub use client::Client;
pub use error::Error;
