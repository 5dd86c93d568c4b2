import { KLAVIYO_REVISION } from '../../src/browser/runner/klaviyo-client'
import { COMPANY_ID, LIST_ID } from './stack'

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

/**
 * The hand-written handler doing what a mailstitch capture of a newsletter opt-in does (CONTRACT.md
 * "What a capture does"): `identify` and `track('Email Captured')`, the Klaviyo profile and, the
 * form being an opt-in, the list subscription. Row 3 compares the total main-thread time with
 * this too, so the comparison is about the cost of the same work, not about doing less of it.
 */
export function handWrittenSameWork(klaviyoBase: string): string {
  return `<script>
document.addEventListener('submit', function (e) {
  var form = e.target;
  var input = form.querySelector && form.querySelector('input[type=email]');
  if (!input || !input.value) return;
  var email = input.value.trim().toLowerCase();
  analytics.identify({ email: email });
  analytics.track('Email Captured', { source: 'form', form_id: form.id || null }, { context: { traits: { email: email } } });
  var anon = analytics.user ? analytics.user().anonymousId() : undefined;
  var post = function (path, data) {
    fetch(${JSON.stringify(klaviyoBase)} + '/client/' + path + '?company_id=${COMPANY_ID}', {
      method: 'POST',
      keepalive: true,
      headers: { 'content-type': 'application/vnd.api+json', revision: ${JSON.stringify(KLAVIYO_REVISION)} },
      body: JSON.stringify({ data: data })
    });
  };
  post('profiles', { type: 'profile', attributes: { email: email, anonymous_id: anon, properties: { segment_anonymous_id: anon } } });
  post('subscriptions', { type: 'subscription', attributes: { custom_source: 'form', profile: { data: { type: 'profile', attributes: { email: email } } } }, relationships: { list: { data: { type: 'list', id: ${JSON.stringify(LIST_ID)} } } } });
});
</script>`
}
