//! Every way an operation can be misused: the panicking form names what went wrong (with both
//! shapes for binary operations) and the `try_` form returns the matching [`TensorError`].

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use ferrograd::{Tensor, TensorError, broadcast_grad_accumulate, no_grad};
use ndarray::{ArrayD, IxDyn, array};

thread_local! {
    /// The file of the last panic on this test's thread.
    static PANIC_FILE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The message `f` panics with, after checking that the panic points at the caller's line in
/// this file (the public operations are `#[track_caller]`), not inside the library.
#[track_caller]
fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_string());
            PANIC_FILE.with(|slot| *slot.borrow_mut() = file);
            default(info);
        }));
    });
    let payload = catch_unwind(AssertUnwindSafe(f))
        .err()
        .expect("expected a panic");
    let file = PANIC_FILE.with(|slot| slot.borrow_mut().take());
    assert_eq!(file.as_deref(), Some(file!()), "the panic's location");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a string message")
}

fn ones(shape: &[usize]) -> Tensor<f64> {
    Tensor::ones(shape).requires_grad()
}

// ---------------------------------------------------------------- broadcasting

#[test]
fn binary_ops_report_both_shapes() {
    let (a, b) = (ones(&[2, 3]), ones(&[2]));
    type Op = fn(&Tensor<f64>, &Tensor<f64>) -> Tensor<f64>;
    let ops: [(&str, Op, Op); 4] = [
        ("add", |a, b| a.add(b), |a, b| a + b),
        ("sub", |a, b| a.sub(b), |a, b| a - b),
        ("mul", |a, b| a.mul(b), |a, b| a * b),
        ("div", |a, b| a.div(b), |a, b| a / b),
    ];
    for (name, method, operator) in ops {
        let expected = format!("{name}: shapes [2, 3] and [2] cannot be broadcast together");
        assert_eq!(panic_message(|| method(&a, &b)), expected);
        assert_eq!(panic_message(|| operator(&a, &b)), expected);
        let reversed = format!("{name}: shapes [2] and [2, 3] cannot be broadcast together");
        assert_eq!(panic_message(|| operator(&b, &a)), reversed);
    }
}

#[test]
fn try_binary_ops_return_broadcast_errors() {
    let (a, b) = (ones(&[4, 1, 3]), ones(&[2, 4]));
    let error = |op| TensorError::Broadcast {
        op,
        lhs: vec![4, 1, 3],
        rhs: vec![2, 4],
    };
    assert_eq!(a.try_add(&b).unwrap_err(), error("add"));
    assert_eq!(a.try_sub(&b).unwrap_err(), error("sub"));
    assert_eq!(a.try_mul(&b).unwrap_err(), error("mul"));
    assert_eq!(a.try_div(&b).unwrap_err(), error("div"));
    // Compatible shapes succeed.
    assert_eq!(
        a.try_add(&ones(&[2, 1, 1, 3])).unwrap().shape(),
        vec![2, 4, 1, 3]
    );
}

#[test]
#[should_panic(expected = "mul: shapes [3] and [4] cannot be broadcast together")]
fn operator_with_mismatched_shapes_panics() {
    let _ = &ones(&[3]) * &ones(&[4]);
}

#[test]
fn broadcast_grad_accumulate_rejects_shapes_that_do_not_broadcast() {
    let grad = ArrayD::<f64>::ones(IxDyn(&[2, 3]));
    assert_eq!(
        panic_message(|| broadcast_grad_accumulate(&[2], &grad)),
        "broadcast_grad_accumulate: gradient of shape [2, 3] does not fit a tensor of shape [2]"
    );
    // A shape that broadcasts to something larger than the gradient does not fit either.
    assert!(panic_message(|| broadcast_grad_accumulate(&[4, 2, 3], &grad)).contains("[4, 2, 3]"));
}

// ---------------------------------------------------------------- matmul

#[test]
fn matmul_reports_both_shapes() {
    let cases: [(&[usize], &[usize]); 4] = [
        (&[2, 3], &[2, 3]),
        (&[3], &[3, 2]),
        (&[2, 3], &[3]),
        (&[1, 2, 3], &[3, 2]),
    ];
    for (lhs, rhs) in cases {
        let (a, b) = (ones(lhs), ones(rhs));
        let error = TensorError::Matmul {
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
        };
        assert_eq!(
            panic_message(|| a.matmul(&b)),
            format!("matmul: shapes {lhs:?} and {rhs:?} are not aligned: expected (p, q) @ (q, r)")
        );
        assert_eq!(a.try_matmul(&b).unwrap_err(), error);
    }
    assert_eq!(
        ones(&[2, 3]).try_matmul(&ones(&[3, 4])).unwrap().shape(),
        vec![2, 4]
    );
}

#[test]
fn matmul_add_reports_the_product_or_the_bias_shapes() {
    let (x, w) = (ones(&[2, 3]), ones(&[3, 4]));
    assert_eq!(
        x.try_matmul_add(&ones(&[4, 4]), &ones(&[4])).unwrap_err(),
        TensorError::Matmul {
            lhs: vec![2, 3],
            rhs: vec![4, 4]
        }
    );
    for bias in [&[3][..], &[2, 1, 4], &[3, 4]] {
        let error = TensorError::Broadcast {
            op: "matmul_add",
            lhs: vec![2, 4],
            rhs: bias.to_vec(),
        };
        assert_eq!(
            panic_message(|| x.matmul_add(&w, &ones(bias))),
            format!("matmul_add: shapes [2, 4] and {bias:?} cannot be broadcast together")
        );
        assert_eq!(x.try_matmul_add(&w, &ones(bias)).unwrap_err(), error);
    }
    for bias in [&[4][..], &[1, 4], &[2, 4], &[2, 1], &[]] {
        let sum = x.try_matmul_add(&w, &ones(bias)).unwrap();
        assert_eq!(sum.to_array(), ndarray::ArrayD::from_elem(vec![2, 4], 4.0));
    }
}

// ---------------------------------------------------------------- backward

#[test]
fn backward_without_requires_grad() {
    let plain = Tensor::from_array(array![1.0f64, 2.0]);
    let y = (&plain * 2.0).sum_all();
    assert_eq!(y.try_backward().unwrap_err(), TensorError::NoGrad);
    assert!(
        panic_message(|| y.backward()).starts_with("backward: this tensor does not require grad")
    );

    let x = ones(&[2]);
    let y = no_grad(|| (&x * 2.0).sum_all());
    assert_eq!(y.try_backward().unwrap_err(), TensorError::NoGrad);
    assert!(x.grad().is_none());
}

#[test]
fn backward_with_a_wrongly_shaped_seed() {
    let x = ones(&[2, 3]);
    let y = &x * 2.0;
    let seed = ArrayD::<f64>::ones(IxDyn(&[3]));
    assert_eq!(
        y.try_backward_with(seed.clone()).unwrap_err(),
        TensorError::GradShape {
            op: "backward_with",
            grad: vec![3],
            shape: vec![2, 3],
        }
    );
    assert_eq!(
        panic_message(|| y.backward_with(seed)),
        "backward_with: gradient of shape [3] does not fit a tensor of shape [2, 3]"
    );
    // A seed that would merely broadcast is still rejected.
    assert!(y.try_backward_with(ArrayD::ones(IxDyn(&[1, 3]))).is_err());
    assert!(x.grad().is_none(), "a rejected backward leaves no gradient");
}

// ---------------------------------------------------------------- item

#[test]
fn item_needs_exactly_one_element() {
    let t = Tensor::from_array(array![1.0f32, 2.0]);
    assert_eq!(
        t.try_item().unwrap_err(),
        TensorError::NotOneElement {
            shape: vec![2],
            len: 2
        }
    );
    assert_eq!(
        panic_message(|| t.item()),
        "item: tensor of shape [2] holds 2 elements, expected exactly one"
    );
    assert!(Tensor::<f32>::zeros(&[0, 3]).try_item().is_err());
    assert_eq!(Tensor::scalar(4.0f32).item(), 4.0);
    assert_eq!(Tensor::from_array(array![[[7.0f32]]]).item(), 7.0);
}

// ---------------------------------------------------------------- axes

#[test]
fn axis_out_of_range() {
    let t = ones(&[2, 3]);
    type Op = fn(&Tensor<f64>, isize) -> Result<Tensor<f64>, TensorError>;
    let ops: [(&str, Op); 5] = [
        ("sum", |t, a| t.try_sum(Some(a), false)),
        ("mean", |t, a| t.try_mean(Some(a), true)),
        ("max", |t, a| t.try_max(Some(a), false)),
        ("softmax", |t, a| t.try_softmax(a)),
        ("log_softmax", |t, a| t.try_log_softmax(a)),
    ];
    for (op, f) in ops {
        for axis in [2, -3, 100] {
            assert_eq!(
                f(&t, axis).unwrap_err(),
                TensorError::AxisOutOfRange {
                    op,
                    axis,
                    shape: vec![2, 3],
                }
            );
        }
        for axis in [-2, -1, 0, 1] {
            assert!(f(&t, axis).is_ok(), "{op} axis {axis}");
        }
    }
    let message = "sum: axis 2 is out of range for a tensor of shape [2, 3]";
    assert_eq!(panic_message(|| t.sum(Some(2), false)), message);
    assert_eq!(
        panic_message(|| t.max(Some(-3), true)),
        "max: axis -3 is out of range for a tensor of shape [2, 3]"
    );
    assert_eq!(
        panic_message(|| t.mean(Some(5), false)),
        "mean: axis 5 is out of range for a tensor of shape [2, 3]"
    );
    assert_eq!(
        panic_message(|| t.softmax(2)),
        "softmax: axis 2 is out of range for a tensor of shape [2, 3]"
    );
    assert_eq!(
        panic_message(|| t.log_softmax(-3)),
        "log_softmax: axis -3 is out of range for a tensor of shape [2, 3]"
    );
    // A 0-d tensor has no axis at all, but reduces over `None`.
    let s = Tensor::scalar(1.0f64);
    assert!(s.try_sum(Some(0), false).is_err());
    assert!(s.try_softmax(-1).is_err());
    assert_eq!(s.sum(None, false).item(), 1.0);
}

// ---------------------------------------------------------------- construction and shape

#[test]
fn from_vec_with_a_wrong_element_count() {
    assert_eq!(
        Tensor::from_vec(vec![1.0f32; 5], &[2, 3]).unwrap_err(),
        TensorError::ElementCount {
            op: "from_vec",
            len: 5,
            shape: vec![2, 3],
        }
    );
    assert_eq!(
        Tensor::from_vec(vec![1.0f32; 5], &[2, 3])
            .unwrap_err()
            .to_string(),
        "from_vec: 5 elements cannot fill shape [2, 3]"
    );
    assert!(Tensor::from_vec(vec![1.0f32; 6], &[2, 3]).is_ok());
    assert!(Tensor::from_vec(vec![1.0f32], &[]).is_ok());
}

#[test]
fn reshape_with_a_wrong_count() {
    let t = ones(&[2, 3]);
    assert_eq!(
        t.try_reshape(&[4]).unwrap_err(),
        TensorError::ElementCount {
            op: "reshape",
            len: 6,
            shape: vec![4],
        }
    );
    assert_eq!(
        panic_message(|| t.reshape(&[4, 2])),
        "reshape: 6 elements cannot fill shape [4, 2]"
    );
}

#[test]
fn shapes_no_array_can_have_are_errors_even_without_elements() {
    // Sizes multiplying past isize::MAX; with a 0 among them there are no elements, but no
    // array can be indexed with the shape either (found by fuzzing: reshape overflowed).
    let huge = vec![1 << 40, 1 << 40, 0];
    let too_large = |op| TensorError::TooLarge {
        op,
        shape: huge.clone(),
    };
    assert_eq!(
        Tensor::<f32>::from_vec(vec![], &huge).unwrap_err(),
        too_large("from_vec")
    );
    let empty = Tensor::<f32>::from_vec(vec![], &[0]).unwrap();
    assert_eq!(empty.try_reshape(&huge).unwrap_err(), too_large("reshape"));
    let six = ones(&[2, 3]);
    assert_eq!(
        six.try_reshape(&[usize::MAX, usize::MAX, 6]).unwrap_err(),
        TensorError::TooLarge {
            op: "reshape",
            shape: vec![usize::MAX, usize::MAX, 6],
        }
    );
    assert_eq!(
        panic_message(|| six.reshape(&[1 << 62, 4])),
        format!(
            "reshape: shape [4611686018427387904, 4] is too large to index (its sizes multiply \
             past {}, the most elements an array can have)",
            isize::MAX
        )
    );
    // Two shapes that exist, broadcast to one that cannot.
    let (a, b) = (
        Tensor::<f32>::from_vec(vec![], &[0, 1 << 40, 1]).unwrap(),
        Tensor::<f32>::from_vec(vec![], &[0, 1, 1 << 40]).unwrap(),
    );
    assert_eq!(
        a.try_mul(&b).unwrap_err(),
        TensorError::TooLarge {
            op: "mul",
            shape: vec![0, 1 << 40, 1 << 40],
        }
    );
}

#[test]
fn empty_results_of_huge_shapes_are_made_and_differentiated_at_once() {
    // A [2⁴⁰, 0] tensor with a [3, 1, 1]: the result [3, 2⁴⁰, 0] has no elements (found by
    // fuzzing: the arithmetic walked its 3·2⁴⁰ empty rows, and a gradient summed one axis at
    // a time became 3·2⁴⁰ zeros).
    let a = Tensor::<f32>::from_vec(vec![], &[1 << 40, 0])
        .unwrap()
        .requires_grad();
    let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3, 1, 1])
        .unwrap()
        .requires_grad();
    let y = &a / &b;
    assert_eq!(y.shape(), [3, 1 << 40, 0]);
    y.sum_all().backward();
    assert_eq!(a.grad().unwrap().shape(), [1 << 40, 0]);
    // d(sum of nothing)/db = 0
    assert_eq!(b.grad().unwrap(), ArrayD::<f32>::zeros(IxDyn(&[3, 1, 1])));
}

#[test]
fn transpose_of_a_non_matrix() {
    for shape in [&[2, 3, 4][..], &[3], &[]] {
        let t = ones(shape);
        assert_eq!(
            t.try_transpose().unwrap_err(),
            TensorError::Rank {
                op: "transpose",
                expected: 2,
                shape: shape.to_vec(),
            }
        );
    }
    assert_eq!(
        panic_message(|| ones(&[2, 3, 4]).transpose()),
        "transpose: expected a 2-d tensor, got shape [2, 3, 4]"
    );
}

#[test]
fn failed_operations_record_nothing() {
    let x = ones(&[2, 3]);
    assert!(x.try_add(&ones(&[4])).is_err());
    assert!(x.try_reshape(&[5]).is_err());
    // The leaf is still usable and its gradient untouched.
    (&x * 3.0).sum_all().backward();
    assert_eq!(x.grad().unwrap(), ArrayD::from_elem(IxDyn(&[2, 3]), 3.0));
}
