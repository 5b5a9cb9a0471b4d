// The sign-in page: the same bearer token the REST API and the CLI use.
import { html, type Html } from '../html.ts';
import { page, CONSOLE_PATH } from '../layout.ts';

export function loginPage(o: { error?: string; next?: string }): Html {
  return page({
    title: 'Sign in',
    heading: 'Sign in to Assay',
    body: html`<form class="login" method="post" action="${CONSOLE_PATH}/login">
      ${o.error ? html`<p class="flash flash-error" role="alert">${o.error}</p>` : ''}
      <div class="field">
        <label for="token">API token</label>
        <input id="token" name="token" type="password" required autocomplete="current-password" aria-describedby="token-hint" />
        <small id="token-hint" class="hint"
          >The policy API token (POLICY_API_TOKEN, or your line of the token file). <code>npm start</code> writes it to
          <code>.assay/local-stack.json</code>.</small
        >
      </div>
      <input type="hidden" name="next" value="${o.next ?? ''}" />
      <button type="submit">Sign in</button>
    </form>`,
  });
}
