// Loaded before vendor/require.js and vendor/embed-amd.js on pages that hold widgets.
// The widget manager resolves its fonts from the AMD module names it defines
// ("@jupyter-widgets/html-manager/dist/…", "@jupyter-widgets/…"), which require.js would place
// beside the page; map them to the vendored copy, so no page asks for files that are not there.
(function () {
  var vendor = document.currentScript.src.replace(/[^/]*$/, "vendor");
  window.__jupyter_widgets_assets_path__ = vendor + "/";
  window.require = {paths: {"@jupyter-widgets/html-manager/dist": vendor, "@jupyter-widgets": vendor}};
})();
