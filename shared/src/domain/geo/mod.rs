//! A lead's local time zone, for quiet hours: from their ZIP code, else their state, else their
//! phone's area code, else the practice's zone. The tables are data files beside this module
//! (sources and limits are written at the top of each):
//!
//! * `zip3.csv`: ZIP code prefix ranges to state, with the zone where a state is split;
//! * `states.csv`: state to the zone covering most of it;
//! * `area_codes.csv`: NANP area code to its state, the zone of most of its numbers and the
//!   other zones it spans (a number there gets the strictest window of all of them).
//!
//! They are compiled in (`include_str!`) and parsed once; a unit test checks every line.

use super::lead::Lead;
use super::phone::Phone;
use crate::domain::string_enum::string_enum;
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const ZIP3: &str = include_str!("zip3.csv");
const STATES: &str = include_str!("states.csv");
const AREA_CODES: &str = include_str!("area_codes.csv");

string_enum! {
    /// Where the zone came from (recorded with quiet-hour decisions).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ZoneSource {
        PostalCode => "postal_code",
        State => "state",
        AreaCode => "area_code",
        Practice => "practice",
    }
}

/// A lead's zone and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalZone {
    pub zone: Tz,
    pub source: ZoneSource,
    /// The US state it implies, when known (for state rules such as Florida's).
    pub state: Option<&'static str>,
    /// Other zones the person may be in (an area code that spans zones): quiet hours hold in
    /// every one of them.
    pub also: &'static [Tz],
}

impl LocalZone {
    /// A zone known for certain (a ZIP code, a state, the practice).
    pub fn single(zone: Tz, source: ZoneSource, state: Option<&'static str>) -> Self {
        LocalZone { zone, source, state, also: &[] }
    }

    /// Every zone the person may be in, the main one first.
    pub fn zones(&self) -> impl Iterator<Item = Tz> + '_ {
        std::iter::once(self.zone).chain(self.also.iter().copied())
    }
}

/// What an area code says about the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AreaCode {
    /// The US state it serves (`None` for Canada and the other NANP countries).
    pub state: Option<&'static str>,
    pub zone: Tz,
    pub also: &'static [Tz],
}

struct Tables {
    /// ZIP3 prefix (0..=999) -> (state, zone).
    zip3: HashMap<u16, (&'static str, Tz)>,
    states: HashMap<&'static str, Tz>,
    area_codes: HashMap<u16, AreaCode>,
}

/// Data lines of a CSV file: no comments, no header, no blank lines.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).skip(1).map(|l| l.split(',').map(str::trim).collect())
}

fn tz(name: &str) -> Tz {
    name.parse().unwrap_or_else(|_| panic!("geo data names an unknown time zone {name:?}"))
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut states = HashMap::new();
        for r in rows(STATES) {
            states.insert(r[0], tz(r[1]));
        }
        let mut zip3 = HashMap::new();
        for r in rows(ZIP3) {
            let (from, to): (u16, u16) = (r[0].parse().expect("zip3 from"), r[1].parse().expect("zip3 to"));
            let state = r[2];
            let zone = match r.get(3).filter(|z| !z.is_empty()) {
                Some(z) => tz(z),
                None => *states.get(state).unwrap_or_else(|| panic!("zip3.csv names unknown state {state}")),
            };
            for p in from..=to {
                zip3.insert(p, (state, zone));
            }
        }
        let area_codes = rows(AREA_CODES)
            .map(|r| {
                let state = Some(r[2]).filter(|s| !s.is_empty());
                let also: Vec<Tz> = r.get(4).map(|z| z.split(';').filter(|z| !z.is_empty()).map(tz).collect()).unwrap_or_default();
                (r[0].parse().expect("area code"), AreaCode { state, zone: tz(r[3]), also: also.leak() })
            })
            .collect();
        Tables { zip3, states, area_codes }
    })
}

/// The state and zone of a US ZIP code (`07030`, `07030-1234`).
pub fn zip_zone(postal_code: &str) -> Option<(&'static str, Tz)> {
    let digits: String = postal_code.trim().chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() != 5 {
        return None;
    }
    tables().zip3.get(&digits[..3].parse::<u16>().ok()?).copied()
}

/// The zone covering most of a state (USPS code, any case).
pub fn state_zone(state: &str) -> Option<(&'static str, Tz)> {
    let code = state.trim().to_ascii_uppercase();
    tables().states.get_key_value(code.as_str()).map(|(k, z)| (*k, *z))
}

/// What a NANP number's area code says: state, zone, other zones.
pub fn area_code(phone: &Phone) -> Option<AreaCode> {
    let npa = phone.as_e164().strip_prefix("+1")?.get(..3)?.parse::<u16>().ok()?;
    tables().area_codes.get(&npa).copied()
}

/// The zone of a NANP number's area code.
pub fn area_code_zone(phone: &Phone) -> Option<Tz> {
    area_code(phone).map(|a| a.zone)
}

/// The lead's local zone: ZIP code, state, phone area code, then the practice's zone.
///
/// With neither ZIP code nor state, the area code gives the state too (Florida's rules apply to a
/// 305 number with no address) and, where it spans zones, all of them.
pub fn zone_of(lead: &Lead, practice: Tz) -> LocalZone {
    let location = &lead.context.location;
    if let Some((state, zone)) = location.postal_code.as_ref().and_then(|z| zip_zone(z.as_str())) {
        return LocalZone::single(zone, ZoneSource::PostalCode, Some(state));
    }
    if let Some((state, zone)) = location.state.as_ref().and_then(|s| state_zone(s.as_str())) {
        return LocalZone::single(zone, ZoneSource::State, Some(state));
    }
    if let Some(a) = lead.contact.phone.as_ref().and_then(area_code) {
        return LocalZone { zone: a.zone, source: ZoneSource::AreaCode, state: a.state, also: a.also };
    }
    LocalZone::single(practice, ZoneSource::Practice, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Region;

    #[test]
    fn every_data_line_parses_into_a_known_zone() {
        let t = tables();
        assert!(t.states.len() >= 56, "50 states, DC and territories");
        assert!(t.zip3.len() > 850);
        assert!(t.area_codes.len() > 400);
    }

    #[test]
    fn zip_codes_refine_split_states() {
        assert_eq!(zip_zone("07030"), Some(("NJ", chrono_tz::America::New_York)));
        assert_eq!(zip_zone("32501"), Some(("FL", chrono_tz::America::Chicago)), "Pensacola is Central");
        assert_eq!(zip_zone("33101"), Some(("FL", chrono_tz::America::New_York)), "Miami is Eastern");
        assert_eq!(zip_zone("79901"), Some(("TX", chrono_tz::America::Denver)), "El Paso is Mountain");
        assert_eq!(zip_zone("37902-1234"), Some(("TN", chrono_tz::America::New_York)), "Knoxville is Eastern");
        assert_eq!(zip_zone("90210"), Some(("CA", chrono_tz::America::Los_Angeles)));
        assert_eq!(zip_zone("9021"), None);
        assert_eq!(zip_zone("09001"), None, "military mail has no zone");
    }

    #[test]
    fn states_and_area_codes_have_zones() {
        assert_eq!(state_zone("fl"), Some(("FL", chrono_tz::America::New_York)));
        assert_eq!(state_zone("AZ"), Some(("AZ", chrono_tz::America::Phoenix)));
        assert_eq!(state_zone("ZZ"), None);
        let p = |s: &str| Phone::parse(s, Region::US).unwrap();
        assert_eq!(area_code_zone(&p("+12015550123")), Some(chrono_tz::America::New_York));
        assert_eq!(area_code_zone(&p("+13055550123")), Some(chrono_tz::America::New_York));
        assert_eq!(area_code_zone(&p("+12135550123")), Some(chrono_tz::America::Los_Angeles));
        assert_eq!(area_code_zone(&p("+19155550123")), Some(chrono_tz::America::Denver));
        assert_eq!(area_code_zone(&p("+18085550123")), Some(chrono_tz::Pacific::Honolulu));
        assert_eq!(area_code(&p("+13055550123")).unwrap().state, Some("FL"));
        let panhandle = area_code(&p("+18505550123")).unwrap();
        assert_eq!(
            (panhandle.state, panhandle.zone, panhandle.also),
            (Some("FL"), chrono_tz::America::New_York, &[chrono_tz::America::Chicago][..])
        );
        assert_eq!(area_code(&p("+14165550123")).unwrap().state, None, "Toronto: no US state");
    }
}
