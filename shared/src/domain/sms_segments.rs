//! How many SMS segments a text takes, and so what it costs and how much of the sender's
//! throughput it uses (each part is billed and counted against the messages-per-second limit).
//!
//! GSM 03.38 (GSM-7): 160 septets in one segment, 153 per part when concatenated; the
//! extension characters (`^ { } \ [ ~ ] | €` and form feed) take two septets. One character
//! outside GSM-7 (an emoji, a curly apostrophe, Cyrillic, most accented letters) switches the
//! whole text to UCS-2: 70 UTF-16 units in one segment, 67 per part.

/// How a text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// A text's size on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Parts the provider sends and bills.
    pub parts: u32,
}

const GSM7_BASIC: &str =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets a character takes in GSM-7, or `None` outside it.
fn septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding and number of parts of `text`.
pub fn count(text: &str) -> Segments {
    let gsm: Option<usize> = text.chars().map(septets).sum();
    let (encoding, units, single, multi) = match gsm {
        Some(n) => (Encoding::Gsm7, n, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    // An empty text still goes as one part.
    let parts = if units <= single { 1 } else { units.div_ceil(multi) };
    Segments { encoding, units, parts: parts as u32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_fits_160_then_153_per_part() {
        assert_eq!(count(&"a".repeat(160)), Segments { encoding: Encoding::Gsm7, units: 160, parts: 1 });
        assert_eq!(count(&"a".repeat(161)).parts, 2);
        assert_eq!(count(&"a".repeat(306)).parts, 2);
        assert_eq!(count(&"a".repeat(307)).parts, 3);
        assert_eq!(count("").parts, 1);
    }

    #[test]
    fn extension_characters_take_two_septets() {
        assert_eq!(count(&"€".repeat(80)), Segments { encoding: Encoding::Gsm7, units: 160, parts: 1 });
        assert_eq!(count(&format!("{}[", "a".repeat(159))).parts, 2);
    }

    #[test]
    fn one_character_outside_gsm7_switches_the_whole_text_to_ucs2() {
        assert_eq!(count(&"a".repeat(70)).encoding, Encoding::Gsm7);
        let cyrillic = format!("Иван {}", "a".repeat(65));
        assert_eq!(count(&cyrillic), Segments { encoding: Encoding::Ucs2, units: 70, parts: 1 });
        assert_eq!(count(&format!("Иван {}", "a".repeat(66))).parts, 2);
        assert_eq!(count("it’s").encoding, Encoding::Ucs2, "a curly apostrophe is not GSM-7");
        assert_eq!(count("🙂").units, 2, "an emoji is two UTF-16 units");
        assert_eq!(count(&"é".repeat(160)).encoding, Encoding::Gsm7, "é is in the GSM-7 table");
        assert_eq!(count(&"a".repeat(135)).parts, 1);
        assert_eq!(count(&format!("ő{}", "a".repeat(134))).parts, 3, "135 UCS-2 units: 67 per part");
    }
}
