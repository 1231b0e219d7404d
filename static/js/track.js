// SURESH AI ORIGIN tracking snippet. On your site:
//   <script src="https://<your workspace domain>/static/js/track.js" data-key="tk_pub_..." defer></script>
// It sends a page view on load; call sai.track("add_to_cart", {sku: "MP-500"}) and
// sai.identify("<your customer id>") yourself. No cookies: an anonymous id lives in localStorage,
// a session id (30 minutes idle) in sessionStorage. Sent with navigator.sendBeacon as text/plain
// JSON, so no preflight and nothing lost when the page closes.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.key) return;
  var key = script.dataset.key;
  var endpoint = new URL(script.src).origin + "/api/v1/public/track/";
  var queue = [];
  var userId = null;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }
  function storage(name) {  // reading window.localStorage itself throws where storage is blocked
    try { return window[name]; } catch (e) { return null; }
  }
  function stored(store, name, make) {
    if (!store) return make();
    try {
      var value = store.getItem(name);
      if (!value) { value = make(); store.setItem(name, value); }
      return value;
    } catch (e) { return make(); }  // storage blocked: one id per page view
  }
  function session() {
    var now = Date.now();
    var sessionStorage = storage("sessionStorage");
    if (!sessionStorage) return "";
    try {
      var last = Number(sessionStorage.getItem("sai_seen") || 0);
      if (!last || now - last > 30 * 60 * 1000) sessionStorage.setItem("sai_sid", uuid());
      sessionStorage.setItem("sai_seen", String(now));
      return sessionStorage.getItem("sai_sid");
    } catch (e) { return ""; }
  }
  function push(type, fields) {
    queue.push(Object.assign({
      type: type, id: uuid(), anonymous_id: stored(storage("localStorage"), "sai_aid", uuid), session_id: session(),
      user_id: userId, url: location.href, referrer: document.referrer, ts: new Date().toISOString(),
    }, fields));
    if (queue.length >= 20) flush(); else setTimeout(flush, 1000);
  }
  function flush() {
    if (!queue.length) return;
    var body = JSON.stringify({ k: key, events: queue.splice(0, 50) });
    var blob = new Blob([body], { type: "text/plain" });
    if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, blob))) {
      fetch(endpoint, { method: "POST", body: body, mode: "cors", credentials: "omit", keepalive: true,
        headers: { "Content-Type": "text/plain" } }).catch(function () { /* analytics never breaks the page */ });
    }
  }
  window.sai = {
    page: function (properties) { push("page", { properties: properties || {} }); },
    track: function (name, properties) { push("track", { event: String(name), properties: properties || {} }); },
    identify: function (id, traits) { userId = String(id); push("identify", { properties: traits || {} }); },
  };
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flush(); });
  window.sai.page();
})();
