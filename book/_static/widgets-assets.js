// The widget manager (vendor/embed-amd.js) loads its fonts from this folder: tell it where the
// vendored copy is, relative to this script, so no page asks for fonts that are not there.
window.__jupyter_widgets_assets_path__ = document.currentScript.src.replace(/[^/]*$/, "vendor/");
