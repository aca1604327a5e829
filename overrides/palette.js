/* Light and dark: the toggle in the header. main.html renders Material's palette form under
   another name, so that Material's bundle leaves it alone, and inlines this script right after
   the header, before the chapter is parsed. Material's component set the colours once the whole
   page was in, and restyled every element on screen four times doing it: 43 ms of step 4's
   start-up on a 2-core Xeon, most of the task that runs Material's bundle. Here the colours are
   set while the header is all there is to style. What the reader sees is Material's behaviour:
   the palette shown is the one remembered (`__palette`, Material's key, which its inline script
   in the header also applies), or on a first visit the one whose media query the device
   matches; a click, Enter, Space or an arrow key switches. Not handled: Material's "automatic"
   palette, a media query of "(prefers-color-scheme)" (mkdocs.yml names light and dark). */
(() => {
  const form = document.querySelector("form[data-dz-palette]")
  const header = document.querySelector("[data-md-component=header]")
  if (!form || !header) return
  const inputs = [...form.querySelectorAll("input[type=radio]")]
  const KEYS = ["media", "scheme", "primary", "accent"]
  const meta = name => document.head.querySelector(`meta[name="${name}"]`) ||
    document.head.appendChild(Object.assign(document.createElement("meta"), { name }))
  const remembered = () => {
    let saved = null
    try { saved = __md_get("__palette") } catch { /* storage blocked: as on a first visit */ }
    const index = saved && Number.isInteger(saved.index) ? saved.index
      : inputs.findIndex(input => matchMedia(input.getAttribute("data-md-color-media")).matches)
    return Math.max(0, Math.min(index, inputs.length - 1))
  }
  let current = -1
  function show(index, switching) {
    current = index
    const source = inputs[index]
    const color = Object.fromEntries(KEYS.map(key => [key, source.getAttribute("data-md-color-" + key)]))
    const body = document.body
    if (switching) body.setAttribute("data-md-color-switching", "") // no colour transitions meanwhile
    for (const key of KEYS) body.setAttribute("data-md-color-" + key, color[key])
    inputs.forEach((input, i) => {
      const label = input.nextElementSibling
      if (label instanceof HTMLLabelElement) label.hidden = i !== index
    })
    try { __md_set("__palette", { index, color }) } catch { /* storage blocked: not remembered */ }
    const style = getComputedStyle(header) // the browser's own colours follow the page's
    const scheme = meta("color-scheme") // set again, even to the same value, it restyles the page
    if (scheme.content !== style.colorScheme) scheme.content = style.colorScheme
    meta("theme-color").content = "#" + style.backgroundColor.match(/[\d.]+/g).slice(0, 3)
      .map(value => Math.round(+value).toString(16).padStart(2, "0")).join("")
    if (switching) setTimeout(() => body.removeAttribute("data-md-color-switching"))
  }
  show(remembered(), false)
  inputs.forEach((input, i) => input.addEventListener("change", () => show(i, true)))
  form.addEventListener("keydown", event => { // Enter on the focused toggle switches too
    if (event.key !== "Enter") return
    const next = inputs[(current + 1) % inputs.length]
    next.click()
    next.focus()
  })
  matchMedia("(prefers-color-scheme: light)").addEventListener("change", () => show(remembered(), true))
})()
