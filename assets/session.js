// Sign-in and sign-out go to the server's own routes (routes.py), which set or clear the
// HttpOnly session cookie; the page then loads afresh so its connection carries the new cookie.
window.xobitoSession = {
  async signIn(formId) {
    const form = document.getElementById(formId);
    if (!form) return { message: "The sign-in form is missing. Reload the page.", field: "" };
    let response, answer;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch (error) {
      return { message: "The sign-in did not reach the server. Check your connection and try again.", field: "" };
    }
    if (response.ok && answer.next) {
      window.location.replace(answer.next);
      return null;
    }
    return (answer && answer.error) || { message: "The sign-in did not work. Try again.", field: "" };
  },
  async signOut(path) {
    let next = path.replace(/\/logout$/, "/login");
    try {
      const response = await fetch(path, { method: "POST", headers: { Accept: "application/json" }, credentials: "same-origin" });
      next = (await response.json()).next || next;
    } catch (error) {
      // Signed out or not, a fresh page asks the server who is signed in.
    }
    window.location.replace(next);
  },
};
