use super::{Context, Rule};
use crate::declare_rule;
use crate::diagnostic::Diagnostic;

declare_rule! {
    /// ## What it flags
    /// A `template` (LANGUAGE.md §11) that no component or datacenter
    /// applies, directly or through another template. A template another
    /// template applies counts as used only when that one is used.
    ///
    /// ## Why it matters
    /// A template is shared settings: one nobody applies is settings that
    /// reach nothing. Usually a component was meant to apply it and its
    /// `: NAME` was forgotten or misspelled into another template's name,
    /// so the component runs on defaults its author thought were set. In a
    /// platform library it is often a leftover from a tier that was
    /// removed; it still reads as a standard the design follows.
    ///
    /// ## Example
    /// ```arch
    /// template web-tier { autoscale = 4..40  timeout = 2s }
    /// client users
    /// service web { capacity = 800/s }
    /// users -> web
    /// ```
    ///
    /// ## Instead
    /// ```arch
    /// template web-tier { autoscale = 4..40  timeout = 2s }
    /// client users
    /// service web : web-tier { capacity = 800/s }
    /// users -> web
    /// ```
    pub struct UnusedTemplate = "unused-template", Info, "operations", "apply the template to the components it was meant for, or remove it";
    position 2;
}

impl Rule for UnusedTemplate {
    fn check(&self, cx: &Context, out: &mut Vec<Diagnostic>) {
        let m = cx.model;
        for t in m.templates.iter().filter(|t| t.used_by.is_empty()) {
            let help = format!(
                "apply it to the components it was meant for (`service web : {} {{ … }}`), or remove it",
                t.name
            );
            out.push(
                Diagnostic::new(
                    Self::INFO.name,
                    Self::INFO.severity,
                    t.name_span,
                    format!(
                        "no component applies template `{}`, directly or through another template: its settings reach nothing",
                        t.name
                    ),
                )
                .label("never applied")
                .help(help),
            );
        }
    }
}
