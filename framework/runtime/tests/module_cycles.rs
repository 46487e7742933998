//! No two sibling modules of any workspace crate import each other, directly or in a circle.
//!
//! Reads every crate's `src/**/*.rs` from its roots (`lib.rs`, `main.rs`, `bin/*.rs`) along the
//! `mod` declarations, collects the `crate::…`, `super::…` and `self::…` paths each module names
//! (in `use` trees and in expressions; comments and string literals are skipped), and draws an
//! edge `a → b` between the two children of the deepest module both paths share. A module naming
//! its own ancestor or descendant is no edge (a parent importing its children is how a tree is
//! built). Any strongly connected set of siblings fails the test, with one `file:line` per edge.
//!
//! A hand-written lexer rather than `syn` or `cargo-modules`: paths are all it needs, it reads
//! the whole workspace in milliseconds, and it adds no dependency to the runtime's build.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Circles in code that others are rewriting at the time of writing (issue 16), each as (crate
/// directory, parent module, the modules in the circle). The test fails when one of them is no
/// longer a circle, so that this list only shrinks.
const KNOWN: &[(&str, &str, &[&str])] = &[
    // `openapi` describes a 200 with the sanitization summary `scaffold` writes for READMEs.
    ("framework/codegen", "crate", &["openapi", "scaffold"]),
    // The compact copier and the token-by-token copier fall back on each other.
    (
        "framework/runtime",
        "crate::sanitize",
        &["compact", "passthrough"],
    ),
];

#[test]
fn no_sibling_modules_import_each_other_in_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    let mut report = String::new();
    let mut known_seen = vec![false; KNOWN.len()];
    let mut crates = 0;
    for krate in workspace_crates(&root) {
        let name = krate
            .strip_prefix(&root)
            .unwrap_or(&krate)
            .display()
            .to_string();
        for crate_root in crate_roots(&krate) {
            crates += 1;
            let graph = read_crate(&crate_root, &|p| std::fs::read_to_string(p).ok());
            for cycle in graph.cycles() {
                let known = KNOWN.iter().position(|(dir, parent, members)| {
                    *dir == name
                        && *parent == cycle.parent
                        && cycle
                            .members
                            .iter()
                            .map(String::as_str)
                            .eq(members.iter().copied())
                });
                match known {
                    Some(i) => known_seen[i] = true,
                    None => {
                        let text = cycle.text.replace(&format!("{}/", root.display()), "");
                        let _ = writeln!(report, "{name}: {text}");
                    }
                }
            }
        }
    }
    assert!(
        crates >= 6,
        "found only {crates} crate roots under {}",
        root.display()
    );
    for (seen, (dir, parent, members)) in known_seen.iter().zip(KNOWN) {
        if !seen {
            let _ = writeln!(
                report,
                "{dir}: {parent}: {} no longer form a circle: remove them from KNOWN",
                members.join(", ")
            );
        }
    }
    assert!(
        report.is_empty(),
        "sibling modules import each other in a circle; move what both need below them, or \
         let the lower one take a trait the upper one implements:\n{report}"
    );
}

#[test]
fn the_check_sees_a_circle_and_allows_a_tree() {
    let files: HashMap<PathBuf, &str> = [
        ("src/lib.rs", "mod a; mod b; mod c; mod tree;"),
        ("src/a.rs", "use crate::b::X;\nfn f() { crate::c::g(); }"),
        (
            "src/b.rs",
            "// use crate::c;\nconst S: &str = \"crate::c\";\npub struct X;",
        ),
        ("src/c.rs", "use crate::{b, a::{self}};"),
        (
            "src/tree/mod.rs",
            "mod leaf; use self::leaf::Y; pub struct Z;",
        ),
        (
            "src/tree/leaf.rs",
            "use super::Z; pub struct Y;\n#[cfg(test)] mod tests { use super::*; }",
        ),
    ]
    .into_iter()
    .map(|(p, s)| (PathBuf::from(p), s))
    .collect();
    let graph = read_crate(Path::new("src/lib.rs"), &|p| {
        files.get(p).map(|s| s.to_string())
    });
    let cycles: Vec<String> = graph.cycles().into_iter().map(|c| c.text).collect();
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    // a → c (line 2) and c → a close the circle; a → b and c → b do not, and `b` names `c` only
    // in a comment and a string.
    assert!(cycles[0].contains("a → c (src/a.rs:2)"), "{}", cycles[0]);
    assert!(cycles[0].contains("c → a (src/c.rs:1)"), "{}", cycles[0]);
    assert!(!cycles[0].contains("b"), "{}", cycles[0]);
}

/// Directories up to two levels below the workspace root holding a `Cargo.toml` and a `src/`.
fn workspace_crates(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut level = vec![root.to_path_buf()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for dir in level {
            if dir.join("Cargo.toml").is_file() && dir.join("src").is_dir() {
                found.push(dir.clone());
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if path.is_dir() && !name.starts_with('.') && name != "target" && name != "src" {
                    next.push(path);
                }
            }
        }
        level = next;
    }
    found.sort();
    found
}

fn crate_roots(krate: &Path) -> Vec<PathBuf> {
    let src = krate.join("src");
    let mut roots: Vec<PathBuf> = ["lib.rs", "main.rs"]
        .iter()
        .map(|f| src.join(f))
        .filter(|p| p.is_file())
        .collect();
    if let Ok(entries) = std::fs::read_dir(src.join("bin")) {
        roots.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs")),
        );
    }
    roots.sort();
    roots
}

type ModPath = Vec<String>;

/// One crate's modules and the paths each names.
#[derive(Default)]
struct Graph {
    modules: BTreeSet<ModPath>,
    /// (from module, to path as written but made absolute, file:line)
    refs: Vec<(ModPath, ModPath, String)>,
}

fn read_crate(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> Graph {
    let mut graph = Graph::default();
    graph.modules.insert(Vec::new());
    // (file, its module path, the directory its child modules' files live in)
    let dir = root.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut queue = vec![(root.to_path_buf(), Vec::new(), dir)];
    while let Some((file, module, dir)) = queue.pop() {
        let Some(text) = read(&file) else { continue };
        let tokens = lex(&text);
        scan(&tokens, &file, &module, &dir, &mut graph, &mut queue, read);
    }
    graph
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Punct(&'static str),
    Other,
}

/// Tokens with their line numbers; comments, strings, characters and lifetimes dropped.
fn lex(text: &str) -> Vec<(Tok, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let ident_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        let rest = &b[i..];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(b[i] == b'\n');
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"…", r#"…"#, br"…": ends at a quote followed by as many hashes.
            i += rest.iter().position(|&x| x == b'"').unwrap_or(0) + 1;
            let end: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while i < b.len() && !b[i..].starts_with(&end) {
                line += usize::from(b[i] == b'\n');
                i += 1;
            }
            i += end.len();
        } else if c == b'"' || rest.starts_with(b"b\"") || rest.starts_with(b"c\"") {
            i += if c == b'"' { 1 } else { 2 };
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                line += usize::from(i < b.len() && b[i] == b'\n');
                i += 1;
            }
            i += 1;
        } else if c == b'\'' || rest.starts_with(b"b'") {
            // A character literal closes within a few bytes; a lifetime is an identifier.
            let start = if c == b'\'' { i + 1 } else { i + 2 };
            let close = if b.get(start) == Some(&b'\\') {
                b[start + 1..]
                    .iter()
                    .position(|&x| x == b'\'')
                    .map(|p| start + 1 + p)
            } else {
                let len = text[start..].chars().next().map_or(1, char::len_utf8);
                (b.get(start + len) == Some(&b'\'')).then_some(start + len)
            };
            match close {
                Some(end) => i = end + 1,
                None => {
                    i = start;
                    while i < b.len() && ident_char(b[i]) {
                        i += 1;
                    }
                }
            }
            out.push((Tok::Other, line));
        } else if c == b'$' && b[i + 1..].starts_with(b"crate") {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            if rest.starts_with(b"r#") {
                i += 2;
            }
            let start = i;
            while i < b.len() && ident_char(b[i]) {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_owned()), line));
        } else if c.is_ascii_digit() {
            while i < b.len() && ident_char(b[i]) {
                i += 1;
            }
            out.push((Tok::Other, line));
        } else if rest.starts_with(b"::") {
            out.push((Tok::Punct("::"), line));
            i += 2;
        } else {
            let p = match c {
                b'{' => "{",
                b'}' => "}",
                b'(' => "(",
                b')' => ")",
                b',' => ",",
                b';' => ";",
                b'*' => "*",
                b'<' => "<",
                _ => "",
            };
            out.push((
                if p.is_empty() {
                    Tok::Other
                } else {
                    Tok::Punct(p)
                },
                line,
            ));
            i += text[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// The number of `#`s of a raw string literal starting here, if one does.
fn raw_string_start(rest: &[u8]) -> Option<usize> {
    let after = rest
        .strip_prefix(b"br")
        .or_else(|| rest.strip_prefix(b"r"))?;
    let hashes = after.iter().take_while(|&&c| c == b'#').count();
    (after.get(hashes) == Some(&b'"')).then_some(hashes)
}

fn ident(tokens: &[(Tok, usize)], i: usize) -> Option<&str> {
    match tokens.get(i) {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

fn punct(tokens: &[(Tok, usize)], i: usize, p: &str) -> bool {
    matches!(tokens.get(i), Some((Tok::Punct(q), _)) if *q == p)
}

fn scan(
    tokens: &[(Tok, usize)],
    file: &Path,
    module: &ModPath,
    dir: &Path,
    graph: &mut Graph,
    queue: &mut Vec<(PathBuf, ModPath, PathBuf)>,
    read: &dyn Fn(&Path) -> Option<String>,
) {
    // Inline `mod name { … }` blocks: (name, brace depth inside the block).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut in_use = false;
    let mut i = 0;
    while i < tokens.len() {
        let here: ModPath = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        if punct(tokens, i, "{") {
            depth += 1;
        } else if punct(tokens, i, "}") {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth -= 1;
        } else if punct(tokens, i, ";") {
            in_use = false;
        } else if ident(tokens, i) == Some("use") {
            in_use = true;
        } else if ident(tokens, i) == Some("mod")
            && let Some(name) = ident(tokens, i + 1)
        {
            let mut child = here.clone();
            child.push(name.to_owned());
            graph.modules.insert(child.clone());
            if punct(tokens, i + 2, "{") {
                inline.push((name.to_owned(), depth + 1));
            } else if punct(tokens, i + 2, ";") {
                let base = inline.iter().fold(dir.to_path_buf(), |d, (n, _)| d.join(n));
                let flat = base.join(format!("{name}.rs"));
                let nested = base.join(name).join("mod.rs");
                let file = if read(&flat).is_some() { flat } else { nested };
                queue.push((file, child, base.join(name)));
            }
            i += 2;
            continue;
        } else if let Some(first @ ("crate" | "super" | "self")) = ident(tokens, i)
            && punct(tokens, i + 1, "::")
            && !(i >= 2 && ident(tokens, i - 1) == Some("in") && punct(tokens, i - 2, "("))
            && !(i >= 1 && punct(tokens, i - 1, "::"))
        {
            let line = tokens[i].1;
            let mut start: ModPath = match first {
                "crate" => Vec::new(),
                _ => here.clone(),
            };
            let mut j = i + 2;
            if first == "super" {
                start.pop();
                while ident(tokens, j) == Some("super") && punct(tokens, j + 1, "::") {
                    start.pop();
                    j += 2;
                }
            }
            let mut paths = Vec::new();
            j = path(tokens, j, start, in_use, &mut paths);
            for to in paths {
                graph
                    .refs
                    .push((here.clone(), to, format!("{}:{line}", file.display())));
            }
            i = j;
            continue;
        }
        i += 1;
    }
}

/// Reads the path (or `use` tree) from `i` onward, appending each full path to `out`.
fn path(
    tokens: &[(Tok, usize)],
    mut i: usize,
    mut prefix: ModPath,
    in_use: bool,
    out: &mut Vec<ModPath>,
) -> usize {
    loop {
        if in_use && punct(tokens, i, "{") {
            i += 1;
            while i < tokens.len() && !punct(tokens, i, "}") {
                if punct(tokens, i, ",") {
                    i += 1;
                    continue;
                }
                let before = i;
                i = path(tokens, i, prefix.clone(), in_use, out);
                if i == before {
                    i += 1;
                }
            }
            return i + 1;
        }
        match ident(tokens, i) {
            Some("self") if !prefix.is_empty() => i += 1,
            Some(name) => {
                prefix.push(name.to_owned());
                i += 1;
            }
            None => {
                if punct(tokens, i, "*") {
                    i += 1;
                }
                break;
            }
        }
        if punct(tokens, i, "::") && !punct(tokens, i + 1, "<") {
            i += 1;
        } else {
            break;
        }
    }
    out.push(prefix);
    i
}

/// Sibling modules that use each other around a circle.
struct Cycle {
    /// Their parent, as `crate` or `crate::a::b`.
    parent: String,
    /// The modules in the circle.
    members: BTreeSet<String>,
    /// `parent: a → b (file:line), b → a (file:line)`.
    text: String,
}

impl Graph {
    /// Each circle of siblings.
    fn cycles(&self) -> Vec<Cycle> {
        // parent → (from child → (to child → first place))
        let mut edges: BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, String>>> =
            BTreeMap::new();
        for (from, to, place) in &self.refs {
            // The longest prefix of the named path that is a module.
            let mut to = to.clone();
            while !self.modules.contains(&to) {
                to.pop();
            }
            let shared = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
            if shared < from.len() && shared < to.len() {
                edges
                    .entry(from[..shared].to_vec())
                    .or_default()
                    .entry(from[shared].clone())
                    .or_default()
                    .entry(to[shared].clone())
                    .or_insert_with(|| place.clone());
            }
        }
        let mut found = Vec::new();
        for (parent, graph) in &edges {
            for set in strongly_connected(graph) {
                let parent = if parent.is_empty() {
                    "crate".to_owned()
                } else {
                    format!("crate::{}", parent.join("::"))
                };
                let mut text = format!("{parent}: ");
                let mut first = true;
                for from in &set {
                    for (to, place) in &graph[from] {
                        if set.contains(to) {
                            let _ = write!(
                                text,
                                "{}{from} → {to} ({place})",
                                if first { "" } else { ", " }
                            );
                            first = false;
                        }
                    }
                }
                found.push(Cycle {
                    parent,
                    members: set,
                    text,
                });
            }
        }
        found
    }
}

/// Tarjan's algorithm; only the sets of more than one node.
fn strongly_connected(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(next) = s.graph.get(v) {
            for w in next.keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[w].min(s.low[v]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.index[w].min(s.low[v]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut set = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                set.insert(w.to_owned());
                if w == v {
                    break;
                }
            }
            if set.len() > 1 {
                s.found.push(set);
            }
        }
    }
    let mut s = State {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}
