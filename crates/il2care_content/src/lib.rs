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

use std::fmt::Write as _;

use il2care_core::Source;

pub mod readability;

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
pub const ADVICE_FILES: [(&str, &str); 17] = [
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

/// Every advice topic, in TRIAGE.md order.
pub fn advice_topics() -> Vec<Advice> {
    ADVICE_FILES
        .iter()
        .map(|&(id, text)| {
            let mut document = parsed(id, text);
            Advice { title: document.title, entry: document.entries.remove(0) }
        })
        .collect()
}

/// The advice topic with this id (`fever`, `flu_like`, ...).
pub fn advice(topic: &str) -> Option<Advice> {
    advice_topics().into_iter().find(|advice| advice.entry.id == topic)
}

/// A message by id: a level id (`self_care`, `call_today`, `call_now`, `emergency`), `unanswered` or
/// `disclaimer`.
pub fn message(id: &str) -> Option<Entry> {
    parsed(MESSAGES_FILE.0, MESSAGES_FILE.1).entries.into_iter().find(|entry| entry.id == id)
}

/// A text of the injection log page by id (`injections.intro`, `injections.never-double`,
/// `injections.skipped`, `injections.already-logged`).
pub fn injection_text(id: &str) -> Option<Entry> {
    parsed(INJECTIONS_FILE.0, INJECTIONS_FILE.1).entries.into_iter().find(|entry| entry.id == id)
}

/// The disclaimer that ends every page (EDUCATION.md section 6).
pub fn disclaimer() -> Entry {
    message("disclaimer").expect("messages.md has a disclaimer entry (checked by the content tests)")
}

/// The education sheet's sections, in order.
pub fn sheet() -> Vec<Document> {
    SHEET_FILES.iter().map(|&(file, text)| parsed(file, text)).collect()
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

/// The education sheet as plain text, ending with the disclaimer.
pub fn sheet_text() -> String {
    let mut out = format!("{SHEET_TITLE}\n{}\n", "=".repeat(SHEET_TITLE.chars().count()));
    for section in sheet() {
        let _ = write!(out, "\n{}\n{}\n", section.title, "-".repeat(section.title.chars().count()));
        for entry in &section.entries {
            let _ = write!(out, "\n{}", blocks_text(&entry.blocks, ""));
        }
    }
    let _ = write!(out, "\n{}", disclaimer().plain_text());
    out
}

/// The education sheet as a standalone printable HTML page (A4 or Letter), ending with the disclaimer.
/// Each fact's source ids are printed small after it, for reviewers.
pub fn sheet_html() -> String {
    let mut body = String::new();
    for section in sheet() {
        let _ = writeln!(body, "<section>\n<h2>{}</h2>", escape(section.title));
        for entry in &section.entries {
            let _ = writeln!(body, "<div class=\"fact\" id=\"{}\">", escape(entry.id));
            body.push_str(&blocks_html(&entry.blocks));
            let _ = writeln!(body, "<p class=\"source\">Source: {}</p>\n</div>", escape(entry.source.0));
        }
        body.push_str("</section>\n");
    }
    let disclaimer = disclaimer();
    let _ = writeln!(body, "<footer class=\"disclaimer\">\n{}</footer>", blocks_html(&disclaimer.blocks));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <style>\n{PRINT_CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(SHEET_TITLE),
    )
}

/// Print styles: `@page` margins without a fixed size, so A4 and Letter both fit; no width wider than the
/// page; headings kept with what follows; a fact never split across pages.
const PRINT_CSS: &str = "\
@page { margin: 18mm 16mm; }
html { font-family: Arial, Helvetica, sans-serif; font-size: 12pt; line-height: 1.45; color: #000; }
body { margin: 0 auto; max-width: 42em; padding: 0 1em; }
h1 { font-size: 18pt; margin: 0 0 0.6em; }
h2 { font-size: 14pt; margin: 1.2em 0 0.4em; border-bottom: 1px solid #555; }
h1, h2 { break-after: avoid; page-break-after: avoid; }
.fact { break-inside: avoid; page-break-inside: avoid; margin: 0 0 0.7em; }
.fact p, .fact ul { margin: 0.2em 0; }
p, li { orphans: 3; widows: 3; }
ul { padding-left: 1.4em; }
.source { font-size: 8pt; color: #555; }
.disclaimer { margin-top: 1.5em; padding-top: 0.5em; border-top: 2px solid #000; break-inside: avoid; page-break-inside: avoid; }
img, table, pre { max-width: 100%; }
@media print {
  body { max-width: none; padding: 0; }
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
