//! Words for codes on the care team's pages: observation and finding ids as a ward says them, UCUM units as a
//! ward writes them (°C, mmHg, ×10³/µL), and rule titles in plain words built from the rule catalogue. Display
//! only: no rule is decided here, and the codes stay available (in small print) wherever these are shown.

use il2care_core::assessment::catalogue::threshold;
use il2care_core::assessment::thresholds::Parameters;
use il2care_core::assessment::{Action, Rule};

/// A UCUM unit code as it is written on a ward chart; unknown codes are shown as they are.
pub fn unit_text(ucum: &str) -> &str {
    match ucum {
        "Cel" => "°C",
        "[degF]" => "°F",
        "mm[Hg]" => "mmHg",
        "/min" => "/min",
        "10*3/uL" => "×10³/µL",
        "10*9/L" => "×10⁹/L",
        "umol/L" => "µmol/L",
        "ug/kg/min" => "µg/kg/min",
        "ug/mL" => "µg/mL",
        "[iU]" => "IU",
        "[iU]/kg" => "IU/kg",
        "[iU]/m2" => "IU/m²",
        "[lb_av]" => "lb",
        "[in_i]" => "in",
        "m2" => "m²",
        "meq/L" => "mEq/L",
        "[pH]" => "pH",
        other => other,
    }
}

/// The words for an observation or finding code of ASSESSMENT §2 (and the triage items the staff pages show).
pub fn code_words(code: &str) -> Option<&'static str> {
    let words = match code {
        "systolic_bp" => "systolic blood pressure",
        "diastolic_bp" => "diastolic blood pressure",
        "heart_rate" => "heart rate",
        "respiratory_rate" => "breathing rate",
        "temperature" => "temperature",
        "spo2" => "oxygen saturation (SpO2)",
        "weight" => "weight",
        "height" => "height",
        "urine_output" => "urine output",
        "stool_output" => "stool output",
        "oxygen_flow" => "oxygen flow",
        "fio2" => "inspired oxygen (FiO2)",
        "creatinine" => "creatinine",
        "bilirubin_total" => "total bilirubin",
        "alt" => "ALT",
        "ast" => "AST",
        "platelets" => "platelets",
        "wbc" => "white cell count",
        "anc" => "neutrophil count (ANC)",
        "lymphocytes" => "lymphocyte count",
        "hemoglobin" => "hemoglobin",
        "potassium" => "potassium",
        "sodium" => "sodium",
        "bicarbonate" => "bicarbonate",
        "phenylephrine_rate" => "phenylephrine rate",
        "target_sbp" => "target systolic pressure",
        "atrial_fibrillation" => "atrial fibrillation",
        "supraventricular_tachycardia" => "SVT",
        "bradycardia_requiring_treatment" => "bradycardia needing treatment",
        "ventricular_tachycardia" => "ventricular tachycardia",
        "ventricular_ectopy" => "ventricular ectopy",
        "arrhythmia_uncontrolled" => "uncontrolled arrhythmia",
        "ecg_ischemia_changes" => "ischemic ECG changes",
        "chest_pain_angina" => "chest pain or angina",
        "cardiac_enzymes_elevated" => "raised cardiac enzymes",
        "cardiac_tamponade" => "cardiac tamponade",
        "o2_device" => "oxygen device",
        "normal_sinus_rhythm" => "normal sinus rhythm",
        "asymptomatic" => "no symptoms",
        "pressor_requirement" => "pressor need",
        "intubated" => "intubated",
        "dyspnea_at_rest" => "breathless at rest",
        "rales_extent" => "crackles (rales)",
        "mental_status_change" => "mental status change",
        "mental_status_change_hours" => "hours of mental status change",
        "lethargy_somnolence" => "lethargy or somnolence",
        "coma" => "coma",
        "toxic_psychosis" => "toxic psychosis",
        "seizures_repetitive" => "repeated seizures",
        "vivid_dreams" => "vivid dreams",
        "anxiety_mild" => "mild anxiety",
        "hallucinations" => "hallucinations",
        "persistent_crying" => "persistent crying",
        "cognitive_screen_failed" => "failed cognitive screen",
        "fobt_result" => "fecal occult blood test",
        "bowel_ischemia_perforation" => "bowel ischemia or perforation",
        "gi_bleeding_requiring_surgery" => "GI bleeding needing surgery",
        "ileus_distention" => "ileus or distention",
        "vomiting_refractory" => "vomiting not controlled",
        "abdominal_pain_severe" => "severe abdominal pain",
        "heme_positive_secretions" => "blood in secretions",
        "frank_blood" => "frank blood",
        "hepatic_failure_signs" => "signs of liver failure",
        "dialysis" => "dialysis",
        "severe_volume_overload" => "severe fluid overload",
        "acidosis" => "acidosis",
        "hyperkalemia" => "high potassium",
        "fluid_electrolytes_stable" => "fluids and electrolytes stable",
        "sepsis_unstable" => "unstable sepsis",
        "infection_suspected_or_documented" => "infection suspected or proven",
        "infection_under_treatment" => "infection under treatment",
        "bullous_dermatitis" => "bullous dermatitis",
        "moist_desquamation" => "moist desquamation",
        "extreme_tightness" => "extreme skin tightness",
        "extreme_paresthesias" => "extreme tingling or numbness",
        "vasopressor_other" => "another vasopressor running",
        _ => return None,
    };
    Some(words)
}

/// The words for a code, or the code with its underscores as spaces when it has none of its own.
pub fn code_text(code: &str) -> String {
    code_words(code).map_or_else(|| code.replace('_', " "), str::to_string)
}

/// A condition or evidence text of the rule catalogue with every snake_case code and UCUM unit in words:
/// `systolic_bp < 90 mm[Hg]` becomes `systolic blood pressure < 90 mmHg`.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if token.is_empty() {
            return;
        }
        let (core, trailing) = match token.strip_suffix([',', ';', ')']) {
            Some(core) => (core.to_string(), &token[core.len()..]),
            None => (token.clone(), ""),
        };
        let (leading, core) = match core.strip_prefix('(') {
            Some(rest) => ("(", rest.to_string()),
            None => ("", core),
        };
        let word = match code_words(&core) {
            Some(words) => words.to_string(),
            None => unit_text(&core).to_string(),
        };
        out.push_str(leading);
        out.push_str(&word);
        out.push_str(trailing);
        token.clear();
    };
    for character in text.chars() {
        if character == ' ' {
            flush(&mut token, &mut out);
            out.push(' ');
        } else {
            token.push(character);
        }
    }
    flush(&mut token, &mut out);
    out
}

/// The word for an action of the rule catalogue.
pub fn action_words(action: Action) -> &'static str {
    match action {
        Action::Hold => "Hold",
        Action::DiscontinueCourse => "Stop the course",
        Action::DiscontinuePermanently => "Stop for good",
        Action::NotPermitted => "Not permitted",
    }
}

/// A rule's title in plain words, from its action and its firing condition in the catalogue
/// (`Hold: systolic blood pressure < 90 mmHg`); an id the core does not know is shown as it is.
pub fn rule_title(rule_id: &str) -> String {
    match Rule::from_id(rule_id) {
        Some(rule) => {
            let condition = threshold(rule, &Parameters::default(), None);
            format!("{}: {}", action_words(rule.action()), plain(&condition))
        }
        None => rule_id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{code_text, plain, rule_title, unit_text};

    #[test]
    fn units_are_written_as_on_a_ward_chart() {
        let rows = [
            ("Cel", "°C"),
            ("[degF]", "°F"),
            ("mm[Hg]", "mmHg"),
            ("10*3/uL", "×10³/µL"),
            ("10*9/L", "×10⁹/L"),
            ("umol/L", "µmol/L"),
            ("[iU]", "IU"),
            ("mg/dL", "mg/dL"),
        ];
        for (ucum, ward) in rows {
            assert_eq!(unit_text(ucum), ward, "{ucum}");
        }
    }

    #[test]
    fn codes_become_words_and_unknown_codes_lose_their_underscores() {
        assert_eq!(code_text("systolic_bp"), "systolic blood pressure");
        assert_eq!(code_text("some_new_code"), "some new code");
    }

    #[test]
    fn a_catalogue_condition_reads_in_words_with_ward_units() {
        assert_eq!(plain("systolic_bp < 90 mm[Hg]"), "systolic blood pressure < 90 mmHg");
        assert_eq!(
            plain("platelets < 20 10*3/uL, or spo2 < 90 %"),
            "platelets < 20 ×10³/µL, or oxygen saturation (SpO2) < 90 %"
        );
        assert_eq!(plain("(asymptomatic = yes)"), "(no symptoms = yes)");
    }

    #[test]
    fn rule_titles_say_the_action_and_the_condition_in_words() {
        assert_eq!(rule_title("label.hold.sbp-below-90"), "Hold: systolic blood pressure < 90 mmHg");
        assert_eq!(rule_title("label.stop.ecg-ischemia"), "Stop for good: ischemic ECG changes present");
        assert_eq!(rule_title("no.such.rule"), "no.such.rule");
    }
}
