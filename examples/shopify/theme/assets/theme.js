// Minimal theme behaviour, in the style of Dawn: product forms add to cart with fetch (and the
// Section Rendering API refreshes the cart bubble); "quick add" buttons use XMLHttpRequest, as
// older jQuery themes do. mailstitch's cart bridge notices both without being told.
(function () {
  function renderSections(ids) {
    return fetch(window.location.pathname + '?sections=' + ids.join(','), { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json() })
      .then(function (sections) {
        ids.forEach(function (id) {
          var el = document.getElementById('shopify-section-' + id)
          var html = sections[id]
          if (el && html) el.outerHTML = html
        })
      })
  }

  function refreshBubble() {
    return fetch(window.routes.root_url.replace(/\/?$/, '/') + 'cart.js', { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json() })
      .then(function (cart) {
        var count = document.querySelector('#cart-icon-bubble .cart-count')
        if (count) count.textContent = String(cart.item_count)
        document.documentElement.setAttribute('data-cart-count', String(cart.item_count))
      })
  }

  document.addEventListener('submit', function (event) {
    var form = event.target
    if (!form || form.getAttribute('data-type') !== 'add-to-cart-form') return
    event.preventDefault()
    var body = new FormData(form)
    fetch(window.routes.cart_add_url, {
      method: 'POST',
      headers: { Accept: 'application/javascript', 'X-Requested-With': 'XMLHttpRequest' },
      body: body,
    })
      .then(function (r) { return r.json() })
      .then(function (item) {
        if (item.status) throw new Error(item.description || 'add failed')
        return refreshBubble()
      })
      .catch(function (e) { console.warn('add to cart failed', e) })
  })

  document.addEventListener('click', function (event) {
    var button = event.target && event.target.closest && event.target.closest('.quick-add__submit')
    if (!button) return
    var xhr = new XMLHttpRequest()
    xhr.open('POST', window.routes.cart_add_url + '.js')
    xhr.setRequestHeader('Content-Type', 'application/json')
    xhr.setRequestHeader('Accept', 'application/json')
    xhr.onload = function () { refreshBubble() }
    xhr.send(JSON.stringify({ items: [{ id: Number(button.getAttribute('data-variant-id')), quantity: 1 }] }))
  })

  window.theme = { renderSections: renderSections, refreshBubble: refreshBubble }
})()
