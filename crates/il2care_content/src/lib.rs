//! il2care's patient-facing texts: the triage advice topics, the result messages (action first), the
//! injection log page's texts and the patient education sheet, read from the reviewable Markdown files in
//! `content/` (embedded at build time).
//!
//! Every entry carries its source ids. Texts are never written in code: a change of wording is a change of a
//! content file, which clinicians can review (and translators can later mirror by entry id). This crate
//! decides nothing clinical and does no IO; `readability` measures the reading grade of the texts.
//!
//! Content file format: `# Title` names the file's section; `## entry.id [SOURCE, SOURCE §x]` starts an
//! entry; then paragraphs (separated by blank lines) and `- ` bullet lists; `**bold**` is allowed inline;
//! `<!-- ... -->` lines are notes for reviewers and are not shown.
//!
//! Phone numbers are site settings (TRIAGE.md amendment 5), never written into the texts: a text says
//! `{emergency}` (the emergency number, 911 unless the site sets another), `{line24}` (the care team's 24-hour
//! line) or `{office}` (the office line), and [`SiteNumbers::fill`] turns them into words with the number when
//! the site has one ("the 24-hour line (555-0100)") and without it when not ("the 24-hour line").
//!
//! Patient text never shows editorial notes: [`EDITORIAL_MARKERS`] lists what must never render, and a test
//! walks every text a patient can see.

use std::fmt::Write as _;

use il2care_core::Source;
use il2care_core::regimens::Indication;
use il2care_core::triage::{Item, Level};

pub mod readability;

/// The language of the patient's texts (EDUCATION.md "Writing rules": a Spanish version keeps the ids of the
/// English entries). English is the default; every text exists in both, checked by the content tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    #[default]
    English,
    Spanish,
}

impl Language {
    /// Every language.
    pub const ALL: [Language; 2] = [Language::English, Language::Spanish];

    /// The language tag (`en`, `es`), also the page's `lang` attribute.
    pub const fn id(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Spanish => "es",
        }
    }

    /// The language for a tag (`en`, `es`), exactly as written.
    pub fn from_id(id: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|language| language.id() == id)
    }

    fn files(self) -> &'static Files {
        match self {
            Language::English => &ENGLISH,
            Language::Spanish => &SPANISH,
        }
    }
}

/// The content files of one language.
struct Files {
    advice: &'static [(&'static str, &'static str)],
    sheet: &'static [(&'static str, &'static str)],
    messages: (&'static str, &'static str),
    /// The words of the patient's pages (headings, buttons, labels).
    pages: (&'static str, &'static str),
    /// The questions and answer words of the check-in (English ones live with the questionnaire in the core).
    questions: Option<(&'static str, &'static str)>,
}

const ENGLISH: Files =
    Files { advice: &ADVICE_FILES, sheet: &SHEET_FILES, messages: MESSAGES_FILE, pages: PAGES_FILE, questions: None };

const SPANISH: Files = Files {
    advice: &ADVICE_FILES_ES,
    sheet: &SHEET_FILES_ES,
    messages: ("es/messages.md", include_str!("../content/es/messages.md")),
    pages: ("es/pages.md", include_str!("../content/es/pages.md")),
    questions: Some(("es/questions.md", include_str!("../content/es/questions.md"))),
};

/// The Spanish advice topic files, by topic id (the same ids as [`ADVICE_FILES`]).
pub const ADVICE_FILES_ES: [(&str, &str); 18] = [
    ("fever", include_str!("../content/es/advice/fever.md")),
    ("flu_like", include_str!("../content/es/advice/flu_like.md")),
    ("infection", include_str!("../content/es/advice/infection.md")),
    ("breathing", include_str!("../content/es/advice/breathing.md")),
    ("capillary_leak", include_str!("../content/es/advice/capillary_leak.md")),
    ("nausea", include_str!("../content/es/advice/nausea.md")),
    ("diarrhea", include_str!("../content/es/advice/diarrhea.md")),
    ("skin", include_str!("../content/es/advice/skin.md")),
    ("bleeding", include_str!("../content/es/advice/bleeding.md")),
    ("liver", include_str!("../content/es/advice/liver.md")),
    ("kidney", include_str!("../content/es/advice/kidney.md")),
    ("mouth", include_str!("../content/es/advice/mouth.md")),
    ("neuro", include_str!("../content/es/advice/neuro.md")),
    ("fatigue", include_str!("../content/es/advice/fatigue.md")),
    ("nutrition", include_str!("../content/es/advice/nutrition.md")),
    ("injection_site", include_str!("../content/es/advice/injection_site.md")),
    ("pregnancy", include_str!("../content/es/advice/pregnancy.md")),
    ("heart", include_str!("../content/es/advice/heart.md")),
];

/// The Spanish education sheet's sections, in order (the same entry ids as [`SHEET_FILES`]).
pub const SHEET_FILES_ES: [(&str, &str); 5] = [
    ("es/education/1-about.md", include_str!("../content/es/education/1-about.md")),
    ("es/education/2-before.md", include_str!("../content/es/education/2-before.md")),
    ("es/education/3-side-effects.md", include_str!("../content/es/education/3-side-effects.md")),
    ("es/education/4-pregnancy.md", include_str!("../content/es/education/4-pregnancy.md")),
    ("es/education/5-home.md", include_str!("../content/es/education/5-home.md")),
];

/// The site's phone numbers, shown on every patient page and printed on the sheet (TRIAGE.md amendment 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteNumbers {
    /// The emergency number (default `911`).
    pub emergency: String,
    /// The care team's 24-hour line, when the site has set it.
    pub line_24h: Option<String>,
    /// The care team's office line, when the site has set it.
    pub office: Option<String>,
}

impl Default for SiteNumbers {
    fn default() -> SiteNumbers {
        SiteNumbers { emergency: "911".into(), line_24h: None, office: None }
    }
}

impl SiteNumbers {
    /// `text` with its placeholders filled: `{emergency}` by the number, `{line24}` by "the 24-hour line" and
    /// `{office}` by "the office", each followed by its number in brackets when the site has set one.
    pub fn fill(&self, text: &str) -> String {
        self.fill_in(Language::English, text)
    }

    /// `text` with its placeholders filled in `language` ("la línea de 24 horas (555-0100)" in Spanish).
    pub fn fill_in(&self, language: Language, text: &str) -> String {
        let named = |words: &str, number: &Option<String>| match number {
            Some(number) if !number.trim().is_empty() => format!("{words} ({})", number.trim()),
            _ => words.to_string(),
        };
        let (line24, office) = match language {
            Language::English => ("the 24-hour line", "the office"),
            Language::Spanish => ("la línea de 24 horas", "la oficina"),
        };
        text.replace("{emergency}", self.emergency.trim())
            .replace("{line24}", &named(line24, &self.line_24h))
            .replace("{office}", &named(office, &self.office))
    }
}

/// Words that mark unfinished or editorial text. None of them may ever reach a patient, on screen or on
/// paper (EDUCATION.md amendment 1); the content tests render every patient text and look for each.
pub const EDITORIAL_MARKERS: [&str; 12] = [
    "UNCONFIRMED",
    "unconfirmed",
    "still being written",
    "still being checked",
    "Source:",
    "[EDU",
    "[PRODUCT",
    "[LABEL",
    "TODO",
    "TBD",
    "<!--",
    "{",
];

/// The first editorial marker found in `text`, if any.
pub fn editorial_marker(text: &str) -> Option<&'static str> {
    EDITORIAL_MARKERS.into_iter().find(|marker| text.contains(marker))
}

/// A block of an entry's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Paragraph(String),
    Bullets(Vec<String>),
}

/// One entry: a fact, an advice topic or a message, with its sources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The stable id (`fever`, `about.pronunciation`, `call_now`).
    pub id: &'static str,
    /// Where the fact comes from (source ids of `clinical/SOURCES.md`).
    pub source: Source,
    /// The body, in order.
    pub blocks: Vec<Block>,
}

impl Entry {
    /// The first paragraph (for a message: the action), without markup.
    pub fn headline(&self) -> String {
        self.blocks
            .iter()
            .find_map(|block| match block {
                Block::Paragraph(text) => Some(plain(text)),
                Block::Bullets(_) => None,
            })
            .unwrap_or_default()
    }

    /// Every block after the first paragraph.
    pub fn rest(&self) -> &[Block] {
        match self.blocks.first() {
            Some(Block::Paragraph(_)) => &self.blocks[1..],
            _ => &self.blocks,
        }
    }

    /// The whole body as plain text, one block per paragraph, bullets as `- ` lines.
    pub fn plain_text(&self) -> String {
        blocks_text(&self.blocks, "")
    }

    /// The entry with the site's numbers filled in (see [`SiteNumbers::fill`]).
    pub fn filled(&self, numbers: &SiteNumbers) -> Entry {
        self.filled_in(Language::English, numbers)
    }

    /// The entry with the site's numbers filled in, in `language`.
    pub fn filled_in(&self, language: Language, numbers: &SiteNumbers) -> Entry {
        let fill = |text: &String| numbers.fill_in(language, text);
        let blocks = self
            .blocks
            .iter()
            .map(|block| match block {
                Block::Paragraph(text) => Block::Paragraph(fill(text)),
                Block::Bullets(bullets) => Block::Bullets(bullets.iter().map(fill).collect()),
            })
            .collect();
        Entry { id: self.id, source: self.source, blocks }
    }
}

/// A content file: its title and its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub title: &'static str,
    pub entries: Vec<Entry>,
}

/// A content file that does not follow the format; a test parses every file, so this never reaches a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    pub file: &'static str,
    pub line: usize,
    pub reason: &'static str,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} line {}: {}", self.file, self.line, self.reason)
    }
}

/// The advice topic files, by topic id (TRIAGE.md "Advice topics").
pub const ADVICE_FILES: [(&str, &str); 18] = [
    ("fever", include_str!("../content/advice/fever.md")),
    ("flu_like", include_str!("../content/advice/flu_like.md")),
    ("infection", include_str!("../content/advice/infection.md")),
    ("breathing", include_str!("../content/advice/breathing.md")),
    ("capillary_leak", include_str!("../content/advice/capillary_leak.md")),
    ("nausea", include_str!("../content/advice/nausea.md")),
    ("diarrhea", include_str!("../content/advice/diarrhea.md")),
    ("skin", include_str!("../content/advice/skin.md")),
    ("bleeding", include_str!("../content/advice/bleeding.md")),
    ("liver", include_str!("../content/advice/liver.md")),
    ("kidney", include_str!("../content/advice/kidney.md")),
    ("mouth", include_str!("../content/advice/mouth.md")),
    ("neuro", include_str!("../content/advice/neuro.md")),
    ("fatigue", include_str!("../content/advice/fatigue.md")),
    ("nutrition", include_str!("../content/advice/nutrition.md")),
    ("injection_site", include_str!("../content/advice/injection_site.md")),
    ("pregnancy", include_str!("../content/advice/pregnancy.md")),
    ("heart", include_str!("../content/advice/heart.md")),
];

/// The education sheet's sections, in order (EDUCATION.md sections 1 to 5; section 6, the disclaimer, ends it).
pub const SHEET_FILES: [(&str, &str); 5] = [
    ("education/1-about.md", include_str!("../content/education/1-about.md")),
    ("education/2-before.md", include_str!("../content/education/2-before.md")),
    ("education/3-side-effects.md", include_str!("../content/education/3-side-effects.md")),
    ("education/4-pregnancy.md", include_str!("../content/education/4-pregnancy.md")),
    ("education/5-home.md", include_str!("../content/education/5-home.md")),
];

/// Result messages by level id, the unanswered-questions note and the disclaimer.
pub const MESSAGES_FILE: (&str, &str) = ("messages.md", include_str!("../content/messages.md"));

/// The words of the patient's pages around the messages (headings, buttons, labels), by entry id.
pub const PAGES_FILE: (&str, &str) = ("pages.md", include_str!("../content/pages.md"));

/// Every entry id of the pages file (the same in every language, checked by the content tests).
pub const PAGE_TEXTS: [&str; 27] = [
    "page.checkin-title",
    "page.check-in",
    "page.step",
    "page.of",
    "page.next",
    "page.back",
    "page.send",
    "page.check-answer",
    "page.fahrenheit",
    "page.switch-to-fahrenheit",
    "page.answer-all",
    "page.answer-core",
    "page.other-language",
    "page.advice",
    "page.temperature-unit",
    "page.unit-times",
    "page.unit-hours",
    "page.phone-numbers",
    "page.emergency",
    "page.emergency-number",
    "page.line24-number",
    "page.office-number",
    "page.checked-in",
    "page.check-in-again",
    "page.my-check-ins",
    "page.no-check-ins",
    "page.back-to-il2care",
];

/// The injection log page's texts (low-dose shots at home), by entry id.
pub const INJECTIONS_FILE: (&str, &str) = ("injections.md", include_str!("../content/injections.md"));

/// Parses one content file.
pub fn parse(file: &'static str, text: &'static str) -> Result<Document, FormatError> {
    let error = |line: usize, reason: &'static str| FormatError { file, line: line + 1, reason };
    let mut title = None;
    let mut entries: Vec<Entry> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut in_comment = false;
    for (number, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if in_comment || trimmed.starts_with("<!--") {
            in_comment = !trimmed.ends_with("-->");
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix("## ") {
            flush(&mut paragraph, entries.last_mut());
            let (id, sources) = heading.split_once(" [").ok_or(error(number, "an entry needs `## id [SOURCES]`"))?;
            let sources = sources.strip_suffix(']').ok_or(error(number, "the sources must end with `]`"))?;
            entries.push(Entry { id: id.trim(), source: Source(sources), blocks: Vec::new() });
        } else if let Some(heading) = trimmed.strip_prefix("# ") {
            if title.is_some() || !entries.is_empty() {
                return Err(error(number, "one `# Title` per file, before the entries"));
            }
            title = Some(heading.trim());
        } else if trimmed.is_empty() {
            flush(&mut paragraph, entries.last_mut());
        } else {
            let entry = entries.last_mut().ok_or(error(number, "text before the first `## id [SOURCES]`"))?;
            if let Some(bullet) = trimmed.strip_prefix("- ") {
                flush(&mut paragraph, Some(&mut *entry));
                match entry.blocks.last_mut() {
                    Some(Block::Bullets(bullets)) => bullets.push(bullet.to_string()),
                    _ => entry.blocks.push(Block::Bullets(vec![bullet.to_string()])),
                }
            } else {
                paragraph.push(trimmed);
            }
        }
    }
    flush(&mut paragraph, entries.last_mut());
    let title = title.ok_or(error(0, "the file needs a `# Title`"))?;
    if entries.iter().any(|entry| entry.blocks.is_empty()) {
        return Err(error(0, "every entry needs text"));
    }
    Ok(Document { title, entries })
}

fn flush(paragraph: &mut Vec<&str>, entry: Option<&mut Entry>) {
    if let Some(entry) = entry
        && !paragraph.is_empty()
    {
        entry.blocks.push(Block::Paragraph(paragraph.join(" ")));
    }
    paragraph.clear();
}

fn parsed(file: &'static str, text: &'static str) -> Document {
    parse(file, text).unwrap_or_else(|error| panic!("content file format (checked by the content tests): {error}"))
}

/// An advice topic: its title (from the file) and its entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advice {
    pub title: &'static str,
    pub entry: Entry,
}

/// Every advice topic, in TRIAGE.md order, with the default numbers (emergency 911, no lines set).
pub fn advice_topics() -> Vec<Advice> {
    advice_topics_with(&SiteNumbers::default())
}

/// Every advice topic, in TRIAGE.md order, with the site's numbers.
pub fn advice_topics_with(numbers: &SiteNumbers) -> Vec<Advice> {
    advice_topics_in(Language::English, numbers)
}

/// Every advice topic, in TRIAGE.md order, in `language`, with the site's numbers.
pub fn advice_topics_in(language: Language, numbers: &SiteNumbers) -> Vec<Advice> {
    language
        .files()
        .advice
        .iter()
        .map(|&(id, text)| {
            let mut document = parsed(id, text);
            Advice { title: document.title, entry: document.entries.remove(0).filled_in(language, numbers) }
        })
        .collect()
}

/// The advice topic with this id, in `language`, with the site's numbers.
pub fn advice_in(language: Language, topic: &str, numbers: &SiteNumbers) -> Option<Advice> {
    advice_topics_in(language, numbers).into_iter().find(|advice| advice.entry.id == topic)
}

/// The advice topic with this id (`fever`, `flu_like`, ...), with the default numbers.
pub fn advice(topic: &str) -> Option<Advice> {
    advice_with(topic, &SiteNumbers::default())
}

/// The advice topic with this id, with the site's numbers.
pub fn advice_with(topic: &str, numbers: &SiteNumbers) -> Option<Advice> {
    advice_topics_with(numbers).into_iter().find(|advice| advice.entry.id == topic)
}

/// A message by id, with the default numbers: a level id (`self_care`, `call_today`, `call_now`,
/// `emergency`), `incomplete`, `unanswered`, `unanswered.<core item id>`, `hold-next-shot`, `emergency-box`,
/// `care-team-lines` or `disclaimer`.
///
/// A triage result is shown with [`result_message`], never with `message(level)` alone: only the chooser
/// knows that an incomplete check-in must not be reassured.
pub fn message(id: &str) -> Option<Entry> {
    message_with(id, &SiteNumbers::default())
}

/// A message by id, with the site's numbers.
pub fn message_with(id: &str, numbers: &SiteNumbers) -> Option<Entry> {
    message_in(Language::English, id, numbers)
}

/// A message by id, in `language`, with the site's numbers.
pub fn message_in(language: Language, id: &str, numbers: &SiteNumbers) -> Option<Entry> {
    let (file, text) = language.files().messages;
    parsed(file, text).entries.into_iter().find(|entry| entry.id == id).map(|entry| entry.filled_in(language, numbers))
}

fn required(language: Language, id: &str, numbers: &SiteNumbers) -> Entry {
    message_in(language, id, numbers)
        .unwrap_or_else(|| panic!("messages of {} have `{id}` (checked by the content tests)", language.id()))
}

/// The question a patient reads for `item`, in `language`.
pub fn question(language: Language, item: Item) -> String {
    match language.files().questions {
        None => item.question().to_string(),
        Some((file, text)) => parsed(file, text)
            .entries
            .into_iter()
            .find(|entry| entry.id.strip_prefix("question.") == Some(item.id()))
            .map(|entry| entry.headline())
            .unwrap_or_else(|| panic!("{file} has question.{item} (checked by the content tests)")),
    }
}

/// How an answer word of the check-in reads for a patient in `language`: a severity word (`none` ...
/// `very_severe`), an injection-site word (`red_or_sore`, `spreading_warm_or_pus`), `yes` or `no`.
pub fn answer_label(language: Language, word: &str) -> Option<String> {
    let id = format!("answer.{word}");
    match language.files().questions {
        None => parsed(MESSAGES_FILE.0, MESSAGES_FILE.1).entries.into_iter().find(|entry| entry.id == id),
        Some((file, text)) => parsed(file, text).entries.into_iter().find(|entry| entry.id == id),
    }
    .map(|entry| entry.headline())
}

/// What a triage result tells the patient: which message was chosen, the action first, then the rest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultMessage {
    /// The message chosen: a level id, or `incomplete` for a check-in at `self_care` with unanswered core
    /// items (TRIAGE.md amendment 1: it never gets the self-care reassurance).
    pub id: &'static str,
    /// The action, first.
    pub headline: String,
    /// Everything after the action, in order.
    pub rest: Vec<Block>,
}

impl ResultMessage {
    /// The whole message as plain text (headline, then the rest).
    pub fn plain_text(&self) -> String {
        format!("{}\n{}", self.headline, blocks_text(&self.rest, ""))
    }
}

/// The message for a triage result (TRIAGE.md amendment of 2026-12-04).
///
/// - `self_care` with an unanswered core item is `incomplete`: it names the unanswered questions and says to
///   call the 24-hour line if the patient feels unwell; the self-care reassurance is never shown.
/// - Any other level gets its own message; unanswered core items add a note that names them.
/// - `call_now` and `emergency` add "hold your next shot" (amendment 3).
pub fn result_message(level: Level, unanswered: &[Item], numbers: &SiteNumbers) -> ResultMessage {
    result_message_in(Language::English, level, unanswered, numbers)
}

/// The message for a triage result in `language` (see [`result_message`]).
pub fn result_message_in(
    language: Language,
    level: Level,
    unanswered: &[Item],
    numbers: &SiteNumbers,
) -> ResultMessage {
    let required_message = |id: &str, numbers: &SiteNumbers| required(language, id, numbers);
    let incomplete = !unanswered.is_empty();
    let (id, entry) = if level == Level::SelfCare && incomplete {
        ("incomplete", required_message("incomplete", numbers))
    } else {
        (level.id(), required_message(level.id(), numbers))
    };
    let mut rest = entry.rest().to_vec();
    if incomplete {
        if id != "incomplete" {
            rest.extend(required_message("unanswered", numbers).blocks);
        }
        let names = unanswered
            .iter()
            .map(|item| required_message(&format!("unanswered.{}", item.id()), numbers).headline())
            .collect();
        // The list of what is missing goes right after the first paragraph that introduces it.
        let at = if id == "incomplete" { 0 } else { rest.len() };
        rest.insert(at, Block::Bullets(names));
    }
    if level >= Level::CallNow {
        rest.extend(required_message("hold-next-shot", numbers).blocks);
    }
    ResultMessage { id, headline: entry.headline(), rest }
}

/// The emergency box that opens the sheet and every patient page (EDUCATION.md amendment 3): what needs the
/// emergency number at once, then the care team's lines.
pub fn emergency_box(numbers: &SiteNumbers) -> Entry {
    emergency_box_in(Language::English, numbers)
}

/// The emergency box in `language`.
pub fn emergency_box_in(language: Language, numbers: &SiteNumbers) -> Entry {
    required(language, "emergency-box", numbers)
}

/// A text of the injection log page by id (`injections.intro`, `injections.never-double`,
/// `injections.skipped`, `injections.already-logged`, `injections.screening-review`).
pub fn injection_text(id: &str) -> Option<Entry> {
    parsed(INJECTIONS_FILE.0, INJECTIONS_FILE.1).entries.into_iter().find(|entry| entry.id == id)
}

/// The injection log page's words with this id (`injections.title`, `injections.save`, ...), as one line. The
/// injection log has no Spanish version yet: its page is shown in English.
pub fn injection_words(id: &str) -> String {
    injection_text(id)
        .map(|entry| entry.headline())
        .unwrap_or_else(|| panic!("injections.md has `{id}` (checked by the content tests)"))
}

/// The words of the patient's pages with this id (one of [`PAGE_TEXTS`]: `page.send`, `page.my-check-ins`,
/// ...) in `language`, as one line.
pub fn page_text(language: Language, id: &str) -> String {
    let (file, text) = language.files().pages;
    parsed(file, text)
        .entries
        .into_iter()
        .find(|entry| entry.id == id)
        .map(|entry| entry.headline())
        .unwrap_or_else(|| panic!("{file} has `{id}` (checked by the content tests)"))
}

/// The disclaimer that ends every page (EDUCATION.md section 6).
pub fn disclaimer() -> Entry {
    disclaimer_in(Language::English)
}

/// The disclaimer in `language`.
pub fn disclaimer_in(language: Language) -> Entry {
    required(language, "disclaimer", &SiteNumbers::default())
}

/// The education sheet's sections, in order, for a patient whose regimen's indication is not known: facts
/// that depend on it (`about.used-for`, `about.how-it-works`) take their general version, which names no
/// illness (EDUCATION.md amendment 2).
pub fn sheet() -> Vec<Document> {
    sheet_for(None, &SiteNumbers::default())
}

/// The education sheet's sections for a regimen's indication, with the site's numbers. An entry written as
/// `id@cancer`, `id@immune` or `id@general` is one version of the fact `id`: the version of `indication` is
/// kept (the general one when the indication is not known) and named `id`; the others are left out.
pub fn sheet_for(indication: Option<Indication>, numbers: &SiteNumbers) -> Vec<Document> {
    sheet_in(Language::English, indication, numbers)
}

/// The education sheet's sections in `language` (see [`sheet_for`]).
pub fn sheet_in(language: Language, indication: Option<Indication>, numbers: &SiteNumbers) -> Vec<Document> {
    let wanted = indication.map_or("general", Indication::id);
    language
        .files()
        .sheet
        .iter()
        .map(|&(file, text)| {
            let mut document = parsed(file, text);
            document.entries = document
                .entries
                .into_iter()
                .filter_map(|mut entry| {
                    if let Some((id, version)) = entry.id.split_once('@') {
                        if version != wanted {
                            return None;
                        }
                        entry.id = id;
                    }
                    Some(entry.filled_in(language, numbers))
                })
                .collect();
            document
        })
        .collect()
}

/// Who and when a printed sheet is for (EDUCATION.md amendment 7), and what it says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SheetOptions {
    /// The patient's name, printed on every page (a line to write it on when absent).
    pub patient_name: Option<String>,
    /// The date printed, as the caller formats it (the content crate reads no clock).
    pub printed_on: Option<String>,
    /// The indication of the patient's regimen; `None` gives the general versions.
    pub indication: Option<Indication>,
    /// The site's phone numbers.
    pub numbers: SiteNumbers,
    /// The language of the sheet.
    pub language: Language,
}

/// Markup removed: `**bold**` becomes plain text.
pub fn plain(text: &str) -> String {
    text.replace("**", "")
}

fn blocks_text(blocks: &[Block], indent: &str) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Paragraph(text) => {
                let _ = writeln!(out, "{indent}{}", plain(text));
            }
            Block::Bullets(bullets) => {
                for bullet in bullets {
                    let _ = writeln!(out, "{indent}- {}", plain(bullet));
                }
            }
        }
    }
    out
}

/// The title line of the sheet.
pub const SHEET_TITLE: &str = "Interleukin-2 (IL-2), aldesleukin (Proleukin): what you need to know";

/// The education sheet as plain text, ending with the disclaimer (no patient, indication not known).
pub fn sheet_text() -> String {
    sheet_text_for(&SheetOptions::default())
}

/// The education sheet as plain text: the emergency box first, then the sections, then the disclaimer.
pub fn sheet_text_for(options: &SheetOptions) -> String {
    let language = options.language;
    let title = required(language, "sheet-title", &options.numbers).headline();
    let mut out = format!("{title}\n{}\n", "=".repeat(title.chars().count()));
    let _ = write!(out, "\n{}", emergency_box_in(language, &options.numbers).plain_text());
    let _ = write!(out, "{}", care_team_lines(language, &options.numbers, false));
    for section in sheet_in(language, options.indication, &options.numbers) {
        let _ = write!(out, "\n{}\n{}\n", section.title, "-".repeat(section.title.chars().count()));
        for entry in &section.entries {
            let _ = write!(out, "\n{}", blocks_text(&entry.blocks, ""));
        }
    }
    let _ = write!(out, "\n{}", disclaimer_in(language).plain_text());
    out
}

/// The care team's lines: each with its number, or with a line to write it on when the site has none.
fn care_team_lines(language: Language, numbers: &SiteNumbers, html: bool) -> String {
    let lines = required(language, "care-team-lines", numbers);
    let labels: Vec<String> = lines
        .blocks
        .iter()
        .flat_map(|block| match block {
            Block::Paragraph(text) => vec![plain(text)],
            Block::Bullets(bullets) => bullets.iter().map(|text| plain(text)).collect(),
        })
        .collect();
    let mut out = String::new();
    for (label, number) in labels.iter().zip([&numbers.line_24h, &numbers.office]) {
        let number = number.as_deref().map(str::trim).filter(|number| !number.is_empty());
        match (html, number) {
            (false, Some(number)) => {
                let _ = writeln!(out, "{label} {number}");
            }
            (false, None) => {
                let _ = writeln!(out, "{label} ______________________");
            }
            (true, Some(number)) => {
                let digits: String = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
                let _ = writeln!(
                    out,
                    "<p class=\"line\">{} <a href=\"tel:{}\">{}</a></p>",
                    escape(label),
                    escape(&digits),
                    escape(number)
                );
            }
            (true, None) => {
                let _ = writeln!(out, "<p class=\"line\">{} <span class=\"write-in\"></span></p>", escape(label));
            }
        }
    }
    out
}

/// The education sheet as a standalone printable HTML page (no patient, indication not known).
pub fn sheet_html() -> String {
    sheet_html_for(&SheetOptions::default())
}

/// The education sheet as a standalone printable HTML page (A4 or Letter): the emergency box first, the
/// care team's lines, the sections and the disclaimer. Every printed page carries the patient's name, the date
/// printed and its page number; a print button shows on screen only; there are no navigation links.
pub fn sheet_html_for(options: &SheetOptions) -> String {
    let numbers = &options.numbers;
    let language = options.language;
    let title = required(language, "sheet-title", numbers).headline();
    let mut body = String::new();
    let name = options.patient_name.as_deref().map(str::trim).filter(|name| !name.is_empty());
    let printed = options.printed_on.as_deref().map(str::trim).filter(|date| !date.is_empty());
    let labels = required(language, "sheet-labels", numbers);
    let label = |index: usize| {
        labels.blocks.get(index).map(|block| blocks_text(std::slice::from_ref(block), "")).unwrap_or_default()
    };
    let (name_label, date_label, page_label, print_label, print_help) =
        (label(0), label(1), label(2), label(3), label(4));
    let (name_label, date_label, page_label) = (name_label.trim(), date_label.trim(), page_label.trim());
    let _ = writeln!(
        body,
        "<div class=\"screen-only\"><button type=\"button\" class=\"print\" onclick=\"window.print()\">{}</button> \
         <span>{}</span></div>",
        escape(print_label.trim()),
        escape(print_help.trim())
    );
    let _ = writeln!(
        body,
        "<p class=\"who\">{} <strong>{}</strong> &middot; {} <strong>{}</strong></p>",
        escape(name_label),
        name.map_or_else(|| "<span class=\"write-in\"></span>".to_string(), escape),
        escape(date_label),
        printed.map_or_else(|| "<span class=\"write-in\"></span>".to_string(), escape),
    );
    let emergency = emergency_box_in(language, numbers);
    let _ = writeln!(
        body,
        "<section class=\"emergency\" id=\"emergency-box\">\n{}{}</section>",
        blocks_html(&emergency.blocks),
        care_team_lines(language, numbers, true)
    );
    for section in sheet_in(language, options.indication, numbers) {
        let _ = writeln!(body, "<section>\n<h2>{}</h2>", escape(section.title));
        for entry in &section.entries {
            let _ = writeln!(body, "<div class=\"fact\" id=\"{}\">", escape(entry.id));
            body.push_str(&blocks_html(&entry.blocks));
            body.push_str("</div>\n");
        }
        body.push_str("</section>\n");
    }
    let disclaimer = disclaimer_in(language);
    let _ = writeln!(body, "<footer class=\"disclaimer\">\n{}</footer>", blocks_html(&disclaimer.blocks));
    let running = format!(
        "{name_label} {} - {date_label} {}",
        name.unwrap_or("________________"),
        printed.unwrap_or("__________")
    );
    let page_css = format!(
        "@page {{ margin: 18mm 16mm; @top-left {{ content: \"{}\"; font-size: 9pt; }} \
         @bottom-right {{ content: \"{} \" counter(page) \" / \" counter(pages); font-size: 9pt; }} }}\n",
        css_string(&running),
        css_string(page_label)
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <style>\n{page_css}{PRINT_CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(&title),
        lang = language.id(),
    )
}

/// Text made safe inside a CSS string in double quotes.
fn css_string(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '"' | '\\' | '<' | '>' => ' ',
            other => other,
        })
        .collect()
}

/// Print styles (the `@page` rule with its running header and page numbers is written per sheet): margins
/// without a fixed size, so A4 and Letter both fit; no width wider than the page; headings kept with what
/// follows; a fact never split across pages; the print button only on screen.
const PRINT_CSS: &str = "\
html { font-family: Arial, Helvetica, sans-serif; font-size: 12pt; line-height: 1.45; color: #000; }
body { margin: 0 auto; max-width: 42em; padding: 0 1em; }
h1 { font-size: 18pt; margin: 0 0 0.6em; }
h2 { font-size: 14pt; margin: 1.2em 0 0.4em; border-bottom: 1px solid #555; }
h1, h2 { break-after: avoid; page-break-after: avoid; }
.fact { break-inside: avoid; page-break-inside: avoid; margin: 0 0 0.7em; }
.fact p, .fact ul { margin: 0.2em 0; }
p, li { orphans: 3; widows: 3; }
ul { padding-left: 1.4em; }
.emergency { border: 3px solid #b00000; padding: 0.5em 0.8em; margin: 0 0 1em; break-inside: avoid; page-break-inside: avoid; }
.emergency p:first-child { font-weight: bold; font-size: 13pt; }
.write-in { display: inline-block; min-width: 12em; border-bottom: 1px solid #000; }
.who { margin: 0 0 0.8em; }
.screen-only { margin: 0 0 1em; }
.print { font-size: 12pt; padding: 0.3em 1em; }
.disclaimer { margin-top: 1.5em; padding-top: 0.5em; border-top: 2px solid #000; break-inside: avoid; page-break-inside: avoid; }
img, table, pre { max-width: 100%; }
@media print {
  body { max-width: none; padding: 0; }
  .screen-only, nav { display: none; }
  a { color: #000; text-decoration: none; }
}
";

fn blocks_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Paragraph(text) => {
                let _ = writeln!(out, "<p>{}</p>", inline_html(text));
            }
            Block::Bullets(bullets) => {
                out.push_str("<ul>\n");
                for bullet in bullets {
                    let _ = writeln!(out, "<li>{}</li>", inline_html(bullet));
                }
                out.push_str("</ul>\n");
            }
        }
    }
    out
}

/// Escapes text and turns `**bold**` pairs into `<strong>`.
fn inline_html(text: &str) -> String {
    let mut out = String::new();
    for (index, part) in escape(text).split("**").enumerate() {
        if index % 2 == 1 {
            let _ = write!(out, "<strong>{part}</strong>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// HTML escaping of text and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests;
