//! The scoring, routing and SLA sections of the configuration: the shipped file and the three
//! examples load, and mistakes are refused with the key and line named.

use leadflow::config::Config;
use leadflow::domain::scoring::ScoreBand;
use leadflow::domain::ServiceLineId;

const DEFAULT: &str = leadflow::config::DEFAULT_CONFIG;

fn problems(src: &str) -> Vec<String> {
    Config::from_toml(src, "test.toml").unwrap_err().problems.iter().map(|p| p.to_string()).collect()
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).expect("needle in source") + 1
}

#[test]
fn the_shipped_configuration_and_the_examples_load() {
    let c = Config::embedded_default().unwrap();
    assert_eq!(c.scoring.models.len(), 3);
    assert!(c.scoring.model_for(&ServiceLineId::parse("franchise").unwrap()).is_some());
    assert_eq!(c.team.members.len(), 8);
    assert!(c.team.on_call.contains_key("counselors"));
    for example in ["med-spa", "addiction-treatment", "franchise-brand"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("config/examples/{example}.toml"));
        let c = Config::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.scoring.models.is_empty(), "{example}");
        assert!(c.team.default.is_some(), "{example}");
    }
}

#[test]
fn a_typo_in_a_factor_key_is_refused_with_the_key_and_line() {
    let src = DEFAULT.replacen("pricing_page_points = 5", "pricng_page_points = 5", 1);
    let got = problems(&src);
    assert_eq!(got.len(), 1, "{got:?}");
    let line = line_of(&src, "pricng_page_points");
    assert!(
        got[0].starts_with(&format!(
            "line {line}, column 1: `scoring_models[0].engagement.pricng_page_points`: unknown field `pricng_page_points`"
        )),
        "{got:?}"
    );
}

#[test]
fn a_misspelled_factor_table_is_refused_by_name() {
    let src = DEFAULT.replacen("[scoring_models.engagement]", "[scoring_models.engagment]", 1);
    let got = problems(&src);
    assert!(got[0].contains("`scoring_models[0].engagment`") && got[0].contains("unknown field `engagment`"), "{got:?}");
}

#[test]
fn meaning_errors_name_their_keys() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "service_lines = [\"franchise\"]",
            "service_lines = [\"franchise\", \"med_spa\"]",
            "`scoring_models[2].service_lines[1]`: is a patient line; this model scores franchise leads",
        ),
        (
            "backup = \"li\"\nmanager = \"dana\"\nnotify = [\"sms\", \"email\"]",
            "backup = \"lee\"\nmanager = \"dana\"\nnotify = [\"sms\", \"email\"]",
            "`team[0].backup`: names no configured team member",
        ),
        ("hours = \"09:00-18:00\"\nbackup = \"maria\"", "hours = \"9-6\"\nbackup = \"maria\"", "`team[1].hours`: must be \"HH:MM-HH:MM\""),
        (
            "on_call = \"counselors\"\n\n[[routing.rules]]\nname = \"recovery-team\"",
            "on_call = \"counsellors\"\n\n[[routing.rules]]\nname = \"recovery-team\"",
            "`routing.rules[0].on_call`: names no configured [[on_call]] schedule",
        ),
        ("tiers = [\"crisis\"]", "tiers = [\"critical\"]", "`routing.rules[0].tiers[0]`: must be crisis, urgent or routine"),
        ("notify = \"backup\"", "notify = \"boss\"", "`sla.ladder[1].notify`: must be assignee, backup, manager"),
        ("chat = 60\nsocial_dm = 300", "chats = 60\nsocial_dm = 300", "`sla.first_contact_seconds.chats`: is not a source channel"),
        (
            "[urgency.service_lines.mens_health]",
            "[urgency.service_lines.mens_heath]",
            "`urgency.service_lines.mens_heath`: names no configured service line",
        ),
        (
            "urgent = [\"today\", \"as soon as possible\"]",
            "urgent = [\"today\", \"?!\"]",
            "`urgency.service_lines.mens_health.urgent[1]`: phrase has no letters or digits",
        ),
        ("id = \"maria\"\nteam = \"patient-care\"", "id = \"maria\"\nteam = \"Patient Care\"", "`team[0].team`: must be a lower-case slug"),
        (
            "id = \"li\"\nteam = \"patient-care\"",
            "id = \"li\"\nteam = \"patient-care\"\nuser_id = \"maria\"",
            "`team[1].user_id`: is another member's id",
        ),
        (
            "overdue = \"leadflow: lead {short_code}",
            "overdue = \"leadflow: lead {first_name}",
            "`notifications.overdue`: template uses unknown placeholder `{first_name}`",
        ),
    ];
    for (from, to, want) in cases {
        assert!(DEFAULT.contains(from), "fixture text missing: {from}");
        let src = DEFAULT.replacen(from, to, 1);
        let got = problems(&src);
        assert!(got.iter().any(|p| p.contains(want) && p.starts_with("line ")), "{want}\n got {got:?}");
    }
}

#[test]
fn models_record_bands_and_versions_from_configuration() {
    let c = Config::embedded_default().unwrap();
    let m = c.scoring.model_for(&ServiceLineId::parse("addiction_treatment").unwrap()).unwrap();
    assert_eq!((m.name.as_str(), m.version), ("recovery", 1));
    assert_eq!(m.bands.band(60), ScoreBand::Hot);
    assert_eq!(m.bands.band(59), ScoreBand::Warm);
}
