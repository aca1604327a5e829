/* Inlined at the top of <head> of every page with a search box, by hooks/search.py (whose
   docstring says why): the search index is fetched, and the search worker started, when the
   reader turns to search (until then Material talks to a stand-in that keeps its messages for
   the worker); page-level result links highlight what their sections matched; code blocks'
   copy-button <nav>s are not landmarks. This comment is left out of the pages. */
(() => {
  const X = XMLHttpRequest.prototype, open = X.open, send = X.send
  let go, wanted = new Promise(resolve => go = resolve)
  const want = () => go()
  X.open = function (method, url) {
    this.dzIndex = /\/search\/search_index\.json$/.test(new URL(url, location.href).pathname)
    return open.apply(this, arguments)
  }
  X.send = function () {
    if (!this.dzIndex) return send.apply(this, arguments)
    wanted.then(() => send.apply(this, arguments))
  }
  const Worker = window.Worker
  const ownTarget = (() => { try { return !!new EventTarget() } catch (e) { return false } })()
  if (Worker && ownTarget) window.Worker = class extends EventTarget {
    constructor(url, options) {
      if (!/\/workers\/search\.[^/]*\.js$/.test(new URL(url, location.href).pathname)) return new Worker(url, options)
      super()
      const kept = []
      this.postMessage = message => kept.push(message)
      wanted.then(() => {
        const worker = new Worker(url, options)
        worker.addEventListener("message", e => this.dispatchEvent(new MessageEvent("message", {data: e.data})))
        this.postMessage = message => worker.postMessage(message)
        for (const message of kept.splice(0)) worker.postMessage(message)
      })
    }
  }
  const on = (type, test) => addEventListener(type, e => test(e) && want(), true)
  const inSearch = e => e.target instanceof Element && !!e.target.closest(".md-search, [for=__search]")
  on("focusin", inSearch)
  on("pointerover", inSearch)
  on("change", e => e.target.id === "__search" && e.target.checked)
  on("keydown", e => ["/", "s", "f", "S", "F"].includes(e.key) && !e.target.closest?.("input, textarea, [contenteditable]"))
  const params = new URLSearchParams(location.search)
  if (params.has("q") || params.has("h")) want()  // opened from a search: results, or highlighting
  const fill = () => {
    for (const item of document.querySelectorAll(".md-search-result__item")) {
      const [page, ...sections] = item.querySelectorAll("a.md-search-result__link")
      const url = page && new URL(page.href)
      if (!url || !url.searchParams.has("h") || url.searchParams.get("h")) continue
      const terms = new Set(sections.flatMap(a => (new URL(a.href).searchParams.get("h") || "").split(" ")))
      terms.delete("")
      if (!terms.size) continue
      url.searchParams.set("h", [...terms].join(" "))
      page.href = url.href
    }
  }
  addEventListener("DOMContentLoaded", () => {
    const list = document.querySelector(".md-search-result__list")
    if (list) new MutationObserver(fill).observe(list, {childList: true, subtree: true})
    const plain = () => {
      for (const nav of document.querySelectorAll("nav.md-code__nav:not([role])"))
        nav.setAttribute("role", "none")
    }
    plain()
    new MutationObserver(plain).observe(document.body, {childList: true, subtree: true})
  })
})()
