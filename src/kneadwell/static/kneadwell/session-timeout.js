/*
 * Warn before an idle sign-out, and offer to stay signed in.
 *
 * The server decides (accounts/middleware.py, SessionTimeoutMiddleware); this
 * only tells the person in time. <body data-session-left> says how many seconds
 * the session had when the page was made. Shortly before that runs out, the
 * script asks the server how long is really left (activity in another tab or an
 * htmx request may have extended it; asking is not activity). If it is about to
 * end, a dialog counts down with a "Stay signed in" button (a POST, which is
 * activity). When time is up, the page reloads and the server shows the sign-in
 * page. No inline script or style: the Content-Security-Policy allows neither.
 */
(function () {
  "use strict";

  var body = document.body;
  var statusUrl = body.getAttribute("data-session-status");
  var left = parseInt(body.getAttribute("data-session-left"), 10);
  var warn = parseInt(body.getAttribute("data-session-warn") || "120", 10);
  if (!statusUrl || isNaN(left)) {
    return;
  }

  var deadline = Date.now() + left * 1000;
  var timer = null;
  var ticker = null;
  var dialog = null;
  var remaining = null;

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function secondsLeft() {
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }

  function schedule(delayMs) {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(0, delayMs));
  }

  function scheduleWarning() {
    schedule(deadline - Date.now() - warn * 1000);
  }

  function signedOut() {
    window.location.reload();
  }

  function ask(method) {
    var headers = { Accept: "application/json" };
    if (method === "POST") {
      headers["X-CSRFToken"] = csrfToken();
    }
    return window
      .fetch(statusUrl, { method: method, credentials: "same-origin", headers: headers })
      .then(function (response) {
        return response.ok ? response.json() : { signed_in: false };
      });
  }

  function update(data) {
    if (!data.signed_in) {
      signedOut();
      return;
    }
    deadline = Date.now() + data.seconds_left * 1000;
    if (data.seconds_left > warn) {
      hide();
      scheduleWarning();
    } else if (data.seconds_left <= 0) {
      signedOut();
    } else {
      show();
    }
  }

  function check() {
    ask("GET").then(update, function () {
      schedule(30000); // offline for a moment: try again
    });
  }

  function stay() {
    ask("POST").then(update, function () {
      schedule(5000);
    });
  }

  function format(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "session-timeout";
    dialog.setAttribute("aria-labelledby", "session-timeout-title");
    var article = document.createElement("article");
    var heading = document.createElement("h2");
    heading.id = "session-timeout-title";
    heading.textContent = "You will be signed out soon";
    var text = document.createElement("p");
    text.appendChild(document.createTextNode("For patients' privacy, an idle session ends in "));
    remaining = document.createElement("strong");
    remaining.setAttribute("role", "timer");
    text.appendChild(remaining);
    text.appendChild(document.createTextNode("."));
    var footer = document.createElement("footer");
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Stay signed in";
    button.addEventListener("click", stay);
    footer.appendChild(button);
    article.appendChild(heading);
    article.appendChild(text);
    article.appendChild(footer);
    dialog.appendChild(article);
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault(); // Escape means "I am here"
      stay();
    });
    body.appendChild(dialog);
  }

  function tick() {
    var seconds = secondsLeft();
    remaining.textContent = format(seconds);
    if (seconds <= 0) {
      window.clearInterval(ticker);
      ticker = null;
      check(); // the server has the last word (clocks differ by a second or two)
    }
  }

  function show() {
    if (!dialog) {
      build();
    }
    if (!dialog.open) {
      dialog.showModal();
    }
    tick();
    if (!ticker) {
      ticker = window.setInterval(tick, 1000);
    }
  }

  function hide() {
    if (ticker) {
      window.clearInterval(ticker);
      ticker = null;
    }
    if (dialog && dialog.open) {
      dialog.close();
    }
  }

  scheduleWarning();
})();
