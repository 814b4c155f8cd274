//! FHIR R4 import: reads a Bundle (`transaction`, `collection` or `batch`) into an [`ImportPlan`] of records
//! ready to store (patients, courses, observations, doses, lasting flags) and one [`Issue`] per resource that
//! cannot be taken, naming the entry, for the OperationOutcome.
//!
//! Observation values are validated exactly as the assessment document validates them: each FHIR Observation
//! becomes an il2care observation document checked by [`validate_observations`], so units and plausible
//! ranges live in one place. No IO and no clock: the caller passes the latest acceptable time and stores the plan.

use std::borrow::Cow;
use std::collections::HashMap;

use il2care_core::assessment::inputs::ObservationCode;
use il2care_core::regimens::regimen;
use il2care_core::units::{Creatinine, Kilograms};
use jiff::Timestamp;
use rust_decimal_macros::dec;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::codes;
use crate::assessment::validate_observations;
use crate::json;

/// How the Bundle is to be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleKind {
    /// All or nothing: one bad resource and nothing is stored.
    Transaction,
    /// Each valid resource is stored; the bad ones are reported.
    Collection,
    /// As a collection, answered with a `batch-response` Bundle.
    Batch,
}

/// The MRN identifier system il2care assumes when the site configures none: the one il2care exports.
pub const DEFAULT_MRN_SYSTEM: &str = codes::IL2CARE_MRN;

/// Site settings an import needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// The identifier system of the site's medical record numbers (`il2care serve --mrn-system`).
    pub mrn_system: String,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions { mrn_system: DEFAULT_MRN_SYSTEM.to_string() }
    }
}

/// A resource that could not be taken (or, with `severity` information/warning, a note about one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// `error`, `warning` or `information`.
    pub severity: &'static str,
    /// A FHIR issue-type code: `invalid`, `code-invalid`, `value`, `not-found`, `not-supported`, `required`.
    pub code: &'static str,
    pub diagnostics: String,
    /// FHIRPath of the offending element, such as `Bundle.entry[2].resource.valueQuantity`.
    pub expression: String,
}

impl Issue {
    fn error(code: &'static str, expression: impl Into<String>, diagnostics: impl Into<String>) -> Issue {
        Issue { severity: "error", code, diagnostics: diagnostics.into(), expression: expression.into() }
    }
}

/// Who a resource belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatientRef {
    /// The Patient of this Bundle entry.
    Entry(usize),
    /// A patient already in the record (`Patient/{id}`).
    Stored(i64),
}

/// Which course a dose belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CourseRef {
    /// The MedicationRequest of this Bundle entry.
    Entry(usize),
    /// A course already in the record (`MedicationRequest/{id}`).
    Stored(i64),
    /// No order named: the patient's latest course started at or before the dose.
    Latest,
}

/// A patient to create (or to match by MRN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPatient {
    pub mrn: String,
    pub name: String,
    /// `name[0].family` when given, for the cross-check against a stored patient with the same MRN.
    pub family: Option<String>,
    pub date_of_birth: String,
    pub sex: String,
    pub time_zone: String,
}

/// A course to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCourse {
    pub patient: PatientRef,
    pub regimen: String,
    pub rule_set: String,
    pub started_at_ms: i64,
    pub baseline_weight_kg: Option<String>,
    pub baseline_creatinine_mg_dl: Option<String>,
}

/// One validated il2care observation document with its idempotency key.
#[derive(Clone, Debug, PartialEq)]
pub struct NewObservation {
    /// The key that makes a second import of the same Observation store nothing: an il2care client id as
    /// given, another identifier as `system|value`; `None` when the Observation has no identifier (it is then
    /// matched on patient, code, time and value).
    pub client_id: Option<String>,
    pub code: String,
    /// Decimal text as given.
    pub value: String,
    pub unit: String,
    pub at_ms: i64,
    pub start_ms: Option<i64>,
    /// The il2care observation document as JSON text (kept as text: a large Bundle's plan stays small).
    pub document: String,
}

/// A dose given or held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDose {
    pub patient: PatientRef,
    pub course: CourseRef,
    /// `given` or `held`.
    pub status: &'static str,
    pub at_ms: i64,
    pub override_reason: Option<String>,
}

/// A low-dose injection from an il2care injection log: the log's own document (`status`, `at`, `slot`,
/// `dose_level`, `site`, `skip_reason`, `note`), checked against the course and the log when it is stored, by
/// the same rules as `POST /api/v1/patients/{id}/injections`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewInjection {
    pub patient: PatientRef,
    pub course: CourseRef,
    pub at_ms: i64,
    /// Without `course_id`, which is known only when the course is stored.
    pub document: Map<String, Value>,
}

/// What one Bundle entry becomes.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Patient(NewPatient),
    Course(NewCourse),
    /// One Observation, or the two pressures of a blood-pressure panel.
    Observations {
        patient: PatientRef,
        observations: Vec<NewObservation>,
    },
    Dose(NewDose),
    Injection(NewInjection),
    Flag {
        patient: PatientRef,
        code: String,
        at_ms: i64,
    },
}

/// One entry that can be stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub entry: usize,
    pub resource_type: String,
    pub item: Item,
}

/// The Bundle read: what can be stored and what cannot.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPlan {
    pub kind: BundleKind,
    /// How many entries the Bundle has (each gets a response entry in a transaction or batch response).
    pub entries: usize,
    pub items: Vec<Planned>,
    pub issues: Vec<Issue>,
}

impl ImportPlan {
    /// Whether any resource was refused.
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|issue| issue.severity == "error")
    }
}

/// The OperationOutcome of `issues` (with an information issue when there are none: FHIR needs one).
pub fn operation_outcome(issues: &[Issue]) -> Value {
    let mut list: Vec<Value> = issues
        .iter()
        .map(|issue| {
            json!({"severity": issue.severity, "code": issue.code, "diagnostics": issue.diagnostics,
                   "expression": [issue.expression]})
        })
        .collect();
    if list.is_empty() {
        list.push(json!({"severity": "information", "code": "informational", "diagnostics": "all resources imported"}));
    }
    super::export::prune(json!({"resourceType": "OperationOutcome", "issue": list}))
}

/// [`operation_outcome`], taking the issues: their text moves into the answer instead of being copied (the
/// outcome of a large import holds one issue per entry).
pub fn operation_outcome_of(issues: Vec<Issue>) -> Value {
    if issues.is_empty() {
        return operation_outcome(&[]);
    }
    let list: Vec<Value> = issues
        .into_iter()
        .map(|issue| {
            let mut object = Map::new();
            object.insert("severity".into(), Value::String(issue.severity.into()));
            object.insert("code".into(), Value::String(issue.code.into()));
            object.insert("diagnostics".into(), Value::String(issue.diagnostics));
            object.insert("expression".into(), Value::Array(vec![Value::String(issue.expression)]));
            Value::Object(object)
        })
        .collect();
    super::export::prune(json!({"resourceType": "OperationOutcome", "issue": list}))
}

/// A whole Bundle refused before any entry is read (not JSON, not a Bundle, an unknown type).
pub fn refused_bundle(diagnostics: impl Into<String>) -> Value {
    operation_outcome(&[Issue::error("invalid", "Bundle", diagnostics)])
}

/// Reads a Bundle's text with the default site settings. `Err` is the OperationOutcome of a Bundle refused
/// as a whole.
pub fn plan(text: &str, latest: Timestamp) -> Result<ImportPlan, Value> {
    plan_with(text, latest, &ImportOptions::default())
}

/// The Bundle as far as it is read before its entries: the entries stay text until each is read, so a large
/// Bundle is never held as one tree of values (memory stays near the size of the text).
#[derive(Deserialize)]
struct BundleHead<'a> {
    #[serde(rename = "resourceType")]
    resource_type: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    #[serde(borrow)]
    entry: Option<&'a RawValue>,
}

/// What the reference index needs of an entry.
#[derive(Deserialize, Default)]
struct EntryHead<'a> {
    #[serde(rename = "fullUrl", borrow)]
    full_url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resource: Option<ResourceHead<'a>>,
}

#[derive(Deserialize, Default)]
struct ResourceHead<'a> {
    #[serde(rename = "resourceType", borrow)]
    resource_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
}

/// Reads a Bundle's text; `latest` is the latest time a resource may carry (now, plus clock skew). `Err` is
/// the OperationOutcome of a Bundle refused as a whole. One pass builds the reference index from each entry's
/// `fullUrl` and `Type/id` ([`BundleEntries::read`]), a second reads each entry in turn.
pub fn plan_with(text: &str, latest: Timestamp, options: &ImportOptions) -> Result<ImportPlan, Value> {
    let bundle = BundleEntries::read(text, latest, options)?;
    let mut text = text;
    plan_entries(bundle.kind, bundle.spans.len(), &bundle.index, latest, options, |position| {
        bundle.entry(&mut text, position).map(Cow::Owned)
    })
}

/// The Bundle's text as its entries are read, after [`BundleEntries::read`] has gone through it once: the text
/// itself, or a copy read again a span at a time (a file, so that a bulk export's text is not held while its
/// entries are stored).
pub trait Reread {
    /// Bytes `start..end` of the text [`BundleEntries::read`] went through (they begin and end an entry);
    /// `Err` says why they could not be read.
    fn span(&mut self, start: usize, end: usize) -> Result<Cow<'_, str>, String>;
}

impl Reread for &str {
    fn span(&mut self, start: usize, end: usize) -> Result<Cow<'_, str>, String> {
        span_of(self, start, end)
    }
}

/// Text held until the entries are stored (and dropped with the plan).
impl Reread for Cow<'_, str> {
    fn span(&mut self, start: usize, end: usize) -> Result<Cow<'_, str>, String> {
        span_of(self, start, end)
    }
}

fn span_of(text: &str, start: usize, end: usize) -> Result<Cow<'_, str>, String> {
    text.get(start..end).map(Cow::Borrowed).ok_or_else(|| format!("bytes {start}..{end} are not in the text"))
}

/// A Bundle's text read as far as its type, where each entry is, and its entries' reference index; each entry
/// is read later, from the text or a copy of it ([`Reread`], by [`ChunkedPlan`]). Nothing here borrows the
/// text.
pub struct BundleEntries {
    kind: BundleKind,
    /// Where each entry's text is: its first byte and its length.
    spans: Vec<(usize, usize)>,
    /// Each entry's fingerprint, when the entries are read again from a copy ([`BundleEntries::read_to_reread`]):
    /// a copy that changed since is refused instead of stored.
    fingerprints: Vec<u64>,
    index: EntryIndex,
    latest: Timestamp,
    options: ImportOptions,
}

impl BundleEntries {
    /// Reads a Bundle's text up to its entries; `Err` is the OperationOutcome of a Bundle refused as a whole
    /// (as [`plan_with`] answers it). One pass builds the reference index from each entry's `fullUrl` and
    /// `Type/id`.
    pub fn read(text: &str, latest: Timestamp, options: &ImportOptions) -> Result<BundleEntries, Value> {
        BundleEntries::read_index(text, latest, options).map(|(_, bundle)| bundle)
    }

    /// [`BundleEntries::read`], for entries read later from a copy of the text (its file): each entry's
    /// fingerprint is kept, and an entry whose copy differs refuses the import.
    pub fn read_to_reread(text: &str, latest: Timestamp, options: &ImportOptions) -> Result<BundleEntries, Value> {
        let (entries, mut bundle) = BundleEntries::read_index(text, latest, options)?;
        bundle.fingerprints = entries.iter().map(|raw| fingerprint(raw.get())).collect();
        Ok(bundle)
    }

    fn read_index<'t>(
        text: &'t str,
        latest: Timestamp,
        options: &ImportOptions,
    ) -> Result<(Vec<&'t RawValue>, BundleEntries), Value> {
        // A large Bundle is checked for repeated members on a second core while its index is read; a repeat
        // is answered first, as when the two are done in turn.
        let (repeated, read) = if text.len() < PARALLEL_FROM_BYTES {
            (json::refuse_repeated_members(text), BundleEntries::read_entries(text, latest, options))
        } else {
            std::thread::scope(|scope| {
                let repeated = scope.spawn(|| json::refuse_repeated_members(text));
                let read = BundleEntries::read_entries(text, latest, options);
                let repeated = repeated.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (repeated, read)
            })
        };
        repeated.map_err(|refusal| {
            operation_outcome(&[Issue::error("invalid", json::join("Bundle", &refusal.field), refusal.reason)])
        })?;
        read
    }

    /// [`BundleEntries::read_index`] but for the check of repeated members.
    fn read_entries<'t>(
        text: &'t str,
        latest: Timestamp,
        options: &ImportOptions,
    ) -> Result<(Vec<&'t RawValue>, BundleEntries), Value> {
        let head: BundleHead =
            serde_json::from_str(text).map_err(|error| refused_bundle(format!("not JSON: {error}")))?;
        let kind = bundle_kind(head.resource_type.as_ref(), head.kind.as_ref())?;
        let entries: Vec<&RawValue> = match head.entry {
            None => Vec::new(),
            Some(raw) => serde_json::from_str(raw.get()).map_err(|_| refused_bundle("Bundle.entry must be a list"))?,
        };
        // Each entry's head is read as the index takes it (the heads of a bulk export are never held at once).
        let heads = entries.iter().map(|raw| match serde_json::from_str::<EntryHead>(raw.get()) {
            Ok(head) => Ok(head),
            // An entry whose fullUrl or resource is of the wrong kind: read it whole, as the second pass will.
            Err(_) => serde_json::from_str::<Value>(raw.get()).map(|entry| owned_head(&entry)).map_err(not_json),
        });
        let index = EntryIndex::new(heads)?;
        let bundle = BundleEntries {
            kind,
            spans: entries.iter().map(|raw| span_in(text, raw.get())).collect(),
            fingerprints: Vec::new(),
            index,
            latest,
            options: options.clone(),
        };
        Ok((entries, bundle))
    }

    /// How the Bundle is to be taken.
    pub fn kind(&self) -> BundleKind {
        self.kind
    }

    /// How many entries the Bundle has.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the Bundle has no entries.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Entry `position`, read from `text`.
    fn entry(&self, text: &mut impl Reread, position: usize) -> Result<Value, Value> {
        let (start, length) = self.spans[position];
        let span = text.span(start, start + length).map_err(not_read_again)?;
        self.parse(position, &span)
    }

    /// Entry `position` from its text, refused when it is not the text first read.
    fn parse(&self, position: usize, text: &str) -> Result<Value, Value> {
        if let Some(expected) = self.fingerprints.get(position)
            && fingerprint(text) != *expected
        {
            return Err(refused_bundle(format!(
                "Bundle.entry[{position}] changed while the Bundle was being imported; nothing was stored"
            )));
        }
        serde_json::from_str::<Value>(text).map_err(not_json)
    }

    fn read_entry(&self, text: &mut impl Reread, position: usize) -> Result<Read, Value> {
        let entry = self.entry(text, position)?;
        Ok(read_entry(self.kind, position, &entry, &self.index, self.latest, &self.options))
    }

    /// Whether an entry holds what other entries refer to (a Patient or a MedicationRequest).
    fn is_referred_to(&self, position: usize) -> bool {
        self.index.types.get(position).is_some_and(|kind| *kind != Referable::No)
    }
}

/// The size of Bundle text from which its first pass uses a second core ([`BundleEntries::read`]).
const PARALLEL_FROM_BYTES: usize = 1 << 20;

/// Where `part` (a slice of `text`) is in `text`: its first byte and its length.
fn span_in(text: &str, part: &str) -> (usize, usize) {
    let start = (part.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    debug_assert!(text.get(start..start + part.len()) == Some(part), "an entry's text lies in the Bundle's");
    (start, part.len())
}

/// An entry's fingerprint: tells a copy that changed from the text first read (not a cryptographic hash; the
/// copy is the user's own file).
fn fingerprint(text: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(text.as_bytes());
    hasher.finish()
}

fn not_read_again(reason: String) -> Value {
    refused_bundle(format!("the Bundle could not be read again ({reason}); nothing was stored"))
}

fn not_json(error: serde_json::Error) -> Value {
    refused_bundle(format!("not JSON: {error}"))
}

/// A Bundle's plan read a chunk at a time, so a large Bundle's plan is never held whole: first the entries
/// others refer to (its Patients and MedicationRequests, [`ChunkedPlan::referred_to`]), then the rest in entry
/// order ([`ChunkedPlan::next_chunk`]). Together the items are those of [`plan_with`], in the order its caller
/// stores them (Patients, then courses, then the rest by entry), and [`ChunkedPlan::issues`] are its issues in
/// its order.
pub struct ChunkedPlan<R> {
    bundle: BundleEntries,
    /// The text the entries are read from.
    text: R,
    /// The Patient and MedicationRequest entries read as items, before dependents are dropped (sorted).
    read_heads: Vec<usize>,
    /// The same once a course whose patient entry was refused is dropped (sorted).
    kept_heads: Vec<usize>,
    /// Issues of entries that could not be read, by entry.
    read_issues: Vec<(usize, Issue)>,
    /// Items dropped because an entry they refer to was refused ([`drop_dependents`]' first round), by entry.
    first_round: Vec<(usize, Issue)>,
    /// Items dropped because the course they refer to was dropped in the first round, by entry.
    second_round: Vec<(usize, Issue)>,
    /// The next entry [`ChunkedPlan::next_chunk`] reads.
    next: usize,
    /// How many entries are Patients or MedicationRequests.
    referred_to: usize,
}

impl<R: Reread> ChunkedPlan<R> {
    /// Reads the Bundle's Patients and MedicationRequests from `text`: the plan, and their items (Patients
    /// first, then courses, each by entry). `Err` is the OperationOutcome of a Bundle refused as a whole.
    pub fn new(bundle: BundleEntries, text: R) -> Result<(ChunkedPlan<R>, Vec<Planned>), Value> {
        let mut plan = ChunkedPlan {
            bundle,
            text,
            read_heads: Vec::new(),
            kept_heads: Vec::new(),
            read_issues: Vec::new(),
            first_round: Vec::new(),
            second_round: Vec::new(),
            next: 0,
            referred_to: 0,
        };
        let mut items = Vec::new();
        for position in (0..plan.bundle.len()).filter(|position| plan.bundle.is_referred_to(*position)) {
            plan.referred_to += 1;
            match plan.bundle.read_entry(&mut plan.text, position)? {
                Read::Item(planned) => items.push(planned),
                Read::Issue(issue) => plan.read_issues.push((position, issue)),
            }
        }
        plan.read_heads = items.iter().map(|planned| planned.entry).collect();
        // A course refers to a patient only, and patients are never dropped: one round settles the heads.
        items.retain(|planned| match missing_entry(&planned.item, &plan.read_heads) {
            Some(missing) => {
                plan.first_round.push((planned.entry, dependent_issue(planned.entry, missing)));
                false
            }
            None => true,
        });
        plan.kept_heads = items.iter().map(|planned| planned.entry).collect();
        items.sort_by_key(|planned| (!matches!(planned.item, Item::Patient(_)), planned.entry));
        Ok((plan, items))
    }

    /// How the Bundle is to be taken.
    pub fn kind(&self) -> BundleKind {
        self.bundle.kind
    }

    /// How many entries the Bundle has.
    pub fn entries(&self) -> usize {
        self.bundle.len()
    }

    /// How many entries are Patients or MedicationRequests (read by [`ChunkedPlan::new`]).
    pub fn referred_to(&self) -> usize {
        self.referred_to
    }

    /// The items of the next `count` entries that are not Patients or MedicationRequests (by entry), with how
    /// many of those entries were read; `None` once every entry is read.
    pub fn next_chunk(&mut self, count: usize) -> Result<Option<(Vec<Planned>, usize)>, Value> {
        if self.next >= self.bundle.len() {
            return Ok(None);
        }
        let end = self.bundle.len().min(self.next.saturating_add(count.max(1)));
        let mut items = Vec::with_capacity(end - self.next);
        let mut read = 0;
        // The chunk's entries are read in one span, from the first one's start to the last one's end.
        let first = self.bundle.spans[self.next].0;
        let last = self.bundle.spans[end - 1];
        let span = self.text.span(first, last.0 + last.1).map_err(not_read_again)?;
        for position in self.next..end {
            if self.bundle.is_referred_to(position) {
                continue;
            }
            read += 1;
            let (start, length) = self.bundle.spans[position];
            let entry = span
                .get(start - first..start - first + length)
                .ok_or_else(|| not_read_again(format!("Bundle.entry[{position}] is not where it was")))?;
            let entry = self.bundle.parse(position, entry)?;
            let bundle = &self.bundle;
            match read_entry(bundle.kind, position, &entry, &bundle.index, bundle.latest, &bundle.options) {
                Read::Issue(issue) => self.read_issues.push((position, issue)),
                Read::Item(planned) => {
                    if let Some(missing) = missing_entry(&planned.item, &self.read_heads) {
                        self.first_round.push((position, dependent_issue(position, missing)));
                    } else if let Some(missing) = missing_entry(&planned.item, &self.kept_heads) {
                        self.second_round.push((position, dependent_issue(position, missing)));
                    } else {
                        items.push(planned);
                    }
                }
            }
        }
        self.next = end;
        Ok(Some((items, read)))
    }

    /// Whether any entry read so far was refused.
    pub fn has_errors(&self) -> bool {
        [&self.read_issues, &self.first_round, &self.second_round]
            .iter()
            .any(|issues| issues.iter().any(|(_, issue)| issue.severity == "error"))
    }

    /// The issues of the entries read, in the order [`plan_with`] gives them.
    pub fn issues(&self) -> Vec<Issue> {
        let mut issues = Vec::new();
        for list in [&self.read_issues, &self.first_round, &self.second_round] {
            let mut list: Vec<&(usize, Issue)> = list.iter().collect();
            list.sort_by_key(|(position, _)| *position);
            issues.extend(list.into_iter().map(|(_, issue)| issue.clone()));
        }
        issues
    }
}

fn owned_head(entry: &Value) -> EntryHead<'static> {
    let text = |value: &Value| value.as_str().map(|text| Cow::Owned(text.to_string()));
    EntryHead {
        full_url: text(&entry["fullUrl"]),
        resource: Some(ResourceHead {
            resource_type: text(&entry["resource"]["resourceType"]),
            id: text(&entry["resource"]["id"]),
        }),
    }
}

fn bundle_kind(resource_type: Option<&Value>, kind: Option<&Value>) -> Result<BundleKind, Value> {
    if resource_type.and_then(Value::as_str) != Some("Bundle") {
        return Err(refused_bundle("the body must be a FHIR Bundle (resourceType Bundle)"));
    }
    match kind.and_then(Value::as_str) {
        Some("transaction") => Ok(BundleKind::Transaction),
        Some("collection") => Ok(BundleKind::Collection),
        Some("batch") => Ok(BundleKind::Batch),
        Some(other) => Err(refused_bundle(format!("Bundle.type `{other}` is not transaction, batch or collection"))),
        None => Err(refused_bundle("Bundle.type is required")),
    }
}

/// Reads a parsed Bundle with the default site settings; `latest` is the latest time a resource may carry.
pub fn plan_value(bundle: &Value, latest: Timestamp) -> Result<ImportPlan, Value> {
    plan_value_with(bundle, latest, &ImportOptions::default())
}

/// Reads a parsed Bundle.
pub fn plan_value_with(bundle: &Value, latest: Timestamp, options: &ImportOptions) -> Result<ImportPlan, Value> {
    let kind = bundle_kind(bundle.get("resourceType"), bundle.get("type"))?;
    let empty = Vec::new();
    let entries = match bundle.get("entry") {
        None => &empty,
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err(refused_bundle("Bundle.entry must be a list")),
    };
    let index = EntryIndex::new(entries.iter().map(|entry| Ok(owned_head(entry))))?;
    plan_entries(kind, entries.len(), &index, latest, options, |position| Ok(Cow::Borrowed(&entries[position])))
}

/// The supported resource types, for the issue of an unsupported one.
const SUPPORTED: &str = "il2care imports Patient, Observation, MedicationRequest, MedicationAdministration and Flag";

fn is_supported(resource_type: &str) -> bool {
    matches!(resource_type, "Patient" | "Observation" | "MedicationRequest" | "MedicationAdministration" | "Flag")
}

/// Reads each entry in turn (`entry_at` parses entry `position`; it is dropped once read).
fn plan_entries<'e>(
    kind: BundleKind,
    count: usize,
    index: &EntryIndex,
    latest: Timestamp,
    options: &ImportOptions,
    mut entry_at: impl FnMut(usize) -> Result<Cow<'e, Value>, Value>,
) -> Result<ImportPlan, Value> {
    // One item per entry at most: reserved once (growing by doubling would hold up to twice the plan).
    let mut plan = ImportPlan { kind, entries: count, items: Vec::with_capacity(count), issues: Vec::new() };
    for position in 0..count {
        let entry = entry_at(position)?;
        match read_entry(kind, position, &entry, index, latest, options) {
            Read::Item(planned) => plan.items.push(planned),
            Read::Issue(issue) => plan.issues.push(issue),
        }
    }
    drop_dependents(&mut plan);
    Ok(plan)
}

/// What one entry becomes: an item to store, or one issue (an error, or a note that it was skipped).
enum Read {
    Item(Planned),
    Issue(Issue),
}

/// Reads one entry of the Bundle (at `position`).
fn read_entry(
    kind: BundleKind,
    position: usize,
    entry: &Value,
    index: &EntryIndex,
    latest: Timestamp,
    options: &ImportOptions,
) -> Read {
    // What is outside il2care's scope is skipped: information in a transaction or batch (it does not fail the
    // transaction), a warning in a collection.
    let skipped = if kind == BundleKind::Collection { "warning" } else { "information" };
    let path = format!("Bundle.entry[{position}].resource");
    let resource = &entry["resource"];
    let resource_type = resource["resourceType"].as_str().unwrap_or("");
    if let Some(method) = entry["request"]["method"].as_str()
        && method != "POST"
        && (resource_type.is_empty() || is_supported(resource_type))
    {
        return Read::Issue(Issue::error(
            "not-supported",
            format!("Bundle.entry[{position}].request.method"),
            format!(
                "{method} is not accepted: il2care only creates records (POST, matched on their identifiers); \
                 it never updates or deletes them through FHIR"
            ),
        ));
    }
    let read = match resource_type {
        "Patient" => read_patient(resource, &path, latest, options).map(Item::Patient),
        "Observation" => read_observation(resource, &path, index, latest),
        "MedicationRequest" => read_course(resource, &path, index, latest).map(Item::Course),
        "MedicationAdministration" if is_logged_injection(resource) => {
            read_injection(resource, &path, index, latest).map(Item::Injection)
        }
        "MedicationAdministration" => read_dose(resource, &path, index, latest).map(Item::Dose),
        "Flag" => read_flag(resource, &path, index),
        "" => Err(Issue::error("required", format!("Bundle.entry[{position}]"), "the entry has no resource")),
        other => {
            return Read::Issue(Issue {
                severity: skipped,
                code: "not-supported",
                diagnostics: format!("{other} is not imported; {SUPPORTED}"),
                expression: path,
            });
        }
    };
    match read {
        Ok(item) => Read::Item(Planned { entry: position, resource_type: resource_type.to_string(), item }),
        // A resource of a supported type that il2care does not keep (another drug, an observation code it
        // does not read) is skipped like an unsupported type; a resource il2care keeps that is wrong is an error.
        Err(issue) if issue.code == "not-supported" => Read::Issue(Issue { severity: skipped, ..issue }),
        Err(issue) => Read::Issue(issue),
    }
}

/// Drops items whose patient or course entry was refused, with an issue each (courses first, then the rest).
fn drop_dependents(plan: &mut ImportPlan) {
    for _ in 0..2 {
        // Items are planned in entry order, so `kept` is sorted: each look-up is a binary search (a scan made
        // this quadratic for a Bundle whose Patients come after their Observations).
        let mut kept: Vec<usize> = plan.items.iter().map(|item| item.entry).collect();
        kept.sort_unstable();
        let mut refused = Vec::new();
        plan.items.retain(|planned| {
            if let Some(missing) = missing_entry(&planned.item, &kept) {
                refused.push(dependent_issue(planned.entry, missing));
                return false;
            }
            true
        });
        plan.issues.extend(refused);
    }
}

/// The entry an item refers to (its patient, else its course) that is not among the `kept` entries (sorted).
fn missing_entry(item: &Item, kept: &[usize]) -> Option<usize> {
    match item {
        Item::Patient(_) => None,
        Item::Course(course) => entry_missing(&course.patient, kept),
        Item::Observations { patient, .. } | Item::Flag { patient, .. } => entry_missing(patient, kept),
        Item::Dose(NewDose { patient, course, .. }) | Item::Injection(NewInjection { patient, course, .. }) => {
            entry_missing(patient, kept).or(match course {
                CourseRef::Entry(entry) if kept.binary_search(entry).is_err() => Some(*entry),
                _ => None,
            })
        }
    }
}

fn dependent_issue(entry: usize, missing: usize) -> Issue {
    Issue::error(
        "invalid",
        format!("Bundle.entry[{entry}].resource"),
        format!("refers to Bundle.entry[{missing}], which was not imported"),
    )
}

fn entry_missing(patient: &PatientRef, kept: &[usize]) -> Option<usize> {
    match patient {
        PatientRef::Entry(entry) if kept.binary_search(entry).is_err() => Some(*entry),
        _ => None,
    }
}

/// Whether other entries may refer to an entry: only Patients (an entry's subject) and MedicationRequests (an
/// administration's request) are looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Referable {
    Patient,
    MedicationRequest,
    No,
}

impl Referable {
    fn of(resource_type: &str) -> Referable {
        match resource_type {
            "Patient" => Referable::Patient,
            "MedicationRequest" => Referable::MedicationRequest,
            _ => Referable::No,
        }
    }

    fn is(self, resource_type: &str) -> bool {
        self != Referable::No && Referable::of(resource_type) == self
    }
}

/// Finds Bundle entries by `fullUrl` and by `Type/id` in one hash look-up per reference. Only the keys of
/// entries others may refer to are kept ([`Referable`]): every entry's keys are checked for repeats while the
/// index is built, and then dropped, so the index of a bulk export holds its Patients' keys, not its
/// Observations'.
struct EntryIndex {
    /// `fullUrl`s and `Type/id`s (each names one entry: a repeat refuses the Bundle).
    keys: HashMap<Box<str>, usize>,
    /// `Type/id` taken from the end of an absolute `fullUrl` (`https://ehr/fhir/Patient/7`), for relative
    /// references to entries that carry no `id`; the first entry wins.
    tails: HashMap<Box<str>, usize>,
    /// Each entry's kind.
    types: Vec<Referable>,
}

impl EntryIndex {
    /// The index of the entries' keys; `Err` is the OperationOutcome of a key that repeats an earlier entry's
    /// (a reference to it could mean two resources, so the Bundle is refused as a whole: FHIR's bdl-7 for
    /// `fullUrl`), or of an entry that is not JSON.
    fn new<'a>(heads: impl ExactSizeIterator<Item = Result<EntryHead<'a>, Value>>) -> Result<EntryIndex, Value> {
        let count = heads.len();
        let mut keys: HashMap<Cow<'a, str>, usize> = HashMap::with_capacity(count);
        let mut tails: HashMap<String, usize> = HashMap::new();
        let mut types = Vec::with_capacity(count);
        for (position, head) in heads.enumerate() {
            let head = head?;
            let resource = head.resource.unwrap_or_default();
            let resource_type = resource.resource_type.unwrap_or_default();
            let entry_keys = [
                (head.full_url.clone(), "fullUrl", "fullUrl"),
                (
                    resource.id.as_deref().map(|id| Cow::Owned(format!("{resource_type}/{id}"))),
                    "resource.id",
                    "resource id",
                ),
            ];
            for (key, field, what) in entry_keys {
                let Some(key) = key else { continue };
                if let Some(first) = keys.get(&key) {
                    return Err(operation_outcome(&[Issue::error(
                        "invalid",
                        format!("Bundle.entry[{position}].{field}"),
                        format!("the {what} `{key}` repeats Bundle.entry[{first}]'s; each entry needs its own"),
                    )]));
                }
                keys.insert(key, position);
            }
            if let Some(full_url) = head.full_url.as_deref()
                && full_url.contains("://")
                && let Some((rest, id)) = full_url.rsplit_once('/')
                && let Some((_, kind)) = rest.rsplit_once('/')
            {
                tails.entry(format!("{kind}/{id}")).or_insert(position);
            }
            types.push(Referable::of(&resource_type));
        }
        let referable = |position: &usize| types[*position] != Referable::No;
        let keys = keys.into_iter().filter(|(_, p)| referable(p)).map(|(key, p)| (key.into(), p)).collect();
        let tails = tails.into_iter().filter(|(_, p)| referable(p)).map(|(key, p)| (key.into(), p)).collect();
        Ok(EntryIndex { keys, tails, types })
    }

    /// The entry a reference points at, if it is in the Bundle and of `resource_type`.
    fn find(&self, reference: &str, resource_type: &str) -> Option<usize> {
        let of_type = |position: &usize| self.types.get(*position).is_some_and(|kind| kind.is(resource_type));
        self.keys
            .get(reference)
            .filter(|p| of_type(p))
            .or_else(|| self.tails.get(reference).filter(|p| of_type(p)))
            .copied()
    }
}

/// A reference to `resource_type`: an entry of the Bundle, or `Type/{number}` for a stored record.
fn reference(value: &Value, resource_type: &str, path: &str, index: &EntryIndex) -> Result<Result<usize, i64>, Issue> {
    let text = value["reference"]
        .as_str()
        .ok_or_else(|| Issue::error("required", path, format!("a reference to a {resource_type} is required")))?;
    if let Some(position) = index.find(text, resource_type) {
        return Ok(Ok(position));
    }
    let stored = text
        .strip_prefix(&format!("{resource_type}/"))
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            Issue::error(
                "not-found",
                path,
                format!(
                    "`{text}` is neither an entry of this Bundle nor a stored {resource_type} ({resource_type}/ID)"
                ),
            )
        })?;
    Ok(Err(stored))
}

fn subject(resource: &Value, field: &str, path: &str, index: &EntryIndex) -> Result<PatientRef, Issue> {
    let field_path = format!("{path}.{field}");
    Ok(match reference(&resource[field], "Patient", &field_path, index)? {
        Ok(entry) => PatientRef::Entry(entry),
        Err(id) => PatientRef::Stored(id),
    })
}

fn text_of(value: &Value) -> Option<&str> {
    value.as_str().map(str::trim).filter(|text| !text.is_empty())
}

fn time(value: &Value, path: &str, latest: Timestamp) -> Result<Timestamp, Issue> {
    let text = value.as_str().ok_or_else(|| Issue::error("required", path, "a time is required"))?;
    let at = text
        .parse::<Timestamp>()
        .map_err(|_| Issue::error("value", path, format!("`{text}` is not a dateTime with a time and an offset")))?;
    if at > latest {
        return Err(Issue::error("value", path, format!("{text} is in the future")));
    }
    Ok(at)
}

/// The field of a stored observation document that holds a date-only time instead of `at`.
pub const DATE_ONLY_FIELD: &str = "at_date";

/// An Observation's `effectiveDateTime`: an instant, or a date without a time (`2026-11-30`, `2026-11`,
/// `2026`) as EHRs send for results of a day. A date-only time keeps its text (its precision) and stands at the
/// first instant of its UTC period for ordering; nothing that needs a time (a per-dose decision) uses it.
fn effective_time(value: &Value, path: &str, latest: Timestamp) -> Result<(Timestamp, Option<String>), Issue> {
    let text = value.as_str().ok_or_else(|| Issue::error("required", path, "a time is required"))?;
    if let Ok(at) = text.parse::<Timestamp>() {
        if at > latest {
            return Err(Issue::error("value", path, format!("{text} is in the future")));
        }
        return Ok((at, None));
    }
    let (from, _) = super::search::civil_range(text).ok_or_else(|| {
        Issue::error(
            "value",
            path,
            format!("`{text}` is not a dateTime with a time and an offset, nor a date (2026-11-30, 2026-11)"),
        )
    })?;
    if from > latest {
        return Err(Issue::error("value", path, format!("{text} is in the future")));
    }
    Ok((from, Some(text.to_string())))
}

/// The v2 identifier type of a medical record number (`MR`).
const IDENTIFIER_TYPE: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

/// A Patient's MRN: the identifier of the site's MRN system, else il2care's own (its exports), else the one
/// typed `MR` (v2-0203). Never simply the first identifier: that may be a social security or insurance number.
pub fn mrn_of<'a>(patient: &'a Value, mrn_system: &str) -> Option<&'a str> {
    let identifiers = patient["identifier"].as_array().map(Vec::as_slice).unwrap_or_default();
    let with_system = |system: &str| {
        identifiers.iter().find(|identifier| identifier["system"] == system).and_then(|i| text_of(&i["value"]))
    };
    with_system(mrn_system).or_else(|| with_system(codes::IL2CARE_MRN)).or_else(|| {
        identifiers
            .iter()
            .find(|identifier| {
                codings(&identifier["type"]).any(|(system, code)| system == IDENTIFIER_TYPE && code == "MR")
            })
            .and_then(|identifier| text_of(&identifier["value"]))
    })
}

fn read_patient(resource: &Value, path: &str, latest: Timestamp, options: &ImportOptions) -> Result<NewPatient, Issue> {
    let mrn = mrn_of(resource, &options.mrn_system).ok_or_else(|| {
        Issue::error(
            "required",
            format!("{path}.identifier"),
            format!(
                "the MRN is required: an identifier with system {} (the site's MRN system) or of type MR",
                options.mrn_system
            ),
        )
    })?;
    let family = text_of(&resource["name"][0]["family"]).map(str::to_string);
    let name = &resource["name"][0];
    let name = match text_of(&name["text"]) {
        Some(text) => text.to_string(),
        None => {
            let mut parts: Vec<&str> = name["given"].as_array().into_iter().flatten().filter_map(text_of).collect();
            parts.extend(text_of(&name["family"]));
            parts.join(" ")
        }
    };
    if name.is_empty() || name.len() > 200 || mrn.len() > 200 {
        return Err(Issue::error(
            "required",
            format!("{path}.name"),
            "a name and an MRN of 1 to 200 characters are required",
        ));
    }
    let sex = match resource["gender"].as_str() {
        Some(gender @ ("female" | "male" | "unknown")) => gender.to_string(),
        None => "unknown".to_string(),
        Some(other) => {
            return Err(Issue::error(
                "code-invalid",
                format!("{path}.gender"),
                format!("gender `{other}` cannot be recorded; il2care keeps female, male or unknown"),
            ));
        }
    };
    let date_of_birth =
        text_of(&resource["birthDate"]).filter(|text| text.parse::<jiff::civil::Date>().is_ok()).ok_or_else(|| {
            Issue::error("required", format!("{path}.birthDate"), "a full birthDate (YYYY-MM-DD) is required")
        })?;
    let born: jiff::civil::Date = date_of_birth.parse().map_err(|_| {
        Issue::error("required", format!("{path}.birthDate"), "a full birthDate (YYYY-MM-DD) is required")
    })?;
    let today = latest.to_zoned(jiff::tz::TimeZone::UTC).date();
    if crate::patient::plausible_birth_date(born, today).is_err() {
        return Err(Issue::error(
            "value",
            format!("{path}.birthDate"),
            format!("birthDate {born} is in the future or before 1900; check the year"),
        ));
    }
    let time_zone = extension(resource, codes::EXTENSION_TIME_ZONE)
        .and_then(|extension| text_of(&extension["valueString"]))
        .unwrap_or("UTC");
    Ok(NewPatient {
        mrn: mrn.to_string(),
        name,
        family,
        date_of_birth: date_of_birth.to_string(),
        sex,
        time_zone: time_zone.to_string(),
    })
}

/// The extension of `url`; an export made before 2026-12-04 named it `urn:il2care:extension:<name>`, which is
/// still read for one release (issue 13: an old path keeps answering), so an old export imports whole.
fn extension<'a>(resource: &'a Value, url: &str) -> Option<&'a Value> {
    let old = url
        .strip_prefix(super::codes::STRUCTURE_DEFINITION_BASE)
        .and_then(|name| name.strip_prefix('/'))
        .map(|name| format!("urn:il2care:extension:{name}"));
    let extensions = resource["extension"].as_array()?;
    extensions.iter().find(|extension| extension["url"] == url).or_else(|| {
        let old = old?;
        extensions.iter().find(|extension| extension["url"].as_str() == Some(old.as_str()))
    })
}

fn codings(concept: &Value) -> impl Iterator<Item = (&str, &str)> {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|coding| Some((coding["system"].as_str()?, coding["code"].as_str()?)))
}

fn describe(concept: &Value) -> String {
    let list: Vec<String> = codings(concept).map(|(system, code)| format!("{system}|{code}")).collect();
    if list.is_empty() { "no coding".to_string() } else { list.join(", ") }
}

/// A FHIR Quantity as an il2care quantity `{"value", "unit"}`, the unit a UCUM code.
fn quantity(value: &Value, path: &str) -> Result<Value, Issue> {
    if !value.is_object() {
        return Err(Issue::error("required", path, "a Quantity is required"));
    }
    // Many EHRs send the UCUM text in `unit` and no `code` (4 of the 7 Observation examples of the
    // specification): the text is taken as the UCUM code, and the observation's own unit check accepts it only
    // when it is one of the units accepted for that observation, or refuses it naming the unit.
    let unit_only = value.get("code").is_none()
        && value["unit"].is_string()
        && (value.get("system").is_none() || value["system"] == codes::UCUM);
    if value["system"] != codes::UCUM && !unit_only {
        return Err(Issue::error(
            "code-invalid",
            format!("{path}.system"),
            format!("the unit must be a UCUM code (system {}), not {}", codes::UCUM, value["system"]),
        ));
    }
    let unit = if unit_only { &value["unit"] } else { &value["code"] };
    let unit = unit
        .as_str()
        .ok_or_else(|| Issue::error("required", format!("{path}.code"), "the UCUM unit code is required"))?;
    if !value["value"].is_number() {
        return Err(Issue::error("required", format!("{path}.value"), "a numeric value is required"));
    }
    Ok(json!({"value": value["value"], "unit": unit}))
}

fn read_observation(resource: &Value, path: &str, index: &EntryIndex, latest: Timestamp) -> Result<Item, Issue> {
    // An Observation il2care does not read (a PCR test, a BMI) is out of scope whatever else it says.
    let concept = &resource["code"];
    let read_here = codings(concept).any(|(system, code)| {
        codes::observation_code(system, code).is_some()
            || (system == codes::LOINC && code == codes::LOINC_BLOOD_PRESSURE_PANEL)
    });
    if !read_here && concept.is_object() {
        return Err(Issue::error(
            "not-supported",
            format!("{path}.code"),
            format!(
                "unknown observation code ({}); il2care reads the LOINC codes of its observations",
                describe(concept)
            ),
        ));
    }
    match resource["status"].as_str() {
        Some("final" | "amended" | "corrected") => {}
        other => {
            return Err(Issue::error(
                "value",
                format!("{path}.status"),
                format!(
                    "status {} is not a result; il2care imports final, amended or corrected",
                    other.unwrap_or("(none)")
                ),
            ));
        }
    }
    let patient = subject(resource, "subject", path, index)?;
    let identifiers = resource["identifier"].as_array().map(Vec::as_slice).unwrap_or_default();
    let client_id = identifiers
        .iter()
        .find(|identifier| identifier["system"] == codes::IL2CARE_CLIENT_ID)
        .and_then(|identifier| text_of(&identifier["value"]))
        .map(str::to_string)
        .or_else(|| {
            identifiers.iter().find_map(|identifier| {
                Some(format!("{}|{}", identifier["system"].as_str()?, text_of(&identifier["value"])?))
            })
        })
        .filter(|key| key.len() <= 200);
    let concept = &resource["code"];
    let is_panel =
        codings(concept).any(|(system, code)| system == codes::LOINC && code == codes::LOINC_BLOOD_PRESSURE_PANEL);
    let mut observations = Vec::new();
    if is_panel {
        for (position, component) in resource["component"].as_array().into_iter().flatten().enumerate() {
            let component_path = format!("{path}.component[{position}]");
            let code = codings(&component["code"]).find_map(|(system, code)| codes::observation_code(system, code));
            let Some(code @ (ObservationCode::SystolicBp | ObservationCode::DiastolicBp)) = code else {
                continue;
            };
            let value = quantity(&component["valueQuantity"], &format!("{component_path}.valueQuantity"))?;
            let key = client_id.as_ref().map(|id| format!("{id}:{}", code.id()));
            observations.push(observation(
                code,
                value,
                resource,
                path,
                &format!("{component_path}.valueQuantity"),
                key,
                latest,
            )?);
        }
        if observations.is_empty() {
            return Err(Issue::error(
                "required",
                format!("{path}.component"),
                "a blood-pressure panel (85354-9) needs a systolic (8480-6) or diastolic (8462-4) component",
            ));
        }
    } else {
        let code =
            codings(concept).find_map(|(system, code)| codes::observation_code(system, code)).ok_or_else(|| {
                Issue::error(
                    "not-supported",
                    format!("{path}.code"),
                    format!(
                        "unknown observation code ({}); il2care reads the LOINC codes of its observations",
                        describe(concept)
                    ),
                )
            })?;
        let value_path = format!("{path}.valueQuantity");
        let value = quantity(&resource["valueQuantity"], &value_path)?;
        observations.push(observation(code, value, resource, path, &value_path, client_id, latest)?);
    }
    Ok(Item::Observations { patient, observations })
}

/// One il2care observation document from a FHIR Observation, validated as the assessment document is.
fn observation(
    code: ObservationCode,
    value: Value,
    resource: &Value,
    path: &str,
    value_path: &str,
    client_id: Option<String>,
    latest: Timestamp,
) -> Result<NewObservation, Issue> {
    let mut document = Map::new();
    document.insert("code".into(), json!(code.id()));
    document.insert("value".into(), value.clone());
    let mut date_only_text = None;
    let (at, start) = if code.is_interval() {
        let period = &resource["effectivePeriod"];
        if !period.is_object() {
            return Err(Issue::error(
                "required",
                format!("{path}.effectivePeriod"),
                format!("{} is a volume over an interval: effectivePeriod (start, end) is required", code.id()),
            ));
        }
        let start = time(&period["start"], &format!("{path}.effectivePeriod.start"), latest)?;
        let end = time(&period["end"], &format!("{path}.effectivePeriod.end"), latest)?;
        document.insert("start".into(), period["start"].clone());
        document.insert("end".into(), period["end"].clone());
        (end, Some(start))
    } else {
        let (at, date_only) =
            effective_time(&resource["effectiveDateTime"], &format!("{path}.effectiveDateTime"), latest)?;
        // A date-only time is checked at its first instant, then kept as the date (`at_date`) it is.
        document.insert("at".into(), json!(at.to_string()));
        if date_only.is_none() {
            document.insert("at".into(), resource["effectiveDateTime"].clone());
        }
        date_only_text = date_only;
        (at, None)
    };
    if code.is_lab()
        && let Some(range) = resource["referenceRange"].get(0)
        && range.get("low").is_some()
        && range.get("high").is_some()
    {
        let range_path = format!("{path}.referenceRange[0]");
        let low = quantity(&range["low"], &format!("{range_path}.low"))?;
        let high = quantity(&range["high"], &format!("{range_path}.high"))?;
        document.insert("reference_range".into(), json!({"low": low, "high": high}));
    }
    if code == ObservationCode::Spo2 {
        let context = resource["note"].as_array().into_iter().flatten().find_map(|note| match note["text"].as_str() {
            Some("measured at rest") => Some("rest"),
            Some("measured at exertion") => Some("exertion"),
            _ => None,
        });
        if let Some(context) = context {
            document.insert("context".into(), json!(context));
        }
    }
    let document = Value::Array(vec![Value::Object(document)]);
    validate_observations(&document, latest).map_err(|refusal| {
        let issue_code = if refusal.reason.contains("unit") || refusal.reason.contains("does not fit") {
            "code-invalid"
        } else {
            "value"
        };
        let expression = if refusal.field.contains("reference_range") {
            format!("{path}.referenceRange[0]")
        } else if refusal.field.ends_with(".value") || refusal.field.ends_with(".unit") {
            value_path.to_string()
        } else {
            path.to_string()
        };
        Issue::error(issue_code, expression, format!("{}: {}", code.id(), refusal.reason))
    })?;
    let number = json::decimal(&value["value"], value_path)
        .map_err(|refusal| Issue::error("value", value_path, refusal.reason))?;
    let mut document = document;
    if let (Some(date), Some(fields)) = (date_only_text, document[0].as_object_mut()) {
        fields.remove("at");
        fields.insert(DATE_ONLY_FIELD.into(), json!(date));
    }
    Ok(NewObservation {
        client_id,
        code: code.id().to_string(),
        value: number.normalize().to_string(),
        unit: value["unit"].as_str().unwrap_or("").to_string(),
        at_ms: at.as_millisecond(),
        start_ms: start.map(Timestamp::as_millisecond),
        document: document[0].to_string(),
    })
}

fn require_aldesleukin(resource: &Value, path: &str) -> Result<(), Issue> {
    let concept = &resource["medicationCodeableConcept"];
    if codings(concept).any(|(system, code)| codes::is_aldesleukin(system, code)) {
        return Ok(());
    }
    Err(Issue::error(
        "not-supported",
        format!("{path}.medicationCodeableConcept"),
        format!(
            "not aldesleukin ({}); il2care records aldesleukin (RxNorm 70223, SNOMED CT 386917000, ATC L03AC01)",
            describe(concept)
        ),
    ))
}

/// How far ahead a course may start (the API's limit): a planned start is normal, years ahead a typing error.
const COURSE_DAYS_AHEAD: i64 = 366;

fn read_course(resource: &Value, path: &str, index: &EntryIndex, latest: Timestamp) -> Result<NewCourse, Issue> {
    require_aldesleukin(resource, path)?;
    let patient = subject(resource, "subject", path, index)?;
    let regimen_id = extension(resource, codes::EXTENSION_REGIMEN)
        .and_then(|extension| text_of(&extension["valueString"]))
        .ok_or_else(|| {
            Issue::error(
                "required",
                format!("{path}.extension"),
                format!("the il2care regimen ({}) is required", codes::EXTENSION_REGIMEN),
            )
        })?;
    if regimen(regimen_id).is_none() {
        return Err(Issue::error(
            "code-invalid",
            format!("{path}.extension"),
            format!("unknown regimen `{regimen_id}`"),
        ));
    }
    let rule_set =
        match extension(resource, codes::EXTENSION_RULE_SET).and_then(|extension| extension["valueString"].as_str()) {
            None | Some("label") => "label",
            Some("consensus") => "consensus",
            Some(other) => {
                return Err(Issue::error(
                    "code-invalid",
                    format!("{path}.extension"),
                    format!("`{other}` is not label or consensus"),
                ));
            }
        };
    let started =
        text_of(&resource["authoredOn"]).and_then(|text| text.parse::<Timestamp>().ok()).ok_or_else(|| {
            Issue::error("required", format!("{path}.authoredOn"), "authoredOn (when the course started) is required")
        })?;
    if started > latest + jiff::SignedDuration::from_hours(24 * COURSE_DAYS_AHEAD) {
        return Err(Issue::error(
            "value",
            format!("{path}.authoredOn"),
            format!("authoredOn {started} is more than {COURSE_DAYS_AHEAD} days ahead; check the year"),
        ));
    }
    let baseline = |url: &str| -> Result<Option<Value>, Issue> {
        extension(resource, url)
            .map(|extension| quantity(&extension["valueQuantity"], &format!("{path}.extension")))
            .transpose()
    };
    let weight = baseline(codes::EXTENSION_BASELINE_WEIGHT)?
        .map(|value| {
            let weight: Kilograms = json::measure(&value, "baseline_weight")
                .map_err(|refusal| Issue::error("value", format!("{path}.extension"), refusal.reason))?;
            if weight.value() < dec!(30) || weight.value() > dec!(250) {
                return Err(Issue::error(
                    "value",
                    format!("{path}.extension"),
                    format!("baseline weight {weight} is outside the dosing limits 30 to 250 kg"),
                ));
            }
            Ok(weight.value().normalize().to_string())
        })
        .transpose()?;
    let creatinine = baseline(codes::EXTENSION_BASELINE_CREATININE)?
        .map(|value| {
            let creatinine: Creatinine = json::measure(&value, "baseline_creatinine")
                .map_err(|refusal| Issue::error("value", format!("{path}.extension"), refusal.reason))?;
            if creatinine.value() < dec!(0.1) || creatinine.value() > dec!(25) {
                return Err(Issue::error(
                    "value",
                    format!("{path}.extension"),
                    format!("baseline creatinine {creatinine} is outside 0.1 to 25 mg/dL"),
                ));
            }
            Ok(creatinine.value().normalize().to_string())
        })
        .transpose()?;
    Ok(NewCourse {
        patient,
        regimen: regimen_id.to_string(),
        rule_set: rule_set.to_string(),
        started_at_ms: started.as_millisecond(),
        baseline_weight_kg: weight,
        baseline_creatinine_mg_dl: creatinine,
    })
}

/// Whether a MedicationAdministration is an il2care injection-log entry (its identifier says so).
fn is_logged_injection(resource: &Value) -> bool {
    resource["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|identifier| identifier["system"] == codes::IL2CARE_INJECTION)
}

/// The course a MedicationAdministration names in `request`, or the patient's latest course.
fn requested_course(resource: &Value, path: &str, index: &EntryIndex) -> Result<CourseRef, Issue> {
    Ok(match resource.get("request") {
        None => CourseRef::Latest,
        Some(request) => match reference(request, "MedicationRequest", &format!("{path}.request"), index)? {
            Ok(entry) => CourseRef::Entry(entry),
            Err(id) => CourseRef::Stored(id),
        },
    })
}

/// An injection-log entry as exported by il2care: the log's document, read back from the resource (status,
/// time, planned shot and dose level from the extensions, site code, skip reason and note).
fn read_injection(resource: &Value, path: &str, index: &EntryIndex, latest: Timestamp) -> Result<NewInjection, Issue> {
    require_aldesleukin(resource, path)?;
    let status = match resource["status"].as_str() {
        Some("completed") => "given",
        Some("not-done") => "skipped",
        other => {
            return Err(Issue::error(
                "value",
                format!("{path}.status"),
                format!("status {} is neither completed (given) nor not-done (skipped)", other.unwrap_or("(none)")),
            ));
        }
    };
    let patient = subject(resource, "subject", path, index)?;
    let at = time(&resource["effectiveDateTime"], &format!("{path}.effectiveDateTime"), latest)?;
    let course = requested_course(resource, path, index)?;
    let extension = |url: &str| {
        resource["extension"].as_array().into_iter().flatten().find(|extension| extension["url"] == url).cloned()
    };
    let mut document = Map::new();
    document.insert("status".into(), json!(status));
    document.insert("at".into(), json!(at.to_string()));
    if let Some(slot) = extension(codes::EXTENSION_INJECTION_SLOT) {
        document.insert("slot".into(), slot["valueInteger"].clone());
    }
    if let Some(level) = extension(codes::EXTENSION_DOSE_LEVEL) {
        document.insert("dose_level".into(), level["valueString"].clone());
    }
    let site = codings(&resource["dosage"]["site"]).find(|(system, _)| *system == codes::IL2CARE_INJECTION_SITE);
    if let Some((_, code)) = site {
        document.insert("site".into(), json!(code));
    }
    if status == "skipped"
        && let Some(reason) = resource["statusReason"].get(0).and_then(|reason| text_of(&reason["text"]))
    {
        document.insert("skip_reason".into(), json!(reason));
    }
    if let Some(note) = resource["note"].get(0).and_then(|note| text_of(&note["text"])) {
        document.insert("note".into(), json!(note));
    }
    Ok(NewInjection { patient, course, at_ms: at.as_millisecond(), document })
}

fn read_dose(resource: &Value, path: &str, index: &EntryIndex, latest: Timestamp) -> Result<NewDose, Issue> {
    require_aldesleukin(resource, path)?;
    let status = match resource["status"].as_str() {
        Some("completed") => "given",
        Some("not-done") => "held",
        other => {
            return Err(Issue::error(
                "value",
                format!("{path}.status"),
                format!("status {} is neither completed (given) nor not-done (held)", other.unwrap_or("(none)")),
            ));
        }
    };
    let patient = subject(resource, "subject", path, index)?;
    let at_value = if resource.get("effectiveDateTime").is_some() {
        &resource["effectiveDateTime"]
    } else {
        &resource["effectivePeriod"]["start"]
    };
    let at = time(at_value, &format!("{path}.effectiveDateTime"), latest)?;
    let course = requested_course(resource, path, index)?;
    let override_reason = resource["note"].get(0).and_then(|note| text_of(&note["text"])).map(str::to_string);
    if override_reason.as_ref().is_some_and(|reason| reason.len() > 2000) {
        return Err(Issue::error("value", format!("{path}.note"), "a note of at most 2000 characters"));
    }
    Ok(NewDose { patient, course, status, at_ms: at.as_millisecond(), override_reason })
}

fn read_flag(resource: &Value, path: &str, index: &EntryIndex) -> Result<Item, Issue> {
    let code = codings(&resource["code"])
        .find(|(system, code)| *system == codes::IL2CARE_FLAG && codes::flag_display(code).is_some())
        .map(|(_, code)| code.to_string())
        .ok_or_else(|| {
            Issue::error(
                "code-invalid",
                format!("{path}.code"),
                format!("not a flag il2care keeps ({})", describe(&resource["code"])),
            )
        })?;
    if resource["status"] != "active" {
        return Err(Issue::error("value", format!("{path}.status"), "only active flags are imported"));
    }
    let patient = subject(resource, "subject", path, index)?;
    let at = text_of(&resource["period"]["start"])
        .and_then(|text| text.parse::<Timestamp>().ok())
        .ok_or_else(|| Issue::error("required", format!("{path}.period.start"), "period.start is required"))?;
    Ok(Item::Flag { patient, code, at_ms: at.as_millisecond() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latest() -> Timestamp {
        "2026-11-28T00:00:00Z".parse().unwrap()
    }

    fn quantity(value: f64, unit: &str) -> Value {
        json!({"value": value, "unit": unit, "system": codes::UCUM, "code": unit})
    }

    fn bundle(kind: &str, resources: Vec<Value>) -> Value {
        let entries: Vec<Value> = resources
            .into_iter()
            .enumerate()
            .map(|(index, resource)| json!({"fullUrl": format!("urn:uuid:00000000-0000-4000-8000-00000000000{index}"), "resource": resource}))
            .collect();
        json!({"resourceType": "Bundle", "type": kind, "entry": entries})
    }

    fn patient() -> Value {
        json!({"resourceType": "Patient", "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"},
                {"type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}]}, "system": "urn:oid:1.2.3", "value": "MRN-7"}],
               "name": [{"given": ["Ada"], "family": "Example"}], "gender": "female", "birthDate": "1970-01-01"})
    }

    fn subject() -> Value {
        json!({"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"})
    }

    #[test]
    fn an_extension_is_read_on_its_https_url_and_on_the_urn_of_exports_before_2026_12_04() {
        let at = |url: &str| json!({"extension": [{"url": url, "valueString": "rosenberg-hd-iv"}]});
        let found = |resource: &Value| extension(resource, codes::EXTENSION_REGIMEN).map(|e| e["valueString"].clone());
        assert_eq!(found(&at(codes::EXTENSION_REGIMEN)), Some(json!("rosenberg-hd-iv")));
        assert_eq!(found(&at("urn:il2care:extension:regimen")), Some(json!("rosenberg-hd-iv")));
        assert_eq!(found(&at("urn:il2care:extension:rule-set")), None, "another extension's old name");
        assert_eq!(found(&at("https://example.org/regimen")), None);
    }

    #[test]
    fn a_blood_pressure_panel_becomes_a_systolic_and_a_diastolic_observation() {
        let panel = json!({"resourceType": "Observation", "status": "final", "subject": subject(),
            "identifier": [{"system": codes::IL2CARE_CLIENT_ID, "value": "bp-1"}],
            "code": {"coding": [{"system": codes::LOINC, "code": "85354-9"}]}, "effectiveDateTime": "2026-11-27T15:40:00Z",
            "component": [
                {"code": {"coding": [{"system": codes::LOINC, "code": "8480-6"}]}, "valueQuantity": quantity(86.0, "mm[Hg]")},
                {"code": {"coding": [{"system": codes::LOINC, "code": "8462-4"}]}, "valueQuantity": quantity(52.0, "mm[Hg]")},
                {"code": {"coding": [{"system": codes::LOINC, "code": "8478-0"}]}, "valueQuantity": quantity(63.0, "mm[Hg]")}]});
        let plan = plan_value(&bundle("transaction", vec![patient(), panel]), latest()).unwrap();
        assert!(!plan.has_errors(), "{:?}", plan.issues);
        let Item::Patient(new) = &plan.items[0].item else { panic!("a patient first") };
        assert_eq!((new.mrn.as_str(), new.name.as_str(), new.time_zone.as_str()), ("MRN-7", "Ada Example", "UTC"));
        let Item::Observations { patient, observations } = &plan.items[1].item else { panic!("observations") };
        assert_eq!(*patient, PatientRef::Entry(0));
        let summary: Vec<(&str, &str, Option<&str>)> =
            observations.iter().map(|o| (o.code.as_str(), o.value.as_str(), o.client_id.as_deref())).collect();
        assert_eq!(
            summary,
            [("systolic_bp", "86", Some("bp-1:systolic_bp")), ("diastolic_bp", "52", Some("bp-1:diastolic_bp"))]
        );
    }

    #[test]
    fn the_mrn_is_the_identifier_of_the_site_system_then_il2cares_then_type_mr_never_the_first() {
        let site = ImportOptions { mrn_system: "https://hospital.example/mrn".into() };
        let ssn = json!({"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-12-3456"});
        let typed =
            json!({"type": {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR"}]}, "system": "urn:x", "value": "T-1"});
        let own = json!({"system": codes::IL2CARE_MRN, "value": "OWN-1"});
        let local = json!({"system": "https://hospital.example/mrn", "value": "SITE-1"});
        for (identifiers, expected) in [
            (json!([ssn, typed, own, local]), Some("SITE-1")),
            (json!([ssn, typed, own]), Some("OWN-1")),
            (json!([ssn, typed]), Some("T-1")),
            (json!([ssn]), None),
        ] {
            let patient = json!({"resourceType": "Patient", "identifier": identifiers});
            assert_eq!(mrn_of(&patient, &site.mrn_system), expected, "{identifiers}");
        }
        let mut only_ssn = patient();
        only_ssn["identifier"] = json!([ssn]);
        let plan = plan_value_with(&bundle("collection", vec![only_ssn]), latest(), &site).unwrap();
        assert_eq!(plan.issues[0].expression, "Bundle.entry[0].resource.identifier");
        assert!(plan.issues[0].diagnostics.contains("https://hospital.example/mrn"), "{:?}", plan.issues);
    }

    #[test]
    fn a_quantity_with_a_ucum_unit_and_no_code_is_read_when_the_unit_is_accepted_and_refused_naming_it_otherwise() {
        let heart_rate = |value_quantity: Value| {
            json!({"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/3"},
                   "code": {"coding": [{"system": codes::LOINC, "code": "8867-4"}]},
                   "effectiveDateTime": "2026-11-27T15:40:00Z", "valueQuantity": value_quantity})
        };
        let plan = plan_value(
            &bundle(
                "collection",
                vec![
                    heart_rate(json!({"value": 96, "unit": "/min"})),
                    heart_rate(json!({"value": 96, "unit": "/min", "system": codes::UCUM})),
                    heart_rate(json!({"value": 96, "unit": "beats/minute", "system": codes::UCUM})),
                    heart_rate(json!({"value": 96, "unit": "/min", "system": "http://example.org/units"})),
                ],
            ),
            latest(),
        )
        .unwrap();
        let stored: Vec<usize> = plan.items.iter().map(|planned| planned.entry).collect();
        assert_eq!(stored, [0, 1]);
        let issues: Vec<(&str, &str)> = plan.issues.iter().map(|i| (i.expression.as_str(), i.code)).collect();
        assert_eq!(
            issues,
            [
                ("Bundle.entry[2].resource.valueQuantity", "code-invalid"),
                ("Bundle.entry[3].resource.valueQuantity.system", "code-invalid")
            ]
        );
        assert!(plan.issues[0].diagnostics.contains("beats/minute"), "{}", plan.issues[0].diagnostics);
    }

    #[test]
    fn an_outcome_built_from_owned_issues_is_the_outcome_built_from_borrowed_ones() {
        let issues = vec![
            Issue::error("value", "Bundle.entry[1].resource.valueQuantity", "out of range"),
            Issue {
                severity: "information",
                code: "informational",
                diagnostics: "stored".into(),
                expression: "Bundle.entry[0].resource".into(),
            },
        ];
        assert_eq!(operation_outcome_of(issues.clone()), operation_outcome(&issues));
        assert_eq!(operation_outcome_of(Vec::new()), operation_outcome(&[]));
    }

    #[test]
    fn urine_output_needs_a_period_and_is_checked_per_hour_like_the_assessment_document() {
        let urine = |period: Value, volume: f64| {
            let mut resource = json!({"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/3"},
                "code": {"coding": [{"system": codes::LOINC, "code": "9187-6"}]}, "valueQuantity": quantity(volume, "mL")});
            resource.as_object_mut().unwrap().extend(period.as_object().unwrap().clone());
            resource
        };
        let good =
            urine(json!({"effectivePeriod": {"start": "2026-11-27T08:00:00Z", "end": "2026-11-27T16:00:00Z"}}), 60.0);
        let no_period = urine(json!({"effectiveDateTime": "2026-11-27T16:00:00Z"}), 60.0);
        let too_much =
            urine(json!({"effectivePeriod": {"start": "2026-11-27T15:00:00Z", "end": "2026-11-27T16:00:00Z"}}), 2500.0);
        let plan = plan_value(&bundle("collection", vec![good, no_period, too_much]), latest()).unwrap();
        assert_eq!(plan.items.len(), 1);
        let Item::Observations { patient, observations } = &plan.items[0].item else { panic!("observations") };
        assert_eq!((patient, observations[0].start_ms.is_some()), (&PatientRef::Stored(3), true));
        let issues: Vec<(&str, &str)> = plan.issues.iter().map(|i| (i.expression.as_str(), i.code)).collect();
        assert_eq!(
            issues,
            [
                ("Bundle.entry[1].resource.effectivePeriod", "required"),
                ("Bundle.entry[2].resource.valueQuantity", "value")
            ]
        );
        assert!(plan.issues[1].diagnostics.contains("2000 mL per hour"), "{}", plan.issues[1].diagnostics);
    }

    #[test]
    fn resources_of_a_refused_patient_are_refused_too_and_unknown_types_are_warnings() {
        let mut bad_patient = patient();
        bad_patient["gender"] = json!("other");
        let heart_rate = json!({"resourceType": "Observation", "status": "final", "subject": subject(),
            "code": {"coding": [{"system": codes::LOINC, "code": "8867-4"}]}, "effectiveDateTime": "2026-11-27T15:40:00Z",
            "valueQuantity": quantity(96.0, "/min")});
        let condition = json!({"resourceType": "Condition"});
        let plan = plan_value(&bundle("collection", vec![bad_patient, heart_rate, condition]), latest()).unwrap();
        assert!(plan.items.is_empty());
        let issues: Vec<(&str, &str, &str)> =
            plan.issues.iter().map(|i| (i.severity, i.code, i.expression.as_str())).collect();
        assert_eq!(
            issues,
            [
                ("error", "code-invalid", "Bundle.entry[0].resource.gender"),
                ("warning", "not-supported", "Bundle.entry[2].resource"),
                ("error", "invalid", "Bundle.entry[1].resource"),
            ]
        );
    }

    #[test]
    fn administrations_must_be_aldesleukin_and_completed_or_not_done() {
        let dose = |status: &str, code: &str| {
            json!({"resourceType": "MedicationAdministration", "status": status, "subject": {"reference": "Patient/3"},
                   "medicationCodeableConcept": {"coding": [{"system": codes::RXNORM, "code": code}]},
                   "effectiveDateTime": "2026-11-27T08:00:00Z", "note": [{"text": "given against a hold: reassessed"}]})
        };
        let plan = plan_value(
            &bundle(
                "collection",
                vec![
                    dose("completed", "70223"),
                    dose("not-done", "70223"),
                    dose("in-progress", "70223"),
                    dose("completed", "161"),
                ],
            ),
            latest(),
        )
        .unwrap();
        let doses: Vec<(&str, Option<&str>, &CourseRef)> = plan
            .items
            .iter()
            .map(|planned| match &planned.item {
                Item::Dose(dose) => (dose.status, dose.override_reason.as_deref(), &dose.course),
                other => panic!("{other:?}"),
            })
            .collect();
        let reason = Some("given against a hold: reassessed");
        assert_eq!(doses, [("given", reason, &CourseRef::Latest), ("held", reason, &CourseRef::Latest)]);
        let codes: Vec<&str> = plan.issues.iter().map(|issue| issue.code).collect();
        assert_eq!(codes, ["value", "not-supported"]);
    }

    #[test]
    fn a_logged_low_dose_injection_is_read_back_as_an_injection_never_as_a_high_dose_infusion() {
        let injection = json!({"resourceType": "MedicationAdministration", "status": "not-done",
            "extension": [{"url": codes::EXTENSION_INJECTION_SLOT, "valueInteger": 2},
                          {"url": codes::EXTENSION_DOSE_LEVEL, "valueString": "1-miu"}],
            "identifier": [{"system": codes::IL2CARE_INJECTION, "value": "11"}], "subject": {"reference": "Patient/3"},
            "statusReason": [{"text": "fever"}], "note": [{"text": "called the clinic"}],
            "medicationCodeableConcept": {"coding": [{"system": codes::RXNORM, "code": "70223"}]},
            "dosage": {"site": {"coding": [{"system": codes::IL2CARE_INJECTION_SITE, "code": "thigh_left"}]}},
            "effectiveDateTime": "2026-11-27T08:00:00Z"});
        let plan = plan_value(&bundle("collection", vec![injection]), latest()).unwrap();
        assert!(plan.issues.is_empty(), "{:?}", plan.issues);
        let [Planned { item: Item::Injection(read), .. }] = plan.items.as_slice() else { panic!("{:?}", plan.items) };
        assert_eq!(read.course, CourseRef::Latest);
        assert_eq!(
            Value::Object(read.document.clone()),
            json!({"status": "skipped", "at": "2026-11-27T08:00:00Z", "slot": 2, "dose_level": "1-miu",
                   "site": "thigh_left", "skip_reason": "fever", "note": "called the clinic"})
        );
    }

    /// A record of two patients (the second's gender unreadable, so its course and that course's doses are
    /// dropped in the first and second rounds) as an exported Bundle, its Patients last.
    fn two_patients(kind: &str) -> String {
        use super::super::export::{self, CourseEntry, DoseEntry, ObservationEntry, PatientEntry, PatientRecord};
        let record = |id: i64, sex: &str| PatientRecord {
            patient: Some(PatientEntry {
                id,
                mrn: format!("A-{id}"),
                name: "Ada Example".into(),
                date_of_birth: "1970-01-01".into(),
                sex: sex.into(),
                time_zone: "America/New_York".into(),
            }),
            courses: vec![CourseEntry {
                id: id * 10,
                regimen: "hd-iv".into(),
                rule_set: "label".into(),
                started_at_ms: 1_764_000_000_000,
                baseline_weight_kg: Some("80".into()),
                baseline_creatinine_mg_dl: None,
            }],
            observations: vec![ObservationEntry {
                id: id * 100,
                client_id: None,
                document: json!({"code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"},
                                 "at": "2026-11-27T15:40:00Z"}),
            }],
            doses: (0..2)
                .map(|n| DoseEntry {
                    id: id * 1000 + n,
                    course_id: id * 10,
                    status: "given".into(),
                    at_ms: 1_764_000_000_000 + n * 28_800_000,
                    override_reason: None,
                    decision: None,
                    reason_code: None,
                    cosigned_by: None,
                })
                .collect(),
            ..PatientRecord::default()
        };
        let mut resources = export::resources(&record(8, "unknown"));
        resources.extend(export::resources(&record(7, "female")));
        resources.push(json!({"resourceType": "Condition"}));
        resources.sort_by_key(|resource| resource["resourceType"] == "Patient");
        let mut bundle = export::bundle_of(resources, export::BundleType::Collection, "https://ehr.example/fhir", 0);
        bundle["type"] = json!(kind);
        let count = bundle["entry"].as_array().map_or(0, Vec::len);
        // The first Patient (the record of patient 8): its course, doses and observation are refused with it.
        bundle["entry"][count - 2]["resource"]["gender"] = json!("other");
        bundle.to_string()
    }

    #[test]
    fn a_plan_read_a_chunk_at_a_time_has_the_items_and_issues_of_the_whole_plan_in_the_same_order() {
        for kind in ["collection", "transaction", "batch"] {
            let text = two_patients(kind);
            let whole = plan(&text, latest()).unwrap();
            let rank = |item: &Item| match item {
                Item::Patient(_) => 0,
                Item::Course(_) => 1,
                _ => 2,
            };
            let mut items = whole.items.clone();
            items.sort_by_key(|planned| (rank(&planned.item), planned.entry));
            let codes: Vec<&str> = whole.issues.iter().map(|issue| issue.code).collect();
            assert!(codes.contains(&"code-invalid") && codes.iter().filter(|code| **code == "invalid").count() >= 4);
            for chunk in [1, 2, 3, 1000] {
                let bundle = BundleEntries::read(&text, latest(), &ImportOptions::default()).unwrap();
                let (mut chunked, mut read) = ChunkedPlan::new(bundle, text.as_str()).unwrap();
                let mut gone_through = 0;
                while let Some((chunk_items, entries)) = chunked.next_chunk(chunk).unwrap() {
                    read.extend(chunk_items);
                    gone_through += entries;
                }
                assert_eq!(gone_through + chunked.referred_to(), whole.entries);
                assert_eq!((chunked.kind(), chunked.entries()), (whole.kind, whole.entries));
                assert_eq!(read, items, "{kind}, chunks of {chunk}");
                assert_eq!(chunked.issues(), whole.issues, "{kind}, chunks of {chunk}");
                assert_eq!(chunked.has_errors(), whole.has_errors());
            }
        }
    }

    /// A copy of a Bundle's text read again span by span, as a file is.
    struct Copy(String);

    impl Reread for Copy {
        fn span(&mut self, start: usize, end: usize) -> Result<Cow<'_, str>, String> {
            let bytes = self.0.as_bytes().get(start..end).ok_or("the copy is shorter")?;
            String::from_utf8(bytes.to_vec()).map(Cow::Owned).map_err(|error| error.to_string())
        }
    }

    /// Every chunk of a plan read from `text`, or the OperationOutcome that stopped it.
    fn chunks(bundle: BundleEntries, text: impl Reread) -> Result<(Vec<Planned>, Vec<Issue>), Value> {
        let (mut chunked, mut items) = ChunkedPlan::new(bundle, text)?;
        while let Some((chunk, _)) = chunked.next_chunk(2)? {
            items.extend(chunk);
        }
        Ok((items, chunked.issues()))
    }

    #[test]
    fn entries_read_again_from_an_unchanged_copy_are_the_entries_of_the_text() {
        let text = two_patients("collection");
        let options = ImportOptions::default();
        let held = chunks(BundleEntries::read(&text, latest(), &options).unwrap(), text.as_str()).unwrap();
        let copied = BundleEntries::read_to_reread(&text, latest(), &options).unwrap();
        assert_eq!(chunks(copied, Copy(text.clone())).unwrap(), held);
        assert!(!held.0.is_empty() && !held.1.is_empty());
    }

    #[test]
    fn a_copy_that_changed_after_the_first_reading_refuses_the_import_naming_the_entry() {
        let text = two_patients("collection");
        let options = ImportOptions::default();
        // The systolic pressure 86 becomes 96: same length, same JSON, another value.
        let changed = text.replacen("\"value\":86", "\"value\":96", 1);
        assert_ne!(changed, text);
        let bundle = BundleEntries::read_to_reread(&text, latest(), &options).unwrap();
        let outcome = chunks(bundle, Copy(changed)).unwrap_err();
        let diagnostics = outcome["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(diagnostics.contains("changed while the Bundle was being imported"), "{diagnostics}");
        assert!(diagnostics.starts_with("Bundle.entry["), "{diagnostics}");
        // A copy cut short cannot be read again.
        let bundle = BundleEntries::read_to_reread(&text, latest(), &options).unwrap();
        let outcome = chunks(bundle, Copy(text[..text.len() / 2].to_string())).unwrap_err();
        assert!(outcome["issue"][0]["diagnostics"].as_str().unwrap().contains("could not be read again"), "{outcome}");
        // Without fingerprints (the text itself is held), nothing is compared.
        let bundle = BundleEntries::read(&text, latest(), &options).unwrap();
        assert!(bundle.fingerprints.is_empty());
    }

    #[test]
    fn a_large_bundle_with_a_member_named_twice_is_refused_naming_it_as_a_small_one_is() {
        let observation = json!({"resourceType": "Observation", "status": "final", "subject": subject(),
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "effectiveDateTime": "2026-11-27T08:00:00Z", "valueQuantity": quantity(88.0, "/min")});
        for count in [3, 6_000] {
            let mut resources = vec![patient()];
            resources.extend((0..count).map(|_| observation.clone()));
            let text = bundle("collection", resources).to_string();
            assert_eq!(text.len() >= PARALLEL_FROM_BYTES, count > 3, "{} bytes", text.len());
            let at = text.rfind(r#""status":"final""#).unwrap();
            let twice = format!("{}\"status\":\"final\",{}", &text[..at], &text[at..]);
            let outcome = BundleEntries::read(&twice, latest(), &ImportOptions::default()).err().unwrap();
            assert_eq!(outcome["issue"][0]["expression"][0], format!("Bundle.entry[{count}].resource.status"));
            assert!(outcome["issue"][0]["diagnostics"].as_str().unwrap().contains("appears twice"), "{outcome}");
            assert!(BundleEntries::read(&text, latest(), &ImportOptions::default()).is_ok());
        }
    }

    #[test]
    fn a_bundle_that_is_not_a_transaction_or_collection_is_refused_whole() {
        for (body, words) in [
            (json!({"resourceType": "Patient"}), "must be a FHIR Bundle"),
            (json!({"resourceType": "Bundle", "type": "searchset"}), "not transaction, batch or collection"),
            (json!({"resourceType": "Bundle", "type": "collection", "entry": {}}), "must be a list"),
        ] {
            let outcome = plan_value(&body, latest()).unwrap_err();
            assert_eq!(outcome["resourceType"], "OperationOutcome");
            assert!(outcome["issue"][0]["diagnostics"].as_str().unwrap().contains(words), "{outcome}");
        }
        assert!(plan("{not json", latest()).is_err());
    }
}
