// The console's only script, and everything works without it: it asks before a destructive
// form is sent (`data-confirm`), and submits filter selects on change (`data-autosubmit`).
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
for (const select of document.querySelectorAll('select[data-autosubmit]')) {
  select.addEventListener('change', () => select.form?.requestSubmit());
}
