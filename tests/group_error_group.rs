//! ErrorGroup and `except*`: the seed's `might_fail` example.

use std::fmt;

use evloop::{BoxError, ErrorGroup};
use evloop_test_support::paused;

#[derive(Debug, PartialEq)]
struct ValueError(String);
impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ValueError {}

#[derive(Debug, PartialEq)]
struct TypeError(String);
impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TypeError {}

/// The seed's `might_fail`: multiples of 3 raise ValueError, of 5 TypeError.
async fn might_fail(n: u32) -> Result<u32, BoxError> {
    if n % 3 == 0 {
        return Err(Box::new(ValueError(format!("Bad value: {n}"))));
    }
    if n % 5 == 0 {
        return Err(Box::new(TypeError(format!("Wrong type: {n}"))));
    }
    Ok(n * 2)
}

fn run_might_fail() -> (ErrorGroup, Vec<Result<u32, evloop::TaskError>>) {
    paused().block_on(async {
        let handles = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let h = handles.clone();
        let err = evloop::task_group(|tg| async move {
            for i in 1..=15 {
                h.borrow_mut().push(tg.spawn(might_fail(i)));
            }
            Ok::<_, BoxError>(())
        })
        .await
        .unwrap_err();
        let mut results = Vec::new();
        let handles = std::mem::take(&mut *handles.borrow_mut());
        for t in handles {
            results.push(t.await);
        }
        (err, results)
    })
}

#[test]
fn might_fail_splits_into_both_kinds() {
    let (group, _) = run_might_fail();
    // All fifteen ran in the same tick, so every failure is reported, in completion order.
    assert_eq!(group.len(), 7);
    assert!(group.contains::<ValueError>() && group.contains::<TypeError>());
    assert!(!group.contains::<std::fmt::Error>());

    // except* ValueError as eg:
    let (values, rest) = group.split::<ValueError>();
    let values: Vec<String> = values.into_iter().map(|e| e.0).collect();
    assert_eq!(
        values,
        [
            "Bad value: 3",
            "Bad value: 6",
            "Bad value: 9",
            "Bad value: 12",
            "Bad value: 15"
        ]
    );
    // except* TypeError as eg:
    let (types, rest) = rest.expect("the TypeErrors are left").split::<TypeError>();
    let types: Vec<String> = types.into_iter().map(|e| e.0).collect();
    assert_eq!(types, ["Wrong type: 5", "Wrong type: 10"]);
    // except* Exception: nothing else.
    assert!(rest.is_none());
}

#[test]
fn might_fail_successes_keep_their_values() {
    let (_, results) = run_might_fail();
    for (n, r) in (1..=15).zip(results) {
        if n % 3 == 0 || n % 5 == 0 {
            assert!(
                r.unwrap_err().is_cancelled(),
                "a failed child's handle has no value: {n}"
            );
        } else {
            assert_eq!(r.unwrap(), n * 2);
        }
    }
}

#[test]
fn display_lists_one_error_per_line_in_completion_order() {
    let (group, _) = run_might_fail();
    let text = group.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "7 errors in task group:");
    assert_eq!(
        &lines[1..],
        [
            "  - Bad value: 3",
            "  - Wrong type: 5",
            "  - Bad value: 6",
            "  - Bad value: 9",
            "  - Wrong type: 10",
            "  - Bad value: 12",
            "  - Bad value: 15"
        ]
    );
    assert!(format!("{group:?}").starts_with("ErrorGroup"));
}

#[test]
fn iter_into_errors_and_len() {
    let (group, _) = run_might_fail();
    assert!(!group.is_empty());
    assert_eq!(group.iter().filter(|e| e.is::<TypeError>()).count(), 2);
    let errors = group.into_errors();
    assert_eq!(errors.len(), 7);
    assert_eq!(errors[1].to_string(), "Wrong type: 5");
    let empty = ErrorGroup::new(Vec::new());
    assert_eq!((empty.is_empty(), empty.len()), (true, 0));
    let (matched, rest) = empty.split::<ValueError>();
    assert!(matched.is_empty() && rest.is_none());
}

#[test]
fn it_is_a_plain_error() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<ErrorGroup>();
    let boxed: BoxError = ErrorGroup::new(vec!["x".into()]).into();
    assert_eq!(boxed.to_string(), "1 error in task group:\n  - x");
}
