//! `il2care assess|triage|screen --jsonl FILE|-`: many documents, one JSON document per line, one compact
//! result per line on stdout in the same order, and a summary on stderr.
//!
//! Each line's result is exactly what `il2care <command> --json` prints for that line (the same wire parse,
//! core evaluation and rendering, written on one line). A refused line gives
//! `{"line": N, "error": {"field", "message"}}` (N counts from 1) and the run goes on; a blank line is refused
//! too (field `document`), never skipped, so output line N always answers input line N. The run exits 0 unless
//! the input cannot be read or the output cannot be written (exit 1).
//!
//! Memory stays bounded: lines are read one at a time into chunks of at most [`CHUNK_LINES`] lines and
//! [`CHUNK_BYTES`] bytes, a line longer than [`MAX_LINE_BYTES`] is refused without being kept, and each chunk is
//! evaluated on every core (contiguous slices, results joined in order) and written before the next is read.
//! Nothing clinical is decided here.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};

use anyhow::Context;
use il2care_core::Refusal;
use serde_json::{Value, json};

use crate::Outcome;

/// The most lines evaluated together (one chunk); large enough to keep every core busy, small enough that a
/// chunk's documents and results stay a few megabytes.
pub const CHUNK_LINES: usize = 512;
/// The most bytes of input held in one chunk.
pub const CHUNK_BYTES: usize = 16 * 1024 * 1024;
/// The longest line accepted: 4 MiB, sixteen times the HTTP API's body limit; a longer line is refused.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// The evaluating commands that take `--jsonl`.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Assess,
    Triage,
    Screen,
}

impl Kind {
    fn command(self) -> &'static str {
        match self {
            Kind::Assess => "assess",
            Kind::Triage => "triage",
            Kind::Screen => "screen",
        }
    }

    /// The result field the summary counts by.
    fn counted_field(self) -> &'static str {
        match self {
            Kind::Assess => "decision",
            Kind::Triage => "level",
            Kind::Screen => "status",
        }
    }

    /// The result JSON of one document, the value `il2care <command> --json` prints, or the refusal.
    pub fn evaluate(self, text: &str) -> Result<Value, Refusal> {
        match self {
            Kind::Assess => {
                let document = il2care_wire::assessment::parse_assessment(text)?;
                let evaluation = il2care_core::assessment::assess(&document.assessment, &document.parameters);
                Ok(il2care_wire::assessment::result_json(&evaluation))
            }
            Kind::Triage => {
                let checkin = il2care_wire::checkin::parse_checkin(text)?;
                Ok(crate::triage::json(&il2care_core::triage::triage(&checkin), il2care_content::Language::English))
            }
            Kind::Screen => {
                let input = il2care_wire::screening::parse_screening(text)?;
                Ok(il2care_wire::screening::result_json(&il2care_core::screening::screen(&input)))
            }
        }
    }
}

/// One input line: its number (from 1) and its text, or why it was refused before parsing.
struct Line {
    number: u64,
    text: Result<String, Refusal>,
}

/// One output line and what the summary counts for it (`None` for a refused line).
struct Answer {
    json: String,
    counted: Option<String>,
}

/// Runs `kind` over every line of `path` (`-` for standard input).
pub fn run(kind: Kind, path: &str) -> Outcome {
    let (reader, length): (Box<dyn BufRead>, Option<u64>) = if path == "-" {
        (Box::new(BufReader::with_capacity(1 << 16, std::io::stdin().lock())), None)
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
        let length = file.metadata().ok().filter(|metadata| metadata.is_file()).map(|metadata| metadata.len());
        (Box::new(BufReader::with_capacity(1 << 16, file)), length)
    };
    let bar = progress_bar(kind, length);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut lines = Lines { reader, number: 0, at_end: false };
    let mut tally = Tally::default();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    loop {
        let (chunk, bytes) = lines.next_chunk().with_context(|| format!("reading {path}"))?;
        if chunk.is_empty() {
            break;
        }
        for answer in evaluate_chunk(kind, &chunk, threads) {
            tally.add(answer.counted);
            out.write_all(answer.json.as_bytes()).context("writing the results")?;
            out.write_all(b"\n").context("writing the results")?;
        }
        out.flush().context("writing the results")?;
        if length.is_some() {
            bar.inc(bytes);
        } else {
            bar.inc(chunk.len() as u64);
        }
    }
    bar.finish_and_clear();
    eprintln!("{}", tally.summary(kind));
    Ok(())
}

/// Evaluates a chunk on up to `threads` threads, each taking a contiguous slice, and returns the answers in
/// input order.
fn evaluate_chunk(kind: Kind, chunk: &[Line], threads: usize) -> Vec<Answer> {
    let per_thread = chunk.len().div_ceil(threads.max(1)).max(1);
    if per_thread >= chunk.len() {
        return chunk.iter().map(|line| answer(kind, line)).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunk
            .chunks(per_thread)
            .map(|slice| scope.spawn(move || slice.iter().map(|line| answer(kind, line)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| match handle.join() {
                Ok(answers) => answers,
                // A panic is a bug, not a refusal: let it end the run as it ends a single-document run.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// The output line for one input line.
fn answer(kind: Kind, line: &Line) -> Answer {
    let evaluated = line.text.as_ref().map_err(Clone::clone).and_then(|text| kind.evaluate(text));
    match evaluated {
        Ok(result) => Answer {
            json: serde_json::to_string(&result).expect("JSON values always serialize"),
            counted: Some(result[kind.counted_field()].as_str().unwrap_or("unknown").to_string()),
        },
        Err(refusal) => Answer { json: refused_line(line.number, &refusal).to_string(), counted: None },
    }
}

/// The output for a refused line: `{"line": N, "error": {"field", "message"}}`.
pub fn refused_line(number: u64, refusal: &Refusal) -> Value {
    json!({"line": number, "error": {"field": refusal.field, "message": refusal.reason}})
}

/// Reads lines one at a time, never holding more than one line beyond [`MAX_LINE_BYTES`].
struct Lines {
    reader: Box<dyn BufRead>,
    number: u64,
    at_end: bool,
}

impl Lines {
    /// The next chunk of lines and the bytes they took; empty at the end of the input.
    fn next_chunk(&mut self) -> std::io::Result<(Vec<Line>, u64)> {
        let mut chunk = Vec::new();
        let mut bytes = 0;
        while chunk.len() < CHUNK_LINES && bytes < CHUNK_BYTES as u64 {
            match self.next_line()? {
                Some((line, length)) => {
                    chunk.push(line);
                    bytes += length;
                }
                None => break,
            }
        }
        Ok((chunk, bytes))
    }

    /// The next line and the bytes it took, newline included; `None` at the end of the input.
    fn next_line(&mut self) -> std::io::Result<Option<(Line, u64)>> {
        if self.at_end {
            return Ok(None);
        }
        let mut buffer = Vec::new();
        let read = (&mut self.reader).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buffer)?;
        if read == 0 {
            self.at_end = true;
            return Ok(None);
        }
        self.number += 1;
        let mut length = read as u64;
        let complete = buffer.last() == Some(&b'\n');
        if complete {
            buffer.pop();
        } else if buffer.len() > MAX_LINE_BYTES {
            // Skip the rest of the long line without keeping it.
            length += self.skip_line()?;
            let refusal = Refusal::new("document", format!("is longer than {MAX_LINE_BYTES} bytes"));
            return Ok(Some((Line { number: self.number, text: Err(refusal) }, length)));
        } else {
            // The last line, without a newline.
            self.at_end = true;
        }
        let text = match String::from_utf8(buffer) {
            Ok(text) if text.trim().is_empty() => {
                Err(Refusal::new("document", "is a blank line; each line must hold one JSON document"))
            }
            Ok(text) => Ok(text),
            Err(error) => Err(Refusal::new("document", format!("is not UTF-8 ({})", error.utf8_error()))),
        };
        Ok(Some((Line { number: self.number, text }, length)))
    }

    /// Reads up to and including the next newline, discarding it; returns the bytes skipped.
    fn skip_line(&mut self) -> std::io::Result<u64> {
        let mut skipped = 0;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                self.at_end = true;
                return Ok(skipped);
            }
            let (used, found) = match available.iter().position(|&byte| byte == b'\n') {
                Some(index) => (index + 1, true),
                None => (available.len(), false),
            };
            self.reader.consume(used);
            skipped += used as u64;
            if found {
                return Ok(skipped);
            }
        }
    }
}

/// The counts behind the summary.
#[derive(Default)]
struct Tally {
    by_result: BTreeMap<String, u64>,
    refused: u64,
}

impl Tally {
    fn add(&mut self, counted: Option<String>) {
        match counted {
            Some(result) => *self.by_result.entry(result).or_default() += 1,
            None => self.refused += 1,
        }
    }

    /// `il2care triage --jsonl: 3 lines: 2 evaluated (level: call_now 1, self_care 1), 1 refused`.
    fn summary(&self, kind: Kind) -> String {
        let evaluated: u64 = self.by_result.values().sum();
        let counts: Vec<String> = self.by_result.iter().map(|(result, count)| format!("{result} {count}")).collect();
        let by = if counts.is_empty() {
            String::new()
        } else {
            format!(" ({}: {})", kind.counted_field(), counts.join(", "))
        };
        format!(
            "il2care {} --jsonl: {} lines: {evaluated} evaluated{by}, {} refused",
            kind.command(),
            evaluated + self.refused,
            self.refused
        )
    }
}

/// A bar on stderr while the lines are evaluated, only when stderr is a terminal (pipes, logs and tests see the
/// summary alone): bytes of a file, or lines of standard input.
fn progress_bar(kind: Kind, length: Option<u64>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let (bar, template) = match length {
        Some(length) => (
            indicatif::ProgressBar::new(length),
            "{spinner} {prefix} [{bar:30}] {bytes}/{total_bytes} ({elapsed}, {eta} left)",
        ),
        None => (indicatif::ProgressBar::new_spinner(), "{spinner} {prefix}: {pos} lines ({elapsed})"),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_prefix(format!("{} --jsonl", kind.command()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn lines(input: &[u8]) -> Vec<(u64, Result<String, String>)> {
        let mut lines = Lines { reader: Box::new(std::io::Cursor::new(input.to_vec())), number: 0, at_end: false };
        let mut all = Vec::new();
        while let Some((line, _)) = lines.next_line().unwrap() {
            all.push((line.number, line.text.map_err(|refusal| refusal.reason)));
        }
        all
    }

    #[test]
    fn lines_are_numbered_from_one_and_a_final_newline_adds_no_line() {
        let got = lines(b"{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(got, vec![(1, Ok("{\"a\":1}".into())), (2, Ok("{\"b\":2}".into()))]);
    }

    #[test]
    fn a_last_line_without_newline_is_read() {
        assert_eq!(lines(b"{}\n{\"b\":2}"), vec![(1, Ok("{}".into())), (2, Ok("{\"b\":2}".into()))]);
    }

    #[test]
    fn blank_and_whitespace_lines_are_refused_not_skipped() {
        let got = lines(b"{}\n\n \r\n{}\n");
        assert_eq!(got.len(), 4);
        assert!(got[1].1.as_ref().unwrap_err().contains("blank line"));
        assert!(got[2].1.as_ref().unwrap_err().contains("blank line"));
        assert_eq!(got[3], (4, Ok("{}".into())));
    }

    #[test]
    fn a_line_that_is_not_utf8_is_refused_and_the_next_is_read() {
        let got = lines(b"{\"a\":\"\xff\"}\n{}\n");
        assert!(got[0].1.as_ref().unwrap_err().contains("not UTF-8"));
        assert_eq!(got[1], (2, Ok("{}".into())));
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_without_losing_the_next() {
        let mut input = vec![b' '; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\n{}\n");
        let got = lines(&input);
        assert!(got[0].1.as_ref().unwrap_err().contains("longer than"));
        assert_eq!(got[1], (2, Ok("{}".into())));
        let mut exactly = vec![b' '; MAX_LINE_BYTES];
        exactly[..2].copy_from_slice(b"{}");
        exactly.push(b'\n');
        assert!(lines(&exactly)[0].1.is_ok(), "a line of exactly the limit is accepted");
        exactly.insert(0, b' ');
        assert!(lines(&exactly)[0].1.as_ref().unwrap_err().contains("longer than"), "one byte more is refused");
    }

    #[test]
    fn a_chunk_keeps_input_order_across_threads() {
        let chunk: Vec<Line> = (1..=100)
            .map(|number| Line { number, text: Err(Refusal::new("document", format!("number {number}"))) })
            .collect();
        let answers = evaluate_chunk(Kind::Triage, &chunk, 7);
        let numbers: Vec<u64> = answers
            .iter()
            .map(|answer| serde_json::from_str::<Value>(&answer.json).unwrap()["line"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, (1..=100).collect::<Vec<_>>());
    }

    #[test]
    fn the_summary_counts_by_result_and_refused() {
        let mut tally = Tally::default();
        for counted in [Some("call_now"), None, Some("self_care"), Some("call_now")] {
            tally.add(counted.map(String::from));
        }
        assert_eq!(
            tally.summary(Kind::Triage),
            "il2care triage --jsonl: 4 lines: 3 evaluated (level: call_now 2, self_care 1), 1 refused"
        );
    }
}
