//! What the processes of one run do together ([`Peers`]), and the group of one ([`Alone`]).

/// The processes of one training run, numbered from 0 (their ranks).
pub trait Peers {
    /// This process's rank, from 0.
    fn rank(&self) -> usize;

    /// How many processes there are.
    fn size(&self) -> usize;

    /// Replaces `buffer` on every process by the element-wise sum of every process's `buffer`
    /// (all of one length), added in a fixed order, so that every process gets the same bits
    /// and the same inputs give the same bits run after run.
    fn sum(&self, buffer: &mut [f32]);

    /// Replaces `bytes` on every process by rank 0's.
    fn broadcast(&self, bytes: &mut Vec<u8>);

    /// Every process's `bytes`, in rank order.
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>>;
}

/// This process, training alone.
pub struct Alone;

impl Peers for Alone {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn sum(&self, _buffer: &mut [f32]) {}

    fn broadcast(&self, _bytes: &mut Vec<u8>) {}

    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        vec![bytes.to_vec()]
    }
}
