//! The parser: turns Jayway JsonPath text into [`Segment`]s, including the
//! filter language inside `[?( ... )]`. Every error carries the character
//! offset of the offending character in the original (untrimmed) text.

use serde_json::{Map, Number, Value};

use super::JsonPathError;
use super::ast::{
    CompareOp, FilterExpr, FilterPath, Literal, NumberLiteral, Operand, PathFunction, PathRoot,
    RegexLiteral, Segment, Selector,
};

/// The operators listed in "unknown operator" errors.
const OPERATORS: &str =
    "==, !=, ===, !==, <, <=, >, >=, =~, in, nin, subsetof, anyof, noneof, size, empty, contains";

/// Parses a whole path (the text of a rule's `jsonPaths` entry).
pub(crate) fn parse_path(src: &str) -> Result<Vec<Segment>, JsonPathError> {
    let chars: Vec<char> = src.chars().collect();
    let start = chars.iter().position(|c| !c.is_whitespace());
    let Some(start) = start else {
        return Err(JsonPathError::new(
            0,
            "empty path; expected a path such as `$.field`",
        ));
    };
    let end = chars
        .iter()
        .rposition(|c| !c.is_whitespace())
        .map_or(0, |e| e + 1);
    let mut p = Parser {
        chars,
        pos: start,
        end,
        in_filter: false,
    };
    p.top_level()
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    end: usize,
    /// Inside a filter, property names also stop at operator characters.
    in_filter: bool,
}

type PResult<T> = Result<T, JsonPathError>;

fn err<T>(offset: usize, message: impl Into<String>) -> PResult<T> {
    Err(JsonPathError::new(offset, message))
}

impl Parser {
    fn peek(&self) -> Option<char> {
        (self.pos < self.end).then(|| self.chars[self.pos])
    }

    fn peek_at(&self, i: usize) -> Option<char> {
        (i < self.end).then(|| self.chars[i])
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(self.pos + i) == Some(c))
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn describe(&self, at: usize) -> String {
        match self.peek_at(at) {
            Some(c) => format!("`{c}`"),
            None => "the end of the path".to_string(),
        }
    }

    // ----------------------------------------------------------------- paths

    fn top_level(&mut self) -> PResult<Vec<Segment>> {
        let mut segments = Vec::new();
        match self.peek() {
            Some('$' | '@') => self.pos += 1,
            Some('.') => {
                return err(
                    self.pos,
                    "a path must start with `$`; a leading `.` is ambiguous \
                     (Jayway prefixes `$.` and reads `.a` as the deep scan `$..a`): \
                     write `$.a` or `$..a`",
                );
            }
            _ => {
                // Jayway compiles a path without `$` as `$.` + path.
                self.after_dot(false, &mut segments)?;
            }
        }
        self.segments(&mut segments)?;
        if self.pos < self.end {
            return self.unexpected_after_segment();
        }
        Ok(segments)
    }

    fn unexpected_after_segment<T>(&self) -> PResult<T> {
        let c = self.chars[self.pos];
        if c.is_whitespace() {
            err(
                self.pos,
                "unexpected whitespace in path; use bracket notation ['my prop'] \
                 for property names containing spaces",
            )
        } else {
            err(self.pos, format!("expected `.` or `[` but found `{c}`"))
        }
    }

    /// Reads `.name`, `..name`, `[...]` segments until something else comes.
    fn segments(&mut self, out: &mut Vec<Segment>) -> PResult<()> {
        while let Some(c) = self.peek() {
            match c {
                '.' => {
                    let dot = self.pos;
                    let descendant = self.peek_at(self.pos + 1) == Some('.');
                    self.pos += if descendant { 2 } else { 1 };
                    if self.peek() == Some('.') {
                        return err(
                            self.pos,
                            "unexpected `.`; expected a property name, `*` or `[`",
                        );
                    }
                    if self.peek().is_none() {
                        return err(dot, "a path must not end with `.` or `..`");
                    }
                    self.after_dot(descendant, out)?;
                }
                '[' => {
                    let sel = self.bracket()?;
                    out.push(Segment::Child(sel));
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    fn is_name_char(&self, c: char) -> bool {
        if c.is_whitespace() || matches!(c, '.' | '[' | ']' | '(' | ')' | '\'' | '"') {
            return false;
        }
        !(self.in_filter && matches!(c, '<' | '>' | '=' | '!' | '~' | '&' | '|' | ','))
    }

    /// After `.` or `..`: a name, `*` or a bracket.
    fn after_dot(&mut self, descendant: bool, out: &mut Vec<Segment>) -> PResult<()> {
        let wrap = |s| {
            if descendant {
                Segment::Descendant(s)
            } else {
                Segment::Child(s)
            }
        };
        match self.peek() {
            Some('[') => {
                let sel = self.bracket()?;
                out.push(wrap(sel));
            }
            Some('*') => {
                self.pos += 1;
                out.push(wrap(Selector::Wildcard));
            }
            Some(c) if self.is_name_char(c) => {
                let start = self.pos;
                while self.peek().is_some_and(|c| self.is_name_char(c)) {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                if self.peek() == Some('(') {
                    return err(
                        start,
                        format!(
                            "function call `{name}()` is not supported here: path functions \
                             compute a value instead of selecting a field, so a rule cannot \
                             redact or keep them (inside a filter only `length()`/`size()` \
                             at the end of a path are supported)"
                        ),
                    );
                }
                out.push(wrap(Selector::Name(name)));
            }
            _ => {
                return err(
                    self.pos,
                    format!(
                        "expected a property name, `*` or `[` after `.` but found {}",
                        self.describe(self.pos)
                    ),
                );
            }
        }
        Ok(())
    }

    /// A bracket selector; `self.pos` is at `[`.
    fn bracket(&mut self) -> PResult<Selector> {
        let open = self.pos;
        self.pos += 1;
        self.skip_ws();
        let sel = match self.peek() {
            None => return self.unclosed(open),
            Some('\'' | '"') => {
                let mut names = vec![self.quoted()?];
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => {
                            self.pos += 1;
                            self.skip_ws();
                            if !matches!(self.peek(), Some('\'' | '"')) {
                                return err(
                                    self.pos,
                                    format!(
                                        "expected a quoted property name after `,` but found {}",
                                        self.describe(self.pos)
                                    ),
                                );
                            }
                            names.push(self.quoted()?);
                        }
                        Some(']') => break,
                        None => return self.unclosed(open),
                        Some(c) => {
                            return err(
                                self.pos,
                                format!(
                                    "expected `,` or `]` after a property name but found `{c}`"
                                ),
                            );
                        }
                    }
                }
                if names.len() == 1 {
                    Selector::Name(names.pop().unwrap_or_default())
                } else {
                    Selector::Names(names)
                }
            }
            Some('*') => {
                self.pos += 1;
                Selector::Wildcard
            }
            Some('?') => {
                let q = self.pos;
                self.pos += 1;
                self.skip_ws();
                match self.peek() {
                    Some('(') => {}
                    Some(']' | ',') => {
                        return err(
                            q,
                            "`[?]` placeholders take Java Predicate objects and are not \
                             supported; write an inline filter `[?(...)]`",
                        );
                    }
                    _ => {
                        return err(
                            self.pos,
                            format!(
                                "expected `(` after `?` (Jayway filters are written `[?(...)]`) but found {}",
                                self.describe(self.pos)
                            ),
                        );
                    }
                }
                let paren = self.pos;
                self.pos += 1;
                let was = self.in_filter;
                self.in_filter = true;
                let expr = self.filter_or()?;
                self.in_filter = was;
                self.skip_ws();
                match self.peek() {
                    Some(')') => self.pos += 1,
                    None => {
                        return err(
                            self.pos.min(self.end),
                            format!("expected `)` to close the filter opened at offset {paren}"),
                        );
                    }
                    Some(c) => {
                        return err(
                            self.pos,
                            format!(
                                "expected `&&`, `||` or `)` to close the filter opened at offset {paren} but found `{c}`"
                            ),
                        );
                    }
                }
                Selector::Filter(Box::new(expr))
            }
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.array_op(open)?,
            Some(']') => {
                return err(
                    self.pos,
                    "empty brackets; expected a quoted property name, `*`, an index, a slice or a filter `?(...)`",
                );
            }
            Some(c) => {
                return err(
                    self.pos,
                    format!(
                        "expected a quoted property name, `*`, an index, a slice or a filter `?(...)` after `[` but found `{c}`"
                    ),
                );
            }
        };
        self.skip_ws();
        match self.peek() {
            Some(']') => {
                self.pos += 1;
                Ok(sel)
            }
            None => self.unclosed(open),
            Some(c) => err(
                self.pos,
                format!(
                    "expected `]` to close the bracket opened at offset {open} but found `{c}`"
                ),
            ),
        }
    }

    fn unclosed<T>(&self, open: usize) -> PResult<T> {
        err(
            self.end,
            format!("expected `]` to close the bracket opened at offset {open}"),
        )
    }

    /// Index, index union or slice; `self.pos` is at the first significant char.
    fn array_op(&mut self, open: usize) -> PResult<Selector> {
        let first = self.opt_int()?;
        self.skip_ws();
        if self.peek() == Some(':') {
            let colon = self.pos;
            self.pos += 1;
            self.skip_ws();
            let second = self.opt_int()?;
            self.skip_ws();
            if self.peek() == Some(':') {
                return err(
                    self.pos,
                    "slice steps `[start:end:step]` are not supported (Jayway silently ignores the step)",
                );
            }
            if first.is_none() && second.is_none() {
                return err(
                    colon,
                    "a slice needs a start, an end or both, e.g. `[1:3]`, `[:2]`, `[-2:]`",
                );
            }
            return Ok(Selector::Slice {
                start: first,
                end: second,
            });
        }
        let Some(first) = first else {
            // Only reachable for a lone `-`; opt_int already reports that.
            return self.unclosed(open);
        };
        let mut indices = vec![first];
        while self.peek() == Some(',') {
            self.pos += 1;
            self.skip_ws();
            match self.opt_int()? {
                Some(i) => indices.push(i),
                None => {
                    return err(
                        self.pos,
                        format!(
                            "expected an index after `,` but found {}",
                            self.describe(self.pos)
                        ),
                    );
                }
            }
            self.skip_ws();
        }
        if indices.len() == 1 {
            Ok(Selector::Index(first))
        } else {
            Ok(Selector::Indices(indices))
        }
    }

    /// An optional (possibly negative) integer that fits Java's `int`.
    fn opt_int(&mut self) -> PResult<Option<i64>> {
        let start = self.pos;
        let neg = self.peek() == Some('-');
        if neg {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == digits_start {
            if neg {
                return err(
                    self.pos,
                    format!(
                        "expected a digit after `-` but found {}",
                        self.describe(self.pos)
                    ),
                );
            }
            return Ok(None);
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match text.parse::<i32>() {
            Ok(v) => Ok(Some(i64::from(v))),
            Err(_) => err(start, format!("array index `{text}` is out of range")),
        }
    }

    /// A quoted string; `self.pos` is at the opening quote.
    fn quoted(&mut self) -> PResult<String> {
        let start = self.pos;
        let quote = self.chars[start];
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return err(
                    start,
                    format!(
                        "unterminated string starting at offset {start}; expected a closing {quote}"
                    ),
                );
            };
            self.pos += 1;
            if c == quote {
                return Ok(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let esc_at = self.pos - 1;
            let Some(e) = self.peek() else {
                return err(
                    start,
                    format!(
                        "unterminated string starting at offset {start}; expected a closing {quote}"
                    ),
                );
            };
            self.pos += 1;
            match e {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'u' => {
                    let hex: String = (0..4).filter_map(|i| self.peek_at(self.pos + i)).collect();
                    let code = (hex.len() == 4)
                        .then(|| u32::from_str_radix(&hex, 16).ok())
                        .flatten()
                        .and_then(char::from_u32);
                    match code {
                        Some(ch) => {
                            out.push(ch);
                            self.pos += 4;
                        }
                        None => {
                            return err(esc_at, "invalid `\\u` escape; expected four hex digits");
                        }
                    }
                }
                // `\\`, `\'`, `\"`, `\/` and any other escaped char stand for themselves.
                other => out.push(other),
            }
        }
    }

    // ---------------------------------------------------------------- filters

    fn filter_or(&mut self) -> PResult<FilterExpr> {
        self.filter_chain("||", Self::filter_and, FilterExpr::Or)
    }

    fn filter_and(&mut self) -> PResult<FilterExpr> {
        self.filter_chain("&&", Self::filter_unary, FilterExpr::And)
    }

    /// `operand (op operand)*` for `op` = `||` or `&&`; a lone `|`/`&` is an error.
    fn filter_chain(
        &mut self,
        op: &str,
        operand: fn(&mut Self) -> PResult<FilterExpr>,
        combine: fn(Vec<FilterExpr>) -> FilterExpr,
    ) -> PResult<FilterExpr> {
        let mut ops = vec![operand(self)?];
        let single = op.chars().next().unwrap_or_default();
        loop {
            self.skip_ws();
            if self.starts_with(op) {
                self.pos += 2;
                ops.push(operand(self)?);
            } else if self.peek() == Some(single) {
                return err(
                    self.pos,
                    format!("expected `{op}`; `{single}` on its own is not an operator"),
                );
            } else {
                break;
            }
        }
        Ok(match ops.pop() {
            Some(only) if ops.is_empty() => only,
            Some(last) => {
                ops.push(last);
                combine(ops)
            }
            None => combine(Vec::new()),
        })
    }

    fn at_condition_end(&self) -> bool {
        match self.peek() {
            None | Some(')' | ']') => true,
            _ => self.starts_with("&&") || self.starts_with("||"),
        }
    }

    fn filter_unary(&mut self) -> PResult<FilterExpr> {
        self.skip_ws();
        match self.peek() {
            Some('!') => {
                let bang = self.pos;
                self.pos += 1;
                self.skip_ws();
                if matches!(self.peek(), Some('@' | '$')) {
                    let path = self.filter_path()?;
                    self.check_path_end()?;
                    self.skip_ws();
                    if !self.at_condition_end() {
                        return err(
                            bang,
                            "`!` directly before a compared path is ignored by Jayway \
                             (`!@.a == 1` means `@.a == 1`); write `!(@.a == 1)`",
                        );
                    }
                    Ok(FilterExpr::Not(Box::new(FilterExpr::Exists(path))))
                } else {
                    Ok(FilterExpr::Not(Box::new(self.filter_unary()?)))
                }
            }
            Some('(') => {
                let open = self.pos;
                self.pos += 1;
                let e = self.filter_or()?;
                self.skip_ws();
                match self.peek() {
                    Some(')') => {
                        self.pos += 1;
                        Ok(e)
                    }
                    _ => err(
                        self.pos.min(self.end),
                        format!(
                            "expected `)` to close the parenthesis opened at offset {open} but found {}",
                            self.describe(self.pos)
                        ),
                    ),
                }
            }
            None => err(
                self.pos,
                "expected a condition but found the end of the path",
            ),
            Some(')') => err(
                self.pos,
                "expected a condition such as `@.a` or `@.a == 1` but found `)`",
            ),
            Some(_) => self.relation(),
        }
    }

    /// Jayway glues `&`/`|` written right after a path into the property
    /// name (`@.a&&@.b` is the property `a&&@`); we refuse that spelling.
    fn check_path_end(&self) -> PResult<()> {
        if matches!(self.peek(), Some('&' | '|')) {
            return err(
                self.pos,
                "put a space between a path and `&&`/`||`: Jayway reads `@.a&&@.b` \
                 as one property name `a&&@`",
            );
        }
        Ok(())
    }

    fn relation(&mut self) -> PResult<FilterExpr> {
        let start = self.pos;
        let left = self.operand()?;
        if matches!(left, Operand::Path(_)) {
            self.check_path_end()?;
        }
        self.skip_ws();
        if self.at_condition_end() {
            return match left {
                Operand::Path(p) => Ok(FilterExpr::Exists(p)),
                _ => err(
                    start,
                    "a literal on its own is not a condition; expected a path such as `@.a` \
                     or a comparison such as `@.a == 1`",
                ),
            };
        }
        let op_at = self.pos;
        let op = self.operator()?;
        self.skip_ws();
        let right_at = self.pos;
        let right = self.operand()?;
        if matches!(right, Operand::Path(_)) {
            self.check_path_end()?;
        }
        validate_comparison(&left, op, &right, start, op_at, right_at)?;
        Ok(FilterExpr::Compare { left, op, right })
    }

    fn operator(&mut self) -> PResult<CompareOp> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return err(start, "expected a comparison operator");
        };
        if matches!(c, '<' | '>' | '=' | '!' | '~') {
            while self
                .peek()
                .is_some_and(|c| matches!(c, '<' | '>' | '=' | '!' | '~'))
            {
                self.pos += 1;
            }
            let text: String = self.chars[start..self.pos].iter().collect();
            return match text.as_str() {
                "==" => Ok(CompareOp::Eq),
                "!=" => Ok(CompareOp::Ne),
                "===" => Ok(CompareOp::StrictEq),
                "!==" => Ok(CompareOp::StrictNe),
                "<" => Ok(CompareOp::Lt),
                "<=" => Ok(CompareOp::Le),
                ">" => Ok(CompareOp::Gt),
                ">=" => Ok(CompareOp::Ge),
                "=~" => Ok(CompareOp::Regex),
                _ => err(
                    start,
                    format!("unknown filter operator `{text}`; expected one of {OPERATORS}"),
                ),
            };
        }
        if c.is_ascii_alphabetic() {
            while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                self.pos += 1;
            }
            let text: String = self.chars[start..self.pos].iter().collect();
            let op = match text.to_ascii_lowercase().as_str() {
                "in" => CompareOp::In,
                "nin" => CompareOp::Nin,
                "subsetof" => CompareOp::SubsetOf,
                "anyof" => CompareOp::AnyOf,
                "noneof" => CompareOp::NoneOf,
                "size" => CompareOp::Size,
                "empty" => CompareOp::Empty,
                "contains" => CompareOp::Contains,
                "all" | "type" | "matches" => {
                    return err(
                        start,
                        format!(
                            "filter operator `{text}` cannot be used in a path string: Jayway \
                             parses it but it always fails at evaluation (it needs the Java \
                             Criteria API); expected one of {OPERATORS}"
                        ),
                    );
                }
                _ => {
                    return err(
                        start,
                        format!("unknown filter operator `{text}`; expected one of {OPERATORS}"),
                    );
                }
            };
            if !self.peek().is_some_and(char::is_whitespace) {
                return err(
                    self.pos,
                    format!(
                        "expected whitespace after operator `{text}` (Jayway reads a word operator up to the next space)"
                    ),
                );
            }
            return Ok(op);
        }
        match c {
            '&' => err(start, "expected `&&`; `&` on its own is not an operator"),
            '|' => err(start, "expected `||`; `|` on its own is not an operator"),
            _ => err(
                start,
                format!("expected a comparison operator, `&&`, `||` or `)` but found `{c}`"),
            ),
        }
    }

    fn operand(&mut self) -> PResult<Operand> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some('@' | '$') => Ok(Operand::Path(self.filter_path()?)),
            Some('\'' | '"') => Ok(Operand::Literal(Literal::String(self.quoted()?))),
            Some('/') => Ok(Operand::Regex(self.regex()?)),
            Some('[' | '{') => Ok(Operand::Literal(Literal::Json(self.json_value()?))),
            Some(c) if c == '-' || c == '.' || c.is_ascii_digit() => {
                Ok(Operand::Literal(Literal::Number(self.number()?)))
            }
            Some(c) if c.is_alphabetic() || c == '_' => {
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "true" => Ok(Operand::Literal(Literal::Bool(true))),
                    "false" => Ok(Operand::Literal(Literal::Bool(false))),
                    "null" => Ok(Operand::Literal(Literal::Null)),
                    _ => err(
                        start,
                        format!(
                            "expected a value but found the bare word `{word}`; quote strings \
                             ('{word}'), or use a path (@.{word}), a number, true, false or null"
                        ),
                    ),
                }
            }
            Some('!') => err(
                start,
                "`!` is only allowed before a condition, e.g. `!@.a` or `!(@.a == 1)`",
            ),
            _ => err(
                start,
                format!(
                    "expected a value (a path `@...`/`$...`, a quoted string, a number, true, \
                     false, null, a JSON array or a /regex/) but found {}",
                    self.describe(start)
                ),
            ),
        }
    }

    /// `@...` or `$...` inside a filter.
    fn filter_path(&mut self) -> PResult<FilterPath> {
        let root = if self.chars[self.pos] == '@' {
            PathRoot::Current
        } else {
            PathRoot::Root
        };
        self.pos += 1;
        let mut segments = Vec::new();
        let mut function = None;
        while let Some(c) = self.peek() {
            match c {
                '.' => {
                    let dot = self.pos;
                    let descendant = self.peek_at(self.pos + 1) == Some('.');
                    self.pos += if descendant { 2 } else { 1 };
                    match self.peek() {
                        Some('.') => {
                            return err(
                                self.pos,
                                "unexpected `.`; expected a property name, `*` or `[`",
                            );
                        }
                        Some(c) if c == '[' || c == '*' || self.is_name_char(c) => {}
                        _ => return err(dot, "a path must not end with `.` or `..`"),
                    }
                    // A trailing function call: `.length()` / `.size()`.
                    if !descendant && let Some(f) = self.try_function(&segments)? {
                        function = Some(f);
                        break;
                    }
                    self.after_dot(descendant, &mut segments)?;
                }
                '[' => {
                    let sel = self.bracket()?;
                    segments.push(Segment::Child(sel));
                }
                _ => break,
            }
        }
        if function.is_some() && matches!(self.peek(), Some('.' | '[')) {
            return err(self.pos, "a function call must be the last step of a path");
        }
        Ok(FilterPath {
            root,
            segments,
            function,
        })
    }

    /// At a name after `.`: if it is `name(`, parse a supported function.
    fn try_function(&mut self, prefix: &[Segment]) -> PResult<Option<PathFunction>> {
        let start = self.pos;
        let mut i = start;
        while self.peek_at(i).is_some_and(|c| self.is_name_char(c)) {
            i += 1;
        }
        if i == start || self.peek_at(i) != Some('(') {
            return Ok(None);
        }
        let name: String = self.chars[start..i].iter().collect();
        if name != "length" && name != "size" {
            return err(
                start,
                format!(
                    "function `{name}()` is not supported; inside a filter only `length()` and `size()` are"
                ),
            );
        }
        if self.peek_at(i + 1) != Some(')') {
            return err(
                i + 1,
                format!("`{name}()` takes no arguments; expected `)`"),
            );
        }
        let definite = prefix.iter().all(|s| match s {
            Segment::Child(sel) => matches!(sel, Selector::Name(_) | Selector::Index(_)),
            Segment::Descendant(_) => false,
        });
        if !definite {
            return err(
                start,
                format!(
                    "`{name}()` is only supported after a definite path (names and single indices)"
                ),
            );
        }
        self.pos = i + 2;
        Ok(Some(PathFunction::Length))
    }

    fn number(&mut self) -> PResult<NumberLiteral> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let mut digits = 0;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            digits += 1;
        }
        if self.peek() == Some('.') {
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
                digits += 1;
            }
        }
        if digits > 0 && matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            let exp_start = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == exp_start {
                return err(self.pos, "expected digits in the exponent of a number");
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if digits == 0
            || self
                .peek()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return err(
                start,
                format!(
                    "invalid number `{text}{}`",
                    self.peek().map(String::from).unwrap_or_default()
                ),
            );
        }
        let value: f64 = text
            .parse()
            .map_err(|_| JsonPathError::new(start, format!("invalid number `{text}`")))?;
        if !value.is_finite() {
            return err(
                start,
                format!("number `{text}` is too large; numbers must fit a 64-bit float"),
            );
        }
        Ok(NumberLiteral {
            value,
            text: big_decimal_text(&text, value),
        })
    }

    fn regex(&mut self) -> PResult<RegexLiteral> {
        let start = self.pos;
        self.pos += 1;
        let mut pattern = String::new();
        loop {
            let Some(c) = self.peek() else {
                return err(start, "unterminated regex; expected a closing `/`");
            };
            self.pos += 1;
            match c {
                '/' => break,
                '\\' => match self.peek() {
                    Some('/') => {
                        pattern.push('/');
                        self.pos += 1;
                    }
                    Some(n) => {
                        pattern.push('\\');
                        pattern.push(n);
                        self.pos += 1;
                    }
                    None => return err(start, "unterminated regex; expected a closing `/`"),
                },
                c => pattern.push(c),
            }
        }
        let mut flags = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_alphabetic) {
            if !"dimsuxU".contains(c) {
                return err(
                    self.pos,
                    format!("unknown regex flag `{c}`; Jayway supports d, i, m, s, u, x and U"),
                );
            }
            flags.push(c);
            self.pos += 1;
        }
        match RegexLiteral::new(&pattern, &flags) {
            Ok(literal) => Ok(literal),
            Err(detail) => err(start, format!("invalid regex /{pattern}/: {detail}")),
        }
    }

    // ------------------------------------------------------------ JSON literal

    /// A permissive JSON value as json-smart reads it: single or double quoted
    /// strings, numbers, true/false/null, arrays and objects.
    fn json_value(&mut self) -> PResult<Value> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.json_value()?);
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some(']') => {
                            self.pos += 1;
                            return Ok(Value::Array(items));
                        }
                        _ => {
                            return err(
                                self.pos.min(self.end),
                                format!(
                                    "expected `,` or `]` in the list opened at offset {start} but found {}",
                                    self.describe(self.pos)
                                ),
                            );
                        }
                    }
                }
            }
            Some('{') => {
                self.pos += 1;
                let mut map = Map::new();
                self.skip_ws();
                if self.peek() == Some('}') {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                loop {
                    self.skip_ws();
                    if !matches!(self.peek(), Some('\'' | '"')) {
                        return err(
                            self.pos.min(self.end),
                            format!(
                                "expected a quoted key but found {}",
                                self.describe(self.pos)
                            ),
                        );
                    }
                    let key = self.quoted()?;
                    self.skip_ws();
                    if self.peek() != Some(':') {
                        return err(
                            self.pos.min(self.end),
                            format!(
                                "expected `:` after an object key but found {}",
                                self.describe(self.pos)
                            ),
                        );
                    }
                    self.pos += 1;
                    let v = self.json_value()?;
                    map.insert(key, v);
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some('}') => {
                            self.pos += 1;
                            return Ok(Value::Object(map));
                        }
                        _ => {
                            return err(
                                self.pos.min(self.end),
                                format!(
                                    "expected `,` or `}}` in the object opened at offset {start} but found {}",
                                    self.describe(self.pos)
                                ),
                            );
                        }
                    }
                }
            }
            Some('\'' | '"') => Ok(Value::String(self.quoted()?)),
            Some(c) if c == '-' || c == '.' || c.is_ascii_digit() => {
                let n = self.number()?;
                let text: String = self.chars[start..self.pos].iter().collect();
                Ok(json_number(&text, n.value))
            }
            Some(c) if c.is_alphabetic() => {
                while self.peek().is_some_and(char::is_alphanumeric) {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" => Ok(Value::Null),
                    _ => err(
                        start,
                        format!("expected a JSON value but found `{word}`; quote strings"),
                    ),
                }
            }
            _ => err(
                start.min(self.end),
                format!("expected a JSON value but found {}", self.describe(start)),
            ),
        }
    }
}

/// Checks the operand kinds an operator can ever succeed with; Jayway accepts
/// these combinations but they always evaluate to false (or an error).
fn validate_comparison(
    left: &Operand,
    op: CompareOp,
    right: &Operand,
    start: usize,
    op_at: usize,
    right_at: usize,
) -> PResult<()> {
    let is_regex = |o: &Operand| matches!(o, Operand::Regex(_));
    if op == CompareOp::Regex {
        if is_regex(left) == is_regex(right) {
            return err(
                op_at,
                "`=~` needs a /regex/ on exactly one side, e.g. `@.email =~ /.*@acme\\.com/i`",
            );
        }
        return Ok(());
    }
    if is_regex(left) {
        return err(
            start,
            format!("a /regex/ can only be used with `=~`, not `{op}`"),
        );
    }
    if is_regex(right) {
        return err(
            right_at,
            format!("a /regex/ can only be used with `=~`, not `{op}`"),
        );
    }
    let list_ok = |o: &Operand| match o {
        Operand::Path(_) => true,
        Operand::Literal(Literal::Json(v)) => v.is_array(),
        _ => false,
    };
    match op {
        CompareOp::In
        | CompareOp::Nin
        | CompareOp::SubsetOf
        | CompareOp::AnyOf
        | CompareOp::NoneOf
            if !list_ok(right) =>
        {
            err(
                right_at,
                format!("`{op}` expects a list such as ['a','b'] (or a path) on its right"),
            )
        }
        CompareOp::Size
            if !matches!(
                right,
                Operand::Path(_) | Operand::Literal(Literal::Number(_))
            ) =>
        {
            err(
                right_at,
                "`size` expects a number on its right, e.g. `@.tags size 2`",
            )
        }
        CompareOp::Empty
            if !matches!(right, Operand::Path(_) | Operand::Literal(Literal::Bool(_))) =>
        {
            err(
                right_at,
                "`empty` expects true or false on its right, e.g. `@.tags empty false`",
            )
        }
        _ => Ok(()),
    }
}

/// A JSON number for a literal inside a JSON list.
fn json_number(text: &str, value: f64) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    if let Ok(u) = text.parse::<u64>() {
        return Value::Number(u.into());
    }
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// Approximates Java's `new BigDecimal(text).toString()` for a literal,
/// which is what Jayway compares against when a number meets a string.
pub(crate) fn big_decimal_text(text: &str, value: f64) -> String {
    if text.contains(['e', 'E']) {
        return super::java_number::java_number_text_f64(value);
    }
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = String::new();
    let zero = int == "0" && frac.is_none_or(|f| f.chars().all(|c| c == '0'));
    if neg && !zero {
        out.push('-');
    }
    out.push_str(int);
    if let Some(f) = frac.filter(|f| !f.is_empty()) {
        out.push('.');
        out.push_str(f);
    }
    out
}
