//! Identifier normalisation: emails, phones and names in one canonical form each.
//!
//! Takes: identifiers as exports write them. Gives: lower-case valid emails, E.164 phones
//! (validated by libphonenumber's metadata through the `phonenumber` crate) and folded names for
//! comparison. Promises: an identifier that cannot be normalised is rejected with a reason code,
//! never turned into a different valid one; reasons never contain the value.

use unicode_normalization::UnicodeNormalization;

use crate::schema::Str;

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
    // Internationalised domains are compared in their ASCII (punycode) form.
    let ascii;
    let domain = if domain.is_ascii() {
        domain
    } else {
        ascii = idna::domain_to_ascii(domain).map_err(|_| "invalid_email")?;
        ascii.as_str()
    };
    let s = format!("{local}@{domain}");
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

/// The provider's canonical form of an address, when it differs from the address: Gmail ignores
/// dots and `+tags` in the local part (and `googlemail.com` is `gmail.com`); Outlook, Hotmail,
/// iCloud and Fastmail ignore `+tags`. Used as an extra match key when the pipeline asks for it
/// (`[identity] email_provider_rules = true`), never as the address itself.
pub fn email_provider_key(normalised: &str) -> Option<String> {
    let (local, domain) = normalised.split_once('@')?;
    let untagged = local.split('+').next().unwrap_or(local);
    let key = match domain {
        "gmail.com" | "googlemail.com" => format!("{}@gmail.com", untagged.replace('.', "")),
        "outlook.com" | "hotmail.com" | "live.com" | "icloud.com" | "me.com" | "fastmail.com" => {
            format!("{untagged}@{domain}")
        }
        _ => return None,
    };
    (key != normalised && !untagged.is_empty()).then_some(key)
}

/// A phone number in E.164 (`+13124560142`), using `region` when the number has no country code.
pub fn phone(raw: &str, region: phonenumber::country::Id) -> Result<String, Reason> {
    let cleaned: String = raw
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '\u{200e}' | '\u{200f}' | '\u{202a}' | '\u{202c}' | '\u{202f}' | '\u{a0}' | '\u{feff}'
            )
        })
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
    if !is_valid(&n) {
        return Err("invalid_phone");
    }
    Ok(n.format().mode(phonenumber::Mode::E164).to_string())
}

/// `phonenumber::is_valid`, with the same answer for every number, at a fraction of the regex
/// searches. The library finds the number's region by asking each region of its country code
/// for the number's type (a dozen descriptor patterns, premium rate to mobile, each a regex
/// search), then asks the region found for the type again; a number is valid when that type is
/// known. Known means: the general pattern matches and so does at least one type's pattern,
/// whichever the library would have named. So here each region's question stops at the first
/// type that matches, fixed line and mobile first (what members' numbers are), and the found
/// region is not asked twice. Same regions in the same order, same patterns, same numbers
/// valid; a test holds it to the library's answer on numbers of many countries.
pub fn is_valid(n: &phonenumber::PhoneNumber) -> bool {
    let db = &*phonenumber::metadata::DATABASE;
    let code = n.country().code();
    let national = n.national().to_string();
    let known = |meta: &phonenumber::Metadata| {
        let d = meta.descriptors();
        d.general().is_match(&national)
            && [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.voip(),
                d.personal_number(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ]
            .into_iter()
            .flatten()
            .any(|t| t.is_match(&national))
    };
    let Some(regions) = db.region(&code) else { return false };
    if let [only] = regions[..] {
        // One region for the code: it is the number's, no question asked ("001": non-geographic).
        let meta = match only {
            "001" => db.by_code(&code).and_then(|m| m.into_iter().next()),
            id => id.parse::<phonenumber::country::Id>().ok().and_then(|id| db.by_id(id.as_ref())),
        };
        return meta.is_some_and(known);
    }
    for region in regions {
        let Some(meta) = db.by_id(region) else { continue };
        match meta.leading_digits() {
            // A region known by its leading digits is the number's without asking its type.
            Some(lead) => {
                if lead.find(&national).is_some_and(|m| m.start() == 0) {
                    return known(meta);
                }
            }
            None => {
                if known(meta) {
                    return true;
                }
            }
        }
    }
    false
}

/// [`phone`] memoised by what libphonenumber reads of a number: its digits, whether it starts
/// with `+`, and the region. Exports write one number many ways ("(312) 555-0142",
/// "312-555-0142", "+1 312 555 0142" with invisible marks): it is parsed once. Values with
/// letters (extensions, vanity numbers) are parsed every time.
#[derive(Default)]
pub struct PhoneMemo {
    seen: rustc_hash::FxHashMap<(bool, String, phonenumber::country::Id), Result<String, Reason>>,
    /// Parses done and parses saved, for the benchmark.
    pub parsed: u64,
    pub reused: u64,
}

/// Counts only: the memo holds members' phone numbers.
impl std::fmt::Debug for PhoneMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneMemo")
            .field("numbers", &self.seen.len())
            .field("parsed", &self.parsed)
            .field("reused", &self.reused)
            .finish()
    }
}

impl PhoneMemo {
    pub fn phone(&mut self, raw: &str, region: phonenumber::country::Id) -> Result<String, Reason> {
        let Some(key) = memo_key(raw, region) else {
            self.parsed += 1;
            return phone(raw, region);
        };
        if let Some(r) = self.seen.get(&key) {
            self.reused += 1;
            return r.clone();
        }
        self.parsed += 1;
        let r = phone(raw, region);
        self.seen.insert(key, r.clone());
        r
    }

    /// Validates, on all cores, every number among `raws` that the memo has not seen, so that
    /// the calls to [`PhoneMemo::phone`] that follow find them (and give what they would have
    /// given alone: validation is a pure function of the memo's key). Validating a number is
    /// ~5 µs, and a campaign of a million members has about as many numbers.
    pub fn prefill(&mut self, raws: impl IntoIterator<Item = (Str, phonenumber::country::Id)>) {
        let mut todo: Vec<((bool, String, phonenumber::country::Id), Str)> = Vec::new();
        let mut queued: rustc_hash::FxHashSet<(bool, String, phonenumber::country::Id)> = Default::default();
        for (raw, region) in raws {
            if let Some(key) = memo_key(raw.as_str(), region) {
                if !self.seen.contains_key(&key) && queued.insert(key.clone()) {
                    todo.push((key, raw));
                }
            }
        }
        drop(queued);
        let results = super::on_all_cores(&todo, || (), |_, ((_, _, region), raw)| phone(raw.as_str(), *region));
        for ((key, _), r) in todo.into_iter().zip(results) {
            self.parsed += 1;
            self.seen.insert(key, r);
        }
    }
}

/// What libphonenumber reads of a plain number (digits and separators only): whether it starts
/// with `+`, its digits, and the region. `None` for values with anything else in them (letters:
/// extensions, vanity numbers), which are parsed every time.
fn memo_key(raw: &str, region: phonenumber::country::Id) -> Option<(bool, String, phonenumber::country::Id)> {
    let plain = raw
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-' | '.' | '/' | '\t') || is_invisible(c));
    if !plain {
        return None;
    }
    let visible = raw.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    Some((
        visible.starts_with('+'),
        raw.chars().filter(char::is_ascii_digit).collect::<String>(),
        region,
    ))
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200e}' | '\u{200f}' | '\u{202a}' | '\u{202c}' | '\u{202f}' | '\u{a0}' | '\u{feff}'
    )
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
    fn the_phone_memo_parses_each_number_once_and_agrees_with_phone() {
        let mut memo = PhoneMemo::default();
        let raws = [
            "(312) 555-0142",
            "312-555-0142",
            "312.555.0142",
            "\u{202a}312 555 0142\u{202c}",
            "+1 312 555 0142",
            "+13125550142",
            "13125550142",
            "312-555-0142 x12",
            "+44 20 7946 0958",
            "020 7946 0958",
            "12345",
            "+1 (312) 555-01",
        ];
        for region in [Id::US, Id::GB] {
            for raw in raws {
                assert_eq!(memo.phone(raw, region), phone(raw, region), "{raw:?} in {region:?}");
            }
        }
        // Asked twice, parsed once; the extension (letters) is parsed each time.
        assert!(memo.reused >= 8, "reused {}", memo.reused);
        let before = memo.parsed;
        assert!(memo.phone("312-555-0142 x12", Id::US).is_ok());
        assert_eq!(memo.parsed, before + 1);
    }

    #[test]
    fn emails() {
        assert_eq!(email("  Rosa.M@Gmail.com ").unwrap(), "rosa.m@gmail.com");
        assert_eq!(email("mailto:a@b.org").unwrap(), "a@b.org");
        assert_eq!(email("Rosa M <rosa@x.com>").unwrap(), "rosa@x.com");
        assert_eq!(email("rosa@gmail"), Err("invalid_email"));
        assert_eq!(email("rosa@@x.com"), Err("invalid_email"));
        assert_eq!(email("rosa..m@x.com"), Err("invalid_email"));
        assert_eq!(email("no at sign"), Err("invalid_email"));
        // internationalised domains compare in punycode
        assert_eq!(email("José@Correo.México.mx").unwrap(), "josé@correo.xn--mxico-bsa.mx");
        assert_eq!(email("a@xn--mxico-bsa.mx").unwrap(), "a@xn--mxico-bsa.mx");
        assert_eq!(email("\"quoted\"@x.com"), Err("invalid_email"));
        assert_eq!(email("a@-x.com"), Err("invalid_email"));
        assert_eq!(email("a@x.c0m"), Err("invalid_email"));
    }

    #[test]
    fn provider_rules_are_extra_keys_only_where_the_provider_ignores_them() {
        assert_eq!(email_provider_key("rosa.m+union@gmail.com").as_deref(), Some("rosam@gmail.com"));
        assert_eq!(email_provider_key("r.osa.m@googlemail.com").as_deref(), Some("rosam@gmail.com"));
        assert_eq!(email_provider_key("rosam@gmail.com"), None, "already canonical");
        assert_eq!(email_provider_key("rosa+x@outlook.com").as_deref(), Some("rosa@outlook.com"));
        // dots matter at Outlook and tags at most other domains
        assert_eq!(email_provider_key("rosa.m@outlook.com"), None);
        assert_eq!(email_provider_key("rosa+x@lakeshoremkt.com"), None);
    }

    #[test]
    fn a_prefilled_memo_answers_as_phone_does_without_parsing_again() {
        let raws = [
            "(312) 555-0142",
            "312-555-0142",
            "+1 312 555 0142",
            "\u{202a}+44 20 7946 0958\u{202c}",
            "020 7946 0958",
            "12345",
            "+1 (312) 555-01",
            "312-555-0142 x12",
            "(773) 555-0199",
        ];
        // Many numbers, so that the validation is split over every core.
        let many: Vec<String> = (0..500).map(|k| format!("(312) 555-{:04}", 1000 + k)).collect();
        let mut memo = PhoneMemo::default();
        let asked: Vec<(Str, Id)> = [Id::US, Id::GB]
            .into_iter()
            .flat_map(|r| {
                raws.iter()
                    .copied()
                    .chain(many.iter().map(String::as_str))
                    .map(move |x| (Str::new(x), r))
            })
            .collect();
        memo.prefill(asked.iter().copied());
        let parsed = memo.parsed;
        // Plain numbers only (the extension has letters), each memo key once.
        let keys: std::collections::HashSet<_> = asked.iter().filter_map(|(x, r)| memo_key(x, *r)).collect();
        assert_eq!(parsed, keys.len() as u64);
        for &(raw, region) in &asked {
            assert_eq!(memo.phone(&raw, region), phone(&raw, region), "{:?} in {region:?}", raw.as_str());
        }
        // Only the value with letters was parsed again (once per region).
        assert_eq!(memo.parsed, parsed + 2);
        // Prefilling again finds nothing new to validate.
        memo.prefill(asked.iter().copied());
        assert_eq!(memo.parsed, parsed + 2);
    }

    /// The short-cut validator answers as the library does, on numbers of single-region codes,
    /// shared codes (+1's two dozen regions, +7, +44, +61, +262, +590), regions found by
    /// leading digits, and non-geographic codes; valid and invalid alike.
    #[test]
    fn is_valid_agrees_with_the_library() {
        use phonenumber::country::Id;
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let regions = [
            Id::US,
            Id::CA,
            Id::GB,
            Id::DE,
            Id::FR,
            Id::IT,
            Id::BR,
            Id::IN,
            Id::MX,
            Id::AR,
            Id::JM,
            Id::PR,
            Id::AU,
            Id::NG,
            Id::PH,
            Id::KZ,
        ];
        let codes = [
            "1", "7", "44", "61", "262", "590", "39", "47", "800", "979", "33", "49", "52", "54", "55", "91", "234", "63", "876", "1787",
        ];
        let (mut valid, mut invalid) = (0, 0);
        for i in 0..60_000 {
            let len = 6 + next(8) as usize;
            let digits: String = (0..len)
                .map(|k| char::from(b'0' + if k == 0 { 1 + next(9) } else { next(10) } as u8))
                .collect();
            let (region, text) = if i % 2 == 0 {
                (regions[next(regions.len() as u64) as usize], digits)
            } else {
                (Id::US, format!("+{}{}", codes[next(codes.len() as u64) as usize], digits))
            };
            let Ok(n) = phonenumber::parse(Some(region), &text) else { continue };
            let expected = phonenumber::is_valid(&n);
            assert_eq!(is_valid(&n), expected, "{text} read in {region:?}");
            if expected {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        assert!(valid > 5_000 && invalid > 5_000, "{valid} valid, {invalid} invalid");
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
        // a source's own region decides for numbers without a country code
        assert_eq!(phone("612 345 678", Id::ES).unwrap(), "+34612345678");
        assert_eq!(phone("0612345678", Id::FR).unwrap(), "+33612345678");
        // WhatsApp's invisible marks around numbers
        assert_eq!(phone("\u{202a}+1 (312) 456-0142\u{202c}", Id::US).unwrap(), "+13124560142");
        // an international number keeps its own country whatever the default region
        assert_eq!(phone("+52 55 1234 5678", Id::US).unwrap(), "+525512345678");
    }

    #[test]
    fn invalid_phones_are_rejected_not_repaired() {
        assert_eq!(phone("312-55", Id::US), Err("invalid_phone"));
        assert_eq!(phone("555-0100", Id::US), Err("invalid_phone"));
        assert_eq!(phone("(312) 123-4567", Id::US), Err("invalid_phone")); // exchange can't start with 1
        assert_eq!(phone("call me", Id::US), Err("invalid_phone"));
        assert_eq!(phone("", Id::US), Err("invalid_phone"));
        // a foreign number written without its country code is not valid in the default region
        assert_eq!(phone("07123 456789", Id::US), Err("invalid_phone"));
        // too long for any plan, never truncated into a valid one
        assert_eq!(phone("+1 312 456 0142 99", Id::US), Err("invalid_phone"));
    }

    #[test]
    fn names_fold() {
        assert_eq!(name("~ Rosa  M 🌹"), "rosa m");
        assert_eq!(name("ROSA Martínez"), "rosa martínez");
        assert_eq!(name("\u{200e}~\u{a0}Dana"), "dana");
        assert_eq!(name("ﬁona"), "fiona"); // NFKC ligature
    }
}
