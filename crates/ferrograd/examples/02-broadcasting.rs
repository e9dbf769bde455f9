//! Rung 2 of the examples: broadcasting. Binary operations combine operands of different shapes
//! by NumPy's rules, and backward sums each gradient back to its operand's shape with
//! `broadcast_grad_accumulate`; the numbers are written out beside each step.
//!
//! ```sh
//! cargo run --release --example 02-broadcasting
//! ```

use ferrograd::{Tensor, broadcast_grad_accumulate, broadcast_shape};
use ndarray::{ArrayD, array};

fn main() {
    // NumPy's rule: align the shapes from the right; each pair of sizes must be equal or hold a
    // 1, which is stretched. A missing leading axis counts as 1.
    for (a, b) in [
        (&[2, 3][..], &[1, 3][..]),
        (&[2, 1], &[1, 3]),
        (&[2, 3], &[3]),
        (&[2, 3], &[]),
        (&[2, 3], &[2]),
    ] {
        match broadcast_shape(a, b) {
            Some(shape) => println!("{a:?} with {b:?} -> {shape:?}"),
            None => println!("{a:?} with {b:?} -> incompatible"),
        }
    }
    assert_eq!(broadcast_shape(&[2, 1], &[1, 3]), Some(vec![2, 3]));
    assert_eq!(broadcast_shape(&[2, 3], &[2]), None);

    // A row times a matrix: b is used once per row of a, so its gradient sums over the rows.
    let a = Tensor::from_array(array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]).requires_grad();
    let b = Tensor::from_array(array![[8.0f64, 2.0, 5.0]]).requires_grad();
    let out = &a * &b;
    println!("\na (2, 3) * b (1, 3) =\n{out}");
    out.backward();
    let (a_grad, b_grad) = (a.grad().unwrap(), b.grad().unwrap());
    println!("a.grad(), b once per row:\n{a_grad}");
    println!("b.grad(), a's columns summed [1+4, 2+5, 3+6]:\n{b_grad}");
    assert_eq!(a_grad, array![[8.0, 2.0, 5.0], [8.0, 2.0, 5.0]].into_dyn());
    assert_eq!(b_grad, array![[5.0, 7.0, 9.0]].into_dyn());

    // A column plus a row makes a table; a non-uniform upstream gradient g shows which
    // entries each operand's gradient sums.
    let column = Tensor::from_array(array![[10.0f64], [20.0]]).requires_grad();
    let row = Tensor::from_array(array![1.0f64, 2.0, 3.0]).requires_grad();
    let table = &column + &row;
    println!("\ncolumn (2, 1) + row (3,) =\n{table}");
    let g = array![[1.0, 4.0, 7.0], [2.0, 1.0, 6.0]].into_dyn();
    table.backward_with(g.clone());
    println!("backward with the upstream gradient g =\n{g}");
    println!(
        "column.grad(), g's rows summed [1+4+7, 2+1+6]:\n{}",
        column.grad().unwrap()
    );
    println!(
        "row.grad(), g's columns summed and the leading axis dropped [1+2, 4+1, 7+6]:\n{}",
        row.grad().unwrap()
    );
    assert_eq!(column.grad().unwrap(), array![[12.0], [9.0]].into_dyn());
    assert_eq!(row.grad().unwrap(), array![3.0, 5.0, 13.0].into_dyn());

    // That summing is one function, the original design's helper of the same name: the gradient
    // of a broadcast result, summed back to the shape of the operand that was stretched.
    println!("\nbroadcast_grad_accumulate(shape, g):");
    let cases: [(&[usize], ArrayD<f64>); 4] = [
        (&[1, 3], array![[3.0, 5.0, 13.0]].into_dyn()),
        (&[3], array![3.0, 5.0, 13.0].into_dyn()),
        (&[2, 1], array![[12.0], [9.0]].into_dyn()),
        (&[], ArrayD::from_elem(vec![], 21.0)),
    ];
    for (shape, expected) in cases {
        let summed = broadcast_grad_accumulate(shape, &g);
        println!("to {shape:?}:\n{summed}");
        assert_eq!(summed, expected);
    }

    // Shapes that do not broadcast are an error naming both shapes (the operators panic with
    // the same message; every operation has a `try_` form).
    let error = a
        .try_add(&Tensor::from_array(array![1.0, 2.0]))
        .unwrap_err();
    println!("\n(2, 3) + (2,): {error}");
}
