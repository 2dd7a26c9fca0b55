"""Writes neuroscope-424.html: a small page with the structure of a neuroscope.io neuron page.

neuroscope.io cannot be reached from our machines, so this page is built from the structure of
neuroscope's page generator (github.com/neelnanda-io/Neuroscope, make_neuroscope_page.py) and
circuitsvis' render_cdn output: header, <hr>, direct logit effect, <hr>, then per example
"<h2>Text #i</h2>" + <h4> lines + a <details> whose <summary> holds the truncated window and whose
body holds the full text, each a ColoredTokens render() call in <script crossorigin type="module">
with its props written by Python's json.dumps. The texts and values are made up (4 short documents,
capital-letter runs activate), so tests know every number. Run: python3 make_neuroscope_fixture.py
"""
import json
import random

random.seed(424)
PREFIX, SUFFIX = 50, 10

DOCS = [  # (data index, source, text pieces: tokens as neuroscope's tokenizer would split them)
    (2351, "C4 (Web Text)", ["<|BOS|>", "Home", " |", " About", "\n\n", "FREE", " SH", "IPP", "ING", " ON", " ALL",
                             " OR", "DERS", " OVER", " $", "50", "\n", "Shop", " our", " new", " summer", " range", ".",
                             " We", " ship", " caf\u00e9", " tables", " \"", "fast", "\"", "."]),
    (90211, "C4 (Web Text)", ["<|BOS|>"] + [" the", " council", " met", " on", " Monday", " to", " discuss",
                              " the", " budget", ","] * 7 + ["The", " city", " council", " met", " on", " Monday", ".", "\n", "BRE",
                              "AK", "ING", " NEWS", ":", " THE", " MAY", "OR", " RES", "IGN", "S", "\n", "In", " a",
                              " short", " statement", ",", " the", " mayor", " said", " he", " would", " leave", "."]),
    (17, "C4 (Web Text)", ["<|BOS|>", "Posted", " by", " admin", "\n", "TOP", " 10", " TIPS", " FOR", " A",
                           " BET", "TER", " GARDEN", "\n", "1", ".", " Water", " early", "\t", "in", " the", " day"]),
    (10401234, "Python Code", ["<|BOS|>", "import", " os", "\n", "DEFAULT", "_", "TIME", "OUT", " =", " 30", "\n",
                               "def", " main", "():", "\n   ", " print", "(\"", "HELLO", " WORLD", "\\", "n", "\")"]),
]


def acts_for(tokens):
    out, prev = [], False
    for i, t in enumerate(tokens):
        letters = [c for c in t if c.isalpha()]
        caps = i > 0 and letters and all(c.isupper() for c in letters)
        a = ((3.1 if prev else 1.7) + random.random() * 1.6) if caps else (-0.17 + random.random() * 0.3)
        out.append(round(a, 6))
        prev = bool(caps)
    return out


def colored_tokens(div, tokens, values, lo, hi):
    props = json.dumps({"tokens": tokens, "values": values, "minValue": lo, "maxValue": hi})
    return (f'<div id="{div}" style="margin: 15px 0;"/>\n    <script crossorigin type="module">\n'
            f'    import {{ render, ColoredTokens }} from "https://unpkg.com/circuitsvis@1.38.1/dist/cdn/esm.js";\n'
            f'    render(\n      "{div}",\n      ColoredTokens,\n      {props}\n    )\n    </script>')


docs = [(i, s, t, acts_for(t)) for i, s, t in DOCS]
docs.sort(key=lambda d: -max(d[3]))
hi = max(max(d[3]) for d in docs)
lo = -hi

header = "\n".join([
    "<div style='font-size:medium;'>",
    "< <a href='./423.html'>Prev</a> | ",
    "<a href='../../index.html'>Home</a> | ",
    "<a href='../model.html'>Model</a> | ",
    "<a href='javascript:void(0)' onclick=\"location.href='./' + Math.floor(Math.random() * 2048) + '.html'\">Random</a> | ",
    "<a href='./425.html'>Next</a> >",
    "</div>",
    "<h1>Model: GELU Model: 1 Layers, 2048 Neurons per Layer</h1>",
    "<h1>Dataset: 80% C4 (Web Text) and 20% Python Code</h1>",
    "<h2>Neuron 424 in Layer 0 </h2>",
    "<h2>Load this data into an <a href='https://neelnanda.io/interactive-neuroscope'>Interactive Neuroscope</a></h2>",
    "<h3><a href='https://neelnanda.io/neuroscope-docs'>See Documentation here</a></h3>",
    "<h3>Transformer Lens Loading: <span style='font-family: \"Courier New\"'>HookedTransformer.from_pretrained('gelu-1l')</span></h3>",
])
top = [(" THE", 0.6123), (" NEWS", 0.5871), ("ING", 0.5012), (" OF", 0.4411), (" AND", 0.4309),
       (" FOR", 0.4010), (" TO", 0.3855), ("\n", 0.3512), (" A", 0.3301), (" IN", 0.3020)]
bottom = [(" the", -0.4402), (" of", -0.4001), (" and", -0.3803), ("ing", -0.3555), (" to", -0.3320)]
logits = ["<h3>Direct Logit Effect</h3>"]
for i, (t, v) in enumerate(top):
    logits.append(f"<p style='color: blue; font-family: \"Courier New\"'>#{i} +{v:.4f} <span class='token'>{t}</span></p>")
logits.append("<p>...</p>")
for i, (t, v) in enumerate(bottom):
    logits.append(f"<p style='color: red; font-family: \"Courier New\"'>#{i} {v:.4f} <span class='token'>{t}</span></p>")

texts = []
for i, (index, source, tokens, acts) in enumerate(docs):
    m = acts.index(max(acts))
    lo_i, hi_i = max(0, m - PREFIX), min(len(tokens), m + SUFFIX + 1)
    h = [f"<h4>Max Range: <b>{hi:.4f}</b>. Min Range: <b>{lo:.4f}</b></h4>",
         f"<h4>Max Act: <b>{max(acts):.4f}</b>. Min Act: <b>{min(acts):.4f}</b></h4>",
         f"<h4>Data Index: <b>{index}</b> ({source})</h4>",
         f"<h4>Max Activating Token Index: <b>{m}</b></h4>",
         "<details><summary><b style='color: red'>Click toggle to see full text</b>",
         "<h3>Truncated</h3>",
         colored_tokens(f"circuits-vis-{i:04d}a1b2-c3d4", tokens[lo_i:hi_i], acts[lo_i:hi_i], lo, hi),
         "</summary>",
         f"<h3>Full Text #{i}</h3>",
         colored_tokens(f"circuits-vis-{i:04d}e5f6-a7b8", tokens, acts, lo, hi),
         "</details>"]
    texts.append(f"<h2>Text #{i}</h2>" + "\n".join(h))

page = "\n<hr>\n".join([header, "\n".join(logits), "\n<hr>\n".join(texts)])
with open("neuroscope-424.html", "w") as f:
    f.write(page)
# What the page holds, straight from the data that made it: the oracle for NeuroscopePageTest.
expected = {"range": hi, "top": top, "bottom": bottom, "texts": []}
for i, (index, source, tokens, acts) in enumerate(docs):
    m = acts.index(max(acts))
    lo_i, hi_i = max(0, m - PREFIX), min(len(tokens), m + SUFFIX + 1)
    expected["texts"].append({"index": index, "source": source, "max_pos": m, "max_token": tokens[m],
                              "max": max(acts), "min": min(acts), "tokens": tokens, "values": acts,
                              "window_start": lo_i, "window_end": hi_i})
with open("neuroscope-424.expected.json", "w") as f:
    json.dump(expected, f, indent=1)
