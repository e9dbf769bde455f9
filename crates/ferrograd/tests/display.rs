//! How a tensor prints: the original design's (and PyTorch's) layout, character for character.

use ferrograd::{Tensor, no_grad};
use ndarray::{Array, array};

fn worked_a() -> Tensor<f32> {
    Tensor::from_array(array![[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad()
}

fn worked_b() -> Tensor<f32> {
    Tensor::from_array(array![[8.0f32, 2.0, 5.0]])
}

#[test]
fn worked_example_sum_prints_like_the_original() {
    let y = worked_a() + worked_b();
    assert_eq!(
        format!("{y}"),
        "tensor([[ 9.000  4.000  8.000]\n        [12.000  7.000 11.000]], grad_fn=<AddBackward>)"
    );
    // Debug prints the same, so `assert_eq!` failures and `{:?}` read alike.
    assert_eq!(format!("{y:?}"), format!("{y}"));
}

#[test]
fn precision_follows_the_format_spec() {
    let y = worked_a() + worked_b();
    assert_eq!(
        format!("{y:.1}"),
        "tensor([[ 9.0  4.0  8.0]\n        [12.0  7.0 11.0]], grad_fn=<AddBackward>)"
    );
    assert_eq!(
        format!("{:.5}", Tensor::from_array(array![0.125f64, -2.0])),
        "tensor([ 0.12500 -2.00000])"
    );
}

#[test]
fn leaf_requiring_grad_says_so() {
    assert_eq!(
        format!("{}", worked_a()),
        "tensor([[1.000 2.000 3.000]\n        [4.000 5.000 6.000]], requires_grad=True)"
    );
}

#[test]
fn plain_tensors_print_nothing_extra() {
    assert_eq!(format!("{}", worked_b()), "tensor([[8.000 2.000 5.000]])");
    // Results of untracked inputs, and of anything under `no_grad`, are plain too.
    assert_eq!(
        format!("{}", &worked_b() * 2.0),
        "tensor([[16.000  4.000 10.000]])"
    );
    let a = worked_a();
    let y = no_grad(|| &a * 2.0);
    assert_eq!(
        format!("{y}"),
        "tensor([[ 2.000  4.000  6.000]\n        [ 8.000 10.000 12.000]])"
    );
}

#[test]
fn zero_dimensional() {
    assert_eq!(format!("{}", Tensor::scalar(5.0f64)), "tensor(5.000)");
    let x = Tensor::scalar(-0.5f32).requires_grad();
    assert_eq!(format!("{x}"), "tensor(-0.500, requires_grad=True)");
    assert_eq!(
        format!("{}", (&x * &x).sum_all()),
        "tensor(0.250, grad_fn=<SumBackward>)"
    );
}

#[test]
fn one_dimensional_aligns_signs() {
    assert_eq!(
        format!("{}", Tensor::from_array(array![-1.0f64, 2.5, 10.0])),
        "tensor([-1.000  2.500 10.000])"
    );
    assert_eq!(format!("{}", Tensor::<f32>::zeros(&[0])), "tensor([])");
}

#[test]
fn three_dimensional_separates_blocks_with_a_blank_line() {
    let t = Tensor::from_array(array![
        [[1.0f64, 2.0], [3.0, 4.0]],
        [[5.0, 6.0], [7.0, 8.0]]
    ]);
    assert_eq!(
        format!("{t}"),
        "tensor([[[1.000 2.000]\n         [3.000 4.000]]\n\n        [[5.000 6.000]\n         [7.000 8.000]]])"
    );
}

#[test]
fn large_tensors_are_summarised() {
    let range = Tensor::from_array(Array::range(0.0f64, 2000.0, 1.0));
    assert_eq!(
        format!("{range}"),
        "tensor([   0.000    1.000    2.000 ... 1997.000 1998.000 1999.000])"
    );

    let matrix = range.reshape(&[40, 50]);
    let expected = [
        "tensor([[   0.000    1.000    2.000 ...   47.000   48.000   49.000]",
        "        [  50.000   51.000   52.000 ...   97.000   98.000   99.000]",
        "        [ 100.000  101.000  102.000 ...  147.000  148.000  149.000]",
        "        ...",
        "        [1850.000 1851.000 1852.000 ... 1897.000 1898.000 1899.000]",
        "        [1900.000 1901.000 1902.000 ... 1947.000 1948.000 1949.000]",
        "        [1950.000 1951.000 1952.000 ... 1997.000 1998.000 1999.000]])",
    ]
    .join("\n");
    assert_eq!(format!("{matrix}"), expected);

    // 1000 elements is the threshold: up to it everything is printed.
    let thousand = Tensor::from_array(Array::range(0.0f64, 1000.0, 1.0));
    let text = format!("{thousand:.0}");
    assert!(!text.contains("..."));
    assert!(text.contains("500"));
    let values = text
        .strip_prefix("tensor([")
        .unwrap()
        .strip_suffix("])")
        .unwrap();
    assert_eq!(values.split_whitespace().count(), 1000);
}
