// Sign-in for the officials' chat: POST /auth/login, then go where the visitor was headed (same site only).
(function () {
  "use strict";
  var form = document.getElementById("pq-login-form");
  var error = document.getElementById("pq-login-error");

  function target() {
    var next = new URLSearchParams(window.location.search).get("next") || "/";
    // only a path on this site: "//host" or "/\host" would leave it
    return /^\/(?![\/\\])/.test(next) ? next : "/";
  }

  function show(message) {
    error.textContent = message;
    error.hidden = false;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    error.hidden = true;
    fetch("/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({
        username: document.getElementById("pq-username").value,
        password: document.getElementById("pq-password").value,
      }),
    }).then(function (r) {
      if (r.ok) {
        window.location.assign(target());
      } else if (r.status === 429) {
        show("尝试次数过多，请 " + (r.headers.get("Retry-After") || "60") + " 秒后再试。");
      } else if (r.status === 401) {
        show("用户名或密码错误。");
      } else {
        show("登录失败，请稍后再试。");
      }
    }, function () {
      show("无法连接服务，请稍后再试。");
    });
  });
})();
