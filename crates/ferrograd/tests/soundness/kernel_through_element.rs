// Issue 13: a generic helper over `T: Element` reached the SIMD kernels with unchecked shapes.
use ferrograd::Element;
use ndarray::Array2;

fn go<T: Element>(a: &Array2<T>, b: &Array2<T>, c: &mut Array2<T>) {
    let k = T::choose_kernel(&a.view(), &b.view(), &c.view_mut());
    T::mat_mul_block(k, a.view(), b.view(), T::zero(), c.view_mut());
}

fn main() {
    let a = Array2::<f32>::ones((32, 1_000_000));
    let b = Array2::<f32>::ones((8, 48));
    let mut c = Array2::<f32>::zeros((8, 48));
    go(&a, &b, &mut c);
}
