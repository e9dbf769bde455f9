//! PNG output: files exist, are PNGs of the expected size, bad input is an error.

use std::path::Path;

use ferrograd_cli::plot::{PlotError, digit, digit_grid, loss_curve};

/// Width and height from the IHDR chunk of the PNG at `path`, after checking
/// the PNG signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG: {path:?}");
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (width, height)
}

/// A 28×28 "1": a vertical bar with a gray edge.
fn fake_digit() -> Vec<u8> {
    let mut pixels = vec![0u8; 28 * 28];
    for row in 4..24 {
        pixels[row * 28 + 13] = 255;
        pixels[row * 28 + 14] = 255;
        pixels[row * 28 + 15] = 128;
    }
    pixels
}

#[test]
fn loss_curve_writes_an_800_by_600_png() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.png");
    let train = [2.3, 1.1, 0.7, 0.5, 0.42];
    let val = [2.0, 1.2, 0.8, 0.65, 0.6];

    loss_curve(&path, &train, &val).unwrap();

    assert_eq!(png_size(&path), (800, 600));
}

#[test]
fn loss_curve_handles_a_single_epoch_and_a_missing_series() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.png");
    let train_only = dir.path().join("train.png");

    loss_curve(&one, &[0.9], &[1.0]).unwrap();
    loss_curve(&train_only, &[0.5, 0.5], &[]).unwrap();

    assert_eq!(png_size(&one), (800, 600));
    assert_eq!(png_size(&train_only), (800, 600));
}

#[test]
fn loss_curve_rejects_empty_and_non_finite_losses() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.png");

    let empty = loss_curve(&path, &[], &[]).unwrap_err();
    let nan = loss_curve(&path, &[1.0, f64::NAN], &[]).unwrap_err();

    assert!(matches!(empty, PlotError::BadInput { .. }));
    assert!(nan.to_string().contains("epoch 2"), "{nan}");
    assert!(nan.to_string().contains("loss.png"), "{nan}");
    assert!(!path.exists());
}

#[test]
fn digit_writes_a_10x_png_with_room_for_the_caption() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digit.png");

    digit(&path, &fake_digit(), 28, 28, 1).unwrap();

    assert_eq!(png_size(&path), (280, 320));
}

#[test]
fn digit_rejects_a_wrong_pixel_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("digit.png");

    let err = digit(&path, &[0; 100], 28, 28, 3).unwrap_err();

    assert!(matches!(err, PlotError::BadInput { .. }));
    let message = err.to_string();
    assert!(message.contains("digit.png"), "{message}");
    assert!(message.contains("784"), "{message}");
    assert!(!path.exists());
}

#[test]
fn digit_grid_lays_out_8_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let pixels = fake_digit();
    let full = dir.path().join("grid64.png");
    let partial = dir.path().join("grid10.png");
    let labels: Vec<u8> = (0..64).map(|i| i % 10).collect();

    digit_grid(&full, &[pixels.as_slice(); 64], &labels, 28, 28).unwrap();
    digit_grid(&partial, &[pixels.as_slice(); 10], &labels[..10], 28, 28).unwrap();

    // Cells are (28·3 + 8) × (28·3 + 28) pixels.
    assert_eq!(png_size(&full), (8 * 92, 8 * 112));
    assert_eq!(png_size(&partial), (8 * 92, 2 * 112));
}

#[test]
fn digit_grid_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.png");
    let pixels = fake_digit();
    let short = [0u8; 10];

    let too_many = digit_grid(&path, &[pixels.as_slice(); 65], &[0; 65], 28, 28);
    let labels = digit_grid(&path, &[pixels.as_slice(); 2], &[0], 28, 28);
    let bad_pixels = digit_grid(&path, &[pixels.as_slice(), &short], &[0, 1], 28, 28);
    let empty = digit_grid(&path, &[], &[], 28, 28);

    for result in [too_many, labels, bad_pixels, empty] {
        assert!(
            matches!(result, Err(PlotError::BadInput { .. })),
            "{result:?}"
        );
    }
    assert!(!path.exists());
}

#[test]
fn unwritable_path_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-folder").join("loss.png");

    let err = loss_curve(&path, &[1.0, 0.5], &[1.1, 0.6]).unwrap_err();

    assert!(matches!(err, PlotError::Write { .. }));
    let message = err.to_string();
    assert!(message.starts_with("cannot write "), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("No such file or directory"), "{message}");
    let err = digit(&path, &fake_digit(), 28, 28, 7).unwrap_err();
    assert!(matches!(err, PlotError::Write { .. }));
}

#[test]
fn only_png_file_names_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.txt");

    let err = loss_curve(&path, &[1.0], &[]).unwrap_err();

    assert!(matches!(err, PlotError::BadInput { .. }));
    assert!(err.to_string().contains(".png"), "{err}");
    assert!(!path.exists());
}
