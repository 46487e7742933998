//! The compiled plan of an endpoint's transforms and the single traversal that applies it.
//!
//! Every JSONPath of every transform becomes a list of steps; walking the document once, each node
//! carries the set of `(path, step)` states that reached it, computes its children's states from
//! them, and learns which paths it completes. Subtrees no state reaches are not visited. Matches
//! are applied bottom-up in rule order: transform by transform, and within a transform path by
//! path, as psoxy applies them one after the other.
//!
//! psoxy evaluates each transform's filters (`[?(...)]`) and `applyOnlyWhen` on the document as
//! left by the transforms before it. Where that could matter (a transform with a filter or a
//! condition after another transform), the plan starts a new *stage* there: stages run one after
//! the other, each one traversal. Most endpoints have one stage.
//!
//! Selection follows Jayway exactly as `sluice_spec::jsonpath`'s reference evaluator does
//! (a property test checks that the two agree).

use serde_json::{Map, Value};
use sluice_spec::jsonpath::{
    CompareOp, FilterExpr, JsonPath, Literal, Operand, PathRoot, Segment, Selector,
};
use smallvec::SmallVec;

/// One JSONPath of one transform.
#[derive(Debug, Clone)]
pub(crate) struct PlanPath {
    /// Index of the transform in the endpoint's list.
    pub(crate) transform: usize,
    /// The path's steps.
    pub(crate) segments: Vec<Segment>,
}

/// Transforms applied in one traversal.
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    /// Every path of the stage's transforms, ordered by transform then by path.
    pub(crate) paths: Vec<PlanPath>,
    /// Whether some filter refers to the document root (`$`), which then needs a snapshot.
    pub(crate) needs_root: bool,
}

impl Stage {
    /// Whether transform number `transform` is applied in this stage.
    pub(crate) fn has_transform(&self, transform: usize) -> bool {
        self.paths.iter().any(|p| p.transform == transform)
    }

    /// The stage for `transforms` (index, its JSONPaths), in order.
    pub(crate) fn new<'a>(transforms: impl IntoIterator<Item = (usize, &'a [JsonPath])>) -> Self {
        let mut paths = Vec::new();
        for (transform, json_paths) in transforms {
            for p in json_paths {
                paths.push(PlanPath {
                    transform,
                    segments: p.segments().to_vec(),
                });
            }
        }
        let needs_root = paths
            .iter()
            .any(|p| p.segments.iter().any(segment_uses_root));
        Self { paths, needs_root }
    }
}

/// Property names, or "any" when a wildcard or index could reach anything.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    any: bool,
    names: std::collections::BTreeSet<String>,
}

impl Names {
    /// Whether the two sets can share a name.
    pub(crate) fn overlaps(&self, other: &Names) -> bool {
        (self.any && (other.any || !other.names.is_empty()))
            || (other.any && !self.names.is_empty())
            || self.names.iter().any(|n| other.names.contains(n))
    }

    /// Whether the set is empty (reads or touches nothing).
    pub(crate) fn is_empty(&self) -> bool {
        !self.any && self.names.is_empty()
    }

    /// Adds `other`'s names.
    pub(crate) fn extend(&mut self, other: Names) {
        self.any |= other.any;
        self.names.extend(other.names);
    }

    /// Any name at all.
    pub(crate) fn anything() -> Self {
        Self {
            any: true,
            names: std::collections::BTreeSet::new(),
        }
    }
}

/// The property names a transform on these paths can change: each path's last step.
pub(crate) fn touched_names(paths: &[JsonPath]) -> Names {
    let mut out = Names::default();
    for path in paths {
        match path.segments().last().map(Segment::selector) {
            Some(Selector::Name(n)) => {
                out.names.insert(n.clone());
            }
            Some(Selector::Names(ns)) => out.names.extend(ns.iter().cloned()),
            _ => out.any = true,
        }
    }
    out
}

/// The property names the filters in these segments read (any path inside a filter).
pub(crate) fn filter_reads(segments: &[Segment]) -> Names {
    let mut out = Names::default();
    for segment in segments {
        if let Selector::Filter(f) = segment.selector() {
            filter_expr_reads(f, &mut out);
        }
    }
    out
}

/// Every property name a path reads when it is evaluated (its own steps and its filters').
pub(crate) fn path_reads(segments: &[Segment]) -> Names {
    let mut out = Names::default();
    for segment in segments {
        match segment.selector() {
            Selector::Name(n) => {
                out.names.insert(n.clone());
            }
            Selector::Names(ns) => out.names.extend(ns.iter().cloned()),
            Selector::Filter(f) => filter_expr_reads(f, &mut out),
            Selector::Wildcard
            | Selector::Index(_)
            | Selector::Indices(_)
            | Selector::Slice { .. } => {
                out.any = true;
            }
        }
    }
    out
}

fn filter_expr_reads(f: &FilterExpr, out: &mut Names) {
    let operand = |o: &Operand, out: &mut Names| {
        if let Operand::Path(p) = o {
            out.extend(path_reads(&p.segments));
        }
    };
    match f {
        FilterExpr::Or(list) | FilterExpr::And(list) => {
            list.iter().for_each(|f| filter_expr_reads(f, out))
        }
        FilterExpr::Not(inner) => filter_expr_reads(inner, out),
        FilterExpr::Exists(p) => out.extend(path_reads(&p.segments)),
        FilterExpr::Compare { left, right, .. } => {
            operand(left, out);
            operand(right, out);
        }
    }
}

/// Whether a filter in these segments refers to the document root (`$`).
pub(crate) fn path_uses_root(segments: &[Segment]) -> bool {
    segments.iter().any(segment_uses_root)
}

/// Whether the nodes path `a` reaches and the nodes path `b` reaches lie in disjoint subtrees:
/// after the same number of one-level steps (child steps other than filters, which on an object
/// stay at the node), the two take child names no node can have under both. Everything `a`
/// selects and everything a relative (`@`) filter of `b` reads are then in different subtrees.
pub(crate) fn disjoint(a: &[Segment], b: &[Segment]) -> bool {
    for (sa, sb) in a.iter().zip(b) {
        let (Segment::Child(sa), Segment::Child(sb)) = (sa, sb) else {
            return false;
        };
        let names = |s: &Selector| -> Option<Vec<String>> {
            match s {
                Selector::Name(n) => Some(vec![n.clone()]),
                Selector::Names(ns) => Some(ns.clone()),
                _ => None,
            }
        };
        if let (Some(na), Some(nb)) = (names(sa), names(sb))
            && !na.iter().any(|n| nb.contains(n))
        {
            return true;
        }
        if matches!(sa, Selector::Filter(_)) || matches!(sb, Selector::Filter(_)) {
            return false;
        }
    }
    false
}

fn segment_uses_root(segment: &Segment) -> bool {
    match segment.selector() {
        Selector::Filter(f) => filter_uses_root(f),
        _ => false,
    }
}

fn filter_uses_root(f: &FilterExpr) -> bool {
    let operand = |o: &Operand| match o {
        Operand::Path(p) => p.root == PathRoot::Root || p.segments.iter().any(segment_uses_root),
        Operand::Literal(_) | Operand::Regex(_) => false,
    };
    match f {
        FilterExpr::Or(list) | FilterExpr::And(list) => list.iter().any(filter_uses_root),
        FilterExpr::Not(inner) => filter_uses_root(inner),
        FilterExpr::Exists(p) => {
            p.root == PathRoot::Root || p.segments.iter().any(segment_uses_root)
        }
        FilterExpr::Compare { left, right, .. } => operand(left) || operand(right),
    }
}

/// What applying a transform to a node did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// The node stays (possibly changed in place).
    Keep,
    /// The node is removed from its parent (`redact`).
    Remove,
}

/// Applies transform number `transform` to a matched node.
pub(crate) trait Applier {
    /// The error a transform can fail with.
    type Error: WithPointer;
    /// Applies the transform in place, or asks for the node's removal.
    fn apply(&self, transform: usize, node: &mut Value) -> Result<Effect, Self::Error>;
}

/// Errors that learn, as they travel up, where in the document they happened.
pub(crate) trait WithPointer {
    /// Prepends one step (`/key` or `/3`) to the error's JSON pointer.
    fn prepend(&mut self, step: &str);
}

/// A `(path, step)` pair: "path `path` has consumed `step` of its steps to reach this node".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct State {
    path: u32,
    step: u32,
}

/// The paths a node completes: a bit per path below 64 (most stages have a handful), a list
/// for the rest.
#[derive(Default)]
struct PathSet {
    low: u64,
    high: Vec<u32>,
}

impl PathSet {
    fn is_empty(&self) -> bool {
        self.low == 0 && self.high.is_empty()
    }

    fn insert(&mut self, path: u32) {
        if path < 64 {
            self.low |= 1 << path;
        } else {
            self.high.push(path);
        }
    }

    /// The paths, ascending, each once.
    fn into_sorted(mut self) -> impl Iterator<Item = u32> {
        self.high.sort_unstable();
        self.high.dedup();
        let mut low = self.low;
        std::iter::from_fn(move || {
            (low != 0).then(|| {
                let p = low.trailing_zeros();
                low &= low - 1;
                p
            })
        })
        .chain(self.high)
    }
}

/// The states at one node; most nodes have a few, kept inline.
type States = SmallVec<[State; 8]>;

/// How a node's states reach its children; kept inline for up to 16.
type Reaches<'p> = SmallVec<[Reach<'p>; 16]>;

/// How a state at a node reaches the node's children.
enum Reach<'p> {
    /// Children selected by this selector go on to `next`.
    Select {
        selector: &'p Selector,
        next: State,
        indices: Vec<usize>,
    },
    /// Every child goes on to `next` (Jayway's deep-scan shortcut on arrays).
    All(State),
}

struct Walk<'p, 'r, A> {
    stage: &'p Stage,
    root: &'r Value,
    applier: &'p A,
}

/// Runs one stage over `doc`. `root` is the document as the stage found it, for `$` filters
/// (any value when the stage has none).
pub(crate) fn run_stage<A: Applier>(
    stage: &Stage,
    doc: &mut Value,
    root: &Value,
    applier: &A,
) -> Result<Effect, A::Error> {
    let initial: States = (0..stage.paths.len())
        .map(|p| State {
            path: p as u32,
            step: 0,
        })
        .collect();
    let walk = Walk {
        stage,
        root,
        applier,
    };
    walk.visit(doc, initial)
}

impl<'p, A: Applier> Walk<'p, '_, A> {
    fn segments(&self, state: State) -> &'p [Segment] {
        &self.stage.paths[state.path as usize].segments
    }

    fn visit(&self, node: &mut Value, mut states: States) -> Result<Effect, A::Error> {
        let mut matched = PathSet::default();
        let mut reaches: Reaches<'p> = SmallVec::new();
        let mut scans: States = SmallVec::new();
        let mut i = 0;
        while i < states.len() {
            let state = states[i];
            i += 1;
            let segments = self.segments(state);
            let Some(segment) = segments.get(state.step as usize) else {
                matched.insert(state.path);
                continue;
            };
            let next = State {
                path: state.path,
                step: state.step + 1,
            };
            let leaf = state.step as usize + 1 == segments.len();
            match segment {
                Segment::Child(selector) => {
                    self.child(node, selector, next, &mut states, &mut reaches)
                }
                Segment::Descendant(selector) => {
                    if !(node.is_object() || node.is_array()) {
                        continue;
                    }
                    if self.scan_predicate(selector, node, leaf) {
                        if node.is_array() && !leaf {
                            reaches.push(Reach::All(next));
                        } else {
                            self.child(node, selector, next, &mut states, &mut reaches);
                        }
                    }
                    scans.push(state);
                }
            }
        }

        if !reaches.is_empty() || !scans.is_empty() {
            self.visit_children(node, &reaches, &scans)?;
        }

        self.apply_matched(node, matched)
    }

    /// Applies the transforms of the paths `node` completes, in path order.
    fn apply_matched(&self, node: &mut Value, matched: PathSet) -> Result<Effect, A::Error> {
        for path in matched.into_sorted() {
            let transform = self.stage.paths[path as usize].transform;
            if self.applier.apply(transform, node)? == Effect::Remove {
                return Ok(Effect::Remove);
            }
        }
        Ok(Effect::Keep)
    }

    /// Visits one child: a scalar can only complete paths (no step applies to it), so its
    /// completed paths are collected directly instead of through a list of states.
    fn visit_child(
        &self,
        reaches: &[Reach<'p>],
        scans: &[State],
        key: Option<&str>,
        index: Option<usize>,
        child: &mut Value,
    ) -> Result<Effect, A::Error> {
        if !(child.is_object() || child.is_array()) {
            let mut matched = PathSet::default();
            self.reach_child(reaches, key, index, child, |s| {
                if s.step as usize == self.segments(s).len() {
                    matched.insert(s.path);
                }
            });
            if matched.is_empty() {
                return Ok(Effect::Keep);
            }
            return self.apply_matched(child, matched);
        }
        let states = self.child_states(reaches, scans, key, index, child);
        if states.is_empty() {
            return Ok(Effect::Keep);
        }
        self.visit(child, states)
    }

    /// Jayway's `child` step at `node`: filters on objects continue at the node itself; other
    /// selectors reach children.
    fn child(
        &self,
        node: &Value,
        selector: &'p Selector,
        next: State,
        states: &mut States,
        reaches: &mut Reaches<'p>,
    ) {
        match (selector, node) {
            (Selector::Filter(f), Value::Object(_))
                if accept(f, node, self.root) && !states.contains(&next) =>
            {
                states.push(next);
            }
            (Selector::Filter(_), Value::Object(_)) => {}
            (
                Selector::Index(_) | Selector::Indices(_) | Selector::Slice { .. },
                Value::Array(a),
            ) => {
                let indices = effective_indices(selector, a.len());
                reaches.push(Reach::Select {
                    selector,
                    next,
                    indices,
                });
            }
            (_, Value::Object(_) | Value::Array(_)) => {
                reaches.push(Reach::Select {
                    selector,
                    next,
                    indices: Vec::new(),
                });
            }
            _ => {}
        }
    }

    fn scan_predicate(&self, selector: &Selector, node: &Value, leaf: bool) -> bool {
        match selector {
            Selector::Filter(f) => accept(f, node, self.root),
            _ => selector.scan_matches(node, self.root, leaf),
        }
    }

    fn visit_children(
        &self,
        node: &mut Value,
        reaches: &[Reach<'p>],
        scans: &[State],
    ) -> Result<(), A::Error> {
        match node {
            Value::Object(map) => {
                let names = if scans.is_empty() {
                    named_children(reaches)
                } else {
                    None
                };
                let mut removed: Vec<String> = Vec::new();
                for (key, child) in map.iter_mut() {
                    // A child no name selects: no state reaches it, nothing to do.
                    if names.as_ref().is_some_and(|n| !n.contains(&key.as_str())) {
                        continue;
                    }
                    match self.visit_child(reaches, scans, Some(key), None, child) {
                        Ok(Effect::Keep) => {}
                        Ok(Effect::Remove) => removed.push(key.clone()),
                        Err(mut e) => {
                            e.prepend(&escape_pointer(key));
                            return Err(e);
                        }
                    }
                }
                remove_keys(map, &removed);
                Ok(())
            }
            Value::Array(items) => {
                let mut removed: Vec<usize> = Vec::new();
                for (index, child) in items.iter_mut().enumerate() {
                    match self.visit_child(reaches, scans, None, Some(index), child) {
                        Ok(Effect::Keep) => {}
                        Ok(Effect::Remove) => removed.push(index),
                        Err(mut e) => {
                            e.prepend(&index.to_string());
                            return Err(e);
                        }
                    }
                }
                for index in removed.into_iter().rev() {
                    items.remove(index);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The states a child starts with, from how its parent's states reach children.
    fn child_states(
        &self,
        reaches: &[Reach<'p>],
        scans: &[State],
        key: Option<&str>,
        index: Option<usize>,
        child: &Value,
    ) -> States {
        let mut states = States::new();
        let mut add = |s: State| {
            if !states.contains(&s) {
                states.push(s);
            }
        };
        self.reach_child(reaches, key, index, child, &mut add);
        if child.is_object() || child.is_array() {
            for scan in scans {
                add(*scan);
            }
        }
        states
    }

    /// Calls `add` with each state the parent's `reaches` give the child (possibly repeated).
    fn reach_child(
        &self,
        reaches: &[Reach<'p>],
        key: Option<&str>,
        index: Option<usize>,
        child: &Value,
        mut add: impl FnMut(State),
    ) {
        for reach in reaches {
            match reach {
                Reach::All(next) => add(*next),
                Reach::Select {
                    selector,
                    next,
                    indices,
                } => {
                    let selected = match (selector, key, index) {
                        (Selector::Name(n), Some(k), _) => n == k,
                        (Selector::Names(ns), Some(k), _) => ns.iter().any(|n| n == k),
                        (Selector::Wildcard, _, _) => true,
                        (Selector::Filter(f), _, Some(_)) => accept(f, child, self.root),
                        (
                            Selector::Index(_) | Selector::Indices(_) | Selector::Slice { .. },
                            _,
                            Some(i),
                        ) => indices.contains(&i),
                        _ => false,
                    };
                    if selected {
                        add(*next);
                    }
                }
            }
        }
    }
}

/// The distinct property names the `reaches` of an object select, when they all select by
/// name: one check of a child's key against them spares visiting the children none selects.
fn named_children<'p>(reaches: &[Reach<'p>]) -> Option<SmallVec<[&'p str; 8]>> {
    let mut names: SmallVec<[&'p str; 8]> = SmallVec::new();
    let mut add = |name: &'p str| {
        if !names.contains(&name) {
            names.push(name);
        }
    };
    for reach in reaches {
        match reach {
            Reach::Select {
                selector: Selector::Name(n),
                ..
            } => add(n),
            Reach::Select {
                selector: Selector::Names(ns),
                ..
            } => ns.iter().for_each(|n| add(n)),
            _ => return None,
        }
    }
    Some(names)
}

/// Whether filter `f` accepts `node`: [`FilterExpr::matches`], answered without the general
/// evaluator where [`quick_accept`] can.
fn accept(f: &FilterExpr, node: &Value, root: &Value) -> bool {
    quick_accept(f, node).unwrap_or_else(|| f.matches(node, root))
}

/// The answer of [`FilterExpr::matches`] for the common filters `@.name == 'text'` and
/// `@.name != 'text'` (and `||` / `&&` of them) on an object whose `name` is a string, where
/// Jayway's comparison is plain string equality, or missing, where it compares an undefined
/// value, equal to nothing; `None` when the general evaluator must decide.
fn quick_accept(f: &FilterExpr, node: &Value) -> Option<bool> {
    match f {
        FilterExpr::Or(ops) => {
            for op in ops {
                if quick_accept(op, node)? {
                    return Some(true);
                }
            }
            Some(false)
        }
        FilterExpr::And(ops) => {
            for op in ops {
                if !quick_accept(op, node)? {
                    return Some(false);
                }
            }
            Some(true)
        }
        FilterExpr::Compare {
            left: Operand::Path(path),
            op: op @ (CompareOp::Eq | CompareOp::Ne),
            right: Operand::Literal(Literal::String(literal)),
        } if path.root == PathRoot::Current && path.function.is_none() => {
            let [Segment::Child(Selector::Name(name))] = path.segments.as_slice() else {
                return None;
            };
            match node.as_object()?.get(name) {
                Some(Value::String(s)) => Some((s == literal) == (*op == CompareOp::Eq)),
                // A missing property is Jayway's undefined value, equal to no string.
                None => Some(*op == CompareOp::Ne),
                Some(_) => None,
            }
        }
        _ => None,
    }
}

/// The array positions an index, index list or slice selects (Jayway's rules: a negative index
/// counts from the end once; slices `[a:b]` do not normalise negative bounds).
fn effective_indices(selector: &Selector, len: usize) -> Vec<usize> {
    let len = len as i64;
    let resolve = |ix: i64| {
        let eff = if ix < 0 { len + ix } else { ix };
        (0..len).contains(&eff).then_some(eff as usize)
    };
    match selector {
        Selector::Index(ix) => resolve(*ix).into_iter().collect(),
        Selector::Indices(ixs) => ixs.iter().filter_map(|ix| resolve(*ix)).collect(),
        Selector::Slice { start, end } => {
            let range = match (start, end) {
                (Some(from), None) => {
                    let from = if *from < 0 { len + from } else { *from };
                    from.max(0)..len
                }
                (Some(from), Some(to)) if len > 0 => *from..(*to).min(len),
                (None, Some(to)) if len > 0 => {
                    let to = if *to < 0 { len + to } else { *to };
                    0..to.min(len)
                }
                _ => 0..0,
            };
            range.filter_map(resolve).collect()
        }
        _ => Vec::new(),
    }
}

fn remove_keys(map: &mut Map<String, Value>, keys: &[String]) {
    for key in keys {
        map.shift_remove(key);
    }
}

/// RFC 6901 escaping of one pointer step.
fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// Marks every node the plan matches, replacing it with `"<matched>"`.
    struct Mark;

    #[derive(Debug)]
    struct NoError;

    impl WithPointer for NoError {
        fn prepend(&mut self, _: &str) {}
    }

    impl Applier for Mark {
        type Error = NoError;
        fn apply(&self, _: usize, node: &mut Value) -> Result<Effect, NoError> {
            *node = json!("<matched>");
            Ok(Effect::Keep)
        }
    }

    fn by_plan(path: &str, doc: &Value) -> Value {
        let path = JsonPath::parse(path).unwrap();
        let stage = Stage::new([(0, std::slice::from_ref(&path))]);
        let mut out = doc.clone();
        run_stage(&stage, &mut out, doc, &Mark).unwrap();
        out
    }

    fn by_reference(path: &str, doc: &Value) -> Value {
        let path = JsonPath::parse(path).unwrap();
        let mut pointers = path.select_pointers(doc);
        // Deepest first, so a replaced parent does not hide its children.
        pointers.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
        let mut out = doc.clone();
        for p in pointers {
            if p.is_empty() {
                out = json!("<matched>");
            } else if let Some(slot) = out.pointer_mut(&p) {
                *slot = json!("<matched>");
            }
        }
        out
    }

    const PATHS: &[&str] = &[
        "$",
        "$.a",
        "$..email",
        "$..id",
        "$.a.b",
        "$[*].login",
        "$.items[*].attendees[*].email",
        "$..[?(@.type == 'user')].id",
        "$.items[?(@.self)].email",
        "$.items[?(!@.self)]",
        "$..[0]",
        "$..[0].id",
        "$.items[-1]",
        "$.items[0,2]",
        "$.items[1:3]",
        "$.items[:2].id",
        "$.items[-2:]",
        "$['a','id']",
        "$..['email','id']",
        "$.*",
        "$..*",
        "$.a..id",
        "$.items[*]..email",
        "$..[?(@.email =~ /.*@acme\\.com/i)].email",
        "$[?(@.type == 'user')]",
        "$..a[?(@.id > 1)]",
        "$..[?(@.id in [1, 2])].type",
    ];

    fn sample() -> Value {
        json!({
            "a": {"b": 1, "id": 7, "email": "a@acme.com", "type": "user"},
            "id": 3,
            "type": "user",
            "items": [
                {"id": 1, "email": "X@ACME.com", "self": true, "attendees": [{"email": "p@q.r", "id": 2}]},
                {"id": 2, "email": "y@other.org", "type": "user", "attendees": []},
                [ {"id": 4, "email": "n@acme.com"} ],
                "text",
                {"a": [{"id": 5}, {"id": 0, "type": "user"}]}
            ]
        })
    }

    #[test]
    fn the_plan_selects_what_the_reference_evaluator_selects() {
        let doc = sample();
        for path in PATHS {
            assert_eq!(by_plan(path, &doc), by_reference(path, &doc), "path {path}");
        }
    }

    #[test]
    fn redacted_array_elements_and_keys_are_removed_in_order() {
        struct Redact;
        impl Applier for Redact {
            type Error = NoError;
            fn apply(&self, _: usize, _: &mut Value) -> Result<Effect, NoError> {
                Ok(Effect::Remove)
            }
        }
        let paths = [
            JsonPath::parse("$.items[?(@.drop)]").unwrap(),
            JsonPath::parse("$.x").unwrap(),
        ];
        let stage = Stage::new([(0, &paths[..])]);
        let mut doc = json!({"x": 1, "keep": 2, "items": [{"drop": true}, 1, {"drop": 1}, 2]});
        run_stage(&stage, &mut doc, &Value::Null, &Redact).unwrap();
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"keep":2,"items":[1,2]}"#
        );
    }

    #[test]
    fn the_first_failing_child_in_document_order_is_reported() {
        /// Fails on the string "bad", naming where.
        struct FailOnBad;
        #[derive(Debug, PartialEq)]
        struct At(String);
        impl WithPointer for At {
            fn prepend(&mut self, step: &str) {
                self.0.insert_str(0, &format!("/{step}"));
            }
        }
        impl Applier for FailOnBad {
            type Error = At;
            fn apply(&self, _: usize, node: &mut Value) -> Result<Effect, At> {
                if node == "bad" {
                    return Err(At(String::new()));
                }
                *node = json!("<matched>");
                Ok(Effect::Keep)
            }
        }
        // Paths listed in the opposite order of the keys; only the named children are visited.
        let paths = [
            JsonPath::parse("$.items[*].z").unwrap(),
            JsonPath::parse("$.items[*].b").unwrap(),
            JsonPath::parse("$.items[*].a").unwrap(),
        ];
        let stage = Stage::new([(0, &paths[..])]);
        let mut doc = json!({"items": [
            {"k1": 1, "a": "ok", "k2": 2, "b": "ok", "k3": 3, "z": 1, "k4": 4},
            {"k1": 1, "a": 0, "b": "bad", "k3": 3, "z": "bad", "k4": 4, "k5": 5},
        ]});
        let err = run_stage(&stage, &mut doc, &Value::Null, &FailOnBad).unwrap_err();
        assert_eq!(err, At("/items/1/b".into()));
        assert_eq!(doc["items"][0]["a"], json!("<matched>"));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0i64..4).prop_map(Value::from),
            prop::sample::select(vec!["user", "bot", "a@acme.com", "x"]).prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop::sample::select(vec![
                            "a",
                            "b",
                            "id",
                            "email",
                            "type",
                            "self",
                            "items",
                            "attendees"
                        ]),
                        inner
                    ),
                    0..5
                )
                .prop_map(|kvs| Value::Object(
                    kvs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    const FILTERS: &[&str] = &[
        "$[?(@.type == 'user')]",
        "$[?(@.type != 'user')]",
        "$[?(@.type == 'x' || @.email == 'a@acme.com')]",
        "$[?(@.type == 'user' && @.id)]",
        "$[?(@.type == 'user' && @.email != 'x')]",
        "$[?(@.type === 'user')]",
        "$[?('user' == @.type)]",
        "$[?(@.a.type == 'user')]",
        "$[?(@.id == '1')]",
        "$[?(@.type == 1)]",
    ];

    fn filter_of(path: &str) -> FilterExpr {
        let path = JsonPath::parse(path).unwrap();
        match path.segments()[0].selector() {
            Selector::Filter(f) => (**f).clone(),
            other => panic!("not a filter: {other:?}"),
        }
    }

    proptest! {
        #[test]
        fn quick_filters_agree_with_the_general_evaluator(
            doc in arb_json(),
            filter in prop::sample::select(FILTERS),
        ) {
            let f = filter_of(filter);
            prop_assert_eq!(accept(&f, &doc, &doc), f.matches(&doc, &doc), "filter {}", filter);
            if let Some(quick) = quick_accept(&f, &doc) {
                prop_assert_eq!(quick, f.matches(&doc, &doc), "filter {}", filter);
            }
        }

        #[test]
        fn plan_and_reference_agree_on_any_document(doc in arb_json(), path in prop::sample::select(PATHS)) {
            prop_assert_eq!(by_plan(path, &doc), by_reference(path, &doc), "path {}", path);
        }
    }
}
