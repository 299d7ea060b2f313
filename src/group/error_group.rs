//! `ErrorGroup`: every error of a task group (Python's `ExceptionGroup`).

use std::error::Error;
use std::fmt;

use crate::BoxError;

/// The errors of a [`task_group`](crate::task_group), in the order the
/// children failed, then the body's error (if any) last — Python's
/// `ExceptionGroup`.
///
/// [`split`](Self::split) is `except* E`: it takes out every error of type
/// `E` (looking inside nested groups too) and leaves the rest as a smaller
/// group.
///
/// ```
/// use evloop::{BoxError, ErrorGroup};
///
/// #[derive(Debug)]
/// struct ValueError(u32);
/// impl std::fmt::Display for ValueError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "Bad value: {}", self.0)
///     }
/// }
/// impl std::error::Error for ValueError {}
///
/// let group = ErrorGroup::new(vec![
///     Box::new(ValueError(3)) as BoxError,
///     "Wrong type: 5".into(),
///     Box::new(ValueError(6)),
/// ]);
/// assert_eq!(group.to_string(), "3 errors in task group:\n  - Bad value: 3\n  - Wrong type: 5\n  - Bad value: 6");
/// assert!(group.contains::<ValueError>());
///
/// // except* ValueError as eg: ...
/// let (values, rest) = group.split::<ValueError>();
/// assert_eq!(values.iter().map(|e| e.0).collect::<Vec<_>>(), [3, 6]);
/// let rest = rest.expect("the other error stays in a group");
/// assert_eq!(rest.len(), 1);
/// assert_eq!(rest.iter().next().unwrap().to_string(), "Wrong type: 5");
/// ```
pub struct ErrorGroup {
    errors: Vec<BoxError>,
}

impl ErrorGroup {
    /// A group of `errors`, kept in the order given.
    pub fn new(errors: Vec<BoxError>) -> ErrorGroup {
        ErrorGroup { errors }
    }

    /// How many errors the group holds (nested groups count as one).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// True if the group holds no error (a `task_group` never returns one).
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors, in order.
    pub fn iter(&self) -> impl Iterator<Item = &BoxError> + '_ {
        self.errors.iter()
    }

    /// The errors, in order.
    pub fn into_errors(self) -> Vec<BoxError> {
        self.errors
    }

    /// True if some error is an `E`, here or in a nested group.
    pub fn contains<E: Error + 'static>(&self) -> bool {
        self.errors.iter().any(|e| {
            e.is::<E>()
                || e.downcast_ref::<ErrorGroup>()
                    .is_some_and(|nested| nested.contains::<E>())
        })
    }

    /// `except* E`: takes out every error that is an `E`, in order, looking
    /// inside nested groups too; the rest stays a group (with nested groups
    /// kept nested), or `None` if nothing is left.
    pub fn split<E: Error + 'static>(self) -> (Vec<E>, Option<ErrorGroup>) {
        let mut matched = Vec::new();
        let rest = self.split_into(&mut matched);
        (matched, rest)
    }

    fn split_into<E: Error + 'static>(self, matched: &mut Vec<E>) -> Option<ErrorGroup> {
        let mut rest = Vec::new();
        for err in self.errors {
            match err.downcast::<E>() {
                Ok(e) => matched.push(*e),
                Err(err) => match err.downcast::<ErrorGroup>() {
                    Ok(nested) => {
                        if let Some(left) = nested.split_into(matched) {
                            rest.push(Box::new(left) as BoxError);
                        }
                    }
                    Err(err) => rest.push(err),
                },
            }
        }
        (!rest.is_empty()).then_some(ErrorGroup { errors: rest })
    }
}

impl From<Vec<BoxError>> for ErrorGroup {
    fn from(errors: Vec<BoxError>) -> ErrorGroup {
        ErrorGroup::new(errors)
    }
}

impl IntoIterator for ErrorGroup {
    type Item = BoxError;
    type IntoIter = std::vec::IntoIter<BoxError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a ErrorGroup {
    type Item = &'a BoxError;
    type IntoIter = std::slice::Iter<'a, BoxError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

/// `N error(s) in task group:`, then one error per line (`  - ...`);
/// the lines of a multi-line error, such as a nested group, are indented.
impl fmt::Display for ErrorGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "{n} error{} in task group:", if n == 1 { "" } else { "s" })?;
        for err in &self.errors {
            let text = err.to_string();
            let mut lines = text.lines();
            write!(f, "\n  - {}", lines.next().unwrap_or(""))?;
            for line in lines {
                write!(f, "\n    {line}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ErrorGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorGroup").field("errors", &self.errors).finish()
    }
}

impl Error for ErrorGroup {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct A(u32);
    impl fmt::Display for A {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a{}", self.0)
        }
    }
    impl Error for A {}

    #[test]
    fn split_looks_into_nested_groups_and_keeps_the_rest_nested() {
        let inner = ErrorGroup::new(vec![Box::new(A(2)), "x".into()]);
        let only_a = ErrorGroup::new(vec![Box::new(A(3))]);
        let g = ErrorGroup::new(vec![Box::new(A(1)), Box::new(inner), Box::new(only_a), "y".into()]);
        assert!(g.contains::<A>());
        assert_eq!(
            g.to_string(),
            "4 errors in task group:\n  - a1\n  - 2 errors in task group:\n      - a2\n      - x\n  \
             - 1 error in task group:\n      - a3\n  - y"
        );
        let (a, rest) = g.split::<A>();
        assert_eq!(a, [A(1), A(2), A(3)]);
        let rest = rest.unwrap();
        assert_eq!(rest.len(), 2, "the nested group with what is left, and y");
        assert!(!rest.contains::<A>());
        let nested = rest.iter().next().unwrap().downcast_ref::<ErrorGroup>().unwrap();
        assert_eq!(nested.len(), 1);
        let (none, all) = rest.split::<std::fmt::Error>();
        assert!(none.is_empty());
        assert_eq!(all.unwrap().len(), 2);
    }

    #[test]
    fn split_of_everything_leaves_nothing() {
        let g = ErrorGroup::new(vec![Box::new(A(1)), Box::new(A(2))]);
        let (a, rest) = g.split::<A>();
        assert_eq!(a.len(), 2);
        assert!(rest.is_none());
        fn assert_error<T: Error + Send + Sync + 'static>() {}
        assert_error::<ErrorGroup>();
    }
}
