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

// A type picker saves as soon as it changes (the Set button remains for no-JS use).
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) select.form.requestSubmit();
});

// A new API key or invite link is shown in the answer to the POST that created it and is
// kept nowhere else: turn this history entry into a plain GET, so that a reload shows the
// page without the secret instead of sending the form again.
if (document.querySelector("[data-shown-once]")) history.replaceState(null, "", location.href);
