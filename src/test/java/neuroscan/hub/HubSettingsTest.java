package neuroscan.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rules of huggingface_hub's constants.py and utils/_auth.py (HfPythonInteropTest asks Python itself). */
class HubSettingsTest {
    @TempDir
    Path home;

    HubSettings s(String... kv) {
        Map<String, String> env = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) env.put(kv[i], kv[i + 1]);
        return HubSettings.fromEnvironment(env, home);
    }

    @Test
    void defaults() {
        HubSettings s = s();
        assertEquals("https://huggingface.co", s.endpoint());
        assertEquals(home.resolve(".cache/huggingface/hub"), s.cacheDir());
        assertNull(s.token());
        assertFalse(s.offline());
    }

    @Test
    void cacheLocation() {
        assertEquals(Path.of("/x/huggingface/hub"), s("XDG_CACHE_HOME", "/x").cacheDir());
        assertEquals(Path.of("/hf/hub"), s("HF_HOME", "/hf", "XDG_CACHE_HOME", "/x").cacheDir());
        assertEquals(Path.of("/legacy"), s("HF_HOME", "/hf", "HUGGINGFACE_HUB_CACHE", "/legacy").cacheDir());
        assertEquals(Path.of("/new"), s("HUGGINGFACE_HUB_CACHE", "/legacy", "HF_HUB_CACHE", "/new").cacheDir());
        assertEquals(home.resolve("hf/hub"), s("HF_HOME", "~/hf").cacheDir());
        assertEquals(Path.of("/scratch/me/hf/hub"), s("HF_HOME", "${SCRATCH}/hf", "SCRATCH", "/scratch/me").cacheDir());
        assertEquals(Path.of("$NOPE/c"), s("HF_HUB_CACHE", "$NOPE/c").cacheDir(), "unknown variables stay as written");
    }

    @Test
    void token() throws IOException {
        Path hf = home.resolve("hf");
        Files.createDirectories(hf);
        Files.writeString(hf.resolve("token"), "  hf_file\n");
        assertEquals("hf_file", s("HF_HOME", hf.toString()).token());
        assertEquals("hf_env", s("HF_HOME", hf.toString(), "HF_TOKEN", "hf_env").token());
        assertEquals("hf_old", s("HF_HOME", hf.toString(), "HUGGING_FACE_HUB_TOKEN", "hf_old").token());
        assertEquals("hf_env", s("HF_TOKEN", "hf_env", "HUGGING_FACE_HUB_TOKEN", "hf_old").token());
        Files.writeString(home.resolve("elsewhere"), "hf_path");
        assertEquals("hf_path", s("HF_HOME", hf.toString(), "HF_TOKEN_PATH", home.resolve("elsewhere").toString()).token());
        assertNull(s("HF_TOKEN", " \n").token());
        assertFalse(s("HF_TOKEN", "hf_secret").toString().contains("hf_secret"));
    }

    @Test
    void offlineAndEndpoint() {
        for (String yes : new String[]{"1", "true", "YES", "On"}) assertTrue(s("HF_HUB_OFFLINE", yes).offline(), yes);
        for (String no : new String[]{"0", "false", "", "offline"}) assertFalse(s("HF_HUB_OFFLINE", no).offline(), no);
        assertTrue(s("TRANSFORMERS_OFFLINE", "1").offline());
        assertFalse(s("HF_HUB_OFFLINE", "0", "TRANSFORMERS_OFFLINE", "1").offline(), "HF_HUB_OFFLINE decides when set");
        assertEquals("https://mirror.example", s("HF_ENDPOINT", "https://mirror.example//").endpoint());
    }
}
