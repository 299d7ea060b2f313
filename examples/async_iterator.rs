//! The tutorial's "Async Iterator": the `AsyncPaginator`.
//!
//! `__aiter__`/`__anext__` is the `futures_core::Stream` trait: `poll_next`
//! returns `Ready(Some(page))` for a page, `Ready(None)` for
//! `StopAsyncIteration`, and `Pending` while the simulated API call is in
//! flight (the call's future is kept in the paginator between polls).
//! `async for page in paginator` is `while let Some(page) = paginator.next().await`,
//! with `next` from `futures::StreamExt` (the ecosystem's helpers for any
//! `Stream`; evloop only implements the trait).
//!
//! Then: a `Stream` is lazy, so stopping early (`take(2)`) makes no further
//! API call; and the shape Python writes as an async generator
//! (`async def pages(): ... yield page`): a task that feeds a
//! `sync::channel`, whose `Receiver` is a `Stream` too. When the consumer
//! drops the receiver, the generator's next `send` fails and it stops.
//!
//! The seed's 0.5 s per page is 50 ms here.
//!
//! `cargo run --example async_iterator`

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use evloop::sync::channel;
use futures::StreamExt;
use futures_core::Stream;

/// The seed's `{"page": n, "items": [...]}`.
struct Page {
    page: u32,
    items: Vec<String>,
}

/// The simulated API call for one page.
async fn fetch_page(url: String, page: u32, page_size: usize) -> Page {
    println!("  GET {url}?page={page}");
    evloop::sleep(Duration::from_millis(50)).await;
    Page {
        page,
        items: (0..page_size).map(|i| format!("item-{i}")).collect(),
    }
}

/// The seed's `AsyncPaginator`: five pages of `page_size` items.
struct AsyncPaginator {
    url: String,
    page_size: usize,
    current_page: u32,
    has_more: bool,
    /// The API call in flight: what `__anext__` is awaiting, kept between polls.
    in_flight: Option<Pin<Box<dyn Future<Output = Page>>>>,
}

impl AsyncPaginator {
    fn new(url: &str, page_size: usize) -> AsyncPaginator {
        AsyncPaginator {
            url: url.to_string(),
            page_size,
            current_page: 0,
            has_more: true,
            in_flight: None,
        }
    }
}

impl Stream for AsyncPaginator {
    type Item = Page;

    /// `__anext__`.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Page>> {
        let this = self.get_mut(); // the paginator is Unpin: the call is boxed
        if !this.has_more {
            return Poll::Ready(None); // raise StopAsyncIteration
        }
        let call = this
            .in_flight
            .get_or_insert_with(|| Box::pin(fetch_page(this.url.clone(), this.current_page + 1, this.page_size)));
        let page = ready!(call.as_mut().poll(cx)); // await the API call
        this.in_flight = None;
        this.current_page = page.page;
        if this.current_page >= 5 {
            this.has_more = false; // simulate 5 pages
        }
        Poll::Ready(Some(page))
    }
}

/// An async generator, `async def pages(url): ... yield page`: a task that
/// fetches the pages one by one and sends them into a channel. The channel
/// holds one page, so the task fetches a little ahead, then waits for its
/// consumer.
/// Returns the receiving end (a `Stream`) and the task, to watch it stop.
fn pages(url: &str, page_size: usize) -> (channel::Receiver<Page>, evloop::Task<()>) {
    let (tx, rx) = channel::bounded(1);
    let url = url.to_string();
    let generator = evloop::spawn(async move {
        for n in 1..=5 {
            let page = fetch_page(url.clone(), n, page_size).await;
            if tx.send(page).await.is_err() {
                println!("generator: page {n} fetched, but the consumer is gone: stopping");
                return;
            }
        }
    });
    (rx, generator)
}

fn main() {
    evloop::run(async {
        println!("== async for page in paginator");
        let mut paginator = AsyncPaginator::new("https://api.example.com/items", 10);
        while let Some(page) = paginator.next().await {
            println!("Page {}: {} items", page.page, page.items.len());
        }

        println!("\n== stopping early: take(2)");
        let mut paginator = AsyncPaginator::new("https://api.example.com/items", 10);
        let first_two: Vec<u32> = (&mut paginator).take(2).map(|page| page.page).collect().await;
        println!("got pages {first_two:?}");
        println!(
            "pages requested: {} (a Stream does nothing until it is polled)",
            paginator.current_page
        );

        println!("\n== an async generator: a task feeding a channel");
        let (mut rx, generator) = pages("https://api.example.com/items", 10);
        while let Some(page) = rx.next().await {
            println!("Page {}: {} items", page.page, page.items.len());
        }
        generator.await.expect("the generator finished");
        println!("all pages received");

        println!("\n== the consumer stops after two pages");
        let (mut rx, generator) = pages("https://api.example.com/items", 10);
        for _ in 0..2 {
            if let Some(page) = rx.next().await {
                println!("Page {}: {} items", page.page, page.items.len());
            }
        }
        drop(rx); // like breaking out of `async for` and closing the generator
        generator.await.expect("the generator finished");
    });
}
