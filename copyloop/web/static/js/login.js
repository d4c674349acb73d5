// Login: an API key checked with GET /v1/me, kept in sessionStorage only (gone when the tab closes).

import { api, ApiError, session } from "./api.js";
import { h, heading, notice } from "./dom.js";

let loggedIn = () => {};
export function onLogin(handler) { loggedIn = handler; }

export function render(main) {
  const status = h("div", { id: "login-status", "aria-live": "polite" });
  const said = sessionStorage.getItem("copyloop.notice");
  if (said) {
    sessionStorage.removeItem("copyloop.notice");
    status.append(notice("error", said));
  }
  const input = h("input", {
    id: "api-key", name: "api-key", type: "password", autocomplete: "off", spellcheck: "false", required: true,
    "aria-describedby": "api-key-help",
  });
  const button = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h("form", { class: "card narrow", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "api-key" }, "API key"),
      input,
      h("p", { class: "help", id: "api-key-help" },
        "A key from ", h("code", {}, "copyloop keys create --brand <brand>"),
        ". It stays in this browser tab only and is forgotten when you log out or close the tab.")),
    button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    status.replaceChildren();
    if (!key) {
      status.append(notice("error", "Paste an API key first."));
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    button.disabled = true;
    status.append(notice("info", "Checking the key…"));
    try {
      const me = await api("/v1/me", { key });
      session.save(key, me.brand);
      loggedIn(me);
    } catch (err) {
      status.replaceChildren(notice("error", err instanceof ApiError && err.status === 401
        ? "That key is unknown or revoked." : `Could not log in: ${err.message}`));
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  main.append(heading("Log in"), h("p", {}, "copyloop writes marketing copy for your products. Log in with your brand's API key."),
    form, status);
}
