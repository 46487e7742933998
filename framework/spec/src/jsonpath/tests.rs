//! Unit tests for the JsonPath module: parsing (success, errors with offsets),
//! round trips, serde/schema, and evaluation on realistic API payloads.

use serde_json::{Value, json};

use super::*;

// ------------------------------------------------------------------ helpers

fn segs(src: &str) -> Vec<Segment> {
    match JsonPath::parse(src) {
        Ok(p) => p.segments().to_vec(),
        Err(e) => panic!("{src:?} should parse: {e}"),
    }
}

fn parse_err(src: &str) -> JsonPathError {
    match JsonPath::parse(src) {
        Ok(p) => panic!("{src:?} should not parse, got {:?}", p.segments()),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_err(src: &str, offset: usize, needle: &str) {
    let e = parse_err(src);
    assert_eq!(e.offset, offset, "offset for {src:?}: {}", e.message);
    assert!(
        e.message.contains(needle),
        "message for {src:?} should contain {needle:?}, got {:?}",
        e.message
    );
}

fn ptrs(src: &str, doc: &Value) -> Vec<String> {
    match JsonPath::parse(src) {
        Ok(p) => p.select_pointers(doc),
        Err(e) => panic!("{src:?} should parse: {e}"),
    }
}

#[track_caller]
fn assert_ptrs(src: &str, doc: &Value, expected: &[&str]) {
    assert_eq!(ptrs(src, doc), expected, "pointers for {src:?}");
}

fn filter_of(src: &str) -> FilterExpr {
    match segs(src).first() {
        Some(Segment::Child(Selector::Filter(f)) | Segment::Descendant(Selector::Filter(f))) => {
            (**f).clone()
        }
        other => panic!("{src:?}: expected a filter segment first, got {other:?}"),
    }
}

fn child(name: &str) -> Segment {
    Segment::Child(Selector::Name(name.to_string()))
}

fn cur(names: &[&str]) -> FilterPath {
    FilterPath {
        root: PathRoot::Current,
        segments: names.iter().map(|n| child(n)).collect(),
        function: None,
    }
}

fn exists(names: &[&str]) -> FilterExpr {
    FilterExpr::Exists(cur(names))
}

fn cmp(path: &[&str], op: CompareOp, lit: Literal) -> FilterExpr {
    FilterExpr::Compare {
        left: Operand::Path(cur(path)),
        op,
        right: Operand::Literal(lit),
    }
}

fn num(value: f64, text: &str) -> Literal {
    Literal::Number(NumberLiteral {
        value,
        text: text.to_string(),
    })
}

// ----------------------------------------------------------------- fixtures

fn github_members() -> Value {
    json!([
        {"login": "alice", "id": 1, "type": "User", "site_admin": false,
         "email": "alice@acme.com", "user": {"login": "alice"}},
        {"login": "bob", "id": 2, "type": "User", "site_admin": true,
         "email": null, "user": {"login": "bob"}},
        {"login": "ci-bot", "id": 3, "type": "Bot", "site_admin": false,
         "user": {"login": "ci-bot"}}
    ])
}

fn calendar() -> Value {
    json!({
        "kind": "calendar#events",
        "summary": "alice@acme.com",
        "items": [
            {
                "id": "e1",
                "status": "confirmed",
                "organizer": {"email": "alice@acme.com", "self": true},
                "attendees": [
                    {"email": "alice@acme.com", "self": true, "responseStatus": "accepted"},
                    {"email": "Bob@ACME.com", "responseStatus": "needsAction"},
                    {"email": "carol@partner.io", "optional": true, "responseStatus": "declined"}
                ]
            },
            {
                "id": "e2",
                "status": "cancelled",
                "organizer": {"email": "bob@acme.com"},
                "attendees": [
                    {"email": "dave@acme.com", "responseStatus": "accepted"}
                ]
            }
        ]
    })
}

fn slack() -> Value {
    json!({
        "ok": true,
        "messages": [
            {
                "type": "message", "user": "U1", "text": "hi <@U2>",
                "blocks": [{"type": "rich_text", "elements": [
                    {"type": "rich_text_section", "elements": [
                        {"type": "text", "text": "hi "},
                        {"type": "mention", "user_id": "U2"}
                    ]}
                ]}],
                "reactions": [{"name": "+1", "users": ["U2", "U3"], "count": 2}]
            },
            {"type": "message", "subtype": "bot_message", "bot_id": "B1", "text": "deploy done"},
            {"type": "message", "user": "U3", "text": "ok", "edited": {"user": "U3", "ts": "1"}}
        ]
    })
}

fn outlook() -> Value {
    json!({"value": [
        {"id": "m1", "from": {"emailAddress": {"address": "ann@acme.com", "name": "Ann"}}},
        {"id": "m2", "from": {"emailAddress": {"name": "No Address"}}},
        {"id": "m3", "from": {"emailAddress": {"address": "zed@acme.com", "name": "Zed"}}}
    ]})
}

fn jira() -> Value {
    json!({"issues": [
        {"key": "P-1", "fields": {"assignee": {"accountId": "1", "emailAddress": "ann@acme.com", "displayName": "Ann"}}},
        {"key": "P-2", "fields": {"assignee": null}},
        {"key": "P-3", "fields": {"assignee": {"accountId": "3", "displayName": "Zed"}}}
    ]})
}

fn zoom() -> Value {
    json!({"participants": [
        {"id": "1", "user_email": "ann@acme.com", "name": "Ann"},
        {"id": "2", "name": "Guest"}
    ]})
}

// ------------------------------------------------------------ parse: success

#[test]
fn parses_names_in_every_notation() {
    let a = vec![child("a")];
    assert_eq!(segs("$.a"), a);
    assert_eq!(segs("$['a']"), a);
    assert_eq!(segs("$[\"a\"]"), a);
    assert_eq!(segs("$[ 'a' ]"), a);
    assert_eq!(segs("$.['a']"), a, "Jayway accepts `.[`");
    assert_eq!(segs("$.a-b_c"), vec![child("a-b_c")]);
    assert_eq!(segs("$['@odata.nextLink']"), vec![child("@odata.nextLink")]);
    assert_eq!(segs("$['it\\'s']"), vec![child("it's")]);
    assert_eq!(segs("$[\"say \\\"hi\\\"\"]"), vec![child("say \"hi\"")]);
    assert_eq!(segs("$['\\u0041\\n']"), vec![child("A\n")]);
    assert_eq!(segs("$['a b']"), vec![child("a b")]);
    assert_eq!(segs("$"), vec![]);
}

#[test]
fn parses_wildcards_indices_unions_and_slices() {
    assert_eq!(segs("$.*"), vec![Segment::Child(Selector::Wildcard)]);
    assert_eq!(segs("$[*]"), vec![Segment::Child(Selector::Wildcard)]);
    assert_eq!(segs("$[ * ]"), vec![Segment::Child(Selector::Wildcard)]);
    assert_eq!(segs("$[0]"), vec![Segment::Child(Selector::Index(0))]);
    assert_eq!(segs("$[-1]"), vec![Segment::Child(Selector::Index(-1))]);
    assert_eq!(segs("$.[0]"), vec![Segment::Child(Selector::Index(0))]);
    assert_eq!(
        segs("$['a','b']"),
        vec![Segment::Child(Selector::Names(vec![
            "a".into(),
            "b".into()
        ]))]
    );
    assert_eq!(
        segs("$[ 'a' , \"b\" ]"),
        vec![Segment::Child(Selector::Names(vec![
            "a".into(),
            "b".into()
        ]))]
    );
    assert_eq!(
        segs("$[0,2]"),
        vec![Segment::Child(Selector::Indices(vec![0, 2]))]
    );
    assert_eq!(
        segs("$[0, -1]"),
        vec![Segment::Child(Selector::Indices(vec![0, -1]))]
    );
    let slice = |start, end| vec![Segment::Child(Selector::Slice { start, end })];
    assert_eq!(segs("$[1:3]"), slice(Some(1), Some(3)));
    assert_eq!(segs("$[:2]"), slice(None, Some(2)));
    assert_eq!(segs("$[-2:]"), slice(Some(-2), None));
    assert_eq!(segs("$[ 1 : 3 ]"), slice(Some(1), Some(3)));
}

#[test]
fn parses_deep_scans() {
    let d = |s| vec![Segment::Descendant(s)];
    assert_eq!(segs("$..email"), d(Selector::Name("email".into())));
    assert_eq!(segs("$..*"), d(Selector::Wildcard));
    assert_eq!(segs("$..[0]"), d(Selector::Index(0)));
    assert_eq!(segs("$..['a']"), d(Selector::Name("a".into())));
    assert!(matches!(
        segs("$..[?(@.a)]").as_slice(),
        [Segment::Descendant(Selector::Filter(_))]
    ));
    assert_eq!(
        segs("$.a..b.c"),
        vec![
            child("a"),
            Segment::Descendant(Selector::Name("b".into())),
            child("c")
        ]
    );
}

#[test]
fn paths_without_dollar_get_jayway_prefix() {
    assert_eq!(segs("a.b"), vec![child("a"), child("b")]);
    assert_eq!(segs("items[*].id"), segs("$.items[*].id"));
    assert_eq!(segs("*"), vec![Segment::Child(Selector::Wildcard)]);
    assert_eq!(segs("[0]"), vec![Segment::Child(Selector::Index(0))]);
    assert_eq!(
        segs("@.a"),
        vec![child("a")],
        "`@` at top level is the document"
    );
    assert_eq!(
        segs("  $.a  "),
        vec![child("a")],
        "surrounding whitespace is trimmed"
    );
}

#[test]
fn parses_filter_structure() {
    assert_eq!(filter_of("$[?(@.a)]"), exists(&["a"]));
    assert_eq!(filter_of("$[?( @.a )]"), exists(&["a"]));
    assert_eq!(filter_of("$[ ?(@.a) ]"), exists(&["a"]));
    assert_eq!(
        filter_of("$[?(!@.a)]"),
        FilterExpr::Not(Box::new(exists(&["a"])))
    );
    assert_eq!(
        filter_of("$[?(! @.a)]"),
        FilterExpr::Not(Box::new(exists(&["a"])))
    );
    assert_eq!(filter_of("$[?(@['a'].b)]"), exists(&["a", "b"]));
    assert_eq!(
        filter_of("$[?(@.a && @.b || @.c)]"),
        FilterExpr::Or(vec![
            FilterExpr::And(vec![exists(&["a"]), exists(&["b"])]),
            exists(&["c"])
        ])
    );
    assert_eq!(
        filter_of("$[?(@.a && (@.b || @.c))]"),
        FilterExpr::And(vec![
            exists(&["a"]),
            FilterExpr::Or(vec![exists(&["b"]), exists(&["c"])])
        ])
    );
    assert_eq!(
        filter_of("$[?(!(@.a == 1))]"),
        FilterExpr::Not(Box::new(cmp(&["a"], CompareOp::Eq, num(1.0, "1"))))
    );
    assert_eq!(
        filter_of("$[?(!!@.a)]"),
        FilterExpr::Not(Box::new(FilterExpr::Not(Box::new(exists(&["a"])))))
    );
    assert_eq!(
        filter_of("$[?(@.a == $.b)]"),
        FilterExpr::Compare {
            left: Operand::Path(cur(&["a"])),
            op: CompareOp::Eq,
            right: Operand::Path(FilterPath {
                root: PathRoot::Root,
                segments: vec![child("b")],
                function: None
            }),
        }
    );
    assert_eq!(
        filter_of("$[?(@ == 'x')]"),
        FilterExpr::Compare {
            left: Operand::Path(cur(&[])),
            op: CompareOp::Eq,
            right: Operand::Literal(Literal::String("x".into())),
        }
    );
    // Nested paths and nested filters inside filters.
    assert!(matches!(
        filter_of("$[?(@.a[0]['b'].c)]"),
        FilterExpr::Exists(FilterPath { ref segments, .. }) if segments.len() == 4
    ));
    assert!(JsonPath::parse("$[?(@.items[?(@.x == 1)])]").is_ok());
    assert!(JsonPath::parse("$[?(@..email)]").is_ok());
}

#[test]
fn parses_literals() {
    let lit = |src: &str| match filter_of(src) {
        FilterExpr::Compare {
            right: Operand::Literal(l),
            ..
        } => l,
        other => panic!("{other:?}"),
    };
    assert_eq!(lit("$[?(@.a == 'it\\'s')]"), Literal::String("it's".into()));
    assert_eq!(
        lit("$[?(@.a == \"dq\\\"\")]"),
        Literal::String("dq\"".into())
    );
    assert_eq!(lit("$[?(@.a == '')]"), Literal::String(String::new()));
    assert_eq!(lit("$[?(@.a == 42)]"), num(42.0, "42"));
    assert_eq!(lit("$[?(@.a == -1)]"), num(-1.0, "-1"));
    assert_eq!(lit("$[?(@.a == 2.50)]"), num(2.5, "2.50"));
    assert_eq!(lit("$[?(@.a == -0.5)]"), num(-0.5, "-0.5"));
    assert_eq!(lit("$[?(@.a == .5)]"), num(0.5, "0.5"));
    assert_eq!(lit("$[?(@.a == 1e3)]"), num(1000.0, "1000.0"));
    assert_eq!(lit("$[?(@.a == true)]"), Literal::Bool(true));
    assert_eq!(lit("$[?(@.a == false)]"), Literal::Bool(false));
    assert_eq!(lit("$[?(@.a == null)]"), Literal::Null);
    assert_eq!(
        lit("$[?(@.a in ['a', \"b\", 1, -2.5, true, null])]"),
        Literal::Json(json!(["a", "b", 1, -2.5, true, null]))
    );
    assert_eq!(lit("$[?(@.a in [])]"), Literal::Json(json!([])));
    assert_eq!(
        lit("$[?(@.a == {'k': [1, 'v']})]"),
        Literal::Json(json!({"k": [1, "v"]}))
    );
    assert_eq!(
        lit("$[?(@.a==1)]"),
        num(1.0, "1"),
        "no spaces needed around symbols"
    );
}

#[test]
fn parses_operators() {
    let op = |src: &str| match filter_of(src) {
        FilterExpr::Compare { op, .. } => op,
        other => panic!("{other:?}"),
    };
    let cases = [
        ("==", CompareOp::Eq),
        ("!=", CompareOp::Ne),
        ("===", CompareOp::StrictEq),
        ("!==", CompareOp::StrictNe),
        ("<", CompareOp::Lt),
        ("<=", CompareOp::Le),
        (">", CompareOp::Gt),
        (">=", CompareOp::Ge),
    ];
    for (text, expected) in cases {
        assert_eq!(op(&format!("$[?(@.a {text} 1)]")), expected, "{text}");
        assert_eq!(expected.as_str(), text);
    }
    assert_eq!(op("$[?(@.a in ['x'])]"), CompareOp::In);
    assert_eq!(
        op("$[?(@.a IN ['x'])]"),
        CompareOp::In,
        "word operators are case-insensitive"
    );
    assert_eq!(op("$[?(@.a nin ['x'])]"), CompareOp::Nin);
    assert_eq!(op("$[?(@.a subsetof ['x'])]"), CompareOp::SubsetOf);
    assert_eq!(op("$[?(@.a anyof ['x'])]"), CompareOp::AnyOf);
    assert_eq!(op("$[?(@.a noneof ['x'])]"), CompareOp::NoneOf);
    assert_eq!(op("$[?(@.a size 2)]"), CompareOp::Size);
    assert_eq!(op("$[?(@.a empty true)]"), CompareOp::Empty);
    assert_eq!(op("$[?(@.a contains 'x')]"), CompareOp::Contains);
    assert_eq!(op("$[?(@.a in @.b)]"), CompareOp::In);
    assert_eq!(op("$[?(@.a =~ /x/)]"), CompareOp::Regex);
    assert_eq!(op("$[?(/x/ =~ @.a)]"), CompareOp::Regex);
}

#[test]
fn parses_regex_flags_and_functions() {
    match filter_of("$[?(@.email =~ /.*@acme\\.com/i)]") {
        FilterExpr::Compare {
            right: Operand::Regex(r),
            ..
        } => {
            assert_eq!(r.pattern, ".*@acme\\.com");
            assert_eq!(r.flags, "i");
            assert!(r.is_full_match("Bob@ACME.com"));
            assert!(!r.is_full_match("bob@acme.com.evil"));
        }
        other => panic!("{other:?}"),
    }
    match filter_of("$[?(@.p =~ /a\\/b/msxdu)]") {
        FilterExpr::Compare {
            right: Operand::Regex(r),
            ..
        } => {
            assert_eq!(r.pattern, "a/b", "escaped slash is a slash");
            assert_eq!(r.flags, "msxdu");
        }
        other => panic!("{other:?}"),
    }
    match filter_of("$[?(@.tags.length() > 2)]") {
        FilterExpr::Compare {
            left: Operand::Path(p),
            ..
        } => {
            assert_eq!(p.segments, vec![child("tags")]);
            assert_eq!(p.function, Some(PathFunction::Length));
        }
        other => panic!("{other:?}"),
    }
    assert!(JsonPath::parse("$[?(@.size() == 2)]").is_ok());
}

// ------------------------------------------------------------- parse: errors

#[test]
fn error_offsets_and_messages() {
    assert_err("", 0, "empty path");
    assert_err("   ", 0, "empty path");
    assert_err(
        "$.a[",
        4,
        "expected `]` to close the bracket opened at offset 3",
    );
    assert_err(
        "$['a'",
        5,
        "expected `]` to close the bracket opened at offset 1",
    );
    assert_err("$['a' 'b']", 6, "expected `,` or `]`");
    assert_err("$['a',]", 6, "expected a quoted property name after `,`");
    assert_err(
        "$['unterminated]",
        2,
        "unterminated string starting at offset 2",
    );
    assert_err("$[]", 2, "empty brackets");
    assert_err(
        "$[a]",
        2,
        "expected a quoted property name, `*`, an index, a slice or a filter",
    );
    assert_err(
        "$[*x]",
        3,
        "expected `]` to close the bracket opened at offset 1",
    );
    assert_err(
        "$[0 1]",
        4,
        "expected `]` to close the bracket opened at offset 1",
    );
    assert_err("$[-]", 3, "expected a digit after `-`");
    assert_err("$[99999999999]", 2, "out of range");
    assert_err("$[1:2:3]", 5, "slice steps");
    assert_err("$[:]", 2, "a slice needs a start, an end or both");
    assert_err("$.a.", 3, "must not end with `.`");
    assert_err("$.a..", 3, "must not end with `.` or `..`");
    assert_err("$...a", 3, "unexpected `.`");
    assert_err("$a", 1, "expected `.` or `[`");
    assert_err("$.a b", 3, "unexpected whitespace");
    assert_err("$['a']b", 6, "expected `.` or `[`");
    assert_err(".a", 0, "leading `.`");
    assert_err(
        "$.a.length()",
        4,
        "function call `length()` is not supported here",
    );
    assert_err("$..email.size()", 9, "function call `size()`");
    assert_err("$[?]", 2, "placeholders");
    assert_err("$[?@.a]", 3, "expected `(` after `?`");
}

#[test]
fn filter_error_offsets_and_messages() {
    assert_err(
        "$[?(@.a => 1)]",
        8,
        "unknown filter operator `=>`; expected one of ==, !=, ===, !==, <, <=, >, >=, =~, in, nin, subsetof, anyof, noneof, size, empty, contains",
    );
    assert_err("$[?(@.a = 1)]", 8, "unknown filter operator `=`");
    assert_err("$[?(@.a like 'x')]", 8, "unknown filter operator `like`");
    assert_err(
        "$[?(@.a all ['x'])]",
        8,
        "filter operator `all` cannot be used",
    );
    assert_err("$[?(@.a type 'x')]", 8, "filter operator `type`");
    assert_err(
        "$[?(@.a in['x'])]",
        10,
        "expected whitespace after operator `in`",
    );
    assert_err("$[?(@.a =~ /a(/)]", 11, "invalid regex /a(/:");
    assert_err("$[?(@.a =~ /a(?=b)/)]", 11, "invalid regex /a(?=b)/:");
    assert_err("$[?(@.a =~ /x/z)]", 14, "unknown regex flag `z`");
    assert_err("$[?(@.a =~ /x)]", 11, "unterminated regex");
    assert_err("$[?(@.a =~ 'x')]", 8, "`=~` needs a /regex/");
    assert_err(
        "$[?(@.a == /x/)]",
        11,
        "a /regex/ can only be used with `=~`",
    );
    assert_err("$[?(@.a in 'x')]", 11, "`in` expects a list");
    assert_err("$[?(@.a size 'x')]", 13, "`size` expects a number");
    assert_err("$[?(@.a empty 1)]", 14, "`empty` expects true or false");
    assert_err("$[?(@.a == foo)]", 11, "bare word `foo`");
    assert_err(
        "$[?(@.a == 'x)]",
        11,
        "unterminated string starting at offset 11",
    );
    assert_err("$[?(@.a == 1x)]", 11, "invalid number");
    assert_err(
        "$[?(@.a in ['x', y])]",
        17,
        "expected a JSON value but found `y`",
    );
    assert_err(
        "$[?(@.a in ['x' 'y'])]",
        16,
        "expected `,` or `]` in the list opened at offset 11",
    );
    assert_err(
        "$[?(!@.a == 1)]",
        4,
        "`!` directly before a compared path is ignored by Jayway",
    );
    assert_err("$[?(@.a&&@.b)]", 7, "put a space between a path and `&&`");
    assert_err("$[?(@.a & @.b)]", 8, "expected `&&`");
    assert_err("$[?(@.a | @.b)]", 8, "expected `||`");
    assert_err("$[?('x')]", 4, "a literal on its own is not a condition");
    assert_err("$[?(true)]", 4, "a literal on its own is not a condition");
    assert_err("$[?()]", 4, "expected a condition");
    assert_err(
        "$[?(@.a == 1",
        12,
        "expected `)` to close the filter opened at offset 3",
    );
    assert_err(
        "$[?(@.a == 1)",
        13,
        "expected `]` to close the bracket opened at offset 1",
    );
    assert_err(
        "$[?(@.a) && (@.b)]",
        9,
        "expected `]` to close the bracket opened at offset 1",
    );
    assert_err(
        "$[?((@.a)]",
        9,
        "expected `&&`, `||` or `)` to close the filter opened at offset 3",
    );
    assert_err(
        "$[?((@.a == 1 && @.b ]",
        21,
        "expected `)` to close the parenthesis opened at offset 4 but found `]`",
    );
    assert_err("$[?(@.a ==)]", 10, "expected a value");
    assert_err(
        "$[?(@.a == !@.b)]",
        11,
        "`!` is only allowed before a condition",
    );
    assert_err(
        "$[?(@.a.min() > 1)]",
        8,
        "function `min()` is not supported",
    );
    assert_err(
        "$[?(@.a[*].length() > 1)]",
        11,
        "only supported after a definite path",
    );
    assert_err(
        "$[?(@.a.length().b)]",
        16,
        "a function call must be the last step",
    );
    assert_err("$[?(@.)]", 5, "must not end with `.`");
}

#[test]
fn error_offsets_count_characters_not_bytes() {
    // `é` and `ü` are two bytes each in UTF-8.
    assert_err("$.é.ü[", 6, "opened at offset 5");
    assert_err("$['é'] x", 6, "unexpected whitespace");
    assert_err("$[?(@.ñame => 1)]", 11, "unknown filter operator `=>`");
    // Offsets are into the untrimmed text.
    assert_err("  $.a[", 6, "opened at offset 5");
}

#[test]
fn error_display_and_error_trait() {
    let e = parse_err("$.a[");
    assert_eq!(
        e.to_string(),
        "invalid JsonPath at offset 4: expected `]` to close the bracket opened at offset 3"
    );
    let as_dyn: &dyn std::error::Error = &e;
    assert!(as_dyn.source().is_none());
}

// ------------------------------------------------------- round trip, serde

const SAMPLES: &[&str] = &[
    "$",
    "$..email",
    "$..login",
    "$[*].user.login",
    "$.items[*].attendees[*].email",
    "$.items[*].organizer.email",
    "$.messages[*].user",
    "$..[?(@.type == 'mention')].user_id",
    "$.value[*].from.emailAddress.address",
    "$.issues[*].fields.assignee['emailAddress','displayName']",
    "$.participants[*]['user_email','name']",
    "$..[?(@.email =~ /.*@acme\\.com/i)].email",
    "$.items[*].attendees[?(!@.self)].email",
    "$[1:3]",
    "$[-2:]",
    "$[0,2]",
    "  $.a  ",
    "items[*].id",
];

#[test]
fn display_round_trips() {
    for src in SAMPLES {
        let p: JsonPath = match src.parse() {
            Ok(p) => p,
            Err(e) => panic!("{src:?}: {e}"),
        };
        assert_eq!(p.to_string(), *src);
        assert_eq!(p.as_str(), *src);
        let again = JsonPath::parse(&p.to_string()).ok();
        assert_eq!(again.as_ref(), Some(&p));
        assert_eq!(
            again.map(|a| a.segments().to_vec()),
            Some(p.segments().to_vec())
        );
    }
}

#[test]
fn equality_and_hash_follow_source_text() {
    use std::collections::HashSet;
    let a = JsonPath::parse("$.a").ok();
    let b = JsonPath::parse("$['a']").ok();
    assert_ne!(a, b, "equality is by source text");
    assert_eq!(
        a.as_ref().map(JsonPath::segments),
        b.as_ref().map(JsonPath::segments)
    );
    let set: HashSet<JsonPath> = ["$.a", "$.a", "$.b"]
        .iter()
        .filter_map(|s| JsonPath::parse(s).ok())
        .collect();
    assert_eq!(set.len(), 2);
}

#[test]
fn serde_as_string() {
    let p = JsonPath::parse("$..[?(@.type == 'mention')].user_id").ok();
    let text = serde_json::to_string(&p).ok();
    assert_eq!(
        text.as_deref(),
        Some(r#""$..[?(@.type == 'mention')].user_id""#)
    );
    let back: Option<JsonPath> =
        serde_json::from_str(r#""$..[?(@.type == 'mention')].user_id""#).ok();
    assert_eq!(back, p);
    let bad = serde_json::from_str::<JsonPath>(r#""$.a[""#);
    let msg = bad.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("`$.a[`") && msg.contains("expected `]`"),
        "{msg}"
    );
    assert!(serde_json::from_str::<JsonPath>("42").is_err());
}

#[test]
fn json_schema_is_a_described_string() {
    let schema = schemars::schema_for!(JsonPath);
    let v = serde_json::to_value(&schema).unwrap_or_default();
    assert_eq!(v["type"], "string");
    assert!(
        v["description"]
            .as_str()
            .unwrap_or_default()
            .contains("Jayway")
    );
}

// --------------------------------------------------------------- evaluation

#[test]
fn psoxy_paths_on_realistic_payloads() {
    let gh = github_members();
    assert_ptrs(
        "$..login",
        &gh,
        &[
            "/0/login",
            "/0/user/login",
            "/1/login",
            "/1/user/login",
            "/2/login",
            "/2/user/login",
        ],
    );
    assert_ptrs(
        "$[*].user.login",
        &gh,
        &["/0/user/login", "/1/user/login", "/2/user/login"],
    );
    assert_ptrs("$..email", &gh, &["/0/email", "/1/email"]);

    let cal = calendar();
    assert_ptrs(
        "$..email",
        &cal,
        &[
            "/items/0/organizer/email",
            "/items/0/attendees/0/email",
            "/items/0/attendees/1/email",
            "/items/0/attendees/2/email",
            "/items/1/organizer/email",
            "/items/1/attendees/0/email",
        ],
    );
    assert_ptrs(
        "$.items[*].attendees[*].email",
        &cal,
        &[
            "/items/0/attendees/0/email",
            "/items/0/attendees/1/email",
            "/items/0/attendees/2/email",
            "/items/1/attendees/0/email",
        ],
    );
    assert_ptrs(
        "$.items[*].organizer.email",
        &cal,
        &["/items/0/organizer/email", "/items/1/organizer/email"],
    );
    assert_ptrs(
        "$.items[*].attendees[?(!@.self)].email",
        &cal,
        &[
            "/items/0/attendees/1/email",
            "/items/0/attendees/2/email",
            "/items/1/attendees/0/email",
        ],
    );
    assert_ptrs(
        "$..[?(@.email =~ /.*@acme\\.com/i)].email",
        &cal,
        &[
            "/items/0/organizer/email",
            "/items/0/attendees/0/email",
            "/items/0/attendees/1/email",
            "/items/1/organizer/email",
            "/items/1/attendees/0/email",
        ],
    );

    let sl = slack();
    assert_ptrs(
        "$.messages[*].user",
        &sl,
        &["/messages/0/user", "/messages/2/user"],
    );
    assert_ptrs(
        "$..[?(@.type == 'mention')].user_id",
        &sl,
        &["/messages/0/blocks/0/elements/0/elements/1/user_id"],
    );

    assert_ptrs(
        "$.value[*].from.emailAddress.address",
        &outlook(),
        &[
            "/value/0/from/emailAddress/address",
            "/value/2/from/emailAddress/address",
        ],
    );
    assert_ptrs(
        "$.issues[*].fields.assignee['emailAddress','displayName']",
        &jira(),
        &[
            "/issues/0/fields/assignee/emailAddress",
            "/issues/0/fields/assignee/displayName",
            "/issues/2/fields/assignee/displayName",
        ],
    );
    assert_ptrs(
        "$.participants[*]['user_email','name']",
        &zoom(),
        &[
            "/participants/0/user_email",
            "/participants/0/name",
            "/participants/1/name",
        ],
    );
}

#[test]
fn root_names_wildcards_and_missing() {
    let cal = calendar();
    assert_ptrs("$", &cal, &[""]);
    assert_ptrs("$.kind", &cal, &["/kind"]);
    assert_ptrs("$['kind']", &cal, &["/kind"]);
    assert_ptrs("kind", &cal, &["/kind"]);
    assert_ptrs("@.kind", &cal, &["/kind"]);
    assert_ptrs("$.nope", &cal, &[]);
    assert_ptrs("$.nope.deeper", &cal, &[]);
    assert_ptrs("$.summary.x", &cal, &[]);
    assert_ptrs("$.items.id", &cal, &[]);
    assert_ptrs("$.items[*].nope", &cal, &[]);
    assert_ptrs("$.*", &cal, &["/kind", "/summary", "/items"]);
    assert_ptrs("$.items[*].id", &cal, &["/items/0/id", "/items/1/id"]);
    assert_ptrs("$.items.*.id", &cal, &["/items/0/id", "/items/1/id"]);
    assert_ptrs("$.kind.*", &cal, &[]);
    assert_ptrs("$.kind[0]", &cal, &[]);
}

#[test]
fn indices_negative_indices_unions_and_slices() {
    let cal = calendar();
    let att = |ixs: &[usize]| -> Vec<String> {
        ixs.iter()
            .map(|i| format!("/items/0/attendees/{i}/email"))
            .collect()
    };
    assert_eq!(ptrs("$.items[0].attendees[0].email", &cal), att(&[0]));
    assert_eq!(ptrs("$.items[0].attendees[-1].email", &cal), att(&[2]));
    assert_eq!(ptrs("$.items[0].attendees[-3].email", &cal), att(&[0]));
    assert_eq!(ptrs("$.items[0].attendees[-4].email", &cal), att(&[]));
    assert_eq!(ptrs("$.items[0].attendees[3].email", &cal), att(&[]));
    assert_eq!(
        ptrs("$.items[0].attendees[2,0].email", &cal),
        att(&[0, 2]),
        "document order"
    );
    assert_eq!(
        ptrs("$.items[0].attendees[0,0].email", &cal),
        att(&[0]),
        "no duplicates"
    );
    assert_eq!(ptrs("$.items[0].attendees[1:3].email", &cal), att(&[1, 2]));
    assert_eq!(ptrs("$.items[0].attendees[1:99].email", &cal), att(&[1, 2]));
    assert_eq!(ptrs("$.items[0].attendees[:2].email", &cal), att(&[0, 1]));
    assert_eq!(ptrs("$.items[0].attendees[:-1].email", &cal), att(&[0, 1]));
    assert_eq!(ptrs("$.items[0].attendees[-2:].email", &cal), att(&[1, 2]));
    assert_eq!(
        ptrs("$.items[0].attendees[-9:].email", &cal),
        att(&[0, 1, 2])
    );
    assert_eq!(ptrs("$.items[0].attendees[5:].email", &cal), att(&[]));
    // Jayway's [from:to] does not normalise negative bounds.
    assert_eq!(ptrs("$.items[0].attendees[1:-1].email", &cal), att(&[]));
    assert_eq!(
        ptrs("$.items[0].attendees[-2:2].email", &cal),
        att(&[0, 1, 2])
    );
    assert_ptrs(
        "$.items[*].attendees[-1].email",
        &cal,
        &["/items/0/attendees/2/email", "/items/1/attendees/0/email"],
    );
    assert_ptrs(
        "$.items[*].attendees[0,2].email",
        &cal,
        &[
            "/items/0/attendees/0/email",
            "/items/0/attendees/2/email",
            "/items/1/attendees/0/email",
        ],
    );
}

#[test]
fn name_unions_in_document_order_and_pointer_escaping() {
    let doc = json!({"a": 1, "b": 2, "a/b~c": 3});
    assert_ptrs("$['b','a']", &doc, &["/a", "/b"]);
    assert_ptrs("$['a','zzz']", &doc, &["/a"]);
    assert_ptrs("$['a/b~c']", &doc, &["/a~1b~0c"]);
    assert_ptrs(
        "$.items[*]['id','status']",
        &calendar(),
        &[
            "/items/0/id",
            "/items/0/status",
            "/items/1/id",
            "/items/1/status",
        ],
    );
}

#[test]
fn filters_on_arrays_and_on_objects() {
    let cal = calendar();
    assert_ptrs(
        "$.items[?(@.status == 'cancelled')].id",
        &cal,
        &["/items/1/id"],
    );
    // Jayway applies a filter on an object to the object itself.
    assert_ptrs(
        "$.items[0].organizer[?(@.self == true)].email",
        &cal,
        &["/items/0/organizer/email"],
    );
    assert_ptrs(
        "$.items[0].organizer[?(@.self)]",
        &cal,
        &["/items/0/organizer"],
    );
    assert_ptrs("$.items[1].organizer[?(@.self == true)].email", &cal, &[]);
    assert_ptrs(
        "$.items[*].organizer[?(@.self)].email",
        &cal,
        &["/items/0/organizer/email"],
    );
    assert_ptrs(
        "$[?(@.kind == 'calendar#events')].summary",
        &cal,
        &["/summary"],
    );
    // ... and not to its members.
    assert_ptrs("$.items[0].organizer[?(@ == 'alice@acme.com')]", &cal, &[]);
    // Primitive arrays with `@`.
    let doc = json!({"tags": ["a", "b", "c"]});
    assert_ptrs("$.tags[?(@ == 'b')]", &doc, &["/tags/1"]);
    assert_ptrs("$.tags[?(@ != 'b')]", &doc, &["/tags/0", "/tags/2"]);
    // A filter on a primitive selects nothing.
    assert_ptrs("$.summary[?(@)]", &cal, &[]);
}

#[test]
fn logical_operators_and_root_references() {
    let cal = calendar();
    assert_ptrs(
        "$.items[0].attendees[?(@.self || @.optional)].email",
        &cal,
        &["/items/0/attendees/0/email", "/items/0/attendees/2/email"],
    );
    assert_ptrs(
        "$.items[*].attendees[?(@.responseStatus == 'accepted' && !@.self)].email",
        &cal,
        &["/items/1/attendees/0/email"],
    );
    assert_ptrs(
        "$.items[*].attendees[?(!(@.responseStatus == 'accepted') && (@.optional || @.email =~ /bob@.*/i))].email",
        &cal,
        &["/items/0/attendees/1/email", "/items/0/attendees/2/email"],
    );
    assert_ptrs(
        "$.items[?(@.organizer.email == $.summary)].id",
        &cal,
        &["/items/0/id"],
    );
    assert_ptrs(
        "$.items[?($.kind == 'calendar#events')].id",
        &cal,
        &["/items/0/id", "/items/1/id"],
    );
    assert_ptrs("$.items[?($.nope)].id", &cal, &[]);
}

#[test]
fn deep_scan_semantics() {
    let doc = json!({"a": {"b": 1}, "c": [2, {"d": 3}]});
    assert_ptrs(
        "$..*",
        &doc,
        &["/a", "/a/b", "/c", "/c/0", "/c/1", "/c/1/d"],
    );
    assert_ptrs("$..[0]", &doc, &["/c/0"]);
    assert_ptrs("$..d", &doc, &["/c/1/d"]);
    assert_ptrs("$.c..d", &doc, &["/c/1/d"]);
    assert_ptrs("$..['b','d']", &doc, &[]);
    let both = json!({"x": {"b": 1, "d": 2}, "y": {"b": 3}});
    assert_ptrs("$..['b','d']", &both, &["/x/b", "/x/d"]);
    // Name scans match at any depth including the root.
    let nested = json!({"name": "root", "kids": [{"name": "k1", "kids": [{"name": "k2"}]}]});
    assert_ptrs(
        "$..name",
        &nested,
        &["/name", "/kids/0/name", "/kids/0/kids/0/name"],
    );
    // A filter scan tests the root object too.
    assert_ptrs("$..[?(@.name == 'root')].name", &nested, &["/name"]);
    // Leaf filter scans return the objects themselves.
    assert_ptrs(
        "$..[?(@.self)]",
        &calendar(),
        &["/items/0/organizer", "/items/0/attendees/0"],
    );
}

#[test]
fn deep_scan_jayway_array_quirk() {
    // ScanPathToken.walkArray: a non-leaf array selector after `..` applies
    // the rest of the path to *every* element of every array.
    let doc = json!({"x": [{"n": 1}, {"n": 2}]});
    assert_ptrs("$..[0].n", &doc, &["/x/0/n", "/x/1/n"]);
    assert_ptrs("$..[0]", &doc, &["/x/0"]);
    // A filter that accepts the array itself (arrays have no `bot`) lets every
    // element through.
    let msgs = json!({"list": [{"user": "a", "bot": true}, {"user": "b"}]});
    assert_ptrs(
        "$..[?(!@.bot)].user",
        &msgs,
        &["/list/0/user", "/list/1/user"],
    );
    assert_ptrs("$.list[?(!@.bot)].user", &msgs, &["/list/1/user"]);
}

#[test]
fn regex_matching_is_full_and_honours_flags() {
    let cal = calendar();
    assert_ptrs(
        "$..[?(@.email =~ /.*@acme\\.com/)].email",
        &cal,
        &[
            "/items/0/organizer/email",
            "/items/0/attendees/0/email",
            "/items/1/organizer/email",
            "/items/1/attendees/0/email",
        ],
    );
    assert_ptrs("$..[?(@.email =~ /acme/)].email", &cal, &[]);
    assert_ptrs(
        "$.items[?(@.organizer.email =~ /BOB@.*/i)].id",
        &cal,
        &["/items/1/id"],
    );
    let doc = json!([{"t": "a\nb"}, {"t": "A"}, {"n": 42}, {"b": true}, {"t": "x/y"}]);
    assert_ptrs("$[?(@.t =~ /a.b/s)]", &doc, &["/0"]);
    assert_ptrs("$[?(@.t =~ /a.b/)]", &doc, &[]);
    assert_ptrs("$[?(@.t =~ /^b$/m)]", &doc, &[]);
    assert_ptrs("$[?(@.t =~ /a \\n b/x)]", &doc, &["/0"]);
    assert_ptrs("$[?(@.n =~ /\\d+/)]", &doc, &["/2"]);
    assert_ptrs("$[?(@.b =~ /tr.e/)]", &doc, &["/3"]);
    assert_ptrs("$[?(@.t =~ /x\\/y/)]", &doc, &["/4"]);
    // Jayway matches a missing value as "" (and `.` needs `s` for "\n").
    assert_ptrs("$[?(@.t =~ /.*/)]", &doc, &["/1", "/2", "/3", "/4"]);
    assert_ptrs("$[?(@.t =~ /.*/s)]", &doc, &["/0", "/1", "/2", "/3", "/4"]);
    // Against an array: any element.
    let sl = slack();
    assert_ptrs(
        "$.messages[*].reactions[?(@.users =~ /U3/)].name",
        &sl,
        &["/messages/0/reactions/0/name"],
    );
}

#[test]
fn in_nin_and_list_operators() {
    let cal = calendar();
    assert_ptrs(
        "$.items[*].attendees[?(@.responseStatus in ['accepted', 'tentative'])].email",
        &cal,
        &["/items/0/attendees/0/email", "/items/1/attendees/0/email"],
    );
    assert_ptrs(
        "$.items[*].attendees[?(@.responseStatus nin ['accepted'])].email",
        &cal,
        &["/items/0/attendees/1/email", "/items/0/attendees/2/email"],
    );
    // nin is true when the value is missing.
    assert_ptrs(
        "$.items[*].attendees[?(@.optional nin [false])].email",
        &cal,
        &[
            "/items/0/attendees/0/email",
            "/items/0/attendees/1/email",
            "/items/0/attendees/2/email",
            "/items/1/attendees/0/email",
        ],
    );
    assert_ptrs(
        "$.items[?('dave@acme.com' in @.attendees[*].email)].id",
        &cal,
        &["/items/1/id"],
    );
    assert_ptrs(
        "$.items[?(@.attendees[*].email contains 'dave@acme.com')].id",
        &cal,
        &["/items/1/id"],
    );
    assert_ptrs(
        "$.items[?(@.status contains 'cancel')].id",
        &cal,
        &["/items/1/id"],
    );
    assert_ptrs("$.items[?(@.attendees size 3)].id", &cal, &["/items/0/id"]);
    assert_ptrs(
        "$.items[?(@.attendees.length() > 1)].id",
        &cal,
        &["/items/0/id"],
    );
    assert_ptrs(
        "$.items[?(@.organizer.size() == 2)].id",
        &cal,
        &["/items/0/id"],
    );
    assert_ptrs(
        "$.items[?(@.status size 9)].id",
        &cal,
        &["/items/0/id", "/items/1/id"],
    );

    let sl = slack();
    assert_ptrs(
        "$.messages[?(@.reactions empty false)].user",
        &sl,
        &["/messages/0/user"],
    );
    assert_ptrs(
        "$.messages[?(@.text size 2)].user",
        &sl,
        &["/messages/2/user"],
    );
    let r = "/messages/0/reactions/0/name";
    assert_ptrs(
        "$.messages[*].reactions[?(@.users subsetof ['U2','U3','U4'])].name",
        &sl,
        &[r],
    );
    assert_ptrs(
        "$.messages[*].reactions[?(@.users subsetof ['U2'])].name",
        &sl,
        &[],
    );
    assert_ptrs(
        "$.messages[*].reactions[?(@.users anyof ['U3','U9'])].name",
        &sl,
        &[r],
    );
    assert_ptrs(
        "$.messages[*].reactions[?(@.users noneof ['U3'])].name",
        &sl,
        &[],
    );
    assert_ptrs(
        "$.messages[*].reactions[?(@.users noneof ['U9'])].name",
        &sl,
        &[r],
    );
    assert_ptrs(
        "$.messages[*].reactions[?(@.count in [1, 2])].name",
        &sl,
        &[r],
    );
    // `in` against something that is not a list makes Jayway throw: the
    // filter is false, for `nin` too.
    let doc = json!([{"a": "x", "b": "x"}]);
    assert_ptrs("$[?(@.a in @.b)]", &doc, &[]);
    assert_ptrs("$[?(@.a nin @.b)]", &doc, &[]);
    // Nested lists inside the list also make Jayway throw.
    assert_ptrs("$[?(@.a in ['x', ['y']])]", &doc, &[]);
    // A list string that looks like a Jayway path never matches.
    let handles = json!([{"h": "@.x"}, {"h": "@bob"}]);
    assert_ptrs("$[?(@.h in ['@.x', '@bob'])]", &handles, &["/1"]);
}

#[test]
fn comparisons_follow_jayway_type_rules() {
    let gh = github_members();
    assert_ptrs("$[?(@.site_admin == true)].login", &gh, &["/1/login"]);
    assert_ptrs("$[?(@.id > 1)].login", &gh, &["/1/login", "/2/login"]);
    assert_ptrs(
        "$[?(@.id >= 2 && @.type != 'Bot')].login",
        &gh,
        &["/1/login"],
    );
    assert_ptrs("$[?(@.id < 2.5)].login", &gh, &["/0/login", "/1/login"]);
    assert_ptrs("$[?(@.id <= -1)].login", &gh, &[]);
    assert_ptrs("$[?(@.login < 'b')].login", &gh, &["/0/login"]);
    assert_ptrs("$[?(@.login > 'b')].login", &gh, &["/1/login", "/2/login"]);
    // Existence: a null value exists; `!` is the negation.
    assert_ptrs("$[?(@.email)].login", &gh, &["/0/login", "/1/login"]);
    assert_ptrs("$[?(!@.email)].login", &gh, &["/2/login"]);
    assert_ptrs("$[?(@.email == null)].login", &gh, &["/1/login"]);
    // Missing values: comparisons are false, `!=` (negated `==`) is true.
    assert_ptrs("$[?(@.missing == 'x')].login", &gh, &[]);
    assert_ptrs("$[?(@.missing < 5)].login", &gh, &[]);
    assert_ptrs(
        "$[?(@.missing != 'x')].login",
        &gh,
        &["/0/login", "/1/login", "/2/login"],
    );
    // Different kinds are unequal ...
    assert_ptrs("$[?(@.site_admin == 'true')].login", &gh, &[]);
    assert_ptrs("$[?(@.id == true)].login", &gh, &[]);
    assert_ptrs("$[?(@.user == 'bob')].login", &gh, &[]);
    // ... except strings and numbers, which Jayway compares through text.
    assert_ptrs("$[?(@.id == '2')].login", &gh, &["/1/login"]);
    let ids = json!([{"id": "5"}, {"id": 5}, {"id": "5.0"}, {"id": 5.0}, {"id": "x"}]);
    assert_ptrs("$[?(@.id == 5)]", &ids, &["/0", "/1", "/3"]);
    assert_ptrs("$[?(@.id == '5')]", &ids, &["/0", "/1", "/3"]);
    assert_ptrs("$[?(@.id === 5)]", &ids, &["/1", "/3"]);
    assert_ptrs("$[?(@.id !== 5)]", &ids, &["/0", "/2", "/4"]);
    let n = json!([{"n": 10}]);
    assert_ptrs("$[?(@.n < '9')]", &n, &["/0"]);
    // Arrays and objects compare structurally when the left side is data.
    let t = json!([{"tags": ["a", "b"]}, {"tags": ["b"]}]);
    assert_ptrs("$[?(@.tags == ['a','b'])]", &t, &["/0"]);
    assert_ptrs("$[?(['a','b'] == @.tags)]", &t, &[]);
    assert_ptrs("$[?(@.tags == $[0].tags)]", &t, &["/0"]);
}

#[test]
fn filter_expr_matches_directly() {
    let root = calendar();
    let f = filter_of("$[?(@.email =~ /.*@acme\\.com/i && !@.self)]");
    assert!(f.matches(&json!({"email": "Bob@ACME.com"}), &root));
    assert!(!f.matches(&json!({"email": "Bob@ACME.com", "self": true}), &root));
    assert!(!f.matches(&json!({"email": "x@other.org"}), &root));
    let g = filter_of("$[?(@.email == $.summary)]");
    assert!(g.matches(&json!({"email": "alice@acme.com"}), &root));
    assert!(!g.matches(&json!({"email": "bob@acme.com"}), &root));
    let h = filter_of("$[?(@.a in @.b)]");
    assert!(
        !h.matches(&json!({"a": 1, "b": 1}), &root),
        "evaluation errors count as false"
    );
}

#[test]
fn java_number_text_matches_big_decimal() {
    use super::java_number::java_number_text_f64 as t;
    assert_eq!(t(100.0), "100.0");
    assert_eq!(t(1.5), "1.5");
    assert_eq!(t(-2.25), "-2.25");
    assert_eq!(t(0.0), "0.0");
    assert_eq!(t(1e10), "1.0E+10");
    assert_eq!(t(1.5e-5), "0.000015");
    assert_eq!(t(1.2345678e7), "12345678");
    assert_eq!(t(1e-7), "1.0E-7");
}

#[test]
fn numbers_too_large_for_a_double_are_refused() {
    let e = JsonPath::parse("$[?(@.n > 1e999)]").unwrap_err();
    assert!(e.message.contains("too large"), "{}", e.message);
}
