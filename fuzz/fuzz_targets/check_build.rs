//! Compile, check, and build every target never panic, and what a build
//! writes stays inside its output folder and carries archc's header, so
//! a later build may overwrite it and nothing else.
#![no_main]

use archc::backends::{self, Options, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let options = archc::BuildOptions {
        default_name: "fuzz".into(),
        ..Default::default()
    };
    let checked = archc::check(source, &options, &Default::default(), "2026-11-20");
    let (Some(model), Some(estimate)) = (&checked.model, &checked.estimate) else {
        return;
    };
    let build_options = Options {
        source: "fuzz.arch".into(),
        ..Default::default()
    };
    for target in [Target::Compose, Target::Terraform, Target::Kubernetes] {
        let Ok(files) = backends::build(model, estimate, target, &build_options) else {
            continue;
        };
        for file in &files {
            let path = std::path::Path::new(&file.path);
            assert!(
                path.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_))),
                "{target:?} writes outside its folder: {:?}",
                file.path
            );
            assert!(
                backends::is_generated(&file.contents)
                    || !file.path.ends_with(".yaml") && !file.path.ends_with(".tf"),
                "{target:?} {} lacks the generated header",
                file.path
            );
        }
    }
});
