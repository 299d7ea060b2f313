//! One client connection: read what is there, answer every complete
//! request in it, write all the replies with one write.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use evloop::net::TcpStream;

use super::busy_poll::BusyPoll;
use super::commands::{Next, Store};
use super::protocol::{reply, Args, Parser};

const INITIAL_BUFFER: usize = 16 * 1024;

/// Serves `stream` until the client closes it or sends QUIT.
pub async fn serve(stream: TcpStream, store: Rc<RefCell<Store>>, busy: Option<Rc<BusyPoll>>) -> io::Result<()> {
    let mut buf = vec![0u8; INITIAL_BUFFER];
    let mut filled = 0;
    let mut out = Vec::with_capacity(INITIAL_BUFFER);
    let mut parser = Parser::new();
    let mut args = Args::new();
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0); // a request larger than the buffer
        }
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        if let Some(busy) = &busy {
            busy.activity();
        }
        let (used, next) = answer(
            &mut parser,
            &buf[..filled],
            &mut args,
            &mut store.borrow_mut(),
            &mut out,
        );
        buf.copy_within(used..filled, 0);
        filled -= used;
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if next == Next::Close {
            return Ok(());
        }
        if filled == 0 && buf.len() > INITIAL_BUFFER {
            buf = vec![0u8; INITIAL_BUFFER]; // give a big request's memory back
        }
    }
}

/// Answers every complete request at the front of `input`; returns how
/// many bytes were used.
pub fn answer(
    parser: &mut Parser,
    input: &[u8],
    args: &mut Args,
    store: &mut Store,
    out: &mut Vec<u8>,
) -> (usize, Next) {
    let mut pos = 0;
    while pos < input.len() {
        match parser.parse(&input[pos..], args) {
            Ok(Some(used)) => {
                pos += used;
                if !args.is_empty() && store.execute(args, out) == Next::Close {
                    return (pos, Next::Close);
                }
            }
            Ok(None) => break,
            Err(e) => {
                pos += e.consumed;
                reply::error(out, &format!("ERR {e}"));
            }
        }
    }
    (pos, Next::Continue)
}
