// SURESH AI ORIGIN chat widget. Embed on your site:
//   <script src="https://<your workspace domain>/chat/widget.js" data-site-key="cs_pub_..." defer></script>
// It talks only to the workspace that served it, with the public site key; the workspace answers
// only pages whose origin it allows. No cookies, no framework; text is always set as text.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.dataset.siteKey) return;
  const siteKey = script.dataset.siteKey;
  const api = new URL(script.src).origin + "/api/v1/public/chat/conversations/";
  const storeKey = "sai-chat:" + siteKey;
  let state = null; // {id, token}
  let polling = null;

  const host = document.createElement("div");
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial}*{box-sizing:border-box;font:15px/1.45 system-ui,sans-serif}" +
    ".toggle{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;padding:12px 18px;background:#4f46e5;color:#fff;cursor:pointer}" +
    ".panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(360px,calc(100vw - 40px));height:min(520px,calc(100vh - 120px));display:none;flex-direction:column;background:#fff;color:#18181b;border:1px solid #d4d4d8;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.18)}" +
    ".panel.open{display:flex}.log{flex:1;overflow-y:auto;padding:12px}" +
    ".m{margin:6px 0;padding:8px 10px;border-radius:10px;white-space:pre-wrap;max-width:90%}" +
    ".user{background:#eef2ff;margin-left:auto}.assistant,.agent{background:#f4f4f5}.system{font-style:italic;color:#52525b}" +
    ".src,.src *{font-size:12px;color:#52525b}.src a{color:inherit}.who{display:block;font-size:11px;color:#52525b}" +
    "form{display:flex;gap:6px;padding:8px;border-top:1px solid #e4e4e7}textarea{flex:1;resize:none;padding:6px;border:1px solid #d4d4d8;border-radius:6px}" +
    "button{cursor:pointer}.send{border:0;border-radius:6px;background:#4f46e5;color:#fff;padding:0 12px}" +
    ".human{border:0;background:none;color:#4f46e5;text-decoration:underline;font-size:13px;padding:4px 12px;text-align:left}" +
    "</style>" +
    "<button class='toggle' type='button' aria-expanded='false'>Chat with us</button>" +
    "<section class='panel' role='dialog' aria-label='Chat'>" +
    "<div class='log' aria-live='polite'></div>" +
    "<button class='human' type='button'>Talk to a person</button>" +
    "<form><textarea rows='2' maxlength='4000' aria-label='Your message'></textarea><button class='send' type='submit'>Send</button></form>" +
    "</section>";
  document.body.appendChild(host);
  const toggle = root.querySelector(".toggle");
  const panel = root.querySelector(".panel");
  const log = root.querySelector(".log");
  const form = root.querySelector("form");
  const input = root.querySelector("textarea");

  function headers(extra) {
    const h = { "Content-Type": "application/json", "X-Site-Key": siteKey };
    if (state) h["X-Visitor-Token"] = state.token;
    return Object.assign(h, extra || {});
  }

  function bubble(role, text) {
    const div = document.createElement("div");
    div.className = "m " + role;
    if (role === "agent") {  // a person from the team, not the assistant
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = "Team";
      div.appendChild(who);
    }
    div.appendChild(document.createTextNode(text));
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function sources(citations) {
    if (!citations || !citations.length) return;
    const div = document.createElement("div");
    div.className = "src";
    citations.forEach(function (c, i) {
      if (i) div.appendChild(document.createTextNode(" · "));
      const label = "[" + c.n + "] " + c.title;
      if (c.url && /^https?:\/\//.test(c.url)) {
        const a = document.createElement("a");
        a.href = c.url; a.target = "_blank"; a.rel = "noopener noreferrer"; a.textContent = label;
        div.appendChild(a);
      } else {
        div.appendChild(document.createTextNode(label));
      }
    });
    log.appendChild(div);
  }

  function render(conversation) {
    log.textContent = "";
    if (state && state.greeting) bubble("assistant", state.greeting);
    conversation.messages.forEach(function (m) { bubble(m.role, m.content); sources(m.citations); });
    watch(conversation.status);
  }

  function watch(status) {
    // While a person has the conversation, look for their replies every 10 seconds.
    if (status === "handoff" && !polling) polling = setInterval(refresh, 10000);
    if (status !== "handoff" && polling) { clearInterval(polling); polling = null; }
  }

  async function call(path, options) {
    const response = await fetch(api + path, Object.assign({ mode: "cors", credentials: "omit" }, options));
    if (!response.ok) {
      let message = "The chat is not available right now.";
      try { message = (await response.json()).message || message; } catch (e) { /* not JSON */ }
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return response;
  }

  async function ensure() {
    if (state) return;
    try { state = JSON.parse(localStorage.getItem(storeKey)); } catch (e) { state = null; }
    if (state) {
      try { render(await (await call(state.id + "/", { headers: headers() })).json()); return; }
      catch (e) { state = null; }
    }
    const started = await (await call("", { method: "POST", headers: headers(), body: "{}" })).json();
    state = { id: started.id, token: started.visitor_token, greeting: started.greeting };
    localStorage.setItem(storeKey, JSON.stringify(state));
    render({ status: started.status, messages: [] });
  }

  async function refresh() {
    if (!state) return;
    try { render(await (await call(state.id + "/", { headers: headers() })).json()); } catch (e) { /* try later */ }
  }

  async function* events(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message", data = "";
        block.split("\n").forEach(function (row) {
          if (row.indexOf("event: ") === 0) name = row.slice(7);
          else if (row.indexOf("data: ") === 0) data += row.slice(6);
        });
        if (data) yield [name, JSON.parse(data)];
      }
    }
  }

  async function send(text) {
    await ensure();
    bubble("user", text);
    const response = await call(state.id + "/messages/", {
      method: "POST", headers: headers(), body: JSON.stringify({ content: text }),
    });
    let answer = null;
    for await (const [name, data] of events(response)) {
      if (name === "message") {
        answer = answer || bubble("assistant", "");
        answer.textContent += data.delta;
        log.scrollTop = log.scrollHeight;
      } else if (name === "done") {
        if (data.message && data.message.role === "system") bubble("system", data.message.content);
        if (data.message) sources(data.message.citations);
        watch(data.conversation.status);
      } else if (name === "error") {
        bubble("system", "The answer stopped part-way. Please ask again.");
      }
    }
  }

  toggle.addEventListener("click", function () {
    const open = panel.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
    if (open) ensure().catch(function (e) { bubble("system", e.message); });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text).catch(function (e) {
      bubble("system", e.message);
      if (e.status === 404 || e.status === 409) { state = null; localStorage.removeItem(storeKey); } // start afresh
    });
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  root.querySelector(".human").addEventListener("click", async function () {
    try {
      await ensure();
      render(await (await call(state.id + "/handoff/", { method: "POST", headers: headers(), body: "{}" })).json());
    } catch (e) {
      if (e.status === 404 || e.status === 409) {  // gone or closed: start a new conversation and ask again
        state = null; localStorage.removeItem(storeKey);
        try {
          await ensure();
          render(await (await call(state.id + "/handoff/", { method: "POST", headers: headers(), body: "{}" })).json());
          return;
        } catch (again) { e = again; }
      }
      bubble("system", e.message);
    }
  });
})();
