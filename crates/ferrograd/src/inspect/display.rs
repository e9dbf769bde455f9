//! Printing a tensor the way the original design (and PyTorch) does:
//! `tensor([[ 9.000  4.000  8.000]`, next rows aligned below, then `grad_fn=<AddBackward>)`.

use std::fmt;

use ndarray::{ArrayViewD, Axis};

use crate::autograd::Tensor;
use crate::kernels::Element;

/// Tensors with more elements than this print only the first and last [`EDGE`] entries of each
/// long axis, with `...` between, as NumPy does.
const SUMMARY_THRESHOLD: usize = 1000;
const EDGE: usize = 3;

impl<T: Element> fmt::Display for Tensor<T> {
    /// `{}` prints three decimals; `{:.N}` prints `N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data();
        let layout = Layout {
            precision: f.precision().unwrap_or(3),
            summarize: data.len() > SUMMARY_THRESHOLD,
            width: 0,
        };
        let mut width = 0;
        layout.visit(data.view(), &mut |s| width = width.max(s.len()));
        let layout = Layout { width, ..layout };
        let mut body = String::new();
        layout.write(data.view(), "tensor(".len() + 1, &mut body);
        write!(f, "tensor({body}")?;
        match self.grad_fn_name() {
            Some(name) => write!(f, ", grad_fn={name})"),
            None if self.needs_grad() => write!(f, ", requires_grad=True)"),
            None => write!(f, ")"),
        }
    }
}

impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

struct Layout {
    precision: usize,
    summarize: bool,
    width: usize,
}

impl Layout {
    fn format<T: Element>(&self, value: T) -> String {
        format!("{:.*}", self.precision, value)
    }

    /// The indices of an axis of length `len` that are shown; `None` marks the `...`.
    fn shown(&self, len: usize) -> Vec<Option<usize>> {
        if self.summarize && len > 2 * EDGE {
            (0..EDGE)
                .map(Some)
                .chain([None])
                .chain((len - EDGE..len).map(Some))
                .collect()
        } else {
            (0..len).map(Some).collect()
        }
    }

    /// Calls `f` with every shown element's text.
    fn visit<T: Element>(&self, view: ArrayViewD<T>, f: &mut impl FnMut(&str)) {
        if view.ndim() == 0 {
            return f(&self.format(view[[]]));
        }
        for i in self.shown(view.len_of(Axis(0))).into_iter().flatten() {
            self.visit(view.index_axis(Axis(0), i), f);
        }
    }

    /// Writes `view` as nested brackets; `column` is where its opening bracket's contents start.
    fn write<T: Element>(&self, view: ArrayViewD<T>, column: usize, out: &mut String) {
        if view.ndim() == 0 {
            out.push_str(&format!("{:>1$}", self.format(view[[]]), self.width));
            return;
        }
        let separator = if view.ndim() == 1 {
            " ".to_string()
        } else {
            "\n".repeat(view.ndim() - 1) + &" ".repeat(column)
        };
        out.push('[');
        for (k, index) in self.shown(view.len_of(Axis(0))).into_iter().enumerate() {
            if k > 0 {
                out.push_str(&separator);
            }
            match index {
                Some(i) => self.write(view.index_axis(Axis(0), i), column + 1, out),
                None => out.push_str("..."),
            }
        }
        out.push(']');
    }
}
