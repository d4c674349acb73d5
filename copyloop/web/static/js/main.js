// The app: login gate, header (brand, logout), and the pages behind the hash routes.

import { session, whenUnauthorized } from "./api.js";
import { route, setDefault, start, show } from "./router.js";
import * as login from "./login.js";
import * as chat from "./chat.js";
import * as brief from "./brief.js";
import * as approvals from "./approvals.js";
import * as library from "./library.js";
import * as experiments from "./experiments.js";

route("login", login.render);
route("chat", chat.render);
route("brief", brief.render);
route("approvals", approvals.render);
route("library", library.render);
route("experiments", experiments.render);
setDefault("chat");

function header() {
  const signedIn = Boolean(session.key);
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  document.getElementById("logout").hidden = !signedIn;
  document.getElementById("brand-name").textContent = session.brand || "";
}

/** Every page but login needs a key: without one, go to login (and come back after). */
function gate(name) {
  header();
  if (!session.key && name !== "login") {
    sessionStorage.setItem("copyloop.after", location.hash || "#/chat");
    location.replace("#/login");
    return false;
  }
  if (session.key && name === "login") {
    location.replace("#/chat");
    return false;
  }
  return true;
}

function logout() {
  session.clear();
  sessionStorage.removeItem("copyloop.after");
  header();
  location.hash = "#/login";
}

whenUnauthorized(() => {
  if (session.key) {
    session.clear();
    sessionStorage.setItem("copyloop.notice", "The API key no longer works (revoked?). Log in again.");
    header();
    location.hash = "#/login";
  }
});

document.getElementById("logout").addEventListener("click", logout);
document.getElementById("skip").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});
login.onLogin(() => {
  header();
  const after = sessionStorage.getItem("copyloop.after");
  sessionStorage.removeItem("copyloop.after");
  location.hash = after && after !== "#/login" ? after : "#/chat";
});

start(gate);
export { show };
