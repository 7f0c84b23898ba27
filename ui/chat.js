() => {
  // The officials' chat page (ui/chat.py hands this function to Gradio as the page's script).
  // Links inside answers and documents act in place, in the browser, with no round trip:
  // - a citation [n] opens its own source under its own answer, scrolls it into view, moves focus to it and
  //   says so in the live region;
  // - 重试 puts the failed question back in the box and sends it;
  // - a measure in a document's tree scrolls the text to it.
  // It also keeps <html lang="zh-CN"> (Gradio sets it from the browser's language) and counts the question.
  const MAX = __MAX__;
  const keepLang = () => { if (document.documentElement.lang !== "zh-CN") document.documentElement.lang = "zh-CN"; };
  keepLang();
  new MutationObserver(keepLang).observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
  const say = (text) => { const r = document.getElementById("pq-announce"); if (r) { r.textContent = ""; setTimeout(() => { r.textContent = text; }, 50); } };
  document.addEventListener("click", (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest("a[href^='#pq-s-'], a[href='#pq-retry'], a[href^='#pq-m-']") : null;
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    const href = a.getAttribute("href").slice(1);
    if (href.startsWith("pq-s-")) {
      const item = document.getElementById(href);
      const box = item && item.querySelector("details");
      if (!box) return;
      box.open = true;
      const summary = box.querySelector("summary");
      item.scrollIntoView({block: "nearest"});
      summary.focus({preventScroll: true});
      say("已展开来源 " + summary.textContent);
    } else if (href === "pq-retry") {
      const area = document.querySelector("#pq-question textarea");
      const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set;
      setter.call(area, a.title);
      area.dispatchEvent(new Event("input", {bubbles: true}));
      setTimeout(() => document.querySelector("#pq-send").click(), 100);
    } else {
      const target = document.getElementById(href);
      if (!target) return;
      target.scrollIntoView({block: "start"});
      target.focus({preventScroll: true});
      say("已跳到 " + a.textContent);
    }
  }, true);
  document.addEventListener("input", (ev) => {
    if (!ev.target.closest || !ev.target.closest("#pq-question")) return;
    const n = ev.target.value.trim().length;
    const count = document.getElementById("pq-count");
    if (!count) return;
    count.textContent = n > MAX ? `${n}/${MAX} 字：超出上限，请删减后再发送` : `${n}/${MAX} 字`;
    count.classList.toggle("pq-over", n > MAX);
    ev.target.setAttribute("aria-invalid", n > MAX ? "true" : "false");
  }, true);
}
