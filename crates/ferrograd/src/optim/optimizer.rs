//! The [`Optimizer`] trait.

/// Updates a fixed list of parameters from their gradients.
///
/// It is object safe, so a program can pick one at run time as `Box<dyn Optimizer>`.
pub trait Optimizer {
    /// Updates every parameter that has a gradient, in place; parameters without one (not
    /// reached by `backward` yet) are left as they are.
    fn step(&mut self);

    /// Sets every parameter's gradient to zero, keeping its buffer, before the next `backward`
    /// (which adds into it).
    fn zero_grad(&self);
}

/// A boxed optimizer is one, so a [`Learner`](crate::train::Learner) can hold an optimizer
/// picked at run time.
impl<O: Optimizer + ?Sized> Optimizer for Box<O> {
    fn step(&mut self) {
        (**self).step();
    }

    fn zero_grad(&self) {
        (**self).zero_grad();
    }
}
