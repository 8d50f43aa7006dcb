"""Attention on a GRU: where does the decoder look while it reverses a string?

controls (sequence_ui; all in the URL) -> cached runs of the two shipped models
(with / without attention, gru_viz.attention) -> figures_attention -> charts.
"""

import streamlit as st

from gru_viz import attention, figures_attention, limits, presets, ui

st.title("🎯 Attention on a GRU")
st.markdown(
    "A GRU **encoder** (one GRU reading left to right, one right to left) reads a string of symbols; a GRU **decoder** "
    "writes it **backwards**, one symbol at a time. With **attention** (Bahdanau et al. 2015) the decoder may look back "
    "at every input position at every step: the heatmap shows *where* it looked (each row sums to 1). Without attention "
    "the decoder only gets the encoder's final states, so the whole string has to squeeze through one vector, and long "
    "strings do not fit."
)


@st.cache_resource(show_spinner=False)
def load_models():
    """(with attention, without attention, manifest) from checkpoints/attention/."""
    return attention.load_shipped(True), attention.load_shipped(False), attention.load_manifest()


@st.cache_data(max_entries=64, show_spinner=False)
def run_both(tokens: tuple[int, ...]):
    """Greedy runs of both models on one string: (trace with attention, trace without)."""
    with_att, without_att, _ = load_models()
    return with_att.run(list(tokens)), without_att.run(list(tokens))


def sequence_ui(symbols: str) -> dict:
    """Where the string comes from (random or typed), its length and seed, or the typed text."""
    src = ui.url_choice("sequence", "src", ("random", "typed"), "random", radio=True,
                        labels={"random": "random (seeded)", "typed": "type it"})
    out = {"src": src, "length": 12, "seed": 0, "text": ""}
    if src == "random":
        left, right = st.columns(2)
        with left:
            out["length"] = ui.url_slider("length", "L", limits.ATTENTION_SEQ_LEN, 12,
                                          help="trained on lengths 2 to 20; longer strings test generalisation")
        with right:
            out["seed"] = ui.url_number("seed", "seed", presets.SEED, 0, help="same seed, same string")
    else:
        # at most as many characters as the models take symbols, so what fits in the box also runs
        case = ", capitals read as small letters" if symbols.islower() else ""
        n = limits.ATTENTION_SEQ_LEN.hi
        out["text"] = ui.url_text(f"symbols ({symbols}{case}), up to {n}", "text", "abcdefgh", max_chars=n,
                                  help=f"The box takes at most {n} symbols: a longer paste is not taken at all, so cut it "
                                       "to size first.")
    return out


def tokens_from(choice: dict, symbols: str):
    if choice["src"] == "random":
        return attention.random_tokens(choice["length"], seed=choice["seed"], n_symbols=len(symbols))
    text = choice["text"].lower() if symbols.islower() else choice["text"]  # "ABC" means "abc"
    return attention.encode(text, symbols)


@ui.fragment
def attention_page():
    try:
        with_att, without_att, manifest = load_models()
    except (OSError, ValueError, KeyError) as e:
        st.error(f"The attention checkpoints could not be loaded: {e}. "
                 "Make them with `python -m gru_viz.attention_training`.")
        return
    symbols = with_att.symbols
    with st.container(border=True):
        choice = sequence_ui(symbols)
        gate = ui.url_choice("encoder gate shown", "gate", ("update", "reset"), "update", radio=True,
                             labels={"update": "update z (z = 1 keeps the old state)", "reset": "reset r"})
    try:
        tokens = tokens_from(choice, symbols)
    except ValueError as e:
        st.error(f"Cannot use this sequence: {e}")
        return
    tr_with, tr_without = run_both(tuple(int(t) for t in tokens))
    target = tokens[::-1]
    T = len(tokens)
    right_with, right_without = int((tr_with.output == target).sum()), int((tr_without.output == target).sum())
    mirror = attention.mirror_weight(tr_with.attention)
    max_len = manifest["config"]["max_len"]
    trained = f"trained on {manifest['config']['min_len']}–{max_len}"
    beyond = (f" (longer than any training string: {trained})" if T > max_len
              else f" (shorter than any training string: {trained})" if T < manifest["config"]["min_len"] else "")
    st.markdown(f"**Length {T}{beyond}: with attention {right_with}/{T} symbols right, without attention "
                f"{right_without}/{T}.** Attention on the mirror position averages **{mirror:.2f}** "
                + ("(1.00 = a perfect anti-diagonal)." if T > 1 else "(one position: all attention goes there)."))

    ui.plot(figures_attention.output_figure(tokens, target, {"with attention": tr_with.output,
                                                             "without attention": tr_without.output}, symbols),
            f"target vs output: with attention {right_with}/{T} right, without {right_without}/{T}",
            key="attention_output", filename="attention-output")
    fwd, bwd = tr_with.encoder.gates[gate].mean(), tr_with.backward(gate).mean()
    ui.plot(figures_attention.alignment_with_gates_figure(tr_with, symbols, target, gate),
            f"attention weights α (output step × input position) above the encoder's {gate} gates; "
            f"mean weight on the mirror position {mirror:.2f}; mean {gate} gate forward {fwd:.2f}, backward {bwd:.2f}",
            key="attention_alignment", filename="attention-alignment")

    st.subheader("Does attention help? Accuracy at increasing lengths")
    metric = ui.url_choice("measure", "metric", ("symbol", "sequence"), "symbol", radio=True,
                           labels={"symbol": "symbols right", "sequence": "whole strings right"})
    acc = manifest["models"]
    measured = sorted(int(L) for L in acc["with_attention"]["accuracy"])
    L_key = min(measured, key=lambda L: (abs(L - T), L))  # the string's own length, or the nearest one measured
    w, wo = acc["with_attention"]["accuracy"][str(L_key)], acc["without_attention"]["accuracy"][str(L_key)]
    nearest = "" if L_key == T else f" (the measured length nearest this string's {T})"
    ui.plot(figures_attention.accuracy_figure(manifest, metric, length=T),
            f"at length {L_key}{nearest}, trained on lengths up to {max_len}: {w[metric]:.1%} with attention vs "
            f"{wo[metric]:.1%} without "
            f"({manifest['config']['eval_n']} fresh test strings per length)",
            key="attention_accuracy", filename="attention-accuracy")
    with st.expander("the numbers, and how they were made"):
        st.dataframe(figures_attention.accuracy_rows(manifest), hide_index=True)
        st.caption(f"{manifest['accuracy_note']}. Made by `{manifest['command']}`; hidden size "
                   f"{manifest['config']['hidden_size']}, {manifest['config']['steps']} training steps per model, "
                   f"seed {manifest['config']['seed']}.")

    with st.expander("the equations"):
        st.markdown("Two encoder GRUs read the string, one forwards ($\\overrightarrow{h}_j$) and one backwards "
                    "($\\overleftarrow{h}_j$); position $j$ is described by $a_j = [\\overrightarrow{h}_j; "
                    "\\overleftarrow{h}_j]$ and the decoder starts from "
                    "$s_0 = \\tanh(W_s[\\overrightarrow{h}_T; \\overleftarrow{h}_1] + b_s)$.")
        st.latex(r"e_{ij} = v_a^\top \tanh(W_a s_{i-1} + U_a a_j + b_a),\quad "
                 r"\alpha_{ij} = \frac{e^{e_{ij}}}{\sum_k e^{e_{ik}}},\quad c_i = \sum_j \alpha_{ij} a_j")
        st.latex(r"s_i = \mathrm{GRU}_{dec}([y_{i-1}; c_i], s_{i-1}),\qquad p_i = \mathrm{softmax}(W_o [s_i; c_i] + b_o)")
        st.markdown("Without attention, $c_i$ is absent: the decoder sees the string only through $s_0$. "
                    "All three GRUs use PyTorch's equations, where **z = 1 keeps the old state**.")


attention_page()
