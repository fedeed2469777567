//! Feeds a function's operators to the translator straight from the decoder.
//!
//! wasmparser decodes an operator by calling the [`VisitOperator`] method of
//! its kind. Reading `Operator` values instead (`OperatorsReader::read`)
//! builds each one inside a `Result` and moves it out again, twice the
//! copies of a value of several words for every operator, which showed in
//! eager translation's profile. Here each visit method builds the operator
//! in place and lends it to [`Translator::op`](crate::translate).

use wasmparser::{Operator, VisitOperator, VisitSimdOperator};

/// Lends each visited operator to `op`, stopping at its first error.
pub(crate) struct Lend<F> {
    /// The translator's step.
    pub(crate) op: F,
}

macro_rules! lend_methods {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
                (self.op)(&Operator::$op $({ $($arg),* })?)
            }
        )*
    };
}

impl<'a, F: FnMut(&Operator<'a>) -> Result<(), String>> VisitOperator<'a> for Lend<F> {
    type Output = Result<(), String>;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(lend_methods);
}

impl<'a, F: FnMut(&Operator<'a>) -> Result<(), String>> VisitSimdOperator<'a> for Lend<F> {
    wasmparser::for_each_visit_simd_operator!(lend_methods);
}
