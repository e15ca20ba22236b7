//! Contract tests against Zoom's Meetings spec: what the client sends validates against the
//! spec's request schemas, and what the spec says Zoom answers deserializes into the models.

use crate::support;

use jiff::Timestamp;
use serde_json::Value;
use support::fake_zoom::FakeZoom;
use support::{specs, zoom_client};
use zoombot::secret::Secret;
use zoombot::zoom::model::{
    Audio, AutoRecording, Meeting, MeetingPage, MeetingSettings, MeetingUpdate, NewMeeting,
};

fn full_meeting() -> NewMeeting {
    let mut m = NewMeeting::new(
        "Weekly sync",
        Timestamp::now() + jiff::SignedDuration::from_hours(3),
        45,
    );
    m.timezone = Some("Europe/Berlin".to_owned());
    m.agenda = Some("Numbers, then plans".to_owned());
    m.password = Some(Secret::new("a1@-_*"));
    m.settings = MeetingSettings {
        host_video: Some(true),
        participant_video: Some(false),
        join_before_host: Some(false),
        mute_upon_entry: Some(true),
        waiting_room: Some(true),
        approval_type: Some(2),
        audio: Some(Audio::Both),
        auto_recording: Some(AutoRecording::Local),
    };
    m
}

#[tokio::test]
async fn every_request_body_the_client_sends_validates_against_zooms_spec() {
    let Some(spec) = specs::zoom() else { return };
    let zoom = FakeZoom::start().await;
    let client = zoom_client(&zoom);

    let created = client.create_meeting("me", &full_meeting()).await.unwrap();
    let update = MeetingUpdate {
        topic: Some("Renamed".to_owned()),
        start_time: Some(Timestamp::now() + jiff::SignedDuration::from_hours(5)),
        duration: Some(30),
        agenda: Some("New agenda".to_owned()),
        settings: Some(MeetingSettings {
            waiting_room: Some(false),
            ..MeetingSettings::default()
        }),
        recurrence: None,
    };
    client.update_meeting(created.id, &update).await.unwrap();

    let create_schema = specs::validator(
        &spec,
        specs::request_schema(&spec, "/users/{userId}/meetings", "post"),
    );
    let update_schema = specs::validator(
        &spec,
        specs::request_schema(&spec, "/meetings/{meetingId}", "patch"),
    );
    let mut checked = 0;
    for request in zoom.requests() {
        let Some(body) = request.body else { continue };
        let validator = match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/oauth/token") => continue,
            ("POST", _) => &create_schema,
            ("PATCH", _) => &update_schema,
            other => panic!("unexpected body on {other:?}"),
        };
        let problems = specs::violations(validator, &body);
        assert!(
            problems.is_empty(),
            "{} {}: {problems:?}\n{body}",
            request.method,
            request.path
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn a_body_that_breaks_the_spec_is_caught_by_the_contract_check() {
    let Some(spec) = specs::zoom() else { return };
    let validator = specs::validator(
        &spec,
        specs::request_schema(&spec, "/users/{userId}/meetings", "post"),
    );
    let mut body = serde_json::to_value(full_meeting()).unwrap();
    body["settings"]["auto_recording"] = Value::from("sometimes");
    body["start_time"] = Value::from("tomorrow");
    assert_eq!(specs::violations(&validator, &body).len(), 2);
}

#[test]
fn the_specs_example_responses_deserialize_into_the_models() {
    let Some(spec) = specs::zoom() else { return };

    let created = specs::example(
        &spec,
        specs::response_schema(&spec, "/users/{userId}/meetings", "post", "201"),
    );
    let meeting: Meeting = serde_json::from_value(created.clone()).expect("create response");
    assert_eq!(Some(meeting.id), created["id"].as_i64());
    assert_eq!(meeting.join_url, created["join_url"].as_str().unwrap());

    let got = specs::example(
        &spec,
        specs::response_schema(&spec, "/meetings/{meetingId}", "get", "200"),
    );
    let meeting: Meeting = serde_json::from_value(got.clone()).expect("get response");
    assert_eq!(meeting.topic, got["topic"].as_str().unwrap());

    let listed = specs::example(
        &spec,
        specs::response_schema(&spec, "/users/{userId}/meetings", "get", "200"),
    );
    let page: MeetingPage = serde_json::from_value(listed.clone()).expect("list response");
    assert_eq!(
        page.meetings.len(),
        listed["meetings"].as_array().unwrap().len()
    );
    assert!(page.meetings[0].id > 0);
}
