// Plain HTML, free of any test runner, so the Playwright and the multi-engine suites share it.

/** The Shopify newsletter form as Dawn's footer renders `{% form 'customer' %}`. */
export const shopifyNewsletterForm = `
<form method="post" action="/contact#ContactFooter" id="ContactFooter" accept-charset="UTF-8" class="footer__newsletter newsletter-form">
  <input type="hidden" name="form_type" value="customer"><input type="hidden" name="utf8" value="✓">
  <input type="hidden" name="contact[tags]" value="newsletter">
  <input id="NewsletterForm--footer" type="email" name="contact[email]" required autocorrect="off" autocapitalize="off" autocomplete="email" placeholder="Email">
  <button type="submit" id="Subscribe">Subscribe</button>
</form>`
