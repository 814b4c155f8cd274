//! The Python that runs `tests/fhir/validate.py`: a virtual environment with the pinned `fhir.resources`,
//! made once under the cargo target directory (`target/tmp/`) and reused by every later run.
//!
//! A fresh clone needs only Python 3 with its `venv` module and access to PyPI: the first test that validates a
//! Bundle creates the environment and says so on stderr. The environment is always used, even when the system
//! Python has `fhir.resources`, so the validator is the same version on every machine. Concurrent tests in this
//! binary wait on a `OnceLock`; concurrent test binaries wait on a file lock; a half-made environment (an
//! install that was interrupted) is made again, because only a finished install writes the marker file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The validator's version, pinned so every machine checks against the same models.
pub const FHIR_RESOURCES: &str = "fhir.resources==8.3.0";

/// The Python of the validator's environment, made on first use.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(prepare)
}

fn prepare() -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let venv = base.join(format!("fhir-validator-{}", FHIR_RESOURCES.replace("==", "-")));
    let python = if cfg!(windows) { venv.join("Scripts").join("python.exe") } else { venv.join("bin").join("python") };
    let ready = venv.join("il2care-ready");
    if ready.exists() {
        return python;
    }
    std::fs::create_dir_all(base).unwrap();
    let lock = std::fs::File::create(base.join("fhir-validator.lock")).unwrap();
    lock.lock().expect("locking the FHIR validator's environment");
    if ready.exists() {
        return python; // Another test binary made it while this one waited.
    }
    // Written to the real stderr, not the test's captured output, so a passing run says it too.
    let _ = writeln!(
        std::io::stderr(),
        "il2care tests: installing the FHIR validator ({FHIR_RESOURCES}) into {} (once; later runs reuse it)",
        venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "creating it needs Python 3 with its venv module (on Debian or Ubuntu: apt-get install python3-venv)",
    );
    run(
        Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", FHIR_RESOURCES]),
        "installing it needs access to PyPI (or a pip configured for a mirror)",
    );
    std::fs::write(&ready, FHIR_RESOURCES).unwrap();
    let _ = writeln!(std::io::stderr(), "il2care tests: the FHIR validator is ready in {}", venv.display());
    python
}

/// Runs one step of the install; a failure stops the test with what the step needs.
fn run(command: &mut Command, needs: &str) {
    let output = command.output().unwrap_or_else(|error| {
        panic!("the FHIR validator's environment could not be made ({error}); {needs}; the command was {command:?}")
    });
    assert!(
        output.status.success(),
        "the FHIR validator's environment could not be made; {needs}; the command was {command:?}:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
