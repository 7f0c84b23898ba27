/*
 * policy-qa chat widget client.
 *
 * - Sends {question, history, context} to POST {API_BASE}/api/ask/stream (no cookies): the thread lives in
 *   this page only, for its life, so follow-ups ("牵头单位呢?") are resolved; the server stores nothing.
 * - Reads the text/event-stream response with fetch + ReadableStream reader.
 * - Renders all server/document text with textContent / text nodes only
 *   (never innerHTML), so it works under a strict CSP (default-src 'self').
 */
(function () {
  "use strict";

  var SCRIPT = document.currentScript;
  var MAX_LEN = 1000;
  var IDLE_TIMEOUT_MS = 90000; // abort if the stream is silent this long

  var TEXT = {
    rateLimited: "提问太频繁，请稍后再试。",
    unavailable: "服务暂时不可用，请稍后再试。",
    invalid: "问题格式不正确，请修改后重试。",
    incomplete: "回答未能完整返回，请稍后再试。",
    tooLong: "问题过长：最多 " + MAX_LEN + " 字，请删减后再发送。",
    empty: "请先输入问题。",
    abstained: "未找到答案",
    lowConfidence: "依据不足",
    retry: "重试",
    opened: "已展开来源",
    sources: "来源",
    related: "相关条文（非答案）",
    excerpt: "原文摘录",
    typing: "正在查找相关政策条文…",
    requestId: "请求编号：",
    send: "发送",
    sending: "发送中"
  };

  /* ---------------- API base ---------------- */

  function normalizeBase(value) {
    if (typeof value !== "string") return null;
    value = value.trim();
    if (!value) return null;
    var u;
    try {
      u = new URL(value);
    } catch (e) {
      return null;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    if (u.username || u.password) return null;
    return (u.origin + u.pathname).replace(/\/+$/, "");
  }

  function resolveApiBase() {
    var candidates = [];
    if (SCRIPT && SCRIPT.hasAttribute("data-api-base")) {
      candidates.push(SCRIPT.getAttribute("data-api-base"));
    }
    try {
      var q = new URLSearchParams(window.location.search).get("api");
      if (q) candidates.push(q);
    } catch (e) { /* ignore */ }
    for (var i = 0; i < candidates.length; i++) {
      if (!candidates[i]) continue;
      var b = normalizeBase(candidates[i]);
      if (b !== null) return b;
      if (window.console) console.warn("policy-qa widget: ignoring invalid API base (must be http(s) URL)");
    }
    return "";
  }

  var API_BASE = resolveApiBase();

  /* ---------------- SSE parser ---------------- */

  // Incremental parser for text/event-stream. Handles events split across
  // chunks, CRLF / CR / LF line endings, comments and multi-line data.
  function createSSEParser(onEvent) {
    var buf = "";
    var eventType = "";
    var dataLines = [];

    function dispatch() {
      if (dataLines.length) {
        onEvent(eventType || "message", dataLines.join("\n"));
      }
      eventType = "";
      dataLines = [];
    }

    function processLine(line) {
      if (line === "") {
        dispatch();
        return;
      }
      if (line.charAt(0) === ":") return; // comment / keep-alive ping
      var idx = line.indexOf(":");
      var field = idx === -1 ? line : line.slice(0, idx);
      var value = idx === -1 ? "" : line.slice(idx + 1);
      if (value.charAt(0) === " ") value = value.slice(1);
      if (field === "event") eventType = value;
      else if (field === "data") dataLines.push(value);
      // "id" and "retry" are irrelevant here.
    }

    return {
      push: function (text) {
        buf += text;
        // A trailing "\r" may be the first half of "\r\n" split across chunks.
        var held = "";
        if (buf.charAt(buf.length - 1) === "\r") {
          held = "\r";
          buf = buf.slice(0, -1);
        }
        buf = buf.replace(/\r\n?/g, "\n");
        var nl;
        while ((nl = buf.indexOf("\n")) !== -1) {
          var line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          processLine(line);
        }
        buf += held;
      },
      end: function () {
        if (buf) {
          processLine(buf.replace(/\r$/, ""));
          buf = "";
        }
        dispatch(); // be lenient if the final blank line is missing
      }
    };
  }

  /* ---------------- DOM helpers ---------------- */

  var listEl = document.getElementById("pq-messages");
  var formEl = document.getElementById("pq-form");
  var inputEl = document.getElementById("pq-input");
  var sendEl = document.getElementById("pq-send");
  var countEl = document.getElementById("pq-count");
  var inputMsgEl = document.getElementById("pq-input-msg");
  var announceEl = document.getElementById("pq-announce");
  var msgCounter = 0;
  var busy = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function isNearBottom() {
    return listEl.scrollHeight - listEl.scrollTop - listEl.clientHeight < 80;
  }

  function scrollToBottom(force) {
    if (force || isNearBottom()) listEl.scrollTop = listEl.scrollHeight;
  }

  function addMessage(role) {
    msgCounter += 1;
    var wrap = el("div", "pq-msg pq-msg-" + role);
    wrap.id = "pq-msg-" + msgCounter;
    var bubble = el("div", "pq-bubble");
    wrap.appendChild(bubble);
    var stick = isNearBottom();
    listEl.appendChild(wrap);
    scrollToBottom(stick);
    return { id: msgCounter, wrap: wrap, bubble: bubble };
  }

  function showTyping(bubble) {
    clear(bubble);
    var t = el("span", "pq-typing");
    t.appendChild(el("span", "pq-dot"));
    t.appendChild(el("span", "pq-dot"));
    t.appendChild(el("span", "pq-dot"));
    t.setAttribute("aria-hidden", "true");
    bubble.appendChild(t);
    bubble.appendChild(el("span", "pq-sr-only", TEXT.typing));
    bubble.classList.add("pq-pending");
  }

  function safeRequestId(v) {
    if (typeof v !== "string") return "";
    v = v.trim();
    return /^[A-Za-z0-9._:\-]{1,128}$/.test(v) ? v : "";
  }

  // A failure stays in the message that failed: what happened, the request id to quote, and a retry that
  // asks the same question again in the same place.
  function renderError(msg, text, requestId, question) {
    var bubble = msg.bubble;
    clear(bubble);
    bubble.classList.remove("pq-pending", "pq-abstained", "pq-streaming");
    bubble.classList.add("pq-error");
    bubble.appendChild(el("p", "pq-error-text", text));
    if (requestId) bubble.appendChild(el("p", "pq-reqid", TEXT.requestId + requestId));
    if (question) {
      var again = el("button", "pq-retry", TEXT.retry);
      again.type = "button";
      again.addEventListener("click", function () {
        if (!busy) ask(question, msg);
      });
      bubble.appendChild(again);
    }
    scrollToBottom(false);
  }

  /* ---------------- answer rendering ---------------- */

  function citationMap(citations) {
    var map = {};
    for (var i = 0; i < citations.length; i++) {
      var c = citations[i];
      var n = typeof c.n === "number" && c.n > 0 && Math.floor(c.n) === c.n ? c.n : i + 1;
      if (!map[n]) map[n] = c;
    }
    return map;
  }

  function str(v) {
    return typeof v === "string" ? v : v == null ? "" : String(v);
  }

  function sourceId(msgId, n) {
    return "pq-src-" + msgId + "-" + n;
  }

  // Answer text -> text nodes + <button class="cite"> for known [n] markers. A marker and the punctuation
  // right after it stay on one line.
  var TRAILING_MARK = /^[。，、；：！？）」』”,.;:!?)]+/;
  function renderAnswerText(container, answer, map, msgId) {
    var parts = answer.split(/\[(\d+)\]/);
    for (var i = 0; i < parts.length; i++) {
      if (i % 2 === 0) {
        if (parts[i]) container.appendChild(document.createTextNode(parts[i]));
        continue;
      }
      var n = parseInt(parts[i], 10);
      if (map[n]) {
        var trail = (parts[i + 1] || "").match(TRAILING_MARK);
        var keep = el("span", "pq-nowrap");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "cite";
        b.setAttribute("data-n", String(n));
        b.setAttribute("aria-controls", sourceId(msgId, n));
        b.setAttribute("aria-label", "查看来源 " + n);
        b.textContent = "[" + n + "]";
        keep.appendChild(b);
        if (trail) {
          keep.appendChild(document.createTextNode(trail[0]));
          parts[i + 1] = parts[i + 1].slice(trail[0].length);
        }
        container.appendChild(keep);
      } else {
        container.appendChild(document.createTextNode("[" + parts[i] + "]"));
      }
    }
  }

  function renderSources(msgId, citations, map, abstained) {
    var box = el("div", "pq-sources");
    var labelId = "pq-src-label-" + msgId;
    var label = el("div", "pq-sources-label", abstained ? TEXT.related : TEXT.sources);
    label.id = labelId;
    box.appendChild(label);
    var ol = el("ol", "pq-source-list");
    ol.setAttribute("aria-labelledby", labelId);
    var ns = Object.keys(map).map(Number).sort(function (a, b) { return a - b; });
    for (var i = 0; i < ns.length; i++) {
      var n = ns[i];
      var c = map[n];
      var li = el("li", "pq-source");
      li.id = sourceId(msgId, n);
      li.setAttribute("data-n", String(n));

      var title = str(c.title).trim().replace(/^《+|》+$/g, "");
      var measure = str(c.measure).trim();
      var head = el("div", "pq-source-head");
      head.appendChild(el("span", "pq-source-n", "[" + n + "]"));
      // one short label per passage (《short title》measure + heading); the full title is in the excerpt
      head.appendChild(el("span", "pq-source-title", str(c.label) || "《" + title + "》" + measure));
      li.appendChild(head);

      var text = str(c.text);
      if (text) {
        var det = el("details", "pq-excerpt");
        det.appendChild(el("summary", "pq-excerpt-toggle", TEXT.excerpt));
        det.appendChild(passageNode(text, c.highlight));
        var meta = "《" + title + "》" + measure;
        var units = Array.isArray(c.lead_units) ? c.lead_units.filter(Boolean).join("、") : "";
        if (units) meta += "　牵头单位：" + units;
        det.appendChild(el("p", "pq-ev-meta", meta));
        li.appendChild(det);
      }
      ol.appendChild(li);
    }
    box.appendChild(ol);
    return box;
  }

  // The passage with the sentence the answer quotes highlighted (first, by scrolling to it when opened).
  function passageNode(text, span) {
    var box = el("div", "pq-excerpt-text");
    var a = Array.isArray(span) ? span[0] : 0;
    var b = Array.isArray(span) ? span[1] : 0;
    if (typeof a !== "number" || typeof b !== "number" || !(a >= 0 && b > a && b <= text.length)) {
      box.textContent = text;
      return box;
    }
    if (a) box.appendChild(document.createTextNode(text.slice(0, a)));
    box.appendChild(el("mark", null, text.slice(a, b)));
    if (b < text.length) box.appendChild(document.createTextNode(text.slice(b)));
    return box;
  }

  function renderFinal(msg, data) {
    var bubble = msg.bubble;
    var answer = str(data.answer);
    var citations = Array.isArray(data.citations)
      ? data.citations.filter(function (c) { return c && typeof c === "object"; })
      : [];
    var abstained = data.abstained === true;
    var map = citationMap(citations);

    var low = !abstained && data.low_confidence === true;
    var doubtText = str(data.doubt);

    clear(bubble);
    bubble.classList.remove("pq-pending", "pq-error", "pq-streaming");
    bubble.classList.toggle("pq-abstained", abstained);
    bubble.classList.toggle("pq-low", low);

    if (data.resolved) bubble.appendChild(el("p", "pq-resolved", "理解为：" + data.resolved));
    // Declined: the notice and why; the closest passages follow once, as related, not as an answer (the
    // answer text would list them a second time).
    if (abstained) {
      bubble.appendChild(el("p", "pq-notice-title", TEXT.abstained));
      if (doubtText) bubble.appendChild(el("p", "pq-doubt", doubtText));
    } else if (low) {
      bubble.appendChild(el("p", "pq-doubt", "⚠ " + TEXT.lowConfidence + "：" + doubtText));
    }
    if (answer && !abstained) {
      var ans = el("div", "pq-answer");
      renderAnswerText(ans, answer, map, msg.id);
      bubble.appendChild(ans);
    }
    if (citations.length) bubble.appendChild(renderSources(msg.id, citations, map, abstained));
    scrollToBottom(false);
  }

  /* ---------------- citation clicks ---------------- */

  listEl.addEventListener("click", function (ev) {
    var target = ev.target;
    var btn = target && target.closest ? target.closest("button.cite") : null;
    if (!btn || !listEl.contains(btn)) return;
    var item = document.getElementById(btn.getAttribute("aria-controls"));
    if (!item) return;
    var msgWrap = btn.closest(".pq-msg");
    if (msgWrap) {
      var prev = msgWrap.querySelectorAll(".pq-source.pq-highlight");
      for (var i = 0; i < prev.length; i++) prev[i].classList.remove("pq-highlight");
    }
    item.classList.add("pq-highlight");
    var det = item.querySelector("details");
    if (det) det.open = true;
    var mark = item.querySelector("mark");
    var box = item.querySelector(".pq-excerpt-text");
    if (mark && box) box.scrollTop = Math.max(0, mark.offsetTop - box.offsetTop - 8);
    try {
      item.scrollIntoView({ block: "nearest", behavior: "smooth" });
    } catch (e) {
      item.scrollIntoView(false);
    }
    var head = item.querySelector(".pq-source-head");
    announceEl.textContent = TEXT.opened + " [" + btn.getAttribute("data-n") + "] " + (head ? head.textContent : "");
    var focusTarget = item.querySelector("summary");
    if (focusTarget) {
      try { focusTarget.focus({ preventScroll: true }); } catch (e) { focusTarget.focus(); }
    }
  });

  /* ---------------- request ---------------- */

  function setBusy(on) {
    busy = on;
    sendEl.disabled = on;
    sendEl.textContent = on ? TEXT.sending : TEXT.send;
    listEl.setAttribute("aria-busy", on ? "true" : "false");
  }

  function readJsonSafe(resp) {
    return resp.text().then(function (t) {
      try {
        var j = JSON.parse(t);
        return j && typeof j === "object" ? j : {};
      } catch (e) {
        return {};
      }
    }, function () { return {}; });
  }

  var thread = { history: [], context: null }; // the conversation, kept for the page's life

  function ask(question, retrying) {
    var bot = retrying;
    if (!bot) {
      var userMsg = addMessage("user");
      userMsg.bubble.textContent = question;
      bot = addMessage("bot");
    }
    bot.bubble.classList.remove("pq-error");
    showTyping(bot.bubble);
    scrollToBottom(true);
    setBusy(true);

    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var idleTimer = null;
    function armIdle() {
      if (!controller) return;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(function () { controller.abort(); }, IDLE_TIMEOUT_MS);
    }

    var headerRequestId = "";
    var state = { citations: [], abstained: false, confidence: null, streamed: "", done: false, errored: false };
    var streamNode = null;

    function onEvent(type, raw) {
      if (state.done || state.errored) return;
      var data;
      try {
        data = JSON.parse(raw);
      } catch (e) {
        return; // ignore malformed event payloads
      }
      if (!data || typeof data !== "object") return;

      if (type === "citations") {
        if (Array.isArray(data.citations)) state.citations = data.citations;
        state.abstained = data.abstained === true;
        if (typeof data.confidence === "number") state.confidence = data.confidence;
      } else if (type === "delta") {
        if (typeof data.text !== "string" || !data.text) return;
        if (!streamNode) {
          clear(bot.bubble);
          bot.bubble.classList.remove("pq-pending");
          bot.bubble.classList.add("pq-streaming");
          var ans = el("div", "pq-answer");
          streamNode = document.createTextNode("");
          ans.appendChild(streamNode);
          bot.bubble.appendChild(ans);
        }
        state.streamed += data.text;
        streamNode.nodeValue = state.streamed;
        scrollToBottom(false);
      } else if (type === "done") {
        state.done = true;
        renderFinal(bot, {
          answer: typeof data.answer === "string" ? data.answer : state.streamed,
          citations: Array.isArray(data.citations) ? data.citations : state.citations,
          abstained: typeof data.abstained === "boolean" ? data.abstained : state.abstained,
          low_confidence: data.low_confidence === true,
          doubt: data.doubt,
          resolved: str(data.resolved_question)
        });
        thread.history.push({ role: "user", content: question },
                            { role: "assistant", content: str(data.answer).slice(0, 4000) });
        thread.history = thread.history.slice(-20);
        thread.context = data.context && typeof data.context === "object" ? data.context : null;
      } else if (type === "error") {
        state.errored = true;
        var code = str(data.error);
        // in Chinese whatever the server's message says (its messages are for logs and scripts)
        var text = code === "rate_limited" ? TEXT.rateLimited : TEXT.unavailable;
        renderError(bot, text, safeRequestId(data.request_id) || headerRequestId, question);
      }
    }

    armIdle();
    fetch(API_BASE + "/api/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ question: question, history: thread.history, context: thread.context }),
      credentials: "omit",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (resp) {
      headerRequestId = safeRequestId(resp.headers.get("X-Request-ID"));
      if (!resp.ok) {
        return readJsonSafe(resp).then(function (body) {
          var rid = headerRequestId || safeRequestId(body.request_id);
          if (resp.status === 429) {
            renderError(bot, TEXT.rateLimited, rid, question);
          } else if (resp.status === 422) {
            renderError(bot, TEXT.invalid, rid, "");
          } else {
            renderError(bot, TEXT.unavailable, rid, question);
          }
        });
      }
      var ctype = (resp.headers.get("Content-Type") || "").toLowerCase();
      if (ctype.indexOf("text/event-stream") === -1 || !resp.body || !resp.body.getReader) {
        renderError(bot, TEXT.unavailable, headerRequestId, question);
        return;
      }
      var reader = resp.body.getReader();
      var decoder = new TextDecoder("utf-8");
      var parser = createSSEParser(onEvent);
      function pump() {
        return reader.read().then(function (res) {
          armIdle();
          if (res.done) {
            parser.push(decoder.decode());
            parser.end();
            return;
          }
          parser.push(decoder.decode(res.value, { stream: true }));
          if (state.done || state.errored) {
            try { reader.cancel(); } catch (e) { /* ignore */ }
            return;
          }
          return pump();
        });
      }
      return pump().then(function () {
        if (!state.done && !state.errored) renderError(bot, TEXT.incomplete, headerRequestId, question);
      });
    }).catch(function () {
      if (!state.done && !state.errored) renderError(bot, TEXT.unavailable, headerRequestId, question);
    }).then(function () {
      clearTimeout(idleTimer);
      setBusy(false);
      var active = document.activeElement;
      if (!active || active === document.body || active === sendEl) inputEl.focus();
    });
  }

  /* ---------------- input handling ---------------- */

  // The length counter; past the limit the question is kept (never cut) and refused with a message.
  function updateCount() {
    var n = inputEl.value.trim().length;
    var over = n > MAX_LEN;
    countEl.textContent = n + "/" + MAX_LEN + " 字";
    countEl.parentNode.classList.toggle("pq-over", over);
    inputEl.setAttribute("aria-invalid", over ? "true" : "false");
    if (over) inputMsgEl.textContent = TEXT.tooLong;
    else if (inputMsgEl.textContent === TEXT.tooLong || n) inputMsgEl.textContent = "";
  }

  function submit() {
    if (busy) return;
    var q = inputEl.value.trim();
    if (!q) {
      inputMsgEl.textContent = TEXT.empty;
      inputEl.focus();
      return;
    }
    if (q.length > MAX_LEN) {
      inputMsgEl.textContent = TEXT.tooLong;
      inputEl.focus();
      return;
    }
    inputEl.value = "";
    updateCount();
    inputEl.focus();
    ask(q);
  }

  inputEl.addEventListener("input", updateCount);

  formEl.addEventListener("submit", function (ev) {
    ev.preventDefault();
    submit();
  });

  inputEl.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || ev.shiftKey) return;
    // Do not send while an IME (e.g. Pinyin) candidate is being confirmed.
    if (ev.isComposing || ev.keyCode === 229) return;
    ev.preventDefault();
    submit();
  });

  // Let the embedding page (embed.js) close the panel on Escape.
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && window.parent && window.parent !== window) {
      try { window.parent.postMessage({ type: "policy-qa:close" }, "*"); } catch (e) { /* ignore */ }
    }
  });

  listEl.setAttribute("aria-busy", "false");
})();
