// Printing the book (datajobs.publishing.pdf): the HTML loads figures below the fold lazily
// (loading="lazy"), and Chromium does not fetch those before printing a page it never scrolled.
// Every figure is made eager and awaited. Returns how many images the page holds.
async () => {
  const images = [...document.images];
  for (const image of images) {
    image.loading = 'eager';
  }
  await Promise.all(images.map((image) => (image.complete ? null : new Promise((done) => {
    image.addEventListener('load', done, {once: true});
    image.addEventListener('error', done, {once: true});
  }))));
  return images.length;
}
