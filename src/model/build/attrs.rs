//! Attribute reading: checks a block's attribute names against the ones it
//! accepts, and types each value (durations, sizes, rates, percentages,
//! integers, words, choices), reporting a mismatch with an example of the
//! right form.
//!
//! Invariant: a reader returns `None` when the attribute is absent or
//! wrong, having reported the wrong case, so callers fall back to the
//! default and lowering goes on; a returned `Setting` keeps the value's span.

use super::*;

/// A block's attributes, checked for unknown names and duplicates.
pub(super) struct Attrs<'a> {
    pub(super) map: HashMap<&'a str, &'a Attribute>,
}

impl<'a> Attrs<'a> {
    pub(super) fn get(&self, name: &str) -> Option<&'a Attribute> {
        self.map.get(name).copied()
    }
}

impl Cx {
    pub(super) fn attrs<'a>(
        &mut self,
        attributes: &'a [Attribute],
        allowed: &[&str],
        what: &str,
    ) -> Attrs<'a> {
        let mut map: HashMap<&str, &Attribute> = HashMap::new();
        for a in attributes {
            let name = a.name.name.as_str();
            if !allowed.contains(&name) {
                let mut d = Diagnostic::error(
                    Code::UnknownAttribute,
                    a.name.span,
                    format!("unknown attribute `{name}` for {what}"),
                )
                .label("unknown attribute");
                d = match did_you_mean(name, allowed.iter().copied()) {
                    Some(s) => d.suggest(s),
                    None => d.help(format!("{what} takes: {}", allowed.join(", "))),
                };
                self.push(d);
                continue;
            }
            if let Some(first) = map.get(name) {
                self.push(
                    Diagnostic::error(
                        Code::DuplicateAttribute,
                        a.name.span,
                        format!("`{name}` is set twice"),
                    )
                    .label("second setting")
                    .related(first.name.span, "first set here")
                    .help("remove one of the two settings"),
                );
                continue;
            }
            map.insert(name, a);
        }
        Attrs { map }
    }

    pub(super) fn mismatch(&mut self, a: &Attribute, expected: &str, example: &str) {
        let found = a.value.kind.describe();
        self.push(
            Diagnostic::error(
                Code::TypeMismatch,
                a.value.span,
                format!("`{}` expects {expected}, found {found}", a.name.name),
            )
            .label(format!("this is {found}"))
            .help(format!(
                "write {expected}, for example `{} = {example}`",
                a.name.name
            )),
        );
    }

    pub(super) fn invalid(&mut self, span: Span, message: String, help: &str) {
        self.push(
            Diagnostic::error(Code::InvalidValue, span, message)
                .label("invalid value")
                .help(help),
        );
    }

    fn quantity(&mut self, a: &Attribute, unit: Unit, example: &str) -> Option<f64> {
        match &a.value.kind {
            ValueKind::Quantity(q) if q.unit == unit => Some(q.value),
            _ => {
                self.mismatch(a, unit.describe(), example);
                None
            }
        }
    }

    pub(super) fn duration(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Duration, example)?;
        Some(Setting::given(v, a.value.span))
    }

    pub(super) fn size(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Size, example)?;
        Some(Setting::given(v, a.value.span))
    }

    pub(super) fn rate(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Rate, example)?;
        if v <= 0.0 {
            self.invalid(
                a.value.span,
                format!("`{name}` must be above zero"),
                "give a positive rate",
            );
            return None;
        }
        Some(Setting::given(v, a.value.span))
    }

    /// A percentage between 0% and 100%.
    pub(super) fn percent(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Percent, example)?;
        if v > 1.0 + 1e-12 {
            self.invalid(
                a.value.span,
                format!("`{name}` is {}%, above 100%", fmt_num(v * 100.0)),
                "a percentage here is between 0% and 100%",
            );
            return None;
        }
        Some(Setting::given(v, a.value.span))
    }

    pub(super) fn multiplier(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        let v = self.quantity(a, Unit::Multiplier, example)?;
        if v <= 0.0 {
            self.invalid(
                a.value.span,
                format!("`{name}` must be above zero"),
                "give a factor such as `2x`",
            );
            return None;
        }
        Some(Setting::given(v, a.value.span))
    }

    /// A bare number (magnitudes allowed).
    pub(super) fn number(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<f64>> {
        let a = attrs.get(name)?;
        match a.value.kind {
            ValueKind::Number { value, .. } => Some(Setting::given(value, a.value.span)),
            _ => {
                self.mismatch(a, "a number", example);
                None
            }
        }
    }

    pub(super) fn integer(
        &mut self,
        attrs: &Attrs,
        name: &str,
        min: u64,
        example: &str,
    ) -> Option<Setting<u64>> {
        let a = attrs.get(name)?;
        match a.value.kind {
            ValueKind::Number {
                value,
                integer: true,
            } => {
                if value < min as f64 {
                    self.invalid(
                        a.value.span,
                        format!("`{name}` is {}, below the minimum of {min}", fmt_num(value)),
                        &format!("set `{name}` to {min} or more"),
                    );
                    return None;
                }
                if value > u32::MAX as f64 {
                    self.invalid(
                        a.value.span,
                        format!("`{name}` is too large"),
                        "use a realistic count",
                    );
                    return None;
                }
                Some(Setting::given(value as u64, a.value.span))
            }
            _ => {
                self.mismatch(a, "a whole number", example);
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, attrs: &Attrs, name: &str) -> Option<Setting<bool>> {
        let a = attrs.get(name)?;
        match a.value.kind {
            ValueKind::Bool(b) => Some(Setting::given(b, a.value.span)),
            _ => {
                self.mismatch(a, "`true` or `false`", "true");
                None
            }
        }
    }

    /// An identifier or a string: engine names, tools, regions.
    pub(super) fn word(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<String>> {
        let a = attrs.get(name)?;
        match &a.value.kind {
            ValueKind::Ident(s) | ValueKind::Str(s) => {
                Some(Setting::given(s.clone(), a.value.span))
            }
            _ => {
                self.mismatch(a, "a name", example);
                None
            }
        }
    }

    pub(super) fn string(
        &mut self,
        attrs: &Attrs,
        name: &str,
        example: &str,
    ) -> Option<Setting<String>> {
        let a = attrs.get(name)?;
        match &a.value.kind {
            ValueKind::Str(s) => Some(Setting::given(s.clone(), a.value.span)),
            _ => {
                self.mismatch(a, "a string", example);
                None
            }
        }
    }

    /// One of a fixed set of words.
    pub(super) fn choice<T: std::marker::Copy>(
        &mut self,
        attrs: &Attrs,
        name: &str,
        options: &[(&str, T)],
    ) -> Option<Setting<T>> {
        let a = attrs.get(name)?;
        let words: Vec<&str> = options.iter().map(|(w, _)| *w).collect();
        let word = match &a.value.kind {
            ValueKind::Ident(s) => s.as_str(),
            ValueKind::Bool(false) if words.contains(&"none") => "none",
            _ => {
                self.mismatch(a, &format!("one of {}", quote_list(&words)), words[0]);
                return None;
            }
        };
        if let Some((_, v)) = options.iter().find(|(w, _)| *w == word) {
            return Some(Setting::given(*v, a.value.span));
        }
        let near = did_you_mean(word, words.iter().copied());
        let help = match &near {
            Some(s) => format!(
                "did you mean `{s}`? `{name}` is one of {}",
                quote_list(&words)
            ),
            None => format!("`{name}` is one of {}", quote_list(&words)),
        };
        let mut d = Diagnostic::error(
            Code::InvalidValue,
            a.value.span,
            format!("`{word}` is not a valid `{name}`"),
        )
        .label("invalid value")
        .help(help);
        d.suggestion = near.map(str::to_string);
        self.push(d);
        None
    }
}
