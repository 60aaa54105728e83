// The widgets of a page of the HTML book, drawn from the state saved in the page (added by
// datajobs.publishing.sphinx_predictor in place of the Jupyter widget manager; loaded with `defer`, so
// the page's text and figures paint first).
//
// A widget written with anywidget (the predictor) carries its whole front end in its state (`_esm`,
// `_css`): it is drawn here, with a model that reads that state, without require.js or the
// html-manager (3.5 MB). Only a page holding another kind of widget view loads the vendored widget
// manager (the script's data-manager URLs, in order), after the page's `load` event.
(function () {
  const script = document.currentScript;
  const STATE = 'script[type="application/vnd.jupyter.widget-state+json"]';
  const VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';

  function savedState() {
    const models = {};
    document.querySelectorAll(STATE).forEach((node) => {
      try {
        Object.assign(models, JSON.parse(node.textContent).state || {});
      } catch (error) {
        console.warn("[datajobs] unreadable widget state", error);
      }
    });
    return models;
  }

  // What anywidget's render() may call; with no kernel behind the page, messages go nowhere.
  function staticModel(state) {
    return {
      get: (name) => state[name],
      set: (name, value) => { state[name] = value; },
      on() {}, off() {}, send() {}, save_changes() {},
      widget_manager: {},
    };
  }

  const styled = new Set();
  async function drawAnywidget(view, saved) {
    const state = saved.state;
    if (state._css && !styled.has(state._css)) {
      styled.add(state._css);
      document.head.appendChild(Object.assign(document.createElement("style"), {textContent: state._css}));
    }
    const el = document.createElement("div");
    // Not "widget-subarea": the theme paints that light in dark mode, for widgets unaware of the mode;
    // these follow it (the predictor's colours are the theme's variables).
    el.className = "dj-widget-area";
    view.after(el);
    const url = URL.createObjectURL(new Blob([state._esm], {type: "text/javascript"}));
    try {
      const module = await import(url);
      let widget = module.default || module;
      if (typeof widget === "function") { widget = await widget(); }
      const model = staticModel(state);
      if (widget.initialize) { await widget.initialize({model}); }
      await widget.render({model, el});
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  function loadInOrder(urls) {
    return urls.reduce((previous, url) => previous.then(() => new Promise((resolve, reject) => {
      const tag = Object.assign(document.createElement("script"), {src: url});
      tag.onload = resolve;
      tag.onerror = () => reject(new Error("could not load " + url));
      document.head.appendChild(tag);
    })), Promise.resolve());
  }

  function loadManager() {
    const urls = (script.dataset.manager || "").split(" ").filter(Boolean);
    const start = () => loadInOrder(urls).then(() => {
      if (window.requirejs && script.dataset.anywidget) {
        window.requirejs.config({paths: {anywidget: script.dataset.anywidget}});
      }
    }).catch((error) => console.warn("[datajobs]", error.message));
    if (document.readyState === "complete") { start(); } else { window.addEventListener("load", start); }
  }

  const models = savedState();
  const views = Array.from(document.querySelectorAll(VIEW)).map((node) => {
    let id = null;
    try { id = JSON.parse(node.textContent).model_id; } catch (error) { /* drawn by nobody, as before */ }
    return {node, saved: models[id]};
  }).filter((view) => view.saved);
  const isAnywidget = (view) => view.saved.model_module === "anywidget" && typeof view.saved.state._esm === "string";
  if (views.some((view) => !isAnywidget(view))) {
    loadManager();  // the manager draws every view, anywidgets included
    return;
  }
  views.forEach((view) => drawAnywidget(view.node, view.saved).catch((error) => {
    console.warn("[datajobs] a widget could not be drawn", error);
  }));
})();
