/*
 * policy-qa one-tag embed:
 *   <script src="https://HOST/widget/embed.js" data-api-base="https://HOST" async></script>
 *
 * Adds a floating round button (bottom-right, "问") that toggles an iframe
 * panel showing {api-base}/widget. Styles are set through the CSSOM
 * (element.style), which is permitted even under a strict host-page CSP.
 */
(function () {
  "use strict";

  if (window.__policyQaEmbedLoaded) return;
  window.__policyQaEmbedLoaded = true;

  function findScript() {
    if (document.currentScript) return document.currentScript;
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/widget\/(static\/)?embed\.js(\?|#|$)/.test(scripts[i].src || "")) return scripts[i];
    }
    return null;
  }

  function normalizeBase(value) {
    if (typeof value !== "string" || !value.trim()) return null;
    var u;
    try {
      u = new URL(value.trim(), window.location.href);
    } catch (e) {
      return null;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    if (u.username || u.password) return null;
    return (u.origin + u.pathname).replace(/\/+$/, "");
  }

  var script = findScript();
  var base = null;
  if (script && script.getAttribute("data-api-base")) {
    base = normalizeBase(script.getAttribute("data-api-base"));
  }
  if (base === null && script && script.src) {
    // Derive HOST (plus any path prefix) from the script's own URL:
    // https://HOST[/prefix]/widget/embed.js or .../widget/static/embed.js
    try {
      var su = new URL(script.src, window.location.href);
      var prefix = su.pathname.replace(/\/widget\/(static\/)?embed\.js$/, "");
      if (prefix === su.pathname) prefix = "";
      base = normalizeBase(su.origin + prefix);
    } catch (e) {
      base = null;
    }
  }
  if (base === null) {
    if (window.console) console.warn("policy-qa embed: cannot determine API base; set data-api-base to an http(s) URL");
    return;
  }

  var WIDGET_URL = base + "/widget";
  var WIDGET_ORIGIN = new URL(base).origin;
  var Z = 2147483000;
  var BLUE = "#1d4f91";
  var FONT = '-apple-system, BlinkMacSystemFont, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var mq = window.matchMedia ? window.matchMedia("(max-width: 480px)") : null;

  function css(node, props) {
    for (var k in props) {
      if (Object.prototype.hasOwnProperty.call(props, k)) node.style[k] = props[k];
    }
  }

  var open = false;
  var iframe = null;

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "问";
  button.setAttribute("aria-label", "打开政策问答");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "policy-qa-panel");
  button.title = "政策问答";
  css(button, {
    position: "fixed",
    right: "20px",
    bottom: "20px",
    width: "56px",
    height: "56px",
    padding: "0",
    margin: "0",
    border: "0",
    borderRadius: "50%",
    background: BLUE,
    color: "#fff",
    fontFamily: FONT,
    fontSize: "22px",
    fontWeight: "600",
    lineHeight: "56px",
    textAlign: "center",
    cursor: "pointer",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)",
    zIndex: String(Z + 1)
  });

  var panel = document.createElement("div");
  panel.id = "policy-qa-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "政策问答");
  css(panel, {
    position: "fixed",
    display: "none",
    overflow: "hidden",
    background: "#f4f6f9",
    boxShadow: "0 8px 30px rgba(0,0,0,.25)",
    zIndex: String(Z)
  });

  function layout() {
    var phone = mq && mq.matches;
    if (phone) {
      css(panel, { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" });
      // When open full-screen, park the close button over the widget header (top-right).
      if (open) {
        css(button, { top: "4px", bottom: "auto", right: "8px", width: "40px", height: "40px", lineHeight: "40px", fontSize: "20px", boxShadow: "none" });
      } else {
        css(button, { top: "auto", bottom: "16px", right: "16px", width: "56px", height: "56px", lineHeight: "56px", fontSize: "22px", boxShadow: "0 4px 14px rgba(0,0,0,.25)" });
      }
    } else {
      css(panel, {
        top: "auto",
        left: "auto",
        right: "20px",
        bottom: "88px",
        width: "400px",
        height: "600px",
        maxWidth: "calc(100vw - 40px)",
        maxHeight: "calc(100vh - 108px)",
        borderRadius: "12px"
      });
      css(button, { top: "auto", bottom: "20px", right: "20px", width: "56px", height: "56px", lineHeight: "56px", fontSize: "22px", boxShadow: "0 4px 14px rgba(0,0,0,.25)" });
    }
  }

  function ensureIframe() {
    if (iframe) return;
    iframe = document.createElement("iframe");
    iframe.src = WIDGET_URL;
    iframe.title = "政策问答";
    iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms");
    iframe.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    css(iframe, { width: "100%", height: "100%", border: "0", display: "block" });
    panel.appendChild(iframe);
  }

  function setOpen(next) {
    open = next;
    if (open) ensureIframe();
    panel.style.display = open ? "block" : "none";
    button.textContent = open ? "×" : "问";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.setAttribute("aria-label", open ? "关闭政策问答" : "打开政策问答");
    layout();
    if (open) {
      try { iframe.focus(); } catch (e) { /* ignore */ }
    } else {
      button.focus();
    }
  }

  button.addEventListener("click", function () { setOpen(!open); });

  document.addEventListener("keydown", function (ev) {
    if (open && ev.key === "Escape") setOpen(false);
  });

  // Escape pressed inside the widget iframe (widget.js posts this message).
  window.addEventListener("message", function (ev) {
    if (!open || !iframe || ev.source !== iframe.contentWindow || ev.origin !== WIDGET_ORIGIN) return;
    var d = ev.data;
    if (d && typeof d === "object" && d.type === "policy-qa:close") setOpen(false);
  });

  if (mq) {
    if (mq.addEventListener) mq.addEventListener("change", layout);
    else if (mq.addListener) mq.addListener(layout);
  }

  function mount() {
    layout();
    document.body.appendChild(panel);
    document.body.appendChild(button);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
