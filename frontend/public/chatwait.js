// ChatWait's additions to Chainlit's page (loaded by `custom_js` in .chainlit/config.toml).
//
// 1. Deep links survive the login page. Opening /thread/<id> signed out, Chainlit sends
//    the browser to /login and, once signed in, to "/": the conversation is lost. The
//    login page's referrer is the link that was opened; it is kept for this tab and,
//    when the app leaves /login for "/", the browser goes there instead.
// 2. A message the backend refused (too long, ...) goes back into the composer: the
//    server posts {chatwait: "restore-composer", text} to this window (Chainlit's
//    `send_window_message`), and it is put back as if typed.
(() => {
  "use strict";
  const NEXT = "chatwait.after-login";
  const THREAD = /^\/thread\/[0-9a-fA-F-]{36}$/;

  const onLoginPage = () => window.location.pathname.startsWith("/login");

  if (onLoginPage()) {
    try {
      const from = document.referrer ? new URL(document.referrer) : null;
      if (from && from.origin === window.location.origin && THREAD.test(from.pathname)) {
        window.sessionStorage.setItem(NEXT, from.pathname);
      }
    } catch (_) {
      // no referrer or no storage: land on "/" as Chainlit does
    }
  }

  let last = window.location.pathname;
  const followDeepLink = () => {
    const now = window.location.pathname;
    if (now === last) return;
    const wasLogin = last.startsWith("/login");
    last = now;
    if (!wasLogin) return;
    let next = null;
    try {
      next = window.sessionStorage.getItem(NEXT);
      window.sessionStorage.removeItem(NEXT);
    } catch (_) {
      return;
    }
    if (now === "/" && next && THREAD.test(next)) window.location.replace(next);
  };
  for (const name of ["pushState", "replaceState"]) {
    const original = window.history[name];
    window.history[name] = function (...args) {
      const result = original.apply(this, args);
      followDeepLink();
      return result;
    };
  }
  window.addEventListener("popstate", followDeepLink);

  // Chainlit may still reset or re-mount the composer after the text is put back (its
  // own clean-up after a send); for a few seconds an emptied composer gets it again,
  // until the user does anything (a key, a click: editing, sending or clearing it).
  const RESTORE_MS = 4000;
  let restoring = null;
  const setValue = (input, text) => {
    const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set;
    setter.call(input, text); // React's own setter, then the event it listens to
    input.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const restore = () => {
    if (!restoring) return;
    if (Date.now() > restoring.until) {
      stopRestoring();
      return;
    }
    const input = document.getElementById("chat-input");
    if (!(input instanceof HTMLTextAreaElement) || input.value === restoring.text) return;
    if (input.value !== "") {
      stopRestoring(); // something else is in it now
      return;
    }
    setValue(input, restoring.text);
    input.focus();
  };

  const stopRestoring = () => {
    if (!restoring) return;
    window.clearInterval(restoring.timer);
    restoring = null;
  };
  document.addEventListener("keydown", stopRestoring, true);
  document.addEventListener("pointerdown", stopRestoring, true);

  window.addEventListener("message", (event) => {
    if (event.source !== window || event.origin !== window.location.origin) return;
    const data = event.data;
    if (!data || data.chatwait !== "restore-composer" || typeof data.text !== "string") return;
    stopRestoring();
    const timer = window.setInterval(restore, 100);
    restoring = { text: data.text, until: Date.now() + RESTORE_MS, timer };
    restore();
  });
})();
