//! The `#[evloop::test]` attribute. Use it through the facade crate, as
//! `#[evloop::test]`; its documentation and examples are there (`evloop::test`,
//! the attribute macro).
//!
//! Written with `proc_macro` alone, without `syn` or `quote`: all the macro
//! needs is to pick the parts of a function item out of its token trees
//! (attributes, visibility, `async`, name, parameters, return type, body) and
//! to put them back around a call to `::evloop::test::run_test`:
//!
//! ```text
//! #[evloop::test]                             #[should_panic]
//! #[should_panic]                             #[::core::prelude::v1::test]
//! async fn name() -> R { body }    =>         fn name() -> R {
//!                                                 async fn name() -> R { body }
//!                                                 ::evloop::test::run_test(name())
//!                                             }
//! ```
//!
//! The user's function stays intact as an inner `async fn` of the same name,
//! so its return type, `?` and `return` mean exactly what they say, and
//! errors in the body point at the user's code. `real_clock` swaps the call
//! for `::evloop::test::run_test_with(::evloop::EventLoop::builder(), name())`.
//!
//! Mistakes (not `async`, parameters, generics, an unknown option, a second
//! test attribute) become a `compile_error!` pointing at the offending tokens,
//! emitted next to the item as written (less any test attribute), so that no
//! follow-up errors pile up.
#![forbid(unsafe_code)]

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Runs an `async fn` as a test on a fresh evloop loop with a paused clock,
/// failing if the test leaves tasks running. Use it as `#[evloop::test]`; see
/// the documentation of `evloop::test` (the attribute) for details.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand(args, item.clone()) {
        Ok(expanded) => expanded,
        Err(error) => {
            // The error, and the item as it was (less any test attribute, which
            // would only add errors), so that nothing else breaks because of it.
            let mut out = error.into_compile_error();
            out.extend(without_test_attributes(item));
            out
        }
    }
}

/// A mistake in the attribute or the function, reported at `span`.
struct Error {
    span: Span,
    message: String,
}

impl Error {
    fn new(span: Span, message: impl Into<String>) -> Error {
        Error {
            span,
            message: message.into(),
        }
    }

    /// `::core::compile_error! { "message" }`, every token at `span`, so the
    /// compiler underlines the offending tokens.
    fn into_compile_error(self) -> TokenStream {
        let span = self.span;
        let mut message = Literal::string(&self.message);
        message.set_span(span);
        let mut tokens = path(&["core", "compile_error"], span);
        tokens.push(punct('!', Spacing::Alone, span));
        tokens.push(group(
            Delimiter::Brace,
            TokenStream::from(TokenTree::Literal(message)),
            span,
        ));
        tokens.into_iter().collect()
    }
}

/// The options inside `#[evloop::test(...)]`.
#[derive(Default)]
struct Options {
    real_clock: bool,
}

/// What the attribute needs of the function it is on.
struct TestFn {
    /// Every outer attribute (`#` and its `[...]`), doc comments included.
    attrs: Vec<TokenTree>,
    /// `pub`, `pub(crate)`, ... or nothing.
    vis: Vec<TokenTree>,
    name: Ident,
    /// `-> T`, or nothing.
    ret: Vec<TokenTree>,
    body: Group,
}

const USAGE: &str = "write `#[evloop::test] async fn name() { ... }`";

fn expand(args: TokenStream, item: TokenStream) -> Result<TokenStream, Error> {
    let options = parse_options(args)?;
    let f = parse_fn(item)?;
    let span = Span::call_site();
    let no_args = || group(Delimiter::Parenthesis, TokenStream::new(), span);

    // The user's function, without its attributes and visibility, becomes an
    // item inside the test function: `async fn name() -> R { body }`.
    let mut body = vec![
        TokenTree::Ident(Ident::new("async", span)),
        TokenTree::Ident(Ident::new("fn", span)),
        TokenTree::Ident(f.name.clone()),
        no_args(),
    ];
    body.extend(f.ret.iter().cloned());
    body.push(TokenTree::Group(f.body.clone()));

    // Then the call: `::evloop::test::run_test(name())`, or with `real_clock`
    // `::evloop::test::run_test_with(::evloop::EventLoop::builder(), name())`.
    let mut args = Vec::new();
    let runner = if options.real_clock {
        args.extend(path(&["evloop", "EventLoop", "builder"], span));
        args.push(no_args());
        args.push(punct(',', Spacing::Alone, span));
        "run_test_with"
    } else {
        "run_test"
    };
    args.push(TokenTree::Ident(f.name.clone()));
    args.push(no_args());
    body.extend(path(&["evloop", "test", runner], span));
    body.push(group(Delimiter::Parenthesis, args.into_iter().collect(), span));

    // `#[attrs] #[::core::prelude::v1::test] vis fn name() -> R { body }`
    let mut out = f.attrs;
    out.push(punct('#', Spacing::Alone, span));
    let test_attr = path(&["core", "prelude", "v1", "test"], span);
    out.push(group(Delimiter::Bracket, test_attr.into_iter().collect(), span));
    out.extend(f.vis);
    out.push(TokenTree::Ident(Ident::new("fn", span)));
    out.push(TokenTree::Ident(f.name));
    out.push(no_args());
    out.extend(f.ret);
    out.push(group(Delimiter::Brace, body.into_iter().collect(), f.body.span()));
    Ok(out.into_iter().collect())
}

fn parse_options(args: TokenStream) -> Result<Options, Error> {
    let mut options = Options::default();
    let mut tokens = args.into_iter();
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Ident(ident) if ident.to_string() == "real_clock" => {
                if options.real_clock {
                    return Err(Error::new(
                        ident.span(),
                        "`real_clock` is given twice in #[evloop::test(...)]; write it once",
                    ));
                }
                options.real_clock = true;
            }
            other => {
                return Err(Error::new(
                    other.span(),
                    format!(
                        "unknown option `{other}` in #[evloop::test(...)]: the only option is `real_clock` \
                         (run on a real clock instead of the paused one)"
                    ),
                ))
            }
        }
        match tokens.next() {
            None => break,
            Some(TokenTree::Punct(p)) if p.as_char() == ',' => {}
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {
                return Err(Error::new(
                    p.span(),
                    "`real_clock` takes no value: write `#[evloop::test(real_clock)]`, \
                     or `#[evloop::test]` for the paused clock",
                ))
            }
            Some(other) => {
                return Err(Error::new(
                    other.span(),
                    format!("expected `,` between options of #[evloop::test(...)], found `{other}`"),
                ))
            }
        }
    }
    Ok(options)
}

fn parse_fn(item: TokenStream) -> Result<TestFn, Error> {
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let mut i = 0;

    // Outer attributes: `#` followed by `[...]`.
    let mut attrs = Vec::new();
    while let (Some(TokenTree::Punct(hash)), Some(TokenTree::Group(g))) = (tokens.get(i), tokens.get(i + 1)) {
        if hash.as_char() != '#' || g.delimiter() != Delimiter::Bracket {
            break;
        }
        if let Some(name) = test_attribute(g) {
            return Err(Error::new(
                g.span(),
                format!(
                    "`#[{name}]` together with `#[evloop::test]`: `#[evloop::test]` already makes the function a \
                     test; remove `#[{name}]`"
                ),
            ));
        }
        attrs.extend_from_slice(&tokens[i..i + 2]);
        i += 2;
    }

    // Visibility: `pub` or `pub(...)`.
    let mut vis = Vec::new();
    if let Some(TokenTree::Ident(id)) = tokens.get(i) {
        if id.to_string() == "pub" {
            vis.push(tokens[i].clone());
            i += 1;
            if let Some(TokenTree::Group(g)) = tokens.get(i) {
                if g.delimiter() == Delimiter::Parenthesis {
                    vis.push(tokens[i].clone());
                    i += 1;
                }
            }
        }
    }

    // Qualifiers, then `fn`.
    let mut is_async = false;
    let fn_span = loop {
        match tokens.get(i) {
            Some(TokenTree::Ident(id)) if id.to_string() == "fn" => break id.span(),
            Some(TokenTree::Ident(id)) if id.to_string() == "async" => is_async = true,
            Some(other @ TokenTree::Ident(id)) if ["const", "unsafe", "extern"].contains(&&*id.to_string()) => {
                return Err(Error::new(
                    other.span(),
                    format!("#[evloop::test] takes a plain `async fn`: remove `{other}` ({USAGE})"),
                ))
            }
            Some(other @ TokenTree::Literal(_)) => {
                return Err(Error::new(
                    other.span(),
                    format!("#[evloop::test] takes a plain `async fn`: remove `extern {other}` ({USAGE})"),
                ))
            }
            Some(other) => {
                return Err(Error::new(
                    other.span(),
                    format!("#[evloop::test] goes on an `async fn`, not on this item; {USAGE}"),
                ))
            }
            None => {
                return Err(Error::new(
                    Span::call_site(),
                    format!("#[evloop::test] goes on an `async fn`; {USAGE}"),
                ))
            }
        }
        i += 1;
    };
    i += 1;
    if !is_async {
        return Err(Error::new(
            fn_span,
            "the function must be `async` to use #[evloop::test]: write `async fn`, \
             or use a plain `#[test]` for a synchronous test",
        ));
    }

    let name = match tokens.get(i) {
        Some(TokenTree::Ident(name)) => name.clone(),
        _ => {
            return Err(Error::new(
                fn_span,
                format!("expected the function's name after `fn`; {USAGE}"),
            ))
        }
    };
    i += 1;

    if let Some(TokenTree::Punct(p)) = tokens.get(i) {
        if p.as_char() == '<' {
            return Err(Error::new(
                p.span(),
                "a #[evloop::test] function cannot be generic: the test harness calls it without type \
                 arguments; remove the generic parameters (test each type in its own function)",
            ));
        }
    }

    match tokens.get(i) {
        Some(TokenTree::Group(params)) if params.delimiter() == Delimiter::Parenthesis => {
            if !params.stream().is_empty() {
                return Err(Error::new(
                    params.span(),
                    "a #[evloop::test] function takes no parameters: the test harness calls it with none; \
                     create fixtures inside the body instead (for example `let conn = db_connection().await;`)",
                ));
            }
        }
        _ => {
            return Err(Error::new(
                name.span(),
                format!("expected `()` after the function's name; {USAGE}"),
            ))
        }
    }
    i += 1;

    // Then `-> T` (if any) and the body, which is the last token tree.
    let body = match tokens.last() {
        Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace && tokens.len() > i => body.clone(),
        _ => return Err(Error::new(name.span(), format!("the function needs a body; {USAGE}"))),
    };
    let ret = tokens[i..tokens.len() - 1].to_vec();
    if let Some(kw) = ret
        .iter()
        .find(|t| matches!(t, TokenTree::Ident(id) if id.to_string() == "where"))
    {
        return Err(Error::new(
            kw.span(),
            "a #[evloop::test] function cannot be generic: the test harness calls it without type arguments; \
             remove the `where` clause",
        ));
    }

    Ok(TestFn {
        attrs,
        vis,
        name,
        ret,
        body,
    })
}

/// If the attribute `[...]` is a test attribute (`test`, `tokio::test`,
/// `evloop::test`, ...: a path ending in `test`), its path as written.
fn test_attribute(attr: &Group) -> Option<String> {
    let mut path = String::new();
    let mut last = String::new();
    for token in attr.stream() {
        match token {
            TokenTree::Ident(id) => {
                last = id.to_string();
                path.push_str(&last);
            }
            TokenTree::Punct(p) if p.as_char() == ':' => path.push(':'),
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => break,
            _ => return None,
        }
    }
    (last == "test").then_some(path)
}

/// `item` without its test attributes (`#[test]`, `#[tokio::test]`, ...).
fn without_test_attributes(item: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = item.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let (TokenTree::Punct(hash), Some(TokenTree::Group(g))) = (&tokens[i], tokens.get(i + 1)) {
            if hash.as_char() == '#' && g.delimiter() == Delimiter::Bracket && test_attribute(g).is_some() {
                i += 2;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out.into_iter().collect()
}

/// `::a::b::c`, every token at `span`.
fn path(segments: &[&str], span: Span) -> Vec<TokenTree> {
    let mut tokens = Vec::with_capacity(segments.len() * 3);
    for segment in segments {
        tokens.push(punct(':', Spacing::Joint, span));
        tokens.push(punct(':', Spacing::Alone, span));
        tokens.push(TokenTree::Ident(Ident::new(segment, span)));
    }
    tokens
}

fn punct(ch: char, spacing: Spacing, span: Span) -> TokenTree {
    let mut p = Punct::new(ch, spacing);
    p.set_span(span);
    TokenTree::Punct(p)
}

fn group(delimiter: Delimiter, stream: TokenStream, span: Span) -> TokenTree {
    let mut g = Group::new(delimiter, stream);
    g.set_span(span);
    TokenTree::Group(g)
}
