//! Shared JSON helpers: exact numbers, quantities `{"value", "unit"}`, RFC 3339 times, and field paths.
//!
//! Numbers are read from their JSON text into `Decimal`, never through `f64`: serde_json is built with
//! `arbitrary_precision` (workspace-wide), so a number keeps the text that was sent (`72.30000000000000001`,
//! `1e2`, integers beyond 2^53); a number beyond `Decimal`'s range is refused naming the field, never rounded.

use std::cell::RefCell;
use std::collections::HashSet;

use il2care_core::Refusal;
use il2care_core::units::{Measure, Quantity};
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses a whole document's text, refusing text that is not a JSON object or that names a member twice.
pub fn parse_object(text: &str) -> Result<Map<String, Value>, Refusal> {
    let value: Value =
        serde_json::from_str(text).map_err(|error| Refusal::new("document", format!("is not valid JSON ({error})")))?;
    refuse_repeated_members(text)?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(Refusal::new("document", format!("must be a JSON object, not {}", kind(&other)))),
    }
}

/// Reads a typed document (a serde-derived request type) from its text in one pass, refusing it as a whole with
/// the path of the failing field (`answers.temperature.unit`): text that is not JSON (`document`), a member named
/// twice, an unknown member (`unknown field; expected one of: ...`), a missing one (`is required`), a value of
/// the wrong kind, and whatever a member type's own check refuses (see [`refuse`]).
pub fn document<'de, T: serde::Deserialize<'de>>(text: &'de str) -> Result<T, Refusal> {
    refuse_repeated_members(text)?;
    // A derived struct also reads a JSON list (its fields by position); a document is always an object.
    match text.trim_start_matches([' ', '\t', '\n', '\r']).chars().next() {
        Some('{') => {}
        None => return Err(Refusal::new("document", "is empty; send a JSON object")),
        Some(_) => {
            return match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => Err(Refusal::new("document", "must be a JSON object")),
                Err(error) => Err(Refusal::new("document", format!("is not valid JSON ({error})"))),
            };
        }
    }
    STASHED.with(|stashed| stashed.borrow_mut().take());
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let typed = serde_path_to_error::deserialize(&mut deserializer).map_err(refusal_of)?;
    deserializer.end().map_err(|error| Refusal::new("document", format!("is not valid JSON ({error})")))?;
    Ok(typed)
}

/// [`document`] for a document already read as JSON (a member of a larger one, a test's `json!`).
pub fn document_from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Refusal> {
    if !value.is_object() {
        return Err(Refusal::new("document", format!("must be a JSON object, not {}", kind(&value))));
    }
    STASHED.with(|stashed| stashed.borrow_mut().take());
    serde_path_to_error::deserialize(value).map_err(refusal_of)
}

/// Reads a member already taken out of its document as JSON (an element of a list read as a whole) by its
/// type, naming `field` and what is under it in a refusal.
pub fn document_member<T: serde::de::DeserializeOwned>(value: Value, field: &str) -> Result<T, Refusal> {
    STASHED.with(|stashed| stashed.borrow_mut().take());
    serde_path_to_error::deserialize(value).map_err(|error| {
        let refusal = refusal_of(error);
        match refusal.field.as_str() {
            "" | "document" => Refusal::new(field, refusal.reason),
            inner => Refusal::new(join(field, inner), refusal.reason),
        }
    })
}

std::thread_local! {
    /// The refusal a member type raised (its field relative to the member), waiting for [`refusal_of`] to put
    /// the member's path in front. Deserializing runs on one thread, start to end.
    static STASHED: RefCell<Option<Refusal>> = const { RefCell::new(None) };
}

/// Raises `refusal` from inside a `Deserialize` implementation, keeping its field and reason: [`document`]
/// answers with the field under the path of the value being read (`refuse(Refusal::new("unit", ...))` while
/// reading `answers.temperature` names `answers.temperature.unit`; an empty field names the value itself).
pub fn refuse<E: de::Error>(refusal: Refusal) -> E {
    let error = E::custom(&refusal.reason);
    STASHED.with(|stashed| *stashed.borrow_mut() = Some(refusal));
    error
}

/// Declares a member type read as JSON and checked by `json` helpers (field `""` is the member itself), its
/// refusal naming the member's path through [`refuse`].
macro_rules! member {
    ($(#[$doc:meta])* $vis:vis $name:ident($inner:ty), |$value:ident| $read:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq)]
        $vis struct $name(pub $inner);

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let $value = serde_json::Value::deserialize(deserializer)?;
                let read = move || -> Result<$inner, il2care_core::Refusal> { $read };
                read().map($name).map_err($crate::json::refuse)
            }
        }
    };
}
pub(crate) use member;

member!(
    /// `true` or `false`.
    pub Flag(bool),
    |value| boolean(&value, "")
);
member!(
    /// A whole number >= 0.
    pub Count(u32),
    |value| count(&value, "")
);
member!(
    /// A list (its elements read one by one, each naming its index).
    pub List(Vec<Value>),
    |value| match value {
        Value::Array(list) => Ok(list),
        other => Err(Refusal::new("", format!("must be a list, not {}", kind(&other)))),
    }
);
member!(
    /// A string.
    pub Text(String),
    |value| match value {
        Value::String(text) => Ok(text),
        other => Err(Refusal::new("", format!("must be a string, not {}", kind(&other)))),
    }
);

/// A member that must be a JSON object: a derived struct alone also reads a list (its fields by position).
#[derive(Debug)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Obj<T>, D::Error> {
        struct Members<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Members<T> {
            type Value = T;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, members: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(members))
            }
        }

        deserializer.deserialize_map(Members(std::marker::PhantomData)).map(Obj)
    }
}

/// A serde error with its path as a refusal naming the field.
fn refusal_of(error: serde_path_to_error::Error<serde_json::Error>) -> Refusal {
    let stashed = STASHED.with(|stashed| stashed.borrow_mut().take());
    let path = match error.path().to_string() {
        root if root == "." => String::new(),
        path => path,
    };
    let error = error.into_inner();
    if !error.is_data() {
        return Refusal::new("document", format!("is not valid JSON ({error})"));
    }
    let at = |field: &str| match (path.is_empty(), field.is_empty()) {
        (_, true) => path.clone(),
        (true, false) => field.to_string(),
        (false, false) => format!("{path}.{field}"),
    };
    if let Some(refusal) = stashed {
        return Refusal::new(at(&refusal.field), refusal.reason);
    }
    let message = error.to_string();
    let message = match message.rfind(" at line ") {
        Some(position) => &message[..position],
        None => &message,
    };
    // serde's own words for a member that is not allowed or is missing name it in backquotes.
    let named = |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next());
    if let Some(name) = named("unknown field `") {
        // serde writes `a`, `b` or `c` (and `a` or `b`); a refusal lists them as a, b, c.
        let expected = message.split_once(", expected ").map_or("", |(_, list)| list);
        let expected = expected.split('`').skip(1).step_by(2).collect::<Vec<_>>().join(", ");
        // The path already ends at the unknown member (it was read as a key). A member named "" is named as
        // written, `""`: an empty field would name nothing.
        let field = if name.is_empty() {
            join(path.strip_suffix('.').unwrap_or(&path), "\"\"")
        } else if path == name || path.ends_with(&format!(".{name}")) {
            path.clone()
        } else {
            at(name)
        };
        return Refusal::new(field, format!("unknown field; expected one of: {expected}"));
    }
    if let Some(name) = named("missing field `") {
        return Refusal::new(at(name), "is required");
    }
    let field = at("");
    let field = if field.is_empty() { "document".to_string() } else { field };
    // serde's "invalid type: sequence, expected an object" in the words of the `json.rs` helpers.
    if let Some((given, expected)) =
        message.strip_prefix("invalid type: ").and_then(|rest| rest.split_once(", expected "))
    {
        let given = match given.split([' ', '`']).next().unwrap_or(given) {
            "sequence" => "a list",
            "map" => "an object",
            "string" => "a string",
            "boolean" => "a true/false value",
            "integer" | "floating" | "number" => "a number",
            "null" | "unit" => "null",
            _ => given,
        };
        return Refusal::new(field, format!("must be {expected}, not {given}"));
    }
    Refusal::new(field, message)
}

/// Refuses JSON text in which an object names a member twice (`{"value": 38, "value": 41}`), naming the
/// member. A parser keeps one of the two silently (serde_json the last, others the first), so a document that
/// one reader validates could mean something else to the next. Text that is not JSON passes: parsing says so.
///
/// The walk allocates nothing for a document without repeats: member names are borrowed from the text where
/// they hold no escapes, and the path is a chain of stack frames, written out only for the refusal.
pub fn refuse_repeated_members(text: &str) -> Result<(), Refusal> {
    let repeated = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let walked = UniqueMembers { at: &Segment::Root, repeated: &repeated }.deserialize(&mut deserializer);
    match (walked, repeated.into_inner()) {
        (Err(_), Some(path)) => Err(Refusal::new(path, "appears twice in one object; send each field once")),
        _ => Ok(()),
    }
}

/// Where the walk is: a chain from the member or element back to the document.
enum Segment<'p> {
    Root,
    Member(&'p Segment<'p>, &'p str),
    Element(&'p Segment<'p>, usize),
}

impl Segment<'_> {
    /// The path as refusals name fields: `entry[3].resource.code`.
    fn path(&self) -> String {
        match self {
            Segment::Root => String::new(),
            Segment::Member(parent, name) => join(&parent.path(), name),
            Segment::Element(parent, index) => format!("{}[{index}]", parent.path()),
        }
    }
}

/// Walks a JSON value, remembering the path of the first member named twice in one object.
struct UniqueMembers<'a, 'p> {
    at: &'p Segment<'p>,
    repeated: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for UniqueMembers<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// A member name, borrowed from the text unless it holds escapes.
struct Name;

impl<'de> DeserializeSeed<'de> for Name {
    type Value = std::borrow::Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name {
    type Value = std::borrow::Cow<'de, str>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a member name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Borrowed(name))
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(std::borrow::Cow::Owned(name.to_string()))
    }
}

/// Objects up to this many members are checked by comparing names; larger ones through a hash set, so a
/// hostile object with many members costs linear time.
const SMALL_OBJECT: usize = 32;

impl<'de> Visitor<'de> for UniqueMembers<'_, '_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut list: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            let at = Segment::Element(self.at, index);
            if list.next_element_seed(UniqueMembers { at: &at, repeated: self.repeated })?.is_none() {
                return Ok(());
            }
            index += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut object: A) -> Result<(), A::Error> {
        let mut names: Vec<std::borrow::Cow<'de, str>> = Vec::new();
        let mut many: HashSet<std::borrow::Cow<'de, str>> = HashSet::new();
        while let Some(name) = object.next_key_seed(Name)? {
            let repeated = if names.len() < SMALL_OBJECT {
                names.contains(&name)
            } else {
                if many.is_empty() {
                    many.extend(names.iter().cloned());
                }
                many.contains(&name)
            };
            if repeated {
                *self.repeated.borrow_mut() = Some(Segment::Member(self.at, &name).path());
                return Err(de::Error::custom("a member named twice"));
            }
            {
                let at = Segment::Member(self.at, &name);
                object.next_value_seed(UniqueMembers { at: &at, repeated: self.repeated })?;
            }
            if names.len() < SMALL_OBJECT {
                names.push(name);
            } else {
                many.insert(name);
            }
        }
        Ok(())
    }
}

/// The JSON kind of a value, for messages ("a string", "a number").
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a true/false value",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Refuses any member of `object` whose name is not in `allowed`, so that a misspelt field is never ignored.
pub fn refuse_unknown_fields(object: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), Refusal> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => {
            // A member named "" is named as written: an empty field would name nothing.
            let name = if key.is_empty() { "\"\"" } else { key.as_str() };
            Err(Refusal::new(join(path, name), format!("unknown field; expected one of: {}", allowed.join(", "))))
        }
        None => Ok(()),
    }
}

/// `parent.child`, or `child` at the top level.
pub fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() { child.to_string() } else { format!("{parent}.{child}") }
}

/// A required member.
pub fn required<'a>(object: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value, Refusal> {
    match object.get(key) {
        Some(Value::Null) | None => Err(Refusal::new(join(path, key), "is required")),
        Some(value) => Ok(value),
    }
}

/// An exact decimal from a JSON number; anything else is refused.
pub fn decimal(value: &Value, field: &str) -> Result<Decimal, Refusal> {
    match value {
        Value::Number(number) => {
            let text = number.to_string();
            text.parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(&text))
                .map_err(|_| Refusal::new(field, format!("the number {text} is out of range")))
        }
        other => Err(Refusal::new(field, format!("must be a number, not {}", kind(other)))),
    }
}

/// A whole number >= 0.
pub fn count(value: &Value, field: &str) -> Result<u32, Refusal> {
    let number = decimal(value, field)?;
    if number.is_sign_negative() && !number.is_zero() {
        return Err(Refusal::new(field, format!("must not be negative (got {number})")));
    }
    if !number.fract().is_zero() {
        return Err(Refusal::new(field, format!("must be a whole number (got {number})")));
    }
    u32::try_from(number.normalize().mantissa()).map_err(|_| Refusal::new(field, format!("is too large ({number})")))
}

/// A string.
pub fn string<'a>(value: &'a Value, field: &str) -> Result<&'a str, Refusal> {
    value.as_str().ok_or_else(|| Refusal::new(field, format!("must be a string, not {}", kind(value))))
}

/// A `true`/`false` value.
pub fn boolean(value: &Value, field: &str) -> Result<bool, Refusal> {
    value.as_bool().ok_or_else(|| Refusal::new(field, format!("must be true or false, not {}", kind(value))))
}

/// A quantity `{"value": number, "unit": "UCUM"}`. A bare number is refused: a number needs its unit.
pub fn quantity(value: &Value, field: &str) -> Result<Quantity, Refusal> {
    let object = match value {
        Value::Object(object) => object,
        Value::Number(number) => {
            return Err(Refusal::new(
                field,
                format!(
                    "a number without a unit ({number}) is not accepted; write {{\"value\": {number}, \"unit\": \"...\"}}"
                ),
            ));
        }
        other => {
            return Err(Refusal::new(
                field,
                format!("must be a quantity {{\"value\", \"unit\"}}, not {}", kind(other)),
            ));
        }
    };
    refuse_unknown_fields(object, &["value", "unit"], field)?;
    let number = decimal(required(object, "value", field)?, &join(field, "value"))?;
    let unit = match object.get("unit") {
        None | Some(Value::Null) => {
            return Err(Refusal::new(join(field, "unit"), "is missing: a number without a unit is not accepted"));
        }
        Some(unit) => string(unit, &join(field, "unit"))?,
    };
    Quantity::new(number, unit).map_err(|error| Refusal::new(join(field, "unit"), error.to_string()))
}

/// A typed quantity: the unit must fit (`kg` for a weight, not `cm`).
pub fn measure<M: Measure>(value: &Value, field: &str) -> Result<M, Refusal> {
    let given = quantity(value, field)?;
    M::from_quantity(given).map_err(|error| Refusal::new(field, error.to_string()))
}

/// A typed quantity that must lie within `[low, high]` in its canonical unit; outside is refused, never clamped.
pub fn plausible<M: Measure>(value: &Value, field: &str, low: M, high: M) -> Result<M, Refusal> {
    let measured: M = measure(value, field)?;
    within(measured, quantity(value, field)?, field, low, high)
}

/// `measured` (sent as `given`) if it lies within `[low, high]`; outside is refused, never clamped.
pub fn within<M: Measure>(measured: M, given: Quantity, field: &str, low: M, high: M) -> Result<M, Refusal> {
    if measured < low || measured > high {
        return Err(Refusal::new(
            field,
            format!(
                "{given} is outside the plausible range {} to {} {}",
                low.canonical().normalize(),
                high.canonical().normalize(),
                M::CANONICAL
            ),
        ));
    }
    Ok(measured)
}

/// An RFC 3339 time with an offset (`2026-11-27T16:00:00Z`, `2026-11-27T08:30:00-05:00`).
pub fn timestamp(value: &Value, field: &str) -> Result<Timestamp, Refusal> {
    let text = string(value, field)?;
    text.parse::<Timestamp>().map_err(|_| {
        Refusal::new(field, format!("`{text}` is not an RFC 3339 time with an offset, such as 2026-11-27T16:00:00Z"))
    })
}

/// A decimal as a JSON number (exact for every value il2care prints: at most 28 significant digits).
pub fn number(value: Decimal) -> Value {
    let text = value.normalize().to_string();
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// A quantity as `{"value", "unit"}`.
pub fn quantity_json(quantity: Quantity) -> Value {
    serde_json::json!({"value": number(quantity.value), "unit": quantity.unit.ucum()})
}

/// How far ahead of `now` a recorded time may be: the clocks of phones and ward computers drift.
pub const CLOCK_SLACK: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// Refuses a recorded time `at` later than `now` and the [`CLOCK_SLACK`]: `field` "is in the future; `then`"
/// (what a record of the past is, in words: "a screening is recorded when it is done").
pub fn not_in_the_future(at: Timestamp, now: Timestamp, field: &str, then: &str) -> Result<(), Refusal> {
    if at > now + CLOCK_SLACK {
        return Err(Refusal::new(field, format!("is in the future; {then}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use il2care_core::units::{Celsius, Kilograms};
    use rust_decimal_macros::dec;
    use serde_json::json;

    use super::*;

    #[test]
    fn quantities_need_a_known_unit_and_name_the_field() {
        let refused = |value: Value| quantity(&value, "weight").unwrap_err();
        assert_eq!(refused(json!(80)).field, "weight");
        assert!(refused(json!(80)).reason.contains("without a unit"));
        assert_eq!(refused(json!({"value": 80})).field, "weight.unit");
        assert_eq!(refused(json!({"value": 80, "unit": "stone"})).field, "weight.unit");
        assert_eq!(refused(json!({"value": "80", "unit": "kg"})).field, "weight.value");
        assert_eq!(refused(json!({"value": 80, "unit": "kg", "extra": 1})).field, "weight.extra");
        assert_eq!(refused(json!({"value": 80, "unit": "kg", "": 1})).field, r#"weight."""#);
        let unnamed = refuse_unknown_fields(json!({"": 1}).as_object().unwrap(), &["a"], "").unwrap_err();
        assert_eq!(unnamed.field, r#""""#, "a member named \"\" at the top is named as written");
        let weight: Kilograms = measure(&json!({"value": 176, "unit": "[lb_av]"}), "weight").unwrap();
        assert_eq!(weight.value(), dec!(79.83225712));
    }

    #[test]
    fn a_member_named_twice_is_refused_naming_it_wherever_it_is() {
        let refused = |text: &str| parse_object(text).unwrap_err().field;
        assert_eq!(refused(r#"{"at": "x", "at": "y"}"#), "at");
        assert_eq!(
            refused(r#"{"answers": {"temperature": {"value": 38, "unit": "Cel", "value": 41}}}"#),
            "answers.temperature.value"
        );
        assert_eq!(refused(r#"{"observations": [{"code": "a"}, {"code": "b", "code": "c"}]}"#), "observations[1].code");
        assert!(
            parse_object(r#"{"a": {"b": 1}, "c": {"b": 2}, "d": [{"b": 3}, {"b": 4}]}"#).is_ok(),
            "one name in two objects"
        );
        assert_eq!(refused("{not json"), "document");
        // An escaped name is the same name; a large object is checked as surely as a small one.
        assert_eq!(refused(r#"{"unit": "kg", "\u0075nit": "lb"}"#), "unit");
        let many: Vec<String> = (0..100).map(|n| format!(r#""m{n}": {n}"#)).collect();
        assert!(parse_object(&format!("{{{}}}", many.join(", "))).is_ok());
        assert_eq!(refused(&format!(r#"{{{}, "m7": 0}}"#, many.join(", "))), "m7");
        assert_eq!(refused(&format!(r#"{{{}, "m99": 0}}"#, many.join(", "))), "m99");
    }

    #[test]
    fn json_numbers_become_exact_decimals() {
        assert_eq!(decimal(&json!(100.4), "t").unwrap(), dec!(100.4));
        assert_eq!(decimal(&json!(2.96), "t").unwrap(), dec!(2.96));
        assert_eq!(decimal(&json!(0.1), "t").unwrap(), dec!(0.1));
        assert!(decimal(&json!(1e300), "t").is_err());
        assert_eq!(count(&json!(3), "n").unwrap(), 3);
        assert!(count(&json!(-1), "n").unwrap_err().reason.contains("negative"));
        assert!(count(&json!(1.5), "n").unwrap_err().reason.contains("whole"));
    }

    #[test]
    fn plausibility_is_checked_in_the_canonical_unit() {
        let low = Celsius::new(dec!(25)).unwrap();
        let high = Celsius::new(dec!(45)).unwrap();
        let refused = plausible(&json!({"value": 60, "unit": "Cel"}), "temperature", low, high).unwrap_err();
        assert_eq!(refused.field, "temperature");
        assert!(refused.reason.contains("outside the plausible range 25 to 45 Cel"), "{}", refused.reason);
        assert!(plausible(&json!({"value": 100.4, "unit": "[degF]"}), "temperature", low, high).is_ok());
    }
}
