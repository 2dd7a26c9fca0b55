package neuroscan.view;

import java.util.List;

/**
 * The one colour scale shared by every token on a page: symmetric around zero (like neuroscope's
 * [-max, max]), so the same colour means the same activation in every example. Positive values go
 * from transparent to blue, negative ones to red.
 *
 * @param bound the largest absolute activation on the page (> 0)
 */
record Scale(double bound) {
    /**
     * Intensities below this are not coloured: 5% of a tint cannot be seen, and leaving those boxes
     * plain (most tokens of a document) keeps a site's pages about half the size.
     */
    static final double VISIBLE = 0.05;

    Scale {
        if (!(bound > 0) || Double.isInfinite(bound)) bound = 1;
    }

    /** The scale of all activations of all examples of a report. */
    static Scale of(List<NeuronReport.Example> examples) {
        double b = 0;
        for (var e : examples) {
            for (float a : e.activations()) {
                if (Float.isFinite(a)) b = Math.max(b, Math.abs(a));
            }
        }
        return new Scale(b);
    }

    /** The colour intensity of {@code v}, in [0, 1]; the sign says positive (blue) or negative (red). */
    double intensity(double v) {
        if (!Double.isFinite(v)) return v > 0 ? 1 : 0;
        return Math.min(1, Math.abs(v) / bound);
    }
}
