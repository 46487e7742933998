//! Synthetic but realistically shaped API responses for the sanitize benchmark, generated in
//! memory from a fixed seed (no network, no committed fixtures).
//!
//! Each generator mirrors the documented response of the endpoint it stands for, including the
//! fields the shipped rules drop, pseudonymize, redact or filter, so that every rule has work to
//! do:
//!
//! - GitHub `GET /orgs/{org}/members`: a compact JSON array of full `simple-user` objects (login,
//!   id, node_id, avatar and the dozen `*_url` fields, type, site_admin).
//! - Google Calendar `GET /calendar/v3/calendars/{calendarId}/events`: an `events` list,
//!   pretty-printed with two-space indentation as Google serves it; events carry attendees
//!   (people and rooms), creator/organizer, summaries, agenda descriptions with Zoom/Meet/Teams
//!   links and passcodes, conference data, recurrence, private events.
//! - Slack `GET /api/conversations.history`: a compact response with `\/`-escaped slashes as
//!   Slack serves it; messages carry user ids, `<@U…>` mentions, rich-text blocks with user,
//!   channel and link elements, threads, reactions, edits, bot messages with attachments.
//!
//! - GitHub `GET /rate_limit`, padded with resources: the proxy bench's pass-through body.
//!
//! The payload grows item by item until the next item would pass the target size, so sizes are
//! approximate; the benchmark reports the exact byte count.

use serde_json::{Map, Value, json};

/// A deterministic PRNG (SplitMix64): the same seed gives the same payload on every machine.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`%.
    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &'a [&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    fn chars(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }
}

const FIRST: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yasmin", "zoe",
    "amélie", "jürgen", "søren", "chloé",
];
const LAST: &[&str] = &[
    "smith", "jones", "garcia", "miller", "davis", "martinez", "lopez", "wilson", "anderson",
    "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white",
    "harris", "nakamura", "okafor", "kowalski", "novak", "müller",
];
const WORDS: &[&str] = &[
    "the",
    "a",
    "we",
    "need",
    "to",
    "review",
    "deploy",
    "pipeline",
    "customer",
    "launch",
    "budget",
    "roadmap",
    "draft",
    "please",
    "can",
    "you",
    "check",
    "this",
    "before",
    "friday",
    "quarter",
    "incident",
    "postmortem",
    "migration",
    "database",
    "latency",
    "dashboard",
    "hiring",
    "offsite",
    "contract",
    "renewal",
    "invoice",
    "payroll",
    "feedback",
    "design",
    "spec",
    "api",
    "release",
    "candidate",
    "onboarding",
    "sync",
    "plan",
    "numbers",
    "for",
    "and",
    "with",
    "on",
    "in",
    "of",
    "is",
    "it",
    "looks",
    "good",
    "thanks",
    "update",
    "blocked",
    "by",
    "legal",
    "approval",
    "Q3",
    "OKRs",
    "PROJ-1234",
    "fix",
    "flaky",
    "test",
    "café",
    "naïve",
    "🎉",
    "🚀",
    "👍",
];
const DOMAINS: &[&str] = &[
    "acme.com",
    "acme.com",
    "acme.com",
    "acme.io",
    "partner.example",
];

fn words(rng: &mut Rng, lo: u64, hi: u64) -> String {
    let n = rng.range(lo, hi);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(WORDS));
    }
    s
}

/// Grows `items` until the next item would pass `target` bytes (at least one item); `size` is
/// each item's contribution to the final document.
fn fill(
    target: usize,
    mut next: impl FnMut(usize) -> Value,
    size: impl Fn(&Value) -> usize,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut total = 0;
    loop {
        let item = next(items.len());
        let len = size(&item);
        if !items.is_empty() && total + len > target {
            return items;
        }
        total += len;
        items.push(item);
    }
}

// ---------------------------------------------------------------------------------------------
// GitHub

/// The GitHub login of member number `n` (unique, deterministic).
pub(crate) fn github_login(n: usize) -> String {
    format!(
        "{}-{}{}",
        FIRST[n % FIRST.len()],
        LAST[(n / FIRST.len()) % LAST.len()],
        n
    )
    .replace(['é', 'ü', 'ø'], "e")
}

fn github_member(rng: &mut Rng, n: usize) -> Value {
    let login = github_login(n);
    let id = 1_000_000 + n as u64 * 37 + rng.range(0, 36);
    let api = format!("https://api.github.com/users/{login}");
    let node_id = format!(
        "U_kgDO{}",
        rng.chars(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            8
        )
    );
    json!({
        "login": login,
        "id": id,
        "node_id": node_id,
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": if rng.chance(3) { "Bot" } else { "User" },
        "user_view_type": "public",
        "site_admin": rng.chance(1),
    })
}

/// `GET /orgs/acme/members?per_page=100`: a compact JSON array of about `target` bytes.
pub(crate) fn github_members(target: usize) -> Vec<u8> {
    let mut rng = Rng::new(0x5EED_0001);
    let items = fill(
        target,
        |n| github_member(&mut rng, n),
        |v| serde_json::to_vec(v).unwrap().len() + 1,
    );
    serde_json::to_vec(&Value::Array(items)).unwrap()
}

/// GitHub `GET /rate_limit`, padded with resources to about `target` bytes: the pass-through
/// body of `cargo xtask bench proxy` (one object with many names, small objects of integers).
pub(crate) fn github_rate_limit(target: usize) -> Vec<u8> {
    let mut resources = Map::new();
    let mut len = 0;
    for j in 0u64.. {
        if len >= target {
            break;
        }
        let name = format!("resource_{j}");
        let value =
            json!({"limit": 5000, "used": j, "remaining": 5000 - j, "reset": 1_700_000_000 + j});
        // `"name":value,`
        len += name.len() + 4 + serde_json::to_vec(&value).unwrap().len();
        resources.insert(name, value);
    }
    serde_json::to_vec(&json!({ "resources": resources })).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Google Calendar

fn person_email(rng: &mut Rng) -> String {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    // Display names keep their accents; addresses are ASCII, as most mail systems issue them.
    let ascii = |s: &str| s.replace('é', "e").replace('ü', "u").replace('ø', "o");
    format!(
        "{}.{}{}@{}",
        ascii(first),
        ascii(last),
        rng.range(1, 99),
        rng.pick(DOMAINS)
    )
}

fn display_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default();
    local
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .split('.')
        .map(|p| {
            let mut cs = p.chars();
            cs.next()
                .map(|c| c.to_uppercase().chain(cs).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn event_id(rng: &mut Rng) -> String {
    rng.chars(b"0123456789abcdefghijklmnopqrstuv", 26)
}

fn date_time(rng: &mut Rng, day: u64) -> (String, String) {
    let hour = rng.range(8, 17);
    let minute = [0, 15, 30, 45][rng.below(4)];
    let length = [15, 30, 30, 45, 60, 60, 90][rng.below(7)];
    let end = hour * 60 + minute + length;
    let date = format!("2024-{:02}-{:02}", 1 + (day / 28) % 12, 1 + day % 28);
    (
        format!("{date}T{hour:02}:{minute:02}:00-05:00"),
        format!("{date}T{:02}:{:02}:00-05:00", end / 60, end % 60),
    )
}

const SUMMARIES: &[&str] = &[
    "Weekly sync: payments roadmap",
    "1:1 Alice / Bob",
    "Focus time",
    "Standup",
    "Interview: Senior Backend Engineer (candidate: J. Doe)",
    "OOO - dentist",
    "Customer call with Globex re: contract renewal",
    "No meetings block",
    "Q3 planning offsite prep",
    "Design review: billing API v2",
    "Incident postmortem #4127",
    "Lunch & learn: Rust async",
];

/// An agenda, then (by `kind`, 0..=3) a Zoom link with passcode, a Teams link, a notes link
/// and an email address, or nothing.
fn description(rng: &mut Rng, kind: usize) -> String {
    let mut d = format!(
        "Agenda:\n- {}\n- {}\n- {}\n",
        words(rng, 3, 10),
        words(rng, 3, 10),
        words(rng, 3, 10)
    );
    match kind {
        0 => d.push_str(&format!(
            "\nJoin Zoom Meeting\nhttps://acme.zoom.us/j/{}?pwd={}\n\nMeeting ID: {} {} {}\nPasscode: {}\n",
            rng.range(81_000_000_000, 89_999_999_999),
            rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32),
            rng.range(810, 899),
            rng.range(1000, 9999),
            rng.range(1000, 9999),
            rng.range(100_000, 999_999)
        )),
        1 => d.push_str(&format!(
            "\nMicrosoft Teams meeting\nJoin: https://teams.microsoft.com/l/meetup-join/19%3ameeting_{}%40thread.v2/0?context=%7b%22Tid%22%3a%22{}%22%7d\n",
            rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40),
            rng.chars(b"0123456789abcdef", 32)
        )),
        2 => d.push_str(&format!(
            "\nNotes doc: https://docs.google.com/document/d/{}/edit\nCall {} with questions.",
            rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 44),
            person_email(rng)
        )),
        _ => {}
    }
    d
}

fn calendar_event(rng: &mut Rng, n: usize, organizer: &str) -> Value {
    let day = n as u64 / 6;
    let (start, end) = date_time(rng, day);
    let id = event_id(rng);
    // The first event is a small 1:1 meeting (so that even the ~1 KB payload has attendees, a
    // title, a description and a meeting link); the rest are drawn at random.
    let first = n == 0;
    let summary = if first {
        SUMMARIES[1]
    } else {
        SUMMARIES[rng.below(SUMMARIES.len())]
    };
    let focus = summary == "Focus time";
    let ooo = summary.starts_with("OOO");
    let mut event = Map::new();
    event.insert("kind".into(), json!("calendar#event"));
    event.insert(
        "etag".into(),
        json!(format!(
            "\"{}\"",
            rng.range(3_300_000_000_000_000, 3_499_999_999_999_999)
        )),
    );
    event.insert("id".into(), json!(id));
    event.insert(
        "status".into(),
        json!(if rng.chance(4) {
            "cancelled"
        } else {
            "confirmed"
        }),
    );
    event.insert(
        "htmlLink".into(),
        json!(format!(
            "https://www.google.com/calendar/event?eid={}",
            rng.chars(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                64
            )
        )),
    );
    event.insert("created".into(), json!("2023-11-02T10:15:30.000Z"));
    event.insert(
        "updated".into(),
        json!(format!("2024-01-03T08:{:02}:12.345Z", rng.range(0, 59))),
    );
    event.insert("summary".into(), json!(summary));
    if !focus && !ooo {
        let kind = if first { 0 } else { rng.below(4) };
        event.insert("description".into(), json!(description(rng, kind)));
        event.insert(
            "location".into(),
            json!(format!(
                "HQ-{}-Everest ({})",
                rng.range(1, 9),
                rng.range(4, 20)
            )),
        );
    }
    let mut creator = Map::new();
    if rng.chance(30) {
        creator.insert("id".into(), json!(rng.chars(b"0123456789", 21)));
    }
    creator.insert("email".into(), json!(organizer));
    creator.insert("self".into(), json!(true));
    event.insert("creator".into(), Value::Object(creator));
    event.insert(
        "organizer".into(),
        json!({ "email": organizer, "displayName": display_name(organizer), "self": true }),
    );
    event.insert(
        "start".into(),
        json!({ "dateTime": start, "timeZone": "America/New_York" }),
    );
    event.insert(
        "end".into(),
        json!({ "dateTime": end, "timeZone": "America/New_York" }),
    );
    if rng.chance(40) {
        event.insert("recurringEventId".into(), json!(id));
        event.insert(
            "originalStartTime".into(),
            json!({ "dateTime": start, "timeZone": "America/New_York" }),
        );
        event.insert(
            "recurrence".into(),
            json!(["RRULE:FREQ=WEEKLY;BYDAY=MO,WE"]),
        );
    }
    event.insert("iCalUID".into(), json!(format!("{id}@google.com")));
    event.insert("sequence".into(), json!(rng.range(0, 3)));
    if !first && rng.chance(12) {
        event.insert(
            "visibility".into(),
            json!(if rng.chance(50) {
                "private"
            } else {
                "confidential"
            }),
        );
    }
    if !focus && !ooo {
        let mut attendees = vec![json!({
            "email": organizer, "displayName": display_name(organizer),
            "organizer": true, "self": true, "responseStatus": "accepted"
        })];
        for _ in 0..if first { 1 } else { rng.range(1, 9) } {
            let email = person_email(rng);
            let mut a = Map::new();
            if rng.chance(30) {
                a.insert("id".into(), json!(rng.chars(b"0123456789", 21)));
            }
            a.insert("displayName".into(), json!(display_name(&email)));
            a.insert("email".into(), json!(email));
            if rng.chance(15) {
                a.insert("optional".into(), json!(true));
            }
            let status = [
                "accepted",
                "accepted",
                "declined",
                "tentative",
                "needsAction",
            ][rng.below(5)];
            a.insert("responseStatus".into(), json!(status));
            if rng.chance(10) {
                a.insert("comment".into(), json!(words(rng, 3, 12)));
            }
            attendees.push(Value::Object(a));
        }
        if !first && rng.chance(50) {
            attendees.push(json!({
                "email": format!("c_1888{}@resource.calendar.google.com", rng.chars(b"0123456789abcdef", 20)),
                "displayName": format!("HQ-{}-Everest (12)", rng.range(1, 9)),
                "resource": true,
                "responseStatus": "accepted"
            }));
        }
        event.insert("attendees".into(), Value::Array(attendees));
        event.insert("guestsCanModify".into(), json!(rng.chance(10)));
        if !first && rng.chance(60) {
            let meet = format!(
                "{}-{}-{}",
                rng.chars(b"abcdefghijklmnopqrstuvwxyz", 3),
                rng.chars(b"abcdefghijklmnopqrstuvwxyz", 4),
                rng.chars(b"abcdefghijklmnopqrstuvwxyz", 3)
            );
            event.insert(
                "hangoutLink".into(),
                json!(format!("https://meet.google.com/{meet}")),
            );
            let pin = rng.range(100_000_000, 999_999_999);
            event.insert(
                "conferenceData".into(),
                json!({
                    "entryPoints": [
                        { "entryPointType": "video", "uri": format!("https://meet.google.com/{meet}"), "label": format!("meet.google.com/{meet}") },
                        { "entryPointType": "phone", "uri": format!("tel:+1-{}-{}-{}", rng.range(200, 999), rng.range(200, 999), rng.range(1000, 9999)), "label": "+1 555-010-7788", "pin": pin.to_string(), "regionCode": "US" },
                        { "entryPointType": "more", "uri": format!("https://tel.meet/{meet}?pin={pin}&pwd=x{}", rng.chars(b"0123456789abcdef", 8)), "pin": pin.to_string() }
                    ],
                    "conferenceSolution": {
                        "key": { "type": "hangoutsMeet" },
                        "name": "Google Meet",
                        "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"
                    },
                    "conferenceId": meet
                }),
            );
        }
    }
    event.insert("reminders".into(), json!({ "useDefault": true }));
    event.insert(
        "eventType".into(),
        json!(if focus {
            "focusTime"
        } else if ooo {
            "outOfOffice"
        } else {
            "default"
        }),
    );
    Value::Object(event)
}

/// The calendar owner, who creates and organizes the events of the generated list.
pub(crate) const CALENDAR_OWNER: &str = "alice.smith@acme.com";

/// `GET /calendar/v3/calendars/primary/events`: a pretty-printed events list of about `target`
/// bytes.
pub(crate) fn calendar_events(target: usize) -> Vec<u8> {
    let mut rng = Rng::new(0x5EED_0002);
    // Items are written inside `"items": [ ... ]`, one indentation level (4 spaces) deeper than
    // to_vec_pretty writes them alone.
    let items = fill(
        target.saturating_sub(500),
        |n| calendar_event(&mut rng, n, CALENDAR_OWNER),
        |v| {
            let pretty = serde_json::to_vec_pretty(v).unwrap();
            pretty.len() + 4 * pretty.iter().filter(|&&b| b == b'\n').count() + 6
        },
    );
    let doc = json!({
        "kind": "calendar#events",
        "etag": "\"p32ofplf5q6gf40o\"",
        "summary": CALENDAR_OWNER,
        "description": "",
        "updated": "2024-01-03T08:59:12.345Z",
        "timeZone": "America/New_York",
        "accessRole": "owner",
        "defaultReminders": [{ "method": "popup", "minutes": 10 }],
        "nextPageToken": "CigKGjVrM2oyaDFnMGY5ZThkN2M2YjVhNF8yMDI0MDEwNRgBIICAgICAgICAgAE=",
        "items": items,
    });
    serde_json::to_vec_pretty(&doc).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Slack

/// A Slack user id of the workspace, from a pool of 2,000 people.
fn slack_user(rng: &mut Rng) -> String {
    format!("U0{:08X}", 0x1F7_0000 + rng.below(2000))
}

fn slack_ts(n: usize) -> String {
    format!("{}.{:06}", 1_704_067_200 + n as u64 * 97, n % 1_000_000)
}

fn rich_text(rng: &mut Rng, mentioned: &[String]) -> (String, Value) {
    let mut text = String::new();
    let mut elements = Vec::new();
    for (i, user) in mentioned.iter().enumerate() {
        let t = format!("{}{} ", if i > 0 { " " } else { "" }, words(rng, 1, 4));
        text.push_str(&t);
        elements.push(json!({ "type": "text", "text": t }));
        text.push_str(&format!("<@{user}>"));
        elements.push(json!({ "type": "user", "user_id": user }));
    }
    let t = format!(
        "{}{}",
        if mentioned.is_empty() { "" } else { " " },
        words(rng, 4, 25)
    );
    text.push_str(&t);
    elements.push(json!({ "type": "text", "text": t }));
    if rng.chance(20) {
        let url = format!(
            "https://github.com/acme/payments/pull/{}",
            rng.range(100, 9999)
        );
        text.push_str(&format!(" <{url}>"));
        elements.push(json!({ "type": "text", "text": " " }));
        elements.push(json!({ "type": "link", "url": url }));
    }
    if rng.chance(15) {
        text.push_str(" <#C0123ABCD|eng-payments>");
        elements.push(json!({ "type": "channel", "channel_id": "C0123ABCD" }));
    }
    if rng.chance(25) {
        elements.push(json!({ "type": "emoji", "name": "tada", "unicode": "1f389" }));
        text.push_str(" :tada:");
    }
    let block_id = rng.chars(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        4,
    );
    let mut sections = vec![json!({ "type": "rich_text_section", "elements": elements })];
    if rng.chance(15) {
        sections.push(json!({
            "type": "rich_text_list",
            "style": "bullet",
            "indent": 0,
            "elements": [
                { "type": "rich_text_section", "elements": [{ "type": "text", "text": words(rng, 2, 8) }] },
                { "type": "rich_text_section", "elements": [{ "type": "text", "text": words(rng, 2, 8) }, { "type": "user", "user_id": slack_user(rng) }] }
            ]
        }));
    }
    (
        text,
        json!([{ "type": "rich_text", "block_id": block_id, "elements": sections }]),
    )
}

fn slack_message(rng: &mut Rng, n: usize) -> Value {
    let ts = slack_ts(n);
    let mut m = Map::new();
    if rng.chance(5) {
        // A bot message with a legacy attachment.
        m.insert("type".into(), json!("message"));
        m.insert("subtype".into(), json!("bot_message"));
        m.insert(
            "text".into(),
            json!(format!("Deploy finished for {}", words(rng, 2, 5))),
        );
        m.insert("ts".into(), json!(ts));
        m.insert("bot_id".into(), json!("B0ABCDEF1"));
        m.insert("app_id".into(), json!("A0ABCDEF1"));
        m.insert("username".into(), json!("deploy-bot"));
        m.insert(
            "bot_profile".into(),
            json!({ "id": "B0ABCDEF1", "app_id": "A0ABCDEF1", "name": "deploy-bot", "icons": { "image_48": "https://avatars.slack-edge.com/2023-01-01/123_48.png" }, "deleted": false, "updated": 1_700_000_000, "team_id": "T061EG9R6" }),
        );
        m.insert(
            "attachments".into(),
            json!([{ "id": 1, "color": "36a64f", "fallback": words(rng, 3, 8), "text": words(rng, 5, 15), "title": "payments-api", "title_link": "https://ci.acme.com/builds/1234" }]),
        );
        return Value::Object(m);
    }
    let user = slack_user(rng);
    let mentions: Vec<String> = (0..rng.range(0, 3)).map(|_| slack_user(rng)).collect();
    let (text, blocks) = rich_text(rng, &mentions);
    m.insert("user".into(), json!(user));
    m.insert("type".into(), json!("message"));
    m.insert("ts".into(), json!(ts));
    m.insert(
        "client_msg_id".into(),
        json!(format!(
            "{}-{}-{}-{}-{}",
            rng.chars(b"0123456789abcdef", 8),
            rng.chars(b"0123456789abcdef", 4),
            rng.chars(b"0123456789abcdef", 4),
            rng.chars(b"0123456789abcdef", 4),
            rng.chars(b"0123456789abcdef", 12)
        )),
    );
    m.insert("text".into(), json!(text));
    m.insert("team".into(), json!("T061EG9R6"));
    if rng.chance(15) {
        m.insert(
            "edited".into(),
            json!({ "user": user, "ts": slack_ts(n + 3) }),
        );
    }
    m.insert("blocks".into(), blocks);
    if rng.chance(20) {
        let repliers: Vec<String> = (0..rng.range(1, 4)).map(|_| slack_user(rng)).collect();
        m.insert("thread_ts".into(), json!(ts));
        m.insert(
            "reply_count".into(),
            json!(repliers.len() as u64 + rng.range(0, 6)),
        );
        m.insert("reply_users_count".into(), json!(repliers.len()));
        m.insert("latest_reply".into(), json!(slack_ts(n + 11)));
        m.insert("reply_users".into(), json!(repliers));
        m.insert("is_locked".into(), json!(false));
        m.insert("subscribed".into(), json!(false));
    } else if rng.chance(10) {
        m.insert("thread_ts".into(), json!(slack_ts(n.saturating_sub(5))));
        m.insert("parent_user_id".into(), json!(slack_user(rng)));
    }
    if rng.chance(30) {
        let reactions: Vec<Value> = (0..rng.range(1, 3))
            .map(|_| {
                let users: Vec<String> = (0..rng.range(1, 5)).map(|_| slack_user(rng)).collect();
                let name = ["+1", "eyes", "white_check_mark", "tada", "joy"][rng.below(5)];
                json!({ "name": name, "users": users, "count": users.len() })
            })
            .collect();
        m.insert("reactions".into(), json!(reactions));
    }
    if rng.chance(4) {
        m.insert(
            "files".into(),
            json!([{ "id": "F0ABCDEF1", "name": "screenshot.png", "title": words(rng, 2, 5), "mimetype": "image/png", "user": user, "url_private": "https://files.slack.com/files-pri/T061EG9R6-F0ABCDEF1/screenshot.png", "permalink": "https://acme.slack.com/files/U0/F0ABCDEF1/screenshot.png" }]),
        );
    }
    Value::Object(m)
}

/// `GET /api/conversations.history?channel=C123&limit=200`: a compact response of about
/// `target` bytes, slashes escaped as Slack writes them.
pub(crate) fn slack_history(target: usize) -> Vec<u8> {
    let mut rng = Rng::new(0x5EED_0003);
    let escaped_len = |b: &[u8]| b.len() + b.iter().filter(|&&c| c == b'/').count();
    let messages = fill(
        target.saturating_sub(200),
        |n| slack_message(&mut rng, n),
        |v| escaped_len(&serde_json::to_vec(v).unwrap()) + 1,
    );
    let doc = json!({
        "ok": true,
        "messages": messages,
        "has_more": true,
        "pin_count": 0,
        "channel_actions_ts": null,
        "channel_actions_count": 0,
        "response_metadata": { "next_cursor": "bmV4dF90czoxNzA0MDY3MjAwMDAwMDAw" },
    });
    // Slack escapes every `/` as `\/`; in JSON text a `/` can only occur inside a string.
    let compact = serde_json::to_vec(&doc).unwrap();
    let mut out = Vec::with_capacity(escaped_len(&compact));
    for b in compact {
        if b == b'/' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}
