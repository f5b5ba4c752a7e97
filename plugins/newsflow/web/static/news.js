// Links to Airflow pages (DAG runs) open in the Airflow UI itself. Inside Airflow's iframe the
// sandbox forbids navigating the top window, but the frame shares Airflow's origin: tell the
// Airflow UI's router to go there (history + popstate), as a click in its own menu would.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-airflow-link]");
  if (!link || window.top === window || event.button !== 0 || event.ctrlKey || event.metaKey) {
    return;
  }
  try {
    var top = window.top;
    var target = new URL(link.href, window.location.href);
    if (target.origin !== top.location.origin) {
      return;
    }
    event.preventDefault();
    top.history.pushState({}, "", target.pathname + target.search + target.hash);
    top.dispatchEvent(new top.PopStateEvent("popstate", { state: {} }));
  } catch (error) {
    // Not the same origin after all: let the browser follow the link as it can.
  }
});
