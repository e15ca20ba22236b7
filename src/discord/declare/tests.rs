//! The declarations registered and checked.

use serde_json::json;
use serenity::all::CommandData;

use super::*;

const COLOUR: Opt = Opt::text("colour", "A colour")
    .choices(&[("red", "red"), ("blue", "blue")])
    .max_len(4);
const NAME: Opt = Opt::text("name", "A name").required().max_len(5);
const LOUD: Opt = Opt::flag("loud", "Loudly");
const COATS: Opt = Opt::integer("coats", "How many coats").range(1, 3);
const PAINT: Declaration = Declaration::new("paint", "Paint").options(&[NAME, COLOUR, LOUD, COATS]);

fn data(options: &serde_json::Value) -> CommandData {
    serde_json::from_value(json!({"id": "1", "name": "paint", "type": 1, "options": options}))
        .expect("command data")
}

#[test]
fn options_are_read_by_their_declaration_and_refused_when_they_do_not_fit_it() {
    let ok = data(&json!([
        {"name": "name", "type": 3, "value": "Ann"},
        {"name": "colour", "type": 3, "value": "red"},
        {"name": "loud", "type": 5, "value": true},
        {"name": "coats", "type": 4, "value": 3},
    ]));
    let args = check(&PAINT, &ok).expect("fits");
    assert_eq!(
        (args.text(&NAME), args.text(&COLOUR), args.flag(&LOUD)),
        (Some("Ann"), Some("red"), Some(true))
    );
    assert_eq!(args.integer(&COATS), Some(3));

    let refused = |options| check(&PAINT, &data(&options)).err();
    assert_eq!(
        refused(json!([{"name": "name", "type": 3, "value": "Ann"},
                       {"name": "colour", "type": 3, "value": "bogus"}])),
        Some(Refusal::NotAChoice {
            option: "colour",
            value: "bogus".into(),
            choices: COLOUR.choices
        })
    );
    assert_eq!(
        refused(json!([{"name": "name", "type": 3, "value": "Annabel"}])),
        Some(Refusal::TooLong {
            option: "name",
            len: 7,
            max: 5,
            says: None
        })
    );
    assert_eq!(
        refused(json!([{"name": "name", "type": 3, "value": "Ann"},
                       {"name": "coats", "type": 4, "value": 4}])),
        Some(Refusal::OutOfRange {
            option: "coats",
            value: 4,
            min: Some(1),
            max: Some(3)
        })
    );
    assert_eq!(
        refused(json!([{"name": "name", "type": 5, "value": true}])),
        Some(Refusal::WrongKind { option: "name" })
    );
    assert_eq!(
        refused(json!([{"name": "name", "type": 3, "value": "Ann"},
                       {"name": "size", "type": 3, "value": "xl"}])),
        Some(Refusal::Outdated)
    );
    assert_eq!(
        refused(json!([{"name": "colour", "type": 3, "value": "red"}])),
        Some(Refusal::Outdated),
        "the required name is missing"
    );
}

#[test]
fn a_declaration_registers_its_options_with_their_limits_and_choices() {
    let body = serde_json::to_value(PAINT.build()).expect("serialises");
    assert_eq!(body["name"], "paint");
    assert_eq!(body["contexts"], json!([0]));
    assert_eq!(body["options"][0]["required"], true);
    assert_eq!(body["options"][0]["max_length"], 5);
    assert_eq!(
        body["options"][1]["choices"],
        json!([{"name": "red", "value": "red"}, {"name": "blue", "value": "blue"}])
    );
    assert_eq!(body["options"][2]["type"], 5);
    assert_eq!(
        (
            &body["options"][3]["min_value"],
            &body["options"][3]["max_value"]
        ),
        (&json!(1), &json!(3))
    );
}
