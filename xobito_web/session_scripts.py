"""The two bits of browser script that sign in and out (run by `rx.call_script`).

They post to the server's own routes (routes.py), which set or clear the HttpOnly session
cookie; the page then loads afresh so its connection carries the new cookie. Each is a
self-contained expression — nothing to load first, so a click right after the page appears
works too. The same sign-in script posts the forms of one-time links (a new password from a
reset or an invitation): a form marked `data-link-token` sends the token that the link keeps
after `#` in the page's address, which the browser itself never sends to a server.
"""

from __future__ import annotations

import json

_SIGN_IN = """(async (form) => {
  if (!form) return {message: "The form is missing. Reload the page.", field: ""};
  const body = new URLSearchParams(new FormData(form));
  if (form.dataset.linkToken !== undefined) {
    body.set("token", new URLSearchParams(window.location.hash.slice(1)).get("token") || "");
  }
  let response, answer;
  try {
    response = await fetch(form.action, {method: "POST", body,
                                         headers: {Accept: "application/json"}, credentials: "same-origin"});
    answer = await response.json();
  } catch (error) {
    return {message: "The sign-in did not reach the server. Check your connection and try again.", field: ""};
  }
  if (response.ok && answer.next) { window.location.replace(answer.next); return null; }
  return (answer && answer.error) || {message: "The sign-in did not work. Try again.", field: ""};
})(document.getElementById(%s))"""

_SIGN_OUT = """(async (path, login) => {
  let next = login;
  try {
    const response = await fetch(path, {method: "POST", headers: {Accept: "application/json"}, credentials: "same-origin"});
    next = (await response.json()).next || login;
  } catch (error) {
    // Signed out or not, a fresh page asks the server who is signed in.
  }
  window.location.replace(next);
})(%s, %s)"""


def sign_in_script(form_id: str) -> str:
    """Resolves to None once the browser is leaving for the next page, else to the refusal."""
    return _SIGN_IN % json.dumps(form_id)


def sign_out_script(logout_path: str, login_path: str) -> str:
    return _SIGN_OUT % (json.dumps(logout_path), json.dumps(login_path))
