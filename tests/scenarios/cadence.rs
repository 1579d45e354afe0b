//! Follow-up cadences end to end with a moved clock, on the embedded adapters and on moto
//! (DynamoDB, SQS, SNS, SES): the brief's med-spa cadence at its offsets, conditions, stop rules,
//! quiet hours (default and Florida), overlapping scheduler runs, and catch-up after an outage
//! under the 24-hour cap.

use chrono::{DateTime, Duration, TimeZone, Utc};
use leadflow::app::contacts::{record, ContactRequest};
use leadflow::app::lifecycle::transition;
use leadflow::config::Config;
use leadflow::domain::cadence::{parse_duration, EnrollmentState};
use leadflow::domain::contact_attempt::{ContactAttempt, ContactOutcome};
use leadflow::domain::lifecycle::Cause;
use leadflow::domain::task::TaskStatus;
use leadflow::domain::{Actor, ContactChannel, LeadStatus};
use leadflow::ports::schedule::minute_of;
use leadflow_tests::cadence::{embedded, moto, Kind, World};
use leadflow_tests::contract_suite;
use leadflow_tests::leads::unique_phone;
use leadflow_tests::webhooks::twilio_sms;

contract_suite!(
    [embedded => embedded, moto => moto]
    [
        the_med_spa_cadence_fires_at_its_offsets,
        the_1h_email_is_skipped_when_the_2m_call_was_answered,
        a_reply_or_a_booking_stops_everything,
        stop_silences_texts_but_a_permitted_email_still_goes,
        a_step_due_at_11_pm_local_waits_until_8_am,
        a_florida_lead_never_gets_a_text_after_8_pm,
        two_scheduler_runs_at_once_send_each_step_exactly_once,
        a_6_hour_outage_catches_up_without_breaking_the_24_hour_cap,
        erasing_the_person_exports_then_stops_the_cadence_and_erases_what_steps_sent,
        consent_and_the_persons_preferences_decide_each_message_and_are_recorded,
    ]
);

fn ny(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
}

fn local(tz: chrono_tz::Tz, d: u32, h: u32, m: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap().with_timezone(&Utc)
}

/// The assignee records an unanswered call (the "we tried to call you" email needs one).
async fn unanswered_call(w: &World, id: leadflow::domain::LeadId) {
    let assignee = w.lead(id).await.assignment.unwrap().member;
    let attempt = ContactAttempt { channel: ContactChannel::Call, outcome: ContactOutcome::NoAnswer, note: None };
    record(&w.services, ContactRequest { lead_id: id, attempt, by: assignee.to_string(), idempotency_key: None }).await.unwrap();
    w.drain().await;
}

/// A person who consented to texts and email.
struct Person {
    phone: String,
    email: String,
}

impl Person {
    fn new() -> Person {
        let phone = unique_phone().as_e164().to_string();
        Person { email: format!("p{}@example.com", &phone[2..]), phone }
    }

    fn fields<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut f = vec![
            ("first_name", "Ann"),
            ("phone", self.phone.as_str()),
            ("email", self.email.as_str()),
            ("service_line", "med_spa"),
            ("consent_sms", "true"),
            ("consent_email", "true"),
        ];
        f.extend_from_slice(extra);
        f
    }
}

async fn world(kind: Kind, at: DateTime<Utc>) -> World {
    World::new(kind, Config::embedded_default().unwrap(), at).await
}

async fn the_med_spa_cadence_fires_at_its_offsets(kind: Kind) {
    // Tuesday 10:30 in New York, the practice open; the person is in New Jersey.
    let start = ny(3, 10, 30);
    let w = world(kind, start).await;
    let p = Person::new();
    let id = w.capture(&p.fields(&[("state", "NJ"), ("postal_code", "07030")])).await;
    w.fast_forward(&[id], start + Duration::days(8)).await;

    let got: Vec<(String, String, i64)> = w.attempts(id).await.into_iter().map(|(n, o, at)| (n, o, (at - start).num_minutes())).collect();
    let want = [
        ("call-2m", "task_created", 2),
        // Nobody recorded a call: the "we tried to call you" email does not go.
        ("email-1h", "skipped", 60),
        ("call-4h", "task_created", 240),
        ("sms-24h", "sent", 24 * 60),
        ("email-3d", "sent", 3 * 24 * 60),
        ("call-7d", "task_created", 7 * 24 * 60),
        ("email-7d", "sent", 7 * 24 * 60),
    ];
    let want: Vec<(String, String, i64)> = want.iter().map(|(n, o, m)| (n.to_string(), o.to_string(), *m)).collect();
    assert_eq!(got, want);
    // The immediate confirmation is the acknowledgement (one text), then the 24-hour text.
    let texts = w.texts_to(&p.phone).await;
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[1].contains("https://book.harborhealth.example/med-spa") && texts[1].contains("Hi Ann"), "{}", texts[1]);
    assert_eq!(w.emails_to(&p.email).await, 2);
    let email = w.steps(id).await.into_iter().find(|s| s.name == "email-1h").unwrap();
    assert_eq!(email.entry["outcome"]["reason"], "only_after_call_attempt");
    // Each attempt names its next step; the enrollment completed; the call tasks were for the assignee.
    let steps = w.steps(id).await;
    assert_eq!(steps[0].entry["next"]["name"], "email-1h");
    let e = w.services.cadence.enrollment(id).await.unwrap().unwrap();
    assert_eq!(e.state, EnrollmentState::Completed);
    assert_eq!(w.entries(id, "cadence_completed").await.len(), 1);
    let tasks = w.services.cadence.tasks_of_lead(id).await.unwrap();
    assert_eq!(tasks.len(), 3);
    let assignee = w.lead(id).await.assignment.unwrap().member;
    assert!(tasks.iter().all(|t| t.member.as_ref() == Some(&assignee) && t.status == TaskStatus::Expired), "{tasks:?}");
}

async fn the_1h_email_is_skipped_when_the_2m_call_was_answered(kind: Kind) {
    let start = ny(3, 10, 30);
    let w = world(kind, start).await;
    let p = Person::new();
    let id = w.capture(&p.fields(&[("state", "NJ")])).await;
    w.fast_forward(&[id], start + Duration::minutes(5)).await;
    let assignee = w.lead(id).await.assignment.unwrap().member;
    let open = w.services.cadence.open_tasks_of(assignee.as_str(), 10).await.unwrap();
    assert_eq!(open.len(), 1, "the 2-minute call task is open for the assignee");
    // The coordinator calls and the person answers.
    let attempt = ContactAttempt { channel: ContactChannel::Call, outcome: ContactOutcome::Answered, note: None };
    record(&w.services, ContactRequest { lead_id: id, attempt, by: assignee.to_string(), idempotency_key: None }).await.unwrap();
    w.drain().await;
    let task = w.services.cadence.task(id, &open[0].id).await.unwrap().unwrap();
    assert_eq!((task.status, task.outcome), (TaskStatus::Done, Some(ContactOutcome::Answered)));
    assert!(w.services.cadence.open_tasks_of(assignee.as_str(), 10).await.unwrap().is_empty());

    w.fast_forward(&[id], start + Duration::hours(2)).await;
    let steps = w.steps(id).await;
    let email = steps.iter().find(|s| s.name == "email-1h").unwrap();
    assert_eq!((email.outcome.as_str(), email.entry["outcome"]["reason"].as_str()), ("skipped", Some("only_if_last_call_unanswered")));
    assert_eq!(minute_of(email.at), start + Duration::hours(1), "decided at its time");
    assert_eq!(w.emails_to(&p.email).await, 0);
}

async fn a_reply_or_a_booking_stops_everything(kind: Kind) {
    let start = ny(3, 10, 30);
    let w = world(kind, start).await;
    let (a, b) = (Person::new(), Person::new());
    let replied = w.capture(&a.fields(&[("state", "NJ")])).await;
    let booked = w.capture(&b.fields(&[("state", "NJ")])).await;
    w.fast_forward(&[replied, booked], start + Duration::minutes(10)).await;

    // A replies by text; B books.
    let resp =
        leadflow::handlers::webhooks::handle(&w.services, twilio_sms(&format!("SM{replied}"), &a.phone, "Thanks, tomorrow works")).await;
    assert_eq!(resp.status(), 200);
    let cause = Cause::new(Actor::User("maria".into()), "user");
    transition(&w.services, booked, LeadStatus::Booked, cause).await.unwrap();
    w.drain().await;

    for (id, reason) in [(replied, "replied"), (booked, "booked")] {
        let e = w.services.cadence.enrollment(id).await.unwrap().unwrap();
        assert_eq!((e.state, e.reason.as_deref()), (EnrollmentState::Stopped, Some(reason)));
        assert!(w.services.due.get("cadence", &id.to_string()).await.unwrap().is_none(), "pending steps cancelled");
        let tasks = w.services.cadence.tasks_of_lead(id).await.unwrap();
        assert!(tasks.iter().all(|t| t.status == TaskStatus::Cancelled), "{tasks:?}");
        assert_eq!(w.entries(id, "cadence_stopped").await[0]["reason"], reason);
    }
    w.fast_forward(&[replied, booked], start + Duration::days(8)).await;
    for (id, person) in [(replied, &a), (booked, &b)] {
        let attempts = w.attempts(id).await;
        assert_eq!(attempts.len(), 1, "only the 2-minute call task ran: {attempts:?}");
        assert_eq!(w.texts_to(&person.phone).await.len(), 1, "the acknowledgement only");
        assert_eq!(w.emails_to(&person.email).await, 0);
    }
}

async fn stop_silences_texts_but_a_permitted_email_still_goes(kind: Kind) {
    let start = ny(3, 10, 30);
    let w = world(kind, start).await;
    let p = Person::new();
    let id = w.capture(&p.fields(&[("state", "NJ")])).await;
    w.fast_forward(&[id], start + Duration::minutes(30)).await;
    unanswered_call(&w, id).await;
    let resp = leadflow::handlers::webhooks::handle(&w.services, twilio_sms(&format!("SMstop{id}"), &p.phone, "STOP")).await;
    assert_eq!(resp.status(), 200);
    w.drain().await;
    assert_eq!(w.lead(id).await.status, LeadStatus::OptedOut);
    w.fast_forward(&[id], start + Duration::days(8)).await;

    let attempts: Vec<(String, String)> = w.attempts(id).await.into_iter().map(|(n, o, _)| (n, o)).collect();
    let want = [
        ("call-2m", "task_created"),
        ("email-1h", "sent"),
        ("call-4h", "skipped"),
        ("sms-24h", "skipped"),
        ("email-3d", "sent"),
        ("call-7d", "skipped"),
        ("email-7d", "sent"),
    ];
    assert_eq!(attempts, want.iter().map(|(n, o)| (n.to_string(), o.to_string())).collect::<Vec<_>>());
    let sms = w.steps(id).await.into_iter().find(|s| s.name == "sms-24h").unwrap();
    assert_eq!(sms.entry["outcome"]["reason"], "opted_out");
    // The acknowledgement and the one opt-out confirmation; no cadence text after STOP.
    let texts = w.texts_to(&p.phone).await;
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(w.emails_to(&p.email).await, 3);
}

async fn a_step_due_at_11_pm_local_waits_until_8_am(kind: Kind) {
    // A Californian writes at 23:00 (Monday): the 24-hour text falls at 23:00 on Tuesday.
    let la = chrono_tz::America::Los_Angeles;
    let start = local(la, 2, 23, 0);
    let w = world(kind, start).await;
    let p = Person::new();
    let id = w.capture(&p.fields(&[("state", "CA")])).await;
    w.fast_forward(&[id], start + Duration::days(2)).await;
    let sms: Vec<_> = w.steps(id).await.into_iter().filter(|s| s.name == "sms-24h").collect();
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert_eq!((sms[0].outcome.as_str(), minute_of(sms[0].at)), ("deferred", local(la, 3, 23, 0)));
    assert_eq!(sms[0].entry["outcome"]["reason"], "quiet_hours");
    assert_eq!(sms[0].entry["outcome"]["until"], serde_json::to_value(local(la, 4, 8, 0)).unwrap());
    assert_eq!((sms[1].outcome.as_str(), minute_of(sms[1].at)), ("sent", local(la, 4, 8, 0)));
    // Nothing reached the person at night (the acknowledgement answers their own message at once).
    for s in w.steps(id).await.iter().filter(|s| s.outcome == "sent" || s.outcome == "task_created") {
        let hour = s.at.with_timezone(&la).format("%H").to_string().parse::<u32>().unwrap();
        assert!((8..21).contains(&hour), "{} at {hour}h", s.name);
    }
}

async fn a_florida_lead_never_gets_a_text_after_8_pm(kind: Kind) {
    // The text step moved to 8 h 30 after capture: noon + 8:30 = 20:30.
    let mut config = Config::embedded_default().unwrap();
    let spa = config.followup.book.cadences.iter_mut().find(|c| c.name == "med-spa").unwrap();
    spa.steps.iter_mut().find(|s| s.name == "sms-24h").unwrap().after = parse_duration("8h30m").unwrap();
    let start = ny(3, 12, 0);
    let w = World::new(kind, config, start).await;
    let (fl, nj) = (Person::new(), Person::new());
    let florida = w.capture(&fl.fields(&[("state", "FL"), ("postal_code", "33101")])).await;
    let jersey = w.capture(&nj.fields(&[("state", "NJ")])).await;
    w.fast_forward(&[florida, jersey], start + Duration::days(2)).await;

    let sent = |rows: Vec<leadflow_tests::cadence::StepRow>| {
        minute_of(rows.into_iter().find(|s| s.name == "sms-24h" && s.outcome == "sent").unwrap().at)
    };
    assert_eq!(sent(w.steps(jersey).await), ny(3, 20, 30), "New Jersey allows until 21:00");
    assert_eq!(sent(w.steps(florida).await), ny(4, 8, 0), "Florida waits for 08:00");
    for s in w.steps(florida).await.iter().filter(|s| s.outcome == "sent") {
        let hour = s.at.with_timezone(&chrono_tz::America::New_York).format("%H").to_string().parse::<u32>().unwrap();
        assert!((8..20).contains(&hour), "{} sent at {hour}h", s.name);
    }
    assert_eq!(w.texts_to(&fl.phone).await.len(), 2);
    // The acknowledgement went at noon, inside the window too.
    let ack = w.lead(florida).await.acknowledged_at.unwrap().with_timezone(&chrono_tz::America::New_York);
    assert!((8..20).contains(&ack.format("%H").to_string().parse::<u32>().unwrap()));
}

async fn two_scheduler_runs_at_once_send_each_step_exactly_once(kind: Kind) {
    let start = ny(3, 10, 30);
    let w = world(kind, start).await;
    let p = Person::new();
    let id = w.capture(&p.fields(&[("state", "NJ")])).await;
    // At every due time, and the minute after it, two runs race.
    let mut t = start;
    let end = start + Duration::days(8);
    while t < end {
        let next = w.services.due.get("cadence", &id.to_string()).await.unwrap().map(|i| i.due_at);
        t = next.unwrap_or(end).max(t + Duration::minutes(1)).min(end);
        w.skip_idle_until(t).await;
        w.clock.set(t);
        w.drain().await;
        let (a, b) = tokio::join!(leadflow::app::timed_work::tick(&w.services), leadflow::app::timed_work::tick(&w.services));
        a.unwrap();
        b.unwrap();
        w.drain().await;
    }
    let attempts = w.attempts(id).await;
    let names: Vec<&str> = attempts.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(names, ["call-2m", "email-1h", "call-4h", "sms-24h", "email-3d", "call-7d", "email-7d"]);
    assert_eq!(w.texts_to(&p.phone).await.len(), 2, "acknowledgement + one cadence text");
    // No call was recorded: the "we tried to call you" email is skipped, the other two go.
    assert_eq!(w.emails_to(&p.email).await, 2);
    assert_eq!(w.services.cadence.tasks_of_lead(id).await.unwrap().len(), 3);
}

async fn a_6_hour_outage_catches_up_without_breaking_the_24_hour_cap(kind: Kind) {
    // Six texts due every 30 minutes over the first three hours; at most 4 automated messages
    // (the acknowledgement included) per 24 hours.
    let mut config = Config::embedded_default().unwrap();
    let spa = config.followup.book.cadences.iter_mut().find(|c| c.name == "med-spa").unwrap();
    let text = spa.steps.iter().find(|s| s.name == "sms-24h").unwrap().clone();
    spa.steps = (1..=6)
        .map(|i| {
            let mut s = text.clone();
            s.name = format!("text-{i}");
            s.after = Duration::minutes(30 * i);
            s
        })
        .collect();
    assert_eq!(config.followup.book.rules.max_messages_per_24h, 4);
    let start = ny(3, 10, 0);
    let w = World::new(kind, config, start).await;
    let p = Person::new();
    let id = w.capture(&p.fields(&[("state", "NJ")])).await;
    // The follow-up function is down from capture until 16:00.
    w.tick().await;
    w.clock.set(start + Duration::hours(6));
    w.every_minute_until(start + Duration::hours(6) + Duration::minutes(5)).await;
    w.fast_forward(&[id], start + Duration::days(3)).await;

    let sent: Vec<(String, DateTime<Utc>)> =
        w.steps(id).await.into_iter().filter(|s| s.outcome == "sent").map(|s| (s.name, s.at)).collect();
    let names: Vec<&str> = sent.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, ["text-1", "text-2", "text-3", "text-4", "text-5", "text-6"], "all caught up, in order, none dropped");
    let mut all: Vec<DateTime<Utc>> = sent.iter().map(|s| s.1).collect();
    all.push(w.lead(id).await.acknowledged_at.unwrap());
    for t in &all {
        let in_window = all.iter().filter(|s| **s > *t - Duration::hours(24) && *s <= t).count();
        assert!(in_window <= 4, "{in_window} messages in the 24 hours before {t}");
    }
    // The first three went out at recovery; the fourth waited for the acknowledgement to age out.
    assert!(sent[..3].iter().all(|s| s.1 >= start + Duration::hours(6) && s.1 < start + Duration::hours(7)), "{sent:?}");
    assert_eq!(minute_of(sent[3].1), start + Duration::days(1), "{sent:?}");
    let deferred = w.steps(id).await.into_iter().filter(|s| s.outcome == "deferred").count();
    assert!(deferred >= 2, "the capped steps were deferred, not dropped");
    assert_eq!(w.texts_to(&p.phone).await.len(), 7);
}

async fn erasing_the_person_exports_then_stops_the_cadence_and_erases_what_steps_sent(kind: Kind) {
    let start = ny(3, 10, 30);
    let w = world(kind, start).await;
    let p = Person::new();
    let id = w.capture(&p.fields(&[("state", "NJ")])).await;
    // The 2-minute call goes unanswered, so the 1-hour email went (its subject is on the
    // timeline); the 4-hour call task is open.
    w.fast_forward(&[id], start + Duration::minutes(5)).await;
    unanswered_call(&w, id).await;
    w.fast_forward(&[id], start + Duration::hours(4) + Duration::minutes(5)).await;
    let assignee = w.lead(id).await.assignment.unwrap().member;
    assert_eq!(w.services.cadence.open_tasks_of(assignee.as_str(), 10).await.unwrap().len(), 1);

    let person = leadflow::app::person::resolve(&w.services, id).await.unwrap().unwrap();
    let export = leadflow::app::person::export(&w.services, &person).await.unwrap();
    let kinds: Vec<&str> = export.held.iter().map(|h| h.kind.as_str()).collect();
    assert!(kinds.contains(&"cadence_enrollment") && kinds.contains(&"call_task"), "{kinds:?}");
    let sent = serde_json::to_string(&export.timelines[&id]).unwrap();
    assert!(sent.contains("Your consultation request"), "the export holds what the steps sent");

    leadflow::app::person::erase(&w.services, &person).await.unwrap();
    let e = w.services.cadence.enrollment(id).await.unwrap().unwrap();
    assert_eq!((e.state, e.reason.as_deref()), (EnrollmentState::Stopped, Some("erased")));
    assert!(w.services.cadence.open_tasks_of(assignee.as_str(), 10).await.unwrap().is_empty(), "no call task left for the member");
    assert!(w.services.cadence.tasks_of_lead(id).await.unwrap().iter().all(|t| !t.is_open()));
    for s in w.steps(id).await.iter().filter(|s| s.outcome == "sent") {
        assert_eq!(s.entry["outcome"]["text"], leadflow::domain::erasure::ERASED, "{}", s.entry);
    }
    // Nothing more is sent about the person.
    let before = (w.attempts(id).await.len(), w.emails_to(&p.email).await, w.texts_to(&p.phone).await.len());
    w.fast_forward(&[id], start + Duration::days(8)).await;
    let after = (w.attempts(id).await.len(), w.emails_to(&p.email).await, w.texts_to(&p.phone).await.len());
    assert_eq!(after, before);
}

async fn consent_and_the_persons_preferences_decide_each_message_and_are_recorded(kind: Kind) {
    // Tuesday 10:30 in New York. A: texts only (no email consent); B: prefers email; C: prefers
    // evenings (the 24-hour text, due Wednesday 10:30, waits for 17:00).
    let start = ny(3, 10, 30);
    let w = world(kind, start).await;
    let (a, b, c) = (Person::new(), Person::new(), Person::new());
    let mut fa = a.fields(&[("state", "NJ")]);
    fa.retain(|(k, _)| *k != "consent_email");
    fa.push(("consent_email", "false"));
    let a_id = w.capture(&fa).await;
    let b_id = w.capture(&b.fields(&[("state", "NJ"), ("preferred_channel", "email")])).await;
    let c_id = w.capture(&c.fields(&[("state", "NJ"), ("preferred_times", "evenings")])).await;
    // Each 2-minute call goes unanswered (the 1-hour email follows only an attempted call).
    w.fast_forward(&[a_id, b_id, c_id], start + Duration::minutes(5)).await;
    for id in [a_id, b_id, c_id] {
        unanswered_call(&w, id).await;
    }
    w.fast_forward(&[a_id, b_id, c_id], start + Duration::days(2)).await;

    let step = |rows: Vec<leadflow_tests::cadence::StepRow>, name: &str| rows.into_iter().filter(|s| s.name == name).collect::<Vec<_>>();
    // A: every email step is skipped for want of consent; the text goes.
    let email = step(w.steps(a_id).await, "email-1h");
    assert_eq!((email[0].outcome.as_str(), email[0].entry["outcome"]["reason"].as_str()), ("skipped", Some("no_consent")));
    assert_eq!(w.emails_to(&a.email).await, 0);
    assert_eq!(step(w.steps(a_id).await, "sms-24h")[0].outcome, "sent");
    // B: the text step is skipped for the preferred channel; the emails go.
    let sms = step(w.steps(b_id).await, "sms-24h");
    assert_eq!((sms[0].outcome.as_str(), sms[0].entry["outcome"]["reason"].as_str()), ("skipped", Some("prefers_email")));
    assert_eq!(w.texts_to(&b.phone).await.len(), 1, "the acknowledgement only");
    assert_eq!(w.emails_to(&b.email).await, 1);
    // C: deferred to the evening, then sent at 17:00 local.
    let sms = step(w.steps(c_id).await, "sms-24h");
    assert_eq!((sms[0].outcome.as_str(), sms[0].entry["outcome"]["reason"].as_str()), ("deferred", Some("preferred_times")));
    assert_eq!((sms[1].outcome.as_str(), minute_of(sms[1].at)), ("sent", ny(4, 17, 0)));
}
