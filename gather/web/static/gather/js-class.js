// Loaded synchronously in <head>: marks the page as scripted before it is drawn, so that
// no-JS fallbacks never flash (a file, not an inline script: the pages allow no inline JS).
document.documentElement.classList.add("js");
