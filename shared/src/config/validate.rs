//! Turns the raw file into a `Config`, collecting every problem with its key path and line.

use super::error::{ConfigError, ConfigProblem};
use super::locate::{KeyPath, Locator};
use super::raw::RawConfig;
use super::{Config, ConsentText, IntakeSettings, Organization, ServiceLine, ServiceLineKind, ACKNOWLEDGEMENT_PLACEHOLDERS};
use crate::domain::business_hours::{BusinessHours, Closing, DayHours};
use crate::domain::money::Currency;
use crate::domain::template::Template;
use crate::domain::webform::Language;
use crate::domain::{ContactChannel, Region, ServiceLineId};
use chrono::{NaiveDate, NaiveTime};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub(super) struct Problems<'a> {
    locator: Locator<'a>,
    list: Vec<ConfigProblem>,
}

impl Problems<'_> {
    pub(super) fn add(&mut self, path: &KeyPath, message: impl Into<String>) {
        let at = self.locator.locate(path);
        self.list.push(ConfigProblem { key: path.to_string(), line: at.map(|p| p.0), column: at.map(|p| p.1), message: message.into() });
    }

    /// Problems found so far.
    pub(super) fn count(&self) -> usize {
        self.list.len()
    }
}

pub(super) fn load(source: &str, origin: &str) -> Result<Config, ConfigError> {
    let locator = Locator::new(source);
    let raw: RawConfig = match toml::from_str(source) {
        Ok(r) => r,
        Err(e) => {
            let (line, column, key) = match e.span() {
                Some(span) => {
                    let (l, c) = locator.line_col(span.start);
                    (Some(l), Some(c), locator.path_at(span.start).to_string())
                }
                None => (None, None, String::new()),
            };
            return Err(ConfigError {
                origin: origin.to_string(),
                problems: vec![ConfigProblem { key, line, column, message: e.message().trim().to_string() }],
            });
        }
    };
    let mut p = Problems { locator, list: Vec::new() };
    let root = KeyPath::root();

    // Organization.
    let org = root.key("organization");
    let time_zone = raw.organization.time_zone.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
        p.add(&org.key("time_zone"), "is not an IANA time zone name (for example America/New_York)");
        chrono_tz::UTC
    });
    let phone_region = raw.organization.phone_region.parse::<Region>().unwrap_or_else(|_| {
        p.add(&org.key("phone_region"), "is not a region code (for example US)");
        Region::US
    });
    let currency = Currency::try_from(raw.organization.currency.clone()).unwrap_or_else(|_| {
        p.add(&org.key("currency"), "is not a three-letter currency code (for example USD)");
        Currency::usd()
    });
    if raw.organization.name.trim().is_empty() {
        p.add(&org.key("name"), "must not be empty");
    }
    let language = match &raw.organization.language {
        None => Language::En,
        Some(l) => Language::parse(l).filter(|x| x.as_str() == l.trim()).unwrap_or_else(|| {
            p.add(&org.key("language"), "must be a language with built-in texts: en, es");
            Language::En
        }),
    };

    // Business hours.
    let bh = root.key("business_hours");
    let days = [
        ("monday", &raw.business_hours.monday),
        ("tuesday", &raw.business_hours.tuesday),
        ("wednesday", &raw.business_hours.wednesday),
        ("thursday", &raw.business_hours.thursday),
        ("friday", &raw.business_hours.friday),
        ("saturday", &raw.business_hours.saturday),
        ("sunday", &raw.business_hours.sunday),
    ];
    let mut week = [None; 7];
    for (i, (name, value)) in days.iter().enumerate() {
        match parse_day(value) {
            Ok(h) => week[i] = h,
            Err(msg) => p.add(&bh.key(name), msg),
        }
    }
    if week.iter().all(Option::is_none) {
        p.add(&bh, "the practice must be open on at least one day");
    }
    let mut holidays = BTreeSet::new();
    for (i, h) in raw.business_hours.holidays.iter().enumerate() {
        match NaiveDate::parse_from_str(h, "%Y-%m-%d") {
            Ok(d) => {
                holidays.insert(d);
            }
            Err(_) => p.add(&bh.key("holidays").index(i), "must be a date written YYYY-MM-DD"),
        }
    }
    if !(1..=1440).contains(&raw.business_hours.response_minutes) {
        p.add(&bh.key("response_minutes"), "must be between 1 and 1440");
    }
    let business_hours = BusinessHours { time_zone, week, holidays, response_minutes: raw.business_hours.response_minutes };

    // Consent texts.
    let mut consent_texts = Vec::new();
    let mut versions = BTreeSet::new();
    for (i, t) in raw.consent_texts.iter().enumerate() {
        let here = root.key("consent_texts").index(i);
        if t.version.trim().is_empty() || t.version.len() > 64 {
            p.add(&here.key("version"), "must be 1 to 64 characters");
        }
        if !versions.insert(t.version.clone()) {
            p.add(&here.key("version"), "repeats a version listed earlier");
        }
        let mut channels = BTreeSet::new();
        for (j, c) in t.channels.iter().enumerate() {
            match ContactChannel::parse(c) {
                Some(ch) => {
                    channels.insert(ch);
                }
                None => p.add(&here.key("channels").index(j), "must be one of sms, call, email"),
            }
        }
        if t.text.trim().is_empty() {
            p.add(&here.key("text"), "must not be empty");
        }
        let text_language = match &t.language {
            None => language,
            Some(l) => Language::parse(l).filter(|x| x.as_str() == l.trim()).unwrap_or_else(|| {
                p.add(&here.key("language"), "must be a language with built-in texts: en, es");
                language
            }),
        };
        let sha256 = format!("{:x}", Sha256::digest(t.text.as_bytes()));
        consent_texts.push(ConsentText { version: t.version.clone(), channels, language: text_language, text: t.text.clone(), sha256 });
    }

    // Service lines.
    let mut service_lines = BTreeMap::new();
    for (i, s) in raw.service_lines.iter().enumerate() {
        let here = root.key("service_lines").index(i);
        let Some(id) = ServiceLineId::parse(&s.id) else {
            p.add(&here.key("id"), "must be a lower-case slug (letters, digits, underscores)");
            continue;
        };
        let kind = match s.kind.as_str() {
            "patient" => ServiceLineKind::Patient,
            "franchise" => ServiceLineKind::Franchise,
            _ => {
                p.add(&here.key("kind"), "must be patient or franchise");
                ServiceLineKind::Patient
            }
        };
        let ack = match Template::parse(&s.acknowledgement_sms, ACKNOWLEDGEMENT_PLACEHOLDERS) {
            Ok(t) => Some(t),
            Err(e) => {
                p.add(&here.key("acknowledgement_sms"), format!("template {e}"));
                None
            }
        };
        if service_lines.contains_key(&id) {
            p.add(&here.key("id"), "repeats a service line listed earlier");
        }
        if let Some(acknowledgement_sms) = ack {
            let part2 = s.part2.unwrap_or(id.as_str() == super::DEFAULT_PART2_LINE);
            service_lines.insert(id.clone(), ServiceLine { id, name: s.name.clone(), kind, acknowledgement_sms, part2 });
        }
    }
    if raw.service_lines.is_empty() {
        p.add(&root, "at least one [[service_lines]] entry is required");
    }

    // Intake.
    let intake_path = root.key("intake");
    let default_service_line = raw.intake.default_service_line.as_ref().and_then(|d| match ServiceLineId::parse(d) {
        Some(id) if service_lines.contains_key(&id) => Some(id),
        _ => {
            p.add(&intake_path.key("default_service_line"), "names no configured service line");
            None
        }
    });
    let origin_ok = |o: &str| {
        (o.starts_with("https://") || o.starts_with("http://localhost") || o.starts_with("http://127.0.0.1"))
            && !o.trim_end_matches('/').split_once("://").is_some_and(|(_, rest)| rest.contains('/'))
    };
    for (i, o) in raw.intake.redirect_origins.iter().enumerate() {
        if !origin_ok(o) {
            p.add(&intake_path.key("redirect_origins").index(i), "must be an https origin such as https://www.example.com (no path)");
        }
    }
    for (i, o) in raw.intake.cors_origins.iter().flatten().enumerate() {
        if !origin_ok(o) {
            p.add(&intake_path.key("cors_origins").index(i), "must be an https origin such as https://www.example.com (no path)");
        }
    }
    let cors_origins = raw.intake.cors_origins.clone().unwrap_or_else(|| raw.intake.redirect_origins.clone());
    let processing_alarm_seconds = raw.intake.processing_alarm_seconds.unwrap_or(super::DEFAULT_PROCESSING_ALARM_SECONDS);
    if processing_alarm_seconds > 86_400 {
        p.add(&intake_path.key("processing_alarm_seconds"), "must be at most 86400 (a day); 0 turns the watch off");
    }

    // Scoring, team and routing, SLAs.
    let scoring = super::scoring::validate(&raw.scoring_models, &raw.urgency, &raw.territories, &service_lines, &currency, &mut p);
    let team = super::team::validate(&raw.team, &raw.facilities, &raw.on_call, &raw.routing, &service_lines, &business_hours, &mut p);
    let sla = super::sla::validate(&raw.sla, &raw.notifications, &service_lines, &team, &mut p);
    let lifecycle = super::integrations::lifecycle(raw.lifecycle, &mut p);
    let sms_keywords = super::integrations::keywords(raw.sms_keywords, &mut p);
    let webhooks = super::integrations::webhooks(raw.webhooks, &|id| service_lines.contains_key(id), &mut p);
    let analytics = super::analytics::validate(&raw.attribution, &raw.reports, &mut p);
    let matching = super::matching::validate(&raw.matching, &mut p);
    let console = super::console::validate(&raw.console, &mut p);
    let followup = super::cadence::validate(&raw.followup, &raw.cadences, &service_lines, &mut p);
    let redirect_origins: Vec<String> = raw.intake.redirect_origins.iter().map(|o| o.trim_end_matches('/').to_string()).collect();
    let line_ids: BTreeSet<ServiceLineId> = service_lines.keys().cloned().collect();
    let forms = super::forms::validate_forms(
        &raw.forms,
        &super::forms::FormContext {
            service_lines: &line_ids,
            facilities: &team.facilities,
            consent_texts: &consent_texts,
            redirect_origins: &redirect_origins,
        },
        &mut p,
    );
    let web_analytics = super::forms::validate_web_analytics(&raw.web_analytics, &mut p);
    let data_quality = super::data_quality::validate(
        &raw.spam,
        &raw.test_records,
        &raw.contact_validation,
        &raw.archive,
        phone_region,
        &service_lines,
        &mut p,
    );

    let mut messaging = super::messaging::validate(&raw.messaging, &mut p);
    let sends_email =
        followup.book.cadences.iter().any(|c| c.steps.iter().any(|s| s.channel == crate::domain::cadence::StepChannel::Email));
    if sends_email && messaging.postal_address.is_empty() {
        p.add(
            &root.key("messaging").key("email").key("postal_address"),
            "is required when cadences send email (CAN-SPAM: every commercial email names the sender's postal address)",
        );
    }
    messaging.link_hosts.extend(super::texts::operator_hosts(&service_lines, &followup, sms_keywords.as_ref(), &messaging));
    super::texts::check_budgets(
        &raw.service_lines,
        &raw.cadences,
        &service_lines,
        &followup,
        &messaging,
        &business_hours,
        &team,
        &raw.organization.name,
        &mut p,
    );

    if !p.list.is_empty() {
        return Err(ConfigError { origin: origin.to_string(), problems: p.list });
    }
    Ok(Config {
        messaging,
        organization: Organization { name: raw.organization.name, time_zone, phone_region, currency, language },
        business_hours,
        intake: IntakeSettings {
            default_service_line,
            ignored_fields: raw.intake.ignored_fields.into_iter().collect(),
            redirect_origins,
            cors_origins: cors_origins.into_iter().map(|o| o.trim_end_matches('/').to_string()).collect(),
            processing_alarm_seconds,
        },
        consent_texts,
        service_lines,
        scoring,
        team,
        sla,
        lifecycle,
        sms_keywords: sms_keywords.expect("problems reported above"),
        webhooks,
        analytics,
        matching,
        followup,
        data_quality,
        console,
        forms,
        web_analytics,
    })
}

/// `"08:00-17:30"`, `"00:00-24:00"` (24:00 closes at the end of the day) or `"closed"`.
fn parse_day(value: &str) -> Result<Option<DayHours>, String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("closed") {
        return Ok(None);
    }
    let bad = || "must be \"HH:MM-HH:MM\" (24-hour clock; 24:00 closes at the end of the day) or \"closed\"".to_string();
    let (open, close) = v.split_once('-').ok_or_else(bad)?;
    let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
    if open.trim() == "24:00" {
        return Err("24:00 is the end of a day: use it as a closing time; opening at midnight is 00:00".into());
    }
    let open = time(open)?;
    let close = if close.trim() == "24:00" { Closing::EndOfDay } else { Closing::At(time(close)?) };
    if matches!(close, Closing::At(c) if c <= open) {
        return Err("closing time must be after opening time (write 24:00 to stay open until midnight)".into());
    }
    Ok(Some(DayHours { open, close }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[organization]
name = "Harbor Health"
time_zone = "America/New_York"

[business_hours]
response_minutes = 5
monday = "08:00-18:00"
tuesday = "08:00-18:00"
wednesday = "08:00-18:00"
thursday = "08:00-18:00"
friday = "08:00-17:00"
saturday = "closed"
sunday = "closed"

[[consent_texts]]
version = "2026-01"
channels = ["sms", "email"]
text = "You agree Harbor Health may text and email you."

[[service_lines]]
id = "med_spa"
name = "Med spa"
kind = "patient"
acknowledgement_sms = "Hi {first_name|there}, {org_name} will call you {callback_promise}."
"#;

    fn problems(src: &str) -> Vec<String> {
        load(src, "test.toml").unwrap_err().problems.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn a_good_file_loads() {
        let c = load(GOOD, "test.toml").unwrap();
        assert_eq!(c.organization.time_zone, chrono_tz::America::New_York);
        assert_eq!(c.consent_texts[0].sha256.len(), 64);
        assert!(c.service_lines.contains_key(&ServiceLineId::parse("med_spa").unwrap()));
    }

    #[test]
    fn the_shipped_default_loads() {
        Config::embedded_default().unwrap();
    }

    #[test]
    fn addiction_treatment_is_part2_unless_configured_otherwise() {
        let c = Config::embedded_default().unwrap();
        assert!(c.is_part2_line(&ServiceLineId::parse("addiction_treatment").unwrap()));
        assert!(!c.is_part2_line(&ServiceLineId::parse("med_spa").unwrap()));
        let src = GOOD.replace("kind = \"patient\"", "kind = \"patient\"\npart2 = true");
        assert!(load(&src, "t").unwrap().is_part2_line(&ServiceLineId::parse("med_spa").unwrap()));
        // CORS origins default to the redirect origins and are checked like them.
        assert_eq!(c.intake.cors_origins, c.intake.redirect_origins);
        let bad = GOOD.replace("[[consent_texts]]", "[intake]\ncors_origins = [\"https://a.example/path\"]\n\n[[consent_texts]]");
        assert!(problems(&bad)[0].contains("`intake.cors_origins[0]`"), "{:?}", problems(&bad));
    }

    #[test]
    fn an_unknown_placeholder_names_key_and_line() {
        let src = GOOD.replace("{first_name|there}", "{frist_name}");
        assert_eq!(
            problems(&src),
            vec!["line 25, column 23: `service_lines[0].acknowledgement_sms`: template uses unknown placeholder `{frist_name}` (known: first_name, org_name, callback_promise, service_line_name)"]
        );
    }

    #[test]
    fn a_bad_time_zone_and_hours_are_all_reported() {
        let src = GOOD.replace("America/New_York", "Mars/Olympus").replace("\"08:00-17:00\"", "\"17:00-08:00\"");
        let got = problems(&src);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("line 4, column 13: `organization.time_zone`"), "{got:?}");
        assert!(got[1].starts_with("line 12, column 10: `business_hours.friday`: closing time"), "{got:?}");
    }

    #[test]
    fn a_day_may_close_at_24_00_but_never_open_then() {
        let src = GOOD
            .replace("\"08:00-18:00\"\ntuesday", "\"00:00-24:00\"\ntuesday")
            .replace("saturday = \"closed\"", "saturday = \"09:00-24:00\"");
        let c = load(&src, "test.toml").unwrap();
        let end = |open: (u32, u32)| Some(DayHours { open: NaiveTime::from_hms_opt(open.0, open.1, 0).unwrap(), close: Closing::EndOfDay });
        assert_eq!(c.business_hours.week[0], end((0, 0)));
        assert_eq!(c.business_hours.week[5], end((9, 0)));

        let src = GOOD.replace("\"08:00-17:00\"", "\"24:00-24:00\"").replace("saturday = \"closed\"", "saturday = \"24:00-08:00\"");
        let got = problems(&src);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("line 12, column 10: `business_hours.friday`: 24:00 is the end of a day"), "{got:?}");
        assert!(got[1].starts_with("line 13, column 12: `business_hours.saturday`: 24:00 is the end of a day"), "{got:?}");

        for (value, message) in [
            ("\"08:00-00:00\"", "closing time must be after opening time"),
            ("\"08:00-24:30\"", "must be \"HH:MM-HH:MM\" (24-hour clock; 24:00 closes at the end of the day)"),
            ("\"08:00-25:00\"", "must be \"HH:MM-HH:MM\""),
            ("\"08:00\"", "must be \"HH:MM-HH:MM\""),
        ] {
            let got = problems(&GOOD.replace("\"08:00-17:00\"", value));
            assert_eq!(got.len(), 1, "{value}: {got:?}");
            assert!(got[0].starts_with(&format!("line 12, column 10: `business_hours.friday`: {message}")), "{value}: {got:?}");
        }
    }

    #[test]
    fn an_unknown_key_is_a_parse_error_with_its_line() {
        let src = GOOD.replace("response_minutes = 5", "response_minutes = 5\nrespons_minutes = 6");
        let got = problems(&src);
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with("line 8, column 1: `business_hours.respons_minutes`: unknown field `respons_minutes`"), "{got:?}");
    }

    #[test]
    fn a_wrong_type_is_a_parse_error_with_its_line() {
        let src = GOOD.replace("response_minutes = 5", "response_minutes = \"five\"");
        let got = problems(&src);
        assert!(got[0].starts_with("line 7, column 20: `business_hours.response_minutes`"), "{got:?}");
    }

    #[test]
    fn the_error_display_names_the_file() {
        let err = load(&GOOD.replace("patient", "patients"), "config/leadflow.toml").unwrap_err();
        assert_eq!(err.to_string(), "invalid configuration in config/leadflow.toml\n  config/leadflow.toml: line 24, column 8: `service_lines[0].kind`: must be patient or franchise");
    }
}

#[cfg(test)]
mod timing {
    use super::*;

    /// Where the embedded configuration's parse and validation time goes (a debug build pays
    /// several times a release build's). Prints milliseconds; asserts nothing about time.
    #[test]
    #[ignore = "a measurement: prints figures"]
    fn where_the_configuration_load_goes() {
        let ms = |at: std::time::Instant| at.elapsed().as_secs_f64() * 1000.0;
        let source = super::super::DEFAULT_CONFIG;
        let at = std::time::Instant::now();
        let _raw: RawConfig = toml::from_str(source).unwrap();
        println!("TOML into the raw configuration: {:.1} ms", ms(at));
        let at = std::time::Instant::now();
        let _ = toml_edit::Document::parse(source).unwrap();
        println!("TOML into a span document (only to locate a problem): {:.1} ms", ms(at));
        for run in 1..=3 {
            let at = std::time::Instant::now();
            load(source, "<embedded>").unwrap();
            println!("parse and validate, run {run} (run 1 compiles the ASCII link patterns): {:.1} ms", ms(at));
        }
        let at = std::time::Instant::now();
        crate::domain::screen::warm_up();
        println!("the Unicode link patterns, compiled once (texts that are not ASCII): {:.1} ms", ms(at));
    }
}
