// The one method `Element` carries for the kernels takes a value only the crate can make.
use ferrograd::Element;
use ndarray::Array2;

fn go<T: Element>(a: &Array2<T>, b: &Array2<T>, c: &mut Array2<T>) {
    let _ = T::product(a.view(), b.view(), T::zero(), c.view_mut(), Default::default());
}

fn main() {
    let a = Array2::<f32>::ones((32, 1_000_000));
    let b = Array2::<f32>::ones((8, 48));
    let mut c = Array2::<f32>::zeros((8, 48));
    go(&a, &b, &mut c);
}
