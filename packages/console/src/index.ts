export { Html, html, raw, attrs, escapeHtml, type Interpolation } from './html.ts';
export { page, CONSOLE_PATH, ASSETS_PATH, type NavKey, type Flash, type PageShell } from './layout.ts';
export { complianceBadge, shortDigest, duration, timeAgo, timeLeft, plural } from './format.ts';
export {
  csrfField,
  field,
  switchField,
  selectField,
  textareaField,
  formErrors,
  pager,
  type FieldErrors,
  type FieldOptions,
} from './forms.ts';
export { loginPage } from './views/login.ts';
export { ASSETS_DIR } from './assets.ts';
