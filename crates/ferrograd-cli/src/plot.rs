//! PNG output: the loss curve of a training run and MNIST digits.
//!
//! Every function writes one PNG file, whose name must end in `.png`.
//!
//! Text is drawn with an embedded DejaVu Sans font (`assets/`), so plotting
//! works on machines without any system font.

use std::error::Error;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use thiserror::Error;

/// Font family under which the embedded font is registered; it is also the
/// family plotters uses by default.
const FONT: &str = "sans-serif";
/// The embedded font (DejaVu Sans, see `assets/DejaVuSans-LICENSE.txt`).
const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Size in pixels of the loss curve image.
const LOSS_CURVE_SIZE: (u32, u32) = (800, 600);
/// Pixels per digit pixel in [`digit`].
const DIGIT_SCALE: u32 = 10;
/// Height of the caption above the digit in [`digit`].
const DIGIT_CAPTION: u32 = 40;
/// Pixels per digit pixel in [`digit_grid`].
const GRID_SCALE: u32 = 3;
/// Height of the label above each digit in [`digit_grid`].
const GRID_LABEL: u32 = 20;
/// Empty border around each cell of [`digit_grid`].
const GRID_GAP: u32 = 4;
/// Most digits [`digit_grid`] draws (8 × 8).
const GRID_MAX: usize = 64;
/// Digits per row in [`digit_grid`].
const GRID_COLUMNS: usize = 8;

/// A plot could not be made; the message names the output file.
#[derive(Debug, Error)]
pub enum PlotError {
    /// The data cannot be drawn (empty series, wrong pixel count...).
    #[error("cannot plot {}: {reason}", path.display())]
    BadInput {
        /// The image that was to be written.
        path: PathBuf,
        /// What is wrong with the data.
        reason: String,
    },
    /// Drawing or saving the image failed (missing folder, no permission...).
    #[error("cannot write {}: {reason}", path.display())]
    Write {
        /// The image that was to be written.
        path: PathBuf,
        /// The underlying error.
        reason: String,
    },
}

/// Draws the per-epoch `train` and `val` losses (epoch 1, 2, ...) as lines
/// with markers into an 800 × 600 PNG image at `path`. Either series may be
/// empty, not both.
pub fn loss_curve(path: &Path, train: &[f64], val: &[f64]) -> Result<(), PlotError> {
    if train.is_empty() && val.is_empty() {
        return Err(bad_input(path, "no loss values".to_string()));
    }
    for (name, values) in [("train", train), ("validation", val)] {
        if let Some(epoch) = values.iter().position(|v| !v.is_finite()) {
            let reason = format!("{name} loss at epoch {} is not finite", epoch + 1);
            return Err(bad_input(path, reason));
        }
    }
    draw(path, |path| draw_loss_curve(path, train, val))
}

/// Draws one grayscale digit (`rows × cols` pixels, row by row, 0 = black)
/// at 10× size under the caption "label: {label}", into a
/// `cols·10 × (rows·10 + 40)` pixel image at `path`.
pub fn digit(
    path: &Path,
    pixels: &[u8],
    rows: usize,
    cols: usize,
    label: u8,
) -> Result<(), PlotError> {
    check_pixels(path, pixels, rows, cols)?;
    draw(path, |path| {
        draw_single_digit(path, pixels, rows, cols, label)
    })
}

/// Draws up to 64 grayscale digits (each `rows × cols` pixels) in a grid of
/// 8 per row, each at 3× size under its label, into an image at `path` of
/// `min(n, 8)·(cols·3 + 8)` × `ceil(n / 8)·(rows·3 + 28)` pixels.
pub fn digit_grid(
    path: &Path,
    images: &[&[u8]],
    labels: &[u8],
    rows: usize,
    cols: usize,
) -> Result<(), PlotError> {
    if images.is_empty() || images.len() > GRID_MAX {
        let reason = format!("expected 1 to {GRID_MAX} digits, got {}", images.len());
        return Err(bad_input(path, reason));
    }
    if labels.len() != images.len() {
        let reason = format!("{} digits but {} labels", images.len(), labels.len());
        return Err(bad_input(path, reason));
    }
    for pixels in images {
        check_pixels(path, pixels, rows, cols)?;
    }
    draw(path, |path| draw_grid(path, images, labels, rows, cols))
}

/// Checks that `path` is a writable `.png` file, registers the embedded font
/// once, then runs `draw_fn`; errors name `path`.
fn draw(
    path: &Path,
    draw_fn: impl FnOnce(&Path) -> Result<(), Box<dyn Error>>,
) -> Result<(), PlotError> {
    let is_png = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("png"));
    if !is_png {
        return Err(bad_input(
            path,
            "the file name must end in .png".to_string(),
        ));
    }
    // Creating the file first turns a missing folder or a permission problem
    // into a plain I/O error message.
    File::create(path).map_err(|e| write_error(path, &e))?;
    static REGISTER: Once = Once::new();
    // The font is embedded and known to parse; were it not, drawing text
    // would fail below with a "font unavailable" error.
    REGISTER.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
    draw_fn(path).map_err(|e| {
        let _ = fs::remove_file(path);
        write_error(path, e.as_ref())
    })
}

/// A [`PlotError::Write`] for `path`.
fn write_error(path: &Path, error: &dyn Error) -> PlotError {
    PlotError::Write {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// A [`PlotError::BadInput`] for `path`.
fn bad_input(path: &Path, reason: String) -> PlotError {
    PlotError::BadInput {
        path: path.to_path_buf(),
        reason,
    }
}

/// Checks that a digit has `rows × cols > 0` pixels.
fn check_pixels(path: &Path, pixels: &[u8], rows: usize, cols: usize) -> Result<(), PlotError> {
    if rows == 0 || cols == 0 || pixels.len() != rows * cols {
        let reason = format!(
            "a {rows}×{cols} digit needs {} pixels, got {}",
            rows * cols,
            pixels.len()
        );
        return Err(bad_input(path, reason));
    }
    Ok(())
}

fn draw_loss_curve(path: &Path, train: &[f64], val: &[f64]) -> Result<(), Box<dyn Error>> {
    let root = BitMapBackend::new(path, LOSS_CURVE_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let epochs = train.len().max(val.len());
    let mut chart = ChartBuilder::on(&root)
        .caption("Loss per epoch", (FONT, 28))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0..epochs + 1, padded_range(train.iter().chain(val)))?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("loss")
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 15))
        .draw()?;
    for (name, values, color) in [("train", train, BLUE), ("validation", val, RED)] {
        if values.is_empty() {
            continue;
        }
        let points: Vec<(usize, f64)> = (1..).zip(values.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 4, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 18))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// The range of `values` with a 5 % margin (or ±10 % when all are equal).
fn padded_range<'a>(values: impl Iterator<Item = &'a f64>) -> std::ops::Range<f64> {
    let (min, max) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
        (lo.min(v), hi.max(v))
    });
    let pad = if max > min {
        (max - min) * 0.05
    } else {
        max.abs().max(1.0) * 0.1
    };
    (min - pad)..(max + pad)
}

fn draw_single_digit(
    path: &Path,
    pixels: &[u8],
    rows: usize,
    cols: usize,
    label: u8,
) -> Result<(), Box<dyn Error>> {
    let size = (
        cols as u32 * DIGIT_SCALE,
        rows as u32 * DIGIT_SCALE + DIGIT_CAPTION,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let (caption, image) = root.split_vertically(DIGIT_CAPTION);
    draw_centered(&caption, &format!("label: {label}"), 24)?;
    draw_pixels(&image, pixels, cols, DIGIT_SCALE)?;
    root.present()?;
    Ok(())
}

fn draw_grid(
    path: &Path,
    images: &[&[u8]],
    labels: &[u8],
    rows: usize,
    cols: usize,
) -> Result<(), Box<dyn Error>> {
    let grid_cols = images.len().min(GRID_COLUMNS);
    let grid_rows = images.len().div_ceil(GRID_COLUMNS);
    let cell_width = cols as u32 * GRID_SCALE + 2 * GRID_GAP;
    let cell_height = GRID_LABEL + rows as u32 * GRID_SCALE + 2 * GRID_GAP;
    let size = (
        grid_cols as u32 * cell_width,
        grid_rows as u32 * cell_height,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    let cells = root.split_evenly((grid_rows, grid_cols));
    for ((cell, pixels), label) in cells.iter().zip(images).zip(labels) {
        let inner = cell.margin(GRID_GAP, GRID_GAP, GRID_GAP, GRID_GAP);
        let (caption, image) = inner.split_vertically(GRID_LABEL);
        draw_centered(&caption, &label.to_string(), 16)?;
        draw_pixels(&image, pixels, cols, GRID_SCALE)?;
    }
    root.present()?;
    Ok(())
}

/// Writes `text` centred in `area`.
fn draw_centered<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let (width, height) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, size).into_font())
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(text, &style, (width as i32 / 2, height as i32 / 2))?;
    Ok(())
}

/// Draws a grayscale image `cols` pixels wide, each pixel a `scale`-sized square.
fn draw_pixels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    pixels: &[u8],
    cols: usize,
    scale: u32,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let scale = scale as i32;
    for (i, &value) in pixels.iter().enumerate() {
        let (x, y) = ((i % cols) as i32 * scale, (i / cols) as i32 * scale);
        let square = [(x, y), (x + scale, y + scale)];
        area.draw(&Rectangle::new(
            square,
            RGBColor(value, value, value).filled(),
        ))?;
    }
    Ok(())
}
