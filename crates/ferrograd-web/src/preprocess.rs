//! A drawing turned into the network's input the way the MNIST digits were made: the ink's
//! bounding box scaled (keeping its aspect ratio) to fit a 20×20 box, then placed in a 28×28
//! image so that its centre of mass is the image's centre.

/// The side of the network's input image.
pub const SIDE: usize = 28;
/// The side of the box the ink's longer side is scaled to.
pub const BOX: usize = 20;

/// The 28×28 input (row after row, ink in `[0, 1]`) for a `width × height` image of ink
/// intensities `0..=255` (0: paper). An image without ink gives all zeros.
///
/// # Panics
/// When `ink.len() != width * height`.
pub fn mnist_input(ink: &[u8], width: usize, height: usize) -> Vec<f32> {
    assert_eq!(ink.len(), width * height, "{width}×{height} image");
    let mut out = vec![0.0; SIDE * SIDE];
    let Some(bbox) = bounding_box(ink, width) else {
        return out;
    };
    let scaled = scale_to_box(ink, width, bbox);
    let (cx, cy) = centre_of_mass(&scaled.pixels, scaled.width).unwrap_or((0.0, 0.0));
    // Shift so the centre of mass lands on the image's centre, by whole pixels as MNIST did.
    let centre = SIDE as f64 / 2.0;
    let dx = (centre - cx).round() as isize;
    let dy = (centre - cy).round() as isize;
    for y in 0..scaled.height {
        for x in 0..scaled.width {
            let (tx, ty) = (x as isize + dx, y as isize + dy);
            if (0..SIDE as isize).contains(&tx) && (0..SIDE as isize).contains(&ty) {
                out[ty as usize * SIDE + tx as usize] = scaled.pixels[y * scaled.width + x];
            }
        }
    }
    out
}

/// The smallest rectangle holding every pixel with ink: `(x0, y0, x1, y1)`, ends excluded.
pub fn bounding_box(ink: &[u8], width: usize) -> Option<(usize, usize, usize, usize)> {
    let mut bbox: Option<(usize, usize, usize, usize)> = None;
    for (i, _) in ink.iter().enumerate().filter(|&(_, &v)| v > 0) {
        let (x, y) = (i % width, i / width);
        bbox = Some(match bbox {
            None => (x, y, x + 1, y + 1),
            Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)),
        });
    }
    bbox
}

/// The centre of mass `(x, y)` of an image of masses, with pixel `(i, j)` centred at
/// `(i + 0.5, j + 0.5)`; `None` when there is no mass.
pub fn centre_of_mass(pixels: &[f32], width: usize) -> Option<(f64, f64)> {
    let (mut mass, mut mx, mut my) = (0.0f64, 0.0f64, 0.0f64);
    for (i, &v) in pixels.iter().enumerate() {
        let v = f64::from(v);
        mass += v;
        mx += v * ((i % width) as f64 + 0.5);
        my += v * ((i / width) as f64 + 0.5);
    }
    (mass > 0.0).then(|| (mx / mass, my / mass))
}

/// An image of floats.
struct Scaled {
    pixels: Vec<f32>,
    width: usize,
    height: usize,
}

/// The part of `ink` inside `bbox`, scaled so its longer side is [`BOX`] pixels, each output
/// pixel the average of the input area it covers (what anti-aliased downscaling does).
fn scale_to_box(ink: &[u8], width: usize, bbox: (usize, usize, usize, usize)) -> Scaled {
    let (x0, y0, x1, y1) = bbox;
    let (w, h) = (x1 - x0, y1 - y0);
    // Input pixels per output pixel, the same along both axes.
    let step = w.max(h) as f64 / BOX as f64;
    let out_w = ((w as f64 / step).round() as usize).clamp(1, BOX);
    let out_h = ((h as f64 / step).round() as usize).clamp(1, BOX);
    let columns = coverage(w, out_w);
    let rows = coverage(h, out_h);
    // Columns first: `h` rows of `out_w`, then rows.
    let mut wide = vec![0.0f64; h * out_w];
    for y in 0..h {
        let line = &ink[(y0 + y) * width + x0..(y0 + y) * width + x1];
        for (ox, weights) in columns.iter().enumerate() {
            wide[y * out_w + ox] = weights.iter().map(|&(i, f)| f64::from(line[i]) * f).sum();
        }
    }
    let mut pixels = vec![0.0f32; out_h * out_w];
    for (oy, weights) in rows.iter().enumerate() {
        for ox in 0..out_w {
            let v: f64 = weights.iter().map(|&(i, f)| wide[i * out_w + ox] * f).sum();
            pixels[oy * out_w + ox] = (v / 255.0).clamp(0.0, 1.0) as f32;
        }
    }
    Scaled {
        pixels,
        width: out_w,
        height: out_h,
    }
}

/// For each of `out` output pixels spanning `len` input pixels: the input pixels it covers and
/// the fraction of the output pixel each covers (the fractions sum to 1).
fn coverage(len: usize, out: usize) -> Vec<Vec<(usize, f64)>> {
    let step = len as f64 / out as f64;
    (0..out)
        .map(|o| {
            let (start, end) = (o as f64 * step, (o + 1) as f64 * step);
            let first = start.floor() as usize;
            let last = (end.ceil() as usize).min(len);
            (first..last)
                .map(|i| {
                    let overlap = end.min(i as f64 + 1.0) - start.max(i as f64);
                    (i, overlap / step)
                })
                .filter(|&(_, f)| f > 0.0)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `width × height` image with the rectangle `(x0, y0, x1, y1)` (ends excluded) at `v`.
    fn rect(width: usize, height: usize, r: (usize, usize, usize, usize), v: u8) -> Vec<u8> {
        let mut ink = vec![0; width * height];
        for y in r.1..r.3 {
            for x in r.0..r.2 {
                ink[y * width + x] = v;
            }
        }
        ink
    }

    /// The bounding box of the input's non-zero pixels, as `bounding_box` gives it.
    fn input_bbox(input: &[f32]) -> (usize, usize, usize, usize) {
        let ink: Vec<u8> = input.iter().map(|&v| u8::from(v > 1e-6)).collect();
        bounding_box(&ink, SIDE).expect("some ink")
    }

    #[test]
    fn bounding_box_is_tight() {
        let mut ink = rect(10, 8, (2, 3, 5, 4), 9);
        assert_eq!(bounding_box(&ink, 10), Some((2, 3, 5, 4)));
        ink[7 * 10 + 9] = 1; // one faint pixel in the far corner counts
        assert_eq!(bounding_box(&ink, 10), Some((2, 3, 10, 8)));
        assert_eq!(bounding_box(&[0; 80], 10), None);
    }

    #[test]
    fn centre_of_mass_weighs_pixels() {
        // Masses 1 at x = 0 and 3 at x = 2 (centres 0.5 and 2.5): (0.5 + 7.5) / 4 = 2.
        assert_eq!(centre_of_mass(&[1.0, 0.0, 3.0], 3), Some((2.0, 0.5)));
        assert_eq!(centre_of_mass(&[0.0; 4], 2), None);
    }

    #[test]
    fn no_ink_gives_zeros() {
        assert!(
            mnist_input(&[0; 280 * 280], 280, 280)
                .iter()
                .all(|&v| v == 0.0)
        );
    }

    #[test]
    fn longer_side_becomes_20_and_aspect_is_kept() {
        // A 40 wide, 100 tall block in a corner of a 280×280 canvas: 8×20 in the input.
        let input = mnist_input(&rect(280, 280, (10, 150, 50, 250), 255), 280, 280);
        let (x0, y0, x1, y1) = input_bbox(&input);
        assert_eq!((x1 - x0, y1 - y0), (8, 20));
        // Full ink stays full: every covered pixel is 1.
        assert!(input.iter().all(|&v| v == 0.0 || (v - 1.0).abs() < 1e-6));
        // A wide block: 20 wide.
        let input = mnist_input(&rect(280, 280, (0, 0, 200, 50), 255), 280, 280);
        let (x0, y0, x1, y1) = input_bbox(&input);
        assert_eq!((x1 - x0, y1 - y0), (20, 5));
    }

    #[test]
    fn centre_of_mass_lands_on_the_centre() {
        // An L: its centre of mass is not its box's centre, and ends up at (14, 14).
        let mut ink = rect(280, 280, (200, 20, 220, 120), 255);
        for (i, v) in rect(280, 280, (200, 100, 260, 120), 255)
            .into_iter()
            .enumerate()
        {
            ink[i] = ink[i].max(v);
        }
        let input = mnist_input(&ink, 280, 280);
        let (cx, cy) = centre_of_mass(&input, SIDE).expect("ink");
        assert!(
            (cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5,
            "({cx}, {cy})"
        );
        let (x0, y0, x1, y1) = input_bbox(&input);
        assert_eq!((x1 - x0, y1 - y0), (12, 20));
        // The box is not centred: the heavy bottom bar pulls the digit up.
        assert!(y0 + y1 < 28, "{y0}..{y1}");
    }

    #[test]
    fn downscaling_averages_the_covered_area() {
        // Half intensity averages to half.
        let input = mnist_input(&rect(40, 40, (0, 0, 40, 40), 128), 40, 40);
        assert!(
            input
                .iter()
                .filter(|&&v| v > 0.0)
                .all(|&v| (v - 128.0 / 255.0).abs() < 1e-6)
        );
        // A one-pixel line 60 long: each output pixel covers 3 of its pixels, all ink.
        let input = mnist_input(&rect(60, 60, (0, 30, 60, 31), 255), 60, 60);
        let (x0, y0, x1, y1) = input_bbox(&input);
        assert_eq!((x1 - x0, y1 - y0), (20, 1));
        assert!((input.iter().sum::<f32>() - 20.0).abs() < 1e-4);
        // Two-pixel stripes of ink and paper across 80 columns: each output pixel covers four
        // columns, two of ink, and is half as dark.
        let mut ink = vec![0u8; 80 * 80];
        for (i, v) in ink.iter_mut().enumerate() {
            *v = if (i % 80) % 4 < 2 { 255 } else { 0 };
        }
        let input = mnist_input(&ink, 80, 80);
        let inked: Vec<f32> = input.iter().copied().filter(|&v| v > 0.0).collect();
        assert_eq!(inked.len(), 400);
        // The last stripe ends two columns early, so the box is 78 wide: coverage shifts a bit.
        assert!(inked.iter().all(|&v| (0.4..=0.6).contains(&v)), "{inked:?}");
    }

    #[test]
    fn coverage_fractions_sum_to_one() {
        for (len, out) in [(280, 20), (7, 3), (3, 20), (100, 7)] {
            for weights in coverage(len, out) {
                let sum: f64 = weights.iter().map(|&(_, f)| f).sum();
                assert!((sum - 1.0).abs() < 1e-9, "{len}→{out}: {sum}");
            }
        }
    }
}
