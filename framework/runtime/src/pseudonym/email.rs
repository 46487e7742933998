//! RFC 2822 mailboxes and address lists, as psoxy recognises them.
//!
//! A hand-written recursive-descent parser over the RFC 2822 grammar, restricted the way psoxy's
//! validator is configured: quoted display names are allowed (`"Name" <a@b.com>`), parentheses may
//! appear in a quoted local part, the domain must be an RFC 1035 name of at least two labels whose
//! last label is 2–26 letters, and domain literals (`a@[10.0.0.1]`) are not accepted. Comments do
//! not nest. Quoted display names may hold any non-control character (RFC 6532); everything
//! else is ASCII.
//!
//! Where the grammar is ambiguous, the parser picks what a backtracking regex engine picks first
//! for psoxy's grammar: a bare `<angle-addr>` before a named one, a named address before a bare
//! addr-spec, and greedy comments/whitespace.

use super::java::java_trim;

/// One parsed mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mailbox {
    /// The display name (or, without one, the first comment after the address), unquoted.
    pub(crate) personal: Option<String>,
    /// The local part, quotes removed when they are not needed.
    pub(crate) local: String,
    /// The domain, as written.
    pub(crate) domain: String,
}

impl Mailbox {
    /// `"Name" <local@domain>`, or `local@domain` without a (non-empty) name.
    pub(crate) fn formatted(&self) -> String {
        match self.personal.as_deref() {
            Some(name) if !name.is_empty() => {
                format!("\"{name}\" <{}@{}>", self.local, self.domain)
            }
            _ => format!("{}@{}", self.local, self.domain),
        }
    }
}

/// The mailbox `text` is, if all of it is one (`name-addr` or `addr-spec`).
pub(crate) fn parse_mailbox(text: &str) -> Option<Mailbox> {
    plain_address(text).or_else(|| parse_mailbox_general(text))
}

/// `text` as `(local, domain)` when it is a plain address (see [`plain_address`]), borrowed.
pub(crate) fn plain_address_parts(text: &str) -> Option<(&str, &str)> {
    let (local, domain) = text.split_once('@')?;
    // Dot-separated non-empty atoms: atext or `.`, no `.` first, last or twice in a row.
    let l = local.as_bytes();
    let local_ok = !l.is_empty()
        && l[0] != b'.'
        && l[l.len() - 1] != b'.'
        && l.iter().all(|&b| b == b'.' || is_atext_byte(b))
        && !l.windows(2).any(|w| w == b"..");
    let domain_ok = domain
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && is_rfc1035_domain(domain);
    (local_ok && domain_ok).then_some((local, domain))
}

/// The common case without the general parser: `text` is exactly `local@domain`, the local part
/// a dot-atom (`atext+ ("." atext+)*`) and the domain a valid RFC 1035 name, with no display
/// name, comment or white space. The general parser reads such a text as a bare addr-spec with
/// nothing to trim, unquote or clean, so the mailbox is the two parts as written. `None` for
/// anything else (the general parser decides).
fn plain_address(text: &str) -> Option<Mailbox> {
    plain_address_parts(text).map(|(local, domain)| Mailbox {
        personal: None,
        local: local.to_string(),
        domain: domain.to_string(),
    })
}

/// [`parse_mailbox`] by the general parser alone.
pub(crate) fn parse_mailbox_general(text: &str) -> Option<Mailbox> {
    // Every mailbox has an addr-spec, and every addr-spec an `@` (ids, names, numbers: no).
    if !text.contains('@') {
        return None;
    }
    let p = Parser::new(text);
    let (end, mb) = p.mailbox(0, true)?;
    (end == p.len()).then_some(mb)
}

/// The mailboxes of an RFC 2822 address list (mailboxes and groups, comma separated), or `None`
/// if `text` is not a valid list (empty entries such as `a@b.com,,c@d.com` make it invalid).
pub(crate) fn parse_address_list(text: &str) -> Option<Vec<Mailbox>> {
    let p = Parser::new(text);
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let end = if let Some((end, mb)) = p.mailbox(pos, false) {
            out.push(mb);
            end
        } else {
            p.group(pos, &mut out)?
        };
        if end == p.len() {
            return Some(out);
        }
        if p.at(end) != Some(',') {
            return None;
        }
        pos = end + 1;
    }
}

fn is_atext(c: char) -> bool {
    u8::try_from(c).is_ok_and(is_atext_byte)
}

/// RFC 2822 `atext` (all ASCII).
fn is_atext_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        )
}

/// ASCII controls other than whitespace (RFC 2822 `NO-WS-CTL`).
fn is_no_ws_ctl(c: char) -> bool {
    matches!(c, '\u{01}'..='\u{08}' | '\u{0B}' | '\u{0C}' | '\u{0E}'..='\u{1F}' | '\u{7F}')
}

/// Comment text: printable ASCII other than `(`, `)` and `\`.
fn is_ctext(c: char) -> bool {
    is_no_ws_ctl(c) || matches!(c, '!'..='\'' | '*'..='[' | ']'..='~')
}

/// Quoted display-name text: anything but controls, `\` and `"`.
fn is_qtext(c: char) -> bool {
    !(c <= '\u{1F}' || c == '\u{7F}' || c == '\\' || c == '"')
}

/// Quoted local-part text: printable ASCII other than `"` and `\` (parentheses allowed).
fn is_local_qtext(c: char) -> bool {
    is_no_ws_ctl(c) || matches!(c, '!' | '#'..='[' | ']'..='~')
}

/// The character after a `\` in a quoted pair: ASCII other than NUL, CR, LF.
fn is_quoted_pair_char(c: char) -> bool {
    matches!(c, '\u{01}'..='\u{09}' | '\u{0B}' | '\u{0C}' | '\u{0E}'..='\u{7F}')
}

fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// A valid RFC 1035 domain of at least two labels, the last 2–26 letters.
fn is_rfc1035_domain(domain: &str) -> bool {
    let Some((rest, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    (2..=26).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_alphabetic())
        && rest.split('.').all(is_rfc1035_label)
}

/// One label before the top-level domain: 1–63 letters, digits and `-`, not starting or ending
/// with `-`.
fn is_rfc1035_label(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

struct Parser {
    chars: Vec<char>,
}

/// An addr-spec: local part, domain, and where the CFWS after the domain starts and ends.
struct AddrSpec {
    end: usize,
    local: String,
    domain: String,
    trailing: (usize, usize),
}

impl Parser {
    fn new(text: &str) -> Self {
        Self {
            chars: text.chars().collect(),
        }
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }

    /// Folding white space: `([WSP]* CRLF)? WSP+`.
    fn fws(&self, p: usize) -> Option<usize> {
        let mut q = p;
        while self.at(q).is_some_and(is_wsp) {
            q += 1;
        }
        if self.at(q) == Some('\r')
            && self.at(q + 1) == Some('\n')
            && self.at(q + 2).is_some_and(is_wsp)
        {
            q += 2;
            while self.at(q).is_some_and(is_wsp) {
                q += 1;
            }
        }
        (q > p).then_some(q)
    }

    /// A (non-nested) comment starting at `p`.
    fn comment(&self, p: usize) -> Option<usize> {
        self.delimited(p, '(', ')', is_ctext)
    }

    /// `open`, then text characters (`text`), quoted pairs and folding white space, then `close`.
    fn delimited(
        &self,
        p: usize,
        open: char,
        close: char,
        text: fn(char) -> bool,
    ) -> Option<usize> {
        if self.at(p) != Some(open) {
            return None;
        }
        let mut q = p + 1;
        loop {
            if let Some(r) = self.fws(q) {
                q = r;
            }
            match self.at(q)? {
                c if c == close => return Some(q + 1),
                '\\' if self.at(q + 1).is_some_and(is_quoted_pair_char) => q += 2,
                c if text(c) => q += 1,
                _ => return None,
            }
        }
    }

    /// Optional comments and folding white space; returns the end and whether top-level white
    /// space was seen.
    fn cfws(&self, p: usize) -> (usize, bool) {
        let mut q = p;
        let mut ws = false;
        loop {
            if let Some(r) = self.fws(q) {
                q = r;
                ws = true;
            } else if let Some(r) = self.comment(q) {
                q = r;
            } else {
                return (q, ws);
            }
        }
    }

    /// A quoted string (without surrounding CFWS) whose text characters satisfy `qtext`.
    fn quoted(&self, p: usize, qtext: fn(char) -> bool) -> Option<usize> {
        self.delimited(p, '"', '"', qtext)
    }

    /// `atext+ ("." atext+)*`.
    fn dot_atom_text(&self, p: usize) -> Option<usize> {
        let mut q = p;
        loop {
            let start = q;
            while self.at(q).is_some_and(is_atext) {
                q += 1;
            }
            if q == start {
                return None;
            }
            if self.at(q) == Some('.') && self.at(q + 1).is_some_and(is_atext) {
                q += 1;
            } else {
                return Some(q);
            }
        }
    }

    /// A phrase word without surrounding CFWS: an atom (`atext+`) or a quoted string.
    fn word_token(&self, p: usize) -> Option<usize> {
        match self.at(p)? {
            '"' => self.quoted(p, is_qtext),
            c if is_atext(c) => {
                let mut q = p;
                while self.at(q).is_some_and(is_atext) {
                    q += 1;
                }
                Some(q)
            }
            _ => None,
        }
    }

    /// A phrase: words separated by white space, with optional CFWS around; returns its end
    /// (after any trailing CFWS).
    fn phrase(&self, p: usize) -> Option<usize> {
        let (q, _) = self.cfws(p);
        let mut q = self.word_token(q)?;
        loop {
            let (r, ws) = self.cfws(q);
            match (ws, self.word_token(r)) {
                (true, Some(next)) => q = next,
                _ => return Some(r),
            }
        }
    }

    /// `local-part "@" domain`, CFWS allowed around both parts.
    fn addr_spec(&self, p: usize) -> Option<AddrSpec> {
        let (q, _) = self.cfws(p);
        let local_end = match self.at(q)? {
            '"' => self.quoted(q, is_local_qtext)?,
            _ => self.dot_atom_text(q)?,
        };
        let local = self.text(q, local_end);
        let (q, _) = self.cfws(local_end);
        if self.at(q) != Some('@') {
            return None;
        }
        let (d, _) = self.cfws(q + 1);
        let mut e = d;
        while self
            .at(e)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            e += 1;
        }
        let domain = self.text(d, e);
        if !is_rfc1035_domain(&domain) {
            return None;
        }
        let (end, _) = self.cfws(e);
        Some(AddrSpec {
            end,
            local,
            domain,
            trailing: (e, end),
        })
    }

    /// `CFWS? "<" addr-spec ">" CFWS?`; returns the spec, the end, and the trailing CFWS span.
    fn angle_addr(&self, p: usize) -> Option<(AddrSpec, usize, (usize, usize))> {
        let (q, _) = self.cfws(p);
        if self.at(q) != Some('<') {
            return None;
        }
        let spec = self.addr_spec(q + 1)?;
        if self.at(spec.end) != Some('>') {
            return None;
        }
        let after = spec.end + 1;
        let (end, _) = self.cfws(after);
        Some((spec, end, (after, end)))
    }

    /// A mailbox at `p`. With `full`, only a parse reaching the end of the text counts (regex
    /// `matches()`); otherwise the first alternative that parses wins (`lookingAt()`).
    fn mailbox(&self, p: usize, full: bool) -> Option<(usize, Mailbox)> {
        let accept = |end: usize| !full || end == self.len();
        // name-addr without a display name
        if let Some((spec, end, trailing)) = self.angle_addr(p).filter(|a| accept(a.1)) {
            let personal = self.first_comment(trailing);
            return Some((end, self.finish(spec, personal)));
        }
        // name-addr with a display name
        if let Some(phrase_end) = self.phrase(p)
            && let Some((spec, end, _)) = self.angle_addr(phrase_end).filter(|a| accept(a.1))
        {
            let personal = Some(clean_personal(&self.text(p, phrase_end)));
            return Some((end, self.finish(spec, personal)));
        }
        // bare addr-spec
        let spec = self.addr_spec(p).filter(|s| accept(s.end))?;
        let end = spec.end;
        let personal = self.first_comment(spec.trailing);
        Some((end, self.finish(spec, personal)))
    }

    /// `phrase ":" [CFWS / mailbox-list] ";" [CFWS]`, pushing the group's mailboxes.
    fn group(&self, p: usize, out: &mut Vec<Mailbox>) -> Option<usize> {
        let q = self.phrase(p)?;
        if self.at(q) != Some(':') {
            return None;
        }
        let (r, _) = self.cfws(q + 1);
        let semicolon = if self.at(r) == Some(';') {
            r
        } else {
            let mut members = Vec::new();
            let mut r = q + 1;
            loop {
                let (end, mb) = self.mailbox(r, false)?;
                members.push(mb);
                if self.at(end) == Some(',') {
                    r = end + 1;
                } else {
                    r = end;
                    break;
                }
            }
            if self.at(r) != Some(';') {
                return None;
            }
            out.extend(members);
            r
        };
        Some(self.cfws(semicolon + 1).0)
    }

    /// The first comment in a CFWS span, without its parentheses, cleaned like a display name.
    fn first_comment(&self, (from, to): (usize, usize)) -> Option<String> {
        let mut i = from;
        while i < to {
            if self.at(i) == Some('(')
                && let Some(end) = self.comment(i).filter(|e| *e <= to)
            {
                let inner = self.text(i + 1, end - 1);
                return Some(clean_personal(&inner));
            }
            i += 1;
        }
        None
    }

    fn finish(&self, spec: AddrSpec, personal: Option<String>) -> Mailbox {
        let mut local = java_trim(&spec.local).to_string();
        let domain = java_trim(&spec.domain).to_string();
        // Drop quotes the local part does not need.
        if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
            let inner = &local[1..local.len() - 1];
            let candidate = format!("{inner}@{domain}");
            let p = Parser::new(&candidate);
            if p.addr_spec(0).is_some_and(|s| s.end == p.len()) {
                local = inner.to_string();
            }
        }
        Mailbox {
            personal,
            local,
            domain,
        }
    }
}

/// Trims a display name and, when all of it is one quoted string, removes the quotes and the
/// `\\` and `\"` escapes.
fn clean_personal(raw: &str) -> String {
    let text = java_trim(raw);
    let p = Parser::new(text);
    if p.quoted(0, is_qtext) == Some(p.len()) && p.len() >= 2 {
        let inner = &text[1..text.len() - 1];
        let unescaped = inner.replace("\\\\", "\\").replace("\\\"", "\"");
        return java_trim(&unescaped).to_string();
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn the_plain_address_shortcut_agrees_with_the_general_parser(
            text in prop_oneof![
                "[a-zA-Z0-9.+_'\\-]{0,8}@[a-zA-Z0-9.-]{0,12}",
                "[a-z.]{0,4}@?[a-z.]{0,4}(\\.[a-zA-Z]{1,3})?",
                "[ a-zA-Z0-9.@<>()\"+,;:\\[\\]é\t-]{0,16}",
                "\\PC{0,12}",
            ]
        ) {
            if let Some(fast) = plain_address(&text) {
                prop_assert_eq!(Some(fast), parse_mailbox_general(&text), "text {:?}", text);
            }
            prop_assert_eq!(parse_mailbox(&text), parse_mailbox_general(&text), "text {:?}", text);
        }
    }

    /// The domain check as it was written first (labels collected into a `Vec`).
    fn is_rfc1035_domain_reference(domain: &str) -> bool {
        let labels: Vec<&str> = domain.split('.').collect();
        let Some((tld, rest)) = labels.split_last() else {
            return false;
        };
        if rest.is_empty()
            || !(2..=26).contains(&tld.len())
            || !tld.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return false;
        }
        rest.iter().all(|label| is_rfc1035_label(label))
    }

    proptest! {
        #[test]
        fn the_domain_check_agrees_with_its_first_form(
            domain in prop_oneof!["[a-zA-Z0-9.-]{0,16}", "([a-z0-9-]{0,4}\\.){0,3}[a-zA-Z]{0,4}", "\\PC{0,8}"]
        ) {
            prop_assert_eq!(is_rfc1035_domain(&domain), is_rfc1035_domain_reference(&domain), "domain {:?}", domain);
        }

        #[test]
        fn no_mailbox_without_an_at_sign(text in "[^@]{0,16}") {
            let p = Parser::new(&text);
            let general = p.mailbox(0, true).filter(|(end, _)| *end == p.len()).map(|(_, mb)| mb);
            prop_assert_eq!(general, None, "text {:?}", text);
        }
    }

    #[test]
    fn atext_is_the_rfc_2822_set() {
        for c in (0..0x400).filter_map(char::from_u32) {
            let listed = c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
            assert_eq!(is_atext(c), listed, "{c:?}");
        }
    }

    fn mb(s: &str) -> Option<(Option<String>, String, String)> {
        parse_mailbox(s).map(|m| (m.personal, m.local, m.domain))
    }

    #[test]
    fn plain_and_named_addresses() {
        assert_eq!(
            mb("alice@worklytics.co"),
            Some((None, "alice".into(), "worklytics.co".into()))
        );
        assert_eq!(
            mb("\"Alice Smith\" <alice@worklytics.co>"),
            Some((
                Some("Alice Smith".into()),
                "alice".into(),
                "worklytics.co".into()
            ))
        );
        assert_eq!(
            mb("Karen Love <karen@worklytics.co>").unwrap().0.as_deref(),
            Some("Karen Love")
        );
        assert_eq!(
            mb("<dave@example.com>"),
            Some((None, "dave".into(), "example.com".into()))
        );
        assert_eq!(
            mb("bob.brown+sales@example.co.uk").unwrap().1,
            "bob.brown+sales"
        );
        assert_eq!(mb("jack.o'neill@example.com").unwrap().1, "jack.o'neill");
        assert_eq!(
            mb("\"Mónica Geller\" <monica@example.com>")
                .unwrap()
                .0
                .as_deref(),
            Some("Mónica Geller")
        );
        assert_eq!(
            mb("\"José\"<jose@example.com>").unwrap().0.as_deref(),
            Some("José")
        );
        assert_eq!(
            mb("bob@example.com (Bobby)").unwrap().0.as_deref(),
            Some("Bobby")
        );
        assert_eq!(mb("\"john\"@example.com").unwrap().1, "john");
        assert_eq!(mb("\"john doe\"@example.com").unwrap().1, "\"john doe\"");
        assert_eq!(
            mb("\"bob(hi)smith\"@test.com").unwrap().1,
            "\"bob(hi)smith\""
        );
        assert_eq!(mb("Alice@Acme.com").unwrap().2, "Acme.com");
    }

    #[test]
    fn rejected_addresses() {
        for s in [
            "",
            "   ",
            "invalid-email",
            "\"\"",
            "<>",
            "bob@localhost",
            "user@[10.0.0.1]",
            "@missinglocalpart.com",
            "missingdomain@.com",
            "user@invalid..com",
            "a.@x.com",
            "Worklytics.co <no-reply@worklytics.co>",
            "user@domain.c0m",
            "user@domain.c",
            "a@b.com x",
            "Karen(c)Love <k@x.com>",
            "éa@x.com",
        ] {
            assert!(parse_mailbox(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn address_lists() {
        let l =
            parse_address_list("Karen Love <karen@worklytics.co>, John Doe <john@worklytics.co>")
                .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].formatted(), "\"John Doe\" <john@worklytics.co>");
        let l =
            parse_address_list("harry@example.com, <ian@example.com>, \"Jack\" <jack@example.com>")
                .unwrap();
        assert_eq!(
            l.iter().map(Mailbox::formatted).collect::<Vec<_>>(),
            [
                "harry@example.com",
                "ian@example.com",
                "\"Jack\" <jack@example.com>"
            ]
        );
        let l = parse_address_list("Team: a@x.com, b@x.com;, c@x.com").unwrap();
        assert_eq!(
            l.iter().map(|m| m.local.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(
            parse_address_list("Undisclosed recipients:;").unwrap(),
            vec![]
        );
        for s in [
            "a@b.com,,c@d.com",
            "a@b.com,",
            "user@domain; another@domain",
            "\"Invalid\" <invalid-email>",
            "plainaddress",
        ] {
            assert!(parse_address_list(s).is_none(), "{s:?}");
        }
    }
}
