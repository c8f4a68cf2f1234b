// Progressive enhancement only: every page works without this file.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = button.getAttribute("data-copy");
  navigator.clipboard.writeText(text).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1200);
  });
});

// A form with data-confirm asks before it is sent (the pages' Content-Security-Policy
// allows no inline handlers such as onsubmit=).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// A type picker saves as soon as it changes (the Set button remains for no-JS use).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// A new API key or invite link is shown in the answer to the POST that created it and is
// kept nowhere else: turn this history entry into a plain GET, so that a reload shows the
// page without the secret instead of sending the form again.
if (document.querySelector("[data-shown-once]")) history.replaceState(null, "", location.href);

// Add task: show the chosen task type's ID field only (without JS both show); Sync Stripe
// Customers proposes the team's Account model when no model was picked yet.
for (const form of document.querySelectorAll("form[data-account-model]")) {
  const type = form.elements.type;
  const model = form.elements.model;
  const update = () => {
    for (const el of form.querySelectorAll("[data-for]")) {
      el.hidden = el.getAttribute("data-for") !== type.value;
    }
    const account = form.getAttribute("data-account-model");
    if (type.value === "sync_stripe_customers" && account && !model.value) model.value = account;
  };
  type.addEventListener("change", update);
  update();
}
