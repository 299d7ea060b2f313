//! Async context managers, the evloop way: the tutorial's "Async Context
//! Manager", the guide's "Creating Async Context Managers" (class-based and
//! `@asynccontextmanager`) and the tutorial's Best Practice 1, "Use async
//! with for Resources".
//!
//! Rust has no `async with`. The two forms of the seeds become:
//!
//! - **class-based** (`__aenter__`/`__aexit__`): a guard value.
//!   `AsyncDatabaseConnection::connect(url).await` is `__aenter__`;
//!   `db.close().await` is `__aexit__`, called explicitly; it takes `self`,
//!   so the compiler rejects any use of a closed connection. If `close()` is
//!   never awaited (forgotten, skipped by `?`, or the future was cancelled),
//!   `Drop` closes the connection anyway, synchronously: it cannot await, so
//!   the polite goodbye to the server is skipped;
//! - **`@asynccontextmanager`** (`try: yield conn finally: await conn.close()`):
//!   a scoped function, `with_connection(url, async |db| { ... })`, that
//!   connects, lends the connection to the body and closes it whatever the
//!   body returned. An error from the body is returned unchanged after the
//!   close (`__aexit__` returning `False`); if the whole thing is cancelled,
//!   the connection is closed by `Drop`.
//!
//! The seed's delays are ten times shorter (0.5 s → 50 ms, 0.1 s → 10 ms).
//! A count of open connections is printed after each section: it is always 0.
//!
//! `cargo run --example async_context_manager`

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use evloop::BoxError;

thread_local! {
    /// Connections opened and not yet closed (by `close()` or by `Drop`).
    static OPEN_CONNECTIONS: Cell<usize> = const { Cell::new(0) };
}

fn open_connections() -> usize {
    OPEN_CONNECTIONS.with(Cell::get)
}

/// A row of the seed's `[{"id": 1, "name": "Test"}]`, printed the same way.
struct User {
    id: u32,
    name: &'static str,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{'id': {}, 'name': '{}'}}", self.id, self.name)
    }
}

/// What a refused query returns.
#[derive(Debug)]
struct DbError(String);

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

/// The seeds' `AsyncDatabaseConnection`.
struct AsyncDatabaseConnection {
    url: String,
    /// True from `connect` until `close` or `Drop` (the seed's `self.connection`).
    connected: bool,
}

impl AsyncDatabaseConnection {
    /// `__aenter__`: connects.
    async fn connect(url: &str) -> Result<AsyncDatabaseConnection, DbError> {
        println!("Connecting to {url}");
        evloop::sleep(Duration::from_millis(50)).await; // simulate connection
        OPEN_CONNECTIONS.with(|n| n.set(n.get() + 1));
        Ok(AsyncDatabaseConnection {
            url: url.to_string(),
            connected: true,
        })
    }

    /// Runs `sql`. Anything but a `SELECT` is refused, so there is an error
    /// to show.
    async fn query(&self, sql: &str) -> Result<Vec<User>, DbError> {
        evloop::sleep(Duration::from_millis(10)).await;
        if !sql.starts_with("SELECT") {
            return Err(DbError(format!("refused by {}: {sql}", self.url)));
        }
        Ok(vec![User { id: 1, name: "Test" }])
    }

    /// `__aexit__`: an orderly close, awaited. Taking `self` means the
    /// connection cannot be used, or closed again, afterwards.
    async fn close(mut self) {
        println!("Closing connection");
        evloop::sleep(Duration::from_millis(10)).await; // simulate cleanup: say goodbye
        self.disconnect();
    }

    fn disconnect(&mut self) {
        if self.connected {
            self.connected = false;
            OPEN_CONNECTIONS.with(|n| n.set(n.get() - 1));
        }
    }
}

/// The fallback for a connection whose `close()` was not awaited. A
/// destructor cannot await, so it closes at once, without the goodbye.
/// (Where the async part matters, a destructor may `evloop::spawn` it as a
/// task of its own instead, when `evloop::try_handle()` says a loop is
/// running.)
impl Drop for AsyncDatabaseConnection {
    fn drop(&mut self) {
        if self.connected {
            println!("Closing connection from Drop: close() was not awaited, no goodbye sent");
            self.disconnect();
        }
    }
}

/// The guide's `@asynccontextmanager async def async_db_connection(url)`:
/// connects, lends the connection to `body`, and closes it whatever `body`
/// returned. The body's error comes back unchanged (nothing is suppressed).
async fn with_connection<T, E>(
    url: &str,
    body: impl AsyncFnOnce(&AsyncDatabaseConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DbError>,
{
    let db = AsyncDatabaseConnection::connect(url).await?;
    let result = body(&db).await; // try: yield connection
    db.close().await; // finally: await connection.close()
    result
}

async fn main_async() -> Result<(), BoxError> {
    println!("== class-based: connect (__aenter__), query, close (__aexit__)");
    let db = AsyncDatabaseConnection::connect("postgres://localhost/db").await?;
    let results = db.query("SELECT * FROM users").await;
    db.close().await; // before looking at the result: an error must not skip it
    let results = results?;
    println!("{results:?}");
    println!("open connections: {}", open_connections());

    println!("\n== @asynccontextmanager: with_connection(url, async |db| ...), Best Practice 1 the good way");
    let count = with_connection("postgresql://localhost/db", async |db| {
        let results = db.query("SELECT * FROM users").await?;
        println!("{results:?}");
        Ok::<_, DbError>(results.len())
    })
    .await?;
    println!("the block returned {count} row(s)");
    println!("open connections: {}", open_connections());

    println!("\n== an error inside the block: the connection is closed, the error goes on");
    let outcome = with_connection("postgresql://localhost/db", async |db| {
        db.query("DROP TABLE users").await?;
        println!("not reached");
        Ok::<_, DbError>(())
    })
    .await;
    match outcome {
        Ok(()) => println!("no error"),
        Err(e) => println!("Caught error after the close: {e}"),
    }
    println!("open connections: {}", open_connections());

    println!("\n== cancelled inside the block (a timeout): the cleanup still runs, from Drop");
    let outcome = evloop::timeout(
        Duration::from_millis(100),
        with_connection("postgresql://localhost/db", async |db| {
            let results = db.query("SELECT * FROM users").await?;
            println!("got {} row(s), now a very slow step...", results.len());
            evloop::sleep(Duration::from_secs(10)).await;
            Ok::<_, DbError>(())
        }),
    )
    .await;
    println!("timeout: {outcome:?}");
    println!("open connections: {}", open_connections());

    println!("\n== Best Practice 1, the bad way: close() forgotten");
    {
        let db = AsyncDatabaseConnection::connect("postgres://localhost/db").await?;
        let results = db.query("SELECT * FROM users").await?;
        println!("{results:?}");
    } // `db` goes out of scope here without close()
    println!("open connections: {}", open_connections());
    Ok(())
}

fn main() -> Result<(), BoxError> {
    evloop::run(main_async())
}
