// Printing the book (datajobs.publishing.pdf): add one notebook's saved widget state to the page.
(state) => {
    const script = document.createElement('script');
    script.type = 'application/vnd.jupyter.widget-state+json';
    script.textContent = JSON.stringify(state);
    document.head.appendChild(script);
}
