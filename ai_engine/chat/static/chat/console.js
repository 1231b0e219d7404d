// Chatbot inbox: try the bot as a customer would. Starts a staff conversation through the API
// (signed-in session + CSRF token) and reads each answer as it streams (Server-Sent Events).
(function () {
  "use strict";
  const log = document.getElementById("chat-log");
  const form = document.getElementById("chat-try");
  const input = document.getElementById("chat-input");
  const status = document.getElementById("chat-status");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const headers = { "Content-Type": "application/json", "X-CSRFToken": csrf };
  let conversationId = null;

  function line(who, text, cls) {
    const p = document.createElement("p");
    if (cls) p.className = cls;
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = who + ": ";
    const body = document.createElement("span");
    body.textContent = text;
    p.append(name, body);
    log.append(p);
    return body;
  }

  async function start() {
    const response = await fetch("/api/v1/ai/chat/conversations/", {
      method: "POST", credentials: "same-origin", headers: headers, body: "{}",
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.message || "Could not start a conversation.");
    conversationId = data.id;
    log.textContent = "";
    status.textContent = "Conversation " + data.id + " started.";
  }

  // Yields [event name, parsed data] for each complete SSE block in the response body.
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
        for (const row of block.split("\n")) {
          if (row.startsWith("event: ")) name = row.slice(7);
          else if (row.startsWith("data: ")) data += row.slice(6);
        }
        if (data) yield [name, JSON.parse(data)];
      }
    }
  }

  async function send(text) {
    if (conversationId === null) await start();
    line("You", text);
    const response = await fetch("/api/v1/ai/chat/conversations/" + conversationId + "/messages/", {
      method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify({ content: text }),
    });
    if (!response.ok) {
      const error = await response.json();
      throw new Error(error.message || "The message was refused.");
    }
    let answer = null;
    for await (const [name, data] of events(response)) {
      if (name === "message") {
        answer = answer || line("Bot", "");
        answer.textContent += data.delta;
      } else if (name === "done") {
        const message = data.message;
        if (message && message.role === "system") line("Notice", message.content, "notice");
        if (message && message.citations && message.citations.length) {
          line("Sources", message.citations.map(function (c) { return "[" + c.n + "] " + c.title; }).join("; "));
        }
        status.textContent = data.conversation.status === "open" ? "" :
          "This conversation is now with a person (" + (data.conversation.handoff_reason || "handoff") + ").";
      } else if (name === "error") {
        status.textContent = data.message;
      }
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try { await send(text); } catch (error) { status.textContent = error.message; }
    button.disabled = false;
  });
  document.getElementById("chat-new").addEventListener("click", function () {
    start().catch(function (error) { status.textContent = error.message; });
  });
})();
