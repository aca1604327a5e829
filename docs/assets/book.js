/* The book's small script (loaded by overrides/main.html on every page).
   - The language switcher keeps the reader's section: the #fragment (or, without one, the
     section on screen) is carried to the other language, whose headings have the same ids.
   - A box that scrolls sideways (equation, table, code, figure) is marked with data-scrolls,
     which book.css draws as edge shadows, plus a note under equations and tables.
   - A figure drawn smaller than three quarters of its size (phones) opens full size on tap. */
(() => {
  "use strict"
  const ko = (document.documentElement.lang || "").startsWith("ko")
  const TEXT = ko
    ? { scroll: "← 옆으로 밀어서 보기 →", enlarge: "크게 보기", close: "닫기" }
    : { scroll: "← scroll sideways →", enlarge: "Full size", close: "Close" }

  /* --- the language switcher ------------------------------------------------------------ */
  function section() {
    if (location.hash.length > 1) return location.hash
    let id = ""
    for (const h of document.querySelectorAll("article h2[id], article h3[id]")) {
      if (h.getBoundingClientRect().top > window.innerHeight * 0.3) break
      id = h.id
    }
    return id ? "#" + encodeURIComponent(id) : ""
  }
  function carry(event) {
    const link = event.target.closest && event.target.closest("a.md-select__link[hreflang]")
    if (!link) return
    const url = new URL(link.getAttribute("href"), location.href)
    url.hash = section()
    link.href = url.href
  }
  for (const type of ["click", "auxclick", "pointerdown", "focusin", "contextmenu"])
    document.addEventListener(type, carry, true)

  /* --- boxes that scroll sideways ------------------------------------------------------- */
  const SCROLLERS = ".math-display, .md-typeset__scrollwrap, pre > code, .dezero-figure, .dz-figure-full"
  const NOTED = ".math-display, .md-typeset__scrollwrap, .dz-figure-full"
  function markScrollers(boxes) {
    // read every width first, then write: interleaving them would force a layout per box
    const scrolls = boxes.map(box => box.scrollWidth > box.clientWidth + 1)
    boxes.forEach((box, i) => {
      const next = box.matches(".md-typeset__scrollwrap") ? box.previousElementSibling : box.nextElementSibling
      const note = next && next.classList.contains("dz-scroll-note") ? next : null
      if (scrolls[i]) {
        if (box.hasAttribute("data-scrolls")) return
        box.setAttribute("data-scrolls", "")
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0") // keyboard scrolling
        if (!note && box.matches(NOTED)) {
          const p = document.createElement("span")
          p.className = "dz-scroll-note"
          p.setAttribute("aria-hidden", "true")
          p.textContent = TEXT.scroll
          if (box.matches(".md-typeset__scrollwrap")) { // a table may be long: say it above
            p.classList.add("dz-scroll-note--above")
            box.before(p)
          } else box.after(p)
        }
      } else if (box.hasAttribute("data-scrolls")) {
        box.removeAttribute("data-scrolls")
        if (note) note.remove()
      }
    })
  }

  /* --- figures that open full size ------------------------------------------------------ */
  let dialog = null
  function openFigure(figure) {
    if (!dialog) {
      dialog = document.createElement("dialog")
      dialog.className = "dz-figure-dialog md-typeset"
      dialog.addEventListener("click", e => { if (e.target === dialog) dialog.close() })
      document.body.append(dialog)
    }
    const svg = figure.querySelector("svg").cloneNode(true)
    for (const el of svg.querySelectorAll("[id]")) if (el.tagName !== "clipPath") el.removeAttribute("id")
    svg.removeAttribute("aria-labelledby")
    svg.setAttribute("aria-label", figure.querySelector("svg title")?.textContent || "")
    const close = document.createElement("button")
    close.type = "button"
    close.className = "dz-figure-close"
    close.textContent = TEXT.close
    close.addEventListener("click", () => dialog.close())
    const body = document.createElement("div")
    body.className = "dz-figure-full"
    body.append(svg)
    const caption = figure.querySelector("figcaption")
    dialog.replaceChildren(close, body)
    if (caption) dialog.append(caption.cloneNode(true))
    dialog.setAttribute("aria-label", caption ? caption.textContent : TEXT.enlarge)
    dialog.showModal()
    markScrollers([...dialog.querySelectorAll(SCROLLERS)])
  }
  function markFigures(boxes) {
    const figures = boxes.filter(box => box.matches(".dezero-figure"))
      .map(figure => [figure, figure.querySelector("svg.dz-svg")])
      .filter(([, svg]) => svg)
    // read every size first, then write (see markScrollers)
    const small = figures.map(([, svg]) =>
      svg.getBoundingClientRect().width < parseFloat(svg.getAttribute("width")) * 0.75)
    figures.forEach(([figure, svg], i) => {
      let button = figure.querySelector(".dz-figure-open")
      if (small[i] && !button) {
        button = document.createElement("button")
        button.type = "button"
        button.className = "dz-figure-open"
        button.textContent = TEXT.enlarge
        button.addEventListener("click", () => openFigure(figure))
        svg.addEventListener("click", () => figure.hasAttribute("data-small") && openFigure(figure))
        svg.after(button)
      }
      figure.toggleAttribute("data-small", small[i])
    })
  }

  /* --- when to check ----------------------------------------------------------------------- */
  // The browser lays out a paragraph, equation or listing only when it comes near the screen
  // (book.css); until then its width is a placeholder, and reading the sizes of everything at
  // once would be one long task that holds the page up. So:
  // - a box whose contents are not laid out yet is left as it is, and checked when the browser
  //   lays it out (contentvisibilityautostatechange);
  // - the others are checked a few at a time while the browser is idle, a few ms per task.
  // The root gets data-dz-checked when nothing is left to check (the browser tests wait for it).
  const idle = window.requestIdleCallback ||
    (run => setTimeout(() => { const end = performance.now() + 8; run({ timeRemaining: () => end - performance.now() }) }, 1))
  const SLICE = 4
  const BUDGET = 6 // ms of checking per task
  const todo = new Set()
  const laidOut = box => { // false while the browser skips the box's contents (off screen)
    const probe = box.firstElementChild || box
    return !probe.checkVisibility || probe.checkVisibility({ contentVisibilityAuto: true })
  }
  function check(boxes) {
    if (!todo.size) idle(work)
    for (const box of boxes) todo.add(box)
    document.documentElement.removeAttribute("data-dz-checked")
  }
  function recheck() {
    check((document.querySelector("article") || document).querySelectorAll(SCROLLERS))
    if (dialog && dialog.open) markScrollers([...dialog.querySelectorAll(SCROLLERS)])
  }
  function work(deadline) {
    const stop = performance.now() + BUDGET
    do {
      const slice = [...todo].slice(0, SLICE)
      slice.forEach(box => todo.delete(box))
      const ready = slice.filter(box => box.isConnected && laidOut(box))
      markFigures(ready)
      markScrollers(ready)
    } while (todo.size && performance.now() < stop && deadline.timeRemaining() > 0)
    if (todo.size) idle(work)
    else document.documentElement.setAttribute("data-dz-checked", "")
  }
  document.addEventListener("contentvisibilityautostatechange", event => {
    if (event.skipped) return
    const box = event.target
    check([...(box.matches(SCROLLERS) ? [box] : []), ...box.querySelectorAll(SCROLLERS)])
  }, true)
  if (typeof ContentVisibilityAutoStateChangeEvent === "undefined") { // a browser without the event:
    let pause = 0 // check again when scrolling pauses
    window.addEventListener("scroll", () => { clearTimeout(pause); pause = setTimeout(recheck, 200) }, { passive: true })
  }
  let frame = 0
  window.addEventListener("resize", () => { // once per frame while a window is being resized
    cancelAnimationFrame(frame)
    frame = requestAnimationFrame(recheck)
  })
  document.addEventListener("toggle", recheck, true) // a <details> opened: its boxes have sizes now
  document.addEventListener("change", recheck, true) // a content tab switched
  // the first pass once the page and its fonts are in (fonts change widths)
  const loaded = document.readyState === "complete" ? Promise.resolve()
    : new Promise(done => window.addEventListener("load", done, { once: true }))
  Promise.all([loaded, document.fonts ? document.fonts.ready : null]).then(recheck)
})()
