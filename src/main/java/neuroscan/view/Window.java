package neuroscan.view;

/**
 * The part of a document shown at first, like neuroscope: the 50 tokens before the max-activating
 * token, the token itself and the 10 after it, clipped to the document.
 *
 * @param from first token shown
 * @param to   one past the last token shown
 */
record Window(int from, int to) {
    static final int BEFORE = 50;
    static final int AFTER = 10;

    static Window around(int pos, int length) {
        return new Window(Math.max(0, pos - BEFORE), Math.min(length, pos + AFTER + 1));
    }

    static Window of(NeuronReport.Example e) {
        return around(e.pos(), e.tokens().size());
    }
}
