//! The page shell every page shares: the document head, the skip link, the navigation for the signed-in
//! role, the sign-out button, the style sheet and the disclaimer at the end of every page. It holds no
//! clinical logic and reads nothing from the record.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::auth::{Actor, Role};

/// The disclaimer at the end of every staff page.
pub const STAFF_DISCLAIMER: &str = "Decision support: the treating clinician decides.";

/// Styles: system fonts, contrast at least 7:1 for text, a visible focus ring, touch targets of at least
/// 48 px on the patient's phone pages; works without JavaScript.
const CSS: &str = "
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; margin: 0; color: #111;
  background: #fff; line-height: 1.45; font-size: 1rem; }
a { color: #0b3d91; }
a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus { outline: 3px solid #b35c00; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: #fff; padding: 0.5rem; z-index: 10; }
header.bar { background: #0b3d91; color: #fff; padding: 0.5rem 1rem; display: flex; flex-wrap: wrap; gap: 0.75rem;
  align-items: center; }
header.bar a, header.bar .who { color: #fff; }
header.bar nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; flex-wrap: wrap; }
header.bar form { margin-left: auto; }
header.bar button { background: #fff; color: #0b3d91; border: 0; padding: 0.4rem 0.8rem; font: inherit; cursor: pointer; }
main { padding: 1rem; max-width: 72rem; margin: 0 auto; }
main.phone { max-width: 36rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 0.5rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border: 1px solid #767676; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
.badge { display: inline-block; padding: 0.1rem 0.5rem; border-radius: 0.25rem; font-weight: 700; border: 2px solid; }
.u5 { background: #7a0010; color: #fff; border-color: #7a0010; }
.u4 { background: #b00020; color: #fff; border-color: #b00020; }
.u3 { background: #fff4e5; color: #6b3a00; border-color: #6b3a00; }
.u2 { background: #fffbe5; color: #4d4000; border-color: #4d4000; }
.u1, .u0 { background: #e9f6ec; color: #0f4d1f; border-color: #0f4d1f; }
.neutral { background: #ececec; color: #2b2b2b; border-color: #5a5a5a; }
.given { color: #0f4d1f; font-weight: 700; }
.held { color: #6b3a00; font-weight: 700; }
.pending, .not-recorded { color: #333; }
/* An override is never shown in the colour of give (ASSESSMENT 10.6): its own violet, with a heavy border. */
.override { background: #f3e8fd; color: #3d0a66; border-left: 6px solid #3d0a66; }
.last { color: #333; font-size: 0.9rem; }
.last.stale { color: #6b3a00; font-weight: 700; }
fieldset.findings { margin: 0.5rem 0; }
.field.invalid { outline: 3px solid #b00020; outline-offset: 2px; background: #fff0f0; }
small.code { color: #444; font-family: ui-monospace, monospace; font-size: 0.8rem; }
.scroll { overflow-x: auto; max-width: 100%; }
form.filters { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; margin: 0 0 0.75rem; }
form.stack label, fieldset legend { font-weight: 600; }
.field { margin: 0.5rem 0; display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.field label { min-width: 14rem; }
input, select, textarea, button { font: inherit; padding: 0.35rem; border: 1px solid #555; border-radius: 0.2rem; }
button.primary { background: #0b3d91; color: #fff; border: 0; padding: 0.6rem 1.2rem; font-weight: 700; cursor: pointer; }
fieldset { border: 1px solid #767676; margin: 0.75rem 0; padding: 0.5rem 0.75rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid #ccc; padding: 0.5rem; }
figcaption { font-weight: 600; }
svg text { font-size: 11px; fill: #222; }
.error { border: 3px solid #b00020; padding: 0.75rem; background: #fff0f0; }
.note { color: #333; }
footer.disclaimer { border-top: 2px solid #111; margin: 2rem auto 1rem; padding: 0.75rem 1rem; max-width: 72rem; font-weight: 600; }
.phone fieldset { padding: 0.75rem; }
.phone .choices { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.phone .choices label { display: flex; align-items: center; gap: 0.5rem; min-height: 48px; min-width: 48px;
  padding: 0.5rem 0.9rem; border: 2px solid #555; border-radius: 0.4rem; font-weight: 400; cursor: pointer; }
.phone input[type=radio] { width: 1.4rem; height: 1.4rem; }
.phone input[type=number], .phone select { min-height: 48px; font-size: 1.15rem; }
.phone button.primary { width: 100%; min-height: 56px; font-size: 1.2rem; }
aside.contacts { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0 0 1rem; }
a.call { display: inline-block; min-height: 48px; padding: 0.7rem 0.9rem; border: 2px solid #0b3d91; border-radius: 0.4rem;
  font-weight: 700; text-decoration: none; }
a.call.emergency { background: #7a0010; border-color: #7a0010; color: #fff; }
.progress { font-weight: 700; color: #333; }
.steps { display: flex; gap: 0.5rem; margin-top: 1rem; }
.steps button { min-height: 56px; }
.phone .steps button.primary { width: auto; flex: 1; }
.injections, table { max-width: 100%; }
.phone table { display: block; overflow-x: auto; }
.action { font-size: 1.5rem; font-weight: 800; padding: 1rem; border-radius: 0.4rem; margin: 0 0 1rem; }
@media print { header.bar, .skip, form { display: none; } }
#temporary-password { font-size: 1.4rem; font-weight: 700; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.actions form { margin: 0; }
.measure { display: flex; flex-wrap: wrap; gap: 0 1.5rem; }
nav.pager { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0; }
form.filters label.invalid { outline: 3px solid #b00020; outline-offset: 2px; background: #fff0f0; }
.desk-note { display: none; }
/* A 390 px phone: nothing runs past the screen's edge. Tables marked .cards become one card per row; any other
   table scrolls on its own, and the page then says it is a desk page. */
@media (max-width: 40rem) {
  main { padding: 0.75rem; overflow-wrap: anywhere; }
  header.bar form { margin-left: 0; }
  .field label { min-width: 0; flex-basis: 100%; }
  input, select, textarea { max-width: 100%; }
  .grid { grid-template-columns: minmax(0, 1fr); }
  svg, img { max-width: 100%; height: auto; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards thead { position: absolute; left: -10000px; }
  table.cards tr { border: 1px solid #767676; margin: 0 0 0.5rem; }
  table.cards td { border: 0; border-bottom: 1px solid #ddd; }
  table.cards td::before { content: attr(data-label) ': '; font-weight: 700; }
  main table:not(.cards) { display: block; overflow-x: auto; }
  main:has(table:not(.cards)) > .desk-note { display: block; }
}
";

/// Which disclaimer and layout a page takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Patient,
}

fn nav(actor: &Actor) -> Markup {
    let links: &[(&str, &str)] = match actor.role() {
        Role::Nurse | Role::Physician => &[("/worklist", "Worklist"), ("/patients/new", "Admit a patient")],
        Role::Pharmacist => &[("/pharmacy", "Dose verification")],
        Role::Patient => &[
            ("/me", "Check in"),
            ("/me/history", "My check-ins"),
            ("/me/injections", "My injection log"),
            ("/me/education", "About IL-2"),
        ],
        Role::Admin => &[("/audit", "Audit log"), ("/admin/accounts", "Accounts")],
        // Never an account's role (`Role::parse`): the command line and a calling EHR have no pages.
        Role::Operator | Role::Ehr => &[],
    };
    html! {
        nav aria-label="Main" {
            ul { @for (href, text) in links { li { a href=(href) { (text) } } } }
        }
        span.who { "Signed in as " (actor.user.display_name) " (" (actor.role().as_str()) ")" }
        form method="post" action="/signout" { button type="submit" { "Sign out" } }
    }
}

/// The whole page: `title` in the head and as nothing else (each page writes its own `h1`).
pub fn shell(title: &str, actor: Option<&Actor>, audience: Audience, head_extra: Markup, body: Markup) -> Markup {
    let main_class = if audience == Audience::Patient { "phone" } else { "" };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — il2care" }
                style { (PreEscaped(CSS)) }
                (head_extra)
            }
            body {
                a.skip href="#main" { "Skip to main content" }
                header.bar {
                    strong { "il2care" }
                    @if let Some(actor) = actor { (nav(actor)) }
                }
                main id="main" class=(main_class) {
                    @if audience == Audience::Staff {
                        p.desk-note.note role="note" { "This is a desk page: on a phone screen its wide tables scroll sideways on their own." }
                    }
                    (body)
                }
                footer.disclaimer {
                    @match audience {
                        Audience::Staff => (STAFF_DISCLAIMER),
                        Audience::Patient => (il2care_content::disclaimer().plain_text().trim_end()),
                    }
                }
            }
        }
    }
}

/// An error page: what went wrong, in words the reader can act on.
pub fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    shell(
        title,
        None,
        Audience::Staff,
        html! {},
        html! {
            h1 { (title) }
            div.error role="alert" { p { (message) } }
            p { "Use your browser's Back button to correct the form, or go to the " a href="/" { "start page" } "." }
        },
    )
}
