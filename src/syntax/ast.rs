//! The typed syntax tree. Every node has a span; values are already lowered
//! into base quantities (seconds, bytes, per-second rates, fractions), so
//! `10M`, `10m` and `10MB` arrive as ten million, 600 seconds and ten
//! million bytes. Nothing here knows about components' meaning: that is the
//! model's job.

use crate::diagnostic::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A file as written: its statements in order, and every comment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// The comment's text after `#`, untrimmed.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    System(SystemLine),
    Import(Import),
    Singleton(Singleton),
    Declaration(Declaration),
    Flow(Flow),
    Scenario(Scenario),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::System(s) => s.span,
            Item::Import(i) => i.span,
            Item::Singleton(s) => s.span,
            Item::Declaration(d) => d.span,
            Item::Flow(f) => f.span,
            Item::Scenario(s) => s.span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SystemLine {
    pub name: Ident,
    pub span: Span,
}

/// `import "platform/common.arch"`: the path as written (escapes applied)
/// and the span of its string, where an unreadable file is reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: String,
    pub path_span: Span,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SingletonKind {
    Traffic,
    Slo,
    Monitoring,
    Assumptions,
}

impl SingletonKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SingletonKind::Traffic => "traffic",
            SingletonKind::Slo => "slo",
            SingletonKind::Monitoring => "monitoring",
            SingletonKind::Assumptions => "assumptions",
        }
    }
}

/// `traffic { … }` and the other singleton blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct Singleton {
    pub kind: SingletonKind,
    pub keyword: Span,
    pub body: Body,
    pub span: Span,
}

/// `KIND NAME : T1, T2 { … }`: a datacenter, a component, or (with the
/// kind `template`) a template.
#[derive(Clone, Debug, PartialEq)]
pub struct Declaration {
    pub kind: Ident,
    pub name: Ident,
    /// The templates applied, in order (`: web-tier, hardened`).
    pub templates: Vec<Ident>,
    pub body: Option<Body>,
    pub span: Span,
}

impl Declaration {
    pub fn attributes(&self) -> &[Attribute] {
        self.body.as_ref().map_or(&[], |b| &b.attributes)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    pub name: Ident,
    pub value: Value,
    pub span: Span,
    /// Set when the attribute was copied from a template into a component
    /// (LANGUAGE.md §11): the template's name and the span of its use in
    /// the component's header. `None` for an attribute written in place.
    pub via: Option<Box<TemplateUse>>,
}

/// Where a templated attribute came from: the template, and the span of
/// its name after the component's `:`.
#[derive(Clone, Debug, PartialEq)]
pub struct TemplateUse {
    pub template: String,
    pub used_at: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    /// A bare number, its magnitude applied (`10M` is 1e7). `integer` says
    /// the literal had no fractional part after lowering.
    Number {
        value: f64,
        integer: bool,
    },
    Quantity(Quantity),
    Bool(bool),
    Str(String),
    Ident(String),
    Range(Box<Value>, Box<Value>),
    List(Vec<Value>),
    Map(Vec<(Ident, Value)>),
    Call(Ident, Vec<Value>),
}

/// A number with a unit, in base units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub unit: Unit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Seconds.
    Duration,
    /// Bytes.
    Size,
    /// Per second.
    Rate,
    /// A fraction: `95%` is 0.95.
    Percent,
    /// A factor: `3x` is 3.0.
    Multiplier,
}

impl Unit {
    pub fn describe(self) -> &'static str {
        match self {
            Unit::Duration => "a duration",
            Unit::Size => "a size",
            Unit::Rate => "a rate",
            Unit::Percent => "a percentage",
            Unit::Multiplier => "a multiplier",
        }
    }
}

impl ValueKind {
    /// What kind of value this is, in words for "expected …, found …".
    pub fn describe(&self) -> String {
        match self {
            ValueKind::Number { integer: true, .. } => "a whole number".into(),
            ValueKind::Number { .. } => "a number with a fraction".into(),
            ValueKind::Quantity(q) => q.unit.describe().into(),
            ValueKind::Bool(_) => "a boolean".into(),
            ValueKind::Str(_) => "a string".into(),
            ValueKind::Ident(name) => format!("the name `{name}`"),
            ValueKind::Range(..) => "a range".into(),
            ValueKind::List(_) => "a list".into(),
            ValueKind::Map(_) => "a map".into(),
            ValueKind::Call(f, _) => format!("a call to `{}`", f.name),
        }
    }
}

/// `a -> b.replicas -> c [read, write 10%]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Flow {
    pub endpoints: Vec<Endpoint>,
    pub labels: Vec<FlowLabel>,
    /// The bracketed label list, when present.
    pub labels_span: Option<Span>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub component: Ident,
    /// `replicas` or `primary` in `db.replicas`.
    pub role: Option<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FlowLabel {
    /// The first word of a label: `read`, `write`, `static`, `all-shards`
    /// (validated by the model).
    Class(Ident),
    /// A later word of the same label, after a space rather than a comma:
    /// `all-shards` in `[read all-shards]` (validated by the model).
    Modifier(Ident),
    /// `x10`: calls per matching request, as written (a sign or a fraction
    /// is kept for the model to reject).
    Calls(f64, Span),
    /// `10%`, possibly written after a class (`write 10%`).
    Share(f64, Span),
    /// A quantity that is not a percentage (`[write 3x]`).
    BadShare(Value),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: Ident,
    pub attributes: Vec<Attribute>,
    pub events: Vec<ScenarioEvent>,
    pub expectations: Vec<Expectation>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioEvent {
    pub at: Value,
    pub action: Action,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Fail(Target),
    Recover(Target),
    Traffic(Value),
}

/// `2 of web@us-east`, `users.primary@us-east`, `us-west`, `us-west/b`,
/// `web`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub count: Option<Value>,
    pub name: Ident,
    /// The zone after `/`: `b` in `us-west/b`.
    pub zone: Option<Ident>,
    pub role: Option<Ident>,
    pub datacenter: Option<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub metric: Ident,
    /// The target of `utilization(web@us-east)`.
    pub argument: Option<Target>,
    pub op: Comparison,
    pub value: Value,
    pub during: Option<(Value, Value)>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    Lt,
    Le,
    Gt,
    Ge,
}
