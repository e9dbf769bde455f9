//! Reading one IDX file, the format of MNIST and its relatives.
//!
//! An IDX file is a big-endian header, then the data. The header is a magic
//! number `0x0000_08NN` (`08`: the elements are unsigned bytes, `NN`: the
//! number of dimensions) followed by one `u32` per dimension. The data is one
//! byte per element, in row-major order. A file whose name ends in `.gz` is
//! gzip-compressed.
//!
//! Nothing here trusts the header: the buffers are never larger than the file
//! can back, and a file that is shorter or longer than its header declares is
//! an error.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::GzDecoder;

use super::error::DataError;

/// Magic number of an IDX file of unsigned-byte images (3 dimensions).
const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned-byte labels (1 dimension).
const LABELS_MAGIC: u32 = 0x0000_0801;
/// The first two bytes of every gzip file.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Deflate cannot compress better than about 1032:1, so a gzip file of `n`
/// bytes never decompresses to more than `MAX_DEFLATE_RATIO * n` bytes.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The contents of an IDX images file.
pub(crate) struct Images {
    /// Number of images.
    pub count: usize,
    /// Height of an image in pixels.
    pub rows: usize,
    /// Width of an image in pixels.
    pub cols: usize,
    /// `count * rows * cols` pixels, image after image, row after row.
    pub pixels: Vec<u8>,
}

/// Reads an IDX images file (magic `0x00000803`), raw or `.gz`.
pub(crate) fn read_images(path: &Path) -> Result<Images, DataError> {
    images(path, Source::open(path)?)
}

/// Reads an IDX labels file (magic `0x00000801`), raw or `.gz`.
pub(crate) fn read_labels(path: &Path) -> Result<Vec<u8>, DataError> {
    labels(path, Source::open(path)?)
}

/// Parses `bytes` as an IDX images file named `name` (gzip if the name ends in `.gz`).
pub(crate) fn parse_images(name: &Path, bytes: &[u8]) -> Result<Images, DataError> {
    images(name, Source::from_bytes(name, bytes)?)
}

/// Parses `bytes` as an IDX labels file named `name` (gzip if the name ends in `.gz`).
pub(crate) fn parse_labels(name: &Path, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    labels(name, Source::from_bytes(name, bytes)?)
}

fn images(path: &Path, source: Source<'_>) -> Result<Images, DataError> {
    let ([count, rows, cols], pixels) = read_idx(path, source, IMAGES_MAGIC)?;
    Ok(Images {
        count,
        rows,
        cols,
        pixels,
    })
}

fn labels(path: &Path, source: Source<'_>) -> Result<Vec<u8>, DataError> {
    let ([_count], labels) = read_idx(path, source, LABELS_MAGIC)?;
    Ok(labels)
}

/// Reads an IDX file with `N` dimensions from `source` and returns its dimensions and data.
fn read_idx<const N: usize>(
    path: &Path,
    mut source: Source<'_>,
    magic: u32,
) -> Result<([usize; N], Vec<u8>), DataError> {
    let header_len = 4 + 4 * N;
    let header = source.read_up_to(header_len)?;
    if let Some(found) = header.first_chunk() {
        let found = u32::from_be_bytes(*found);
        if found != magic {
            return Err(DataError::WrongMagic {
                path: path.to_path_buf(),
                found,
                expected: magic,
            });
        }
    }
    if header.len() < header_len {
        return Err(DataError::TruncatedHeader {
            path: path.to_path_buf(),
            expected: header_len,
            actual: header.len(),
        });
    }
    let dims: [usize; N] = std::array::from_fn(|i| {
        let at = 4 + 4 * i;
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as usize
    });

    let wrong_dimensions = |reason: String| DataError::WrongDimensions {
        path: path.to_path_buf(),
        reason,
    };
    if dims.iter().skip(1).any(|&d| d == 0) {
        return Err(wrong_dimensions(format!(
            "{dims:?}: only the first dimension (the item count) may be 0"
        )));
    }
    let data_len = dims
        .iter()
        .try_fold(1usize, |len, &d| len.checked_mul(d))
        .ok_or_else(|| wrong_dimensions(format!("{dims:?}: the total size overflows")))?;

    let data = source.read_up_to(data_len)?;
    if data.len() < data_len {
        return Err(DataError::TruncatedData {
            path: path.to_path_buf(),
            expected: data_len as u64,
            actual: data.len() as u64,
        });
    }
    // Reading past the data also makes the gzip decoder verify its checksum.
    if !source.read_up_to(1)?.is_empty() {
        return Err(DataError::TrailingBytes {
            path: path.to_path_buf(),
            expected: data_len as u64,
        });
    }
    Ok((dims, data))
}

/// The decompressed byte stream of a raw or gzip-compressed file.
struct Source<'a> {
    path: &'a Path,
    reader: Box<dyn Read + 'a>,
    gzip: bool,
    /// An upper bound on the number of bytes the stream can yield.
    max_len: u64,
}

impl<'a> Source<'a> {
    /// Opens `path`, decompressing it if its name ends in `.gz`.
    fn open(path: &'a Path) -> Result<Self, DataError> {
        let io_error = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        let file_len = file.metadata().map_err(io_error)?.len();
        Source::new(path, BufReader::new(file), file_len)
    }

    /// The bytes of a file named `name`, decompressed if the name ends in `.gz`.
    fn from_bytes(name: &'a Path, bytes: &'a [u8]) -> Result<Self, DataError> {
        Source::new(name, bytes, bytes.len() as u64)
    }

    /// The stream of `reader`, which holds the `file_len` bytes of the file at `path`.
    fn new(
        path: &'a Path,
        mut reader: impl BufRead + 'a,
        file_len: u64,
    ) -> Result<Self, DataError> {
        let io_error = |source| DataError::Io {
            path: path.to_path_buf(),
            source,
        };
        if file_len == 0 {
            return Err(DataError::Empty {
                path: path.to_path_buf(),
            });
        }
        if path.extension().is_none_or(|ext| ext != "gz") {
            return Ok(Source {
                path,
                reader: Box::new(reader),
                gzip: false,
                max_len: file_len,
            });
        }
        if !reader
            .fill_buf()
            .map_err(io_error)?
            .starts_with(&GZIP_MAGIC)
        {
            return Err(DataError::NotGzip {
                path: path.to_path_buf(),
            });
        }
        Ok(Source {
            path,
            reader: Box::new(GzDecoder::new(reader)),
            gzip: true,
            max_len: file_len.saturating_mul(MAX_DEFLATE_RATIO),
        })
    }

    /// Reads the next `limit` bytes, or fewer if the stream ends first.
    ///
    /// The buffer starts no larger than the stream can possibly yield, so a
    /// lying header cannot make it allocate much more than the file backs.
    fn read_up_to(&mut self, limit: usize) -> Result<Vec<u8>, DataError> {
        let capacity = limit.min(usize::try_from(self.max_len).unwrap_or(usize::MAX));
        let mut buf = Vec::with_capacity(capacity);
        (&mut self.reader)
            .take(limit as u64)
            .read_to_end(&mut buf)
            .map_err(|source| {
                let path = self.path.to_path_buf();
                if self.gzip {
                    DataError::CorruptGzip { path, source }
                } else {
                    DataError::Io { path, source }
                }
            })?;
        Ok(buf)
    }
}
