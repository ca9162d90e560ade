//! Identifier normalisation: emails, phones and names in one canonical form each.
//!
//! Takes: identifiers as exports write them. Gives: lower-case valid emails, E.164 phones
//! (validated by libphonenumber's metadata through the `phonenumber` crate) and folded names for
//! comparison. Promises: an identifier that cannot be normalised is rejected with a reason code,
//! never turned into a different valid one; reasons never contain the value.

use unicode_normalization::UnicodeNormalization;

/// Why an identifier was rejected.
pub type Reason = &'static str;

/// `  Rosa.M@Gmail.com ` → `rosa.m@gmail.com`; strips `mailto:` and `Name <addr>`.
pub fn email(raw: &str) -> Result<String, Reason> {
    let mut s = raw.trim();
    if let (Some(open), Some(close)) = (s.rfind('<'), s.rfind('>')) {
        if open < close {
            s = &s[open + 1..close];
        }
    }
    let s = s.trim();
    let s = s.strip_prefix("mailto:").or_else(|| s.strip_prefix("MAILTO:")).unwrap_or(s).trim();
    let s = s.to_lowercase();
    let Some((local, domain)) = s.split_once('@') else {
        return Err("invalid_email");
    };
    let valid_local = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let valid_domain = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels
            .last()
            .map(|t| t.len() >= 2 && t.chars().all(char::is_alphabetic))
            .unwrap_or(false);
    if valid_local && valid_domain {
        Ok(s)
    } else {
        Err("invalid_email")
    }
}

/// A phone number in E.164 (`+13124560142`), using `region` when the number has no country code.
pub fn phone(raw: &str, region: phonenumber::country::Id) -> Result<String, Reason> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !matches!(c, '\u{200e}' | '\u{202f}' | '\u{a0}' | '\u{feff}'))
        .collect();
    let cleaned = cleaned.trim();
    let digits = cleaned.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) {
        return Err("invalid_phone");
    }
    if cleaned.chars().any(|c| c.is_alphabetic() && !matches!(c, 'x' | 'X' | 'e' | 't')) {
        return Err("invalid_phone");
    }
    let n = phonenumber::parse(Some(region), cleaned).map_err(|_| "invalid_phone")?;
    if !phonenumber::is_valid(&n) {
        return Err("invalid_phone");
    }
    Ok(n.format().mode(phonenumber::Mode::E164).to_string())
}

/// A name folded for comparison: NFKC, lower case, emoji and symbols dropped, WhatsApp's `~ `
/// push-name prefix dropped, whitespace collapsed. Empty when nothing is left.
pub fn name(raw: &str) -> String {
    let s: String = raw.nfkc().collect();
    let s = s.trim_start_matches(|c: char| c == '~' || c.is_whitespace() || c == '\u{200e}');
    let kept: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' || c == '-' || c == ',' || c == '.' {
                c
            } else if c.is_whitespace() {
                ' '
            } else {
                '\u{0}'
            }
        })
        .filter(|c| *c != '\u{0}')
        .collect();
    kept.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::country::Id;

    #[test]
    fn emails() {
        assert_eq!(email("  Rosa.M@Gmail.com ").unwrap(), "rosa.m@gmail.com");
        assert_eq!(email("mailto:a@b.org").unwrap(), "a@b.org");
        assert_eq!(email("Rosa M <rosa@x.com>").unwrap(), "rosa@x.com");
        assert_eq!(email("rosa@gmail"), Err("invalid_email"));
        assert_eq!(email("rosa@@x.com"), Err("invalid_email"));
        assert_eq!(email("rosa..m@x.com"), Err("invalid_email"));
        assert_eq!(email("no at sign"), Err("invalid_email"));
    }

    #[test]
    fn phones_to_e164() {
        for raw in [
            "(312) 456-0142",
            "312.456.0142",
            "+1 312 456 0142",
            "3124560142",
            "+1 (312) 456-0142",
            "1-312-456-0142",
        ] {
            assert_eq!(phone(raw, Id::US).unwrap(), "+13124560142", "{raw}");
        }
        assert_eq!(phone("+44 7123 456789", Id::US).unwrap(), "+447123456789");
        assert_eq!(phone("07123 456789", Id::GB).unwrap(), "+447123456789");
    }

    #[test]
    fn invalid_phones_are_rejected_not_repaired() {
        assert_eq!(phone("312-55", Id::US), Err("invalid_phone"));
        assert_eq!(phone("555-0100", Id::US), Err("invalid_phone"));
        assert_eq!(phone("(312) 123-4567", Id::US), Err("invalid_phone")); // exchange can't start with 1
        assert_eq!(phone("call me", Id::US), Err("invalid_phone"));
        assert_eq!(phone("", Id::US), Err("invalid_phone"));
    }

    #[test]
    fn names_fold() {
        assert_eq!(name("~ Rosa  M 🌹"), "rosa m");
        assert_eq!(name("ROSA Martínez"), "rosa martínez");
        assert_eq!(name("\u{200e}~\u{a0}Dana"), "dana");
        assert_eq!(name("ﬁona"), "fiona"); // NFKC ligature
    }
}
