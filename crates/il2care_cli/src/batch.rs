//! `il2care assess|triage|screen --jsonl FILE|-`: many documents, one JSON document per line, one compact
//! result per line on stdout in the same order, and a summary on stderr.
//!
//! Each line's result is exactly what `il2care <command> --json` prints for that line (the same wire parse,
//! core evaluation and rendering, written on one line). A refused line gives
//! `{"line": N, "error": {"field", "message"}}` (N counts from 1) and the run goes on; a blank line is refused
//! too (field `document`), never skipped, so output line N always answers input line N. The run exits 0 unless
//! the input cannot be read or the output cannot be written (exit 1).
//!
//! Reading, evaluating and writing overlap: a reader thread reads lines one at a time into chunks of at most
//! [`CHUNK_LINES`] lines and [`CHUNK_BYTES`] bytes (a line longer than [`MAX_LINE_BYTES`] is refused without being
//! kept), one worker per core evaluates and renders whole chunks, and the calling thread writes them in input
//! order. Memory stays bounded: the channels are bounded and at most `2 * cores + 2` chunks are held at a time.
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
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;
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

/// A chunk of input lines, numbered in reading order, with the bytes it took.
struct Chunk {
    sequence: u64,
    lines: Vec<Line>,
    bytes: u64,
}

/// A chunk's answers, in its lines' order; `Err` carries a worker's panic to the writer.
type Evaluated = (u64, u64, std::thread::Result<Vec<Answer>>);

/// Runs `kind` over every line of `path` (`-` for standard input).
///
/// Three stages overlap: a reader thread cuts the input into chunks, one worker per core evaluates and renders
/// whole chunks (any worker takes the next chunk), and the calling thread writes the answers in input order. The
/// channels between them are bounded and a chunk is only read once a slot is free, so at most
/// `2 * workers + 2` chunks are held at a time, whatever the input's length.
pub fn run(kind: Kind, path: &str) -> Outcome {
    let (reader, length): (Box<dyn BufRead + Send>, Option<u64>) = if path == "-" {
        (Box::new(BufReader::with_capacity(1 << 16, std::io::stdin())), None)
    } else {
        let file = std::fs::File::open(path).with_context(|| format!("reading {path}"))?;
        let length = file.metadata().ok().filter(|metadata| metadata.is_file()).map(|metadata| metadata.len());
        (Box::new(BufReader::with_capacity(1 << 16, file)), length)
    };
    let bar = progress_bar(kind, length);
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let progress = Progress { bar: &bar, by_bytes: length.is_some() };
    let (read, tally) = evaluate_stream(kind, reader, &mut out, workers, &progress);
    let tally = tally?;
    read.with_context(|| format!("reading {path}"))?;
    bar.finish_and_clear();
    eprintln!("{}", tally.summary(kind));
    Ok(())
}

/// Where the writer reports progress: bytes of a file, or lines of standard input.
struct Progress<'a> {
    bar: &'a indicatif::ProgressBar,
    by_bytes: bool,
}

/// The pipeline behind [`run`]: the answers of every line of `reader` written to `out` in input order by
/// `workers` evaluating threads. Returns the reading result (an error ends the input early; what was read
/// before it is still written) and the writing result with the counts.
fn evaluate_stream(
    kind: Kind,
    reader: Box<dyn BufRead + Send>,
    out: &mut dyn Write,
    workers: usize,
    progress: &Progress,
) -> (std::io::Result<()>, Result<Tally, crate::Failure>) {
    let workers = workers.max(1);
    let in_flight = 2 * workers + 2;
    // A slot is taken by the reader before it reads a chunk and given back by the writer once the chunk is written.
    let (slot_back, slots) = std::sync::mpsc::sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        slot_back.send(()).expect("the slot channel has room for every slot");
    }
    let (to_workers, work) = std::sync::mpsc::sync_channel::<Chunk>(workers);
    // Shared by the workers only, so the reader's sends fail once every worker has stopped.
    let work = std::sync::Arc::new(std::sync::Mutex::new(work));
    let (to_writer, evaluated) = std::sync::mpsc::sync_channel::<Evaluated>(in_flight);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_chunks(reader, &slots, &to_workers));
        for _ in 0..workers {
            let to_writer = to_writer.clone();
            let work = std::sync::Arc::clone(&work);
            scope.spawn(move || evaluate_chunks(kind, &work, &to_writer));
        }
        drop((to_writer, work));
        let mut tally = Tally::default();
        let written = write_in_order(&evaluated, &slot_back, out, &mut tally, progress);
        // If writing failed, this stops the reader and the workers at once.
        drop((evaluated, slot_back));
        let read = match reader.join() {
            Ok(read) => read,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (read, written.map(|()| tally))
    })
}

/// The reader stage: takes a free slot, reads a chunk and hands it to the workers, until the input ends, a read
/// fails or the writer has stopped.
fn read_chunks(
    reader: Box<dyn BufRead + Send>,
    slots: &std::sync::mpsc::Receiver<()>,
    to_workers: &std::sync::mpsc::SyncSender<Chunk>,
) -> std::io::Result<()> {
    let mut lines = Lines { reader, number: 0, at_end: false };
    for sequence in 0.. {
        if slots.recv().is_err() {
            return Ok(()); // The writer stopped; its error is the one reported.
        }
        let (chunk, bytes) = lines.next_chunk()?;
        if chunk.is_empty() || to_workers.send(Chunk { sequence, lines: chunk, bytes }).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// A worker: evaluates and renders whole chunks until there are none left or the writer has stopped.
fn evaluate_chunks(
    kind: Kind,
    work: &std::sync::Mutex<std::sync::mpsc::Receiver<Chunk>>,
    to_writer: &std::sync::mpsc::SyncSender<Evaluated>,
) {
    loop {
        // A poisoned lock means another worker panicked, and the writer reports that panic.
        let Ok(Ok(chunk)) = work.lock().map(|work| work.recv()) else { return };
        let answers = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            chunk.lines.iter().map(|line| answer(kind, line)).collect::<Vec<_>>()
        }));
        let panicked = answers.is_err();
        if to_writer.send((chunk.sequence, chunk.bytes, answers)).is_err() || panicked {
            return;
        }
    }
}

/// The writer stage: writes each chunk's answers once every earlier chunk is written, counts them and gives the
/// chunk's slot back to the reader.
fn write_in_order(
    evaluated: &std::sync::mpsc::Receiver<Evaluated>,
    slot_back: &std::sync::mpsc::SyncSender<()>,
    out: &mut dyn Write,
    tally: &mut Tally,
    progress: &Progress,
) -> Outcome {
    let mut waiting: BTreeMap<u64, (u64, Vec<Answer>)> = BTreeMap::new();
    let mut next = 0;
    for (sequence, bytes, answers) in evaluated {
        match answers {
            Ok(answers) => waiting.insert(sequence, (bytes, answers)),
            // A panic is a bug, not a refusal: let it end the run as it ends a single-document run.
            Err(panic) => std::panic::resume_unwind(panic),
        };
        while let Some((bytes, answers)) = waiting.remove(&next) {
            let lines = answers.len() as u64;
            for answer in answers {
                tally.add(answer.counted);
                out.write_all(answer.json.as_bytes()).context("writing the results")?;
                out.write_all(b"\n").context("writing the results")?;
            }
            out.flush().context("writing the results")?;
            progress.bar.inc(if progress.by_bytes { bytes } else { lines });
            next += 1;
            // The reader may have ended already; a slot nobody takes is harmless.
            let _ = slot_back.try_send(());
        }
    }
    Ok(())
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
        Ok(Some((Line { number: self.number, text: Self::text(buffer) }, length)))
    }

    /// A line's text without its newline, or why it is refused before parsing.
    fn text(buffer: Vec<u8>) -> Result<String, Refusal> {
        match String::from_utf8(buffer) {
            Ok(text) if text.trim().is_empty() => {
                Err(Refusal::new("document", "is a blank line; each line must hold one JSON document"))
            }
            Ok(text) => Ok(text),
            Err(error) => Err(Refusal::new("document", format!("is not UTF-8 ({})", error.utf8_error()))),
        }
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

    /// The output of the pipeline over `input` with `workers` threads, and its counts.
    fn stream(input: Vec<u8>, workers: usize) -> (Vec<String>, String) {
        let mut out = Vec::new();
        let bar = indicatif::ProgressBar::hidden();
        let progress = Progress { bar: &bar, by_bytes: true };
        let (read, tally) =
            evaluate_stream(Kind::Triage, Box::new(std::io::Cursor::new(input)), &mut out, workers, &progress);
        read.unwrap();
        let Ok(tally) = tally else { panic!("writing to memory failed") };
        let summary = tally.summary(Kind::Triage);
        (String::from_utf8(out).unwrap().lines().map(String::from).collect(), summary)
    }

    #[test]
    fn the_pipeline_keeps_input_order_across_chunks_and_workers() {
        // Refused lines (blank, not JSON, an empty object) mixed with accepted ones, over many chunks.
        let case: Value =
            serde_json::from_str(include_str!("../../../tests/cases/triage/fever-at-38-celsius.json")).unwrap();
        let document = case["checkin"].to_string();
        assert!(Kind::Triage.evaluate(&document).is_ok());
        let count = CHUNK_LINES * 9 + 17;
        let input: String = (1..=count)
            .map(|number| match number % 4 {
                0 => "\n".to_string(),
                1 => format!("not json {number}\n"),
                _ => format!("{document}\n"),
            })
            .collect();
        let single: Vec<String> = (1..=count)
            .map(|number| {
                let line = input.lines().nth(number - 1).unwrap();
                answer(Kind::Triage, &Line { number: number as u64, text: Lines::text(line.as_bytes().to_vec()) }).json
            })
            .collect();
        for workers in [1, 2, 7] {
            let (lines, summary) = stream(input.clone().into_bytes(), workers);
            assert_eq!(lines.len(), count);
            assert!(lines == single, "{workers} workers: the lines differ from one-at-a-time answers");
            assert!(summary.contains(&format!("{count} lines")), "{summary}");
        }
        assert_eq!(stream(Vec::new(), 2).0, Vec::<String>::new());
    }

    #[test]
    fn a_write_error_stops_the_pipeline_without_hanging() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("closed"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let input = "{}\n".repeat(CHUNK_LINES * 50).into_bytes();
        let bar = indicatif::ProgressBar::hidden();
        let progress = Progress { bar: &bar, by_bytes: true };
        let (read, written) =
            evaluate_stream(Kind::Triage, Box::new(std::io::Cursor::new(input)), &mut Broken, 2, &progress);
        read.unwrap();
        assert!(written.is_err());
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
