//! RESP2, the Redis protocol: request parsing and reply encoding.
//!
//! Requests come in two forms:
//! - multibulk: `*<n>\r\n` then `n` times `$<len>\r\n<bytes>\r\n`;
//! - inline: a line of space-separated words (`PING\r\n`), as typed in
//!   telnet; double or single quotes group words, `\` escapes inside
//!   double quotes.
//!
//! The parser is incremental (see [`Parser`]): however a request is split
//! into reads, parsing it costs time linear in its size.
//!
//! Malformed input gives a [`ProtocolError`] telling how many bytes to drop:
//! the rest of the offending line. The connection answers
//! `-ERR Protocol error: ...` and goes on with what follows, so requests
//! behind the garbage are still served (Redis itself closes the
//! connection instead). A line that has not ended yet is skipped when it
//! does.

use std::fmt;

/// Longest inline request or `*`/`$` header line, as in Redis.
pub const MAX_INLINE: usize = 64 * 1024;
/// Most arguments in one multibulk request, as in Redis.
pub const MAX_ARGS: i64 = 1024 * 1024;
/// Largest bulk argument, as in Redis.
pub const MAX_BULK: i64 = 512 * 1024 * 1024;

/// The arguments of one request, in one reusable buffer.
#[derive(Default, Debug)]
pub struct Args {
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl Args {
    pub fn new() -> Args {
        Args::default()
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`-th argument.
    pub fn get(&self, i: usize) -> &[u8] {
        let (start, end) = self.spans[i];
        &self.data[start..end]
    }

    /// Every argument, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans.iter().map(|&(start, end)| &self.data[start..end])
    }

    /// Replaces the arguments with `parts`.
    pub fn set<'a>(&mut self, parts: impl IntoIterator<Item = &'a [u8]>) {
        self.clear();
        for part in parts {
            self.push(part);
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.spans.clear();
    }

    fn push(&mut self, arg: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(arg);
        self.spans.push((start, self.data.len()));
    }

    /// Starts an argument built byte by byte (inline quoting).
    fn begin(&mut self) {
        let at = self.data.len();
        self.spans.push((at, at));
    }

    fn push_byte(&mut self, b: u8) {
        self.data.push(b);
        self.spans.last_mut().expect("begin first").1 = self.data.len();
    }
}

/// Malformed input: reply with the message, drop `consumed` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub consumed: usize,
    pub message: String,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Protocol error: {}", self.message)
    }
}

/// What one call to [`Parser::parse`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Bytes used from the front of the buffer; the caller drops them and
    /// hands the parser only what follows.
    pub used: usize,
    /// True: `args` holds a complete request (empty: nothing to answer —
    /// a blank line, `*0`, the rest of a bad line). False: more input is
    /// needed; what was used is kept in the parser and `args`.
    pub complete: bool,
}

/// An incremental request parser: every byte is looked at a bounded
/// number of times however the input is split into reads, so a request
/// that trickles in costs linear time.
///
/// A multibulk request is taken apart as it arrives: each complete bulk
/// argument is moved into `args` and reported as used, and the parser
/// remembers how many are still to come. A line whose end has not arrived
/// (a header, an inline request) is not used, but the parser remembers how
/// far it searched it for a line break, and resumes there.
#[derive(Default, Debug)]
pub struct Parser {
    /// The rest of a bad line is being dropped.
    skipping_line: bool,
    /// Inside a multibulk request: arguments still to come.
    remaining: usize,
    /// How far past the start of the pending (unfinished) line the search
    /// for its line break has gone.
    scanned: usize,
}

impl Parser {
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Parses from the front of `buf`, which starts where the previous
    /// call's `used` bytes ended. `args` must be the same between calls
    /// while a request is incomplete; it is cleared when a new one starts.
    /// On `Err(e)`, drop `e.consumed > 0` bytes: the request is abandoned.
    pub fn parse(&mut self, buf: &[u8], args: &mut Args) -> Result<Step, ProtocolError> {
        if self.skipping_line {
            args.clear();
            return Ok(match find_newline(buf, 0) {
                Some(nl) => {
                    self.skipping_line = false;
                    Step::complete(nl + 1)
                }
                None => Step::more(buf.len()),
            });
        }
        if self.remaining > 0 {
            return self.parse_bulks(buf, 0, args);
        }
        args.clear();
        if buf.is_empty() {
            return Ok(Step::more(0));
        }
        if buf[0] == b'*' {
            self.parse_multibulk(buf, args)
        } else {
            self.parse_inline(buf, args)
        }
    }

    fn error(&mut self, buf: &[u8], from: usize, message: impl Into<String>) -> ProtocolError {
        self.remaining = 0;
        self.scanned = 0;
        let consumed = match find_newline(buf, from) {
            Some(nl) => nl + 1,
            None => {
                self.skipping_line = true;
                buf.len()
            }
        };
        ProtocolError {
            consumed: consumed.max(1),
            message: message.into(),
        }
    }

    fn parse_multibulk(&mut self, buf: &[u8], args: &mut Args) -> Result<Step, ProtocolError> {
        let Some((count, next)) = self.header_line(buf, 0, "multibulk count")? else {
            return Ok(Step::more(0));
        };
        if count > MAX_ARGS {
            return Err(self.error(buf, 0, "invalid multibulk length"));
        }
        if count <= 0 {
            return Ok(Step::complete(next));
        }
        self.remaining = count as usize;
        self.parse_bulks(buf, next, args)
    }

    /// The bulk arguments of a multibulk request, from `pos`.
    fn parse_bulks(&mut self, buf: &[u8], mut pos: usize, args: &mut Args) -> Result<Step, ProtocolError> {
        while self.remaining > 0 {
            if pos >= buf.len() {
                return Ok(Step::more(pos));
            }
            if buf[pos] != b'$' {
                let got = printable(buf[pos]);
                return Err(self.error(buf, pos, format!("expected '$', got '{got}'")));
            }
            let Some((len, data)) = self.header_line(buf, pos, "bulk length")? else {
                return Ok(Step::more(pos));
            };
            if !(0..=MAX_BULK).contains(&len) {
                return Err(self.error(buf, pos, "invalid bulk length"));
            }
            let end = data + len as usize;
            if buf.len() < end + 2 {
                // The header is re-read when more data comes: a few bytes.
                return Ok(Step::more(pos));
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(self.error(buf, end, "expected CRLF after bulk data"));
            }
            args.push(&buf[data..end]);
            self.remaining -= 1;
            pos = end + 2;
        }
        Ok(Step::complete(pos))
    }

    /// Where the line starting at `at` ends (its `\n`), resuming the search
    /// where the previous call left it; `None` if it has not ended yet
    /// (then the caller must report `used = at`).
    fn line_end(&mut self, buf: &[u8], at: usize) -> Option<usize> {
        match find_newline(buf, at + self.scanned) {
            Some(nl) => {
                self.scanned = 0;
                Some(nl)
            }
            None => {
                self.scanned = buf.len() - at;
                None
            }
        }
    }

    /// A `*<n>\r\n` or `$<n>\r\n` line at `at`: the number and where the
    /// next line starts; `None` if the line has not ended yet.
    fn header_line(&mut self, buf: &[u8], at: usize, what: &str) -> Result<Option<(i64, usize)>, ProtocolError> {
        let nl = match self.line_end(buf, at) {
            Some(nl) if nl - at <= MAX_INLINE => nl,
            _ if buf.len() - at > MAX_INLINE => return Err(self.error(buf, at, format!("too big {what} line"))),
            _ => return Ok(None),
        };
        let digits = if nl > at && buf[nl - 1] == b'\r' {
            &buf[at + 1..nl - 1]
        } else {
            &[][..]
        };
        match parse_int(digits) {
            Some(n) => Ok(Some((n, nl + 1))),
            None => {
                let message = if what == "multibulk count" {
                    "invalid multibulk length"
                } else {
                    "invalid bulk length"
                };
                Err(self.error(buf, at, message))
            }
        }
    }

    fn parse_inline(&mut self, buf: &[u8], args: &mut Args) -> Result<Step, ProtocolError> {
        let nl = match self.line_end(buf, 0) {
            Some(nl) if nl <= MAX_INLINE => nl,
            // Too long whether or not its end has arrived: the verdict must
            // not depend on how the bytes were split into reads.
            _ if buf.len() > MAX_INLINE => return Err(self.error(buf, 0, "too big inline request")),
            _ => return Ok(Step::more(0)),
        };
        let line = &buf[..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if split_inline(line, args).is_err() {
            args.clear();
            return Err(ProtocolError {
                consumed: nl + 1,
                message: "unbalanced quotes in request".into(),
            });
        }
        Ok(Step::complete(nl + 1))
    }
}

impl Step {
    fn complete(used: usize) -> Step {
        Step { used, complete: true }
    }

    fn more(used: usize) -> Step {
        Step { used, complete: false }
    }
}

/// Splits an inline request into words, honouring quotes.
fn split_inline(line: &[u8], args: &mut Args) -> Result<(), ()> {
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            break;
        }
        args.begin();
        match line[i] {
            quote @ (b'"' | b'\'') => {
                i += 1;
                loop {
                    let Some(&b) = line.get(i) else {
                        return Err(()); // no closing quote
                    };
                    i += 1;
                    if b == quote {
                        break;
                    }
                    if b == b'\\' && quote == b'"' {
                        let Some(&escaped) = line.get(i) else {
                            return Err(());
                        };
                        i += 1;
                        args.push_byte(match escaped {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            other => other,
                        });
                    } else {
                        args.push_byte(b);
                    }
                }
                // A closing quote must end the word.
                if i < line.len() && !line[i].is_ascii_whitespace() {
                    return Err(());
                }
            }
            _ => {
                while i < line.len() && !line[i].is_ascii_whitespace() {
                    args.push_byte(line[i]);
                    i += 1;
                }
            }
        }
    }
    Ok(())
}

fn find_newline(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?.iter().position(|&b| b == b'\n').map(|i| from + i)
}

/// A decimal integer with an optional minus sign, nothing else.
pub fn parse_int(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add((d - b'0') as i64)?;
    }
    Some(if negative { -n } else { n })
}

fn printable(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '?'
    }
}

/// Reply encoders.
pub mod reply {
    pub fn simple(out: &mut Vec<u8>, s: &str) {
        out.push(b'+');
        out.extend_from_slice(s.as_bytes());
        out.extend_from_slice(b"\r\n");
    }

    pub fn error(out: &mut Vec<u8>, message: &str) {
        out.push(b'-');
        // A reply line cannot hold a line break.
        out.extend(message.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        out.extend_from_slice(b"\r\n");
    }

    pub fn integer(out: &mut Vec<u8>, n: i64) {
        out.push(b':');
        if n < 0 {
            out.push(b'-');
        }
        decimal(out, n.unsigned_abs());
        out.extend_from_slice(b"\r\n");
    }

    pub fn bulk(out: &mut Vec<u8>, data: &[u8]) {
        out.push(b'$');
        decimal(out, data.len() as u64);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    pub fn null(out: &mut Vec<u8>) {
        out.extend_from_slice(b"$-1\r\n");
    }

    pub fn array_len(out: &mut Vec<u8>, n: usize) {
        out.push(b'*');
        decimal(out, n as u64);
        out.extend_from_slice(b"\r\n");
    }

    /// `n` in decimal, without going through `fmt` (this is the hot path
    /// of every bulk reply).
    fn decimal(out: &mut Vec<u8>, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[i..]);
    }
}
