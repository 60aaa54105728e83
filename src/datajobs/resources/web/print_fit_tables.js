// Printing the book (datajobs.publishing.pdf): result tables name columns and values in snake_case or
// a/b/c: let them wrap after "_" and "/". A table still wider than the paper is then scaled down on
// its own; otherwise Chromium would shrink every page of the book to fit the widest table.
// Returns how many tables were scaled.
() => {
  const tables = document.querySelectorAll('.cell_output table');
  for (const table of tables) {
    for (const cell of table.querySelectorAll('th, td')) {
      const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node; (node = texts.nextNode());) {
        node.textContent = node.textContent.replace(/([_/])/g, '$1\u200b');
      }
    }
  }
  let scaled = 0;
  for (const table of tables) {
    const available = table.parentElement.clientWidth;
    if (table.scrollWidth > available + 1) {
      table.style.zoom = (available / table.scrollWidth).toFixed(3);
      scaled += 1;
    }
  }
  return scaled;
}
