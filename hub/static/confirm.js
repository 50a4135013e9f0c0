// Forms with data-confirm ask before submitting (instead of an inline onsubmit handler, which
// the Content-Security-Policy forbids).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);
