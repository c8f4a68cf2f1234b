// Loaded in <head> before the page renders: lets CSS hide what only works without JS
// (.nojs-only) without a flash. A file, not an inline script: the Content-Security-Policy
// runs scripts from Gather's own static files only.
document.documentElement.classList.add("js");
