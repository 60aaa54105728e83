// Printing the book (datajobs.publishing.pdf): a note above each drawn widget a reader would operate
// (inputs, buttons; a progress bar needs none). Called with [note, selector of the drawn views].
([note, drawn]) => {
  const inputs = 'input, select, textarea, button, .jupyter-widget-tagsinput';
  const views = Array.from(document.querySelectorAll(drawn))
    .filter((view) => view.querySelector(inputs));
  for (const view of views) {
    const paragraph = document.createElement('p');
    paragraph.className = 'datajobs-print-note';
    paragraph.textContent = note;
    view.before(paragraph);
  }
  return views.length;
}
