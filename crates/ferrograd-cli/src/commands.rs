//! `ferrograd eval` and `ferrograd show`.

use ferrograd::eval::evaluate;
use ferrograd::nn::Mlp;

use crate::cli::{EvalArgs, ShowArgs, SplitArg};
use crate::error::CliError;
use crate::{data_source, plot};

/// Prints the test accuracy and loss of the weights in `--model`.
pub fn eval(args: &EvalArgs) -> Result<(), CliError> {
    let model = Mlp::<f32>::from_safetensors(&args.model, args.activation)?;
    let mnist = data_source::load(&args.data)?;
    let features = model.sizes()[0];
    if features != mnist.test.features() {
        return Err(CliError::Usage(format!(
            "{} takes {features} inputs but the test images have {} pixels",
            args.model.display(),
            mnist.test.features()
        )));
    }
    let result = evaluate(&model, &mnist.test, 1000);
    println!(
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
    println!("Wrote {}", args.out.display());
    Ok(())
}
