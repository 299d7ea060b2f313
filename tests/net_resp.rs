//! The RESP server of examples/resp_server: parser properties, a seeded
//! fuzz of random and truncated input, and requests over real sockets.

mod support;

#[allow(dead_code)]
#[path = "../examples/resp_server/busy_poll.rs"]
mod busy_poll;
#[allow(dead_code)]
#[path = "../examples/resp_server/commands.rs"]
mod commands;
#[allow(dead_code)]
#[path = "../examples/resp_server/connection.rs"]
mod connection;
#[allow(dead_code)]
#[path = "../examples/resp_server/expiry.rs"]
mod expiry;
#[allow(dead_code)]
#[path = "../examples/resp_server/protocol.rs"]
mod protocol;
#[allow(dead_code)]
#[path = "../examples/resp_server/routing.rs"]
mod routing;
#[allow(dead_code)]
#[path = "../examples/resp_server/server.rs"]
mod server;

use std::rc::Rc;
use std::time::Duration;

use commands::Store;
use connection::Stop;
use evloop::net::{TcpListener, TcpStream};
use protocol::{Args, Parser};
use support::within;

/// xorshift64*: seeded, reproducible, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

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
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
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
        let mut split_rng = Rng(round as u64 + 1);
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
    let mut rng = Rng(42);
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
        evloop::run(async {
            // With busy polling on and a small output bound: the answers
            // must not change.
            let options = server::Options {
                busy_poll: Some(Duration::from_micros(50)),
                max_output: 64,
            };
            let (addr, _) = start_server(options).await;
            let mut rng = Rng(7);
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
