//! Evaluation of parsed paths and filters against `serde_json::Value`,
//! following Jayway's evaluation rules token by token (see `mod.rs` for the
//! summary). This module owns the tree walk, the deep-scan rules, filter
//! operand resolution and Jayway's comparison semantics.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::ast::{
    CompareOp, FilterExpr, FilterPath, Literal, Operand, PathFunction, PathRoot, RegexLiteral,
    Segment, Selector,
};
use super::java_number::java_number_text_f64;

/// One step from a node to a child, with the child's position among its
/// siblings (for document order).
#[derive(Clone, Copy, Debug)]
struct Loc<'v> {
    pos: usize,
    key: Key<'v>,
}

#[derive(Clone, Copy, Debug)]
enum Key<'v> {
    Name(&'v str),
    Index(usize),
}

/// Jayway aborted the evaluation (`PathNotFoundException` and friends).
#[derive(Debug)]
pub(crate) struct Abort;

type Sink<'s, 'v> = dyn FnMut(&[Loc<'v>], &'v Value) + 's;

struct Walker<'s, 'p, 'v> {
    segments: &'p [Segment],
    /// `upstream[i]`: every segment before `i` is definite (Jayway's
    /// `isUpstreamDefinite`), which decides whether a mismatch aborts.
    upstream: Vec<bool>,
    root: &'v Value,
    /// Jayway's `REQUIRE_PROPERTIES`, used for existence checks in filters.
    strict: bool,
    loc: Vec<Loc<'v>>,
    sink: &'s mut Sink<'s, 'v>,
}

fn upstream_definite(segments: &[Segment]) -> Vec<bool> {
    let n = segments.len();
    let mut out = Vec::with_capacity(n);
    let mut all = true;
    for (i, seg) in segments.iter().enumerate() {
        out.push(all);
        all &= match seg {
            Segment::Child(sel) => sel.is_definite(i + 1 == n),
            Segment::Descendant(_) => false,
        };
    }
    out
}

fn path_is_definite(segments: &[Segment]) -> bool {
    let n = segments.len();
    segments.iter().enumerate().all(|(i, s)| match s {
        Segment::Child(sel) => sel.is_definite(i + 1 == n),
        Segment::Descendant(_) => false,
    })
}

impl<'s, 'p, 'v> Walker<'s, 'p, 'v> {
    fn new(
        segments: &'p [Segment],
        root: &'v Value,
        strict: bool,
        sink: &'s mut Sink<'s, 'v>,
    ) -> Self {
        Walker {
            segments,
            upstream: upstream_definite(segments),
            root,
            strict,
            loc: Vec::new(),
            sink,
        }
    }

    fn run(&mut self, i: usize, node: &'v Value) -> Result<(), Abort> {
        let Some(seg) = self.segments.get(i) else {
            (self.sink)(&self.loc, node);
            return Ok(());
        };
        match seg {
            Segment::Child(sel) => self.child(i, sel, node, self.upstream[i]),
            Segment::Descendant(sel) => self.scan(i, sel, node),
        }
    }

    fn with<F>(&mut self, loc: Loc<'v>, f: F) -> Result<(), Abort>
    where
        F: FnOnce(&mut Self) -> Result<(), Abort>,
    {
        self.loc.push(loc);
        let r = f(self);
        self.loc.pop();
        r
    }

    fn index(&mut self, i: usize, arr: &'v [Value], index: i64) -> Result<(), Abort> {
        // PathToken.handleArrayIndex: a negative index counts from the end
        // once; anything still out of range is silently skipped.
        let len = arr.len() as i64;
        let eff = if index < 0 { len + index } else { index };
        if eff < 0 || eff >= len {
            return Ok(());
        }
        let eff = eff as usize;
        let v = &arr[eff];
        self.with(
            Loc {
                pos: eff,
                key: Key::Index(eff),
            },
            |w| w.run(i + 1, v),
        )
    }

    /// Applies a selector to `node` and continues with segment `i + 1`.
    fn child(
        &mut self,
        i: usize,
        sel: &Selector,
        node: &'v Value,
        up_def: bool,
    ) -> Result<(), Abort> {
        let leaf = i + 1 == self.segments.len();
        match sel {
            Selector::Name(name) => {
                let Value::Object(map) = node else {
                    return if up_def { Err(Abort) } else { Ok(()) };
                };
                match find(map, name) {
                    Some((pos, k, v)) => self.with(
                        Loc {
                            pos,
                            key: Key::Name(k),
                        },
                        |w| w.run(i + 1, v),
                    ),
                    None if self.strict => Err(Abort),
                    None if !leaf && up_def => Err(Abort),
                    None => Ok(()),
                }
            }
            Selector::Names(names) => {
                let Value::Object(map) = node else {
                    return if up_def { Err(Abort) } else { Ok(()) };
                };
                for name in names {
                    match find(map, name) {
                        Some((pos, k, v)) => {
                            self.with(
                                Loc {
                                    pos,
                                    key: Key::Name(k),
                                },
                                |w| w.run(i + 1, v),
                            )?;
                        }
                        None if self.strict => return Err(Abort),
                        None => {}
                    }
                }
                Ok(())
            }
            Selector::Wildcard => match node {
                Value::Object(map) => {
                    for (pos, (k, v)) in map.iter().enumerate() {
                        self.with(
                            Loc {
                                pos,
                                key: Key::Name(k),
                            },
                            |w| w.run(i + 1, v),
                        )?;
                    }
                    Ok(())
                }
                Value::Array(arr) => {
                    for (pos, v) in arr.iter().enumerate() {
                        self.with(
                            Loc {
                                pos,
                                key: Key::Index(pos),
                            },
                            |w| w.run(i + 1, v),
                        )?;
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
            Selector::Index(_) | Selector::Indices(_) | Selector::Slice { .. } => {
                let Value::Array(arr) = node else {
                    return if up_def { Err(Abort) } else { Ok(()) };
                };
                match sel {
                    Selector::Index(ix) => self.index(i, arr, *ix),
                    Selector::Indices(ixs) => {
                        for ix in ixs {
                            self.index(i, arr, *ix)?;
                        }
                        Ok(())
                    }
                    Selector::Slice { start, end } => {
                        for ix in slice_indices(arr.len() as i64, *start, *end) {
                            self.index(i, arr, ix)?;
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
            Selector::Filter(f) => match node {
                // Jayway tests an object itself, not its members.
                Value::Object(_) => {
                    if accept(f, node, self.root) {
                        self.run(i + 1, node)
                    } else {
                        Ok(())
                    }
                }
                Value::Array(arr) => {
                    for (pos, v) in arr.iter().enumerate() {
                        if accept(f, v, self.root) {
                            self.with(
                                Loc {
                                    pos,
                                    key: Key::Index(pos),
                                },
                                |w| w.run(i + 1, v),
                            )?;
                        }
                    }
                    Ok(())
                }
                _ => {
                    if up_def {
                        Err(Abort)
                    } else {
                        Ok(())
                    }
                }
            },
        }
    }

    /// ScanPathToken: `..sel`.
    fn scan(&mut self, i: usize, sel: &Selector, node: &'v Value) -> Result<(), Abort> {
        let leaf = i + 1 == self.segments.len();
        match node {
            Value::Object(map) => {
                if self.scan_predicate(sel, node, leaf) {
                    self.child(i, sel, node, false)?;
                }
                for (pos, (k, v)) in map.iter().enumerate() {
                    if v.is_object() || v.is_array() {
                        self.with(
                            Loc {
                                pos,
                                key: Key::Name(k),
                            },
                            |w| w.scan(i, sel, v),
                        )?;
                    }
                }
                Ok(())
            }
            Value::Array(arr) => {
                if self.scan_predicate(sel, node, leaf) {
                    if leaf {
                        self.child(i, sel, node, false)?;
                    } else {
                        // Jayway quirk (ScanPathToken.walkArray): for a non-leaf
                        // selector that "matches" an array, the rest of the path
                        // is applied to every element, bypassing the selector.
                        for (pos, v) in arr.iter().enumerate() {
                            self.with(
                                Loc {
                                    pos,
                                    key: Key::Index(pos),
                                },
                                |w| w.run(i + 1, v),
                            )?;
                        }
                    }
                }
                for (pos, v) in arr.iter().enumerate() {
                    if v.is_object() || v.is_array() {
                        self.with(
                            Loc {
                                pos,
                                key: Key::Index(pos),
                            },
                            |w| w.scan(i, sel, v),
                        )?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn scan_predicate(&self, sel: &Selector, node: &'v Value, leaf: bool) -> bool {
        sel.scan_matches(node, self.root, leaf)
    }
}

fn find<'v>(map: &'v Map<String, Value>, name: &str) -> Option<(usize, &'v str, &'v Value)> {
    map.iter()
        .enumerate()
        .find(|(_, (k, _))| k.as_str() == name)
        .map(|(pos, (k, v))| (pos, k.as_str(), v))
}

/// The indices ArraySliceToken visits (before negative-index wrapping).
fn slice_indices(len: i64, start: Option<i64>, end: Option<i64>) -> std::ops::Range<i64> {
    match (start, end) {
        (Some(from), None) => {
            let from = if from < 0 { len + from } else { from };
            from.max(0)..len
        }
        (Some(from), Some(to)) => {
            // SLICE_BETWEEN: no normalisation of negative bounds in Jayway.
            if len == 0 {
                return 0..0;
            }
            from..to.min(len)
        }
        (None, Some(to)) => {
            if len == 0 {
                return 0..0;
            }
            let to = if to < 0 { len + to } else { to };
            0..to.min(len)
        }
        (None, None) => 0..0,
    }
}

/// Renders RFC 6901 pointers for every match of `segments`, in document
/// order without duplicates.
pub(crate) fn select_pointers<'v>(segments: &[Segment], root: &'v Value) -> Vec<String> {
    let mut found: Vec<Vec<Loc<'v>>> = Vec::new();
    let mut sink = |loc: &[Loc<'v>], _: &'v Value| found.push(loc.to_vec());
    let result = {
        let mut w = Walker::new(segments, root, false, &mut sink);
        w.run(0, root)
    };
    if result.is_err() {
        return Vec::new();
    }
    found.sort_by(|a, b| a.iter().map(|l| l.pos).cmp(b.iter().map(|l| l.pos)));
    found
        .dedup_by(|a, b| a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.pos == y.pos));
    found
        .iter()
        .map(|locs| {
            let mut s = String::new();
            for l in locs {
                s.push('/');
                match l.key {
                    Key::Name(n) => s.push_str(&n.replace('~', "~0").replace('/', "~1")),
                    Key::Index(i) => s.push_str(&i.to_string()),
                }
            }
            s
        })
        .collect()
}

// ------------------------------------------------------------------ filters

/// Jayway's `PredicatePathToken.accept`: an evaluation error means "no".
pub(crate) fn accept(f: &FilterExpr, node: &Value, root: &Value) -> bool {
    eval_filter(f, node, root).unwrap_or(false)
}

fn eval_filter(f: &FilterExpr, node: &Value, root: &Value) -> Result<bool, Abort> {
    match f {
        FilterExpr::Or(ops) => {
            for op in ops {
                if eval_filter(op, node, root)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        FilterExpr::And(ops) => {
            for op in ops {
                if !eval_filter(op, node, root)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        FilterExpr::Not(inner) => Ok(!eval_filter(inner, node, root)?),
        FilterExpr::Exists(p) => Ok(exists(p, node, root)),
        FilterExpr::Compare { left, op, right } => {
            let l = operand_value(left, node, root);
            let r = operand_value(right, node, root);
            compare(*op, &l, &r)
        }
    }
}

/// A resolved operand (Jayway's `ValueNode`s).
#[derive(Debug)]
enum Val<'a> {
    Undefined,
    Null,
    Bool(bool),
    Num {
        value: f64,
        text: Cow<'a, str>,
    },
    Str(Cow<'a, str>),
    /// An array or object; `literal` for JSON written in the filter, which
    /// Jayway keeps unparsed (and so never equal when on the left of `==`).
    Json {
        value: Cow<'a, Value>,
        literal: bool,
    },
    Pattern(&'a RegexLiteral),
    /// A list element Jayway turns into something that equals nothing (a
    /// string that looks like a path or like JSON).
    Opaque,
}

fn from_value(v: &Value) -> Val<'_> {
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num {
            value: n.as_f64().unwrap_or(f64::NAN),
            text: Cow::Owned(java_number_text(n)),
        },
        Value::String(s) => Val::Str(Cow::Borrowed(s)),
        Value::Array(_) | Value::Object(_) => Val::Json {
            value: Cow::Borrowed(v),
            literal: false,
        },
    }
}

fn operand_value<'a>(op: &'a Operand, node: &'a Value, root: &'a Value) -> Val<'a> {
    match op {
        Operand::Literal(Literal::Null) => Val::Null,
        Operand::Literal(Literal::Bool(b)) => Val::Bool(*b),
        Operand::Literal(Literal::Number(n)) => Val::Num {
            value: n.value,
            text: Cow::Borrowed(&n.text),
        },
        Operand::Literal(Literal::String(s)) => Val::Str(Cow::Borrowed(s)),
        Operand::Literal(Literal::Json(v)) => Val::Json {
            value: Cow::Borrowed(v),
            literal: true,
        },
        Operand::Regex(r) => Val::Pattern(r),
        Operand::Path(p) => path_value(p, node, root),
    }
}

/// Runs a filter path, returning matched (name-of-last-step, value) pairs.
fn run_filter_path<'v>(
    p: &FilterPath,
    node: &'v Value,
    root: &'v Value,
    strict: bool,
) -> Result<Vec<(Option<&'v str>, &'v Value)>, Abort> {
    let start = match p.root {
        PathRoot::Current => node,
        PathRoot::Root => root,
    };
    let mut out = Vec::new();
    let mut sink = |loc: &[Loc<'v>], v: &'v Value| {
        let name = match loc.last() {
            Some(Loc {
                key: Key::Name(n), ..
            }) => Some(*n),
            _ => None,
        };
        out.push((name, v));
    };
    let r = {
        let mut w = Walker::new(&p.segments, root, strict, &mut sink);
        w.run(0, start)
    };
    r.map(|()| out)
}

/// PathNode.evaluate (value mode).
fn path_value<'a>(p: &'a FilterPath, node: &'a Value, root: &'a Value) -> Val<'a> {
    let Ok(results) = run_filter_path(p, node, root, false) else {
        return Val::Undefined;
    };
    let val = if path_is_definite(&p.segments) {
        if let Some(Segment::Child(Selector::Names(_))) = p.segments.last() {
            // Leaf multi-property: Jayway merges the present properties.
            let mut map = Map::new();
            for (name, v) in &results {
                map.insert(name.unwrap_or_default().to_string(), (*v).clone());
            }
            Val::Json {
                value: Cow::Owned(Value::Object(map)),
                literal: false,
            }
        } else {
            match results.first() {
                Some((_, v)) => from_value(v),
                None => Val::Undefined,
            }
        }
    } else {
        Val::Json {
            value: Cow::Owned(Value::Array(
                results.iter().map(|(_, v)| (*v).clone()).collect(),
            )),
            literal: false,
        }
    };
    match p.function {
        None => val,
        Some(PathFunction::Length) => match &val {
            Val::Undefined => Val::Undefined,
            Val::Json { value, .. } => {
                let n = match value.as_ref() {
                    Value::Array(a) => a.len(),
                    Value::Object(o) => o.len(),
                    _ => return Val::Null,
                };
                Val::Num {
                    value: n as f64,
                    text: Cow::Owned(n.to_string()),
                }
            }
            _ => Val::Null,
        },
    }
}

/// PathNode.evaluate (existence mode, with REQUIRE_PROPERTIES).
fn exists(p: &FilterPath, node: &Value, root: &Value) -> bool {
    match run_filter_path(p, node, root, true) {
        Err(Abort) => false,
        Ok(results) => !path_is_definite(&p.segments) || !results.is_empty(),
    }
}

/// `ValueNode.toValueNode` for an element of a list.
fn list_element(v: &Value) -> Result<Val<'_>, Abort> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with(['$', '@']) && super::parse::parse_path(t).is_ok() {
                return Ok(Val::Opaque);
            }
            let json_like = t.len() > 1
                && ((t.starts_with('[') && t.ends_with(']'))
                    || (t.starts_with('{') && t.ends_with('}')));
            if json_like {
                return Ok(Val::Opaque);
            }
            // createStringNode(..., escape = true) strips one pair of quotes.
            for q in ['\'', '"'] {
                if s.len() > 1 && s.starts_with(q) && s.ends_with(q) {
                    return Ok(Val::Str(Cow::Borrowed(&s[1..s.len() - 1])));
                }
            }
            Ok(Val::Str(Cow::Borrowed(s)))
        }
        // Jayway throws "Could not determine value type" for nested lists/maps.
        Value::Array(_) | Value::Object(_) => Err(Abort),
        other => Ok(from_value(other)),
    }
}

/// `asValueListNode`: `Ok(None)` when the JSON is not an array (Jayway's
/// UNDEFINED), `Err` when the operand is not JSON at all (Jayway throws).
fn as_list<'a>(v: &'a Val<'a>) -> Result<Option<Vec<Val<'a>>>, Abort> {
    match v {
        Val::Json { value, .. } => match value.as_ref() {
            Value::Array(items) => items
                .iter()
                .map(list_element)
                .collect::<Result<_, _>>()
                .map(Some),
            _ => Ok(None),
        },
        _ => Err(Abort),
    }
}

/// Java's `left.equals(right)` across Jayway's ValueNode classes.
fn java_equals(l: &Val<'_>, r: &Val<'_>) -> bool {
    match (l, r) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Num { value: a, .. }, Val::Num { value: b, .. }) => a == b,
        (Val::Num { value: a, .. }, Val::Str(s)) => parse_big_decimal(s).is_some_and(|b| *a == b),
        (Val::Str(a), Val::Str(b)) => a == b,
        (Val::Str(a), Val::Num { text, .. }) => a.as_ref() == text.as_ref(),
        (
            Val::Json {
                value: a,
                literal: la,
            },
            Val::Json {
                value: b,
                literal: lb,
            },
        ) => la == lb && a == b,
        _ => false,
    }
}

/// The `==` evaluator.
fn equals(l: &Val<'_>, r: &Val<'_>) -> bool {
    match (l, r) {
        (Val::Json { value: a, literal }, Val::Json { value: b, .. }) => !literal && a == b,
        _ => java_equals(l, r),
    }
}

fn same_kind(l: &Val<'_>, r: &Val<'_>) -> bool {
    std::mem::discriminant(l) == std::mem::discriminant(r)
}

/// RegexpEvaluator.getInput.
fn regex_input<'a>(v: &'a Val<'a>) -> Cow<'a, str> {
    match v {
        Val::Str(s) => Cow::Borrowed(s.as_ref()),
        Val::Num { text, .. } => Cow::Borrowed(text.as_ref()),
        Val::Bool(b) => Cow::Owned(b.to_string()),
        _ => Cow::Borrowed(""),
    }
}

fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

fn order(l: &Val<'_>, r: &Val<'_>) -> Option<Ordering> {
    match (l, r) {
        (Val::Num { value: a, .. }, Val::Num { value: b, .. }) => a.partial_cmp(b),
        (Val::Str(a), Val::Str(b)) => Some(utf16_cmp(a, b)),
        (Val::Str(a), Val::Num { text, .. }) => Some(utf16_cmp(a, text)),
        (Val::Num { text, .. }, Val::Str(b)) => Some(utf16_cmp(text, b)),
        _ => None,
    }
}

fn compare(op: CompareOp, l: &Val<'_>, r: &Val<'_>) -> Result<bool, Abort> {
    Ok(match op {
        CompareOp::Eq => equals(l, r),
        CompareOp::Ne => !equals(l, r),
        CompareOp::StrictEq => same_kind(l, r) && equals(l, r),
        CompareOp::StrictNe => !(same_kind(l, r) && equals(l, r)),
        CompareOp::Lt => order(l, r) == Some(Ordering::Less),
        CompareOp::Le => matches!(order(l, r), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => order(l, r) == Some(Ordering::Greater),
        CompareOp::Ge => matches!(order(l, r), Some(Ordering::Greater | Ordering::Equal)),
        CompareOp::Regex => {
            let (pat, other) = match (l, r) {
                (Val::Pattern(p), o) | (o, Val::Pattern(p)) => (*p, o),
                _ => return Ok(false),
            };
            match other {
                Val::Json { value, .. } if value.is_array() => match as_list(other)? {
                    Some(items) => items.iter().any(|i| pat.is_full_match(&regex_input(i))),
                    None => false,
                },
                _ => pat.is_full_match(&regex_input(other)),
            }
        }
        CompareOp::In | CompareOp::Nin => {
            let found = match as_list(r)? {
                Some(items) => items.iter().any(|i| java_equals(l, i)),
                None => false,
            };
            // `nin` is `!in`, including when `in` is false because the right
            // side is not an array.
            if op == CompareOp::In { found } else { !found }
        }
        CompareOp::SubsetOf | CompareOp::AnyOf | CompareOp::NoneOf => {
            let Some(right) = as_list(r)? else {
                return Ok(false);
            };
            let Some(left) = as_list(l)? else {
                return Ok(false);
            };
            match op {
                CompareOp::SubsetOf => left.iter().all(|a| right.iter().any(|b| java_equals(a, b))),
                CompareOp::AnyOf => left.iter().any(|a| right.iter().any(|b| java_equals(a, b))),
                _ => !left.iter().any(|a| right.iter().any(|b| java_equals(a, b))),
            }
        }
        CompareOp::Contains => match l {
            Val::Str(a) => match r {
                Val::Str(b) => a.contains(b.as_ref()),
                _ => false,
            },
            Val::Json { .. } => match as_list(l)? {
                Some(items) => items.iter().any(|i| java_equals(r, i)),
                None => false,
            },
            _ => false,
        },
        CompareOp::Size => {
            let Val::Num { value, .. } = r else {
                return Ok(false);
            };
            let expected = *value as i64;
            match l {
                Val::Str(s) => s.encode_utf16().count() as i64 == expected,
                Val::Json { value, .. } => {
                    let len = value.as_array().map_or(-1, |a| a.len() as i64);
                    len == expected
                }
                _ => false,
            }
        }
        CompareOp::Empty => {
            let is_empty = match l {
                Val::Str(s) => s.is_empty(),
                Val::Json { value, .. } => match value.as_ref() {
                    Value::Array(a) => a.is_empty(),
                    Value::Object(o) => o.is_empty(),
                    _ => true,
                },
                _ => return Ok(false),
            };
            let Val::Bool(want) = r else {
                return Err(Abort);
            };
            is_empty == *want
        }
    })
}

/// `new BigDecimal(s)` succeeds: optional sign, digits with an optional
/// point, optional exponent.
fn parse_big_decimal(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let points = mantissa.chars().filter(|c| *c == '.').count();
    if digits == 0 || points > 1 || digits + points != mantissa.len() {
        return None;
    }
    if let Some(e) = exp {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    s.parse().ok()
}

/// The text Jayway gives a document number (`new BigDecimal(n.toString())`).
fn java_number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    java_number_text_f64(n.as_f64().unwrap_or(0.0))
}
