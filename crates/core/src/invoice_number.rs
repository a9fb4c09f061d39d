//! Supplier invoice numbers as JDE duplicate checks compare them: upper-cased, without blanks or
//! punctuation, and without the leading zeros of each run of digits, so `inv-00042 ` equals
//! `INV42`. Invoices keyed by hand before cut-over are recognised this way.

/// Normalises an invoice number for duplicate comparison.
pub fn normalize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            let trimmed = digits.trim_start_matches('0');
            out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
            digits.clear();
        }
    };
    for c in raw.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            // A letter, a blank or punctuation ends a run of digits.
            flush(&mut digits, &mut out);
            if c.is_alphanumeric() {
                out.extend(c.to_uppercase());
            }
        }
    }
    flush(&mut digits, &mut out);
    out
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]
mod tests {
    use super::normalize;

    #[test]
    fn examples_from_the_interface() {
        assert_eq!(normalize("inv-00042 "), "INV42");
        assert_eq!(normalize("INV42"), "INV42");
        assert_eq!(normalize(" 000123"), "123");
        assert_eq!(normalize("A-0010-B"), "A10B");
        assert_eq!(normalize("INV-000"), "INV0");
        assert_eq!(normalize("2026/0007"), "20267");
        assert_eq!(normalize("100"), "100");
        assert_eq!(normalize("1005"), "1005");
    }
}
