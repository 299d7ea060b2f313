//! The RESP server's unit tests (`cargo test --example resp_server`):
//! parser properties, a seeded fuzz of random and truncated input, and
//! requests over real sockets, one shard and two.

use std::rc::Rc;
use std::time::Duration;

use evloop::net::{TcpListener, TcpStream};
use evloop_test_support::{within, Rng};

use crate::commands::Store;
use crate::connection::{self, Stop};
use crate::protocol::{Args, Parser};
use crate::{expiry, protocol, routing, server};

/// Feeds `input` in one piece; returns the replies.
fn answer_all(input: &[u8]) -> Vec<u8> {
    answer_chunked(input, &mut |_| usize::MAX)
}

/// Feeds `input` in chunks of the sizes `chunk` picks, answering what is
/// complete after each, as the connection does.
fn answer_chunked(input: &[u8], chunk: &mut dyn FnMut(usize) -> usize) -> Vec<u8> {
    let (mut parser, mut args, mut store, mut out) = (Parser::new(), Args::new(), Store::new(), Vec::new());
    let mut buffered = Vec::new();
    let mut fed = 0;
    let mut rounds = 0;
    while fed < input.len() {
        let n = chunk(input.len() - fed).clamp(1, input.len() - fed);
        buffered.extend_from_slice(&input[fed..fed + n]);
        fed += n;
        let (used, stop) = connection::answer(&mut parser, &buffered, &mut args, &mut store, &mut out, usize::MAX);
        assert!(used <= buffered.len());
        buffered.drain(..used);
        if stop == Stop::Close {
            break;
        }
        rounds += 1;
        assert!(rounds <= input.len(), "no progress");
    }
    out
}

fn multibulk(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[test]
fn pipelined_multibulk_and_inline_requests_are_all_answered_in_order() {
    let mut input = Vec::new();
    input.extend(multibulk(&[b"PING"]));
    input.extend(b"PING\r\n");
    input.extend(multibulk(&[b"SET", b"k", b"v\r\nwith crlf"]));
    input.extend(multibulk(&[b"get", b"k"]));
    input.extend(b"SET n 41\r\nINCR n\r\nincr n\n");
    input.extend(b"ECHO \"two words\" \r\n");
    input.extend(multibulk(&[b"DEL", b"k", b"n", b"missing"]));
    input.extend(multibulk(&[b"GET", b"k"]));
    input.extend(b"\r\n"); // a blank line: no reply
    input.extend(multibulk(&[b"INCR", b"text"]));
    input.extend(multibulk(&[b"SET", b"text", b"abc"]));
    input.extend(multibulk(&[b"INCR", b"text"]));
    input.extend(multibulk(&[b"NOPE"]));
    input.extend(multibulk(&[b"GET"]));
    let expected =
        "+PONG\r\n+PONG\r\n+OK\r\n$12\r\nv\r\nwith crlf\r\n+OK\r\n:42\r\n:43\r\n$9\r\ntwo words\r\n:2\r\n$-1\r\n\
                    :1\r\n+OK\r\n-ERR value is not an integer or out of range\r\n-ERR unknown command 'NOPE'\r\n\
                    -ERR wrong number of arguments for 'get' command\r\n";
    assert_eq!(String::from_utf8_lossy(&answer_all(&input)), expected);
    // Byte by byte gives the same answers.
    assert_eq!(String::from_utf8_lossy(&answer_chunked(&input, &mut |_| 1)), expected);
}

#[test]
fn malformed_input_gets_a_protocol_error_and_the_connection_goes_on() {
    let cases: &[(&[u8], &str)] = &[
        (b"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\nGET\r\n", "-ERR Protocol error: expected '$', got 'G'\r\n"),
        (b"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$-3\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        (
            b"*1\r\n$3\r\nabcd\r\n",
            "-ERR Protocol error: expected CRLF after bulk data\r\n",
        ),
        (b"*99999999999\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        (
            b"ECHO \"open\r\n",
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (bad, error) in cases {
        let mut input = bad.to_vec();
        input.extend(b"PING\r\n");
        let expected = format!("{error}+PONG\r\n");
        assert_eq!(
            String::from_utf8_lossy(&answer_all(&input)),
            expected,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
        assert_eq!(
            String::from_utf8_lossy(&answer_chunked(&input, &mut |_| 1)),
            expected,
            "byte by byte: {:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // A line too long to be a request is refused without waiting for its end.
    let mut huge = vec![b'x'; protocol::MAX_INLINE + 10];
    huge.extend(b"\r\nPING\r\n");
    let expected = "-ERR Protocol error: too big inline request\r\n+PONG\r\n";
    let got = answer_all(&huge);
    assert!(got == expected.as_bytes(), "{:.200}", String::from_utf8_lossy(&got));
    let got = answer_chunked(&huge, &mut |_| 1000);
    assert!(
        got == expected.as_bytes(),
        "in pieces: {:.200}",
        String::from_utf8_lossy(&got)
    );
}

/// Bytes that exercise the parser's corners.
fn random_input(rng: &mut Rng, len: usize) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"*",
        b"$",
        b"\r\n",
        b"\n",
        b"\r",
        b"-1",
        b"0",
        b"1",
        b"2",
        b"3",
        b"17",
        b"99999999999999999999",
        b"PING",
        b"SET",
        b"GET",
        b"ECHO",
        b"INCR",
        b"DEL",
        b"QUIT",
        b" ",
        b"\"",
        b"'",
        b"\\",
        b"x",
        b"\xff",
    ];
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        if rng.below(4) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
    }
    out
}

#[test]
fn fuzz_random_and_truncated_input_never_panics_and_chunking_changes_nothing() {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    for round in 0..3000 {
        let len = rng.below(300);
        let mut input = random_input(&mut rng, len);
        // Sometimes a well-formed request, truncated anywhere.
        if round % 3 == 0 {
            let mut req = multibulk(&[b"SET", b"key", &vec![b'v'; rng.below(40)]]);
            req.truncate(rng.below(req.len() + 1));
            input.extend(req);
        }
        let whole = answer_all(&input);
        let mut split_rng = Rng::new(round as u64 + 1);
        let chunked = answer_chunked(&input, &mut |left| 1 + split_rng.below(left.min(16)));
        assert!(
            whole == chunked,
            "round {round}: chunking changed the answers for {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

/// Malformed lines whose error is found within the line itself.
fn garbage_line(rng: &mut Rng) -> Vec<u8> {
    let mut line: Vec<u8> = match rng.below(7) {
        0 => b"*abc".to_vec(),
        1 => b"*1\r\nGET".to_vec(),
        2 => b"*1\r\n$x".to_vec(),
        3 => b"*2\r\n$3\r\nabcd".to_vec(),
        4 => b"*99999999999".to_vec(),
        5 => b"ECHO \"unbalanced".to_vec(),
        _ => {
            // Junk that is no command: high bytes and protocol characters,
            // no line break, not starting with '*'.
            let mut junk = vec![0x80 | rng.next() as u8];
            for _ in 0..rng.below(30) {
                junk.push(match rng.below(4) {
                    0 => b"$:+-0123456789\" "[rng.below(16)],
                    _ => 0x80 | rng.next() as u8,
                });
            }
            junk
        }
    };
    line.extend(b"\r\n");
    line
}

fn garbage_then_echoes(rng: &mut Rng, echoes: usize) -> (Vec<u8>, Vec<u8>) {
    let mut input = Vec::new();
    for _ in 0..1 + rng.below(8) {
        input.extend(garbage_line(rng));
    }
    let mut expected_tail = Vec::new();
    for i in 0..echoes {
        let token = format!("tok{i}-{}", rng.next() % 1000);
        if i % 2 == 0 {
            input.extend(multibulk(&[b"ECHO", token.as_bytes()]));
        } else {
            input.extend(format!("ECHO {token}\r\n").as_bytes());
        }
        expected_tail.extend(format!("${}\r\n{token}\r\n", token.len()).as_bytes());
    }
    (input, expected_tail)
}

#[test]
fn fuzz_well_formed_requests_behind_garbage_still_get_answers() {
    let mut rng = Rng::new(42);
    for round in 0..2000 {
        let (input, expected_tail) = garbage_then_echoes(&mut rng, 5);
        let out = answer_all(&input);
        assert!(
            out.ends_with(&expected_tail),
            "round {round}: {:?} -> {:?}",
            String::from_utf8_lossy(&input),
            String::from_utf8_lossy(&out)
        );
        assert!(out.starts_with(b"-ERR"), "garbage is answered with an error first");
    }
}

/// A one-shard server on the running loop: its address and what its
/// connections share.
async fn start_server(options: server::Options) -> (std::net::SocketAddr, Rc<connection::Shared>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = server::start_shard(None, &options);
    let _server = evloop::spawn(server::accept_loop(listener, shared.clone()));
    (addr, shared)
}

/// Reads until `expected.len()` bytes arrived (or the server closed).
async fn read_n(stream: &TcpStream, n: usize) -> Vec<u8> {
    let mut got = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        match stream.read(&mut got[filled..]).await.unwrap() {
            0 => break,
            k => filled += k,
        }
    }
    got.truncate(filled);
    got
}

#[test]
fn over_a_socket_garbage_never_drops_the_connection_or_the_requests_behind_it() {
    within(Duration::from_secs(60), || {
        // With busy polling on and a small output bound: the answers must
        // not change.
        let lp = evloop::EventLoop::builder()
            .busy_poll(Duration::from_micros(50))
            .build()
            .unwrap();
        lp.block_on(async {
            let options = server::Options { max_output: 64 };
            let (addr, _) = start_server(options).await;
            let mut rng = Rng::new(7);
            for round in 0..50 {
                let client = TcpStream::connect(addr).await.unwrap();
                let (input, expected_tail) = garbage_then_echoes(&mut rng, 20);
                // What the server must answer: the same as the parser alone.
                let expected = answer_all(&input);
                assert!(expected.ends_with(&expected_tail));
                // Sent in random pieces, with the reader running alongside.
                let reader = {
                    let n = expected.len();
                    let client = Rc::new(client);
                    let c = client.clone();
                    (evloop::spawn(async move { read_n(&c, n).await }), client)
                };
                let mut fed = 0;
                while fed < input.len() {
                    let n = (1 + rng.below(64)).min(input.len() - fed);
                    reader.1.write_all(&input[fed..fed + n]).await.unwrap();
                    fed += n;
                    if rng.below(4) == 0 {
                        evloop::sleep(Duration::from_micros(200)).await;
                    }
                }
                let got = reader.0.await.unwrap();
                assert!(
                    got == expected,
                    "round {round}: {:?} != {:?}",
                    String::from_utf8_lossy(&got),
                    String::from_utf8_lossy(&expected)
                );
            }
        });
    });
}

#[test]
fn quit_answers_then_closes() {
    within(Duration::from_secs(20), || {
        evloop::run(async {
            let (addr, _) = start_server(server::Options::default()).await;
            let client = TcpStream::connect(addr).await.unwrap();
            client.write_all(b"PING\r\nQUIT\r\nPING\r\n").await.unwrap();
            let got = read_n(&client, 1000).await;
            assert_eq!(got, b"+PONG\r\n+OK\r\n");
        });
    });
}

#[test]
fn expiry_options_and_integer_replies() {
    let mut input = Vec::new();
    input.extend(b"SET a 1 PX 100000\r\nGET a\r\nSET a 2 NX\r\nSET b -5\r\nINCR b\r\nDECR b\r\nDECR b\r\n");
    input.extend(b"SET a 3 XX\r\nGET a\r\nSET c x PX 0\r\nEXISTS a b c\r\nDEL a b c\r\nDBSIZE\r\nSET d 1 EX\r\n");
    input.extend(multibulk(&[b"ECHO", &[b'z'; 1234]]));
    let mut expected = String::from(
        "+OK\r\n$1\r\n1\r\n$-1\r\n+OK\r\n:-4\r\n:-5\r\n:-6\r\n+OK\r\n$1\r\n3\r\n\
         -ERR invalid expire time in 'set' command\r\n:2\r\n:2\r\n:0\r\n-ERR syntax error\r\n$1234\r\n",
    );
    expected.push_str(&"z".repeat(1234));
    expected.push_str("\r\n");
    assert_eq!(String::from_utf8_lossy(&answer_all(&input)), expected);
}

/// Reads one RESP reply (simple, error, integer, bulk, or an array of
/// those) from the front of `buf`; returns it and its length.
fn one_reply(buf: &[u8]) -> Option<usize> {
    let nl = buf.iter().position(|&b| b == b'\n')?;
    match buf[0] {
        b'$' => {
            let len = protocol::parse_int(&buf[1..nl - 1]).unwrap();
            if len < 0 {
                Some(nl + 1)
            } else {
                let end = nl + 1 + len as usize + 2;
                (buf.len() >= end).then_some(end)
            }
        }
        b'*' => {
            let n = protocol::parse_int(&buf[1..nl - 1]).unwrap();
            let mut pos = nl + 1;
            for _ in 0..n.max(0) {
                pos += one_reply(&buf[pos..])?;
            }
            Some(pos)
        }
        _ => Some(nl + 1),
    }
}

// ---- backpressure -------------------------------------------------------

#[test]
fn answering_stops_at_the_output_bound_and_resumes_where_it_stopped() {
    let mut store = Store::new();
    let mut out = Vec::new();
    let (mut parser, mut args) = (Parser::new(), Args::new());
    let big = vec![b'v'; 100_000];
    store.execute(
        &{
            let mut a = Args::new();
            a.set([&b"SET"[..], b"big", &big]);
            a
        },
        &mut out,
    );
    out.clear();
    let input = b"GET big\r\n".repeat(10);
    let (used, stop) = connection::answer(&mut parser, &input, &mut args, &mut store, &mut out, 150_000);
    // Two replies pass the bound; the rest waits in the input.
    assert_eq!(stop, Stop::Flush);
    assert_eq!(used, 2 * b"GET big\r\n".len());
    assert!(out.len() < 150_000 + big.len() + 32);
    out.clear();
    let (used_rest, stop) =
        connection::answer(&mut parser, &input[used..], &mut args, &mut store, &mut out, usize::MAX);
    assert_eq!((used + used_rest, stop), (input.len(), Stop::NeedInput));
}

#[test]
fn a_client_that_pipelines_big_gets_and_does_not_read_holds_only_a_bounded_output() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let options = server::Options { max_output: 64 * 1024 };
            let (addr, shared) = start_server(options).await;
            let client = TcpStream::connect(addr).await.unwrap();
            let big = vec![b'x'; 1 << 20];
            client.write_all(&multibulk(&[b"SET", b"big", &big])).await.unwrap();
            assert_eq!(read_n(&client, 5).await, b"+OK\r\n");
            // 60 MiB of replies asked for; the client does not read yet.
            const GETS: usize = 60;
            client.write_all(&b"GET big\r\n".repeat(GETS)).await.unwrap();
            evloop::sleep(Duration::from_millis(200)).await;
            let held = shared.output_high_water.get();
            assert!(
                held <= 64 * 1024 + big.len() + 64,
                "the server held {held} bytes of output for one connection"
            );
            // Then it reads: every reply arrives, in full and in order.
            let reply = {
                let mut r = format!("${}\r\n", big.len()).into_bytes();
                r.extend_from_slice(&big);
                r.extend_from_slice(b"\r\n");
                r
            };
            let got = read_n(&client, GETS * reply.len()).await;
            assert_eq!(got.len(), GETS * reply.len());
            assert!(got.chunks(reply.len()).all(|r| r == reply));
            assert!(shared.output_high_water.get() <= 64 * 1024 + big.len() + 64);
        });
    });
}

// ---- the parser is linear -----------------------------------------------

#[test]
fn a_million_argument_request_in_seven_byte_pieces_parses_in_linear_time() {
    // Quadratic re-parsing would take hours here (≈150k reads, each
    // re-reading up to 7 MB); linear parsing takes well under a second.
    // `within` only guards against that hang; nothing is timed.
    const KEYS: usize = 1_000_000;
    let mut input = format!("*{}\r\n$3\r\nDEL\r\n", KEYS + 1).into_bytes();
    for _ in 0..KEYS {
        input.extend_from_slice(b"$1\r\nk\r\n");
    }
    input.extend_from_slice(b"PING\r\n");
    let got = within(Duration::from_secs(120), move || answer_chunked(&input, &mut |_| 7));
    assert_eq!(String::from_utf8_lossy(&got), ":0\r\n+PONG\r\n");
}

#[test]
fn a_long_line_trickling_in_byte_by_byte_is_still_found_whole() {
    // An inline request just under the limit, one byte per read: the
    // search for its end resumes where the previous read left it (instead
    // of restarting from the line's start) and must still find the end.
    let mut input = b"ECHO ".to_vec();
    input.extend(std::iter::repeat_n(b'a', protocol::MAX_INLINE - 10));
    input.extend_from_slice(b"\r\n");
    let got = within(Duration::from_secs(120), move || answer_chunked(&input, &mut |_| 1));
    assert!(got.starts_with(format!("${}\r\n", protocol::MAX_INLINE - 10).as_bytes()));
}

#[test]
fn a_big_bulk_value_in_seven_byte_pieces_over_a_socket_is_stored_whole() {
    within(Duration::from_secs(120), || {
        evloop::run(async {
            let (addr, _) = start_server(server::Options::default()).await;
            let client = TcpStream::connect(addr).await.unwrap();
            let value: Vec<u8> = (0..256 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
            let request = multibulk(&[b"SET", b"v", &value]);
            for piece in request.chunks(7) {
                client.write_all(piece).await.unwrap();
            }
            assert_eq!(read_n(&client, 5).await, b"+OK\r\n");
            client.write_all(b"GET v\r\n").await.unwrap();
            let mut expected = format!("${}\r\n", value.len()).into_bytes();
            expected.extend_from_slice(&value);
            expected.extend_from_slice(b"\r\n");
            assert!(read_n(&client, expected.len()).await == expected);
        });
    });
}

// ---- active expiry and DBSIZE -------------------------------------------

/// Runs `request` (inline) on `store`; returns the reply.
fn run(store: &mut Store, request: &str) -> String {
    let (mut parser, mut args, mut out) = (Parser::new(), Args::new(), Vec::new());
    let _ = connection::answer(
        &mut parser,
        format!("{request}\r\n").as_bytes(),
        &mut args,
        store,
        &mut out,
        usize::MAX,
    );
    String::from_utf8(out).unwrap()
}

#[test]
fn dbsize_counts_only_live_keys() {
    let mut store = Store::new();
    for i in 0..20_000 {
        run(&mut store, &format!("SET short{i} x PX 1"));
    }
    for i in 0..4 {
        run(&mut store, &format!("SET kept{i} x"));
    }
    run(&mut store, "SET later x PX 100000");
    std::thread::sleep(Duration::from_millis(5)); // the PX 1 keys are now expired
    assert_eq!(run(&mut store, "DBSIZE"), ":5\r\n");
    assert_eq!(store.stored_len(), 5, "DBSIZE reclaimed what it did not count");
}

#[test]
fn active_expiry_deletes_unread_expired_keys_in_bounded_slices() {
    let mut store = Store::new();
    for i in 0..20_000 {
        run(&mut store, &format!("SET short{i} x PX 1"));
    }
    run(&mut store, "SET kept x");
    run(&mut store, "SET later x PX 100000");
    std::thread::sleep(Duration::from_millis(5));
    // A zero budget still does one round: one sample, no more.
    assert_eq!(store.expire_some(Duration::ZERO), expiry::SAMPLE);
    assert_eq!(store.stored_len(), 20_002 - expiry::SAMPLE);
    // Ticks with the real budget get through the rest without any read.
    let mut ticks = 0;
    while store.stored_len() > 2 {
        store.expire_some(expiry::BUDGET);
        ticks += 1;
        assert!(ticks < 10_000, "active expiry makes no progress");
    }
    // The live keys are all still there.
    assert_eq!(run(&mut store, "EXISTS kept later"), ":2\r\n");
    // Almost every sample was expired, so a tick goes on past one round.
    assert!(ticks < 20_000 / expiry::SAMPLE, "{ticks} ticks");
}

#[test]
fn over_a_socket_the_expiry_task_reclaims_keys_nobody_reads() {
    within(Duration::from_secs(60), || {
        evloop::run(async {
            let (addr, shared) = start_server(server::Options::default()).await;
            let client = TcpStream::connect(addr).await.unwrap();
            let mut requests = Vec::new();
            for i in 0..5000 {
                requests.extend(format!("SET k{i} x PX 1\r\n").as_bytes());
            }
            requests.extend(b"SET kept x\r\n");
            client.write_all(&requests).await.unwrap();
            assert_eq!(read_n(&client, 5001 * 5).await.len(), 5001 * 5);
            for _ in 0..100 {
                if shared.store.borrow().stored_len() == 1 {
                    break;
                }
                evloop::sleep(expiry::TICK).await;
            }
            assert_eq!(shared.store.borrow().stored_len(), 1);
            client.write_all(b"DBSIZE\r\n").await.unwrap();
            assert_eq!(read_n(&client, 4).await, b":1\r\n");
        });
    });
}

// ---- shards: keys owned by one shard, reached from any ------------------

/// Keys owned by shard 0 and by shard 1 (of 2).
fn keys_owned_by(shard: usize, n: usize) -> Vec<String> {
    (0..)
        .map(|i| format!("key:{i}"))
        .filter(|k| routing::owner_of(k.as_bytes(), 2) == shard)
        .take(n)
        .collect()
}

/// Two shards, each with its own listener (so the test picks the shard a
/// connection lands on); `client` runs on a plain thread with the two
/// ports and gets the result.
fn with_two_shards<T: Send + 'static>(client: impl FnOnce([u16; 2]) -> T + Send + 'static) -> T {
    use std::sync::{Arc, Mutex};
    let ports = Arc::new(Mutex::new([0u16; 2]));
    let (stop_tx, stop_rx): (Vec<_>, Vec<_>) = (0..2).map(|_| futures::channel::oneshot::channel::<()>()).unzip();
    let stop_rx = Arc::new(Mutex::new(stop_rx.into_iter().map(Some).collect::<Vec<_>>()));
    let (bound_tx, bound_rx) = std::sync::mpsc::channel::<()>();
    let bound_tx = Arc::new(Mutex::new(bound_tx));
    let client = std::thread::spawn({
        let ports = ports.clone();
        move || {
            bound_rx.recv().unwrap();
            bound_rx.recv().unwrap();
            let ports = *ports.lock().unwrap();
            let result = client(ports);
            for stop in stop_tx {
                let _ = stop.send(());
            }
            result
        }
    });
    within(Duration::from_secs(60), move || {
        evloop::shard::run(2, move |me| {
            let (ports, bound_tx) = (ports.clone(), bound_tx.clone());
            let stop = stop_rx.lock().unwrap()[me.index()].take().unwrap();
            async move {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                ports.lock().unwrap()[me.index()] = listener.local_addr().unwrap().port();
                let shared = server::start_shard(Some(me), &server::Options::default());
                let server = evloop::spawn(server::accept_loop(listener, shared));
                bound_tx.lock().unwrap().send(()).unwrap();
                stop.await.unwrap();
                server.cancel();
            }
        })
    });
    client.join().unwrap()
}

/// Sends `request` on a blocking connection and reads `replies` replies.
fn ask(conn: &mut std::net::TcpStream, request: &str, replies: usize) -> String {
    use std::io::{Read, Write};
    conn.write_all(request.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let mut pos = 0;
        let mut complete = 0;
        while let Some(len) = (pos < got.len()).then(|| one_reply(&got[pos..])).flatten() {
            pos += len;
            complete += 1;
        }
        if complete >= replies {
            return String::from_utf8(got).unwrap();
        }
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "the server closed the connection");
        got.extend_from_slice(&buf[..n]);
    }
}

fn connect(port: u16) -> std::net::TcpStream {
    let conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    conn
}

#[test]
fn a_key_set_through_one_shard_is_read_through_the_other() {
    let zero = keys_owned_by(0, 3);
    let one = keys_owned_by(1, 3);
    let (a0, a1) = (&zero[0], &one[0]);
    let replies = with_two_shards({
        let (a0, a1) = (a0.clone(), a1.clone());
        move |ports| {
            let mut on0 = connect(ports[0]);
            let mut on1 = connect(ports[1]);
            let set = ask(&mut on0, &format!("SET {a1} owned-by-1\r\nSET {a0} owned-by-0\r\n"), 2);
            let get = ask(&mut on1, &format!("GET {a1}\r\nGET {a0}\r\n"), 2);
            let back = ask(&mut on0, &format!("GET {a1}\r\n"), 1);
            (set, get, back)
        }
    });
    assert_eq!(replies.0, "+OK\r\n+OK\r\n");
    assert_eq!(replies.1, "$10\r\nowned-by-1\r\n$10\r\nowned-by-0\r\n");
    assert_eq!(replies.2, "$10\r\nowned-by-1\r\n");
}

#[test]
fn pipelined_commands_on_both_shards_keep_their_order_and_multi_key_commands_gather() {
    let zero = keys_owned_by(0, 3);
    let one = keys_owned_by(1, 3);
    let got = with_two_shards({
        let (zero, one) = (zero.clone(), one.clone());
        move |ports| {
            let mut on0 = connect(ports[0]);
            // Local and remote commands interleaved in one pipeline.
            let mut pipeline = String::new();
            for i in 0..100 {
                let key = if i % 2 == 0 { &one[0] } else { &zero[0] };
                pipeline.push_str(&format!("INCR {key}\r\n"));
            }
            let incrs = ask(&mut on0, &pipeline, 100);
            let mut on1 = connect(ports[1]);
            let request = format!(
                "SET {z1} a\r\nSET {o1} b\r\nSET {o2} c PX 100000\r\nMGET {o1} {z1} nokey {o2} {z0}\r\n\
                 EXISTS {o1} {z1} {o1} nokey\r\nDBSIZE\r\nDEL {o1} {z1} {o2} nokey\r\nMGET {o1} {z1}\r\nDBSIZE\r\n",
                z0 = zero[0],
                z1 = zero[1],
                o1 = one[1],
                o2 = one[2],
            );
            let rest = ask(&mut on1, &request, 9);
            let flushed = ask(&mut on0, "FLUSHALL\r\nDBSIZE\r\n", 2);
            (incrs, rest, flushed)
        }
    });
    let expected_incrs: String = (1..=50)
        .flat_map(|n| [format!(":{n}\r\n"), format!(":{n}\r\n")])
        .collect();
    assert_eq!(got.0, expected_incrs, "replies in the order of the requests");
    assert_eq!(
        got.1,
        "+OK\r\n+OK\r\n+OK\r\n*5\r\n$1\r\nb\r\n$1\r\na\r\n$-1\r\n$1\r\nc\r\n$2\r\n50\r\n\
         :3\r\n:5\r\n:3\r\n*2\r\n$-1\r\n$-1\r\n:2\r\n"
    );
    assert_eq!(got.2, "+OK\r\n:0\r\n");
}
