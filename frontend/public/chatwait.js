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

  window.addEventListener("message", (event) => {
    if (event.source !== window || event.origin !== window.location.origin) return;
    const data = event.data;
    if (!data || data.chatwait !== "restore-composer" || typeof data.text !== "string") return;
    const input = document.getElementById("chat-input");
    if (!(input instanceof HTMLTextAreaElement)) return;
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set;
    setValue.call(input, data.text); // React's own setter, then the event it listens to
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  });
})();
