// Epic Events CRM: the little the pages need beyond htmx. Every page works
// without this file; it only asks before a destructive action, puts the
// keyboard where a full page load would, and says when the server cannot be
// reached. No inline script anywhere: this file is loaded by the layout.
(function () {
  "use strict";

  // A form, or the button that submits it, with data-confirm="question"
  // asks before it is sent (delete, deactivate, refund...). Listening in
  // the capture phase on the document runs before htmx's own listener, so
  // a cancelled form is neither sent by htmx nor by the browser. Once the
  // question is answered yes, the form carries confirm=1, which tells the
  // server not to ask again: without JavaScript the server answers a page
  // that asks instead, so the person is asked once either way.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) ||
      form.getAttribute("data-confirm");
    var answer = form.querySelector("input[data-confirmed]");
    if (!question) {
      if (answer) {
        answer.remove(); // a yes to another button of this form
      }
      return;
    }
    if (!window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (!answer) {
      answer = document.createElement("input");
      answer.type = "hidden";
      answer.name = "confirm";
      answer.value = "1";
      answer.setAttribute("data-confirmed", "");
      form.appendChild(answer);
    }
  }, true);

  // After htmx swaps in a new page, move the focus as a page load would:
  // to the field the server marked (autofocus, the first invalid one), or
  // to the main content, so that a screen reader reads the new page.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail || !event.detail.boosted) {
      return;
    }
    var target = document.querySelector("main [autofocus]") ||
      document.getElementById("main");
    if (target) {
      target.focus();
    }
  });

  // A request that never reached the server (network down, server
  // stopped) would otherwise do nothing visible.
  document.addEventListener("htmx:sendError", function () {
    var main = document.getElementById("main");
    if (!main) {
      return;
    }
    var message = document.getElementById("offline");
    if (!message) {
      message = document.createElement("p");
      message.id = "offline";
      message.className = "form-message";
      message.setAttribute("role", "alert");
      main.insertBefore(message, main.firstChild);
    }
    message.textContent =
      "The CRM cannot be reached. Check your connection, then try again.";
  });
})();
