//! [`Mpi`]: the ranks of an MPI job as [`Peers`], through the `mpi` crate (rsmpi) over the
//! system's MPI library (on Debian, Open MPI: `libopenmpi-dev` and `openmpi-bin`).

use std::cell::RefCell;

use mpi::Count;
use mpi::Threading;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::point_to_point::send_receive_into;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

use super::group::Peers;
use crate::error::CliError;

/// This process's MPI job. Dropping it finalizes MPI.
pub struct Mpi {
    world: SimpleCommunicator,
    /// The chunk that [`sum`](Peers::sum) receives into, kept from call to call.
    incoming: RefCell<Vec<f32>>,
    /// Declared last, so dropped after the communicator: finalizes MPI.
    _universe: Universe,
}

impl Mpi {
    /// Joins the job `mpirun` started this process in. Unless `$FERROGRAD_NUM_THREADS` says
    /// otherwise, the matrix products then use this machine's CPUs shared out between the job's
    /// processes on it (`--threads` still overrides both).
    ///
    /// # Errors
    /// When MPI cannot be initialised.
    pub fn init() -> Result<Mpi, CliError> {
        let (universe, _) = mpi::initialize_with_threading(Threading::Funneled)
            .ok_or_else(|| CliError::Usage("MPI was already initialised".into()))?;
        let world = universe.world();
        if std::env::var_os("FERROGRAD_NUM_THREADS").is_none() {
            let here = usize::try_from(world.split_shared(0).size()).unwrap_or(1);
            let cpus = std::thread::available_parallelism().map_or(1, usize::from);
            ferrograd::set_num_threads((cpus / here.max(1)).max(1));
        }
        Ok(Mpi {
            world,
            incoming: RefCell::new(Vec::new()),
            _universe: universe,
        })
    }

    fn process(&self, rank: usize) -> mpi::topology::Process<'_> {
        self.world
            .process_at_rank(i32::try_from(rank).expect("ranks are MPI ints"))
    }
}

impl Peers for Mpi {
    fn rank(&self) -> usize {
        usize::try_from(self.world.rank()).expect("a rank is not negative")
    }

    fn size(&self) -> usize {
        usize::try_from(self.world.size()).expect("a size is not negative")
    }

    /// A ring allreduce: the buffer in `size` chunks; `size - 1` steps in which each rank passes
    /// a partial sum of one chunk to the next rank, which adds its own (so chunk `c` is summed as
    /// `((x₍c₎ + x₍c+1₎) + x₍c+2₎) + ...`, always in that order); then `size - 1` steps that pass
    /// the finished chunks around. Each rank sends and receives `2 (size - 1) / size` times the
    /// buffer, the least any allreduce can.
    fn sum(&self, buffer: &mut [f32]) {
        let n = self.size();
        if n == 1 {
            return;
        }
        let rank = self.rank();
        let (right, left) = (
            self.process((rank + 1) % n),
            self.process((rank + n - 1) % n),
        );
        let len = buffer.len();
        let chunk = |c: usize| len * c / n..len * (c + 1) / n;
        let mut incoming = self.incoming.borrow_mut();
        incoming.resize(len.div_ceil(n), 0.0);
        // After step s, this rank holds the sum of chunk (rank - s - 1) over the s + 2 ranks up
        // to itself.
        for step in 0..n - 1 {
            let (send, receive) = (
                chunk((rank + n - step) % n),
                chunk((rank + n - step - 1) % n),
            );
            let received = &mut incoming[..receive.len()];
            send_receive_into(&buffer[send], &right, received, &left);
            for (mine, partial) in buffer[receive].iter_mut().zip(received.iter()) {
                *mine += *partial;
            }
        }
        // This rank holds chunk rank + 1 whole; each step passes on the chunk it got last.
        for step in 0..n - 1 {
            let (send, receive) = (
                chunk((rank + 1 + n - step) % n),
                chunk((rank + n - step) % n),
            );
            let received = &mut incoming[..receive.len()];
            send_receive_into(&buffer[send], &right, received, &left);
            buffer[receive].copy_from_slice(received);
        }
    }

    fn broadcast(&self, bytes: &mut Vec<u8>) {
        let root = self.process(0);
        let mut len = bytes.len() as u64;
        root.broadcast_into(&mut len);
        bytes.resize(usize::try_from(len).expect("a length that fits"), 0);
        if !bytes.is_empty() {
            root.broadcast_into(&mut bytes[..]);
        }
    }

    /// Each process sends a tag byte before its bytes, so that no buffer is empty: an empty
    /// slice's address is 1, which Open MPI reads as `MPI_IN_PLACE`.
    fn gather(&self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let count = |len: usize| Count::try_from(len + 1).expect("at most 2 GiB a message");
        let mut counts = vec![0 as Count; self.size()];
        self.world
            .all_gather_into(&count(bytes.len()), &mut counts[..]);
        let offsets: Vec<Count> = counts
            .iter()
            .scan(0, |offset, &n| {
                *offset += n;
                Some(*offset - n)
            })
            .collect();
        let lens: Vec<usize> = counts.iter().map(|&n| n as usize).collect();
        let mut all = vec![0u8; lens.iter().sum()];
        let mine: Vec<u8> = std::iter::once(0).chain(bytes.iter().copied()).collect();
        let mut parts = PartitionMut::new(&mut all[..], &counts[..], &offsets[..]);
        self.world.all_gather_varcount_into(&mine[..], &mut parts);
        let mut rest = &all[..];
        lens.iter()
            .map(|&len| {
                let (part, tail) = rest.split_at(len);
                rest = tail;
                part[1..].to_vec()
            })
            .collect()
    }
}
