//! The project's own readability measure: Flesch-Kincaid grade level with a rule-based English syllable
//! counter. Used by tests to hold advice topics at or under grade 8; never used to decide anything clinical.
//!
//! Grade = 0.39 x (words / sentences) + 11.8 x (syllables / words) - 15.59 (Kincaid et al., 1975). A sentence
//! ends at `.`, `!` or `?` followed by a space or the end of a line, and at the end of every paragraph or
//! bullet (a bullet without a full stop still ends a thought). A number counts as one word of one syllable.
//! Floating point is fine here: this is a score for writers, not a clinical threshold.
//!
//! Spanish texts are measured with the Fernández-Huerta reading ease in its corrected form (Law 2011):
//! 206.84 - 60 x (syllables / words) - 1.02 x (words / sentences), with a rule-based Spanish syllable counter.
//! 70-80 reads "fairly easy" (about grade 6-7), 60-70 "normal" (about grade 8-9); the content tests hold
//! Spanish texts at 60 or above, the counterpart of grade 8 in English.

/// Counts of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Counts {
    pub sentences: usize,
    pub words: usize,
    pub syllables: usize,
}

impl Counts {
    /// The Flesch-Kincaid grade level (0 for an empty text).
    pub fn grade(self) -> f64 {
        if self.words == 0 || self.sentences == 0 {
            return 0.0;
        }
        let words = self.words as f64;
        0.39 * (words / self.sentences as f64) + 11.8 * (self.syllables as f64 / words) - 15.59
    }
}

/// Counts sentences, words and syllables of `text`, where each line is one paragraph or bullet.
pub fn counts(text: &str) -> Counts {
    counts_with(text, syllables)
}

/// Counts of a Spanish text (Spanish syllables).
pub fn spanish_counts(text: &str) -> Counts {
    counts_with(text, spanish_syllables)
}

/// The Fernández-Huerta reading ease of a Spanish text (corrected form; 100 for an empty text).
pub fn fernandez_huerta(text: &str) -> f64 {
    let counts = spanish_counts(text);
    if counts.words == 0 || counts.sentences == 0 {
        return 100.0;
    }
    let words = counts.words as f64;
    206.84 - 60.0 * (counts.syllables as f64 / words) - 1.02 * (words / counts.sentences as f64)
}

/// The number of syllables of a Spanish word: vowel nuclei, where a weak vowel (i, u, ü without an accent)
/// next to another vowel joins it (a diphthong) and two strong vowels (a, e, o, or an accented í or ú) are
/// two syllables (a hiatus); the u of "que", "qui", "gue", "gui" is silent; a final y after a vowel joins it.
/// A number counts as one syllable. Never less than one.
pub fn spanish_syllables(word: &str) -> usize {
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect();
    if letters.is_empty() {
        return 1;
    }
    let strong = |c: char| matches!(c, 'a' | 'e' | 'o' | 'á' | 'é' | 'ó' | 'í' | 'ú');
    let weak = |c: char| matches!(c, 'i' | 'u' | 'ü');
    let mut count = 0usize;
    let mut previous: Option<char> = None;
    for (index, &c) in letters.iter().enumerate() {
        let next = letters.get(index + 1).copied();
        let silent_u = c == 'u'
            && index > 0
            && matches!(letters[index - 1], 'q' | 'g')
            && matches!(next, Some('e' | 'i' | 'é' | 'í'));
        let final_y = c == 'y' && next.is_none() && previous.is_some();
        let vowel = (strong(c) || weak(c)) && !silent_u;
        let current = if vowel { Some(c) } else { None };
        match (previous, current) {
            (_, None) => {}
            (None, Some(_)) => count += 1,
            (Some(before), Some(now)) => {
                if strong(before) && strong(now) {
                    count += 1;
                }
            }
        }
        previous = if final_y { previous } else { current };
    }
    count.max(1)
}

fn counts_with(text: &str, syllables: fn(&str) -> usize) -> Counts {
    let mut counts = Counts::default();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let line = line.strip_prefix("- ").unwrap_or(line);
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let mut open_sentence = false;
        for token in &tokens {
            let word: String = token.chars().filter(|c| c.is_alphanumeric() || *c == '-' || *c == '\'').collect();
            if word.chars().any(char::is_alphanumeric) {
                counts.words += 1;
                counts.syllables += syllables(&word);
                open_sentence = true;
            }
            if open_sentence && token.trim_end_matches(['"', ')', '\'']).ends_with(['.', '!', '?']) {
                counts.sentences += 1;
                open_sentence = false;
            }
        }
        if open_sentence {
            counts.sentences += 1;
        }
    }
    counts
}

/// The Flesch-Kincaid grade level of `text`.
pub fn grade(text: &str) -> f64 {
    counts(text).grade()
}

/// The number of syllables of an English word, by rule: vowel groups, less a silent final `e`, `-ed` or
/// `-es`, plus vowel pairs that are said as two (`ia`, `io` outside `-tion`/`-sion`, `ua`, `eo` in `-eous`).
/// Hyphenated words count each part. Never less than one.
pub fn syllables(word: &str) -> usize {
    let parts: Vec<&str> = word.split('-').filter(|part| part.chars().any(char::is_alphanumeric)).collect();
    if parts.len() > 1 {
        return parts.iter().map(|part| syllables(part)).sum();
    }
    let word: String = word.chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_lowercase()).collect();
    if word.is_empty() {
        return 1;
    }
    let bytes = word.as_bytes();
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut count = 0usize;
    let mut previous_vowel = false;
    for (index, &c) in bytes.iter().enumerate() {
        // A leading `y` (yes, you) is a consonant.
        let vowel = is_vowel(c) && !(c == b'y' && index == 0);
        if vowel && !previous_vowel {
            count += 1;
        }
        previous_vowel = vowel;
    }
    for pair in bytes.windows(2).enumerate() {
        let (index, pair) = pair;
        let before = if index > 0 { bytes[index - 1] } else { b' ' };
        let split = match pair {
            [b'i', b'a'] | [b'u', b'a'] => true,
            [b'i', b'o'] => !matches!(before, b't' | b's' | b'c' | b'x'),
            _ => false,
        };
        if split {
            count += 1;
        }
    }
    let ends = |suffix: &str| word.ends_with(suffix);
    let silent_e = ends("e") && !ends("le") && !ends("ee") && !ends("ie");
    let silent_ed = ends("ed") && !ends("ted") && !ends("ded");
    let silent_es =
        ends("es") && !["ses", "zes", "ces", "ges", "shes", "ches", "xes", "ies"].iter().any(|suffix| ends(suffix));
    if count > 1 && (silent_e || silent_ed || silent_es) {
        count -= 1;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_are_counted_like_a_reader_says_them() {
        for (word, expected) in [
            ("the", 1),
            ("care", 1),
            ("team", 1),
            ("fever", 2),
            ("little", 2),
            ("people", 2),
            ("swelled", 1),
            ("wanted", 2),
            ("makes", 1),
            ("bruises", 2),
            ("medicine", 3),
            ("infection", 3),
            ("bacteria", 4),
            ("usual", 3),
            ("yes", 1),
            ("body", 2),
            ("interleukin", 4),
            ("IN-ter-LOO-kin", 4),
            ("100.4", 1),
            ("IL-2", 2),
        ] {
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn a_simple_sentence_scores_a_low_grade_and_a_dense_one_a_high_grade() {
        let simple = counts("The cat sat on the mat.");
        assert_eq!(simple, Counts { sentences: 1, words: 6, syllables: 6 });
        assert!((simple.grade() - (-1.45)).abs() < 1e-9);
        let dense = grade(
            "Administration of interleukin-2 necessitates comprehensive cardiopulmonary evaluation, \
             particularly regarding pre-existing pathophysiological abnormalities.",
        );
        assert!(dense > 16.0, "{dense}");
    }

    #[test]
    fn decimals_do_not_end_sentences_and_bullets_do() {
        let counted = counts("A fever is 100.4 degrees or more.\n- a sore throat\n- a cough");
        assert_eq!(counted.sentences, 3);
        assert_eq!(counted.words, 12);
    }

    #[test]
    fn spanish_syllables_follow_diphthongs_and_hiatus() {
        for (word, expected) in [
            ("que", 1),
            ("muy", 1),
            ("hay", 1),
            ("y", 1),
            ("día", 2),
            ("cuidado", 3),
            ("oído", 3),
            ("leer", 2),
            ("guía", 2),
            ("fiebre", 2),
            ("interleucina", 5),
            ("equipo", 3),
            ("ayuda", 3),
            ("100.4", 1),
        ] {
            assert_eq!(spanish_syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn fernandez_huerta_scores_short_plain_spanish_high_and_dense_spanish_low() {
        let easy = fernandez_huerta("Llame a su equipo hoy. No espere.");
        assert!(easy > 80.0, "{easy}");
        let dense = fernandez_huerta(
            "La administración de interleucina-2 requiere una evaluación cardiopulmonar exhaustiva, \
             particularmente respecto de anormalidades fisiopatológicas preexistentes.",
        );
        assert!(dense < 30.0, "{dense}");
    }
}
