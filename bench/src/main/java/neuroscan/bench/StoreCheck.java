package neuroscan.bench;

import neuroscan.store.TopK;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Whether two top-k stores are equal: per neuron the same set of documents, each document's max within
 * {@link #TOLERANCE}, and at every rank values within it (so the order agrees up to near-ties). Two float32
 * implementations sum in different orders (differences ~1e-5), so documents whose maxima are that close
 * may swap ranks; such swaps are counted, not failed. A document in one store only fails unless it is
 * such a near-tie with the k-th entry. Argmax positions are compared where both stores have them.
 */
public final class StoreCheck {
    public static final float TOLERANCE = 1e-4f;

    private StoreCheck() {
    }

    /**
     * @param neuronsDiffer neurons failing the rules above (0: equal)
     * @param largestDiff   the largest |difference| of values at the same rank among those within tolerance
     * @param rankSwaps     documents at different ranks in the two stores (near-ties)
     * @param boundaryTies  documents in {@code got} only, tied with the k-th of {@code want}
     * @param positionsDiffer argmax positions that differ (-1 when not compared)
     */
    public record Verdict(int k, int dMlp, int neuronsDiffer, float largestDiff, int rankSwaps, int boundaryTies, int positionsDiffer) {
        public boolean equal() {
            return neuronsDiffer == 0;
        }

        /** "EQUAL (20 x 2048 slots; largest value difference 9.10e-06; 8 rank swaps ...)". */
        public String describe() {
            return String.format("%s (%d x %d slots; largest value difference %.2e; %d rank swaps between near-tied documents,"
                            + " %d near-ties at the k boundary%s)", equal() ? "EQUAL" : neuronsDiffer + " NEURONS DIFFER", k, dMlp,
                    largestDiff, rankSwaps, boundaryTies, positionsDiffer >= 0 ? "; " + positionsDiffer + " argmax positions differ" : "");
        }
    }

    /** Compares {@code got} with the reference {@code want}; prints up to 6 differing slots to {@code log}, prefixed with {@code what}. */
    public static Verdict check(String what, TopK got, TopK want, boolean positions, PrintStream log) {
        if (got.k() != want.k() || got.neurons() != want.neurons()) {
            throw new IllegalArgumentException(what + ": stores of " + got.k() + " x " + got.neurons() + " and " + want.k() + " x " + want.neurons());
        }
        int bad = 0, swaps = 0, boundary = 0, posDiff = 0, shown = 0;
        float worst = 0;
        int k = want.k();
        for (int n = 0; n < want.neurons(); n++) {
            Map<Integer, Integer> wantRank = new HashMap<>();
            for (int r = 0; r < k; r++) if (want.doc(r, n) >= 0) wantRank.put(want.doc(r, n), r);   // -1: an empty slot
            float kth = want.max(k - 1, n);
            boolean neuronBad = false;
            for (int r = 0; r < k; r++) {
                float rankDiff = Math.abs(got.max(r, n) - want.max(r, n));
                boolean rankOk = rankDiff <= TOLERANCE || got.max(r, n) == want.max(r, n);
                if (rankOk && !Float.isNaN(rankDiff)) worst = Math.max(worst, rankDiff);   // NaN: both slots empty (-inf)
                Integer w = wantRank.get(got.doc(r, n));
                boolean docOk;
                if (got.doc(r, n) < 0) {              // an empty slot (fewer than k documents): empty in both
                    docOk = want.doc(r, n) < 0;
                    w = docOk ? r : null;
                } else if (w == null) {                      // in got only: a near-tie at the k boundary at best
                    docOk = Math.abs(got.max(r, n) - kth) <= TOLERANCE;
                    if (docOk) boundary++;
                } else {
                    docOk = Math.abs(got.max(r, n) - want.max(w, n)) <= TOLERANCE || got.max(r, n) == want.max(w, n);
                    if (w != r) swaps++;
                    if (positions && docOk && got.pos(r, n) != want.pos(w, n)) posDiff++;
                }
                if ((!rankOk || !docOk || (w != null && w != r)) && shown++ < 6) {
                    log.printf("  %s: neuron %d rank %d: doc %d max %.7f, reference has doc %d max %.7f%s%n", what, n, r,
                            got.doc(r, n), got.max(r, n), want.doc(r, n), want.max(r, n), rankOk && docOk ? " (near-tie)" : "");
                }
                neuronBad |= !rankOk || !docOk;
            }
            if (neuronBad) bad++;
        }
        return new Verdict(k, want.neurons(), bad, worst, swaps, boundary, positions ? posDiff : -1);
    }
}
