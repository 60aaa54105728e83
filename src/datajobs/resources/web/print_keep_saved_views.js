// Printing the book (datajobs.publishing.pdf): keep the widget views whose model has saved state,
// remove the others (one failing view stops the widget manager). Returns how many are kept.
(saved) => {
    const known = new Set(saved);
    let kept = 0;
    for (const view of document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')) {
        if (known.has(JSON.parse(view.textContent).model_id)) { kept += 1; } else { view.remove(); }
    }
    return kept;
}
