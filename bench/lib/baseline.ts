import { KLAVIYO_REVISION } from '../../src/browser/runner/klaviyo-client'
import { COMPANY_ID } from './stack'

/**
 * What a site owner writes by hand without mailstitch: in the form's submit handler,
 * `analytics.identify({ email })` and a Klaviyo client-API profile `fetch` (no `keepalive`).
 * It sends the same bridge fields mailstitch does, so the comparison is about delivery and
 * cost, not about which fields were thought of.
 */
export function handWrittenBaseline(klaviyoBase: string): string {
  return `<script>
document.addEventListener('submit', function (e) {
  var input = e.target.querySelector && e.target.querySelector('input[type=email]');
  if (!input || !input.value) return;
  var email = input.value.trim().toLowerCase();
  analytics.identify({ email: email });
  var anon = analytics.user ? analytics.user().anonymousId() : undefined;
  fetch(${JSON.stringify(klaviyoBase)} + '/client/profiles?company_id=${COMPANY_ID}', {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.api+json', revision: ${JSON.stringify(KLAVIYO_REVISION)} },
    body: JSON.stringify({ data: { type: 'profile', attributes: { email: email, anonymous_id: anon, properties: { segment_anonymous_id: anon } } } })
  });
});
</script>`
}
