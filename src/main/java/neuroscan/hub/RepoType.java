package neuroscan.hub;

/** The kinds of Hugging Face repository neuroscan reads. Spaces are not needed. */
public enum RepoType {
    MODEL("model", "", "models"),
    DATASET("dataset", "datasets/", "datasets");

    private final String label;
    private final String urlPrefix;
    private final String plural;

    RepoType(String label, String urlPrefix, String plural) {
        this.label = label;
        this.urlPrefix = urlPrefix;
        this.plural = plural;
    }

    /** "model" or "dataset", for messages. */
    public String label() {
        return label;
    }

    /** What precedes the repo id in a resolve URL: models have none, datasets "datasets/". */
    String urlPrefix() {
        return urlPrefix;
    }

    /** "models" or "datasets": the API path segment and the cache folder prefix ("models--org--name"). */
    String plural() {
        return plural;
    }
}
