//! "Did you mean …?": the nearest valid name to a misspelt one.

/// The candidate closest to `word`, if any is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_lowercase();
    // Edits (with transpositions) catch short typos like `GTE`; Jaro-Winkler catches long names
    // with a dropped or added tail, like `pathTemplat`.
    let max_edits = lower.chars().count() / 3;
    candidates
        .into_iter()
        .filter_map(|c| {
            let other = c.to_lowercase();
            let edits = strsim::osa_distance(&lower, &other);
            let similarity = strsim::jaro_winkler(&lower, &other);
            (edits <= max_edits || similarity >= 0.85).then_some((edits, -similarity, c))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, _, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_typos_are_suggested_and_strangers_are_not() {
        let fields = ["pathTemplate", "pathRegex", "allowedMethods", "transforms"];
        assert_eq!(did_you_mean("pathTemplat", fields), Some("pathTemplate"));
        assert_eq!(
            did_you_mean("allowedmethods", fields),
            Some("allowedMethods")
        );
        assert_eq!(
            did_you_mean("redcat", ["redact", "pseudonymize"]),
            Some("redact")
        );
        assert_eq!(did_you_mean("GTE", ["GET", "HEAD", "POST"]), Some("GET"));
        assert_eq!(did_you_mean("zzz", fields), None);
        assert_eq!(did_you_mean("x", ["y", "id"]), None);
    }
}
