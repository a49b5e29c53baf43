//! `archc graph FILE --format dot|mermaid|svg [--datacenter NAME]`: the
//! model as a diagram, coloured by the checker's findings.

use super::{EXIT_INPUT, EXIT_OK, inputs};
use archc::render;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    Svg,
}

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The design to draw; a folder draws each `.arch` file below it.
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
    /// Draw one datacenter's copies (and the global components).
    #[arg(long)]
    pub datacenter: Option<String>,
    /// Write to this file instead of standard output (with a folder: into
    /// this folder, one `NAME.dot|mmd|svg` per design).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> u8 {
    if args.file.is_dir() {
        return run_folder(args);
    }
    let Some(mut input) = inputs::load_one(&args.file) else {
        return EXIT_INPUT;
    };
    let config = match inputs::config_for(&input.path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_INPUT;
        }
    };
    let (sources, checked) = inputs::compile(&mut input, &config, &[], Some(&super::today()));
    let Some(model) = checked.model else {
        let split = sources.split(checked.diagnostics);
        eprint!(
            "{}",
            render::human(
                &inputs::reports(&sources, &split),
                false,
                super::terminal_width()
            )
        );
        return EXIT_INPUT;
    };
    let only = match &args.datacenter {
        None => None,
        Some(name) => match model
            .datacenters
            .iter()
            .position(|d| &d.name == name && !d.implicit)
        {
            Some(i) => Some(i),
            None => {
                let names: Vec<&str> = model
                    .datacenters
                    .iter()
                    .filter(|d| !d.implicit)
                    .map(|d| d.name.as_str())
                    .collect();
                match archc::diagnostic::did_you_mean(name, names.iter().copied()) {
                    Some(s) => {
                        eprintln!("error: no datacenter named `{name}`; did you mean `{s}`?")
                    }
                    None if names.is_empty() => {
                        eprintln!("error: `{}` declares no datacenters", input.name)
                    }
                    None => eprintln!(
                        "error: no datacenter named `{name}`; the datacenters are {}",
                        names.join(", ")
                    ),
                }
                return EXIT_INPUT;
            }
        },
    };
    let est = match checked.estimate {
        Some(est) => est,
        None => archc::estimate(&model, &mut Default::default()),
    };
    let diagram = archc::graph::Diagram::new(&model, &est, &checked.diagnostics, only);
    let text = match args.format {
        GraphFormat::Dot => diagram.dot(),
        GraphFormat::Mermaid => diagram.mermaid(),
        GraphFormat::Svg => diagram.svg(),
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = super::write_atomic(path, text.as_bytes()) {
                eprintln!("error: {}: cannot write: {e}", path.display());
                return EXIT_INPUT;
            }
        }
        None => super::emit(&text),
    }
    EXIT_OK
}

/// `graph DIR`: each design drawn in turn. To standard output, dot and
/// Mermaid name each file in a comment of their own syntax (several `dot`
/// graphs in one stream are valid input to Graphviz); SVG documents cannot
/// share a stream, so SVG needs `-o DIR`, which receives one file per
/// design, named after it.
fn run_folder(args: Args) -> u8 {
    let dir = args.file.clone();
    let ext = match args.format {
        GraphFormat::Dot => "dot",
        GraphFormat::Mermaid => "mmd",
        GraphFormat::Svg => "svg",
    };
    let out_dir = args.output.clone();
    if out_dir.is_none() && args.format == GraphFormat::Svg {
        eprintln!(
            "error: {} is a folder: SVG drawings of several designs need `-o DIR` to write one file each",
            dir.display()
        );
        return EXIT_INPUT;
    }
    if let Some(out) = &out_dir {
        if out.exists() && !out.is_dir() {
            eprintln!(
                "error: {}: with a folder of designs, `-o` names a folder to write into",
                out.display()
            );
            return EXIT_INPUT;
        }
        if let Err(e) = std::fs::create_dir_all(out) {
            eprintln!("error: {}: cannot create the folder: {e}", out.display());
            return EXIT_INPUT;
        }
    }
    let mut first = true;
    let code = inputs::each_design(&dir, false, |file| {
        let output = out_dir
            .as_ref()
            .map(|d| d.join(format!("{}.{ext}", inputs::stem(&file))));
        if output.is_none() {
            let name = file.display().to_string().replace('\\', "/");
            let gap = if first { "" } else { "\n" };
            first = false;
            super::emit(&match args.format {
                GraphFormat::Mermaid => format!("{gap}%% ==> {name} <==\n"),
                _ => format!("{gap}// ==> {name} <==\n"),
            });
        }
        run(Args {
            file,
            output,
            ..args.clone()
        })
    });
    code.unwrap_or(EXIT_INPUT)
}
