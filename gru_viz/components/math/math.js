// gru-viz math: display formulas typeset by KaTeX straight into the page.
//
// st.latex sends each formula through Streamlit's Markdown pipeline (parse, KaTeX, then the HTML parsed back
// into React elements and reconciled), which on the Cell Step-Through's four equations was ~64-76 ms of every
// scrubber move. Here KaTeX writes each formula's HTML once and the browser parses it. The KaTeX beside this
// file is the version Streamlit ships (0.16.47; tests/test_math_component.py checks they agree), so Streamlit's
// own KaTeX stylesheet and fonts, loaded on every page, style it exactly as st.latex would.
//
// Streamlit calls the default export on mount and whenever `data` changes, with the same parentElement.
// data = {"formulas": [TeX, ...]}: each a display formula, one under the other.

let katexLoading = null;

function loadKatex() {
  if (window.katex) return Promise.resolve(window.katex);
  if (!katexLoading) {
    katexLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("./katex.min.js", import.meta.url).href;
      script.onload = () => resolve(window.katex);
      script.onerror = () => { katexLoading = null; reject(new Error("could not load KaTeX from " + script.src)); };
      document.head.appendChild(script);
    });
  }
  return katexLoading;
}

export default function ({ data, parentElement }) {
  let box = parentElement.querySelector(":scope > .gv-math");
  if (!box) {
    box = document.createElement("div");
    box.className = "gv-math";
    box.dataset.testid = "gvMath";
    parentElement.appendChild(box);
  }
  const formulas = data.formulas;
  const draw = (box._gvDraw = (box._gvDraw || 0) + 1);
  loadKatex().then((katex) => {
    if (draw !== box._gvDraw) return; // a newer step arrived while KaTeX loaded
    while (box.children.length > formulas.length) box.lastChild.remove();
    formulas.forEach((tex, i) => {
      let el = box.children[i];
      if (!el) {
        el = document.createElement("div");
        el.className = "gv-formula";
        box.appendChild(el);
      }
      if (el._gvTex === tex) return; // unchanged: keep it
      katex.render(tex, el, { displayMode: true, throwOnError: false });
      el._gvTex = tex;
    });
    box.dataset.state = "drawn";
  }, (err) => {
    box.textContent = formulas.join("\n"); // the TeX itself rather than nothing
    box.dataset.state = "error";
    console.error(err);
  });
}
