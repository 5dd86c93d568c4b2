/**
 * The standard Segment analytics.js snippet (v5.2.1) as Segment tells sites to paste it; tests
 * route https://cdn.segment.com/* to the local collector, so the real loader path is exercised.
 * Where a browser cannot be routed (the WebDriver engines), `cdn` is the collector's origin: the
 * one line of the snippet a custom proxy changes (Segment, "Self-Managed Custom Proxy", snippet
 * instructions: https://www.twilio.com/docs/segment/connections/sources/catalog/libraries/website/javascript/custom-proxy).
 */
export function segmentSnippet(writeKey: string, opts: { page?: boolean; loadOptions?: object; cdn?: string } = {}): string {
  const src = `${opts.cdn ?? 'https://cdn.segment.com'}/analytics.js/v1/`
  const load = `analytics.load(${JSON.stringify(writeKey)}${opts.loadOptions ? ',' + JSON.stringify(opts.loadOptions) : ''});`
  return `<script>
!function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src=${JSON.stringify(src)} + key + "/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey=${JSON.stringify(writeKey)};;analytics.SNIPPET_VERSION="5.2.1";
${load}
${opts.page === false ? '' : 'analytics.page();'}
}}();
</script>`
}
