//! `ferrograd eval` and `ferrograd show`.

use ferrograd::eval::evaluate;

use crate::cli::{EvalArgs, ShowArgs, SplitArg};
use crate::error::CliError;
use crate::{data_source, model_file, plot};

/// `println!` that ignores a closed stdout (as in `ferrograd train | head -1`) instead of
/// panicking: the command goes on and its files are still written.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
pub(crate) use say;

/// Prints the test accuracy and loss of the network in `--model`.
pub fn eval(args: &EvalArgs) -> Result<(), CliError> {
    let activation = args.trained_with.activation;
    let loaded = model_file::read(&args.model, activation)?;
    let model = &loaded.mlp;
    let mnist = data_source::load(&args.data)?;
    let (features, classes) = (model.sizes()[0], model.sizes()[model.sizes().len() - 1]);
    if features != mnist.test.features() {
        return Err(CliError::Usage(format!(
            "{} takes {features} inputs but the test images have {} pixels ({}×{})",
            args.model.display(),
            mnist.test.features(),
            mnist.test.rows(),
            mnist.test.cols()
        )));
    }
    if classes != mnist.test.num_classes() {
        return Err(CliError::Usage(format!(
            "{} gives {classes} class scores but the labels have {} classes",
            args.model.display(),
            mnist.test.num_classes()
        )));
    }
    model_file::note_assumption(&loaded, activation);
    let result = evaluate(model, &mnist.test, 1000);
    say!(
        "Test Acc: {:.2}% | Test Loss: {:.4} ({} images)",
        result.accuracy * 100.0,
        result.loss,
        mnist.test.len()
    );
    Ok(())
}

/// Draws one image, or the first 64 with `--grid`, with their labels.
pub fn show(args: &ShowArgs) -> Result<(), CliError> {
    let mnist = data_source::load(&args.data)?;
    let split = match args.split {
        SplitArg::Train => &mnist.train,
        SplitArg::Test => &mnist.test,
    };
    let (rows, cols) = (split.rows(), split.cols());
    if args.grid {
        let count = split.len().min(64);
        let images: Vec<&[u8]> = (0..count).map(|i| split.image(i)).collect();
        let labels: Vec<u8> = (0..count).map(|i| split.label(i)).collect();
        plot::digit_grid(&args.out, &images, &labels, rows, cols)?;
    } else {
        if args.index >= split.len() {
            return Err(CliError::Usage(format!(
                "--index {} is out of range: the split has {} images",
                args.index,
                split.len()
            )));
        }
        let label = split.label(args.index);
        plot::digit(&args.out, split.image(args.index), rows, cols, label)?;
    }
    say!("Wrote {}", args.out.display());
    Ok(())
}
