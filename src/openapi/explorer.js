// cloudtwin's bar above Swagger UI: one click (or ?demo-token in the address) asks the
// twin for a token of the demo user and hands it to "Authorize", so "Try it out" works
// at once; the password flow would need the password in this page.
(function () {
  const bar = document.createElement("div");
  bar.id = "cloudtwin-bar";
  bar.style.cssText =
    "padding:8px 20px;background:#263238;color:#eceff1;font-family:sans-serif;font-size:14px";
  const button = document.createElement("button");
  button.id = "demo-token";
  button.textContent = "Use a demo token";
  const said = document.createElement("span");
  said.id = "demo-token-status";
  said.style.marginLeft = "1em";
  const back = document.createElement("a");
  back.href = "/_cloudtwin/console/";
  back.textContent = "console";
  back.style.cssText = "color:#80cbc4;margin-left:2em";
  bar.append(button, said, back);
  document.body.prepend(bar);

  async function authorize() {
    said.textContent = "asking the twin…";
    try {
      const res = await fetch("/_cloudtwin/demo-token", { method: "POST" });
      const body = await res.json();
      if (!res.ok) {
        said.textContent =
          "refused: " + (body.message || res.status) +
          (res.status === 401 ? " (log in at /_cloudtwin/console/login)" : "");
        return;
      }
      window.ui.preauthorizeApiKey("iam_token", body.token);
      said.textContent =
        "authorized as " + body.domain + "/" + body.user + ", project " + body.project +
        " (id " + body.project_id + ")";
    } catch (e) {
      said.textContent = "failed: " + e;
    }
  }
  button.addEventListener("click", authorize);
  if (new URLSearchParams(location.search).has("demo-token")) {
    // Swagger UI builds window.ui on load; wait for it.
    window.addEventListener("load", () => setTimeout(authorize, 0));
  }
})();
