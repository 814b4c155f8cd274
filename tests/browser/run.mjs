// Browser tests of il2care's web pages in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core, which downloads no browser). Starts the built `il2care serve --demo` on a free port with a
// fresh data directory, then walks the flows of issue 7: a nurse opens the worklist and records an assessment
// that holds the dose and sees the hold reason; a patient on a phone-sized screen checks in with a fever and
// sees "Call now", then logs an injection and sees it in the log; a pharmacist sees the dose verification.
// Screenshots go to test-artifacts/.
// Exits non-zero on the first failure. Run from the repository root after `cargo build -p il2care_cli`:
//   node tests/browser/run.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = process.env.IL2CARE_BIN ?? join(root, 'target', 'debug', 'il2care');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const artifacts = join(root, 'test-artifacts');
const password = 'browser-test-password';
const started = Date.now();

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`  ok  ${message}`);
}

/** Starts the server and resolves with its base URL once it prints the address it listens on. */
function startServer(dataDir) {
  const server = spawn(
    binary,
    ['serve', '--demo', '--demo-password', password, '--listen', '127.0.0.1:0', '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = new Promise((resolveUrl, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${output}`)), 20_000);
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/il2care listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  return { server, url };
}

async function signIn(page, base, username) {
  await page.goto(`${base}/signin`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Every visible form control has an accessible label (a <label>, aria-label or aria-labelledby). */
async function everyFieldLabelled(page, where) {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea')]
      .filter((element) => element.type !== 'hidden')
      .filter((element) => !(element.labels && element.labels.length) && !element.getAttribute('aria-label'))
      .map((element) => element.name || element.id),
  );
  check(unlabelled.length === 0, `${where}: every field has a label ${unlabelled.length ? unlabelled : ''}`);
}

async function nurseHoldsADose(browser, base) {
  console.log('nurse: worklist, assessment that holds, dose held');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'nurse');
  await page.waitForURL(`${base}/worklist`);
  check((await page.getByRole('heading', { level: 1 }).textContent()) === 'Worklist', 'the nurse lands on the worklist');
  check(await page.locator('meta[http-equiv="refresh"]').count() === 1, 'the worklist refreshes itself');
  check(await page.getByRole('link', { name: 'Alex Morgan' }).first().isVisible(), 'the worklist lists the demo inpatients');
  await page.screenshot({ path: join(artifacts, '1-nurse-worklist.png'), fullPage: true });
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.textContent) === 'Skip to main content',
    'the first Tab reaches the skip link (keyboard use)');

  await page.getByRole('link', { name: 'Alex Morgan' }).first().click();
  await page.waitForURL(/\/patients\/\d+$/);
  await everyFieldLabelled(page, 'course page');
  await chartsRender(page);
  await page.getByRole('spinbutton', { name: 'Systolic blood pressure' }).fill('85');
  await page.getByRole('spinbutton', { name: 'Heart rate' }).fill('96');
  await page.getByRole('spinbutton', { name: 'Temperature', exact: true }).fill('37.8');
  await page.getByRole('spinbutton', { name: 'Oxygen saturation (SpO2)' }).fill('97');
  await page.getByLabel('I reviewed the findings').check();
  await page.getByRole('button', { name: 'Get the decision' }).click();
  await page.waitForURL(/\/patients\/\d+#decision$/);
  const latest = page.locator('#decision section').first();
  check((await latest.locator('.badge').textContent()) === 'Hold', 'the decision is Hold');
  const reasons = await latest.locator('tr.reason').allTextContents();
  check(reasons.some((row) => row.includes('label.hold.sbp-below-90') && row.includes('Hold: systolic blood pressure < 90 mmHg') && row.includes('85 mmHg')),
    'the hold reason names the rule in words (id in small print) and the systolic of 85 mmHg');
  check(reasons.some((row) => row.includes('LABEL-2024')), 'the hold reason cites its source');
  await page.screenshot({ path: join(artifacts, '2-nurse-hold-decision.png'), fullPage: true });
  await page.goto(`${base}/worklist`);
  const before = page.locator('table.worklist tbody tr', { hasText: 'Alex Morgan' });
  check((await before.first().textContent()).includes('Hold'), 'the worklist shows the new hold');
  check((await before.first().locator('.vitals').textContent()).startsWith('vital signs 0 min ago'),
    'the worklist shows the time since the last vital signs, just taken');
  await page.getByRole('link', { name: 'Alex Morgan' }).first().click();
  await page.waitForURL(/\/patients\/\d+$/);

  // A nurse may not give against a hold: only a physician overrides one, with a reason code.
  await page.getByLabel('Given').check();
  await page.getByRole('button', { name: 'Record the dose' }).click();
  check((await page.locator('[role=alert]').textContent()).includes('only a physician may give against'),
    'a nurse giving against the hold is refused: only a physician may override a hold (ASSESSMENT 10.6)');
  await page.goBack();
  await page.reload();
  await page.getByLabel('Held').check();
  await page.getByRole('button', { name: 'Record the dose' }).click();
  await page.waitForURL(/\/patients\/\d+#schedule-heading$/);
  check(await page.locator('td.held').count() >= 1, 'the held dose shows in the schedule');
  await page.goto(`${base}/worklist`);
  const rows = page.locator('table.worklist tbody tr', { hasText: 'Alex Morgan' });
  check(await rows.count() === 1, 'the worklist has one row per patient');
  check((await rows.first().textContent()).includes('Needs assessment'),
    'after the held dose the worklist asks for a new decision instead of showing the spent hold');
  check((await rows.first().locator('.vitals').textContent()).includes('vital signs'),
    'the row still says how old the vital signs are');
  await context.close();
}

/** The course page's charts: SVG with a title, shaded threshold bands, a time axis, no negative axis label. */
async function chartsRender(page) {
  const charts = page.locator('figure.chart');
  const count = await charts.count();
  check(count >= 5, `the course page draws a chart for each measure the course records (${count})`);
  check(await page.locator('figure.chart svg > title').count() === count, 'every chart has a title');
  check(await page.locator('figure.chart svg rect.band').count() >= 1, 'threshold bands are shaded');
  check(await page.locator('figure.chart svg text.xtick').count() >= count, 'every chart has a time axis');
  const labels = await page.locator('figure.chart svg text.ytick').allTextContents();
  check(labels.length > 0 && labels.every((label) => !label.trim().startsWith('-')), 'no negative axis label');
  const first = await page.locator('main h2').first().textContent();
  check(first === 'Charts', 'the charts come first on the course page');
  check(await page.locator('#chart-respiratory_rate').count() === 0, 'no chart for what the course does not record');
  await page.locator('#chart-systolic_bp').screenshot({ path: join(artifacts, '2a-systolic-chart.png') });
}

/** A decision's reason links to its rule in the catalogue. */
async function ruleLinkFromADecision(browser, base) {
  console.log('physician: a decision reason opens the rule catalogue');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'physician');
  await page.waitForURL(`${base}/worklist`);
  await page.getByRole('link', { name: 'Priya Shah' }).first().click();
  await page.waitForURL(/\/patients\/\d+$/);
  const link = page.locator('#decision tr.reason a.rule-link').first();
  const rule = (await link.textContent()).trim();
  await link.click();
  await page.waitForURL(`${base}/rules#${rule}`);
  const row = page.locator(`tr[id="${rule}"]`);
  check(await row.count() === 1 && await row.isVisible(), `the link opens the catalogue at ${rule}`);
  check((await row.textContent()).includes('Hold'), 'the catalogue row says the action in words');
  check((await page.locator('main').textContent()).includes('Dutcher JP'), 'the catalogue cites its sources');
  await context.close();
}

/** A physician gives against "discontinue permanently"; a second physician co-signs on the same form. */
async function physicianCosignsAnOverride(browser, base) {
  console.log('physicians: giving against discontinue permanently needs a co-signature');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'physician');
  await page.waitForURL(`${base}/worklist`);
  await page.getByRole('link', { name: 'Tom Becker' }).first().click();
  await page.waitForURL(/\/patients\/\d+$/);
  await page.getByRole('spinbutton', { name: 'Systolic blood pressure' }).fill('118');
  await page.getByRole('spinbutton', { name: 'Heart rate' }).fill('84');
  await page.getByLabel('ischemic ECG changes (present)').check();
  await page.getByLabel('I reviewed the findings').check();
  await page.getByRole('button', { name: 'Get the decision' }).click();
  await page.waitForURL(/#decision$/);
  check((await page.locator('#decision section').first().locator('.badge').textContent()) === 'Discontinue permanently',
    'ischemic ECG changes stop the course for good');
  check((await page.locator('#dose p.slot').textContent()).includes('This records slot'), 'the dose form names its slot');
  await page.getByLabel('Given').check();
  await page.getByLabel('Reason (required').selectOption('protocol_exception_approved');
  await page.getByLabel('Override reason in words').fill('cardiology reviewed the ECG: old changes');
  await page.getByRole('button', { name: 'Record the dose' }).click();
  check((await page.locator('#dose [role=alert]').textContent()).includes('second physician'),
    'without a co-signature the dose is refused in words');
  check(await page.locator('#dose fieldset.cosign.invalid').count() === 1, 'the co-signature field is marked');
  check((await page.getByLabel('Override reason in words').inputValue()).startsWith('cardiology reviewed'),
    'the refused form comes back filled in');
  await page.getByLabel("Co-signing physician's username").fill('physician2');
  await page.getByLabel("Co-signing physician's password").fill(password);
  await page.getByRole('button', { name: 'Record the dose' }).click();
  await page.waitForURL(/#schedule-heading$/);
  check(await page.locator('td.override').count() >= 1, 'the schedule shows the dose as an override');
  check((await page.locator('#decision p.override').first().textContent()).includes('Override'),
    'the decision shows it was overridden');
  const overrideColour = await page.locator('td.override').first().evaluate((cell) => getComputedStyle(cell).backgroundColor);
  const giveColour = await page.locator('#decision .badge').first().evaluate(() => {
    const probe = document.createElement('span');
    probe.className = 'badge u0';
    document.body.appendChild(probe);
    const colour = getComputedStyle(probe).backgroundColor;
    probe.remove();
    return colour;
  });
  check(overrideColour !== giveColour, `an override is never in the colour of give (${overrideColour})`);
  await page.screenshot({ path: join(artifacts, '2b-physician-cosigned-override.png'), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  check(await page.locator('td.override').first().isVisible(), 'the override is in the printed course page');
  await page.emulateMedia({ media: 'screen' });
  await page.goto(`${base}/worklist`);
  const row = page.locator('table.worklist tbody tr', { hasText: 'Tom Becker' });
  check((await row.first().textContent()).includes('last dose given against its decision'),
    'the worklist marks the override');
  check((await row.first().textContent()).includes('Needs assessment'), 'the worklist updated after the dose');
  await context.close();
}

/** No horizontal scroll on a phone: nothing is wider than the screen. */
async function fitsThePhone(page, where) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `${where} fits the phone's width (overflow ${overflow} px)`);
}

async function patientChecksInWithAFever(browser, base) {
  console.log('patient (phone): check-in with a fever, step by step');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, base, 'patient');
  await page.waitForURL(`${base}/me`);
  await everyFieldLabelled(page, 'check-in form, red flags');
  await fitsThePhone(page, 'the red-flag step');
  check((await page.locator('.progress').textContent()).trim() === 'Step 1 of 5', 'the patient sees the progress');
  check(await page.locator('a.call[href="tel:911"]').count() === 1, 'the emergency number is a tap-to-call link');
  const target = await page.locator('.choices label').first().boundingBox();
  check(target && target.height >= 44, `answer buttons are large touch targets (${target && target.height} px high)`);
  await page.getByRole('button', { name: 'Next' }).click();
  check((await page.locator('[role=alert]').textContent()).includes('Please answer every question on this page'),
    'an empty red-flag step is refused, naming its questions');
  for (const name of ['hard_to_wake', 'seizure', 'chest_pain', 'fainted', 'bleeding_wont_stop', 'palpitations']) {
    await page.locator(`input[name="${name}"][value="no"]`).check();
  }
  await page.locator('input[name="short_of_breath"][value="none"]').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.waitForURL(/\/me\?/);
  check((await page.locator('.progress').textContent()).trim() === 'Step 2 of 5', 'the next step follows');
  await page.getByLabel('What is your temperature?').fill('38.5');
  await page.getByLabel('Temperature unit').selectOption('Cel');
  await page.getByLabel('How many hours has it been since you could keep a drink down?').fill('0');
  await fitsThePhone(page, 'step 2');
  await page.screenshot({ path: join(artifacts, '3-patient-checkin-form.png') });
  while (await page.getByRole('button', { name: 'Next' }).count() > 0) {
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForLoadState();
  }
  await page.getByRole('button', { name: 'Send my answers' }).click();
  await page.waitForURL(/\/me\/checkins\/\d+$/);
  const result = page.url();
  const heading = await page.getByRole('heading', { level: 1 }).textContent();
  check(heading.trim() === 'Call now', 'the result starts with "Call now"');
  check((await page.locator('.action').textContent()).startsWith('Call your care team now'),
    'the action comes first, in the content crate\'s words');
  check(await page.getByRole('heading', { name: /fever/i }).count() >= 1, 'the fever advice follows');
  check((await page.locator('footer.disclaimer').textContent()).includes('not medical advice'), 'the patient disclaimer ends the page');
  await fitsThePhone(page, 'the result');
  await page.screenshot({ path: join(artifacts, '4-patient-call-now.png'), fullPage: true });
  const back = await page.goBack();
  check(back && back.status() === 200 && page.url().includes('/me?'),
    'Back after sending shows the last step again (a page fetched, not a resubmission prompt)');
  await page.goto(result);
  await page.getByRole('link', { name: 'About IL-2' }).click();
  check((await page.getByRole('heading', { level: 1 }).textContent()).startsWith('Interleukin-2 (IL-2)'),
    'the education sheet opens from the patient\'s menu');
  await page.goBack();
  await page.getByRole('link', { name: 'My check-ins' }).first().click();
  check(await page.locator('main li').count() >= 2, 'the history lists the new and the demo check-in');
  await fitsThePhone(page, 'the history');

  console.log('patient (phone): a red-flag yes opens the emergency screen at once');
  await page.goto(`${base}/me`);
  await page.locator('input[name="chest_pain"][value="yes"]').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.waitForURL(/\/me\/checkins\/\d+$/);
  check((await page.getByRole('heading', { level: 1 }).textContent()).trim() === 'Emergency',
    'chest pain shows the emergency screen before any other question, and the check-in is stored');
  await page.screenshot({ path: join(artifacts, '4b-patient-emergency.png'), fullPage: true });
  const denied = await page.goto(`${base}/patients/1`);
  check(denied.status() === 403, 'a patient is refused the care team\'s course page (403)');
  await context.close();
}

async function patientChecksInInSpanish(browser, base) {
  console.log('patient (phone): the check-in in Spanish');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, base, 'patient');
  await page.waitForURL(`${base}/me`);
  await page.getByRole('link', { name: 'Español' }).click();
  check((await page.getByRole('heading', { level: 1 }).textContent()).trim() === '¿Cómo se siente hoy?',
    'the check-in switches to Spanish');
  await fitsThePhone(page, 'the Spanish red-flag step');
  for (const name of ['hard_to_wake', 'seizure', 'chest_pain', 'fainted', 'bleeding_wont_stop', 'palpitations']) {
    await page.locator(`input[name="${name}"][value="no"]`).check();
  }
  await page.locator('input[name="short_of_breath"][value="none"]').check();
  await page.getByRole('button', { name: 'Siguiente' }).click();
  await page.waitForURL(/\/me\?/);
  check((await page.locator('.progress').textContent()).trim() === 'Paso 2 de 5', 'the steps keep the language');
  await page.locator('input[name="temperature"]').fill('37');
  await page.locator('select[name="temperature_unit"]').selectOption('Cel');
  await page.locator('input[name="fluids_not_kept_down_hours"]').fill('0');
  while (await page.getByRole('button', { name: 'Siguiente' }).count() > 0) {
    await page.getByRole('button', { name: 'Siguiente' }).click();
    await page.waitForLoadState();
  }
  await page.getByRole('button', { name: 'Enviar mis respuestas' }).click();
  await page.waitForURL(/\/me\/checkins\/\d+\?lang=es$/);
  check((await page.locator('main').getAttribute('id')) === 'main' && (await page.locator('div[lang="es"]').count()) >= 1,
    'the result is shown in Spanish');
  await fitsThePhone(page, 'the Spanish result');
  await page.goto(`${base}/me/education`);
  await fitsThePhone(page, 'the education sheet');
  await page.screenshot({ path: join(artifacts, '4c-patient-spanish-result.png'), fullPage: true });
  await context.close();
}

async function patientLogsAnInjection(browser, base) {
  console.log('patient (phone): injection log');
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, base, 'patient');
  await page.waitForURL(`${base}/me`);
  await page.getByRole('link', { name: 'My injection log' }).click();
  await page.waitForURL(`${base}/me/injections`);
  await everyFieldLabelled(page, 'injection log form');
  check((await page.getByLabel('Which shot').inputValue()) === '4', 'the shot due now (shot 4) is chosen');
  await page.getByLabel('Belly, right side').check();
  await page.getByLabel('Note (optional)').fill('no problems');
  await page.screenshot({ path: join(artifacts, '5-patient-injection-form.png'), fullPage: true });
  await page.getByRole('button', { name: 'Save to my log' }).click();
  check((await page.locator('[role=alert]').textContent()).includes('hold the next shot until the care team calls back'),
    'after the call-now and emergency check-ins the next shot is refused until the care team clears it');

  console.log('nurse: the call-back clears the next shot');
  const nurseContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const nurse = await nurseContext.newPage();
  await signIn(nurse, base, 'nurse');
  await nurse.waitForURL(`${base}/worklist`);
  await nurse.locator('table.worklist tbody tr', { hasText: 'Emergency' }).first().locator('a').first().click();
  await nurse.waitForURL(/\/patients\/\d+$/);
  let cleared = 0;
  while (await nurse.getByLabel('The call cleared the next shot').count() > 0) {
    await nurse.getByLabel('The call cleared the next shot').first().check();
    await nurse.getByRole('button', { name: 'Called back' }).first().click();
    await nurse.waitForURL(/#checkins$/);
    cleared += 1;
  }
  check(cleared >= 2, `the nurse records the call-backs that clear the next shot (${cleared})`);
  await nurseContext.close();

  await page.getByRole('button', { name: 'Save to my log' }).click();
  await page.waitForURL(`${base}/me/injections#log`);
  const row = await page.locator('table.injections tr', { hasText: 'Belly, right side' }).textContent();
  check(row.includes('Taken') && row.includes('no problems'), 'the shot is in the log with its site and note');
  await fitsThePhone(page, 'the injection log');
  await page.screenshot({ path: join(artifacts, '6-patient-injection-log.png'), fullPage: true });
  await context.close();
}

async function pharmacistVerifiesDoses(browser, base) {
  console.log('pharmacist: dose verification and screening');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'pharmacist');
  await page.waitForURL(`${base}/pharmacy`);
  check((await page.locator('main').textContent()).includes('50,400,000 IU'),
    'the 84 kg inpatient\'s high dose is 50,400,000 IU (600,000 IU/kg)');
  const screening = await page.locator('#screening-1').textContent();
  check(screening.includes('Zyxoflamin 20 mg') && screening.includes('Contrast: Warning'),
    'the latest screening shows its unrecognised name and the contrast warning');
  await everyFieldLabelled(page, 'pharmacist page');
  await page.screenshot({ path: join(artifacts, '7-pharmacist-dose-verification.png'), fullPage: true });
  await context.close();
}

/** The API with a bearer token (setup only: a patient and a course that has no dose and no screening). */
async function api(base, token, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/** A datetime-local value `hours` from now (read in the patient's zone by the form; a day's margin is enough). */
function localInput(hours) {
  return new Date(Date.now() + hours * 3_600_000).toISOString().slice(0, 16);
}

/**
 * Issue 16: a course without a screening refuses its first dose; the pharmacist enters the screening in the form
 * (more medication rows without script), the physician acknowledges and overrides item by item, the first dose
 * is then given; the pharmacist verifies the prepared dose and prints its label, which fits a phone.
 */
async function screeningGatesTheFirstDoseAndThePharmacistSignsOff(browser, base) {
  console.log('screening form, first-dose gate, pharmacist sign-off and label');
  const session = await api(base, null, 'POST', '/api/v1/session', { username: 'physician', password });
  check(session.status === 200, 'the physician signs in to the API for the setup');
  const token = session.body.token;
  const created = await api(base, token, 'POST', '/api/v1/patients',
    { mrn: 'HD-1099', name: 'Jordan Lee', date_of_birth: '1970-03-04', sex: 'male', time_zone: 'America/New_York' });
  check(created.status === 201, 'a new inpatient is admitted');
  const patientId = created.body.id;
  const course = await api(base, token, 'POST', `/api/v1/patients/${patientId}/courses`,
    { regimen: 'hd-iv', started_at: new Date(Date.now() - 3_600_000).toISOString(), baseline_weight: { value: 80, unit: 'kg' } });
  check(course.status === 201, 'a high-dose course starts, without a screening');
  const decided = await api(base, token, 'POST', `/api/v1/patients/${patientId}/assessments`,
    { course_id: course.body.id, at: new Date().toISOString(), findings_reviewed: true, findings: [] });
  check(decided.status === 201, 'a decision is recorded for the first slot');

  const physicianContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const physician = await physicianContext.newPage();
  await signIn(physician, base, 'physician');
  await physician.waitForURL(`${base}/worklist`);
  const giveFirstDose = async () => {
    await physician.goto(`${base}/patients/${patientId}`);
    await physician.getByLabel('Given').check();
    await physician.getByLabel('Reason (required').selectOption('protocol_exception_approved');
    await physician.getByLabel('Override reason in words').fill('assessed at the bedside');
    await physician.getByRole('button', { name: 'Record the dose' }).click();
  };
  await physician.goto(`${base}/patients/${patientId}`);
  check((await physician.locator('#screening-gate').textContent()).includes('First dose blocked'),
    'the course page shows the gate closed');
  await giveFirstDose();
  check((await physician.locator('#dose [role=alert]').textContent()).includes('a screening review is needed'),
    'the first dose of the course without a screening is refused in words');

  const pharmacistContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const pharmacist = await pharmacistContext.newPage();
  await signIn(pharmacist, base, 'pharmacist');
  await pharmacist.waitForURL(`${base}/pharmacy`);
  await pharmacist.goto(`${base}/patients/${patientId}/screening`);
  await everyFieldLabelled(pharmacist, 'screening form');
  check((await pharmacist.locator('main').textContent()).includes('Valid for: 3 months'), 'each item shows its validity window');
  await pharmacist.getByLabel('Organ allograft (transplant)').selectOption('yes');
  await pharmacist.getByLabel('Blood drawn at').fill(localInput(-24));
  await pharmacist.getByLabel('Potassium', { exact: true }).fill('6.5');
  await pharmacist.getByLabel('Potassium unit').selectOption('mmol/L');
  await pharmacist.getByLabel('Medication 1 name').fill('prednisone');
  await pharmacist.getByLabel('Medication 1 route').selectOption('oral');
  await pharmacist.getByLabel('Medication 1 daily dose', { exact: true }).fill('5');
  await pharmacist.getByLabel('Medication 1 purpose').selectOption('adrenal_replacement');
  await pharmacist.getByRole('button', { name: 'Add more rows' }).click();
  check(await pharmacist.getByLabel('Medication 10 name').count() === 1, 'more medication rows without script');
  check((await pharmacist.getByLabel('Medication 1 name').inputValue()) === 'prednisone', 'the rows entered are kept');
  await pharmacist.getByLabel('Medication 2 name').fill('Pepcid');
  await pharmacist.getByRole('button', { name: 'Screen and store' }).click();
  await pharmacist.waitForURL(/\/screening#result$/);
  const result = await pharmacist.locator('#result').textContent();
  check(result.includes('Organ allograft') && result.includes('Fail'), 'the result shows the failed item by its title');
  check(result.includes('Source:'), 'each item shows its source');
  await pharmacist.screenshot({ path: join(artifacts, '8-screening-result.png'), fullPage: true });

  await physician.goto(`${base}/patients/${patientId}/screening`);
  for (let guard = 0; guard < 25; guard += 1) {
    const form = physician.locator('form.decide').first();
    if (await form.count() === 0) break;
    await form.locator('input[name=reason]').fill('reviewed with the team');
    await form.getByRole('button').click();
    await physician.waitForURL(/#result$/);
  }
  const decisions = await physician.locator('#result').textContent();
  check(decisions.includes('Overridden by physician') && decisions.includes('Acknowledged by physician'),
    'every needs-review item is acknowledged and the fail overridden, each with who and why');
  check((await physician.locator('#screening-gate').textContent()).includes('First dose allowed'), 'the gate opens');
  await giveFirstDose();
  await physician.waitForURL(/#schedule-heading$/);
  check(await physician.locator('td.override').count() >= 1, 'the first dose is then given');

  await pharmacist.goto(`${base}/pharmacy#course-${course.body.id}`);
  const desk = pharmacist.locator(`#course-${course.body.id}`);
  const working = await desk.textContent();
  check(working.includes('48,000,000 IU (48 MIU)') && working.includes('2.67 mL') && !working.includes('[iU]'),
    'the working shows IU as pharmacists write them and the measurable mL');
  await desk.getByLabel('Vial lot number').fill('AB123');
  await desk.getByLabel('Lot expiry date').fill('2099-06-30');
  await desk.getByRole('button', { name: 'Verify and sign off' }).click();
  await pharmacist.waitForURL(/\/pharmacy\/verifications\/\d+\/label$/);
  const label = await pharmacist.locator('section.label').textContent();
  for (const shown of ['Jordan Lee', 'HD-1099', '48,000,000 IU', '2.67 mL', '50 mL 5% dextrose', 'Prepared at', 'Expires at', 'AB123']) {
    check(label.includes(shown), `the label shows ${shown}`);
  }
  await pharmacist.emulateMedia({ media: 'print' });
  check(!(await pharmacist.locator('header.bar').isVisible()), 'the printed label leaves the navigation out');
  await pharmacist.pdf({ format: 'A4', path: join(artifacts, 'preparation-label.pdf') });
  await pharmacist.emulateMedia({ media: 'screen' });
  await pharmacist.setViewportSize({ width: 390, height: 844 });
  await fitsThePhone(pharmacist, 'the label and worksheet');
  await pharmacist.screenshot({ path: join(artifacts, '9-preparation-label.png'), fullPage: true });

  await physician.goto(`${base}/patients/${patientId}`);
  check((await physician.locator('p.verification').textContent()).includes('Verified by pharmacist'),
    'the course page shows who verified the prepared dose and its lot');
  await pharmacistContext.close();
  await physicianContext.close();
}

/** The education sheet fits the printable width of A4 and Letter and prints as a PDF on each. */
async function educationSheetPrints(browser, base) {
  console.log('education sheet: prints on A4 and Letter');
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, base, 'patient');
  await page.waitForURL(`${base}/me`);
  const violations = [];
  page.on('console', (message) => { if (message.text().includes('Content Security Policy')) violations.push(message.text()); });
  await page.goto(`${base}/me/education`);
  await page.evaluate(() => { window.print = () => { document.body.dataset.printed = 'yes'; }; });
  await page.getByRole('button', { name: /print/i }).first().click();
  check(violations.length === 0 && await page.evaluate(() => document.body.dataset.printed) === 'yes',
    `the sheet's print button runs under the page's content security policy ${violations.join(' ')}`);
  await page.emulateMedia({ media: 'print' });
  // Paper width at 96 px per inch, less 15 mm margins on each side (57 px).
  for (const [format, paperWidth] of [['A4', 794], ['Letter', 816]]) {
    await page.setViewportSize({ width: paperWidth - 2 * 57, height: 1000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 0, `${format}: nothing is wider than the printable width (overflow ${overflow} px)`);
    const pdf = await page.pdf({ format, path: join(artifacts, `education-sheet-${format}.pdf`) });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
    check(pages >= 1 && pages <= 16, `${format}: the sheet prints on ${pages} pages`);
  }
  await context.close();
}

/** Signs in with a given password (the demo's unless told). */
async function signInWith(page, base, username, secret) {
  await page.goto(`${base}/signin`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
}

async function adminManagesAccounts(browser, base) {
  console.log('admin: adds a nurse, who signs in and chooses a password; unlocks a locked account');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'admin');
  await page.waitForURL(`${base}/audit`);
  await page.getByRole('link', { name: 'Accounts' }).click();
  await page.waitForURL(`${base}/admin/accounts`);
  await everyFieldLabelled(page, 'accounts page');
  await page.getByLabel('Username').fill('nina');
  await page.getByLabel('Full name').fill('Nina Newhire');
  await page.getByLabel('Role').selectOption('nurse');
  await page.getByRole('button', { name: 'Add user' }).click();
  const temporary = (await page.locator('#temporary-password').textContent()).trim();
  check(/^[a-zA-Z0-9]{5}(-[a-zA-Z0-9]{5}){3}$/.test(temporary), 'the new nurse\'s temporary password is shown once');
  await page.screenshot({ path: join(artifacts, '8-admin-temporary-password.png'), fullPage: true });

  const nurseContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const nurse = await nurseContext.newPage();
  await signInWith(nurse, base, 'nina', temporary);
  check(nurse.url() === `${base}/account/password`, 'the temporary password leads to choosing a password first');
  await nurse.goto(`${base}/worklist`);
  check(nurse.url() === `${base}/account/password`, 'nothing else opens before the password is changed');
  await fitsThePhone(nurse, 'the password page');
  await nurse.getByLabel('Temporary password').fill(temporary);
  await nurse.getByLabel('New password', { exact: true }).fill('short');
  await nurse.getByLabel('New password again').fill('short');
  await nurse.getByRole('button', { name: 'Save my password' }).click();
  check((await nurse.locator('[role=alert]').textContent()).includes('at least 12 characters'),
    'a short password is refused in words');
  await nurse.getByLabel('Temporary password').fill(temporary);
  await nurse.getByLabel('New password', { exact: true }).fill('nina chooses her own');
  await nurse.getByLabel('New password again').fill('nina chooses her own');
  await nurse.getByRole('button', { name: 'Save my password' }).click();
  await nurse.waitForURL(`${base}/worklist`);
  check((await nurse.getByRole('heading', { level: 1 }).textContent()) === 'Worklist', 'the new nurse reaches the worklist');
  await nurse.getByRole('button', { name: 'Sign out' }).click();
  await signInWith(nurse, base, 'nina', temporary);
  check((await nurse.locator('[role=alert]').textContent()).includes('Wrong username or password'),
    'the temporary password works only once');
  await signInWith(nurse, base, 'nina', 'nina chooses her own');
  check(nurse.url() === `${base}/worklist`, 'the nurse signs in with her own password');
  await nurseContext.close();

  const lockedContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const locked = await lockedContext.newPage();
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    await signInWith(locked, base, 'pharmacist', `wrong password ${attempt}`);
  }
  await page.goto(`${base}/admin/accounts`);
  const row = page.locator('tr[data-username="pharmacist"]');
  check(await row.locator('[data-state="locked"]').count() === 1, 'after five wrong passwords the account shows as locked');
  await signInWith(locked, base, 'pharmacist', password);
  check((await locked.locator('[role=alert]').textContent()).includes('Too many failed sign-in attempts'),
    'the locked account waits even with the right password');
  await row.getByRole('button', { name: 'Unlock' }).click();
  await page.waitForURL(`${base}/admin/accounts`);
  check(await page.locator('tr[data-username="pharmacist"] [data-state="active"]').count() === 1, 'the admin unlocks it');
  await signInWith(locked, base, 'pharmacist', password);
  check(locked.url() === `${base}/pharmacy`, 'the unlocked pharmacist signs in');
  await lockedContext.close();
  await context.close();
}

async function auditFiltersFindTheRows(browser, base) {
  console.log('admin: audit filters');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'admin');
  await page.waitForURL(`${base}/audit`);
  await everyFieldLabelled(page, 'audit page');
  const rows = page.locator('table.audit tbody tr');
  await page.getByLabel('Who (username)').fill('pharmacist');
  await page.getByLabel('Action').fill('login_failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/\/audit\?/);
  const texts = await rows.allTextContents();
  check(texts.length === 5 && texts.every((row) => row.includes('pharmacist') && row.includes('login_failed')),
    `the five wrong passwords, and only they, are listed (${texts.length})`);
  await page.getByLabel('Action').fill('password_change');
  await page.getByLabel('Who (username)').fill('nina');
  await page.getByLabel('Outcome').selectOption('ok');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForLoadState();
  check(await rows.count() === 1, 'the new nurse\'s one accepted password change');
  await page.getByLabel('From day').fill('2000-01-01');
  await page.getByLabel('To day').fill('2000-01-02');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForLoadState();
  check(await rows.count() === 0 && await page.locator('#audit-empty').count() === 1, 'a range of days without entries lists none');
  const csv = await page.getByRole('link', { name: /CSV/ }).getAttribute('href');
  check(csv.includes('actor=nina') && csv.includes('from=2000-01-01'), 'the CSV link carries the filters');
  await page.goto(`${base}/audit?from=2000-02-30`);
  check((await page.locator('[role=alert]').textContent()).includes('not a date'), 'a bad day is refused in words');
  await page.screenshot({ path: join(artifacts, '9-admin-audit.png'), fullPage: true });
  await context.close();
}

async function physicianAdmitsAndStartsACourse(browser, base) {
  console.log('physician: admits a patient and starts a course from the pages');
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, base, 'physician');
  await page.waitForURL(`${base}/worklist`);
  await page.getByRole('link', { name: 'Admit a patient' }).click();
  await page.waitForURL(`${base}/patients/new`);
  await everyFieldLabelled(page, 'admission form');
  await page.getByLabel('Full name').fill('Tess Tester');
  await page.getByLabel('Date of birth').fill('2999-01-01');
  await page.getByLabel('Sex').selectOption('female');
  await page.getByLabel('MRN (medical record number)').fill('BT-100');
  await page.getByLabel('Language of the patient\'s pages').selectOption('es');
  await page.getByRole('button', { name: 'Admit' }).click();
  check((await page.locator('[role=alert]').textContent()).includes('in the future'),
    'a birth date in the future is refused in words');
  check(await page.getByLabel('Full name').inputValue() === 'Tess Tester', 'the refused form comes back filled in');
  await page.getByLabel('Date of birth').fill('1970-02-03');
  await page.getByRole('button', { name: 'Admit' }).click();
  await page.waitForURL(/\/patients\/\d+\/courses\/new$/);
  await everyFieldLabelled(page, 'start-a-course form');
  await page.getByLabel('Regimen').selectOption('hd-iv');
  await page.getByLabel('Weight', { exact: true }).fill('154');
  await page.getByLabel('Weight unit').selectOption('[lb_av]');
  await page.getByLabel('Height', { exact: true }).fill('170');
  await page.getByRole('button', { name: 'Start the course' }).click();
  await page.waitForURL(/\/patients\/\d+$/);
  check((await page.getByRole('heading', { level: 1 }).textContent()).includes('Tess Tester'),
    'the course page of the new patient opens');
  await page.screenshot({ path: join(artifacts, '10-physician-new-course.png'), fullPage: true });
  await context.close();
}

/** Every staff page fits a 390 px screen, or says it is a desk page (its wide tables scroll on their own). */
async function staffPagesFitAPhone(browser, base) {
  console.log('staff pages on a 390 px phone');
  const pages = {
    nurse: ['/worklist', '/patients/1', '/patients/new', '/patients/1/education'],
    physician: ['/patients/1/courses/new'],
    pharmacist: ['/pharmacy'],
    admin: ['/audit', '/admin/accounts'],
  };
  for (const [username, paths] of Object.entries(pages)) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await signIn(page, base, username);
    await page.waitForLoadState();
    for (const path of paths) {
      await page.goto(`${base}${path}`);
      const { overflow, desk } = await page.evaluate(() => {
        const note = document.querySelector('.desk-note');
        return {
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          desk: !!note && getComputedStyle(note).display !== 'none',
        };
      });
      check(overflow <= 0, `${path} (${username}) has no sideways scroll at 390 px (overflow ${overflow} px${desk ? '; says it is a desk page' : ''})`);
      await page.screenshot({ path: join(artifacts, `390-${username}${path.replaceAll('/', '-')}.png`), fullPage: true });
    }
    await context.close();
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'il2care-browser-data-'));
mkdirSync(artifacts, { recursive: true });
const { server, url } = startServer(dataDir);
let browser;
let failed = false;
try {
  const base = await url;
  console.log(`server at ${base}`);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    // launch() gives the browser a fresh temporary profile of its own, removed when it closes.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  await nurseHoldsADose(browser, base);
  await ruleLinkFromADecision(browser, base);
  await physicianCosignsAnOverride(browser, base);
  await patientChecksInWithAFever(browser, base);
  await patientChecksInInSpanish(browser, base);
  await patientLogsAnInjection(browser, base);
  await pharmacistVerifiesDoses(browser, base);
  await screeningGatesTheFirstDoseAndThePharmacistSignsOff(browser, base);
  await educationSheetPrints(browser, base);
  await adminManagesAccounts(browser, base);
  await auditFiltersFindTheRows(browser, base);
  await physicianAdmitsAndStartsACourse(browser, base);
  await staffPagesFitAPhone(browser, base);
  console.log(`browser tests passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
} catch (error) {
  failed = true;
  console.error(`browser tests FAILED: ${error.stack ?? error}`);
} finally {
  await browser?.close().catch(() => {});
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
