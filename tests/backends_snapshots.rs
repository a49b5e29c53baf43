#![allow(clippy::unwrap_used)] // Tests fail loudly on broken fixtures.
//! Snapshots of every example built for both targets: all files of a
//! build, in order, each under a `==> path <==` line. A change to any
//! template or mapping shows here for review.

mod backends_common;

use archc::backends::Target;
use backends_common::build_example;

fn layout(files: &[archc::backends::OutputFile]) -> String {
    let mut out = String::new();
    for f in files {
        out.push_str(&format!("==> {} <==\n", f.path));
        out.push_str(&f.contents);
        out.push('\n');
    }
    out
}

#[test]
fn compose() {
    insta::glob!("../examples", "*.arch", |path| {
        insta::assert_snapshot!(layout(&build_example(path, Target::Compose)));
    });
}

#[test]
fn terraform() {
    insta::glob!("../examples", "*.arch", |path| {
        insta::assert_snapshot!(layout(&build_example(path, Target::Terraform)));
    });
}
