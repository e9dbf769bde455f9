//! The processes that train together: this one alone ([`Alone`]), or the ranks of an MPI job
//! (`peers/mpi.rs`, built with the cargo feature `mpi` and started by `mpirun`).
//!
//! Data-parallel training needs three things of them: a sum of every process's gradients that
//! gives every process the same bits ([`Peers::sum`]), rank 0's bytes on every process
//! ([`Peers::broadcast`]: the run's state and weights), and every process's bytes on every
//! process ([`Peers::gather`]: each one's outcome, so that a failure anywhere stops every process
//! with its message, and each one's weights checksum).

mod group;
#[cfg(feature = "mpi")]
mod mpi;

pub use group::{Alone, Peers};

use crate::error::CliError;

/// The processes this one trains with: the MPI job that `mpirun` started it in, when it was
/// built with the cargo feature `mpi`; else itself alone.
///
/// # Errors
/// [`CliError::Usage`] when `mpirun` started several processes but this binary was built without
/// MPI: each would train a run of its own into the same folder.
pub fn connect() -> Result<Box<dyn Peers>, CliError> {
    let launched = launcher_size();
    #[cfg(feature = "mpi")]
    if launched.is_some() {
        return Ok(Box::new(mpi::Mpi::init()?));
    }
    match launched {
        Some(size) if size > 1 => Err(CliError::Usage(format!(
            "started as one of {size} processes (by mpirun?) but this ferrograd was built \
             without MPI: build it with `cargo build --release -p ferrograd-cli --features mpi`"
        ))),
        _ => Ok(Box::new(Alone)),
    }
}

/// The number of processes a launcher (Open MPI's or MPICH's `mpirun`, or a PMIx launcher such
/// as Slurm's `srun`) says it started, from the variables it sets; `None` outside one.
fn launcher_size() -> Option<usize> {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"]
        .iter()
        .find_map(|name| std::env::var(name).ok()?.parse().ok())
}

/// Every process's `outcome`, agreed: `Ok` on every process when every process succeeded, else
/// on every process the error of the failing process of lowest rank (its own error on that
/// process, [`CliError::Peer`] with its message on the others). Every process must call it.
pub fn agree<T>(peers: &dyn Peers, outcome: Result<T, CliError>) -> Result<T, CliError> {
    if peers.size() == 1 {
        return outcome;
    }
    let mine = match &outcome {
        Ok(_) => Vec::new(),
        Err(error) => {
            let mut bytes = vec![u8::try_from(error.exit_code()).unwrap_or(1)];
            bytes.extend(error.to_string().into_bytes());
            bytes
        }
    };
    let all = peers.gather(&mine);
    let Some((rank, failed)) = all.iter().enumerate().find(|(_, bytes)| !bytes.is_empty()) else {
        return outcome;
    };
    match outcome {
        Err(error) if rank == peers.rank() => Err(error),
        _ => Err(CliError::Peer {
            rank,
            message: String::from_utf8_lossy(&failed[1..]).into_owned(),
            exit_code: i32::from(failed[0]),
        }),
    }
}

/// `Ok` when every process's weights checksum in `checksums` (rank order) is the same, else the
/// error that names them.
pub fn same_checksums(checksums: &[Vec<u8>], epoch: usize) -> Result<(), CliError> {
    if checksums.windows(2).all(|pair| pair[0] == pair[1]) {
        return Ok(());
    }
    let hex = |bytes: &Vec<u8>| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let listed: Vec<String> = checksums
        .iter()
        .enumerate()
        .map(|(rank, sum)| format!("rank {rank} {}", hex(sum)))
        .collect();
    Err(CliError::Usage(format!(
        "the processes' weights differ after epoch {epoch} ({}): they no longer train one \
         model; stopped",
        listed.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alone_sums_and_broadcasts_nothing_and_gathers_itself() {
        let mut buffer = [1.5, -2.0];
        Alone.sum(&mut buffer);
        assert_eq!(buffer, [1.5, -2.0]);
        let mut bytes = b"state".to_vec();
        Alone.broadcast(&mut bytes);
        assert_eq!(bytes, b"state");
        assert_eq!(Alone.gather(b"x"), [b"x".to_vec()]);
        let failed: Result<(), CliError> = Err(CliError::Usage("bad".into()));
        assert_eq!(agree(&Alone, failed).unwrap_err().to_string(), "bad");
    }

    #[test]
    fn differing_checksums_are_an_error_naming_each_rank() {
        let same = [vec![1, 2], vec![1, 2], vec![1, 2]];
        assert!(same_checksums(&same, 3).is_ok());
        let differ = [vec![1, 2], vec![1, 2], vec![0xab, 2]];
        let message = same_checksums(&differ, 3).unwrap_err().to_string();
        assert!(message.contains("after epoch 3"), "{message}");
        assert!(
            message.contains("rank 0 0102, rank 1 0102, rank 2 ab02"),
            "{message}"
        );
    }
}
